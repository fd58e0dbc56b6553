"""Type aliases used in sparsecore's public signatures.

* ``ArrayLike``: a buffer or an operand: a JAX or NumPy array, a
  ``brainunit.Quantity`` wrapping one, or a Python scalar.
* ``Result``: what a product or a conversion returns: a JAX array, or a
  ``brainunit.Quantity`` when a unit is involved.
* ``Shape``: a matrix shape ``(n_rows, n_cols)``.
* ``Backend``: a kernel backend name, or None for the platform's default.
"""
from __future__ import annotations

from typing import Literal, Optional, Tuple, Union

import brainunit as u
import jax
import numpy as np

__all__ = ["ArrayLike", "Result", "Shape", "Backend"]

ArrayLike = Union[jax.Array, np.ndarray, u.Quantity, float, int, bool]
Result = Union[jax.Array, u.Quantity]
Shape = Tuple[int, int]
Backend = Optional[Literal["numba", "pallas", "jax"]]
