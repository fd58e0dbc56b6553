"""Canonical format of compressed matrices: sorted, duplicate-free, no stored zeros.

All functions are eager (the number of entries of the result depends on the
values) and return a new matrix; the input is never changed.  They work on
the row-compressed view of the buffers, so CSR and CSC share them.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import _units, _validation as V

__all__ = ["eliminate_zeros", "sum_duplicates", "sort_indices", "has_canonical_format"]


def _arrays(matrix, op: str):
    data, unit = _units.split(matrix.data)
    if not V.is_concrete(data, matrix.indices, matrix.indptr):
        raise TypeError(f"{type(matrix).__name__}.{op} is eager: the number of stored entries "
                        f"of its result depends on the values, so it cannot run under "
                        f"jax.jit/vmap/grad; call it outside the transformation.")
    data = np.asarray(data)
    indices = np.asarray(matrix.indices)
    indptr = np.asarray(matrix.indptr)
    rows = np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr))
    return data, unit, indices, indptr, rows


def _build(matrix, data, unit, rows, cols, index_dtype):
    n_rows = matrix.indptr.shape[0] - 1
    indptr = np.zeros(n_rows + 1, dtype=index_dtype)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    values = _units.attach_exact(jnp.asarray(data), unit)
    return type(matrix).tree_unflatten(
        (matrix.shape,), (values, jnp.asarray(cols.astype(index_dtype)), jnp.asarray(indptr)))


def _is_homo(data, nnz):
    return data.shape[0] == 1 and nnz != 1


def sort_indices(matrix):
    data, unit, indices, indptr, rows = _arrays(matrix, "sort_indices")
    order = np.lexsort((indices, rows))
    if not _is_homo(data, indices.shape[0]):
        data = data[order]
    return _build(matrix, data, unit, rows[order], indices[order], indices.dtype)


def sum_duplicates(matrix):
    data, unit, indices, indptr, rows = _arrays(matrix, "sum_duplicates")
    nnz = indices.shape[0]
    order = np.lexsort((indices, rows))
    rows, cols = rows[order], indices[order]
    values = np.broadcast_to(data, (nnz,))[order] if nnz else data[:0]
    first = np.ones(nnz, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    starts = np.flatnonzero(first)
    if _is_homo(data, nnz) and starts.shape[0] == nnz:
        summed = data  # no duplicates: stays homogeneous
    else:
        summed = np.add.reduceat(values, starts) if nnz else values
    return _build(matrix, summed, unit, rows[starts], cols[starts], indices.dtype)


def eliminate_zeros(matrix):
    data, unit, indices, indptr, rows = _arrays(matrix, "eliminate_zeros")
    nnz = indices.shape[0]
    if _is_homo(data, nnz):
        keep = np.full(nnz, bool(data[0] != 0))
        new_data = data
    else:
        keep = data != 0
        new_data = data[keep]
    return _build(matrix, new_data, unit, rows[keep], indices[keep], indices.dtype)


def has_canonical_format(matrix) -> bool:
    if not V.is_concrete(matrix.indices, matrix.indptr):
        raise TypeError(f"{type(matrix).__name__}.has_canonical_format needs concrete indices; "
                        f"it cannot be evaluated under jax.jit.")
    indices = np.asarray(matrix.indices)
    indptr = np.asarray(matrix.indptr)
    if indices.shape[0] < 2:
        return True
    rows = np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr))
    same_row = rows[1:] == rows[:-1]
    return bool(np.all(indices[1:][same_row] > indices[:-1][same_row]))
