"""Mask pytrees mirroring Flax params: kernel paths, layer order, conversion.

A network's masks have the structure of its Flax params pytree. Kernel leaves
(leaves named `kernel` with `ndim >= 2`; the last two axes are `(n_in, n_out)`
and any leading axes are seed axes) are masked; every other leaf (biases) is
all-True. Leaves are NumPy bool arrays made on the host; jax converts them when
they enter a jitted function.

Layer order is the natural sort of the kernel paths (digit runs compare as
numbers, so `Dense_2` comes before `Dense_10`). Flax's automatic names
(`Dense_0`, `Dense_1`, ...) therefore come out in forward order; modules with
hand-chosen names must be named so that they sort in forward order.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import numpy as np

from psn_jax import utils

__all__ = ["Path", "kernel_paths", "named_kernels", "layer_masks",
           "from_layer_masks", "path_leaves", "leaf_shape", "key_str"]

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
