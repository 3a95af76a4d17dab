"""Small builders shared by several test files."""

from __future__ import annotations

import numpy as np

# XLA's default CPU backend optimisation level, for the programs of a test
# whose claim is bitwise equality as users compile them (the session compiles
# at level 0, conftest.py): `jax.jit(f, compiler_options=XLA_DEFAULT_OPT)`.
XLA_DEFAULT_OPT = {"xla_backend_optimization_level": 3}


def mask_from_input_sets(cols: list[set[int]], n_in: int) -> np.ndarray:
  """(n_in, n_out) bool mask whose column j holds output neuron j's inputs."""
  m = np.zeros((n_in, len(cols)), dtype=bool)
  for j, s in enumerate(cols):
    m[sorted(s), j] = True
  return m


def write_idx(path: str, array: np.ndarray) -> None:
  """Writes a uint8 array as an IDX file (the MNIST release format)."""
  array = np.asarray(array, np.uint8)
  header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
      int(d).to_bytes(4, "big") for d in array.shape)
  with open(path, "wb") as f:
    f.write(header + array.tobytes())


def tiny_data_dir(root, source_dir: str, n_train: int = 512,
                  n_test: int = 256) -> str:
  """A data folder with the first examples of the real MNIST and
  Fashion-MNIST (read from `source_dir`), in the original IDX format, for
  fast end-to-end runs through the real loaders."""
  import os
  from psn_jax import data
  for name in ("mnist", "fashion_mnist"):
    os.makedirs(os.path.join(root, name), exist_ok=True)
    for split, n, prefix in (("train", n_train, "train"),
                             ("test", n_test, "t10k")):
      x, y = data.load(name, split, source_dir)
      images = np.rint(np.asarray(x[:n]) * 255).reshape(n, 28, 28)
      write_idx(os.path.join(root, name, f"{prefix}-images-idx3-ubyte"), images)
      write_idx(os.path.join(root, name, f"{prefix}-labels-idx1-ubyte"),
                np.asarray(y[:n]))
  return str(root)


class Killed(Exception):
  """What `kill_after_first_save` raises: a run killed after a checkpoint."""


def kill_after_first_save(monkeypatch) -> None:
  """Makes the first checkpoint save of the next run raise `Killed` once the
  checkpoint is on disk (a run killed right after it)."""
  from psn_jax import checkpoint  # pylint: disable=g-import-not-at-top
  real_save = checkpoint.save
  calls = []

  def save(mngr, epoch, state, meta):
    real_save(mngr, epoch, state, meta)
    calls.append(epoch)
    if len(calls) == 1:
      mngr.wait_until_finished()
      raise Killed(f"killed after epoch {epoch}")

  monkeypatch.setattr(checkpoint, "save", save)
