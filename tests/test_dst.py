"""Tests for psn_jax.dst: RigL / SET updates, drop schedules, optimizer-state reset."""

from __future__ import annotations

import dataclasses
import functools
import math

import hypothesis
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from psn_jax import dst

_update = jax.jit(dst.update, static_argnames=("cfg", "lr_schedule"))


def _cfg(algorithm="rigl", **kw) -> dst.DSTConfig:
  base = dict(algorithm=algorithm, delta_t=100, t_start=0, t_end=1000,
              drop_fraction=0.3, drop_schedule="cosine")
  base.update(kw)
  return dst.DSTConfig(**base)


def _net(rng: np.random.Generator, shapes, densities, values=None, grad_values=None):
  """Random (masks, params, grads) pytrees; kernels with exact active counts."""
  masks, params, grads = {}, {}, {}
  for i, ((n_in, n_out), d) in enumerate(zip(shapes, densities)):
    size = n_in * n_out
    n_active = int(round(d * size))
    m = np.zeros(size, bool)
    m[rng.permutation(size)[:n_active]] = True
    m = m.reshape(n_in, n_out)
    if values is None:
      w = rng.normal(size=(n_in, n_out)).astype(np.float32)
    else:
      w = rng.choice(np.asarray(values, np.float32), size=(n_in, n_out))
    if grad_values is None:
      g = rng.normal(size=(n_in, n_out)).astype(np.float32)
    else:
      g = rng.choice(np.asarray(grad_values, np.float32), size=(n_in, n_out))
    name = f"Dense_{i}"
    masks[name] = {"kernel": m, "bias": np.ones(n_out, bool)}
    params[name] = {"kernel": np.where(m, w, np.float32(0)),
                    "bias": rng.normal(size=n_out).astype(np.float32)}
    grads[name] = {"kernel": g, "bias": rng.normal(size=n_out).astype(np.float32)}
  to_j = lambda t: jax.tree.map(jnp.asarray, t)
  return to_j(masks), to_j(params), to_j(grads)


def _filled_state(opt: optax.GradientTransformation, params, rng: np.random.Generator):
  """`opt.init(params)` with non-zero random contents (scalars set to 7)."""
  state = opt.init(params)

  def fill(x):
    x = np.asarray(x)
    if x.ndim == 0:
      return jnp.asarray(np.full((), 7, x.dtype))
    return jnp.asarray(rng.uniform(0.5, 1.5, size=x.shape).astype(x.dtype))

  return jax.tree.map(fill, state)


def _params_shaped_states(opt_state, params):
  """The subtrees of `opt_state` with the params' structure (test-side search)."""
  target = jax.tree.structure(params)
  found = []

  def visit(node):
    if jax.tree.structure(node) == target:
      found.append(node)
      return True
    return False

  jax.tree.map(lambda x: x, opt_state, is_leaf=visit)
  return found


# ----------------------------------------------------------------------------
# NumPy reference: loops and Python sorts, the same tie-break priorities.


def _np_layer(mask, w, g, f, drop_prio, grow_prio, algorithm, rule):
  """One layer's update by hand. Returns (new_mask, new_w, reset) flat."""
  mask, w = np.asarray(mask).ravel(), np.asarray(w).ravel()
  dp, gp = np.asarray(drop_prio).ravel(), np.asarray(grow_prio).ravel()
  n = mask.size
  f32 = np.float32(f)
  slack = np.float32(1 + dst.COUNT_TOLERANCE)
  count = lambda c: int(np.floor(f32 * np.float32(c) * slack))
  active = [i for i in range(n) if mask[i]]
  by_mag = lambda idx: sorted(idx, key=lambda i: (abs(w[i]), dp[i]))
  if algorithm == "set" and rule == "sign":
    nonneg = by_mag([i for i in active if w[i] >= 0])
    neg = by_mag([i for i in active if w[i] < 0])
    dropped = nonneg[:count(len(nonneg))] + neg[:count(len(neg))]
  else:
    dropped = by_mag(active)[:count(len(active))]
  kept = set(active) - set(dropped)
  candidates = [i for i in range(n) if i not in kept]
  if algorithm == "rigl":
    g = np.asarray(g).ravel()
    candidates.sort(key=lambda i: (-abs(g[i]), gp[i]))
  else:
    candidates.sort(key=lambda i: gp[i])
  grown = set(candidates[:len(dropped)])
  new_mask = np.array([i in kept or i in grown for i in range(n)])
  stays = new_mask & mask
  new_w = np.where(stays, w, np.float32(0))
  return new_mask, new_w, ~stays


_priorities = jax.jit(dst.tie_break_priorities, static_argnums=2)


def _np_update(key, step, masks, params, grads, state, cfg):
  """The whole pytree update with `_np_layer`; state: list of params-shaped trees."""
  f = float(dst.drop_fraction_fn(cfg)(step))
  m_leaves, treedef = jax.tree.flatten(masks)
  w_leaves = treedef.flatten_up_to(params)
  g_leaves = treedef.flatten_up_to(grads)
  kernel_shapes = tuple(m.shape for m in m_leaves if m.ndim >= 2)
  priorities = iter(_priorities(key, step, kernel_shapes))
  new_m, new_w, resets = [], [], []
  for m, w, g in zip(m_leaves, w_leaves, g_leaves):
    m, w = np.asarray(m), np.asarray(w)
    if m.ndim < 2:
      new_m.append(m), new_w.append(w), resets.append(np.zeros(m.shape, bool))
      continue
    dp, gp = next(priorities)
    a, b, c = _np_layer(m, w, g, f, dp, gp, cfg.algorithm, cfg.set_drop_rule)
    new_m.append(a.reshape(m.shape)), new_w.append(b.reshape(m.shape))
    resets.append(c.reshape(m.shape))
  reset = jax.tree.unflatten(treedef, resets)
  new_state = [jax.tree.map(lambda s, r: np.where(r, 0, np.asarray(s)), s, reset)
               for s in state]
  return (jax.tree.unflatten(treedef, new_m), jax.tree.unflatten(treedef, new_w),
          new_state)


