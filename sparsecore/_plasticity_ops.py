"""Spike-triggered weight updates (STDP building blocks) and ``csrmv_yw2y``.

Functions over raw buffers, in the argument order of the library this field
uses today, so that existing models port by changing the import.  Each one
validates its arguments, converts traces and bounds to the weight's unit once,
binds one primitive of :mod:`sparsecore.kernels.plasticity` and re-attaches
the weight's unit.

Conventions shared by every update function:

* A spike is any nonzero entry (``True`` for bool arrays).
* Only the entries of spiking neurons change; they get ``+ trace`` and are
  then clipped to ``[w_min, w_max]``.  Entries of silent neurons are returned
  as they are, even when they lie outside the bounds.  Either bound may be
  None (no bound on that side).
* Traces and bounds are converted to the weight's unit; incompatible units
  raise ``ValueError``.  A plain-number trace needs plain-number weights.
* Weights must hold one value per stored entry: a homogeneous (shared,
  scalar) weight cannot change per synapse and is rejected.
* Run inside ``jax.jit(..., donate_argnums=...)`` with the weight donated, the
  numba kernels update it in place: cost proportional to spikes x connections
  per spiking neuron.  Without donation XLA first copies the weights.
"""
from __future__ import annotations

import brainunit as u
import jax.numpy as jnp
import numpy as np

from . import _units, _validation as V
from ._csr_ops import check_csr_arrays
from .kernels._primitive import resolve_backend
from .kernels.csr import csr_row_indices
from .kernels.plasticity import compressed_update, dense_update, yw2y

__all__ = ["update_csr_on_binary_pre", "update_csr_on_binary_post", "update_csc_on_binary_pre",
           "update_csc_on_binary_post", "update_dense_on_binary_pre",
           "update_dense_on_binary_post", "csr_to_csc_index", "csrmv_yw2y",
           "update_fixed_post_conn_on_binary_pre", "update_fixed_pre_conn_on_binary_post"]


# ---------------------------------------------------------------------------
# argument helpers
# ---------------------------------------------------------------------------

def _unit_name(unit):
    return "no unit" if unit is None else f"unit {unit}"


def to_weight_unit(x, unit, *, name: str, where: str):
    """Mantissa of ``x`` expressed in ``unit`` (the weight's unit; None: dimensionless)."""
    x_unit = _units.split(x)[1]
    if x_unit is None and unit is None:
        return x
    q = x if isinstance(x, u.Quantity) else u.Quantity(jnp.asarray(x))
    try:
        return q.to_decimal(unit) if unit is not None else q.to_decimal()
    except u.UnitMismatchError:
        raise ValueError(f"{where}: {name} has {_unit_name(x_unit)} but the weights have "
                         f"{_unit_name(unit)}; they must be compatible (e.g. both in mV, or "
                         f"both plain numbers), since {name} is added to the weights.") from None


def _weight_vector(weight, nnz: int, *, where: str):
    mantissa, unit = _units.split(weight)
    w = V.as_values(mantissa, name="weight", where=where)
    if w.ndim == 0 or (w.ndim == 1 and w.shape[0] == 1 and nnz != 1):
        raise ValueError(f"{where}: weight is homogeneous (shape {tuple(w.shape)}, one value "
                         f"shared by all {nnz} entries) and cannot be updated per synapse; pass "
                         f"one value per stored entry, e.g. jnp.full(({nnz},), w).")
    if w.ndim != 1 or w.shape[0] != nnz:
        raise ValueError(f"{where}: weight must have one value per stored entry, shape ({nnz},), "
                         f"got shape {tuple(w.shape)}.")
    return w, unit


def _spikes(spike, length: int, *, name: str, where: str):
    if isinstance(spike, u.Quantity):
        raise TypeError(f"{where}: {name} marks spikes and must be unitless, got a Quantity in "
                        f"{spike.unit}.")
    s = jnp.asarray(spike)
    if s.ndim != 1 or s.shape[0] != length:
        raise ValueError(f"{where}: {name} must have shape ({length},), got "
                         f"{tuple(s.shape)}.")
    if s.dtype == np.bool_:
        return s
    if not (jnp.issubdtype(s.dtype, jnp.integer) or jnp.issubdtype(s.dtype, jnp.floating)):
        raise TypeError(f"{where}: {name} must be bool, integer or float (nonzero = spike), got "
                        f"{s.dtype}.")
    return s != 0


