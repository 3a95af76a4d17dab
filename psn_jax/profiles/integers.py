"""Integer fan-ins from profile weights: water-filling, largest-remainder
rounding and single-unit moves towards a target CV.

Steps (1)-(3) of the integer conversion described in `psn_jax.profiles` (our
choice); `_cv` is the population std / mean of integer fan-ins.
"""

from __future__ import annotations

import math

import numpy as np

_NUDGE_MOVES = 64  # At most this many unit moves.


def _log_mid_sum(lcs: np.ndarray, low: np.ndarray,
                 top: np.ndarray) -> np.ndarray:
  """log of sum(w[low:top]) in ascending order, from log prefix sums `lcs`."""
  with np.errstate(divide="ignore", invalid="ignore"):
    out = lcs[top] + np.log1p(-np.exp(lcs[low] - lcs[top]))
  return np.where(top > low, out, -np.inf)


def _water_fill(lw: np.ndarray, order: np.ndarray, budget: int,
                hi: int) -> np.ndarray:
  """`clip(lam * w, 1, hi)` with `lam` chosen so that the sum is `budget`.

  `f(lam) = sum(clip(lam * w, 1, hi))` is continuous, nondecreasing and linear
  between its breakpoints `1 / w_k` and `hi / w_k`. It is evaluated at all of
  them (in O(n), given the ascending order `order` of the weights), and on the
  segment that brackets `budget` the neurons at 1, at `hi` and in between are
  fixed, so `lam = (budget - n_low - hi * n_top) / sum(w_mid)` exactly.
  Everything is done with log weights `lw`, so profiles whose weights span
  more than the floating-point range keep their order.
  """
  n = lw.size
  if budget <= n:
    return np.ones(n)
  if budget >= n * hi:
    return np.full(n, float(hi))
  ls = np.maximum(lw[order], -1e300)
  lcs = np.concatenate([[-np.inf], np.logaddexp.accumulate(ls)])
  lh = math.log(hi)
  k = np.arange(n)
  # Breakpoints lam = 1 / w_k (neurons 0..k at 1) and lam = hi / w_k (k.. at hi).
  lam = np.concatenate([-ls, lh - ls])
  low = np.concatenate([k + 1, np.minimum(
      np.searchsorted(ls, ls - lh, side="right"), k)])
  top = np.concatenate([np.maximum(
      np.searchsorted(ls, lh + ls, side="left"), k + 1), k])
  with np.errstate(over="ignore"):
    f = low + hi * (n - top) + np.exp(lam + _log_mid_sum(lcs, low, top))
  below = f <= budget
  i1 = np.flatnonzero(below)[np.argmax(lam[below])]
  i2 = np.flatnonzero(~below)[np.argmin(lam[~below])]
  mid = 0.5 * (lam[i1] + lam[i2])
  n_low = int(np.searchsorted(ls, -mid, side="right"))
  n_top = int(np.searchsorted(ls, lh - mid, side="left"))
  rest = budget - n_low - hi * (n - n_top)
  log_lam = lam[i1]
  if rest > 0 and n_top > n_low:
    log_lam = math.log(rest) - float(
        _log_mid_sum(lcs, np.array(n_low), np.array(n_top)))
  with np.errstate(over="ignore"):
    return np.clip(np.exp(log_lam + lw), 1.0, float(hi))


def _round_to_budget(x: np.ndarray, budget: int, hi: int,
                     rank: np.ndarray) -> np.ndarray:
  """Largest-remainder rounding of `x` (in [1, hi], summing to ~budget).

  The missing units go to the largest fractional parts; ties go to the neuron
  ranked higher in weight (`rank`), so a flat profile gets its extra units at
  the high positions. Found in O(n) with a partition.
  """
  f = np.floor(x).astype(np.int64)
  missing = budget - int(f.sum())
  if missing > 0:
    _add_top(f, np.where(f < hi, x - f, -1.0), rank, missing, 1)
  elif missing < 0:  # Only from floating-point excess; take from the smallest.
    _add_top(f, np.where(f > 1, f - x, -2.0), -rank, -missing, -1)
  return f


def _add_top(f: np.ndarray, score: np.ndarray, rank: np.ndarray, k: int,
             step: int) -> None:
  """Adds `step` to the `k` largest scores (ties to the larger rank)."""
  kth = np.partition(score, score.size - k)[score.size - k]
  above = np.flatnonzero(score > kth)
  ties = np.flatnonzero(score == kth)
  ties = ties[np.argsort(-rank[ties], kind="stable")[:k - above.size]]
  f[above] += step
  f[ties] += step


def _cv(f: np.ndarray) -> float:
  """Population std / mean of integer fan-ins (exact sums of squares)."""
  n = f.size
  s = int(f.sum())
  var = max(int(np.dot(f, f)) * n - s * s, 0)
  return math.sqrt(var) / s


def _nudge(f: np.ndarray, order: np.ndarray, target: float, hi: int,
           aim: float) -> np.ndarray:
  """Moves single units between neurons to bring the CV closer to `target`.

  Moving a unit from a neuron with fan-in `v` to one with fan-in `r` changes
  `sum(f**2)` by `2 (r - v) + 2` and keeps the sum, so each move picks the pair
  of present values whose change is closest to what the target needs. The
  donor is the lowest-weight neuron holding `v` and the recipient the
  highest-weight neuron holding `r` (`order` ranks neurons by weight), which
  keeps the fan-ins monotone in the weights.
  """
  f = f.copy()
  n = f.size
  mean = f.sum() / n
  want = n * mean * mean * (1.0 + target * target)
  for _ in range(_NUDGE_MOVES):
    if abs(_cv(f) - target) <= aim:
      break
    need = want - float(np.dot(f, f))
    vals, counts = np.unique(f, return_counts=True)
    donors = vals[vals > 1]
    recips = vals[vals < hi]
    if donors.size == 0 or recips.size == 0:
      break
    j = np.searchsorted(recips, donors + need / 2.0 - 1.0)
    cand_v = np.repeat(donors, 4)
    cand_r = recips[np.clip(np.stack([j - 2, j - 1, j, j + 1], 1).ravel(),
                            0, recips.size - 1)]
    delta = 2.0 * (cand_r - cand_v) + 2.0
    count_v = counts[np.searchsorted(vals, cand_v)]
    ok = (delta != 0) & ((cand_r != cand_v) | (count_v >= 2))
    err = np.where(ok, np.abs(need - delta), np.inf)
    b = int(np.argmin(err))
    if not err[b] < abs(need):
      break
    ranked = f[order]
    f[order[np.flatnonzero(ranked == cand_v[b])[0]]] -= 1
    f[order[np.flatnonzero(ranked == cand_r[b])[-1]]] += 1
  return f
