"""Shared command-line plumbing: config flags and one-line errors.

Every bad value exits with status 2 and ONE line on stderr that names the field
and the allowed values; no traceback, and no results file.
"""

from __future__ import annotations

import re
import sys
from typing import Callable, Sequence

from absl import flags
from ml_collections import config_flags


def define_flags(default_config: str) -> None:
  config_flags.DEFINE_config_file("config", default_config,
                                  "Path to a config file, with :variant.",
                                  lock_config=True)
  flags.DEFINE_string("workdir", None, "Directory for checkpoints and results.")
  flags.DEFINE_bool("resume", False, "Continue from the latest checkpoint.")
  flags.DEFINE_string("data_dir", None,
                      "Dataset folder (default $PSN_DATA_DIR, then TFDS).")
  flags.DEFINE_bool("progress", True, "Show a progress bar.")


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
  """Layer names in input-to-output order (natural sort: Dense_2 < Dense_10)."""
  return sorted(names, key=lambda name: [int(t) if t.isdigit() else t
                                         for t in re.split(r"(\d+)", name)])


def fail(message: str) -> None:
  """Prints `error: message` as one line and exits with status 2."""
  print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
  raise SystemExit(2)


def main(argv: Sequence[str], body: Callable[[flags.FlagValues], None]) -> None:
  """Parses `argv` into absl flags and runs `body`, turning errors into lines."""
  try:
    flags.FLAGS(list(argv))
    config = flags.FLAGS.config
  except (flags.Error, ValueError, KeyError, AttributeError, TypeError) as e:
    fail(_flag_error(e))
  if not flags.FLAGS.workdir:
    fail("--workdir is required: a directory for checkpoints and results.json")
  del config
  try:
    body(flags.FLAGS)
  except (ValueError, FileNotFoundError) as e:
    fail(e)
  except KeyboardInterrupt:
    print(f"interrupted: continue from the last checkpoint with --resume "
          f"--workdir {flags.FLAGS.workdir}", file=sys.stderr)
    raise SystemExit(130)


def _flag_error(e: Exception) -> str:
  text = str(e).strip().splitlines()
  return text[-1] if text else type(e).__name__
