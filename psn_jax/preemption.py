"""A request to stop training at the next epoch boundary (preemption).

Slurm and Kubernetes preempt a job with SIGTERM and kill it a grace period
later (Slurm's KillWait, Kubernetes' terminationGracePeriodSeconds: 30 s by
default). A run that stops at once loses every epoch since its last
checkpoint; a run that finishes the epoch in flight, checkpoints it and exits
loses nothing. The command lines' signal handler (`experiments.interrupt`)
calls `request_stop()`; `psn_jax.runner.run_group` reads `requested()` after
every epoch, and when it is set it saves a checkpoint of that epoch, waits
for the write to finish and raises `Preempted`.

The request is process-wide on purpose: a signal is delivered to the process,
not to a function, and the runner must see it whoever called it (a sweep, a
claim, a command line). Nothing in the library sets it; a Python program that
wants the same behaviour calls `request_stop()` from its own handler.
"""

from __future__ import annotations

import glob
import os
import threading

__all__ = ["Preempted", "request_stop", "requested", "clear", "grace_seconds",
           "latest_saved_epoch", "resume_hint"]

# Seconds a SIGTERM'd command gives the epoch in flight before it exits.
GRACE_ENV = "PSN_TERM_GRACE_S"
DEFAULT_GRACE_S = 20.0

_STOP = threading.Event()


class Preempted(Exception):
  """Training stopped at an epoch boundary because a stop was requested.

  Attributes:
    workdir: the work directory whose checkpoint holds the stopped run.
    epoch: the epochs done, all saved in that checkpoint.
  """

  def __init__(self, workdir: str, epoch: int):
    super().__init__(f"stopped on request after epoch {epoch}; the checkpoint "
                     f"of epoch {epoch} is in {workdir}")
    self.workdir = workdir
    self.epoch = epoch


def request_stop() -> None:
  """Asks every training loop of this process to checkpoint and stop after
  its current epoch (safe from a signal handler or any thread)."""
  _STOP.set()


def requested() -> bool:
  """Whether a stop was requested (`request_stop`)."""
  return _STOP.is_set()


def clear() -> None:
  """Withdraws a stop request (tests; a program that handled it and goes on)."""
  _STOP.clear()


def grace_seconds() -> float:
  """`$PSN_TERM_GRACE_S` (>= 0), else `DEFAULT_GRACE_S`: how long a stop
  request waits for the epoch in flight before the command exits anyway."""
  try:
    return max(0.0, float(os.environ.get(GRACE_ENV, DEFAULT_GRACE_S)))
  except ValueError:
    return DEFAULT_GRACE_S


def latest_saved_epoch(workdir: str) -> int | None:
  """The highest complete checkpoint epoch under `workdir` (a run's
  `checkpoints/` or a sweep's `groups/*/checkpoints/`), or None. Reads the
  folder names only (Orbax renames a checkpoint into place when complete),
  so a signal handler can call it without importing Orbax."""
  root = os.path.abspath(workdir)
  epochs = []
  for d in [os.path.join(root, "checkpoints")] + sorted(
      glob.glob(os.path.join(root, "groups", "*", "checkpoints"))):
    try:
      epochs += [int(n) for n in os.listdir(d) if n.isdigit()]
    except OSError:
      pass
  return max(epochs) if epochs else None


def resume_hint(head: str, workdir: str) -> str:
  """`head`, then how to continue a stopped run from what `workdir` holds."""
  epoch = latest_saved_epoch(workdir)
  if epoch is None:
    return (f"{head}: no checkpoint was written yet in {workdir}; run the "
            "same command again (without --resume) to start over")
  return (f"{head}: continue from the last checkpoint (epoch {epoch}) "
          f"with --resume --workdir {workdir}")
