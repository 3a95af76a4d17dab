"""The claims of the four papers as sweeps: one `ClaimSpec` per claim id.

  python -m experiments.reproduce C5 --quick --workdir results/claims

Each spec (`CLAIMS[id]`) holds the paper's number or sentence, the runs of the
sweep for a mode (`toy`: tests, seconds; `quick`: 2 CPU cores, minutes;
`full`: the GPU), an optional second stage built from the first stage's
results (C5: RigL from the measured equilibrium; C6: static masks from RigL's
learned fan-ins), and the analysis of `psn_jax.claims` that turns the results
into a verdict. Claims that share one sweep name it in `sweep` (L3 and L4 are
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

from configs import dey as dey_config
from psn_jax import claims as lib
from psn_jax import config as config_lib
from psn_jax import masks as masks_lib
from psn_jax import sweep

MODES = ("toy", "quick", "full")

# Per mode: widths, epochs, seeds, batch size (claims override some).
_SIZES = {
    "toy": dict(hidden=(16,), num_epochs=1, num_seeds=2, batch_size=64),
    "quick": dict(hidden=(100,), num_epochs=2, num_seeds=3, batch_size=128),
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

  Adds the field `init_masks` (masks read from a file, see
  `psn_jax.claims.mask_hook`) and makes `cv` untyped so that per-layer CV
  tuples can be swept.
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
  c.checkpoint_every = max(1, c.num_epochs)
  return c


def _runs(c: ml_collections.ConfigDict, points: Sequence[dict[str, Any]]
          ) -> list[sweep.Run]:
  return sweep.expand(c, points=list(points))


def _arm(name: str, sparsity: float, profile: str = "random",
         distribution: str = "uniform", cv: Any = None, **more: Any
         ) -> dict[str, Any]:
  return {"name": name, "sparsity": sparsity, "profile": profile,
          "distribution": distribution, "cv": cv, **more}


def _dense(name: str = "dense") -> dict[str, Any]:
  return _arm(name, 0.0, "uniform")


def _pick(mode: str, toy: Any, quick: Any, full: Any) -> Any:
  return {"toy": toy, "quick": quick, "full": full}[mode]


# ---------------------------------------------------------------------------
# PSN (Tomczak 2026) [abs].

C1_DATASETS = ("mnist", "fashion_mnist", "emnist/balanced", "covertype")


def c1_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Dense and every static profile at 90% on each dataset (class layer dense)."""
  families = _pick(mode, ("lognormal",), ("lognormal", "power_law", "gaussian"),
                   PSN_FAMILIES)
  datasets = _pick(mode, ("mnist",), ("mnist", "fashion_mnist"), C1_DATASETS)
  runs = []
  for ds in datasets:
    c = base(mode, dataset=ds, dense_last=True,
             **_pick(mode, {}, {}, {"num_epochs": 20, "num_seeds": 5}))
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
                  ((1000, 1000), (512, 256, 128)))
  runs = []
  for hidden in hiddens:
    for opt, lr in _pick(mode, (("sgd", 0.05),), (("sgd", 0.05), ("adam", 1e-3)),
                         (("sgd", 0.05), ("adam", 1e-3))):
      c = base(mode, dataset="fashion_mnist", dense_last=True, hidden=hidden,
               **{"optim.name": opt, "optim.learning_rate": lr,
                  "optim.weight_decay": 0.0},
               **_pick(mode, {}, {"num_epochs": 3},
                       {"num_epochs": 30, "num_seeds": 3}))
      tag = f"{'-'.join(map(str, hidden))}_{opt}"
      runs += _runs(c, [{**a, "name": f"{tag}/{a['name']}"} for a in
                        (_dense(), _arm("uniform", 0.9, "uniform"),
                         _arm("random", 0.9))])
  return runs


