"""The statistics under the verdict rules: paired t, TOST, Holm, power.

Pure functions of NumPy arrays (differences in the claim's unit). scipy and
statsmodels do the work: `statsmodels.stats.weightstats.ttost_paired` /
`ttost_ind` (TOST), `statsmodels.stats.power.TTestPower` (power of the
paired t-test); Holm is written out (`holm`) and checked against
`statsmodels.stats.multitest.multipletests` in the tests.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Sequence

import numpy as np
from scipy import stats as sps

ALPHA = 0.05
POWER = 0.8


def as_vector(x: Any, name: str) -> np.ndarray:
  a = np.asarray(x, np.float64).reshape(-1)
  if a.size < 2 or not np.all(np.isfinite(a)):
    raise ValueError(f"{name} must hold at least 2 finite values, got {a!r}")
  return a


def mde_paired(sd: float, n: int, alpha: float = ALPHA, power: float = POWER,
               alternative: str = "two-sided") -> float | None:
  """Smallest true mean difference a paired t-test finds at `power`.

  Cohen's d from `statsmodels.stats.power.TTestPower.solve_power` times the
  standard deviation of the paired differences.
  """
  if n < 2 or not (sd and math.isfinite(sd)):
    return None
  return _cohen_d(int(n), alpha, power, alternative) * sd


@functools.lru_cache(maxsize=None)
def _cohen_d(n: int, alpha: float, power: float, alternative: str) -> float:
  """Cohen's d a paired t-test of n finds at `power` (a root search: cached)."""
  from statsmodels.stats.power import TTestPower  # pylint: disable=g-import-not-at-top
  return float(TTestPower().solve_power(effect_size=None, nobs=n, alpha=alpha,
                                        power=power, alternative=alternative))


def mde_equivalence(sd: float, n: int, alpha: float = ALPHA,
                    power: float = POWER) -> float | None:
  """Smallest margin TOST establishes at `power` when the true difference is 0.

  The usual approximation (Chow, Shao & Wang 2008, eq. 3.2.4): margin =
  (t_{1-alpha, n-1} + t_{1-(1-power)/2, n-1}) * sd / sqrt(n).
  """
  if n < 2 or not (sd and math.isfinite(sd)):
    return None
  df = n - 1
  return float((sps.t.ppf(1 - alpha, df) + sps.t.ppf(1 - (1 - power) / 2, df))
               * sd / math.sqrt(n))


def mde_correlation(n: int, alpha: float = ALPHA, power: float = POWER
                    ) -> float | None:
  """Smallest |r| a two-sided Pearson test finds at `power` with n points
  (Fisher z: r = tanh((z_{1-alpha/2} + z_power) / sqrt(n - 3)))."""
  if n < 4:
    return None
  return float(math.tanh((sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power))
                         / math.sqrt(n - 3)))


def holm(pvalues: Sequence[float], alpha: float = ALPHA) -> np.ndarray:
  """Holm-adjusted p-values (Holm 1979): the k-th smallest p times (m - k + 1),
  made monotone, capped at 1.

  The same numbers as `statsmodels.stats.multitest.multipletests(...,
  method="holm")` (tests/test_verdicts.py checks it); written out because
  that function runs a full `gc.collect()` per call (150 ms with a JAX
  process's heap), and the rules call it hundreds of times in the tests.
  """
  del alpha  # the adjusted p-values do not depend on it
  p = np.asarray(pvalues, np.float64)
  m = p.size
  if m == 0:
    return p
  order = np.argsort(p, kind="stable")
  adjusted = np.minimum(1.0, np.maximum.accumulate(
      p[order] * (m - np.arange(m))))
  out = np.empty(m)
  out[order] = adjusted
  return out


def paired_test(diffs: Any, alpha: float = ALPHA) -> dict[str, Any]:
  """Mean, std, n, 95% CI, two-sided and one-sided (greater, less) p of a
  paired difference vector."""
  d = as_vector(diffs, "diffs")
  n, mean, sd = d.size, float(d.mean()), float(d.std(ddof=1))
  se = sd / math.sqrt(n)
  half = float(sps.t.ppf(1 - alpha / 2, n - 1) * se)
  if se == 0:
    p2 = 0.0 if mean != 0 else 1.0
    pg = 0.0 if mean > 0 else 1.0
    pl = 0.0 if mean < 0 else 1.0
  else:
    t = mean / se
    p2 = float(2 * sps.t.sf(abs(t), n - 1))
    pg = float(sps.t.sf(t, n - 1))
    pl = float(sps.t.cdf(t, n - 1))
  return {"mean": mean, "std": sd, "n": n, "ci95": [mean - half, mean + half],
          "p": p2, "p_greater": pg, "p_less": pl,
          "d": mean / sd if sd > 0 else None}


def tost(diffs: Any, margin: float, alpha: float = ALPHA) -> dict[str, Any]:
  """TOST of |mean(diffs)| < margin (`statsmodels ttost_paired`), with the p
  that the mean lies beyond +-margin (twice the smaller one-sided p)."""
  from statsmodels.stats.weightstats import ttost_paired  # pylint: disable=g-import-not-at-top
  d = as_vector(diffs, "diffs")
  t = paired_test(d, alpha)
  if t["std"] == 0:
    p_eq = 0.0 if abs(t["mean"]) < margin else 1.0
  else:
    p_eq = float(ttost_paired(d, np.zeros_like(d), -margin, margin)[0])
  beyond = min(1.0, 2 * min(paired_test(d - margin, alpha)["p_greater"],
                            paired_test(d + margin, alpha)["p_less"]))
  t.update(margin=margin, p_equivalence=p_eq, p_beyond_margin=beyond,
           mde80=mde_equivalence(t["std"], t["n"], alpha))
  return t


def tost_ind(a: Any, b: Any, margin: float, alpha: float = ALPHA
             ) -> dict[str, Any]:
  """Welch TOST of |mean(a) - mean(b)| < margin (`statsmodels ttost_ind`),
  with the p that the difference lies beyond +-margin."""
  from statsmodels.stats.weightstats import ttost_ind  # pylint: disable=g-import-not-at-top
  a, b = as_vector(a, "a"), as_vector(b, "b")
  diff = float(a.mean() - b.mean())
  se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
  if se == 0:
    p_eq = 0.0 if abs(diff) < margin else 1.0
    beyond = 0.0 if abs(diff) > margin else 1.0
  else:
    p_eq = float(ttost_ind(a, b, -margin, margin, usevar="unequal")[0])
    up = sps.ttest_ind(a - margin, b, equal_var=False, alternative="greater")
    down = sps.ttest_ind(a + margin, b, equal_var=False, alternative="less")
    beyond = min(1.0, 2 * min(float(up.pvalue), float(down.pvalue)))
  n = min(a.size, b.size)
  sd = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
  # Two groups of n: the paired formula with sd * sqrt(2) (Chow et al. 3.2).
  mde = mde_equivalence(sd * math.sqrt(2), n, alpha)
  return {"mean": diff, "std": sd, "n": n, "ci95": [None, None],
          "margin": margin, "p_equivalence": p_eq, "p_beyond_margin": beyond,
          "mde80": mde}
