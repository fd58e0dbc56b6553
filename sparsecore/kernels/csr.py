"""CSR matrix products: the primitives ``csrmv_p`` and ``csrmm_p``.

Both compute ``A @ x`` (or ``A.T @ x`` with ``transpose=True``) for the CSR
matrix ``A = (data, indices, indptr)`` of shape ``shape``; ``csrmv_p`` takes a
vector ``x``, ``csrmm_p`` a matrix whose columns are independent right-hand
sides.  Static parameters: ``shape``, ``transpose``, ``event`` (``x`` marks
active inputs: True or > 0, and each adds its stored weight) and ``backend``.
``data`` holds one value per stored entry, or one value shared by all
(shape ``(1,)``: homogeneous weights).  Duplicate entries sum.

Inputs here are unit-free, validated arrays; see :mod:`sparsecore._functional`
for the public functions.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ._primitive import declare_products, out_length

__all__ = ["csrmv_p", "csrmm_p", "csrmv_indexed_p", "csrmm_indexed_p", "csr_row_indices",
           "csr_product", "csr_indexed_product", "csr_data_cotangent"]


@functools.partial(jax.jit, static_argnames="nnz")  # eagerly: one program, not four
def csr_row_indices(indptr, nnz: int):
    """Row index of every stored entry (``indptr`` expanded), usable under jit."""
    n_rows = indptr.shape[0] - 1
    counts = jnp.diff(indptr)
    # the row ids' own dtype: that of indptr may be too narrow for them
    dtype = jnp.int32 if n_rows <= np.iinfo(np.int32).max else jnp.int64
    return jnp.repeat(jnp.arange(n_rows, dtype=dtype), counts, total_repeat_length=nnz)


def _is_homo(data, indices) -> bool:
    return data.shape[0] == 1 and indices.shape[0] != 1


def _active(x, dtype):
    return (x > 0).astype(dtype)


# ---------------------------------------------------------------------------
# pure-JAX reference (both primitives: x is (k,) or (k, b))
# ---------------------------------------------------------------------------

def _reference(data, indices, indptr, x, *, shape, transpose, event):
    nnz = indices.shape[0]
    rows = csr_row_indices(indptr, nnz)
    source, target = (rows, indices) if transpose else (indices, rows)
    values = jnp.broadcast_to(data, (nnz,))
    gathered = x[source]
    weights = values.reshape((nnz,) + (1,) * (x.ndim - 1))
    if event:  # an inactive input adds nothing, not 0 * w (NaN for a NaN or inf w)
        contributions = jnp.where(gathered > 0, weights, jnp.zeros((), data.dtype))
    else:
        contributions = weights * gathered.astype(data.dtype)
    return jax.ops.segment_sum(contributions, target, num_segments=out_length(shape, transpose))


def _numba_args(kernel_name, data, indices, indptr, x, *, shape, transpose, event):
    # no shape in the message: it is part of the handler's identity, and one
    # handler must serve every shape
    error = (f"sparsecore {kernel_name[:-7]}: indices or indptr point outside the matrix (an "
             f"index out of range, or indptr not rising from 0 to nnz); construct the matrix "
             f"outside jit, or call its check() inside, for an error naming the bad entry")
    return ((data, indices, indptr, x), (bool(transpose), bool(event), _is_homo(data, indices)),
            error)


def _pallas(data, indices, indptr, x, *, shape, transpose, event, interpret):
    from ._rows_pallas import rows_product
    return rows_product(data, indices, indptr, x, width=-1, n_rows=shape[0],
                        n_out=out_length(shape, transpose), transpose=transpose, event=event,
                        homo=data.shape[0] == 1, interpret=interpret)


# ---------------------------------------------------------------------------
# differentiation
# ---------------------------------------------------------------------------

def csr_data_cotangent(ct, data_shape, indices, indptr, x, *, transpose, event, **params):
    """Cotangent of ``data`` in ``y = A @ x``: ``ct[row] . x[col]`` per stored entry.

    Summed into one value for homogeneous ``data`` (``data_shape == (1,)``).
    """
    nnz = indices.shape[0]
    rows = csr_row_indices(indptr, nnz)
    out_index, in_index = (indices, rows) if transpose else (rows, indices)
    xs = _active(x[in_index], ct.dtype) if event else x[in_index].astype(ct.dtype)
    per_entry = ct[out_index] * xs
    if per_entry.ndim == 2:
        per_entry = per_entry.sum(axis=1)
    if data_shape[0] == 1 and nnz != 1:
        return per_entry.sum(keepdims=True)
    return per_entry


# ---------------------------------------------------------------------------
# declarations (a vmapped operand becomes columns of the matrix-matrix product)
# ---------------------------------------------------------------------------

csrmv_p, csrmm_p = declare_products(
    ("csrmv", "csrmv_kernel"), ("csrmm", "csrmm_kernel"), family="csr",
    structure=("indices", "indptr"), reference=_reference,
    values_cotangent=csr_data_cotangent, numba_module="_csr_numba", numba_args=_numba_args,
    pallas=_pallas)


def csr_product(data, indices, indptr, x, *, shape, transpose, event, backend):
    """Bind ``csrmv_p`` or ``csrmm_p`` (by ``x.ndim``) on validated, unit-free arrays."""
    prim = csrmv_p if x.ndim == 1 else csrmm_p
    return prim.bind(data, indices, indptr, x, shape=tuple(shape), transpose=bool(transpose),
                     event=bool(event), backend=backend)


# ---------------------------------------------------------------------------
# products over a transposed index: the structure of the transpose with the
# weights where the matrix stores them (entry k weighs data[weight_indices[k]])
# ---------------------------------------------------------------------------

def _indexed_values(data, weight_indices):
    return data if _is_homo(data, weight_indices) else data[weight_indices]


def _indexed_reference(data, indices, indptr, weight_indices, x, **params):
    return _reference(_indexed_values(data, weight_indices), indices, indptr, x, **params)


def _indexed_pallas(data, indices, indptr, weight_indices, x, **params):
    # on a GPU one gather of the weights costs less than a second index per entry
    return _pallas(_indexed_values(data, weight_indices), indices, indptr, x, **params)


def _indexed_numba_args(kernel_name, data, indices, indptr, weight_indices, x, **params):
    arrays, (transpose, event, _), error = _numba_args(kernel_name, data, indices, indptr, x,
                                                       **params)
    homo = _is_homo(data, weight_indices)
    return arrays[:3] + (weight_indices, x), (transpose, event, homo), error


def _indexed_cotangent(ct, data_shape, indices, indptr, weight_indices, x, **params):
    """Cotangent of ``data``: the per-entry one of the index, put back where each weight lives."""
    nnz = indices.shape[0]
    per_entry = csr_data_cotangent(ct, (nnz,), indices, indptr, x, **params)
    if data_shape[0] == 1 and nnz != 1:
        return per_entry.sum(keepdims=True)
    return jnp.zeros(data_shape, per_entry.dtype).at[weight_indices].add(per_entry)


csrmv_indexed_p, csrmm_indexed_p = declare_products(
    ("csrmv_indexed", "csrmv_indexed_kernel"), ("csrmm_indexed", "csrmm_indexed_kernel"),
    family="csr", structure=("indices", "indptr", "weight_indices"),
    reference=_indexed_reference, values_cotangent=_indexed_cotangent,
    numba_module="_csr_numba", numba_args=_indexed_numba_args, pallas=_indexed_pallas)


def csr_indexed_product(data, indices, indptr, weight_indices, x, *, shape, transpose, event,
                        backend):
    """``A @ x`` for the CSR ``A = (data[weight_indices], indices, indptr)`` of ``shape``.

    ``data`` is never gathered: the kernels read ``data[weight_indices[k]]``
    per visited entry, so a transposed index (``with_column_index``) runs an
    event product over the active inputs only, on the matrix's own weights.
    """
    prim = csrmv_indexed_p if x.ndim == 1 else csrmm_indexed_p
    return prim.bind(data, indices, indptr, weight_indices, x, shape=tuple(shape),
                     transpose=bool(transpose), event=bool(event), backend=backend)
