"""Plots for profiles, masks, NNSTD, RigL fan-in evolution, gradients, accuracy.

Every function draws on the `ax` it is given, or on a new figure, and returns
the Axes. Where figures are shown, in a Jupyter or Colab kernel or in an
interactive pyplot session (`plt.ion()`, IPython's `%matplotlib`), a new
figure is made by `pyplot.figure`, so the notebook displays it at the end of
the cell like any pyplot figure (and the inline backend closes it then).
Elsewhere (command lines, scripts, tests) it is a standalone
`matplotlib.figure.Figure` with an Agg canvas: no pyplot state, headless, no
figure leaks. Nothing calls `plt.show`; `save` writes a figure atomically.
"""

from __future__ import annotations

import io
import math
import os
import sys
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from psn_jax import equilibrium as equilibrium_lib
from psn_jax import stats as stats_lib
from psn_jax import tracking
from psn_jax.topology import concentration as concentration_lib
from psn_jax.topology.degrees import as_layer_mask
from psn_jax.utils import natural_order
from psn_jax.utils import write_bytes_atomic

__all__ = [
  "new_figure",
  "new_axes",
  "save",
  "profile_curve",
  "fan_in_bins",
  "fan_in_histogram",
  "mask_image",
  "nnstd_heatmap",
  "fan_in_evolution",
  "run_fan_in_evolution",
  "fan_in_cv_trajectories",
  "gradient_share_vs_fan_in",
  "accuracy_vs_measure",
]

# Integer-aligned histogram bins are used up to this many distinct values.
_MAX_INTEGER_BINS = 200
# NNSTD heatmaps annotate each cell with its value up to this size.
_MAX_ANNOTATED = 12


def _figures_are_shown() -> bool:
  """True in an IPython kernel (Jupyter, Colab) or an interactive pyplot
  session: there, only figures that pyplot tracks are displayed."""
  plt = sys.modules.get("matplotlib.pyplot")
  if plt is not None and plt.isinteractive():
    return True
  ipython = sys.modules.get("IPython")
  get = getattr(ipython, "get_ipython", None)
  shell = get() if get is not None else None
  return shell is not None and hasattr(shell, "kernel")


def new_figure(figsize: tuple[float, float] = (5.0, 3.5)) -> Figure:
  """A new, empty figure: pyplot's where figures are shown, else standalone.

  See the module docstring: in a notebook it is `pyplot.figure` (displayed
  at the end of the cell); elsewhere a `Figure` on its own Agg canvas (no
  pyplot global state).
  """
  if _figures_are_shown():
    import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
    return plt.figure(figsize=figsize, layout="constrained")
  fig = Figure(figsize=figsize, layout="constrained")
  FigureCanvasAgg(fig)
  return fig


def new_axes(figsize: tuple[float, float] = (5.0, 3.5)) -> Axes:
  """A fresh Axes on a new figure (`new_figure`: shown in a notebook,
  standalone Agg elsewhere)."""
  return new_figure(figsize).add_subplot()


def _axes(ax: Axes | None) -> Axes:
  return new_axes() if ax is None else ax


def save(fig: Figure | Axes, path: str | os.PathLike, *, dpi: int = 150) -> None:
  """Saves a figure to `path` atomically (`psn_jax.utils.write_bytes_atomic`).

  The image is rendered in memory, then written through a temporary file in
  the same folder and a rename, so a reader never sees a half-written image and
  nothing is written when rendering fails; the file gets the umask's mode. The
  format follows the file suffix (png when there is none).

  Args:
    fig: a Figure, or an Axes whose figure is saved.
    path: destination file; missing folders are created.
    dpi: resolution for raster formats.

  Raises:
    ValueError: if `fig` is neither a Figure nor an Axes.
  """
  if isinstance(fig, Axes):
    fig = fig.figure
  if isinstance(fig, SubFigure):
    fig = fig.figure  # the root figure
  if not isinstance(fig, Figure):
    raise ValueError(
      f"fig must be a matplotlib Figure or Axes, got {type(fig).__name__}"
    )
  suffix = os.path.splitext(os.fspath(path))[1]
  buffer = io.BytesIO()
  fig.savefig(buffer, format=suffix[1:].lower() if suffix else "png", dpi=dpi)
  write_bytes_atomic(path, buffer.getvalue())


def _vector(name: str, x: Any, *, min_size: int = 1) -> np.ndarray:
  """`x` as a finite 1-D float array of at least `min_size` entries."""
  a = np.asarray(x, dtype=float)
  if a.ndim != 1 or a.size < min_size:
    raise ValueError(
      f"{name} must be a 1-D array with at least {min_size} entries, "
      f"got shape {a.shape}"
    )
  if not np.all(np.isfinite(a)):
    raise ValueError(f"{name} must be finite, got non-finite entries")
  return a


