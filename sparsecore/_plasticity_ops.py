"""Spike-triggered weight updates (STDP building blocks) and the per-synapse ``*_yw2y``.

Functions over raw buffers, in the argument order of the library this field
uses today, so that existing models port by changing the import.  Each one
checks its shape and hands the buffers to the shared bodies in
:mod:`sparsecore._plasticity`, which the matrix methods use too.

Conventions shared by every update function:

* A spike is any nonzero entry (``True`` for bool arrays).
* Only the entries of spiking neurons change; they get ``+ trace`` and are
  then clipped to ``[w_min, w_max]``.  By default (``clip="updated"``) entries
  of silent neurons are returned as they are, even when they lie outside the
  bounds, so the cost stays proportional to the spikes; ``clip="all"`` clips
  every weight after the update, as brainevent does (one more pass over all
  weights).  Either bound may be None (no bound on that side).
* Traces and bounds are converted to the weight's unit; incompatible units
  raise :class:`sparsecore.UnitMismatchError` (a ``ValueError`` and a
  ``brainunit.UnitMismatchError``).  A plain-number trace needs plain-number
  weights.
* Weights must hold one value per stored entry: a homogeneous (shared,
  scalar) weight cannot change per synapse and is rejected.
* Run inside ``jax.jit(..., donate_argnums=...)`` with the weight donated, the
  numba kernels update it in place: cost proportional to spikes x connections
  per spiking neuron.  Without donation XLA first copies the weights.
"""
from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from . import _units, _validation as V
from ._typing import ArrayLike, Backend, Result, Shape
from ._plasticity import (column_index, compressed_update_op, dense_update_op, fixed_update_op,
                          yw2y_op)

__all__ = ["update_csr_on_binary_pre", "update_csr_on_binary_post", "update_csc_on_binary_pre",
           "update_csc_on_binary_post", "update_dense_on_binary_pre",
           "update_dense_on_binary_post", "csr_to_csc_index", "csrmv_yw2y", "cscmv_yw2y",
           "fcnmv_yw2y",
           "update_fixed_post_conn_on_binary_pre", "update_fixed_pre_conn_on_binary_post"]


# ---------------------------------------------------------------------------
# CSR and CSC
# ---------------------------------------------------------------------------

def _require_weight_indices(weight_indices, *, where, mirror, layout, call):
    """The mirror updates cannot run without the map to the weights' positions."""
    if weight_indices is None:
        raise TypeError(f"{where}: weight_indices is None, but (indices, indptr) is the "
                        f"{mirror}-compressed mirror of the {layout} weights and weight_indices "
                        f"maps its entries to their {layout} positions; pass the third array "
                        f"returned by {call}.")


def update_csr_on_binary_pre(weight: ArrayLike, indices: ArrayLike, indptr: ArrayLike,
                             pre_spike: ArrayLike, post_trace: ArrayLike,
                             w_min: ArrayLike | None = None, w_max: ArrayLike | None = None, *,
                             shape: Shape, backend: Backend = None,
                             clip: Literal["updated", "all"] = "updated") -> Result:
    """On-pre update of CSR weights: ``W[i, j] += post_trace[j]`` for spiking rows ``i``.

    Parameters
    ----------
    weight : array or Quantity, shape (nnz,)
        One value per stored entry of the CSR matrix ``(indices, indptr)``.
    indices, indptr : integer arrays
        Column indices ``(nnz,)`` and row pointers ``(shape[0] + 1,)``.
    pre_spike : array, shape (shape[0],)
        Presynaptic spikes: bool, or any nonzero number.
    post_trace : array or Quantity, shape (shape[1],)
        Postsynaptic trace, converted to the weight's unit.
    w_min, w_max : scalar, Quantity or None
        Bounds (None: none on that side), applied as ``clip`` says.
    shape : tuple of int
        ``(n_pre, n_post)``.
    backend : {None, "numba", "pallas", "jax"}
    clip : {"updated", "all"}
        ``"updated"``: bound only the entries the spikes changed (cost
        proportional to spikes); ``"all"``: bound every weight after the
        update, as brainevent does (one pass over all weights).

    Returns
    -------
    array or Quantity
        The new weights, shape (nnz,), in the weight's unit.  Donate ``weight``
        to ``jax.jit`` to update it in place.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> w = jnp.array([0.5, 0.3, 0.8, 0.2])
    >>> indices, indptr = jnp.array([0, 1, 0, 1]), jnp.array([0, 2, 4])
    >>> sc.update_csr_on_binary_pre(w, indices, indptr, jnp.array([True, False]),
    ...                             jnp.array([0.1, 0.8]), w_max=1.0, shape=(2, 2))
    Array([0.6, 1. , 0.8, 0.2], dtype=float32)
    """
    return compressed_update_op(weight, indices, indptr, None, pre_spike, post_trace, w_min,
                                w_max, shape=shape, on_pre=True, where="update_csr_on_binary_pre",
                                backend=backend, clip=clip)


