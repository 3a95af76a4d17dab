"""Statistics over seeds: paired comparisons and summary tables (host NumPy).

Paper: Tomczak, "Heterogeneous Connectivity in Sparse Networks: Fan-in
Profiles, Gradient Hierarchy, and Topological Equilibria", arXiv 2604.10560
(2026) reports "+0.16% on Fashion-MNIST (p = 0.036, Cohen's d = 1.07)" for the
equilibrium-matched lognormal start against ERK, without saying whether the
test was paired. We compare runs paired over seeds (same seed, same data
order) and say so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import scipy.stats

__all__ = ["PairedResult", "paired_comparison", "mean_std", "pearson_r",
           "summary_table", "MeanCI", "mean_ci", "partial_correlation",
           "bootstrap_ci"]


class PairedResult(NamedTuple):
  """Result of `paired_comparison` on d = a - b.

  Attributes:
    mean_diff: mean of d.
    std_diff: sample std of d (ddof=1).
    t: paired t statistic, mean_diff / (std_diff / sqrt(n)), n - 1 dof.
    p: two-sided p-value of t.
    cohen_d: mean_diff / std_diff (Cohen's d for paired data, "d_z").
    n: number of pairs.
  """

  mean_diff: float
  std_diff: float
  t: float
  p: float
  cohen_d: float
  n: int


def _finite_1d(x: Any, name: str) -> np.ndarray:
  a = np.asarray(x, np.float64)
  if a.ndim != 1:
    raise ValueError(f"{name} must be 1-D (one value per seed), got shape {a.shape}")
  if not np.all(np.isfinite(a)):
    raise ValueError(f"{name} must be finite")
  return a


def paired_comparison(a: Any, b: Any) -> PairedResult:
  """Paired comparison of two conditions over seeds: t-test and Cohen's d.

  `a[i]` and `b[i]` must come from the same seed (same init key and data
  order), so the seed's own luck cancels in d = a - b. The test is the
  two-sided paired t-test (`scipy.stats.ttest_rel(a, b)`, n - 1 degrees of
  freedom); the effect size is Cohen's d on the paired differences,
  d_z = mean(d) / std(d, ddof=1) (so t = d_z * sqrt(n)). The paper's
  p = 0.036, d = 1.07 does not say paired or unpaired; with an unpaired test
  and a pooled-std d the numbers would differ, so compare with care.

  Args:
    a: (n,) per-seed metric of condition A (e.g. accuracy), n >= 2.
    b: (n,) per-seed metric of condition B, same seeds in the same order.

  Returns:
    A `PairedResult`. When every difference is equal (std 0), t and cohen_d
    are +-inf (or NaN if the difference is 0) and p is 0 (or NaN).
  """
  a = _finite_1d(a, "a")
  b = _finite_1d(b, "b")
  if a.shape != b.shape:
    raise ValueError(f"a and b must have the same length, got {a.size} and {b.size}")
  n = int(a.size)
  if n < 2:
    raise ValueError(f"a must have at least 2 seeds, got {n}")
  d = a - b
  mean = float(np.mean(d))
  std = float(np.std(d, ddof=1))
  if std == 0:
    if mean == 0:
      return PairedResult(mean, std, math.nan, math.nan, math.nan, n)
    inf = math.copysign(math.inf, mean)
    return PairedResult(mean, std, inf, 0.0, inf, n)
  res = scipy.stats.ttest_rel(a, b)
  return PairedResult(mean, std, float(res.statistic), float(res.pvalue), mean / std, n)


def mean_std(x: Any, axis: int | None = 0) -> tuple[Any, Any]:
  """Mean and sample standard deviation (ddof=1) over seeds.

  ddof=1 because seeds are a sample of the run-to-run distribution; this is
  the std the paper-style "mean +- std over seeds" reports. Seeds are the
  leading axis by convention, hence `axis=0`.

  Args:
    x: array of per-seed values.
    axis: axis to reduce (None: all).

  Returns:
    (mean, std) as NumPy floats or arrays; std is NaN where there is only one
    value.
  """
  x = np.asarray(x, np.float64)
  if x.size == 0:
    raise ValueError("x must be non-empty")
  n = x.size if axis is None else x.shape[axis]
  mean = np.mean(x, axis=axis)
  if n < 2:
    std = np.full_like(mean, np.nan) if np.ndim(mean) else np.float64(np.nan)
  else:
    std = np.std(x, axis=axis, ddof=1)
  return mean, std


def pearson_r(x: Any, y: Any) -> tuple[float, float]:
  """Pearson's correlation r of paired points, and its two-sided p-value.

  The one Pearson r of psn-jax (topology measure against accuracy in
  `plots.accuracy_vs_measure`, fan-in CV against gradient concentration in
  `topology.concentration.fan_in_cv_correlation`):
  `r = sum (x - mean x)(y - mean y) / sqrt(sum (x - mean x)^2 sum (y - mean y)^2)`,
  computed by `scipy.stats.pearsonr`, whose p-value is exact under bivariate
  normality (Student t with n - 2 degrees of freedom).

  Args:
    x: (n,) finite values.
    y: (n,) finite values, paired with `x`.

  Returns:
    `(r, p)` as floats; `(nan, nan)` when r is undefined: fewer than 2 points
    or a constant `x` or `y`. With exactly 2 points r is +-1 and p is 1.
  """
  a = _finite_1d(x, "x")
  b = _finite_1d(y, "y")
  if a.shape != b.shape:
    raise ValueError(f"y must have the same length as x ({a.size}), got {b.size}")
  if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
    return math.nan, math.nan
  res = scipy.stats.pearsonr(a, b)
  return float(res.statistic), float(res.pvalue)


def summary_table(results: Mapping[str, Any], digits: int = 2) -> str:
  """Plain-text table of per-seed accuracies: name, n, mean, std, min, max.

  Accuracies are fractions in [0, 1] and are printed in percent with
  `digits` decimals; std is the sample std over seeds (ddof=1; "nan" for a
  single seed). Rows keep the order of `results`.

  Args:
    results: name -> (n_seeds,) per-seed accuracies in [0, 1].
    digits: decimals of the percentages, >= 0.

  Returns:
    The table, one header line, one rule, one line per name, no trailing
    newline.
  """
  if not isinstance(results, Mapping) or not results:
    raise ValueError("results must be a non-empty dict of name -> accuracies")
  if not isinstance(digits, int) or digits < 0:
    raise ValueError(f"digits must be an integer >= 0, got {digits!r}")
  header = ["name", "n", "mean %", "std %", "min %", "max %"]
  rows = []
  for name, acc in results.items():
    a = np.asarray(acc, np.float64).ravel()
    if a.size == 0:
      raise ValueError(f"results[{name!r}] must be non-empty")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or np.any(a > 1):
      raise ValueError(f"results[{name!r}] must be accuracies in [0, 1]")
    mean, std = mean_std(a)
    vals = [mean, std, a.min(), a.max()]
    rows.append([str(name), str(a.size)] + [f"{100 * v:.{digits}f}" for v in vals])
  widths = [max(len(r[c]) for r in [header] + rows) for c in range(len(header))]

  def fmt(r: list[str]) -> str:
    cells = [r[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(r[1:], widths[1:])]
    return "  ".join(cells).rstrip()

  lines = [fmt(header), "  ".join("-" * w for w in widths)]
  lines += [fmt(r) for r in rows]
  return "\n".join(lines)


# ---------------------------------------------------------------------------
# Confidence intervals and partial correlations (issue 10: claim reports).


class MeanCI(NamedTuple):
  """Mean over seeds with its Student-t confidence interval.

  Attributes:
    mean: sample mean.
    std: sample std (ddof=1; NaN for one value).
    n: number of values.
    lo: lower end of the interval, `mean - t_{(1+level)/2, n-1} std / sqrt(n)`.
    hi: upper end.
  """

  mean: float
  std: float
  n: int
  lo: float
  hi: float


def mean_ci(x: Any, level: float = 0.95) -> MeanCI:
  """Mean, sample std and the `level` t-interval of the mean of `x`.

  The interval is `mean +- t * std / sqrt(n)` with `t` the `(1 + level) / 2`
  quantile of Student's t with n - 1 degrees of freedom (the usual interval
  for a mean over seeds; for paired differences pass the differences).

  Args:
    x: (n,) finite values, n >= 1.
    level: coverage in (0, 1).

  Returns:
    A `MeanCI`; `std`, `lo` and `hi` are NaN for n = 1, and `lo == hi ==
    mean` when every value is equal.
  """
  a = _finite_1d(x, "x")
  if a.size == 0:
    raise ValueError("x must be non-empty")
  if not 0 < level < 1:
    raise ValueError(f"level must be in (0, 1), got {level!r}")
  n = int(a.size)
  mean = float(np.mean(a))
  if n < 2:
    return MeanCI(mean, math.nan, n, math.nan, math.nan)
  std = float(np.std(a, ddof=1))
  half = float(scipy.stats.t.ppf((1 + level) / 2, n - 1)) * std / math.sqrt(n)
  return MeanCI(mean, std, n, mean - half, mean + half)


def partial_correlation(x: Any, y: Any, covariates: Any) -> tuple[float, float]:
  """Pearson correlation of `x` and `y` with linear effects of covariates removed.

  Both `x` and `y` are regressed (least squares, with an intercept) on the
  covariates, and r is Pearson's r of the two residual vectors. The p-value
  is the two-sided t-test of r with `n - 2 - k` degrees of freedom (k
  covariates): `t = r sqrt((n - 2 - k) / (1 - r^2))`. Bourely et al.'s "accuracy
  follows the spectral gap rather than density" is tested with density as the
  covariate.

  Args:
    x: (n,) finite values.
    y: (n,) finite values.
    covariates: (n,) or (n, k) finite values (k >= 0 columns).

  Returns:
    `(r, p)`; `(nan, nan)` when undefined (n - 2 - k < 1, or a residual is
    constant).
  """
  a = _finite_1d(x, "x")
  b = _finite_1d(y, "y")
  if a.shape != b.shape:
    raise ValueError(f"y must have the same length as x ({a.size}), got {b.size}")
  z = np.asarray(covariates, np.float64)
  if z.ndim == 1:
    z = z[:, None]
  if z.ndim != 2 or z.shape[0] != a.size:
    raise ValueError(f"covariates must have shape (n,) or (n, k) with n={a.size}, "
                     f"got {np.shape(covariates)}")
  if not np.all(np.isfinite(z)):
    raise ValueError("covariates must be finite")
  n, k = a.size, z.shape[1]
  dof = n - 2 - k
  if dof < 1:
    return math.nan, math.nan
  design = np.column_stack([np.ones(n), z])
  rx = a - design @ np.linalg.lstsq(design, a, rcond=None)[0]
  ry = b - design @ np.linalg.lstsq(design, b, rcond=None)[0]
  scale = max(np.abs(a).max(), np.abs(b).max(), 1.0) * 1e-12
  if np.ptp(rx) <= scale or np.ptp(ry) <= scale:
    return math.nan, math.nan
  r = float(np.dot(rx, ry) / math.sqrt(np.dot(rx, rx) * np.dot(ry, ry)))
  r = min(1.0, max(-1.0, r))
  if abs(r) == 1.0:
    return r, 0.0
  t = r * math.sqrt(dof / (1 - r * r))
  return r, float(2 * scipy.stats.t.sf(abs(t), dof))


def bootstrap_ci(stat: Any, *arrays: Any, n_boot: int = 2000,
                 level: float = 0.95, seed: int = 0) -> tuple[float, float]:
  """Percentile bootstrap interval of `stat(*arrays)`.

  The arrays are resampled jointly along their first axis (the same indices
  for every array, so paired points stay paired), `n_boot` times with a NumPy
  `Generator(PCG64(seed))` (deterministic); the interval is the
  `(1 - level) / 2` and `(1 + level) / 2` quantiles of the finite resampled
  statistics (`np.quantile`, linear interpolation).

  Args:
    stat: function of the arrays returning a float (e.g. `lambda x, y:
      pearson_r(x, y)[0]`).
    *arrays: one or more arrays with the same first dimension n >= 2.
    n_boot: number of resamples, >= 1.
    level: coverage in (0, 1).
    seed: resampling seed.

  Returns:
    `(lo, hi)`; `(nan, nan)` when no resample gave a finite statistic.
  """
  if not arrays:
    raise ValueError("arrays must hold at least one array")
  data = [np.asarray(a) for a in arrays]
  n = data[0].shape[0] if data[0].ndim else 0
  if n < 2 or any(d.ndim == 0 or d.shape[0] != n for d in data):
    raise ValueError(f"arrays must share a first dimension n >= 2, got "
                     f"{[d.shape for d in data]}")
  if not isinstance(n_boot, int) or n_boot < 1:
    raise ValueError(f"n_boot must be an integer >= 1, got {n_boot!r}")
  if not 0 < level < 1:
    raise ValueError(f"level must be in (0, 1), got {level!r}")
  rng = np.random.Generator(np.random.PCG64(seed))
  values = []
  for _ in range(n_boot):
    idx = rng.integers(0, n, n)
    v = float(stat(*[d[idx] for d in data]))
    if math.isfinite(v):
      values.append(v)
  if not values:
    return math.nan, math.nan
  lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
  return float(lo), float(hi)
