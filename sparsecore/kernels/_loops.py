"""Inner-loop pieces shared by the numba kernels of every format.

All are ``inline="always"``: numba pastes them into each kernel before LLVM
sees it, so a kernel built from them compiles to the same loop as one written
out by hand, and the static flags (``event``) still fold away per handler.
"""
import numba


@numba.njit(cache=True, inline="always")
def checked(j, limit):
    """``j`` as an unsigned index clamped into ``[0, limit)``, and whether it was outside.

    Unsigned indices spare numba's negative-index wraparound; clamping instead
    of branching keeps the inner loops branch-free (callers report the flag
    after the loop).  ``limit`` must be positive.
    """
    u = numba.uint64(numba.int64(j))
    bad = u >= limit
    return (numba.uint64(0) if bad else u), bad


@numba.njit(cache=True, inline="always")
def clear(out):
    """Every element of ``out`` (1-D or 2-D) set to 0: kernels must write all of it."""
    out[:] = 0


@numba.njit(cache=True, inline="always")
def begin(out, x, has_entries):
    """Clear ``out``; ``(n_x, n_out, ok)`` as unsigned lengths for :func:`checked`.

    ``ok`` is False when entries exist but the operand or the output is empty:
    there is nothing their indices could address.
    """
    clear(out)
    n_x = numba.uint64(x.shape[0])
    n_out = numba.uint64(out.shape[0])
    return n_x, n_out, not (has_entries and (n_x == 0 or n_out == 0))


@numba.njit(cache=True, inline="always")
def any_active(x, i):
    """Whether row ``i`` of the spike matrix ``x`` holds an event (an entry > 0)."""
    for c in range(x.shape[1]):
        if x[i, c] > 0:
            return True
    return False


@numba.njit(cache=True, inline="always")
def add_row(out, dst, x, src, w, event):
    """``out[dst, :] += w * x[src, :]``; with ``event``, ``w`` where ``x[src, c] > 0``."""
    for c in range(x.shape[1]):
        if event:
            if x[src, c] > 0:
                out[dst, c] += w
        else:
            out[dst, c] += w * x[src, c]


@numba.njit(cache=True, inline="always")
def indptr_ok(indptr, nnz):
    """Whether ``indptr`` rises from 0 to ``nnz`` without decreasing: O(rows) reads.

    With it every row's ``indptr[i]:indptr[i + 1]`` lies inside ``[0, nnz)``,
    so the kernels need no per-row bounds test.  Without it a decreasing
    pointer would silently drop a row, and one ending short of ``nnz`` would
    drop entries.
    """
    n = indptr.shape[0]
    if n == 0 or indptr[0] != 0 or indptr[n - 1] != nnz:
        return False
    ok = True
    for i in range(n - 1):
        ok &= indptr[i] <= indptr[i + 1]  # no early exit: the loop stays branch-free
    return ok
