"""Every mask source of psn_jax.masks: exact budgets, defining properties,
refusals with the nearest feasible densities, the random baseline's law,
perturbation, input validation (issue 8 items 1-3, 5; issue 12)."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from psn_jax import graphs, mask_sources, masks, models, networks, profiles
from psn_jax import topology

SETTINGS = settings(max_examples=15, deadline=None)
SOURCES = tuple(masks.MASK_SOURCES)
NON_PSN = tuple(s for s in SOURCES if s not in masks.PSN_PROFILES)
_NEAREST = re.compile(
    r"^profile '(\w+)' cannot make kernel (\S+) \((\d+) -> (\d+)\) at density "
    r"(\d\.\d{4}) \((\d+) of (\d+) weights; [^)]*\): nearest feasible "
    r"densities (\d\.\d{4} \(\d+ weights\)(, \d\.\d{4} \(\d+ weights\))?)$")


def _params(shapes):
  """A hand-built params pytree (shapes only) with Flax's Dense_i names."""
  return {f"Dense_{i}": {"kernel": jax.ShapeDtypeStruct(s, jnp.float32),
                         "bias": jax.ShapeDtypeStruct((s[1],), jnp.float32)}
          for i, s in enumerate(shapes)}


def _mlp_params(n_in, hidden, num_classes=10):
  model = models.MLP(hidden=tuple(hidden), num_classes=num_classes)
  return jax.eval_shape(model.init, jax.random.key(0),
                        jnp.zeros((1, n_in), jnp.float32))["params"]


@st.composite
def networks_(draw, max_width=48):
  widths = draw(st.lists(st.integers(1, max_width), min_size=2, max_size=4))
  return list(zip(widths[:-1], widths[1:]))


# ---------------------------------------------------------------- registry


def test_registry_lists_every_source_in_one_line_each():
  assert masks.PROFILES == tuple(masks.MASK_SOURCES)
  assert masks.MASK_SOURCES is masks.SOURCES is mask_sources.SOURCES
  want = set(profiles.FAMILIES) | {
      "random", "erdos_renyi", "random_biregular", "circulant",
      "circulant_banded", "dey_basic", "dey_clash_free", "block_diagonal"}
  assert want <= set(masks.MASK_SOURCES)  # a new source is one registry entry
  assert masks.PSN_PROFILES == profiles.FAMILIES
  for name, source in masks.MASK_SOURCES.items():
    line = source.description
    assert isinstance(line, str) and 20 < len(line) and "\n" not in line, name
    assert source.takes_cv == (name in profiles.FAMILIES), name
  with pytest.raises(ValueError, match="profile must be one of uniform, "
                     ".*, random, erdos_renyi, .*block_diagonal.*, got "
                     "'ramanujan'"):
    masks.make_masks(jax.random.key(0), _params([(4, 4)]), sparsity=0.5,
                     profile="ramanujan")


# ------------------------------------------------------ exact budgets (all)


def _check_refusal(msg, profile, shapes, budgets):
  """The refusal is one line naming the layer and its nearest feasible
  densities, and those are truly the nearest feasible budgets."""
  m = _NEAREST.match(msg)
  assert m, msg
  assert m.group(1) == profile
  l = int(m.group(2).split("/")[0].split("_")[1])
  n_in, n_out = int(m.group(3)), int(m.group(4))
  k, size = int(m.group(6)), int(m.group(7))
  assert (n_in, n_out) == shapes[l] and size == n_in * n_out
  assert k == budgets[l]
  ok = masks.feasible_budgets(profile, n_in, n_out)
  assert k not in set(ok.tolist())
  near = [int(x) for x in re.findall(r"\((\d+) weights\)", m.group(8))]
  want = ok[ok < k][-1:].tolist() + ok[ok > k][:1].tolist()
  assert near == want and len(near) >= 1


@pytest.mark.parametrize("profile", SOURCES)
@SETTINGS
@given(shapes=networks_(), sparsity=st.floats(0.0, 0.97),
       distribution=st.sampled_from(masks.DISTRIBUTIONS),
       dense_first=st.booleans(), dense_last=st.booleans(),
       seed=st.integers(0, 2**31 - 1))
