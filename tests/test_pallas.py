"""The Pallas backend, run in interpret mode on CPU, against dense oracles and the reference.

Pallas interpret mode runs the very kernels a GPU compiles, so these tests
check their logic (row spans, compaction of active rows, atomic scatters,
in-place updates, the JITC line walk) on every format, both directions,
float and event operands, vectors and matrices, homogeneous and per-entry
weights and degenerate shapes.  Shapes are small: interpret mode is slow.
"""
from __future__ import annotations

import contextlib
import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from harness import assert_close, check_grads, check_vmap

import sparsecore as sc
from sparsecore.kernels._pallas import next_power_of_two
from sparsecore.kernels._primitive import resolve_backend

P = "pallas"


def _csr_buffers(rng, shape, density=0.4, dtype=np.float32, duplicates=False):
    """Raw CSR buffers (unsorted columns; a duplicate entry when asked) and the dense sum."""
    m, n = shape
    rows, cols, vals = [], [], []
    for i in range(m):
        picked = rng.permutation(n)[: int(rng.binomial(n, density))]  # unsorted
        if duplicates and len(picked):
            picked = np.append(picked, picked[0])
        rows += [i] * len(picked)
        cols += list(picked)
    vals = rng.standard_normal(len(cols)).astype(dtype)
    dense = np.zeros(shape, np.float64)
    np.add.at(dense, (np.asarray(rows, int), np.asarray(cols, int)), vals)
    indptr = np.zeros(m + 1, np.int32)
    np.add.at(indptr, np.asarray(rows, int) + 1, 1)
    return (jnp.asarray(vals), jnp.asarray(np.asarray(cols, np.int32)),
            jnp.asarray(np.cumsum(indptr).astype(np.int32)), dense)


def _operand(rng, k, b, event, dtype):
    x = rng.standard_normal((k,) if b is None else (k, b))
    return (x > 0.3) if event else x.astype(dtype)


def _csr_fn(event, b):
    return {(False, None): sc.csrmv, (False, 3): sc.csrmm, (True, None): sc.binary_csrmv,
            (True, 3): sc.binary_csrmm}[(event, b)]


# ---------------------------------------------------------------------------
# backend choice
# ---------------------------------------------------------------------------

def test_resolve_backend_accepts_pallas_and_lists_it():
    assert resolve_backend("pallas", np.float32, op="t") == "pallas"
    on_gpu = jax.default_backend() == "gpu"
    assert (resolve_backend(None, np.float32, op="t") == "pallas") == on_gpu  # GPU only
    with pytest.raises(ValueError, match=r"backend='gpu' is not one of .*'pallas'"):
        resolve_backend("gpu", np.float32, op="t")
    with pytest.raises(ValueError, match="backend='pallas' supports float32 and float64"):
        resolve_backend("pallas", jnp.float16, op="t")
    assert [next_power_of_two(n) for n in (0, 1, 3, 4, 5)] == [1, 1, 4, 4, 8]


# ---------------------------------------------------------------------------
# CSR / CSC products
# ---------------------------------------------------------------------------

_CSR_CASES = [(t, e, b, False) for t in (False, True) for e in (False, True) for b in (None, 3)]
_CSR_CASES += [(t, e, 3, True) for t in (False, True) for e in (False, True)]  # homogeneous


@pytest.mark.parametrize("transpose,event,b,homo", _CSR_CASES)
def test_csr_products(float_dtype, rng, transpose, event, b, homo):
    shape = (7, 5)
    data, indices, indptr, dense = _csr_buffers(rng, shape, dtype=float_dtype,
                                                duplicates=True)
    if homo:
        data = jnp.asarray([1.5], float_dtype)
        dense = (dense != 0) * 1.5  # each duplicate pair sums to one weight...
        counts = np.zeros(shape)
        np.add.at(counts, (np.repeat(np.arange(shape[0]), np.diff(indptr)),
                           np.asarray(indices)), 1)
        dense = counts * 1.5  # ...times its multiplicity
    x = _operand(rng, shape[0] if transpose else shape[1], b, event, float_dtype)
    y = _csr_fn(event, b)(data, indices, indptr, jnp.asarray(x), shape=shape,
                          transpose=transpose, backend=P)
    expected = (dense.T if transpose else dense) @ np.asarray(x, np.float64)
    assert y.dtype == float_dtype
    assert_close(y, expected, float_dtype)


