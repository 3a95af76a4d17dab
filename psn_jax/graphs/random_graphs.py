"""Erdos-Renyi layers: an exact number of connections at uniformly random positions."""

from __future__ import annotations

import jax
import numpy as np

from psn_jax.graphs.checks import check_dims, int_in, positive_real
from psn_jax.utils import numpy_rng

__all__ = ["erdos_renyi"]


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
  n_in, n_out = check_dims(n_in, n_out)
  if sum(x is not None for x in (density, epsilon, count)) != 1:
    raise ValueError(
      "exactly one of density, epsilon, count must be given, got "
      f"density={density!r}, epsilon={epsilon!r}, count={count!r}"
    )
  total = n_in * n_out
  if count is not None:
    count = int_in("count", count, 1, total)
  elif density is not None:
    q = positive_real("density", density, hi=1.0)
    count = round(q * total)
  else:
    eps = positive_real("epsilon", epsilon)
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
