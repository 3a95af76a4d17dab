"""NNSTD: the Neural Network Sparse Topology Distance of Liu et al. (ECML-PKDD 2020).

Liu, Van der Lee, Yaman, Atashgahi, Ferraro, Sokar, Pechenizkiy, Mocanu, "Topological
Insights into Sparse Neural Networks", ECML-PKDD 2020 (arXiv 2006.14085). The
definition follows the authors' `sparse_topology_distance.py`, restated in
`shared/research/topology-metrics.md` section 1:

1. Per neuron, the distance between two input sets is the Jaccard distance
   `1 - |a & b| / |a | b|` (the paper's "normalised edit distance"), 0 when both
   sets are empty.
2. Per layer, the output neurons of the two networks are matched one-to-one by
   an exact minimum-cost assignment (`scipy.optimize.linear_sum_assignment`),
   and the layer distance is the total cost divided by the layer's width.
3. Layers are processed from the input side. From the second layer on, network
   b's rows (inputs) are first relabelled by the previous layer's matching, so
   that "input j" means the same matched neuron in both networks.

Our choices where the paper is silent or its code is specific to its runs:
- Output neurons of the last layer are labelled classes, so by default they are
  compared with the identity matching (`permute_outputs=False`); the authors'
  code permutes them, which `permute_outputs=True` reproduces.
- `NNSTDResult.mean` is the unweighted mean over all layers (as the authors'
  stored value); `per_layer[:-1].mean()` is the hidden-layers-only variant and
  `per_layer[0]` is the paper's Figure 4 ("layer 0").
- Unequal widths (between the two networks) are refused: the authors' code
  requires equal shapes, and padding would change the meaning of the distance.

Caveats (measured in the note, section 1.6):
- Ties: when several assignments have the same cost (neurons with empty or
  identical input sets), which one the solver returns changes the relabelling
  of the next layer. Layer 0 is always exactly symmetric and invariant to
  permuting hidden neurons; later layers are exactly so only when every
  layer's optimal assignment is unique (e.g. networks whose neurons all have
  distinct, non-empty input sets and no equal-cost alternative matchings). On
  real SET masks a permuted copy scores about 0.06-0.08 at layers 1-2 and
  `d(a, b)` and `d(b, a)` differ in the third decimal.
- Two independent uniformly random masks give about 0.89, not 1, at 1% and 10%
  density: the optimal matching finds partial overlaps. Quote that random
  baseline beside any "large distance" claim.
- Compute from masks, not from `weight != 0`: trained weights can be exactly 0.

Cost: intersections are one BLAS product `A^T B` per layer (float32 is exact for
counts below 2^24; we switch to float64 above), unions are `|a| + |b| - inter`,
and the Jaccard costs are float64. A 1000x1000 layer takes about 20 ms for the
costs and 40 ms for the assignment on one CPU core.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from psn_jax.topology.degrees import as_layer_mask
from psn_jax.topology.degrees import as_layers as _as_layers

__all__ = ["NNSTDResult", "nnstd", "nnstd_matrix", "jaccard_cost"]


class NNSTDResult(NamedTuple):
  """NNSTD between two networks.

  Attributes:
    per_layer: `(n_layers,)` float64, the distance `d_l` of each layer, in
      [0, 1].
    mean: unweighted mean of `per_layer`.
    matchings: one `(n_out_l,)` int64 array per layer; `matchings[l][j]` is the
      network-b neuron matched to network-a neuron `j` (in b's original
      numbering). The identity for the last layer unless `permute_outputs`.
  """

  per_layer: np.ndarray
  mean: float
  matchings: list[np.ndarray]


def _float_dtype(n_in: int) -> type:
  # float32 products are exact integers while every count is < 2^24.
  return np.float32 if n_in < 2**24 else np.float64


def jaccard_cost(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  """All-pairs Jaccard distances between the output neurons of two layer masks.

  Args:
    a: `(n_in, n_a)` bool mask; column `j` is neuron `j`'s input set.
    b: `(n_in, n_b)` bool mask over the same inputs.

  Returns:
    `(n_a, n_b)` float64, `C[i, j] = 1 - |a_i & b_j| / |a_i | b_j|`, and 0 where
    both input sets are empty.

  Raises:
    ValueError: if a mask is not a 2-D bool (or 0/1 integer) layer mask, or
      the two have different numbers of inputs.
  """
  a = as_layer_mask(a, "a")
  b = as_layer_mask(b, "b")
  if a.shape[0] != b.shape[0]:
    raise ValueError(f"b must have the same n_in as a ({a.shape[0]}), "
                     f"got {b.shape[0]}")
  dt = _float_dtype(a.shape[0])
  return _cost(a.astype(dt), b.astype(dt), a.sum(0), b.sum(0))


def _cost(af: np.ndarray, bf: np.ndarray, sa: np.ndarray, sb: np.ndarray
         ) -> np.ndarray:
  """Jaccard cost matrix from float 0/1 masks and their column sums."""
  inter = (af.T @ bf).astype(np.float64)
  union = sa.astype(np.float64)[:, None] + sb.astype(np.float64)[None, :] - inter
  # Both empty: union 0, distance 0 by the authors' rule.
  ratio = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
  return 1.0 - ratio


def _diag_cost(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  """Jaccard distance of column j of `a` with column j of `b`, for every j."""
  inter = np.logical_and(a, b).sum(0).astype(np.float64)
  union = np.logical_or(a, b).sum(0).astype(np.float64)
  ratio = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
  return 1.0 - ratio


class _Prepared(NamedTuple):
  masks: list[np.ndarray]      # bool
  floats: list[np.ndarray]     # float32/64 copies for BLAS
  sizes: list[np.ndarray]      # column sums (fan-ins)


def _prepare(net: Any) -> _Prepared:
  layers = _as_layers(net)
  floats = [m.astype(_float_dtype(m.shape[0])) for m in layers]
  sizes = [m.sum(0, dtype=np.int64) for m in layers]
  return _Prepared(layers, floats, sizes)


def _check_shapes(pa: _Prepared, pb: _Prepared) -> None:
  if len(pa.masks) != len(pb.masks):
    raise ValueError(f"b must have as many layers as a ({len(pa.masks)}), "
                     f"got {len(pb.masks)}")
  for l, (ma, mb) in enumerate(zip(pa.masks, pb.masks)):
    if ma.shape != mb.shape:
      raise ValueError(f"b layer {l} must have a's shape {ma.shape} (unequal "
                       f"widths are not supported), got {mb.shape}")


def _nnstd_prepared(pa: _Prepared, pb: _Prepared, permute_outputs: bool
                   ) -> NNSTDResult:
  n_layers = len(pa.masks)
  dists = np.zeros(n_layers, dtype=np.float64)
  matchings = []
  prev = None  # matching of the previous layer: a-neuron j <-> b-neuron prev[j]
  for l in range(n_layers):
    last = l == n_layers - 1
    bf, bm = pb.floats[l], pb.masks[l]
    if prev is not None:
      # Relabel b's rows: new row j is b's row prev[j] (the neuron matched to j).
      bf, bm = bf[prev], bm[prev]
    n_out = pa.masks[l].shape[1]
    if last and not permute_outputs:
      per_neuron = _diag_cost(pa.masks[l], bm)
      match = np.arange(n_out, dtype=np.int64)
    else:
      cost = _cost(pa.floats[l], bf, pa.sizes[l], pb.sizes[l])
      _, col = linear_sum_assignment(cost)
      match = col.astype(np.int64)
      per_neuron = cost[np.arange(n_out), match]
    dists[l] = per_neuron.sum() / n_out if n_out else 0.0
    matchings.append(match)
    prev = match
  return NNSTDResult(per_layer=dists, mean=float(dists.mean()),
                     matchings=matchings)


def nnstd(a: Any, b: Any, *, permute_outputs: bool = False) -> NNSTDResult:
  """Neural Network Sparse Topology Distance between two networks' masks.

  Liu et al., ECML-PKDD 2020, as in the authors' code (see the module
  docstring for the algorithm, our choices and the caveats). Layer `l`'s
  distance is `d_l = (1 / n_l) sum_j J(S^a_j, S^b_{pi_l(j)})`, with `J` the
  Jaccard distance of input sets and `pi_l` the exact minimum-cost matching,
  computed after relabelling b's inputs by `pi_{l-1}`.

  Args:
    a: network a: a list of `(n_in, n_out)` bool masks in forward order, a
      single 2-D mask, or a mask pytree mirroring Flax params.
    b: network b, with exactly the same layer shapes as a.
    permute_outputs: match the last layer's output neurons too (the authors'
      code); by default they are classes and compared with the identity.

  Returns:
    `NNSTDResult` with `per_layer` (one distance per layer, each in [0, 1]),
    `mean` (their unweighted mean) and the `matchings`.

  Raises:
    ValueError: if a layer is not a 2-D bool (or 0/1 integer) mask, or the
      networks' layer counts or shapes differ.
  """
  pa, pb = _prepare(a), _prepare(b)
  _check_shapes(pa, pb)
  return _nnstd_prepared(pa, pb, permute_outputs)


def nnstd_matrix(nets: Sequence[Any], *, permute_outputs: bool = False,
                 layer: int | None = None, symmetric: bool = False
                ) -> np.ndarray:
  """Pairwise NNSTD between several networks.

  Entry `[i, j]` is `nnstd(nets[i], nets[j]).mean` (or `.per_layer[layer]`).
  Because of ties (see `nnstd`), `[i, j]` and `[j, i]` can differ slightly from
  the second layer on, so by default every ordered pair is computed; with
  `symmetric=True` only `i < j` is computed and mirrored (half the cost).

  Args:
    nets: the networks, each as accepted by `nnstd`, all with the same shapes.
    permute_outputs: passed to `nnstd`.
    layer: if given, the matrix of that layer's distance (e.g. 0 for the
      paper's Figure 4) instead of the mean over layers. Negative values index
      from the end.
    symmetric: compute only the upper triangle and mirror it.

  Returns:
    `(n, n)` float64 with zero diagonal.

  Raises:
    ValueError: if the shapes differ or `layer` is out of range.
  """
  prepared = [_prepare(n) for n in nets]
  n = len(prepared)
  out = np.zeros((n, n), dtype=np.float64)
  if n == 0:
    return out
  n_layers = len(prepared[0].masks)
  if layer is not None and not -n_layers <= layer < n_layers:
    raise ValueError(f"layer must be in [-{n_layers}, {n_layers}), got {layer}")
  for p in prepared[1:]:
    _check_shapes(prepared[0], p)
  for i in range(n):
    for j in range(n):
      if i == j or (symmetric and j < i):
        continue
      r = _nnstd_prepared(prepared[i], prepared[j], permute_outputs)
      out[i, j] = r.mean if layer is None else r.per_layer[layer]
      if symmetric:
        out[j, i] = out[i, j]
  return out
