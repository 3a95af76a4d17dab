"""Tests for psn_jax.morse: the Dey et al. (2018) Morse dataset generator."""

from __future__ import annotations

import numpy as np
import pytest

from psn_jax import morse

# International Morse code for letters and digits, written out by hand.
_ITU = {
  "A": ".-", "B": "-...", "C": "-.-.", "D": "-..", "E": ".", "F": "..-.",
  "G": "--.", "H": "....", "I": "..", "J": ".---", "K": "-.-", "L": ".-..",
  "M": "--", "N": "-.", "O": "---", "P": ".--.", "Q": "--.-", "R": ".-.",
  "S": "...", "T": "-", "U": "..-", "V": "...-", "W": ".--", "X": "-..-",
  "Y": "-.--", "Z": "--..", "0": "-----", "1": ".----", "2": "..---",
  "3": "...--", "4": "....-", "5": ".....", "6": "-....", "7": "--...",
  "8": "---..", "9": "----.",
}


def _runs(frame: np.ndarray) -> tuple[int, list[int], list[int]]:
  """Leading zeros, lengths of the nonzero runs, lengths of the inner gaps."""
  nz = np.flatnonzero(frame > 0)
  lead = int(nz[0])
  marks, gaps, length = [], [], 1
  for prev, cur in zip(nz[:-1], nz[1:]):
    if cur == prev + 1:
      length += 1
    else:
      marks.append(length)
      gaps.append(int(cur - prev - 1))
      length = 1
  marks.append(length)
  return lead, marks, gaps


def test_codebook():
  assert len(morse.CODEBOOK) == morse.NUM_CLASSES == 64
  names = [s for s, _ in morse.CODEBOOK]
  assert len(set(names)) == 64
  table = dict(morse.CODEBOOK)
  for symbol, code in _ITU.items():
    assert table[symbol] == code, symbol
  assert table["?"] == "..--.." and table["/"] == "-..-." and table["@"] == ".--.-."
  # The authors' codebook maps "H^" and "(" to one codeword; all else distinct.
  codes = [c for _, c in morse.CODEBOOK]
  dup = {c for c in codes if codes.count(c) > 1}
  assert dup == {"-.--."}
  assert {s for s, c in morse.CODEBOOK if c in dup} == {"H^", "("}
  # Longest possible codeword fits the frame: 4 dashes of 9, 2 dots of 3, 5 gaps.
  worst = max(c.count("-") * 9 + c.count(".") * 3 + (len(c) - 1) * 3 for c in codes)
  assert worst == 57 <= morse.FRAME_LEN


def test_shapes_balance_range():
  d = morse.generate(seed=1, sizes=(7, 3, 0))
  assert set(d) == {"train", "validation", "test"}
  for split, size in (("train", 7), ("validation", 3), ("test", 0)):
    x, y = d[split]
    assert x.shape == (64 * size, 64) and y.shape == (64 * size,)
    assert x.dtype == np.float32 and y.dtype == np.int32
    if size:
      np.testing.assert_array_equal(np.bincount(y, minlength=64), np.full(64, size))
      assert x.min() == 0.0 and x.max() <= 1.0
      np.testing.assert_allclose(x * 1000, np.round(x * 1000), atol=1e-3)
      assert not np.all(np.diff(y) >= 0)  # shuffled, not class-sorted


def test_determinism_and_split_independence():
  a = morse.generate(seed=5, sizes=(3, 2, 2))
  b = morse.generate(seed=5, sizes=(3, 2, 2))
  c = morse.generate(seed=6, sizes=(3, 2, 2))
  only_test = morse.generate(seed=5, sizes=(0, 0, 2))
  for split in a:
    np.testing.assert_array_equal(a[split][0], b[split][0])
    np.testing.assert_array_equal(a[split][1], b[split][1])
    assert not np.array_equal(a[split][0], c[split][0])
  np.testing.assert_array_equal(a["test"][0], only_test["test"][0])
  assert not np.array_equal(a["validation"][0], a["test"][0])


def test_baseline_frames_decode():
  x, y = morse.generate(seed=2, sizes=(30, 0, 0))["train"]
  seen_dot, seen_dash, seen_gap = set(), set(), set()
  for frame, label in zip(x, y):
    lead, marks, gaps = _runs(frame)
    assert lead == 0  # no leading spaces in the baseline
    code = "".join("." if m <= 3 else "-" for m in marks)
    assert code == morse.CODEBOOK[label][1]
    seen_dot.update(m for m in marks if m <= 3)
    seen_dash.update(m for m in marks if m > 3)
    seen_gap.update(gaps)
    # Noise-free: exactly zero outside the marks and trailing after the last.
    end = lead + sum(marks) + sum(gaps)
    assert np.all(frame[end:] == 0)
  assert seen_dot == {1, 2, 3} and seen_dash == set(range(4, 10))
  assert seen_gap == {1, 2, 3}
  levels = x[x > 0] * morse.LEVELS  # symbol levels ~ N(12, 1.34^2)
  assert abs(levels.mean() - 12.0) < 0.05 and abs(levels.std() - 1.34) < 0.05


def test_difficult_variant(monkeypatch):
  base = morse.generate(seed=0, sizes=(20, 0, 0))["train"]
  hard = morse.generate(seed=0, difficult=True, sizes=(20, 0, 0))["train"]
  assert hard[0].shape == base[0].shape
  assert not np.array_equal(hard[0], base[0])
  # Values past 57 are always zero in the baseline; noise sd 4 fills about half.
  assert np.all(base[0][:, 57:] == 0)
  assert 0.3 < np.mean(hard[0][:, 57:] > 0) < 0.7
  # Without its noise, the difficult variant shows leading spaces and
  # dashes as short as 3.
  monkeypatch.setattr(morse, "DIFFICULT_NOISE_SD", 0.0)
  x, y = morse.generate(seed=0, difficult=True, sizes=(20, 0, 0))["train"]
  leads, dash_lens = [], set()
  for frame, label in zip(x, y):
    lead, marks, gaps = _runs(frame)
    code = morse.CODEBOOK[label][1]
    assert len(marks) == len(code) and set(gaps) <= {1, 2, 3}
    for m, c in zip(marks, code):
      assert (1 <= m <= 3) if c == "." else (3 <= m <= 9)
      if c == "-":
        dash_lens.add(m)
    assert lead + sum(marks) + sum(gaps) <= 64
    leads.append(lead)
  assert dash_lens == set(range(3, 10))
  assert np.mean(np.array(leads) > 0) > 0.8 and max(leads) > 30


@pytest.mark.parametrize("kwargs", [
  {"seed": -1}, {"seed": 1.5}, {"sizes": (1, 2)}, {"sizes": (1, -1, 1)},
  {"sizes": (1.0, 1, 1)},
])
def test_bad_arguments(kwargs):
  with pytest.raises(ValueError, match="seed must be|sizes must be"):
    morse.generate(**kwargs)


def test_sizes_give_the_frame_count():
  # 44,800 frames, a tenth of the full 448,000. Speed is measured by
  # `python -m benchmarks.morse`, not asserted here.
  d = morse.generate(seed=0, difficult=True, sizes=(500, 100, 100))
  assert sum(len(y) for _, y in d.values()) == 44_800
