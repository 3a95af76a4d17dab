"""Per-layer budgets: how many connections each kernel of a network keeps.

Layers made dense by `dense_first` / `dense_last` are OUTSIDE the sparse
budget (RigL's and jaxpruner's convention): the sparse layers together hold
`(1 - sparsity)` of their own weights and the forced-dense layers are added on
top, so `uniform` and `erk` at the same sparsity keep the same number of
active weights in every configuration.

* `uniform`: every sparse layer at density `1 - sparsity`; budget
  `round((1 - sparsity) * n_in * n_out)` per layer.
* `erk` (Evci et al. 2020, "Rigging the Lottery", Erdos-Renyi-Kernel):
  `density_l = eps * sum(shape_l) / prod(shape_l)` over the sparse layers,
  i.e. `(n_in + n_out) / (n_in * n_out)` for a Dense kernel and, with the
  kernel dimensions as RigL's ERK, `(kh + kw + c_in + c_out) / (kh kw c_in
  c_out)` for a Conv kernel `(kh, kw, c_in, c_out)`, with `eps` solved so that their active count is `(1 - sparsity)`
  times their total size. Layers whose density would exceed 1 are made dense
  (inside the budget, as RigL) and `eps` is re-solved over the rest until none
  exceeds 1 (all such layers are capped at once: capping only raises `eps`,
  so a layer over 1 stays over 1; RigL caps the largest one per round, with
  the same result).

Integer budgets: `uniform` rounds each layer (`round(density_l * size_l)`,
half to even). `erk` starts from the same per-layer rounding and then moves
single weights (to the layers whose rounding lost most, or from those that
gained most) until its total equals the `uniform` total exactly (a shift of
at most a couple of weights per layer).

Which mask a layer gets at its budget is its mask source
(`psn_jax.mask_sources`); `psn_jax.masks.make_masks` puts the two together.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["DISTRIBUTIONS", "layer_densities", "layer_budgets",
           "check_sparsity", "check_shapes", "check_kernel_shapes",
           "check_distribution"]

DISTRIBUTIONS: tuple[str, ...] = ("uniform", "erk")


def check_sparsity(sparsity: Any) -> float:
  """The sparsity as a float in [0, 1): Python or NumPy numbers and 0-d numeric
  arrays (`jnp.float32(0.9)`) are accepted; bools, NaN and others refused."""
  bad = ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
  if isinstance(sparsity, (bool, np.bool_)):
    raise bad
  if isinstance(sparsity, (int, float, np.integer, np.floating)):
    value = float(sparsity)
  elif hasattr(sparsity, "dtype") and hasattr(sparsity, "shape"):
    kind = np.dtype(sparsity.dtype).kind
    if tuple(sparsity.shape) != () or kind not in "iuf":
      raise bad
    value = float(np.asarray(sparsity))
  else:
    raise bad
  if not 0 <= value < 1:  # NaN fails too
    raise bad
  return value


def check_shapes(shapes: Sequence[Sequence[int]]) -> np.ndarray:
  arr = np.asarray(shapes)
  if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != 2 or not np.all(
      arr >= 1) or not np.issubdtype(arr.dtype, np.integer):
    raise ValueError(f"shapes must be a non-empty list of (n_in, n_out) "
                     f"integer pairs >= 1, got {shapes!r}")
  return arr.astype(np.int64)


def check_kernel_shapes(shapes: Sequence[Sequence[int]]
                        ) -> tuple[np.ndarray, np.ndarray]:
  """`(sizes, dim_sums)` (int64, one per layer) of kernel shapes of any rank
  >= 2 (`(n_in, n_out)`, a Conv `(kh, kw, c_in, c_out)`, ...): `prod(shape)`
  and `sum(shape)`, the two terms of ERK.

  Raises:
    ValueError: not a non-empty list of integer shapes with >= 2 axes >= 1.
  """
  ok = isinstance(shapes, (list, tuple, np.ndarray)) and len(shapes) > 0
  rows = []
  if ok:
    for s in shapes:
      arr = np.asarray(s)
      if (arr.ndim != 1 or arr.size < 2 or not np.issubdtype(arr.dtype,
                                                             np.integer)
          or not np.all(arr >= 1)):
        ok = False
        break
      rows.append(arr.astype(np.int64))
  if not ok:
    raise ValueError(f"shapes must be a non-empty list of kernel shapes "
                     f"((n_in, n_out) or (kh, kw, c_in, c_out)) of integers "
                     f">= 1, got {shapes!r}")
  return (np.asarray([int(np.prod(r)) for r in rows], np.int64),
          np.asarray([int(r.sum()) for r in rows], np.int64))


def check_distribution(distribution: Any) -> None:
  if distribution not in DISTRIBUTIONS:
    raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, "
                     f"got {distribution!r}")


def _forced_dense(n_layers: int, dense_first: bool, dense_last: bool
                  ) -> np.ndarray:
  dense = np.zeros(n_layers, dtype=bool)
  dense[0] |= bool(dense_first)
  dense[-1] |= bool(dense_last)
  return dense


def layer_densities(shapes: Sequence[Sequence[int]], sparsity: float,
                    distribution: str = "uniform", *, dense_first: bool = False,
                    dense_last: bool = False) -> np.ndarray:
  """Per-layer densities from a global sparsity (see the module docstring).

  Forced-dense layers (`dense_first`, `dense_last`) are outside the budget:
  the other layers hold `(1 - sparsity)` of their own weights.

  Args:
    shapes: the kernel shape of each layer, in forward order: `(n_in,
      n_out)` or any rank >= 2 (a Conv `(kh, kw, c_in, c_out)`: ERK counts
      its kernel dimensions, RigL's ERK).
    sparsity: sparsity of the sparse layers, in [0, 1); 0 makes every layer
      dense.
    distribution: `uniform` or `erk`.
    dense_first: keep the first layer dense.
    dense_last: keep the last layer dense.

  Returns:
    float64 array `(n_layers,)` of densities in (0, 1].

  Raises:
    ValueError: on bad shapes, sparsity or distribution.
  """
  size_int, raw_int = check_kernel_shapes(shapes)
  sparsity = check_sparsity(sparsity)
  check_distribution(distribution)
  n_layers = size_int.shape[0]
  forced = _forced_dense(n_layers, dense_first, dense_last)
  if sparsity == 0 or forced.all():
    return np.ones(n_layers)
  if distribution == "uniform":
    return np.where(forced, 1.0, 1.0 - sparsity)
  sizes = size_int.astype(np.float64)
  raw = raw_int.astype(np.float64)
  target = (1.0 - sparsity) * sizes[~forced].sum()
  capped = np.zeros(n_layers, dtype=bool)
  while True:
    free = ~forced & ~capped
    if not free.any():  # float rounding at a tiny sparsity: all dense
      return np.ones(n_layers)
    rest = target - sizes[capped].sum()
    eps = rest / raw[free].sum()
    dens = np.where(free, eps * raw / sizes, 1.0)
    over = free & (dens > 1.0)
    if not over.any():
      return dens
    capped |= over


def layer_budgets(shapes: Sequence[Sequence[int]], sparsity: float,
                  distribution: str = "uniform", *, dense_first: bool = False,
                  dense_last: bool = False) -> np.ndarray:
  """Active-weight counts per layer (see the module docstring).

  `uniform`: `round(density_l * size_l)` per layer (`size_l` the product
  of the kernel shape). `erk`: the same
  rounding of its own densities, then adjusted one weight at a time so that
  the total equals the `uniform` total at the same arguments exactly.

  Args: as `layer_densities`.

  Returns:
    int64 array `(n_layers,)`, each in `[0, n_in * n_out]`.
  """
  dens = layer_densities(shapes, sparsity, distribution,
                         dense_first=dense_first, dense_last=dense_last)
  sizes = check_kernel_shapes(shapes)[0]
  exact = dens * sizes
  budgets = np.clip(np.rint(exact), 0, sizes).astype(np.int64)
  if distribution != "erk":
    return budgets
  uniform = layer_densities(shapes, sparsity, "uniform",
                            dense_first=dense_first, dense_last=dense_last)
  total = int(np.clip(np.rint(uniform * sizes), 0, sizes).sum())
  adjustable = dens < 1.0
  while budgets.sum() != total:
    step = 1 if budgets.sum() < total else -1
    room = adjustable & ((budgets < sizes) if step > 0 else (budgets > 0))
    if not room.any():  # pragma: no cover - the sparse layers always have room
      break
    gain = np.where(room, step * (exact - budgets), -np.inf)
    budgets[int(np.argmax(gain))] += step
  return budgets
