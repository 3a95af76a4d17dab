"""Claim figures (`experiments.reproduce`), colour-blind-safe."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from psn_jax.plots.figures import _axes
from psn_jax.plots.figures import new_figure

__all__ = ["OKABE_ITO", "claim_lines", "claim_bars", "claim_figure"]

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
