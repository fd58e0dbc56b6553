"""Pallas kernels for the spike-triggered weight updates and ``csrmv_yw2y``.

The updates alias their output to the weight input
(``input_output_aliases={0: 0}``): with the weight buffer donated to
``jax.jit`` they run in place, and each kernel writes only the entries it
updates.  The spiking rows (or columns) are compacted first in XLA
(``jnp.nonzero`` with a static size), then one program per compacted row
updates its entries; programs past the number of spikes return at once.  No
two programs write one entry (``weight_indices`` is a permutation), so no
atomics are needed.  Clipping is ``min(max(w + trace, lo), hi)``, the
reference's rule (NaN propagates).  Indices are not checked here (see
:mod:`sparsecore.kernels._rows_pallas`).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.experimental import pallas as pl

from ._pallas import active_rows, launch

__all__ = ["compressed_update_pallas", "dense_update_pallas", "yw2y_pallas"]


def _compact(spike):
    """``(rows, count)``: the indices of the spiking neurons first, and how many."""
    return active_rows(spike[:, None], spike.shape[0], event=True)


def _clip(v, lo_ref, hi_ref):
    return jnp.minimum(jnp.maximum(v, lo_ref[0]), hi_ref[0])


def _compressed_kernel(indirect):
    def kernel(weight_ref, indices_ref, indptr_ref, weight_indices_ref, rows_ref, count_ref,
               trace_ref, lo_ref, hi_ref, out_ref):
        del weight_ref  # aliased to out_ref
        p = pl.program_id(0)

        @pl.when(p < count_ref[0])
        def _():
            i = rows_ref[p]

            def body(k, carry):
                q = weight_indices_ref[k] if indirect else k
                out_ref[q] = _clip(out_ref[q] + trace_ref[indices_ref[k]], lo_ref, hi_ref)
                return carry

            lax.fori_loop(indptr_ref[i], indptr_ref[i + 1], body, 0)
    return kernel


def compressed_update_pallas(weight, indices, indptr, weight_indices, spike, trace, lo, hi, *,
                             shape, indirect, interpret):
    """``compressed_update_p`` as a Pallas kernel, in place on ``weight``."""
    n_rows = indptr.shape[0] - 1
    if indices.shape[0] == 0 or n_rows == 0:
        return weight
    rows, count = _compact(spike)
    if not indirect:  # not read; a zero-sized kernel input is not allowed
        weight_indices = jnp.zeros((1,), jnp.int32)
    return launch(_compressed_kernel(bool(indirect)),
                  jax.ShapeDtypeStruct(weight.shape, weight.dtype), n_rows,
                  interpret=interpret, name="sparsecore_compressed_update", aliases={0: 0},
                  )(weight, indices, indptr, weight_indices, rows, count, trace, lo, hi)


def _dense_kernel(axis, n):
    def kernel(weight_ref, lines_ref, count_ref, trace_ref, lo_ref, hi_ref, out_ref):
        del weight_ref  # aliased to out_ref
        p = pl.program_id(0)
        if axis == 0:  # program p: spiking row lines[p], every column
            @pl.when(p < count_ref[0])
            def _():
                i = lines_ref[p]

                def body(j, carry):
                    out_ref[i, j] = _clip(out_ref[i, j] + trace_ref[j], lo_ref, hi_ref)
                    return carry
                lax.fori_loop(0, n, body, 0)
        else:  # program p: row p, the spiking columns
            t = trace_ref[p]

            def body(c, carry):
                j = lines_ref[c]
                out_ref[p, j] = _clip(out_ref[p, j] + t, lo_ref, hi_ref)
                return carry
            lax.fori_loop(0, count_ref[0], body, 0)
    return kernel


def dense_update_pallas(weight, spike, trace, lo, hi, *, axis, interpret):
    """``dense_update_p`` as a Pallas kernel, in place on ``weight``."""
    m, n = weight.shape
    if m == 0 or n == 0:
        return weight
    lines, count = _compact(spike)
    return launch(_dense_kernel(int(axis), n), jax.ShapeDtypeStruct(weight.shape, weight.dtype),
                  m, interpret=interpret, name="sparsecore_dense_update", aliases={0: 0},
                  )(weight, lines, count, trace, lo, hi)


def _yw2y_kernel(transpose):
    def kernel(y_ref, w_ref, indices_ref, indptr_ref, out_ref):
        i = pl.program_id(0)
        yi = None if transpose else y_ref[i]

        def body(k, carry):
            y = y_ref[indices_ref[k]] if transpose else yi
            out_ref[k] = w_ref[k] * y
            return carry

        lax.fori_loop(indptr_ref[i], indptr_ref[i + 1], body, 0)
    return kernel


def yw2y_pallas(y, w, indices, indptr, *, shape, transpose, interpret):
    """``yw2y_p`` as a Pallas kernel: one program per row writes its entries."""
    n_rows = indptr.shape[0] - 1
    if indices.shape[0] == 0 or n_rows == 0:
        return jnp.zeros(w.shape, w.dtype)
    return launch(_yw2y_kernel(bool(transpose)), jax.ShapeDtypeStruct(w.shape, w.dtype),
                  n_rows, interpret=interpret, name="sparsecore_csrmv_yw2y",
                  )(y.astype(w.dtype), w, indices, indptr)
