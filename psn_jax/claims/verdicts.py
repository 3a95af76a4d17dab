"""Verdict rules: each claim's test, stated before the data, as pure functions.

A claim's analysis reduces its runs to arrays (paired differences over seeds,
per-variant means, ...) and hands them to one rule here. The rules share one
vocabulary (`VERDICTS`) and one logic, chosen so that a verdict is evidence:

* `reproduced`: the paper's effect is there, at the stated alpha (Holm-
  corrected where one claim tests several arms or cells).
* `partly`: a claim with several parts (or cells) where some parts pass their
  test and the others are inconclusive or fail.
* `not reproduced`: the runs converged, the test had the power to see the
  paper's effect (minimum detectable effect at 80% power <= the paper's
  effect or margin), and the data exclude the paper's effect at alpha.
* `inconclusive`: everything else: runs that have not converged, a test too
  weak for the paper's effect, or an interval that holds both the paper's
  effect and its absence.
* `not run here` (data absent) and `measured` (the atlas, which tests no
  paper) are set by the callers.

Every rule returns a `Verdict` (verdict, one-line reason, the statistics),
and `tests/test_verdicts.py` checks each on simulated null and true effects:
under the null the rate of `reproduced` or `partly` stays at or below alpha
(plus simulation tolerance); under the paper's effect the rule finds it at
about the stated power.

Statistics come from scipy and statsmodels: paired t-tests, TOST
(`statsmodels.stats.weightstats.ttost_paired`), Holm (`holm`, checked
against `statsmodels.stats.multitest.multipletests`), t-test power
(`statsmodels.stats.power.TTestPower`), OLS with factors
(`statsmodels.formula.api.ols`). Differences are in the claim's unit
(percentage points for accuracies).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats as sps

from psn_jax.claims.statistics import ALPHA
from psn_jax.claims.statistics import as_vector
from psn_jax.claims.statistics import POWER
from psn_jax.claims.statistics import holm
from psn_jax.claims.statistics import mde_correlation
from psn_jax.claims.statistics import mde_equivalence
from psn_jax.claims.statistics import mde_paired
from psn_jax.claims.statistics import paired_test
from psn_jax.claims.statistics import tost
from psn_jax.claims.statistics import tost_ind

__all__ = ["VERDICTS", "ALPHA", "POWER", "Verdict", "Convergence",
           "convergence", "superiority", "equivalence_all", "noninferior_any",
           "best_of", "correlation", "fixed_effect", "combine", "gate",
           # the statistics, re-exported for the rules' callers
           "holm", "paired_test", "tost", "tost_ind", "mde_paired",
           "mde_equivalence", "mde_correlation"]

VERDICTS: tuple[str, ...] = ("reproduced", "partly", "not reproduced",
                             "inconclusive", "not run here", "measured")
# The last fifth of the epochs is the convergence window (`convergence`).
CONVERGENCE_WINDOW = 0.2


@dataclasses.dataclass(frozen=True)
class Verdict:
  """A rule's outcome: the verdict, why (one line), and its statistics."""

  verdict: str
  reason: str
  stats: Mapping[str, Any] = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    if self.verdict not in VERDICTS:
      raise ValueError(f"verdict must be one of {VERDICTS}, got "
                       f"{self.verdict!r}")


# ---------------------------------------------------------------------------
# Convergence.


@dataclasses.dataclass(frozen=True)
class Convergence:
  """Whether every arm's curve has settled (see `convergence`)."""

  converged: bool
  tolerance: float
  window_epochs: int
  largest_move: float | None
  worst_arm: str | None
  epochs: int

  def as_dict(self) -> dict[str, Any]:
    return dataclasses.asdict(self)

  def text(self) -> str:
    if self.largest_move is None:
      return f"not checked ({self.epochs} epoch(s): no window)"
    state = "converged" if self.converged else "NOT converged"
    return (f"{state}: largest move over the last {self.window_epochs} of "
            f"{self.epochs} epochs {self.largest_move:.2f} ({self.worst_arm}) "
            f"vs tolerance {self.tolerance:.2f}")


