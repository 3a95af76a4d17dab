"""Masks for any Flax params pytree (issue 21): Conv kernels, path rules, ERK
over conv and dense leaves, and the one-line refusals."""

from __future__ import annotations

import re

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psn_jax import budgets
from psn_jax import mask_sources
from psn_jax import masks


class _Net(nn.Module):
  """Conv(4, 2x2) -> LayerNorm -> Conv(6, 3x3) -> Dense(5) -> Dense(3), with
  an embedding beside it: every kind of leaf a rule may meet."""

  @nn.compact
  def __call__(self, x, tokens):
    x = nn.relu(nn.Conv(4, (2, 2))(x))
    x = nn.LayerNorm()(x)
    x = nn.relu(nn.Conv(6, (3, 3), padding="VALID")(x))
    x = x.reshape(x.shape[0], -1) + nn.Embed(7, 1)(tokens).sum(axis=1)
    return nn.Dense(3)(nn.relu(nn.Dense(5)(x)))


def _params():
  return jax.eval_shape(lambda: _Net().init(
      jax.random.PRNGKey(0), jnp.zeros((1, 6, 6, 3)),
      jnp.zeros((1, 2), jnp.int32))["params"])


PARAMS = _params()
LEAVES = {"/".join(p): masks.leaf_shape(l)
          for p, l in masks.path_leaves(PARAMS)}
KERNELS = ["Conv_0/kernel", "Conv_1/kernel", "Dense_0/kernel",
           "Dense_1/kernel"]


def test_default_rule_selects_dense_and_conv_kernels_only():
  assert ["/".join(p) for p in masks.select_paths(PARAMS)] == KERNELS
  m = masks.make_masks(jax.random.PRNGKey(1), PARAMS, sparsity=0.5)
  for name, leaf in masks.path_leaves(m):
    name = "/".join(name)
    assert leaf.shape == LEAVES[name] and leaf.dtype == np.bool_
    if name not in KERNELS:  # biases, LayerNorm, embedding: dense
      assert leaf.all(), name


@settings(max_examples=30, deadline=None)
@given(st.sets(st.sampled_from(sorted(n for n, s in LEAVES.items()
                                      if len(s) >= 2)), min_size=1))
def test_a_path_rule_selects_exactly_the_leaves_it_names(names):
  rule = "|".join(re.escape(n) for n in sorted(names))
  got = {"/".join(p) for p in masks.select_paths(PARAMS, rule)}
  assert got == set(names)
  m = masks.make_masks(jax.random.PRNGKey(0), PARAMS, sparsity=0.5,
                       profile="random", rule=rule)
  for path, leaf in masks.path_leaves(m):
    name = "/".join(path)
    size = int(np.prod(LEAVES[name]))
    want = round(0.5 * size) if name in names else size
    assert int(leaf.sum()) == want, name


def _reachable(source, n_in, n_out):
  ok = np.asarray(mask_sources.SOURCES[source].budgets(n_in, n_out))
  return [int(k) for k in ok if 0 < k < n_in * n_out]


@pytest.mark.parametrize("source", sorted(mask_sources.SOURCES))
def test_conv_fan_ins_are_exact_for_every_source_at_every_density(source):
  """A Conv kernel (2, 2, 3, 4) is the matrix (12, 4): at every budget the
  source reaches, make_masks gives exactly the source's own layer mask (so
  its fan-in per output channel), reshaped to the kernel's shape."""
  params = {"Conv_0": {"kernel": jax.ShapeDtypeStruct((2, 2, 3, 4),
                                                      jnp.float32),
                       "bias": jax.ShapeDtypeStruct((4,), jnp.float32)}}
  key = jax.random.PRNGKey(5)
  reach = _reachable(source, 12, 4)
  assert reach, source
  for k in reach:
    m = masks.make_masks(key, params, sparsity=1 - k / 48, profile=source)
    conv = m["Conv_0"]["kernel"]
    assert conv.shape == (2, 2, 3, 4) and int(conv.sum()) == k
    want = mask_sources.SOURCES[source].make(masks.layer_keys(key, 0), 12, 4,
                                             k, None)
    np.testing.assert_array_equal(conv.reshape(12, 4), want)
    np.testing.assert_array_equal(conv.sum(axis=(0, 1, 2)), want.sum(axis=0))
    assert m["Conv_0"]["bias"].all()


