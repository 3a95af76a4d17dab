"""Moving a fraction of a layer's connections (Liu et al. 2020's nearly identical
starts).
"""

from __future__ import annotations

import jax
import numpy as np

from psn_jax.utils import numpy_rng

__all__ = ["perturb"]


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
