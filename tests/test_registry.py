"""The mask-source registry is the one place that knows a source (issue 18):
exact budgets at every reachable density, the CLI's error lists it, a source
added to the registry alone trains through the command line, the mask fields
are one list, and the old name `dey_windowed` still loads."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from psn_jax import config as config_lib
from psn_jax import mask_sources, masks, runner, train
from psn_jax import results as results_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = [(6, 4), (4, 6), (8, 8), (9, 3), (10, 5)]

# A source defined outside the library: every output reads a diagonal band.
# The subprocess below registers it and then runs a command line unchanged.
_EXTRA = textwrap.dedent('''
    import runpy, sys
    import numpy as np
    from psn_jax import mask_sources

    def make(keys, n_in, n_out, k, cv):
      band = (np.arange(n_in)[:, None] - np.arange(n_out)[None, :]) % n_in
      order = np.argsort(band, axis=None, kind="stable")
      mask = np.zeros(n_in * n_out, bool)
      mask[order[:k]] = True
      return mask.reshape(n_in, n_out)

    mask_sources.SOURCES["diagonal_band"] = mask_sources.Source(
        "test only: the k positions nearest the wrapped diagonal",
        make, mask_sources.any_budget(1))
    sys.argv = ["experiments.train"] + sys.argv[1:]
    runpy.run_module("experiments.train", run_name="__main__", alter_sys=True)
''')


def _params(shapes):
  return {f"Dense_{i}": {"kernel": jax.ShapeDtypeStruct(s, jnp.float32),
                         "bias": jax.ShapeDtypeStruct((s[1],), jnp.float32)}
          for i, s in enumerate(shapes)}


@pytest.mark.parametrize("name", list(masks.SOURCES))
def test_every_source_makes_exact_budgets_at_every_reachable_density(name):
  source = masks.SOURCES[name]
  for n_in, n_out in SHAPES:
    size = n_in * n_out
    ok = source.budgets(n_in, n_out)
    assert ok.dtype == np.int64 and np.all(np.diff(ok) > 0) and ok[-1] == size
    reachable = set(ok.tolist())
    for k in range(size):
      sparsity = 1.0 - k / size
      if sparsity >= 1.0:
        continue  # k = 0: make_masks takes sparsity < 1
      assert masks.layer_budgets([(n_in, n_out)], sparsity)[0] == k
      try:
        tree = masks.make_masks(jax.random.key(k), _params([(n_in, n_out)]),
                                sparsity=sparsity, profile=name)
      except ValueError as err:
        msg = str(err)
        if source.takes_cv and "cv=" in msg:
          continue  # integer fan-ins that cannot reach the family's default CV
        assert k not in reachable, (name, n_in, n_out, k, msg)
        assert f"{source.rule}): nearest feasible densities" in msg, msg
        continue
      assert k in reachable, (name, n_in, n_out, k)
      assert masks.count_active(tree) == [k], (name, n_in, n_out, k)


def test_make_masks_checks_what_a_maker_returns(monkeypatch):
  def wrong(keys, n_in, n_out, k, cv):
    return np.ones((n_in, n_out), bool)  # ignores the budget
  monkeypatch.setitem(masks.SOURCES, "wrong", mask_sources.Source(
      "test only: a maker that ignores its budget", wrong,
      mask_sources.any_budget(1)))
  with pytest.raises(ValueError, match=r"source 'wrong' made bool \(4, 4\) "
                     r"with 16 connections for kernel Dense_0/kernel; it must "
                     r"make bool \(4, 4\) with exactly 8"):
    masks.make_masks(jax.random.key(0), _params([(4, 4)]), sparsity=0.5,
                     profile="wrong")


def test_the_cli_error_for_an_unknown_profile_names_every_source(tmp_path):
  proc = subprocess.run(
      [sys.executable, "-c", _EXTRA, "--config=configs/train.py:quick",
       "--config.profile=zigzag", f"--workdir={tmp_path / 'w'}",
       "--noprogress"],
      cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert proc.returncode == 2, proc.stderr
  line, = proc.stderr.strip().splitlines()
  assert line.startswith("error: profile must be one of ")
  assert line.endswith(", got 'zigzag'")
  listed = line[len("error: profile must be one of "):-len(", got 'zigzag'")]
  assert listed.split(", ") == list(masks.SOURCES) + ["diagonal_band"]


@pytest.mark.skipif(not os.environ.get("PSN_DATA_DIR"),
                    reason="needs $PSN_DATA_DIR (MNIST files)")
def test_a_source_added_to_the_registry_alone_trains_through_the_cli(tmp_path):
  from helpers import tiny_data_dir
  data_dir = tiny_data_dir(tmp_path / "data", os.environ["PSN_DATA_DIR"])
  workdir = tmp_path / "run"
  proc = subprocess.run(
      [sys.executable, "-c", _EXTRA, "--config=configs/train.py:quick",
       "--config.profile=diagonal_band", "--config.hidden=(16,)",
       "--config.num_seeds=1", "--config.num_epochs=2",
       "--config.batch_size=128", "--config.track.snapshot_every=1",
       f"--data_dir={data_dir}", f"--workdir={workdir}", "--noprogress"],
      cwd=ROOT, capture_output=True, text=True, timeout=600)
  assert proc.returncode == 0, proc.stderr[-2000:]
  res = results_lib.Results.load(str(workdir))
  assert res.names == ["diagonal_band"]
  assert np.isfinite(res.history["train_loss"]).all()
  first = res.mask_snapshot(0, 0, 0)["Dense_0"]["kernel"]
  k = int(masks.layer_budgets([(784, 16), (16, 10)], 0.9)[0])
  assert first.sum() == k
  band = (np.arange(784)[:, None] - np.arange(16)[None, :]) % 784
  assert band[first].max() <= band[~first].min()  # the band, nothing else


def test_one_list_of_mask_fields():
  assert masks.MASK_FIELDS == ("sparsity", "distribution", "profile", "cv",
                               "dense_first", "dense_last")
  assert runner.BATCHED_FIELDS[:len(masks.MASK_FIELDS)] == masks.MASK_FIELDS
  assert set(config_lib.VARIANT_FIELDS) - {"name"} <= set(masks.MASK_FIELDS)
  c = config_lib.get_config("quick")
  c.hidden = (8,)
  params = {"Dense_0": {"kernel": jax.ShapeDtypeStruct((12, 8), jnp.float32),
                        "bias": jax.ShapeDtypeStruct((8,), jnp.float32)},
            "Dense_1": {"kernel": jax.ShapeDtypeStruct((8, 3), jnp.float32),
                        "bias": jax.ShapeDtypeStruct((3,), jnp.float32)}}
  key = train.mask_key(4)
  point = dict(zip(("name",) + masks.MASK_FIELDS,
                   ("v", 0.75, "erk", "lognormal", 1.0, False, True)))
  cv = config_lib.apply_point(c, point)
  got = masks.from_config(cv, params, key)
  want = masks.make_masks(key, params, sparsity=0.75, distribution="erk",
                          profile="lognormal", cv=1.0, dense_last=True)
  for a, b in zip(masks.layer_masks(got), masks.layer_masks(want)):
    np.testing.assert_array_equal(a, b)
  dense = masks.from_config(config_lib.apply_point(c, {"sparsity": 0.0}),
                            params, key)
  assert all(np.all(m) for m in jax.tree.leaves(dense))
  stacked = runner.build_masks(cv, params, [4, 5])
  np.testing.assert_array_equal(masks.layer_masks(stacked)[0][0],
                                masks.layer_masks(want)[0])


def test_dey_windowed_is_a_deprecated_name_of_block_diagonal():
  assert "dey_windowed" not in masks.SOURCES
  params = _params([(64, 64)])
  with pytest.warns(FutureWarning, match="^profile 'dey_windowed' is "
                    "deprecated, use 'block_diagonal'"):
    old = masks.make_masks(jax.random.key(0), params, sparsity=0.875,
                           profile="dey_windowed")
  new = masks.make_masks(jax.random.key(0), params, sparsity=0.875,
                         profile="block_diagonal")
  np.testing.assert_array_equal(old["Dense_0"]["kernel"],
                                new["Dense_0"]["kernel"])
  c = config_lib.get_config("quick")
  c.profile = "dey_windowed"  # a saved config still validates
  with pytest.warns(FutureWarning, match="deprecated"):
    config_lib.validate(c)
  np.testing.assert_array_equal(
      masks.feasible_budgets("block_diagonal", 784, 300),
      masks.feasible_budgets("dey_clash_free", 784, 300))