def convergence(curves: Mapping[str, Any], tolerance: float,
                window: float = CONVERGENCE_WINDOW) -> Convergence:
  """Our definition of a converged run, used by every claim.

  An arm has converged when its seed-mean curve (e.g. test accuracy in
  percent, one value per epoch) moves by less than `tolerance` over the last
  `window` fraction of the epochs: |mean[-1] - mean[-1 - k]| < tolerance with
  k = max(1, round(window * epochs)). The tolerance is the effect under test
  (a claim that two arms differ by 0.16 pp cannot be judged from curves still
  moving by more than that). A run of fewer than 5 epochs cannot show a
  window of settled epochs and counts as not converged.

  Args:
    curves: arm name -> array [seeds, epochs] (or [epochs]).
    tolerance: the largest move allowed, in the curves' unit.
    window: the fraction of the epochs that forms the window.
  """
  if not tolerance > 0:
    raise ValueError(f"tolerance must be > 0, got {tolerance!r}")
  worst, worst_arm, epochs = None, None, 0
  for name, c in curves.items():
    c = np.asarray(c, np.float64)
    mean = c.mean(axis=0) if c.ndim == 2 else c
    epochs = mean.size
    if epochs < 5:
      return Convergence(False, tolerance, 0, None, None, epochs)
    k = max(1, int(round(window * epochs)))
    move = float(abs(mean[-1] - mean[-1 - k]))
    if worst is None or move > worst:
      worst, worst_arm = move, name
  if worst is None:
    raise ValueError("curves must name at least one arm")
  k = max(1, int(round(window * epochs)))
  return Convergence(worst < tolerance, tolerance, k, worst, worst_arm, epochs)


# ---------------------------------------------------------------------------
# Rules (the statistics: `psn_jax.claims.statistics`).


def superiority(diffs: Any, effect: float, *, converged: bool,
                alpha: float = ALPHA, what: str = "difference") -> Verdict:
  """Claim: the mean of `diffs` is > 0, of about `effect` (the paper's).

  reproduced: mean > 0 with one-sided p < alpha. not reproduced: converged,
  the test could see `effect` (MDE at 80% power, one-sided, <= effect) and
  the data exclude it (one-sided test of mean < effect, p < alpha).
  inconclusive otherwise.
  """
  t = paired_test(diffs, alpha)
  mde = mde_paired(t["std"], t["n"], alpha, alternative="larger")
  shifted = paired_test(np.asarray(diffs, np.float64) - effect, alpha)
  t.update(effect=effect, mde80=mde, p_below_effect=shifted["p_less"],
           alpha=alpha, test="one-sided paired t")
  base = (f"{what} {t['mean']:+.2f} (95% CI {t['ci95'][0]:+.2f}, "
          f"{t['ci95'][1]:+.2f}; n = {t['n']}), one-sided p = {t['p_greater']:.2g}; "
          f"paper {effect:+.2f}; MDE(80%) {_fmt(mde)}")
  if t["p_greater"] < alpha and t["mean"] > 0:
    return gate(Verdict("reproduced", base, t), converged)
  powered = mde is not None and mde <= effect
  if converged and powered and shifted["p_less"] < alpha:
    return Verdict("not reproduced", base + "; the paper's effect is excluded",
                   t)
  return _inconclusive(base, t, converged=converged,
                       powered=powered, weak="too few seeds for the paper's effect",
                       open_="the interval holds both 0 and the paper's effect")


def _holm_columns(rows: Mapping[str, dict], keys: Sequence[str],
                  alpha: float) -> list[list[str]]:
  """Holm-adjusts each p-value column `key` over the cells (stored as
  `key + "_holm"` in each row) and returns, per key, the cells below alpha."""
  names = list(rows)
  out = []
  for key in keys:
    for n, p in zip(names, holm([rows[n][key] for n in names], alpha)):
      rows[n][f"{key}_holm"] = float(p)
    out.append([n for n in names if rows[n][f"{key}_holm"] < alpha])
  return out


