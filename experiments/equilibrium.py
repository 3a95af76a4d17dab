"""RigL's fan-in equilibrium, and RigL started from it (PSN, Tomczak 2026).

  python -m experiments.equilibrium --config configs/train.py:rigl \
      --config.num_seeds=5 --workdir runs/equilibrium

Stage 1 trains RigL from ERK (ERK layer budgets, connections at uniformly
random positions: RigL's own start) and from uniform layers with random
placement (every seed and both starts in one program), tracks each
layer's fan-in distribution in-jit, and measures when its CV settled and to
what value (`psn_jax.equilibrium.settling`). The ERK runs' final fan-ins give,
per layer, an equilibrium artifact (a lognormal fit and the empirical mean and
CV, pooled over seeds): `WORKDIR/equilibrium.json`.

Stage 2 trains RigL from a `lognormal` profile matched to that equilibrium
(same ERK layer budgets, so the same mean fan-in; per-layer CV of the
equilibrium), with the same seeds and so the same data order, and compares it
with the ERK start paired over seeds (paired t-test, Cohen's d on the paired
differences; `psn_jax.stats.paired_comparison`).

Writes `stage1/results.json`, `stage2/results.json`, `equilibrium.json` and
`summary.json` under WORKDIR and prints a table.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from experiments import cli

cli.define_flags("configs/train.py:rigl")


def settle_summary(results, variant: str, record_every: int) -> dict:
  """Per layer: updates until the fan-in CV settled, and the CV it started
  and ended at, over seeds (`equilibrium.pool_artifacts`)."""
  from psn_jax import equilibrium
  pooled = equilibrium.pool_artifacts(equilibrium.seed_artifacts(
      results.records, results.record_steps, results.fan_ins,
      results.index(variant)))
  out = {}
  for layer in pooled["layers"]:
    settle = layer["settling"]
    index = settle["index_mean"]
    out[layer["name"]] = {
        "settled_seeds": settle["n_settled"], "seeds": pooled["n_seeds"],
        "updates_to_settle_mean": None if index is None else index * record_every,
        "cv_start_mean": layer["cv_start"], "cv_final_mean": settle["cv_final"]}
  return out


def _plot_first_layer(results, config, path: str) -> None:
  """Fan-in histogram over the run, first layer, ERK start, first seed."""
  from psn_jax import data, plots, tracking
  name = results.layers[0]
  rec = results.records[name]
  v = results.index("erk")
  ax = plots.fan_in_evolution({
      "hist": np.asarray(rec["fan_in_hist"][v, 0]),
      "bin_edges": tracking.fan_in_histogram_edges(
          data.input_dim(config.dataset), config.track.hist_bins),
      "steps": np.asarray(results.record_steps),
      "cv": np.asarray(rec["fan_in_cv"][v, 0])}, log=True)
  ax.set_title(f"RigL from ERK, {name}, seed {results.seeds[0]}")
  plots.save(ax, path)


def body(flags) -> None:
  from psn_jax import equilibrium, runner, stats, utils
  config, workdir = flags.config, flags.workdir
  if config.dst.algorithm != "rigl":
    raise ValueError(f"dst.algorithm must be rigl for this experiment, got "
                     f"{config.dst.algorithm!r}")
  common = dict(resume=flags.resume, data_dir=flags.data_dir,
                progress=flags.progress)
  starts = [runner.Variant("erk", config.sparsity, distribution="erk",
                           profile="random"),
            runner.Variant("uniform", config.sparsity, distribution="uniform",
                           profile="random")]
  stage1 = runner.run(config, os.path.join(workdir, "stage1"), variants=starts,
                      **common)
  pooled = equilibrium.pool_artifacts(equilibrium.seed_artifacts(
      stage1.records, stage1.record_steps, stage1.fan_ins, stage1.index("erk")))
  equilibrium.save_artifact(os.path.join(workdir, "equilibrium.json"), pooled)
  cvs = equilibrium.matched_cvs(pooled)

  matched = runner.Variant("lognormal_matched", config.sparsity,
                           distribution="erk", profile="lognormal",
                           cv=tuple(cvs))
  stage2 = runner.run(config, os.path.join(workdir, "stage2"), variants=[matched],
                      **common)

  acc1, acc2 = stage1.accuracy_by_name(), stage2.accuracy_by_name()
  acc = {"rigl_from_erk": acc1["erk"], "rigl_from_uniform": acc1["uniform"],
         "rigl_from_lognormal_matched": acc2["lognormal_matched"]}
  paired = stats.paired_comparison(acc["rigl_from_lognormal_matched"],
                                   acc["rigl_from_erk"])
  every = config.track.record_every
  summary = {
      "final_test_accuracy": acc,
      "matched_cv_per_layer": cvs,
      "lognormal_vs_erk_paired": paired._asdict(),
      "settling": {"erk": settle_summary(stage1, "erk", every),
                   "uniform": settle_summary(stage1, "uniform", every),
                   "lognormal_matched": settle_summary(stage2, "lognormal_matched",
                                                       every)},
  }
  utils.write_json_atomic(os.path.join(workdir, "summary.json"), summary)
  _plot_first_layer(stage1, config, os.path.join(workdir, "fan_in_evolution.png"))
  print(stats.summary_table(acc))
  print(f"lognormal(matched) - ERK, paired over {paired.n} seeds: "
        f"{100 * paired.mean_diff:+.2f}% (t = {paired.t:.2f}, p = {paired.p:.3f}, "
        f"d = {paired.cohen_d:.2f}); matched CV per layer: "
        + ", ".join(f"{c:.2f}" if c is not None else "-" for c in cvs))
  for start, layers in summary["settling"].items():
    for name, row in layers.items():
      print(f"{start:>18} {name}: CV {row['cv_start_mean']:.2f} -> "
            f"{row['cv_final_mean']:.2f}; settled in {row['settled_seeds']}/"
            f"{row['seeds']} seeds after "
            f"{row['updates_to_settle_mean'] if row['updates_to_settle_mean'] is not None else '-'}"
            " updates (mean)")


if __name__ == "__main__":
  cli.main(sys.argv, body)
