"""Pruning baselines (psn_jax.dst.prune) in the engine: GMP's cubic schedule
against a hand table, IMP's exact counts per round and its bitwise rewind."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import train as train_config
from psn_jax import dst
from psn_jax import masks as masks_lib
from psn_jax import runner
from psn_jax import train as train_lib


def test_gmp_schedule_hand_table():
  # Zhu & Gupta eq. 1, s_i = 0: pruned = floor((n - K) (1 - (1 - tau)^3)).
  # n - K = 900: tau 1/4 -> 900 * 37/64 = 520.3; 1/2 -> 787.5; 3/4 -> 885.9.
  counts = dst.gmp_counts([100, 200, 300, 400], 0, [1000, 50], [100, 50])
  np.testing.assert_array_equal(counts, [[480, 50], [213, 50], [115, 50],
                                         [100, 50]])
  # From t_start = 200: tau 0, 1/2, 1 over the update steps 200, 300, 400.
  np.testing.assert_array_equal(
      dst.gmp_counts([200, 300, 400], 200, [1000], [100]),
      [[1000], [213], [100]])
  # One update step: straight to the budget; a 64 x 64 layer at 7/8.
  np.testing.assert_array_equal(dst.gmp_counts([5], 0, [4096], [512]),
                                [[512]])


def test_imp_rounds_and_counts_hand_table():
  # 20% a round to density 0.1: 0.8^10 = 0.107 > 0.1 >= 0.8^11 -> R = 11.
  assert dst.imp_rounds([1000, 40], [100, 40], 0.2) == 11
  counts, rewinds = dst.imp_counts(12, [1000, 40], [100, 40], 0.2)
  np.testing.assert_array_equal(
      counts[:, 0], [800, 640, 512, 410, 328, 262, 210, 168, 134, 107, 100,
                     100])
  assert (counts[:, 1] == 40).all()                  # a dense layer stays
  np.testing.assert_array_equal(rewinds, [True] * 11 + [False])
  assert dst.imp_rounds([64], [64], 0.2) == 0
  with pytest.raises(ValueError, match=r"^dst.delta_t: IMP needs 11 pruning "
                     r"rounds"):
    dst.prune_plan("imp", [5, 10], 0, 0.2, [1000, 40], [100, 40])
  with pytest.raises(ValueError, match=r"^dst.drop_fraction must be in "
                     r"\(0, 1\) for IMP"):
    dst.prune_plan("imp", [5], 0, 1.0, [10], [5])


def _engine(algorithm, sparsity, *, delta_t, t_start=0, rate=0.5,
            epochs=2, skip=True):
  c = train_config.get_config("quick")
  c.hidden = (24,)
  c.batch_size = 32
  c.num_epochs = epochs
  c.optim.name = "sgd"
  c.optim.learning_rate = 0.1
  c.optim.momentum = 0.9
  c.sparsity = sparsity
  c.profile = "random"
  c.dense_last = True
  c.dst.algorithm = algorithm
  c.dst.delta_t = delta_t
  c.dst.t_start = t_start
  c.dst.t_end_fraction = 1.0
  c.dst.drop_fraction = rate
  c.dst.skip_optimizer_step = skip
  spec = train_lib.DataSpec(256, 12, 3)
  return c, train_lib.make_train(c, spec)


def _data(n=256, d=12, seed=0):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(n, d)).astype(np.float32)
  y = np.argmax(x @ rng.normal(size=(d, 3)), axis=1).astype(np.int32)
  return jnp.asarray(x), jnp.asarray(y)


def _kernel_counts(masks):
  return [int(np.asarray(m).sum()) for m in masks_lib.layer_masks(masks)]


def _inner_leaves(opt_state):
  return jax.tree.leaves(opt_state[0])


def test_imp_exact_counts_per_round_and_bitwise_rewind():
  """Two rounds of IMP (50% a round to density 0.25) on one seed, step by
  step: after each prune the counts are the plan's and the surviving weights
  are bitwise those after `t_start` = 3 optimizer steps."""
  config, engine = _engine("imp", 0.75, delta_t=6, t_start=3, rate=0.5)
  x, y = _data()
  masks = runner.build_masks(config, engine.params_shape, [0])
  state = engine.init(train_lib.seed_key(0), jax.tree.map(lambda m: m[0],
                                                          masks))
  sizes = [int(np.prod(s)) for s in (12 * 24, 24 * 3)]
  assert _kernel_counts(state.masks) == sizes        # IMP starts dense
  step = jax.jit(engine.train_step)
  rewind_params = None
  plan = dst.prune_plan("imp", [6, 12], 3, 0.5, sizes, [72, 72])
  np.testing.assert_array_equal(plan.counts, [[144, 72], [72, 72]])
  for t in range(13):
    state, _ = step(state, t, x[t * 16:(t + 1) * 16], y[t * 16:(t + 1) * 16])
    if t == 2:                                       # 3 optimizer steps done
      rewind_params = jax.device_get(state.params)
      rewind_inner = jax.device_get(state.opt_state[0])
    if t in (6, 12):
      counts = _kernel_counts(state.masks)
      assert counts == list(plan.counts[t // 6 - 1]), (t, counts)
      for p, p3, m in zip(jax.tree.leaves(state.params),
                          jax.tree.leaves(rewind_params),
                          jax.tree.leaves(state.masks)):
        np.testing.assert_array_equal(np.asarray(p),
                                      np.where(np.asarray(m), p3, 0))
      for s, s3 in zip(_inner_leaves(state.opt_state),
                       jax.tree.leaves(rewind_inner)):
        if np.shape(s) == np.shape(s3) and np.ndim(s) >= 2:
          m = np.asarray(masks_lib.layer_masks(state.masks)[0]
                         if np.shape(s) == (12, 24) else
                         masks_lib.layer_masks(state.masks)[1])
          np.testing.assert_array_equal(np.asarray(s), np.where(m, s3, 0))
        else:                                        # step counts, scalars
          np.testing.assert_array_equal(np.asarray(s), np.asarray(s3))
    # Pruned weights and their optimizer state are exactly zero throughout.
    for p, m in zip(jax.tree.leaves(state.params),
                    jax.tree.leaves(state.masks)):
      assert not np.asarray(p)[~np.asarray(m)].any()
    for s, m in zip([l for l in _inner_leaves(state.opt_state)
                     if np.ndim(l) >= 2], masks_lib.layer_masks(state.masks)):
      assert not np.asarray(s)[~np.asarray(m)].any()


def test_gmp_reaches_the_budget_vmapped_over_seeds(algorithm="gmp_global"):
  """Per-layer pruning is the IMP test's path; here the global ranking."""
  config, engine = _engine(algorithm, 0.9, delta_t=4, epochs=2, skip=False)
  x, y = _data()
  xt, yt = _data(64, seed=1)
  data = train_lib.Data(x, y, xt, yt)
  seeds = [0, 1]
  masks = runner.build_masks(config, engine.params_shape, seeds)
  keys = jnp.stack([train_lib.seed_key(s) for s in seeds])
  state, metrics = jax.jit(jax.vmap(engine.train, in_axes=(0, 0, None)))(
      keys, masks, data)
  for s in seeds:
    counts = _kernel_counts(jax.tree.map(lambda a: a[s], state.masks))
    if algorithm == "gmp":
      assert counts == [29, 72]                     # round(0.1 * 288), dense
    else:
      assert counts[0] == 29 and counts[1] == 72    # one sparse layer: same
    for p, m in zip(jax.tree.leaves(state.params), jax.tree.leaves(
        state.masks)):
      assert not np.asarray(p[s])[~np.asarray(m[s])].any()
  assert np.isfinite(np.asarray(metrics.test_loss)).all()


def test_procedure_flops_hand_count():
  """A 3-2-1 network: layer 0 pruned to 4 of 6 connections, layer 1 dense."""
  from psn_jax.claims import liu_pruning
  dense = [np.ones((3, 2), bool), np.ones((2, 1), bool)]
  pruned = [np.array([[1, 0], [1, 1], [0, 1]], bool), np.ones((2, 1), bool)]
  assert liu_pruning.forward_flops(dense) == 2 * 8
  assert liu_pruning.forward_flops(pruned) == 2 * 6
  # IMP-like: 5 steps dense, 5 steps pruned, batch 2: 3 * 2 * (5*16 + 5*12).
  assert liu_pruning.procedure_flops([(5, dense), (5, pruned)], 2) == 840
  # RigL-like: 10 steps pruned, 3 of them with the dense weight gradient
  # (2 * (8 - 6) FLOPs more per example): 720 + 3 * 2 * 4.
  assert liu_pruning.procedure_flops([(10, pruned)], 2, dense_grad_steps=3,
                                     dense_masks=dense) == 744
