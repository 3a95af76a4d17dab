"""PSN (Tomczak 2026, arXiv 2604.10560; only the abstract is public): C1-C5
(C6 in `psn_jax.claims.psn_placement`).

Each analysis states its test (also in the claim's `ClaimSpec.test`) and hands
its arrays to one rule of `psn_jax.claims.verdicts`. Effects are in
percentage points of test accuracy unless said otherwise.
"""

from __future__ import annotations

import numpy as np

from psn_jax import equilibrium as equilibrium_lib
from psn_jax import plots
from psn_jax import sweep
from psn_jax import topology
from psn_jax.claims import common as cm
from psn_jax.claims import verdicts as vd
from psn_jax.topology import concentration as conc_lib

C1_MARGIN = 0.6      # pp: PSN's "within 0.2-0.6% of dense"
C3_PAPER_R = 0.93
C4_MARGIN = 0.1      # fan-in CV units: "one equilibrium" (ours)
C5_EFFECT = 0.16     # pp: PSN's Fashion-MNIST gain


def _is_dense(result: sweep.SweepResult, name: str) -> bool:
  return not cm.field(result, name, "sparsity") and not cm.field(
      result, name, "init_masks")


def _arm_label(result: sweep.SweepResult, name: str) -> str:
  """profile[_cv] (+ distribution when ERK), from the run's config."""
  prof = cm.field(result, name, "profile")
  cv = cm.field(result, name, "cv")
  dist = cm.field(result, name, "distribution")
  label = prof + ("" if cv is None or isinstance(cv, (list, tuple))
                  else f" cv{cv:g}")
  return label + (" (ERK)" if dist == "erk" else "")


def gap_to_dense(spec, first, second, ctx) -> dict:
  """C1. Cells: (dataset, profile) at 90%; dense - sparse, paired over seeds.
  Test: TOST equivalence within +-0.6 pp per cell, Holm over cells, alpha
  0.05 (`verdicts.equivalence_all`). Convergence tolerance 0.6 pp."""
  cells, rows, plot_rows = {}, [], []
  for ds in sorted({cm.field(first, n, "dataset") for n in cm.names(first)}):
    runs = [n for n in cm.names(first) if cm.field(first, n, "dataset") == ds]
    dense = next(n for n in runs if _is_dense(first, n))
    for n in runs:
      if n == dense:
        continue
      label = _arm_label(first, n)
      gap = cm.diffs(cm.acc(first, dense), cm.acc(first, n))
      cells[f"{ds}/{label}"] = gap
      train_gap = cm.diffs(cm.acc(first, dense, "train_accuracy"),
                           cm.acc(first, n, "train_accuracy"))
      rows.append({"dataset": ds, "arm": label, "run": n,
                   "accuracy": cm.describe(cm.acc(first, n)),
                   "dense": cm.describe(cm.acc(first, dense)),
                   "gap_to_dense": cm.paired(cm.acc(first, dense),
                                             cm.acc(first, n)),
                   "train_gap_to_dense": cm.describe(train_gap, 1)})
  conv = cm.converged(first, cm.names(first), C1_MARGIN)
  v = vd.equivalence_all(cells, C1_MARGIN, converged=conv.converged,
                         what="gap to dense")
  for r in rows:
    t = v.stats["cells"][f"{r['dataset']}/{r['arm']}"]
    r["tost_p_equivalent_holm"] = t["p_equivalence_holm"]
    r["tost_p_beyond_holm"] = t["p_beyond_margin_holm"]
    g = r["gap_to_dense"]
    plot_rows.append((r["dataset"], r["arm"], g["mean"], g["ci95"]))
  fig, (ax,) = plots.claim_figure(1, width=8)
  cm.dot_ci(ax, plot_rows, ylabel="dense - sparse test accuracy (pp)",
            title=f"C1: gap to dense at 90% (mean, 95% CI; {conv.epochs} "
            "epochs)", band=(0.2, 0.6, "PSN: 0.2-0.6 pp"),
            lines=[(0.0, "no gap")])
  return cm.result_doc(
      _with_missing(v, ctx), conv, rows=rows, figure=ctx.figure(spec.id, fig),
      ours={"text": v.reason, "unit": "pp"})


