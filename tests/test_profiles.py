"""Tests for psn_jax.profiles: exact budgets, bounds, CV targets, hubs."""

from __future__ import annotations

import math
import re

import jax
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from psn_jax import profiles
from psn_jax.utils import numpy_rng

PARAMETRIC = profiles.FAMILIES[1:]
MONOTONE = ("linear", "exponential", "power", "logarithmic", "sigmoid",
            "softplus", "lognormal", "power_law")


def _cv(f):
  return float(np.std(f) / np.mean(f))


# ---------------------------------------------------------------------------
# Hand-checked small cases.


def test_uniform_remainder_is_spread_by_one():
  # 7 neurons, budget 23 = 7 * 3 + 2: two 4s, five 3s; budget 24: three 4s.
  f = profiles.fan_ins("uniform", 7, 10, 23 / 70)
  np.testing.assert_array_equal(f, [3, 3, 3, 3, 3, 4, 4])
  f = profiles.fan_ins("uniform", 7, 10, 24 / 70)
  np.testing.assert_array_equal(f, [3, 3, 3, 3, 4, 4, 4])
  assert f.dtype == np.int64
  keyed = profiles.fan_ins("uniform", 7, 10, 24 / 70, 0, key=jax.random.key(3))
  np.testing.assert_array_equal(np.sort(keyed), np.sort(f))


def test_linear_largest_remainder_by_hand():
  # s = 0.5, n = 4: w = 0.625, 0.875, 1.125, 1.375; budget 20 -> x = 5 w =
  # 3.125, 4.375, 5.625, 6.875 -> floors 3, 4, 5, 6 and the 2 missing units go
  # to the largest fractions (positions 3 and 2).
  f = profiles.fan_ins("linear", 4, 10, 0.5)
  np.testing.assert_array_equal(f, [3, 4, 6, 7])


def test_upper_clip_water_fills_by_hand():
  # Budget 16, n_inputs 5: x = 4 w = 2.5, 3.5, 4.5, 5.5; the top is pinned at
  # 5 and 11 units spread over the rest: 11 w / 2.625 = 2.62, 3.67, 4.71 ->
  # floors 2, 3, 4 and the 2 missing units to positions 2 and 1.
  f = profiles.fan_ins("linear", 4, 5, 0.8)
  np.testing.assert_array_equal(f, [2, 4, 5, 5])


def test_lower_clip_water_fills_by_hand():
  # exp(3 u), budget 8: 8 w / sum(w) = 0.47, 0.99, 2.10, 4.44; the first two
  # are pinned at 1 and 6 units go to the rest: 1.93, 4.07 -> [1, 1, 2, 4].
  f = profiles.fan_ins("exponential", 4, 100, 0.02)
  np.testing.assert_array_equal(f, [1, 1, 2, 4])


def test_most_concentrated_split_is_the_top_of_the_range():
  # 784 -> 300 at density 0.1: budget 23520 = 29 * 784 + 514 + 270 * 1.
  f = np.array([784] * 29 + [514] + [1] * 270)
  lo, hi = profiles.cv_range("exponential", 300, 784, 0.1)
  assert lo == pytest.approx(_cv(profiles.fan_ins("uniform", 300, 784, 0.1)))
  assert hi == pytest.approx(_cv(f), abs=1e-9)


def test_bounded_families_cannot_reach_high_cv():
  for family, top in (("linear", 1 / math.sqrt(3)), ("sigmoid", 1.0),
                      ("logarithmic", 1.0)):
    _, hi = profiles.cv_range(family, 300, 784, 0.1)
    assert 0.5 < hi <= top + 0.01


def test_out_of_reach_error_gives_the_range():
  msg = ("cv=2.4 is out of reach for family 'sigmoid' with 300 neurons and 784 "
         "inputs at density 0.1: reachable CV range is [0.01, 0.99]")
  with pytest.raises(ValueError, match=re.escape(msg)):
    profiles.fan_ins("sigmoid", 300, 784, 0.1, 2.4)
  # The bounds cap every family: at density 0.2, CV <= sqrt(0.8 / 0.2) = 2.
  with pytest.raises(ValueError, match=r"reachable CV range is \[0\.00, 1\.9"):
    profiles.fan_ins("exponential", 100, 300, 0.2, 2.5)


