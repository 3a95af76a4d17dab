"""The pieces of one training step: schedules, optimizer, loss and gradients,
the masked optimizer step, evaluation.

Module-level pure functions that `psn_jax.train.make_train` binds to the
model and optimizer with `functools.partial` (the shape of flax's
`train_step(state, batch, learning_rate_fn)`), so benchmarks and tests call
the real thing; all re-exported from `psn_jax.train`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import optax

from psn_jax import data as data_lib
from psn_jax import masks as masks_lib
from psn_jax import models
from psn_jax import utils

__all__ = ["make_lr_schedule", "make_optimizer", "PRECISIONS",
           "matmul_precision", "loss_and_grads", "optimizer_step", "evaluate"]

Params = Any
PyTree = Any


def make_lr_schedule(optim: ml_collections.ConfigDict, total_steps: int,
                     peak: float | None = None) -> optax.Schedule:
  """Learning-rate schedule, a pure function of the integer step.

  `constant`; `cosine` (decay to 0 over the run, after `warmup_steps`); `step`
  (divide by 10 at 50% and 75% of the run). The peak is `peak`, by default
  `optim.learning_rate`; the engine builds it with `peak=1` and multiplies by
  the run's learning rate.
  """
  lr = optim.learning_rate if peak is None else peak
  name = optim.lr_schedule
  if name == "constant":
    return optax.constant_schedule(lr)
  if name == "cosine":
    return optax.warmup_cosine_decay_schedule(
        0.0 if optim.warmup_steps else lr, lr, optim.warmup_steps,
        max(total_steps, optim.warmup_steps + 1))
  if name == "step":
    return optax.piecewise_constant_schedule(
        lr, {int(0.5 * total_steps): 0.1, int(0.75 * total_steps): 0.1})
  raise ValueError(
      f"optim.lr_schedule must be one of constant, cosine, step, got {name!r}")


def make_optimizer(optim: ml_collections.ConfigDict,
                   schedule: optax.Schedule) -> optax.GradientTransformation:
  """SGD with (Nesterov) momentum and L2 weight decay, or AdamW."""
  if optim.name == "sgd":
    return optax.chain(
        optax.add_decayed_weights(optim.weight_decay),
        optax.sgd(schedule, momentum=optim.momentum or None,
                  nesterov=optim.nesterov))
  if optim.name == "adam":
    return optax.adamw(schedule, weight_decay=optim.weight_decay)
  raise ValueError(f"optim.name must be one of sgd, adam, got {optim.name!r}")


PRECISIONS: dict[str, str | None] = {
    "default": None, "float32": "float32", "tf32": "tensorfloat32",
    "bfloat16": "bfloat16"}


def matmul_precision(name: str) -> str | None:
  """The `jax.default_matmul_precision` value of a config's `precision`.

  `default` (the backend's choice: XLA may use TF32 for float32 products on
  NVIDIA GPUs), `float32` (full float32 products), `tf32` (TensorFloat-32) or
  `bfloat16` (one bfloat16 pass). The CPU computes float32 for all four.
  """
  if name not in PRECISIONS:
    raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, "
                     f"got {name!r}")
  return PRECISIONS[name]


def loss_and_grads(model: models.MLP, params: Params, masks: Params,
                   x: jax.Array, y: jax.Array, dropout_key: jax.Array, *,
                   precision: str = "default"
                   ) -> tuple[jax.Array, jax.Array, Params]:
  """Mean cross-entropy, logits and the DENSE gradient w.r.t. masked weights.

  Args:
    model: the MLP (dropout, if any, is applied with `dropout_key`).
    params, masks: one seed's params and bool masks.
    x: float32 (batch, n_in); y: int32 (batch,).
    dropout_key: PRNG key of this step's dropout.
    precision: a `matmul_precision` name.

  Returns:
    `(loss, logits (batch, classes), grads)`; `grads` has every entry of each
    kernel, masked ones included (RigL grows from them).
  """

  def loss_fn(weights):
    with jax.default_matmul_precision(matmul_precision(precision)):
      logits = model.apply({"params": weights}, x, train=True,
                           rngs={"dropout": dropout_key})
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, y)
    return utils.fixed_order_sum(losses) / y.shape[0], logits

  weights = masks_lib.apply_masks(params, masks)
  (loss, logits), dense_grads = jax.value_and_grad(loss_fn, has_aux=True)(weights)
  return loss, logits, dense_grads


def optimizer_step(tx: optax.GradientTransformation, params: Params,
                   masks: Params, opt_state: PyTree, grads: Params,
                   learning_rate: jax.Array) -> tuple[Params, PyTree]:
  """One masked optimizer step.

  `tx` is built on a unit-peak schedule; its updates are multiplied by
  `learning_rate`. Gradients are masked before the optimizer and parameters
  after, so pruned weights and their optimizer state stay exactly 0.
  """
  grads = masks_lib.apply_masks(grads, masks)
  updates, opt_state = tx.update(grads, opt_state, params)
  updates = jax.tree.map(lambda u: u * learning_rate.astype(u.dtype), updates)
  params = masks_lib.apply_masks(optax.apply_updates(params, updates), masks)
  return params, opt_state


def evaluate(model: models.MLP, params: Params, masks: Params, x: jax.Array,
             y: jax.Array, *, chunk: int = 2500,
             precision: str = "default") -> tuple[jax.Array, jax.Array]:
  """Mean loss and accuracy over (x, y), in chunks of `chunk` examples.

  `x` float32, or uint8 pixels converted chunk by chunk (`data.features`).
  No dropout. Sums run in a fixed order, so a seed evaluates alike alone and
  batched.
  """
  weights = masks_lib.apply_masks(params, masks)
  n = x.shape[0]
  n_chunks = -(-n // chunk)
  pad = n_chunks * chunk - n
  xs = jnp.pad(x, ((0, pad), (0, 0))).reshape(n_chunks, chunk, -1)
  ys = jnp.pad(y, (0, pad)).reshape(n_chunks, chunk)
  valid = (jnp.arange(n_chunks * chunk) < n).reshape(n_chunks, chunk)

  def chunk_sums(args):
    xc, yc, vc = args
    xc = data_lib.features(xc)  # uint8 pixels -> float32, one chunk at a time
    with jax.default_matmul_precision(matmul_precision(precision)):
      logits = model.apply({"params": weights}, xc)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, yc)
    correct = jnp.argmax(logits, -1) == yc
    return utils.fixed_order_sum(jnp.where(vc, loss, 0)), jnp.sum(vc & correct)

  loss_sum, correct = jax.lax.map(chunk_sums, (xs, ys, valid))
  return utils.fixed_order_sum(loss_sum) / n, correct.sum() / n