def test_csc_and_operators(rng):
    data, indices, indptr, dense = _csr_buffers(rng, (6, 4))
    W = sc.CSR((data, indices, indptr), shape=(6, 4))
    C = W.T  # a CSC over the same buffers
    s = jnp.asarray(rng.random(6) > 0.5)
    v = jnp.asarray(rng.standard_normal(4), jnp.float32)
    assert_close(C.dot(s, backend=P), dense.T @ np.asarray(s, float), np.float32)
    assert_close(W.rdot(s, backend=P), np.asarray(s, float) @ dense, np.float32)
    assert_close(C.rdot(v, backend=P), np.asarray(v) @ dense.T, np.float32)


@pytest.mark.parametrize("case", ["nnz0", "rows0", "cols0", "batch0", "silent"])
def test_csr_degenerate(case, float_dtype, rng):
    shape = {"rows0": (0, 4), "cols0": (4, 0)}.get(case, (4, 3))
    if case == "nnz0" or case in ("rows0", "cols0"):
        data = jnp.zeros((0,), float_dtype)
        indices = jnp.zeros((0,), jnp.int32)
        indptr = jnp.zeros((shape[0] + 1,), jnp.int32)
        dense = np.zeros(shape)
    else:
        data, indices, indptr, dense = _csr_buffers(rng, shape, density=0.7, dtype=float_dtype)
    for transpose in (False, True):
        k = shape[0] if transpose else shape[1]
        if case == "batch0":
            x = jnp.zeros((k, 0), float_dtype)
            y = sc.csrmm(data, indices, indptr, x, shape=shape, transpose=transpose, backend=P)
            assert y.shape == (shape[1] if transpose else shape[0], 0)
            continue
        x = jnp.zeros((k,), bool) if case == "silent" else jnp.ones((k,), float_dtype)
        fn = sc.binary_csrmv if case == "silent" else sc.csrmv
        y = fn(data, indices, indptr, x, shape=shape, transpose=transpose, backend=P)
        expected = (dense.T if transpose else dense) @ np.asarray(x, np.float64)
        assert_close(y, expected, float_dtype)


def test_csr_float_spikes_and_nan_weights():
    # events add the weight of active inputs only: a NaN weight of a silent input is skipped
    data = jnp.asarray([jnp.nan, 2.0, 3.0])
    indices, indptr = jnp.asarray([0, 1, 1]), jnp.asarray([0, 2, 3])
    s = jnp.asarray([0.0, 0.7])
    np.testing.assert_array_equal(
        sc.binary_csrmv(data, indices, indptr, s, shape=(2, 2), backend=P), [2.0, 3.0])
    np.testing.assert_array_equal(
        sc.binary_csrmv(data, indices, indptr, jnp.asarray([0.0, 1.0]), shape=(2, 2),
                        transpose=True, backend=P), [0.0, 3.0])


def test_csr_grad_jvp_vmap(rng):
    data, indices, indptr, dense = _csr_buffers(rng, (5, 4))
    v = jnp.asarray(rng.standard_normal(4), jnp.float32)

    def f(d, x, backend):
        return jnp.sum(jnp.sin(sc.csrmv(d, indices, indptr, x, shape=(5, 4),
                                        backend=backend)))
    for argnums in (0, 1):
        assert_close(jax.grad(f, argnums)(data, v, P), jax.grad(f, argnums)(data, v, "jax"))
    jf = jax.jit(jax.jacfwd(lambda x: sc.binary_csrmv(data, indices, indptr, x, shape=(5, 4),
                                                     transpose=True, backend=P)))
    assert_close(jf(jnp.ones(5)), dense.T, np.float32)
    xs = jnp.asarray(rng.standard_normal((3, 4)), jnp.float32)
    batched = jax.vmap(lambda x: sc.csrmv(data, indices, indptr, x, shape=(5, 4),
                                          backend=P))(xs)
    assert_close(batched, np.asarray(xs, np.float64) @ dense.T, np.float32)


