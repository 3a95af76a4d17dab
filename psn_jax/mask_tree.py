"""Mask pytrees mirroring Flax params: kernel paths, layer order, conversion.

A network's masks have the structure of its Flax params pytree. Kernel leaves
(leaves named `kernel` with `ndim >= 2`; the last two axes are `(n_in, n_out)`
and any leading axes are seed axes) are masked; every other leaf (biases) is
all-True. Leaves are NumPy bool arrays made on the host; jax converts them when
they enter a jitted function.

Any Flax model (issue 21): `select_paths(params, rule)` picks the leaves to
make sparse by a regular expression over their "/"-joined path (the rule
style of big_vision's and jaxpruner's path filters), by default
`DEFAULT_RULE`, the leaves named `kernel` (Dense and Conv kernels; biases,
norm scales and embeddings stay dense). A selected leaf of shape
`(..., n_out)` is one layer whose output neurons are its last axis and whose
fan-in is the product of the other axes: a Conv kernel `(kh, kw, c_in,
c_out)` is the matrix `(kh * kw * c_in, c_out)` (`matrix_shape`,
`as_matrix`), each output channel one neuron.

Layer order is the natural sort of the kernel paths (digit runs compare as
numbers, so `Dense_2` comes before `Dense_10`). Flax's automatic names
(`Dense_0`, `Dense_1`, ...) therefore come out in forward order; modules with
hand-chosen names must be named so that they sort in forward order.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from psn_jax import utils

__all__ = ["Path", "kernel_paths", "named_kernels", "layer_masks",
           "from_layer_masks", "path_leaves", "leaf_shape", "key_str",
           "DEFAULT_RULE", "check_rule", "select_paths", "matrix_shape",
           "as_matrix", "matrix_view", "fill_masks", "apply_masks", "count_active",
           "sparsity_of"]

Path = tuple[str, ...]


def key_str(k: Any) -> str:
  """One key of a `jax.tree_util` path as a string (dict key, attribute name
  or sequence index)."""
  for attr in ("key", "name", "idx"):
    if hasattr(k, attr):
      return str(getattr(k, attr))
  return str(k)


def _natural(path: Path) -> tuple:
  """Sort key: each path component by `utils.natural_key`."""
  return tuple(utils.natural_key(part) for part in path)


def leaf_shape(leaf: Any) -> tuple[int, ...]:
  """The shape of an array, `jax.ShapeDtypeStruct` or array-like leaf."""
  return tuple(getattr(leaf, "shape", np.shape(leaf)))


def _is_kernel(path: Path, leaf: Any) -> bool:
  return bool(path) and path[-1] == "kernel" and len(leaf_shape(leaf)) >= 2


def path_leaves(tree: Any) -> list[tuple[Path, Any]]:
  """`(path of string keys, leaf)` for every leaf of `tree`, in tree order."""
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return [(tuple(key_str(k) for k in path), leaf) for path, leaf in flat]


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
  paths = [p for p, leaf in path_leaves(params) if _is_kernel(p, leaf)]
  return sorted(paths, key=_natural)


def named_kernels(tree: Any) -> list[tuple[str, Any]]:
  """(name, kernel leaf) pairs in forward order, leaves untouched.

  The name is the kernel's path without its final "kernel", joined by "/"
  (e.g. "Dense_0"). Unlike `layer_masks`, leaves are not converted, so this
  works on traced arrays inside `jit`.
  """
  by_path = dict(path_leaves(tree))
  return [("/".join(p[:-1]), by_path[p]) for p in kernel_paths(tree)]


def layer_masks(masks: Any) -> list[Any]:
  """The kernel leaves of a mask pytree, in forward order.

  Args:
    masks: a mask pytree (or any params-structured pytree).

  Returns:
    The kernel leaves as NumPy arrays (`(n_in, n_out)`, with any leading seed
    axes kept); `jax.ShapeDtypeStruct` leaves are returned as they are.
  """
  by_path = dict(path_leaves(masks))
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
  shapes = dict(path_leaves(params))
  for i, p in enumerate(paths):
    if np.shape(layers[i]) != leaf_shape(shapes[p]):
      raise ValueError(f"layers[{i}] must have the shape of {'/'.join(p)} "
                       f"{leaf_shape(shapes[p])}, got {np.shape(layers[i])}")

  def leaf_mask(path, leaf):
    p = tuple(key_str(k) for k in path)
    if p in index:
      return np.asarray(layers[index[p]], dtype=bool)
    return np.ones(leaf_shape(leaf), dtype=bool)

  return jax.tree_util.tree_map_with_path(leaf_mask, params)


# The default sparse leaves: every leaf named `kernel` (Dense and Conv).
DEFAULT_RULE: str = r"(.*/)?kernel"


def check_rule(rule: Any) -> re.Pattern:
  """`rule` compiled: a regular expression matched (`re.fullmatch`) against
  each leaf's "/"-joined path, e.g. `"Dense_.*/kernel"`; None means
  `DEFAULT_RULE`.

  Raises:
    ValueError: one line naming the rule when it is not a string or does not
      compile.
  """
  if rule is None:
    rule = DEFAULT_RULE
  if not isinstance(rule, str) or not rule:
    raise ValueError(f"mask rule must be a non-empty regular expression over "
                     f"'/'-joined param paths (e.g. 'Dense_.*/kernel'), got "
                     f"{rule!r}")
  try:
    return re.compile(rule)
  except re.error as err:
    raise ValueError(f"mask rule {rule!r} is not a regular expression: "
                     f"{err}") from None


def select_paths(params: Any, rule: str | None = None) -> list[Path]:
  """The paths of the leaves `rule` makes sparse, in natural layer order.

  A leaf is selected when its "/"-joined path (e.g. `Conv_0/kernel`,
  `Block_1/Dense_0/kernel`) matches `rule` in full (`re.fullmatch`). With
  `rule=None`, `DEFAULT_RULE` (every leaf named `kernel`). Only leaves with
  at least two axes can be sparse: the last axis holds the output neurons,
  the others their inputs (`matrix_shape`).

  Args:
    params: one network's Flax params (arrays or `jax.ShapeDtypeStruct`s).
    rule: a regular expression, or None.

  Returns:
    The selected paths, sorted naturally (`Dense_2` before `Dense_10`).

  Raises:
    ValueError: one line each for a bad rule, a rule that selects no leaf
      (the line lists the leaves), and a selected leaf with fewer than two
      axes (a bias, a norm scale: the line names it and its shape).
  """
  pattern = check_rule(rule)
  leaves = path_leaves(params)
  chosen = [(p, leaf) for p, leaf in leaves if pattern.fullmatch("/".join(p))]
  if not chosen:
    names = ", ".join("/".join(p) for p, _ in leaves[:8])
    more = f" and {len(leaves) - 8} more" if len(leaves) > 8 else ""
    raise ValueError(f"mask rule {pattern.pattern!r} selects no leaf of "
                     f"params (leaves: {names or 'none'}{more})")
  for p, leaf in chosen:
    if len(leaf_shape(leaf)) < 2:
      raise ValueError(
          f"mask rule {pattern.pattern!r} selects {'/'.join(p)} of shape "
          f"{leaf_shape(leaf)}, which no source can shape: only leaves with "
          f">= 2 axes (a Dense (n_in, n_out) or Conv (kh, kw, c_in, c_out) "
          f"kernel) can be sparse")
  return sorted((p for p, _ in chosen), key=_natural)


def matrix_shape(shape: Sequence[int]) -> tuple[int, int]:
  """`(fan-in size, n_out)` of a kernel shape: `(prod(shape[:-1]),
  shape[-1])`; a Conv kernel `(kh, kw, c_in, c_out)` gives `(kh * kw * c_in,
  c_out)`."""
  shape = tuple(int(d) for d in shape)
  return int(np.prod(shape[:-1], dtype=np.int64)), shape[-1]


def as_matrix(kernel: Any) -> Any:
  """A kernel (or mask) as its `(fan-in size, n_out)` matrix: row-major over
  the input axes, so column j holds output neuron j's inputs. 2-D leaves are
  returned as they are."""
  if np.ndim(kernel) == 2:
    return kernel
  return kernel.reshape(matrix_shape(leaf_shape(kernel)))


def matrix_view(tree: Any) -> Any:
  """`tree` with every leaf of > 2 axes as its `as_matrix` (a Conv kernel
  or mask as `(kh * kw * c_in, c_out)`); 2-D and 1-D leaves are the same
  objects, so an MLP's tree is unchanged. Works on tracers (one seed)."""
  return jax.tree.map(lambda x: as_matrix(x) if np.ndim(x) > 2 else x, tree)


