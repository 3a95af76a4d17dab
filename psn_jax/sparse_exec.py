"""Sparse execution of a trained sparse MLP: work proportional to the
active connections, not to the dense shape.

The engine (`psn_jax.train`) multiplies masked dense matrices,
`x @ where(mask, W, 0)`: a 99%-sparse layer costs what its dense twin costs,
in time and in memory. `compile_mlp(params, masks, layout)` turns one seed's
trained `psn_jax.models.MLP` (params and bool masks, kernels `(n_in, n_out)`)
into a `SparseMLP` whose `forward(net, x)` computes the same logits
(`x -> [Dense -> ReLU] * hidden -> Dense`, no dropout: inference) with one of
these layouts per sparse layer:

* `"gather"` (ELL by fan-in): each output neuron `j` keeps the row indices of
  its active inputs, padded to the layer's largest fan-in `K`:
  `idx (n_out, K) int32`, `w (n_out, K) float32` (0 on padding). The layer is
  `y[:, j] = sum_k x[:, idx[j, k]] * w[j, k]`: `batch * n_out * K`
  multiply-adds, i.e. proportional to the active count when fan-ins are equal
  (PSN's `uniform` profile) and to `n_out * max fan-in` otherwise.
* `"bcoo"`: `jax.experimental.sparse.BCOO` with exactly `nnz` stored entries
  (`data (nnz,)`, `indices (nnz, 2)`), multiplied by `bcoo_dot_general`
  (gather and scatter-add over the `nnz` entries).
* `"dense"`: the masked dense kernel, the engine's own computation (the
  reference the others are checked against and timed against).

A layer whose mask is all True (`dense_first`, `dense_last`) is always
executed dense. Outputs equal the masked dense model's up to float32
rounding (the sums run in another order), tested on every mask source in
`tests/test_sparse_exec.py`. `stored_bytes` is the memory of a layout's
parameters (values and indices, biases included).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import sparse as jsparse

from psn_jax import utils

__all__ = ["LAYOUTS", "DenseLayer", "GatherLayer", "BCOOLayer", "SparseMLP",
           "gather_layout", "compile_mlp",
           "compile_all", "forward", "masked_forward", "stored_bytes",
           "active_connections", "flops"]

LAYOUTS: tuple[str, ...] = ("dense", "gather", "bcoo")

Params = Any


class DenseLayer(NamedTuple):
  """A dense (or masked dense) layer: `kernel (n_in, n_out)`, `bias (n_out,)`."""

  kernel: jax.Array
  bias: jax.Array


class GatherLayer(NamedTuple):
  """The ELL layout by fan-in: `idx`, `w` (n_out, K), `bias (n_out,)`."""

  idx: jax.Array
  w: jax.Array
  bias: jax.Array


class BCOOLayer(NamedTuple):
  """`matrix`: a `jax.experimental.sparse.BCOO` (n_in, n_out); `bias`."""

  matrix: jsparse.BCOO
  bias: jax.Array


class SparseMLP(NamedTuple):
  """One seed's MLP in an execution layout: `layers`, one `DenseLayer`,
  `GatherLayer` or `BCOOLayer` per layer in forward order (a pytree of
  arrays, so `jax.jit(forward)(net, x)` traces it)."""

  layers: tuple

  @property
  def layout(self) -> str:
    """The layout of the sparse layers ("dense" when there are none)."""
    kinds = {type(l) for l in self.layers}
    return ("gather" if GatherLayer in kinds else
            "bcoo" if BCOOLayer in kinds else "dense")


def _check_layout(layout: str) -> None:
  if layout not in LAYOUTS:
    raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got "
                     f"{layout!r}")


def _layer_names(params: Params) -> list[str]:
  names = [k for k in params if "kernel" in params[k]]
  return utils.natural_order(names)


def gather_layout(kernel: np.ndarray, mask: np.ndarray,
                  width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
  """The ELL layout of one masked kernel, by fan-in.

  Args:
    kernel: float (n_in, n_out).
    mask: bool (n_in, n_out).
    width: pad K to at least this (<= n_in), so that networks of one shape
      with different fan-ins share one compiled program; None: no padding.

  Returns:
    `(idx, w)`, both (n_out, K) with K = the largest fan-in (at least 1, at
    least `width`):
    `idx[j, :f_j]` the active inputs of neuron j in increasing order and
    `w[j, :f_j]` their weights; padding has index 0 and weight 0.
  """
  kernel = np.asarray(kernel, np.float32)
  mask = np.asarray(mask, bool)
  n_in, n_out = mask.shape
  fan_in = mask.sum(axis=0)
  width = max(1, int(fan_in.max()) if n_out else 1, min(width or 0, n_in))
  # Stable sort of each column: active rows first, in increasing row order.
  order = np.argsort(~mask, axis=0, kind="stable")[:width].T   # (n_out, K)
  valid = np.arange(width)[None, :] < fan_in[:, None]
  idx = np.where(valid, order, 0).astype(np.int32)
  w = np.where(valid, kernel.T[np.arange(n_out)[:, None], order], 0.0)
  return idx, w.astype(np.float32)


def compile_mlp(params: Params, masks: Params, layout: str = "gather", *,
                fan_in_width: int | None = None) -> SparseMLP:
  """One seed's trained MLP as a `SparseMLP` of `layout` (host-side, once).

  Args:
    params: Flax params of `psn_jax.models.MLP` (`Dense_i/{kernel, bias}`),
      one seed (no leading seed axis).
    masks: bool pytree with the params' structure.
    layout: "gather", "bcoo" or "dense".
    fan_in_width: the gather layout's K is at least this (`gather_layout`).

  Raises:
    ValueError: one line naming `layout` and the allowed values.
  """
  _check_layout(layout)
  layers = []
  for name in _layer_names(params):
    kernel = np.asarray(params[name]["kernel"], np.float32)
    mask = np.asarray(masks[name]["kernel"], bool)
    bias = jnp.asarray(params[name]["bias"], jnp.float32)
    kind = "dense" if layout == "dense" or mask.all() else layout
    if kind == "dense":
      layers.append(DenseLayer(jnp.asarray(np.where(mask, kernel, 0.0)), bias))
    elif kind == "gather":
      idx, w = gather_layout(kernel, mask, fan_in_width)
      layers.append(GatherLayer(jnp.asarray(idx), jnp.asarray(w), bias))
    else:
      nnz = int(mask.sum())
      matrix = jsparse.BCOO.fromdense(
          jnp.asarray(np.where(mask, kernel, 0.0)), nse=max(nnz, 1))
      if nnz == 0:  # one explicit zero so that shapes stay valid
        matrix = jsparse.BCOO((jnp.zeros((1,), jnp.float32),
                               jnp.zeros((1, 2), jnp.int32)),
                              shape=mask.shape)
      layers.append(BCOOLayer(matrix, bias))
  return SparseMLP(tuple(layers))


# Largest intermediate of a sparse layer, in elements (128 MiB of float32):
# larger batches run in chunks of examples (`lax.map`), so the memory of a
# very wide sparse layer stays bounded by its active count, not its shape.
CHUNK_ELEMENTS = 2 ** 25


def _sparse_product(layer: Any, x: jax.Array) -> jax.Array:
  if isinstance(layer, GatherLayer):
    # (batch, n_out, K) gathered inputs, weighted and summed over K.
    return jnp.einsum("bok,ok->bo", x[:, layer.idx], layer.w)
  return jsparse.bcoo_dot_general(
      layer.matrix, x, dimension_numbers=(([0], [1]), ([], []))).T


def _apply_layer(layer: Any, x: jax.Array) -> jax.Array:
  if isinstance(layer, DenseLayer):
    return x @ layer.kernel + layer.bias
  per_example = (int(np.prod(layer.idx.shape)) if isinstance(layer, GatherLayer)
                 else int(layer.matrix.nse))
  chunk = max(1, CHUNK_ELEMENTS // max(per_example, 1))
  batch = x.shape[0]
  if batch <= chunk:
    return _sparse_product(layer, x) + layer.bias
  n = -(-batch // chunk)
  xs = jnp.pad(x, ((0, n * chunk - batch), (0, 0))).reshape(n, chunk, -1)
  ys = jax.lax.map(lambda xc: _sparse_product(layer, xc), xs)
  return ys.reshape(n * chunk, -1)[:batch] + layer.bias


def forward(net: SparseMLP, x: jax.Array) -> jax.Array:
  """Logits (batch, classes) of `net` on `x` (batch, n_in); jit-compatible
  (`jax.jit(forward)` with `net` as an argument: its arrays are traced)."""
  layers = net.layers
  for i, layer in enumerate(layers):
    x = _apply_layer(layer, x)
    if i < len(layers) - 1:
      x = jax.nn.relu(x)
  return x


def masked_forward(params: Params, masks: Params, x: jax.Array) -> jax.Array:
  """The engine's inference: the masked dense MLP (`psn_jax.models.MLP`
  with `where(mask, W, 0)`), without Flax, for timing beside `forward`."""
  names = _layer_names(params)
  for i, name in enumerate(names):
    w = jnp.where(masks[name]["kernel"], params[name]["kernel"], 0.0)
    x = x @ w + params[name]["bias"]
    if i < len(names) - 1:
      x = jax.nn.relu(x)
  return x


def _nbytes(a: Any) -> int:
  return int(np.prod(a.shape)) * np.dtype(a.dtype).itemsize


def stored_bytes(net: SparseMLP, *, with_mask: bool = False) -> int:
  """Bytes of `net`'s parameters as stored for execution: values, indices
  and biases. `with_mask` adds one byte per kernel entry to dense layers (the
  engine keeps a bool mask beside each masked dense kernel)."""
  total = 0
  for layer in net.layers:
    total += _nbytes(layer.bias)
    if isinstance(layer, DenseLayer):
      total += _nbytes(layer.kernel)
      if with_mask:
        total += int(np.prod(layer.kernel.shape))
    elif isinstance(layer, GatherLayer):
      total += _nbytes(layer.idx) + _nbytes(layer.w)
    else:
      total += _nbytes(layer.matrix.data) + _nbytes(layer.matrix.indices)
  return total


def active_connections(masks: Params) -> list[int]:
  """Active connections per kernel, in forward order."""
  return [int(np.asarray(masks[n]["kernel"]).sum())
          for n in _layer_names(masks)]


def flops(net: SparseMLP, batch: int = 1) -> int:
  """Multiply-adds x 2 that `forward` performs on `batch` examples (padding
  of the gather layout included; BCOO: its stored entries)."""
  total = 0
  for layer in net.layers:
    if isinstance(layer, DenseLayer):
      total += int(np.prod(layer.kernel.shape))
    elif isinstance(layer, GatherLayer):
      total += int(np.prod(layer.idx.shape))
    else:
      total += int(layer.matrix.nse)
  return 2 * batch * total


def compile_all(params: Params, masks: Params,
                layouts: Sequence[str] = LAYOUTS) -> dict[str, SparseMLP]:
  """`compile_mlp` for each of `layouts`."""
  return {lay: compile_mlp(params, masks, lay) for lay in layouts}
