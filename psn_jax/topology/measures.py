"""The measure registry: every topology measure of a network, in one place.

`MEASURES` maps a name to a `Measure`: a function of one network's kernel
masks, per layer or whole-network. `summary` reports every measure that needs
no reference network; the claims, `experiments.sources` and
`experiments.topology_table` look measures up by name. Adding a measure is one
entry here (plus its function, if it is not a one-liner).

Input convention: a network is the ordered list of its layer kernel masks,
input to output, each `(n_in, n_out)` bool (the Flax kernel layout: column `j`
is output neuron `j`'s fan-in), or a mask pytree mirroring Flax params, or a
single 2-D mask; `Network` validates it once (`as_layers`). The scatter
measures see the inputs as a 28 x 28 grid with 4 x 4 windows when layer 0 has
784 inputs, and as 1-D windows otherwise (`network_scatter`), unless
`input_shape` / `window` say otherwise.

Two views of one measure:

* `MEASURES[name](net, reference=None, **options) -> float | None`: one
  number (a per-layer measure's value at layer 0, the junction on the data);
  None where it is undefined (NaN, infinite, or no reference given to a
  measure that needs one).
* `MEASURES[name].values(Network(net, ...))`: every layer's values as a
  float64 `(n_layers,)` array (per-layer) or a float (whole network), as
  `summary` reports them.

Spectral measures use ARPACK on the sparse graph (`SOLVER = "sparse"`): the
same values as a dense eigensolver (to ~1e-12 or better here) in a fraction of
the time (a dense eigh of ~900 vertices took 11 s on a loaded 2-core machine).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, Callable

import numpy as np

from psn_jax.topology.degrees import LayerDegrees
from psn_jax.topology.degrees import as_layers
from psn_jax.topology.degrees import degree_stats
from psn_jax.topology.nnstd import nnstd
from psn_jax.topology.scatter import ScatterResult
from psn_jax.topology.scatter import network_scatter
from psn_jax.topology.spectral import algebraic_connectivity
from psn_jax.topology.spectral import isolated_vertices
from psn_jax.topology.spectral import network_algebraic_connectivity
from psn_jax.topology.spectral import network_isolated_vertices
from psn_jax.topology.spectral import network_spectral_gap
from psn_jax.topology.spectral import spectral_gap

__all__ = ["SOLVER", "Network", "Measure", "MEASURES", "summary", "headline"]

SOLVER = "sparse"


class Network:
  """One network's validated layers and what several measures share.

  Degree statistics and the network scatter are computed once, on first use,
  however many measures read them.

  Args:
    net: the network (see the module docstring).
    reference: a second network of the same shapes, for measures that compare
      two networks (`needs_reference`), or None.
    input_shape: 2-D grid of the inputs for the scatter windows, or None; a
      grid that does not hold layer 0's inputs falls back to 1-D windows.
    window: 2-D scatter window on the inputs.
    **scatter_kwargs: further `network_scatter` keywords (`stride`,
      `hidden_window`, `output_window`, `net_window`).
  """

  def __init__(self, net: Any, *, reference: Any = None,
               input_shape: tuple[int, int] | None = (28, 28),
               window: tuple[int, int] = (4, 4), **scatter_kwargs: Any):
    self.layers = as_layers(net)
    self.reference = (None if reference is None
                      else as_layers(reference, "reference"))
    if (input_shape is not None
        and int(np.prod(input_shape)) != self.layers[0].shape[0]):
      input_shape = None
    self.input_shape = input_shape
    self.window = window
    self.scatter_kwargs = scatter_kwargs

  @functools.cached_property
  def degrees(self) -> list[LayerDegrees]:
    """`degree_stats` of the layers."""
    return degree_stats(self.layers)

  @functools.cached_property
  def scatter(self) -> ScatterResult:
    """`network_scatter` of the layers."""
    return network_scatter(self.layers, self.input_shape, self.window,
                           **self.scatter_kwargs)


def _finite(x: Any) -> float | None:
  try:
    v = float(x)
  except (TypeError, ValueError):
    return None
  return v if math.isfinite(v) else None


@dataclasses.dataclass(frozen=True)
class Measure:
  """One topology measure.

  Attributes:
    description: one line: what it measures, and the paper.
    fn: `fn(network, l) -> float` (value at layer `l`) when `per_layer`,
      else `fn(network) -> float`; `network` is a `Network`.
    per_layer: whether the measure has one value per layer.
    label: a short column header for tables (fan-in CV "CV", normalized gap
      "gap", forward scatter "S_f", ...).
    headline: shown in the experiments' tables (`experiments.sources`,
      `experiments.topology_table`).
    needs_reference: compares to `Network.reference` (None without one);
      left out of `summary`.
  """

  description: str
  fn: Callable[..., float]
  per_layer: bool = True
  label: str = ""
  headline: bool = False
  needs_reference: bool = False

  def values(self, network: Network) -> np.ndarray | float:
    """Every layer's values (float64 `(n_layers,)`) or the network's float."""
    if self.per_layer:
      return np.asarray([self.fn(network, l)
                         for l in range(len(network.layers))], np.float64)
    return float(self.fn(network))

  def __call__(self, net: Any, reference: Any = None, **options: Any
               ) -> float | None:
    """The measure of `net` as one finite float (layer 0 for a per-layer
    measure), or None. `options` are `Network`'s."""
    network = net if isinstance(net, Network) else Network(
        net, reference=reference, **options)
    if self.needs_reference and network.reference is None:
      return None
    return _finite(self.fn(network, 0) if self.per_layer else self.fn(network))


