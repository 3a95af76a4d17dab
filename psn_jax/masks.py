"""Boolean mask pytrees mirroring Flax params: layer budgets, initial masks.

A network's masks have the structure of its Flax params pytree. Kernel leaves
(leaves named `kernel` with `ndim >= 2`; the last two axes are `(n_in, n_out)`
and any leading axes are seed axes) are masked; every other leaf (biases) is
all-True. Leaves are NumPy bool arrays made on the host; jax converts them when
they enter a jitted function.

Layer order is the natural sort of the kernel paths (digit runs compare as
numbers, so `Dense_2` comes before `Dense_10`). Flax's automatic names
(`Dense_0`, `Dense_1`, ...) therefore come out in forward order; modules with
hand-chosen names must be named so that they sort in forward order.

Per-layer allocation (`layer_densities`, `layer_budgets`):

* `uniform`: every sparse layer at density `1 - sparsity`. Layers made dense
  by `dense_first` / `dense_last` are simply dense; the others keep density
  `1 - sparsity`, so the global density rises (our choice, RigL's convention
  for uniform: only ERK keeps the global budget).
* `erk` (Evci et al. 2020, "Rigging the Lottery", Erdos-Renyi for dense
  layers): `density_l = eps * (n_in + n_out) / (n_in * n_out)` with `eps`
  solved so that the active count of all layers, dense ones included, is
  `(1 - sparsity) * total`. Layers whose density would exceed 1 are made dense
  and `eps` is re-solved over the rest until none exceeds 1 (all such layers
  are capped at once: capping only raises `eps`, so a layer over 1 stays over
  1; RigL caps the largest one per round, with the same result).

Integer budgets are `round(density_l * n_in * n_out)`, once per layer, so the
global count is within half a weight per layer of the continuous allocation.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from psn_jax import graphs
from psn_jax import profiles
from psn_jax.utils import numpy_rng

__all__ = ["DISTRIBUTIONS", "PROFILES", "kernel_paths", "layer_masks",
           "from_layer_masks", "layer_densities", "layer_budgets", "layer_keys",
           "make_masks", "apply_masks", "count_active", "sparsity_of"]

DISTRIBUTIONS: tuple[str, ...] = ("uniform", "erk")
PROFILES: tuple[str, ...] = profiles.FAMILIES + ("erdos_renyi",)

Path = tuple[str, ...]


def _key_str(k: Any) -> str:
  for attr in ("key", "name", "idx"):
    if hasattr(k, attr):
      return str(getattr(k, attr))
  return str(k)


def _natural(path: Path) -> tuple:
  """Sort key: digit runs of each path component compare as integers."""
  return tuple(tuple((0, int(c), "") if c.isdigit() else (1, 0, c)
                     for c in re.split(r"(\d+)", part) if c)
               for part in path)


def _shape(leaf: Any) -> tuple[int, ...]:
  return tuple(getattr(leaf, "shape", np.shape(leaf)))


def _is_kernel(path: Path, leaf: Any) -> bool:
  return bool(path) and path[-1] == "kernel" and len(_shape(leaf)) >= 2


def _leaves(tree: Any) -> list[tuple[Path, Any]]:
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return [(tuple(_key_str(k) for k in path), leaf) for path, leaf in flat]


def kernel_paths(params: Any) -> list[Path]:
  """Paths of the kernel leaves in forward (natural-sort) order.

  Args:
    params: a Flax params pytree (arrays or `jax.ShapeDtypeStruct`s; only
      shapes are read) or a mask pytree with the same structure.

  Returns:
    One tuple of string keys per kernel leaf (named `kernel`, `ndim >= 2`),
    e.g. `[("Dense_0", "kernel"), ("Dense_1", "kernel")]`, sorted naturally
    (`Dense_2` before `Dense_10`).
  """
  paths = [p for p, leaf in _leaves(params) if _is_kernel(p, leaf)]
  return sorted(paths, key=_natural)


def named_kernels(tree: Any) -> list[tuple[str, Any]]:
  """(name, kernel leaf) pairs in forward order, leaves untouched.

  The name is the kernel's path without its final "kernel", joined by "/"
  (e.g. "Dense_0"). Unlike `layer_masks`, leaves are not converted, so this
  works on traced arrays inside `jit`.
  """
  by_path = dict(_leaves(tree))
  return [("/".join(p[:-1]), by_path[p]) for p in kernel_paths(tree)]


def layer_masks(masks: Any) -> list[Any]:
  """The kernel leaves of a mask pytree, in forward order.

  Args:
    masks: a mask pytree (or any params-structured pytree).

  Returns:
    The kernel leaves as NumPy arrays (`(n_in, n_out)`, with any leading seed
    axes kept); `jax.ShapeDtypeStruct` leaves are returned as they are.
  """
  by_path = dict(_leaves(masks))
  out = []
  for p in kernel_paths(masks):
    leaf = by_path[p]
    out.append(leaf if isinstance(leaf, jax.ShapeDtypeStruct)
               else np.asarray(leaf))
  return out


def from_layer_masks(params: Any, layers: Sequence[Any]) -> Any:
  """The mask pytree of `params` with the given kernel masks (forward order).

  Inverse of `layer_masks`: kernel leaves take `layers[i]` (as NumPy bool),
  every other leaf is all-True.

  Args:
    params: the Flax params pytree (arrays or `jax.ShapeDtypeStruct`s).
    layers: one mask per kernel of `params`, in `kernel_paths` order, each of
      the kernel's shape.

  Returns:
    A bool pytree with the structure of `params`.

  Raises:
    ValueError: if the number of layers or a shape does not match.
  """
  paths = kernel_paths(params)
  if len(layers) != len(paths):
    raise ValueError(f"layers must hold one mask per kernel ({len(paths)}), "
                     f"got {len(layers)}")
  index = {p: i for i, p in enumerate(paths)}
  shapes = dict(_leaves(params))
  for i, p in enumerate(paths):
    if np.shape(layers[i]) != _shape(shapes[p]):
      raise ValueError(f"layers[{i}] must have the shape of {'/'.join(p)} "
                       f"{_shape(shapes[p])}, got {np.shape(layers[i])}")

  def leaf_mask(path, leaf):
    p = tuple(_key_str(k) for k in path)
    if p in index:
      return np.asarray(layers[index[p]], dtype=bool)
    return np.ones(_shape(leaf), dtype=bool)

  return jax.tree_util.tree_map_with_path(leaf_mask, params)


def _check_sparsity(sparsity: float) -> None:
  if isinstance(sparsity, bool) or not isinstance(
      sparsity, (int, float, np.integer, np.floating)) or not 0 <= sparsity < 1:
    raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")


def _check_shapes(shapes: Sequence[Sequence[int]]) -> np.ndarray:
  arr = np.asarray(shapes)
  if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != 2 or not np.all(
      arr >= 1) or not np.issubdtype(arr.dtype, np.integer):
    raise ValueError(f"shapes must be a non-empty list of (n_in, n_out) "
                     f"integer pairs >= 1, got {shapes!r}")
  return arr.astype(np.int64)


def layer_densities(shapes: Sequence[Sequence[int]], sparsity: float,
                    distribution: str = "uniform", *, dense_first: bool = False,
                    dense_last: bool = False) -> np.ndarray:
  """Per-layer densities from a global sparsity (see the module docstring).

  Args:
    shapes: `(n_in, n_out)` of each layer, in forward order.
    sparsity: global sparsity in [0, 1); 0 makes every layer dense.
    distribution: `uniform` or `erk`.
    dense_first: keep the first layer dense.
    dense_last: keep the last layer dense.

  Returns:
    float64 array `(n_layers,)` of densities in (0, 1].

  Raises:
    ValueError: on bad shapes, sparsity or distribution, or an `erk` budget
      smaller than the dense layers alone.
  """
  arr = _check_shapes(shapes)
  _check_sparsity(sparsity)
  if distribution not in DISTRIBUTIONS:
    raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, "
                     f"got {distribution!r}")
  n_layers = arr.shape[0]
  dense = np.zeros(n_layers, dtype=bool)
  dense[0] |= bool(dense_first)
  dense[-1] |= bool(dense_last)
  if sparsity == 0:
    return np.ones(n_layers)
  if distribution == "uniform":
    return np.where(dense, 1.0, 1.0 - sparsity)
  sizes = (arr[:, 0] * arr[:, 1]).astype(np.float64)
  raw = (arr[:, 0] + arr[:, 1]).astype(np.float64)
  target = (1.0 - sparsity) * sizes.sum()
  dens = np.ones(n_layers)
  while True:
    rest = target - sizes[dense].sum()
    if dense.all() and rest >= -1e-9 * sizes.sum():
      break
    if rest <= 0:
      raise ValueError(
          f"sparsity={sparsity:g} is out of reach for distribution 'erk': the "
          f"dense layers alone hold {sizes[dense].sum() / sizes.sum():.1%} of "
          f"the weights")
    eps = rest / raw[~dense].sum()
    dens = np.where(dense, 1.0, eps * raw / sizes)
    over = dens > 1.0
    if not over.any():
      break
    dense |= over
  return np.where(dense, 1.0, dens)


def layer_budgets(shapes: Sequence[Sequence[int]], sparsity: float,
                  distribution: str = "uniform", *, dense_first: bool = False,
                  dense_last: bool = False) -> np.ndarray:
  """Active-weight counts per layer: `round(density_l * n_in * n_out)`.

  Args: as `layer_densities`.

  Returns:
    int64 array `(n_layers,)`, each in `[0, n_in * n_out]`.
  """
  dens = layer_densities(shapes, sparsity, distribution,
                         dense_first=dense_first, dense_last=dense_last)
  sizes = _check_shapes(shapes).prod(axis=1)
  return np.clip(np.rint(dens * sizes), 0, sizes).astype(np.int64)


def layer_keys(key: jax.Array, layer_index: int) -> tuple[jax.Array,
                                                          jax.Array]:
  """The (hub, input) keys `make_masks` uses for kernel `layer_index`.

  `layer_key = jax.random.fold_in(key, layer_index)`, then
  `hub_key, input_key = jax.random.split(layer_key)`: `hub_key` places the
  profile's hubs (`profiles.fan_ins(..., key=hub_key)`), `input_key` draws
  which inputs each neuron connects to.
  """
  hub_key, input_key = jax.random.split(jax.random.fold_in(key, layer_index))
  return hub_key, input_key


def _layer_cvs(cv: Any, n_layers: int) -> list[Any]:
  if cv is None or isinstance(cv, (int, float, np.integer, np.floating)):
    return [cv] * n_layers
  cvs = list(cv)
  if len(cvs) != n_layers:
    raise ValueError(f"cv must be None, a float or a sequence of {n_layers} "
                     f"values (one per kernel), got {len(cvs)} values")
  return cvs


def make_masks(key: jax.Array, params: Any, *, sparsity: float,
               distribution: str = "uniform", profile: str = "uniform",
               cv: float | Sequence[float | None] | None = None,
               dense_first: bool = False, dense_last: bool = False) -> Any:
  """Initial masks of one network: per-layer budgets, then per-neuron fan-ins.

  Per sparse layer `l` of shape `(n_in, n_out)` with budget `k_l`
  (`layer_budgets`), and keys `hub_key, input_key = layer_keys(key, l)`:

  * a profile from `profiles.FAMILIES`: the fan-ins are
    `profiles.fan_ins(profile, n_out, n_in, k_l / (n_in * n_out), cv_l,
    key=hub_key)` (they sum to `k_l`); each output neuron `j` then connects to
    `fan_in[j]` inputs drawn without replacement: random scores
    `(n_in, n_out)` from `numpy_rng(input_key)`, ranked per column, kept where
    the rank is below the fan-in. Every neuron gets >= 1 input, so `k_l` must
    be >= `n_out`.
  * `erdos_renyi`: exactly `k_l` positions drawn uniformly at random from the
    whole layer (`numpy_rng(input_key)`), so fan-ins are hypergeometric and a
    neuron may get none. With `distribution="erk"` this is SET's start.

  Dense layers (`k_l = n_in * n_out`, from `sparsity=0`, `dense_first`,
  `dense_last` or ERK capping) are all-True. Same key, same masks, bit for
  bit.

  Args:
    key: a JAX PRNG key.
    params: one network's Flax params (arrays or `jax.ShapeDtypeStruct`s).
    sparsity: global sparsity in [0, 1); 0 gives all-True (dense) masks.
    distribution: per-layer allocation, one of `DISTRIBUTIONS`.
    profile: one of `PROFILES`.
    cv: target fan-in CV for every sparse layer (a float), one per kernel (a
      sequence; None entries use the family's default; entries of dense
      layers are ignored), or None (family defaults). Must be None for
      `erdos_renyi`.
    dense_first: keep the first kernel dense.
    dense_last: keep the last kernel dense.

  Returns:
    A NumPy bool pytree with the structure of `params`.

  Raises:
    ValueError: on a bad sparsity, distribution, profile or cv, a kernel that
      is not 2-D, or a layer whose budget leaves a neuron without input.
  """
  _check_sparsity(sparsity)
  if distribution not in DISTRIBUTIONS:
    raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, "
                     f"got {distribution!r}")
  if profile not in PROFILES:
    raise ValueError(f"profile must be one of {', '.join(PROFILES)}, "
                     f"got {profile!r}")
  by_path = dict(_leaves(params))
  paths = kernel_paths(params)
  shapes = [_shape(by_path[p]) for p in paths]
  for p, s in zip(paths, shapes):
    if len(s) != 2:
      raise ValueError(f"params must be one network's: kernel {'/'.join(p)} "
                       f"must be 2-D, got shape {s}")
  if not paths:
    return from_layer_masks(params, [])
  cvs = _layer_cvs(cv, len(paths))
  if profile == "erdos_renyi" and any(c is not None for c in cvs):
    raise ValueError(f"cv must be None for profile 'erdos_renyi', got {cv!r}")
  budgets = layer_budgets(shapes, sparsity, distribution,
                          dense_first=dense_first, dense_last=dense_last)
  layers = []
  for l, ((n_in, n_out), k) in enumerate(zip(shapes, budgets)):
    k = int(k)
    if k == n_in * n_out:
      layers.append(np.ones((n_in, n_out), dtype=bool))
      continue
    hub_key, input_key = layer_keys(key, l)
    if profile == "erdos_renyi":
      layers.append(graphs.erdos_renyi(input_key, n_in, n_out,
                                       density=k / (n_in * n_out)))
      continue
    rng = numpy_rng(input_key)
    if k < n_out:
      raise ValueError(
          f"sparsity={sparsity:g} leaves kernel {'/'.join(paths[l])} "
          f"({n_in} -> {n_out}) {k} weights, fewer than its {n_out} neurons: "
          f"profile {profile!r} needs >= 1 input per neuron (use a lower "
          f"sparsity or profile 'erdos_renyi')")
    try:
      fan = profiles.fan_ins(profile, n_out, n_in, k / (n_in * n_out), cvs[l],
                             key=hub_key)
    except ValueError as err:
      raise ValueError(f"kernel {'/'.join(paths[l])}: {err}") from None
    order = np.argsort(rng.random((n_in, n_out)), axis=0)
    mask = np.zeros((n_in, n_out), dtype=bool)
    np.put_along_axis(mask, order, np.arange(n_in)[:, None] < fan[None, :],
                      axis=0)
    layers.append(mask)
  return from_layer_masks(params, layers)


def apply_masks(params: Any, masks: Any) -> Any:
  """`params` with masked-out entries set to 0 (`jnp.where`; jit-compatible).

  Works with extra leading (seed) axes on both trees, or on `params` only
  (masks broadcast).
  """
  return jax.tree.map(lambda p, m: jnp.where(m, p, 0), params, masks)


def count_active(masks: Any) -> list[int]:
  """Active (True) entries of each kernel mask, in forward order.

  For stacked masks (leading seed axes) the count is the total over seeds.
  """
  return [int(np.count_nonzero(m)) for m in layer_masks(masks)]


def sparsity_of(masks: Any) -> float:
  """Fraction of inactive kernel entries over all kernels (biases excluded)."""
  layers = layer_masks(masks)
  total = sum(int(np.size(m)) for m in layers)
  if total == 0:
    return 0.0
  return 1.0 - sum(int(np.count_nonzero(m)) for m in layers) / total
