"""Validation of CSR/CSC inputs: typed errors that name the problem."""
from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

import sparsecore as sc

FORMATS = (sc.CSR, sc.CSC)
DATA = np.array([1., 2., 3.], np.float32)
INDICES = np.array([0, 2, 1])
INDPTR = np.array([0, 2, 3])  # 2 compressed rows, 3 columns (CSR) / 3 rows (CSC)


def shape_for(cls):
    return (2, 3) if cls is sc.CSR else (3, 2)


@pytest.fixture(params=FORMATS, ids=lambda c: c.__name__)
def cls(request):
    return request.param


def test_valid_input_builds(cls):
    W = cls((DATA, INDICES, INDPTR), shape=shape_for(cls))
    assert W.nnz == 3 and W.shape == shape_for(cls)


@pytest.mark.parametrize("indices, bad", [([0, 3, 1], 3), ([0, -1, 1], -1)])
def test_out_of_bounds_indices(cls, indices, bad):
    with pytest.raises(sc.SparseFormatError,
                       match=rf"{cls.__name__}: indices contains {bad}, outside \[0, 3\)"):
        cls((DATA, np.array(indices), INDPTR), shape=shape_for(cls))


def test_sparse_format_error_is_a_value_error():
    assert issubclass(sc.SparseFormatError, ValueError)


def test_non_monotone_indptr(cls):
    with pytest.raises(sc.SparseFormatError,
                       match=r"indptr must be non-decreasing, but indptr\[1\]=3 > indptr\[2\]=2"):
        cls((np.ones(3, np.float32), np.array([0, 1, 2]), np.array([0, 3, 2, 3])),
            shape=(3, 3))


@pytest.mark.parametrize("indptr, first, last", [([1, 2, 3], 1, 3), ([0, 2, 2], 0, 2)])
def test_indptr_must_span_nnz(cls, indptr, first, last):
    with pytest.raises(sc.SparseFormatError,
                       match=rf"start at 0 and end at nnz=3, got indptr\[0\]={first}, "
                             rf"indptr\[-1\]={last}"):
        cls((DATA, INDICES, np.array(indptr)), shape=shape_for(cls))


def test_indptr_length(cls):
    with pytest.raises(ValueError, match="indptr must have 3 entries .* got 4"):
        cls((DATA, INDICES, np.array([0, 1, 2, 3])), shape=shape_for(cls))


@pytest.mark.parametrize("data", [np.ones(2, np.float32), np.ones(4, np.float32),
                                  np.ones((3, 1), np.float32)], ids=["short", "long", "2-D"])
def test_wrong_data_length(cls, data):
    message = ("data must have one value per stored entry (3,) or be a scalar / shape-(1,) "
               f"homogeneous weight, got shape {tuple(data.shape)}")
    with pytest.raises(ValueError, match=re.escape(message)):
        cls((data, INDICES, INDPTR), shape=shape_for(cls))


@pytest.mark.parametrize("name, position", [("indices", 1), ("indptr", 2)])
def test_float_index_arrays(cls, name, position):
    args = [DATA, INDICES, INDPTR]
    args[position] = args[position].astype(np.float64)
    with pytest.raises(TypeError, match=rf"{name} must have an integer dtype, got float64; "
                                        rf"convert with {name}.astype\(np.int32\)"):
        cls(tuple(args), shape=shape_for(cls))


def test_bool_and_2d_index_arrays(cls):
    with pytest.raises(TypeError, match="indices must have an integer dtype, got bool"):
        cls((DATA, np.array([True, False, True]), INDPTR), shape=shape_for(cls))
    with pytest.raises(ValueError, match=r"indices must be 1-D, got shape \(3, 1\)"):
        cls((DATA, INDICES[:, None], INDPTR), shape=shape_for(cls))


@pytest.mark.parametrize("shape, error, message", [
    (5, TypeError, "shape must be a sequence of two non-negative ints such as \\(m, n\\), got 5"),
    ("ab", TypeError, "shape must be a sequence of two non-negative ints"),
    (None, TypeError, "shape must be a sequence of two non-negative ints"),
    ((2, 3, 1), ValueError, "shape must have two entries"),
    ((2.0, 3), TypeError, "shape entries must be ints, got \\(2.0, 3\\)"),
    ((True, 3), TypeError, "shape entries must be ints"),
    ((-2, 3), ValueError, "shape entries must be non-negative, got \\(-2, 3\\)"),
])
def test_bad_shapes(shape, error, message):
    with pytest.raises(error, match=message):
        sc.CSR((DATA, INDICES, INDPTR), shape=shape)


@pytest.mark.parametrize("shape", [[2, 3], (np.int64(2), np.int32(3)), np.array([2, 3]),
                                   range(2, 4)], ids=["list", "numpy ints", "array", "range"])
def test_any_sequence_of_ints_is_a_shape(shape):
    W = sc.CSR((DATA, INDICES, INDPTR), shape=shape)
    assert W.shape == (2, 3) and type(W.shape) is tuple
    assert all(type(s) is int for s in W.shape)


@pytest.mark.parametrize("data, kind", [
    (np.array([1, 2, 3]), "int64"), (np.array([1, 2, 3], np.int32), "int32"),
    (np.array([1, 2, 3], np.uint8), "uint8"), (np.array([1, 2, 3], np.complex64), "complex"),
    (np.array([True, False, True]), "bool"), (jnp.array([1, 2, 3]), "int32"),
])
def test_integer_complex_and_bool_data(cls, data, kind):
    with pytest.raises(TypeError, match=f"data must be float16, bfloat16, float32 or float64, "
                                        f"got {kind}; convert with data.astype"):
        cls((data, INDICES, INDPTR), shape=shape_for(cls))


