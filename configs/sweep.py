"""Sweep configs for `python -m experiments.sweep --config configs/sweep.py:<name>`.

A sweep config has `base` (a `psn_jax.config` training config), `grid` (a list
of `(dotted field, values)` pairs; every combination is a run) and `points`
(override dicts, each combined with every grid combination; a point's `name`
names it). Any field can be swept: dataset, hidden, optimizer, learning rate,
epochs, sparsity, profile, cv, dst.*. Runs that can share one compiled program
(`psn_jax.runner.program_key`) train together.

* `quick`: 2 datasets x 2 widths at toy size (4 programs, 2 seeds each): a
  few minutes on 2 CPU cores.
* `topologies`: 2 datasets x 3 sparsities x 4 topologies x 5 seeds, quick
  settings (6 programs; the topologies share them).
* `lr`: one program over 3 learning rates x 2 topologies (learning rates are
  batched data).
* `precision`: the paper recipe (Fashion-MNIST, 784-300-100-10, 90%, 20
  epochs, 5 seeds, random and lognormal masks) under each matmul precision
  (default, float32, tf32, bfloat16): its accuracy effect, for a GPU.
"""

from __future__ import annotations

import ml_collections

from psn_jax import config as config_lib

NAMES = ("quick", "topologies", "lr", "precision")


def get_config(name: str = "quick") -> ml_collections.ConfigDict:
  """Returns the sweep config `name` (one of `NAMES`)."""
  if name not in NAMES:
    raise ValueError(f"sweep config must be one of {', '.join(NAMES)}, "
                     f"got {name!r}")
  c = ml_collections.ConfigDict()
  base = config_lib.get_config("quick")
  base.num_epochs = 2
  base.num_seeds = 2
  base.hidden = (64,)
  base.profile = "random"
  c.points = []
  if name == "quick":
    c.grid = [("dataset", ["mnist", "fashion_mnist"]),
              ("hidden", [(32,), (64,)])]
  elif name == "topologies":
    base.num_seeds = 5
    base.hidden = (100,)
    c.grid = [("dataset", ["mnist", "fashion_mnist"]),
              ("sparsity", [0.8, 0.9, 0.95])]
    c.points = [
        {"name": "random", "profile": "random"},
        {"name": "erk_random", "profile": "random", "distribution": "erk"},
        {"name": "uniform", "profile": "uniform"},
        {"name": "lognormal_cv1", "profile": "lognormal", "cv": 1.0},
    ]
  elif name == "precision":
    base = config_lib.get_config("paper")
    base.num_seeds = 5
    base.dense_last = True
    c.grid = [("precision", ["default", "float32", "tf32", "bfloat16"])]
    c.points = [{"name": "random", "profile": "random"},
                {"name": "lognormal_cv1", "profile": "lognormal", "cv": 1.0}]
  else:
    c.grid = [("optim.learning_rate", [1e-3, 3e-3, 1e-2])]
    c.points = [{"name": "random", "profile": "random"},
                {"name": "lognormal_cv1", "profile": "lognormal", "cv": 1.0}]
  c.base = base
  return c
