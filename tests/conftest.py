"""Test-session settings shared by every test file.

Hypothesis: one profile, `psn`, loaded by default. It keeps no example
database (`database=None`: a run never depends on files left by an earlier
run) and is randomized (`derandomize=False`), so each run explores new
examples. Every run uses ONE seed, printed in pytest's header:

  hypothesis seed: 123456789 (replay with --hypothesis-seed=123456789)

Pass `--hypothesis-seed=N` (or set `PSN_HYPOTHESIS_SEED=N`) to fix it, e.g. in
CI or to replay a failure; a failing example is also printed with its
`@reproduce_failure` blob (`print_blob=True`). `HYPOTHESIS_PROFILE=replay`
selects the derandomized variant (the same examples on every run, for
bisecting). Per-test `@settings(max_examples=...)` still apply on top.

XLA: the session shares one persistent compilation cache (a fresh temporary
folder, removed at the end, exported so that pytest-xdist workers and the
CLI subprocesses of the tests use it too). Many tests compile the same small
programs; a cached executable is the one the compiler would build again, so
results do not change. Set JAX_COMPILATION_CACHE_DIR yourself to keep one.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile

# One BLAS thread per test process: pytest-xdist already runs one process per
# core, and oversubscribed BLAS threads slow the topology measures ~30x.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_CACHE_ENV = "JAX_COMPILATION_CACHE_DIR"
_OWN_CACHE = None
if not os.environ.get(_CACHE_ENV):   # the controller; workers inherit it
  _OWN_CACHE = tempfile.mkdtemp(prefix="psn-jax-xla-cache-")
  os.environ[_CACHE_ENV] = _OWN_CACHE
  # Cache every program (by default those compiled in under 1 s are not).
  os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
  os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
  # XLA's lowest CPU backend optimisation level: the tests' programs are
  # compile-bound (a toy RigL epoch compiles in 8 s instead of 24 s and runs
  # in 0.1 s either way). The computations are the same; the library and the
  # benchmarks keep XLA's default. PSN_TEST_XLA_OPT=default keeps it here too.
  if os.environ.get("PSN_TEST_XLA_OPT", "0") != "default":
    os.environ["XLA_FLAGS"] = " ".join(filter(None, [
        os.environ.get("XLA_FLAGS", ""), "--xla_backend_optimization_level=0"]))

import hypothesis
from hypothesis import HealthCheck

_SEED_ENV = "PSN_HYPOTHESIS_SEED"

hypothesis.settings.register_profile(
    "psn", database=None, derandomize=False, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
hypothesis.settings.register_profile(
    "replay", parent=hypothesis.settings.get_profile("psn"), derandomize=True)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "psn"))


def _session_seed(config) -> int:
  """The seed of this run: --hypothesis-seed, else $PSN_HYPOTHESIS_SEED, else
  a fresh random one (exported, so pytest-xdist workers share it)."""
  given = config.getoption("hypothesis_seed", None)
  if given is not None:
    return int(given)
  if os.environ.get(_SEED_ENV):
    return int(os.environ[_SEED_ENV])
  seed = random.SystemRandom().randrange(2**32)
  os.environ[_SEED_ENV] = str(seed)
  return seed


def pytest_configure(config) -> None:
  from hypothesis import core  # pylint: disable=g-import-not-at-top
  seed = _session_seed(config)
  config._psn_hypothesis_seed = seed  # pylint: disable=protected-access
  if hypothesis.settings.default.derandomize:
    return  # the replay profile derives every test's seed from its name
  core.global_force_seed = seed


def pytest_unconfigure(config) -> None:
  del config
  if _OWN_CACHE is not None:
    shutil.rmtree(_OWN_CACHE, ignore_errors=True)


def pytest_report_header(config) -> str:
  seed = getattr(config, "_psn_hypothesis_seed", None)
  profile = hypothesis.settings.get_current_profile_name()
  return (f"hypothesis seed: {seed} (replay with --hypothesis-seed={seed}; "
          f"profile {profile!r}, no example database)")