def test_bool_scalar_data():
    with pytest.raises(TypeError, match="data must be floating point, got bool"):
        sc.CSR((True, INDICES, INDPTR), shape=(2, 3))


def test_python_number_data_is_a_homogeneous_float():
    W = sc.CSR((2, INDICES, INDPTR), shape=(2, 3))
    assert W.dtype == jnp.float32 and W.data.shape == (1,)
    np.testing.assert_array_equal(W.todense(), [[2., 0., 2.], [0., 2., 0.]])


def test_args_must_be_a_triple(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__} takes \(data, indices, indptr\) and "
                                        r"shape="):
        cls(np.eye(2), shape=(2, 2))
    with pytest.raises(TypeError, match="takes \\(data, indices, indptr\\)"):
        cls((DATA, INDICES), shape=(2, 2))


def test_index_dtypes_are_normalised():
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int64, np.uint32):
        W = sc.CSR((DATA, INDICES.astype(dtype), INDPTR.astype(dtype)), shape=(2, 3))
        assert W.indices.dtype == jnp.int32 and W.indptr.dtype == jnp.int32, dtype
    W = sc.CSR((DATA, list(INDICES), list(INDPTR)), shape=(2, 3))
    assert W.indices.dtype == jnp.int32
    empty = sc.CSR(([], [], [0, 0]), shape=(1, 4))
    assert empty.nnz == 0 and empty.indices.dtype == jnp.int32


def test_int64_only_when_needed():
    big = 2 ** 31 + 5
    with pytest.raises(OverflowError, match=r"indices holds values up to 2147483653, beyond int32"
                                            r"; enable 64-bit indices with jax.config.update"):
        sc.CSR((np.ones(1, np.float32), np.array([big]), np.array([0, 1])), shape=(1, big + 1))


def test_int64_indices_kept_with_x64(x64):
    big = 2 ** 31 + 5
    W = sc.CSR((np.ones(1), np.array([big]), np.array([0, 1])), shape=(1, big + 1))
    assert W.indices.dtype == jnp.int64  # never silently downcast
    assert W.indptr.dtype == jnp.int32  # small values: int32 suffices
    assert W.to_scipy().nnz == 1


def test_value_checks_are_skipped_under_tracing():
    """Under jit the bounds/monotonicity scans cannot run; construction still works."""
    @jax.jit
    def build(indices, indptr):
        W = sc.CSR((jnp.ones(3), indices, indptr), shape=(2, 3))
        return W.indices

    out = build(jnp.array([0, 7, 1]), jnp.array([0, 2, 3]))  # would fail eagerly
    np.testing.assert_array_equal(out, [0, 7, 1])
    # structural checks (lengths, dtypes) still run while tracing
    with pytest.raises(ValueError, match="data must have one value per stored entry"):
        jax.jit(lambda i: sc.CSR((jnp.ones(2), i, jnp.array([0, 2, 3])), shape=(2, 3)))(
            jnp.array([0, 1, 2]))
    with pytest.raises(TypeError, match="indices must have an integer dtype"):
        jax.jit(lambda i: sc.CSR((jnp.ones(3), i, jnp.array([0, 2, 3])), shape=(2, 3)))(
            jnp.array([0., 1., 2.]))


def test_functional_api_validates_the_same_way():
    x = jnp.ones(3)
    with pytest.raises(sc.SparseFormatError, match="csrmv: indices contains 3"):
        sc.csrmv(DATA, np.array([0, 3, 1]), INDPTR, x, shape=(2, 3))
    with pytest.raises(sc.SparseFormatError, match="binary_csrmv: indptr must be non-decreasing"):
        sc.binary_csrmv(np.ones(3, np.float32), np.array([0, 1, 2]), np.array([0, 3, 2, 3]),
                        x, shape=(3, 3))
    with pytest.raises(TypeError, match="csrmm: indices must have an integer dtype"):
        sc.csrmm(DATA, INDICES.astype(float), INDPTR, jnp.ones((3, 2)), shape=(2, 3))
    with pytest.raises(TypeError, match="csrmv: data must be float16"):
        sc.csrmv(np.array([1, 2, 3j]), INDICES, INDPTR, x, shape=(2, 3))
    with pytest.raises(TypeError, match="csrmv: shape must be a sequence"):
        sc.csrmv(DATA, INDICES, INDPTR, x, shape=3)


def test_conversion_errors(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}.fromdense: x must be 2-D, got shape "
                                         r"\(3,\)"):
        cls.fromdense(jnp.ones(3))
    with pytest.raises(ValueError, match="fromdense under jit needs a static nnz="):
        jax.jit(lambda x: cls.fromdense(x))(jnp.eye(2))
    with pytest.raises(TypeError, match="from_scipy expects a scipy.sparse array or matrix, got "
                                        "ndarray; use fromdense"):
        cls.from_scipy(np.eye(2))
    W = cls.fromdense(jnp.eye(2))
    with pytest.raises(ValueError, match="format must be 'csr', 'csc' or 'coo', got 'dia'"):
        W.to_scipy("dia")
    with pytest.raises(ValueError, match="axes=\\(1, 0\\) only"):
        W.transpose((0, 1))
    assert type(W.transpose((1, 0))) is not cls


def test_from_scipy_integer_matrix_is_refused(cls):
    with pytest.raises(TypeError, match="data must be float16, bfloat16, float32 or float64, "
                                        "got int64"):
        cls.from_scipy(sp.csr_array(np.eye(2, dtype=np.int64)))


def test_no_implicit_densifying(cls):
    W = cls.fromdense(jnp.eye(2))
    with pytest.raises(TypeError, match="call .todense\\(\\)"):
        np.asarray(W)
    with pytest.raises(TypeError, match="ambiguous"):
        bool(W)
    assert not hasattr(W, "__jax_array__")