def equivalence_all(cells: Mapping[str, Any], margin: float, *,
                    converged: bool, alpha: float = ALPHA,
                    what: str = "gap", paired: bool = True) -> Verdict:
  """Claim: every cell's mean difference is within +-`margin` (equivalence).

  TOST per cell (paired differences, or with `paired=False` a pair (a, b)
  of independent samples per cell, Welch), Holm over cells for both the
  equivalence p-values and the "beyond the margin" p-values. reproduced:
  every cell equivalent; partly: some cells equivalent, none shown beyond;
  not reproduced: converged and some cell shown beyond the margin (which
  refutes "every"); inconclusive otherwise.
  """
  names = list(cells)
  if not names:
    raise ValueError("cells must name at least one cell")
  rows = {n: (tost(cells[n], margin, alpha) if paired else
              tost_ind(*cells[n], margin, alpha)) for n in names}
  eq, out = _holm_columns(rows, ("p_equivalence", "p_beyond_margin"), alpha)
  worst = max(names, key=lambda n: rows[n]["mean"])
  mdes = [rows[n]["mde80"] for n in names if rows[n]["mde80"] is not None]
  mde = max(mdes) if mdes else None
  st = {"cells": rows, "margin": margin, "alpha": alpha, "equivalent": eq,
        "beyond_margin": out, "mde80": mde, "test": "TOST, Holm over cells"}
  base = (f"{len(eq)}/{len(names)} cells equivalent within +-{margin:g} "
          f"(TOST, Holm); {len(out)} beyond; largest {what} "
          f"{rows[worst]['mean']:+.2f} ({worst}); MDE(80%) margin {_fmt(mde)}")
  if len(eq) == len(names):
    return gate(Verdict("reproduced", base, st), converged)
  powered = mde is not None and mde <= margin
  if out and converged:   # a cell shown beyond the margin refutes "every"
    return Verdict("not reproduced", base, st)
  if eq and not out:
    return gate(Verdict("partly", base, st), converged)
  return _inconclusive(base, st, converged=converged,
                       powered=powered, weak="too few seeds for the margin",
                       open_="intervals hold the margin")


def noninferior_any(cells: Mapping[str, Any], margin: float, *,
                    converged: bool, alpha: float = ALPHA,
                    what: str = "loss") -> Verdict:
  """Claim: some cell loses less than `margin` (non-inferiority).

  `cells[name]` holds the paired losses (reference - arm) per seed. One-sided
  paired t of loss < margin per cell, Holm over cells. reproduced: some cell
  non-inferior; not reproduced: converged and every cell shown to lose more
  than the margin (one-sided, Holm); inconclusive otherwise.
  """
  names = list(cells)
  if not names:
    raise ValueError("cells must name at least one cell")
  rows = {}
  for n in names:
    d = np.asarray(cells[n], np.float64)
    t = paired_test(d, alpha)
    shifted = paired_test(d - margin, alpha)
    t.update(p_noninferior=shifted["p_less"], p_inferior=shifted["p_greater"],
             mde80=mde_paired(t["std"], t["n"], alpha, alternative="larger"))
    rows[n] = t
  ok, bad = _holm_columns(rows, ("p_noninferior", "p_inferior"), alpha)
  best = min(names, key=lambda n: rows[n]["mean"])
  st = {"cells": rows, "margin": margin, "alpha": alpha, "noninferior": ok,
        "inferior": bad, "mde80": rows[best]["mde80"],
        "test": "one-sided non-inferiority t, Holm over cells"}
  base = (f"{len(ok)}/{len(names)} cells lose < {margin:g} (Holm); smallest "
          f"{what} {rows[best]['mean']:+.2f} ({best})")
  if ok:
    return gate(Verdict("reproduced", base, st), converged)
  if converged and len(bad) == len(names):
    return Verdict("not reproduced", base + f"; every cell loses > {margin:g}",
                   st)
  why = "runs not converged" if not converged else "intervals hold the margin"
  return Verdict("inconclusive", base + f"; {why}", st)


