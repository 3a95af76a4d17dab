"""The models the engine trains: an MLP and two CNNs, with fan-in-aware
initialisation for sparse layers.

* `MLP`: ReLU MLP (the psn-jax default; LeNet-300-100 and Dey's MLPs).
* `CNN` with `LENET5` (LeCun et al. 1998: conv 6@5x5, pool, conv 16@5x5,
  pool, then the fully connected layers `hidden`, e.g. (120, 84)) or
  `CONV_BLOCKS` (two blocks of conv 3x3 + ReLU + 2x2 max pool, 32 and 64
  channels, then `hidden`): every CNN takes the engine's flat input `(batch,
  h * w * c)` and reshapes it to `image_shape` itself, so the data pipeline
  is the MLP's. `make_model(config, input_dim, num_classes)` picks one from
  the optional config field `model` (`MODELS`; absent = "mlp").

Layers are `Conv` and `Dense` (Flax auto-names `Conv_0, ..., Dense_0, ...`,
which sort in forward order), whose bias gradients are fixed-order sums
(`add_bias`), so a seed trains alike alone and under `vmap`.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from psn_jax import utils

Params = Any

# He et al. 2015 for ReLU layers; LeCun for the linear output layer.
_HIDDEN_INIT = nn.initializers.variance_scaling(2.0, "fan_in", "truncated_normal")
_OUTPUT_INIT = nn.initializers.variance_scaling(1.0, "fan_in", "truncated_normal")


@jax.custom_vjp
def add_bias(y: jax.Array, bias: jax.Array) -> jax.Array:
  """`y + bias` whose bias gradient is a fixed-order sum over the batch.

  Autodiff would reduce the (batch, n_out) cotangent with a plain `sum`, which
  XLA may order differently for a seed inside `vmap` than for the same seed
  alone; `utils.fixed_order_sum` makes a seed's training bitwise the same
  either way.
  """
  return y + bias


def _add_bias_fwd(y, bias):
  return y + bias, None


def _add_bias_bwd(_, g):
  return g, utils.fixed_order_sum(g.reshape(-1, g.shape[-1]), axis=0)


add_bias.defvjp(_add_bias_fwd, _add_bias_bwd)


class Dense(nn.Module):
  """`x @ kernel + bias` with a (n_in, n_out) kernel; see `add_bias`."""

  features: int
  kernel_init: nn.initializers.Initializer = _HIDDEN_INIT

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    kernel = self.param("kernel", self.kernel_init,
                        (x.shape[-1], self.features), jnp.float32)
    bias = self.param("bias", nn.initializers.zeros, (self.features,),
                      jnp.float32)
    return add_bias(x @ kernel, bias)


class Conv(nn.Module):
  """A 2-D convolution, NHWC, kernel `(kh, kw, c_in, features)` (Flax's
  layout: a mask shapes its `(kh * kw * c_in, features)` matrix per output
  channel), stride 1, He initialisation, bias added by `add_bias`."""

  features: int
  kernel_size: int = 3
  padding: str = "SAME"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    k = self.kernel_size
    kernel = self.param("kernel", _HIDDEN_INIT, (k, k, x.shape[-1],
                                                 self.features), jnp.float32)
    bias = self.param("bias", nn.initializers.zeros, (self.features,),
                      jnp.float32)
    y = jax.lax.conv_general_dilated(
        x, kernel, (1, 1), self.padding,
        dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return add_bias(y, bias)


# (features, kernel size, padding) per conv layer; each is followed by ReLU
# and a 2x2 max pool.
LENET5: tuple[tuple[int, int, str], ...] = ((6, 5, "SAME"), (16, 5, "VALID"))
CONV_BLOCKS: tuple[tuple[int, int, str], ...] = ((32, 3, "SAME"),
                                                 (64, 3, "SAME"))
MODELS: dict[str, tuple[tuple[int, int, str], ...] | None] = {
    "mlp": None, "lenet5": LENET5, "conv_blocks": CONV_BLOCKS}


class CNN(nn.Module):
  """Conv layers (each + ReLU + 2x2 max pool), flatten, then an MLP head.

  Attributes:
    convs: `(features, kernel size, padding)` per conv layer (`LENET5`,
      `CONV_BLOCKS`).
    hidden: widths of the fully connected hidden layers (may be empty).
    num_classes: width of the classification layer.
    image_shape: `(h, w, c)` the flat input is reshaped to.
  """

  convs: Sequence[tuple[int, int, str]] = LENET5
  hidden: Sequence[int] = (120, 84)
  num_classes: int = 10
  image_shape: tuple[int, int, int] = (28, 28, 1)

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False) -> jax.Array:
    """Maps `x` (batch, h * w * c) to logits (batch, num_classes)."""
    del train  # no dropout
    x = x.reshape((x.shape[0],) + tuple(self.image_shape))
    for features, size, padding in self.convs:
      x = nn.relu(Conv(features, size, padding)(x))
      x = nn.max_pool(x, (2, 2), strides=(2, 2))
    x = x.reshape(x.shape[0], -1)
    for width in self.hidden:
      x = nn.relu(Dense(width, kernel_init=_HIDDEN_INIT)(x))
    return Dense(self.num_classes, kernel_init=_OUTPUT_INIT)(x)


def image_shape(input_dim: int) -> tuple[int, int, int]:
  """`(side, side, c)` of a flat square image of `input_dim` values, with
  one channel if possible, else three.

  Raises:
    ValueError: `input_dim` is no square image of 1 or 3 channels.
  """
  for c in (1, 3):
    side = math.isqrt(input_dim // c) if input_dim % c == 0 else 0
    if side > 0 and side * side * c == input_dim:
      return side, side, c
  raise ValueError(f"a CNN needs square images of 1 or 3 channels: input "
                   f"width {input_dim} is neither s*s nor s*s*3 (input_pad "
                   f"must be 0)")


def make_model(config: Any, input_dim: int, num_classes: int) -> nn.Module:
  """The model of a training config: `config.model` (optional field, absent
  = "mlp"), `config.hidden` the fully connected widths, `config.dropout`
  (MLP only).

  Raises:
    ValueError: an unknown model, a CNN with dropout or non-image input (one
      line naming the field).
  """
  name = config.get("model", "mlp")
  if name not in MODELS:
    raise ValueError(f"model must be one of {', '.join(MODELS)}, got "
                     f"{name!r}")
  dropout = float(config.get("dropout", 0.0))
  if MODELS[name] is None:
    return MLP(hidden=tuple(config.hidden), num_classes=num_classes,
               dropout=dropout)
  if dropout:
    raise ValueError(f"dropout must be 0 for model {name!r} (the CNNs have "
                     f"none), got {dropout}")
  return CNN(convs=MODELS[name], hidden=tuple(config.hidden),
             num_classes=num_classes, image_shape=image_shape(input_dim))


class MLP(nn.Module):
  """A ReLU MLP: `x -> [Dense -> ReLU] * len(hidden) -> Dense(num_classes)`.

  Layers are the Flax auto-named `Dense_0 ... Dense_{len(hidden)}`, so
  `MLP(...).init(key, x)["params"]` is a plain params pytree whose kernels are
  `(n_in, n_out)`, the layout every mask in psn-jax uses.

  Attributes:
    hidden: widths of the hidden layers, e.g. (300, 100) (LeNet-300-100) or
      (1000, 1000, 1000).
    num_classes: width of the output layer (logits).
    dropout: rate of the (inverted) dropout after each hidden ReLU, as in the
      sparse MLPs of Liu et al. 2020 (Topological insights into sparse neural
      networks); 0 disables it. It is active only with `train=True`, which
      needs a `"dropout"` PRNG key in `apply(..., rngs=...)`.
  """

  hidden: Sequence[int] = (300, 100)
  num_classes: int = 10
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False) -> jax.Array:
    """Maps `x` of shape (batch, n_in) to logits of shape (batch, num_classes).

    `train=True` applies dropout (evaluation is deterministic).
    """
    for width in self.hidden:
      x = nn.relu(Dense(width, kernel_init=_HIDDEN_INIT)(x))
      if self.dropout > 0:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return Dense(self.num_classes, kernel_init=_OUTPUT_INIT)(x)


def rescale_for_fan_in(params: Params, masks: Params) -> Params:
  """Rescales each neuron's incoming weights to its true fan-in under the mask.

  Dense initialisers draw with variance `c / n_in`. A sparse neuron with fan-in
  `f_j < n_in` then starts with a pre-activation variance `f_j / n_in` times too
  small, which starves sparse neurons and over-drives hubs. Multiplying column
  `j` by `sqrt(n_in / f_j)` gives variance `c / f_j`, the He/LeCun rule applied
  per neuron (the "sparsity-aware" initialisation of Evci et al. 2022, Gradient
  Flow in Sparse Neural Networks, and Liu et al. 2019). Neurons with fan-in 0
  are left as they are (their weights are all masked). Masked weights are
  zeroed.

  Args:
    params: Flax params of one seed (vmap for several); kernels `(n_in,
      n_out)` or Conv `(kh, kw, c_in, c_out)` (fan-in over `kh * kw * c_in`).
    masks: bool pytree with the structure of `params`.

  Returns:
    Params with the same structure, masked and rescaled.
  """

  def rescale(p, m):
    if p.ndim < 2:
      return jnp.where(m, p, 0)
    if p.ndim > 2:  # a Conv kernel: fan-in over (kh, kw, c_in) per channel
      return rescale(p.reshape(-1, p.shape[-1]),
                     m.reshape(-1, m.shape[-1])).reshape(p.shape)
    n_in = p.shape[0]
    fan_in = m.sum(axis=0, keepdims=True)
    scale = jnp.sqrt(n_in / jnp.maximum(fan_in, 1)).astype(p.dtype)
    return jnp.where(m, p * scale, 0)

  return jax.tree.map(rescale, params, masks)
