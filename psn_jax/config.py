"""The training config: defaults, variants, validation and comparison.

`get_config(variant)` returns the `ml_collections.ConfigDict` that
`psn_jax.runner.run`, `psn_jax.train.make_train` and the command lines
(`python -m experiments.train --config configs/train.py:quick`, a thin wrapper
of this module) take. It is part of the package, so the engine API works from
any directory:

  from psn_jax import config as config_lib
  c = config_lib.get_config("quick")
  c.hidden = (64,)
  config_lib.validate(c)            # one-line ValueError naming the field

Variants:

* `quick`: a CPU run of about a minute: MLP 784-300-100-10, Adam, 3 epochs,
  2 seeds, 90% sparse (uniform layers, uniform profile). Reaches > 95% test
  accuracy on MNIST.
* `paper`: the defaults of the PSN paper (Tomczak 2026) for a GPU:
  Fashion-MNIST, LeNet-300-100, 90% sparse, SGD with momentum 0.9, batch 128,
  20 epochs, 10 seeds.
* `rigl` / `set`: `paper` with RigL (Evci et al. 2020) from ERK (ERK layer
  budgets, connections at uniformly random positions: RigL's start), or SET
  (Mocanu et al. 2018) from Erdos-Renyi layers at ERK budgets.

`validate(config)` checks every user-facing field and raises a one-line
`ValueError` that names the dotted field (`optim.learning_rate`) and the
allowed values. `diff(a, b)` lists the dotted fields in which two configs
differ (used to say why a checkpoint cannot be resumed).

An arm of a study is one way, a sweep point (`{"name": ..., field: value}`)
made into its config by `apply_point`; the compare configs' `variants`
tuples are a shorthand read in one place, `points_from_variants`.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Mapping

import ml_collections

from psn_jax.config_flat import diff  # noqa: F401  (re-exported)
from psn_jax.config_flat import flatten  # noqa: F401  (re-exported)

VARIANTS = ("quick", "paper", "rigl", "set")
OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine", "step")
PRECISIONS = ("default", "float32", "tf32", "bfloat16")


def get_config(variant: str = "quick") -> ml_collections.ConfigDict:
  """Returns the ConfigDict of `variant` (one of `VARIANTS`).

  Raises:
    ValueError: unknown variant.
  """
  c = ml_collections.ConfigDict()
  c.dataset = "fashion_mnist"
  c.seed = 0                   # seeds are seed, seed + 1, ..., seed + num_seeds - 1
  c.num_seeds = 2
  c.num_epochs = 3
  c.batch_size = 128
  c.hidden = (300, 100)
  c.dropout = 0.0              # MLP dropout rate on hidden activations
  c.input_pad = 0              # pad input features with zeros to this width; 0 = none
  c.precision = "default"      # matmul precision: default (backend) | float32 | tf32 | bfloat16

  # Masks (psn_jax.masks.make_masks).
  c.sparsity = 0.9
  c.distribution = "uniform"   # uniform | erk
  c.profile = "uniform"        # the mask source: psn_jax.mask_sources.SOURCES
  c.cv = ml_collections.config_dict.placeholder(float)
  c.dense_first = False
  c.dense_last = False
  c.init_masks = ""            # a masks.save_mask_file .npz to start from ("" = make them)

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
  c.track.snapshot_every = 0   # epochs between mask snapshots; 0 = none

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
      c.profile = "random"       # RigL's ERK start: ERK budgets, random placement
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
        f"config variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
  return c


# ---------------------------------------------------------------------------
# Validation.


def _is_int(x: Any) -> bool:
  return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _is_real(x: Any) -> bool:
  # Finite: NaN and inf pass every range test below and make a run diverge
  # (a learning rate of inf gave NaN losses and chance accuracy, exit 0).
  return (isinstance(x, numbers.Real) and not isinstance(x, bool)
          and math.isfinite(x))


def _short(x: Any) -> str:
  text = repr(x)
  return text if len(text) <= 60 else text[:57] + "..."


def _fail(field: str, allowed: str, value: Any) -> None:
  raise ValueError(f"{field} must be {allowed}, got {_short(value)}")


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> None:
  if value not in allowed:
    _fail(field, f"one of {', '.join(allowed)}", value)


def _int(field: str, value: Any, low: int) -> None:
  if not _is_int(value) or value < low:
    _fail(field, f"an integer >= {low}", value)


def _bool(field: str, value: Any) -> None:
  if not isinstance(value, bool):
    _fail(field, "True or False", value)


def _real(field: str, value: Any, low: float, high: float | None,
          closed_low: bool, closed_high: bool) -> None:
  ok = _is_real(value)
  if ok:
    ok = value >= low if closed_low else value > low
  if ok and high is not None:
    ok = value <= high if closed_high else value < high
  if not ok:
    if high is None:
      allowed = f"a finite number {'>=' if closed_low else '>'} {low:g}"
    else:
      allowed = (f"a number in {'[' if closed_low else '('}{low:g}, "
                 f"{high:g}{']' if closed_high else ')'}")
    _fail(field, allowed, value)


def _cv(field: str, value: Any) -> None:
  if value is None:
    return
  if isinstance(value, (list, tuple)):
    if not value:
      _fail(field, "None, a number >= 0 or a non-empty per-layer list", value)
    for i, v in enumerate(value):
      if v is not None:
        _real(f"{field}[{i}]", v, 0.0, None, True, False)
    return
  if not _is_real(value) or value < 0:
    _fail(field, "None, a number >= 0 or a per-layer list of them", value)


def _mask_fields(prefix: str, sparsity: Any, distribution: Any, profile: Any,
                 cv: Any) -> None:
  from psn_jax import masks, mask_sources  # pylint: disable=g-import-not-at-top
  _real(f"{prefix}sparsity", sparsity, 0.0, 1.0, True, False)
  _choice(f"{prefix}distribution", distribution, tuple(masks.DISTRIBUTIONS))
  mask_sources.resolve(profile, f"{prefix}profile")  # the registry's names
  _cv(f"{prefix}cv", cv)


def validate(config: ml_collections.ConfigDict) -> None:
  """Checks every user-facing field of a `get_config` ConfigDict.

  Checks types and ranges only; what needs the data or the shapes (a CV a
  profile cannot reach at a layer's density, ERK budgets) is checked where the
  masks are built.

  Raises:
    ValueError: one line naming the first bad dotted field (`dst.t_end_fraction`)
      and the allowed values.
  """
  from psn_jax import data, dst  # pylint: disable=g-import-not-at-top
  c = config
  _choice("dataset", c.dataset, tuple(data.DATASETS))
  _int("seed", c.seed, 0)
  for field in ("num_seeds", "num_epochs", "batch_size"):
    _int(field, c[field], 1)
  hidden = c.hidden
  if (not isinstance(hidden, (list, tuple)) or not hidden
      or any(not _is_int(w) or w < 1 for w in hidden)):
    _fail("hidden", "a non-empty list of integer widths >= 1", hidden)
  _mask_fields("", c.sparsity, c.distribution, c.profile, c.cv)
  _bool("dense_first", c.dense_first)
  _bool("dense_last", c.dense_last)
  if not isinstance(c.get("init_masks", ""), str):
    _fail("init_masks", "a path to a masks.save_mask_file .npz, or ''",
          c.get("init_masks"))
  _real("dropout", c.get("dropout", 0.0), 0.0, 1.0, True, False)
  _int("input_pad", c.get("input_pad", 0), 0)
  # Optional (absent from the defaults, so saved configs stay comparable):
  # a seed >= 0 permutes the input features once (runner.load_data).
  _int("pixel_permutation", c.get("pixel_permutation", -1), -1)
  # Optional, absent from the defaults (issue 21): the model (psn_jax.models:
  # "mlp", or a CNN) and the path rule of the sparse leaves ("" = kernels).
  from psn_jax import models, mask_tree  # pylint: disable=g-import-not-at-top
  _choice("model", c.get("model", "mlp"), tuple(models.MODELS))
  if c.get("mask_rule", ""):
    try:
      mask_tree.check_rule(c.mask_rule)
    except ValueError as e:
      raise ValueError(f"mask_rule: {e}") from None
  _choice("precision", c.get("precision", "default"), PRECISIONS)

  o = c.optim
  _choice("optim.name", o.name, OPTIMIZERS)
  _real("optim.learning_rate", o.learning_rate, 0.0, None, False, False)
  _real("optim.momentum", o.momentum, 0.0, 1.0, True, False)
  _bool("optim.nesterov", o.nesterov)
  _real("optim.weight_decay", o.weight_decay, 0.0, None, True, False)
  _choice("optim.lr_schedule", o.lr_schedule, LR_SCHEDULES)
  _int("optim.warmup_steps", o.warmup_steps, 0)

  dst.check_config(c.dst)  # the one DST validator (DSTConfig uses it too)

  t = c.track
  _int("track.record_every", t.record_every, 1)
  _int("track.hist_bins", t.hist_bins, 1)
  _int("track.snapshot_every", t.get("snapshot_every", 0), 0)
  # Optional, like pixel_permutation: False skips per-step gradient norms.
  _bool("track.grad_norms", t.get("grad_norms", True))
  _int("checkpoint_every", c.checkpoint_every, 1)

  if "variants" in c:  # each arm is validated as the config it makes
    for i, point in enumerate(points_from_variants(c)):
      try:
        apply_point(c, point)
      except ValueError as e:
        raise ValueError(f"variants[{i}].{e}") from None


# ---------------------------------------------------------------------------
# Arms: sweep points, and the `variants` shorthand.

# The fields of one `variants` tuple, in order (sparsity 0 = dense).
VARIANT_FIELDS = ("name", "sparsity", "distribution", "profile", "cv")


# Fields absent from `get_config`, with the value their absence means. They
# are left out so that the saved configs of runs made before they existed
# compare equal to today's (checkpoint fingerprints, resume): `set_field` adds
# one when it is set to anything else, and removes it when set back to this.
OPTIONAL_FIELDS: dict[str, Any] = {
    "pixel_permutation": -1,   # a seed >= 0 permutes the input features
    "model": "mlp",            # psn_jax.models.MODELS
    "mask_rule": "",           # path rule of the sparse leaves; "" = kernels
    "track.grad_norms": True,  # per-step gradient norms
}


def parse_optional(field: str, text: str) -> Any:
  """The value of the optional `field` (a key of `OPTIONAL_FIELDS`) written
  as command-line `text`, typed like its default.

  Raises:
    ValueError: text the field's type cannot read (one line naming it).
  """
  default = OPTIONAL_FIELDS[field]
  if isinstance(default, bool):
    if text.lower() not in ("true", "false", "1", "0"):
      _fail(field, "true or false", text)
    return text.lower() in ("true", "1")
  if isinstance(default, int):
    try:
      return int(text)
    except ValueError:
      _fail(field, "an integer", text)
  return text


def set_field(config: ml_collections.ConfigDict, field: str,
              value: Any) -> None:
  """Sets the dotted `field` of `config` in place (a list becomes a tuple).

  A tuple for a field typed as a number (a per-layer `cv`) replaces the
  field, so the value's own check (`validate`) judges it. An optional field
  (`OPTIONAL_FIELDS`) is added, or removed when set to its default, so equal
  settings give equal saved configs.

  Raises:
    ValueError: an unknown field, or a value the field's type refuses.
  """
  *parents, leaf = field.split(".")
  node = config
  for p in parents:
    if p not in node or not isinstance(node[p], ml_collections.ConfigDict):
      raise ValueError(f"unknown config field {field}")
    node = node[p]
  if field in OPTIONAL_FIELDS:
    default = OPTIONAL_FIELDS[field]
    if type(value) is not type(default):  # pylint: disable=unidiomatic-typecheck
      _fail(field, {bool: "true or false", int: "an integer",
                    str: "a string"}[type(default)], value)
    with node.unlocked():
      if value == default:
        if leaf in node:
          del node[leaf]
      else:
        node[leaf] = value
    return
  if leaf not in node:
    raise ValueError(f"unknown config field {field}")
  value = tuple(value) if isinstance(value, list) else value
  with node.unlocked():
    try:
      node[leaf] = value
    except TypeError:
      if not isinstance(value, tuple):
        _fail(field, f"a {node.get_ref(leaf).get_type().__name__}", value)
      del node[leaf]
      node[leaf] = value


def apply_point(base: ml_collections.ConfigDict,
                point: Mapping[str, Any]) -> ml_collections.ConfigDict:
  """The config of one arm: `base` with the fields of a sweep point set.

  Args:
    base: the config the arm starts from (unchanged).
    point: `{dotted field: value}` and an optional `name` (the arm's name,
      not a field; ignored here).

  Returns:
    A validated copy of `base` without its `variants` shorthand.

  Raises:
    ValueError: an unknown field or a bad value (one line naming the field).
  """
  c = copy.deepcopy(base)
  if "variants" in c:
    with c.unlocked():
      del c["variants"]
  for field, value in point.items():
    if field != "name":
      set_field(c, field, value)
  validate(c)
  return c


def points_from_variants(config: ml_collections.ConfigDict
                         ) -> list[dict[str, Any]]:
  """The sweep points of `config.variants`, the one reader of that shorthand.

  `configs/compare.py` writes its arms as `(name, sparsity, distribution,
  profile, cv)` tuples; each becomes the point `{"name": name, "sparsity":
  sparsity, ...}` (`VARIANT_FIELDS`), to train with `runner.run(config,
  workdir, variants=points)` or `sweep.expand(config, points=points)`.

  Raises:
    ValueError: not a non-empty list of such tuples with unique non-empty
      names (one line naming `variants[i]`).
  """
  variants = config.variants
  shape = "(" + ", ".join(VARIANT_FIELDS) + ")"
  if not isinstance(variants, (list, tuple)) or not variants:
    _fail("variants", f"a non-empty list of {shape} tuples", variants)
  points: list[dict[str, Any]] = []
  for i, v in enumerate(variants):
    if not isinstance(v, (list, tuple)) or len(v) != len(VARIANT_FIELDS):
      _fail(f"variants[{i}]", f"a {shape} tuple", v)
    name = v[0]
    if not isinstance(name, str) or not name:
      _fail(f"variants[{i}].name", "a non-empty string", name)
    if any(p["name"] == name for p in points):
      _fail(f"variants[{i}].name", "unique among the variants", name)
    points.append(dict(zip(VARIANT_FIELDS, v)))
  return points
