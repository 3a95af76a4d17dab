"""Multi-layer perceptrons with fan-in-aware initialisation for sparse layers."""

from __future__ import annotations

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
    params: Flax params of one seed (vmap for several); kernels `(n_in, n_out)`.
    masks: bool pytree with the structure of `params`.

  Returns:
    Params with the same structure, masked and rescaled.
  """

  def rescale(p, m):
    if p.ndim != 2:
      return jnp.where(m, p, 0)
    n_in = p.shape[0]
    fan_in = m.sum(axis=0, keepdims=True)
    scale = jnp.sqrt(n_in / jnp.maximum(fan_in, 1)).astype(p.dtype)
    return jnp.where(m, p * scale, 0)

  return jax.tree.map(rescale, params, masks)
