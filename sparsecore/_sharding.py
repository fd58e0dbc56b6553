"""Matrices split into blocks over devices: ``W.shard(sharding)``.

A sharded matrix is an instance of a subclass of the matrix's class (cached
per layout), so ``isinstance(W.shard(s), type(W))`` holds and every method
that rebuilds the matrix from its leaves (``type(self).tree_unflatten``)
keeps the layout.  Its leaves are the format's buffers cut into ``n`` equal
blocks (:mod:`sparsecore._blocks`) and stacked along a leading block axis laid
out over one mesh axis; a homogeneous weight and the parameters of generated
connectivity are replicated (a generated block is the matrix of the same seed
seen through a line / position offset, generated where it is used).

Products run through :func:`shard_map`: every device rebuilds its block as a
matrix of the original class and calls that class's own product on it, so the
kernels, backends and differentiation rules are those of one device.  The
operand is replicated when each block needs all of it (the split dimension is
the output's) and cut into blocks when the contraction is split, in which case
the per-block partial results are summed across devices.
"""
from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from . import _blocks, _units, _validation as V
from ._plasticity import to_weight_unit

__all__ = ["shard_map", "check_sharding", "Layout", "Sharded", "shard"]


def shard_map(f, *, mesh, in_specs, out_specs):
    """``jax.shard_map`` where it exists, else ``jax.experimental.shard_map``; no rep checks.

    The per-block kernels are opaque to JAX's replication checker, and every
    output spec here says exactly how the blocks combine.
    """
    if hasattr(jax, "shard_map"):
        return jax.shard_map(f, mesh=mesh, in_specs=in_specs, out_specs=out_specs,
                             check_vma=False)
    from jax.experimental.shard_map import shard_map as experimental  # older JAX
    return experimental(f, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_rep=False)


def check_sharding(sharding, *, where: str):
    """``(mesh, axis name, split dimension)`` of a 2-D, one-axis ``NamedSharding``."""
    example = ("NamedSharding(mesh, PartitionSpec('d', None)) to split the rows over mesh "
               "axis 'd', or PartitionSpec(None, 'd') to split the columns")
    if not isinstance(sharding, NamedSharding):
        raise TypeError(f"{where}: sharding must be a jax.sharding.NamedSharding, got "
                        f"{type(sharding).__name__}; pass e.g. {example}.")
    spec = tuple(sharding.spec)
    if len(spec) != 2:
        raise ValueError(f"{where}: the PartitionSpec must have two entries (rows, columns), "
                         f"got {sharding.spec} with {len(spec)}; pass e.g. {example}.")
    named = [(dim, entry) for dim, entry in enumerate(spec) if entry is not None]
    if len(named) != 1:
        raise ValueError(f"{where}: exactly one dimension can be split, over one mesh axis, "
                         f"got {sharding.spec}; pass e.g. {example}.")
    dim, entry = named[0]
    if isinstance(entry, tuple):
        if len(entry) != 1:
            raise ValueError(f"{where}: a matrix splits over one mesh axis, got the axes "
                             f"{entry} in {sharding.spec}; pass e.g. {example}.")
        entry = entry[0]
    mesh = sharding.mesh
    if not isinstance(mesh, Mesh) or entry not in mesh.axis_names:
        raise ValueError(f"{where}: {entry!r} is not an axis of the mesh (axes "
                         f"{tuple(getattr(mesh, 'axis_names', ()))}); pass e.g. {example}.")
    return mesh, entry, dim


@dataclasses.dataclass(frozen=True)
class Layout:
    """How a sharded matrix is laid out (static: part of the class).

    ``dim`` is the split logical dimension, ``n`` the number of blocks (the
    size of mesh axis ``axis``), ``block`` the rows (columns) per block,
    ``block_shape`` the logical shape of one block's matrix (phantom line or
    position included), ``blocked`` one flag per pytree child (True: stacked
    blocks, False: replicated), ``nnz`` the real number of stored entries
    (None for generated matrices) and ``base`` the unsharded class.
    """

    mesh: Mesh
    axis: str
    dim: int
    n: int
    block: int
    block_shape: tuple
    blocked: tuple
    nnz: int | None
    base: type

    @property
    def view_dim(self) -> int:
        """The split axis of the buffers' view (lines 0, positions 1)."""
        return self.dim if self.base._axis == 0 else 1 - self.dim

    def spec(self, blocked: bool):
        return P(self.axis) if blocked else P()

    def transposed(self) -> "Layout":
        return dataclasses.replace(self, dim=1 - self.dim, block_shape=self.block_shape[::-1],
                                   base=self.base._twin)


