"""Pruning baselines in the DST engine: gradual magnitude pruning (GMP) and
iterative magnitude pruning with rewinding (IMP), one seed.

Both start from the dense network (every kernel of a sparse layer active;
layers forced dense by `dense_first` / `dense_last` stay dense) and end at
the per-layer budgets `K_l` of the config's `sparsity` and `distribution`
(`psn_jax.budgets.layer_budgets`, the counts a static mask of that config
has). They prune on the engine's update steps (`is_update_step`: multiples
of `delta_t` in `[t_start, t_end]`), which the engine lists on the host; the
active count of every layer after every update is a host-side integer table
(`plan`), so counts are exact and never drift:

* GMP (Zhu & Gupta 2017, eq. 1): `s_t = s_f + (s_i - s_f) (1 - (t - t_0) /
  (n Delta t))^3` with `s_i = 0`: after the update at step `t` a layer has
  `n_l - floor((n_l - K_l) (1 - (1 - tau)^3))` active weights, `tau = (t -
  t_0) / (t_last - t_0)` with `t_0 = t_start` and `t_last` the last update
  step (so the final update reaches `K_l` exactly). `"gmp"` prunes each layer
  to its own count; `"gmp_global"` prunes the sum of the sparse layers' counts
  by one global magnitude ranking (the layers' shares then follow the
  weights).
* IMP (Frankle & Carbin 2019; rewinding, Frankle et al. 2020): train, prune
  the fraction `p = drop_fraction` of each layer's remaining weights, rewind
  the surviving weights and the optimizer state to their values after
  `t_start` optimizer steps (`t_start = 0`: the original initialisation),
  retrain; `R` rounds, `R` the least with `(1 - p)^R <= D / N` (D, N the
  sparse layers' final and full counts). After round `r < R` a layer has
  `max(K_l, round(n_l (1 - p)^r))` weights, after round `R` exactly `K_l`.
  Update steps after round `R` change nothing. `"imp_global"` ranks globally
  as `"gmp_global"`. The rewind point is kept in the optimizer state by
  `with_rewind_point` (the engine wraps its optimizer for IMP), so it is
  checkpointed and resumed with the run.

Pruning drops the active weights of smallest `|w|` (ties: the random
priorities of `tie_break_priorities`); pruned weights and their optimizer
state become exactly 0 (`reset_where`). No weight is ever grown.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from psn_jax.dst.select import _ascending_key
from psn_jax.dst.select import _smallest_k
from psn_jax.dst.select import tie_break_priorities

__all__ = ["PRUNING", "REWINDING", "GLOBAL", "gmp_counts", "imp_rounds",
           "imp_counts", "Plan", "plan", "plan_for_config", "prune", "prune_update", "rewind",
           "RewindState", "with_rewind_point"]

PyTree = Any

PRUNING: tuple[str, ...] = ("gmp", "gmp_global", "imp", "imp_global")
REWINDING: tuple[str, ...] = ("imp", "imp_global")
GLOBAL: tuple[str, ...] = ("gmp_global", "imp_global")

_EPS = 1e-9   # float64 slack so that an exact integer product is not floored


def gmp_counts(update_steps: Sequence[int], t_start: int,
               sizes: Sequence[int], finals: Sequence[int]) -> np.ndarray:
  """Active count of each layer after each GMP update (Zhu & Gupta eq. 1).

  Args:
    update_steps: the steps that prune, increasing.
    t_start: `t_0`, where the schedule starts (sparsity 0).
    sizes: `n_l`, each layer's full count.
    finals: `K_l <= n_l`, each layer's count after the last update.

  Returns:
    int64 `(len(update_steps), n_layers)`, non-increasing down each column,
    the last row equal to `finals`.
  """
  steps = np.asarray(update_steps, np.float64)
  sizes = np.asarray(sizes, np.int64)
  finals = np.asarray(finals, np.int64)
  if not len(steps):
    return np.zeros((0, len(sizes)), np.int64)
  span = steps[-1] - t_start
  tau = np.ones_like(steps) if span <= 0 else np.clip(
      (steps - t_start) / span, 0.0, 1.0)
  fraction = 1.0 - (1.0 - tau) ** 3
  pruned = np.floor((sizes - finals)[None, :] * fraction[:, None] + _EPS)
  return sizes[None, :] - pruned.astype(np.int64)


def imp_rounds(sizes: Sequence[int], finals: Sequence[int], rate: float
               ) -> int:
  """The number of IMP rounds `R`: the least with `(1 - rate)^R <= D / N`
  over the layers that are pruned at all (0 when none is)."""
  sizes = np.asarray(sizes, np.int64)
  finals = np.asarray(finals, np.int64)
  pruned = finals < sizes
  if not pruned.any():
    return 0
  target = finals[pruned].sum() / sizes[pruned].sum()
  if target <= 0:
    raise ValueError("sparsity must leave some weight to IMP's pruned "
                     "layers, got a budget of 0")
  return max(1, math.ceil(math.log(target) / math.log(1.0 - rate) - _EPS))


def imp_counts(n_updates: int, sizes: Sequence[int], finals: Sequence[int],
               rate: float) -> tuple[np.ndarray, np.ndarray]:
  """Active counts after each IMP update and whether it rewinds.

  Returns:
    `(counts int64 (n_updates, n_layers), rewinds bool (n_updates,))`: update
    `u` ends round `r = u + 1`; counts `max(K_l, round(n_l (1 - rate)^r))`
    for `r < R`, `K_l` from `r = R` on; `rewinds[u] = r <= R`.
  """
  sizes = np.asarray(sizes, np.int64)
  finals = np.asarray(finals, np.int64)
  rounds = imp_rounds(sizes, finals, rate)
  r = np.arange(1, n_updates + 1)
  kept = np.rint(sizes[None, :] * (1.0 - rate) ** r[:, None]).astype(np.int64)
  counts = np.maximum(finals[None, :], kept)
  counts[r >= rounds] = finals
  return counts, r <= rounds


class Plan(NamedTuple):
  """Host-side pruning plan: `counts (n_updates, n_layers)` active per layer
  after each update, `rewinds (n_updates,)`, `rounds` (IMP's R, else the
  number of updates)."""

  counts: np.ndarray
  rewinds: np.ndarray
  rounds: int


def plan(algorithm: str, update_steps: Sequence[int], t_start: int,
         rate: float, sizes: Sequence[int], finals: Sequence[int]) -> Plan:
  """The counts of `algorithm` ("gmp", "gmp_global", "imp", "imp_global").

  Raises:
    ValueError: one line when training has fewer update steps than the
      procedure needs (GMP: none; IMP: fewer than its R rounds).
  """
  n = len(update_steps)
  if algorithm in REWINDING:
    if not 0.0 < rate < 1.0:
      raise ValueError(f"dst.drop_fraction must be in (0, 1) for IMP (the "
                       f"fraction pruned per round), got {rate!r}")
    counts, rewinds = imp_counts(n, sizes, finals, rate)
    rounds = imp_rounds(sizes, finals, rate)
    if rounds and n and update_steps[0] <= t_start:
      raise ValueError(
          f"dst.t_start (IMP's rewind step) must be below the first pruning "
          f"step {int(update_steps[0])}, got {t_start}")
    if n < rounds:
      raise ValueError(
          f"dst.delta_t: IMP needs {rounds} pruning rounds (drop_fraction "
          f"{rate:g} to the final density), but training has {n} update "
          f"steps; raise num_epochs or lower delta_t")
    return Plan(counts, rewinds, rounds)
  if n < 1 and any(f < s for f, s in zip(finals, sizes)):
    raise ValueError("dst.delta_t: GMP needs at least one update step in "
                     "[t_start, t_end]; lower delta_t or raise t_end_fraction")
  return Plan(gmp_counts(update_steps, t_start, sizes, finals),
              np.zeros((n,), bool), n)


def plan_for_config(config: Any, algorithm: str, t_start: int, rate: float,
                    update_index: np.ndarray,
                    kernel_shapes: Sequence[Sequence[int]]) -> Plan:
  """The engine's plan: final counts `K_l` from the config's mask fields
  (`budgets.layer_budgets` of `sparsity`, `distribution`, `dense_first`,
  `dense_last`; sparsity 0: every layer dense), update steps from the
  engine's `update_index` (-1 where none). At least one row, so that the
  table can be indexed in a program with no update step."""
  from psn_jax import budgets  # pylint: disable=g-import-not-at-top
  sizes = [int(np.prod(s)) for s in kernel_shapes]
  if config.sparsity:
    finals = [int(b) for b in budgets.layer_budgets(
        kernel_shapes, config.sparsity, config.distribution,
        dense_first=config.dense_first, dense_last=config.dense_last)]
  else:
    finals = list(sizes)
  steps = np.nonzero(np.asarray(update_index) >= 0)[0]
  out = plan(algorithm, steps, t_start, rate, sizes, finals)
  if not len(out.counts):
    out = Plan(np.asarray([sizes], np.int64), np.zeros((1,), bool), 0)
  return out


def _drop_smallest(masks: list[jax.Array], params: list[jax.Array],
                   prios: list[jax.Array], n_drop: jax.Array) -> list[jax.Array]:
  """The `n_drop` active entries of smallest |w| over the given layers
  (flattened together), as one bool array per layer."""
  m = jnp.concatenate([x.reshape(-1) for x in masks])
  w = jnp.concatenate([x.reshape(-1) for x in params])
  p = jnp.concatenate([x.reshape(-1) for x in prios])
  mag = _ascending_key(jnp.where(m, jnp.abs(w), 0))
  dropped = _smallest_k([((~m).astype(jnp.uint32), 1), (mag, 31), (p, 32)],
                        n_drop.astype(jnp.int32))
  out, start = [], 0
  for x in masks:
    out.append(dropped[start:start + x.size].reshape(x.shape))
    start += x.size
  return out


def prune(key: jax.Array, step: Any, masks: PyTree, params: PyTree,
          targets: jax.Array, *, global_: bool) -> tuple[PyTree, PyTree, PyTree]:
  """Prunes the kernels to `targets` active weights by magnitude.

  Args:
    key: the per-seed PRNG key (tie-breaks only).
    step: the integer step (possibly traced, unbatched under `vmap`).
    masks, params: one seed's bool masks and params.
    targets: int32 `(n_kernels,)`, the active count of each kernel leaf
      (`ndim >= 2`, in `jax.tree.leaves` order) after pruning; never above the
      current count. With `global_` only their sum over the layers whose
      target is below their size counts, ranked together.
    global_: one magnitude ranking over the pruned layers.

  Returns:
    `(masks, params, dropped)`: params 0 where pruned, and the bool pytree of
    the positions pruned now (for `reset_where` of the optimizer state).
  """
  mask_leaves, treedef = jax.tree.flatten(masks)
  param_leaves = treedef.flatten_up_to(params)
  kernels = [i for i, m in enumerate(mask_leaves) if m.ndim >= 2]
  prios = [d for d, _ in tie_break_priorities(
      key, step, [mask_leaves[i].shape for i in kernels])]
  targets = jnp.asarray(targets, jnp.int32)
  ks = [mask_leaves[i] for i in kernels]
  ws = [param_leaves[i] for i in kernels]
  if global_:
    full = np.asarray([m.size for m in ks])
    # Layers at their full size in the plan (dense_first/last) never prune.
    total = sum(jnp.where(t < n, t, 0) for t, n in zip(targets, full))
    active = sum(jnp.where(t < n, m.sum(), 0)
                 for t, n, m in zip(targets, full, ks))
    drop = _drop_smallest(
        [jnp.where(t < n, m, False) for t, n, m in zip(targets, full, ks)],
        ws, prios, active - total)
  else:
    drop = [_drop_smallest([m], [w], [p], m.sum() - t)[0]
            for m, w, p, t in zip(ks, ws, prios, targets)]
  dropped = [jnp.zeros(m.shape, jnp.bool_) for m in mask_leaves]
  new_masks, new_params = list(mask_leaves), list(param_leaves)
  for j, i in enumerate(kernels):
    dropped[i] = drop[j]
    new_masks[i] = mask_leaves[i] & ~drop[j]
    new_params[i] = jnp.where(new_masks[i], param_leaves[i],
                              jnp.zeros_like(param_leaves[i]))
  return (jax.tree.unflatten(treedef, new_masks),
          jax.tree.unflatten(treedef, new_params),
          jax.tree.unflatten(treedef, dropped))


class RewindState(NamedTuple):
  """What `with_rewind_point` keeps: optimizer steps taken (`count`), the
  params and the inner optimizer state after `rewind_step` steps."""

  count: jax.Array
  params: PyTree
  inner: PyTree


def with_rewind_point(inner: optax.GradientTransformation, rewind_step: int
                      ) -> optax.GradientTransformation:
  """`inner`, whose state also keeps the rewind point of IMP.

  The state is `(inner_state, RewindState)`. When the `rewind_step`-th update
  is about to be applied (the params then are those after `rewind_step`
  optimizer steps, 0: the initialisation), the params and `inner_state` are
  copied into the `RewindState`. Updates are `inner`'s, unchanged.
  """
  k = int(rewind_step)

  def init(params: PyTree) -> tuple:
    state = inner.init(params)
    return state, RewindState(jnp.zeros((), jnp.int32), params, state)

  def update(updates, state, params=None):
    inner_state, rw = state
    save = rw.count == k
    keep = lambda new, old: jax.tree.map(  # noqa: E731
        lambda a, b: jnp.where(save, a, b), new, old)
    rw = RewindState(rw.count + 1, keep(params, rw.params),
                     keep(inner_state, rw.inner))
    updates, inner_state = inner.update(updates, inner_state, params)
    return updates, (inner_state, rw)

  return optax.GradientTransformation(init, update)


def rewind(opt_state: tuple, masks: PyTree) -> tuple[PyTree, tuple]:
  """IMP's rewind: params and inner optimizer state back to the rewind point,
  masked by `masks` (pruned weights and their state exactly 0).

  Returns:
    `(params, opt_state)`.
  """
  from psn_jax.dst.update import reset_where  # pylint: disable=g-import-not-at-top
  _, rw = opt_state
  params = jax.tree.map(lambda p, m: jnp.where(m, p, jnp.zeros_like(p)),
                        rw.params, masks)
  inner = reset_where(rw.inner, jax.tree.map(jnp.logical_not, masks))
  return params, (inner, rw)


def prune_update(key: jax.Array, step: Any, masks: PyTree, params: PyTree,
                 opt_state: PyTree, targets: jax.Array, rewinds: jax.Array,
                 algorithm: str) -> tuple[PyTree, PyTree, PyTree]:
  """One GMP or IMP update of the engine, one seed.

  Prunes to `targets` (`prune`), zeroes the optimizer state of what was
  pruned; for IMP when `rewinds` (a bool scalar, unbatched) also rewinds the
  surviving weights and the optimizer state (`rewind`).

  Returns:
    `(masks, params, opt_state)`.
  """
  from psn_jax.dst.update import reset_where  # pylint: disable=g-import-not-at-top
  if algorithm not in PRUNING:
    raise ValueError(f"algorithm must be one of {', '.join(PRUNING)}, got "
                     f"{algorithm!r}")
  masks, params, dropped = prune(key, step, masks, params, targets,
                                 global_=algorithm in GLOBAL)
  opt_state = reset_where(opt_state, dropped)
  if algorithm in REWINDING:
    back_params, back_state = rewind(opt_state, masks)
    pick = lambda a, b: jax.tree.map(  # noqa: E731
        lambda x, y: jnp.where(rewinds, x, y), a, b)
    params = pick(back_params, params)
    opt_state = pick(back_state, opt_state)
  return masks, params, opt_state
