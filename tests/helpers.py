"""Small builders shared by several test files."""

from __future__ import annotations

import numpy as np


def mask_from_input_sets(cols: list[set[int]], n_in: int) -> np.ndarray:
  """(n_in, n_out) bool mask whose column j holds output neuron j's inputs."""
  m = np.zeros((n_in, len(cols)), dtype=bool)
  for j, s in enumerate(cols):
    m[sorted(s), j] = True
  return m
