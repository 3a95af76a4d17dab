"""Groups of runs: which configs share one compiled program, their mask
variants, seeds, checkpoint fingerprints and saved configs.

`psn_jax.runner` (re-exporting every name here) and `psn_jax.sweep` read
these: two configs train in one program when they differ only in
`BATCHED_FIELDS` (the mask fields `masks.MASK_FIELDS`, `init_masks` and the
learning rate, which reach the engine as batched data).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Sequence

import ml_collections

from psn_jax import config as config_lib
from psn_jax import masks as masks_lib

__all__ = ["BATCHED_FIELDS", "Variant", "variants_from_config",
           "variant_config", "program_key", "seeds_of", "fingerprint",
           "check_group", "plain_config"]

# Fields that may differ inside one program: they reach the engine as batched
# data (masks, keys, the learning rate), not as part of the compiled program.
BATCHED_FIELDS: tuple[str, ...] = masks_lib.MASK_FIELDS + (
    "init_masks", "optim.learning_rate")
# Fields that change neither the program nor the numbers of a run.
_UNTRACKED_FIELDS: tuple[str, ...] = ("checkpoint_every",)


@dataclasses.dataclass(frozen=True)
class Variant:
  """One mask configuration: a name and the fields of `masks.MASK_FIELDS`.
  `sparsity=0` means dense (all-True masks)."""

  name: str
  sparsity: float
  distribution: str = "uniform"
  profile: str = "uniform"
  cv: Any = None
  dense_first: bool = False
  dense_last: bool = False


def variants_from_config(config: ml_collections.ConfigDict) -> list[Variant]:
  """The `Variant`s of a config's `variants` list of (name, sparsity,
  distribution, profile, cv) tuples (`configs/compare.py`), with the config's
  `dense_first` / `dense_last`."""
  return [Variant(name=n, sparsity=s, distribution=d, profile=p, cv=cv,
                  dense_first=config.dense_first, dense_last=config.dense_last)
          for n, s, d, p, cv in config.variants]


def variant_config(config: ml_collections.ConfigDict,
                   variant: Variant) -> ml_collections.ConfigDict:
  """`config` with the mask fields of `variant`."""
  c = copy.deepcopy(config)
  with c.unlocked():
    for field in masks_lib.MASK_FIELDS:
      value = getattr(variant, field)
      if isinstance(value, (list, tuple)):  # per-layer cv: not a float field
        del c[field]
        value = tuple(value)
      c[field] = value
    if "variants" in c:
      del c["variants"]
  return c


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
