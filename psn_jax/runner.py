"""Runs configs end to end: data, masks per run, the vmapped engine, checkpoints.

This is the host-side loop around `psn_jax.train`. `run_group(configs, names,
workdir)` trains every (config, seed) pair of a *group* (configs that share the
program: same shapes and static settings; they may differ in their masks, seeds
and learning rate, which are batched data) in one jitted, vmapped program: one
`train_epoch` call per epoch, a tqdm bar, an Orbax checkpoint every
`checkpoint_every` epochs, mask snapshots every `track.snapshot_every` epochs,
and a `psn_jax.results.Results` saved atomically at the end. `run(config,
workdir, variants=points)` is the same for one config and its arms, written
as sweep points (`groups.expand`).

The steps are separate functions (`load_data`, `build_masks`, `run_group`'s
loop, `collect`), so a sweep (`psn_jax.sweep`) loads each dataset once. Which
configs share a program (`program_key`, `BATCHED_FIELDS`), the runs of a
study (`expand`) and fingerprints are `psn_jax.groups`, re-exported here.
"""

from __future__ import annotations

import functools
import glob
import importlib.metadata
import io
import os
import sys
import time
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import tqdm

from psn_jax import checkpoint
from psn_jax import compile_cache
from psn_jax import data as data_lib
from psn_jax import masks as masks_lib
from psn_jax import preemption
from psn_jax import results as results_lib
from psn_jax import sharding
from psn_jax import train as train_lib
from psn_jax import utils
# The name experiments/cli.py calls: config.variants as sweep points.
from psn_jax.config import points_from_variants as variants_from_config  # noqa: F401
from psn_jax.groups import BATCHED_FIELDS  # noqa: F401  (re-exported)
from psn_jax.groups import check_group
from psn_jax.groups import expand
from psn_jax.groups import fingerprint
from psn_jax.groups import plain_config
from psn_jax.groups import program_key  # noqa: F401  (re-exported)
from psn_jax.groups import seeds_of

_PACKAGES = ("jax", "jaxlib", "flax", "optax", "numpy", "orbax-checkpoint",
             "psn-jax")

def load_data(config: ml_collections.ConfigDict, data_dir: str | None = None
              ) -> tuple[train_lib.Data, train_lib.DataSpec]:
  """The device-resident dataset of `config` and its `DataSpec`.

  Image datasets stay in their stored dtype, uint8 pixels (a quarter of the
  float32 size); the engine converts each batch with `data.features`, which
  gives bitwise the float32 values `data.load` returns. The host arrays are
  dropped once the device holds them (one host copy at most, during the
  transfer). With `input_pad > 0` the features are padded with zeros to that width (Dey
  et al. 2018 pad MNIST's 784 pixels to 800 so their degree rules divide).
  With the optional field `pixel_permutation` >= 0 the features are first
  permuted by `data.pixel_permutation(n, pixel_permutation)` (train and
  test alike, labels unchanged).
  """
  x_train, y_train = data_lib.load(config.dataset, "train", data_dir, raw=True)
  x_test, y_test = data_lib.load(config.dataset, "test", data_dir, raw=True)
  perm = int(config.get("pixel_permutation", -1))
  if perm >= 0:   # one fixed pixel permutation: the locality control
    order = data_lib.pixel_permutation(x_train.shape[1], perm)
    x_train, x_test = x_train[:, order], x_test[:, order]
  pad = int(config.get("input_pad", 0) or 0)
  width = x_train.shape[1]
  if pad and pad < width:
    raise ValueError(f"input_pad must be 0 or >= the {width} input features of "
                     f"{config.dataset}, got {pad}")
  if pad > width:
    x_train = np.pad(x_train, ((0, 0), (0, pad - width)))
    x_test = np.pad(x_test, ((0, 0), (0, pad - width)))
  spec = train_lib.DataSpec(n_train=x_train.shape[0],
                            input_dim=x_train.shape[1],
                            num_classes=data_lib.num_classes(config.dataset))
  data = train_lib.Data(jnp.asarray(x_train), jnp.asarray(y_train),
                        jnp.asarray(x_test), jnp.asarray(y_test))
  del x_train, y_train, x_test, y_test  # the device holds them now
  return data, spec


