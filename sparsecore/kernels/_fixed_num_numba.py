"""Numba CPU kernels for the fixed-number-of-connections products.

One generic kernel per product shape (vector or matrix operand); the static
flags ``transpose``, ``event`` and ``homo`` are constants of each FFI handler,
so LLVM folds the branches on them away.  ``indices`` is ``(m, n_conn)``;
``data`` is ``(m, n_conn)``, or ``(1, 1)`` when ``homo`` (one shared weight).

* ``transpose=False`` gathers: ``out[i] = sum_k w[i, k] x[indices[i, k]]``;
  with ``event`` each gathered input is tested and adds ``w`` when active.
* ``transpose=True`` scatters row ``i`` into ``out[indices[i, :]]``; with
  ``event`` rows whose input is inactive are skipped before their indices are
  read, so the work is active rows times ``n_conn``.

Every index is checked before it is used.  Scatters read indices as unsigned
integers (one comparison, no negative-index wraparound code).  The event
gather adds its weight through a select rather than a branch: on the CPUs
measured that ran faster than a branch or unsigned clamped indices.  The
kernels are inlined into their handlers so the flags fold.

Kernel protocol (see :mod:`sparsecore.kernels._ffi`): inputs, then outputs
(every element written), then flags; return 0, or 1 when an index points
outside the matrix.
"""
import numba


@numba.njit(cache=True, inline="always")
def _weight(data, i, k, homo):
    if homo:
        return data[0, 0]
    return data[i, k]


@numba.njit(cache=True, inline="always")
def _checked(j, limit):
    """``j`` as an unsigned index clamped into ``[0, limit)``, and whether it was outside."""
    u = numba.uint64(numba.int64(j))
    bad = u >= limit
    return (numba.uint64(0) if bad else u), bad


@numba.njit(cache=True, inline="always")
def fcnmv_kernel(data, indices, x, out, transpose, event, homo):
    """``out = A @ x`` (``A.T @ x`` when ``transpose``) for a vector ``x``."""
    n_rows, n_conn = indices.shape
    n_x_signed = x.shape[0]
    n_out = numba.uint64(out.shape[0])
    for j in range(out.shape[0]):
        out[j] = 0
    if not transpose:
        for i in range(n_rows):
            acc = out[i]  # zeroed above; keeps the output dtype
            zero = acc
            for k in range(n_conn):
                j = indices[i, k]
                if j < 0 or j >= n_x_signed:
                    return 1
                if event:  # a select, not a branch: tested while gathering
                    acc += _weight(data, i, k, homo) if x[j] > 0 else zero
                else:
                    acc += _weight(data, i, k, homo) * x[j]
            out[i] = acc
    else:
        for i in range(n_rows):
            xi = x[i]
            if event and not xi > 0:
                continue
            for k in range(n_conn):
                j, bad_j = _checked(indices[i, k], n_out)
                if bad_j:
                    return 1  # a scatter must not write a clamped index
                w = _weight(data, i, k, homo)
                out[j] += w if event else w * xi
    return 0


@numba.njit(cache=True, inline="always")
def fcnmm_kernel(data, indices, x, out, transpose, event, homo):
    """``out = A @ x`` (``A.T @ x`` when ``transpose``) for a matrix ``x`` (k, b)."""
    n_rows, n_conn = indices.shape
    n_cols = x.shape[1]
    n_x = numba.uint64(x.shape[0])
    n_out = numba.uint64(out.shape[0])
    for j in range(out.shape[0]):
        for c in range(n_cols):
            out[j, c] = 0
    if n_rows > 0 and n_conn > 0 and (n_x == 0 or n_out == 0):
        return 1
    if not transpose:
        for i in range(n_rows):
            for k in range(n_conn):
                j, bad_j = _checked(indices[i, k], n_x)
                if bad_j:
                    return 1
                w = _weight(data, i, k, homo)
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
            for k in range(n_conn):
                j, bad_j = _checked(indices[i, k], n_out)
                if bad_j:
                    return 1
                w = _weight(data, i, k, homo)
                for c in range(n_cols):
                    if event:
                        if x[i, c] > 0:
                            out[j, c] += w
                    else:
                        out[j, c] += w * x[i, c]
    return 0
