"""Random (near-)biregular layers: the configuration model with switch repair or
rejection.
"""

from __future__ import annotations

import jax
import numpy as np

from psn_jax.graphs.checks import biregular_fan_in, check_dims, int_in
from psn_jax.utils import numpy_rng

__all__ = ["BIREGULAR_METHODS", "random_biregular"]


BIREGULAR_METHODS: tuple[str, ...] = ("switch", "rejection")
# method="rejection" is refused when (d - 1) * (d_in - 1) exceeds this: the
# configuration model is then simple with probability ~exp(-8) ~ 3e-4 or less.
_REJECTION_MAX_DEGREE_PRODUCT = 16
_REJECTION_MAX_TRIES = 100_000
# Random switch partners tried for one repeated edge before scanning all edges.
_REPAIR_RANDOM_TRIES = 200


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
  n_in, n_out = check_dims(n_in, n_out)
  if (d_out is None) == (edges is None):
    raise ValueError(
      f"exactly one of d_out, edges must be given, got d_out={d_out!r}, "
      f"edges={edges!r}"
    )
  if d_out is not None:
    d_out, _ = biregular_fan_in(n_in, n_out, d_out)
    m = n_in * d_out
  else:
    m = int_in("edges", edges, 1, n_in * n_out)
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
