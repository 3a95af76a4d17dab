"""Tests for psn_jax.data: real MNIST / Fashion-MNIST, IDX files written here in
the true format (gzip and plain, EMNIST names and orientation), corrupt and
missing files, the covertype file and split, and the TFDS path (mocked)."""

from __future__ import annotations

import gzip
import os
import struct
import sys

import numpy as np
import pytest

from psn_jax import data

# ---------------------------------------------------------------------------
# Helpers: an IDX writer independent of the reader under test.

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}


def _idx_bytes(array: np.ndarray) -> bytes:
  array = np.asarray(array)
  header = bytes([0, 0, _CODES[array.dtype], array.ndim])
  header += b"".join(struct.pack(">I", d) for d in array.shape)
  return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write(path: str, payload: bytes, gz: bool) -> str:
  os.makedirs(os.path.dirname(path), exist_ok=True)
  if gz:
    path += ".gz"
    with gzip.open(path, "wb") as f:
      f.write(payload)
  else:
    with open(path, "wb") as f:
      f.write(payload)
  return path


def _write_split(directory, prefix, images, labels, gz=True):
  """Writes `<prefix>-images-idx3-ubyte[.gz]` and the labels file."""
  img = _write(os.path.join(directory, f"{prefix}-images-idx3-ubyte"),
               _idx_bytes(images), gz)
  lbl = _write(os.path.join(directory, f"{prefix}-labels-idx1-ubyte"),
               _idx_bytes(labels), gz)
  return img, lbl


def _random_images(n, seed=0):
  return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


@pytest.fixture
def no_env(monkeypatch):
  monkeypatch.delenv(data.ENV_VAR, raising=False)


@pytest.fixture
def no_tfds(monkeypatch, no_env):
  """Makes `import tensorflow_datasets` fail, so only files can provide data."""
  monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)


# ---------------------------------------------------------------------------
# Names, splits, sizes.


def test_tables():
  expected = {
    "mnist": (10, 784), "fashion_mnist": (10, 784),
    "emnist/balanced": (47, 784), "emnist/byclass": (62, 784),
    "emnist/bymerge": (47, 784), "emnist/digits": (10, 784),
    "emnist/letters": (26, 784), "emnist/mnist": (10, 784),
    "covertype": (7, 54), "morse": (64, 64), "morse/difficult": (64, 64),
  }
  assert set(data.DATASETS) == set(expected)
  for name, (k, d) in expected.items():
    assert (data.num_classes(name), data.input_dim(name)) == (k, d)
  assert data.splits("morse") == ("train", "validation", "test")
  assert data.splits("mnist") == ("train", "test")


@pytest.mark.parametrize("call", [
  lambda: data.load("cifar10", "train"),
  lambda: data.num_classes("emnist/foo"),
  lambda: data.input_dim("MNIST"),
])
def test_unknown_name(call):
  with pytest.raises(ValueError, match=r"name must be one of \(.*'mnist'"):
    call()


def test_unknown_split():
  with pytest.raises(ValueError, match=r"split must be one of \('train', 'test'\)"):
    data.load("mnist", "validation")
  with pytest.raises(ValueError, match="split must be one of"):
    data.load("morse", "val")


# ---------------------------------------------------------------------------
# Real data from $PSN_DATA_DIR.

_REAL = {
  # name: (train counts per class, test counts per class, first train labels,
  #        first test labels, train pixel mean, train pixel std)
  "mnist": (
    [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9],
    0.1307, 0.3081,
  ),
  "fashion_mnist": (
    [6000] * 10, [1000] * 10, [9, 0, 0, 3, 0, 2, 7, 2, 5, 5],
    [9, 2, 1, 1, 6, 1, 4, 6, 5, 7], 0.2860, 0.3530,
  ),
}


