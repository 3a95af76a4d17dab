"""Exact selection for RigL / SET: random tie-break priorities and a radix
select of the k smallest keys with a traced k (no sort, no static `top_k`)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import jax
import jax.numpy as jnp
from jax import lax

try:  # the threefry primitive, to draw only the counters a layer uses
  from jax.extend.random import threefry2x32_p as _threefry2x32_p
except ImportError:  # pragma: no cover - other JAX versions: full-width draw
  _threefry2x32_p = None

__all__ = ["COUNT_TOLERANCE", "tie_break_priorities"]


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
