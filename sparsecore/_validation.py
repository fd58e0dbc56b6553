"""Checks shared by every matrix class and functional op.

Cheap structural checks (ranks, dtypes, lengths) always run, and index arrays
are canonicalised once, here (int32, or int64 when the values need it).
Checks that scan values (bounds, monotone ``indptr``) run at construction only
when the arrays are concrete: under ``jax.jit`` tracing they are skipped, the
numba kernels still refuse out-of-range indices and malformed ``indptr`` with
an error, and :func:`check_structure` (behind the matrices' ``check()``) runs
the scans inside the compiled program on request.  docs/checks.md lists what
is checked where.
"""
from __future__ import annotations

import operator

import jax
import jax.numpy as jnp
import numpy as np

from ._errors import SparseFormatError

__all__ = ["check_shape", "as_index_array", "index_dtype_for", "as_array", "as_values",
           "is_concrete",
           "check_bounds", "check_indptr", "check_structure", "check_csr_arrays",
           "check_fcn_arrays", "FLOAT_DTYPES"]

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


_INT32 = np.iinfo(np.int32)
_INT64 = np.iinfo(np.int64)


def index_dtype_for(largest: int):
    """The index dtype that holds every value up to ``largest``: int32, else int64."""
    return jnp.int32 if largest <= _INT32.max else jnp.int64


def as_index_array(x, *, name: str, where: str, ndim: int = 1):
    """An integer index array, canonicalised: int32 unless the values need int64.

    NumPy and JAX arrays of any integer dtype are accepted.  Narrow dtypes
    (int8, uint8, int16, uint16) widen to int32, so arithmetic on them (row
    ids, pointers) cannot overflow.  Wide ones (int64, uint32, uint64) become
    int32 when their values fit, else int64 (with x64 enabled; otherwise an
    ``OverflowError``): never a silent downcast.  Traced wide arrays, whose
    values are unknown, keep 64 bits (uint32 becomes int64 with x64, and int32
    without: a value of 2**31 or more then turns negative, which every index
    check refuses, so no valid index changes).
    """
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
    return _canonical_index(arr, name=name, where=where)


def _canonical_index(arr, *, name: str, where: str):
    dtype = np.dtype(arr.dtype)
    if dtype == np.int32:
        return jnp.asarray(arr)
    if dtype.itemsize < 4:  # int8/int16/uint8/uint16 widen losslessly
        return jnp.asarray(arr).astype(jnp.int32)
    if not is_concrete(arr):
        if dtype == np.uint32 and not jax.config.jax_enable_x64:
            return arr.astype(jnp.int32)  # see the docstring: out-of-range stays out of range
        return arr.astype(jnp.int64)  # a traced 64-bit array exists only with x64
    values = np.asarray(arr)
    if values.size == 0 or (values.min() >= _INT32.min and values.max() <= _INT32.max):
        return jnp.asarray(values.astype(np.int32))
    if values.max() > _INT64.max:
        raise OverflowError(f"{where}: {name} holds values up to {values.max()}, beyond int64; "
                            f"no matrix has that many rows or columns.")
    if not jax.config.jax_enable_x64:
        raise OverflowError(f"{where}: {name} holds values up to {values.max()}, beyond "
                            f"int32; enable 64-bit indices with "
                            f"jax.config.update('jax_enable_x64', True).")
    return jnp.asarray(values.astype(np.int64))


_KINDS = {"U": "strings", "S": "byte strings", "O": "Python objects", "M": "datetimes",
          "m": "timedeltas", "V": "raw records"}


def as_array(x, *, name: str, where: str, expected: str):
    """``jnp.asarray(x)``; for a dtype JAX has no type for (strings, dates, objects) a
    ``TypeError`` naming ``name``, the dtype given and ``expected``."""
    try:
        return jnp.asarray(x)
    except TypeError:
        try:
            dtype = np.asarray(x).dtype
            given = f"{_KINDS.get(dtype.kind, 'values')} (dtype {dtype})"
        except Exception:  # not even NumPy makes an array of it
            given = type(x).__name__
        raise TypeError(f"{where}: {name} must be {expected}, got {given}; convert it to "
                        f"one of those dtypes first.") from None


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


def check_indptr(indptr, nnz: int, *, where: str, name: str = "indptr"):
    if not is_concrete(indptr):
        return
    values = np.asarray(indptr)
    if values[0] != 0 or values[-1] != nnz:
        raise SparseFormatError(f"{where}: {name} must start at 0 and end at nnz={nnz}, got "
                                f"{name}[0]={values[0]}, {name}[-1]={values[-1]}.")
    steps = np.diff(values)
    if (steps < 0).any():
        i = int(np.argmax(steps < 0))
        raise SparseFormatError(f"{where}: {name} must be non-decreasing, but {name}[{i}]="
                                f"{values[i]} > {name}[{i + 1}]={values[i + 1]}.")


