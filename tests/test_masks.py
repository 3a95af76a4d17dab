"""Tests for psn_jax.masks: layer budgets, mask pytrees, exact counts."""

from __future__ import annotations

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from psn_jax import masks, profiles


class _MLP(nn.Module):
  """784-300-100-10 (LeNet-300-100), Flax's automatic Dense_i names."""

  widths: tuple[int, ...] = (300, 100, 10)

  @nn.compact
  def __call__(self, x):
    for w in self.widths[:-1]:
      x = nn.relu(nn.Dense(w)(x))
    return nn.Dense(self.widths[-1])(x)


def _params(widths=(300, 100, 10), n_in=784, abstract=False):
  init = lambda: _MLP(widths).init(jax.random.PRNGKey(0),  # noqa: E731
                                   jnp.zeros((1, n_in)))["params"]
  return jax.eval_shape(init) if abstract else init()


SHAPES = [(784, 300), (300, 100), (100, 10)]


# ---------------------------------------------------------------------------
# Paths and pytrees.


def test_kernel_paths_sort_naturally():
  params = _params(widths=(8,) * 11 + (3,), n_in=5, abstract=True)
  paths = masks.kernel_paths(params)
  assert paths == [(f"Dense_{i}", "kernel") for i in range(12)]
  nested = {"params": {"b": {"kernel": np.zeros((2, 3))},
                       "a10": {"kernel": np.zeros((3, 4)), "bias": np.zeros(4)},
                       "a2": {"kernel": np.zeros((4, 5)), "scale": np.zeros(5)}}}
  assert masks.kernel_paths(nested) == [("params", "a2", "kernel"),
                                        ("params", "a10", "kernel"),
                                        ("params", "b", "kernel")]


def test_layer_masks_round_trip():
  params = _params()
  layers = [np.random.default_rng(i).random(s) < 0.5
            for i, s in enumerate(SHAPES)]
  tree = masks.from_layer_masks(params, layers)
  chex.assert_trees_all_equal_structs(tree, params)
  for got, want in zip(masks.layer_masks(tree), layers):
    np.testing.assert_array_equal(got, want)
  for name in ("Dense_0", "Dense_1", "Dense_2"):
    assert tree[name]["bias"].dtype == bool and tree[name]["bias"].all()
  with pytest.raises(ValueError, match=r"layers must hold one mask per kernel "
                     r"\(3\), got 2"):
    masks.from_layer_masks(params, layers[:2])
  with pytest.raises(ValueError, match=r"layers\[1\] must have the shape of "
                     r"Dense_1/kernel \(300, 100\), got \(100, 300\)"):
    masks.from_layer_masks(params, [layers[0], layers[1].T, layers[2]])
  # ShapeDtypeStructs come back as they are (only shapes are read).
  abstract = masks.layer_masks(_params(abstract=True))
  assert [tuple(a.shape) for a in abstract] == SHAPES


# ---------------------------------------------------------------------------
# Per-layer densities and budgets.


def test_erk_two_layers_by_hand():
  # sizes 200 + 100, target 0.5 * 300 = 150 = eps * (30 + 25): eps = 150 / 55.
  eps = 150 / 55
  dens = masks.layer_densities([(10, 20), (20, 5)], 0.5, "erk")
  np.testing.assert_allclose(dens, [eps * 30 / 200, eps * 25 / 100])
  np.testing.assert_array_equal(
      masks.layer_budgets([(10, 20), (20, 5)], 0.5, "erk"), [82, 68])


def test_erk_caps_layers_over_one_and_resolves():
  # eps = 5100 / 302 would give the (100, 2) layer density 8.6: it is made
  # dense (200 weights) and eps = 4900 / 200 re-solved over the first layer.
  dens = masks.layer_densities([(100, 100), (100, 2)], 0.5, "erk")
  np.testing.assert_allclose(dens, [0.49, 1.0])
  np.testing.assert_array_equal(
      masks.layer_budgets([(100, 100), (100, 2)], 0.5, "erk"), [4900, 200])
  # LeNet-300-100 at 90%: the output layer is dense.
  dens = masks.layer_densities(SHAPES, 0.9, "erk")
  assert dens[2] == 1.0 and dens[0] < dens[1] < 1.0


@settings(max_examples=80, deadline=None)
@given(shapes=st.lists(st.tuples(st.integers(1, 600), st.integers(1, 600)),
                       min_size=1, max_size=6),
       sparsity=st.floats(0.0, 0.999),
       dense_first=st.booleans(),
       dense_last=st.booleans())
# A subnormal sparsity: the single layer's ERK density rounds to 1 + 1 ulp.
@example(shapes=[(168, 542)], sparsity=2.2250738585072014e-308,
         dense_first=False, dense_last=False)
