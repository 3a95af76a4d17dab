"""Spectral measures of sparse layers: spectral gaps and algebraic connectivity.

Bourely, Boueri, Choromanski, "Sparse Neural Networks Topologies", 2017 (arXiv
1706.05683) report that accuracy follows expander-like properties, spectral gap
and algebraic connectivity, rather than density. Only the abstract is
available, so the exact matrices are our choice, standard spectral graph
theory as proposed in `shared/research/topology-metrics.md` section 3.3:

A layer mask `(n_in, n_out)` is the biadjacency `B` of an undirected bipartite
graph on `n_in + n_out` vertices with adjacency `A = [[0, B], [B^T, 0]]`, whose
eigenvalues are `+-sigma_i(B)` plus zeros.

- Raw spectral gap: `sigma_1(B) - sigma_2(B)` (`sigma_1 = sqrt(d_l d_r)` for a
  `(d_l, d_r)`-biregular graph). Equals `lambda_1(A) - lambda_2(A)` on three
  or more vertices.
- Normalised gap: `1 - sigma_2(D_l^{-1/2} B D_r^{-1/2})`, in [0, 1]; degree-0
  vertices get weight 0 (they are dropped). 0 when the graph without its
  isolated vertices is disconnected. It equals `lambda_2` of the normalised
  Laplacian of the graph without isolated vertices (on three or more
  vertices).
- Ramanujan gap: `sqrt(dbar_l - 1) + sqrt(dbar_r - 1) - sigma_2(B)`, with
  `dbar` the average degrees of the two sides after dropping degree-0
  vertices, the convention of Hoang et al., "Revisiting Pruning at
  Initialization through the Lens of Ramanujan Graph", ICLR 2023 (their
  `lib/graphs/scores.py` takes the third-largest |eigenvalue| of `A`, which is
  `sigma_2`). A biregular graph is Ramanujan when this is >= 0. We do not
  require degrees >= 3 as they do; NaN for a graph without edges.
- Algebraic connectivity: the second-smallest eigenvalue `lambda_2` of the
  Laplacian `L = D - A` over all `n_in + n_out` vertices (Fiedler 1973); 0
  exactly when the graph is disconnected, so one dead neuron makes it 0 (see
  `isolated_vertices` and `drop_isolated`). The normalised variant uses
  `D^{-1/2} L D^{-1/2}` with degree-0 vertices weighted 0 (the networkx
  convention, so that it too is 0 exactly when the graph is disconnected).
  For a d-regular balanced bipartite graph `lambda_2(L) = d - sigma_2(B)`.
- Whole network: a layered graph is bipartite too (even- against odd-indexed
  neuron layers), so the network versions apply the same formulas to the
  biadjacency between even and odd layers, i.e. to the graph on all neurons
  with the union of all layers' edges.

Solvers (all host-side SciPy; results are deterministic):
- Singular values: dense `numpy.linalg.svd` when the smaller side is <= 300,
  otherwise ARPACK `scipy.sparse.linalg.svds(k=2)` with a fixed random start
  vector (never the all-ones vector, which is exactly the top singular vector
  of a biregular graph and would leave the Krylov space without `sigma_2`);
  dense fallback if ARPACK does not converge.
- `lambda_2`: connectivity is checked first with `scipy.sparse.csgraph` and a
  disconnected graph returns exactly 0. Connected graphs with <= 1000
  vertices use dense `scipy.linalg.eigh` (subset by index). Larger ones use
  ARPACK Lanczos (`eigsh`, smallest algebraic) on `L + c u u^T`, where `u` is
  the known null vector (constant, or `D^{1/2} 1` when normalised) and `c` is
  above the largest eigenvalue, so the smallest eigenvalue of the operator is
  `lambda_2`: fast for expanders. Poorly expanding graphs (e.g. banded
  circulants, clustered small eigenvalues) do not converge in the iteration
  budget and fall back to shift-invert `eigsh(L, sigma<0)`, which is fast
  exactly when the sparse factorisation has little fill; dense `eigh` is the
  last resort. Tests check every path against dense eigensolvers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.sparse import linalg as sla

from psn_jax.topology.degrees import as_layer_mask
from psn_jax.topology.degrees import as_layers as _as_layers

__all__ = ["spectral_gap", "algebraic_connectivity", "isolated_vertices",
           "network_spectral_gap", "network_algebraic_connectivity",
           "network_isolated_vertices", "network_biadjacency",
           "singular_values_top2"]

_KINDS = ("raw", "normalized", "ramanujan")
_SOLVERS = ("auto", "dense", "sparse")
_DENSE_SVD_MAX = 300      # smaller side up to which a dense SVD is used
_DENSE_EIG_MAX = 1000     # vertices up to which a dense eigh is used
_LANCZOS_MAXITER = 60     # restarts before falling back to shift-invert
_SVDS_MAXITER = 500       # restarts before falling back to a dense SVD
_SEED = 0                 # fixed start vectors: deterministic results


def _check_solver(solver: str) -> None:
  if solver not in _SOLVERS:
    raise ValueError(f"solver must be one of {_SOLVERS}, got {solver!r}")


def _as_biadjacency(mask: Any) -> sp.csr_matrix:
  return sp.csr_matrix(as_layer_mask(mask).astype(np.float64))


def _drop_isolated(b: sp.csr_matrix) -> sp.csr_matrix:
  rows = np.flatnonzero(b.getnnz(axis=1))
  cols = np.flatnonzero(b.getnnz(axis=0))
  return b[rows][:, cols].tocsr()


def _n_isolated(b: sp.csr_matrix) -> int:
  return int((b.getnnz(axis=1) == 0).sum() + (b.getnnz(axis=0) == 0).sum())


def _adjacency(b: sp.csr_matrix) -> sp.csr_matrix:
  """Adjacency `[[0, B], [B^T, 0]]` of the bipartite graph with biadjacency B."""
  n = sum(b.shape)
  if min(b.shape) == 0:
    return sp.csr_matrix((n, n))
  return sp.bmat([[None, b], [b.T, None]], format="csr", dtype=np.float64)


def _is_connected(b: sp.csr_matrix) -> bool:
  n = sum(b.shape)
  if n <= 1:
    return True
  n_comp, _ = csgraph.connected_components(_adjacency(b), directed=False)
  return n_comp == 1


def singular_values_top2(b: Any, solver: str = "auto") -> tuple[float, float]:
  """The two largest singular values of a (sparse or dense) matrix.

  Args:
    b: 2-D array or scipy sparse matrix.
    solver: "auto" (dense SVD for small matrices, ARPACK `svds` otherwise),
      "dense" or "sparse".

  Returns:
    `(sigma_1, sigma_2)`, with `sigma_2 = 0` when the matrix has one row or
    column.
  """
  _check_solver(solver)
  b = sp.csr_matrix(b, dtype=np.float64)
  if b.nnz == 0:
    return 0.0, 0.0
  b = _drop_isolated(b)  # zero rows / columns only add zero singular values
  k = min(b.shape)
  if solver == "sparse" and k >= 3 or solver == "auto" and k > _DENSE_SVD_MAX:
    rng = np.random.default_rng(_SEED)
    try:
      s = sla.svds(b, k=2, v0=rng.standard_normal(k), maxiter=_SVDS_MAXITER,
                   return_singular_vectors=False)
      s = np.sort(s)[::-1]
      return float(s[0]), float(s[1])
    except (sla.ArpackNoConvergence, sla.ArpackError):
      pass
  s = np.linalg.svd(b.toarray(), compute_uv=False)
  return float(s[0]), (float(s[1]) if s.size > 1 else 0.0)


def _gap(b: sp.csr_matrix, kind: str, solver: str) -> float:
  if kind not in _KINDS:
    raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
  _check_solver(solver)
  if kind == "raw":
    s1, s2 = singular_values_top2(b, solver)
    return s1 - s2
  bb = _drop_isolated(b)
  if bb.nnz == 0:
    return 0.0 if kind == "normalized" else float("nan")
  if kind == "ramanujan":
    _, s2 = singular_values_top2(bb, solver)
    d_l = bb.nnz / bb.shape[0]
    d_r = bb.nnz / bb.shape[1]
    return float(np.sqrt(d_l - 1.0) + np.sqrt(d_r - 1.0) - s2)
  # normalized
  if not _is_connected(bb):
    return 0.0  # sigma_2 = 1: the top singular value repeats per component
  dl = np.asarray(bb.sum(axis=1)).ravel()
  dr = np.asarray(bb.sum(axis=0)).ravel()
  m = sp.diags(dl**-0.5) @ bb @ sp.diags(dr**-0.5)
  _, s2 = singular_values_top2(m, solver)
  return float(max(0.0, 1.0 - s2))


def _lambda2(lap: sp.csr_matrix, null: np.ndarray, top: float, solver: str
            ) -> float:
  """Second-smallest eigenvalue of a connected graph's Laplacian.

  Args:
    lap: symmetric PSD Laplacian (sparse), of a connected graph.
    null: its unit null vector.
    top: an upper bound on its largest eigenvalue.
    solver: "auto", "dense" or "sparse".
  """
  n = lap.shape[0]
  if solver == "dense" or solver == "auto" and n <= _DENSE_EIG_MAX or n < 8:
    w = scipy.linalg.eigh(lap.toarray(), eigvals_only=True,
                          subset_by_index=[0, 1])
    return float(max(w[1], 0.0))
  rng = np.random.default_rng(_SEED)
  v0 = rng.standard_normal(n)
  c = top + 1.0

  def matvec(x):
    x = np.asarray(x).reshape(-1)
    return lap @ x + c * np.dot(null, x) * null

  op = sla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
  try:
    w = sla.eigsh(op, k=1, which="SA", v0=v0, ncv=min(n - 1, 32),
                  maxiter=_LANCZOS_MAXITER,
                  tol=1e-12, return_eigenvectors=False)
    return float(max(w[0], 0.0))
  except (sla.ArpackNoConvergence, sla.ArpackError):
    pass
  # Shift-invert around a point just below 0: the two eigenvalues nearest are
  # 0 (the null vector) and lambda_2.
  shift = 1e-6 * top
  try:
    w = np.sort(sla.eigsh(lap.tocsc(), k=2, sigma=-shift, which="LM", v0=v0,
                          return_eigenvectors=False))
    if abs(w[0]) <= 1e-8 * top:
      return float(max(w[1], 0.0))
  except (sla.ArpackNoConvergence, sla.ArpackError, RuntimeError):
    pass
  w = scipy.linalg.eigh(lap.toarray(), eigvals_only=True, subset_by_index=[0, 1])
  return float(max(w[1], 0.0))


def _algebraic_connectivity(b: sp.csr_matrix, normalized: bool,
                            drop_isolated: bool, solver: str) -> float:
  _check_solver(solver)
  if drop_isolated:
    b = _drop_isolated(b)
  n = sum(b.shape)
  if n < 2 or not _is_connected(b):
    return 0.0
  a = _adjacency(b)
  deg = np.asarray(a.sum(axis=1)).ravel()
  lap = (sp.diags(deg) - a).tocsr()
  if normalized:
    # Connected with >= 2 vertices: every degree is positive.
    dh = sp.diags(deg**-0.5)
    lap = (dh @ lap @ dh).tocsr()
    null = np.sqrt(deg)
    top = 2.0
  else:
    null = np.ones(n)
    top = 2.0 * deg.max()
  null = null / np.linalg.norm(null)
  return _lambda2(lap, null, top, solver)


def spectral_gap(mask: Any, *, kind: str = "raw", solver: str = "auto") -> float:
  """Spectral gap of one layer's bipartite graph (Bourely et al. 2017).

  See the module docstring for the three definitions and their conventions.

  Args:
    mask: `(n_in, n_out)` bool layer mask.
    kind: "raw" (`sigma_1 - sigma_2` of the mask), "normalized"
      (`1 - sigma_2` of the degree-normalised mask, in [0, 1]) or "ramanujan"
      (`sqrt(dbar_l - 1) + sqrt(dbar_r - 1) - sigma_2`, Hoang et al. 2023).
    solver: "auto", "dense" or "sparse" (ARPACK); see the module docstring.

  Returns:
    The gap as a float (NaN for the Ramanujan gap of an empty mask).

  Raises:
    ValueError: if `kind` or `solver` is unknown, or `mask` is not a 2-D bool
      (or 0/1 integer) layer mask (`psn_jax.topology.as_layer_mask`).
  """
  return _gap(_as_biadjacency(mask), kind, solver)


def algebraic_connectivity(mask: Any, *, normalized: bool = False,
                           drop_isolated: bool = False,
                           solver: str = "auto") -> float:
  """Algebraic connectivity `lambda_2(L)` of one layer's bipartite graph.

  `L = D - A` on the `n_in + n_out` vertices (or `D^{-1/2} L D^{-1/2}` when
  `normalized`). 0 exactly when the graph is disconnected, which includes any
  isolated (dead) vertex unless `drop_isolated` removes those first.

  Args:
    mask: `(n_in, n_out)` bool layer mask.
    normalized: use the normalised Laplacian (eigenvalues in [0, 2]).
    drop_isolated: remove degree-0 vertices before computing.
    solver: "auto", "dense" or "sparse"; see the module docstring.

  Returns:
    `lambda_2` as a float (0 for fewer than two vertices).

  Raises:
    ValueError: if `solver` is unknown, or `mask` is not a 2-D bool (or 0/1
      integer) layer mask.
  """
  return _algebraic_connectivity(_as_biadjacency(mask), normalized,
                                 drop_isolated, solver)


def isolated_vertices(mask: Any) -> int:
  """Number of degree-0 vertices (inputs with fan-out 0 plus outputs with fan-in
  0) of one layer's bipartite graph."""
  return _n_isolated(_as_biadjacency(mask))