def update_csr_on_binary_post(weight: ArrayLike, indices: ArrayLike, indptr: ArrayLike,
                              weight_indices: ArrayLike, pre_trace: ArrayLike,
                              post_spike: ArrayLike, w_min: ArrayLike | None = None,
                              w_max: ArrayLike | None = None, *, shape: Shape,
                              backend: Backend = None,
                              clip: Literal["updated", "all"] = "updated") -> Result:
    """On-post update of CSR weights: ``W[i, j] += pre_trace[i]`` for spiking columns ``j``.

    The column-compressed structure ``(indices, indptr)`` (row indices, column
    pointers) and ``weight_indices`` (the CSR position of each of its entries)
    come from :func:`csr_to_csc_index`; with them the cost is proportional to
    the spiking columns times their fan-in.

    Parameters
    ----------
    weight : array or Quantity, shape (nnz,)
        CSR-ordered weights.
    indices, indptr, weight_indices : integer arrays
        Row indices ``(nnz,)``, column pointers ``(shape[1] + 1,)`` and the map
        to CSR positions ``(nnz,)``.
    pre_trace : array or Quantity, shape (shape[0],)
        Presynaptic trace, converted to the weight's unit.
    post_spike : array, shape (shape[1],)
        Postsynaptic spikes: bool, or any nonzero number.
    w_min, w_max : scalar, Quantity or None
        Bounds (None: none on that side), applied as ``clip`` says.
    shape : tuple of int
        ``(n_pre, n_post)``.
    backend : {None, "numba", "pallas", "jax"}
    clip : {"updated", "all"}
        ``"updated"``: bound only the entries the spikes changed (cost
        proportional to spikes); ``"all"``: bound every weight after the
        update, as brainevent does (one pass over all weights).

    Returns
    -------
    array or Quantity
        The new CSR-ordered weights, shape (nnz,).

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> weight = jnp.array([0.5, 0.3, 0.8, 0.2])
    >>> indices, indptr = jnp.array([0, 1, 0, 1]), jnp.array([0, 2, 4])
    >>> csc_indptr, csc_indices, weight_indices = sc.csr_to_csc_index(indptr, indices,
    ...                                                                shape=(2, 2))
    >>> sc.update_csr_on_binary_post(weight, csc_indices, csc_indptr, weight_indices,
    ...                              jnp.array([0.1, -0.05]), jnp.array([True, False]),
    ...                              shape=(2, 2))
    Array([0.6 , 0.3 , 0.75, 0.2 ], dtype=float32)
    """
    where = "update_csr_on_binary_post"
    _require_weight_indices(weight_indices, where=where, mirror="column", layout="CSR",
                            call="csr_to_csc_index(csr_indptr, csr_indices, shape=shape)")
    return compressed_update_op(weight, indices, indptr, weight_indices, post_spike, pre_trace,
                                w_min, w_max, shape=shape, on_pre=False, where=where,
                                backend=backend, clip=clip)