def test_every_source_gives_exactly_the_layer_budgets(
    profile, shapes, sparsity, distribution, dense_first, dense_last, seed):
  params = _params(shapes)
  kw = dict(sparsity=sparsity, distribution=distribution,
            dense_first=dense_first, dense_last=dense_last)
  budgets = masks.layer_budgets(shapes, **kw)
  try:
    tree = masks.make_masks(jax.random.key(seed), params, profile=profile,
                            **kw)
  except ValueError as err:
    msg = str(err)
    if profile in masks.PSN_PROFILES and "cv=" in msg:
      return  # a layer whose integer fan-ins cannot reach the default CV
    _check_refusal(msg, profile, shapes, budgets)
    return
  layers = masks.layer_masks(tree)
  assert [m.dtype for m in layers] == [np.bool_] * len(shapes)
  assert masks.count_active(tree) == budgets.tolist()
  for (n_in, n_out), k, m in zip(shapes, budgets, layers):
    if k == n_in * n_out:
      assert m.all()
    ok = masks.feasible_budgets(profile, n_in, n_out)
    assert k in set(ok.tolist())
  # Biases stay all-True; same key, same masks.
  assert all(tree[f"Dense_{i}"]["bias"].all() for i in range(len(shapes)))
  again = masks.make_masks(jax.random.key(seed), params, profile=profile, **kw)
  for a, b in zip(layers, masks.layer_masks(again)):
    np.testing.assert_array_equal(a, b)


def test_every_source_on_a_small_mnist_mlp_and_one_jitted_step():
  # 784-32-16-10 at 87.5% with the class layer dense: every source feasible
  # (Dey: d_out = 4 | 32 and 2 | 16).
  params_shape = _mlp_params(784, (32, 16))
  model = models.MLP(hidden=(32, 16), num_classes=10)
  params = model.init(jax.random.key(0), jnp.zeros((1, 784)))["params"]
  x = jax.random.normal(jax.random.key(1), (8, 784))
  y = jnp.arange(8) % 10
  opt = optax.sgd(0.1)

  @jax.jit
  def step(p, m):
    def loss(q):
      logits = model.apply({"params": masks.apply_masks(q, m)}, x)
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    value, g = jax.value_and_grad(loss)(p)
    g = masks.apply_masks(g, m)
    updates, _ = opt.update(g, opt.init(p))
    return masks.apply_masks(optax.apply_updates(p, updates), m), value

  budgets = masks.layer_budgets([(784, 32), (32, 16), (16, 10)], 0.875,
                                dense_last=True)
  assert budgets.tolist() == [3136, 64, 160]
  for profile in SOURCES:
    tree = masks.make_masks(jax.random.key(2), params_shape, sparsity=0.875,
                            profile=profile, dense_last=True)
    assert masks.count_active(tree) == budgets.tolist(), profile
    new, value = step(params, tree)
    assert np.isfinite(float(value)), profile
    for w, m in zip(masks.layer_masks(new), masks.layer_masks(tree)):
      assert np.all(w[~m] == 0), profile
      assert np.any(w[m] != 0), profile


def test_lenet_300_100_at_90_percent_feasibility():
  # The configuration tables' network: with uniform budgets every source
  # reaches 90% exactly (Dey padded to 790 inputs in layer 0); with ERK the
  # Dey families refuse layer 0 and name its nearest feasible densities.
  params = _mlp_params(784, (300, 100))
  for profile in SOURCES:
    tree = masks.make_masks(jax.random.key(0), params, sparsity=0.9,
                            profile=profile)
    assert masks.count_active(tree) == [23520, 3000, 100], profile
  for profile, near in (("dey_basic", "0.0767 (18032 weights), 0.0800 "
                                      "(18816 weights)"),
                        ("dey_clash_free", "0.0667 (15680 weights), 0.0833 "
                                           "(19600 weights)"),
                        ("block_diagonal", "0.0667 (15680 weights), 0.0833 "
                                           "(19600 weights)")):
    with pytest.raises(ValueError) as err:
      masks.make_masks(jax.random.key(0), params, sparsity=0.9,
                       distribution="erk", profile=profile)
    assert str(err.value).startswith(
        f"profile '{profile}' cannot make kernel Dense_0/kernel (784 -> 300) "
        f"at density 0.0796 (18714 of 235200 weights")
    assert str(err.value).endswith(f"nearest feasible densities {near}")
  nets = networks.source_networks(jax.random.key(0), params, sparsity=0.9,
                                  distribution="erk")
  assert isinstance(nets["dey_basic"], str)
  assert sum(int(m.sum()) for m in nets["random"]) == 26620


# ------------------------------------------------------- defining properties