def _assert_trees_equal(a, b):
  assert jax.tree.structure(a) == jax.tree.structure(b)
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert np.asarray(x).dtype == np.asarray(y).dtype


# Shared architectures and configs, so that jit caches are reused across tests.
_ARCH = [(6, 5), (5, 4), (4, 3)]
_REF_CFGS = {name: _cfg(alg, drop_fraction=0.6, t_end=400, set_drop_rule=rule)
             for name, alg, rule in [("rigl", "rigl", "magnitude"),
                                     ("set_magnitude", "set", "magnitude"),
                                     ("set_sign", "set", "sign")]}
_SGD = optax.sgd(0.1, momentum=0.9)


@pytest.mark.parametrize("cfg_name", sorted(_REF_CFGS))
def test_matches_numpy_reference_over_consecutive_updates(cfg_name):
  rng = np.random.default_rng(1)
  # Quantised weights and gradients: many ties, so tie-breaking is exercised;
  # exact zeros among active weights exercise the sign rule's zero handling.
  # The last layer is dense.
  masks, params, grads = _net(rng, _ARCH, [0.4, 0.6, 1.0],
                              values=[-0.2, -0.1, 0.0, 0.1, 0.2],
                              grad_values=[-1.0, 0.0, 0.5, 1.0])
  dense_layer = (masks["Dense_2"], params["Dense_2"])
  opt_state = _filled_state(_SGD, params, rng)
  cfg = _REF_CFGS[cfg_name]
  key = jax.random.key(3)
  changed = 0
  for step in (100, 200, 300):
    trace = opt_state[0].trace
    want_m, want_w, (want_trace,) = _np_update(key, step, masks, params, grads,
                                               [trace], cfg)
    old_masks = masks
    masks, params, opt_state = _update(key, jnp.int32(step), masks, params, grads,
                                       opt_state, cfg)
    _assert_trees_equal(masks, want_m)
    _assert_trees_equal(params, want_w)
    _assert_trees_equal(opt_state[0].trace, want_trace)
    _assert_trees_equal((masks["Dense_2"], params["Dense_2"]), dense_layer)
    changed += int((masks["Dense_0"]["kernel"] != old_masks["Dense_0"]["kernel"]).sum())
    # "Train" between updates: move the active weights, fresh gradients.
    delta = jax.tree.map(
        lambda p: jnp.asarray(rng.choice([-0.1, 0.0, 0.1], size=p.shape), p.dtype),
        params)
    params = jax.tree.map(lambda m, p, d: jnp.where(m, p + d, 0), masks, params, delta)
    params["Dense_2"] = dense_layer[1]
    grads = jax.tree.map(
        lambda g: jnp.asarray(rng.choice([-1.0, 0.0, 0.5], size=g.shape), g.dtype),
        grads)
  assert changed > 0   # the comparison is not vacuous


# ----------------------------------------------------------------------------
# Hand-computed tables on an 8-weight layer (flat index order, shape (2, 4)).
# A linear schedule with alpha = 1 and T = 1000 gives exact fractions from the
# traced step (one compile for all rows): f(t) = 1 - t / 1000.

_LINEAR = dict(drop_fraction=1.0, drop_schedule="linear", t_end=1000)
_STEP_OF = {1.0: 0, 0.75: 250, 0.7: 300, 0.5: 500, 0.25: 750, 0.0: 1000}

_HAND_MASK = [1, 1, 0, 0, 1, 0, 1, 0]
_HAND_W = [0.5, -0.1, 0.0, 0.0, -0.9, 0.0, 0.3, 0.0]
_HAND_G = [0.2, 0.8, 0.6, -0.05, 0.1, -0.7, 0.4, 0.3]
# Active by |w|: 1 (.1) < 6 (.3) < 0 (.5) < 4 (.9).
# |g| order: 1 (.8) > 5 (.7) > 2 (.6) > 6 (.4) > 7 (.3) > 0 (.2) > 4 (.1) > 3.
_RIGL_TABLE = {
    0.0: [1, 1, 0, 0, 1, 0, 1, 0],   # k=0: nothing changes
    0.25: [1, 1, 0, 0, 1, 0, 1, 0],  # drop 1; grow 1 (regrown, keeps -0.1)
    0.5: [1, 1, 0, 0, 1, 1, 0, 0],   # drop 1, 6; grow 1, 5
    0.75: [0, 1, 1, 0, 1, 1, 0, 0],  # drop 1, 6, 0; grow 1, 5, 2
    1.0: [0, 1, 1, 0, 0, 1, 1, 0],   # drop all; grow 1, 5, 2, 6
}
_RIGL_W = {
    0.0: _HAND_W,
    0.25: _HAND_W,
    0.5: [0.5, -0.1, 0.0, 0.0, -0.9, 0.0, 0.0, 0.0],
    0.75: [0.0, -0.1, 0.0, 0.0, -0.9, 0.0, 0.0, 0.0],
    1.0: [0.0, -0.1, 0.0, 0.0, 0.0, 0.0, 0.3, 0.0],
}


