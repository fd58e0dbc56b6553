"""Pallas kernels for the row-wise products, shared by CSR and fixed-number matrices.

A fixed-number row is a CSR row of fixed width, so one generator serves both
(as :mod:`sparsecore.kernels._loops` does for the numba kernels): row ``i``
holds the entries ``[indptr[i], indptr[i + 1])`` of the flat ``data`` and
``indices``, or ``[i * width, (i + 1) * width)`` when ``width >= 0``.

* ``A @ x`` gathers: one program per row, a ``fori_loop`` over chunks of 32 of
  its entries (the row length is a runtime bound; lanes past the row's end are
  masked), each chunk one vector gather of the operand rows, and one store of
  the row's result.
* ``A.T @ x`` scatters: the rows to visit are compacted first (with events,
  the rows whose input holds an event; otherwise every row), then a fixed
  number of programs (at most 2048) share the compacted rows, each adding
  chunks of 32 entries into the output with one masked vector of atomic adds
  (rows collide on their column indices).  A sparse event thus launches no
  program per silent row.  The compaction is ``jnp.nonzero`` in XLA, outside
  the kernel.

The operand is always a matrix ``(k, B)`` (see
:func:`~sparsecore.kernels._pallas.padded_operand`).  The kernels do not check
indices: construction does (or ``check()`` under jit); the numba kernels'
error return has no counterpart on a GPU.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.experimental import pallas as pl

from ._pallas import (active_rows, contribution, each_active_row, launch, padded_operand,
                      scatter_add, scatter_programs)

__all__ = ["rows_product"]


def _row_span(indptr_ref, width, i):
    if width >= 0:
        return i * width, (i + 1) * width
    return indptr_ref[i], indptr_ref[i + 1]


_LANES = 32  # entries a gather program reads at once (a power of two, for Triton)


def _gather_kernel(width, homo, event, dtype):
    def kernel(data_ref, indices_ref, indptr_ref, x_ref, out_ref):
        i = pl.program_id(0)
        start, stop = _row_span(indptr_ref, width, i)
        start, stop = jnp.asarray(start), jnp.asarray(stop)
        last = indices_ref.shape[0] - 1
        lanes = lax.broadcasted_iota(start.dtype, (_LANES,), 0)
        zero = jnp.zeros((), dtype)

        def body(c, acc):
            offs = start + c * _LANES + lanes
            live = offs < stop
            offs = jnp.minimum(offs, last)  # lanes past the row read a valid entry, unused
            w = jnp.where(live, data_ref[0] if homo else data_ref[offs], zero)
            xs = x_ref[indices_ref[offs], :]  # (lanes, columns): one gather
            return acc + contribution(w[:, None], xs, dtype, event)

        n_chunks = (stop - start + _LANES - 1) // _LANES
        acc = lax.fori_loop(0, n_chunks, body, jnp.zeros((_LANES, out_ref.shape[1]), dtype))
        out_ref[i, :] = jnp.sum(acc, axis=0)
    return kernel


def _scatter_kernel(width, homo, event, dtype, n_programs, interpret):
    def kernel(data_ref, indices_ref, indptr_ref, x_ref, rows_ref, count_ref, zeros_ref,
               out_ref):
        del zeros_ref  # aliased to out_ref: the output starts at zero
        last = indices_ref.shape[0] - 1
        lanes = lax.broadcasted_iota(jnp.int32, (_LANES,), 0)
        zero = jnp.zeros((), dtype)

        def row(i, carry):
            start, stop = _row_span(indptr_ref, width, i)
            start, stop = jnp.asarray(start, jnp.int32), jnp.asarray(stop, jnp.int32)
            xrow = x_ref[i, :]

            def chunk(c, carry):
                offs = start + c * _LANES + lanes
                live = offs < stop
                offs = jnp.minimum(offs, last)
                w = jnp.where(live, data_ref[0] if homo else data_ref[offs], zero)
                add = contribution(w[:, None], xrow[None, :], dtype, event)
                scatter_add(out_ref, indices_ref[offs], add, live, interpret=interpret)
                return carry

            return lax.fori_loop(0, (stop - start + _LANES - 1) // _LANES, chunk, carry)

        each_active_row(rows_ref, count_ref, n_programs, row, 0)
    return kernel


def rows_product(data, indices, indptr, x, *, width, n_rows, n_out, transpose, event, homo,
                 interpret):
    """``A @ x`` (``A.T @ x`` when ``transpose``) of the row view as Pallas kernels.

    ``data`` is flat (one value per entry) or ``(1,)`` with ``homo``;
    ``indices`` flat; ``indptr`` the row pointers, or any small int array when
    ``width >= 0``; ``x`` is ``(k,)`` or ``(k, b)``; ``n_out`` the output length.
    """
    dtype = data.dtype
    out_shape = (n_out,) + tuple(x.shape[1:])
    if indices.shape[0] == 0 or n_rows == 0 or n_out == 0 or 0 in x.shape:
        return jnp.zeros(out_shape, dtype)
    x2, b = padded_operand(x, dtype, event)
    cols = x2.shape[1]
    if not transpose:
        out = launch(_gather_kernel(width, homo, event, dtype),
                     jax.ShapeDtypeStruct((n_rows, cols), dtype), n_rows, interpret=interpret,
                     name="sparsecore_rows_gather")(data, indices, indptr, x2)
    else:
        rows, count = active_rows(x2, n_rows, event)
        n_programs = scatter_programs(n_rows)
        out = launch(_scatter_kernel(width, homo, event, dtype, n_programs, interpret),
                     jax.ShapeDtypeStruct((n_out, cols), dtype), n_programs,
                     interpret=interpret,
                     name="sparsecore_rows_scatter", aliases={6: 0},
                     )(data, indices, indptr, x2, rows, count, jnp.zeros((n_out, cols), dtype))
    out = out[:, :b]
    return out.reshape(out_shape)
