"""The notebooks run top to bottom, headless, with their small CPU settings.

Each notebook is executed with nbclient in `notebooks/` (as Colab and Jupyter
run it); a cell that raises fails the test. MNIST comes from `$PSN_DATA_DIR`
(skipped when unset). The notebooks are stored without outputs.
"""

from __future__ import annotations

import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
DATA_DIR = os.environ.get("PSN_DATA_DIR")
nbformat = pytest.importorskip("nbformat")


def test_there_are_three_numbered_notebooks():
  names = [os.path.basename(p) for p in NOTEBOOKS]
  assert names == ["01_quickstart.ipynb", "02_rigl_equilibrium.ipynb",
                   "03_topology_toolkit.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_stored_without_outputs(path):
  nb = nbformat.read(path, as_version=4)
  nbformat.validate(nb)
  for cell in nb.cells:
    if cell.cell_type == "code":
      assert cell.outputs == [] and cell.execution_count is None, path
  first = nb.cells[1].source
  assert 'if "google.colab" in sys.modules' in first and "pip" in first
  assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)


@pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="PSN_DATA_DIR with mnist/ is not set")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_runs_top_to_bottom(path, monkeypatch):
  nbclient = pytest.importorskip("nbclient")
  monkeypatch.setenv("PSN_DATA_DIR", os.path.abspath(DATA_DIR))
  monkeypatch.setenv("MPLBACKEND", "Agg")
  nb = nbformat.read(path, as_version=4)
  client = nbclient.NotebookClient(
      nb, timeout=600, kernel_name="python3",
      resources={"metadata": {"path": os.path.dirname(path)}})
  client.execute()  # raises CellExecutionError on the first failing cell
  errors = [o for c in nb.cells if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"]
  assert not errors
