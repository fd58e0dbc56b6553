"""Generated ("just-in-time") connectivity: the matrix is a function of a seed, never stored.

One class per orientation -- :class:`JITCR` (generated row by row) and
:class:`JITCC` (column by column) -- parameterised by a weight distribution
(``homo``, ``uniform``, ``normal``); the public classes ``JITCHomoR``,
``JITCNormalR``, ``JITCUniformR`` and their ``C`` twins only fix it.  Entry
``(i, j)`` exists independently with probability ``prob``; see
:mod:`sparsecore.kernels._prng` for the seed contract.  ``.T`` of an ``R``
matrix is the ``C`` matrix of the transposed shape over the same leaves.

Leaves: the weight parameters (differentiable, one unit), ``prob`` (float32)
and ``seed`` (uint32).  Every entry is linear in the weight parameters
(``w = loc + scale * z``), so ``-W``, ``W * s``, ``W / s`` and ``W1 + W2``
(same structure) scale or add the parameters and equal the same operation on
``todense()``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np

from . import _units, _validation as V
from ._base import SparseMatrix
from ._typing import Result
from .kernels import _prng
from .kernels._distributions import DISTRIBUTIONS, distribution
from .kernels.jitc import jitc_generate, jitc_product, line_geometry

if TYPE_CHECKING:  # imported where used, at run time
    from ._compressed import CSC, CSR

__all__ = ["JITCR", "JITCC", "JITCHomoR", "JITCHomoC", "JITCNormalR", "JITCNormalC",
           "JITCUniformR", "JITCUniformC", "jitc_class"]

_CLASSES: dict = {}


def jitc_class(dist: str, corder: bool):
    """The public class for weight distribution ``dist`` and orientation."""
    return _CLASSES[(dist, bool(corder))]


def _common_unit(values, names, where):
    """Mantissas of ``values`` in one unit (that of the first with a unit) and the unit."""
    unit = next((v.unit for v in values if isinstance(v, u.Quantity)), None)
    out = []
    for value, name in zip(values, names):
        if unit is None:
            mantissa = value
        elif isinstance(value, u.Quantity):
            if not value.unit.has_same_dim(unit):
                raise u.DimensionMismatchError(
                    f"{where}: {name} has unit {value.unit} but {names[0]} has {unit}; the "
                    f"weight parameters must share one physical dimension.")
            mantissa = value.to_decimal(unit)
        else:
            raise u.DimensionMismatchError(
                f"{where}: {name} has no unit but another weight parameter has {unit}; give "
                f"every weight parameter the same unit.")
        mantissa = V.as_values(mantissa, name=name, where=where)
        if mantissa.size != 1:
            raise ValueError(f"{where}: {name} must be a scalar (or shape (1,)), got shape "
                             f"{tuple(mantissa.shape)}.")
        out.append(jnp.reshape(mantissa, ()))
    dtype = jnp.result_type(*out)
    return [m.astype(dtype) for m in out], unit


def check_jitc_args(dist, weights, prob, seed, shape, *, where):
    """Validate user arguments; returns (weight mantissas, unit, prob, seed, shape)."""
    names = distribution(dist).params
    shape = V.check_shape(shape, where=where)
    if max(shape) >= _prng.MAX_LINE:
        raise ValueError(f"{where}: generated matrices support dimensions below "
                         f"{_prng.MAX_LINE}, got shape {shape}.")
    mantissas, unit = _common_unit(weights, names, where)
    prob_m, prob_unit = _units.split(prob)
    if prob_unit is not None:
        raise TypeError(f"{where}: prob must be a plain number in [0, 1], got a Quantity with "
                        f"unit {prob_unit}.")
    if isinstance(prob, (bool, np.bool_)):
        raise TypeError(f"{where}: prob must be a float in [0, 1], got bool {prob!r}.")
    prob_m = jnp.asarray(prob_m)
    if prob_m.size != 1 or not (jnp.issubdtype(prob_m.dtype, jnp.floating)
                                or jnp.issubdtype(prob_m.dtype, jnp.integer)):
        raise TypeError(f"{where}: prob must be one float in [0, 1], got {prob!r}.")
    prob_m = jnp.reshape(prob_m, ()).astype(jnp.float32)
    if V.is_concrete(prob_m) and not 0.0 <= float(prob_m) <= 1.0:
        raise ValueError(f"{where}: prob={float(prob_m)!r} is outside [0, 1]; it is the "
                         f"probability that each entry exists.")
    if V.is_concrete(*mantissas):
        distribution(dist).check([float(m) for m in mantissas], where)
    return mantissas, unit, prob_m, check_seed(seed, where=where), shape


def check_seed(seed, *, where):
    """A uint32 scalar seed; ``None`` draws one (once, here)."""
    if seed is None:
        return jnp.asarray(np.random.randint(0, 2 ** 32, dtype=np.uint64), dtype=jnp.uint32)
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{where}: seed must be an integer, got bool {seed!r}.")
    if isinstance(seed, (int, np.integer)):
        if not 0 <= int(seed) < 2 ** 32 and not -2 ** 31 <= int(seed) < 0:
            raise ValueError(f"{where}: seed={seed} does not fit in 32 bits; pass an integer in "
                             f"[0, 2**32).")
        return jnp.asarray(np.uint32(int(seed) % 2 ** 32))
    arr = jnp.asarray(seed)
    if not jnp.issubdtype(arr.dtype, jnp.integer) or arr.size != 1:
        raise TypeError(f"{where}: seed must be one integer (or None to draw one), got "
                        f"{seed!r}.")
    return jax.lax.convert_element_type(jnp.reshape(arr, ()), jnp.uint32)


class _JITC(SparseMatrix):
    _entries_stored = False
    _dist: str
    #: (first line, first position) when this object is one block of a sharded
    #: matrix (set inside the block's product only; never a stored attribute)
    _block_offset = None

    def __init__(self, args, *, shape):
        name = type(self).__name__
        names = distribution(self._dist).params
        if not isinstance(args, (tuple, list)) or len(args) != len(names) + 2:
            example = ", ".join(names + ("prob", "seed"))
            raise TypeError(f"{name} takes ({example}) and shape=, got {args!r}; e.g. "
                            f"{name}(({example}), shape=(m, n)).")
        weights, (prob, seed) = args[:-2], args[-2:]
        mantissas, unit, prob, seed, shape = check_jitc_args(self._dist, weights, prob, seed,
                                                             shape, where=name)
        self.shape = shape
        self._weights = tuple(_units.attach_exact(m, unit) for m in mantissas)
        self.prob = prob
        self.seed = seed

    # -- pytree ------------------------------------------------------------
    def tree_flatten(self):
        return self._weights + (self.prob, self.seed), (self.shape,)

    @classmethod
    def tree_unflatten(cls, aux, children):
        obj = object.__new__(cls)
        obj.shape, = aux
        obj._weights = tuple(children[:-2])
        obj.prob, obj.seed = children[-2:]
        return obj

    # -- hooks of generated matrices (see _base) ----------------------------
    def _value_leaves(self):
        return self._weights

    def _with_value_leaves(self, leaves):
        return type(self).tree_unflatten((self.shape,), tuple(leaves) + (self.prob, self.seed))

    def _structure_leaves(self):
        return (self.prob, self.seed)

    def __getattr__(self, item):
        record = DISTRIBUTIONS.get(getattr(type(self), "_dist", ""))
        names = record.params if record is not None else ()
        if item in names and "_weights" in self.__dict__:
            return self._weights[names.index(item)]
        raise AttributeError(f"{type(self).__name__} has no attribute {item!r}")

    @property
    def data(self):
        """The affine weight parameters ``[loc]`` or ``[loc, scale]`` (``w = loc + scale * z``)."""
        mantissas = [_units.split(w)[0] for w in self._weights]
        unit = _units.split(self._weights[0])[1]
        affine = distribution(self._dist).to_affine(mantissas)
        vector = jnp.stack([jnp.asarray(m) for m in affine])
        return _units.attach_exact(vector, unit)

    def with_data(self, data):
        """The same structure (seed, prob, shape) with new weight parameters.

        ``data`` is the weight of a homogeneous matrix, or the pair of
        parameters of the others: ``(w_loc, w_scale)``, ``(w_low, w_high)``;
        one unit for all (the same checks as the constructor).

        Examples
        --------
        >>> import jax.numpy as jnp, brainunit as u, sparsecore as sc
        >>> W = sc.JITCNormalR((1.0, 0.1, 0.5, 42), shape=(3, 4))
        >>> W2 = W.with_data((2.0, 0.2))                 # every entry doubles
        >>> bool(jnp.allclose(W2.todense(), 2 * W.todense()))
        True
        >>> sc.JITCHomoR((1.5, 0.5, 42), shape=(3, 4)).with_data(2.0 * u.mS)
        JITCHomoR(float32[3, 4] mS, prob=0.5, seed=42)
        """
        where = f"{type(self).__name__}.with_data"
        names = distribution(self._dist).params
        values = data
        if len(names) == 1 and not isinstance(data, (tuple, list)):
            values = (data,)
        if not isinstance(values, (tuple, list)) or len(values) != len(names):
            raise TypeError(f"{where}: pass {' and '.join(names)} "
                            f"{'as a pair ' if len(names) > 1 else ''}(the weight parameters of "
                            f"this matrix), got {data!r}.")
        mantissas, unit = _common_unit(tuple(values), names, where)
        if V.is_concrete(*mantissas):
            distribution(self._dist).check([float(m) for m in mantissas], where)
        return self._with_value_leaves(tuple(_units.attach_exact(m, unit) for m in mantissas))

    # -- structure ---------------------------------------------------------
    @property
    def nnz(self) -> int:
        raise TypeError(f"{type(self).__name__} does not store its entries, so their number is "
                        f"not known without generating the matrix; count them on purpose with "
                        f".count_nnz() (one pass over the matrix, eager).")

    def count_nnz(self) -> int:
        """Number of entries, generated and counted: one pass over the matrix (eager).

        Examples
        --------
        >>> import sparsecore as sc
        >>> sc.JITCHomoR((1.5, 0.5, 42), shape=(3, 4)).count_nnz()
        8
        """
        n_lines, line_len = self._line_shape()
        counts = jitc_product(jnp.ones((1,), jnp.float32), _prng.gap_scale(self.prob), self.seed,
                              jnp.ones((line_len,), jnp.float32), shape=(n_lines, line_len),
                              dist="homo", corder=True, transpose=False, event=False,
                              backend=None)
        return int(np.asarray(counts, dtype=np.int64).sum())

    def _line_shape(self):
        return line_geometry(self.shape, (self._axis == 0))

    def check(self):
        """This matrix, once ``prob`` is checked to lie in [0, 1]; works under ``jax.jit``.

        Construction checks a concrete ``prob``; a traced one outside [0, 1]
        (or NaN) generates no entries.  Under ``jax.jit``, ``check()`` makes
        such a call raise a ``jax.errors.JaxRuntimeError`` carrying the
        message (see :meth:`sparsecore.CSR.check`).

        Examples
        --------
        >>> import sparsecore as sc
        >>> W = sc.JITCHomoR((1.5, 0.5, 42), shape=(3, 4))
        >>> W.check() is W
        True
        """
        prob, = V.check_structure((("prob", self.prob, None, "prob"),),
                                  where=f"{type(self).__name__}.check")
        if prob is self.prob:  # concrete: checked now
            return self
        return type(self).tree_unflatten((self.shape,), self._weights + (prob, self.seed))

    def __repr__(self):
        dims = ", ".join(str(s) for s in self.shape)
        try:
            unit = self.unit
            suffix = f" {unit}" if unit is not None else ""
            extra = ""
            if V.is_concrete(self.prob, self.seed):
                extra = f", prob={float(self.prob):.6g}, seed={int(self.seed)}"
            return f"{type(self).__name__}({self.dtype.name}[{dims}]{suffix}{extra})"
        except Exception:  # leaves replaced by placeholders inside a transformation
            return f"{type(self).__name__}([{dims}])"

    def _dense_product(self, data, x, *, transpose, event, backend):
        return jitc_product(data, _prng.gap_scale(self.prob), self.seed, x, shape=self.shape,
                            dist=self._dist, corder=(self._axis == 0), transpose=transpose,
                            event=event, backend=backend, offset=self._block_offset)

    def _generate(self):
        data, unit = _units.split(self.data)
        mask, values = jitc_generate(jnp.asarray(data), _prng.gap_scale(self.prob).reshape(1),
                                     self.seed.reshape(1), shape=self.shape, dist=self._dist,
                                     corder=(self._axis == 0))
        return mask, values, unit

    def todense(self) -> Result:
        """Dense ``jax.Array`` (a Quantity when the weights carry units).

        Examples
        --------
        >>> import sparsecore as sc
        >>> W = sc.JITCHomoR((1.5, 0.5, 42), shape=(3, 4))
        >>> W.todense().shape
        (3, 4)
        """
        mask, values, unit = self._generate()
        return _units.attach(values, unit)

    def tocsr(self) -> CSR:
        """The same matrix as a :class:`~sparsecore.CSR` (eager: needs concrete leaves)."""
        from ._compressed import CSR
        mask, values, unit = self._generate()
        mask, values = np.asarray(mask), np.asarray(values)
        rows, cols = np.nonzero(mask)
        indptr = np.searchsorted(rows, np.arange(self.shape[0] + 1)).astype(np.int32)
        data = values[rows, cols]
        data = _units.attach(jnp.asarray(data), unit)
        return CSR((data, cols.astype(np.int32), indptr), shape=self.shape)

    def tocsc(self) -> CSC:
        """The same matrix as a :class:`~sparsecore.CSC` (eager)."""
        return self.tocsr().tocsc()


class JITCR(_JITC):
    """Base of the row-generated classes: row ``i`` depends only on (seed, i, prob)."""
    _axis = 0


class JITCC(_JITC):
    """Base of the column-generated classes: column ``j`` depends only on (seed, j, prob)."""
    _axis = 1


_DOC = """{what}, generated {by}: ``{name}(({args}, prob, seed), shape=(m, n))``.

