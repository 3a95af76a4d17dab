"""Tests for psn_jax.stats: paired comparisons, mean/std, summary tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from psn_jax import stats


def test_paired_comparison_hand_computed():
  b = np.array([0.90, 0.91, 0.92, 0.93])
  a = b + np.array([1.0, 2.0, 3.0, 4.0])  # diffs 1, 2, 3, 4
  r = stats.paired_comparison(a, b)
  assert r.n == 4
  assert r.mean_diff == pytest.approx(2.5)
  assert r.std_diff == pytest.approx(math.sqrt(5 / 3))  # 1.291
  assert r.std_diff == pytest.approx(1.291, abs=5e-4)
  assert r.cohen_d == pytest.approx(2.5 / math.sqrt(5 / 3))  # 1.936
  assert r.cohen_d == pytest.approx(1.936, abs=5e-4)
  assert r.t == pytest.approx(2.5 / (math.sqrt(5 / 3) / 2))  # 3.873
  assert r.t == pytest.approx(3.873, abs=5e-4)
  assert r.t == pytest.approx(r.cohen_d * math.sqrt(4))
  assert r.p == pytest.approx(2 * scipy.stats.t.sf(r.t, df=3))
  assert 0.03 < r.p < 0.031


@settings(max_examples=50, deadline=None)
@given(
  st.lists(
    st.tuples(st.floats(0.5, 1.0), st.floats(-0.05, 0.05)), min_size=2, max_size=20
  )
)
def test_paired_comparison_matches_scipy(pairs):
  b = np.array([p[0] for p in pairs])
  a = b + np.array([p[1] for p in pairs])
  d = a - b
  if np.std(d, ddof=1) < 1e-9:
    return
  r = stats.paired_comparison(a, b)
  ref = scipy.stats.ttest_rel(a, b)
  assert r.t == pytest.approx(ref.statistic, rel=1e-6)
  assert r.p == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-12)
  assert r.cohen_d == pytest.approx(np.mean(d) / np.std(d, ddof=1), rel=1e-9)
  assert r.t == pytest.approx(r.cohen_d * math.sqrt(len(pairs)), rel=1e-6)


def test_paired_comparison_sign_and_degenerate():
  r = stats.paired_comparison([1, 2, 3], [2, 4, 6])
  assert r.mean_diff < 0 and r.t < 0 and r.cohen_d < 0
  r = stats.paired_comparison([2, 3, 4], [1, 2, 3])  # constant difference
  assert r.t == math.inf and r.cohen_d == math.inf and r.p == 0.0
  r = stats.paired_comparison([1, 2, 3], [1, 2, 3])
  assert math.isnan(r.t) and math.isnan(r.p) and r.mean_diff == 0.0


def test_paired_comparison_bad_input():
  with pytest.raises(ValueError, match="same length"):
    stats.paired_comparison([1, 2, 3], [1, 2])
  with pytest.raises(ValueError, match="at least 2 seeds"):
    stats.paired_comparison([1], [2])
  with pytest.raises(ValueError, match="a must be finite"):
    stats.paired_comparison([1, float("nan")], [2, 3])
  with pytest.raises(ValueError, match="must be 1-D"):
    stats.paired_comparison(np.ones((2, 2)), np.ones((2, 2)))


def test_mean_std():
  m, s = stats.mean_std([1.0, 2.0, 3.0, 4.0])
  assert m == 2.5 and s == pytest.approx(math.sqrt(5 / 3))
  x = np.arange(12.0).reshape(4, 3)
  m, s = stats.mean_std(x)  # seeds on axis 0
  np.testing.assert_allclose(m, x.mean(0))
  np.testing.assert_allclose(s, x.std(0, ddof=1))
  m, s = stats.mean_std(x, axis=1)
  np.testing.assert_allclose(s, x.std(1, ddof=1))
  m, s = stats.mean_std(x, axis=None)
  assert s == pytest.approx(x.std(ddof=1))
  m, s = stats.mean_std([0.5])
  assert m == 0.5 and math.isnan(s)
  m, s = stats.mean_std(np.ones((1, 3)))
  assert m.shape == (3,) and np.all(np.isnan(s))


def test_summary_table():
  table = stats.summary_table({
    "erk": [0.9, 0.91, 0.92],
    "lognormal-matched": np.array([0.93, 0.935, 0.94]),
    "single": [0.5],
  })
  lines = table.split("\n")
  assert len(lines) == 5
  assert lines[0].split() == [
    "name", "n", "mean", "%", "std", "%", "min", "%", "max", "%"
  ]
  assert lines[2].split() == ["erk", "3", "91.00", "1.00", "90.00", "92.00"]
  assert lines[3].split() == [
    "lognormal-matched", "3", "93.50", "0.50", "93.00", "94.00"
  ]
  assert lines[4].split() == ["single", "1", "50.00", "nan", "50.00", "50.00"]
  assert len({len(line) for line in lines[:2]}) == 1  # aligned header and rule
  assert stats.summary_table({"a": [1.0, 0.0]}, digits=0).split("\n")[2].split() == [
    "a", "2", "50", "71", "0", "100"
  ]


def test_summary_table_bad_input():
  with pytest.raises(ValueError, match="accuracies in \\[0, 1\\]"):
    stats.summary_table({"a": [91.2, 92.0]})
  with pytest.raises(ValueError, match="non-empty dict"):
    stats.summary_table({})
