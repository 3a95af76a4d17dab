"""The engine against the loops its peers are written as, on one recipe.

Recipe (the issue-20 comparison): MLP 784-300-100-10 on MNIST, Adam (learning
rate 5e-3, cosine decay), batch 128, RigL from ERK at 90% sparsity, an update
every 100 steps (drop fraction 0.3, cosine, until 75% of training), 3 epochs;
every arm starts from the same masks (`masks.from_config`, seed s).

Arms, each in a child process of its own (peak RSS is a process's high-water
mark), one after the other in one run, so that every arm sees the same load:

* `engine`: `psn_jax.train`, S seeds vmapped in one program, the dataset on the
  device as uint8, gradient-norm tracking off (`track.grad_norms=False`: the
  peers track nothing); its first run fills a fresh compilation cache
  (`engine` cold), the second loads from it (`engine` warm);
* `engine_tracked`: the same with the default tracking (per-step gradient
  norms), warm cache;
* `engine_before`: what a run did before issue 20: float32 dataset, tracking
  on, no persistent cache;
* `loop`: jaxpruner's shape (the library itself is not on PyPI): one jitted
  single-seed step (the engine's own `train_step`: loss, dense gradient,
  `lax.cond` on the RigL update step) called from Python for every batch,
  seed after seed; the float32 dataset on the device, batches indexed by a
  host permutation; JAX's default (no persistent cache);
* `torch`: the same loop in PyTorch (masked `Linear` weights, `torch.optim.Adam`
  with the cosine schedule, RigL's drop and grow written with `torch.topk`),
  with an explicit thread count (`--torch_threads`; default: the fastest of
  1..cores on a short probe, stated in the table). Skipped, with a line, when
  torch does not import.

Per arm and S: steady seed-epochs/s (epochs after the first; the loops' first
epoch of each seed holds their compile), time to first result (process start to
the first epoch's test accuracy: imports, data, masks, compiling, one epoch),
peak RSS (`ru_maxrss`), mean final test accuracy; then the ratios of the goal
(engine / loop at each S). Written to `benchmarks/results/peers_<backend>.json`
and `.txt` with the command, the date and the load average.

  python -m benchmarks.peers                      # the measurement (minutes)
  python -m benchmarks.peers --toy --seeds 1      # the test's size (static masks)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

ARMS = ("engine", "engine_tracked", "engine_before", "loop", "torch")
RESULT_TAG = "PEERS_RESULT "


def recipe(n_seeds: int, toy: bool, check: bool = True):
  """The recipe's config (`psn_jax.config`) for `n_seeds` seeds; `check`
  validates it (which imports JAX: the torch arm skips it)."""
  from psn_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  c = config_lib.get_config("quick")   # MNIST, 784-300-100-10, Adam, 3 epochs
  c.num_seeds = n_seeds
  c.distribution, c.profile = "erk", "random"
  c.dst.algorithm = "rigl"
  c.dst.delta_t = 100
  if toy:  # static masks: the plumbing at a few seconds' compile
    c.hidden, c.batch_size, c.num_epochs = (16,), 32, 2
    c.dst.algorithm = "none"
  if check:
    config_lib.validate(c)
  return c


def _peak_rss_bytes() -> int:
  """This process's peak resident set (VmHWM). Not `ru_maxrss`: Linux keeps
  that across `execve`, so a child would report its parent's peak."""
  try:
    with open("/proc/self/status") as f:
      for line in f:
        if line.startswith("VmHWM:"):
          return int(line.split()[1]) * 1024
  except OSError:
    pass
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _since_start() -> float:
  """Seconds since this process started (its interpreter, imports included)."""
  import psutil  # pylint: disable=g-import-not-at-top
  return time.time() - psutil.Process().create_time()


