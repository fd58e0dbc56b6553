"""Inner-loop pieces shared by the numba kernels of every format.

A handler passes its static flags (``event``, ``homo``, ``width = -1``) as
constants, which numba types as literals: each function here is compiled once
per flag combination, with the branches on those flags folded away, and cached
on disk.  Only short helpers (the per-entry and per-row pieces of the loops),
the entry :func:`rows_mv` and the flat loop of small products are
``inline="always"``: inlining the block loops too copied them into every
handler and was most of a handler's compile time.  The row
loops call one function per block of rows, not per row: a call costs tens of
nanoseconds, as much as a short row.
"""
import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic, overload

from ._njit_cache import njit_without_refcounts as njit


@njit
def checked(j, limit):
    """``j`` as an unsigned index clamped into ``[0, limit)``, and whether it was outside.

    Unsigned indices spare numba's negative-index wraparound; clamping instead
    of branching keeps the inner loops branch-free (callers report the flag
    after the loop).  ``limit`` must be positive.
    """
    u = numba.uint64(numba.int64(j))
    bad = u >= limit
    return (numba.uint64(0) if bad else u), bad


@intrinsic
def pick(typingctx, cond, a, b):
    """``a if cond else b`` as an LLVM ``select`` marked unpredictable.

    Without the mark LLVM turns a select whose operand is a load back into a
    branch (to skip the load), and a branch on a spike mispredicts at low
    firing rates.
    """
    if not (isinstance(cond, types.Boolean) and a == b):
        return None

    def codegen(context, builder, signature, args):
        out = builder.select(args[0], args[1], args[2])
        out.set_metadata("unpredictable", builder.module.add_metadata([]))
        return out
    return a(cond, a, b), codegen


