"""Topology measures of sparse networks, pure functions of boolean masks.

A layer mask is `(n_in, n_out)` bool (the Flax kernel layout), or integers
that are all 0 or 1; a network is a list of layer masks in input-to-output
order or a mask pytree mirroring Flax params (`psn_jax.masks.layer_masks`
converts it). Every measure validates its input with one function,
`as_layer_mask` (networks: `as_layers`): float arrays (weights, NaN), other
integers, and a pytree or list where one layer is expected raise one
`ValueError` that says what was given, instead of counting every nonzero as a
connection. Everything runs on the host
(NumPy / SciPy: BLAS products for counts, `linear_sum_assignment`, ARPACK and
LAPACK for spectra; no JAX tracing is needed at these sizes) and is fast enough
for every checkpoint: each measure takes well under a second of one CPU core on
a 784-1000-1000-1000-10 network at 90% sparsity (see `benchmarks/topology.py`).

Submodules:
* `degrees`: fan-in / fan-out spread (CV, Gini, max/mean), dead and cut-off
  neurons.
* `nnstd`: Neural Network Sparse Topology Distance (Liu et al. 2020).
* `scatter`: forward / backward scatter over windows (Dey et al. 2018).
* `spectral`: spectral gaps and algebraic connectivity (Bourely et al. 2017).
* `concentration`: gradient concentration at hub neurons (PSN, Tomczak 2026);
  a function of per-neuron gradient norms and fan-ins, not of masks, so it is
  imported as `psn_jax.topology.concentration` and not re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from psn_jax.topology.degrees import LayerDegrees
from psn_jax.topology.degrees import as_layer_mask
from psn_jax.topology.degrees import as_layers
from psn_jax.topology.degrees import cv
from psn_jax.topology.degrees import degree_stats
from psn_jax.topology.degrees import gini
from psn_jax.topology.nnstd import NNSTDResult
from psn_jax.topology.nnstd import jaccard_cost
from psn_jax.topology.nnstd import nnstd
from psn_jax.topology.nnstd import nnstd_matrix
from psn_jax.topology.scatter import ScatterResult
from psn_jax.topology.scatter import junction_scatter
from psn_jax.topology.scatter import network_scatter
from psn_jax.topology.scatter import path_counts
from psn_jax.topology.scatter import windows_1d
from psn_jax.topology.scatter import windows_2d
from psn_jax.topology.spectral import algebraic_connectivity
from psn_jax.topology.spectral import isolated_vertices
from psn_jax.topology.spectral import network_algebraic_connectivity
from psn_jax.topology.spectral import network_biadjacency
from psn_jax.topology.spectral import network_isolated_vertices
from psn_jax.topology.spectral import network_spectral_gap
from psn_jax.topology.spectral import singular_values_top2
from psn_jax.topology.spectral import spectral_gap

__all__ = [
    "LayerDegrees", "degree_stats", "cv", "gini", "as_layer_mask", "as_layers",
    "NNSTDResult", "nnstd", "nnstd_matrix", "jaccard_cost",
    "ScatterResult", "junction_scatter", "network_scatter", "path_counts",
    "windows_1d", "windows_2d",
    "spectral_gap", "algebraic_connectivity", "isolated_vertices",
    "network_spectral_gap", "network_algebraic_connectivity",
    "network_isolated_vertices", "network_biadjacency", "singular_values_top2",
    "summary",
]


def summary(net: Any, *, input_shape: tuple[int, int] | None = (28, 28),
            window: tuple[int, int] = (4, 4), **scatter_kwargs: Any
           ) -> dict[str, Any]:
  """Headline topology numbers of one network, per layer and whole-network.

  Per-layer entries are `(n_layers,)` float64 arrays (layer 0 first), ready to
  become table columns; whole-network entries are floats. The scatter
  arguments are those of `network_scatter`; when `input_shape` does not match
  the number of inputs, 1-D windows are used on the inputs instead.

  Args:
    net: a list of `(n_in, n_out)` bool masks in forward order, a single mask,
      or a mask pytree mirroring Flax params.
    input_shape: 2-D grid of the inputs for the scatter windows, or None.
    window: 2-D scatter window on the inputs.
    **scatter_kwargs: further `network_scatter` keywords (`stride`,
      `hidden_window`, `output_window`, `net_window`).

  Returns:
    A dict with per-layer keys `fan_in_cv`, `fan_out_cv`, `fan_in_gini`,
    `dead`, `cut_off`, `scatter_forward`, `scatter_backward`, `spectral_gap`
    (raw), `normalized_gap`, `ramanujan_gap`, `lambda_2`, `isolated`, and
    network keys `scatter` (the minimum of the 2J + 2 values),
    `network_scatter_forward`, `network_scatter_backward`,
    `network_spectral_gap`, `network_lambda_2`, `network_isolated`.
  """
  layers = as_layers(net)
  if input_shape is not None and int(np.prod(input_shape)) != layers[0].shape[0]:
    input_shape = None
  degs = degree_stats(layers)
  sc = network_scatter(layers, input_shape, window, **scatter_kwargs)
  raw, ram = [], []
  for m in layers:
    s1, s2 = singular_values_top2(m)  # shared by the raw and Ramanujan gaps
    raw.append(s1 - s2)
    edges = float(m.sum())
    if edges == 0:
      ram.append(float("nan"))
      continue
    d_l = edges / np.count_nonzero(m.any(axis=1))
    d_r = edges / np.count_nonzero(m.any(axis=0))
    ram.append(float(np.sqrt(d_l - 1.0) + np.sqrt(d_r - 1.0) - s2))
  arr = lambda xs: np.asarray(xs, dtype=np.float64)  # noqa: E731
  return {
      "fan_in_cv": arr([d.fan_in_cv for d in degs]),
      "fan_out_cv": arr([d.fan_out_cv for d in degs]),
      "fan_in_gini": arr([d.fan_in_gini for d in degs]),
      "dead": arr([d.dead for d in degs]),
      "cut_off": arr([d.cut_off for d in degs]),
      "scatter_forward": sc.forward,
      "scatter_backward": sc.backward,
      "spectral_gap": arr(raw),
      "normalized_gap": arr([spectral_gap(m, kind="normalized")
                             for m in layers]),
      "ramanujan_gap": arr(ram),
      "lambda_2": arr([algebraic_connectivity(m) for m in layers]),
      "isolated": arr([isolated_vertices(m) for m in layers]),
      "scatter": sc.value,
      "network_scatter_forward": sc.network[0],
      "network_scatter_backward": sc.network[1],
      "network_spectral_gap": network_spectral_gap(layers),
      "network_lambda_2": network_algebraic_connectivity(layers),
      "network_isolated": float(network_isolated_vertices(layers)),
  }
