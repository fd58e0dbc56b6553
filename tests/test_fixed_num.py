"""FixedPostNumConn / FixedPreNumConn and the fcn* functional API against dense and scipy.

Products, derivatives and vmap run the format-generic checks of ``harness`` against
the independent ``np.add.at`` oracle of every stored entry (:func:`_dense`).
"""
from __future__ import annotations

import itertools

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.stats

import sparsecore as sc
from harness import (BACKENDS, assert_close, check_grads, check_matmul, check_todense,
                     check_vmap, check_vmap_data, dense_product, operands, product)
from sparsecore import FixedPostNumConn, FixedPreNumConn
from sparsecore._random_partners import random_partners

CLASSES = (FixedPostNumConn, FixedPreNumConn)

def _buffers(cls, shape, n_conn, *, homo=False, dtype=np.float32, seed=0):
    """Random buffers with repeated partners allowed (they must sum)."""
    rng = np.random.default_rng(seed)
    n_rows, n_targets = shape if cls is FixedPostNumConn else shape[::-1]
    indices = rng.integers(0, max(n_targets, 1), size=(n_rows, n_conn)).astype(np.int32)
    data = (np.array([1.5], dtype) if homo
            else rng.standard_normal((n_rows, n_conn)).astype(dtype))
    return data, indices


def _dense(cls, data, indices, shape):
    """Independent oracle: np.add.at over every stored entry."""
    out = np.zeros(shape, np.float64)
    owners = np.repeat(np.arange(indices.shape[0]), indices.shape[1])
    data = np.asarray(data, np.float64)
    values = np.broadcast_to(data.reshape(-1) if data.ndim == 2 else data.reshape(()),
                             indices.size)
    if cls is FixedPostNumConn:
        np.add.at(out, (owners, indices.reshape(-1)), values)
    else:
        np.add.at(out, (indices.reshape(-1), owners), values)
    return out


def _dense_of(W):
    """The harness's ``dense_of``: the dense matrix as a jnp function of ``W``'s values,
    built independently of the class (one scatter-add per stored entry)."""
    cls, indices, shape = type(W), jnp.asarray(W.indices), W.shape
    owners = jnp.broadcast_to(jnp.arange(indices.shape[0])[:, None], indices.shape)
    rows, cols = (owners, indices) if cls is FixedPostNumConn else (indices, owners)

    def dense(data):
        values = jnp.broadcast_to(data if data.ndim == 2 else data[0], indices.shape)
        return jnp.zeros(shape, data.dtype).at[rows, cols].add(values)

    return dense


def _matrix(cls, shape=(7, 5), n_conn=3, **kw):
    data, indices = _buffers(cls, shape, n_conn, **kw)
    return cls((data, indices), shape=shape), _dense(cls, data, indices, shape)


# ---------------------------------------------------------------------------
# structure and conversions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("homo", [False, True])
def test_todense_scipy_and_conversions(cls, homo):
    W, D = _matrix(cls, homo=homo)
    check_todense(W, D, jit=False, tol=(1e-6, 0.0))
    assert W.nnz == W.indices.size and W.n_conn == 3
    for fmt in ("csr", "csc", "coo"):
        S = W.to_scipy(fmt)
        assert S.format == fmt
        np.testing.assert_allclose(S.toarray(), D, rtol=1e-6)
    np.testing.assert_allclose(W.tocsr().todense(), D, rtol=1e-6)
    np.testing.assert_allclose(W.tocsc().todense(), D, rtol=1e-6)
    assert type(W.tocsr()) is sc.CSR and type(W.tocsc()) is sc.CSC


@pytest.mark.parametrize("cls", CLASSES)
def test_transpose_swaps_class_over_same_buffers(cls):
    W, D = _matrix(cls)
    T = W.T
    assert type(T) is (FixedPreNumConn if cls is FixedPostNumConn else FixedPostNumConn)
    assert T.shape == W.shape[::-1] and T.indices is W.indices and T.data is W.data
    np.testing.assert_allclose(T.todense(), D.T, rtol=1e-6)
    assert type(T.T) is cls


