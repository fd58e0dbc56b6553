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
  ``seed`` (by position or keyword; None draws one per call, so per trace
  under jit); keywords ``shape`` (of the matrix ``M``), ``transpose``
  (compute ``M.T @ x``), ``corder`` (a kernel layout order in the seeds' API;
  accepted, never changes ``M``) and ``backend``.  ``M`` is exactly the
  matrix of the row-generated class (e.g. :class:`~sparsecore.JITCNormalR`),
  so the functional and object forms agree entry for entry; the column-
  generated ``C`` class of shape ``(m, n)`` is ``R(shape=(n, m)).T``, a
  different matrix.

Signatures (names, order, keywords, defaults) are brainevent's.  The
``binary_`` products are event-driven: entries of the operand that are True
(or > 0) are events, each adding the stored weights of its entries without a
multiply; the result carries ``unit(data)``.  A float operand differentiates
as in the float product (straight through); a bool one carries no gradient.
The others carry ``unit(data) * unit(operand)``.
"""
from __future__ import annotations

import inspect

import jax.numpy as jnp
import numpy as np

from . import _units, _validation as V
from ._compressed import CSR
from ._fixed_num import FixedPostNumConn
from ._jitc import jitc_class
from .kernels._distributions import DISTRIBUTIONS
from .kernels._primitive import resolve_backend

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


#: annotations of the keywords (names of the aliases in :mod:`sparsecore._typing`)
_KEYWORD_TYPES = {"shape": "Shape", "transpose": "bool", "corder": "bool",
                  "backend": "Backend"}


def _signature(positional, keywords):
    """``inspect.Signature`` of ``positional`` names (a ``(name, default)`` pair has a
    default) and keyword-only ``(name, default)`` pairs (``_REQUIRED``: no default).

    Annotated as the hand-written functions are (``ArrayLike`` arguments, a
    ``Result``), by the alias names of :mod:`sparsecore._typing`.
    """
    P = inspect.Parameter
    params = []
    for item in positional:
        name, default = item if isinstance(item, tuple) else (item, P.empty)
        params.append(P(name, P.POSITIONAL_OR_KEYWORD, default=default,
                        annotation="ArrayLike"))
    for name, default in keywords:
        params.append(P(name, P.KEYWORD_ONLY, annotation=_KEYWORD_TYPES[name],
                        default=P.empty if default is _REQUIRED else default))
    return inspect.Signature(params, return_annotation="Result")


_REQUIRED = object()


def _with_signature(name: str, signature: inspect.Signature, body):
    """A function ``name`` with the real ``signature``: ``body(**arguments)``."""
    def op(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{name}{signature}: {err}") from None
        bound.apply_defaults()
        return body(**bound.arguments)
    op.__name__ = op.__qualname__ = name
    op.__signature__ = signature
    return op


def _compressed_op(name: str, event: bool, ndim: int):
    operand_name = "v" if ndim == 1 else "B"
    signature = _signature(("data", "indices", "indptr", operand_name),
                           (("shape", _REQUIRED), ("transpose", False), ("backend", None)))

    def body(data, indices, indptr, shape, transpose, backend, **operand):
        data_m, unit = _units.split(data)
        data_m, indices, indptr, shape = V.check_csr_arrays(data_m, indices, indptr, shape,
                                                            where=name)
        matrix = CSR.tree_unflatten((shape,), (_units.attach(data_m, unit), indices, indptr))
        return _product(matrix, operand[operand_name], name=name, ndim=ndim, event=event,
                        transpose=transpose, backend=backend)
    return _with_signature(name, signature, body)


def _fixed_op(name: str, event: bool, ndim: int):
    operand_name = ("spikes" if event else "vector") if ndim == 1 else "matrix"
    signature = _signature(("weights", "indices", operand_name),
                           (("shape", _REQUIRED), ("transpose", False), ("backend", None)))

    def body(weights, indices, shape, transpose, backend, **operand):
        data_m, unit = _units.split(weights)
        data_m, indices, shape = V.check_fcn_arrays(data_m, indices, shape, where=name)
        matrix = FixedPostNumConn.tree_unflatten((shape,), (_units.attach(data_m, unit),
                                                            indices))
        return _product(matrix, operand[operand_name], name=name, ndim=ndim, event=event,
                        transpose=transpose, backend=backend)
    return _with_signature(name, signature, body)

csrmv = _compressed_op("csrmv", event=False, ndim=1)
csrmv.__doc__ = """CSR matrix times dense vector: ``A @ v`` (``A.T @ v`` if ``transpose``).

