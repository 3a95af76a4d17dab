"""The earlier GPU experiments' JSON, re-analysed through the claim rules."""

import json
import os

import numpy as np

from configs import claims as claims_config
from psn_jax.claims import archive

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _compare_doc(gap: float, seeds: int = 5, epochs: int = 10) -> dict:
  """An `experiments.compare` results dict: dense and two sparse variants
  whose curves are flat for the last half (converged)."""
  rng = np.random.default_rng(0)
  base = 0.90 + 0.001 * rng.standard_normal(seeds)
  finals = {"dense": base, "uniform": base - gap / 100,
            "lognormal_cv1": base - gap / 100 + 0.0005}
  ramp = np.minimum(np.arange(1, epochs + 1) / (epochs / 2), 1.0)
  return {"config": {"dataset": "fashion_mnist", "hidden": [300, 100],
                     "optim": {"name": "sgd", "learning_rate": 0.05},
                     "batch_size": 128},
          "variants": [{"name": n, "sparsity": 0.0 if n == "dense" else 0.9}
                       for n in finals],
          "seeds": list(range(seeds)),
          "final_test_accuracy": {n: a.tolist() for n, a in finals.items()},
          "history": {"test_accuracy": [np.outer(a, ramp).tolist()
                                        for a in finals.values()]}}


def test_c1_uses_tost_and_the_curves():
  near = archive.c1(_compare_doc(gap=0.05))
  assert near["verdict"] == "reproduced"
  assert near["convergence"]["converged"]
  far = archive.c1(_compare_doc(gap=2.0))
  assert far["verdict"] == "not reproduced"
  assert [r["arm"] for r in far["rows"]] == ["uniform", "lognormal_cv1"]
  assert abs(far["rows"][0]["gap_to_dense"]["mean"] - 2.0) < 1e-6


def test_final_values_only_are_never_more_than_inconclusive():
  doc = {"final_test_accuracy": {
      "rigl_from_erk": [0.880] * 10,
      "rigl_from_lognormal_matched": (0.885 + 0.0001 * np.arange(10)).tolist()}}
  out = archive.c5(doc)       # +0.5 pp, far above the paper's +0.16
  assert out["verdict"] == "inconclusive"
  assert "no learning curve" in out["reason"]


def test_committed_gpu_claims_are_what_the_command_writes(tmp_path):
  for claim_id in archive.SOURCES:
    written = archive.reanalyse(claims_config.get(claim_id),
                                os.path.join(ROOT, "results", "gpu"),
                                str(tmp_path))
    with open(os.path.join(ROOT, "results", "claims_gpu_archive", claim_id,
                           "claim.json")) as f:
      committed = json.load(f)
    assert json.loads(json.dumps(written, default=float)) == committed
