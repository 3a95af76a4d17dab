"""What every paper's analyses share: reading a sweep, summaries, measures.

Runs are found by name, but what a run *is* (dataset, sparsity, profile, cv,
...) is read from its saved config (`field`), never parsed out of its name.
Accuracies are reported in percent; paired differences in percentage points.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from psn_jax import plots
from psn_jax import results as results_lib
from psn_jax import stats
from psn_jax import sweep
from psn_jax import topology
from psn_jax import utils
from psn_jax.claims import verdicts

NO_DATA = "data not available here"


@dataclasses.dataclass
class Context:
  """What an analysis may use besides the results."""

  claim_dir: str
  root: str
  missing: list[str]
  mode: str
  unreachable: list[str] = dataclasses.field(default_factory=list)

  def figure(self, claim_id: str, fig) -> str:
    name = f"{claim_id}.png"
    plots.save(fig, os.path.join(self.claim_dir, name))
    return name


# ---------------------------------------------------------------------------
# Reading a sweep.


def locate(result: sweep.SweepResult, name: str
           ) -> tuple[results_lib.Results, int]:
  """The group's `Results` holding run `name`, and the run's variant index."""
  for res in result.groups.values():
    if name in res.names:
      return res, res.index(name)
  raise KeyError(f"run {name!r} is not in the sweep")


def names(result: sweep.SweepResult) -> list[str]:
  """Every run name of the sweep, group by group."""
  return [n for res in result.groups.values() for n in res.names]


def field(result: sweep.SweepResult, name: str, key: str) -> Any:
  """The value of config field `key` (dotted, as `Results.configs` stores
  them flat) of run `name`; None for a field the run's config lacks."""
  res, v = locate(result, name)
  return res.configs[v].get(key)


def acc(result: sweep.SweepResult, name: str, metric: str = "test_accuracy"
        ) -> np.ndarray:
  """Final `metric` of run `name`, one value per seed, as a fraction."""
  res, v = locate(result, name)
  return np.asarray(res.history[metric][v, :, -1], np.float64)


def curve(result: sweep.SweepResult, name: str,
          metric: str = "test_accuracy") -> np.ndarray:
  """`metric` of run `name` per epoch, [seeds, epochs], in percent."""
  res, v = locate(result, name)
  return 100 * np.asarray(res.history[metric][v], np.float64)


def converged(result: sweep.SweepResult, run_names: Sequence[str],
              tolerance: float) -> verdicts.Convergence:
  """`verdicts.convergence` of the test-accuracy curves of `run_names`."""
  return verdicts.convergence({n: curve(result, n) for n in run_names},
                              tolerance)


def seeds_and_epochs(*results: sweep.SweepResult | None) -> dict[str, Any]:
  """Seeds per run and epochs (ranges over the runs of the results)."""
  seeds, epochs = set(), set()
  for r in results:
    if r is None:
      continue
    for res in r.groups.values():
      seeds.add(len(res.seeds))
      epochs.add(int(res.history["test_accuracy"].shape[-1]))
  span = lambda s: (min(s), max(s)) if s else (None, None)  # noqa: E731
  return {"seeds": list(span(seeds)), "epochs": list(span(epochs))}


SETUP_FIELDS = ("dataset", "hidden", "sparsity", "distribution",
                "dst.algorithm", "optim.name", "optim.learning_rate",
                "batch_size")


def setup(*results: sweep.SweepResult | None) -> dict[str, list[str]]:
  """The training setup behind a claim, read from its runs' saved configs:
  each of `SETUP_FIELDS` with the distinct values its runs use (so a report
  says which architecture and recipe a verdict rests on, e.g. a scaled-down
  MLP)."""
  seen: dict[str, set[str]] = {k: set() for k in SETUP_FIELDS}
  for r in results:
    for res in ([] if r is None else r.groups.values()):
      for config in res.configs:
        for k in SETUP_FIELDS:
          v = config.get(k)
          if v is not None:
            seen[k].add("-".join(map(str, v)) if isinstance(v, (list, tuple))
                        else str(v))
  return {k: sorted(v) for k, v in seen.items() if v}


def layers_of(tree: Mapping[str, Any]) -> list[np.ndarray]:
  """The kernel masks of a mask pytree, in layer order."""
  return [np.asarray(tree[k]["kernel"]) for k in utils.natural_order(tree)]


def mask_digest(tree: Mapping[str, Any]) -> str:
  """A hash of a mask pytree's bits (equal masks, equal digests)."""
  return hashlib.sha1(b"".join(np.packbits(m).tobytes()
                               for m in layers_of(tree))).hexdigest()


