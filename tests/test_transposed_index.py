"""Event products over an attached column index (the transposed index).

With ``with_column_index()`` the gather-direction event products (``W @ spikes``
of CSR / FixedPostNumConn, ``spikes @ W`` of CSC / FixedPreNumConn) scatter the
active inputs' lines of the mirror instead of testing every stored entry.  The
result must be the one without the index, on every format, backend and dtype,
under jit, grad and vmap, after ``.T`` and ``with_data``, and with the index
built inside ``jax.jit``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import (assert_close, check_grads, check_matmul, check_vmap, check_vmap_data,
                     random_sparse)

FORMATS = ("CSR", "CSC", "FixedPostNumConn", "FixedPreNumConn")


def _matrix(fmt, rng, shape=(7, 9), *, dtype=np.float32, homo=False, n_conn=3):
    """``(W, dense)``: a matrix of format ``fmt`` and its float64 dense oracle."""
    if fmt in ("CSR", "CSC"):
        A = random_sparse(rng, shape, density=0.35, dtype=dtype, duplicates=2)
        W = getattr(sc, fmt).from_scipy(A)
        if homo:
            W = getattr(sc, fmt)((jnp.asarray(0.75, dtype), W.indices, W.indptr), shape=shape)
        return W, np.asarray(W.todense(), np.float64)
    cls = getattr(sc, fmt)
    lines = shape[0] if fmt == "FixedPostNumConn" else shape[1]
    targets = shape[1] if fmt == "FixedPostNumConn" else shape[0]
    indices = rng.integers(0, targets, (lines, n_conn)).astype(np.int32)  # repeats sum
    data = (jnp.asarray(0.75, dtype) if homo
            else jnp.asarray(rng.normal(size=(lines, n_conn)), dtype))
    W = cls((data, jnp.asarray(indices)), shape=shape)
    return W, np.asarray(W.todense(), np.float64)


def _spikes(rng, n, batch=None):
    return jnp.asarray(rng.random(n if batch is None else (n, batch)) < 0.3)


def _event_sides(W):
    """The products that take the indexed path: ``(name, fn)``."""
    m, n = W.shape
    return (("W @ s", lambda A, s: A @ s, n), ("s @ W", lambda A, s: s @ A, m))


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("homo", [False, True])
@pytest.mark.parametrize("fmt", FORMATS)
def test_matches_the_products_without_it(fmt, homo, size, backend, rng):
    """Every product of an indexed matrix equals the dense oracle (both backends); the
    large matrix has more entries than the numba kernels' flat loop takes."""
    shape, n_conn = ((7, 9), 3) if size == "small" else ((60, 80), 20)
    W, D = _matrix(fmt, rng, shape, homo=homo, n_conn=n_conn)
    if size == "large":
        from sparsecore.kernels import _loops
        assert W.nnz > _loops._SMALL
    Wi = W.with_column_index()
    assert Wi.column_index is not None
    check_matmul(Wi, D, rng, backend=backend, eager=("bool_vector", "bool_matrix"))
    for name, fn, k in _event_sides(W):
        s = _spikes(rng, k)
        assert_close(fn(Wi, s), fn(W, s), W.dtype, err_msg=name)


@pytest.mark.parametrize("fmt", FORMATS)
def test_float64(fmt, x64, rng):
    W, D = _matrix(fmt, rng, dtype=np.float64)
    Wi = W.with_column_index()
    assert Wi.dtype == jnp.float64
    check_matmul(Wi, D, rng, backend="numba", kinds=("bool_vector", "bool_matrix"), eager=())
    check_matmul(Wi, D, rng, backend="jax", kinds=("bool_vector",), eager=())


@pytest.mark.parametrize("fmt", FORMATS)
def test_all_false_and_all_true_spikes(fmt, rng):
    W, D = _matrix(fmt, rng)
    Wi = W.with_column_index()
    f = jax.jit(lambda A, s, t: (A @ s, t @ A))
    for value in (False, True):
        s = jnp.full(W.shape[1], value)
        t = jnp.full(W.shape[0], value)
        right, left = f(Wi, s, t)
        assert_close(right, D @ np.full(W.shape[1], float(value)), W.dtype)
        assert_close(left, np.full(W.shape[0], float(value)) @ D, W.dtype)


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0), (4, 6)])
@pytest.mark.parametrize("fmt", ["CSR", "CSC"])
def test_degenerate_compressed(fmt, shape, backend):
    """Empty dimensions, no stored entries, empty rows and columns."""
    cls = getattr(sc, fmt)
    lines = shape[0] if fmt == "CSR" else shape[1]
    W = cls((jnp.zeros(0), jnp.zeros(0, jnp.int32), jnp.zeros(lines + 1, jnp.int32)),
            shape=shape).with_column_index()
    for x, side in ((jnp.ones(shape[1], bool), "right"), (jnp.ones(shape[0], bool), "left")):
        got = W.dot(x, backend=backend) if side == "right" else W.rdot(x, backend=backend)
        assert got.shape == (shape[0] if side == "right" else shape[1],)
        assert not np.asarray(got).any()


