"""Issue 20: the dataset on the device as uint8, tracking that costs only
when read, and the persistent compilation cache of the command lines."""

from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=None)
def _reference():
  """RigL, float32 inputs, every tracker on: the run the others must equal."""
  x, y = _pixels()
  return _train(_config(), _data(data_lib.PIXEL_VALUES[x], y))


def _assert_bitwise(a, b):
  for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    u, v = np.asarray(u), np.asarray(v)
    assert u.dtype == v.dtype and u.shape == v.shape
    assert u.tobytes() == v.tobytes()


def test_uint8_dataset_trains_bitwise_like_its_float_values():
  """The engine converts each uint8 batch (and each test chunk) on the
  device; the run equals the one fed `data.load`'s float32 values, bit for
  bit: parameters, losses, accuracies, gradient norms. (Static masks: the
  RigL branch sees the same inputs through the same conversion.)"""
  x, y = _pixels()
  config = _config(algorithm="none")
  data = _data(x, y)
  assert data.x_train.dtype == jnp.uint8 and data.x_test.dtype == jnp.uint8
  state, metrics = _train(config, data)
  ref_state, ref_metrics = _train(config, _data(data_lib.PIXEL_VALUES[x], y))
  _assert_bitwise(state.params, ref_state.params)
  _assert_bitwise(metrics, ref_metrics)
  loss = np.asarray(metrics.train_loss)
  assert np.all(loss[:, -1] < loss[:, 0])  # it trained


def test_tracking_off_trains_bitwise_the_same_parameters():
  """`track.grad_norms=False` and a record every 2nd update (the records are
  then computed only at their steps) change no parameter or mask; the
  gradient norms are absent and the kept records equal the reference's
  records of the same updates."""
  x, y = _pixels()
  state, metrics = _train(_config(grad_norms=False, record_every=2),
                          _data(data_lib.PIXEL_VALUES[x], y))
  ref_state, ref_metrics = _reference()
  _assert_bitwise((state.params, state.masks, state.opt_state),
                  (ref_state.params, ref_state.masks, ref_state.opt_state))
  _assert_bitwise(metrics.train_loss, ref_metrics.train_loss)
  assert metrics.grad_norm == {} and set(ref_metrics.grad_norm) == {
      "Dense_0", "Dense_1", "Dense_2"}
  n = state.records["Dense_0"]["fan_in_cv"].shape[1]
  assert n >= 3
  for layer in state.records:
    for field in ("fan_in_hist", "fan_in_cv", "changed_since_start"):
      got = state.records[layer][field]
      want = ref_state.records[layer][field][:, ::2][:, :n]
      np.testing.assert_array_equal(got, want)
  assert not np.array_equal(  # it really rewired between records
      ref_state.records["Dense_0"]["changed_since_start"][:, -1], 0)


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
import json, os, sys
import jax, jax.numpy as jnp
from psn_jax import compile_cache
used = compile_cache.enable()
jax.jit(lambda x: jnp.sin(x) * 3 + 1)(jnp.arange(7.0)).block_until_ready()
folder = compile_cache.DEFAULT_DIR
files = sorted(os.listdir(folder)) if os.path.isdir(folder) else None
print(json.dumps({"used": used, "jax": jax.config.jax_compilation_cache_dir,
                  "files": files}))
"""


@pytest.mark.parametrize("setting", ["default", "off"])
def test_cache_folder_is_created_used_and_can_be_turned_off(tmp_path, setting):
  """In a fresh process: by default the folder is created and the compiled
  program lands in it; `PSN_COMPILE_CACHE=0` leaves JAX without a cache and
  creates nothing."""
  env = {k: v for k, v in os.environ.items()
         if k not in ("JAX_COMPILATION_CACHE_DIR", compile_cache.ENV_VAR)}
  env["XDG_CACHE_HOME"] = str(tmp_path)
  env["JAX_PLATFORMS"] = "cpu"
  if setting == "off":
    env[compile_cache.ENV_VAR] = "0"
  out = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=120, check=True)
  got = json.loads(out.stdout.strip().splitlines()[-1])
  folder = str(tmp_path / "psn-jax" / "xla")
  if setting == "off":
    assert got == {"used": None, "jax": None, "files": None}
  else:
    assert got["used"] == got["jax"] == folder
    assert got["files"], "the compiled program was not written to the cache"
