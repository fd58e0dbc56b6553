"""Compressed sparse matrices: ``CSR`` and ``CSC``, written once.

A CSC matrix of shape ``(m, n)`` is, buffer for buffer, the CSR matrix of its
transpose (shape ``(n, m)``).  ``_Compressed`` works on that row-compressed
view; the orientation is the base class's ``_axis``.  ``.T`` swaps the
class over the same buffers.
"""
from __future__ import annotations

import functools
from typing import Self

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from . import _canonical, _units, _validation as V
from ._base import SparseMatrix
from ._plasticity_methods import CompressedPlasticity
from ._typing import ArrayLike, Result, Shape
from .kernels.csr import csr_indexed_product, csr_product, csr_row_indices

__all__ = ["CSR", "CSC"]


# The conversions of this module are jitted: called eagerly, each is one
# compiled program instead of one per array operation.
@functools.partial(jax.jit, static_argnames=("shape", "transpose"))
def _scatter_dense(data, indices, indptr, *, shape, transpose):
    """The dense ``shape`` matrix of compressed lines (transposed when ``transpose``)."""
    nnz = indices.shape[0]
    rows = csr_row_indices(indptr, nnz)
    values = jnp.broadcast_to(data, (nnz,))
    dense = jnp.zeros(shape, data.dtype).at[rows, indices].add(values)
    return dense.T if transpose else dense


@functools.partial(jax.jit, static_argnames="nnz")
def _compress_dense(view, *, nnz):
    """``(values, indices, indptr)`` of the first ``nnz`` nonzeros of ``view``, row by row,
    padded with explicit zeros in the last row."""
    m = view.shape[0]
    fill = (max(m - 1, 0), 0)
    rows, cols = jnp.nonzero(view, size=nnz, fill_value=fill)
    values = jnp.where(jnp.arange(nnz) < jnp.count_nonzero(view), view[rows, cols], 0)
    index_dtype = jnp.int32
    indptr = jnp.searchsorted(rows, jnp.arange(m + 1), side="left").astype(index_dtype)
    return values, cols.astype(index_dtype), indptr


def transposed_event_product(data, column_index, x, view_shape, *, backend):
    """The gather-direction event product ``A @ x`` run over ``A``'s transposed index.

    ``column_index`` is ``(mirror_indices, mirror_indptr, weight_indices)`` of
    the row-compressed view ``A`` of shape ``view_shape`` (flat ``data``):
    the active inputs' lines of the mirror are scattered, so the cost is
    active inputs times their fan-in instead of every stored entry.
    """
    indices, indptr, weight_indices = column_index
    return csr_indexed_product(data, indices, indptr, weight_indices, x,
                               shape=(view_shape[1], view_shape[0]), transpose=True, event=True,
                               backend=backend)


@functools.partial(jax.jit, static_argnames="csr_shape")
def _recompress(data, indices, indptr, csr_shape):
    """Arrays of the CSR matrix of ``A.T`` from those of the CSR matrix ``A`` (jit-safe)."""
    nnz = indices.shape[0]
    n_cols = csr_shape[1]
    rows = csr_row_indices(indptr, nnz)
    order = jnp.lexsort((rows, indices))  # stable: by column, then row
    new_indices = rows[order].astype(V.index_dtype_for(csr_shape[0]))
    new_data = data if data.shape[0] != nnz else data[order]
    new_indptr = jnp.searchsorted(indices[order],
                                  jnp.arange(n_cols + 1, dtype=V.index_dtype_for(n_cols)),
                                  side="left").astype(indptr.dtype)
    return new_data, new_indices, new_indptr


