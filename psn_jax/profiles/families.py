"""PSN profile families: the weights `g(u; theta)` and their scan grids.

The formulas, parameters and defaults are the table of `psn_jax.profiles`
(our choice: the paper names eight parametric families plus lognormal and
power-law ones, not their formulas). Every family is flat at `theta = 0`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

FAMILIES: tuple[str, ...] = (
    "uniform", "linear", "exponential", "power", "logarithmic", "sigmoid",
    "gaussian", "cosine", "softplus", "lognormal", "power_law")

# The documented default shape parameter of each family (used when cv=None).
DEFAULT_THETA: dict[str, float] = {
    "uniform": 0.0, "linear": 0.5, "exponential": 3.0, "power": 2.0,
    "logarithmic": 1.0, "sigmoid": 10.0, "gaussian": 4.0, "cosine": 1.0,
    "softplus": 10.0, "lognormal": 0.5, "power_law": 1.0 / 3.0}

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
