"""Seed-epochs per second against the number of stacked runs S, width and devices.

Workload: the engine (`psn_jax.train.make_train`) on synthetic data shaped like
Fashion-MNIST (784 inputs, 10 classes), batch 128, 90% sparse random masks,
Adam, static sparse ("none") and RigL (update every 100 steps). An "epoch" here
is `--steps` batches; rates are reported per 60,000-example epoch (468 steps,
as Fashion-MNIST at batch 128): `seed-epochs/s = S * steps / 468 / seconds`.
The test set scales with the epoch (10,000 * steps / 468 examples), so the
per-epoch evaluation costs what it does in a real epoch.

For each (width, algorithm, S, devices): compile time apart (`lower().compile()`
of `jit(vmap(train_epoch))`), then `--epochs` timed epochs; per-step time;
the program's memory (`compiled.memory_analysis()`: arguments + outputs +
temporaries) and the device's peak (`device.memory_stats()`, GPU only; it is a
running peak over the process). `devices = all` shards the runs over a mesh of
every device (`psn_jax.sharding`; S padded to a multiple of the device count).

Baselines: the per-seed Python loop (a jitted single-seed masked step called
from Python for every batch) and, where torch imports, a PyTorch per-seed loop
with masks (weights multiplied by the mask in the forward pass, gradients and
weights masked around `torch.optim.Adam`), on the GPU where there is one; on
the CPU with an explicit thread count (the fastest of 1..cores, in the row).
Split of RigL's overhead: static, RigL's program with no update firing
("rigl_off": the per-step `lax.cond` alone) and RigL, at `--cond_seeds`.
Precision: step time under `jax.default_matmul_precision` float32 /
tensorfloat32 / bfloat16 (at `--precision_seeds`, first width).

  python -m benchmarks.scaling --quick                     # CPU, toy sizes
  python -m benchmarks.scaling --seeds 1,2,4,8,16,32,64,128,256 --out benchmarks/results/
  XLA_FLAGS=--xla_force_host_platform_device_count=4 python -m benchmarks.scaling --quick --devices 1,all
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from psn_jax import config as config_lib
from psn_jax import sharding
from psn_jax import train as train_lib

STEPS_PER_REAL_EPOCH = 468   # Fashion-MNIST, 60,000 examples, batch 128
N_IN, N_CLASSES, BATCH = 784, 10, 128


def make_config(hidden, algorithm: str, steps: int, precision: str | None = None):
  c = config_lib.get_config("quick")
  c.hidden = tuple(hidden)
  c.batch_size = BATCH
  c.num_epochs = 20            # RigL's window (75%) covers every timed epoch
  c.optim.name = "adam"
  c.optim.lr_schedule = "constant"
  c.optim.learning_rate = 1e-3
  c.optim.weight_decay = 0.0
  c.dst.algorithm = algorithm
  c.dst.delta_t = 100
  if algorithm == "rigl_off":
    # RigL's program (the per-step lax.cond, records) with no update firing:
    # what the conditional alone costs against a static epoch.
    c.dst.algorithm, c.dst.delta_t = "rigl", 10**6
  if precision is not None and "precision" in c:
    c.precision = precision
  del steps
  return c


def make_data(steps: int, seed: int = 0) -> train_lib.Data:
  """Synthetic Fashion-MNIST-shaped data: `steps * 128` training examples."""
  n_train = steps * BATCH
  n_test = max(BATCH, int(round(10_000 * steps / STEPS_PER_REAL_EPOCH)))
  rng = np.random.default_rng(seed)
  centers = rng.normal(size=(N_CLASSES, N_IN)).astype(np.float32)
  y = rng.integers(0, N_CLASSES, n_train + n_test).astype(np.int32)
  x = (centers[y] + rng.normal(size=(y.size, N_IN))).astype(np.float32)
  return train_lib.Data(x[:n_train], y[:n_train], x[n_train:], y[n_train:])


def random_masks(params_shape, n_seeds: int, sparsity: float = 0.9):
  """Per-seed random kernel masks (density about 1 - sparsity), stacked."""
  def one(seed):
    key = train_lib.mask_key(seed)
    return jax.tree.map(
        lambda p: (jax.random.uniform(jax.random.fold_in(key, p.size), p.shape)
                   >= sparsity) if len(p.shape) >= 2 else jnp.ones(p.shape, bool),
        params_shape)
  return jax.jit(jax.vmap(one))(jnp.arange(n_seeds))


def _memory(compiled) -> int | None:
  try:
    m = compiled.memory_analysis()
    return int(m.argument_size_in_bytes + m.output_size_in_bytes
               + m.temp_size_in_bytes - m.alias_size_in_bytes)
  except Exception:  # pylint: disable=broad-except
    return None


def _device_peak() -> int | None:
  try:
    stats = jax.local_devices()[0].memory_stats() or {}
    return stats.get("peak_bytes_in_use")
  except Exception:  # pylint: disable=broad-except
    return None


def time_engine(hidden, algorithm: str, n_seeds: int, data: train_lib.Data,
                steps: int, epochs: int, mesh=None,
                precision: str | None = None) -> dict:
  """One (width, algorithm, S, devices) point of the engine."""
  config = make_config(hidden, algorithm, steps)
  spec = train_lib.DataSpec(data.x_train.shape[0], N_IN, N_CLASSES)
  engine = train_lib.make_train(config, spec)
  keys = jnp.stack([train_lib.seed_key(s) for s in range(n_seeds)])
  masks = random_masks(engine.params_shape, n_seeds)
  n_run = n_seeds
  if mesh is not None:
    n_run = sharding.padded_size(n_seeds, mesh.size)
    keys, masks = sharding.shard_runs((keys, masks), mesh, n_run)
    data = sharding.replicate(data, mesh)
  else:
    data = jax.device_put(data)
  state = jax.jit(jax.vmap(engine.init))(keys, masks)
  out_shardings = None
  if mesh is not None:
    # Pin the outputs to the inputs' shardings: left free, XLA returns some
    # per-run leaves replicated (e.g. Adam's count), and an executable
    # compiled for the first epoch's inputs would not accept them (a jit would
    # silently compile a second program).
    out_shardings = (jax.tree.map(lambda x: x.sharding, state),
                     sharding.run_sharding(mesh))
  epoch_fn = jax.jit(jax.vmap(engine.train_epoch, in_axes=(0, None, None)),
                     donate_argnums=0,
                     **({} if out_shardings is None else {"out_shardings": out_shardings}))
  t0 = time.perf_counter()
  if precision:
    with jax.default_matmul_precision(precision):
      compiled = epoch_fn.lower(state, data, jnp.int32(0)).compile()
  else:
    compiled = epoch_fn.lower(state, data, jnp.int32(0)).compile()
  compile_s = time.perf_counter() - t0
  state, m = compiled(state, data, jnp.int32(0))       # warm-up epoch
  jax.block_until_ready(m)
  t0 = time.perf_counter()
  for e in range(1, epochs + 1):
    state, m = compiled(state, data, jnp.int32(e))
  jax.block_until_ready((state, m))
  seconds = (time.perf_counter() - t0) / epochs
  return {"hidden": list(hidden), "algorithm": algorithm, "S": n_seeds,
          "S_padded": n_run, "devices": 1 if mesh is None else mesh.size,
          "precision": precision or "default",
          "compile_s": compile_s, "epoch_s": seconds,
          "step_ms": 1e3 * seconds / steps,
          "seed_epochs_per_s": n_seeds * steps / STEPS_PER_REAL_EPOCH / seconds,
          "program_bytes": _memory(compiled), "device_peak_bytes": _device_peak(),
          "final_train_loss_mean": float(np.mean(np.asarray(m.train_loss)[:n_seeds]))}


def time_python_loop(hidden, data: train_lib.Data, steps: int,
                     n_seeds: int = 1) -> dict:
  """Per-seed Python loop: one jitted single-seed step per batch."""
  config = make_config(hidden, "none", steps)
  spec = train_lib.DataSpec(data.x_train.shape[0], N_IN, N_CLASSES)
  engine = train_lib.make_train(config, spec)
  model, tx = engine.model, engine.tx
  masks = random_masks(engine.params_shape, n_seeds)

  lr = jnp.float32(config.optim.learning_rate)

  @jax.jit
  def step(params, opt_state, m, x_all, y_all, idx):
    """The engine's own loss, dense gradient and masked optimizer step."""
    _, _, grads = engine.loss_and_grads(params, m, x_all[idx], y_all[idx],
                                        jax.random.PRNGKey(0))
    return engine.optimizer_step(params, m, opt_state, grads, lr)

  x_all, y_all = jax.device_put(data.x_train), jax.device_put(data.y_train)
  rng = np.random.default_rng(0)
  t_total, n_steps = 0.0, 0
  for s in range(n_seeds):
    m = jax.tree.map(lambda a, s=s: a[s], masks)
    params = model.init(jax.random.PRNGKey(s), x_all[:1])["params"]
    opt_state = tx.init(params)
    params, opt_state = step(params, opt_state, m, x_all, y_all, jnp.arange(BATCH))
    jax.block_until_ready(params)
    order = rng.permutation(x_all.shape[0])
    t0 = time.perf_counter()
    for i in range(steps):
      params, opt_state = step(params, opt_state, m, x_all, y_all,
                               jnp.asarray(order[i * BATCH:(i + 1) * BATCH]))
    jax.block_until_ready(params)
    t_total += time.perf_counter() - t0
    n_steps += steps
  step_s = t_total / n_steps
  return {"hidden": list(hidden), "baseline": "jax python loop", "S": n_seeds,
          "step_ms": 1e3 * step_s,
          "seed_epochs_per_s": 1.0 / (STEPS_PER_REAL_EPOCH * step_s)}