def test_erk_reaches_the_sparse_budget(shapes, sparsity, dense_first,
                                       dense_last):
  sizes = np.array([a * b for a, b in shapes])
  forced = np.zeros(len(shapes), dtype=bool)
  forced[0] |= dense_first
  forced[-1] |= dense_last
  dens = masks.layer_densities(shapes, sparsity, "erk", dense_first=dense_first,
                               dense_last=dense_last)
  assert np.all(dens > 0) and np.all(dens <= 1)
  assert np.all(dens[forced] == 1.0)
  # Forced-dense layers are outside the budget (RigL's convention): the others
  # hold (1 - sparsity) of their own weights.
  if sparsity > 0 and not forced.all():
    np.testing.assert_allclose((dens * sizes)[~forced].sum(),
                               (1 - sparsity) * sizes[~forced].sum(),
                               rtol=1e-9)
  # Sparse layers follow eps * (n_in + n_out) / (n_in * n_out) with one eps.
  sparse = dens < 1
  raw = np.array([a + b for a, b in shapes])
  eps = dens[sparse] * sizes[sparse] / raw[sparse]
  np.testing.assert_allclose(eps, eps[0] if eps.size else eps, rtol=1e-9)
  budgets = masks.layer_budgets(shapes, sparsity, "erk",
                                dense_first=dense_first, dense_last=dense_last)
  assert budgets.dtype == np.int64
  assert np.all(np.abs(budgets - dens * sizes) < 2)
  # Layers made dense by ERK are those that the final eps would put over 1.
  auto = ~sparse & ~forced
  if eps.size:
    assert np.all(eps[0] * raw[auto] >= sizes[auto] * (1 - 1e-9))


@settings(max_examples=80, deadline=None)
@given(shapes=st.lists(st.tuples(st.integers(1, 400), st.integers(1, 400)),
                       min_size=1, max_size=5),
       sparsity=st.floats(0.0, 0.999),
       dense_first=st.booleans(),
       dense_last=st.booleans())
def test_uniform_and_erk_totals_equal(shapes, sparsity, dense_first,
                                      dense_last):
  kw = dict(dense_first=dense_first, dense_last=dense_last)
  uni = masks.layer_budgets(shapes, sparsity, "uniform", **kw)
  erk = masks.layer_budgets(shapes, sparsity, "erk", **kw)
  assert uni.sum() == erk.sum()
  sizes = np.array([a * b for a, b in shapes])
  forced = np.zeros(len(shapes), dtype=bool)
  forced[0] |= dense_first
  forced[-1] |= dense_last
  np.testing.assert_array_equal(uni[forced], sizes[forced])
  np.testing.assert_array_equal(erk[forced], sizes[forced])
  want = np.rint((1 - sparsity) * sizes[~forced]).sum() + sizes[forced].sum()
  assert uni.sum() == want


@pytest.mark.parametrize("dense_first, dense_last", [
    (False, False), (True, False), (False, True), (True, True)])
def test_uniform_and_erk_masks_hold_the_same_total(dense_first, dense_last):
  params = _params(abstract=True)
  kw = dict(sparsity=0.9, dense_first=dense_first, dense_last=dense_last)
  uni = masks.make_masks(jax.random.key(0), params, profile="random", **kw)
  erk = masks.make_masks(jax.random.key(0), params, profile="random",
                         distribution="erk", **kw)
  assert sum(masks.count_active(uni)) == sum(masks.count_active(erk))
  # Issue 8's case: with dense_last, 23520 + 3000 sparse weights + 1000 dense.
  if (dense_first, dense_last) == (False, True):
    assert sum(masks.count_active(erk)) == 23520 + 3000 + 1000


def test_uniform_densities_keep_the_sparse_layers_at_one_minus_sparsity():
  np.testing.assert_allclose(masks.layer_densities(SHAPES, 0.9), 0.1)
  np.testing.assert_allclose(
      masks.layer_densities(SHAPES, 0.9, dense_first=True, dense_last=True),
      [1.0, 0.1, 1.0])
  np.testing.assert_array_equal(masks.layer_budgets(SHAPES, 0.9),
                                [23520, 3000, 100])
  np.testing.assert_allclose(masks.layer_densities(SHAPES, 0.0, "erk"), 1.0)


@pytest.mark.parametrize("call, match", [
    (lambda: masks.layer_densities(SHAPES, 1.0), r"sparsity must be in \[0, 1\), "
     r"got 1.0"),
    (lambda: masks.layer_densities(SHAPES, -0.1), r"sparsity must be in \[0, 1\)"),
    (lambda: masks.layer_densities(SHAPES, 0.9, "rigl"),
     r"distribution must be one of uniform, erk, got 'rigl'"),
    (lambda: masks.layer_densities([(3, 0)], 0.9), "shapes must be a non-empty"),
    (lambda: masks.layer_densities([], 0.9), "shapes must be a non-empty"),
    (lambda: masks.layer_densities(SHAPES, True), r"sparsity must be in "
     r"\[0, 1\), got True"),
    (lambda: masks.layer_densities(SHAPES, float("nan")), r"sparsity must be "
     r"in \[0, 1\), got nan"),
])
def test_bad_allocation_arguments(call, match):
  with pytest.raises(ValueError, match=match):
    call()


