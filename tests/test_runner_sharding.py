"""The runner on several devices: same numbers as one device; N -> M resume.

Each run is a subprocess with `--xla_force_host_platform_device_count` (the
device count is fixed when JAX starts). 3 seeds on 4 devices exercises the
padding (4 runs, the last a copy of seed 2, never in the results).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from helpers import tiny_data_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_SCRIPT = r"""
import json, sys
from psn_jax import checkpoint, config, runner
c = config.get_config("quick")
c.hidden, c.batch_size, c.num_epochs, c.num_seeds = (16,), 32, 2, 3
c.profile, c.dataset = "random", "mnist"
workdir, data_dir, mode = sys.argv[1:4]
if mode == "kill":
  real = checkpoint.save
  def save(mngr, epoch, state, meta):
    real(mngr, epoch, state, meta)
    mngr.wait_until_finished()
    raise SystemExit(3)
  checkpoint.save = save
r = runner.run(c, workdir, resume=(mode == "resume"), data_dir=data_dir,
               progress=False)
print(json.dumps({"devices": r.meta["num_devices"],
                  "start_epochs": r.meta["start_epochs"],
                  "history": {k: v.tolist() for k, v in r.history.items()},
                  "fan_ins": {k: v.tolist() for k, v in r.fan_ins.items()}}))
"""


def _run(workdir, data_dir, mode, devices):
  env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS=(
      os.environ.get("XLA_FLAGS", "") +
      f" --xla_force_host_platform_device_count={devices}"))
  proc = subprocess.run([sys.executable, "-c", _SCRIPT, str(workdir), data_dir, mode],
                        cwd=ROOT, env=env, capture_output=True, text=True,
                        timeout=600)
  if mode == "kill":
    assert proc.returncode == 3, proc.stderr[-2000:]
    return None
  assert proc.returncode == 0, proc.stderr[-2000:]
  return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not os.environ.get("PSN_DATA_DIR"),
                    reason="needs $PSN_DATA_DIR (MNIST files)")
def test_sharded_runs_equal_one_device_and_resume_on_another_count(tmp_path):
  """Epoch 1 trains on 4 devices (3 runs + 1 padding copy), the checkpoint
  is resumed on 2 (3 runs + 1 copy): every number equals one device's."""
  data_dir = tiny_data_dir(tmp_path / "data", os.environ["PSN_DATA_DIR"])
  one = _run(tmp_path / "one", data_dir, "full", 1)
  _run(tmp_path / "moved", data_dir, "kill", 4)  # killed after epoch 1 on 4
  moved = _run(tmp_path / "moved", data_dir, "resume", 2)
  assert (one["devices"], moved["devices"]) == (1, 2)
  assert moved["start_epochs"] == [0, 1]
  # The per-device program is the same vmapped step, so the numbers are
  # bitwise equal; the padding run is not in the results.
  assert np.asarray(moved["history"]["train_loss"]).shape == (1, 3, 2)
  assert moved["history"] == one["history"] and moved["fan_ins"] == one["fan_ins"]


def _free_port() -> int:
  import socket
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


@pytest.mark.skipif(not os.environ.get("PSN_DATA_DIR"),
                    reason="needs $PSN_DATA_DIR (MNIST files)")
def test_two_process_cli_run_equals_one_process(tmp_path):
  """`experiments.train` over 2 processes x 2 CPU devices (jax.distributed on
  localhost) writes the same results as one process; only process 0 writes."""
  data_dir = tiny_data_dir(tmp_path / "data", os.environ["PSN_DATA_DIR"])
  args = [sys.executable, "-m", "experiments.train",
          "--config", "configs/train.py:quick", "--config.hidden=(16,)",
          "--config.batch_size=32", "--config.num_epochs=2",
          "--config.num_seeds=3", "--config.profile=random",
          "--config.dataset=mnist", f"--data_dir={data_dir}", "--noprogress"]
  env = dict(os.environ, JAX_PLATFORMS="cpu")
  one = subprocess.run(args + [f"--workdir={tmp_path / 'one'}"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=600)
  assert one.returncode == 0, one.stderr[-2000:]
  env["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                      " --xla_force_host_platform_device_count=2")
  port = _free_port()
  procs = [subprocess.Popen(
      args + [f"--workdir={tmp_path / 'two'}",
              f"--coordinator_address=localhost:{port}",
              "--num_processes=2", f"--process_id={i}"],
      cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True) for i in range(2)]
  for p in procs:
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err[-2000:]
  a = json.loads((tmp_path / "one" / "results.json").read_text())
  b = json.loads((tmp_path / "two" / "results.json").read_text())
  assert b["meta"]["num_processes"] == 2 and b["meta"]["num_devices"] == 4
  assert a["meta"]["num_processes"] == 1
  assert a["history"] == b["history"]
  assert a["final_test_accuracy"] == b["final_test_accuracy"]