# ---------------------------------------------------------------------------
# fixed-number products
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("homo", [False, True])
@pytest.mark.parametrize("event", [False, True])
@pytest.mark.parametrize("transpose", [False, True])
def test_fixed_num_products(float_dtype, rng, transpose, event, homo):
    m, n, n_conn = 6, 5, 3
    indices = jnp.asarray(rng.integers(0, n, (m, n_conn)), jnp.int32)  # repeats sum
    weights = jnp.asarray([0.7], float_dtype) if homo else \
        jnp.asarray(rng.standard_normal((m, n_conn)), float_dtype)
    dense = np.zeros((m, n))
    np.add.at(dense, (np.repeat(np.arange(m), n_conn), np.asarray(indices).ravel()),
              np.broadcast_to(np.asarray(weights, np.float64).reshape(-1) if not homo else
                              np.float64(np.asarray(weights)[0]), (m * n_conn,)))
    k = m if transpose else n
    for b, fn in ((None, sc.binary_fcnmv if event else sc.fcnmv),
                  (2, sc.binary_fcnmm if event else sc.fcnmm)):
        x = _operand(rng, k, b, event, float_dtype)
        y = fn(weights, indices, jnp.asarray(x), shape=(m, n), transpose=transpose, backend=P)
        assert_close(y, (dense.T if transpose else dense) @ np.asarray(x, np.float64),
                     float_dtype)


def test_fixed_num_degenerate_and_grad(rng):
    empty = jnp.zeros((4, 0), jnp.int32)
    y = sc.fcnmv(jnp.zeros((4, 0)), empty, jnp.ones(3), shape=(4, 3), backend=P)
    np.testing.assert_array_equal(y, np.zeros(4))
    indices = jnp.asarray(rng.integers(0, 3, (4, 2)), jnp.int32)
    w = jnp.asarray(rng.standard_normal((4, 2)), jnp.float32)
    silent = sc.binary_fcnmv(w, indices, jnp.zeros(4, bool), shape=(4, 3), transpose=True,
                             backend=P)
    np.testing.assert_array_equal(silent, np.zeros(3))

    def f(w, backend):
        return jnp.sum(sc.fcnmv(w, indices, jnp.arange(3.0), shape=(4, 3),
                                backend=backend) ** 2)
    assert_close(jax.grad(f)(w, P), jax.grad(f)(w, "jax"))


@pytest.mark.parametrize("homo", [False, True])
def test_column_index_products(rng, homo):
    # with a transposed index the gather-direction event products run on the
    # mirror's rows; the weights are read where the matrix stores them
    m, n = 6, 5
    vals, cols, ptr, _ = _csr_buffers(rng, (m, n), duplicates=True)
    data = jnp.asarray([0.6], jnp.float32) if homo else vals
    fixed = jnp.asarray(rng.integers(0, n, (m, 3)), jnp.int32)
    fixed_w = jnp.asarray(0.6, jnp.float32) if homo else \
        jnp.asarray(rng.standard_normal((m, 3)), jnp.float32)
    matrices = [sc.CSR((data, cols, ptr), shape=(m, n)),
                sc.CSR((data, cols, ptr), shape=(m, n)).T,
                sc.FixedPostNumConn((fixed_w, fixed), shape=(m, n)),
                sc.FixedPreNumConn((fixed_w, fixed), shape=(n, m))]
    for W in matrices:
        Wi = W.with_column_index()
        dense = np.asarray(W.todense(), np.float64)
        s_right = jnp.asarray(rng.random(W.shape[1]) < 0.5)
        s_left = jnp.asarray(rng.random(W.shape[0]) < 0.5)
        S = jnp.asarray(rng.random((W.shape[1], 2)) < 0.5)
        name = type(W).__name__
        assert_close(Wi.dot(s_right, backend=P), dense @ np.asarray(s_right, np.float64),
                     np.float32, err_msg=name)
        assert_close(Wi.rdot(s_left, backend=P), np.asarray(s_left, np.float64) @ dense,
                     np.float32, err_msg=name)
        assert_close(Wi.dot(S, backend=P), dense @ np.asarray(S, np.float64), np.float32,
                     err_msg=name)


# ---------------------------------------------------------------------------
# generated connectivity: the structure bit for bit, weights within tolerance
# ---------------------------------------------------------------------------

_JITC = [(sc.JITCHomoR, (1.5,)), (sc.JITCNormalC, (0.5, 0.2)), (sc.JITCUniformR, (0.1, 0.9))]


@pytest.mark.parametrize("cls,weights,float_dtype", [
    (cls, w, "float32") for cls, w in _JITC] + [(*_JITC[1], "float64")],
    ids=lambda c: getattr(c, "__name__", str(c)), indirect=["float_dtype"])
