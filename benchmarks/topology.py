"""Benchmark of every topology measure on a 784-1000-1000-1000-10 MLP mask.

Masks are uniformly random at 90% sparsity (exactly 10% of each layer's
entries, seeded). Each measure runs on the whole network (per-layer measures
loop over all four layers, as a checkpoint pass would) `--repeats` times; the
table reports the median wall-clock seconds and the median CPU seconds (process
time, all threads). BLAS runs single-threaded by default so that CPU seconds
are one core's seconds; pass `--threads N` to change that.

Goal: NNSTD of two such networks < 1 s, every measure < 1 s.

Usage:
  python -m benchmarks.topology [--repeats 3] [--threads 1] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _parse() -> argparse.Namespace:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--repeats", type=int, default=3)
  p.add_argument("--threads", type=int, default=1)
  p.add_argument("--seed", type=int, default=0)
  p.add_argument("--density", type=float, default=0.1)
  return p.parse_args()


ARGS = _parse()
# Thread caps must be set before NumPy / SciPy load their BLAS.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
  os.environ[_var] = str(ARGS.threads)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from psn_jax import topology as T  # noqa: E402

WIDTHS = (784, 1000, 1000, 1000, 10)


def random_network(rng: np.random.Generator, density: float) -> list[np.ndarray]:
  """Uniformly random masks with exactly round(density * n_in * n_out) entries."""
  net = []
  for n_in, n_out in zip(WIDTHS[:-1], WIDTHS[1:]):
    flat = np.zeros(n_in * n_out, dtype=bool)
    flat[rng.choice(flat.size, round(density * flat.size), replace=False)] = True
    net.append(flat.reshape(n_in, n_out))
  return net


def _time(fn, repeats: int) -> tuple[float, float, object]:
  walls, cpus, out = [], [], None
  for _ in range(repeats):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    walls.append(time.perf_counter() - w0)
    cpus.append(time.process_time() - c0)
  return float(np.median(walls)), float(np.median(cpus)), out


def _fmt(x: object) -> str:
  if isinstance(x, T.NNSTDResult):
    return f"mean {x.mean:.4f}, d_l {np.round(x.per_layer, 4).tolist()}"
  if isinstance(x, T.ScatterResult):
    return (f"value {x.value:.4f}, net ({x.network[0]:.4f}, "
            f"{x.network[1]:.4f})")
  if isinstance(x, list) and x and isinstance(x[0], T.LayerDegrees):
    return "fan-in CV " + str([round(d.fan_in_cv, 3) for d in x])
  if isinstance(x, tuple):
    return "(" + ", ".join(f"{float(v):.4f}" for v in x) + ")"
  if isinstance(x, list):
    return str([round(float(v), 4) for v in x])
  if isinstance(x, np.ndarray):
    return f"{x.shape} off-diag mean {x[~np.eye(len(x), dtype=bool)].mean():.4f}"
  if isinstance(x, dict):
    return f"{len(x)} keys"
  return f"{float(x):.4f}"


def main() -> None:
  rng = np.random.default_rng(ARGS.seed)
  a = random_network(rng, ARGS.density)
  b = random_network(rng, ARGS.density)
  c = random_network(rng, ARGS.density)
  every = lambda f: (lambda: [f(m) for m in a])  # noqa: E731
  w_img = T.windows_2d((28, 28), (4, 4))
  w_hid = T.windows_1d(1000, 8)
  cases = [
      ("degree_stats(net)", lambda: T.degree_stats(a)),
      ("nnstd(a, b)", lambda: T.nnstd(a, b)),
      ("nnstd_matrix(3 nets), 6 pairs", lambda: T.nnstd_matrix([a, b, c])),
      ("junction_scatter(layer 0)", lambda: T.junction_scatter(a[0], w_img,
                                                               w_hid)),
      ("network_scatter(net)", lambda: T.network_scatter(a)),
      ("spectral_gap raw x4", every(lambda m: T.spectral_gap(m))),
      ("spectral_gap normalized x4",
       every(lambda m: T.spectral_gap(m, kind="normalized"))),
      ("spectral_gap ramanujan x4",
       every(lambda m: T.spectral_gap(m, kind="ramanujan"))),
      ("algebraic_connectivity x4", every(T.algebraic_connectivity)),
      ("algebraic_conn. normalized x4",
       every(lambda m: T.algebraic_connectivity(m, normalized=True))),
      ("algebraic_conn. drop_isolated x4",
       every(lambda m: T.algebraic_connectivity(m, drop_isolated=True))),
      ("isolated_vertices x4", every(T.isolated_vertices)),
      ("network_spectral_gap raw", lambda: T.network_spectral_gap(a)),
      ("network_spectral_gap normalized",
       lambda: T.network_spectral_gap(a, kind="normalized")),
      ("network_algebraic_connectivity",
       lambda: T.network_algebraic_connectivity(a)),
      ("network_alg_conn. normalized",
       lambda: T.network_algebraic_connectivity(a, normalized=True)),
      ("summary(net)", lambda: T.summary(a)),
  ]
  print(f"784-1000-1000-1000-10, density {ARGS.density}, seed {ARGS.seed}, "
        f"BLAS threads {ARGS.threads}, median of {ARGS.repeats}")
  head = f"{'measure':34s} {'wall s':>8s} {'cpu s':>8s}  value"
  print(head)
  print("-" * len(head))
  for name, fn in cases:
    wall, cpu, out = _time(fn, ARGS.repeats)
    print(f"{name:34s} {wall:8.3f} {cpu:8.3f}  {_fmt(out)}")


if __name__ == "__main__":
  main()
