"""Runs a config end to end: data, masks per seed, the vmapped engine,
checkpoints, progress and an atomic results file.

This is the host-side loop around `psn_jax.train`: one jitted, vmapped
`train_epoch` call per epoch (all seeds and all mask variants in one program),
a tqdm bar, an Orbax checkpoint every `checkpoint_every` epochs, and
`results.json` written through a temporary file and a rename.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import time
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import tqdm

from psn_jax import checkpoint
from psn_jax import data as data_lib
from psn_jax import masks as masks_lib
from psn_jax import train as train_lib
from psn_jax import utils

_PACKAGES = ("jax", "jaxlib", "flax", "optax", "numpy", "orbax-checkpoint",
             "psn-jax")


@dataclasses.dataclass(frozen=True)
class Variant:
  """One mask configuration. `sparsity=0` means dense (all-True masks)."""

  name: str
  sparsity: float
  distribution: str = "uniform"
  profile: str = "uniform"
  cv: Any = None
  dense_first: bool = False
  dense_last: bool = False


def variant_from_config(config: ml_collections.ConfigDict) -> Variant:
  """The single mask variant that the flat config fields describe."""
  return Variant(name=config.profile, sparsity=config.sparsity,
                 distribution=config.distribution, profile=config.profile,
                 cv=config.cv, dense_first=config.dense_first,
                 dense_last=config.dense_last)


def validate(config: ml_collections.ConfigDict,
             variants: Sequence[Variant]) -> None:
  """Checks every user-facing field; raises one-line ValueErrors."""
  if config.dataset not in data_lib.DATASETS:
    raise ValueError(f"dataset must be one of {', '.join(data_lib.DATASETS)}, "
                     f"got {config.dataset!r}")
  for field in ("num_seeds", "num_epochs", "batch_size"):
    value = config[field]
    if not isinstance(value, int) or value < 1:
      raise ValueError(f"{field} must be an integer >= 1, got {value!r}")
  if not config.hidden or any(not isinstance(w, int) or w < 1
                              for w in config.hidden):
    raise ValueError(f"hidden must be a non-empty list of widths >= 1, "
                     f"got {tuple(config.hidden)!r}")
  for v in variants:
    if not 0 <= v.sparsity < 1:
      raise ValueError(f"sparsity must be in [0, 1) (0: dense), got {v.sparsity!r}")
    if v.distribution not in masks_lib.DISTRIBUTIONS:
      raise ValueError(
          f"distribution must be one of {', '.join(masks_lib.DISTRIBUTIONS)}, "
          f"got {v.distribution!r}")
    if v.profile not in masks_lib.PROFILES:
      raise ValueError(f"profile must be one of {', '.join(masks_lib.PROFILES)}, "
                       f"got {v.profile!r}")


def build_masks(variant: Variant, params_shape: Any,
                seeds: Sequence[int]) -> Any:
  """Masks of `variant` for each seed, stacked on a leading seed axis."""
  per_seed = []
  for seed in seeds:
    if variant.sparsity == 0:
      per_seed.append(jax.tree.map(lambda p: np.ones(p.shape, bool),
                                   params_shape))
    else:
      per_seed.append(masks_lib.make_masks(
          train_lib.mask_key(seed), params_shape, sparsity=variant.sparsity,
          distribution=variant.distribution, profile=variant.profile,
          cv=variant.cv, dense_first=variant.dense_first,
          dense_last=variant.dense_last))
  return jax.tree.map(lambda *m: np.stack(m), *per_seed)


def fingerprint(config: ml_collections.ConfigDict,
                variants: Sequence[Variant]) -> dict:
  """What a checkpoint must share with the config to be resumed."""
  c = config.to_dict()
  c.pop("checkpoint_every", None)
  return {"config": repr(sorted(c.items())),
          "variants": repr([dataclasses.astuple(v) for v in variants]),
          "num_seeds": config.num_seeds, "algorithm": config.dst.algorithm,
          "hidden": list(config.hidden), "dataset": config.dataset}


def _to_list(x) -> Any:
  return np.asarray(x).tolist()


def run(config: ml_collections.ConfigDict, workdir: str, *,
        variants: Sequence[Variant] | None = None, resume: bool = False,
        data_dir: str | None = None, progress: bool = True) -> dict:
  """Trains every (variant, seed) pair in one vmapped program.

  Args:
    config: a `configs/train.py` ConfigDict.
    workdir: where checkpoints and `results.json` go.
    variants: mask variants sharing the program; default the config's own.
    resume: continue from the latest checkpoint in `workdir`.
    data_dir: dataset folder (else `$PSN_DATA_DIR`, then tensorflow-datasets).
    progress: show a tqdm bar.

  Returns:
    The results dict, also written to `workdir/results.json`: `config`,
    `variants`, `seeds`, `final_test_accuracy` (per seed for one variant,
    else a dict variant -> per seed), `history` (per-epoch metrics, arrays
    [variant][seed][epoch] or [seed][epoch]), `topology` (records),
    `final_fan_ins` (per layer, per neuron) and `grad_norm_mean` (per layer,
    per neuron: the gradient norm over active inputs, averaged over all
    training batches; PSN gradient concentration),
    `wall_time_s`, `device`, `versions`.
  """
  single = variants is None
  if single and not 0 < config.sparsity < 1:
    raise ValueError(f"sparsity must be in (0, 1), got {config.sparsity!r}")
  variants = [variant_from_config(config)] if single else list(variants)
  validate(config, variants)
  t0 = time.time()
  x_train, y_train = data_lib.load(config.dataset, "train", data_dir)
  x_test, y_test = data_lib.load(config.dataset, "test", data_dir)
  data = train_lib.Data(jnp.asarray(x_train), jnp.asarray(y_train),
                        jnp.asarray(x_test), jnp.asarray(y_test))
  spec = train_lib.DataSpec(n_train=x_train.shape[0],
                            input_dim=x_train.shape[1],
                            num_classes=data_lib.num_classes(config.dataset))
  engine = train_lib.make_train(config, spec)
  seeds = [config.seed + s for s in range(config.num_seeds)]
  masks = jax.tree.map(
      lambda *m: np.concatenate(m),
      *[build_masks(v, engine.params_shape, seeds) for v in variants])
  keys = jnp.stack([train_lib.seed_key(s) for s in seeds] * len(variants))

  init = jax.jit(jax.vmap(engine.init))
  epoch_fn = jax.jit(jax.vmap(engine.train_epoch, in_axes=(0, None, None)),
                     donate_argnums=0)
  mngr = checkpoint.manager(workdir)
  fp = fingerprint(config, variants)
  history: dict[str, list] = {}
  start_epoch = 0
  restored = None
  if resume:
    restored = checkpoint.restore_latest(mngr, jax.eval_shape(init, keys, masks),
                                         fp)
  if restored is None:
    state = init(keys, masks)
  else:
    state, meta = restored
    start_epoch, history = meta["epoch"], meta["history"]

  bar = tqdm.trange(start_epoch, config.num_epochs, disable=not progress,
                    desc=f"{config.dataset} x{keys.shape[0]}", unit="epoch")
  for epoch in bar:
    state, metrics = epoch_fn(state, data, jnp.int32(epoch))
    m = jax.device_get(metrics)
    for field in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
      history.setdefault(field, []).append(_to_list(getattr(m, field)))
    # Running sum over epochs of each epoch's per-neuron mean gradient norm
    # (epochs have equal step counts, so sum / epochs is the training mean).
    history["grad_norm_sum"] = {
        k: _to_list(np.add(history.get("grad_norm_sum", {}).get(k, 0.0),
                           np.asarray(g, np.float64)))
        for k, g in m.grad_norm.items()}
    bar.set_postfix(loss=f"{np.mean(m.train_loss):.4f}",
                    acc=f"{np.mean(m.test_accuracy):.4f}")
    if (epoch + 1) % config.checkpoint_every == 0 or epoch + 1 == config.num_epochs:
      checkpoint.save(mngr, epoch + 1, state,
                      {"epoch": epoch + 1, "history": history, "fingerprint": fp})
  mngr.wait_until_finished()

  results = _results(config, variants, seeds, engine, state, history,
                     single, time.time() - t0)
  utils.write_json_atomic(os.path.join(workdir, "results.json"), results)
  return results


def _per_variant(values: Any, n_variants: int, single: bool) -> Any:
  """Splits a leading (variant * seed) axis into [variant][seed]."""
  arr = np.asarray(values)
  arr = arr.reshape((n_variants, -1) + arr.shape[1:])
  return arr[0].tolist() if single else arr.tolist()


def _results(config, variants, seeds, engine, state, history, single,
             wall_time) -> dict:
  n = len(variants)
  # history[field] is [epoch][variant * seed]; store [variant][seed][epoch].
  hist = {k: _per_variant(np.swapaxes(np.asarray(v), 0, 1), n, single)
          for k, v in history.items() if k != "grad_norm_sum"}
  final = np.asarray(history["test_accuracy"][-1])
  final_acc = _per_variant(final, n, single)
  records = jax.device_get(state.records)
  topology = {"steps": engine.record_steps.tolist(),
              "records": jax.tree.map(lambda r: _per_variant(r, n, single),
                                      records)}
  fan_ins = [_per_variant(np.asarray(m).sum(axis=1), n, single)
             for m in masks_lib.layer_masks(jax.device_get(state.masks))]
  names = [v.name for v in variants]
  return {
      "config": config.to_dict(),
      "variants": [dataclasses.asdict(v) for v in variants],
      "seeds": seeds,
      "final_test_accuracy": final_acc if single else dict(zip(names, final_acc)),
      "history": hist,
      "topology": topology,
      "final_fan_ins": fan_ins,
      "grad_norm_mean": {
          k: _per_variant(np.asarray(g) / config.num_epochs, n, single)
          for k, g in history.get("grad_norm_sum", {}).items()},
      "wall_time_s": wall_time,
      "device": str(jax.devices()[0].device_kind),
      "backend": jax.default_backend(),
      "versions": {p: _version(p) for p in _PACKAGES},
  }


def _version(package: str) -> str | None:
  try:
    return importlib.metadata.version(package)
  except importlib.metadata.PackageNotFoundError:
    return None
