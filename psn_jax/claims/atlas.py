"""The atlas (ours): which topology measure of the initial masks predicts
accuracy, every mask source at one density, on MNIST and on MNIST with one
fixed pixel permutation (the locality control).

Units are mask sources (seed means), after dropping sources whose masks are
identical to an earlier one's for every seed (`common.distinct_runs`: e.g.
`random`, `erdos_renyi` and ERK-random when one layer is sparse). Pearson r
per measure with its 95% CI; the ranking's p-values are Holm-corrected over
the measures. Verdict: `measured` (no paper claims it).
"""

from __future__ import annotations

import os

import numpy as np

from psn_jax import plots
from psn_jax.claims import common as cm
from psn_jax.claims import verdicts as vd
from psn_jax.claims.dey import view

# Names of `topology.MEASURES` (nnstd_to_reference: NNSTD of layer 0 to the
# same seed's `random` masks).
MEASURES = ("fan_in_cv", "normalized_gap", "lambda_2", "network_lambda_2",
            "scatter", "scatter_forward", "zero_fan_in", "nnstd_to_reference")


def atlas(spec, first, second, ctx) -> dict:
  """Per view and measure: r between source means of the measure and of
  test accuracy; ranked by |r|, Holm over measures."""
  run_names = cm.names(first)
  random_of = {view(first, n): n for n in run_names
               if cm.field(first, n, "profile") == "random"
               and cm.field(first, n, "distribution") == "uniform"}
  meas = cm.measure_runs(first, run_names, MEASURES,
                         os.path.join(ctx.root, "measures.json"),
                         reference=lambda n: random_of.get(view(first, n)))
  views = sorted({view(first, n) for n in run_names})
  fig, axes = plots.claim_figure(len(views), width=5.5)
  rows, best, duplicates = [], [], {}
  for ax, vw in zip(axes, views):
    runs, dropped = cm.distinct_runs(
        first, [n for n in run_names if view(first, n) == vw])
    duplicates[vw] = dropped
    conv = cm.converged(first, runs, 0.5)
    per = []
    for w in MEASURES:
      xs, ys, kept = cm.unit_means(meas, first, runs, w)
      c = vd.correlation(xs, ys, sign=+1, converged=conv.converged, what=w)
      per.append({"view": vw, "measure": w, "r": c.stats.get("r"),
                  "p": c.stats.get("p"), "ci95": c.stats.get("ci95"),
                  "n": c.stats.get("n"), "mde80": c.stats.get("mde80")})
    defined = [r for r in per if r["p"] is not None]
    for r, p in zip(defined, vd.holm([r["p"] for r in defined])):
      r["p_holm"] = float(p)
    per.sort(key=lambda r: -abs(r["r"] or 0))
    rows += per
    best.append(per[0])
    xs = np.arange(len(per))
    r_vals = [r["r"] or 0 for r in per]
    lo = [v - (r["ci95"][0] if r["ci95"] and r["ci95"][0] is not None else v)
          for v, r in zip(r_vals, per)]
    hi = [(r["ci95"][1] if r["ci95"] and r["ci95"][1] is not None else v) - v
          for v, r in zip(r_vals, per)]
    ax.errorbar(xs, r_vals, yerr=[lo, hi], fmt="o", color=plots.OKABE_ITO[0],
                capsize=3)
    ax.set_xticks(xs)
    ax.set_xticklabels([r["measure"] for r in per], rotation=45, ha="right",
                       fontsize=7)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(ylim=(-1.05, 1.05), ylabel="Pearson r with test accuracy (95% CI)",
           title=f"atlas: {vw}, {len(runs)} distinct sources, "
           f"{conv.epochs} epochs")
  for n in run_names:
    a = cm.acc(first, n)
    rows.append({"source": n, "view": view(first, n),
                 "accuracy": cm.describe(a), **{
                     w: cm.finite(np.mean([meas[(n, s)][w] for s in
                                           range(a.size) if meas[(n, s)][w]
                                           is not None] or [np.nan]))
                     for w in MEASURES}})
  text = "; ".join(
      f"{b['view']}: best {b['measure']} r = {b['r']:+.2f} (CI "
      f"{cm.fmt(b['ci95'][0])}, {cm.fmt(b['ci95'][1])}; Holm p = "
      f"{cm.fmt_p(b.get('p_holm'))}; n = {b['n']} sources)"
      if b["r"] is not None else f"{b['view']}: undefined" for b in best)
  conv = cm.converged(first, run_names, 0.5)
  v = vd.Verdict("measured", text, {"best": best})
  return cm.result_doc(v, conv, rows=rows, figure=ctx.figure(spec.id, fig),
                       ours={**best[0], "text": text},
                       duplicate_sources=duplicates)
