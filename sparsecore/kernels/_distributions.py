"""The weight distributions of generated connectivity: one record each.

Everything that differs between distributions outside the sampling functions
(:func:`sparsecore.kernels._prng.z_from_bits` in JAX, ``_z`` in the numba
kernels) is a field of :class:`Distribution`: the static ``dist`` parameter of
the primitives, the numba flag, the names of the user's weight parameters,
their mapping to the affine form ``w = loc + scale * z`` the kernels take,
their constraints and the words the docstrings use.  A new distribution is
one more row of :data:`DISTRIBUTIONS` plus its sampling function.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Distribution", "DISTRIBUTIONS", "distribution"]


def _no_constraint(values, where):
    return None


def _scale_non_negative(values, where):
    if values[1] < 0:
        raise ValueError(f"{where}: w_scale={values[1]!r} is negative; the standard deviation "
                         f"must be >= 0.")


def _low_below_high(values, where):
    if values[0] > values[1]:
        raise ValueError(f"{where}: w_low={values[0]!r} > w_high={values[1]!r}; pass "
                         f"w_low <= w_high.")


@dataclass(frozen=True)
class Distribution:
    """One weight distribution of generated connectivity.

    Attributes
    ----------
    name : str
        The static ``dist`` parameter of the primitives.
    code : int
        The flag of the numba kernels (``0`` means no standardised weight).
    letter : str
        The letter of the functional API (``jit{letter}mv``).
    title : str
        The stem of the class names (``JITC{title}R``).
    params : tuple of str
        The user's weight parameters, in call order.
    to_affine : callable
        ``params -> [loc]`` (homogeneous) or ``[loc, scale]``; linear, so
        operations on the affine vector are operations on the matrix.
    check : callable
        ``(concrete float params, where)``: raises ``ValueError`` on values
        that describe no distribution.
    summary, weight, example : str
        Docstring words: what the class is, what an entry's weight is, and
        parameter values for examples.
    """

    name: str
    code: int
    letter: str
    title: str
    params: tuple[str, ...]
    to_affine: Callable
    check: Callable
    summary: str
    weight: str
    example: str


DISTRIBUTIONS = {d.name: d for d in (
    Distribution("homo", 0, "h", "Homo", ("weight",), lambda p: [p[0]], _no_constraint,
                 "Homogeneous-weight connectivity", "``weight``", "1.5"),
    Distribution("uniform", 1, "u", "Uniform", ("w_low", "w_high"),
                 lambda p: [p[0], p[1] - p[0]], _low_below_high,
                 "Uniform-weight connectivity", "drawn from Uniform[``w_low``, ``w_high``)",
                 "0.5, 1.0"),
    Distribution("normal", 2, "n", "Normal", ("w_loc", "w_scale"), lambda p: [p[0], p[1]],
                 _scale_non_negative, "Normal-weight connectivity",
                 "drawn from Normal(``w_loc``, ``w_scale``)", "1.0, 0.1"),
)}


def distribution(name: str) -> Distribution:
    """The record of distribution ``name`` ("homo", "uniform" or "normal")."""
    try:
        return DISTRIBUTIONS[name]
    except KeyError:
        raise ValueError(f"unknown weight distribution {name!r}; known: "
                         f"{sorted(DISTRIBUTIONS)}.") from None
