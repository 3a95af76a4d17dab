"""Trains S seeds of one masked MLP in one jitted, vmapped program.

  python -m experiments.train --config configs/train.py:quick \
      --config.dataset=mnist --config.num_seeds=2 --workdir runs/quick

Writes `WORKDIR/results.json` (configs, per-seed final test accuracy, per-epoch
history), `WORKDIR/results.npz` (fan-ins, gradient norms, topology records,
mask snapshots; `psn_jax.results.Results.load(WORKDIR)` reads both) and Orbax
checkpoints; `--resume` continues from the
latest checkpoint and ends with the same numbers as an uninterrupted run.
"""

from __future__ import annotations

import sys

from experiments import cli

cli.define_flags("configs/train.py:quick")


def body(flags) -> None:
  from psn_jax import runner  # after flag parsing: bad flags fail fast
  results = runner.run(flags.config, flags.workdir, resume=flags.resume,
                       data_dir=flags.data_dir, progress=flags.progress)
  from psn_jax import tables
  acc = 100 * results.final_test_accuracy.ravel()
  print(f"final test accuracy over {acc.size} seeds: "
        f"{tables.mean_std_cell(acc, '.2f')}%  -> {flags.workdir}/results.json")
  cli.exit_if_diverged(results)


if __name__ == "__main__":
  cli.main(sys.argv, body)
