"""In-jit topology and gradient tracking during training (per seed, vmappable).

The training engine calls these functions inside its scanned, jitted step at
record times. Each works on one seed's pytrees and returns small arrays of a
fixed shape, so the engine can `jax.vmap` them over seeds and stack them over
record times. Host-side analysis of the stacked records lives in
`psn_jax.equilibrium` (settling, lognormal fit) and
`psn_jax.topology.concentration` (gradient hierarchy).

Layers are the pytree's `kernel` leaves. Their order is the natural sort of
their path (`Dense_2` before `Dense_10`), which is the input-to-output order of
a Flax MLP; the per-layer lists this module takes (histogram edges) follow that
order. Per-layer outputs are dicts keyed by the layer's path (e.g. "Dense_0";
nested paths are joined by "/").

Paper: Tomczak, "Heterogeneous Connectivity in Sparse Networks: Fan-in
Profiles, Gradient Hierarchy, and Topological Equilibria", arXiv 2604.10560
(2026). It reports that under RigL the fan-in distribution converges to a
characteristic one, and that hub neurons receive 2-5x more gradient; it does
not say how either was measured, so the choices below are ours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from psn_jax import masks as masks_lib

__all__ = [
  "fan_in_histogram_edges",
  "topology_record",
  "neuron_grad_sq",
  "neuron_grad_norms",
  "neuron_grad_norm",
]


# --------------------------------------------------------------------------
# Layer order (private; psn_jax.masks has the public equivalent).
# --------------------------------------------------------------------------


def _kernels(tree: Any) -> list[tuple[str, Any]]:
  """(name, kernel) pairs of a params/mask pytree, in natural layer order.

  A list or tuple of 2-D arrays is taken as layer kernels already in
  input-to-output order and named "layer_0", "layer_1", ...
  """
  if isinstance(tree, (list, tuple)):
    return [(f"layer_{i}", x) for i, x in enumerate(tree)]
  items = masks_lib.named_kernels(tree)
  if not items:
    raise ValueError("masks must contain 'kernel' leaves, got none")
  return items


def _matched(*trees: Any) -> list[tuple[str, tuple]]:
  """Kernels of several pytrees, matched by layer name (same layers, order)."""
  per = [_kernels(t) for t in trees]
  names = [n for n, _ in per[0]]
  for other in per[1:]:
    other_names = [n for n, _ in other]
    if other_names != names:
      raise ValueError(
        f"pytrees must have the same kernel layers, got {names} and {other_names}"
      )
  return [(n, tuple(p[i][1] for p in per)) for i, n in enumerate(names)]


def _fan_in(mask: jax.Array) -> jax.Array:
  """Per-output-neuron fan-in of an (n_in, n_out) bool mask, int32 (n_out,)."""
  return jnp.sum(mask, axis=0, dtype=jnp.int32)


# --------------------------------------------------------------------------
# Fan-in histograms and topology records.
# --------------------------------------------------------------------------


def fan_in_histogram_edges(n_in: int, n_bins: int = 32) -> np.ndarray:
  """Fixed integer bin edges for a layer's fan-in histogram (host, static).

  Fan-ins are integers in [0, n_in]. Bin k counts the neurons whose fan-in f
  satisfies `edges[k] <= f < edges[k + 1]`; the last edge is `n_in + 1`, so
  every integer in [0, n_in] falls in exactly one bin (this also matches
  `np.histogram(fan_in, edges)`, whose closed last bin never sees `n_in + 1`).

  Choice (the paper does not say how it binned): unit bins at the low end,
  then log-spaced bins. A pure log spacing shows the heavy tails of lognormal
  and power-law fan-in distributions but, for integer data, puts bins narrower
  than 1 near 0 that can never hold a value; a linear spacing hides the tail
  in a few wide bins. So the first m bins are [0, 1), [1, 2), ..., [m-1, m)
  (fan-in 0, a dead neuron, always has its own bin) and the remaining
  `n_bins - m` edges are geometric from m to n_in + 1, rounded to integers; m
  is the smallest value for which the first geometric bin is at least one wide,
  so no bin is empty by construction, and widths grow geometrically up to
  rounding. For n_in = 784 and 32 bins that is m = 5 (27 log bins; rounding
  makes the first few of them one wide too). If `n_bins > n_in + 1`
  every integer gets its own bin and the trailing `n_bins - n_in - 1` bins lie
  above n_in (always empty), which keeps the shape fixed at `n_bins`.

  Args:
    n_in: the layer's input dimension (the largest possible fan-in), >= 1.
    n_bins: number of bins, >= 1.

  Returns:
    int64 array of shape (n_bins + 1,), strictly increasing, from 0.
  """
  if not isinstance(n_in, (int, np.integer)) or n_in < 1:
    raise ValueError(f"n_in must be an integer >= 1, got {n_in!r}")
  if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
    raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
  n_in, n_bins = int(n_in), int(n_bins)
  top = n_in + 1
  if n_bins >= top:
    return np.arange(n_bins + 1, dtype=np.int64)
  if n_bins == 1:
    return np.array([0, top], dtype=np.int64)
  m = n_bins - 1
  for cand in range(1, n_bins):
    ratio = (top / cand) ** (1.0 / (n_bins - cand))
    if cand * (ratio - 1.0) >= 1.0:
      m = cand
      break
  geo = m * (top / m) ** (np.arange(n_bins - m + 1) / (n_bins - m))
  geo = np.floor(geo + 0.5).astype(np.int64)
  geo[0], geo[-1] = m, top
  edges = np.concatenate([np.arange(m, dtype=np.int64), geo])
  # Rounding keeps edges strictly increasing when widths are >= 1; guard the
  # float corner cases anyway.
  for k in range(1, edges.size):
    edges[k] = max(edges[k], edges[k - 1] + 1)
  if edges[-1] != top:
    raise AssertionError(f"internal: edges end at {edges[-1]}, not {top}")
  return edges


def _histogram(fan_in: jax.Array, edges: jax.Array) -> jax.Array:
  """Counts of `edges[k] <= f < edges[k+1]`, int32 (n_bins,). Jittable."""
  idx = jnp.searchsorted(edges, fan_in, side="right") - 1
  n_bins = edges.shape[0] - 1
  in_range = (idx >= 0) & (idx < n_bins)
  idx = jnp.where(in_range, idx, 0)
  return jnp.zeros((n_bins,), jnp.int32).at[idx].add(in_range.astype(jnp.int32))


def _cv(fan_in: jax.Array) -> jax.Array:
  """Population CV (std with ddof=0 over mean) of fan-ins, f32; 0 if mean 0.

  The in-jit twin of `psn_jax.topology.cv`, the host-side definition (which
  gives NaN for mean 0); tests/test_one_home.py checks that they agree.
  """
  f = fan_in.astype(jnp.float32)
  mean = jnp.mean(f)
  std = jnp.std(f)
  return jnp.where(mean > 0, std / jnp.where(mean > 0, mean, 1.0), 0.0)


def _changed(mask: jax.Array, ref: jax.Array) -> jax.Array:
  """Fraction of `mask`'s active connections not active in `ref`, f32."""
  n_active = jnp.sum(mask, dtype=jnp.int32)
  new = jnp.sum(mask & ~ref, dtype=jnp.int32)
  return jnp.where(
    n_active > 0, new.astype(jnp.float32) / jnp.maximum(n_active, 1), 0.0
  ).astype(jnp.float32)


