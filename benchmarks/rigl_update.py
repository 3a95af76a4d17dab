"""Cost of one RigL mask update against one plain training step (issue 11 item 4).

Workload: MLP 784-300-100-10 (or --hidden), 90% sparse uniform-random masks,
Adam, batch 128, S seeds vmapped; synthetic data (the cost does not depend on
the values). Times, each jitted on its own and vmapped over S seeds (median of
--reps calls after a warm-up; compile apart):

* `plain step`: masked forward/backward + Adam update (the engine's step
  without the mask update);
* `rigl update`: `dst.rigl_update` (drop and grow selections, weights,
  optimizer-state reset);
* its parts: `priorities` (`dst.tie_break_priorities`), `select` (one
  `dst._smallest_k` over the largest layer with RigL's grow keys),
  `reset_where` (the optimizer-state reset alone);
* the epoch ratio implied at `--steps_per_epoch` steps and an update every
  `--delta_t` steps: (n * plain + n / delta_t * update) / (n * plain).

  python -m benchmarks.rigl_update                    # S = 1, 8, 64
  python -m benchmarks.rigl_update --seeds 8 --reps 5 --out benchmarks/results/x.json
  python -m benchmarks.rigl_update --baseline ba45965    # before/after, same run
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types

import jax
import jax.numpy as jnp
import numpy as np
import optax

from psn_jax import dst
from psn_jax import masks as masks_lib
from psn_jax import models
from psn_jax import train as train_lib


def _median_ms(fn, *args, reps: int) -> tuple[float, float]:
  """(compile+first call s, median ms over reps calls)."""
  t0 = time.perf_counter()
  jax.block_until_ready(fn(*args))
  first = time.perf_counter() - t0
  times = []
  for _ in range(reps):
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(1e3 * (time.perf_counter() - t0))
  return first, statistics.median(times)


def build(n_seeds: int, hidden: tuple[int, ...], sparsity: float = 0.9,
          batch: int = 128, n_in: int = 784, n_classes: int = 10):
  """Stacked (params, masks, opt_state, keys, grads, x, y) and (model, tx)."""
  model = models.MLP(hidden=hidden, num_classes=n_classes)
  tx = optax.adam(1e-3)
  x = jax.random.normal(jax.random.PRNGKey(1), (batch, n_in))
  y = jax.random.randint(jax.random.PRNGKey(2), (batch,), 0, n_classes)

  def one(seed):
    key = jax.random.PRNGKey(seed)
    params = model.init(key, x[:1])["params"]
    masks = jax.tree.map(
        lambda p: (jax.random.uniform(jax.random.fold_in(key, p.size), p.shape)
                   >= sparsity) if p.ndim >= 2 else jnp.ones(p.shape, bool), params)
    params = masks_lib.apply_masks(params, masks)
    state = tx.init(params)
    # Non-zero moments, so the reset does real work.
    state = jax.tree.map(lambda s: s + 0.1 if s.ndim else s, state)
    return params, masks, state, key

  params, masks, state, keys = jax.jit(jax.vmap(one))(jnp.arange(n_seeds))
  return (params, masks, state, keys, x, y), (model, tx)


def _grads(model, params, masks, x, y):
  """The engine's dense gradient (`train.loss_and_grads`, no dropout)."""
  return train_lib.loss_and_grads(model, params, masks, x, y,
                                  jax.random.PRNGKey(0))[2]


def load_baseline(rev: str):
  """`psn_jax.dst` as of git revision `rev` (or a .py file), as a module.

  Before the split (ac9a1eb) it is one file, `psn_jax/dst.py`; after it a
  package, `psn_jax/dst/`, whose files import each other as `psn_jax.dst.*`:
  they are written to a temporary folder as a package of their own (those
  imports renamed to it), so the current `psn_jax.dst` stays what it is.

  Raises:
    SystemExit: `rev` is neither a .py file nor a revision holding either
      layout (one line on stderr, status 2).
  """
  alias = "dst_" + re.sub(r"\W", "_", os.path.basename(rev))
  if rev.endswith(".py"):
    with open(rev) as f:
      sources = {None: f.read()}
  else:
    sources = _dst_sources(rev)
  if None in sources:  # one module
    module = types.ModuleType(alias)
    sys.modules[alias] = module   # dataclasses look the module up
    exec(compile(sources[None], f"dst@{rev}", "exec"), module.__dict__)  # pylint: disable=exec-used
    return module
  folder = os.path.join(tempfile.mkdtemp(prefix="dst_baseline_"), alias)
  atexit.register(shutil.rmtree, os.path.dirname(folder), True)
  os.makedirs(folder)
  for name, source in sources.items():
    with open(os.path.join(folder, name), "w") as f:
      f.write(re.sub(r"\bpsn_jax\.dst\b", alias, source))
  spec = importlib.util.spec_from_file_location(
      alias, os.path.join(folder, "__init__.py"),
      submodule_search_locations=[folder])
  module = importlib.util.module_from_spec(spec)
  sys.modules[alias] = module
  spec.loader.exec_module(module)
  return module


