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

The JSON part is serialised when `save` is called, not when Orbax's writer
thread gets to it: a checkpoint of epoch k holds exactly k epochs of history
even when the caller goes on appending to its lists while the write is in
flight (that race once gave a resumed run an extra epoch).

`lock_workdir` makes a work directory one run's at a time: a second run is
refused at once, and a lock of a killed run (even SIGKILL) is gone with its
process (`fcntl.flock`), so it never needs removing by hand.

Orbax is imported on first use, so `saved_epochs` (used when a command line is
interrupted) is cheap.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import socket
from typing import TYPE_CHECKING, Any

from psn_jax import config as config_lib

if TYPE_CHECKING:
  import orbax.checkpoint as ocp

LOCK_NAME = ".lock"


class CheckpointMismatchError(ValueError):
  """The checkpoint in the work directory was written by another config."""


class WorkdirBusyError(ValueError):
  """Another live process holds the work directory's lock."""


class WorkdirLock:
  """The lock of one work directory, held until `release` or process exit.

  An open file descriptor with an exclusive `fcntl.flock` on
  `workdir/.lock`. The kernel drops the lock when the descriptor is closed,
  including when the process dies by any signal, so a stale lock cannot
  exist; the file itself stays and only says who held it last.
  """

  def __init__(self, path: str, fd: int):
    self.path = path
    self._fd: int | None = fd

  def release(self) -> None:
    """Unlocks (idempotent)."""
    if self._fd is not None:
      os.close(self._fd)
      self._fd = None

  def __enter__(self) -> "WorkdirLock":
    return self

  def __exit__(self, *exc: object) -> None:
    self.release()


def _busy(workdir: str | os.PathLike, holder: str, what: str) -> str:
  return (f"{what} {os.fspath(workdir)} is in use by another run"
          f"{f' ({holder})' if holder else ''}; wait for it to end or use "
          f"another {what}")


def busy_message(workdir: str | os.PathLike,
                 what: str = "work directory") -> str | None:
  """The `lock_workdir` refusal if a live run holds `workdir`, else None.

  Only looks: creates and writes nothing (a missing directory or lock file
  is free), so a command line can ask before its slower checks.
  """
  try:
    fd = os.open(os.path.join(os.fspath(workdir), LOCK_NAME), os.O_RDONLY)
  except OSError:
    return None
  try:
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
  except OSError:
    holder = os.read(fd, 200).decode(errors="replace").strip()
    return _busy(workdir, holder, what)
  finally:
    os.close(fd)  # also drops the shared lock
  return None


def lock_workdir(workdir: str | os.PathLike,
                 what: str = "work directory") -> WorkdirLock:
  """Takes `workdir`'s lock, or refuses at once if a live run holds it.

  Two runs writing one work directory would interleave their Orbax
  checkpoints and results (the second used to die minutes later in Orbax);
  this makes the second one fail before it loads anything.

  Args:
    workdir: an existing, writable directory.
    what: how the message names it (`--workdir` on a command line).

  Returns:
    The held `WorkdirLock`; keep a reference for as long as the run writes.

  Raises:
    WorkdirBusyError: (a `ValueError`) one line naming `workdir` and the
      process that holds it.
  """
  path = os.path.join(os.fspath(workdir), LOCK_NAME)
  fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
  try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
  except OSError:
    try:
      holder = os.read(fd, 200).decode(errors="replace").strip()
    finally:
      os.close(fd)
    raise WorkdirBusyError(_busy(workdir, holder, what)) from None
  now = datetime.datetime.now().isoformat(timespec="seconds")
  os.ftruncate(fd, 0)
  os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since {now}\n"
           .encode())
  return WorkdirLock(path, fd)


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
  """Saves `state` (any pytree of arrays) and `meta` (JSON) as step `epoch`.

  `meta` is copied through JSON here, before Orbax's asynchronous writer
  sees it: the checkpoint holds `meta` as it is now, whatever the caller
  changes in it afterwards (see the module docstring).
  """
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  frozen = json.loads(json.dumps(meta))
  mngr.save(epoch, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                           meta=ocp.args.JsonSave(frozen)))


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