def test_jitc_products(cls, weights, float_dtype, rng):
    W = cls(tuple(np.asarray(weights, float_dtype)) + (0.3, 7), shape=(9, 6))
    # the oracle: the matrix the numba kernels generate (the other suites tie them to
    # todense() and the pure-JAX reference, whose generator compiles slowly)
    dense = np.asarray(W.dot(jnp.eye(6, dtype=float_dtype), backend="numba"), np.float64)
    # the structure bit for bit: unit operands expose every entry, generated both ways
    for got in (W.dot(jnp.eye(6, dtype=float_dtype), backend=P),
                W.rdot(jnp.eye(9, dtype=float_dtype), backend=P)):
        np.testing.assert_array_equal(np.asarray(got) != 0, dense != 0)
        assert_close(got, dense, float_dtype)
    for M, D in ((W, dense), (W.T, dense.T)):
        s = jnp.asarray(rng.random(D.shape[1]) > 0.5)
        # events: the numba kernels' sums (exactly for homogeneous weights; generated
        # weights may round differently where a compiler contracts loc + scale * z)
        got, numba = M.dot(s, backend=P), M.dot(s, backend="numba")
        if cls is sc.JITCHomoR:
            np.testing.assert_array_equal(got, numba)
        assert_close(got, numba)
        x = jnp.asarray(rng.standard_normal(D.shape[1]), float_dtype)
        assert_close(M.dot(x, backend=P), D @ np.asarray(x, np.float64), float_dtype)


@pytest.mark.parametrize("cls", [sc.JITCNormalR, sc.JITCHomoC])
def test_jitc_long_lines_and_shared_programs(cls, rng, monkeypatch):
    """Lines of many chunks (the walk carries its position from chunk to chunk) and
    scatter programs that walk several active lines each."""
    from sparsecore.kernels import _pallas
    monkeypatch.setattr(_pallas, "SCATTER_PROGRAMS", 2)
    weights = (0.5, 0.2) if cls is sc.JITCNormalR else (1.5,)
    W = cls(weights + (0.6, 11), shape=(5, 301) if cls is sc.JITCNormalR else (301, 5))
    dense = np.asarray(W.todense(), np.float64)
    assert (dense != 0).sum(axis=1 if cls is sc.JITCNormalR else 0).min() > 3 * 32
    for k in (dense.shape[0], dense.shape[1]):
        s = rng.random(k) > 0.4
        x = rng.standard_normal(k).astype(np.float32)
        for op, D in ((W.rdot, dense), (W.dot, dense.T)):
            if D.shape[0] != k:
                continue
            assert_close(op(jnp.asarray(s), backend=P), np.asarray(s, float) @ D, np.float32)
            assert_close(op(jnp.asarray(x), backend=P), x.astype(float) @ D, np.float32)


@pytest.mark.parametrize("fmt", ["csr", "fixed"])
def test_long_rows_and_shared_programs(fmt, rng, monkeypatch):
    """Rows of several 32-entry chunks, and scatter programs that visit several
    active rows each."""
    from sparsecore.kernels import _pallas
    monkeypatch.setattr(_pallas, "SCATTER_PROGRAMS", 3)
    if fmt == "csr":
        data, indices, indptr, dense = _csr_buffers(rng, (7, 211), density=0.6,
                                                    duplicates=True)
        W = sc.CSR((data, indices, indptr), shape=(7, 211))
    else:
        idx = np.stack([rng.choice(211, 90, replace=False) for _ in range(7)])
        vals = rng.standard_normal((7, 90)).astype(np.float32)
        W = sc.FixedPostNumConn((jnp.asarray(vals), jnp.asarray(idx, jnp.int32)),
                                shape=(7, 211))
        dense = np.asarray(W.todense(), np.float64)
    s = rng.random(7) > 0.3
    x = rng.standard_normal((3, 7)).astype(np.float32)
    assert_close(W.rdot(jnp.asarray(s), backend=P), np.asarray(s, float) @ dense, np.float32)
    assert_close(W.rdot(jnp.asarray(x), backend=P), x.astype(float) @ dense, np.float32)
    v = rng.standard_normal(211).astype(np.float32)
    assert_close(W.dot(jnp.asarray(v), backend=P), dense @ v, np.float32)


def test_jitc_blocks_grad_and_degenerate(rng):
    W = sc.JITCNormalR((0.5, 0.2, 0.4, 3), shape=(8, 5))
    v = jnp.asarray(rng.standard_normal(5), jnp.float32)

    def f(loc, backend):
        M = sc.JITCNormalR((loc, 0.2, 0.4, 3), shape=(8, 5))
        return jnp.sum(M.dot(v, backend=backend) ** 2)
    assert_close(jax.grad(f)(jnp.float32(0.5), P), jax.grad(f)(jnp.float32(0.5), "jax"))
    silent = W.rdot(jnp.zeros(8, bool), backend=P)
    np.testing.assert_array_equal(silent, np.zeros(5))
    empty = sc.JITCHomoR((1.0, 0.5, 3), shape=(0, 4)).dot(jnp.ones(4), backend=P)
    assert empty.shape == (0,)
    none = sc.JITCHomoC((1.0, 0.0, 3), shape=(4, 3)).dot(jnp.ones(3), backend=P)
    np.testing.assert_array_equal(none, np.zeros(4))


