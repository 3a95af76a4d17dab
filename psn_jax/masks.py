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

Per-layer allocation (`layer_densities`, `layer_budgets`). Layers made dense
by `dense_first` / `dense_last` are OUTSIDE the sparse budget (RigL's and
jaxpruner's convention): the sparse layers together hold `(1 - sparsity)` of
their own weights and the forced-dense layers are added on top, so `uniform`
and `erk` at the same sparsity keep the same number of active weights in every
configuration.

* `uniform`: every sparse layer at density `1 - sparsity`; budget
  `round((1 - sparsity) * n_in * n_out)` per layer.
* `erk` (Evci et al. 2020, "Rigging the Lottery", Erdos-Renyi for dense
  layers): `density_l = eps * (n_in + n_out) / (n_in * n_out)` over the sparse
  layers, with `eps` solved so that their active count is `(1 - sparsity)`
  times their total size. Layers whose density would exceed 1 are made dense
  (inside the budget, as RigL) and `eps` is re-solved over the rest until none
  exceeds 1 (all such layers are capped at once: capping only raises `eps`,
  so a layer over 1 stays over 1; RigL caps the largest one per round, with
  the same result).

Integer budgets: `uniform` rounds each layer (`round(density_l * size_l)`,
half to even). `erk` starts from the same per-layer rounding and then moves
single weights (to the layers whose rounding lost most, or from those that
gained most) until its total equals the `uniform` total exactly (a shift of
at most a couple of weights per layer).

Mask sources (`MASK_SOURCES`, `make_masks(profile=...)`): the PSN fan-in
profiles of `psn_jax.profiles`, the standard random baseline `random`
(exactly the budget at uniformly random positions, as RigL's random mask), and
the graph families of `psn_jax.graphs` (Erdos-Renyi, near-biregular,
circulant with random or banded generators, Dey's basic, clash-free and
windowed patterns). Every source gives a layer exactly its budget; a family
that cannot (Dey's divisibility rules) raises one line naming the nearest
feasible densities instead of changing the density.
"""

from __future__ import annotations

import io
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from psn_jax import graphs
from psn_jax import profiles
from psn_jax import utils
from psn_jax.utils import numpy_rng

__all__ = ["DISTRIBUTIONS", "MASK_SOURCES", "PROFILES", "PSN_PROFILES",
           "kernel_paths", "named_kernels", "layer_masks", "from_layer_masks",
           "layer_densities", "layer_budgets", "layer_keys", "feasible_budgets",
           "make_masks", "perturb_masks", "apply_masks",
           "save_mask_file", "load_mask_file", "count_active",
           "sparsity_of"]

DISTRIBUTIONS: tuple[str, ...] = ("uniform", "erk")

# PSN fan-in profiles: per-neuron fan-ins from psn_jax.profiles, then each
# neuron's inputs a uniform random subset of that size.
PSN_PROFILES: tuple[str, ...] = profiles.FAMILIES

_DEY_KINDS = {"dey_basic": "basic", "dey_clash_free": "clash_free",
              "dey_windowed": "windowed"}

MASK_SOURCES: dict[str, str] = {
    "uniform": "PSN's flat profile (fan-in CV 0): every neuron floor or ceil "
               "of k / n_out inputs, a uniform random subset per neuron",
    **{fam: f"PSN {fam} fan-in profile (psn_jax.profiles; cv sets its CV), a "
            f"uniform random input subset per neuron"
       for fam in profiles.FAMILIES if fam != "uniform"},
    "random": "exactly k positions uniformly at random over the whole layer "
              "(RigL's / jaxpruner's random mask); fan-ins hypergeometric, a "
              "neuron may get none",
    "erdos_renyi": "alias of random (same law, same mask for the same key): "
                   "SET's G(n_in, n_out, m) start with m = k, under SET's name",
    "random_biregular": "configuration model with switch repair: out-degrees "
                        "floor/ceil(k / n_in), fan-ins floor/ceil(k / n_out), "
                        "exactly biregular when n_in and n_out divide k",
    "circulant": "output j reads inputs (floor(j n_in / n_out) + S) mod n_in, "
                 "S a random set of k // n_out generators (one more generator "
                 "for k mod n_out evenly spread outputs); expands well",
    "circulant_banded": "circulant with contiguous generators: each output "
                        "reads a contiguous input window (banded, no "
                        "randomness); the poorly expanding contrast",
    "dey_basic": "Dey et al.'s row-by-row random biregular sampler on inputs "
                 "padded to p >= n_in (pad rows dropped); needs d_out = k / "
                 "n_in an integer",
    "dey_clash_free": "Dey et al.'s clash-free interleaver pattern (z = d_in, "
                      "address type 1, no dither), padded as dey_basic; needs "
                      "d_out = k / n_in an integer dividing n_out",
    "dey_windowed": "block-diagonal windows at dey_clash_free's degrees: "
                    "output group g reads only input window g; equal density, "
                    "low scatter (Dey's D3 contrast)",
}
PROFILES: tuple[str, ...] = tuple(MASK_SOURCES)

Path = tuple[str, ...]


def _key_str(k: Any) -> str:
  for attr in ("key", "name", "idx"):
    if hasattr(k, attr):
      return str(getattr(k, attr))
  return str(k)


def _natural(path: Path) -> tuple:
  """Sort key: each path component by `utils.natural_key`."""
  return tuple(utils.natural_key(part) for part in path)


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


def _check_sparsity(sparsity: Any) -> float:
  """The sparsity as a float in [0, 1): Python or NumPy numbers and 0-d numeric
  arrays (`jnp.float32(0.9)`) are accepted; bools, NaN and others refused."""
  bad = ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
  if isinstance(sparsity, (bool, np.bool_)):
    raise bad
  if isinstance(sparsity, (int, float, np.integer, np.floating)):
    value = float(sparsity)
  elif hasattr(sparsity, "dtype") and hasattr(sparsity, "shape"):
    kind = np.dtype(sparsity.dtype).kind
    if tuple(sparsity.shape) != () or kind not in "iuf":
      raise bad
    value = float(np.asarray(sparsity))
  else:
    raise bad
  if not 0 <= value < 1:  # NaN fails too
    raise bad
  return value


def _check_shapes(shapes: Sequence[Sequence[int]]) -> np.ndarray:
  arr = np.asarray(shapes)
  if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != 2 or not np.all(
      arr >= 1) or not np.issubdtype(arr.dtype, np.integer):
    raise ValueError(f"shapes must be a non-empty list of (n_in, n_out) "
                     f"integer pairs >= 1, got {shapes!r}")
  return arr.astype(np.int64)


def _check_distribution(distribution: Any) -> None:
  if distribution not in DISTRIBUTIONS:
    raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, "
                     f"got {distribution!r}")


def _forced_dense(n_layers: int, dense_first: bool, dense_last: bool
                  ) -> np.ndarray:
  dense = np.zeros(n_layers, dtype=bool)
  dense[0] |= bool(dense_first)
  dense[-1] |= bool(dense_last)
  return dense


def layer_densities(shapes: Sequence[Sequence[int]], sparsity: float,
                    distribution: str = "uniform", *, dense_first: bool = False,
                    dense_last: bool = False) -> np.ndarray:
  """Per-layer densities from a global sparsity (see the module docstring).

  Forced-dense layers (`dense_first`, `dense_last`) are outside the budget:
  the other layers hold `(1 - sparsity)` of their own weights.

  Args:
    shapes: `(n_in, n_out)` of each layer, in forward order.
    sparsity: sparsity of the sparse layers, in [0, 1); 0 makes every layer
      dense.
    distribution: `uniform` or `erk`.
    dense_first: keep the first layer dense.
    dense_last: keep the last layer dense.

  Returns:
    float64 array `(n_layers,)` of densities in (0, 1].

  Raises:
    ValueError: on bad shapes, sparsity or distribution.
  """
  arr = _check_shapes(shapes)
  sparsity = _check_sparsity(sparsity)
  _check_distribution(distribution)
  n_layers = arr.shape[0]
  forced = _forced_dense(n_layers, dense_first, dense_last)
  if sparsity == 0 or forced.all():
    return np.ones(n_layers)
  if distribution == "uniform":
    return np.where(forced, 1.0, 1.0 - sparsity)
  sizes = (arr[:, 0] * arr[:, 1]).astype(np.float64)
  raw = (arr[:, 0] + arr[:, 1]).astype(np.float64)
  target = (1.0 - sparsity) * sizes[~forced].sum()
  capped = np.zeros(n_layers, dtype=bool)
  while True:
    free = ~forced & ~capped
    if not free.any():  # float rounding at a tiny sparsity: all dense
      return np.ones(n_layers)
    rest = target - sizes[capped].sum()
    eps = rest / raw[free].sum()
    dens = np.where(free, eps * raw / sizes, 1.0)
    over = free & (dens > 1.0)
    if not over.any():
      return dens
    capped |= over


def layer_budgets(shapes: Sequence[Sequence[int]], sparsity: float,
                  distribution: str = "uniform", *, dense_first: bool = False,
                  dense_last: bool = False) -> np.ndarray:
  """Active-weight counts per layer (see the module docstring).

  `uniform`: `round(density_l * n_in * n_out)` per layer. `erk`: the same
  rounding of its own densities, then adjusted one weight at a time so that
  the total equals the `uniform` total at the same arguments exactly.

  Args: as `layer_densities`.

  Returns:
    int64 array `(n_layers,)`, each in `[0, n_in * n_out]`.
  """
  dens = layer_densities(shapes, sparsity, distribution,
                         dense_first=dense_first, dense_last=dense_last)
  sizes = _check_shapes(shapes).prod(axis=1)
  exact = dens * sizes
  budgets = np.clip(np.rint(exact), 0, sizes).astype(np.int64)
  if distribution != "erk":
    return budgets
  uniform = layer_densities(shapes, sparsity, "uniform",
                            dense_first=dense_first, dense_last=dense_last)
  total = int(np.clip(np.rint(uniform * sizes), 0, sizes).sum())
  adjustable = dens < 1.0
  while budgets.sum() != total:
    step = 1 if budgets.sum() < total else -1
    room = adjustable & ((budgets < sizes) if step > 0 else (budgets > 0))
    if not room.any():  # pragma: no cover - the sparse layers always have room
      break
    gain = np.where(room, step * (exact - budgets), -np.inf)
    budgets[int(np.argmax(gain))] += step
  return budgets


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


def _check_profile(profile: Any) -> None:
  if not isinstance(profile, str) or profile not in MASK_SOURCES:
    raise ValueError(f"profile must be one of {', '.join(MASK_SOURCES)}, "
                     f"got {profile!r}")


def feasible_budgets(profile: str, n_in: int, n_out: int) -> np.ndarray:
  """Every connection count `make_masks` can give one sparse layer of `profile`.

  PSN profiles need `k >= n_out` (>= 1 input per neuron); `random` and
  `erdos_renyi` take any `k >= 0`; `random_biregular` and the circulants any
  `k >= 1`; Dey's families `k = n_in * d_out` with `graphs.dey_budget_degrees`'
  divisibility rules. A dense layer (`k = n_in * n_out`) is always made.

  Args:
    profile: one of `MASK_SOURCES`.
    n_in: inputs of the layer.
    n_out: outputs of the layer.

  Returns:
    int64 array of the reachable counts, ascending.

  Raises:
    ValueError: on an unknown profile.
  """
  _check_profile(profile)
  size = n_in * n_out
  if profile in _DEY_KINDS:
    return np.union1d(graphs.dey_feasible_edges(n_in, n_out,
                                                _DEY_KINDS[profile]), [size])
  low = {"random": 0, "erdos_renyi": 0}.get(
      profile, n_out if profile in PSN_PROFILES else 1)
  return np.arange(low, size + 1, dtype=np.int64)


def _infeasible(profile: str, path: Path, n_in: int, n_out: int, k: int,
                why: str) -> ValueError:
  size = n_in * n_out
  ok = feasible_budgets(profile, n_in, n_out)
  near = [int(x) for x in (ok[ok < k][-1:].tolist() + ok[ok > k][:1].tolist())]
  return ValueError(
      f"profile {profile!r} cannot make kernel {'/'.join(path)} ({n_in} -> "
      f"{n_out}) at density {k / size:.4f} ({k} of {size} weights; {why}): "
      f"nearest feasible densities "
      + ", ".join(f"{x / size:.4f} ({x} weights)" for x in near))


def _source_layer(profile: str, key: jax.Array, path: Path, n_in: int,
                  n_out: int, k: int, cv: Any) -> np.ndarray:
  """One sparse layer (`0 <= k < n_in * n_out`) of a mask source."""
  hub_key, input_key = key
  if profile in ("random", "erdos_renyi"):
    if k == 0:
      return np.zeros((n_in, n_out), dtype=bool)
    return graphs.erdos_renyi(input_key, n_in, n_out, count=k)
  if profile in PSN_PROFILES:
    if k < n_out:
      raise _infeasible(profile, path, n_in, n_out, k,
                        "a PSN profile needs >= 1 input per neuron")
    try:
      fan = profiles.fan_ins(profile, n_out, n_in, k / (n_in * n_out), cv,
                             key=hub_key)
    except ValueError as err:
      raise ValueError(f"kernel {'/'.join(path)}: {err}") from None
    rng = numpy_rng(input_key)
    order = np.argsort(rng.random((n_in, n_out)), axis=0)
    mask = np.zeros((n_in, n_out), dtype=bool)
    np.put_along_axis(mask, order, np.arange(n_in)[:, None] < fan[None, :],
                      axis=0)
    return mask
  if k == 0:
    raise _infeasible(profile, path, n_in, n_out, k, "no connection left")
  if profile == "random_biregular":
    return graphs.random_biregular(input_key, n_in, n_out, edges=k)
  if profile in ("circulant", "circulant_banded"):
    gen = "random" if profile == "circulant" else "contiguous"
    return graphs.circulant(input_key, n_in, n_out, edges=k, generators=gen)
  kind = _DEY_KINDS[profile]
  degrees = graphs.dey_budget_degrees(n_in, n_out, k, kind)
  if degrees is None:
    rule = ("d_out = k / n_in must be an integer"
            + (" dividing n_out" if kind != "basic" else ""))
    raise _infeasible(profile, path, n_in, n_out, k, rule)
  return graphs.dey_layer(input_key, n_in, n_out, degrees, kind)


def _network_kernels(params: Any) -> tuple[list[Path], list[tuple[int, ...]]]:
  """Kernel paths and shapes of one network's params; refuses anything else."""
  paths = kernel_paths(params) if params is not None else []
  if not paths:
    raise ValueError(
        f"params must be a Flax params pytree with at least one 2-D leaf named "
        f"'kernel' (e.g. model.init(...)['params']), got "
        f"{type(params).__name__} with no kernel")
  by_path = dict(_leaves(params))
  shapes = [_shape(by_path[p]) for p in paths]
  for p, s in zip(paths, shapes):
    if len(s) != 2:
      raise ValueError(f"params must be one network's: kernel {'/'.join(p)} "
                       f"must be 2-D, got shape {s}")
  return paths, shapes


def make_masks(key: jax.Array, params: Any, *, sparsity: float,
               distribution: str = "uniform", profile: str = "uniform",
               cv: float | Sequence[float | None] | None = None,
               dense_first: bool = False, dense_last: bool = False) -> Any:
  """Initial masks of one network: per-layer budgets, then a mask source.

  Per sparse layer `l` of shape `(n_in, n_out)` with budget `k_l`
  (`layer_budgets`), and keys `hub_key, input_key = layer_keys(key, l)`:

  * a PSN profile (`PSN_PROFILES`): the fan-ins are
    `profiles.fan_ins(profile, n_out, n_in, k_l / (n_in * n_out), cv_l,
    key=hub_key)` (they sum to `k_l`); each output neuron `j` then connects to
    `fan_in[j]` inputs drawn without replacement: random scores
    `(n_in, n_out)` from `numpy_rng(input_key)`, ranked per column, kept where
    the rank is below the fan-in. Every neuron gets >= 1 input, so `k_l` must
    be >= `n_out`.
  * `random` (and its alias `erdos_renyi`): exactly `k_l` positions drawn
    uniformly at random from the whole layer
    (`graphs.erdos_renyi(input_key, count=k_l)`), so fan-ins are
    hypergeometric and a neuron may get none. With `distribution="erk"` this
    is RigL's ERK start and SET's start.
  * `random_biregular`: `graphs.random_biregular(input_key, edges=k_l)`.
  * `circulant`, `circulant_banded`: `graphs.circulant(input_key, edges=k_l,
    generators="random" / "contiguous")`.
  * `dey_basic`, `dey_clash_free`, `dey_windowed`: `graphs.dey_layer` at
    `graphs.dey_budget_degrees(n_in, n_out, k_l, kind)`; a budget those rules
    cannot reach raises a ValueError naming the nearest feasible densities.

  Dense layers (`k_l = n_in * n_out`, from `sparsity=0`, `dense_first`,
  `dense_last` or ERK capping) are all-True. Same key, same masks, bit for
  bit. `MASK_SOURCES` describes every source in a line.

  Args:
    key: a JAX PRNG key.
    params: one network's Flax params (arrays or `jax.ShapeDtypeStruct`s),
      with at least one 2-D kernel.
    sparsity: sparsity of the sparse layers in [0, 1) (a Python or NumPy
      number or a 0-d numeric array); 0 gives all-True (dense) masks.
    distribution: per-layer allocation, one of `DISTRIBUTIONS`.
    profile: one of `MASK_SOURCES` (`PROFILES`).
    cv: target fan-in CV for every sparse layer (a float), one per kernel (a
      sequence; None entries use the family's default; entries of dense
      layers are ignored), or None (family defaults). Must be None for
      sources that are not PSN profiles.
    dense_first: keep the first kernel dense (outside the budget).
    dense_last: keep the last kernel dense (outside the budget).

  Returns:
    A NumPy bool pytree with the structure of `params`.

  Raises:
    ValueError: on params that are not one network's params pytree, a bad
      sparsity, distribution, profile or cv, or a layer budget the source
      cannot reach.
  """
  sparsity = _check_sparsity(sparsity)
  _check_distribution(distribution)
  _check_profile(profile)
  paths, shapes = _network_kernels(params)
  cvs = _layer_cvs(cv, len(paths))
  if profile not in PSN_PROFILES and any(c is not None for c in cvs):
    raise ValueError(f"cv must be None for profile {profile!r} (cv applies to "
                     f"the PSN profiles only), got {cv!r}")
  budgets = layer_budgets(shapes, sparsity, distribution,
                          dense_first=dense_first, dense_last=dense_last)
  layers = []
  for l, ((n_in, n_out), k) in enumerate(zip(shapes, budgets)):
    k = int(k)
    if k == n_in * n_out:
      layers.append(np.ones((n_in, n_out), dtype=bool))
      continue
    layers.append(_source_layer(profile, layer_keys(key, l), paths[l], n_in,
                                n_out, k, cvs[l]))
  return from_layer_masks(params, layers)


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
    p = tuple(_key_str(k) for k in path)
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


# ---------------------------------------------------------------------------
# Masks fixed before training, from a file (issue 10: Liu et al.'s nearly
# identical starts, PSN's learned vs shuffled hub placement).


def save_mask_file(path: str, masks: Any, seeds: Sequence[int]) -> None:
  """Writes stacked masks (leading seed axis) for `load_mask_file`.

  The file is an `.npz` with `seeds` (int64 `[n_seeds]`), and per kernel
  `bits/<path>` (uint8 `[n_seeds, ceil(n_in n_out / 8)]`, `np.packbits` of the
  row-major kernel) and `shape/<path>` (`[n_in, n_out]`), kernel paths joined
  by "/" (`Dense_0/kernel`). Written through a temporary file and a rename.

  Args:
    path: the file to write.
    masks: a bool mask pytree whose kernels are `[n_seeds, n_in, n_out]`.
    seeds: the seed of each slice, `[n_seeds]`, distinct.
  """
  seeds = [int(s) for s in seeds]
  if len(set(seeds)) != len(seeds) or not seeds:
    raise ValueError(f"seeds must be distinct and non-empty, got {seeds}")
  by_path = dict(_leaves(masks))
  arrays = {"seeds": np.asarray(seeds, np.int64)}
  for p in kernel_paths(masks):
    k = np.asarray(by_path[p])
    if k.dtype != np.bool_ or k.ndim != 3 or k.shape[0] != len(seeds):
      raise ValueError(f"masks kernel {'/'.join(p)} must be bool [n_seeds="
                       f"{len(seeds)}, n_in, n_out], got {k.dtype} {k.shape}")
    name = "/".join(p)
    arrays[f"bits/{name}"] = np.packbits(k.reshape(len(seeds), -1), axis=-1)
    arrays[f"shape/{name}"] = np.asarray(k.shape[1:], np.int64)
  buf = io.BytesIO()
  np.savez(buf, **arrays)
  utils.write_bytes_atomic(path, buf.getvalue())


def load_mask_file(path: str, params: Any, seeds: Sequence[int]) -> Any:
  """Masks of `seeds` from a `save_mask_file` file, stacked on a seed axis.

  Args:
    path: the `.npz` file.
    params: one seed's params pytree (shapes only), e.g. an engine's
      `params_shape`.
    seeds: the seeds to read, in order; each must be in the file.

  Returns:
    A bool pytree mirroring `params` with a leading `[len(seeds)]` axis;
    non-kernel leaves all-True.

  Raises:
    ValueError: a seed or kernel missing from the file, or a shape mismatch.
  """
  with np.load(path) as z:
    stored = [int(s) for s in z["seeds"]]
    missing = [s for s in seeds if s not in stored]
    if missing:
      raise ValueError(f"init masks file {path} lacks seeds {missing} (has "
                       f"{stored})")
    rows = [stored.index(int(s)) for s in seeds]
    layers = []
    for p in kernel_paths(params):
      name = "/".join(p)
      if f"bits/{name}" not in z.files:
        raise ValueError(f"init masks file {path} lacks kernel {name}")
      n_in, n_out = (int(d) for d in z[f"shape/{name}"])
      want = _shape(dict(_leaves(params))[p])
      if (n_in, n_out) != tuple(want[-2:]):
        raise ValueError(f"init masks file {path}: kernel {name} is {n_in} x "
                         f"{n_out}, the model needs {want[-2:]}")
      bits = z[f"bits/{name}"][rows]
      flat = np.unpackbits(bits, axis=-1, count=n_in * n_out).astype(bool)
      layers.append(flat.reshape(len(rows), n_in, n_out))
  per_seed = [from_layer_masks(params, [m[i] for m in layers])
              for i in range(len(rows))]
  return jax.tree.map(lambda *m: np.stack(m), *per_seed)
