"""Tests for the claim reruns (configs/claims.py, psn_jax.claims,
experiments.reproduce).

Every claim's runs are built and planned at every size (no training); C1 (a
static sweep) and L3 + L4 (SET from masks read from a file, NNSTD over mask
snapshots, one sweep shared by two ids, re-analysis without retraining) train
end to end at toy size on a tiny copy of MNIST / Fashion-MNIST and yield
well-formed claim.json files. Training every claim at toy size (16 ids, about
20 compiled programs, RigL's two-stage C5 and C6 among them) takes about two
minutes on one core: one test per shared sweep, so pytest-xdist spreads them.
"""

from __future__ import annotations

import json
import os

import jax
import numpy as np
import pytest

from configs import claims as claims_config
from psn_jax import claims, masks, runner, sweep
from helpers import tiny_data_dir

DATA = os.environ.get("PSN_DATA_DIR", "/work/shared/data")
needs_data = pytest.mark.skipif(
    not os.path.exists(os.path.join(DATA, "mnist")),
    reason="needs MNIST / Fashion-MNIST in $PSN_DATA_DIR")

_KEYS = {"id", "title", "source", "paper", "ours", "rows", "verdict", "reason",
         "command", "mode", "hardware", "wall_time_s", "figure"}


@pytest.mark.parametrize("claim_id", claims_config.ALL)
def test_toy_runs_are_valid_and_share_few_programs(claim_id, tmp_path):
  spec = claims_config.get(claim_id)
  runs = spec.runs("toy", str(tmp_path))
  assert runs and len({r.name for r in runs}) == len(runs)
  assert all(r.config.num_epochs == 1 and r.config.num_seeds <= 4
             for r in runs)
  assert len(sweep.plan(runs)) <= 2


@pytest.mark.parametrize("claim_id", ["C1", "C3", "C5", "L3", "D3", "B1",
                                      "atlas"])
def test_full_runs_have_the_planned_shape(claim_id):
  runs = claims_config.get(claim_id).runs("full", "")
  c = runs[0].config
  assert c.num_epochs >= 10 and c.num_seeds >= 3
  if claim_id == "C5":
    assert c.num_seeds >= 30  # the power analysis of reproductions.md
  if claim_id == "L3":
    assert c.hidden == (784, 784, 784) and c.num_seeds == 10
  # One program per dataset (every mask source / grid point is batched data).
  assert len(sweep.plan(runs)) == len({r.config.dataset for r in runs})


def test_ids_and_errors():
  assert claims_config.get("atlas").id == "atlas"
  assert claims_config.get("c5").id == "C5"
  with pytest.raises(ValueError, match="claim id must be one of"):
    claims_config.get("C9")
  assert set(claims_config.ALL) >= {"C1", "C2", "C3", "C4", "C5", "C6", "L2",
                                    "L3", "L4", "D2", "D3", "B1", "B2", "B3",
                                    "atlas"}
  assert claims_config.get("L4").sweep == claims_config.get("L3").sweep == "L3"


def test_nearly_identical_chain_moves_one_percent_each_step(tmp_path):
  c = claims_config.base("toy", "set", hidden=(40,), sparsity=0.9,
                         dense_last=True, num_seeds=4)
  rel = claims.nearly_identical_file(c, str(tmp_path), fraction=0.05)
  shape = claims._params_shape(c)  # pylint: disable=protected-access
  m = masks.load_mask_file(os.path.join(tmp_path, rel), shape, [0, 1, 2, 3])
  k0 = m["Dense_0"]["kernel"]          # [seed, 784, 40]
  count = int(k0[0].sum())
  assert all(int(k.sum()) == count for k in k0)
  moved = round(0.05 * count)
  for i in range(1, 4):                # each differs from the previous by 5%
    assert int((k0[i] & ~k0[i - 1]).sum()) == moved
  assert int((k0[3] & ~k0[0]).sum()) > moved
  assert m["Dense_1"]["kernel"].all()  # dense class layer untouched
  # Only the requested seeds, in the requested order.
  sub = masks.load_mask_file(os.path.join(tmp_path, rel), shape, [2, 0])
  assert np.array_equal(sub["Dense_0"]["kernel"], k0[[2, 0]])
  with pytest.raises(ValueError, match="lacks seeds"):
    masks.load_mask_file(os.path.join(tmp_path, rel), shape, [7])


def test_mask_hook_restores_the_runner(tmp_path):
  before, batched = runner.build_masks, runner.BATCHED_FIELDS
  with claims.mask_hook(str(tmp_path)):
    assert runner.build_masks is not before
    assert "init_masks" in runner.BATCHED_FIELDS
    rel = claims.nearly_identical_file(
        claims_config.base("toy", "set", sparsity=0.9, num_seeds=2),
        str(tmp_path))
    c = claims_config.base("toy", init_masks=rel, num_seeds=2)
    shape = claims._params_shape(c)  # pylint: disable=protected-access
    got = runner.build_masks(c, shape, [0, 1])   # resolved against the root
    assert got["Dense_0"]["kernel"].shape == (2, 784, 16)
  assert runner.build_masks is before and runner.BATCHED_FIELDS == batched


def test_dataset_available(tmp_path):
  assert claims.dataset_available("morse")
  assert not claims.dataset_available("covertype", str(tmp_path))
  os.makedirs(tmp_path / "covertype")
  (tmp_path / "covertype" / "covtype.data.gz").write_bytes(b"")
  assert claims.dataset_available("covertype", str(tmp_path))


