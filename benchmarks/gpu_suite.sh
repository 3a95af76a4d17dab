#!/usr/bin/env bash
# One device call (an H200, 9-minute limit): scale benchmarks of issue 11, then
# the experiment runs the lead adds in the marked section.
#
#   bash benchmarks/gpu_suite.sh OUT                 # on the GPU machine
#   GPU_SUITE_QUICK=1 bash benchmarks/gpu_suite.sh /tmp/suite   # toy sizes (CPU check)
#
# Writes into OUT (flat, at most 8 files):
#   suite.log            everything printed (tables last of each step)
#   scaling.json         seed-epochs/s vs S, widths, devices, precision, baselines
#   scaling.png          seed-epochs/s vs S
#   roofline.json        FLOPs and bytes per step, device peak, our fraction
#   rigl_update.json     RigL update vs plain step, bits per selection pass, before/after
# (three more files are free for the experiments below).
# Data: synthetic for throughput; the experiments read PSN_DATA_DIR (.gpudata).
# Each step has its own time budget, and a failing step does not stop the rest.
set -uo pipefail
out=${1:-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
export PSN_DATA_DIR=${PSN_DATA_DIR:-.gpudata}
export XLA_PYTHON_CLIENT_PREALLOCATE=false   # device peak memory = what we use
py=${PYTHON:-python3}
log="$out/suite.log"
quick=${GPU_SUITE_QUICK:-0}
t_start=$(date +%s)

step() {  # step NAME SECONDS CMD...: run with a wall-clock limit, log, time it
  local name=$1 limit=$2; shift 2
  local t0; t0=$(date +%s)
  echo "=== $name (limit ${limit}s) $(date -u +%H:%M:%S)" | tee -a "$log"
  timeout --signal=INT --kill-after=10 "$limit" "$@" 2>&1 \
    | grep -v -e "Some donated buffers were not usable" | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  echo "=== $name: rc=$rc, $(( $(date +%s) - t0 )) s" | tee -a "$log"
}

# Carried pure-Python wheels (e.g. ml_collections), if the lead brings them.
if [ -d .gpuwheels ]; then
  $py -m pip install -q --no-index --find-links .gpuwheels .gpuwheels/*.whl 2>&1 | tail -2 | tee -a "$log"
fi
step environment 60 bash -c "nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.mem --format=csv 2>/dev/null; \
  $py -c 'import jax, jaxlib, sys; print(sys.version.split()[0], \"jax\", jax.__version__, jaxlib.__version__, jax.devices())'"

if [ "$quick" = 1 ]; then
  scaling_args=(--quick --seeds 1,2 --widths 300-100 --precisions float32 --cond_seeds 1)
  roofline_args=(--quick)
  rigl_args=(--seeds 1 --reps 2 --digit_bits 1,4)
  limits=(600 300 400)
else
  # About 5 minutes in all (each step bounded; JSONs are rewritten after every
  # point, so a step cut short keeps what it measured): S up to 256 for
  # 300-100, 64 for 1000-1000-1000; scaling starts no new point after 100 s.
  scaling_args=(--seeds 1,4,16,32,64,128,256 --max_seeds_wide 64 --steps 100 --epochs 2
                --precision_seeds 64 --cond_seeds 64 --budget_s 75)
  roofline_args=(--hidden 300-100,1000-1000-1000 --seeds 32,256 --max_seeds_wide 32
                 --algorithms none --steps 100 --reps 3)
  rigl_args=(--seeds 64 --reps 10 --digit_bits 4,1)
  limits=(100 40 50)
fi

# 1. Throughput against S, width, devices; precision; Python / PyTorch loops.
step scaling "${limits[0]}" $py -m benchmarks.scaling "${scaling_args[@]}" --out "$out/scaling.json"
# 2. FLOPs and bytes per step against the device peak.
step roofline "${limits[1]}" $py -m benchmarks.roofline "${roofline_args[@]}" --out "$out/roofline.json"
# 3. RigL update vs plain step.
step rigl_update "${limits[2]}" $py -m benchmarks.rigl_update "${rigl_args[@]}" --out "$out/rigl_update.json"
# Figure: seed-epochs/s vs S.
step plot 60 $py - "$out/scaling.json" "$out/scaling.png" <<'EOF'
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
d = json.load(open(sys.argv[1]))
fig, ax = plt.subplots(figsize=(6, 4))
groups = {}
for r in d["rows"]:
  if "error" in r:
    continue
  k = f"{'-'.join(map(str, r['hidden']))} {r['algorithm']} {r['devices']}dev"
  groups.setdefault(k, []).append((r["S"], r["seed_epochs_per_s"]))
for k, pts in sorted(groups.items()):
  pts.sort()
  ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=k)
for b in d.get("baselines", []):
  ax.axhline(b["seed_epochs_per_s"], ls=":", lw=1, color="gray")
ax.set_xscale("log", base=2); ax.set_yscale("log")
ax.set_xlabel("stacked runs S"); ax.set_ylabel("seed-epochs / s (468-step epochs)")
ax.set_title(f"{d['device']} x{d['num_devices']}, jax {d['jax']}")
ax.legend(fontsize=7); fig.tight_layout(); fig.savefig(sys.argv[2], dpi=120)
print("wrote", sys.argv[2])
EOF

# ============================================================================
# EXPERIMENTS (the lead adds runs here). At most 3 more files in "$out"; each
# run through `step NAME LIMIT_S CMD...` so it is timed, logged and bounded.
# The time left for this section is printed first. Example:
#   step compare 180 $py -m experiments.compare --config configs/compare.py:paper \
#       --config.num_seeds=5 --workdir "$work/compare" --noprogress
#   cp "$work/compare/results.json" "$out/compare_paper.json"
echo "=== experiments section starts $(( $(date +%s) - t_start )) s into the suite" | tee -a "$log"
work=$(mktemp -d)
# --- lead: experiment runs below this line ---
# The full claim variants first (training only; the analysis and REPORT.md
# run on a CPU afterwards from the returned archive:
#   tar xzf experiments.tar.gz && python -m experiments.reproduce --all --workdir results/claims_gpu
#   python -m experiments.report --results results/claims_gpu results/claims_cpu --out results/REPORT.md;
# checked at toy size: no training, no data files needed, 14 s).
# A claim cut short by its limit keeps its checkpoints out of the archive but
# its finished groups in it; rerunning the same command resumes. Then, time
# permitting: grouped vs per-run sweep (issue 9) and the matmul precision's
# accuracy effect (issue 11). Outputs (no checkpoints) go into one archive.
if [ "$quick" = 1 ]; then
  size=(--toy)
  tiny=(--config.hidden="(16,)" --config.num_epochs=1 --config.num_seeds=2)
  exp_limits=(600 600 300)
else
  size=()
  tiny=()
  exp_limits=(310 25 15)
fi
res="$work/results"
mkdir -p "$res"
pack() {  # the archive after every step, so a run cut short still returns
  tar -C "$work" --exclude=checkpoints --exclude='.tmp*' -czf "$out/experiments.tar.gz" results
}
# Every claim's full variant, the most important first (a call cut short
# resumes where it stopped on the next one).
step claims "${exp_limits[0]}" $py -m experiments.reproduce \
  C1 C5 C3 C4 C6 L3 L4 C2 C1R L2 D2 D3 B1 B2 B3 atlas D1 L5 B4 \
  "${size[@]}" --workdir "$res/claims" --train-only --keep-going --no-progress
pack
if [ "$quick" = 1 ]; then sweep_cfg=quick; else sweep_cfg=topologies; fi
step sweep_grouping "${exp_limits[1]}" $py -m benchmarks.sweep_grouping --config "$sweep_cfg" \
  --out "$res/sweep_grouping_gpu.json"
pack
step precision "${exp_limits[2]}" $py -m experiments.sweep --config configs/sweep.py:precision \
  --config.base.num_epochs=10 "${tiny[@]/--config./--config.base.}" --workdir "$res/precision" --noprogress
pack
ls -la "$out/experiments.tar.gz" | tee -a "$log"
# --- lead: experiment runs above this line ---
rm -rf "$work"
# ============================================================================

echo "=== suite done in $(( $(date +%s) - t_start )) s; files:" | tee -a "$log"
ls -la "$out" | tee -a "$log"
# The key numbers again, last, so they are in the tail the device tool returns.
$py - "$out" <<'EOF' 2>&1 | tee -a "$log"
import json, os, sys
out = sys.argv[1]
def load(name):
  path = os.path.join(out, name)
  return json.load(open(path)) if os.path.exists(path) else None
s = load("scaling.json")
if s:
  print(f"SCALING {s['device']} x{s['num_devices']} (seed-epochs/s, 468-step epochs; step ms)")
  for r in s["rows"] + s.get("precision", []):
    if "error" in r:
      print(f"  {'-'.join(map(str, r['hidden']))} {r['algorithm']} S={r['S']}: {r['error'][:80]}")
      continue
    print(f"  {'-'.join(map(str, r['hidden'])):>14} {r['algorithm']:>8} S={r['S']:<4} "
          f"dev={r['devices']} {r['precision']:>13} {r['seed_epochs_per_s']:9.1f} "
          f"{r['step_ms']:8.3f} ms  compile {r['compile_s']:5.1f} s  "
          f"peak {(r['device_peak_bytes'] or 0) / 2**30:5.2f} GiB")
  for b in s.get("baselines", []):
    print(f"  baseline {'-'.join(map(str, b['hidden']))} {b['baseline']}: "
          f"{b['seed_epochs_per_s']:.2f} seed-ep/s, {b['step_ms']:.3f} ms/step")
  for q in s.get("rigl_over_static", []):
    print(f"  RigL/static {'-'.join(map(str, q['hidden']))} S={q['S']}: {q['rigl_over_static']:.3f}")
  if s.get("skipped_for_budget"):
    print(f"  skipped for the time budget: {len(s['skipped_for_budget'])} points")
r = load("roofline.json")
if r:
  print("ROOFLINE (GFLOP/step, MB/step, step ms, bound, fraction of roofline)")
  for x in r["rows"]:
    frac = x.get("roofline_fraction")
    print(f"  {'-'.join(map(str, x['hidden'])):>14} {x['algorithm']:>5} S={x['S']:<4} "
          f"{x['flops_per_step'] / 1e9:9.2f} {x['bytes_per_step'] / 1e6:9.1f} "
          f"{x['step_ms']:8.3f}  {x.get('bound', '-')}  "
          f"{'unknown' if frac is None else f'{frac:.1%}'}")
g = load("rigl_update.json")
if g:
  print("RIGL UPDATE (bits/pass, S, plain ms, update ms, epoch ratio; before -> now)")
  for x in g["rows"]:
    base = (f"  before {x['rigl_baseline_ms']:.3f} -> {x['rigl_interleaved_ms']:.3f} ms, "
            f"same: {x['same_as_baseline']}") if "rigl_baseline_ms" in x else ""
    print(f"  b={x['digit_bits']} S={x['S']} {x['plain_ms']:.3f} {x['rigl_ms']:.3f} "
          f"{x['epoch_ratio']:.3f}x{base}")
EOF