def _hand_layer(mask, w, g):
  as_tree = lambda x, dt: {"kernel": jnp.asarray(np.asarray(x, dt).reshape(2, 4))}
  return as_tree(mask, bool), as_tree(w, np.float32), as_tree(g, np.float32)


def test_exact_fractions_give_exact_counts():
  # f(t) may be an ulp off (reciprocal division under jit, GPU division); the
  # count floor(f * n) still comes out as in exact arithmetic.
  fn = dst.drop_fraction_fn(_cfg("rigl", **_LINEAR))
  counts = jax.jit(jax.vmap(lambda t, n: dst._floor_count(fn(t), n), (None, 0)))
  n = jnp.arange(0, 2000, dtype=jnp.int32)
  for fraction, step in _STEP_OF.items():
    assert float(fn(step)) == pytest.approx(fraction, abs=1e-6)
    want = np.floor(np.round(fraction * 100) * np.arange(2000) / 100).astype(int)
    np.testing.assert_array_equal(counts(jnp.int32(step), n), want)


@pytest.mark.parametrize("fraction", sorted(_RIGL_TABLE))
def test_rigl_hand_table(fraction):
  masks, params, grads = _hand_layer(_HAND_MASK, _HAND_W, _HAND_G)
  state = {"kernel": jnp.full((2, 4), 2.0)}   # a params-shaped "optimizer state"
  m, w, s = _update(jax.random.key(0), jnp.int32(_STEP_OF[fraction]), masks, params,
                    grads, state, _cfg("rigl", **_LINEAR))
  np.testing.assert_array_equal(np.asarray(m["kernel"]).ravel(),
                                np.asarray(_RIGL_TABLE[fraction], bool))
  np.testing.assert_array_equal(np.asarray(w["kernel"]).ravel(),
                                np.asarray(_RIGL_W[fraction], np.float32))
  stays = np.asarray(_RIGL_TABLE[fraction], bool) & np.asarray(_HAND_MASK, bool)
  np.testing.assert_array_equal(np.asarray(s["kernel"]).ravel(), np.where(stays, 2, 0))


# SET: 6 active weights; exact 0 counts as non-negative (dropped first there).
_SET_MASK = [1, 1, 1, 1, 1, 1, 0, 0]
_SET_W = [0.0, 0.2, 0.3, -0.9, -0.1, -0.4, 0.0, 0.0]
_SET_KEPT = {
    ("sign", 0.5): [2, 1, 3, 5],    # drop floor(1.5)=1 of {0, .2, .3}, 1 of negatives
    ("sign", 0.7): [2, 3],          # drop floor(2.1)=2 of each sign
    ("magnitude", 0.5): [2, 3, 5],  # drop floor(3.0)=3 smallest |w|: 0, 4, 1
    ("magnitude", 0.7): [3, 5],     # drop floor(4.2)=4: 0, 4, 1, 2
}


@pytest.mark.parametrize("rule,fraction", sorted(_SET_KEPT))
def test_set_hand_table(rule, fraction):
  masks, params, grads = _hand_layer(_SET_MASK, _SET_W, np.zeros(8))
  key, step = jax.random.key(5), _STEP_OF[fraction]
  m, w, _ = _update(key, jnp.int32(step), masks, params, grads,
                    {"kernel": params["kernel"]},
                    _cfg("set", set_drop_rule=rule, **_LINEAR))
  kept = sorted(_SET_KEPT[(rule, fraction)])
  # The grown positions: the candidates of lowest grow priority.
  (_, grow_prio), = _priorities(key, step, ((2, 4),))
  grow_prio = np.asarray(grow_prio).ravel()
  candidates = sorted((i for i in range(8) if i not in kept),
                      key=lambda i: grow_prio[i])
  want = np.zeros(8, bool)
  want[kept + candidates[:6 - len(kept)]] = True
  np.testing.assert_array_equal(np.asarray(m["kernel"]).ravel(), want)
  want_w = np.where(want & np.asarray(_SET_MASK, bool), _SET_W, 0).astype(np.float32)
  np.testing.assert_array_equal(np.asarray(w["kernel"]).ravel(), want_w)


def test_ties_broken_by_priority_not_noise():
  # All gradients equal: the grown position is the candidate of lowest grow
  # priority. Weights 1e-30 apart are never reordered by the tie-break.
  mask = np.asarray([1, 1, 0, 0, 0, 0, 0, 0], bool)
  w = np.asarray([2e-30, 1e-30, 0, 0, 0, 0, 0, 0], np.float32)
  masks, params, grads = _hand_layer(mask, w, np.ones(8))
  grown_at = set()
  for seed in range(6):
    key = jax.random.key(seed)
    m, _, _ = _update(key, jnp.int32(500), masks, params, grads,
                      {"kernel": jnp.full((2, 4), 2.0)}, _cfg("rigl", **_LINEAR))
    m = np.asarray(m["kernel"]).ravel()
    (_, grow_prio), = _priorities(key, 500, ((2, 4),))
    grow_prio = np.asarray(grow_prio).ravel()
    candidates = [i for i in range(8) if i != 0]   # 1 (the smallest) was dropped
    first = min(candidates, key=lambda i: grow_prio[i])
    assert sorted(np.flatnonzero(m).tolist()) == sorted({0, first})
    grown_at.add(first)
  assert len(grown_at) > 1   # the key, not the position, decides ties


