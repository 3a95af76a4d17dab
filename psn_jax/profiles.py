"""PSN fan-in profiles: per-neuron integer fan-ins from a shape on [0, 1].

Tomczak, "Heterogeneous Connectivity in Sparse Networks: Fan-in Profiles,
Gradient Hierarchy, and Topological Equilibria", arXiv 2604.10560 (2026). The
abstract says only that a profile is a deterministic, continuous, nonlinear
function of neuron position that sets each neuron's fan-in; that there are
eight parametric families plus lognormal and power-law ones; that fan-in CVs
span 0 to 2.5; and that hubs sit at arbitrary positions. Everything below that
is more specific (family names and formulas, integer conversion, CV solving)
is our choice and is named as such.

Neuron `j` of `n` sits at `u_j = (j + 0.5) / n`. A family gives a positive
weight `w_j = g(u_j; theta)`; fan-ins are proportional to the weights, clipped
into `[1, n_inputs]` and made integers summing exactly to the layer budget
`round(density * n_inputs * n_neurons)`. Every family is constant at
`theta = 0` (so `theta = 0` is the uniform profile) and its CV grows with theta.

| family        | g(u; theta)                         | theta         | default |
|---------------|-------------------------------------|---------------|---------|
| `linear`      | `1 + s (2u - 1)`                    | s in [0, 1]   | 0.5     |
| `exponential` | `exp(b u)`                          | b >= 0        | 3       |
| `power`       | `u ** p`                            | p >= 0        | 2       |
| `logarithmic` | `1 - s log(1 - u)`                  | s >= 0        | 1       |
| `sigmoid`     | `1 / (1 + exp(-k (u - 1/2)))`       | k >= 0        | 10      |
| `gaussian`    | `exp(-(k (u - 1/2)) ** 2 / 2)`      | k >= 0        | 4       |
| `cosine`      | `((1 - cos(6 pi u)) / 2) ** p`      | p >= 0        | 1       |
| `softplus`    | `log(1 + exp(k (u - 1/2)))`         | k >= 0        | 10      |
| `lognormal`   | `exp(sigma * Phi^-1(u))`            | sigma >= 0    | 0.5     |
| `power_law`   | `(1 - u) ** (-1 / alpha)`           | 1/alpha >= 0  | 1/3     |

Monotone: linear (CV <= 1/sqrt(3)), exponential, power, logarithmic (a
log-divergent edge, CV < 1). Saturating: sigmoid (a smooth step, CV < 1).
Rectifying: softplus (a smooth ramp). Peaked: gaussian (a bump of width 1/k at
the centre). Periodic: cosine (three raised-cosine bumps, at 1/6, 1/2, 5/6,
sharpened by p). `lognormal` and `power_law` are the quantile functions of
LogNormal(0, sigma) and Pareto(x_m = 1, tail index alpha) at `u_j`; the grid
stops at `u = 1 - 1/(2n)` and the clip at `n_inputs` bounds the top, so the
Pareto is in effect a bounded one. `uniform` has no parameter (CV 0).

Integer conversion (our choice). (1) Water-filling: `x_j = clip(lam * w_j, 1,
n_inputs)` with `lam` solved exactly (the sum is piecewise linear in `lam`) so
that `sum(x) == budget`; neurons pinned at a bound hand their excess to the
rest. (2) Largest remainder: floor every `x_j` and give the missing units to
the largest fractional parts (ties to the neuron with the larger profile
value, so a flat profile puts them at the high positions), which keeps the
fan-ins monotone in the weights and inside the bounds. (3) Only when a target
CV inside the family's range is given and rounding leaves it more than 0.025
away (small layers with few inputs per neuron, whose integer CV jumps as theta
moves): at most 64 single-unit moves between neurons, each keeping the weight
order, bring the CV closer.

CV solving (our choice). CV is the population std / mean of the integer
fan-ins. For a target, the family's integer CV is scanned on a grid of theta
(0, then geometric up to a theta at which the profile has reached its limit),
and `scipy.optimize.brentq` finds the crossing inside the first bracketing
cell, stopping early once the integer CV is within 0.005 of the target. The
reachable range of a family at a layer shape is the range of its integer CV
over that grid (`cv_range`). At density `d` the bounds `[1, n_inputs]` cap any
family near `sqrt((1 - d) / d)` (the budget on as few full neurons as possible).

Hubs: by default the largest fan-ins sit where the profile is largest (position
order). With a `key`, neuron `i` gets the fan-in at position `perm[i]` with
`perm = numpy_rng(key).permutation(n)`, the paper's arbitrary hub placement, so
the result is a permutation of the keyless one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize, special

from psn_jax.utils import numpy_rng

__all__ = ["FAMILIES", "DEFAULT_THETA", "CV_MAX", "CV_TOL", "fan_ins",
           "cv_range", "profile_curve"]

FAMILIES: tuple[str, ...] = (
    "uniform", "linear", "exponential", "power", "logarithmic", "sigmoid",
    "gaussian", "cosine", "softplus", "lognormal", "power_law")

# The documented default shape parameter of each family (used when cv=None).
DEFAULT_THETA: dict[str, float] = {
    "uniform": 0.0, "linear": 0.5, "exponential": 3.0, "power": 2.0,
    "logarithmic": 1.0, "sigmoid": 10.0, "gaussian": 4.0, "cosine": 1.0,
    "softplus": 10.0, "lognormal": 0.5, "power_law": 1.0 / 3.0}

CV_MAX = 2.5   # Largest target CV accepted (the paper's range is 0 to 2.5).
CV_TOL = 0.05  # A solved CV is within this of its target, or an error is raised.

_AIM = 0.005       # brentq stops once the integer CV is this close.
_NUDGE_AT = 0.025  # Unit moves start when rounding leaves the CV this far off.
_NUDGE_MOVES = 64  # At most this many unit moves.
_THETA_MIN = 1e-3  # Smallest nonzero theta on the scan grid.
_GRID_STEP = 4.0   # Ratio between consecutive nonzero grid thetas.


def _log_profile(family: str, theta: float, u: np.ndarray) -> np.ndarray:
  """log g(u; theta) for `family`; zeros at theta = 0 (every family is flat)."""
  u = np.asarray(u, dtype=np.float64)
  if family == "uniform" or theta == 0:
    return np.zeros_like(u)
  with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
    if family == "linear":
      return np.log1p(theta * (2.0 * u - 1.0))
    if family == "exponential":
      return theta * u
    if family == "power":
      return theta * np.log(u)
    if family == "logarithmic":
      return np.log1p(-theta * np.log1p(-u))
    if family == "sigmoid":
      return -np.logaddexp(0.0, -theta * (u - 0.5))
    if family == "gaussian":
      return -0.5 * (theta * (u - 0.5)) ** 2
    if family == "cosine":
      return theta * np.log(np.sin(3.0 * np.pi * u) ** 2)
    if family == "softplus":
      z = theta * (u - 0.5)
      # log(softplus(z)); for z < -30, softplus(z) = exp(z) to double precision.
      return np.where(z > -30.0, np.log(np.logaddexp(0.0, np.maximum(z, -30.0))),
                      z)
    if family == "lognormal":
      return theta * special.ndtri(u)
    if family == "power_law":
      return -theta * np.log1p(-u)
  raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")


def _theta_max(family: str, n: int, hi: int) -> float:
  """A theta at which the family's integer fan-ins have reached their limit.

  With the margin `r = log(n * hi) + 8`: for the power-type families
  (exponential, power, gaussian, cosine, lognormal, power_law) neighbouring
  weights then differ by a factor of about `e**r` or more, so all but one
  neuron sit at a bound (the most concentrated split); sigmoid and softplus
  are within about `e**-r` of their limit step and ramp at every grid point;
  logarithmic is within 1e-3 of its limit `-log(1 - u)` in every fan-in;
  linear ends at s = 1.
  """
  r = math.log(n * hi) + 8.0
  if family == "linear":
    return 1.0
  if family in ("exponential", "power", "lognormal", "power_law"):
    return n * r
  if family in ("sigmoid", "softplus"):
    return 2.0 * n * r
  if family == "gaussian":
    return n * math.sqrt(2.0 * r)
  if family == "cosine":
    return n * n * r
  if family == "logarithmic":
    return 1e3 * n * hi
  return 0.0  # uniform


def _theta_grid(family: str, n: int, hi: int) -> np.ndarray:
  """Ascending scan grid: 0, then geometric from `_THETA_MIN` to theta_max."""
  top = _theta_max(family, n, hi)
  if top == 0:
    return np.zeros(1)
  k = max(1, math.ceil(math.log(top / _THETA_MIN) / math.log(_GRID_STEP)))
  return np.concatenate([[0.0], top * _GRID_STEP ** -np.arange(k, -1, -1.0)])


# Families whose log-profile is theta * base(u) (gaussian: theta**2 * base).
_POWER_BASES = {
    "exponential": lambda u: u,
    "power": np.log,
    "gaussian": lambda u: -0.5 * (u - 0.5) ** 2,
    "cosine": lambda u: np.log(np.sin(3.0 * np.pi * u) ** 2),
    "lognormal": special.ndtri,
    "power_law": lambda u: -np.log1p(-u),
}


class _Layer:
  """One layer's fixed data: positions, budget, bounds and weight order.

  Every family's weights are a nondecreasing function of one base score for
  all theta > 0 (u itself for linear, logarithmic, sigmoid and softplus), so
  the ascending weight order is computed once.
  """

  def __init__(self, family: str, n: int, budget: int, hi: int):
    self.family, self.n, self.budget, self.hi = family, n, budget, hi
    self.u = (np.arange(n) + 0.5) / n
    self.base = None
    self.order = np.arange(n)
    if family in _POWER_BASES:
      self.base = _POWER_BASES[family](self.u)
      self.order = np.argsort(self.base, kind="stable")
    self.rank = np.empty(n, dtype=np.int64)
    self.rank[self.order] = np.arange(n)

  def log_weights(self, theta: float) -> np.ndarray:
    if theta == 0:
      return np.zeros(self.n)
    if self.base is None:
      return _log_profile(self.family, theta, self.u)
    return (theta * theta if self.family == "gaussian" else theta) * self.base

  def fan_ins(self, theta: float) -> np.ndarray:
    """Integer fan-ins at `theta`, in position order."""
    logw = self.log_weights(theta)
    x = _water_fill(logw - np.max(logw), self.order, self.budget, self.hi)
    return _round_to_budget(x, self.budget, self.hi, self.rank)

  def cvs(self) -> np.ndarray:
    """Integer CV at every theta of the scan grid."""
    return np.array([_cv(self.fan_ins(t))
                     for t in _theta_grid(self.family, self.n, self.hi)])


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


class _Found(Exception):
  """Raised inside brentq once a close-enough theta has been evaluated."""


def _validate(family: str, n_neurons: int, n_inputs: int,
              density: float) -> int:
  """Checks the layer arguments and returns the budget."""
  if family not in FAMILIES:
    raise ValueError(f"family must be one of {', '.join(FAMILIES)}, "
                     f"got {family!r}")
  for name, value in (("n_neurons", n_neurons), ("n_inputs", n_inputs)):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
        or value < 1:
      raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
  if isinstance(density, bool) or not isinstance(
      density, (int, float, np.integer, np.floating)) or not 0 < density <= 1:
    raise ValueError(f"density must be in (0, 1], got {density!r}")
  budget = round(density * n_inputs * n_neurons)
  if budget < n_neurons:
    raise ValueError(
        f"density={density:g} gives {budget} connections for {n_neurons} "
        f"neurons of {n_inputs} inputs: the budget must be >= n_neurons "
        f"(each neuron needs >= 1 input), i.e. density >= "
        f"{(n_neurons - 0.5) / (n_inputs * n_neurons):.3g}")
  return int(budget)


def cv_range(family: str, n_neurons: int, n_inputs: int,
             density: float) -> tuple[float, float]:
  """Reachable fan-in CV of `family` for a layer: min and max over theta.

  The integer CV is evaluated on the solver's theta grid (0 up to a theta at
  which the profile has reached its limit), after water-filling and rounding,
  so the range accounts for the `[1, n_inputs]` bounds and the exact budget.
  The low end is the CV of the most even integer split (0 when the budget
  divides evenly).

  Args:
    family: one of `FAMILIES`.
    n_neurons: neurons in the layer (`n_out`).
    n_inputs: inputs per neuron available (`n_in`).
    density: layer density in (0, 1].

  Returns:
    `(lo, hi)`: targets in `[lo, hi]` are reachable within `CV_TOL`, except
    in layers with very few inputs per neuron, where integer fan-ins leave
    gaps between the CVs they can take.

  Raises:
    ValueError: on a bad family, size or density (as `fan_ins`).
  """
  budget = _validate(family, n_neurons, n_inputs, density)
  cvs = _Layer(family, int(n_neurons), budget, int(n_inputs)).cvs()
  return float(cvs.min()), float(cvs.max())


def _solve(layer: _Layer, cv: float, density: float) -> np.ndarray:
  """Integer fan-ins (position order) with CV within CV_TOL of `cv`."""
  grid = _theta_grid(layer.family, layer.n, layer.hi)
  best = [math.inf, None]  # |cv error|, fan-ins

  def err(theta: float) -> float:
    f = layer.fan_ins(theta)
    e = _cv(f) - cv
    if abs(e) < best[0]:
      best[:] = [abs(e), f]
    if abs(e) <= _AIM:
      raise _Found
    return e

  scanned = []  # Integer CVs on the grid, until a bracket is found.
  bracketed = False
  try:
    prev = err(grid[0])
    scanned.append(prev + cv)
    # At theta = 0 the CV is the family's smallest (the most even split).
    for a, b in zip(grid[:-1], grid[1:]) if prev < 0 else ():
      cur = err(b)
      scanned.append(cur + cv)
      if prev < 0 <= cur:
        bracketed = True
        optimize.brentq(err, a, b, xtol=1e-12 * b, maxiter=200)
        break
      prev = cur
  except _Found:
    pass
  f = best[1]
  if bracketed and best[0] > _NUDGE_AT:
    f = _nudge(f, layer.order, cv, layer.hi, _AIM)
  if abs(_cv(f) - cv) > CV_TOL:
    complete = len(scanned) == grid.size
    cvs = np.array(scanned) if complete else layer.cvs()
    lo, top = float(cvs.min()), float(cvs.max())
    gap = ""
    if bracketed:
      gap = (f" (integer fan-ins, mean {layer.budget / layer.n:.3g}, get no "
             f"closer than {abs(_cv(f) - cv):.3f})")
    raise ValueError(
        f"cv={cv:g} is out of reach for family {layer.family!r} with "
        f"{layer.n} neurons and {layer.hi} inputs at density {density:g}: "
        f"reachable CV range is [{lo:.2f}, {top:.2f}]{gap}")
  return f


def fan_ins(family: str, n_neurons: int, n_inputs: int, density: float,
            cv: float | None = None, *, key: Any = None) -> np.ndarray:
  """Per-neuron integer fan-ins of a PSN profile (Tomczak 2026).

  See the module docstring for the families, the integer conversion and the
  CV solve.

  Args:
    family: one of `FAMILIES`.
    n_neurons: neurons in the layer (`n_out`), >= 1.
    n_inputs: inputs available to each neuron (`n_in`), >= 1.
    density: layer density in (0, 1]; the budget is
      `round(density * n_inputs * n_neurons)`, which must be >= n_neurons.
    cv: target fan-in CV (population std / mean) in [0, 2.5]; the family's
      shape parameter is solved so that the integer CV is within `CV_TOL`.
      None uses `DEFAULT_THETA[family]`. `uniform` accepts only None or 0.
    key: a JAX key; if given, hubs are placed at random
      (`numpy_rng(key).permutation`), otherwise in position order.

  Returns:
    int64 array `(n_neurons,)`, each in `[1, n_inputs]`, summing exactly to
    the budget.

  Raises:
    ValueError: on a bad family, size, density or cv, a budget below
      n_neurons, or a cv the family cannot reach (the message gives the
      reachable range).
  """
  budget = _validate(family, n_neurons, n_inputs, density)
  if cv is not None:
    if isinstance(cv, bool) or not isinstance(
        cv, (int, float, np.integer, np.floating)) or not 0 <= cv <= CV_MAX:
      raise ValueError(f"cv must be None or in [0, {CV_MAX}], got {cv!r}")
    if family == "uniform" and cv != 0:
      raise ValueError(f"cv must be None or 0 for family 'uniform', got {cv!r}")
  layer = _Layer(family, int(n_neurons), budget, int(n_inputs))
  if cv is None or family == "uniform":
    f = layer.fan_ins(DEFAULT_THETA[family])
  else:
    f = _solve(layer, float(cv), density)
  if key is not None:
    f = f[numpy_rng(key).permutation(n_neurons)]
  return f


def profile_curve(family: str, theta: float | None,
                  u: np.ndarray) -> np.ndarray:
  """The family's profile `g(u; theta)` (unnormalised), e.g. for plots.

  Args:
    family: one of `FAMILIES`.
    theta: the shape parameter (see the module table); None for the default.
    u: positions in [0, 1] (lognormal and power_law need u in (0, 1)).

  Returns:
    `g(u; theta)` with the shape of `u` (float64).

  Raises:
    ValueError: on a bad family or theta.
  """
  if family not in FAMILIES:
    raise ValueError(f"family must be one of {', '.join(FAMILIES)}, "
                     f"got {family!r}")
  theta = DEFAULT_THETA[family] if theta is None else float(theta)
  top = 1.0 if family == "linear" else math.inf
  if not 0 <= theta <= top:
    raise ValueError(f"theta must be in [0, {top:g}] for family {family!r}, "
                     f"got {theta!r}")
  with np.errstate(over="ignore"):
    return np.exp(_log_profile(family, theta, u))