def _refuse(message: str) -> None:
  print(f"error: {message}", file=sys.stderr)
  sys.exit(2)


def _git(*args: str) -> str | None:
  proc = subprocess.run(["git", *args], capture_output=True, text=True,
                        check=False)
  return proc.stdout if proc.returncode == 0 else None


def _dst_sources(rev: str) -> dict:
  """{None: source} of `psn_jax/dst.py` at `rev`, else {file name: source}
  of the package `psn_jax/dst/`; refuses anything else in one line."""
  if _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}") is None:
    _refuse(f"--baseline {rev}: not a git revision of this repository or a "
            f".py file")
  single = _git("show", f"{rev}:psn_jax/dst.py")
  if single is not None:
    return {None: single}
  listing = _git("ls-tree", "--name-only", rev, "psn_jax/dst/") or ""
  files = [p for p in listing.split() if p.endswith(".py")]
  if "psn_jax/dst/__init__.py" not in files:
    _refuse(f"--baseline {rev}: has neither psn_jax/dst.py nor "
            f"psn_jax/dst/__init__.py, so no rigl_update to time")
  return {os.path.basename(p): _git("show", f"{rev}:{p}") for p in files}


def measure(n_seeds: int, hidden: tuple[int, ...], reps: int,
            baseline=None) -> dict:
  (params, masks, state, keys, x, y), (model, tx) = build(n_seeds, hidden)
  cfg = dst.DSTConfig(algorithm="rigl", delta_t=100, t_end=10_000,
                      drop_fraction=0.3, drop_schedule="cosine")

  @jax.jit
  @jax.vmap
  def plain(p, m, s):
    g = masks_lib.apply_masks(_grads(model, p, m, x, y), m)
    updates, s = tx.update(g, s, p)
    return masks_lib.apply_masks(optax.apply_updates(p, updates), m), s

  grads = jax.jit(jax.vmap(lambda p, m: _grads(model, p, m, x, y)))(params, masks)

  @jax.jit
  @jax.vmap
  def rigl(k, m, p, g, s):
    return dst.rigl_update(k, jnp.int32(100), m, p, g, s, cfg)

  shapes = [l.shape[1:] for l in jax.tree.leaves(masks) if l.ndim >= 3]

  @jax.jit
  @jax.vmap
  def priorities(k):
    return dst.tie_break_priorities(k, jnp.int32(100), shapes)

  big = max(range(len(shapes)), key=lambda i: np.prod(shapes[i]))
  kernel_masks = [l for l in jax.tree.leaves(masks) if l.ndim >= 3]
  kernel_grads = [l for l in jax.tree.leaves(grads) if l.ndim >= 3]

  @jax.jit
  @jax.vmap
  def select(m, g, prio, k):
    keys_ = [(m.reshape(-1).astype(jnp.uint32), 1),
             (dst._descending_key(g.reshape(-1)), 31),  # pylint: disable=protected-access
             (prio.reshape(-1), 32)]
    return dst._smallest_k(keys_, k)  # pylint: disable=protected-access

  prio = priorities(keys)[big][1]
  n_grow = (0.3 * kernel_masks[big].sum(axis=(1, 2))).astype(jnp.int32)

  @jax.jit
  @jax.vmap
  def reset(s, m):
    return dst.reset_where(s, jax.tree.map(lambda a: ~a, m))

  out = {"S": n_seeds, "hidden": list(hidden)}
  if baseline is not None:
    # The baseline's own settings class: its fields may differ from today's.
    base_cfg = baseline.DSTConfig(algorithm="rigl", delta_t=100, t_end=10_000,
                                  drop_fraction=0.3, drop_schedule="cosine")

    @jax.jit
    @jax.vmap
    def rigl_base(k, m, p, g, s):
      return baseline.rigl_update(k, jnp.int32(100), m, p, g, s, base_cfg)

    args = (keys, masks, params, grads, state)
    same = jax.tree.map(lambda a, b: bool(jnp.array_equal(a, b)),
                        rigl(*args), rigl_base(*args))
    out["same_as_baseline"] = all(jax.tree.leaves(same))
    # Interleaved, so both see the same machine load.
    t_new, t_base = [], []
    for _ in range(reps):
      for fn, acc in ((rigl, t_new), (rigl_base, t_base)):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        acc.append(1e3 * (time.perf_counter() - t0))
    out["rigl_interleaved_ms"] = statistics.median(t_new)
    out["rigl_baseline_ms"] = statistics.median(t_base)
  for name, fn, args in [
      ("plain", plain, (params, masks, state)),
      ("rigl", rigl, (keys, masks, params, grads, state)),
      ("priorities", priorities, (keys,)),
      ("select", select, (kernel_masks[big], kernel_grads[big], prio, n_grow)),
      ("reset_where", reset, (state, masks))]:
    first, ms = _median_ms(fn, *args, reps=reps)
    out[f"{name}_ms"] = ms
    out[f"{name}_compile_s"] = first - ms / 1e3
  return out


