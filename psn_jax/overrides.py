"""Config overrides as a command line writes them (`--config.<field>=V`).

absl's `config_flags` parses `--config.<field>` against the locked default
config, so it refuses the optional fields (`config.OPTIONAL_FIELDS`: absent
from the defaults, so older saved configs still match). The commands take
those out of argv first (`take_optional`) and set them once the config has
loaded (`apply_optional`). An unknown field is answered in one line that
names the nearest known one (`closest_field`).
"""

from __future__ import annotations

import difflib
import re
from typing import Mapping, Sequence

import ml_collections

from psn_jax import config as config_lib


def apply_optional(config: ml_collections.ConfigDict,
                   taken: Mapping[str, str]) -> None:
  """Sets the optional fields `take_optional` took (`base.` ones on a
  sweep's `config.base`) on `config`, in place.

  Raises:
    ValueError: a value the field cannot take (one line naming it).
  """
  for field, text in taken.items():
    node, name = config, field
    if field.startswith("base."):
      node, name = config.base, field[len("base."):]
    config_lib.set_field(node, name, config_lib.parse_optional(name, text))


def take_optional(argv: list[str]) -> dict[str, str]:
  """Removes `--config.<optional field>=VALUE` (or `... VALUE` as the next
  argument) from `argv` in place; returns `{dotted field: VALUE text}`."""
  taken, kept, i = {}, [], 0
  while i < len(argv):
    m = re.fullmatch(r"--config\.([\w.]+)(?:=(.*))?", argv[i], re.S)
    field = m.group(1) if m else ""
    if field.removeprefix("base.") in config_lib.OPTIONAL_FIELDS:
      if m.group(2) is None and i + 1 < len(argv):
        taken[field], i = argv[i + 1], i + 2
        continue
      taken[field] = m.group(2) or ""
    else:
      kept.append(argv[i])
    i += 1
  argv[:] = kept
  return taken


def define_error(e: Exception, argv: Sequence[str]) -> str:
  """The one line for an error absl raised while applying `--config.*`
  overrides: an unknown field names itself and its nearest known field."""
  if isinstance(e, (KeyError, AttributeError)):
    key = str(e).strip("\"'")
    for arg in argv:
      m = re.match(r"--config\.([^=\s]+)", arg)
      if m:
        parts = m.group(1).split(".")
        if key in parts:
          return _unknown_field(".".join(parts[:parts.index(key) + 1]))
    return _unknown_field(key)
  text = str(e).strip().splitlines()
  return text[0] if text else type(e).__name__


def _unknown_field(field: str) -> str:
  """The one line for an unknown `--config.<field>`, with the closest known
  field when there is one (`learning_rate` -> `optim.learning_rate`)."""
  near = closest_field(field)
  hint = f"; did you mean --config.{near}?" if near else ""
  return (f"unknown config field {field}{hint} (the fields are in "
          "psn_jax/config.py)")


def closest_field(field: str) -> str | None:
  """The training config field nearest to the unknown dotted `field`.

  A field whose last part is the same wins (`learning_rate` ->
  `optim.learning_rate`); else the closest spelling (`difflib`, ratio >=
  0.75). A sweep's `base.` prefix is kept.
  """
  prefix = "base." if field.startswith("base.") else ""
  name = field[len(prefix):]
  fields = sorted(config_lib.flatten(config_lib.get_config("quick")))
  leaf = name.rsplit(".", 1)[-1]
  same_leaf = [f for f in fields if f.rsplit(".", 1)[-1] == leaf and f != name]
  if same_leaf:
    return prefix + same_leaf[0]
  near = difflib.get_close_matches(name, fields, n=1, cutoff=0.75)
  return prefix + near[0] if near else None
