"""Fixed fan-out and fixed fan-in connectivity: ``FixedPostNumConn``, ``FixedPreNumConn``.

A FixedPreNumConn of shape ``(m, n)`` is, buffer for buffer, the
FixedPostNumConn of its transpose (shape ``(n, m)``): both store an
``(N, n_conn)`` table of partner indices, one row per neuron whose number of
connections is fixed.  ``_FixedNum`` works on that row view; the only
orientation is the base class's ``_axis``.  ``.T`` swaps the class over the same
buffers.
"""
from __future__ import annotations

import functools
from typing import Self

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from . import _units, _validation as V
from ._base import SparseMatrix
from ._plasticity_methods import FixedNumPlasticity
from ._compressed import CSC, CSR, transposed_event_product
from ._random_partners import random_partners
from ._typing import ArrayLike, Result, Shape
from .kernels.fixed_num import fcn_product

__all__ = ["FixedPostNumConn", "FixedPreNumConn", "FixedNumPerPre", "FixedNumPerPost"]


def _entry_coords(indices, *, transpose):
    """``(rows, cols)`` of every entry: the owner line of each, and its partner."""
    owners = jnp.broadcast_to(jnp.arange(indices.shape[0],
                                         dtype=V.index_dtype_for(indices.shape[0]))[:, None],
                              indices.shape)
    return (indices, owners) if transpose else (owners, indices)


@functools.partial(jax.jit, static_argnames=("shape", "transpose"))  # eagerly: one program
def _scatter_dense(data, indices, *, shape, transpose):
    """The dense ``shape`` matrix of the entries (``data`` per entry, or one weight)."""
    rows, cols = _entry_coords(indices, transpose=transpose)
    values = jnp.broadcast_to(data if data.ndim == 2 else data.reshape(()), indices.shape)
    return jnp.zeros(shape, data.dtype).at[rows, cols].add(values)


def _homogeneous(data):
    """Shape-() homogeneous values become shape (1,) (units kept)."""
    mantissa, unit = _units.split(data)
    if jnp.ndim(mantissa) == 0:
        mantissa = jnp.reshape(jnp.asarray(mantissa), (1,))
        return _units.attach(mantissa, unit)
    return data