# ------------------------------------------------------------------ profiles


def profile_curve(
  fan_ins_sorted: Any,
  ax: Axes | None = None,
  *,
  label: str | None = None,
  relative_position: bool = False,
) -> Axes:
  """A profile's fan-in curve: fan-in against neuron position.

  Args:
    fan_ins_sorted: `(n,)` fan-ins in the order to draw them (typically sorted).
    ax: Axes to draw on; a new figure if None. Call again on the same Axes to
      overlay several profiles.
    label: legend label for this curve.
    relative_position: x runs over `[0, 1]` (position / (n - 1)) instead of
      `0..n-1`, to compare layers of different widths.

  Returns:
    The Axes, with one new line of `n` points.

  Raises:
    ValueError: if `fan_ins_sorted` is not a non-empty finite 1-D array.
  """
  y = _vector("fan_ins_sorted", fan_ins_sorted)
  x = np.arange(y.size, dtype=float)
  if relative_position:
    x = x / max(y.size - 1, 1)
  ax = _axes(ax)
  ax.plot(x, y, label=label)
  ax.set_xlabel(
    "neuron position (relative)" if relative_position else "neuron position"
  )
  ax.set_ylabel("fan-in")
  if label is not None:
    ax.legend()
  return ax


def fan_in_bins(values: Any) -> np.ndarray:
  """Histogram edges for fan-ins: one bin per integer, or 50 equal bins.

  One bin per integer value (edges at half-integers) when every value is an
  integer and they span fewer than 200 values, else 50 equal-width bins over
  the range. Pass the values of every series together to get bins that the
  series share.

  Args:
    values: fan-ins of one or several series (any shape, flattened).

  Returns:
    Increasing bin edges, float64.
  """
  f = _vector("values", np.ravel(np.asarray(values, dtype=float)))
  lo, hi = f.min(), f.max()
  if np.all(f == np.round(f)) and hi - lo < _MAX_INTEGER_BINS:
    return np.arange(lo - 0.5, hi + 1.5)
  if hi == lo:
    return np.array([lo - 0.5, hi + 0.5])
  return np.linspace(lo, hi, 51)


def fan_in_histogram(
  fan_ins: Any,
  ax: Axes | None = None,
  bins: int | Sequence[float] | str | None = None,
  *,
  label: str | None = None,
) -> Axes:
  """A histogram of fan-ins, or several overlaid on shared bins.

  One series (an array) is drawn as filled bars. Several series (a mapping
  `label -> fan-ins`, e.g. one per profile or per training stage) are drawn
  on the SAME bins (`fan_in_bins` of all values together, unless `bins` is
  given as edges) as step outlines in distinct colours, so no series hides
  another and equal heights mean equal counts. To overlay series, pass them
  together rather than calling this function twice on one Axes (separate
  calls pick bins per series).

  Args:
    fan_ins: `(n,)` fan-ins, or a mapping of label -> `(n_i,)` fan-ins.
    ax: Axes to draw on; a new figure if None.
    bins: anything `Axes.hist` accepts. None (default): `fan_in_bins`.
    label: legend label of a single series (the mapping keys label several).

  Returns:
    The Axes: one bar patch per bin for a single series, one step outline per
    series for several. The edges used are in `ax.fan_in_bin_edges`.

  Raises:
    ValueError: if a series is not a non-empty finite 1-D array, or the
      mapping is empty.
  """
  ax = _axes(ax)
  if isinstance(fan_ins, Mapping):
    if not fan_ins:
      raise ValueError("fan_ins must hold at least one series, got an empty mapping")
    series = {str(k): _vector(f"fan_ins[{k!r}]", v) for k, v in fan_ins.items()}
    if bins is None:
      bins = fan_in_bins(np.concatenate(list(series.values())))
    elif isinstance(bins, (int, np.integer, str)):
      bins = np.histogram_bin_edges(np.concatenate(list(series.values())), bins)
    for i, (name, f) in enumerate(series.items()):
      ax.hist(f, bins=bins, histtype="step", linewidth=1.6, color=f"C{i}",
              label=name)
    ax.legend()
  else:
    f = _vector("fan_ins", fan_ins)
    if bins is None:
      bins = fan_in_bins(f)
    _, bins, _ = ax.hist(f, bins=bins, label=label, edgecolor="none")
    if label is not None:
      ax.legend()
  ax.fan_in_bin_edges = np.asarray(bins, dtype=float)
  ax.set_xlabel("fan-in")
  ax.set_ylabel("neurons")
  return ax


# --------------------------------------------------------------------- masks


