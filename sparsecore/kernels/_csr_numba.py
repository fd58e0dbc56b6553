"""Numba CPU kernels for the compressed-sparse-row products.

The row loops are :func:`~sparsecore.kernels._loops.rows_mv` and
:func:`~sparsecore.kernels._matrix_loops.rows_mm`, shared with the fixed-number
kernels.  The static flags ``transpose``, ``event`` and ``homo`` are constants
of each FFI handler, typed as literals, so each combination compiles with its
branches folded away.

Kernel protocol (see :mod:`sparsecore.kernels._ffi`): inputs, then outputs
(every element written), then flags; return 0, or 1 when ``indices`` point
outside the matrix or ``indptr`` does not rise from 0 to nnz (checked once,
O(rows), before any row is read).

The ``indexed`` kernels run over a transposed index (the mirror structure of
``with_column_index``): the weights stay where the matrix stores them and
entry ``k`` reads ``data[windex[k]]``.
"""
from ._loops import rows_mv
from ._matrix_loops import rows_mm
from ._njit_cache import njit_without_refcounts as njit


@njit
def csrmv_kernel(data, indices, indptr, x, out, transpose, event, homo):
    """``out = A @ x`` (or ``A.T @ x``) for the CSR matrix ``A`` and a vector ``x``.

    ``event``: ``x`` marks active inputs (True, or > 0) and each active input
    adds the stored weight, without a multiply.  Transposed products visit the
    rows of active inputs only.
    """
    return rows_mv(data, indices, indptr, indices, -1, indptr.shape[0] - 1, x, out, transpose,
                   event, homo, False)


@njit
def csrmm_kernel(data, indices, indptr, x, out, transpose, event, homo):
    """``out = A @ x`` (or ``A.T @ x``) for a dense matrix ``x`` (k, b)."""
    return rows_mm(data, indices, indptr, indices, -1, indptr.shape[0] - 1, x, out, transpose,
                   event, homo, False)


@njit
def csrmv_indexed_kernel(data, indices, indptr, windex, x, out, transpose, event, homo):
    """As :func:`csrmv_kernel` with entry ``k`` weighing ``data[windex[k]]`` (a transposed index)."""
    return rows_mv(data, indices, indptr, windex, -1, indptr.shape[0] - 1, x, out, transpose,
                   event, homo, True)


@njit
def csrmm_indexed_kernel(data, indices, indptr, windex, x, out, transpose, event, homo):
    """As :func:`csrmm_kernel` with entry ``k`` weighing ``data[windex[k]]``."""
    return rows_mm(data, indices, indptr, windex, -1, indptr.shape[0] - 1, x, out, transpose,
                   event, homo, True)
