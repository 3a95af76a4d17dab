"""Dey et al. (2018, 2019) pre-defined sparse MLPs, for `experiments.compare`/`sources`.

  python -m experiments.compare --config configs/dey.py:mnist --workdir runs/dey_mnist
  python -m experiments.sources --config configs/dey.py:scatter --workdir runs/dey_scatter

Their recipe (`../shared/research/reproductions.md`, from the authors' code):
Adam, batch 256, 50 epochs, He-normal init, ReLU, L2 8e-5, MNIST padded from
784 to 800 inputs (`input_pad = 800`: 16 zero pixels). Our differences, named:
AdamW's decoupled weight decay 8e-5 stands for their L2 term; biases start at
0, not 0.1; He init is truncated normal, rescaled per neuron to its fan-in.
The class layer stays dense, as Dey keep it when they compare scatter.

Variants (each `(name, sparsity, distribution, profile, cv)` of the hidden
junction; every pattern reaches these budgets exactly, see
`psn_jax.masks.feasible_budgets`):

* `mnist` (D2): MNIST 800-100-10, clash-free junction at densities 1/2 (their
  out-degree 50, the repository's 97.97% example), 1/4, 1/10, 1/20, and dense.
* `morse` (D2): the Morse data 64-1024-64 (the authors' MLP), clash-free at
  densities 1/2, 1/4, 1/8, 1/16, and dense.
* `scatter` (D3): MNIST 800-100-10 at density 1/10 with patterns of equal
  density but different scatter: clash-free and Dey's basic random pattern
  (high), block-diagonal windows (`block_diagonal`, formerly `dey_windowed`;
  not one of Dey's patterns) and a banded circulant (low), and random
  placement.

Append e.g. `--config.num_epochs=3 --config.num_seeds=2` for a CPU check.
"""

from __future__ import annotations

import ml_collections

from psn_jax import config as config_lib

VARIANTS = ("mnist", "morse", "scatter")


def get_config(variant: str = "mnist") -> ml_collections.ConfigDict:
  """Returns the ConfigDict of `variant` (one of `VARIANTS`)."""
  if variant not in VARIANTS:
    raise ValueError(f"config variant must be one of {', '.join(VARIANTS)}, "
                     f"got {variant!r}")
  c = config_lib.get_config("quick")
  c.dataset = "mnist"
  c.input_pad = 800
  c.hidden = (100,)
  c.num_seeds = 5
  c.num_epochs = 50
  c.batch_size = 256
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-3
  c.optim.weight_decay = 8e-5
  c.optim.lr_schedule = "constant"
  c.dense_last = True
  c.sparsity = 0.5
  c.profile = "dey_clash_free"
  if variant == "mnist":
    c.variants = [("dense", 0.0, "uniform", "uniform", None)] + [
        (f"clash_free_{d}", 1 - 1 / d, "uniform", "dey_clash_free", None)
        for d in (2, 4, 10, 20)]
  elif variant == "morse":
    c.dataset = "morse"
    c.input_pad = 0
    c.hidden = (1024,)
    c.variants = [("dense", 0.0, "uniform", "uniform", None)] + [
        (f"clash_free_{d}", 1 - 1 / d, "uniform", "dey_clash_free", None)
        for d in (2, 4, 8, 16)]
  else:
    c.sparsity = 0.9
    c.track.snapshot_every = c.num_epochs  # initial masks, for experiments.sources
    c.variants = [(name, 0.9, "uniform", name, None)
                  for name in ("dey_clash_free", "dey_basic", "random",
                               "block_diagonal", "circulant_banded")]
  return c