def test_tie_break_priorities():
  key = jax.random.key(0)
  shapes = ((3, 5), (2, 2), (4, 1))
  out = dst.tie_break_priorities(key, jnp.int32(7), shapes)
  assert len(out) == 3
  for (dp, gp), shape in zip(out, shapes):
    assert dp.shape == gp.shape == shape
    assert dp.dtype == gp.dtype == jnp.uint32
    assert len(np.unique(np.concatenate([np.ravel(dp), np.ravel(gp)]))) == 2 * dp.size
  again = _priorities(key, 7, shapes)
  _assert_trees_equal(out, again)
  other_step = _priorities(key, 8, shapes)
  other_key = _priorities(jax.random.key(1), 7, shapes)
  assert not np.array_equal(out[0][0], other_step[0][0])
  assert not np.array_equal(out[0][0], other_key[0][0])
  # A raw uint32 key works too.
  assert len(dst.tie_break_priorities(jax.random.PRNGKey(0), 7, shapes)) == 3
  assert dst.tie_break_priorities(key, 7, []) == []


# ----------------------------------------------------------------------------
# Invariants under hypothesis. The state holds an SGD-momentum and an Adam state
# (both built with optax, filled with non-zero random values). One architecture
# with varied layer shapes and one compile per config keeps this fast; the
# per-layer densities (0 to 1) vary the active shapes.

_HYP_ARCH = [(1, 5), (5, 1), (3, 4), (4, 2)]   # row, column, wide, tall
_OPT = optax.chain(optax.sgd(0.1, momentum=0.9), optax.adam(1e-3))
_CFGS = {name: _cfg(alg, drop_fraction=1.0, set_drop_rule=rule)
         for name, alg, rule in [("rigl", "rigl", "magnitude"),
                                 ("set_magnitude", "set", "magnitude"),
                                 ("set_sign", "set", "sign")]}


def _check_invariants(masks, params, grads, opt_state, out, cfg, f):
  new_m, new_p, new_s = out
  old_states = _params_shaped_states(opt_state, params)
  new_states = _params_shaped_states(new_s, params)
  assert len(old_states) == len(new_states) == 3   # trace, mu, nu
  for name in masks:
    old, new = np.asarray(masks[name]["kernel"]), np.asarray(new_m[name]["kernel"])
    w_old, w_new = np.asarray(params[name]["kernel"]), np.asarray(new_p[name]["kernel"])
    assert new.dtype == bool and w_new.dtype == np.float32
    assert new.sum() == old.sum()                              # count constant
    grown, dropped, stays = new & ~old, old & ~new, new & old
    k_max = math.floor(f * old.sum() + 1e-6)
    assert grown.sum() == dropped.sum() <= k_max
    assert np.all(w_new[~new] == 0)                            # masked weights zero
    assert np.all(w_new[grown] == 0)                           # grown start at zero
    np.testing.assert_array_equal(w_new[stays], w_old[stays])  # kept unchanged
    for s_old, s_new in zip(old_states, new_states):
      so, sn = np.asarray(s_old[name]["kernel"]), np.asarray(s_new[name]["kernel"])
      assert np.all(sn[~new] == 0)                 # dropped and inactive: state 0
      assert np.all(sn[grown] == 0)
      np.testing.assert_array_equal(sn[stays], so[stays])
      np.testing.assert_array_equal(s_new[name]["bias"], s_old[name]["bias"])
    if cfg.algorithm == "rigl" and grown.any() and (~new).any():
      g = np.abs(np.asarray(grads[name]["kernel"]))
      assert g[grown].min() >= g[~new].max()                   # grew largest |grad|
    if cfg.set_drop_rule == "magnitude" and dropped.any():
      # Every active weight smaller than a dropped one was dropped too.
      assert (np.abs(w_old[old]) < np.abs(w_old[dropped]).max()).sum() <= k_max
    np.testing.assert_array_equal(new_m[name]["bias"], masks[name]["bias"])
    np.testing.assert_array_equal(new_p[name]["bias"], params[name]["bias"])
  scalars = lambda s: [int(x) for x in jax.tree.leaves(s) if np.ndim(x) == 0]
  assert scalars(new_s) == scalars(opt_state)                  # Adam's count


# Randomized, database-free examples; the run's seed is printed in pytest's
# header (tests/conftest.py, profile "psn").
@hypothesis.settings(max_examples=40)
@hypothesis.given(
    densities=st.lists(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.9, 1.0]),
                       min_size=4, max_size=4),
    step=st.integers(0, 1000),
    cfg_name=st.sampled_from(sorted(_CFGS)),
    quantised=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_invariants(densities, step, cfg_name, quantised, seed):
  # Cosine schedule with alpha = 1: the traced step sweeps f over [0, 1].
  rng = np.random.default_rng(seed)
  cfg = _CFGS[cfg_name]
  values = [-0.5, 0.0, 0.5, 1.0] if quantised else None   # ties and exact zeros
  masks, params, grads = _net(rng, _HYP_ARCH, densities, values, values)
  opt_state = _filled_state(_OPT, params, rng)
  out = _update(jax.random.key(seed), jnp.int32(step), masks, params, grads,
                opt_state, cfg)
  f = float(dst.drop_fraction_fn(cfg)(step))
  _check_invariants(masks, params, grads, opt_state, out, cfg, f)


