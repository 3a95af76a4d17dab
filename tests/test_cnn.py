"""The CNNs of psn_jax.models, trained by the engine vmapped over seeds
(issue 21, item 3)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from psn_jax import config as config_lib
from psn_jax import masks as masks_lib
from psn_jax import models
from psn_jax import train as train_lib


def _shapes(model, input_dim):
  params = jax.eval_shape(model.init, jax.random.PRNGKey(0),
                          jnp.zeros((1, input_dim)))["params"]
  return {"/".join(p): masks_lib.leaf_shape(l)
          for p, l in masks_lib.path_leaves(params)}


def test_lenet5_and_conv_blocks_have_the_published_shapes():
  c = ml_collections.ConfigDict({"model": "lenet5", "hidden": (120, 84)})
  lenet = models.make_model(c, 784, 10)
  assert lenet.image_shape == (28, 28, 1)
  s = _shapes(lenet, 784)
  assert s["Conv_0/kernel"] == (5, 5, 1, 6)
  assert s["Conv_1/kernel"] == (5, 5, 6, 16)
  # 28 (SAME) -> pool 14 -> 10 (VALID 5x5) -> pool 5: 5 * 5 * 16 = 400.
  assert [s[f"Dense_{i}/kernel"] for i in range(3)] == [(400, 120),
                                                         (120, 84), (84, 10)]
  c.model = "conv_blocks"
  c.hidden = (256,)
  s = _shapes(models.make_model(c, 784, 10), 784)
  assert s["Conv_0/kernel"] == (3, 3, 1, 32)
  assert s["Conv_1/kernel"] == (3, 3, 32, 64)
  assert s["Dense_0/kernel"] == (7 * 7 * 64, 256)
  assert models.image_shape(3072) == (32, 32, 3)


@pytest.mark.parametrize("fields, message", [
    ({"model": "resnet"}, r"^model must be one of mlp, lenet5, conv_blocks, "
                          r"got 'resnet'$"),
    ({"model": "lenet5", "input_dim": 800}, r"^a CNN needs square images"),
    ({"model": "lenet5", "dropout": 0.5}, r"^dropout must be 0 for model "),
])
def test_bad_model_fields_give_one_line(fields, message):
  fields = dict(fields)
  input_dim = fields.pop("input_dim", 784)
  c = ml_collections.ConfigDict({"hidden": (8,), **fields})
  with pytest.raises(ValueError, match=message):
    models.make_model(c, input_dim, 10)


def test_fan_in_aware_init_scales_each_output_channel():
  p = jnp.ones((3, 3, 4, 5))
  m = np.zeros((3, 3, 4, 5), bool)
  m[..., 0] = True          # fan-in 36 = kh * kw * c_in: unchanged
  m[0, 0, :2, 1] = True     # fan-in 2: scaled by sqrt(36 / 2)
  out = np.asarray(models.rescale_for_fan_in({"k": p}, {"k": m})["k"])
  np.testing.assert_allclose(out[..., 0], 1.0)
  np.testing.assert_allclose(out[0, 0, :2, 1], np.sqrt(18.0), rtol=1e-6)
  assert not out[..., 2:].any() and out[m == 0].sum() == 0


def test_engine_trains_a_sparse_cnn_vmapped_over_seeds():
  """conv_blocks on 8x8 images, every kernel (conv and dense) 60% sparse
  with a PSN profile per output channel, two seeds in one
  jit(vmap(train)): the loss falls, masked weights stay 0, the masks stay.
  (RigL on conv kernels through the optax wrapper: notebook 04.)"""
  c = config_lib.get_config("quick")
  with c.unlocked():
    c.model = "conv_blocks"
  c.hidden = (8,)
  c.num_epochs = 1
  c.batch_size = 16
  c.num_epochs = 3
  c.sparsity = 0.6
  c.profile = "lognormal"
  c.cv = 0.5
  n, d, k = 64, 64, 3
  engine = train_lib.make_train(c, train_lib.DataSpec(n, d, k))
  rng = np.random.default_rng(0)
  x = jnp.asarray(rng.random((n, d), np.float32))
  y = jnp.asarray(rng.integers(0, k, n).astype(np.int32))
  data = train_lib.Data(x, y, x[:32], y[:32])
  seeds = [0, 1]
  masks = [masks_lib.from_config(c, engine.params_shape,
                                 train_lib.mask_key(s)) for s in seeds]
  stacked = jax.tree.map(lambda *m: np.stack(m), *masks)
  keys = jnp.stack([train_lib.seed_key(s) for s in seeds])
  state, metrics = jax.jit(jax.vmap(engine.train, in_axes=(0, 0, None)))(
      keys, stacked, data)
  loss = np.asarray(metrics.train_loss)  # [seed, epoch]
  assert np.all(np.isfinite(loss)) and np.all(loss[:, -1] < loss[:, 0])
  for i in range(2):
    got = jax.tree.map(lambda m: np.asarray(m[i]), state.masks)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(masks[i])):
      np.testing.assert_array_equal(a, b)
    params = jax.tree.map(lambda p: np.asarray(p[i]), state.params)
    for p, m in zip(jax.tree.leaves(params), jax.tree.leaves(got)):
      assert np.all(p[~m] == 0)
    assert got["Conv_1"]["kernel"].shape == (3, 3, 32, 64)
    assert 0 < got["Conv_1"]["kernel"].mean() < 0.5
  # Topology records read each conv kernel as its (kh kw c_in, c_out) matrix:
  # mean fan-in 0.4 * 3 * 3 * 32 per output channel.
  mean = np.asarray(state.records["Conv_1"]["fan_in_mean"])[0, 0]
  assert mean == pytest.approx(0.4 * 288, abs=0.5)


def test_config_validate_checks_the_optional_model_and_rule_fields():
  c = config_lib.get_config("quick")
  config_lib.validate(c)  # absent: the MLP and the default rule
  with c.unlocked():
    c.model = "resnet"
    c.mask_rule = "Dense_.*/kernel"
  with pytest.raises(ValueError, match=r"^model must be one of mlp, lenet5, "
                     r"conv_blocks, got 'resnet'$"):
    config_lib.validate(c)
  c.model = "lenet5"
  config_lib.validate(c)
  c.mask_rule = "("
  with pytest.raises(ValueError, match=r"^mask_rule: mask rule '\(' is not a "
                     r"regular expression"):
    config_lib.validate(c)


def test_conv_mask_snapshots_and_fan_ins_read_as_matrices(tmp_path):
  """The runner stores a Conv mask as its (kh kw c_in, c_out) matrix: the
  snapshot unpacks with that shape to the same bits."""
  from psn_jax import results as results_lib
  from psn_jax import runner
  rng = np.random.default_rng(0)
  conv = rng.random((2, 3, 3, 2, 4)) < 0.5  # [run, kh, kw, c_in, c_out]
  tree = {"Conv_0": {"kernel": conv, "bias": np.ones((2, 4), bool)}}
  runner._save_snapshot(str(tmp_path), 1, tree, 2, True)
  snaps, epochs = runner._load_snapshots(str(tmp_path), 2)
  assert epochs.tolist() == [1]
  got = results_lib.unpack_masks({"Conv_0": snaps["Conv_0"]},
                                 {"Conv_0": (18, 4)})["Conv_0"]
  np.testing.assert_array_equal(got.reshape(2, 18, 4),
                                conv.reshape(2, 18, 4))
