"""Scatter: how evenly a sparse pattern's connections spread over windows of neurons.

Dey, Huang, Beerel, Chugg, "Characterizing Sparse Connectivity Patterns in Neural
Networks", 2018 (arXiv 1711.02131), as in the authors' `adjmatint.py`
(`scatter`, `scatter_net`, `window1D/2D`), restated in
`shared/research/topology-metrics.md` section 2.3.

Definitions, in our `(n_in, n_out)` kernel layout (Dey's matrices are the
transpose). For a junction `M` (left = inputs, right = outputs) and windows
(contiguous groups of neurons) `W_1..W_K` on the left and `V_1..V_K'` on the
right:

- forward scatter `S_f`: for every output neuron `k` and left window `W_j`,
  count its connections from the window, `c_kj = sum_{i in W_j} M[i, k]`; score
  `min(c_kj / ideal_j, 1)`; average over windows, then over output neurons;
- backward scatter `S_b`: the same for every input neuron over right windows;
- network level: the same on the path-count matrix `P = M_1 M_2 ... M_J`
  (`P[i, k]` = number of input-to-output paths), with window 1 by default;
- the network's scatter is the minimum of the `2J + 2` values (the authors'
  code returns the vector; its commented-out alternative takes the minimum).

Values lie in [0, 1]: 1 when every window delivers at least its fair share of
connections to every neuron; counts above the ideal are capped.

Choices where the papers assume fixed degrees (our general masks do not):
- The ideal count of a window is `|W_j| * mean(M)`, i.e. window size times
  density (times the mean path count at network level). For a junction with
  fixed in-degree `d_in` and out-degree `d_out` this is exactly Dey's
  `w d_in / p = w d_out / n`, in both directions; for the path-count matrix it
  equals Dey's `w prod(d_in) / p`. For general masks it is the mean degree
  version: a window's fair share if connections were spread evenly.
- A matrix with no connections at all has scatter 0 (no window gets a share).
- Windows may overlap and may differ in size: each window has its own ideal.
- Default windows for `network_scatter` (28x28 images, MLP): 4x4
  **non-overlapping** patches on the input grid (stride 4; 49 patches tile 28x28
  exactly, so every pixel counts once, like the non-overlapping 1-D windows
  on the other layers). The authors' image default is 4x4 with stride 1 on a
  32x32 padded grid; pass `stride=(1, 1)` for that variant. Hidden layers use
  non-overlapping 1-D windows of 8 (the authors' Morse default), the class
  layer and the network-level pair use windows of 1 (the authors' network
  default). Windows never run past the border: when the stride does not land
  on the end, one extra window is aligned with the border.
- The path-count product can overflow for deep, dense networks; every factor
  is divided by its mean out-degree before the product (float64), which leaves
  every ratio `c / ideal` unchanged.
- The authors' `inmatter` / `outmatter` options (averaging only over real,
  unpadded neurons) are not provided: our masks carry no padding.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from psn_jax.topology.degrees import as_layer_mask
from psn_jax.topology.degrees import as_layers as _as_layers

__all__ = ["ScatterResult", "windows_1d", "windows_2d", "junction_scatter",
           "network_scatter", "path_counts"]


def _starts(n: int, size: int, stride: int) -> list[int]:
  starts = list(range(0, n - size + 1, stride))
  if starts[-1] + size < n:
    starts.append(n - size)  # one extra window aligned with the border
  return starts


def windows_1d(n: int, size: int, stride: int | None = None) -> np.ndarray:
  """Contiguous 1-D windows over `n` neurons, as a membership matrix.

  Args:
    n: number of neurons in the layer.
    size: neurons per window, in [1, n].
    stride: distance between window starts; defaults to `size`
      (non-overlapping). If the last window does not reach neuron `n - 1`, one
      extra window `[n - size, n)` is added, so every neuron is covered and all
      windows have the same size.

  Returns:
    `(n_windows, n)` bool; row `j` marks the neurons of window `j`.

  Raises:
    ValueError: if `size` or `stride` is out of range.
  """
  if n < 1:
    raise ValueError(f"n must be >= 1, got {n}")
  if not 1 <= size <= n:
    raise ValueError(f"size must be in [1, {n}], got {size}")
  stride = size if stride is None else stride
  if stride < 1:
    raise ValueError(f"stride must be >= 1, got {stride}")
  starts = _starts(n, size, stride)
  w = np.zeros((len(starts), n), dtype=bool)
  for j, s in enumerate(starts):
    w[j, s:s + size] = True
  return w


def windows_2d(shape: tuple[int, int], window: tuple[int, int] = (4, 4),
               stride: tuple[int, int] | None = None) -> np.ndarray:
  """Rectangular windows on a 2-D grid of neurons (e.g. image pixels).

  Neurons are numbered in row-major (C) order, as `x.reshape(-1)` flattens an
  `(H, W)` image.

  Args:
    shape: the grid `(H, W)`.
    window: window size `(h, w)`, with `1 <= h <= H` and `1 <= w <= W`.
    stride: steps `(sh, sw)` between window origins; defaults to `window`
      (non-overlapping patches). Along each axis, when the last window does not
      reach the border, one extra window aligned with the border is added.

  Returns:
    `(n_windows, H * W)` bool membership matrix.

  Raises:
    ValueError: if a size or stride is out of range.
  """
  h_n, w_n = (int(s) for s in shape)
  wh, ww = (int(s) for s in window)
  if h_n < 1 or w_n < 1:
    raise ValueError(f"shape must be positive, got {tuple(shape)}")
  if not (1 <= wh <= h_n and 1 <= ww <= w_n):
    raise ValueError(f"window must be within [1, 1]..{(h_n, w_n)}, got "
                     f"{tuple(window)}")
  sh, sw = (wh, ww) if stride is None else (int(s) for s in stride)
  if sh < 1 or sw < 1:
    raise ValueError(f"stride must be >= 1 along both axes, got {tuple(stride)}")
  rows, cols = _starts(h_n, wh, sh), _starts(w_n, ww, sw)
  out = np.zeros((len(rows) * len(cols), h_n, w_n), dtype=bool)
  k = 0
  for r in rows:
    for c in cols:
      out[k, r:r + wh, c:c + ww] = True
      k += 1
  return out.reshape(len(rows) * len(cols), h_n * w_n)


def _as_windows(windows: Any, n: int, name: str) -> np.ndarray:
  """Membership matrix `(K, n)` float64 from a bool matrix or index lists."""
  if isinstance(windows, np.ndarray) and windows.ndim == 2:
    w = windows
  else:
    w = np.zeros((len(windows), n), dtype=bool)
    for j, idx in enumerate(windows):
      w[j, np.asarray(idx, dtype=np.int64)] = True
  if w.ndim != 2 or w.shape[1] != n:
    raise ValueError(f"{name} must be a (n_windows, {n}) membership matrix or "
                     f"a list of index arrays, got shape {w.shape}")
  w = w.astype(np.float64)
  if w.shape[0] == 0 or np.any(w.sum(1) == 0):
    raise ValueError(f"{name} must hold at least one window and no empty window")
  return w


def _scatter_pair(m: np.ndarray, w_in: np.ndarray, w_out: np.ndarray
                 ) -> tuple[float, float]:
  """(S_f, S_b) of a non-negative `(n_in, n_out)` matrix over float windows."""
  m = np.asarray(m, dtype=np.float64)
  density = m.mean() if m.size else 0.0
  if density <= 0:
    return 0.0, 0.0
  # Forward: counts of each output neuron's connections from each input window.
  ideal_in = w_in.sum(1) * density                      # (K_in,)
  c_f = w_in @ m                                         # (K_in, n_out)
  s_f = _capped(c_f / ideal_in[:, None]).mean()
  # Backward: counts of each input neuron's connections into each output window.
  ideal_out = w_out.sum(1) * density                    # (K_out,)
  c_b = m @ w_out.T                                      # (n_in, K_out)
  s_b = _capped(c_b / ideal_out[None, :]).mean()
  return float(s_f), float(s_b)


def _capped(ratio: np.ndarray) -> np.ndarray:
  # min(ratio, 1), counting ratios within rounding (1e-12) of 1 as 1: the
  # ideal is a float mean, and an exactly fair window must score exactly 1.
  return np.where(ratio >= 1.0 - 1e-12, 1.0, ratio)


def junction_scatter(mask: np.ndarray, in_windows: Any, out_windows: Any
                    ) -> tuple[float, float]:
  """Forward and backward scatter of one junction (Dey et al. 2018).

  `S_f` averages, over output neurons and input windows, `min(c / ideal, 1)`
  where `c` counts the neuron's inputs inside the window and
  `ideal = window size * density`; `S_b` does the same for input neurons over
  output windows. See the module docstring for the general-mask convention.

  Args:
    mask: `(n_in, n_out)` bool (or 0/1 integer) layer mask.
    in_windows: windows on the input neurons: a `(K, n_in)` bool membership
      matrix (`windows_1d`, `windows_2d`) or a list of index arrays.
    out_windows: windows on the output neurons, likewise `(K', n_out)`.

  Returns:
    `(S_f, S_b)`, each in [0, 1] (0 for an empty mask).

  Raises:
    ValueError: if `mask` is not a 2-D bool (or 0/1 integer) layer mask, or
      the windows do not fit it.
  """
  m = as_layer_mask(mask)
  w_in = _as_windows(in_windows, m.shape[0], "in_windows")
  w_out = _as_windows(out_windows, m.shape[1], "out_windows")
  return _scatter_pair(m.astype(np.float64), w_in, w_out)


def path_counts(net: Any, *, normalize: bool = True) -> np.ndarray:
  """The network's input-to-output path-count matrix `M_1 M_2 ... M_J`.

  Args:
    net: a list of `(n_in, n_out)` bool masks in forward order, a single mask,
      or a mask pytree.
    normalize: divide every factor by its mean out-degree (edges / n_in) before
      multiplying, which keeps entries near 1 / n_out instead of growing like
      the product of degrees (float64 overflows for deep, dense networks).
      The result is then proportional to the path counts.

  Returns:
    `(n_inputs, n_outputs)` float64; entry `[i, k]` is (proportional to) the
    number of paths from input `i` to output `k`.
  """
  layers = _as_layers(net)
  factors = []
  for m in layers:
    f = m.astype(np.float64)
    if normalize:
      edges = f.sum()
      if edges == 0:
        return np.zeros((layers[0].shape[0], layers[-1].shape[1]))
      f *= m.shape[0] / edges
    factors.append(f)
  # Multiply from the narrower end, so every intermediate has that end's width
  # (e.g. right to left for 784-...-10: 1000x10 blocks, never 784x1000 ones).
  if factors[0].shape[0] <= factors[-1].shape[1]:
    out = factors[0]
    for f in factors[1:]:
      out = out @ f
  else:
    out = factors[-1]
    for f in reversed(factors[:-1]):
      out = f @ out
  return out


class ScatterResult(NamedTuple):
  """Scatter of a network.

  Attributes:
    forward: `(J,)` forward scatter of each junction.
    backward: `(J,)` backward scatter of each junction.
    network: `(S_f, S_b)` on the path-count matrix.
    value: the network's scatter, the minimum of the `2J + 2` values.
  """

  forward: np.ndarray
  backward: np.ndarray
  network: tuple[float, float]
  value: float

  @property
  def values(self) -> np.ndarray:
    """The `2J + 2` values in the authors' order: `(S_f, S_b)` per junction,
    then the network-level pair."""
    per = np.stack([self.forward, self.backward], axis=1).ravel()
    return np.concatenate([per, np.asarray(self.network, dtype=np.float64)])


def network_scatter(net: Any, input_shape: tuple[int, int] | None = (28, 28),
                    window: tuple[int, int] = (4, 4), *,
                    stride: tuple[int, int] | None = None,
                    hidden_window: int = 8, output_window: int = 1,
                    net_window: int = 1) -> ScatterResult:
  """Scatter of every junction, of the path-count matrix, and its minimum.

  Dey et al. 2018 (see the module docstring for definitions and defaults).
  Windows per neuron layer: 2-D `window` patches (with `stride`) on the input
  grid `input_shape`, or 1-D windows of `hidden_window` when `input_shape` is
  None; 1-D windows of `hidden_window` on hidden layers; 1-D windows of
  `output_window` on the network outputs; and 1-D windows of `net_window` on
  both sides of the path-count matrix. A 1-D window larger than its layer is
  clipped to the layer's width.

  Args:
    net: a list of `(n_in, n_out)` bool masks in forward order, a single mask,
      or a mask pytree.
    input_shape: the 2-D grid of the network inputs, `(28, 28)` for MNIST-like
      images; None for 1-D inputs (e.g. Morse frames).
    window: 2-D window on the input grid.
    stride: 2-D stride on the input grid; defaults to `window`
      (non-overlapping); `(1, 1)` is the authors' image default.
    hidden_window: 1-D window size on hidden layers (and on 1-D inputs).
    output_window: 1-D window size on the output (class) layer.
    net_window: 1-D window size on both sides of the path-count matrix.

  Returns:
    `ScatterResult` with per-junction values, the network pair and `.value`.

  Raises:
    ValueError: if a layer is not a 2-D bool (or 0/1 integer) mask,
      `input_shape` does not match the number of inputs, or a window size is
      not positive.
  """
  layers = _as_layers(net)
  widths = [layers[0].shape[0]] + [m.shape[1] for m in layers]
  for name, val in (("hidden_window", hidden_window),
                    ("output_window", output_window), ("net_window", net_window)):
    if val < 1:
      raise ValueError(f"{name} must be >= 1, got {val}")

  def win1(n: int, size: int) -> np.ndarray:
    return windows_1d(n, min(size, n))

  if input_shape is not None:
    if int(np.prod(input_shape)) != widths[0]:
      raise ValueError(f"input_shape must have prod = n_inputs = {widths[0]}, "
                       f"got {tuple(input_shape)}")
    w_first = windows_2d(tuple(input_shape), window, stride)
  else:
    w_first = win1(widths[0], hidden_window)
  wins = [w_first.astype(np.float64)]
  for n in widths[1:-1]:
    wins.append(win1(n, hidden_window).astype(np.float64))
  wins.append(win1(widths[-1], output_window).astype(np.float64))

  fwd = np.zeros(len(layers))
  bwd = np.zeros(len(layers))
  for l, m in enumerate(layers):
    fwd[l], bwd[l] = _scatter_pair(m.astype(np.float64), wins[l], wins[l + 1])
  p = path_counts(layers)
  net_pair = _scatter_pair(p, win1(widths[0], net_window).astype(np.float64),
                           win1(widths[-1], net_window).astype(np.float64))
  value = float(min(fwd.min(), bwd.min(), *net_pair))
  return ScatterResult(forward=fwd, backward=bwd, network=net_pair, value=value)
