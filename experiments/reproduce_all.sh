#!/usr/bin/env bash
# Every claim in sequence (full size: the GPU). Usage:
#   experiments/reproduce_all.sh WORKDIR [--quick] [--train-only] [ids...]
# then: python -m experiments.report --results WORKDIR --out WORKDIR/REPORT.md
set -euo pipefail
workdir="${1:?usage: experiments/reproduce_all.sh WORKDIR [flags] [ids]}"
shift
flags=()
ids=()
for a in "$@"; do
  case "$a" in --*) flags+=("$a") ;; *) ids+=("$a") ;; esac
done
if [ ${#ids[@]} -eq 0 ]; then
  python -m experiments.reproduce --all --keep-going --no-progress \
    --workdir "$workdir" "${flags[@]}"
else
  python -m experiments.reproduce "${ids[@]}" --keep-going --no-progress \
    --workdir "$workdir" "${flags[@]}"
fi
python -m experiments.report --results "$workdir" --out "$workdir/REPORT.md"
