"""Topological equilibrium of dynamic sparse training (host NumPy/SciPy).

Paper: Tomczak, "Heterogeneous Connectivity in Sparse Networks: Fan-in
Profiles, Gradient Hierarchy, and Topological Equilibria", arXiv 2604.10560
(2026): under RigL "the fan-in distribution converges to a characteristic
distribution whatever the start", and initialising RigL with "a lognormal
profile matched to that equilibrium" beats ERK. The abstract does not say how
convergence was judged or how the lognormal was fitted; this module names its
choices:

* `settling`: when a run's tracked fan-in CV and histogram stop changing
  (an anchored window rule, below).
* `fit_lognormal`: maximum likelihood on log fan-in, with a
  Kolmogorov-Smirnov goodness of fit.
* `equilibrium_artifact` / `save_artifact` / `load_artifact`: one JSON file
  per run with both, per layer; `pool_artifacts` averages seeds;
  `matched_cvs` gives the per-layer CV for the `lognormal` profile.
* `settle_summary` and `summary_text`: the per-layer settling summary and the
  printed report of `experiments/equilibrium.py`.
* `cv_trajectories`: each start's seed-mean fan-in CV at fractions of a run
  (`experiments/rigl_starts.py`: does RigL drive every start to one CV?).

Inputs are the engine's records for one seed (see `psn_jax.tracking`): per
layer, arrays over record times `steps` (T,), `fan_in_cv` (T,),
`fan_in_hist` (T, n_bins), plus the final per-neuron fan-ins.

Modules: `settling` (the rule, `SettlingRule` with the one home of its
tolerances `SETTLING_RULE`, and `fit_lognormal`), `artifacts` (one run's JSON
artifact), `pooling` (over seeds, the reports); every public name is
re-exported here. JSON goes through `psn_jax.utils.jsonable`.
"""

from __future__ import annotations

from psn_jax.equilibrium.artifacts import ARTIFACT_FORMAT
from psn_jax.equilibrium.artifacts import equilibrium_artifact
from psn_jax.equilibrium.artifacts import load_artifact
from psn_jax.equilibrium.artifacts import run_record
from psn_jax.equilibrium.artifacts import save_artifact
from psn_jax.equilibrium.artifacts import seed_artifacts
from psn_jax.equilibrium.pooling import cv_trajectories
from psn_jax.equilibrium.pooling import matched_cvs
from psn_jax.equilibrium.pooling import pool_artifacts
from psn_jax.equilibrium.pooling import settle_summary
from psn_jax.equilibrium.pooling import summary_text
from psn_jax.equilibrium.settling import SETTLING_RULE
from psn_jax.equilibrium.settling import LognormalFit
from psn_jax.equilibrium.settling import SettleResult
from psn_jax.equilibrium.settling import SettlingRule
from psn_jax.equilibrium.settling import fit_lognormal
from psn_jax.equilibrium.settling import settling
from psn_jax.equilibrium.settling import total_variation

__all__ = [
  "ARTIFACT_FORMAT",
  "SettlingRule",
  "SETTLING_RULE",
  "SettleResult",
  "LognormalFit",
  "total_variation",
  "settling",
  "fit_lognormal",
  "equilibrium_artifact",
  "run_record",
  "seed_artifacts",
  "save_artifact",
  "load_artifact",
  "matched_cvs",
  "pool_artifacts",
  "settle_summary",
  "summary_text",
  "cv_trajectories",
]
