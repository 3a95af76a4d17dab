"""Dey et al.'s patterns: the basic biregular sampler and clash-free interleavers.

Dey, Huang, Beerel, Chugg (arXiv 1711.02131, 1812.01164). Their generator makes
random, basic and clash-free patterns; these are the last two (random is
`erdos_renyi`).
"""

from __future__ import annotations

import jax
import numpy as np

from psn_jax.graphs.checks import (biregular_fan_in, check_dims, int_in,
                                   positive_int)
from psn_jax.utils import numpy_rng

__all__ = ["ADDRESS_TYPES", "dey_basic", "clash_free_interleaver",
           "interleaver_mask", "clash_free_cycles", "is_clash_free",
           "dey_clash_free"]


ADDRESS_TYPES: tuple[int, ...] = (1, 2, 3)


def dey_basic(key: jax.Array, n_in: int, n_out: int, *, d_out: int) -> np.ndarray:
  """Dey et al.'s "basic" random biregular sampler (note section 2.1).

  Outputs (Dey's rows, right neurons) are filled in order `j = 0..n_out-1`.
  Output `j` takes `d_in` distinct inputs, drawn uniformly without replacement
  among the inputs whose out-degree is still below `d_out`, except that inputs
  that must be taken now are forced in first.

  Our exact forcing rule, where the note says only "for the last `d_out` rows,
  left neurons that still lack connections are forced in first": with `R` rows
  left (this one included), an input whose remaining capacity equals `R` is
  forced; this can only happen in the last `d_out` rows. It is the minimal
  forcing that keeps the greedy feasible, and it is enough: by Gale-Ryser, `R`
  rows of `d_in` can absorb capacities `c_l` iff `max c_l <= R` and
  `sum c_l = R d_in`. That invariant holds initially (`d_out <= n_out`) and
  after every row (forced inputs drop to `R - 1`; at most `d_in` can be forced
  since `F R <= R d_in`; at least `d_in` inputs have capacity left). So the
  sampler never gets stuck, never repeats an edge, and needs no retry.

  The law is not uniform over biregular graphs (sequential greedy samplers are
  biased); use `random_biregular(..., method="rejection")` when that matters.

  Args:
    key: JAX PRNG key.
    n_in: number of inputs (Dey's `p`).
    n_out: number of outputs (Dey's `n`).
    d_out: out-degree of every input, in [1, n_out]; `n_in * d_out / n_out`
      must be an integer.

  Returns:
    `bool[n_in, n_out]` mask with row sums `d_out` and column sums `d_in`.

  Raises:
    ValueError: on bad sizes or degrees.
  """
  n_in, n_out = check_dims(n_in, n_out)
  d_out, d_in = biregular_fan_in(n_in, n_out, d_out)
  rng = numpy_rng(key)
  capacity = np.full(n_in, d_out, dtype=np.int64)
  rows = np.zeros((n_out, n_in), dtype=bool)  # Dey's layout, transposed at the end
  for j in range(n_out):
    rows_left = n_out - j
    forced = np.flatnonzero(capacity == rows_left)
    free = np.flatnonzero((capacity > 0) & (capacity < rows_left))
    drawn = rng.choice(free, size=d_in - forced.size, replace=False)
    rows[j, forced] = True
    rows[j, drawn] = True
    capacity[forced] -= 1
    capacity[drawn] -= 1
  return np.ascontiguousarray(rows.T)


# ------------------------------------------------------------ Dey clash-free