def mask_image(
  mask: Any,
  ax: Axes | None = None,
  *,
  fan_out_shape: tuple[int, int] | None = None,
) -> Axes:
  """A layer mask as an image, or each input's fan-out as a map.

  Args:
    mask: `bool[n_in, n_out]` layer mask (Flax kernel layout), or 0/1
      integers (`psn_jax.topology.as_layer_mask`).
    ax: Axes to draw on; a new figure if None.
    fan_out_shape: if given (e.g. `(28, 28)` for 784 MNIST inputs), draw the
      fan-out of each input, `mask.sum(1)`, reshaped to this shape, with a
      colour bar. Otherwise draw the mask itself: rows = inputs, columns =
      outputs, connections black.

  Returns:
    The Axes, holding one image of shape `(n_in, n_out)` or `fan_out_shape`.

  Raises:
    ValueError: if `mask` is not a non-empty 2-D bool (or 0/1 integer) mask,
      or `fan_out_shape` does not hold `n_in`.
  """
  m = as_layer_mask(mask)
  if m.size == 0:
    raise ValueError(
      f"mask must be a non-empty 2-D (n_in, n_out) array, got shape {m.shape}"
    )
  ax = _axes(ax)
  n_in, n_out = m.shape
  density = m.mean()
  if fan_out_shape is not None:
    shape = tuple(int(s) for s in fan_out_shape)
    if len(shape) != 2 or math.prod(shape) != n_in:
      raise ValueError(
        f"fan_out_shape must be 2 integers with product n_in={n_in}, "
        f"got {fan_out_shape!r}"
      )
    fan_out = m.sum(axis=1).reshape(shape)
    image = ax.imshow(fan_out, cmap="viridis", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="fan-out")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"fan-out per input ({n_in}x{n_out}, density {density:.2%})")
  else:
    ax.imshow(
      m, cmap="Greys", vmin=0, vmax=1, interpolation="nearest", aspect="auto"
    )
    ax.set_xlabel("output neuron")
    ax.set_ylabel("input neuron")
    ax.set_title(f"mask {n_in}x{n_out}, density {density:.2%}")
  return ax


def nnstd_heatmap(
  matrix: Any,
  labels: Sequence[str] | None = None,
  ax: Axes | None = None,
  *,
  annotate: bool | None = None,
  vmin: float = 0.0,
  vmax: float = 1.0,
) -> Axes:
  """A heatmap of pairwise NNSTD values (Liu et al. 2020).

  Args:
    matrix: `(k, k)` distances, e.g. between k trained networks.
    labels: k tick labels.
    ax: Axes to draw on; a new figure if None.
    annotate: write each value in its cell; default: when k <= 12.
    vmin: colour scale minimum (NNSTD lies in [0, 1]).
    vmax: colour scale maximum.

  Returns:
    The Axes, holding one `(k, k)` image and a colour bar.

  Raises:
    ValueError: if `matrix` is not square or `labels` has the wrong length.
  """
  a = np.asarray(matrix, dtype=float)
  if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
    raise ValueError(
      f"matrix must be a non-empty square (k, k) array, got shape {a.shape}"
    )
  k = a.shape[0]
  if labels is not None and len(labels) != k:
    raise ValueError(f"labels must have k={k} entries, got {len(labels)}")
  ax = _axes(ax)
  image = ax.imshow(a, cmap="magma_r", vmin=vmin, vmax=vmax, interpolation="nearest")
  ax.figure.colorbar(image, ax=ax, label="NNSTD")
  ticks = np.arange(k)
  ax.set_xticks(ticks)
  ax.set_yticks(ticks)
  if labels is not None:
    ax.set_xticklabels(labels, rotation=45, ha="right")
    ax.set_yticklabels(labels)
  if annotate is None:
    annotate = k <= _MAX_ANNOTATED
  if annotate:
    mid = (vmin + vmax) / 2
    for i in range(k):
      for j in range(k):
        if np.isfinite(a[i, j]):
          ax.text(
            j, i, f"{a[i, j]:.2f}", ha="center", va="center", fontsize=8,
            color="white" if a[i, j] > mid else "black",
          )
  return ax


# ------------------------------------------------------------------ RigL runs


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


