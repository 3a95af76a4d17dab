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
  env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
             JAX_PLATFORMS="cpu")
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