def time_torch_loop(hidden, data: train_lib.Data, steps: int,
                    n_seeds: int = 1, threads: int = 0) -> dict | None:
  """Per-seed PyTorch loop with masks; None when torch does not import.

  On the CPU the thread count is set explicitly (`threads`, or 0: the fastest
  of 1..cores on a short probe, `benchmarks.peers`): torch's default
  oversubscribed two busy cores and made this loop 16-20x slower, which
  understated PyTorch by more than an order of magnitude."""
  try:
    import torch  # pylint: disable=g-import-not-at-top
  except ImportError:
    return None
  from benchmarks import peers  # pylint: disable=g-import-not-at-top
  dev = "cuda" if torch.cuda.is_available() else "cpu"
  if dev == "cpu":
    threads = peers.torch_threads(torch, threads)
    torch.set_num_threads(threads)
  x_all = torch.as_tensor(np.asarray(data.x_train), device=dev)
  y_all = torch.as_tensor(np.asarray(data.y_train), device=dev).long()
  sizes = [N_IN, *hidden, N_CLASSES]
  sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
  t_total, n_steps = 0.0, 0
  for s in range(n_seeds):
    torch.manual_seed(s)
    layers = [torch.nn.Linear(a, b).to(dev) for a, b in zip(sizes[:-1], sizes[1:])]
    masks = [(torch.rand_like(l.weight) >= 0.9).float() for l in layers]
    with torch.no_grad():
      for l, m in zip(layers, masks):
        l.weight.mul_(m)
    params = [p for l in layers for p in l.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)

    def step(idx, layers=layers, masks=masks, opt=opt):
      h = x_all[idx]
      for i, (l, m) in enumerate(zip(layers, masks)):
        h = torch.nn.functional.linear(h, l.weight * m, l.bias)
        if i < len(layers) - 1:
          h = torch.relu(h)
      loss = torch.nn.functional.cross_entropy(h, y_all[idx])
      opt.zero_grad(set_to_none=True)
      loss.backward()
      for l, m in zip(layers, masks):
        l.weight.grad.mul_(m)
      opt.step()
      with torch.no_grad():
        for l, m in zip(layers, masks):
          l.weight.mul_(m)

    order = torch.randperm(x_all.shape[0], device=dev)
    step(order[:BATCH])                      # warm-up
    sync()
    t0 = time.perf_counter()
    for i in range(steps):
      step(order[i * BATCH:(i + 1) * BATCH])
    sync()
    t_total += time.perf_counter() - t0
    n_steps += steps
  step_s = t_total / n_steps
  label = f"torch loop ({dev}{f', {threads} threads' if dev == 'cpu' else ''})"
  return {"hidden": list(hidden), "baseline": label, "S": n_seeds,
          "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
          "step_ms": 1e3 * step_s,
          "seed_epochs_per_s": 1.0 / (STEPS_PER_REAL_EPOCH * step_s)}


