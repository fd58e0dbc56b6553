"""Numba CPU kernels for the compressed-sparse-row products.

One generic kernel per product shape (vector or matrix operand).  The static
flags ``transpose``, ``event`` and ``homo`` are constants of each FFI handler,
so LLVM folds the branches on them away.  Loops are plain scalar loops over
the stored indices: on the CPUs measured, ``fastmath`` vectorised gathers ran
slower than this.

Kernel protocol (see :mod:`sparsecore.kernels._ffi`): inputs, then outputs
(every element written), then flags; return 0, or 1 when ``indices`` point
outside the matrix or ``indptr`` does not rise from 0 to nnz (checked once,
O(rows), before any row is read).
"""
import numba

from ._loops import add_row, any_active, begin, checked, indptr_ok


@numba.njit(cache=True, inline="always")
def _row_bounds(indptr, i):
    # indptr_ok has run: the range lies inside [0, nnz)
    return numba.uint64(indptr[i]), numba.uint64(indptr[i + 1])


@numba.njit(cache=True, inline="always")
def csrmv_kernel(data, indices, indptr, x, out, transpose, event, homo):
    """``out = A @ x`` (or ``A.T @ x``) for the CSR matrix ``A``.

    ``event``: ``x`` marks active inputs (True, or > 0) and each active input
    adds the stored weight, without a multiply.  Transposed products visit the
    rows of active inputs only.
    """
    n_rows = indptr.shape[0] - 1
    nnz = indices.shape[0]
    bad = False
    n_x, n_out, ok = begin(out, x, nnz > 0)
    if not (ok and indptr_ok(indptr, nnz)):
        return 1
    if not transpose:
        for i in range(n_rows):
            start, stop = _row_bounds(indptr, i)
            acc = out[i]  # zeroed above; keeps the output dtype
            for k in range(start, stop):
                j, bad_j = checked(indices[k], n_x)
                bad |= bad_j
                if event:
                    if x[j] > 0:
                        acc += data[0] if homo else data[k]
                else:
                    acc += (data[0] if homo else data[k]) * x[j]
            out[i] = acc
    else:
        for i in range(n_rows):
            xi = x[i]
            if event and not xi > 0:
                continue
            start, stop = _row_bounds(indptr, i)
            for k in range(start, stop):
                j, bad_j = checked(indices[k], n_out)
                if bad_j:
                    return 1  # a scatter must not write a clamped index
                w = data[0] if homo else data[k]
                out[j] += w if event else w * xi
    return 1 if bad else 0


@numba.njit(cache=True, inline="always")
def csrmm_kernel(data, indices, indptr, x, out, transpose, event, homo):
    """``out = A @ x`` (or ``A.T @ x``) for a dense matrix ``x`` (k, b)."""
    n_rows = indptr.shape[0] - 1
    nnz = indices.shape[0]
    n_x, n_out, ok = begin(out, x, nnz > 0)
    if not (ok and indptr_ok(indptr, nnz)):
        return 1
    if not transpose:
        for i in range(n_rows):
            start, stop = _row_bounds(indptr, i)
            for k in range(start, stop):
                j, bad_j = checked(indices[k], n_x)
                if bad_j:
                    return 1
                add_row(out, i, x, j, data[0] if homo else data[k], event)
    else:
        for i in range(n_rows):
            if event and not any_active(x, i):
                continue
            start, stop = _row_bounds(indptr, i)
            for k in range(start, stop):
                j, bad_j = checked(indices[k], n_out)
                if bad_j:
                    return 1
                add_row(out, j, x, i, data[0] if homo else data[k], event)
    return 0
