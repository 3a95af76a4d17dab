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

Writes `stage1/`, `stage2/` (Results), `equilibrium.json`, `summary.json` and
`fan_in_evolution.png` under WORKDIR and prints `equilibrium.summary_text`.
"""

from __future__ import annotations

import os
import sys

from experiments import cli

cli.define_flags("configs/train.py:rigl")


def body(flags) -> None:
  from psn_jax import equilibrium, plots, runner, stats, utils
  config, workdir = flags.config, flags.workdir
  if config.dst.algorithm != "rigl":
    raise ValueError(f"dst.algorithm must be rigl for this experiment, got "
                     f"{config.dst.algorithm!r}")
  common = dict(resume=flags.resume, data_dir=flags.data_dir,
                progress=flags.progress)
  def pool(r, name):  # one start's per-seed artifacts, pooled
    return equilibrium.pool_artifacts(equilibrium.seed_artifacts(
        r.records, r.record_steps, r.fan_ins, r.index(name)))
  stage1 = runner.run(config, os.path.join(workdir, "stage1"), variants=[
      {"name": "erk", "distribution": "erk", "profile": "random"},
      {"name": "uniform", "distribution": "uniform", "profile": "random"}],
                      **common)
  pooled = {name: pool(stage1, name) for name in ("erk", "uniform")}
  equilibrium.save_artifact(os.path.join(workdir, "equilibrium.json"), pooled["erk"])
  cvs = equilibrium.matched_cvs(pooled["erk"])
  stage2 = runner.run(config, os.path.join(workdir, "stage2"), variants=[
      {"name": "lognormal_matched", "distribution": "erk",
       "profile": "lognormal", "cv": tuple(cvs)}], **common)
  pooled["lognormal_matched"] = pool(stage2, "lognormal_matched")

  acc1, acc2 = stage1.accuracy_by_name(), stage2.accuracy_by_name()
  acc = {"rigl_from_erk": acc1["erk"], "rigl_from_uniform": acc1["uniform"],
         "rigl_from_lognormal_matched": acc2["lognormal_matched"]}
  paired = stats.paired_comparison(acc["rigl_from_lognormal_matched"],
                                   acc["rigl_from_erk"])
  summary = {
      "final_test_accuracy": acc,
      "matched_cv_per_layer": cvs,
      "lognormal_vs_erk_paired": paired._asdict(),
      "settling": {name: equilibrium.settle_summary(p, config.track.record_every)
                   for name, p in pooled.items()},
  }
  utils.write_json_atomic(os.path.join(workdir, "summary.json"), summary)
  layer = stage1.layers[0]  # first layer, ERK start, first seed
  ax = plots.run_fan_in_evolution(stage1.records[layer], stage1.record_steps,
                                  stage1.layer_shapes[layer][0],
                                  variant=stage1.index("erk"), seed=0)
  ax.set_title(f"RigL from ERK, {layer}, seed {stage1.seeds[0]}")
  plots.save(ax, os.path.join(workdir, "fan_in_evolution.png"))
  print(equilibrium.summary_text(summary))
  cli.exit_if_diverged(stage1, stage2)


if __name__ == "__main__":
  cli.main(sys.argv, body)