def _with_missing(v: vd.Verdict, ctx) -> vd.Verdict:
  if not ctx.missing:
    return v
  return vd.Verdict(v.verdict, v.reason + f"; {', '.join(ctx.missing)}: "
                    f"{cm.NO_DATA}", v.stats)


def recipe(spec, first, second, ctx) -> dict:
  """C1R. Per recipe (hidden sizes x optimizer), uniform and random against
  dense. Test: TOST within +-0.6 pp, Holm over all (recipe, arm) cells.
  reproduced: some recipe has both arms equivalent; partly: some arm;
  not reproduced: converged and every cell beyond 0.6 pp."""
  cells, rows, plot_rows = {}, [], []
  recipe_of = lambda n: (f"{'-'.join(map(str, cm.field(first, n, 'hidden')))}"  # noqa: E731
                         f" {cm.field(first, n, 'optim.name')}")
  dense_of = {recipe_of(n): n for n in cm.names(first) if _is_dense(first, n)}
  for n in cm.names(first):
    if _is_dense(first, n):
      continue
    tag = recipe_of(n)
    dense = dense_of[tag]
    cells[n] = cm.diffs(cm.acc(first, dense), cm.acc(first, n))
    g = cm.paired(cm.acc(first, dense), cm.acc(first, n))
    rows.append({"recipe": tag, "arm": _arm_label(first, n),
                 "optimizer": cm.field(first, n, "optim.name"),
                 "hidden": cm.field(first, n, "hidden"),
                 "accuracy": cm.describe(cm.acc(first, n)),
                 "dense": cm.describe(cm.acc(first, dense)),
                 "gap_to_dense": g,
                 "train_gap_to_dense": cm.paired(
                     cm.acc(first, dense, "train_accuracy"),
                     cm.acc(first, n, "train_accuracy"))})
    plot_rows.append((tag, _arm_label(first, n), g["mean"], g["ci95"]))
  conv = cm.converged(first, cm.names(first), C1_MARGIN)
  v = vd.equivalence_all(cells, C1_MARGIN, converged=conv.converged,
                         what="gap to dense")
  eq = set(v.stats["equivalent"])
  good = sorted({recipe_of(n) for n in cells
                 if all(m in eq for m in cells if recipe_of(m) == recipe_of(n))})
  verdict = ("reproduced" if good else "partly" if eq else
             v.verdict if v.verdict != "partly" else "inconclusive")
  if verdict == "reproduced" and v.verdict != "reproduced":
    reason = f"recipes with both arms within 0.6 pp: {', '.join(good)}; " + \
        v.reason
  else:
    reason = v.reason
  fig, (ax,) = plots.claim_figure(1, width=8)
  cm.dot_ci(ax, plot_rows, ylabel="dense - sparse test accuracy (pp)",
            title=f"C1R: gap to dense per recipe (mean, 95% CI; "
            f"{conv.epochs} epochs)", band=(0.2, 0.6, "PSN: 0.2-0.6 pp"),
            lines=[(0.0, "no gap")])
  return cm.result_doc(vd.gate(vd.Verdict(verdict, reason, v.stats),
                               conv.converged), conv, rows=rows,
                       figure=ctx.figure(spec.id, fig),
                       ours={"text": reason, "unit": "pp"},
                       recipes_within_margin=good)


