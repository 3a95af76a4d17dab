"""Argument checks shared by the graph makers: one-line `ValueError`s."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["positive_int", "int_in", "biregular_fan_in", "check_dims",
           "positive_real"]


def positive_int(name: str, value: Any) -> int:
  """Returns `value` as an int, or raises if it is not an integer >= 1."""
  if isinstance(value, (bool, np.bool_)) or not isinstance(
    value, (int, np.integer)
  ):
    raise ValueError(f"{name} must be a positive integer, got {value!r}")
  if value < 1:
    raise ValueError(f"{name} must be a positive integer, got {value!r}")
  return int(value)


def int_in(name: str, value: Any, lo: int, hi: int) -> int:
  """Returns `value` as an int, or raises if it is not an integer in [lo, hi]."""
  if isinstance(value, (bool, np.bool_)) or not isinstance(
    value, (int, np.integer)
  ):
    raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
  if not lo <= value <= hi:
    raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
  return int(value)


def biregular_fan_in(n_in: int, n_out: int, d_out: Any) -> tuple[int, int]:
  """Validates `d_out` and returns `(d_out, d_in)` with `d_in = n_in d_out / n_out`."""
  d_out = int_in("d_out", d_out, 1, n_out)
  if (n_in * d_out) % n_out:
    raise ValueError(
      "d_in = n_in * d_out / n_out must be an integer, got "
      f"{n_in} * {d_out} / {n_out} = {n_in * d_out / n_out:g}"
    )
  return d_out, n_in * d_out // n_out


def check_dims(n_in: Any, n_out: Any) -> tuple[int, int]:
  return positive_int("n_in", n_in), positive_int("n_out", n_out)


def positive_real(name: str, value: Any, hi: float | None = None) -> float:
  """Returns `value` as a float in (0, hi] (or (0, inf) if `hi` is None)."""
  allowed = f"(0, {hi:g}]" if hi is not None else "(0, inf)"
  try:
    x = float(value)
  except (TypeError, ValueError):
    raise ValueError(f"{name} must be a real number in {allowed}, got {value!r}")
  if isinstance(value, (bool, np.bool_)) or not math.isfinite(x) or x <= 0:
    raise ValueError(f"{name} must be a real number in {allowed}, got {value!r}")
  if hi is not None and x > hi:
    raise ValueError(f"{name} must be a real number in {allowed}, got {value!r}")
  return x