def update_csc_on_binary_post(weight: ArrayLike, indices: ArrayLike, indptr: ArrayLike,
                              pre_trace: ArrayLike, post_spike: ArrayLike,
                              w_min: ArrayLike | None = None, w_max: ArrayLike | None = None, *,
                              shape: Shape, backend: Backend = None,
                              clip: Literal["updated", "all"] = "updated") -> Result:
    """On-post update of CSC weights: ``W[i, j] += pre_trace[i]`` for spiking columns ``j``.

    Columns are postsynaptic, so the update walks the stored columns of the
    spiking neurons directly.

    Parameters
    ----------
    weight : array or Quantity, shape (nnz,)
        CSC-ordered weights.
    indices, indptr : integer arrays
        Row indices ``(nnz,)`` and column pointers ``(shape[1] + 1,)``.
    pre_trace, post_spike, w_min, w_max, backend, clip
        As in :func:`update_csr_on_binary_post`.
    shape : tuple of int
        ``(n_pre, n_post)``.

    Returns
    -------
    array or Quantity
        The new CSC-ordered weights.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> w = jnp.array([1., 2., 3.])
    >>> indices, indptr = jnp.array([0, 2, 1]), jnp.array([0, 2, 3])  # 3 x 2 matrix
    >>> sc.update_csc_on_binary_post(w, indices, indptr, jnp.array([0.1, 0.2, 0.3]),
    ...                              jnp.array([1., 0.]), w_max=2.5, shape=(3, 2))
    Array([1.1, 2.3, 3. ], dtype=float32)
    """
    return compressed_update_op(weight, indices, indptr, None, post_spike, pre_trace, w_min,
                                w_max, shape=shape, on_pre=False, where="update_csc_on_binary_post",
                                backend=backend, clip=clip)


def update_csc_on_binary_pre(weight: ArrayLike, indices: ArrayLike, indptr: ArrayLike,
                             pre_spike: ArrayLike, post_trace: ArrayLike,
                             w_min: ArrayLike | None = None, w_max: ArrayLike | None = None, *,
                             shape: Shape, backend: Backend = None,
                             clip: Literal["updated", "all"] = "updated") -> Result:
    """On-pre update of CSC weights: ``W[i, j] += post_trace[j]`` for spiking rows ``i``.

    Takes the CSC buffers themselves.  Rows are the side the buffers do not
    compress, so the row-compressed mirror of the structure is built inside
    the call (a sort, O(nnz log nnz); on concrete buffers it runs once, when
    traced).  In a loop over traced buffers keep a matrix with its mirror
    instead: ``sc.CSC(...).with_column_index().update_on_pre(...)`` costs
    spikes x fan-out per call.

    Parameters
    ----------
    weight : array or Quantity, shape (nnz,)
        CSC-ordered weights.
    indices, indptr : integer arrays
        Row indices ``(nnz,)`` and column pointers ``(shape[1] + 1,)``.
    pre_spike, post_trace, w_min, w_max, backend, clip
        As in :func:`update_csr_on_binary_pre`.
    shape : tuple of int
        ``(n_pre, n_post)``.

    Returns
    -------
    array or Quantity
        The new CSC-ordered weights.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> w = jnp.array([1., 2., 3.])
    >>> indices, indptr = jnp.array([0, 2, 1]), jnp.array([0, 2, 3])  # 3 x 2
    >>> sc.update_csc_on_binary_pre(w, indices, indptr, jnp.array([True, False, True]),
    ...                             jnp.array([0.5, -1.0]), shape=(3, 2))
    Array([1.5, 2.5, 3. ], dtype=float32)
    """
    where = "update_csc_on_binary_pre"
    shape = V.check_shape(shape, where=where)
    mirror = _checked_column_index(indices, indptr, shape[::-1], where=where)
    return compressed_update_op(weight, *mirror, pre_spike, post_trace, w_min, w_max,
                                shape=shape, on_pre=True, where=where, backend=backend,
                                clip=clip, full=False)