@pytest.mark.parametrize("kwargs, field", [
    (dict(family="step"), "family must be one of uniform, linear"),
    (dict(n_neurons=0), "n_neurons must be an integer >= 1, got 0"),
    (dict(n_inputs=2.5), "n_inputs must be an integer >= 1, got 2.5"),
    (dict(density=0.0), r"density must be in \(0, 1\], got 0.0"),
    (dict(density=1.5), r"density must be in \(0, 1\], got 1.5"),
    (dict(density=0.001), "budget must be >= n_neurons"),
    (dict(cv=2.6), r"cv must be None or in \[0, 2.5\], got 2.6"),
    (dict(cv=-0.1), r"cv must be None or in \[0, 2.5\], got -0.1"),
    (dict(family="uniform", cv=0.3),
     "cv must be None or 0 for family 'uniform', got 0.3"),
])
def test_bad_arguments_raise_one_line(kwargs, field):
  args = dict(family="linear", n_neurons=100, n_inputs=300, density=0.1,
              cv=None)
  args.update(kwargs)
  with pytest.raises(ValueError, match=field) as err:
    profiles.fan_ins(**args)
  assert "\n" not in str(err.value)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), hi=st.integers(2, 50), frac=st.floats(0, 1),
       spread=st.floats(0, 60), seed=st.integers(0, 1000))
def test_water_filling_matches_bisection(n, hi, frac, spread, seed):
  # The exact breakpoint solve against a plain bisection on lam.
  lw = np.random.default_rng(seed).uniform(-spread, 0, n)
  budget = int(round(n + frac * (n * hi - n)))
  x = profiles._water_fill(lw, np.argsort(lw, kind="stable"), budget, hi)
  assert x.min() >= 1 and x.max() <= hi
  assert x.sum() == pytest.approx(budget, rel=1e-9)
  lo_l, hi_l = -200.0, 200.0
  for _ in range(200):
    mid = 0.5 * (lo_l + hi_l)
    total = np.clip(np.exp(mid + lw), 1, hi).sum()
    lo_l, hi_l = (mid, hi_l) if total < budget else (lo_l, mid)
  np.testing.assert_allclose(x, np.clip(np.exp(lo_l + lw), 1, hi), atol=1e-6)


# ---------------------------------------------------------------------------
# Profile curves, cross-checked against scipy's quantile functions.


def test_profile_curves():
  u = np.linspace(0.01, 0.99, 50)
  for family in profiles.FAMILIES:
    np.testing.assert_allclose(profiles.profile_curve(family, 0, u), 1.0)
    assert np.all(profiles.profile_curve(family, None, u) > 0)
  np.testing.assert_allclose(profiles.profile_curve("linear", 0.5, u),
                             1 + 0.5 * (2 * u - 1))
  np.testing.assert_allclose(profiles.profile_curve("lognormal", 0.7, u),
                             stats.lognorm.ppf(u, s=0.7))
  np.testing.assert_allclose(profiles.profile_curve("power_law", 1 / 3, u),
                             stats.pareto.ppf(u, b=3.0))
  np.testing.assert_allclose(profiles.profile_curve("cosine", 2.0, u),
                             ((1 - np.cos(6 * np.pi * u)) / 2) ** 2, atol=1e-12)
  with pytest.raises(ValueError, match=r"theta must be in \[0, 1\]"):
    profiles.profile_curve("linear", 1.5, u)


# ---------------------------------------------------------------------------
# Properties over family x sparsity x layer shape x cv.


@st.composite
def layers(draw):
  sparsity = draw(st.one_of(st.floats(0.8, 0.999), st.floats(0.0, 0.8)))
  density = 1.0 - sparsity
  n_inputs = draw(st.integers(max(20, min(1000, math.ceil(1 / density))),
                              1000))
  n_neurons = draw(st.integers(10, 1000))
  assume(round(density * n_inputs * n_neurons) >= n_neurons)
  return n_neurons, n_inputs, density


