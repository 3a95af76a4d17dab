"""Topological equilibrium of dynamic sparse training (host NumPy/SciPy).

Paper: Tomczak, "Heterogeneous Connectivity in Sparse Networks: Fan-in
Profiles, Gradient Hierarchy, and Topological Equilibria", arXiv 2604.10560
(2026): under RigL "the fan-in distribution converges to a characteristic
distribution whatever the start", and initialising RigL with "a lognormal
profile matched to that equilibrium" beats ERK. The abstract does not say how
convergence was judged or how the lognormal was fitted; this module names its
choices:

* `settling`: when a run's tracked fan-in CV and histogram stop changing
  (an anchored window rule, below).
* `fit_lognormal`: maximum likelihood on log fan-in, with a
  Kolmogorov-Smirnov goodness of fit.
* `equilibrium_artifact` / `save_artifact` / `load_artifact`: one JSON file
  per run with both, per layer; `pool_artifacts` averages seeds;
  `matched_cvs` gives the per-layer CV for the `lognormal` profile.
* `settle_summary` and `summary_text`: the per-layer settling summary and the
  printed report of `experiments/equilibrium.py`.
* `cv_trajectories`: each start's seed-mean fan-in CV at fractions of a run
  (`experiments/rigl_starts.py`: does RigL drive every start to one CV?).

Inputs are the engine's records for one seed (see `psn_jax.tracking`): per
layer, arrays over record times `steps` (T,), `fan_in_cv` (T,),
`fan_in_hist` (T, n_bins), plus the final per-neuron fan-ins.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import scipy.stats

from psn_jax import stats
from psn_jax.topology.degrees import cv as fan_in_cv
from psn_jax.utils import natural_order
from psn_jax.utils import write_json_atomic

__all__ = [
  "SettleResult",
  "LognormalFit",
  "total_variation",
  "settling",
  "fit_lognormal",
  "equilibrium_artifact",
  "run_record",
  "seed_artifacts",
  "save_artifact",
  "load_artifact",
  "matched_cvs",
  "pool_artifacts",
  "settle_summary",
  "summary_text",
  "cv_trajectories",
]

ARTIFACT_FORMAT = "psn-equilibrium/1"


class SettleResult(NamedTuple):
  """When a run's fan-in distribution stopped changing.

  Attributes:
    settled: whether some record satisfies the settling rule.
    step: the training step of that record, or None.
    index: its index into the record arrays, or None.
    cv_final: the fan-in CV at the last record.
  """

  settled: bool
  step: int | None
  index: int | None
  cv_final: float


class LognormalFit(NamedTuple):
  """Maximum-likelihood lognormal fit of a layer's fan-ins.

  Attributes:
    mu: mean of log fan-in (the MLE of the lognormal's mu).
    sigma: population std (ddof=0) of log fan-in (the MLE of sigma).
    mean: mean of the fitted lognormal, exp(mu + sigma^2 / 2).
    cv: CV of the fitted lognormal, sqrt(exp(sigma^2) - 1).
    ks_stat: Kolmogorov-Smirnov statistic against the fitted lognormal.
    ks_pvalue: its p-value (approximate; see `fit_lognormal`).
    n: number of fan-ins fitted (those > 0).
    n_zero: number of zero fan-ins excluded from the fit.
  """

  mu: float
  sigma: float
  mean: float
  cv: float
  ks_stat: float
  ks_pvalue: float
  n: int
  n_zero: int


def total_variation(p: Any, q: Any) -> float:
  """Total variation distance between two histograms, normalised first.

  `0.5 * sum |p/sum(p) - q/sum(q)|`, in [0, 1]: the largest difference in
  the fraction of neurons that any set of bins can show.

  Args:
    p: (n_bins,) counts >= 0 with a positive sum.
    q: (n_bins,) counts, same shape.

  Returns:
    The distance as a float.
  """
  p = np.asarray(p, np.float64)
  q = np.asarray(q, np.float64)
  if p.shape != q.shape:
    raise ValueError(f"p and q must have the same shape, got {p.shape}, {q.shape}")
  sp, sq = p.sum(), q.sum()
  if sp <= 0 or sq <= 0:
    raise ValueError("p and q must have positive sums (non-empty histograms)")
  return float(0.5 * np.abs(p / sp - q / sq).sum())


def settling(
  steps: Any,
  cv: Any,
  hist: Any,
  *,
  cv_tol: float = 0.02,
  hist_tol: float = 0.05,
  window: int = 3,
) -> SettleResult:
  """Whether and when a run's fan-in distribution stopped changing.

  Rule (ours; the paper does not say how it judged convergence): record i is
  the settling point if, for every one of the following `window` records j
  (i < j <= i + window), both
    * |cv[j] - cv[i]| < cv_tol (absolute; CV is dimensionless), and
    * total_variation(hist[j], hist[i]) < hist_tol (between histograms
      normalised to fractions of neurons),
  and it is the first such record. Comparing with the anchor record i rather
  than record to record keeps a slow drift (many small steps) from passing.
  A record needs `window` records after it, so the last `window` records can
  never be the settling point. Only the window is checked: a run that settles
  and later moves again (e.g. a new learning-rate phase) still counts as
  settled at the first point; compare `cv_final` with the settled CV if that
  matters.

  Args:
    steps: (T,) training step of each record.
    cv: (T,) fan-in CV at each record.
    hist: (T, n_bins) fan-in histogram at each record, or None to use the CV
      alone.
    cv_tol: CV tolerance, > 0.
    hist_tol: total-variation tolerance, in (0, 1].
    window: number of following records that must stay within tolerance, >= 1.

  Returns:
    A `SettleResult`.
  """
  steps = np.asarray(steps)
  cv = np.asarray(cv, np.float64)
  if steps.ndim != 1 or steps.size == 0:
    raise ValueError(f"steps must be a non-empty 1-D array, got shape {steps.shape}")
  t = steps.size
  if cv.shape != (t,):
    raise ValueError(f"cv must have shape ({t},), got {cv.shape}")
  if hist is not None:
    hist = np.asarray(hist, np.float64)
    if hist.ndim != 2 or hist.shape[0] != t:
      raise ValueError(f"hist must have shape ({t}, n_bins), got {hist.shape}")
    sums = hist.sum(axis=1, keepdims=True)
    if np.any(sums <= 0):
      raise ValueError("hist must have a positive count in every record")
    frac = hist / sums
  if not cv_tol > 0:
    raise ValueError(f"cv_tol must be > 0, got {cv_tol}")
  if not 0 < hist_tol <= 1:
    raise ValueError(f"hist_tol must be in (0, 1], got {hist_tol}")
  if not isinstance(window, (int, np.integer)) or window < 1:
    raise ValueError(f"window must be an integer >= 1, got {window!r}")
  cv_final = float(cv[-1])
  for i in range(t - window):
    nxt = slice(i + 1, i + 1 + window)
    if not np.all(np.abs(cv[nxt] - cv[i]) < cv_tol):
      continue
    if hist is not None:
      tv = 0.5 * np.abs(frac[nxt] - frac[i]).sum(axis=1)
      if not np.all(tv < hist_tol):
        continue
    return SettleResult(True, int(steps[i]), i, cv_final)
  return SettleResult(False, None, None, cv_final)


def fit_lognormal(fan_ins: Any) -> LognormalFit:
  """Maximum-likelihood lognormal fit of a layer's fan-ins, with a KS test.

  The MLE of a lognormal is the mean and population std (ddof=0) of the logs:
  mu = mean(log f), sigma = std(log f). Zero fan-ins (dead neurons) have no
  log and are excluded; `n_zero` reports how many. The fit treats the integer
  fan-ins as continuous values (log of the integer), which is accurate when
  fan-ins are large (tens or more, as at 90% sparsity with n_in >= 54).

  Goodness of fit: `scipy.stats.kstest` of the fitted fan-ins against the
  fitted lognormal (shape sigma, loc 0, scale exp(mu)). The p-value is
  approximate, in two ways: mu and sigma were estimated from the same data
  (the Lilliefors effect, which makes the p-value too large, i.e. the test
  conservative), and the fan-ins are integers compared with a continuous CDF
  (ties; also conservative for a continuous null, but at small fan-ins the
  steps of the empirical CDF add to the statistic). Read it as a descriptive
  distance, not an exact test; `ks_stat` is the comparable number across runs.

  Args:
    fan_ins: per-neuron fan-ins (any shape, flattened), >= 0 and finite.

  Returns:
    A `LognormalFit`. With no positive fan-in every float field is NaN and
    n = 0; with a single one, or all equal (sigma = 0), the KS fields are NaN.
  """
  f = np.asarray(fan_ins, np.float64).ravel()
  if not np.all(np.isfinite(f)) or np.any(f < 0):
    raise ValueError("fan_ins must be finite and >= 0")
  pos = f[f > 0]
  n, n_zero = int(pos.size), int(f.size - pos.size)
  nan = float("nan")
  if n == 0:
    return LognormalFit(nan, nan, nan, nan, nan, nan, 0, n_zero)
  logs = np.log(pos)
  mu = float(np.mean(logs))
  sigma = float(np.std(logs))
  mean = float(math.exp(mu + 0.5 * sigma**2))
  cv = float(math.sqrt(math.expm1(sigma**2)))
  if n < 2 or sigma <= 1e-12:
    return LognormalFit(mu, sigma, mean, cv, nan, nan, n, n_zero)
  ks = scipy.stats.kstest(pos, "lognorm", args=(sigma, 0.0, math.exp(mu)))
  return LognormalFit(
    mu, sigma, mean, cv, float(ks.statistic), float(ks.pvalue), n, n_zero
  )


def _jsonable(x: Any) -> Any:
  """Builtin, JSON-safe copy: NumPy scalars/arrays to Python, NaN/inf to None."""
  if isinstance(x, Mapping):
    return {str(k): _jsonable(v) for k, v in x.items()}
  if isinstance(x, tuple) and hasattr(x, "_asdict"):
    return _jsonable(x._asdict())
  if isinstance(x, (list, tuple)):
    return [_jsonable(v) for v in x]
  if isinstance(x, np.ndarray):
    return _jsonable(x.tolist())
  if isinstance(x, (bool, np.bool_)):
    return bool(x)
  if isinstance(x, (int, np.integer)):
    return int(x)
  if isinstance(x, (float, np.floating)):
    x = float(x)
    return x if math.isfinite(x) else None
  return x


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
  *,
  cv_tol: float = 0.02,
  hist_tol: float = 0.05,
  window: int = 3,
) -> dict[str, Any]:
  """One run's equilibrium summary, per layer, as a JSON-serialisable dict.

  Args:
    records_per_layer: per layer (in `layer_names` order), a mapping with
      `steps` (T,), `fan_in_cv` (T,) and `fan_in_hist` (T, n_bins) for one
      seed.
    final_fan_ins_per_layer: per layer, the final per-neuron fan-ins (n_out,).
    layer_names: the layers' names.
    cv_tol: passed to `settling`.
    hist_tol: passed to `settling`.
    window: passed to `settling`.

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
    settle = settling(
      rec["steps"], rec["fan_in_cv"], rec["fan_in_hist"],
      cv_tol=cv_tol, hist_tol=hist_tol, window=window,
    )
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
  return _jsonable({
    "format": ARTIFACT_FORMAT,
    "settling_rule": {"cv_tol": cv_tol, "hist_tol": hist_tol, "window": window},
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
  *,
  cv_tol: float = 0.02,
  hist_tol: float = 0.05,
  window: int = 3,
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
    cv_tol: passed to `settling`.
    hist_tol: passed to `settling`.
    window: passed to `settling`.

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
    out.append(equilibrium_artifact(recs, finals, names, cv_tol=cv_tol,
                                    hist_tol=hist_tol, window=window))
  return out


def save_artifact(path: str | os.PathLike, artifact: Mapping[str, Any]) -> None:
  """Writes an artifact as JSON, atomically (`psn_jax.utils.write_json_atomic`).

  Non-finite floats are written as null, so the file is strict JSON.
  """
  write_json_atomic(path, _jsonable(artifact))


def load_artifact(path: str | os.PathLike) -> dict[str, Any]:
  """Reads an artifact written by `save_artifact`."""
  with open(os.fspath(path)) as f:
    artifact = json.load(f)
  if not isinstance(artifact, dict) or artifact.get("format") != ARTIFACT_FORMAT:
    raise ValueError(f"path must hold a {ARTIFACT_FORMAT} artifact, got {path}")
  return artifact


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
  return _jsonable({
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
