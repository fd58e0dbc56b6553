"""The functional API: products over raw buffers, in the seeds' call forms.

Every function here validates its arguments under its own name, builds the
matrix object they describe (constructor-free, the buffers already checked)
and calls that matrix's product, so operand promotion, backend choice and
units are handled in one place, :meth:`sparsecore.SparseMatrix._matmul`.

* ``csrmv``, ``csrmm``, ``binary_csrmv``, ``binary_csrmm``: CSR buffers
  ``(data, indices, indptr)``.
* ``fcnmv``, ``fcnmm``, ``binary_fcnmv``, ``binary_fcnmm``: the
  FixedPostNumConn layout, ``indices`` of shape ``(shape[0], n_conn)`` holding
  column indices, row ``i`` storing ``A[i, indices[i, k]] = data[i, k]``.
* ``jit{h,n,u}`` and their products: generated connectivity, one family per
  weight distribution (``h`` homogeneous, ``n`` normal, ``u`` uniform).  The
  weight parameters come first, then ``prob``, the operand (for products) and
  ``seed``; keywords ``shape`` (of the matrix ``M``), ``transpose`` (compute
  ``M.T @ x``), ``corder`` (True: ``M`` is the row-generated ``R`` matrix,
  False: the column-generated ``C`` matrix of the same shape) and
  ``backend``.  ``M`` is exactly the matrix of the corresponding class (e.g.
  :class:`~sparsecore.JITCNormalR`), so the functional and object forms agree
  entry for entry.  ``seed=None`` draws a new seed on every call.

The ``binary_`` products are event-driven: entries of the operand that are
True (or > 0) are events, each adding the stored weights of its entries
without a multiply; the result carries ``unit(data)``.  The others carry
``unit(data) * unit(operand)``.
"""
from __future__ import annotations

import jax.numpy as jnp

from . import _units, _validation as V
from ._compressed import CSR
from ._fixed_num import FixedPostNumConn
from ._jitc import jitc_class
from ._typing import ArrayLike, Backend, Result, Shape
from .kernels._distributions import DISTRIBUTIONS

__all__ = ["csrmv", "csrmm", "binary_csrmv", "binary_csrmm",
           "fcnmv", "fcnmm", "binary_fcnmv", "binary_fcnmm",
           "jith", "jithmv", "jithmm", "binary_jithmv", "binary_jithmm",
           "jitn", "jitnmv", "jitnmm", "binary_jitnmv", "binary_jitnmm",
           "jitu", "jitumv", "jitumm", "binary_jitumv", "binary_jitumm"]


def _check_rank(name: str, operand, ndim: int):
    """The operand of ``name`` must be ``ndim``-D; the error names the sibling op."""
    shape = tuple(jnp.shape(_units.split(operand)[0]))
    if len(shape) != ndim:
        other = name[:-2].removeprefix("binary_") + ("mm" if ndim == 1 else "mv")
        raise ValueError(f"{name}: operand must be {ndim}-D, got shape {shape}; use {other} or "
                         f"binary_{other} for {3 - ndim}-D operands.")


def _product(matrix, operand, *, name: str, ndim: int, event: bool, transpose: bool,
             backend):
    """``matrix @ operand`` (``matrix.T @ operand``) through the matrix's one product path."""
    _check_rank(name, operand, ndim)
    if transpose:
        matrix = matrix.T
    return matrix._matmul(operand, reflected=False, backend=backend, event=event, where=name)


def _compressed_op(name: str, event: bool, ndim: int):
    def op(data: ArrayLike, indices: ArrayLike, indptr: ArrayLike, operand: ArrayLike, *,
           shape: Shape, transpose: bool = False, backend: Backend = None) -> Result:
        data_m, unit = _units.split(data)
        data_m, indices, indptr, shape = V.check_csr_arrays(data_m, indices, indptr, shape,
                                                            where=name)
        matrix = CSR.tree_unflatten((shape,), (_units.attach(data_m, unit), indices, indptr))
        return _product(matrix, operand, name=name, ndim=ndim, event=event,
                        transpose=transpose, backend=backend)
    op.__name__ = op.__qualname__ = name
    return op


def _fixed_op(name: str, event: bool, ndim: int):
    def op(data: ArrayLike, indices: ArrayLike, operand: ArrayLike, *, shape: Shape,
           transpose: bool = False, backend: Backend = None) -> Result:
        data_m, unit = _units.split(data)
        data_m, indices, shape = V.check_fcn_arrays(data_m, indices, shape, where=name)
        matrix = FixedPostNumConn.tree_unflatten((shape,), (_units.attach(data_m, unit),
                                                            indices))
        return _product(matrix, operand, name=name, ndim=ndim, event=event,
                        transpose=transpose, backend=backend)
    op.__name__ = op.__qualname__ = name
    return op

