"""Functional CSR products: ``csrmv``, ``csrmm``, ``binary_csrmv``, ``binary_csrmm``.

Each validates its arguments, splits units once, binds one primitive of
:mod:`sparsecore.kernels.csr` and re-attaches ``unit(data) * unit(operand)``
(``unit(data)`` for the binary ops, whose operand only marks events).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import _units, _validation as V
from .kernels._primitive import resolve_backend
from .kernels.csr import csr_product

__all__ = ["csrmv", "csrmm", "binary_csrmv", "binary_csrmm", "check_csr_arrays",
           "prepare_operand", "dense_product"]


def check_csr_arrays(data, indices, indptr, shape, *, where: str, full: bool = True):
    """Validate CSR buffers for ``shape`` = (rows, cols); returns normalised arrays.

    ``data`` may be per-entry (nnz,) or homogeneous (scalar or (1,)); it is
    returned with shape (nnz,) or (1,).
    """
    shape = V.check_shape(shape, where=where)
    data = V.as_values(data, name="data", where=where)
    indices = V.as_index_array(indices, name="indices", where=where)
    indptr = V.as_index_array(indptr, name="indptr", where=where)
    nnz = indices.shape[0]
    if indptr.shape[0] != shape[0] + 1:
        raise ValueError(f"{where}: indptr must have {shape[0] + 1} entries (one more than the "
                         f"{shape[0]} compressed rows of shape {shape}), got {indptr.shape[0]}.")
    if data.ndim == 0:
        data = data.reshape(1)
    if data.ndim != 1 or data.shape[0] not in (nnz, 1):
        raise ValueError(f"{where}: data must have one value per stored entry ({nnz},) or be a "
                         f"scalar / shape-(1,) homogeneous weight, got shape {tuple(data.shape)}.")
    if full:
        V.check_indptr(indptr, nnz, where=where)
        V.check_bounds(indices, shape[1], name="indices", where=where)
    return data, indices, indptr, shape


def prepare_operand(x, data_dtype, *, length: int, event: bool, where: str, name: str):
    """Check a dense operand (1-D or 2-D) against the contracted length; cast floats."""
    x = jnp.asarray(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"{where}: {name} must be a vector or a matrix, got shape "
                         f"{tuple(x.shape)}.")
    if x.shape[0] != length:
        raise ValueError(f"{where}: {name} has {x.shape[0]} rows but the product contracts over "
                         f"{length}; shapes do not match.")
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise TypeError(f"{where}: complex {name} is not supported; got {x.dtype}.")
    if event:
        return x
    if x.dtype == np.bool_ or jnp.issubdtype(x.dtype, jnp.integer):
        return x.astype(data_dtype)
    return x


def dense_product(data, indices, indptr, x, *, shape, transpose, event, backend, where):
    """Units, dtype promotion and backend choice around one CSR primitive."""
    data, data_unit = _units.split(data)
    x, x_unit = _units.split(x)
    data = jnp.asarray(data)
    x = prepare_operand(x, data.dtype, length=shape[0] if transpose else shape[1], event=event,
                        where=where, name="operand")
    if not event:
        dtype = jnp.result_type(data.dtype, x.dtype)
        data, x = data.astype(dtype), x.astype(dtype)
    backend = resolve_backend(backend, data.dtype, op=where)
    out = csr_product(data, indices, indptr, x, shape=shape, transpose=transpose, event=event,
                      backend=backend)
    unit = data_unit if event else _units.multiply_units(data_unit, x_unit)
    return _units.attach(out, unit)


def _functional(name: str, event: bool, ndim: int):
    def op(data, indices, indptr, operand, *, shape, transpose=False, backend=None):
        data_m, data_unit = _units.split(data)
        data_m, indices, indptr, shape = check_csr_arrays(data_m, indices, indptr, shape,
                                                          where=name)
        operand_m, _ = _units.split(operand)
        if jnp.ndim(operand_m) != ndim:
            raise ValueError(f"{name}: operand must be {ndim}-D, got shape "
                             f"{tuple(jnp.shape(operand_m))}; use "
                             f"{'csrmm' if ndim == 1 else 'csrmv'} for {3 - ndim}-D operands.")
        if data_unit is not None:
            data_m = _units.attach(data_m, data_unit)
        return dense_product(data_m, indices, indptr, operand, shape=shape, transpose=transpose,
                             event=event, backend=backend, where=name)
    op.__name__ = op.__qualname__ = name
    return op


csrmv = _functional("csrmv", event=False, ndim=1)
csrmv.__doc__ = """CSR matrix times dense vector: ``A @ v`` (``A.T @ v`` if ``transpose``).

Parameters
----------
data : array or Quantity
    One value per stored entry, shape ``(nnz,)``, or a scalar / shape-``(1,)``
    weight shared by all entries.
indices, indptr : integer arrays
    Column indices ``(nnz,)`` and row pointers ``(shape[0] + 1,)``.
operand : array or Quantity
    Shape ``(shape[1],)``, or ``(shape[0],)`` with ``transpose=True``.
shape : tuple of int
    ``(m, n)`` of the matrix ``A``.
transpose : bool
    Compute ``A.T @ v``.
backend : {None, "numba", "jax"}
    ``None`` picks numba on CPU and the pure-JAX reference elsewhere.

Returns
-------
array or Quantity
    Unit ``unit(data) * unit(operand)``.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices, indptr = jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])
>>> sc.csrmv(data, indices, indptr, jnp.array([1., 1., 1.]), shape=(2, 3))
Array([3., 3.], dtype=float32)
>>> sc.csrmv(data, indices, indptr, jnp.array([1., 1.]), shape=(2, 3), transpose=True)
Array([1., 3., 2.], dtype=float32)
"""

csrmm = _functional("csrmm", event=False, ndim=2)
csrmm.__doc__ = """CSR matrix times dense matrix: ``A @ B`` (``A.T @ B`` if ``transpose``).

Same parameters as :func:`csrmv`, with ``operand`` of shape ``(shape[1], k)``
(``(shape[0], k)`` when transposed); the result has ``k`` columns.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices, indptr = jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])
>>> sc.csrmm(data, indices, indptr, jnp.ones((3, 2)), shape=(2, 3))
Array([[3., 3.],
       [3., 3.]], dtype=float32)
"""

binary_csrmv = _functional("binary_csrmv", event=True, ndim=1)
binary_csrmv.__doc__ = """Event-driven ``A @ s`` (``A.T @ s`` if ``transpose``) for a spike vector.

``operand`` marks events: True entries of a bool array, entries > 0 of a
float array.  Each active input adds the stored weights of its entries; no
multiply.  With ``transpose=True`` only the rows of active inputs are visited,
so the cost is proportional to the active rows times their length.  The
result carries ``unit(data)``.  Other parameters as in :func:`csrmv`.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices, indptr = jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])
>>> sc.binary_csrmv(data, indices, indptr, jnp.array([True, False]), shape=(2, 3),
...                 transpose=True)
Array([1., 0., 2.], dtype=float32)
"""

binary_csrmm = _functional("binary_csrmm", event=True, ndim=2)
binary_csrmm.__doc__ = """Event-driven ``A @ S`` for a matrix of spikes (one column per batch).

Same conventions as :func:`binary_csrmv`.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices, indptr = jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])
>>> sc.binary_csrmm(data, indices, indptr, jnp.array([[1., 0.], [0., 0.], [1., 1.]]),
...                 shape=(2, 3))
Array([[3., 2.],
       [0., 0.]], dtype=float32)
"""