# ---------------------------------------------------------------------------
# plasticity and csrmv_yw2y
# ---------------------------------------------------------------------------

def test_compressed_updates(float_dtype, rng):
    data, indices, indptr, _ = _csr_buffers(rng, (6, 5), density=0.6, dtype=float_dtype)
    pre = jnp.asarray(rng.random(6) > 0.5)
    post = jnp.asarray(rng.random(5) > 0.5)
    pre_trace = jnp.asarray(rng.random(6), float_dtype)
    post_trace = jnp.asarray(rng.random(5), float_dtype)
    W = sc.CSR((data, indices, indptr), shape=(6, 5)).with_column_index()
    for backend_result in (
            lambda b: W.update_on_pre(pre, post_trace, -0.5, 0.5, backend=b).data,
            lambda b: W.update_on_post(pre_trace, post, None, 0.4, backend=b).data,
            lambda b: W.T.update_on_pre(post, pre_trace, -1.0, None, backend=b).data,
            lambda b: sc.update_csr_on_binary_pre(data, indices, indptr, jnp.zeros(6, bool),
                                                  post_trace, shape=(6, 5), backend=b)):
        np.testing.assert_array_equal(backend_result(P), backend_result("jax"))


def test_fixed_and_dense_updates_in_place(rng):
    indices = jnp.asarray(rng.integers(0, 5, (4, 3)), jnp.int32)
    w = jnp.asarray(rng.random((4, 3)), jnp.float32)
    spike, trace = jnp.asarray([True, False, True, True]), jnp.asarray(rng.random(5), jnp.float32)
    f = lambda b: sc.update_fixed_post_conn_on_binary_pre(w, indices, spike, trace,
                                                          None, 1.0, shape=(4, 5), backend=b)
    np.testing.assert_array_equal(f(P), f("jax"))
    dense = jnp.asarray(rng.random((4, 5)), jnp.float32)
    post_spike = jnp.asarray([False, True, False, True, True])
    for fn, args in ((sc.update_dense_on_binary_pre, (spike, trace)),
                     (sc.update_dense_on_binary_post, (jnp.arange(4.0), post_spike))):
        step = jax.jit(lambda w, fn=fn, args=args: fn(w, *args, None, 1.2, backend=P),
                       donate_argnums=0)
        expected = fn(dense, *args, None, 1.2, backend="jax")
        np.testing.assert_array_equal(step(jnp.array(dense)), expected)
    empty = sc.update_dense_on_binary_pre(jnp.zeros((0, 3)), jnp.zeros(0, bool), jnp.ones(3),
                                          backend=P)
    assert empty.shape == (0, 3)


def test_yw2y(rng):
    data, indices, indptr, _ = _csr_buffers(rng, (5, 4), density=0.6)
    for transpose, y in ((False, jnp.arange(5.0)), (True, jnp.arange(4.0) - 1)):
        args = (y, data, indices, indptr)
        np.testing.assert_array_equal(
            sc.csrmv_yw2y(*args, shape=(5, 4), transpose=transpose, backend=P),
            sc.csrmv_yw2y(*args, shape=(5, 4), transpose=transpose, backend="jax"))
    g = lambda b: jax.grad(lambda y: jnp.sum(sc.csrmv_yw2y(
        y, data, indices, indptr, shape=(5, 4), backend=b) ** 2))(jnp.arange(5.0))
    assert_close(g(P), g("jax"))
    fixed = jnp.asarray(rng.integers(0, 4, (5, 2)), jnp.int32)
    w = jnp.asarray(rng.random((5, 2)), jnp.float32)
    np.testing.assert_array_equal(
        sc.fcnmv_yw2y(jnp.arange(5.0), w, fixed, shape=(5, 4), backend=P),
        sc.fcnmv_yw2y(jnp.arange(5.0), w, fixed, shape=(5, 4), backend="jax"))


# ---------------------------------------------------------------------------
# every public function that takes `backend` accepts "pallas"
# ---------------------------------------------------------------------------