@pytest.mark.parametrize("cls", CLASSES)
def test_from_scipy_fromdense_round_trip(cls):
    rng = np.random.default_rng(3)
    n_rows, n_targets, k = 6, 9, 4
    idx = np.stack([rng.choice(n_targets, k, replace=False) for _ in range(n_rows)])
    vals = rng.uniform(0.5, 2.0, (n_rows, k)).astype(np.float32)
    D = np.zeros((n_rows, n_targets), np.float32)
    np.put_along_axis(D, idx, vals, axis=1)
    D = D if cls is FixedPostNumConn else D.T
    for W in (cls.from_scipy(sp.csr_array(D)), cls.from_scipy(sp.coo_matrix(D)),
              cls.fromdense(jnp.asarray(D)), cls.fromdense(D, n_conn=k + 1)):
        np.testing.assert_allclose(W.todense(), D)
        assert W.shape == D.shape
    assert cls.fromdense(D).n_conn == k
    jitted = jax.jit(lambda x: cls.fromdense(x, n_conn=k).todense())
    np.testing.assert_allclose(jitted(jnp.asarray(D)), D)


@pytest.mark.parametrize("cls", CLASSES)
def test_irregular_counts_are_refused(cls):
    D = np.array([[1., 0., 2.], [0., 3., 0.]])
    D = D if cls is FixedPostNumConn else D.T
    with pytest.raises(ValueError, match="same number of entries"):
        cls.from_scipy(sp.csr_array(D))
    with pytest.raises(ValueError, match="same number of entries"):
        cls.fromdense(D)
    with pytest.raises(ValueError, match="n_conn=1"):
        cls.fromdense(D, n_conn=1)
    with pytest.raises(TypeError, match="scipy.sparse"):
        cls.from_scipy(D)
    with pytest.raises(ValueError, match="static n_conn"):
        jax.jit(lambda x: cls.fromdense(x).data)(jnp.asarray(D))


def test_repr_and_pytree_leaves():
    W, _ = _matrix(FixedPostNumConn, shape=(4, 6), n_conn=2)
    assert repr(W) == "FixedPostNumConn(float32[4, 6], nnz=8)"
    leaves, treedef = jax.tree_util.tree_flatten(W)
    assert len(leaves) == 2 and leaves[1] is W.indices  # indices are leaves, not aux data
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    np.testing.assert_allclose(rebuilt.todense(), W.todense())
    # two matrices of the same shape share one compiled function
    f = jax.jit(lambda M, x: M @ x)
    W2, D2 = _matrix(FixedPostNumConn, shape=(4, 6), n_conn=2, seed=1)
    np.testing.assert_allclose(f(W2, jnp.ones(6)), D2 @ np.ones(6), rtol=1e-5)
    assert f._cache_size() == 1
    f(W, jnp.ones(6))
    assert f._cache_size() == 1


# ---------------------------------------------------------------------------
# products: every op and orientation against dense (and scipy)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("homo", [False, True])
def test_matmul_both_directions(backend, cls, homo, rng):
    """``W @ x`` / ``x @ W`` (float and bool, vector and matrix) on both kernel backends;
    the operators with the default backend eagerly and under jit; scipy's view."""
    W, D = _matrix(cls, shape=(7, 5), n_conn=3, homo=homo)
    check_matmul(W, D, rng, backend=backend, jit=False, eager="all")
    for x in operands(rng, W.shape[1], np.float32).values():
        x = np.asarray(x, np.float64)
        np.testing.assert_allclose(W.to_scipy() @ x, D @ x, rtol=1e-5, atol=1e-5)
    if backend == "numba":  # the default backend on CPU
        check_matmul(W, D, rng, backend=None, eager="all")


@pytest.mark.parametrize("transpose", [False, True])
def test_functional_api(backend, transpose):
    shape, k = (6, 8), 4
    data, indices = _buffers(FixedPostNumConn, shape, k, seed=2)
    D = _dense(FixedPostNumConn, data, indices, shape)
    M = D.T if transpose else D
    rng = np.random.default_rng(5)
    n_in = M.shape[1]
    v = rng.standard_normal(n_in).astype(np.float32)
    B = rng.standard_normal((n_in, 2)).astype(np.float32)
    s = rng.random(n_in) < 0.4
    Sm = rng.random((n_in, 2)) < 0.4
    kw = dict(shape=shape, transpose=transpose, backend=backend)
    assert_close(sc.fcnmv(data, indices, v, **kw), M @ v, np.float32)
    assert_close(sc.fcnmm(data, indices, B, **kw), M @ B, np.float32)
    assert_close(sc.binary_fcnmv(data, indices, s, **kw), M @ s,
                               np.float32)
    assert_close(sc.binary_fcnmm(data, indices, Sm, **kw), M @ Sm,
                               np.float32)
    # float spikes: entries > 0 are events
    assert_close(sc.binary_fcnmv(data, indices, np.where(s, 2.0, -1.0), **kw),
                               M @ s, np.float32)
    # homogeneous weight
    assert_close(sc.binary_fcnmv(0.5, indices, s, **kw),
                               (_dense(FixedPostNumConn, np.array([0.5]), indices, shape)
                                if not transpose else
                                _dense(FixedPostNumConn, np.array([0.5]), indices, shape).T) @ s,
                               np.float32)


