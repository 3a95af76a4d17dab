"""Topology of every mask source, untrained: one row per source, mean +- std.

  python -m experiments.topology_table --out results/topology_table.md --seeds 5

Every source of `masks.SOURCES` as in `configs/compare.py:sources` (uniform
budgets at 90%, class layer dense, default CVs): 784-300-100-10 masks of seeds
0..S-1 (`networks.source_networks`) through `topology.summary`: per sparse layer
l, the headline per-layer measures of `topology.MEASURES` (fan-in CV,
normalized spectral gap, lambda_2, forward scatter on 4x4 input patches,
windows of 8); dead neurons; Dey's scatter (min of the 2J + 2 values);
layer-0 NNSTD over seed pairs (`topology.nnstd_matrix`) beside the random-mask
baseline of `shared/research/topology-metrics.md` 1.6 (about 0.89 for two
independent 1000x1000 layers at 10%), re-measured here.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from psn_jax import graphs, models, networks, tables, topology, utils

NOTE_NNSTD = 0.89  # topology-metrics.md 1.6


def measure(seeds: int, n_in: int = 784, hidden: tuple[int, ...] = (300, 100),
            sparsity: float = 0.9, input_shape: tuple[int, int] = (28, 28),
            window: tuple[int, int] = (4, 4), baseline_size: int = 1000):
  """(frame: a row per source, per-seed lists; {source: error}; baseline NNSTDs)."""
  params = jax.eval_shape(models.MLP(hidden=tuple(hidden), num_classes=10).init,
                          jax.random.key(0), jnp.zeros((1, n_in)))["params"]
  nets = [networks.source_networks(jax.random.key(s), params, sparsity=sparsity,
                                   dense_last=True) for s in range(seeds)]
  pairs = np.triu_indices(seeds, 1)
  per_layer = [(topology.MEASURES[k].label, k)
               for k in topology.measures.headline()]
  rows, skipped = [], {k: v for k, v in nets[0].items() if isinstance(v, str)}
  for net in nets:
    for name in (k for k in net if k not in skipped):
      m = topology.summary(net[name], input_shape=input_shape, window=window)
      rows.append({"source": name, **{f"{c} L{l}": m[k][l] for l in range(len(hidden))
                                      for c, k in per_layer},
                   "dead": m["dead"].sum(), "scatter": m["scatter"]})
  df = pd.DataFrame(rows).groupby("source", sort=False).agg(list).reset_index()
  df["NNSTD L0"] = [topology.nnstd_matrix([n[s] for n in nets], layer=0,
                                          symmetric=True)[pairs] for s in df.source]
  ref = [graphs.erdos_renyi(jax.random.key(s), baseline_size, baseline_size,
                            density=1 - sparsity) for s in range(seeds)]
  baseline = topology.nnstd_matrix(ref, permute_outputs=True, symmetric=True)[pairs]
  return df, skipped, baseline


def main(argv: list[str] | None = None) -> None:
  argv = sys.argv[1:] if argv is None else argv
  parser = argparse.ArgumentParser(prog="python -m experiments.topology_table")
  parser.add_argument("--out", required=True, help="Markdown output path.")
  parser.add_argument("--seeds", type=int, default=5, help="Seeds (>= 2).")
  args = parser.parse_args(argv)
  if args.seeds < 2:
    print(f"error: --seeds must be >= 2 (NNSTD needs pairs), got {args.seeds}",
          file=sys.stderr)
    raise SystemExit(2)
  start = time.perf_counter()
  df, skipped, baseline = measure(args.seeds)
  command = shlex.join(["python", "-m", "experiments.topology_table", *argv])
  text = "\n\n".join([
      "# Topology of every mask source: 784-300-100-10 at 90%, class layer dense",
      f"`{command}` (CPU, {time.perf_counter() - start:.0f} s). Mean ± std over "
      f"seeds 0..{args.seeds - 1} (NNSTD: over seed pairs; a lone number: std "
      "below the last digit). Columns: `experiments/topology_table.py`.",
      tables.markdown_table(df, fmt={"dead": ".1f"}),
      f"Random-mask NNSTD baseline (independent 1000x1000 Erdos-Renyi layers at "
      f"10%, hidden neurons matched): {tables.mean_std_cell(baseline, '.4f')}; "
      f"topology-metrics.md 1.6: about {NOTE_NNSTD}.",
      *[f"Not built: {k}: {v}" for k, v in skipped.items()]]) + "\n"
  utils.write_text_atomic(args.out, text)
  print(text, end="")


if __name__ == "__main__":
  main()