@pytest.mark.parametrize("cfg_name", sorted(_CFGS))
def test_dense_layers_unchanged(cfg_name):
  rng = np.random.default_rng(0)
  masks, params, grads = _net(rng, _HYP_ARCH, [1.0] * 4)
  state = _filled_state(_OPT, params, rng)
  out = _update(jax.random.key(1), jnp.int32(0), masks, params, grads, state,
                _CFGS[cfg_name])   # f(0) = 1: every weight dropped and regrown
  _assert_trees_equal(out, (masks, params, state))


def test_none_is_identity():
  rng = np.random.default_rng(0)
  masks, params, grads = _net(rng, [(4, 5)], [0.5])
  out = dst.update(jax.random.key(0), 100, masks, params, grads, (), dst.DSTConfig())
  assert out[0] is masks and out[1] is params and out[2] == ()


# ----------------------------------------------------------------------------
# Schedules and update steps.


def test_cosine_schedule():
  fn = dst.drop_fraction_fn(_cfg(drop_fraction=0.3, t_end=1000))
  np.testing.assert_allclose(fn(0), 0.3, rtol=1e-6)
  np.testing.assert_allclose(fn(500), 0.15, rtol=1e-6)
  np.testing.assert_allclose(fn(250), 0.15 * (1 + math.cos(math.pi / 4)), rtol=1e-6)
  assert float(fn(1000)) == pytest.approx(0.0, abs=1e-7)
  assert float(fn(1001)) == 0.0 and float(fn(-1)) == 0.0
  late = dst.drop_fraction_fn(_cfg(drop_fraction=0.3, t_start=200, t_end=1000))
  assert float(late(100)) == 0.0   # outside the window
  np.testing.assert_allclose(late(200), 0.3, rtol=1e-6)   # decays from t_start
  assert fn(jnp.int32(3)).dtype == jnp.float32


def test_constant_and_linear_schedules():
  const = dst.drop_fraction_fn(_cfg(drop_fraction=0.3, drop_schedule="constant",
                                    t_start=100, t_end=800))
  assert [float(const(t)) for t in (99, 100, 500, 800, 801)] == pytest.approx(
      [0.0, 0.3, 0.3, 0.3, 0.0])
  lin = dst.drop_fraction_fn(_cfg(drop_fraction=0.4, drop_schedule="linear",
                                  t_end=800))
  assert [float(lin(t)) for t in (0, 200, 400, 800, 900)] == pytest.approx(
      [0.4, 0.3, 0.2, 0.0, 0.0], abs=1e-7)


def test_lr_scaled_schedule():
  lr = optax.piecewise_constant_schedule(0.2, {300: 0.5, 600: 0.1})
  cfg = _cfg(drop_fraction=0.3, drop_schedule="lr_scaled", t_end=800)
  fn = dst.drop_fraction_fn(cfg, lr)
  assert [float(fn(t)) for t in (0, 299, 301, 601, 801)] == pytest.approx(
      [0.3, 0.3, 0.15, 0.015, 0.0], rel=1e-6)
  assert float(jax.jit(fn)(jnp.int32(450))) == pytest.approx(0.15, rel=1e-6)
  assert float(dst.drop_fraction_fn(cfg, 0.1)(10)) == pytest.approx(0.3)
  rising = dst.drop_fraction_fn(cfg, lambda t: 0.1 + 0.9 * (t >= 100))
  assert float(rising(200)) == 1.0   # 0.3 * 10, clipped to 1
  with pytest.raises(ValueError, match="^lr_schedule"):
    dst.drop_fraction_fn(cfg)
  with pytest.raises(ValueError, match="^lr_schedule"):
    dst.drop_fraction_fn(cfg, optax.linear_schedule(0.0, 0.1, 100))


def test_is_update_step():
  cfg = _cfg(delta_t=100, t_start=0, t_end=750)
  got = [bool(dst.is_update_step(t, cfg)) for t in (0, 1, 100, 150, 700, 750, 800)]
  assert got == [False, False, True, False, True, False, False]
  late = dataclasses.replace(cfg, t_start=250, t_end=800)
  got = [bool(dst.is_update_step(t, late)) for t in (200, 250, 300, 800, 900)]
  assert got == [False, False, True, True, False]
  assert not bool(dst.is_update_step(100, dst.DSTConfig()))
  assert bool(jax.jit(lambda t: dst.is_update_step(t, cfg))(jnp.int32(200)))


@pytest.mark.parametrize("field,value", [
    ("algorithm", "snip"), ("drop_schedule", "exp"), ("set_drop_rule", "random"),
    ("delta_t", 0), ("t_start", -1), ("t_end", -5), ("drop_fraction", 1.5),
    ("drop_fraction", -0.1), ("drop_fraction", 0.0),
    ("skip_optimizer_step", 1)])
def test_validate_rejects(field, value):
  # A DSTConfig is checked when it is made (and by dataclasses.replace).
  with pytest.raises(ValueError, match=f"^{field} "):
    dataclasses.replace(_cfg(), **{field: value})


def test_validate_t_end_must_be_set_for_dst():
  with pytest.raises(ValueError, match="^t_end "):
    dst.DSTConfig(algorithm="rigl").validate()
  with pytest.raises(ValueError, match="^t_end "):
    dst.update(jax.random.key(0), 0, {}, {}, {}, (), dst.DSTConfig(algorithm="set"))
  dst.DSTConfig().validate()
  _cfg().validate()


