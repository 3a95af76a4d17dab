"""The mask-source registry: the one place that knows every way to make a layer.

A *mask source* makes one sparse layer's kernel mask `bool[n_in, n_out]` with
exactly a given number `k` of connections (the layer's budget from
`psn_jax.budgets.layer_budgets`). `SOURCES` maps each name to a `Source`
record: a one-line description, its maker, the budgets it can reach and the
rule it states when it cannot, and whether it takes a target fan-in CV.
Everything else reads this dict: `psn_jax.masks.make_masks` (and so the
runner and `masks.from_config`), `psn_jax.networks`, `psn_jax.config.validate`
and hence the command lines' one-line error for an unknown name, and the
configs and docs that list every source. The config field and the `make_masks`
keyword that name a source are called `profile` (kept from when every source
was a PSN profile: saved configs, checkpoint fingerprints and sweep points use
that name); the concept is "source" everywhere else.

Adding a source is one entry in `SOURCES` plus its maker:

  def make(keys, n_in, n_out, k, cv):      # 0 <= k < n_in * n_out, k feasible
    ...                                   # draw with keys.inputs / keys.hub
    return mask                           # bool[n_in, n_out], k True
  SOURCES["diagonal"] = Source("...", make, budgets=any_budget(1))

Sources (in registry order, which is the order of tables and sweeps):

* PSN fan-in profiles (`psn_jax.profiles.FAMILIES`, `takes_cv`): per-neuron
  fan-ins from `profiles.fan_ins(..., key=keys.hub)`, then each neuron's inputs
  a uniform random subset of that size (random scores from
  `numpy_rng(keys.inputs)`, ranked per column). Need `k >= n_out`.
* `random` and its alias `erdos_renyi`: exactly `k` positions uniformly at
  random (`graphs.erdos_renyi(keys.inputs, count=k)`); any `k >= 0`.
* `random_biregular`, `circulant`, `circulant_banded`: `graphs`' makers at
  `edges=k`; any `k >= 1`.
* `dey_basic`, `dey_clash_free`: `graphs.dey_layer` at
  `graphs.dey_budget_degrees`; `k = n_in d_out` with Dey's divisibility rules.
* `block_diagonal`: `graphs.block_diagonal` at `dey_clash_free`'s degrees
  (padded inputs dropped the same way): equal density, low scatter, the
  contrast of Dey's scatter claim. Formerly `dey_windowed` (not one of Dey et
  al.'s patterns); that name still works with a one-line deprecation warning
  (`ALIASES`).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Callable, NamedTuple

import jax
import numpy as np

from psn_jax import graphs
from psn_jax import profiles
from psn_jax.utils import numpy_rng

__all__ = ["LayerKeys", "Source", "SOURCES", "ALIASES", "resolve",
           "any_budget", "check_name"]


class LayerKeys(NamedTuple):
  """The keys of one layer (`psn_jax.masks.layer_keys`): `hub` places a PSN
  profile's hubs, `inputs` draws which inputs each neuron reads (every other
  source draws with `inputs` only)."""

  hub: jax.Array
  inputs: jax.Array


Maker = Callable[[LayerKeys, int, int, int, Any], np.ndarray]


@dataclasses.dataclass(frozen=True)
class Source:
  """One mask source.

  Attributes:
    description: one line: what the source makes (docs, tables, `--help`).
    make: `make(keys, n_in, n_out, k, cv) -> bool[n_in, n_out]` with exactly
      `k` True entries, for a sparse layer (`0 <= k < n_in * n_out`, `k` in
      `budgets(n_in, n_out)`; `make_masks` checks both and makes dense layers
      itself). `keys` is a `LayerKeys`; `cv` is the layer's target fan-in CV
      (None for the default, always None unless `takes_cv`). Pure: the same
      arguments give the same mask, bit for bit.
    budgets: `budgets(n_in, n_out) -> int64[...]`, every connection count the
      source reaches on an `(n_in, n_out)` layer, ascending, the dense count
      `n_in * n_out` included.
    rule: why a budget outside `budgets` is refused, one clause (it goes into
      the error line, which also names the nearest feasible densities).
    takes_cv: whether the source takes a target fan-in CV (`cv`).
    random_inputs: whether each neuron's inputs are a uniformly random subset
      of its fan-in's size, independently across neurons
      (`tests/test_input_wiring.py` checks every such source); False for
      structured sources, which follow their own rule.
  """

  description: str
  make: Maker
  budgets: Callable[[int, int], np.ndarray]
  rule: str = "no connection left"
  takes_cv: bool = False
  random_inputs: bool = False


def any_budget(low: int | str) -> Callable[[int, int], np.ndarray]:
  """Budgets `low..n_in * n_out` (`low` an int, or "n_out": one per neuron)."""

  def budgets(n_in: int, n_out: int) -> np.ndarray:
    start = n_out if low == "n_out" else int(low)
    return np.arange(start, n_in * n_out + 1, dtype=np.int64)

  return budgets


# ------------------------------------------------------------------- makers


def _psn(family: str) -> Maker:
  def make(keys: LayerKeys, n_in: int, n_out: int, k: int, cv: Any
           ) -> np.ndarray:
    fan = profiles.fan_ins(family, n_out, n_in, k / (n_in * n_out), cv,
                           key=keys.hub)
    rng = numpy_rng(keys.inputs)
    order = np.argsort(rng.random((n_in, n_out)), axis=0)
    mask = np.zeros((n_in, n_out), dtype=bool)
    np.put_along_axis(mask, order, np.arange(n_in)[:, None] < fan[None, :],
                      axis=0)
    return mask

  return make


def _random(keys: LayerKeys, n_in: int, n_out: int, k: int, cv: Any
            ) -> np.ndarray:
  del cv
  if k == 0:
    return np.zeros((n_in, n_out), dtype=bool)
  return graphs.erdos_renyi(keys.inputs, n_in, n_out, count=k)


def _biregular(keys: LayerKeys, n_in: int, n_out: int, k: int, cv: Any
               ) -> np.ndarray:
  del cv
  return graphs.random_biregular(keys.inputs, n_in, n_out, edges=k)


def _circulant(generators: str) -> Maker:
  def make(keys: LayerKeys, n_in: int, n_out: int, k: int, cv: Any
           ) -> np.ndarray:
    del cv
    return graphs.circulant(keys.inputs, n_in, n_out, edges=k,
                            generators=generators)

  return make


def _dey(kind: str) -> Maker:
  def make(keys: LayerKeys, n_in: int, n_out: int, k: int, cv: Any
           ) -> np.ndarray:
    del cv
    degrees = graphs.dey_budget_degrees(n_in, n_out, k, kind)
    return graphs.dey_layer(keys.inputs, n_in, n_out, degrees, kind)

  return make


def _block_diagonal(keys: LayerKeys, n_in: int, n_out: int, k: int, cv: Any
                    ) -> np.ndarray:
  del cv
  degrees = graphs.dey_budget_degrees(n_in, n_out, k, "clash_free")
  return graphs.block_diagonal(keys.inputs, degrees["p"], n_out,
                               d_out=degrees["d_out"])[:n_in]


def _dey_budgets(kind: str) -> Callable[[int, int], np.ndarray]:
  def budgets(n_in: int, n_out: int) -> np.ndarray:
    return np.union1d(graphs.dey_feasible_edges(n_in, n_out, kind),
                      [n_in * n_out]).astype(np.int64)

  return budgets


_DEY_RULE = "d_out = k / n_in must be an integer"

# ----------------------------------------------------------------- registry

SOURCES: dict[str, Source] = {
    "uniform": Source(
        "PSN's flat profile (fan-in CV 0): every neuron floor or ceil of k / "
        "n_out inputs, a uniform random subset per neuron",
        _psn("uniform"), any_budget("n_out"),
        "a PSN profile needs >= 1 input per neuron", takes_cv=True,
        random_inputs=True),
    **{fam: Source(
        f"PSN {fam} fan-in profile (psn_jax.profiles; cv sets its CV), a "
        f"uniform random input subset per neuron",
        _psn(fam), any_budget("n_out"),
        "a PSN profile needs >= 1 input per neuron", takes_cv=True,
        random_inputs=True)
       for fam in profiles.FAMILIES if fam != "uniform"},
    "random": Source(
        "exactly k positions uniformly at random over the whole layer (RigL's "
        "/ jaxpruner's random mask); fan-ins hypergeometric, a neuron may get "
        "none", _random, any_budget(0), random_inputs=True),
    "erdos_renyi": Source(
        "alias of random (same law, same mask for the same key): SET's "
        "G(n_in, n_out, m) start with m = k, under SET's name",
        _random, any_budget(0), random_inputs=True),
    "random_biregular": Source(
        "configuration model with switch repair: out-degrees floor/ceil(k / "
        "n_in), fan-ins floor/ceil(k / n_out), exactly biregular when n_in "
        "and n_out divide k", _biregular, any_budget(1), random_inputs=True),
    "circulant": Source(
        "output j reads inputs (floor(j n_in / n_out) + S) mod n_in, S a "
        "random set of k // n_out generators (one more generator for k mod "
        "n_out evenly spread outputs); expands well",
        _circulant("random"), any_budget(1)),
    "circulant_banded": Source(
        "circulant with contiguous generators: each output reads a contiguous "
        "input window (banded, no randomness); the poorly expanding contrast",
        _circulant("contiguous"), any_budget(1)),
    "dey_basic": Source(
        "Dey et al.'s row-by-row random biregular sampler on inputs padded to "
        "p >= n_in (pad rows dropped); needs d_out = k / n_in an integer",
        _dey("basic"), _dey_budgets("basic"), _DEY_RULE, random_inputs=True),
    "dey_clash_free": Source(
        "Dey et al.'s clash-free interleaver pattern (z = d_in, address type "
        "1, no dither), padded as dey_basic; needs d_out = k / n_in an integer "
        "dividing n_out",
        _dey("clash_free"), _dey_budgets("clash_free"),
        _DEY_RULE + " dividing n_out"),
    "block_diagonal": Source(
        "block-diagonal windows at dey_clash_free's degrees: output group g "
        "reads only input window g; equal density, low scatter (the contrast "
        "of Dey's scatter claim; formerly dey_windowed)",
        _block_diagonal, _dey_budgets("clash_free"),
        _DEY_RULE + " dividing n_out"),
}

# Deprecated names: accepted with a one-line warning, never listed.
ALIASES: dict[str, str] = {"dey_windowed": "block_diagonal"}


def check_name(name: Any, field: str = "profile") -> None:
  """Raises one line naming `field` and every source unless `name` is a
  source or a deprecated alias of one."""
  if not isinstance(name, str) or name not in SOURCES and name not in ALIASES:
    raise ValueError(f"{field} must be one of {', '.join(SOURCES)}, got "
                     f"{name!r}")


def resolve(name: Any, field: str = "profile") -> str:
  """The registry name of `name`: itself, or the source a deprecated alias
  stands for (with a one-line `FutureWarning`).

  Raises:
    ValueError: on a name that is neither (one line listing every source).
  """
  check_name(name, field)
  if name in ALIASES:
    new = ALIASES[name]
    warnings.warn(f"{field} {name!r} is deprecated, use {new!r} (the same "
                  f"masks)", FutureWarning, stacklevel=3)
    return new
  return name
