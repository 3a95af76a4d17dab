"""Topology table: structure of 90%-sparse MLP masks, one row per topology.

  python -m experiments.topology_table --out results/topology_table.md --seeds 5

For 784-300-100-10 masks at 90% sparsity, every topology below is drawn with
seeds `0 .. seeds - 1` (`jax.random.key(seed)`) and measured with
`psn_jax.topology`: fan-in CV per layer, scatter (Dey et al. 2018; 4x4
non-overlapping patches on the 28x28 inputs), raw spectral gap and algebraic
connectivity `lambda_2(D - A)` per layer and for the whole network (Bourely et
al. 2017), dead and cut-off neurons. Table cells are the mean +- std over the
seeds. Then the NNSTD (Liu et al. 2020) between the seeds' uniform masks, next
to the note's random-mask baseline (`shared/research/topology-metrics.md`
section 1.6: about 0.89 for two independent 1000x1000 layers at 10%), which is
re-measured here at the note's own setting.

Topologies (per-layer density `rho = 1 - sparsity` unless said otherwise):

* `uniform`: `masks.make_masks(distribution="uniform", profile="uniform")`.
* `ERK`: `distribution="erk"`, profile `uniform` (flat fan-in within a layer,
  so that only the layer allocation differs from `uniform`).
* `PSN <family>`: uniform layer budgets, fan-in profile `<family>` at CV 1.0 in
  every layer (lognormal, power_law, gaussian, exponential).
* `Dey clash-free, exact`: `graphs.dey_clash_free` per layer, on the real
  inputs. Its degrees are constrained (`d_in = n_in d_out / n_out` an integer
  dividing `n_in`), so each layer takes the admissible `d_out` whose density
  `d_out / n_out` is nearest `rho` (ties: the sparser). For 784 -> 300 the
  admissible densities are 1/4, 1/2 and 1 only (`d_in` must be a multiple of
  196), so layer 0 is 25% dense.
* `Dey clash-free, padded`: the inputs are padded, as the authors pad MNIST to
  800 inputs, to the smallest `p >= n_in` at which the density `1 / k` is
  admissible, `k` the divisor of `n_out` with `1 / k` nearest `rho`
  (`d_out = n_out / k`, `d_in = p / k`); the pattern is drawn on `p` inputs and
  the `p - n_in` trailing pad rows are dropped. Real inputs keep out-degree
  `d_out`; outputs lose the edges to pad inputs. For 784 -> 300 at 10%: `p =
  790`, `d_out = 30`, `d_in = 79`, exactly 10% dense.
  Both Dey rows use `z = d_in` banks (one output neuron per clock cycle),
  address type 1 and no dither.
* `circulant`: `graphs.circulant(density=rho, generators="random")` per layer:
  fan-in exactly `round(rho n_in)`.

The networks are built by `psn_jax.networks.build_networks` (the Dey degree
rules are `psn_jax.graphs.dey_exact_degrees` / `dey_padded_degrees`); per-layer
keys of the hand-built topologies are `jax.random.fold_in(key, l)`.
The exact degrees, densities and padding of every row are written below the
table.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from psn_jax import graphs, models, networks, topology, utils

__all__ = ["COLUMNS", "compute_table", "render_markdown", "run", "main"]
NOTE_NNSTD_BASELINE = 0.89  # note section 1.6: two random 1000x1000 layers
NOTE_NNSTD_SIZE = 1000
_MATCH_TOL = 0.02  # |ours - 0.89| within this counts as matching the note

# (key, header, format) of the table columns; every value is per seed.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("density", "density", ".4f"),
    ("cv0", "CV L0", ".3f"),
    ("cv1", "CV L1", ".3f"),
    ("cv_mean", "CV mean", ".3f"),
    ("scatter", "scatter (min)", ".3f"),
    ("scatter_f0", "S_f L0", ".3f"),
    ("scatter_net", "S_net", ".3f"),
    ("gap0", "gap L0", ".2f"),
    ("gap1", "gap L1", ".2f"),
    ("gap_net", "gap net", ".2f"),
    ("lam0", "λ2 L0", ".3f"),
    ("lam1", "λ2 L1", ".3f"),
    ("lam_net", "λ2 net", ".3f"),
    ("dead", "dead", ".1f"),
    ("cut_off", "cut-off", ".1f"),
)


# ------------------------------------------------------------- networks


def _params(n_in: int, hidden: Sequence[int], num_classes: int) -> Any:
  model = models.MLP(hidden=tuple(hidden), num_classes=num_classes)
  return jax.eval_shape(model.init, jax.random.key(0),
                        jnp.zeros((1, n_in), jnp.float32))["params"]


def _measure(layers: list[np.ndarray], input_shape: tuple[int, int] | None,
             window: tuple[int, int]) -> dict[str, float]:
  s = topology.summary(layers, input_shape=input_shape, window=window)
  total = sum(m.size for m in layers)
  return {
      "density": sum(int(m.sum()) for m in layers) / total,
      "cv0": s["fan_in_cv"][0],
      "cv1": s["fan_in_cv"][1],
      "cv_mean": float(np.mean(s["fan_in_cv"])),
      "scatter": s["scatter"],
      "scatter_f0": s["scatter_forward"][0],
      "scatter_net": s["network_scatter_forward"],
      "gap0": s["spectral_gap"][0],
      "gap1": s["spectral_gap"][1],
      "gap_net": s["network_spectral_gap"],
      "lam0": s["lambda_2"][0],
      "lam1": s["lambda_2"][1],
      "lam_net": s["network_lambda_2"],
      "dead": float(s["dead"].sum()),
      "cut_off": float(s["cut_off"].sum()),
      "cv_layers": s["fan_in_cv"],
      "layer_density": np.array([m.mean() for m in layers]),
  }


# ---------------------------------------------------------------- NNSTD


def _nnstd_block(nets: Sequence[list[np.ndarray]], reference_size: int | None,
                 density: float) -> dict[str, Any]:
  n = len(nets)
  matrix = np.zeros((n, n))
  per_layer = []
  for i in range(n):
    for j in range(n):
      if i != j:
        r = topology.nnstd(nets[i], nets[j])
        matrix[i, j] = r.mean
        per_layer.append(r.per_layer)
  out = {"matrix": matrix, "per_layer": np.array(per_layer),
         "reference": None}
  if reference_size:
    # The note's setting: independent Erdos-Renyi layers, hidden neurons matched.
    layers = [graphs.erdos_renyi(jax.random.fold_in(jax.random.key(s), 10_000),
                                 reference_size, reference_size,
                                 density=density) for s in range(n)]
    vals = [topology.nnstd(layers[i], layers[j], permute_outputs=True).mean
            for i in range(n) for j in range(i + 1, n)]
    out["reference"] = {"size": reference_size, "values": np.array(vals)}
  return out


# ---------------------------------------------------------------- table


def compute_table(*, seeds: int = 5, n_in: int = 784,
                  hidden: Sequence[int] = (300, 100), num_classes: int = 10,
                  input_shape: tuple[int, int] | None = (28, 28),
                  window: tuple[int, int] = (4, 4), sparsity: float = 0.9,
                  reference_size: int | None = NOTE_NNSTD_SIZE
                 ) -> dict[str, Any]:
  """Measures every topology over `seeds` seeds, and the uniform masks' NNSTD.

  Args:
    seeds: number of seeds (>= 2: the NNSTD needs pairs).
    n_in: network inputs.
    hidden: hidden widths (at least one: the table reports layers 0 and 1).
    num_classes: outputs.
    input_shape: 2-D grid of the inputs for the scatter windows (None: 1-D).
    window: 2-D scatter window on the inputs (non-overlapping).
    sparsity: global sparsity in (0, 1).
    reference_size: width of the square random layers for the note's NNSTD
      baseline (None skips it).

  Returns:
    `{"rows": [{"name", "construction", "values": {column: (seeds,) array},
    "cv_layers": (seeds, L), "layer_density": (seeds, L)}], "nnstd": {...},
    "config": {...}}`.

  Raises:
    ValueError: on too few seeds or layers, or a bad sparsity.
  """
  if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 2:
    raise ValueError(f"seeds must be an integer >= 2 (NNSTD needs pairs), "
                     f"got {seeds!r}")
  if len(hidden) < 1:
    raise ValueError(f"hidden must hold at least one width, got {hidden!r}")
  if not 0 < sparsity < 1:
    raise ValueError(f"sparsity must be in (0, 1), got {sparsity!r}")
  params = _params(n_in, hidden, num_classes)
  rows: dict[str, dict[str, Any]] = {}
  uniform_nets = []
  for seed in range(seeds):
    for name, layers, text in networks.build_networks(seed, params, sparsity):
      m = _measure(layers, input_shape, window)
      row = rows.setdefault(name, {"name": name, "construction": text,
                                   "values": {k: [] for k, _, _ in COLUMNS},
                                   "cv_layers": [], "layer_density": []})
      for k, _, _ in COLUMNS:
        row["values"][k].append(m[k])
      row["cv_layers"].append(m["cv_layers"])
      row["layer_density"].append(m["layer_density"])
      if name == "uniform":
        uniform_nets.append(layers)
  for row in rows.values():
    row["values"] = {k: np.asarray(v, dtype=np.float64)
                     for k, v in row["values"].items()}
    row["cv_layers"] = np.asarray(row["cv_layers"])
    row["layer_density"] = np.asarray(row["layer_density"])
  return {
      "rows": list(rows.values()),
      "nnstd": _nnstd_block(uniform_nets, reference_size, 1.0 - sparsity),
      "config": {"seeds": seeds, "widths": [n_in, *hidden, num_classes],
                 "input_shape": input_shape, "window": window,
                 "sparsity": sparsity},
  }


def _cell(x: np.ndarray, fmt: str) -> str:
  m, s = float(np.mean(x)), float(np.std(x))
  if s < 0.5 * 10.0 ** -int(fmt[1:-1]):
    return format(m, fmt)
  return f"{m:{fmt}} ± {s:{fmt}}"


def render_markdown(result: dict[str, Any], command: str, wall_s: float) -> str:
  """The Markdown report: table, constructions, NNSTD block, command, time.

  Args:
    result: from `compute_table`.
    command: the command line that produced it.
    wall_s: wall time of the computation in seconds.

  Returns:
    Markdown text ending in a newline.
  """
  cfg = result["config"]
  widths = "-".join(str(w) for w in cfg["widths"])
  n_layers = len(cfg["widths"]) - 1
  grid = ("x".join(map(str, cfg["input_shape"])) + " input grid"
          if cfg["input_shape"] else "1-D inputs")
  win = "x".join(map(str, cfg["window"]))
  lines = [
      f"# Topology table: {widths} masks at {cfg['sparsity']:.0%} sparsity",
      "",
      f"Mean ± std over {cfg['seeds']} seeds (`jax.random.key(0..."
      f"{cfg['seeds'] - 1})`; a single number means std < half the last "
      f"digit). Produced by `experiments/topology_table.py` (its docstring "
      f"defines every topology).",
      "",
      "| topology | " + " | ".join(h for _, h, _ in COLUMNS) + " |",
      "|---|" + "---:|" * len(COLUMNS),
  ]
  for row in result["rows"]:
    cells = [_cell(row["values"][k], f) for k, _, f in COLUMNS]
    lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
  lines += [
      "",
      "Columns. `density`: active kernel weights / all kernel weights. "
      "`CV Ll`: fan-in CV (population std / mean) of layer l's output neurons; "
      f"`CV mean` over all {n_layers} layers. `scatter (min)`: "
      "`topology.network_scatter(...).value`, the minimum of the 2J + 2 "
      f"scatter values ({win} non-overlapping patches on the {grid}, windows "
      "of 8 on hidden layers, 1 on the classes and at network level). "
      "`S_f L0`: forward scatter of layer 0 on the input patches. `S_net`: "
      "scatter of the input-to-class path-count matrix (forward = backward "
      "with windows of 1). With windows of 1 on the classes, the class "
      "layer's backward scatter equals that layer's density exactly, so the "
      "minimum can never exceed the class layer's density. `gap`: raw "
      "spectral gap sigma_1 - sigma_2 of the layer's biadjacency (or of the "
      "whole layered graph, `net`); hubs raise sigma_1. `λ2`: algebraic "
      "connectivity, second-smallest eigenvalue of D - A over all vertices "
      "of the layer (or network); 0 exactly when disconnected, e.g. when one "
      "neuron of the junction has no edge in it, and at most n / (n - 1) "
      "times the minimum degree (Fiedler 1973). `dead`: neurons "
      "with fan-in 0 or with fan-out 0 into the next layer; `cut-off`: "
      "neurons with no path from the inputs or to the classes (a superset), "
      "both summed over hidden and class neurons.",
      "",
      "## Constructions and per-layer densities",
      "",
      "| topology | " + " | ".join(f"density L{l}" for l in range(n_layers))
      + " | " + " | ".join(f"CV L{l}" for l in range(n_layers))
      + " | construction |",
      "|---|" + "---:|" * (2 * n_layers) + "---|",
  ]
  for row in result["rows"]:
    dens = [_cell(row["layer_density"][:, l], ".4f") for l in range(n_layers)]
    cvs = [_cell(row["cv_layers"][:, l], ".3f") for l in range(n_layers)]
    lines.append(f"| {row['name']} | " + " | ".join(dens + cvs)
                 + f" | {row['construction']} |")
  lines += _nnstd_lines(result["nnstd"], cfg, n_layers)
  lines += [
      "",
      "## Provenance",
      "",
      "```",
      command,
      "```",
      "",
      f"Wall time: {wall_s:.1f} s (CPU; the computation, without Python and "
      f"JAX start-up).",
  ]
  return "\n".join(lines) + "\n"


def _nnstd_lines(block: dict[str, Any], cfg: dict[str, Any], n_layers: int
                ) -> list[str]:
  matrix, per_layer = block["matrix"], block["per_layer"]
  n = matrix.shape[0]
  lines = [
      "",
      f"## NNSTD between the {n} seeds' uniform masks",
      "",
      "`topology.nnstd` (Liu et al. 2020): per layer, Jaccard distances of "
      "input sets under the optimal neuron matching, relabelled layer by "
      "layer; class neurons compared with the identity. Matrix entry [i, j] "
      "is the mean over layers of nnstd(seed i, seed j).",
      "",
      "| seed | " + " | ".join(str(j) for j in range(n)) + " |",
      "|---|" + "---:|" * n,
  ]
  for i in range(n):
    lines.append(f"| {i} | " + " | ".join(f"{matrix[i, j]:.4f}"
                                          for j in range(n)) + " |")
  means = per_layer.mean(axis=0)
  stds = per_layer.std(axis=0)
  lines += [
      "",
      f"Per layer, mean ± std over the {len(per_layer)} ordered pairs: "
      + ", ".join(f"L{l} {means[l]:.4f} ± {stds[l]:.4f}"
                  for l in range(n_layers))
      + f"; mean over layers {per_layer.mean():.4f}.",
  ]
  ref = block["reference"]
  l0 = means[0]
  verdict = ("matches" if abs(l0 - NOTE_NNSTD_BASELINE) <= _MATCH_TOL
             else "does not match")
  lines += [
      "",
      f"Random-mask baseline: uniform masks are independent random masks (flat "
      f"fan-in, inputs drawn uniformly per neuron), so their layer-0 NNSTD is "
      f"the random baseline at this layer shape. Note "
      f"(`topology-metrics.md` 1.6): about {NOTE_NNSTD_BASELINE} for two "
      f"independent {NOTE_NNSTD_SIZE}x{NOTE_NNSTD_SIZE} layers at 10% and 1%. "
      f"Here layer 0 ({cfg['widths'][0]} -> {cfg['widths'][1]}) gives "
      f"{l0:.4f}, which {verdict} it (tolerance ±{_MATCH_TOL}).",
  ]
  if ref is not None:
    vals = ref["values"]
    lines.append(
        f"Re-measured at the note's setting (independent "
        f"{ref['size']}x{ref['size']} Erdos-Renyi layers at "
        f"{1 - cfg['sparsity']:.0%}, hidden neurons matched, {len(vals)} "
        f"pairs): {vals.mean():.4f} ± {vals.std():.4f}.")
  return lines


# ------------------------------------------------------------------ CLI


def run(out: str | None, *, command: str = "", **kwargs: Any) -> str:
  """Computes the table, renders it, writes it atomically to `out`, returns it.

  Args:
    out: Markdown output path (None: do not write).
    command: the command line to record.
    **kwargs: `compute_table` arguments.

  Returns:
    The Markdown text.
  """
  start = time.perf_counter()
  result = compute_table(**kwargs)
  text = render_markdown(result, command, time.perf_counter() - start)
  if out:
    utils.write_text_atomic(out, text)
  return text


def main(argv: Sequence[str] | None = None) -> None:
  """`python -m experiments.topology_table --out FILE [--seeds N]`."""
  argv = list(sys.argv[1:] if argv is None else argv)
  parser = argparse.ArgumentParser(
      prog="python -m experiments.topology_table",
      description="Topology measures of 784-300-100-10 masks at 90% sparsity.")
  parser.add_argument("--out", required=True, help="Markdown output path.")
  parser.add_argument("--seeds", type=int, default=5,
                      help="Seeds per topology (>= 2).")
  args = parser.parse_args(argv)
  command = shlex.join(["python", "-m", "experiments.topology_table", *argv])
  try:
    text = run(args.out, command=command, seeds=args.seeds)
  except ValueError as e:
    print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
    raise SystemExit(2)
  print(text, end="")


if __name__ == "__main__":
  main()