def fill_masks(params: Any, chosen: dict[Path, Any]) -> Any:
  """The mask pytree of `params`: the leaves in `chosen` take their mask
  (NumPy bool, reshaped to the leaf's shape), every other leaf is all-True.

  Raises:
    ValueError: a mask whose size differs from its leaf's.
  """
  def leaf_mask(path, leaf):
    p = tuple(key_str(k) for k in path)
    shape = leaf_shape(leaf)
    if p not in chosen:
      return np.ones(shape, dtype=bool)
    mask = np.asarray(chosen[p], dtype=bool)
    if mask.size != int(np.prod(shape, dtype=np.int64)):
      raise ValueError(f"mask of {'/'.join(p)} must have {shape}'s size, got "
                       f"shape {mask.shape}")
    return mask.reshape(shape)

  return jax.tree_util.tree_map_with_path(leaf_mask, params)


# Masks applied and counted (moved from psn_jax.masks, which re-exports them).


def _check_masks(masks: Any, params: Any = None) -> None:
  """Refuses what is not a bool mask pytree (of `params`' structure).

  Checks dtypes and shapes only, so it also runs on tracers under `jit`.
  Without it a float array counted as all-True (any nonzero is True), a
  Flax variables dict `{"params": ...}` was taken as a network whose layers
  are named `params/...`, and a shape mismatch surfaced as a broadcasting
  error that named no layer.

  Raises:
    ValueError: one line naming the argument and the leaf (layer path).
  """
  for what, tree in (("masks", masks), ("params", params)):
    if isinstance(tree, Mapping) and list(tree) == ["params"]:
      raise ValueError(f"{what} must be the params pytree ({{'Dense_0': ...}}),"
                       f" got a Flax variables dict: pass {what}['params']")
  mask_leaves = path_leaves(masks)
  for path, leaf in mask_leaves:
    dtype = getattr(leaf, "dtype", None)
    dtype = np.asarray(leaf).dtype if dtype is None else np.dtype(dtype)
    if dtype != np.bool_:
      raise ValueError(f"masks must be bool arrays: {'/'.join(path)} has dtype "
                       f"{dtype} (for a 0/1 array m, pass m > 0)")
  if params is None:
    return
  param_leaves = dict(path_leaves(params))
  mask_paths = [p for p, _ in mask_leaves]
  for side, paths, other in (("masks", param_leaves, mask_paths),
                             ("params", mask_paths, param_leaves)):
    missing = [p for p in paths if p not in other]
    if missing:
      raise ValueError(f"masks must have the structure of params: "
                       f"{'/'.join(missing[0])} is missing from {side}")
  for path, m in mask_leaves:
    ms, ps = leaf_shape(m), leaf_shape(param_leaves[path])
    if len(ms) > len(ps) or ps[len(ps) - len(ms):] != ms:
      raise ValueError(f"masks must have the shapes of params (leading seed "
                       f"axes aside): {'/'.join(path)} is {ms} in masks, {ps} "
                       f"in params")