# ---------------------------------------------------------------------------
# Claim figures (issue 10: `experiments.reproduce`), colour-blind-safe.

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the
# common colour-vision deficiencies.
OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00",
                              "#CC79A7", "#56B4E9", "#F0E442", "#000000")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _style(i: int) -> dict[str, Any]:
  """Colour, marker and line style of series `i` (cycles beyond 8 change style)."""
  return {"color": OKABE_ITO[i % len(OKABE_ITO)],
          "marker": _MARKERS[i % len(_MARKERS)],
          "linestyle": ("-", "--", ":")[(i // len(OKABE_ITO)) % 3]}


def claim_lines(
  series: Mapping[str, tuple[Any, Any, Any]],
  ax: Axes | None = None,
  *,
  xlabel: str,
  ylabel: str,
  logx: bool = False,
  hline: tuple[float, float | None, str] | None = None,
  title: str | None = None,
  connect: bool = True,
) -> Axes:
  """One line per series with +-1 std error bars over seeds.

  Args:
    series: label -> `(x, mean, err)` (equal-length 1-D arrays; `err` may be
      None or hold NaN where there is one seed).
    ax: Axes to draw on; a new figure if None.
    xlabel: x axis label with units.
    ylabel: y axis label with units.
    logx: log-scaled x axis.
    hline: `(y, std or None, label)`: a reference level (e.g. dense) drawn as
      a dashed line with a +-std band.
    title: axes title.
    connect: join each series' points with a line (False: markers only).

  Returns:
    The Axes, with one errorbar container per series.
  """
  ax = _axes(ax)
  if hline is not None:
    y, err, label = hline
    ax.axhline(y, color="#555555", linestyle="--", linewidth=1, label=label)
    if err is not None and np.isfinite(err):
      ax.axhspan(y - err, y + err, color="#999999", alpha=0.2, linewidth=0)
  for i, (label, (x, mean, err)) in enumerate(series.items()):
    x = np.asarray(x, float)
    mean = np.asarray(mean, float)
    if x.shape != mean.shape:
      raise ValueError(f"series {label!r}: x and mean must have equal shapes, "
                       f"got {x.shape} and {mean.shape}")
    e = None if err is None else np.nan_to_num(np.asarray(err, float))
    style = _style(i)
    if not connect:
      style["linestyle"] = "none"
    ax.errorbar(x, mean, yerr=e, capsize=3, markersize=4, label=str(label),
                **style)
  xs = [np.asarray(x, float) for x, _, _ in series.values()]
  if logx and xs and np.ptp(np.concatenate(xs)) > 0:
    from matplotlib import ticker  # pylint: disable=g-import-not-at-top
    ax.set_xscale("log")
    ticks = np.unique(np.concatenate(xs))
    if ticks.size <= 8:  # label the values run, not log-scale minor ticks
      ax.xaxis.set_minor_formatter(ticker.NullFormatter())
      ax.set_xticks(ticks)
      ax.set_xticklabels([f"{t:.3g}" for t in ticks])
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)
  if title:
    ax.set_title(title)
  ax.legend(fontsize=7)
  return ax


def claim_bars(
  groups: Mapping[str, Mapping[str, tuple[float, float | None]]],
  ax: Axes | None = None,
  *,
  ylabel: str,
  band: tuple[float, float] | None = None,
  band_label: str = "paper's range",
  title: str | None = None,
) -> Axes:
  """Grouped bars (one group per dataset, say) with +-std error bars.

  Args:
    groups: group -> {bar label -> (mean, std or None)}; bar labels share a
      colour across groups.
    ax: Axes to draw on; a new figure if None.
    ylabel: y axis label with units.
    band: `(low, high)` shaded as the paper's range.
    band_label: legend text of the band.
    title: axes title.

  Returns:
    The Axes.
  """
  ax = _axes(ax)
  labels: list[str] = []
  for bars in groups.values():
    labels += [b for b in bars if b not in labels]
  width = 0.8 / max(len(labels), 1)
  for i, label in enumerate(labels):
    xs, ys, es = [], [], []
    for g, bars in enumerate(groups.values()):
      if label in bars:
        mean, err = bars[label]
        xs.append(g - 0.4 + width * (i + 0.5))
        ys.append(mean)
        es.append(np.nan if err is None else err)
    ax.bar(xs, ys, width=width, yerr=np.nan_to_num(es), capsize=2,
           color=OKABE_ITO[i % len(OKABE_ITO)],
           hatch=("", "//", "..")[(i // len(OKABE_ITO)) % 3], label=label)
  if band is not None:
    ax.axhspan(band[0], band[1], color="#999999", alpha=0.25, linewidth=0,
               label=band_label)
  ax.axhline(0, color="black", linewidth=0.8)
  ax.set_xticks(range(len(groups)))
  ax.set_xticklabels(list(groups))
  ax.set_ylabel(ylabel)
  if title:
    ax.set_title(title)
  ax.legend(fontsize=6, ncol=2)
  return ax


def claim_figure(n_panels: int, *, width: float = 5.0, height: float = 3.6
                 ) -> tuple[Figure, list[Axes]]:
  """A figure with `n_panels` side-by-side Axes (object-oriented API)."""
  if n_panels < 1:
    raise ValueError(f"n_panels must be >= 1, got {n_panels}")
  fig = new_figure((width * n_panels, height))
  axes = fig.subplots(1, n_panels, squeeze=False)[0]
  return fig, list(axes)