def topology_record(
  masks: Any,
  start_masks: Any,
  last_masks: Any,
  edges: Sequence[Any] | Mapping[str, Any],
) -> dict[str, dict[str, jax.Array]]:
  """Small fixed-shape summary of one seed's mask topology at a record time.

  Jittable (jnp only) and vmappable over seeds (`in_axes=(0, 0, 0, None)`).
  Only kernel leaves are read; bias masks are ignored.

  Per layer (fan-in of output neuron j = `mask[:, j].sum()`):
    * `fan_in_hist`: int32 (n_bins,), neuron counts per bin of `edges` (see
      `fan_in_histogram_edges`; a fan-in outside the edges is not counted).
    * `fan_in_mean`: f32, mean fan-in over the layer's neurons.
    * `fan_in_cv`: f32, std / mean of the fan-ins, with the population std
      (ddof=0: the layer's neurons are the whole population, not a sample);
      0 when the mean is 0. This is the CV the paper's profiles are given.
    * `changed_since_start`: f32, the fraction of the layer's currently active
      connections that were not active in `start_masks` (0 for a static mask;
      under RigL it grows towards 1 as the topology is rewired).
    * `changed_since_last`: f32, the same against `last_masks` (the previous
      record), i.e. the rewiring rate between records.
  Because a layer's active count is constant, "fraction of new connections"
  equals the fraction dropped since the reference.

  Args:
    masks: the current mask pytree (bool kernels [n_in, n_out]).
    start_masks: the masks at the start of training, same structure.
    last_masks: the masks at the previous record, same structure.
    edges: per-layer histogram edges, a list in natural layer order or a dict
      keyed by layer name (host arrays from `fan_in_histogram_edges`).

  Returns:
    Dict keyed by layer name of dicts of the arrays above.
  """
  layers = _matched(masks, start_masks, last_masks)
  if isinstance(edges, Mapping):
    missing = [n for n, _ in layers if n not in edges]
    if missing:
      raise ValueError(f"edges must have a key per layer, missing {missing}")
    edge_list = [edges[n] for n, _ in layers]
  else:
    edge_list = list(edges)
    if len(edge_list) != len(layers):
      raise ValueError(
        f"edges must have one entry per layer ({len(layers)}), got {len(edge_list)}"
      )
  out = {}
  for (name, (m, m0, m1)), e in zip(layers, edge_list):
    m, m0, m1 = (jnp.asarray(x, bool) for x in (m, m0, m1))
    if m.ndim != 2 or m.shape != m0.shape or m.shape != m1.shape:
      raise ValueError(
        f"masks[{name}] must be 2-D and equal in shape across masks, "
        f"got {m.shape}, {m0.shape}, {m1.shape}"
      )
    f = _fan_in(m)
    e = jnp.asarray(e, jnp.int32)
    out[name] = {
      "fan_in_hist": _histogram(f, e),
      "fan_in_cv": _cv(f),
      "fan_in_mean": jnp.mean(f.astype(jnp.float32)),
      "changed_since_start": _changed(m, m0),
      "changed_since_last": _changed(m, m1),
    }
  return out


