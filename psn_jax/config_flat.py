"""Configs as flat `{dotted field: JSON-like value}` dicts, and their diff.

The one view in which configs are saved (`Results.configs`), compared
(checkpoint fingerprints, `diff` naming why a checkpoint cannot be resumed)
and tabulated. `psn_jax.config` re-exports `flatten` and `diff`.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import ml_collections


def _plain(x: Any) -> Any:
  """JSON-like value: tuples become lists, NumPy scalars Python numbers."""
  if isinstance(x, (list, tuple)):
    return [_plain(v) for v in x]
  if hasattr(x, "item") and not isinstance(x, (str, bytes)):
    try:
      return x.item()
    except (ValueError, TypeError):
      pass
  return x


def flatten(config: Any, prefix: str = "") -> dict[str, Any]:
  """A ConfigDict or nested mapping as {dotted field: JSON-like value}.

  Tuples become lists, so a config and its JSON round trip flatten equally.
  """
  if isinstance(config, ml_collections.ConfigDict):
    config = config.to_dict()
  out: dict[str, Any] = {}
  for key, value in config.items():
    name = f"{prefix}{key}"
    if isinstance(value, (Mapping, ml_collections.ConfigDict)):
      out.update(flatten(value, name + "."))
    else:
      out[name] = json.loads(json.dumps(_plain(value), default=str))
  return out


def diff(a: Any, b: Any) -> list[str]:
  """Sorted dotted names of the fields in which `a` and `b` differ.

  `a` and `b` are ConfigDicts, nested mappings or already flat
  `{dotted name: value}` dicts; a field present in only one of them differs.
  """
  fa, fb = flatten(a), flatten(b)
  return sorted(k for k in set(fa) | set(fb)
                if k not in fa or k not in fb or fa[k] != fb[k])