def grid(spec, first, second, ctx) -> dict:
  """C2. Every reachable (profile, CV, sparsity) cell against dense. Test:
  TOST within +-0.6 pp, Holm over cells (`verdicts.equivalence_all`).
  Secondary: each cell against random placement at its sparsity (does shape
  matter at equal density?), TOST +-0.6 pp, Holm. Cells no profile reaches
  are listed as unreachable."""
  dense = next(n for n in cm.names(first) if _is_dense(first, n))
  cells, vs_random, rows = {}, {}, []
  sparsities = sorted({cm.field(first, n, "sparsity") for n in cm.names(first)
                       if n != dense})
  fig, axes = plots.claim_figure(len(sparsities), width=4.2)
  for ax, s in zip(axes, sparsities):
    runs = [n for n in cm.names(first) if n != dense
            and cm.field(first, n, "sparsity") == s]
    rnd = next(n for n in runs if cm.field(first, n, "profile") == "random")
    plot_rows = []
    for n in runs:
      label = f"{100 * s:g}% {_arm_label(first, n)}"
      cells[label] = cm.diffs(cm.acc(first, dense), cm.acc(first, n))
      g = cm.paired(cm.acc(first, dense), cm.acc(first, n))
      row = {"sparsity": s, "arm": _arm_label(first, n), "run": n,
             "accuracy": cm.describe(cm.acc(first, n)), "gap_to_dense": g}
      if n != rnd:
        vs_random[label] = cm.diffs(cm.acc(first, n), cm.acc(first, rnd))
        row["vs_random"] = cm.paired(cm.acc(first, n), cm.acc(first, rnd))
      rows.append(row)
      plot_rows.append((cm.field(first, n, "profile"),
                        f"cv {cm.field(first, n, 'cv')}", g["mean"], g["ci95"]))
    cm.dot_ci(ax, plot_rows, ylabel="dense - sparse test accuracy (pp)",
              title=f"sparsity {100 * s:g}% (mean, 95% CI)",
              lines=[(C1_MARGIN, "margin 0.6 pp"), (0.0, "no gap")])
  conv = cm.converged(first, cm.names(first), C1_MARGIN)
  v = vd.equivalence_all(cells, C1_MARGIN, converged=conv.converged,
                         what="gap to dense")
  shape = (vd.equivalence_all(vs_random, C1_MARGIN, converged=conv.converged,
                              what="cell - random")
           if vs_random else None)
  unreachable = list(ctx.unreachable)
  reason = v.reason + (f"; shape vs random: {shape.reason}" if shape else "")
  if unreachable:
    reason += f"; {len(unreachable)} cells unreachable"
  fig.suptitle(f"C2: {conv.epochs} epochs")
  return cm.result_doc(vd.Verdict(v.verdict, reason, v.stats), conv,
                       rows=rows, figure=ctx.figure(spec.id, fig),
                       ours={"text": reason, "unit": "pp"},
                       shape_vs_random=None if shape is None else {
                           "verdict": shape.verdict, "reason": shape.reason},
                       unreachable=unreachable)


def gradient(spec, first, second, ctx) -> dict:
  """C3. Units: (variant, hidden layer) means over seeds of fan-in CV and of
  gradient concentration at hubs. Test: Pearson r > 0 at alpha 0.05 on those
  means (paper r = 0.93), and the magnitudes (random ~1x, i.e. 0.8-1.25x;
  some CV >= 1 profile >= 2x); both -> reproduced, one -> partly
  (`verdicts.combine`). Per-seed points are a secondary view."""
  (res,) = list(first.groups.values())
  layers = res.layers[:-1]
  table = conc_lib.variant_table(res.grad_norm, res.fan_ins, res.names,
                                 layers=layers)
  per_seed_x, per_seed_y = [], []
  for r in table["runs"]:
    if r["fan_in_cv"] is not None and r["concentration"] is not None:
      per_seed_x.append(r["fan_in_cv"])
      per_seed_y.append(r["concentration"])
  units = [r for r in table["rows"] if r["fan_in_cv"] is not None
           and r["concentration"] is not None]
  xs = np.asarray([u["fan_in_cv"] for u in units], float)
  ys = np.asarray([u["concentration"] for u in units], float)
  conv = cm.converged(first, res.names, 0.5)
  corr = vd.correlation(xs, ys, sign=+1, converged=conv.converged,
                        paper_r=C3_PAPER_R, what="r(fan-in CV, concentration)")
  rnd = [u["concentration"] for u in units if u["variant"] == "random"]
  top = [u["concentration"] for u in units if u["variant"] not in
         ("random", "uniform") and u["fan_in_cv"] >= 1]
  rnd_c = float(np.mean(rnd)) if rnd else None
  top_c = max(top) if top else None
  mag_ok = (rnd_c is not None and 0.8 <= rnd_c <= 1.25 and top_c is not None
            and top_c >= 2)
  mag = vd.Verdict("reproduced" if mag_ok else (
      "not reproduced" if conv.converged else "inconclusive"),
      f"random {cm.fmt(rnd_c)}x (PSN ~1x), largest CV>=1 profile "
      f"{cm.fmt(top_c)}x (PSN 2-5x)", {"random": rnd_c, "top": top_c})
  v = vd.combine([corr, vd.gate(mag, conv.converged)], "part")
  secondary = cm.corr_ci(np.asarray(per_seed_x), np.asarray(per_seed_y),
                         n_boot=200)
  fig, (ax,) = plots.claim_figure(1, width=5.5)
  plots.accuracy_vs_measure(xs, ys, ax=ax, xlabel="fan-in CV of the layer "
                            "(mean over seeds)",
                            ylabel="gradient concentration at hubs (x)")
  ax.set_title(f"C3: one point per (variant, layer); {conv.epochs} epochs")
  return cm.result_doc(v, conv, rows=table["rows"],
                       figure=ctx.figure(spec.id, fig),
                       ours={"r": corr.stats.get("r"), "text": v.reason},
                       mde=corr.stats.get("mde80"),
                       correlation_per_seed_points=secondary)