def c2_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Families x CV x sparsity where reachable, with dense, uniform and random."""
  families = _pick(mode, ("lognormal", "gaussian"),
                   ("lognormal", "gaussian", "power_law"), PSN_FAMILIES)
  cvs = _pick(mode, (1.0,), (0.5, 1.5), (0.5, 1.0, 1.5, 2.0, 2.5))
  sparsities = _pick(mode, (0.5, 0.9), (0.9, 0.99), (0.8, 0.9, 0.95, 0.99, 0.999))
  c = base(mode, dataset="fashion_mnist", dense_last=True,
           **_pick(mode, {}, {}, {"num_epochs": 10, "num_seeds": 3}))
  arms = [_dense()]
  for s in sparsities:
    tag = f"s{s:g}"
    arms += [_arm(f"{tag}/uniform", s, "uniform"), _arm(f"{tag}/random", s)]
    arms += [_arm(f"{tag}/{f}_cv{cv:g}", s, f, cv=cv)
             for f in families for cv in cvs]
  return _runs(c, lib.feasible_points(c, arms))


def c3_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Uniform, random and PSN profiles over fan-in CVs (gradient recorded)."""
  grid = _pick(mode, (("lognormal", (0.5, 1.5)),),
               (("lognormal", (0.5, 1.0, 1.5, 2.0)), ("power_law", (1.0, 2.0)),
                ("gaussian", (1.0,))),
               (("lognormal", (0.5, 1.0, 1.5, 2.0, 2.5)),
                ("power_law", (1.0, 2.0, 2.5)), ("gaussian", (1.0, 1.5)),
                ("exponential", (1.0, 2.0)), ("sigmoid", (0.8,)),
                ("linear", (0.5,)), ("cosine", (1.0,)), ("softplus", (1.0,))))
  c = base(mode, dataset="fashion_mnist",
           **_pick(mode, {"hidden": (16, 16)}, {"hidden": (100, 50)},
                   {"num_epochs": 10, "num_seeds": 3}))
  arms = [_arm("uniform", 0.9, "uniform"), _arm("random", 0.9)]
  arms += [_arm(f"{f}_cv{cv:g}", 0.9, f, cv=cv) for f, cvs in grid for cv in cvs]
  return _runs(c, lib.feasible_points(c, arms))


def _rigl(mode: str, **overrides: Any) -> ml_collections.ConfigDict:
  delta = _pick(mode, 2, 50, 100)
  return base(mode, "rigl", dataset="fashion_mnist",
              **{"dst.delta_t": delta}, **overrides)


def c4_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """RigL, constant drop fraction to the end, from flat and hub starts."""
  c = _rigl(mode, dense_last=True,   # hub profiles shape hidden neurons only
            **{"dst.drop_schedule": "constant", "dst.t_end_fraction": 1.0},
            **_pick(mode, {}, {"num_epochs": 3},
                    {"num_epochs": 30, "num_seeds": 3}))
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
                          {"num_epochs": 20, "num_seeds": 30}))
  return _runs(c, [_arm("erk", 0.9, "random", "erk"),
                   _arm("uniform", 0.9, "random", "uniform")])


def c5_stage2(mode: str, first: sweep.SweepResult, root: str
              ) -> list[sweep.Run]:
  """Stage 2: RigL from a lognormal profile matched to stage 1's equilibrium."""
  del root
  cvs = lib.equilibrium_cvs(first, "erk")
  c = _rigl(mode, **_pick(mode, {"num_seeds": 3}, {"num_seeds": 6},
                          {"num_epochs": 20, "num_seeds": 30}))
  return _runs(c, [_arm("lognormal_matched", 0.9, "lognormal", "erk",
                        tuple(cvs))])


def c6_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Stage 1: RigL from ERK, final masks kept (snapshots)."""
  c = _rigl(mode, **_pick(mode, {}, {"num_seeds": 4},
                          {"num_epochs": 20, "num_seeds": 10}))
  c.track.snapshot_every = c.num_epochs
  return _runs(c, [_arm("rigl_erk", 0.9, "random", "erk")])


def c6_stage2(mode: str, first: sweep.SweepResult, root: str
              ) -> list[sweep.Run]:
  """Static runs from RigL's learned masks, its fan-ins, and shuffled fan-ins."""
  files = lib.learned_mask_files(first, "rigl_erk", root)
  c = base(mode, dataset="fashion_mnist",
           **_pick(mode, {}, {"num_seeds": 4},
                   {"num_epochs": 20, "num_seeds": 10}))
  runs = _runs(c, [_arm("random_erk", 0.9, "random", "erk")])
  for name, path in files.items():
    runs += _runs(c, [_arm(name, 0.9, "random", "erk", init_masks=path)])
  return runs


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
  sparsities = _pick(mode, (0.9,), (0.9, 0.98), (0.8, 0.9, 0.95, 0.98, 0.99))
  sizes = _pick(mode, {}, {"hidden": (256, 256), "num_epochs": 3},
                {"hidden": (784, 784, 784), "num_epochs": 20, "num_seeds": 3})
  runs = []
  for algo in ("none", "set"):
    c = _set(mode, **{"dst.algorithm": algo}, **sizes)
    arms = [_arm(f"{algo}/er_s{s:g}", s, "erdos_renyi") for s in sparsities]
    if algo == "none":
      arms = [_dense()] + arms
    runs += _runs(c, arms)
  return runs