def _public_backend_functions():
    return sorted(n for n in sc.__all__ if callable(getattr(sc, n))
                  and not inspect.isclass(getattr(sc, n))
                  and "backend" in inspect.signature(getattr(sc, n)).parameters)


def _calls():
    d, ix, ptr = jnp.asarray([1.0, 2.0, 3.0]), jnp.asarray([0, 1, 1]), jnp.asarray([0, 2, 3])
    fw, fi = jnp.ones((2, 2)), jnp.asarray([[0, 1], [1, 1]])
    s2, t2, m2 = jnp.asarray([True, False]), jnp.ones(2), jnp.ones((2, 2))
    csr = {"shape": (2, 2)}
    cptr, cix, perm = sc.csr_to_csc_index(ptr, ix, shape=(2, 2))
    calls = {
        "csrmv": lambda b: sc.csrmv(d, ix, ptr, t2, **csr, backend=b),
        "csrmm": lambda b: sc.csrmm(d, ix, ptr, m2, **csr, backend=b),
        "binary_csrmv": lambda b: sc.binary_csrmv(d, ix, ptr, s2, **csr, backend=b),
        "binary_csrmm": lambda b: sc.binary_csrmm(d, ix, ptr, m2 > 0, **csr, backend=b),
        "fcnmv": lambda b: sc.fcnmv(fw, fi, t2, **csr, backend=b),
        "fcnmm": lambda b: sc.fcnmm(fw, fi, m2, **csr, backend=b),
        "binary_fcnmv": lambda b: sc.binary_fcnmv(fw, fi, s2, **csr, backend=b),
        "binary_fcnmm": lambda b: sc.binary_fcnmm(fw, fi, m2 > 0, **csr, backend=b),
        "update_csr_on_binary_pre": lambda b: sc.update_csr_on_binary_pre(
            d, ix, ptr, s2, t2, **csr, backend=b),
        "update_csr_on_binary_post": lambda b: sc.update_csr_on_binary_post(
            d, cix, cptr, perm, t2, s2, **csr, backend=b),
        "update_csc_on_binary_pre": lambda b: sc.update_csc_on_binary_pre(
            d, ix, ptr, s2, t2, **csr, backend=b),
        "update_csc_on_binary_post": lambda b: sc.update_csc_on_binary_post(
            d, ix, ptr, t2, s2, **csr, backend=b),
        "update_dense_on_binary_pre": lambda b: sc.update_dense_on_binary_pre(
            m2, s2, t2, backend=b),
        "update_dense_on_binary_post": lambda b: sc.update_dense_on_binary_post(
            m2, t2, s2, backend=b),
        "update_fixed_post_conn_on_binary_pre": lambda b: sc.update_fixed_post_conn_on_binary_pre(
            fw, fi, s2, t2, shape=(2, 2), backend=b),
        "update_fixed_pre_conn_on_binary_post": lambda b: sc.update_fixed_pre_conn_on_binary_post(
            fw, fi, t2, s2, shape=(2, 2), backend=b),
        "csrmv_yw2y": lambda b: sc.csrmv_yw2y(t2, d, ix, ptr, **csr, backend=b),
        "cscmv_yw2y": lambda b: sc.cscmv_yw2y(t2, d, ix, ptr, **csr, backend=b),
        "fcnmv_yw2y": lambda b: sc.fcnmv_yw2y(t2, fw, fi, **csr, backend=b),
    }
    calls = {name: (call, None) for name, call in calls.items()}  # oracle: backend="jax"
    weights = {"h": (1.0,), "n": (0.0, 1.0), "u": (0.0, 1.0)}
    for k, w in weights.items():
        # the generated products' oracle is the dense matrix (the JAX reference of these
        # products compiles slowly; test_jitc_products compares the two)
        dense = np.asarray(getattr(sc, f"jit{k}")(*w, 0.5, 1, **csr), np.float64)
        calls[f"jit{k}"] = (lambda b, w=w, k=k: getattr(sc, f"jit{k}")(*w, 0.5, 1, **csr,
                                                                       backend=b), dense)
        for ev, op in ((False, t2), (True, s2)):
            for suffix, x in (("mv", op), ("mm", op[:, None])):
                name = f"{'binary_' if ev else ''}jit{k}{suffix}"
                calls[name] = (lambda b, name=name, w=w, x=x: getattr(sc, name)(
                    *w, 0.5, x, 1, **csr, backend=b), dense @ np.asarray(x, np.float64))
    return calls


