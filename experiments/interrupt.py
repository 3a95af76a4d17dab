"""Ctrl-C and SIGTERM for the command lines: exit codes a shell and a
scheduler understand, and one line that says how to continue.

* Ctrl-C (SIGINT): exit 130 (128 + 2) at once, with one line that says
  whether a checkpoint exists to `--resume` from.
* SIGTERM, what Slurm and Kubernetes send on preemption (and `kill` by
  default): the run finishes the epoch in flight, checkpoints it (even
  between `checkpoint_every` epochs), waits for the write, says
  `terminated (SIGTERM): saved a checkpoint of epoch N; continue with ...
  --resume` and exits 143 (128 + 15), the status of a SIGTERM death that
  Slurm and Kubernetes read as "terminated". If the epoch does not end within
  `$PSN_TERM_GRACE_S` seconds (default 20, inside Slurm's and Kubernetes'
  default 30 s grace) it exits 143 at once, naming the last checkpoint. A
  SIGTERM before the run started exits 143 at once; a second SIGTERM too.

A dedicated thread waits for both signals (every thread started after
`install_interrupt_handler` blocks them), so the exit is immediate even while
XLA compiles or runs an epoch, and it leaves through `os._exit` after
flushing: unwinding the interpreter while XLA and Orbax threads are still
working crashed it with a segmentation fault. Checkpoints stay consistent:
Orbax renames a checkpoint into place only when it is complete, so an
interrupted save leaves the previous one as the latest. The SIGTERM stop at
an epoch boundary goes through `psn_jax.preemption` (the runner reads it).
`experiments/__init__.py` imports this module first, so the handlers are in
place before anything heavy loads.
"""

from __future__ import annotations

import os
import signal
import sys
import threading


def _early_interrupt(*_: object) -> None:
  os.write(2, b"interrupted before the run started: nothing was written\n")
  os._exit(130)  # pylint: disable=protected-access


# Ctrl-C while the imports below load (psn_jax's import scans its package,
# seconds on a loaded machine): exit 130 with the line, not a traceback. The
# full handler replaces this one at the end of the module.
signal.signal(signal.SIGINT, _early_interrupt)

from psn_jax import preemption  # noqa: E402  pylint: disable=g-import-not-at-top

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143   # 128 + SIGTERM

_STATE: dict = {"workdir": None, "installed": False, "progress": False,
                "terminating": False, "command": False}
_EXITING = threading.Lock()


def _resume_line(head: str) -> str:
  """`head`, then how to continue from what `--workdir` holds."""
  workdir = _STATE["workdir"]
  if not workdir:
    if not _STATE["command"]:  # a command that does not use experiments.cli
      return head
    return f"{head} before the run started: nothing was written"
  return preemption.resume_hint(head, workdir)


def _interrupt_message() -> str:
  return _resume_line("interrupted")


def _exit(code: int, line: str) -> None:
  """Prints `line` on stderr, flushes and ends the process with `code`.

  Leaves through `os._exit`: no interpreter shutdown while XLA or Orbax
  threads are busy. Safe from a signal handler or any thread; only the first
  caller prints (later ones return, and the process ends anyway).
  """
  if not _EXITING.acquire(blocking=False):
    return
  try:
    for stream in (sys.stdout, sys.stderr):
      try:
        stream.flush()
      except Exception:  # pylint: disable=broad-except
        pass
    # A progress bar leaves the cursor at the end of its line.
    newline = "\n" if _STATE["progress"] else ""
    os.write(2, (newline + line + "\n").encode())
  finally:
    os._exit(code)


def exit_on_interrupt(*_: object) -> None:
  """Ctrl-C: the interrupt line, then exit status 130."""
  _exit(EXIT_INTERRUPTED, _interrupt_message())


def on_terminate(*_: object) -> None:
  """SIGTERM: stop at the next epoch boundary with a checkpoint, or after
  the grace period at once (see the module docstring)."""
  if not _STATE["workdir"] or _STATE["terminating"]:
    _exit(EXIT_TERMINATED, _resume_line("terminated (SIGTERM)"))
    return
  _STATE["terminating"] = True
  grace = preemption.grace_seconds()
  preemption.request_stop()
  os.write(2, (("\n" if _STATE["progress"] else "") +
               f"SIGTERM: saving a checkpoint after the current epoch (at "
               f"most {grace:g} s, ${preemption.GRACE_ENV}), then exiting\n").encode())

  def give_up() -> None:
    _exit(EXIT_TERMINATED, _resume_line(
        f"terminated (SIGTERM): the epoch in flight did not end within "
        f"{grace:g} s"))

  timer = threading.Timer(grace, give_up)
  timer.daemon = True
  timer.start()


def exit_preempted(stopped: preemption.Preempted) -> None:
  """The runner stopped after checkpointing: the line, then status 143."""
  _exit(EXIT_TERMINATED,
        f"terminated (SIGTERM): saved a checkpoint of epoch {stopped.epoch}; "
        f"continue with the same command and --resume --workdir "
        f"{_STATE['workdir'] or stopped.workdir}")


_HANDLERS = {signal.SIGINT: exit_on_interrupt, signal.SIGTERM: on_terminate}


def install_interrupt_handler() -> None:
  """Routes SIGINT and SIGTERM to their handlers (main thread only;
  idempotent)."""
  if (_STATE["installed"]
      or threading.current_thread() is not threading.main_thread()):
    return
  _STATE["installed"] = True
  # A Python handler for a signal that reaches a thread started earlier ...
  for signum, handler in _HANDLERS.items():
    signal.signal(signum, handler)
  # ... and a waiting thread for every later one: threads inherit the mask, so
  # XLA's and Orbax's threads never see the signals and the waiter gets them.
  signal.pthread_sigmask(signal.SIG_BLOCK, set(_HANDLERS))

  def wait() -> None:
    while True:
      _HANDLERS[signal.sigwait(set(_HANDLERS))]()

  threading.Thread(target=wait, name="psn-signals", daemon=True).start()


def begin_command() -> None:
  """Called first by `experiments.cli.main`: until `set_run`, a signal means
  that nothing was written yet."""
  _STATE["command"] = True


def set_run(workdir: str, progress: bool) -> None:
  """Tells the handlers which `--workdir` holds the run's checkpoints and
  whether a progress bar is on screen."""
  _STATE["workdir"] = workdir
  _STATE["progress"] = progress


def _is_command_line() -> bool:
  """True when the process runs `python -m experiments.<name>`."""
  argv = list(getattr(sys, "orig_argv", []))
  return any(a == "-m" and i + 1 < len(argv)
             and argv[i + 1].startswith("experiments.")
             for i, a in enumerate(argv))


if _is_command_line():
  install_interrupt_handler()