def build_masks(config: ml_collections.ConfigDict, params_shape: Any,
                seeds: Sequence[int], mask_root: str = "") -> Any:
  """Masks of `config` for each seed, stacked on a leading seed axis.

  From `config.init_masks` (a `masks.save_mask_file` file holding these
  seeds: fixed starts such as Liu et al.'s perturbed copies) when it is set,
  else made by `masks.from_config` from the mask fields. A relative
  `init_masks` is read under `mask_root` when one is given (the claims keep
  mask files inside their sweep folder, so the folder can move between
  machines and still resume), else relative to the working directory.
  """
  path = config.get("init_masks", "")
  if path:
    if mask_root and not os.path.isabs(path):
      path = os.path.join(mask_root, path)
    return masks_lib.load_mask_file(path, params_shape, seeds)
  return utils.stack_trees([
      masks_lib.from_config(config, params_shape, train_lib.mask_key(seed))
      for seed in seeds])


def run(config: ml_collections.ConfigDict, workdir: str, *,
        variants: Sequence[dict[str, Any]] | None = None,
        resume: bool = False, data_dir: str | None = None,
        progress: bool = True) -> results_lib.Results:
  """Trains `config` (or each of its arms) over its seeds, in one program.

  Args:
    config: a `psn_jax.config.get_config()` ConfigDict.
    workdir: where checkpoints, snapshots and the results files go.
    variants: the arms as sweep points (`{"name": "erk", "distribution":
      "erk"}`, `groups.expand`) differing only in `BATCHED_FIELDS`; default
      the config itself (named after its profile).
    resume: continue from the latest checkpoint in `workdir`.
    data_dir: dataset folder (else `$PSN_DATA_DIR`, then tensorflow-datasets).
    progress: show a tqdm bar.

  Returns:
    The `Results` (also saved in `workdir`).
  """
  if variants is None:  # sparsity 0: the dense network
    configs = [config]
    names = [config.profile if config.sparsity else "dense"]
  else:
    if not variants:
      raise ValueError("variants must be None or a non-empty list, got []")
    runs = expand(config, points=variants)
    configs, names = [r.config for r in runs], [r.name for r in runs]
  return run_group(configs, names, workdir, resume=resume, data_dir=data_dir,
                   progress=progress)


