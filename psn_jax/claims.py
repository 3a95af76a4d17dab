"""Claims of the four seed papers, rerun as sweeps: analyses, verdicts, claim.json.

`configs/claims.py` defines each claim (`ClaimSpec`: the paper's number, the
sweep's runs per mode, the analysis); `reproduce(spec, mode, workdir)` trains
the sweep (`psn_jax.sweep.run`; a rerun resumes and then only re-analyses),
runs the claim's analysis and writes `workdir/<id>/claim.json`, a figure
`<id>.png` and the sweep's `results.csv` beside it. `experiments.report` turns
the claim.json files into `results/REPORT.md`.

Statistics (`../shared/research/reproductions.md`): mean +- std over seeds
(ddof 1) with the 95% t-interval of the mean; comparisons paired over seeds
(same seed: same data order, same mask draw where the arms allow), two-sided
paired t-test and Cohen's d on the paired differences; Pearson and partial
correlations (density as covariate) with 95% percentile-bootstrap intervals.
Accuracies in claim.json are in percent.

Verdicts (`VERDICTS`): `reproduced`, `partly`, `not reproduced`, `not run
here` (data absent), and `measured` for the atlas, which tests no paper. Each
analysis states its rule in its docstring and in the one-line reason.

Masks fixed before training (Liu's nearly identical starts, PSN's learned hub
placement) come from a file named by the config field `init_masks`, relative
to the claim's sweep folder; `mask_hook` resolves that name for the runner.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import shutil
import time
from typing import Any, Callable, Mapping, Sequence

import jax
import numpy as np

from psn_jax import data as data_lib
from psn_jax import equilibrium as equilibrium_lib
from psn_jax import masks as masks_lib
from psn_jax import plots
from psn_jax import results as results_lib
from psn_jax import runner
from psn_jax import stats
from psn_jax import sweep
from psn_jax import topology
from psn_jax import train as train_lib
from psn_jax import utils
from psn_jax.topology import concentration as conc_lib

__all__ = ["VERDICTS", "ClaimSpec", "reproduce", "mask_hook",
           "dataset_available", "feasible_points", "equilibrium_cvs",
           "learned_mask_files", "nearly_identical_file", "describe", "paired",
           "ANALYSES", "CLAIM_FILE"]

VERDICTS: tuple[str, ...] = ("reproduced", "partly", "not reproduced",
                             "not run here", "measured")
CLAIM_FILE = "claim.json"
NO_DATA = "data not available here"


@dataclasses.dataclass(frozen=True)
class ClaimSpec:
  """One claim: what the paper says, the runs that test it, the analysis.

  Attributes:
    id: claim id (`C1`, `L3`, `atlas`, ...).
    title: one line.
    source: the paper (and what of it is public).
    paper_text: the paper's sentence or numbers.
    paper_value: the number or rule compared against, short.
    runs: `runs(mode, root) -> list[sweep.Run]` (root: the sweep folder, for
      mask files).
    analysis: key of `ANALYSES`.
    stage2: `stage2(mode, first: SweepResult, root) -> runs` or None.
    sweep: folder name shared by claims that reuse one sweep (default: id).
    datasets: datasets the claim would use on a machine that has them all.
  """

  id: str
  title: str
  source: str
  paper_text: str
  paper_value: str
  runs: Callable[..., list]
  analysis: str
  stage2: Callable[..., list] | None = None
  sweep: str | None = None
  datasets: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Helpers used by configs/claims.py.


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


def _params_shape(config) -> dict[str, Any]:
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
  need divisible degrees; such points are left out (the claim reports how
  many cells were reachable) instead of failing the sweep.
  """
  shape = _params_shape(config)
  out = []
  for p in points:
    fields = {f: p.get(f, config.get(f)) for f in (
        "sparsity", "distribution", "profile", "cv", "dense_first",
        "dense_last")}
    if p.get("init_masks") or not fields["sparsity"]:
      out.append(p)
      continue
    key = json.dumps([sorted(fields.items(), key=str),
                      jax.tree.map(lambda s: s.shape, shape)], default=str)
    if key not in _FEASIBLE:
      try:
        masks_lib.make_masks(train_lib.mask_key(int(config.seed)), shape,
                             **fields)
        _FEASIBLE[key] = True
      except ValueError:
        _FEASIBLE[key] = False
    if _FEASIBLE[key]:
      out.append(p)
  return out


def nearly_identical_file(config, root: str, fraction: float = 0.01) -> str:
  """Liu et al.'s ten starts: one start, each next one `fraction` moved.

  Network 0 is `config`'s masks at seed `config.seed`; network i is network
  i - 1 with `fraction` of each sparse layer's connections moved
  (`masks.perturb_masks`, key folded with i). Network i is assigned to the
  i-th seed of `config`, so the ten runs differ also in data order and
  weight init, as independent runs do.

  Returns:
    The file name relative to `root` (written there when root is given).
  """
  name = os.path.join("masks", f"nearly_identical_{fraction:g}.npz")
  if not root:
    return name
  seeds = runner.seeds_of(config)
  shape = _params_shape(config)
  key = train_lib.mask_key(int(config.seed))
  chain = [masks_lib.make_masks(
      key, shape, sparsity=config.sparsity, distribution=config.distribution,
      profile=config.profile, cv=config.cv, dense_first=config.dense_first,
      dense_last=config.dense_last)]
  for i in range(1, len(seeds)):
    chain.append(masks_lib.perturb_masks(jax.random.fold_in(key, 1000 + i),
                                         chain[-1], fraction))
  stacked = jax.tree.map(lambda *m: np.stack(m), *chain)
  masks_lib.save_mask_file(os.path.join(root, name), stacked, seeds)
  return name


def _locate(result: sweep.SweepResult, name: str
            ) -> tuple[results_lib.Results, int]:
  for res in result.groups.values():
    if name in res.names:
      return res, res.index(name)
  raise KeyError(f"run {name!r} is not in the sweep")


def equilibrium_cvs(first: sweep.SweepResult, name: str) -> list[float | None]:
  """Per-layer CV of RigL's final fan-ins of run `name`, pooled over seeds."""
  res, v = _locate(first, name)
  pooled = equilibrium_lib.pool_artifacts(equilibrium_lib.seed_artifacts(
      res.records, res.record_steps, res.fan_ins, v))
  return [None if c is None else round(float(c), 4)
          for c in equilibrium_lib.matched_cvs(pooled)]


def _random_inputs(rng: np.random.Generator, n_in: int, fan: np.ndarray
                   ) -> np.ndarray:
  order = np.argsort(rng.random((n_in, fan.size)), axis=0)
  mask = np.zeros((n_in, fan.size), bool)
  np.put_along_axis(mask, order, np.arange(n_in)[:, None] < fan[None, :], axis=0)
  return mask


def learned_mask_files(first: sweep.SweepResult, name: str, root: str
                       ) -> dict[str, str]:
  """Static masks from RigL's final masks of run `name` (PSN's C6 test).

  Three files (relative to `root`), one mask set per seed:
  * `learned`: RigL's final masks (learned hubs and wiring);
  * `hubs_kept`: every neuron keeps its learned fan-in, inputs drawn at
    random (placement kept, wiring forgotten);
  * `fanins_shuffled`: the same fan-ins permuted across the layer's neurons,
    inputs at random (the variance kept, the placement forgotten).
  Dense layers stay dense. Randomness: `np.random.default_rng([seed, layer])`.
  """
  res, v = _locate(first, name)
  if not len(res.snapshot_epochs):
    raise ValueError(f"run {name!r} has no mask snapshots "
                     "(track.snapshot_every must be > 0)")
  sets: dict[str, list] = {"learned": [], "hubs_kept": [], "fanins_shuffled": []}
  for s, seed in enumerate(res.seeds):
    final = res.mask_snapshot(v, s, len(res.snapshot_epochs) - 1)
    kept, shuffled = {}, {}
    for l, layer in enumerate(res.layers):
      m = final[layer]["kernel"]
      if m.all():
        kept[layer] = shuffled[layer] = final[layer]
        continue
      rng = np.random.default_rng([int(seed), l])
      fan = m.sum(axis=0)
      bias = final[layer]["bias"]
      kept[layer] = {"kernel": _random_inputs(rng, m.shape[0], fan), "bias": bias}
      shuffled[layer] = {"kernel": _random_inputs(rng, m.shape[0],
                                                  rng.permutation(fan)),
                         "bias": bias}
    sets["learned"].append(final)
    sets["hubs_kept"].append(kept)
    sets["fanins_shuffled"].append(shuffled)
  out = {}
  for key, per_seed in sets.items():
    rel = os.path.join("masks", f"{key}.npz")
    if root:
      stacked = jax.tree.map(lambda *m: np.stack(m), *per_seed)
      masks_lib.save_mask_file(os.path.join(root, rel), stacked, res.seeds)
    out[key] = rel
  return out


