"""Gradient concentration at hub neurons: the PSN gradient hierarchy (host).

Paper: Tomczak, "Heterogeneous Connectivity in Sparse Networks: Fan-in
Profiles, Gradient Hierarchy, and Topological Equilibria", arXiv 2604.10560
(2026): "structured profiles concentrate gradient 2 to 5x at hub neurons,
against about 1x for uniform random masks; the strength follows fan-in CV with
r = 0.93". The abstract defines neither hubs, nor the measure, nor the
correlation; our choices:

* Hubs are the top `top` fraction (default 10%) of a layer's output neurons
  by fan-in (`hubs`).
* Concentration is the mean gradient norm of the hubs over the mean over all
  the layer's neurons (`concentration`): 1 when hubs get an average share,
  `1 / top` at most. The per-neuron gradient norm is the L2 norm over the
  neuron's active incoming weights, averaged over batches
  (`psn_jax.tracking.neuron_grad_norm`).
* r is the Pearson correlation across runs (or run-layers) of fan-in CV and
  concentration (`fan_in_cv_correlation`).

Inputs are host arrays (NumPy); the engine's per-seed records are sliced to
one seed and one layer before they come here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from psn_jax import stats as stats_lib
from psn_jax.topology.degrees import cv as fan_in_cv
from psn_jax.utils import natural_order

__all__ = [
  "n_hubs",
  "hubs",
  "concentration",
  "concentration_table",
  "variant_table",
  "fan_in_cv_correlation",
]


def _check_top(top: float) -> float:
  if not (isinstance(top, (int, float, np.floating)) and 0 < top <= 1):
    raise ValueError(f"top must be in (0, 1], got {top!r}")
  return float(top)


def _vector(x: Any, name: str) -> np.ndarray:
  a = np.asarray(x, dtype=np.float64)
  if a.ndim != 1 or a.size == 0:
    raise ValueError(f"{name} must be a non-empty 1-D array, got shape {a.shape}")
  if not np.all(np.isfinite(a)) or np.any(a < 0):
    raise ValueError(f"{name} must be finite and >= 0")
  return a


def n_hubs(n: int, top: float = 0.1) -> int:
  """Number of hubs among `n` neurons: ceil(top * n), at least 1.

  The one hub-count rule of psn-jax (`hubs`, `concentration`,
  `concentration_table` and `psn_jax.plots.gradient_share_vs_fan_in` all use
  it). The ceiling is taken after subtracting 1e-9 so that float noise does
  not add a hub: 0.07 * 100 is 7.000000000000001 and 0.1 * 300 is
  30.000000000000004 in floating point, which are 7 and 30 hubs.
  """
  top = _check_top(top)
  return max(1, min(n, math.ceil(top * n - 1e-9)))


def hubs(fan_in: Any, top: float = 0.1) -> np.ndarray:
  """Bool mask of a layer's hub neurons: the top `top` fraction by fan-in.

  Takes `n_hubs(n, top)` = max(1, ceil(top * n)) neurons with the largest
  fan-in. Ties are broken by index, lower index first (a stable sort of the
  negated fan-in), so a uniform fan-in makes neurons 0 .. k-1 the hubs. Hub
  placement is arbitrary in the paper's static experiments, so index order is
  as good a tie-break as any and is reproducible.

  Args:
    fan_in: (n,) per-neuron fan-ins (>= 0) of one layer.
    top: fraction of neurons that are hubs, in (0, 1].

  Returns:
    bool array (n,), True for hubs; at least one is True.
  """
  f = _vector(fan_in, "fan_in")
  k = n_hubs(f.size, top)
  order = np.argsort(-f, kind="stable")
  mask = np.zeros(f.size, dtype=bool)
  mask[order[:k]] = True
  return mask


def concentration(
  grad_norm: Any, fan_in: Any, top: float = 0.1, per_weight: bool = False
) -> float:
  """Gradient concentration at hubs: mean hub gradient / mean layer gradient.

  `concentration = mean(g[hubs]) / mean(g)`, over one layer's output neurons,
  where g is the per-neuron gradient norm (averaged over batches). 1 means
  hubs receive an average share (the paper's ~1x for uniform random masks);
  the paper reports 2-5x for structured profiles. The maximum is
  n / n_hubs (all gradient at the hubs).

  With `per_weight=True` each neuron's norm is first divided by its fan-in,
  g_j / f_j, so a reader can see how much of the concentration is only the
  number of weights a hub has: if every active weight got an iid gradient of
  the same scale, g_j would grow like sqrt(f_j) and the per-weight ratio would
  fall below 1. Neurons with fan-in 0 have no weights and are excluded from
  the per-weight ratio (hubs are then chosen among the remaining neurons);
  with `per_weight=False` they count, with their gradient norm (0 over an
  empty set of weights).

  Args:
    grad_norm: (n,) per-neuron gradient norms of one layer, >= 0.
    fan_in: (n,) per-neuron fan-ins of that layer, >= 0.
    top: hub fraction, in (0, 1] (see `hubs`).
    per_weight: divide each norm by its fan-in first.

  Returns:
    The ratio as a Python float; NaN when the layer's mean (per-weight)
    gradient is 0 or, for `per_weight`, no neuron has fan-in > 0.
  """
  g = _vector(grad_norm, "grad_norm")
  f = _vector(fan_in, "fan_in")
  if g.shape != f.shape:
    raise ValueError(
      f"grad_norm and fan_in must have the same shape, got {g.shape} and {f.shape}"
    )
  if per_weight:
    keep = f > 0
    if not np.any(keep):
      return float("nan")
    g, f = g[keep] / f[keep], f[keep]
  mean_all = float(np.mean(g))
  if mean_all == 0:
    return float("nan")
  return float(np.mean(g[hubs(f, top)]) / mean_all)


def _layers(x: Any, what: str) -> list[tuple[str, np.ndarray]]:
  if isinstance(x, Mapping):
    return [(str(k), np.asarray(v)) for k, v in x.items()]
  if isinstance(x, Sequence) or isinstance(x, np.ndarray):
    return [(str(i), np.asarray(v)) for i, v in enumerate(x)]
  raise ValueError(f"{what} must be a list of per-layer arrays or a dict, got {x!r}")


def concentration_table(
  runs: Mapping[str, Mapping[str, Any]], top: float = 0.1
) -> list[dict[str, Any]]:
  """One row per (run, layer): fan-in CV and gradient concentration.

  Args:
    runs: run name -> {"grad_norm": per-layer (n_out,) gradient norms,
      "fan_in": per-layer (n_out,) fan-ins}; each is a list in layer order or
      a dict keyed by layer name (the same keys for both). A run is one seed
      of one configuration; pool seeds yourself if you want one row per
      configuration.
    top: hub fraction (see `hubs`).

  Returns:
    A list of JSON-serialisable dicts with keys `run`, `layer`, `n`,
    `n_hubs`, `fan_in_mean`, `fan_in_cv` (`psn_jax.topology.cv`: population
    CV, ddof=0), `concentration`, `concentration_per_weight` (NaN, e.g. the CV
    of a layer without connections, is None), in the order of `runs` and then
    of the layers.
  """
  if not isinstance(runs, Mapping):
    raise ValueError(f"runs must be a dict of run name -> run, got {type(runs)}")
  rows = []
  for run, data in runs.items():
    if not isinstance(data, Mapping) or not {"grad_norm", "fan_in"} <= set(data):
      raise ValueError(f"runs[{run!r}] must have keys 'grad_norm' and 'fan_in'")
    gl = _layers(data["grad_norm"], "grad_norm")
    fl = _layers(data["fan_in"], "fan_in")
    if [n for n, _ in gl] != [n for n, _ in fl]:
      raise ValueError(
        f"runs[{run!r}] grad_norm and fan_in must name the same layers, "
        f"got {[n for n, _ in gl]} and {[n for n, _ in fl]}"
      )
    for (layer, g), (_, f) in zip(gl, fl):
      c = concentration(g, f, top)
      cw = concentration(g, f, top, per_weight=True)
      cv = fan_in_cv(f)
      rows.append({
        "run": str(run),
        "layer": layer,
        "n": int(f.size),
        "n_hubs": n_hubs(int(f.size), top),
        "fan_in_mean": float(np.mean(f)),
        "fan_in_cv": None if math.isnan(cv) else cv,
        "concentration": None if math.isnan(c) else c,
        "concentration_per_weight": None if math.isnan(cw) else cw,
      })
  return rows


def fan_in_cv_correlation(cvs: Any, concentrations: Any) -> tuple[float, float]:
  """Pearson r (and two-sided p) between fan-in CV and concentration.

  The paper's r = 0.93 ("the strength follows fan-in CV"); it does not say
  over what, so the caller chooses the points: one per run, per run-layer (rows
  of `concentration_table`), or per configuration after averaging seeds. Uses
  `psn_jax.stats.pearson_r` (scipy's `pearsonr`; p is exact under bivariate
  normality); this function only adds the checks below.

  Args:
    cvs: (n,) fan-in CVs, n >= 3.
    concentrations: (n,) concentrations for the same points; all finite.

  Returns:
    (r, p) as floats; NaN when either input is constant.
  """
  x = np.asarray(cvs, dtype=np.float64)
  y = np.asarray(concentrations, dtype=np.float64)
  if x.ndim != 1 or x.shape != y.shape:
    raise ValueError(
      f"cvs and concentrations must be 1-D of equal length, got {x.shape}, {y.shape}"
    )
  if x.size < 3:
    raise ValueError(f"cvs must have at least 3 points, got {x.size}")
  if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
    raise ValueError("cvs and concentrations must be finite (drop None/NaN rows)")
  return stats_lib.pearson_r(x, y)


def _finite_or_none(x: float) -> float | None:
  return None if x is None or not math.isfinite(x) else float(x)


def variant_table(
  grad_norm: Mapping[str, Any],
  fan_in: Mapping[str, Any],
  names: Sequence[str],
  *,
  layers: Sequence[str] | None = None,
  top: float = 0.1,
) -> dict[str, Any]:
  """Concentration per (variant, layer) over seeds, and r(fan-in CV, conc.).

  Takes the arrays of `psn_jax.results.Results` as they are (`grad_norm` and
  `fan_ins`: layer -> `[variant, seed, n_out]`), runs `concentration_table`
  on every (variant, seed) and pools the seeds with
  `psn_jax.stats.mean_std`. Correlations use `fan_in_cv_correlation` over the
  per-seed points (one per run and layer), per layer and pooled over the
  layers; NaN when fewer than 3 finite points.

  Args:
    grad_norm: layer -> `[variant, seed, n_out]` per-neuron gradient norms.
    fan_in: layer -> `[variant, seed, n_out]` fan-ins (same layers).
    names: the variant names, `[variant]`.
    layers: the layers to use (default: all, in `natural_order`).
    top: hub fraction (see `hubs`).

  Returns:
    `{"runs": [...], "rows": [...], "correlation": {...}}`: `runs` are the
    `concentration_table` rows of every (variant, seed, layer) with `variant`
    and `seed` (index) added; `rows` hold, per variant and layer (variant
    order, then layer order), `variant`, `layer`, `n_seeds` and the seed
    means of `fan_in_cv`, `concentration` and `per_weight` (the per-weight
    concentration), with `concentration_std` (ddof=1; None for one seed);
    `correlation` maps each layer and `"pooled"` to `{"r", "p", "n_runs"}`.
  """
  layers = natural_order(grad_norm) if layers is None else list(layers)
  missing = [n for n in layers if n not in grad_norm or n not in fan_in]
  if missing:
    raise ValueError(f"layers must be in grad_norm and fan_in, missing {missing}")
  g_all = {n: np.asarray(grad_norm[n], np.float64) for n in layers}
  f_all = {n: np.asarray(fan_in[n], np.float64) for n in layers}
  for n in layers:
    if g_all[n].ndim != 3 or g_all[n].shape != f_all[n].shape:
      raise ValueError(f"grad_norm[{n!r}] and fan_in[{n!r}] must have equal "
                       f"shapes [variant, seed, n_out], got {g_all[n].shape} "
                       f"and {f_all[n].shape}")
    if g_all[n].shape[0] != len(names):
      raise ValueError(f"names must have one name per variant "
                       f"({g_all[n].shape[0]}), got {len(names)}")
  n_seeds = g_all[layers[0]].shape[1]
  runs = []
  for v, name in enumerate(names):
    for s in range(n_seeds):
      table = concentration_table(
        {f"{name}/{s}": {"grad_norm": {n: g_all[n][v, s] for n in layers},
                         "fan_in": {n: f_all[n][v, s] for n in layers}}}, top)
      runs += [{**row, "variant": str(name), "seed": s} for row in table]
  as_float = lambda x: math.nan if x is None else float(x)  # noqa: E731
  rows = []
  for name in names:
    for layer in layers:
      sel = [r for r in runs if r["variant"] == str(name) and r["layer"] == layer]
      cvs, conc, per_w = (np.array([as_float(r[k]) for r in sel]) for k in (
        "fan_in_cv", "concentration", "concentration_per_weight"))
      c_mean, c_std = stats_lib.mean_std(conc)
      rows.append({
        "variant": str(name),
        "layer": layer,
        "n_seeds": len(sel),
        "fan_in_cv": _finite_or_none(float(np.mean(cvs))),
        "concentration": _finite_or_none(float(c_mean)),
        "concentration_std": _finite_or_none(float(c_std)),
        "per_weight": _finite_or_none(float(np.mean(per_w))),
      })

  def corr(sel: list[dict[str, Any]]) -> dict[str, Any]:
    pts = [(r["fan_in_cv"], r["concentration"]) for r in sel
           if r["fan_in_cv"] is not None and r["concentration"] is not None]
    if len(pts) < 3:
      return {"r": math.nan, "p": math.nan, "n_runs": len(pts)}
    r, p = fan_in_cv_correlation(*zip(*pts))
    return {"r": r, "p": p, "n_runs": len(pts)}

  correlation = {layer: corr([r for r in runs if r["layer"] == layer])
                 for layer in layers}
  correlation["pooled"] = corr(runs)
  return {"runs": runs, "rows": rows, "correlation": correlation}
