"""Claims re-analysed from the earlier GPU experiments (`results/gpu/`).

Before the claims package existed, one H100 session ran single experiments
(`benchmarks/gpu_suite.sh` of that time: `experiments.compare`,
`gradient_hierarchy`, `equilibrium`) and kept their JSON, not their sweep
folders. Three of them measure a claim: C1 (`compare_paper.json`), C3
(`gradient.json`) and C5 (`equilibrium_summary_10seeds.json`). This module
runs those numbers through the same verdict rules, tolerances and
convergence check as `psn_jax.claims.psn`, and writes the same `claim.json`
(mode `full`), so the report shows them beside the CPU tier.

What the old files lack is said, never filled in: only C1's file keeps the
per-epoch curves, so C3 and C5 have no convergence check and can be no more
than inconclusive; C3's file keeps (variant, layer) means only, so there is
no per-seed view.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

import numpy as np

from psn_jax import utils
from psn_jax.claims import common as cm
from psn_jax.claims import psn
from psn_jax.claims import verdicts as vd

SUITE = "benchmarks/gpu_suite.sh (H100, 2026-11-23)"


def _read(path: str) -> dict[str, Any]:
  with open(path) as f:
    return json.load(f)


def _no_curve(tolerance: float) -> vd.Convergence:
  """The convergence of a file that kept final values only: not checked."""
  return vd.Convergence(False, tolerance, 0, None, "no curve stored", 0)


def _unchecked(v: vd.Verdict) -> vd.Verdict:
  """`v` (gated as not converged) saying why: there was no curve to check."""
  return vd.Verdict(v.verdict, v.reason.replace(
      "runs not converged", "convergence not checked (the file kept no "
      "learning curve)"), v.stats)


def c1(doc: dict[str, Any]) -> dict[str, Any]:
  """C1 from `experiments.compare` results (variants x seeds x epochs): the
  gap to dense per sparse variant, TOST within +-0.6 pp, Holm over cells,
  convergence of the test-accuracy curves (as `psn.gap_to_dense`)."""
  names = [v["name"] for v in doc["variants"]]
  dataset = doc["config"]["dataset"]
  acc = {n: np.asarray(doc["final_test_accuracy"][n], np.float64)
         for n in names}
  curves = np.asarray(doc["history"]["test_accuracy"], np.float64)
  dense = next(v["name"] for v in doc["variants"] if not v["sparsity"])
  sparse = [n for n in names if n != dense]
  cells = {f"{dataset}/{n}": cm.diffs(acc[dense], acc[n]) for n in sparse}
  conv = vd.convergence({n: 100 * curves[i] for i, n in enumerate(names)},
                        psn.C1_MARGIN)
  v = vd.equivalence_all(cells, psn.C1_MARGIN, converged=conv.converged,
                         what="gap to dense")
  rows = []
  for n in sparse:
    t = v.stats["cells"][f"{dataset}/{n}"]
    rows.append({"dataset": dataset, "arm": n,
                 "accuracy": cm.describe(acc[n]),
                 "dense": cm.describe(acc[dense]),
                 "gap_to_dense": cm.paired(acc[dense], acc[n]),
                 "tost_p_equivalent_holm": t["p_equivalence_holm"],
                 "tost_p_beyond_holm": t["p_beyond_margin_holm"]})
  cfg = doc["config"]
  return {**cm.result_doc(v, conv, rows=rows, figure=None,
                          ours={"text": v.reason}),
          "seeds": [len(doc["seeds"])] * 2,
          "epochs": [curves.shape[-1]] * 2,
          "setup": {"dataset": [dataset],
                    "hidden": ["-".join(map(str, cfg["hidden"]))],
                    "optim.name": [cfg["optim"]["name"]],
                    "optim.learning_rate": [str(cfg["optim"]["learning_rate"])],
                    "batch_size": [str(cfg["batch_size"])]},
          "n_runs": len(names),
          "hardware": {"device": doc.get("device"),
                       "backend": doc.get("backend")},
          "wall_time_s": {"train": doc.get("wall_time_s")}}


def c3(doc: dict[str, Any]) -> dict[str, Any]:
  """C3 from `experiments.gradient_hierarchy`: r(fan-in CV, concentration)
  over its (variant, hidden layer) means, the rule of `psn.gradient` (the
  magnitudes part included); no curve was kept, so not converged."""
  units = [r for r in doc["rows"] if r["fan_in_cv"] is not None
           and r["concentration"] is not None]
  xs = np.asarray([u["fan_in_cv"] for u in units], float)
  ys = np.asarray([u["concentration"] for u in units], float)
  conv = _no_curve(0.5)
  corr = vd.correlation(xs, ys, sign=+1, converged=False,
                        paper_r=psn.C3_PAPER_R,
                        what="r(fan-in CV, concentration)")
  top = [u["concentration"] for u in units if u["variant"] != "uniform"
         and u["fan_in_cv"] >= 1]
  mag = vd.Verdict("inconclusive", f"largest CV>=1 profile "
                   f"{cm.fmt(max(top) if top else None)}x (PSN 2-5x); the "
                   "file has no random arm", {"top": max(top) if top else None})
  v = _unchecked(vd.combine([corr, mag], "part"))
  return {**cm.result_doc(v, conv, rows=units, figure=None,
                          ours={"r": corr.stats.get("r"), "text": v.reason},
                          mde=corr.stats.get("mde80")),
          "seeds": [None, None], "epochs": [None, None],
          "n_runs": len({u["variant"] for u in units}), "hardware": {},
          "wall_time_s": {}}


def c5(doc: dict[str, Any]) -> dict[str, Any]:
  """C5 from `experiments.equilibrium` (10 seeds): lognormal(matched) - ERK,
  one-sided paired t against +0.16 pp (`psn.lognormal_vs_erk`'s rule); only
  final accuracies were kept, so not converged."""
  acc = {k: np.asarray(a, np.float64)
         for k, a in doc["final_test_accuracy"].items()}
  logn, erk = acc["rigl_from_lognormal_matched"], acc["rigl_from_erk"]
  conv = _no_curve(psn.C5_EFFECT)
  v = _unchecked(vd.superiority(cm.diffs(logn, erk), psn.C5_EFFECT,
                                converged=False,
                                what="lognormal(matched) - ERK"))
  rows = [{"arm": k, "accuracy": cm.describe(a)} for k, a in acc.items()]
  rows.append({"comparison": "lognormal - erk", **cm.paired(logn, erk),
               "matched_cv_per_layer": doc.get("matched_cv_per_layer")})
  n = len(erk)
  return {**cm.result_doc(v, conv, rows=rows, figure=None,
                          ours={**cm.paired(logn, erk), "text": v.reason,
                                "unit": "pp"}),
          "seeds": [n, n], "epochs": [None, None], "n_runs": len(acc),
          "hardware": {}, "wall_time_s": {}}


# claim id -> (file under results/gpu, the command that wrote it, analysis)
SOURCES: dict[str, tuple[str, str, Callable[[dict], dict]]] = {
    "C1": ("compare_paper.json", "python -m experiments.compare --config "
           "configs/compare.py:paper --config.num_seeds=5", c1),
    "C3": ("gradient.json", "python -m experiments.gradient_hierarchy", c3),
    "C5": ("equilibrium_summary_10seeds.json",
           "python -m experiments.equilibrium (10 seeds)", c5),
}


def reanalyse(spec: Any, gpu_dir: str, out_dir: str) -> dict[str, Any]:
  """Writes `out_dir/<id>/claim.json` for claim `spec` from its file under
  `gpu_dir`; returns the document."""
  name, command, analysis = SOURCES[spec.id]
  src = os.path.join(gpu_dir, name)
  doc = {"id": spec.id, "title": spec.title, "source": spec.source,
         "paper": {"text": spec.paper_text, "value": spec.paper_value},
         "test": spec.test, "mode": "full", "mode_label": "test (GPU)",
         "command": f"{command} ({SUITE}; file {name}, re-analysed by "
                    f"python -m experiments.reanalyse_gpu)",
         "missing_datasets": [], **analysis(_read(src))}
  path = os.path.join(out_dir, spec.id, "claim.json")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  utils.write_json_atomic(path, utils.jsonable(doc))
  return doc
