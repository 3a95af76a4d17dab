"""psn-jax: sparse connectivity topology in JAX.

Modules, in the order data flows through them (no module imports one later in
this list):

* `psn_jax.data`: datasets as NumPy arrays (MNIST, Fashion-MNIST, EMNIST,
  Forest Cover, Morse).
* `psn_jax.profiles`: PSN fan-in profiles (Tomczak 2026).
* `psn_jax.graphs`: bipartite layer graphs (Erdos-Renyi, biregular, Dey et al.
  clash-free, circulant).
* `psn_jax.masks`: boolean mask pytrees mirroring Flax params.
* `psn_jax.models`, `psn_jax.dst`, `psn_jax.train`, `psn_jax.checkpoint`:
  model, RigL/SET and the scanned, vmapped training engine.
* `psn_jax.topology`, `psn_jax.equilibrium`, `psn_jax.stats`,
  `psn_jax.plots`: analysis of masks and runs.
"""

__version__ = "0.1.0"