@contextlib.contextmanager
def mask_hook(root: str):
  """Makes `runner.build_masks` read `config.init_masks` relative to `root`.

  The claims store mask files under their sweep folder and name them in the
  config relative to it, so a sweep folder can move (GPU -> CPU) and still
  resume or re-analyse (configs compare equal). This swaps in a wrapper of
  `runner.build_masks` that resolves the relative name for the duration of a
  sweep (the runner itself reads the name as given), and makes sure
  `init_masks` is one of `runner.BATCHED_FIELDS` (masks are batched data, so
  runs that differ only in their mask file share one program).
  """
  original = runner.build_masks
  batched = runner.BATCHED_FIELDS

  def build_masks(config, params_shape, seeds):
    path = config.get("init_masks", "")
    if path:
      full = path if os.path.isabs(path) else os.path.join(root, path)
      return masks_lib.load_mask_file(full, params_shape, seeds)
    return original(config, params_shape, seeds)

  runner.build_masks = build_masks
  if "init_masks" not in batched:
    runner.BATCHED_FIELDS = batched + ("init_masks",)
  try:
    yield
  finally:
    runner.build_masks = original
    runner.BATCHED_FIELDS = batched


# ---------------------------------------------------------------------------
# Statistics in percent.


def _f(x: Any) -> float | None:
  """A finite float, or None (JSON has no NaN)."""
  try:
    v = float(x)
  except (TypeError, ValueError):
    return None
  return v if math.isfinite(v) else None


def describe(x: Any, scale: float = 100.0) -> dict[str, Any]:
  """Mean, std (ddof 1), n and 95% t-interval of `scale * x`."""
  m = stats.mean_ci(np.asarray(x, np.float64) * scale)
  return {"mean": _f(m.mean), "std": _f(m.std), "n": m.n,
          "ci95": [_f(m.lo), _f(m.hi)]}


def paired(a: Any, b: Any, scale: float = 100.0) -> dict[str, Any]:
  """a - b paired over seeds: mean, std, n, 95% CI, two-sided p, Cohen's d."""
  a = np.asarray(a, np.float64) * scale
  b = np.asarray(b, np.float64) * scale
  r = stats.paired_comparison(a, b)
  m = stats.mean_ci(a - b)
  return {"mean": _f(r.mean_diff), "std": _f(r.std_diff), "n": r.n,
          "ci95": [_f(m.lo), _f(m.hi)], "p": _f(r.p), "d": _f(r.cohen_d)}


def _pm(d: Mapping[str, Any], digits: int = 2) -> str:
  mean, std = d.get("mean"), d.get("std")
  if mean is None:
    return "-"
  s = f"{mean:+.{digits}f}" if d.get("signed") else f"{mean:.{digits}f}"
  return s + (f" +- {std:.{digits}f}" if std is not None else "")


def _n(x: Any, digits: int = 2) -> str:
  return "-" if x is None else f"{x:.{digits}f}"


def _fmt_p(p: Any) -> str:
  return "-" if p is None else (f"{p:.2g}" if p >= 1e-4 else "<1e-4")


def _acc(result: sweep.SweepResult, name: str, metric: str = "test_accuracy"
         ) -> np.ndarray:
  res, v = _locate(result, name)
  return np.asarray(res.history[metric][v, :, -1], np.float64)


def _names(result: sweep.SweepResult) -> list[str]:
  return [n for res in result.groups.values() for n in res.names]


def _hidden_layers(res: results_lib.Results) -> list[str]:
  return res.layers[:-1]


def _corr_ci(x: np.ndarray, y: np.ndarray, cov: np.ndarray | None = None,
             n_boot: int = 1000) -> dict[str, Any]:
  """Pearson (or partial, given covariates) r, p and a bootstrap 95% CI."""
  if cov is None:
    r, p = stats.pearson_r(x, y)
    fn = lambda a, b: stats.pearson_r(a, b)[0]  # noqa: E731
    ci = stats.bootstrap_ci(fn, x, y, n_boot=n_boot) if len(x) > 3 else (
        math.nan, math.nan)
  else:
    r, p = stats.partial_correlation(x, y, cov)
    fn = lambda a, b, c: stats.partial_correlation(a, b, c)[0]  # noqa: E731
    ci = stats.bootstrap_ci(fn, x, y, cov, n_boot=n_boot) if len(x) > 4 else (
        math.nan, math.nan)
  return {"r": _f(r), "p": _f(p), "n": int(len(x)), "ci95": [_f(ci[0]), _f(ci[1])]}


# ---------------------------------------------------------------------------
# Topology measures of the initial masks, cached per mask content.


def _layers_of(tree: Mapping[str, Any]) -> list[np.ndarray]:
  return [np.asarray(tree[k]["kernel"]) for k in utils.natural_order(tree)]


# ARPACK on the sparse graph: the same values as a dense eigh (to ~1e-14 here)
# in ~0.05 s instead of seconds (a dense eigh of ~900 vertices took 11 s on a
# loaded 2-core machine).
_SOLVER = "sparse"


def _measure(layers: list[np.ndarray], which: Sequence[str],
             reference: list[np.ndarray] | None) -> dict[str, float | None]:
  out: dict[str, float | None] = {}
  l0 = layers[0]
  shape = (28, 28) if l0.shape[0] == 784 else None
  for w in which:
    if w == "fan_in_cv":
      out[w] = _f(topology.cv(l0.sum(axis=0)))
    elif w == "dead":
      out[w] = float(np.count_nonzero(l0.sum(axis=0) == 0))
    elif w == "normalized_gap":
      out[w] = _f(topology.spectral_gap(l0, kind="normalized", solver=_SOLVER))
    elif w == "lambda_2":
      out[w] = _f(topology.algebraic_connectivity(l0, solver=_SOLVER))
    elif w == "network_lambda_2":
      out[w] = _f(topology.network_algebraic_connectivity(layers,
                                                          solver=_SOLVER))
    elif w in ("scatter", "scatter_forward"):
      sc = topology.network_scatter(layers, shape, (4, 4))
      out["scatter"] = _f(sc.value)
      out["scatter_forward"] = _f(sc.forward[0])
    elif w == "nnstd_to_random":
      out[w] = None if reference is None else _f(
          topology.nnstd(l0, reference[0]).per_layer[0])
    elif w == "density":
      out[w] = _f(sum(m.sum() for m in layers) / sum(m.size for m in layers))
    else:
      raise ValueError(f"measure must be a known name, got {w!r}")
  return out


def measure_runs(result: sweep.SweepResult, names: Sequence[str],
                 which: Sequence[str], cache_path: str | None = None,
                 reference: Callable[[str], str | None] | None = None,
                 snapshot: int = 0) -> dict[tuple[str, int], dict]:
  """Topology measures of each (run, seed)'s masks at `snapshot` (0: start).

  Values are cached in `cache_path` (JSON) by a hash of the mask bits and the
  measure, so claims sharing a sweep and reruns measure each mask once.
  `reference(name)` names the run whose mask (same seed) NNSTD compares to.
  """
  cache: dict[str, Any] = {}
  if cache_path and os.path.exists(cache_path):
    with open(cache_path) as f:
      cache = json.load(f)
  out = {}
  for name in names:
    res, v = _locate(result, name)
    if not len(res.snapshot_epochs):
      raise ValueError("track.snapshot_every must be > 0 to measure masks")
    for s in range(len(res.seeds)):
      tree = res.mask_snapshot(v, s, snapshot)
      layers = _layers_of(tree)
      ref_name = reference(name) if reference else None
      ref = None
      if ref_name is not None:
        rres, rv = _locate(result, ref_name)
        ref = _layers_of(rres.mask_snapshot(rv, s, snapshot))
      h = hashlib.sha1(b"".join(np.packbits(m).tobytes() for m in layers)
                       + (b"" if ref is None else np.packbits(ref[0]).tobytes())
                       ).hexdigest()
      values = dict(cache.get(h, {}))
      todo = [w for w in which if w not in values]
      if todo:
        values.update(_measure(layers, todo, ref))
        cache[h] = values
      out[(name, s)] = {w: values.get(w) for w in which}
  if cache_path:
    os.makedirs(os.path.dirname(cache_path) or ".", exist_ok=True)
    utils.write_json_atomic(cache_path, dict(sorted(cache.items())))
  return out