@pytest.mark.parametrize("name", sorted(_REAL))
def test_real_dataset(name):
  root = os.environ.get(data.ENV_VAR)
  if not root or not os.path.isfile(
    os.path.join(root, name, "train-images-idx3-ubyte.gz")
  ):
    pytest.skip(f"{name} IDX files not in ${data.ENV_VAR}={root!r}")
  train_counts, test_counts, first_train, first_test, mean, std = _REAL[name]
  x, y = data.load(name, "train")
  assert x.shape == (60000, 784) and y.shape == (60000,)
  assert x.dtype == np.float32 and y.dtype == np.int32
  assert x.min() == 0.0 and x.max() == 1.0
  np.testing.assert_array_equal(np.bincount(y, minlength=10), train_counts)
  np.testing.assert_array_equal(y[:10], first_train)
  assert abs(float(x.mean(dtype=np.float64)) - mean) < 1e-4
  assert abs(float(x.std(dtype=np.float64)) - std) < 1e-4
  # Values are exactly k / 255.
  np.testing.assert_array_equal(np.round(x[:100] * 255) / np.float32(255), x[:100])
  del x
  x, y = data.load(name, "test")
  assert x.shape == (10000, 784) and y.shape == (10000,)
  np.testing.assert_array_equal(np.bincount(y, minlength=10), test_counts)
  np.testing.assert_array_equal(y[:10], first_test)


# ---------------------------------------------------------------------------
# Files written here in the true IDX format.


@pytest.mark.parametrize("gz", [True, False])
def test_idx_roundtrip(tmp_path, no_tfds, gz):
  images = _random_images(5)
  labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
  _write_split(str(tmp_path / "fashion_mnist"), "t10k", images, labels, gz)
  x, y = data.load("fashion_mnist", "test", data_dir=str(tmp_path))
  assert x.dtype == np.float32 and y.dtype == np.int32
  np.testing.assert_array_equal(x, images.reshape(5, 784) / np.float32(255))
  np.testing.assert_array_equal(y, labels)
  assert data.read_idx(tmp_path / "fashion_mnist" /
                       ("t10k-labels-idx1-ubyte" + (".gz" if gz else ""))
                       ).tolist() == labels.tolist()


def test_raw_keeps_stored_pixels_and_features_give_the_float_values(
    tmp_path, no_tfds):
  """`raw=True` keeps uint8; `features` (jitted, on the device: how the engine
  converts each batch) gives the float32 values of `load` bitwise, for every
  byte value. A lookup table, not `x / 255` in XLA: that jitted division
  differed from numpy's in the last bit for some bytes on the CPU."""
  import jax  # pylint: disable=g-import-not-at-top
  images = np.arange(256 * 4, dtype=np.int64).reshape(4, 16, 16) % 256
  images = np.tile(images, (1, 2, 2)).astype(np.uint8)[:, :28, :28]
  images[3] = _random_images(1)[0]
  labels = np.array([0, 1, 2, 3], dtype=np.uint8)
  _write_split(str(tmp_path / "mnist"), "train", images, labels)
  xf, yf = data.load("mnist", "train", data_dir=str(tmp_path))
  xr, yr = data.load("mnist", "train", data_dir=str(tmp_path), raw=True)
  assert xr.dtype == np.uint8 and xr.shape == xf.shape == (4, 784)
  assert set(np.unique(xr[:3]).tolist()) == set(range(256))
  np.testing.assert_array_equal(yr, yf)
  on_device = jax.device_put(xr)
  assert on_device.dtype == np.uint8
  converted = np.asarray(jax.jit(data.features)(on_device))
  assert converted.dtype == np.float32
  np.testing.assert_array_equal(converted.view(np.uint32), xf.view(np.uint32))
  same = np.asarray(data.features(xf))  # float features pass through
  np.testing.assert_array_equal(same.view(np.uint32), xf.view(np.uint32))


def test_read_idx_other_dtypes(tmp_path):
  a = np.arange(-6, 6, dtype=np.int32).reshape(3, 4) * 1000
  path = _write(str(tmp_path / "a-idx2-int"), _idx_bytes(a), gz=False)
  out = data.read_idx(path)
  assert out.shape == (3, 4)
  np.testing.assert_array_equal(out, a)


def test_search_order(tmp_path, monkeypatch, no_tfds):
  """data_dir before $PSN_DATA_DIR; <dir>/<name>/ before <dir>/."""
  a, b = tmp_path / "a", tmp_path / "b"
  lab = lambda v: np.full(2, v, dtype=np.uint8)
  _write_split(str(b), "train", _random_images(2), lab(2))  # b/ (root)
  monkeypatch.setenv(data.ENV_VAR, str(b))
  assert data.load("mnist", "train")[1].tolist() == [2, 2]
  _write_split(str(b / "mnist"), "train", _random_images(2), lab(3))
  assert data.load("mnist", "train")[1].tolist() == [3, 3]
  _write_split(str(a), "train", _random_images(2), lab(4), gz=False)
  assert data.load("mnist", "train", data_dir=str(a))[1].tolist() == [4, 4]
  # A directory without the files is passed over.
  assert data.load("mnist", "train", data_dir=str(tmp_path / "c"))[1].tolist() == [3, 3]


