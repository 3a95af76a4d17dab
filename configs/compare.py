"""Multi-seed comparison of mask configurations sharing one program.

  python -m experiments.compare --config configs/compare.py:quick --workdir runs/compare

Variants (`:quick` for a CPU in minutes, `:paper` for a GPU): dense, uniform
random, ERK and two PSN profiles at CV 1.0, at 90% sparsity. `:gradient` (for
`experiments.gradient_hierarchy`): uniform and PSN profiles over a range of
fan-in CVs. Every variant and seed trains in the same vmapped program.

The class layer (100 -> 10) stays dense (`dense_last`): PSN profiles shape the
receptive fields of hidden neurons, and a CV-1 profile over ten class neurons
at 10% density would leave some classes with one or two inputs. The hidden
layers are at 90%, so the network is 89.6% sparse (uniform) overall.
"""

from __future__ import annotations

import ml_collections

from configs import train as train_config


def get_config(variant: str = "quick") -> ml_collections.ConfigDict:
  """Returns the ConfigDict of `variant` (quick, paper, gradient)."""
  if variant not in ("quick", "paper", "gradient"):
    raise ValueError(
        f"config variant must be one of quick, paper, gradient, got {variant!r}")
  base = "quick" if variant == "quick" else "paper"
  c = train_config.get_config(base)
  c.dataset = "fashion_mnist"
  c.dense_last = True
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
  if variant == "gradient":
    c.num_seeds = 3
    c.num_epochs = 10
    c.variants = [("uniform", 0.9, "uniform", "uniform", None)] + [
        (f"{profile}_cv{cv}", 0.9, "uniform", profile, cv)
        for profile, cvs in (("lognormal", (0.5, 1.0, 1.5, 2.0)),
                             ("power_law", (1.0, 2.0)),
                             ("gaussian", (1.0, 1.5)),
                             ("exponential", (1.0,)), ("sigmoid", (0.8,)),
                             ("linear", (0.5,)), ("cosine", (1.0,)))
        for cv in cvs]
  return c
