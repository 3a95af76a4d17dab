"""Multi-seed comparison of mask configurations sharing one program.

  python -m experiments.compare --config configs/compare.py:quick --workdir runs/compare

Variants (`:quick` for a CPU in minutes, `:paper` for a GPU): dense, PSN's
equal-fan-in `uniform` profile, the standard `random` baseline (the layer's
budget at uniformly random positions, as RigL's random mask), ERK (ERK budgets,
random placement: RigL's ERK start) and two PSN profiles at CV 1.0, at 90%
sparsity. `:sources`: every mask source of `psn_jax.masks.SOURCES` (PSN
profiles, random, the graph families, Dey's patterns) at 90%, for
`experiments.sources` (MNIST, quick recipe; `:sources_paper` is the same on
Fashion-MNIST with the paper recipe, for a GPU). `:gradient` (for
`experiments.gradient_hierarchy`): uniform and PSN profiles over a range of
fan-in CVs. `:starts` (for `experiments.rigl_starts`): RigL with a constant
drop fraction through all of training from several starts at the same ERK
layer budgets. `:sparsity`: dense, uniform and two CV-1 profiles at 80%, 90%,
95%, 98% and 99% sparsity. Every variant and seed trains in the same vmapped program.

The class layer (100 -> 10) stays dense (`dense_last`): PSN profiles shape the
receptive fields of hidden neurons, and a CV-1 profile over ten class neurons
at 10% density would leave some classes with one or two inputs. The hidden
layers are at 90%, so the network is 89.6% sparse (uniform) overall.
"""

from __future__ import annotations

import ml_collections

from configs import train as train_config
from psn_jax import masks


VARIANTS = ("quick", "paper", "gradient", "starts", "sparsity", "sources",
            "sources_paper")


def get_config(variant: str = "quick") -> ml_collections.ConfigDict:
  """Returns the ConfigDict of `variant` (quick, paper, gradient)."""
  if variant not in VARIANTS:
    raise ValueError(f"config variant must be one of {', '.join(VARIANTS)}, "
                     f"got {variant!r}")
  base = "quick" if variant in ("quick", "sources") else "paper"
  c = train_config.get_config(base)
  c.dataset = "fashion_mnist"
  c.dense_last = True
  if variant == "quick":
    c.num_seeds = 3
    c.num_epochs = 3
  # name, sparsity, distribution, profile, cv; sparsity 0 = dense. A shorthand
  # for sweep points, read by psn_jax.config.points_from_variants only.
  c.variants = [
      ("dense", 0.0, "uniform", "uniform", None),
      ("uniform", 0.9, "uniform", "uniform", None),
      ("random", 0.9, "uniform", "random", None),
      ("erk", 0.9, "erk", "random", None),
      ("lognormal_cv1", 0.9, "uniform", "lognormal", 1.0),
      ("gaussian_cv1", 0.9, "uniform", "gaussian", 1.0),
  ]
  if variant == "gradient":
    c.num_seeds = 3
    c.num_epochs = 10
    c.variants = [("uniform", 0.9, "uniform", "uniform", None),
                  ("random", 0.9, "uniform", "random", None)] + [
        (f"{profile}_cv{cv}", 0.9, "uniform", profile, cv)
        for profile, cvs in (("lognormal", (0.5, 1.0, 1.5, 2.0)),
                             ("power_law", (1.0, 2.0)),
                             ("gaussian", (1.0, 1.5)),
                             ("exponential", (1.0,)), ("sigmoid", (0.8,)),
                             ("linear", (0.5,)), ("cosine", (1.0,)))
        for cv in cvs]
  if variant == "sparsity":
    c.num_seeds = 5
    c.variants = [("dense", 0.0, "uniform", "uniform", None)] + [
        (f"{profile}_{int(round(100 * sparsity))}", sparsity, "uniform",
         profile, cv)
        for sparsity in (0.8, 0.9, 0.95, 0.98, 0.99)
        for profile, cv in (("uniform", None), ("random", None),
                            ("lognormal", 1.0), ("gaussian", 1.0))]
  if variant == "starts":
    c.num_seeds = 3
    c.num_epochs = 30
    c.dense_last = False
    c.dst.algorithm = "rigl"
    c.dst.drop_schedule = "constant"
    c.dst.t_end_fraction = 1.0
    c.variants = [
        ("uniform", 0.9, "erk", "uniform", None),
        ("random", 0.9, "erk", "random", None),
        ("lognormal_cv0.5", 0.9, "erk", "lognormal", 0.5),
        ("lognormal_cv1.5", 0.9, "erk", "lognormal", 1.5),
        ("gaussian_cv1.0", 0.9, "erk", "gaussian", 1.0),
        ("power_law_cv1.5", 0.9, "erk", "power_law", 1.5),
    ]
  if variant in ("sources", "sources_paper"):
    c.num_seeds = 5
    c.dataset = "mnist" if variant == "sources" else "fashion_mnist"
    c.track.snapshot_every = c.num_epochs  # initial and final masks
    c.variants = [(name, 0.9, "uniform", name, None)
                  for name in masks.SOURCES]
  return c
