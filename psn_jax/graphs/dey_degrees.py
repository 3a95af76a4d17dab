"""Dey et al.'s degree rules: which densities a Dey layer can have, with the
inputs padded as the authors pad MNIST to 800, and `dey_layer`.
"""

from __future__ import annotations

import math

import jax
import numpy as np

from psn_jax.graphs.dey import dey_basic, dey_clash_free

__all__ = ["DEY_KINDS", "dey_exact_degrees", "dey_padded_degrees",
           "dey_budget_degrees", "dey_feasible_edges", "dey_layer"]


DEY_KINDS: tuple[str, ...] = ("basic", "clash_free")


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
  integer (`basic`), and also `d_in | p` (`clash_free`), i.e.
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
  type 1, no dither) or `"basic"` (`dey_basic`).

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
  else:
    raise ValueError(f"kind must be one of {', '.join(DEY_KINDS)}, got {kind!r}")
  return mask[:n_in]
