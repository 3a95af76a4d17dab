"""Bourely et al. 2017 (arXiv 1706.05683; abstract): B4, the speed-ups.

"Sparse topologies provide compression of the models learned and speed-ups
of computations." Our engine trains with masked dense matrices, which save
neither time nor memory; `psn_jax.sparse_exec` executes a trained sparse MLP
with work proportional to its active connections (a gather layout by fan-in,
and `jax.experimental.sparse` BCOO). B4 trains nothing: it times inference of
`n_in - width - width - 10` MLPs (random masks in the hidden junctions, class
layer dense) for masked dense and each sparse layout, over densities 50% to
99.9% and widths (`psn_jax.sparse_timing.time_grid`), on the machine it runs
on, and reports the stored and temporary bytes beside the times.

Test, stated before the data: per width, the cells are (sparse layout,
density); the paired difference of repeat r is `100 * (ln t_dense -
ln t_sparse)` (percent speed-up, log scale, timings interleaved), one-sided
paired t per cell, Holm over the cells of the width (`verdicts.best_of`,
effect of interest +10%). Widths combine (`verdicts.combine`): every width
with some significant speed-up -> reproduced. Timings have no training to
converge; the convergence record says so. Compression is reported, not
tested (it is arithmetic: `stored_bytes`). Beside the verdict: per width and
layout the density at which sparse execution first beats masked dense (it
wins there and at every lower density measured).
"""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

import jax
import numpy as np

from psn_jax import plots
from psn_jax import sparse_timing
from psn_jax import utils
from psn_jax.claims import common as cm
from psn_jax.claims import verdicts as vd

B4_EFFECT = 10.0      # percent speed-up of interest (ours; no paper number)
SPARSE_LAYOUTS = ("gather", "bcoo")
TIMINGS_FILE = "timings.json"


def speedup_cells(rows: Sequence[dict[str, Any]], width: int
                  ) -> dict[str, np.ndarray]:
  """{"<layout> d<density>": per-repeat 100 * ln(t_dense / t_layout)} for
  one width (repeats are paired: repeat r timed every layout once)."""
  dense = {r["density"]: np.asarray(r["times_s"], np.float64) for r in rows
           if r["width"] == width and r["layout"] == "dense"}
  out = {}
  for r in rows:
    if r["width"] != width or r["layout"] == "dense":
      continue
    t = np.asarray(r["times_s"], np.float64)
    out[f"{r['layout']} d{r['density']:g}"] = 100 * np.log(
        dense[r["density"]] / t)
  return out


def speed_rule(rows: Sequence[dict[str, Any]], effect: float = B4_EFFECT
               ) -> tuple[vd.Verdict, dict[int, vd.Verdict]]:
  """B4's test on timing rows (`sparse_timing.time_grid`): per width
  `verdicts.best_of` over (layout, density) cells, widths combined."""
  widths = sorted({r["width"] for r in rows})
  parts = {w: vd.best_of(speedup_cells(rows, w), converged=True,
                         effect=effect, what=f"width {w}: sparse speed-up %")
           for w in widths}
  return (vd.combine(list(parts.values()), "width",
                     labels=[f"width {w}" for w in widths]), parts)


def _grid(mode: str) -> dict[str, Any]:
  dens = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.001)
  return {"toy": dict(widths=(32,), densities=(0.25,), repeats=4,
                      batch=8),
          "quick": dict(widths=(512,), densities=(0.5, 0.1, 0.01, 0.001),
                        repeats=5, batch=64),
          "cpu": dict(widths=(1024, 4096), densities=dens, repeats=15,
                      batch=64),
          "full": dict(widths=(1024, 4096, 16384), densities=dens,
                       repeats=30, batch=64)}[mode]


def _timings(mode: str, root: str, progress: bool) -> list[dict[str, Any]]:
  """The grid's timing rows, measured once per (grid, device) and reused by
  a rerun (which then only re-analyses)."""
  grid = _grid(mode)
  key = json.dumps({**grid, "device": str(jax.devices()[0])}, sort_keys=True)
  path = os.path.join(root, TIMINGS_FILE)
  if os.path.exists(path):
    with open(path) as f:
      stored = json.load(f)
    if stored.get("key") == key:
      return stored["rows"]
  rows = sparse_timing.time_grid(grid["widths"], grid["densities"],
                                 batch=grid["batch"],
                                 repeats=grid["repeats"], progress=progress)
  os.makedirs(root, exist_ok=True)
  utils.write_json_atomic(path, {"key": key, "rows": rows})
  return rows


def speed(spec, mode: str, ctx: cm.Context, progress: bool = True) -> dict:
  """B4: times the grid (or reads it back), judges it, draws it."""
  rows = _timings(mode, ctx.root, progress)
  v, parts = speed_rule(rows)
  widths = sorted({r["width"] for r in rows})
  wins = {lay: sparse_timing.first_win(rows, lay) for lay in SPARSE_LAYOUTS}
  dense_med = {(r["width"], r["density"]): r["median_s"] for r in rows
               if r["layout"] == "dense"}
  table = [{"width": r["width"], "density": r["density"],
            "layout": r["layout"], "median_ms": 1e3 * r["median_s"],
            "speedup_x": dense_med[(r["width"], r["density"])] / r["median_s"],
            "stored_MB": r["stored_bytes"] / 2 ** 20,
            "temp_MB": (None if r["temp_bytes"] is None
                        else r["temp_bytes"] / 2 ** 20),
            "max_abs_diff": r["max_abs_diff"]} for r in rows]
  first = [{"width": w, **{f"first_win_{lay}": wins[lay][w]
                           for lay in SPARSE_LAYOUTS}} for w in widths]
  text = "; ".join(
      f"width {w}: sparse first beats dense at density "
      + ", ".join(f"{cm.fmt(wins[lay][w], 3)} ({lay})"
                  for lay in SPARSE_LAYOUTS) for w in widths)
  reason = f"{v.reason}; {text}"
  fig, axes = plots.claim_figure(2, width=5.2)
  for w in widths:
    for lay in ("dense",) + SPARSE_LAYOUTS:
      sel = sorted((r for r in rows if r["width"] == w and r["layout"] == lay),
                   key=lambda r: r["density"])
      xs = [r["density"] for r in sel]
      axes[0].plot(xs, [1e3 * r["median_s"] for r in sel],
                   cm.MARKERS[SPARSE_LAYOUTS.index(lay) + 1 if lay in
                              SPARSE_LAYOUTS else 0] + "-",
                   label=f"{lay}, width {w}")
      axes[1].plot(xs, [r["stored_bytes"] / 2 ** 20 for r in sel], "o-",
                   label=f"{lay}, width {w}")
  for ax, ylabel in zip(axes, ("inference time per batch (ms, median)",
                               "stored parameters (MiB)")):
    ax.set(xscale="log", yscale="log", xlabel="density of the hidden "
           "junctions", ylabel=ylabel)
    ax.legend(fontsize=6)
  axes[0].set_title(f"B4: masked dense vs sparse execution "
                    f"({jax.devices()[0].platform})")
  axes[1].set_title("B4: memory of the stored model")
  conv = vd.Convergence(True, B4_EFFECT, 0, None, "timings: no training", 0)
  return cm.result_doc(vd.Verdict(v.verdict, reason, v.stats), conv,
                       rows=first + table, figure=ctx.figure(spec.id, fig),
                       ours={"text": text},
                       first_win={lay: {str(w): d for w, d in x.items()}
                                  for lay, x in wins.items()},
                       per_width={str(w): p.verdict for w, p in parts.items()})