def network_biadjacency(net: Any) -> sp.csr_matrix:
  """Biadjacency of the whole layered graph, even against odd neuron layers.

  Neuron layer `k` (0 = inputs) is a row block if `k` is even and a column
  block if `k` is odd, in order; layer `l`'s mask connects neuron layers `l`
  and `l + 1`.

  Args:
    net: a list of `(n_in, n_out)` bool masks in forward order, a single mask,
      or a mask pytree.

  Returns:
    `(n_even, n_odd)` float64 CSR 0/1 matrix.
  """
  layers = _as_layers(net)
  widths = [layers[0].shape[0]] + [m.shape[1] for m in layers]
  offset = {}
  n_side = [0, 0]
  for k, w in enumerate(widths):
    offset[k] = n_side[k % 2]
    n_side[k % 2] += w
  rows, cols = [], []
  for l, m in enumerate(layers):
    i, j = np.nonzero(m)
    if l % 2 == 0:   # inputs on the even (row) side
      rows.append(i + offset[l])
      cols.append(j + offset[l + 1])
    else:            # inputs on the odd (column) side
      rows.append(j + offset[l + 1])
      cols.append(i + offset[l])
  r = np.concatenate(rows)
  c = np.concatenate(cols)
  return sp.csr_matrix((np.ones(r.size), (r, c)), shape=tuple(n_side))


