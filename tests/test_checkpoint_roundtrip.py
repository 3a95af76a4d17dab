"""Orbax round trip of the vmapped TrainState, without any dataset.

The engine is built from a `DataSpec` alone; three seeds are initialised in
one vmapped program (params, masks, SGD-momentum state, PRNG keys, topology
records), saved with `psn_jax.checkpoint.save` and restored with
`checkpoint.restore_latest`. Every leaf must come back bitwise equal, with its
dtype and shape. The restore must also prove it read the file: a state altered
before saving comes back altered, the latest step wins, an empty directory
gives None and another config's fingerprint is refused.
"""

from __future__ import annotations

import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import train as train_config
from psn_jax import checkpoint
from psn_jax import masks as masks_lib
from psn_jax import train as train_lib

SEEDS = (0, 1, 2)
FINGERPRINT = {"hidden": [16, 8], "seeds": list(SEEDS), "algorithm": "rigl"}


def _config():
  c = train_config.get_config("quick")
  c.hidden = (16, 8)
  c.batch_size = 32
  c.num_epochs = 2
  c.optim.name = "sgd"          # momentum: a non-trivial optimizer state
  c.optim.learning_rate = 0.1
  c.dst.algorithm = "rigl"      # topology records in the state
  c.dst.delta_t = 4
  return c


@pytest.fixture(scope="module")
def initial():
  """(engine, vmapped initial state of 3 seeds, its abstract state)."""
  engine = train_lib.make_train(_config(), train_lib.DataSpec(
      n_train=256, input_dim=20, num_classes=3))
  masks = [masks_lib.make_masks(train_lib.mask_key(s), engine.params_shape,
                                sparsity=0.8, profile="uniform")
           for s in SEEDS]
  masks = jax.tree.map(lambda *m: jnp.stack([jnp.asarray(x) for x in m]), *masks)
  keys = jnp.stack([train_lib.seed_key(s) for s in SEEDS])
  init = jax.jit(jax.vmap(engine.init))
  state = init(keys, masks)
  abstract = jax.eval_shape(init, keys, masks)
  return engine, state, abstract


def _host(tree):
  return jax.tree.map(np.asarray, jax.device_get(tree))


def test_vmapped_state_round_trips_bitwise(initial, tmp_path):
  _, state, abstract = initial
  leaves = jax.tree.leaves(state)
  assert all(leaf.shape[0] == len(SEEDS) for leaf in leaves)
  # The state is not trivial: seeds differ, masks are sparse.
  kernel = np.asarray(state.masks["Dense_0"]["kernel"])
  assert 0 < kernel.mean() < 1
  assert not np.array_equal(kernel[0], kernel[1])
  mngr = checkpoint.manager(str(tmp_path))
  checkpoint.save(mngr, 1, state, {"epoch": 1, "fingerprint": FINGERPRINT})
  mngr.wait_until_finished()
  restored = checkpoint.restore_latest(checkpoint.manager(str(tmp_path)),
                                       abstract, FINGERPRINT)
  assert restored is not None
  got, meta = restored
  assert meta["epoch"] == 1
  chex.assert_trees_all_equal_structs(got, state)
  chex.assert_trees_all_equal_dtypes(got, state)
  chex.assert_trees_all_equal_shapes(got, state)
  chex.assert_trees_all_equal(_host(got), _host(state))   # bitwise


def test_restore_reads_the_file_not_the_config(initial, tmp_path):
  """An altered state saved as the latest step comes back altered."""
  _, state, abstract = initial
  altered = state._replace(params=jax.tree.map(lambda p: p + 1.0, state.params))
  mngr = checkpoint.manager(str(tmp_path))
  checkpoint.save(mngr, 1, state, {"epoch": 1, "fingerprint": FINGERPRINT})
  checkpoint.save(mngr, 2, altered, {"epoch": 2, "fingerprint": FINGERPRINT})
  mngr.wait_until_finished()
  got, meta = checkpoint.restore_latest(checkpoint.manager(str(tmp_path)),
                                        abstract, FINGERPRINT)
  assert meta["epoch"] == 2
  chex.assert_trees_all_equal(_host(got.params), _host(altered.params))
  for g, s in zip(jax.tree.leaves(_host(got.params)),
                  jax.tree.leaves(_host(state.params))):
    assert not np.any(g == s)  # every weight moved by +1
  chex.assert_trees_all_equal(_host(got.masks), _host(state.masks))


def test_empty_directory_restores_none(initial, tmp_path):
  _, _, abstract = initial
  assert checkpoint.restore_latest(checkpoint.manager(str(tmp_path)), abstract,
                                   FINGERPRINT) is None


def test_other_config_is_refused(initial, tmp_path):
  _, state, abstract = initial
  mngr = checkpoint.manager(str(tmp_path))
  checkpoint.save(mngr, 1, state, {"epoch": 1, "fingerprint": FINGERPRINT})
  mngr.wait_until_finished()
  other = {**FINGERPRINT, "hidden": [32, 8]}
  with pytest.raises(checkpoint.CheckpointMismatchError, match="hidden"):
    checkpoint.restore_latest(checkpoint.manager(str(tmp_path)), abstract, other)


def test_workdir_lock_is_exclusive_and_looking_writes_nothing(tmp_path):
  """One run per work directory: a second `lock_workdir` (another open file
  description, as another process has) is refused in one line naming the
  holder; `busy_message` says the same without creating or writing."""
  assert checkpoint.busy_message(tmp_path / "absent") is None
  assert checkpoint.busy_message(tmp_path) is None
  assert not (tmp_path / checkpoint.LOCK_NAME).exists()
  with checkpoint.lock_workdir(tmp_path, "--workdir") as lock:
    holder = (tmp_path / checkpoint.LOCK_NAME).read_text().strip()
    assert holder.startswith(f"pid {os.getpid()} on ")
    expected = (f"--workdir {tmp_path} is in use by another run ({holder}); "
                "wait for it to end or use another --workdir")
    with pytest.raises(checkpoint.WorkdirBusyError) as excinfo:
      checkpoint.lock_workdir(tmp_path, "--workdir")
    assert str(excinfo.value) == expected
    assert checkpoint.busy_message(tmp_path, "--workdir") == expected
    assert (tmp_path / checkpoint.LOCK_NAME).read_text().strip() == holder
  assert lock.path == str(tmp_path / checkpoint.LOCK_NAME)
  assert checkpoint.busy_message(tmp_path) is None  # released
  checkpoint.lock_workdir(tmp_path).release()
