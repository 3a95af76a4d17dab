"""Bourely et al. 2017 (arXiv 1706.05683; abstract): B1-B3 on one sweep.

Graph families (Erdos-Renyi, random biregular, circulant, banded circulant,
Dey's clash-free) over densities of the hidden junctions, on MNIST and on
MNIST with one fixed pixel permutation (the locality control, see
`psn_jax.claims.dey`). Verdicts come from the original images; the permuted
view is reported beside them.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from psn_jax import plots
from psn_jax import sweep
from psn_jax.claims import common as cm
from psn_jax.claims import verdicts as vd
from psn_jax.claims.dey import view

B1_MARGIN = 0.5   # pp: "match dense" (ours; the abstract gives no number)
B2_EFFECT = 0.2   # pp: our smallest gain worth "more compact"
STRUCTURED = ("random_biregular", "circulant", "dey_clash_free")


def table(first: sweep.SweepResult) -> dict[str, dict]:
  """{view: {"dense": name, family: {density: name}}}, from the configs."""
  out: dict[str, dict] = {}
  for n in cm.names(first):
    vw = view(first, n)
    s = cm.field(first, n, "sparsity")
    if not s:
      out.setdefault(vw, {})["dense"] = n
      continue
    fam = cm.field(first, n, "profile")
    out.setdefault(vw, {}).setdefault(fam, {})[round(1 - s, 6)] = n
  return dict(sorted(out.items()))


def _families(t: dict) -> dict[str, dict[float, str]]:
  return {k: v for k, v in t.items() if k != "dense"}


def _document(spec, first, ctx, fig, by_view: dict[str, vd.Verdict],
              rows: list, run_names: list[str], tolerance: float) -> dict:
  """The claim document: the verdict of the original images, the locality
  control's verdict beside it."""
  v = next(x for k, x in by_view.items() if "permuted" not in k)
  control = "; ".join(f"locality control ({k}): {x.verdict}"
                      for k, x in by_view.items() if "permuted" in k)
  reason = v.reason + (f"; {control}" if control else "")
  return cm.result_doc(vd.Verdict(v.verdict, reason, v.stats),
                       cm.converged(first, run_names, tolerance), rows=rows,
                       figure=ctx.figure(spec.id, fig), ours={"text": reason},
                       locality_control={k: x.verdict for k, x in
                                         by_view.items()})


def families_vs_dense(spec, first, second, ctx) -> dict:
  """B1. Per (view, family): some density <= 50% matches dense, i.e. a
  one-sided non-inferiority test (loss < 0.5 pp), Holm over densities
  (`verdicts.noninferior_any`); families combine (`verdicts.combine`)."""
  t = table(first)
  fig, axes = plots.claim_figure(len(t), width=4.8)
  rows, by_view = [], {}
  for ax, (vw, tv) in zip(axes, t.items()):
    dense = cm.acc(first, tv["dense"])
    conv = cm.converged(first, [tv["dense"]] + [
        n for f in _families(tv).values() for n in f.values()], B1_MARGIN)
    parts, series = [], {}
    fams = list(_families(tv))
    for fam, by_d in _families(tv).items():
      cells = {f"{fam} {d:g}": cm.diffs(dense, cm.acc(first, n))
               for d, n in sorted(by_d.items())}
      part = vd.noninferior_any(cells, B1_MARGIN, converged=conv.converged,
                                what=f"{vw} loss to dense")
      parts.append(part)
      rows.append({"view": vw, "family": fam, "verdict": part.verdict,
                   "cells": part.stats["cells"]})
      ds_ = sorted(by_d)
      da = [cm.describe(cm.acc(first, by_d[d])) for d in ds_]
      series[fam] = (ds_, [a["mean"] for a in da], [a["std"] for a in da])
    by_view[vw] = vd.combine(parts, "family", labels=fams)
    dd = cm.describe(dense)
    plots.claim_lines(series, ax, xlabel="density of the hidden junctions",
                      ylabel="test accuracy (%, mean +- std)", logx=True,
                      hline=(dd["mean"], dd["std"], "dense"),
                      title=f"B1: {vw} ({conv.epochs} epochs)")
  return _document(spec, first, ctx, fig, by_view, rows, cm.names(first),
                   B1_MARGIN)


