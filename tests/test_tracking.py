"""Tests for psn_jax.tracking: in-jit topology records and gradient norms."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psn_jax import tracking

# One jitted record function: calls with equal shapes share a compilation,
# which is much faster than op-by-op dispatch on a loaded CPU.
_record = jax.jit(tracking.topology_record)


def _tree(kernels: dict[str, np.ndarray]) -> dict:
  return {
    name: {"kernel": k, "bias": np.ones(k.shape[:-2] + k.shape[-1:], k.dtype)}
    for name, k in kernels.items()
  }


def _mask_from_fan_in(n_in: int, fan_in: list[int]) -> np.ndarray:
  m = np.zeros((n_in, len(fan_in)), dtype=bool)
  for j, f in enumerate(fan_in):
    m[:f, j] = True
  return m


# ---------------------------------------------------------------- edges


def test_edges_784_by_hand():
  e = tracking.fan_in_histogram_edges(784, 32)
  assert e.shape == (33,)
  # Five unit bins (0..4), then 27 geometric bins from 5 to 785.
  np.testing.assert_array_equal(e[:6], [0, 1, 2, 3, 4, 5])
  assert e[-1] == 785
  assert np.all(np.diff(e) >= 1)
  # Widths grow geometrically, up to rounding to integers.
  assert np.all(np.diff(np.diff(e)) >= -1)
  assert e[-1] - e[-2] > 10 * (e[7] - e[6])


def test_edges_small_layer_unit_bins_and_padding():
  np.testing.assert_array_equal(tracking.fan_in_histogram_edges(3, 4), [0, 1, 2, 3, 4])
  np.testing.assert_array_equal(
    tracking.fan_in_histogram_edges(3, 6), [0, 1, 2, 3, 4, 5, 6]
  )
  np.testing.assert_array_equal(tracking.fan_in_histogram_edges(50, 1), [0, 51])


@settings(max_examples=200, deadline=None)
@given(n_in=st.integers(1, 5000), n_bins=st.integers(1, 64))
def test_edges_properties(n_in, n_bins):
  e = tracking.fan_in_histogram_edges(n_in, n_bins)
  assert e.shape == (n_bins + 1,)
  assert e.dtype == np.int64
  assert e[0] == 0
  assert np.all(np.diff(e) >= 1)
  if n_bins <= n_in + 1:
    assert e[-1] == n_in + 1  # every bin holds at least one integer of [0, n_in]
  else:
    np.testing.assert_array_equal(e, np.arange(n_bins + 1))


@pytest.mark.parametrize("n_in, n_bins", [(0, 4), (10, 0), (2.5, 4)])
def test_edges_bad_input(n_in, n_bins):
  with pytest.raises(ValueError, match="must be an integer"):
    tracking.fan_in_histogram_edges(n_in, n_bins)


# ---------------------------------------------------------------- records


def test_topology_record_by_hand():
  n_in = 8
  fan = [0, 1, 2, 2, 8, 3]
  m = _mask_from_fan_in(n_in, fan)
  start = m.copy()
  start[1, 2], start[5, 2] = False, True  # neuron 2 rewired row 5 -> row 1
  last = start.copy()
  last[0, 3], last[6, 3] = False, True  # and, since last, neuron 3 row 6 -> 0
  edges = tracking.fan_in_histogram_edges(n_in, 4)
  rec = jax.jit(tracking.topology_record)(
    _tree({"Dense_0": m}), _tree({"Dense_0": start}), _tree({"Dense_0": last}),
    [edges],
  )
  r = rec["Dense_0"]
  chex.assert_shape(r["fan_in_hist"], (4,))
  chex.assert_type(r["fan_in_hist"], jnp.int32)
  for k in ("fan_in_cv", "fan_in_mean", "changed_since_start", "changed_since_last"):
    chex.assert_shape(r[k], ())
    chex.assert_type(r[k], jnp.float32)
  f = np.array(fan, float)
  np.testing.assert_array_equal(r["fan_in_hist"], np.histogram(f, edges)[0])
  assert int(r["fan_in_hist"].sum()) == 6
  np.testing.assert_allclose(r["fan_in_mean"], 16 / 6, rtol=1e-6)
  np.testing.assert_allclose(r["fan_in_cv"], f.std() / f.mean(), rtol=1e-5)
  # 16 active connections; 1 not active at start; 2 not active at last record.
  np.testing.assert_allclose(r["changed_since_start"], 1 / 16, rtol=1e-6)
  np.testing.assert_allclose(r["changed_since_last"], 2 / 16, rtol=1e-6)


def test_topology_record_static_and_empty():
  m = _mask_from_fan_in(5, [2, 2, 2])
  e = tracking.fan_in_histogram_edges(5, 6)
  r = _record(_tree({"a": m}), _tree({"a": m}), _tree({"a": m}), [e])
  assert float(r["a"]["fan_in_cv"]) == 0.0
  assert float(r["a"]["changed_since_start"]) == 0.0
  z = np.zeros((5, 3), bool)
  r = _record(_tree({"a": z}), _tree({"a": m}), _tree({"a": m}), [e])
  assert float(r["a"]["fan_in_cv"]) == 0.0  # mean 0 -> CV 0, not NaN
  assert float(r["a"]["changed_since_last"]) == 0.0
  np.testing.assert_array_equal(r["a"]["fan_in_hist"], [3, 0, 0, 0, 0, 0])


def test_natural_layer_order_matches_edges():
  rng = np.random.default_rng(0)
  kernels = {
    "Dense_10": rng.random((7, 3)) < 0.5,
    "Dense_2": rng.random((5, 7)) < 0.5,
    "Dense_0": rng.random((4, 5)) < 0.5,
  }
  t = _tree(kernels)
  names = [n for n, _ in tracking._kernels(t)]
  assert names == ["Dense_0", "Dense_2", "Dense_10"]
  edges = [tracking.fan_in_histogram_edges(k.shape[0], 8) for k in
           (kernels["Dense_0"], kernels["Dense_2"], kernels["Dense_10"])]
  rec = _record(t, t, t, edges)
  by_name = _record(
    t, t, t, dict(zip(["Dense_0", "Dense_2", "Dense_10"], edges))
  )
  chex.assert_trees_all_equal(rec, by_name)
  for name, e in zip(names, edges):
    f = kernels[name].sum(axis=0)
    np.testing.assert_array_equal(rec[name]["fan_in_hist"], np.histogram(f, e)[0])


def test_topology_record_vmap_over_seeds():
  rng = np.random.default_rng(1)
  n_seeds, n_in, n_out = 3, 20, 6
  m = rng.random((n_seeds, n_in, n_out)) < 0.3
  m0 = rng.random((n_seeds, n_in, n_out)) < 0.3
  e = tracking.fan_in_histogram_edges(n_in, 5)
  f = jax.jit(jax.vmap(tracking.topology_record, in_axes=(0, 0, 0, None)))
  rec = f(_tree({"Dense_0": m}), _tree({"Dense_0": m0}), _tree({"Dense_0": m}), [e])
  chex.assert_shape(rec["Dense_0"]["fan_in_hist"], (n_seeds, 5))
  chex.assert_shape(rec["Dense_0"]["fan_in_cv"], (n_seeds,))
  for s in range(n_seeds):
    one = _record(
      _tree({"Dense_0": m[s]}), _tree({"Dense_0": m0[s]}), _tree({"Dense_0": m[s]}),
      [e],
    )
    chex.assert_trees_all_close(
      jax.tree.map(lambda x: x[s], rec), one, rtol=1e-6
    )
    exp = (m[s] & ~m0[s]).sum() / m[s].sum()
    np.testing.assert_allclose(rec["Dense_0"]["changed_since_start"][s], exp, 1e-6)
    assert float(rec["Dense_0"]["changed_since_last"][s]) == 0.0


def test_topology_record_bad_input():
  m = _tree({"Dense_0": np.ones((3, 2), bool)})
  with pytest.raises(ValueError, match="edges must have one entry per layer"):
    tracking.topology_record(m, m, m, [])
  other = _tree({"Dense_1": np.ones((3, 2), bool)})
  with pytest.raises(ValueError, match="same kernel layers"):
    tracking.topology_record(m, other, m, [np.arange(3)])


# ---------------------------------------------------------------- gradients


def test_neuron_grad_sq_by_hand_under_jit():
  g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
  m = np.array([[True, False, True], [True, True, False]])
  grads = _tree({"Dense_0": g})
  masks = _tree({"Dense_0": m})
  sq = jax.jit(tracking.neuron_grad_sq)(grads, masks)
  chex.assert_shape(sq["Dense_0"], (3,))
  chex.assert_type(sq["Dense_0"], jnp.float32)
  np.testing.assert_allclose(sq["Dense_0"], [1 + 16, 25, 9])
  nrm = jax.jit(tracking.neuron_grad_norms)(grads, masks)
  np.testing.assert_allclose(nrm["Dense_0"], np.sqrt([17, 25, 9]), rtol=1e-6)
  # vmapped over a leading seed axis.
  grads2 = jax.tree.map(lambda x: np.stack([x, 2 * x]), grads)
  masks2 = jax.tree.map(lambda x: np.stack([x, x]), masks)
  sq2 = jax.jit(jax.vmap(tracking.neuron_grad_sq))(grads2, masks2)
  np.testing.assert_allclose(sq2["Dense_0"], [[17, 25, 9], [4 * 17, 4 * 25, 4 * 9]])


def test_neuron_grad_norm_is_mean_of_batch_norms():
  rng = np.random.default_rng(2)
  masks = _tree({"Dense_0": rng.random((6, 4)) < 0.5, "Dense_1": np.ones((4, 2), bool)})
  batches = [
    _tree({"Dense_0": rng.normal(size=(6, 4)), "Dense_1": rng.normal(size=(4, 2))})
    for _ in range(5)
  ]

  @jax.jit
  def accumulate(gs):
    total = jax.tree.map(jnp.zeros_like, tracking.neuron_grad_norms(gs[0], masks))
    for g in gs:
      total = jax.tree.map(jnp.add, total, tracking.neuron_grad_norms(g, masks))
    return tracking.neuron_grad_norm(total, len(gs))

  out = accumulate(batches)
  for name in ("Dense_0", "Dense_1"):
    m = masks[name]["kernel"]
    per_batch = [
      np.sqrt(((np.where(m, b[name]["kernel"], 0)) ** 2).sum(axis=0)) for b in batches
    ]
    np.testing.assert_allclose(out[name], np.mean(per_batch, axis=0), rtol=1e-5)
  # A traced batch count works too.
  n = jnp.asarray(5)
  sums = jax.tree.map(lambda x: x * 5, out)
  chex.assert_trees_all_close(jax.jit(tracking.neuron_grad_norm)(sums, n), out)


def test_neuron_grad_norm_bad_count():
  with pytest.raises(ValueError, match="n_batches must be > 0"):
    tracking.neuron_grad_norm({"a": jnp.ones(3)}, 0)


def test_neuron_grad_shape_mismatch():
  with pytest.raises(ValueError, match="must have the mask's shape"):
    tracking.neuron_grad_sq(
      _tree({"Dense_0": np.ones((3, 2))}), _tree({"Dense_0": np.ones((2, 3), bool)})
    )
