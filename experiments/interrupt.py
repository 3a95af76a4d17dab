"""Ctrl-C for the command lines: exit 130 at once, with one line that says
whether a checkpoint exists to `--resume` from.

A dedicated thread waits for SIGINT (every thread started after
`install_interrupt_handler` blocks it), so the exit is immediate even while XLA
compiles or runs an epoch, and it leaves through `os._exit` after flushing:
unwinding the interpreter while XLA and Orbax threads are still working
crashed it with a segmentation fault. Checkpoints stay consistent: Orbax
renames a checkpoint into place only when it is complete, so an interrupted
save leaves the previous one as the latest. `experiments/__init__.py` imports
this module first, so the handler is in place before anything heavy loads.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

_STATE: dict = {"workdir": None, "installed": False, "progress": False}
_EXITING = threading.Lock()


def _interrupt_message() -> str:
  workdir = _STATE["workdir"]
  if not workdir:
    return "interrupted before the run started: nothing was written"
  path = os.path.join(os.path.abspath(workdir), "checkpoints")
  try:
    epochs = sorted(int(n) for n in os.listdir(path) if n.isdigit())
  except OSError:
    epochs = []
  if not epochs:
    return (f"interrupted: no checkpoint was written yet in {workdir}; run the "
            "same command again (without --resume) to start over")
  return (f"interrupted: continue from the last checkpoint (epoch {epochs[-1]}) "
          f"with --resume --workdir {workdir}")


def exit_on_interrupt(*_: object) -> None:
  """Prints the interrupt line, flushes and ends the process with status 130.

  Leaves through `os._exit`: no interpreter shutdown while XLA or Orbax
  threads are busy. Safe to call from a signal handler or any thread; only
  the first caller prints.
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
    os.write(2, (newline + _interrupt_message() + "\n").encode())
  finally:
    os._exit(130)


def install_interrupt_handler() -> None:
  """Routes SIGINT to `exit_on_interrupt` (main thread only; idempotent)."""
  if (_STATE["installed"]
      or threading.current_thread() is not threading.main_thread()):
    return
  _STATE["installed"] = True
  # A Python handler for a signal that reaches a thread started earlier ...
  signal.signal(signal.SIGINT, exit_on_interrupt)
  # ... and a waiting thread for every later one: threads inherit the mask, so
  # XLA's and Orbax's threads never see SIGINT and the waiter gets it at once.
  signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

  def wait() -> None:
    signal.sigwait({signal.SIGINT})
    exit_on_interrupt()

  threading.Thread(target=wait, name="psn-sigint", daemon=True).start()


def set_run(workdir: str, progress: bool) -> None:
  """Tells the interrupt line which `--workdir` to look for checkpoints in and
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
