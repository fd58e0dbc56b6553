"""Row loops of the numba products with a matrix operand ``x`` (k, b).

The pieces they share with the vector loops (row spans, index checks, weights)
are those of :mod:`~sparsecore.kernels._loops`; the JITC matrix kernels use
:func:`add_row` and :func:`any_active` too.
"""
import numba

from ._loops import (_FOUR, _ONE, _THREE, _TWO, event_words, next_active, pick, prefetch_row,
                     row_outside, row_span, rows_begin, weight_at)
from ._njit_cache import njit_without_refcounts as njit


@njit
def any_active(x, i):
    """Whether row ``i`` of the spike matrix ``x`` holds an event (an entry > 0)."""
    for c in range(x.shape[1]):
        if x[i, c] > 0:
            return True
    return False


@njit(inline="always")
def add_row(out, dst, x, src, w, event):
    """``out[dst, :] += w * x[src, :]``; with ``event``, ``w`` where ``x[src, c] > 0``.

    Inlined into each entry of the matrix loops (a call per entry cost more than a
    short row), with unsigned row and column offsets (no wraparound per access).
    """
    d = numba.uint64(dst)
    s = numba.uint64(src)
    for c in range(numba.uint64(x.shape[1])):
        if event:
            if x[s, c] > 0:
                out[d, c] += w
        else:
            out[d, c] += w * x[s, c]


@njit
def rows_mm(data, indices, indptr, windex, width, n_rows, x, out, transpose, event, homo,
            indexed):
    """As :func:`rows_mv` for a matrix operand ``x`` (k, b) (columns independent).

    Each row's indices are checked by a vectorised maximum before any of the row
    is read or written.  Gathers add four entries per pass over the output row
    (:func:`gather_four_rows`); a transposed event product visits the rows
    holding an event only (:func:`scatter_event_rows`), so its work follows the
    events.
    """
    nnz = indices.shape[0]
    n_x, n_out, n_data, ok = rows_begin(data, indices, indptr, x, out, width, indexed)
    if not ok:
        return 1
    if transpose and event:
        return 1 if scatter_event_rows(data, indices, indptr, windex, width, n_rows, x, out,
                                       n_out, n_data, homo, indexed) else 0
    limit = n_out if transpose else n_x
    for i in range(n_rows):
        start, stop, ok = row_span(indptr, width, i, nnz)
        if not ok or row_outside(indices, windex, start, stop, limit, n_data, homo, indexed):
            return 1
        if not transpose:
            start = gather_four_rows(data, indices, windex, start, stop, x, out, i, homo,
                                     indexed, event)
        for k in range(start, stop):  # a gather's last entries, or a float scatter's
            j = numba.uint64(numba.int64(indices[k]))
            w = weight_at(data, windex, k, homo, indexed)
            if transpose:
                add_row(out, j, x, i, w, event)
            else:
                add_row(out, i, x, j, w, event)
    return 0


@njit(inline="always")
def gather_four_rows(data, indices, windex, start, stop, x, out, i, homo, indexed, event):
    """``out[i, :] += w_k x[indices[k], :]`` (with ``event``, ``w_k`` where
    ``x[indices[k], c] > 0``) four checked entries at a time, from ``start``; the
    offset of the first entry left (fewer than four).

    One pass over ``out[i, :]`` per four entries instead of one per entry: each
    pass loads and stores the row, a chain of dependent adds through memory.
    Events add through a select, as in :func:`gather_block`.
    """
    n_cols = numba.uint64(x.shape[1])
    if n_cols == 0:
        return stop
    d = numba.uint64(i)
    zero = out[d, 0]  # cleared and not yet added to: the zero of the output's dtype
    n4 = start + (stop - start) // _FOUR * _FOUR
    for k in range(start, n4, _FOUR):
        j0 = numba.uint64(numba.int64(indices[k]))
        j1 = numba.uint64(numba.int64(indices[k + _ONE]))
        j2 = numba.uint64(numba.int64(indices[k + _TWO]))
        j3 = numba.uint64(numba.int64(indices[k + _THREE]))
        w0 = weight_at(data, windex, k, homo, indexed)
        w1 = weight_at(data, windex, k + _ONE, homo, indexed)
        w2 = weight_at(data, windex, k + _TWO, homo, indexed)
        w3 = weight_at(data, windex, k + _THREE, homo, indexed)
        for c in range(n_cols):
            if event:
                out[d, c] += ((pick(x[j0, c] > 0, w0, zero) + pick(x[j1, c] > 0, w1, zero))
                              + (pick(x[j2, c] > 0, w2, zero) + pick(x[j3, c] > 0, w3, zero)))
            else:
                out[d, c] += (w0 * x[j0, c] + w1 * x[j1, c]) + (w2 * x[j2, c] + w3 * x[j3, c])
    return n4


@njit
def scatter_event_rows(data, indices, indptr, windex, width, n_rows, x, out, n_out, n_data, homo,
                       indexed):
    """``out += A.T @ x`` for spikes ``x`` (k, b), over the rows of ``x`` holding an event
    only; True on a bad index.

    As :func:`~sparsecore.kernels._loops.scatter_events` for a vector: the
    events are found eight bools per load, in ``x`` read as one run of ``k * b``
    (:func:`~sparsecore.kernels._loops.next_active`), and the next active row's
    entries are prefetched while the current one is added.  Testing every row's
    ``b`` spikes in turn, without prefetches, was 1.5-1.8x slower at 1% firing
    (CSR 100 entries per row, 8 columns: 194 against 132 us at n = 10^4, 4.7
    against 2.9 ms at 10^5).
    """
    n_cols = x.shape[1]
    if n_cols == 0:
        return False
    nnz = indices.shape[0]
    flat = x.reshape(-1)  # C-contiguous: a view
    n_flat = flat.shape[0]
    words = event_words(flat, n_flat)
    i = next_active(flat, words, 0, n_flat) // n_cols  # n_flat // n_cols is past the rows
    while i < n_rows:
        following = next_active(flat, words, (i + 1) * n_cols, n_flat) // n_cols
        if following < n_rows:
            prefetch_row(data, indices, indptr, windex, width, following, nnz, homo, indexed)
        start, stop, ok = row_span(indptr, width, i, nnz)
        if not ok or row_outside(indices, windex, start, stop, n_out, n_data, homo, indexed):
            return True
        scatter_active_columns(data, indices, windex, start, stop, x, out, i, homo, indexed)
        i = following
    return False


@njit(inline="always")
def scatter_active_columns(data, indices, windex, start, stop, x, out, i, homo, indexed):
    """``out[indices[k], c] += w_k`` for the checked entries of row ``i`` and each column
    ``c`` with an event in ``x[i, c]``.

    Column by column: an entry costs one add per event, with no branch per
    entry (walking each entry through the word of the row's events by trailing
    zeros mispredicted, and ran 1.1-1.2x slower at 1% firing).
    """
    s = numba.uint64(i)
    for c in range(numba.uint64(x.shape[1])):
        if x[s, c] > 0:
            for k in range(start, stop):
                out[numba.uint64(numba.int64(indices[k])), c] += weight_at(data, windex, k,
                                                                            homo, indexed)