def convergence(spec, first, second, ctx) -> dict:
  """C4. Per hidden layer: final fan-in CV of each start against the random
  start's, Welch TOST within +-0.1 CV, Holm over starts and layers
  (`verdicts.equivalence_all`, independent samples: seeds of each start).
  The measured null: the spread between seeds of one start (within) beside
  the spread between starts. Convergence: each start's CV record moves by
  < 0.05 over the last fifth of the records. Needs a hub start."""
  (res,) = list(first.groups.values())
  # Sparse layers only: a dense layer's fan-ins are equal in every arm, and
  # its zero-variance "equivalence" would count as evidence.
  layers = [l for l in res.layers if res.records.get(l)
            and not res.mask_snapshot(0, 0, 0)[l]["kernel"].all()]
  ref = next(v for v, n in enumerate(res.names)
             if res.configs[v]["profile"] == "random")
  cells, rows, curves = {}, [], {}
  fig, axes = plots.claim_figure(len(layers), width=4.4)
  for ax, layer in zip(axes, layers):
    final = {n: np.asarray([topology.cv(res.fan_ins[layer][v, s])
                            for s in range(len(res.seeds))], float)
             for v, n in enumerate(res.names)}
    start = {n: np.asarray([topology.cv(res.mask_snapshot(v, s, 0)[layer][
        "kernel"].sum(axis=0)) for s in range(len(res.seeds))], float)
             for v, n in enumerate(res.names)}
    within = float(np.mean([f.std(ddof=1) for f in final.values()]))
    means = [f.mean() for f in final.values()]
    rows.append({"layer": layer, "start_range": float(np.ptp(
        [s.mean() for s in start.values()])), "final_range": float(np.ptp(
            means)), "within_start_sd": within,
                 "between_start_sd": float(np.std(means, ddof=1))})
    for v, n in enumerate(res.names):
      rows.append({"layer": layer, "start": n,
                   "cv_start": cm.describe(start[n], 1),
                   "cv_final": cm.describe(final[n], 1)})
      if v != ref:
        cells[f"{layer}/{n}"] = (final[n], final[res.names[ref]])
    cv = np.asarray(res.records[layer]["fan_in_cv"], np.float64)
    steps = np.asarray(res.record_steps)
    for v, n in enumerate(res.names):
      curves[f"{layer}/{n}"] = cv[v]
    plots.claim_lines({n: (steps, cv[v].mean(0), cv[v].std(0, ddof=1)
                           if cv.shape[1] > 1 else None)
                       for v, n in enumerate(res.names)}, ax,
                      xlabel="training step", ylabel="fan-in CV (mean +- std)",
                      title=f"C4: RigL, {layer}")
  conv = vd.convergence(curves, C4_MARGIN / 2)
  hub = any(res.configs[v]["profile"] not in ("uniform", "random")
            for v in range(len(res.names)))
  v = vd.equivalence_all(cells, C4_MARGIN, converged=conv.converged,
                         paired=False, what="final CV - random start's")
  if not hub and v.verdict == "reproduced":
    v = vd.Verdict("inconclusive", v.reason + "; no hub start", v.stats)
  return cm.result_doc(v, conv, rows=rows, figure=ctx.figure(spec.id, fig),
                       ours={"text": v.reason})


