"""Elementwise operations on the stored values of a sparse matrix.

One implementation for every matrix class, written against the hooks that
:mod:`sparsecore._base` documents.  An operand is classified once
(:func:`classify`) into one of four kinds:

``"scalar"``
    a Python number, a 0-d or shape-(1,) array, a scalar Quantity or a bare
    ``Unit``: combined with every stored value.
``"dense"``
    an array (or Quantity array) that broadcasts to the matrix shape: gathered
    at the (row, column) of every stored entry, so the result keeps the
    structure and nothing is densified.
``"matrix"``
    a sparse matrix of the same class and structure: values combined entry by
    entry (a homogeneous operand broadcasts against a per-entry one).
``None``
    anything else: the operator returns ``NotImplemented``.

Units are never split here: stored values and operands are combined with
brainunit's own arithmetic, so a dimension mismatch raises brainunit's error
naming the operation and both units, and units stay static under ``jax.jit``.
"""
from __future__ import annotations

import numbers

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np

from . import _units, _validation as V

__all__ = ["classify", "gather", "combine", "same_structure", "check_values",
           "densifying_error", "entry_values", "matrix_sum"]


def densifying_error(matrix, what: str) -> TypeError:
    """The TypeError for an operation whose honest result is dense."""
    hint = (", or use .apply(fn) to act on the stored values only"
            if getattr(matrix, "_entries_stored", True) else "")
    return TypeError(f"{what} would produce a dense result; sparsecore never densifies "
                     f"implicitly. Call .todense() first to get a dense array on purpose{hint}.")


def classify(other, shape):
    """``(kind, operand)`` for a binary operation with a matrix of ``shape``."""
    if isinstance(other, u.sparse.SparseMatrix):
        # sparsecore's matrices (they implement the structure hook of _base); other
        # brainunit sparse matrices are not ours to combine with
        return ("matrix" if hasattr(other, "_structure_leaves") else None), other
    if isinstance(other, u.Unit):
        return "scalar", other
    if isinstance(other, (bool, np.bool_)):
        return "scalar", other
    if isinstance(other, numbers.Number):
        return "scalar", other
    mantissa, unit = _units.split(other)
    if not isinstance(mantissa, (jax.Array, np.ndarray, np.generic, numbers.Number)):
        return None, other
    if isinstance(mantissa, np.ndarray) and mantissa.dtype == object:
        return None, other
    if np.ndim(mantissa) <= 2 and np.size(mantissa) == 1:
        # 0-d, (1,) or (1, 1): broadcasts against every entry the same way
        return "scalar", _units.attach_exact(jnp.reshape(jnp.asarray(mantissa), ()), unit)
    return "dense", other


def _check_broadcast(x_shape, shape, name: str, op: str):
    try:
        out = jnp.broadcast_shapes(tuple(x_shape), tuple(shape))
    except ValueError:
        out = None
    if out != tuple(shape):
        raise ValueError(f"{name} {op}: a dense operand of shape {tuple(x_shape)} does not "
                         f"broadcast to the matrix shape {tuple(shape)}; elementwise operations "
                         f"with dense arrays keep the matrix shape (and its structure).")


def gather(x, rows, cols, shape, *, name: str, op: str):
    """``broadcast_to(x, shape)[rows, cols]`` without materialising the broadcast.

    ``x`` may be a Quantity; the unit is kept.
    """
    mantissa, unit = _units.split(x)
    mantissa = jnp.asarray(mantissa)
    _check_broadcast(mantissa.shape, shape, name, op)
    if mantissa.ndim == 0:
        values = jnp.broadcast_to(mantissa, rows.shape)
    elif mantissa.ndim == 1:
        values = mantissa[cols] if mantissa.shape[0] != 1 else jnp.broadcast_to(
            mantissa[0], rows.shape)
    else:
        r = rows if mantissa.shape[0] != 1 else jnp.zeros_like(rows)
        c = cols if mantissa.shape[1] != 1 else jnp.zeros_like(cols)
        values = mantissa[r, c]
    return _units.attach_exact(values, unit)