def distinct_runs(result: sweep.SweepResult, run_names: Sequence[str]
                  ) -> tuple[list[str], dict[str, str]]:
  """`run_names` without runs whose initial masks equal an earlier run's.

  Two arms with identical masks for every seed (e.g. `random`, `erdos_renyi`
  and ERK-random when one layer is sparse) are one arm: counting them twice
  would weigh one point double in a correlation or a ranking. Needs mask
  snapshots; without them every run is kept.

  Returns:
    (kept names, {dropped name: the kept name it duplicates}).
  """
  seen: dict[tuple[str, ...], str] = {}
  kept, dropped = [], {}
  for n in run_names:
    res, v = locate(result, n)
    if not len(res.snapshot_epochs):
      kept.append(n)
      continue
    key = tuple(mask_digest(res.mask_snapshot(v, s, 0))
                for s in range(len(res.seeds)))
    if key in seen:
      dropped[n] = seen[key]
    else:
      seen[key] = n
      kept.append(n)
  return kept, dropped


# ---------------------------------------------------------------------------
# Summaries (JSON-ready: finite floats or None).


def finite(x: Any) -> float | None:
  """A finite float, or None (JSON has no NaN)."""
  try:
    v = float(x)
  except (TypeError, ValueError):
    return None
  return v if math.isfinite(v) else None


def describe(x: Any, scale: float = 100.0) -> dict[str, Any]:
  """Mean, std (ddof 1), n and 95% t-interval of `scale * x`."""
  m = stats.mean_ci(np.asarray(x, np.float64) * scale)
  return {"mean": finite(m.mean), "std": finite(m.std), "n": m.n,
          "ci95": [finite(m.lo), finite(m.hi)]}


def paired(a: Any, b: Any, scale: float = 100.0) -> dict[str, Any]:
  """a - b paired over seeds: mean, std, n, 95% CI, two-sided p, Cohen's d."""
  a = np.asarray(a, np.float64) * scale
  b = np.asarray(b, np.float64) * scale
  r = stats.paired_comparison(a, b)
  m = stats.mean_ci(a - b)
  return {"mean": finite(r.mean_diff), "std": finite(r.std_diff), "n": r.n,
          "ci95": [finite(m.lo), finite(m.hi)], "p": finite(r.p),
          "d": finite(r.cohen_d)}


def diffs(a: Any, b: Any) -> np.ndarray:
  """(a - b) in percentage points, per seed (a, b as fractions)."""
  return 100 * (np.asarray(a, np.float64) - np.asarray(b, np.float64))


def fmt(x: Any, digits: int = 2) -> str:
  return "-" if x is None else f"{x:.{digits}f}"


def fmt_p(p: Any) -> str:
  return "-" if p is None else (f"{p:.2g}" if p >= 1e-4 else "<1e-4")


def corr_ci(x: np.ndarray, y: np.ndarray, n_boot: int = 1000
            ) -> dict[str, Any]:
  """Pearson r, p and a 95% percentile-bootstrap CI (a secondary view)."""
  r, p = stats.pearson_r(x, y)
  ci = (stats.bootstrap_ci(lambda a, b: stats.pearson_r(a, b)[0], x, y,
                           n_boot=n_boot) if len(x) > 3 else (math.nan,) * 2)
  return {"r": finite(r), "p": finite(p), "n": int(len(x)),
          "ci95": [finite(ci[0]), finite(ci[1])]}


def result_doc(v: verdicts.Verdict, conv: verdicts.Convergence, *,
               ours: dict[str, Any], rows: list, figure: str | None,
               mde: float | None = None, **more: Any) -> dict[str, Any]:
  """The analysis part of a claim.json: verdict, reason, test statistics,
  convergence and minimum detectable effect beside the claim's numbers."""
  return {"ours": ours, "rows": rows, "figure": figure, "verdict": v.verdict,
          "reason": v.reason, "statistics": v.stats,
          "convergence": conv.as_dict(),
          "mde80": mde if mde is not None else v.stats.get("mde80"), **more}


# ---------------------------------------------------------------------------
# Topology measures of the initial masks, cached per mask content.

def _measure(layers: list[np.ndarray], which: Sequence[str],
             reference: list[np.ndarray] | None) -> dict[str, float | None]:
  """`topology.MEASURES[w]` of a network (layer-0 value for per-layer
  measures); a measure that needs a reference gets `reference`."""
  out: dict[str, float | None] = {}
  for w in which:
    if w not in topology.MEASURES:
      raise ValueError(f"measure must be one of {sorted(topology.MEASURES)}, "
                       f"got {w!r}")
    m = topology.MEASURES[w]
    ref = reference if getattr(m, "needs_reference", False) else None
    out[w] = finite(m(layers, reference=ref))
  return out


