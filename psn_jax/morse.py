"""The Morse code symbol dataset of Dey, Chugg and Beerel (2018), generated here.

Dey, S., Chugg, K. M. and Beerel, P. A., "Morse Code Datasets for Machine
Learning", ICCCNT 2018 (arXiv:1807.04239); the authors' generator is
`generate_morse_dataset.py` in the repository `souryadey/morse-dataset`. Dey et
al.'s predefined-sparsity papers (arXiv:1711.02131, 1812.01164) train on it.
This module restates that generator's algorithm (the "GRAY" style of the
version that made the released `baseline.npz` and `difficult.npz`), vectorised
over samples:

1. A frame is 64 values. Each class is a Morse codeword from the authors'
   codebook of 64 symbols (`CODEBOOK`: 26 letters, 10 digits, 16 punctuation
   marks, and 12 accented letters and digraphs spelled as the authors spell
   them, e.g. "U.." for U-umlaut, "CH").
2. Each dot is a run of 1 to 3 values, each dash a run of 4 to 9 values, and
   consecutive dots / dashes are separated by a gap of 1 to 3 zeros; every
   length is drawn uniformly and independently. There is no gap after the
   last element. The longest codeword needs at most 57 values, so it always
   fits.
3. Every value inside a dot or dash is an independent level
   N(12, 1.34^2) (symbol mean and standard deviation on a 16-level scale).
4. The codeword starts at value 0 (baseline) or after a number of leading
   zeros drawn uniformly from 0 to the number of spare values (difficult);
   the rest of the frame is trailing zeros.
5. Additive Gaussian noise N(0, sd^2) is added to all 64 values: sd 0 in the
   baseline (so its frames are noise-free apart from the symbol levels), sd 4
   in the difficult variant.
6. Values are clipped to [0, 16], divided by 16 and rounded to 3 decimals, so
   x lies in [0, 1]. (The authors' first version rounded to integer levels
   before dividing and used noise sd 1; the released version, followed here,
   rounds after dividing and uses sd 0.)
7. The difficult variant is the authors' `difficult.npz` recipe: noise sd 4,
   random leading spaces, and a minimum dash length of 3 (so dashes of 3
   values can be confused with dots).
8. Each split holds the same number of samples of every class (the authors'
   default 5000 / 1000 / 1000 per class for train / validation / test), and
   each split is shuffled.

Choices made here where the authors' code does not carry over:

* Class `k` is the `k`-th entry of the authors' `Codebook.npy` in its stored
  order (a Python 2 dict order), so labels match their released files.
  Note that in that codebook "H^" (H-circumflex) and "(" share the codeword
  "-.--.": those two classes are indistinguishable, as in the original data.
* Randomness: a NumPy `Generator` (PCG64) per split, from
  `np.random.SeedSequence([seed, difficult]).spawn(3)` (train, validation,
  test). A split therefore does not depend on the sizes of the other splits,
  and the same seed reproduces the same arrays; the values are not those of
  the authors' legacy `np.random` stream.
* Labels are int32 class indices rather than the authors' one-hot float rows;
  x is float32.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FRAME_LEN = 64
NUM_CLASSES = 64
SPLITS = ("train", "validation", "test")
DEFAULT_SIZES = (5000, 1000, 1000)

LEVELS = 16.0
SYMBOL_MEAN = 12.0
SYMBOL_SD = 1.34
DOT_LEN = (1, 3)
DASH_LEN = (4, 9)
DIFFICULT_DASH_LEN = (3, 9)
GAP_LEN = (1, 3)
DIFFICULT_NOISE_SD = 4.0

# (symbol, codeword) in the stored order of the authors' Codebook.npy.
CODEBOOK: tuple[tuple[str, str], ...] = (
  ("J^", ".---."), ("H^", "-.--."), ("N~", "--.--"), ("CH", "----"),
  ("G^", "--.-."), ("!", "-.-.--"), ('"', ".-..-."), ("'", ".----."),
  ("C,", "-.-.."), (")", "-.--.-"), ("(", "-.--."), ("+", ".-.-."),
  ("-", "-....-"), (",", "--..--"), ("/", "-..-."), (".", ".-.-.-"),
  ("1", ".----"), ("0", "-----"), ("3", "...--"), ("2", "..---"),
  ("5", "....."), ("4", "....-"), ("7", "--..."), ("6", "-...."),
  ("9", "----."), ("8", "---.."), (";", "-.-.-."), (":", "---..."),
  ("=", "-...-"), ("?", "..--.."), ("A", ".-"), ("@", ".--.-."),
  ("C", "-.-."), ("B", "-..."), ("E", "."), ("D", "-.."),
  ("G", "--."), ("F", "..-."), ("I", ".."), ("H", "...."),
  ("K", "-.-"), ("J", ".---"), ("M", "--"), ("L", ".-.."),
  ("O", "---"), ("N", "-."), ("Q", "--.-"), ("S", "..."),
  ("U", "..-"), ("T", "-"), ("W", ".--"), ("V", "...-"),
  ("Y", "-.--"), ("X", "-..-"), ("Z", "--.."), ("_", "..--.-"),
  ("U..", "..--"), ("D-", "..--."), ("O..", "---."), ("S^", "...-."),
  ("P", ".--."), ("A..", ".-.-"), ("E`", "..-.."), ("R", ".-."),
)

_MAX_ELEMENTS = max(len(code) for _, code in CODEBOOK)
# Per class: element kinds padded with 0 (1 = dot, 2 = dash), and lengths.
_KINDS = np.array(
  [[{".": 1, "-": 2}[c] for c in code] + [0] * (_MAX_ELEMENTS - len(code))
   for _, code in CODEBOOK],
  dtype=np.int8,
)
_NUM_ELEMENTS = np.array([len(code) for _, code in CODEBOOK], dtype=np.int64)


def generate(
  seed: int = 0,
  difficult: bool = False,
  sizes: Sequence[int] = DEFAULT_SIZES,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  """Generates the Morse dataset (Dey, Chugg and Beerel 2018; see the module).

  Args:
    seed: non-negative integer; the same seed gives the same arrays.
    difficult: the authors' difficult variant (noise sd 4, random leading
      spaces, dashes 3 to 9 values long) instead of the baseline.
    sizes: samples per class in (train, validation, test); a size may be 0.

  Returns:
    `{"train": (x, y), "validation": (x, y), "test": (x, y)}` with x float32
    `(64 * size, 64)` in [0, 1] and y int32 `(64 * size,)` in [0, 64), each
    class appearing exactly `size` times, in shuffled order.

  Raises:
    ValueError: seed negative, or sizes not three non-negative integers.
  """
  if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
    raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
  sizes = tuple(sizes)
  if len(sizes) != 3 or any(
    isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0
    for s in sizes
  ):
    raise ValueError(
      f"sizes must be three non-negative integers (train, validation, test), "
      f"got {sizes!r}"
    )
  seeds = np.random.SeedSequence([int(seed), int(bool(difficult))]).spawn(3)
  return {
    split: _generate_split(np.random.default_rng(s), int(n), bool(difficult))
    for split, s, n in zip(SPLITS, seeds, sizes)
  }


def _generate_split(
  rng: np.random.Generator, per_class: int, difficult: bool
) -> tuple[np.ndarray, np.ndarray]:
  """One split: `per_class` frames of every class, shuffled (module steps 1-8)."""
  labels = np.repeat(np.arange(NUM_CLASSES, dtype=np.int32), per_class)
  n = labels.size
  kinds = _KINDS[labels]  # (n, E)
  n_elem = _NUM_ELEMENTS[labels]  # (n,)
  dash_lo, dash_hi = DIFFICULT_DASH_LEN if difficult else DASH_LEN

  # Step 2: run lengths of every element and of the gaps between them.
  dot_len = rng.integers(DOT_LEN[0], DOT_LEN[1] + 1, size=kinds.shape)
  dash_len = rng.integers(dash_lo, dash_hi + 1, size=kinds.shape)
  mark_len = np.where(kinds == 2, dash_len, np.where(kinds == 1, dot_len, 0))
  gap_len = rng.integers(GAP_LEN[0], GAP_LEN[1] + 1, size=kinds.shape)
  slot = np.arange(_MAX_ELEMENTS)
  gap_len = np.where(slot[None, :] < n_elem[:, None] - 1, gap_len, 0)
  period = mark_len + gap_len
  starts = np.cumsum(period, axis=1) - period
  total = period.sum(axis=1)
  if np.any(total > FRAME_LEN):  # cannot happen with the lengths above
    raise AssertionError("a codeword does not fit in the frame")

  # Step 4: leading spaces.
  if difficult:
    lead = rng.integers(0, FRAME_LEN - total + 1)
  else:
    lead = np.zeros(n, dtype=np.int64)
  starts = starts + lead[:, None]
  ends = starts + mark_len

  # Marks as a difference array: +1 where a dot / dash starts, -1 one past its
  # end. Starts and ends of one frame are all distinct (gaps are >= 1 long).
  diff = np.zeros((n, FRAME_LEN + 1), dtype=np.int8)
  rows, cols = np.nonzero(kinds > 0)
  diff[rows, starts[rows, cols]] = 1
  diff[rows, ends[rows, cols]] = -1
  is_mark = np.cumsum(diff[:, :FRAME_LEN], axis=1, dtype=np.int8) > 0

  # Steps 3, 5, 6: levels, noise, clipping and scaling.
  levels = rng.standard_normal((n, FRAME_LEN), dtype=np.float32)
  x = np.where(is_mark, np.float32(SYMBOL_MEAN) + np.float32(SYMBOL_SD) * levels, 0)
  x = x.astype(np.float32)
  if difficult:
    x += np.float32(DIFFICULT_NOISE_SD) * rng.standard_normal(
      (n, FRAME_LEN), dtype=np.float32
    )
  np.clip(x, 0.0, LEVELS, out=x)
  x /= np.float32(LEVELS)
  x = np.round(x, 3).astype(np.float32)

  # Step 8: shuffle the split.
  order = rng.permutation(n)
  return x[order], labels[order]