csrmv = _compressed_op("csrmv", event=False, ndim=1)
csrmv.__doc__ = """CSR matrix times dense vector: ``A @ v`` (``A.T @ v`` if ``transpose``).

Parameters
----------
data : array or Quantity
    One value per stored entry, shape ``(nnz,)``, or a scalar / shape-``(1,)``
    weight shared by all entries.
indices, indptr : integer arrays
    Column indices ``(nnz,)`` and row pointers ``(shape[0] + 1,)``.
operand : array or Quantity
    Shape ``(shape[1],)``, or ``(shape[0],)`` with ``transpose=True``.
shape : tuple of int
    ``(m, n)`` of the matrix ``A``.
transpose : bool
    Compute ``A.T @ v``.
backend : {None, "numba", "jax"}
    ``None`` picks numba on CPU and the pure-JAX reference elsewhere.

Returns
-------
array or Quantity
    Unit ``unit(data) * unit(operand)``.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices, indptr = jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])
>>> sc.csrmv(data, indices, indptr, jnp.array([1., 1., 1.]), shape=(2, 3))
Array([3., 3.], dtype=float32)
>>> sc.csrmv(data, indices, indptr, jnp.array([1., 1.]), shape=(2, 3), transpose=True)
Array([1., 3., 2.], dtype=float32)
"""

csrmm = _compressed_op("csrmm", event=False, ndim=2)
csrmm.__doc__ = """CSR matrix times dense matrix: ``A @ B`` (``A.T @ B`` if ``transpose``).

Same parameters as :func:`csrmv`, with ``operand`` of shape ``(shape[1], k)``
(``(shape[0], k)`` when transposed); the result has ``k`` columns.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices, indptr = jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])
>>> sc.csrmm(data, indices, indptr, jnp.ones((3, 2)), shape=(2, 3))
Array([[3., 3.],
       [3., 3.]], dtype=float32)
"""

binary_csrmv = _compressed_op("binary_csrmv", event=True, ndim=1)
binary_csrmv.__doc__ = """Event-driven ``A @ s`` (``A.T @ s`` if ``transpose``) for a spike vector.

``operand`` marks events: True entries of a bool array, entries > 0 of a
float array.  Each active input adds the stored weights of its entries; no
multiply.  With ``transpose=True`` only the rows of active inputs are visited,
so the cost is proportional to the active rows times their length.  The
result carries ``unit(data)``.  Other parameters as in :func:`csrmv`.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices, indptr = jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])
>>> sc.binary_csrmv(data, indices, indptr, jnp.array([True, False]), shape=(2, 3),
...                 transpose=True)
Array([1., 0., 2.], dtype=float32)
"""

binary_csrmm = _compressed_op("binary_csrmm", event=True, ndim=2)
binary_csrmm.__doc__ = """Event-driven ``A @ S`` for a matrix of spikes (one column per batch).

Same conventions as :func:`binary_csrmv`.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices, indptr = jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])
>>> sc.binary_csrmm(data, indices, indptr, jnp.array([[1., 0.], [0., 0.], [1., 1.]]),
...                 shape=(2, 3))
Array([[3., 2.],
       [0., 0.]], dtype=float32)
"""

fcnmv = _fixed_op("fcnmv", event=False, ndim=1)
fcnmv.__doc__ = """Fixed-number matrix times dense vector: ``A @ v`` (``A.T @ v`` if ``transpose``).

Parameters
----------
data : array or Quantity
    One value per stored entry, shape ``(shape[0], n_conn)``, or a scalar /
    shape-``(1,)`` weight shared by all entries.
indices : integer array
    Shape ``(shape[0], n_conn)``: row ``i`` stores ``A[i, indices[i, k]] =
    data[i, k]``.  Repeated columns in one row sum.
operand, shape, transpose, backend
    As in :func:`csrmv`.

Returns
-------
array or Quantity
    Unit ``unit(data) * unit(operand)``.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices = jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])
>>> sc.fcnmv(data, indices, jnp.array([1., 1., 1.]), shape=(2, 3))
Array([3., 7.], dtype=float32)
>>> sc.fcnmv(data, indices, jnp.array([1., 1.]), shape=(2, 3), transpose=True)
Array([1., 3., 6.], dtype=float32)
"""

fcnmm = _fixed_op("fcnmm", event=False, ndim=2)
fcnmm.__doc__ = """Fixed-number matrix times dense matrix: ``A @ B`` (``A.T @ B`` if ``transpose``).

Same parameters as :func:`fcnmv`, with ``operand`` of shape ``(shape[1], b)``
(``(shape[0], b)`` when transposed); the result has ``b`` columns.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices = jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])
>>> sc.fcnmm(data, indices, jnp.ones((3, 2)), shape=(2, 3))
Array([[3., 3.],
       [7., 7.]], dtype=float32)
"""

binary_fcnmv = _fixed_op("binary_fcnmv", event=True, ndim=1)
binary_fcnmv.__doc__ = """Event-driven ``A @ s`` (``A.T @ s`` if ``transpose``) for a spike vector.

``operand`` marks events: True entries of a bool array, entries > 0 of a
float array.  Each active input adds the stored weights of its entries; no
multiply.  ``A @ s`` tests the spikes while gathering each row;
``transpose=True`` (``s @ A``) visits the rows of active inputs only, so its
cost is active rows times ``n_conn``.  The result carries ``unit(data)``.
Other parameters as in :func:`fcnmv`.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices = jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])
>>> sc.binary_fcnmv(data, indices, jnp.array([True, False]), shape=(2, 3), transpose=True)
Array([1., 0., 2.], dtype=float32)
>>> sc.binary_fcnmv(1.5, indices, jnp.array([False, True, True]), shape=(2, 3))
Array([1.5, 3. ], dtype=float32)
"""

