"""Dey et al. 2018/2019 (arXiv 1711.02131, 1812.01164; abstracts): D1, CNNs.

Their sentence: CNNs "can operate without any loss of accuracy at less than
half percent classification layer connection density, or less than 5
percent overall density"; their pre-defined sparsity is applied to the fully
connected layers. Ours [ours]: a LeNet-5 convolutional trunk (convolutions
dense) with one wide fully connected hidden layer, on MNIST and
Fashion-MNIST (CIFAR: data not available here; `psn_jax.cifar` reads the
published files where they are), the fully connected junctions pre-defined
sparse by a path rule (`mask_rule = "Dense_.*/kernel"`), three patterns:
Dey's clash-free, random, and a PSN lognormal profile. Two regimes, as the
two halves of the sentence:

* class layer at density < 0.5%, the hidden junction dense (`dense_first`);
  clash-free cannot go there (each input keeps >= 1 of the 10 outputs, so
  its density is >= 10%): listed as unreachable, not trained;
* every fully connected junction counted, overall density < 5%: the hidden
  junction at 1-2% with the class junction dense (Dey keep it dense).

Verdict rule (`verdicts.noninferior_any`, as D2): per dataset, the arms in
either regime against the dense CNN, one-sided non-inferiority with margin
`D1_MARGIN` pp ("without any loss": tighter than D2's 1 pp), Holm over arms;
the datasets combine (`verdicts.combine`).
"""

from __future__ import annotations

import numpy as np

from psn_jax import plots
from psn_jax import results as results_lib
from psn_jax import sweep
from psn_jax.claims import common as cm
from psn_jax.claims import verdicts as vd

D1_MARGIN = 0.5            # pp: "without any loss of accuracy"
D1_CLASS_DENSITY = 0.005   # "less than half percent" class-layer density
D1_OVERALL_DENSITY = 0.05  # "less than 5 percent overall density"


def fc_densities(res: results_lib.Results, v: int) -> tuple[float, float]:
  """`(class-layer density, overall fully connected density)` of variant v
  (seed 0's masks): the Dense layers only, the class layer the last one."""
  dense = [l for l in res.layers if l.split("/")[-1].startswith("Dense")]
  active = [float(res.fan_ins[l][v, 0].sum()) for l in dense]
  sizes = [float(np.prod(res.layer_shapes[l])) for l in dense]
  return active[-1] / sizes[-1], sum(active) / sum(sizes)


def cnn_density(spec, first: sweep.SweepResult, second, ctx) -> dict:
  """D1. Per dataset, every sparse arm with class-layer density < 0.5% or
  overall fully connected density < 5% against the dense CNN: one-sided
  non-inferiority (margin 0.5 pp), Holm over those arms
  (`verdicts.noninferior_any`); datasets combine (`verdicts.combine`).
  Convergence tolerance: the margin."""
  run_names = cm.names(first)
  groups = cm.dense_and_sparse(first,
                               lambda n: cm.field(first, n, "dataset"))
  datasets = [ds for ds, _, _ in groups]
  fig, axes = plots.claim_figure(len(groups), width=4.8)
  rows, parts = [], []
  for ax, (ds, dense, sparse) in zip(axes, groups):
    runs = [dense, *sparse]
    series, cells = {}, {}
    for n in sparse:
      res, v = cm.locate(first, n)
      pattern = cm.field(first, n, "profile")
      cls, overall = fc_densities(res, v)
      regime = ("class < 0.5%" if cls < D1_CLASS_DENSITY else
                "overall < 5%" if overall < D1_OVERALL_DENSITY else "-")
      acc = cm.describe(cm.acc(first, n))
      rows.append({"dataset": ds, "arm": n.split("/")[-1],
                   "pattern": pattern, "class_density": cls,
                   "fc_density": overall, "regime": regime,
                   "accuracy": acc,
                   "loss_vs_dense": cm.paired(cm.acc(first, dense),
                                              cm.acc(first, n))})
      x, y, e = series.get(pattern, ([], [], []))
      series[pattern] = (x + [overall], y + [acc["mean"]], e + [acc["std"]])
      if regime != "-":
        cells[f"{ds} {n.split('/')[-1]}"] = cm.diffs(cm.acc(first, dense),
                                                     cm.acc(first, n))
    conv = cm.converged(first, runs, D1_MARGIN)
    parts.append(vd.noninferior_any(cells, D1_MARGIN,
                                    converged=conv.converged,
                                    what="loss to the dense CNN") if cells
                 else vd.Verdict("inconclusive", f"{ds}: no arm below the "
                                 "claim's densities"))
    cm.accuracy_vs_density(ax, series, cm.acc(first, dense),
                           xlabel="fully connected density (fraction of "
                           "weights)", dense_label="dense CNN",
                           title=f"D1: {ds} ({conv.epochs} epochs)")
  conv = cm.converged(first, run_names, D1_MARGIN)
  v = vd.combine(parts, "dataset", labels=datasets)
  return cm.result_doc(v, conv, rows=rows, figure=ctx.figure(spec.id, fig),
                       ours={"text": v.reason, "unit": "pp"},
                       cifar="data not available here")


def feasible_points(config, points: list[dict]) -> list[dict]:
  """The points whose masks `make_masks` can build for `config`'s model
  (`models.make_model`, any Flax model) under its `mask_rule`: the CNN
  counterpart of `claims.core.feasible_points`, whose shapes are the MLP's."""
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  from psn_jax import data as data_lib  # pylint: disable=g-import-not-at-top
  from psn_jax import masks as masks_lib  # pylint: disable=g-import-not-at-top
  from psn_jax import models  # pylint: disable=g-import-not-at-top
  from psn_jax import train as train_lib  # pylint: disable=g-import-not-at-top
  d = data_lib.input_dim(config.dataset)
  model = models.make_model(config, d, data_lib.num_classes(config.dataset))
  shape = jax.eval_shape(model.init, jax.random.PRNGKey(0),
                         jnp.zeros((1, d)))["params"]
  kept = []
  for p in points:
    fields = {f: p.get(f, config.get(f)) for f in masks_lib.MASK_FIELDS}
    if not fields["sparsity"]:
      kept.append(p)
      continue
    try:
      masks_lib.make_masks(train_lib.mask_key(int(config.seed)), shape,
                           **fields, rule=config.get("mask_rule") or None)
      kept.append(p)
    except ValueError:
      pass
  return kept
