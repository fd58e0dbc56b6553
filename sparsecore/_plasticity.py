"""Spike-triggered weight updates and per-synapse products on validated buffers.

The bodies behind both the plasticity methods of the matrix classes and the
functional update functions: each converts traces and bounds to the weight's
unit once, binds one primitive of :mod:`sparsecore.kernels.plasticity` and
re-attaches the weight's unit.  The buffers describe a row-compressed view
whose rows are the spiking side.
"""
from __future__ import annotations

import functools

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np

from . import _units, _validation as V
from ._errors import UnitMismatchError
from .kernels._primitive import resolve_backend
from .kernels.csr import csr_row_indices
from .kernels.plasticity import clip as clip_values, compressed_update, dense_update, yw2y

__all__ = ["compressed_update_op", "compressed_update_mantissa", "fixed_update_op",
           "dense_update_op", "column_index", "yw2y_op", "to_weight_unit", "check_clip",
           "CLIP_MODES"]

#: what ``clip=`` of an update may be: bound the entries it changed (cost
#: proportional to spikes) or, as brainevent does, every weight (one O(nnz) pass)
CLIP_MODES = ("updated", "all")


def check_clip(clip, *, where):
    """``clip`` of an update, checked: one of :data:`CLIP_MODES`."""
    if not isinstance(clip, str) or clip not in CLIP_MODES:
        raise ValueError(f"{where}: clip={clip!r} is not one of {CLIP_MODES}; 'updated' bounds "
                         f"the entries the spikes changed (the default), 'all' bounds every "
                         f"weight after the update (brainevent's behaviour, one pass over all "
                         f"weights).")
    return clip


def _unit_name(unit):
    return "no unit" if unit is None else f"unit {unit}"


def to_weight_unit(x, unit, *, name: str, where: str):
    """Mantissa of ``x`` expressed in ``unit`` (the weight's unit; None: dimensionless)."""
    x_unit = _units.split(x)[1]
    if x_unit is None and unit is None:
        return x
    q = x if isinstance(x, u.Quantity) else u.Quantity(
        V.as_array(x, name=name, where=where, expected="a real-valued array or Quantity"))
    try:
        return q.to_decimal(unit) if unit is not None else q.to_decimal()
    except u.UnitMismatchError:
        raise UnitMismatchError(f"{where}: {name} has {_unit_name(x_unit)} but the weights have "
                         f"{_unit_name(unit)}; they must be compatible (e.g. both in mV, or "
                         f"both plain numbers), since {name} is added to the weights.") from None


def _weight_vector(weight, nnz: int, *, where: str):
    """The weights' mantissa as one value per stored entry (homogeneous is refused)."""
    w = V.as_values(weight, name="weight", where=where)
    if w.ndim == 0 or (w.ndim == 1 and w.shape[0] == 1 and nnz != 1):
        raise ValueError(f"{where}: weight is homogeneous (shape {tuple(w.shape)}, one value "
                         f"shared by all {nnz} entries) and cannot be updated per synapse; pass "
                         f"one value per stored entry, e.g. jnp.full(({nnz},), w).")
    if w.ndim != 1 or w.shape[0] != nnz:
        raise ValueError(f"{where}: weight must have one value per stored entry, shape ({nnz},), "
                         f"got shape {tuple(w.shape)}.")
    return w


def _spikes(spike, length: int, *, name: str, where: str):
    if isinstance(spike, u.Quantity):
        raise TypeError(f"{where}: {name} marks spikes and must be unitless, got a Quantity in "
                        f"{spike.unit}.")
    s = V.as_array(spike, name=name, where=where,
                   expected="a bool, integer or float array (nonzero = spike)")
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
    t = V.as_array(to_weight_unit(trace, unit, name=name, where=where), name=name,
                   where=where, expected="a real-valued array")
    if t.ndim != 1 or t.shape[0] != length:
        raise ValueError(f"{where}: {name} must have shape ({length},), got {tuple(t.shape)}.")
    if not (jnp.issubdtype(t.dtype, jnp.floating) or jnp.issubdtype(t.dtype, jnp.integer)
            or t.dtype == np.bool_):
        raise TypeError(f"{where}: {name} must be real-valued, got {t.dtype}.")
    return t.astype(dtype)


def _bound(value, default, unit, dtype, *, name: str, where: str):
    if value is None:
        return jnp.full((1,), default, dtype)
    b = V.as_array(to_weight_unit(value, unit, name=name, where=where), name=name,
                   where=where, expected="a real scalar, a Quantity or None")
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