def test_emnist_orientation_and_letters(tmp_path, no_tfds):
  # An upright, non-symmetric image: a vertical bar in column 3 (rows 2..20)
  # and a foot along row 20 (columns 3..12), i.e. an "L".
  upright = np.zeros((28, 28), dtype=np.uint8)
  upright[2:21, 3] = 255
  upright[20, 3:13] = 128
  assert not np.array_equal(upright, upright.T)
  stored = np.stack([upright.T, upright.T[::-1]])  # the release stores x.T
  labels = np.array([1, 26], dtype=np.uint8)  # "a" and "z" in the release
  _write_split(str(tmp_path / "emnist" / "gzip"), "emnist-letters-train", stored,
               labels)
  x, y = data.load("emnist/letters", "train", data_dir=str(tmp_path))
  assert x.shape == (2, 784) and x.dtype == np.float32
  img = x[0].reshape(28, 28)
  assert img[10, 3] == 1.0 and img[3, 10] == 0.0
  assert img[20, 12] == np.float32(128) / np.float32(255)
  np.testing.assert_array_equal(img, upright / np.float32(255))
  np.testing.assert_array_equal(x[1].reshape(28, 28),
                                upright.T[::-1].T / np.float32(255))
  assert y.tolist() == [0, 25] and y.dtype == np.int32
  # Other variants keep the release labels; plain files in <dir>/emnist/.
  _write_split(str(tmp_path / "emnist"), "emnist-balanced-test", stored,
               np.array([0, 46], dtype=np.uint8), gz=False)
  x, y = data.load("emnist/balanced", "test", data_dir=str(tmp_path))
  assert y.tolist() == [0, 46]
  np.testing.assert_array_equal(x[0].reshape(28, 28), upright / np.float32(255))


def _assert_one_line(excinfo, *fragments):
  msg = str(excinfo.value)
  assert "\n" not in msg, msg
  for f in fragments:
    assert f in msg, (f, msg)


def _corrupt_cases():
  images, labels = _random_images(4), np.arange(4, dtype=np.uint8)
  good_img, good_lbl = _idx_bytes(images), _idx_bytes(labels)
  return {
    "bad magic": (b"\x01" + good_img[1:], good_lbl, "not an IDX file"),
    "bad type code": (good_img[:2] + b"\x07" + good_img[3:], good_lbl, "type code"),
    "truncated payload": (good_img[:-1], good_lbl, "payload has"),
    "extra payload": (good_img + b"\x00", good_lbl, "payload has"),
    "truncated header": (good_img[:9], good_lbl, "header"),
    "count mismatch": (good_img, _idx_bytes(labels[:3]), "4 images but 3 labels"),
    "wrong image dims": (_idx_bytes(np.zeros((4, 28, 27), np.uint8)), good_lbl,
                         "(n, 28, 28)"),
    "label out of range": (good_img, _idx_bytes(np.array([0, 1, 2, 10], np.uint8)),
                           "labels must be in [0, 10)"),
  }


@pytest.mark.parametrize("case", sorted(_corrupt_cases()))
def test_corrupt_idx(tmp_path, no_tfds, case):
  img, lbl, fragment = _corrupt_cases()[case]
  _write(str(tmp_path / "train-images-idx3-ubyte"), img, gz=True)
  _write(str(tmp_path / "train-labels-idx1-ubyte"), lbl, gz=False)
  with pytest.raises(data.DatasetCorruptError) as excinfo:
    data.load("mnist", "train", data_dir=str(tmp_path))
  assert isinstance(excinfo.value, ValueError)
  _assert_one_line(excinfo, fragment, str(tmp_path))