def best_of(arms: Mapping[str, Any], *, converged: bool, effect: float,
            alpha: float = ALPHA, what: str = "arm - reference") -> Verdict:
  """Claim: at least one arm beats the reference (mean paired diff > 0).

  One-sided paired t per arm, Holm over arms. reproduced: some arm > 0 after
  Holm. not reproduced: converged, powered for `effect` in every arm, and
  every arm's mean shown below `effect` (one-sided, Holm). inconclusive
  otherwise.
  """
  names = list(arms)
  if not names:
    raise ValueError("arms must name at least one arm")
  rows = {n: paired_test(arms[n], alpha) for n in names}
  below = {n: paired_test(np.asarray(arms[n], np.float64) - effect,
                          alpha)["p_less"] for n in names}
  p_win = holm([rows[n]["p_greater"] for n in names], alpha)
  p_low = holm([below[n] for n in names], alpha)
  for n, pw, pl in zip(names, p_win, p_low):
    rows[n].update(p_greater_holm=float(pw), p_below_effect_holm=float(pl),
                   mde80=mde_paired(rows[n]["std"], rows[n]["n"], alpha,
                                    alternative="larger"))
  wins = [n for n in names if rows[n]["p_greater_holm"] < alpha
          and rows[n]["mean"] > 0]
  best = max(names, key=lambda n: rows[n]["mean"])
  mdes = [rows[n]["mde80"] for n in names]
  mde = None if None in mdes else max(mdes)
  st = {"arms": rows, "effect": effect, "alpha": alpha, "wins": wins,
        "mde80": mde, "best": best, "test": "one-sided paired t, Holm"}
  base = (f"{len(wins)}/{len(names)} arms above the reference (Holm); best "
          f"{best} {rows[best]['mean']:+.2f} (p = "
          f"{rows[best]['p_greater_holm']:.2g} Holm); MDE(80%) {_fmt(mde)}")
  if wins:
    return gate(Verdict("reproduced", base, st), converged)
  powered = mde is not None and mde <= effect
  if converged and powered and all(rows[n]["p_below_effect_holm"] < alpha
                                   for n in names):
    return Verdict("not reproduced", base + f"; every arm below {effect:+g}",
                   st)
  return _inconclusive(base, st, converged=converged,
                       powered=powered, weak="too few seeds for the effect",
                       open_="intervals hold the effect")


def correlation(x: Any, y: Any, *, sign: int, converged: bool,
                alpha: float = ALPHA, paper_r: float | None = None,
                what: str = "r") -> Verdict:
  """Claim: x and y correlate with `sign` (+1 or -1), over unit means.

  The points are variant or family means (one per x value), never per-seed
  points that share an x. Pearson r (scipy), two-sided p. reproduced: sign
  right and p < alpha. not reproduced: converged, the test could see the
  paper's |r| (MDE at 80% power <= |paper_r|, or 0.5 where the paper gives no
  r) and r has the opposite sign with p < alpha, or its CI excludes the
  paper's r. inconclusive otherwise.
  """
  x, y = as_vector(x, "x"), as_vector(y, "y")
  if x.size != y.size:
    raise ValueError(f"x and y must have equal lengths, got {x.size}, {y.size}")
  n = x.size
  if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
    st = {"r": None, "p": None, "n": n, "ci95": [None, None]}
    return Verdict("inconclusive", f"{what} undefined over {n} points", st)
  res = sps.pearsonr(x, y)
  r, p = float(res.statistic), float(res.pvalue)
  if n > 3:
    ci = res.confidence_interval(0.95)
    lo, hi = float(ci.low), float(ci.high)
  else:
    lo, hi = -1.0, 1.0
  mde = mde_correlation(n, alpha)
  target = abs(paper_r) if paper_r is not None else 0.5
  st = {"r": r, "p": p, "n": n, "ci95": [lo, hi], "mde80": mde,
        "paper_r": paper_r, "sign": sign, "alpha": alpha,
        "test": "Pearson on unit means"}
  base = (f"{what} = {r:+.2f} (95% CI {lo:+.2f}, {hi:+.2f}; n = {n} means), "
          f"p = {p:.2g}; MDE(80%) |r| {_fmt(mde)}")
  if sign * r > 0 and p < alpha:
    return gate(Verdict("reproduced", base, st), converged)
  powered = mde is not None and mde <= target
  excluded = (sign * r < 0 and p < alpha) or (
      paper_r is not None and not lo <= paper_r <= hi)
  if converged and powered and excluded:
    return Verdict("not reproduced", base, st)
  return _inconclusive(base, st, converged=converged,
                       powered=powered, weak="too few means for the effect",
                       open_="the interval holds 0")