def _checked_column_index(indices, indptr, shape, *, where):
    """Checked ``(row_indices, col_indptr, weight_indices)`` of CSR buffers of ``shape``."""
    indices = V.as_index_array(indices, name="indices", where=where)
    dummy = jnp.zeros((1,), jnp.float32)
    _, indices, indptr, shape = V.check_csr_arrays(dummy, indices, indptr, shape, where=where)
    return column_index(indices, indptr, shape)


def csr_to_csc_index(csr_indptr: ArrayLike, csr_indices: ArrayLike, *, shape: Shape,
                     include_perm: bool = True) -> tuple[jax.Array, ...]:
    """Column-compressed structure of a CSR matrix and the map back to CSR positions.

    Works under ``jax.jit`` (``nnz`` is the static length of the indices);
    costs a sort, O(nnz log nnz): build it once and reuse it.  Applied to the
    buffers of a CSC matrix of shape ``(m, n)`` with ``shape=(n, m)`` it
    returns that matrix's row-compressed structure and the map to CSC
    positions.

    Parameters
    ----------
    csr_indptr, csr_indices : integer arrays
        Row pointers ``(m + 1,)`` and column indices ``(nnz,)`` of a CSR matrix.
    shape : tuple of int
        ``(m, n)`` of the CSR matrix.
    include_perm : bool
        Return the map to CSR positions (else None in its place).

    Returns
    -------
    (csc_indptr, csc_indices, perm)
        Column pointers ``(n + 1,)``, the row index of each entry in column
        order ``(nnz,)`` and the CSR position of each entry ``(nnz,)``: entry
        ``k`` of column ``j`` (``csc_indptr[j] <= k < csc_indptr[j + 1]``) is
        stored at ``weight[perm[k]]``, so ``weight[perm]`` is the weights in
        CSC order.  ``csc_indices``, ``csc_indptr`` and ``perm`` are the
        ``indices``, ``indptr`` and ``weight_indices`` of
        :func:`update_csr_on_binary_post`.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> ptr, rows, perm = sc.csr_to_csc_index(jnp.array([0, 2, 4]), jnp.array([0, 2, 1, 2]),
    ...                                       shape=(2, 3))
    >>> ptr, rows, perm
    (Array([0, 1, 2, 4], dtype=int32), Array([0, 1, 0, 1], dtype=int32), Array([0, 2, 1, 3], dtype=int32))
    """
    where = "csr_to_csc_index"
    if not isinstance(include_perm, (bool, np.bool_)):
        raise TypeError(f"{where}: include_perm must be True or False, got {include_perm!r}.")
    shape = V.check_shape(shape, where=where)
    rows, col_indptr, perm = _checked_column_index(csr_indices, csr_indptr, shape, where=where)
    return col_indptr, rows, (perm if include_perm else None)


# ---------------------------------------------------------------------------
# fixed number of connections per neuron
# ---------------------------------------------------------------------------

def update_fixed_post_conn_on_binary_pre(data: ArrayLike, indices: ArrayLike, pre_spike: ArrayLike,
                                         post_trace: ArrayLike, w_min: ArrayLike | None = None,
                                         w_max: ArrayLike | None = None, *, shape: Shape,
                                         backend: Backend = None,
                                         clip: Literal["updated", "all"] = "updated") -> Result:
    """On-pre update of FixedPostNumConn tables: ``W[i, indices[i, c]] += post_trace``.

    Parameters
    ----------
    data : array or Quantity, shape (n_pre, n_conn)
        One weight per connection.
    indices : integer array, shape (n_pre, n_conn)
        Postsynaptic targets of every presynaptic neuron.
    pre_spike, post_trace, w_min, w_max, backend, clip
        As in :func:`update_csr_on_binary_pre`.
    shape : tuple of int
        ``(n_pre, n_post)``.

    Returns
    -------
    array or Quantity, shape (n_pre, n_conn)

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> data = jnp.array([[0.5, 0.3], [0.8, 0.2]])
    >>> indices = jnp.array([[0, 1], [1, 2]])
    >>> sc.update_fixed_post_conn_on_binary_pre(data, indices, jnp.array([True, False]),
    ...                                         jnp.array([0.1, 0.2, 0.05]), shape=(2, 3))
    Array([[0.6, 0.5],
           [0.8, 0.2]], dtype=float32)
    """
    return fixed_update_op(data, indices, pre_spike, post_trace, w_min, w_max, shape=shape,
                           on_pre=True, where="update_fixed_post_conn_on_binary_pre",
                           backend=backend, clip=clip)


