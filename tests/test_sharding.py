"""Tests for psn_jax.sharding: runs split over (forced) CPU devices.

The pytest process has one CPU device, so the multi-device checks run this
file as a script in a subprocess with
`XLA_FLAGS=--xla_force_host_platform_device_count=N` (`python
tests/test_sharding.py SCENARIO ...`); the script prints one JSON line that the
test reads. The workload is the engine itself (`psn_jax.train.make_train`):
`jax.jit(jax.vmap(engine.train_epoch))` over stacked runs on a tiny synthetic
dataset, MLP 12-16-3, static sparse, and RigL every 4 steps in one case (so
the mask update runs sharded; it is the slowest to compile).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# ----------------------------------------------------------------------------
# The worker (runs in a subprocess with N forced CPU devices).


def _setup(n_runs: int, algorithm: str = "none"):
  """(engine, keys, masks, data) of the tiny study; host NumPy inputs.

  `algorithm` "rigl" updates the masks every 4 steps (slower to compile)."""
  import jax  # pylint: disable=g-import-not-at-top
  from psn_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  from psn_jax import masks as masks_lib  # pylint: disable=g-import-not-at-top
  from psn_jax import train as train_lib  # pylint: disable=g-import-not-at-top

  c = config_lib.get_config("quick")
  c.hidden = (16,)
  c.batch_size = 32
  c.num_epochs = 3
  c.optim.lr_schedule = "constant"
  c.dst.algorithm = algorithm
  c.dst.delta_t = 4
  c.dst.t_end_fraction = 1.0
  rng = np.random.default_rng(0)
  n_train, n_test, dim, classes = 256, 64, 12, 3
  centers = rng.normal(size=(classes, dim)).astype(np.float32)
  y = rng.integers(0, classes, n_train + n_test).astype(np.int32)
  x = (centers[y] + 0.5 * rng.normal(size=(y.size, dim))).astype(np.float32)
  data = train_lib.Data(x[:n_train], y[:n_train], x[n_train:], y[n_train:])
  engine = train_lib.make_train(c, train_lib.DataSpec(n_train, dim, classes))
  seeds = range(n_runs)
  keys = np.stack([np.asarray(train_lib.seed_key(s)) for s in seeds])
  per_seed = [masks_lib.make_masks(train_lib.mask_key(s), engine.params_shape,
                                   sparsity=0.5) for s in seeds]
  masks = jax.tree.map(lambda *m: np.stack([np.asarray(a) for a in m]), *per_seed)
  return engine, keys, masks, data


def _programs(engine):
  import jax  # pylint: disable=g-import-not-at-top
  init = jax.jit(jax.vmap(engine.init))
  epoch = jax.jit(jax.vmap(engine.train_epoch, in_axes=(0, None, None)))
  return init, epoch


def _train(engine, keys, masks, data, epochs, first_epoch=0, state=None):
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  init, epoch = _programs(engine)
  if state is None:
    state = init(keys, masks)
  metrics = []
  for e in range(first_epoch, first_epoch + epochs):
    state, m = epoch(state, data, jnp.int32(e))
    metrics.append(m)
  return state, jax.tree.map(lambda *a: jnp.stack(a, 1), *metrics)


def _compare(a, b) -> dict:
  """Bitwise equality and max abs difference over two pytrees of arrays."""
  import jax  # pylint: disable=g-import-not-at-top
  la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
  assert len(la) == len(lb)
  bitwise, exact_ints, diff = True, True, 0.0
  for x, y in zip(la, lb):
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == y.shape, (x.shape, y.shape)
    bitwise &= bool(np.array_equal(x, y))
    if x.dtype.kind == "f":
      diff = max(diff, float(np.max(np.abs(x - y), initial=0.0)))
    else:
      exact_ints &= bool(np.array_equal(x, y))
  return {"bitwise": bitwise, "exact_ints": exact_ints, "max_abs_diff": diff}


def _shards_per_leaf(tree) -> list[int]:
  """Over the per-run leaves of `tree` (params, masks, optimizer moments): on
  how many devices each is split. (Scalar-per-run leaves XLA finds equal
  across runs, e.g. Adam's count, may come back replicated.)"""
  import jax  # pylint: disable=g-import-not-at-top
  return sorted({len({s.device for s in x.addressable_shards})
                 for x in jax.tree.leaves((tree.params, tree.masks,
                                           tree.opt_state[0].mu))
                 if x.sharding.spec == jax.sharding.PartitionSpec("runs")
                 or len(x.sharding.device_set) == 1})


def scenario_equal(n_runs: int, algorithm: str) -> dict:
  """Sharded over all devices vs all runs on device 0; 2 epochs."""
  import jax  # pylint: disable=g-import-not-at-top
  from psn_jax import sharding  # pylint: disable=g-import-not-at-top
  engine, keys, masks, data = _setup(n_runs, algorithm)
  dev0 = jax.devices()[0]
  put = lambda t: jax.device_put(t, dev0)
  single_state, single_metrics = _train(engine, put(keys), put(masks), put(data), 2)
  mesh = sharding.make_mesh()
  n_padded = sharding.padded_size(n_runs, mesh.size)
  keys_s, masks_s = sharding.shard_runs((keys, masks), mesh, n_padded)
  state, metrics = _train(engine, keys_s, masks_s, sharding.replicate(data, mesh), 2)
  out = _compare(sharding.unpad(sharding.gather((state, metrics)), n_runs),
                 jax.device_get((single_state, single_metrics)))
  out.update(n_devices=mesh.size, n_padded=n_padded,
             leading=int(jax.tree.leaves(state)[0].shape[0]),
             split_over=_shards_per_leaf(state))
  return out


# Checkpoints across device counts and two processes are tested through the
# runner and the CLI in tests/test_runner_sharding.py.
_SCENARIOS = {"equal": scenario_equal}


def run_worker(args: list[str], n_devices: int, timeout: float = 240) -> dict:
  """Runs `python tests/test_sharding.py *args` with N forced CPU devices."""
  env = dict(os.environ)
  env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "")
                      + f" --xla_force_host_platform_device_count={n_devices}")
  env["JAX_PLATFORMS"] = "cpu"
  env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
  proc = subprocess.run([sys.executable, os.path.abspath(__file__), *args],
                        env=env, capture_output=True, text=True, timeout=timeout,
                        cwd=ROOT, check=False)
  assert proc.returncode == 0, proc.stderr[-4000:]
  return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------