def network_spectral_gap(net: Any, *, kind: str = "raw",
                         solver: str = "auto") -> float:
  """`spectral_gap` of the whole layered graph (all neurons, all edges).

  Args:
    net: a list of `(n_in, n_out)` bool masks in forward order, a single mask,
      or a mask pytree.
    kind: "raw", "normalized" or "ramanujan" (the two sides are the even and
      the odd neuron layers).
    solver: "auto", "dense" or "sparse".

  Returns:
    The gap as a float.
  """
  return _gap(network_biadjacency(net), kind, solver)


def network_algebraic_connectivity(net: Any, *, normalized: bool = False,
                                   drop_isolated: bool = False,
                                   solver: str = "auto") -> float:
  """`algebraic_connectivity` of the whole layered graph.

  Args:
    net: a list of `(n_in, n_out)` bool masks in forward order, a single mask,
      or a mask pytree.
    normalized: use the normalised Laplacian.
    drop_isolated: remove degree-0 neurons first.
    solver: "auto", "dense" or "sparse".

  Returns:
    `lambda_2` of the layered graph's Laplacian.
  """
  return _algebraic_connectivity(network_biadjacency(net), normalized,
                                 drop_isolated, solver)


def network_isolated_vertices(net: Any) -> int:
  """Neurons of the whole network with no connection at all (in or out)."""
  return _n_isolated(network_biadjacency(net))
