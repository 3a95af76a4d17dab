"""Compile time of the engine's programs, the cold start of a run (issue 20).

For the peers recipe (`benchmarks.peers.recipe`: MLP 784-300-100-10 on
MNIST-sized data, Adam, RigL from ERK at 90%), S seeds, the persistent cache
off, all in one process after one warm-up compile, each program compiled
`--repeats` times:

* init as `jax.vmap(engine.init)` and as `train.init_runs` (a `lax.map`);
* one epoch (`jax.vmap(engine.train_epoch)`), static sparse and with RigL.

Prints a table of the median compile seconds, with the load average, and
writes it with its command to `benchmarks/results/compile_time_<backend>.txt`.

  python -m benchmarks.compile_time --seeds 4
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time

os.environ["PSN_COMPILE_CACHE"] = "0"  # measure compiling, not loading

import jax  # noqa: E402  pylint: disable=g-import-not-at-top
import jax.numpy as jnp  # noqa: E402  pylint: disable=g-import-not-at-top

from benchmarks import peers  # noqa: E402  pylint: disable=g-import-not-at-top
from psn_jax import runner  # noqa: E402  pylint: disable=g-import-not-at-top
from psn_jax import train as train_lib  # noqa: E402  pylint: disable=g-import-not-at-top


def _compile_s(fn, *args) -> float:
  lowered = jax.jit(fn).lower(*args)
  start = time.perf_counter()
  lowered.compile()
  return time.perf_counter() - start


def measure(seeds: int, repeats: int) -> list[tuple[str, float]]:
  """`[(program, median compile seconds)]` for the recipe at `seeds` seeds."""
  jax.jit(lambda x: x + 1).lower(jnp.ones(2)).compile()  # backend warm-up
  spec = train_lib.DataSpec(60000, 784, 10)
  data = train_lib.Data(jnp.zeros((60000, 784), jnp.uint8),
                        jnp.zeros((60000,), jnp.int32),
                        jnp.zeros((10000, 784), jnp.uint8),
                        jnp.zeros((10000,), jnp.int32))
  rows = []
  for algorithm in ("none", "rigl"):
    config = peers.recipe(seeds, toy=False)
    with config.unlocked():
      config.dst.algorithm = algorithm
      config.track.grad_norms = False
    engine = train_lib.make_train(config, spec)
    masks = runner.build_masks(config, engine.params_shape, list(range(seeds)))
    keys = jnp.stack([train_lib.seed_key(s) for s in range(seeds)])
    programs = [(f"epoch, {algorithm}",
                 jax.vmap(engine.train_epoch, in_axes=(0, None, None)),
                 (jax.eval_shape(jax.vmap(engine.init), keys, masks), data,
                  jnp.int32(0)))]
    if algorithm == "none":
      programs = [("init, vmap", jax.vmap(engine.init), (keys, masks)),
                  ("init, init_runs (lax.map)",
                   functools.partial(train_lib.init_runs, engine),
                   (keys, masks))] + programs
    for name, fn, args in programs:
      times = [_compile_s(fn, *args) for _ in range(repeats)]
      rows.append((name, statistics.median(times)))
  return rows


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--seeds", type=int, default=4)
  parser.add_argument("--repeats", type=int, default=2)
  parser.add_argument("--out", default=os.path.join("benchmarks", "results"))
  args = parser.parse_args(argv)
  command = "python -m benchmarks.compile_time " + " ".join(
      sys.argv[1:] if argv is None else argv)
  load = os.getloadavg()[0]
  rows = measure(args.seeds, args.repeats)
  lines = [f"$ {command}",
           f"# {time.strftime('%Y-%m-%dT%H:%M:%S%z')}, {jax.default_backend()}, "
           f"{os.cpu_count()} cores, load average {load:.2f} at the start, "
           f"S={args.seeds}, median of {args.repeats}",
           f"{'program':>28}  compile (s)"]
  lines += [f"{name:>28}  {s:10.2f}" for name, s in rows]
  text = "\n".join(lines) + "\n"
  print(text, end="")
  os.makedirs(args.out, exist_ok=True)
  path = os.path.join(args.out, f"compile_time_{jax.default_backend()}.txt")
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    f.write(text)
  os.replace(tmp, path)


if __name__ == "__main__":
  main()
