"""Small shared helpers: host-side randomness from JAX keys, atomic file writes,
JSON-safe copies, stacking per-seed pytrees, natural layer order."""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from typing import Any, Iterable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np


def numpy_rng(key: jax.Array) -> np.random.Generator:
  """A NumPy generator seeded from a JAX PRNG key, for host-side mask makers.

  Host code (profiles, graphs, masks) draws with NumPy, which is faster than
  tracing for one-off construction; seeding it from the key keeps every draw a
  pure function of the key: the same key gives the same generator.

  Args:
    key: a typed (`jax.random.key`) or raw uint32 (`jax.random.PRNGKey`) key.

  Returns:
    A `np.random.Generator` (PCG64) seeded with the key's raw bits.
  """
  if jax.dtypes.issubdtype(getattr(key, "dtype", None), jax.dtypes.prng_key):
    key = jax.random.key_data(key)
  bits = np.asarray(key, dtype=np.uint32).ravel()
  return np.random.default_rng([int(b) for b in bits])


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
  """Writes `obj` as strict JSON to `path` atomically (`write_text_atomic`).

  Strict: `obj` goes through `jsonable`, so NaN and infinite floats are
  written as `null` (Python's `json` would write the tokens `NaN` /
  `Infinity`, which are not JSON and which strict readers refuse); every
  results file of psn-jax parses anywhere.
  """
  write_text_atomic(path, json.dumps(jsonable(obj), indent=1, allow_nan=False))


def jsonable(x: Any) -> Any:
  """A builtin, JSON-safe copy of `x`: the one JSON sanitiser of psn-jax.

  Mappings become dicts with string keys, named tuples dicts of their fields,
  lists and tuples lists, NumPy and JAX arrays (nested) lists, NumPy scalars
  Python numbers, bools bools; floats that are NaN or infinite become None
  (JSON has no NaN). Strings and None are kept; anything else becomes
  `str(x)`.
  """
  if isinstance(x, Mapping):
    return {str(k): jsonable(v) for k, v in x.items()}
  if isinstance(x, tuple) and hasattr(x, "_asdict"):
    return jsonable(x._asdict())
  if isinstance(x, (list, tuple)):
    return [jsonable(v) for v in x]
  if isinstance(x, (bool, np.bool_)):
    return bool(x)
  if isinstance(x, (int, np.integer)):
    return int(x)
  if isinstance(x, (float, np.floating)):
    x = float(x)
    return x if math.isfinite(x) else None
  if x is None or isinstance(x, str):
    return x
  if isinstance(x, (np.ndarray, jax.Array)):
    return jsonable(np.asarray(x).tolist())
  return str(x)


def stack_trees(trees: Sequence[Any]) -> Any:
  """Pytrees of one structure stacked leaf by leaf on a new leading axis.

  The one per-seed stacking rule: `trees[i]` (e.g. seed i's masks) becomes
  row `i` of every leaf, as a NumPy array (`np.stack`).
  """
  return jax.tree.map(lambda *leaves: np.stack(leaves), *trees)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
  """Writes `text` to `path` atomically (see `write_bytes_atomic`)."""
  write_bytes_atomic(path, text.encode())


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
  """Writes `data` to `path` via a temporary file and a rename.

  A reader never sees a half-written file: the rename is atomic on POSIX. The
  file gets the mode a plain `open` would give (0o666 minus the umask), not
  the 0o600 of `tempfile.mkstemp`.
  """
  path = os.fspath(path)
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
  try:
    with os.fdopen(fd, "wb") as f:
      f.write(data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise


def make_writable_dir(path: str | os.PathLike, what: str = "directory") -> None:
  """Creates `path` if needed and checks that a file can be written in it.

  Raises:
    ValueError: one line naming `what` and `path`, if `path` is a file, cannot
      be created or is not writable.
  """
  if os.path.exists(path) and not os.path.isdir(path):
    raise ValueError(f"{what} {path} is a file, not a directory")
  try:
    os.makedirs(path, exist_ok=True)
  except OSError as e:
    raise ValueError(f"{what} {path} cannot be created: {e.strerror or e}"
                     ) from None
  try:
    with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
      pass
  except OSError as e:
    raise ValueError(f"{what} {path} is not writable: {e.strerror or e}"
                     ) from None


def natural_key(name: str) -> tuple:
  """Sort key of `name` in which digit runs compare as numbers."""
  return tuple((0, int(t), "") if t.isdigit() else (1, 0, t)
               for t in re.split(r"(\d+)", name) if t)


def natural_order(names: Iterable[str]) -> list[str]:
  """`names` sorted naturally (`natural_key`): digit runs compare as numbers.

  `Dense_2` comes before `Dense_10`, so Flax's automatic layer names come out
  in forward (input-to-output) order. The one rule for layer order in psn-jax.
  """
  return sorted(names, key=natural_key)


def fixed_order_sum(x: jax.Array, axis: int = 0) -> jax.Array:
  """Sums `x` over `axis` by a fixed pairwise tree of elementwise adds.

  XLA may reduce a batched (S, n) array in another order than an unbatched
  (n,) one, so a plain `sum` can differ by an ulp between a seed run inside
  `vmap` and the same seed run alone. Elementwise adds are the same IEEE
  operations either way, so this sum is bitwise identical under `vmap`.
  """
  x = jnp.moveaxis(x, axis, 0)
  n = x.shape[0]
  size = 1 << max(n - 1, 0).bit_length()
  x = jnp.pad(x, [(0, size - n)] + [(0, 0)] * (x.ndim - 1))
  while x.shape[0] > 1:
    half = x.shape[0] // 2
    x = x[:half] + x[half:]
  return x[0]
