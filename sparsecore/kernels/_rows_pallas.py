"""Pallas kernels for the row-wise products, shared by CSR and fixed-number matrices.

A fixed-number row is a CSR row of fixed width, so one generator serves both
(as :mod:`sparsecore.kernels._loops` does for the numba kernels): row ``i``
holds the entries ``[indptr[i], indptr[i + 1])`` of the flat ``data`` and
``indices``, or ``[i * width, (i + 1) * width)`` when ``width >= 0``.

* ``A @ x`` gathers: one program per row, a ``fori_loop`` over its entries
  (the row length is a runtime bound), one store of the row's result.
* ``A.T @ x`` scatters: the rows to visit are compacted first (with events,
  the rows whose input holds an event; otherwise every row), then one program
  per compacted row adds its entries into the output with atomic adds (rows
  collide on their column indices).  Programs past the number of active rows
  return at once.  The compaction is ``jnp.nonzero`` in XLA, outside the
  kernel.

The operand is always a matrix ``(k, B)``: a vector is one column, and the
columns are padded with zeros to a power of two ``B`` (Triton's block shapes
must be powers of two); padded columns are inactive and are sliced off.  The
kernels do not check indices: construction does (or ``check()`` under jit);
the numba kernels' error return has no counterpart on a GPU.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as plt

__all__ = ["rows_product", "padded_operand", "next_power_of_two", "active_rows", "contribution"]


def next_power_of_two(n: int) -> int:
    """The smallest power of two ``>= max(n, 1)``."""
    return 1 << max(int(n) - 1, 0).bit_length()


def padded_operand(x, dtype, event):
    """``(x2, b)``: ``x`` as ``(k, B)`` (columns zero-padded to a power of two) and ``b``.

    Float operands are cast to ``dtype``; event operands keep their dtype
    (bool or float, tested with ``> 0``), so padding adds inactive inputs.
    """
    x2 = x.reshape(x.shape[0], -1) if x.ndim == 2 else x[:, None]
    if not event:
        x2 = x2.astype(dtype)
    b = x2.shape[1]
    pad = next_power_of_two(b) - b
    if pad:
        x2 = jnp.pad(x2, ((0, 0), (0, pad)))
    return x2, b


def active_rows(x2, n_rows, event):
    """``(rows, count)``: the rows a scatter visits, compacted to the front, and how many.

    With events, the rows of ``x2`` holding an event; otherwise all of them.
    The compaction runs in XLA (``jnp.nonzero`` with a static size), before
    the kernel.
    """
    if not event:
        return jnp.arange(n_rows, dtype=jnp.int32), jnp.full((1,), n_rows, jnp.int32)
    active = jnp.any(x2 > 0, axis=1)
    rows = jnp.nonzero(active, size=n_rows, fill_value=0)[0].astype(jnp.int32)
    return rows, jnp.sum(active, dtype=jnp.int32).reshape(1)


def _row_span(indptr_ref, width, i):
    if width >= 0:
        return i * width, (i + 1) * width
    return indptr_ref[i], indptr_ref[i + 1]


def contribution(w, xrow, dtype, event):
    """``w * xrow``; with events ``w`` where the input is active (never ``0 * w``)."""
    if event:
        return jnp.where(xrow > 0, w, jnp.zeros((), dtype))
    return w * xrow


def _gather_kernel(width, homo, event, dtype):
    def kernel(data_ref, indices_ref, indptr_ref, x_ref, out_ref):
        i = pl.program_id(0)
        start, stop = _row_span(indptr_ref, width, i)

        def body(k, acc):
            w = data_ref[0] if homo else data_ref[k]
            return acc + contribution(w, x_ref[indices_ref[k], :], dtype, event)

        zero = jnp.zeros((out_ref.shape[1],), dtype)
        out_ref[i, :] = lax.fori_loop(start, stop, body, zero)
    return kernel


def _scatter_kernel(width, homo, event, dtype):
    def kernel(data_ref, indices_ref, indptr_ref, x_ref, rows_ref, count_ref, zeros_ref,
               out_ref):
        del zeros_ref  # aliased to out_ref: the output starts at zero
        p = pl.program_id(0)

        @pl.when(p < count_ref[0])
        def _():
            i = rows_ref[p]
            start, stop = _row_span(indptr_ref, width, i)
            xrow = x_ref[i, :]

            def body(k, carry):
                w = data_ref[0] if homo else data_ref[k]
                j = indices_ref[k]
                cols = pl.ds(jnp.zeros((), j.dtype), out_ref.shape[1])  # one index dtype
                plt.atomic_add(out_ref, (j, cols), contribution(w, xrow, dtype, event))
                return carry

            lax.fori_loop(start, stop, body, 0)
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
        out = pl.pallas_call(
            _gather_kernel(width, homo, event, dtype),
            out_shape=jax.ShapeDtypeStruct((n_rows, cols), dtype), grid=(n_rows,),
            interpret=interpret, name="sparsecore_rows_gather",
        )(data, indices, indptr, x2)
    else:
        rows, count = active_rows(x2, n_rows, event)
        out = pl.pallas_call(
            _scatter_kernel(width, homo, event, dtype),
            out_shape=jax.ShapeDtypeStruct((n_out, cols), dtype), grid=(n_rows,),
            input_output_aliases={6: 0}, interpret=interpret, name="sparsecore_rows_scatter",
        )(data, indices, indptr, x2, rows, count, jnp.zeros((n_out, cols), dtype))
    out = out[:, :b]
    return out.reshape(out_shape)