class _EpochClock:
  """The wall times of a loop over seeds and epochs: every epoch's, the
  steady ones (each seed's epochs after its first, which compiles), and the
  first result's time since the process started."""

  def __init__(self):
    self.epoch_s, self.steady, self.first = [], [], None

  def record(self, epoch: int, started: float) -> None:
    self.epoch_s.append(time.perf_counter() - started)
    if epoch:
      self.steady.append(self.epoch_s[-1])
    if self.first is None:
      self.first = _since_start()

  def summary(self, accuracies: list[float]) -> dict:
    steady = self.steady or self.epoch_s
    return {"first_result_s": self.first, "epoch_s": self.epoch_s,
            "seed_epochs_per_s": len(steady) / sum(steady),
            "final_test_accuracy": sum(accuracies) / len(accuracies)}


def _load(config, data_dir, toy, raw):
  from psn_jax import data as data_lib  # pylint: disable=g-import-not-at-top
  out = []
  for split in ("train", "test"):
    x, y = data_lib.load(config.dataset, split, data_dir, raw=raw)
    if toy:
      n = 256 if split == "train" else 128
      x, y = x[:n].copy(), y[:n].copy()
    out += [x, y]
  return out


def _masks(config, params_shape, seeds):
  from psn_jax import runner  # pylint: disable=g-import-not-at-top
  return runner.build_masks(config, params_shape, seeds)


def arm_engine(args, before: bool = False, tracked: bool = False) -> dict:
  """The engine: S seeds in one vmapped program (`run_group`'s path, without
  checkpoints)."""
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from psn_jax import compile_cache  # pylint: disable=g-import-not-at-top
  from psn_jax import data as data_lib  # pylint: disable=g-import-not-at-top
  from psn_jax import train as train_lib  # pylint: disable=g-import-not-at-top
  if not before:
    compile_cache.enable()
  config = recipe(args.seeds, args.toy)
  if not (before or tracked):
    with config.unlocked():
      config.track.grad_norms = False
  x_tr, y_tr, x_te, y_te = _load(config, args.data_dir, args.toy, raw=not before)
  spec = train_lib.DataSpec(x_tr.shape[0], x_tr.shape[1],
                            data_lib.num_classes(config.dataset))
  data = train_lib.Data(*(jnp.asarray(a) for a in (x_tr, y_tr, x_te, y_te)))
  del x_tr, y_tr, x_te, y_te
  engine = train_lib.make_train(config, spec)
  seeds = list(range(args.seeds))
  masks = _masks(config, engine.params_shape, seeds)
  keys = jnp.stack([train_lib.seed_key(s) for s in seeds])
  t0 = time.perf_counter()
  init = jax.jit(lambda k, m: train_lib.init_runs(engine, k, m)
                 ).lower(keys, masks).compile()
  state = init(keys, masks)
  epoch_fn = jax.jit(jax.vmap(engine.train_epoch, in_axes=(0, None, None)),
                     donate_argnums=0).lower(state, data, jnp.int32(0)).compile()
  compile_s = time.perf_counter() - t0
  epoch_s, first, acc = [], None, None
  for epoch in range(config.num_epochs):
    t = time.perf_counter()
    state, m = epoch_fn(state, data, jnp.int32(epoch))
    acc = np.asarray(m.test_accuracy)
    epoch_s.append(time.perf_counter() - t)
    if first is None:
      first = _since_start()
  steady = epoch_s[1:] or epoch_s
  return {"compile_s": compile_s, "first_result_s": first,
          "epoch_s": epoch_s,
          "seed_epochs_per_s": args.seeds / (sum(steady) / len(steady)),
          "final_test_accuracy": float(acc.mean()),
          "cache": None if before else compile_cache.directory()}


