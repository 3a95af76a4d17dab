#!/usr/bin/env bash
# The GPU runs behind results/gpu/ (one device call):
#   bash benchmarks/gpu_suite.sh OUT
# Needs the datasets in $PSN_DATA_DIR; leaves OUT/gpu_results.tar.gz (JSON,
# figures) and prints every table (the log is results/gpu/gpu_suite.log).
set -uo pipefail
out=${1:-out}; mkdir -p "$out"; work=$(mktemp -d); keep=$(mktemp -d)
export PYTHONUNBUFFERED=1
python3 -c "import jax; print('jax', jax.__version__, jax.devices())"
python3 -m experiments.compare --config configs/compare.py:paper \
    --config.num_seeds=5 --workdir "$work/compare" --noprogress
cp "$work/compare/results.json" "$keep/compare_paper.json"
python3 -m experiments.gradient_hierarchy --config configs/compare.py:gradient \
    --workdir "$work/gradient" --noprogress
cp "$work/gradient/gradient.json" "$work/gradient/gradient_vs_cv.png" "$keep/"
python3 -m experiments.equilibrium --config configs/train.py:rigl \
    --config.num_seeds=5 --workdir "$work/eq" --noprogress
cp "$work/eq/summary.json" "$keep/equilibrium_summary.json"
cp "$work/eq/equilibrium.json" "$work/eq/fan_in_evolution.png" "$keep/"
python3 -m experiments.rigl_starts --config configs/compare.py:starts \
    --workdir "$work/starts" --noprogress
cp "$work/starts/starts.json" "$work/starts/fan_in_cv.png" "$keep/"
python3 -m benchmarks.throughput --seeds 1,2,4,8,16,32,64 --epochs 2 --loop-seeds 1
tar -czf "$out/gpu_results.tar.gz" -C "$keep" .
