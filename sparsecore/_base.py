"""``SparseMatrix``: the pytree protocol, ``@`` dispatch, units boundary and repr.

Every matrix class of sparsecore derives from :class:`SparseMatrix` and adds
only its buffers and one hook, ``_dense_product``; the operand classification
and the units live here, once.
"""
from __future__ import annotations

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np

from . import _units
from .kernels._primitive import resolve_backend

__all__ = ["SparseMatrix"]


def _dense_operand(other):
    """The operand as (mantissa array, unit), or None if ``@`` should not handle it."""
    if isinstance(other, SparseMatrix) or isinstance(other, u.sparse.SparseMatrix):
        return None
    if isinstance(other, u.Quantity):
        return jnp.asarray(other.mantissa), other.unit
    if isinstance(other, (jax.Array, np.ndarray, list, tuple)):
        x = jnp.asarray(other)
        if x.dtype == object:
            return None
        return x, None
    return None


class SparseMatrix(u.sparse.SparseMatrix):
    """Base class of sparsecore's matrices (a JAX pytree).

    Subclasses store their arrays as pytree leaves and implement
    ``tree_flatten``, ``tree_unflatten``, ``nnz``, ``todense`` and
    ``_dense_product(data, x, *, transpose, event, backend)`` which computes
    ``self @ x`` (``self.T @ x`` when ``transpose``) on unit-free arrays, ``x``
    a vector or a matrix whose columns are right-hand sides.
    """

    __array_priority__ = 1000  # NumPy defers binary operators to us
    data: object

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_node_class(cls)

    # -- metadata -----------------------------------------------------------
    @property
    def dtype(self):
        return jnp.dtype(_units.split(self.data)[0].dtype)

    @property
    def nse(self):
        return self.nnz

    @property
    def unit(self):
        """The unit of the stored values (None when they are plain numbers)."""
        return _units.split(self.data)[1]

    def __repr__(self):
        unit = self.unit
        suffix = f" {unit}" if unit is not None else ""
        dims = ", ".join(str(s) for s in self.shape)
        try:
            return f"{type(self).__name__}({self.dtype.name}[{dims}]{suffix}, nnz={self.nnz})"
        except Exception:  # leaves replaced by placeholders inside a transformation
            return f"{type(self).__name__}([{dims}])"

    # -- densifying is explicit ----------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"{type(self).__name__} will not convert to a dense array implicitly; "
                        f"call .todense() to get one on purpose.")

    def __bool__(self):
        raise TypeError(f"the truth value of a {type(self).__name__} is ambiguous; compare "
                        f".todense() if you need a dense boolean.")

    # -- products -----------------------------------------------------------
    def dot(self, other, *, backend=None):
        """``self @ other`` with an explicit backend (None, "numba" or "jax")."""
        result = self._matmul(other, reflected=False, backend=backend)
        if result is NotImplemented:
            raise TypeError(f"cannot multiply {type(self).__name__} by {type(other).__name__}; "
                            f"pass a dense vector/matrix or bool spikes.")
        return result

    def rdot(self, other, *, backend=None):
        """``other @ self`` with an explicit backend (None, "numba" or "jax")."""
        result = self._matmul(other, reflected=True, backend=backend)
        if result is NotImplemented:
            raise TypeError(f"cannot multiply {type(other).__name__} by {type(self).__name__}; "
                            f"pass a dense vector/matrix or bool spikes.")
        return result

    def __matmul__(self, other):
        return self._matmul(other, reflected=False, backend=None)

    def __rmatmul__(self, other):
        return self._matmul(other, reflected=True, backend=None)

    def _matmul(self, other, *, reflected: bool, backend):
        operand = _dense_operand(other)
        if operand is None:
            return NotImplemented
        x, x_unit = operand
        name = type(self).__name__
        if x.ndim not in (1, 2):
            raise ValueError(f"{name} @: the dense operand must be 1-D or 2-D, got shape "
                             f"{tuple(x.shape)}.")
        if jnp.issubdtype(x.dtype, jnp.complexfloating):
            raise TypeError(f"{name} @: complex operands are not supported, got {x.dtype}.")
        # x @ W is W.T @ x (a matrix x: (W.T @ x.T).T) over the same buffers.
        if reflected and x.ndim == 2:
            x = x.T
        contracted = self.shape[0] if reflected else self.shape[1]
        if x.shape[0] != contracted:
            left, right = (tuple(x.T.shape if x.ndim == 2 else x.shape), self.shape) if reflected \
                else (self.shape, tuple(x.shape))
            raise ValueError(f"{name} @: shapes {left} and {right} are not aligned "
                             f"({x.shape[0]} != {contracted}).")
        data, data_unit = _units.split(self.data)
        event = x.dtype == np.bool_
        if not event:
            dtype = jnp.result_type(data.dtype, x.dtype)
            if not jnp.issubdtype(dtype, jnp.floating):
                dtype = data.dtype
            data, x = data.astype(dtype), x.astype(dtype)
        backend = resolve_backend(backend, data.dtype, op=f"{name} @")
        out = self._dense_product(data, x, transpose=reflected, event=event, backend=backend)
        if reflected and out.ndim == 2:
            out = out.T
        unit = data_unit if event else _units.multiply_units(data_unit, x_unit)
        return _units.attach(out, unit)

    def _dense_product(self, data, x, *, transpose, event, backend):
        raise NotImplementedError
