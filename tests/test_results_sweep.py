"""Typed results, sweeps grouped into shared programs, resume, dropout, snapshots.

End to end through the real loaders on a tiny copy of MNIST and Fashion-MNIST
(512 training and 256 test images of each, written in the IDX format), so a
run is mostly compile time.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import time

import chex
import jax
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import Killed as _Killed
from helpers import kill_after_first_save as _kill_after_first_save
from helpers import tiny_data_dir
from psn_jax import checkpoint
from psn_jax import config as config_lib
from psn_jax import masks as masks_lib
from psn_jax import results as results_lib
from psn_jax import runner
from psn_jax import sweep
from psn_jax import train as train_lib

needs_data = pytest.mark.skipif(not os.environ.get("PSN_DATA_DIR"),
                                reason="needs $PSN_DATA_DIR (MNIST files)")

# Metrics compared bitwise. `test_loss` may differ by one ulp between a seed
# alone and batched on CPU (XLA fuses the evaluation log-softmax differently
# for a batched array); it is compared to 1e-6. Bitwise equality of a run
# alone and batched holds on CPU at batch 32; at batch 128, XLA's CPU dot
# emitter moves some gradient entries by an ulp between a batched and an
# unbatched program (measured on jaxlib 0.10.2; see docs/design.md).
_BITWISE = ("train_loss", "train_accuracy", "test_accuracy")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
  if not os.environ.get("PSN_DATA_DIR"):
    pytest.skip("needs $PSN_DATA_DIR (MNIST files)")
  return tiny_data_dir(tmp_path_factory.mktemp("data"),
                       os.environ["PSN_DATA_DIR"])


def _toy(**overrides):
  c = config_lib.get_config("quick")
  c.hidden = (16,)
  c.batch_size = 32  # see the note on _BITWISE
  c.num_epochs = 2
  c.num_seeds = 2
  c.profile = "random"
  for k, v in overrides.items():
    sweep.set_field(c, k, v)
  return c


def _assert_same_history(a: dict, b: dict) -> None:
  for k in _BITWISE:
    np.testing.assert_array_equal(a[k], b[k], err_msg=k)
  np.testing.assert_allclose(a["test_loss"], b["test_loss"], rtol=1e-6)


@needs_data
def test_sweep_groups_programs_and_each_run_equals_its_solo_run(data_dir,
                                                               tmp_path):
  runs = sweep.expand(_toy(), grid=[("dataset", ["mnist", "fashion_mnist"]),
                                    ("hidden", [(8,), (16,)]),
                                    ("sparsity", [0.8, 0.9])])
  groups = sweep.plan(runs)
  # Sparsity is batched data: one program per (dataset, width).
  assert len(runs) == 8 and len(groups) == 4
  assert all(len(g.runs) == 2 for g in groups)
  compiled = []
  real_make_train = train_lib.make_train

  def counting_make_train(config, spec):
    compiled.append(config.dataset)
    return real_make_train(config, spec)

  train_lib.make_train = counting_make_train
  try:
    result = sweep.run(runs, str(tmp_path / "sweep"), data_dir=data_dir,
                       progress=False)
  finally:
    train_lib.make_train = real_make_train
  assert len(compiled) == 4  # one engine (one compiled program) per group

  table = result.table
  assert len(table) == 8 * 2 * 2  # runs x seeds x epochs
  for col in ("group", "run", "name", "seed", "epoch", "dataset", "hidden",
              "sparsity", "test_accuracy", "train_loss"):
    assert col in table.columns, col
  assert table.run.nunique() == 16 and table.group.nunique() == 4
  assert os.path.exists(tmp_path / "sweep" / "results.csv")

  # Every run of one group equals that run trained alone (bitwise on CPU).
  group = groups[3]
  res = result.groups[group.name]
  for i, r in enumerate(group.runs):
    alone = runner.run_group([r.config], [r.name], str(tmp_path / f"solo{i}"),
                             data_dir=data_dir, progress=False)
    _assert_same_history({k: v[i] for k, v in res.history.items()},
                         {k: v[0] for k, v in alone.history.items()})
    for layer in res.fan_ins:
      np.testing.assert_array_equal(res.fan_ins[layer][i],
                                    alone.fan_ins[layer][0])


@needs_data
def test_learning_rates_share_one_program_and_match_solo_runs(data_dir,
                                                             tmp_path):
  runs = sweep.expand(_toy(dataset="mnist"),
                      grid=[("optim.learning_rate", [1e-3, 1e-2])])
  assert len(sweep.plan(runs)) == 1
  result = sweep.run(runs, str(tmp_path / "lr"), data_dir=data_dir,
                     progress=False)
  res = next(iter(result.groups.values()))
  assert not np.array_equal(res.history["train_loss"][0],
                            res.history["train_loss"][1])
  alone = runner.run_group([runs[1].config], [runs[1].name],
                           str(tmp_path / "solo"), data_dir=data_dir,
                           progress=False)
  _assert_same_history({k: v[1] for k, v in res.history.items()},
                       {k: v[0] for k, v in alone.history.items()})


@needs_data
def test_killed_sweep_resumes_to_the_same_table(data_dir, tmp_path,
                                                monkeypatch):
  runs = sweep.expand(_toy(), grid=[("dataset", ["mnist", "fashion_mnist"])])
  full = sweep.run(runs, str(tmp_path / "full"), data_dir=data_dir,
                   progress=False).table
  workdir = str(tmp_path / "killed")
  # Group g00 finishes; g01 is killed after its first epoch's checkpoint.
  sweep.run(runs[:1], workdir, data_dir=data_dir, progress=False)
  _kill_after_first_save(monkeypatch)
  with pytest.raises(_Killed):
    sweep.run(runs, workdir, data_dir=data_dir, progress=False)
  monkeypatch.undo()
  resumed = sweep.run(runs, workdir, data_dir=data_dir, progress=False)
  assert resumed.groups["g00"].meta["start_epochs"] == [0]  # not retrained
  assert resumed.groups["g01"].meta["start_epochs"] == [0, 1]
  cols = [c for c in full.columns if c != "test_loss"]
  assert resumed.table[cols].equals(full[cols])
  np.testing.assert_allclose(resumed.table.test_loss, full.test_loss,
                             rtol=1e-6)
  # A field that cannot change a result (checkpoint_every) does not make a
  # finished group unfinished: nothing trains again.
  other = sweep.expand(_toy(checkpoint_every=2),
                       grid=[("dataset", ["mnist", "fashion_mnist"])])
  monkeypatch.setattr(runner, "run_group", _no_training)
  again = sweep.run(other, workdir, data_dir=data_dir, progress=False)
  assert again.table[cols].equals(full[cols])


def _no_training(*args, **kwargs):
  raise AssertionError("a finished group was trained again")


@needs_data
def test_resume_continues_from_the_checkpoint_not_from_scratch(data_dir,
                                                              tmp_path,
                                                              monkeypatch):
  """The resumed run starts at the saved epoch, runs only the rest, and
  reads the saved state: parameters altered on disk change its result."""
  config = _toy(dataset="mnist", num_epochs=3)
  full = runner.run(config, str(tmp_path / "full"), data_dir=data_dir,
                    progress=False)
  for name, alter in (("plain", False), ("altered", True)):
    workdir = str(tmp_path / name)
    _kill_after_first_save(monkeypatch)
    with pytest.raises(_Killed):
      runner.run(config, workdir, data_dir=data_dir, progress=False)
    monkeypatch.undo()
    if alter:
      _scale_checkpoint_params(config, workdir, data_dir, factor=0.5)
    resumed = runner.run(config, workdir, resume=True, data_dir=data_dir,
                         progress=False)
    assert resumed.meta["start_epochs"] == [0, 1]
    assert len(resumed.meta["wall_time_segments"]) == 2
    assert resumed.meta["wall_time_s"] == pytest.approx(
        sum(resumed.meta["wall_time_segments"]))
    # Compile time (or the XLA cache's load time) is measured apart, per
    # segment, and is part of the wall time.
    compiles = resumed.meta["compile_time_segments"]
    assert len(compiles) == 2 and all(c > 0 for c in compiles)
    assert resumed.meta["compile_time_s"] == pytest.approx(sum(compiles))
    assert all(c < w for c, w in zip(compiles,
                                     resumed.meta["wall_time_segments"]))
    if alter:
      assert not np.array_equal(resumed.history["train_loss"][..., 1:],
                                full.history["train_loss"][..., 1:])
      # The epoch before the checkpoint comes from the checkpoint's history.
      np.testing.assert_array_equal(resumed.history["train_loss"][..., 0],
                                    full.history["train_loss"][..., 0])
    else:
      _assert_same_history(resumed.history, full.history)


def _scale_checkpoint_params(config, workdir, data_dir, factor):
  """Rewrites the latest checkpoint with every parameter times `factor`."""
  data, spec = runner.load_data(config, data_dir)
  del data
  engine = train_lib.make_train(config, spec)
  seeds = runner.seeds_of(config)
  m = runner.build_masks(config, engine.params_shape, seeds)
  keys = jax.numpy.stack([train_lib.seed_key(s) for s in seeds])
  abstract = jax.eval_shape(jax.vmap(engine.init), keys, m)
  mngr = checkpoint.manager(workdir)
  fp = runner.fingerprint([config], [config.profile])
  state, meta = checkpoint.restore_latest(mngr, abstract, fp)
  step = mngr.latest_step()
  mngr.delete(step)
  state = state._replace(params=jax.tree.map(lambda p: p * factor,
                                             state.params))
  checkpoint.save(mngr, step, state, meta)
  mngr.wait_until_finished()


@needs_data
def test_results_round_trip_and_dataframe(data_dir, tmp_path):
  config = _toy(dataset="mnist")
  config.track.snapshot_every = 1
  variants = [{"name": "random", "sparsity": 0.9, "profile": "random"},
              {"name": "lognormal", "sparsity": 0.8, "profile": "lognormal",
               "cv": 1.0}]
  res = runner.run(config, str(tmp_path), variants=variants, data_dir=data_dir,
                   progress=False)
  loaded = results_lib.Results.load(str(tmp_path))
  assert loaded.names == res.names and loaded.seeds == res.seeds
  assert loaded.configs == res.configs and loaded.meta == res.meta
  for tree in ("history", "fan_ins", "grad_norm", "snapshots"):
    chex.assert_trees_all_equal(getattr(loaded, tree), getattr(res, tree))
  chex.assert_trees_all_equal(loaded.records, res.records)
  np.testing.assert_array_equal(loaded.snapshot_epochs, [0, 1, 2])
  assert loaded.history["test_accuracy"].shape == (2, 2, 2)

  df = loaded.to_dataframe()
  assert len(df) == 2 * 2 * 2
  assert list(df.columns[:4]) == ["run", "variant", "seed", "epoch"]
  assert {"sparsity", "profile", "cv"} <= set(df.columns)
  assert "dataset" not in df.columns  # does not vary
  last = df[df.epoch == 2].set_index(["variant", "seed"]).test_accuracy
  assert last[("lognormal", 1)] == loaded.final_test_accuracy[1, 1]

  # The last snapshot is the final mask; the first is the initial one.
  final = loaded.mask_snapshot("lognormal", 1, 2)
  for layer, fan in loaded.fan_ins.items():
    np.testing.assert_array_equal(final[layer]["kernel"].sum(0), fan[1, 1])
  # Every run's first snapshot is its own direct draw: the mask key of ITS
  # seed, with its variant's fields (one draw for all seeds would make every
  # comparison understate the seed variance).
  params = jax.eval_shape(
      lambda: train_lib.make_train(config, train_lib.DataSpec(512, 784, 10))
      .params_shape)
  for v, variant in enumerate(variants):
    for i, seed in enumerate(loaded.seeds):
      expected = masks_lib.make_masks(
          train_lib.mask_key(seed), params, sparsity=variant["sparsity"],
          profile=variant["profile"], cv=variant.get("cv"))
      first = loaded.mask_snapshot(v, i, 0)
      for layer, k in masks_lib.named_kernels(expected):
        np.testing.assert_array_equal(first[layer]["kernel"], k)
  with open(tmp_path / "results.json") as f:
    assert "final_test_accuracy" in f.read()  # human-readable part


@settings(max_examples=30)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 3),
       st.integers(0, 2**31 - 1))
def test_pack_unpack_masks_round_trip(n_in, n_out, lead, seed):
  rng = np.random.default_rng(seed)
  k = rng.random((lead, n_in, n_out) if lead else (n_in, n_out)) < 0.3
  packed = results_lib.pack_masks({"Dense_0": k})
  assert packed["Dense_0"].dtype == np.uint8
  assert packed["Dense_0"].shape[-1] == -(-n_in * n_out // 8)
  back = results_lib.unpack_masks(packed, {"Dense_0": (n_in, n_out)})
  np.testing.assert_array_equal(back["Dense_0"], k)


def test_pack_masks_refuses_float_masks():
  with pytest.raises(ValueError, match="must be bool"):
    results_lib.pack_masks({"Dense_0": np.ones((3, 3))})


def _dropout_engine(rate):
  c = _toy(dropout=rate)
  c.hidden = (32,)
  return c, train_lib.make_train(c, train_lib.DataSpec(256, 20, 3))


def _synthetic_data():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(384, 20)).astype(np.float32)
  y = (x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0).astype(np.int32)
  return train_lib.Data(x[:256], y[:256], x[256:], y[256:])


def test_dropout_trains_stochastically_evaluates_deterministically():
  data = _synthetic_data()
  _, engine = _dropout_engine(0.5)
  key = train_lib.seed_key(0)
  m = jax.tree.map(lambda p: np.ones(p.shape, bool), engine.params_shape)
  state = jax.jit(engine.init)(key, m)
  loss = jax.jit(engine.loss_and_grads)
  l1 = loss(state.params, m, data.x_train, data.y_train, jax.random.PRNGKey(1))
  l2 = loss(state.params, m, data.x_train, data.y_train, jax.random.PRNGKey(2))
  assert l1[0] != l2[0]  # dropout is active in training
  ev = jax.jit(engine.evaluate)
  e1 = ev(state.params, m, data.x_test, data.y_test)
  e2 = ev(state.params, m, data.x_test, data.y_test)
  chex.assert_trees_all_equal(e1, e2)
  _, plain = _dropout_engine(0.0)
  # Evaluation with dropout off equals the model without dropout.
  chex.assert_trees_all_equal(
      e1, jax.jit(plain.evaluate)(state.params, m, data.x_test, data.y_test))


def test_dropout_vmapped_equals_single_seed_bitwise():
  data = _synthetic_data()
  _, engine = _dropout_engine(0.3)
  seeds = [0, 1, 2]
  m = jax.tree.map(lambda p: np.ones(p.shape, bool), engine.params_shape)
  stacked = jax.tree.map(lambda a: np.stack([a] * len(seeds)), m)
  keys = jax.numpy.stack([train_lib.seed_key(s) for s in seeds])
  state, metrics = jax.jit(jax.vmap(engine.train, in_axes=(0, 0, None)))(
      keys, stacked, data)
  for i, s in enumerate(seeds):
    one_state, one = jax.jit(engine.train)(train_lib.seed_key(s), m, data)
    chex.assert_trees_all_equal(jax.tree.map(lambda a: a[i], state.params),
                                one_state.params)
    np.testing.assert_array_equal(metrics.train_loss[i], one.train_loss)
    np.testing.assert_array_equal(metrics.test_accuracy[i], one.test_accuracy)


def test_build_masks_draws_each_seed_with_its_own_key():
  """Row i of a group's masks is `make_masks(mask_key(seeds[i]))`, whatever
  the config's own seed; rows differ between seeds."""
  c = _toy(seed=7, num_seeds=3, sparsity=0.8, distribution="erk",
           profile="random")
  params = train_lib.make_train(c, train_lib.DataSpec(1000, 20, 3)).params_shape
  seeds = runner.seeds_of(c)
  assert seeds == [7, 8, 9]
  built = runner.build_masks(c, params, seeds)
  for i, seed in enumerate(seeds):
    direct = masks_lib.make_masks(train_lib.mask_key(seed), params,
                                  sparsity=0.8, distribution="erk",
                                  profile="random")
    chex.assert_trees_all_equal(jax.tree.map(lambda a: a[i], built), direct)
  kernels = masks_lib.layer_masks(built)[0]
  assert not np.array_equal(kernels[0], kernels[1])
  assert not np.array_equal(kernels[1], kernels[2])


