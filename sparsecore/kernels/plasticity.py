"""Spike-triggered weight updates and per-synapse products: three primitives.

``compressed_update_p(weight, indices, indptr, weight_indices, spike, trace, lo, hi)``
    The row-compressed structure ``(indices, indptr)`` has ``shape = (n_spike,
    n_trace)``.  For every row ``i`` with ``spike[i]`` and every stored entry
    ``k`` of that row, ``weight[p] = clip(weight[p] + trace[indices[k]], lo, hi)``
    where ``p = k``, or ``p = weight_indices[k]`` with ``indirect=True`` (the
    structure is the mirror of the layout ``weight`` is stored in, and
    ``weight_indices`` maps its entries back).  Entries of silent rows are left
    untouched (and unclipped).
``dense_update_p(weight, spike, trace, lo, hi)``
    Dense ``(m, n)`` weights; ``axis=0``: rows of spiking neurons get ``+ trace``
    (length ``n``), ``axis=1``: columns of spiking neurons get ``+ trace``
    (length ``m``); updated entries are clipped.
``yw2y_p(y, w, indices, indptr)``
    ``out[k] = w[k] * y[row(k)]`` (``y[indices[k]]`` with ``transpose=True``):
    one value per stored entry.

The update primitives take ``spike`` as bool, ``trace`` in the weight's dtype
and the bounds ``lo``/``hi`` as shape-(1,) arrays (``-inf``/``inf`` for no
bound), so bounds are runtime values and do not multiply kernel variants.
Their numba and Pallas lowerings alias the output to ``weight``: with the weight buffer
donated to ``jax.jit`` the update runs in place and costs spikes x entries per
spiking neuron.  Inputs here are unit-free and validated; see
:mod:`sparsecore._plasticity_ops` for the public functions.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.interpreters import ad

from . import _ffi
from ._primitive import declare, reference_batcher
from .csr import csr_product, csr_row_indices

__all__ = ["compressed_update_p", "dense_update_p", "yw2y_p", "compressed_update",
           "dense_update", "yw2y", "clip"]


def _clip(v, lo, hi):
    return jnp.minimum(jnp.maximum(v, lo[0]), hi[0])


def clip(values, lo, hi):
    """``values`` clipped to ``[lo[0], hi[0]]`` by the rule of the update kernels.

    Used for whole-array clipping after an update, so that it bounds values
    exactly as the updates bound the entries they touch.
    """
    return _clip(values, lo, hi)


def _update_jvp(prim, reference, n_static):
    """JVP of an update: primal from the primitive, tangent from the reference.

    The first ``n_static`` inputs after ``weight`` (index structure, spikes)
    carry no tangent; weight, trace and the bounds do.
    """
    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        weight, *structure = primals[:1 + n_static]
        rest = primals[1 + n_static:]
        ref_params = {k: v for k, v in params.items() if k != "backend"}

        def fn(w, *r):
            return reference(w, *structure, *r, **ref_params)
        diff = (weight,) + tuple(rest)
        diff_dots = (tangents[0],) + tuple(tangents[1 + n_static:])
        diff_dots = tuple(ad.instantiate_zeros(t) for t in diff_dots)
        _, out_dot = jax.jvp(fn, diff, diff_dots)
        return out, out_dot
    return jvp


# ---------------------------------------------------------------------------
# compressed_update_p
# ---------------------------------------------------------------------------

def _compressed_reference(weight, indices, indptr, weight_indices, spike, trace, lo, hi, *,
                          shape, indirect):
    nnz = indices.shape[0]
    rows = csr_row_indices(indptr, nnz)
    active = spike[rows]
    if indirect:
        current = weight[weight_indices]
        new = jnp.where(active, _clip(current + trace[indices], lo, hi), current)
        return weight.at[weight_indices].set(new)
    return jnp.where(active, _clip(weight + trace[indices], lo, hi), weight)


def _compressed_abstract_eval(weight, *args, shape, indirect, backend):
    return jax.core.ShapedArray(weight.shape, weight.dtype)


def _compressed_numba(weight, indices, indptr, weight_indices, spike, trace, lo, hi, *, shape,
                      indirect):
    from . import _plasticity_numba
    args = (weight, indices, indptr, weight_indices, spike, trace, lo, hi)
    out = jax.ShapeDtypeStruct(weight.shape, weight.dtype)
    return _ffi.call_kernel(
        _plasticity_numba.compressed_update_kernel, args, out, (bool(indirect),),
        # no shape in the message: one compiled handler serves every shape
        error="sparsecore plasticity update: indices or weight_indices point outside the "
              "matrix, or indptr does not rise from 0 to nnz; construct the matrix outside "
              "jit, or call its check() inside, for an error naming the bad entry",
        input_output_aliases={0: 0})


def _compressed_pallas(*args, **params):
    from ._plasticity_pallas import compressed_update_pallas
    return compressed_update_pallas(*args, **params)


compressed_update_p = declare(
    "sparsecore_compressed_update", abstract_eval=_compressed_abstract_eval,
    reference=_compressed_reference, numba_call=_compressed_numba,
    pallas_call=_compressed_pallas,
    jvps=(None,) * 8, transpose=None, batch=reference_batcher(_compressed_reference))
ad.primitive_jvps[compressed_update_p] = _update_jvp(compressed_update_p, _compressed_reference,
                                                     n_static=4)


def compressed_update(weight, indices, indptr, weight_indices, spike, trace, lo, hi, *, shape,
                      indirect, backend):
    """Bind :data:`compressed_update_p` on validated, unit-free arrays."""
    return compressed_update_p.bind(weight, indices, indptr, weight_indices, spike, trace, lo,
                                    hi, shape=tuple(shape), indirect=bool(indirect),
                                    backend=backend)


# ---------------------------------------------------------------------------
# dense_update_p
# ---------------------------------------------------------------------------

def _dense_reference(weight, spike, trace, lo, hi, *, axis):
    if axis == 0:
        return jnp.where(spike[:, None], _clip(weight + trace[None, :], lo, hi), weight)
    return jnp.where(spike[None, :], _clip(weight + trace[:, None], lo, hi), weight)


def _dense_abstract_eval(weight, *args, axis, backend):
    return jax.core.ShapedArray(weight.shape, weight.dtype)


def _dense_numba(weight, spike, trace, lo, hi, *, axis):
    from . import _plasticity_numba
    args = (weight, spike, trace, lo, hi)
    out = jax.ShapeDtypeStruct(weight.shape, weight.dtype)
    return _ffi.call_kernel(_plasticity_numba.dense_update_kernel, args, out, (int(axis),),
                            input_output_aliases={0: 0})


def _dense_pallas(*args, **params):
    from ._plasticity_pallas import dense_update_pallas
    return dense_update_pallas(*args, **params)


dense_update_p = declare(
    "sparsecore_dense_update", abstract_eval=_dense_abstract_eval, reference=_dense_reference,
    numba_call=_dense_numba, pallas_call=_dense_pallas, jvps=(None,) * 5, transpose=None,
    batch=reference_batcher(_dense_reference))
ad.primitive_jvps[dense_update_p] = _update_jvp(dense_update_p, _dense_reference, n_static=1)


def dense_update(weight, spike, trace, lo, hi, *, axis, backend):
    """Bind :data:`dense_update_p` on validated, unit-free arrays."""
    return dense_update_p.bind(weight, spike, trace, lo, hi, axis=int(axis), backend=backend)


# ---------------------------------------------------------------------------
# yw2y_p
# ---------------------------------------------------------------------------

def _yw2y_reference(y, w, indices, indptr, *, shape, transpose):
    nnz = indices.shape[0]
    source = indices if transpose else csr_row_indices(indptr, nnz)
    return w * y[source].astype(w.dtype)


def _yw2y_abstract_eval(y, w, indices, indptr, *, shape, transpose, backend):
    return jax.core.ShapedArray(w.shape, w.dtype)


def _yw2y_numba(y, w, indices, indptr, *, shape, transpose):
    from . import _plasticity_numba
    args = (y, w, indices, indptr)
    out = jax.ShapeDtypeStruct(w.shape, w.dtype)
    return _ffi.call_kernel(
        _plasticity_numba.yw2y_kernel, args, out, (bool(transpose),),
        error="sparsecore csrmv_yw2y: indices or indptr do not describe the matrix (an index "
              "out of range, or indptr not rising from 0 to the number of weights); check "
              "them with the matrix's check() for an error naming the bad entry")


def _yw2y_y_jvp(y_dot, y, w, indices, indptr, **params):
    return yw2y_p.bind(y_dot.astype(w.dtype), w, indices, indptr, **params)


def _yw2y_w_jvp(w_dot, y, w, indices, indptr, **params):
    return yw2y_p.bind(y, w_dot, indices, indptr, **params)


def _yw2y_transpose(ct, y, w, indices, indptr, *, shape, transpose, backend):
    if ad.is_undefined_primal(indices) or ad.is_undefined_primal(indptr):
        raise ValueError("csrmv_yw2y is not linear in indices or indptr; it cannot be "
                         "transposed with respect to them.")
    if ad.is_undefined_primal(y) and ad.is_undefined_primal(w):
        raise ValueError("csrmv_yw2y is bilinear: transpose it with respect to y or w, "
                         "holding the other fixed.")
    if ad.is_undefined_primal(w):
        if type(ct) is ad.Zero:
            return None, ad.Zero(w.aval), None, None
        return None, yw2y_p.bind(y, ct, indices, indptr, shape=shape, transpose=transpose,
                                 backend=backend), None, None
    # y undefined: ct_y[n] = sum of ct[k] * w[k] over the entries reading y[n]
    if type(ct) is ad.Zero:
        return ad.Zero(y.aval), None, None, None
    ones = jnp.ones((shape[0] if transpose else shape[1],), ct.dtype)
    ct_y = csr_product(ct * w, indices, indptr, ones, shape=shape, transpose=transpose,
                       event=False, backend=backend)
    return ct_y.astype(y.aval.dtype), None, None, None


def _yw2y_pallas(*args, **params):
    from ._plasticity_pallas import yw2y_pallas
    return yw2y_pallas(*args, **params)


yw2y_p = declare(
    "sparsecore_csrmv_yw2y", abstract_eval=_yw2y_abstract_eval, reference=_yw2y_reference,
    numba_call=_yw2y_numba, pallas_call=_yw2y_pallas, jvps=(_yw2y_y_jvp, _yw2y_w_jvp, None, None),
    transpose=_yw2y_transpose, batch=reference_batcher(_yw2y_reference))


def yw2y(y, w, indices, indptr, *, shape, transpose, backend):
    """Bind :data:`yw2y_p` on validated, unit-free arrays (``y`` in ``w``'s dtype)."""
    return yw2y_p.bind(y, w, indices, indptr, shape=tuple(shape), transpose=bool(transpose),
                       backend=backend)
