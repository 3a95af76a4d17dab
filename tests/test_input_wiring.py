"""Input wiring of every mask source (issue 13): which inputs each neuron reads.

Sources whose inputs are meant to be random (the PSN profiles, `random`,
`erdos_renyi`, `random_biregular`, `dey_basic`) must give each neuron a
uniformly random input subset, independently across neurons; the structured
ones (circulants, Dey's clash-free pattern, block-diagonal windows) follow their
rule. Checked by mutation: making every neuron of a layer take the same
top-ranked inputs in `make_masks` fails `test_inputs_are_used_uniformly` and
`test_neurons_choose_inputs_independently` (see the report of issue 13).

All draws use fixed seeds, so every test is deterministic; the significance
level of the chi-square tests is 1e-3.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from psn_jax import graphs, masks

# Which sources draw random inputs is a field of the registry, so a source
# added there is tested here without a change to this file.
RANDOM_INPUTS = tuple(n for n, s in masks.SOURCES.items() if s.random_inputs)
STRUCTURED = tuple(n for n, s in masks.SOURCES.items() if not s.random_inputs)
# 40 inputs -> 200 outputs at 80% sparsity: k = 1600, exactly biregular
# (out-degree 40, fan-in 8) for the biregular families, no Dey padding.
SHAPE = (40, 200)
SPARSITY = 0.8
SEEDS = 20
ALPHA = 1e-3


def _params(shapes):
  return {f"Dense_{i}": {"kernel": jax.ShapeDtypeStruct(s, jnp.float32),
                         "bias": jax.ShapeDtypeStruct((s[1],), jnp.float32)}
          for i, s in enumerate(shapes)}


@functools.lru_cache(maxsize=None)
def _layers(profile: str) -> np.ndarray:
  """`(SEEDS, n_in, n_out)` layer masks of one source, seeds 0..SEEDS-1."""
  params = _params([SHAPE])
  return np.stack([masks.layer_masks(masks.make_masks(
      jax.random.key(seed), params, sparsity=SPARSITY, profile=profile))[0]
                   for seed in range(SEEDS)])


def test_every_source_is_classified():
  assert set(masks.PSN_PROFILES) | {"random", "erdos_renyi", "random_biregular",
                                    "dey_basic"} <= set(RANDOM_INPUTS)
  assert {"circulant", "circulant_banded", "dey_clash_free",
          "block_diagonal"} <= set(STRUCTURED)


@pytest.mark.parametrize("profile", RANDOM_INPUTS)
def test_inputs_are_used_uniformly(profile):
  # Usage of each input over all neurons and seeds. Under the claim each
  # neuron's input set is a uniform subset, so the expected usage is equal;
  # the count of an input is a sum of independent indicators with variance
  # below the multinomial's, so the chi-square test is conservative (it
  # rejects less than ALPHA). Shared or fixed input choices inflate it.
  m = _layers(profile)
  usage = m.sum(axis=(0, 2))
  assert usage.sum() == SEEDS * m[0].sum()
  p = stats.chisquare(usage).pvalue
  assert p > ALPHA, (profile, p, usage)


@pytest.mark.parametrize("profile", RANDOM_INPUTS)
def test_neurons_choose_inputs_independently(profile):
  # For independent uniform subsets of sizes f_a, f_b of n_in inputs, the
  # expected overlap is f_a f_b / n_in. Summed over all neuron pairs and
  # seeds, the observed overlap must match within 5%. (Exactly biregular
  # layers fall short by a known factor: their total overlap is fixed,
  # sum_i r_i (r_i - 1); here 62400 against 63680 expected, 0.98.) Every
  # neuron reading the same top-ranked inputs would give min(f_a, f_b)
  # instead (about 5x here).
  m = _layers(profile).astype(np.int64)
  n_in = SHAPE[0]
  observed = expected = 0.0
  for layer in m:
    fan = layer.sum(0)
    gram = layer.T @ layer
    observed += gram.sum() - np.trace(gram)
    expected += (fan.sum() ** 2 - (fan ** 2).sum()) / n_in
  ratio = observed / expected
  assert abs(ratio - 1) < 0.05, (profile, ratio)


@pytest.mark.parametrize("profile", RANDOM_INPUTS)
def test_a_neurons_overlap_with_another_is_hypergeometric(profile):
  # Pairs of neurons (2j, 2j + 1) of every seed: given the fan-ins, the
  # overlap of two independent uniform subsets is hypergeometric; its
  # probability integral transforms must not pile up at the top (shared
  # inputs) - a one-sided test on the mean of the upper-tail probabilities.
  m = _layers(profile)
  n_in = SHAPE[0]
  a, b = np.arange(0, SHAPE[1], 2), np.arange(1, SHAPE[1], 2)
  fan = m.sum(1)                                     # (SEEDS, n_out)
  k = (m[:, :, a] & m[:, :, b]).sum(1).ravel()       # overlaps of the pairs
  fa, fb = fan[:, a].ravel(), fan[:, b].ravel()
  ok = (fa > 0) & (fb > 0)
  # P(overlap >= k) for the hypergeometric law of the pair's fan-ins.
  tails = stats.hypergeom.sf(k[ok] - 1, n_in, fa[ok], fb[ok])
  # Under independence P(overlap >= k) is (super-)uniform: mean >= 1/2; with
  # shared inputs it is near 0. 2000 pairs: the sd of the mean is < 0.007.
  assert tails.mean() > 0.45, (profile, tails.mean())


# ------------------------------------------------------------- structured


def _offsets(n_in, n_out):
  return (np.arange(n_out) * n_in) // n_out


@pytest.mark.parametrize("profile", ["circulant", "circulant_banded"])
def test_circulant_inputs_follow_the_shift_rule(profile):
  n_in, n_out = SHAPE
  for layer in _layers(profile)[:5]:
    # Fan-in 8 each (k = 1600 = 8 * 200): column j is column 0 rolled by o_j.
    for j, o in enumerate(_offsets(n_in, n_out)):
      np.testing.assert_array_equal(layer[:, j], np.roll(layer[:, 0], o))
    gens = np.flatnonzero(layer[:, 0])
    if profile == "circulant_banded":
      np.testing.assert_array_equal(gens, np.arange(8))
  if profile == "circulant":  # random generator sets differ between seeds
    sets = {tuple(np.flatnonzero(l[:, 0])) for l in _layers(profile)}
    assert len(sets) == SEEDS


def test_dey_clash_free_inputs_come_from_a_clash_free_interleaver():
  n_in, n_out = SHAPE
  for seed, layer in enumerate(_layers("dey_clash_free")[:5]):
    deg = graphs.dey_budget_degrees(n_in, n_out, int(layer.sum()),
                                    "clash_free")
    _, key = masks.layer_keys(jax.random.key(seed), 0)
    full, pi = graphs.dey_clash_free(key, deg["p"], n_out, d_out=deg["d_out"],
                                     z=deg["z"], return_interleaver=True)
    np.testing.assert_array_equal(layer, full[:n_in])
    assert graphs.is_clash_free(pi, deg["z"], deg["p"])
    # Output j's d_in edges are one clock cycle of z = d_in distinct banks.
    banks = np.flatnonzero(layer[:, 7]) % deg["z"]
    np.testing.assert_array_equal(np.sort(banks), np.arange(deg["z"]))


def test_block_diagonal_inputs_are_contiguous_windows():
  n_in, n_out = SHAPE
  layer = _layers("block_diagonal")[0]
  # d_out = 40 of 200 outputs per group, 5 groups of 8 inputs.
  for j in range(n_out):
    np.testing.assert_array_equal(np.flatnonzero(layer[:, j]),
                                  np.arange(8) + (j // 40) * 8)
  assert all(np.array_equal(l, layer) for l in _layers("block_diagonal"))
