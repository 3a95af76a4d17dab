"""Dey et al. 2018/2019 (arXiv 1711.02131, 1812.01164; abstracts, code): D2, D3.

Pre-defined sparse junctions (clash-free, basic, random) over densities, and
scatter as a predictor at equal density. D3 also runs on MNIST with one fixed
pixel permutation (`pixel_permutation`): patterns with low scatter give each
hidden neuron a contiguous strip of pixels, so on the original images
locality is confounded with scatter; the permuted view removes the spatial
prior.
"""

from __future__ import annotations

import os


from psn_jax import plots
from psn_jax import results as results_lib
from psn_jax import sweep
from psn_jax.claims import common as cm
from psn_jax.claims import verdicts as vd

D2_MARGIN = 1.0      # pp: our "no significant performance loss"
D2_DENSITY = 0.2     # overall density <= 0.2: "more than 5x" fewer weights
D3_EFFECT_TOL = 0.5  # pp: convergence tolerance of D3's runs


def view(result: sweep.SweepResult, name: str) -> str:
  """The dataset a run saw: its name, with "(pixels permuted)" when the
  config permutes the input features."""
  res, v = cm.locate(result, name)
  perm = res.configs[v].get("pixel_permutation", -1)
  ds = res.configs[v]["dataset"]
  return ds if perm is None or perm < 0 else f"{ds} (pixels permuted)"


def overall_density(res: results_lib.Results, v: int) -> float:
  """Active / all kernel weights of variant v (seed 0's fan-ins)."""
  active = sum(float(res.fan_ins[l][v, 0].sum()) for l in res.layers)
  total = sum(a * b for a, b in res.layer_shapes.values())
  return active / total


def density_sweep(spec, first, second, ctx) -> dict:
  """D2. Per dataset, the clash-free nets at overall density <= 0.2 against
  dense: one-sided non-inferiority (loss < 1 pp, our threshold for "no
  significant loss"), Holm over densities (`verdicts.noninferior_any`); the
  datasets combine (`verdicts.combine`). Convergence tolerance 1 pp."""
  run_names = cm.names(first)
  groups = cm.dense_and_sparse(first, lambda n: view(first, n))
  datasets = [ds for ds, _, _ in groups]
  fig, axes = plots.claim_figure(len(groups), width=4.8)
  rows, parts = [], []
  for ax, (ds, dense, sparse) in zip(axes, groups):
    runs = [dense, *sparse]
    series, cells = {}, {}
    for n in sparse:
      res, v = cm.locate(first, n)
      pattern = cm.field(first, n, "profile")
      dens = overall_density(res, v)
      loss = cm.paired(cm.acc(first, dense), cm.acc(first, n))
      rows.append({"dataset": ds, "pattern": pattern, "overall_density": dens,
                   "accuracy": cm.describe(cm.acc(first, n)),
                   "loss_vs_dense": loss})
      da = cm.describe(cm.acc(first, n))
      x, y, e = series.get(pattern, ([], [], []))
      series[pattern] = (x + [dens], y + [da["mean"]], e + [da["std"]])
      if pattern == "dey_clash_free" and dens <= D2_DENSITY:
        cells[f"{ds} density {dens:.3f}"] = cm.diffs(cm.acc(first, dense),
                                                     cm.acc(first, n))
    conv = cm.converged(first, runs, D2_MARGIN)
    parts.append(vd.noninferior_any(cells, D2_MARGIN, converged=conv.converged,
                                    what="loss to dense") if cells else
                 vd.Verdict("inconclusive", f"{ds}: no clash-free net at "
                            f"density <= {D2_DENSITY}"))
    cm.accuracy_vs_density(ax, series, cm.acc(first, dense),
                           xlabel="overall density (fraction of weights)",
                           title=f"D2: {ds} ({conv.epochs} epochs)")
  conv = cm.converged(first, run_names, D2_MARGIN)
  v = vd.combine(parts, "dataset", labels=datasets)
  return cm.result_doc(v, conv, rows=rows, figure=ctx.figure(spec.id, fig),
                       ours={"text": v.reason, "unit": "pp"})


def scatter(spec, first, second, ctx) -> dict:
  """D3. Per view (MNIST; MNIST with permuted pixels), Pearson r between a
  pattern's mean scatter and its mean accuracy over the patterns (one point
  per pattern, `verdicts.correlation`, sign +: low scatter, worse accuracy).
  The verdict is the original view's; the permuted view says whether scatter
  still predicts accuracy once the spatial prior is gone."""
  run_names = cm.names(first)
  meas = cm.measure_runs(first, run_names, ("scatter",),
                         os.path.join(ctx.root, "measures.json"))
  views = sorted({view(first, n) for n in run_names})
  fig, axes = plots.claim_figure(len(views), width=5.5)
  rows, by_view = [], {}
  for ax, vw in zip(axes, views):
    runs = [n for n in run_names if view(first, n) == vw]
    xs, ys, kept = cm.unit_means(meas, first, runs, "scatter")
    conv = cm.converged(first, runs, D3_EFFECT_TOL)
    by_view[vw] = vd.correlation(xs, ys, sign=+1, converged=conv.converged,
                                 what=f"{vw}: r(scatter, accuracy)")
    for n, x, y in zip(kept, xs, ys):
      rows.append({"view": vw, "pattern": cm.field(first, n, "profile"),
                   "scatter": x, "accuracy": cm.describe(cm.acc(first, n))})
    for j, (n, x, y) in enumerate(zip(kept, xs, ys)):
      lo, hi = cm.describe(cm.acc(first, n))["ci95"]
      ax.errorbar([x], [y], yerr=[[y - lo], [hi - y]], capsize=3,
                  fmt=cm.MARKERS[j % len(cm.MARKERS)],
                  color=plots.OKABE_ITO[j % len(plots.OKABE_ITO)],
                  label=cm.field(first, n, "profile"))
    ax.set(xlabel="network scatter (Dey; mean over seeds)",
           ylabel="test accuracy (%; seed mean, 95% CI)",
           title=f"D3: {vw} ({conv.epochs} epochs)")
    ax.legend(fontsize=7)
  original = next(v for k, v in by_view.items() if "permuted" not in k)
  control = [v for k, v in by_view.items() if "permuted" in k]
  reason = original.reason + (f"; locality control: {control[0].reason}"
                              if control else "")
  conv = cm.converged(first, run_names, D3_EFFECT_TOL)
  return cm.result_doc(vd.Verdict(original.verdict, reason, {
      k: v.stats for k, v in by_view.items()}), conv, rows=rows,
      figure=ctx.figure(spec.id, fig), ours={"text": reason},
      mde=original.stats.get("mde80"),
      locality_control={k: v.verdict for k, v in by_view.items()})
