#!/usr/bin/env bash
# The `cpu` tier of the claims, as committed under results/claims_cpu:
# trains each id (resuming what a killed run left), analyses it, copies its
# claim.json, figure and results.csv to results/claims_cpu/<id>, then
# regenerates results/REPORT.md. Training runs at low priority (nice), so
# the machine stays usable; a rerun only re-analyses finished training.
#
#   experiments/cpu_tier.sh C1 C3 "L3 L4" "B1 B2 B3"     # quoted: one sweep
#   PSN_CPU_TIER_WORKDIR=runs/claims_cpu experiments/cpu_tier.sh D2
#
# Needs PSN_DATA_DIR (MNIST, Fashion-MNIST). One claim takes up to ~40 min
# on 2 idle cores (the wall time of each is in its claim.json).
set -uo pipefail
cd "$(dirname "$0")/.."
workdir="${PSN_CPU_TIER_WORKDIR:-runs/claims_cpu}"
for ids in "$@"; do
  echo "== $(date +%T) $ids"
  # shellcheck disable=SC2086  # "B1 B2 B3": one call, one shared sweep
  nice -n 5 python -m experiments.reproduce $ids --mode cpu \
    --workdir "$workdir" --no-progress --keep-going \
    --publish results/claims_cpu || echo "== $ids failed (rc $?)"
done
python -m experiments.report
