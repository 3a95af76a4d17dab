"""Single-layer bipartite graph makers: boolean layer masks of shape (n_in, n_out).

Every maker has the signature `(key, n_in, n_out, ...) -> np.ndarray` and returns
a `bool` array in the Flax `Dense` kernel layout: column `j` holds output neuron
`j`'s incoming connections, so its fan-in is `mask[:, j].sum()` and input `i`'s
out-degree is `mask[i].sum()`. Counts are exact and every draw is a pure function
of the key (host-side NumPy through `psn_jax.utils.numpy_rng`).

Notation of Dey et al. (arXiv 1711.02131, 1812.01164; research note
`topology-metrics.md` section 2.1): Dey's "left" neurons are our inputs
(`p = n_in`), "right" neurons are our outputs (`n = n_out`). Dey's `n x p`
adjacency matrix is the transpose of our mask. Every input has out-degree `d_out`
and every output fan-in `d_in`, with `p * d_out = n * d_in` and density
`d_out / n_out = d_in / n_in`.

Families (note section 3.5):

* `erdos_renyi`: uniform random positions with an exact count (SET's epsilon rule,
  Mocanu et al. 2018, or a density).
* `random_biregular`: configuration model with switch repair (or exact rejection).
* `dey_basic`: Dey's row-by-row "basic" biregular sampler.
* `dey_clash_free`: Dey's clash-free patterns from a memory-bank interleaver.
* `circulant`: Cayley / circulant-type structured graphs.
* `blocked`: block-diagonal windows, Dey's low-scatter contrast at the same
  degrees as a clash-free layer.

Also Dey's degree rules (`dey_exact_degrees`, `dey_padded_degrees`,
`dey_budget_degrees`: which densities a Dey layer can have, with the inputs
padded as the authors pad MNIST to 800) and `perturb`, which moves a fraction of
a layer's connections (Liu et al. 2020's nearly identical starts).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import jax
import numpy as np

from psn_jax.utils import numpy_rng

__all__ = [
  "TOPOLOGIES",
  "make_layer",
  "erdos_renyi",
  "random_biregular",
  "dey_basic",
  "dey_clash_free",
  "clash_free_interleaver",
  "interleaver_mask",
  "clash_free_cycles",
  "is_clash_free",
  "circulant",
  "blocked",
  "DEY_KINDS",
  "dey_exact_degrees",
  "dey_padded_degrees",
  "dey_budget_degrees",
  "dey_feasible_edges",
  "dey_layer",
  "perturb",
]

TOPOLOGIES: tuple[str, ...] = (
  "erdos_renyi",
  "random_biregular",
  "dey_basic",
  "dey_clash_free",
  "circulant",
  "blocked",
)

BIREGULAR_METHODS: tuple[str, ...] = ("switch", "rejection")
ADDRESS_TYPES: tuple[int, ...] = (1, 2, 3)
GENERATORS: tuple[str, ...] = ("random", "contiguous")

# method="rejection" is refused when (d - 1) * (d_in - 1) exceeds this: the
# configuration model is then simple with probability ~exp(-8) ~ 3e-4 or less.
_REJECTION_MAX_DEGREE_PRODUCT = 16
_REJECTION_MAX_TRIES = 100_000
# Random switch partners tried for one repeated edge before scanning all edges.
_REPAIR_RANDOM_TRIES = 200


# ----------------------------------------------------------------- validation


def _positive_int(name: str, value: Any) -> int:
  """Returns `value` as an int, or raises if it is not an integer >= 1."""
  if isinstance(value, (bool, np.bool_)) or not isinstance(
    value, (int, np.integer)
  ):
    raise ValueError(f"{name} must be a positive integer, got {value!r}")
  if value < 1:
    raise ValueError(f"{name} must be a positive integer, got {value!r}")
  return int(value)


def _int_in(name: str, value: Any, lo: int, hi: int) -> int:
  """Returns `value` as an int, or raises if it is not an integer in [lo, hi]."""
  if isinstance(value, (bool, np.bool_)) or not isinstance(
    value, (int, np.integer)
  ):
    raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
  if not lo <= value <= hi:
    raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
  return int(value)


def _biregular_fan_in(n_in: int, n_out: int, d_out: Any) -> tuple[int, int]:
  """Validates `d_out` and returns `(d_out, d_in)` with `d_in = n_in d_out / n_out`."""
  d_out = _int_in("d_out", d_out, 1, n_out)
  if (n_in * d_out) % n_out:
    raise ValueError(
      "d_in = n_in * d_out / n_out must be an integer, got "
      f"{n_in} * {d_out} / {n_out} = {n_in * d_out / n_out:g}"
    )
  return d_out, n_in * d_out // n_out


def _check_dims(n_in: Any, n_out: Any) -> tuple[int, int]:
  return _positive_int("n_in", n_in), _positive_int("n_out", n_out)


def _positive_real(name: str, value: Any, hi: float | None = None) -> float:
  """Returns `value` as a float in (0, hi] (or (0, inf) if `hi` is None)."""
  allowed = f"(0, {hi:g}]" if hi is not None else "(0, inf)"
  try:
    x = float(value)
  except (TypeError, ValueError):
    raise ValueError(f"{name} must be a real number in {allowed}, got {value!r}")
  if isinstance(value, (bool, np.bool_)) or not math.isfinite(x) or x <= 0:
    raise ValueError(f"{name} must be a real number in {allowed}, got {value!r}")
  if hi is not None and x > hi:
    raise ValueError(f"{name} must be a real number in {allowed}, got {value!r}")
  return x


# ---------------------------------------------------------------- Erdos-Renyi


def erdos_renyi(
  key: jax.Array,
  n_in: int,
  n_out: int,
  *,
  density: float | None = None,
  epsilon: float | None = None,
  count: int | None = None,
) -> np.ndarray:
  """An Erdos-Renyi bipartite layer with an exact number of connections.

  Exactly `m` of the `n_in * n_out` positions are drawn uniformly without
  replacement (a uniform draw from `G(n_in, n_out, m)`), where `m = count`, or
  `m = round(q * n_in * n_out)` with `q = density`, or SET's rule
  `q = epsilon (n_in + n_out) / (n_in n_out)` capped at 1 (Mocanu et al. 2018;
  note section 1.9), i.e. `m = min(round(epsilon (n_in + n_out)), n_in n_out)`.
  The draw depends only on the key and `m`, so `density` and `count` giving the
  same `m` give the same mask.

  Choices where SET's code differs: its Keras version keeps each weight
  independently with probability `q` (a random count with mean `m`), its sparse
  version draws `m` positions with replacement (duplicates collapse, so fewer
  than `m`). We fix the count exactly, as the design contract requires.
  Rounding is Python's `round` (half to even).

  Args:
    key: JAX PRNG key.
    n_in: number of inputs (rows of the mask).
    n_out: number of outputs (columns of the mask).
    density: the fraction `q` in (0, 1]. Exactly one of `density`, `epsilon`,
      `count`.
    epsilon: SET's epsilon > 0.
    count: the exact number of connections `m`, in [1, n_in * n_out].

  Returns:
    `bool[n_in, n_out]` mask with exactly `m` True entries.

  Raises:
    ValueError: on bad sizes, not exactly one of `density` / `epsilon` /
      `count`, values out of range, or a count that rounds to 0.
  """
  n_in, n_out = _check_dims(n_in, n_out)
  if sum(x is not None for x in (density, epsilon, count)) != 1:
    raise ValueError(
      "exactly one of density, epsilon, count must be given, got "
      f"density={density!r}, epsilon={epsilon!r}, count={count!r}"
    )
  total = n_in * n_out
  if count is not None:
    count = _int_in("count", count, 1, total)
  elif density is not None:
    q = _positive_real("density", density, hi=1.0)
    count = round(q * total)
  else:
    eps = _positive_real("epsilon", epsilon)
    count = min(round(eps * (n_in + n_out)), total)
  if count < 1:
    raise ValueError(
      f"the connection count must round to at least 1, got 0 for n_in={n_in}, "
      f"n_out={n_out}, density={density!r}, epsilon={epsilon!r}"
    )
  rng = numpy_rng(key)
  flat = np.zeros(total, dtype=bool)
  flat[rng.choice(total, size=count, replace=False)] = True
  return flat.reshape(n_in, n_out)


# ------------------------------------------------------------ random biregular


def random_biregular(
  key: jax.Array,
  n_in: int,
  n_out: int,
  *,
  d_out: int | None = None,
  edges: int | None = None,
  method: str = "switch",
  swaps: int = 0,
) -> np.ndarray:
  """A random biregular layer: every input out-degree `d_out`, every fan-in `d_in`.

  Give `d_out` (then `d_in = n_in * d_out / n_out` must be an integer) or
  `edges`, an exact connection count `m` in [1, n_in * n_out]. With `edges`
  the layer is as close to biregular as `m` allows (our choice, so that any
  budget is reachable): out-degrees are `floor(m / n_in)` or one more and
  fan-ins `floor(m / n_out)` or one more, the larger degrees going to a
  uniformly random set of inputs (and of outputs); when `n_in` and `n_out` both
  divide `m` this is exactly the biregular layer with `d_out = m / n_in`.

  Built from the bipartite configuration model (note section 3.5): the input
  stubs (input `i` repeated out-degree times) are matched to the output stubs
  by one uniform random permutation. The pairing may contain repeated edges;
  `method` says what happens to them:

  * `"switch"` (default, fast for any size): each surplus copy `(a, b)` is
    removed by a degree-preserving switch with another edge `(c, d)`, chosen
    uniformly among the edges with `c != a`, `d != b` and `(a, d)`, `(c, b)`
    absent: `(a, b), (c, d) -> (a, d), (c, b)`. At density <= 1/2 such a partner
    always exists for biregular degrees (a counting argument: the
    non-neighbours of `b` send more edges than the neighbours of `a` can
    absorb); if none exists (possible only for near-biregular degrees at tiny
    sizes) the pairing is redrawn. Distribution: NOT exactly uniform.
    Conditioned on the pairing being simple it is exactly uniform over simple
    graphs with these degrees; the repair touches about
    `(d_out - 1)(d_in - 1) / 2` edges (the expected number of repeats) out of
    `n_in * d_out`, which biases the law slightly. `swaps` further switch
    proposals of the standard switch chain (two uniformly chosen edges, switched
    when the result stays simple), whose stationary law is uniform by Ryser's
    theorem and symmetry, wash the bias out.
  * `"rejection"`: redraw the whole pairing until it is simple. Exactly uniform
    over simple graphs with these degrees (each one arises from the same
    number, `prod(d_in_j!)`, of equally likely stub orders). The acceptance
    rate is about `exp(-(d - 1)(d_in - 1) / 2)`, so this is refused when
    `(d - 1)(d_in - 1) > 16` (largest degrees, after the complement step).

  Above density 1/2 the complement (out-degree `n_out - d_out`) is drawn and
  inverted; complementing is a bijection between the two graph sets, so the law
  (uniform or not) carries over and the repair argument applies.

  Args:
    key: JAX PRNG key.
    n_in: number of inputs.
    n_out: number of outputs.
    d_out: out-degree of every input, in [1, n_out]. Exactly one of `d_out`,
      `edges`.
    edges: exact connection count, in [1, n_in * n_out] (near-biregular).
    method: "switch" or "rejection" (see above).
    swaps: extra switch-chain proposals after the repair (method "switch");
      a few times `n_in * d_out` is a common choice. 0 by default.

  Returns:
    `bool[n_in, n_out]` mask with row sums `d_out` and column sums `d_in`
    (with `edges`: row sums in {floor(m / n_in), ceil(m / n_in)}, column sums
    in {floor(m / n_out), ceil(m / n_out)}, total `m`).

  Raises:
    ValueError: on bad sizes / degrees, not exactly one of `d_out` / `edges`, a
      non-integer `d_in`, an unknown `method`, a negative `swaps`, or
      rejection with too large degrees.
  """
  n_in, n_out = _check_dims(n_in, n_out)
  if (d_out is None) == (edges is None):
    raise ValueError(
      f"exactly one of d_out, edges must be given, got d_out={d_out!r}, "
      f"edges={edges!r}"
    )
  if d_out is not None:
    d_out, _ = _biregular_fan_in(n_in, n_out, d_out)
    m = n_in * d_out
  else:
    m = _int_in("edges", edges, 1, n_in * n_out)
  if method not in BIREGULAR_METHODS:
    raise ValueError(f"method must be one of {BIREGULAR_METHODS}, got {method!r}")
  if isinstance(swaps, (bool, np.bool_)) or not isinstance(
    swaps, (int, np.integer)
  ) or swaps < 0:
    raise ValueError(f"swaps must be a non-negative integer, got {swaps!r}")
  if m == n_in * n_out:
    return np.ones((n_in, n_out), dtype=bool)
  complement = 2 * m > n_in * n_out
  if complement:
    m = n_in * n_out - m
  rng = numpy_rng(key)
  if d_out is not None:
    out_deg = np.full(n_in, m // n_in, dtype=np.int64)
    in_deg = np.full(n_out, m // n_out, dtype=np.int64)
  else:
    out_deg = _balanced_degrees(rng, n_in, m)
    in_deg = _balanced_degrees(rng, n_out, m)
  d_max, d_in_max = int(out_deg.max()), int(in_deg.max())
  product = (d_max - 1) * (d_in_max - 1)
  if method == "rejection" and product > _REJECTION_MAX_DEGREE_PRODUCT:
    raise ValueError(
      "method='rejection' needs (d - 1) * (d_in - 1) <= "
      f"{_REJECTION_MAX_DEGREE_PRODUCT} with d = min(d_out, n_out - d_out), got "
      f"({d_max} - 1) * ({d_in_max} - 1) = {product}; use method='switch'"
    )
  if method == "rejection":
    for _ in range(_REJECTION_MAX_TRIES):
      left, right = _pairing(rng, out_deg, in_deg)
      ids = left * n_out + right
      if np.unique(ids).size == ids.size:
        break
    else:  # pragma: no cover - acceptance >= ~3e-4 by the check above
      raise RuntimeError("rejection sampling found no simple pairing")
    mask = np.zeros((n_in, n_out), dtype=bool)
    mask[left, right] = True
  else:
    for _ in range(_REJECTION_MAX_TRIES):
      left, right = _pairing(rng, out_deg, in_deg)
      counts = np.zeros((n_in, n_out), dtype=np.int32)
      np.add.at(counts, (left, right), 1)
      if _repair_repeats(rng, left, right, counts):
        break
    else:  # pragma: no cover - a stuck repair is rare and redrawn
      raise RuntimeError("no simple pairing found by switch repair")
    if swaps:
      _switch_chain(rng, left, right, counts, int(swaps))
    mask = counts.astype(bool)
  return ~mask if complement else mask


def _balanced_degrees(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
  """`n` degrees `floor(m / n)` or one more summing to `m`; the larger ones at
  a uniformly random set of `m mod n` vertices."""
  deg = np.full(n, m // n, dtype=np.int64)
  if m % n:  # no draw when n divides m (then the d_out draw is reproduced)
    deg[rng.permutation(n)[: m % n]] += 1
  return deg


def _pairing(
  rng: np.random.Generator, out_deg: np.ndarray, in_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
  """A uniform configuration-model pairing: edge `e` is `(left[e], right[e])`."""
  left = np.repeat(np.arange(out_deg.size), out_deg)
  right = np.repeat(np.arange(in_deg.size), in_deg)
  rng.shuffle(left)
  return left, right


def _repair_repeats(
  rng: np.random.Generator,
  left: np.ndarray,
  right: np.ndarray,
  counts: np.ndarray,
) -> bool:
  """Removes repeated edges in place by degree-preserving switches.

  Each surplus copy `e = (a, b)` is switched with a partner `f = (c, d)` chosen
  uniformly among the valid ones (`c != a`, `d != b`, `(a, d)` and `(c, b)`
  absent): first by random tries, then, if those all fail, by scanning every
  edge. Every switch lowers the number of surplus copies by at least one.
  Returns False (the caller redraws) if some surplus copy has no partner.
  """
  n_edges = left.size
  ids = left * counts.shape[1] + right
  order = np.argsort(ids, kind="stable")
  repeat = np.zeros(n_edges, dtype=bool)
  repeat[order[1:]] = ids[order[1:]] == ids[order[:-1]]
  for e in np.flatnonzero(repeat):
    a, b = left[e], right[e]
    if counts[a, b] <= 1:  # already fixed by an earlier switch
      continue
    partner = -1
    for f in rng.integers(n_edges, size=_REPAIR_RANDOM_TRIES):
      c, d = left[f], right[f]
      if c != a and d != b and counts[a, d] == 0 and counts[c, b] == 0:
        partner = f
        break
    if partner < 0:
      valid = np.flatnonzero(
        (left != a) & (right != b) & (counts[a, right] == 0) & (counts[left, b] == 0)
      )
      if valid.size == 0:  # impossible for biregular degrees at density <= 1/2
        return False
      partner = rng.choice(valid)
    c, d = left[partner], right[partner]
    counts[a, b] -= 1
    counts[c, d] -= 1
    counts[a, d] += 1
    counts[c, b] += 1
    right[e], right[partner] = d, b
  return True


def _switch_chain(
  rng: np.random.Generator,
  left: np.ndarray,
  right: np.ndarray,
  counts: np.ndarray,
  swaps: int,
) -> None:
  """Runs `swaps` proposals of the degree-preserving switch chain in place."""
  n_edges = left.size
  pairs = rng.integers(n_edges, size=(swaps, 2))
  for e, f in pairs:
    a, b, c, d = left[e], right[e], left[f], right[f]
    if a == c or b == d or counts[a, d] or counts[c, b]:
      continue
    counts[a, b] = 0
    counts[c, d] = 0
    counts[a, d] = 1
    counts[c, b] = 1
    right[e], right[f] = d, b


# ------------------------------------------------------------------ Dey basic


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
  n_in, n_out = _check_dims(n_in, n_out)
  d_out, d_in = _biregular_fan_in(n_in, n_out, d_out)
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
  n_in = _positive_int("n_in", n_in)
  d_out = _positive_int("d_out", d_out)
  z = _int_in("z", z, 1, n_in)
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
  n_in, n_out = _check_dims(n_in, n_out)
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
  n_in = _positive_int("n_in", n_in)
  z = _positive_int("z", z)
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
  n_in, n_out = _check_dims(n_in, n_out)
  d_out, d_in = _biregular_fan_in(n_in, n_out, d_out)
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


# ------------------------------------------------------------------ circulant


def circulant(
  key: jax.Array,
  n_in: int,
  n_out: int,
  *,
  density: float | None = None,
  degree: int | None = None,
  edges: int | None = None,
  generators: str = "random",
) -> np.ndarray:
  """A circulant (Cayley-type) layer (note section 3.5).

  Output `j` connects to inputs `(o_j + s) mod n_in` for `s` in a generator set
  `S` of `d` distinct residues mod `n_in`, with offset `o_j = floor(j n_in /
  n_out)`. `d = round(density * n_in)` (Python rounding) or `degree`.
  `generators="random"` draws `S` uniformly among the `d`-subsets of
  `0..n_in-1` (random `S` tends to expand well); `"contiguous"` uses
  `S = {0, .., d-1}` (banded, expands poorly; no randomness, the key is unused).
  So column `j` is column 0 rolled down by `o_j` (`np.roll(mask[:, 0], o_j)`).

  With `edges = m` (an exact count, our extension so that any budget is
  reachable): `d = m // n_out` and `r = m mod n_out`; the outputs of the set
  `R = {j : floor((j + 1) r / n_out) > floor(j r / n_out)}` (`r` outputs spread
  evenly, output 0 not among them when `r < n_out`) also connect to
  `(o_j + s*) mod n_in` for one extra generator `s*` not in `S`. Random
  generators: `S` and `s*` are the first `d` and the last of `d + 1` distinct
  residues drawn uniformly (when `r = 0` the draw is that of `degree=d`);
  contiguous: `s* = d`, so every output reads the contiguous window
  `o_j .. o_j + d - 1` (or `+ d` for `j` in `R`), wrapping mod `n_in`. Column
  `j` is column 0 rolled by `o_j`, plus the entry `(o_j + s*) mod n_in` for
  `j` in `R`. Fan-ins are `d` or `d + 1`.

  Fan-in is exactly `d` for every output (without `edges`). Out-degrees: input
  `i` has `sum_{s in S} m[(i - s) mod n_in]` where `m[k] = #{j : o_j = k}`, each
  in `{floor(n_out / n_in), ceil(n_out / n_in)}`. Hence:

  * if `n_in` divides `n_out`, every out-degree is `d n_out / n_in` (any `S`);
  * contiguous `S`: `m` is a balanced (mechanical) word, so the out-degrees are
    all `floor(d n_out / n_in)` or `ceil(d n_out / n_in)`, and all equal
    (biregular) when `n_in` divides `d n_out`;
  * random `S`: between `d floor(n_out / n_in)` and `d ceil(n_out / n_in)`,
    i.e. anywhere in `0..d` when `n_out < n_in`.

  Args:
    key: JAX PRNG key (used only for random generators).
    n_in: number of inputs.
    n_out: number of outputs.
    density: fan-in fraction in (0, 1]; exactly one of `density`, `degree`,
      `edges`.
    degree: fan-in `d` in [1, n_in].
    edges: exact connection count in [1, n_in * n_out].
    generators: "random" or "contiguous".

  Returns:
    `bool[n_in, n_out]` mask with every column sum `d` (`d` or `d + 1` with
    `edges`, `edges` in all).

  Raises:
    ValueError: on bad sizes, not exactly one of `density` / `degree` /
      `edges`, a fan-in out of range, or unknown `generators`.
  """
  n_in, n_out = _check_dims(n_in, n_out)
  if sum(x is not None for x in (density, degree, edges)) != 1:
    raise ValueError(
      "exactly one of density, degree, edges must be given, got "
      f"density={density!r}, degree={degree!r}, edges={edges!r}"
    )
  if generators not in GENERATORS:
    raise ValueError(f"generators must be one of {GENERATORS}, got {generators!r}")
  extra = 0
  if density is not None:
    d = round(_positive_real("density", density, hi=1.0) * n_in)
    if d < 1:
      raise ValueError(
        f"density * n_in must round to at least 1, got {density!r} * {n_in}"
      )
  elif degree is not None:
    d = _int_in("degree", degree, 1, n_in)
  else:
    m = _int_in("edges", edges, 1, n_in * n_out)
    d, extra = divmod(m, n_out)
  size = d + (1 if extra else 0)
  if generators == "random":
    drawn = numpy_rng(key).choice(n_in, size=size, replace=False)
  else:
    drawn = np.arange(size)
  s = np.sort(drawn[:d])
  offsets = (np.arange(n_out) * n_in) // n_out
  inputs = (offsets[None, :] + s[:, None]) % n_in  # (d, n_out)
  mask = np.zeros((n_in, n_out), dtype=bool)
  mask[inputs, np.broadcast_to(np.arange(n_out), inputs.shape)] = True
  if extra:
    j = np.arange(n_out)
    in_r = ((j + 1) * extra) // n_out > (j * extra) // n_out
    mask[(offsets[in_r] + drawn[d]) % n_in, j[in_r]] = True
  return mask


# ------------------------------------------------------------------- blocked


def blocked(key: jax.Array, n_in: int, n_out: int, *, d_out: int) -> np.ndarray:
  """A block-diagonal (windowed) biregular layer: Dey's low-scatter pattern.

  With `k = n_out / d_out` blocks, output group `g` (outputs `g d_out ..
  (g + 1) d_out - 1`) reads exactly the contiguous input window `g d_in ..
  (g + 1) d_in - 1`, `d_in = n_in / k`. Same degrees (so same density) as a
  clash-free layer with this `d_out`, but every neuron sees one window only:
  the "block" pattern of the note's scatter example (section 2.3), whose
  forward and backward scatter are low. Deterministic (the key is unused; it
  is taken for the common maker signature).

  Args:
    key: JAX PRNG key (unused).
    n_in: number of inputs; `n_out / d_out` must divide it.
    n_out: number of outputs.
    d_out: out-degree of every input, dividing `n_out`.

  Returns:
    `bool[n_in, n_out]` mask with row sums `d_out` and column sums `d_in`.

  Raises:
    ValueError: on bad sizes or degrees.
  """
  del key
  n_in, n_out = _check_dims(n_in, n_out)
  d_out = _int_in("d_out", d_out, 1, n_out)
  if n_out % d_out or n_in % (n_out // d_out):
    raise ValueError(
      f"blocked needs d_out | n_out and (n_out / d_out) | n_in, got n_in={n_in}, "
      f"n_out={n_out}, d_out={d_out}"
    )
  d_in = n_in // (n_out // d_out)
  return (np.arange(n_in)[:, None] // d_in) == (np.arange(n_out)[None, :] // d_out)


# ----------------------------------------------------------- Dey degree rules

DEY_KINDS: tuple[str, ...] = ("basic", "clash_free", "windowed")


def dey_exact_degrees(n_in: int, n_out: int, density: float) -> dict[str, int]:
  """Admissible clash-free degrees on the real inputs, density nearest target.

  Admissible: `d_in = n_in d_out / n_out` is an integer and divides `n_in`
  (`dey_clash_free`'s conditions); `d_out = n_out` always is.

  Args:
    n_in: inputs of the layer.
    n_out: outputs of the layer.
    density: target density.

  Returns:
    `{"p", "pad", "d_out", "d_in", "z"}` with `p = n_in`, `pad = 0` and
    `z = d_in`; the density is `d_out / n_out` (ties go to the sparser).
  """
  admissible = [
    d
    for d in range(1, n_out + 1)
    if (n_in * d) % n_out == 0 and n_in % (n_in * d // n_out) == 0
  ]
  d_out = min(admissible, key=lambda d: (abs(d / n_out - density), d))
  d_in = n_in * d_out // n_out
  return {"p": n_in, "pad": 0, "d_out": d_out, "d_in": d_in, "z": d_in}


def dey_padded_degrees(n_in: int, n_out: int, density: float) -> dict[str, int]:
  """Clash-free degrees on inputs padded to `p >= n_in`, density nearest target.

  As the authors pad MNIST's 784 inputs to 800: the density is `1 / k` for the
  divisor `k` of `n_out` with `1 / k` nearest `density` (ties: the sparser);
  `p` is `n_in` rounded up to a multiple of `k`, `d_out = n_out / k`,
  `d_in = p / k` (which divides `p`), `z = d_in`. The pattern is drawn on `p`
  inputs and the `p - n_in` trailing pad rows are dropped (`dey_layer`).

  Args:
    n_in: real inputs of the layer.
    n_out: outputs of the layer.
    density: target density.

  Returns:
    `{"p", "pad", "d_out", "d_in", "z"}` with `pad = p - n_in`.
  """
  divisors = [k for k in range(1, n_out + 1) if n_out % k == 0]
  k = min(divisors, key=lambda k: (abs(1.0 / k - density), -k))
  p = -(-n_in // k) * k
  return {"p": p, "pad": p - n_in, "d_out": n_out // k, "d_in": p // k, "z": p // k}


def _dey_step(n_out: int, d_out: int, kind: str) -> int | None:
  """The padded input count must be a multiple of this (None: inadmissible)."""
  if kind == "basic":
    return n_out // math.gcd(n_out, d_out)
  return n_out // d_out if n_out % d_out == 0 else None


def dey_budget_degrees(
  n_in: int, n_out: int, edges: int, kind: str = "clash_free"
) -> dict[str, int] | None:
  """Dey degrees that give a layer exactly `edges` connections, or None.

  Dey's rule on inputs padded to `p >= n_in` (pad rows dropped, as
  `dey_padded_degrees`): every real input keeps out-degree `d_out`, so the
  count is `n_in d_out` and `edges` is reachable iff `d_out = edges / n_in` is
  an integer in [1, n_out] and a padded size exists: `p d_out / n_out` an
  integer (`basic`), and also `d_in | p` (`clash_free`, `windowed`), i.e.
  `d_out | n_out`. `p` is the smallest such size; when `p = n_in` the layer is
  exactly biregular.

  Args:
    n_in: real inputs of the layer.
    n_out: outputs of the layer.
    edges: the exact connection count wanted.
    kind: one of `DEY_KINDS`.

  Returns:
    `{"p", "pad", "d_out", "d_in", "z"}` (`z = d_in`) or None if unreachable.

  Raises:
    ValueError: on an unknown kind.
  """
  if kind not in DEY_KINDS:
    raise ValueError(f"kind must be one of {', '.join(DEY_KINDS)}, got {kind!r}")
  if edges % n_in or not 1 <= edges // n_in <= n_out:
    return None
  d_out = edges // n_in
  step = _dey_step(n_out, d_out, kind)
  if step is None:
    return None
  p = -(-n_in // step) * step
  d_in = p * d_out // n_out
  return {"p": p, "pad": p - n_in, "d_out": d_out, "d_in": d_in, "z": d_in}


def dey_feasible_edges(n_in: int, n_out: int, kind: str = "clash_free") -> np.ndarray:
  """Every connection count that `dey_budget_degrees` can reach, ascending."""
  if kind not in DEY_KINDS:
    raise ValueError(f"kind must be one of {', '.join(DEY_KINDS)}, got {kind!r}")
  return np.array(
    [
      n_in * d
      for d in range(1, n_out + 1)
      if _dey_step(n_out, d, kind) is not None
    ],
    dtype=np.int64,
  )


def dey_layer(
  key: jax.Array,
  n_in: int,
  n_out: int,
  degrees: dict[str, int],
  kind: str = "clash_free",
) -> np.ndarray:
  """A Dey layer on `degrees["p"]` inputs with the trailing pad rows dropped.

  `kind`: `"clash_free"` (`dey_clash_free` with `z = degrees["z"]`, address
  type 1, no dither), `"basic"` (`dey_basic`) or `"windowed"` (`blocked`).

  Args:
    key: JAX PRNG key.
    n_in: real inputs (the first `n_in` of the pattern's `p`).
    n_out: outputs.
    degrees: from `dey_exact_degrees`, `dey_padded_degrees` or
      `dey_budget_degrees`.
    kind: one of `DEY_KINDS`.

  Returns:
    `bool[n_in, n_out]` mask: input out-degrees `d_out`; fan-ins `d_in` minus
    the edges that went to pad inputs.
  """
  p, d_out = degrees["p"], degrees["d_out"]
  if kind == "clash_free":
    mask = dey_clash_free(key, p, n_out, d_out=d_out, z=degrees["z"])
  elif kind == "basic":
    mask = dey_basic(key, p, n_out, d_out=d_out)
  elif kind == "windowed":
    mask = blocked(key, p, n_out, d_out=d_out)
  else:
    raise ValueError(f"kind must be one of {', '.join(DEY_KINDS)}, got {kind!r}")
  return mask[:n_in]


# ------------------------------------------------------------------- perturb


def perturb(mask: np.ndarray, fraction: float, key: jax.Array) -> np.ndarray:
  """Moves a fraction of a layer's connections to empty positions.

  For Liu et al.'s "nearly identical starts" (ECML-PKDD 2020, Figure 4):
  `moves = round(fraction * a)` (Python rounding) of the `a` active entries,
  chosen uniformly without replacement, are switched off, and as many of the
  positions that were empty before the move, chosen uniformly without
  replacement, are switched on. The count `a` is kept and exactly
  `2 * moves` entries change. Degrees are not kept.

  Args:
    mask: one layer's `bool[n_in, n_out]` mask (any 2-D bool array).
    fraction: fraction of the active connections to move, in [0, 1].
    key: JAX PRNG key.

  Returns:
    A new `bool` mask of the same shape with the same number of True entries.

  Raises:
    ValueError: if `mask` is not a 2-D bool array, `fraction` is not a real
      number in [0, 1], or there are fewer empty positions than moves.
  """
  arr = np.asarray(mask)
  if arr.dtype != np.bool_ or arr.ndim != 2:
    raise ValueError(
      f"mask must be a 2-D bool array, got dtype {arr.dtype} shape {arr.shape}"
    )
  numeric = isinstance(fraction, (int, float, np.integer, np.floating)) or (
    hasattr(fraction, "dtype")
    and np.ndim(fraction) == 0
    and np.dtype(fraction.dtype).kind in "iuf"
  )
  if isinstance(fraction, (bool, np.bool_)) or not numeric:
    raise ValueError(f"fraction must be a real number in [0, 1], got {fraction!r}")
  frac = float(np.asarray(fraction))
  if not 0.0 <= frac <= 1.0:  # NaN fails too
    raise ValueError(f"fraction must be a real number in [0, 1], got {fraction!r}")
  flat = arr.ravel()
  active = np.flatnonzero(flat)
  empty = np.flatnonzero(~flat)
  moves = round(frac * active.size)
  if moves > empty.size:
    raise ValueError(
      f"fraction={frac:g} moves {moves} of {active.size} connections, but the "
      f"mask has only {empty.size} empty positions"
    )
  out = flat.copy()
  if moves:
    rng = numpy_rng(key)
    out[rng.choice(active, size=moves, replace=False)] = False
    out[rng.choice(empty, size=moves, replace=False)] = True
  return out.reshape(arr.shape)


# ----------------------------------------------------------------- dispatcher

_MAKERS: dict[str, Callable[..., Any]] = {
  "erdos_renyi": erdos_renyi,
  "random_biregular": random_biregular,
  "dey_basic": dey_basic,
  "dey_clash_free": dey_clash_free,
  "circulant": circulant,
  "blocked": blocked,
}


def make_layer(
  name: str, key: jax.Array, n_in: int, n_out: int, **kwargs: Any
) -> np.ndarray:
  """Makes one layer mask by topology name.

  Args:
    name: one of `TOPOLOGIES`.
    key: JAX PRNG key.
    n_in: number of inputs.
    n_out: number of outputs.
    **kwargs: the maker's keyword arguments (e.g. `density`, `d_out`, `z`).
      `return_interleaver` is not allowed: the result is always a mask.

  Returns:
    `bool[n_in, n_out]` mask.

  Raises:
    ValueError: for an unknown name or bad arguments.
  """
  if name not in _MAKERS:
    raise ValueError(f"name must be one of {TOPOLOGIES}, got {name!r}")
  if kwargs.get("return_interleaver"):
    raise ValueError("return_interleaver must be False in make_layer, got True")
  return _MAKERS[name](key, n_in, n_out, **kwargs)