# ----------------------------------------------------------------------------
# vmap, jit, engine-style cond.


@functools.partial(jax.jit, static_argnames="cfg")
def _vupdate(keys, step, masks, params, grads, states, cfg):
  one = lambda k, m, p, g, s: dst.update(k, step, m, p, g, s, cfg)
  return jax.vmap(one)(keys, masks, params, grads, states)


def _seeds(n):
  rng = np.random.default_rng(7)
  nets = [_net(rng, _ARCH, [0.4, 0.6, 1.0]) for _ in range(n)]
  states = [_filled_state(_SGD, p, rng) for _, p, _ in nets]
  stack = lambda *xs: jnp.stack(xs)
  keys = jax.random.split(jax.random.key(11), n)
  batched = [jax.tree.map(stack, *[net[i] for net in nets]) for i in range(3)]
  return keys, batched, jax.tree.map(stack, *states), nets, states


@pytest.mark.parametrize("cfg_name", ["rigl", "set_sign"])
def test_vmap_equals_single_calls(cfg_name):
  keys, (masks, params, grads), states, nets, single_states = _seeds(4)
  cfg, step = _REF_CFGS[cfg_name], jnp.int32(200)
  batched = _vupdate(keys, step, masks, params, grads, states, cfg)
  for i in range(4):
    single = _update(keys[i], step, *nets[i], single_states[i], cfg)
    _assert_trees_equal(jax.tree.map(lambda x: x[i], batched), single)
  # The seeds really differ.
  assert not np.array_equal(batched[0]["Dense_0"]["kernel"][0],
                            batched[0]["Dense_0"]["kernel"][1])


def test_jit_traced_step_and_engine_cond():
  keys, (masks, params, grads), states, _, _ = _seeds(4)
  cfg = _REF_CFGS["rigl"]   # delta_t = 100, t_end = 400
  traces = []

  @jax.jit
  def engine_step(step, keys, masks, params, grads, states):
    traces.append(None)

    def one(k, m, p, g, s):
      return jax.lax.cond(dst.is_update_step(step, cfg),
                          lambda: dst.update(k, step, m, p, g, s, cfg),
                          lambda: (m, p, s))

    return jax.vmap(one)(keys, masks, params, grads, states)

  for step in (99, 100, 200):
    out = engine_step(jnp.int32(step), keys, masks, params, grads, states)
    if step == 99:
      _assert_trees_equal(out, (masks, params, states))
    else:
      ref = _vupdate(keys, jnp.int32(step), masks, params, grads, states, cfg)
      _assert_trees_equal(out, ref)
      assert not np.array_equal(out[0]["Dense_0"]["kernel"], masks["Dense_0"]["kernel"])
  assert len(traces) == 1   # one trace for every step


# ----------------------------------------------------------------------------
# Generic optimizer-state reset.


@pytest.mark.parametrize("name,opt,n_reset", [
    ("chain_wd_sgd", optax.chain(optax.add_decayed_weights(1e-4),
                                 optax.sgd(0.1, momentum=0.9)), 1),
    ("adam", optax.adam(1e-3), 2),
    ("adamw", optax.adamw(1e-3, weight_decay=1e-4), 2),
    ("inject_adam", optax.inject_hyperparams(optax.adam)(learning_rate=1e-3), 2),
])
def test_reset_where(name, opt, n_reset):
  rng = np.random.default_rng(0)
  masks, params, _ = _net(rng, [(3, 4), (4, 2)], [0.5, 0.5])
  state = _filled_state(opt, params, rng)
  reset = jax.tree.map(lambda m: jnp.asarray(rng.random(m.shape) < 0.5), masks)
  out = jax.jit(dst.reset_where)(state, reset)
  assert jax.tree.structure(out) == jax.tree.structure(state)
  old_sub = _params_shaped_states(state, params)
  new_sub = _params_shaped_states(out, params)
  assert len(new_sub) == n_reset
  for so, sn in zip(old_sub, new_sub):
    leaves = map(jax.tree.leaves, (reset, so, sn))
    for r, a, b in zip(*leaves):
      r, a, b = map(np.asarray, (r, a, b))
      assert np.all(b[r] == 0)
      np.testing.assert_array_equal(b[~r], a[~r])
  # Everything that is not params-shaped (counts, hyperparameters) is untouched.
  n_param_leaves = len(jax.tree.leaves(params))
  others_old = [x for x in jax.tree.leaves(state) if np.ndim(x) == 0]
  others_new = [x for x in jax.tree.leaves(out) if np.ndim(x) == 0]
  _assert_trees_equal(others_new, others_old)
  assert len(jax.tree.leaves(out)) == len(others_old) + n_reset * n_param_leaves


# ----------------------------------------------------------------------------
# The radix select against a NumPy lexsort.


@functools.partial(jax.jit, static_argnames="n_bits")
def _select_all_k(keys, n_bits):
  """`_smallest_k` for every k in 0..n, vmapped over key sets and over k."""
  n = keys[0].shape[-1]
  def one(ks, k):
    return dst._smallest_k(list(zip(ks, n_bits)), k)
  per_k = jax.vmap(one, in_axes=(None, 0))
  return jax.vmap(per_k, in_axes=(0, None))(keys, jnp.arange(n + 1, dtype=jnp.int32))


