"""sparsecore: sparse connectivity matrices for spiking neural networks in JAX."""
from ._compressed import CSC, CSR
from ._csr_ops import binary_csrmm, binary_csrmv, csrmm, csrmv
from ._base import SparseMatrix
from ._errors import BackendWarning, SparseFormatError

__version__ = "0.1.0"

__all__ = [
    "SparseMatrix", "CSR", "CSC",
    "csrmv", "csrmm", "binary_csrmv", "binary_csrmm",
    "BackendWarning", "SparseFormatError",
]