def measure_runs(result: sweep.SweepResult, run_names: Sequence[str],
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
  for name in run_names:
    res, v = locate(result, name)
    if not len(res.snapshot_epochs):
      raise ValueError("track.snapshot_every must be > 0 to measure masks")
    for s in range(len(res.seeds)):
      layers = layers_of(res.mask_snapshot(v, s, snapshot))
      ref_name = reference(name) if reference else None
      ref = None
      if ref_name is not None:
        rres, rv = locate(result, ref_name)
        ref = layers_of(rres.mask_snapshot(rv, s, snapshot))
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


def unit_means(meas: Mapping[tuple[str, int], Mapping[str, Any]],
               result: sweep.SweepResult, run_names: Sequence[str],
               measure: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
  """Per run: the seed-mean of `measure` and of test accuracy (percent).

  The unit of a correlation: seeds of one run share one design point, so
  pooling them as separate points would overstate n.
  """
  xs, ys, kept = [], [], []
  for n in run_names:
    a = acc(result, n)
    vals = [meas[(n, s)][measure] for s in range(a.size)]
    if any(v is None for v in vals):
      continue
    xs.append(float(np.mean(vals)))
    ys.append(100 * float(np.mean(a)))
    kept.append(n)
  return np.asarray(xs), np.asarray(ys), kept


# ---------------------------------------------------------------------------
# Figures: dot plots with 95% CIs (no bars that do not start at zero).

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


def dense_and_sparse(result: sweep.SweepResult, view: Callable[[str], str]
                     ) -> list[tuple[str, str, list[str]]]:
  """Runs grouped by `view(name)` (e.g. the dataset), sorted: per group
  (view, its dense run, its sparse runs), for claims judged against dense."""
  out = []
  for key in sorted({view(n) for n in names(result)}):
    runs = [n for n in names(result) if view(n) == key]
    dense = next(n for n in runs if not field(result, n, "sparsity"))
    out.append((key, dense, [n for n in runs if n != dense]))
  return out


def accuracy_vs_density(ax, series: dict[str, tuple], dense: Any, *,
                        xlabel: str, title: str,
                        dense_label: str = "dense") -> None:
  """Test accuracy against density on a log axis: one line per pattern
  (`series[name] = (densities, means, stds)`, sorted here by density), the
  dense model's mean +- std over seeds (`dense`: accuracies as fractions) as
  a band."""
  dd = describe(dense)
  plots.claim_lines({k: tuple(np.asarray(t)[np.argsort(s[0])] for t in s)
                     for k, s in series.items()}, ax, xlabel=xlabel,
                    ylabel="test accuracy (%, mean +- std)", logx=True,
                    hline=(dd["mean"], dd["std"], dense_label), title=title)


def dot_ci(ax, rows: Sequence[tuple[str, str, float | None, list]], *,
           ylabel: str, title: str, lines: Sequence[tuple[float, str]] = (),
           band: tuple[float, float, str] | None = None) -> None:
  """One dot per (group, label) with its 95% CI; labels share a marker.

  Args:
    ax: matplotlib Axes.
    rows: (group, label, mean, [lo, hi]) per dot; x is the group, dots of a
      group side by side.
    ylabel, title: the title should say the run length.
    lines: (y, label) horizontal reference lines (e.g. a margin, zero).
    band: (lo, hi, label) a shaded reference band (the paper's range).
  """
  groups = list(dict.fromkeys(g for g, *_ in rows))
  labels = list(dict.fromkeys(l for _, l, *_ in rows))
  width = 0.8 / max(1, len(labels))
  for j, label in enumerate(labels):
    xs, ys, lo, hi = [], [], [], []
    for g, l, m, ci in rows:
      if l != label or m is None:
        continue
      xs.append(groups.index(g) - 0.4 + width * (j + 0.5))
      ys.append(m)
      lo.append(m - ci[0] if ci and ci[0] is not None else 0.0)
      hi.append(ci[1] - m if ci and ci[1] is not None else 0.0)
    ax.errorbar(xs, ys, yerr=[lo, hi], fmt=MARKERS[j % len(MARKERS)],
                color=plots.OKABE_ITO[j % len(plots.OKABE_ITO)], capsize=3,
                label=label)
  if band is not None:
    ax.axhspan(band[0], band[1], color="#999999", alpha=0.2, label=band[2])
  for y, label in lines:
    ax.axhline(y, color="#555555", linestyle="--", linewidth=0.9, label=label)
  ax.set_xticks(range(len(groups)))
  ax.set_xticklabels(groups, rotation=20, ha="right", fontsize=8)
  ax.set(ylabel=ylabel, title=title)
  ax.legend(fontsize=7)