def _trace(trace, length: int, unit, dtype, *, name: str, where: str):
    t = jnp.asarray(to_weight_unit(trace, unit, name=name, where=where))
    if t.ndim != 1 or t.shape[0] != length:
        raise ValueError(f"{where}: {name} must have shape ({length},), got {tuple(t.shape)}.")
    if not (jnp.issubdtype(t.dtype, jnp.floating) or jnp.issubdtype(t.dtype, jnp.integer)
            or t.dtype == np.bool_):
        raise TypeError(f"{where}: {name} must be real-valued, got {t.dtype}.")
    return t.astype(dtype)


def _bound(value, default, unit, dtype, *, name: str, where: str):
    if value is None:
        return jnp.full((1,), default, dtype)
    b = jnp.asarray(to_weight_unit(value, unit, name=name, where=where))
    if b.size != 1:
        raise ValueError(f"{where}: {name} must be a scalar bound, got shape {tuple(b.shape)}.")
    return b.reshape(1).astype(dtype)


def _bounds(w_min, w_max, unit, dtype, *, where):
    return (_bound(w_min, -jnp.inf, unit, dtype, name="w_min", where=where),
            _bound(w_max, jnp.inf, unit, dtype, name="w_max", where=where))


def _weight_index_array(weight_indices, nnz, *, where, full):
    wi = V.as_index_array(weight_indices, name="weight_indices", where=where)
    if wi.shape[0] != nnz:
        raise ValueError(f"{where}: weight_indices must have one entry per stored entry "
                         f"({nnz},), got shape {tuple(wi.shape)}.")
    if full:
        V.check_bounds(wi, nnz, name="weight_indices", where=where)
    return wi


def compressed_update_op(weight, indices, indptr, weight_indices, spike, trace, w_min, w_max,
                         *, view_shape, spike_name, trace_name, where, backend, full=True):
    """Shared body: ``view_shape`` = (spiking side, trace side) of ``(indices, indptr)``.

    ``full=False`` skips the O(nnz) value scans of the structure (for matrices
    validated at construction).
    """
    view_shape = V.check_shape(view_shape, where=where)
    indices = V.as_index_array(indices, name="indices", where=where)
    w, unit = _weight_vector(weight, indices.shape[0], where=where)
    w, indices, indptr, view_shape = check_csr_arrays(w, indices, indptr, view_shape, where=where,
                                                        full=full)
    nnz = indices.shape[0]
    if weight_indices is None:
        wi = jnp.zeros((0,), indices.dtype)
    else:
        wi = _weight_index_array(weight_indices, nnz, where=where, full=full)
    s = _spikes(spike, view_shape[0], name=spike_name, where=where)
    t = _trace(trace, view_shape[1], unit, w.dtype, name=trace_name, where=where)
    lo, hi = _bounds(w_min, w_max, unit, w.dtype, where=where)
    backend = resolve_backend(backend, w.dtype, op=where)
    out = compressed_update(w, indices, indptr, wi, s, t, lo, hi, shape=view_shape,
                            indirect=weight_indices is not None, backend=backend)
    return _units.attach(out, unit)


# ---------------------------------------------------------------------------
# CSR and CSC
# ---------------------------------------------------------------------------

def update_csr_on_binary_pre(weight, indices, indptr, pre_spike, post_trace, w_min=None,
                             w_max=None, *, shape, backend=None):
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
        Bounds applied to the updated entries only.
    shape : tuple of int
        ``(n_pre, n_post)``.
    backend : {None, "numba", "jax"}

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
    where = "update_csr_on_binary_pre"
    shape = V.check_shape(shape, where=where)
    return compressed_update_op(weight, indices, indptr, None, pre_spike, post_trace, w_min, w_max,
                                view_shape=shape, spike_name="pre_spike",
                                trace_name="post_trace", where=where, backend=backend)


