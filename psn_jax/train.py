"""The training engine: pure, scanned, vmapped over seeds (PureJaxRL shape).

`make_train(config, spec)` does the static set-up (model, optimizer, schedules,
DST plan) and returns an `Engine` of pure functions of ONE seed:

* `init(key, masks) -> TrainState`
* `train_epoch(state, data, epoch) -> (state, EpochMetrics)`: one `lax.scan`
  over the epoch's batches, drawn on device from the device-resident dataset
  with a fresh permutation per epoch and seed; no return to Python.
* `train(key, masks, data) -> (state, EpochMetrics)`: init, then a `lax.scan`
  over epochs: the whole run as one pure function.

Seeds are a leading axis added by the caller: `jax.jit(jax.vmap(engine.train,
in_axes=(0, 0, None)))(keys, masks, data)` trains S seeds in one program, and
several mask configurations of equal shapes (dense, uniform, profiles) share
that program by stacking their masks on the same axis. `epoch` is passed
unbatched, so the step counter is shared by all seeds: with RigL/SET the
epoch runs plain-step loops between the multiples of `delta_t`, and only those
steps carry the update branch, a `lax.cond` on a predicate that stays
unbatched under `vmap` (a batched one would run the update on every step).

Masks are exact: the forward pass uses `where(mask, params, 0)`, gradients are
masked before the optimizer, and parameters are masked after the update, so
pruned weights and their optimizer state (momentum, Adam moments) stay exactly
zero. The gradient is taken w.r.t. the masked weights, so the dense gradient
that RigL grows from comes from the same backward pass.

The pieces of a step are module-level pure functions (`loss_and_grads`,
`optimizer_step`, `evaluate`, in `psn_jax.steps`, re-exported here), bound to
the model and optimizer with `functools.partial` (the shape of flax's `train_step(state, batch,
learning_rate_fn)`), so benchmarks and tests call the real thing.

Per-run hyperparameters that need not change the program are data: the
learning rate is a float32 scalar in the state that multiplies a unit-peak
schedule (SGD, momentum, Nesterov and AdamW updates are linear in the learning
rate, so this is the same update), so runs with different learning rates can
share one compiled program (`psn_jax.sweep`).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import functools

import ml_collections
import numpy as np
import optax

from psn_jax import data as data_lib
from psn_jax import dst
from psn_jax import masks as masks_lib
from psn_jax import models
from psn_jax import tracking
from psn_jax import utils
from psn_jax.steps import PRECISIONS  # noqa: F401  (re-exported)
from psn_jax.steps import evaluate
from psn_jax.steps import loss_and_grads
from psn_jax.steps import make_lr_schedule
from psn_jax.steps import make_optimizer
from psn_jax.steps import matmul_precision
from psn_jax.steps import optimizer_step

Params = Any
PyTree = Any


class Data(NamedTuple):
  """A device-resident dataset: `x` (N, d), `y` int32 (N,).

  `x` is float32, or uint8 pixels as stored (`data.load(..., raw=True)`,
  what `runner.load_data` gives): the engine converts each batch with
  `data.features`, bitwise the float32 values of `data.load`.
  """

  x_train: jax.Array
  y_train: jax.Array
  x_test: jax.Array
  y_test: jax.Array


class DataSpec(NamedTuple):
  """Static facts about the data the engine is built for."""

  n_train: int
  input_dim: int
  num_classes: int


class TrainState(NamedTuple):
  """Everything a run carries, for one seed (vmap adds a leading seed axis).

  Attributes:
    params: Flax params; masked entries exactly 0.
    masks: bool pytree with the structure of `params`.
    opt_state: optax state; entries at masked positions exactly 0.
    key: this seed's PRNG key; per-epoch and per-update keys are folded from it.
    dropout_key: this seed's dropout stream; step t uses `fold_in(., t)`.
    learning_rate: float32 scalar, the peak learning rate of this run.
    start_masks: masks at step 0 (for "changed since start").
    last_masks: masks at the last topology record.
    records: topology records, leaves with a leading (num_records,) axis.
  """

  params: Params
  masks: Params
  opt_state: PyTree
  key: jax.Array
  dropout_key: jax.Array
  learning_rate: jax.Array
  start_masks: Params
  last_masks: Params
  records: PyTree


class EpochMetrics(NamedTuple):
  """Per-epoch metrics of one seed.

  `grad_norm` maps each layer name to an (n_out,) array: the mean over the
  epoch's batches of each neuron's gradient L2 norm over its active incoming
  weights (`tracking.neuron_grad_norms`; the PSN gradient concentration).
  It is empty when the config sets `track.grad_norms = False`.
  """

  train_loss: jax.Array
  train_accuracy: jax.Array
  test_loss: jax.Array
  test_accuracy: jax.Array
  grad_norm: dict


class Engine(NamedTuple):
  """The pure functions of one seed's run and the static facts behind them.

  `loss_and_grads(params, masks, x, y, dropout_key)`,
  `optimizer_step(params, masks, opt_state, grads, learning_rate)`,
  `train_step(state, step, x, y)` and `evaluate(params, masks, x, y)` are the
  module-level functions of the same names bound to this model and optimizer.
  """

  init: Callable[..., TrainState]
  train_epoch: Callable[..., tuple[TrainState, EpochMetrics]]
  train: Callable[..., tuple[TrainState, EpochMetrics]]
  evaluate: Callable[..., tuple[jax.Array, jax.Array]]
  loss_and_grads: Callable[..., tuple[jax.Array, jax.Array, Params]]
  optimizer_step: Callable[..., tuple[Params, PyTree]]
  train_step: Callable[..., tuple[TrainState, tuple]]
  model: Any  # models.MLP or models.CNN (models.make_model)
  params_shape: Params  # `jax.ShapeDtypeStruct`s of one seed's params
  tx: optax.GradientTransformation
  dst_config: dst.DSTConfig
  steps_per_epoch: int
  record_steps: np.ndarray


def seed_key(seed: int) -> jax.Array:
  """The key of seed `seed`, passed to `Engine.init` / `Engine.train`.

  A seed's keys depend on its integer alone, so seed s trained alone equals
  seed s trained beside others. From it: params `fold_in(key, 0)`, the
  training key (data order, RigL/SET tie-breaks) `fold_in(key, 1)`, masks
  `mask_key(seed) = fold_in(key, 2)`, dropout `fold_in(key, 3)`.
  """
  return jax.random.PRNGKey(seed)


def init_runs(engine: Engine, keys: jax.Array, masks: Params,
              learning_rates: jax.Array | None = None) -> TrainState:
  """`engine.init` over a leading run axis, one run after another.

  The same states as `jax.vmap(engine.init)` (a run's draws depend on its key
  alone), but a `lax.map`: XLA compiles one run's program, and on CPU a
  batched init's random draws take over twice as long to compile (issue 20:
  21 s against 9 s for 784-300-100-10 at 4 seeds). Init runs once per
  training, so running the seeds in turn costs nothing that shows.

  Args:
    engine: from `make_train`.
    keys: `[runs, 2]` seed keys (`seed_key`).
    masks: the mask pytree with a leading run axis.
    learning_rates: `[runs]` float32, or None for the config's.
  """
  if learning_rates is None:
    return jax.lax.map(lambda a: engine.init(*a), (keys, masks))
  return jax.lax.map(lambda a: engine.init(*a), (keys, masks, learning_rates))


def mask_key(seed: int) -> jax.Array:
  """The key `psn_jax.masks.make_masks` draws seed `seed`'s masks from."""
  return jax.random.fold_in(seed_key(seed), 2)


