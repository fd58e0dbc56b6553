"""Checks shared by every matrix class and functional op.

Cheap structural checks (ranks, dtypes, lengths) always run; checks that scan
values (bounds, monotone ``indptr``) run only when the arrays are concrete:
under ``jax.jit`` tracing they are skipped, and the numba kernels still refuse
out-of-range indices with an error instead of reading outside a buffer.
"""
from __future__ import annotations

import operator

import jax
import jax.numpy as jnp
import numpy as np

from ._errors import SparseFormatError

__all__ = ["check_shape", "as_index_array", "as_values", "is_concrete", "check_bounds",
           "check_indptr", "check_csr_arrays", "check_fcn_arrays", "FLOAT_DTYPES"]

FLOAT_DTYPES = tuple(np.dtype(d) for d in (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64))


def is_concrete(*arrays) -> bool:
    return not any(isinstance(a, jax.core.Tracer) for a in arrays)


def check_shape(shape, *, where: str) -> tuple[int, int]:
    """Normalise a 2-D shape given as any sequence of two non-negative ints."""
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(f"{where}: shape must be a sequence of two non-negative ints such as "
                        f"(m, n), got {shape!r}.")
    if len(shape) != 2:
        raise ValueError(f"{where}: shape must have two entries (m, n), got {tuple(shape)!r}.")
    dims = []
    for s in shape:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{where}: shape entries must be ints, got {shape!r}; pass e.g. "
                            f"shape=(m, n) with Python ints.")
        if s < 0:
            raise ValueError(f"{where}: shape entries must be non-negative, got {tuple(shape)!r}.")
        dims.append(operator.index(s))
    return tuple(dims)


def as_index_array(x, *, name: str, where: str, ndim: int = 1):
    """An integer index array (int32 unless the values need int64)."""
    if isinstance(x, jax.Array) or isinstance(x, jax.core.Tracer):
        arr = x
    else:
        arr = np.asarray(x)
        if arr.dtype == object:
            raise TypeError(f"{where}: {name} must be an integer array, got {type(x).__name__}.")
        if arr.size == 0 and arr.dtype == np.float64 and not isinstance(x, np.ndarray):
            arr = arr.astype(np.int32)  # [] from a Python list
    if not jnp.issubdtype(arr.dtype, jnp.integer) or arr.dtype == np.bool_:
        raise TypeError(f"{where}: {name} must have an integer dtype, got {arr.dtype}; convert "
                        f"with {name}.astype(np.int32).")
    if arr.ndim != ndim:
        raise ValueError(f"{where}: {name} must be {ndim}-D, got shape {tuple(arr.shape)}.")
    if isinstance(arr, np.ndarray):
        if arr.dtype.itemsize > 4 or arr.dtype == np.uint32:
            too_big = arr.size and (arr.max() > np.iinfo(np.int32).max
                                    or arr.min() < np.iinfo(np.int32).min)
            if not too_big:
                arr = arr.astype(np.int32)
            elif not jax.config.jax_enable_x64:
                raise OverflowError(f"{where}: {name} holds values up to {arr.max()}, beyond "
                                    f"int32; enable 64-bit indices with "
                                    f"jax.config.update('jax_enable_x64', True).")
        elif arr.dtype != np.int32:
            arr = arr.astype(np.int32)  # int8/int16/uint8/uint16 widen losslessly
        arr = jnp.asarray(arr)
    return arr


