"""Sparse training for any Flax model and any optax loop: two optax wrappers.

`masked(inner, masks)` and `dynamic(inner, masks, cfg, key)` are
`optax.GradientTransformation`s. Put one in place of your optimizer and keep
your own model, loss and loop:

  masks = psn_jax.masks.make_masks(key, params, sparsity=0.9,
                                   profile="lognormal", cv=1.0)
  params = psn_jax.masks.apply_masks(params, masks)       # start masked
  tx = sparse_optax.dynamic(optax.adam(1e-3), masks, rigl_cfg, key)
  state = tx.init(params)
  grads = jax.grad(loss)(params)                          # the dense gradient
  updates, state = tx.update(grads, state, params)
  params = optax.apply_updates(params, updates)

What they guarantee, after every `update` + `optax.apply_updates`:

* masked weights are exactly 0: the update of a masked entry is `-param`
  (so `param + update == 0` exactly, whatever the entry held before);
* masked gradients never reach `inner` (they are zeroed first) and the
  optimizer state of masked entries is set to 0 after every step
  (`dst.reset_where` on every params-shaped subtree of the inner state:
  SGD's trace, Adam's moments, any optax chain), so a weight that RigL or
  SET grows later starts from weight 0 and state 0, as in RigL
  (`grow_init='zeros'`).

The dense gradient RigL grows from. The engine (`psn_jax.steps.
loss_and_grads`) differentiates the loss w.r.t. the masked weights
`where(mask, w, 0)` and keeps every entry of that gradient. Because these
wrappers keep masked weights exactly 0, `jax.grad(loss)(params)` in the
user's loop IS that gradient: differentiate w.r.t. the params themselves,
never through a `where` that would zero the masked entries' gradient. The
wrapper masks the gradient before `inner` and passes the dense one to
`dst.rigl_update` (jaxpruner's choice of the training batch's gradient).

State (`SparseState`, a pytree, so `jit`, `vmap` and checkpoints work):
`masks` (bool, the params' structure), `step` (int32, updates taken; the
step `dst.is_update_step` reads), `key` (the per-run key of the RigL/SET
tie-breaks and SET's growth), `inner` (the wrapped optimizer's state).
`dynamic` runs `dst.update` (`rigl_update` / `set_update`, reused, not
reimplemented) at the steps `dst.is_update_step(step, cfg)` selects: with
`cfg.skip_optimizer_step` (the engine's default) that step rewires only;
otherwise the optimizer step comes first and the update rewires its result.
The branch is a `lax.cond` on `step`. Under `vmap` over runs, keep the step
counter unbatched, `jax.vmap(f, in_axes=(..., state_axes(0), ...),
out_axes=(..., state_axes(0)))` (every run takes the same step, as in the
engine): with a batched counter the `cond` becomes a select that runs the
RigL branch on every step (same result, about 7x the plain step's cost for
8 seeds of the MLP on CPU: `python -m benchmarks.sparse_optax`).

Equal to the engine (tests/test_sparse_optax.py, CPU): on
`psn_jax.models.MLP` with the engine's loss and inner optimizer
(`chain(engine.tx, scale(lr))`) and the same key, RigL's masks equal the
engine's at every step, bit for bit; so do params and optimizer state with
SGD (momentum, Nesterov, L2), which the test checks with a power-of-two
learning rate. Why not always bit for bit: the engine computes `where(m, p +
u * lr, 0)` in one fusion, which XLA may contract to a fused multiply-add
(one rounding), while the wrapper's `p + where(m, lr * u, -p)` rounds the
product first; and Adam's update fuses differently with what follows it in
the two programs. With AdamW the params differ by at most a few ulp (1 ulp
from the second step on; every mask identical).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from psn_jax import dst
from psn_jax import mask_tree

__all__ = ["SparseState", "masked", "dynamic", "init_params", "find_state",
           "state_axes"]

PyTree = Any


class SparseState(NamedTuple):
  """The state of `masked` / `dynamic` (one run; vmap adds a leading axis).

  Attributes:
    masks: bool pytree with the params' structure (True = active).
    step: int32 scalar: updates taken so far (the next update's step).
    key: PRNG key of RigL/SET's tie-breaks and SET's growth.
    inner: the wrapped optimizer's state.
  """

  masks: PyTree
  step: jax.Array
  key: jax.Array
  inner: PyTree


def state_axes(axis: int | None = 0) -> SparseState:
  """`vmap` axes of a `SparseState` over runs: `axis` for masks, key and
  inner state, None for the step counter (shared by all runs, so RigL's
  `lax.cond` stays a branch). Use as `in_axes` and `out_axes`."""
  return SparseState(masks=axis, step=None, key=axis, inner=axis)


def init_params(params: PyTree, masks: PyTree) -> PyTree:
  """`params` with masked entries set to 0: the start the wrappers expect
  (`psn_jax.masks.apply_masks`; the first update zeroes them anyway, but the
  first gradient should already be the masked network's)."""
  return mask_tree.apply_masks(params, masks)


def find_state(opt_state: Any) -> SparseState:
  """The `SparseState` inside an optax state (e.g. within a `chain`).

  Raises:
    ValueError: when `opt_state` holds none (one line).
  """
  found = [s for s in jax.tree.leaves(
      opt_state, is_leaf=lambda x: isinstance(x, SparseState))
           if isinstance(s, SparseState)]
  if not found:
    raise ValueError("opt_state holds no SparseState: pass the state of "
                     "sparse_optax.masked or sparse_optax.dynamic")
  return found[0]


def _check_masks(masks: PyTree) -> PyTree:
  """Masks as bool jax arrays; one line naming a leaf that is not bool."""
  for path, leaf in mask_tree.path_leaves(masks):
    dtype = getattr(leaf, "dtype", None)
    if dtype is None or jnp.dtype(dtype) != jnp.bool_:
      raise ValueError(f"masks must be bool arrays: {'/'.join(path)} has "
                       f"dtype {dtype} (psn_jax.masks.make_masks makes them)")
  return jax.tree.map(jnp.asarray, masks)


def _check_params(params: PyTree) -> None:
  if params is None:
    raise ValueError("params must be passed to update(grads, state, params): "
                     "the sparse wrappers zero masked weights through them")


def _masked_step(inner: optax.GradientTransformation, grads: PyTree,
                 state: SparseState, params: PyTree, masks: PyTree
                 ) -> tuple[PyTree, optax.OptState]:
  """`inner`'s update of the masked gradient, restricted to the active
  entries; masked entries get `-param`, their inner state 0."""
  g = jax.tree.map(lambda x, m: jnp.where(m, x, jnp.zeros_like(x)), grads,
                   masks)
  u, inner_state = inner.update(g, state.inner, params)
  inner_state = dst.reset_where(inner_state, jax.tree.map(jnp.logical_not,
                                                          masks))
  u = jax.tree.map(lambda x, p, m: jnp.where(m, x, -p), u, params, masks)
  return u, inner_state


def masked(inner: optax.GradientTransformation, masks: PyTree
           ) -> optax.GradientTransformation:
  """A fixed mask around any optax optimizer (static sparse training).

  Args:
    inner: any `optax.GradientTransformation` (its learning rate included).
    masks: bool pytree with the params' structure (`masks.make_masks`).

  Returns:
    A `GradientTransformation` with state `SparseState` (`step` counts
    updates, `key` unused); see the module docstring for what it keeps 0.
  """
  masks = _check_masks(masks)

  def init(params: PyTree) -> SparseState:
    return SparseState(masks=masks, step=jnp.zeros((), jnp.int32),
                       key=jax.random.PRNGKey(0), inner=inner.init(params))

  def update(grads, state, params=None):
    _check_params(params)
    u, inner_state = _masked_step(inner, grads, state, params, state.masks)
    return u, state._replace(step=state.step + 1, inner=inner_state)

  return optax.GradientTransformation(init, update)


def dynamic(inner: optax.GradientTransformation, masks: PyTree,
            cfg: dst.DSTConfig, key: jax.Array, *,
            lr_schedule: optax.Schedule | None = None
            ) -> optax.GradientTransformation:
  """RigL or SET every `cfg.delta_t` steps around any optax optimizer.

  At every step `t` (the state's `step`) with `dst.is_update_step(t, cfg)`:
  `dst.update(key, t, masks, params, grads, inner_state, cfg, lr_schedule)`,
  RigL (Evci et al. 2020, Algorithm 1: drop the smallest |w|, grow the
  largest |dense grad|) or SET (Mocanu et al. 2018: grow at random), every
  sparse layer's active count unchanged. On other steps, `masked`'s step.

  Args:
    inner: any `optax.GradientTransformation`.
    masks: the initial bool masks, the params' structure.
    cfg: `dst.DSTConfig` (algorithm, delta_t, t_start, t_end, drop fraction
      and schedule); e.g. `dst.DSTConfig(algorithm="rigl", delta_t=100,
      t_end=7500)`.
    key: this run's PRNG key (tie-breaks; SET's growth).
    lr_schedule: only for `cfg.drop_schedule == "lr_scaled"`.

  Returns:
    A `GradientTransformation` with state `SparseState`. `update(grads,
    state, params)` needs `params` and the DENSE gradient w.r.t. the masked
    weights, i.e. `jax.grad(loss)(params)` of the masked params.
  """
  masks = _check_masks(masks)
  if not isinstance(cfg, dst.DSTConfig):
    raise ValueError(f"cfg must be a psn_jax.dst.DSTConfig, got "
                     f"{type(cfg).__name__}")
  fraction_fn = (None if cfg.algorithm == "none"
                 else dst.drop_fraction_fn(cfg, lr_schedule))

  def init(params: PyTree) -> SparseState:
    return SparseState(masks=masks, step=jnp.zeros((), jnp.int32), key=key,
                       inner=inner.init(params))

  def plain(grads, state, params):
    u, inner_state = _masked_step(inner, grads, state, params, state.masks)
    return u, state.masks, inner_state

  def rewire(grads, state, params):
    if cfg.skip_optimizer_step:
      u = jax.tree.map(jnp.zeros_like, params)
      moved, inner_state = params, state.inner
    else:
      u, inner_state = _masked_step(inner, grads, state, params, state.masks)
      moved = optax.apply_updates(params, u)
    new_masks, _, inner_state = dst.update(
        state.key, state.step, state.masks, moved, grads, inner_state, cfg,
        lr_schedule, fraction_fn=fraction_fn)
    # A connection that stays keeps this step's update; every other entry
    # goes to exactly 0 (dropped, grown at 0, or masked throughout).
    u = jax.tree.map(lambda x, p, m, m0: jnp.where(m & m0, x, -p), u, params,
                     new_masks, state.masks)
    return u, new_masks, inner_state

  def update(grads, state, params=None):
    _check_params(params)
    if cfg.algorithm == "none":
      u, new_masks, inner_state = plain(grads, state, params)
    else:
      u, new_masks, inner_state = jax.lax.cond(
          dst.is_update_step(state.step, cfg), rewire, plain, grads, state,
          params)
    return u, SparseState(masks=new_masks, step=state.step + 1,
                          key=state.key, inner=inner_state)

  return optax.GradientTransformation(init, update)
