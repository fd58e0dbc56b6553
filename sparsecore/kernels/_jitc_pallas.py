"""Pallas kernels for generated ("JIT") connectivity products.

Each program generates one line of the matrix on the fly with the integer
hash of :mod:`sparsecore.kernels._prng` (the same functions the reference
runs, with the two lookup tables passed in as kernel inputs), so the
structure is bit for bit that of every other backend; weights agree within
float rounding (a GPU may contract ``loc + scale * z`` into one FMA).

A line is walked entry by entry in a ``while_loop`` until its position
leaves the window ``[off[1], off[1] + line_len)``:

* gather (``R @ x``, ``C.T @ x``): program ``l`` sums ``w * x[pos]`` over
  its entries and stores ``out[l]``;
* scatter (``R.T @ x``, ``C @ x``): the lines whose input is active are
  compacted first (every line for float operands), and each program adds
  ``w * x[l]`` into ``out[pos]`` with atomic adds.

The operand is a ``(k, B)`` matrix padded to a power of two columns (see
:mod:`sparsecore.kernels._pallas`).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as plt

from . import _prng
from ._pallas import active_rows, contribution, launch, padded_operand

__all__ = ["jitc_pallas"]


def _entry_weight(w_ref, wbits, dist, dtype, log2_ref, normal_ref):
    loc = w_ref[0]
    if dist == "homo":
        return loc
    z = _prng.z_from_bits(wbits, dist, log2_ref, normal_ref).astype(dtype)
    return loc + w_ref[1] * z


def _walk(line, line_len, w_ref, cf_ref, seed_ref, off_ref, log2_ref, normal_ref, *, dist,
          dtype, init, visit):
    """Run ``visit(carry, pos, valid, weight)`` over the entries of ``line``; final carry.

    ``pos`` is the position in the window (clamped where ``valid`` is False).
    """
    k1, k2 = _prng.line_keys(seed_ref[0], line)
    lo = off_ref[1]
    end = lo + jnp.int32(line_len)
    cf = cf_ref[0]

    def body(state):
        c, p, carry = state
        gbits, wbits = _prng.entry_bits(k1, k2, c)
        p = p + jnp.minimum(_prng.gap_from_bits(gbits, cf, log2_ref), end) + 1
        valid = (p >= lo) & (p < end)
        weight = _entry_weight(w_ref, wbits, dist, dtype, log2_ref, normal_ref)
        pos = jnp.clip(p - lo, 0, line_len - 1)
        return c + 1, p, visit(carry, pos, valid, weight)

    def cond(state):
        return state[1] < end

    start = (jnp.int32(0), jnp.int32(-1), init)
    return lax.while_loop(cond, body, start)[2]


def _gather_kernel(line_len, dist, event, dtype):
    def kernel(w_ref, cf_ref, seed_ref, off_ref, x_ref, log2_ref, normal_ref, out_ref):
        l = pl.program_id(0)

        def visit(acc, pos, valid, weight):
            add = contribution(weight, x_ref[pos, :], dtype, event)
            return acc + jnp.where(valid, add, jnp.zeros((), dtype))

        zero = jnp.zeros((out_ref.shape[1],), dtype)
        out_ref[l, :] = _walk(off_ref[0] + l, line_len, w_ref, cf_ref, seed_ref, off_ref,
                              log2_ref, normal_ref, dist=dist, dtype=dtype, init=zero,
                              visit=visit)
    return kernel


def _scatter_kernel(line_len, dist, event, dtype):
    def kernel(w_ref, cf_ref, seed_ref, off_ref, x_ref, log2_ref, normal_ref, lines_ref,
               count_ref, zeros_ref, out_ref):
        del zeros_ref  # aliased to out_ref: the output starts at zero
        p = pl.program_id(0)

        @pl.when(p < count_ref[0])
        def _():
            l = lines_ref[p]
            xrow = x_ref[l, :]

            def visit(carry, pos, valid, weight):
                @pl.when(valid)
                def _():
                    cols = pl.ds(jnp.int32(0), out_ref.shape[1])
                    plt.atomic_add(out_ref, (pos, cols),
                                   contribution(weight, xrow, dtype, event))
                return carry

            _walk(off_ref[0] + l, line_len, w_ref, cf_ref, seed_ref, off_ref, log2_ref,
                  normal_ref, dist=dist, dtype=dtype, init=jnp.int32(0), visit=visit)
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
        out = launch(_scatter_kernel(line_len, dist, event, dtype),
                     jax.ShapeDtypeStruct((n_out, cols), dtype), n_lines,
                     interpret=interpret, name="sparsecore_jitc_scatter",
                     aliases={len(args) + 2: 0},
                     )(*args, lines, count, jnp.zeros((n_out, cols), dtype))
    out = out[:, :b]
    return out.reshape(out_shape)
