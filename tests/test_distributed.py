"""A two-process `jax.distributed` study on localhost equals the one-process run.

Two processes with 2 forced CPU devices each (a 4-device global mesh, 6 runs
padded to 8, process 0 owning runs 0-3 and process 1 runs 4-7) run the tiny
static sparse study of tests/test_sharding.py for 2 epochs; `sharding.gather` brings
the results to every host and process 0 alone writes them. The reference is
one process with all 6 runs on its single device.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_sharding  # pylint: disable=g-import-not-at-top,wrong-import-position


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def _launch(args: list[str], n_devices: int) -> subprocess.Popen:
  env = dict(os.environ)
  env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "")
                      + f" --xla_force_host_platform_device_count={n_devices}")
  env["JAX_PLATFORMS"] = "cpu"
  env["PYTHONPATH"] = test_sharding.ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return subprocess.Popen(
      [sys.executable, os.path.join(HERE, "test_sharding.py"), *args], env=env,
      cwd=test_sharding.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True)


def _finish(proc: subprocess.Popen, timeout: float = 240) -> dict:
  try:
    out, err = proc.communicate(timeout=timeout)
  except subprocess.TimeoutExpired:
    proc.kill()
    out, err = proc.communicate()
  assert proc.returncode == 0, err[-4000:]
  return __import__("json").loads(out.strip().splitlines()[-1])


def test_two_processes_equal_one_process(tmp_path):
  """Masks, keys, records exactly; floats to 1e-6 (the partitioned program
  rounds differently from the single-device one: tests/test_sharding.py)."""
  port = _free_port()
  multi, single = tmp_path / "multi.npz", tmp_path / "single.npz"
  procs = [_launch(["multiprocess", str(multi), "6", str(port), "2", str(i)], 2)
           for i in range(2)]
  topo = [_finish(p) for p in procs]
  reference = _finish(_launch(
      ["multiprocess", str(single), "6", str(_free_port()), "1", "0"], 1))
  assert [t["num_processes"] for t in topo] == [2, 2]
  assert [t["num_devices"] for t in topo] == [4, 4]
  assert [t["num_local_devices"] for t in topo] == [2, 2]
  assert [t["local_runs"] for t in topo] == [[0, 4], [4, 8]]
  assert reference["num_processes"] == 1 and reference["num_devices"] == 1
  a, b = np.load(multi), np.load(single)
  assert sorted(a.files) == sorted(b.files) and len(a.files) > 10
  for name in a.files:
    x, y = a[name], b[name]
    assert x.shape == y.shape and x.shape[0] == 6
    if x.dtype.kind == "f":
      np.testing.assert_allclose(x, y, rtol=0, atol=1e-6)
    else:
      np.testing.assert_array_equal(x, y)
