"""Split stored buffers into equal blocks for sharding, and put them back together.

Host-side (NumPy) helpers behind :meth:`sparsecore.SparseMatrix.shard`.  They
work on the *view* of a format's buffers: ``(lines, positions)``, where lines
are the compressed rows of a CSR (columns of a CSC) or the rows of a
fixed-number table.  A view of ``L`` lines and ``K`` positions is cut along
one view axis into ``n`` blocks of ``b = ceil(size / n)`` lines (positions);
the last block is padded.  Every block has the same buffer shapes, so the
blocks stack into arrays with a leading block axis that JAX lays out one
block per device.

Padding never touches the matrix: a compressed block stores its padding
entries in one extra *phantom line* after its real lines, and a fixed-number
block cut along positions points its padding entries at one extra *phantom
position*; products feed phantoms zeros and drop what they produce, so
padding contributes nothing and receives a zero gradient.
"""
from __future__ import annotations

import numpy as np

__all__ = ["block_size", "split_compressed", "merge_compressed", "split_fixed", "merge_fixed"]


def block_size(size: int, n: int) -> int:
    """Lines (positions) per block: ``ceil(size / n)``, at least 1."""
    return max(-(-int(size) // int(n)), 1)


def _per_entry(data, nnz):
    data = np.asarray(data)
    return data.shape[0] == nnz and not (data.shape[0] == 1 and nnz != 1)


def split_compressed(data, indices, indptr, view_shape, vdim: int, n: int):
    """Blocks of a row-compressed view; returns ``(data, indices, indptr, block_view, b)``.

    ``data`` comes back stacked ``(n, nnz_b)`` when it holds one value per
    entry, unchanged when it is homogeneous.  ``indices`` ``(n, nnz_b)`` are
    local to the block (positions counted from the block's first one when
    cut along positions), ``indptr`` ``(n, lines_b + 2)``: the block's lines,
    then the phantom line holding the padding.  ``block_view`` is the view
    shape of one block, phantom line included.
    """
    data, indices, indptr = np.asarray(data), np.asarray(indices), np.asarray(indptr)
    lines, positions = view_shape
    nnz = indices.shape[0]
    per_entry = _per_entry(data, nnz)
    b = block_size(view_shape[vdim], n)
    rows = np.repeat(np.arange(lines), np.diff(indptr))
    if vdim == 0:
        owner = rows // b
        local_rows, local_pos = rows - owner * b, indices
        n_lines = b
    else:
        owner = indices // b
        local_rows, local_pos = rows, indices - owner * b
        n_lines = lines
    counts = np.bincount(owner, minlength=n)[:n] if nnz else np.zeros(n, np.int64)
    nnz_b = int(counts.max(initial=0))
    idx_dtype, ptr_dtype = indices.dtype, indptr.dtype
    out_idx = np.zeros((n, nnz_b), idx_dtype)
    out_ptr = np.zeros((n, n_lines + 2), ptr_dtype)
    out_data = np.zeros((n, nnz_b), data.dtype) if per_entry else data
    for d in range(n):
        sel = np.flatnonzero(owner == d)  # keeps the storage order of each line
        k = sel.shape[0]
        out_idx[d, :k] = local_pos[sel]
        line_counts = np.bincount(local_rows[sel], minlength=n_lines)[:n_lines]
        out_ptr[d, 1:n_lines + 1] = np.cumsum(line_counts)
        out_ptr[d, n_lines + 1] = nnz_b
        if per_entry:
            out_data[d, :k] = data[sel]
    return out_data, out_idx, out_ptr, (n_lines + 1, b if vdim == 1 else positions), b


def merge_compressed(data, indices, indptr, view_shape, vdim: int, b: int):
    """The inverse of :func:`split_compressed`: ``(data, indices, indptr)`` of the view.

    Entries keep their order within each line when the blocks were cut along
    lines; cut along positions, each line lists its entries block by block.
    """
    data, indices, indptr = np.asarray(data), np.asarray(indices), np.asarray(indptr)
    n = indices.shape[0]
    per_entry = data.ndim == 2
    rows, pos, vals = [], [], []
    for d in range(n):
        ptr = indptr[d]
        n_lines = ptr.shape[0] - 2
        k = int(ptr[n_lines])
        r = np.repeat(np.arange(n_lines), np.diff(ptr[:n_lines + 1]))
        p = indices[d, :k].astype(np.int64)
        if vdim == 0:
            r = r + d * b
        else:
            p = p + d * b
        rows.append(r)
        pos.append(p)
        if per_entry:
            vals.append(data[d, :k])
    rows, pos = np.concatenate(rows), np.concatenate(pos)
    order = np.argsort(rows, kind="stable")
    lines = view_shape[0]
    out_ptr = np.zeros(lines + 1, indptr.dtype)
    out_ptr[1:] = np.cumsum(np.bincount(rows, minlength=lines)[:lines])
    out_data = np.concatenate(vals)[order] if per_entry else data
    return out_data, pos[order].astype(indices.dtype), out_ptr


def split_fixed(data, indices, view_shape, vdim: int, n: int):
    """Blocks of a fixed-number table ``indices`` ``(L, n_conn)``.

    Returns ``(data, indices, block_view, b)``: ``indices`` stacked
    ``(n, lines_b, n_conn_b)`` with local positions, ``data`` stacked the same
    way when it holds one value per entry (unchanged when homogeneous).  Cut
    along lines, the blocks keep ``n_conn`` and the last is padded with lines
    of zero weight; cut along positions, every line keeps the entries of its
    window, padded to the largest count with entries at the phantom position
    ``b`` (weight 0).
    """
    data, indices = np.asarray(data), np.asarray(indices)
    lines, positions = view_shape
    per_entry = data.ndim == 2
    b = block_size(view_shape[vdim], n)
    n_conn = indices.shape[1]
    if vdim == 0:
        pad = n * b - lines
        out_idx = np.concatenate([indices, np.zeros((pad, n_conn), indices.dtype)])
        out_idx = out_idx.reshape(n, b, n_conn)
        out_data = data
        if per_entry:
            out_data = np.concatenate([data, np.zeros((pad, n_conn), data.dtype)])
            out_data = out_data.reshape(n, b, n_conn)
        return out_data, out_idx, (b, positions), b
    owner = indices // b
    counts = np.stack([(owner == d).sum(axis=1) for d in range(n)]) if lines else \
        np.zeros((n, 0), np.int64)
    width = int(counts.max(initial=0))
    out_idx = np.full((n, lines, width), b, indices.dtype)
    out_data = np.zeros((n, lines, width), data.dtype) if per_entry else data
    for d in range(n):
        mine = owner == d
        # a stable sort of "not mine" moves this block's entries to the front, in order
        order = np.argsort(~mine, axis=1, kind="stable")[:, :width]
        keep = np.take_along_axis(mine, order, axis=1)
        local = np.take_along_axis(indices, order, axis=1) - d * b
        out_idx[d] = np.where(keep, local, b)
        if per_entry:
            out_data[d] = np.where(keep, np.take_along_axis(data, order, axis=1), 0)
    return out_data, out_idx, (lines, b + 1), b


def merge_fixed(data, indices, view_shape, vdim: int, b: int):
    """The inverse of :func:`split_fixed`: ``(data, indices)`` of the ``(L, n_conn)`` table.

    Cut along positions, each line lists its entries block by block.
    """
    data, indices = np.asarray(data), np.asarray(indices)
    lines = view_shape[0]
    per_entry = data.ndim == 3
    n = indices.shape[0]
    if vdim == 0:
        flat = (indices.shape[0] * indices.shape[1], indices.shape[2])
        out_idx = indices.reshape(flat)[:lines]
        out_data = data.reshape(flat)[:lines] if per_entry else data
        return out_data, out_idx
    keep = indices < b
    n_conn = int(keep[:, 0].sum()) if lines else 0
    glob = indices.astype(np.int64) + (np.arange(n) * b)[:, None, None]
    # per line: the kept entries of block 0, then block 1, ...
    glob = np.concatenate(list(glob), axis=1)
    keep = np.concatenate(list(keep), axis=1)
    order = np.argsort(~keep, axis=1, kind="stable")[:, :n_conn]
    out_idx = np.take_along_axis(glob, order, axis=1).astype(indices.dtype)
    out_data = data
    if per_entry:
        out_data = np.take_along_axis(np.concatenate(list(data), axis=1), order, axis=1)
    return out_data, out_idx
