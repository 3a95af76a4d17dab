"""Single-layer bipartite graph makers: boolean layer masks of shape (n_in, n_out).

Every maker has the signature `(key, n_in, n_out, ...) -> np.ndarray` and returns
a `bool` array in the Flax `Dense` kernel layout: column `j` holds output neuron
`j`'s incoming connections, so its fan-in is `mask[:, j].sum()` and input `i`'s
out-degree is `mask[i].sum()`. Counts are exact and every draw is a pure function
of the key (host-side NumPy through `psn_jax.utils.numpy_rng`).

Notation of Dey et al. (arXiv 1711.02131, 1812.01164; research note
`topology-metrics.md` section 2.1): Dey's "left" neurons are our inputs
(`p = n_in`), "right" neurons are our outputs (`n = n_out`). Dey's `n x p`
adjacency matrix is the transpose of our mask. Every input has out-degree `d_out`
and every output fan-in `d_in`, with `p * d_out = n * d_in` and density
`d_out / n_out = d_in / n_in`.

One family per module (note section 3.5), every public name re-exported here:

* `random_graphs.erdos_renyi`: uniform random positions with an exact count
  (SET's epsilon rule, Mocanu et al. 2018, or a density).
* `biregular.random_biregular`: configuration model with switch repair (or
  exact rejection).
* `dey`: Dey's row-by-row "basic" biregular sampler (`dey_basic`) and
  clash-free patterns from a memory-bank interleaver (`dey_clash_free`).
* `dey_degrees`: Dey's degree rules (`dey_exact_degrees`, `dey_padded_degrees`,
  `dey_budget_degrees`, `dey_feasible_edges`: which densities a Dey layer can
  have, with the inputs padded as the authors pad MNIST to 800) and
  `dey_layer`.
* `circulants.circulant`: Cayley / circulant-type structured graphs.
* `blocks.block_diagonal`: block-diagonal windows, the low-scatter contrast
  at the same degrees as a clash-free layer (not one of Dey's patterns).
* `perturbation.perturb`: moves a fraction of a layer's connections (Liu et
  al. 2020's nearly identical starts).
* `checks`: the argument checks the makers share.

These are graph makers, not mask sources: which of them a network's masks use,
at which per-layer budgets, is the registry `psn_jax.mask_sources.SOURCES`
(read by `psn_jax.masks.make_masks`).
"""

from __future__ import annotations

from psn_jax.graphs.biregular import BIREGULAR_METHODS
from psn_jax.graphs.biregular import random_biregular
from psn_jax.graphs.blocks import block_diagonal
from psn_jax.graphs.circulants import GENERATORS
from psn_jax.graphs.circulants import circulant
from psn_jax.graphs.dey import ADDRESS_TYPES
from psn_jax.graphs.dey import clash_free_cycles
from psn_jax.graphs.dey import clash_free_interleaver
from psn_jax.graphs.dey import dey_basic
from psn_jax.graphs.dey import dey_clash_free
from psn_jax.graphs.dey import interleaver_mask
from psn_jax.graphs.dey import is_clash_free
from psn_jax.graphs.dey_degrees import DEY_KINDS
from psn_jax.graphs.dey_degrees import dey_budget_degrees
from psn_jax.graphs.dey_degrees import dey_exact_degrees
from psn_jax.graphs.dey_degrees import dey_feasible_edges
from psn_jax.graphs.dey_degrees import dey_layer
from psn_jax.graphs.dey_degrees import dey_padded_degrees
from psn_jax.graphs.perturbation import perturb
from psn_jax.graphs.random_graphs import erdos_renyi

__all__ = [
    "erdos_renyi",
    "random_biregular",
    "dey_basic",
    "dey_clash_free",
    "clash_free_interleaver",
    "interleaver_mask",
    "clash_free_cycles",
    "is_clash_free",
    "circulant",
    "block_diagonal",
    "DEY_KINDS",
    "dey_exact_degrees",
    "dey_padded_degrees",
    "dey_budget_degrees",
    "dey_feasible_edges",
    "dey_layer",
    "perturb",
    "BIREGULAR_METHODS",
    "ADDRESS_TYPES",
    "GENERATORS",
]