def arm_loop(args) -> dict:
  """jaxpruner's shape: a jitted single-seed step called per batch, per seed."""
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from psn_jax import data as data_lib  # pylint: disable=g-import-not-at-top
  from psn_jax import train as train_lib  # pylint: disable=g-import-not-at-top
  config = recipe(args.seeds, args.toy)
  with config.unlocked():
    config.track.grad_norms = False
  x_tr, y_tr, x_te, y_te = _load(config, args.data_dir, args.toy, raw=False)
  spec = train_lib.DataSpec(x_tr.shape[0], x_tr.shape[1],
                            data_lib.num_classes(config.dataset))
  x_all, y_all, x_test, y_test = (jnp.asarray(a) for a in (x_tr, y_tr, x_te, y_te))
  del x_tr, y_tr, x_te, y_te
  engine = train_lib.make_train(config, spec)
  seeds = list(range(args.seeds))
  masks = _masks(config, engine.params_shape, seeds)
  batch, steps = config.batch_size, engine.steps_per_epoch

  @jax.jit
  def step(state, t, idx, x_all, y_all):  # the data as arguments, not constants
    state, _ = engine.train_step(state, t, x_all[idx], y_all[idx])
    return state

  evaluate = jax.jit(engine.evaluate)
  init = jax.jit(engine.init)
  clock, accs = _EpochClock(), []
  for s in seeds:
    state = init(train_lib.seed_key(s), jax.tree.map(lambda a, s=s: a[s], masks))
    rng = np.random.default_rng(s)
    for epoch in range(config.num_epochs):
      t = time.perf_counter()
      order = rng.permutation(spec.n_train)[:steps * batch].reshape(steps, batch)
      for i in range(steps):
        state = step(state, jnp.int32(epoch * steps + i), jnp.asarray(order[i]),
                     x_all, y_all)
      _, acc = evaluate(state.params, state.masks, x_test, y_test)
      acc = float(acc)
      clock.record(epoch, t)
    accs.append(acc)
  return clock.summary(accs)


def _torch_rigl(torch, layers, masks, opt, fraction):
  """RigL's drop (smallest |w| of the active) and grow (largest |dense grad|
  of the rest, the dropped included) per layer; new weights and their Adam
  moments start at 0."""
  with torch.no_grad():
    for layer, m in zip(layers, masks):
      w, g = layer.weight, layer.weight.grad
      n_active = int(m.sum())
      k = int(math.floor(fraction * n_active))
      if k == 0:
        continue
      flat_m = m.view(-1)
      score = torch.where(flat_m > 0, w.abs().view(-1), torch.inf)
      drop = torch.topk(score, k, largest=False).indices
      kept = flat_m.clone()
      kept[drop] = 0
      grow_score = torch.where(kept > 0, -torch.inf, g.abs().view(-1))
      grow = torch.topk(grow_score, k).indices
      new = kept.clone()
      new[grow] = 1
      fresh = (new > 0) & (flat_m == 0)
      flat_m.copy_(new)
      w.view(-1)[fresh] = 0
      w.mul_(m)
      st = opt.state.get(layer.weight, {})
      for name in ("exp_avg", "exp_avg_sq"):
        if name in st:
          st[name].view(-1)[fresh] = 0
          st[name].mul_(m)


def _torch_epoch_fn(torch, x_all, y_all, layers, masks, opt, sched, cfg):
  """One epoch of the torch loop; returns the step counter after it."""
  f = torch.nn.functional

  def run(order, t):
    for idx in order:
      h = x_all[idx]
      for i, layer in enumerate(layers):  # weights are exactly 0 off the mask,
        h = f.linear(h, layer.weight, layer.bias)  # so dL/dw is the dense grad
        if i < len(layers) - 1:
          h = torch.relu(h)
      loss = f.cross_entropy(h, y_all[idx])
      opt.zero_grad(set_to_none=True)
      loss.backward()
      if (cfg["rigl"] and t > 0 and t % cfg["delta_t"] == 0
          and t <= cfg["t_end"]):
        frac = 0.5 * cfg["drop_fraction"] * (1 + math.cos(math.pi * t / cfg["t_end"]))
        _torch_rigl(torch, layers, masks, opt, frac)   # instead of a step
      else:
        for layer, m in zip(layers, masks):
          layer.weight.grad.mul_(m)
        opt.step()
        with torch.no_grad():
          for layer, m in zip(layers, masks):
            layer.weight.mul_(m)
      sched.step()
      t += 1
    return t

  return run


