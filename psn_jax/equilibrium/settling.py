"""The settling rule and the lognormal fit of one layer's fan-ins."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

import numpy as np
import scipy.stats

__all__ = ["SettlingRule", "SETTLING_RULE", "SettleResult", "LognormalFit",
           "total_variation", "settling", "fit_lognormal"]


@dataclasses.dataclass(frozen=True)
class SettlingRule:
  """The tolerances of the settling rule (`settling`): their one home.

  Attributes:
    cv_tol: CV tolerance, > 0 (absolute).
    hist_tol: total-variation tolerance between normalised histograms, in
      (0, 1].
    window: number of following records that must stay within tolerance,
      an integer >= 1.
  """

  cv_tol: float = 0.02
  hist_tol: float = 0.05
  window: int = 3

  def __post_init__(self) -> None:
    if not self.cv_tol > 0:
      raise ValueError(f"cv_tol must be > 0, got {self.cv_tol}")
    if not 0 < self.hist_tol <= 1:
      raise ValueError(f"hist_tol must be in (0, 1], got {self.hist_tol}")
    if not isinstance(self.window, (int, np.integer)) or self.window < 1:
      raise ValueError(f"window must be an integer >= 1, got {self.window!r}")


# The rule the library uses unless told otherwise.
SETTLING_RULE = SettlingRule()


class SettleResult(NamedTuple):
  """When a run's fan-in distribution stopped changing.

  Attributes:
    settled: whether some record satisfies the settling rule.
    step: the training step of that record, or None.
    index: its index into the record arrays, or None.
    cv_final: the fan-in CV at the last record.
  """

  settled: bool
  step: int | None
  index: int | None
  cv_final: float


class LognormalFit(NamedTuple):
  """Maximum-likelihood lognormal fit of a layer's fan-ins.

  Attributes:
    mu: mean of log fan-in (the MLE of the lognormal's mu).
    sigma: population std (ddof=0) of log fan-in (the MLE of sigma).
    mean: mean of the fitted lognormal, exp(mu + sigma^2 / 2).
    cv: CV of the fitted lognormal, sqrt(exp(sigma^2) - 1).
    ks_stat: Kolmogorov-Smirnov statistic against the fitted lognormal.
    ks_pvalue: its p-value (approximate; see `fit_lognormal`).
    n: number of fan-ins fitted (those > 0).
    n_zero: number of zero fan-ins excluded from the fit.
  """

  mu: float
  sigma: float
  mean: float
  cv: float
  ks_stat: float
  ks_pvalue: float
  n: int
  n_zero: int


def total_variation(p: Any, q: Any) -> float:
  """Total variation distance between two histograms, normalised first.

  `0.5 * sum |p/sum(p) - q/sum(q)|`, in [0, 1]: the largest difference in
  the fraction of neurons that any set of bins can show.

  Args:
    p: (n_bins,) counts >= 0 with a positive sum.
    q: (n_bins,) counts, same shape.

  Returns:
    The distance as a float.
  """
  p = np.asarray(p, np.float64)
  q = np.asarray(q, np.float64)
  if p.shape != q.shape:
    raise ValueError(f"p and q must have the same shape, got {p.shape}, {q.shape}")
  sp, sq = p.sum(), q.sum()
  if sp <= 0 or sq <= 0:
    raise ValueError("p and q must have positive sums (non-empty histograms)")
  return float(0.5 * np.abs(p / sp - q / sq).sum())


def settling(steps: Any, cv: Any, hist: Any, **rule: Any) -> SettleResult:
  """Whether and when a run's fan-in distribution stopped changing.

  Rule (ours; the paper does not say how it judged convergence): record i is
  the settling point if, for every one of the following `window` records j
  (i < j <= i + window), both
    * |cv[j] - cv[i]| < cv_tol (absolute; CV is dimensionless), and
    * total_variation(hist[j], hist[i]) < hist_tol (between histograms
      normalised to fractions of neurons),
  and it is the first such record. Comparing with the anchor record i rather
  than record to record keeps a slow drift (many small steps) from passing.
  A record needs `window` records after it, so the last `window` records can
  never be the settling point. Only the window is checked: a run that settles
  and later moves again (e.g. a new learning-rate phase) still counts as
  settled at the first point; compare `cv_final` with the settled CV if that
  matters.

  Args:
    steps: (T,) training step of each record.
    cv: (T,) fan-in CV at each record.
    hist: (T, n_bins) fan-in histogram at each record, or None to use the CV
      alone.
    **rule: overrides of the `SettlingRule` fields `cv_tol`, `hist_tol`,
      `window` (defaults: `SETTLING_RULE`).

  Returns:
    A `SettleResult`.
  """
  steps = np.asarray(steps)
  cv = np.asarray(cv, np.float64)
  if steps.ndim != 1 or steps.size == 0:
    raise ValueError(f"steps must be a non-empty 1-D array, got shape {steps.shape}")
  t = steps.size
  if cv.shape != (t,):
    raise ValueError(f"cv must have shape ({t},), got {cv.shape}")
  if hist is not None:
    hist = np.asarray(hist, np.float64)
    if hist.ndim != 2 or hist.shape[0] != t:
      raise ValueError(f"hist must have shape ({t}, n_bins), got {hist.shape}")
    sums = hist.sum(axis=1, keepdims=True)
    if np.any(sums <= 0):
      raise ValueError("hist must have a positive count in every record")
    frac = hist / sums
  r = SettlingRule(**rule)
  cv_tol, hist_tol, window = r.cv_tol, r.hist_tol, r.window
  cv_final = float(cv[-1])
  for i in range(t - window):
    nxt = slice(i + 1, i + 1 + window)
    if not np.all(np.abs(cv[nxt] - cv[i]) < cv_tol):
      continue
    if hist is not None:
      tv = 0.5 * np.abs(frac[nxt] - frac[i]).sum(axis=1)
      if not np.all(tv < hist_tol):
        continue
    return SettleResult(True, int(steps[i]), i, cv_final)
  return SettleResult(False, None, None, cv_final)


def fit_lognormal(fan_ins: Any) -> LognormalFit:
  """Maximum-likelihood lognormal fit of a layer's fan-ins, with a KS test.

  The MLE of a lognormal is the mean and population std (ddof=0) of the logs:
  mu = mean(log f), sigma = std(log f). Zero fan-ins (dead neurons) have no
  log and are excluded; `n_zero` reports how many. The fit treats the integer
  fan-ins as continuous values (log of the integer), which is accurate when
  fan-ins are large (tens or more, as at 90% sparsity with n_in >= 54).

  Goodness of fit: `scipy.stats.kstest` of the fitted fan-ins against the
  fitted lognormal (shape sigma, loc 0, scale exp(mu)). The p-value is
  approximate, in two ways: mu and sigma were estimated from the same data
  (the Lilliefors effect, which makes the p-value too large, i.e. the test
  conservative), and the fan-ins are integers compared with a continuous CDF
  (ties; also conservative for a continuous null, but at small fan-ins the
  steps of the empirical CDF add to the statistic). Read it as a descriptive
  distance, not an exact test; `ks_stat` is the comparable number across runs.

  Args:
    fan_ins: per-neuron fan-ins (any shape, flattened), >= 0 and finite.

  Returns:
    A `LognormalFit`. With no positive fan-in every float field is NaN and
    n = 0; with a single one, or all equal (sigma = 0), the KS fields are NaN.
  """
  f = np.asarray(fan_ins, np.float64).ravel()
  if not np.all(np.isfinite(f)) or np.any(f < 0):
    raise ValueError("fan_ins must be finite and >= 0")
  pos = f[f > 0]
  n, n_zero = int(pos.size), int(f.size - pos.size)
  nan = float("nan")
  if n == 0:
    return LognormalFit(nan, nan, nan, nan, nan, nan, 0, n_zero)
  logs = np.log(pos)
  mu = float(np.mean(logs))
  sigma = float(np.std(logs))
  mean = float(math.exp(mu + 0.5 * sigma**2))
  cv = float(math.sqrt(math.expm1(sigma**2)))
  if n < 2 or sigma <= 1e-12:
    return LognormalFit(mu, sigma, mean, cv, nan, nan, n, n_zero)
  ks = scipy.stats.kstest(pos, "lognorm", args=(sigma, 0.0, math.exp(mu)))
  return LognormalFit(
    mu, sigma, mean, cv, float(ks.statistic), float(ks.pvalue), n, n_zero
  )
