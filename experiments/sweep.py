"""Runs a study: a grid over any config fields, grouped into shared programs.

  python -m experiments.sweep --config configs/sweep.py:quick --workdir runs/sweep

Prints how many programs the sweep compiles, trains group by group (rerun the
same command to resume a killed sweep), writes `WORKDIR/results.csv` (one row
per run, seed and epoch) and prints final test accuracy per run.
"""

from __future__ import annotations

import sys

from experiments import cli

cli.define_flags("configs/sweep.py:quick")


def body(flags) -> None:
  from psn_jax import sweep  # after flag parsing: bad flags fail fast
  runs = sweep.grid_from_config(flags.config)
  result = sweep.run(runs, flags.workdir, resume=True, data_dir=flags.data_dir,
                     progress=flags.progress)
  by = ["group", "name"]
  print("final test accuracy (%), mean / std / n over seeds:")
  print(sweep.summarize(result.table, by).round(2).to_string())
  cli.exit_if_diverged(*result.groups.values())


if __name__ == "__main__":
  cli.main(sys.argv, body)
