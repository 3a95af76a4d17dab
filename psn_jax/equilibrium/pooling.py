"""Pooling equilibrium artifacts over seeds, the matched lognormal CVs, and the
reports of `experiments/equilibrium.py` and `experiments/rigl_starts.py`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from psn_jax import stats
from psn_jax.equilibrium.artifacts import ARTIFACT_FORMAT
from psn_jax.utils import jsonable
from psn_jax.utils import natural_order

__all__ = ["matched_cvs", "pool_artifacts", "settle_summary", "summary_text",
           "cv_trajectories"]


def _layers_of(artifact: Mapping[str, Any]) -> list[Mapping[str, Any]]:
  if not isinstance(artifact, Mapping) or "layers" not in artifact:
    raise ValueError("artifact must be a dict with a 'layers' list")
  return list(artifact["layers"])


def matched_cvs(
  artifact: Mapping[str, Any], *, require_settled: bool = False
) -> list[float | None]:
  """Per-layer CV to give the `lognormal` profile to start at the equilibrium.

  The paper initialises RigL with "a lognormal profile matched to the
  equilibrium fan-in distribution". We match the empirical CV of the final
  fan-ins (`final.cv`, all neurons, zeros included), not the CV of the fitted
  lognormal: a lognormal profile is specified by its CV at the layer's budget
  (its active count, which RigL never changes), so the budget fixes the mean
  and the empirical CV makes the new run's mean and CV equal the
  equilibrium's; the fitted CV, sqrt(exp(sigma^2) - 1), comes from log
  fan-ins, excludes zeros and is pulled by any departure from lognormality,
  so it would not reproduce the equilibrium's moments.

  Args:
    artifact: from `equilibrium_artifact`, `load_artifact` or `pool_artifacts`.
    require_settled: give None for layers whose run did not settle (for a
      pooled artifact: unless every seed settled).

  Returns:
    A list, in layer order, of CVs, with None where the CV is undefined (mean
    fan-in 0) or, with `require_settled`, the layer did not settle.
  """
  out = []
  for layer in _layers_of(artifact):
    cv = layer["final"]["cv"]
    if require_settled and not layer["settling"]["settled"]:
      cv = None
    out.append(None if cv is None else float(cv))
  return out


def _finite(xs: list[Any]) -> list[float]:
  return [float(x) for x in xs if x is not None and math.isfinite(float(x))]


def _mean(xs: list[Any]) -> float | None:
  vals = _finite(xs)
  return float(stats.mean_std(vals)[0]) if vals else None


def _std(xs: list[Any]) -> float | None:
  vals = _finite(xs)
  return float(stats.mean_std(vals)[1]) if len(vals) > 1 else None


def pool_artifacts(artifacts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
  """Averages per-seed artifacts layer by layer (same layers, same order).

  The one place where psn-jax pools seeds of an equilibrium study. Per
  layer: `final.mean` and `final.cv` are the means over seeds of the
  per-seed values (seeds whose value is None are skipped), with `cv_std` the
  sample std (ddof=1) across seeds; `cv_start` is the seed mean of the CV at
  the first record; `lognormal` holds the seed means of `mu`, `sigma`, `mean`
  and `cv` (KS results are per seed and are not pooled); `settling` has
  `settled` (every seed settled), `n_settled`, `steps` and `indices` (per
  seed, None where not settled), `step` (the latest settling step when all
  settled, else None), `index_mean` (the mean record index of the settling
  point over the seeds that settled, None if none did) and `cv_final` (the
  seed mean of the CV at the last record). The result has the artifact
  layout, so `matched_cvs` and `save_artifact` accept it.

  Args:
    artifacts: one artifact per seed, non-empty.

  Returns:
    The pooled artifact, with `n_seeds`.
  """
  if not artifacts:
    raise ValueError("artifacts must be a non-empty list")
  per = [_layers_of(a) for a in artifacts]
  names = [layer["name"] for layer in per[0]]
  for p in per[1:]:
    other = [layer["name"] for layer in p]
    if other != names:
      raise ValueError(f"artifacts must have the same layers, got {names} and {other}")
  layers = []
  for i, name in enumerate(names):
    ls = [p[i] for p in per]
    steps = [layer["settling"]["step"] for layer in ls]
    indices = [layer["settling"].get("index") for layer in ls]
    settled = [bool(layer["settling"]["settled"]) for layer in ls]
    layers.append({
      "name": name,
      "cv_start": _mean([layer.get("cv_start") for layer in ls]),
      "settling": {
        "settled": all(settled),
        "n_settled": int(sum(settled)),
        "steps": steps,
        "step": max(steps) if all(settled) else None,
        "indices": indices,
        "index_mean": _mean(indices),
        "cv_final": _mean([layer["settling"].get("cv_final") for layer in ls]),
      },
      "lognormal": {
        key: _mean([layer["lognormal"][key] for layer in ls])
        for key in ("mu", "sigma", "mean", "cv")
      },
      "final": {
        "mean": _mean([layer["final"]["mean"] for layer in ls]),
        "cv": _mean([layer["final"]["cv"] for layer in ls]),
        "cv_std": _std([layer["final"]["cv"] for layer in ls]),
      },
    })
  rules = [a.get("settling_rule") for a in artifacts]
  return jsonable({
    "format": ARTIFACT_FORMAT,
    "n_seeds": len(artifacts),
    "settling_rule": rules[0] if all(r == rules[0] for r in rules) else None,
    "layers": layers,
  })


def settle_summary(pooled: Mapping[str, Any], record_every: int
                   ) -> dict[str, dict[str, Any]]:
  """Per layer of a pooled artifact: how many seeds settled, after how many
  updates on average, and the CV the runs started and ended at.

  Args:
    pooled: from `pool_artifacts`.
    record_every: RigL updates between two records
      (`config.track.record_every`), to turn record indices into updates.

  Returns:
    `{layer: {"settled_seeds", "seeds", "updates_to_settle_mean" (None when
    no seed settled), "cv_start_mean", "cv_final_mean"}}` in layer order.
  """
  out = {}
  for layer in _layers_of(pooled):
    settle = layer["settling"]
    index = settle["index_mean"]
    out[layer["name"]] = {
      "settled_seeds": settle["n_settled"],
      "seeds": pooled["n_seeds"],
      "updates_to_settle_mean": None if index is None else index * record_every,
      "cv_start_mean": layer["cv_start"],
      "cv_final_mean": settle["cv_final"],
    }
  return out


def _num(x: float | None, spec: str) -> str:
  return "-" if x is None else format(x, spec)


def summary_text(summary: Mapping[str, Any]) -> str:
  """The report of the equilibrium study, as printed by the experiment.

  Args:
    summary: `{"final_test_accuracy": {start: per-seed accuracies},
      "matched_cv_per_layer": [cv or None], "lognormal_vs_erk_paired":
      `stats.PairedResult._asdict()`, "settling": {start: settle_summary}}`
      (the experiment's `summary.json`).

  Returns:
    `stats.summary_table` of the accuracies, the paired comparison in one
    line, then one line per start and layer: CV at the start and the end,
    seeds settled, mean updates to settle. No trailing newline.
  """
  p = summary["lognormal_vs_erk_paired"]
  lines = [stats.summary_table(summary["final_test_accuracy"]),
           f"lognormal(matched) - ERK, paired over {p['n']} seeds: "
           f"{100 * p['mean_diff']:+.2f}% (t = {p['t']:.2f}, p = {p['p']:.3f}, "
           f"d = {p['cohen_d']:.2f}); matched CV per layer: "
           + ", ".join(_num(c, ".2f") for c in summary["matched_cv_per_layer"])]
  for start, layers in summary["settling"].items():
    for name, row in layers.items():
      lines.append(
        f"{start:>18} {name}: CV {_num(row['cv_start_mean'], '.2f')} -> "
        f"{_num(row['cv_final_mean'], '.2f')}; settled in "
        f"{row['settled_seeds']}/{row['seeds']} seeds after "
        f"{_num(row['updates_to_settle_mean'], '')} updates (mean)")
  return "\n".join(lines)


def cv_trajectories(
  layer_cvs: Mapping[str, Any],
  names: Sequence[str],
  record_every: int,
  *,
  fractions: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
) -> dict[str, dict[str, dict[str, Any]]]:
  """Each start's fan-in CV, mean over seeds, at fractions of the run.

  Record `i` is taken after `i * record_every` RigL updates; the record of
  fraction `q` is `int(q * (T - 1))` of the `T` records.

  Args:
    layer_cvs: layer -> fan-in CV `[variant, seed, record]`
      (`Results.records[layer]["fan_in_cv"]`); layers in
      `psn_jax.utils.natural_order`.
    names: the variants' names, `[variant]`.
    record_every: RigL updates between two records, >= 1.
    fractions: points of the run, each in [0, 1].

  Returns:
    `{layer: {name: {"updates": [...], "cv_mean": [...] (seed means,
    `stats.mean_std`), "cv_final_std_over_seeds": float (ddof=1; NaN for
    one seed)}}}`.
  """
  if not isinstance(record_every, (int, np.integer)) or record_every < 1:
    raise ValueError(f"record_every must be an integer >= 1, got {record_every!r}")
  if any(not 0 <= q <= 1 for q in fractions):
    raise ValueError(f"fractions must be in [0, 1], got {list(fractions)}")
  out: dict[str, dict[str, dict[str, Any]]] = {}
  for layer in natural_order(layer_cvs):
    cv = np.asarray(layer_cvs[layer], np.float64)
    if cv.ndim != 3 or cv.shape[0] != len(names):
      raise ValueError(f"layer_cvs[{layer!r}] must have shape ({len(names)}, "
                       f"seeds, records), got {cv.shape}")
    picks = [int(q * (cv.shape[2] - 1)) for q in fractions]
    out[layer] = {}
    for v, name in enumerate(names):
      mean, _ = stats.mean_std(cv[v])  # over seeds
      out[layer][str(name)] = {
        "updates": [i * int(record_every) for i in picks],
        "cv_mean": [float(mean[i]) for i in picks],
        "cv_final_std_over_seeds": float(stats.mean_std(cv[v, :, -1])[1]),
      }
  return out
