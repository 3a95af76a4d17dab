"""Tests for psn_jax.topology.spectral: known spectra, networkx and numpy
cross-checks, and sparse-against-dense accuracy of every solver path."""

from __future__ import annotations

import sys

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import psn_jax.topology  # noqa: F401  (registers the submodules)
from psn_jax.topology import (algebraic_connectivity, isolated_vertices,
                              network_algebraic_connectivity,
                              network_biadjacency, network_isolated_vertices,
                              network_spectral_gap, spectral_gap, summary)

spectral = sys.modules["psn_jax.topology.spectral"]
_SETTINGS = settings(max_examples=25, deadline=None)
_KINDS = ("raw", "normalized", "ramanujan")


def _circulant(n: int, offsets) -> np.ndarray:
  """Output j <- inputs (j + s) mod n for s in offsets: |offsets|-regular."""
  m = np.zeros((n, n), dtype=bool)
  for j in range(n):
    m[(j + np.asarray(offsets)) % n, j] = True
  return m


def _nx_graph(mask: np.ndarray) -> nx.Graph:
  n_in, n_out = mask.shape
  g = nx.Graph()
  g.add_nodes_from(range(n_in + n_out))
  i, j = np.nonzero(mask)
  g.add_edges_from(zip(i.tolist(), (j + n_in).tolist()))
  return g


def test_complete_bipartite():
  m, n = 3, 5
  k = np.ones((m, n), bool)
  assert spectral_gap(k) == pytest.approx(np.sqrt(m * n))
  assert spectral_gap(k, kind="normalized") == pytest.approx(1.0)
  # Inputs have degree n, outputs degree m; sigma_2 = 0.
  assert spectral_gap(k, kind="ramanujan") == pytest.approx(
      np.sqrt(n - 1) + np.sqrt(m - 1))
  assert algebraic_connectivity(k) == pytest.approx(min(m, n))
  assert isolated_vertices(k) == 0


def test_perfect_matching():
  eye = np.eye(6, dtype=bool)
  assert spectral_gap(eye) == pytest.approx(0.0, abs=1e-12)
  assert spectral_gap(eye, kind="normalized") == 0.0
  assert algebraic_connectivity(eye) == 0.0
  assert algebraic_connectivity(eye, normalized=True) == 0.0


def test_eight_cycle():
  c = _circulant(4, [0, 1])   # 4 + 4 vertices, a single 8-cycle
  assert spectral_gap(c) == pytest.approx(2 - np.sqrt(2))
  assert spectral_gap(c, kind="normalized") == pytest.approx(1 - 1 / np.sqrt(2))
  assert spectral_gap(c, kind="ramanujan") == pytest.approx(2 - np.sqrt(2))
  assert algebraic_connectivity(c) == pytest.approx(2 - np.sqrt(2))
  assert algebraic_connectivity(c, normalized=True) == pytest.approx(
      1 - 1 / np.sqrt(2))


def test_note_block_pattern_is_disconnected():
  block = np.zeros((4, 4), bool)
  block[:2, :2] = block[2:, 2:] = True
  assert spectral_gap(block) == pytest.approx(0.0, abs=1e-12)
  assert algebraic_connectivity(block) == 0.0


@pytest.mark.parametrize("n,offsets", [(9, [0, 2, 5]), (12, [0, 1, 4, 9]),
                                       (150, [0, 7, 31, 60, 133])])
def test_regular_bipartite_lambda2_is_d_minus_sigma2(n, offsets):
  m = _circulant(n, offsets)
  s = np.linalg.svd(m.astype(float), compute_uv=False)
  d = len(offsets)
  assert s[0] == pytest.approx(d)
  assert algebraic_connectivity(m) == pytest.approx(d - s[1], abs=1e-9)
  assert spectral_gap(m) == pytest.approx(d - s[1], abs=1e-9)


