"""Typed results of one compiled program: arrays with named axes, on disk and in pandas.

A program trains several *variants* (configurations that share its shapes and
static settings: mask variants of `experiments.compare`, points of a sweep)
times several *seeds*. Every per-run array has the leading axes
`[variant, seed]`; layers are keyed by name (`Dense_0`, ...) everywhere.

On disk, `save(workdir)` writes `results.json` (human-readable: configs,
seeds, per-epoch metrics, final accuracies, metadata) and `results.npz` beside
it (the large arrays: per-neuron fan-ins and gradient norms, topology records,
mask snapshots as packed bits). Both are written through a temporary file and
a rename, so a reader never sees a half-written pair's file.

`results.json` is strict JSON (RFC 8259: no `NaN` or `Infinity` tokens, which
strict readers such as JavaScript's `JSON.parse` reject): a non-finite value
is written as `null` and read back as NaN. A run whose training or test loss
became non-finite is *diverged*: `Results.diverged` names it (variant, seed,
first such epoch) and `results.json` lists it under `diverged`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from typing import Any, Mapping, Sequence

import numpy as np

from psn_jax import utils

__all__ = ["Results", "ResultsFileError", "pack_masks", "unpack_masks",
           "diverged_runs", "METRICS"]

METRICS: tuple[str, ...] = ("train_loss", "train_accuracy", "test_loss",
                            "test_accuracy")
JSON_NAME = "results.json"
NPZ_NAME = "results.npz"
# The metrics whose non-finite value marks a run as diverged.
_LOSSES = ("train_loss", "test_loss")


class ResultsFileError(ValueError):
  """A results file that exists but cannot be read (truncated, not ours)."""


def diverged_runs(history: Mapping[str, Sequence[Sequence[float]]]
                  ) -> dict[int, int]:
  """The runs whose loss became non-finite, from a per-epoch history.

  Args:
    history: metric -> `[epoch][run]` (the runner's running history);
      `train_loss` and `test_loss` are read.

  Returns:
    `{run index: first epoch (1-based) with a non-finite loss}`.
  """
  first: dict[int, int] = {}
  for field in _LOSSES:
    for e, values in enumerate(history.get(field, [])):
      bad = ~np.isfinite(np.asarray(values, dtype=np.float64))
      for r in np.flatnonzero(bad).tolist():
        first[r] = min(first.get(r, e + 1), e + 1)
  return dict(sorted(first.items()))


def pack_masks(kernels: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
  """Bool kernels `[..., n_in, n_out]` -> uint8 `[..., ceil(n_in n_out / 8)]`.

  `np.packbits` of each flattened kernel (row-major, big bit order): 1 bit per
  connection, 32x smaller than a JSON list of booleans.
  """
  out = {}
  for name, k in kernels.items():
    k = np.asarray(k)
    if k.dtype != np.bool_:
      raise ValueError(f"kernel {name} must be bool, got {k.dtype}")
    out[name] = np.packbits(k.reshape(k.shape[:-2] + (-1,)), axis=-1)
  return out


def unpack_masks(packed: Mapping[str, np.ndarray],
                 shapes: Mapping[str, Sequence[int]]) -> dict[str, np.ndarray]:
  """Inverse of `pack_masks`: uint8 bits -> bool `[..., n_in, n_out]`."""
  out = {}
  for name, bits in packed.items():
    n_in, n_out = shapes[name]
    flat = np.unpackbits(np.asarray(bits, np.uint8), axis=-1,
                         count=n_in * n_out)
    out[name] = flat.astype(bool).reshape(bits.shape[:-1] + (n_in, n_out))
  return out


@dataclasses.dataclass
class Results:
  """What one program produced (see the module docstring for the axes).

  Attributes:
    names: variant names, `[variant]`.
    configs: each variant's full config as `{dotted field: value}`.
    seeds: the seeds, `[seed]` (the same for every variant).
    history: metric name (`METRICS`) -> float `[variant, seed, epoch]`.
    fan_ins: layer -> int `[variant, seed, n_out]`: final fan-in per neuron.
    grad_norm: layer -> float `[variant, seed, n_out]`: each neuron's gradient
      norm over its active inputs, averaged over every training batch (PSN's
      gradient concentration).
    records: layer -> field -> `[variant, seed, record, ...]`: the in-jit
      topology records (`psn_jax.tracking.topology_record`).
    record_steps: int `[record]`, the step after which each record was taken.
    snapshots: layer -> uint8 `[variant, seed, snapshot, bytes]`: masks packed
      by `pack_masks`, taken at `snapshot_epochs`.
    snapshot_epochs: int `[snapshot]`, epochs done when each was taken (0:
      the initial masks).
    layer_shapes: layer -> `(n_in, n_out)`.
    meta: wall time (`wall_time_s`, the total, and `wall_time_segments`, one
      per start or resume), `start_epochs` (the epoch each segment started
      from), `device`, `backend`, `num_devices`, `num_processes`, `versions`.
  """

  names: list[str]
  configs: list[dict[str, Any]]
  seeds: list[int]
  history: dict[str, np.ndarray]
  fan_ins: dict[str, np.ndarray]
  grad_norm: dict[str, np.ndarray]
  records: dict[str, dict[str, np.ndarray]]
  record_steps: np.ndarray
  snapshots: dict[str, np.ndarray]
  snapshot_epochs: np.ndarray
  layer_shapes: dict[str, tuple[int, int]]
  meta: dict[str, Any]

  # -- views ---------------------------------------------------------------

  @property
  def layers(self) -> list[str]:
    """Layer names in forward order."""
    return utils.natural_order(self.layer_shapes)

  @property
  def final_test_accuracy(self) -> np.ndarray:
    """float `[variant, seed]`: test accuracy after the last epoch."""
    return self.history["test_accuracy"][..., -1]

  @property
  def diverged(self) -> list[dict[str, Any]]:
    """Runs whose training or test loss became NaN or infinite.

    One `{"variant", "seed", "epoch"}` dict per such run (`epoch`: the first,
    1-based), in run order. Their accuracies are kept as measured (about
    chance level), so read them together with this list.
    """
    losses = [np.asarray(self.history[f], np.float64) for f in _LOSSES
              if f in self.history]
    if not losses:
      return []
    bad = ~np.isfinite(np.stack(losses)).all(axis=0)  # [variant, seed, epoch]
    out = []
    for v, s in zip(*np.nonzero(bad.any(axis=-1))):
      out.append({"variant": self.names[v], "seed": int(self.seeds[s]),
                  "epoch": int(np.argmax(bad[v, s])) + 1})
    return out

  def accuracy_by_name(self) -> dict[str, list[float]]:
    """{variant name: final test accuracy per seed}."""
    return {n: self.final_test_accuracy[i].tolist()
            for i, n in enumerate(self.names)}

  def index(self, name: str) -> int:
    """The variant index of `name`."""
    if name not in self.names:
      raise ValueError(f"variant must be one of {', '.join(self.names)}, "
                       f"got {name!r}")
    return self.names.index(name)

  def varying_fields(self) -> list[str]:
    """Dotted config fields whose value differs between variants."""
    keys = sorted(set().union(*self.configs)) if self.configs else []
    return [k for k in keys
            if len({json.dumps(c.get(k), sort_keys=True)
                    for c in self.configs}) > 1]

  def mask_snapshot(self, variant: int | str, seed_index: int,
                    snapshot: int) -> dict[str, dict[str, np.ndarray]]:
    """The mask pytree of one snapshot, `{layer: {"kernel", "bias"}}`.

    It mirrors the params of `psn_jax.models.MLP` (biases all-True), so it
    goes straight into `psn_jax.topology` or `make_train`'s `init`.
    """
    v = self.index(variant) if isinstance(variant, str) else variant
    bits = {k: b[v, seed_index, snapshot] for k, b in self.snapshots.items()}
    kernels = unpack_masks(bits, self.layer_shapes)
    return {k: {"kernel": m, "bias": np.ones(m.shape[1], bool)}
            for k, m in kernels.items()}

  def to_dataframe(self, fields: Sequence[str] | None = None):
    """One row per (variant, seed, epoch), as a pandas DataFrame.

    Columns: `run` (`variant * n_seeds + seed_index`), `variant` (name),
    `seed`, `epoch` (1-based), the config fields in `fields` (default: those
    that vary between variants), then the metrics of `METRICS`.
    """
    import pandas as pd  # pylint: disable=g-import-not-at-top
    fields = self.varying_fields() if fields is None else list(fields)
    n_v, n_s, n_e = self.history["test_accuracy"].shape
    v, s, e = np.meshgrid(np.arange(n_v), np.arange(n_s), np.arange(n_e),
                          indexing="ij")
    v, s, e = v.ravel(), s.ravel(), e.ravel()
    columns: dict[str, Any] = {
        "run": v * n_s + s,
        "variant": np.asarray(self.names, dtype=object)[v],
        "seed": np.asarray(self.seeds)[s],
        "epoch": e + 1,
    }
    for f in fields:
      values = [_cell(c.get(f)) for c in self.configs]
      # A 1-D object array of per-variant values (tuples stay whole cells).
      cells = np.empty(len(values), dtype=object)
      for i, value in enumerate(values):
        cells[i] = value
      columns[f] = cells[v]
    for m in METRICS:
      columns[m] = self.history[m].reshape(-1)
    return pd.DataFrame(columns)

  # -- disk ----------------------------------------------------------------

  def save(self, workdir: str | os.PathLike) -> None:
    """Writes `results.json` and `results.npz` into `workdir` (atomically).

    `results.json` is strict JSON: non-finite numbers are written as `null`.
    """
    doc = {
        "names": self.names,
        "seeds": self.seeds,
        "final_test_accuracy": self.accuracy_by_name(),
        "diverged": self.diverged,
        "history": {k: v.tolist() for k, v in self.history.items()},
        "history_axes": ["variant", "seed", "epoch"],
        "record_steps": np.asarray(self.record_steps).tolist(),
        "snapshot_epochs": np.asarray(self.snapshot_epochs).tolist(),
        "layer_shapes": {k: list(v) for k, v in self.layer_shapes.items()},
        "configs": self.configs,
        "meta": self.meta,
    }
    arrays = {}
    for group, tree in (("fan_ins", self.fan_ins),
                        ("grad_norm", self.grad_norm),
                        ("snapshots", self.snapshots)):
      for layer, a in tree.items():
        arrays[f"{group}/{layer}"] = np.asarray(a)
    for layer, fields in self.records.items():
      for field, a in fields.items():
        arrays[f"records/{layer}/{field}"] = np.asarray(a)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    os.makedirs(workdir, exist_ok=True)
    utils.write_bytes_atomic(os.path.join(workdir, NPZ_NAME), buf.getvalue())
    utils.write_json_atomic(os.path.join(workdir, JSON_NAME), doc)

  @classmethod
  def load(cls, workdir: str | os.PathLike) -> "Results":
    """Reads what `save` wrote.

    Raises:
      FileNotFoundError: a file is missing (the message names it).
      ResultsFileError: a file is there but truncated or not a results file
        (a `ValueError`; the message names the file and what is wrong).
    """
    json_path = os.path.join(workdir, JSON_NAME)
    npz_path = os.path.join(workdir, NPZ_NAME)
    for path in (json_path, npz_path):
      if not os.path.exists(path):
        raise FileNotFoundError(f"no results in {workdir}: {path} is missing")
    try:
      with open(json_path, "rb") as f:
        doc = json.loads(f.read().decode())
      history = {k: np.asarray(v, dtype=np.float64)  # null -> NaN
                 for k, v in doc["history"].items()}
      fields = dict(
          names=list(doc["names"]), configs=list(doc["configs"]),
          seeds=list(doc["seeds"]), history=history,
          record_steps=np.asarray(doc["record_steps"], np.int64),
          snapshot_epochs=np.asarray(doc["snapshot_epochs"], np.int64),
          layer_shapes={k: tuple(v) for k, v in doc["layer_shapes"].items()},
          meta=doc["meta"])
    except (ValueError, KeyError, TypeError, AttributeError) as e:
      raise _unreadable(json_path, e) from None
    trees: dict[str, dict] = {"fan_ins": {}, "grad_norm": {}, "snapshots": {},
                              "records": {}}
    try:
      with np.load(npz_path) as npz:
        for key in npz.files:
          group, layer, *field = key.split("/")
          if group == "records":
            trees["records"].setdefault(layer, {})[field[0]] = npz[key]
          else:
            trees[group][layer] = npz[key]
    except Exception as e:  # pylint: disable=broad-except
      # zipfile, zlib and numpy raise many types for a truncated archive.
      raise _unreadable(npz_path, e) from None
    return cls(fan_ins=trees["fan_ins"], grad_norm=trees["grad_norm"],
               records=trees["records"], snapshots=trees["snapshots"],
               **fields)


def _unreadable(path: str, error: BaseException) -> ResultsFileError:
  """The one-line error for a results file that cannot be read."""
  what = f"{type(error).__name__}: {error}" if str(error) else \
      type(error).__name__
  if isinstance(error, KeyError):
    what = f"no field {error}"
  what = " ".join(what.split())[:200]
  return ResultsFileError(f"{path} is not a readable results file ({what}); "
                          "it may be truncated: rerun the command that wrote "
                          "it")


def _cell(value: Any) -> Any:
  """A config value as a DataFrame cell (lists become tuples: hashable)."""
  if isinstance(value, list):
    return tuple(_cell(v) for v in value)
  return value
