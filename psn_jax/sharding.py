"""Runs (variant x seed) sharded over devices and hosts with `jax.sharding`.

The engine trains one run; a study stacks runs on a leading axis and calls
`jax.jit(jax.vmap(engine.train_epoch, in_axes=(0, None, None)))`. This module
spreads that leading *run* axis over every device of a one-axis `Mesh` (axis
name `"runs"`, all local or, after `initialize_distributed`, all global
devices) and replicates the dataset. Given inputs placed this way, `jit`
partitions the vmapped program along the run axis with no communication (runs
are independent), so each device trains `n_padded / n_devices` runs.

Padding: a run count that does not divide the device count is padded up to the
next multiple (`padded_size`) with copies of the LAST run (`pad_runs`). Padded
runs are ordinary, valid runs (a copy trains exactly like its original, so no
NaN or empty batch appears); they are dropped by `unpad` before anything is
written, so padding never shows in results. The cost is at most
`n_devices - 1` extra runs.

Hosts: `initialize_distributed` wraps `jax.distributed.initialize`; afterwards
`jax.devices()` lists every process's devices and `make_mesh()` spans them.
Each process builds the full (small) host-side inputs (keys, masks, dataset)
itself; `shard_runs` / `replicate` place only the shards of its own devices
(`jax.make_array_from_callback`), so no process sends data to another.
`shard_process_local` takes instead only this process's block of runs
(`jax.make_array_from_process_local_data`). `gather` brings a sharded result
back to every host as NumPy (an all-gather across processes when there are
several). Only process 0 should write results (`is_writer`).

Checkpoints: save the padded, sharded state (Orbax writes each process's
shards); to resume on a different device count, restore onto `abstract_runs`
of the new mesh, then `reshard_runs` (unpad, pad for the new count, place).

All functions are pure apart from placing arrays on devices.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

PyTree = Any

AXIS = "runs"


def make_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A one-axis mesh, axis `"runs"`, over `devices` (default `jax.devices()`).

  After `initialize_distributed`, `jax.devices()` holds every process's
  devices, so the default mesh spans all hosts.
  """
  devices = list(jax.devices() if devices is None else devices)
  if not devices:
    raise ValueError("devices must be a non-empty sequence, got []")
  return Mesh(np.asarray(devices, dtype=object), (AXIS,))


def padded_size(n_runs: int, n_devices: int) -> int:
  """`n_runs` rounded up to a multiple of `n_devices` (the padded run count)."""
  if n_runs < 1:
    raise ValueError(f"n_runs must be >= 1, got {n_runs}")
  if n_devices < 1:
    raise ValueError(f"n_devices must be >= 1, got {n_devices}")
  return -(-n_runs // n_devices) * n_devices


def run_sharding(mesh: Mesh) -> NamedSharding:
  """Leading (run) axis split over the mesh, other axes whole."""
  return NamedSharding(mesh, P(AXIS))


def replicated_sharding(mesh: Mesh) -> NamedSharding:
  """A full copy on every device of the mesh."""
  return NamedSharding(mesh, P())


def _host(x: Any) -> np.ndarray:
  return np.asarray(jax.device_get(x))


def pad_runs(tree: PyTree, n_padded: int) -> PyTree:
  """Pads every leaf's leading axis to `n_padded` with copies of its last run.

  Works on host (NumPy) arrays and on fully addressable jax arrays; returns
  NumPy arrays. Raises `ValueError` if a leaf has more than `n_padded` runs or
  the leaves disagree on the run count.
  """
  leaves = jax.tree.leaves(tree)
  counts = {np.shape(x)[0] for x in leaves}
  if len(counts) > 1:
    raise ValueError(f"leaves must share the leading run axis, got sizes {sorted(counts)}")

  def pad(x):
    x = _host(x)
    n = x.shape[0]
    if n > n_padded:
      raise ValueError(f"n_padded must be >= the {n} runs, got {n_padded}")
    if n == n_padded:
      return x
    return np.concatenate([x, np.repeat(x[-1:], n_padded - n, axis=0)], axis=0)

  return jax.tree.map(pad, tree)


def unpad(tree: PyTree, n_runs: int) -> PyTree:
  """The first `n_runs` runs of every leaf (drops the padding copies)."""
  return jax.tree.map(lambda x: x[:n_runs], tree)


def _place(x: np.ndarray, sharding: NamedSharding) -> jax.Array:
  # Each process builds only the shards of its own devices from the full host
  # array, so the same call works with one or several processes.
  return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])


def shard_runs(tree: PyTree, mesh: Mesh, n_padded: int | None = None) -> PyTree:
  """Pads the leading run axis to `n_padded` and splits it over the mesh.

  Args:
    tree: pytree of arrays with a common leading run axis (every process
      passes the same full values, e.g. stacked keys and masks).
    mesh: from `make_mesh`.
    n_padded: the padded run count, a multiple of `mesh.size`; default
      `padded_size(n_runs, mesh.size)`.

  Returns:
    The tree of global `jax.Array`s with `NamedSharding(mesh, P("runs"))`.
  """
  if n_padded is None:
    n_padded = padded_size(np.shape(jax.tree.leaves(tree)[0])[0], mesh.size)
  if n_padded % mesh.size:
    raise ValueError(
        f"n_padded must be a multiple of the {mesh.size} devices, got {n_padded}")
  sharding = run_sharding(mesh)
  return jax.tree.map(lambda x: _place(x, sharding), pad_runs(tree, n_padded))


