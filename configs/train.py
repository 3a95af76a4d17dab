"""Configs for `python -m experiments.train` and `python -m experiments.compare`.

Variants (`--config configs/train.py:<variant>`):

* `quick`: a CPU run of about a minute: MLP 784-300-100-10, Adam, 3 epochs,
  2 seeds, 90% sparse (uniform layers, uniform profile). Reaches > 95% test
  accuracy on MNIST.
* `paper`: the defaults of `../shared/research/psn-paper.md` for a GPU:
  Fashion-MNIST, LeNet-300-100, 90% sparse, SGD with momentum 0.9, batch 128,
  20 epochs, 10 seeds.
* `rigl` / `set`: `paper` with RigL (Evci et al. 2020) from ERK, or SET
  (Mocanu et al. 2018) from Erdos-Renyi layers at ERK budgets.

Example:
  python -m experiments.train --config configs/train.py:quick \
      --config.dataset=mnist --config.num_seeds=2 --workdir runs/quick
"""

from __future__ import annotations

import ml_collections


def get_config(variant: str = "quick") -> ml_collections.ConfigDict:
  """Returns the ConfigDict of `variant` (quick, paper, rigl, set)."""
  c = ml_collections.ConfigDict()
  c.dataset = "fashion_mnist"
  c.seed = 0                   # seeds are seed, seed + 1, ..., seed + num_seeds - 1
  c.num_seeds = 2
  c.num_epochs = 3
  c.batch_size = 128
  c.hidden = (300, 100)

  # Masks (psn_jax.masks.make_masks).
  c.sparsity = 0.9
  c.distribution = "uniform"   # uniform | erk
  c.profile = "uniform"        # psn_jax.profiles.FAMILIES or erdos_renyi
  c.cv = ml_collections.config_dict.placeholder(float)
  c.dense_first = False
  c.dense_last = False

  c.optim = ml_collections.ConfigDict()
  c.optim.name = "adam"        # adam (AdamW) | sgd (momentum, L2)
  c.optim.learning_rate = 5e-3
  c.optim.momentum = 0.9
  c.optim.nesterov = False
  c.optim.weight_decay = 0.0
  c.optim.lr_schedule = "cosine"   # constant | cosine | step
  c.optim.warmup_steps = 0

  # Dynamic sparse training (psn_jax.dst).
  c.dst = ml_collections.ConfigDict()
  c.dst.algorithm = "none"     # none | rigl | set
  c.dst.delta_t = 100          # steps between updates; 0 = once per epoch
  c.dst.t_start = 0
  c.dst.t_end_fraction = 0.75  # updates stop at this fraction of training
  c.dst.drop_fraction = 0.3
  c.dst.drop_schedule = "cosine"   # constant | linear | cosine | lr_scaled
  c.dst.set_drop_rule = "magnitude"  # magnitude | sign
  c.dst.skip_optimizer_step = True

  # In-jit topology tracking.
  c.track = ml_collections.ConfigDict()
  c.track.record_every = 1     # a record every k mask updates
  c.track.hist_bins = 32

  c.checkpoint_every = 1       # epochs between checkpoints

  if variant == "quick":
    c.dataset = "mnist"
  elif variant in ("paper", "rigl", "set"):
    c.num_seeds = 10
    c.num_epochs = 20
    c.optim.name = "sgd"
    c.optim.learning_rate = 0.05
    c.optim.weight_decay = 1e-4
    c.optim.nesterov = True
    if variant == "rigl":
      c.distribution = "erk"
      c.dst.algorithm = "rigl"
    elif variant == "set":
      c.distribution = "erk"
      c.profile = "erdos_renyi"
      c.dst.algorithm = "set"
      c.dst.delta_t = 0
      c.dst.t_end_fraction = 1.0
      c.dst.drop_schedule = "constant"
      c.dst.set_drop_rule = "sign"
  else:
    raise ValueError(
        f"config variant must be one of quick, paper, rigl, set, got {variant!r}")
  return c