def _sides(shape, on_pre: bool, where: str):
    """``(view_shape, spike_name, trace_name)``: the view has the spiking side as rows."""
    shape = V.check_shape(shape, where=where)
    if on_pre:
        return shape, "pre_spike", "post_trace"
    return shape[::-1], "post_spike", "pre_trace"


def compressed_update_op(weight, indices, indptr, weight_indices, spike, trace, w_min, w_max,
                         *, shape, on_pre: bool, where, backend, full=True, clip="updated"):
    """Shared body: ``(indices, indptr)`` compress the spiking side of the ``shape`` matrix.

    That is the rows (presynaptic side) for an on-pre update and the columns
    for an on-post one; ``weight_indices`` (or None) maps its entries to the
    positions of ``weight``.  ``full=False`` skips the O(nnz) value scans of the
    structure (for matrices validated at construction).  ``clip`` is one of
    :data:`CLIP_MODES`.
    """
    mantissa, unit = _units.split(weight)
    out = compressed_update_mantissa(mantissa, unit, indices, indptr, weight_indices, spike,
                                     trace, w_min, w_max, shape=shape, on_pre=on_pre,
                                     where=where, backend=backend, full=full, clip=clip)
    return _units.attach(out, unit)


def compressed_update_mantissa(weight, unit, indices, indptr, weight_indices, spike, trace,
                               w_min, w_max, *, shape, on_pre: bool, where, backend, full=True,
                               clip="updated"):
    """:func:`compressed_update_op` on the mantissa of the weights (``unit``: theirs)."""
    clip = check_clip(clip, where=where)
    view_shape, spike_name, trace_name = _sides(shape, on_pre, where)
    indices = V.as_index_array(indices, name="indices", where=where)
    w = _weight_vector(weight, indices.shape[0], where=where)
    w, indices, indptr, view_shape = V.check_csr_arrays(w, indices, indptr, view_shape, where=where,
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
    return clip_values(out, lo, hi) if clip == "all" else out


@functools.partial(jax.jit, static_argnames="shape")  # eagerly: one program
def column_index(indices, indptr, shape):
    """Unchecked body of :func:`csr_to_csc_index` (jit-safe)."""
    nnz = indices.shape[0]
    rows = csr_row_indices(indptr, nnz).astype(V.index_dtype_for(shape[0]))
    order = jnp.argsort(indices, stable=True).astype(V.index_dtype_for(nnz))  # rows ascending
    col_indptr = jnp.searchsorted(indices[order],
                                  jnp.arange(shape[1] + 1, dtype=V.index_dtype_for(shape[1])),
                                  side="left").astype(V.index_dtype_for(nnz))
    return rows[order], col_indptr, order


def fixed_update_op(data, indices, spike, trace, w_min, w_max, *, shape, on_pre: bool, where,
                    backend, clip="updated"):
    """An update of fixed-number tables whose rows are the spiking side (``(N, n_conn)``)."""
    view_shape, spike_name, _ = _sides(shape, on_pre, where)
    indices, flat_indices, indptr = V.table_as_compressed(
        indices, view_shape[0], per=f"{spike_name[:-6]}synaptic neuron", where=where)
    mantissa, unit = _units.split(data)
    mantissa = V.flat_table_values(mantissa, indices, name="data", where=where)
    out = compressed_update_mantissa(mantissa, unit, flat_indices, indptr, None, spike,
                                     trace, w_min, w_max, shape=shape, on_pre=on_pre,
                                     where=where, backend=backend, clip=clip)
    return _units.attach(out.reshape(indices.shape), unit)


def dense_update_op(weight, spike, trace, w_min, w_max, *, axis, where, backend,
                    clip="updated"):
    clip = check_clip(clip, where=where)
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
    out = dense_update(w, s, t, lo, hi, axis=axis, backend=backend)
    return _units.attach(clip_values(out, lo, hi) if clip == "all" else out, unit)


def yw2y_op(y, w, indices, indptr, *, shape, transpose, backend, where, full=True):
    """Body of :func:`csrmv_yw2y`; ``full=False`` skips the O(nnz) structure scans."""
    w_m, w_unit = _units.split(w)
    y_m, y_unit = _units.split(y)
    w_m = V.as_values(w_m, name="w", where=where)
    w_m, indices, indptr, shape = V.check_csr_arrays(w_m, indices, indptr, shape, where=where,
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
