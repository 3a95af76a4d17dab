"""The tensorflow-datasets fallback of `psn_jax.data.load` (MNIST,
Fashion-MNIST, EMNIST when no IDX files are found).

TFDS is imported lazily, so `psn_jax.data` works without it. It is read
through `tfds.data_source` (ArrayRecord, no TensorFlow needed to read). TFDS
may download and build a dataset only when TensorFlow is importable and the
download host answers within a few seconds (`_download_blocker`); otherwise it
is asked only for a copy it has already prepared, so a missing dataset fails
at once with one line saying what is missing where, and no
`~/tensorflow_datasets/` is left behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import socket
import sys
import threading

import numpy as np

from psn_jax import data as data_lib


# Import names of modules TFDS may need -> the pip package to install.
_PIP_NAMES = {
  "importlib_resources": "importlib-resources",
  "tensorflow": "tensorflow-cpu",
  "tensorflow_datasets": "tensorflow-datasets",
  "array_record": "array-record",
}


def _missing_module(error: BaseException) -> str | None:
  """The top-level module whose absence caused `error` (or its causes)."""
  seen = 0
  while error is not None and seen < 10:
    if isinstance(error, ImportError) and getattr(error, "name", None):
      return error.name.split(".")[0]
    error = error.__cause__ or error.__context__
    seen += 1
  return None


def load_tfds(
  name: str,
  split: str,
  data_dir: str | os.PathLike | None,
  files: tuple[str, str],
  dirs: list[str],
  raw: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
  """Reads `name` with tensorflow-datasets; any failure -> data_lib.DatasetNotFoundError.

  `raw`: keep uint8 pixels, as `data_lib.load(..., raw=True)`.

  TFDS's own output (its "Downloading and preparing" banner, progress bars,
  absl warnings) is held back: on failure the error says what happened; when
  TFDS really downloaded and prepared the dataset, one line on stderr says so.
  """
  looked = data_lib.looked(dirs)
  hint = (f"set {data_lib.ENV_VAR} or data_dir to a folder with those files, or let "
          "tensorflow-datasets download it (needs network access, and "
          "tensorflow to build the MNIST family)")

  def not_found(reason: str) -> data_lib.DatasetNotFoundError:
    return data_lib.DatasetNotFoundError(
      f"{name} {split}: no {files[0]}[.gz] and {files[1]}[.gz] in {looked}, and "
      f"tensorflow-datasets failed ({reason}); {hint}"
    )

  def import_failed(e: BaseException) -> data_lib.DatasetNotFoundError:
    module = _missing_module(e)
    if module is None:
      return not_found(f"{type(e).__name__}: {data_lib.first_line(e)}")
    package = _PIP_NAMES.get(module, module)
    return not_found(f"it needs the module {module}, which is not installed: "
                     f"pip install {package}")

  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise import_failed(e) from e
  # Without TensorFlow or a network TFDS cannot build the dataset; it would
  # retry the download for minutes. Then only a prepared copy is read.
  blocker = _download_blocker()
  prepared_before = _tfds_prepared(tfds, name, data_dir)
  try:
    with _quiet():
      source = tfds.data_source(
        name,
        split=split,
        data_dir=None if data_dir is None else os.fspath(data_dir),
        download=blocker is None,
        builder_kwargs={"file_format": "array_record"},
      )
      examples = [source[i] for i in range(len(source))]
  except ImportError as e:
    raise import_failed(e) from e
  except Exception as e:  # pylint: disable=broad-except
    if _missing_module(e) is not None:
      raise import_failed(e) from e
    reason = f"{type(e).__name__}: {data_lib.first_line(e)}"
    if blocker is not None:
      tfds_dir = os.path.abspath(os.fspath(data_dir)) if data_dir is not None \
          else _tfds_default_dir()
      reason = (f"no prepared copy in {tfds_dir}, and building one needs "
                f"TensorFlow and a network: {blocker}; TFDS said {reason}")
    raise not_found(reason) from e
  if not examples:
    raise not_found("the split is empty")
  if prepared_before is False and _tfds_prepared(tfds, name, data_dir):
    print(f"tensorflow-datasets downloaded and prepared {name}", file=sys.stderr)
  images = np.stack([np.asarray(ex["image"], dtype=np.uint8) for ex in examples])
  images = images.reshape(len(examples), data_lib.IMAGE_SIDE, data_lib.IMAGE_SIDE)
  labels = np.array([int(ex["label"]) for ex in examples], dtype=np.int64)
  return data_lib.to_arrays(name, images, labels, f"tfds {name} {split}",
                            raw)


# Where tensorflow-datasets downloads MNIST, Fashion-MNIST and EMNIST from.
_DOWNLOAD_HOST = ("storage.googleapis.com", 443)
_NETWORK_TIMEOUT_S = 3.0


def _tfds_default_dir() -> str:
  """TFDS's data directory when none is given ($TFDS_DATA_DIR or its default)."""
  return os.path.abspath(os.path.expanduser(
    os.environ.get("TFDS_DATA_DIR") or "~/tensorflow_datasets"))


def _download_blocker() -> str | None:
  """Why tensorflow-datasets cannot download and build a dataset now, or None.

  TensorFlow must be importable (TFDS's MNIST builders read the IDX files
  with it) and the download host reachable. The host is tried once, in a
  thread, for at most `_NETWORK_TIMEOUT_S` seconds (name lookups ignore
  socket timeouts).
  """
  if importlib.util.find_spec("tensorflow") is None:
    return "TensorFlow is not installed (pip install tensorflow-cpu)"
  outcome: list[str | None] = []

  def connect() -> None:
    try:
      socket.create_connection(_DOWNLOAD_HOST, timeout=_NETWORK_TIMEOUT_S
                               ).close()
      outcome.append(None)
    except OSError as e:
      outcome.append(f"{type(e).__name__}: {e}")

  probe = threading.Thread(target=connect, daemon=True)
  probe.start()
  probe.join(_NETWORK_TIMEOUT_S + 0.5)
  if outcome and outcome[0] is None:
    return None
  reason = outcome[0] if outcome else "timed out"
  return (f"no network ({_DOWNLOAD_HOST[0]}:{_DOWNLOAD_HOST[1]} cannot be "
          f"reached: {reason})")


def _tfds_prepared(tfds, name: str, data_dir) -> bool | None:
  """Whether TFDS has `name` prepared in `data_dir` (None: cannot tell)."""
  try:
    with _quiet():
      builder = tfds.builder(
        name, data_dir=None if data_dir is None else os.fspath(data_dir))
      return bool(builder.is_prepared())
  except Exception:  # pylint: disable=broad-except
    return None


@contextlib.contextmanager
def _quiet():
  """Holds back stdout, stderr and absl/TFDS log records below ERROR."""
  loggers = [logging.getLogger(n) for n in ("absl", "tensorflow_datasets")]
  levels = [lg.level for lg in loggers]
  for lg in loggers:
    lg.setLevel(logging.ERROR)
  try:
    with contextlib.redirect_stdout(io.StringIO()), \
        contextlib.redirect_stderr(io.StringIO()):
      yield
  finally:
    for lg, level in zip(loggers, levels):
      lg.setLevel(level)