def clash_free_interleaver(
  key: jax.Array,
  n_in: int,
  d_out: int,
  z: int,
  *,
  address_type: int = 1,
  dither: bool = False,
) -> np.ndarray:
  """Dey et al.'s clash-free memory-bank interleaver (note section 2.2).

  Hardware model: the `n_in = p` input activations sit in `z` banks of depth
  `D = p / z` (input `l` in bank `l mod z` at address `l // z`); the
  `p * d_out` edges are processed in output order, `z` per cycle.

  Construction, `d_out` sweeps `s = 0..d_out-1` of `p` positions each. Within a
  sweep, position `r * z + m` (cycle `r < D`, slot `m < z`) gets an address
  `t[r, m]` and a bank `v[r, m]`:

  * address type 1: bank slot `m` gets its own uniform permutation of `0..D-1`,
    redrawn every sweep;
  * type 2: slot `m` gets a uniform start `a_m` and `t[r, m] = (a_m + r) mod D`,
    redrawn every sweep;
  * type 3: as type 2, drawn once and reused for every sweep.

  Banks are `v[r, m] = m`, or with `dither` `v[r, m] = sigma(m)` for a uniform
  bank permutation `sigma`, fixed within a sweep and redrawn per sweep (drawn
  once for type 3). The input at that position is `t z + v` and the entry is
  `(t z + v) d_out + s` (edge `s` of that input). Sweeps are concatenated.

  Each sweep visits every input exactly once, so the result is a permutation of
  `0..p d_out - 1`; each cycle's banks are `sigma`, a permutation of `0..z-1`,
  so it is clash-free by construction. Random draws per sweep: the addresses
  (type 1: one permutation per slot, vectorised; type 2: `z` starts), then
  `sigma`.

  Args:
    key: JAX PRNG key.
    n_in: number of inputs `p`; `z` must divide it.
    d_out: out-degree of every input (number of sweeps), >= 1.
    z: number of memory banks (edges per clock cycle), in [1, n_in].
    address_type: 1, 2 or 3.
    dither: whether to permute the banks (memory dither).

  Returns:
    `int64[n_in * d_out]` permutation `pi`; position `i` is an edge of output
    `i // d_in` and of input `pi[i] // d_out`.

  Raises:
    ValueError: on bad sizes, `z` not dividing `n_in`, or an unknown type.
  """
  n_in = positive_int("n_in", n_in)
  d_out = positive_int("d_out", d_out)
  z = int_in("z", z, 1, n_in)
  if n_in % z:
    raise ValueError(
      f"z must divide n_in (z banks of depth n_in / z), got n_in={n_in}, z={z}"
    )
  if isinstance(address_type, (bool, np.bool_)) or address_type not in ADDRESS_TYPES:
    raise ValueError(
      f"address_type must be one of {ADDRESS_TYPES}, got {address_type!r}"
    )
  if not isinstance(dither, (bool, np.bool_)):
    raise ValueError(f"dither must be True or False, got {dither!r}")
  depth = n_in // z
  rng = numpy_rng(key)
  cycle = np.arange(depth)[:, None]  # r

  def type2_addresses() -> np.ndarray:
    starts = rng.integers(depth, size=z)
    return (starts[None, :] + cycle) % depth

  def banks() -> np.ndarray:
    return rng.permutation(z) if dither else np.arange(z)

  if address_type == 3:
    fixed_t, fixed_v = type2_addresses(), banks()
  sweeps = []
  for s in range(d_out):
    if address_type == 1:
      t = rng.permuted(np.broadcast_to(cycle, (depth, z)), axis=0)
      v = banks()
    elif address_type == 2:
      t = type2_addresses()
      v = banks()
    else:
      t, v = fixed_t, fixed_v
    inputs = t * z + v[None, :]  # (D, z), row-major = position r * z + m
    sweeps.append(inputs.ravel() * d_out + s)
  return np.concatenate(sweeps).astype(np.int64)


def interleaver_mask(interleaver: np.ndarray, n_in: int, n_out: int) -> np.ndarray:
  """The layer mask of an interleaver: position `i` joins output `i // d_in`
  and input `interleaver[i] // d_out` (note section 2.2, step 5).

  Unlike the authors' code, which writes 1 and so silently merges repeated
  edges, a repeated edge is an error here.

  Args:
    interleaver: permutation of `0..n_in * d_out - 1`.
    n_in: number of inputs `p`.
    n_out: number of outputs `n`.

  Returns:
    `bool[n_in, n_out]` mask.

  Raises:
    ValueError: if the length is not `n_in * d_out` with integer `d_in`, the
      entries are not a permutation, or an edge repeats.
  """
  n_in, n_out = check_dims(n_in, n_out)
  pi = np.asarray(interleaver)
  if pi.ndim != 1 or pi.size == 0 or pi.size % n_in or pi.size % n_out:
    raise ValueError(
      "interleaver length must be a positive multiple of n_in and n_out, got "
      f"shape {pi.shape} for n_in={n_in}, n_out={n_out}"
    )
  d_out, d_in = pi.size // n_in, pi.size // n_out
  if not np.array_equal(np.sort(pi), np.arange(pi.size)):
    raise ValueError(f"interleaver must be a permutation of 0..{pi.size - 1}")
  inputs = pi // d_out
  outputs = np.arange(pi.size) // d_in
  mask = np.zeros((n_in, n_out), dtype=bool)
  mask[inputs, outputs] = True
  if mask.sum() != pi.size:
    raise ValueError(
      f"interleaver repeats {pi.size - int(mask.sum())} edges (d_in={d_in} must "
      f"divide n_in={n_in}, or the edges of one output straddle two sweeps)"
    )
  return mask