class _FixedNum(FixedNumPlasticity, SparseMatrix):
    _leaf_names = ("data", "indices")
    _optional_leaves = ("_column_index",)
    _per: str  # what one row of ``indices`` belongs to, for messages

    def __init__(self, args: tuple[ArrayLike, ArrayLike], *, shape: Shape):
        name = type(self).__name__
        if not isinstance(args, (tuple, list)) or len(args) != 2:
            raise TypeError(f"{name} takes (data, indices) and shape=, got "
                            f"{type(args).__name__}; e.g. {name}((data, indices), "
                            f"shape=(n_pre, n_post)).")
        data, indices = args
        shape = V.check_shape(shape, where=name)
        data_m, unit = _units.split(data)
        data_m, indices, _ = V.check_fcn_arrays(data_m, indices, self._line_view(shape), where=name,
                                              per=self._per)
        self.shape = shape
        self.data = _units.attach(data_m, unit)
        self.indices = indices

    # -- structure ---------------------------------------------------------
    @property
    def n_conn(self) -> int:
        """Number of stored entries per row (FixedPostNumConn) or column (FixedPreNumConn)."""
        return self.indices.shape[1]

    @property
    def nnz(self) -> int:
        return self.indices.shape[0] * self.indices.shape[1]

    def _structure_leaves(self):
        return (self.indices,)

    def check(self):
        """This matrix, once every index is checked to be in bounds; works under ``jax.jit``.

        Under ``jax.jit`` (where construction cannot scan the values) a bad
        index makes the compiled call raise a ``jax.errors.JaxRuntimeError``
        carrying the :class:`~sparsecore.SparseFormatError` message; an
        attached column index is checked too.  Use the matrix it returns; see
        :meth:`sparsecore.CSR.check`.

        Examples
        --------
        >>> import jax.numpy as jnp, sparsecore as sc
        >>> W = sc.FixedPostNumConn((jnp.ones((2, 1)), jnp.array([[0], [2]])), shape=(2, 3))
        >>> W.check() is W
        True
        """
        checks = (("bounds", self.indices, self._view_shape[1], "indices"),)
        indices, *mirror = V.check_structure(checks + self._column_index_checks(),
                                             where=f"{type(self).__name__}.check")
        if indices is self.indices:  # concrete: checked now
            return self
        obj = type(self).tree_unflatten((self.shape,), (self.data, indices))
        obj._column_index = self._checked_column_index(mirror)
        return obj

    def _entries_shape(self):
        return tuple(self.indices.shape)

    def _entry_coords(self):
        return _entry_coords(self.indices, transpose=self._axis == 1)

    def _with_values(self, data):
        obj = type(self).tree_unflatten((self.shape,), (_homogeneous(data), self.indices))
        obj._column_index = self._column_index  # same structure: the index still holds
        return obj

    def _dense_product(self, data, x, *, transpose, event, backend):
        if data.ndim == 0:
            data = data.reshape(1)
        gather = transpose == (self._axis == 1)
        if event and gather and self._column_index is not None:
            return transposed_event_product(data.reshape(-1), self._column_index, x,
                                            self._view_shape, backend=backend)
        return fcn_product(data, self.indices, x, shape=self._view_shape,
                           transpose=transpose != (self._axis == 1), event=event,
                           backend=backend)

    # -- conversion --------------------------------------------------------
    def todense(self) -> Result:
        """Dense ``jax.Array`` (a Quantity when the values carry units)."""
        data, unit = _units.split(self.data)
        return _units.attach(_scatter_dense(jnp.asarray(data), self.indices, shape=self.shape,
                                            transpose=self._axis == 1), unit)

    def _compressed(self):
        """The CSR (FixedPostNumConn) or CSC (FixedPreNumConn) over the ravelled buffers."""
        data, unit = _units.split(self.data)
        data = jnp.asarray(data)
        n_rows, n_conn = self.indices.shape
        indptr = jnp.arange(n_rows + 1, dtype=V.index_dtype_for(n_rows * n_conn)) * n_conn
        values = data.reshape(-1) if data.ndim == 2 else data.reshape(1)
        if unit is not None:
            values = _units.attach(values, unit)
        cls = CSR if self._axis == 0 else CSC
        return cls.tree_unflatten((self.shape,), (values, self.indices.reshape(-1), indptr))

    def tocsr(self) -> CSR:
        """The same matrix as a :class:`CSR` (repeated entries are kept; they sum)."""
        return self._compressed().tocsr()

    def tocsc(self) -> CSC:
        """The same matrix as a :class:`CSC` (repeated entries are kept; they sum)."""
        return self._compressed().tocsc()

    def to_scipy(self, format: str = "csr") -> sp.sparray:
        """A ``scipy.sparse`` array in ``format`` ("csr", "csc" or "coo")."""
        return self._compressed().to_scipy(format)

    @classmethod
    def from_scipy(cls, matrix: sp.sparray | sp.spmatrix) -> Self:
        """From a scipy.sparse array or matrix whose rows (columns) all hold ``n_conn`` entries.

        Explicitly stored zeros count as entries.
        """
        name = cls.__name__
        if not sp.issparse(matrix):
            raise TypeError(f"{name}.from_scipy expects a scipy.sparse array or matrix, got "
                            f"{type(matrix).__name__}; use fromdense for dense arrays.")
        view = sp.csr_array(matrix) if cls._axis == 0 else sp.csc_array(matrix)
        counts = np.diff(view.indptr)
        n_conn = _common_count(counts, cls, "from_scipy")
        n = counts.shape[0]
        indices = view.indices.reshape(n, n_conn)
        data = np.asarray(view.data).reshape(n, n_conn)
        if not np.issubdtype(data.dtype, np.floating):
            data = data.astype(np.float64 if jax.config.jax_enable_x64 else np.float32)
        return cls((data, indices), shape=tuple(matrix.shape))

    @classmethod
    def fromdense(cls, x: ArrayLike, *, n_conn: int | None = None) -> Self:
        """Matrix holding the nonzeros of dense ``x``; every row (column) needs the same count.

        With a static ``n_conn`` this also works under ``jax.jit``: each row
        (column) keeps its first ``n_conn`` nonzeros and is padded with
        explicit zeros if it has fewer.  With concrete values a row (column)
        holding more than ``n_conn`` nonzeros is an error.
        """
        name = cls.__name__
        view, mantissa, unit = cls._dense_lines(x, op="fromdense")
        concrete = V.is_concrete(view)
        if n_conn is None:
            if not concrete:
                raise ValueError(f"{name}.fromdense under jit needs a static n_conn=; the number "
                                 f"of nonzeros per {cls._per.split()[0]} must be known when "
                                 f"tracing.")
            n_conn = _common_count(np.count_nonzero(np.asarray(view), axis=1), cls, "fromdense")
        elif concrete:
            most = int(np.count_nonzero(np.asarray(view), axis=1).max(initial=0))
            if most > n_conn:
                raise ValueError(f"{name}.fromdense: n_conn={n_conn} but a "
                                 f"{cls._per.split()[0]} holds {most} nonzeros; pass "
                                 f"n_conn >= {most} (shorter ones are padded with zeros).")
        if n_conn > view.shape[1]:
            raise ValueError(f"{name}.fromdense: n_conn={n_conn} exceeds the {view.shape[1]} "
                             f"candidates per {cls._per.split()[0]}.")
        # nonzeros first, in column order (a stable sort of the zero mask)
        cols = jnp.argsort(view == 0, axis=1, stable=True)[:, :n_conn].astype(jnp.int32)
        values = jnp.take_along_axis(view, cols, axis=1)
        if not jnp.issubdtype(values.dtype, jnp.floating):
            values = values.astype(jnp.result_type(float))
        values = _units.attach(values, unit)
        return cls((values, cols), shape=tuple(mantissa.shape))

    @classmethod
    def random(cls, n_pre: int, n_post: int, n_conn: int, *, weight: ArrayLike = 1.0,
               seed: int | np.random.Generator | None = None, allow_self: bool = True) -> Self:
        """Random connectivity with exactly ``n_conn`` distinct partners per neuron.

        Partners are drawn uniformly among the candidates, without
        replacement, vectorised over all neurons (no Python loop per neuron),
        and sorted within each row of ``indices``.

        Parameters
        ----------
        n_pre, n_post : int
            Matrix shape ``(n_pre, n_post)``.
        n_conn : int
            Number of partners per presynaptic neuron (FixedPostNumConn, fan-out)
            or per postsynaptic neuron (FixedPreNumConn, fan-in).
        weight : float, array or Quantity
            A scalar (stored once: homogeneous) or an array of shape
            ``(N, n_conn)`` with one value per connection.
        seed : int, numpy Generator or None
            The same seed gives the same matrix.  ``None`` draws fresh entropy.
        allow_self : bool
            If False, neuron ``i`` never connects to neuron ``i`` (pre and post
            index the same population).
        """
        name = f"{cls.__name__}.random"
        n_pre, n_post = V.check_shape((n_pre, n_post), where=name)
        n_rows, n_targets = cls._line_view((n_pre, n_post))
        indices = random_partners(n_rows, n_targets, n_conn, seed=seed, allow_self=allow_self,
                                  where=name)
        data, unit = _units.split(weight)
        data = V.as_values(data, name="weight", where=name)
        if data.ndim != 0 and tuple(data.shape) not in ((1,), indices.shape):
            raise ValueError(f"{name}: weight must be a scalar or have shape {indices.shape} "
                             f"(one value per connection), got shape {tuple(data.shape)}.")
        if data.ndim == 0:
            data = data.reshape(1)
        data = _units.attach(data, unit)
        # indices are valid by construction: skip the constructor's bounds scan
        return cls.tree_unflatten(((n_pre, n_post),), (data, jnp.asarray(indices)))


