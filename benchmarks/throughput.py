"""Throughput of the vmapped engine against the common per-seed Python loop.

Workload: Fashion-MNIST, MLP 784-300-100-10, batch 128, 90% sparse (uniform
layers, uniform profile), Adam. Prints seed-epochs per second, compile time
apart (each configuration is run once to compile, then timed):

* `engine`: `jit(vmap(train_epoch))` over S seeds, one call per epoch (an
  epoch is a `lax.scan`, the data on device, a fresh permutation per seed).
* `python loop`: the flax-examples way: for each seed, for each batch, call a
  jitted masked train step from Python (batch indices made on the host).
* `rigl` vs `static`: one RigL epoch (update every 100 steps) against one
  static sparse epoch at the same S, and one mask-update step against one
  plain step (a step function jitted on its own, timed over many calls).

  python -m benchmarks.throughput                  # S = 1, 2, 4, 8
  python -m benchmarks.throughput --seeds 1,2,4,8,16,32 --epochs 2
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from configs import train as train_config
from psn_jax import data as data_lib
from psn_jax import dst
from psn_jax import masks as masks_lib
from psn_jax import runner
from psn_jax import train as train_lib


def _config(algorithm: str = "none"):
  c = train_config.get_config("quick")
  c.dataset = "fashion_mnist"
  c.optim.lr_schedule = "constant"
  c.num_epochs = 10
  c.dst.algorithm = algorithm
  return c


def _setup(config, data):
  spec = train_lib.DataSpec(data.x_train.shape[0], data.x_train.shape[1], 10)
  engine = train_lib.make_train(config, spec)
  return engine, engine.params_shape


def _masks(params_shape, seeds):
  return runner.build_masks(runner.Variant("uniform", 0.9), params_shape, seeds)


def time_engine(config, data, n_seeds: int, epochs: int) -> tuple[float, float]:
  """(compile seconds, seed-epochs per second) of the vmapped engine."""
  engine, params_shape = _setup(config, data)
  seeds = list(range(n_seeds))
  keys = jnp.stack([train_lib.seed_key(s) for s in seeds])
  init = jax.jit(jax.vmap(engine.init))
  epoch_fn = jax.jit(jax.vmap(engine.train_epoch, in_axes=(0, None, None)))
  state = init(keys, _masks(params_shape, seeds))
  t0 = time.perf_counter()
  state, m = epoch_fn(state, data, jnp.int32(0))
  jax.block_until_ready(m)
  compile_and_first = time.perf_counter() - t0
  t0 = time.perf_counter()
  for e in range(1, epochs + 1):
    state, m = epoch_fn(state, data, jnp.int32(e))
  jax.block_until_ready(m)
  per_epoch = (time.perf_counter() - t0) / epochs
  return compile_and_first - per_epoch, n_seeds / per_epoch


def time_python_loop(config, data, n_seeds: int, epochs: int) -> float:
  """Seed-epochs per second of a Python loop over seeds and batches."""
  engine, params_shape = _setup(config, data)
  masks = _masks(params_shape, range(n_seeds))
  model, tx = engine.model, engine.tx

  @jax.jit
  def step(params, opt_state, m, x_all, y_all, idx):
    x, y = x_all[idx], y_all[idx]

    def loss_fn(p):
      logits = model.apply({"params": masks_lib.apply_masks(p, m)}, x)
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    grads = masks_lib.apply_masks(jax.grad(loss_fn)(params), m)
    updates, opt_state = tx.update(grads, opt_state, params)
    return masks_lib.apply_masks(optax.apply_updates(params, updates), m), opt_state

  b, n = config.batch_size, data.x_train.shape[0]
  states = []
  for s in range(n_seeds):
    m = jax.tree.map(lambda a: a[s], masks)
    params = engine.model.init(jax.random.PRNGKey(s), data.x_train[:1])["params"]
    states.append((params, tx.init(params), m))
  p, o, m = states[0]
  jax.block_until_ready(step(p, o, m, data.x_train, data.y_train,
                             jnp.arange(b)))  # compile
  rng = np.random.default_rng(0)
  t0 = time.perf_counter()
  for _ in range(epochs):
    for s in range(n_seeds):
      params, opt_state, m = states[s]
      order = rng.permutation(n)
      for i in range(n // b):
        params, opt_state = step(params, opt_state, m, data.x_train,
                                 data.y_train,
                                 jnp.asarray(order[i * b:(i + 1) * b]))
      states[s] = (params, opt_state, m)
  jax.block_until_ready(states[-1][0])
  return n_seeds * epochs / (time.perf_counter() - t0)


def time_update_step(data, n_seeds: int, reps: int = 50) -> tuple[float, float]:
  """Milliseconds of one vmapped RigL mask update vs one plain step."""
  config = _config("rigl")
  engine, params_shape = _setup(config, data)
  seeds = list(range(n_seeds))
  keys = jnp.stack([train_lib.seed_key(s) for s in seeds])
  state = jax.jit(jax.vmap(engine.init))(keys, _masks(params_shape, seeds))
  x, y = data.x_train[:config.batch_size], data.y_train[:config.batch_size]

  def grads_of(st):
    def loss_fn(w):
      logits = engine.model.apply({"params": w}, x)
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return jax.grad(loss_fn)(masks_lib.apply_masks(st.params, st.masks))

  @jax.jit
  @jax.vmap
  def plain(st):
    g = masks_lib.apply_masks(grads_of(st), st.masks)
    updates, opt_state = engine.tx.update(g, st.opt_state, st.params)
    return optax.apply_updates(st.params, updates), opt_state

  @jax.jit
  @jax.vmap
  def rewire(st):
    return dst.update(st.key, jnp.int32(100), st.masks, st.params, grads_of(st),
                      st.opt_state, engine.dst_config)

  out = []
  for fn in (plain, rewire):
    jax.block_until_ready(fn(state))
    t0 = time.perf_counter()
    for _ in range(reps):
      r = fn(state)
    jax.block_until_ready(r)
    out.append(1e3 * (time.perf_counter() - t0) / reps)
  return out[0], out[1]


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--seeds", default="1,2,4,8")
  parser.add_argument("--epochs", type=int, default=1,
                      help="timed epochs per configuration (after compile)")
  parser.add_argument("--loop-seeds", type=int, default=2,
                      help="seeds for the Python-loop baseline")
  parser.add_argument("--data_dir", default=None)
  args = parser.parse_args()
  arrays = [data_lib.load("fashion_mnist", s, args.data_dir)
            for s in ("train", "test")]
  data = train_lib.Data(*(jnp.asarray(a) for pair in arrays for a in pair))
  print(f"device: {jax.devices()[0].device_kind} ({jax.default_backend()}), "
        f"jax {jax.__version__}; Fashion-MNIST 784-300-100-10, batch 128, "
        "90% sparse, Adam")
  loop = time_python_loop(_config(), data, args.loop_seeds, args.epochs)
  print(f"\n{'S':>4} {'engine seed-ep/s':>17} {'compile s':>10} "
        f"{'python loop seed-ep/s':>22} {'speed-up':>9}")
  for s in [int(v) for v in args.seeds.split(",")]:
    compile_s, rate = time_engine(_config(), data, s, args.epochs)
    print(f"{s:>4} {rate:>17.2f} {compile_s:>10.1f} {loop:>22.2f} "
          f"{rate / loop:>8.1f}x")
  s = max(int(v) for v in args.seeds.split(","))
  _, static_rate = time_engine(_config(), data, s, args.epochs)
  _, rigl_rate = time_engine(_config("rigl"), data, s, args.epochs)
  plain_ms, update_ms = time_update_step(data, s)
  print(f"\nS={s}: RigL epoch / static epoch time = {static_rate / rigl_rate:.3f}; "
        f"one mask update {update_ms:.2f} ms vs one plain step {plain_ms:.2f} ms "
        f"({update_ms / plain_ms:.1f}x)")


if __name__ == "__main__":
  main()