class _SlowJson:
  """The `json` module as Orbax's JSON handler sees it, with a `dumps` that
  waits first: a loaded machine, where the writer thread serialises a
  checkpoint's metadata after the training loop has moved on."""

  def __init__(self, delay_s: float):
    self._delay_s = delay_s

  def __getattr__(self, name):
    return getattr(json, name)

  def dumps(self, *args, **kwargs):
    time.sleep(self._delay_s)
    return json.dumps(*args, **kwargs)


def _checkpoint_history_lengths(workdir):
  import orbax.checkpoint as ocp
  mngr = checkpoint.manager(workdir)
  out = {}
  for step in mngr.all_steps():
    meta = mngr.restore(step, args=ocp.args.Composite(
        meta=ocp.args.JsonRestore()))["meta"]
    out[step] = {len(v) for k, v in meta["history"].items()
                 if k in results_lib.METRICS}
  return out


@needs_data
def test_a_resumed_run_never_repeats_an_epoch(data_dir, tmp_path, monkeypatch):
  """Issue 19: a resume once wrote 4 epochs for a 3-epoch run. Orbax writes a
  checkpoint's JSON part in a thread after `save` returns; the history lists
  it held grew meanwhile, so checkpoint k could hold k + 1 epochs, and a
  resume from it appended epoch k + 1 again. Here the writer is slowed down,
  the run is killed after its last checkpoint and before its results file,
  and then also as if killed while writing the last checkpoint."""
  config = _toy(dataset="mnist", num_epochs=3)
  full = runner.run(config, str(tmp_path / "full"), data_dir=data_dir,
                    progress=False)
  workdir = tmp_path / "killed"
  handler = importlib.import_module(
      "orbax.checkpoint._src.handlers.json_checkpoint_handler")
  monkeypatch.setattr(handler, "json", _SlowJson(1.0))

  def killed(self, path):
    raise _Killed(f"killed before writing {path}")

  monkeypatch.setattr(results_lib.Results, "save", killed)
  with pytest.raises(_Killed):
    runner.run(config, str(workdir), data_dir=data_dir, progress=False)
  monkeypatch.undo()
  assert not (workdir / "results.json").exists()
  # Every checkpoint holds exactly the epochs it is named after.
  lengths = _checkpoint_history_lengths(str(workdir))
  assert lengths == {2: {2}, 3: {3}}, lengths

  resumed = runner.run(config, str(workdir), resume=True, data_dir=data_dir,
                       progress=False)
  assert resumed.history["test_accuracy"].shape == (1, 2, 3)
  assert resumed.meta["start_epochs"] == [0, 3]
  _assert_same_history(resumed.history, full.history)

  # Killed while the last checkpoint was written: the one before is latest.
  shutil.rmtree(workdir / "checkpoints" / "3")
  os.remove(workdir / "results.json")
  resumed = runner.run(config, str(workdir), resume=True, data_dir=data_dir,
                       progress=False)
  assert resumed.history["test_accuracy"].shape == (1, 2, 3)
  _assert_same_history(resumed.history, full.history)
  chex.assert_trees_all_close(resumed.grad_norm, full.grad_norm, rtol=1e-6)
  loaded = json.loads((workdir / "results.json").read_text())
  assert all(len(seed) == 3 for variant in loaded["history"]["train_loss"]
             for seed in variant)


