"""The claims of the four papers as sweeps: one `ClaimSpec` per claim id.

  python -m experiments.reproduce C5 --mode cpu --workdir runs/claims

Each spec (`CLAIMS[id]`) holds the paper's number or sentence, the test
stated before the data, the runs of the sweep for a mode (`toy`: tests,
seconds; `quick`: a demo on 2 CPU cores, minutes, not a test; `cpu`: the test
on 2 CPU cores, the papers' architectures, under about 40 minutes a claim;
`full`: the GPU), an optional second stage built from the first stage's
results (C5: RigL from the measured equilibrium; C6: static masks from RigL's
learned masks, layer 0 changed only), and the analysis function (one module
of `psn_jax.claims` per paper) that turns the results into a verdict. Claims that share one sweep name it in `sweep` (L3 and L4 are
the same ten SET runs; B1, B2 and B3 the same graph-family grid), so running
the second id reuses the first's training.

Sources of every setting: `../shared/research/reproductions.md` (what each
paper states [abs], what the authors' code does [code], our choices [ours]).
The full variants are sized so that all of them fit in a few minutes of one
H200 (784-300-100 on MNIST / Fashion-MNIST, 10-20 epochs, many variants and
seeds in one program).
"""

from __future__ import annotations

import copy
from typing import Any, Sequence

import ml_collections
import numpy as np

from configs import dey as dey_config
from psn_jax import claims as lib
from psn_jax import config as config_lib
from psn_jax import budgets
from psn_jax import dst
from psn_jax import masks as masks_lib
from psn_jax import sweep
from psn_jax.claims import atlas as atlas_lib
from psn_jax.claims import bourely
from psn_jax.claims import bourely_speed
from psn_jax.claims import dey
from psn_jax.claims import dey_cnn
from psn_jax.claims import liu
from psn_jax.claims import liu_pruning
from psn_jax.claims import psn
from psn_jax.claims import psn_placement

MODES = lib.MODES
# The seed of the one fixed pixel permutation of the locality control.
PERMUTATION_SEED = 0

# Per mode: widths, epochs, seeds, batch size (claims override some).
_SIZES = {
    "toy": dict(hidden=(16,), num_epochs=1, num_seeds=2, batch_size=64),
    "quick": dict(hidden=(100,), num_epochs=2, num_seeds=3, batch_size=128),
    "cpu": dict(hidden=(300, 100), num_epochs=20, num_seeds=5,
                batch_size=128),
    "full": dict(hidden=(300, 100), num_epochs=15, num_seeds=5,
                 batch_size=128),
}
PSN_FAMILIES = tuple(f for f in masks_lib.PSN_PROFILES if f != "uniform")


def _check_mode(mode: str) -> None:
  if mode not in MODES:
    raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")


def base(mode: str, variant: str = "paper", **overrides: Any
         ) -> ml_collections.ConfigDict:
  """`psn_jax.config.get_config(variant)` sized for `mode`, plus overrides.

  Makes `cv` untyped so that per-layer CV tuples can be swept (`init_masks`,
  masks read from a file, is resolved under the claim's sweep folder).
  """
  _check_mode(mode)
  c = config_lib.get_config(variant)
  return _sized(c, mode, overrides)


