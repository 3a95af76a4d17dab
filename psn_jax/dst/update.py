"""RigL and SET updates: drop, grow, and reset what moved (one seed)."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from psn_jax.dst.select import _ascending_key
from psn_jax.dst.select import _descending_key
from psn_jax.dst.select import _floor_count
from psn_jax.dst.select import _smallest_k
from psn_jax.dst.select import tie_break_priorities
from psn_jax.dst.settings import DSTConfig
from psn_jax.dst.settings import Schedule
from psn_jax.dst.settings import drop_fraction_fn

__all__ = ["reset_where", "rigl_update", "set_update", "update"]

PyTree = Any


def reset_where(opt_state: PyTree, params_like_mask: PyTree) -> PyTree:
  """Zeroes optimizer state at the positions where a params-shaped mask is True.

  Generic over optax states: every subtree of `opt_state` whose tree structure
  equals that of `params_like_mask`, with leaf shapes equal leaf by leaf (SGD's
  trace, Adam's mu and nu, ... inside chains, `inject_hyperparams` or any other
  wrapper), is reset. Everything else (step counts, hyperparameters, empty
  states) is returned unchanged. No `isinstance` whitelist. A subtree with a
  different container type (a `FrozenDict` against dict params) or with
  placeholders (`optax.masked`'s `MaskedNode`) does not match and is not reset.

  Args:
    opt_state: any optax state pytree.
    params_like_mask: bool pytree with the params' structure.

  Returns:
    The state with matching leaves replaced by `where(mask, 0, leaf)`.
  """
  mask_def = jax.tree.structure(params_like_mask)
  mask_shapes = [jnp.shape(m) for m in jax.tree.leaves(params_like_mask)]

  def matches(node: Any) -> bool:
    if jax.tree.structure(node) != mask_def:
      return False
    leaves = jax.tree.leaves(node)
    return all(hasattr(x, "shape") and tuple(x.shape) == s
               for x, s in zip(leaves, mask_shapes))

  def reset(node: Any) -> Any:
    if not matches(node):
      return node
    return jax.tree.map(lambda s, m: jnp.where(m, jnp.zeros_like(s), s),
                        node, params_like_mask)

  return jax.tree.map(reset, opt_state, is_leaf=matches)


def _kept_after_drop(mask: jax.Array, w: jax.Array, f: jax.Array,
                     priority: jax.Array, by_sign: bool) -> jax.Array:
  """The active entries that survive the drop phase (flat 1-D arrays)."""
  mag = _ascending_key(jnp.where(mask, jnp.abs(w), 0))
  if not by_sign:
    inactive = (~mask).astype(jnp.uint32)
    dropped = _smallest_k([(inactive, 1), (mag, 31), (priority, 32)],
                          _floor_count(f, mask.sum()))
  else:
    nonneg = mask & (w >= 0)
    neg = mask & (w < 0)
    dropped = jnp.zeros_like(mask)
    for side in (nonneg, neg):
      dropped = dropped | _smallest_k(
          [((~side).astype(jnp.uint32), 1), (mag, 31), (priority, 32)],
          _floor_count(f, side.sum()))
  return mask & ~dropped


def _grown(kept: jax.Array, n_grow: jax.Array, grow_score: jax.Array | None,
           priority: jax.Array) -> jax.Array:
  """`n_grow` entries not in `kept`: largest `grow_score`, else by priority."""
  keys = [(kept.astype(jnp.uint32), 1)]
  if grow_score is not None:
    keys.append((_descending_key(grow_score), 31))
  keys.append((priority, 32))
  return ~kept & _smallest_k(keys, n_grow)


def _rewire(key: jax.Array, step: Any, masks: PyTree, params: PyTree,
            grads: PyTree | None, opt_state: PyTree, cfg: DSTConfig,
            lr_schedule: Schedule | None, by_gradient: bool,
            by_sign: bool, fraction_fn: Callable[[Any], jax.Array] | None
            ) -> tuple[PyTree, PyTree, PyTree]:
  """Shared drop-and-grow loop over the kernel leaves."""
  if fraction_fn is None:
    fraction_fn = drop_fraction_fn(cfg, lr_schedule)
  f = fraction_fn(step)
  mask_leaves, treedef = jax.tree.flatten(masks)
  param_leaves = treedef.flatten_up_to(params)
  grad_leaves = (treedef.flatten_up_to(grads) if by_gradient
                 else [None] * len(mask_leaves))
  kernels = [i for i, mask in enumerate(mask_leaves) if mask.ndim >= 2]
  priorities = dict(zip(kernels, tie_break_priorities(
      key, step, [mask_leaves[i].shape for i in kernels])))
  new_masks, new_params, resets = [], [], []
  for index, (mask, w, g) in enumerate(zip(mask_leaves, param_leaves, grad_leaves)):
    if index not in priorities:
      new_masks.append(mask)
      new_params.append(w)
      resets.append(jnp.zeros(mask.shape, jnp.bool_))
      continue
    drop_prio, grow_prio = priorities[index]
    m = mask.reshape(-1)
    kept = _kept_after_drop(m, w.reshape(-1), f, drop_prio.reshape(-1), by_sign)
    n_grow = m.sum() - kept.sum()
    score = g.reshape(-1) if by_gradient else None
    new_m = kept | _grown(kept, n_grow, score, grow_prio.reshape(-1))
    stays = (new_m & m).reshape(mask.shape)
    new_masks.append(new_m.reshape(mask.shape))
    new_params.append(jnp.where(stays, w, jnp.zeros_like(w)))
    resets.append(~stays)
  reset_mask = jax.tree.unflatten(treedef, resets)
  return (jax.tree.unflatten(treedef, new_masks),
          jax.tree.unflatten(treedef, new_params),
          reset_where(opt_state, reset_mask))


def rigl_update(key: jax.Array, step: Any, masks: PyTree, params: PyTree,
                grads: PyTree, opt_state: PyTree, cfg: DSTConfig,
                lr_schedule: Schedule | None = None, *,
                fraction_fn: Callable[[Any], jax.Array] | None = None
                ) -> tuple[PyTree, PyTree, PyTree]:
  """One RigL mask update (Evci et al., ICML 2020, Algorithm 1), one seed.

  Per kernel leaf: drop the `floor(f(step) * n_active)` active weights of
  smallest `|w|`; grow as many with the largest `|grad|` among the positions
  not kept (just-dropped ones included, so a connection can be dropped and
  regrown: it then keeps its weight and optimizer state, `reinit_when_same=
  False` in the reference code). Newly grown weights and their optimizer state
  are 0; dropped ones become weight 0 and state 0. Ties: `tie_break_priorities`.

  `grads` is the dense gradient w.r.t. the masked weights `where(mask, w, 0)`
  from the training batch of this step (jaxpruner's choice; RigL's TF2 code used
  a held-out batch). The caller gates the call with `is_update_step`; called on
  any other step it still rewires with `f(step)`.

  Args:
    key: the per-seed PRNG key (tie-breaking only).
    step: the integer step, possibly traced; unbatched under `vmap`.
    masks: bool pytree with the params' structure.
    params: the params; exactly 0 where masked.
    grads: dense gradients, the params' structure.
    opt_state: any optax state.
    cfg: the DST configuration.
    lr_schedule: only for drop_schedule "lr_scaled".
    fraction_fn: `drop_fraction_fn(cfg, lr_schedule)`, built once by the
      caller (the engine); built here when None.

  Returns:
    `(masks, params, opt_state)` after the update; shapes and dtypes unchanged.
  """
  return _rewire(key, step, masks, params, grads, opt_state, cfg, lr_schedule,
                 by_gradient=True, by_sign=False, fraction_fn=fraction_fn)


def set_update(key: jax.Array, step: Any, masks: PyTree, params: PyTree,
               grads: PyTree | None, opt_state: PyTree, cfg: DSTConfig,
               lr_schedule: Schedule | None = None, *,
               fraction_fn: Callable[[Any], jax.Array] | None = None
               ) -> tuple[PyTree, PyTree, PyTree]:
  """One SET rewiring (Mocanu et al., Nat. Commun. 2018), one seed.

  Per kernel leaf, drop by `cfg.set_drop_rule`:
    * "magnitude": the `floor(zeta * n_active)` smallest `|w|`;
    * "sign" (SET's authors): the `floor(zeta * n_nonneg)` smallest
      non-negative and the `floor(zeta * n_neg)` negative weights closest to 0.
      Active weights exactly 0 (e.g. grown and never updated) count as
      non-negative, so they are the first dropped on that side. (The authors'
      Keras code drops every exact zero on top of the two quotas; we keep the
      quotas exact so a fraction of 0 changes nothing.)
  `zeta = f(step)` from the drop schedule. Then grow as many positions,
  uniformly at random among those not kept (a just-dropped position may be
  drawn again, as SET's authors). Values and state as `rigl_update`: a
  dropped-and-regrown connection keeps its weight and state (the authors' Keras
  code zeroes it; keeping it leaves a dense layer unchanged), newly grown ones
  start at 0 with state 0, dropped ones become 0 with state 0.

  Args:
    key: the per-seed PRNG key (random growth and tie-breaking).
    step: the integer step, possibly traced; unbatched under `vmap`.
    masks: bool pytree with the params' structure.
    params: the params; exactly 0 where masked.
    grads: unused (may be None).
    opt_state: any optax state.
    cfg: the DST configuration.
    lr_schedule: only for drop_schedule "lr_scaled".
    fraction_fn: as `rigl_update`.

  Returns:
    `(masks, params, opt_state)` after the update.
  """
  del grads
  return _rewire(key, step, masks, params, None, opt_state, cfg, lr_schedule,
                 by_gradient=False, by_sign=cfg.set_drop_rule == "sign",
                 fraction_fn=fraction_fn)


def update(key: jax.Array, step: Any, masks: PyTree, params: PyTree,
           grads: PyTree | None, opt_state: PyTree, cfg: DSTConfig,
           lr_schedule: Schedule | None = None, *,
           fraction_fn: Callable[[Any], jax.Array] | None = None
           ) -> tuple[PyTree, PyTree, PyTree]:
  """One mask update of `cfg.algorithm`: "rigl", "set", or "none" (identity).

  Args:
    key, step, masks, params, grads, opt_state, lr_schedule, fraction_fn: as
      `rigl_update` (`grads` may be None unless the algorithm is "rigl").
    cfg: the DST configuration (valid by construction).

  Returns:
    `(masks, params, opt_state)`; for "none" the inputs themselves.
  """
  if cfg.algorithm == "rigl":
    return rigl_update(key, step, masks, params, grads, opt_state, cfg,
                       lr_schedule, fraction_fn=fraction_fn)
  if cfg.algorithm == "set":
    return set_update(key, step, masks, params, grads, opt_state, cfg,
                      lr_schedule, fraction_fn=fraction_fn)
  if cfg.algorithm != "none":
    raise ValueError(f"algorithm {cfg.algorithm!r} prunes by a plan of counts:"
                     " use dst.prune_update (the engine does)")
  return masks, params, opt_state
