"""Multi-seed comparison of mask configurations sharing one program.

  python -m experiments.compare --config configs/compare.py:quick --workdir runs/compare

Variants (`:quick` for a CPU in minutes, `:paper` for a GPU): dense, uniform
random and two PSN profiles at 90% sparsity (plus ERK and profiles at CV 1.0
in `paper`). Every variant and seed trains in the same vmapped program.
"""

from __future__ import annotations

import ml_collections

from configs import train as train_config


def get_config(variant: str = "quick") -> ml_collections.ConfigDict:
  base = "quick" if variant == "quick" else "paper"
  c = train_config.get_config(base)
  c.dataset = "fashion_mnist"
  if variant == "quick":
    c.num_seeds = 3
    c.num_epochs = 3
  # name, sparsity, distribution, profile, cv; sparsity 0 = dense.
  c.variants = [
      ("dense", 0.0, "uniform", "uniform", None),
      ("uniform", 0.9, "uniform", "uniform", None),
      ("erk", 0.9, "erk", "uniform", None),
      ("lognormal_cv1", 0.9, "uniform", "lognormal", 1.0),
      ("gaussian_cv1", 0.9, "uniform", "gaussian", 1.0),
  ]
  return c
