"""Studies as sweeps over any config field, grouped into shared programs.

A study is a grid: datasets x widths x sparsities x topologies x optimizers x
seeds. `expand(base, grid, points)` (`psn_jax.groups`) turns a base config and
overrides of ANY dotted field into named runs (a *point* is one arm,
`{"name": ..., field: value}`, the one way an arm is written;
`points_from_variants` reads the compare configs' `variants` shorthand);
`plan(runs)` groups the runs that can share one compiled program (equal
`runner.program_key`: same shapes and static settings; masks, seeds and
learning rates are batched data); `run(...)` trains each
group as one vmapped program with its own checkpoints under
`workdir/groups/gNN`, skips groups that finished, resumes a group that was
killed, and writes one table, `workdir/results.csv`: one row per (run, seed,
epoch) with a `group` column, a `run` column, every field that varies in the
study, and the metrics.

  runs = sweep.expand(config.get_config("quick"),
                      grid=[("dataset", ["mnist", "fashion_mnist"]),
                            ("sparsity", [0.8, 0.9, 0.95])])
  table = sweep.run(runs, "runs/study").table
  table.groupby(["dataset", "sparsity"]).test_accuracy.mean()
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, NamedTuple, Sequence

import ml_collections
import numpy as np
import tqdm

from psn_jax import config as config_lib
from psn_jax import groups
from psn_jax import results as results_lib
from psn_jax import runner
from psn_jax import utils
from psn_jax.config import points_from_variants  # noqa: F401  (re-exported)
from psn_jax.config import set_field  # noqa: F401  (re-exported)
from psn_jax.groups import Run
from psn_jax.groups import expand  # noqa: F401  (re-exported)

__all__ = ["Run", "Group", "SweepResult", "set_field", "expand", "plan", "run",
           "points_from_variants"]

TABLE_NAME = "results.csv"


class Group(NamedTuple):
  """Runs that share one compiled program, trained together."""

  name: str
  runs: list[Run]


class SweepResult(NamedTuple):
  """The study's table (pandas) and each group's `Results`."""

  table: Any
  groups: dict[str, results_lib.Results]


def plan(runs: Sequence[Run]) -> list[Group]:
  """Groups runs by `runner.program_key`, in order of first appearance."""
  groups: dict[str, list[Run]] = {}
  for r in runs:
    groups.setdefault(runner.program_key(r.config), []).append(r)
  return [Group(f"g{i:02d}", rs) for i, rs in enumerate(groups.values())]


def varying_fields(runs: Sequence[Run]) -> list[str]:
  """Dotted fields whose value differs between the runs of a study."""
  flats = [config_lib.flatten(r.config) for r in runs]
  keys = sorted(set().union(*flats))
  return [k for k in keys if k != "variants" and len(
      {json.dumps(f.get(k), sort_keys=True) for f in flats}) > 1]


def run(runs: Sequence[Run], workdir: str, *, resume: bool = True,
        data_dir: str | None = None, progress: bool = True,
        mask_root: str = "") -> SweepResult:
  """Trains a study group by group and writes `workdir/results.csv`.

  Args:
    runs: from `expand`.
    workdir: `groups/gNN/` (checkpoints, snapshots, `Results`) and the table.
    resume: skip finished groups and continue a killed one from its latest
      checkpoint (the default: a rerun of a killed sweep picks up where it
      stopped). False retrains every group.
    data_dir: dataset folder.
    progress: progress bars over groups and epochs.
    mask_root: folder that relative `init_masks` paths are read under
      (`runner.build_masks`).

  Returns:
    The table and each group's `Results`.
  """
  groups = plan(runs)
  fields = varying_fields(runs)
  print(f"sweep: {len(runs)} runs in {len(groups)} programs "
        f"(-> {os.path.join(workdir, TABLE_NAME)})", flush=True)
  data_cache: dict[tuple, Any] = {}
  done: dict[str, results_lib.Results] = {}
  for group in tqdm.tqdm(groups, disable=not progress, desc="groups",
                         unit="group", position=0):
    gdir = os.path.join(workdir, "groups", group.name)
    configs = [r.config for r in group.runs]
    names = [r.name for r in group.runs]
    finished = _finished(gdir, configs, names) if resume else None
    if finished is not None:
      done[group.name] = finished
      continue
    c = configs[0]
    data_key = (c.dataset, int(c.get("input_pad", 0) or 0),
                int(c.get("pixel_permutation", -1)))
    if data_key not in data_cache:
      data_cache = {data_key: runner.load_data(c, data_dir)}
    has_checkpoint = os.path.isdir(os.path.join(gdir, "checkpoints"))
    done[group.name] = runner.run_group(
        configs, names, gdir, resume=resume and has_checkpoint,
        data_dir=data_dir,
        progress=progress, data=data_cache[data_key], mask_root=mask_root)
  table = _table(groups, done, fields)
  os.makedirs(workdir, exist_ok=True)
  utils.write_text_atomic(os.path.join(workdir, TABLE_NAME),
                          table.to_csv(index=False))
  return SweepResult(table, done)


def _finished(gdir: str, configs, names) -> results_lib.Results | None:
  """The group's saved `Results` if it finished with these configs (up to
  the fields that cannot change a result, such as `checkpoint_every`: the
  fields a checkpoint must share, `groups.fingerprint`)."""
  try:
    res = results_lib.Results.load(gdir)
  except FileNotFoundError:
    return None
  expected = json.loads(json.dumps([runner.plain_config(c) for c in configs]))
  if (groups.fingerprint(res.configs, res.names)
      != groups.fingerprint(expected, list(names))):
    return None
  return res


def _table(groups: Sequence[Group], done: dict[str, results_lib.Results],
           fields: Sequence[str]):
  """One row per (run, seed, epoch) over all groups."""
  import pandas as pd  # pylint: disable=g-import-not-at-top
  frames, offset = [], 0
  for group in groups:
    res = done[group.name]
    df = res.to_dataframe(fields)
    df.insert(0, "group", group.name)
    df["run"] = df["run"] + offset
    offset += len(res.names) * len(res.seeds)
    frames.append(df.rename(columns={"variant": "name"}))
  return pd.concat(frames, ignore_index=True)


def grid_from_config(spec: ml_collections.ConfigDict) -> list[Run]:
  """The runs of a `configs/sweep.py` config (`base`, `grid`, `points`)."""
  grid = [(str(f), list(v)) for f, v in spec.get("grid", ())]
  points = [dict(p) for p in spec.get("points", ())]
  return expand(spec.base, grid, points)


def summarize(table, by: Iterable[str], metric: str = "test_accuracy"):
  """Mean, std and n over seeds of `metric` at the last epoch, per `by`."""
  last = table[table.epoch == table.groupby("run").epoch.transform("max")]
  out = last.groupby(list(by), sort=False)[metric].agg(["mean", "std", "count"])
  return out.assign(mean=lambda d: 100 * d["mean"],
                    std=lambda d: 100 * d["std"].fillna(np.nan))
