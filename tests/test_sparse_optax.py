"""psn_jax.sparse_optax: the masked and RigL/SET optax wrappers (issue 21).

Masked weights, the gradients that reach the inner optimizer and its moments
stay exactly 0 under jit and vmap; RigL keeps every layer's active count; on
the MLP the wrapper equals the engine's step bit for bit.
"""

from __future__ import annotations

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from helpers import XLA_DEFAULT_OPT
from psn_jax import config as config_lib
from psn_jax import dst
from psn_jax import masks as masks_lib
from psn_jax import sparse_optax
from psn_jax import train as train_lib

N_IN, N_CLASSES, BATCH = 20, 3, 16


def _data(steps, seed=0):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(steps, BATCH, N_IN)).astype(np.float32)
  y = rng.integers(0, N_CLASSES, size=(steps, BATCH)).astype(np.int32)
  return jnp.asarray(x), jnp.asarray(y)


def _engine(algorithm="rigl", optim="adam", skip=True, delta_t=2):
  c = config_lib.get_config("quick")
  c.hidden = (12,)
  c.num_epochs = 1
  c.batch_size = BATCH
  c.optim.name = optim
  c.optim.weight_decay = 1e-3
  # A power of two: the engine's `p + u * lr` may be fused by XLA into one
  # multiply-add, which rounds once; with an exact product it equals the
  # wrapper's `p + (u * lr)` bit for bit (see psn_jax.sparse_optax).
  c.optim.learning_rate = 2.0 ** -7 if optim == "adam" else 2.0 ** -4
  c.distribution = "erk"
  c.profile = "random"
  c.sparsity = 0.7
  c.dst.algorithm = algorithm
  c.dst.delta_t = delta_t
  c.dst.drop_fraction = 0.5
  c.dst.skip_optimizer_step = skip
  engine = train_lib.make_train(c, train_lib.DataSpec(BATCH * 8, N_IN,
                                                      N_CLASSES))
  return c, engine


def _spy() -> optax.GradientTransformation:
  """An identity transformation whose state is the last gradient it saw, as
  a tuple of leaves (not params-shaped, so the wrapper's state reset cannot
  hide a gradient that reached it)."""
  return optax.GradientTransformation(
      lambda p: tuple(jnp.zeros_like(x) for x in jax.tree.leaves(p)),
      lambda g, s, p=None: (g, tuple(jax.tree.leaves(g))))


@pytest.mark.parametrize("algorithm, optim, skip", [
    ("rigl", "sgd", False), ("rigl", "adam", True)])
def test_wrapper_equals_the_engine_on_the_mlp(algorithm, optim, skip):
  """SGD (momentum, L2): params, masks and state bit for bit. AdamW: masks
  bit for bit, params and moments within a few ulp: XLA fuses Adam's update
  with what follows it differently in the two programs (1 ulp from the
  second step on, measured on CPU)."""
  c, engine = _engine(algorithm, optim, skip)
  key = train_lib.seed_key(3)
  m0 = masks_lib.from_config(c, engine.params_shape, train_lib.mask_key(3))
  state = engine.init(key, m0)
  lr = float(c.optim.learning_rate)
  tx = sparse_optax.dynamic(optax.chain(engine.tx, optax.scale(lr)), m0,
                            engine.dst_config, state.key,
                            lr_schedule=None)
  params, ws = state.params, None
  ws = tx.init(params)
  xs, ys = _data(7)

  # Bitwise as users compile them: XLA's default optimisation level.
  @functools.partial(jax.jit, compiler_options=XLA_DEFAULT_OPT)
  def engine_step(state, t, x, y):
    return engine.train_step(state, t, x, y)[0]

  @functools.partial(jax.jit, compiler_options=XLA_DEFAULT_OPT)
  def wrapper_step(params, ws, t, x, y):
    drop_key = jax.random.fold_in(state.dropout_key, t)
    _, _, grads = engine.loss_and_grads(params, ws.masks, x, y, drop_key)
    updates, ws = tx.update(grads, ws, params)
    return optax.apply_updates(params, updates), ws

  changed = False
  for t in range(7):
    state = engine_step(state, t, xs[t], ys[t])
    params, ws = wrapper_step(params, ws, t, xs[t], ys[t])
    chex.assert_trees_all_equal(ws.masks, state.masks)
    if optim == "sgd":
      chex.assert_trees_all_equal(params, state.params)
      chex.assert_trees_all_equal(ws.inner[0], state.opt_state)
    else:
      chex.assert_trees_all_close(params, state.params, rtol=1e-6, atol=1e-8)
      chex.assert_trees_all_close(ws.inner[0], state.opt_state, rtol=1e-5,
                                  atol=1e-12)
    changed |= any(bool(np.any(np.asarray(a) != np.asarray(b))) for a, b in
                   zip(jax.tree.leaves(ws.masks), jax.tree.leaves(m0)))
  assert changed, "the masks never moved: the test saw no RigL/SET update"
  assert int(ws.step) == 7


def _mlp_params(key):
  from psn_jax import models
  return models.MLP(hidden=(12,), num_classes=N_CLASSES).init(
      key, jnp.zeros((1, N_IN)))["params"]


