"""Numba CPU kernels for generated ("JIT") connectivity products.

The generator is :mod:`sparsecore.kernels._prng`, re-expressed here with the
wrapping ``uint32`` operations of :mod:`._uint32` (numba would widen them to
64 bits, and to half as many vector lanes) so that it produces the same bits
as the JAX version.  The kernels regenerate every
line on the fly: O(1) memory (two ``_B``-entry buffers per call).

The gaps of an entry depend only on its counter, not on its position, so the
kernels generate ``_B`` entries at a time in a loop without dependencies (which
LLVM vectorises: AVX-512 has a vector leading-zero count and gathers for the
table lookups) and then walk them, stopping at the end of the line.  The few
entries generated past the end are discarded; the matrix is unchanged.

Kernel protocol (see :mod:`sparsecore.kernels._ffi`): inputs ``w`` (``(1,)``
or ``(2,)``: ``loc`` and ``scale``), ``cf`` (``(1,)`` float32, the gap
scale), ``seed`` (``(1,)`` uint32), ``off`` (``(2,)`` int32: the block's first
line and first position; a block walks its lines from position 0 and keeps
the window) and ``x``; output ``out``; static flags
``dist`` (0 homo, 1 uniform, 2 normal), ``scatter`` (lines are indexed by the
operand: ``out[pos] += w * x[line]``; otherwise ``out[line] = sum w * x[pos]``)
and ``event`` (``x`` marks active inputs: True or > 0).
"""
import numpy as np
from numba.cpython.unsafe.numbers import leading_zeros

from . import _prng as P
from . import _uint32 as U
from ._loops import clear
from ._matrix_loops import add_row, any_active
from ._njit_cache import njit

_M1 = np.uint64(P.M1)
_M2 = np.uint64(P.M2)
_G1 = np.uint64(P.G1)
_G2 = np.uint64(P.G2)
_G3 = np.uint64(P.G3)
_SEED_SALT = np.uint64(P.SEED_SALT)
_SALT2 = np.uint64(P.SALT2)
_WSALT = np.uint64(P.WSALT)
_S32 = np.uint64(32)


def _pairs(table):
    """Entry ``i`` holds ``table[i]`` in its low 32 bits and ``table[i + 1]`` in its high 32.

    The interpolations below read both neighbours; from one table of pairs that
    is one vector gather per eight entries instead of two.
    """
    t = table.astype(np.uint64)
    return t[:-1] | (t[1:] << np.uint64(32))


_LOG2_PAIRS = _pairs(P.log2_table())
_ZTAB_PAIRS = _pairs(P.normal_table())
_MAX_LINE = P.MAX_LINE


@njit
def _fmix(x):
    x = U.xor(x, U.shr(x, 16))
    x = U.mul(x, _M1)
    x = U.xor(x, U.shr(x, 13))
    x = U.mul(x, _M2)
    return U.xor(x, U.shr(x, 16))


@njit
def _line_keys(skey, line):
    k1 = _fmix(U.xor(skey, U.mul(line, _G1)))
    k2 = _fmix(U.xor(U.add(skey, _SALT2), U.mul(line, _G2)))
    return k1, k2


@njit
def _interpolate(pair, frac, bits):
    """``t0 + ((t1 - t0) * frac >> bits)`` in 32 bits, for a table pair (:func:`_pairs`)."""
    t0 = U.low(pair)
    return U.add(t0, U.shr(U.mul(U.sub(U.low(pair >> _S32), t0), frac), bits))


@njit
def _neg_log2_fixed(v):
    """log2(2**32 / v) in Q6.26 for an odd 32-bit ``v``."""
    nlz = U.low(leading_zeros(U.low(v)))
    x = U.shl(U.shl(v, nlz), 1)
    idx = U.shr(x, 21)
    frac = U.and_(U.shr(x, 9), 0xFFF)
    # the table rises by under 2**20 per step: with a 12-bit fraction, below 2**32
    lg = _interpolate(_LOG2_PAIRS[idx], frac, 12)
    return U.sub(U.shl(U.add(nlz, 1), 26), U.shr(lg, 4))


@njit
def _gap(h, cf):
    lfix = _neg_log2_fixed(U.or_(h, 1))
    g = U.to_float32(lfix) * cf
    if g < np.float32(_MAX_LINE):
        return np.int64(g)
    return np.int64(_MAX_LINE)


@njit
def _z(h, dist):
    if dist == 1:
        return U.to_float32(U.shr(h, 8)) * np.float32(2.0 ** -24)
    lfix = _neg_log2_fixed(U.or_(U.shl(h, 1), 1))
    idx = U.shr(lfix, 19)
    frac = U.and_(U.shr(lfix, 8), 0x7FF)
    # steps below 2**21 times an 11-bit fraction: below 2**32
    mag = U.to_float32(_interpolate(_ZTAB_PAIRS[idx], frac, 11)) * np.float32(2.0 ** -28)
    if U.shr(h, 31) == 1:
        return -mag
    return mag


