"""Masks as images and NNSTD matrices as heatmaps."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from matplotlib.axes import Axes

from psn_jax.plots.figures import _MAX_ANNOTATED
from psn_jax.plots.figures import _axes
from psn_jax.topology.degrees import as_layer_mask

__all__ = ["mask_image", "nnstd_heatmap"]

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