@pytest.mark.parametrize("fmt", ["FixedPostNumConn", "FixedPreNumConn"])
@pytest.mark.parametrize("shape,n_conn", [((0, 4), 0), ((4, 0), 0), ((3, 5), 0), ((1, 1), 1)])
def test_degenerate_fixed_number(fmt, shape, n_conn, backend):
    cls = getattr(sc, fmt)
    lines = shape[0] if fmt == "FixedPostNumConn" else shape[1]
    data = jnp.ones((lines, n_conn))
    W = cls((data, jnp.zeros((lines, n_conn), jnp.int32)), shape=shape)
    Wi = W.with_column_index()
    for x, side in ((jnp.ones(shape[1], bool), "right"), (jnp.ones(shape[0], bool), "left")):
        if side == "right":
            got, want = Wi.dot(x, backend=backend), W.dot(x, backend="jax")
        else:
            got, want = Wi.rdot(x, backend=backend), W.rdot(x, backend="jax")
        assert_close(got, want, np.float32)


@pytest.mark.parametrize("fmt", FORMATS)
def test_transpose_and_with_data_keep_it(fmt, rng):
    W, D = _matrix(fmt, rng)
    Wi = W.with_column_index()
    assert Wi.T.column_index is not None and Wi.T.T.column_index is not None
    check_matmul(Wi.T, D.T, rng, kinds=("bool_vector", "bool_matrix"), eager=())
    new = jnp.asarray(rng.normal(size=np.shape(W.data)), W.dtype)
    Wd = Wi.with_data(new)
    assert Wd.column_index is not None
    check_matmul(Wd, np.asarray(W.with_data(new).todense(), np.float64), rng,
                 kinds=("bool_vector", "bool_matrix"), eager=())
    assert (2 * Wi).column_index is not None  # same structure: still valid


@pytest.mark.parametrize("fmt", FORMATS)
def test_built_under_jit(fmt, rng):
    """The index is built inside jax.jit (argsort, no host round trip) and used there."""
    W, D = _matrix(fmt, rng)
    s = _spikes(rng, W.shape[1])
    t = _spikes(rng, W.shape[0])
    f = jax.jit(lambda A, s, t: (lambda B: (B @ s, t @ B))(A.with_column_index()))
    right, left = f(W, s, t)
    assert_close(right, D @ np.asarray(s, np.float64), W.dtype)
    assert_close(left, np.asarray(t, np.float64) @ D, W.dtype)
    Wj = jax.jit(lambda A: A.with_column_index())(W)
    for (a, b) in zip(Wj.column_index, W.with_column_index().column_index):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("fmt", FORMATS)
def test_grads(fmt, backend, rng):
    W, _ = _matrix(fmt, rng)
    Wi = W.with_column_index()
    check_grads(Wi, rng, backend=backend, kinds=("bool_vector", "bool_matrix", "float_vector"),
                modes=("grad", "rev"))


@pytest.mark.parametrize("fmt", ["CSR", "FixedPostNumConn"])
def test_grads_homogeneous(fmt, rng):
    W, _ = _matrix(fmt, rng, homo=True)
    check_grads(W.with_column_index(), rng, backend="numba", kinds=("bool_vector",),
                modes=("grad",))


@pytest.mark.parametrize("fmt", FORMATS)
def test_vmap(fmt, backend, rng):
    W, D = _matrix(fmt, rng)
    Wi = W.with_column_index()
    check_vmap(Wi, D, rng, backend=backend, kinds=("bool",), eager=False)
    check_vmap_data(Wi, rng, backend=backend, kinds=("bool_vector",))


def test_the_event_path_visits_active_inputs_only(rng):
    """With the index, the cost of ``W @ spikes`` follows the active columns: an index
    pointing at a NaN weight of an inactive column leaves the result finite."""
    W, D = _matrix("CSR", rng, shape=(6, 8))
    data = np.asarray(W.data).copy()
    cols = np.asarray(W.indices)
    data[cols == 3] = np.nan
    Wn = W.with_data(jnp.asarray(data)).with_column_index()
    s = jnp.asarray(np.arange(8) != 3)
    want = np.where(np.isnan(data), 0, data)
    dense = np.asarray(W.with_data(jnp.asarray(want)).todense(), np.float64)
    assert_close(Wn @ s, dense @ np.asarray(s, np.float64), np.float32)
