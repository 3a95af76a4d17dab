"""Builds results/REPORT.md from the claim.json files of `experiments.reproduce`.

  python -m experiments.report --results results/claims_cpu \
      results/claims_gpu_archive --out results/REPORT.md

Every claim id of `configs/claims.py` gets a row per mode found (GPU, CPU
test tier, quick demo) and a section; a claim without any
`<results>/<id>/claim.json` is marked "not run". The text depends on the
files only, so running the command twice gives the same file.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str]) -> int:
  from configs import claims as claims_config
  from psn_jax import report, utils
  parser = argparse.ArgumentParser(prog="python -m experiments.report",
                                   description=__doc__.split("\n")[0])
  parser.add_argument("--results", nargs="+",
                      default=["results/claims_cpu",
                               "results/claims_gpu_archive"],
                      help="folders holding <id>/claim.json (several: one "
                      "summary row per claim and mode)")
  parser.add_argument("--out", default="results/REPORT.md")
  parser.add_argument("ids", nargs="*", help="claim ids (default: all)")
  args = parser.parse_args(argv[1:])
  try:
    specs = [claims_config.get(i) for i in (args.ids or claims_config.ALL)]
  except ValueError as err:
    parser.error(str(err))
  for d in args.results:
    if not os.path.isdir(d):
      parser.error(f"--results must be folders, got {d!r}")
  command = (f"python -m experiments.report --results "
             f"{' '.join(args.results)} --out {args.out}"
             + (" " + " ".join(args.ids) if args.ids else ""))
  text = report.render(args.results, specs, args.out, command)
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
  utils.write_text_atomic(args.out, text)
  docs = {s.id: report.load_claim(args.results[0], s.id) for s in specs}
  print(f"{args.out}: " + ", ".join(
      f"{k} {v}" for k, v in report.verdict_counts(docs).items()))
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