# ---------------------------------------------------------------------------
# Analyses: (spec, first, second, ctx) -> dict(ours, rows, verdict, reason).


@dataclasses.dataclass
class Context:
  """What an analysis may use besides the results."""

  claim_dir: str
  root: str
  missing: list[str]
  mode: str

  def figure(self, spec: ClaimSpec, fig) -> str:
    name = f"{spec.id}.png"
    plots.save(fig, os.path.join(self.claim_dir, name))
    return name


def _verdict(ok_all: bool, ok_some: bool) -> str:
  return "reproduced" if ok_all else ("partly" if ok_some else "not reproduced")


def gap_to_dense(spec, first, second, ctx) -> dict:
  """C1. Verdict: every profile's mean gap to dense <= 0.6 pp on every dataset
  run here -> reproduced; on some dataset, or at least half the (dataset,
  profile) cells -> partly; otherwise not reproduced."""
  rows, groups, gaps, worst = [], {}, [], None
  datasets = sorted({n.split("/")[0] for n in _names(first)},
                    key=lambda d: spec.datasets.index(d) if d in spec.datasets
                    else 99)
  per_ds_ok = []
  for ds in datasets:
    dense = _acc(first, f"{ds}/dense")
    groups[ds] = {}
    ok = True
    for name in _names(first):
      if not name.startswith(ds + "/") or name.endswith("/dense"):
        continue
      arm = name.split("/", 1)[1]
      a = _acc(first, name)
      gap = paired(dense, a)
      rows.append({"dataset": ds, "arm": arm, "accuracy": describe(a),
                   "dense": describe(dense), "gap_to_dense": gap})
      groups[ds][arm] = (gap["mean"], gap["std"])
      gaps.append(gap["mean"])
      ok &= gap["mean"] <= 0.6
      if worst is None or gap["mean"] > worst[2]["mean"]:
        worst = (ds, arm, gap)
    per_ds_ok.append(ok)
  for ds in ctx.missing:
    rows.append({"dataset": ds, "note": NO_DATA})
  fig, (ax,) = plots.claim_figure(1, width=7)
  plots.claim_bars(groups, ax, ylabel="dense - sparse test accuracy (pp)",
                   band=(0.2, 0.6), band_label="PSN: 0.2-0.6 pp",
                   title="C1: gap to dense at 90% sparsity (mean +- std, seeds)")
  n_ok = sum(g <= 0.6 for g in gaps)
  verdict = _verdict(all(per_ds_ok), any(per_ds_ok) or n_ok >= len(gaps) / 2)
  ds, arm, gap = worst
  return {
      "ours": {**gap, "text": f"worst gap {gap['mean']:.2f} pp ({arm}, {ds}); "
               f"median {np.median(gaps):.2f} pp; {n_ok}/{len(gaps)} cells "
               "<= 0.6 pp", "unit": "pp"},
      "rows": rows, "figure": ctx.figure(spec, fig), "verdict": verdict,
      "reason": f"{n_ok} of {len(gaps)} (dataset, profile) gaps to dense are "
                f"<= 0.6 pp; largest {gap['mean']:.2f} pp ({arm}, {ds})"
                + (f"; {', '.join(ctx.missing)}: {NO_DATA}" if ctx.missing
                   else "")}


def recipe(spec, first, second, ctx) -> dict:
  """C1R. Verdict: some recipe gives both uniform and random within 0.6 pp of
  dense -> reproduced (the recipe is named); a recipe gives one of them ->
  partly; none -> not reproduced."""
  rows, groups, best = [], {}, None
  tags = sorted({n.split("/")[0] for n in _names(first)})
  ok_all, ok_some = False, False
  for tag in tags:
    dense = _acc(first, f"{tag}/dense")
    dense_train = _acc(first, f"{tag}/dense", "train_accuracy")
    groups[tag] = {}
    oks = []
    for arm in ("uniform", "random"):
      a = _acc(first, f"{tag}/{arm}")
      gap = paired(dense, a)
      train_gap = paired(dense_train, _acc(first, f"{tag}/{arm}",
                                           "train_accuracy"))
      rows.append({"recipe": tag, "arm": arm, "accuracy": describe(a),
                   "dense": describe(dense), "gap_to_dense": gap,
                   "train_gap_to_dense": train_gap})
      groups[tag][f"{arm} (test)"] = (gap["mean"], gap["std"])
      groups[tag][f"{arm} (train)"] = (train_gap["mean"], train_gap["std"])
      oks.append(gap["mean"] <= 0.6)
      if best is None or gap["mean"] < best[2]["mean"]:
        best = (tag, arm, gap)
    ok_all |= all(oks)
    ok_some |= any(oks)
  fig, (ax,) = plots.claim_figure(1, width=7)
  plots.claim_bars(groups, ax, ylabel="dense - sparse accuracy (pp)",
                   band=(0.2, 0.6), band_label="PSN: 0.2-0.6 pp",
                   title="C1R: gap to dense per recipe (hidden_optimizer)")
  tag, arm, gap = best
  good = sorted({r["recipe"] for r in rows if r["gap_to_dense"]["mean"] <= 0.6})
  return {"ours": {**gap, "text": f"smallest gap {gap['mean']:.2f} pp ({arm}, "
                   f"{tag})", "unit": "pp"},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(ok_all, ok_some),
          "reason": ("recipes within 0.6 pp: " + ", ".join(good)) if good else
                    f"no recipe within 0.6 pp; smallest {gap['mean']:.2f} pp "
                    f"({arm}, {tag})"}


def grid(spec, first, second, ctx) -> dict:
  """C2. Verdict: every reachable cell within 0.6 pp of dense -> reproduced;
  else if at each sparsity every shape is within 0.6 pp of random at that
  sparsity (shape does not matter, density does) -> partly; else not."""
  dense = _acc(first, "dense")
  rows, series = [], {}
  names = [n for n in _names(first) if n != "dense"]
  sparsities = sorted({float(n.split("/")[0][1:]) for n in names})
  fig, axes = plots.claim_figure(len(sparsities), width=4.2)
  n_ok, shape_ok = 0, True
  for ax, s in zip(axes, sparsities):
    tag = f"s{s:g}"
    rnd = _acc(first, f"{tag}/random")
    series = {}
    for name in [n for n in names if n.startswith(tag + "/")]:
      arm = name.split("/", 1)[1]
      a = _acc(first, name)
      gap = paired(dense, a)
      vs_random = paired(a, rnd)
      n_ok += gap["mean"] <= 0.6
      shape_ok &= abs(vs_random["mean"]) <= 0.6
      family, _, cv = arm.rpartition("_cv")
      rows.append({"sparsity": s, "arm": arm, "accuracy": describe(a),
                   "gap_to_dense": gap, "vs_random": vs_random})
      if family:
        x, y, e = series.get(family, ([], [], []))
        series[family] = (x + [float(cv)], y + [gap["mean"]], e + [gap["std"]])
    rg = paired(dense, rnd)
    plots.claim_lines(series, ax, xlabel="target fan-in CV",
                      ylabel="dense - sparse test accuracy (pp)",
                      hline=(rg["mean"], rg["std"], "random placement"),
                      title=f"sparsity {100 * s:g}%")
  cells = len(rows)
  worst = max(rows, key=lambda r: r["gap_to_dense"]["mean"])
  verdict = "reproduced" if n_ok == cells else (
      "partly" if shape_ok else "not reproduced")
  return {"ours": {**worst["gap_to_dense"], "text": f"{n_ok}/{cells} reachable "
                   f"cells within 0.6 pp of dense; worst {worst['arm']} at "
                   f"{100 * worst['sparsity']:g}%", "unit": "pp"},
          "rows": rows, "figure": ctx.figure(spec, fig), "verdict": verdict,
          "reason": f"{n_ok} of {cells} reachable (shape, CV, sparsity) cells "
                    f"within 0.6 pp of dense; shapes "
                    + ("stay" if shape_ok else "do not stay")
                    + " within 0.6 pp of random at equal sparsity"}


