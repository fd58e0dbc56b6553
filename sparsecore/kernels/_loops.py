"""Inner-loop pieces shared by the numba kernels of every format.

A handler passes its static flags (``event``, ``homo``, ``width = -1``) as
constants, which numba types as literals: each function here is compiled once
per flag combination, with the branches on those flags folded away, and cached
on disk.  None is ``inline="always"``: numba's IR-level inlining copied the
loop bodies into every handler and was most of a handler's compile time, for
no measured gain in speed.
"""
import numba
from numba.core import types
from numba.extending import intrinsic


@numba.njit(cache=True)
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


@numba.njit(cache=True)
def clear(out):
    """Every element of ``out`` (1-D or 2-D) set to 0: kernels must write all of it."""
    out[:] = 0


@numba.njit(cache=True)
def begin(out, x, has_entries):
    """Clear ``out``; ``(n_x, n_out, ok)`` as unsigned lengths for :func:`checked`.

    ``ok`` is False when entries exist but the operand or the output is empty:
    there is nothing their indices could address.
    """
    clear(out)
    n_x = numba.uint64(x.shape[0])
    n_out = numba.uint64(out.shape[0])
    return n_x, n_out, not (has_entries and (n_x == 0 or n_out == 0))


@numba.njit(cache=True)
def any_active(x, i):
    """Whether row ``i`` of the spike matrix ``x`` holds an event (an entry > 0)."""
    for c in range(x.shape[1]):
        if x[i, c] > 0:
            return True
    return False


@numba.njit(cache=True)
def add_row(out, dst, x, src, w, event):
    """``out[dst, :] += w * x[src, :]``; with ``event``, ``w`` where ``x[src, c] > 0``."""
    for c in range(x.shape[1]):
        if event:
            if x[src, c] > 0:
                out[dst, c] += w
        else:
            out[dst, c] += w * x[src, c]


@numba.njit(cache=True)
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

_FOUR = numba.uint64(4)


@numba.njit(cache=True)
def row_span(indptr, width, i, nnz):
    """``(start, stop, ok)`` of row ``i`` as unsigned offsets; ``ok`` False when outside."""
    if width >= 0:
        start = i * width
        return numba.uint64(start), numba.uint64(start + width), True
    start = indptr[i]
    stop = indptr[i + 1]
    return numba.uint64(start), numba.uint64(stop), 0 <= start and stop <= nnz


@numba.njit(cache=True)
def row_entries(data, indices, indptr, windex, width, i, nnz, homo, indexed):
    """``(weights, indices, weight positions, ok)``: views of the entries of row ``i``.

    The loops then run from 0: measured 1.4x faster than offsets from the
    row's start.  ``ok`` is False when the row's span lies outside the entries.
    With ``indexed`` the weight of entry ``k`` is ``data[windex[k]]`` (a
    transposed index reads the weights where they are stored), so ``data``
    stays whole and ``windex`` is cut instead.
    """
    start, stop, ok = row_span(indptr, width, i, nnz)
    if indexed:
        return data, indices[start:stop], windex[start:stop], ok
    return (data if homo else data[start:stop]), indices[start:stop], windex[:0], ok


@numba.njit(cache=True)
def _weight(data, windex, k, homo, indexed, n_data):
    """``(weight of entry k, bad)``; ``bad`` when an indexed position is outside ``data``."""
    if homo:
        return data[0], False
    if indexed:
        p, bad = checked(windex[k], n_data)
        return data[p], bad
    return data[k], False


@numba.njit(cache=True)
def row_max(indices):
    """The largest of ``indices`` as unsigned (a negative index is huge); 0 when empty.

    A reduction without gathers, so LLVM vectorises it; it also brings the
    row's indices into L1 for the gather that follows.
    """
    m = numba.uint64(0)
    for k in range(indices.shape[0]):
        m = max(m, numba.uint64(numba.int64(indices[k])))
    return m


