"""DST settings: `DSTConfig`, its one validator, the drop-fraction schedule.

`check_field` is the one check of every DST field: `check_config` applies it
to a training config's `dst` fields (`psn_jax.config.validate` calls it, so
the command lines refuse exactly what the library refuses) and
`DSTConfig.validate` to the fields a `DSTConfig` shares with them. The drop
fraction is in (0, 1] everywhere: 0 would make RigL / SET rewire nothing
(`algorithm="none"` is static sparse training), 1 rewires every active weight
at the schedule's peak.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, Callable, Mapping, Union

import jax
import jax.numpy as jnp

__all__ = ["ALGORITHMS", "DROP_SCHEDULES", "SET_DROP_RULES", "DSTConfig",
           "check_field", "check_config", "drop_fraction_fn",
           "is_update_step"]

Schedule = Union[float, Callable[[Any], Any]]

# gmp, gmp_global, imp, imp_global: the pruning baselines of `dst.prune`.
ALGORITHMS = ("none", "rigl", "set", "gmp", "gmp_global", "imp", "imp_global")
DROP_SCHEDULES = ("constant", "linear", "cosine", "lr_scaled")
SET_DROP_RULES = ("magnitude", "sign")




def _is_int(x: Any) -> bool:
  return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _fail(field: str, allowed: str, value: Any) -> None:
  text = repr(value)
  text = text if len(text) <= 60 else text[:57] + "..."
  raise ValueError(f"{field} must be {allowed}, got {text}")


def _choice(allowed: tuple[str, ...]) -> Callable[[str, Any], None]:
  def check(field: str, value: Any) -> None:
    if not isinstance(value, str) or value not in allowed:
      _fail(field, f"one of {', '.join(allowed)}", value)
  return check


def _int_at_least(low: int) -> Callable[[str, Any], None]:
  def check(field: str, value: Any) -> None:
    if not _is_int(value) or value < low:
      _fail(field, f"an integer >= {low}", value)
  return check


def _in_unit_interval_open_left(field: str, value: Any) -> None:
  ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
        and 0.0 < value <= 1.0)  # NaN fails too
  if not ok:
    _fail(field, "a number in (0, 1]", value)


def _bool(field: str, value: Any) -> None:
  if not isinstance(value, bool):
    _fail(field, "True or False", value)


# One check per DST field of the training config (`config.dst`), by name.
_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "algorithm": _choice(ALGORITHMS),
    "delta_t": _int_at_least(0),          # 0: once per epoch
    "t_start": _int_at_least(0),
    "t_end_fraction": _in_unit_interval_open_left,
    "drop_fraction": _in_unit_interval_open_left,
    "drop_schedule": _choice(DROP_SCHEDULES),
    "set_drop_rule": _choice(SET_DROP_RULES),
    "skip_optimizer_step": _bool,
}


def check_field(field: str, value: Any, prefix: str = "") -> None:
  """Raises one line (`{prefix}{field} must be ..., got ...`) unless `value`
  is allowed for the DST field `field` (a name of `config.dst`)."""
  _CHECKS[field](prefix + field, value)


def check_config(dst: Mapping[str, Any], prefix: str = "dst.") -> None:
  """Checks every DST field of a training config (`config.dst`), in order.

  Raises:
    ValueError: one line naming the first bad field (`dst.drop_fraction`).
  """
  for field in _CHECKS:
    check_field(field, dst[field], prefix)


@dataclasses.dataclass(frozen=True)
class DSTConfig:
  """Configuration of RigL / SET mask updates.

  Attributes:
    algorithm: "none" (static sparse), "rigl" or "set"; or a pruning
      baseline of `psn_jax.dst.prune`: "gmp" / "gmp_global" (Zhu & Gupta's
      cubic schedule from `t_start` to the last update step, per layer or one
      global ranking) or "imp" / "imp_global" (iterative magnitude pruning,
      `drop_fraction` of the remaining weights per round of `delta_t` steps,
      rewinding to the weights after `t_start` steps).
    delta_t: steps between mask updates (RigL's Delta T; SET's authors rewire
      once per epoch, i.e. `delta_t = steps_per_epoch`).
    t_start: first step that may update (inclusive). Step 0 never updates,
      whatever `t_start` is: the initial mask gets at least `delta_t` steps of
      training before it is first rewired, as with SET's authors (who rewire
      after each epoch) and unlike the RigL and jaxpruner code (which also
      update at step 0).
    t_end: last step that may update (inclusive); also the `T_end` of the
      cosine and linear schedules. The engine sets it (e.g. 75% of training for
      RigL, all of training for SET).
    drop_fraction: alpha (RigL) / zeta (SET), in (0, 1]: 0 would rewire
      nothing (use algorithm "none"), 1 rewires every active weight (the
      schedules decay from it).
    drop_schedule: "constant", "linear", "cosine" or "lr_scaled"; see
      `drop_fraction_fn`.
    set_drop_rule: "magnitude" (smallest `|w|`, as RigL and jaxpruner) or "sign"
      (SET's authors: zeta of the non-negative and zeta of the negative
      weights, each closest to 0). Only used by SET.
    skip_optimizer_step: if True the engine takes no optimizer step on a
      mask-update step (as the RigL and jaxpruner reference code). Read by the
      engine; the update functions never take an optimizer step.
  """

  algorithm: str = "none"
  delta_t: int = 100
  t_start: int = 0
  t_end: int = 0
  drop_fraction: float = 0.3
  drop_schedule: str = "cosine"
  set_drop_rule: str = "magnitude"
  skip_optimizer_step: bool = True

  def __post_init__(self) -> None:
    self.validate()

  def validate(self) -> None:
    """Raises `ValueError` (one line naming the field) on a bad field.

    Runs when the config is made (and on `dataclasses.replace`), so a
    `DSTConfig` that exists is valid. The fields it shares with `config.dst`
    are checked by the same `check_field` as `check_config`.
    """
    for field in ("algorithm", "t_start", "drop_fraction", "drop_schedule",
                  "set_drop_rule", "skip_optimizer_step"):
      check_field(field, getattr(self, field))
    if not _is_int(self.delta_t) or self.delta_t < 1:
      _fail("delta_t", "an integer >= 1", self.delta_t)
    if not _is_int(self.t_end) or self.t_end < self.t_start:
      _fail("t_end", f"an integer >= t_start ({self.t_start})", self.t_end)
    if self.algorithm != "none" and self.t_end < 1:
      _fail("t_end", f">= 1 when algorithm is {self.algorithm!r}", self.t_end)

  @classmethod
  def from_config(cls, config: Any, steps_per_epoch: int) -> "DSTConfig":
    """The DST plan in steps from a training config's `dst` fields.

    `check_config(config.dst)` first (the validator `psn_jax.config.validate`
    uses too); then `delta_t = dst.delta_t` (0: once per epoch,
    `steps_per_epoch`), `t_end = int(dst.t_end_fraction * total)` with
    `total = steps_per_epoch * num_epochs`, every other field as it is.

    Args:
      config: a `psn_jax.config` ConfigDict (fields `dst.*`, `num_epochs`).
      steps_per_epoch: training steps per epoch.

    Raises:
      ValueError: one line naming the bad field.
    """
    d = config.dst
    check_config(d)
    total = steps_per_epoch * config.num_epochs
    return cls(
        algorithm=d.algorithm,
        delta_t=d.delta_t or steps_per_epoch,
        t_start=d.t_start,
        t_end=int(d.t_end_fraction * total),
        drop_fraction=d.drop_fraction,
        drop_schedule=d.drop_schedule,
        set_drop_rule=d.set_drop_rule,
        skip_optimizer_step=d.skip_optimizer_step)


def drop_fraction_fn(cfg: DSTConfig,
                     lr_schedule: Schedule | None = None) -> Callable[[Any], jax.Array]:
  """The drop fraction as a pure function of the integer step (optax style).

  With `alpha = cfg.drop_fraction`, `T = cfg.t_end`, `T0 = cfg.t_start` and
  the integer step `t`:
    * "constant": `alpha`;
    * "linear": `alpha * (1 - t / T)` (absolute step);
    * "cosine": `alpha / 2 * (1 + cos(pi * (t - T0) / (T - T0)))` (Evci et al.
      2020, sec. 3): alpha at `t_start`, 0 at `t_end`, decaying over the update
      window (with `T - T0` taken as 1 when `T == T0`). RigL's TF1 code passes
      the same `decay_steps = end - begin` to `tf.train.cosine_decay`; it
      evaluates it at the absolute step, which is this schedule when `begin`
      is 0 (the paper's runs) but, for `begin > 0`, reaches 0 at step
      `end - begin` and stays there until `end`. We decay from `begin`, as the
      `end - begin` span intends;
    * "lr_scaled": `alpha * lr(t) / lr(0)` (RigL's TF2 `ScaledLR`).
  The value is float32, clipped to [0, 1] (lr_scaled can exceed 1 when the
  learning rate rises), and 0 outside `[t_start, t_end]`. It is not forced to 0
  on steps that are not update steps; `is_update_step` decides those.

  Args:
    cfg: the DST configuration.
    lr_schedule: the learning-rate schedule (callable of the step, or a float);
      required for "lr_scaled", ignored otherwise.

  Returns:
    `fn(step) -> float32 scalar`, jit-compatible with a traced step.

  Raises:
    ValueError: on a missing / non-positive `lr(0)` for "lr_scaled".
  """
  alpha = float(cfg.drop_fraction)
  t_end = float(max(cfg.t_end, 1))
  t_start = float(cfg.t_start)
  span = float(max(cfg.t_end - cfg.t_start, 1))
  schedule = cfg.drop_schedule
  lr0 = 1.0
  if schedule == "lr_scaled":
    if lr_schedule is None:
      raise ValueError(
          "lr_schedule must be given when drop_schedule is 'lr_scaled', got None")
    lr0 = float(lr_schedule(0)) if callable(lr_schedule) else float(lr_schedule)
    if not lr0 > 0.0:
      raise ValueError(
          f"lr_schedule(0) must be > 0 for drop_schedule 'lr_scaled', got {lr0}")

  def fn(step: Any) -> jax.Array:
    step = jnp.asarray(step, jnp.int32)
    t = step.astype(jnp.float32)
    if schedule == "constant":
      f = jnp.full((), alpha, jnp.float32)
    elif schedule == "linear":
      f = alpha * (1.0 - t / t_end)
    elif schedule == "cosine":
      f = 0.5 * alpha * (1.0 + jnp.cos(jnp.float32(math.pi) * (t - t_start) / span))
    else:
      lr = lr_schedule(step) if callable(lr_schedule) else lr_schedule
      f = alpha * jnp.asarray(lr, jnp.float32) / lr0
    in_window = (step >= cfg.t_start) & (step <= cfg.t_end)
    return jnp.where(in_window, jnp.clip(f, 0.0, 1.0), 0.0).astype(jnp.float32)

  return fn


def is_update_step(step: Any, cfg: DSTConfig) -> jax.Array:
  """Whether `step` rewires the masks.

  True iff `cfg.algorithm != "none"`, `step > 0`, `t_start <= step <= t_end`
  and `step % delta_t == 0` (as jaxpruner and RigL's TF2 code: multiples of
  `delta_t` counted from step 0, not from `t_start`).

  Args:
    step: the 0-based index of the current batch (int, or traced int32).
    cfg: the DST configuration.

  Returns:
    A bool scalar array; jit-compatible.
  """
  step = jnp.asarray(step, jnp.int32)
  if cfg.algorithm == "none":
    return jnp.zeros((), jnp.bool_)
  return ((step > 0) & (step >= cfg.t_start) & (step <= cfg.t_end)
          & (step % cfg.delta_t == 0))
