"""Tests for psn_jax.topology.nnstd (Liu et al. 2020), against the note's worked
example and exact-matching properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from psn_jax.topology import NNSTDResult, jaccard_cost, nnstd, nnstd_matrix

from helpers import mask_from_input_sets as _mask

_SETTINGS = settings(max_examples=30, deadline=None)



def _note_example():
  # Section 1.7: A: h1 <- {x1, x2}, h2 <- {x3}, o <- {h1};
  #              B: g1 <- {x3}, g2 <- {x1, x2, x3}, o' <- {g2}.
  a = [_mask([{0, 1}, {2}], 3), _mask([{0}], 2)]
  b = [_mask([{2}, {0, 1, 2}], 3), _mask([{1}], 2)]
  return a, b


def test_note_worked_example():
  a, b = _note_example()
  np.testing.assert_allclose(jaccard_cost(a[0], b[0]),
                             [[1.0, 1 / 3], [0.0, 2 / 3]], atol=1e-15)
  r = nnstd(a, b)
  assert isinstance(r, NNSTDResult)
  np.testing.assert_allclose(r.per_layer, [1 / 6, 0.0], atol=1e-15)
  assert r.mean == pytest.approx(1 / 12)
  np.testing.assert_array_equal(r.matchings[0], [1, 0])   # h1<->g2, h2<->g1
  r2 = nnstd(b, a)
  np.testing.assert_allclose(r2.per_layer, r.per_layer, atol=1e-15)
  # Permuting the single output neuron changes nothing here.
  np.testing.assert_allclose(nnstd(a, b, permute_outputs=True).per_layer,
                             r.per_layer, atol=1e-15)


def test_hand_values_identical_disjoint_empty():
  m = _mask([{0, 1}, {2}, {1, 3}], 4)
  assert nnstd([m], [m]).mean == 0.0
  # Every input set of a is disjoint from every input set of b: distance 1.
  a = _mask([{0}, {1}], 4)
  b = _mask([{2}, {3}], 4)
  r = nnstd([a, np.ones((2, 1), bool)], [b, np.ones((2, 1), bool)])
  np.testing.assert_allclose(r.per_layer, [1.0, 0.0])
  # Empty against empty is 0; empty against non-empty is 1.
  e = np.zeros((3, 2), bool)
  assert nnstd([e], [e]).mean == 0.0
  assert nnstd([e], [_mask([{0}, set()], 3)]).per_layer[0] == pytest.approx(0.5)


def test_hand_values_partly_overlapping_input_sets():
  """Input sets that overlap without one containing the other: here the
  Jaccard denominator |A u B| differs from max(|A|, |B|), min(|A|, |B|) and
  |A| + |B|, so a wrong denominator changes every number below."""
  # Hidden layer, 6 inputs:  a: h0 {0,1,2}, h1 {3,4}, h2 {0,5}
  #                          b: g0 {3,5},   g1 {1,2,3}, g2 {0,4,5}
  a0 = _mask([{0, 1, 2}, {3, 4}, {0, 5}], 6)
  b0 = _mask([{3, 5}, {1, 2, 3}, {0, 4, 5}], 6)
  # 1 - |A n B| / |A u B|, by hand.
  cost = [[1.0, 1 - 2 / 4, 1 - 1 / 5],
          [1 - 1 / 3, 1 - 1 / 4, 1 - 1 / 4],
          [1 - 1 / 3, 1.0, 1 - 2 / 3]]
  np.testing.assert_allclose(jaccard_cost(a0, b0), cost, atol=1e-15)
  # The six matchings cost 25/12, 11/4, 3/2, 23/12, 37/15, 133/60: the
  # unique minimum pairs h0-g1, h1-g0, h2-g2 (1/2 + 2/3 + 1/3).
  r = nnstd([a0], [b0], permute_outputs=True)
  np.testing.assert_array_equal(r.matchings[0], [1, 0, 2])
  assert r.per_layer[0] == pytest.approx(1.5 / 3, abs=1e-15)
  # Output layer over the hidden neurons: a: o0 {h0,h1}, o1 {h1,h2};
  # b: p0 {g1,g2}, p1 {g0}. Relabelled by the matching, b's p0 is {h0,h2}
  # (J = 1 - 1/3 against {h0,h1}) and p1 is {h1} (1 - 1/2 against {h1,h2}).
  a1 = _mask([{0, 1}, {1, 2}], 3)
  b1 = _mask([{1, 2}, {0}], 3)
  r = nnstd([a0, a1], [b0, b1])
  np.testing.assert_allclose(r.per_layer, [1 / 2, (2 / 3 + 1 / 2) / 2],
                             atol=1e-15)
  assert r.mean == pytest.approx((1 / 2 + 7 / 12) / 2, abs=1e-15)
  np.testing.assert_array_equal(r.matchings[1], [0, 1])
  d = nnstd_matrix([[a0, a1], [b0, b1]])
  np.testing.assert_allclose(d, [[0, 13 / 24], [13 / 24, 0]], atol=1e-15)


def test_outputs_identity_unless_permute_outputs():
  rng = np.random.default_rng(0)
  hidden = _distinct_mask(rng, 6, 5)
  out = _distinct_mask(rng, 5, 4)
  perm = np.array([2, 0, 3, 1])
  a = [hidden, out]
  b = [hidden, out[:, perm]]
  assert nnstd(a, b).per_layer[1] > 0
  assert nnstd(a, b, permute_outputs=True).mean == 0.0
  np.testing.assert_array_equal(nnstd(a, b).matchings[-1], np.arange(4))


def test_random_baseline_about_089():
  # Note 1.6: two independent random 1000x1000 layers give d ~ 0.89.
  rng = np.random.default_rng(1)
  a = rng.random((1000, 1000)) < 0.1
  b = rng.random((1000, 1000)) < 0.1
  d = nnstd([a, np.ones((1000, 2), bool)], [b, np.ones((1000, 2), bool)])
  assert 0.86 < d.per_layer[0] < 0.92
  assert d.per_layer[1] == 0.0


def test_shape_errors():
  a = [np.ones((3, 2), bool), np.ones((2, 1), bool)]
  with pytest.raises(ValueError, match="layers"):
    nnstd(a, a[:1])
  with pytest.raises(ValueError, match="shape"):
    nnstd(a, [np.ones((3, 3), bool), np.ones((3, 1), bool)])
  with pytest.raises(ValueError, match="layer must be"):
    nnstd_matrix([a, a], layer=5)


def test_nnstd_matrix():
  rng = np.random.default_rng(2)
  nets = [[rng.random((8, 6)) < 0.4, rng.random((6, 5)) < 0.4,
           rng.random((5, 3)) < 0.5] for _ in range(3)]
  m = nnstd_matrix(nets)
  assert m.shape == (3, 3) and m.dtype == np.float64
  np.testing.assert_array_equal(np.diag(m), 0.0)
  for i in range(3):
    for j in range(3):
      if i != j:
        assert m[i, j] == nnstd(nets[i], nets[j]).mean
  s = nnstd_matrix(nets, symmetric=True)
  np.testing.assert_array_equal(s, s.T)
  np.testing.assert_array_equal(np.triu(s), np.triu(m))
  l0 = nnstd_matrix(nets, layer=0)
  np.testing.assert_allclose(l0, l0.T, atol=1e-15)   # layer 0 always symmetric
  assert l0[0, 1] == nnstd(nets[0], nets[1]).per_layer[0]


# ----------------------------------------------------------------- properties


def _distinct_mask(rng: np.random.Generator, n_in: int, n_out: int
                  ) -> np.ndarray:
  """A mask whose output neurons have distinct, non-empty input sets."""
  assert 2**n_in - 1 >= n_out
  cols: list[tuple] = []
  while len(cols) < n_out:
    c = tuple(rng.random(n_in) < 0.5)
    if any(c) and c not in cols:
      cols.append(c)
  return np.array(cols, dtype=bool).T


def _distinct_net(rng, widths):
  return [_distinct_mask(rng, a, b) for a, b in zip(widths[:-1], widths[1:])]


def _permuted_copy(rng, net):
  """The same network with every hidden layer's neurons randomly relabelled."""
  out = [m.copy() for m in net]
  for l in range(len(net) - 1):
    p = rng.permutation(net[l].shape[1])
    out[l] = out[l][:, p]
    out[l + 1] = out[l + 1][p, :]
  return out