def same_structure(a, b, *, op: str):
    """Raise unless ``a`` and ``b`` describe the same stored entries.

    Classes and static metadata must match always; index values are compared
    when they are concrete (under tracing they cannot be, and are trusted).
    """
    name_a, name_b = type(a).__name__, type(b).__name__
    if type(a) is not type(b):
        raise TypeError(f"{name_a} {op} {name_b}: elementwise operations between matrices need "
                        f"the same class; convert one first (e.g. .tocsr() or .tocsc()).")
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{name_a} {op} {name_b}: shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)} differ; elementwise operations need matrices with "
                         f"the same structure.")
    aux_a, aux_b = a.tree_flatten()[1], b.tree_flatten()[1]
    if aux_a != aux_b:
        raise ValueError(f"{name_a} {op} {name_b}: the matrices differ in their static "
                         f"structure ({aux_a!r} vs {aux_b!r}); elementwise operations need "
                         f"the same structure.")
    leaves_a, leaves_b = a._structure_leaves(), b._structure_leaves()
    for la, lb in zip(leaves_a, leaves_b):
        if la is lb:
            continue
        if jnp.shape(la) != jnp.shape(lb):
            raise ValueError(f"{name_a} {op} {name_b}: the matrices store a different number "
                             f"of entries ({jnp.shape(la)} vs {jnp.shape(lb)} index arrays); "
                             f"elementwise operations need the same structure.")
        if V.is_concrete(la, lb) and not np.array_equal(np.asarray(la), np.asarray(lb)):
            raise ValueError(f"{name_a} {op} {name_b}: the matrices have the same shape but "
                             f"different sparsity structures (their indices or seeds differ); "
                             f"elementwise operations between matrices need identical "
                             f"structure. Combine dense arrays with .todense() instead, or "
                             f"rebuild one matrix on the other's structure with .with_data().")


def check_values(matrix, values, *, op: str):
    """Check new stored values: floating point, per-entry shape or homogeneous."""
    name = type(matrix).__name__
    mantissa, _ = _units.split(values)
    mantissa = jnp.asarray(mantissa)
    if not jnp.issubdtype(mantissa.dtype, jnp.floating):
        raise TypeError(f"{name}.{op}: stored values must be floating point, got "
                        f"{mantissa.dtype}; convert with .astype(jnp.float32) or pass float "
                        f"values.")
    per_entry = tuple(jnp.shape(_units.split(matrix.data)[0]))
    entries = matrix._entries_shape()
    if mantissa.size == 1 and mantissa.ndim <= 1:
        return
    if tuple(mantissa.shape) not in (per_entry, entries):
        raise ValueError(f"{name}.{op}: new values must have one value per stored entry "
                         f"{entries} or be a single homogeneous value, got shape "
                         f"{tuple(mantissa.shape)}.")


def entry_values(matrix):
    """Stored values broadcast to one per entry (shape ``matrix._entries_shape()``)."""
    data, unit = _units.split(matrix.data)
    data = jnp.broadcast_to(jnp.asarray(data), matrix._entries_shape())
    return data, unit


def matrix_sum(matrix, axis):
    """``matrix.todense().sum(axis)`` from the stored entries (units kept)."""
    name = type(matrix).__name__
    if axis is not None:
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{name}.sum: axis must be None, 0, 1 or -1/-2, got {axis!r}.")
        if not -2 <= axis <= 1:
            raise ValueError(f"{name}.sum: axis must be None, 0, 1 or -1/-2 for a 2-D matrix, "
                             f"got {axis}.")
        axis = int(axis) % 2
    data, unit = _units.split(matrix.data)
    data = jnp.asarray(data)
    if axis is None:
        if data.size == 1 and matrix.nnz != 1:
            total = data.reshape(()) * matrix.nnz
        else:
            total = data.sum()
        return _units.attach(total, unit)
    values, _ = entry_values(matrix)
    rows, cols = matrix._entry_coords()
    keep = cols if axis == 0 else rows
    out = jnp.zeros(matrix.shape[1 - axis], values.dtype).at[keep.reshape(-1)].add(
        values.reshape(-1))
    return _units.attach(out, unit)


def combine(matrix, other, fn, *, reverse: bool, op: str):
    """New stored values ``fn(values, operand)`` (``fn(operand, values)`` if reverse).

    Returns NotImplemented when ``other`` is not an operand we handle.
    """
    kind, other = classify(other, matrix.shape)
    name = type(matrix).__name__
    data = matrix.data
    if kind is None:
        return NotImplemented
    if kind == "matrix":
        same_structure(matrix, other, op=op)
        operand = other.data
    elif kind == "dense":
        if not matrix._entries_stored:
            raise TypeError(f"{name} {op} dense array: this matrix does not store its entries "
                            f"(they are generated), so it cannot be combined entry by entry "
                            f"with an array; convert first with .tocsr(), or use .todense().")
        rows, cols = matrix._entry_coords()
        operand = gather(other, rows, cols, matrix.shape, name=name, op=op)
    else:
        operand = other
    values = fn(operand, data) if reverse else fn(data, operand)
    return values
