"""REPORT.md from claim.json files (`psn_jax.claims`), deterministic.

`render(results_dir, specs, out_path)` reads `<results_dir>/<id>/claim.json`
for every claim spec, in the order given, and returns the Markdown text: a
summary table (paper, ours, verdict per claim) and one section per claim
(paper's sentence, our numbers with n, 95% CI, p and d where paired, the
command, hardware and wall time, the figure, the verdict with its reason, and
the claim's detail rows). A claim without a claim.json is marked `not run`.
Nothing but the files enters the text (no clock, no host name), so rendering
the same files twice gives the same bytes.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Sequence

__all__ = ["load_claim", "render", "verdict_counts", "NOT_RUN"]

NOT_RUN = "not run"
_MAX_ROWS = 60


def load_claim(results_dir: str, claim_id: str) -> dict[str, Any] | None:
  """The claim.json of `claim_id` under `results_dir`, or None if absent."""
  path = os.path.join(results_dir, claim_id, "claim.json")
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def _num(x: Any, digits: int = 2) -> str:
  if x is None:
    return "-"
  if isinstance(x, bool):
    return "yes" if x else "no"
  if isinstance(x, int):
    return str(x)
  if isinstance(x, float):
    if x != 0 and (abs(x) < 10 ** -digits or abs(x) >= 1e5):
      return f"{x:.2g}"
    return f"{x:.{digits}f}"
  return str(x)


def _cell(v: Any) -> str:
  """A table cell: stats dicts as `mean +- std (n)`, lists joined."""
  if isinstance(v, Mapping):
    if "mean" in v:
      s = _num(v.get("mean"))
      if v.get("std") is not None:
        s += f" +- {_num(v['std'])}"
      if v.get("p") is not None:
        s += f" (p {_num(v['p'], 3)})"
      return s
    if "r" in v:
      s = f"r {_num(v.get('r'))}"
      ci = v.get("ci95") or [None, None]
      if ci[0] is not None:
        s += f" [{_num(ci[0])}, {_num(ci[1])}]"
      if v.get("p") is not None:
        s += f" (p {_num(v['p'], 3)})"
      return s
    return ", ".join(f"{k} {_cell(x)}" for k, x in v.items())
  if isinstance(v, (list, tuple)):
    return "(" + ", ".join(_cell(x) for x in v) + ")"
  return _num(v).replace("|", "/")


def _stats_line(ours: Mapping[str, Any]) -> str:
  parts = []
  unit = ours.get("unit", "")
  if ours.get("mean") is not None:
    s = f"{_num(ours['mean'])}"
    if ours.get("std") is not None:
      s += f" +- {_num(ours['std'])}"
    parts.append(s + (f" {unit}" if unit else ""))
  if ours.get("r") is not None:
    parts.append(f"r = {_num(ours['r'], 3)}")
  if ours.get("n") is not None:
    parts.append(f"n = {ours['n']}")
  ci = ours.get("ci95")
  if ci and ci[0] is not None:
    parts.append(f"95% CI [{_num(ci[0])}, {_num(ci[1])}]")
  if ours.get("p") is not None:
    parts.append(f"p = {_num(ours['p'], 3)} (two-sided)")
  if ours.get("d") is not None:
    parts.append(f"Cohen's d = {_num(ours['d'])}")
  return "; ".join(parts)


def _rows_tables(rows: Sequence[Mapping[str, Any]]) -> list[str]:
  """Detail rows as Markdown tables, one per distinct set of keys."""
  out: list[str] = []
  groups: list[tuple[tuple[str, ...], list[Mapping[str, Any]]]] = []
  for r in rows[:_MAX_ROWS]:
    keys = tuple(r)
    if groups and groups[-1][0] == keys:
      groups[-1][1].append(r)
    else:
      groups.append((keys, [r]))
  for keys, rs in groups:
    out.append("| " + " | ".join(keys) + " |")
    out.append("|" + "---|" * len(keys))
    for r in rs:
      out.append("| " + " | ".join(_cell(r[k]) for k in keys) + " |")
    out.append("")
  if len(rows) > _MAX_ROWS:
    out.append(f"({len(rows) - _MAX_ROWS} more rows in claim.json)")
    out.append("")
  return out


def verdict_counts(docs: Mapping[str, Mapping[str, Any] | None]) -> dict[str, int]:
  """{verdict: number of claims}, missing claims counted as `not run`."""
  counts: dict[str, int] = {}
  for doc in docs.values():
    v = NOT_RUN if doc is None else doc.get("verdict", NOT_RUN)
    counts[v] = counts.get(v, 0) + 1
  return dict(sorted(counts.items()))


# Strongest evidence first; `quick` is a demo, never a test.
MODE_ORDER = ("full", "cpu", "quick", "toy")
MODE_LABELS = {"full": "test (GPU)", "cpu": "test (CPU)",
               "quick": "demo, not a test", "toy": "toy (tests)"}


def _mode(doc: Mapping[str, Any]) -> str:
  return doc.get("mode", "-")


def _conv_cell(doc: Mapping[str, Any]) -> str:
  c = doc.get("convergence")
  if not c:
    return "-"
  if c.get("largest_move") is None:   # no window of epochs to judge
    if c.get("converged"):
      return "n/a"                     # nothing trained (a benchmark claim)
    return "not checked" if not c.get("epochs") else "no (too short)"
  return ("yes" if c.get("converged") else "no") + (
      f" ({_num(c['largest_move'])} vs {_num(c.get('tolerance'))})")


def _span(x: Any) -> str:
  if not x or x[0] is None:
    return "-"
  return str(x[0]) if x[0] == x[1] else f"{x[0]}-{x[1]}"


def _by_mode(results_dirs: Sequence[str], claim_id: str
             ) -> list[tuple[str, dict[str, Any]]]:
  """(results dir, doc) of every claim.json of `claim_id`, strongest mode
  first (GPU, CPU test, then the quick demo)."""
  found = [(d, load_claim(d, claim_id)) for d in results_dirs]
  found = [(d, doc) for d, doc in found if doc is not None]
  return sorted(found, key=lambda t: MODE_ORDER.index(_mode(t[1]))
                if _mode(t[1]) in MODE_ORDER else 99)


def render(results_dirs: str | Sequence[str], specs: Sequence[Any],
           out_path: str, command: str) -> str:
  """The REPORT.md text for `specs` (objects with id, title, source,
  paper_text, paper_value) from the claim.json files under `results_dirs`.

  Several folders (say the GPU's, the CPU test tier's and the quick demo's)
  give one summary row per claim and mode, strongest evidence first; the
  verdict counts are per mode. Figure links are relative to `out_path`'s
  folder.
  """
  if isinstance(results_dirs, str):
    results_dirs = [results_dirs]
  out_dir = os.path.dirname(os.path.abspath(out_path))
  rel = lambda d: os.path.relpath(os.path.abspath(d), out_dir)  # noqa: E731
  found = {s.id: _by_mode(results_dirs, s.id) for s in specs}
  modes = [m for m in MODE_ORDER if any(_mode(doc) == m for v in found.values()
                                        for _, doc in v)]
  lines = [
      "# Claims of the four seed papers, rerun",
      "",
      f"Generated by `{command}` from the `claim.json` files under "
      + ", ".join(f"`{rel(d)}/`" for d in results_dirs)
      + " (do not edit by hand; rerun the command). Each claim was run with "
      "`python -m experiments.reproduce <id> --mode <mode> --workdir DIR` "
      "(the command is given per claim). Accuracies are test accuracies in "
      "percent; differences in percentage points (pp), paired over seeds "
      "(same seed: same data order and, where the arms allow, the same mask "
      "draw).",
      "",
      "How to read a verdict (`psn_jax/claims/verdicts.py`): each claim states "
      "its test before the data (effect, test, alpha 0.05, margin for claims "
      "of equivalence; Holm over the arms or cells of one claim). "
      "**reproduced**: the test finds the paper's effect. **not reproduced**: "
      "the runs converged, the test had the power to see the paper's effect, "
      "and the data exclude it. **inconclusive**: everything else (runs still "
      "moving, too few seeds, an interval holding both outcomes): it says "
      "nothing about the paper. **partly**: some parts of a several-part claim "
      "hold. Converged: every arm's mean test accuracy moved by less than "
      "the effect under test over the last fifth of the epochs. MDE: the "
      "smallest effect the test finds with 80% power at the n used. Modes: "
      + "; ".join(f"`{m}` = {MODE_LABELS[m]}" for m in MODE_ORDER[:3]) + ".",
      "",
      "Verdicts per mode: " + "; ".join(
          f"{m} ({MODE_LABELS[m]}): " + ", ".join(
              f"{k} {v}" for k, v in verdict_counts(
                  {i: next((doc for _, doc in found[i] if _mode(doc) == m),
                           None) for i in found}).items())
          for m in modes) + ".",
      "",
      "## Summary",
      "",
      "| id | claim | paper | ours | verdict | mode | epochs | seeds | "
      "converged | MDE (80%) |",
      "|---|---|---|---|---|---|---|---|---|---|",
  ]
  for s in specs:
    if not found[s.id]:
      lines.append(f"| {s.id} | {s.title} | {s.paper_value} | - | {NOT_RUN} | "
                   "- | - | - | - | - |")
      continue
    for _, doc in found[s.id]:
      ours = (doc.get("ours") or {}).get("text", "-").replace("|", "/")
      lines.append(
          f"| [{s.id}](#{s.id.lower()}) | {s.title} | "
          f"{doc['paper']['value']} | {ours} | **{doc['verdict']}** | "
          f"{MODE_LABELS.get(_mode(doc), _mode(doc))} | "
          f"{_span(doc.get('epochs'))} | {_span(doc.get('seeds'))} | "
          f"{_conv_cell(doc)} | {_num(doc.get('mde80'))} |")
  lines.append("")
  for s in specs:
    lines += [f"## {s.id}", "", f"**{s.title}.**", ""]
    if not found[s.id]:
      lines += [f"- Paper ({s.source}): {s.paper_text}.",
                f"- Verdict: **{NOT_RUN}**: no `{s.id}/claim.json` under "
                + ", ".join(f"`{rel(d)}/`" for d in results_dirs) + ".", ""]
      continue
    for d, doc in found[s.id]:
      lines += _section(s, d, doc, out_dir)
  return "\n".join(lines).rstrip() + "\n"


def _setup(setup: Mapping[str, Sequence[str]] | None) -> str:
  """`hidden 256-256-256; sparsity 0.98; ...` from a claim.json's setup."""
  if not setup:
    return "-"
  return "; ".join(f"{k} {', '.join(v)}" for k, v in setup.items())


def _section(s: Any, results_dir: str, doc: Mapping[str, Any],
             out_dir: str) -> list[str]:
  ours = doc.get("ours") or {}
  hw = doc.get("hardware") or {}
  wall = doc.get("wall_time_s") or {}
  mode = _mode(doc)
  lines = [
      f"### {s.id}, {MODE_LABELS.get(mode, mode)}", "",
      f"- Paper ({doc.get('source', s.source)}): {doc['paper']['text']}.",
      f"- Test (stated before the data): {doc.get('test', '-')}.",
      f"- Ours: {ours.get('text', '-')}."
      + (f" ({_stats_line(ours)})" if _stats_line(ours) else ""),
      f"- Verdict: **{doc['verdict']}**: {doc.get('reason', '')}.",
      f"- Run length: {_span(doc.get('epochs'))} epochs, "
      f"{_span(doc.get('seeds'))} seeds; converged: {_conv_cell(doc)}; "
      f"MDE (80% power): {_num(doc.get('mde80'))}.",
      f"- Setup: {_setup(doc.get('setup'))}.",
      f"- Command: `{doc.get('command', '-')}` ({doc.get('n_runs', '-')} "
      "runs x seeds)",
      f"- Hardware: {hw.get('device') or '-'} ({hw.get('backend') or '-'}); "
      f"training wall time {_num(wall.get('train'), 0)} s",
  ]
  if doc.get("missing_datasets"):
    lines.append(f"- {', '.join(doc['missing_datasets'])}: data not "
                 "available here.")
  if doc.get("unreachable"):
    lines.append(f"- Unreachable cells (no mask source builds them): "
                 f"{', '.join(doc['unreachable'])}.")
  if doc.get("figure"):
    fig = os.path.relpath(os.path.join(os.path.abspath(results_dir), s.id,
                                       doc["figure"]), out_dir)
    lines += ["", f"![{s.id} {mode}]({fig})"]
  lines.append("")
  if doc.get("rows"):
    lines += _rows_tables(doc["rows"])
  return lines
