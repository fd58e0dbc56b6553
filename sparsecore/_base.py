"""``SparseMatrix``: pytree protocol, ``@`` dispatch, units, operators and repr.

Every matrix class of sparsecore derives from :class:`SparseMatrix` and adds
only its buffers and a few narrow hooks; operand classification, units and the
whole operator surface live here, once, so every class behaves the same.

Hook contract for subclasses
----------------------------
Always:

``_leaf_names`` (and ``_optional_leaves``)
    the array attributes in pytree order (only the shape is aux data); the base
    class flattens, unflattens (constructor-free) and registers the pytree.
``_axis``, ``_twin``
    the orientation (0: the buffers' lines are rows, 1: columns) and the class
    of the transpose over the same leaves; ``transpose()`` / ``.T`` follow.
``shape``, ``nnz``, ``todense()``
    as in scipy (``nnz`` and ``todense`` are abstract).
``_dense_product(data, x, *, transpose, event, backend)`` (abstract)
    ``self @ x`` (``self.T @ x`` when ``transpose``) on unit-free arrays; ``x``
    is a vector or a matrix of right-hand sides; ``data`` the values' mantissa.
``_structure_leaves()`` (abstract)
    the leaves (index arrays, seeds) that decide WHICH entries exist; matrices
    combine elementwise only if class, aux data and these leaves agree.

Classes that store their values (``_entries_stored = True``: CSR, CSC,
fixed-number connectivity) add ``data`` (one value shared by all entries, size
1, or one per entry, of shape ``_entries_shape()``, default ``(nnz,)``),
``_entry_coords()`` (the ``(rows, cols)`` of every stored entry in
``self.shape``, used by ``W * x`` and ``sum(axis)``) and ``_with_values(data)``
(constructor-free replacement).  They get the whole elementwise surface with
scalars, Quantities, Units, dense arrays broadcasting to ``W.shape`` (stored
entries only) and matrices of the same structure, plus ``apply``, ``apply2``,
``with_data``, ``astype``, ``copy`` and ``sum(axis)``.

Generated classes (``_entries_stored = False``: every entry is computed
*linearly* from weight parameters such as ``w``, ``(loc, scale)``,
``(low, high)``) add ``_value_leaves()`` and ``_with_value_leaves(leaves)``
and get the linear operations only (``-W``, ``+W``, scaling by scalars, sums
and differences on the same structure, ``astype``, ``copy``, ``sum``); the rest
raises a TypeError pointing to ``.tocsr()`` / ``.todense()``.

Operations whose honest result is dense (``W + x``, comparisons,
``np.asarray(W)``, ``s / W``) raise TypeError naming ``.todense()``.
"""
from __future__ import annotations

import abc
import operator
from collections.abc import Callable
from typing import Self

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import DTypeLike

from . import _elementwise as E, _units, _validation as V
from ._typing import ArrayLike, Backend, Result
from .kernels._primitive import resolve_backend

__all__ = ["SparseMatrix"]


_OPERAND = "a bool (spikes), integer or float array"


def _dense_operand(other, where):
    """The operand as (mantissa array, unit), or None if ``@`` should not handle it."""
    if isinstance(other, SparseMatrix) or isinstance(other, u.sparse.SparseMatrix):
        return None
    if isinstance(other, u.Quantity):
        return V.as_array(other.mantissa, name="the operand", where=where,
                          expected=_OPERAND), other.unit
    if isinstance(other, np.ndarray) and other.dtype == object:
        return None
    if isinstance(other, (jax.Array, np.ndarray, list, tuple)):
        return V.as_array(other, name="the operand", where=where, expected=_OPERAND), None
    return None


def _refused_comparison(op: str):
    def compare(self, other):
        raise E.densifying_error(self, f"comparison {type(self).__name__} {op} "
                                       f"{type(other).__name__}")
    compare.__name__ = f"comparison {op}"
    return compare