def as_values(x, *, name: str, where: str):
    """A floating-point value array (Python numbers become the default float)."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be floating point, got bool.")
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, np.ndarray):
        if isinstance(x, (int, np.integer)):
            x = float(x)
        return jnp.asarray(x, dtype=jnp.result_type(float))
    arr = x if isinstance(x, (jax.Array, jax.core.Tracer)) else np.asarray(x)
    dtype = np.dtype(arr.dtype)
    if dtype not in FLOAT_DTYPES:
        kind = "complex" if jnp.issubdtype(dtype, jnp.complexfloating) else dtype.name
        raise TypeError(f"{where}: {name} must be float16, bfloat16, float32 or float64, got "
                        f"{kind}; convert with {name}.astype(np.float32).")
    return jnp.asarray(arr)


def check_bounds(indices, limit: int, *, name: str, where: str):
    if not is_concrete(indices) or indices.size == 0:
        return
    values = np.asarray(indices)
    lo, hi = values.min(), values.max()
    if lo < 0 or hi >= limit:
        bad = lo if lo < 0 else hi
        raise SparseFormatError(f"{where}: {name} contains {bad}, outside [0, {limit}); every "
                                f"index must address a row/column of the matrix.")


def check_indptr(indptr, nnz: int, *, where: str):
    if not is_concrete(indptr):
        return
    values = np.asarray(indptr)
    if values[0] != 0 or values[-1] != nnz:
        raise SparseFormatError(f"{where}: indptr must start at 0 and end at nnz={nnz}, got "
                                f"indptr[0]={values[0]}, indptr[-1]={values[-1]}.")
    steps = np.diff(values)
    if (steps < 0).any():
        i = int(np.argmax(steps < 0))
        raise SparseFormatError(f"{where}: indptr must be non-decreasing, but indptr[{i}]="
                                f"{values[i]} > indptr[{i + 1}]={values[i + 1]}.")

def check_csr_arrays(data, indices, indptr, shape, *, where: str, full: bool = True):
    """Validate CSR buffers for ``shape`` = (rows, cols); returns normalised arrays.

    ``data`` may be per-entry (nnz,) or homogeneous (scalar or (1,)); it is
    returned with shape (nnz,) or (1,).
    """
    shape = check_shape(shape, where=where)
    data = as_values(data, name="data", where=where)
    indices = as_index_array(indices, name="indices", where=where)
    indptr = as_index_array(indptr, name="indptr", where=where)
    nnz = indices.shape[0]
    if indptr.shape[0] != shape[0] + 1:
        raise ValueError(f"{where}: indptr must have {shape[0] + 1} entries (one more than the "
                         f"{shape[0]} compressed rows of shape {shape}), got {indptr.shape[0]}.")
    if data.ndim == 0:
        data = data.reshape(1)
    if data.ndim != 1 or data.shape[0] not in (nnz, 1):
        raise ValueError(f"{where}: data must have one value per stored entry ({nnz},) or be a "
                         f"scalar / shape-(1,) homogeneous weight, got shape {tuple(data.shape)}.")
    if full:
        check_indptr(indptr, nnz, where=where)
        check_bounds(indices, shape[1], name="indices", where=where)
    return data, indices, indptr, shape


def check_fcn_arrays(data, indices, shape, *, where: str, full: bool = True,
                     per: str = "row"):
    """Validate fixed-number buffers for the row view ``shape`` = (rows, cols).

    ``indices`` must be a 2-D integer array with one row per matrix row;
    ``data`` is per-entry (``indices.shape``) or homogeneous (scalar or (1,),
    returned as (1,)).  ``per`` names what one row of ``indices`` belongs to
    in messages (FixedPreNumConn stores one row per column).
    """
    shape = check_shape(shape, where=where)
    data = as_values(data, name="data", where=where)
    indices = as_index_array(indices, name="indices", where=where, ndim=2)
    if indices.shape[0] != shape[0]:
        raise ValueError(f"{where}: indices must have one row per {per}, i.e. shape "
                         f"({shape[0]}, n_conn), got shape {tuple(indices.shape)}.")
    if data.ndim == 0:
        data = data.reshape(1)
    if not (data.shape == (1,) or tuple(data.shape) == tuple(indices.shape)):
        raise ValueError(f"{where}: data must have one value per stored entry "
                         f"{tuple(indices.shape)} (the shape of indices) or be a scalar / "
                         f"shape-(1,) homogeneous weight, got shape {tuple(data.shape)}.")
    if full:
        check_bounds(indices, shape[1], name="indices", where=where)
    return data, indices, shape
