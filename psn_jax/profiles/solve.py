"""Solving a family's shape parameter for a target fan-in CV; `fan_ins`
and `cv_range`, the public entry points of `psn_jax.profiles`.

A `_Layer` holds one layer's fixed data (positions, budget, bounds, weight
order); `_solve` scans the family's theta grid for a bracket and runs
`scipy.optimize.brentq` in it (the CV solving of `psn_jax.profiles`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize

from psn_jax.profiles.families import _POWER_BASES
from psn_jax.profiles.families import DEFAULT_THETA
from psn_jax.profiles.families import FAMILIES
from psn_jax.profiles.families import _log_profile
from psn_jax.profiles.families import _theta_grid
from psn_jax.profiles.integers import _cv
from psn_jax.profiles.integers import _nudge
from psn_jax.profiles.integers import _round_to_budget
from psn_jax.profiles.integers import _water_fill
from psn_jax.utils import numpy_rng

CV_MAX = 2.5   # Largest target CV accepted (the paper's range is 0 to 2.5).
CV_TOL = 0.05  # A solved CV is within this of its target, or an error is raised.

_AIM = 0.005       # brentq stops once the integer CV is this close.
_NUDGE_AT = 0.025  # Unit moves start when rounding leaves the CV this far off.


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
