"""Issue 20: the dataset on the device as uint8, tracking that costs only
when read, and the persistent compilation cache of the command lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import train as train_config
from psn_jax import compile_cache
from psn_jax import config as config_lib
from psn_jax import data as data_lib
from psn_jax import runner
from psn_jax import tracking
from psn_jax import train as train_lib

SEEDS = [0, 1]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config(grad_norms=None, record_every=1, algorithm="rigl"):
  c = train_config.get_config("quick")
  c.hidden = (32, 16)
  c.batch_size = 32
  c.num_epochs = 2
  c.optim.learning_rate = 2e-2
  c.dst.algorithm = algorithm
  c.dst.delta_t = 2
  c.track.record_every = record_every
  if grad_norms is not None:
    with c.unlocked():
      c.track.grad_norms = grad_norms
  config_lib.validate(c)
  return c


def _pixels(n_train=256, n_test=64, d=49, seed=0):
  """uint8 'images' whose label is whether pixel 0 is bright."""
  rng = np.random.default_rng(seed)
  x = rng.integers(0, 256, (n_train + n_test, d), dtype=np.uint8)
  return x, (x[:, 0] >= 128).astype(np.int32)


def _data(x, y, n_train=256):
  return train_lib.Data(jnp.asarray(x[:n_train]), jnp.asarray(y[:n_train]),
                        jnp.asarray(x[n_train:]), jnp.asarray(y[n_train:]))


def _train(config, data):
  spec = train_lib.DataSpec(data.x_train.shape[0], data.x_train.shape[1], 2)
  engine = train_lib.make_train(config, spec)
  masks = runner.build_masks(config, engine.params_shape, SEEDS)
  keys = jnp.stack([train_lib.seed_key(s) for s in SEEDS])
  run = jax.jit(jax.vmap(engine.train, in_axes=(0, 0, None)))
  return jax.device_get(run(keys, masks, data))


def _assert_bitwise(a, b):
  for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    u, v = np.asarray(u), np.asarray(v)
    assert u.dtype == v.dtype and u.shape == v.shape
    assert u.tobytes() == v.tobytes()


def test_uint8_data_and_tracking_off_train_bitwise_like_the_default():
  """Fed the uint8 pixels (converted per batch and per test chunk on the
  device) with `track.grad_norms=False`, against `data.load`'s float32 values
  with the default tracking: parameters, optimizer state, losses and
  accuracies are equal bit for bit, and the gradient norms are absent.
  (Static masks, which compile in seconds; the RigL branch reads the same
  converted batch and the same gradients.)"""
  x, y = _pixels()
  data = _data(x, y)
  assert data.x_train.dtype == jnp.uint8 and data.x_test.dtype == jnp.uint8
  config, ref_config = (_config(grad_norms=False, algorithm="none"),
                        _config(algorithm="none"))
  config.hidden = ref_config.hidden = (8,)   # smaller programs, faster compiles
  state, metrics = _train(config, data)
  ref_state, ref_metrics = _train(ref_config, _data(data_lib.PIXEL_VALUES[x], y))
  _assert_bitwise((state.params, state.opt_state),
                  (ref_state.params, ref_state.opt_state))
  _assert_bitwise(metrics[:4], ref_metrics[:4])  # losses and accuracies
  loss = np.asarray(metrics.train_loss)
  assert np.all(loss[:, -1] < loss[:, 0])  # it trained
  assert metrics.grad_norm == {} and set(ref_metrics.grad_norm) == {
      "Dense_0", "Dense_1"}


def test_records_every_second_update_are_the_topology_at_those_updates():
  """With `record_every=2` a record is computed only at its update steps
  (a `lax.cond`); the last one, taken at the last update, describes the final
  masks exactly (fan-in histogram, CV, turnover since the start)."""
  x, y = _pixels()
  config = _config(grad_norms=False, record_every=2)
  config.hidden = (16,)
  state, _ = _train(config, _data(x, y))
  spec = train_lib.DataSpec(256, x.shape[1], 2)
  engine = train_lib.make_train(config, spec)
  n_updates = int(np.sum(engine.record_steps > 0)) * 2
  assert len(engine.record_steps) == 4 and n_updates == 6
  start = runner.build_masks(config, engine.params_shape, SEEDS)
  edges = tracking.fan_in_histogram_edges(49, config.track.hist_bins)
  for s in range(len(SEEDS)):
    final = np.asarray(state.masks["Dense_0"]["kernel"][s])
    fan_in = final.sum(0)
    rec = {k: np.asarray(v[s]) for k, v in state.records["Dense_0"].items()}
    assert np.all(rec["fan_in_hist"][1:].sum(-1) == 16)  # every slot written
    np.testing.assert_array_equal(rec["fan_in_hist"][-1],
                                  np.histogram(fan_in, edges)[0])
    np.testing.assert_allclose(rec["fan_in_cv"][-1],
                               fan_in.std() / fan_in.mean(), rtol=1e-5)
    first = np.asarray(start["Dense_0"]["kernel"][s])
    changed = (final & ~first).sum() / final.sum()
    assert changed > 0
    np.testing.assert_allclose(rec["changed_since_start"][-1], changed,
                               rtol=1e-6)


def test_grad_norms_field_is_optional_and_checked():
  c = train_config.get_config("quick")
  assert "grad_norms" not in c.track  # saved configs still compare equal
  with c.unlocked():
    c.track.grad_norms = "yes"
  with pytest.raises(ValueError, match="track.grad_norms must be True or False"):
    config_lib.validate(c)


def test_cache_folder_resolution():
  home = {"HOME": "/h", "XDG_CACHE_HOME": "/x"}
  assert compile_cache.resolve(home) == "/x/psn-jax/xla"
  assert compile_cache.resolve({**home, "PSN_COMPILE_CACHE": "/c"}) == "/c"
  for off in ("0", "off", "OFF", "false", "none"):
    assert compile_cache.resolve({**home, "PSN_COMPILE_CACHE": off}) is None
  # JAX's own variable wins, even over an opt-out.
  assert compile_cache.resolve({**home, "PSN_COMPILE_CACHE": "0",
                                "JAX_COMPILATION_CACHE_DIR": "/j"}) == "/j"


_PROBE = """
import json, os
import jax, jax.numpy as jnp
from psn_jax import compile_cache
folder = compile_cache.DEFAULT_DIR
out = {"off": compile_cache.enable(), "off_jax": jax.config.jax_compilation_cache_dir}
jax.jit(lambda x: jnp.cos(x) - 2)(jnp.arange(5.0)).block_until_ready()
out["off_created"] = os.path.exists(folder)
del os.environ[compile_cache.ENV_VAR]   # back to the default
out["on"] = compile_cache.enable()
jax.jit(lambda x: jnp.sin(x) * 3 + 1)(jnp.arange(7.0)).block_until_ready()
out["files"] = sorted(os.listdir(folder)) if os.path.isdir(folder) else None
print(json.dumps(out))
"""


def test_cache_folder_is_created_used_and_can_be_turned_off(tmp_path):
  """In a fresh process: `PSN_COMPILE_CACHE=0` leaves JAX without a cache and
  creates nothing; by default the folder is created and a compiled program
  lands in it."""
  env = {k: v for k, v in os.environ.items()
         if k not in ("JAX_COMPILATION_CACHE_DIR", compile_cache.ENV_VAR)}
  env.update(XDG_CACHE_HOME=str(tmp_path), JAX_PLATFORMS="cpu")
  env[compile_cache.ENV_VAR] = "0"
  out = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=120, check=True)
  got = json.loads(out.stdout.strip().splitlines()[-1])
  folder = str(tmp_path / "psn-jax" / "xla")
  assert got["off"] is None and got["off_jax"] is None
  assert got["off_created"] is False
  assert got["on"] == folder
  assert got["files"], "the compiled program was not written to the cache"