@needs_data
def test_a_stop_request_checkpoints_the_epoch_and_raises(data_dir, tmp_path,
                                                        monkeypatch):
  """What SIGTERM does through `psn_jax.preemption`: the epoch in flight is
  checkpointed although checkpoint_every says otherwise, `Preempted` names
  it, and a resume ends as the uninterrupted run."""
  from psn_jax import preemption
  config = _toy(dataset="mnist", num_epochs=3, checkpoint_every=3)
  full = runner.run(config, str(tmp_path / "full"), data_dir=data_dir,
                    progress=False)
  monkeypatch.setattr(preemption, "requested", lambda: True)
  with pytest.raises(preemption.Preempted) as excinfo:
    runner.run(config, str(tmp_path / "w"), data_dir=data_dir, progress=False)
  monkeypatch.undo()
  assert excinfo.value.epoch == 1
  assert excinfo.value.workdir == str(tmp_path / "w")
  assert checkpoint.saved_epochs(tmp_path / "w") == [1]
  assert not (tmp_path / "w" / "results.json").exists()
  resumed = runner.run(config, str(tmp_path / "w"), resume=True,
                       data_dir=data_dir, progress=False)
  assert resumed.meta["start_epochs"] == [0, 1]
  _assert_same_history(resumed.history, full.history)