def update_csr_on_binary_post(weight, indices, indptr, weight_indices, pre_trace, post_spike,
                              w_min=None, w_max=None, *, shape, backend=None):
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
        Bounds applied to the updated entries only.
    shape : tuple of int
        ``(n_pre, n_post)``.
    backend : {None, "numba", "jax"}

    Returns
    -------
    array or Quantity
        The new CSR-ordered weights, shape (nnz,).

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> weight = jnp.array([0.5, 0.3, 0.8, 0.2])
    >>> indices, indptr = jnp.array([0, 1, 0, 1]), jnp.array([0, 2, 4])
    >>> csc_indices, csc_indptr, weight_indices = sc.csr_to_csc_index(indices, indptr,
    ...                                                                shape=(2, 2))
    >>> sc.update_csr_on_binary_post(weight, csc_indices, csc_indptr, weight_indices,
    ...                              jnp.array([0.1, -0.05]), jnp.array([True, False]),
    ...                              shape=(2, 2))
    Array([0.6 , 0.3 , 0.75, 0.2 ], dtype=float32)
    """
    where = "update_csr_on_binary_post"
    shape = V.check_shape(shape, where=where)
    return compressed_update_op(weight, indices, indptr, weight_indices, post_spike, pre_trace,
                                w_min, w_max, view_shape=shape[::-1], spike_name="post_spike",
                                trace_name="pre_trace", where=where, backend=backend)


def update_csc_on_binary_post(weight, indices, indptr, pre_trace, post_spike, w_min=None,
                              w_max=None, *, shape, backend=None):
    """On-post update of CSC weights: ``W[i, j] += pre_trace[i]`` for spiking columns ``j``.

    Columns are postsynaptic, so the update walks the stored columns of the
    spiking neurons directly.

    Parameters
    ----------
    weight : array or Quantity, shape (nnz,)
        CSC-ordered weights.
    indices, indptr : integer arrays
        Row indices ``(nnz,)`` and column pointers ``(shape[1] + 1,)``.
    pre_trace, post_spike, w_min, w_max, backend
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
    where = "update_csc_on_binary_post"
    shape = V.check_shape(shape, where=where)
    return compressed_update_op(weight, indices, indptr, None, post_spike, pre_trace, w_min,
                                w_max, view_shape=shape[::-1], spike_name="post_spike",
                                trace_name="pre_trace", where=where, backend=backend)


def update_csc_on_binary_pre(weight, indices, indptr, weight_indices, pre_spike, post_trace,
                             w_min=None, w_max=None, *, shape, backend=None):
    """On-pre update of CSC weights: ``W[i, j] += post_trace[j]`` for spiking rows ``i``.

    The mirror of :func:`update_csr_on_binary_post`: ``(indices, indptr)`` is
    the row-compressed structure of the matrix (column indices, row pointers)
    and ``weight_indices`` the CSC position of each of its entries, as
    returned by ``csr_to_csc_index(csc_indices, csc_indptr, shape=(n_post,
    n_pre))``.

    Parameters
    ----------
    weight : array or Quantity, shape (nnz,)
        CSC-ordered weights.
    indices, indptr, weight_indices : integer arrays
        Column indices ``(nnz,)``, row pointers ``(shape[0] + 1,)``, map to CSC
        positions ``(nnz,)``.
    pre_spike, post_trace, w_min, w_max, backend
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
    >>> csc_indices, csc_indptr = jnp.array([0, 2, 1]), jnp.array([0, 2, 3])  # 3 x 2
    >>> idx, ptr, wi = sc.csr_to_csc_index(csc_indices, csc_indptr, shape=(2, 3))
    >>> sc.update_csc_on_binary_pre(w, idx, ptr, wi, jnp.array([True, False, True]),
    ...                             jnp.array([0.5, -1.0]), shape=(3, 2))
    Array([1.5, 2.5, 3. ], dtype=float32)
    """
    where = "update_csc_on_binary_pre"
    shape = V.check_shape(shape, where=where)
    return compressed_update_op(weight, indices, indptr, weight_indices, pre_spike, post_trace,
                                w_min, w_max, view_shape=shape, spike_name="pre_spike",
                                trace_name="post_trace", where=where, backend=backend)


def column_index(indices, indptr, shape):
    """Unchecked body of :func:`csr_to_csc_index` (jit-safe)."""
    nnz = indices.shape[0]
    rows = csr_row_indices(indptr, nnz).astype(indices.dtype)
    order = jnp.argsort(indices, stable=True).astype(indices.dtype)  # rows stay ascending
    col_indptr = jnp.searchsorted(indices[order], jnp.arange(shape[1] + 1, dtype=indices.dtype),
                                  side="left").astype(indptr.dtype)
    return rows[order], col_indptr, order


