"""A claim: its spec, its runs, and `reproduce`, which writes claim.json.

`configs/claims.py` defines each claim as a `ClaimSpec`: the paper's words and
number, the test stated before the data (`test`), the runs per mode, and the
analysis function (from `psn_jax.claims.psn`, `liu`, `dey`, `bourely` or
`atlas`). `reproduce(spec, mode, workdir)` trains the sweep
(`psn_jax.sweep.run`; a rerun resumes, then only re-analyses), runs the
analysis, and writes `workdir/<id>/claim.json`, the figure `<id>.png` and the
sweep's `results.csv` beside it. `experiments.report` turns claim.json files
into `results/REPORT.md`.

Modes: `toy` (the tests, seconds), `quick` (a demo, not a test: minutes on 2
CPU cores, runs too short to refute anything), `cpu` (the test on 2 CPU
cores, the papers' architectures where they fit, about 40 minutes a claim at
most) and `full` (a GPU).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from typing import Any, Callable, Sequence

import jax
import numpy as np

from psn_jax import checkpoint
from psn_jax import data as data_lib
from psn_jax import masks as masks_lib
from psn_jax import sweep
from psn_jax import train as train_lib
from psn_jax import utils
from psn_jax.claims import common
from psn_jax.claims import verdicts

CLAIM_FILE = "claim.json"
MODES = ("toy", "quick", "cpu", "full")
MODE_LABELS = {"toy": "toy (tests)", "quick": "demo, not a test",
               "cpu": "test (CPU)", "full": "test (GPU)"}


@dataclasses.dataclass(frozen=True)
class ClaimSpec:
  """One claim: what the paper says, the test, the runs, the analysis.

  Attributes:
    id: claim id (`C1`, `L3`, `atlas`, ...).
    title: one line.
    source: the paper (and what of it is public).
    paper_text: the paper's sentence or numbers.
    paper_value: the number or rule compared against, short.
    test: the test, stated before the data: effect, test, alpha, margin.
    runs: `runs(mode, root) -> list[sweep.Run]` (root: the sweep folder, for
      mask files).
    analysis: `analysis(spec, first, second, ctx) -> dict` (see
      `common.result_doc`).
    stage2: `stage2(mode, first: SweepResult, root) -> runs` or None.
    sweep: folder name shared by claims that reuse one sweep (default: id).
    datasets: datasets the claim would use on a machine that has them all.
    unreachable: `unreachable(mode) -> names` of cells no mask source can
      build at the claim's shapes (reported, not trained), or None.
    benchmark: for a claim that trains nothing (B4 times inference):
      `benchmark(spec, mode, ctx) -> dict` (see `common.result_doc`) replaces
      the sweep and `analysis`; `runs` is then not called. None otherwise.
  """

  id: str
  title: str
  source: str
  paper_text: str
  paper_value: str
  test: str
  runs: Callable[..., list]
  analysis: Callable[..., dict]
  stage2: Callable[..., list] | None = None
  sweep: str | None = None
  datasets: tuple[str, ...] = ()
  unreachable: Callable[[str], list[str]] | None = None
  benchmark: Callable[..., dict] | None = None


def dataset_available(name: str, data_dir: str | None = None) -> bool:
  """Whether `name`'s files are on this machine (Morse is generated: always).

  Looks where `psn_jax.data` looks (data_dir, then `$PSN_DATA_DIR`), without
  falling back to tensorflow-datasets (no downloads here).
  """
  if name.startswith("morse"):
    return True
  roots = [r for r in (data_dir, os.environ.get(data_lib.ENV_VAR)) if r]
  if name == "covertype":
    candidates = [os.path.join(r, d, data_lib.COVTYPE_FILE)
                  for r in roots for d in ("covertype", "")]
  elif name.startswith("emnist/"):
    variant = name.split("/", 1)[1]
    f = f"emnist-{variant}-test-images-idx3-ubyte"
    candidates = [os.path.join(r, d, f) for r in roots
                  for d in ("emnist", os.path.join("emnist", "gzip"), "")]
  else:
    f = "t10k-images-idx3-ubyte"
    candidates = [os.path.join(r, d, f) for r in roots for d in (name, "")]
  return any(os.path.exists(c) or os.path.exists(c + ".gz") for c in candidates)


def params_shape(config) -> dict[str, Any]:
  """One seed's params shapes of `config`'s MLP (no model needed)."""
  n_in = max(data_lib.input_dim(config.dataset), int(config.get("input_pad", 0)))
  dims = [n_in, *config.hidden, data_lib.num_classes(config.dataset)]
  return {f"Dense_{i}": {
      "kernel": jax.ShapeDtypeStruct((a, b), np.float32),
      "bias": jax.ShapeDtypeStruct((b,), np.float32)}
          for i, (a, b) in enumerate(zip(dims[:-1], dims[1:]))}


_FEASIBLE: dict[str, bool] = {}


def feasible_points(config, points: Sequence[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
  """The points whose masks can be built for `config`'s shapes.

  A PSN profile cannot reach every CV at every density, and Dey's patterns
  need divisible degrees; such points are left out (the claim reports them as
  unreachable, `unreachable_points`) instead of failing the sweep.
  """
  return [p for p in points if _feasible(config, p)]


def unreachable_points(config, points: Sequence[dict[str, Any]]
                       ) -> list[dict[str, Any]]:
  """The points `feasible_points` leaves out."""
  return [p for p in points if not _feasible(config, p)]


def _feasible(config, p: dict[str, Any]) -> bool:
  fields = {f: p.get(f, config.get(f)) for f in masks_lib.MASK_FIELDS}
  if p.get("init_masks") or not fields["sparsity"]:
    return True
  shape = params_shape(config)
  key = json.dumps([sorted(fields.items(), key=str),
                    jax.tree.map(lambda s: s.shape, shape)], default=str)
  if key not in _FEASIBLE:
    try:
      masks_lib.make_masks(train_lib.mask_key(int(config.seed)), shape,
                           **fields)
      _FEASIBLE[key] = True
    except ValueError:
      _FEASIBLE[key] = False
  return _FEASIBLE[key]


def _filter_runs(runs: list, data_dir: str | None, stage_dir: str
                 ) -> tuple[list, list[str]]:
  """The runs this machine can train or has trained, and the datasets left out.

  A run whose dataset files are absent is kept when `stage_dir`'s finished
  sweep table names it: training on a GPU and the analysis elsewhere need the
  data only where the training ran.
  """
  table = os.path.join(stage_dir, sweep.TABLE_NAME)
  trained = set()
  if os.path.exists(table):
    import pandas as pd  # pylint: disable=g-import-not-at-top
    trained = set(pd.read_csv(table, usecols=["name"])["name"].astype(str))
  keep = [r for r in runs if r.name in trained
          or dataset_available(r.config.dataset, data_dir)]
  missing = sorted({r.config.dataset for r in runs} -
                   {r.config.dataset for r in keep})
  return keep, missing


def _meta(*results: sweep.SweepResult | None) -> dict[str, Any]:
  metas = [res.meta for r in results if r is not None
           for res in r.groups.values()]
  if not metas:
    return {"device": None, "backend": None, "train_wall_time_s": None}
  return {"device": metas[0].get("device"), "backend": metas[0].get("backend"),
          "train_wall_time_s": round(sum(m.get("wall_time_s", 0.0)
                                         for m in metas), 1)}


def _header(spec: ClaimSpec, mode: str, command: str) -> dict[str, Any]:
  return {"id": spec.id, "title": spec.title, "source": spec.source,
          "paper": {"text": spec.paper_text, "value": spec.paper_value},
          "test": spec.test, "mode": mode, "mode_label": MODE_LABELS[mode],
          "command": command}


def not_run(spec: ClaimSpec, reason: str, command: str, mode: str) -> dict:
  """The claim.json of a claim that could not run here."""
  return utils.jsonable({**_header(spec, mode, command), "ours": {"text": "-"},
                      "rows": [], "hardware": {}, "figure": None,
                      "verdict": "not run here", "reason": reason})


def reproduce(spec: ClaimSpec, mode: str, workdir: str, *,
              data_dir: str | None = None, command: str = "",
              progress: bool = True, train_only: bool = False) -> dict | None:
  """Trains (or resumes) `spec`'s sweep, analyses it, writes claim.json.

  Layout: `workdir/<sweep>/stage1` (and `stage2`) hold the sweep(s) and
  `masks/`; `workdir/<id>/` holds `claim.json`, `<id>.png` and
  `results.csv` (stage 2 appended). With `train_only` the analysis is
  skipped (rerun without it, e.g. on a CPU, to analyse the same results).

  Returns:
    The claim document (also written), or None with `train_only`.
  """
  if mode not in MODES:
    raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
  t0 = time.time()
  root = os.path.join(workdir, spec.sweep or spec.id)
  claim_dir = os.path.join(workdir, spec.id)
  os.makedirs(claim_dir, exist_ok=True)
  os.makedirs(root, exist_ok=True)
  if spec.benchmark is not None:
    return _benchmark(spec, mode, root, claim_dir, command, train_only, t0,
                      progress)
  runs, missing = _filter_runs(spec.runs(mode, root), data_dir,
                               os.path.join(root, "stage1"))
  path = os.path.join(claim_dir, CLAIM_FILE)
  if not runs:
    doc = not_run(spec, f"{', '.join(missing)}: {common.NO_DATA}", command,
                  mode)
    utils.write_json_atomic(path, doc)
    return doc
  # One process per sweep folder (claims sharing a sweep share its lock):
  # a second one is refused at once (checkpoint.WorkdirBusyError).
  with checkpoint.lock_workdir(root, f"the sweep folder of {spec.id}"):
    first = sweep.run(runs, os.path.join(root, "stage1"), data_dir=data_dir,
                      progress=progress, mask_root=root)
    second = None
    if spec.stage2 is not None:
      runs2, _ = _filter_runs(spec.stage2(mode, first, root), data_dir,
                              os.path.join(root, "stage2"))
      second = sweep.run(runs2, os.path.join(root, "stage2"),
                         data_dir=data_dir, progress=progress, mask_root=root)
  if train_only:
    return None
  ctx = common.Context(claim_dir=claim_dir, root=root, missing=missing,
                       mode=mode, unreachable=(spec.unreachable(mode)
                                               if spec.unreachable else []))
  out = spec.analysis(spec, first, second, ctx)
  tables = [first.table.assign(stage=1)]
  if second is not None:
    tables.append(second.table.assign(stage=2))
  import pandas as pd  # pylint: disable=g-import-not-at-top
  utils.write_text_atomic(os.path.join(claim_dir, "results.csv"),
                          pd.concat(tables, ignore_index=True).to_csv(index=False))
  meta = _meta(first, second)
  doc = {**_header(spec, mode, command), **out,
         **common.seeds_and_epochs(first, second),
         "setup": common.setup(first, second),
         "n_runs": len(runs) + (0 if second is None else
                                sum(len(r.names) for r in second.groups.values())),
         "missing_datasets": missing,
         "hardware": {"device": meta["device"], "backend": meta["backend"]},
         "wall_time_s": {"train": meta["train_wall_time_s"],
                         "total_this_call": round(time.time() - t0, 1)},
         "results_csv": "results.csv"}
  if doc["verdict"] not in verdicts.VERDICTS:
    raise ValueError(f"verdict must be one of {verdicts.VERDICTS}, got "
                     f"{doc['verdict']!r}")
  doc = utils.jsonable(doc)
  utils.write_json_atomic(path, doc)
  return doc


def _benchmark(spec: ClaimSpec, mode: str, root: str, claim_dir: str,
               command: str, train_only: bool, t0: float, progress: bool
               ) -> dict | None:
  """`reproduce` for a claim that trains nothing (`spec.benchmark`): the
  measurement runs under the sweep folder's lock, like a sweep, also with
  `train_only` (the measurement is what the device is for)."""
  ctx = common.Context(claim_dir=claim_dir, root=root, missing=[], mode=mode)
  with checkpoint.lock_workdir(root, f"the benchmark folder of {spec.id}"):
    out = spec.benchmark(spec, mode, ctx, progress=progress)
  device = jax.devices()[0]
  doc = {**_header(spec, mode, command), **out, "seeds": [None, None],
         "epochs": [None, None], "n_runs": 0, "missing_datasets": [],
         "hardware": {"device": device.device_kind, "backend": device.platform},
         "wall_time_s": {"train": None,
                         "total_this_call": round(time.time() - t0, 1)}}
  if doc["verdict"] not in verdicts.VERDICTS:
    raise ValueError(f"verdict must be one of {verdicts.VERDICTS}, got "
                     f"{doc['verdict']!r}")
  doc = utils.jsonable(doc)
  utils.write_json_atomic(os.path.join(claim_dir, CLAIM_FILE), doc)
  return None if train_only else doc


def copy_claim(src_dir: str, dst_dir: str) -> None:
  """Copies a claim's folder (claim.json, figure, results.csv) elsewhere;
  hidden files (the sweep folder's `.lock`) stay."""
  os.makedirs(dst_dir, exist_ok=True)
  for f in os.listdir(src_dir):
    if os.path.isfile(os.path.join(src_dir, f)) and not f.startswith("."):
      shutil.copy2(os.path.join(src_dir, f), os.path.join(dst_dir, f))
