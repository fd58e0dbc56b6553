"""Functional generated-connectivity operations: ``jit{h,n,u}``, ``...mv``, ``...mm``, ``binary_...``.

Conventions (one family per weight distribution: ``h`` homogeneous, ``n``
normal, ``u`` uniform): the weight parameters come first, then ``prob``, the
operand (for products) and ``seed``; keywords ``shape`` (of the matrix
``M``), ``transpose`` (compute ``M.T @ x``), ``corder`` (True: ``M`` is the
row-generated ``R`` matrix, False: the column-generated ``C`` matrix of the
same shape) and ``backend``.  ``M`` is exactly the matrix of the
corresponding class (e.g. :class:`~sparsecore.JITCNormalR`), so the
functional and object forms agree entry for entry.  ``seed=None`` draws a new
seed on every call.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import _units
from ._jitc import jitc_class

__all__ = ["jith", "jithmv", "jithmm", "binary_jithmv", "binary_jithmm",
           "jitn", "jitnmv", "jitnmm", "binary_jitnmv", "binary_jitnmm",
           "jitu", "jitumv", "jitumm", "binary_jitumv", "binary_jitumm"]

_N_WEIGHTS = {"h": 1, "n": 2, "u": 2}
_DIST = {"h": "homo", "n": "normal", "u": "uniform"}


def _matrix(kind, weights, prob, seed, shape, transpose, corder, name):
    cls = jitc_class(_DIST[kind], corder)
    M = cls(tuple(weights) + (prob, seed), shape=shape)
    return M.transpose() if transpose else M


def _dense_fn(kind):
    n = _N_WEIGHTS[kind]
    name = f"jit{kind}"

    def op(*args, shape, transpose=False, corder=True):
        if len(args) != n + 2:
            raise TypeError(f"{name} takes {n} weight parameter(s), prob and seed; got "
                            f"{len(args)} positional arguments.")
        return _matrix(kind, args[:n], args[n], args[n + 1], shape, transpose, corder,
                       name).todense()
    op.__name__ = op.__qualname__ = name
    return op


def _product_fn(kind, event, ndim):
    n = _N_WEIGHTS[kind]
    name = f"{'binary_' if event else ''}jit{kind}{'mv' if ndim == 1 else 'mm'}"

    def op(*args, shape, transpose=False, corder=True, backend=None):
        if len(args) != n + 3:
            raise TypeError(f"{name} takes {n} weight parameter(s), prob, the operand and "
                            f"seed; got {len(args)} positional arguments.")
        weights, prob, operand, seed = args[:n], args[n], args[n + 1], args[n + 2]
        M = _matrix(kind, weights, prob, seed, shape, transpose, corder, name)
        mantissa, unit = _units.split(operand)
        mantissa = jnp.asarray(mantissa)
        if mantissa.ndim != ndim:
            other = name[:-2] + ("mm" if ndim == 1 else "mv")
            raise ValueError(f"{name}: the operand must be {ndim}-D, got shape "
                             f"{tuple(mantissa.shape)}; use {other} for {3 - ndim}-D operands.")
        if event:
            operand = mantissa if mantissa.dtype == np.bool_ else mantissa > 0
        return M.dot(operand, backend=backend)
    op.__name__ = op.__qualname__ = name
    return op


jith = _dense_fn("h")
jitn = _dense_fn("n")
jitu = _dense_fn("u")
jithmv, jitnmv, jitumv = (_product_fn(k, False, 1) for k in "hnu")
jithmm, jitnmm, jitumm = (_product_fn(k, False, 2) for k in "hnu")
binary_jithmv, binary_jitnmv, binary_jitumv = (_product_fn(k, True, 1) for k in "hnu")
binary_jithmm, binary_jitnmm, binary_jitumm = (_product_fn(k, True, 2) for k in "hnu")

_ARGS = {"h": "weight", "n": "w_loc, w_scale", "u": "w_low, w_high"}
_EX = {"h": "1.5", "n": "1.0, 0.1", "u": "0.5, 1.0"}

for _k in "hnu":
    globals()[f"jit{_k}"].__doc__ = f"""Dense matrix ``M`` (``M.T`` if ``transpose``) of generated connectivity.

    ``jit{_k}({_ARGS[_k]}, prob, seed, *, shape, transpose=False, corder=True)``;
    the matrix of :class:`~sparsecore.JITC{_DIST[_k].capitalize()}R` (``corder=True``)
    or ``...C`` of that shape.

    Examples
    --------
    >>> import sparsecore as sc
    >>> sc.jit{_k}({_EX[_k]}, 0.5, 42, shape=(3, 4)).shape
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

    ``{_name}({_ARGS[_k]}, prob, {_operand}, seed, *, shape, transpose=False,
    corder=True, backend=None)``.  ``M`` is the matrix of
    :class:`~sparsecore.JITC{_DIST[_k].capitalize()}R` (``corder=True``) or ``...C``
    (``corder=False``) of shape ``shape``, regenerated on the fly (O(1) memory
    per generated line).{' The operand marks events (True, or > 0): each active input adds the weights of its entries, inactive inputs are skipped; the result carries the unit of the weights.' if _ev else ' The result carries unit(weights) * unit(operand).'}

    Examples
    --------
    >>> import jax.numpy as jnp, sparsecore as sc
    >>> sc.{_name}({_EX[_k]}, 0.5, {_x}, 42, shape=(3, 4), backend="jax").shape
    {'(3,)' if _nd == 1 else '(3, 2)'}
    """
