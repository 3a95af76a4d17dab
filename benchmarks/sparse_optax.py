"""The optax wrapper's step against the engine's, on the MLP (issue 21).

Workload: MLP 784-300-100-10 (or --hidden), 90% sparse (ERK budgets, random
placement: RigL's start), Adam, batch 128, S seeds vmapped; synthetic data
(the cost does not depend on the values). Both sides compute the same thing
(tests/test_sparse_optax.py checks it): the engine's `train_step` (masked
forward/backward, gradient-norm tracking, Adam, and at update steps RigL
with its topology record) against a user loop of `engine.loss_and_grads`
then `sparse_optax.dynamic(chain(engine.tx, scale(lr)), ...).update` and
`optax.apply_updates`. Per side, jitted and vmapped over S seeds, the median
of --reps calls after a warm-up (compile apart) of

* a plain step (no mask update: step 1);
* an update step (RigL rewires: step delta_t);

and the epoch cost implied at --steps_per_epoch steps with an update every
--delta_t steps. The wrapper is vmapped two ways: `state_axes` (the step
counter unbatched, as the engine's: RigL's `lax.cond` stays a branch) and
plainly (every leaf batched: the `cond` becomes a select that runs RigL on
every step), which the table shows.

  python -m benchmarks.sparse_optax                 # S = 1 and 8
  python -m benchmarks.sparse_optax --seeds 1 --reps 20
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from psn_jax import config as config_lib
from psn_jax import masks as masks_lib
from psn_jax import sparse_optax
from psn_jax import train as train_lib


def _median_ms(fn, args, reps: int) -> float:
  jax.block_until_ready(fn(*args))  # compile and warm up
  times = []
  for _ in range(reps):
    t = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - t)
  return 1e3 * statistics.median(times)


def measure(seeds: int, hidden: tuple[int, ...], reps: int, delta_t: int,
            batch: int = 128) -> dict[str, float]:
  """Milliseconds per step of each side, `seeds` vmapped."""
  c = config_lib.get_config("quick")
  c.hidden = hidden
  c.batch_size = batch
  c.distribution, c.profile, c.sparsity = "erk", "random", 0.9
  c.dst.algorithm, c.dst.delta_t = "rigl", delta_t
  engine = train_lib.make_train(c, train_lib.DataSpec(60000, 784, 10))
  ids = list(range(seeds))
  m = [masks_lib.from_config(c, engine.params_shape, train_lib.mask_key(s))
       for s in ids]
  masks = jax.tree.map(lambda *a: jnp.asarray(np.stack(a)), *m)
  keys = jnp.stack([train_lib.seed_key(s) for s in ids])
  state = jax.vmap(engine.init)(keys, masks)
  lr = float(c.optim.learning_rate)
  inner = optax.chain(engine.tx, optax.scale(lr))

  def wrapper_init(params, mask, key):
    return sparse_optax.dynamic(inner, mask, engine.dst_config, key).init(
        params)

  ws = jax.vmap(wrapper_init)(state.params, masks, state.key)
  rng = np.random.default_rng(0)
  x = jnp.asarray(rng.random((batch, 784), np.float32))
  y = jnp.asarray(rng.integers(0, 10, batch).astype(np.int32))

  engine_step = jax.jit(jax.vmap(lambda s, t: engine.train_step(s, t, x, y)[0],
                                 in_axes=(0, None)))

  def one(params, s, dropout_key):
    _, _, g = engine.loss_and_grads(params, s.masks, x, y, dropout_key)
    tx = sparse_optax.dynamic(inner, s.masks, engine.dst_config, s.key)
    u, s = tx.update(g, s, params)
    return optax.apply_updates(params, u), s

  axes = sparse_optax.state_axes(0)
  shared = jax.jit(jax.vmap(one, in_axes=(0, axes, 0), out_axes=(0, axes)))
  batched = jax.jit(jax.vmap(one))
  out = {}
  for label, t in (("plain", 1), ("update", delta_t)):
    out[f"engine {label}"] = _median_ms(
        engine_step, (state, jnp.int32(t)), reps)
    at = ws._replace(step=jnp.int32(t))
    out[f"wrapper {label}"] = _median_ms(
        shared, (state.params, at, state.dropout_key), reps)
    at = ws._replace(step=jnp.full((seeds,), t, jnp.int32))
    out[f"wrapper, step batched {label}"] = _median_ms(
        batched, (state.params, at, state.dropout_key), reps)
  return out


def main(argv: list[str] | None = None) -> int:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--seeds", type=int, nargs="+", default=[1, 8])
  p.add_argument("--hidden", type=int, nargs="+", default=[300, 100])
  p.add_argument("--reps", type=int, default=10)
  p.add_argument("--delta_t", type=int, default=100)
  p.add_argument("--steps_per_epoch", type=int, default=468)
  a = p.parse_args(argv)
  print(f"MLP 784-{'-'.join(map(str, a.hidden))}-10, 90% sparse (ERK), "
        f"Adam, batch 128, RigL every {a.delta_t} steps; "
        f"{jax.devices()[0].device_kind}, ms per step (median of {a.reps})")
  print("| seeds | side | plain step | update step | epoch (s) |")
  print("|---|---|---|---|---|")
  n = a.steps_per_epoch
  for s in a.seeds:
    r = measure(s, tuple(a.hidden), a.reps, a.delta_t)
    for side in ("engine", "wrapper", "wrapper, step batched"):
      plain, upd = r[f"{side} plain"], r[f"{side} update"]
      epoch = (n - n // a.delta_t) * plain + (n // a.delta_t) * upd
      print(f"| {s} | {side} | {plain:.2f} | {upd:.2f} | "
            f"{epoch / 1e3:.2f} |")
  return 0


if __name__ == "__main__":
  raise SystemExit(main())
