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

All functions work on one seed; the caller `jax.vmap`s them over seeds with an
unbatched `step`. None of them takes an optimizer step.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Sequence, Union

import jax
import jax.numpy as jnp
from jax import lax

try:  # the threefry primitive, to draw only the counters a layer uses
  from jax.extend.random import threefry2x32_p as _threefry2x32_p
except ImportError:  # pragma: no cover - other JAX versions: full-width draw
  _threefry2x32_p = None

PyTree = Any
Schedule = Union[float, Callable[[Any], Any]]

ALGORITHMS = ("none", "rigl", "set")
DROP_SCHEDULES = ("constant", "linear", "cosine", "lr_scaled")
SET_DROP_RULES = ("magnitude", "sign")


@dataclasses.dataclass(frozen=True)
class DSTConfig:
  """Configuration of RigL / SET mask updates.

  Attributes:
    algorithm: "none" (static sparse), "rigl" or "set".
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
    drop_fraction: alpha (RigL) / zeta (SET), in [0, 1].
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

  def validate(self) -> None:
    """Raises `ValueError` (one line) on a bad field."""
    if self.algorithm not in ALGORITHMS:
      raise ValueError(
          f"algorithm must be one of {ALGORITHMS}, got {self.algorithm!r}")
    if self.drop_schedule not in DROP_SCHEDULES:
      raise ValueError(
          f"drop_schedule must be one of {DROP_SCHEDULES}, got {self.drop_schedule!r}")
    if self.set_drop_rule not in SET_DROP_RULES:
      raise ValueError(
          f"set_drop_rule must be one of {SET_DROP_RULES}, got {self.set_drop_rule!r}")
    if not isinstance(self.delta_t, int) or self.delta_t < 1:
      raise ValueError(f"delta_t must be an int >= 1, got {self.delta_t!r}")
    if not isinstance(self.t_start, int) or self.t_start < 0:
      raise ValueError(f"t_start must be an int >= 0, got {self.t_start!r}")
    if not isinstance(self.t_end, int) or self.t_end < self.t_start:
      raise ValueError(
          f"t_end must be an int >= t_start ({self.t_start}), got {self.t_end!r}")
    if self.algorithm != "none" and self.t_end < 1:
      raise ValueError(
          f"t_end must be >= 1 when algorithm is {self.algorithm!r}, got {self.t_end}")
    if (not isinstance(self.drop_fraction, (int, float))
        or not 0.0 <= self.drop_fraction <= 1.0):
      raise ValueError(f"drop_fraction must be in [0, 1], got {self.drop_fraction}")
    if not isinstance(self.skip_optimizer_step, bool):
      raise ValueError(
          f"skip_optimizer_step must be a bool, got {self.skip_optimizer_step!r}")


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
    cfg: the DST configuration (validated here).
    lr_schedule: the learning-rate schedule (callable of the step, or a float);
      required for "lr_scaled", ignored otherwise.

  Returns:
    `fn(step) -> float32 scalar`, jit-compatible with a traced step.

  Raises:
    ValueError: on a bad config, or a missing / non-positive `lr(0)` for
      "lr_scaled".
  """
  cfg.validate()
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
    cfg: the DST configuration (validated here).

  Returns:
    A bool scalar array; jit-compatible.
  """
  cfg.validate()
  step = jnp.asarray(step, jnp.int32)
  if cfg.algorithm == "none":
    return jnp.zeros((), jnp.bool_)
  return ((step > 0) & (step >= cfg.t_start) & (step <= cfg.t_end)
          & (step % cfg.delta_t == 0))


def tie_break_priorities(
    key: jax.Array, step: Any,
    shapes: Sequence[Sequence[int]]) -> list[tuple[jax.Array, jax.Array]]:
  """Random secondary sort keys for the drop and grow selections of each layer.

  Layer `i` (the `i`-th kernel leaf, `ndim >= 2`, in `jax.tree.leaves(masks)`
  order; biases are not counted) gets the key `fold_in(fold_in(key, step), i)`.
  With it, uniform uint32 bits of shape `(2, width)` are drawn, `width` the
  largest layer size; row 0 truncated to the layer's size is its drop priority,
  row 1 its grow priority. All layers are drawn in one batched call, so the
  number of threefry calls (slow to compile on CPU) does not grow with depth.

  Selections sort by (score, priority, flat index): among equal scores the
  entry with the *lower* priority is dropped first / grown first; the flat index
  only orders the rare equal priorities, so the order is strict and untied
  scores are never reordered. SET grows in increasing grow priority, i.e.
  uniformly at random among the candidates.

  Args:
    key: the per-seed PRNG key (typed or raw).
    step: the (possibly traced) integer step.
    shapes: the kernel shapes, in `jax.tree.leaves(masks)` order.
      Priorities depend on the largest shape too (through `width`).

  Returns:
    One `(drop_priority, grow_priority)` pair of uint32 arrays per shape.
  """
  shapes = [tuple(int(d) for d in shape) for shape in shapes]
  if not shapes:
    return []
  width = max(math.prod(shape) for shape in shapes)
  step_key = jax.random.fold_in(key, step)
  layer_keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(
      step_key, jnp.arange(len(shapes), dtype=jnp.uint32))
  if _counter_bits_available(layer_keys):
    return _priorities_from_counters(layer_keys, shapes, width)
  bits = jax.vmap(lambda k: jax.random.bits(k, (2, width), jnp.uint32))(layer_keys)
  out = []
  for i, shape in enumerate(shapes):
    size = math.prod(shape)
    out.append((bits[i, 0, :size].reshape(shape), bits[i, 1, :size].reshape(shape)))
  return out


def _counter_bits_available(keys: jax.Array) -> bool:
  """Whether `_priorities_from_counters` reproduces `jax.random.bits` here.

  It does for threefry keys (raw uint32 or typed) under
  `jax_threefry_partitionable` (the default since JAX 0.5), where element `f`
  (flat index) of `bits(k, shape)` is `x1 ^ x2` of `threefry2x32(k, (0, f))`.
  """
  if _threefry2x32_p is None or not getattr(
      jax.config, "jax_threefry_partitionable", True):
    return False
  if jnp.issubdtype(keys.dtype, jax.dtypes.prng_key):
    return str(jax.random.key_impl(keys)) == "threefry2x32"
  return (keys.dtype == jnp.uint32 and keys.shape[-1:] == (2,)
          and getattr(jax.config, "jax_default_prng_impl", "threefry2x32")
          == "threefry2x32")


def _priorities_from_counters(layer_keys: jax.Array, shapes: Sequence[tuple[int, ...]],
                              width: int) -> list[tuple[jax.Array, jax.Array]]:
  """The priorities of `tie_break_priorities`, bit for bit, drawing only the
  `2 * size` words each layer uses instead of `2 * width` (threefry is the
  update's largest cost on CPU; with a 784-300-100-10 MLP this is 2.6x fewer)."""
  if jnp.issubdtype(layer_keys.dtype, jax.dtypes.prng_key):
    layer_keys = jax.random.key_data(layer_keys)
  out = []
  for i, shape in enumerate(shapes):
    size = math.prod(shape)
    # Row r, column j of the (2, width) draw is flat counter r * width + j.
    counters = jnp.concatenate([lax.iota(jnp.uint32, size),
                                jnp.uint32(width) + lax.iota(jnp.uint32, size)])
    x1, x2 = _threefry2x32_p.bind(
        layer_keys[i, 0], layer_keys[i, 1], jnp.zeros_like(counters), counters)
    bits = x1 ^ x2
    out.append((bits[:size].reshape(shape), bits[size:].reshape(shape)))
  return out


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


# Bit patterns of float32 +inf and of the one key every NaN gets (above +inf).
_INF_BITS = 0x7F800000
_NAN_KEY = 0x7F800001


def _ascending_key(x: jax.Array) -> jax.Array:
  """uint32 key (< 2**31) ordering `|x|` ascending, exactly and bitwise.

  For non-negative float32 the IEEE bit pattern is monotone in the value; `abs`
  clears the sign bit, so -0.0 and 0.0 get the same key. Denormals are ordered
  by value (not flushed to 0). All NaNs share one key above +inf, so they come
  last, as in `lax.sort`.
  """
  a = jnp.abs(x.astype(jnp.float32))
  bits = lax.bitcast_convert_type(a, jnp.uint32)
  return jnp.where(jnp.isnan(a), jnp.uint32(_NAN_KEY), bits)


def _descending_key(x: jax.Array) -> jax.Array:
  """uint32 key (< 2**31) ordering `|x|` descending; NaNs still come last."""
  bits = _ascending_key(x)
  return jnp.where(bits == _NAN_KEY, jnp.uint32(_NAN_KEY),
                   jnp.uint32(_INF_BITS) - bits)


# Bits of the key decided per pass of a selection: a pass compares every entry
# with 2**b - 1 thresholds at once (one read of the key for b bits). One bit
# per pass is cheapest where compares cost more than reading memory (CPU, data
# in cache); on accelerators each pass is a kernel launch and a read of S x n
# keys, so fewer, wider passes win. The selection is the same for any b.
_DIGIT_BITS = {"cpu": 1}
_DEFAULT_DIGIT_BITS = 4


def _digit_bits() -> int:
  return _DIGIT_BITS.get(jax.default_backend(), _DEFAULT_DIGIT_BITS)


def _merge_keys(keys: Sequence[tuple[jax.Array, int]]) -> list[tuple[jax.Array, int]]:
  """Packs adjacent keys into one uint32 while their bits fit (same order)."""
  merged: list[tuple[jax.Array, int]] = []
  for key, n_bits in keys:
    n_bits = int(n_bits)
    if not 0 <= n_bits <= 32:
      raise ValueError(f"n_bits must be in [0, 32], got {n_bits}")
    key = key.astype(jnp.uint32)
    if merged and merged[-1][1] + n_bits <= 32:
      high, high_bits = merged[-1]
      if n_bits:
        key = jnp.left_shift(high, jnp.uint32(n_bits)) | key
      else:
        key = high
      merged[-1] = (key, high_bits + n_bits)
    else:
      merged.append((key, n_bits))
  return merged


def _smallest_k(keys: Sequence[tuple[jax.Array, int]], k: jax.Array,
                digit_bits: int | None = None) -> jax.Array:
  """The `k` entries smallest under the lexicographic order of (*keys, index).

  An exact radix select, with no sort. Adjacent keys whose bits fit in 32 are
  packed into one (e.g. a 1-bit flag and a 31-bit magnitude), then keys are
  taken from the most significant. For each key, the smallest value `v` with
  `count(candidates & (key <= v)) >= k_remaining` is found `digit_bits` bits at
  a time from the top (one vectorised compare-and-count of the `2**b - 1`
  thresholds per pass); candidates with `key < v` are selected, those with
  `key == v` stay candidates for the next key, and `k_remaining` drops by the
  number selected. Early exits, which change no selection: a key's passes stop
  once `k_remaining` is 0, and when the remaining candidates number exactly
  `k_remaining` they are all selected and no later key is read (so the
  tie-break keys cost nothing when there is no tie at the boundary). The last
  key is the flat index (unique), so exactly `k` entries are selected. jit- and
  vmap-compatible (keys and `k` may be batched; under `vmap` a loop runs until
  every batch member is done).

  Args:
    keys: `(key, n_bits)` pairs, most significant first; `key` a 1-D uint32
      array of length `n` whose values are below `2**n_bits` (`n_bits <= 32`).
    k: int32 scalar (possibly traced), `0 <= k <= n`.
    digit_bits: bits decided per pass (>= 1); default by backend
      (`_digit_bits`). The result does not depend on it.

  Returns:
    Bool array of length `n` with exactly `k` True entries.
  """
  n = keys[0][0].shape[0]
  b = _digit_bits() if digit_bits is None else int(digit_bits)
  if b < 1:
    raise ValueError(f"digit_bits must be >= 1, got {b}")
  index = lax.iota(jnp.uint32, n)
  layout = _merge_keys(list(keys) + [(index, max(n - 1, 0).bit_length())])
  candidates = jnp.ones((n,), jnp.bool_)
  selected = jnp.zeros((n,), jnp.bool_)
  k_left = jnp.asarray(k, jnp.int32)
  # All n entries are candidates: exactly k_left == n selects them all.
  all_in = k_left == n
  selected, k_left = selected | all_in, jnp.where(all_in, 0, k_left)
  levels = jnp.arange(1, 2**b, dtype=jnp.uint32)        # digit values 1..2^b-1
  for key, n_bits in layout:
    n_digits = -(-n_bits // b)

    def cond(carry, n_digits=n_digits, k_left=k_left):
      d, _ = carry
      return (d < n_digits) & (k_left > 0)

    def body(carry, key=key, n_bits=n_bits, candidates=candidates,
             k_left=k_left):
      # Digit d covers bits [low, low + b) counted from the top of n_bits;
      # the top digit may be narrower. Thresholds: v's bits above, digit value
      # j - 1 (j = 1..2^b-1), ones below: count(key <= threshold_j) is
      # cumulative in j, so the answer's digit is the number of j whose count
      # falls short of k_left.
      d, v = carry
      low = jnp.maximum(n_bits - (d + 1) * b, 0).astype(jnp.uint32)
      width = (n_bits - d * b).astype(jnp.uint32) - low
      below = jnp.left_shift(jnp.uint32(1), low) - jnp.uint32(1)
      in_range = levels < jnp.left_shift(jnp.uint32(1), width)
      thresholds = v | jnp.left_shift(levels - 1, low) | below
      counts = jnp.sum(candidates[None, :] & (key[None, :] <= thresholds[:, None]),
                       axis=1, dtype=jnp.int32)
      digit = jnp.sum(in_range & (counts < k_left), dtype=jnp.uint32)
      return d + 1, v | jnp.left_shift(digit, low)

    _, v = lax.while_loop(cond, body, (jnp.zeros((), jnp.int32),
                                       jnp.zeros((), jnp.uint32)))
    below = candidates & (key < v)
    selected = selected | below
    k_left = k_left - jnp.sum(below, dtype=jnp.int32)
    candidates = candidates & (key == v)
    # The remaining candidates (tied on every key so far) are exactly the ones
    # still needed: take them all, read no further key.
    all_in = jnp.sum(candidates, dtype=jnp.int32) == k_left
    selected = selected | (candidates & all_in)
    k_left = jnp.where(all_in, 0, k_left)
    candidates = candidates & ~all_in
  # At most one candidate remains (the index is unique); k_left is 0 or 1.
  return selected | (candidates & (k_left > 0))


# Relative slack in `floor(f * n)`: float32 schedules are off by an ulp or two
# (XLA turns `t / T` into `t * (1 / T)` under jit, GPU division and cos are not
# correctly rounded), which would turn an exact 0.25 * 4 into 0.99999994 * 1.
COUNT_TOLERANCE = 2.0**-20


def _floor_count(f: jax.Array, n: jax.Array) -> jax.Array:
  """`floor(f * n * (1 + 2**-20))` in float32, clipped to [0, n], as int32."""
  x = f * n.astype(jnp.float32) * jnp.float32(1.0 + COUNT_TOLERANCE)
  return jnp.clip(jnp.floor(x).astype(jnp.int32), 0, n)


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
            by_sign: bool) -> tuple[PyTree, PyTree, PyTree]:
  """Shared drop-and-grow loop over the kernel leaves."""
  f = drop_fraction_fn(cfg, lr_schedule)(step)
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
                lr_schedule: Schedule | None = None) -> tuple[PyTree, PyTree, PyTree]:
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

  Returns:
    `(masks, params, opt_state)` after the update; shapes and dtypes unchanged.
  """
  return _rewire(key, step, masks, params, grads, opt_state, cfg, lr_schedule,
                 by_gradient=True, by_sign=False)


def set_update(key: jax.Array, step: Any, masks: PyTree, params: PyTree,
               grads: PyTree | None, opt_state: PyTree, cfg: DSTConfig,
               lr_schedule: Schedule | None = None) -> tuple[PyTree, PyTree, PyTree]:
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

  Returns:
    `(masks, params, opt_state)` after the update.
  """
  del grads
  return _rewire(key, step, masks, params, None, opt_state, cfg, lr_schedule,
                 by_gradient=False, by_sign=cfg.set_drop_rule == "sign")


def update(key: jax.Array, step: Any, masks: PyTree, params: PyTree,
           grads: PyTree | None, opt_state: PyTree, cfg: DSTConfig,
           lr_schedule: Schedule | None = None) -> tuple[PyTree, PyTree, PyTree]:
  """One mask update of `cfg.algorithm`: "rigl", "set", or "none" (identity).

  Args:
    key, step, masks, params, grads, opt_state, lr_schedule: as `rigl_update`
      (`grads` may be None unless the algorithm is "rigl").
    cfg: the DST configuration (validated here).

  Returns:
    `(masks, params, opt_state)`; for "none" the inputs themselves.

  Raises:
    ValueError: on a bad config.
  """
  cfg.validate()
  if cfg.algorithm == "rigl":
    return rigl_update(key, step, masks, params, grads, opt_state, cfg, lr_schedule)
  if cfg.algorithm == "set":
    return set_update(key, step, masks, params, grads, opt_state, cfg, lr_schedule)
  return masks, params, opt_state