def gradient(spec, first, second, ctx) -> dict:
  """C3. Verdict: pooled r(CV, concentration) >= 0.8, random ~1x (0.8-1.25)
  and some CV >= 1 profile >= 2x -> reproduced; r >= 0.8 or the magnitudes
  alone -> partly; else not. The second measure (RMS gradient per active
  weight, norm / sqrt(fan-in), not tied to a hub's number of weights) is
  reported beside it."""
  (res,) = list(first.groups.values())
  layers = _hidden_layers(res)
  table = conc_lib.variant_table(res.grad_norm, res.fan_ins, res.names,
                                 layers=layers)
  xs, ys, ys2 = [], [], []
  rms_by: dict[str, list[float]] = {}
  for r in table["runs"]:
    v = res.index(r["variant"])
    for layer in layers:
      if r["layer"] != layer:
        continue
      g = np.asarray(res.grad_norm[layer][v, r["seed"]], np.float64)
      f = np.asarray(res.fan_ins[layer][v, r["seed"]], np.float64)
      keep = f > 0
      rms = conc_lib.concentration(g[keep] / np.sqrt(f[keep]), f[keep])
      if r["fan_in_cv"] is not None and r["concentration"] is not None:
        xs.append(r["fan_in_cv"])
        ys.append(r["concentration"])
        ys2.append(rms)
      rms_by.setdefault(r["variant"], []).append(rms)
  corr = _corr_ci(np.asarray(xs), np.asarray(ys))
  corr2 = _corr_ci(np.asarray(xs), np.asarray(ys2))
  rows = [{**row, "rms_per_weight": _f(np.mean(rms_by[row["variant"]]))}
          for row in table["rows"]]
  rnd = [r["concentration"] for r in rows if r["variant"] == "random"
         and r["concentration"] is not None]
  structured = [r["concentration"] for r in rows if r["variant"] not in
                ("random", "uniform") and (r["fan_in_cv"] or 0) >= 1
                and r["concentration"] is not None]
  rnd_c = float(np.mean(rnd)) if rnd else math.nan
  top = max(structured) if structured else math.nan
  r_ok = (corr["r"] or 0) >= 0.8
  mag_ok = 0.8 <= rnd_c <= 1.25 and top >= 2
  fig, axes = plots.claim_figure(2, width=4.6)
  plots.accuracy_vs_measure(np.asarray(xs), np.asarray(ys), ax=axes[0],
                            xlabel="fan-in CV of the layer",
                            ylabel="gradient concentration at hubs (x)")
  plots.accuracy_vs_measure(np.asarray(xs), np.asarray(ys2), ax=axes[1],
                            xlabel="fan-in CV of the layer",
                            ylabel="RMS gradient per weight at hubs (x)")
  return {"ours": {"r": corr["r"], "ci95": corr["ci95"], "p": corr["p"],
                   "n": corr["n"], "text": f"r = {_n(corr['r'], 3)} "
                   f"(95% CI {_n(corr['ci95'][0])}, {_n(corr['ci95'][1])}); "
                   f"random {rnd_c:.2f}x; largest CV>=1 profile {top:.2f}x; "
                   f"RMS per weight r = {_n(corr2['r'])}"},
          "correlation": corr, "correlation_rms_per_weight": corr2,
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(r_ok and mag_ok, r_ok or mag_ok),
          "reason": f"r(CV, concentration) = {corr['r']:.2f} over {corr['n']} "
                    f"layer-runs; random {rnd_c:.2f}x, hubs up to {top:.2f}x; "
                    f"per-weight RMS measure r = {corr2['r']:.2f}"
                    if corr["r"] is not None and corr2["r"] is not None
                    else "correlation undefined (too few runs)"}


def convergence(spec, first, second, ctx) -> dict:
  """C4. Per layer, the range over starts of the seed-mean fan-in CV at the
  start (snapshot 0) and at the end. Verdict: with at least one hub start,
  every layer's final range <= 0.1 or <= 25% of its start range ->
  reproduced; the flat starts (uniform, random) end within 0.1 of each other
  in every layer -> partly; else not."""
  (res,) = list(first.groups.values())
  layers = [l for l in res.layers if res.records.get(l)]
  rows, ok_all, ok_flat = [], True, True
  fig, axes = plots.claim_figure(len(layers), width=4.4)
  for ax, layer in zip(axes, layers):
    starts, finals = {}, {}
    for v, name in enumerate(res.names):
      s0 = [topology.cv(res.mask_snapshot(v, s, 0)[layer]["kernel"].sum(axis=0))
            for s in range(len(res.seeds))]
      s1 = [topology.cv(res.fan_ins[layer][v, s]) for s in range(len(res.seeds))]
      starts[name], finals[name] = float(np.mean(s0)), float(np.mean(s1))
      rows.append({"layer": layer, "start": name, "cv_start": describe(s0, 1),
                   "cv_final": describe(s1, 1)})
    r0 = max(starts.values()) - min(starts.values())
    r1 = max(finals.values()) - min(finals.values())
    ok_all &= r1 <= 0.1 or r1 <= 0.25 * r0
    if "uniform" in finals and "random" in finals:
      ok_flat &= abs(finals["uniform"] - finals["random"]) <= 0.1
    rows.append({"layer": layer, "start_range": _f(r0), "final_range": _f(r1)})
    cv = np.asarray(res.records[layer]["fan_in_cv"], np.float64)
    steps = np.asarray(res.record_steps)
    series = {n: (steps, cv[v].mean(0), cv[v].std(0, ddof=1) if cv.shape[1] > 1
                  else None) for v, n in enumerate(res.names)}
    plots.claim_lines(series, ax, xlabel="training step",
                      ylabel="fan-in CV", title=f"C4: RigL, {layer}")
  hub_starts = [n for n in res.names if n not in ("uniform", "random")]
  ok_all &= bool(hub_starts)  # flat starts alone cannot show "any start"
  ranges = [r for r in rows if "final_range" in r]
  text = "; ".join(f"{r['layer']}: CV range {r['start_range']:.2f} -> "
                   f"{r['final_range']:.2f}" for r in ranges)
  return {"ours": {"text": text}, "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(ok_all, ok_flat),
          "reason": "range over starts of the final fan-in CV: " + text}


def lognormal_vs_erk(spec, first, second, ctx) -> dict:
  """C5. Verdict: lognormal(matched) - ERK > 0 with two-sided paired p < 0.05
  -> reproduced; > 0 but p >= 0.05 -> partly; <= 0 -> not reproduced."""
  erk, uni = _acc(first, "erk"), _acc(first, "uniform")
  logn = _acc(second, "lognormal_matched")
  d = paired(logn, erk)
  du = paired(logn, uni)
  res2, v2 = _locate(second, "lognormal_matched")
  cvs = res2.configs[v2].get("cv")
  rows = [{"arm": "rigl_from_erk", "accuracy": describe(erk)},
          {"arm": "rigl_from_uniform", "accuracy": describe(uni)},
          {"arm": "rigl_from_lognormal_matched", "accuracy": describe(logn),
           "matched_cv_per_layer": cvs},
          {"comparison": "lognormal - erk", **d},
          {"comparison": "lognormal - uniform", **du}]
  fig, axes = plots.claim_figure(2, width=4.6)
  plots.claim_bars({"Fashion-MNIST": {
      "RigL from ERK": (describe(erk)["mean"], describe(erk)["std"]),
      "from uniform": (describe(uni)["mean"], describe(uni)["std"]),
      "from lognormal (matched)": (describe(logn)["mean"],
                                   describe(logn)["std"])}},
      axes[0], ylabel="test accuracy (%)", title="C5: final accuracy")
  lo = min(describe(a)["mean"] for a in (erk, uni, logn))
  axes[0].set_ylim(bottom=max(0.0, lo - 3))
  diffs = 100 * (logn - erk)
  axes[1].plot(np.arange(diffs.size), diffs, "o", color=plots.OKABE_ITO[0],
               label="per seed")
  axes[1].axhline(d["mean"], color=plots.OKABE_ITO[3], label="mean")
  if d["ci95"][0] is not None:
    axes[1].axhspan(d["ci95"][0], d["ci95"][1], color=plots.OKABE_ITO[3],
                    alpha=0.2, label="95% CI")
  axes[1].axhline(0.16, color="#555555", linestyle="--", label="PSN: +0.16")
  axes[1].set_xticks(np.arange(diffs.size))
  axes[1].set(xlabel="seed index", ylabel="lognormal - ERK (pp)",
              title=f"paired over {d['n']} seeds")
  axes[1].legend(fontsize=7)
  verdict = "reproduced" if d["mean"] > 0 and (d["p"] or 1) < 0.05 else (
      "partly" if d["mean"] > 0 else "not reproduced")
  return {"ours": {**d, "text": f"{d['mean']:+.2f} pp (p = {_fmt_p(d['p'])}, "
                   f"d = {d['d'] if d['d'] is None else round(d['d'], 2)}, "
                   f"n = {d['n']} paired seeds)", "unit": "pp"},
          "rows": rows, "figure": ctx.figure(spec, fig), "verdict": verdict,
          "reason": f"lognormal(matched) - ERK = {d['mean']:+.2f} pp, two-sided "
                    f"paired p = {_fmt_p(d['p'])} over {d['n']} seeds "
                    f"(Fashion-MNIST only{'; EMNIST, Forest Cover: ' + NO_DATA}"
                    ")"}


