"""The UCI Forest Cover Type dataset for `psn_jax.data.load("covertype", ...)`.

Reads `covtype.data.gz` (581,012 rows of 54 integer features and a label in
1..7), labels 0..6, a fixed split (`np.random.default_rng(0).permutation`;
the first 4/5 train), the 10 continuous columns standardised with the train
split's statistics (see `psn_jax.data`'s module docstring).
"""

from __future__ import annotations

import io
import os

import numpy as np

from psn_jax import data as data_lib


def load(
  split: str, data_dir: str | os.PathLike | None
) -> tuple[np.ndarray, np.ndarray]:
  """UCI Forest Cover Type: file only, fixed seeded split (see the module)."""
  dirs = data_lib.search_dirs("covertype", data_dir)
  path = None
  for d in dirs:
    path = data_lib.in_dir(d, data_lib.COVTYPE_FILE[: -len(".gz")])
    if path:
      break
  if path is None:
    looked = data_lib.looked(dirs)
    raise data_lib.DatasetNotFoundError(
      f"covertype {split}: no {data_lib.COVTYPE_FILE} (or covtype.data) in {looked}; "
      f"download {data_lib.COVTYPE_URL} into <{data_lib.ENV_VAR} or data_dir>/covertype/ "
      "(tensorflow-datasets has no covertype dataset)"
    )
  table = _read_covtype(path)
  n = table.shape[0]
  order = np.random.default_rng(data_lib.COVTYPE_SPLIT_SEED).permutation(n)
  n_train = 4 * n // 5
  train_rows = order[:n_train]
  rows = train_rows if split == "train" else order[n_train:]
  c = data_lib.COVTYPE_CONTINUOUS
  train_cont = table[train_rows, :c].astype(np.float64)
  mean = train_cont.mean(axis=0)
  std = train_cont.std(axis=0)
  std = np.where(std > 0, std, 1.0)
  x = table[rows, :data_lib.COVTYPE_FEATURES].astype(np.float32)
  x[:, :c] = ((table[rows, :c] - mean) / std).astype(np.float32)
  y = (table[rows, data_lib.COVTYPE_FEATURES] - 1).astype(np.int32)
  return x, y


def _read_covtype(path: str) -> np.ndarray:
  """Parses and validates covtype.data: int rows of 54 features and a label."""
  raw = data_lib.read_bytes(path)
  try:
    table = np.loadtxt(
      io.StringIO(raw.decode("ascii")), delimiter=",", dtype=np.int32, ndmin=2
    )
  except (ValueError, UnicodeDecodeError) as e:
    raise data_lib.DatasetCorruptError(
      f"{path}: not comma-separated integers ({data_lib.first_line(e)})"
    ) from e
  cols = data_lib.COVTYPE_FEATURES + 1
  if table.shape[0] < 2 or table.shape[1] != cols:
    raise data_lib.DatasetCorruptError(
      f"{path}: expected rows of {cols} integers, got shape {table.shape}"
    )
  label = table[:, data_lib.COVTYPE_FEATURES]
  if label.min() < 1 or label.max() > 7:
    raise data_lib.DatasetCorruptError(
      f"{path}: labels must be in 1..7, got {label.min()}..{label.max()}"
    )
  binary = table[:, data_lib.COVTYPE_CONTINUOUS:data_lib.COVTYPE_FEATURES]
  if binary.min() < 0 or binary.max() > 1:
    raise data_lib.DatasetCorruptError(f"{path}: columns 11..54 must be 0/1")
  return table
