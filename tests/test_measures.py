"""The measure registry (issue 18): `topology.MEASURES` covers every measure
`summary` reports, its one-number view is each measure's definition at layer
0, and a measure added to the registry alone shows up in `summary`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from psn_jax import topology
from psn_jax.topology import measures


def _net(seed=0, n_in=784, hidden=(40, 20), density=0.3):
  rng = np.random.default_rng(seed)
  widths = (n_in,) + hidden + (10,)
  return [rng.random((a, b)) < density for a, b in zip(widths[:-1], widths[1:])]


def test_the_registry_covers_every_measure_summary_reports():
  net = _net()
  s = topology.summary(net)
  plain = [n for n, m in topology.MEASURES.items() if not m.needs_reference]
  assert list(s) == plain
  network = topology.Network(net)
  for name in plain:
    m = topology.MEASURES[name]
    value = m.values(network)
    if m.per_layer:
      assert s[name].shape == (len(net),) and s[name].dtype == np.float64
      np.testing.assert_array_equal(s[name], value)
      first = value[0]
    else:
      assert isinstance(s[name], float)
      assert s[name] == value or math.isnan(s[name]) and math.isnan(value)
      first = value
    want = first if math.isfinite(first) else None
    assert m(net) == want, name
    assert isinstance(m.description, str) and m.label, name
  assert topology.measures.headline() == ["fan_in_cv", "normalized_gap",
                                          "lambda_2", "scatter_forward"]


def test_one_number_is_the_definition_at_layer_0():
  # The definitions the claims measure (psn_jax.claims' atlas): layer 0, the
  # sparse solver, 28 x 28 pixel windows of 4 x 4 when there are 784 inputs.
  net = _net(1)
  ref = _net(2)
  l0 = net[0]
  sc = topology.network_scatter(net, (28, 28), (4, 4))
  want = {
      "fan_in_cv": topology.cv(l0.sum(axis=0)),
      "zero_fan_in": float(np.count_nonzero(l0.sum(axis=0) == 0)),
      "normalized_gap": topology.spectral_gap(l0, kind="normalized",
                                              solver="sparse"),
      "lambda_2": topology.algebraic_connectivity(l0, solver="sparse"),
      "network_lambda_2": topology.network_algebraic_connectivity(
          net, solver="sparse"),
      "scatter": sc.value,
      "scatter_forward": sc.forward[0],
      "density": sum(m.sum() for m in net) / sum(m.size for m in net),
      "nnstd_to_reference": topology.nnstd(l0, ref[0]).per_layer[0],
  }
  for name, value in want.items():
    assert topology.MEASURES[name](net, reference=ref) == pytest.approx(
        float(value), rel=1e-9, abs=1e-12), name
  assert topology.MEASURES["nnstd_to_reference"](net) is None  # no reference
  # A mask pytree is the same network.
  tree = {f"Dense_{i}": {"kernel": m, "bias": np.ones(m.shape[1], bool)}
          for i, m in enumerate(net)}
  assert topology.MEASURES["fan_in_cv"](tree) == topology.MEASURES[
      "fan_in_cv"](net)


def test_the_locally_dead_count_differs_from_zero_fan_in():
  # Neuron 0 of layer 0 has inputs but no output: locally dead, not "no input".
  l0 = np.ones((4, 3), bool)
  l1 = np.ones((3, 2), bool)
  l1[0] = False
  s = topology.summary([l0, l1], input_shape=None)
  assert s["dead"][0] == 1 and s["zero_fan_in"][0] == 0


def test_a_measure_added_to_the_registry_alone_is_in_summary(monkeypatch):
  monkeypatch.setitem(measures.MEASURES, "max_fan_in", measures.Measure(
      "test only: the largest fan-in", lambda n, l: n.layers[l].sum(0).max(),
      label="max fan-in"))
  net = _net(3)
  s = topology.summary(net)
  np.testing.assert_array_equal(s["max_fan_in"],
                                [m.sum(0).max() for m in net])
  assert topology.MEASURES["max_fan_in"](net) == float(net[0].sum(0).max())


def test_invalid_networks_are_refused_once():
  with pytest.raises(ValueError, match="mask"):
    topology.MEASURES["lambda_2"](np.full((4, 3), 0.5))