@numba.njit(cache=True)
def gather_row(data, indices, windex, x, n_x, homo, event, indexed, zero):
    """``(sum_k w_k x[indices[k]], bad)`` over one row's entries (see :func:`row_entries`).

    The row's indices are bounds-checked once, by a vectorised maximum
    (``bad``: one is outside ``[0, n_x)``, and nothing is read), so the gather
    itself carries no per-entry check (measured 15% faster than clamping each
    index).  The sum keeps four independent partial sums (one add chain would
    bound it by the add latency).  With ``event`` each active input
    (``x > 0``) adds its weight through a select, not a branch: a branch on
    the spike mispredicts at low firing rates and made the event gather slower
    than the float one.  The select, not ``w * active``, keeps an inactive NaN
    or infinite weight out of the sum.
    """
    n = numba.uint64(indices.shape[0])  # unsigned: no wraparound code
    if n > 0 and row_max(indices) >= n_x:
        return zero, True
    bad = False
    n_data = numba.uint64(data.shape[0])
    a0 = zero
    a1 = zero
    a2 = zero
    a3 = zero
    n4 = n - n % _FOUR
    for k in range(0, n4, _FOUR):
        j0 = numba.uint64(numba.int64(indices[k]))
        j1 = numba.uint64(numba.int64(indices[k + 1]))
        j2 = numba.uint64(numba.int64(indices[k + 2]))
        j3 = numba.uint64(numba.int64(indices[k + 3]))
        w0, c0 = _weight(data, windex, k, homo, indexed, n_data)
        w1, c1 = _weight(data, windex, k + 1, homo, indexed, n_data)
        w2, c2 = _weight(data, windex, k + 2, homo, indexed, n_data)
        w3, c3 = _weight(data, windex, k + 3, homo, indexed, n_data)
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
    for k in range(n4, n):
        j = numba.uint64(numba.int64(indices[k]))
        w, bad_w = _weight(data, windex, k, homo, indexed, n_data)
        bad |= bad_w
        if event:
            a0 += pick(x[j] > 0, w, zero)
        else:
            a0 += w * x[j]
    return (a0 + a1) + (a2 + a3), bad


@numba.njit(cache=True)
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


@numba.njit(cache=True)
def rows_mv(data, indices, indptr, windex, width, n_rows, x, out, transpose, event, homo,
            indexed):
    """``out = A @ x`` (``A.T @ x`` when ``transpose``) for a vector ``x``; 0, or 1 on a bad index.

    Gathers clamp an outside index and report it after the loop; scatters
    refuse it before writing.  A transposed event product skips inactive rows
    before reading their indices.
    """
    nnz = indices.shape[0]
    n_x, n_out, n_data, ok = rows_begin(data, indices, indptr, x, out, width, indexed)
    if not ok:
        return 1
    bad = False
    for i in range(n_rows):
        if transpose and event and not x[i] > 0:
            continue
        row_data, row_indices, row_windex, ok = row_entries(data, indices, indptr, windex,
                                                            width, i, nnz, homo, indexed)
        if not ok:
            return 1
        if not transpose:
            out[i], bad_i = gather_row(row_data, row_indices, row_windex, x, n_x, homo, event,
                                       indexed, out[i])
            bad |= bad_i
            continue
        xi = x[i]
        for k in range(row_indices.shape[0]):
            j, bad_j = checked(row_indices[k], n_out)
            if bad_j:
                return 1  # a scatter must not write a clamped index
            w, bad_w = _weight(row_data, row_windex, k, homo, indexed, n_data)
            if bad_w:
                return 1
            out[j] += w if event else w * xi
    return 1 if bad else 0


@numba.njit(cache=True)
def rows_mm(data, indices, indptr, windex, width, n_rows, x, out, transpose, event, homo,
            indexed):
    """As :func:`rows_mv` for a matrix operand ``x`` (k, b) (columns independent)."""
    nnz = indices.shape[0]
    n_x, n_out, n_data, ok = rows_begin(data, indices, indptr, x, out, width, indexed)
    if not ok:
        return 1
    limit = n_out if transpose else n_x
    for i in range(n_rows):
        if transpose and event and not any_active(x, i):
            continue
        row_data, row_indices, row_windex, ok = row_entries(data, indices, indptr, windex,
                                                            width, i, nnz, homo, indexed)
        if not ok:
            return 1
        for k in range(row_indices.shape[0]):
            j, bad_j = checked(row_indices[k], limit)
            w, bad_w = _weight(row_data, row_windex, k, homo, indexed, n_data)
            if bad_j or bad_w:
                return 1
            if transpose:
                add_row(out, j, x, i, w, event)
            else:
                add_row(out, i, x, j, w, event)
    return 0
