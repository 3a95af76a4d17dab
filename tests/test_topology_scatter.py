"""Tests for psn_jax.topology.scatter (Dey et al. 2018)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psn_jax.topology import (ScatterResult, junction_scatter, network_scatter,
                              path_counts, windows_1d, windows_2d)

from helpers import mask_from_input_sets as _mask

_SETTINGS = settings(max_examples=40, deadline=None)



def test_note_block_and_spread_patterns():
  # Section 2.3: p = n = 4, d_in = d_out = 2, windows {0,1} and {2,3}.
  w = windows_1d(4, 2)
  block = _mask([{0, 1}, {0, 1}, {2, 3}, {2, 3}], 4)
  spread = _mask([{0, 2}, {1, 3}, {0, 2}, {1, 3}], 4)
  assert junction_scatter(block, w, w) == pytest.approx((0.5, 0.5))
  assert junction_scatter(spread, w, w) == pytest.approx((1.0, 1.0))
  # Windows as index lists give the same.
  assert junction_scatter(spread, [[0, 1], [2, 3]], [[0, 1], [2, 3]]) == (
      pytest.approx((1.0, 1.0)))


def test_hand_case_with_unequal_degrees():
  # 4 inputs -> 2 outputs, density 0.5. Input windows of 2 (ideal 1), output
  # windows of 1 (ideal 0.5).
  m = _mask([{0, 1}, {0, 2}], 4)
  s_f, s_b = junction_scatter(m, windows_1d(4, 2), windows_1d(2, 1))
  # Output 0: counts (2, 0) -> (1, 0); output 1: (1, 1) -> (1, 1).
  assert s_f == pytest.approx(0.75)
  # Inputs 0..3 over outputs: (1,1) -> 1, (1,0) -> .5, (0,1) -> .5, (0,0) -> 0.
  assert s_b == pytest.approx(0.5)


def test_dense_and_empty_junctions():
  w_in, w_out = windows_1d(12, 3), windows_1d(5, 2)
  assert junction_scatter(np.ones((12, 5), bool), w_in, w_out) == (1.0, 1.0)
  assert junction_scatter(np.zeros((12, 5), bool), w_in, w_out) == (0.0, 0.0)


def test_windows_1d():
  w = windows_1d(10, 4)
  assert w.shape == (3, 10) and w.dtype == bool
  np.testing.assert_array_equal(np.flatnonzero(w[0]), [0, 1, 2, 3])
  np.testing.assert_array_equal(np.flatnonzero(w[2]), [6, 7, 8, 9])  # border
  assert windows_1d(8, 2, stride=1).shape == (7, 8)
  np.testing.assert_array_equal(windows_1d(5, 1), np.eye(5, dtype=bool))
  with pytest.raises(ValueError, match="size"):
    windows_1d(5, 6)
  with pytest.raises(ValueError, match="stride"):
    windows_1d(5, 2, stride=0)


def test_windows_2d():
  w = windows_2d((28, 28), (4, 4))
  assert w.shape == (49, 784)
  np.testing.assert_array_equal(w.sum(0), 1)      # a partition of the pixels
  np.testing.assert_array_equal(w.sum(1), 16)
  assert windows_2d((28, 28), (4, 4), (1, 1)).shape == (625, 784)
  w = windows_2d((4, 4), (2, 2))
  np.testing.assert_array_equal(np.flatnonzero(w[0]), [0, 1, 4, 5])
  np.testing.assert_array_equal(np.flatnonzero(w[3]), [10, 11, 14, 15])
  w = windows_2d((5, 4), (2, 2))                  # extra border row of windows
  assert w.shape == (6, 20) and np.all(w.sum(0) >= 1)
  with pytest.raises(ValueError, match="window"):
    windows_2d((4, 4), (5, 1))


def test_path_counts_match_enumeration():
  rng = np.random.default_rng(0)
  widths = [4, 3, 5, 2]
  net = [rng.random((a, b)) < 0.5 for a, b in zip(widths[:-1], widths[1:])]
  brute = np.zeros((4, 2))
  for path in itertools.product(*[range(w) for w in widths]):
    brute[path[0], path[-1]] += all(net[l][path[l], path[l + 1]]
                                    for l in range(3))
  np.testing.assert_array_equal(path_counts(net, normalize=False), brute)
  p = path_counts(net)
  if brute.sum() > 0:
    np.testing.assert_allclose(p / p.sum(), brute / brute.sum(), atol=1e-14)


def test_network_scatter_dense_and_structure():
  net = [np.ones((784, 20), bool), np.ones((20, 16), bool),
         np.ones((16, 10), bool)]
  r = network_scatter(net)
  assert isinstance(r, ScatterResult)
  assert r.value == 1.0 and r.forward.shape == (3,) and r.values.shape == (8,)
  # Hand: spread junction twice on 4 neurons, 1-D windows of 2 everywhere.
  spread = _mask([{0, 2}, {1, 3}, {0, 2}, {1, 3}], 4)
  block = _mask([{0, 1}, {0, 1}, {2, 3}, {2, 3}], 4)
  r = network_scatter([spread, block], input_shape=None, hidden_window=2,
                      output_window=2)
  np.testing.assert_allclose(r.forward, [1.0, 0.5])
  np.testing.assert_allclose(r.backward, [1.0, 0.5])
  # Path counts spread @ block: every input reaches every output exactly once
  # -> uniform, so network-level scatter 1 with window 1.
  assert r.network == pytest.approx((1.0, 1.0))
  assert r.value == pytest.approx(0.5)
  assert r.value == r.values.min()


def test_deep_dense_network_does_not_overflow():
  net = [np.ones((30, 30), bool)] * 220   # 30^220 paths overflow float64
  with np.errstate(over="ignore", invalid="ignore"):  # inf - inf in BLAS
    assert not np.isfinite(path_counts(net, normalize=False)).all()
  r = network_scatter(net, input_shape=None)
  assert r.network == (1.0, 1.0) and r.value == 1.0


def test_errors():
  net = [np.ones((10, 4), bool)]
  with pytest.raises(ValueError, match="input_shape"):
    network_scatter(net)
  with pytest.raises(ValueError, match="hidden_window"):
    network_scatter(net, None, hidden_window=0)
  with pytest.raises(ValueError, match="in_windows"):
    junction_scatter(np.ones((4, 4), bool), windows_1d(5, 1), windows_1d(4, 1))


@_SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(2, 24), st.integers(2, 24),
       st.floats(0.0, 1.0), st.integers(1, 24), st.integers(1, 24),
       st.integers(1, 4))
def test_junction_scatter_in_unit_interval(seed, n_in, n_out, p, w_in, w_out,
                                           stride):
  rng = np.random.default_rng(seed)
  m = rng.random((n_in, n_out)) < p
  s_f, s_b = junction_scatter(m, windows_1d(n_in, min(w_in, n_in), stride),
                              windows_1d(n_out, min(w_out, n_out), stride))
  assert 0.0 <= s_f <= 1.0 and 0.0 <= s_b <= 1.0


@_SETTINGS
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(2, 12), min_size=1,
                                           max_size=3), st.floats(0.05, 1.0))
def test_network_scatter_in_unit_interval(seed, hidden, p):
  rng = np.random.default_rng(seed)
  widths = [36] + hidden + [4]
  net = [rng.random((a, b)) < p for a, b in zip(widths[:-1], widths[1:])]
  r = network_scatter(net, input_shape=(6, 6), window=(3, 3), hidden_window=3)
  v = r.values
  assert v.shape == (2 * len(net) + 2,)
  assert np.all((v >= 0) & (v <= 1)) and r.value == v.min()
