"""New figures and axes, and saving them: shared by every plot.

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
import os
import sys
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure

from psn_jax.utils import write_bytes_atomic

__all__ = ["new_figure", "new_axes", "save"]

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
