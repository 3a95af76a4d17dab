"""Dey et al.'s MLPs through the config: padded inputs, exact junction budgets."""

from __future__ import annotations

import numpy as np
import pytest

from configs import dey
from psn_jax import config as config_lib
from psn_jax import data
from psn_jax import masks as masks_lib
from psn_jax import runner
from psn_jax import sweep
from psn_jax import topology
from psn_jax import train as train_lib


def _masks(variant, seed=0):
  c = dey.get_config(variant)
  config_lib.validate(c)
  n_in = c.input_pad or data.input_dim(c.dataset)
  spec = train_lib.DataSpec(1000, n_in, data.num_classes(c.dataset))
  params = train_lib.make_train(c, spec).params_shape
  out = {}
  for run in sweep.expand(c, points=config_lib.points_from_variants(c)):
    m = runner.build_masks(run.config, params, [seed])
    out[run.name] = [k[0] for _, k in masks_lib.named_kernels(m)]
  return out


@pytest.mark.parametrize("variant,n_in,hidden,n_out",
                         [("mnist", 800, 100, 10), ("morse", 64, 1024, 64)])
def test_density_sweep_has_exact_budgets(variant, n_in, hidden, n_out):
  nets = _masks(variant)
  assert nets["dense"][0].shape == (n_in, hidden)
  for name, (k0, k1) in nets.items():
    d = 1 if name == "dense" else int(name.rsplit("_", 1)[1])
    assert k0.sum() == n_in * hidden // d, name
    assert k1.all()  # the class junction stays dense
    if d > 1:  # clash-free: every input has out-degree hidden / d
      np.testing.assert_array_equal(k0.sum(axis=1), hidden // d)


def test_scatter_pairs_have_equal_density_and_different_scatter():
  nets = _masks("scatter")
  counts = {name: int(k0.sum()) for name, (k0, _) in nets.items()}
  assert set(counts.values()) == {8000}, counts
  windows = topology.windows_1d(800, 50)
  scatter = {name: topology.junction_scatter(k0, windows, topology.windows_1d(100, 10))
             for name, (k0, _) in nets.items()}
  assert scatter["dey_clash_free"] > 2 * scatter["block_diagonal"], scatter


@pytest.mark.skipif(not __import__("os").environ.get("PSN_DATA_DIR"),
                    reason="needs $PSN_DATA_DIR (MNIST files)")
def test_input_pad_appends_zero_features(tmp_path):
  from helpers import tiny_data_dir
  import os
  d = tiny_data_dir(tmp_path, os.environ["PSN_DATA_DIR"], 64, 32)
  c = dey.get_config("mnist")
  (padded, spec) = runner.load_data(c, d)
  x, _ = data.load("mnist", "train", d)
  assert spec.input_dim == 800 and padded.x_train.shape == (64, 800)
  features = np.asarray(data.features(padded.x_train))  # stored as uint8
  np.testing.assert_array_equal(features[:, :784], x)
  assert not features[:, 784:].any()
  c.input_pad = 700
  with pytest.raises(ValueError, match="input_pad must be 0 or >= the 784"):
    runner.load_data(c, d)