def l3_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Ten nearly identical SET starts (1% moved each step), one program."""
  sizes = _pick(mode, {"num_seeds": 4, "sparsity": 0.9},
                {"hidden": (256, 256), "num_epochs": 4, "num_seeds": 10,
                 "sparsity": 0.98},
                {"hidden": (784, 784, 784), "num_epochs": 30, "num_seeds": 10,
                 "sparsity": 0.994})
  c = _set(mode, profile="erdos_renyi", **sizes)
  c.track.snapshot_every = max(1, c.num_epochs // _pick(mode, 1, 2, 3))
  path = lib.nearly_identical_file(c, root, fraction=0.01)
  return _runs(c, [{"name": "set_chain", "init_masks": path}])


# ---------------------------------------------------------------------------
# Dey et al. 2018/2019 [code]: Adam, batch 256, L2, class junction dense.


def _dey(mode: str, variant: str, **overrides: Any) -> ml_collections.ConfigDict:
  c = dey_config.get_config(variant)
  sizes = _pick(mode, {"hidden": (20,)}, {"num_epochs": 3, "num_seeds": 3},
                {"num_epochs": 15, "num_seeds": 5})
  if variant == "morse":
    sizes = _pick(mode, {"hidden": (32,)}, {"num_epochs": 1, "num_seeds": 2,
                                             "hidden": (256,)},
                  {"num_epochs": 10, "num_seeds": 5})
  sizes.setdefault("batch_size", 256 if mode != "toy" else 64)
  if mode != "toy":
    sizes.setdefault("hidden", tuple(c.hidden))
  return _sized(c, mode, {**sizes, **overrides})


def d2_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Clash-free, Dey-basic and random junctions over densities, MNIST and Morse."""
  runs = []
  datasets = _pick(mode, ("mnist",), ("mnist", "morse"), ("mnist", "morse"))
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
  """Equal density, different scatter (clash-free ... windowed)."""
  c = _dey(mode, "scatter", input_pad=0,
           **_pick(mode, {"sparsity": 0.75}, {}, {"num_seeds": 10}))
  c.track.snapshot_every = c.num_epochs
  s = c.sparsity
  arms = [_arm(p, s, p) for p in ("dey_clash_free", "dey_basic", "random",
                                  "circulant", "circulant_banded",
                                  "dey_windowed")]
  return _runs(c, lib.feasible_points(c, arms))


# ---------------------------------------------------------------------------
# Bourely et al. 2017 [abs]: graph families over densities.

B_FAMILIES = ("erdos_renyi", "random_biregular", "circulant",
              "circulant_banded", "dey_clash_free")