def update_fixed_pre_conn_on_binary_post(data: ArrayLike, indices: ArrayLike, pre_trace: ArrayLike,
                                         post_spike: ArrayLike, w_min: ArrayLike | None = None,
                                         w_max: ArrayLike | None = None, *, shape: Shape,
                                         backend: Backend = None,
                                         clip: Literal["updated", "all"] = "updated") -> Result:
    """On-post update of FixedPreNumConn tables: ``W[indices[j, c], j] += pre_trace``.

    The mirror of :func:`update_fixed_post_conn_on_binary_pre`: ``data`` and
    ``indices`` have one row per postsynaptic neuron, shape ``(n_post,
    n_conn)``, ``indices`` holding its presynaptic sources; ``pre_trace``,
    ``post_spike``, the bounds, ``backend`` and ``clip`` are as in
    :func:`update_csr_on_binary_post`.  ``shape`` is ``(n_pre, n_post)``; the
    result has the shape of ``data``.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> data = jnp.array([[0.5, 0.3], [0.8, 0.2]])
    >>> indices = jnp.array([[0, 2], [1, 2]])
    >>> sc.update_fixed_pre_conn_on_binary_post(data, indices, jnp.array([1., 2., 3.]),
    ...                                         jnp.array([0., 1.]), w_max=2.5, shape=(3, 2))
    Array([[0.5, 0.3],
           [2.5, 2.5]], dtype=float32)
    """
    return fixed_update_op(data, indices, post_spike, pre_trace, w_min, w_max, shape=shape,
                           on_pre=False, where="update_fixed_pre_conn_on_binary_post",
                           backend=backend, clip=clip)


# ---------------------------------------------------------------------------
# dense
# ---------------------------------------------------------------------------

def update_dense_on_binary_pre(weight: ArrayLike, pre_spike: ArrayLike, post_trace: ArrayLike,
                               w_min: ArrayLike | None = None, w_max: ArrayLike | None = None, *,
                               backend: Backend = None,
                               clip: Literal["updated", "all"] = "updated") -> Result:
    """On-pre update of dense weights: ``W[i, :] += post_trace`` for spiking ``i``.

    Parameters
    ----------
    weight : array or Quantity, shape (n_pre, n_post)
    pre_spike : array, shape (n_pre,)
        bool, or any nonzero number.
    post_trace : array or Quantity, shape (n_post,)
    w_min, w_max : scalar, Quantity or None
        Bounds (None: none on that side).
    backend : {None, "numba", "pallas", "jax"}
    clip : {"updated", "all"}
        Bound the updated rows only, or every weight (brainevent's behaviour).

    Returns
    -------
    array or Quantity
        The new weights.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> sc.update_dense_on_binary_pre(jnp.zeros((2, 3)), jnp.array([0., 1.]),
    ...                               jnp.array([1., 2., 3.]), None, 2.0)
    Array([[0., 0., 0.],
           [1., 2., 2.]], dtype=float32)
    """
    return dense_update_op(weight, pre_spike, post_trace, w_min, w_max, axis=0,
                         where="update_dense_on_binary_pre", backend=backend, clip=clip)


