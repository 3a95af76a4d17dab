"""psn_jax.cifar: CIFAR-10's published python batches, read from small files
the test writes in that format (CIFAR is not on this machine)."""

from __future__ import annotations

import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from psn_jax import cifar


def _batch(n, seed):
  rng = np.random.default_rng(seed)
  data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
  labels = [int(v) for v in rng.integers(0, 10, n)]
  return {b"batch_label": b"x", b"labels": labels, b"data": data,
          b"filenames": [b"f"] * n}


def _write_folder(root, sizes=(3, 2, 2, 2, 2), test=4):
  folder = os.path.join(root, "cifar10", cifar.FOLDER)
  os.makedirs(folder)
  docs = {}
  for i, n in enumerate(sizes):
    docs[f"data_batch_{i + 1}"] = _batch(n, i)
  docs["test_batch"] = _batch(test, 99)
  for name, doc in docs.items():
    with open(os.path.join(folder, name), "wb") as f:
      pickle.dump(doc, f, protocol=2)
  return folder, docs


def test_train_and_test_splits_from_the_folder(tmp_path):
  _, docs = _write_folder(str(tmp_path))
  x, y = cifar.load("train", str(tmp_path))
  assert x.shape == (11, 3072) and x.dtype == np.float32
  assert y.dtype == np.int32 and y.tolist() == sum(
      (docs[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
  # Height-width-channel order: pixel (r, c) channel k of image 0 is CIFAR's
  # value k * 1024 + r * 32 + c.
  raw = docs["data_batch_1"][b"data"][0]
  img = x[0].reshape(32, 32, 3)
  for r, c, k in ((0, 0, 0), (5, 7, 1), (31, 30, 2)):
    assert img[r, c, k] == np.float32(raw[k * 1024 + r * 32 + c]) / 255
  xt, yt = cifar.load("test", str(tmp_path))
  assert xt.shape == (4, 3072) and yt.tolist() == docs["test_batch"][
      b"labels"]
  assert 0.0 <= x.min() and x.max() <= 1.0


def test_the_archive_reads_like_the_folder(tmp_path):
  folder, _ = _write_folder(str(tmp_path / "a"))
  out = tmp_path / "b"
  out.mkdir()
  with tarfile.open(out / cifar.ARCHIVE, "w:gz") as tar:
    tar.add(folder, arcname=cifar.FOLDER)
  for split in ("train", "test"):
    a, b = cifar.load(split, str(tmp_path / "a")), cifar.load(split, str(out))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


class _Evil:
  def __reduce__(self):
    return (os.system, ("echo pwned",))


def test_bad_input_gives_one_line(tmp_path):
  with pytest.raises(ValueError, match=r"^cifar10: no cifar-10-batches-py/ "
                     r"or cifar-10-python.tar.gz in "):
    cifar.load("train", str(tmp_path))
  folder, _ = _write_folder(str(tmp_path))
  with pytest.raises(ValueError, match=r"^split must be one of train, test"):
    cifar.load("valid", str(tmp_path))
  os.remove(os.path.join(folder, "data_batch_3"))
  with pytest.raises(ValueError, match=r"^cifar10: data_batch_3 is missing "
                     r"from "):
    cifar.load("train", str(tmp_path))
  with open(os.path.join(folder, "test_batch"), "wb") as f:
    pickle.dump({b"data": _Evil(), b"labels": [0]}, f)
  with pytest.raises(ValueError, match=r"test_batch is not a CIFAR-10 python "
                     r"batch: UnpicklingError: posix.system is not part") as e:
    cifar.load("test", str(tmp_path))
  assert "\n" not in str(e.value)
  buf = io.BytesIO()
  pickle.dump({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}, buf)
  with open(os.path.join(folder, "test_batch"), "wb") as f:
    f.write(buf.getvalue())
  with pytest.raises(ValueError, match=r"want \(n, 3072\)"):
    cifar.load("test", str(tmp_path))