def equilibrium_cvs(first: sweep.SweepResult, name: str) -> list[float | None]:
  """Per-layer CV of RigL's final fan-ins of run `name`, pooled over seeds."""
  res, v = cm.locate(first, name)
  pooled = equilibrium_lib.pool_artifacts(equilibrium_lib.seed_artifacts(
      res.records, res.record_steps, res.fan_ins, v))
  return [None if c is None else round(float(c), 4)
          for c in equilibrium_lib.matched_cvs(pooled)]


def lognormal_vs_erk(spec, first, second, ctx) -> dict:
  """C5. RigL from the lognormal profile matched to RigL's equilibrium minus
  RigL from ERK, paired over seeds. Test: one-sided paired t, alpha 0.05,
  paper effect +0.16 pp (`verdicts.superiority`). Convergence tolerance
  0.16 pp."""
  erk, uni = cm.acc(first, "erk"), cm.acc(first, "uniform")
  logn = cm.acc(second, "lognormal_matched")
  res2, v2 = cm.locate(second, "lognormal_matched")
  conv = vd.convergence({n: cm.curve(first, n) for n in ("erk", "uniform")}
                        | {"lognormal_matched": cm.curve(
                            second, "lognormal_matched")}, C5_EFFECT)
  v = vd.superiority(cm.diffs(logn, erk), C5_EFFECT, converged=conv.converged,
                     what="lognormal(matched) - ERK")
  v = _with_missing(v, ctx)
  rows = [{"arm": "rigl_from_erk", "accuracy": cm.describe(erk)},
          {"arm": "rigl_from_uniform", "accuracy": cm.describe(uni)},
          {"arm": "rigl_from_lognormal_matched", "accuracy": cm.describe(logn),
           "matched_cv_per_layer": res2.configs[v2].get("cv")},
          {"comparison": "lognormal - erk", **cm.paired(logn, erk)},
          {"comparison": "lognormal - uniform", **cm.paired(logn, uni)}]
  fig, axes = plots.claim_figure(2, width=4.6)
  cm.dot_ci(axes[0], [("Fashion-MNIST", k, cm.describe(a)["mean"],
                       cm.describe(a)["ci95"]) for k, a in
                      (("RigL from ERK", erk), ("from uniform", uni),
                       ("from lognormal (matched)", logn))],
            ylabel="test accuracy (%)",
            title=f"C5: final accuracy (mean, 95% CI; {conv.epochs} epochs)")
  d = cm.diffs(logn, erk)
  axes[1].plot(np.arange(d.size), d, "o", color=plots.OKABE_ITO[0],
               label="per seed")
  st = v.stats
  axes[1].axhline(st["mean"], color=plots.OKABE_ITO[3], label="mean")
  axes[1].axhspan(st["ci95"][0], st["ci95"][1], color=plots.OKABE_ITO[3],
                  alpha=0.2, label="95% CI")
  axes[1].axhline(C5_EFFECT, color="#555555", linestyle="--",
                  label="PSN: +0.16")
  axes[1].axhline(0, color="black", linewidth=0.8)
  axes[1].set(xlabel="seed index", ylabel="lognormal - ERK (pp)",
              title=f"paired over {st['n']} seeds")
  axes[1].legend(fontsize=7)
  return cm.result_doc(v, conv, rows=rows, figure=ctx.figure(spec.id, fig),
                       ours={**cm.paired(logn, erk), "text": v.reason,
                             "unit": "pp"})
