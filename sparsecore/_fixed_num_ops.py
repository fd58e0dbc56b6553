"""Functional fixed-number products: ``fcnmv``, ``fcnmm``, ``binary_fcnmv``, ``binary_fcnmm``.

All four take FixedPostNumConn's layout: ``indices`` of shape
``(shape[0], n_conn)`` holds column indices, row ``i`` storing
``A[i, indices[i, k]] = data[i, k]``.  Each validates its arguments, splits
units once, binds one primitive of :mod:`sparsecore.kernels.fixed_num` and
re-attaches ``unit(data) * unit(operand)`` (``unit(data)`` for the binary ops,
whose operand only marks events).
"""
from __future__ import annotations

import jax.numpy as jnp

from . import _units, _validation as V
from ._csr_ops import prepare_operand
from .kernels._primitive import resolve_backend
from .kernels.fixed_num import fcn_product

__all__ = ["fcnmv", "fcnmm", "binary_fcnmv", "binary_fcnmm", "check_fcn_arrays",
           "fcn_dense_product"]


def check_fcn_arrays(data, indices, shape, *, where: str, full: bool = True,
                     per: str = "row"):
    """Validate fixed-number buffers for the row view ``shape`` = (rows, cols).

    ``indices`` must be a 2-D integer array with one row per matrix row;
    ``data`` is per-entry (``indices.shape``) or homogeneous (scalar or (1,),
    returned as (1,)).  ``per`` names what one row of ``indices`` belongs to
    in messages (FixedPreNumConn stores one row per column).
    """
    shape = V.check_shape(shape, where=where)
    data = V.as_values(data, name="data", where=where)
    indices = V.as_index_array(indices, name="indices", where=where, ndim=2)
    if indices.shape[0] != shape[0]:
        raise ValueError(f"{where}: indices must have one row per {per}, i.e. shape "
                         f"({shape[0]}, n_conn), got shape {tuple(indices.shape)}.")
    if data.ndim == 0:
        data = data.reshape(1)
    if not (data.shape == (1,) or tuple(data.shape) == tuple(indices.shape)):
        raise ValueError(f"{where}: data must have one value per stored entry "
                         f"{tuple(indices.shape)} (the shape of indices) or be a scalar / "
                         f"shape-(1,) homogeneous weight, got shape {tuple(data.shape)}.")
    if full:
        V.check_bounds(indices, shape[1], name="indices", where=where)
    return data, indices, shape


def fcn_dense_product(data, indices, x, *, shape, transpose, event, backend, where):
    """Units, dtype promotion and backend choice around one fixed-number primitive."""
    data, data_unit = _units.split(data)
    x, x_unit = _units.split(x)
    data = jnp.asarray(data)
    x = prepare_operand(x, data.dtype, length=shape[0] if transpose else shape[1], event=event,
                        where=where, name="operand")
    if not event:
        dtype = jnp.result_type(data.dtype, x.dtype)
        data, x = data.astype(dtype), x.astype(dtype)
    backend = resolve_backend(backend, data.dtype, op=where)
    out = fcn_product(data, indices, x, shape=shape, transpose=transpose, event=event,
                      backend=backend)
    unit = data_unit if event else _units.multiply_units(data_unit, x_unit)
    return _units.attach(out, unit)


def _functional(name: str, event: bool, ndim: int):
    def op(data, indices, operand, *, shape, transpose=False, backend=None):
        data_m, data_unit = _units.split(data)
        data_m, indices, shape = check_fcn_arrays(data_m, indices, shape, where=name)
        operand_m, _ = _units.split(operand)
        if jnp.ndim(operand_m) != ndim:
            other = name.replace("mv", "mm") if ndim == 1 else name.replace("mm", "mv")
            raise ValueError(f"{name}: operand must be {ndim}-D, got shape "
                             f"{tuple(jnp.shape(operand_m))}; use {other} for "
                             f"{3 - ndim}-D operands.")
        if data_unit is not None:
            data_m = _units.attach(data_m, data_unit)
        return fcn_dense_product(data_m, indices, operand, shape=shape, transpose=transpose,
                                 event=event, backend=backend, where=name)
    op.__name__ = op.__qualname__ = name
    return op


fcnmv = _functional("fcnmv", event=False, ndim=1)
fcnmv.__doc__ = """Fixed-number matrix times dense vector: ``A @ v`` (``A.T @ v`` if ``transpose``).

Parameters
----------
data : array or Quantity
    One value per stored entry, shape ``(shape[0], n_conn)``, or a scalar /
    shape-``(1,)`` weight shared by all entries.
indices : integer array
    Shape ``(shape[0], n_conn)``: row ``i`` stores ``A[i, indices[i, k]] =
    data[i, k]``.  Repeated columns in one row sum.
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
>>> data, indices = jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])
>>> sc.fcnmv(data, indices, jnp.array([1., 1., 1.]), shape=(2, 3))
Array([3., 7.], dtype=float32)
>>> sc.fcnmv(data, indices, jnp.array([1., 1.]), shape=(2, 3), transpose=True)
Array([1., 3., 6.], dtype=float32)
"""

fcnmm = _functional("fcnmm", event=False, ndim=2)
fcnmm.__doc__ = """Fixed-number matrix times dense matrix: ``A @ B`` (``A.T @ B`` if ``transpose``).

Same parameters as :func:`fcnmv`, with ``operand`` of shape ``(shape[1], b)``
(``(shape[0], b)`` when transposed); the result has ``b`` columns.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices = jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])
>>> sc.fcnmm(data, indices, jnp.ones((3, 2)), shape=(2, 3))
Array([[3., 3.],
       [7., 7.]], dtype=float32)
"""

binary_fcnmv = _functional("binary_fcnmv", event=True, ndim=1)
binary_fcnmv.__doc__ = """Event-driven ``A @ s`` (``A.T @ s`` if ``transpose``) for a spike vector.

``operand`` marks events: True entries of a bool array, entries > 0 of a
float array.  Each active input adds the stored weights of its entries; no
multiply.  ``A @ s`` tests the spikes while gathering each row;
``transpose=True`` (``s @ A``) visits the rows of active inputs only, so its
cost is active rows times ``n_conn``.  The result carries ``unit(data)``.
Other parameters as in :func:`fcnmv`.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices = jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])
>>> sc.binary_fcnmv(data, indices, jnp.array([True, False]), shape=(2, 3), transpose=True)
Array([1., 0., 2.], dtype=float32)
>>> sc.binary_fcnmv(1.5, indices, jnp.array([False, True, True]), shape=(2, 3))
Array([1.5, 3. ], dtype=float32)
"""

binary_fcnmm = _functional("binary_fcnmm", event=True, ndim=2)
binary_fcnmm.__doc__ = """Event-driven ``A @ S`` for a matrix of spikes (one column per batch).

Same conventions as :func:`binary_fcnmv`.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices = jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])
>>> sc.binary_fcnmm(data, indices, jnp.array([[True, False], [False, False], [True, True]]),
...                 shape=(2, 3))
Array([[3., 2.],
       [4., 4.]], dtype=float32)
"""