@hypothesis.settings(max_examples=25)
@hypothesis.given(
    n_bits=st.sampled_from([(1,), (2,), (0, 2), (1, 31), (2, 31, 32), (1, 31, 32),
                            (32, 3), (32,)]),
    n=st.sampled_from([1, 2, 5, 37, 64]),
    n_distinct=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1))
def test_smallest_k_matches_lexsort(n_bits, n, n_distinct, seed):
  rng = np.random.default_rng(seed)
  batch = 3
  keys = []
  for bits in n_bits:
    # A few distinct values spread over the whole bit range, so ties are common
    # and every bit of the bisection matters (the extremes included).
    pool = np.unique(np.concatenate([
        [0, 2**bits - 1], rng.integers(0, 2**bits, n_distinct, dtype=np.uint64)]))
    pool = pool[rng.permutation(len(pool))[:n_distinct]]
    keys.append(pool[rng.integers(0, len(pool), (batch, n))].astype(np.uint32))
  got = np.asarray(_select_all_k(tuple(jnp.asarray(x) for x in keys), n_bits))
  assert got.shape == (batch, n + 1, n)
  for b in range(batch):
    # np.lexsort sorts by the last key first: flat index last = least significant.
    order = np.lexsort([np.arange(n)] + [x[b] for x in keys[::-1]])
    for k in range(n + 1):
      want = np.zeros(n, bool)
      want[order[:k]] = True
      np.testing.assert_array_equal(got[b, k], want, err_msg=f"b={b} k={k}")


@pytest.mark.parametrize("values", [
    [0.0, -0.0, 1e-45, -1e-45, 1e-40, 1.0, -1.0, np.inf, -np.inf, np.nan, -np.nan,
     3.0, 2.0, 0.5, -0.5, np.float32(np.finfo(np.float32).max)],
])
def test_float_keys_order_like_sort(values):
  x = np.asarray(values, np.float32)
  asc = np.asarray(jax.jit(dst._ascending_key)(x)).astype(np.int64)
  desc = np.asarray(jax.jit(dst._descending_key)(x)).astype(np.int64)
  assert asc.max() < 2**31 and desc.max() < 2**31
  a = np.abs(x.astype(np.float64))
  for i in range(len(x)):
    for j in range(len(x)):
      if np.isnan(a[i]) or np.isnan(a[j]):
        # NaNs tie with each other and come after everything else, both ways.
        both = np.isnan(a[i]) and np.isnan(a[j])
        assert (asc[i] == asc[j]) == both and (desc[i] == desc[j]) == both
        assert (asc[i] > asc[j]) == (desc[i] > desc[j]) == (np.isnan(a[i]) and not both)
      else:
        cmp = int(a[i] > a[j]) - int(a[i] < a[j])
        assert int(asc[i] > asc[j]) - int(asc[i] < asc[j]) == cmp
        assert int(desc[i] > desc[j]) - int(desc[i] < desc[j]) == -cmp


# ----------------------------------------------------------------------------
# Cosine drop schedule with t_start > 0 (issue 8 item 6): it decays over the
# update window, alpha / 2 * (1 + cos(pi * (t - t_start) / (t_end - t_start))).
# Hand table, t_start = 200, t_end = 1000 (span 800), alpha = 0.4:
#   t = 200: cos 0 = 1             -> 0.4
#   t = 400: cos(pi / 4) = .70711  -> 0.2 * 1.70711 = 0.341421
#   t = 600: cos(pi / 2) = 0       -> 0.2
#   t = 800: cos(3 pi / 4)         -> 0.2 * 0.29289 = 0.058579
#   t = 1000: cos pi = -1          -> 0
#   t = 199, 1001: outside the window -> 0


def test_cosine_schedule_decays_over_window_hand_table():
  cfg = _cfg(drop_fraction=0.4, t_start=200, t_end=1000)
  fn = jax.jit(dst.drop_fraction_fn(cfg))
  table = {199: 0.0, 200: 0.4, 400: 0.341421, 600: 0.2, 800: 0.058579,
           1000: 0.0, 1001: 0.0}
  got = {t: float(fn(jnp.int32(t))) for t in table}
  assert got == pytest.approx(table, abs=2e-6)
  # t_start = 0 keeps the previous (absolute-step) values bitwise.
  base = dst.drop_fraction_fn(_cfg(drop_fraction=0.3, t_end=1000))
  for t in (0, 250, 500, 999):
    want = np.float32(0.5) * np.float32(0.3) * (
        np.float32(1) + np.cos(np.float32(math.pi) * np.float32(t) / np.float32(1000)))
    np.testing.assert_allclose(float(base(t)), want, rtol=1e-6)
  # t_end == t_start: one-step window, alpha there.
  single = dst.drop_fraction_fn(_cfg(drop_fraction=0.3, t_start=500, t_end=500))
  assert float(single(500)) == pytest.approx(0.3)


# ----------------------------------------------------------------------------
# The faster update (issue 11 item 4) selects exactly what it did.