def _unique_optimum(cost: np.ndarray) -> bool:
  rows, cols = linear_sum_assignment(cost)
  best = cost[rows, cols].sum()
  for r, c in zip(rows, cols):
    c2 = cost.copy()
    c2[r, c] = 1e6
    rr, cc = linear_sum_assignment(c2)
    if c2[rr, cc].sum() <= best + 1e-9:
      return False
  return True


_widths = st.lists(st.integers(4, 7), min_size=2, max_size=4)


@_SETTINGS
@given(st.integers(0, 2**32 - 1), _widths, st.floats(0.0, 1.0))
def test_range_any_masks(seed, widths, p):
  rng = np.random.default_rng(seed)
  a = [rng.random((x, y)) < p for x, y in zip(widths[:-1], widths[1:])]
  b = [rng.random((x, y)) < p for x, y in zip(widths[:-1], widths[1:])]
  r = nnstd(a, b)
  assert r.per_layer.shape == (len(a),)
  assert np.all(r.per_layer >= 0) and np.all(r.per_layer <= 1 + 1e-12)
  assert 0 <= r.mean <= 1 + 1e-12
  # Layer 0 is symmetric for any masks.
  assert nnstd(b, a).per_layer[0] == pytest.approx(r.per_layer[0], abs=1e-12)


@_SETTINGS
@given(st.integers(0, 2**32 - 1), _widths)
def test_permuted_copy_has_distance_zero(seed, widths):
  rng = np.random.default_rng(seed)
  a = _distinct_net(rng, widths)
  b = _permuted_copy(rng, a)
  r = nnstd(a, b)
  np.testing.assert_array_equal(r.per_layer, 0.0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), _widths)
def test_symmetric_for_distinct_sets_with_unique_matchings(seed, widths):
  rng = np.random.default_rng(seed)
  a = _distinct_net(rng, widths)
  b = _distinct_net(rng, widths)
  r = nnstd(a, b)
  # Symmetry is exact when no layer's assignment has an equal-cost rival
  # (ties are the documented source of asymmetry).
  prev = None
  for l in range(len(a) - 1):
    bm = b[l] if prev is None else b[l][prev]
    assume(_unique_optimum(jaccard_cost(a[l], bm)))
    prev = r.matchings[l]
  r2 = nnstd(b, a)
  np.testing.assert_allclose(r2.per_layer, r.per_layer, atol=1e-12)
  for l in range(len(a) - 1):
    np.testing.assert_array_equal(r2.matchings[l][r.matchings[l]],
                                  np.arange(a[l].shape[1]))
