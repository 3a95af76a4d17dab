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
           "summary_table"]


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
