"""The counter-based generator behind generated ("JIT") connectivity.

This module is the seed contract.  A generated matrix is a sequence of *lines*
(rows of an ``R`` matrix, columns of a ``C`` matrix), each of length
``line_len``.  Line ``l`` is a pure function of ``(seed, l, prob)`` and of
nothing else (not of the number of lines, the batch, the backend or the call
order); its entries sit at positions ``p_0 < p_1 < ...`` with

    p_k = p_{k-1} + 1 + gap(h_k),   p_{-1} = -1,    h_k = H(seed, l, k),

kept while ``p_k < line_len``, so growing ``line_len`` keeps the first
entries too.  ``gap`` inverts the geometric distribution: with ``U`` uniform
on ``(0, 1)``, ``gap = floor(log2(1/U) * c)`` and ``c = -1 / log2(1 - prob)``,
so ``P(gap >= g) = (1 - prob) ** g`` and every candidate position is an
independent Bernoulli(prob) trial: prob 0 gives no entry, prob 1 every one.

Bit-identical on every backend by construction
----------------------------------------------
Everything that decides *where* entries are and their standardised weight
``z`` is integer arithmetic on ``uint32`` (which wraps identically
everywhere), two table lookups, one exact int-to-float conversion and one
lone float32 multiply (``log2(1/U) * c``, which cannot be contracted into
an FMA).  No library transcendental runs per entry: ``log2`` is a 2049-point
table with linear interpolation in fixed point, the inverse normal CDF a
4098-point table in ``log2(1/U)``.  The tables are computed once with exact
decimal arithmetic (``log2``) and scipy's ``ndtri`` rounded to 2**-28
(pinned by a checksum in the tests).  The one float constant ``c`` is derived
from ``prob`` by :func:`gap_scale` in JAX and handed to every backend as an
input, so they all use the same bits.

Hash
----
``fmix`` is MurmurHash3's 32-bit finaliser (a bijection).  With ``s =
fmix(seed ^ SEED_SALT)``, the line keys ``k1 = fmix(s ^ l * G1)`` and ``k2 =
fmix((s + SALT2) ^ l * G2)`` are injective in ``l``; per entry ``inner =
fmix(k1 + k * G3)``, the gap bits are ``fmix(inner ^ k2)`` and the weight bits
``fmix(inner ^ k2 ^ WSALT)``.  Two keys per line mean two lines never share a
(shifted) stream of bits.

Weights: ``w = loc + scale * z`` with ``z = 0`` (homogeneous), ``z`` uniform
on ``[0, 1)`` from 24 bits (``w_low + (w_high - w_low) * z``) or ``z``
standard normal (inverse CDF, tails to about 6.2 sigma).
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = ["SEED_SALT", "fmix", "line_keys", "entry_bits", "gap_from_bits", "z_from_bits",
           "gap_scale", "log2_table", "normal_table", "MAX_LINE"]

# -- constants of the contract (never change them: they define every matrix) --
SEED_SALT = 0x2545F491
SALT2 = 0x7F4A7C15
WSALT = 0x9E3779B9
G1 = 0x9E3779B9
G2 = 0x85EBCA77
G3 = 0xC2B2AE3D
M1 = 0x85EBCA6B
M2 = 0xC2B2AE35
LOG2_BITS = 11      # log2 table: 2**11 + 1 points over the mantissa [1, 2)
LOG2_FRAC = 30      # table values in Q2.30
L_FRAC = 26         # log2(1/U) in Q6.26 (a uint32)
Z_STEP_BITS = 7     # normal table: one point per 2**-7 of log2(1/U)
Z_FRAC = 28         # table values in Q3.28
Z_SIZE = 32 * 2 ** Z_STEP_BITS + 2
MAX_LINE = 2 ** 30  # longest line (gaps saturate here)

@functools.lru_cache(maxsize=None)
def log2_table() -> np.ndarray:
    """``round(log2(1 + i / 2048) * 2**30)`` for i = 0..2048, exact (decimal arithmetic)."""
    from decimal import Decimal, getcontext, ROUND_HALF_EVEN
    getcontext().prec = 40
    ln2 = Decimal(2).ln()
    n = 2 ** LOG2_BITS
    scale = Decimal(2 ** LOG2_FRAC)
    out = [int(((Decimal(n + i) / n).ln() / ln2 * scale).to_integral_value(ROUND_HALF_EVEN))
           for i in range(n + 1)]
    return np.asarray(out, dtype=np.uint32)


@functools.lru_cache(maxsize=None)
def normal_table() -> np.ndarray:
    """``round(-ndtri(2**-(1 + i / 128)) * 2**28)`` for i = 0..4097: |z| against log2(1/U)."""
    from scipy.special import ndtri
    t = np.arange(Z_SIZE, dtype=np.float64) / 2 ** Z_STEP_BITS
    values = -ndtri(np.exp2(-(1.0 + t)))
    values[0] = 0.0
    return np.rint(values * 2 ** Z_FRAC).astype(np.uint32)


# -- JAX implementation (uint32 arrays) -------------------------------------------

def _u32(x):
    return jnp.asarray(x, dtype=jnp.uint32)


def fmix(x):
    """MurmurHash3's 32-bit finaliser on ``uint32`` arrays."""
    x = x ^ (x >> 16)
    x = x * _u32(M1)
    x = x ^ (x >> 13)
    x = x * _u32(M2)
    return x ^ (x >> 16)


