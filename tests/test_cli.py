"""The command lines: results files, one-line errors, exact resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.environ.get("PSN_DATA_DIR")
needs_data = pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="PSN_DATA_DIR with mnist/ is not set")

TINY = ["--config.dataset=mnist", "--config.hidden=(16,)", "--config.batch_size=500",
        "--config.num_epochs=2", "--noprogress"]


def cli(args, workdir, module="experiments.train", config="configs/train.py:quick",
        wait=True, env=None):
  cmd = [sys.executable, "-m", module, f"--config={config}",
         f"--workdir={workdir}", *args]
  env = {**os.environ, **(env or {})}
  if not wait:
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
  return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                        timeout=600, env=env)


@pytest.mark.parametrize("flag, field", [
    ("--config.sparsity=1.5", "sparsity"),
    ("--config.profile=zigzag", "profile"),
    ("--config.dataset=cifar", "dataset"),
    ("--config.hidden=(300,0)", "hidden"),
    ("--config.num_seeds=0", "num_seeds"),
    ("--config.distribution=banana", "distribution"),
    ("--config.dst.algorithm=prune", "algorithm"),
    ("--config.optim.learning_rate=-1", "error: optim.learning_rate must be"),
    ("--config.optim.momentum=1", "error: optim.momentum must be"),
    ("--config.optim.weight_decay=-1e-4", "error: optim.weight_decay must be"),
    ("--config.dst.t_end_fraction=-1", "error: dst.t_end_fraction must be"),
    ("--config.dst.drop_fraction=0", "error: dst.drop_fraction must be"),
    ("--config.cv=-1", "error: cv must be"),
    ("--config.track.snapshot_every=-1", "error: track.snapshot_every must be"),
    ("--config.foo=1", "error: unknown config field foo"),
    # Optional fields (absent from the defaults) are set from the command line too.
    ("--config.model=resnet", "error: model must be one of"),
    ("--config.pixel_permutation=x", "error: pixel_permutation must be an integer"),
    ("--config.track.grad_norms=maybe", "error: track.grad_norms must be true or false"),
    ("--config.optim.foo=1", "error: unknown config field optim.foo"),
    ("--config.optim.learning_rate=inf",
     "error: optim.learning_rate must be a finite number > 0, got inf"),
    ("--config.learning_rate=0.1", "error: unknown config field learning_rate;"
     " did you mean --config.optim.learning_rate?"),
])
def test_bad_values_give_one_line_and_exit_2(tmp_path, flag, field):
  result = cli([flag, "--noprogress"], tmp_path / "w")
  assert result.returncode == 2, result.stderr
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1, result.stderr
  assert field in lines[0] and "Traceback" not in result.stderr
  assert not (tmp_path / "w" / "results.json").exists()


# Data that cannot be found: an error about anything but the data proves that
# it was checked before the data loaded.
NO_DATA = {"PSN_DATA_DIR": "/nonexistent-psn-data"}


def _one_line_exit_2(result):
  assert result.returncode == 2, result.stderr
  line, = result.stderr.strip().splitlines()
  assert line.startswith("error: ") and "Traceback" not in result.stderr
  return line


def test_missing_config_file_is_one_line(tmp_path):
  line = _one_line_exit_2(cli([], tmp_path, config="configs/nope.py:quick"))
  assert "config file configs/nope.py does not exist" in line


def test_workdir_that_is_a_file_fails_before_the_data(tmp_path):
  (tmp_path / "file").write_text("x")
  for workdir, says in [(tmp_path / "file", "is a file, not a directory"),
                        (tmp_path / "file" / "sub", "cannot be created")]:
    line = _one_line_exit_2(cli(["--noprogress"], workdir, env=NO_DATA))
    assert f"--workdir {workdir} {says}" in line


def _writable(directory):
  try:
    with open(os.path.join(directory, ".probe"), "w"):
      pass
    os.remove(os.path.join(directory, ".probe"))
    return True
  except OSError:
    return False


def test_read_only_workdir_fails_before_the_data(tmp_path):
  workdir = tmp_path / "ro"
  workdir.mkdir()
  workdir.chmod(0o555)
  if _writable(workdir):  # root writes anyway: try a read-only file system
    workdir = "/sys"
    if not os.path.isdir(workdir) or _writable(workdir):
      pytest.skip("no read-only directory available")
  line = _one_line_exit_2(cli(["--noprogress"], workdir, env=NO_DATA))
  assert f"--workdir {workdir} is not writable" in line


@needs_data
def test_unreachable_cv_gives_one_line_with_the_range(tmp_path):
  result = cli(["--config.profile=sigmoid", "--config.cv=2.5", "--noprogress"],
               tmp_path)
  assert result.returncode == 2, result.stderr
  line, = result.stderr.strip().splitlines()
  assert "cv" in line and "range" in line
  assert not (tmp_path / "results.json").exists()


@needs_data
def test_train_writes_results(tmp_path):
  # Two optional fields, in both flag forms (--f=v and --f v).
  result = cli(TINY + ["--config.num_seeds=2", "--config.track.grad_norms=false",
                       "--config.pixel_permutation", "7"], tmp_path)
  assert result.returncode == 0, result.stderr
  results = json.loads((tmp_path / "results.json").read_text())
  (name, acc), = results["final_test_accuracy"].items()
  assert name == "uniform"
  assert len(acc) == 2 and all(0.5 < a <= 1 for a in acc)
  config = results["configs"][0]
  assert config["num_seeds"] == 2 and config["pixel_permutation"] == 7
  assert config["track.grad_norms"] is False
  _strict_json(tmp_path / "results.json")
  hist = results["history"]["test_accuracy"]  # [variant][seed][epoch]
  assert results["history_axes"] == ["variant", "seed", "epoch"]
  assert len(hist) == 1 and len(hist[0]) == 2 and len(hist[0][0]) == 2
  assert hist[0][0][-1] == acc[0]
  assert (tmp_path / "results.npz").is_file()


@needs_data
def test_resume_refuses_a_checkpoint_of_another_config(tmp_path):
  assert cli(TINY, tmp_path).returncode == 0
  other = cli(TINY + ["--config.num_seeds=3", "--config.optim.momentum=0.5",
                      "--resume"], tmp_path)
  assert other.returncode == 2
  line, = other.stderr.strip().splitlines()
  assert "checkpoint" in line and "num_seeds" in line
  assert "optim.momentum" in line
  # Only the differing fields: no other field name, and a short line.
  assert "learning_rate" not in line and "dataset" not in line
  assert len(line) < 400, line


@needs_data
def test_compare_trains_every_variant_in_one_program_and_writes_a_table(tmp_path):
  result = cli(["--config.hidden=(16,)", "--config.batch_size=500",
                "--config.num_epochs=1", "--config.num_seeds=2",
                "--config.dataset=mnist", "--noprogress"], tmp_path,
               module="experiments.compare", config="configs/compare.py:quick")
  assert result.returncode == 0, result.stderr
  results = json.loads((tmp_path / "results.json").read_text())
  sys.path.insert(0, ROOT)
  try:
    from configs import compare
  finally:
    sys.path.remove(ROOT)
  names = [v[0] for v in compare.get_config("quick").variants]
  assert list(results["final_test_accuracy"]) == names
  assert all(len(acc) == 2 and all(0.5 < a <= 1 for a in acc)
             for acc in results["final_test_accuracy"].values())
  table = (tmp_path / "table.txt").read_text()
  assert all(name in table for name in names)
  assert table.strip() in result.stdout
  # Where everything went, in the output itself.
  assert f"-> {tmp_path / 'table.txt'}" in result.stdout
  assert "results.json and results.npz" in result.stdout
  _strict_json(tmp_path / "results.json")


# ---------------------------------------------------------------------------
# Ctrl-C: exit 130 at any moment, never a signal death; the message promises
# --resume only when a checkpoint exists; the resumed run equals a full one.

SMALL = ["--config.dataset=mnist", "--config.hidden=(16,)",
         "--config.batch_size=500", "--config.num_seeds=1",
         "--config.num_epochs=3", "--config.dst.algorithm=rigl",
         "--config.dst.delta_t=20", "--noprogress"]


def _interrupt(proc, ready, timeout=300):
  """Sends SIGINT once `ready()` holds (or the process ended); returns the
  exit status and stderr."""
  deadline = time.time() + timeout
  while time.time() < deadline and proc.poll() is None and not ready():
    time.sleep(0.02)
  proc.send_signal(signal.SIGINT)
  _, err = proc.communicate(timeout=120)
  return proc.returncode, err


def _checkpoints(workdir):
  d = workdir / "checkpoints"
  return sorted(int(p.name) for p in d.iterdir() if p.name.isdigit()) \
      if d.is_dir() else []


def _catches_sigterm(pid):
  """Whether process `pid` has its SIGTERM handler installed (Linux: the
  SigCgt mask of /proc/PID/status), so a test signals the command and not
  the interpreter still importing, however loaded the machine is."""
  try:
    with open(f"/proc/{pid}/status") as f:
      mask = next(l for l in f if l.startswith("SigCgt:")).split()[1]
  except (OSError, StopIteration):
    return False
  return bool(int(mask, 16) >> (signal.SIGTERM - 1) & 1)


def test_ctrl_c_at_startup_exits_130_without_promising_a_checkpoint(tmp_path):
  proc = cli(SMALL, tmp_path / "w", wait=False, env=NO_DATA)
  code, err = _interrupt(proc, lambda: _catches_sigterm(proc.pid))
  assert code == 130, err
  assert err.strip().splitlines()[-1].startswith("interrupted")
  assert "--resume" not in err and "Traceback" not in err


@needs_data
def test_ctrl_c_before_the_first_checkpoint_exits_130(tmp_path):
  # The workdir exists once the flags are checked; data loading and compiling
  # follow.
  workdir = tmp_path / "w"
  code, err = _interrupt(cli(SMALL, workdir, wait=False), workdir.is_dir)
  assert code == 130, err
  line = err.strip().splitlines()[-1]
  if _checkpoints(workdir):  # a very fast machine got past epoch 1
    assert "--resume" in line
  else:
    # Under load the signal may land before the run registered its workdir:
    # either way nothing promises a checkpoint to resume from.
    assert ("no checkpoint was written yet" in line
            or "before the run started: nothing was written" in line), line
    assert "--resume" not in line.replace("without --resume", "")


def _same_results(got_dir, expected_dir):
  """results.json (but its timing metadata) and every results.npz array equal."""
  got = json.loads((got_dir / "results.json").read_text())
  expected = json.loads((expected_dir / "results.json").read_text())
  for key in set(got) | set(expected):
    if key != "meta":
      assert got.get(key) == expected.get(key), key
  with np.load(got_dir / "results.npz") as g, \
      np.load(expected_dir / "results.npz") as e:
    assert sorted(g.files) == sorted(e.files)
    for k in e.files:
      np.testing.assert_array_equal(g[k], e[k], err_msg=k)


@needs_data
def test_interrupted_and_killed_then_resumed_equals_a_full_run(tmp_path):
  """Ctrl-C after the first checkpoint (exit 130, never -11 or -2, the line
  names the epoch to --resume from), resume, SIGKILL after the next one,
  resume: bitwise the numbers of an uninterrupted run."""
  full = cli(SMALL, tmp_path / "full")
  assert full.returncode == 0, full.stderr

  cut = tmp_path / "cut"
  code, err = _interrupt(cli(SMALL, cut, wait=False),
                         lambda: bool(_checkpoints(cut)))
  assert code == 130, err
  epochs = _checkpoints(cut)
  assert epochs, err
  if epochs[-1] < 3:
    line = err.strip().splitlines()[-1]
    assert f"(epoch {epochs[-1]}) with --resume --workdir {cut}" in line
    proc = cli(SMALL + ["--resume"], cut, wait=False)
    deadline = time.time() + 300
    while (time.time() < deadline and proc.poll() is None
           and _checkpoints(cut)[-1] == epochs[-1]):
      time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    resumed = cli(SMALL + ["--resume"], cut)
    assert resumed.returncode == 0, resumed.stderr
  _same_results(cut, tmp_path / "full")


# ---------------------------------------------------------------------------
# Issue 19: SIGTERM (preemption), a busy --workdir, divergence, strict JSON,
# an empty data folder.


def _strict_json(path):
  """The file parsed as strict JSON: NaN / Infinity tokens are refused."""
  def refuse(token):
    raise AssertionError(f"{path} is not strict JSON: it holds {token}")
  return json.loads(path.read_text(), parse_constant=refuse)


def _wait_for(predicate, proc=None, timeout=300):
  deadline = time.time() + timeout
  while time.time() < deadline and not predicate():
    if proc is not None and proc.poll() is not None:
      break
    time.sleep(0.02)
  return predicate()


# Eight epochs, a checkpoint every four: a SIGTERM always lands between two.
PREEMPTED = SMALL[:-1] + ["--config.num_epochs=8",
                          "--config.checkpoint_every=4", "--noprogress"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
  if not DATA_DIR:
    pytest.skip("PSN_DATA_DIR is not set")
  workdir = tmp_path_factory.mktemp("uninterrupted")
  full = cli(PREEMPTED, workdir)
  assert full.returncode == 0, full.stderr
  return workdir


def _terminate(proc, ready, timeout=300):
  """SIGTERM once `ready()` holds; the exit status and stderr."""
  _wait_for(ready, proc, timeout)
  proc.send_signal(signal.SIGTERM)
  _, err = proc.communicate(timeout=120)
  return proc.returncode, err


def test_sigterm_at_startup_exits_143_and_says_nothing_was_written(tmp_path):
  proc = cli(SMALL, tmp_path / "w", wait=False, env=NO_DATA)
  code, err = _terminate(proc, lambda: _catches_sigterm(proc.pid))
  assert code == 143, err  # 128 + 15: what a scheduler reads as "terminated"
  line = err.strip().splitlines()[-1]
  assert line.startswith("terminated (SIGTERM)"), err
  assert "--resume" not in line and "Traceback" not in err


@needs_data
def test_sigterm_while_compiling_checkpoints_the_first_epoch(tmp_path,
                                                            uninterrupted):
  """Preemption during data loading or compilation: the run finishes the
  epoch in flight, checkpoints it although checkpoint_every is 4, says how to
  resume and exits 143; the resumed run equals an uninterrupted one."""
  workdir = tmp_path / "w"
  lock = workdir / ".lock"
  # A grace period no load can exhaust: the epoch in flight always ends.
  proc = cli(PREEMPTED, workdir, wait=False, env={"PSN_TERM_GRACE_S": "600"})
  code, err = _terminate(
      proc, lambda: lock.is_file() and lock.stat().st_size > 0)
  assert code == 143, err
  epochs = _checkpoints(workdir)
  assert epochs and epochs[-1] < 4, (epochs, err)  # not a regular checkpoint
  line = err.strip().splitlines()[-1]
  assert line == (f"terminated (SIGTERM): saved a checkpoint of epoch "
                  f"{epochs[-1]}; continue with the same command and --resume "
                  f"--workdir {workdir}"), err
  assert "Traceback" not in err
  resumed = cli(PREEMPTED + ["--resume"], workdir)
  assert resumed.returncode == 0, resumed.stderr
  _same_results(workdir, uninterrupted)


@needs_data
def test_sigterm_between_checkpoints_saves_the_epoch_in_flight(tmp_path,
                                                              uninterrupted):
  workdir = tmp_path / "w"
  proc = cli(PREEMPTED, workdir, wait=False)
  code, err = _terminate(proc, lambda: 4 in _checkpoints(workdir))
  if code == 0:
    pytest.skip("the run finished before the signal arrived")
  assert code == 143, err
  epochs = _checkpoints(workdir)
  assert 4 < epochs[-1] < 8, (epochs, err)  # what the last 4-epoch one lacked
  assert err.strip().splitlines()[-1].startswith(
      f"terminated (SIGTERM): saved a checkpoint of epoch {epochs[-1]};"), err
  resumed = cli(PREEMPTED + ["--resume"], workdir)
  assert resumed.returncode == 0, resumed.stderr
  _same_results(workdir, uninterrupted)


@needs_data
def test_sigterm_past_the_grace_period_exits_at_once(tmp_path):
  """An epoch that cannot end within $PSN_TERM_GRACE_S: exit 143 at once,
  naming what there is to resume from."""
  workdir = tmp_path / "w"
  lock = workdir / ".lock"
  proc = cli(PREEMPTED, workdir, wait=False, env={"PSN_TERM_GRACE_S": "0"})
  code, err = _terminate(
      proc, lambda: lock.is_file() and lock.stat().st_size > 0)
  assert code == 143, err
  line = err.strip().splitlines()[-1]
  assert line.startswith("terminated (SIGTERM): the epoch in flight did not "
                         "end within 0 s"), err
  if _checkpoints(workdir):
    assert f"with --resume --workdir {workdir}" in line
  else:
    assert "no checkpoint was written yet" in line


def _hold_lock(workdir):
  """A process that takes `workdir`'s lock as a run does, then waits."""
  os.makedirs(workdir, exist_ok=True)
  proc = subprocess.Popen(
      [sys.executable, "-c",
       "import sys, time\nfrom psn_jax import checkpoint\n"
       "lock = checkpoint.lock_workdir(sys.argv[1])\nprint('locked', "
       "flush=True)\ntime.sleep(300)", str(workdir)],
      cwd=ROOT, stdout=subprocess.PIPE, text=True)
  assert proc.stdout.readline().strip() == "locked"
  return proc


