"""psn_jax.config: defaults reachable from the package, every bad field
refused with one line naming it, and `diff` of two configs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from psn_jax import config as config_lib
from psn_jax import masks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("variant", config_lib.VARIANTS)
def test_every_variant_is_valid(variant):
  config_lib.validate(config_lib.get_config(variant))


@pytest.mark.parametrize("variant", ["quick", "paper", "gradient", "starts",
                                     "sparsity"])
def test_compare_variants_are_valid(variant):
  sys.path.insert(0, ROOT)
  try:
    from configs import compare
  finally:
    sys.path.remove(ROOT)
  config_lib.validate(compare.get_config(variant))


def test_unknown_variant():
  with pytest.raises(ValueError, match="quick, paper, rigl, set"):
    config_lib.get_config("fast")


def test_new_fields_and_their_defaults():
  c = config_lib.get_config()
  assert (c.dropout, c.input_pad, c.track.snapshot_every, c.precision) == (
      0.0, 0, 0, "default")
  assert c.dataset == "mnist" and tuple(c.hidden) == (300, 100)


def test_configs_train_wraps_the_package_config():
  sys.path.insert(0, ROOT)
  try:
    from configs import train
  finally:
    sys.path.remove(ROOT)
  for variant in config_lib.VARIANTS:
    assert train.get_config(variant) == config_lib.get_config(variant)


def test_reachable_outside_the_repository(tmp_path):
  out = subprocess.run(
      [sys.executable, "-c", "import psn_jax; c = psn_jax.config.get_config(); "
       "print(c.num_epochs, psn_jax.masks.PROFILES[0])"],
      cwd=tmp_path, capture_output=True, text=True, timeout=120)
  assert out.returncode == 0, out.stderr
  assert out.stdout.split() == ["3", masks.PROFILES[0]]


# (dotted field, bad value, a fragment of the allowed values)
BAD = [
    ("dataset", "cifar", "mnist"),
    ("seed", -1, ">= 0"),
    ("seed", 1.5, "integer"),
    ("num_seeds", 0, ">= 1"),
    ("num_epochs", 0, ">= 1"),
    ("num_epochs", True, "integer"),
    ("batch_size", -3, ">= 1"),
    ("hidden", (), "non-empty"),
    ("hidden", (300, 0), "widths >= 1"),
    ("hidden", (30.5,), "integer"),
    ("sparsity", 1.0, "[0, 1)"),
    ("sparsity", -0.1, "[0, 1)"),
    ("sparsity", float("nan"), "[0, 1)"),
    ("distribution", "banana", "uniform, erk"),
    ("profile", "zigzag", "lognormal"),
    ("cv", -1.0, ">= 0"),
    ("cv", "big", ">= 0"),
    ("cv", (1.0, -2.0), ">= 0"),
    ("dense_first", 1, "True or False"),
    ("dense_last", "yes", "True or False"),
    ("init_masks", 3, "a path"),
    ("dropout", 1.0, "[0, 1)"),
    ("dropout", -0.5, "[0, 1)"),
    ("input_pad", -1, ">= 0"),
    ("precision", "float16", "default, float32, tf32, bfloat16"),
    ("optim.name", "rmsprop", "adam, sgd"),
    ("optim.learning_rate", -1.0, "> 0"),
    ("optim.learning_rate", 0.0, "> 0"),
    # inf passes every range test but makes the run diverge (issue 19).
    ("optim.learning_rate", float("inf"), "a finite number > 0"),
    ("optim.weight_decay", float("inf"), "a finite number >= 0"),
    ("cv", float("inf"), ">= 0"),
    ("optim.momentum", 1.0, "[0, 1)"),
    ("optim.momentum", -0.1, "[0, 1)"),
    ("optim.nesterov", "no", "True or False"),
    ("optim.weight_decay", -1e-4, ">= 0"),
    ("optim.lr_schedule", "linear", "constant, cosine, step"),
    ("optim.warmup_steps", -1, ">= 0"),
    ("dst.algorithm", "prune", "none, rigl, set"),
    ("dst.delta_t", -1, ">= 0"),
    ("dst.t_start", -5, ">= 0"),
    ("dst.t_end_fraction", -1.0, "(0, 1]"),
    ("dst.t_end_fraction", 0.0, "(0, 1]"),
    ("dst.t_end_fraction", 1.5, "(0, 1]"),
    ("dst.drop_fraction", 0.0, "(0, 1]"),
    ("dst.drop_fraction", 1.5, "(0, 1]"),
    ("dst.drop_schedule", "step", "lr_scaled"),
    ("dst.set_drop_rule", "random", "magnitude, sign"),
    ("dst.skip_optimizer_step", 0, "True or False"),
    ("track.record_every", 0, ">= 1"),
    ("track.hist_bins", 0, ">= 1"),
    ("track.snapshot_every", -1, ">= 0"),
    ("checkpoint_every", 0, ">= 1"),
]


def _set(config, dotted, value):
  *parents, leaf = dotted.split(".")
  node = config
  for p in parents:
    node = node[p]
  with node.unlocked(), node.ignore_type():
    node[leaf] = value


@pytest.mark.parametrize("field, value, allowed", BAD)
def test_every_bad_field_is_named_with_the_allowed_values(field, value, allowed):
  c = config_lib.get_config("quick")
  _set(c, field, value)
  with pytest.raises(ValueError) as e:
    config_lib.validate(c)
  message = str(e.value)
  assert "\n" not in message
  named = message.split(" must be ")[0]
  assert named == field or named.startswith(field + "["), message
  assert allowed in message


def test_accepted_edge_values():
  c = config_lib.get_config("rigl")
  for field, value in [("sparsity", 0.0), ("cv", 0.0), ("cv", (1.0, None)),
                       ("dst.t_end_fraction", 1.0), ("optim.momentum", 0.0),
                       ("dst.delta_t", 0), ("dropout", 0.5), ("input_pad", 1024),
                       ("precision", "bfloat16"), ("optim.learning_rate", 3)]:
    _set(c, field, value)
  config_lib.validate(c)


def test_bad_compare_variant_names_its_index():
  c = config_lib.get_config("quick")
  with c.unlocked():
    c.variants = [("dense", 0.0, "uniform", "uniform", None),
                  ("bad", 0.9, "uniform", "lognormal", -1.0)]
  with pytest.raises(ValueError, match=r"^variants\[1\]\.cv must be"):
    config_lib.validate(c)
  with c.unlocked():
    c.variants = [("a", 0.9, "uniform", "uniform", None),
                  ("a", 0.9, "erk", "uniform", None)]
  with pytest.raises(ValueError, match=r"^variants\[1\]\.name must be unique"):
    config_lib.validate(c)
  with c.unlocked():
    c.variants = [("a", "0.9", "uniform", "uniform", None)]
  with pytest.raises(ValueError, match=r"^variants\[0\]\.sparsity must be a "
                     r"float, got '0.9'$"):
    config_lib.validate(c)


def test_variants_are_a_shorthand_for_sweep_points():
  """`config.variants` tuples become sweep points in one place; the runs they
  make are the base config with the arm's fields set, in the same field
  order (saved configs and checkpoint fingerprints unchanged)."""
  from psn_jax import sweep  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, ROOT)
  try:
    from configs import compare
  finally:
    sys.path.remove(ROOT)
  c = compare.get_config("quick")
  points = config_lib.points_from_variants(c)
  assert points[3] == {"name": "erk", "sparsity": 0.9, "distribution": "erk",
                       "profile": "random", "cv": None}
  base = config_lib.flatten(c)
  del base["variants"]
  runs = sweep.expand(c, points=points)
  assert [r.name for r in runs] == [v[0] for v in c.variants]
  for run, v in zip(runs, c.variants):
    flat = config_lib.flatten(run.config)
    assert list(flat) == list(base)
    assert flat == dict(base, **dict(zip(config_lib.VARIANT_FIELDS[1:], v[1:])))
  # A per-layer cv replaces the float field; its values are still checked.
  per_layer = config_lib.apply_point(c, {"profile": "lognormal",
                                         "cv": [0.5, 1.0]})
  assert per_layer.cv == (0.5, 1.0)
  with pytest.raises(ValueError, match=r"^cv\[1\] must be"):
    config_lib.apply_point(c, {"cv": [0.5, -1.0]})


def test_diff_names_only_the_differing_dotted_fields():
  a = config_lib.get_config("quick")
  b = config_lib.get_config("quick")
  assert config_lib.diff(a, b) == []
  b.num_seeds = 3
  b.optim.learning_rate = 0.1
  b.hidden = (16,)
  assert config_lib.diff(a, b) == ["hidden", "num_seeds", "optim.learning_rate"]
  # Tuples and their JSON lists are equal; a flat dict compares with a config.
  flat = config_lib.flatten(a)
  assert flat["hidden"] == [300, 100] and flat["dst.algorithm"] == "none"
  assert config_lib.diff(flat, a) == []
  del flat["seed"]
  assert config_lib.diff(flat, a) == ["seed"]


@pytest.mark.parametrize("field, value", [
    ("pixel_permutation", 3), ("model", "cnn"), ("mask_rule", "Dense_0"),
    ("track.grad_norms", False)])
def test_optional_fields_are_added_and_removed_at_their_default(field, value):
  c = config_lib.get_config("quick")
  assert field not in config_lib.flatten(c)
  config_lib.set_field(c, field, value)
  assert config_lib.flatten(c)[field] == value
  assert config_lib.diff(c, config_lib.get_config("quick")) == [field]
  config_lib.set_field(c, field, config_lib.OPTIONAL_FIELDS[field])
  assert config_lib.diff(c, config_lib.get_config("quick")) == []  # as before


def test_optional_fields_refuse_another_type_and_parse_their_own():
  c = config_lib.get_config("quick")
  with pytest.raises(ValueError, match="pixel_permutation must be an integer"):
    config_lib.set_field(c, "pixel_permutation", "3")
  assert config_lib.parse_optional("pixel_permutation", "3") == 3
  assert config_lib.parse_optional("track.grad_norms", "False") is False
  with pytest.raises(ValueError, match="track.grad_norms must be true or false"):
    config_lib.parse_optional("track.grad_norms", "no")
