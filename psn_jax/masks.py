"""Masks of a network: per-layer budgets, then a mask source, as a bool pytree.

A network's masks have the structure of its Flax params pytree: kernel leaves
(`(n_in, n_out)`, any leading axes are seed axes) are masked, every other leaf
(biases) is all-True, leaves are NumPy bool arrays made on the host. The masks
layer is five modules, every public name re-exported here:

* `psn_jax.mask_tree`: kernel paths, forward layer order, pytree <-> layer
  list (`kernel_paths`, `named_kernels`, `layer_masks`, `from_layer_masks`),
  the path rule of the sparse leaves (`select_paths`, `DEFAULT_RULE`), a
  kernel as its matrix (`matrix_shape`), `apply_masks`, `count_active`,
  `sparsity_of`.
* `psn_jax.budgets`: per-layer densities and exact integer budgets of a
  global sparsity (`DISTRIBUTIONS` uniform and erk, `layer_densities`,
  `layer_budgets`; forced-dense layers outside the budget, as RigL).
* `psn_jax.mask_sources`: the registry `SOURCES` of mask sources (PSN
  profiles, random, graph families, Dey's patterns, block-diagonal), the one
  place that knows a source.
* this module: `make_masks` (budgets, then a source, per layer, over the
  leaves a path rule selects: any Flax model, Dense and Conv kernels),
  `from_config` (a config's `MASK_FIELDS`), `perturb_masks`.
* `psn_jax.mask_files`: masks fixed before training, in a file.

Every source gives a layer exactly its budget; a source that cannot (Dey's
divisibility rules) raises one line naming the nearest feasible densities
instead of changing the density. The config field and keyword that name a
source are `profile` (see `psn_jax.mask_sources`).
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import numpy as np

from psn_jax import graphs
from psn_jax import mask_sources
from psn_jax import profiles
from psn_jax.budgets import DISTRIBUTIONS
from psn_jax.budgets import check_distribution
from psn_jax.budgets import check_sparsity
from psn_jax.budgets import layer_budgets
from psn_jax.budgets import layer_densities
from psn_jax.mask_files import load_mask_file
from psn_jax.mask_files import save_mask_file
from psn_jax.mask_sources import SOURCES
from psn_jax.mask_tree import DEFAULT_RULE
from psn_jax.mask_tree import apply_masks
from psn_jax.mask_tree import count_active
from psn_jax.mask_tree import sparsity_of
from psn_jax.mask_tree import Path
from psn_jax.mask_tree import as_matrix
from psn_jax.mask_tree import check_rule
from psn_jax.mask_tree import fill_masks
from psn_jax.mask_tree import from_layer_masks
from psn_jax.mask_tree import kernel_paths
from psn_jax.mask_tree import key_str
from psn_jax.mask_tree import layer_masks
from psn_jax.mask_tree import leaf_shape
from psn_jax.mask_tree import named_kernels
from psn_jax.mask_tree import matrix_shape
from psn_jax.mask_tree import matrix_view
from psn_jax.mask_tree import path_leaves
from psn_jax.mask_tree import select_paths

__all__ = ["DISTRIBUTIONS", "SOURCES", "MASK_SOURCES", "PROFILES",
           "PSN_PROFILES", "MASK_FIELDS", "kernel_paths", "named_kernels",
           "layer_masks", "from_layer_masks", "layer_densities",
           "layer_budgets", "layer_keys", "feasible_budgets", "make_masks",
           "from_config", "perturb_masks", "apply_masks", "save_mask_file",
           "load_mask_file", "count_active", "sparsity_of", "DEFAULT_RULE",
           "check_rule", "select_paths", "matrix_shape", "as_matrix", "matrix_view",
           "fill_masks"]

# The registry under its earlier name (the same dict).
MASK_SOURCES: dict[str, mask_sources.Source] = SOURCES
# The source names when this module was imported (read `SOURCES` for sources
# added later).
PROFILES: tuple[str, ...] = tuple(SOURCES)
# PSN fan-in profiles: the sources made by `psn_jax.profiles`.
PSN_PROFILES: tuple[str, ...] = profiles.FAMILIES

# The config fields that say which masks a run starts from (`from_config`):
# the one list the runner (`BATCHED_FIELDS`) and the config validation read.
MASK_FIELDS: tuple[str, ...] = ("sparsity", "distribution", "profile", "cv",
                                "dense_first", "dense_last")


def layer_keys(key: jax.Array, layer_index: int) -> mask_sources.LayerKeys:
  """The (hub, inputs) keys `make_masks` uses for kernel `layer_index`.

  `layer_key = jax.random.fold_in(key, layer_index)`, then
  `hub, inputs = jax.random.split(layer_key)`: `hub` places a PSN profile's
  hubs (`profiles.fan_ins(..., key=hub)`), `inputs` draws which inputs each
  neuron connects to (and every other source's layer).
  """
  hub_key, input_key = jax.random.split(jax.random.fold_in(key, layer_index))
  return mask_sources.LayerKeys(hub_key, input_key)


def _check_cv(name: str, c: Any) -> Any:
  """`c` if None or a real number in [0, profiles.CV_MAX], else one line."""
  if c is None:
    return None
  ok = not isinstance(c, (bool, np.bool_)) and (
      isinstance(c, (int, float, np.integer, np.floating))
      or (hasattr(c, "dtype") and np.ndim(c) == 0
          and np.dtype(c.dtype).kind in "iuf"))
  if not ok or not 0 <= float(c) <= profiles.CV_MAX:  # NaN fails too
    raise ValueError(f"{name} must be None or a number in "
                     f"[0, {profiles.CV_MAX:g}], got {c!r}")
  return float(c)


def _layer_cvs(cv: Any, n_layers: int) -> list[Any]:
  if cv is None or isinstance(cv, (int, float, np.integer, np.floating,
                                   np.ndarray, jax.Array)) and np.ndim(cv) == 0:
    return [_check_cv("cv", cv)] * n_layers
  if isinstance(cv, (str, bytes, dict)) or not hasattr(cv, "__len__"):
    raise ValueError(f"cv must be None, a number or a sequence of {n_layers} "
                     f"values (one per kernel), got {cv!r}")
  cvs = list(cv)
  if len(cvs) != n_layers:
    raise ValueError(f"cv must be None, a float or a sequence of {n_layers} "
                     f"values (one per kernel), got {len(cvs)} values")
  return [_check_cv(f"cv[{l}]", c) for l, c in enumerate(cvs)]


def feasible_budgets(profile: str, n_in: int, n_out: int) -> np.ndarray:
  """Every connection count `make_masks` can give one layer of `profile`.

  The source's `budgets` (`psn_jax.mask_sources`): PSN profiles need
  `k >= n_out` (>= 1 input per neuron); `random` and `erdos_renyi` take any
  `k >= 0`; `random_biregular` and the circulants any `k >= 1`; Dey's
  families and `block_diagonal` `k = n_in * d_out` with
  `graphs.dey_budget_degrees`' divisibility rules. A dense layer
  (`k = n_in * n_out`) is always made.

  Args:
    profile: a name of `SOURCES`.
    n_in: inputs of the layer.
    n_out: outputs of the layer.

  Returns:
    int64 array of the reachable counts, ascending.

  Raises:
    ValueError: on an unknown profile.
  """
  return SOURCES[mask_sources.resolve(profile)].budgets(n_in, n_out)


def _infeasible(profile: str, ok: np.ndarray, path: Path, n_in: int,
                n_out: int, k: int, why: str) -> ValueError:
  size = n_in * n_out
  near = [int(x) for x in (ok[ok < k][-1:].tolist() + ok[ok > k][:1].tolist())]
  return ValueError(
      f"profile {profile!r} cannot make kernel {'/'.join(path)} ({n_in} -> "
      f"{n_out}) at density {k / size:.4f} ({k} of {size} weights; {why}): "
      f"nearest feasible densities "
      + ", ".join(f"{x / size:.4f} ({x} weights)" for x in near))


def _source_layer(profile: str, keys: mask_sources.LayerKeys, path: Path,
                  n_in: int, n_out: int, k: int, cv: Any) -> np.ndarray:
  """One sparse layer (`0 <= k < n_in * n_out`) of a registered source."""
  source = SOURCES[profile]
  ok = np.asarray(source.budgets(n_in, n_out))
  i = int(np.searchsorted(ok, k))
  if i == ok.size or ok[i] != k:
    raise _infeasible(profile, ok, path, n_in, n_out, k, source.rule)
  try:
    mask = source.make(keys, n_in, n_out, k, cv)
  except ValueError as err:
    raise ValueError(f"kernel {'/'.join(path)}: {err}") from None
  mask = np.asarray(mask)
  if (mask.shape != (n_in, n_out) or mask.dtype != np.bool_
      or np.count_nonzero(mask) != k):
    raise ValueError(f"source {profile!r} made {mask.dtype} {mask.shape} with "
                     f"{np.count_nonzero(mask)} connections for kernel "
                     f"{'/'.join(path)}; it must make bool ({n_in}, {n_out}) "
                     f"with exactly {k}")
  return mask


def _network_kernels(params: Any, rule: str | None
                     ) -> tuple[list[Path], list[tuple[int, ...]]]:
  """Sparse leaves (`mask_tree.select_paths`) and their shapes; refuses
  params that are not one network's."""
  if (params is None or not path_leaves(params)
      or rule is None and not kernel_paths(params)):
    raise ValueError(
        f"params must be a Flax params pytree with at least one 2-D leaf named "
        f"'kernel' (e.g. model.init(...)['params']), got "
        f"{type(params).__name__} with no kernel")
  paths = select_paths(params, rule)
  by_path = dict(path_leaves(params))
  shapes = [leaf_shape(by_path[p]) for p in paths]
  for p, s in zip(paths, shapes):
    if len(p) >= 2 and p[-2].startswith("Dense") and len(s) != 2:
      raise ValueError(f"params must be one network's: kernel {'/'.join(p)} "
                       f"must be 2-D, got shape {s}")
  return paths, shapes


def make_masks(key: jax.Array, params: Any, *, sparsity: float,
               distribution: str = "uniform", profile: str = "uniform",
               cv: float | Sequence[float | None] | None = None,
               dense_first: bool = False, dense_last: bool = False,
               rule: str | None = None) -> Any:
  """Initial masks of one network: per-layer budgets, then a mask source.

  Any Flax model: the sparse leaves are those whose "/"-joined path matches
  `rule` (`mask_tree.select_paths`; default every leaf named `kernel`, so
  Dense and Conv kernels, biases, norms and embeddings dense). A leaf of
  shape `(..., n_out)` is shaped as its `(prod(...), n_out)` matrix: a Conv
  kernel `(kh, kw, c_in, c_out)` gets per output channel a fan-in over its
  `kh * kw * c_in` inputs (a PSN profile or graph family shapes it per
  output channel) and ERK counts its kernel dimensions (RigL).

  Per sparse layer `l` of shape `(n_in, n_out)` with budget `k_l`
  (`layer_budgets`): `SOURCES[profile].make(layer_keys(key, l), n_in, n_out,
  k_l, cv_l)` (`psn_jax.mask_sources` says what each source draws), after
  checking that `k_l` is among the source's `budgets`: a budget it cannot
  reach raises a ValueError naming the nearest feasible densities. Dense
  layers (`k_l = n_in * n_out`, from `sparsity=0`, `dense_first`,
  `dense_last` or ERK capping) are all-True. Same key, same masks, bit for
  bit.

  Args:
    key: a JAX PRNG key.
    params: one network's Flax params (arrays or `jax.ShapeDtypeStruct`s),
      with at least one 2-D kernel.
    sparsity: sparsity of the sparse layers in [0, 1) (a Python or NumPy
      number or a 0-d numeric array); 0 gives all-True (dense) masks.
    distribution: per-layer allocation, one of `DISTRIBUTIONS`.
    profile: the mask source, a name of `SOURCES` (or a deprecated alias of
      one, `mask_sources.ALIASES`, with a warning).
    cv: target fan-in CV for every sparse layer (a float), one per kernel (a
      sequence; None entries use the family's default; entries of dense
      layers are ignored), or None (family defaults). Must be None for
      sources that take no CV (all but the PSN profiles).
    dense_first: keep the first kernel dense (outside the budget).
    dense_last: keep the last kernel dense (outside the budget).
    rule: which leaves are sparse, a regular expression matched in full
      against each leaf's "/"-joined path (e.g. `"Dense_.*/kernel"`: the
      fully connected layers only); None: every `kernel`. First, last and
      `cv` entries refer to the selected leaves in natural order.

  Returns:
    A NumPy bool pytree with the structure of `params`.

  Raises:
    ValueError: on a bad rule, a selected leaf with fewer than 2 axes, params
      that are not one network's params pytree, a bad
      sparsity, distribution, profile or cv, or a layer budget the source
      cannot reach.
  """
  sparsity = check_sparsity(sparsity)
  check_distribution(distribution)
  profile = mask_sources.resolve(profile)
  paths, shapes = _network_kernels(params, rule)
  cvs = _layer_cvs(cv, len(paths))
  if not SOURCES[profile].takes_cv and any(c is not None for c in cvs):
    takes = ", ".join(n for n, s in SOURCES.items() if s.takes_cv)
    raise ValueError(f"cv must be None for profile {profile!r} (only {takes} "
                     f"take a cv), got {cv!r}")
  budgets = layer_budgets(shapes, sparsity, distribution,
                          dense_first=dense_first, dense_last=dense_last)
  chosen = {}
  for l, (shape, k) in enumerate(zip(shapes, budgets)):
    k = int(k)
    n_in, n_out = matrix_shape(shape)
    if k == n_in * n_out:
      chosen[paths[l]] = np.ones(shape, dtype=bool)
      continue
    chosen[paths[l]] = _source_layer(profile, layer_keys(key, l), paths[l],
                                     n_in, n_out, k, cvs[l]).reshape(shape)
  return fill_masks(params, chosen)


def from_config(config: Any, params_shape: Any, key: jax.Array) -> Any:
  """One seed's masks from a config's mask fields (`MASK_FIELDS`).

  `sparsity == 0` gives all-True masks (the dense network, whatever the
  other fields say); otherwise `make_masks(key, params_shape, **fields,
  rule=config.mask_rule)` (an optional field, absent from the defaults: ""
  or absent is the default rule, every kernel).
  The runner calls this with `train.mask_key(seed)` for every seed of a run.

  Args:
    config: a `psn_jax.config` ConfigDict (or a mapping) with the fields of
      `MASK_FIELDS`.
    params_shape: one network's params (shapes only).
    key: the masks' PRNG key.

  Returns:
    A NumPy bool pytree with the structure of `params_shape`.
  """
  fields = {f: config[f] for f in MASK_FIELDS}
  if fields["sparsity"] == 0:
    return jax.tree.map(lambda p: np.ones(p.shape, bool), params_shape)
  rule = config.get("mask_rule", "") or None  # optional field; "" = default
  return make_masks(key, params_shape, **fields, rule=rule)


def perturb_masks(key: jax.Array, masks: Any, fraction: float) -> Any:
  """Every sparse kernel mask with `fraction` of its connections moved.

  `graphs.perturb` on each kernel that is not all-True (dense kernels and
  non-kernel leaves are returned unchanged), with key
  `jax.random.fold_in(key, l)` for kernel `l` in forward order; kernels with
  leading seed axes are perturbed slice by slice, slice `i` (row-major over
  the leading axes) with `jax.random.fold_in(fold_in(key, l), i)`. Counts are
  kept per kernel (per slice); for Liu et al.'s nearly identical starts.

  Args:
    key: a JAX PRNG key.
    masks: a bool mask pytree (e.g. from `make_masks`).
    fraction: fraction in [0, 1] of each sparse kernel's connections to move.

  Returns:
    A new NumPy bool pytree with the structure of `masks`.

  Raises:
    ValueError: if `masks` has no kernel, a kernel mask is not bool, the
      fraction is not in [0, 1], or a kernel has fewer empty positions than
      moves.
  """
  paths = kernel_paths(masks) if masks is not None else []
  if not paths:
    raise ValueError(f"masks must be a mask pytree with at least one 2-D leaf "
                     f"named 'kernel', got {type(masks).__name__} with no "
                     f"kernel")
  index = {p: l for l, p in enumerate(paths)}

  def leaf_fn(path, leaf):
    p = tuple(key_str(k) for k in path)
    if p not in index:
      return leaf
    arr = np.asarray(leaf)
    if arr.dtype != np.bool_:
      raise ValueError(f"masks must be bool: kernel {'/'.join(p)} has dtype "
                       f"{arr.dtype}")
    if arr.all():
      return arr.copy()
    layer_key = jax.random.fold_in(key, index[p])
    if arr.ndim == 2:
      slices = [((), layer_key)]
    else:
      slices = [(idx, jax.random.fold_in(layer_key, i))
                for i, idx in enumerate(np.ndindex(arr.shape[:-2]))]
    out = np.empty_like(arr)
    for idx, k in slices:
      try:
        out[idx] = graphs.perturb(arr[idx], fraction, k)
      except ValueError as err:
        raise ValueError(f"kernel {'/'.join(p)}: {err}") from None
    return out

  return jax.tree_util.tree_map_with_path(leaf_fn, masks)
