"""Claim B4 (psn_jax.claims.bourely_speed): the rule on simulated timings,
and `experiments.reproduce B4 --toy` end to end (no training, no data)."""

from __future__ import annotations

import json
import os

import numpy as np

from psn_jax.claims import bourely_speed


def _rows(speedup: float, seed: int, repeats: int = 12):
  """Timing rows of one width, 2 densities x (dense, gather, bcoo): sparse
  faster by `speedup` (ratio) with 3% log-normal noise per repeat."""
  rng = np.random.default_rng(seed)
  rows = []
  for d in (0.5, 0.01):
    base = rng.lognormal(0.0, 0.03, repeats)
    for lay, ratio in (("dense", 1.0), ("gather", speedup),
                       ("bcoo", speedup)):
      t = base / ratio * rng.lognormal(0.0, 0.03, repeats)
      rows.append({"width": 64, "density": d, "layout": lay,
                   "times_s": list(t), "median_s": float(np.median(t))})
  return rows


def test_speed_rule_finds_a_real_speedup_and_not_a_null():
  cells = bourely_speed.speedup_cells(_rows(1.0, 0), 64)
  assert set(cells) == {"gather d0.5", "gather d0.01", "bcoo d0.5",
                        "bcoo d0.01"}
  hits = [bourely_speed.speed_rule(_rows(1.5, s))[0].verdict
          for s in range(20)]
  assert hits.count("reproduced") == 20
  null = [bourely_speed.speed_rule(_rows(1.0, s))[0].verdict
          for s in range(60)]
  assert null.count("reproduced") <= 6            # alpha 0.05 + tolerance
  assert null.count("not reproduced") >= 50       # powered: every cell < +10%
  slow = bourely_speed.speed_rule(_rows(0.5, 1))[0]
  assert slow.verdict == "not reproduced"


def test_reproduce_b4_toy_end_to_end(tmp_path):
  from experiments import reproduce
  workdir = str(tmp_path / "w")
  argv = ["reproduce", "B4", "--toy", "--workdir", workdir, "--no-progress"]
  assert reproduce.main(argv) == 0
  with open(os.path.join(workdir, "B4", "claim.json")) as f:
    doc = json.load(f)
  assert doc["verdict"] in ("reproduced", "partly", "not reproduced",
                            "inconclusive")
  assert doc["n_runs"] == 0 and doc["hardware"]["backend"] == "cpu"
  table = [r for r in doc["rows"] if "layout" in r]
  assert {(r["density"], r["layout"]) for r in table} == {
      (0.25, lay) for lay in ("dense", "gather", "bcoo")}
  assert all(r["max_abs_diff"] < 1e-5 for r in table)
  # Compression is exact arithmetic: at 25% the sparse layouts store less.
  stored = {r["layout"]: r["stored_MB"] for r in table}
  assert stored["bcoo"] < stored["dense"] and stored["gather"] < stored["dense"]
  assert set(doc["first_win"]) == {"gather", "bcoo"}
  assert os.path.exists(os.path.join(workdir, "B4", "B4.png"))
  # A rerun reads the timings back instead of measuring again.
  mtime = os.path.getmtime(os.path.join(workdir, "B4",
                                        bourely_speed.TIMINGS_FILE))
  assert reproduce.main(argv) == 0
  assert os.path.getmtime(os.path.join(
      workdir, "B4", bourely_speed.TIMINGS_FILE)) == mtime