@pytest.mark.parametrize("cls", CLASSES)
def test_float64(cls, x64, rng):
    """float64 through both backends, the operator under jit and a bool ``s @ W``
    (kinds limited to those: each float64 kernel variant costs a numba compile)."""
    W, D = _matrix(cls, shape=(6, 9), n_conn=4, dtype=np.float64)
    assert W.dtype == jnp.float64
    tight = (1e-12, 0.0)
    vector = dict(kinds=("float_vector",), sides=("right",), tol=tight)
    for backend in BACKENDS:
        check_matmul(W, D, rng, backend=backend, jit=False, eager="all", **vector)
    check_matmul(W, D, rng, backend="jax", jit=False, eager="all", kinds=("bool_vector",),
                 sides=("left",), tol=tight)
    check_matmul(W, D, rng, backend=None, eager=(), **vector)


def test_degenerate_inputs(backend, rng):
    """Zero connections per row, 0-sized dimensions; all-false and all-true spikes."""
    for cls, shape, k in [(FixedPostNumConn, (4, 3), 0), (FixedPreNumConn, (4, 3), 0),
                          (FixedPostNumConn, (0, 3), 2), (FixedPostNumConn, (3, 0), 0),
                          (FixedPreNumConn, (0, 3), 0)]:
        W, D = _matrix(cls, shape=shape, n_conn=k)
        check_matmul(W, D, rng, backend=backend, jit=False, eager="all", tol=(1e-7, 0.0))
    W, D = _matrix(FixedPostNumConn, shape=(7, 5), n_conn=3)
    for side, length in (("left", 7), ("right", 5)):
        for spikes in (np.zeros(length, bool), np.ones(length, bool)):
            assert_close(product(W, jnp.asarray(spikes), side, backend),
                         dense_product(D, spikes, side), np.float32)


def test_units():
    W, D = _matrix(FixedPostNumConn, shape=(5, 4), n_conn=2)
    Wq = FixedPostNumConn((W.data * u.mS, W.indices), shape=W.shape)
    v = jnp.arange(4.0) * u.mV
    out = Wq @ v
    assert u.get_unit(out) == u.mS * u.mV
    np.testing.assert_allclose(out.to_decimal(u.mS * u.mV), D @ np.arange(4.0), rtol=1e-5)
    spikes = jnp.array([True, False, True, False, True])
    out = spikes @ Wq
    assert u.get_unit(out) == u.mS
    np.testing.assert_allclose(out.to_decimal(u.mS), spikes @ D, rtol=1e-5)
    out = sc.binary_fcnmv(W.data * u.nS, W.indices, spikes, shape=W.shape, transpose=True)
    np.testing.assert_allclose(out.to_decimal(u.nS), spikes @ D, rtol=1e-5)
    np.testing.assert_allclose(Wq.todense().to_decimal(u.mS), D, rtol=1e-6)
    R = FixedPostNumConn.random(5, 4, 2, weight=0.5 * u.mS, seed=1)
    assert R.unit == u.mS and R.data.shape == (1,)


# ---------------------------------------------------------------------------
# gradients and vmap
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("homo", [False, True])
def test_gradients_match_dense(backend, cls, homo, rng):
    """Derivatives w.r.t. the values and the operand against the independent dense
    scatter: grad / jacfwd / jacrev of ``W @ v``; grad of ``X @ W`` (float matrix) and of
    ``spikes @ W`` (event operands: the values only).  Kinds and modes are limited to
    these: each jitted derivative of every kind costs seconds of compilation."""
    W, _ = _matrix(cls, shape=(6, 4), n_conn=3, homo=homo)
    hooks = dict(backend=backend, dense_of=_dense_of(W))
    check_grads(W, rng, sides=("right",), kinds=("float_vector",), tol=(1e-5, 1e-6), **hooks)
    check_grads(W, rng, sides=("left",), kinds=("float_matrix",), modes=("grad",),
                tol=(1e-5, 1e-6), **hooks)
    check_grads(W, rng, sides=("left",), kinds=("bool_vector",), modes=("grad",),
                tol=(1e-5, 0.0), **hooks)


