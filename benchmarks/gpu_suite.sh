#!/usr/bin/env bash
# The GPU runs behind results/ and benchmarks/results/ (one device call).
# Needs the datasets in $PSN_DATA_DIR; writes logs and JSON to $1 (default out/).
set -uo pipefail
out=${1:-out}; mkdir -p "$out"; work=$(mktemp -d)
export PYTHONUNBUFFERED=1
python3 -c "import jax; print('jax', jax.__version__, jax.devices())"
python3 -m experiments.compare --config configs/compare.py:paper \
    --config.num_seeds=5 --workdir "$work/compare" --noprogress
cp "$work/compare/results.json" "$out/compare_paper.json"
python3 -m experiments.gradient_hierarchy --config configs/compare.py:gradient \
    --workdir "$work/gradient" --noprogress
cp "$work/gradient/gradient.json" "$out/gradient.json"
cp "$work/gradient/gradient_vs_cv.png" "$out/gradient_vs_cv.png"
python3 -m experiments.equilibrium --config configs/train.py:rigl \
    --config.num_seeds=5 --workdir "$work/eq" --noprogress
cp "$work/eq/summary.json" "$out/equilibrium_summary.json"
cp "$work/eq/equilibrium.json" "$out/equilibrium.json"
python3 -m benchmarks.throughput --seeds 1,2,4,8,16,32,64 --epochs 2 --loop-seeds 1
