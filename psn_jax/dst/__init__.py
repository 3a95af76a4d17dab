"""Dynamic sparse training: RigL and SET mask updates over a parameter pytree.

One update rewires every kernel leaf (`ndim >= 2`) of a mask pytree that mirrors
the Flax params; other leaves (biases) are left alone. Per layer, with
`n_active = mask.sum()` (constant through training) and `f = f(step)` the drop
fraction:

1. Drop: `k = floor(f * n_active)` active weights are removed (RigL and SET
   "magnitude": the `k` smallest `|w|`; SET "sign": the `floor(f * n_nonneg)`
   smallest non-negative and the `floor(f * n_neg)` negative weights closest to
   0, as SET's authors do per sign). The rest are *kept*. The floor is taken in
   float32 with a relative slack of `COUNT_TOLERANCE` (2**-20), so a product
   that is an integer in exact arithmetic (0.25 * 4) is not lost to a one-ulp
   error of the float32 schedule.
2. Grow: as many connections as were dropped, among all positions not kept,
   including the just-dropped ones (RigL: largest `|grad|`, Evci et al. 2020;
   SET: uniformly at random, Mocanu et al. 2018). So `grown & kept` is empty and
   the active count is exactly constant; a dense layer stays dense and unchanged.
3. Values and optimizer state: a connection active before and after the update
   (kept, or dropped and regrown in the same update: reference RigL's
   `reinit_when_same=False`) keeps its weight and optimizer state. A newly
   grown connection starts at weight 0 with optimizer state 0 (RigL's
   `grow_init='zeros'`). A dropped connection becomes weight 0 and optimizer
   state 0, so inactive weights and their state are exactly 0 at all times.

Ties are broken by a random *secondary* sort key (`tie_break_priorities`),
never by additive noise, so untied scores are never reordered. The number of
dropped weights is traced (it depends on the traced step), so selection is an
exact radix select (`_smallest_k`: compare-and-count passes over the keys, a
few bits per pass, no sort; passes for the tie-break keys are skipped when
there is no tie at the boundary), not `top_k` with a static `k`. The
tie-break bits are drawn only for the entries that use them. Layers are updated one
after the other in Python (a static loop over leaves); the work within a layer
is vectorised.

Pruning baselines (`prune`): gradual magnitude pruning (Zhu & Gupta 2017)
and iterative magnitude pruning with rewinding (Frankle & Carbin 2019,
Frankle et al. 2020) are `algorithm` values too ("gmp", "gmp_global", "imp",
"imp_global"): they start dense, never grow, and follow a host-side table of
exact per-layer counts (`prune.plan`); the engine applies them with
`prune_update`.

All functions work on one seed; the caller `jax.vmap`s them over seeds with an
unbatched `step`. None of them takes an optimizer step.

Modules: `settings` (`DSTConfig`, its one validator shared with
`psn_jax.config.validate`, the drop-fraction schedule, `is_update_step`),
`select` (tie-break priorities, the radix select), `update` (the RigL and SET
updates); every public name is re-exported here. The engine
(`psn_jax.train`) builds `DSTConfig.from_config(config, steps_per_epoch)` and
the drop-fraction schedule once, and passes the schedule to every update.
"""

from __future__ import annotations

from psn_jax.dst.select import COUNT_TOLERANCE
from psn_jax.dst.select import _DIGIT_BITS  # noqa: F401  (benchmarks tune it)
from psn_jax.dst.select import _ascending_key  # noqa: F401  (tests)
from psn_jax.dst.select import _descending_key  # noqa: F401  (tests)
from psn_jax.dst.select import _digit_bits  # noqa: F401  (benchmarks)
from psn_jax.dst.select import _floor_count  # noqa: F401  (tests)
from psn_jax.dst.select import _smallest_k  # noqa: F401  (tests)
from psn_jax.dst.select import tie_break_priorities
from psn_jax.dst.settings import ALGORITHMS
from psn_jax.dst.settings import DROP_SCHEDULES
from psn_jax.dst.settings import DSTConfig
from psn_jax.dst.settings import SET_DROP_RULES
from psn_jax.dst.settings import check_config
from psn_jax.dst.settings import check_field
from psn_jax.dst.settings import drop_fraction_fn
from psn_jax.dst.settings import is_update_step
from psn_jax.dst.prune import GLOBAL
from psn_jax.dst.prune import PRUNING
from psn_jax.dst.prune import REWINDING
from psn_jax.dst.prune import gmp_counts
from psn_jax.dst.prune import imp_counts
from psn_jax.dst.prune import imp_rounds
from psn_jax.dst.prune import plan as prune_plan
from psn_jax.dst.prune import plan_for_config as prune_plan_for_config
from psn_jax.dst.prune import prune_update
from psn_jax.dst.prune import with_rewind_point
from psn_jax.dst.update import reset_where
from psn_jax.dst.update import rigl_update
from psn_jax.dst.update import set_update
from psn_jax.dst.update import update

__all__ = ["ALGORITHMS", "DROP_SCHEDULES", "SET_DROP_RULES", "COUNT_TOLERANCE",
           "DSTConfig", "check_field", "check_config", "drop_fraction_fn",
           "is_update_step", "tie_break_priorities", "reset_where",
           "rigl_update", "set_update", "update", "PRUNING", "REWINDING",
           "GLOBAL", "gmp_counts", "imp_counts", "imp_rounds", "prune_plan",
           "prune_plan_for_config",
           "prune_update", "with_rewind_point"]