binary_fcnmm = _fixed_op("binary_fcnmm", event=True, ndim=2)
binary_fcnmm.__doc__ = """Event-driven ``A @ S`` for a matrix of spikes (one column per batch).

Same conventions as :func:`binary_fcnmv`.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> data, indices = jnp.array([[1., 2.], [3., 4.]]), jnp.array([[0, 2], [1, 2]])
>>> sc.binary_fcnmm(data, indices, jnp.array([[True, False], [False, False], [True, True]]),
...                 shape=(2, 3))
Array([[3., 2.],
       [4., 4.]], dtype=float32)
"""

_BY_LETTER = {d.letter: d for d in DISTRIBUTIONS.values()}


def _matrix(kind, weights, prob, seed, shape, transpose, corder):
    cls = jitc_class(_BY_LETTER[kind].name, corder)
    M = cls(tuple(weights) + (prob, seed), shape=shape)
    return M.transpose() if transpose else M


def _dense_fn(kind):
    n = len(_BY_LETTER[kind].params)
    name = f"jit{kind}"

    def op(*args, shape, transpose=False, corder=True):
        if len(args) != n + 2:
            raise TypeError(f"{name} takes {n} weight parameter(s), prob and seed; got "
                            f"{len(args)} positional arguments.")
        return _matrix(kind, args[:n], args[n], args[n + 1], shape, transpose, corder).todense()
    op.__name__ = op.__qualname__ = name
    return op


def _product_fn(kind, event, ndim):
    n = len(_BY_LETTER[kind].params)
    name = f"{'binary_' if event else ''}jit{kind}{'mv' if ndim == 1 else 'mm'}"

    def op(*args, shape, transpose=False, corder=True, backend=None):
        if len(args) != n + 3:
            raise TypeError(f"{name} takes {n} weight parameter(s), prob, the operand and "
                            f"seed; got {len(args)} positional arguments.")
        weights, prob, operand, seed = args[:n], args[n], args[n + 1], args[n + 2]
        M = _matrix(kind, weights, prob, seed, shape, False, corder)
        return _product(M, operand, name=name, ndim=ndim, event=event, transpose=transpose,
                        backend=backend)
    op.__name__ = op.__qualname__ = name
    return op


jith = _dense_fn("h")
jitn = _dense_fn("n")
jitu = _dense_fn("u")
jithmv, jitnmv, jitumv = (_product_fn(k, False, 1) for k in "hnu")
jithmm, jitnmm, jitumm = (_product_fn(k, False, 2) for k in "hnu")
binary_jithmv, binary_jitnmv, binary_jitumv = (_product_fn(k, True, 1) for k in "hnu")
binary_jithmm, binary_jitnmm, binary_jitumm = (_product_fn(k, True, 2) for k in "hnu")

for _k, _record in _BY_LETTER.items():
    _args, _title = ", ".join(_record.params), _record.title
    globals()[f"jit{_k}"].__doc__ = f"""Dense matrix ``M`` (``M.T`` if ``transpose``) of generated connectivity.

    ``jit{_k}({_args}, prob, seed, *, shape, transpose=False, corder=True)``;
    the matrix of :class:`~sparsecore.JITC{_title}R` (``corder=True``)
    or ``...C`` of that shape.

    Examples
    --------
    >>> import sparsecore as sc
    >>> sc.jit{_k}({_record.example}, 0.5, 42, shape=(3, 4)).shape
    (3, 4)
    """
    for _ev in (False, True):
        for _nd, _suffix in ((1, "mv"), (2, "mm")):
            _name = f"{'binary_' if _ev else ''}jit{_k}{_suffix}"
            _operand = "vector" if _nd == 1 else "matrix"
            _x = "jnp.ones(4)" if _nd == 1 else "jnp.ones((4, 2))"
            if _ev:
                _x = "jnp.ones(4, bool)" if _nd == 1 else "jnp.ones((4, 2), bool)"
            globals()[_name].__doc__ = f"""{'Event-driven ' if _ev else ''}``M @ {_operand}`` (``M.T @ {_operand}`` if ``transpose``), ``M`` generated.

    ``{_name}({_args}, prob, {_operand}, seed, *, shape, transpose=False,
    corder=True, backend=None)``.  ``M`` is the matrix of
    :class:`~sparsecore.JITC{_title}R` (``corder=True``) or ``...C``
    (``corder=False``) of shape ``shape``, regenerated on the fly (O(1) memory
    per generated line).{' The operand marks events (True, or > 0): each active input adds the weights of its entries, inactive inputs are skipped; the result carries the unit of the weights.' if _ev else ' The result carries unit(weights) * unit(operand).'}

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> sc.{_name}({_record.example}, 0.5, {_x}, 42, shape=(3, 4), backend="jax").shape
    {'(3,)' if _nd == 1 else '(3, 2)'}
    """