# Pure helpers, in process.


def test_padded_size_table():
  table = {(1, 1): 1, (4, 4): 4, (6, 4): 8, (5, 2): 6, (9, 8): 16, (3, 8): 8,
           (256, 8): 256}
  for (n, d), want in table.items():
    assert __import__("psn_jax.sharding").sharding.padded_size(n, d) == want
  from psn_jax import sharding
  for bad in [(0, 4), (4, 0)]:
    with pytest.raises(ValueError, match="must be >= 1"):
      sharding.padded_size(*bad)


def test_pad_and_unpad_copy_the_last_run():
  from psn_jax import sharding
  tree = {"a": np.arange(6).reshape(3, 2), "b": np.array([True, False, True])}
  padded = sharding.pad_runs(tree, 5)
  np.testing.assert_array_equal(padded["a"], [[0, 1], [2, 3], [4, 5], [4, 5], [4, 5]])
  np.testing.assert_array_equal(padded["b"], [True, False, True, True, True])
  back = sharding.unpad(padded, 3)
  np.testing.assert_array_equal(back["a"], tree["a"])
  np.testing.assert_array_equal(back["b"], tree["b"])
  with pytest.raises(ValueError, match="n_padded"):
    sharding.pad_runs(tree, 2)
  with pytest.raises(ValueError, match="leading run axis"):
    sharding.pad_runs({"a": np.zeros(2), "b": np.zeros(3)}, 4)


def test_one_device_mesh_and_placement():
  import jax
  from psn_jax import sharding
  mesh = sharding.make_mesh()
  assert mesh.axis_names == ("runs",) and mesh.size == jax.device_count()
  x = sharding.shard_runs({"w": np.arange(3.0)}, mesh)
  assert x["w"].shape == (sharding.padded_size(3, mesh.size),)
  np.testing.assert_array_equal(sharding.gather(x)["w"][:3], [0.0, 1.0, 2.0])
  with pytest.raises(ValueError, match="num_processes"):
    sharding.initialize_distributed(None, 2, 0)
  with pytest.raises(ValueError, match="process_id"):
    sharding.initialize_distributed("localhost:1", 2, 2)
  assert sharding.initialize_distributed(None, 1, 0) is False
  assert sharding.topology()["num_processes"] == 1 and sharding.is_writer()


# ----------------------------------------------------------------------------
# Forced CPU devices, in a subprocess.


@pytest.mark.parametrize("n_runs,algorithm", [(4, "none"), (6, "rigl")])
def test_sharded_run_equals_single_device_run(n_runs, algorithm):
  """4 runs on 4 devices (1 each) and 6 runs padded to 8 (2 each) equal all runs
  on one device: masks, keys and topology records (integers, booleans, so every
  RigL selection) EXACTLY, float leaves (params, Adam moments, metrics of both
  epochs) to 1e-6 absolute. Not bitwise: the per-device program is not the
  same HLO. The single-device program is bitwise-invariant to the vmap batch
  size on CPU (6 runs == the first 2 of them alone), but the SPMD-partitioned
  program, even on a 1-device mesh, is compiled differently (the partitioner
  rewrites the batched dots and gathers), and its float32 results differ by
  rounding (seen: at most 1.2e-7 after 2 epochs). Padding runs are dropped."""
  out = run_worker(["equal", str(n_runs), algorithm], n_devices=4)
  assert out["n_devices"] == 4
  assert out["n_padded"] == {4: 4, 6: 8}[n_runs] == out["leading"]
  assert out["split_over"] == [4]      # per-run leaves are split over 4 devices
  assert out["exact_ints"], out
  assert out["max_abs_diff"] <= 1e-6, out


if __name__ == "__main__":
  name, rest = sys.argv[1], sys.argv[2:]
  fn = _SCENARIOS[name]
  parsed = [int(a) if a.lstrip("-").isdigit() else a for a in rest]
  print(json.dumps(fn(*parsed)))
