"""Exception and warning classes of sparsecore."""
import brainunit as u

__all__ = ["BackendWarning", "SparseFormatError", "UnitMismatchError"]


class BackendWarning(UserWarning):
    """A requested or preferred compute backend is unavailable; another one runs."""


class SparseFormatError(ValueError):
    """Arrays given for a sparse matrix do not describe a valid matrix."""


class UnitMismatchError(u.UnitMismatchError, ValueError):
    """Two quantities that must share a physical dimension do not (e.g. a trace in mV
    added to weights in mS).

    Both a :class:`ValueError` and a :class:`brainunit.UnitMismatchError`, so
    code written for either catches it.

    Examples
    --------
    >>> import jax.numpy as jnp, brainunit as u, sparsecore as sc
    >>> w = jnp.array([0.5, 0.3]) * u.mS
    >>> try:
    ...     sc.update_csr_on_binary_pre(w, jnp.array([0, 1]), jnp.array([0, 2]),
    ...                                 jnp.array([True]), jnp.ones(2) * u.mV, shape=(1, 2))
    ... except u.UnitMismatchError as err:
    ...     print(type(err).__name__, isinstance(err, ValueError))
    UnitMismatchError True
    """
