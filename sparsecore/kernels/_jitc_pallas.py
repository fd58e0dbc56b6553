"""Pallas kernels for generated ("JIT") connectivity products.

Each program generates one line of the matrix on the fly with the integer
hash of :mod:`sparsecore.kernels._prng` (the same functions the reference
runs, with the two lookup tables passed in as kernel inputs), so the
structure is bit for bit that of every other backend; weights agree within
float rounding (a GPU may contract ``loc + scale * z`` into one FMA).

A line is walked 32 entries at a time in a ``while_loop`` (the entries'
hashes at once, their positions by a prefix sum of the gaps) until its
position leaves the window ``[off[1], off[1] + line_len)``:

* gather (``R @ x``, ``C.T @ x``): program ``l`` sums ``w * x[pos]`` over
  its entries and stores ``out[l]``;
* scatter (``R.T @ x``, ``C @ x``): the lines whose input is active are
  compacted first (every line for float operands), and a fixed number of
  programs (at most 2048) share them, adding ``w * x[l]`` into ``out[pos]``
  with masked vectors of atomic adds.

The operand is a ``(k, B)`` matrix padded to a power of two columns (see
:mod:`sparsecore.kernels._pallas`).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.experimental import pallas as pl

from . import _prng
from ._pallas import (active_rows, contribution, each_active_row, launch, padded_operand,
                      scatter_add, scatter_programs)

__all__ = ["jitc_pallas"]


def _entry_weight(w_ref, wbits, dist, dtype, log2_ref, normal_ref):
    loc = w_ref[0]
    if dist == "homo":
        return jnp.broadcast_to(loc, wbits.shape)
    z = _prng.z_from_bits(wbits, dist, log2_ref, normal_ref, _prng.clz_by_halving)
    z = z.astype(dtype)
    return loc + w_ref[1] * z


_LANES = 32  # entries a program generates at once (a power of two, for Triton)


def _walk(line, line_len, w_ref, cf_ref, seed_ref, off_ref, log2_ref, normal_ref, *, dist,
          dtype, init, visit):
    """Run ``visit(carry, pos, valid, weights)`` over the entries of ``line``; final carry.

    The line is generated ``_LANES`` entries at a time: the hash of an entry
    depends on its counter alone, so a chunk's gaps come at once and a prefix
    sum places them.  ``pos`` (``_LANES``,) are positions in the window
    (0 where ``valid`` is False), ``weights`` the entry weights.
    """
    k1, k2 = _prng.line_keys(seed_ref[0], line)
    lo = off_ref[1]
    end = lo + jnp.int32(line_len)
    # q = position + 1 >= 0; the walk leaves the window once q reaches cap
    cap = end + 1
    cf = cf_ref[0]
    lanes = lax.broadcasted_iota(jnp.int32, (_LANES,), 0)

    def body(state):
        c, last, carry = state
        gbits, wbits = _prng.entry_bits(k1, k2, c + lanes)
        gaps = _prng.gap_from_bits(gbits, cf, log2_ref, _prng.clz_by_halving)
        steps = jnp.minimum(gaps, end) + 1
        q = last + jnp.cumsum(steps)
        # Every step is at most cap, so the first lane past the window holds q >= cap,
        # or a negative q if the int32 sum wrapped; every lane after it is out too.
        left = jnp.cumsum(((q >= cap) | (q < 0)).astype(jnp.int32)) > 0
        valid = ~left & (q > lo)
        weights = _entry_weight(w_ref, wbits, dist, dtype, log2_ref, normal_ref)
        pos = jnp.where(valid, q - 1 - lo, 0)
        return c + _LANES, jnp.max(jnp.where(left, cap, q)), visit(carry, pos, valid, weights)

    def cond(state):
        return state[1] < cap

    start = (jnp.int32(0), jnp.int32(0), init)
    return lax.while_loop(cond, body, start)[2]


def _gather_kernel(line_len, dist, event, dtype):
    def kernel(w_ref, cf_ref, seed_ref, off_ref, x_ref, log2_ref, normal_ref, out_ref):
        l = pl.program_id(0)

        def visit(acc, pos, valid, weights):
            add = contribution(weights[:, None], x_ref[pos, :], dtype, event)
            return acc + jnp.where(valid[:, None], add, jnp.zeros((), dtype))

        zero = jnp.zeros((_LANES, out_ref.shape[1]), dtype)
        acc = _walk(off_ref[0] + l, line_len, w_ref, cf_ref, seed_ref, off_ref, log2_ref,
                    normal_ref, dist=dist, dtype=dtype, init=zero, visit=visit)
        out_ref[l, :] = jnp.sum(acc, axis=0)
    return kernel


def _scatter_kernel(line_len, dist, event, dtype, n_programs, interpret):
    def kernel(w_ref, cf_ref, seed_ref, off_ref, x_ref, log2_ref, normal_ref, lines_ref,
               count_ref, zeros_ref, out_ref):
        del zeros_ref  # aliased to out_ref: the output starts at zero

        def line(l, carry):
            xrow = x_ref[l, :]

            def visit(carry, pos, valid, weights):
                add = contribution(weights[:, None], xrow[None, :], dtype, event)
                scatter_add(out_ref, pos, add, valid, interpret=interpret)
                return carry

            return _walk(off_ref[0] + l, line_len, w_ref, cf_ref, seed_ref, off_ref,
                         log2_ref, normal_ref, dist=dist, dtype=dtype, init=carry,
                         visit=visit)

        each_active_row(lines_ref, count_ref, n_programs, line, jnp.int32(0))
    return kernel


def jitc_pallas(w, cf, seed, off, x, *, n_lines, line_len, n_out, dist, scatter, event,
                interpret):
    """The generated product as a Pallas kernel (see the module docstring)."""
    dtype = w.dtype
    out_shape = (n_out,) + tuple(x.shape[1:])
    if n_lines == 0 or line_len == 0 or 0 in x.shape:
        return jnp.zeros(out_shape, dtype)
    x2, b = padded_operand(x, dtype, event)
    cols = x2.shape[1]
    tables = (jnp.asarray(_prng.log2_table()), jnp.asarray(_prng.normal_table()))
    args = (w, cf, seed, off, x2) + tables
    if not scatter:
        out = launch(_gather_kernel(line_len, dist, event, dtype),
                     jax.ShapeDtypeStruct((n_lines, cols), dtype), n_lines,
                     interpret=interpret, name="sparsecore_jitc_gather")(*args)
    else:
        lines, count = active_rows(x2, n_lines, event)
        n_programs = scatter_programs(n_lines)
        out = launch(_scatter_kernel(line_len, dist, event, dtype, n_programs, interpret),
                     jax.ShapeDtypeStruct((n_out, cols), dtype), n_programs,
                     interpret=interpret, name="sparsecore_jitc_scatter",
                     aliases={len(args) + 2: 0},
                     )(*args, lines, count, jnp.zeros((n_out, cols), dtype))
    out = out[:, :b]
    return out.reshape(out_shape)
