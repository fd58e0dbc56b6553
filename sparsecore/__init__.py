"""sparsecore: sparse connectivity matrices for spiking neural networks in JAX."""
from ._compressed import CSC, CSR
from ._csr_ops import binary_csrmm, binary_csrmv, csrmm, csrmv
from ._base import SparseMatrix
from ._errors import BackendWarning, SparseFormatError
from ._fixed_num import FixedPostNumConn, FixedPreNumConn
from ._fixed_num_ops import binary_fcnmm, binary_fcnmv, fcnmm, fcnmv

__version__ = "0.1.0"

__all__ = [
    "SparseMatrix", "CSR", "CSC",
    "csrmv", "csrmm", "binary_csrmv", "binary_csrmm",
    "BackendWarning", "SparseFormatError",
    "FixedPostNumConn", "FixedPreNumConn", "fcnmv", "fcnmm", "binary_fcnmv", "binary_fcnmm",
]
