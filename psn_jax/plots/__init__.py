"""Plots for profiles, masks, NNSTD, RigL fan-in evolution, gradients, accuracy.

Every function draws on the `ax` it is given, or on a new figure, and returns
the Axes; where figures are shown (notebooks) and where not (command lines,
tests) is decided in one place, `figures` (see its docstring).

Modules: `figures` (new figures and axes, `save`), `fan_ins` (profiles and
histograms), `mask_plots` (masks, NNSTD heatmaps), `runs` (RigL fan-in
evolution, CV trajectories, gradient share, accuracy against a measure),
`claim_plots` (the claims' figures); every public name is re-exported here.
"""

from __future__ import annotations

from psn_jax.plots.claim_plots import OKABE_ITO
from psn_jax.plots.claim_plots import claim_bars
from psn_jax.plots.claim_plots import claim_figure
from psn_jax.plots.claim_plots import claim_lines
from psn_jax.plots.fan_ins import fan_in_bins
from psn_jax.plots.fan_ins import fan_in_histogram
from psn_jax.plots.fan_ins import profile_curve
from psn_jax.plots.figures import new_axes
from psn_jax.plots.figures import new_figure
from psn_jax.plots.figures import save
from psn_jax.plots.mask_plots import mask_image
from psn_jax.plots.mask_plots import nnstd_heatmap
from psn_jax.plots.runs import accuracy_vs_measure
from psn_jax.plots.runs import fan_in_cv_trajectories
from psn_jax.plots.runs import fan_in_evolution
from psn_jax.plots.runs import gradient_share_vs_fan_in
from psn_jax.plots.runs import run_fan_in_evolution

__all__ = [
  "new_figure",
  "new_axes",
  "save",
  "profile_curve",
  "fan_in_bins",
  "fan_in_histogram",
  "mask_image",
  "nnstd_heatmap",
  "fan_in_evolution",
  "run_fan_in_evolution",
  "fan_in_cv_trajectories",
  "gradient_share_vs_fan_in",
  "accuracy_vs_measure",
  "OKABE_ITO",
  "claim_lines",
  "claim_bars",
  "claim_figure",
]