def _hand_results(train_loss):
  """A one-variant, two-seed, three-epoch `Results` with the given losses."""
  loss = np.asarray(train_loss, np.float64).reshape(1, 2, 3)
  history = {m: np.full((1, 2, 3), 0.5) for m in results_lib.METRICS}
  history["train_loss"] = loss
  return results_lib.Results(
      names=["a"], configs=[{"seed": 0}], seeds=[0, 1], history=history,
      fan_ins={"Dense_0": np.ones((1, 2, 4), np.int64)},
      grad_norm={"Dense_0": np.full((1, 2, 4), np.inf)}, records={},
      record_steps=np.zeros(0, np.int64), snapshots={},
      snapshot_epochs=np.zeros(0, np.int64), layer_shapes={"Dense_0": (3, 4)},
      meta={"wall_time_s": 1.0, "loss_scale": float("nan")})


def _strict(text):
  """json.loads that refuses NaN, Infinity and -Infinity (RFC 8259)."""
  def refuse(token):
    raise ValueError(f"not strict JSON: {token}")
  return json.loads(text, parse_constant=refuse)


def test_results_json_is_strict_and_marks_diverged_runs(tmp_path):
  res = _hand_results([[0.9, 0.7, 0.6], [0.9, np.nan, np.inf]])
  assert res.diverged == [{"variant": "a", "seed": 1, "epoch": 2}]
  res.save(tmp_path)
  doc = _strict((tmp_path / "results.json").read_text())
  assert doc["diverged"] == [{"variant": "a", "seed": 1, "epoch": 2}]
  assert doc["history"]["train_loss"][0][1] == [0.9, None, None]
  assert doc["meta"]["loss_scale"] is None
  loaded = results_lib.Results.load(tmp_path)
  np.testing.assert_array_equal(loaded.history["train_loss"][0, 1],
                                [0.9, np.nan, np.nan])
  assert loaded.diverged == res.diverged
  assert _hand_results(np.ones(6)).diverged == []