Parameters
----------
data : array or Quantity
    One value per stored entry, shape ``(nnz,)``, or a scalar / shape-``(1,)``
    weight shared by all entries.
indices, indptr : integer arrays
    Column indices ``(nnz,)`` and row pointers ``(shape[0] + 1,)``.
v : array or Quantity
    Shape ``(shape[1],)``, or ``(shape[0],)`` with ``transpose=True``.
shape : tuple of int
    ``(m, n)`` of the matrix ``A``.
transpose : bool
    Compute ``A.T @ v``.
backend : {None, "numba", "pallas", "jax"}
    ``None`` picks numba on CPU, Pallas on a GPU and the pure-JAX reference
    elsewhere; ``"pallas"`` on a CPU runs the GPU kernels in interpret mode.

Returns
-------
array or Quantity
    Unit ``unit(data) * unit(v)``.

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

Same parameters as :func:`csrmv`, with ``B`` of shape ``(shape[1], k)``
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

``v`` marks events: True entries of a bool array, entries > 0 of a float
array.  Each active input adds the stored weights of its entries; no
multiply.  A float ``v`` differentiates as in :func:`csrmv` (straight
through: the gradient of the float product); a bool ``v`` has none.  With
``transpose=True`` only the rows of active inputs are visited,
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
weights : array or Quantity
    One value per stored entry, shape ``(shape[0], n_conn)``, or a scalar /
    shape-``(1,)`` weight shared by all entries.
indices : integer array
    Shape ``(shape[0], n_conn)``: row ``i`` stores ``A[i, indices[i, k]] =
    data[i, k]``.  Repeated columns in one row sum.
vector : array or Quantity
    Shape ``(shape[1],)``, or ``(shape[0],)`` with ``transpose=True``.
shape, transpose, backend
    As in :func:`csrmv`.

Returns
-------
array or Quantity
    Unit ``unit(weights) * unit(vector)``.

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

Same parameters as :func:`fcnmv`, with ``matrix`` of shape ``(shape[1], b)``
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

``spikes`` marks events: True entries of a bool array, entries > 0 of a
float array.  Each active input adds the stored weights of its entries; no
multiply; a float ``spikes`` differentiates straight through (as the float
product), a bool one not at all.  ``A @ s`` tests the spikes while gathering each row;
``transpose=True`` (``s @ A``) visits the rows of active inputs only, so its
cost is active rows times ``n_conn``.  The result carries ``unit(weights)``.
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


def _matrix(kind, weights, prob, seed, shape, corder, *, where):
    """The matrix ``M`` of the functional API: always the row-generated class.

    ``corder`` is the layout order that selects a kernel in the seeds' API; it
    never changes ``M`` (a function of seed, shape, prob and the weights).
    """
    if not isinstance(corder, (bool, np.bool_)):
        raise TypeError(f"{where}: corder must be True or False, got {corder!r}.")
    return jitc_class(_BY_LETTER[kind].name, True)(tuple(weights) + (prob, seed), shape=shape)


def _jit_keywords():
    return (("shape", _REQUIRED), ("transpose", False), ("corder", True), ("backend", None))


