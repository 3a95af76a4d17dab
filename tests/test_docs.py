"""The API reference builds from the docstrings with pdoc, without a warning,
and covers every module; the README explains the measures and how to cite."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_api_reference_builds_without_warnings(tmp_path):
  pytest.importorskip("pdoc")
  out = subprocess.run([sys.executable, os.path.join(ROOT, "docs", "build_api.py"),
                        str(tmp_path)], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
  assert out.returncode == 0, out.stderr[-3000:]
  assert "warning" not in out.stderr.lower(), out.stderr[-3000:]
  import psn_jax
  modules = [m.name for m in pkgutil.iter_modules(psn_jax.__path__)
             if not m.name.startswith("_")]
  assert {"config", "masks", "train", "topology"} <= set(modules)
  for name in modules:
    page = tmp_path / "psn_jax" / f"{name}.html"
    assert page.is_file(), name
  config_page = (tmp_path / "psn_jax" / "config.html").read_text()
  assert "get_config" in config_page and "validate" in config_page


def test_readme_explains_the_measures_and_citations():
  readme = open(os.path.join(ROOT, "README.md")).read()
  for term in ("ERK", "NNSTD", "scatter", "lambda_2", "PSN_DATA_DIR",
               "--data_dir", "Colab", "REPO_URL", "## Cite"):
    assert term in readme, term
  assert "<org>" not in readme  # a placeholder link opens nothing
  for paper in ("Evci", "Liu", "Dey", "Bourely", "Tomczak"):
    assert paper in readme, paper
  for nb in ("01_quickstart", "02_rigl_equilibrium", "03_topology_toolkit"):
    assert f"notebooks/{nb}.ipynb" in readme, nb
