"""Numba CPU kernels for the spike-triggered weight updates and ``csrmv_yw2y``.

The update kernels receive the weight buffer twice: as input 0 and as the
output, which XLA aliases to it (``input_output_aliases={0: 0}``).  They
therefore write only the entries they update; every other entry already holds
its old value.  With the weight buffer donated the call touches only the
entries of spiking neurons: cost proportional to spikes x connections per
spiking neuron, not to ``nnz``.

Kernel protocol (see :mod:`sparsecore.kernels._ffi`): inputs, then outputs,
then static flags; return 0, or 1 when an index points outside a buffer or
``indptr`` does not rise from 0 to nnz over the rows an update visits.
Clipping follows NumPy's ``clip``: a NaN weight, trace or bound gives NaN.
"""
import numpy as np

from ._njit_cache import njit


@njit(inline="always")
def _nan_pad(lo, hi, lo_array):
    """0 in the weights' dtype, or NaN when a bound is NaN: what :func:`_clip` subtracts.

    A loop-invariant scalar instead of a branch per entry (which cost an on-post
    update at 1e4 neurons, 1%/1%, about 3 us of 33).
    """
    if lo == lo and hi == hi:
        return np.zeros_like(lo_array)[0]
    return lo + hi


@njit(inline="always")
def _clip(v, lo, hi, pad):
    """NumPy's ``clip``: NaN when ``v`` or a bound is NaN (``pad`` from :func:`_nan_pad`).

    min/max compile to branch-free minss/maxss, which pass a NaN ``v`` through
    but drop a NaN bound, which ``pad`` puts back; subtracting +0 keeps every
    other value (the sign of -0 included).  Compare-and-branch clipping ran
    ~1.4x slower here (weights pile up at the bounds, so those branches mispredict).
    """
    return min(max(v, lo), hi) - pad


@njit
def compressed_update_kernel(weight, indices, indptr, weight_indices, spike, trace, lo, hi,
                             out, indirect):
    """For each compressed row ``i`` with ``spike[i]``: ``w[p] = clip(w[p] + trace[indices[k]])``.

    ``p`` is ``k`` itself, or ``weight_indices[k]`` when ``indirect`` (the
    row-compressed structure is a mirror of the layout ``weight`` is stored in).
    """
    n_rows = indptr.shape[0] - 1
    nnz = indices.shape[0]
    n_trace = trace.shape[0]
    n_w = out.shape[0]
    w_lo = lo[0]
    w_hi = hi[0]
    pad = _nan_pad(w_lo, w_hi, lo)
    if n_rows < 0 or indptr[0] != 0 or indptr[n_rows] != nnz:
        return 1
    # Only the rows of spiking neurons are checked, in O(spikes): each lies within
    # [0, nnz] and after the one before, so no entry is updated twice.  A full
    # O(rows) scan of indptr cost 3-4 us per update at 1e4 neurons (0.5 us alone,
    # with indptr in cache); the other rows' pointers do not enter the result.
    previous_stop = 0
    for i in range(n_rows):
        if not spike[i]:
            continue
        start = indptr[i]
        stop = indptr[i + 1]
        if start < 0 or start < previous_stop or start > stop or stop > nnz:
            return 1  # start >= 0 also lets LLVM drop negative-index wraparound below
        previous_stop = stop
        for k in range(start, stop):
            j = indices[k]
            if j < 0 or j >= n_trace:
                return 1
            p = k
            if indirect:
                p = weight_indices[k]
                if p < 0 or p >= n_w:
                    return 1
            elif p >= n_w:
                return 1
            out[p] = _clip(out[p] + trace[j], w_lo, w_hi, pad)
    return 0


@njit
def dense_update_kernel(weight, spike, trace, lo, hi, out, axis):
    """Dense ``(m, n)`` weights: rows (``axis == 0``) or columns (1) of spiking neurons.

    ``axis == 0``: ``W[i, :] = clip(W[i, :] + trace)`` for each ``spike[i]``;
    ``axis == 1``: ``W[:, j] = clip(W[:, j] + trace)`` for each ``spike[j]``.
    """
    m, n = out.shape
    w_lo = lo[0]
    w_hi = hi[0]
    pad = _nan_pad(w_lo, w_hi, lo)
    if axis == 0:
        for i in range(m):
            if spike[i]:
                for j in range(n):
                    out[i, j] = _clip(out[i, j] + trace[j], w_lo, w_hi, pad)
    else:
        for i in range(m):
            t = trace[i]
            for j in range(n):
                if spike[j]:
                    out[i, j] = _clip(out[i, j] + t, w_lo, w_hi, pad)
    return 0


@njit
def yw2y_kernel(y, w, indices, indptr, out, transpose):
    """``out[k] = w[k] * y[row(k)]`` (``y[indices[k]]`` when ``transpose``)."""
    n_rows = indptr.shape[0] - 1
    nnz = indices.shape[0]
    n_y = y.shape[0]
    if indptr[0] != 0 or indptr[n_rows] != nnz:
        return 1  # every output entry must be written exactly once
    for i in range(n_rows):
        start = indptr[i]
        stop = indptr[i + 1]
        if start > stop or stop > nnz:
            return 1
        if transpose:
            for k in range(start, stop):
                j = indices[k]
                if j < 0 or j >= n_y:
                    return 1
                out[k] = w[k] * y[j]
        else:
            yi = y[i]
            for k in range(start, stop):
                out[k] = w[k] * yi
    return 0
