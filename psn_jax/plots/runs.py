"""Training runs: RigL fan-in evolution, CV trajectories, gradient share,
accuracy against a measure.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from psn_jax import equilibrium as equilibrium_lib
from psn_jax import stats as stats_lib
from psn_jax import tracking
from psn_jax.plots.figures import _axes
from psn_jax.plots.figures import _vector
from psn_jax.plots.figures import new_figure
from psn_jax.topology import concentration as concentration_lib
from psn_jax.utils import natural_order

__all__ = ["fan_in_evolution", "run_fan_in_evolution",
           "fan_in_cv_trajectories", "gradient_share_vs_fan_in",
           "accuracy_vs_measure"]

def fan_in_evolution(
  records: Mapping[str, Any],
  ax: Axes | None = None,
  *,
  log: bool = False,
) -> Axes:
  """The fan-in distribution over a RigL run, as an image over time.

  Column `t` shows `records["hist"][t]` over the fan-in bins; steps may be
  unevenly spaced (cell edges sit half-way between steps). If `records` holds
  `cv`, the coefficient of variation of fan-in is drawn on a twin y axis.

  Args:
    records: mapping with `hist` `(T, n_bins)` counts, `bin_edges`
      `(n_bins + 1,)` increasing, `steps` `(T,)` increasing, and optionally
      `cv` `(T,)`.
    ax: Axes to draw on; a new figure if None.
    log: logarithmic colour scale (empty cells are left blank).

  Returns:
    The main Axes, holding one `QuadMesh` of `T * n_bins` cells; the CV curve,
    if any, lives on `ax.cv_axes` (a twin Axes).

  Raises:
    ValueError: on missing keys or inconsistent shapes.
  """
  for name in ("hist", "bin_edges", "steps"):
    if name not in records:
      raise ValueError(
        f"records must have keys hist, bin_edges, steps; missing {name!r}"
      )
  hist = np.asarray(records["hist"], dtype=float)
  edges = np.asarray(records["bin_edges"], dtype=float)
  steps = np.asarray(records["steps"], dtype=float)
  if hist.ndim != 2 or hist.size == 0:
    raise ValueError(
      f"records['hist'] must be a non-empty (T, n_bins) array, got {hist.shape}"
    )
  t, n_bins = hist.shape
  if edges.shape != (n_bins + 1,) or np.any(np.diff(edges) <= 0):
    raise ValueError(
      f"records['bin_edges'] must be increasing with shape ({n_bins + 1},), "
      f"got {edges.shape}"
    )
  if steps.shape != (t,) or np.any(np.diff(steps) <= 0):
    raise ValueError(
      f"records['steps'] must be increasing with shape ({t},), got {steps.shape}"
    )
  cv = records.get("cv")
  if cv is not None:
    cv = np.asarray(cv, dtype=float)
    if cv.shape != (t,):
      raise ValueError(f"records['cv'] must have shape ({t},), got {cv.shape}")
  if t == 1:
    x_edges = np.array([steps[0] - 0.5, steps[0] + 0.5])
  else:
    mid = (steps[1:] + steps[:-1]) / 2
    x_edges = np.concatenate(
      [[steps[0] - (mid[0] - steps[0])], mid, [steps[-1] + (steps[-1] - mid[-1])]]
    )
  ax = _axes(ax)
  norm = None
  values = hist.T
  if log:
    values = np.ma.masked_less_equal(values, 0)
    positive = hist[hist > 0]
    if positive.size:
      norm = mcolors.LogNorm(vmin=positive.min(), vmax=positive.max())
  mesh = ax.pcolormesh(
    x_edges, edges, values, cmap="viridis", norm=norm, shading="flat"
  )
  ax.figure.colorbar(mesh, ax=ax, label="neurons", pad=0.12 if cv is not None else 0.05)
  ax.set_xlabel("step")
  ax.set_ylabel("fan-in")
  if cv is not None:
    twin = ax.twinx()
    twin.plot(steps, cv, color="C3", label="CV of fan-in")
    twin.set_ylabel("CV of fan-in", color="C3")
    ax.cv_axes = twin
  return ax


def run_fan_in_evolution(
  layer_records: Mapping[str, Any],
  record_steps: Any,
  n_in: int,
  *,
  variant: int,
  seed: int,
  ax: Axes | None = None,
  log: bool = True,
) -> Axes:
  """`fan_in_evolution` of one run of one layer of a program's records.

  Takes the arrays as `psn_jax.results.Results` holds them (picked by
  `equilibrium.run_record`); the histogram's bins are the engine's
  (`tracking.fan_in_histogram_edges(n_in, n_bins)`).

  Args:
    layer_records: one layer's records, `Results.records[layer]`
      (`fan_in_hist` `[variant, seed, record, n_bins]`, `fan_in_cv`
      `[variant, seed, record]`).
    record_steps: `[record]` steps of the records.
    n_in: the layer's input dimension (`Results.layer_shapes[layer][0]`).
    variant: the variant index.
    seed: the seed index.
    ax: Axes to draw on; a new figure if None.
    log: logarithmic colour scale.

  Returns:
    The Axes of `fan_in_evolution` (the CV on `ax.cv_axes`).
  """
  rec = equilibrium_lib.run_record(layer_records, record_steps, variant, seed)
  edges = tracking.fan_in_histogram_edges(n_in, rec["fan_in_hist"].shape[-1])
  return fan_in_evolution({"hist": rec["fan_in_hist"], "bin_edges": edges,
                           "steps": rec["steps"], "cv": rec["fan_in_cv"]},
                          ax, log=log)


def fan_in_cv_trajectories(
  layer_cvs: Mapping[str, Any],
  names: Sequence[str],
  record_every: int,
) -> Figure:
  """One panel per layer: each variant's fan-in CV, mean over seeds, against
  RigL updates (record `i` after `i * record_every` updates).

  Args:
    layer_cvs: layer -> fan-in CV `[variant, seed, record]`
      (`Results.records[layer]["fan_in_cv"]`), panels in
      `psn_jax.utils.natural_order`.
    names: the variants' names (the legend, on the first panel).
    record_every: RigL updates between two records.

  Returns:
    The Figure; panel `l` holds one line per variant.
  """
  layers = natural_order(layer_cvs)
  if not layers:
    raise ValueError("layer_cvs must hold at least one layer")
  fig = new_figure((5 * len(layers), 3.6))
  axes = np.atleast_1d(fig.subplots(1, len(layers)))
  for ax, layer in zip(axes, layers):
    cv = np.asarray(layer_cvs[layer], dtype=float)
    if cv.ndim != 3 or cv.shape[0] != len(names):
      raise ValueError(f"layer_cvs[{layer!r}] must have shape ({len(names)}, "
                       f"seeds, records), got {cv.shape}")
    updates = np.arange(cv.shape[2]) * record_every
    for v, name in enumerate(names):
      ax.plot(updates, stats_lib.mean_std(cv[v])[0], label=str(name))
    ax.set(title=layer, xlabel="RigL updates", ylabel="fan-in CV")
  axes[0].legend(fontsize=7)
  return fig


def gradient_share_vs_fan_in(
  fan_in: Any,
  grad_norm: Any,
  ax: Axes | None = None,
  *,
  hub_fraction: float = 0.1,
  logx: bool = False,
  logy: bool = True,
) -> Axes:
  """Each neuron's share of the gradient against its fan-in, hubs highlighted.

  The share of neuron `j` is `grad_norm[j] / sum(grad_norm)`. Hubs are those
  of `psn_jax.topology.concentration.hubs` (the one hub rule: the
  `n_hubs(n, hub_fraction)` neurons of largest fan-in, ties broken by index),
  so the plot highlights exactly the neurons `concentration` averages over;
  they are drawn in a second colour and their total share is in the legend.

  Args:
    fan_in: `(n,)` fan-ins, >= 0.
    grad_norm: `(n,)` non-negative gradient norms (e.g. of each neuron's
      incoming weights), with a positive sum.
    ax: Axes to draw on; a new figure if None.
    hub_fraction: fraction of neurons called hubs, in (0, 1].
    logx: logarithmic fan-in axis.
    logy: logarithmic share axis (zero shares are not drawn).

  Returns:
    The Axes with two scatter collections: non-hubs, then hubs.

  Raises:
    ValueError: on mismatched shapes, negative norms, a zero sum, or a bad
      `hub_fraction`.
  """
  f = _vector("fan_in", fan_in)
  g = _vector("grad_norm", grad_norm)
  if f.shape != g.shape:
    raise ValueError(
      f"fan_in and grad_norm must have the same shape, got {f.shape}, {g.shape}"
    )
  if np.any(g < 0) or g.sum() <= 0:
    raise ValueError("grad_norm must be non-negative with a positive sum")
  if not 0 < hub_fraction <= 1:
    raise ValueError(f"hub_fraction must be in (0, 1], got {hub_fraction!r}")
  share = g / g.sum()
  hubs = concentration_lib.hubs(f, hub_fraction)
  ax = _axes(ax)
  ax.scatter(
    f[~hubs], share[~hubs], s=8, color="0.5", alpha=0.6, label="other neurons"
  )
  hub_label = (
    f"hubs (top {hub_fraction:.0%} by fan-in): "
    f"{share[hubs].sum():.1%} of gradient"
  )
  ax.scatter(f[hubs], share[hubs], s=14, color="C3", label=hub_label)
  if logx:
    ax.set_xscale("log")
  if logy:
    ax.set_yscale("log")
  ax.set_xlabel("fan-in")
  ax.set_ylabel("share of gradient norm")
  ax.legend(fontsize=8)
  return ax


def accuracy_vs_measure(
  measure: Any,
  accuracy: Any,
  labels: Sequence[str] | None = None,
  ax: Axes | None = None,
  *,
  xlabel: str = "topology measure",
  ylabel: str = "accuracy",
) -> Axes:
  """Accuracy against a topology measure, with Pearson's r in the title.

  With `accuracy` of shape `(n_configs, n_seeds)` each point is the mean over
  seeds with a +-1 standard deviation bar (ddof 1; no bar for one seed).
  Pearson's r (`psn_jax.stats.pearson_r`) is computed over the `n_configs`
  (measure, mean accuracy) points; it is reported as nan when undefined (fewer
  than 2 configs or a constant input).

  Args:
    measure: `(n_configs,)` values of the measure.
    accuracy: `(n_configs,)` or `(n_configs, n_seeds)` accuracies.
    labels: `n_configs` point annotations.
    ax: Axes to draw on; a new figure if None.
    xlabel: x axis label (the measure's name).
    ylabel: y axis label.

  Returns:
    The Axes, holding one errorbar container of `n_configs` points, and the
    attributes `pearson_r` and `pearson_p`.

  Raises:
    ValueError: on mismatched shapes or labels.
  """
  m = _vector("measure", measure)
  acc = np.asarray(accuracy, dtype=float)
  if acc.ndim not in (1, 2) or acc.shape[0] != m.size:
    raise ValueError(
      "accuracy must have shape (n_configs,) or (n_configs, n_seeds) with "
      f"n_configs={m.size}, got {acc.shape}"
    )
  if labels is not None and len(labels) != m.size:
    raise ValueError(f"labels must have n_configs={m.size} entries, got {len(labels)}")
  if acc.ndim == 2:
    if acc.shape[1] == 0:
      raise ValueError(f"accuracy must have at least one seed, got shape {acc.shape}")
    mean = acc.mean(axis=1)
    err = acc.std(axis=1, ddof=1) if acc.shape[1] > 1 else None
  else:
    mean, err = acc, None
  r, p = (stats_lib.pearson_r(m, mean) if np.all(np.isfinite(mean))
          else (math.nan, math.nan))
  ax = _axes(ax)
  ax.errorbar(m, mean, yerr=err, fmt="o", capsize=3)
  if labels is not None:
    for x, y, text in zip(m, mean, labels):
      ax.annotate(
        str(text), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8
      )
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)
  ax.set_title(f"Pearson r = {r:.3f} (p = {p:.2g}, n = {m.size})")
  ax.pearson_r = r
  ax.pearson_p = p
  return ax