def test_isolated_vertices_and_drop():
  m = np.ones((4, 3), bool)
  m[1, :] = False   # dead input
  m[:, 2] = False   # dead output
  assert isolated_vertices(m) == 2
  assert algebraic_connectivity(m) == 0.0
  # Without them: K_{3,2}, lambda_2 = 2.
  assert algebraic_connectivity(m, drop_isolated=True) == pytest.approx(2.0)
  assert spectral_gap(m, kind="normalized") == pytest.approx(1.0)
  assert np.isnan(spectral_gap(np.zeros((3, 3), bool), kind="ramanujan"))
  assert algebraic_connectivity(np.zeros((1, 1), bool),
                                drop_isolated=True) == 0.0


def test_argument_errors():
  with pytest.raises(ValueError, match="kind"):
    spectral_gap(np.ones((3, 3), bool), kind="bogus")
  with pytest.raises(ValueError, match="solver"):
    algebraic_connectivity(np.ones((3, 3), bool), solver="bogus")
  with pytest.raises(ValueError, match="2-D"):
    spectral_gap(np.ones(3, bool))


@_SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(1, 9), st.integers(1, 9),
       st.floats(0.1, 0.9))
def test_lambda2_matches_networkx(seed, n_in, n_out, p):
  rng = np.random.default_rng(seed)
  m = rng.random((n_in, n_out)) < p
  g = _nx_graph(m)
  if g.number_of_nodes() < 2:
    return
  want = np.sort(nx.laplacian_spectrum(g))[1]
  assert algebraic_connectivity(m) == pytest.approx(want, abs=1e-9)
  want_n = np.sort(nx.normalized_laplacian_spectrum(g))[1]
  assert algebraic_connectivity(m, normalized=True) == pytest.approx(
      want_n, abs=1e-9)
  if nx.is_connected(g):
    fiedler = nx.algebraic_connectivity(g, method="tracemin_lu", tol=1e-12)
    assert algebraic_connectivity(m) == pytest.approx(fiedler, abs=1e-6)


@_SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(2, 30), st.integers(2, 30),
       st.floats(0.05, 0.9))
def test_gaps_match_numpy_svd(seed, n_in, n_out, p):
  rng = np.random.default_rng(seed)
  m = rng.random((n_in, n_out)) < p
  s = np.linalg.svd(m.astype(float), compute_uv=False)
  assert spectral_gap(m) == pytest.approx(s[0] - s[1], abs=1e-9)
  # The normalised gap equals lambda_2 of the normalised Laplacian once
  # isolated vertices are dropped (two independent code paths), except for a
  # lone edge K_{1,1} (1 - 0 against 2).
  if m.sum() > 1:
    assert spectral_gap(m, kind="normalized") == pytest.approx(
        algebraic_connectivity(m, normalized=True, drop_isolated=True),
        abs=1e-9)
  g = spectral_gap(m, kind="normalized")
  assert -1e-12 <= g <= 1 + 1e-12


# ------------------------------------------- sparse solvers against dense ones


@pytest.fixture(scope="module")
def large_masks():
  rng = np.random.default_rng(3)
  er = rng.random((200, 240)) < 0.08            # expander-like
  band = _circulant(200, [0, 1, 2, 3, 4])       # poor expansion, clustered
  er[:, 5] = False                              # one dead output
  return {"er": er, "band": band}


@pytest.mark.parametrize("name", ["er", "band"])
@pytest.mark.parametrize("normalized", [False, True])
def test_lambda2_sparse_matches_dense(large_masks, name, normalized, monkeypatch):
  m = large_masks[name]
  kw = dict(normalized=normalized, drop_isolated=True)
  want = algebraic_connectivity(m, solver="dense", **kw)
  assert want > 0
  # "auto" takes the sparse path above the dense threshold (1000 vertices);
  # lower the threshold so that these 400-odd-vertex graphs take it too.
  monkeypatch.setattr(spectral, "_DENSE_EIG_MAX", 100)
  assert algebraic_connectivity(m, **kw) == pytest.approx(want, rel=1e-8)
  # Force the shift-invert fallback (Lanczos given a single restart).
  monkeypatch.setattr(spectral, "_LANCZOS_MAXITER", 1)
  assert algebraic_connectivity(m, solver="sparse", **kw) == pytest.approx(
      want, rel=1e-8)


