"""Pruning baselines (psn_jax.dst.prune) in the engine: GMP's cubic schedule
against a hand table, IMP's exact counts per round and its bitwise rewind,
and both through the runner end to end, killed and resumed."""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from helpers import Killed, kill_after_first_save, tiny_data_dir

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
  with pytest.raises(ValueError, match=r"^dst.t_start \(IMP's rewind step\) "
                     r"must be below the first pruning step 5, got 5$"):
    dst.prune_plan("imp", [5, 10], 5, 0.5, [8], [4])
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
  """Two rounds of IMP (50% a round to density 0.25), two seeds vmapped,
  step by step: after each prune the counts are the plan's and the surviving
  weights and optimizer state are bitwise those after `t_start` = 3
  optimizer steps; pruned weights and state stay exactly zero."""
  config, engine = _engine("imp", 0.75, delta_t=6, t_start=3, rate=0.5)
  x, y = _data()
  seeds = [0, 1]
  masks = runner.build_masks(config, engine.params_shape, seeds)
  keys = jnp.stack([train_lib.seed_key(s) for s in seeds])
  state = jax.vmap(engine.init)(keys, masks)
  sizes = [12 * 24, 24 * 3]
  plan = dst.prune_plan("imp", [6, 12], 3, 0.5, sizes, [72, 72])
  np.testing.assert_array_equal(plan.counts, [[144, 72], [72, 72]])
  step = jax.jit(jax.vmap(engine.train_step, in_axes=(0, None, None, None)))
  for t in range(13):
    state, _ = step(state, t, x[t * 16:(t + 1) * 16], y[t * 16:(t + 1) * 16])
    if t == 2:                                       # 3 optimizer steps done
      saved_params = jax.device_get(state.params)
      saved_inner = jax.device_get(state.opt_state[0])
    host = jax.device_get(state)                     # numpy: no eager ops
    for s in range(len(seeds)):
      one = jax.tree.map(lambda a: a[s], host)
      kernels = masks_lib.layer_masks(one.masks)
      expected = sizes if t < 6 else list(plan.counts[0 if t < 12 else 1])
      assert _kernel_counts(one.masks) == expected, (t, s)
      for p, m in zip(jax.tree.leaves(one.params), jax.tree.leaves(one.masks)):
        assert not p[~m].any()
      moments = [l for l in jax.tree.leaves(one.opt_state[0]) if l.ndim >= 2]
      for l, m in zip(moments, kernels):
        assert not l[~m].any()
      if t in (6, 12):                               # just pruned, rewound
        for p, p3, m in zip(jax.tree.leaves(one.params),
                            jax.tree.leaves(saved_params),
                            jax.tree.leaves(one.masks)):
          np.testing.assert_array_equal(p, np.where(m, p3[s], 0))
        for l, l3 in zip(jax.tree.leaves(one.opt_state[0]),
                         jax.tree.leaves(saved_inner)):
          if l.ndim >= 2:
            m = kernels[0] if l.shape == kernels[0].shape else kernels[1]
            np.testing.assert_array_equal(l, np.where(m, l3[s], 0))
          else:                                      # the step count: 3
            np.testing.assert_array_equal(l, l3[s])


