"""The topology table over every mask source: real numbers at a small size.

64-64-32-10 on an 8x8 input grid, 2 seeds (the command's 784-300-100-10 at 5
seeds is too slow for a test); the random-mask NNSTD baseline at the note's own
1000x1000 size.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments import topology_table as tt
from psn_jax import masks

SEEDS = 2
SMALL = dict(n_in=64, hidden=(64, 32), sparsity=0.9, input_shape=(8, 8),
             window=(2, 2), baseline_size=1000)


@pytest.fixture(scope="module")
def small():
  return tt.measure(SEEDS, **SMALL)


def _flat_cv(k: int, n_out: int) -> float:
  """Fan-in CV of k weights spread flat over n_out neurons (floor or ceil)."""
  q, r = divmod(k, n_out)
  mean = k / n_out
  return math.sqrt(r * (n_out - r) / n_out**2) / mean


def test_rows_are_the_registry_and_dey_is_refused_with_its_reason(small):
  df, skipped, _ = small
  assert list(df.source) == [s for s in masks.MASK_SOURCES if s not in skipped]
  # 64 -> 64 at 10% is 410 weights: no integer Dey out-degree (410 / 64).
  assert set(skipped) == {"dey_basic", "dey_clash_free", "block_diagonal"}
  assert all("nearest feasible densities" in v for v in skipped.values())
  assert list(df.columns) == (
      ["source"] + [f"{c} L{l}" for l in (0, 1) for c in ("CV", "gap", "λ2", "S_f")]
      + ["dead", "scatter", "NNSTD L0"])
  for col in df.columns[1:-1]:
    assert all(len(v) == SEEDS for v in df[col]), col
  assert all(len(v) == SEEDS * (SEEDS - 1) // 2 for v in df["NNSTD L0"])


def test_random_nnstd_baseline_is_the_notes(small):
  _, _, baseline = small
  assert baseline.shape == (1,)
  assert abs(baseline[0] - tt.NOTE_NNSTD) < 0.02


def test_fan_in_cvs(small):
  df = small[0].set_index("source")
  # Flat fan-ins: 410 weights over 64 neurons (L0), 205 over 32 (L1).
  for name in ("uniform", "random_biregular", "circulant", "circulant_banded"):
    np.testing.assert_allclose(df.loc[name, "CV L0"], _flat_cv(410, 64), rtol=1e-12)
    np.testing.assert_allclose(df.loc[name, "CV L1"], _flat_cv(205, 32), rtol=1e-12)
  # random: hypergeometric fan-ins (410 draws from 4096 positions, 64 per
  # neuron): CV sqrt((1 - p) / (p n_in) (N - n_in) / (N - 1)).
  p, n, big = 410 / 4096, 64, 4096
  expected = math.sqrt((1 - p) / (p * n) * (big - n) / (big - 1))  # 0.372
  assert abs(np.mean(df.loc["random", "CV L0"]) - expected) < 0.08
  # erdos_renyi is random's alias: the same masks, the same numbers.
  for col in df.columns:
    np.testing.assert_array_equal(df.loc["random", col], df.loc["erdos_renyi", col])
  # PSN profiles at their default CVs are far from flat.
  for name in ("lognormal", "exponential", "softplus"):
    assert np.min(df.loc[name, "CV L0"]) > 0.3, name


def test_ranges_and_structure(small):
  df = small[0].set_index("source")
  for name, row in df.iterrows():
    for col in ("scatter", "S_f L0", "S_f L1", "gap L0", "gap L1"):
      assert all(0 <= v <= 1 + 1e-12 for v in row[col]), (name, col)
    assert all(v >= 0 for v in row["λ2 L0"] + row["dead"]), name
  # The banded circulant has no randomness: identical masks for every seed, and
  # a poorly expanding graph (small gap, low scatter).
  np.testing.assert_array_equal(df.loc["circulant_banded", "NNSTD L0"], 0.0)
  assert max(df.loc["circulant_banded", "gap L0"]) < 0.05
  assert max(df.loc["circulant_banded", "S_f L0"]) < min(df.loc["random", "S_f L0"])
  # Independent random placements are far apart, as the note's baseline.
  for name in ("random", "uniform", "random_biregular", "lognormal"):
    assert all(0.6 < v < 1 for v in df.loc[name, "NNSTD L0"]), name


def test_command_writes_the_table(small, tmp_path, monkeypatch, capsys):
  monkeypatch.setattr(tt, "measure", lambda seeds: small)
  out = tmp_path / "sub" / "t.md"
  tt.main(["--out", str(out), "--seeds", "2"])
  text = out.read_text()
  assert capsys.readouterr().out == text
  lines = text.splitlines()
  assert "`python -m experiments.topology_table --out " in lines[2]
  header = lines.index(next(l for l in lines if l.startswith("| source |")))
  body = lines[header + 2:header + 2 + len(small[0])]
  assert [l.split(" | ")[0][2:] for l in body] == list(small[0].source)
  assert all(l.count("|") == len(small[0].columns) + 1 for l in body)
  assert f"{small[2][0]:.4f}; topology-metrics.md 1.6: about 0.89" in text
  assert sum(l.startswith(("Not built: dey_", "Not built: block_diagonal"))
             for l in lines) == 3


def test_bad_seeds_give_one_line_and_no_file(tmp_path, capsys):
  out = tmp_path / "t.md"
  with pytest.raises(SystemExit) as e:
    tt.main(["--out", str(out), "--seeds", "1"])
  assert e.value.code == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert len(err) == 1 and "--seeds" in err[0]
  assert not out.exists()
