"""Block-diagonal layers: every output group reads one contiguous input window."""

from __future__ import annotations

import jax
import numpy as np

from psn_jax.graphs.checks import check_dims, int_in

__all__ = ["block_diagonal"]


def block_diagonal(key: jax.Array, n_in: int, n_out: int, *, d_out: int
                   ) -> np.ndarray:
  """A block-diagonal biregular layer: the low-scatter contrast to Dey's patterns.

  With `k = n_out / d_out` blocks, output group `g` (outputs `g d_out ..
  (g + 1) d_out - 1`) reads exactly the contiguous input window `g d_in ..
  (g + 1) d_in - 1`, `d_in = n_in / k`. Same degrees (so same density) as a
  clash-free layer with this `d_out`, but every neuron sees one window only:
  the "block" pattern of the note's scatter example (section 2.3), whose
  forward and backward scatter are low. Deterministic (the key is unused; it
  is taken for the common maker signature). Not one of Dey et al.'s patterns
  (their generator makes random, basic and clash-free ones); it is the
  contrast at equal density for their scatter claim (the mask source
  `block_diagonal`, formerly `dey_windowed`).

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
  n_in, n_out = check_dims(n_in, n_out)
  d_out = int_in("d_out", d_out, 1, n_out)
  if n_out % d_out or n_in % (n_out // d_out):
    raise ValueError(
      f"block_diagonal needs d_out | n_out and (n_out / d_out) | n_in, got n_in={n_in}, "
      f"n_out={n_out}, d_out={d_out}"
    )
  d_in = n_in // (n_out // d_out)
  return (np.arange(n_in)[:, None] // d_in) == (np.arange(n_out)[None, :] // d_out)