def clash_free_cycles(interleaver: np.ndarray, z: int, n_in: int) -> np.ndarray:
  """The banks read in each clock cycle: `int[n_edges / z, z]`.

  Cycle `c` processes positions `c z .. c z + z - 1` (output order); position
  `i` reads input `interleaver[i] // d_out`, which lives in bank
  `(interleaver[i] // d_out) mod z`, with `d_out = len(interleaver) / n_in`.

  Args:
    interleaver: permutation of `0..n_in * d_out - 1`.
    z: number of banks.
    n_in: number of inputs.

  Returns:
    Bank indices, one row per cycle.

  Raises:
    ValueError: if the length is not a multiple of `n_in` and `z`.
  """
  n_in = positive_int("n_in", n_in)
  z = positive_int("z", z)
  pi = np.asarray(interleaver)
  if pi.ndim != 1 or pi.size == 0 or pi.size % n_in or pi.size % z:
    raise ValueError(
      "interleaver length must be a positive multiple of n_in and z, got "
      f"shape {pi.shape} for n_in={n_in}, z={z}"
    )
  d_out = pi.size // n_in
  return ((pi // d_out) % z).reshape(-1, z)


def is_clash_free(interleaver: np.ndarray, z: int, n_in: int) -> bool:
  """Whether every cycle of `z` consecutive edges reads `z` distinct banks.

  Args:
    interleaver: permutation of `0..n_in * d_out - 1`.
    z: number of banks.
    n_in: number of inputs.

  Returns:
    True iff each row of `clash_free_cycles(interleaver, z, n_in)` is a
    permutation of `0..z-1`.
  """
  cycles = clash_free_cycles(interleaver, z, n_in)
  return bool(np.all(np.sort(cycles, axis=1) == np.arange(cycles.shape[1])))


def dey_clash_free(
  key: jax.Array,
  n_in: int,
  n_out: int,
  *,
  d_out: int,
  z: int,
  address_type: int = 1,
  dither: bool = False,
  return_interleaver: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
  """Dey et al.'s clash-free biregular layer (note section 2.2).

  The mask of `clash_free_interleaver(key, n_in, d_out, z, ...)`: position `i`
  of the interleaver joins output `i // d_in` to input `pi[i] // d_out`.

  Refused combinations (each would make the hardware model or the degrees
  wrong; the authors' code silently merges repeated edges instead):
  `d_in = n_in d_out / n_out` not an integer; `z` not dividing `n_in`; `d_in`
  not dividing `n_in`. The last one is the note's caveat: then one output's
  `d_in` edges can straddle two sweeps and pick the same input twice (93% of
  draws for p=8, d_out=3, n=4, z=4). With `d_in | n_in` each output's edges
  lie inside one sweep, which visits every input once, so edges never repeat
  and the degrees are exact.

  Args:
    key: JAX PRNG key.
    n_in: number of inputs `p`.
    n_out: number of outputs `n`.
    d_out: out-degree of every input, in [1, n_out].
    z: number of memory banks (edges per clock cycle), dividing `n_in`.
    address_type: 1, 2 or 3 (see `clash_free_interleaver`).
    dither: whether to permute the banks per sweep.
    return_interleaver: also return the interleaver permutation.

  Returns:
    `bool[n_in, n_out]` mask with row sums `d_out` and column sums `d_in`, or
    `(mask, interleaver)` if `return_interleaver`.

  Raises:
    ValueError: on any refused combination or bad argument.
  """
  n_in, n_out = check_dims(n_in, n_out)
  d_out, d_in = biregular_fan_in(n_in, n_out, d_out)
  if n_in % d_in:
    raise ValueError(
      f"d_in = n_in * d_out / n_out = {d_in} must divide n_in = {n_in} for a "
      "clash-free layer (else an output's edges straddle two sweeps and can repeat)"
    )
  pi = clash_free_interleaver(
    key, n_in, d_out, z, address_type=address_type, dither=dither
  )
  mask = interleaver_mask(pi, n_in, n_out)
  return (mask, pi) if return_interleaver else mask
