"""RigL's fan-in equilibrium, and RigL started from it (PSN, Tomczak 2026).

  python -m experiments.equilibrium --config configs/train.py:rigl \
      --config.num_seeds=5 --workdir runs/equilibrium

Stage 1 trains RigL from ERK and from uniform layers (both with the uniform
fan-in profile; every seed and both starts in one program), tracks each
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


def run_records(results: dict, variant_index: int, seed_index: int):
  """Per-layer records and final fan-ins of one (variant, seed) of a run."""
  topo = results["topology"]
  names = cli.layer_order(topo["records"])
  records = []
  for name in names:
    layer = topo["records"][name]
    records.append({
        "steps": topo["steps"],
        "fan_in_cv": layer["fan_in_cv"][variant_index][seed_index],
        "fan_in_hist": layer["fan_in_hist"][variant_index][seed_index],
    })
  final = [np.asarray(f[variant_index][seed_index])
           for f in results["final_fan_ins"]]
  return names, records, final


def settle_summary(results: dict, variant_index: int, record_every: int) -> dict:
  """Per layer: updates until the fan-in CV settled, and the CV it settled at,
  over seeds (mean, and how many seeds settled)."""
  from psn_jax import equilibrium
  n_seeds = len(results["seeds"])
  per_layer: dict[str, dict] = {}
  for s in range(n_seeds):
    names, records, _ = run_records(results, variant_index, s)
    for name, rec in zip(names, records):
      res = equilibrium.settling(rec["steps"], rec["fan_in_cv"], rec["fan_in_hist"])
      row = per_layer.setdefault(name, {"updates": [], "cv": [], "cv_start": [],
                                        "settled": 0})
      row["cv_start"].append(float(rec["fan_in_cv"][0]))
      row["cv"].append(float(rec["fan_in_cv"][-1]))
      if res.settled:
        row["settled"] += 1
        row["updates"].append(int(res.index) * record_every)
  return {name: {"settled_seeds": row["settled"], "seeds": n_seeds,
                 "updates_to_settle_mean": (float(np.mean(row["updates"]))
                                            if row["updates"] else None),
                 "cv_start_mean": float(np.mean(row["cv_start"])),
                 "cv_final_mean": float(np.mean(row["cv"]))}
          for name, row in per_layer.items()}


def _plot_first_layer(results: dict, config, path: str) -> None:
  """Fan-in histogram over the run, first layer, ERK start, first seed."""
  from psn_jax import data, plots, tracking
  names, records, _ = run_records(results, 0, 0)
  ax = plots.fan_in_evolution({
      "hist": np.asarray(records[0]["fan_in_hist"]),
      "bin_edges": tracking.fan_in_histogram_edges(
          data.input_dim(config.dataset), config.track.hist_bins),
      "steps": np.asarray(records[0]["steps"]),
      "cv": np.asarray(records[0]["fan_in_cv"])}, log=True)
  ax.set_title(f"RigL from ERK, {names[0]}, seed {results['seeds'][0]}")
  plots.save(ax, path)


def body(flags) -> None:
  from psn_jax import equilibrium, runner, stats, utils
  config, workdir = flags.config, flags.workdir
  if config.dst.algorithm != "rigl":
    raise ValueError(f"dst.algorithm must be rigl for this experiment, got "
                     f"{config.dst.algorithm!r}")
  common = dict(resume=flags.resume, data_dir=flags.data_dir,
                progress=flags.progress)
  starts = [runner.Variant("erk", config.sparsity, distribution="erk"),
            runner.Variant("uniform", config.sparsity, distribution="uniform")]
  stage1 = runner.run(config, os.path.join(workdir, "stage1"), variants=starts,
                      **common)
  artifacts = []
  for s in range(config.num_seeds):
    names, records, final = run_records(stage1, 0, s)
    artifacts.append(equilibrium.equilibrium_artifact(records, final, names))
  pooled = equilibrium.pool_artifacts(artifacts)
  equilibrium.save_artifact(os.path.join(workdir, "equilibrium.json"), pooled)
  cvs = equilibrium.matched_cvs(pooled)

  matched = runner.Variant("lognormal_matched", config.sparsity,
                           distribution="erk", profile="lognormal",
                           cv=tuple(cvs))
  stage2 = runner.run(config, os.path.join(workdir, "stage2"), variants=[matched],
                      **common)

  acc = {"rigl_from_erk": stage1["final_test_accuracy"]["erk"],
         "rigl_from_uniform": stage1["final_test_accuracy"]["uniform"],
         "rigl_from_lognormal_matched":
             stage2["final_test_accuracy"]["lognormal_matched"]}
  paired = stats.paired_comparison(acc["rigl_from_lognormal_matched"],
                                   acc["rigl_from_erk"])
  every = config.track.record_every
  summary = {
      "final_test_accuracy": acc,
      "matched_cv_per_layer": cvs,
      "lognormal_vs_erk_paired": paired._asdict(),
      "settling": {"erk": settle_summary(stage1, 0, every),
                   "uniform": settle_summary(stage1, 1, every),
                   "lognormal_matched": settle_summary(stage2, 0, every)},
  }
  utils.write_json_atomic(os.path.join(workdir, "summary.json"), summary)
  _plot_first_layer(stage1, config, os.path.join(workdir, "fan_in_evolution.png"))
  print(stats.summary_table(acc))
  print(f"lognormal(matched) - ERK, paired over {paired.n} seeds: "
        f"{100 * paired.mean_diff:+.2f}% (t = {paired.t:.2f}, p = {paired.p:.3f}, "
        f"d = {paired.cohen_d:.2f}); matched CV per layer: "
        + ", ".join(f"{c:.2f}" if c is not None else "-" for c in cvs))
  for start, layers in summary["settling"].items():
    for name in cli.layer_order(layers):
      row = layers[name]
      print(f"{start:>18} {name}: CV {row['cv_start_mean']:.2f} -> "
            f"{row['cv_final_mean']:.2f}; settled in {row['settled_seeds']}/"
            f"{row['seeds']} seeds after "
            f"{row['updates_to_settle_mean'] if row['updates_to_settle_mean'] is not None else '-'}"
            " updates (mean)")


if __name__ == "__main__":
  cli.main(sys.argv, body)
