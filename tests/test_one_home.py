"""One home per calculation (issues 8 and 9): fan-in CV, hubs, Pearson r,
pooling over seeds and layer order each live in one library function, and
everything that computes them calls it (or, for the in-jit twin, agrees).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.collections import PathCollection

from psn_jax import equilibrium
from psn_jax import plots
from psn_jax import stats
from psn_jax import topology
from psn_jax import tracking
from psn_jax import utils
from psn_jax.topology import concentration as conc

# ------------------------------------------------------------------ hubs


def test_hub_count_rule_at_0_07_of_100_is_7_everywhere():
  # 0.07 * 100 is 7.000000000000001 in floating point: a plain ceil gives 8.
  assert 0.07 * 100 > 7
  assert conc.n_hubs(100, 0.07) == 7
  fan_in = np.arange(100, 0, -1)              # neuron j has fan-in 100 - j
  grad = np.linspace(1.0, 2.0, 100)
  hubs = conc.hubs(fan_in, 0.07)
  np.testing.assert_array_equal(np.flatnonzero(hubs), np.arange(7))
  ax = plots.gradient_share_vs_fan_in(fan_in, grad, hub_fraction=0.07)
  others, hub_points = [c for c in ax.collections if isinstance(c, PathCollection)]
  assert len(hub_points.get_offsets()) == 7
  assert len(others.get_offsets()) == 93
  np.testing.assert_array_equal(np.asarray(hub_points.get_offsets())[:, 0],
                                fan_in[hubs])
  # The legend's share is the share of exactly those 7 hubs.
  share = grad[:7].sum() / grad.sum()
  assert f"{share:.1%} of gradient" in hub_points.get_label()
  # And concentration averages over the same 7 neurons.
  assert conc.concentration(grad, fan_in, 0.07) == pytest.approx(
      grad[:7].mean() / grad.mean(), rel=1e-12)


@given(n=st.integers(1, 400), top=st.floats(0.001, 1.0))
def test_plot_hubs_are_the_concentration_hubs(n, top):
  rng = np.random.default_rng(n)
  fan_in = rng.integers(0, 5, n)              # many ties
  grad = rng.random(n) + 0.01
  ax = plots.gradient_share_vs_fan_in(fan_in, grad, hub_fraction=top)
  hub_points = [c for c in ax.collections if isinstance(c, PathCollection)][1]
  assert len(hub_points.get_offsets()) == conc.n_hubs(n, top)
  want = conc.hubs(fan_in, top)
  np.testing.assert_array_equal(np.asarray(hub_points.get_offsets())[:, 0],
                                fan_in[want].astype(float))


# -------------------------------------------------------------- fan-in CV


def test_cv_hand_values():
  # fan-ins 2, 4, 6: mean 4, population std sqrt(8 / 3).
  assert topology.cv([2, 4, 6]) == pytest.approx(math.sqrt(8 / 3) / 4, rel=1e-15)
  assert topology.cv([5, 5, 5]) == 0.0
  assert math.isnan(topology.cv([0, 0]))


@given(st.lists(st.integers(0, 784), min_size=1, max_size=60))
def test_in_jit_cv_agrees_with_the_host_cv(fan_ins):
  f = np.asarray(fan_ins)
  host = topology.cv(f)
  dev = float(jax.jit(tracking._cv)(jnp.asarray(f, jnp.int32)))  # pylint: disable=protected-access
  if math.isnan(host):
    assert dev == 0.0                          # documented: 0 on device
  else:
    assert dev == pytest.approx(host, rel=2e-5, abs=2e-6)


def test_concentration_table_and_equilibrium_use_the_one_cv():
  f = np.array([1, 2, 3, 10])
  g = np.array([0.1, 0.2, 0.3, 0.4])
  (row,) = conc.concentration_table({"r": {"grad_norm": [g], "fan_in": [f]}})
  assert row["fan_in_cv"] == topology.cv(f)
  (empty,) = conc.concentration_table({"r": {"grad_norm": [g],
                                             "fan_in": [np.zeros(4)]}})
  assert empty["fan_in_cv"] is None           # NaN (no connections) -> None
  rec = {"steps": [0, 1], "fan_in_cv": [0.0, 0.0], "fan_in_hist": [[4], [4]]}
  art = equilibrium.equilibrium_artifact([rec], [f], ["Dense_0"])
  assert art["layers"][0]["final"]["cv"] == topology.cv(f)
  assert topology.degree_stats(np.ones((10, 4), bool) & (
      np.arange(10)[:, None] < f[None, :]))[0].fan_in_cv == topology.cv(f)


# --------------------------------------------------------------- Pearson r


def test_pearson_r_hand_table():
  # x = 1, 2, 3, 4; y = 2, 4, 5, 9: deviations (-1.5, -.5, .5, 1.5) and
  # (-3, -1, 0, 4); sum of products 4.5 + 0.5 + 0 + 6 = 11, sums of squares
  # 5 and 26.
  r, p = stats.pearson_r([1, 2, 3, 4], [2, 4, 5, 9])
  assert r == pytest.approx(11 / math.sqrt(5 * 26), rel=1e-12)
  t = r * math.sqrt(2 / (1 - r * r))
  assert p == pytest.approx(2 * scipy.stats.t.sf(abs(t), 2), rel=1e-9)


@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
                min_size=3, max_size=40))
def test_pearson_r_matches_scipy(points):
  x, y = (np.array(v) for v in zip(*points))
  r, p = stats.pearson_r(x, y)
  if np.ptp(x) == 0 or np.ptp(y) == 0:
    assert math.isnan(r) and math.isnan(p)
    return
  want = scipy.stats.pearsonr(x, y)
  assert r == pytest.approx(want.statistic, rel=1e-9, abs=1e-12)
  assert p == pytest.approx(want.pvalue, rel=1e-6, abs=1e-12)


def test_pearson_r_undefined_and_bad_input():
  assert all(math.isnan(v) for v in stats.pearson_r([1.0], [2.0]))
  assert all(math.isnan(v) for v in stats.pearson_r([1, 1, 1], [1, 2, 3]))
  assert stats.pearson_r([0, 1], [3, 1]) == (-1.0, 1.0)
  with pytest.raises(ValueError, match="y must have the same length as x"):
    stats.pearson_r([1, 2, 3], [1, 2])
  with pytest.raises(ValueError, match="x must be finite"):
    stats.pearson_r([1, np.nan, 3], [1, 2, 3])


def test_plot_and_concentration_report_the_same_r():
  rng = np.random.default_rng(3)
  x, y = rng.random(12), rng.random(12)
  ax = plots.accuracy_vs_measure(x, y)
  assert (ax.pearson_r, ax.pearson_p) == stats.pearson_r(x, y)
  assert conc.fan_in_cv_correlation(x, y) == stats.pearson_r(x, y)


# ---------------------------------------------------- variant table (seeds)


def test_variant_table_pools_seeds_by_hand():
  # One layer, 2 variants x 2 seeds, 10 neurons: hub = neuron 0 (top 10%).
  fan = np.tile(np.array([10, 1, 1, 1, 1, 1, 1, 1, 1, 2]), (2, 2, 1))
  fan[1] = 3                                           # variant b: CV 0
  grad = np.ones((2, 2, 10))
  grad[0, 0, 0], grad[0, 1, 0] = 11.0, 21.0            # hub gets 11 / 21
  grad[1, :, 0] = 1.0
  t = conc.variant_table({"Dense_0": grad}, {"Dense_0": fan}, ["a", "b"])
  a, b = t["rows"]
  # concentration = g_hub / mean(g): 11 / 2 and 21 / 3.
  assert a["concentration"] == pytest.approx((11 / 2 + 21 / 3) / 2)
  assert a["concentration_std"] == pytest.approx(
      np.std([11 / 2, 21 / 3], ddof=1))
  assert a["fan_in_cv"] == pytest.approx(topology.cv(fan[0, 0]))
  assert (b["concentration"], b["fan_in_cv"], b["n_seeds"]) == (1.0, 0.0, 2)
  assert [(r["variant"], r["seed"]) for r in t["runs"]] == [
      ("a", 0), ("a", 1), ("b", 0), ("b", 1)]
  pts = [(r["fan_in_cv"], r["concentration"]) for r in t["runs"]]
  want = stats.pearson_r(*zip(*pts))
  assert (t["correlation"]["Dense_0"]["r"], t["correlation"]["pooled"]["r"]) == (
      want[0], want[0])
  assert t["correlation"]["pooled"]["n_runs"] == 4


# ---------------------------------------- equilibrium artifacts from Results


def _records(n_records=6, seeds=3):
  """Results-layout records: 2 variants, `seeds` seeds, two layers."""
  rng = np.random.default_rng(0)
  recs, fans = {}, {}
  for name, n in (("Dense_10", 4), ("Dense_2", 6)):
    cv = np.full((2, seeds, n_records), 0.3)
    cv[..., :2] = [0.8, 0.5]                  # settles at record 2
    hist = np.tile(np.array([2, 2, 2]), (2, seeds, n_records, 1))
    recs[name] = {"fan_in_cv": cv, "fan_in_hist": hist}
    fans[name] = rng.integers(1, 9, (2, seeds, n))
  return recs, np.arange(n_records) * 10, fans


def test_seed_artifacts_and_pooling_from_results_arrays():
  recs, steps, fans = _records()
  arts = equilibrium.seed_artifacts(recs, steps, fans, 1)
  assert len(arts) == 3
  assert [l["name"] for l in arts[0]["layers"]] == ["Dense_2", "Dense_10"]
  for s, art in enumerate(arts):
    layer = art["layers"][0]
    assert layer["cv_start"] == pytest.approx(0.8)
    assert layer["settling"]["index"] == 2 and layer["settling"]["step"] == 20
    assert layer["final"]["cv"] == pytest.approx(topology.cv(fans["Dense_2"][1, s]))
  pooled = equilibrium.pool_artifacts(arts)
  layer = pooled["layers"][0]
  assert layer["settling"]["n_settled"] == 3
  assert layer["settling"]["index_mean"] == 2.0
  assert layer["settling"]["cv_final"] == pytest.approx(0.3)
  assert layer["cv_start"] == pytest.approx(0.8)
  cvs = [topology.cv(fans["Dense_2"][1, s]) for s in range(3)]
  assert layer["final"]["cv"] == pytest.approx(np.mean(cvs))
  assert layer["final"]["cv_std"] == pytest.approx(np.std(cvs, ddof=1))


def test_seed_artifacts_refuse_mismatched_layers():
  recs, steps, fans = _records()
  del fans["Dense_10"]
  with pytest.raises(ValueError, match="final_fan_ins must have the layers"):
    equilibrium.seed_artifacts(recs, steps, fans, 0)


# ------------------------------------------------------------ layer order


def test_natural_order_is_the_one_layer_order():
  names = ["Dense_10", "Dense_2", "Dense_0", "Dense_1"]
  assert utils.natural_order(names) == ["Dense_0", "Dense_1", "Dense_2",
                                        "Dense_10"]
  grad = {n: np.ones((1, 2, 10)) for n in names}
  fan = {n: np.ones((1, 2, 10)) for n in names}
  t = conc.variant_table(grad, fan, ["v"])
  assert [r["layer"] for r in t["rows"]] == utils.natural_order(names)


# ------------------------------------ issue 18: tolerances, JSON, stacking


def test_the_settling_tolerances_have_one_home():
  import dataclasses
  import inspect
  rule = equilibrium.SETTLING_RULE
  assert (rule.cv_tol, rule.hist_tol, rule.window) == (0.02, 0.05, 3)
  for fn in (equilibrium.settling, equilibrium.equilibrium_artifact,
             equilibrium.seed_artifacts):
    params = inspect.signature(fn).parameters
    assert not {"cv_tol", "hist_tol", "window"} & set(params), fn.__name__
  steps = np.arange(6)
  cv = np.array([1.0, 0.99, 0.985, 0.98, 0.975, 0.97])
  assert equilibrium.settling(steps, cv, None).index == 1  # 0.02 is not < 0.02
  assert not equilibrium.settling(steps, cv, None, cv_tol=0.001).settled
  rec = {"steps": steps, "fan_in_cv": cv, "fan_in_hist": np.ones((6, 4))}
  art = equilibrium.equilibrium_artifact([rec], [np.arange(1, 9)], ["L"],
                                         window=2)
  assert art["settling_rule"] == {**dataclasses.asdict(rule), "window": 2}
  with pytest.raises(ValueError, match="window must be an integer >= 1"):
    equilibrium.SettlingRule(window=0)


def test_one_json_sanitiser():
  import collections
  pair = collections.namedtuple("Pair", "a b")
  x = {1: pair(np.float32(1.5), float("nan")),
       "arr": np.array([1.0, np.inf]), "jax": jnp.arange(3),
       "flags": (np.bool_(True), None, "s"), "n": np.int64(4)}
  assert utils.jsonable(x) == {
      "1": {"a": 1.5, "b": None}, "arr": [1.0, None], "jax": [0, 1, 2],
      "flags": [True, None, "s"], "n": 4}
  # The equilibrium artifacts go through it: NaN is stored as None.
  rec = {"steps": np.arange(3), "fan_in_cv": np.full(3, np.nan),
         "fan_in_hist": np.ones((3, 2))}
  art = equilibrium.equilibrium_artifact([rec], [np.zeros(4)], ["L"])
  assert art["layers"][0]["final"]["cv"] is None
  assert art == utils.jsonable(art)


def test_one_per_seed_stacking_helper():
  trees = [{"k": np.full((2, 3), s), "b": np.array([s])} for s in range(4)]
  stacked = utils.stack_trees(trees)
  assert stacked["k"].shape == (4, 2, 3) and stacked["b"].shape == (4, 1)
  np.testing.assert_array_equal(stacked["k"][2], trees[2]["k"])
