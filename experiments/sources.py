"""Every mask source trained at one density: accuracy beside its topology.

  python -m experiments.sources --config configs/compare.py:sources --workdir runs/sources

Trains every variant of the config (by default every mask source of
`psn_jax.masks.SOURCES` at 90%, one program), then measures each source's
initial masks per seed with the headline per-layer measures of
`psn_jax.topology.MEASURES` at layer 0 (fan-in CV, normalized spectral gap,
lambda_2, forward scatter on 4x4 pixel windows) and writes
`WORKDIR/sources.md` and `WORKDIR/sources.csv`: mean +- std over seeds of
each.
"""

from __future__ import annotations

import os
import sys

from experiments import cli

cli.define_flags("configs/compare.py:sources")


def body(flags) -> None:
  import pandas as pd
  from psn_jax import tables, topology, utils
  columns = [(name, f"{topology.MEASURES[name].label} L0")
             for name in topology.measures.headline()]
  results = cli.run_variants(flags)
  first = int(results.snapshot_epochs[0]) if len(results.snapshot_epochs) else None
  if first != 0:
    raise ValueError("track.snapshot_every must be > 0 (the initial masks are "
                     "measured from snapshot 0)")
  rows = []
  for v, name in enumerate(results.names):
    for s, seed in enumerate(results.seeds):
      net = topology.Network(results.mask_snapshot(v, s, 0))
      rows.append({"source": name, "seed": seed,
                   "test_accuracy": 100 * results.final_test_accuracy[v, s],
                   **{k: float(topology.MEASURES[k].values(net)[0])
                      for k, _ in columns}})
  df = pd.DataFrame(rows)
  per_source = df.drop(columns="seed").groupby("source", sort=False).agg(list)
  table = tables.markdown_table(
      per_source.reset_index(),
      [("source", "source"), ("test_accuracy", "test acc. (%)")] +
      columns, fmt={"test_accuracy": ".2f"})
  config = flags.config
  header = (f"{config.dataset}, hidden {tuple(config.hidden)}, "
            f"{len(results.seeds)} seeds, {config.num_epochs} epochs, "
            f"{results.meta['device']}, {results.meta['wall_time_s']:.0f} s")
  text = header + "\n\n" + table + "\n"
  utils.write_text_atomic(os.path.join(flags.workdir, "sources.md"), text)
  utils.write_text_atomic(os.path.join(flags.workdir, "sources.csv"),
                          df.to_csv(index=False))
  print(text)


if __name__ == "__main__":
  cli.main(sys.argv, body)
