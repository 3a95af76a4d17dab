"""The verdict rules (psn_jax.claims.verdicts) on hand-worked tables, against
statsmodels, and on simulated null and true effects at the n the claims use.

Null rates: over a few hundred simulated claims with no effect (or, for
claims of equivalence, a true difference at the margin), the rate of
`reproduced` or `partly` stays at or below alpha plus a simulation tolerance
(3 binomial standard errors). Power: with the true effect set to the rule's
own minimum detectable effect (80% power), the rule finds it about 80% of the
time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from psn_jax.claims import verdicts as vd

DRAWS = 300
ALPHA = vd.ALPHA
TOL = 3 * math.sqrt(ALPHA * (1 - ALPHA) / DRAWS)   # ~0.038


def _rate(outcomes, which=("reproduced", "partly")) -> float:
  return float(np.mean([o.verdict in which for o in outcomes]))


# --------------------------------------------------------------------------
# Hand-worked tables.


def test_tost_matches_a_hand_worked_table_and_statsmodels():
  d = np.array([0.1, 0.3, 0.2, 0.4, 0.0])
  # mean 0.2, sd sqrt(0.10 / 4) = 0.15811, se 0.070711; upper bound test
  # t = (0.2 - 0.6) / 0.070711 = -5.6569, df 4.
  t = vd.tost(d, 0.6)
  assert t["mean"] == pytest.approx(0.2)
  assert t["std"] == pytest.approx(0.158114, abs=1e-6)
  assert t["p_equivalence"] == pytest.approx(sps.t.cdf(-5.656854, 4),
                                             rel=1e-5)
  assert t["p_equivalence"] == pytest.approx(0.002406, abs=2e-6)
  from statsmodels.stats.weightstats import ttost_paired
  assert t["p_equivalence"] == pytest.approx(
      ttost_paired(d, np.zeros(5), -0.6, 0.6)[0])
  # Beyond +-0.1: t = (0.2 - 0.1) / 0.070711 = 1.4142 -> one-sided p 0.115,
  # doubled for the two sides.
  assert vd.tost(d, 0.1)["p_beyond_margin"] == pytest.approx(
      2 * sps.t.sf(1.414214, 4), rel=1e-5)


def test_holm_matches_a_hand_worked_table_and_statsmodels():
  # sorted 0.01, 0.03, 0.04, 0.2 -> 0.04, 0.09, max(0.08, 0.09), 0.2
  np.testing.assert_allclose(vd.holm([0.01, 0.04, 0.03, 0.2]),
                             [0.04, 0.09, 0.09, 0.2])
  from statsmodels.stats.multitest import multipletests
  rng = np.random.default_rng(0)
  for m in (1, 2, 5, 17):
    p = rng.random(m) ** 3
    np.testing.assert_allclose(vd.holm(p),
                               multipletests(p, method="holm")[1])
  np.testing.assert_allclose(vd.holm([0.5, 0.5, 0.5]), [1.0, 1.0, 1.0])


def test_mde_formulas():
  # Paired t, n 10, two-sided, 80%: d = 0.996 (G*Power: 0.9958).
  assert vd.mde_paired(1.0, 10) == pytest.approx(0.9958, abs=1e-3)
  assert vd.mde_paired(0.5, 10) == pytest.approx(0.5 * 0.9958, abs=1e-3)
  # TOST margin at true 0: (t_.95,9 + t_.9,9) * sd / sqrt(n).
  assert vd.mde_equivalence(0.3, 10) == pytest.approx(
      (1.833113 + 1.383029) * 0.3 / math.sqrt(10), rel=1e-5)
  # Fisher z, n 12: tanh((1.959964 + 0.841621) / 3).
  assert vd.mde_correlation(12) == pytest.approx(
      math.tanh(2.801585 / 3), rel=1e-5)


def test_convergence_window_and_fixture_of_unconverged_runs():
  rising = np.array([[80, 84, 86, 87, 88, 89, 89.5, 90, 90.4, 90.8]] * 3)
  flat = np.array([[80, 88, 89, 89.5, 89.6, 89.6, 89.6, 89.6, 89.6, 89.65]] * 3)
  c = vd.convergence({"a": rising, "b": flat}, tolerance=0.3)
  assert not c.converged and c.worst_arm == "a" and c.window_epochs == 2
  assert c.largest_move == pytest.approx(0.8)
  assert vd.convergence({"b": flat}, tolerance=0.3).converged
  assert not vd.convergence({"b": flat[:, :3]}, tolerance=0.3).converged
  # An effect the test finds, from runs still moving: inconclusive.
  v = vd.superiority(np.full(10, 1.0) + np.linspace(-0.1, 0.1, 10), 0.16,
                     converged=False)
  assert v.verdict == "inconclusive" and "test alone: reproduced" in v.reason
  v = vd.equivalence_all({"x": np.linspace(-0.1, 0.1, 5)}, 0.6,
                         converged=False)
  assert v.verdict == "inconclusive"


# --------------------------------------------------------------------------
# Null rates and power at the claims' n.


@pytest.mark.parametrize("n", [5, 10])
def test_superiority_null_rate_and_power(n):
  rng = np.random.default_rng(1)
  sd = 0.3
  null = [vd.superiority(rng.normal(0, sd, n), 0.16, converged=True)
          for _ in range(DRAWS)]
  assert _rate(null) <= ALPHA + TOL
  mde = vd.mde_paired(sd, n, alternative="larger")
  true = [vd.superiority(rng.normal(mde, sd, n), 0.16, converged=True)
          for _ in range(DRAWS)]
  assert _rate(true, ("reproduced",)) == pytest.approx(0.8, abs=0.08)


def test_superiority_says_not_reproduced_only_when_powered():
  rng = np.random.default_rng(2)
  # n 30, sd 0.2: MDE ~0.11 < 0.16; true effect 0 -> often "not reproduced".
  out = [vd.superiority(rng.normal(0, 0.2, 30), 0.16, converged=True)
         for _ in range(100)]
  assert _rate(out, ("not reproduced",)) > 0.5
  # n 3, sd 1: MDE >> 0.16: never "not reproduced", whatever the data.
  out = [vd.superiority(rng.normal(-1, 1.0, 3), 0.16, converged=True)
         for _ in range(100)]
  assert _rate(out, ("not reproduced",)) == 0


def test_equivalence_null_rate_at_the_margin_and_power():
  rng = np.random.default_rng(3)
  n, sd, k = 5, 0.25, 4          # C1's shape: 4 cells, 5 seeds
  null = [vd.equivalence_all({f"c{i}": rng.normal(0.6, sd, n)
                              for i in range(k)}, 0.6, converged=True)
          for _ in range(DRAWS)]
  assert _rate(null) <= ALPHA + TOL
  # One cell whose true gap is 0, with sd set so that the MDE is the margin.
  sd_ok = 0.6 / vd.mde_equivalence(1.0, n)
  true = [vd.equivalence_all({"c": rng.normal(0, sd_ok, n)}, 0.6,
                             converged=True) for _ in range(DRAWS)]
  assert _rate(true, ("reproduced",)) == pytest.approx(0.8, abs=0.1)


def test_independent_equivalence_null_rate():
  rng = np.random.default_rng(4)
  null = [vd.equivalence_all(
      {f"c{i}": (rng.normal(0.1, 0.05, 3), rng.normal(0, 0.05, 3))
       for i in range(5)}, 0.1, converged=True, paired=False)
          for _ in range(DRAWS)]
  assert _rate(null) <= ALPHA + TOL


def test_noninferiority_null_rate():
  rng = np.random.default_rng(5)
  null = [vd.noninferior_any({f"d{i}": rng.normal(1.0, 0.4, 5)
                              for i in range(3)}, 1.0, converged=True)
          for _ in range(DRAWS)]
  assert _rate(null) <= ALPHA + TOL


def test_best_of_null_rate_with_many_arms():
  rng = np.random.default_rng(6)
  null = [vd.best_of({f"a{i}": rng.normal(0, 0.3, 5) for i in range(7)},
                     converged=True, effect=0.2) for _ in range(DRAWS)]
  assert _rate(null) <= ALPHA + TOL   # Holm: without it ~30% of null runs


def test_correlation_null_rate_and_power():
  rng = np.random.default_rng(7)
  x = np.linspace(0, 2, 9)           # C3's 9 variant means
  null = [vd.correlation(x, rng.normal(0, 1, 9), sign=+1, converged=True)
          for _ in range(DRAWS)]
  assert _rate(null) <= ALPHA + TOL
  r = 0.93
  true = []
  for _ in range(DRAWS):
    z = (x - x.mean()) / x.std()
    y = r * z + math.sqrt(1 - r * r) * rng.normal(0, 1, 9)
    true.append(vd.correlation(x, y, sign=+1, converged=True, paper_r=r))
  assert _rate(true, ("reproduced",)) > 0.8


def test_fixed_effect_ignores_a_confound_with_density():
  rng = np.random.default_rng(8)
  outs = []
  for _ in range(DRAWS):
    dens = np.repeat([0.02, 0.05, 0.2, 0.5], 5)
    measure = 3 * dens + rng.normal(0, 0.1, dens.size)   # follows density
    acc = 90 + 10 * dens + rng.normal(0, 0.3, dens.size)  # density only
    frame = pd.DataFrame({"accuracy": acc, "gap": measure, "density": dens})
    outs.append(vd.fixed_effect(frame, "accuracy", "gap", "density", sign=+1,
                                converged=True))
  assert _rate(outs) <= ALPHA + TOL
  # A plain correlation over the same points would call it almost always.
  frame = pd.DataFrame({"accuracy": acc, "gap": measure, "density": dens})
  assert vd.correlation(frame["gap"], frame["accuracy"], sign=+1,
                        converged=True).verdict == "reproduced"


def test_combine_and_gate():
  r = vd.Verdict("reproduced", "a")
  i = vd.Verdict("inconclusive", "b")
  n = vd.Verdict("not reproduced", "c")
  assert vd.combine([r, r]).verdict == "reproduced"
  assert vd.combine([r, i]).verdict == "partly"
  assert vd.combine([n, i]).verdict == "not reproduced"
  assert vd.combine([i, i]).verdict == "inconclusive"
  assert vd.gate(r, converged=False).verdict == "inconclusive"
  with pytest.raises(ValueError, match="verdict must be one of"):
    vd.Verdict("maybe", "x")
  with pytest.raises(ValueError, match="diffs must hold"):
    vd.superiority([1.0], 0.1, converged=True)


def test_l4_rule_refutes_at_alpha_under_seed_noise_and_sees_extra_spread():
  from psn_jax.claims import liu
  rng = np.random.default_rng(9)
  # Null: the nearly identical starts spread as seed noise does.
  null = [liu.same_accuracy_rule(rng.normal(87, 0.15, 10),
                                 rng.normal(87, 0.15, 10), converged=True)
          for _ in range(DRAWS)]
  assert _rate(null, ("not reproduced",)) <= ALPHA + TOL
  assert _rate(null, ("reproduced",)) > 0.5        # range ~0.45 < 0.6 pp
  # Three times the seed noise: refuted most of the time, never reproduced.
  wide = [liu.same_accuracy_rule(rng.normal(87, 0.45, 10),
                                 rng.normal(87, 0.15, 10), converged=True)
          for _ in range(DRAWS)]
  assert _rate(wide, ("not reproduced",)) > 0.9
  assert _rate(wide, ("reproduced",)) < ALPHA
