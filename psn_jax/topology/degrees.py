"""Degree statistics of sparse layers: fan-in/fan-out spread, dead and cut-off neurons.

Every function here is a pure function of boolean masks, computed on the host
with NumPy. A layer mask is `(n_in, n_out)` bool (the Flax kernel layout:
column `j` holds output neuron `j`'s inputs, so its fan-in is `mask[:, j].sum()`);
a network is a list of layer masks in input-to-output order, or a mask pytree
mirroring Flax params (converted with `psn_jax.masks.layer_masks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Sequence

import numpy as np

__all__ = ["LayerDegrees", "degree_stats", "gini", "cv", "as_layer_mask",
           "as_layers"]


_MASK_RULE = "bool, or integers that are all 0 or 1"


def _kind(x: Any) -> str:
  """A short name of what `x` is, for error messages."""
  if isinstance(x, Mapping):
    return "a dict (a mask pytree?)"
  if isinstance(x, (list, tuple)):
    return f"a {type(x).__name__} of {len(x)} items"
  dtype = getattr(x, "dtype", None)
  shape = getattr(x, "shape", None)
  if dtype is not None:
    return f"{dtype} array of shape {tuple(shape)}"
  return type(x).__name__


def as_layer_mask(mask: Any, name: str = "mask") -> np.ndarray:
  """One layer's mask as a 2-D bool NumPy array, or one clear `ValueError`.

  The single validator of every topology measure. A layer mask is a 2-D
  `(n_in, n_out)` array of dtype bool, or of an integer dtype whose entries
  are all 0 or 1 (e.g. `mask.astype(np.int8)`). Everything else is refused,
  so that no measure silently treats "nonzero" as "connected":

  * float arrays, even of 0.0 / 1.0 (weights are not masks: pass
    `weights != 0` if that is what you mean, knowing that a trained weight
    can be exactly 0), and so NaN arrays;
  * integers other than 0 and 1 (counts are not masks);
  * dicts, lists and other pytrees where one layer is expected (use the
    `network_*` functions, `degree_stats` or `psn_jax.masks.layer_masks`);
  * arrays that are not 2-D (e.g. with a leading seed axis: slice one seed).

  Args:
    mask: the candidate layer mask (NumPy, JAX or anything `np.asarray`
      accepts, except containers).
    name: the argument's name in the error message.

  Returns:
    The mask as a `(n_in, n_out)` bool NumPy array (a view when it already
    was one).

  Raises:
    ValueError: if `mask` is not a 2-D bool or 0/1-integer array.
  """
  if isinstance(mask, (Mapping, list, tuple)) or not hasattr(mask, "__array__"):
    raise ValueError(f"{name} must be one layer's 2-D (n_in, n_out) mask "
                     f"({_MASK_RULE}), got {_kind(mask)}; for a whole network "
                     f"use the network_* functions")
  m = np.asarray(mask)
  if m.ndim != 2:
    raise ValueError(f"{name} must be a 2-D (n_in, n_out) mask, got shape "
                     f"{m.shape}")
  if m.dtype == np.bool_:
    return m
  if m.dtype.kind in "iu":
    if m.size and not np.all((m == 0) | (m == 1)):
      bad = m[(m != 0) & (m != 1)].ravel()[0]
      raise ValueError(f"{name} must be {_MASK_RULE}, got an {m.dtype} array "
                       f"holding {bad}")
    return m.astype(bool)
  hint = ("; NaN is not a mask" if m.dtype.kind == "f" and np.isnan(m).any()
          else "")
  raise ValueError(f"{name} must be {_MASK_RULE}, got {m.dtype} (weights are "
                   f"not masks: pass weights != 0 to mean 'nonzero'){hint}")


def as_layers(net: Any, name: str = "net") -> list[np.ndarray]:
  """Normalises a network to a list of validated 2-D bool layer masks.

  Accepts a single 2-D mask (a one-layer network), a list or tuple of 2-D
  masks in forward order, or a mask pytree mirroring Flax params. Pytrees go
  through `psn_jax.masks.layer_masks`, imported lazily so that this module
  does not depend on `psn_jax.masks` at import time. Every layer passes
  `as_layer_mask` (bool, or 0/1 integers).

  Args:
    net: the network's masks.
    name: the argument's name in error messages.

  Returns:
    A list of `(n_in, n_out)` bool NumPy arrays whose widths chain
    (`layers[l].shape[1] == layers[l + 1].shape[0]`).

  Raises:
    ValueError: if a layer is not a 2-D bool / 0-1 integer mask, the network
      is empty, or widths do not chain.
  """
  if isinstance(net, Mapping):
    from psn_jax.masks import layer_masks  # pylint: disable=g-import-not-at-top
    layers = list(layer_masks(net))
  elif isinstance(net, (list, tuple)):
    layers = list(net)
  elif hasattr(net, "__array__"):
    layers = [net]
  else:
    raise ValueError(f"{name} must be a 2-D mask, a list of them or a mask "
                     f"pytree, got {_kind(net)}")
  if not layers:
    raise ValueError(f"{name} must have at least one layer, got 0")
  out = []
  for l, m in enumerate(layers):
    if isinstance(m, (list, tuple)):
      m = np.asarray(m)  # nested lists of 0/1 or bools
    out.append(as_layer_mask(m, f"{name} layer {l}"))
  for l in range(1, len(out)):
    if out[l].shape[0] != out[l - 1].shape[1]:
      raise ValueError(f"{name} layer {l} has n_in={out[l].shape[0]}, must equal "
                       f"layer {l - 1}'s n_out={out[l - 1].shape[1]}")
  return out


_as_layers = as_layers  # the name the measures imported before


def cv(x: np.ndarray) -> float:
  """Coefficient of variation: population standard deviation over mean.

  The one host-side fan-in CV of psn-jax: degree statistics, the gradient
  concentration table, the equilibrium artifacts and the experiments call it.
  The in-jit records of `psn_jax.tracking` compute the same quantity in
  float32 on device (they give 0 instead of NaN for a layer without
  connections); a test checks that the two agree.

  Args:
    x: 1-D array of non-negative values (degrees).

  Returns:
    `std(x) / mean(x)` with `ddof=0`; NaN when the mean is 0 (undefined).
  """
  x = np.asarray(x, dtype=np.float64)
  m = x.mean() if x.size else 0.0
  if m == 0:
    return float("nan")
  return float(x.std() / m)


def gini(x: np.ndarray) -> float:
  """Gini coefficient of non-negative values.

  `G = sum_ij |x_i - x_j| / (2 n^2 mean(x))`, computed from the sorted values as
  `G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n` (1-based ranks). 0 when all
  values are equal, `(n - 1) / n` when one value holds everything.

  Args:
    x: 1-D array of non-negative values (degrees).

  Returns:
    The Gini coefficient in [0, 1); NaN when all values are 0 (undefined).
  """
  x = np.sort(np.asarray(x, dtype=np.float64).ravel())
  n = x.size
  total = x.sum()
  if n == 0 or total == 0:
    return float("nan")
  ranks = np.arange(1, n + 1, dtype=np.float64)
  return float(2.0 * np.dot(ranks, x) / (n * total) - (n + 1.0) / n)


def _max_over_mean(x: np.ndarray) -> float:
  m = x.mean() if x.size else 0.0
  return float(x.max() / m) if m > 0 else float("nan")


class LayerDegrees(NamedTuple):
  """Degree statistics of one layer (junction) of a network.

  Neuron counts (`dead`, `no_input_path`, ...) refer to the layer's **output**
  neurons, except `inputs_no_output_path`, which refers to its input neurons
  (useful for layer 0, whose inputs are the network's features).

  Attributes:
    fan_in: `(n_out,)` int64, each output neuron's number of inputs.
    fan_out: `(n_in,)` int64, each input neuron's number of outputs.
    fan_in_cv: population std / mean of `fan_in` (NaN if the layer is empty).
    fan_out_cv: population std / mean of `fan_out`.
    fan_in_gini: Gini coefficient of `fan_in`.
    fan_out_gini: Gini coefficient of `fan_out`.
    fan_in_max_mean: `max(fan_in) / mean(fan_in)`.
    fan_out_max_mean: `max(fan_out) / mean(fan_out)`.
    zero_fan_in: output neurons with fan-in 0 in this layer.
    zero_fan_out: input neurons with fan-out 0 in this layer.
    dead: output neurons that are locally dead: fan-in 0 here, or fan-out 0 in
      the next layer (for the last layer, whose outputs are the classes: fan-in
      0 only).
    no_input_path: output neurons with no path from any network input.
    no_output_path: output neurons with no path to any network output (0 for
      the last layer: its outputs are the network outputs).
    cut_off: output neurons with no input path or no output path (a superset
      of `dead`: a neuron that is cut off cannot affect the logits through the
      masked weights).
    inputs_no_output_path: input neurons of this layer with no path to any
      network output (for layer 0: input features the network ignores).
  """

  fan_in: np.ndarray
  fan_out: np.ndarray
  fan_in_cv: float
  fan_out_cv: float
  fan_in_gini: float
  fan_out_gini: float
  fan_in_max_mean: float
  fan_out_max_mean: float
  zero_fan_in: int
  zero_fan_out: int
  dead: int
  no_input_path: int
  no_output_path: int
  cut_off: int
  inputs_no_output_path: int


def _reachability(layers: Sequence[np.ndarray]
                 ) -> tuple[list[np.ndarray], list[np.ndarray]]:
  """Which neurons have a path from any input and to any output.

  Returns:
    `(from_input, to_output)`: lists of length `len(layers) + 1`, one bool array
    per neuron layer (layer 0 = network inputs, last = network outputs).
  """
  from_input = [np.ones(layers[0].shape[0], dtype=bool)]
  for m in layers:
    # Boolean reachability as a float32 BLAS product (exact: we only test > 0).
    nxt = from_input[-1].astype(np.float32) @ m.astype(np.float32)
    from_input.append(nxt > 0)
  to_output = [np.ones(layers[-1].shape[1], dtype=bool)]
  for m in reversed(layers):
    prv = m.astype(np.float32) @ to_output[0].astype(np.float32)
    to_output.insert(0, prv > 0)
  return from_input, to_output


def degree_stats(net: Any) -> list[LayerDegrees]:
  """Fan-in / fan-out statistics, dead and cut-off neurons, per layer.

  The spread of degrees is summarised three ways (all on the host, NumPy):
  coefficient of variation (population std / mean), Gini coefficient, and
  max / mean (hub strength). A uniform ("flat") profile has CV = Gini = 0 and
  max / mean = 1.

  Reachability is computed through all layers: a neuron has an input path if
  some network input reaches it along masked connections, and an output path
  if it reaches some network output. A neuron lacking either is cut off: it is
  live locally (non-zero degrees) yet cannot carry signal from the inputs to
  the logits, e.g. a hidden neuron whose only inputs are themselves dead.

  Args:
    net: a list of `(n_in, n_out)` bool masks in input-to-output order, a
      single 2-D mask, or a mask pytree mirroring Flax params.

  Returns:
    One `LayerDegrees` per layer, in forward order.

  Raises:
    ValueError: if a layer is not a 2-D bool (or 0/1 integer) mask
      (`as_layer_mask`) or the widths do not chain.
  """
  layers = _as_layers(net)
  from_input, to_output = _reachability(layers)
  out = []
  n_layers = len(layers)
  for l, m in enumerate(layers):
    fan_in = m.sum(axis=0, dtype=np.int64)
    fan_out = m.sum(axis=1, dtype=np.int64)
    dead = fan_in == 0
    if l + 1 < n_layers:
      dead = dead | (layers[l + 1].sum(axis=1) == 0)
    no_in = ~from_input[l + 1]
    no_out = ~to_output[l + 1]
    out.append(LayerDegrees(
        fan_in=fan_in,
        fan_out=fan_out,
        fan_in_cv=cv(fan_in),
        fan_out_cv=cv(fan_out),
        fan_in_gini=gini(fan_in),
        fan_out_gini=gini(fan_out),
        fan_in_max_mean=_max_over_mean(fan_in),
        fan_out_max_mean=_max_over_mean(fan_out),
        zero_fan_in=int((fan_in == 0).sum()),
        zero_fan_out=int((fan_out == 0).sum()),
        dead=int(dead.sum()),
        no_input_path=int(no_in.sum()),
        no_output_path=int(no_out.sum()),
        cut_off=int((no_in | no_out).sum()),
        inputs_no_output_path=int((~to_output[l]).sum()),
    ))
  return out