class _Compressed(CompressedPlasticity, SparseMatrix):
    _leaf_names = ("data", "indices", "indptr")
    _optional_leaves = ("_column_index",)

    def __init__(self, args: tuple[ArrayLike, ArrayLike, ArrayLike], *, shape: Shape):
        if not isinstance(args, (tuple, list)) or len(args) != 3:
            raise TypeError(f"{type(self).__name__} takes (data, indices, indptr) and shape=, "
                            f"got {type(args).__name__}; e.g. "
                            f"{type(self).__name__}((data, indices, indptr), shape=(m, n)).")
        data, indices, indptr = args
        data_m, unit = _units.split(data)
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else shape
        view_shape = None
        if isinstance(shape, tuple) and len(shape) == 2:
            view_shape = self._line_view(shape)
        data_m, indices, indptr, view_shape = V.check_csr_arrays(
            data_m, indices, indptr, view_shape if view_shape is not None else shape,
            where=type(self).__name__)
        self.shape = self._line_view(view_shape)
        self.data = _units.attach(data_m, unit)
        self.indices = indices
        self.indptr = indptr

    # -- structure ---------------------------------------------------------
    @property
    def nnz(self) -> int:
        return self.indices.shape[0]

    def check(self):
        """This matrix, once its structure is checked; works under ``jax.jit``.

        Every index must address a row (column) of the matrix and ``indptr``
        must rise from 0 to ``nnz``; an attached column index is checked too.
        Construction runs these scans on concrete arrays; inside ``jax.jit``
        it cannot, and ``check()`` runs them in the compiled program: there a
        bad structure makes the call raise a ``jax.errors.JaxRuntimeError``
        carrying the :class:`~sparsecore.SparseFormatError` message.  Use the
        matrix it returns: its products run after the check, so that message
        is the one reported.  Cost: one pass over the index arrays (under
        ``vmap``, a host scan per call).

        Examples
        --------
        >>> import jax, jax.numpy as jnp, sparsecore as sc
        >>> build = jax.jit(lambda i: sc.CSR((jnp.ones(2), i, jnp.array([0, 1, 2])),
        ...                                  shape=(2, 2)).check().todense())
        >>> build(jnp.array([1, 0]))
        Array([[0., 1.],
               [1., 0.]], dtype=float32)
        >>> try:
        ...     build(jnp.array([1, 5]))
        ... except jax.errors.JaxRuntimeError as e:
        ...     print("CSR.check: indices contains 5, outside [0, 2)" in str(e))
        True
        """
        checks = (("indptr", self.indptr, self.nnz, "indptr"),
                  ("bounds", self.indices, self._view_shape[1], "indices"))
        indptr, indices, *mirror = V.check_structure(checks + self._column_index_checks(),
                                                     where=f"{type(self).__name__}.check")
        if indices is self.indices:  # concrete: checked now
            return self
        obj = type(self).tree_unflatten((self.shape,), (self.data, indices, indptr))
        obj._column_index = self._checked_column_index(mirror)
        return obj

    def _dense_product(self, data, x, *, transpose, event, backend):
        gather = transpose == (self._axis == 1)
        if event and gather and self._column_index is not None:
            return transposed_event_product(data, self._column_index, x, self._view_shape,
                                            backend=backend)
        return csr_product(data, self.indices, self.indptr, x, shape=self._view_shape,
                           transpose=not gather, event=event, backend=backend)

    def todense(self) -> Result:
        """Dense ``jax.Array`` (a Quantity when the values carry units)."""
        data, unit = _units.split(self.data)
        dense = _scatter_dense(data, self.indices, self.indptr, shape=self._view_shape,
                               transpose=self._axis == 1)
        return _units.attach(dense, unit)

    def tocsr(self) -> CSR:
        return self._as(CSR)

    def tocsc(self) -> CSC:
        return self._as(CSC)

    def _as(self, cls):
        if type(self) is cls:
            return self
        data, unit = _units.split(self.data)
        arrays = _recompress(data, self.indices, self.indptr, self._view_shape)
        arrays = (_units.attach(arrays[0], unit),) + arrays[1:]
        return cls.tree_unflatten((self.shape,), arrays)

    # -- elementwise hooks (contract in sparsecore/_base.py) ------------------
    def _with_values(self, data):
        children = self.tree_flatten()[0]  # keeps an attached column index
        return type(self).tree_unflatten((self.shape,), (data,) + tuple(children[1:]))

    def _structure_leaves(self):
        return (self.indices, self.indptr)

    def _entry_coords(self):
        rows = csr_row_indices(self.indptr, self.nnz)
        return (rows, self.indices) if self._axis == 0 else (self.indices, rows)

    # -- canonical format (eager; sparsecore/_canonical.py) -----------------
    def eliminate_zeros(self) -> Self:
        """A new matrix without explicitly stored zeros (eager, not under jit)."""
        return _canonical.eliminate_zeros(self)

    def sum_duplicates(self) -> Self:
        """A new matrix with duplicate entries summed and indices sorted (eager)."""
        return _canonical.sum_duplicates(self)

    def sort_indices(self) -> Self:
        """A new matrix with indices sorted within each row (column for CSC; eager)."""
        return _canonical.sort_indices(self)

    @property
    def has_canonical_format(self) -> bool:
        """True when indices are sorted and free of duplicates in every row (CSC: column)."""
        return _canonical.has_canonical_format(self)

    # -- conversion --------------------------------------------------------
    @classmethod
    def fromdense(cls, x: ArrayLike, *, nnz: int | None = None) -> Self:
        """Matrix holding the nonzeros of dense ``x``.

        With a static ``nnz`` this works under ``jax.jit``: the first ``nnz``
        nonzeros are kept, and if there are fewer the rest are padded with
        explicit zeros in the last row (column for CSC).
        """
        view, mantissa, unit = cls._dense_lines(x, op="fromdense")
        if nnz is None:
            if isinstance(view, jax.core.Tracer):
                raise ValueError(f"{cls.__name__}.fromdense under jit needs a static nnz=; "
                                 f"the number of nonzeros must be known when tracing.")
            nnz = int(jnp.count_nonzero(view))
        values, cols, indptr = _compress_dense(view, nnz=nnz)
        values = _units.attach(values, unit)
        return cls((values, cols, indptr), shape=mantissa.shape)

    @classmethod
    def from_scipy(cls, matrix: sp.sparray | sp.spmatrix) -> Self:
        """From any scipy.sparse array or matrix (converted to this format)."""
        if not sp.issparse(matrix):
            raise TypeError(f"{cls.__name__}.from_scipy expects a scipy.sparse array or matrix, "
                            f"got {type(matrix).__name__}; use fromdense for dense arrays.")
        converted = sp.csr_array(matrix) if cls._axis == 0 else sp.csc_array(matrix)
        return cls((converted.data, converted.indices, converted.indptr), shape=matrix.shape)

    def to_scipy(self, format: str = "csr") -> sp.sparray:
        """A ``scipy.sparse`` array in ``format`` ("csr", "csc" or "coo")."""
        if format not in ("csr", "csc", "coo"):
            raise ValueError(f"to_scipy: format must be 'csr', 'csc' or 'coo', got {format!r}.")
        data, unit = _units.split(self.data)
        if unit is not None:
            raise TypeError(f"to_scipy: scipy cannot hold units ({unit}); convert the mantissa "
                            f"first, e.g. W.with_data(W.data.to_decimal(unit)).to_scipy().")
        data = np.broadcast_to(np.asarray(data), (self.nnz,)).copy()
        build = sp.csr_array if self._axis == 0 else sp.csc_array
        matrix = build((data, np.asarray(self.indices), np.asarray(self.indptr)), shape=self.shape)
        return matrix.asformat(format)


