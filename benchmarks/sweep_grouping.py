"""Wall time of a sweep grouped into shared programs against one program per run.

  python -m benchmarks.sweep_grouping --config topologies --out benchmarks/results/sweep_grouping_cpu.json

Runs the study of `configs/sweep.py:<config>` twice from scratch: as
`psn_jax.sweep.run` groups it (runs that share shapes and static settings in
one vmapped program), and with every run in its own program
(`runner.run_group` per run). Prints a table and writes JSON with the command,
device and versions. Both include data loading, compilation and training.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import jax

from configs import sweep as sweep_configs
from psn_jax import runner
from psn_jax import sweep
from psn_jax import utils


def main(argv=None) -> None:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--config", default="topologies", choices=sweep_configs.NAMES)
  p.add_argument("--data_dir", default=None)
  p.add_argument("--out", default=None, help="JSON output path")
  args = p.parse_args(argv)
  runs = sweep.grid_from_config(sweep_configs.get_config(args.config))
  groups = sweep.plan(runs)
  scratch = tempfile.mkdtemp(prefix="sweep-bench-")
  try:
    t0 = time.perf_counter()
    grouped = sweep.run(runs, os.path.join(scratch, "grouped"), resume=False,
                        data_dir=args.data_dir, progress=False)
    t_grouped = time.perf_counter() - t0
    t0 = time.perf_counter()
    data_cache = {}
    for i, r in enumerate(runs):
      key = r.config.dataset
      if key not in data_cache:
        data_cache = {key: runner.load_data(r.config, args.data_dir)}
      runner.run_group([r.config], [r.name], os.path.join(scratch, f"r{i}"),
                       data=data_cache[key], progress=False)
    t_single = time.perf_counter() - t0
  finally:
    shutil.rmtree(scratch, ignore_errors=True)
  n_models = len(grouped.table.groupby(["run"]))
  row = {"config": args.config, "runs": len(runs), "models": n_models,
         "programs_grouped": len(groups), "programs_single": len(runs),
         "wall_s_grouped": round(t_grouped, 2),
         "wall_s_single": round(t_single, 2),
         "speedup": round(t_single / t_grouped, 2)}
  print(f"{'layout':<22} {'programs':>8} {'wall (s)':>9}")
  print(f"{'grouped (sweep.run)':<22} {len(groups):>8} {t_grouped:>9.1f}")
  print(f"{'one program per run':<22} {len(runs):>8} {t_single:>9.1f}")
  print(f"{len(runs)} runs, {n_models} models (runs x seeds); "
        f"speedup {row['speedup']}x")
  if args.out:
    utils.write_json_atomic(args.out, {
        "command": "python -m benchmarks.sweep_grouping " + " ".join(
            sys.argv[1:] if argv is None else argv),
        "device": jax.devices()[0].device_kind, "backend": jax.default_backend(),
        "jax": jax.__version__, **row})


if __name__ == "__main__":
  main()
