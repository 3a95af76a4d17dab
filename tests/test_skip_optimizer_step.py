"""`dst.skip_optimizer_step`, both settings, against a hand-worked RigL step.

A 4-3-3 MLP whose first kernel is sparse (6 of 12 weights) takes one training
step that is a RigL update (step 1, `delta_t = 1`, constant drop fraction 0.5,
so 3 weights are dropped and 3 grown), on one batch holding all 8 examples,
with plain SGD at a constant learning rate of 1 (no momentum, no weight decay).

* `skip_optimizer_step=True` (RigL's and jaxpruner's reference code): the
  params after the step are the params before it, rewired: the 3 active
  weights of smallest |w| BEFORE the step are dropped.
* `skip_optimizer_step=False`: the params are first moved to `w - lr * grad`,
  then rewired: the magnitudes AFTER the SGD step decide the drop, so a
  different set is dropped (the tables below), and every other weight and bias
  has moved by `-lr * grad`.

Grown connections are chosen by |dense gradient| at the params before the
step in both settings (the same backward pass). The expected numbers come from
a NumPy float64 forward and backward pass written out below; the drop and grow
sets are also written out as hand tables (flat row-major indices of the 4x3
kernel), and the test checks that every selection is decided by a margin far
above float32 rounding.
"""

from __future__ import annotations

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import train as train_config
from psn_jax import train as train_lib

X = np.array([[-1.0, 0.5, -1.0, -0.4],
              [0.5, -0.9, 0.5, 0.3],
              [0.4, -0.8, 0.4, 0.7],
              [0.3, -0.8, -0.1, -0.4],
              [1.0, 0.9, 0.8, 0.6],
              [1.0, -0.3, -0.9, -0.1],
              [0.5, -0.1, -0.2, -0.1],
              [-0.4, 0.1, -0.8, -0.4]])
Y = np.array([1, 2, 0, 1, 0, 2, 1, 1])
MASK0 = np.array([[1, 0, 1],
                  [0, 1, 0],
                  [1, 1, 0],
                  [0, 0, 1]], bool)
W0 = np.array([[0.5, 0.0, 0.3],
               [0.0, 1.0, 0.0],
               [-0.6, 0.9, 0.0],
               [0.0, 0.0, -0.4]])
B0 = np.full(3, 0.1)
W1 = np.array([[0.8, -0.1, 0.0],
               [0.6, 0.8, -0.7],
               [-0.4, 0.4, 0.8]])
B1 = np.zeros(3)
LR = 1.0
DROP_FRACTION = 0.5

# Hand tables: flat indices (row-major, 4x3) dropped and grown, and the masks.
# skip=True: |w| before the step, active entries 0:0.5 2:0.3 4:1.0 6:0.6 7:0.9
# 11:0.4, so 2, 11, 0 are the three smallest.
DROPPED = {True: [0, 2, 11], False: [2, 6, 11]}
GROWN = {True: [5, 8, 9], False: [5, 6, 9]}
NEW_MASK = {
    True: np.array([[0, 0, 0],
                    [0, 1, 1],
                    [1, 1, 1],
                    [1, 0, 0]], bool),
    False: np.array([[1, 0, 0],
                     [0, 1, 1],
                     [1, 1, 0],
                     [1, 0, 0]], bool),
}


def _softmax(z):
  z = z - z.max(axis=1, keepdims=True)
  e = np.exp(z)
  return e / e.sum(axis=1, keepdims=True)


def reference_step(skip: bool):
  """NumPy float64: one SGD step (unless skipped), then RigL on kernel 0."""
  n = X.shape[0]
  pre = X @ (W0 * MASK0) + B0
  h = np.maximum(pre, 0.0)
  d = (_softmax(h @ W1 + B1) - np.eye(3)[Y]) / n    # dL/dlogits, mean loss
  g_w1, g_b1 = h.T @ d, d.sum(0)
  dh = (d @ W1.T) * (pre > 0)
  g_w0, g_b0 = X.T @ dh, dh.sum(0)                   # dense: masked entries too
  if skip:
    w0, b0, w1, b1 = W0 * MASK0, B0, W1, B1
  else:
    w0 = (W0 - LR * g_w0) * MASK0
    b0, w1, b1 = B0 - LR * g_b0, W1 - LR * g_w1, B1 - LR * g_b1
  mask = MASK0.ravel()
  k = int(np.floor(DROP_FRACTION * mask.sum()))
  active = np.flatnonzero(mask)
  mag = np.abs(w0.ravel()[active])
  dropped = active[np.argsort(mag)[:k]]
  kept = mask.copy()
  kept[dropped] = False
  candidates = np.flatnonzero(~kept)
  score = np.abs(g_w0.ravel()[candidates])
  grown = candidates[np.argsort(-score)[:k]]
  new = kept.copy()
  new[grown] = True
  w0_new = np.where(new & mask, w0.ravel(), 0.0).reshape(W0.shape)
  margins = {
      "drop": np.sort(mag)[k] - np.sort(mag)[k - 1],
      "grow": np.sort(score)[::-1][k - 1] - np.sort(score)[::-1][k],
      "relu": np.abs(pre).min(),
  }
  return {"mask": new.reshape(MASK0.shape), "w0": w0_new, "b0": b0, "w1": w1,
          "b1": b1, "dropped": sorted(dropped.tolist()),
          "grown": sorted(grown.tolist()), "margins": margins}


