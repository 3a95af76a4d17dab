"""Inference time and memory of masked dense vs sparse execution.

`time_grid` builds one MLP `n_in - width - width - classes` per (width,
density) with uniformly random masks at that density in every junction but
the class layer (`dense_last`, as the claims' MLPs), compiles each layout of
`psn_jax.sparse_exec`, and times `jax.jit(sparse_exec.forward)` on one batch
of random inputs. Timings are paired: repeat r runs every layout once, in an
order that rotates with r, after one untimed warm-up call (compilation is
excluded). The dense reference is the masked kernel stored dense (the
engine's product, with the mask already applied: the best a masked dense
model can do at inference). Memory is what a layout stores
(`sparse_exec.stored_bytes`; dense counts its bool mask too) and, where the
backend reports it, the compiled program's temporary buffers
(`Compiled.memory_analysis().temp_size_in_bytes`).

The values of the weights do not change the cost, so random normal weights
are used; the outputs of every layout are checked against the dense one.
Used by `benchmarks.sparse_speed` and claim B4 (`psn_jax.claims.bourely_speed`).
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from psn_jax import masks as masks_lib
from psn_jax import sparse_exec

__all__ = ["network", "time_grid", "first_win"]


def network(width: int, density: float, *, n_in: int = 784,
            classes: int = 10, seed: int = 0) -> tuple[dict, dict]:
  """Params and masks of an MLP `n_in - width - width - classes`.

  Kernels are N(0, 1 / n_in) (float32), biases 0; masks are uniformly random
  (`profile="random"`, uniform budgets) at `density` in the two hidden-layer
  kernels, the class layer dense.
  """
  if not 0.0 < density <= 1.0:
    raise ValueError(f"density must be in (0, 1], got {density!r}")
  rng = np.random.default_rng(seed)
  dims = [n_in, width, width, classes]
  params = {f"Dense_{i}": {
      "kernel": (rng.standard_normal((a, b), np.float32) / np.sqrt(a)),
      "bias": np.zeros((b,), np.float32)}
            for i, (a, b) in enumerate(zip(dims[:-1], dims[1:]))}
  masks = masks_lib.make_masks(jax.random.PRNGKey(seed), params,
                               sparsity=1.0 - density, distribution="uniform",
                               profile="random", dense_last=True)
  masks = jax.tree.map(np.asarray, masks)
  return params, masks


def _temp_bytes(compiled) -> int | None:
  try:
    analysis = compiled.memory_analysis()
  except Exception:  # pylint: disable=broad-except  (backend without it)
    return None
  return None if analysis is None else int(analysis.temp_size_in_bytes)


def time_grid(widths: Sequence[int], densities: Sequence[float], *,
              layouts: Sequence[str] = sparse_exec.LAYOUTS, batch: int = 64,
              repeats: int = 9, n_in: int = 784, classes: int = 10,
              seed: int = 0, progress: bool = False) -> list[dict[str, Any]]:
  """Times every layout on every (width, density) network.

  Returns:
    One row per (width, density, layout): `times_s` (the `repeats` paired
    timings, seconds), `median_s`, `stored_bytes`, `temp_bytes` (None when
    the backend does not report it), `flops` (per batch, padding included),
    `active` (active connections) and `max_abs_diff` (largest |logit -
    dense logit| on the batch).
  """
  for lay in layouts:
    if lay not in sparse_exec.LAYOUTS:
      raise ValueError(f"layouts must be among {', '.join(sparse_exec.LAYOUTS)}"
                       f", got {lay!r}")
  fwd = jax.jit(sparse_exec.forward)
  x = jnp.asarray(np.random.default_rng(seed + 1).standard_normal(
      (batch, n_in), np.float32))
  rows = []
  for width in widths:
    for density in densities:
      params, masks = network(width, density, n_in=n_in, classes=classes,
                              seed=seed)
      nets = {lay: sparse_exec.compile_mlp(params, masks, lay)
              for lay in layouts}
      progs = {lay: fwd.lower(net, x).compile() for lay, net in nets.items()}
      outs = {lay: progs[lay](nets[lay], x).block_until_ready()
              for lay in layouts}                       # warm up
      ref = outs.get("dense", next(iter(outs.values())))
      times = {lay: [] for lay in layouts}
      for r in range(repeats):
        order = list(layouts[r % len(layouts):]) + list(layouts[:r % len(layouts)])
        for lay in order:
          t0 = time.perf_counter()
          progs[lay](nets[lay], x).block_until_ready()
          times[lay].append(time.perf_counter() - t0)
      active = int(sum(sparse_exec.active_connections(masks)))
      for lay in layouts:
        net = nets[lay]
        rows.append({
            "width": int(width), "density": float(density), "layout": lay,
            "batch": int(batch), "times_s": times[lay],
            "median_s": float(np.median(times[lay])),
            "stored_bytes": sparse_exec.stored_bytes(
                net, with_mask=lay == "dense"),
            "temp_bytes": _temp_bytes(progs[lay]),
            "flops": sparse_exec.flops(net, batch), "active": active,
            "max_abs_diff": float(jnp.max(jnp.abs(outs[lay] - ref)))})
      if progress:
        line = ", ".join(f"{r['layout']} {1e3 * r['median_s']:.2f} ms"
                         for r in rows[-len(layouts):])
        print(f"width {width}, density {density:g}: {line}", flush=True)
  return rows


def first_win(rows: Sequence[dict[str, Any]], layout: str
              ) -> dict[int, float | None]:
  """Per width: the largest density at which `layout`'s median time beats
  dense's there and at every lower density measured (None: it never does
  down to the lowest one)."""
  out: dict[int, float | None] = {}
  for width in sorted({r["width"] for r in rows}):
    med = {(r["density"], r["layout"]): r["median_s"] for r in rows
           if r["width"] == width}
    ds = sorted({d for d, _ in med}, reverse=True)
    win = None
    for d in reversed(ds):          # from the lowest density up
      if med.get((d, layout), np.inf) < med[(d, "dense")]:
        win = d
      else:
        break
    out[width] = win
  return out