@njit
def _weight(inner, k2, loc, scale, dist):
    if dist == 0:
        return loc
    z = _z(_fmix(U.xor(U.xor(inner, k2), _WSALT)), dist)
    return loc + scale * z


_B = 16


@njit
def _fill(k1, k2, cnt, c, gaps, wts, loc, scale, dist):
    """Steps (1 + gap) and weights of the next ``_B`` entries of a line (no dependencies)."""
    for t in range(_B):
        inner = _fmix(U.add(k1, U.mul(cnt + np.uint64(t), _G3)))
        gaps[t] = 1 + _gap(_fmix(U.xor(inner, k2)), c)
        if dist != 0:
            wts[t] = _weight(inner, k2, loc, scale, dist)


@njit(inline="always")
def _mv_line(k1, k2, c, gaps, wts, loc, scale, dist, lo, end, x, out, line, scatter, event,
             acc, windowed):
    """Walk one line of :func:`jitc_mv_kernel`: scatter it into ``out`` or return its sum.

    ``windowed``: the block's window starts past position 0 (``lo > 0``), so the
    entries before it are skipped.  A literal at each call site: with the check
    in the loop of every line, ``spikes @ W`` at 10% firing ran 1.0-1.2x slower
    from one process to the next.
    """
    pos = -1
    cnt = np.uint64(0)
    while True:
        _fill(k1, k2, cnt, c, gaps, wts, loc, scale, dist)
        cnt += np.uint64(_B)
        for t in range(_B):
            pos += gaps[t]
            if pos >= end:
                return acc
            if windowed and pos < lo:
                continue
            up = np.uint64(pos - lo)
            wgt = loc if dist == 0 else wts[t]
            if scatter:
                if event:
                    out[up] += wgt
                else:
                    out[up] += wgt * x[line]
            else:
                if event:
                    if x[up] > 0:
                        acc += wgt
                else:
                    acc += wgt * x[up]


@njit
def jitc_mv_kernel(w, cf, seed, off, x, out, dist, scatter, event):
    """``out = M @ x`` (gather over lines) or ``M.T @ x`` (scatter), ``x`` a vector."""
    n_out = out.shape[0]
    n_lines = x.shape[0] if scatter else n_out
    line_len = n_out if scatter else x.shape[0]
    clear(out)
    loc = w[0]
    scale = w[1] if dist != 0 else w[0]
    c = cf[0]
    skey = _fmix(U.xor(seed[0], _SEED_SALT))
    line0 = np.int64(off[0])
    lo = np.int64(off[1])
    end = lo + line_len
    zero = np.zeros(1, dtype=out.dtype)[0]
    gaps = np.empty(_B, dtype=np.int64)
    wts = np.empty(_B, dtype=w.dtype)
    for line in range(n_lines):
        if scatter and event:
            if not x[line] > 0:
                continue
        k1, k2 = _line_keys(skey, line + line0)
        if lo > 0:
            acc = _mv_line(k1, k2, c, gaps, wts, loc, scale, dist, lo, end, x, out, line,
                           scatter, event, zero, True)
        else:
            acc = _mv_line(k1, k2, c, gaps, wts, loc, scale, dist, lo, end, x, out, line,
                           scatter, event, zero, False)
        if not scatter:
            out[line] = acc
    return 0


@njit
def jitc_mm_kernel(w, cf, seed, off, x, out, dist, scatter, event):
    """As :func:`jitc_mv_kernel` for a matrix operand ``x`` (k, b) (columns independent)."""
    n_out, n_b = out.shape
    n_lines = x.shape[0] if scatter else n_out
    line_len = n_out if scatter else x.shape[0]
    clear(out)
    loc = w[0]
    scale = w[1] if dist != 0 else w[0]
    c = cf[0]
    skey = _fmix(U.xor(seed[0], _SEED_SALT))
    line0 = np.int64(off[0])
    lo = np.int64(off[1])
    end = lo + line_len
    gaps = np.empty(_B, dtype=np.int64)
    wts = np.empty(_B, dtype=w.dtype)
    for line in range(n_lines):
        if scatter and event and not any_active(x, line):
            continue
        k1, k2 = _line_keys(skey, line + line0)
        pos = -1
        cnt = np.uint64(0)
        done = False
        while not done:
            _fill(k1, k2, cnt, c, gaps, wts, loc, scale, dist)
            cnt += np.uint64(_B)
            for t in range(_B):
                pos += gaps[t]
                if pos >= end:
                    done = True
                    break
                if pos < lo:
                    continue
                up = np.uint64(pos - lo)
                wgt = loc if dist == 0 else wts[t]
                if scatter:
                    add_row(out, up, x, line, wgt, event)
                else:
                    add_row(out, line, x, up, wgt, event)
    return 0
