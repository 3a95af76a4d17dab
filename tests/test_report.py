"""Tests for the report generator (psn_jax.report, experiments.report) and the
statistics it prints (psn_jax.stats: mean_ci, partial_correlation,
bootstrap_ci), on hand-computed values and a small fixture of claim.json files."""

from __future__ import annotations

import json
import math
import os
import types

import numpy as np
import pytest
import scipy.stats

from psn_jax import report, stats
from psn_jax.claims import common as claims


# -- statistics ------------------------------------------------------------


def test_mean_ci_hand_computed():
  m = stats.mean_ci([1.0, 2.0, 3.0, 4.0])
  assert m.mean == 2.5 and m.n == 4
  assert m.std == pytest.approx(math.sqrt(5 / 3))
  half = 3.182446305284263 * math.sqrt(5 / 3) / 2  # t_{0.975, 3} s / sqrt(n)
  assert (m.lo, m.hi) == pytest.approx((2.5 - half, 2.5 + half))
  one = stats.mean_ci([0.7])
  assert one.mean == 0.7 and math.isnan(one.std) and math.isnan(one.lo)
  flat = stats.mean_ci([2.0, 2.0, 2.0])
  assert flat.lo == flat.hi == 2.0
  with pytest.raises(ValueError, match="level"):
    stats.mean_ci([1.0, 2.0], level=1.5)


def test_partial_correlation_matches_the_one_covariate_formula():
  rng = np.random.default_rng(3)
  z = rng.normal(size=40)
  x = z + rng.normal(size=40)
  y = 0.5 * z - 0.3 * x + rng.normal(size=40)
  r, p = stats.partial_correlation(x, y, z)
  rxy, rxz, ryz = (np.corrcoef(a, b)[0, 1] for a, b in ((x, y), (x, z), (y, z)))
  expected = (rxy - rxz * ryz) / math.sqrt((1 - rxz ** 2) * (1 - ryz ** 2))
  assert r == pytest.approx(expected, abs=1e-12)
  t = expected * math.sqrt((40 - 3) / (1 - expected ** 2))
  assert p == pytest.approx(2 * scipy.stats.t.sf(abs(t), 37))
  # Without covariates' effect: z independent of x, y, r close to Pearson's.
  r0, _ = stats.partial_correlation(x, y, np.zeros((40, 0)))
  assert r0 == pytest.approx(rxy)


def test_partial_correlation_removes_a_shared_driver():
  """x and y both follow density only: Pearson r is high, partial r ~ 0."""
  d = np.repeat([0.1, 0.2, 0.5], 10)
  rng = np.random.default_rng(0)
  x = 3 * d + 0.01 * rng.normal(size=30)
  y = 2 * d + 0.01 * rng.normal(size=30)
  assert stats.pearson_r(x, y)[0] > 0.99
  r, p = stats.partial_correlation(x, y, d)
  assert abs(r) < 0.5 and p > 0.01


def test_partial_correlation_undefined_and_bad_shapes():
  assert all(math.isnan(v) for v in stats.partial_correlation(
      [1.0, 2.0, 3.0], [1.0, 3.0, 2.0], [1.0, 1.0, 2.0]))  # dof 0
  with pytest.raises(ValueError, match="covariates"):
    stats.partial_correlation([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0], [1.0])


def test_bootstrap_ci_is_deterministic_and_covers_the_estimate():
  x = np.arange(20.0)
  lo, hi = stats.bootstrap_ci(np.mean, x, n_boot=500, seed=1)
  assert (lo, hi) == stats.bootstrap_ci(np.mean, x, n_boot=500, seed=1)
  assert lo < 9.5 < hi
  # Normal-theory half width 1.96 * sd / sqrt(n) ~ 2.6; bootstrap close to it.
  assert 1.5 < (hi - lo) / 2 < 3.5
  # Paired arrays stay paired: r of y = x is 1 in every resample.
  assert stats.bootstrap_ci(lambda a, b: stats.pearson_r(a, b)[0], x, x,
                            n_boot=50) == pytest.approx((1.0, 1.0))
  with pytest.raises(ValueError, match="first dimension"):
    stats.bootstrap_ci(np.mean, x, x[:5])


def test_paired_and_describe_in_percent():
  a = np.array([0.90, 0.91, 0.92])
  b = a - np.array([0.01, 0.02, 0.03])
  d = claims.paired(a, b)
  assert d["mean"] == pytest.approx(2.0) and d["n"] == 3
  assert d["std"] == pytest.approx(1.0)
  assert d["d"] == pytest.approx(2.0)
  assert d["ci95"][0] < 2.0 < d["ci95"][1]
  s = claims.describe([0.5])
  assert s["mean"] == 50.0 and s["std"] is None and s["ci95"] == [None, None]


# -- report ----------------------------------------------------------------


def _spec(i: str) -> types.SimpleNamespace:
  return types.SimpleNamespace(id=i, title=f"claim {i}", source="paper",
                               paper_text=f"text {i}", paper_value=f"value {i}")


def _write(root, claim_id: str, verdict: str, **extra) -> None:
  os.makedirs(root / claim_id, exist_ok=True)
  doc = {"id": claim_id, "title": f"claim {claim_id}", "source": "paper",
         "paper": {"text": f"text {claim_id}", "value": f"value {claim_id}"},
         "ours": {"text": f"ours {claim_id}", "mean": 0.16, "std": 0.3,
                  "n": 30, "ci95": [0.05, 0.27], "p": 0.01, "d": 0.5,
                  "unit": "pp"},
         "rows": [{"arm": "a", "accuracy": {"mean": 90.0, "std": 0.1}},
                  {"arm": "b", "accuracy": {"mean": 89.5, "std": None}},
                  {"comparison": "a - b", "mean": 0.5, "std": 0.2, "p": 0.03}],
         "mode": "quick", "command": f"python -m experiments.reproduce "
         f"{claim_id} --quick --workdir w", "n_runs": 4,
         "hardware": {"device": "cpu", "backend": "cpu"},
         "wall_time_s": {"train": 12.3}, "figure": f"{claim_id}.png",
         "verdict": verdict, "reason": f"because {claim_id}", **extra}
  (root / claim_id / "claim.json").write_text(json.dumps(doc))