@pytest.mark.parametrize("cls", CLASSES)
def test_vmap_matches_dense(backend, cls, rng):
    """vmap against Python loops: float operands of ``W @ x`` (vectors and matrices, every
    axis, nested), bool operands of ``x @ W``, and the values (the batched-matrix path)."""
    W, D = _matrix(cls, shape=(6, 5), n_conn=3)
    check_vmap(W, D, rng, backend=backend, sides=("right",), kinds=("float",))
    check_vmap(W, D, rng, backend=backend, sides=("left",), kinds=("bool",))
    check_vmap_data(W, rng, backend=backend, dense_of=_dense_of(W), sides=("right",),
                    kinds=("float_vector",))


# ---------------------------------------------------------------------------
# elementwise operators (base-class hooks)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CLASSES)
def test_elementwise_operators(cls):
    W, D = _matrix(cls, shape=(5, 6), n_conn=2)
    np.testing.assert_allclose((2 * W).todense(), 2 * D, rtol=1e-6)
    np.testing.assert_allclose((-W).todense(), -D, rtol=1e-6)
    np.testing.assert_allclose((W + W).todense(), 2 * D, rtol=1e-6)
    np.testing.assert_allclose(W.sum(0), D.sum(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(W.sum(1), D.sum(1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(W.sum(), D.sum(), rtol=1e-5)
    # a dense operand is gathered at the stored entries (repeated entries each scaled)
    scale = np.arange(1, 7, dtype=np.float32)
    np.testing.assert_allclose((W * scale).todense(), D * scale, rtol=1e-6)
    H = W.with_data(0.5)
    np.testing.assert_allclose(H.todense(), _dense(cls, np.array([0.5]), np.asarray(W.indices),
                                                   W.shape))
    np.testing.assert_allclose((H * 2.0) @ jnp.ones(6), 2 * H.todense() @ np.ones(6))
    Q = W * u.mS
    assert Q.unit == u.mS and type(Q) is cls
    with pytest.raises(TypeError, match="todense"):
        W + jnp.ones(W.shape)


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

def test_constructor_errors():
    idx = np.zeros((3, 2), np.int32)
    with pytest.raises(TypeError, match=r"\(data, indices\)"):
        FixedPostNumConn((np.ones((3, 2)), idx, idx), shape=(3, 4))
    with pytest.raises(ValueError, match="2-D"):
        FixedPostNumConn((1.0, np.zeros(6, np.int32)), shape=(3, 4))
    with pytest.raises(TypeError, match="integer dtype"):
        FixedPostNumConn((1.0, idx.astype(float)), shape=(3, 4))
    with pytest.raises(ValueError, match=r"shape \(4, n_conn\)"):
        FixedPostNumConn((1.0, idx), shape=(4, 4))
    with pytest.raises(ValueError, match=r"shape \(4, n_conn\)"):
        FixedPreNumConn((1.0, idx), shape=(3, 4))  # one row per column
    with pytest.raises(ValueError, match="one value per stored entry"):
        FixedPostNumConn((np.ones((3, 3), np.float32), idx), shape=(3, 4))
    with pytest.raises(sc.SparseFormatError, match="contains 4, outside"):
        FixedPostNumConn((1.0, idx + 4), shape=(3, 4))
    with pytest.raises(sc.SparseFormatError, match="contains -1"):
        FixedPreNumConn((1.0, np.full((4, 2), -1, np.int32)), shape=(3, 4))
    with pytest.raises(TypeError, match="floating point|float"):
        FixedPostNumConn((np.ones((3, 2), np.int32), idx), shape=(3, 4))
    W = FixedPostNumConn((1.0, idx), shape=(3, 4))
    with pytest.raises(ValueError, match="not aligned"):
        W @ jnp.ones(3)
    with pytest.raises(ValueError, match="operand must be 1-D"):
        sc.fcnmv(1.0, idx, jnp.ones((4, 1)), shape=(3, 4))
    with pytest.raises(ValueError, match="contracts over"):
        sc.fcnmv(1.0, idx, jnp.ones(3), shape=(3, 4))
    with pytest.raises(ValueError, match="backend"):
        sc.fcnmv(1.0, idx, jnp.ones(4), shape=(3, 4), backend="cuda")


def test_out_of_bounds_under_jit_raises_in_numba():
    bad = jnp.array([[0, 9]], jnp.int32)  # validation is skipped while tracing
    f = jax.jit(lambda i: sc.fcnmv(jnp.ones((1, 2)), i, jnp.ones(3), shape=(1, 3),
                                   backend="numba"))
    with pytest.raises(Exception, match="outside the matrix"):
        jax.block_until_ready(f(bad))


# ---------------------------------------------------------------------------
# the random generator
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("n_targets,n_conn", [(50, 10), (50, 40), (1, 1)])
@pytest.mark.parametrize("allow_self", [True, False])
def test_random_rows_are_distinct_and_self_free(n_targets, n_conn, allow_self):
    if not allow_self and n_conn > n_targets - 1:
        with pytest.raises(ValueError, match="allow_self=True"):
            FixedPostNumConn.random(30, n_targets, n_conn, seed=0, allow_self=False)
        return
    W = FixedPostNumConn.random(30, n_targets, n_conn, seed=0, allow_self=allow_self)
    idx = np.asarray(W.indices)
    assert idx.shape == (30, n_conn) and idx.dtype == np.int32
    assert (np.diff(idx, axis=1) > 0).all()  # sorted and distinct
    assert idx.min() >= 0 and idx.max() < n_targets
    if not allow_self:
        assert not (idx == np.arange(30)[:, None]).any()
    # fixed fan-in: every column of FixedPreNumConn has n_conn distinct sources
    P = FixedPreNumConn.random(n_targets, 30, n_conn, seed=0, allow_self=allow_self)
    counts = (P.todense() != 0).sum(0)
    assert (np.asarray(counts) == n_conn).all()


def test_random_is_reproducible_and_weighted():
    a = FixedPostNumConn.random(100, 200, 20, weight=0.3, seed=42)
    b = FixedPostNumConn.random(100, 200, 20, weight=0.3, seed=42)
    c = FixedPostNumConn.random(100, 200, 20, weight=0.3, seed=43)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, c.indices)
    assert a.data.shape == (1,)
    w = np.random.default_rng(0).random((100, 20)).astype(np.float32)
    d = FixedPostNumConn.random(100, 200, 20, weight=w, seed=42)
    np.testing.assert_array_equal(d.indices, a.indices)
    np.testing.assert_array_equal(d.data, w)
    with pytest.raises(ValueError, match="weight must be a scalar"):
        FixedPostNumConn.random(100, 200, 20, weight=np.ones(20), seed=0)
    with pytest.raises(TypeError, match="seed"):
        FixedPostNumConn.random(10, 10, 2, seed=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        FixedPostNumConn.random(10, 10, -1)


@pytest.mark.parametrize("n_targets,allow_self", [(60, True), (60, False), (12, False)])
def test_random_partner_frequencies_are_uniform(n_targets, allow_self):
    n_rows, n_conn = 3000, 8
    idx = random_partners(n_rows, n_targets, n_conn, seed=1, allow_self=allow_self)
    rows = np.arange(n_rows)
    # per target over rows whose candidates are all targets but (maybe) themselves
    counts = np.bincount(idx.ravel(), minlength=n_targets).astype(float)
    if allow_self:
        expected = np.full(n_targets, n_rows * n_conn / n_targets)
    else:  # row i < n_targets picks among n_targets - 1 others
        inside = rows < n_targets
        p_in = n_conn / (n_targets - 1)
        p_out = n_conn / n_targets
        expected = (inside.sum() - 1) * p_in + (~inside).sum() * p_out
        expected = np.full(n_targets, expected)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < scipy.stats.chi2.ppf(0.999, n_targets - 1), chi2


@pytest.mark.parametrize("n_targets,n_conn", [(6, 2), (6, 3), (5, 4)])
def test_random_subsets_are_uniform(n_targets, n_conn):
    """Each n_conn-subset is equally likely (covers the redraw and the dense path)."""
    n_rows = 6000
    idx = random_partners(n_rows, n_targets, n_conn, seed=7)
    subsets = list(itertools.combinations(range(n_targets), n_conn))
    code = {s: i for i, s in enumerate(subsets)}
    observed = np.bincount([code[tuple(r)] for r in idx.tolist()], minlength=len(subsets))
    _, p = scipy.stats.chisquare(observed)
    assert p > 1e-3, (observed, p)


def test_vmap_binds_the_matrix_matrix_primitive():
    W, _ = _matrix(FixedPostNumConn, shape=(6, 5), n_conn=3)
    jaxpr = jax.make_jaxpr(jax.vmap(lambda v: v @ W))(jnp.ones((4, 6), bool))
    names = {eqn.primitive.name for eqn in jaxpr.jaxpr.eqns}
    assert "fcnmm" in names and "fcnmv" not in names
