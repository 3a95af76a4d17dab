"""Orbax checkpoints of the whole vmapped training state.

A checkpoint holds the stacked `TrainState` (params, masks, optimizer state,
PRNG keys, topology records; leading seed axis), and a JSON part with the
number of epochs done, the metrics so far and a fingerprint of the config.
Every epoch is a pure function of (state, epoch), so a run restored from a
checkpoint ends bitwise identical to the same run uninterrupted. Orbax writes
each checkpoint under a temporary name and renames it when complete, so a run
killed at any moment (SIGINT or SIGKILL) leaves the previous checkpoint as the
latest one.
"""

from __future__ import annotations

import os
from typing import Any

import orbax.checkpoint as ocp


class CheckpointMismatchError(ValueError):
  """The checkpoint in the work directory was written by another config."""


def manager(directory: str, max_to_keep: int = 2) -> ocp.CheckpointManager:
  """A CheckpointManager over `directory/checkpoints` (created if absent)."""
  path = os.path.join(os.path.abspath(directory), "checkpoints")
  return ocp.CheckpointManager(
      path, options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep,
                                                 create=True))


def save(mngr: ocp.CheckpointManager, epoch: int, state: Any,
         meta: dict) -> None:
  """Saves `state` (any pytree of arrays) and `meta` (JSON) as step `epoch`."""
  mngr.save(epoch, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                           meta=ocp.args.JsonSave(meta)))


def restore_latest(mngr: ocp.CheckpointManager, abstract_state: Any,
                   fingerprint: dict) -> tuple[Any, dict] | None:
  """Restores the latest checkpoint, or returns None when there is none.

  Args:
    mngr: the manager of the run's work directory.
    abstract_state: a pytree of `jax.ShapeDtypeStruct` (from `jax.eval_shape`)
      with the structure, shapes and dtypes the current config produces.
    fingerprint: the current config's fingerprint; the checkpoint's must equal
      it.

  Raises:
    CheckpointMismatchError: the checkpoint comes from another config (shapes,
      number of seeds, algorithm, ...); the message names the fields.
  """
  step = mngr.latest_step()
  if step is None:
    return None
  meta = mngr.restore(step, args=ocp.args.Composite(
      meta=ocp.args.JsonRestore()))["meta"]
  saved = meta.get("fingerprint", {})
  differ = sorted(k for k in set(saved) | set(fingerprint)
                  if saved.get(k) != fingerprint.get(k))
  if differ:
    details = ", ".join(
        f"{k}: checkpoint {saved.get(k)!r} vs config {fingerprint.get(k)!r}"
        for k in differ)
    raise CheckpointMismatchError(
        f"checkpoint in {mngr.directory} was written by another config "
        f"({details}); use a new --workdir or the same config")
  restored = mngr.restore(step, args=ocp.args.Composite(
      state=ocp.args.StandardRestore(abstract_state)))["state"]
  return restored, meta
