"""Shared command-line plumbing: config flags, one-line errors, Ctrl-C.

Every bad value exits with status 2 and ONE line on stderr that names the field
and the allowed values; no traceback, and no results file. What is checked
before any data loads or anything compiles: the flags, that the config file
exists, that every `--config.<field>` names a field, `psn_jax.config.validate`
on the whole config, and that `--workdir` is (or can be made) a writable
directory.

Ctrl-C (SIGINT) at any moment exits with status 130 and one line that says
whether a checkpoint exists to `--resume` from. A dedicated thread waits for
the signal (every thread started after this module blocks it), so the exit is
immediate even while XLA compiles or runs an epoch, and it leaves through
`os._exit` after flushing: unwinding the interpreter while XLA and Orbax
threads are still working crashed it with a segmentation fault. Checkpoints
stay consistent: Orbax renames a checkpoint into place only when it is
complete, so an interrupted save leaves the previous one as the latest.
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


def _is_command_line() -> bool:
  """True when the process runs `python -m experiments.<name>`."""
  argv = list(getattr(sys, "orig_argv", []))
  return any(a == "-m" and i + 1 < len(argv)
             and argv[i + 1].startswith("experiments.")
             for i, a in enumerate(argv))


if _is_command_line():
  install_interrupt_handler()

# pylint: disable=g-import-not-at-top,wrong-import-position
import re
import tempfile
from typing import Callable, Sequence

from absl import flags
from ml_collections import config_flags

_DEFINE_ERRORS: list[str] = []


def define_flags(default_config: str) -> None:
  """Defines --config (a config file with :variant), --workdir, --resume,
  --data_dir and --progress."""
  try:
    config_flags.DEFINE_config_file("config", default_config,
                                    "Path to a config file, with :variant.",
                                    lock_config=True)
  except Exception as e:  # pylint: disable=broad-except
    # The overrides (--config.<field>=...) are typed against the default
    # config while the flag is defined; report after parsing, as one line.
    _DEFINE_ERRORS.append(_define_error(e, sys.argv))
  flags.DEFINE_string("workdir", None, "Directory for checkpoints and results.")
  flags.DEFINE_bool("resume", False, "Continue from the latest checkpoint.")
  flags.DEFINE_string("data_dir", None,
                      "Dataset folder (default $PSN_DATA_DIR, then TFDS).")
  flags.DEFINE_bool("progress", True, "Show a progress bar.")
  flags.DEFINE_string("coordinator_address", None,
                      "HOST:PORT of process 0, for a run over several processes "
                      "(jax.distributed.initialize).")
  flags.DEFINE_integer("num_processes", 1, "Processes of a multi-process run.")
  flags.DEFINE_integer("process_id", 0, "This process's index in [0, num_processes).")


def _define_error(e: Exception, argv: Sequence[str]) -> str:
  if isinstance(e, (KeyError, AttributeError)):
    key = str(e).strip("\"'")
    for arg in argv:
      m = re.match(r"--config\.([^=\s]+)", arg)
      if m:
        parts = m.group(1).split(".")
        if key in parts:
          return (f"unknown config field {'.'.join(parts[:parts.index(key) + 1])}"
                  " (the fields are in psn_jax/config.py)")
    return f"unknown config field {key} (the fields are in psn_jax/config.py)"
  return _first_line(e)


def run_variants(flags: flags.FlagValues) -> tuple[list, dict]:
  """Trains the config's `variants` (name, sparsity, distribution, profile,
  cv) in one program; returns the `runner.Variant`s and the results."""
  from psn_jax import runner
  config = flags.config
  variants = [runner.Variant(name=n, sparsity=s, distribution=d, profile=p, cv=cv,
                             dense_first=config.dense_first,
                             dense_last=config.dense_last)
              for n, s, d, p, cv in config.variants]
  results = runner.run(config, flags.workdir, variants=variants,
                       resume=flags.resume, data_dir=flags.data_dir,
                       progress=flags.progress)
  return variants, results


def layer_order(names) -> list[str]:
  """Layer names in input-to-output order: `psn_jax.utils.natural_order`."""
  from psn_jax import utils  # pylint: disable=g-import-not-at-top
  return utils.natural_order(names)


def fail(message: object) -> None:
  """Prints `error: message` as one line and exits with status 2."""
  print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
  raise SystemExit(2)


def check_workdir(path: str) -> None:
  """Fails (one line, exit 2) unless `path` is or can be made a writable
  directory; creates it."""
  if os.path.exists(path) and not os.path.isdir(path):
    fail(f"--workdir {path} is a file, not a directory")
  try:
    os.makedirs(path, exist_ok=True)
  except OSError as e:
    fail(f"--workdir {path} cannot be created: {e.strerror or e}")
  try:
    with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
      pass
  except OSError as e:
    fail(f"--workdir {path} is not writable: {e.strerror or e}")


def load_config(flag_values: flags.FlagValues):
  """The parsed, validated config; one line and exit 2 if anything is wrong."""
  filename = config_flags.get_config_filename(flag_values["config"])
  if not os.path.isfile(filename) and ":" in filename:
    filename = filename.rsplit(":", 1)[0]  # path:variant
  if not os.path.isfile(filename):
    fail(f"config file {filename} does not exist (--config=path/to/config.py"
         "[:variant], e.g. configs/train.py:quick)")
  try:
    config = flag_values.config
    config.keys()  # a config that failed to load raises here
  except Exception as e:  # pylint: disable=broad-except
    fail(f"config file {filename}: {_first_line(e)}")
  from psn_jax import config as config_lib
  from psn_jax import sweep
  try:
    if "base" in config:  # a sweep: every run's config must be valid
      sweep.grid_from_config(config)
    else:
      config_lib.validate(config)
  except ValueError as e:
    fail(e)
  return config


def main(argv: Sequence[str], body: Callable[[flags.FlagValues], None]) -> None:
  """Parses `argv` into absl flags, checks the config and --workdir, and runs
  `body`, turning errors into one line (exit 2) and Ctrl-C into exit 130."""
  install_interrupt_handler()
  if _DEFINE_ERRORS:
    fail(_DEFINE_ERRORS[0])
  try:
    flags.FLAGS(list(argv))
  except (KeyError, AttributeError) as e:
    fail(_define_error(e, argv))
  except (flags.Error, ValueError, TypeError) as e:
    fail(_flag_error(e))
  load_config(flags.FLAGS)
  if not flags.FLAGS.workdir:
    fail("--workdir is required: a directory for checkpoints and results.json")
  check_workdir(flags.FLAGS.workdir)
  from psn_jax import sharding
  try:
    sharding.initialize_distributed(flags.FLAGS.coordinator_address,
                                    flags.FLAGS.num_processes,
                                    flags.FLAGS.process_id)
  except ValueError as e:
    fail(e)
  _STATE["workdir"] = flags.FLAGS.workdir
  _STATE["progress"] = flags.FLAGS.progress
  try:
    body(flags.FLAGS)
  except (ValueError, OSError) as e:
    fail(e)
  except KeyboardInterrupt:
    exit_on_interrupt()


def _first_line(e: Exception) -> str:
  text = str(e).strip().splitlines()
  return text[0] if text else type(e).__name__


def _flag_error(e: Exception) -> str:
  text = str(e).strip().splitlines()
  return text[-1] if text else type(e).__name__