def _config(skip: bool):
  c = train_config.get_config("quick")
  c.hidden = (3,)
  c.batch_size = 8          # one step per epoch, on all 8 examples
  c.num_epochs = 2
  c.optim.name = "sgd"
  c.optim.learning_rate = LR
  c.optim.momentum = 0.0
  c.optim.nesterov = False
  c.optim.weight_decay = 0.0
  c.optim.lr_schedule = "constant"
  c.dst.algorithm = "rigl"
  c.dst.delta_t = 1         # step 1 is the first update (step 0 never is)
  c.dst.t_start = 0
  c.dst.t_end_fraction = 1.0
  c.dst.drop_fraction = DROP_FRACTION
  c.dst.drop_schedule = "constant"
  c.dst.skip_optimizer_step = skip
  return c


@functools.lru_cache(maxsize=None)
def _engine_step(skip: bool):
  """The engine's state after its step 1, from the hand-set params (compiled
  once per setting)."""
  data = train_lib.Data(jnp.asarray(X, jnp.float32), jnp.asarray(Y, jnp.int32),
                        jnp.asarray(X, jnp.float32), jnp.asarray(Y, jnp.int32))
  engine = train_lib.make_train(_config(skip), train_lib.DataSpec(8, 4, 3))
  masks = {"Dense_0": {"kernel": jnp.asarray(MASK0),
                       "bias": jnp.ones((3,), bool)},
           "Dense_1": {"kernel": jnp.ones((3, 3), bool),
                       "bias": jnp.ones((3,), bool)}}
  f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
  params = {"Dense_0": {"kernel": f32(W0 * MASK0), "bias": f32(B0)},
            "Dense_1": {"kernel": f32(W1), "bias": f32(B1)}}
  state = jax.jit(engine.init)(train_lib.seed_key(0), masks)
  chex.assert_trees_all_equal_shapes(state.params, params)
  state = state._replace(params=params)
  # Epoch 1 of a 1-step epoch is step 1: a RigL update step.
  new_state, _ = jax.jit(engine.train_epoch)(state, data, jnp.int32(1))
  return new_state, params


def test_hand_tables_match_the_numpy_reference():
  for skip in (True, False):
    ref = reference_step(skip)
    assert ref["dropped"] == DROPPED[skip]
    assert ref["grown"] == GROWN[skip]
    np.testing.assert_array_equal(ref["mask"], NEW_MASK[skip])
    # Every selection and ReLU sign is decided far above float32 rounding.
    assert min(ref["margins"].values()) > 0.01, ref["margins"]
  # The two settings rewire differently: the flag is visible in the masks.
  assert DROPPED[True] != DROPPED[False]


@pytest.mark.parametrize("skip", [True, False])
def test_engine_step_matches_hand_worked_case(skip):
  state, before = _engine_step(skip)
  ref = reference_step(skip)
  got_mask = np.asarray(state.masks["Dense_0"]["kernel"])
  np.testing.assert_array_equal(got_mask, NEW_MASK[skip])
  np.testing.assert_array_equal(np.asarray(state.masks["Dense_1"]["kernel"]),
                                np.ones((3, 3), bool))
  assert got_mask.sum() == MASK0.sum()          # RigL keeps the count
  p = jax.tree.map(np.asarray, state.params)
  if skip:
    # No optimizer step: the pre-step params, rewired, bit for bit.
    kept = NEW_MASK[True] & MASK0
    np.testing.assert_array_equal(
        p["Dense_0"]["kernel"],
        np.where(kept, np.asarray(before["Dense_0"]["kernel"]), 0.0))
    for name, leaf in (("Dense_0", "bias"), ("Dense_1", "kernel"),
                       ("Dense_1", "bias")):
      np.testing.assert_array_equal(p[name][leaf],
                                    np.asarray(before[name][leaf]))
  tol = dict(rtol=0, atol=2e-6)  # float32 against the float64 reference
  np.testing.assert_allclose(p["Dense_0"]["kernel"], ref["w0"], **tol)
  np.testing.assert_allclose(p["Dense_0"]["bias"], ref["b0"], **tol)
  np.testing.assert_allclose(p["Dense_1"]["kernel"], ref["w1"], **tol)
  np.testing.assert_allclose(p["Dense_1"]["bias"], ref["b1"], **tol)


def test_the_two_settings_differ_by_one_sgd_step_on_the_dense_layer():
  """On the dense, never-rewired layer the difference is exactly -lr * grad."""
  on, _ = _engine_step(True)
  off, _ = _engine_step(False)
  ref_on, ref_off = reference_step(True), reference_step(False)
  moved = (np.asarray(off.params["Dense_1"]["kernel"])
           - np.asarray(on.params["Dense_1"]["kernel"]))
  np.testing.assert_allclose(moved, ref_off["w1"] - ref_on["w1"], rtol=0,
                             atol=2e-6)
  assert np.abs(ref_off["w1"] - ref_on["w1"]).max() > 1e-3
