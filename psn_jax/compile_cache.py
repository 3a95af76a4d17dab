"""A persistent XLA compilation cache, on by default for every run.

A run's programs (one epoch of a RigL run is the biggest) take seconds to
compile, as long as one or two steady epochs on a CPU. JAX can keep compiled
executables on disk and load them the next time the same program is built,
so a second identical run (the same command, a `--resume`, a notebook
re-executed) starts training without recompiling. `enable()` turns that on;
the command lines (`experiments.cli.main`) and `psn_jax.runner.run_group`
(so notebooks and `runner.run` too) call it before anything compiles.

Which folder, first match wins:

1. `$JAX_COMPILATION_CACHE_DIR` (JAX's own variable; the test suite sets it
   to a temporary folder): used as it is, never changed here;
2. `$PSN_COMPILE_CACHE`: a folder, or `0` / `off` / `false` / `none` to turn
   the cache off;
3. `DEFAULT_DIR`: `$XDG_CACHE_HOME/psn-jax/xla`, else `~/.cache/psn-jax/xla`.

A cached executable is the one the compiler would build again (the key
covers the program, the compiler flags, the device and the jax/jaxlib
versions), so results do not change. Entries are never evicted: delete the
folder to reclaim the space. Every program is cached, however fast it
compiled (JAX's default skips those under one second, which would leave the
small ones to recompile on every run), unless
`$JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS` says otherwise.
"""

from __future__ import annotations

import os

import jax

ENV_VAR = "PSN_COMPILE_CACHE"
JAX_ENV_VAR = "JAX_COMPILATION_CACHE_DIR"
OFF_VALUES = ("0", "off", "false", "none", "no")

__all__ = ["ENV_VAR", "DEFAULT_DIR", "OFF_VALUES", "default_dir", "resolve",
           "enable", "directory"]


def default_dir(environ: dict[str, str] | None = None) -> str:
  """`$XDG_CACHE_HOME/psn-jax/xla`, else `~/.cache/psn-jax/xla` (absolute)."""
  env = os.environ if environ is None else environ
  base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                   ".cache")
  return os.path.abspath(os.path.join(base, "psn-jax", "xla"))


DEFAULT_DIR = default_dir()


def resolve(environ: dict[str, str] | None = None) -> str | None:
  """The cache folder the environment asks for (rules in the module), or None
  when `$PSN_COMPILE_CACHE` turns it off. Reads `environ` (default
  `os.environ`); creates nothing."""
  env = os.environ if environ is None else environ
  if env.get(JAX_ENV_VAR):
    return os.path.abspath(env[JAX_ENV_VAR])
  value = env.get(ENV_VAR)
  if value is None or value == "":
    return default_dir(env)
  if value.strip().lower() in OFF_VALUES:
    return None
  return os.path.abspath(os.path.expanduser(value))


def enable(path: str | os.PathLike | None = None) -> str | None:
  """Points JAX's persistent compilation cache at a folder and creates it.

  Args:
    path: the folder; default `resolve()` (the environment's choice, which
      may be off).

  Returns:
    The folder in use (absolute), or None when the cache is off or the folder
    cannot be created (a read-only home, say: a warning says so and the run
    goes on uncached). Idempotent; a folder JAX already uses (set by
    `$JAX_COMPILATION_CACHE_DIR` or an earlier call) is kept.
  """
  current = jax.config.jax_compilation_cache_dir
  if current:
    return os.path.abspath(current)
  folder = resolve() if path is None else os.path.abspath(os.fspath(path))
  if folder is None:
    return None
  try:
    os.makedirs(folder, exist_ok=True)
  except OSError as e:
    import warnings  # pylint: disable=g-import-not-at-top
    warnings.warn(f"compilation cache off: cannot create {folder} ({e}); set "
                  f"${ENV_VAR} to a writable folder or to 0", stacklevel=2)
    return None
  if not os.environ.get("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"):
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
  jax.config.update("jax_compilation_cache_dir", folder)
  return folder


def directory() -> str | None:
  """The folder JAX's persistent cache uses now, or None when it has none."""
  current = jax.config.jax_compilation_cache_dir
  return os.path.abspath(current) if current else None
