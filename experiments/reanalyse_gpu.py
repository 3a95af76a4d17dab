"""Re-analyses the earlier GPU experiments' JSON through the claim rules.

  python -m experiments.reanalyse_gpu --gpu results/gpu \
      --out results/claims_gpu_archive

Writes `<out>/<id>/claim.json` (mode `full`) for the claims whose numbers the
old files hold (C1, C3, C5; see `psn_jax.claims.archive`), for
`experiments.report --results results/claims_cpu
results/claims_gpu_archive`.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str]) -> int:
  from configs import claims as claims_config
  from psn_jax.claims import archive
  parser = argparse.ArgumentParser(prog="python -m experiments.reanalyse_gpu",
                                   description=__doc__.split("\n")[0])
  parser.add_argument("--gpu", default="results/gpu",
                      help="folder of the old GPU JSON files")
  parser.add_argument("--out", default="results/claims_gpu_archive")
  args = parser.parse_args(argv[1:])
  if not os.path.isdir(args.gpu):
    parser.error(f"--gpu must be a folder, got {args.gpu!r}")
  for claim_id in archive.SOURCES:
    doc = archive.reanalyse(claims_config.get(claim_id), args.gpu, args.out)
    print(f"{claim_id}: {doc['verdict']}: {doc['reason']}")
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