def _layer(profile, shape, sparsity, seed=0, **kw):
  tree = masks.make_masks(jax.random.key(seed), _params([shape]),
                          sparsity=sparsity, profile=profile, **kw)
  return masks.layer_masks(tree)[0]


@SETTINGS
@given(n_in=st.integers(2, 60), n_out=st.integers(2, 60),
       sparsity=st.floats(0.05, 0.95), seed=st.integers(0, 1000))
def test_random_biregular_degrees(n_in, n_out, sparsity, seed):
  assume(masks.layer_budgets([(n_in, n_out)], sparsity)[0] >= 1)  # 0: refused
  m = _layer("random_biregular", (n_in, n_out), sparsity, seed)
  k = int(m.sum())
  for deg, n in ((m.sum(1), n_in), (m.sum(0), n_out)):
    assert deg.max() - deg.min() <= 1
    assert set(deg.tolist()) <= {k // n, -(-k // n)}


@pytest.mark.parametrize("profile", ["random_biregular", "circulant",
                                     "circulant_banded"])
def test_a_layer_budget_of_zero_is_refused_in_one_line(profile):
  # 2 x 2 at 87.5%: round(0.5) = 0 weights.
  with pytest.raises(ValueError, match=r"\(2 -> 2\) at density 0.0000 \(0 of "
                     r"4 weights; no connection left\): nearest feasible "
                     r"densities 0.2500"):
    _layer(profile, (2, 2), 0.875)


def test_random_biregular_is_exactly_biregular_when_divisible():
  m = _layer("random_biregular", (60, 40), 0.75)  # k = 600 = 60*10 = 40*15
  np.testing.assert_array_equal(m.sum(1), 10)
  np.testing.assert_array_equal(m.sum(0), 15)


@pytest.mark.parametrize("profile, gen", [("circulant", "random"),
                                          ("circulant_banded", "contiguous")])
@SETTINGS
@given(n_in=st.integers(2, 50), n_out=st.integers(2, 50),
       sparsity=st.floats(0.05, 0.95), seed=st.integers(0, 1000))
def test_circulant_structure(profile, gen, n_in, n_out, sparsity, seed):
  assume(masks.layer_budgets([(n_in, n_out)], sparsity)[0] >= 1)  # 0: refused
  m = _layer(profile, (n_in, n_out), sparsity, seed)
  k = int(m.sum())
  if k == n_in * n_out:
    return
  # make_masks draws graphs.circulant with the layer's input key.
  _, input_key = masks.layer_keys(jax.random.key(seed), 0)
  np.testing.assert_array_equal(
      m, graphs.circulant(input_key, n_in, n_out, edges=k, generators=gen))
  d, r = divmod(k, n_out)
  offsets = (np.arange(n_out) * n_in) // n_out
  unrolled = np.stack([np.roll(m[:, j], -offsets[j]) for j in range(n_out)], 1)
  j = np.arange(n_out)
  in_r = ((j + 1) * r) // n_out > (j * r) // n_out
  # Column j is column 0 rolled by o_j, plus one extra generator for j in R.
  base = unrolled[:, 0]
  assert not in_r[0] and base.sum() == d
  assert np.all(unrolled[base] )  # every column holds the base generators
  extra = unrolled & ~base[:, None]
  assert np.all(extra.sum(0) == in_r)
  if r:
    assert np.unique(np.flatnonzero(extra.any(1))).size == 1
  if gen == "contiguous":
    for jj in range(n_out):  # a contiguous window starting at o_jj
      np.testing.assert_array_equal(np.flatnonzero(unrolled[:, jj]),
                                    np.arange(d + in_r[jj]))


def test_circulant_random_generators_vary_banded_do_not():
  a = _layer("circulant", (40, 20), 0.8, seed=0)
  b = _layer("circulant", (40, 20), 0.8, seed=1)
  assert not np.array_equal(a, b)
  a = _layer("circulant_banded", (40, 20), 0.8, seed=0)
  b = _layer("circulant_banded", (40, 20), 0.8, seed=1)
  np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape, sparsity, pad", [((64, 32), 0.875, 0),
                                                  ((784, 300), 0.9, 6),
                                                  ((50, 10), 0.5, 0)])