def line_keys(seed, line):
    """The two keys of line ``line`` (uint32 arrays, broadcasting)."""
    s = fmix(_u32(seed) ^ _u32(SEED_SALT))
    line = lax.convert_element_type(line, jnp.uint32)
    k1 = fmix(s ^ (line * _u32(G1)))
    k2 = fmix((s + _u32(SALT2)) ^ (line * _u32(G2)))
    return k1, k2


def entry_bits(k1, k2, counter):
    """Gap bits and weight bits of entry ``counter`` of the line with keys (k1, k2)."""
    inner = fmix(k1 + lax.convert_element_type(counter, jnp.uint32) * _u32(G3))
    return fmix(inner ^ k2), fmix(inner ^ k2 ^ _u32(WSALT))


def clz_by_halving(v):
    """Leading zero bits of uint32 ``v > 0`` by five compare-and-shift steps.

    Equal to ``lax.clz`` there; for the Pallas kernels, since Triton lowers no
    vector of count-leading-zeros instructions.
    """
    n = jnp.zeros(jnp.shape(v), jnp.uint32)
    for bits in (16, 8, 4, 2, 1):
        short = v < _u32(1 << (32 - bits))  # the top `bits` bits are all zero
        n = n + jnp.where(short, _u32(bits), _u32(0))
        v = jnp.where(short, v << bits, v)
    return n


def _neg_log2_fixed(v, table=None, clz=lax.clz):
    """``log2(2**32 / v)`` in Q6.26 for odd uint32 ``v`` (exact integer arithmetic).

    ``table`` is :func:`log2_table` as an array or a kernel's ref (None: the constant);
    ``clz`` counts leading zero bits (:func:`clz_by_halving` in a Pallas kernel).
    """
    table = jnp.asarray(log2_table()) if table is None else table
    nlz = clz(v)
    x = (v << nlz) << 1                       # mantissa bits after the leading one, Q0.32
    idx = (x >> (32 - LOG2_BITS)).astype(jnp.int32)
    frac = (x >> (32 - LOG2_BITS - 12)) & _u32(0xFFF)
    t0, t1 = table[idx], table[idx + 1]
    lg = t0 + (((t1 - t0) * frac) >> 12)      # log2(mantissa), Q2.30
    return ((nlz + _u32(1)) << L_FRAC) - (lg >> (LOG2_FRAC - L_FRAC))


def gap_from_bits(h, cf, log2=None, clz=lax.clz):
    """Number of skipped candidates before the next entry (int32, saturates at 2**30).

    ``cf`` is :func:`gap_scale` (float32): ``c * 2**-26``; ``log2`` the
    :func:`log2_table` (None: the constant; a Pallas kernel passes its ref and
    :func:`clz_by_halving` as ``clz``).
    """
    lfix = _neg_log2_fixed(h | _u32(1), log2, clz)
    g = lfix.astype(jnp.float32) * cf
    return jnp.where(g < float(MAX_LINE), g, float(MAX_LINE)).astype(jnp.int32)


def z_from_bits(h, dist: str, log2=None, normal=None, clz=lax.clz):
    """Standardised weight (float32): uniform on [0, 1) or standard normal.

    ``log2`` and ``normal`` are the tables (None: the constants; a Pallas
    kernel passes its refs and :func:`clz_by_halving` as ``clz``).
    """
    if dist == "uniform":
        return (h >> 8).astype(jnp.float32) * np.float32(2.0 ** -24)
    if dist != "normal":
        raise ValueError(f"no standardised weight for dist={dist!r}")
    table = jnp.asarray(normal_table()) if normal is None else normal
    lfix = _neg_log2_fixed((h << 1) | _u32(1), log2, clz)  # log2(1/U), U uniform on (0, 1)
    idx = (lfix >> (L_FRAC - Z_STEP_BITS)).astype(jnp.int32)
    frac = (lfix >> (L_FRAC - Z_STEP_BITS - 11)) & _u32(0x7FF)
    t0, t1 = table[idx], table[idx + 1]
    mag = (t0 + (((t1 - t0) * frac) >> 11)).astype(jnp.int32).astype(jnp.float32)
    mag = mag * np.float32(2.0 ** -Z_FRAC)
    return jnp.where((h >> 31) == 1, -mag, mag)


@jax.jit  # eagerly: one program
def gap_scale(prob):
    """``-1 / log2(1 - prob) * 2**-26`` as float32: the one constant derived from prob.

    Computed in JAX (float32) from the stored probability, then passed to every
    backend; prob 0 gives +inf (no entries), prob 1 gives 0 (every entry).  A
    prob outside [0, 1] or NaN (possible only when traced: construction checks
    concrete ones) gives +inf too, so no line is generated forever.
    """
    p = lax.stop_gradient(jnp.asarray(prob, jnp.float32))
    p = jnp.where((p >= 0) & (p <= 1), p, np.float32(0))  # False for NaN
    c = np.float32(-math.log(2.0)) / jnp.log1p(-p)
    return (c * np.float32(2.0 ** -L_FRAC)).astype(jnp.float32)
