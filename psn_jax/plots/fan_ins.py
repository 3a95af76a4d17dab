"""Fan-in profiles and histograms."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from psn_jax.plots.figures import _MAX_INTEGER_BINS
from psn_jax.plots.figures import _axes
from psn_jax.plots.figures import _vector

__all__ = ["profile_curve", "fan_in_bins", "fan_in_histogram"]

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
