"""The units boundary: split a Quantity once, re-attach once.

Primitives and kernels only ever see mantissas; units are Python objects and
therefore static under ``jax.jit``.
"""
from __future__ import annotations

import brainunit as u

__all__ = ["split", "attach", "attach_exact", "multiply_units", "has_unit"]


def has_unit(x) -> bool:
    return isinstance(x, u.Quantity)


def split(x):
    """``(mantissa, unit)``; ``unit`` is None for plain arrays and numbers."""
    if isinstance(x, u.Quantity):
        return x.mantissa, x.unit
    if isinstance(x, u.Unit):
        return 1.0, x
    return x, None


def multiply_units(a, b):
    """Product of two optional units (None means dimensionless and unscaled)."""
    if a is None:
        return b
    if b is None:
        return a
    return a * b


def attach(mantissa, unit):
    """Re-attach ``unit`` (None: return ``mantissa`` as is).

    A dimensionless product of units (mV / mV) collapses to a plain array via
    :func:`brainunit.maybe_decimal`.
    """
    if unit is None:
        return mantissa
    return u.maybe_decimal(u.Quantity(mantissa, unit=unit))


def attach_exact(mantissa, unit):
    """Re-attach ``unit`` as is (no collapse of dimensionless units; None: plain)."""
    if unit is None:
        return mantissa
    return u.Quantity(mantissa, unit=unit)
