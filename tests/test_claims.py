"""Tests for the claim reruns (configs/claims.py, psn_jax.claims,
experiments.reproduce). The verdict rules have their own tests
(tests/test_verdicts.py).

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
from psn_jax import claims, data, masks, runner, sweep
from psn_jax.claims import core, liu
from psn_jax.claims import psn_placement as c6
from helpers import tiny_data_dir

DATA = os.environ.get("PSN_DATA_DIR", "/work/shared/data")
needs_data = pytest.mark.skipif(
    not os.path.exists(os.path.join(DATA, "mnist")),
    reason="needs MNIST / Fashion-MNIST in $PSN_DATA_DIR")

# Claims that train (B4 times inference instead: tests/test_sparse_claims.py).
TRAINED = tuple(i for i in claims_config.ALL
                if claims_config.get(i).benchmark is None)

_KEYS = {"id", "title", "source", "paper", "ours", "rows", "verdict", "reason",
         "command", "mode", "hardware", "wall_time_s", "figure", "test",
         "convergence", "mde80", "epochs", "seeds", "statistics"}


@pytest.mark.parametrize("claim_id", TRAINED)
def test_toy_runs_are_valid_and_share_few_programs(claim_id, tmp_path):
  spec = claims_config.get(claim_id)
  runs = spec.runs("toy", str(tmp_path))
  assert runs and len({r.name for r in runs}) == len(runs)
  # L5: SET rewires once per epoch (2 epochs), IMP prunes twice (3 epochs,
  # one a round).
  longest = 3 if claim_id == "L5" else 1
  assert all(r.config.num_epochs <= longest and r.config.num_seeds <= 4
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
  # One program per dataset view (every mask source / grid point is batched
  # data; the permuted-pixel control is a second view).
  assert len(sweep.plan(runs)) == len({
      (r.config.dataset, r.config.get("pixel_permutation", -1)) for r in runs})


@pytest.mark.parametrize("claim_id", TRAINED)
def test_cpu_tier_uses_the_papers_architectures_and_enough_epochs(claim_id):
  runs = claims_config.get(claim_id).runs("cpu", "")
  c = runs[0].config
  assert c.num_epochs >= 10 and c.num_seeds >= 3
  hidden = {tuple(r.config.hidden) for r in runs}
  if claim_id.startswith("C") or claim_id in ("B1", "B2", "B3", "atlas"):
    assert (300, 100) in hidden                 # PSN's LeNet-300-100
  elif claim_id in ("L2", "L3", "L4", "L5"):
    assert hidden == {(256, 256, 256)}          # Liu's MLP, scaled down
  elif claim_id == "D2":
    mnist = [r.config for r in runs if r.config.dataset == "mnist"]
    morse = [r.config for r in runs if r.config.dataset.startswith("morse")]
    assert mnist[0].input_pad == 800 and tuple(mnist[0].hidden) == (100,)
    assert tuple(morse[0].hidden) == (1024,)
  if claim_id == "C5":
    assert c.num_seeds >= 10                    # d = 1.07 at 80% power
  if claim_id in ("D3", "B1", "atlas"):
    assert any(r.config.get("pixel_permutation", -1) == 0 for r in runs)


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
  rel = liu.nearly_identical_file(c, str(tmp_path), fraction=0.05)
  shape = core.params_shape(c)
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


def test_relative_mask_files_are_read_under_the_mask_root(tmp_path):
  """No runtime patching: the runner resolves `init_masks` under the
  `mask_root` it is given (the claim's sweep folder)."""
  rel = liu.nearly_identical_file(
      claims_config.base("toy", "set", sparsity=0.9, num_seeds=2),
      str(tmp_path))
  c = claims_config.base("toy", init_masks=rel, num_seeds=2)
  shape = core.params_shape(c)
  got = runner.build_masks(c, shape, [0, 1], mask_root=str(tmp_path))
  assert got["Dense_0"]["kernel"].shape == (2, 784, 16)
  with pytest.raises(FileNotFoundError):
    runner.build_masks(c, shape, [0, 1])     # relative to the cwd: absent


def test_c6_arms_differ_only_in_the_property_under_test():
  """rewired keeps each neuron's learned fan-in, shuffled the multiset, flat
  the total; every arm keeps every other layer exactly as learned."""
  rng = np.random.default_rng(0)
  final = {"Dense_0": {"kernel": rng.random((50, 20)) < rng.random(20) * 0.4,
                       "bias": np.ones(20, bool)},
           "Dense_1": {"kernel": rng.random((20, 10)) < 0.3,
                       "bias": np.ones(10, bool)}}
  arms = c6.c6_arm_masks(final, "Dense_0", seed=3)
  assert set(arms) == set(c6.C6_ARMS)
  fan = final["Dense_0"]["kernel"].sum(axis=0)
  for name, tree in arms.items():
    assert np.array_equal(tree["Dense_1"]["kernel"], final["Dense_1"]["kernel"])
    k = tree["Dense_0"]["kernel"]
    assert k.shape == (50, 20) and k.dtype == bool
    assert int(k.sum()) == int(fan.sum())
  assert np.array_equal(arms["learned"]["Dense_0"]["kernel"],
                        final["Dense_0"]["kernel"])
  assert np.array_equal(arms["rewired"]["Dense_0"]["kernel"].sum(0), fan)
  assert not np.array_equal(arms["rewired"]["Dense_0"]["kernel"],
                            final["Dense_0"]["kernel"])
  shuffled = arms["shuffled"]["Dense_0"]["kernel"].sum(0)
  assert sorted(shuffled) == sorted(fan) and not np.array_equal(shuffled, fan)
  flat = arms["flat"]["Dense_0"]["kernel"].sum(0)
  assert flat.max() - flat.min() <= 1


def test_pixel_permutation_is_a_bijection_with_labels_unchanged(tmp_path):
  tiny = tiny_data_dir(tmp_path, DATA, n_train=64, n_test=32)
  c = claims_config.base("toy", dataset="mnist")
  (plain, _) = runner.load_data(c, tiny)
  with c.unlocked():
    c.pixel_permutation = 0
  (perm, _) = runner.load_data(c, tiny)
  order = data.pixel_permutation(784, 0)
  assert sorted(order) == list(range(784)) and not np.array_equal(
      order, np.arange(784))
  np.testing.assert_array_equal(np.asarray(perm.x_train),
                                np.asarray(plain.x_train)[:, order])
  np.testing.assert_array_equal(np.asarray(perm.x_test),
                                np.asarray(plain.x_test)[:, order])
  np.testing.assert_array_equal(np.asarray(perm.y_train),
                                np.asarray(plain.y_train))
  with pytest.raises(ValueError, match="pixel_permutation"):
    data.pixel_permutation(784, -1)


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
  # One epoch cannot show a settled curve: never a verdict either way.
  assert doc["convergence"]["converged"] is False
  assert doc["verdict"] in ("inconclusive", "measured", "not run here")
  assert doc["hardware"]["backend"] == "cpu"
  assert doc["wall_time_s"]["train"] > 0
  assert os.path.exists(os.path.join(workdir, claim_id, doc["figure"]))
  assert os.path.exists(os.path.join(workdir, claim_id, "results.csv"))
  assert f"reproduce {claim_id} --mode toy" in doc["command"]
  assert doc["rows"]
  return doc


def _groups() -> list[tuple[str, ...]]:
  """Claim ids grouped by the sweep they share (L3 + L4, B1 + B2 + B3)."""
  groups: dict[str, list[str]] = {}
  for claim_id in TRAINED:
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
    assert {r["arm"] for r in rows} >= {"uniform", "random", "random (ERK)"}
    gap = next(r for r in rows if r["arm"] == "random")["gap_to_dense"]
    assert gap["n"] == 2 and (gap["p"] is not None or gap["std"] == 0)
    assert set(doc["statistics"]["cells"]) == {f"mnist/{r['arm']}"
                                               for r in rows}
  elif claim_id == "C5":
    cmp = next(r for r in rows if r.get("comparison") == "lognormal - erk")
    assert cmp["n"] == 3
    matched = next(r for r in rows if "matched_cv_per_layer" in r)
    assert len(matched["matched_cv_per_layer"]) == 2
  elif claim_id == "C6":
    assert {r.get("arm") for r in rows} >= set(c6.C6_ARMS)
    assert set(doc["arms_hold_fixed"]) == set(c6.C6_ARMS)
  elif claim_id == "L3":
    assert [r["epoch"] for r in rows if "epoch" in r] == [0, 1]
    start = rows[0]["w0_vs_others_layer0"]["mean"]
    assert 0 < start < 0.2      # 1% chains: nearly identical at epoch 0
  elif claim_id == "L4":
    assert len(rows) == 8       # four chained networks, four independent
    assert doc["statistics"]["sd_independent"] >= 0
  elif claim_id == "L2":
    assert {r["training"] for r in rows} == {"static", "SET"}
  elif claim_id == "L5":
    by = {r["method"]: r for r in rows if "method" in r}
    assert set(by) == {"set", "imp"}           # RigL from --mode quick on
    # Equal final density; IMP's three rounds (density 1, 0.5, 0.25 of the
    # sparse layer) cost more than two epochs at 0.25.
    assert len({round(r["final_density_sparse_layers"], 6)
                for r in by.values()}) == 1
    ratios = [r["flops_ratio"] for r in rows if "flops_ratio" in r]
    assert len(ratios) == 1 and 0 < ratios[0] < 1
    # IMP's saved masks, round by round: dense, half, the 25% budget (exact).
    rounds = [r["active_per_layer"] for r in rows if "imp_round_ending_epoch"
              in r]
    assert rounds == [[784 * 16, 160], [392 * 16, 160], [196 * 16, 160]]
    # Training FLOPs by hand: 256 examples / batch 100 = 2 steps an epoch,
    # 3 x batch x 2 x active per step; IMP one epoch a round at each count.
    hand = {"set": 3 * 100 * 2 * 2 * 2 * (196 * 16 + 160),
            "imp": 3 * 100 * 2 * 2 * sum(k + 160 for k in (784 * 16, 392 * 16,
                                                         196 * 16))}
    for m, flops in hand.items():
      assert by[m]["train_gflops_per_seed"] == pytest.approx(flops / 1e9)
  elif claim_id == "D3":
    assert {r["view"] for r in rows} == {"mnist", "mnist (pixels permuted)"}
    assert set(doc["locality_control"]) == {"mnist",
                                            "mnist (pixels permuted)"}
  elif claim_id == "B3":
    assert {r["measure"] for r in rows if "partial_r" in r} >= {
        "normalized_gap", "lambda_2"}
    assert "locality control" in doc["reason"]
  elif claim_id == "atlas":
    assert len({r["measure"] for r in rows if "measure" in r}) >= 4
    # random and erdos_renyi are the same masks: one unit, not two.
    assert doc["duplicate_sources"]["mnist"].get("mnist/erdos_renyi") == \
        "mnist/random"


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
  published = tmp_path / "published"
  rerun = ["reproduce", "L4", "--toy", "--workdir", workdir, "--data_dir",
           str(tmp_path / "no-data"), "--no-progress", "--publish",
           str(published)]
  assert reproduce.main(rerun) == 0
  with open(os.path.join(workdir, "L4", "claim.json")) as f:
    after = json.load(f)
  assert after["verdict"] == before["verdict"] and after["rows"] == before["rows"]
  assert after["wall_time_s"]["train"] == before["wall_time_s"]["train"]
  # --publish copied the claim's files, not the sweep folder's lock.
  assert sorted(os.listdir(published / "L4")) == sorted(
      f for f in os.listdir(os.path.join(workdir, "L4"))
      if not f.startswith("."))
  with open(published / "L4" / "claim.json") as f:
    assert json.load(f) == after


def test_the_gpu_suite_trains_every_claims_full_variant():
  """benchmarks/gpu_suite.sh names every claim id (issue 17, item 7): the
  next GPU closes them all in one call."""
  import re  # pylint: disable=g-import-not-at-top
  with open(os.path.join(os.path.dirname(__file__), "..", "benchmarks",
                         "gpu_suite.sh")) as f:
    text = f.read()
  listed = re.search(r"experiments\.reproduce \\\n\s*([A-Za-z0-9 ]+?) \\",
                     text).group(1).split()
  assert sorted(listed) == sorted(claims_config.ALL)


def test_a_busy_sweep_folder_is_refused_in_one_line(tmp_path, capsys):
  """A second reproduce of the same claim (or of a claim sharing its sweep)
  while one runs is refused at once; another claim's folder is free."""
  from experiments import reproduce
  from psn_jax import checkpoint
  root = tmp_path / "w" / "L3"
  root.mkdir(parents=True)
  with checkpoint.lock_workdir(root, "x"):
    argv = ["reproduce", "L4", "--mode", "toy", "--workdir",
            str(tmp_path / "w"), "--no-progress"]
    assert reproduce.main(argv) == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert len(err) == 1 and "the sweep folder of L4" in err[0]
  assert "in use by another run" in err[0]
