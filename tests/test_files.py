"""Files psn-jax writes get the mode a plain `open` gives (0o666 minus the
umask), not tempfile's 0o600."""

from __future__ import annotations

import os
import stat

import pytest

from psn_jax import utils


@pytest.fixture
def umask():
  old = os.umask(0o022)
  os.umask(old)

  def set_umask(mask):
    os.umask(mask)
  yield set_umask
  os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664),
                                        (0o077, 0o600), (0o000, 0o666)])
@pytest.mark.parametrize("writer", ["text", "json", "bytes"])
def test_atomic_writes_respect_the_umask(tmp_path, umask, mask, mode, writer):
  umask(mask)
  path = tmp_path / "sub" / "out"
  if writer == "text":
    utils.write_text_atomic(path, "hello\n")
  elif writer == "json":
    utils.write_json_atomic(path, {"a": [1, 2]})
  else:
    utils.write_bytes_atomic(path, b"\x00\x01")
  assert stat.S_IMODE(os.stat(path).st_mode) == mode
  assert [p.name for p in path.parent.iterdir()] == ["out"]  # no temp left


def test_atomic_write_replaces_and_keeps_content(tmp_path):
  path = tmp_path / "f.json"
  utils.write_json_atomic(path, {"x": 1})
  utils.write_json_atomic(path, {"x": 2})
  assert path.read_text().replace(" ", "").replace("\n", "") == '{"x":2}'
