"""CSR and CSC matrices: construction, conversion, products, autodiff, vmap."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

import sparsecore as sc
import harness
from harness import (assert_close, check_grads, check_matmul, check_todense, check_vmap,
                     check_vmap_data, random_sparse)

FORMATS = (sc.CSR, sc.CSC)
SHAPE = (6, 5)
NNZ = 12  # distinct entries of the examples (plus 4 duplicates): fixed shapes reuse compiles


def build(cls, coo, dtype=None):
    """A ``cls`` matrix over the raw entries of ``coo``, duplicates and order kept.

    (scipy's own COO -> CSR conversion sums duplicates, so compress by hand.)
    """
    row, col = np.asarray(coo.row), np.asarray(coo.col)
    outer, inner = (row, col) if cls is sc.CSR else (col, row)
    order = np.argsort(outer, kind="stable")  # within a row: the given (unsorted) order
    n_outer = coo.shape[0] if cls is sc.CSR else coo.shape[1]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(outer, minlength=n_outer))])
    data = np.asarray(coo.data)[order]
    data = data if dtype is None else data.astype(dtype)
    return cls((data, inner[order], indptr), shape=coo.shape)


def example(cls, rng, dtype=np.float32, shape=SHAPE):
    """A matrix with duplicates, unsorted entries, an empty row and an empty column."""
    coo = random_sparse(rng, shape, nnz=NNZ, dtype=dtype, duplicates=4, unsorted=True,
                        empty_rows=(1,), empty_cols=(2,))
    return build(cls, coo), coo.toarray()


# ---------------------------------------------------------------------------
# construction and metadata
# ---------------------------------------------------------------------------

def test_attributes_and_repr():
    data, indices, indptr = jnp.array([1., 2., 3.]), jnp.array([0, 2, 1]), jnp.array([0, 2, 3])
    W = sc.CSR((data, indices, indptr), shape=[2, 3])
    assert W.shape == (2, 3) and isinstance(W.shape, tuple)
    assert W.nnz == 3 and W.ndim == 2 and W.dtype == jnp.float32
    assert W.indices.dtype == jnp.int32 and W.indptr.dtype == jnp.int32
    np.testing.assert_array_equal(W.data, data)
    np.testing.assert_array_equal(W.indices, indices)
    np.testing.assert_array_equal(W.indptr, indptr)
    assert repr(W) == "CSR(float32[2, 3], nnz=3)"
    C = sc.CSC((data, indices, indptr), shape=(3, 2))
    assert repr(C) == "CSC(float32[3, 2], nnz=3)"
    np.testing.assert_array_equal(C.todense(), W.todense().T)


def test_repr_float64(x64):
    W = sc.CSR((np.ones(4000), np.arange(4000), np.arange(4001)), shape=(4000, 4000))
    assert repr(W) == "CSR(float64[4000, 4000], nnz=4000)"


@pytest.mark.parametrize("cls", FORMATS)
def test_numpy_inputs_and_shape_sequences(cls):
    W = cls((np.array([1., 2.], np.float32), np.array([1, 0]), np.array([0, 1, 2])),
            shape=np.array([2, 2]))
    assert W.shape == (2, 2) and all(type(s) is int for s in W.shape)
    assert W.dtype == jnp.float32


# ---------------------------------------------------------------------------
# dense oracle: todense and @ in both directions, every operand kind
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", FORMATS)
def test_products_against_dense(cls, float_dtype, backend, rng):
    W, dense = example(cls, rng, float_dtype)
    assert W.dtype == float_dtype
    check_todense(W, dense)
    # every product is jitted; float32 runs the eager path too
    check_matmul(W, dense, rng, backend=backend,
                 eager=harness.EAGER_KINDS if float_dtype == np.float32 else ())


@pytest.mark.parametrize("cls", FORMATS)
def test_default_backend_matches_dense(cls, rng):
    W, dense = example(cls, rng)
    check_matmul(W, dense, rng, backend=None, eager="all")


@pytest.mark.parametrize("cls", FORMATS)
@pytest.mark.parametrize("homo", [np.float32(0.75), np.array([0.75], np.float32)],
                         ids=["scalar", "shape1"])
def test_homogeneous_weights(cls, homo, backend, rng):
    coo = random_sparse(rng, SHAPE, nnz=NNZ, duplicates=4, empty_rows=(0,))
    raw = build(cls, coo)
    W = cls((homo, raw.indices, raw.indptr), shape=SHAPE)
    assert W.data.shape == (1,) and W.nnz == raw.nnz
    pattern = build(cls, sp.coo_array((np.ones(coo.nnz, np.float32), coo.coords), shape=SHAPE))
    dense = 0.75 * np.asarray(pattern.todense())  # duplicates count twice
    check_todense(W, dense, jit=False)
    check_matmul(W, dense, rng, backend=backend)
    np.testing.assert_allclose(W.to_scipy().toarray(), dense)


@pytest.mark.parametrize("cls", FORMATS)
def test_duplicates_sum_like_scipy(cls, backend):
    # row 0 holds (0, 1) three times and (0, 2) once; row 2 holds (2, 0) twice, unsorted.
    data = np.array([1., 2., 4., 8., 16., 32.], np.float32)
    indices = np.array([1, 2, 1, 1, 0, 0])
    indptr = np.array([0, 4, 4, 6])
    W = cls((data, indices, indptr), shape=(3, 3))
    ref = (sp.csr_array if cls is sc.CSR else sp.csc_array)((data, indices, indptr),
                                                           shape=(3, 3)).toarray()
    check_todense(W, ref)
    x = jnp.array([1., 10., 100.])
    s = jnp.array([True, True, False])
    np.testing.assert_allclose(W.dot(x, backend=backend), ref @ np.asarray(x))
    np.testing.assert_allclose(W.rdot(x, backend=backend), np.asarray(x) @ ref)
    np.testing.assert_allclose(W.dot(s, backend=backend), ref @ np.asarray(s, float))
    np.testing.assert_allclose(W.rdot(s, backend=backend), np.asarray(s, float) @ ref)
    np.testing.assert_allclose(W.tocsr().todense(), ref)
    np.testing.assert_allclose(W.tocsc().todense(), ref)


def test_event_semantics_add_weights_of_active_inputs():
    W = sc.CSR.fromdense(jnp.array([[1., 2., 0.], [0., 3., 4.]]))
    np.testing.assert_array_equal(jnp.array([True, False]) @ W, [1., 2., 0.])
    np.testing.assert_array_equal(jnp.array([True, True]) @ W, [1., 5., 4.])
    np.testing.assert_array_equal(jnp.array([False, False]) @ W, [0., 0., 0.])
    np.testing.assert_array_equal(W @ jnp.array([False, True, True]), [2., 7.])
    # a float operand is an ordinary product (negative values count)
    np.testing.assert_array_equal(jnp.array([-1., 0.5]) @ W, [-1., -0.5, 2.])


def test_integer_operand_is_cast_to_values_dtype():
    W = sc.CSR.fromdense(jnp.array([[1., 2.], [0., 3.]]))
    out = W @ jnp.array([1, 2])
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(out, [5., 6.])


@pytest.mark.parametrize("cls", FORMATS)
def test_operands_that_are_not_handled(cls):
    W = cls.fromdense(jnp.eye(3))
    assert W.__matmul__("abc") is NotImplemented
    assert W.__matmul__(object()) is NotImplemented
    assert W.__rmatmul__(W) is NotImplemented
    with pytest.raises(TypeError):
        W @ "abc"
    with pytest.raises(ValueError, match="not aligned"):
        W @ jnp.ones(4)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        W @ jnp.ones((3, 3, 3))
    with pytest.raises(TypeError, match="complex"):
        W @ jnp.ones(3, jnp.complex64)


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_half_precision_runs_through_the_reference(dtype, rng):
    W, dense = example(sc.CSR, rng)
    W = W.with_data(W.data.astype(dtype))
    dense = np.asarray(W.todense(), np.float64)
    assert W.dtype == dtype
    check_matmul(W, dense, rng, backend=None, eager=("float_vector",))
    check_matmul(W, dense, rng, backend="jax", jit=False, kinds=("bool_vector",))
    with pytest.raises(ValueError, match="backend='numba' supports float32 and float64"):
        W.dot(jnp.ones(5, dtype), backend="numba")


# ---------------------------------------------------------------------------
# pytree
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", FORMATS)
def test_arrays_are_pytree_leaves(cls, rng):
    W, _ = example(cls, rng)
    leaves, treedef = jax.tree_util.tree_flatten(W)
    assert len(leaves) == 3
    assert leaves[0] is W.data and leaves[1] is W.indices and leaves[2] is W.indptr
    again = jax.tree_util.tree_unflatten(treedef, leaves)
    assert type(again) is cls and again.shape == W.shape


@pytest.mark.parametrize("cls", FORMATS)
def test_jit_does_not_recompile_for_another_matrix_of_the_same_shapes(cls, rng):
    traces = []

    @jax.jit
    def f(W, v, s):
        traces.append(1)
        return W @ v, s @ W

    W1 = build(cls, random_sparse(rng, SHAPE, nnz=NNZ))
    W2 = build(cls, random_sparse(rng, SHAPE, nnz=NNZ))
    assert not np.array_equal(W1.indices, W2.indices)
    v, s = jnp.ones(5), jnp.array([True, False, True, False, True, True])
    for W in (W1, W2, W2.with_data(2 * W2.data)):
        y, z = f(W, v, s)
        D = np.asarray(W.todense())
        assert_close(y, D @ np.ones(5))
        assert_close(z, np.asarray(s, float) @ D)
    assert len(traces) == 1


# ---------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", FORMATS)
def test_fromdense_eager(cls, float_dtype, rng):
    coo = random_sparse(rng, SHAPE, nnz=NNZ, dtype=float_dtype, empty_rows=(3,), empty_cols=(0,))
    dense = coo.toarray()
    W = cls.fromdense(dense)
    assert type(W) is cls and W.nnz == np.count_nonzero(dense) and W.dtype == float_dtype
    check_todense(W, dense)
    ref = sp.csr_array(dense) if cls is sc.CSR else sp.csc_array(dense)
    np.testing.assert_array_equal(W.indices, ref.indices)
    np.testing.assert_array_equal(W.indptr, ref.indptr)
    np.testing.assert_array_equal(W.data, ref.data)


@pytest.mark.parametrize("cls", FORMATS)
def test_fromdense_under_jit_with_static_nnz(cls, rng):
    dense = random_sparse(rng, SHAPE, nnz=NNZ).toarray()
    count = int(np.count_nonzero(dense))
    for nnz in (count, count + 4):
        f = jax.jit(lambda x: cls.fromdense(x, nnz=nnz))
        W = f(jnp.asarray(dense))
        assert type(W) is cls and W.nnz == nnz
        check_todense(W, dense)
        assert_close(W @ jnp.ones(5), dense @ np.ones(5))
    with pytest.raises(ValueError, match="nnz"):
        jax.jit(lambda x: cls.fromdense(x))(jnp.asarray(dense))


SCIPY_KINDS = [sp.csr_array, sp.csr_matrix, sp.csc_array, sp.csc_matrix, sp.coo_array,
               sp.coo_matrix, sp.lil_array, sp.dia_matrix]


@pytest.mark.parametrize("cls, kind", [(sc.CSR, k) for k in SCIPY_KINDS]
                         + [(sc.CSC, k) for k in (sp.csr_matrix, sp.csc_array, sp.coo_array)],
                         ids=lambda p: getattr(p, "__name__", None))
def test_from_scipy_any_kind(cls, kind, rng):
    coo = random_sparse(rng, SHAPE, 0.4, duplicates=4, unsorted=True)
    source = kind(coo)
    W = cls.from_scipy(source)
    assert type(W) is cls and W.shape == SHAPE and W.dtype == jnp.float32
    check_todense(W, coo.toarray(), jit=False)


@pytest.mark.parametrize("cls", FORMATS)
def test_from_scipy_keeps_non_canonical_buffers(cls, rng):
    # a scipy CSR/CSC with duplicates and unsorted indices, passed through as is
    coo = random_sparse(rng, SHAPE, nnz=NNZ, duplicates=4, unsorted=True)
    mine = build(cls, coo)
    raw = (sp.csr_array if cls is sc.CSR else sp.csc_array)(
        (np.asarray(mine.data), np.asarray(mine.indices), np.asarray(mine.indptr)), shape=SHAPE)
    assert not raw.has_canonical_format
    W = cls.from_scipy(raw)
    check_todense(W, coo.toarray())
    check_matmul(W, coo.toarray(), rng, backend="jax", eager=())


@pytest.mark.parametrize("cls", FORMATS)
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_to_scipy(cls, fmt, rng):
    W, dense = example(cls, rng)
    out = W.to_scipy(fmt) if fmt != "csr" else W.to_scipy()
    assert sp.issparse(out) and out.format == fmt and out.shape == SHAPE
    np.testing.assert_allclose(out.toarray(), dense, rtol=1e-6)
    back = cls.from_scipy(out)
    np.testing.assert_allclose(back.todense(), dense, rtol=1e-6)


@pytest.mark.parametrize("cls", FORMATS)
def test_transpose_shares_buffers(cls, rng):
    W, dense = example(cls, rng)
    T = W.T
    other = sc.CSC if cls is sc.CSR else sc.CSR
    assert type(T) is other and T.shape == SHAPE[::-1]
    assert T.data is W.data and T.indices is W.indices and T.indptr is W.indptr
    check_todense(T, dense.T)
    assert type(T.T) is cls and T.T.data is W.data
    assert type(W.transpose()) is other
    check_matmul(T, dense.T, rng, backend="jax", eager=())


@pytest.mark.parametrize("cls", FORMATS)
def test_tocsr_tocsc(cls, rng):
    W, dense = example(cls, rng)
    same = W.tocsr() if cls is sc.CSR else W.tocsc()
    assert same is W
    other = W.tocsc() if cls is sc.CSR else W.tocsr()
    assert type(other) is (sc.CSC if cls is sc.CSR else sc.CSR)
    assert other.nnz == W.nnz
    check_todense(other, dense)
    # the result is a valid, sorted compressed structure
    ref = other.to_scipy(other.to_scipy().format)
    assert np.all(np.diff(np.asarray(other.indptr)) >= 0)
    np.testing.assert_allclose(ref.toarray(), dense, rtol=1e-6)
    for start, stop in zip(np.asarray(other.indptr)[:-1], np.asarray(other.indptr)[1:]):
        assert np.all(np.diff(np.asarray(other.indices)[start:stop]) >= 0)
    # under jit too, and for homogeneous values
    jitted = jax.jit(lambda A: A.tocsc() if cls is sc.CSR else A.tocsr())(W)
    check_todense(jitted, dense)
    H = W.with_data(jnp.array([2.0]))
    Ho = H.tocsc() if cls is sc.CSR else H.tocsr()
    assert Ho.data.shape == (1,)
    np.testing.assert_allclose(Ho.todense(), H.todense())


# ---------------------------------------------------------------------------
# autodiff
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls, dtype, modes", [
    (sc.CSR, np.float64, ("grad", "rev")),
    (sc.CSC, np.float64, ("fwd",)),
    (sc.CSC, np.float32, ("grad",)),
])
def test_gradients_reference(cls, dtype, modes, rng, request):
    if dtype == np.float64:
        request.getfixturevalue("x64")
    W, _ = example(cls, rng, dtype)
    check_grads(W, rng, backend="jax", modes=modes)


def test_gradients_numba(rng):
    W, _ = example(sc.CSR, rng)
    check_grads(W, rng, backend="numba", modes=("rev",))


@pytest.mark.parametrize("cls, backend", [(sc.CSR, "jax"), (sc.CSC, "jax"), (sc.CSR, "numba")])
def test_gradients_homogeneous(cls, backend, rng):
    W, _ = example(cls, rng)
    H = W.with_data(jnp.array([0.5], jnp.float32))
    check_grads(H, rng, backend=backend, modes=("grad",))


@pytest.mark.parametrize("cls", FORMATS)
def test_grad_with_respect_to_the_matrix(cls, backend, rng):
    W, dense = example(cls, rng)
    v = jnp.asarray(rng.normal(size=5), jnp.float32)
    s = jnp.asarray(rng.random(6) < 0.5)

    def loss(A):
        return jnp.sum((A.dot(v, backend=backend)) ** 2) + jnp.sum(A.rdot(s, backend=backend))

    g = jax.grad(loss, allow_int=True)(W)
    assert type(g) is cls and g.shape == W.shape
    assert g.indices.dtype == jax.dtypes.float0 and g.indptr.dtype == jax.dtypes.float0
    assert g.data.shape == W.data.shape
    want = jax.grad(lambda d: loss(W.with_data(d)))(W.data)
    assert_close(g.data, want)
    # and the dense chain rule: dL/dW_ij = 2 y_i v_j + s_i at every stored entry (i, j)
    y = dense @ np.asarray(v, np.float64)
    dense_grad = 2 * np.outer(y, np.asarray(v)) + np.asarray(s, float)[:, None]
    rows, cols = _entry_coordinates(W)
    assert_close(g.data, dense_grad[rows, cols])


def _entry_coordinates(W):
    """(row, col) of every stored entry, in storage order."""
    indptr, indices = np.asarray(W.indptr), np.asarray(W.indices)
    outer = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    return (outer, indices) if isinstance(W, sc.CSR) else (indices, outer)


# ---------------------------------------------------------------------------
# vmap and scan
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls, backend", [(sc.CSR, "jax"), (sc.CSC, "jax"), (sc.CSR, "numba")])
def test_vmap_over_operands(cls, backend, rng):
    W, dense = example(cls, rng)
    check_vmap(W, dense, rng, backend=backend)


@pytest.mark.parametrize("cls, backend", [(sc.CSR, "jax"), (sc.CSC, "numba")])
def test_vmap_over_values(cls, backend, rng):
    W, _ = example(cls, rng)
    check_vmap_data(W, rng, backend=backend)


def test_vmap_over_matrices_as_pytrees(rng):
    W, _ = example(sc.CSR, rng)
    batch = jax.vmap(lambda d: W.with_data(d))(jnp.stack([W.data, 2 * W.data]))
    assert type(batch) is sc.CSR and batch.data.shape == (2, W.nnz)
    v = jnp.ones(5)
    out = jax.vmap(lambda A: A @ v)(batch)
    assert_close(out, np.stack([W.todense() @ v, 2 * W.todense() @ v]))


@pytest.mark.parametrize("cls", FORMATS)
def test_inside_lax_scan(cls, backend, rng):
    W, dense = example(cls, rng)
    spikes = jnp.asarray(rng.random((20, 6)) < 0.3)

    def run(A):
        def step(carry, s):
            current = A.rdot(s, backend=backend)
            return 0.9 * carry + current, current.sum()
        return jax.lax.scan(step, jnp.zeros(5, jnp.float32), spikes)

    final, totals = jax.jit(run)(W)
    expected = np.zeros(5)
    for s in np.asarray(spikes, float):
        expected = 0.9 * expected + s @ dense
    assert_close(final, expected)
    assert_close(totals, np.asarray(spikes, float) @ dense.sum(axis=1))
    g = jax.grad(lambda A: run(A)[0].sum(), allow_int=True)(W)
    want = jax.grad(lambda d: run(W.with_data(d))[0].sum())(W.data)
    assert_close(g.data, want)


# ---------------------------------------------------------------------------
# degenerate inputs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", FORMATS)
@pytest.mark.parametrize("shape", [(0, 0), (0, 4), (4, 0), (3, 4)], ids=str)
def test_empty_matrices(cls, shape, backend, rng):
    m, n = shape
    compressed = m if cls is sc.CSR else n
    W = cls((np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(compressed + 1, np.int32)),
            shape=shape)
    assert W.nnz == 0 and W.shape == shape
    dense = np.zeros(shape)
    check_todense(W, dense, jit=False)
    check_matmul(W, dense, rng, backend=backend, eager=())
    assert W.T.shape == shape[::-1]
    check_todense(W.tocsr(), dense, jit=False)
    check_todense(W.tocsc(), dense, jit=False)
    assert W.to_scipy("coo").nnz == 0
    check_todense(cls.from_scipy(sp.csr_array(shape, dtype=np.float32)), dense, jit=False)
    check_todense(cls.fromdense(dense.astype(np.float32)), dense, jit=False)


@pytest.mark.parametrize("cls", FORMATS)
def test_single_nonempty_row_and_spike_extremes(cls, backend):
    dense = np.zeros((4, 3), np.float32)
    dense[2] = [1., -2., 3.]
    W = cls.fromdense(dense)
    for s in (np.zeros(4, bool), np.ones(4, bool)):
        np.testing.assert_allclose(W.rdot(jnp.asarray(s), backend=backend), s @ dense)
    for s in (np.zeros(3, bool), np.ones(3, bool)):
        np.testing.assert_allclose(W.dot(jnp.asarray(s), backend=backend), dense @ s)


# ---------------------------------------------------------------------------
# property test: random structures with duplicates and unsorted indices
# ---------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@st.composite
def coo_structures(draw):
    m = draw(st.integers(0, 6))
    n = draw(st.integers(0, 6))
    count = draw(st.integers(0, 20)) if m and n else 0
    rows = draw(st.lists(st.integers(0, max(m - 1, 0)), min_size=count, max_size=count))
    cols = draw(st.lists(st.integers(0, max(n - 1, 0)), min_size=count, max_size=count))
    values = draw(st.lists(st.floats(-4, 4, allow_nan=False, width=32), min_size=count,
                           max_size=count))
    return sp.coo_array((np.asarray(values, np.float32), (np.asarray(rows, np.int64),
                                                          np.asarray(cols, np.int64))),
                        shape=(m, n))


@hypothesis.settings(max_examples=8, deadline=None,
                     suppress_health_check=[hypothesis.HealthCheck.too_slow])
@hypothesis.given(coo=coo_structures(), seed=st.integers(0, 2 ** 16),
                  cls=st.sampled_from(FORMATS))
def test_property_random_structures(coo, seed, cls):
    rng = np.random.default_rng(seed)
    W = build(cls, coo)
    dense = coo.toarray().astype(np.float64)
    m, n = coo.shape
    v, u = rng.normal(size=n).astype(np.float32), rng.normal(size=m).astype(np.float32)
    s, t = rng.random(n) < 0.5, rng.random(m) < 0.5

    @jax.jit
    def everything(W, v, u, s, t):  # one compilation per example
        out = {"todense": W.todense(), "T": W.T.todense(), "tocsc": W.tocsc().todense(),
               "tocsr": W.tocsr().todense()}
        for backend in ("jax", "numba"):
            out[backend] = (W.dot(v, backend=backend), W.rdot(u, backend=backend),
                            W.dot(s, backend=backend), W.rdot(t, backend=backend))
        return out

    out = everything(W, v, u, s, t)
    for key, want in (("todense", dense), ("T", dense.T), ("tocsc", dense), ("tocsr", dense)):
        assert_close(out[key], want, err_msg=key)
    for backend in ("jax", "numba"):
        for got, want in zip(out[backend], (dense @ v, u @ dense, dense @ s, t @ dense)):
            assert_close(got, want, err_msg=backend)
    np.testing.assert_allclose(W.to_scipy("coo").toarray(), dense, rtol=1e-6, atol=1e-6)
