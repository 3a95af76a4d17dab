"""Tests for psn_jax.plots on small synthetic data with the Agg backend."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from scipy import stats  # noqa: E402

from psn_jax import plots  # noqa: E402


def test_new_axes_is_agg_and_standalone():
  ax = plots.new_axes()
  assert isinstance(ax, Axes)
  assert isinstance(ax.figure.canvas, FigureCanvasAgg)


def test_new_figures_are_pyplot_figures_where_figures_are_shown():
  """In an interactive session (as in a notebook kernel) pyplot must track a
  new figure, or nothing displays it; elsewhere it stays standalone."""
  import matplotlib.pyplot as plt
  before = set(plt.get_fignums())
  standalone = plots.mask_image(np.eye(4, dtype=bool))
  assert set(plt.get_fignums()) == before
  with plt.ion():
    shown = plots.mask_image(np.eye(4, dtype=bool))
    fig = plots.fan_in_cv_trajectories({"Dense_0": np.ones((1, 2, 3))}, ["a"], 1)
  try:
    assert plt.fignum_exists(shown.figure.number)
    assert plt.fignum_exists(fig.number)
    assert standalone.figure not in map(plt.figure, plt.get_fignums())
  finally:
    plt.close(shown.figure)
    plt.close(fig)


def test_profile_curve():
  f = np.sort(np.random.default_rng(0).integers(1, 50, size=30))[::-1]
  ax = plots.profile_curve(f, label="a")
  assert isinstance(ax, Axes)
  (line,) = ax.lines
  np.testing.assert_array_equal(line.get_ydata(), f)
  np.testing.assert_array_equal(line.get_xdata(), np.arange(30))
  same = plots.profile_curve(f[:10], ax=ax, relative_position=True, label="b")
  assert same is ax and len(ax.lines) == 2
  assert ax.lines[1].get_xdata()[-1] == 1.0
  with pytest.raises(ValueError, match="fan_ins_sorted must be a 1-D array"):
    plots.profile_curve(np.ones((2, 2)))


def test_fan_in_histogram():
  f = np.array([1, 2, 2, 3, 3, 3, 7])
  ax = plots.fan_in_histogram(f)
  assert len(ax.patches) == 7  # one bin per integer value 1..7
  heights = [p.get_height() for p in ax.patches]
  assert heights == [1, 2, 3, 0, 0, 0, 1]
  ax = plots.fan_in_histogram(np.random.default_rng(0).normal(size=100), bins=5)
  assert len(ax.patches) == 5
  assert sum(p.get_height() for p in ax.patches) == 100


def test_overlaid_fan_in_histograms_share_bins_and_do_not_hide_each_other():
  # Issue 12: overlaid histograms used opaque bars and different bins.
  narrow = np.array([3, 4, 4, 5, 5, 5])
  wide = np.array([1, 2, 9, 9, 12])
  ax = plots.fan_in_histogram({"uniform": narrow, "lognormal": wide})
  edges = ax.fan_in_bin_edges
  np.testing.assert_array_equal(edges, np.arange(0.5, 13.0))  # 1..12, shared
  outlines = ax.patches
  assert len(outlines) == 2                                    # one per series
  for patch, values in zip(outlines, (narrow, wide)):
    assert not patch.get_fill()                                # step outline
    # The outline's top edge follows the counts on the shared bins.
    xy = patch.get_xy()
    counts, _ = np.histogram(values, edges)
    # Vertices run (e0, 0), (e0, c0), (e1, c0), (e1, c1), ...: the last
    # vertex at each left edge is that bin's count.
    tops = {round(x, 6): y for x, y in xy[:2 * len(counts)]}
    assert [tops[round(e, 6)] for e in edges[:-1]] == counts.tolist()
  assert outlines[0].get_edgecolor() != outlines[1].get_edgecolor()
  assert [t.get_text() for t in ax.get_legend().get_texts()] == ["uniform",
                                                                 "lognormal"]
  # Float fan-ins: 50 shared equal-width bins over both ranges.
  ax = plots.fan_in_histogram({"a": [0.5, 1.5], "b": [10.25, 3.0]})
  np.testing.assert_allclose(ax.fan_in_bin_edges, np.linspace(0.5, 10.25, 51))
  with pytest.raises(ValueError, match="at least one series"):
    plots.fan_in_histogram({})
  with pytest.raises(ValueError, match=r"fan_ins\['b'\] must be finite"):
    plots.fan_in_histogram({"a": [1, 2], "b": [np.nan]})


def test_fan_in_bins():
  np.testing.assert_array_equal(plots.fan_in_bins([2, 4]), [1.5, 2.5, 3.5, 4.5])
  np.testing.assert_array_equal(plots.fan_in_bins([[7, 7]]), [6.5, 7.5])
  np.testing.assert_allclose(plots.fan_in_bins([0, 1000]), np.linspace(0, 1000, 51))


def test_mask_image():
  mask = np.random.default_rng(0).random((12, 7)) < 0.3
  ax = plots.mask_image(mask)
  (image,) = ax.images
  np.testing.assert_array_equal(image.get_array(), mask)
  big = np.random.default_rng(1).random((784, 20)) < 0.1
  ax = plots.mask_image(big, fan_out_shape=(28, 28))
  (image,) = ax.images
  assert image.get_array().shape == (28, 28)
  np.testing.assert_array_equal(image.get_array(), big.sum(axis=1).reshape(28, 28))
  assert len(ax.figure.axes) == 2  # the map and its colour bar
  with pytest.raises(ValueError, match="fan_out_shape must be 2 integers .* n_in=784"):
    plots.mask_image(big, fan_out_shape=(28, 27))
  with pytest.raises(ValueError, match="mask must be a 2-D"):
    plots.mask_image(np.ones(5, bool))
  with pytest.raises(ValueError, match="mask must be a non-empty 2-D"):
    plots.mask_image(np.ones((0, 5), bool))
  with pytest.raises(ValueError, match="mask must be bool, or integers"):
    plots.mask_image(np.full((4, 5), 0.3))


def test_nnstd_heatmap():
  a = np.random.default_rng(0).random((4, 4))
  a = (a + a.T) / 2
  np.fill_diagonal(a, 0)
  ax = plots.nnstd_heatmap(a, labels=["a", "b", "c", "d"])
  (image,) = ax.images
  np.testing.assert_allclose(image.get_array(), a)
  assert len(ax.texts) == 16
  assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
  assert len(plots.nnstd_heatmap(np.zeros((20, 20))).texts) == 0  # not annotated
  with pytest.raises(ValueError, match="matrix must be a non-empty square"):
    plots.nnstd_heatmap(np.zeros((2, 3)))
  with pytest.raises(ValueError, match="labels must have k=4 entries"):
    plots.nnstd_heatmap(a, labels=["a"])


def _records(t=6, n_bins=5, cv=True):
  rng = np.random.default_rng(0)
  rec = {
    "hist": rng.integers(0, 20, size=(t, n_bins)),
    "bin_edges": np.linspace(0, 50, n_bins + 1),
    "steps": np.array([0, 100, 200, 400, 800, 1600])[:t],
  }
  if cv:
    rec["cv"] = np.linspace(0.1, 0.8, t)
  return rec


def test_fan_in_evolution():
  rec = _records()
  ax = plots.fan_in_evolution(rec)
  (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
  values = np.asarray(mesh.get_array())
  assert values.size == 6 * 5
  np.testing.assert_array_equal(values.reshape(5, 6), rec["hist"].T)
  (cv_line,) = ax.cv_axes.lines
  np.testing.assert_array_equal(cv_line.get_ydata(), rec["cv"])
  ax = plots.fan_in_evolution(_records(t=1, cv=False), log=True)
  assert not hasattr(ax, "cv_axes")
  bad = _records()
  del bad["hist"]
  with pytest.raises(ValueError, match="missing 'hist'"):
    plots.fan_in_evolution(bad)
  bad = _records()
  bad["bin_edges"] = bad["bin_edges"][:-1]
  with pytest.raises(ValueError, match="bin_edges"):
    plots.fan_in_evolution(bad)


def test_run_fan_in_evolution_draws_one_run_on_the_engine_bins():
  from psn_jax import tracking  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(1)
  hist = rng.integers(0, 9, size=(2, 3, 4, 8))       # [variant, seed, record, bin]
  cv = rng.random((2, 3, 4))
  steps = np.array([0, 10, 20, 40])
  ax = plots.run_fan_in_evolution({"fan_in_hist": hist, "fan_in_cv": cv}, steps,
                                  50, variant=1, seed=2, log=False)
  (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
  np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(8, 4),
                                hist[1, 2].T)
  np.testing.assert_array_equal(ax.cv_axes.lines[0].get_ydata(), cv[1, 2])
  edges = tracking.fan_in_histogram_edges(50, 8)
  np.testing.assert_allclose(ax.get_ylim(), (edges[0], edges[-1]))


def test_fan_in_cv_trajectories_seed_means_per_layer():
  rng = np.random.default_rng(2)
  cvs = {"Dense_1": rng.random((3, 2, 5)), "Dense_0": rng.random((3, 2, 5))}
  fig = plots.fan_in_cv_trajectories(cvs, ["u", "r", "l"], record_every=10)
  axes = fig.axes
  assert [ax.get_title() for ax in axes] == ["Dense_0", "Dense_1"]
  for ax in axes:
    lines = ax.get_lines()
    assert [l.get_label() for l in lines] == ["u", "r", "l"]
    for v, line in enumerate(lines):
      np.testing.assert_array_equal(line.get_xdata(), [0, 10, 20, 30, 40])
      np.testing.assert_allclose(line.get_ydata(),
                                 cvs[ax.get_title()][v].mean(axis=0))
  with pytest.raises(ValueError, match="shape"):
    plots.fan_in_cv_trajectories(cvs, ["u"], record_every=10)


def test_gradient_share_vs_fan_in():
  rng = np.random.default_rng(0)
  fan_in = rng.permutation(np.arange(1, 41))
  grad = fan_in.astype(float) ** 2
  ax = plots.gradient_share_vs_fan_in(fan_in, grad)
  others, hubs = ax.collections
  assert len(others.get_offsets()) == 36 and len(hubs.get_offsets()) == 4
  np.testing.assert_array_equal(np.sort(hubs.get_offsets()[:, 0]), [37, 38, 39, 40])
  share = (37**2 + 38**2 + 39**2 + 40**2) / np.sum(np.arange(1, 41) ** 2)
  assert f"{share:.1%} of gradient" in ax.get_legend().get_texts()[1].get_text()
  assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
  ax = plots.gradient_share_vs_fan_in(
    fan_in, grad, logx=True, logy=False, hub_fraction=0.25
  )
  assert len(ax.collections[1].get_offsets()) == 10
  assert ax.get_xscale() == "log"
  with pytest.raises(ValueError, match="grad_norm must be non-negative"):
    plots.gradient_share_vs_fan_in(fan_in, np.zeros(40))
  with pytest.raises(ValueError, match="same shape"):
    plots.gradient_share_vs_fan_in(fan_in, grad[:5])


def test_accuracy_vs_measure():
  rng = np.random.default_rng(0)
  measure = np.linspace(0, 1, 6)
  acc = 0.9 + 0.05 * measure[:, None] + 0.01 * rng.normal(size=(6, 4))
  ax = plots.accuracy_vs_measure(measure, acc, labels=list("abcdef"))
  (container,) = ax.containers
  assert isinstance(container, ErrorbarContainer)
  data_line = container.lines[0]
  np.testing.assert_allclose(data_line.get_ydata(), acc.mean(axis=1))
  (bars,) = container.lines[2]
  spans = np.array([seg[1, 1] - seg[0, 1] for seg in bars.get_segments()])
  np.testing.assert_allclose(spans, 2 * acc.std(axis=1, ddof=1))
  r, p = stats.pearsonr(measure, acc.mean(axis=1))
  assert ax.get_title().startswith(f"Pearson r = {r:.3f}")
  assert ax.pearson_r == pytest.approx(r)
  assert [t.get_text() for t in ax.texts] == list("abcdef")
  ax = plots.accuracy_vs_measure(measure, acc[:, 0])  # 1-D: no error bars
  (container,) = ax.containers
  assert container.has_yerr is False
  ax = plots.accuracy_vs_measure(measure, np.full(6, 0.9))
  assert np.isnan(ax.pearson_r) and "nan" in ax.get_title()
  with pytest.raises(ValueError, match="accuracy must have shape"):
    plots.accuracy_vs_measure(measure, acc[:3])


def test_save_writes_png_atomically(tmp_path):
  ax = plots.profile_curve(np.arange(10))
  path = tmp_path / "sub" / "curve.png"
  plots.save(ax.figure, path)
  data = path.read_bytes()
  assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 100
  plots.save(ax, path)  # an Axes works too, and overwrites
  assert path.read_bytes().startswith(b"\x89PNG")
  assert os.listdir(path.parent) == ["curve.png"]  # no temporary file left
  with pytest.raises(ValueError):
    plots.save(ax.figure, tmp_path / "x.notaformat")
  assert os.listdir(tmp_path) == ["sub"]  # failure leaves nothing behind
  with pytest.raises(ValueError, match="fig must be a matplotlib Figure or Axes"):
    plots.save("figure", tmp_path / "y.png")


def test_save_follows_the_suffix_and_the_umask(tmp_path):
  ax = plots.profile_curve(np.arange(10))
  old = os.umask(0o027)
  try:
    plots.save(ax, tmp_path / "c.svg")
    plots.save(ax, tmp_path / "c")                     # no suffix: png
  finally:
    os.umask(old)
  assert b"<svg" in (tmp_path / "c.svg").read_bytes()[:400]
  assert (tmp_path / "c").read_bytes().startswith(b"\x89PNG")
  for name in ("c.svg", "c"):                          # not mkstemp's 0o600
    assert (tmp_path / name).stat().st_mode & 0o777 == 0o640