def _common_count(counts, cls, op):
    """The one number of entries all rows (columns) share, or a clear error."""
    counts = np.asarray(counts)
    if counts.size == 0:
        return 0
    lo, hi = int(counts.min()), int(counts.max())
    if lo != hi:
        what = cls._per.split()[0]
        first = int(np.argmax(counts != counts[0]))
        raise ValueError(f"{cls.__name__}.{op}: every {what} must hold the same number of "
                         f"entries, but the counts range from {lo} to {hi} ({what} 0 has "
                         f"{int(counts[0])}, {what} {first} has {int(counts[first])}); use "
                         f"CSR/CSC for irregular connectivity, or fromdense(..., n_conn=...) "
                         f"to pad with zeros.")
    return lo


class FixedPostNumConn(_FixedNum):
    """Fixed fan-out: every presynaptic neuron (row) connects to ``n_conn`` targets.

    ``FixedPostNumConn((data, indices), shape=(n_pre, n_post))`` stores
    ``W[i, indices[i, k]] = data[i, k]``; ``indices`` has shape
    ``(n_pre, n_conn)`` and ``data`` is ``(n_pre, n_conn)`` or a scalar /
    shape-``(1,)`` weight shared by all entries.  Both are pytree leaves.
    Repeated targets in one row sum.  ``spikes @ W`` visits the rows of active
    neurons only; ``W @ spikes`` tests the spikes while gathering, or, with
    :meth:`with_column_index`, visits the active columns only.  ``.T`` is a
    :class:`FixedPreNumConn` over the same arrays.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> W = sc.FixedPostNumConn((jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])),
    ...                         shape=(2, 3))
    >>> W
    FixedPostNumConn(float32[2, 3], nnz=4)
    >>> jnp.array([True, False]) @ W
    Array([1., 0., 2.], dtype=float32)
    >>> W @ jnp.ones(3)
    Array([3., 7.], dtype=float32)
    >>> W.T
    FixedPreNumConn(float32[3, 2], nnz=4)
    >>> sc.FixedPostNumConn.random(1000, 1000, 10, weight=0.5, seed=0, allow_self=False).n_conn
    10
    """
    _axis = 0
    _per = "row (presynaptic neuron)"


