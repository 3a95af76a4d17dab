"""benchmarks.peers at toy size: every arm trains the recipe and reports."""

from __future__ import annotations

import json
import os

import pytest

from benchmarks import peers

DATA_DIR = os.environ.get("PSN_DATA_DIR")


@pytest.mark.skipif(not DATA_DIR or not os.path.isdir(
    os.path.join(DATA_DIR, "mnist")), reason="needs $PSN_DATA_DIR with mnist/")
def test_peers_benchmark_runs_at_toy_size(tmp_path, capsys):
  doc = peers.main(["--toy", "--seeds", "1", "--inline", "--arms",
                    "engine,loop,torch", "--torch_threads", "1",
                    "--out", str(tmp_path)])
  out = capsys.readouterr().out
  labels = {r["label"] for r in doc["rows"]}
  assert {"engine (cold cache)", "jax loop"} <= labels
  try:
    import torch  # pylint: disable=g-import-not-at-top,unused-import
    assert "torch loop" in labels
  except ImportError:
    assert "torch loop   1 skipped: torch does not import" in out
  for r in doc["rows"]:
    assert r["seed_epochs_per_s"] > 0 and r["first_result_s"] > 0
    assert r["peak_rss_bytes"] > 2**20 and 0 <= r["final_test_accuracy"] <= 1
    assert len(r["epoch_s"]) == 2  # the toy recipe's epochs, one seed
  (ratio,) = doc["ratios"]
  assert ratio["S"] == 1 and ratio["throughput_engine_over_loop"] > 0
  saved = json.loads((tmp_path / "peers_cpu_toy.json").read_text())
  assert saved["command"].startswith("python -m benchmarks.peers --toy")
  assert saved["rows"] == json.loads(json.dumps(doc["rows"]))
  text = (tmp_path / "peers_cpu_toy.txt").read_text()
  assert text.startswith("$ python -m benchmarks.peers") and "jax loop" in text
