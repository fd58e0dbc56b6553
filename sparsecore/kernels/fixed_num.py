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

Inputs are unit-free, validated arrays; :mod:`sparsecore._fixed_num_ops` holds
the public functions.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.interpreters import ad

from . import _ffi
from ._primitive import declare_products

__all__ = ["fcnmv_p", "fcnmm_p", "fcn_product", "fcn_data_cotangent"]

_ERROR = ("sparsecore fixed-number product: indices point outside the matrix (an index is "
          "negative or not smaller than the number of columns)")


def _is_homo(data) -> bool:
    return data.ndim == 1


def _out_length(shape, transpose):
    return shape[1] if transpose else shape[0]


def _as_operand(x, dtype, event):
    return (x > 0).astype(dtype) if event else x.astype(dtype)


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
        gathered = _as_operand(x[indices], data.dtype, event)  # (m, n_conn, ...)
        return (weights * gathered).sum(axis=1)
    # scatter: y[indices[i, k]] += w[i, k] x[i]
    xs = _as_operand(x, data.dtype, event)[:, None]  # (m, 1, ...)
    contributions = weights * xs
    n_out = _out_length(shape, transpose)
    flat = contributions.reshape((-1,) + tuple(x.shape[1:]))
    return jax.ops.segment_sum(flat, indices.reshape(-1), num_segments=n_out)


def _abstract_eval(data, indices, x, *, shape, transpose, event, backend):
    out_shape = (_out_length(shape, transpose),) + tuple(x.shape[1:])
    return jax.core.ShapedArray(out_shape, data.dtype)


def _numba_call(kernel_name):
    def call(data, indices, x, *, shape, transpose, event):
        from . import _fixed_num_numba
        kernel = getattr(_fixed_num_numba, kernel_name)
        homo = _is_homo(data)
        if homo:  # the kernels always see 2-D data; (1, 1) is the shared weight
            data = data.reshape(1, 1)
        args = [_ffi.ArraySpec.of(a.aval) for a in (data, indices, x)]
        out = jax.ShapeDtypeStruct((_out_length(shape, transpose),) + x.shape[1:], data.dtype)
        target = _ffi.ffi_target(kernel, args, [_ffi.ArraySpec.of(out)],
                                 (bool(transpose), bool(event), homo), error=_ERROR)
        return jax.ffi.ffi_call(target, out)(data, indices, x)
    return call


# ---------------------------------------------------------------------------
# differentiation
# ---------------------------------------------------------------------------

def fcn_data_cotangent(ct, indices, x, *, data_shape, transpose, event):
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


def _zeros(data, x, shape, transpose):
    return jnp.zeros((_out_length(shape, transpose),) + x.shape[1:], data.dtype)


def _make_rules(prim_getter):
    def data_jvp(data_dot, data, indices, x, **params):
        return prim_getter().bind(data_dot, indices, x, **params)

    def x_jvp(x_dot, data, indices, x, *, event, **params):
        if event:  # a step function of x: zero derivative almost everywhere
            return _zeros(data, x, params["shape"], params["transpose"])
        return prim_getter().bind(data, indices, x_dot.astype(data.dtype), event=False, **params)

    def transpose_rule(ct, data, indices, x, *, shape, transpose, event, backend):
        if ad.is_undefined_primal(indices):
            raise ValueError("fixed-number products are not linear in indices; they cannot be "
                             "transposed with respect to them.")
        if ad.is_undefined_primal(x):
            if event:
                raise ValueError("an event product is not linear in its spikes")
            if type(ct) is ad.Zero:
                return None, None, ad.Zero(x.aval)
            ct_x = prim_getter().bind(data, indices, ct, shape=shape, transpose=not transpose,
                                      event=False, backend=backend)
            return None, None, ct_x.astype(x.aval.dtype)
        if type(ct) is ad.Zero:
            return ad.Zero(data.aval), None, None
        ct_data = fcn_data_cotangent(ct, indices, x, data_shape=data.aval.shape,
                                     transpose=transpose, event=event)
        return ct_data.astype(data.aval.dtype), None, None

    return data_jvp, x_jvp, transpose_rule


# ---------------------------------------------------------------------------
# declarations (a vmapped operand becomes columns of the matrix-matrix product)
# ---------------------------------------------------------------------------

fcnmv_p, fcnmm_p = declare_products(
    ("fcnmv", "fcnmv_kernel"), ("fcnmm", "fcnmm_kernel"),
    abstract_eval=_abstract_eval, reference=_reference, numba_call=_numba_call,
    make_rules=_make_rules, n_structure=1)


def fcn_product(data, indices, x, *, shape, transpose, event, backend):
    """Bind ``fcnmv_p`` or ``fcnmm_p`` (by ``x.ndim``) on validated, unit-free arrays.

    ``data`` is ``(m, n_conn)`` or ``(1,)``; ``indices`` is ``(m, n_conn)``.
    """
    prim = fcnmv_p if x.ndim == 1 else fcnmm_p
    return prim.bind(data, indices, x, shape=tuple(shape), transpose=bool(transpose),
                     event=bool(event), backend=backend)
