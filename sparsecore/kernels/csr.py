"""CSR matrix products: the primitives ``csrmv_p`` and ``csrmm_p``.

Both compute ``A @ x`` (or ``A.T @ x`` with ``transpose=True``) for the CSR
matrix ``A = (data, indices, indptr)`` of shape ``shape``; ``csrmv_p`` takes a
vector ``x``, ``csrmm_p`` a matrix whose columns are independent right-hand
sides.  Static parameters: ``shape``, ``transpose``, ``event`` (``x`` marks
active inputs: True or > 0, and each adds its stored weight) and ``backend``.
``data`` holds one value per stored entry, or one value shared by all
(shape ``(1,)``: homogeneous weights).  Duplicate entries sum.

Inputs here are unit-free, validated arrays; see :mod:`sparsecore._csr_ops`
for the public functions.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.interpreters import ad

from . import _ffi
from ._primitive import declare_products

__all__ = ["csrmv_p", "csrmm_p", "csr_row_indices", "csr_product", "csr_data_cotangent"]


def csr_row_indices(indptr, nnz: int):
    """Row index of every stored entry (``indptr`` expanded), usable under jit."""
    n_rows = indptr.shape[0] - 1
    counts = jnp.diff(indptr)
    return jnp.repeat(jnp.arange(n_rows, dtype=indptr.dtype), counts, total_repeat_length=nnz)


def _is_homo(data, indices) -> bool:
    return data.shape[0] == 1 and indices.shape[0] != 1


def _out_length(shape, transpose):
    return shape[1] if transpose else shape[0]


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
    gathered = _active(gathered, data.dtype) if event else gathered.astype(data.dtype)
    weights = values.reshape((nnz,) + (1,) * (x.ndim - 1))
    return jax.ops.segment_sum(weights * gathered, target,
                               num_segments=_out_length(shape, transpose))


def _abstract_eval(data, indices, indptr, x, *, shape, transpose, event, backend):
    out_shape = (_out_length(shape, transpose),) + tuple(x.shape[1:])
    return jax.core.ShapedArray(out_shape, data.dtype)


def _numba_call(kernel_name):
    def call(data, indices, indptr, x, *, shape, transpose, event):
        from . import _csr_numba
        kernel = getattr(_csr_numba, kernel_name)
        args = [_ffi.ArraySpec.of(a.aval) for a in (data, indices, indptr, x)]
        out = jax.ShapeDtypeStruct((_out_length(shape, transpose),) + x.shape[1:], data.dtype)
        target = _ffi.ffi_target(
            kernel, args, [_ffi.ArraySpec.of(out)],
            (bool(transpose), bool(event), _is_homo(data, indices)),
            # no shape in the message: it is part of the handler's identity, and one
            # handler must serve every shape
            error=f"sparsecore {kernel_name[:-7]}: indices or indptr point outside the "
                  f"matrix; check them, e.g. by constructing the matrix outside jit")
        return jax.ffi.ffi_call(target, out)(data, indices, indptr, x)
    return call


# ---------------------------------------------------------------------------
# differentiation
# ---------------------------------------------------------------------------

def csr_data_cotangent(ct, indices, indptr, x, *, data_shape, transpose, event):
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


def _make_rules(prim_getter):
    def data_jvp(data_dot, data, indices, indptr, x, **params):
        return prim_getter().bind(data_dot, indices, indptr, x, **params)

    def x_jvp(x_dot, data, indices, indptr, x, *, event, **params):
        if event:  # a step function of x: zero derivative almost everywhere
            return ad_zeros(data, x, params["shape"], params["transpose"])
        return prim_getter().bind(data, indices, indptr, x_dot.astype(data.dtype), event=False,
                                  **params)

    def transpose_rule(ct, data, indices, indptr, x, *, shape, transpose, event, backend):
        if ad.is_undefined_primal(indices) or ad.is_undefined_primal(indptr):
            raise ValueError("csr products are not linear in indices or indptr; they cannot be "
                             "transposed with respect to them.")
        if ad.is_undefined_primal(x):
            if event:
                raise ValueError("an event product is not linear in its spikes")
            if type(ct) is ad.Zero:
                return None, None, None, ad.Zero(x.aval)
            ct_x = prim_getter().bind(data, indices, indptr, ct, shape=shape,
                                      transpose=not transpose, event=False, backend=backend)
            return None, None, None, ct_x.astype(x.aval.dtype)
        if type(ct) is ad.Zero:
            return ad.Zero(data.aval), None, None, None
        ct_data = csr_data_cotangent(ct, indices, indptr, x, data_shape=data.aval.shape,
                                     transpose=transpose, event=event)
        return ct_data.astype(data.aval.dtype), None, None, None

    return data_jvp, x_jvp, transpose_rule


def ad_zeros(data, x, shape, transpose):
    return jnp.zeros((_out_length(shape, transpose),) + x.shape[1:], data.dtype)


# ---------------------------------------------------------------------------
# declarations (a vmapped operand becomes columns of the matrix-matrix product)
# ---------------------------------------------------------------------------

csrmv_p, csrmm_p = declare_products(
    ("csrmv", "csrmv_kernel"), ("csrmm", "csrmm_kernel"),
    abstract_eval=_abstract_eval, reference=_reference, numba_call=_numba_call,
    make_rules=_make_rules, n_structure=2)


def csr_product(data, indices, indptr, x, *, shape, transpose, event, backend):
    """Bind ``csrmv_p`` or ``csrmm_p`` (by ``x.ndim``) on validated, unit-free arrays."""
    prim = csrmv_p if x.ndim == 1 else csrmm_p
    return prim.bind(data, indices, indptr, x, shape=tuple(shape), transpose=bool(transpose),
                     event=bool(event), backend=backend)
