"""Compares mask configurations over seeds: one program, one table.

  python -m experiments.compare --config configs/compare.py:quick --workdir runs/compare

Trains every (variant, seed) pair of `config.variants` (a shorthand for sweep
points, read by `psn_jax.config.points_from_variants`) in one jitted,
vmapped program, prints test accuracy mean and std per variant, and writes
`WORKDIR/results.json`, `WORKDIR/results.npz` and `WORKDIR/table.txt`.
"""

from __future__ import annotations

import os
import sys

from experiments import cli

cli.define_flags("configs/compare.py:quick")


def body(flags) -> None:
  from psn_jax import stats, utils
  config = flags.config
  results = cli.run_variants(flags)
  table = stats.summary_table(results.accuracy_by_name())
  utils.write_text_atomic(os.path.join(flags.workdir, "table.txt"), table + "\n")
  print(f"{config.dataset}, {config.num_seeds} seeds, {config.num_epochs} epochs, "
        f"hidden {tuple(config.hidden)}: final test accuracy (%)")
  print(table)
  print(f"-> {os.path.join(flags.workdir, 'table.txt')} (this table), "
        f"results.json and results.npz (every run, per epoch: "
        f"psn_jax.results.Results.load)")
  cli.exit_if_diverged(results)


if __name__ == "__main__":
  cli.main(sys.argv, body)
