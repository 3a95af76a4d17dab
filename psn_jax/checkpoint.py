"""Orbax checkpoints of the whole vmapped training state.

A checkpoint holds the stacked `TrainState` (params, masks, optimizer state,
PRNG keys, topology records; leading seed axis), and a JSON part with the
number of epochs done, the metrics so far and a fingerprint of the config (a
flat `{dotted field: value}` dict, `psn_jax.runner.fingerprint`). Every
epoch is a pure function of (state, epoch), so a run restored from a
checkpoint ends bitwise identical to the same run uninterrupted. Orbax writes
each checkpoint under a temporary name and renames it when complete, so a run
killed at any moment (SIGINT or SIGKILL) leaves the previous checkpoint as the
latest one.

Orbax is imported on first use, so `saved_epochs` (used when a command line is
interrupted) is cheap.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from psn_jax import config as config_lib

if TYPE_CHECKING:
  import orbax.checkpoint as ocp

class CheckpointMismatchError(ValueError):
  """The checkpoint in the work directory was written by another config."""


def directory(workdir: str | os.PathLike) -> str:
  """Where the checkpoints of `workdir` go: `workdir/checkpoints`."""
  return os.path.join(os.path.abspath(os.fspath(workdir)), "checkpoints")


def saved_epochs(workdir: str | os.PathLike) -> list[int]:
  """The epochs of the complete checkpoints in `workdir`, ascending.

  Only finished checkpoints count: Orbax writes under a temporary name
  (`<step>.orbax-checkpoint-tmp-...`) and renames to `<step>` when done.
  """
  try:
    names = os.listdir(directory(workdir))
  except OSError:
    return []
  return sorted(int(n) for n in names if n.isdigit())


def manager(workdir: str, max_to_keep: int = 2) -> ocp.CheckpointManager:
  """A CheckpointManager over `workdir/checkpoints` (created if absent)."""
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  return ocp.CheckpointManager(
      directory(workdir),
      options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep,
                                           create=True))


def _short(x: Any) -> str:
  text = repr(x)
  return text if len(text) <= 24 else text[:21] + "..."


def mismatch_message(path: str, saved: dict, current: dict) -> str | None:
  """One line naming the fields in which two fingerprints differ, or None."""
  saved, current = config_lib.flatten(saved), config_lib.flatten(current)
  differ = config_lib.diff(saved, current)
  if not differ:
    return None
  shown = [f"{k} ({_short(saved.get(k, '<absent>'))} in the checkpoint, "
           f"{_short(current.get(k, '<absent>'))} now)" for k in differ[:5]]
  more = f" and {len(differ) - 5} more" if len(differ) > 5 else ""
  return (f"checkpoint in {path} was written by another config: "
          f"{'; '.join(shown)}{more}; use a new --workdir or the same config")


def save(mngr: ocp.CheckpointManager, epoch: int, state: Any,
         meta: dict) -> None:
  """Saves `state` (any pytree of arrays) and `meta` (JSON) as step `epoch`."""
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  mngr.save(epoch, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                           meta=ocp.args.JsonSave(meta)))


def restore_latest(mngr: ocp.CheckpointManager, abstract_state: Any,
                   fingerprint: dict) -> tuple[Any, dict] | None:
  """Restores the latest checkpoint, or returns None when there is none.

  Args:
    mngr: the manager of the run's work directory.
    abstract_state: a pytree of `jax.ShapeDtypeStruct` (from `jax.eval_shape`)
      with the structure, shapes and dtypes the current config produces.
    fingerprint: the current config's fingerprint (a flat dict); the
      checkpoint's must equal it.

  Raises:
    CheckpointMismatchError: the checkpoint comes from another config; the
      one-line message names only the differing fields.
  """
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  step = mngr.latest_step()
  if step is None:
    return None
  meta = mngr.restore(step, args=ocp.args.Composite(
      meta=ocp.args.JsonRestore()))["meta"]
  message = mismatch_message(str(mngr.directory), meta.get("fingerprint", {}),
                             fingerprint)
  if message:
    raise CheckpointMismatchError(message)
  restored = mngr.restore(step, args=ocp.args.Composite(
      state=ocp.args.StandardRestore(abstract_state)))["state"]
  return restored, meta