Entry ``(i, j)`` exists independently with probability ``prob``; its weight is
{weight}.  The matrix is a pure function of ``(seed, shape, prob, {args})`` and
is never stored: every product regenerates it, with O(1) memory per {line}.
{keeps}  ``seed=None`` draws a seed once, here.  ``.T`` is the
``{other}`` matrix of the transposed shape over the same leaves.

Examples
--------
>>> import jax.numpy as jnp, sparsecore as sc
>>> W = sc.{name}(({example}, 0.5, 42), shape=(3, 4))
>>> W
{name}(float32[3, 4], prob=0.5, seed=42)
>>> W.T
{other}(float32[4, 3], prob=0.5, seed=42)
>>> [round(float(v), 3) for v in W @ jnp.ones(4)]   # row sums
{row_sums}
"""

# what the example prints (pinned by the seed contract)
_ROW_SUMS = {"JITCHomoR": [3.0, 4.5, 4.5],
             "JITCHomoC": [3.0, 6.0, 4.5],
             "JITCNormalR": [1.81, 2.728, 2.894],
             "JITCNormalC": [2.054, 3.334, 2.899],
             "JITCUniformR": [1.72, 2.193, 2.355],
             "JITCUniformC": [1.599, 3.133, 2.324]}


def _make_doc(name, dist, corder):
    record = distribution(dist)
    return _DOC.format(
        what=record.summary, by="row by row" if corder else "column by column", name=name,
        args=", ".join(record.params), weight=record.weight, line="row" if corder else "column",
        keeps=("Row ``i`` depends only on (seed, i, prob): a taller matrix keeps its "
               "first rows." if corder else "Column ``j`` depends only on (seed, j, prob): a "
               "wider matrix keeps its first columns."),
        other=name[:-1] + ("C" if corder else "R"), example=record.example,
        row_sums=_ROW_SUMS[name])


def _public(dist, base):
    name = f"JITC{distribution(dist).title}{'R' if (base._axis == 0) else 'C'}"
    cls = type(name, (base,), {"_dist": dist, "__module__": __name__,
                               "__doc__": _make_doc(name, dist, (base._axis == 0))})
    _CLASSES[(dist, (base._axis == 0))] = cls
    return cls


JITCHomoR, JITCHomoC = _public("homo", JITCR), _public("homo", JITCC)
JITCNormalR, JITCNormalC = _public("normal", JITCR), _public("normal", JITCC)
JITCUniformR, JITCUniformC = _public("uniform", JITCR), _public("uniform", JITCC)
for (_dist, _rows), _cls in _CLASSES.items():
    _cls._twin = _CLASSES[(_dist, not _rows)]
