"""The topology table command: a small end-to-end table, errors.

The Dey degree rules and the networks it builds are tested with the library
(tests/test_graphs.py, tests/test_mask_sources.py).
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from experiments import topology_table as tt
from psn_jax import networks

NAMES = ["uniform", "ERK", "PSN lognormal", "PSN power_law", "PSN gaussian",
         "PSN exponential", "Dey clash-free, exact", "Dey clash-free, padded",
         "circulant"]
# 64-64-32-10 on an 8x8 input grid: at 90% sparsity every PSN layer (the class
# layer too, 32 weights over 10 neurons) can reach CV 1.
SMALL = dict(n_in=64, hidden=(64, 32), num_classes=10, input_shape=(8, 8),
             window=(2, 2), sparsity=0.9, reference_size=100)
SEEDS = 2


@pytest.fixture(scope="module")
def small():
  return tt.compute_table(seeds=SEEDS, **SMALL)


def test_small_table_rows_and_ranges(small):
  assert [r["name"] for r in small["rows"]] == NAMES
  for row in small["rows"]:
    v = row["values"]
    assert set(v) == {k for k, _, _ in tt.COLUMNS}
    for k, x in v.items():
      assert x.shape == (SEEDS,) and np.all(np.isfinite(x)), (row["name"], k)
    assert np.all((v["density"] > 0) & (v["density"] <= 1))
    for k in ("scatter", "scatter_f0", "scatter_net"):
      assert np.all((v[k] >= 0) & (v[k] <= 1)), (row["name"], k)
    for k in ("cv0", "cv1", "cv_mean", "gap0", "gap1", "gap_net", "lam0",
              "lam1", "lam_net", "dead"):
      assert np.all(v[k] >= 0), (row["name"], k)
    assert np.all(v["dead"] <= v["cut_off"])
    # The class layer's backward scatter (windows of 1) is its density.
    assert np.all(v["scatter"] <= row["layer_density"][:, -1] + 1e-12)
    assert row["cv_layers"].shape == (SEEDS, 3)
    np.testing.assert_allclose(v["cv_mean"], row["cv_layers"].mean(axis=1))


def test_small_table_cv_and_density_by_topology(small):
  rows = {r["name"]: r for r in small["rows"]}
  widths = [64, 64, 32, 10]
  # Flat fan-in: CV only from rounding the per-neuron share (6.4 -> 6 or 7).
  for name in ("uniform", "ERK"):
    mean_fan_in = rows[name]["layer_density"] * np.array(widths[:-1])
    bound = 0.5 / mean_fan_in  # sqrt(f (1 - f)) / mean <= 0.5 / mean
    assert np.all(rows[name]["cv_layers"] <= bound + 1e-12), name
  for fam in networks.PSN_FAMILIES:
    cvs = rows[f"PSN {fam}"]["cv_layers"]
    np.testing.assert_allclose(cvs[:, :2], 1.0, atol=0.05, err_msg=fam)
  for name in ("uniform", "circulant") + tuple(f"PSN {f}"
                                               for f in networks.PSN_FAMILIES):
    np.testing.assert_allclose(rows[name]["values"]["density"], 0.1,
                               atol=0.01, err_msg=name)
  np.testing.assert_allclose(rows["ERK"]["values"]["density"], 0.1, atol=1e-3)
  # Biregular Dey layers with real inputs only: exact fan-in, nobody dead.
  exact = rows["Dey clash-free, exact"]
  np.testing.assert_array_equal(exact["cv_layers"], 0.0)
  np.testing.assert_array_equal(exact["values"]["dead"], 0.0)
  np.testing.assert_allclose(exact["layer_density"][0], [0.125, 0.125, 0.5])
  np.testing.assert_allclose(rows["Dey clash-free, padded"]["layer_density"][0],
                             [0.125, 0.125, 0.1])
  np.testing.assert_array_equal(rows["circulant"]["cv_layers"], 0.0)


def test_small_nnstd_block(small):
  block = small["nnstd"]
  m = block["matrix"]
  assert m.shape == (SEEDS, SEEDS)
  np.testing.assert_array_equal(np.diag(m), 0.0)
  off = m[~np.eye(SEEDS, dtype=bool)]
  assert np.all((off > 0.5) & (off <= 1.0))
  assert block["per_layer"].shape == (SEEDS * (SEEDS - 1), 3)
  np.testing.assert_allclose(block["per_layer"].mean(axis=1), off)
  ref = block["reference"]
  assert ref["size"] == 100 and ref["values"].shape == (1,)
  assert 0.5 < ref["values"][0] < 1.0


def test_markdown_report(small):
  text = tt.render_markdown(small, "python -m experiments.topology_table x",
                            1.25)
  lines = text.splitlines()
  header = next(l for l in lines if l.startswith("| topology | density |"))
  start = lines.index(header) + 2
  body = lines[start:start + len(NAMES)]
  assert [l.split(" | ")[0][2:] for l in body] == NAMES
  assert all(l.count("|") == len(tt.COLUMNS) + 2 for l in body)
  for piece in ("## NNSTD", "0.89", "python -m experiments.topology_table x",
                "Wall time: 1.2 s", "p=40 (32 + 8 pad) d_out=1 d_in=4 z=4"):
    assert piece in text, piece


def test_run_writes_the_file(tmp_path):
  out = tmp_path / "sub" / "table.md"
  text = tt.run(str(out), command="cmd", seeds=2, **{**SMALL,
                                                     "reference_size": None})
  assert out.read_text() == text
  assert "Re-measured" not in text  # no reference requested


def test_bad_seeds_give_one_line_and_no_file(tmp_path, capsys):
  out = tmp_path / "t.md"
  with pytest.raises(SystemExit) as e:
    tt.main(["--out", str(out), "--seeds", "1"])
  assert e.value.code == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert len(err) == 1 and "seeds" in err[0]
  assert not out.exists()