def update_dense_on_binary_post(weight: ArrayLike, pre_trace: ArrayLike, post_spike: ArrayLike,
                                w_min: ArrayLike | None = None, w_max: ArrayLike | None = None, *,
                                backend: Backend = None,
                                clip: Literal["updated", "all"] = "updated") -> Result:
    """On-post update of dense weights: ``W[:, j] += pre_trace`` for spiking ``j``.

    Parameters
    ----------
    weight : array or Quantity, shape (n_pre, n_post)
    pre_trace : array or Quantity, shape (n_pre,)
    post_spike : array, shape (n_post,)
        bool, or any nonzero number.
    w_min, w_max : scalar, Quantity or None
        Bounds (None: none on that side).
    backend : {None, "numba", "pallas", "jax"}
    clip : {"updated", "all"}
        Bound the updated columns only, or every weight (brainevent's behaviour).

    Returns
    -------
    array or Quantity
        The new weights.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> sc.update_dense_on_binary_post(jnp.zeros((2, 3)), jnp.array([1., -1.]),
    ...                                jnp.array([True, False, True]), -0.5)
    Array([[ 1. ,  0. ,  1. ],
           [-0.5,  0. , -0.5]], dtype=float32)
    """
    return dense_update_op(weight, post_spike, pre_trace, w_min, w_max, axis=1,
                         where="update_dense_on_binary_post", backend=backend, clip=clip)


# ---------------------------------------------------------------------------
# csrmv_yw2y
# ---------------------------------------------------------------------------

def csrmv_yw2y(y: ArrayLike, w: ArrayLike, indices: ArrayLike, indptr: ArrayLike, *, shape: Shape,
               transpose: bool = False, backend: Backend = None) -> Result:
    """Per-synapse product of a neuron vector and CSR weights: one value per entry.

    ``out[k] = w[k] * y[row(k)]``, or ``w[k] * y[indices[k]]`` with
    ``transpose=True``.  Differentiable in ``y`` and ``w`` (JVP and transpose
    rules, so ``jax.grad`` and ``jax.linear_transpose`` work) and batchable.

    Parameters
    ----------
    y : array or Quantity
        Shape ``(shape[0],)``, or ``(shape[1],)`` with ``transpose=True``.
    w : array or Quantity
        One value per stored entry ``(nnz,)``; a scalar / shape-(1,) weight is
        broadcast to every entry.
    indices, indptr : integer arrays
        Column indices ``(nnz,)`` and row pointers ``(shape[0] + 1,)``.
    shape : tuple of int
        ``(m, n)`` of the CSR matrix.
    transpose : bool
        Index ``y`` by column instead of row.
    backend : {None, "numba", "pallas", "jax"}

    Returns
    -------
    array or Quantity
        Shape ``(nnz,)``, unit ``unit(y) * unit(w)``.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> w = jnp.array([0.5, 0.3, 0.7, 0.1])
    >>> indices, indptr = jnp.array([0, 2, 1, 2]), jnp.array([0, 2, 4])
    >>> sc.csrmv_yw2y(jnp.array([1., 2.]), w, indices, indptr, shape=(2, 3))
    Array([0.5, 0.3, 1.4, 0.2], dtype=float32)
    >>> sc.csrmv_yw2y(jnp.array([1., 2., 4.]), w, indices, indptr, shape=(2, 3), transpose=True)
    Array([0.5, 1.2, 1.4, 0.4], dtype=float32)
    """
    return yw2y_op(y, w, indices, indptr, shape=shape, transpose=transpose, backend=backend,
                   where="csrmv_yw2y")