def test_every_public_backend_function_accepts_pallas():
    calls = _calls()
    assert sorted(calls) == _public_backend_functions()
    for name, (call, expected) in calls.items():
        with pytest.raises(ValueError, match="'pallas'"):
            call("triton")
        if name.startswith(("jit", "binary_jit")):
            # traced only: their kernels run (and are checked) in test_jitc_products
            shape = jax.eval_shape(lambda call=call: call(P)).shape
            assert shape == np.shape(expected), name
            continue
        out = call(P)
        expected = call("jax") if expected is None else expected
        assert_close(np.asarray(out), np.asarray(expected), np.float32, err_msg=name)


def test_every_method_that_takes_backend_accepts_pallas(rng):
    W = sc.CSR.fromdense(jnp.asarray([[1.0, 0.0], [2.0, 3.0]]))
    F = sc.FixedPostNumConn((jnp.ones((2, 1)), jnp.asarray([[1], [0]])), shape=(2, 2))
    J = sc.JITCHomoR((1.0, 0.5, 3), shape=(2, 2))
    s, t = jnp.asarray([True, False]), jnp.ones(2)
    for M in (W, W.T, F, F.T, J, J.T):
        dense = np.asarray(M.todense(), np.float64)
        assert_close(M.dot(t, backend=P), dense @ np.asarray(t), np.float32)
        assert_close(M.rdot(s, backend=P), np.asarray(s, np.float64) @ dense, np.float32)
    for M in (W, W.T, F):
        for method, args in (("update_on_pre", (s, t)), ("update_on_post", (t, s))):
            a = getattr(M, method)(*args, backend=P).todense()
            b = getattr(M, method)(*args, backend="jax").todense()
            np.testing.assert_array_equal(a, b, err_msg=f"{type(M).__name__}.{method}")
        assert_close(M.yw_to_w(t, backend=P), M.yw_to_w(t, backend="jax"))
        assert_close(M.yw_to_w_transposed(t, backend=P),
                     M.yw_to_w_transposed(t, backend="jax"))


# ---------------------------------------------------------------------------
# the GPU path without a GPU: backend choice, Triton lowering, the benchmark smoke run
# ---------------------------------------------------------------------------

def test_none_picks_pallas_on_a_gpu(monkeypatch):
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert resolve_backend(None, np.float32, op="t") == "pallas"
    assert resolve_backend(None, np.float64, op="t") == "pallas"
    assert resolve_backend(None, jnp.bfloat16, op="t") == "jax"  # no kernels for it
    monkeypatch.setattr(jax, "default_backend", lambda: "tpu")
    assert resolve_backend(None, np.float32, op="t") == "jax"


def _triton_cases():
    d, ix, ptr = jnp.asarray([1.0, 2.0, 3.0]), jnp.asarray([0, 2, 1]), jnp.asarray([0, 2, 3])
    s2, s3, m3 = jnp.asarray([True, False]), jnp.asarray([True, False, True]), jnp.ones((3, 3))
    cptr, cix, perm = sc.csr_to_csc_index(ptr, ix, shape=(2, 3))
    fi = jnp.asarray([[0, 1], [1, 2]])
    jn = sc.JITCNormalR((0.5, 0.1, 0.5, 3), shape=(2, 3))
    ju = sc.JITCUniformC((0.1, 0.5, 0.5, 3), shape=(2, 3))
    return {
        "csr gather": (lambda x: sc.csrmm(d, ix, ptr, x, shape=(2, 3), backend=P), m3),
        "csr event scatter": (lambda x: sc.binary_csrmv(d[:1], ix, ptr, x, shape=(2, 3),
                                                        transpose=True, backend=P), s2),
        "fixed float scatter": (lambda x: sc.fcnmv(jnp.ones((2, 2)), fi, x, shape=(2, 3),
                                                   transpose=True, backend=P), jnp.ones(2)),
        "jitc gather": (lambda x: jn.dot(x, backend=P), m3),
        "jitc event scatter": (lambda x: jn.rdot(x, backend=P), s2),
        "jitc matrix scatter": (lambda x: jn.rdot(x, backend=P), jnp.ones((3, 2))),
        "csr matrix scatter": (lambda x: sc.csrmm(d, ix, ptr, x, shape=(2, 3),
                                                  transpose=True, backend=P), m3[:2]),
        "jitc uniform": (lambda x: ju.dot(x, backend=P), jnp.ones(3)),
        "update pre": (lambda w: sc.update_csr_on_binary_pre(w, ix, ptr, s2, jnp.ones(3),
                                                             0.0, 1.0, shape=(2, 3),
                                                             backend=P), d),
        "update post": (lambda w: sc.update_csr_on_binary_post(w, cix, cptr, perm,
                                                               jnp.ones(2), s3, shape=(2, 3),
                                                               backend=P), d),
        "dense update": (lambda w: sc.update_dense_on_binary_post(w, jnp.ones(2), s3,
                                                                  backend=P), jnp.ones((2, 3))),
        "yw2y": (lambda y: sc.csrmv_yw2y(y, d, ix, ptr, shape=(2, 3), transpose=True,
                                         backend=P), jnp.ones(3)),
    }


