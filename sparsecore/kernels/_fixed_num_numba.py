"""Numba CPU kernels for the fixed-number-of-connections products.

One generic kernel per product shape (vector or matrix operand); the static
flags ``transpose``, ``event`` and ``homo`` are constants of each FFI handler,
typed as literals, so each combination compiles with its branches folded away.  ``indices`` is ``(m, n_conn)``;
``data`` is ``(m, n_conn)``, or ``(1, 1)`` when ``homo`` (one shared weight).

* ``transpose=False`` gathers: ``out[i] = sum_k w[i, k] x[indices[i, k]]``;
  with ``event`` each gathered input is tested and adds ``w`` when active.
* ``transpose=True`` scatters row ``i`` into ``out[indices[i, :]]``; with
  ``event`` rows whose input is inactive are skipped before their indices are
  read, so the work is active rows times ``n_conn``.

The row loops are those of the CSR kernels
(:func:`~sparsecore.kernels._loops.rows_mv`,
:func:`~sparsecore.kernels._matrix_loops.rows_mm`) over rows of fixed width
``n_conn`` of the flattened arrays.

Kernel protocol (see :mod:`sparsecore.kernels._ffi`): inputs, then outputs
(every element written), then flags; return 0, or 1 when an index points
outside the matrix.
"""
from ._loops import rows_mv
from ._matrix_loops import rows_mm
from ._njit_cache import njit_without_refcounts as njit


@njit
def _flat_rows(data, indices):
    """``(data, indices, indptr, width, n_rows)`` of the row loops: rows of width ``n_conn``."""
    flat = indices.reshape(indices.size)
    return data.reshape(data.size), flat, flat, indices.shape[1], indices.shape[0]


@njit
def fcnmv_kernel(data, indices, x, out, transpose, event, homo):
    """``out = A @ x`` (``A.T @ x`` when ``transpose``) for a vector ``x``."""
    d, ix, ptr, width, n_rows = _flat_rows(data, indices)  # ptr is not read
    return rows_mv(d, ix, ptr, ix, width, n_rows, x, out, transpose, event, homo, False)


@njit
def fcnmm_kernel(data, indices, x, out, transpose, event, homo):
    """``out = A @ x`` (``A.T @ x`` when ``transpose``) for a matrix ``x`` (k, b)."""
    d, ix, ptr, width, n_rows = _flat_rows(data, indices)
    return rows_mm(d, ix, ptr, ix, width, n_rows, x, out, transpose, event, homo, False)
