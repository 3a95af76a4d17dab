"""Markdown tables of results: the one home for the tables experiments print.

`markdown_table` renders rows (a pandas DataFrame or a sequence of mappings)
as a GitHub-flavoured Markdown table. A cell holding several values (a list
or 1-D array, e.g. one value per seed after
`df.groupby(...).agg(list)`) is shown as mean +- std over them
(`mean_std_cell`, through `psn_jax.stats.mean_std`: sample std, ddof=1), so an
experiment never writes its own mean +- std formatting.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from psn_jax import stats

__all__ = ["mean_std_cell", "format_cell", "markdown_table"]

MISSING = "-"  # a missing (None) or undefined (NaN) value


def _number(x: Any) -> bool:
  return isinstance(x, numbers.Number) and not isinstance(x, bool)


def mean_std_cell(values: Any, fmt: str = ".3f") -> str:
  """`"mean ± std"` of several values, each formatted with `fmt`.

  The std is the sample std over the values (`stats.mean_std`, ddof=1). It
  is left out, so the cell shows the mean alone, when it rounds to zero in
  `fmt` (`format(std, fmt) == format(0.0, fmt)`: "identical to the shown
  digits", e.g. a deterministic construction) or is undefined (one value).

  Args:
    values: 1-D numbers (a list, tuple or array).
    fmt: a format spec for floats (`format(x, fmt)`), e.g. ".3f", ".2g".

  Returns:
    The cell text; `MISSING` ("-") for no values or a non-finite mean.
  """
  x = np.asarray(values, np.float64).ravel()
  if x.size == 0:
    return MISSING
  mean, std = stats.mean_std(x)
  if not math.isfinite(mean):
    return MISSING
  text = format(float(mean), fmt)
  if math.isfinite(std) and format(float(std), fmt) != format(0.0, fmt):
    text += " ± " + format(float(std), fmt)
  return text


def format_cell(value: Any, fmt: str = ".3f") -> str:
  """The text of one table cell.

  * None and NaN: `MISSING` ("-");
  * a number (not a bool): `format(value, fmt)` (use `fmt="d"` or `""` for
    integers);
  * a list, tuple or array of numbers: `mean_std_cell(value, fmt)`;
  * anything else: `str(value)`.

  A `|` in the text is escaped as `\\|` so that it cannot split the cell.
  """
  if value is None:
    text = MISSING
  elif _number(value) or (isinstance(value, np.ndarray) and value.ndim == 0):
    v = value.item() if isinstance(value, np.ndarray) else value
    text = MISSING if isinstance(v, float) and math.isnan(v) else format(v, fmt)
  elif isinstance(value, (list, tuple, np.ndarray)):
    text = mean_std_cell(value, fmt)
  else:
    text = str(value)
  return text.replace("|", "\\|")


def _records(rows: Any) -> list[Mapping[str, Any]]:
  if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a DataFrame
    return rows.to_dict(orient="records")
  if isinstance(rows, (str, Mapping)) or not isinstance(rows, Sequence):
    raise ValueError(f"rows must be a pandas DataFrame or a sequence of dicts, "
                     f"got {type(rows).__name__}")
  for r in rows:
    if not isinstance(r, Mapping):
      raise ValueError(f"rows must be a sequence of dicts, got an entry of "
                       f"type {type(r).__name__}")
  return list(rows)


def markdown_table(rows: Any,
                   columns: Sequence[str | tuple[str, str]] | None = None,
                   fmt: str | Mapping[str, str] = ".3f") -> str:
  """A Markdown table, one line per row, cells from `format_cell`.

  Example: `markdown_table(df.groupby("source", sort=False).agg(list)
  .reset_index(), [("source", "mask source"), ("cv", "fan-in CV")],
  fmt={"cv": ".3f"})` gives one line per source with the mean +- std of its
  seeds' CVs.

  Args:
    rows: a pandas DataFrame (its columns; the index is not shown, so
      `reset_index()` a grouped frame first) or a sequence of dicts.
    columns: the keys to show, in order; each a key (also the header) or a
      `(key, header)` pair. None: every column of the DataFrame, or every key
      of the first row.
    fmt: the format spec of every number, or a mapping key -> spec (keys it
      does not name use ".3f").

  Returns:
    The table without a trailing newline: a header line, a rule (`---:`,
    right-aligned, for a column with a number or several values in some row;
    `---` otherwise), then one line per row. A key a row lacks gives "-"
    (no rows: just the header and the rule).

  Raises:
    ValueError: on rows of another type, no columns, a column that no row
      has (nor the DataFrame), or a fmt that is neither a string nor a
      mapping of strings.
  """
  records = _records(rows)
  if columns is None:
    columns = (list(rows.columns) if hasattr(rows, "columns")
               else list(records[0]) if records else [])
  cols = [(c, c) if isinstance(c, str) else tuple(c) for c in columns]
  if not cols or any(len(c) != 2 or not all(isinstance(p, str) for p in c)
                     for c in cols):
    raise ValueError(f"columns must be a non-empty list of keys or "
                     f"(key, header) pairs, got {columns!r}")
  has_columns = hasattr(rows, "columns") or bool(records)
  known = set(rows.columns) if hasattr(rows, "columns") else set().union(
      *(set(r) for r in records))
  for key, _ in cols:
    if has_columns and key not in known:
      raise ValueError(f"columns must name keys of rows "
                       f"({', '.join(map(str, sorted(known, key=str)))}), got "
                       f"{key!r}")
  if isinstance(fmt, str):
    specs = {key: fmt for key, _ in cols}
  elif isinstance(fmt, Mapping) and all(isinstance(v, str)
                                        for v in fmt.values()):
    specs = {key: fmt.get(key, ".3f") for key, _ in cols}
  else:
    raise ValueError(f"fmt must be a format spec or a dict of key -> format "
                     f"spec, got {fmt!r}")
  numeric = {key: any(_number(r.get(key)) or isinstance(
      r.get(key), (list, tuple, np.ndarray)) for r in records)
             for key, _ in cols}
  lines = ["| " + " | ".join(h.replace("|", "\\|") for _, h in cols) + " |",
           "|" + "|".join("---:" if numeric[key] else "---"
                          for key, _ in cols) + "|"]
  for r in records:
    lines.append("| " + " | ".join(format_cell(r.get(key), specs[key])
                                   for key, _ in cols) + " |")
  return "\n".join(lines)