def epoch_ratio(row: dict, steps_per_epoch: int, delta_t: int) -> float:
  """Implied RigL/static epoch time (RigL skips the optimizer step on update
  steps; counted as a plain step, which overestimates slightly)."""
  n = steps_per_epoch
  return (n * row["plain_ms"] + n / delta_t * row["rigl_ms"]) / (n * row["plain_ms"])


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--seeds", default="1,8,64")
  parser.add_argument("--hidden", default="300,100")
  parser.add_argument("--reps", type=int, default=10)
  parser.add_argument("--steps_per_epoch", type=int, default=468)
  parser.add_argument("--delta_t", type=int, default=100)
  parser.add_argument("--label", default="", help="a tag stored with the rows")
  parser.add_argument("--baseline", default=None,
                      help="git revision (before or after psn_jax/dst.py became "
                      "the package psn_jax/dst/) or .py file whose "
                      "dst.rigl_update is timed alongside (interleaved) and "
                      "checked for identical output")
  parser.add_argument("--digit_bits", default="",
                      help="comma-separated bits per pass of the selection to time "
                      "(default: the backend's setting)")
  parser.add_argument("--out", default=None, help="JSON output path")
  args = parser.parse_args()
  hidden = tuple(int(h) for h in args.hidden.split(","))
  digit_bits = [int(b) for b in args.digit_bits.split(",") if b] or [dst._digit_bits()]  # pylint: disable=protected-access
  baseline = load_baseline(args.baseline) if args.baseline else None
  dev = jax.devices()[0]
  print(f"device: {dev.device_kind} ({jax.default_backend()}), jax {jax.__version__}; "
        f"MLP 784-{'-'.join(map(str, hidden))}-10, 90% sparse, Adam, batch 128")
  head = (f"{'bits':>4} {'S':>4} {'plain ms':>9} {'rigl ms':>9} {'ratio':>7} {'prio ms':>8} "
          f"{'select ms':>10} {'reset ms':>9} {'epoch x':>8}")
  print(head)
  rows = []
  for bits, s in [(b, int(v)) for b in digit_bits for v in args.seeds.split(",")]:
    dst._DIGIT_BITS[jax.default_backend()] = bits  # pylint: disable=protected-access
    row = measure(s, hidden, args.reps, baseline)
    row["digit_bits"] = bits
    row["update_over_step"] = row["rigl_ms"] / row["plain_ms"]
    row["epoch_ratio"] = epoch_ratio(row, args.steps_per_epoch, args.delta_t)
    rows.append(row)
    print(f"{bits:>4} {s:>4} {row['plain_ms']:>9.3f} {row['rigl_ms']:>9.3f} "
          f"{row['update_over_step']:>6.1f}x {row['priorities_ms']:>8.3f} "
          f"{row['select_ms']:>10.3f} {row['reset_where_ms']:>9.3f} "
          f"{row['epoch_ratio']:>7.3f}x", flush=True)
    if baseline is not None:
      print(f"     baseline {args.baseline}: {row['rigl_baseline_ms']:.3f} ms vs "
            f"{row['rigl_interleaved_ms']:.3f} ms now (interleaved; "
            f"{row['rigl_baseline_ms'] / row['rigl_interleaved_ms']:.2f}x faster), "
            f"identical output: {row['same_as_baseline']}", flush=True)
    dump(args, dev, rows)


def dump(args, dev, rows) -> None:
  """Rewrites the JSON (after every row: a run cut short keeps its rows)."""
  if not args.out:
    return
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
  with open(args.out, "w") as f:
    json.dump({"command": "python -m benchmarks.rigl_update " + " ".join(sys.argv[1:]),
               "label": args.label, "device": dev.device_kind,
               "backend": jax.default_backend(), "num_devices": jax.device_count(),
               "jax": jax.__version__, "python": platform.python_version(),
               "load_average_1m": os.getloadavg()[0], "rows": rows}, f, indent=1)


if __name__ == "__main__":
  main()