def apply_masks(params: Any, masks: Any) -> Any:
  """`params` with masked-out entries set to 0 (`jnp.where`; jit-compatible).

  Works with extra leading (seed) axes on both trees, or on `params` only
  (masks broadcast).

  Raises:
    ValueError: `masks` is not a bool pytree with `params`' structure and
      (trailing) shapes; the message names the layer.
  """
  _check_masks(masks, params)
  return jax.tree.map(lambda p, m: jnp.where(m, p, 0), params, masks)


def count_active(masks: Any) -> list[int]:
  """Active (True) entries of each kernel mask, in forward order.

  For stacked masks (leading seed axes) the count is the total over seeds.

  Raises:
    ValueError: `masks` is not a bool mask pytree (a float array, a Flax
      variables dict).
  """
  _check_masks(masks)
  return [int(np.count_nonzero(m)) for m in layer_masks(masks)]


def sparsity_of(masks: Any) -> float:
  """Fraction of inactive kernel entries over all kernels (biases excluded).

  Raises:
    ValueError: `masks` is not a bool mask pytree (a float array, a Flax
      variables dict).
  """
  _check_masks(masks)
  layers = layer_masks(masks)
  total = sum(int(np.size(m)) for m in layers)
  if total == 0:
    return 0.0
  return 1.0 - sum(int(np.count_nonzero(m)) for m in layers) / total