def _pad(x, length, axis=0):
    """``x`` padded with zeros (False) to ``length`` along ``axis``."""
    extra = length - x.shape[axis]
    if extra == 0:
        return x
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, extra)
    return jnp.pad(x, widths)


def _place(array, mesh, spec):
    """A global array laid out by ``spec`` (every process passes the same host array)."""
    array = np.asarray(array)
    return jax.make_array_from_callback(array.shape, NamedSharding(mesh, spec),
                                        lambda index: array[index])


def _concrete(matrix, where):
    leaves = jax.tree_util.tree_leaves(matrix.tree_flatten()[0])
    mantissas = [_units.split(leaf)[0] for leaf in leaves]
    if not V.is_concrete(*mantissas):
        raise ValueError(f"{where}: the matrix must be concrete to be cut into blocks; call "
                         f".shard(...) outside jax.jit and pass the sharded matrix in.")


def shard(matrix, sharding):
    """``matrix`` cut into blocks over the mesh axis that ``sharding`` names."""
    where = f"{type(matrix).__name__}.shard"
    if isinstance(matrix, Sharded):
        matrix = matrix.unshard()
    mesh, axis, dim = check_sharding(sharding, where=where)
    _concrete(matrix, where)
    base, n = type(matrix), int(mesh.shape[axis])
    children = matrix.tree_flatten()[0]
    vdim = dim if base._axis == 0 else 1 - dim
    if not matrix._entries_stored:
        b = _blocks.block_size(matrix.shape[dim], n)
        block_shape = tuple(b if d == dim else s for d, s in enumerate(matrix.shape))
        blocked = (False,) * len(children)
        leaves = [_units.attach_exact(_place(_units.split(c)[0], mesh, P()), _units.split(c)[1])
                  for c in children]
        nnz = None
    else:
        mantissa, unit = _units.split(matrix.data)
        if base._leaf_names == ("data", "indices", "indptr"):
            data, *structure, view, b = _blocks.split_compressed(
                mantissa, matrix.indices, matrix.indptr, matrix._view_shape, vdim, n)
        else:
            data, *structure, view, b = _blocks.split_fixed(
                mantissa, matrix.indices, matrix._view_shape, vdim, n)
        block_shape = base._line_view(view)
        data_blocked = np.ndim(data) > 1
        blocked = (data_blocked,) + (True,) * len(structure)
        leaves = [_units.attach(_place(data, mesh, P(axis) if data_blocked else P()), unit)]
        leaves += [_place(s, mesh, P(axis)) for s in structure]
        nnz = matrix.nnz
    layout = Layout(mesh, axis, dim, n, b, tuple(block_shape), blocked, nnz, base)
    return sharded_class(layout).tree_unflatten((matrix.shape,), tuple(leaves))


@functools.lru_cache(maxsize=None)
def sharded_class(layout: Layout) -> type:
    """The subclass of ``layout.base`` whose instances are laid out by ``layout``."""
    base = layout.base
    namespace = {"_layout": layout, "__module__": base.__module__,
                 "__qualname__": base.__qualname__, "__doc__": base.__doc__}
    for name in ("eliminate_zeros", "sum_duplicates", "sort_indices", "with_column_index",
                 "yw_to_w", "yw_to_w_transposed"):
        if hasattr(base, name):
            namespace[name] = _refused(name)
    return type(base.__name__, (Sharded, base), namespace)


def _refused(name):
    def method(self, *args, **kwargs):
        raise self._sharded_error(f".{name}()")
    method.__name__ = name
    return method


