"""FLOPs and bytes of one training step (XLA's cost analysis) against the device peak.

For S stacked runs of the engine (MLP 784-H-10, batch 128, 90% random masks,
Adam, static sparse or RigL), XLA's `compiled.cost_analysis()` of
`jit(vmap(train_epoch))` on a ONE-step epoch gives the FLOPs and bytes
accessed per step (the evaluation that `train_epoch` ends with is analysed
apart, through `jit(vmap(evaluate))`, and subtracted). The analytic count of
the masked dense matmuls, `B * (4 * n_0 + 6 * sum(n_l, l > 0)) * S` with
`n_l = n_in * n_out` of layer l, is printed beside
it (the first layer needs no input gradient: 4 instead of 6). The step time is measured on a `--steps`-step epoch (evaluation timed apart
and subtracted), median of `--reps` epochs.

Roofline time = max(FLOPs / peak FLOP/s, bytes / peak bandwidth); our fraction
= roofline time / measured time. Peaks (a table below; leads, not readings):
H200 from the vendor datasheet and this workplace's KINDS.md readings (copy
4.3 TB/s, bf16 matmul 788 TFLOP/s); the fp32 peak is used for "float32", the
tf32 peak for "default"/"tensorfloat32" on GPUs (XLA's default f32 dot on
Hopper uses TF32), bf16 for "bfloat16". On a CPU the peak is unknown and no
fraction is given.

  python -m benchmarks.roofline --quick
  python -m benchmarks.roofline --seeds 32,256 --hidden 300-100 --out benchmarks/results/roofline.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings

import jax
import jax.numpy as jnp

from benchmarks import scaling
from psn_jax import train as train_lib

# (FLOP/s fp32, tf32, bf16; bytes/s) dense, no sparsity; datasheet leads.
PEAKS = {
    "NVIDIA H200": {"float32": 67e12, "tensorfloat32": 495e12, "bfloat16": 989e12,
                    "bandwidth": 4.8e12, "measured_bandwidth": 4.3e12,
                    "measured_bfloat16": 788e12,
                    "source": "vendor datasheet; measured copy and bf16 matmul from "
                              "/work/.library/device/KINDS.md (2026-10-28, 2026-11-04)"},
    "NVIDIA H100 80GB HBM3": {"float32": 67e12, "tensorfloat32": 495e12,
                              "bfloat16": 989e12, "bandwidth": 3.35e12,
                              "source": "vendor datasheet (SXM)"},
}


def _cost(compiled) -> dict:
  c = compiled.cost_analysis()
  if isinstance(c, (list, tuple)):
    c = c[0] if c else {}
  c = c or {}
  return {"flops": float(c.get("flops", 0.0)),
          "bytes": float(c.get("bytes accessed", 0.0))}


def _peaks(device_kind: str, precision: str) -> dict | None:
  table = PEAKS.get(device_kind)
  if table is None:
    return None
  key = {"default": "tensorfloat32", "highest": "float32"}.get(precision, precision)
  flops = table.get(f"measured_{key}", table[key])
  bw = table.get("measured_bandwidth", table["bandwidth"])
  return {"flops_per_s": flops, "bytes_per_s": bw, "precision_peak": key,
          "source": table["source"]}


def analyse(hidden, n_seeds: int, algorithm: str, steps: int, reps: int,
            precision: str = "default") -> dict:
  ctx = (jax.default_matmul_precision(precision) if precision != "default"
         else _Null())
  with ctx:
    return _analyse(hidden, n_seeds, algorithm, steps, reps, precision)


class _Null:
  def __enter__(self):
    return self

  def __exit__(self, *exc):
    return False


def _analyse(hidden, n_seeds, algorithm, steps, reps, precision) -> dict:
  results = {"hidden": list(hidden), "S": n_seeds, "algorithm": algorithm,
             "precision": precision}
  keys = jnp.stack([train_lib.seed_key(s) for s in range(n_seeds)])

  def build(n_steps):
    data = jax.device_put(scaling.make_data(n_steps))
    data = data._replace(x_test=data.x_test[:scaling.BATCH],
                         y_test=data.y_test[:scaling.BATCH])
    config = scaling.make_config(hidden, algorithm, n_steps)
    spec = train_lib.DataSpec(data.x_train.shape[0], scaling.N_IN, scaling.N_CLASSES)
    engine = train_lib.make_train(config, spec)
    masks = scaling.random_masks(engine.params_shape, n_seeds)
    state = jax.jit(jax.vmap(engine.init))(keys, masks)
    epoch = jax.jit(jax.vmap(engine.train_epoch, in_axes=(0, None, None)))
    evaluate = jax.jit(jax.vmap(engine.evaluate, in_axes=(0, 0, None, None)))
    return data, state, epoch, evaluate

  # Cost per step: a one-step epoch (the scan disappears) minus its evaluation.
  data, state, epoch, evaluate = build(1)
  one = epoch.lower(state, data, jnp.int32(1)).compile()
  ev = evaluate.lower(state.params, state.masks, data.x_test, data.y_test).compile()
  c_one, c_eval = _cost(one), _cost(ev)
  flops = c_one["flops"] - c_eval["flops"]
  nbytes = c_one["bytes"] - c_eval["bytes"]
  sizes = [scaling.N_IN, *hidden, scaling.N_CLASSES]
  # Forward 2, weight gradient 2, input gradient 2 FLOPs per weight and example;
  # the first layer needs no input gradient.
  products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
  analytic = scaling.BATCH * (4 * products[0] + 6 * sum(products[1:])) * n_seeds
  results.update(flops_per_step=flops, bytes_per_step=nbytes,
                 analytic_matmul_flops=analytic,
                 intensity=flops / nbytes if nbytes else None)
  # Time per step: a steps-long epoch, evaluation timed apart.
  data, state, epoch, evaluate = build(steps)
  compiled = epoch.lower(state, data, jnp.int32(1)).compile()
  ev = evaluate.lower(state.params, state.masks, data.x_test, data.y_test).compile()
  state, m = compiled(state, data, jnp.int32(1))
  jax.block_until_ready(m)
  jax.block_until_ready(ev(state.params, state.masks, data.x_test, data.y_test))
  t_epoch, t_eval = [], []
  for r in range(reps):
    t0 = time.perf_counter()
    state, m = compiled(state, data, jnp.int32(2 + r))
    jax.block_until_ready((state, m))
    t_epoch.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    jax.block_until_ready(ev(state.params, state.masks, data.x_test, data.y_test))
    t_eval.append(time.perf_counter() - t0)
  step_s = max(statistics.median(t_epoch) - statistics.median(t_eval), 1e-12) / steps
  results.update(step_ms=1e3 * step_s, achieved_flops_per_s=flops / step_s,
                 achieved_bytes_per_s=nbytes / step_s)
  peaks = _peaks(jax.devices()[0].device_kind, precision)
  if peaks is None:
    results.update(peak="unknown (no table entry for this device)",
                   roofline_fraction=None)
  else:
    t_compute = flops / peaks["flops_per_s"]
    t_memory = nbytes / peaks["bytes_per_s"]
    results.update(peak=peaks, roofline_step_ms=1e3 * max(t_compute, t_memory),
                   bound="compute" if t_compute >= t_memory else "memory",
                   roofline_fraction=max(t_compute, t_memory) / step_s)
  return results


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--hidden", default="300-100,1000-1000-1000")
  parser.add_argument("--seeds", default="32,256")
  parser.add_argument("--algorithms", default="none,rigl")
  parser.add_argument("--precisions", default="default")
  parser.add_argument("--steps", type=int, default=100)
  parser.add_argument("--reps", type=int, default=3)
  parser.add_argument("--max_seeds_wide", type=int, default=64)
  parser.add_argument("--quick", action="store_true",
                      help="CPU toy: 300-100, S=2, static, 10 steps, 2 reps")
  parser.add_argument("--out", default="benchmarks/results/roofline.json")
  args = parser.parse_args()
  warnings.filterwarnings("ignore", message="Some donated buffers were not usable")
  if args.quick:   # toy values for the options left at their defaults
    toy = {"hidden": "300-100", "seeds": "2", "algorithms": "none", "steps": 10,
           "reps": 2}
    for name, value in toy.items():
      if getattr(args, name) == parser.get_default(name):
        setattr(args, name, value)
  env = scaling.environment()
  print(f"device: {env['device']} ({env['backend']}), jax {env['jax']}")
  print(f"{'hidden':>15} {'alg':>5} {'S':>4} {'prec':>13} {'GFLOP/step':>11} "
        f"{'MB/step':>9} {'analytic GF':>11} {'FLOP/B':>7} {'step ms':>9} "
        f"{'TFLOP/s':>8} {'GB/s':>8} {'roofline ms':>11} {'fraction':>8}")
  rows = []
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)

  def dump():
    with open(args.out, "w") as f:
      json.dump({**env, "args": vars(args), "peaks_table": PEAKS, "rows": rows}, f,
                indent=1)

  for h in args.hidden.split(","):
    hidden = tuple(int(x) for x in h.split("-"))
    for s in [int(v) for v in args.seeds.split(",")]:
      if max(hidden) >= 1000 and s > args.max_seeds_wide:
        continue
      for alg in args.algorithms.split(","):
        for p in args.precisions.split(","):
          r = analyse(hidden, s, alg, args.steps, args.reps, p)
          rows.append(r)
          dump()
          frac = r.get("roofline_fraction")
          rms = r.get("roofline_step_ms")
          print(f"{h:>15} {alg:>5} {s:>4} {p:>13} {r['flops_per_step'] / 1e9:>11.3f} "
                f"{r['bytes_per_step'] / 1e6:>9.2f} "
                f"{r['analytic_matmul_flops'] / 1e9:>11.3f} "
                f"{(r['intensity'] or 0):>7.1f} {r['step_ms']:>9.3f} "
                f"{r['achieved_flops_per_s'] / 1e12:>8.3f} "
                f"{r['achieved_bytes_per_s'] / 1e9:>8.1f} "
                f"{'-' if rms is None else f'{rms:.3f}':>11} "
                f"{'unknown' if frac is None else f'{frac:.1%}':>8}", flush=True)
  dump()
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