def _layer(f: Callable[[np.ndarray], float]) -> Callable[[Network, int], float]:
  return lambda n, l: f(n.layers[l])


def _degree(field: str) -> Callable[[Network, int], float]:
  return lambda n, l: float(getattr(n.degrees[l], field))


def _nnstd_to_reference(n: Network) -> float:
  return float(nnstd(n.layers[0], n.reference[0]).per_layer[0])


def _density(n: Network) -> float:
  return sum(m.sum() for m in n.layers) / sum(m.size for m in n.layers)


MEASURES: dict[str, Measure] = {
    "fan_in_cv": Measure(
        "fan-in coefficient of variation (population std / mean; PSN)",
        _degree("fan_in_cv"), label="CV", headline=True),
    "fan_out_cv": Measure(
        "fan-out coefficient of variation", _degree("fan_out_cv"),
        label="CV out"),
    "fan_in_gini": Measure(
        "Gini coefficient of the fan-ins", _degree("fan_in_gini"),
        label="fan-in Gini"),
    "dead": Measure(
        "locally dead output neurons: fan-in 0 here or fan-out 0 in the next "
        "layer", _degree("dead"), label="dead"),
    "zero_fan_in": Measure(
        "output neurons with fan-in 0 (no input at all)",
        _degree("zero_fan_in"), label="no input"),
    "cut_off": Measure(
        "output neurons with no input path or no output path through the "
        "network", _degree("cut_off"), label="cut off"),
    "spectral_gap": Measure(
        "raw spectral gap sigma_1 - sigma_2 of the biadjacency (Bourely et "
        "al. 2017)", _layer(lambda m: spectral_gap(m, solver=SOLVER)),
        label="raw gap"),
    "normalized_gap": Measure(
        "normalised spectral gap 1 - sigma_2 of D^-1/2 B D^-1/2 (Bourely et "
        "al. 2017)",
        _layer(lambda m: spectral_gap(m, kind="normalized", solver=SOLVER)),
        label="gap", headline=True),
    "ramanujan_gap": Measure(
        "Ramanujan gap sqrt(d_l - 1) + sqrt(d_r - 1) - sigma_2 (Hoang et al. "
        "2023)", _layer(lambda m: spectral_gap(m, kind="ramanujan",
                                               solver=SOLVER)),
        label="Ramanujan gap"),
    "lambda_2": Measure(
        "algebraic connectivity of the layer's bipartite graph (Bourely et al. "
        "2017)", _layer(lambda m: algebraic_connectivity(m, solver=SOLVER)),
        label="λ2", headline=True),
    "isolated": Measure(
        "vertices of degree 0 in the layer's bipartite graph",
        _layer(lambda m: float(isolated_vertices(m))), label="isolated"),
    "scatter_forward": Measure(
        "forward scatter of the junction (Dey et al. 2018)",
        lambda n, l: n.scatter.forward[l], label="S_f", headline=True),
    "scatter_backward": Measure(
        "backward scatter of the junction (Dey et al. 2018)",
        lambda n, l: n.scatter.backward[l], label="S_b"),
    "scatter": Measure(
        "the network's scatter: the minimum of its 2J + 2 scatter values "
        "(Dey et al. 2018)", lambda n: n.scatter.value, per_layer=False,
        label="scatter"),
    "network_scatter_forward": Measure(
        "forward scatter of the input-to-output path counts",
        lambda n: n.scatter.network[0], per_layer=False, label="net S_f"),
    "network_scatter_backward": Measure(
        "backward scatter of the input-to-output path counts",
        lambda n: n.scatter.network[1], per_layer=False, label="net S_b"),
    "network_spectral_gap": Measure(
        "raw spectral gap of the whole layered graph",
        lambda n: network_spectral_gap(n.layers, solver=SOLVER),
        per_layer=False, label="net gap"),
    "network_lambda_2": Measure(
        "algebraic connectivity of the whole layered graph",
        lambda n: network_algebraic_connectivity(n.layers, solver=SOLVER),
        per_layer=False, label="net lambda_2"),
    "network_isolated": Measure(
        "neurons of degree 0 in the whole layered graph",
        lambda n: float(network_isolated_vertices(n.layers)),
        per_layer=False, label="net isolated"),
    "density": Measure(
        "active fraction of all kernel weights", _density, per_layer=False,
        label="density"),
    "nnstd_to_reference": Measure(
        "NNSTD between layer 0 and the reference network's layer 0 (Liu et "
        "al. 2020)", _nnstd_to_reference, per_layer=False,
        label="NNSTD to ref.", needs_reference=True),
}