class FixedPreNumConn(_FixedNum):
    """Fixed fan-in: every postsynaptic neuron (column) receives ``n_conn`` sources.

    ``FixedPreNumConn((data, indices), shape=(n_pre, n_post))`` stores
    ``W[indices[j, k], j] = data[j, k]``; ``indices`` has shape
    ``(n_post, n_conn)``.  ``W @ spikes`` visits the columns of active inputs
    only; ``spikes @ W`` tests the spikes while gathering (with
    :meth:`with_column_index`: visits the rows of active inputs only).  ``.T`` is a
    :class:`FixedPostNumConn` over the same arrays.

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> W = sc.FixedPreNumConn((jnp.array([[1., 2.]]), jnp.array([[0, 2]])), shape=(3, 1))
    >>> W.todense()
    Array([[1.],
           [0.],
           [2.]], dtype=float32)
    >>> jnp.array([True, True, False]) @ W
    Array([1.], dtype=float32)
    """
    _axis = 1
    _per = "column (postsynaptic neuron)"


FixedPostNumConn._twin, FixedPreNumConn._twin = FixedPreNumConn, FixedPostNumConn

# brainevent 0.2+'s names: a fixed number of connections per pre- / postsynaptic neuron
FixedNumPerPre = FixedPostNumConn
FixedNumPerPost = FixedPreNumConn
