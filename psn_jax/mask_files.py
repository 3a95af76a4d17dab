"""Masks fixed before training, in a file: one `.npz` of stacked per-seed masks.

For starts that are not drawn from a mask source: Liu et al.'s nearly
identical starts (`psn_jax.masks.perturb_masks`), PSN's learned vs shuffled
hub placement. `psn_jax.runner.build_masks` reads the file of a config's
`init_masks`.
"""

from __future__ import annotations

import io
from typing import Any, Sequence

import numpy as np

from psn_jax import utils
from psn_jax.mask_tree import from_layer_masks
from psn_jax.mask_tree import kernel_paths
from psn_jax.mask_tree import leaf_shape
from psn_jax.mask_tree import path_leaves

__all__ = ["save_mask_file", "load_mask_file"]


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
  by_path = dict(path_leaves(masks))
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
      want = leaf_shape(dict(path_leaves(params))[p])
      if (n_in, n_out) != tuple(want[-2:]):
        raise ValueError(f"init masks file {path}: kernel {name} is {n_in} x "
                         f"{n_out}, the model needs {want[-2:]}")
      bits = z[f"bits/{name}"][rows]
      flat = np.unpackbits(bits, axis=-1, count=n_in * n_out).astype(bool)
      layers.append(flat.reshape(len(rows), n_in, n_out))
  return utils.stack_trees([from_layer_masks(params, [m[i] for m in layers])
                            for i in range(len(rows))])
