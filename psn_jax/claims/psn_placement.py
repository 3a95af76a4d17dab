"""PSN's C6 (Tomczak 2026): which neurons become hubs matters more than how
varied the connectivity is, tested with static masks built from RigL's
learned topology in which only layer 0 changes between the arms.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np

from psn_jax import masks as masks_lib
from psn_jax import plots
from psn_jax import sweep
from psn_jax.claims import common as cm
from psn_jax.claims import verdicts as vd

C6_EFFECT = 0.2      # pp: our smallest effect of interest (PSN gives none)

C6_ARMS = ("learned", "rewired", "shuffled", "flat")


def _random_inputs(rng: np.random.Generator, n_in: int, fan: np.ndarray
                   ) -> np.ndarray:
  """A [n_in, n_out] mask whose column j holds fan[j] random inputs."""
  order = np.argsort(rng.random((n_in, fan.size)), axis=0)
  mask = np.zeros((n_in, fan.size), bool)
  np.put_along_axis(mask, order, np.arange(n_in)[:, None] < fan[None, :], axis=0)
  return mask


def c6_arm_masks(final: dict[str, Any], layer: str, seed: int
                 ) -> dict[str, dict[str, Any]]:
  """C6's four mask sets from one seed's learned masks; only `layer` differs.

  Every arm keeps every other layer exactly as RigL learned it, so a hidden
  neuron of `layer` keeps its learned outgoing connections and neurons are
  not exchangeable (the design flaw of drawing all layers at random).
  * `learned`: RigL's final masks.
  * `rewired`: `layer`'s neurons keep their learned fan-ins, inputs drawn at
    random (placement kept, input wiring forgotten).
  * `shuffled`: the same fan-ins permuted across `layer`'s neurons, inputs at
    random (fan-in variance kept, placement forgotten).
  * `flat`: equal fan-ins (the same total, remainder spread one each over
    random neurons), inputs at random (variance removed).
  Randomness: `np.random.default_rng([seed, 6])`.
  """
  m = np.asarray(final[layer]["kernel"], bool)
  rng = np.random.default_rng([int(seed), 6])
  fan = m.sum(axis=0)
  n_out, total = fan.size, int(fan.sum())
  flat = np.full(n_out, total // n_out)
  flat[rng.permutation(n_out)[: total - flat.sum()]] += 1
  kernels = {"learned": m,
             "rewired": _random_inputs(rng, m.shape[0], fan),
             "shuffled": _random_inputs(rng, m.shape[0], rng.permutation(fan)),
             "flat": _random_inputs(rng, m.shape[0], flat)}
  return {arm: {**final, layer: {**final[layer], "kernel": k}}
          for arm, k in kernels.items()}


def learned_mask_files(first: sweep.SweepResult, name: str, root: str,
                       layer: str = "Dense_0") -> dict[str, str]:
  """Mask files (relative to `root`) of `c6_arm_masks` for every seed of
  run `name` (RigL's final snapshot)."""
  res, v = cm.locate(first, name)
  if not len(res.snapshot_epochs):
    raise ValueError(f"run {name!r} has no mask snapshots "
                     "(track.snapshot_every must be > 0)")
  sets: dict[str, list] = {a: [] for a in C6_ARMS}
  for s, seed in enumerate(res.seeds):
    final = res.mask_snapshot(v, s, len(res.snapshot_epochs) - 1)
    for arm, tree in c6_arm_masks(final, layer, seed).items():
      sets[arm].append(tree)
  out = {}
  for arm, per_seed in sets.items():
    rel = os.path.join("masks", f"c6_{arm}.npz")
    if root:
      stacked = jax.tree.map(lambda *m: np.stack(m), *per_seed)
      masks_lib.save_mask_file(os.path.join(root, rel), stacked, res.seeds)
    out[arm] = rel
  return out


def placement(spec, first, second, ctx) -> dict:
  """C6. Static runs from RigL's learned masks, only layer 0 changed
  (`c6_arm_masks`). placement = rewired - shuffled; variance = shuffled -
  flat; wiring = learned - rewired; all paired over seeds. Test: placement
  > 0 and placement - variance > 0, each a one-sided paired t at alpha 0.05
  with our effect of interest +0.2 pp (`verdicts.superiority`); both ->
  reproduced, one -> partly (`verdicts.combine`)."""
  arms = {n: cm.acc(second, n) for n in C6_ARMS}
  rigl = cm.acc(first, "rigl_erk")
  place = cm.diffs(arms["rewired"], arms["shuffled"])
  var = cm.diffs(arms["shuffled"], arms["flat"])
  conv = cm.converged(second, list(C6_ARMS), C6_EFFECT)
  p1 = vd.superiority(place, C6_EFFECT, converged=conv.converged,
                      what="placement (rewired - shuffled)")
  p2 = vd.superiority(place - var, C6_EFFECT, converged=conv.converged,
                      what="placement - variance")
  v = vd.combine([p1, p2], "part")
  rows = [{"arm": "rigl (dynamic)", "accuracy": cm.describe(rigl)}]
  rows += [{"arm": n, "accuracy": cm.describe(a)} for n, a in arms.items()]
  rows += [{"comparison": "placement: rewired - shuffled",
            **cm.paired(arms["rewired"], arms["shuffled"])},
           {"comparison": "variance: shuffled - flat",
            **cm.paired(arms["shuffled"], arms["flat"])},
           {"comparison": "wiring: learned - rewired",
            **cm.paired(arms["learned"], arms["rewired"])}]
  holds = {"learned": "RigL's final masks",
           "rewired": "layer 0 fan-in per neuron; other layers as learned",
           "shuffled": "layer 0 fan-in multiset; other layers as learned",
           "flat": "layer 0 total count; other layers as learned"}
  fig, (ax,) = plots.claim_figure(1, width=6)
  cm.dot_ci(ax, [(r["comparison"], "paired over seeds", r["mean"], r["ci95"])
                for r in rows[-3:]],
            ylabel="paired accuracy difference (pp)",
            title=f"C6: layer-0 contrasts (mean, 95% CI; {conv.epochs} "
            "epochs)", lines=[(0.0, "no effect")])
  return cm.result_doc(v, conv, rows=rows, figure=ctx.figure(spec.id, fig),
                       ours={**cm.paired(arms["rewired"], arms["shuffled"]),
                             "text": v.reason, "unit": "pp"},
                       arms_hold_fixed=holds)
