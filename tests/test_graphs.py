"""Tests for psn_jax.graphs: exact degrees, determinism, refusals, hand cases."""

from __future__ import annotations

import collections
import itertools
import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from psn_jax import graphs

SETTINGS = settings(max_examples=40, deadline=None)  # randomized: tests/conftest.py
seeds = st.integers(0, 2**31 - 1)


def raw_keys(n: int, seed: int = 0) -> np.ndarray:
  """`n` raw uint32 keys (rows), split from one JAX key, for many cheap draws."""
  return np.asarray(jax.random.key_data(jax.random.split(jax.random.key(seed), n)))


def assert_biregular(mask: np.ndarray, n_in: int, n_out: int, d_out: int) -> None:
  d_in = n_in * d_out // n_out
  assert mask.dtype == np.bool_
  assert mask.shape == (n_in, n_out)
  np.testing.assert_array_equal(mask.sum(axis=1), np.full(n_in, d_out))
  np.testing.assert_array_equal(mask.sum(axis=0), np.full(n_out, d_in))


@st.composite
def biregular_shapes(draw):
  """(n_in, n_out, d_out) with integer d_in = n_in d_out / n_out, n_in <= 40."""
  n_out = draw(st.integers(1, 30))
  d_out = draw(st.integers(1, n_out))
  step = n_out // math.gcd(n_out, d_out)
  n_in = step * draw(st.integers(1, max(1, 40 // step)))
  return n_in, n_out, d_out


@st.composite
def clash_free_shapes(draw):
  """(n_in, n_out, d_out, z) with z | n_in and d_in | n_in."""
  z = draw(st.integers(1, 8))
  n_in = z * draw(st.integers(1, 8))
  d_in = draw(st.sampled_from([d for d in range(1, n_in + 1) if n_in % d == 0]))
  d_out = draw(st.integers(1, 6))
  return n_in, (n_in // d_in) * d_out, d_out, z


# --------------------------------------------------------------- Erdos-Renyi


@SETTINGS
@given(
  st.integers(1, 50), st.integers(1, 50), st.floats(0.01, 1.0), seeds
)
def test_erdos_renyi_exact_count(n_in, n_out, density, seed):
  expected = round(density * n_in * n_out)
  if expected < 1:
    with pytest.raises(ValueError, match="at least 1"):
      graphs.erdos_renyi(jax.random.key(seed), n_in, n_out, density=density)
    return
  mask = graphs.erdos_renyi(jax.random.key(seed), n_in, n_out, density=density)
  assert mask.dtype == np.bool_ and mask.shape == (n_in, n_out)
  assert mask.sum() == expected


@pytest.mark.parametrize(
  "n_in, n_out, epsilon, expected",
  [
    (784, 1000, 20, 35680),  # round(20 * 1784 / 784000 * 784000)
    (3072, 4000, 20, 141440),  # 20 * 7072
    (1000, 1000, 20, 40000),
    (784, 784, 1, 1568),
    (10, 10, 20, 100),  # 20 * 20 = 400 > 100: q capped at 1, dense
  ],
)
def test_erdos_renyi_set_epsilon(n_in, n_out, epsilon, expected):
  mask = graphs.erdos_renyi(jax.random.key(1), n_in, n_out, epsilon=epsilon)
  assert mask.sum() == expected
  q = min(epsilon * (n_in + n_out) / (n_in * n_out), 1.0)
  assert mask.sum() == round(q * n_in * n_out)


def test_erdos_renyi_positions_uniform():
  n_in, n_out, m = 4, 5, 6
  keys = raw_keys(2000)
  freq = sum(
    graphs.erdos_renyi(k, n_in, n_out, density=m / 20).astype(int) for k in keys
  )
  assert freq.sum() == 2000 * m
  assert stats.chisquare(freq.ravel()).pvalue > 1e-3


@pytest.mark.parametrize(
  "kwargs, match",
  [
    (dict(), "exactly one of density, epsilon"),
    (dict(density=0.1, epsilon=2.0), "exactly one of density, epsilon"),
    (dict(density=0.0), "density must be"),
    (dict(density=1.5), "density must be"),
    (dict(density=float("nan")), "density must be"),
    (dict(epsilon=-1.0), "epsilon must be"),
    (dict(epsilon=float("inf")), "epsilon must be"),
    (dict(density=0.001), "at least 1"),
  ],
)
def test_erdos_renyi_refuses(kwargs, match):
  with pytest.raises(ValueError, match=match):
    graphs.erdos_renyi(jax.random.key(0), 10, 20, **kwargs)


@pytest.mark.parametrize("n_in, n_out", [(0, 3), (3, -1), (2.5, 3), (True, 3)])
def test_bad_sizes_refused(n_in, n_out):
  with pytest.raises(ValueError, match="must be a positive integer"):
    graphs.erdos_renyi(jax.random.key(0), n_in, n_out, density=0.5)


# ------------------------------------------------------------ biregular makers


@SETTINGS
@given(biregular_shapes(), seeds)
def test_random_biregular_exact_degrees(shape, seed):
  n_in, n_out, d_out = shape
  key = jax.random.key(seed)
  assert_biregular(graphs.random_biregular(key, n_in, n_out, d_out=d_out), *shape)
  assert_biregular(
    graphs.random_biregular(key, n_in, n_out, d_out=d_out, swaps=200), *shape
  )
  d = min(d_out, n_out - d_out)
  if d == 0 or (d - 1) * (n_in * d // n_out - 1) <= 16:
    assert_biregular(
      graphs.random_biregular(key, n_in, n_out, d_out=d_out, method="rejection"), *shape
    )


@SETTINGS
@given(biregular_shapes(), seeds)
def test_dey_basic_exact_degrees(shape, seed):
  n_in, n_out, d_out = shape
  mask = graphs.dey_basic(jax.random.key(seed), n_in, n_out, d_out=d_out)
  assert_biregular(mask, *shape)


def test_dey_basic_tight_cases_never_stuck():
  # d_out close to n_out forces many leftovers in the last rows.
  for n_in, n_out, d_out in [(3, 6, 4), (6, 6, 5), (5, 10, 8), (12, 4, 3)]:
    for key in raw_keys(100):
      mask = graphs.dey_basic(key, n_in, n_out, d_out=d_out)
      assert_biregular(mask, n_in, n_out, d_out)


def test_large_biregular_layers():
  for maker in (graphs.random_biregular, graphs.dey_basic):
    mask = maker(jax.random.key(3), 800, 1000, d_out=100)
    assert_biregular(mask, 800, 1000, 100)
  mask = graphs.random_biregular(jax.random.key(3), 800, 1000, d_out=700)
  assert_biregular(mask, 800, 1000, 700)  # complement path


def _all_2_regular_4x4() -> set[bytes]:
  """Every 4x4 bool matrix with all row and column sums 2, by brute force."""
  cols = [c for c in itertools.product([0, 1], repeat=4) if sum(c) == 2]
  out = set()
  for chosen in itertools.product(cols, repeat=4):
    m = np.array(chosen, dtype=bool).T
    if np.all(m.sum(axis=1) == 2):
      out.add(m.tobytes())
  return out


@pytest.mark.parametrize("method, swaps", [("rejection", 0), ("switch", 40)])
def test_random_biregular_uniform_on_small_case(method, swaps):
  universe = _all_2_regular_4x4()
  assert len(universe) == 90  # number of 2-regular bipartite graphs on 4 + 4 labelled
  counts = collections.Counter(
    graphs.random_biregular(k, 4, 4, d_out=2, method=method, swaps=swaps).tobytes()
    for k in raw_keys(2700)
  )
  assert set(counts) == universe
  observed = np.array([counts[g] for g in sorted(universe)])
  assert stats.chisquare(observed).pvalue > 1e-3


@pytest.mark.parametrize(
  "maker", [graphs.random_biregular, graphs.dey_basic, graphs.dey_clash_free]
)
def test_non_integer_fan_in_refused(maker):
  kw = dict(z=4) if maker is graphs.dey_clash_free else {}
  match = "d_in = n_in \\* d_out / n_out must be an integer"
  with pytest.raises(ValueError, match=match):
    maker(jax.random.key(0), 784, 1000, d_out=100, **kw)


@pytest.mark.parametrize("d_out", [0, 11, 2.0, None])
def test_bad_d_out_refused(d_out):
  with pytest.raises(ValueError, match="d_out must be an integer in \\[1, 10\\]"):
    graphs.dey_basic(jax.random.key(0), 10, 10, d_out=d_out)


def test_random_biregular_refuses_bad_options():
  key = jax.random.key(0)
  with pytest.raises(ValueError, match="method must be one of"):
    graphs.random_biregular(key, 10, 10, d_out=2, method="havel")
  with pytest.raises(ValueError, match="swaps must be a non-negative integer"):
    graphs.random_biregular(key, 10, 10, d_out=2, swaps=-1)
  with pytest.raises(ValueError, match="method='rejection' needs"):
    graphs.random_biregular(key, 100, 100, d_out=10, method="rejection")


def test_random_biregular_full_density():
  mask = graphs.random_biregular(jax.random.key(0), 6, 4, d_out=4)
  assert mask.all()


# ------------------------------------------------------------ Dey clash-free


@SETTINGS
@given(clash_free_shapes(), st.sampled_from([1, 2, 3]), st.booleans(), seeds)
def test_dey_clash_free_degrees_and_clash_freedom(shape, address_type, dither, seed):
  n_in, n_out, d_out, z = shape
  mask, pi = graphs.dey_clash_free(
    jax.random.key(seed), n_in, n_out, d_out=d_out, z=z,
    address_type=address_type, dither=dither, return_interleaver=True,
  )
  assert_biregular(mask, n_in, n_out, d_out)
  np.testing.assert_array_equal(np.sort(pi), np.arange(n_in * d_out))
  assert graphs.is_clash_free(pi, z, n_in)
  cycles = graphs.clash_free_cycles(pi, z, n_in)
  assert cycles.shape == (n_in * d_out // z, z)
  identity = np.broadcast_to(np.arange(z), cycles.shape)
  np.testing.assert_array_equal(np.sort(cycles, axis=1), identity)
  if not dither:  # bank of slot m is m
    np.testing.assert_array_equal(cycles, identity)
  # Mask rebuilt independently from the interleaver (note section 2.2, step 5).
  d_in = n_in * d_out // n_out
  rebuilt = np.zeros((n_in, n_out), dtype=int)
  for i, entry in enumerate(pi):
    rebuilt[entry // d_out, i // d_in] += 1
  np.testing.assert_array_equal(rebuilt, mask.astype(int))


@pytest.mark.parametrize("address_type", [1, 2, 3])
@pytest.mark.parametrize("dither", [False, True])
def test_dey_clash_free_every_pattern(address_type, dither):
  # MNIST-like hardware junctions (note section 2.2): 1024-64 d_out 8, z 512 / 32.
  shapes = [(1024, 64, 8, 512), (64, 16, 8, 32), (800, 100, 50, 200)]
  for n_in, n_out, d_out, z in shapes:
    mask, pi = graphs.dey_clash_free(
      jax.random.key(7), n_in, n_out, d_out=d_out, z=z,
      address_type=address_type, dither=dither, return_interleaver=True,
    )
    assert_biregular(mask, n_in, n_out, d_out)
    assert graphs.is_clash_free(pi, z, n_in)


def test_address_type_structure():
  n_in, d_out, z = 12, 3, 3
  depth = n_in // z
  key = jax.random.key(11)
  for address_type in (2, 3):
    pi = graphs.clash_free_interleaver(key, n_in, d_out, z, address_type=address_type)
    inputs = (pi // d_out).reshape(d_out, depth, z)  # sweep, cycle, slot
    t = inputs // z
    np.testing.assert_array_equal((t[:, 1:] - t[:, :-1]) % depth, 1)  # runs a_m + r
    np.testing.assert_array_equal(pi % d_out, np.repeat(np.arange(d_out), n_in))
  # Type 3 without dither matches the Verilog formula (note, step 7):
  # pi[i] = (t[i mod p] z + (i mod z)) d_out + floor(i / p).
  i = np.arange(n_in * d_out)
  np.testing.assert_array_equal((pi // d_out) % z, i % z)
  np.testing.assert_array_equal(pi // d_out, np.tile((pi // d_out)[:n_in], d_out))
  np.testing.assert_array_equal(pi % d_out, i // n_in)


@pytest.mark.parametrize(
  "address_type, d_out, expected",
  [(1, 1, 36), (2, 1, 9), (2, 2, 81), (3, 2, 9)],
)
def test_interleaver_counts_match_note(address_type, d_out, expected):
  # Without dither: type 1 ((D!)^z)^d_out, type 2 (D^z)^d_out, type 3 D^z; p=6, z=2.
  seen = {
    graphs.clash_free_interleaver(k, 6, d_out, 2, address_type=address_type).tobytes()
    for k in raw_keys(1500)
  }
  assert len(seen) == expected


def test_dither_permutes_banks_per_sweep():
  pi = graphs.clash_free_interleaver(jax.random.key(2), 64, 6, 8, dither=True)
  cycles = graphs.clash_free_cycles(pi, 8, 64).reshape(6, 8, 8)  # sweep, cycle, slot
  assert np.all(cycles == cycles[:, :1])  # fixed within a sweep
  assert len({c.tobytes() for c in cycles[:, 0]}) > 1  # redrawn per sweep
  pi3 = graphs.clash_free_interleaver(
    jax.random.key(2), 64, 6, 8, address_type=3, dither=True
  )
  cycles3 = graphs.clash_free_cycles(pi3, 8, 64).reshape(6, 8, 8)
  assert np.all(cycles3 == cycles3[:1, :1])  # type 3: one bank permutation


def test_is_clash_free_detects_a_clash():
  assert graphs.is_clash_free(np.array([0, 1, 2, 3]), 2, 4)
  assert not graphs.is_clash_free(np.array([0, 2, 1, 3]), 2, 4)  # banks (0, 0), (1, 1)


@pytest.mark.parametrize(
  "n_in, n_out, kw, match",
  [
    (8, 4, dict(d_out=3, z=4), "d_in = n_in \\* d_out / n_out = 6 must divide n_in"),
    (12, 8, dict(d_out=6, z=4), "must divide n_in"),  # d_in = 9
    (12, 6, dict(d_out=3, z=5), "z must divide n_in"),
    (12, 6, dict(d_out=3, z=0), "z must be an integer in \\[1, 12\\]"),
    (12, 6, dict(d_out=3, z=24), "z must be an integer in \\[1, 12\\]"),
    (12, 6, dict(d_out=3, z=4, address_type=4), "address_type must be one of"),
    (12, 6, dict(d_out=3, z=4, dither="yes"), "dither must be True or False"),
    (10, 7, dict(d_out=3, z=5), "must be an integer"),
  ],
)
def test_dey_clash_free_refuses(n_in, n_out, kw, match):
  with pytest.raises(ValueError, match=match):
    graphs.dey_clash_free(jax.random.key(0), n_in, n_out, **kw)


def test_straddling_outputs_repeat_edges_and_are_caught():
  # The note's caveat: p=8, d_out=3, n=4, z=4 (d_in=6 does not divide 8).
  errors = 0
  for k in raw_keys(30):
    pi = graphs.clash_free_interleaver(k, 8, 3, 4)
    try:
      mask = graphs.interleaver_mask(pi, 8, 4)
    except ValueError as e:
      assert "repeats" in str(e)
      errors += 1
    else:
      assert_biregular(mask, 8, 4, 3)
  assert errors >= 15  # about 93% of draws


# ------------------------------------------------------------------ circulant


def test_circulant_contiguous_hand_cases():
  key = jax.random.key(0)
  np.testing.assert_array_equal(
    graphs.circulant(key, 4, 2, degree=2, generators="contiguous"),
    np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=bool),
  )
  # offsets floor(j * 3 / 4) = 0, 0, 1, 2; S = {0, 1}.
  np.testing.assert_array_equal(
    graphs.circulant(key, 3, 4, degree=2, generators="contiguous"),
    np.array([[1, 1, 0, 1], [1, 1, 1, 0], [0, 0, 1, 1]], dtype=bool),
  )
  # Square: output j <- inputs j, j+1, j+2 mod 5 (d = round(0.6 * 5) = 3).
  expected = np.zeros((5, 5), dtype=bool)
  for j in range(5):
    expected[[(j + s) % 5 for s in range(3)], j] = True
  np.testing.assert_array_equal(
    graphs.circulant(key, 5, 5, density=0.6, generators="contiguous"), expected
  )


@SETTINGS
@given(
  st.integers(1, 40),
  st.integers(1, 40),
  st.data(),
  st.sampled_from(["random", "contiguous"]),
  seeds,
)
def test_circulant_degrees(n_in, n_out, data, gen, seed):
  d = data.draw(st.integers(1, n_in))
  mask = graphs.circulant(jax.random.key(seed), n_in, n_out, degree=d, generators=gen)
  assert mask.dtype == np.bool_ and mask.shape == (n_in, n_out)
  np.testing.assert_array_equal(mask.sum(axis=0), np.full(n_out, d))
  out_deg = mask.sum(axis=1)
  assert out_deg.sum() == d * n_out
  if n_out % n_in == 0:
    np.testing.assert_array_equal(out_deg, d * n_out // n_in)
  if gen == "contiguous":
    assert set(out_deg) <= {(d * n_out) // n_in, -(-(d * n_out) // n_in)}
  else:
    assert out_deg.min() >= d * (n_out // n_in)
    assert out_deg.max() <= d * -(-n_out // n_in)


def test_circulant_random_generators_depend_on_key():
  a = graphs.circulant(jax.random.key(0), 50, 60, degree=5)
  b = graphs.circulant(jax.random.key(1), 50, 60, degree=5)
  assert not np.array_equal(a, b)
  c = graphs.circulant(jax.random.key(0), 50, 60, degree=5, generators="contiguous")
  d = graphs.circulant(jax.random.key(1), 50, 60, degree=5, generators="contiguous")
  np.testing.assert_array_equal(c, d)


@pytest.mark.parametrize(
  "kw, match",
  [
    (dict(), "exactly one of density, degree"),
    (dict(density=0.5, degree=2), "exactly one of density, degree"),
    (dict(degree=0), "degree must be an integer in \\[1, 10\\]"),
    (dict(degree=11), "degree must be an integer in \\[1, 10\\]"),
    (dict(density=0.01), "at least 1"),
    (dict(density=2.0), "density must be"),
    (dict(degree=2, generators="lps"), "generators must be one of"),
  ],
)
def test_circulant_refuses(kw, match):
  with pytest.raises(ValueError, match=match):
    graphs.circulant(jax.random.key(0), 10, 7, **kw)


# ------------------------------------------------------------- all makers

CASES = [
  ("erdos_renyi", dict(density=0.1)),
  ("erdos_renyi", dict(epsilon=5)),
  ("random_biregular", dict(d_out=6)),
  ("random_biregular", dict(d_out=6, swaps=500)),
  ("dey_basic", dict(d_out=6)),
  ("dey_clash_free", dict(d_out=6, z=8)),
  ("dey_clash_free", dict(d_out=6, z=8, address_type=2, dither=True)),
  ("dey_clash_free", dict(d_out=6, z=8, address_type=3)),
  ("circulant", dict(degree=4)),
]


@pytest.mark.parametrize("name, kw", CASES)
def test_deterministic_and_key_dependent(name, kw):
  n_in, n_out = 40, 60  # d_in = 4 divides 40
  maker = getattr(graphs, name)
  a = maker(jax.random.key(5), n_in, n_out, **kw)
  b = maker(jax.random.key(5), n_in, n_out, **kw)
  c = maker(jax.random.key(6), n_in, n_out, **kw)
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)
  # Raw uint32 keys (jax.random.PRNGKey) give the same draw as typed keys.
  raw = jax.random.key_data(jax.random.key(5))
  np.testing.assert_array_equal(a, maker(raw, n_in, n_out, **kw))


def test_one_family_per_module_no_dispatcher():
  # The graph makers are re-exported from their family modules; which of them
  # a network uses is the mask-source registry's business, not a second
  # dispatcher's (issue 18).
  import importlib
  for name, module in (("erdos_renyi", "random_graphs"),
                       ("random_biregular", "biregular"),
                       ("dey_basic", "dey"), ("dey_clash_free", "dey"),
                       ("dey_layer", "dey_degrees"),
                       ("circulant", "circulants"),
                       ("block_diagonal", "blocks"),
                       ("perturb", "perturbation")):
    mod = importlib.import_module(f"psn_jax.graphs.{module}")
    assert getattr(graphs, name) is getattr(mod, name)
  for gone in ("make_layer", "TOPOLOGIES", "_MAKERS", "blocked"):
    assert not hasattr(graphs, gone), gone
  assert set(graphs.__all__) <= set(dir(graphs))


# ---------------------------------------------------------- Dey degree rules
# (moved from tests/test_topology_table.py with the rules themselves)


def test_dey_degrees_for_lenet_300_100():
  # 784 -> 300: d_in = 196 d_out / 75 must divide 784, so 25% is the sparsest.
  assert graphs.dey_exact_degrees(784, 300, 0.1) == {
      "p": 784, "pad": 0, "d_out": 75, "d_in": 196, "z": 196}
  assert graphs.dey_padded_degrees(784, 300, 0.1) == {
      "p": 790, "pad": 6, "d_out": 30, "d_in": 79, "z": 79}
  for rule in (graphs.dey_exact_degrees, graphs.dey_padded_degrees):
    assert rule(300, 100, 0.1) == {"p": 300, "pad": 0, "d_out": 10,
                                   "d_in": 30, "z": 30}
    assert rule(100, 10, 0.1) == {"p": 100, "pad": 0, "d_out": 1, "d_in": 10,
                                  "z": 10}


@pytest.mark.parametrize("n_in, n_out", [(64, 32), (32, 10), (784, 300),
                                         (300, 100), (50, 7)])
def test_dey_degrees_are_admissible_and_nearest(n_in, n_out):
  d = graphs.dey_exact_degrees(n_in, n_out, 0.1)
  assert d["d_in"] * n_out == n_in * d["d_out"] and n_in % d["d_in"] == 0
  best = min(abs(k / n_out - 0.1) for k in range(1, n_out + 1)
             if (n_in * k) % n_out == 0 and n_in % (n_in * k // n_out) == 0)
  assert abs(d["d_out"] / n_out - 0.1) == pytest.approx(best)
  p = graphs.dey_padded_degrees(n_in, n_out, 0.1)
  assert p["p"] >= n_in and p["pad"] == p["p"] - n_in
  assert p["d_in"] * n_out == p["p"] * p["d_out"] and p["p"] % p["d_in"] == 0


def test_dey_layer_drops_pad_rows_and_keeps_degrees():
  deg = graphs.dey_padded_degrees(784, 300, 0.1)
  m = graphs.dey_layer(jax.random.key(3), 784, 300, deg)
  assert m.shape == (784, 300) and m.dtype == bool
  np.testing.assert_array_equal(m.sum(axis=1), 30)  # real inputs: d_out
  assert m.sum() == 784 * 30  # exactly 10%
  fan_in = m.sum(axis=0)
  assert fan_in.max() <= 79 and 79 * 300 - fan_in.sum() == 6 * 30


@pytest.mark.parametrize("kind", graphs.DEY_KINDS)
@SETTINGS
@given(n_in=st.integers(1, 60), n_out=st.integers(1, 40), data=st.data())
def test_dey_budget_degrees_reach_exactly_the_feasible_counts(kind, n_in, n_out, data):
  feasible = graphs.dey_feasible_edges(n_in, n_out, kind)
  # By definition: n_in * d_out, with d_out | n_out except for basic.
  want = [n_in * d for d in range(1, n_out + 1) if kind == "basic" or n_out % d == 0]
  np.testing.assert_array_equal(feasible, want)
  edges = data.draw(st.integers(1, n_in * n_out))
  deg = graphs.dey_budget_degrees(n_in, n_out, edges, kind)
  assert (deg is not None) == (edges in set(feasible.tolist()))
  if deg is None:
    return
  p = deg["p"]
  assert p >= n_in and deg["pad"] == p - n_in and deg["z"] == deg["d_in"]
  assert p * deg["d_out"] == n_out * deg["d_in"]
  if kind != "basic":
    assert p % deg["d_in"] == 0
  # p is the smallest padded size that works.
  for q in range(n_in, p):
    ok = (q * deg["d_out"]) % n_out == 0
    if kind != "basic":
      ok = ok and q % (q * deg["d_out"] // n_out) == 0
    assert not ok
  m = graphs.dey_layer(jax.random.key(edges), n_in, n_out, deg, kind)
  assert m.shape == (n_in, n_out) and m.dtype == np.bool_
  assert m.sum() == edges
  np.testing.assert_array_equal(m.sum(axis=1), deg["d_out"])
  assert m.sum(axis=0).max() <= deg["d_in"]
  if deg["pad"] == 0:
    np.testing.assert_array_equal(m.sum(axis=0), deg["d_in"])


def test_dey_budget_degrees_refuses_unknown_kind():
  assert graphs.DEY_KINDS == ("basic", "clash_free")  # Dey's own patterns only
  with pytest.raises(ValueError, match="kind must be one of basic, clash_free, got"):
    graphs.dey_budget_degrees(8, 8, 16, "random")
  with pytest.raises(ValueError, match="kind must be one of"):
    graphs.dey_layer(jax.random.key(0), 8, 8, graphs.dey_budget_degrees(8, 8, 16), "x")


# ------------------------------------------------------------ block diagonal


def test_block_diagonal_hand_case_is_the_notes_block_pattern():
  # Note section 2.3: p = n = 4, d_out = d_in = 2: outputs 0, 1 <- {0, 1};
  # outputs 2, 3 <- {2, 3}.
  m = graphs.block_diagonal(jax.random.key(0), 4, 4, d_out=2)
  want = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]], bool)
  np.testing.assert_array_equal(m, want)


@SETTINGS
@given(k=st.integers(1, 8), d_out=st.integers(1, 5), d_in=st.integers(1, 6))
def test_block_diagonal_windows_are_contiguous_and_biregular(k, d_out, d_in):
  n_in, n_out = k * d_in, k * d_out
  m = graphs.block_diagonal(jax.random.key(1), n_in, n_out, d_out=d_out)
  assert_biregular(m, n_in, n_out, d_out)
  for j in range(n_out):
    rows = np.flatnonzero(m[:, j])
    # One contiguous window, the group's own.
    np.testing.assert_array_equal(rows, np.arange(d_in) + (j // d_out) * d_in)
  np.testing.assert_array_equal(m, graphs.block_diagonal(jax.random.key(2), n_in, n_out, d_out=d_out))


@pytest.mark.parametrize("n_in, n_out, d_out", [(10, 6, 4), (10, 6, 2), (8, 6, 0)])
def test_block_diagonal_refuses(n_in, n_out, d_out):
  with pytest.raises(ValueError, match="d_out"):
    graphs.block_diagonal(jax.random.key(0), n_in, n_out, d_out=d_out)


# ------------------------------------------ near-biregular and exact circulant


@SETTINGS
@given(n_in=st.integers(1, 40), n_out=st.integers(1, 40), data=st.data(), seed=seeds)
def test_near_biregular_exact_count_and_balanced_degrees(n_in, n_out, data, seed):
  m_edges = data.draw(st.integers(1, n_in * n_out))
  mask = graphs.random_biregular(jax.random.key(seed), n_in, n_out, edges=m_edges)
  assert mask.dtype == np.bool_ and mask.sum() == m_edges
  for deg, n in ((mask.sum(axis=1), n_in), (mask.sum(axis=0), n_out)):
    assert set(np.unique(deg).tolist()) <= {m_edges // n, -(-m_edges // n)}
    assert deg.sum() == m_edges
  if m_edges % n_in == 0 and m_edges % n_out == 0:
    assert_biregular(mask, n_in, n_out, m_edges // n_in)


def test_near_biregular_with_divisible_count_is_the_d_out_draw():
  a = graphs.random_biregular(jax.random.key(3), 30, 20, d_out=4)
  b = graphs.random_biregular(jax.random.key(3), 30, 20, edges=120)
  assert_biregular(b, 30, 20, 4)
  np.testing.assert_array_equal(a, b)
  with pytest.raises(ValueError, match="exactly one of d_out, edges"):
    graphs.random_biregular(jax.random.key(3), 30, 20)
  with pytest.raises(ValueError, match="exactly one of d_out, edges"):
    graphs.random_biregular(jax.random.key(3), 30, 20, d_out=4, edges=120)
  with pytest.raises(ValueError, match=r"edges must be an integer in \[1, 600\]"):
    graphs.random_biregular(jax.random.key(3), 30, 20, edges=0)


@SETTINGS
@given(n_in=st.integers(1, 40), n_out=st.integers(1, 40), data=st.data(),
       gen=st.sampled_from(graphs.GENERATORS), seed=seeds)
def test_circulant_exact_count_rule(n_in, n_out, data, gen, seed):
  m_edges = data.draw(st.integers(1, n_in * n_out))
  mask = graphs.circulant(jax.random.key(seed), n_in, n_out, edges=m_edges, generators=gen)
  assert mask.sum() == m_edges
  d, r = divmod(m_edges, n_out)
  offsets = (np.arange(n_out) * n_in) // n_out
  # Un-rolling every column by its offset leaves one base column S, plus one
  # extra generator s* for the r outputs of R.
  unrolled = np.stack([np.roll(mask[:, j], -offsets[j]) for j in range(n_out)], axis=1)
  j = np.arange(n_out)
  in_r = ((j + 1) * r) // n_out > (j * r) // n_out
  assert in_r.sum() == r and (r == n_out or not in_r[0])
  base = unrolled[:, ~in_r]
  if base.shape[1]:
    assert np.all(base == base[:, :1])
    assert base[:, 0].sum() == d
  if r:
    extra = unrolled[:, in_r] & ~unrolled[:, [int(np.argmin(in_r))]] if (~in_r).any() else None
    if extra is not None:
      rows = np.flatnonzero(extra.any(axis=1))
      assert rows.size == 1 and np.all(extra[rows[0]])  # one s*, for all of R
  np.testing.assert_array_equal(mask.sum(axis=0), d + in_r)
  if gen == "contiguous":
    # Banded: column j reads the window o_j .. o_j + fan_in - 1 (mod n_in).
    for jj in range(n_out):
      np.testing.assert_array_equal(
        np.flatnonzero(unrolled[:, jj]), np.arange(d + in_r[jj]))


def test_circulant_edges_multiple_of_n_out_is_the_degree_draw():
  a = graphs.circulant(jax.random.key(4), 30, 12, degree=5)
  b = graphs.circulant(jax.random.key(4), 30, 12, edges=60)
  np.testing.assert_array_equal(a, b)
  with pytest.raises(ValueError, match="exactly one of density, degree, edges"):
    graphs.circulant(jax.random.key(4), 30, 12, degree=5, edges=60)


def test_erdos_renyi_count_is_the_density_draw():
  a = graphs.erdos_renyi(jax.random.key(5), 30, 20, density=0.25)
  b = graphs.erdos_renyi(jax.random.key(5), 30, 20, count=150)
  np.testing.assert_array_equal(a, b)
  assert b.sum() == 150
  with pytest.raises(ValueError, match=r"count must be an integer in \[1, 600\]"):
    graphs.erdos_renyi(jax.random.key(5), 30, 20, count=601)


# ------------------------------------------------------------------- perturb


@SETTINGS
@given(n_in=st.integers(1, 30), n_out=st.integers(1, 30), data=st.data(), seed=seeds)
def test_perturb_keeps_count_and_moves_exactly_the_fraction(n_in, n_out, data, seed):
  rng = np.random.default_rng(seed)
  mask = rng.random((n_in, n_out)) < data.draw(st.floats(0.0, 1.0))
  active, empty = int(mask.sum()), int((~mask).sum())
  fraction = data.draw(st.floats(0.0, 1.0))
  moves = round(fraction * active)
  if moves > empty:
    with pytest.raises(ValueError, match=f"moves {moves} of {active} connections, but "
                       f"the mask has only {empty} empty positions"):
      graphs.perturb(mask, fraction, jax.random.key(seed))
    return
  out = graphs.perturb(mask, fraction, jax.random.key(seed))
  assert out.dtype == np.bool_ and out.shape == mask.shape
  assert out.sum() == active
  assert (out != mask).sum() == 2 * moves
  assert (mask & ~out).sum() == moves and (out & ~mask).sum() == moves
  np.testing.assert_array_equal(out, graphs.perturb(mask, fraction, jax.random.key(seed)))


def test_perturb_moves_are_uniform():
  # 4 active of 8: moving 1 picks each active (and each empty) position with
  # probability 1/4; chi-square over 4000 draws.
  mask = np.array([[1, 1, 1, 1, 0, 0, 0, 0]], bool)
  keys = jax.random.split(jax.random.key(0), 4000)
  off = np.zeros(8)
  on = np.zeros(8)
  for k in keys:
    out = graphs.perturb(mask, 0.25, k)
    off += mask[0] & ~out[0]
    on += out[0] & ~mask[0]
  assert stats.chisquare(off[:4]).pvalue > 1e-3
  assert stats.chisquare(on[4:]).pvalue > 1e-3
  assert off[4:].sum() == 0 and on[:4].sum() == 0


@pytest.mark.parametrize("mask, fraction, match", [
  (np.ones((3, 3), np.int32), 0.1, "mask must be a 2-D bool array, got dtype int32"),
  (np.ones(4, bool), 0.1, r"mask must be a 2-D bool array, got dtype bool shape \(4,\)"),
  (np.eye(3, dtype=bool), 1.5, r"fraction must be a real number in \[0, 1\], got 1.5"),
  (np.eye(3, dtype=bool), -0.1, r"fraction must be a real number in \[0, 1\]"),
  (np.eye(3, dtype=bool), float("nan"), r"fraction must be a real number in \[0, 1\]"),
  (np.eye(3, dtype=bool), True, r"fraction must be a real number in \[0, 1\]"),
  (np.eye(3, dtype=bool), "0.1", r"fraction must be a real number in \[0, 1\]"),
  (np.ones((2, 2), bool) | np.eye(2, dtype=bool), 0.5,
   "moves 2 of 4 connections, but the mask has only 0 empty positions"),
])
def test_perturb_refuses(mask, fraction, match):
  with pytest.raises(ValueError, match=match):
    graphs.perturb(mask, fraction, jax.random.key(0))