def test_write_json_atomic_is_strict(tmp_path):
  from psn_jax import utils
  path = tmp_path / "x.json"
  utils.write_json_atomic(path, {"a": [1.0, float("-inf")],
                                 "b": np.array([np.nan, 2.0], np.float32),
                                 "c": np.float64(np.inf), "d": (np.nan,)})
  assert _strict(path.read_text()) == {"a": [1.0, None], "b": [None, 2.0],
                                       "c": None, "d": [None]}


@pytest.mark.parametrize("name", [results_lib.JSON_NAME, results_lib.NPZ_NAME])
def test_truncated_results_file_is_named(tmp_path, name):
  _hand_results(np.ones(6)).save(tmp_path)
  path = tmp_path / name
  data = path.read_bytes()
  path.write_bytes(data[:len(data) // 2])
  with pytest.raises(results_lib.ResultsFileError) as excinfo:
    results_lib.Results.load(tmp_path)
  message = str(excinfo.value)
  assert len(message.splitlines()) == 1
  assert message.startswith(f"{path} is not a readable results file (")
  assert "truncated" in message


def test_init_masks_file_is_the_start_and_batched_data():
  c = _toy(hidden=(16,))
  c2 = _toy(hidden=(16,), sparsity=0.8)
  spec = train_lib.DataSpec(1000, 20, 3)
  params = train_lib.make_train(c, spec).params_shape
  made = runner.build_masks(c2, params, [3, 4])
  import tempfile
  path = os.path.join(tempfile.mkdtemp(), "start.npz")
  masks_lib.save_mask_file(path, made, [3, 4])
  c.init_masks = path
  config_lib.validate(c)
  loaded = runner.build_masks(c, params, [4])
  chex.assert_trees_all_equal(jax.tree.map(lambda a: a[1:], made), loaded)
  # A mask file is data: it does not change the program.
  assert runner.program_key(c) == runner.program_key(_toy(hidden=(16,)))
