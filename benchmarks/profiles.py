"""Time `profiles.fan_ins` for a 1000-neuron layer (speed lives here, not in tests).

  python -m benchmarks.profiles

Prints the best of 3 wall-clock times per family and CV.
"""

from __future__ import annotations

import time

import jax

from psn_jax import profiles


def main() -> None:
  print(f"{'family':<12} {'cv':>4} {'best of 3 (ms)':>15}")
  for family, cv in (("exponential", 2.5), ("lognormal", 1.2),
                     ("sigmoid", 0.9), ("cosine", 0.4)):
    best = float("inf")
    for _ in range(3):
      start = time.perf_counter()
      profiles.fan_ins(family, 1000, 784, 0.1, cv, key=jax.random.key(0))
      best = min(best, time.perf_counter() - start)
    print(f"{family:<12} {cv:>4} {1000 * best:>15.2f}")


if __name__ == "__main__":
  main()
