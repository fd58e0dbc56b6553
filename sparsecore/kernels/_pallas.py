"""What every Pallas kernel of sparsecore shares: the launch, the operand layout, compaction.

* :func:`launch` is ``pl.pallas_call`` with a one-dimensional grid, compiled
  for Triton on a GPU (the kernels use Triton's atomic adds) and run in
  interpret mode everywhere else.  The kernels take whole arrays (no block
  specs): each program reads the entries it needs with scalar loads and
  ``(B,)`` rows of the operand.
* :func:`padded_operand`: the dense operand as a ``(k, B)`` matrix, a vector
  being one column, the columns zero-padded to a power of two ``B`` (Triton's
  block shapes must be powers of two); padded columns are inactive and are
  sliced off the result.
* :func:`active_rows`: the rows a scatter visits, compacted to the front in
  XLA before the kernel (``jnp.nonzero`` with a static size), and how many.
* :func:`scatter_programs` and :func:`each_active_row`: a scatter's programs
  (at most 2048) and the share of the compacted rows each one visits.
* :func:`scatter_add`: a chunk of entries added into rows of the output, one
  masked vector of atomic adds on a GPU.
"""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as plt

__all__ = ["active_rows", "contribution", "each_active_row", "launch", "next_power_of_two",
           "padded_operand", "scatter_add", "scatter_programs"]


def launch(kernel, out_shape, n_programs: int, *, interpret: bool, name: str, aliases=None):
    """``pl.pallas_call`` of ``kernel`` over ``n_programs`` programs (Triton on a GPU)."""
    return pl.pallas_call(kernel, out_shape=out_shape, grid=(n_programs,),
                          input_output_aliases=dict(aliases or {}), interpret=interpret,
                          compiler_params=plt.CompilerParams(), name=name)


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


# Scatter programs: enough to fill a large GPU once (each loops over its share of the
# active rows), few enough that a sparse event costs no idle waves of programs.
SCATTER_PROGRAMS = 2048


def scatter_programs(n_rows: int) -> int:
    """How many programs a scatter over ``n_rows`` (compacted) rows launches."""
    return min(n_rows, SCATTER_PROGRAMS)


def each_active_row(rows_ref, count_ref, n_programs: int, visit, init):
    """``visit(row, carry)`` over this program's share of the compacted rows; final carry.

    Program ``p`` of ``n_programs`` visits ``rows_ref[p]``, ``rows_ref[p + n_programs]``,
    ... below ``count_ref[0]`` (see :func:`active_rows`).
    """
    p = pl.program_id(0)
    mine = jnp.maximum(count_ref[0] - p + n_programs - 1, 0) // n_programs
    return lax.fori_loop(0, mine, lambda r, carry: visit(rows_ref[p + r * n_programs], carry),
                         init)


def contribution(w, xrow, dtype, event):
    """``w * xrow``; with events ``w`` where the input is active (never ``0 * w``)."""
    if event:
        return jnp.where(xrow > 0, w, jnp.zeros((), dtype))
    return w * xrow


def scatter_add(out_ref, rows, values, live, *, interpret: bool):
    """``out_ref[rows[l], :] += values[l]`` for every lane ``l`` where ``live[l]``.

    ``rows`` is ``(L,)``, ``values`` ``(L, B)`` with ``B = out_ref.shape[1]``.
    On a GPU this is one masked vector of atomic adds (lanes may share a row).
    Pallas interpret mode has no masked or gathered atomics, so there the same
    adds go one lane at a time; everything around them runs as compiled.
    """
    cols = pl.ds(jnp.zeros((), rows.dtype), out_ref.shape[1])  # one index dtype
    if not interpret:
        mask = jnp.broadcast_to(live[:, None], values.shape)
        plt.atomic_add(out_ref, (rows, cols), values, mask=mask)
        return

    def lane(l, carry):
        @pl.when(live[l])
        def _():
            plt.atomic_add(out_ref, (rows[l], cols), values[l])
        return carry

    lax.fori_loop(0, rows.shape[0], lane, 0)