def csr_to_csc_index(indices, indptr, *, shape):
    """Column-compressed structure of a CSR matrix and the map back to CSR positions.

    Works under ``jax.jit`` (``nnz`` is the static length of ``indices``); costs
    a sort, O(nnz log nnz): build it once and reuse it.  Applied to the
    buffers of a CSC matrix of shape ``(m, n)`` with ``shape=(n, m)`` it
    returns that matrix's row-compressed structure and the map to CSC
    positions.

    Parameters
    ----------
    indices, indptr : integer arrays
        Column indices and row pointers of a CSR matrix.
    shape : tuple of int
        ``(m, n)`` of the CSR matrix.

    Returns
    -------
    (row_indices, col_indptr, weight_indices)
        Row index of each entry in column order ``(nnz,)``, column pointers
        ``(n + 1,)`` and the CSR position of each entry ``(nnz,)``: entry ``k``
        of column ``j`` (``col_indptr[j] <= k < col_indptr[j + 1]``) is stored at
        ``weight[weight_indices[k]]``.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> rows, ptr, wi = sc.csr_to_csc_index(jnp.array([0, 2, 1, 2]), jnp.array([0, 2, 4]),
    ...                                     shape=(2, 3))
    >>> rows, ptr, wi
    (Array([0, 1, 0, 1], dtype=int32), Array([0, 1, 2, 4], dtype=int32), Array([0, 2, 1, 3], dtype=int32))
    """
    where = "csr_to_csc_index"
    shape = V.check_shape(shape, where=where)
    indices = V.as_index_array(indices, name="indices", where=where)
    dummy = jnp.zeros((1,), jnp.float32)
    _, indices, indptr, shape = check_csr_arrays(dummy, indices, indptr, shape, where=where)
    return column_index(indices, indptr, shape)


# ---------------------------------------------------------------------------
# fixed number of connections per neuron
# ---------------------------------------------------------------------------

def _fixed_update(data, indices, spike, trace, w_min, w_max, *, view_shape, spike_name,
                  trace_name, where, backend):
    indices = V.as_index_array(indices, name="indices", where=where, ndim=2)
    n_rows, n_conn = indices.shape
    if n_rows != view_shape[0]:
        raise ValueError(f"{where}: indices must have one row per {spike_name[:-6]}synaptic "
                         f"neuron ({view_shape[0]}), got shape {tuple(indices.shape)}.")
    mantissa, unit = _units.split(data)
    mantissa = V.as_values(mantissa, name="data", where=where)
    if mantissa.ndim == 2:
        if tuple(mantissa.shape) != tuple(indices.shape):
            raise ValueError(f"{where}: data must have the shape of indices "
                             f"{tuple(indices.shape)}, got {tuple(mantissa.shape)}.")
        mantissa = mantissa.reshape(-1)
    flat = _units.attach(mantissa, unit)
    indptr = jnp.arange(n_rows + 1, dtype=indices.dtype) * n_conn
    out = compressed_update_op(flat, indices.reshape(-1), indptr, None, spike, trace, w_min,
                               w_max, view_shape=view_shape, spike_name=spike_name,
                               trace_name=trace_name, where=where, backend=backend)
    out_m, out_unit = _units.split(out)
    return _units.attach(out_m.reshape(indices.shape), out_unit)


def update_fixed_post_conn_on_binary_pre(data, indices, pre_spike, post_trace, w_min=None,
                                         w_max=None, *, shape, backend=None):
    """On-pre update of FixedPostNumConn tables: ``W[i, indices[i, c]] += post_trace``.

    Parameters
    ----------
    data : array or Quantity, shape (n_pre, n_conn)
        One weight per connection.
    indices : integer array, shape (n_pre, n_conn)
        Postsynaptic targets of every presynaptic neuron.
    pre_spike, post_trace, w_min, w_max, backend
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
    where = "update_fixed_post_conn_on_binary_pre"
    shape = V.check_shape(shape, where=where)
    return _fixed_update(data, indices, pre_spike, post_trace, w_min, w_max, view_shape=shape,
                         spike_name="pre_spike", trace_name="post_trace", where=where,
                         backend=backend)


def update_fixed_pre_conn_on_binary_post(data, indices, pre_trace, post_spike, w_min=None,
                                         w_max=None, *, shape, backend=None):
    """On-post update of FixedPreNumConn tables: ``W[indices[j, c], j] += pre_trace``.

    Parameters
    ----------
    data : array or Quantity, shape (n_post, n_conn)
        One weight per connection.
    indices : integer array, shape (n_post, n_conn)
        Presynaptic sources of every postsynaptic neuron.
    pre_trace, post_spike, w_min, w_max, backend
        As in :func:`update_csr_on_binary_post`.
    shape : tuple of int
        ``(n_pre, n_post)``.

    Returns
    -------
    array or Quantity, shape (n_post, n_conn)

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
    where = "update_fixed_pre_conn_on_binary_post"
    shape = V.check_shape(shape, where=where)
    return _fixed_update(data, indices, post_spike, pre_trace, w_min, w_max,
                         view_shape=shape[::-1], spike_name="post_spike",
                         trace_name="pre_trace", where=where, backend=backend)


