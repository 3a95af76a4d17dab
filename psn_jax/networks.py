"""Whole-network masks of every mask source, for topology comparisons.

`source_networks` builds one network's masks for each mask source of the
registry `psn_jax.mask_sources.SOURCES` through `masks.make_masks` (so at
exactly the budgets of `masks.layer_budgets`), and reports the one-line reason
where a source cannot reach a layer's budget (Dey's divisibility rules).

`build_networks` builds the rows of the topology table
(`experiments/topology_table.py`): the PSN rows through `make_masks`, and Dey's
clash-free patterns at their NEAREST feasible density per layer (on the real
inputs, `graphs.dey_exact_degrees`, or on padded inputs,
`graphs.dey_padded_degrees`), plus a circulant with fan-in
`round((1 - sparsity) n_in)`. Per-layer keys of these hand-built rows are
`jax.random.fold_in(key, l)`.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import numpy as np

from psn_jax import graphs
from psn_jax import mask_sources
from psn_jax import masks

__all__ = ["PSN_FAMILIES", "kernel_shapes", "source_networks",
           "build_networks"]

# The PSN families of the topology table's rows (CV 1.0 in every layer).
PSN_FAMILIES: tuple[str, ...] = ("lognormal", "power_law", "gaussian",
                                 "exponential")


def kernel_shapes(params: Any) -> list[tuple[int, int]]:
  """`(n_in, n_out)` of each kernel of one network's params, forward order."""
  return [tuple(int(d) for d in m.shape) for m in masks.layer_masks(params)]


def source_networks(key: jax.Array, params: Any, *, sparsity: float,
                    distribution: str = "uniform",
                    sources: Sequence[str] | None = None,
                    dense_first: bool = False, dense_last: bool = False
                    ) -> dict[str, list[np.ndarray] | str]:
  """Every mask source's layer masks for one network, through `make_masks`.

  Args:
    key: the network's JAX PRNG key (the same for every source).
    params: one network's Flax params (shapes only).
    sparsity: as `masks.make_masks`.
    distribution: as `masks.make_masks`.
    sources: names from `masks.SOURCES` (default: all, in registry order;
      a deprecated alias is built under its own name, with a warning); every
      source is built with its default cv.
    dense_first: as `masks.make_masks`.
    dense_last: as `masks.make_masks`.

  Returns:
    `{source: layer masks (forward order)}`, or `{source: error line}` for a
    source whose budget rules refuse a layer.

  Raises:
    ValueError: on an unknown source or bad arguments common to all sources.
  """
  names = list(masks.SOURCES) if sources is None else list(sources)
  for name in names:
    mask_sources.check_name(name, "sources")
  out: dict[str, list[np.ndarray] | str] = {}
  for name in names:
    try:
      tree = masks.make_masks(key, params, sparsity=sparsity,
                              distribution=distribution, profile=name,
                              dense_first=dense_first, dense_last=dense_last)
    except ValueError as err:
      if "cannot make kernel" not in str(err):
        raise
      out[name] = str(err)
      continue
    out[name] = masks.layer_masks(tree)
  return out


def _dey_text(deg: dict[str, int], n_in: int) -> str:
  pad = f" ({n_in} + {deg['pad']} pad)" if deg["pad"] else ""
  return (f"p={deg['p']}{pad} d_out={deg['d_out']} d_in={deg['d_in']} "
          f"z={deg['z']}")


def build_networks(seed: int, params: Any, sparsity: float
                   ) -> list[tuple[str, list[np.ndarray], str]]:
  """The topology table's networks for one seed (see the module docstring).

  Rows, in order: `uniform` (uniform budgets, flat fan-in), `ERK` (ERK
  budgets, flat fan-in), `PSN <family>` for `PSN_FAMILIES` (uniform budgets,
  CV 1.0), `Dey clash-free, exact`, `Dey clash-free, padded` (nearest feasible
  densities), `circulant` (random generators, fan-in `round(rho n_in)`).

  Args:
    seed: integer seed; the network key is `jax.random.key(seed)`.
    params: one MLP's params (shapes only).
    sparsity: global (and per-layer) sparsity, in (0, 1).

  Returns:
    `(name, layer masks, construction text)` per row, in table order.
  """
  key = jax.random.key(seed)
  rho = 1.0 - sparsity
  shapes = kernel_shapes(params)
  nets = []

  def add(name: str, tree: Any, text: str) -> None:
    nets.append((name, masks.layer_masks(tree), text))

  add("uniform", masks.make_masks(key, params, sparsity=sparsity),
      "uniform budgets, flat fan-in")
  add("ERK", masks.make_masks(key, params, sparsity=sparsity,
                              distribution="erk"),
      "ERK budgets, flat fan-in within each layer")
  for fam in PSN_FAMILIES:
    add(f"PSN {fam}",
        masks.make_masks(key, params, sparsity=sparsity, profile=fam, cv=1.0),
        f"uniform budgets, {fam} fan-in profile, CV 1.0 in every layer")
  for label, rule in (("exact", graphs.dey_exact_degrees),
                      ("padded", graphs.dey_padded_degrees)):
    degs = [rule(a, b, rho) for a, b in shapes]
    layers = [graphs.dey_layer(jax.random.fold_in(key, l), a, b, d)
              for l, ((a, b), d) in enumerate(zip(shapes, degs))]
    text = "; ".join(f"L{l}: {_dey_text(d, a)}"
                     for l, ((a, _), d) in enumerate(zip(shapes, degs)))
    add(f"Dey clash-free, {label}", masks.from_layer_masks(params, layers),
        text + "; address type 1, no dither")
  layers = [graphs.circulant(jax.random.fold_in(key, l), a, b, density=rho)
            for l, (a, b) in enumerate(shapes)]
  text = "; ".join(f"L{l}: d={round(rho * a)}" for l, (a, _) in
                   enumerate(shapes))
  add("circulant", masks.from_layer_masks(params, layers),
      text + " (fan-in), random generators")
  return nets