def test_dey_clash_free_is_the_interleaver_pattern(shape, sparsity, pad):
  n_in, n_out = shape
  m = _layer("dey_clash_free", shape, sparsity, seed=3)
  k = int(m.sum())
  deg = graphs.dey_budget_degrees(n_in, n_out, k, "clash_free")
  assert deg["pad"] == pad
  _, input_key = masks.layer_keys(jax.random.key(3), 0)
  full, pi = graphs.dey_clash_free(input_key, deg["p"], n_out,
                                   d_out=deg["d_out"], z=deg["z"],
                                   return_interleaver=True)
  np.testing.assert_array_equal(m, full[:n_in])
  assert graphs.is_clash_free(pi, deg["z"], deg["p"])
  cycles = graphs.clash_free_cycles(pi, deg["z"], deg["p"])
  assert np.all(np.sort(cycles, 1) == np.arange(deg["z"]))
  np.testing.assert_array_equal(m.sum(1), deg["d_out"])  # real inputs exact
  np.testing.assert_array_equal(full.sum(0), deg["d_in"])


def test_dey_basic_degrees_and_padding():
  m = _layer("dey_basic", (784, 300), 0.9, seed=1)
  np.testing.assert_array_equal(m.sum(1), 30)
  assert m.sum() == 23520 and m.sum(0).max() <= 79
  m = _layer("dey_basic", (30, 20), 0.8, seed=1)  # k = 120: biregular 4 / 6
  np.testing.assert_array_equal(m.sum(1), 4)
  np.testing.assert_array_equal(m.sum(0), 6)


