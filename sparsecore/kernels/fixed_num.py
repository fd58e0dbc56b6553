"""Fixed-number-of-connections products: the primitives ``fcnmv_p`` and ``fcnmm_p``.

The matrix ``A`` of shape ``shape = (m, n)`` has ``n_conn`` stored entries per
row: ``A[i, indices[i, k]] = data[i, k]`` (``indices`` of shape ``(m, n_conn)``,
repeated columns in one row sum).  ``data`` is ``(m, n_conn)`` per entry, or
shape ``(1,)`` for one weight shared by all entries (the rank tells the two
apart).  Both primitives compute ``A @ x`` (or ``A.T @ x`` with
``transpose=True``); ``fcnmv_p`` takes a vector, ``fcnmm_p`` a matrix whose
columns are independent right-hand sides.  Static parameters: ``shape``,
``transpose``, ``event`` (``x`` marks active inputs, True or > 0, and each adds
its stored weight without a multiply) and ``backend``.

``A @ x`` gathers ``x`` along each row (events are tested while gathering);
``A.T @ x`` scatters the rows of the inputs, and with events it visits the
rows of active inputs only, so its cost is active rows times ``n_conn``.

Inputs are unit-free, validated arrays; :mod:`sparsecore._functional` holds
the public functions.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ._primitive import declare_products, out_length

__all__ = ["fcnmv_p", "fcnmm_p", "fcn_product", "fcn_data_cotangent"]

_ERROR = ("sparsecore fixed-number product: indices point outside the matrix (an index is "
          "negative or not smaller than the number of columns); call the matrix's check() "
          "for an error naming the bad entry")


def _is_homo(data) -> bool:
    return data.ndim == 1


def _as_operand(x, dtype, event):
    return (x > 0).astype(dtype) if event else x.astype(dtype)


def _times(weights, x, dtype, event):
    """``weights * x``; events add the weight of active inputs only, not ``0 * w``.

    (``0 * w`` is NaN for a NaN or infinite ``w``; the kernels skip inactive
    inputs, and so does this.)
    """
    if event:
        return jnp.where(x > 0, weights, jnp.zeros((), dtype))
    return weights * x.astype(dtype)


def _weights(data, indices, extra_dims):
    """``data`` broadcast to ``indices.shape`` plus trailing singleton axes."""
    values = jnp.broadcast_to(data if data.ndim == 2 else data[0], indices.shape)
    return values.reshape(values.shape + (1,) * extra_dims)


# ---------------------------------------------------------------------------
# pure-JAX reference (both primitives: x is (k,) or (k, b))
# ---------------------------------------------------------------------------

def _reference(data, indices, x, *, shape, transpose, event):
    extra = x.ndim - 1
    weights = _weights(data, indices, extra)
    if not transpose:  # gather: y[i] = sum_k w[i, k] x[indices[i, k]]
        return _times(weights, x[indices], data.dtype, event).sum(axis=1)  # (m, n_conn, ...)
    # scatter: y[indices[i, k]] += w[i, k] x[i]
    contributions = _times(weights, x[:, None], data.dtype, event)  # x: (m, 1, ...)
    n_out = out_length(shape, transpose)
    flat = contributions.reshape((-1,) + tuple(x.shape[1:]))
    return jax.ops.segment_sum(flat, indices.reshape(-1), num_segments=n_out)


def _numba_args(kernel_name, data, indices, x, *, shape, transpose, event):
    homo = _is_homo(data)
    if homo:  # the kernels always see 2-D data; (1, 1) is the shared weight
        data = data.reshape(1, 1)
    return (data, indices, x), (bool(transpose), bool(event), homo), _ERROR


def _pallas(data, indices, x, *, shape, transpose, event, interpret):
    from ._rows_pallas import rows_product
    homo = _is_homo(data)
    indptr = jnp.zeros((1,), jnp.int32)  # rows of fixed width: not read
    return rows_product(data.reshape(-1), indices.reshape(-1), indptr, x,
                        width=indices.shape[1], n_rows=indices.shape[0],
                        n_out=out_length(shape, transpose), transpose=transpose, event=event,
                        homo=homo, interpret=interpret)


# ---------------------------------------------------------------------------
# differentiation
# ---------------------------------------------------------------------------

def fcn_data_cotangent(ct, data_shape, indices, x, *, transpose, event, **params):
    """Cotangent of ``data`` in ``y = A @ x``: ``ct[row] . x[col]`` per stored entry.

    Shape ``indices.shape``, or ``(1,)`` (summed) for homogeneous ``data``.
    """
    if not transpose:  # y[i] uses x[indices[i, k]]
        per_entry = ct[:, None] * _as_operand(x[indices], ct.dtype, event)
    else:  # y[indices[i, k]] uses x[i]
        per_entry = ct[indices] * _as_operand(x, ct.dtype, event)[:, None]
    if per_entry.ndim == 3:
        per_entry = per_entry.sum(axis=2)
    if len(data_shape) == 1:
        return per_entry.sum().reshape(1)
    return per_entry


# ---------------------------------------------------------------------------
# declarations (a vmapped operand becomes columns of the matrix-matrix product)
# ---------------------------------------------------------------------------

fcnmv_p, fcnmm_p = declare_products(
    ("fcnmv", "fcnmv_kernel"), ("fcnmm", "fcnmm_kernel"), family="fixed-number",
    structure=("indices",), reference=_reference, values_cotangent=fcn_data_cotangent,
    numba_module="_fixed_num_numba", numba_args=_numba_args, pallas=_pallas)


def fcn_product(data, indices, x, *, shape, transpose, event, backend):
    """Bind ``fcnmv_p`` or ``fcnmm_p`` (by ``x.ndim``) on validated, unit-free arrays.

    ``data`` is ``(m, n_conn)`` or ``(1,)``; ``indices`` is ``(m, n_conn)``.
    """
    prim = fcnmv_p if x.ndim == 1 else fcnmm_p
    return prim.bind(data, indices, x, shape=tuple(shape), transpose=bool(transpose),
                     event=bool(event), backend=backend)