def cscmv_yw2y(y: ArrayLike, w: ArrayLike, indices: ArrayLike, indptr: ArrayLike, *, shape: Shape,
               transpose: bool = False, backend: Backend = None) -> Result:
    """Per-synapse product of a neuron vector and CSC weights: one value per entry.

    The CSC form of :func:`csrmv_yw2y`: ``out[k] = w[k] * y[row(k)]`` with
    ``row(k) = indices[k]``, or ``w[k] * y[col(k)]`` with ``transpose=True``.

    Parameters
    ----------
    y : array or Quantity
        Shape ``(shape[0],)``, or ``(shape[1],)`` with ``transpose=True``.
    w : array or Quantity
        One value per stored entry ``(nnz,)`` in CSC order (a scalar is
        broadcast).
    indices, indptr : integer arrays
        Row indices ``(nnz,)`` and column pointers ``(shape[1] + 1,)``.
    shape : tuple of int
        ``(m, n)`` of the CSC matrix.
    transpose : bool
        Index ``y`` by column instead of row.
    backend : {None, "numba", "pallas", "jax"}

    Returns
    -------
    array or Quantity
        Shape ``(nnz,)``, unit ``unit(y) * unit(w)``.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> w = jnp.array([0.5, 0.3, 0.7])
    >>> indices, indptr = jnp.array([0, 2, 1]), jnp.array([0, 2, 3])   # 3 x 2
    >>> sc.cscmv_yw2y(jnp.array([1., 2., 4.]), w, indices, indptr, shape=(3, 2))
    Array([0.5, 1.2, 1.4], dtype=float32)
    >>> sc.cscmv_yw2y(jnp.array([1., 10.]), w, indices, indptr, shape=(3, 2), transpose=True)
    Array([0.5, 0.3, 7. ], dtype=float32)
    """
    where = "cscmv_yw2y"
    shape = V.check_shape(shape, where=where)
    # CSC buffers are the CSR buffers of the transpose: its rows are our columns
    return yw2y_op(y, w, indices, indptr, shape=shape[::-1], transpose=not transpose,
                   backend=backend, where=where)


def fcnmv_yw2y(y: ArrayLike, w: ArrayLike, indices: ArrayLike, *, shape: Shape,
               transpose: bool = False, backend: Backend = None) -> Result:
    """Per-synapse product of a neuron vector and fixed-number weights.

    For the FixedPostNumConn layout (``indices`` of shape ``(shape[0],
    n_conn)`` holding column indices): ``out[i, c] = w[i, c] * y[i]``, or
    ``w[i, c] * y[indices[i, c]]`` with ``transpose=True``.

    Parameters
    ----------
    y : array or Quantity
        Shape ``(shape[0],)``, or ``(shape[1],)`` with ``transpose=True``.
    w : array or Quantity
        Shape ``(shape[0], n_conn)`` (a scalar is broadcast).
    indices : integer array, shape (shape[0], n_conn)
    shape : tuple of int
        ``(m, n)`` of the matrix.
    transpose : bool
        Index ``y`` by column instead of row.
    backend : {None, "numba", "pallas", "jax"}

    Returns
    -------
    array or Quantity
        Shape ``(shape[0], n_conn)``, unit ``unit(y) * unit(w)``.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> w, indices = jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])
    >>> sc.fcnmv_yw2y(jnp.array([1., 10.]), w, indices, shape=(2, 3))
    Array([[ 1.,  2.],
           [30., 40.]], dtype=float32)
    >>> sc.fcnmv_yw2y(jnp.array([1., 10., 100.]), w, indices, shape=(2, 3), transpose=True)
    Array([[  1., 200.],
           [ 30., 400.]], dtype=float32)
    """
    where = "fcnmv_yw2y"
    shape = V.check_shape(shape, where=where)
    indices, flat_indices, indptr = V.table_as_compressed(indices, shape[0], per="matrix row",
                                                          where=where)
    mantissa, unit = _units.split(w)
    mantissa = V.flat_table_values(mantissa, indices, name="w", where=where)
    out = yw2y_op(y, _units.attach(mantissa, unit), flat_indices, indptr, shape=shape,
                  transpose=transpose, backend=backend, where=where)
    return out.reshape(indices.shape)