def placement(spec, first, second, ctx) -> dict:
  """C6. placement = hubs_kept - fanins_shuffled, variance = fanins_shuffled -
  random_erk, paired. Verdict: placement > 0 with p < 0.05 and placement >
  variance -> reproduced; placement > 0 (ns) or > variance -> partly; else not."""
  arms = {n: _acc(second, n) for n in ("random_erk", "learned", "hubs_kept",
                                       "fanins_shuffled")}
  rigl = _acc(first, "rigl_erk")
  place = paired(arms["hubs_kept"], arms["fanins_shuffled"])
  var = paired(arms["fanins_shuffled"], arms["random_erk"])
  wiring = paired(arms["learned"], arms["hubs_kept"])
  rows = [{"arm": "rigl (dynamic)", "accuracy": describe(rigl)}]
  rows += [{"arm": n, "accuracy": describe(a)} for n, a in arms.items()]
  rows += [{"comparison": "placement: hubs_kept - fanins_shuffled", **place},
           {"comparison": "variance: fanins_shuffled - random_erk", **var},
           {"comparison": "wiring: learned - hubs_kept", **wiring}]
  fig, (ax,) = plots.claim_figure(1, width=6)
  plots.claim_bars({"effect (pp)": {"placement": (place["mean"], place["std"]),
                                    "variance": (var["mean"], var["std"]),
                                    "wiring": (wiring["mean"], wiring["std"])}},
                   ax, ylabel="paired accuracy difference (pp)",
                   title="C6: static masks from RigL's learned topology")
  ok = place["mean"] > 0 and (place["p"] or 1) < 0.05 and place["mean"] > var["mean"]
  some = place["mean"] > 0 or place["mean"] > var["mean"]
  return {"ours": {**place, "text": f"placement {place['mean']:+.2f} pp (p = "
                   f"{_fmt_p(place['p'])}) vs variance {var['mean']:+.2f} pp "
                   f"(p = {_fmt_p(var['p'])})", "unit": "pp"},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(ok, some),
          "reason": f"keeping which neurons are hubs: {place['mean']:+.2f} pp "
                    f"(p = {_fmt_p(place['p'])}); fan-in variance itself: "
                    f"{var['mean']:+.2f} pp; n = {place['n']} paired seeds"}


def sparse_vs_dense(spec, first, second, ctx) -> dict:
  """L2. Verdict: some sparse arm beats dense with paired p < 0.05 ->
  reproduced; some sparse arm's mean >= dense's mean - 0.2 pp -> partly;
  else not reproduced."""
  dense = _acc(first, "dense")
  rows, series, best = [], {}, None
  for name in _names(first):
    if name == "dense":
      continue
    algo, arm = name.split("/")
    s = float(arm.split("_s")[1])
    a = _acc(first, name)
    d = paired(a, dense)
    rows.append({"training": "SET" if algo == "set" else "static",
                 "density": _f(1 - s), "accuracy": describe(a),
                 "minus_dense": d})
    x, y, e = series.get(algo, ([], [], []))
    da = describe(a)
    series[algo] = (x + [1 - s], y + [da["mean"]], e + [da["std"]])
    if best is None or d["mean"] > best[1]["mean"]:
      best = (name, d)
  fig, (ax,) = plots.claim_figure(1, width=6)
  dd = describe(dense)
  plots.claim_lines({("SET" if k == "set" else "static"): v
                     for k, v in series.items()}, ax,
                    xlabel="density of the hidden layers (fraction)",
                    ylabel="test accuracy (%)", logx=True,
                    hline=(dd["mean"], dd["std"], "dense"),
                    title="L2: sparse MLPs vs dense (Fashion-MNIST)")
  name, d = best
  ok = d["mean"] > 0 and (d["p"] or 1) < 0.05
  return {"ours": {**d, "text": f"best sparse - dense {d['mean']:+.2f} pp "
                   f"({name}, p = {_fmt_p(d['p'])})", "unit": "pp"},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(ok, d["mean"] >= -0.2),
          "reason": f"best sparse arm {name}: {d['mean']:+.2f} pp vs dense "
                    f"(paired p = {_fmt_p(d['p'])}, n = {d['n']})"}