@intrinsic
def prefetch(typingctx, array, k):
    """Ask the CPU to bring element ``k`` of a 1-D ``array`` into cache; no result.

    A hint (LLVM's ``prefetch`` for a read, into every cache level): it never
    faults, so ``k`` needs no check.  The event scatter uses it to load the
    next active row while it adds the current one.
    """
    if not (isinstance(array, types.Array) and array.ndim == 1
            and isinstance(k, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, [args[1]],
                                           wraparound=False)
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        hint = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0")
        # read (0), keep in every level (3), data cache (1)
        builder.call(hint, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()
    return types.void(array, k), codegen


@njit
def clear(out):
    """Every element of ``out`` (1-D or 2-D) set to 0: kernels must write all of it."""
    out[:] = 0


@njit
def begin(out, x, has_entries):
    """Clear ``out``; ``(n_x, n_out, ok)`` as unsigned lengths for :func:`checked`.

    ``ok`` is False when entries exist but the operand or the output is empty:
    there is nothing their indices could address.
    """
    clear(out)
    n_x = numba.uint64(x.shape[0])
    n_out = numba.uint64(out.shape[0])
    return n_x, n_out, not (has_entries and (n_x == 0 or n_out == 0))


@njit
def indptr_ok(indptr, nnz):
    """Whether ``indptr`` rises from 0 to ``nnz`` without decreasing: O(rows) reads.

    Without it a decreasing pointer would silently drop a row, and one ending
    short of ``nnz`` would drop entries.
    """
    n = indptr.shape[0]
    if n == 0 or indptr[0] != 0 or indptr[n - 1] != nnz:
        return False
    ok = True
    for i in range(n - 1):
        ok &= indptr[i] <= indptr[i + 1]  # no early exit: the loop stays branch-free
    return ok


# ---------------------------------------------------------------------------
# Row-wise products, shared by the CSR and the fixed-number kernels.  Row ``i``
# holds the entries ``[indptr[i], indptr[i + 1])`` of the flat ``data`` and
# ``indices``; with ``width > 0`` (a fixed number of entries per row) it holds
# ``[i * width, (i + 1) * width)`` and ``indptr`` is not read.  ``width`` is
# -1 or ``indices.size`` over ``n_rows``, so a CSR call site's literal -1 folds
# the branch away.  ``homo``:
# ``data[0]`` is the weight of every entry.
# ---------------------------------------------------------------------------

# Unsigned offsets: ``k + 1`` with a plain 1 is signed, and numba then guards each
# access with a negative-index wraparound (a compare and a select per entry).
_ONE = numba.uint64(1)
_TWO = numba.uint64(2)
_THREE = numba.uint64(3)
_FOUR = numba.uint64(4)
_PER_LINE = 16  # 4-byte elements in a 64-byte cache line


@njit
def row_span(indptr, width, i, nnz):
    """``(start, stop, ok)`` of row ``i`` as unsigned offsets; ``ok`` False when outside."""
    if width >= 0:
        start = i * width
        return numba.uint64(start), numba.uint64(start + width), True
    start = indptr[i]
    stop = indptr[i + 1]
    return numba.uint64(start), numba.uint64(stop), 0 <= start and stop <= nnz


@njit
def _weight(data, windex, k, homo, indexed, n_data):
    """``(weight of entry k, bad)``; ``bad`` when an indexed position is outside ``data``."""
    if homo:
        return data[0], False
    if indexed:
        p, bad = checked(windex[k], n_data)
        return data[p], bad
    return data[k], False


@njit(inline="always")
def weight_at(data, windex, k, homo, indexed):
    """The weight of entry ``k`` whose position (when ``indexed``) is already checked."""
    if homo:
        return data[0]
    if indexed:
        return data[numba.uint64(numba.int64(windex[k]))]
    return data[k]


@njit(inline="always")
def row_max(indices, start, stop):
    """The largest of ``indices[start:stop]`` as unsigned (a negative index is huge); 0 when empty.

    A reduction without gathers, so LLVM vectorises it; it also brings the
    indices into cache for the gather or scatter that follows.  Inlined: a
    call per active row of an event scatter cost more than the check.
    """
    m = numba.uint64(0)
    for k in range(start, stop):
        m = max(m, numba.uint64(numba.int64(indices[k])))
    return m


@njit(inline="always")
def outside(indices, start, stop, limit):
    """Whether any of ``indices[start:stop]`` lies outside ``[0, limit)`` (False when empty)."""
    return stop > start and row_max(indices, start, stop) >= limit


@njit(inline="always")
def row_outside(indices, windex, start, stop, limit, n_data, homo, indexed):
    """Whether the entries ``[start, stop)`` hold an index outside ``[0, limit)`` or, when
    they read their weights through ``windex``, a position outside ``data``.

    A homogeneous product reads ``data[0]`` whatever its positions say, so they
    are not checked.
    """
    return outside(indices, start, stop, limit) or (
        indexed and not homo and outside(windex, start, stop, n_data))


# Entries whose indices are checked in one pass before they are read (64 KiB of
# int32, which stays in L2 for the loop that follows): per row, the check's loop
# overhead cost a fifth of a CSR ``W @ v`` at 100 entries per row.
_CHECK_BLOCK = 16384

# Above this many bytes of indices and weights a gather streams them from memory:
# it then checks its indices as it reads them and prefetches them (at n = 10^5
# with 100 entries per row, 8-12% faster than the check pass, which reads every
# index twice); below, they come from cache and the check pass costs less than a
# check per group of four (at n = 10^4, 4% less for floats, 13% for events).
_STREAMING_BYTES = 12 * 2**20


@njit
def block_end(indptr, width, i0, n_rows):
    """The end ``i1 > i0`` of the block of rows from ``i0`` holding at most
    ``_CHECK_BLOCK`` entries (or the one row ``i0``, if it alone holds more)."""
    if width >= 0:
        return min(n_rows, i0 + max(1, _CHECK_BLOCK // max(width, 1)))
    first = indptr[i0]
    i1 = i0 + 1
    while i1 < n_rows and indptr[i1 + 1] - first <= _CHECK_BLOCK:
        i1 += 1
    return i1


# How far ahead of a row loop the weights (and a streaming gather's indices) are
# prefetched, in entries: they stream from memory, and the random reads of ``x``
# keep the hardware prefetcher from running far enough ahead on its own.
_DATA_AHEAD = numba.uint64(512)
_STREAM_AHEAD = numba.uint64(256)


@njit(inline="always")
def prefetch_ahead(data, start, stop):
    """Start loading ``data[start + _DATA_AHEAD : stop + _DATA_AHEAD]``, a cache line at a time."""
    for k in range(start + _DATA_AHEAD, stop + _DATA_AHEAD, numba.uint64(64 // data.itemsize)):
        prefetch(data, k)


@njit(inline="always")
def streams(data, indices, homo, indexed):
    """Whether a product reads more than ``_STREAMING_BYTES`` of indices and weights."""
    nnz = indices.shape[0]
    weights = 0 if homo else nnz * (indices.itemsize if indexed else data.itemsize)
    return nnz * indices.itemsize + weights > _STREAMING_BYTES


@njit
def block_rows(data, indices, indptr, windex, width, n_rows, x, out, limit, n_data, homo,
               event, indexed, transpose):
    """Every row of ``A @ x`` (:func:`gather_block`) or of ``A.T @ x``
    (:func:`scatter_block`), a block of rows at a time; True on a bad index.

    Each block's indices are bounds-checked (against ``limit``, the length of
    ``x`` or of ``out``) by a vectorised maximum before any of the block is
    read or written: an index outside stops the product (the handler then
    reports it), and the loops themselves carry no per-entry check (measured
    15% faster than clamping each index).  A gather that streams its indices
    from memory (:func:`streams`) runs as one block that checks them as it
    reads them instead.
    """
    nnz = indices.shape[0]
    if not transpose and streams(data, indices, homo, indexed):
        return gather_block(data, indices, indptr, windex, width, 0, n_rows, x, out, limit,
                            n_data, homo, event, indexed, True)
    bad = False
    i0 = 0
    while i0 < n_rows:
        i1 = block_end(indptr, width, i0, n_rows)
        first, _, ok_first = row_span(indptr, width, i0, nnz)
        _, last, ok_last = row_span(indptr, width, i1 - 1, nnz)
        if not (ok_first and ok_last) or outside(indices, first, last, limit):
            return True
        if transpose:
            bad |= scatter_block(data, indices, indptr, windex, width, i0, i1, x, out, n_data,
                                 homo, indexed)
        else:
            bad |= gather_block(data, indices, indptr, windex, width, i0, i1, x, out, limit,
                                n_data, homo, event, indexed, False)
        i0 = i1
    return bad


@njit
def gather_block(data, indices, indptr, windex, width, i0, i1, x, out, n_x, n_data, homo, event,
                 indexed, streaming):
    """``out[i]`` for the rows ``i0 <= i < i1``; True on an index outside ``x`` (``n_x``)
    or an indexed weight position outside ``data``.

    Without ``streaming`` the rows' indices are already checked.  With it
    (rows whose row pointers :func:`rows_begin` checked) each group of four
    indices is checked by one unsigned maximum before any of them is read, a
    branch never taken on good input, and the indices are prefetched with the
    weights.  One call per block, not per row: a call passing the arrays cost
    about 20 ns, as much as the gather of a short row.  The rows are read
    through offsets into the whole arrays, not through views (a view costs
    atomic reference-count updates).  Each row's sum keeps four independent
    partial sums (one add chain would bound it by the add latency).  With
    ``event`` each active input (``x > 0``) adds its weight through a select,
    not a branch: a branch on the spike mispredicts at low firing rates and
    made the event gather slower than the float one.  The select, not
    ``w * active``, keeps an inactive NaN or infinite weight out of the sum.
    """
    nnz = indices.shape[0]
    bad = False
    for i in range(i0, i1):
        start, stop, _ = row_span(indptr, width, i, nnz)
        zero = out[i]  # cleared: the sums' zero of the output's dtype
        a0 = zero
        a1 = zero
        a2 = zero
        a3 = zero
        n4 = start + (stop - start) // _FOUR * _FOUR
        for k in range(start, n4, _FOUR):
            if streaming:
                prefetch(indices, k + _STREAM_AHEAD)
                if indexed:
                    prefetch(windex, k + _STREAM_AHEAD)
                elif not homo:
                    prefetch(data, k + _STREAM_AHEAD)
            elif not (homo or indexed or event):  # (an event gather ran slower with it)
                prefetch(data, k + _DATA_AHEAD)  # spread out: here faster than a burst per row
            j0 = numba.uint64(numba.int64(indices[k]))
            j1 = numba.uint64(numba.int64(indices[k + _ONE]))
            j2 = numba.uint64(numba.int64(indices[k + _TWO]))
            j3 = numba.uint64(numba.int64(indices[k + _THREE]))
            if streaming and max(max(j0, j1), max(j2, j3)) >= n_x:
                return True
            w0, c0 = _weight(data, windex, k, homo, indexed, n_data)
            w1, c1 = _weight(data, windex, k + _ONE, homo, indexed, n_data)
            w2, c2 = _weight(data, windex, k + _TWO, homo, indexed, n_data)
            w3, c3 = _weight(data, windex, k + _THREE, homo, indexed, n_data)
            bad |= c0 | c1 | c2 | c3
            if event:
                a0 += pick(x[j0] > 0, w0, zero)
                a1 += pick(x[j1] > 0, w1, zero)
                a2 += pick(x[j2] > 0, w2, zero)
                a3 += pick(x[j3] > 0, w3, zero)
            else:
                a0 += w0 * x[j0]
                a1 += w1 * x[j1]
                a2 += w2 * x[j2]
                a3 += w3 * x[j3]
        for k in range(n4, stop):
            j = numba.uint64(numba.int64(indices[k]))
            if streaming and j >= n_x:
                return True
            w, bad_w = _weight(data, windex, k, homo, indexed, n_data)
            bad |= bad_w
            if event:
                a0 += pick(x[j] > 0, w, zero)
            else:
                a0 += w * x[j]
        out[i] = (a0 + a1) + (a2 + a3)
    return bad


@njit
def scatter_block(data, indices, indptr, windex, width, i0, i1, x, out, n_data, homo, indexed):
    """``out[indices[k]] += w_k x[i]`` for the rows ``i0 <= i < i1``, whose indices are
    checked; True when an indexed weight position is outside ``data`` (then nothing
    of that entry is written)."""
    nnz = indices.shape[0]
    for i in range(i0, i1):
        start, stop, _ = row_span(indptr, width, i, nnz)
        xi = x[i]
        if not homo and not indexed:
            prefetch_ahead(data, start, stop)
        for k in range(start, stop):
            w, bad_w = _weight(data, windex, k, homo, indexed, n_data)
            if bad_w:
                return True
            out[numba.uint64(numba.int64(indices[k]))] += w * xi
    return False


@njit
def rows_begin(data, indices, indptr, x, out, width, indexed):
    """Zero ``out`` and check what every row loop needs: ``(n_x, n_out, n_data, ok)``."""
    nnz = indices.shape[0]
    n_data = numba.uint64(data.shape[0])
    n_x, n_out, ok = begin(out, x, nnz > 0)
    if not ok or (indexed and nnz > 0 and n_data == 0):
        ok = False  # entries exist but there is nothing they could index
    elif width < 0 and not indptr_ok(indptr, nnz):  # CSR: the literal -1 keeps this
        ok = False
    return n_x, n_out, n_data, ok


def _is_bool(x):
    """Whether ``x`` holds bools: a constant of each compiled kernel."""
    return x.dtype == bool


@overload(_is_bool)
def _is_bool_typed(x):
    answer = isinstance(x.dtype, types.Boolean)
    return lambda x: answer


@njit(inline="always")
def event_words(x, n):
    """``x[:n]`` as 64-bit words, eight bools each, when ``x`` holds bools; else empty.

    A zero word is eight silent inputs, skipped with one load.
    """
    n_words = n // 8 if _is_bool(x) else 0
    return x[:n_words * 8].view(numba.uint64) if _is_bool(x) else x[:0].view(numba.uint64)


_NO_BYTES_BELOW = numba.uint64(0xFFFFFFFFFFFFFFFF)


@njit(inline="always")
def next_active(x, words, i, n):
    """The first ``r >= i`` with an event in ``x[r]`` (an entry > 0), or ``n``.

    ``words`` (:func:`event_words`) scans eight bools per load: in the first
    word that is not zero (once the bytes below ``i`` are masked off), the
    first event is its lowest set byte, found by counting trailing zero bits
    (bytes in little-endian order; a bool byte is 0 or 1).  A byte by byte
    search cost 1 ns per input, a word loop that still stepped through each
    word's bytes 2.6 us for 10^4 inputs at 1% firing.
    """
    n_words = words.shape[0]
    q = i >> 3
    if q < n_words:
        w = words[q] & (_NO_BYTES_BELOW << numba.uint64(8 * (i & 7)))
        while w == 0 and q + 1 < n_words:
            q += 1
            w = words[q]
        if w != 0:
            return q * 8 + (numba.int64(trailing_zeros(w)) >> 3)
        i = n_words * 8
    while i < n:  # past the last whole word, or every input when x does not hold bools
        if x[i] > 0:
            return i
        i += 1
    return n


@njit(inline="always")
def prefetch_row(data, indices, indptr, windex, width, i, nnz, homo, indexed):
    """Start loading row ``i``'s indices and weights (or weight positions), one cache
    line of each at a time."""
    start, stop, ok = row_span(indptr, width, i, nnz)
    if not ok:
        return
    for k in range(start, stop, _PER_LINE):
        prefetch(indices, k)
        if indexed:
            prefetch(windex, k)
        elif not homo:
            prefetch(data, k)


@njit
def scatter_events(data, indices, indptr, windex, width, n_rows, x, out, n_out, n_data, homo,
                   indexed):
    """``out += A.T @ events`` over the rows of active inputs only; True on a bad index.

    The next active row is found, and its entries prefetched, before the
    current one is added: rows of a large matrix lie far apart in memory and
    each would otherwise wait on its own cache misses (measured 1.9x faster at
    n = 10^5 with 100 entries per row and 1% active).  Each active row's
    indices (and weight positions) are checked by a vectorised maximum before
    any of them is written, which leaves the adding loop without a check per
    entry.
    """
    nnz = indices.shape[0]
    words = event_words(x, n_rows)
    i = next_active(x, words, 0, n_rows)
    while i < n_rows:
        following = next_active(x, words, i + 1, n_rows)
        if following < n_rows:
            prefetch_row(data, indices, indptr, windex, width, following, nnz, homo, indexed)
        start, stop, ok = row_span(indptr, width, i, nnz)
        if not ok:
            return True
        # the row's indices (and weight positions) are checked before any is written
        if row_outside(indices, windex, start, stop, n_out, n_data, homo, indexed):
            return True
        for k in range(start, stop):  # offsets, not views: no reference counts per row
            out[numba.uint64(numba.int64(indices[k]))] += weight_at(data, windex, k, homo,
                                                                     indexed)
        i = following
    return False


# Products of at most this many entries take one flat loop (:func:`small_rows_mv`):
# for them the block checks, the event-word scan and the prefetches of the general
# loops cost more than the arithmetic.
_SMALL = 512


@njit(inline="always")
def small_rows_mv(data, indices, indptr, windex, width, n_rows, x, out, n_x, n_out, n_data,
                  transpose, event, homo, indexed):
    """:func:`rows_mv` of a product of at most ``_SMALL`` entries; True on a bad index.

    Every index is checked as it is read (a scatter before it writes).
    """
    nnz = indices.shape[0]
    bad = False
    for i in range(n_rows):
        if transpose and event and not x[i] > 0:
            continue
        start, stop, ok = row_span(indptr, width, i, nnz)
        if not ok:
            return True
        if transpose:
            xi = x[i]
            for k in range(start, stop):
                j, bad_j = checked(indices[k], n_out)
                w, bad_w = _weight(data, windex, k, homo, indexed, n_data)
                if bad_j or bad_w:
                    return True
                out[j] += w if event else w * xi
        else:
            acc = out[i]  # cleared: the sum's zero of the output's dtype
            for k in range(start, stop):
                j, bad_j = checked(indices[k], n_x)
                w, bad_w = _weight(data, windex, k, homo, indexed, n_data)
                bad |= bad_j | bad_w
                if event:
                    if x[j] > 0:
                        acc += w
                else:
                    acc += w * x[j]
            out[i] = acc
    return bad


@njit(inline="always")
def rows_mv(data, indices, indptr, windex, width, n_rows, x, out, transpose, event, homo,
            indexed):
    """``out = A @ x`` (``A.T @ x`` when ``transpose``) for a vector ``x``; 0, or 1 on a bad index.

    Gathers check a block of rows' indices before reading them; scatters
    refuse an outside index before writing.  A transposed event product visits the rows of
    active inputs only (:func:`scatter_events`).
    """
    n_x, n_out, n_data, ok = rows_begin(data, indices, indptr, x, out, width, indexed)
    if not ok:
        return 1
    if indices.shape[0] <= _SMALL:
        return 1 if small_rows_mv(data, indices, indptr, windex, width, n_rows, x, out, n_x,
                                  n_out, n_data, transpose, event, homo, indexed) else 0
    if transpose and event:
        return 1 if scatter_events(data, indices, indptr, windex, width, n_rows, x, out,
                                   n_out, n_data, homo, indexed) else 0
    return 1 if block_rows(data, indices, indptr, windex, width, n_rows, x, out,
                           n_out if transpose else n_x, n_data, homo, event, indexed,
                           transpose) else 0
