"""Tests for psn_jax.topology.concentration: hubs and the gradient hierarchy."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from psn_jax.topology import concentration as conc


def test_n_hubs_float_noise_and_minimum():
  assert conc.n_hubs(300, 0.1) == 30  # 0.1 * 300 = 30.000000000000004
  assert conc.n_hubs(100, 0.1) == 10
  assert conc.n_hubs(15, 0.1) == 2
  assert conc.n_hubs(5, 0.1) == 1
  assert conc.n_hubs(1, 0.1) == 1
  assert conc.n_hubs(10, 1.0) == 10


def test_hubs_by_fan_in_and_ties_by_index():
  f = np.array([5, 9, 1, 9, 3, 7, 9, 2, 0, 4, 8, 6, 1, 1, 1, 1, 1, 1, 1, 1])
  # 20 neurons -> 2 hubs; three neurons tie at 9 (indices 1, 3, 6).
  # top=0.25 -> 5 hubs: the three 9s, the 8 (index 10) and the 7 (index 5).
  np.testing.assert_array_equal(np.flatnonzero(conc.hubs(f)), [1, 3])
  hub_idx = np.flatnonzero(conc.hubs(f, top=0.25))
  np.testing.assert_array_equal(hub_idx, [1, 3, 5, 6, 10])


def test_uniform_fan_in_hubs_are_first_by_index():
  np.testing.assert_array_equal(np.flatnonzero(conc.hubs(np.full(50, 7))), range(5))
  np.testing.assert_array_equal(np.flatnonzero(conc.hubs(np.full(3, 7))), [0])


@settings(max_examples=100, deadline=None)
@given(
  f=st.lists(st.integers(0, 50), min_size=1, max_size=200),
  top=st.floats(0.01, 1.0),
)
def test_hubs_properties(f, top):
  f = np.array(f)
  h = conc.hubs(f, top)
  assert h.dtype == bool and h.shape == f.shape
  assert h.sum() == max(1, min(f.size, math.ceil(top * f.size - 1e-9)))
  if not h.all():
    assert f[h].min() >= f[~h].max()  # every hub has at least a non-hub's fan-in


def test_concentration_hand_computed():
  # 10 neurons -> 1 hub (index 3, fan-in 40).
  f = np.array([10, 10, 10, 40, 10, 10, 10, 10, 10, 10])
  g = np.array([1.0, 1.0, 1.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
  # mean(all) = 14 / 10 = 1.4; ratio = 5 / 1.4.
  assert conc.concentration(g, f) == pytest.approx(5 / 1.4)
  # per weight: 5/40 = 0.125 for the hub, 0.1 for the others;
  # mean(all) = (0.125 + 9 * 0.1) / 10 = 0.1025.
  assert conc.concentration(g, f, per_weight=True) == pytest.approx(0.125 / 0.1025)
  # Two hubs with top=0.2: indices 3 and 0 (tie at 10 broken by index).
  assert conc.concentration(g, f, top=0.2) == pytest.approx(3.0 / 1.4)


def test_concentration_fan_in_zero_excluded_per_weight():
  f = np.array([0, 0, 4, 2, 2, 2, 2, 2, 2, 2, 2, 2])
  g = np.array([0.0, 0.0, 8.0, 2, 2, 2, 2, 2, 2, 2, 2, 2])
  # Plain: 12 neurons -> 2 hubs (index 2 and 3): (8 + 2) / 2 = 5 over 26 / 12.
  assert conc.concentration(g, f) == pytest.approx(5 / (26 / 12))
  # Per weight: 10 neurons left, 1 hub (g/f = 2), others 1: mean 11 / 10.
  assert conc.concentration(g, f, per_weight=True) == pytest.approx(2 / 1.1)
  assert math.isnan(conc.concentration(np.ones(3), np.zeros(3), per_weight=True))
  assert math.isnan(conc.concentration(np.zeros(3), np.ones(3)))


def test_iid_norms_give_about_one():
  rng = np.random.default_rng(0)
  f = rng.integers(1, 200, size=20000)
  g = rng.gamma(4.0, size=20000)  # independent of fan-in
  assert conc.concentration(g, f) == pytest.approx(1.0, abs=0.05)


def test_norms_that_grow_with_fan_in_concentrate():
  f = np.arange(1, 101)
  g = np.sqrt(f)  # iid weight gradients: norm ~ sqrt(fan-in)
  c = conc.concentration(g, f)
  exp = np.sqrt(np.arange(91, 101)).mean() / np.sqrt(f).mean()
  assert c == pytest.approx(exp)
  assert c > 1
  assert conc.concentration(g, f, per_weight=True) < 1  # only the weight count


def test_bad_input():
  with pytest.raises(ValueError, match="top must be in"):
    conc.hubs(np.ones(4), top=0.0)
  with pytest.raises(ValueError, match="same shape"):
    conc.concentration(np.ones(4), np.ones(5))
  with pytest.raises(ValueError, match="fan_in must be finite and >= 0"):
    conc.hubs(np.array([1, -1]))
  with pytest.raises(ValueError, match="non-empty 1-D"):
    conc.hubs(np.ones((2, 2)))


def test_concentration_table_and_correlation():
  rng = np.random.default_rng(1)
  runs = {}
  for k, cv_target in enumerate([0.0, 0.3, 0.6, 1.0, 1.5]):
    sigma = math.sqrt(math.log1p(cv_target**2))
    f = np.maximum(1, np.round(50 * rng.lognormal(-sigma**2 / 2, sigma, 300)))
    g = f**0.6 * rng.gamma(20, 1 / 20, size=300)
    runs[f"run{k}"] = {"grad_norm": [g], "fan_in": [f]}
  rows = conc.concentration_table(runs)
  json.dumps(rows)
  assert [r["run"] for r in rows] == list(runs)
  assert all(r["n"] == 300 and r["n_hubs"] == 30 for r in rows)
  r0 = runs["run2"]
  assert rows[2]["concentration"] == pytest.approx(
    conc.concentration(r0["grad_norm"][0], r0["fan_in"][0])
  )
  f0 = r0["fan_in"][0]
  assert rows[2]["fan_in_cv"] == pytest.approx(f0.std() / f0.mean())
  cvs = [r["fan_in_cv"] for r in rows]
  cs = [r["concentration"] for r in rows]
  r, p = conc.fan_in_cv_correlation(cvs, cs)
  ref = scipy.stats.pearsonr(cvs, cs)
  assert r == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
  assert r > 0.9  # concentration grows with CV when g ~ f^0.6
  with pytest.raises(ValueError, match="at least 3 points"):
    conc.fan_in_cv_correlation([0.1, 0.2], [1.0, 2.0])
  with pytest.raises(ValueError, match="must be finite"):
    conc.fan_in_cv_correlation([0.1, 0.2, 0.3], [1.0, None, 2.0])
  with pytest.raises(ValueError, match="keys 'grad_norm' and 'fan_in'"):
    conc.concentration_table({"x": {"grad_norm": [np.ones(3)]}})


def test_concentration_table_dict_layers_and_none():
  runs = {
    "a": {"grad_norm": {"Dense_0": np.zeros(4)}, "fan_in": {"Dense_0": np.ones(4)}}
  }
  (row,) = conc.concentration_table(runs)
  assert row["layer"] == "Dense_0"
  assert row["concentration"] is None and row["concentration_per_weight"] is None
