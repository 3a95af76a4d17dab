"""psn_jax.tables: Markdown tables with mean +- std cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psn_jax import tables


def test_mean_std_cell_hand_values():
  # 1, 2, 4: mean 7/3, sample std sqrt(((4/3)^2 + (1/3)^2 + (5/3)^2) / 2).
  assert tables.mean_std_cell([1, 2, 4], ".3f") == "2.333 ± 1.528"
  assert tables.mean_std_cell(np.array([0.5, 0.5]), ".2f") == "0.50"
  # std 0.00035 rounds to 0.000 at 3 decimals: the mean alone ...
  assert tables.mean_std_cell([0.1, 0.1005], ".3f") == "0.100"
  # ... but 0.0007 shows.
  assert tables.mean_std_cell([0.1, 0.101], ".3f") == "0.101 ± 0.001"
  assert tables.mean_std_cell([3.0], ".1f") == "3.0"       # one value: no std
  assert tables.mean_std_cell([], ".1f") == "-"
  assert tables.mean_std_cell([1.0, np.nan], ".1f") == "-"
  assert tables.mean_std_cell([10.0, 30.0], ".2g") == "20 ± 14"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=20))
def test_mean_std_cell_matches_numpy(values):
  x = np.asarray(values)
  text = tables.mean_std_cell(x, ".4f")
  mean, _, std = text.partition(" ± ")
  assert mean == format(x.mean(), ".4f")
  std_ddof1 = format(x.std(ddof=1), ".4f")
  assert std == ("" if std_ddof1 == format(0.0, ".4f") else std_ddof1)


def test_format_cell_kinds():
  assert tables.format_cell(None) == "-"
  assert tables.format_cell(float("nan")) == "-"
  assert tables.format_cell(np.float32(0.25), ".2f") == "0.25"
  assert tables.format_cell(7, "d") == "7"
  assert tables.format_cell(np.int64(7), "") == "7"
  assert tables.format_cell(True) == "True"       # a bool is text, not 1.000
  assert tables.format_cell("a|b") == "a\\|b"
  assert tables.format_cell((1.0, 3.0), ".1f") == "2.0 ± 1.4"


def test_markdown_table_by_hand():
  rows = [{"name": "random", "cv": [0.10, 0.12], "dead": 0, "note": "x"},
          {"name": "uniform", "cv": [0.006, 0.006], "dead": 3, "note": None}]
  text = tables.markdown_table(rows, [("name", "source"), ("cv", "CV L0"),
                                      "dead", "note"],
                               fmt={"cv": ".3f", "dead": "d"})
  assert text == ("| source | CV L0 | dead | note |\n"
                  "|---|---:|---:|---|\n"
                  "| random | 0.110 ± 0.014 | 0 | x |\n"
                  "| uniform | 0.006 | 3 | - |")


def test_dataframe_and_dicts_give_the_same_table():
  df = pd.DataFrame({"source": ["a", "a", "b", "b", "b"],
                     "seed": [0, 1, 0, 1, 2],
                     "x": [1.0, 2.0, 5.0, 5.0, 8.0]})
  grouped = df.groupby("source", sort=False).agg(list).reset_index()
  from_df = tables.markdown_table(grouped, ["source", "x"], fmt=".2f")
  from_dicts = tables.markdown_table(grouped.to_dict(orient="records"),
                                     ["source", "x"], fmt=".2f")
  assert from_df == from_dicts
  assert from_df.splitlines()[2:] == ["| a | 1.50 ± 0.71 |",
                                      "| b | 6.00 ± 1.73 |"]
  # Default columns: all of the frame's.
  assert tables.markdown_table(grouped).splitlines()[0] == (
      "| source | seed | x |")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1), min_size=1, max_size=4),
                min_size=0, max_size=6),
       st.integers(1, 4))
def test_markdown_table_shape(cells, n_cols):
  rows = [{f"c{j}": v for j in range(n_cols)} for v in cells]
  text = tables.markdown_table(rows, [f"c{j}" for j in range(n_cols)])
  lines = text.splitlines()
  assert len(lines) == 2 + len(rows)
  assert all(line.count("|") == n_cols + 1 for line in lines)


def test_markdown_table_errors():
  with pytest.raises(ValueError, match="columns must name keys"):
    tables.markdown_table([{"a": 1}], ["b"])
  with pytest.raises(ValueError, match="rows must be"):
    tables.markdown_table({"a": [1]})
  with pytest.raises(ValueError, match="rows must be a sequence of dicts"):
    tables.markdown_table([[1, 2]])
  with pytest.raises(ValueError, match="fmt must be"):
    tables.markdown_table([{"a": 1}], fmt=3)
  with pytest.raises(ValueError, match="columns must be a non-empty"):
    tables.markdown_table([{"a": 1}], [])