def _record_plan(dst_cfg: dst.DSTConfig, total_steps: int,
                 record_every: int) -> tuple[np.ndarray, np.ndarray]:
  """Host-side plan of topology records.

  Returns `(update_index, record_steps)`: `update_index[t]` is the 0-based
  number of the mask update at step t (-1 where none), and `record_steps` the
  steps after whose update a record is taken (record 0 is the initial
  topology, at step 0).
  """
  if dst_cfg.algorithm == "none":
    return np.full((total_steps,), -1, np.int32), np.zeros((1,), np.int64)
  steps = jnp.arange(total_steps, dtype=jnp.int32)
  is_update = np.asarray(jax.vmap(lambda t: dst.is_update_step(t, dst_cfg))(steps))
  update_index = np.where(is_update, np.cumsum(is_update) - 1, -1).astype(np.int32)
  recorded = is_update & ((update_index + 1) % record_every == 0)
  return update_index, np.concatenate([[0], np.nonzero(recorded)[0]])


def make_train(config: ml_collections.ConfigDict, spec: DataSpec) -> Engine:
  """Builds the pure functions of one seed's run from a config.

  Args:
    config: a `configs/train.py` ConfigDict (fields used: hidden, batch_size,
      num_epochs, optim.*, dst.*, track.*).
    spec: number of training examples, input width, number of classes.

  Returns:
    An `Engine`; see the module docstring.
  """
  model = models.make_model(config, spec.input_dim, spec.num_classes)
  precision = config.get("precision", "default")
  matmul_precision(precision)
  batch_size = config.batch_size
  steps_per_epoch = spec.n_train // batch_size
  if steps_per_epoch < 1:
    raise ValueError(f"batch_size must be <= the {spec.n_train} training "
                     f"examples, got {batch_size}")
  total_steps = steps_per_epoch * config.num_epochs
  dst_cfg = dst.DSTConfig.from_config(config, steps_per_epoch)
  pruning = dst_cfg.algorithm in dst.PRUNING      # GMP / IMP: start dense
  rewinding = dst_cfg.algorithm in dst.REWINDING  # IMP: a round is a run
  schedule = make_lr_schedule(
      config.optim, dst_cfg.delta_t if rewinding else total_steps, peak=1.0)
  tx = make_optimizer(config.optim, schedule)
  if rewinding:  # the optimizer state keeps IMP's rewind point
    tx = dst.with_rewind_point(tx, dst_cfg.t_start)
  default_lr = float(config.optim.learning_rate)
  drop_fraction = (None if dst_cfg.algorithm == "none" or pruning  # built once
                   else dst.drop_fraction_fn(dst_cfg, schedule))
  update_index, record_steps = _record_plan(
      dst_cfg, total_steps, config.track.record_every)
  num_records = len(record_steps)
  dummy_x = jnp.zeros((1, spec.input_dim), jnp.float32)
  params_shape = jax.eval_shape(model.init, jax.random.PRNGKey(0),
                                dummy_x)["params"]
  kernel_shapes = [masks_lib.matrix_shape(leaf.shape)  # Conv: kh kw c_in
                   for leaf in masks_lib.layer_masks(params_shape)]
  edges = [tracking.fan_in_histogram_edges(n_in, config.track.hist_bins)
           for n_in, _ in kernel_shapes]
  prune_plan = (dst.prune_plan_for_config(
      config, dst_cfg.algorithm, dst_cfg.t_start, dst_cfg.drop_fraction,
      update_index, kernel_shapes) if pruning else None)

  # Optional field (absent from the defaults, so saved configs still compare
  # equal): False skips the per-step gradient-norm tracking, which leaves
  # `EpochMetrics.grad_norm` empty; the parameters do not change.
  track_grad_norms = bool(config.track.get("grad_norms", True))

  def record(masks, start_masks, last_masks):
    view = masks_lib.matrix_view  # Conv kernels as matrices; MLPs unchanged
    return tracking.topology_record(view(masks), view(start_masks),
                                    view(last_masks), edges)

  def init(key: jax.Array, masks: Params,
           learning_rate: jax.Array | float | None = None) -> TrainState:
    """Initial state of one seed from its key, its masks and learning rate.

    `learning_rate` (a float32 scalar, batched under vmap) defaults to
    `config.optim.learning_rate`.
    """
    if pruning:  # GMP and IMP prune from the dense network
      masks = jax.tree.map(jnp.ones_like, masks)
    params = model.init(jax.random.fold_in(key, 0), dummy_x)["params"]
    params = models.rescale_for_fan_in(params, masks)
    first = record(masks, masks, masks)
    records = jax.tree.map(
        lambda r: jnp.zeros((num_records,) + r.shape, r.dtype).at[0].set(r),
        first)
    lr = default_lr if learning_rate is None else learning_rate
    return TrainState(params=params, masks=masks, opt_state=tx.init(params),
                      key=jax.random.fold_in(key, 1),
                      dropout_key=jax.random.fold_in(key, 3),
                      learning_rate=jnp.asarray(lr, jnp.float32),
                      start_masks=masks, last_masks=masks, records=records)

  bound_loss_and_grads = functools.partial(loss_and_grads, model,
                                           precision=precision)
  bound_optimizer_step = functools.partial(optimizer_step, tx)
  bound_evaluate = functools.partial(evaluate, model, precision=precision)

  def mask_update_step(state, step, dense_grads):
    """Optimizer step (unless skipped) then the RigL/SET update and a record."""
    params, opt_state = state.params, state.opt_state
    if not dst_cfg.skip_optimizer_step:
      params, opt_state = bound_optimizer_step(params, state.masks, opt_state,
                                               dense_grads, state.learning_rate)
    if pruning:  # the plan's exact counts after this update (dst.prune)
      u = jnp.asarray(update_index)[step]
      masks, params, opt_state = dst.prune_update(
          state.key, step, state.masks, params, opt_state,
          jnp.asarray(prune_plan.counts, jnp.int32)[u],
          jnp.asarray(prune_plan.rewinds)[u], dst_cfg.algorithm)
    else:
      masks, params, opt_state = dst.update(
          state.key, step, state.masks, params, dense_grads, opt_state,
          dst_cfg, schedule, fraction_fn=drop_fraction)
    u = jnp.asarray(update_index)[step]
    write = (u + 1) % config.track.record_every == 0
    slot = jnp.where(write, (u + 1) // config.track.record_every, num_records)

    def written(records):
      new_record = record(masks, state.start_masks, state.last_masks)
      return jax.tree.map(lambda buf, r: buf.at[slot].set(r, mode="drop"),
                          records, new_record)

    if config.track.record_every == 1:  # every update is a record
      records = written(state.records)
    else:  # the record is computed only at record steps (`write` is unbatched)
      records = jax.lax.cond(write, written, lambda r: r, state.records)
    last_masks = jax.tree.map(lambda new, old: jnp.where(write, new, old),
                              masks, state.last_masks)
    return state._replace(params=params, masks=masks, opt_state=opt_state,
                          records=records, last_masks=last_masks)

  def plain_step(state, step, dense_grads):
    del step
    params, opt_state = bound_optimizer_step(state.params, state.masks,
                                             state.opt_state, dense_grads,
                                             state.learning_rate)
    return state._replace(params=params, opt_state=opt_state)

  def train_step(state, step, x, y, may_update=True):
    """One batch: loss, dense gradient, optimizer step or RigL/SET update.

    `may_update` (static) False makes it a plain step with no branch: the
    epoch loop passes it for steps that cannot be update steps.
    """
    dropout_key = jax.random.fold_in(state.dropout_key, step)
    loss, logits, dense_grads = bound_loss_and_grads(state.params, state.masks,
                                                     x, y, dropout_key)
    accuracy = jnp.sum(jnp.argmax(logits, -1) == y) / y.shape[0]
    grad_norm = (tracking.neuron_grad_norms(
        masks_lib.matrix_view(dense_grads), masks_lib.matrix_view(state.masks))
                 if track_grad_norms else {})
    if dst_cfg.algorithm == "none" or not may_update:
      state = plain_step(state, step, dense_grads)
    else:
      state = jax.lax.cond(dst.is_update_step(step, dst_cfg), mask_update_step,
                           plain_step, state, step, dense_grads)
    return state, (loss, accuracy, grad_norm)

  def _segmented_epoch(step_at, state, first_step):
    """The epoch's steps in order, with the update branch on multiples of
    `delta_t` only; per-step outputs gathered into `(steps_per_epoch, ...)`."""
    n, delta = steps_per_epoch, dst_cfg.delta_t
    out_shape = jax.eval_shape(lambda s: step_at(s, 0, False)[1], state)
    outs = jax.tree.map(lambda a: jnp.zeros((n,) + a.shape, a.dtype), out_shape)

    def one(i, carry, may_update):
      state, outs = carry
      state, out = step_at(state, i, may_update)
      return state, jax.tree.map(lambda b, o: b.at[i].set(o), outs, out)

    def plain(lo, hi, carry):
      return jax.lax.fori_loop(lo, hi, lambda i, c: one(i, c, False), carry)

    first = jnp.minimum((-first_step) % delta, n)  # first multiple of delta_t
    carry = plain(0, first, (state, outs))

    def block(k, carry):
      i = first + k * delta
      return plain(i + 1, jnp.minimum(i + delta, n), one(i, carry, True))

    n_blocks = (n - first + delta - 1) // delta
    return jax.lax.fori_loop(0, n_blocks, block, carry)

  def train_epoch(state: TrainState, data: Data,
                  epoch: jax.Array) -> tuple[TrainState, EpochMetrics]:
    """One epoch of one seed: a loop over `steps_per_epoch` batches.

    Static sparse training is one `lax.scan`. With RigL/SET, only steps that
    are multiples of `delta_t` can update the masks, so the epoch runs as
    plain-step loops between those steps and only they carry the update
    branch (a `lax.cond` on every step cost as much as the updates
    themselves). The loop bounds depend on the unbatched epoch alone, so they
    are the same for every seed under `vmap`.
    """
    order = jax.random.permutation(jax.random.fold_in(state.key, epoch),
                                   data.x_train.shape[0])
    batches = order[:steps_per_epoch * batch_size].reshape(steps_per_epoch,
                                                           batch_size)
    first_step = epoch * steps_per_epoch

    def step_at(state, i, may_update):
      idx = batches[i]
      return train_step(state, first_step + i,
                        data_lib.features(data.x_train[idx]),
                        data.y_train[idx], may_update)

    if dst_cfg.algorithm == "none":
      state, (loss, accuracy, grad_norm) = jax.lax.scan(
          lambda s, i: step_at(s, i, False), state,
          jnp.arange(steps_per_epoch, dtype=jnp.int32))
    else:
      state, (loss, accuracy, grad_norm) = _segmented_epoch(
          step_at, state, first_step)
    test_loss, test_accuracy = bound_evaluate(state.params, state.masks,
                                              data.x_test, data.y_test)
    mean = lambda v: utils.fixed_order_sum(v) / steps_per_epoch
    metrics = EpochMetrics(
        train_loss=mean(loss), train_accuracy=mean(accuracy),
        test_loss=test_loss, test_accuracy=test_accuracy,
        grad_norm=jax.tree.map(mean, grad_norm))
    return state, metrics

  def train(key: jax.Array, masks: Params, data: Data,
            learning_rate: jax.Array | float | None = None
            ) -> tuple[TrainState, EpochMetrics]:
    """The whole run of one seed; metrics stacked over epochs."""
    state = init(key, masks, learning_rate)
    return jax.lax.scan(lambda s, e: train_epoch(s, data, e), state,
                        jnp.arange(config.num_epochs, dtype=jnp.int32))

  return Engine(init=init, train_epoch=train_epoch, train=train,
                evaluate=bound_evaluate, loss_and_grads=bound_loss_and_grads,
                optimizer_step=bound_optimizer_step, train_step=train_step,
                model=model, params_shape=params_shape,
                tx=tx, dst_config=dst_cfg,
                steps_per_epoch=steps_per_epoch, record_steps=record_steps)