def _loss(params, x, y):
  from psn_jax import models
  logits = models.MLP(hidden=(12,), num_classes=N_CLASSES).apply(
      {"params": params}, x)
  return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def _params_shaped(tree, like):
  """The subtrees of `tree` with the structure of `like` (Adam's mu, nu)."""
  want = jax.tree.structure(like)
  return [n for n in jax.tree.leaves(
      tree, is_leaf=lambda n: jax.tree.structure(n) == want)
          if jax.tree.structure(n) == want]


def test_masked_weights_grads_and_moments_stay_zero_under_jit_and_vmap():
  """Three seeds in one vmapped, jitted loop with RigL every 2 steps: after
  every step the masked weights, the gradient the inner optimizer received
  (a spy ahead of AdamW) and AdamW's moments are exactly 0 where masked, and
  every layer keeps its active count."""
  seeds = 3
  keys = jax.random.split(jax.random.PRNGKey(0), seeds)
  # Unmasked starting params: the first update must zero the masked ones.
  params = jax.vmap(_mlp_params)(keys)
  one = jax.tree.map(lambda p: p[0], params)
  masks = [masks_lib.make_masks(jax.random.PRNGKey(s), one, sparsity=0.8,
                                profile="lognormal", cv=0.5)
           for s in range(seeds)]
  masks = jax.tree.map(lambda *m: np.stack(m), *masks)
  cfg = dst.DSTConfig(algorithm="rigl", delta_t=2, t_end=100,
                      drop_fraction=0.3)
  inner = lambda: optax.chain(_spy(), optax.adamw(1e-2, weight_decay=1e-2))
  xs, ys = _data(5)

  def init(p, m, k):
    return sparse_optax.dynamic(inner(), m, cfg, k).init(p)

  def step(p, s, x, y):
    tx = sparse_optax.dynamic(inner(), s.masks, cfg, s.key)
    u, s = tx.update(jax.grad(_loss)(p, x, y), s, p)
    return optax.apply_updates(p, u), s

  state = jax.jit(jax.vmap(init))(params, masks, keys)
  run = jax.jit(jax.vmap(step, in_axes=(0, 0, None, None)))
  counts = [masks_lib.count_active(jax.tree.map(lambda m: m[i], masks))
            for i in range(seeds)]
  moved = False
  for t in range(5):
    off_before = jax.tree.leaves(jax.tree.map(np.logical_not, state.masks))
    params, state = run(params, state, xs[t], ys[t])
    off_tree = jax.tree.map(np.logical_not, state.masks)
    off = jax.tree.leaves(off_tree)
    moved |= any(np.any(a != b) for a, b in zip(off, off_before))
    for p, o in zip(jax.tree.leaves(params), off):
      assert np.all(np.asarray(p)[o] == 0)
    spy_grads, adam_state = state.inner
    for g, o in zip(spy_grads, off_before):  # masked with the masks it saw
      assert np.all(np.asarray(g)[o] == 0)
    moments = _params_shaped(adam_state, off_tree)
    assert len(moments) == 2  # mu and nu
    for tree in moments:
      for leaf, o in zip(jax.tree.leaves(tree), off):
        assert np.all(np.asarray(leaf)[o] == 0)
    for i in range(seeds):
      got = masks_lib.count_active(jax.tree.map(lambda m: m[i], state.masks))
      assert got == counts[i]  # RigL keeps every layer's active count
  assert moved, "RigL never moved a connection"


def test_static_wrapper_is_the_masked_inner_step():
  params = _mlp_params(jax.random.PRNGKey(1))
  masks = masks_lib.make_masks(jax.random.PRNGKey(2), params, sparsity=0.5)
  params = sparse_optax.init_params(params, masks)
  tx = sparse_optax.masked(optax.sgd(0.1), masks)
  g = jax.tree.map(jnp.ones_like, params)
  u, s = jax.jit(tx.update)(g, tx.init(params), params)
  for leaf_u, m in zip(jax.tree.leaves(u), jax.tree.leaves(masks)):
    np.testing.assert_array_equal(np.asarray(leaf_u),
                                  np.where(m, np.float32(-0.1), 0))
  assert int(s.step) == 1
  assert sparse_optax.find_state((optax.EmptyState(), s)) is s


def test_bad_input_gives_one_line():
  params = _mlp_params(jax.random.PRNGKey(1))
  masks = masks_lib.make_masks(jax.random.PRNGKey(2), params, sparsity=0.5)
  floats = jax.tree.map(lambda m: np.asarray(m, np.float32), masks)
  with pytest.raises(ValueError, match=r"^masks must be bool arrays: "
                     r"Dense_0/bias has dtype float32"):
    sparse_optax.masked(optax.sgd(0.1), floats)
  tx = sparse_optax.masked(optax.sgd(0.1), masks)
  with pytest.raises(ValueError, match="params must be passed to update"):
    tx.update(params, tx.init(params))
  with pytest.raises(ValueError, match="cfg must be a psn_jax.dst.DSTConfig"):
    sparse_optax.dynamic(optax.sgd(0.1), masks, {"algorithm": "rigl"},
                         jax.random.PRNGKey(0))
  with pytest.raises(ValueError, match="opt_state holds no SparseState"):
    sparse_optax.find_state(optax.EmptyState())