# ---------------------------------------------------------------------------
# make_masks.


@pytest.mark.parametrize("distribution, profile, cv", [
    ("uniform", "uniform", None),
    ("erk", "lognormal", 1.0),
    ("uniform", "exponential", [0.5, 1.5, None]),
    ("erk", "gaussian", None),
])
def test_make_masks_counts_and_fan_ins(distribution, profile, cv):
  params = _params()
  key = jax.random.PRNGKey(42)
  tree = masks.make_masks(key, params, sparsity=0.9, distribution=distribution,
                          profile=profile, cv=cv)
  chex.assert_trees_all_equal_structs(tree, params)
  budgets = masks.layer_budgets(SHAPES, 0.9, distribution)
  assert masks.count_active(tree) == budgets.tolist()
  assert masks.sparsity_of(tree) == pytest.approx(
      1 - budgets.sum() / sum(a * b for a, b in SHAPES))
  cvs = cv if isinstance(cv, list) else [cv] * 3
  for l, (m, (n_in, n_out)) in enumerate(zip(masks.layer_masks(tree), SHAPES)):
    assert m.dtype == bool and m.shape == (n_in, n_out)
    if budgets[l] == n_in * n_out:
      assert m.all()
      continue
    hub_key, _ = masks.layer_keys(key, l)
    want = profiles.fan_ins(profile, n_out, n_in, budgets[l] / (n_in * n_out),
                            cvs[l], key=hub_key)
    np.testing.assert_array_equal(m.sum(axis=0), want)
  for name in ("Dense_0", "Dense_1", "Dense_2"):
    assert tree[name]["bias"].dtype == bool and tree[name]["bias"].all()


def test_make_masks_is_deterministic_and_key_dependent():
  params = _params(abstract=True)  # ShapeDtypeStructs are enough.
  kw = dict(sparsity=0.95, distribution="erk", profile="power_law",
            cv=[0.8, 0.8, None])
  a = masks.make_masks(jax.random.PRNGKey(1), params, **kw)
  b = masks.make_masks(jax.random.PRNGKey(1), params, **kw)
  c = masks.make_masks(jax.random.PRNGKey(2), params, **kw)
  jax.tree.map(np.testing.assert_array_equal, a, b)
  assert not np.array_equal(a["Dense_0"]["kernel"], c["Dense_0"]["kernel"])
  # Other seeds move hubs and inputs, never counts or the fan-in multiset.
  assert masks.count_active(a) == masks.count_active(c)
  for ma, mc in zip(masks.layer_masks(a), masks.layer_masks(c)):
    np.testing.assert_array_equal(np.sort(ma.sum(0)), np.sort(mc.sum(0)))


def test_erdos_renyi_and_dense_cases():
  params = _params()
  key = jax.random.key(0)
  er = masks.make_masks(key, params, sparsity=0.9, distribution="erk",
                        profile="erdos_renyi")
  assert masks.count_active(er) == masks.layer_budgets(SHAPES, 0.9,
                                                       "erk").tolist()
  assert masks.layer_masks(er)[0].sum(0).std() > 0  # Random fan-ins.
  dense = masks.make_masks(key, params, sparsity=0.0, profile="sigmoid")
  assert all(m.all() for m in jax.tree.leaves(dense))
  assert masks.sparsity_of(dense) == 0.0
  firstlast = masks.make_masks(key, params, sparsity=0.8, dense_first=True,
                               dense_last=True)
  layers = masks.layer_masks(firstlast)
  assert layers[0].all() and layers[2].all()
  assert layers[1].sum() == 6000 and np.all(layers[1].sum(0) == 60)