def _guarded(fn, *args, **kwargs):
  """fn(*args, **kwargs), or None (printed) if it raises: one failing point
  must not lose the rest of the table."""
  try:
    return fn(*args, **kwargs)
  except Exception as e:  # pylint: disable=broad-except
    print(f"  {fn.__name__}{args[:3]}: failed ({type(e).__name__}: "
          f"{str(e).splitlines()[0][:100]})", flush=True)
    return None


def _fmt_bytes(b) -> str:
  return "-" if b is None else f"{b / 2**20:.0f}"


def _print_row(r: dict) -> None:
  print(f"{'-'.join(map(str, r['hidden'])):>15} {r['algorithm']:>5} {r['S']:>4} "
        f"{r['devices']:>3} {r['precision']:>13} {r['seed_epochs_per_s']:>11.2f} "
        f"{r['step_ms']:>9.3f} {r['compile_s']:>8.1f} "
        f"{_fmt_bytes(r['program_bytes']):>8} {_fmt_bytes(r['device_peak_bytes']):>8}",
        flush=True)


def environment() -> dict:
  dev = jax.devices()[0]
  module = os.path.splitext(os.path.basename(sys.argv[0]))[0]
  env = {"command": " ".join(["python -m", f"benchmarks.{module}"] + sys.argv[1:]),
         "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
         "device": dev.device_kind, "backend": jax.default_backend(),
         "num_devices": jax.device_count(), "num_processes": jax.process_count(),
         "jax": jax.__version__, "jaxlib": getattr(jax.lib, "__version__", None)
         or __import__("jaxlib").__version__,
         "numpy": np.__version__, "python": platform.python_version(),
         "host": platform.machine(), "cpu_count": os.cpu_count(),
         "load_average_1m": os.getloadavg()[0]}
  try:
    import torch  # pylint: disable=g-import-not-at-top
    env["torch"] = torch.__version__
  except ImportError:
    env["torch"] = None
  return env


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--seeds", default="1,2,4,8,16,32,64,128,256")
  parser.add_argument("--widths", default="300-100,1000-1000-1000",
                      help="comma-separated hidden widths, layers joined by '-'")
  parser.add_argument("--max_seeds_wide", type=int, default=64,
                      help="largest S for widths with a layer >= 1000")
  parser.add_argument("--algorithms", default="none,rigl")
  parser.add_argument("--devices", default="1,all",
                      help="'1' (device 0), 'all' (mesh of every device), or both")
  parser.add_argument("--steps", type=int, default=100, help="batches per timed epoch")
  parser.add_argument("--epochs", type=int, default=2, help="timed epochs per point")
  parser.add_argument("--precisions", default="float32,tensorfloat32,bfloat16")
  parser.add_argument("--precision_seeds", type=int, default=64,
                      help="S for the precision rows; 0 to skip")
  parser.add_argument("--loop_seeds", type=int, default=1,
                      help="seeds of the per-seed loop baselines; 0 to skip")
  parser.add_argument("--cond_seeds", type=int, default=64,
                      help="S for 'rigl_off' (RigL's program, no update firing), "
                      "first width, to split RigL's overhead; 0 to skip")
  parser.add_argument("--quick", action="store_true",
                      help="toy sizes for CPU: S 1,2,4,8; widths 300-100,1000-1000-1000 "
                      "(wide up to S=2); 10 steps; 1 epoch; precision at S=2")
  parser.add_argument("--budget_s", type=float, default=0,
                      help="stop starting new engine points after this many seconds "
                      "(0: no limit); skipped points are listed in the JSON")
  parser.add_argument("--out", default="benchmarks/results/",
                      help="JSON path, or a directory (file named by device and date)")
  args = parser.parse_args()
  warnings.filterwarnings("ignore", message="Some donated buffers were not usable")
  if args.quick:   # toy values for the options left at their defaults
    toy = {"seeds": "1,2,4,8", "steps": 10, "epochs": 1, "max_seeds_wide": 2,
           "precision_seeds": 2, "cond_seeds": 2}
    for name, value in toy.items():
      if getattr(args, name) == parser.get_default(name):
        setattr(args, name, value)
  seeds = [int(s) for s in args.seeds.split(",")]
  widths = [tuple(int(h) for h in w.split("-")) for w in args.widths.split(",")]
  env = environment()
  print(f"device: {env['device']} x{env['num_devices']} ({env['backend']}), "
        f"jax {env['jax']}, torch {env['torch']}; 784-H-10, batch {BATCH}, 90% "
        f"random masks, Adam; epoch = {args.steps} steps, rates per "
        f"{STEPS_PER_REAL_EPOCH}-step epoch", flush=True)
  data = make_data(args.steps)
  meshes = []
  for d in args.devices.split(","):
    if d == "1":
      meshes.append(None)
    elif d == "all" and (jax.device_count() > 1 or "1" not in args.devices.split(",")):
      meshes.append(sharding.make_mesh())
  out = args.out
  if out.endswith("/") or os.path.isdir(out):
    tag = "quick" if args.quick else "full"
    out = os.path.join(out, f"scaling_{env['backend']}_{jax.device_count()}dev_{tag}.json")
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  rows, baselines, skipped, precision_rows, ratios = [], [], [], [], []

  def dump():
    """Rewrites the JSON (after every point: a run cut short keeps its rows)."""
    with open(out, "w") as f:
      json.dump({**env, "args": vars(args), "rows": rows,
                 "precision": precision_rows, "baselines": baselines,
                 "rigl_over_static": ratios, "skipped_for_budget": skipped}, f,
                indent=1)

  start = time.perf_counter()
  over = lambda: args.budget_s and time.perf_counter() - start > args.budget_s
  print(f"\n{'hidden':>15} {'alg':>5} {'S':>4} {'dev':>3} {'precision':>13} "
        f"{'seed-ep/s':>11} {'step ms':>9} {'compile':>8} {'prog MiB':>8} "
        f"{'peak MiB':>8}")
  for i, hidden in enumerate(widths):
    wide = max(hidden) >= 1000
    for algorithm in args.algorithms.split(","):
      for mesh in meshes:
        for s in seeds:
          if wide and s > args.max_seeds_wide:
            continue
          if over():
            skipped.append({"hidden": list(hidden), "algorithm": algorithm, "S": s,
                            "devices": 1 if mesh is None else mesh.size})
            continue
          try:
            r = time_engine(hidden, algorithm, s, data, args.steps, args.epochs, mesh)
          except Exception as e:  # pylint: disable=broad-except
            # Out of memory marks the largest S that fits.
            print(f"{'-'.join(map(str, hidden)):>15} {algorithm:>5} {s:>4}: failed "
                  f"({type(e).__name__}: {str(e).splitlines()[0][:100]})", flush=True)
            rows.append({"hidden": list(hidden), "algorithm": algorithm, "S": s,
                         "devices": 1 if mesh is None else mesh.size,
                         "error": f"{type(e).__name__}: {str(e)[:300]}"})
            break
          rows.append(r)
          _print_row(r)
          dump()
    if i:
      continue
    # After the first width: the split of RigL's overhead and the precisions.
    # RigL's program with no update firing: the cost of the conditional step.
    if args.cond_seeds and not over():
      for algorithm in ("none", "rigl_off", "rigl"):
        r = _guarded(time_engine, widths[0], algorithm, args.cond_seeds, data,
                     args.steps, args.epochs, None)
        if r is None:
          continue
        r["split"] = True
        rows.append(r)
        _print_row(r)
        dump()
    # Precision: first width, static and RigL, one device (0 seeds: skip).
    for algorithm in args.algorithms.split(",") if args.precision_seeds else ():
      for p in args.precisions.split(","):
        if over():
          skipped.append({"precision": p, "algorithm": algorithm})
          continue
        r = _guarded(time_engine, widths[0], algorithm, args.precision_seeds, data,
                     args.steps, args.epochs, None, precision=p)
        if r is None:
          continue
        precision_rows.append(r)
        _print_row(r)
        dump()
  print(f"\nbaselines ({STEPS_PER_REAL_EPOCH}-step epochs):")
  for hidden in widths if args.loop_seeds else ():   # 0 seeds: skip
    for fn in (time_python_loop, time_torch_loop):
      try:
        b = fn(hidden, data, args.steps, args.loop_seeds)
      except Exception as e:  # pylint: disable=broad-except
        print(f"{'-'.join(map(str, hidden)):>15} {fn.__name__}: failed "
              f"({type(e).__name__}: {str(e).splitlines()[0][:100]})", flush=True)
        continue
      if b is not None:
        baselines.append(b)
        dump()
        print(f"{'-'.join(map(str, hidden)):>15} {b['baseline']:>22} "
              f"{b['seed_epochs_per_s']:>9.2f} seed-ep/s {b['step_ms']:>8.3f} ms/step",
              flush=True)
  # RigL / static epoch time at equal (width, S, devices).
  by_key = {(tuple(r["hidden"]), r["algorithm"], r["S"], r["devices"]): r
            for r in rows if "error" not in r and not r.get("split")}
  for (h, alg, s, d), r in by_key.items():
    static = by_key.get((h, "none", s, d))
    if alg == "rigl" and static:
      ratios.append({"hidden": list(h), "S": s, "devices": d,
                     "rigl_over_static": r["epoch_s"] / static["epoch_s"]})
  split = {r["algorithm"]: r for r in rows if r.get("split")}
  if len(split) == 3:
    base = split["none"]["epoch_s"]
    print(f"\nsplit at S={args.cond_seeds}: static 1.000, RigL program without "
          f"updates {split['rigl_off']['epoch_s'] / base:.3f}, RigL "
          f"{split['rigl']['epoch_s'] / base:.3f} (epoch time over static)")
  if ratios:
    print("\nRigL / static epoch time: " + ", ".join(
        f"{'-'.join(map(str, q['hidden']))} S={q['S']} dev={q['devices']}: "
        f"{q['rigl_over_static']:.3f}" for q in ratios))
  dump()
  if skipped:
    print(f"skipped for the time budget: {len(skipped)} points")
  print(f"\nwrote {out}")


if __name__ == "__main__":
  main()
