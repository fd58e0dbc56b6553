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

Indices are read as unsigned integers (one comparison, no negative-index
wraparound code).  Gathers clamp an outside index and report it after the
loop; scatters refuse it before writing.  The float gather keeps four
independent partial sums (one add chain would bound it by the add latency);
the event gather branches on each spike, so only active inputs extend its add
chain.  The kernels are inlined into their handlers so the flags fold.

Kernel protocol (see :mod:`sparsecore.kernels._ffi`): inputs, then outputs
(every element written), then flags; return 0, or 1 when an index points
outside the matrix.
"""
import numba

from ._loops import add_row, any_active, begin, checked


@numba.njit(cache=True, inline="always")
def _weight(data, i, k, homo):
    if homo:
        return data[0, 0]
    return data[i, k]


@numba.njit(cache=True, inline="always")
def fcnmv_kernel(data, indices, x, out, transpose, event, homo):
    """``out = A @ x`` (``A.T @ x`` when ``transpose``) for a vector ``x``."""
    n_rows, n_conn = indices.shape
    n_x, n_out, ok = begin(out, x, n_rows > 0 and n_conn > 0)
    if not ok:
        return 1  # entries exist but there is nothing they could index
    bad = False
    if not transpose and event:
        for i in range(numba.uint64(n_rows)):  # unsigned: no wraparound code
            acc = out[i]  # zeroed above; keeps the output dtype
            for k in range(numba.uint64(n_conn)):
                j, bad_j = checked(indices[i, k], n_x)
                bad |= bad_j
                if x[j] > 0:  # a branch: only active inputs extend the add chain
                    acc += _weight(data, i, k, homo)
            out[i] = acc
    elif not transpose:
        n4 = n_conn - n_conn % 4
        for i in range(n_rows):
            a0 = out[i]  # zeroed above; keeps the output dtype
            a1 = a0
            a2 = a0
            a3 = a0
            for k in range(0, n4, 4):  # four independent add chains
                j0, b0 = checked(indices[i, k], n_x)
                j1, b1 = checked(indices[i, k + 1], n_x)
                j2, b2 = checked(indices[i, k + 2], n_x)
                j3, b3 = checked(indices[i, k + 3], n_x)
                bad |= b0 | b1 | b2 | b3
                a0 += _weight(data, i, k, homo) * x[j0]
                a1 += _weight(data, i, k + 1, homo) * x[j1]
                a2 += _weight(data, i, k + 2, homo) * x[j2]
                a3 += _weight(data, i, k + 3, homo) * x[j3]
            for k in range(n4, n_conn):
                j, bad_j = checked(indices[i, k], n_x)
                bad |= bad_j
                a0 += _weight(data, i, k, homo) * x[j]
            out[i] = (a0 + a1) + (a2 + a3)
    else:
        # unsigned loop counters: no negative-index wraparound code in the inner loop
        for i in range(numba.uint64(n_rows)):
            xi = x[i]
            if event and not xi > 0:
                continue
            for k in range(numba.uint64(n_conn)):
                j, bad_j = checked(indices[i, k], n_out)
                if bad_j:
                    return 1  # a scatter must not write a clamped index
                w = _weight(data, i, k, homo)
                out[j] += w if event else w * xi
    return 1 if bad else 0


@numba.njit(cache=True, inline="always")
def fcnmm_kernel(data, indices, x, out, transpose, event, homo):
    """``out = A @ x`` (``A.T @ x`` when ``transpose``) for a matrix ``x`` (k, b)."""
    n_rows, n_conn = indices.shape
    n_x, n_out, ok = begin(out, x, n_rows > 0 and n_conn > 0)
    if not ok:
        return 1  # entries exist but there is nothing they could index
    if not transpose:
        for i in range(n_rows):
            for k in range(n_conn):
                j, bad_j = checked(indices[i, k], n_x)
                if bad_j:
                    return 1
                add_row(out, i, x, j, _weight(data, i, k, homo), event)
    else:
        for i in range(numba.uint64(n_rows)):  # unsigned: no wraparound code
            if event and not any_active(x, i):
                continue
            for k in range(numba.uint64(n_conn)):
                j, bad_j = checked(indices[i, k], n_out)
                if bad_j:
                    return 1
                add_row(out, j, x, i, _weight(data, i, k, homo), event)
    return 0
