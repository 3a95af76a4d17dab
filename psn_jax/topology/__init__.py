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
* `measures`: the registry `MEASURES` (name -> `Measure`, a function of one
  network's layer masks, per layer or whole-network, as one number or every
  layer's values) and `summary`, which reports every registered measure.
"""

from __future__ import annotations

from psn_jax.topology.degrees import LayerDegrees
from psn_jax.topology.degrees import as_layer_mask
from psn_jax.topology.degrees import as_layers
from psn_jax.topology.degrees import cv
from psn_jax.topology.degrees import degree_stats
from psn_jax.topology.degrees import gini
from psn_jax.topology.measures import MEASURES
from psn_jax.topology.measures import Measure
from psn_jax.topology.measures import Network
from psn_jax.topology.measures import summary
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
    "MEASURES", "Measure", "Network", "summary",
]
