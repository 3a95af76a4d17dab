"""Every mask source trains through the command line (issue: every topology trains)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from helpers import tiny_data_dir
from psn_jax import masks as masks_lib
from psn_jax import results as results_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(not os.environ.get("PSN_DATA_DIR"),
                    reason="needs $PSN_DATA_DIR (MNIST files)")
def test_every_mask_source_trains_through_the_cli(tmp_path):
  data_dir = tiny_data_dir(tmp_path / "data", os.environ["PSN_DATA_DIR"])
  workdir = tmp_path / "run"
  # 784-40-10 at 90% with the class layer dense: layer 0 keeps 3136 = 784 * 4
  # weights, a budget every source (Dey's degree rules included) reaches.
  proc = subprocess.run(
      [sys.executable, "-m", "experiments.sources",
       "--config", "configs/compare.py:sources", "--config.hidden=(40,)",
       "--config.num_seeds=2", "--config.num_epochs=2",
       "--config.batch_size=64", "--config.track.snapshot_every=1",
       f"--data_dir={data_dir}", f"--workdir={workdir}", "--noprogress"],
      cwd=ROOT, capture_output=True, text=True, timeout=600)
  assert proc.returncode == 0, proc.stderr[-2000:]
  res = results_lib.Results.load(str(workdir))
  assert res.names == list(masks_lib.MASK_SOURCES)
  assert np.isfinite(res.history["train_loss"]).all()
  # Training moved every source away from its initial loss.
  assert (res.history["train_loss"][..., -1] <
          res.history["train_loss"][..., 0]).all()
  for v, name in enumerate(res.names):
    for s in range(len(res.seeds)):
      first = res.mask_snapshot(v, s, 0)
      last = res.mask_snapshot(v, s, 2)
      assert first["Dense_0"]["kernel"].sum() == 3136, name
      np.testing.assert_array_equal(first["Dense_0"]["kernel"],
                                    last["Dense_0"]["kernel"])  # static
      assert first["Dense_1"]["kernel"].all(), name  # dense_last
  table = (workdir / "sources.md").read_text()
  for name in masks_lib.MASK_SOURCES:
    assert f"| {name} |" in table
