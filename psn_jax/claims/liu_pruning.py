"""Liu et al. 2020 (arXiv 2006.14085; abstract): L5, lottery tickets.

"Adaptive sparse connectivity ... finds well-performing subnetworks (winning
tickets) in a more efficient and robust way than the lottery ticket
hypothesis implies." One sweep on Liu's SET setup (`configs/claims.py`):
SET and RigL trained sparse from scratch, and the lottery-ticket procedure
itself, iterative magnitude pruning with rewinding (`dst.algorithm="imp"`,
Frankle & Carbin 2019; Frankle et al. 2020), all at the same final density.

Test, stated before the data:
* accuracy: each of SET and RigL is non-inferior to IMP's tickets (IMP -
  arm < 0.5 pp, one-sided paired t over seeds, `verdicts.noninferior_any`
  per arm);
* efficiency: the total training cost of each of SET and RigL, in FLOPs
  counted from the masks over the whole procedure (`procedure_flops`; IMP's
  rounds included, RigL's dense gradients at its updates included), is below
  IMP's. Arithmetic, not a statistic: it holds or it does not.
The parts combine (`verdicts.combine`). Robustness, Liu's second word, is
reported beside them and not judged (a handful of seeds cannot test a
spread): the SD of accuracy over seeds per method and the NNSTD between the
final subnetworks of different seeds of each method (Liu's measure: a large
distance with a small spread means many different subnetworks work equally
well).
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np

from psn_jax import plots
from psn_jax import sweep
from psn_jax import topology
from psn_jax.claims import common as cm
from psn_jax.claims import verdicts as vd

L5_MARGIN = 0.5   # pp: "as good as a ticket" (ours; the abstract gives none)
METHODS = ("set", "rigl", "imp")


def forward_flops(masks: Sequence[np.ndarray]) -> int:
  """FLOPs of one example's forward pass through masked kernels: 2 per
  active connection (a multiply and an add; biases and activations, a few
  per unit, are left out, as RigL's and SNIP's counts)."""
  return 2 * int(sum(int(np.asarray(m).sum()) for m in masks))


def procedure_flops(phases: Sequence[tuple[int, Sequence[np.ndarray]]],
                    batch: int, *, dense_grad_steps: int = 0,
                    dense_masks: Sequence[np.ndarray] | None = None) -> int:
  """Training FLOPs of a whole procedure from its masks.

  A step on a batch of `batch` examples costs `3 * batch * f(mask)` (forward,
  the backward to the activations and to the weights each `f`; Evci et al.
  2020, appendix H). RigL's update steps compute the dense weight gradient:
  each costs `batch * (f(dense) - f(mask))` more (RigL's `2 f_S + f_D`).

  Args:
    phases: `(steps, masks)` per phase in which the masks' active counts are
      constant (one phase for SET and RigL, whose counts never change; one
      per round for IMP).
    batch: examples per step.
    dense_grad_steps: RigL's update steps (dense gradients), in the last
      phase's masks' terms.
    dense_masks: the kernels' full shapes, for the dense gradient.
  """
  total = sum(3 * batch * steps * forward_flops(m) for steps, m in phases)
  if dense_grad_steps:
    dense = 2 * int(sum(np.asarray(m).size for m in dense_masks))
    total += dense_grad_steps * batch * (dense - forward_flops(phases[-1][1]))
  return int(total)


def _method(first: sweep.SweepResult, name: str) -> str:
  algo = cm.field(first, name, "dst.algorithm")
  return {"imp_global": "imp"}.get(algo, algo)


def steps_per_epoch(first: sweep.SweepResult) -> int:
  """Steps per epoch of the sweep's data, read from a SET or RigL run that
  rewires once per epoch (`delta_t = 0`): its first update step."""
  for res in first.groups.values():
    for c in res.configs:
      if (c.get("dst.algorithm") in ("set", "rigl") and not c["dst.delta_t"]
          and len(res.record_steps) > 1):
        return int(res.record_steps[1])
  raise ValueError("L5 needs a SET or RigL arm with dst.delta_t = 0 to "
                   "read the steps per epoch")


def run_flops(first: sweep.SweepResult, name: str, seed: int,
              spe: int) -> int:
  """Training FLOPs of run `name`, seed index `seed`, from its mask
  snapshots, with `spe` steps per epoch. IMP: one phase per round (its
  `track.snapshot_every` is the round). RigL: its dense-gradient steps are
  its update steps (`track.record_every = 1`: one record per update)."""
  res, v = cm.locate(first, name)
  c = res.configs[v]
  batch = int(c["batch_size"])
  algo = c["dst.algorithm"]
  if algo in ("imp", "imp_global"):
    # The snapshot at epoch e holds the masks trained in the epochs before
    # it (IMP prunes at the first step of the next round).
    phases, last = [], 0
    for t, e in enumerate(int(e) for e in res.snapshot_epochs):
      if e > 0:
        phases.append(((e - last) * spe,
                       cm.layers_of(res.mask_snapshot(v, seed, t))))
        last = e
    return procedure_flops(phases, batch)
  masks = cm.layers_of(res.mask_snapshot(v, seed, 0))
  updates = 0
  if algo == "rigl":
    updates = (len(res.record_steps) - 1) * int(c["track.record_every"])
  return procedure_flops([(int(c["num_epochs"]) * spe, masks)], batch,
                         dense_grad_steps=updates, dense_masks=masks)


def _pairwise_nnstd(nets: list[list[np.ndarray]]) -> float | None:
  sparse = [l for l, m in enumerate(nets[0]) if not m.all()]
  if len(nets) < 2 or not sparse:
    return None
  d = [float(np.mean(topology.nnstd(a, b).per_layer[sparse]))
       for a, b in itertools.combinations(nets, 2)]
  return float(np.mean(d))


def tickets(spec, first, second, ctx) -> dict:
  """L5 (see the module docstring)."""
  names = cm.names(first)
  arm = {}
  for n in names:
    arm.setdefault(_method(first, n), n)
  imp = arm["imp"]
  spe = steps_per_epoch(first)
  rows, parts, labels = [], [], []
  flops = {m: [run_flops(first, arm[m], s, spe)
               for s in range(cm.acc(first, arm[m]).size)]
           for m in METHODS if m in arm}
  for m in METHODS:
    if m not in arm:
      continue
    res, v = cm.locate(first, arm[m])
    nets = [cm.layers_of(res.mask_snapshot(v, s, -1))
            for s in range(len(res.seeds))]
    a = cm.acc(first, arm[m])
    density = (sum(int(x.sum()) for x in nets[0] if not x.all())
               / max(1, sum(x.size for x in nets[0] if not x.all())))
    rows.append({"method": m, "accuracy": cm.describe(a),
                 "sd_over_seeds_pp": cm.finite(100 * np.std(a, ddof=1))
                 if a.size > 1 else None,
                 "nnstd_between_seeds": _pairwise_nnstd(nets),
                 "final_density_sparse_layers": density,
                 "train_gflops_per_seed": cm.finite(np.mean(flops[m]) / 1e9),
                 "epochs": int(cm.field(first, arm[m], "num_epochs"))})
  res, v = cm.locate(first, imp)
  for t, e in enumerate(int(e) for e in res.snapshot_epochs):
    if e > 0:   # the masks IMP's round ending at epoch e trained (seed 0)
      rows.append({"imp_round_ending_epoch": e, "active_per_layer": [
          int(x.sum()) for x in cm.layers_of(res.mask_snapshot(v, 0, t))]})
  conv = cm.converged(first, list(arm.values()), L5_MARGIN)
  for m in ("set", "rigl"):
    if m not in arm:
      continue
    part = vd.noninferior_any(
        {m: cm.diffs(cm.acc(first, imp), cm.acc(first, arm[m]))}, L5_MARGIN,
        converged=conv.converged, what=f"IMP - {m}")
    ratio = float(np.mean(flops[m]) / np.mean(flops["imp"]))
    # Arithmetic, but only worth a verdict for runs that have converged.
    cheaper = vd.gate(vd.Verdict(
        "reproduced" if ratio < 1 else "not reproduced",
        f"{m} costs {ratio:.2f}x IMP's training FLOPs", {"flops_ratio": ratio}),
        conv.converged)
    parts += [part, cheaper]
    labels += [f"{m} accuracy vs IMP", f"{m} cost vs IMP"]
    rows.append({"comparison": f"IMP - {m}",
                 "difference_pp": cm.paired(cm.acc(first, imp),
                                            cm.acc(first, arm[m])),
                 "flops_ratio": ratio})
  v = vd.combine(parts, "part", labels=labels)
  fig, axes = plots.claim_figure(2, width=4.8)
  for j, m in enumerate(m for m in METHODS if m in arm):
    a = 100 * cm.acc(first, arm[m])
    axes[0].plot(np.full(a.size, j) + np.linspace(-0.15, 0.15, a.size), a,
                 cm.MARKERS[j], color=plots.OKABE_ITO[j], label=m)
    axes[1].plot([np.mean(flops[m]) / 1e9], [a.mean()], cm.MARKERS[j],
                 color=plots.OKABE_ITO[j], label=m)
  axes[0].set_xticks(range(len(arm)))
  axes[0].set_xticklabels([m for m in METHODS if m in arm])
  axes[0].set(ylabel="final test accuracy (%)",
              title=f"L5: one dot per seed ({conv.epochs} epochs)")
  axes[1].set(xscale="log", xlabel="training GFLOPs (masks, whole procedure)",
              ylabel="mean test accuracy (%)", title="L5: accuracy vs cost")
  axes[1].legend(fontsize=7)
  return cm.result_doc(v, conv, rows=rows, figure=ctx.figure(spec.id, fig),
                       ours={"text": v.reason})
