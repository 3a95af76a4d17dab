"""The notebooks run top to bottom, headless, with their small CPU settings.

Each notebook is executed with nbclient in `notebooks/` (as Colab and Jupyter
run it), with the inline backend Jupyter and Colab use; a cell that raises
fails the test, and every plotting cell must display an image (a figure that
pyplot does not track is never shown there). MNIST comes from
`$PSN_DATA_DIR` (skipped when unset), also given as the README's relative
path. The notebooks are stored without outputs, and the Colab set-up cell
stops with an instruction, not a traceback, while `REPO_URL` is unset.
"""

from __future__ import annotations

import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
DATA_DIR = os.environ.get("PSN_DATA_DIR")
nbformat = pytest.importorskip("nbformat")
needs_data = pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="PSN_DATA_DIR with mnist/ is not set")

INLINE = "module://matplotlib_inline.backend_inline"
# A cell that draws: calls a psn_jax.plots function or pyplot.
PLOTTING = re.compile(r"\bplots\.\w+\(|\bplt\.\w+\(")


def test_there_are_four_numbered_notebooks():
  names = [os.path.basename(p) for p in NOTEBOOKS]
  assert names == ["01_quickstart.ipynb", "02_rigl_equilibrium.ipynb",
                   "03_topology_toolkit.ipynb", "04_your_model.ipynb"]


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
  # One variable to set, at the top; no placeholder left in a link or a cell.
  assert re.search(r'^REPO_URL = ""$', first, re.M), first
  assert "<org>" not in open(path).read()


def _execute(nb, monkeypatch, env: dict, allow_errors: bool = False):
  """Runs `nb` in a kernel started in notebooks/ with `env` set (the kernel
  inherits this process's environment)."""
  nbclient = pytest.importorskip("nbclient")
  pytest.importorskip("matplotlib_inline")
  for k, v in env.items():
    monkeypatch.setenv(k, v)
  client = nbclient.NotebookClient(
      nb, timeout=600, kernel_name="python3", allow_errors=allow_errors,
      resources={"metadata": {"path": os.path.join(ROOT, "notebooks")}})
  client.execute()  # raises CellExecutionError on a failing cell
  return nb


@needs_data
@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_runs_top_to_bottom_and_every_plot_is_shown(path, monkeypatch):
  nb = nbformat.read(path, as_version=4)
  _execute(nb, monkeypatch, {"PSN_DATA_DIR": os.path.abspath(DATA_DIR),
                "MPLBACKEND": INLINE})
  code = [c for c in nb.cells if c.cell_type == "code"]
  assert not [o for c in code for o in c.outputs if o.output_type == "error"]
  plotting = [c for c in code if PLOTTING.search(c.source)]
  assert plotting, path
  for cell in plotting:
    images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
    assert images, f"{os.path.basename(path)}: no figure shown by\n{cell.source}"


@needs_data
def test_readme_relative_data_dir_works_from_notebooks_folder(monkeypatch):
  """`export PSN_DATA_DIR=../shared/data` is relative to the repository
  root (the README's set-up); the kernel runs in notebooks/."""
  relative = os.path.relpath(os.path.abspath(DATA_DIR), ROOT)
  if os.path.isabs(relative) or not relative.startswith(".."):
    pytest.skip(f"PSN_DATA_DIR {DATA_DIR} is not beside the repository")
  nb = nbformat.read(NOTEBOOKS[0], as_version=4)
  nb.cells = nb.cells[:4]  # set-up, parameters, the data loading cell
  assert "data.load(" in nb.cells[3].source
  _execute(nb, monkeypatch, {"PSN_DATA_DIR": relative, "MPLBACKEND": INLINE})
  out = "".join(o.get("text", "") for o in nb.cells[3].outputs)
  assert "MNIST subset: 6000 train" in out, out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_colab_setup_without_repo_url_stops_with_an_instruction(path,
                                                               monkeypatch):
  nb = nbformat.read(path, as_version=4)
  fake_colab = nbformat.v4.new_code_cell(
      "import sys, types\nsys.modules['google.colab'] = "
      "types.ModuleType('google.colab')")
  nb.cells = [fake_colab, nb.cells[1]]
  _execute(nb, monkeypatch, {"MPLBACKEND": INLINE}, allow_errors=True)
  error, = [o for o in nb.cells[1].outputs if o.output_type == "error"]
  assert error.ename == "SetupError"
  shown = "\n".join(error.traceback)
  assert "REPO_URL" in shown and "set it" in shown
  assert "Traceback" not in shown and "File " not in shown, shown
  assert len(error.traceback) == 1
