"""Claims of the four seed papers, rerun as sweeps, one module per paper.

* `core`: `ClaimSpec` (the paper's claim, the test stated before the data, the
  runs, the analysis function), `reproduce` (train or resume, analyse, write
  claim.json), modes (`toy`, `quick` = demo, `cpu`, `full`).
* `verdicts`: the verdict vocabulary and the rules (equivalence,
  superiority, non-inferiority, best of arms, correlation on unit means,
  fixed effects, convergence), pure functions of arrays, tested on simulated
  null and true effects; `statistics`: paired t, TOST, Holm, power.
* `common`: reading sweeps by config field, summaries, topology measures.
* `psn` (C1-C5), `psn_placement` (C6), `liu` (L2-L4), `liu_pruning` (L5:
  SET and RigL against IMP's tickets), `dey` (D2, D3), `bourely` (B1-B3),
  `bourely_speed` (B4: sparse execution's speed-ups, a benchmark), `atlas`.

`configs/claims.py` holds the specs (`CLAIMS`); `experiments.reproduce` and
`experiments.report` are the command lines.
"""

from psn_jax.claims import atlas
from psn_jax.claims import bourely
from psn_jax.claims import bourely_speed
from psn_jax.claims import common
from psn_jax.claims import core
from psn_jax.claims import dey
from psn_jax.claims import liu
from psn_jax.claims import liu_pruning
from psn_jax.claims import psn
from psn_jax.claims import psn_placement
from psn_jax.claims import statistics
from psn_jax.claims import verdicts
from psn_jax.claims.core import CLAIM_FILE
from psn_jax.claims.core import ClaimSpec
from psn_jax.claims.core import MODES
from psn_jax.claims.core import copy_claim
from psn_jax.claims.core import dataset_available
from psn_jax.claims.core import feasible_points
from psn_jax.claims.core import reproduce
from psn_jax.claims.core import unreachable_points
from psn_jax.claims.verdicts import VERDICTS

__all__ = ["atlas", "bourely", "bourely_speed", "common", "core", "dey",
           "liu", "liu_pruning", "psn",
           "psn_placement", "statistics", "verdicts", "CLAIM_FILE", "ClaimSpec", "MODES", "copy_claim",
           "dataset_available", "feasible_points", "reproduce",
           "unreachable_points", "VERDICTS"]