# ---------------------------------------------------------------------------
# dense
# ---------------------------------------------------------------------------

def _dense_update(weight, spike, trace, w_min, w_max, *, axis, where, backend):
    mantissa, unit = _units.split(weight)
    w = V.as_values(mantissa, name="weight", where=where)
    if w.ndim != 2:
        raise ValueError(f"{where}: weight must be a 2-D (n_pre, n_post) matrix, got shape "
                         f"{tuple(w.shape)}.")
    spike_name, trace_name = ("pre_spike", "post_trace") if axis == 0 else ("post_spike",
                                                                             "pre_trace")
    s = _spikes(spike, w.shape[axis], name=spike_name, where=where)
    t = _trace(trace, w.shape[1 - axis], unit, w.dtype, name=trace_name, where=where)
    lo, hi = _bounds(w_min, w_max, unit, w.dtype, where=where)
    backend = resolve_backend(backend, w.dtype, op=where)
    return _units.attach(dense_update(w, s, t, lo, hi, axis=axis, backend=backend), unit)


def update_dense_on_binary_pre(weight, pre_spike, post_trace, w_min=None, w_max=None, *,
                               backend=None):
    """On-pre update of dense weights: ``W[i, :] += post_trace`` for spiking ``i``.

    Parameters
    ----------
    weight : array or Quantity, shape (n_pre, n_post)
    pre_spike : array, shape (n_pre,)
        bool, or any nonzero number.
    post_trace : array or Quantity, shape (n_post,)
    w_min, w_max : scalar, Quantity or None
        Bounds applied to the updated rows only.
    backend : {None, "numba", "jax"}

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
    return _dense_update(weight, pre_spike, post_trace, w_min, w_max, axis=0,
                         where="update_dense_on_binary_pre", backend=backend)


def update_dense_on_binary_post(weight, pre_trace, post_spike, w_min=None, w_max=None, *,
                                backend=None):
    """On-post update of dense weights: ``W[:, j] += pre_trace`` for spiking ``j``.

    Parameters
    ----------
    weight : array or Quantity, shape (n_pre, n_post)
    pre_trace : array or Quantity, shape (n_pre,)
    post_spike : array, shape (n_post,)
        bool, or any nonzero number.
    w_min, w_max : scalar, Quantity or None
        Bounds applied to the updated columns only.
    backend : {None, "numba", "jax"}

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
    return _dense_update(weight, post_spike, pre_trace, w_min, w_max, axis=1,
                         where="update_dense_on_binary_post", backend=backend)


# ---------------------------------------------------------------------------
# csrmv_yw2y
# ---------------------------------------------------------------------------

def csrmv_yw2y(y, w, indices, indptr, *, shape, transpose=False, backend=None):
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
    backend : {None, "numba", "jax"}

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


def yw2y_op(y, w, indices, indptr, *, shape, transpose, backend, where, full=True):
    """Body of :func:`csrmv_yw2y`; ``full=False`` skips the O(nnz) structure scans."""
    w_m, w_unit = _units.split(w)
    y_m, y_unit = _units.split(y)
    w_m = V.as_values(w_m, name="w", where=where)
    w_m, indices, indptr, shape = check_csr_arrays(w_m, indices, indptr, shape, where=where,
                                                   full=full)
    nnz = indices.shape[0]
    w_m = jnp.broadcast_to(w_m, (nnz,))
    y_m = jnp.asarray(y_m)
    length = shape[1] if transpose else shape[0]
    if y_m.ndim != 1 or y_m.shape[0] != length:
        raise ValueError(f"{where}: y must have shape ({length},) "
                         f"({'columns' if transpose else 'rows'} of shape {shape}), got "
                         f"{tuple(y_m.shape)}.")
    if jnp.issubdtype(y_m.dtype, jnp.complexfloating):
        raise TypeError(f"{where}: complex y is not supported, got {y_m.dtype}.")
    dtype = jnp.result_type(w_m.dtype, y_m.dtype)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = w_m.dtype
    w_m, y_m = w_m.astype(dtype), y_m.astype(dtype)
    backend = resolve_backend(backend, dtype, op=where)
    out = yw2y(y_m, w_m, indices, indptr, shape=shape, transpose=transpose, backend=backend)
    return _units.attach(out, _units.multiply_units(w_unit, y_unit))