class Sharded:
    """Mixin of sharded matrices (placed before the format's class)."""

    _layout: Layout

    # -- metadata ---------------------------------------------------------------------
    @property
    def sharding(self) -> NamedSharding:
        """The ``NamedSharding`` the matrix was split by."""
        L = self._layout
        spec = P(L.axis, None) if L.dim == 0 else P(None, L.axis)
        return NamedSharding(L.mesh, spec)

    @property
    def nnz(self) -> int:
        if self._layout.nnz is None:
            return super().nnz  # generated: refuses, as unsharded
        return self._layout.nnz

    def __repr__(self):
        L = self._layout
        what = ("rows", "columns")[L.dim]
        return (f"{super().__repr__()[:-1]}, {what} sharded over {L.axis!r} in {L.n} blocks "
                f"of {L.block})")

    def _sharded_error(self, what):
        return TypeError(f"{what} is not supported on a sharded {type(self).__name__}; call "
                         f".unshard() first (eager), or apply it before .shard(...).")

    def _entries_shape(self):
        return tuple(jnp.shape(_units.split(self.data)[0]))

    def _entry_coords(self):
        raise self._sharded_error("an elementwise operation with a dense array")

    def transpose(self, axes=None):
        """The transpose, sharded along the transposed dimension (same leaves, no copy)."""
        if axes is not None and tuple(axes) != (1, 0):
            raise ValueError(f"a 2-D matrix transposes with axes=(1, 0) only, got {axes!r}.")
        cls = sharded_class(self._layout.transposed())
        return cls.tree_unflatten((self.shape[::-1],), self.tree_flatten()[0])

    # -- blocks -------------------------------------------------------------------------
    def _parts(self):
        """``(values children count, children, specs)`` for shard_map."""
        L = self._layout
        children = tuple(self.tree_flatten()[0])
        n_values = 1 if self._entries_stored else len(self._value_leaves())
        return n_values, children, tuple(L.spec(b) for b in L.blocked)

    def _block(self, values, structure):
        """This device's block as a matrix of the unsharded class (inside shard_map)."""
        L = self._layout
        structure = tuple(jax.tree_util.tree_map(lambda a: a[0], s) if blocked else s
                          for s, blocked in zip(structure, L.blocked[len(values):]))
        block = L.base.tree_unflatten((L.block_shape,), tuple(values) + structure)
        if not self._entries_stored:
            start = jax.lax.axis_index(L.axis).astype(jnp.int32) * L.block
            zero = jnp.zeros((), jnp.int32)
            block._block_offset = jnp.stack([start, zero] if L.view_dim == 0 else [zero, start])
        return block

    def _dense_product(self, data, x, *, transpose, event, backend):
        L = self._layout
        c = 0 if transpose else 1  # the contracted logical dimension
        out_len = self.shape[1 - c]
        split_c = L.dim == c
        n_values, children, specs = self._parts()
        data_spec = specs[0] if self._entries_stored else P()
        if split_c:
            x = _pad(x, L.n * L.block)
        data_blocked = self._entries_stored and L.blocked[0]

        def body(data_b, structure, x_b):
            values = (None,) * n_values
            block = self._block(values, structure)
            y = block._dense_product(data_b[0] if data_blocked else data_b,
                                     _pad(x_b, L.block_shape[c]), transpose=transpose,
                                     event=event, backend=backend)
            return y[None, :out_len] if split_c else y[:L.block]

        out_spec = P(L.axis)
        y = shard_map(body, mesh=L.mesh, in_specs=(data_spec, specs[n_values:],
                                                   P(L.axis) if split_c else P()),
                      out_specs=out_spec)(data, children[n_values:], x)
        if split_c:  # per-block partial sums: XLA reduces them across devices
            return y.sum(axis=0)
        return y[:out_len]

    def todense(self):
        """The dense matrix, assembled from the blocks (a Quantity when the values have units)."""
        L = self._layout
        if not self._entries_stored:  # the leaves are the whole matrix's
            return L.base.tree_unflatten((self.shape,), self.tree_flatten()[0]).todense()
        n_values, children, specs = self._parts()
        mantissa, unit = _units.split(children[0])
        other = self.shape[1 - L.dim]

        def body(data_b, structure):
            block = self._block((None,), structure)
            block.data = data_b[0] if L.blocked[0] else data_b
            dense = block.todense()
            dense = dense[:L.block, :other] if L.dim == 0 else dense[:other, :L.block]
            return dense

        out_spec = P(L.axis, None) if L.dim == 0 else P(None, L.axis)
        dense = shard_map(body, mesh=L.mesh, in_specs=(specs[0], specs[1:]),
                          out_specs=out_spec)(mantissa, children[1:])
        return _units.attach(dense[:self.shape[0], :self.shape[1]], unit)

    def sum(self, axis=None):
        """Sum of all entries, of each column (0) or row (1), as unsharded."""
        return self.todense().sum(axis=axis)

    def unshard(self):
        """The same matrix, unsharded (eager: the blocks are copied back to the host).

        Cut along the compressed lines' positions (CSR columns, CSC rows, a
        fixed-number table's partners), each line lists its entries block by
        block; the matrix is the same.
        """
        L = self._layout
        children = self.tree_flatten()[0]
        if not self._entries_stored:
            return L.base.tree_unflatten((self.shape,), children)
        mantissa, unit = _units.split(children[0])
        view = L.base._line_view(self.shape)
        if L.base._leaf_names == ("data", "indices", "indptr"):
            arrays = _blocks.merge_compressed(mantissa, children[1], children[2], view,
                                              L.view_dim, L.block)
        else:
            arrays = _blocks.merge_fixed(mantissa, children[1], view, L.view_dim, L.block)
        arrays = (_units.attach(jnp.asarray(arrays[0]), unit),) + tuple(
            jnp.asarray(a) for a in arrays[1:])
        return L.base.tree_unflatten((self.shape,), arrays)

    def tocsr(self):
        """The unsharded matrix as a CSR (eager)."""
        return self.unshard().tocsr()

    def tocsc(self):
        """The unsharded matrix as a CSC (eager)."""
        return self.unshard().tocsc()

    def to_scipy(self, format: str = "csr"):
        """The unsharded matrix as a scipy.sparse array (eager)."""
        return self.unshard().to_scipy(format)

    # -- plasticity: each device updates its own block ------------------------------------
    def _plastic_update(self, spike, trace, w_min, w_max, *, on_pre: bool, backend, clip):
        L = self._layout
        name = f"{type(self).__name__}.update_on_{'pre' if on_pre else 'post'}"
        if not L.blocked[0]:
            raise ValueError(f"{name}: the weights are homogeneous (one value for all "
                             f"entries); plasticity needs one value per entry, e.g. "
                             f"W.with_data(jnp.full(W.nnz, w)) before sharding.")
        s_dim = 0 if on_pre else 1
        n_values, children, specs = self._parts()
        mantissa, unit = _units.split(children[0])
        spike = jnp.asarray(_units.split(spike)[0])
        trace = jnp.asarray(to_weight_unit(trace, unit, name="the trace", where=name))
        bounds = [None if b is None else
                  jnp.asarray(to_weight_unit(b, unit, name=label, where=name))
                  for b, label in ((w_min, "w_min"), (w_max, "w_max"))]
        for arr, d, label in ((spike, s_dim, "the spikes"), (trace, 1 - s_dim, "the trace")):
            if arr.ndim != 1 or arr.shape[0] != self.shape[d]:
                raise ValueError(f"{name}: {label} must have shape ({self.shape[d]},), got "
                                 f"{tuple(arr.shape)}.")
        split_s = L.dim == s_dim
        if split_s:
            spike = _pad(spike, L.n * L.block)
        else:
            trace = _pad(trace, L.n * L.block)

        def body(data_b, structure, s_b, t_b, lo, hi):
            block = self._block((None,), structure)
            block.data = data_b[0]
            s_b = _pad(s_b, L.block_shape[s_dim])
            t_b = _pad(t_b, L.block_shape[1 - s_dim])
            new = block._plastic_update(s_b, t_b, lo, hi, on_pre=on_pre, backend=backend,
                                        clip=clip)
            return new.data[None]

        cut = P(L.axis)
        out = shard_map(body, mesh=L.mesh,
                        in_specs=(specs[0], specs[1:], cut if split_s else P(),
                                  P() if split_s else cut, P(), P()),
                        out_specs=cut)(mantissa, children[1:], spike, trace, *bounds)
        return self._with_values(_units.attach(out, unit))
