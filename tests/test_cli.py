"""The command lines: results files, one-line errors, exact resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.environ.get("PSN_DATA_DIR")
needs_data = pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="PSN_DATA_DIR with mnist/ is not set")

TINY = ["--config.dataset=mnist", "--config.hidden=(16,)", "--config.batch_size=500",
        "--config.num_epochs=2", "--noprogress"]


def cli(args, workdir, module="experiments.train", config="configs/train.py:quick",
        wait=True):
  cmd = [sys.executable, "-m", module, f"--config={config}",
         f"--workdir={workdir}", *args]
  if not wait:
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
  return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                        timeout=600)


@pytest.mark.parametrize("flag, field", [
    ("--config.sparsity=1.5", "sparsity"),
    ("--config.sparsity=0", "sparsity"),
    ("--config.profile=zigzag", "profile"),
    ("--config.dataset=cifar", "dataset"),
    ("--config.hidden=(300,0)", "hidden"),
    ("--config.num_seeds=0", "num_seeds"),
    ("--config.distribution=banana", "distribution"),
    ("--config.dst.algorithm=prune", "algorithm"),
])
def test_bad_values_give_one_line_and_exit_2(tmp_path, flag, field):
  result = cli([flag, "--noprogress"], tmp_path)
  assert result.returncode == 2, result.stderr
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1, result.stderr
  assert field in lines[0] and "Traceback" not in result.stderr
  assert not (tmp_path / "results.json").exists()


@needs_data
def test_unreachable_cv_gives_one_line_with_the_range(tmp_path):
  result = cli(["--config.profile=sigmoid", "--config.cv=2.5", "--noprogress"],
               tmp_path)
  assert result.returncode == 2, result.stderr
  line, = result.stderr.strip().splitlines()
  assert "cv" in line and "range" in line
  assert not (tmp_path / "results.json").exists()


@needs_data
def test_train_writes_results(tmp_path):
  result = cli(TINY + ["--config.num_seeds=2"], tmp_path)
  assert result.returncode == 0, result.stderr
  results = json.loads((tmp_path / "results.json").read_text())
  acc = results["final_test_accuracy"]
  assert len(acc) == 2 and all(0.5 < a <= 1 for a in acc)
  assert results["config"]["num_seeds"] == 2
  assert len(results["history"]["test_accuracy"]) == 2  # [seed][epoch]
  assert len(results["history"]["test_accuracy"][0]) == 2
  assert set(results) >= {"config", "final_test_accuracy", "history",
                          "wall_time_s", "device", "versions", "topology"}


@needs_data
def test_resume_after_kill_matches_uninterrupted_run(tmp_path):
  args = TINY + ["--config.num_epochs=4", "--config.dst.algorithm=rigl",
                 "--config.dst.delta_t=20"]
  full = cli(args, tmp_path / "full")
  assert full.returncode == 0, full.stderr
  expected = json.loads((tmp_path / "full" / "results.json").read_text())

  # Kill a run once it has written a checkpoint, then resume it.
  proc = cli(args, tmp_path / "cut", wait=False)
  ckpt = tmp_path / "cut" / "checkpoints"
  deadline = time.time() + 300
  while time.time() < deadline and proc.poll() is None:
    if ckpt.is_dir() and any(p.name.isdigit() for p in ckpt.iterdir()):
      break
    time.sleep(0.05)
  proc.send_signal(signal.SIGKILL)
  proc.wait()
  resumed = cli(args + ["--resume"], tmp_path / "cut")
  assert resumed.returncode == 0, resumed.stderr
  got = json.loads((tmp_path / "cut" / "results.json").read_text())
  assert got["final_test_accuracy"] == expected["final_test_accuracy"]
  assert got["history"] == expected["history"]
  assert got["topology"] == expected["topology"]


@needs_data
def test_resume_refuses_a_checkpoint_of_another_config(tmp_path):
  assert cli(TINY, tmp_path).returncode == 0
  other = cli(TINY + ["--config.num_seeds=3", "--resume"], tmp_path)
  assert other.returncode == 2
  line, = other.stderr.strip().splitlines()
  assert "checkpoint" in line and "num_seeds" in line


@needs_data
def test_compare_trains_every_variant_in_one_program_and_writes_a_table(tmp_path):
  result = cli(["--config.hidden=(16,)", "--config.batch_size=500",
                "--config.num_epochs=1", "--config.num_seeds=2",
                "--config.dataset=mnist", "--noprogress"], tmp_path,
               module="experiments.compare", config="configs/compare.py:quick")
  assert result.returncode == 0, result.stderr
  results = json.loads((tmp_path / "results.json").read_text())
  names = ["dense", "uniform", "erk", "lognormal_cv1", "gaussian_cv1"]
  assert list(results["final_test_accuracy"]) == names
  assert all(len(acc) == 2 and all(0.5 < a <= 1 for a in acc)
             for acc in results["final_test_accuracy"].values())
  table = (tmp_path / "table.txt").read_text()
  assert all(name in table for name in names)
  assert table.strip() in result.stdout