def summary(net: Any, *, input_shape: tuple[int, int] | None = (28, 28),
            window: tuple[int, int] = (4, 4), **scatter_kwargs: Any
           ) -> dict[str, Any]:
  """Every measure of `MEASURES` that needs no reference, per layer and
  whole-network.

  Per-layer entries are `(n_layers,)` float64 arrays (layer 0 first), ready to
  become table columns; whole-network entries are floats. Keys in registry
  order.

  Args:
    net: a list of `(n_in, n_out)` bool masks in forward order, a single mask,
      or a mask pytree mirroring Flax params.
    input_shape: 2-D grid of the inputs for the scatter windows, or None.
    window: 2-D scatter window on the inputs.
    **scatter_kwargs: further `network_scatter` keywords (`stride`,
      `hidden_window`, `output_window`, `net_window`).

  Returns:
    A dict with per-layer keys `fan_in_cv`, `fan_out_cv`, `fan_in_gini`,
    `dead`, `zero_fan_in`, `cut_off`, `spectral_gap` (raw), `normalized_gap`,
    `ramanujan_gap`, `lambda_2`, `isolated`, `scatter_forward`,
    `scatter_backward`, and network keys `scatter` (the minimum of the 2J + 2 values),
    `network_scatter_forward`, `network_scatter_backward`,
    `network_spectral_gap`, `network_lambda_2`, `network_isolated`,
    `density`.
  """
  network = Network(net, input_shape=input_shape, window=window,
                    **scatter_kwargs)
  return {name: m.values(network) for name, m in MEASURES.items()
          if not m.needs_reference}


def headline(per_layer: bool = True) -> list[str]:
  """Names of the headline measures (the experiments' table columns), per
  layer or whole-network, in registry order."""
  return [name for name, m in MEASURES.items()
          if m.headline and m.per_layer == per_layer]
