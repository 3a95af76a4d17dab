"""CIFAR-10 from its published python files (Krizhevsky 2009), for CNNs.

The published archive `cifar-10-python.tar.gz` holds the folder
`cifar-10-batches-py/` with five training batches `data_batch_1` ...
`data_batch_5` and `test_batch`: each a python pickle of a dict with
`b"data"`, uint8 `(10000, 3072)` with the channels stored one after the
other (1024 red, 1024 green, 1024 blue values, rows of 32), and
`b"labels"`, 10000 ints in 0..9. `load(split, data_dir)` reads either the
folder or the archive itself (no extraction) from `data_dir/cifar10/` or
`data_dir/` and returns `x` float32 `(N, 3072)` in height-width-channel
order (so `models.CNN` reshapes it to `(32, 32, 3)`) scaled to [0, 1], and
`y` int32 `(N,)`.

The pickles are read by an unpickler that allows only what these files hold
(NumPy arrays and dtypes, and builtin containers), so a file that is not a
CIFAR batch cannot run code. Not registered in `psn_jax.data.DATASETS`:
CIFAR is not on this machine (D1 reports "CIFAR: data not available here").
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile

import numpy as np

__all__ = ["FOLDER", "ARCHIVE", "TRAIN_FILES", "TEST_FILES", "load",
           "to_hwc"]

FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)

_ALLOWED = {("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"), ("numpy", "dtype"),
            ("builtins", "dict"), ("builtins", "list"),
            ("_codecs", "encode")}  # bytes in protocol-2 pickles


class _Unpickler(pickle.Unpickler):
  def find_class(self, module: str, name: str):
    if (module, name) not in _ALLOWED:
      raise pickle.UnpicklingError(f"{module}.{name} is not part of a CIFAR "
                                   f"batch")
    return super().find_class(module, name)


def to_hwc(data: np.ndarray) -> np.ndarray:
  """`(N, 3072)` channel-major rows (CIFAR's layout) as `(N, 3072)` in
  height-width-channel order."""
  n = data.shape[0]
  return data.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1).reshape(n, 3072)


def _batch(raw: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
  try:
    doc = _Unpickler(io.BytesIO(raw), encoding="bytes").load()
    data = np.asarray(doc[b"data"], np.uint8)
    labels = np.asarray(doc[b"labels"], np.int64)
  except Exception as err:  # pylint: disable=broad-except
    raise ValueError(f"{where} is not a CIFAR-10 python batch: "
                     f"{type(err).__name__}: {err}") from None
  if data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (
      data.shape[0],) or labels.min(initial=0) < 0 or labels.max(
          initial=0) > 9:
    raise ValueError(f"{where} is not a CIFAR-10 python batch: data "
                     f"{data.shape}, labels {labels.shape} (want (n, 3072) "
                     f"and (n,) in 0..9)")
  return data, labels


def _reader(data_dir: str):
  """`(read(name) -> bytes, description)` of the first place holding the
  files: a `cifar-10-batches-py` folder or the archive."""
  roots = [os.path.join(data_dir, "cifar10"), data_dir]
  for root in roots:
    folder = os.path.join(root, FOLDER)
    if os.path.isdir(folder):
      def read(name, folder=folder):
        with open(os.path.join(folder, name), "rb") as f:
          return f.read()
      return read, os.path.abspath(folder)
    archive = os.path.join(root, ARCHIVE)
    if os.path.isfile(archive):
      def read(name, archive=archive):
        with tarfile.open(archive, "r:gz") as tar:
          member = tar.extractfile(f"{FOLDER}/{name}")
          return member.read()
      return read, os.path.abspath(archive)
  looked = ", ".join(os.path.abspath(r) for r in roots)
  raise ValueError(f"cifar10: no {FOLDER}/ or {ARCHIVE} in {looked}")


def load(split: str, data_dir: str) -> tuple[np.ndarray, np.ndarray]:
  """CIFAR-10 `split` ("train": the five data batches; "test") from the
  published python files under `data_dir` (see the module docstring).

  Returns:
    `x` float32 `(N, 3072)`, height-width-channel order, in [0, 1] (`u /
    255`); `y` int32 `(N,)`.

  Raises:
    ValueError: one line: a bad split, no files, a missing batch (named), or
      a file that is not a CIFAR-10 batch.
  """
  if split not in ("train", "test"):
    raise ValueError(f"split must be one of train, test, got {split!r}")
  read, where = _reader(data_dir)
  xs, ys = [], []
  for name in TRAIN_FILES if split == "train" else TEST_FILES:
    try:
      raw = read(name)
    except (OSError, KeyError):
      raise ValueError(f"cifar10: {name} is missing from {where}") from None
    data, labels = _batch(raw, f"{where}/{name}")
    xs.append(to_hwc(data))
    ys.append(labels)
  x = np.concatenate(xs).astype(np.float32) / np.float32(255)
  return x, np.concatenate(ys).astype(np.int32)