def test_a_busy_workdir_is_refused_at_once(tmp_path):
  """A second run on a --workdir in use died after 77 s in Orbax; now it is
  refused in one line, before any data loads, naming the holder."""
  workdir = tmp_path / "w"
  holder = _hold_lock(workdir)
  try:
    start = time.time()
    line = _one_line_exit_2(cli(["--noprogress"], workdir, env=NO_DATA))
    elapsed = time.time() - start
  finally:
    holder.kill()
    holder.wait()
  assert line.startswith(f"error: --workdir {workdir} is in use by another "
                         f"run (pid {holder.pid} on "), line
  assert "wait for it to end or use another --workdir" in line
  assert elapsed < 5, elapsed


def test_a_killed_runs_lock_does_not_block(tmp_path):
  """SIGKILL leaves the lock file but not the lock (flock dies with its
  process): the next run goes on (here to the missing data)."""
  workdir = tmp_path / "w"
  holder = _hold_lock(workdir)
  holder.send_signal(signal.SIGKILL)
  holder.wait()
  assert (workdir / ".lock").read_text().startswith(f"pid {holder.pid} ")
  line = _one_line_exit_2(cli(["--noprogress"], workdir, env=NO_DATA))
  assert "in use" not in line and "mnist train" in line, line


@needs_data
def test_a_diverged_run_is_named_fails_and_writes_strict_json(tmp_path):
  """A learning rate that overflows: loss NaN from the first epoch. Exit 3
  after the results are written, one line per diverged seed; results.json
  marks them and holds no NaN token."""
  result = cli(TINY + ["--config.num_epochs=1", "--config.num_seeds=2",
                       "--config.optim.learning_rate=1e30"], tmp_path)
  assert result.returncode == 3, result.stderr
  lines = [l for l in result.stderr.splitlines() if l.startswith("error: ")]
  assert lines == [f"error: diverged: uniform seed {s} (loss not finite from "
                   "epoch 1; its accuracy is not a result)" for s in (0, 1)]
  assert "Traceback" not in result.stderr
  doc = _strict_json(tmp_path / "results.json")
  assert doc["diverged"] == [{"variant": "uniform", "seed": s, "epoch": 1}
                             for s in (0, 1)]
  assert doc["history"]["train_loss"] == [[[None], [None]]]


def test_an_empty_data_folder_is_answered_at_once(tmp_path):
  """TFDS without TensorFlow retried the network for 212 s and left
  ~/tensorflow_datasets behind."""
  import importlib.util
  if importlib.util.find_spec("tensorflow") is not None:
    pytest.skip("TensorFlow is installed (this checks the case without it)")
  (tmp_path / "empty").mkdir()
  (tmp_path / "home").mkdir()
  line = _one_line_exit_2(cli(["--noprogress"], tmp_path / "w", env={
      "PSN_DATA_DIR": str(tmp_path / "empty"), "HOME": str(tmp_path / "home"),
      "TFDS_DATA_DIR": ""}))
  # Answered without trying TFDS (no timing assertion: the line says the
  # network was not tried, and TFDS left no folder behind).
  assert f"in {tmp_path / 'empty' / 'mnist'}, {tmp_path / 'empty'}," in line
  assert "TensorFlow is not installed" in line and "network" in line
  assert not (tmp_path / "home" / "tensorflow_datasets").exists()
