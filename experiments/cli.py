"""Shared command-line plumbing: config flags, one-line errors.

Every bad value exits with status 2 and ONE line on stderr that names the field
and the allowed values; no traceback, and no results file. What is checked
before any data loads or anything compiles: the flags, that the config file
exists, that every `--config.<field>` names a field, `psn_jax.config.validate`
on the whole config, and that `--workdir` is (or can be made) a writable
directory, and that no other live run holds it (`checkpoint.lock_workdir`;
a killed run's lock goes with its process). Ctrl-C and SIGTERM:
`experiments.interrupt` (exit 130 and 143). A run that finishes with diverged
seeds (a non-finite loss) writes its results, names them on stderr and exits
with `EXIT_DIVERGED` (3).

Every command keeps its compiled programs in the persistent XLA cache
(`psn_jax.compile_cache`: `~/.cache/psn-jax/xla` by default, `$PSN_COMPILE_CACHE`
names another folder or `0` turns it off), so running the same command again
starts training without recompiling.

Exit codes: 0 done, 2 bad input (one line), 3 finished but some runs
diverged, 130 Ctrl-C, 143 SIGTERM (checkpointed when it could be).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Sequence

from absl import flags
from ml_collections import config_flags

from experiments import interrupt
from psn_jax import overrides

_DEFINE_ERRORS: list[str] = []
# `--config.<optional field>` overrides, taken out of argv before absl reads
# it: its locked config refuses fields absent from the defaults.
_OPTIONAL_OVERRIDES: dict[str, str] = {}
# The --workdir lock, held until the process ends.
_LOCKS: list[Any] = []
EXIT_DIVERGED = 3


def define_flags(default_config: str) -> None:
  """Defines --config (a config file with :variant), --workdir, --resume,
  --data_dir and --progress.

  `--config.<field>` of an optional field (`config.OPTIONAL_FIELDS`, e.g.
  `--config.model=cnn`; `base.` in a sweep) is moved out of `sys.argv` here
  and set on the config when it loads.
  """
  _OPTIONAL_OVERRIDES.update(overrides.take_optional(sys.argv))
  try:
    config_flags.DEFINE_config_file("config", default_config,
                                    "Path to a config file, with :variant.",
                                    lock_config=True)
  except Exception as e:  # pylint: disable=broad-except
    # The overrides (--config.<field>=...) are typed against the default
    # config while the flag is defined; report after parsing, as one line.
    _DEFINE_ERRORS.append(overrides.define_error(e, sys.argv))
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


def exit_if_diverged(*results: Any) -> None:
  """Names the diverged runs of `results` (each a `Results`) on stderr, one
  line each, and exits with `EXIT_DIVERGED` (3) if there is any.

  Called after the results are written and printed: a diverged seed is
  reported and the command fails, but nothing is lost (`results.json` marks
  the same runs under `diverged`).
  """
  lines = [f"error: diverged: {d['variant']} seed {d['seed']} (loss not finite "
           f"from epoch {d['epoch']}; its accuracy is not a result)"
           for r in results for d in r.diverged]
  if lines:
    print("\n".join(lines), file=sys.stderr)
    raise SystemExit(EXIT_DIVERGED)


def run_variants(flags: flags.FlagValues):
  """Trains the config's `variants` in one program (`runner.run`)."""
  from psn_jax import runner
  return runner.run(flags.config, flags.workdir,
                    variants=runner.variants_from_config(flags.config),
                    resume=flags.resume, data_dir=flags.data_dir,
                    progress=flags.progress)


def fail(message: object) -> None:
  """Prints `error: message` as one line and exits with status 2."""
  print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
  raise SystemExit(2)


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
  try:
    overrides.apply_optional(config, _OPTIONAL_OVERRIDES)
    if "base" in config:  # a sweep: every run's config must be valid
      from psn_jax import sweep  # pylint: disable=g-import-not-at-top
      sweep.grid_from_config(config)
    else:
      config_lib.validate(config)
  except ValueError as e:
    fail(e)
  return config


def main(argv: Sequence[str], body: Callable[[flags.FlagValues], None]) -> None:
  """Parses `argv` into absl flags, checks the config and --workdir, and runs
  `body`, turning errors into one line (exit 2), Ctrl-C into exit 130 and
  SIGTERM into a checkpoint and exit 143."""
  interrupt.install_interrupt_handler()
  interrupt.begin_command()
  if _DEFINE_ERRORS:
    fail(_DEFINE_ERRORS[0])
  try:
    flags.FLAGS(list(argv))
  except (KeyError, AttributeError) as e:
    fail(overrides.define_error(e, argv))
  except (flags.Error, ValueError, TypeError) as e:
    fail(_flag_error(e))
  _refuse_a_busy_workdir(flags.FLAGS)
  load_config(flags.FLAGS)
  if not flags.FLAGS.workdir:
    fail("--workdir is required: a directory for checkpoints and results.json")
  from psn_jax import checkpoint, preemption, sharding, utils
  try:
    utils.make_writable_dir(flags.FLAGS.workdir, "--workdir")
    # The signal handlers know the run before its lock file says it runs.
    interrupt.set_run(flags.FLAGS.workdir, flags.FLAGS.progress)
    if flags.FLAGS.process_id == 0:  # one lock per run, not per process
      _LOCKS.append(checkpoint.lock_workdir(flags.FLAGS.workdir, "--workdir"))
    sharding.initialize_distributed(flags.FLAGS.coordinator_address,
                                    flags.FLAGS.num_processes,
                                    flags.FLAGS.process_id)
  except ValueError as e:
    fail(e)
  # Before anything compiles: a second identical run loads its programs.
  from psn_jax import compile_cache  # pylint: disable=g-import-not-at-top
  compile_cache.enable()
  try:
    body(flags.FLAGS)
  except preemption.Preempted as stopped:
    interrupt.exit_preempted(stopped)
  except (ValueError, OSError) as e:
    fail(e)
  except KeyboardInterrupt:
    interrupt.exit_on_interrupt()


def _refuse_a_busy_workdir(flag_values: flags.FlagValues) -> None:
  """Fails at once if an existing --workdir is locked by a live run.

  Before the config is validated, which imports JAX (seconds on a busy
  machine): a second run on a busy --workdir is refused within a second.
  The lock itself is taken later, once everything is checked; this only
  looks (it creates and writes nothing).
  """
  workdir = flag_values.workdir
  if not workdir or flag_values.process_id != 0:
    return
  from psn_jax import checkpoint  # pylint: disable=g-import-not-at-top
  message = checkpoint.busy_message(workdir, "--workdir")
  if message:
    fail(message)


def _first_line(e: Exception) -> str:
  text = str(e).strip().splitlines()
  return text[0] if text else type(e).__name__


def _flag_error(e: Exception) -> str:
  text = str(e).strip().splitlines()
  return text[-1] if text else type(e).__name__