def b_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Every graph family at densities 1-50% (hidden junctions), MNIST and FMNIST."""
  densities = _pick(mode, (0.25, 0.5), (0.02, 0.1, 0.5),
                    (0.01, 0.02, 0.05, 0.1, 0.2, 0.5))
  datasets = _pick(mode, ("mnist",), ("mnist",), ("mnist", "fashion_mnist"))
  runs = []
  for ds in datasets:
    c = base(mode, dataset=ds, dense_last=True,
             **_pick(mode, {}, {}, {"num_epochs": 10, "num_seeds": 5}))
    c.track.snapshot_every = c.num_epochs
    arms = [_dense(f"{ds}/dense")]
    arms += [_arm(f"{ds}/{f}_d{d:g}", 1 - d, f) for d in densities
             for f in B_FAMILIES]
    runs += _runs(c, lib.feasible_points(c, arms))
  return runs


# ---------------------------------------------------------------------------
# The atlas (ours).


def atlas_runs(mode: str, root: str = "") -> list[sweep.Run]:
  """Every mask source at one density, many seeds."""
  datasets = _pick(mode, ("mnist",), ("mnist",), ("mnist", "fashion_mnist"))
  sparsity = _pick(mode, 0.75, 0.9, 0.9)
  runs = []
  for ds in datasets:
    c = base(mode, dataset=ds, dense_last=True,
             **_pick(mode, {"num_seeds": 3}, {"num_seeds": 4},
                     {"num_epochs": 10, "num_seeds": 8}))
    c.track.snapshot_every = c.num_epochs
    arms = [_arm(f"{ds}/{p}", sparsity, p) for p in masks_lib.MASK_SOURCES]
    arms += [_arm(f"{ds}/erk", sparsity, "random", "erk")]
    arms += [_arm(f"{ds}/lognormal_cv{cv:g}", sparsity, "lognormal", cv=cv)
             for cv in _pick(mode, (1.5,), (1.5, 2.0), (0.25, 1.0, 1.5, 2.0))]
    runs += _runs(c, lib.feasible_points(c, arms))
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
        "gap to dense <= 0.6%", c1_runs, "gap_to_dense",
        datasets=C1_DATASETS),
    lib.ClaimSpec(
        "C1R", "Recipe check: which recipe gives PSN's 0.2-0.6% gap to dense",
        _PSN + "; our check", "0.2-0.6% gap to dense (our 784-300-100 SGD runs: "
        "1.7-1.9%)", "gap to dense", c1r_runs, "recipe"),
    lib.ClaimSpec(
        "C2", "The result holds over sparsity, shapes and fan-in CV", _PSN,
        "it holds over 80-99.9% sparsity, 10 shapes, fan-in CV 0-2.5",
        "gap to dense <= 0.6% in every cell", c2_runs, "grid"),
    lib.ClaimSpec(
        "C3", "Gradient concentrates at hubs, following fan-in CV", _PSN,
        "structured profiles concentrate gradient 2-5x at hubs, ~1x for "
        "uniform random; strength follows fan-in CV with r = 0.93",
        "r = 0.93", c3_runs, "gradient"),
    lib.ClaimSpec(
        "C4", "RigL converges to one fan-in distribution from any start", _PSN,
        "the fan-in distribution converges to a characteristic distribution "
        "whatever the start", "one equilibrium", c4_runs, "convergence"),
    lib.ClaimSpec(
        "C5", "RigL from the matched lognormal beats RigL from ERK", _PSN,
        "+0.16% on Fashion-MNIST (p = 0.036, d = 1.07), +0.43% EMNIST, "
        "+0.49% Forest Cover", "+0.16%", c5_runs, "lognormal_vs_erk",
        stage2=c5_stage2),
    lib.ClaimSpec(
        "C6", "Which neurons become hubs matters more than the variance", _PSN,
        "which neurons become hubs matters more than how varied the "
        "connectivity is", "placement > variance", c6_runs, "placement",
        stage2=c6_stage2),
    lib.ClaimSpec(
        "L2", "Sparse (even static) MLPs can beat the dense one", _LIU,
        "sparse networks can outperform over-parameterised dense ones, even "
        "without structure optimisation", "sparse > dense", l2_runs,
        "sparse_vs_dense"),
    lib.ClaimSpec(
        "L3", "Nearly identical SET starts drift apart", _LIU,
        "layer-0 NNSTD w0 vs w1/w5/w9: 0.29/0.33/0.37 at the first stored "
        "epoch, 0.47/0.52/0.54 by epoch 190", "NNSTD 0.47-0.54", l3_runs,
        "drift", sweep="L3"),
    lib.ClaimSpec(
        "L4", "...yet all reach the same accuracy", _LIU,
        "all ten networks reach the same accuracy (87.1-87.6%)",
        "range 0.5%", l3_runs, "same_accuracy", sweep="L3"),
    lib.ClaimSpec(
        "D2", "Pre-defined sparse MLPs cut parameters > 5x without loss", _DEY,
        "storage and compute fall by more than 5x without significant "
        "performance loss (MNIST, Morse)", "> 5x at no significant loss",
        d2_runs, "density_sweep", datasets=("mnist", "morse")),
    lib.ClaimSpec(
        "D3", "Scatter predicts a pattern's quality at equal density", _DEY,
        "low scatter, worse accuracy, at equal density", "r(scatter, acc) > 0",
        d3_runs, "scatter"),
    lib.ClaimSpec(
        "B1", "Fixed random or structured graphs match or beat dense", _BOU,
        "MLPs on random or structured bipartite graphs fixed before training "
        "match or beat dense", "match dense", b_runs, "families_vs_dense",
        sweep="B"),
    lib.ClaimSpec(
        "B2", "Structured graphs give more compact models", _BOU,
        "structured graphs give more compact models than random ones",
        "structured > random at low density", b_runs, "compactness",
        sweep="B"),
    lib.ClaimSpec(
        "B3", "Accuracy follows spectral gap and lambda_2, not density", _BOU,
        "accuracy depends on spectral gap and algebraic connectivity rather "
        "than on density", "partial r > 0", b_runs, "spectral", sweep="B"),
    lib.ClaimSpec(
        "atlas", "Atlas: which topology measure predicts accuracy", "ours",
        "no paper: PSN says none of the variance, Bourely the spectrum, Dey "
        "scatter", "-", atlas_runs, "atlas"),
)}

ALL: tuple[str, ...] = tuple(CLAIMS)


def get(claim_id: str) -> lib.ClaimSpec:
  """The spec of `claim_id` (case-insensitive)."""
  by_lower = {k.lower(): k for k in CLAIMS}
  if claim_id.lower() not in by_lower:
    raise ValueError(f"claim id must be one of {', '.join(CLAIMS)}, got "
                     f"{claim_id!r}")
  return CLAIMS[by_lower[claim_id.lower()]]
