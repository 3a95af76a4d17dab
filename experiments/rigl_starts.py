"""Does RigL drive every start to the same fan-in distribution? (PSN)

  python -m experiments.rigl_starts --config configs/compare.py:starts \
      --workdir runs/starts

Trains RigL with a constant drop fraction through all of training (so updates
never shrink to zero and any settling is the topology's, not the schedule's)
from several starts that share the ERK layer budgets: the equal-fan-in profile,
random placement (RigL's ERK start), and PSN profiles from CV 0.5 to 1.5. Every start and seed runs in
one program. Prints, per layer, each start's fan-in CV at the start, after
each quarter of the updates and at the end, writes `WORKDIR/starts.json` and
plots the CV trajectories to `WORKDIR/fan_in_cv.png`.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from experiments import cli

cli.define_flags("configs/compare.py:starts")


def body(flags) -> None:
  from matplotlib.figure import Figure
  from psn_jax import plots, stats, utils
  config = flags.config
  variants, results = cli.run_variants(flags)
  layers = results.layers
  updates = np.arange(len(results.record_steps)) * config.track.record_every
  accuracy = results.accuracy_by_name()
  summary = {}
  fig = Figure(figsize=(5 * len(layers), 3.6))
  axes = fig.subplots(1, len(layers))
  for ax, name in zip(np.atleast_1d(axes), layers):
    cv = np.asarray(results.records[name]["fan_in_cv"])  # [variant, seed, record]
    for v, variant in enumerate(variants):
      mean, _ = stats.mean_std(cv[v])                    # over seeds
      _, final_std = stats.mean_std(cv[v][:, -1])
      ax.plot(updates, mean, label=variant.name)
      quarters = [int(q * (len(mean) - 1)) for q in (0, 0.25, 0.5, 0.75, 1)]
      summary.setdefault(name, {})[variant.name] = {
          "updates": [int(updates[q]) for q in quarters],
          "cv_mean": [float(mean[q]) for q in quarters],
          "cv_final_std_over_seeds": float(final_std),
          "test_accuracy": float(np.mean(accuracy[variant.name]))}
    ax.set(title=name, xlabel="RigL updates", ylabel="fan-in CV")
  np.atleast_1d(axes)[0].legend(fontsize=7)
  plots.save(fig, os.path.join(flags.workdir, "fan_in_cv.png"))
  utils.write_json_atomic(os.path.join(flags.workdir, "starts.json"), summary)
  for name, per_start in summary.items():
    print(f"{name}: fan-in CV at updates {next(iter(per_start.values()))['updates']}")
    for start, row in per_start.items():
      cvs = " ".join(f"{c:5.2f}" for c in row["cv_mean"])
      print(f"  {start:>16}: {cvs}   (acc {100 * row['test_accuracy']:.2f}%)")


if __name__ == "__main__":
  cli.main(sys.argv, body)