def _check_exact(f, n_neurons, n_inputs, density):
  assert f.dtype == np.int64 and f.shape == (n_neurons,)
  assert int(f.sum()) == round(density * n_inputs * n_neurons)
  assert f.min() >= 1 and f.max() <= n_inputs


@settings(max_examples=200, deadline=None)
@given(layer=layers(), family=st.sampled_from(PARAMETRIC),
       cv=st.floats(0.0, 2.5), seed=st.integers(0, 2**31 - 1))
def test_fan_ins_hit_the_target_cv_or_say_why_not(layer, family, cv, seed):
  n_neurons, n_inputs, density = layer
  lo, hi = profiles.cv_range(family, n_neurons, n_inputs, density)
  assert 0 <= lo <= hi
  key = jax.random.key(seed)
  try:
    f = profiles.fan_ins(family, n_neurons, n_inputs, density, cv)
  except ValueError as err:
    assert re.search(r"cv=\S+ is out of reach for family .* reachable CV range "
                     r"is \[\d+\.\d\d, \d+\.\d\d\]", str(err))
    mean = round(density * n_inputs * n_neurons) / n_neurons
    # Inside the range only coarse layers (few inputs per neuron) may fail.
    assert (not lo <= cv <= hi) or n_neurons * mean**2 < 200
    return
  assert lo - profiles.CV_TOL <= cv <= hi + profiles.CV_TOL
  _check_exact(f, n_neurons, n_inputs, density)
  assert abs(_cv(f) - cv) <= profiles.CV_TOL
  keyed = profiles.fan_ins(family, n_neurons, n_inputs, density, cv, key=key)
  np.testing.assert_array_equal(keyed,
                                f[numpy_rng(key).permutation(n_neurons)])
  np.testing.assert_array_equal(
      keyed, profiles.fan_ins(family, n_neurons, n_inputs, density, cv, key=key))
  if family in MONOTONE:  # Key-less hubs sit at the high end.
    assert np.all(np.diff(f) >= 0)


@settings(max_examples=40, deadline=None)
@given(layer=layers(), family=st.sampled_from(profiles.FAMILIES))
def test_default_shape_is_exact_and_in_range(layer, family):
  n_neurons, n_inputs, density = layer
  f = profiles.fan_ins(family, n_neurons, n_inputs, density)
  _check_exact(f, n_neurons, n_inputs, density)
  lo, hi = profiles.cv_range(family, n_neurons, n_inputs, density)
  assert lo - 1e-9 <= _cv(f) <= hi + 1e-9
  np.testing.assert_array_equal(
      f, profiles.fan_ins(family, n_neurons, n_inputs, density))


def test_the_hub_permutation_comes_from_the_key():
  key = jax.random.key(0)
  f = profiles.fan_ins("exponential", 50, 100, 0.1, 1.0)
  g = profiles.fan_ins("exponential", 50, 100, 0.1, 1.0, key=key)
  np.testing.assert_array_equal(np.sort(g), np.sort(f))
  np.testing.assert_array_equal(g, f[numpy_rng(key).permutation(50)])
  h = profiles.fan_ins("exponential", 50, 100, 0.1, 1.0,
                       key=jax.random.PRNGKey(1))  # Raw keys work too.
  np.testing.assert_array_equal(np.sort(h), np.sort(f))
  assert not np.array_equal(g, h)


def test_reachable_cvs_of_the_lenet_layers():
  # At 90% sparsity the layers of 784-300-100-10 reach CV 2.5 with the
  # power-type families; the symmetric ones (gaussian, cosine) tie two hubs
  # in the 10-neuron layer; the bounded ones stay near or below 1.
  reach = {
      family: [profiles.cv_range(family, n_out, n_in, 0.1)[1] >= 2.5
               for n_in, n_out in ((784, 300), (300, 100), (100, 10))]
      for family in PARAMETRIC}
  for family in ("exponential", "power", "lognormal", "power_law"):
    assert reach[family] == [True, True, True]
  for family in ("gaussian", "cosine"):
    assert reach[family] == [True, True, False]
  for family in ("linear", "logarithmic", "sigmoid", "softplus"):
    assert reach[family] == [False, False, False]
