"""Every topology measure refuses what is not a mask, with one clear error.

Issue 12: `spectral_gap` of an all-0.3 array returned 44.72, and `nnstd`,
`scatter` and the rest treated every nonzero float (weights, NaN) as a
connection, or took a mask pytree where one layer was expected. Masks are
bool, or integers that are all 0 or 1; one validator
(`psn_jax.topology.as_layer_mask`) says so for every function.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from psn_jax import plots
from psn_jax import topology as T

RNG = np.random.default_rng(0)
LAYER = RNG.random((12, 8)) < 0.4           # a valid bool layer mask
NEXT = RNG.random((8, 5)) < 0.5

# One layer's measures: f(mask) -> number.
LAYER_FUNCS = {
    "spectral_gap": T.spectral_gap,
    "spectral_gap_normalized": lambda m: T.spectral_gap(m, kind="normalized"),
    "algebraic_connectivity": T.algebraic_connectivity,
    "isolated_vertices": T.isolated_vertices,
    "junction_scatter": lambda m: T.junction_scatter(
        m, T.windows_1d(12, 2), T.windows_1d(8, 2)),
    "jaccard_cost_a": lambda m: T.jaccard_cost(m, LAYER),
    "jaccard_cost_b": lambda m: T.jaccard_cost(LAYER, m),
    "mask_image": plots.mask_image,
}
# Whole-network measures: f(net) -> anything; a net may be one 2-D mask.
NETWORK_FUNCS = {
    "degree_stats": T.degree_stats,
    "nnstd": lambda n: T.nnstd(n, n),
    "nnstd_matrix": lambda n: T.nnstd_matrix([n, n]),
    "network_scatter": lambda n: T.network_scatter(n, None),
    "path_counts": T.path_counts,
    "network_spectral_gap": T.network_spectral_gap,
    "network_algebraic_connectivity": T.network_algebraic_connectivity,
    "network_isolated_vertices": T.network_isolated_vertices,
    "network_biadjacency": T.network_biadjacency,
    "summary": lambda n: T.summary(n, input_shape=None),
}

NOT_MASKS = {
    "all_0.3": np.full((12, 8), 0.3),
    "float_0_1": LAYER.astype(np.float32),
    "nan": np.full((12, 8), np.nan),
    "weights": np.where(LAYER, RNG.normal(size=(12, 8)), 0.0),
    "jax_float": jnp.full((12, 8), 0.3),
    "int_2": LAYER.astype(np.int32) * 2,
    "int_-1": -LAYER.astype(np.int64),
    "object": np.full((12, 8), None),
    "strings": np.full((12, 8), "1"),
}


@pytest.mark.parametrize("case", sorted(NOT_MASKS))
@pytest.mark.parametrize("func", sorted(LAYER_FUNCS))
def test_layer_measures_refuse_non_masks(func, case):
  with pytest.raises(ValueError, match=r"must be bool, or integers that are "
                                       r"all 0 or 1"):
    LAYER_FUNCS[func](NOT_MASKS[case])


@pytest.mark.parametrize("case", sorted(NOT_MASKS))
@pytest.mark.parametrize("func", sorted(NETWORK_FUNCS))
def test_network_measures_refuse_non_masks(func, case):
  bad = NOT_MASKS[case]
  with pytest.raises(ValueError, match=r"layer 0 must be bool, or integers"):
    NETWORK_FUNCS[func](bad)                     # one layer
  with pytest.raises(ValueError, match=r"layer 1 must be bool, or integers"):
    NETWORK_FUNCS[func]([np.ones((5, 12), bool), bad])   # a list


@pytest.mark.parametrize("func", sorted(NETWORK_FUNCS))
def test_network_measures_refuse_a_float_pytree(func):
  tree = {"Dense_0": {"kernel": LAYER.astype(np.float32), "bias": np.ones(8)},
          "Dense_1": {"kernel": NEXT, "bias": np.ones(5, bool)}}
  with pytest.raises(ValueError, match=r"layer 0 must be bool"):
    NETWORK_FUNCS[func](tree)


@pytest.mark.parametrize("func", sorted(LAYER_FUNCS))
@pytest.mark.parametrize("container", ["pytree", "list", "tuple"])
def test_layer_measures_refuse_a_network(func, container):
  tree = {"Dense_0": {"kernel": LAYER}, "Dense_1": {"kernel": NEXT}}
  net = {"pytree": tree, "list": [LAYER, NEXT], "tuple": (LAYER, NEXT)}[container]
  with pytest.raises(ValueError, match=r"must be one layer's 2-D \(n_in, n_out\) "
                                       r"mask.*network_\* functions"):
    LAYER_FUNCS[func](net)


@pytest.mark.parametrize("func", sorted(LAYER_FUNCS))
def test_layer_measures_refuse_wrong_rank(func):
  with pytest.raises(ValueError, match=r"must be a 2-D \(n_in, n_out\) mask, "
                                       r"got shape \(3, 12, 8\)"):
    LAYER_FUNCS[func](np.stack([LAYER] * 3))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64])
def test_zero_one_integers_equal_bool(dtype):
  ints = LAYER.astype(dtype)
  for name, f in LAYER_FUNCS.items():
    if name == "mask_image":
      continue
    np.testing.assert_array_equal(f(ints), f(LAYER), err_msg=name)
  net_b, net_i = [LAYER, NEXT], [LAYER.astype(dtype), NEXT.astype(dtype)]
  assert T.nnstd(net_i, net_b).mean == T.nnstd(net_b, net_b).mean == 0.0
  np.testing.assert_array_equal(T.path_counts(net_i), T.path_counts(net_b))
  np.testing.assert_array_equal(T.summary(net_i, input_shape=None)["lambda_2"],
                                T.summary(net_b, input_shape=None)["lambda_2"])


def test_the_issue_example_is_refused_not_44_72():
  # Issue 12: spectral_gap(all-0.3) returned 44.72 (= sigma_1 of an all-ones
  # 1000 x 2 block, sqrt(1000 * 2)).
  with pytest.raises(ValueError, match=r"got float64 \(weights are not masks"):
    T.spectral_gap(np.full((1000, 2), 0.3))
  with pytest.raises(ValueError, match=r"NaN is not a mask"):
    T.algebraic_connectivity(np.full((4, 4), np.nan))


def test_as_layer_mask_messages_name_the_argument_and_what_was_given():
  with pytest.raises(ValueError, match=r"^b must be bool, or integers that are "
                                       r"all 0 or 1, got an int32 array holding "
                                       r"2$"):
    T.as_layer_mask(np.array([[0, 2]], np.int32), "b")
  with pytest.raises(ValueError, match=r"^mask must be one layer's .* got a dict"):
    T.as_layer_mask({"kernel": LAYER})
  with pytest.raises(ValueError, match=r"got a list of 2 items"):
    T.as_layer_mask([LAYER, NEXT])
  with pytest.raises(ValueError, match=r"got int"):
    T.as_layer_mask(1)
  # Valid inputs come back as bool, unchanged.
  out = T.as_layer_mask(jnp.asarray(LAYER.astype(np.uint8)))
  assert out.dtype == np.bool_
  np.testing.assert_array_equal(out, LAYER)
  assert T.as_layer_mask(LAYER) is LAYER or np.shares_memory(
      T.as_layer_mask(LAYER), LAYER)
  empty = T.as_layer_mask(np.zeros((0, 3), np.int8))
  assert empty.shape == (0, 3) and empty.dtype == np.bool_


def test_as_layers_checks_chaining_and_emptiness():
  with pytest.raises(ValueError, match=r"net must have at least one layer"):
    T.as_layers([])
  with pytest.raises(ValueError, match=r"net layer 1 has n_in=5, must equal "
                                       r"layer 0's n_out=8"):
    T.as_layers([LAYER, np.ones((5, 2), bool)])
  with pytest.raises(ValueError, match=r"net must be a 2-D mask, a list of them "
                                       r"or a mask pytree, got int"):
    T.as_layers(3)
  layers = T.as_layers([LAYER.astype(np.int8), NEXT])
  assert [m.dtype for m in layers] == [np.bool_, np.bool_]
