"""Exception and warning classes of sparsecore."""

__all__ = ["BackendWarning", "SparseFormatError"]


class BackendWarning(UserWarning):
    """A requested or preferred compute backend is unavailable; another one runs."""


class SparseFormatError(ValueError):
    """Arrays given for a sparse matrix do not describe a valid matrix."""