def test_global_pruning_ranks_across_layers():
  """gmp_global / imp_global: one magnitude ranking over the pruned layers;
  a layer at its full size in the plan (dense_last) is never touched."""
  from psn_jax.dst import prune as prune_lib
  masks = {"a": {"kernel": np.ones((2, 3), bool), "bias": np.ones(3, bool)},
           "b": {"kernel": np.ones((3, 2), bool), "bias": np.ones(2, bool)},
           "c": {"kernel": np.ones((2, 1), bool), "bias": np.ones(1, bool)}}
  params = {"a": {"kernel": np.array([[1., -9], [8, 2], [7, 6]]).T.copy(),
                  "bias": np.ones(3)},
            "b": {"kernel": np.array([[0.5, 10], [11, 12], [-3, 13]]),
                  "bias": np.ones(2)},
            "c": {"kernel": np.array([[0.1], [0.2]]), "bias": np.ones(1)}}
  params = jax.tree.map(lambda p: jnp.asarray(p, jnp.float32), params)
  # Targets 3 + 4 of a (6) and b (6): the 5 smallest |w| over a and b go
  # (0.5, 1, 2, 3, 6), whatever their layer; c (2 of 2) keeps its tiny ones.
  go = jax.jit(lambda m, p: prune_lib.prune(jax.random.PRNGKey(0), 0, m, p,
                                            jnp.array([3, 4, 2]),
                                            global_=True))
  new_masks, new_params, dropped = go(masks, params)
  kept = lambda k: sorted(np.abs(np.asarray(new_params[k]["kernel"])[  # noqa: E731
      np.asarray(new_masks[k]["kernel"])]).tolist())
  assert kept("a") + kept("b") == [7, 8, 9] + [10, 11, 12, 13]
  assert kept("c") == pytest.approx([0.1, 0.2])
  assert int(np.asarray(dropped["a"]["kernel"]).sum()) == 3
  # Per layer: each layer to its own target.
  go = jax.jit(lambda m, p: prune_lib.prune(jax.random.PRNGKey(0), 0, m, p,
                                            jnp.array([3, 4, 2]),
                                            global_=False))
  new_masks, _, _ = go(masks, params)
  assert [int(np.asarray(new_masks[k]["kernel"]).sum()) for k in "abc"] == \
      [3, 4, 2]


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


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
  if not os.environ.get("PSN_DATA_DIR"):
    pytest.skip("needs $PSN_DATA_DIR (MNIST files)")
  return tiny_data_dir(tmp_path_factory.mktemp("data"),
                       os.environ["PSN_DATA_DIR"], n_train=256, n_test=128)


@pytest.mark.parametrize("algorithm", ["gmp", "imp"])
def test_pruning_end_to_end_killed_and_resumed(algorithm, data_dir, tmp_path,
                                               monkeypatch):
  """GMP and IMP through `runner.run` on MNIST (256 examples, 784-16-10, 3
  epochs of 8 steps, a pruning update every 8 steps): the final kernels hold
  exactly the budgets of sparsity 0.75. An IMP run killed after its first
  epoch's checkpoint and resumed (its rewind point and round are in the
  checkpointed optimizer state) gives the uninterrupted run's numbers."""
  c = train_config.get_config("quick")
  c.hidden, c.batch_size, c.num_epochs, c.num_seeds = (16,), 32, 3, 2
  c.sparsity, c.profile = 0.75, "random"
  c.dst.algorithm, c.dst.delta_t, c.dst.t_end_fraction = algorithm, 8, 1.0
  c.dst.drop_fraction = 0.5        # IMP: half a round, 2 rounds to 0.25
  c.dst.t_start = 3 if algorithm == "imp" else 0   # IMP's rewind step
  full = runner.run(c, str(tmp_path / "full"), data_dir=data_dir,
                    progress=False)
  budgets = [784 * 16 // 4, 16 * 10 // 4]
  for layer, want in zip(sorted(full.fan_ins), budgets):
    np.testing.assert_array_equal(full.fan_ins[layer].sum(-1), want)
  if algorithm == "gmp":  # its state is the optimizer's: test_results_sweep
    return
  workdir = str(tmp_path / "cut")
  kill_after_first_save(monkeypatch)
  with pytest.raises(Killed):
    runner.run(c, workdir, data_dir=data_dir, progress=False)
  monkeypatch.undo()
  resumed = runner.run(c, workdir, resume=True, data_dir=data_dir,
                       progress=False)
  assert resumed.meta["start_epochs"] == [0, 1]
  for k in ("train_loss", "train_accuracy", "test_accuracy"):
    np.testing.assert_array_equal(resumed.history[k], full.history[k], k)
  for layer in full.fan_ins:
    np.testing.assert_array_equal(resumed.fan_ins[layer], full.fan_ins[layer])
