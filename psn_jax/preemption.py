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

import threading

__all__ = ["Preempted", "request_stop", "requested", "clear"]

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