def test_psn_profile_shapes_each_output_channel():
  params = {"Conv_0": {"kernel": jax.ShapeDtypeStruct((3, 3, 8, 16),
                                                      jnp.float32)}}
  m = masks.make_masks(jax.random.PRNGKey(0), params, sparsity=0.75,
                       profile="lognormal", cv=0.8)["Conv_0"]["kernel"]
  fan = m.sum(axis=(0, 1, 2))
  from psn_jax import profiles
  want = profiles.fan_ins("lognormal", 16, 72, density=0.25, cv=0.8,
                          key=masks.layer_keys(jax.random.PRNGKey(0), 0).hub)
  np.testing.assert_array_equal(fan, want)
  assert fan.sum() == 288 and fan.std() > 0


# ERK with kernel dimensions (RigL): density_l = eps * sum(shape) / prod(shape).
# A = (3, 3, 2, 4): sum 12, prod 72; B = (10, 6): sum 16, prod 60.
# s = 0.5: eps = 66 / 28; A = 11/28 (28.29 -> 28), B = 22/35 (37.71 -> 38).
# s = 0.1: B would be 1.13 > 1: capped dense (60); A = 58.8 / 72 -> 59; the
#          uniform total round(64.8) + 54 = 119 = 59 + 60.
@pytest.mark.parametrize("sparsity, dens, counts", [
    (0.5, (11 / 28, 22 / 35), (28, 38)),
    (0.1, (58.8 / 72, 1.0), (59, 60)),
])
def test_erk_over_conv_and_dense_leaves_matches_the_hand_table(sparsity, dens,
                                                               counts):
  shapes = [(3, 3, 2, 4), (10, 6)]
  np.testing.assert_allclose(
      budgets.layer_densities(shapes, sparsity, "erk"), dens, rtol=1e-12)
  assert budgets.layer_budgets(shapes, sparsity, "erk").tolist() == list(
      counts)
  params = {"Conv_0": {"kernel": jax.ShapeDtypeStruct(shapes[0], jnp.float32)},
            "Dense_0": {"kernel": jax.ShapeDtypeStruct(shapes[1],
                                                       jnp.float32)}}
  m = masks.make_masks(jax.random.PRNGKey(0), params, sparsity=sparsity,
                       distribution="erk", profile="random")
  assert masks.count_active(m) == list(counts)


def test_dense_pairs_keep_their_budgets():
  """(n_in, n_out) pairs: the same numbers as before conv support."""
  shapes = [(784, 300), (300, 100), (100, 10)]
  assert budgets.layer_budgets(shapes, 0.9, "erk").tolist() == [
      int(x) for x in budgets.layer_budgets(
          [list(s) for s in shapes], 0.9, "erk")]
  d = budgets.layer_densities(shapes, 0.9, "erk")
  # 100 x 10 would be 1.84 > 1: dense, and eps re-solved over the others.
  eps = (0.1 * (784 * 300 + 300 * 100 + 100 * 10) - 1000) / (1084 + 400)
  np.testing.assert_allclose(d, [eps * 1084 / 235200, eps * 400 / 30000,
                                 1.0], rtol=1e-12)


@pytest.mark.parametrize("rule, message", [
    ("(", r"^mask rule '\(' is not a regular expression: "),
    ("", r"^mask rule must be a non-empty regular expression"),
    ("Nothing_.*", r"^mask rule 'Nothing_\.\*' selects no leaf of params "
                   r"\(leaves: Conv_0/bias, "),
    ("Dense_0/.*", r"^mask rule 'Dense_0/\.\*' selects Dense_0/bias of shape "
                   r"\(3,\), which no source can shape: only leaves with >= 2 "
                   r"axes"),
    (".*scale", r"^mask rule '\.\*scale' selects LayerNorm_0/scale of shape "
                r"\(4,\)"),
])
def test_bad_rules_and_non_kernel_leaves_give_one_line(rule, message):
  with pytest.raises(ValueError, match=message) as err:
    masks.make_masks(jax.random.PRNGKey(0), PARAMS, sparsity=0.5, rule=rule)
  assert "\n" not in str(err.value)


def test_a_conv_shape_a_source_cannot_reach_gives_one_line():
  params = {"Conv_0": {"kernel": jax.ShapeDtypeStruct((3, 3, 3, 10),
                                                      jnp.float32)}}
  with pytest.raises(ValueError, match=r"^profile 'dey_clash_free' cannot "
                     r"make kernel Conv_0/kernel \(27 -> 10\) at density "
                     r"0\.3333 .*nearest feasible densities") as err:
    masks.make_masks(jax.random.PRNGKey(0), params, sparsity=2 / 3,
                     profile="dey_clash_free")
  assert "\n" not in str(err.value)
  with pytest.raises(ValueError, match=r"^shapes must be a non-empty list of "
                     r"kernel shapes"):
    budgets.layer_densities([(3, 3, 0, 4)], 0.5, "erk")