def _check_claim(workdir, claim_id):
  path = os.path.join(workdir, claim_id, "claim.json")
  with open(path) as f:
    doc = json.load(f)
  assert _KEYS <= set(doc), sorted(_KEYS - set(doc))
  assert doc["id"] == claim_id and doc["mode"] == "toy"
  assert doc["verdict"] in claims.VERDICTS and doc["reason"]
  assert doc["hardware"]["backend"] == "cpu"
  assert doc["wall_time_s"]["train"] > 0
  assert os.path.exists(os.path.join(workdir, claim_id, doc["figure"]))
  assert os.path.exists(os.path.join(workdir, claim_id, "results.csv"))
  assert f"reproduce {claim_id} --toy" in doc["command"]
  assert doc["rows"]
  return doc


def _groups() -> list[tuple[str, ...]]:
  """Claim ids grouped by the sweep they share (L3 + L4, B1 + B2 + B3)."""
  groups: dict[str, list[str]] = {}
  for claim_id in claims_config.ALL:
    groups.setdefault(claims_config.get(claim_id).sweep or claim_id,
                      []).append(claim_id)
  return [tuple(g) for g in groups.values()]


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory):
  return tiny_data_dir(tmp_path_factory.mktemp("data"), DATA, n_train=256,
                       n_test=128)


def _statistics(node):
  """Every {mean|r, ci95, p?} statistic anywhere in a claim's rows."""
  if isinstance(node, dict):
    if "ci95" in node and ("mean" in node or "r" in node):
      yield node
    for value in node.values():
      yield from _statistics(value)
  elif isinstance(node, list):
    for value in node:
      yield from _statistics(value)


def _toy_checks(workdir: str, claim_id: str) -> None:
  """The claim-specific content of a toy run, beyond the common keys."""
  doc = _check_claim(workdir, claim_id)
  rows = doc["rows"]
  for stat in _statistics(rows):    # intervals hold their estimate
    value = stat.get("mean", stat.get("r"))
    lo, hi = stat["ci95"]
    if value is not None and lo is not None:
      assert lo - 1e-9 <= value <= hi + 1e-9, stat
    if stat.get("p") is not None:
      assert 0 <= stat["p"] <= 1, stat
    if "r" in stat and stat["r"] is not None:
      assert -1 <= stat["r"] <= 1, stat
  if claim_id == "C1":
    assert {r["arm"] for r in rows} >= {"uniform", "random", "erk"}
    gap = next(r for r in rows if r["arm"] == "random")["gap_to_dense"]
    assert gap["n"] == 2 and (gap["p"] is not None or gap["std"] == 0)
  elif claim_id == "C5":
    cmp = next(r for r in rows if r.get("comparison") == "lognormal - erk")
    assert cmp["n"] == 3
    matched = next(r for r in rows if "matched_cv_per_layer" in r)
    assert len(matched["matched_cv_per_layer"]) == 2
  elif claim_id == "C6":
    assert {r.get("arm") for r in rows} >= {"learned", "hubs_kept",
                                            "fanins_shuffled", "random_erk"}
  elif claim_id == "L3":
    assert [r["epoch"] for r in rows if "epoch" in r] == [0, 1]
    start = rows[0]["w0_vs_others_layer0"]["mean"]
    assert 0 < start < 0.2      # 1% chains: nearly identical at epoch 0
  elif claim_id == "L4":
    assert len(rows) == 4       # the toy chain: four networks
  elif claim_id == "L2":
    assert {r["training"] for r in rows} == {"static", "SET"}
  elif claim_id == "D3":
    assert len({r["pattern"] for r in rows if "pattern" in r}) == 6
  elif claim_id == "B3":
    assert {r["measure"] for r in rows if "partial_r" in r} >= {
        "normalized_gap", "lambda_2"}
  elif claim_id == "atlas":
    assert len({r["measure"] for r in rows if "measure" in r}) >= 4


@needs_data
@pytest.mark.parametrize("ids", _groups(), ids="+".join)
def test_every_claim_end_to_end_at_toy_size(ids, toy_data, tmp_path,
                                           monkeypatch):
  """Each claim (a shared sweep's ids together) trains, analyses and writes a
  well-formed claim.json; for L3 + L4 a second call re-analyses without
  training and without the data files."""
  from experiments import reproduce
  workdir = str(tmp_path / "w")
  argv = ["reproduce", *ids, "--toy", "--workdir", workdir, "--data_dir",
          toy_data, "--no-progress"]
  assert reproduce.main(argv) == 0
  for claim_id in ids:
    _toy_checks(workdir, claim_id)
  if ids != ("L3", "L4"):
    return
  with open(os.path.join(workdir, "L4", "claim.json")) as f:
    before = json.load(f)
  def no_training(*args, **kwargs):
    raise AssertionError("the rerun trained a finished group again")
  monkeypatch.setattr(runner, "run_group", no_training)
  monkeypatch.setattr(runner, "load_data", no_training)
  # Nor does it need the data: the analysis runs where the files are absent.
  monkeypatch.delenv("PSN_DATA_DIR", raising=False)
  rerun = ["reproduce", "L4", "--toy", "--workdir", workdir, "--data_dir",
           str(tmp_path / "no-data"), "--no-progress"]
  assert reproduce.main(rerun) == 0
  with open(os.path.join(workdir, "L4", "claim.json")) as f:
    after = json.load(f)
  assert after["verdict"] == before["verdict"] and after["rows"] == before["rows"]
  assert after["wall_time_s"]["train"] == before["wall_time_s"]["train"]