def _sized(c: ml_collections.ConfigDict, mode: str,
           overrides: dict[str, Any]) -> ml_collections.ConfigDict:
  c = copy.deepcopy(c)
  with c.unlocked():
    cv = c.cv
    del c["cv"]
    c.cv = cv
    if "init_masks" not in c:
      c.init_masks = ""
    if "variants" in c:
      del c["variants"]
  sizes = dict(_SIZES[mode])
  for field, value in {**sizes, **overrides}.items():
    sweep.set_field(c, field, value)
  # Four checkpoints a run: a killed cpu-tier run loses a quarter at most.
  # (Not a tracked field: finished groups and checkpoints of another
  # checkpoint_every still count, `groups.fingerprint`.)
  c.checkpoint_every = max(1, c.num_epochs // 4)
  return c


def _runs(c: ml_collections.ConfigDict, points: Sequence[dict[str, Any]]
          ) -> list[sweep.Run]:
  return sweep.expand(c, points=list(points))


def _arm(name: str, sparsity: float, profile: str = "random",
         distribution: str = "uniform", cv: Any = None, **more: Any
         ) -> dict[str, Any]:
  return {"name": name, "sparsity": sparsity, "profile": profile,
          "distribution": distribution, "cv": cv, **more}


def _with_permuted(c: ml_collections.ConfigDict, arms: list[dict[str, Any]],
                   tag: str) -> list[sweep.Run]:
  """The runs of `arms` on `c`'s dataset and, under `<tag>_permuted/`, on the
  same dataset with one fixed pixel permutation (the locality control)."""
  runs = _runs(c, [{**a, "name": f"{tag}/{a['name']}"} for a in arms])
  cp = copy.deepcopy(c)
  with cp.unlocked():
    cp.pixel_permutation = PERMUTATION_SEED
  return runs + _runs(cp, [{**a, "name": f"{tag}_permuted/{a['name']}"}
                           for a in arms])


def _dense(name: str = "dense") -> dict[str, Any]:
  return _arm(name, 0.0, "uniform")


def _pick(mode: str, toy: Any, quick: Any, full: Any, cpu: Any) -> Any:
  return {"toy": toy, "quick": quick, "full": full, "cpu": cpu}[mode]


# ---------------------------------------------------------------------------
# PSN (Tomczak 2026) [abs].

C1_DATASETS = ("mnist", "fashion_mnist", "emnist/balanced", "covertype")


def c1_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Dense and every static profile at 90% on each dataset (class layer dense)."""
  families = _pick(mode, ("lognormal",), ("lognormal", "power_law", "gaussian"),
                   PSN_FAMILIES, ("lognormal", "power_law", "gaussian"))
  datasets = _pick(mode, ("mnist",), ("mnist", "fashion_mnist"), C1_DATASETS,
                   ("mnist", "fashion_mnist"))
  runs = []
  for ds in datasets:
    c = base(mode, dataset=ds, dense_last=True,
             **_pick(mode, {}, {}, {"num_epochs": 20, "num_seeds": 5}, {}))
    arms = [_dense(), _arm("uniform", 0.9, "uniform"), _arm("random", 0.9),
            _arm("erk", 0.9, distribution="erk")]
    for f in families:  # CV 1 where the family reaches it, else its default
      arm = lib.feasible_points(c, [_arm(f"{f}_cv1", 0.9, f, cv=1.0)])
      arms += arm or [_arm(f"{f}_default", 0.9, f)]
    runs += _runs(c, [{**a, "name": f"{ds}/{a['name']}"} for a in
                      lib.feasible_points(c, arms)])
  return runs


def c1r_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """The recipe check: wider / deeper MLPs, longer, SGD and Adam, no decay."""
  hiddens = _pick(mode, ((16, 16),), ((256, 256),),
                  ((1000, 1000), (512, 256, 128)), ((300, 100), (512, 256, 128)))
  runs = []
  for hidden in hiddens:
    for opt, lr in _pick(mode, (("sgd", 0.05),), (("sgd", 0.05), ("adam", 1e-3)),
                         (("sgd", 0.05), ("adam", 1e-3)),
                         (("sgd", 0.05), ("adam", 1e-3))):
      c = base(mode, dataset="fashion_mnist", dense_last=True, hidden=hidden,
               **{"optim.name": opt, "optim.learning_rate": lr,
                  "optim.weight_decay": 0.0},
               **_pick(mode, {}, {"num_epochs": 3},
                       {"num_epochs": 30, "num_seeds": 3},
                       {"num_epochs": 20, "num_seeds": 3}))
      tag = f"{'-'.join(map(str, hidden))}_{opt}"
      runs += _runs(c, [{**a, "name": f"{tag}/{a['name']}"} for a in
                        (_dense(), _arm("uniform", 0.9, "uniform"),
                         _arm("random", 0.9))])
  return runs


def _c2(mode: str) -> tuple[ml_collections.ConfigDict, list[dict[str, Any]]]:
  """C2's config and every (profile, CV, sparsity) point, reachable or not."""
  families = _pick(mode, ("lognormal", "gaussian"),
                   ("lognormal", "gaussian", "power_law"), PSN_FAMILIES,
                   ("lognormal", "gaussian", "power_law"))
  cvs = _pick(mode, (1.0,), (0.5, 1.5), (0.5, 1.0, 1.5, 2.0, 2.5),
              (0.5, 1.0, 2.0))
  sparsities = _pick(mode, (0.5, 0.9), (0.9, 0.99), (0.8, 0.9, 0.95, 0.99, 0.999),
                     (0.8, 0.9, 0.99))
  c = base(mode, dataset="fashion_mnist", dense_last=True,
           **_pick(mode, {}, {}, {"num_epochs": 10, "num_seeds": 3},
                   {"num_epochs": 15, "num_seeds": 3}))
  arms = [_dense()]
  for s in sparsities:
    tag = f"s{s:g}"
    arms += [_arm(f"{tag}/uniform", s, "uniform"), _arm(f"{tag}/random", s)]
    arms += [_arm(f"{tag}/{f}_cv{cv:g}", s, f, cv=cv)
             for f in families for cv in cvs]
  return c, arms


def c2_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Families x CV x sparsity where reachable, with dense, uniform and random."""
  c, arms = _c2(mode)
  return _runs(c, lib.feasible_points(c, arms))


def c2_unreachable(mode: str) -> list[str]:
  """The C2 cells no profile reaches at the MLP's shapes."""
  c, arms = _c2(mode)
  return [a["name"] for a in lib.unreachable_points(c, arms)]


def c3_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Uniform, random and PSN profiles over fan-in CVs (gradient recorded)."""
  grid = _pick(mode, (("lognormal", (0.5, 1.5)),),
               (("lognormal", (0.5, 1.0, 1.5, 2.0)), ("power_law", (1.0, 2.0)),
                ("gaussian", (1.0,))),
               (("lognormal", (0.5, 1.0, 1.5, 2.0, 2.5)),
                ("power_law", (1.0, 2.0, 2.5)), ("gaussian", (1.0, 1.5)),
                ("exponential", (1.0, 2.0)), ("sigmoid", (0.8,)),
                ("linear", (0.5,)), ("cosine", (1.0,)), ("softplus", (1.0,))),
               (("lognormal", (0.5, 1.0, 1.5, 2.0)), ("power_law", (1.0, 2.0)),
                ("gaussian", (1.0,))))
  c = base(mode, dataset="fashion_mnist",
           **_pick(mode, {"hidden": (16, 16)}, {"hidden": (100, 50)},
                   {"num_epochs": 10, "num_seeds": 3},
                   {"num_epochs": 10, "num_seeds": 3}))
  arms = [_arm("uniform", 0.9, "uniform"), _arm("random", 0.9)]
  arms += [_arm(f"{f}_cv{cv:g}", 0.9, f, cv=cv) for f, cvs in grid for cv in cvs]
  return _runs(c, lib.feasible_points(c, arms))


def _rigl(mode: str, **overrides: Any) -> ml_collections.ConfigDict:
  delta = _pick(mode, 2, 50, 100, 100)
  return base(mode, "rigl", dataset="fashion_mnist",
              **{"dst.delta_t": delta}, **overrides)


def c4_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """RigL, constant drop fraction to the end, from flat and hub starts."""
  c = _rigl(mode, dense_last=True,   # hub profiles shape hidden neurons only
            **{"dst.drop_schedule": "constant", "dst.t_end_fraction": 1.0},
            **_pick(mode, {}, {"num_epochs": 3},
                    {"num_epochs": 30, "num_seeds": 3},
                    {"num_epochs": 20, "num_seeds": 3}))
  c.track.snapshot_every = c.num_epochs
  arms = [_arm("uniform", 0.9, "uniform", "erk"), _arm("random", 0.9, "random", "erk"),
          _arm("lognormal_cv0.5", 0.9, "lognormal", "erk", 0.5),
          _arm("lognormal_cv1.5", 0.9, "lognormal", "erk", 1.5),
          _arm("gaussian_cv1", 0.9, "gaussian", "erk", 1.0),
          _arm("power_law_cv1.5", 0.9, "power_law", "erk", 1.5)]
  return _runs(c, lib.feasible_points(c, arms))


def c5_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Stage 1: RigL from ERK (random placement) and from uniform, >= 30 seeds."""
  c = _rigl(mode, **_pick(mode, {"num_seeds": 3}, {"num_seeds": 6},
                          {"num_epochs": 20, "num_seeds": 30},
                          {"num_epochs": 20, "num_seeds": 10}))
  return _runs(c, [_arm("erk", 0.9, "random", "erk"),
                   _arm("uniform", 0.9, "random", "uniform")])


def c5_stage2(mode: str, first: sweep.SweepResult, root: str
              ) -> list[sweep.Run]:
  """Stage 2: RigL from a lognormal profile matched to stage 1's equilibrium."""
  del root
  cvs = psn.equilibrium_cvs(first, "erk")
  c = _rigl(mode, **_pick(mode, {"num_seeds": 3}, {"num_seeds": 6},
                          {"num_epochs": 20, "num_seeds": 30},
                          {"num_epochs": 20, "num_seeds": 10}))
  return _runs(c, [_arm("lognormal_matched", 0.9, "lognormal", "erk",
                        tuple(cvs))])


def c6_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Stage 1: RigL from ERK, final masks kept (snapshots)."""
  c = _rigl(mode, **_pick(mode, {}, {"num_seeds": 4},
                          {"num_epochs": 20, "num_seeds": 10},
                          {"num_epochs": 20, "num_seeds": 10}))
  c.track.snapshot_every = c.num_epochs
  return _runs(c, [_arm("rigl_erk", 0.9, "random", "erk")])


def c6_stage2(mode: str, first: sweep.SweepResult, root: str
              ) -> list[sweep.Run]:
  """Static runs from RigL's learned masks; only layer 0 differs between the
  arms (`psn_jax.claims.psn_placement.c6_arm_masks`)."""
  files = psn_placement.learned_mask_files(first, "rigl_erk", root)
  c = base(mode, dataset="fashion_mnist",
           **_pick(mode, {}, {"num_seeds": 4},
                   {"num_epochs": 20, "num_seeds": 10},
                   {"num_epochs": 20, "num_seeds": 10}))
  return _runs(c, [_arm(name, 0.9, "random", "erk", init_masks=path)
                   for name, path in files.items()])


# ---------------------------------------------------------------------------
# Liu et al. 2020 [code]: SET as its authors ran Fashion-MNIST.


def _set(mode: str, **overrides: Any) -> ml_collections.ConfigDict:
  return base(mode, "set", dataset="fashion_mnist", distribution="uniform",
              dense_last=True, dropout=0.3, batch_size=100,
              **{"optim.name": "sgd", "optim.learning_rate": 0.01,
                 "optim.momentum": 0.9, "optim.nesterov": False,
                 "optim.weight_decay": 0.0, "optim.lr_schedule": "constant"},
              **overrides)


def l2_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Dense, static Erdos-Renyi and SET over densities (output layer dense)."""
  sparsities = _pick(mode, (0.9,), (0.9, 0.98), (0.8, 0.9, 0.95, 0.98, 0.99),
                     (0.9, 0.95, 0.98))
  # cpu: Liu's three hidden layers, scaled down from 784 to 256 units.
  sizes = _pick(mode, {}, {"hidden": (256, 256), "num_epochs": 3},
                {"hidden": (784, 784, 784), "num_epochs": 20, "num_seeds": 3},
                {"hidden": (256, 256, 256), "num_epochs": 30, "num_seeds": 5})
  runs = []
  for algo in ("none", "set"):
    c = _set(mode, **{"dst.algorithm": algo}, **sizes)
    arms = [_arm(f"{algo}/er_s{s:g}", s, "erdos_renyi") for s in sparsities]
    if algo == "none":
      arms = [_dense()] + arms
    runs += _runs(c, arms)
  return runs


def l3_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Ten nearly identical SET starts (1% moved each step) and ten
  independent starts, one program."""
  sizes = _pick(mode, {"num_seeds": 4, "sparsity": 0.9},
                {"hidden": (256, 256), "num_epochs": 4, "num_seeds": 10,
                 "sparsity": 0.98},
                {"hidden": (784, 784, 784), "num_epochs": 30, "num_seeds": 10,
                 "sparsity": 0.994},
                {"hidden": (256, 256, 256), "num_epochs": 30, "num_seeds": 10,
                 "sparsity": 0.98})
  c = _set(mode, profile="erdos_renyi", **sizes)
  c.track.snapshot_every = max(1, c.num_epochs // _pick(mode, 1, 2, 3, 3))
  path = liu.nearly_identical_file(c, root, fraction=0.01)
  # The measured null of L4: ten independent starts at the same density.
  return _runs(c, [{"name": "set_chain", "init_masks": path},
                   {"name": "set_independent"}])


# Fashion-MNIST's training examples over Liu's batch of 100: steps per epoch.
_LIU_STEPS_PER_EPOCH = 60000 // 100


def l5_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """SET and RigL from scratch (one training run of E epochs, rewired once
  per epoch) and IMP with rewinding (rounds of E epochs, `drop_fraction` of
  the remaining weights a round, rewound to the weights after `t_start`
  steps) to the same final density, Liu's SET setup; mask snapshots at
  every IMP round."""
  sizes = _pick(mode, {"sparsity": 0.75},
                {"hidden": (256, 256), "num_seeds": 3, "sparsity": 0.9},
                {"hidden": (784, 784, 784), "num_seeds": 5, "sparsity": 0.9},
                {"hidden": (256, 256, 256), "num_seeds": 5, "sparsity": 0.9})
  # Epochs per round (= SET's and RigL's run), IMP's rate, rewind step.
  per_round, rate, rewind_step = _pick(mode, (2, 0.5, 1), (2, 0.5, 300),
                                       (20, 0.2, 300), (10, 0.5, 300))
  runs = []
  # Toy (the suite): SET and IMP only, two programs; RigL from quick on.
  for algo in ("set",) if mode == "toy" else ("set", "rigl"):
    c = _set(mode, profile="erdos_renyi", num_epochs=per_round,
             **{"dst.algorithm": algo}, **sizes)
    c.track.snapshot_every = c.num_epochs
    _no_grad_norms(c)
    runs += _runs(c, [{"name": algo}])
  c = _set(mode, num_epochs=per_round, **sizes)
  shape = [s for s in lib.core.params_shape(c).values()]
  full = [int(np.prod(l["kernel"].shape)) for l in shape]
  finals = [int(b) for b in budgets.layer_budgets(
      [l["kernel"].shape for l in shape], c.sparsity, c.distribution,
      dense_first=c.dense_first, dense_last=c.dense_last)]
  rounds = dst.imp_rounds(full, finals, rate)
  epoch_steps = 0 if mode == "toy" else _LIU_STEPS_PER_EPOCH
  c = _set(mode, num_epochs=(rounds + 1) * per_round,
           **{"dst.algorithm": "imp", "dst.drop_fraction": rate,
              "dst.delta_t": per_round * epoch_steps,
              "dst.t_start": rewind_step, "dst.t_end_fraction": 1.0},
           **sizes)
  if mode == "toy":     # one epoch a round: delta_t = 0 (once per epoch)
    with c.unlocked():
      c.num_epochs = rounds + 1
    c.checkpoint_every = c.num_epochs
  c.track.snapshot_every = c.num_epochs // (rounds + 1)
  _no_grad_norms(c)
  return runs + _runs(c, [{"name": "imp"}])


def _no_grad_norms(c: ml_collections.ConfigDict) -> None:
  """L5 reads no per-neuron gradient norms: a smaller program."""
  with c.track.unlocked():
    c.track.grad_norms = False


# ---------------------------------------------------------------------------
# Dey et al. 2018/2019 [code]: Adam, batch 256, L2, class junction dense.


def _dey(mode: str, variant: str, **overrides: Any) -> ml_collections.ConfigDict:
  c = dey_config.get_config(variant)
  sizes = _pick(mode, {"hidden": (20,)}, {"num_epochs": 3, "num_seeds": 3},
                {"num_epochs": 15, "num_seeds": 5},
                {"num_epochs": 15, "num_seeds": 5})
  if variant == "morse":
    sizes = _pick(mode, {"hidden": (32,)}, {"num_epochs": 1, "num_seeds": 2,
                                             "hidden": (256,)},
                  {"num_epochs": 10, "num_seeds": 5},
                  {"num_epochs": 10, "num_seeds": 5})
  sizes.setdefault("batch_size", 256 if mode != "toy" else 64)
  if mode != "toy":
    sizes.setdefault("hidden", tuple(c.hidden))
  return _sized(c, mode, {**sizes, **overrides})


def d2_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Clash-free, Dey-basic and random junctions over densities, MNIST and Morse."""
  runs = []
  datasets = _pick(mode, ("mnist",), ("mnist", "morse"), ("mnist", "morse"),
                   ("mnist", "morse"))
  for ds in datasets:
    # Morse: both junctions sparse, as Dey's d_out = (128, 8) (a dense
    # 1024 -> 64 class junction alone holds half the weights).
    c = _dey(mode, "morse" if ds == "morse" else "mnist",
             **({"dense_last": False} if ds == "morse" else {}))
    n_out = c.hidden[0]
    d_outs = [n_out // k for k in (2, 4, 5, 8, 10, 16, 20, 32, 50)
              if n_out // k >= 1 and n_out % (n_out // k) == 0]
    arms = [_dense(f"{ds}/dense")]
    for d in sorted(set(d_outs), reverse=True):
      s = 1 - d / n_out
      arms += [_arm(f"{ds}/{p}_d{d}", s, p) for p in
               ("dey_clash_free", "dey_basic", "random")]
    runs += _runs(c, lib.feasible_points(c, arms))
  return runs


def d3_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Equal density, different scatter (clash-free ... windowed), on MNIST
  and on MNIST with permuted pixels (the locality control)."""
  c = _dey(mode, "scatter", input_pad=0,
           **_pick(mode, {"sparsity": 0.75}, {}, {"num_seeds": 10},
                   {"num_seeds": 10}))
  c.track.snapshot_every = c.num_epochs
  s = c.sparsity
  arms = [_arm(p, s, p) for p in ("dey_clash_free", "dey_basic", "random",
                                  "circulant", "circulant_banded",
                                  "block_diagonal")]
  return _with_permuted(c, lib.feasible_points(c, arms), c.dataset)


# Dey et al.: D1, CNNs whose fully connected layers are pre-defined sparse
# [ours: LeNet-5 trunk, one wide hidden layer; Dey's Adam recipe].

D1_PATTERNS = ("dey_clash_free", "random", "lognormal")


def _d1_base(mode: str, dataset: str) -> ml_collections.ConfigDict:
  c = dey_config.get_config("mnist")
  with c.unlocked():
    c.model = "lenet5"
    c.mask_rule = "Dense_.*/kernel"  # the fully connected junctions only
  sizes = _pick(mode, {"hidden": (300,), "num_epochs": 1, "num_seeds": 2,
                       "batch_size": 64},
                {"hidden": (1000,), "num_epochs": 1, "num_seeds": 2},
                {"hidden": (1000,), "num_epochs": 20, "num_seeds": 5},
                {"hidden": (1000,), "num_epochs": 10, "num_seeds": 3})
  return _sized(c, mode, {"dataset": dataset, "input_pad": 0,
                          "dense_last": False, **sizes})


def d1_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Dense LeNet-5 CNN against its fully connected layers pre-defined sparse:
  class layer at 0.4% (hidden junction dense), and the hidden junction at
  1-2% with the class layer dense (fully connected density < 5%)."""
  runs = []
  for ds in _pick(mode, ("mnist",), ("fashion_mnist", "mnist"),
                  ("fashion_mnist", "mnist"), ("fashion_mnist", "mnist")):
    c = _d1_base(mode, ds)
    arms = [_dense(f"{ds}/dense")]
    arms += [_arm(f"{ds}/{p}_class0.4", 0.996, p, dense_first=True)
             for p in D1_PATTERNS]
    for d in _pick(mode, (0.02,), (0.02,), (0.02, 0.01), (0.02, 0.01)):
      arms += [_arm(f"{ds}/{p}_hidden{d:g}", 1 - d, p, dense_last=True)
               for p in D1_PATTERNS]
    runs += _runs(c, dey_cnn.feasible_points(c, arms))
  return runs


def d1_unreachable(mode: str) -> list[str]:
  """D1's arms no pattern can build (clash-free class layer below 10%)."""
  c = _d1_base(mode, "mnist")
  arms = [_arm(f"{p}_class0.4", 0.996, p, dense_first=True)
          for p in D1_PATTERNS]
  kept = {a["name"] for a in dey_cnn.feasible_points(c, arms)}
  return [a["name"] for a in arms if a["name"] not in kept]


# ---------------------------------------------------------------------------
# Bourely et al. 2017 [abs]: graph families over densities.

B_FAMILIES = ("erdos_renyi", "random_biregular", "circulant",
              "circulant_banded", "dey_clash_free")


def b_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Every graph family at densities 1-50% (hidden junctions), each dataset
  also with permuted pixels (the locality control)."""
  densities = _pick(mode, (0.25, 0.5), (0.02, 0.1, 0.5),
                    (0.01, 0.02, 0.05, 0.1, 0.2, 0.5), (0.02, 0.05, 0.2, 0.5))
  datasets = _pick(mode, ("mnist",), ("mnist",), ("mnist", "fashion_mnist"),
                   ("mnist",))
  runs = []
  for ds in datasets:
    c = base(mode, dataset=ds, dense_last=True,
             **_pick(mode, {}, {}, {"num_epochs": 10, "num_seeds": 5},
                     {"num_epochs": 10, "num_seeds": 5}))
    c.track.snapshot_every = c.num_epochs
    arms = [_dense("dense")]
    arms += [_arm(f"{f}_d{d:g}", 1 - d, f) for d in densities
             for f in B_FAMILIES]
    runs += _with_permuted(c, lib.feasible_points(c, arms), ds)
  return runs


def no_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """A claim that trains nothing (B4 times inference): no sweep."""
  _check_mode(mode)
  return []


# ---------------------------------------------------------------------------
# The atlas (ours).


def atlas_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Every mask source at one density, many seeds, each dataset also with
  permuted pixels (the locality control)."""
  datasets = _pick(mode, ("mnist",), ("mnist",), ("mnist", "fashion_mnist"),
                   ("mnist",))
  sparsity = _pick(mode, 0.75, 0.9, 0.9, 0.9)
  runs = []
  for ds in datasets:
    c = base(mode, dataset=ds, dense_last=True,
             **_pick(mode, {"num_seeds": 3}, {"num_seeds": 4},
                     {"num_epochs": 10, "num_seeds": 8},
                     {"num_epochs": 10, "num_seeds": 5}))
    c.track.snapshot_every = c.num_epochs
    arms = [_arm(p, sparsity, p) for p in masks_lib.MASK_SOURCES]
    arms += [_arm("erk", sparsity, "random", "erk")]
    arms += [_arm(f"lognormal_cv{cv:g}", sparsity, "lognormal", cv=cv)
             for cv in _pick(mode, (1.5,), (1.5, 2.0), (0.25, 1.0, 1.5, 2.0),
                             (1.0, 2.0))]
    runs += _with_permuted(c, lib.feasible_points(c, arms), ds)
  return runs


# ---------------------------------------------------------------------------
# The registry.

_PSN = "Tomczak 2026, arXiv 2604.10560 (abstract)"
_LIU = "Liu et al. 2020, arXiv 2006.14085 (abstract, authors' code and data)"
_DEY = "Dey et al. 2018/2019, arXiv 1711.02131, 1812.01164 (abstracts, code)"
_BOU = "Bourely et al. 2017, arXiv 1706.05683 (abstract)"

CLAIMS: dict[str, lib.ClaimSpec] = {s.id: s for s in (
    lib.ClaimSpec(
        "C1", "Static profiles are within 0.2-0.6% of dense at 90% sparsity",
        _PSN, "at 90% sparsity every static profile (uniform random included) "
        "is within 0.2-0.6% of the dense baseline on every dataset",
        "gap to dense <= 0.6%",
        "dense - sparse per (dataset, profile), paired over seeds; TOST "
        "equivalence within +-0.6 pp, Holm over cells, alpha 0.05",
        c1_runs, psn.gap_to_dense, datasets=C1_DATASETS),
    lib.ClaimSpec(
        "C1R", "Recipe check: which recipe gives PSN's 0.2-0.6% gap to dense",
        _PSN + "; our check", "0.2-0.6% gap to dense (our 784-300-100 SGD runs: "
        "1.7-1.9%)", "gap to dense",
        "uniform and random vs dense per recipe; TOST within +-0.6 pp, Holm "
        "over (recipe, arm), alpha 0.05; a recipe reproduces when both arms "
        "are equivalent", c1r_runs, psn.recipe),
    lib.ClaimSpec(
        "C2", "The result holds over sparsity, shapes and fan-in CV", _PSN,
        "it holds over 80-99.9% sparsity, 10 shapes, fan-in CV 0-2.5",
        "gap to dense <= 0.6% in every cell",
        "every reachable (profile, CV, sparsity) cell vs dense; TOST within "
        "+-0.6 pp, Holm over cells, alpha 0.05; unreachable cells listed",
        c2_runs, psn.grid, unreachable=c2_unreachable),
    lib.ClaimSpec(
        "C3", "Gradient concentrates at hubs, following fan-in CV", _PSN,
        "structured profiles concentrate gradient 2-5x at hubs, ~1x for "
        "uniform random; strength follows fan-in CV with r = 0.93",
        "r = 0.93",
        "Pearson r > 0 on (variant, layer) means, alpha 0.05 (paper r 0.93); "
        "and random 0.8-1.25x with some CV >= 1 profile >= 2x",
        c3_runs, psn.gradient),
    lib.ClaimSpec(
        "C4", "RigL converges to one fan-in distribution from any start", _PSN,
        "the fan-in distribution converges to a characteristic distribution "
        "whatever the start", "one equilibrium",
        "final fan-in CV of each start vs the random start's, per layer; "
        "Welch TOST within +-0.1, Holm over (layer, start), alpha 0.05; needs "
        "a hub start", c4_runs, psn.convergence),
    lib.ClaimSpec(
        "C5", "RigL from the matched lognormal beats RigL from ERK", _PSN,
        "+0.16% on Fashion-MNIST (p = 0.036, d = 1.07), +0.43% EMNIST, "
        "+0.49% Forest Cover", "+0.16%",
        "lognormal(matched) - ERK, paired over seeds; one-sided paired t, "
        "alpha 0.05; not reproduced only if powered for +0.16 pp and the "
        "interval excludes it", c5_runs, psn.lognormal_vs_erk,
        stage2=c5_stage2),
    lib.ClaimSpec(
        "C6", "Which neurons become hubs matters more than the variance", _PSN,
        "which neurons become hubs matters more than how varied the "
        "connectivity is", "placement > variance",
        "layer 0 changed only: placement = rewired - shuffled > 0 and "
        "placement - (shuffled - flat) > 0; one-sided paired t each, alpha "
        "0.05, effect of interest +0.2 pp", c6_runs, psn_placement.placement,
        stage2=c6_stage2),
    lib.ClaimSpec(
        "L2", "Sparse (even static) MLPs can beat the dense one", _LIU,
        "sparse networks can outperform over-parameterised dense ones, even "
        "without structure optimisation", "sparse > dense",
        "every sparse arm - dense, paired; one-sided t, Holm over arms, alpha "
        "0.05; not reproduced if every arm is shown below +0.2 pp",
        l2_runs, liu.sparse_vs_dense),
    lib.ClaimSpec(
        "L3", "Nearly identical SET starts drift apart", _LIU,
        "layer-0 NNSTD w0 vs w1/w5/w9: 0.29/0.33/0.37 at the first stored "
        "epoch, 0.47/0.52/0.54 by epoch 190", "NNSTD 0.47-0.54",
        "95% CI of the final mean layer-0 NNSTD (w0 vs the others) against "
        "Liu's 0.47-0.54; not reproduced only once the distance has settled",
        l3_runs, liu.drift, sweep="L3"),
    lib.ClaimSpec(
        "L4", "...yet all reach the same accuracy", _LIU,
        "all ten networks reach the same accuracy (87.1-87.6%)",
        "range 0.5%",
        "spread of the ten nearly identical starts vs ten independent starts "
        "(one-sided F-test, alpha 0.05) and range <= 0.6 pp",
        l3_runs, liu.same_accuracy, sweep="L3"),
    lib.ClaimSpec(
        "L5", "SET and RigL find tickets more cheaply than IMP", _LIU,
        "adaptive sparse connectivity finds well-performing subnetworks "
        "(winning tickets) in a more efficient and robust way than the "
        "lottery ticket hypothesis implies", "as accurate, cheaper",
        "at equal final density, IMP - arm per seed for SET and RigL: one-"
        "sided non-inferiority, margin 0.5 pp, alpha 0.05; and each arm's "
        "training FLOPs (from the masks, IMP's rounds included) below IMP's; "
        "spread over seeds and NNSTD between seeds reported",
        l5_runs, liu_pruning.tickets, sweep="L5"),
    lib.ClaimSpec(
        "D2", "Pre-defined sparse MLPs cut parameters > 5x without loss", _DEY,
        "storage and compute fall by more than 5x without significant "
        "performance loss (MNIST, Morse)", "> 5x at no significant loss",
        "per dataset, clash-free at overall density <= 0.2 vs dense; one-sided "
        "non-inferiority, margin 1 pp, Holm over densities, alpha 0.05",
        d2_runs, dey.density_sweep, datasets=("mnist", "morse")),
    lib.ClaimSpec(
        "D3", "Scatter predicts a pattern's quality at equal density", _DEY,
        "low scatter, worse accuracy, at equal density", "r(scatter, acc) > 0",
        "Pearson r > 0 on pattern means, alpha 0.05; beside it the same on "
        "permuted pixels (locality control)", d3_runs, dey.scatter),
    lib.ClaimSpec(
        "D1", "CNNs lose no accuracy at < 0.5% class-layer density", _DEY,
        "CNNs can operate without any loss of accuracy at less than half "
        "percent classification layer connection density, or less than 5 "
        "percent overall density (fully connected layers pre-defined sparse)",
        "no loss at < 0.5% / < 5%",
        "per dataset, arms at class-layer density < 0.5% or fully connected "
        "density < 5% vs the dense CNN; one-sided non-inferiority, margin "
        "0.5 pp, Holm over arms, alpha 0.05; CIFAR: data not available here",
        d1_runs, dey_cnn.cnn_density, datasets=("fashion_mnist", "mnist"),
        unreachable=d1_unreachable),
    lib.ClaimSpec(
        "B1", "Fixed random or structured graphs match or beat dense", _BOU,
        "MLPs on random or structured bipartite graphs fixed before training "
        "match or beat dense", "match dense",
        "per family, some density <= 50% non-inferior to dense (margin 0.5 "
        "pp, one-sided, Holm over densities), alpha 0.05",
        b_runs, bourely.families_vs_dense, sweep="B"),
    lib.ClaimSpec(
        "B2", "Structured graphs give more compact models", _BOU,
        "structured graphs give more compact models than random ones",
        "structured > random at low density",
        "structured family - Erdos-Renyi at the two lowest densities; "
        "one-sided paired t, Holm over cells, alpha 0.05",
        b_runs, bourely.compactness, sweep="B"),
    lib.ClaimSpec(
        "B3", "Accuracy follows spectral gap and lambda_2, not density", _BOU,
        "accuracy depends on spectral gap and algebraic connectivity rather "
        "than on density", "slope > 0 within density",
        "OLS accuracy ~ C(density) + measure on (family, density) means, for "
        "the normalized gap and lambda_2; slope > 0, alpha 0.05",
        b_runs, bourely.spectral, sweep="B"),
    lib.ClaimSpec(
        "B4", "Sparse execution gives speed-ups and compression", _BOU,
        "sparse topologies provide compression of the models learned and "
        "speed-ups of computations", "speed-up and compression",
        "inference time of sparse execution (gather by fan-in, BCOO) vs "
        "masked dense over densities 50-99.9% per width; 100 ln(t_dense / "
        "t_sparse) per paired repeat, one-sided paired t, Holm over (layout, "
        "density) cells, alpha 0.05; every width -> reproduced",
        no_runs, lambda *a: {}, benchmark=bourely_speed.speed),
    lib.ClaimSpec(
        "atlas", "Atlas: which topology measure predicts accuracy", "ours",
        "no paper: PSN says none of the variance, Bourely the spectrum, Dey "
        "scatter", "-",
        "Pearson r per measure on distinct-source means, Holm over measures; "
        "measured, not judged", atlas_runs, atlas_lib.atlas),
)}

ALL: tuple[str, ...] = tuple(CLAIMS)


def get(claim_id: str) -> lib.ClaimSpec:
  """The spec of `claim_id` (case-insensitive)."""
  by_lower = {k.lower(): k for k in CLAIMS}
  if claim_id.lower() not in by_lower:
    raise ValueError(f"claim id must be one of {', '.join(CLAIMS)}, got "
                     f"{claim_id!r}")
  return CLAIMS[by_lower[claim_id.lower()]]