class SparseMatrix(u.sparse.SparseMatrix, metaclass=abc.ABCMeta):
    """Base class of sparsecore's matrices (a JAX pytree).

    Holds the ``@`` dispatch, the units boundary and the elementwise operator
    surface for every class; subclasses provide buffers and the narrow hooks
    listed in the module docstring of :mod:`sparsecore._base`.

    Examples
    --------
    >>> import jax.numpy as jnp, brainunit as u, sparsecore as sc
    >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [0., 2.]]) * u.mS)
    >>> (W * 2 - W).data                 # same structure, values combined
    Quantity([1. 2.], "mS")
    >>> (W @ (jnp.ones(2) * u.mV)).to_decimal(u.uA)
    Array([1., 2.], dtype=float32)
    >>> W * jnp.array([10., 0.])         # broadcast and gathered at stored entries
    CSR(float32[2, 2] mS, nnz=2)
    """

    __array_priority__ = 1000  # NumPy defers binary operators to us
    _entries_stored = True  # see the module docstring for the hook contract
    data: object
    shape: tuple
    #: orientation: 0 when the lines of the buffers (compressed rows, fixed-number
    #: rows, generated lines) are the matrix's rows, 1 when they are its columns
    _axis: int
    #: the class of the transpose, over the same leaves (CSR <-> CSC, ...)
    _twin: type
    #: the array attributes, in pytree order; then each of ``_optional_leaves``
    #: that is not None (e.g. an attached column index)
    _leaf_names: tuple = ()
    _optional_leaves: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_node_class(cls)

    # -- pytree and orientation ------------------------------------------------
    def tree_flatten(self) -> tuple[tuple, tuple]:
        children = tuple(getattr(self, name) for name in self._leaf_names)
        extra = tuple(v for v in (getattr(self, name) for name in self._optional_leaves)
                      if v is not None)
        return children + extra, (self.shape,)

    @classmethod
    def tree_unflatten(cls, aux: tuple, children: tuple) -> Self:
        obj = object.__new__(cls)  # leaves may be tracers, float0 or placeholders
        obj.shape, = aux
        for name, child in zip(cls._leaf_names + cls._optional_leaves, children):
            setattr(obj, name, child)
        return obj

    @classmethod
    def _line_view(cls, shape) -> tuple:
        """``shape`` as the buffers see it: lines first (reversed when ``_axis == 1``)."""
        return tuple(shape) if cls._axis == 0 else tuple(shape)[::-1]

    @property
    def _view_shape(self) -> tuple:
        return self._line_view(self.shape)

    @classmethod
    def _dense_lines(cls, x, *, op: str):
        """``(view, mantissa, unit)`` of a dense 2-D ``x``: ``view`` has the lines as rows."""
        mantissa, unit = _units.split(x)
        mantissa = jnp.asarray(mantissa)
        if mantissa.ndim != 2:
            raise ValueError(f"{cls.__name__}.{op}: x must be 2-D, got shape "
                             f"{tuple(mantissa.shape)}.")
        return (mantissa if cls._axis == 0 else mantissa.T), mantissa, unit

    def transpose(self, axes: tuple[int, int] | None = None) -> SparseMatrix:
        """The transpose: the twin class over the same leaves (no copy)."""
        if axes is not None and tuple(axes) != (1, 0):
            raise ValueError(f"a 2-D matrix transposes with axes=(1, 0) only, got {axes!r}.")
        return self._twin.tree_unflatten((self.shape[::-1],), self.tree_flatten()[0])

    @property
    @abc.abstractmethod
    def nnz(self) -> int:
        """Number of stored (or generated) entries."""

    @abc.abstractmethod
    def todense(self) -> Result:
        """Dense ``jax.Array`` (a Quantity when the values carry units)."""

    # -- metadata -----------------------------------------------------------
    def _first_values(self):
        return self.data if self._entries_stored else self._value_leaves()[0]

    @property
    def dtype(self) -> np.dtype:
        return jnp.dtype(jnp.result_type(_units.split(self._first_values())[0]))

    @property
    def nse(self) -> int:
        return self.nnz

    @property
    def unit(self) -> u.Unit | None:
        """The unit of the stored values (None when they are plain numbers)."""
        return _units.split(self._first_values())[1]

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

    def __iter__(self):
        raise TypeError(f"{type(self).__name__} is not iterable; use .todense() to iterate over "
                        f"dense rows.")

    # -- sharding -------------------------------------------------------------
    def shard(self, sharding: jax.sharding.NamedSharding) -> Self:
        """The same matrix cut into equal blocks over the devices of one mesh axis.

        ``sharding`` is a ``jax.sharding.NamedSharding`` whose 2-D
        ``PartitionSpec`` names one mesh axis for the rows (``P("d", None)``)
        or the columns (``P(None, "d")``).  The result is an instance of this
        class with the same shape; each device holds one block (stored
        buffers padded to equal size; generated matrices store nothing and
        each device generates its own block), and ``@``, the gradients,
        ``vmap``, ``lax.scan`` and the plasticity updates run block by block
        through ``jax.shard_map``.  Call it outside ``jax.jit``; see
        :doc:`/scaling`.

        Examples
        --------
        >>> import jax, jax.numpy as jnp, numpy as np, sparsecore as sc
        >>> from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
        >>> mesh = Mesh(np.array(jax.devices()), ("d",))
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [0., 2.]]))
        >>> S = W.shard(NamedSharding(mesh, P("d", None)))
        >>> S.sharding.spec == P("d", None)
        True
        >>> S @ jnp.ones(2)
        Array([1., 2.], dtype=float32)
        """
        from ._sharding import shard
        return shard(self, sharding)

    # -- products -----------------------------------------------------------
    def dot(self, other: ArrayLike, *, event: bool | None = None,
            backend: Backend = None) -> Result:
        """``self @ other``, with the operand's meaning and the backend chosen explicitly.

        Parameters
        ----------
        other : array or Quantity
            A dense vector or matrix (one column per right-hand side).
        event : bool or None
            ``None``: as ``@`` (a bool operand is events, any other a float
            product).  ``True``: the operand is events, entries ``> 0`` active,
            each adding its stored weight without a multiply (cost proportional
            to the active inputs where the direction allows); a float operand
            keeps its gradient, which is that of the float product (the
            straight-through rule of surrogate-gradient training).  ``False``:
            a float product, bool cast to numbers.
        backend : {None, "numba", "jax"}
            ``None`` picks numba on CPU, the pure-JAX reference elsewhere.

        Examples
        --------
        >>> import jax, jax.numpy as jnp, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 2.], [0., 3.]]))
        >>> s = jnp.array([1., 0.])                  # float spikes from a surrogate
        >>> W.dot(s, event=True)
        Array([1., 0.], dtype=float32)
        >>> jax.grad(lambda s: W.dot(s, event=True).sum())(s)   # that of W @ s
        Array([1., 5.], dtype=float32)
        """
        return self._explicit_matmul(other, reflected=False, backend=backend, event=event)

    def rdot(self, other: ArrayLike, *, event: bool | None = None,
             backend: Backend = None) -> Result:
        """``other @ self``; ``event`` and ``backend`` as in :meth:`dot`.

        With ``event=True`` and a spike vector ``s``, ``W.rdot(s, event=True)``
        visits the rows of active inputs only (for row-stored matrices).

        Examples
        --------
        >>> import jax, jax.numpy as jnp, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 2.], [0., 3.]]))
        >>> s = jnp.array([1., 0.])
        >>> W.rdot(s, event=True)
        Array([1., 2.], dtype=float32)
        >>> jax.grad(lambda s: W.rdot(s, event=True).sum())(s)   # that of s @ W
        Array([3., 3.], dtype=float32)
        """
        return self._explicit_matmul(other, reflected=True, backend=backend, event=event)

    def _explicit_matmul(self, other, *, reflected, backend, event=None):
        if event is not None and not isinstance(event, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.{'rdot' if reflected else 'dot'}: event "
                            f"must be True, False or None, got {event!r}.")
        result = self._matmul(other, reflected=reflected, backend=backend,
                              event=None if event is None else bool(event))
        if result is NotImplemented:
            left, right = type(self).__name__, type(other).__name__
            if reflected:
                left, right = right, left
            raise TypeError(f"cannot multiply {left} by {right}; pass a dense vector/matrix or "
                            f"bool spikes.")
        return result

    def __matmul__(self, other: ArrayLike) -> Result:
        return self._matmul(other, reflected=False, backend=None)

    def __rmatmul__(self, other: ArrayLike) -> Result:
        return self._matmul(other, reflected=True, backend=None)

    def _matmul(self, other, *, reflected: bool, backend, event=None, where=None):
        """``self @ other`` (``other @ self`` when ``reflected``): the one product path.

        Classifies the operand, splits units once, promotes dtypes, resolves
        the backend and re-attaches ``unit(data) * unit(operand)`` (events:
        ``unit(data)``).  ``event=None`` reads events off a bool dtype;
        ``True`` makes entries > 0 events (a float operand stays float, so it
        keeps the straight-through gradient of the primitive's rules) and
        ``False`` casts a bool operand to the values' dtype.  ``where`` names
        the caller in error messages.
        """
        where = where or f"{type(self).__name__} @"
        operand = _dense_operand(other, where)
        if operand is None:
            return NotImplemented
        x, x_unit = operand
        if x.ndim not in (1, 2):
            raise ValueError(f"{where}: the dense operand must be 1-D or 2-D, got shape "
                             f"{tuple(x.shape)}.")
        if jnp.issubdtype(x.dtype, jnp.complexfloating):
            raise TypeError(f"{where}: complex operands are not supported, got {x.dtype}.")
        # x @ W is W.T @ x (a matrix x: (W.T @ x.T).T) over the same buffers.
        if reflected and x.ndim == 2:
            x = x.T
        contracted = self.shape[0] if reflected else self.shape[1]
        if x.shape[0] != contracted:
            left, right = (tuple(x.T.shape if x.ndim == 2 else x.shape), self.shape) if reflected \
                else (self.shape, tuple(x.shape))
            raise ValueError(f"{where}: operand has {x.shape[0]} rows but the product contracts "
                             f"over {contracted}; shapes {left} and {right} are not aligned.")
        data, data_unit = _units.split(self.data)
        data = jnp.asarray(data)
        if event is None:
            event = x.dtype == np.bool_
        if event:
            if not jnp.issubdtype(x.dtype, jnp.floating):
                x = x if x.dtype == np.bool_ else x > 0  # integers carry no tangent
        else:
            dtype = jnp.result_type(data.dtype, x.dtype)
            if not jnp.issubdtype(dtype, jnp.floating):
                dtype = data.dtype
            data, x = data.astype(dtype), x.astype(dtype)
        backend = resolve_backend(backend, data.dtype, op=where)
        out = self._dense_product(data, x, transpose=reflected, event=event, backend=backend)
        if reflected and out.ndim == 2:
            out = out.T
        unit = data_unit if event else _units.multiply_units(data_unit, x_unit)
        return _units.attach(out, unit)

    @abc.abstractmethod
    def _dense_product(self, data, x, *, transpose, event, backend):
        """``self @ x`` (``self.T @ x``) on unit-free arrays (see the module docstring)."""

    # -- hooks of classes that store their values (see the module docstring) ----
    def _entries_shape(self):
        return (self.nnz,)

    def _entry_coords(self):
        raise NotImplementedError(f"{type(self).__name__} must implement _entry_coords()")

    def _with_values(self, data):
        raise NotImplementedError(f"{type(self).__name__} must implement _with_values(data)")

    @abc.abstractmethod
    def _structure_leaves(self):
        """The leaves that decide which entries exist (see the module docstring)."""

    # -- hooks of classes with generated entries ------------------------------------
    def _value_leaves(self):
        return (self.data,)

    def _with_value_leaves(self, leaves):
        return self._with_values(leaves[0])

    # -- values ---------------------------------------------------------------------
    def _generated_error(self, what):
        return TypeError(f"{what} is not supported on {type(self).__name__}: its entries are "
                         f"generated from weight parameters, which only linear operations "
                         f"(-W, W * scalar, W / scalar, W1 + W2 on the same structure) can "
                         f"change. Convert first with .tocsr() (sparse) or .todense() (dense).")

    def _map_leaves(self, fn):
        return self._with_value_leaves(tuple(fn(leaf) for leaf in self._value_leaves()))

    def with_data(self, data: ArrayLike) -> Self:
        """Same structure, new stored values (per-entry or one homogeneous value).

        Examples
        --------
        >>> import jax.numpy as jnp, brainunit as u, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [0., 2.]]))
        >>> W.with_data(jnp.array([3., 4.]) * u.mS).todense()
        Quantity([[3. 0.]
                  [0. 4.]], "mS")
        """
        if not self._entries_stored:
            raise self._generated_error(f"{type(self).__name__}.with_data")
        E.check_values(self, data, op="with_data")
        mantissa, unit = _units.split(data)
        mantissa = jnp.asarray(mantissa)
        if mantissa.ndim == 0:
            mantissa = mantissa.reshape(1)
        return self._with_values(_units.attach_exact(mantissa, unit))

    def apply(self, fn: Callable[[Result], Result]) -> Self:
        """Map the stored values with ``fn`` (structure kept; zeros are not visited).

        Examples
        --------
        >>> import jax.numpy as jnp, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [0., -2.]]))
        >>> W.apply(lambda d: 2 * d ** 2).todense()
        Array([[2., 0.],
               [0., 8.]], dtype=float32)
        """
        if not self._entries_stored:
            raise self._generated_error(f"{type(self).__name__}.apply")
        return self._new_values(fn(self.data), op="apply")

    def apply2(self, other: ArrayLike | SparseMatrix, fn: Callable[[Result, Result], Result], *,
               reverse: bool = False) -> Self:
        """Combine the stored values with ``other``: ``fn(values, other_values)``.

        ``other`` is a scalar / Quantity / Unit, a dense array broadcasting to
        ``self.shape`` (gathered at the stored entries) or a matrix of the same
        structure.  ``reverse=True`` calls ``fn(other_values, values)``.

        Examples
        --------
        >>> import jax.numpy as jnp, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [0., 2.]]))
        >>> W.apply2(jnp.array([10., 20.]), jnp.maximum).todense()
        Array([[10.,  0.],
               [ 0., 20.]], dtype=float32)
        """
        if not self._entries_stored:
            raise self._generated_error(f"{type(self).__name__}.apply2")
        values = E.combine(self, other, fn, reverse=reverse, op="apply2")
        if values is NotImplemented:
            raise TypeError(f"{type(self).__name__}.apply2: cannot combine with "
                            f"{type(other).__name__}; pass a scalar, a Quantity, a dense array "
                            f"broadcasting to {self.shape} or a matrix of the same structure.")
        return self._new_values(values, op="apply2")

    def _new_values(self, values, *, op):
        E.check_values(self, values, op=op)
        return self._with_values(values)

    def astype(self, dtype: DTypeLike) -> Self:
        """The same matrix with values cast to the floating dtype ``dtype``.

        Examples
        --------
        >>> import jax.numpy as jnp, sparsecore as sc
        >>> sc.CSR.fromdense(jnp.eye(2)).astype(jnp.float16)
        CSR(float16[2, 2], nnz=2)
        """
        dtype = jnp.dtype(dtype)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise TypeError(f"{type(self).__name__}.astype: stored values must stay floating "
                            f"point, got dtype={dtype}; pick float16, bfloat16, float32 or "
                            f"float64.")
        return self._map_leaves(lambda leaf: leaf.astype(dtype))

    def copy(self) -> Self:
        """A copy with new buffers (matrices never mutate, so this is rarely needed)."""
        return jax.tree_util.tree_map(jnp.copy, self)

    def sum(self, axis: int | None = None) -> Result:
        """Sum of all entries (``axis=None``), of each column (0) or each row (1).

        Units are kept.  Equals ``self.todense().sum(axis)``.

        Examples
        --------
        >>> import jax.numpy as jnp, brainunit as u, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [2., 3.]]) * u.mS)
        >>> W.sum()
        Quantity(6., "mS")
        >>> W.sum(axis=1)
        Quantity([1. 5.], "mS")
        """
        if not self._entries_stored:
            return self.todense().sum(axis=axis)
        return E.matrix_sum(self, axis)

    # -- unary operators ---------------------------------------------------------------
    def __neg__(self):
        return self._map_leaves(operator.neg)

    def __pos__(self):
        return self

    def __abs__(self):
        if not self._entries_stored:
            raise self._generated_error("abs(W)")
        return self._with_values(abs(self.data))

    # -- binary operators -----------------------------------------------------------------
    def _binary(self, other, fn, op, *, reverse=False, kinds=("scalar", "dense", "matrix")):
        kind, operand = E.classify(other, self.shape)
        if kind is None:
            return NotImplemented
        if kind not in kinds:
            what = f"{type(other).__name__} {op} {type(self).__name__}" if reverse else \
                f"{type(self).__name__} {op} {type(other).__name__}"
            if kind == "matrix":
                raise TypeError(f"{what}: only +, -, * and / combine two matrices; use "
                                f".apply2(other, fn) for other functions of the stored values.")
            raise E.densifying_error(self, what)
        if not self._entries_stored:
            return self._binary_generated(operand, kind, fn, op, reverse=reverse)
        values = E.combine(self, other, fn, reverse=reverse, op=op)
        if values is NotImplemented:
            return values
        return self._new_values(values, op=op)

    def _binary_generated(self, other, kind, fn, op, *, reverse):
        what = f"W {op} {kind}"
        if kind == "scalar" and op in ("*", "/") and not (reverse and op == "/"):
            if reverse:
                return self._map_leaves(lambda leaf: fn(other, leaf))
            return self._map_leaves(lambda leaf: fn(leaf, other))
        if kind == "matrix" and op in ("+", "-") and not other._entries_stored:
            E.same_structure(self, other, op=op)
            a, b = (other, self) if reverse else (self, other)
            return self._with_value_leaves(tuple(
                fn(la, lb) for la, lb in zip(a._value_leaves(), b._value_leaves())))
        raise self._generated_error(what)

    def __mul__(self, other):
        return self._binary(other, operator.mul, "*")

    def __rmul__(self, other):
        return self._binary(other, operator.mul, "*", reverse=True)

    def __truediv__(self, other):
        return self._binary(other, operator.truediv, "/")

    def __rtruediv__(self, other):
        return self._binary(other, operator.truediv, "/", reverse=True, kinds=())

    def __floordiv__(self, other):
        return self._binary(other, operator.floordiv, "//", kinds=("scalar", "dense"))

    def __rfloordiv__(self, other):
        return self._binary(other, operator.floordiv, "//", reverse=True, kinds=())

    def __mod__(self, other):
        return self._binary(other, operator.mod, "%", kinds=("scalar", "dense"))

    def __rmod__(self, other):
        return self._binary(other, operator.mod, "%", reverse=True, kinds=())

    def __pow__(self, other):
        return self._binary(other, operator.pow, "**", kinds=("scalar",))

    def __rpow__(self, other):
        return self._binary(other, operator.pow, "**", reverse=True, kinds=())

    def __add__(self, other):
        return self._binary(other, operator.add, "+", kinds=("matrix",))

    def __radd__(self, other):
        return self._binary(other, operator.add, "+", reverse=True, kinds=("matrix",))

    def __sub__(self, other):
        return self._binary(other, operator.sub, "-", kinds=("matrix",))

    def __rsub__(self, other):
        return self._binary(other, operator.sub, "-", reverse=True, kinds=("matrix",))

    # -- comparisons: the result would be dense ---------------------------------------------
    __eq__, __ne__, __lt__, __le__, __gt__, __ge__ = (
        _refused_comparison(op) for op in ("==", "!=", "<", "<=", ">", ">="))
    __hash__ = None
