"""Equilibrium artifacts: one JSON document per run with the settling point and
the lognormal fit of every layer, made from the engine's records."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from psn_jax.equilibrium.settling import SettlingRule
from psn_jax.equilibrium.settling import fit_lognormal
from psn_jax.equilibrium.settling import settling
from psn_jax.topology.degrees import cv as fan_in_cv
from psn_jax.utils import jsonable
from psn_jax.utils import natural_order
from psn_jax.utils import write_json_atomic

__all__ = ["ARTIFACT_FORMAT", "equilibrium_artifact", "run_record",
           "seed_artifacts", "save_artifact", "load_artifact"]

ARTIFACT_FORMAT = "psn-equilibrium/1"


def _final_stats(f: np.ndarray) -> dict[str, Any]:
  """Empirical stats of final fan-ins: all neurons, zeros included."""
  return {
    "n": int(f.size),
    "n_zero": int(np.sum(f == 0)),
    "mean": float(np.mean(f)),
    "cv": fan_in_cv(f),  # NaN (mean 0) is stored as None
  }


def equilibrium_artifact(
  records_per_layer: Sequence[Mapping[str, Any]],
  final_fan_ins_per_layer: Sequence[Any],
  layer_names: Sequence[str],
  **rule: Any,
) -> dict[str, Any]:
  """One run's equilibrium summary, per layer, as a JSON-serialisable dict.

  Args:
    records_per_layer: per layer (in `layer_names` order), a mapping with
      `steps` (T,), `fan_in_cv` (T,) and `fan_in_hist` (T, n_bins) for one
      seed.
    final_fan_ins_per_layer: per layer, the final per-neuron fan-ins (n_out,).
    layer_names: the layers' names.
    **rule: `settling`'s overrides of `SETTLING_RULE` (`cv_tol`, `hist_tol`,
      `window`).

  Returns:
    `{"format": "psn-equilibrium/1", "settling_rule": {...}, "layers": [...]}`
    where each layer is `{"name", "cv_start" (the tracked CV at the first
    record), "settling": SettleResult fields, "lognormal": LognormalFit
    fields, "final": {"n", "n_zero", "mean", "cv"}}`. `final` is the
    empirical distribution of the final fan-ins over all the layer's neurons
    (`psn_jax.topology.cv`: population CV, ddof=0, zeros included).
    Non-finite numbers are stored as None.
  """
  k = len(layer_names)
  if len(records_per_layer) != k or len(final_fan_ins_per_layer) != k:
    raise ValueError(
      f"records_per_layer and final_fan_ins_per_layer must have {k} entries "
      f"(one per layer name), got {len(records_per_layer)} and "
      f"{len(final_fan_ins_per_layer)}"
    )
  layers = []
  for name, rec, fin in zip(layer_names, records_per_layer, final_fan_ins_per_layer):
    missing = {"steps", "fan_in_cv", "fan_in_hist"} - set(rec)
    if missing:
      raise ValueError(f"records for layer {name!r} miss keys {sorted(missing)}")
    settle = settling(rec["steps"], rec["fan_in_cv"], rec["fan_in_hist"],
                      **rule)
    f = np.asarray(fin, np.float64).ravel()
    if f.size == 0 or not np.all(np.isfinite(f)) or np.any(f < 0):
      raise ValueError(f"final fan-ins of layer {name!r} must be non-empty and >= 0")
    layers.append({
      "name": str(name),
      "cv_start": float(np.asarray(rec["fan_in_cv"], np.float64).ravel()[0]),
      "settling": settle._asdict(),
      "lognormal": fit_lognormal(f)._asdict(),
      "final": _final_stats(f),
    })
  return jsonable({
    "format": ARTIFACT_FORMAT,
    "settling_rule": dataclasses.asdict(SettlingRule(**rule)),
    "layers": layers,
  })


def run_record(
  layer_records: Mapping[str, Any], record_steps: Any, variant: int, seed: int
) -> dict[str, np.ndarray]:
  """One run's records of one layer, from a program's `[variant, seed, ...]` arrays.

  Args:
    layer_records: one layer's records, as `Results.records[layer]`:
      `fan_in_cv` `[variant, seed, record]`, `fan_in_hist`
      `[variant, seed, record, n_bins]`.
    record_steps: `[record]` training step of each record.
    variant: the variant index.
    seed: the seed index.

  Returns:
    `{"steps": (T,), "fan_in_cv": (T,), "fan_in_hist": (T, n_bins)}`, the
    layout `settling` and `equilibrium_artifact` read.
  """
  return {"steps": np.asarray(record_steps),
          "fan_in_cv": np.asarray(layer_records["fan_in_cv"])[variant, seed],
          "fan_in_hist": np.asarray(layer_records["fan_in_hist"])[variant, seed]}


def seed_artifacts(
  records: Mapping[str, Mapping[str, Any]],
  record_steps: Any,
  final_fan_ins: Mapping[str, Any],
  variant: int,
  **rule: Any,
) -> list[dict[str, Any]]:
  """One `equilibrium_artifact` per seed of one variant of a program's results.

  Takes the arrays of `psn_jax.results.Results` as they are (layers keyed by
  name, leading axes `[variant, seed]`), so an experiment needs no parsing:
  `seed_artifacts(r.records, r.record_steps, r.fan_ins, r.index("erk"))`.
  Layers are taken in `psn_jax.utils.natural_order`.

  Args:
    records: layer -> {"fan_in_cv": [variant, seed, record],
      "fan_in_hist": [variant, seed, record, n_bins], ...}.
    record_steps: [record] training step of each record.
    final_fan_ins: layer -> [variant, seed, n_out] final fan-ins.
    variant: the variant index.
    **rule: `settling`'s overrides of `SETTLING_RULE`.

  Returns:
    A list over seeds of artifacts (pool them with `pool_artifacts`).
  """
  names = natural_order(records)
  if set(names) != set(final_fan_ins):
    raise ValueError(f"final_fan_ins must have the layers of records {names}, "
                     f"got {natural_order(final_fan_ins)}")
  n_seeds = np.asarray(final_fan_ins[names[0]]).shape[1]
  out = []
  for s in range(n_seeds):
    recs = [run_record(records[n], record_steps, variant, s) for n in names]
    finals = [np.asarray(final_fan_ins[n])[variant, s] for n in names]
    out.append(equilibrium_artifact(recs, finals, names, **rule))
  return out


def save_artifact(path: str | os.PathLike, artifact: Mapping[str, Any]) -> None:
  """Writes an artifact as JSON, atomically (`psn_jax.utils.write_json_atomic`).

  Non-finite floats are written as null, so the file is strict JSON.
  """
  write_json_atomic(path, jsonable(artifact))


def load_artifact(path: str | os.PathLike) -> dict[str, Any]:
  """Reads an artifact written by `save_artifact`."""
  with open(os.fspath(path)) as f:
    artifact = json.load(f)
  if not isinstance(artifact, dict) or artifact.get("format") != ARTIFACT_FORMAT:
    raise ValueError(f"path must hold a {ARTIFACT_FORMAT} artifact, got {path}")
  return artifact