def run_group(configs: Sequence[ml_collections.ConfigDict],
              names: Sequence[str], workdir: str, *, resume: bool = False,
              data_dir: str | None = None, progress: bool = True,
              data: tuple[train_lib.Data, train_lib.DataSpec] | None = None,
              mask_root: str = "") -> results_lib.Results:
  """Trains every (config, seed) pair of a group in one vmapped program.

  Args:
    configs: configs with equal `program_key`s.
    names: one unique name per config.
    workdir: checkpoints, snapshots and results go here.
    resume: continue from the latest checkpoint in `workdir` (says so on
      stderr when there is none).
    data_dir: dataset folder.
    progress: show a tqdm bar.
    data: the `load_data` result, to share one dataset between groups.
    mask_root: folder that relative `init_masks` paths are read under.

  Returns:
    The `Results`, also saved in `workdir`.
  """
  check_group(configs, names)
  config = configs[0]
  t0 = time.time()
  cache_dir = compile_cache.enable()  # on by default; off: PSN_COMPILE_CACHE=0
  data, spec = load_data(config, data_dir) if data is None else data
  engine = train_lib.make_train(config, spec)
  seeds = seeds_of(config)
  masks = jax.tree.map(lambda *m: np.concatenate(m),
                       *[build_masks(c, engine.params_shape, seeds, mask_root)
                         for c in configs])
  keys = np.stack([train_lib.seed_key(s) for s in seeds] * len(configs))
  lrs = np.repeat(np.float32([c.optim.learning_rate for c in configs]),
                  len(seeds))
  # The stacked (config x seed) run axis is split over every device (padded
  # with copies of the last run, dropped before anything is written); the
  # dataset is replicated.
  mesh = sharding.make_mesh()
  n_runs = len(keys)
  n_padded = sharding.padded_size(n_runs, mesh.size)
  keys, masks, lrs = sharding.shard_runs((keys, masks, lrs), mesh, n_padded)
  data = sharding.replicate(data, mesh)

  # Outputs pinned to the run sharding: otherwise scalars such as Adam's
  # count come back replicated and the second epoch compiles a new program.
  runs = sharding.run_sharding(mesh)
  init = jax.jit(functools.partial(train_lib.init_runs, engine),
                 out_shardings=runs)
  epoch_fn = jax.jit(jax.vmap(engine.train_epoch, in_axes=(0, None, None)),
                     out_shardings=(runs, runs), donate_argnums=0)
  mngr = checkpoint.manager(workdir)
  fp = fingerprint(configs, names)
  meta: dict[str, Any] = {"epoch": 0, "history": {}, "wall_time_segments": [],
                          "start_epochs": [], "compile_time_segments": []}
  restored = None
  if resume:
    # Checkpoints hold the unpadded runs, replicated on restore and re-split
    # for this mesh: a checkpoint made on N devices resumes on M.
    abstract = jax.tree.map(
        lambda a: jax.ShapeDtypeStruct(
            (n_runs,) + a.shape[1:], a.dtype,
            sharding=sharding.replicated_sharding(mesh)),
        jax.eval_shape(init, keys, masks, lrs))
    restored = checkpoint.restore_latest(mngr, abstract, fp)
    if restored is None:
      print(f"no checkpoint in {os.path.join(workdir, 'checkpoints')}: "
            f"training from scratch", file=sys.stderr)
  # Compiled ahead of time, so the time spent compiling (or loading from the
  # persistent cache) is measured apart from training.
  t_compile = time.time()
  if restored is None:
    state = init.lower(keys, masks, lrs).compile()(keys, masks, lrs)
  else:
    state, meta = restored
    state = sharding.reshard_runs(state, mesh, n_runs)
  start_epoch = meta["epoch"]
  if start_epoch < config.num_epochs:
    epoch_fn = epoch_fn.lower(state, data, jnp.int32(start_epoch)).compile()
  compile_s = time.time() - t_compile
  meta["compile_time_segments"] = (list(meta.get("compile_time_segments", []))
                                   + [compile_s])
  if progress and sharding.is_writer():
    cache = cache_dir or "off"
    tqdm.tqdm.write(f"compiled in {compile_s:.1f} s (XLA cache: {cache})",
                    file=sys.stderr)
  # The history is exactly the checkpoint's epochs: a longer one (a
  # checkpoint written while its lists grew) would repeat an epoch on resume.
  history = _history_upto(meta["history"], start_epoch)
  meta["start_epochs"] = meta["start_epochs"] + [start_epoch]
  snapshot_every = int(config.track.get("snapshot_every", 0) or 0)
  snap_dir = os.path.join(workdir, "snapshots")
  writer = sharding.is_writer()
  if snapshot_every and start_epoch == 0:
    _save_snapshot(snap_dir, 0, state.masks, n_runs, writer)

  bar = tqdm.tqdm(range(start_epoch, config.num_epochs), initial=start_epoch,
                  total=config.num_epochs, disable=not progress,
                  desc=_bar_label(config.dataset, len(configs), len(seeds)),
                  unit="epoch")
  warned = set(results_lib.diverged_runs(history))  # said before a resume
  for epoch in bar:
    state, metrics = epoch_fn(state, data, jnp.int32(epoch))
    m = sharding.unpad(sharding.gather(metrics), n_runs)
    for field in results_lib.METRICS:
      history.setdefault(field, []).append(np.asarray(getattr(m, field)).tolist())
    # Running sum over epochs of each epoch's per-neuron mean gradient norm
    # (epochs have equal step counts, so sum / epochs is the training mean).
    history["grad_norm_sum"] = {
        k: np.add(history.get("grad_norm_sum", {}).get(k, 0.0),
                  np.asarray(g, np.float64)).tolist()
        for k, g in m.grad_norm.items()}
    bar.set_postfix_str(f"train loss {np.mean(m.train_loss):.4f}, test acc "
                        f"{100 * np.mean(m.test_accuracy):.2f}% (run mean)")
    done = epoch + 1
    _warn_diverged(m.train_loss, m.test_loss, names, seeds, done, warned)
    if snapshot_every and done % snapshot_every == 0:
      _save_snapshot(snap_dir, done, state.masks, n_runs, writer)
    # Preemption (SIGTERM on a command line): checkpoint this epoch, stop.
    stop = _stop_agreed()
    if (done % config.checkpoint_every == 0 or done == config.num_epochs
        or stop):
      segments = meta["wall_time_segments"] + [time.time() - t0]
      checkpoint.save(mngr, done, _first_runs(state, n_runs), {
          **meta, "epoch": done, "history": history, "fingerprint": fp,
          "wall_time_segments": segments})
    if stop and done < config.num_epochs:
      mngr.wait_until_finished()
      raise preemption.Preempted(workdir, done)
  mngr.wait_until_finished()
  if any(len(history[f]) != config.num_epochs for f in results_lib.METRICS):
    raise RuntimeError(f"history of {workdir} has "
                       f"{len(history['test_accuracy'])} epochs, expected "
                       f"{config.num_epochs}")
  meta["wall_time_segments"] = meta["wall_time_segments"] + [time.time() - t0]

  state = sharding.unpad(sharding.gather(state), n_runs)
  results = collect(configs, names, seeds, engine, state, history, meta,
                    snap_dir if snapshot_every else None)
  if writer:
    results.save(workdir)
  return results