def _dense_fn(kind):
    params = _BY_LETTER[kind].params
    name = f"jit{kind}"
    signature = _signature(params + ("prob", "seed"), _jit_keywords())

    def body(prob, seed, shape, transpose, corder, backend, **weights):
        resolve_backend(backend, op=name)  # checked; the dense matrix is generated in JAX
        M = _matrix(kind, [weights[p] for p in params], prob, seed, shape, corder, where=name)
        return (M.T if transpose else M).todense()
    return _with_signature(name, signature, body)


def _product_fn(kind, event, ndim):
    params = _BY_LETTER[kind].params
    name = f"{'binary_' if event else ''}jit{kind}{'mv' if ndim == 1 else 'mm'}"
    operand_name = "vector" if ndim == 1 else "B"
    signature = _signature(params + ("prob", operand_name, ("seed", None)), _jit_keywords())

    def body(prob, seed, shape, transpose, corder, backend, **rest):
        M = _matrix(kind, [rest[p] for p in params], prob, seed, shape, corder, where=name)
        return _product(M, rest[operand_name], name=name, ndim=ndim, event=event,
                        transpose=transpose, backend=backend)
    return _with_signature(name, signature, body)


jith = _dense_fn("h")
jitn = _dense_fn("n")
jitu = _dense_fn("u")
jithmv, jitnmv, jitumv = (_product_fn(k, False, 1) for k in "hnu")
jithmm, jitnmm, jitumm = (_product_fn(k, False, 2) for k in "hnu")
binary_jithmv, binary_jitnmv, binary_jitumv = (_product_fn(k, True, 1) for k in "hnu")
binary_jithmm, binary_jitnmm, binary_jitumm = (_product_fn(k, True, 2) for k in "hnu")

_EVENT_NOTE = """The operand marks events (True, or > 0): each active input adds the
    weights of its entries, inactive inputs are skipped; the result carries the
    unit of the weights.  A float operand differentiates straight through (as
    the float product); a bool one has no gradient."""
_FLOAT_NOTE = "The result carries unit(weights) * unit(operand)."

for _k, _record in _BY_LETTER.items():
    _args, _title = ", ".join(_record.params), _record.title
    globals()[f"jit{_k}"].__doc__ = f"""Dense matrix ``M`` (``M.T`` if ``transpose``) of generated connectivity.

    ``jit{_k}({_args}, prob, seed, *, shape, transpose=False, corder=True,
    backend=None)``: the matrix of :class:`~sparsecore.JITC{_title}R` of that
    shape, for either ``corder`` (a kernel layout order in the products; it
    never changes the matrix).  ``seed`` may be None: one is drawn per call
    (per trace under ``jax.jit``).  ``backend`` is checked; the dense matrix
    is generated by the pure-JAX generator on every backend.

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
            _param = "vector" if _nd == 1 else "B"
            _x = "jnp.ones(4)" if _nd == 1 else "jnp.ones((4, 2))"
            if _ev:
                _x = "jnp.ones(4, bool)" if _nd == 1 else "jnp.ones((4, 2), bool)"
            globals()[_name].__doc__ = f"""{'Event-driven ' if _ev else ''}``M @ {_operand}`` (``M.T @ {_operand}`` if ``transpose``), ``M`` generated.

    ``{_name}({_args}, prob, {_param}, seed=None, *, shape, transpose=False,
    corder=True, backend=None)``.  ``M`` is the matrix of
    :class:`~sparsecore.JITC{_title}R` of shape ``shape``, regenerated on the
    fly (O(1) memory per generated line); ``seed`` is accepted by position or
    keyword, and None draws one per call (per trace under ``jax.jit``).
    ``corder`` is the seeds' kernel layout order: accepted, and the matrix
    never depends on it (sparsecore's kernel is chosen by ``transpose``).
    {_EVENT_NOTE if _ev else _FLOAT_NOTE}

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> sc.{_name}({_record.example}, 0.5, {_x}, 42, shape=(3, 4), backend="jax").shape
    {'(3,)' if _nd == 1 else '(3, 2)'}
    """
