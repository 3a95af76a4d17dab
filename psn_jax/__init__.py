"""psn-jax: sparse connectivity topology in JAX.

Modules, in the order data flows through them (no module imports one later in
this list):

* `psn_jax.data`: datasets as NumPy arrays (MNIST, Fashion-MNIST, EMNIST,
  Forest Cover, Morse).
* `psn_jax.profiles`: PSN fan-in profiles (Tomczak 2026).
* `psn_jax.graphs`: bipartite layer graphs, one family per module
  (Erdos-Renyi, biregular, Dey et al.'s basic and clash-free, circulant,
  block-diagonal).
* `psn_jax.mask_tree`, `psn_jax.budgets`, `psn_jax.mask_sources`,
  `psn_jax.mask_files`: kernel paths, per-layer budgets, the registry of every
  mask source (`mask_sources.SOURCES`), masks in a file.
* `psn_jax.masks`: boolean mask pytrees mirroring Flax params (`make_masks`,
  `from_config`).
* `psn_jax.networks`: one network's masks of every mask source, for topology
  comparisons.
* `psn_jax.models`, `psn_jax.dst`, `psn_jax.steps`, `psn_jax.train`,
  `psn_jax.checkpoint`: model, RigL/SET, the step pieces and the scanned,
  vmapped training engine.
* `psn_jax.config`: the training config (`get_config`, `validate`, `diff`).
* `psn_jax.groups`, `psn_jax.runner`: which configs share a program; the host
  loop (data, masks, checkpoints, results.json).
* `psn_jax.topology` (the measure registry `topology.MEASURES`),
  `psn_jax.equilibrium`, `psn_jax.stats`, `psn_jax.plots`: analysis of masks
  and runs.

Every submodule is an attribute of the package (`import psn_jax;
psn_jax.masks.make_masks(...)`), imported on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

__version__ = "0.1.0"

# Submodules, imported on first attribute access (`psn_jax.masks`), so that
# `import psn_jax` stays fast and never imports matplotlib or Orbax unasked.
_SUBMODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)
                           if not m.name.startswith("_")))
__all__ = list(_SUBMODULES)


def __getattr__(name: str) -> Any:
  if name in _SUBMODULES:
    return importlib.import_module(f"{__name__}.{name}")
  raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
  return sorted(list(globals()) + list(_SUBMODULES))