def test_apply_masks_under_jit_with_seed_axes():
  params = _params(widths=(6, 3), n_in=4)
  tree = masks.make_masks(jax.random.PRNGKey(0), params, sparsity=0.5,
                          profile="linear")
  out = jax.jit(masks.apply_masks)(params, tree)
  for p, m, o in zip(jax.tree.leaves(params), jax.tree.leaves(tree),
                     jax.tree.leaves(out)):
    np.testing.assert_array_equal(o, np.where(m, p, 0))
    assert o.dtype == p.dtype
  # A leading seed axis on both trees (as the vmapped engine stacks them).
  stacked_p = jax.tree.map(lambda p: jnp.stack([p, 2 * p]), params)
  stacked_m = jax.tree.map(lambda m: np.stack([m, ~m]), tree)
  out = jax.jit(masks.apply_masks)(stacked_p, stacked_m)
  k = out["Dense_0"]["kernel"]
  m = tree["Dense_0"]["kernel"]
  p = params["Dense_0"]["kernel"]
  np.testing.assert_array_equal(k[0], np.where(m, p, 0))
  np.testing.assert_array_equal(k[1], np.where(~m, 2 * p, 0))
  # Stacked masks keep their seed axis in layer_masks.
  assert masks.layer_masks(stacked_m)[0].shape == (2, 4, 6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sparsity=1.0), r"sparsity must be in \[0, 1\), got 1.0"),
    (dict(sparsity=0.9, distribution="er"),
     "distribution must be one of uniform, erk, got 'er'"),
    (dict(sparsity=0.9, profile="bump"), "profile must be one of uniform, "),
    (dict(sparsity=0.9, cv=[0.5, 0.5]),
     r"cv must be None, a float or a sequence of 3 values \(one per kernel\), "
     r"got 2 values"),
    (dict(sparsity=0.9, profile="erdos_renyi", cv=0.5),
     "cv must be None for profile 'erdos_renyi'"),
    (dict(sparsity=0.999), r"profile 'uniform' cannot make kernel "
     r"Dense_0/kernel \(784 -> 300\) at density 0.0010 \(235 of 235200 "
     r"weights; a PSN profile needs >= 1 input per neuron\): nearest feasible "
     r"densities 0.0013 \(300 weights\)$"),
    (dict(sparsity=0.9, profile="sigmoid", cv=2.4),
     r"kernel Dense_0/kernel: cv=2.4 is out of reach for family 'sigmoid'"),
])
def test_make_masks_bad_inputs(kwargs, match):
  with pytest.raises(ValueError, match=match):
    masks.make_masks(jax.random.PRNGKey(0), _params(abstract=True), **kwargs)


# ---------------------------------------------------------------------------
# Bad input to the mask-tree functions: one line naming the leaf.


def _small():
  params = _params(widths=(6, 3), n_in=4)
  tree = masks.make_masks(jax.random.PRNGKey(0), params, sparsity=0.5,
                          profile="random")
  return params, tree


def _floats(tree):
  rng = np.random.default_rng(0)
  return jax.tree.map(lambda m: rng.random(m.shape), tree)


@pytest.mark.parametrize("call", [
    masks.sparsity_of, masks.count_active,
    lambda m: masks.apply_masks(_small()[0], m),
    lambda m: jax.jit(masks.apply_masks)(_small()[0], m),
], ids=["sparsity_of", "count_active", "apply_masks", "apply_masks_jit"])
def test_float_masks_are_refused(call):
  """A random float array used to count as all-True (sparsity 0.0)."""
  # (float32 under jit; JAX may append a note on its filtered frames.)
  with pytest.raises(ValueError, match=r"^masks must be bool arrays: "
                     r"Dense_0/bias has dtype float(32|64) \(for a 0/1 array "
                     r"m, pass m > 0\)"):
    call(_floats(_small()[1]))


def test_flax_variables_dict_is_refused():
  params, tree = _small()
  for call in (masks.sparsity_of, masks.count_active,
               lambda m: masks.apply_masks(params, m)):
    with pytest.raises(ValueError, match=r"^masks must be the params pytree "
                       r".*got a Flax variables dict: pass masks\['params'\]$"):
      call({"params": tree})
  with pytest.raises(ValueError, match=r"pass params\['params'\]$"):
    masks.apply_masks({"params": params}, tree)


def test_apply_masks_shape_and_structure_mismatch_names_the_layer():
  params, tree = _small()
  wrong = jax.tree.map(lambda m: m, tree)
  wrong["Dense_1"]["kernel"] = np.ones((5, 3), bool)
  for apply in (masks.apply_masks, jax.jit(masks.apply_masks)):
    with pytest.raises(ValueError, match=r"^masks must have the shapes of "
                       r"params \(leading seed axes aside\): Dense_1/kernel is "
                       r"\(5, 3\) in masks, \(6, 3\) in params"):
      apply(params, wrong)
  missing = {"Dense_0": tree["Dense_0"]}
  with pytest.raises(ValueError, match=r"^masks must have the structure of "
                     r"params: Dense_1/bias is missing from masks$"):
    masks.apply_masks(params, missing)
  # Masks without the seed axis of the params still broadcast.
  stacked = jax.tree.map(lambda p: jnp.stack([p, p]), params)
  out = masks.apply_masks(stacked, tree)
  np.testing.assert_array_equal(out["Dense_0"]["kernel"][1],
                                np.where(tree["Dense_0"]["kernel"],
                                         params["Dense_0"]["kernel"], 0))