def _nnstd_rows(res: results_lib.Results) -> dict[str, Any]:
  """NNSTD of network 0 against the others at every snapshot, matrices at
  the first and last."""
  n = len(res.seeds)
  snaps = list(range(len(res.snapshot_epochs)))
  nets = {t: [_layers_of(res.mask_snapshot(0, s, t)) for s in range(n)]
          for t in snaps}
  sparse = [l for l, m in enumerate(nets[0][0]) if not m.all()]
  out = {"epochs": [int(e) for e in res.snapshot_epochs], "w0_layer0": [],
         "w0_sparse_mean": [], "matrices": {}}
  for t in snaps:
    d0, dm = [], []
    for s in range(1, n):
      r = topology.nnstd(nets[t][0], nets[t][s])
      d0.append(float(r.per_layer[0]))
      dm.append(float(np.mean(r.per_layer[sparse])))
    out["w0_layer0"].append(d0)
    out["w0_sparse_mean"].append(dm)
  for t in sorted({snaps[0], snaps[len(snaps) // 2], snaps[-1]}):
    out["matrices"][str(int(res.snapshot_epochs[t]))] = topology.nnstd_matrix(
        [[m[0]] for m in nets[t]], symmetric=True).tolist()
  return out


def drift(spec, first, second, ctx) -> dict:
  """L3. Layer-0 NNSTD of network 0 against networks 1..9. Verdict: the mean
  grows by >= 0.1 from the start to the last snapshot -> reproduced; grows by
  less -> partly; does not grow -> not reproduced. A random baseline (two
  independent masks of the same density) is reported beside it."""
  (res,) = list(first.groups.values())
  cache = os.path.join(ctx.root, "nnstd.json")
  key = f"{res.names}{res.seeds}{[int(e) for e in res.snapshot_epochs]}"
  data = None
  if os.path.exists(cache):
    with open(cache) as f:
      stored = json.load(f)
    data = stored.get("data") if stored.get("key") == key else None
  if data is None:
    data = _nnstd_rows(res)
    utils.write_json_atomic(cache, {"key": key, "data": data})
  epochs = data["epochs"]
  mean0 = [float(np.mean(d)) for d in data["w0_layer0"]]
  c = res.configs[0]
  start = _layers_of(res.mask_snapshot(0, 0, 0))
  other = masks_lib.make_masks(
      train_lib.mask_key(10_000), {f"Dense_{i}": {"kernel": m}
                                   for i, m in enumerate(start)},
      sparsity=c["sparsity"], profile="erdos_renyi",
      dense_last=c["dense_last"])
  baseline = float(topology.nnstd(start[0], _layers_of(other)[0]).per_layer[0])
  pick = [i for i in (1, 5, 9) if i - 1 < len(data["w0_layer0"][0])]
  first_t = 1 if len(epochs) > 1 else 0
  rows = [{"epoch": e, "w0_vs_others_layer0": describe(d, 1),
           "w0_vs_others_sparse_mean": describe(m, 1),
           **{f"w0_vs_w{i}": _f(d[i - 1]) for i in pick}}
          for e, d, m in zip(epochs, data["w0_layer0"], data["w0_sparse_mean"])]
  rows.append({"random_baseline_layer0": baseline})
  mats = data["matrices"]
  fig, axes = plots.claim_figure(len(mats) + 1, width=4.2)
  for ax, (e, m) in zip(axes, mats.items()):
    plots.nnstd_heatmap(np.asarray(m), [f"w{i}" for i in range(len(m))], ax=ax,
                        annotate=False)
    ax.set_title(f"layer-0 NNSTD, epoch {e}")
  series = {f"w0 vs w{i}": (epochs, [d[i - 1] for d in data["w0_layer0"]], None)
            for i in pick}
  plots.claim_lines(series, axes[-1], xlabel="epoch", ylabel="layer-0 NNSTD",
                    hline=(baseline, None, "independent random masks"),
                    title="L3: drift of nearly identical starts")
  grow = mean0[-1] - mean0[0]
  d_first = {f"w{i}": _f(data["w0_layer0"][first_t][i - 1]) for i in pick}
  d_last = {f"w{i}": _f(data["w0_layer0"][-1][i - 1]) for i in pick}
  fmt = lambda d: "/".join(f"{v:.2f}" for v in d.values())  # noqa: E731
  return {"ours": {"mean": _f(mean0[-1]), "text": f"w0 vs {'/'.join(d_last)}: "
                   f"{fmt(d_first)} at epoch {epochs[first_t]}, {fmt(d_last)} "
                   f"at epoch {epochs[-1]} (random masks: {baseline:.2f})"},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": "reproduced" if grow >= 0.1 else (
              "partly" if grow > 0 else "not reproduced"),
          "reason": f"mean layer-0 NNSTD to w0 {mean0[0]:.2f} -> {mean0[-1]:.2f} "
                    f"over {epochs[-1]} epochs (Liu: 0.47-0.54 after 190; "
                    f"independent masks {baseline:.2f})"}


def same_accuracy(spec, first, second, ctx) -> dict:
  """L4. Verdict: the ten networks' final accuracies span <= 0.6 pp (Liu's
  87.1-87.6%) -> reproduced; <= 1.5 pp -> partly; wider -> not reproduced."""
  (res,) = list(first.groups.values())
  acc = 100 * np.asarray(res.final_test_accuracy[0], np.float64)
  span = float(acc.max() - acc.min())
  fig, (ax,) = plots.claim_figure(1, width=6)
  plots.claim_bars({"networks": {f"w{i}": (float(a), None)
                                 for i, a in enumerate(acc)}}, ax,
                   ylabel="test accuracy (%)",
                   title="L4: final accuracy of the ten nearly identical starts")
  ax.set_ylim(bottom=max(0.0, acc.min() - 2), top=min(100.0, acc.max() + 1))
  d = describe(acc, 1)
  rows = [{"network": f"w{i}", "seed": int(s), "accuracy": _f(a)}
          for i, (s, a) in enumerate(zip(res.seeds, acc))]
  return {"ours": {**d, "text": f"{d['mean']:.2f} +- {d['std']:.2f}% over "
                   f"{d['n']} networks, range {span:.2f} pp", "unit": "%"},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": "reproduced" if span <= 0.6 else (
              "partly" if span <= 1.5 else "not reproduced"),
          "reason": f"final accuracies span {span:.2f} pp (Liu: 0.5 pp after "
                    f"200 epochs)"}


def _density(res: results_lib.Results, v: int) -> float:
  active = sum(float(res.fan_ins[l][v, 0].sum()) for l in res.layers)
  total = sum(a * b for a, b in res.layer_shapes.values())
  return active / total


def density_sweep(spec, first, second, ctx) -> dict:
  """D2. Overall density = active / all kernel weights. Verdict: on every
  dataset the clash-free net at overall density <= 0.2 (> 5x fewer weights)
  loses <= 1 pp to dense (our threshold for "no significant loss") ->
  reproduced; on some dataset -> partly; else not reproduced."""
  datasets = sorted({n.split("/")[0] for n in _names(first)})
  fig, axes = plots.claim_figure(len(datasets), width=4.8)
  rows, ok = [], []
  for ax, ds in zip(axes, datasets):
    dense = _acc(first, f"{ds}/dense")
    series, good = {}, False
    for name in [n for n in _names(first) if n.startswith(ds + "/")
                 and not n.endswith("/dense")]:
      res, v = _locate(first, name)
      pattern = name.split("/")[1].rsplit("_d", 1)[0]
      a = _acc(first, name)
      dens = _density(res, v)
      loss = paired(dense, a)
      rows.append({"dataset": ds, "pattern": pattern, "overall_density": dens,
                   "accuracy": describe(a), "loss_vs_dense": loss})
      da = describe(a)
      x, y, e = series.get(pattern, ([], [], []))
      series[pattern] = (x + [dens], y + [da["mean"]], e + [da["std"]])
      if pattern == "dey_clash_free" and dens <= 0.2 and loss["mean"] <= 1.0:
        good = True
    ok.append(good)
    dd = describe(dense)
    plots.claim_lines({k: tuple(np.asarray(t)[np.argsort(v[0])] for t in v)
                       for k, v in series.items()}, ax,
                      xlabel="overall density (fraction of weights)",
                      ylabel="test accuracy (%)", logx=True,
                      hline=(dd["mean"], dd["std"], "dense"), title=f"D2: {ds}")
  cf = [r for r in rows if r["pattern"] == "dey_clash_free"
        and r["overall_density"] <= 0.2]
  within = [r for r in cf if r["loss_vs_dense"]["mean"] <= 1.0]
  best = (min(within, key=lambda r: r["overall_density"]) if within else
          min(cf, key=lambda r: r["loss_vs_dense"]["mean"]) if cf else None)
  text = (f"clash-free at overall density {best['overall_density']:.3f}: loss "
          f"{best['loss_vs_dense']['mean']:.2f} pp ({best['dataset']})"
          if best else "no clash-free run at overall density <= 0.2")
  return {"ours": {**(best["loss_vs_dense"] if best else {}), "text": text,
                   "unit": "pp"},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(all(ok), any(ok)),
          "reason": ", ".join(f"{ds}: {'<=' if g else '>'} 1 pp loss at <= 20% "
                              "density" for ds, g in zip(datasets, ok))}


def scatter(spec, first, second, ctx) -> dict:
  """D3. Verdict: Pearson r(scatter, accuracy) over runs > 0 with p < 0.05 and
  clash-free beats windowed (paired p < 0.05) -> reproduced; one of the two
  -> partly; neither -> not reproduced."""
  names = _names(first)
  meas = measure_runs(first, names, ("scatter",),
                      os.path.join(ctx.root, "measures.json"))
  xs, ys, rows, by = [], [], [], {}
  for name in names:
    a = _acc(first, name)
    sc = [meas[(name, s)]["scatter"] for s in range(a.size)]
    xs += sc
    ys += list(100 * a)
    by[name] = (float(np.mean(sc)), a)
    rows.append({"pattern": name, "scatter": describe(sc, 1),
                 "accuracy": describe(a)})
  corr = _corr_ci(np.asarray(xs, float), np.asarray(ys, float))
  pair = (paired(_acc(first, "dey_clash_free"), _acc(first, "dey_windowed"))
          if {"dey_clash_free", "dey_windowed"} <= set(names) else None)
  fig, (ax,) = plots.claim_figure(1, width=6)
  plots.accuracy_vs_measure(np.asarray([by[n][0] for n in names]),
                            100 * np.stack([by[n][1] for n in names]),
                            labels=names, ax=ax,
                            xlabel="network scatter (Dey; min of 2J+2 values)",
                            ylabel="test accuracy (%)")
  r_ok = (corr["r"] or 0) > 0 and (corr["p"] or 1) < 0.05
  p_ok = pair is not None and pair["mean"] > 0 and (pair["p"] or 1) < 0.05
  if pair:
    rows.append({"comparison": "dey_clash_free - dey_windowed", **pair})
  pm = _n(pair["mean"]) if pair else "-"
  return {"ours": {**corr, "text": f"r(scatter, accuracy) = {_n(corr['r'])} "
                   f"over {corr['n']} runs; clash-free - windowed {pm} pp"},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(r_ok and p_ok, r_ok or p_ok),
          "reason": f"r = {_n(corr['r'])}, p = {_fmt_p(corr['p'])}; clash-free "
                    f"- windowed = {pm} pp (p = "
                    f"{_fmt_p(pair['p']) if pair else '-'})"}


def _b_table(first) -> tuple[list[str], dict]:
  """{dataset: {family: {density: name}}} of the B sweep."""
  out: dict[str, dict[str, dict[float, str]]] = {}
  for name in _names(first):
    ds, arm = name.split("/")
    if arm == "dense":
      continue
    family, dens = arm.rsplit("_d", 1)
    out.setdefault(ds, {}).setdefault(family, {})[float(dens)] = name
  return sorted(out), out


def families_vs_dense(spec, first, second, ctx) -> dict:
  """B1. Verdict: every family, on every dataset, has a density (<= 50%)
  whose mean accuracy is >= dense - 0.2 pp -> reproduced; some family ->
  partly; none -> not reproduced."""
  datasets, table = _b_table(first)
  fig, axes = plots.claim_figure(len(datasets), width=4.8)
  rows, all_ok, any_ok = [], True, False
  for ax, ds in zip(axes, datasets):
    dense = _acc(first, f"{ds}/dense")
    dd = describe(dense)
    series = {}
    for family, by_d in table[ds].items():
      best = None
      xs, ys, es = [], [], []
      for d in sorted(by_d):
        a = _acc(first, by_d[d])
        diff = paired(a, dense)
        da = describe(a)
        xs.append(d), ys.append(da["mean"]), es.append(da["std"])
        if best is None or diff["mean"] > best[1]["mean"]:
          best = (d, diff)
      series[family] = (xs, ys, es)
      match = best[1]["mean"] >= -0.2
      all_ok &= match
      any_ok |= match
      rows.append({"dataset": ds, "family": family, "best_density": best[0],
                   "best_minus_dense": best[1], "matches_dense": match})
    plots.claim_lines(series, ax, xlabel="density of the hidden junctions",
                      ylabel="test accuracy (%)", logx=True,
                      hline=(dd["mean"], dd["std"], "dense"), title=f"B1: {ds}")
  n_ok = sum(r["matches_dense"] for r in rows)
  return {"ours": {"text": f"{n_ok}/{len(rows)} (dataset, family) reach dense "
                   "- 0.2 pp at some density <= 50%"},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(all_ok, any_ok),
          "reason": f"{n_ok} of {len(rows)} (dataset, family) pairs come within "
                    "0.2 pp of dense (or beat it) at some density"}


def compactness(spec, first, second, ctx) -> dict:
  """B2. Structured families (random_biregular, circulant, dey_clash_free)
  against Erdos-Renyi at each density, paired. Verdict: at the lowest density
  on every dataset some structured family beats Erdos-Renyi with p < 0.05 ->
  reproduced; at some (dataset, density) -> partly; else not reproduced."""
  datasets, table = _b_table(first)
  structured = ("random_biregular", "circulant", "dey_clash_free")
  rows, low_ok, some_ok = [], [], False
  fig, axes = plots.claim_figure(len(datasets), width=4.8)
  for ax, ds in zip(axes, datasets):
    er = table[ds].get("erdos_renyi", {})
    series = {}
    lowest = min(er) if er else None
    ok_low = False
    for family in [f for f in table[ds] if f != "erdos_renyi"]:
      xs, ys, es = [], [], []
      for d in sorted(table[ds][family]):
        if d not in er:
          continue
        diff = paired(_acc(first, table[ds][family][d]), _acc(first, er[d]))
        rows.append({"dataset": ds, "family": family, "density": d,
                     "minus_erdos_renyi": diff})
        xs.append(d), ys.append(diff["mean"]), es.append(diff["std"])
        win = family in structured and diff["mean"] > 0 and (diff["p"] or 1) < 0.05
        some_ok |= win
        ok_low |= win and d == lowest
      series[family] = (xs, ys, es)
    low_ok.append(ok_low)
    plots.claim_lines(series, ax, xlabel="density of the hidden junctions",
                      ylabel="family - Erdos-Renyi accuracy (pp)", logx=True,
                      hline=(0.0, None, "Erdos-Renyi"), title=f"B2: {ds}")
  wins = [r for r in rows if r["family"] in structured
          and r["minus_erdos_renyi"]["mean"] > 0
          and (r["minus_erdos_renyi"]["p"] or 1) < 0.05]
  return {"ours": {"text": f"{len(wins)} of {sum(r['family'] in structured for r in rows)} "
                   "(structured family, density) cells beat Erdos-Renyi "
                   "(paired p < 0.05)"},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(all(low_ok) and bool(low_ok), some_ok),
          "reason": f"{len(wins)} structured (family, density, dataset) cells "
                    "beat Erdos-Renyi significantly; at the lowest density: "
                    + ", ".join(f"{d}: {'yes' if o else 'no'}"
                                for d, o in zip(datasets, low_ok))}


def spectral(spec, first, second, ctx) -> dict:
  """B3. Per dataset, over every (sparse run, seed): partial correlation of
  accuracy with the layer-0 normalized spectral gap and with lambda_2, log10
  density as covariate, 95% bootstrap CI. Verdict: both partial r > 0 with
  p < 0.05 on every dataset -> reproduced; one measure or one dataset ->
  partly; else not reproduced."""
  datasets, table = _b_table(first)
  names = [n for ds in datasets for f in table[ds].values() for n in f.values()]
  meas = measure_runs(first, names, ("normalized_gap", "lambda_2", "density"),
                      os.path.join(ctx.root, "measures.json"))
  rows, oks = [], []
  fig, axes = plots.claim_figure(2, width=4.8)
  for ds in datasets:
    pts = []
    for f in table[ds].values():
      for d, name in f.items():
        a = _acc(first, name)
        for s in range(a.size):
          m = meas[(name, s)]
          if m["normalized_gap"] is not None and m["lambda_2"] is not None:
            pts.append((100 * a[s], m["normalized_gap"], m["lambda_2"],
                        math.log10(d)))
    p = np.asarray(pts, float)
    for j, measure in ((1, "normalized_gap"), (2, "lambda_2")):
      c = _corr_ci(p[:, j], p[:, 0], p[:, 3])
      plain = _corr_ci(p[:, j], p[:, 0], n_boot=200)
      rows.append({"dataset": ds, "measure": measure, "partial_r": c,
                   "pearson_r": plain})
      oks.append((c["r"] or 0) > 0 and (c["p"] or 1) < 0.05)
  for ax, (j, label) in zip(axes, ((1, "normalized spectral gap, layer 0"),
                                   (2, "algebraic connectivity lambda_2, layer 0"))):
    series = {}
    for ds in datasets:
      for d in sorted({d for f in table[ds].values() for d in f}):
        xs, ys, es = [], [], []
        for family, f in sorted(table[ds].items()):
          if d not in f:
            continue
          a = _acc(first, f[d])
          vals = [meas[(f[d], s)]["normalized_gap" if j == 1 else "lambda_2"]
                  for s in range(a.size)]
          if None in vals:
            continue
          xs.append(float(np.mean(vals)))
          ys.append(describe(a)["mean"]), es.append(describe(a)["std"])
        order = np.argsort(xs)
        series[f"{ds}, density {d:g}"] = tuple(np.asarray(t, float)[order]
                                               for t in (xs, ys, es))
    plots.claim_lines(series, ax, xlabel=label, ylabel="test accuracy (%)",
                      title="B3: graph families, one colour per density",
                      connect=False)
  main = rows[0]["partial_r"]
  return {"ours": {**main, "text": "; ".join(
              f"{r['dataset']} {r['measure']}: partial r = {_n(r['partial_r']['r'])}"
              f" (p = {_fmt_p(r['partial_r']['p'])})" for r in rows)},
          "rows": rows, "figure": ctx.figure(spec, fig),
          "verdict": _verdict(all(oks), any(oks)),
          "reason": f"{sum(oks)} of {len(oks)} (dataset, measure) partial "
                    "correlations (log density held fixed) are > 0 with p < 0.05"}


ATLAS_MEASURES = ("fan_in_cv", "normalized_gap", "lambda_2", "network_lambda_2",
                  "scatter", "scatter_forward", "dead", "nnstd_to_random")


def atlas(spec, first, second, ctx) -> dict:
  """Atlas. Per dataset and measure: Pearson r between the measure of each
  (run, seed)'s initial masks and its accuracy, 95% bootstrap CI (1000
  resamples of runs), ranked by |r|. Verdict: `measured` (no paper claims it)."""
  names = [n for n in _names(first)]
  ref = lambda n: f"{n.split('/')[0]}/random"  # noqa: E731
  meas = measure_runs(first, names, ATLAS_MEASURES,
                      os.path.join(ctx.root, "measures.json"), reference=ref)
  datasets = sorted({n.split("/")[0] for n in names})
  rows, best = [], []
  fig, axes = plots.claim_figure(len(datasets), width=5.5)
  for ax, ds in zip(axes, datasets):
    runs = [n for n in names if n.startswith(ds + "/")]
    per = []
    for w in ATLAS_MEASURES:
      xs, ys = [], []
      for n in runs:
        a = _acc(first, n)
        for s in range(a.size):
          if meas[(n, s)][w] is not None:
            xs.append(meas[(n, s)][w]), ys.append(100 * a[s])
      c = _corr_ci(np.asarray(xs, float), np.asarray(ys, float))
      per.append({"dataset": ds, "measure": w, **c})
    per.sort(key=lambda r: -abs(r["r"] or 0))
    rows += per
    best.append(per[0])
    ax.bar(range(len(per)), [r["r"] or 0 for r in per],
           color=[plots.OKABE_ITO[i % 8] for i in range(len(per))])
    lo = [(r["r"] or 0) - (r["ci95"][0] if r["ci95"][0] is not None else (r["r"] or 0))
          for r in per]
    hi = [(r["ci95"][1] if r["ci95"][1] is not None else (r["r"] or 0)) - (r["r"] or 0)
          for r in per]
    ax.errorbar(range(len(per)), [r["r"] or 0 for r in per], yerr=[lo, hi],
                fmt="none", ecolor="black", capsize=3)
    ax.set_xticks(range(len(per)))
    ax.set_xticklabels([r["measure"] for r in per], rotation=45, ha="right",
                       fontsize=7)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(ylabel="Pearson r with test accuracy (95% CI)",
           title=f"atlas: {ds}, {len(runs)} sources at equal density")
  for n in names:
    a = _acc(first, n)
    rows.append({"source": n, "accuracy": describe(a), **{
        w: _f(np.mean([meas[(n, s)][w] for s in range(a.size)
                       if meas[(n, s)][w] is not None] or [math.nan]))
        for w in ATLAS_MEASURES}})
  text = "; ".join(f"{b['dataset']}: best {b['measure']} r = {b['r']:.2f} "
                   f"(CI {_n(b['ci95'][0])}, {_n(b['ci95'][1])})" if b["r"] is not None
                   else f"{b['dataset']}: undefined" for b in best)
  return {"ours": {**best[0], "text": text}, "rows": rows,
          "figure": ctx.figure(spec, fig), "verdict": "measured",
          "reason": text}


ANALYSES: dict[str, Callable[..., dict]] = {
    "gap_to_dense": gap_to_dense, "recipe": recipe, "grid": grid,
    "gradient": gradient, "convergence": convergence,
    "lognormal_vs_erk": lognormal_vs_erk, "placement": placement,
    "sparse_vs_dense": sparse_vs_dense, "drift": drift,
    "same_accuracy": same_accuracy, "density_sweep": density_sweep,
    "scatter": scatter, "families_vs_dense": families_vs_dense,
    "compactness": compactness, "spectral": spectral, "atlas": atlas,
}


# ---------------------------------------------------------------------------
# Orchestration.


def _clean(x: Any) -> Any:
  if isinstance(x, dict):
    return {str(k): _clean(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return [_clean(v) for v in x]
  if isinstance(x, (bool, str)) or x is None:
    return x
  if isinstance(x, (int, np.integer)):
    return int(x)
  if isinstance(x, (float, np.floating)):
    return _f(x)
  return str(x)


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


def not_run(spec: ClaimSpec, reason: str, command: str, mode: str) -> dict:
  """The claim.json of a claim that could not run here."""
  return _clean({"id": spec.id, "title": spec.title, "source": spec.source,
                 "paper": {"text": spec.paper_text, "value": spec.paper_value},
                 "ours": {"text": "-"}, "rows": [], "mode": mode,
                 "command": command, "hardware": {}, "figure": None,
                 "verdict": "not run here", "reason": reason})


def reproduce(spec: ClaimSpec, mode: str, workdir: str, *,
              data_dir: str | None = None, command: str = "",
              progress: bool = True, train_only: bool = False) -> dict:
  """Trains (or resumes) `spec`'s sweep, analyses it, writes claim.json.

  Layout: `workdir/<sweep>/stage1` (and `stage2`) hold the sweep(s) and
  `masks/`; `workdir/<id>/` holds `claim.json`, `<id>.png` and
  `results.csv` (stage 2 appended). With `train_only` the analysis is
  skipped (rerun without it, e.g. on a CPU, to analyse the same results).

  Returns:
    The claim document (also written), or None with `train_only`.
  """
  t0 = time.time()
  root = os.path.join(workdir, spec.sweep or spec.id)
  claim_dir = os.path.join(workdir, spec.id)
  os.makedirs(claim_dir, exist_ok=True)
  os.makedirs(root, exist_ok=True)
  runs, missing = _filter_runs(spec.runs(mode, root), data_dir,
                               os.path.join(root, "stage1"))
  path = os.path.join(claim_dir, CLAIM_FILE)
  if not runs:
    doc = not_run(spec, f"{', '.join(missing)}: {NO_DATA}", command, mode)
    utils.write_json_atomic(path, doc)
    return doc
  with mask_hook(root):
    first = sweep.run(runs, os.path.join(root, "stage1"), data_dir=data_dir,
                      progress=progress)
    second = None
    if spec.stage2 is not None:
      runs2, _ = _filter_runs(spec.stage2(mode, first, root), data_dir,
                              os.path.join(root, "stage2"))
      second = sweep.run(runs2, os.path.join(root, "stage2"),
                         data_dir=data_dir, progress=progress)
  if train_only:
    return None
  ctx = Context(claim_dir=claim_dir, root=root, missing=missing, mode=mode)
  out = ANALYSES[spec.analysis](spec, first, second, ctx)
  tables = [first.table.assign(stage=1)]
  if second is not None:
    tables.append(second.table.assign(stage=2))
  import pandas as pd  # pylint: disable=g-import-not-at-top
  utils.write_text_atomic(os.path.join(claim_dir, "results.csv"),
                          pd.concat(tables, ignore_index=True).to_csv(index=False))
  meta = _meta(first, second)
  doc = {"id": spec.id, "title": spec.title, "source": spec.source,
         "paper": {"text": spec.paper_text, "value": spec.paper_value},
         **out, "mode": mode, "command": command,
         "n_runs": len(runs) + (0 if second is None else
                                sum(len(r.names) for r in second.groups.values())),
         "missing_datasets": missing,
         "hardware": {"device": meta["device"], "backend": meta["backend"]},
         "wall_time_s": {"train": meta["train_wall_time_s"],
                         "total_this_call": round(time.time() - t0, 1)},
         "results_csv": "results.csv"}
  if doc["verdict"] not in VERDICTS:
    raise ValueError(f"verdict must be one of {VERDICTS}, got {doc['verdict']!r}")
  doc = _clean(doc)
  utils.write_json_atomic(path, doc)
  return doc


def copy_claim(src_dir: str, dst_dir: str) -> None:
  """Copies a claim's folder (claim.json, figure, results.csv) elsewhere."""
  os.makedirs(dst_dir, exist_ok=True)
  for f in os.listdir(src_dir):
    if os.path.isfile(os.path.join(src_dir, f)):
      shutil.copy2(os.path.join(src_dir, f), os.path.join(dst_dir, f))
