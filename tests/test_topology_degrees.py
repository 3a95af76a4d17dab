"""Tests for psn_jax.topology.degrees: CV, Gini, dead and cut-off neurons."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psn_jax import masks
from psn_jax.topology import LayerDegrees, cv, degree_stats, gini
from psn_jax.topology.degrees import _as_layers

from helpers import mask_from_input_sets as _mask

_SETTINGS = settings(max_examples=40, deadline=None)



def test_gini_and_cv_hand_values():
  assert gini(np.full(7, 3)) == 0.0
  assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
  assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
  assert cv([1, 3]) == pytest.approx(0.5)
  assert cv(np.full(5, 2)) == 0.0
  assert np.isnan(cv([0, 0])) and np.isnan(gini([0, 0]))


@_SETTINGS
@given(st.lists(st.integers(0, 50), min_size=1, max_size=30))
def test_gini_matches_pairwise_definition(xs):
  x = np.asarray(xs, dtype=float)
  if x.sum() == 0:
    assert np.isnan(gini(x))
    return
  pairwise = np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())
  assert gini(x) == pytest.approx(pairwise, abs=1e-12)
  assert 0.0 <= gini(x) < 1.0


def _three_layer_example() -> list[np.ndarray]:
  # 3 inputs -> 4 hidden -> 3 hidden -> 2 outputs.
  l0 = _mask([{0}, {1, 2}, set(), {0}], 3)   # h1_2 has fan-in 0
  l1 = _mask([{0}, {2}, {1}], 4)              # h1_3 has fan-out 0; h2_1 <- dead h1_2
  l2 = _mask([{0, 1}, {0}], 3)                # h2_2 has fan-out 0
  return [l0, l1, l2]


def test_hand_built_three_layer_example():
  d = degree_stats(_three_layer_example())
  assert len(d) == 3 and all(isinstance(x, LayerDegrees) for x in d)
  # Layer 0.
  np.testing.assert_array_equal(d[0].fan_in, [1, 2, 0, 1])
  np.testing.assert_array_equal(d[0].fan_out, [2, 1, 1])
  assert d[0].fan_in.dtype == np.int64
  assert d[0].fan_in_cv == pytest.approx(np.sqrt(0.5))
  assert d[0].fan_in_gini == pytest.approx(0.375)
  assert d[0].fan_in_max_mean == pytest.approx(2.0)
  assert d[0].fan_out_max_mean == pytest.approx(2 / (4 / 3))
  assert (d[0].zero_fan_in, d[0].zero_fan_out) == (1, 0)
  assert d[0].dead == 2             # h1_2 (no inputs), h1_3 (no outputs)
  assert d[0].no_input_path == 1    # h1_2
  assert d[0].no_output_path == 2   # h1_1 (feeds only dead h2_2), h1_3
  assert d[0].cut_off == 3
  assert d[0].inputs_no_output_path == 2  # x1, x2 feed only h1_1
  # Layer 1.
  np.testing.assert_array_equal(d[1].fan_in, [1, 1, 1])
  np.testing.assert_array_equal(d[1].fan_out, [1, 1, 1, 0])
  assert (d[1].zero_fan_in, d[1].zero_fan_out) == (0, 1)
  assert d[1].dead == 1             # h2_2
  assert d[1].no_input_path == 1    # h2_1, fed only by h1_2
  assert d[1].no_output_path == 1   # h2_2
  assert d[1].cut_off == 2
  assert d[1].inputs_no_output_path == 2
  # Layer 2 (classes).
  np.testing.assert_array_equal(d[2].fan_in, [2, 1])
  assert (d[2].dead, d[2].no_input_path, d[2].no_output_path, d[2].cut_off) == (
      0, 0, 0, 0)
  assert d[2].inputs_no_output_path == 1


def test_flat_profile_and_dense_network():
  m = np.zeros((6, 6), dtype=bool)
  for j in range(6):
    m[[j, (j + 1) % 6], j] = True   # fan-in 2 and fan-out 2 everywhere
  d = degree_stats([m, np.ones((6, 3), dtype=bool)])
  assert d[0].fan_in_cv == 0.0 and d[0].fan_in_gini == 0.0
  assert d[0].fan_out_gini == 0.0 and d[0].fan_in_max_mean == 1.0
  assert all(x.cut_off == 0 and x.dead == 0 for x in d)


@_SETTINGS
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 7), min_size=2,
                                           max_size=5),
       st.floats(0.05, 0.9))
def test_properties_on_random_networks(seed, widths, p):
  rng = np.random.default_rng(seed)
  net = [rng.random((a, b)) < p for a, b in zip(widths[:-1], widths[1:])]
  d = degree_stats(net)
  for l, (x, m) in enumerate(zip(d, net)):
    assert x.fan_in.sum() == x.fan_out.sum() == m.sum()
    assert x.dead <= x.cut_off <= m.shape[1]
    assert x.no_input_path <= x.cut_off
    assert x.zero_fan_in <= x.no_input_path
    if l + 1 < len(net):
      assert d[l + 1].inputs_no_output_path == x.no_output_path


def test_input_validation_and_single_mask():
  with pytest.raises(ValueError, match="n_in"):
    degree_stats([np.ones((3, 4), bool), np.ones((5, 2), bool)])
  with pytest.raises(ValueError, match="at least one layer"):
    degree_stats([])
  with pytest.raises(ValueError, match="2-D"):
    degree_stats([np.ones(3, bool)])
  one = degree_stats(np.ones((3, 2), bool))
  assert len(one) == 1 and one[0].fan_in.tolist() == [3, 3]


def test_mask_pytree_goes_through_layer_masks():
  net = _three_layer_example()
  tree = {f"Dense_{l}": {"kernel": m, "bias": np.ones(m.shape[1], bool)}
          for l, m in enumerate(net)}
  layers = _as_layers(tree)
  expected = [np.asarray(x) for x in masks.layer_masks(tree)]
  assert len(layers) == len(expected)
  for a, b in zip(layers, expected):
    np.testing.assert_array_equal(a, b)
