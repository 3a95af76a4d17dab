"""Reruns one claim of the four seed papers (or several) as a sweep.

  python -m experiments.reproduce C5 --mode cpu --workdir runs/claims
  python -m experiments.reproduce --all --workdir $OUT/claims        # full, GPU
  python -m experiments.reproduce L3 L4 B1 B2 B3 --mode quick --workdir runs/demo

Ids: C1 C1R C2 C3 C4 C5 C6 L2 L3 L4 L5 D2 D3 B1 B2 B3 B4 atlas
(`configs/claims.py`; B4 trains nothing: it times inference).
L3 and L4 share one sweep (the ten nearly identical SET starts), as do B1, B2
and B3 (the graph-family grid): the second id reuses the first's training.
Each id writes WORKDIR/<id>/claim.json, <id>.png and results.csv; a rerun
resumes finished training and only re-analyses. `--train-only` skips the
analysis (run it again without the flag, e.g. on a CPU, to analyse).
`--toy` is the tests' size (seconds). `--publish DIR` copies each analysed
claim's files to DIR/<id> (the committed tier: `experiments/cpu_tier.sh`).
Build the report with `python -m experiments.report --results WORKDIR`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import traceback


def main(argv: list[str]) -> int:
  from configs import claims as claims_config
  parser = argparse.ArgumentParser(prog="python -m experiments.reproduce",
                                   description=__doc__.split("\n")[0])
  parser.add_argument("ids", nargs="*", help="claim ids (" + " ".join(
      claims_config.ALL) + ")")
  parser.add_argument("--all", action="store_true", help="every claim id")
  size = parser.add_mutually_exclusive_group()
  size.add_argument("--mode", choices=claims_config.MODES, default=None,
                    help="toy: the tests (seconds); quick: a demo, not a "
                    "test (minutes); cpu: the test on 2 CPU cores (<= ~40 "
                    "min a claim); full: a GPU (default)")
  size.add_argument("--quick", action="store_true", help="= --mode quick")
  size.add_argument("--toy", action="store_true", help="= --mode toy")
  parser.add_argument("--workdir", required=True)
  parser.add_argument("--data_dir", default=None)
  parser.add_argument("--train-only", action="store_true")
  parser.add_argument("--no-progress", action="store_true")
  parser.add_argument("--keep-going", action="store_true",
                      help="after a failing id, go on with the next")
  parser.add_argument("--publish", default=None, metavar="DIR",
                      help="copy each analysed claim's claim.json, figure "
                      "and results.csv to DIR/<id> (e.g. results/claims_cpu)")
  args = parser.parse_args(argv[1:])
  ids = list(claims_config.ALL) if args.all else args.ids
  if not ids:
    parser.error("give claim ids or --all")
  if args.publish is not None and args.train_only:
    parser.error("--publish needs the analysis: drop --train-only")
  try:
    specs = [claims_config.get(i) for i in ids]
  except ValueError as err:
    parser.error(str(err))
  mode = args.mode or ("toy" if args.toy else (
      "quick" if args.quick else "full"))
  from psn_jax import checkpoint, claims
  failed = []
  for spec in specs:
    command = " ".join(["python -m experiments.reproduce", spec.id]
                       + ([] if mode == "full" else ["--mode", mode])
                       + ["--workdir", shlex.quote(args.workdir)])
    print(f"== {spec.id}: {spec.title} ({mode})", flush=True)
    try:
      doc = claims.reproduce(spec, mode, args.workdir, data_dir=args.data_dir,
                             command=command, progress=not args.no_progress,
                             train_only=args.train_only)
    except checkpoint.WorkdirBusyError as err:   # one line, not a traceback
      print(f"error: {err}", file=sys.stderr)
      if not args.keep_going:
        return 2
      failed.append(spec.id)
      continue
    except Exception:  # pylint: disable=broad-except
      if not args.keep_going:
        raise
      traceback.print_exc()
      failed.append(spec.id)
      continue
    if doc is not None:
      print(f"{spec.id}: {doc['verdict']}: {doc['reason']}", flush=True)
      print(f"  -> {os.path.join(args.workdir, spec.id, claims.CLAIM_FILE)}")
      if args.publish is not None:
        claims.copy_claim(os.path.join(args.workdir, spec.id),
                          os.path.join(args.publish, spec.id))
        print(f"  -> {os.path.join(args.publish, spec.id)}/")
  if failed:
    print(f"failed: {' '.join(failed)}", file=sys.stderr)
    return 1
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
