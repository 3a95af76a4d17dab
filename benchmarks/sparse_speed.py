"""Inference time and memory of masked dense vs sparse execution (issue 22).

Workload: MLP 784-W-W-10, uniformly random masks at density d in the two
hidden-layer junctions (class layer dense), batch B of random inputs; every
layout of `psn_jax.sparse_exec` (masked dense stored dense, gather by
fan-in, BCOO) jitted and timed with paired, interleaved repeats after a
warm-up (`psn_jax.sparse_timing.time_grid`; compilation excluded). Prints
one line per (width, density): the median time of each layout, its speed-up
over dense, the stored MiB and XLA's temporary MiB; then, per width and
layout, the density at which sparse execution first beats masked dense (it
wins there and at every lower density measured).

  python -m benchmarks.sparse_speed                                # CPU grid
  python -m benchmarks.sparse_speed --widths 1024 4096 16384 --out benchmarks/results/sparse_speed_gpu.json

Claim B4 (`python -m experiments.reproduce B4 --mode cpu`) runs the same
measurement and judges it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

import jax

from psn_jax import sparse_exec
from psn_jax import sparse_timing
from psn_jax import utils

DENSITIES = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.001)


def table(rows: list[dict]) -> str:
  """The grid as fixed-width text, one line per (width, density)."""
  lines = [f"{'width':>6} {'density':>8} " + " ".join(
      f"{lay + ' ms':>11} {'x':>5} {'MiB':>7} {'tmp MiB':>8}"
      for lay in sparse_exec.LAYOUTS)]
  keys = sorted({(r["width"], r["density"]) for r in rows},
                key=lambda k: (k[0], -k[1]))
  by = {(r["width"], r["density"], r["layout"]): r for r in rows}
  for w, d in keys:
    dense = by[(w, d, "dense")]["median_s"]
    cells = []
    for lay in sparse_exec.LAYOUTS:
      r = by.get((w, d, lay))
      if r is None:
        cells.append(" " * 34)
        continue
      tmp = "-" if r["temp_bytes"] is None else f"{r['temp_bytes'] / 2**20:8.2f}"
      cells.append(f"{1e3 * r['median_s']:11.3f} {dense / r['median_s']:5.2f} "
                   f"{r['stored_bytes'] / 2**20:7.2f} {tmp:>8}")
    lines.append(f"{w:>6} {d:>8g} " + " ".join(cells))
  return "\n".join(lines)


def main(argv: list[str]) -> int:
  parser = argparse.ArgumentParser(prog="python -m benchmarks.sparse_speed",
                                   description=__doc__.split("\n")[0])
  parser.add_argument("--widths", type=int, nargs="+", default=[1024, 4096])
  parser.add_argument("--densities", type=float, nargs="+",
                      default=list(DENSITIES))
  parser.add_argument("--batch", type=int, default=64)
  parser.add_argument("--repeats", type=int, default=15)
  parser.add_argument("--out", default=None, help="write the rows as JSON")
  args = parser.parse_args(argv[1:])
  bad = [d for d in args.densities if not 0 < d <= 1]
  if bad:
    parser.error(f"--densities must be in (0, 1], got {bad[0]!r}")
  if min(args.widths) < 1 or args.batch < 1 or args.repeats < 2:
    parser.error("--widths and --batch must be >= 1, --repeats >= 2")
  rows = sparse_timing.time_grid(args.widths, args.densities,
                                 batch=args.batch, repeats=args.repeats,
                                 progress=True)
  print(table(rows))
  wins = {lay: sparse_timing.first_win(rows, lay) for lay in ("gather", "bcoo")}
  for lay, by_width in wins.items():
    for w, d in by_width.items():
      print(f"width {w}: {lay} first beats masked dense at density "
            f"{'never (down to the lowest measured)' if d is None else f'{d:g}'}")
  if args.out:
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    utils.write_json_atomic(args.out, utils.jsonable({
        "rows": rows, "first_win": {k: {str(w): d for w, d in v.items()}
                                    for k, v in wins.items()},
        "device": str(jax.devices()[0]), "platform": platform.platform(),
        "jax": jax.__version__, "argv": argv[1:]}))
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