@pytest.mark.parametrize("name", ["er", "band"])
@pytest.mark.parametrize("kind", _KINDS)
def test_gap_sparse_matches_dense(large_masks, name, kind):
  m = large_masks[name]
  want = spectral_gap(m, kind=kind, solver="dense")
  assert spectral_gap(m, kind=kind, solver="sparse") == pytest.approx(
      want, rel=1e-8, abs=1e-10)


def test_auto_solvers_on_a_1000_wide_layer():
  # The benchmark's size: auto picks ARPACK for both; check against dense.
  rng = np.random.default_rng(6)
  m = rng.random((1000, 1000)) < 0.1
  s = np.linalg.svd(m.astype(float), compute_uv=False)
  assert spectral_gap(m) == pytest.approx(s[0] - s[1], rel=1e-9)
  assert spectral_gap(m, kind="normalized") == pytest.approx(
      spectral_gap(m, kind="normalized", solver="dense"), rel=1e-9)


# ------------------------------------------------------------ network versions


def _layered_nx(net) -> nx.Graph:
  g = nx.Graph()
  widths = [net[0].shape[0]] + [m.shape[1] for m in net]
  for k, w in enumerate(widths):
    g.add_nodes_from((k, i) for i in range(w))
  for l, m in enumerate(net):
    i, j = np.nonzero(m)
    g.add_edges_from(((l, a), (l + 1, b)) for a, b in zip(i.tolist(), j.tolist()))
  return g


@_SETTINGS
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 6), min_size=2,
                                           max_size=5), st.floats(0.2, 0.9))
def test_network_versions_match_layered_graph(seed, widths, p):
  rng = np.random.default_rng(seed)
  net = [rng.random((a, b)) < p for a, b in zip(widths[:-1], widths[1:])]
  g = _layered_nx(net)
  b = network_biadjacency(net)
  assert b.nnz == sum(int(m.sum()) for m in net) == g.number_of_edges()
  assert sum(b.shape) == g.number_of_nodes()
  lap = np.sort(nx.laplacian_spectrum(g))
  assert network_algebraic_connectivity(net) == pytest.approx(lap[1], abs=1e-9)
  adj = np.sort(np.linalg.eigvalsh(nx.to_numpy_array(g)))[::-1]
  if g.number_of_nodes() >= 3:   # K_{1,1} has no zero eigenvalue: 1 - (-1)
    assert network_spectral_gap(net) == pytest.approx(adj[0] - adj[1],
                                                      abs=1e-9)
  assert network_isolated_vertices(net) == sum(1 for _, d in g.degree() if d == 0)


def test_network_of_one_layer_equals_layer_functions():
  rng = np.random.default_rng(4)
  m = rng.random((20, 15)) < 0.3
  for kind in _KINDS:
    assert network_spectral_gap([m], kind=kind) == pytest.approx(
        spectral_gap(m, kind=kind))
  assert network_algebraic_connectivity([m]) == pytest.approx(
      algebraic_connectivity(m))


def test_summary_keys_and_values():
  rng = np.random.default_rng(5)
  net = [rng.random((16, 12)) < 0.4, rng.random((12, 10)) < 0.4,
         rng.random((10, 3)) < 0.6]
  s = summary(net, input_shape=(4, 4), window=(2, 2), hidden_window=2)
  for key in ("fan_in_cv", "fan_out_cv", "fan_in_gini", "dead", "cut_off",
              "scatter_forward", "scatter_backward", "spectral_gap",
              "normalized_gap", "ramanujan_gap", "lambda_2", "isolated"):
    assert s[key].shape == (3,), key
  for l, m in enumerate(net):
    for kind, key in (("raw", "spectral_gap"), ("normalized", "normalized_gap"),
                      ("ramanujan", "ramanujan_gap")):
      assert s[key][l] == pytest.approx(spectral_gap(m, kind=kind))
    assert s["lambda_2"][l] == pytest.approx(algebraic_connectivity(m))
  assert s["network_lambda_2"] == pytest.approx(
      network_algebraic_connectivity(net))
  assert 0 <= s["scatter"] <= 1
  # An input grid that does not fit falls back to 1-D windows.
  assert summary(net, input_shape=(28, 28))["scatter"] >= 0