def test_block_diagonal_pairs_clash_free_at_equal_density_lower_scatter():
  # Dey's D3: equal density and degrees, different scatter. 64-64 at 1/8.
  cf = _layer("dey_clash_free", (64, 64), 0.875, seed=0)
  win = _layer("block_diagonal", (64, 64), 0.875, seed=0)
  assert cf.sum() == win.sum() == 512
  np.testing.assert_array_equal(np.sort(cf.sum(0)), np.sort(win.sum(0)))
  np.testing.assert_array_equal(cf.sum(1), win.sum(1))
  # Each output group of d_out = 8 reads exactly one contiguous window of 8.
  for j in range(64):
    np.testing.assert_array_equal(np.flatnonzero(win[:, j]),
                                  np.arange(8) + (j // 8) * 8)
  w = topology.windows_1d(64, 8)
  sf_cf, sb_cf = topology.junction_scatter(cf, w, w)
  sf_win, sb_win = topology.junction_scatter(win, w, w)
  assert (sf_win, sb_win) == (0.125, 0.125)  # one window of 8 holds all
  assert sf_cf > 0.5 and sb_cf > 0.5


# ------------------------------------------------- random: hypergeometric law


@pytest.mark.parametrize("shape, sparsity", [((50, 40), 0.9), ((30, 100), 0.7),
                                             ((784, 300), 0.9)])
def test_random_fan_ins_follow_the_hypergeometric_law(shape, sparsity):
  n_in, n_out = shape
  size = n_in * n_out
  k = int(masks.layer_budgets([shape], sparsity)[0])
  seeds = 40 if size < 10_000 else 4
  fans = np.concatenate([_layer("random", shape, sparsity, seed=s).sum(0)
                         for s in range(seeds)])
  # Fan-in of one column: draws k of the size cells, successes = its n_in.
  law = stats.hypergeom(M=size, n=n_in, N=k)
  p = k / size
  mean = k / n_out
  var = n_in * p * (1 - p) * (size - n_in) / (size - 1)
  assert law.mean() == pytest.approx(mean)
  assert law.var() == pytest.approx(var)
  assert fans.mean() == pytest.approx(mean)  # exact: the total is k per seed
  # Sample variance of ~1600-1200 columns: relative sd ~ sqrt(2 / n) < 4.1%
  # (columns of one seed are slightly negatively correlated, which only
  # tightens it); 15% is > 3.5 sd.
  assert fans.var(ddof=1) == pytest.approx(var, rel=0.15)
  # And the whole distribution: chi-square on bins of expected count >= 20.
  values = np.arange(int(law.ppf(1e-4)), int(law.ppf(1 - 1e-4)) + 1)
  exp = law.pmf(values) * fans.size
  obs = (fans[:, None] == values[None, :]).sum(0)
  keep = exp >= 20
  obs, exp = obs[keep], exp[keep]
  assert keep.sum() >= 5
  exp *= obs.sum() / exp.sum()
  assert stats.chisquare(obs, exp).pvalue > 1e-3


def test_random_and_erdos_renyi_are_the_same_draw():
  a = _layer("random", (40, 30), 0.8, seed=5)
  b = _layer("erdos_renyi", (40, 30), 0.8, seed=5)
  np.testing.assert_array_equal(a, b)
  # The old equal-fan-in "uniform" profile is a different baseline.
  u = _layer("uniform", (40, 30), 0.8, seed=5)
  assert u.sum(0).std() == 0 and a.sum(0).std() > 0


# ---------------------------------------------------------------- perturb


@SETTINGS
@given(fraction=st.floats(0.0, 1.0), seed=st.integers(0, 1000))
def test_perturb_masks_keeps_counts_and_moves_the_fraction(fraction, seed):
  params = _params([(30, 20), (20, 10), (10, 5)])
  tree = masks.make_masks(jax.random.key(seed), params, sparsity=0.8,
                          profile="random", dense_last=True)
  out = masks.perturb_masks(jax.random.key(seed + 1), tree, fraction)
  before, after = masks.layer_masks(tree), masks.layer_masks(out)
  assert masks.count_active(out) == masks.count_active(tree)
  for l, (a, b) in enumerate(zip(before, after)):
    if a.all():  # the dense class layer is left alone
      np.testing.assert_array_equal(a, b)
      continue
    moves = round(fraction * int(a.sum()))
    assert (a != b).sum() == 2 * moves
    np.testing.assert_array_equal(b, graphs.perturb(
        a, fraction, jax.random.fold_in(jax.random.key(seed + 1), l)))
  for i in range(3):
    assert out[f"Dense_{i}"]["bias"].all()


def test_perturb_masks_with_a_seed_axis_and_refusals():
  params = _params([(20, 10), (10, 4)])
  trees = [masks.make_masks(jax.random.key(s), params, sparsity=0.5,
                            profile="random") for s in range(3)]
  stacked = jax.tree.map(lambda *m: np.stack(m), *trees)
  out = masks.perturb_masks(jax.random.key(7), stacked, 0.1)
  for l, (a, b) in enumerate(zip(masks.layer_masks(stacked),
                                 masks.layer_masks(out))):
    assert b.shape == a.shape
    for s in range(3):
      assert b[s].sum() == a[s].sum()
      assert (a[s] != b[s]).sum() == 2 * round(0.1 * a[s].sum())
    assert not np.array_equal(b[0] ^ a[0], b[1] ^ a[1])  # own keys
  with pytest.raises(ValueError, match="masks must be bool: kernel "
                     "Dense_0/kernel has dtype float32"):
    masks.perturb_masks(jax.random.key(0), jax.tree.map(
        lambda m: np.asarray(m, np.float32), trees[0]), 0.1)
  with pytest.raises(ValueError, match=r"kernel Dense_0/kernel: fraction must "
                     r"be a real number in \[0, 1\], got 2"):
    masks.perturb_masks(jax.random.key(0), trees[0], 2)
  with pytest.raises(ValueError, match="masks must be a mask pytree"):
    masks.perturb_masks(jax.random.key(0), {}, 0.1)


# --------------------------------------------------------- input validation


@pytest.mark.parametrize("params, name", [
    (np.zeros((784, 300)), "ndarray"), (jnp.zeros((8, 4)), "ArrayImpl"),
    ([np.zeros((8, 4)), np.zeros((4, 2))], "list"), ({}, "dict"),
    (None, "NoneType"), ({"Dense_0": {"bias": np.zeros(4)}}, "dict"),
    ({"Dense_0": {"kernel": np.zeros(4)}}, "dict"),
])
def test_make_masks_refuses_what_is_not_a_params_pytree(params, name):
  with pytest.raises(ValueError) as err:
    masks.make_masks(jax.random.key(0), params, sparsity=0.9)
  msg = str(err.value)
  assert msg == ("params must be a Flax params pytree with at least one 2-D "
                 "leaf named 'kernel' (e.g. model.init(...)['params']), got "
                 f"{name} with no kernel")


@pytest.mark.parametrize("sparsity", [jnp.float32(0.9), np.float64(0.9),
                                      np.float32(0.9), np.array(0.9),
                                      jnp.array(0.9), 0.9])
def test_make_masks_accepts_numeric_scalars(sparsity):
  params = _params([(40, 20), (20, 10)])
  tree = masks.make_masks(jax.random.key(0), params, sparsity=sparsity)
  assert masks.count_active(tree) == [80, 20]


@pytest.mark.parametrize("sparsity", [True, np.bool_(False), jnp.array(True),
                                      float("nan"), np.float32("nan"), 1.0,
                                      -0.1, jnp.float32(1.5), "0.9", None,
                                      np.array([0.9]), [0.9]])
def test_make_masks_refuses_bad_sparsity(sparsity):
  params = _params([(40, 20)])
  with pytest.raises(ValueError, match=r"^sparsity must be in \[0, 1\), got "):
    masks.make_masks(jax.random.key(0), params, sparsity=sparsity)


@pytest.mark.parametrize("profile", NON_PSN)
def test_cv_is_refused_for_sources_that_are_not_psn_profiles(profile):
  with pytest.raises(ValueError, match=f"^cv must be None for profile "
                     f"'{profile}' \\(only uniform, .*, power_law take a cv\\), "
                     f"got 0.5$"):
    masks.make_masks(jax.random.key(0), _params([(40, 20)]), sparsity=0.5,
                     profile=profile, cv=0.5)


# ---------------------------------------------------------------- networks


def test_source_networks_are_make_masks_and_report_refusals():
  params = _params([(40, 20), (20, 10)])
  nets = networks.source_networks(jax.random.key(4), params, sparsity=0.75,
                                  distribution="erk")
  assert list(nets) == list(masks.MASK_SOURCES)
  for name, layers in nets.items():
    try:
      tree = masks.make_masks(jax.random.key(4), params, sparsity=0.75,
                              distribution="erk", profile=name)
    except ValueError as err:
      assert layers == str(err)
      continue
    for a, b in zip(layers, masks.layer_masks(tree)):
      np.testing.assert_array_equal(a, b)
  assert networks.kernel_shapes(params) == [(40, 20), (20, 10)]
  with pytest.raises(ValueError, match="sources must be one of uniform, .*, "
                     "got 'banana'"):
    networks.source_networks(jax.random.key(4), params, sparsity=0.5,
                             sources=["uniform", "banana"])


def test_build_networks_rows_for_the_topology_table():
  params = _mlp_params(64, (64, 32))
  rows = networks.build_networks(0, params, 0.9)
  assert [r[0] for r in rows] == (
      ["uniform", "ERK"] + [f"PSN {f}" for f in networks.PSN_FAMILIES]
      + ["Dey clash-free, exact", "Dey clash-free, padded", "circulant"])
  by_name = {name: layers for name, layers, _ in rows}
  # Nearest feasible Dey densities (the table's rows), exact and padded.
  assert [m.mean() for m in by_name["Dey clash-free, exact"]] == [0.125, 0.125,
                                                                  0.5]
  assert [m.mean() for m in by_name["Dey clash-free, padded"]] == [0.125,
                                                                   0.125, 0.1]
  text = dict((r[0], r[2]) for r in rows)["Dey clash-free, padded"]
  assert "p=40 (32 + 8 pad) d_out=1 d_in=4 z=4" in text


@pytest.mark.parametrize("cv, match", [
    (-1, r"^cv must be None or a number in \[0, 2.5\], got -1$"),
    (float("nan"), r"^cv must be None or a number in \[0, 2.5\], got nan$"),
    (True, r"^cv must be None or a number in \[0, 2.5\], got True$"),
    (3.0, r"^cv must be None or a number in \[0, 2.5\], got 3.0$"),
    ("a", r"^cv must be None, a number or a sequence of 2 values \(one per "
     r"kernel\), got 'a'$"),
    ([0.5, -1], r"^cv\[1\] must be None or a number in \[0, 2.5\], got -1$"),
])
def test_bad_cv_names_cv(cv, match):
  with pytest.raises(ValueError, match=match):
    masks.make_masks(jax.random.key(0), _params([(40, 20), (20, 10)]),
                     sparsity=0.5, profile="lognormal", cv=cv)


def test_cv_accepts_numeric_scalars():
  params = _params([(40, 20)])
  ref = masks.make_masks(jax.random.key(0), params, sparsity=0.5,
                         profile="lognormal", cv=0.5)
  for cv in (np.float32(0.5), jnp.float32(0.5), [0.5]):
    got = masks.make_masks(jax.random.key(0), params, sparsity=0.5,
                           profile="lognormal", cv=cv)
    np.testing.assert_array_equal(got["Dense_0"]["kernel"],
                                  ref["Dense_0"]["kernel"])
