"""Configs for `python -m experiments.train` and `python -m experiments.compare`.

A thin wrapper of `psn_jax.config` (the defaults live in the package, so
`psn_jax.config.get_config()` works from any directory). Variants
(`--config configs/train.py:<variant>`): `quick` (CPU, about a minute),
`paper`, `rigl`, `set` (GPU); see `psn_jax.config`.

Example:
  python -m experiments.train --config configs/train.py:quick \
      --config.dataset=mnist --config.num_seeds=2 --workdir runs/quick
"""

from __future__ import annotations

from psn_jax.config import get_config

__all__ = ["get_config"]
