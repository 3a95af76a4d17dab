"""Sparse execution (psn_jax.sparse_exec, psn_jax.sparse_timing): the gather
and BCOO layouts compute the masked dense model's logits on every mask
source; layouts, byte and FLOP counts against hand tables."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psn_jax import masks as masks_lib
from psn_jax import models
from psn_jax import sparse_exec as se
from psn_jax import sparse_timing

N_IN, HIDDEN, CLASSES = 16, (16, 8), 4


def _params(seed: int = 0):
  model = models.MLP(hidden=HIDDEN, num_classes=CLASSES)
  params = model.init(jax.random.PRNGKey(seed), jnp.zeros((1, N_IN)))["params"]
  # Non-zero biases, so that a dropped bias would show.
  return model, jax.tree.map(lambda p: p + 0.1 if p.ndim == 1 else p, params)


def _source_masks(params, source):
  takes_cv = masks_lib.SOURCES[source].takes_cv and source != "uniform"
  for sparsity in (0.75, 0.5, 0.875):
    try:
      return masks_lib.make_masks(jax.random.PRNGKey(3), params,
                                  sparsity=sparsity, distribution="uniform",
                                  profile=source, cv=0.5 if takes_cv else None,
                                  dense_last=True)
    except ValueError:
      continue
  return None


def test_every_mask_source_equals_masked_dense():
  model, params = _params()
  x = jax.random.normal(jax.random.PRNGKey(1), (5, N_IN))
  fwd, masked = jax.jit(se.forward), jax.jit(se.masked_forward)
  built = 0
  for source in masks_lib.SOURCES:
    m = _source_masks(params, source)
    if m is None:
      continue
    built += 1
    ref = masked(params, m, x)
    if built == 1:   # the engine's model itself, once
      np.testing.assert_allclose(
          jax.jit(model.apply)({"params": masks_lib.apply_masks(params, m)},
                               x), ref, rtol=1e-6, atol=1e-6)
    for layout in ("gather", "bcoo"):
      # K padded to n_in: every source's gather net has one shape (one
      # compiled program); the layout stores the masked kernel exactly.
      net = se.compile_mlp(params, m, layout, fan_in_width=N_IN)
      sparse_layer = net.layers[0]
      dense0 = np.where(m["Dense_0"]["kernel"], params["Dense_0"]["kernel"], 0)
      if layout == "gather":
        back = np.zeros_like(dense0)
        np.add.at(back, (np.asarray(sparse_layer.idx),
                         np.arange(dense0.shape[1])[:, None]),
                  np.asarray(sparse_layer.w))
      else:
        back = np.asarray(sparse_layer.matrix.todense())
      np.testing.assert_array_equal(back, dense0, err_msg=source)
      np.testing.assert_allclose(fwd(net, x), ref, rtol=1e-5,
                                 atol=1e-5, err_msg=f"{source} {layout}")
  assert built == len(masks_lib.SOURCES), built


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 16), density=st.sampled_from(
    [0.0, 0.05, 0.3, 0.9, 1.0]), n_in=st.integers(1, 9),
       n_out=st.integers(1, 9))
def test_gather_layout_stores_any_masked_kernel_exactly(seed, density, n_in,
                                                        n_out):
  """Property: any mask (empty columns, empty and full layers): scattering
  the layout back gives the masked kernel bitwise; padding weighs 0."""
  rng = np.random.default_rng(seed)
  kernel = rng.standard_normal((n_in, n_out)).astype(np.float32)
  mask = rng.random((n_in, n_out)) < density
  idx, w = se.gather_layout(kernel, mask)
  assert idx.shape == w.shape == (n_out, max(1, mask.sum(0).max()))
  back = np.zeros_like(kernel)
  np.add.at(back, (idx, np.arange(n_out)[:, None]), w)
  np.testing.assert_array_equal(back, np.where(mask, kernel, 0))
  assert (w[np.arange(w.shape[1])[None, :] >= mask.sum(0)[:, None]] == 0).all()


def test_empty_and_full_layers_forward():
  _, params = _params()
  x = jax.random.normal(jax.random.PRNGKey(4), (3, N_IN))
  for first in (False, True):       # a layer with no connection / all
    m = jax.tree.map(lambda p: np.full(p.shape, True), params)
    m["Dense_0"]["kernel"] = np.full((N_IN, HIDDEN[0]), first)
    m["Dense_1"]["kernel"] = np.eye(*m["Dense_1"]["kernel"].shape, dtype=bool)
    ref = jax.jit(se.masked_forward)(params, m, x)   # = model.apply (above)
    for layout in ("gather", "bcoo"):
      out = jax.jit(se.forward)(se.compile_mlp(params, m, layout), x)
      np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_chunked_batches_equal_one_batch(monkeypatch):
  _, params = _params()
  m = _source_masks(params, "lognormal")
  x = jax.random.normal(jax.random.PRNGKey(2), (13, N_IN))
  for layout in ("gather", "bcoo"):
    net = se.compile_mlp(params, m, layout)
    whole = jax.jit(se.forward)(net, x)
    monkeypatch.setattr(se, "CHUNK_ELEMENTS", 70)   # a few examples a chunk
    np.testing.assert_allclose(jax.jit(se.forward)(net, x), whole, rtol=1e-6,
                               atol=1e-6)
    monkeypatch.undo()


def test_gather_layout_hand_table():
  kernel = np.arange(12, dtype=np.float32).reshape(4, 3)
  mask = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 1], [1, 0, 0]], bool)
  idx, w = se.gather_layout(kernel, mask)
  # fan-ins 3, 0, 2 -> K = 3; active rows in increasing order, padding 0.
  np.testing.assert_array_equal(idx, [[0, 2, 3], [0, 0, 0], [1, 2, 0]])
  np.testing.assert_array_equal(w, [[0, 6, 9], [0, 0, 0], [5, 8, 0]])


def test_bytes_and_flops_hand_count():
  params = {"Dense_0": {"kernel": np.ones((4, 3), np.float32),
                        "bias": np.zeros(3, np.float32)},
            "Dense_1": {"kernel": np.ones((3, 2), np.float32),
                        "bias": np.zeros(2, np.float32)}}
  mask0 = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 1], [1, 0, 0]], bool)
  masks = {"Dense_0": {"kernel": mask0, "bias": np.ones(3, bool)},
           "Dense_1": {"kernel": np.ones((3, 2), bool),
                       "bias": np.ones(2, bool)}}
  dense = se.compile_mlp(params, masks, "dense")
  gather = se.compile_mlp(params, masks, "gather")
  bcoo = se.compile_mlp(params, masks, "bcoo")
  assert se.active_connections(masks) == [5, 6]
  # dense: 12 + 6 kernel floats, 5 biases; the masks add 12 + 6 bytes.
  assert se.stored_bytes(dense) == 4 * (12 + 6 + 5)
  assert se.stored_bytes(dense, with_mask=True) == 4 * (12 + 6 + 5) + 18
  # gather: layer 0 is (3 x K=3) indices and weights; layer 1 (full) dense.
  assert se.stored_bytes(gather) == 4 * (9 + 9) + 4 * (6 + 5)
  # bcoo: 5 values and 5 x 2 int32 indices; layer 1 dense.
  assert se.stored_bytes(bcoo) == 4 * (5 + 10) + 4 * (6 + 5)
  assert se.flops(dense, 2) == 2 * 2 * (12 + 6)
  assert se.flops(gather, 2) == 2 * 2 * (9 + 6)
  assert se.flops(bcoo, 2) == 2 * 2 * (5 + 6)
  assert gather.layout == "gather" and bcoo.layout == "bcoo"


def test_bad_layout_one_line():
  _, params = _params()
  with pytest.raises(ValueError, match=r"^layout must be one of dense, "
                     r"gather, bcoo, got 'csr'$"):
    se.compile_mlp(params, params, "csr")


def test_first_win_and_time_grid_toy():
  rows = [{"width": 8, "density": d, "layout": lay, "median_s": t}
          for d, lay, t in [(0.5, "dense", 1.0), (0.5, "gather", 2.0),
                            (0.1, "dense", 1.0), (0.1, "gather", 0.9),
                            (0.01, "dense", 1.0), (0.01, "gather", 0.1)]]
  assert sparse_timing.first_win(rows, "gather") == {8: 0.1}
  rows[1]["median_s"] = 0.5
  assert sparse_timing.first_win(rows, "gather") == {8: 0.5}
  grid = sparse_timing.time_grid([8], [0.25], batch=4, repeats=2,
                                 n_in=12, classes=3)
  assert len(grid) == len(se.LAYOUTS)
  for r in grid:
    assert len(r["times_s"]) == 2 and r["max_abs_diff"] < 1e-5
