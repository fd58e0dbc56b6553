"""Numba CPU kernels for the compressed-sparse-row products.

One generic kernel per product shape (vector or matrix operand).  The static
flags ``transpose``, ``event`` and ``homo`` are constants of each FFI handler,
so LLVM folds the branches on them away.  Loops are plain scalar loops over
the stored indices: on the CPUs measured, ``fastmath`` vectorised gathers ran
slower than this.

Kernel protocol (see :mod:`sparsecore.kernels._ffi`): inputs, then outputs
(every element written), then flags; return 0, or 1 when ``indices`` or
``indptr`` point outside the matrix.
"""
import numba


@numba.njit(cache=True, inline="always")
def _row_bounds(indptr, i, nnz):
    start = indptr[i]
    stop = indptr[i + 1]
    ok = 0 <= start and stop <= nnz
    return numba.uint64(start), numba.uint64(stop), ok


@numba.njit(cache=True, inline="always")
def _checked(j, limit):
    """``j`` as an unsigned index clamped into ``[0, limit)``, and whether it was outside.

    Unsigned indices spare numba's negative-index wraparound; clamping instead
    of branching keeps the inner loops branch-free (callers report the flag
    after the loop).  ``limit`` must be positive.
    """
    u = numba.uint64(numba.int64(j))
    bad = u >= limit
    return (numba.uint64(0) if bad else u), bad


@numba.njit(cache=True, inline="always")
def csrmv_kernel(data, indices, indptr, x, out, transpose, event, homo):
    """``out = A @ x`` (or ``A.T @ x``) for the CSR matrix ``A``.

    ``event``: ``x`` marks active inputs (True, or > 0) and each active input
    adds the stored weight, without a multiply.  Transposed products visit the
    rows of active inputs only.
    """
    n_rows = indptr.shape[0] - 1
    nnz = indices.shape[0]
    n_x = numba.uint64(x.shape[0])
    n_out = numba.uint64(out.shape[0])
    bad = False
    for j in range(out.shape[0]):
        out[j] = 0
    if nnz > 0 and (n_x == 0 or n_out == 0):
        return 1  # entries exist but there is nothing they could index
    if not transpose:
        for i in range(n_rows):
            start, stop, ok = _row_bounds(indptr, i, nnz)
            if not ok:
                return 1
            acc = out[i]  # zeroed above; keeps the output dtype
            for k in range(start, stop):
                j, bad_j = _checked(indices[k], n_x)
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
            start, stop, ok = _row_bounds(indptr, i, nnz)
            if not ok:
                return 1
            for k in range(start, stop):
                j, bad_j = _checked(indices[k], n_out)
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
    n_cols = x.shape[1]
    n_x = numba.uint64(x.shape[0])
    n_out = numba.uint64(out.shape[0])
    for j in range(out.shape[0]):
        for c in range(n_cols):
            out[j, c] = 0
    if nnz > 0 and (n_x == 0 or n_out == 0):
        return 1  # entries exist but there is nothing they could index
    if not transpose:
        for i in range(n_rows):
            start, stop, ok = _row_bounds(indptr, i, nnz)
            if not ok:
                return 1
            for k in range(start, stop):
                j, bad_j = _checked(indices[k], n_x)
                if bad_j:
                    return 1
                w = data[0] if homo else data[k]
                for c in range(n_cols):
                    if event:
                        if x[j, c] > 0:
                            out[i, c] += w
                    else:
                        out[i, c] += w * x[j, c]
    else:
        for i in range(n_rows):
            if event:
                any_active = False
                for c in range(n_cols):
                    if x[i, c] > 0:
                        any_active = True
                        break
                if not any_active:
                    continue
            start, stop, ok = _row_bounds(indptr, i, nnz)
            if not ok:
                return 1
            for k in range(start, stop):
                j, bad_j = _checked(indices[k], n_out)
                if bad_j:
                    return 1
                w = data[0] if homo else data[k]
                for c in range(n_cols):
                    if event:
                        if x[i, c] > 0:
                            out[j, c] += w
                    else:
                        out[j, c] += w * x[i, c]
    return 0
