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

Modules: `families` (the formulas `g(u; theta)`, each family's default and its
scan grid, `profile_curve`), `integers` (water-filling, largest-remainder
rounding, the unit moves), `solve` (one layer's fixed data, the CV solve,
`fan_ins` and `cv_range`); every public name is re-exported here.
"""

from __future__ import annotations

from psn_jax.profiles.families import DEFAULT_THETA
from psn_jax.profiles.families import FAMILIES
from psn_jax.profiles.families import profile_curve
from psn_jax.profiles.integers import _water_fill  # noqa: F401  (tests)
from psn_jax.profiles.solve import CV_MAX
from psn_jax.profiles.solve import CV_TOL
from psn_jax.profiles.solve import cv_range
from psn_jax.profiles.solve import fan_ins

__all__ = ["FAMILIES", "DEFAULT_THETA", "CV_MAX", "CV_TOL", "fan_ins",
           "cv_range", "profile_curve"]
