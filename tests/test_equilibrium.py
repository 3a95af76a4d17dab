"""Tests for psn_jax.equilibrium: settling, lognormal fit, artifacts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.stats

from psn_jax import equilibrium as eq
from psn_jax import stats


def _hist_from_cv(cv: np.ndarray, n_bins: int = 8) -> np.ndarray:
  """Histograms that move with the CV: mass shifts from bin 0 to the last bin."""
  base = np.full((cv.size, n_bins), 10.0)
  base[:, 0] += 100 * cv
  base[:, -1] += 100 * (cv.max() - cv)
  return base


# ---------------------------------------------------------------- settling


def test_total_variation_by_hand():
  assert eq.total_variation([1, 1, 0, 0], [0, 0, 2, 2]) == 1.0
  assert eq.total_variation([2, 2], [1, 3]) == pytest.approx(0.25)
  assert eq.total_variation([5, 5, 10], [1, 1, 2]) == 0.0  # normalised first
  with pytest.raises(ValueError, match="positive sums"):
    eq.total_variation([0, 0], [1, 1])


def test_settling_exponential_decay_then_flat():
  t = np.arange(40)
  steps = 100 * t
  cv = 0.5 + np.exp(-t / 5)
  cv[25:] = cv[25]  # flat from record 25 on
  # CV-only: monotone decay, so the largest change in (i, i+3] is
  # cv[i] - cv[i+3] = e^{-i/5} (1 - e^{-3/5}) < 0.02 first at i = 16.
  exp_i = int(np.argmax(np.exp(-t / 5) * (1 - np.exp(-3 / 5)) < 0.02))
  assert exp_i == 16
  r = eq.settling(steps, cv, None)
  assert r == eq.SettleResult(True, 1600, 16, pytest.approx(cv[-1]))
  # Histograms that move with the CV and a tight hist_tol make the TV rule
  # the binding one; the expected record is the rule applied by brute force.
  hist = _hist_from_cv(cv)
  r2 = eq.settling(steps, cv, hist, cv_tol=0.02, hist_tol=0.005)
  tv = [
    max(eq.total_variation(hist[i], hist[j]) for j in range(i + 1, i + 4))
    for i in range(37)
  ]
  dcv = [np.abs(cv[i + 1 : i + 4] - cv[i]).max() for i in range(37)]
  exp_j = next(i for i in range(37) if tv[i] < 0.005 and dcv[i] < 0.02)
  assert exp_j > exp_i
  assert r2.settled and r2.index == exp_j and r2.step == 100 * exp_j
  # Default tolerance: the CV rule is the binding one.
  assert eq.settling(steps, cv, hist).index == 16


def test_settling_oscillation_never_settles():
  t = np.arange(60)
  cv = 1.0 + 0.05 * np.sin(t * np.pi / 2)  # swings by 0.05..0.1 between records
  r = eq.settling(t * 10, cv, _hist_from_cv(cv))
  assert r.settled is False and r.step is None and r.index is None
  assert r.cv_final == pytest.approx(cv[-1])


def test_settling_slow_drift_is_not_settled():
  t = np.arange(50)
  cv = 1.0 - 0.009 * t  # each step < cv_tol, but 3 steps = 0.027 > cv_tol
  assert not eq.settling(t, cv, None).settled
  assert eq.settling(t, cv, None, window=2).index == 0


def test_settling_needs_window_records_after():
  cv = np.array([2.0, 1.0, 0.5, 0.5, 0.5])
  assert eq.settling(np.arange(5), cv, None, window=2).index == 2
  assert not eq.settling(np.arange(5), cv, None, window=3).settled


def test_settling_bad_input():
  with pytest.raises(ValueError, match="cv must have shape"):
    eq.settling(np.arange(3), np.ones(4), None)
  with pytest.raises(ValueError, match="hist must have shape"):
    eq.settling(np.arange(3), np.ones(3), np.ones((4, 2)))
  with pytest.raises(ValueError, match="window must be an integer >= 1"):
    eq.settling(np.arange(3), np.ones(3), None, window=0)
  with pytest.raises(ValueError, match="hist_tol must be in"):
    eq.settling(np.arange(3), np.ones(3), None, hist_tol=0)


# ---------------------------------------------------------------- lognormal


def test_fit_lognormal_recovers_parameters():
  rng = np.random.default_rng(0)
  mu, sigma = 4.0, 0.5
  x = rng.lognormal(mu, sigma, size=5000)
  fit = eq.fit_lognormal(x)
  # Standard errors: sigma / sqrt(n) = 0.007 for mu, sigma / sqrt(2n) = 0.005.
  assert fit.mu == pytest.approx(mu, abs=0.03)
  assert fit.sigma == pytest.approx(sigma, abs=0.03)
  assert fit.n == 5000 and fit.n_zero == 0
  assert fit.mean == pytest.approx(math.exp(mu + sigma**2 / 2), rel=0.03)
  assert fit.cv == pytest.approx(math.sqrt(math.expm1(sigma**2)), rel=0.06)
  # The MLE is scipy's with loc fixed at 0.
  s, _, scale = scipy.stats.lognorm.fit(x, floc=0)
  assert fit.sigma == pytest.approx(s, rel=1e-6)
  assert fit.mu == pytest.approx(math.log(scale), rel=1e-6)
  assert fit.ks_pvalue > 0.05


def test_fit_lognormal_integer_fan_ins_and_zeros():
  rng = np.random.default_rng(1)
  f = np.round(rng.lognormal(5.5, 0.6, size=5000)).astype(int)
  f[:37] = 0
  fit = eq.fit_lognormal(f)
  assert fit.n_zero == 37 and fit.n == 4963
  assert fit.mu == pytest.approx(5.5, abs=0.03)
  assert fit.sigma == pytest.approx(0.6, abs=0.03)
  assert fit.ks_pvalue > 0.01  # discreteness matters little at fan-ins ~ 250


def test_fit_lognormal_rejects_uniform():
  rng = np.random.default_rng(2)
  fit = eq.fit_lognormal(rng.integers(1, 201, size=5000))
  assert fit.ks_stat > 0.05
  assert fit.ks_pvalue < 1e-10


def test_fit_lognormal_degenerate():
  fit = eq.fit_lognormal(np.zeros(5))
  assert fit.n == 0 and fit.n_zero == 5 and math.isnan(fit.mu)
  fit = eq.fit_lognormal(np.full(10, 30))
  assert fit.sigma == 0 and fit.cv == 0 and math.isnan(fit.ks_pvalue)
  assert fit.mu == pytest.approx(math.log(30))
  with pytest.raises(ValueError, match="fan_ins must be finite and >= 0"):
    eq.fit_lognormal([1, -2])


# ---------------------------------------------------------------- artifacts


def _run(seed: int, n_layers: int = 2):
  rng = np.random.default_rng(seed)
  t = np.arange(30)
  records, finals = [], []
  for k in range(n_layers):
    cv = 0.8 + (0.3 + 0.1 * k) * np.exp(-t / 4)
    hist = _hist_from_cv(cv)
    records.append({"steps": 100 * t, "fan_in_cv": cv, "fan_in_hist": hist})
    finals.append(np.round(rng.lognormal(4.0 - k, 0.7, size=300)).astype(np.int32))
  return records, finals


def test_artifact_round_trip(tmp_path):
  records, finals = _run(0)
  finals[1][:3] = 0
  art = eq.equilibrium_artifact(records, finals, ["Dense_0", "Dense_1"])
  json.dumps(art, allow_nan=False)  # strict JSON
  assert art["format"] == "psn-equilibrium/1"
  assert art["settling_rule"] == {"cv_tol": 0.02, "hist_tol": 0.05, "window": 3}
  layer = art["layers"][1]
  assert layer["name"] == "Dense_1"
  assert layer["lognormal"]["n_zero"] == 3
  f = finals[1].astype(float)
  assert layer["final"]["cv"] == pytest.approx(f.std() / f.mean())
  assert layer["final"]["mean"] == pytest.approx(f.mean())
  assert layer["final"]["n_zero"] == 3
  rec = records[1]
  s = eq.settling(rec["steps"], rec["fan_in_cv"], rec["fan_in_hist"])
  assert layer["settling"] == {
    "settled": True, "step": s.step, "index": s.index, "cv_final": s.cv_final
  }
  path = tmp_path / "sub" / "eq.json"
  eq.save_artifact(path, art)
  assert eq.load_artifact(path) == art
  assert eq.matched_cvs(art) == [
    pytest.approx(finals[0].std() / finals[0].mean()), pytest.approx(f.std() / f.mean())
  ]


def test_artifact_dense_layer_stores_none(tmp_path):
  records, _ = _run(1, n_layers=1)
  art = eq.equilibrium_artifact(records, [np.full(10, 100)], ["out"])
  assert art["layers"][0]["lognormal"]["ks_pvalue"] is None
  assert art["layers"][0]["final"]["cv"] == 0.0
  eq.save_artifact(tmp_path / "a.json", art)
  json.loads((tmp_path / "a.json").read_text())
  art0 = eq.equilibrium_artifact(records, [np.zeros(10)], ["out"])
  assert eq.matched_cvs(art0) == [None]


def test_matched_cvs_require_settled():
  t = np.arange(20)
  cv = 1.0 + 0.1 * np.sin(t)
  rec = {"steps": t, "fan_in_cv": cv, "fan_in_hist": _hist_from_cv(cv)}
  art = eq.equilibrium_artifact([rec], [np.arange(1, 11)], ["Dense_0"])
  assert art["layers"][0]["settling"]["settled"] is False
  assert eq.matched_cvs(art)[0] == pytest.approx(np.arange(1, 11).std() / 5.5)
  assert eq.matched_cvs(art, require_settled=True) == [None]


def test_pool_artifacts(tmp_path):
  arts = []
  for seed in range(3):
    records, finals = _run(seed)
    arts.append(eq.equilibrium_artifact(records, finals, ["Dense_0", "Dense_1"]))
  pooled = eq.pool_artifacts(arts)
  assert pooled["n_seeds"] == 3
  per_seed = np.array([eq.matched_cvs(a) for a in arts])
  np.testing.assert_allclose(eq.matched_cvs(pooled), per_seed.mean(axis=0))
  lay = pooled["layers"][0]
  assert lay["final"]["cv_std"] == pytest.approx(per_seed[:, 0].std(ddof=1))
  assert lay["settling"]["settled"] and lay["settling"]["n_settled"] == 3
  assert lay["settling"]["step"] == max(lay["settling"]["steps"])
  mus = [a["layers"][0]["lognormal"]["mu"] for a in arts]
  assert lay["lognormal"]["mu"] == pytest.approx(np.mean(mus))
  assert eq.matched_cvs(pooled, require_settled=True) == eq.matched_cvs(pooled)
  eq.save_artifact(tmp_path / "p.json", pooled)
  assert eq.load_artifact(tmp_path / "p.json") == pooled
  other = eq.equilibrium_artifact(*_run(0, 1), ["Dense_9"])
  with pytest.raises(ValueError, match="same layers"):
    eq.pool_artifacts([arts[0], other])
  with pytest.raises(ValueError, match="non-empty"):
    eq.pool_artifacts([])


def test_artifact_bad_input(tmp_path):
  records, finals = _run(0)
  with pytest.raises(ValueError, match="one per layer name"):
    eq.equilibrium_artifact(records, finals, ["Dense_0"])
  with pytest.raises(ValueError, match="miss keys"):
    eq.equilibrium_artifact([{"steps": [0]}], [np.ones(3)], ["a"])
  (tmp_path / "x.json").write_text("{}")
  with pytest.raises(ValueError, match="psn-equilibrium/1 artifact"):
    eq.load_artifact(tmp_path / "x.json")


def test_run_record_picks_one_run():
  cv = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
  hist = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
  rec = eq.run_record({"fan_in_cv": cv, "fan_in_hist": hist}, [1, 2, 3, 4],
                      variant=1, seed=2)
  np.testing.assert_array_equal(rec["steps"], [1, 2, 3, 4])
  np.testing.assert_array_equal(rec["fan_in_cv"], cv[1, 2])
  np.testing.assert_array_equal(rec["fan_in_hist"], hist[1, 2])


def test_settle_summary_from_a_pooled_artifact():
  arts = [eq.equilibrium_artifact(*_run(seed), ["Dense_0", "Dense_1"])
          for seed in range(3)]
  pooled = eq.pool_artifacts(arts)
  out = eq.settle_summary(pooled, record_every=25)
  assert list(out) == ["Dense_0", "Dense_1"]
  for i, name in enumerate(out):
    indices = [a["layers"][i]["settling"]["index"] for a in arts]
    row = out[name]
    assert row["settled_seeds"] == 3 and row["seeds"] == 3
    assert row["updates_to_settle_mean"] == pytest.approx(25 * np.mean(indices))
    assert row["cv_start_mean"] == pytest.approx(
        np.mean([a["layers"][i]["cv_start"] for a in arts]))
    assert row["cv_final_mean"] == pytest.approx(
        np.mean([a["layers"][i]["settling"]["cv_final"] for a in arts]))
  # No seed settled: no update count.
  t = np.arange(20)
  cv = 1.0 + 0.1 * np.sin(t)
  rec = {"steps": t, "fan_in_cv": cv, "fan_in_hist": _hist_from_cv(cv)}
  art = eq.pool_artifacts([eq.equilibrium_artifact([rec], [np.arange(1, 11)],
                                                   ["Dense_0"])])
  assert eq.settle_summary(art, 10)["Dense_0"]["updates_to_settle_mean"] is None
  assert eq.settle_summary(art, 10)["Dense_0"]["settled_seeds"] == 0


def test_summary_text_by_hand():
  summary = {
      "final_test_accuracy": {"rigl_from_erk": [0.9, 0.92],
                              "rigl_from_lognormal_matched": [0.91, 0.94]},
      "matched_cv_per_layer": [0.5, None],
      "lognormal_vs_erk_paired": {"mean_diff": 0.015, "std_diff": 0.007,
                                  "t": 3.0, "p": 0.2048, "cohen_d": 2.1,
                                  "n": 2},
      "settling": {"erk": {"Dense_0": {
          "settled_seeds": 1, "seeds": 2, "updates_to_settle_mean": 300.0,
          "cv_start_mean": 0.1, "cv_final_mean": 0.456}},
                   "uniform": {"Dense_0": {
          "settled_seeds": 0, "seeds": 2, "updates_to_settle_mean": None,
          "cv_start_mean": 0.0, "cv_final_mean": None}}},
  }
  lines = eq.summary_text(summary).splitlines()
  table = stats.summary_table(summary["final_test_accuracy"]).splitlines()
  assert lines[:len(table)] == table
  assert lines[len(table):] == [
      "lognormal(matched) - ERK, paired over 2 seeds: +1.50% (t = 3.00, "
      "p = 0.205, d = 2.10); matched CV per layer: 0.50, -",
      "               erk Dense_0: CV 0.10 -> 0.46; settled in 1/2 seeds "
      "after 300.0 updates (mean)",
      "           uniform Dense_0: CV 0.00 -> -; settled in 0/2 seeds after - "
      "updates (mean)"]


def test_cv_trajectories_by_hand():
  # 2 variants, 2 seeds, 5 records; seed means are the mid values.
  cv = np.array([[[1.0, 0.9, 0.8, 0.7, 0.6], [1.2, 1.1, 1.0, 0.9, 0.8]],
                 [[0.0, 0.2, 0.4, 0.5, 0.6], [0.0, 0.2, 0.4, 0.5, 0.7]]])
  out = eq.cv_trajectories({"Dense_10": cv[:, :, :3], "Dense_2": cv}, ["a", "b"],
                           record_every=50)
  assert list(out) == ["Dense_2", "Dense_10"]             # natural order
  a, b = out["Dense_2"]["a"], out["Dense_2"]["b"]
  assert a["updates"] == [0, 50, 100, 150, 200]          # int(q * 4) records
  np.testing.assert_allclose(a["cv_mean"], [1.1, 1.0, 0.9, 0.8, 0.7])
  np.testing.assert_allclose(b["cv_mean"], [0.0, 0.2, 0.4, 0.5, 0.65])
  assert a["cv_final_std_over_seeds"] == pytest.approx(np.std([0.6, 0.8], ddof=1))
  # 3 records: the quarters fall on records 0, 0, 1, 1, 2.
  assert out["Dense_10"]["a"]["updates"] == [0, 0, 50, 50, 100]
  with pytest.raises(ValueError, match="layer_cvs"):
    eq.cv_trajectories({"Dense_0": cv}, ["a"], 50)
  with pytest.raises(ValueError, match="record_every"):
    eq.cv_trajectories({"Dense_0": cv}, ["a", "b"], 0)