@pytest.mark.parametrize("key", [jax.random.key(3), jax.random.PRNGKey(4)])
def test_tie_break_priorities_equal_the_full_width_draw(key):
  """Only the counters a layer uses are drawn, with the values of the original
  definition: row r of `bits(fold_in(fold_in(key, step), i), (2, width))`
  truncated to the layer's size."""
  shapes = ((7, 5), (3, 2), (4, 1))
  width = 35
  got = jax.jit(dst.tie_break_priorities, static_argnums=2)(key, jnp.int32(9), shapes)
  step_key = jax.random.fold_in(key, 9)
  for i, shape in enumerate(shapes):
    bits = jax.random.bits(jax.random.fold_in(step_key, i), (2, width), jnp.uint32)
    size = math.prod(shape)
    np.testing.assert_array_equal(np.ravel(got[i][0]), bits[0, :size])
    np.testing.assert_array_equal(np.ravel(got[i][1]), bits[1, :size])


@pytest.mark.parametrize("digit_bits", [2, 3, 4])
def test_smallest_k_any_digit_width_matches_lexsort(digit_bits):
  """Several bits per pass (the accelerator setting) select the same entries:
  every k, keys with many ties, a 0-bit key, a narrow top digit."""
  rng = np.random.default_rng(digit_bits)
  n = 23
  n_bits = (1, 31, 32, 0, 5)
  keys = []
  for bits in n_bits:
    pool = np.array([0, 2**bits - 1, rng.integers(0, 2**bits, dtype=np.uint64)],
                    np.uint64) if bits else np.zeros(1, np.uint64)
    keys.append(pool[rng.integers(0, len(pool), n)].astype(np.uint32))
  select = jax.jit(jax.vmap(
      lambda k: dst._smallest_k([(jnp.asarray(x), b) for x, b in zip(keys, n_bits)],
                                k, digit_bits=digit_bits)))
  got = np.asarray(select(jnp.arange(n + 1, dtype=jnp.int32)))
  order = np.lexsort([np.arange(n)] + keys[::-1])
  for k in range(n + 1):
    want = np.zeros(n, bool)
    want[order[:k]] = True
    np.testing.assert_array_equal(got[k], want, err_msg=f"k={k}")


def test_tie_break_priorities_fallback_draw_is_identical(monkeypatch):
  """Without the threefry primitive (other JAX versions) the full-width draw
  is used: the same priorities."""
  shapes = ((7, 5), (3, 2))
  key = jax.random.key(11)
  fast = dst.tie_break_priorities(key, jnp.int32(5), shapes)
  monkeypatch.setattr(dst.select, "_threefry2x32_p", None)
  slow = dst.tie_break_priorities(key, jnp.int32(5), shapes)
  _assert_trees_equal(fast, slow)


# ----------------------------------------------------------------------------
# One validator for the library and the command line (issue 18).

_BAD_DST = [("algorithm", "snip"), ("delta_t", -1), ("t_start", -1),
            ("t_end_fraction", 0.0), ("t_end_fraction", 1.5),
            ("drop_fraction", 0.0), ("drop_fraction", 1.5),
            ("drop_fraction", float("nan")), ("drop_schedule", "exp"),
            ("set_drop_rule", "random"), ("skip_optimizer_step", 1)]


@pytest.mark.parametrize("field,value", _BAD_DST)
def test_the_library_and_the_config_refuse_the_same_dst_values(field, value):
  from psn_jax import config as config_lib
  c = config_lib.get_config("rigl")
  with c.dst.unlocked(), c.dst.ignore_type():
    c.dst[field] = value
  with pytest.raises(ValueError) as from_config:
    config_lib.validate(c)
  with pytest.raises(ValueError) as from_library:
    dst.DSTConfig.from_config(c, steps_per_epoch=100)
  assert str(from_config.value) == str(from_library.value)
  assert str(from_library.value).startswith(f"dst.{field} must be ")
  if field not in ("delta_t", "t_end_fraction"):  # DSTConfig counts in steps
    with pytest.raises(ValueError) as direct:
      dataclasses.replace(_cfg(), **{field: value})
    assert str(direct.value) == str(from_library.value)[len("dst."):]


def test_drop_fraction_one_is_accepted_everywhere():
  from psn_jax import config as config_lib
  c = config_lib.get_config("rigl")
  c.dst.drop_fraction = 1.0
  config_lib.validate(c)
  assert dst.DSTConfig.from_config(c, 10).drop_fraction == 1.0


def test_from_config_is_the_plan_in_steps():
  from psn_jax import config as config_lib
  c = config_lib.get_config("set")  # delta_t 0: once per epoch
  cfg = dst.DSTConfig.from_config(c, steps_per_epoch=468)
  assert cfg == dst.DSTConfig(
      algorithm="set", delta_t=468, t_start=0, t_end=468 * c.num_epochs,
      drop_fraction=c.dst.drop_fraction, drop_schedule="constant",
      set_drop_rule="sign", skip_optimizer_step=True)


@pytest.mark.parametrize("value", ["0", "1.5"])
def test_the_command_line_refuses_what_the_library_refuses(tmp_path, value):
  import os
  import subprocess
  import sys
  from psn_jax import config as config_lib
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  proc = subprocess.run(
      [sys.executable, "-m", "experiments.train",
       "--config=configs/train.py:rigl", f"--config.dst.drop_fraction={value}",
       f"--workdir={tmp_path / 'w'}", "--noprogress"],
      cwd=root, capture_output=True, text=True, timeout=300)
  assert proc.returncode == 2, proc.stderr
  c = config_lib.get_config("rigl")
  c.dst.drop_fraction = float(value)
  with pytest.raises(ValueError) as err:
    dst.DSTConfig.from_config(c, steps_per_epoch=100)
  assert proc.stderr.strip() == f"error: {err.value}"