def _indptr_ok(indptr, nnz: int):
    steps_ok = jnp.all(indptr[:-1] <= indptr[1:])
    return (indptr[0] == 0) & (indptr[-1] == nnz) & steps_ok


def _bounds_ok(indices, limit: int):
    if indices.size == 0:
        return jnp.bool_(True)
    if limit > np.iinfo(indices.dtype).max:  # every value of the dtype is below the limit
        return jnp.all(indices >= 0)
    return jnp.all((indices >= 0) & (indices < limit))


def check_structure(checks, *, where: str):
    """Value scans that also run inside ``jax.jit``.

    ``checks`` holds, in the order they are reported, ``("indptr", indptr,
    nnz, name)`` (must rise from 0 to ``nnz``), ``("bounds", indices, limit,
    name)`` (every value in ``[0, limit)``) and ``("prob", prob, None,
    name)`` (in ``[0, 1]``).  Concrete arrays are scanned now and a problem
    raises (:class:`~sparsecore.SparseFormatError` for a structure,
    ``ValueError`` for a probability).  Traced arrays get a device-side test
    (O(entries) reductions); only when it fails does a host callback run the
    same scans on the values and raise the same error, which surfaces from the
    compiled call as a ``jax.errors.JaxRuntimeError`` carrying the message.

    Returns the arrays, traced ones passed through the test: whatever is
    computed from the returned arrays runs after the callback, so its error
    is the one reported (a kernel reading the unchecked arrays could fail
    first, with its own less specific message).  The scan also runs when
    nothing uses the returned arrays.  Under ``vmap`` the test cannot branch,
    and the host scans run on every call.
    """
    arrays = tuple(check[1] for check in checks)

    def scan(*values):
        for (kind, _, n, name), v in zip(checks, values):
            v = np.asarray(v)
            if kind == "indptr":
                check_indptr(v, n, where=where, name=name)
            elif kind == "bounds":
                check_bounds(v, n, name=name, where=where)
            elif not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{where}: {name}={float(v)!r} is outside [0, 1]; it is the "
                                 f"probability that each entry exists.")

    if is_concrete(*arrays):
        scan(*arrays)
        return arrays
    ok = jnp.bool_(True)
    for kind, array, n, _ in checks:
        if kind == "indptr":
            ok &= _indptr_ok(array, n)
        elif kind == "bounds":
            ok &= _bounds_ok(array, n)
        else:
            ok &= (array >= 0) & (array <= 1)  # False for NaN

    def raise_on_host(*values):
        scan(*values)
        return np.bool_(True)  # not reached: the scan raises

    def fail(values):
        # an effect, so the scan runs even if nothing uses the returned arrays ...
        jax.debug.callback(scan, *values)
        # ... and a result the returned arrays wait for, so it runs before their users
        done = jax.pure_callback(raise_on_host, jax.ShapeDtypeStruct((), np.bool_), *values,
                                 vmap_method="sequential")
        return jax.lax.optimization_barrier((done, values))[1]

    return jax.lax.cond(ok, lambda values: values, fail, arrays)


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


def table_as_compressed(indices, n_rows: int, *, per: str, where: str):
    """A fixed-number index table ``(n_rows, n_conn)`` read as compressed buffers.

    Returns ``(indices, flat_indices, indptr)``: the checked 2-D table, its
    entries row by row, and the row pointer of rows of ``n_conn`` entries each.
    ``per`` names what one row of the table belongs to in the error message.
    """
    indices = as_index_array(indices, name="indices", where=where, ndim=2)
    if indices.shape[0] != n_rows:
        raise ValueError(f"{where}: indices must have one row per {per} ({n_rows}), got "
                         f"shape {tuple(indices.shape)}.")
    n_conn = indices.shape[1]
    indptr = jnp.arange(n_rows + 1, dtype=index_dtype_for(n_rows * n_conn)) * n_conn
    return indices, indices.reshape(-1), indptr


def flat_table_values(values, indices, *, name: str, where: str):
    """``values`` of a fixed-number table as a flat array of stored entries.

    A 2-D ``values`` must have the shape of the 2-D ``indices`` and is flattened
    row by row; a scalar or 1-D (already flat) ``values`` passes unchanged.
    """
    values = as_values(values, name=name, where=where)
    if values.ndim == 2:
        if tuple(values.shape) != tuple(indices.shape):
            raise ValueError(f"{where}: {name} must have the shape of indices "
                             f"{tuple(indices.shape)} (or be a scalar), got "
                             f"{tuple(values.shape)}.")
        values = values.reshape(-1)
    return values


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