def _history_upto(history: dict, epochs: int) -> dict:
  """A checkpoint's history cut to its first `epochs` epochs.

  Raises:
    ValueError: a metric has fewer epochs than the checkpoint claims.
  """
  out = dict(history)
  for field in results_lib.METRICS:
    values = list(history.get(field, []))
    if len(values) < epochs:
      raise ValueError(f"checkpoint of epoch {epochs} holds only {len(values)} "
                       f"epochs of {field}; use a new --workdir")
    out[field] = values[:epochs]
  return out


def _bar_label(dataset: str, n_configs: int, n_seeds: int) -> str:
  """The progress bar's label: what the stacked runs are."""
  variants = f"{n_configs} variant{'s' if n_configs > 1 else ''}"
  return f"{dataset}, {variants} x {n_seeds} seed{'s' if n_seeds > 1 else ''}"


def _stop_agreed() -> bool:
  """`preemption.requested()`, agreed by every process (any one asked).

  All processes must checkpoint the same epoch: a save is a collective.
  """
  stop = preemption.requested()
  if jax.process_count() == 1:
    return stop
  from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
  return bool(np.max(multihost_utils.process_allgather(np.int32(stop))))


def _warn_diverged(train_loss: Any, test_loss: Any, names: Sequence[str],
                   seeds: Sequence[int], epoch: int, warned: set[int]) -> None:
  """One stderr line for the runs whose loss first became non-finite.

  Such a run keeps training with the others (they share one program); its
  results are marked (`Results.diverged`).
  """
  bad = ~(np.isfinite(np.asarray(train_loss))
          & np.isfinite(np.asarray(test_loss)))
  new = [r for r in np.flatnonzero(bad).tolist() if r not in warned]
  warned.update(new)
  if not new or not sharding.is_writer():
    return
  runs = ", ".join(f"{names[r // len(seeds)]} seed {seeds[r % len(seeds)]}"
                   for r in new)
  tqdm.tqdm.write(f"warning: diverged at epoch {epoch} (loss is not finite): "
                  f"{runs}", file=sys.stderr)


def _first_runs(tree: Any, n_runs: int) -> Any:
  """The first `n_runs` runs of a run-sharded tree, still on the devices."""
  leaves = jax.tree.leaves(tree)
  if not leaves or leaves[0].shape[0] == n_runs:
    return tree
  return jax.tree.map(lambda x: x[:n_runs], tree)