def compactness(spec, first, second, ctx) -> dict:
  """B2. Structured families minus Erdos-Renyi, paired over seeds, at the two
  lowest densities. Test: some cell > 0, one-sided paired t, Holm over the
  (family, density) cells (`verdicts.best_of`, effect +0.2 pp)."""
  t = table(first)
  fig, axes = plots.claim_figure(len(t), width=4.8)
  rows, by_view = [], {}
  for ax, (vw, tv) in zip(axes, t.items()):
    fams = _families(tv)
    er = fams.get("erdos_renyi", {})
    low = sorted(er)[:2]
    arms, series = {}, {}
    for fam in STRUCTURED:
      xs, ys, es = [], [], []
      for d in sorted(fams.get(fam, {})):
        if d not in er:
          continue
        diff = cm.paired(cm.acc(first, fams[fam][d]), cm.acc(first, er[d]))
        rows.append({"view": vw, "family": fam, "density": d,
                     "minus_erdos_renyi": diff})
        xs.append(d), ys.append(diff["mean"]), es.append(diff["std"])
        if d in low:
          arms[f"{fam} {d:g}"] = cm.diffs(cm.acc(first, fams[fam][d]),
                                          cm.acc(first, er[d]))
      series[fam] = (xs, ys, es)
    conv = cm.converged(first, [n for f in fams.values() for n in f.values()],
                        B2_EFFECT)
    by_view[vw] = (vd.best_of(arms, converged=conv.converged, effect=B2_EFFECT,
                              what=f"{vw} structured - ER") if arms else
                   vd.Verdict("inconclusive", f"{vw}: no structured cell"))
    plots.claim_lines(series, ax, xlabel="density of the hidden junctions",
                      ylabel="family - Erdos-Renyi (pp, mean +- std)",
                      logx=True, hline=(0.0, None, "Erdos-Renyi"),
                      title=f"B2: {vw} ({conv.epochs} epochs)")
  return _document(spec, first, ctx, fig, by_view, rows, cm.names(first),
                   B2_EFFECT)


def spectral(spec, first, second, ctx) -> dict:
  """B3. Per view, OLS on (family, density) means: accuracy ~ C(density) +
  measure, density as a factor (fixed effect), for the layer-0 normalized
  spectral gap and for lambda_2 (`verdicts.fixed_effect`, sign +); both ->
  reproduced, one -> partly (`verdicts.combine`)."""
  t = table(first)
  run_names = [n for tv in t.values() for f in _families(tv).values()
               for n in f.values()]
  meas = cm.measure_runs(first, run_names, ("normalized_gap", "lambda_2"),
                         os.path.join(ctx.root, "measures.json"))
  rows, by_view = [], {}
  fig, axes = plots.claim_figure(2, width=4.8)
  for vw, tv in t.items():
    recs = []
    for fam, by_d in _families(tv).items():
      for d, n in by_d.items():
        a = cm.acc(first, n)
        rec = {"family": fam, "density": d, "accuracy": 100 * float(a.mean())}
        for w in ("normalized_gap", "lambda_2"):
          vals = [meas[(n, s)][w] for s in range(a.size)]
          rec[w] = None if None in vals else float(np.mean(vals))
        recs.append(rec)
    frame = pd.DataFrame(recs)
    conv = cm.converged(first, [n for f in _families(tv).values()
                                for n in f.values()], 0.5)
    parts = [vd.fixed_effect(frame, "accuracy", w, "density", sign=+1,
                             converged=conv.converged)
             for w in ("normalized_gap", "lambda_2")]
    by_view[vw] = vd.combine(parts, "measure",
                             labels=["normalized_gap", "lambda_2"])
    rows += [{"view": vw, **r} for r in recs]
    rows += [{"view": vw, "measure": w, "verdict": p.verdict, **p.stats}
             for w, p in zip(("normalized_gap", "lambda_2"), parts)]
    for j, (ax, w) in enumerate(zip(axes, ("normalized_gap", "lambda_2"))):
      for k, d in enumerate(sorted(frame["density"].unique())):
        sub = frame[frame["density"] == d].sort_values(w)
        ax.plot(sub[w], sub["accuracy"], cm.MARKERS[k % len(cm.MARKERS)],
                linestyle="-" if "permuted" not in vw else ":",
                color=plots.OKABE_ITO[k % len(plots.OKABE_ITO)],
                label=f"{vw}, density {d:g}")
      ax.set(xlabel=f"layer-0 {w} (mean over seeds)",
             ylabel="test accuracy (%, mean over seeds)",
             title=f"B3: one point per (family, density); {conv.epochs} "
             "epochs")
  for ax in axes:
    ax.legend(fontsize=6)
  return _document(spec, first, ctx, fig, by_view, rows, run_names,
                   0.5)