def torch_threads(torch, requested: int) -> int:
  """`requested`, or (0) the fastest of 1..cores on a short matmul probe."""
  if requested:
    return requested
  best, best_s = 1, math.inf
  a = torch.randn(128, 784)
  b = torch.randn(784, 300)
  for n in range(1, (os.cpu_count() or 1) + 1):
    torch.set_num_threads(n)
    t = time.perf_counter()
    for _ in range(300):
      (a @ b).relu_()
    s = time.perf_counter() - t
    if s < best_s:
      best, best_s = n, s
  return best


def arm_torch(args) -> dict | None:
  """The same loop in PyTorch; None when torch does not import."""
  try:
    import torch  # pylint: disable=g-import-not-at-top
  except ImportError:
    return None
  import numpy as np  # pylint: disable=g-import-not-at-top
  threads = torch_threads(torch, args.torch_threads)
  torch.set_num_threads(threads)
  config = recipe(args.seeds, args.toy, check=False)
  x_tr, y_tr, x_te, y_te = _load(config, args.data_dir, args.toy, raw=False)
  x_all, x_test = torch.from_numpy(x_tr), torch.from_numpy(x_te)
  y_all, y_test = torch.from_numpy(y_tr).long(), torch.from_numpy(y_te).long()
  sizes = [x_tr.shape[1], *config.hidden, 10]
  n_train, batch = x_tr.shape[0], config.batch_size
  steps = n_train // batch
  total = steps * config.num_epochs
  cfg = {"rigl": config.dst.algorithm == "rigl", "delta_t": config.dst.delta_t, "drop_fraction": config.dst.drop_fraction,
         "t_end": int(config.dst.t_end_fraction * total)}
  with np.load(args.masks) as z:  # the parent made them: no JAX here
    kernels = [z[f"k{i}"] for i in range(len(z.files))]
  clock, accs = _EpochClock(), []
  for s in range(args.seeds):
    torch.manual_seed(s)
    layers = [torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    masks = [torch.from_numpy(np.ascontiguousarray(k[s].T)).float()
             for k in kernels]
    with torch.no_grad():
      for layer, m in zip(layers, masks):
        layer.weight.mul_(m)
    opt = torch.optim.Adam([p for l in layers for p in l.parameters()],
                           lr=config.optim.learning_rate)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    run = _torch_epoch_fn(torch, x_all, y_all, layers, masks, opt, sched, cfg)
    t_step = 0
    for epoch in range(config.num_epochs):
      t = time.perf_counter()
      order = torch.randperm(n_train)[:steps * batch].view(steps, batch)
      t_step = run(order, t_step)
      with torch.no_grad():
        h = x_test
        for i, layer in enumerate(layers):
          h = torch.nn.functional.linear(h, layer.weight, layer.bias)
          h = torch.relu(h) if i < len(layers) - 1 else h
        acc = float((h.argmax(-1) == y_test).float().mean())
      clock.record(epoch, t)
    accs.append(acc)
  return {**clock.summary(accs), "torch_threads": threads,
          "torch": torch.__version__}


def child(args) -> None:
  """Runs one arm in this process and prints its result as one tagged line."""
  print(RESULT_TAG + json.dumps(_run_arm(args)), flush=True)


def _run_arm(args) -> dict | None:
  if args.arm == "engine":
    out = arm_engine(args)
  elif args.arm == "engine_tracked":
    out = arm_engine(args, tracked=True)
  elif args.arm == "engine_before":
    out = arm_engine(args, before=True)
  elif args.arm == "loop":
    out = arm_loop(args)
  else:
    out = arm_torch(args)
  if out is not None:
    out["peak_rss_bytes"] = _peak_rss_bytes()
  return out


def _write_masks(args, seeds: int, folder: str) -> str:
  """The recipe's masks of seeds 0..S-1 as kernels `k0, k1, ...` [S, in, out]
  in an .npz, for the torch arm (which then needs no JAX)."""
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from psn_jax import masks as masks_lib  # pylint: disable=g-import-not-at-top
  from psn_jax import models  # pylint: disable=g-import-not-at-top
  config = recipe(seeds, args.toy)
  model = models.MLP(hidden=tuple(config.hidden), num_classes=10)
  shape = jax.eval_shape(model.init, jax.random.PRNGKey(0),
                         jax.numpy.zeros((1, 784)))["params"]
  kernels = masks_lib.named_kernels(_masks(config, shape, list(range(seeds))))
  path = os.path.join(folder, f"masks_s{seeds}.npz")
  np.savez(path, **{f"k{i}": np.asarray(k) for i, (_, k) in enumerate(kernels)})
  return path


def _spawn(args, arm: str, seeds: int, cache: str | None,
           masks: str = "") -> dict | None:
  """One arm in a fresh child process; its result, or None (skipped).

  With `--inline` the arm runs in this process instead (the test's size: no
  interpreter start per arm; peak RSS is then this process's so far, and the
  compilation cache is this process's)."""
  if args.inline:
    one = argparse.Namespace(**{**vars(args), "arm": arm, "seeds": seeds,
                                "masks": masks})
    return _run_arm(one)
  cmd = [sys.executable, "-m", "benchmarks.peers", "--child", "--arm", arm,
         "--seeds", str(seeds), "--torch_threads", str(args.torch_threads),
         "--masks", masks]
  cmd += ["--toy"] if args.toy else []
  cmd += ["--data_dir", args.data_dir] if args.data_dir else []
  env = {k: v for k, v in os.environ.items()
         if k not in ("JAX_COMPILATION_CACHE_DIR", "PSN_COMPILE_CACHE")}
  env["PSN_COMPILE_CACHE"] = cache or "0"
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True,
                        check=False)
  lines = [l for l in proc.stdout.splitlines() if l.startswith(RESULT_TAG)]
  if proc.returncode or not lines:
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"arm {arm} S={seeds} failed (exit {proc.returncode}): "
                       f"{tail}")
  return json.loads(lines[-1][len(RESULT_TAG):])