def _save_snapshot(directory: str, epoch: int, masks: Any, n_runs: int,
                   writer: bool) -> None:
  """Packed kernel masks `[run, bytes]` of every layer after `epoch` epochs.

  Every process joins the gather; only the writer writes.
  """
  kernels = {name: np.asarray(k)[:n_runs] for name, k in
             masks_lib.named_kernels(sharding.gather(masks))}
  # Conv kernels [run, kh, kw, c_in, c_out] as [run, kh kw c_in, c_out]
  # (the same bits; Results.layer_shapes holds the matrix shape).
  kernels = {name: k.reshape(k.shape[0], -1, k.shape[-1])
             for name, k in kernels.items()}
  if not writer:
    return
  packed = results_lib.pack_masks(kernels)
  buf = io.BytesIO()
  np.savez(buf, **packed)
  utils.write_bytes_atomic(os.path.join(directory, f"epoch_{epoch:05d}.npz"),
                           buf.getvalue())


def _load_snapshots(directory: str, n_variants: int
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
  paths = sorted(glob.glob(os.path.join(directory, "epoch_*.npz")))
  epochs = np.asarray([int(os.path.basename(p)[6:11]) for p in paths],
                      np.int64)
  per_layer: dict[str, list] = {}
  for p in paths:
    with np.load(p) as z:
      for k in z.files:
        per_layer.setdefault(k, []).append(z[k])
  snaps = {}
  for k, arrs in per_layer.items():
    a = np.stack(arrs, axis=1)  # [run, snapshot, bytes]
    snaps[k] = a.reshape((n_variants, -1) + a.shape[1:])
  return snaps, epochs


def _by_variant(x: Any, n_variants: int) -> np.ndarray:
  """Splits a leading (variant * seed) axis into [variant, seed]."""
  a = np.asarray(x)
  return a.reshape((n_variants, -1) + a.shape[1:])


def collect(configs, names, seeds, engine, state, history, meta,
            snapshot_dir) -> results_lib.Results:
  """Assembles the `Results` of a finished group from its state and history."""
  n = len(configs)
  hist = {k: _by_variant(np.swapaxes(np.asarray(history[k]), 0, 1), n)
          for k in results_lib.METRICS}
  # Conv kernels [run, kh, kw, c_in, c_out] as [run, kh kw c_in, c_out].
  final_masks = {k: np.asarray(m).reshape(np.shape(m)[0], -1, np.shape(m)[-1])
                 for k, m in masks_lib.named_kernels(state.masks)}
  records = jax.tree.map(lambda r: _by_variant(r, n), state.records)
  num_epochs = configs[0].num_epochs
  grad = {k: _by_variant(np.asarray(g) / num_epochs, n)
          for k, g in history.get("grad_norm_sum", {}).items()}
  snaps, snap_epochs = ({}, np.zeros((0,), np.int64)) if snapshot_dir is None \
      else _load_snapshots(snapshot_dir, n)
  segments = list(meta["wall_time_segments"])
  compiles = list(meta.get("compile_time_segments", []))
  return results_lib.Results(
      names=list(names),
      configs=[plain_config(c) for c in configs],
      seeds=list(seeds),
      history=hist,
      fan_ins={k: _by_variant(np.asarray(m).sum(axis=-2), n)
               for k, m in final_masks.items()},
      grad_norm=grad,
      records={k: dict(v) for k, v in records.items()},
      record_steps=np.asarray(engine.record_steps, np.int64),
      snapshots=snaps,
      snapshot_epochs=snap_epochs,
      layer_shapes={k: tuple(int(d) for d in np.shape(m)[-2:])
                    for k, m in final_masks.items()},
      meta={
          "wall_time_s": float(sum(segments)),
          "wall_time_segments": segments,
          # Of the wall time: compiling (or loading from the XLA cache) the
          # init and epoch programs, per segment; the rest is data, masks,
          # training and checkpoints.
          "compile_time_s": float(sum(compiles)),
          "compile_time_segments": compiles,
          "compile_cache": compile_cache.directory(),
          "start_epochs": list(meta["start_epochs"]),
          "device": str(jax.devices()[0].device_kind),
          "backend": jax.default_backend(),
          "num_devices": jax.device_count(),
          "num_processes": jax.process_count(),
          "versions": {p: _version(p) for p in _PACKAGES},
      })


def _version(package: str) -> str | None:
  try:
    return importlib.metadata.version(package)
  except importlib.metadata.PackageNotFoundError:
    return None