def test_truncated_gzip(tmp_path, no_tfds):
  path = _write(str(tmp_path / "train-images-idx3-ubyte"),
                _idx_bytes(_random_images(3)), gz=True)
  with open(path, "rb") as f:
    blob = f.read()
  with open(path, "wb") as f:
    f.write(blob[: len(blob) // 2])
  _write(str(tmp_path / "train-labels-idx1-ubyte"),
         _idx_bytes(np.zeros(3, np.uint8)), gz=True)
  with pytest.raises(data.DatasetCorruptError) as excinfo:
    data.load("mnist", "train", data_dir=str(tmp_path))
  _assert_one_line(excinfo, "bad gzip data", path)


def test_missing_names_dirs(tmp_path, no_tfds):
  with pytest.raises(data.DatasetNotFoundError) as excinfo:
    data.load("mnist", "test", data_dir=str(tmp_path))
  assert isinstance(excinfo.value, FileNotFoundError)
  _assert_one_line(excinfo, str(tmp_path / "mnist"), f"{tmp_path}, ",
                   "t10k-images-idx3-ubyte", "PSN_DATA_DIR", "not installed",
                   "tensorflow-datasets")
  with pytest.raises(data.DatasetNotFoundError) as excinfo:
    data.load("emnist/digits", "train", data_dir=str(tmp_path))
  _assert_one_line(excinfo, str(tmp_path / "emnist" / "gzip"),
                   "emnist-digits-train-labels-idx1-ubyte")
  with pytest.raises(data.DatasetNotFoundError) as excinfo:
    data.load("mnist", "train")
  _assert_one_line(excinfo, "nowhere", "PSN_DATA_DIR")


def test_half_present_pair(tmp_path, no_tfds):
  _write(str(tmp_path / "train-images-idx3-ubyte"),
         _idx_bytes(_random_images(2)), gz=True)
  with pytest.raises(data.DatasetNotFoundError) as excinfo:
    data.load("mnist", "train", data_dir=str(tmp_path))
  _assert_one_line(excinfo, "train-labels-idx1-ubyte", str(tmp_path))


# ---------------------------------------------------------------------------
# Covertype.


def _covtype_table(n, seed=0):
  rng = np.random.default_rng(seed)
  cont = np.stack([rng.integers(1800, 3900, n), rng.integers(0, 361, n),
                   rng.integers(0, 60, n), rng.integers(0, 1400, n),
                   rng.integers(-170, 600, n), rng.integers(0, 7200, n),
                   rng.integers(0, 255, n), rng.integers(0, 255, n),
                   rng.integers(0, 255, n), rng.integers(0, 7200, n)], axis=1)
  wild = np.eye(4, dtype=np.int64)[rng.integers(0, 4, n)]
  soil = np.eye(40, dtype=np.int64)[rng.integers(0, 40, n)]
  label = (np.arange(n) % 7 + 1)[:, None]
  return np.concatenate([cont, wild, soil, label], axis=1)


def _write_covtype(path, table, gz=True):
  text = "".join(",".join(str(v) for v in row) + "\n" for row in table)
  return _write(str(path), text.encode("ascii"), gz)


def test_covertype(tmp_path, no_env):
  n = 300
  table = _covtype_table(n)
  _write_covtype(tmp_path / "covertype" / "covtype.data", table)
  xtr, ytr = data.load("covertype", "train", data_dir=str(tmp_path))
  xte, yte = data.load("covertype", "test", data_dir=str(tmp_path))
  assert xtr.shape == (240, 54) and xte.shape == (60, 54)  # 4 * 300 // 5 = 240
  assert xtr.dtype == np.float32 and ytr.dtype == np.int32
  order = np.random.default_rng(0).permutation(n)
  train_rows, test_rows = order[:240], order[240:]
  np.testing.assert_array_equal(ytr, table[train_rows, 54] - 1)
  np.testing.assert_array_equal(yte, table[test_rows, 54] - 1)
  assert set(np.unique(np.concatenate([ytr, yte]))) == set(range(7))
  # Binary columns untouched.
  np.testing.assert_array_equal(xtr[:, 10:], table[train_rows, 10:54])
  np.testing.assert_array_equal(xte[:, 10:], table[test_rows, 10:54])
  # Continuous columns standardised with train statistics only.
  np.testing.assert_allclose(xtr[:, :10].mean(0), 0, atol=1e-5)
  np.testing.assert_allclose(xtr[:, :10].std(0), 1, atol=1e-5)
  mean = table[train_rows, :10].mean(0)
  std = table[train_rows, :10].std(0)
  np.testing.assert_allclose(xte[:, :10], (table[test_rows, :10] - mean) / std,
                             rtol=1e-5, atol=1e-5)
  # Deterministic, and plain files give the same arrays.
  plain = tmp_path / "plain"
  _write_covtype(plain / "covtype.data", table, gz=False)
  x2, y2 = data.load("covertype", "train", data_dir=str(plain))
  np.testing.assert_array_equal(x2, xtr)
  np.testing.assert_array_equal(y2, ytr)


def test_covertype_errors(tmp_path, no_env):
  with pytest.raises(data.DatasetNotFoundError) as excinfo:
    data.load("covertype", "train", data_dir=str(tmp_path))
  _assert_one_line(excinfo, "covtype.data.gz", str(tmp_path / "covertype"),
                   data.COVTYPE_URL)
  table = _covtype_table(20)
  bad_label = table.copy()
  bad_label[3, 54] = 8
  bad_binary = table.copy()
  bad_binary[0, 20] = 2
  for i, (t, fragment) in enumerate([
    (table[:, :54], "rows of 55 integers"),
    (bad_label, "labels must be in 1..7"),
    (bad_binary, "must be 0/1"),
  ]):
    path = _write_covtype(tmp_path / str(i) / "covtype.data", t)
    with pytest.raises(data.DatasetCorruptError) as excinfo:
      data.load("covertype", "test", data_dir=str(tmp_path / str(i)))
    _assert_one_line(excinfo, fragment, path)
  path = _write(str(tmp_path / "x" / "covtype.data"), b"1,2,a\n", gz=False)
  with pytest.raises(data.DatasetCorruptError, match="comma-separated integers"):
    data.load("covertype", "test", data_dir=str(tmp_path / "x"))


# ---------------------------------------------------------------------------
# Morse (generated; psn_jax.morse is tested in test_morse.py).


def test_morse_split_sizes():
  x, y = data.load("morse/difficult", "validation")
  assert x.shape == (64000, 64) and x.dtype == np.float32 and y.dtype == np.int32
  np.testing.assert_array_equal(np.bincount(y), np.full(64, 1000))


# ---------------------------------------------------------------------------
# TFDS path (mocked: no network, no TensorFlow needed).


@pytest.mark.parametrize("name,k", [("mnist", 10), ("emnist/balanced", 47)])
def test_tfds_mock(tmp_path, no_env, name, k):
  tfds = pytest.importorskip("tensorflow_datasets")
  with tfds.testing.mock_data(num_examples=6):
    x, y = data.load(name, "train", data_dir=str(tmp_path))
  assert x.shape == (6, 784) and y.shape == (6,)
  assert x.dtype == np.float32 and y.dtype == np.int32
  assert 0.0 <= x.min() and x.max() <= 1.0
  assert 0 <= y.min() and y.max() < k


def test_tfds_and_files_agree(tmp_path, no_env):
  """The TFDS path gives what the file path gives for the same raw records."""
  tfds = pytest.importorskip("tensorflow_datasets")
  stored = _random_images(3, seed=1)
  labels = np.array([1, 13, 26], dtype=np.uint8)
  _write_split(str(tmp_path / "files" / "emnist"), "emnist-letters-test", stored,
               labels)
  from_files = data.load("emnist/letters", "test", data_dir=str(tmp_path / "files"))

  def as_data_source(builder, split, **kwargs):
    del kwargs
    assert builder.name == "emnist" and split == "test"
    # TFDS records: the release orientation, a channel axis, int64 labels.
    return [{"image": img[..., None], "label": np.int64(lab)}
            for img, lab in zip(stored, labels)]

  with tfds.testing.mock_data(as_data_source_fn=as_data_source):
    from_tfds = data.load("emnist/letters", "test", data_dir=str(tmp_path / "empty"))
  np.testing.assert_array_equal(from_tfds[0], from_files[0])
  np.testing.assert_array_equal(from_tfds[1], from_files[1])
  assert from_tfds[1].tolist() == [0, 12, 25]


def test_tfds_failure_is_dataset_not_found(tmp_path, no_env):
  tfds = pytest.importorskip("tensorflow_datasets")

  def broken(builder, split, **kwargs):
    raise OSError("download failed: no network\nsecond line")

  with tfds.testing.mock_data(as_data_source_fn=broken):
    with pytest.raises(data.DatasetNotFoundError) as excinfo:
      data.load("fashion_mnist", "train", data_dir=str(tmp_path))
  _assert_one_line(excinfo, "OSError: download failed: no network",
                   str(tmp_path / "fashion_mnist"))


def test_tfds_missing_dependency_is_named(tmp_path, no_env):
  """TFDS failing on a module it needs names that module, not TFDS (which is
  installed): a clean install failed on importlib_resources this way."""
  tfds = pytest.importorskip("tensorflow_datasets")

  def needs_module(builder, split, **kwargs):
    raise ModuleNotFoundError("No module named 'importlib_resources'",
                              name="importlib_resources")

  with tfds.testing.mock_data(as_data_source_fn=needs_module):
    with pytest.raises(data.DatasetNotFoundError) as excinfo:
      data.load("mnist", "test", data_dir=str(tmp_path))
  _assert_one_line(excinfo, "needs the module importlib_resources",
                   "pip install importlib-resources")
  assert "install tensorflow-datasets" not in str(excinfo.value)


def test_tfds_absent_says_install_it(tmp_path, no_tfds):
  with pytest.raises(data.DatasetNotFoundError) as excinfo:
    data.load("mnist", "test", data_dir=str(tmp_path))
  _assert_one_line(excinfo, "needs the module tensorflow_datasets",
                   "pip install tensorflow-datasets")


@pytest.mark.parametrize("fails", [False, True])
def test_tfds_output_is_held_back(tmp_path, no_env, capfd, fails):
  """TFDS's banner and absl warnings do not reach the terminal."""
  tfds = pytest.importorskip("tensorflow_datasets")
  import logging

  def noisy(builder, split, **kwargs):
    print("Downloading and preparing dataset Unknown size to somewhere...")
    print("progress", file=sys.stderr)
    logging.getLogger("absl").warning("Variant folder has no dataset_info.json")
    if fails:
      raise OSError("no network")
    return [{"image": np.zeros((28, 28, 1), np.uint8), "label": np.int64(3)}]

  capfd.readouterr()
  with tfds.testing.mock_data(as_data_source_fn=noisy):
    if fails:
      with pytest.raises(data.DatasetNotFoundError, match="no network"):
        data.load("mnist", "test", data_dir=str(tmp_path))
    else:
      x, y = data.load("mnist", "test", data_dir=str(tmp_path))
      assert x.shape == (1, 784) and y.tolist() == [3]
  out, err = capfd.readouterr()
  assert "Downloading and preparing" not in out + err
  assert "progress" not in err and "dataset_info" not in err


def test_empty_data_folder_without_tensorflow_fails_at_once(tmp_path, no_env,
                                                           monkeypatch):
  """An empty data folder made TFDS retry the download silently for 212 s
  (TensorFlow was not even installed) and leave ~/tensorflow_datasets/. Now:
  one line, at once, naming the folders (absolute), TensorFlow and the
  network; TFDS is not allowed to download, so it creates nothing."""
  pytest.importorskip("tensorflow_datasets")
  import importlib.util
  find_spec = importlib.util.find_spec
  monkeypatch.setattr(importlib.util, "find_spec",
                      lambda name, *a: None if name == "tensorflow"
                      else find_spec(name, *a))
  home = tmp_path / "home"
  home.mkdir()
  monkeypatch.setenv("HOME", str(home))
  monkeypatch.delenv("TFDS_DATA_DIR", raising=False)
  (tmp_path / "empty").mkdir()
  monkeypatch.chdir(tmp_path)
  monkeypatch.setenv(data.ENV_VAR, "empty")  # relative, as in the README
  # TFDS is never asked (it retried the network for 212 s): no timing
  # assertion, its entry points fail the test if called.
  tfds = pytest.importorskip("tensorflow_datasets")
  def tried(*args, **kwargs):
    raise AssertionError("TFDS was tried without TensorFlow")
  for entry in ("load", "builder", "data_source"):
    if hasattr(tfds, entry):
      monkeypatch.setattr(tfds, entry, tried)
  with pytest.raises(data.DatasetNotFoundError) as excinfo:
    data.load("mnist", "train")
  _assert_one_line(excinfo, str(tmp_path / "empty" / "mnist"),
                   "needs TensorFlow and a network",
                   "TensorFlow is not installed",
                   f"no prepared copy in {home / 'tensorflow_datasets'}",
                   f"$PSN_DATA_DIR=empty is relative to the working "
                   f"directory {tmp_path}")
  assert not (home / "tensorflow_datasets").exists()
