"""sparsecore: sparse connectivity matrices for spiking neural networks in JAX."""
from ._compressed import CSC, CSR
from ._csr_ops import binary_csrmm, binary_csrmv, csrmm, csrmv
from ._base import SparseMatrix
from ._errors import BackendWarning, SparseFormatError
from ._fixed_num import FixedPostNumConn, FixedPreNumConn
from ._fixed_num_ops import binary_fcnmm, binary_fcnmv, fcnmm, fcnmv
from ._plasticity_ops import (csr_to_csc_index, csrmv_yw2y, update_csc_on_binary_post,
                              update_csc_on_binary_pre, update_csr_on_binary_post,
                              update_csr_on_binary_pre, update_dense_on_binary_post,
                              update_dense_on_binary_pre)

__version__ = "0.1.0"

__all__ = [
    "SparseMatrix", "CSR", "CSC",
    "csrmv", "csrmm", "binary_csrmv", "binary_csrmm",
    "BackendWarning", "SparseFormatError",
    "FixedPostNumConn", "FixedPreNumConn", "fcnmv", "fcnmm", "binary_fcnmv", "binary_fcnmm",
    "update_csr_on_binary_pre", "update_csr_on_binary_post", "update_csc_on_binary_pre",
    "update_csc_on_binary_post", "update_dense_on_binary_pre", "update_dense_on_binary_post",
    "csr_to_csc_index", "csrmv_yw2y",
]