def replicate(tree: PyTree, mesh: Mesh) -> PyTree:
  """Places a full copy of every leaf on every device (the dataset)."""
  sharding = replicated_sharding(mesh)
  return jax.tree.map(lambda x: _place(_host(x), sharding), tree)


def process_runs(n_padded: int, mesh: Mesh) -> slice:
  """The block of run indices whose shards live on this process's devices.

  With a mesh from `make_mesh()` (devices in `jax.devices()` order, grouped by
  process) each process owns one contiguous block.
  """
  if n_padded % mesh.size:
    raise ValueError(
        f"n_padded must be a multiple of the {mesh.size} devices, got {n_padded}")
  per_device = n_padded // mesh.size
  me = jax.process_index()
  positions = [i for i, d in enumerate(mesh.devices.flat) if d.process_index == me]
  if positions != list(range(positions[0], positions[-1] + 1)):
    raise ValueError("mesh must hold each process's devices contiguously, "
                     f"got positions {positions} for process {me}")
  return slice(positions[0] * per_device, (positions[-1] + 1) * per_device)


def shard_process_local(local_tree: PyTree, mesh: Mesh, n_padded: int) -> PyTree:
  """Global run-sharded arrays from each process's own block of runs.

  `local_tree` holds this process's runs `process_runs(n_padded, mesh)` (e.g.
  masks a host built for its runs only); the result is the same as
  `shard_runs` of the full padded tree.
  """
  sharding = run_sharding(mesh)

  def make(x):
    x = _host(x)
    return jax.make_array_from_process_local_data(
        sharding, x, (n_padded,) + x.shape[1:])

  return jax.tree.map(make, local_tree)


def abstract_runs(abstract_tree: PyTree, mesh: Mesh, n_padded: int) -> PyTree:
  """Restore targets: `ShapeDtypeStruct`s with `n_padded` runs on `mesh`.

  `abstract_tree` has any leading run count (e.g. `jax.eval_shape` of the
  stacked init); the result has `n_padded` (the count the checkpoint was saved
  with) and is run-sharded when `n_padded` divides `mesh.size`, replicated
  otherwise (then `reshard_runs` re-splits it).
  """
  sharding = (run_sharding(mesh) if n_padded % mesh.size == 0
              else replicated_sharding(mesh))
  return jax.tree.map(
      lambda a: jax.ShapeDtypeStruct((n_padded,) + tuple(a.shape[1:]), a.dtype,
                                     sharding=sharding), abstract_tree)


def reshard_runs(tree: PyTree, mesh: Mesh, n_runs: int) -> PyTree:
  """Drops the old padding and pads and splits `n_runs` runs for `mesh`.

  For a state restored from a checkpoint written on another device count.
  Gathers to the host first (the state of a study is small next to device
  memory); every process gets the same result.
  """
  return shard_runs(unpad(gather(tree), n_runs), mesh,
                    padded_size(n_runs, mesh.size))


def gather(tree: PyTree) -> PyTree:
  """Every leaf as a full NumPy array on this host.

  With several processes this is a `process_allgather` (a collective: every
  process must call it); with one, a `device_get`.
  """
  if jax.process_count() > 1:
    return multihost_utils.process_allgather(tree, tiled=True)
  return jax.tree.map(_host, tree)


def is_writer() -> bool:
  """True on the one process that writes results and reports (process 0)."""
  return jax.process_index() == 0


def initialize_distributed(coordinator_address: str | None, num_processes: int,
                           process_id: int,
                           local_device_ids: Sequence[int] | None = None) -> bool:
  """`jax.distributed.initialize` for a multi-process study (call first).

  Does nothing and returns False when `num_processes == 1` (or no coordinator
  is given), so a single-process command needs no flags. On CPU the
  cross-process collectives (`gather`) use gloo.

  Args:
    coordinator_address: "HOST:PORT" of process 0's coordinator.
    num_processes: total number of processes (>= 1).
    process_id: this process's index in [0, num_processes).
    local_device_ids: optional devices of this process (GPU per process).

  Returns:
    True when the distributed runtime was initialised.
  """
  if num_processes < 1:
    raise ValueError(f"num_processes must be >= 1, got {num_processes}")
  if not 0 <= process_id < num_processes:
    raise ValueError(
        f"process_id must be in [0, {num_processes}), got {process_id}")
  if num_processes == 1 or not coordinator_address:
    if num_processes > 1:
      raise ValueError("coordinator_address must be HOST:PORT when "
                       f"num_processes is {num_processes}, got {coordinator_address!r}")
    return False
  try:
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
  except (AttributeError, ValueError):  # option absent in this jax version
    pass
  jax.distributed.initialize(coordinator_address=coordinator_address,
                             num_processes=num_processes, process_id=process_id,
                             local_device_ids=local_device_ids)
  return True


def topology() -> dict:
  """`num_devices`, `num_local_devices`, `num_processes`, `process_index`."""
  return {"num_devices": jax.device_count(),
          "num_local_devices": jax.local_device_count(),
          "num_processes": jax.process_count(),
          "process_index": jax.process_index()}