def _abstract_gpu():
    """Context naming an H100 as the target device (newer jax asks which GPU it lowers for)."""
    device = getattr(jax.sharding, "AbstractDevice", None)
    if device is None:
        return contextlib.nullcontext()
    gpu = device(device_kind="NVIDIA H100", num_cores=None, platform="gpu")
    return jax.sharding.use_abstract_mesh(
        jax.sharding.AbstractMesh((1,), ("d",), abstract_device=gpu))


def test_kernels_lower_through_triton_for_cuda():
    # cross-platform lowering runs Pallas' Triton lowering on this CPU host: it catches
    # what Triton refuses (block shapes, scatter/atomic forms, dtypes) without a GPU
    for name, (fn, x) in _triton_cases().items():
        try:
            with _abstract_gpu():
                text = jax.jit(fn).trace(x).lower(lowering_platforms=("cuda",)).as_text()
        except ImportError as exc:  # a jaxlib without the Triton bindings
            pytest.skip(f"no Triton lowering here: {exc}")
        assert "xla.gpu.triton" in text, name


def test_kernels_compile_for_hopper_with_triton(tmp_path, monkeypatch):
    """Each kernel's Triton module through Triton's own compiler, to PTX for sm_90.

    The step after lowering, which XLA runs only on a GPU: it refuses operations that
    lower but have no GPU instruction (a vector of ``lax.clz`` did).  Needs the
    ``triton`` package; CI installs it in the newest-jax run.
    """
    triton = pytest.importorskip("triton")
    from jax._src.pallas.triton import lowering
    from triton.backends.compiler import GPUTarget
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path / "cache"))
    modules, lower = [], lowering.lower_jaxpr_to_triton_module

    def capture(*args, **kwargs):
        result = lower(*args, **kwargs)
        modules.append(result.module.operation.get_asm(enable_debug_info=False))
        return result

    monkeypatch.setattr(lowering, "lower_jaxpr_to_triton_module", capture)
    for name, (fn, x) in _triton_cases().items():
        modules.clear()
        with _abstract_gpu():
            jax.jit(fn).trace(x).lower(lowering_platforms=("cuda",))
        assert modules, name
        for i, text in enumerate(modules):
            path = tmp_path / f"{name.replace(' ', '_')}_{i}.ttir"
            path.write_text(text)
            ptx = triton.compile(str(path), target=GPUTarget("cuda", 90, 32)).asm["ptx"]
            assert ".entry" in ptx, name


def test_clz_by_halving_is_lax_clz():
    from sparsecore.kernels import _prng
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.integers(1, 2**32, 20000, dtype=np.uint64),
                        [1 << k for k in range(32)], [(1 << k) - 1 for k in range(1, 33)],
                        [(1 << k) + 1 for k in range(1, 32)]]).astype(np.uint32)
    np.testing.assert_array_equal(jax.jit(_prng.clz_by_halving)(v), jax.lax.clz(v))


def test_gpu_benchmark_smoke(tmp_path, capsys):
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), os.pardir, "bench", "gpu.py")
    spec = importlib.util.spec_from_file_location("bench_gpu", path)
    gpu = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu)
    if not gpu.gpu_available():  # the full run is a message here, not a failure
        assert gpu.main([]) == 0
        assert "no GPU found" in capsys.readouterr().out
    png = tmp_path / "gpu.png"
    assert gpu.main(["--smoke", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "sparsecore[pallas]" in out and "ms/step" in out
    assert png.exists() or "matplotlib is not installed" in out


def test_harness_grads_and_vmap_on_pallas(rng):
    # the format-generic checks of the other suites: jvp/vjp/jacfwd/jacrev and vmap
    data, indices, indptr, dense = _csr_buffers(rng, (5, 4), density=0.5)
    W = sc.CSR((data, indices, indptr), shape=(5, 4))
    check_grads(W, rng, backend=P)
    check_vmap(W, dense, rng, backend=P, sides=("left",))