class CSR(_Compressed):
    """Compressed sparse row matrix: ``CSR((data, indices, indptr), shape=(m, n))``.

    ``data`` holds one value per stored entry (shape ``(nnz,)``) or one value
    shared by all entries (a scalar or shape ``(1,)``); ``indices`` are column
    indices and ``indptr`` row pointers (``m + 1`` entries).  All three are
    pytree leaves.  Duplicate entries sum.  A bool operand is a spike vector:
    ``spikes @ W`` visits the rows of active inputs only, and so does
    ``W @ spikes`` for the columns once :meth:`with_column_index` is attached.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> W = sc.CSR((jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])),
    ...            shape=(2, 3))
    >>> W
    CSR(float32[2, 3], nnz=3)
    >>> W @ jnp.ones(3)
    Array([3., 3.], dtype=float32)
    >>> jnp.array([True, False]) @ W
    Array([1., 0., 2.], dtype=float32)
    >>> W.T
    CSC(float32[3, 2], nnz=3)
    """
    _axis = 0


class CSC(_Compressed):
    """Compressed sparse column matrix: ``CSC((data, indices, indptr), shape=(m, n))``.

    ``indices`` are row indices and ``indptr`` column pointers (``n + 1``
    entries).  The buffers are those of the CSR matrix of the transpose, and
    ``.T`` returns that CSR over the same arrays.  ``W @ spikes`` visits the
    columns of active inputs only.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> W = sc.CSC.fromdense(jnp.array([[1., 0.], [0., 2.], [3., 0.]]))
    >>> W
    CSC(float32[3, 2], nnz=3)
    >>> W @ jnp.array([True, False])
    Array([1., 0., 3.], dtype=float32)
    """
    _axis = 1


CSR._twin, CSC._twin = CSC, CSR
