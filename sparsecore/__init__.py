"""sparsecore: sparse connectivity matrices for spiking neural networks in JAX."""
from ._compressed import CSC, CSR
from ._base import SparseMatrix
from ._errors import BackendWarning, SparseFormatError, UnitMismatchError
from ._fixed_num import FixedNumPerPost, FixedNumPerPre, FixedPostNumConn, FixedPreNumConn
from ._jitc import (JITCC, JITCHomoC, JITCHomoR, JITCNormalC, JITCNormalR, JITCR, JITCUniformC,
                    JITCUniformR)
from ._functional import (binary_csrmm, binary_csrmv, binary_fcnmm, binary_fcnmv, binary_jithmm,
                          binary_jithmv, binary_jitnmm, binary_jitnmv, binary_jitumm,
                          binary_jitumv, csrmm, csrmv, fcnmm, fcnmv, jith, jithmm, jithmv, jitn,
                          jitnmm, jitnmv, jitu, jitumm, jitumv)
from ._plasticity_ops import (cscmv_yw2y, csr_to_csc_index, csrmv_yw2y, fcnmv_yw2y,
                              update_csc_on_binary_post, update_csc_on_binary_pre,
                              update_csr_on_binary_post, update_csr_on_binary_pre,
                              update_dense_on_binary_post,
                              update_dense_on_binary_pre,
                              update_fixed_post_conn_on_binary_pre,
                              update_fixed_pre_conn_on_binary_post)

from ._version import __version__  # the one place the version is defined

__all__ = [
    "SparseMatrix", "CSR", "CSC",
    "csrmv", "csrmm", "binary_csrmv", "binary_csrmm",
    "BackendWarning", "SparseFormatError", "UnitMismatchError",
    "FixedPostNumConn", "FixedPreNumConn", "FixedNumPerPre", "FixedNumPerPost",
    "fcnmv", "fcnmm", "binary_fcnmv", "binary_fcnmm",
    "JITCR", "JITCC", "JITCHomoR", "JITCHomoC", "JITCNormalR", "JITCNormalC", "JITCUniformR",
    "JITCUniformC", "jith", "jithmv", "jithmm", "binary_jithmv", "binary_jithmm", "jitn",
    "jitnmv", "jitnmm", "binary_jitnmv", "binary_jitnmm", "jitu", "jitumv", "jitumm",
    "binary_jitumv", "binary_jitumm",
    "update_csr_on_binary_pre", "update_csr_on_binary_post", "update_csc_on_binary_pre",
    "update_csc_on_binary_post", "update_dense_on_binary_pre", "update_dense_on_binary_post",
    "csr_to_csc_index", "csrmv_yw2y", "cscmv_yw2y", "fcnmv_yw2y",
    "update_fixed_post_conn_on_binary_pre",
    "update_fixed_pre_conn_on_binary_post",
]
