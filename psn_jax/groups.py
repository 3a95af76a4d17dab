"""Groups of runs: the runs of a study, which configs share one compiled
program, seeds, checkpoint fingerprints and saved configs.

`expand(base, grid, points)` makes the named runs of a study from sweep
points, the one way an arm is written (`runner.run(config, workdir,
variants=points)` and `psn_jax.sweep` call it; `config.variants` tuples
become points in `config.points_from_variants`). `psn_jax.runner` and
`psn_jax.sweep` read the rest: two configs train in one program when they
differ only in `BATCHED_FIELDS` (the mask fields `masks.MASK_FIELDS`,
`init_masks` and the learning rate, which reach the engine as batched data).
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple, Sequence

import ml_collections

from psn_jax import config as config_lib
from psn_jax import masks as masks_lib

__all__ = ["BATCHED_FIELDS", "Run", "expand", "program_key", "seeds_of",
           "fingerprint", "check_group", "plain_config"]

# Fields that may differ inside one program: they reach the engine as batched
# data (masks, keys, the learning rate), not as part of the compiled program.
BATCHED_FIELDS: tuple[str, ...] = masks_lib.MASK_FIELDS + (
    "init_masks", "optim.learning_rate")
# Fields that change neither the program nor the numbers of a run.
_UNTRACKED_FIELDS: tuple[str, ...] = ("checkpoint_every",)


class Run(NamedTuple):
  """One point of a study: its name, its overrides and its full config."""

  name: str
  overrides: dict[str, Any]
  config: ml_collections.ConfigDict


def _label(value: Any) -> str:
  if isinstance(value, (list, tuple)):
    return "-".join(_label(v) for v in value)
  return f"{value:g}" if isinstance(value, float) else str(value)


def expand(base: ml_collections.ConfigDict,
           grid: Sequence[tuple[str, Sequence[Any]]] = (),
           points: Sequence[dict[str, Any]] = ()) -> list[Run]:
  """The runs of a study: the product of `grid`, times each of `points`.

  Args:
    base: the config every run starts from.
    grid: `(dotted field, values)` pairs; every combination is a run.
    points: sweep points, override dicts (`{field: value}`), each combined
      with every grid combination (a list of named topologies, say). A point
      may set `name`, the run's name part; otherwise names come from the
      values.

  Returns:
    The runs, named `field=value,...` (or by the points' `name`), each with a
    validated config (`config.apply_point`).

  Raises:
    ValueError: an unknown field, a bad value (one line naming the field) or
      two runs with the same name.
  """
  fields = [f for f, _ in grid]
  combos = list(itertools.product(*[list(v) for _, v in grid])) or [()]
  runs, seen = [], set()
  for combo in combos:
    for point in (list(points) or [{}]):
      point = dict(point)
      label = point.pop("name", None)
      overrides = dict(zip(fields, combo), **point)
      config = config_lib.apply_point(base, overrides)
      parts = [f"{f.split('.')[-1]}={_label(v)}" for f, v in zip(fields, combo)]
      if label is not None:
        parts.append(str(label))
      elif point:
        parts += [f"{f.split('.')[-1]}={_label(v)}" for f, v in point.items()]
      name = ",".join(parts) or "base"
      if name in seen:
        raise ValueError(f"runs must have unique names; {name!r} repeats "
                         f"(give the points a 'name')")
      seen.add(name)
      runs.append(Run(name, overrides, config))
  return runs


def program_key(config: ml_collections.ConfigDict) -> str:
  """What configs must share to train in one program (`BATCHED_FIELDS` aside).

  Two configs with equal keys have the same shapes, optimizer, schedules, DST
  plan and seeds, so their runs stack on one vmapped axis.
  """
  flat = config_lib.flatten(config)
  for f in BATCHED_FIELDS + _UNTRACKED_FIELDS + ("variants",):
    flat.pop(f, None)
  return repr(sorted(flat.items()))


def seeds_of(config: ml_collections.ConfigDict) -> list[int]:
  """The seeds of `config`: `seed, seed + 1, ..., seed + num_seeds - 1`."""
  return [config.seed + s for s in range(config.num_seeds)]


def fingerprint(configs: Sequence[ml_collections.ConfigDict],
                names: Sequence[str]) -> dict:
  """Flat {field: value} that a checkpoint must share to be resumed.

  One config: its dotted fields. Several: `<name>/<field>`. A mismatch then
  names the differing fields.
  """
  out: dict[str, Any] = {"names": list(names)}
  for name, c in zip(names, configs):
    flat = config_lib.flatten(c)
    for f in _UNTRACKED_FIELDS + ("variants",):
      flat.pop(f, None)
    prefix = "" if len(configs) == 1 else f"{name}/"
    out.update({prefix + k: v for k, v in flat.items()})
  return out


def check_group(configs: Sequence[ml_collections.ConfigDict],
                names: Sequence[str]) -> None:
  """Refuses a group that cannot train in one program, in one line: names
  not one per config or not unique, an invalid config, or configs whose
  `program_key`s differ (naming the fields)."""
  if not configs or len(configs) != len(names):
    raise ValueError(f"names must hold one name per config ({len(configs)}), "
                     f"got {len(names)}")
  if len(set(names)) != len(names):
    raise ValueError(f"names must be unique, got {list(names)}")
  for c in configs:
    config_lib.validate(c)
  first = program_key(configs[0])
  for name, c in zip(names[1:], configs[1:]):
    if program_key(c) != first:
      differ = [f for f in config_lib.diff(configs[0], c)
                if f not in BATCHED_FIELDS + _UNTRACKED_FIELDS]
      raise ValueError(f"config {name!r} cannot share a program with "
                       f"{names[0]!r}: fields {', '.join(differ)} differ")


def plain_config(c: ml_collections.ConfigDict) -> dict[str, Any]:
  """A run's config as saved in `Results.configs`: flat dotted fields."""
  flat = config_lib.flatten(c)
  flat.pop("variants", None)
  return flat