def test_report_fixture_verdicts_missing_and_deterministic(tmp_path):
  results = tmp_path / "claims"
  _write(results, "C5", "reproduced", mode="cpu", epochs=[20, 20],
         seeds=[10, 10], mde80=0.12,
         convergence={"converged": True, "largest_move": 0.05,
                      "tolerance": 0.16},
         test="one-sided paired t, alpha 0.05")
  _write(results, "L4", "not reproduced", missing_datasets=["covertype"])
  specs = [_spec("C5"), _spec("L4"), _spec("B3")]
  out = tmp_path / "REPORT.md"
  text = report.render(str(results), specs, str(out), "cmd")
  assert text == report.render(str(results), specs, str(out), "cmd")
  summary = [l for l in text.splitlines() if l.startswith("| ")]
  assert ("| [C5](#c5) | claim C5 | value C5 | ours C5 | **reproduced** | "
          "test (CPU) | 20 | 10 | yes (0.05 vs 0.16) | 0.12 |") in summary
  assert ("| [L4](#l4) | claim L4 | value L4 | ours L4 | **not reproduced** | "
          "demo, not a test | - | - | - | - |") in summary
  assert "| B3 | claim B3 | value B3 | - | not run | - | - | - | - | - |" in summary
  assert "- Verdict: **not run**: no `B3/claim.json`" in text
  assert "covertype: data not available here." in text
  assert "- Test (stated before the data): one-sided paired t, alpha 0.05." in text
  assert "![C5 cpu](claims/C5/C5.png)" in text  # relative to REPORT.md
  assert "p = 0.010 (two-sided)" in text and "95% CI [0.05, 0.27]" in text
  assert "| a | 90.00 +- 0.10 |" in text and "| b | 89.50 |" in text
  assert ("Verdicts per mode: cpu (test (CPU)): not run 2, reproduced 1; "
          "quick (demo, not a test): not reproduced 1, not run 2.") in text
  assert report.verdict_counts({"x": None, "y": {"verdict": "partly"}}) == {
      "not run": 1, "partly": 1}


def test_report_rows_per_mode_strongest_first(tmp_path):
  """Several result folders: one summary row per mode, GPU and CPU tests
  before the quick demo."""
  demo, cpu = tmp_path / "demo", tmp_path / "cpu"
  _write(demo, "C1", "inconclusive")
  _write(cpu, "C1", "not reproduced", mode="cpu")
  text = report.render([str(demo), str(cpu)], [_spec("C1")],
                       str(tmp_path / "R.md"), "cmd")
  rows = [l for l in text.splitlines() if l.startswith("| [C1]")]
  assert [r.split(" | ")[5] for r in rows] == ["test (CPU)",
                                                "demo, not a test"]
  assert text.index("### C1, test (CPU)") < text.index("### C1, demo, not a test")


def test_report_cli_twice_same_file(tmp_path):
  from experiments import report as report_cli
  results = tmp_path / "claims"
  _write(results, "C1", "partly")
  out = tmp_path / "out" / "REPORT.md"
  argv = ["report", "--results", str(results), "--out", str(out)]
  assert report_cli.main(argv) == 0
  first = out.read_bytes()
  assert report_cli.main(argv) == 0
  assert out.read_bytes() == first
  text = first.decode()
  assert "**partly**" in text
  assert text.count(" | not run | ") >= 10  # every other claim id is listed


# -- claim figures -----------------------------------------------------------


def test_claim_lines_and_bars(tmp_path):
  from psn_jax import plots
  fig, axes = plots.claim_figure(2)
  assert len(axes) == 2
  ax = plots.claim_lines({"a": ([0.1, 0.2], [90.0, 91.0], [0.1, float("nan")]),
                          "b": ([0.1, 0.2], [89.0, 90.0], None)}, axes[0],
                         xlabel="density", ylabel="accuracy (%)", logx=True,
                         hline=(92.0, 0.2, "dense"))
  assert len(ax.containers) == 2 and ax.get_xscale() == "log"
  assert [t.get_text() for t in ax.get_legend().get_texts()] == ["dense", "a", "b"]
  one = plots.claim_lines({"a": ([0.5], [1.0], None)}, plots.new_axes(),
                          xlabel="x", ylabel="y", logx=True, connect=False)
  assert one.get_xscale() == "linear"   # one x value: no log axis
  bars = plots.claim_bars({"mnist": {"u": (0.5, 0.1), "r": (0.7, None)},
                           "fmnist": {"u": (1.5, 0.2)}}, axes[1],
                          ylabel="gap (pp)", band=(0.2, 0.6))
  heights = sorted(round(p.get_height(), 3) for p in bars.patches
                   if p.get_width() < 0.5)
  assert heights == [0.5, 0.7, 1.5]
  assert len(set(plots.OKABE_ITO)) == 8
  path = tmp_path / "f.png"
  plots.save(fig, path)
  assert path.stat().st_size > 0
  with pytest.raises(ValueError, match="equal shapes"):
    plots.claim_lines({"a": ([1, 2], [1.0], None)}, xlabel="x", ylabel="y")