def fixed_effect(frame: Any, response: str, measure: str, factor: str, *,
                 sign: int, converged: bool, alpha: float = ALPHA) -> Verdict:
  """Claim: `response` follows `measure` (with `sign`) once `factor` is held.

  OLS `response ~ C(factor) + measure` on unit means (statsmodels formula),
  so each level of the factor (e.g. density) has its own intercept and the
  slope is estimated within levels. Verdict as in `correlation`, on the
  slope's t-test; the partial r is reported beside it.
  """
  import statsmodels.formula.api as smf  # pylint: disable=g-import-not-at-top
  df = frame[[response, measure, factor]].dropna()
  n, levels = len(df), df[factor].nunique()
  if n - levels - 1 < 2 or df[measure].nunique() < 3:
    return Verdict("inconclusive", f"{measure}: too few points ({n}) for "
                   f"{levels} levels", {"n": n})
  fit = smf.ols(f"Q('{response}') ~ C(Q('{factor}')) + Q('{measure}')",
                data=df).fit()
  key = f"Q('{measure}')"
  slope, p = float(fit.params[key]), float(fit.pvalues[key])
  lo, hi = (float(v) for v in fit.conf_int(alpha).loc[key])
  tval = float(fit.tvalues[key])
  partial = tval / math.sqrt(tval ** 2 + fit.df_resid)
  mde = mde_correlation(int(fit.df_resid) + 3, alpha)
  st = {"slope": slope, "p": p, "ci95": [lo, hi], "partial_r": partial,
        "n": n, "levels": levels, "df_resid": float(fit.df_resid),
        "mde80_partial_r": mde, "alpha": alpha,
        "test": f"OLS {response} ~ C({factor}) + {measure}"}
  base = (f"{measure}: slope {slope:+.3g} (95% CI {lo:+.3g}, {hi:+.3g}), "
          f"partial r {partial:+.2f}, p = {p:.2g}, {n} means in {levels} "
          f"{factor} levels")
  if sign * slope > 0 and p < alpha:
    return gate(Verdict("reproduced", base, st), converged)
  powered = mde is not None and mde <= 0.5
  if converged and powered and sign * slope < 0 and p < alpha:
    return Verdict("not reproduced", base + "; opposite sign", st)
  why = ("runs not converged" if not converged else
         "too few means" if not powered else "the interval holds 0")
  return Verdict("inconclusive", base + f"; {why}", st)


def combine(parts: Sequence[Verdict], name: str = "parts",
            labels: Sequence[str] | None = None) -> Verdict:
  """A claim of several parts: all reproduced -> reproduced; some -> partly;
  any part not reproduced and none reproduced -> not reproduced; else
  inconclusive. Holm is applied inside the parts, not here; the MDE is the
  largest part's. With `labels` the reason is one "label: verdict" per part
  (the parts' reasons stay in the statistics), else the parts' reasons
  joined."""
  vs = [p.verdict for p in parts]
  if labels is None:
    reason = "; ".join(p.reason for p in parts)
    st = {f"{name}_{i}": p.stats for i, p in enumerate(parts)}
  else:
    reason = "; ".join(f"{l}: {p.verdict} ({p.reason.split('; ')[0]})"
                       for l, p in zip(labels, parts))
    st = {l: {"verdict": p.verdict, "reason": p.reason, **p.stats}
          for l, p in zip(labels, parts)}
  mdes = [p.stats.get("mde80") for p in parts]
  if mdes and None not in mdes:   # the weakest part bounds what the claim sees
    st["mde80"] = max(mdes)
  if all(v == "reproduced" for v in vs):
    return Verdict("reproduced", reason, st)
  if any(v in ("reproduced", "partly") for v in vs):
    return Verdict("partly", reason, st)
  if any(v == "not reproduced" for v in vs):
    return Verdict("not reproduced", reason, st)
  return Verdict("inconclusive", reason, st)


def _inconclusive(base: str, st: Mapping[str, Any], *, converged: bool,
                  powered: bool, weak: str, open_: str) -> Verdict:
  """`inconclusive`, saying why: runs still moving, a test too weak for the
  effect (`weak`), or an interval open to both outcomes (`open_`)."""
  why = ("runs not converged" if not converged else weak if not powered
         else open_)
  return Verdict("inconclusive", base + f"; {why}", st)


def gate(v: Verdict, converged: bool) -> Verdict:
  """Runs that have not converged cannot decide a claim either way: any
  verdict but `inconclusive` becomes `inconclusive`, the reason keeps what
  the test alone said."""
  if converged or v.verdict == "inconclusive":
    return v
  return Verdict("inconclusive", v.reason + f"; runs not converged (the test "
                 f"alone: {v.verdict})", v.stats)


def _fmt(x: float | None) -> str:
  return "-" if x is None else f"{x:.2f}"
