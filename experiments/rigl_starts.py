"""Does RigL drive every start to the same fan-in distribution? (PSN)

  python -m experiments.rigl_starts --config configs/compare.py:starts \
      --workdir runs/starts

Trains RigL with a constant drop fraction through all of training (so updates
never shrink to zero and any settling is the topology's, not the schedule's)
from several starts that share the ERK layer budgets: the equal-fan-in profile,
random placement (RigL's ERK start), and PSN profiles from CV 0.5 to 1.5. Every
start and seed runs in one program. Prints, per layer, each start's fan-in CV
(mean over seeds) at the start, after each quarter of the updates and at the
end (`equilibrium.cv_trajectories`), writes `WORKDIR/starts.json` and plots the
CV trajectories to `WORKDIR/fan_in_cv.png` (`plots.fan_in_cv_trajectories`).
"""

from __future__ import annotations

import os
import sys

from experiments import cli

cli.define_flags("configs/compare.py:starts")


def body(flags) -> None:
  from psn_jax import equilibrium, plots, stats, utils
  results = cli.run_variants(flags)
  cvs = {layer: results.records[layer]["fan_in_cv"] for layer in results.layers}
  every = flags.config.track.record_every
  summary = equilibrium.cv_trajectories(cvs, results.names, every)
  for per_start in summary.values():
    for name, row in per_start.items():
      row["test_accuracy"] = float(stats.mean_std(results.accuracy_by_name()[name])[0])
  plots.save(plots.fan_in_cv_trajectories(cvs, results.names, every),
             os.path.join(flags.workdir, "fan_in_cv.png"))
  utils.write_json_atomic(os.path.join(flags.workdir, "starts.json"), summary)
  for layer, per_start in summary.items():
    print(f"{layer}: fan-in CV at updates {next(iter(per_start.values()))['updates']}")
    for start, row in per_start.items():
      cvs_text = " ".join(f"{c:5.2f}" for c in row["cv_mean"])
      print(f"  {start:>16}: {cvs_text}   (acc {100 * row['test_accuracy']:.2f}%)")
  cli.exit_if_diverged(results)


if __name__ == "__main__":
  cli.main(sys.argv, body)