def _row(arm: str, s: int, r: dict) -> str:
  acc = r["final_test_accuracy"]
  extra = (f" threads {r['torch_threads']}" if "torch_threads" in r else
           f" compile {r['compile_s']:.1f} s" if "compile_s" in r else "")
  return (f"{arm:>20} {s:>3} {r['seed_epochs_per_s']:>10.3f} "
          f"{r['first_result_s']:>11.1f} {r['peak_rss_bytes'] / 2**30:>9.3f} "
          f"{100 * acc:>7.2f}{extra}")


def measure(args) -> dict:
  """Every arm for every S, one child each; the rows, ratios and command."""
  from benchmarks import scaling  # pylint: disable=g-import-not-at-top
  env = scaling.environment()
  env["command"] = " ".join(["python -m benchmarks.peers"] + args.argv)
  seeds = [int(s) for s in args.seeds_list.split(",")]
  arms = args.arms.split(",")
  bad = [a for a in arms if a not in ARMS]
  if bad:
    raise SystemExit(f"error: --arms must be a subset of {','.join(ARMS)}, "
                     f"got {','.join(bad)}")
  rows, lines = [], []
  head = (f"{'arm':>20} {'S':>3} {'seed-ep/s':>10} {'first (s)':>11} "
          f"{'RSS GiB':>9} {'acc %':>7}")
  print(head, flush=True)
  lines.append(head)
  with tempfile.TemporaryDirectory(prefix="psn-peers-cache-") as cache:
    for s in seeds:
      plan = []
      for arm in arms:
        if arm == "engine":
          plan.append(("engine", "engine (cold cache)", os.path.join(cache, f"s{s}")))
          if not args.inline:  # in one process a second run says little
            plan.append(("engine", "engine (warm cache)",
                         os.path.join(cache, f"s{s}")))
        elif arm == "engine_tracked":
          plan.append((arm, "engine, tracked", os.path.join(cache, f"s{s}")))
        else:
          plan.append((arm, {"engine_before": "engine before #20",
                             "loop": "jax loop", "torch": "torch loop"}[arm],
                       None))
      masks = _write_masks(args, s, cache) if "torch" in arms else ""
      for arm, label, folder in plan:
        try:
          r = _spawn(args, arm, s, folder, masks)
        except RuntimeError as e:  # one failing arm must not lose the rest
          line = f"{label:>20} {s:>3} failed: {e}"
          print(line, flush=True)
          lines.append(line)
          continue
        if r is None:
          line = f"{label:>20} {s:>3} skipped: torch does not import"
        else:
          rows.append({"arm": arm, "label": label, "S": s, **r})
          line = _row(label, s, r)
        print(line, flush=True)
        lines.append(line)
  ratios = []
  for s in seeds:
    by = {r["label"]: r for r in rows if r["S"] == s}
    loop, cold = by.get("jax loop"), by.get("engine (cold cache)")
    ours = by.get("engine (warm cache)", cold)
    if ours and loop and cold:
      ratios.append({
          "S": s,
          "throughput_engine_over_loop": ours["seed_epochs_per_s"]
          / loop["seed_epochs_per_s"],
          "first_result_engine_cold_over_loop": cold["first_result_s"]
          / loop["first_result_s"],
          "first_result_engine_warm_over_loop": ours["first_result_s"]
          / loop["first_result_s"],
          "peak_rss_engine_over_loop": cold["peak_rss_bytes"]
          / loop["peak_rss_bytes"]})
  for q in ratios:
    line = (f"S={q['S']}: engine / jax loop: throughput "
            f"{q['throughput_engine_over_loop']:.2f}x (goal >= 1.3 at S=4), "
            f"first result {q['first_result_engine_cold_over_loop']:.2f} cold, "
            f"{q['first_result_engine_warm_over_loop']:.2f} warm (goal <= 1), "
            f"peak RSS {q['peak_rss_engine_over_loop']:.2f} (goal <= 1)")
    print(line, flush=True)
    lines.append(line)
  return {**env, "args": {k: v for k, v in vars(args).items() if k != "argv"},
          "rows": rows, "ratios": ratios, "table": lines}