# --------------------------------------------------------------------------
# Per-neuron gradient norms (the PSN gradient hierarchy).
# --------------------------------------------------------------------------


def neuron_grad_sq(grads: Any, masks: Any) -> dict[str, jax.Array]:
  """Squared L2 norm of each output neuron's gradient over its active weights.

  For output neuron j of a layer: `sum_i mask[i, j] * g[i, j] ** 2`, i.e. only
  the incoming connections that exist count (the dense gradient that RigL
  computes for growth is ignored at masked-out positions). Jittable,
  vmappable.

  Args:
    grads: gradient pytree with the params' structure (kernels [n_in, n_out]).
    masks: mask pytree of the same structure (bool kernels).

  Returns:
    Dict keyed by layer name of f32 arrays (n_out,).
  """
  out = {}
  for name, (g, m) in _matched(grads, masks):
    if g.shape != m.shape:
      raise ValueError(
        f"grads[{name}] must have the mask's shape {m.shape}, got {g.shape}"
      )
    g = jnp.where(m, g, 0).astype(jnp.float32)
    out[name] = jnp.sum(g * g, axis=0)
  return out


def neuron_grad_norms(grads: Any, masks: Any) -> dict[str, jax.Array]:
  """Per-batch L2 norm of each output neuron's active-weight gradient.

  `sqrt(neuron_grad_sq(grads, masks))`. This is what the engine accumulates:
  it sums these over the batches of an averaging period (in-jit) and passes
  the sum to `neuron_grad_norm`.

  Args:
    grads: gradient pytree with the params' structure.
    masks: mask pytree of the same structure.

  Returns:
    Dict keyed by layer name of f32 arrays (n_out,).
  """
  return {k: jnp.sqrt(v) for k, v in neuron_grad_sq(grads, masks).items()}


def neuron_grad_norm(sum_norms: Any, n_batches: Any) -> Any:
  """Per-neuron gradient norm averaged over batches: the PSN hierarchy input.

  Choice (the paper does not define its measure): the mean over batches of
  the per-batch norms, `(1/B) sum_b ||g_b[:, j]||` over active weights, not
  the root of the mean of squares `sqrt((1/B) sum_b ||g_b[:, j]||^2)`. The
  mean of norms is the literal "norm, averaged over batches" and is less
  dominated by a few large-gradient batches (early training, loss spikes);
  it costs one sqrt per neuron per batch in-jit. The engine must therefore sum
  `neuron_grad_norms` (not `neuron_grad_sq`) over batches.

  Args:
    sum_norms: a pytree (e.g. the dict from `neuron_grad_norms`) of per-neuron
      norms summed over `n_batches` batches.
    n_batches: number of batches summed (int or scalar array; > 0). A traced
      value of 0 gives 0 rather than a division by zero.

  Returns:
    The same pytree of f32 arrays: the mean per-batch norm of each neuron.
  """
  if isinstance(n_batches, (int, np.integer)) and not isinstance(n_batches, bool):
    if n_batches <= 0:
      raise ValueError(f"n_batches must be > 0, got {n_batches}")
  elif isinstance(n_batches, float) and not (
    math.isfinite(n_batches) and n_batches > 0
  ):
    raise ValueError(f"n_batches must be > 0, got {n_batches}")
  denom = jnp.maximum(jnp.asarray(n_batches, jnp.float32), 1.0)
  return jax.tree.map(lambda s: jnp.asarray(s, jnp.float32) / denom, sum_norms)
