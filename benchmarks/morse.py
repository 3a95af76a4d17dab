"""Benchmark of the Morse dataset generator (Dey et al. 2018), a table of times.

Generates the baseline and the difficult variant at a tenth of the full size
(500/100/100 samples per class, 44,800 frames) and at the full size
(7000/1000/1000, 448,000 frames), `--repeats` times each, and prints the
median wall-clock seconds and frames per second. Budget (ours): the full
difficult set in under 10 s on one CPU core. Nothing is asserted; the unit
tests check the content of the frames, this script their speed.

Usage:
  python -m benchmarks.morse [--repeats 3] [--seed 0] [--tenth-only]
"""

from __future__ import annotations

import argparse
import statistics
import time

from psn_jax import morse


def _parse() -> argparse.Namespace:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--repeats", type=int, default=3)
  p.add_argument("--seed", type=int, default=0)
  p.add_argument("--tenth-only", action="store_true",
                 help="skip the full-size sets")
  return p.parse_args()


def main() -> None:
  args = _parse()
  sizes = [("tenth", (500, 100, 100))]
  if not args.tenth_only:
    sizes.append(("full", (7000, 1000, 1000)))
  print(f"{'set':>6} {'variant':>9} {'frames':>8} {'median s':>9} {'frames/s':>10}")
  for name, size in sizes:
    for difficult in (False, True):
      times = []
      for _ in range(args.repeats):
        start = time.perf_counter()
        d = morse.generate(seed=args.seed, difficult=difficult, sizes=size)
        times.append(time.perf_counter() - start)
      frames = sum(len(y) for _, y in d.values())
      med = statistics.median(times)
      variant = "difficult" if difficult else "baseline"
      print(f"{name:>6} {variant:>9} {frames:>8} {med:9.3f} {frames / med:10.0f}")


if __name__ == "__main__":
  main()