def _write_atomic(path: str, text: str) -> None:
  tmp = f"{path}.tmp{os.getpid()}"
  with open(tmp, "w") as f:
    f.write(text)
  os.replace(tmp, path)


def main(argv: list[str] | None = None) -> dict | None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--seeds", dest="seeds_list", default="1,4",
                      help="comma-separated S values")
  parser.add_argument("--arms", default=",".join(ARMS))
  parser.add_argument("--torch_threads", type=int, default=0,
                      help="PyTorch threads; 0: the fastest of 1..cores")
  parser.add_argument("--toy", action="store_true",
                      help="the tests' size: 256 examples, 16 hidden, 2 epochs, "
                      "static masks (no RigL)")
  parser.add_argument("--data_dir", default=None,
                      help="dataset folder (default $PSN_DATA_DIR)")
  parser.add_argument("--out", default="benchmarks/results/",
                      help="folder for peers_<backend>[_toy].json and .txt")
  parser.add_argument("--inline", action="store_true",
                      help="run the arms in this process (tests): RSS and "
                      "first-result times are then not per arm")
  parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
  parser.add_argument("--arm", default="engine", help=argparse.SUPPRESS)
  parser.add_argument("--masks", default="", help=argparse.SUPPRESS)
  argv = sys.argv[1:] if argv is None else list(argv)
  args = parser.parse_args(argv)
  if args.torch_threads < 0:
    parser.error(f"--torch_threads must be >= 0, got {args.torch_threads}")
  if args.child:
    args.seeds = int(args.seeds_list)
    child(args)
    return None
  args.argv = argv
  doc = measure(args)
  os.makedirs(args.out, exist_ok=True)
  name = f"peers_{doc['backend']}{'_toy' if args.toy else ''}"
  _write_atomic(os.path.join(args.out, name + ".json"),
                json.dumps(doc, indent=1) + "\n")
  _write_atomic(os.path.join(args.out, name + ".txt"),
                f"$ {doc['command']}\n# {doc['date']}, {doc['device']}, "
                f"{doc['cpu_count']} cores, load average {doc['load_average_1m']:.2f}"
                f" at the start\n" + "\n".join(doc["table"]) + "\n")
  print(f"wrote {os.path.join(args.out, name)}.json and .txt")
  return doc


if __name__ == "__main__":
  main()
