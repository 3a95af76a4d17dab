"""Circulant (Cayley-type) layers with random or contiguous generators."""

from __future__ import annotations

import jax
import numpy as np

from psn_jax.graphs.checks import check_dims, int_in, positive_real
from psn_jax.utils import numpy_rng

__all__ = ["GENERATORS", "circulant"]


GENERATORS: tuple[str, ...] = ("random", "contiguous")


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
  n_in, n_out = check_dims(n_in, n_out)
  if sum(x is not None for x in (density, degree, edges)) != 1:
    raise ValueError(
      "exactly one of density, degree, edges must be given, got "
      f"density={density!r}, degree={degree!r}, edges={edges!r}"
    )
  if generators not in GENERATORS:
    raise ValueError(f"generators must be one of {GENERATORS}, got {generators!r}")
  extra = 0
  if density is not None:
    d = round(positive_real("density", density, hi=1.0) * n_in)
    if d < 1:
      raise ValueError(
        f"density * n_in must round to at least 1, got {density!r} * {n_in}"
      )
  elif degree is not None:
    d = int_in("degree", degree, 1, n_in)
  else:
    m = int_in("edges", edges, 1, n_in * n_out)
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
