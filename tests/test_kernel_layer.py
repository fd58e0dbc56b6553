"""The kernel layer behind CSR/CSC: primitives, backends, numba FFI handlers."""
from __future__ import annotations

import re
import subprocess
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from sparsecore.kernels import _ffi
from sparsecore.kernels._primitive import resolve_backend
from sparsecore.kernels.csr import csr_product, csrmm_p, csrmv_p
from harness import assert_close

DATA = jnp.array([1., 2., 3., 4.])
INDICES = jnp.array([0, 2, 1, 2], jnp.int32)
INDPTR = jnp.array([0, 2, 2, 4], jnp.int32)  # row 1 empty; shape (3, 3)
DENSE = np.array([[1., 0., 2.], [0., 0., 0.], [0., 3., 4.]])


def _primitives(jaxpr):
    """Names of every primitive in a (closed) jaxpr, sub-jaxprs included."""
    names = []
    for eqn in jaxpr.eqns:
        names.append(eqn.primitive.name)
        for param in eqn.params.values():
            sub = getattr(param, "jaxpr", None)
            if sub is not None:
                names += _primitives(getattr(sub, "jaxpr", sub))
    return names


def test_import_does_not_import_numba():
    code = "import sparsecore, sys; assert 'numba' not in sys.modules, 'numba imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# ---------------------------------------------------------------------------
# backend choice
# ---------------------------------------------------------------------------

def test_resolve_backend():
    assert resolve_backend("jax", np.float32, op="t") == "jax"
    assert resolve_backend("numba", np.float32, op="t") == "numba"
    assert resolve_backend(None, np.float32, op="t") == "numba"  # CPU
    assert resolve_backend(None, np.float64, op="t") == "numba"
    assert resolve_backend(None, jnp.float16, op="t") == "jax"
    assert resolve_backend(None, jnp.bfloat16, op="t") == "jax"
    with pytest.raises(ValueError, match="backend='cuda' is not one of"):
        resolve_backend("cuda", np.float32, op="t")
    with pytest.raises(ValueError, match="backend='numba' supports float32 and float64 values, "
                                         "got float16; use backend='jax'"):
        resolve_backend("numba", jnp.float16, op="t")


def test_numba_unavailable_falls_back_to_reference(monkeypatch):
    monkeypatch.setattr(_ffi, "numba_available", lambda: False)
    assert resolve_backend(None, np.float32, op="t") == "jax"
    assert resolve_backend("numba", np.float32, op="t") == "jax"


def test_backend_is_a_static_parameter_of_the_primitive():
    v = jnp.ones(3)
    for backend, expected in ((None, "numba"), ("jax", "jax"), ("numba", "numba")):
        jaxpr = jax.make_jaxpr(lambda d, x: sc.csrmv(d, INDICES, INDPTR, x, shape=(3, 3),
                                                    backend=backend))(DATA, v)
        eqns = [e for e in jaxpr.jaxpr.eqns if e.primitive is csrmv_p]
        assert len(eqns) == 1
        params = eqns[0].params
        assert params["backend"] == expected
        assert params["shape"] == (3, 3) and params["transpose"] is False
        assert params["event"] is False
    W = sc.CSR((DATA, INDICES, INDPTR), shape=(3, 3))
    jaxpr = jax.make_jaxpr(lambda A, s: s @ A)(W, jnp.ones(3, bool))
    (eqn,) = [e for e in jaxpr.jaxpr.eqns if e.primitive is csrmv_p]
    assert eqn.params["event"] is True and eqn.params["transpose"] is True
    # index arrays are operands (leaves), never baked into the program as parameters
    assert all(not isinstance(p, (np.ndarray, jax.Array)) for p in eqn.params.values())


def test_abstract_evaluation():
    for transpose, k, out in ((False, 5, 3), (True, 3, 5)):
        shape = (3, 5)
        y = jax.eval_shape(lambda x: csr_product(DATA, INDICES, INDPTR, x, shape=shape,
                                                 transpose=transpose, event=False,
                                                 backend="jax"),
                           jax.ShapeDtypeStruct((k, 7), jnp.float32))
        assert y.shape == (out, 7) and y.dtype == jnp.float32
    y = jax.eval_shape(lambda x: csrmv_p.bind(DATA, INDICES, INDPTR, x, shape=(3, 5),
                                              transpose=True, event=True, backend="jax"),
                       jax.ShapeDtypeStruct((3,), jnp.bool_))
    assert y.shape == (5,) and y.dtype == jnp.float32


# ---------------------------------------------------------------------------
# batching rule: vmapped matrix-vector products become one matrix-matrix product
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("in_axes", [0, 1])
def test_vmap_of_mv_is_one_mm(in_axes):
    def f(x):
        return sc.csrmv(DATA, INDICES, INDPTR, x, shape=(3, 3), backend="numba")

    xs = jnp.arange(12.0).reshape(4, 3)
    xs = xs if in_axes == 0 else xs.T
    jaxpr = jax.make_jaxpr(jax.vmap(f, in_axes=in_axes))(xs)
    names = _primitives(jaxpr.jaxpr)
    assert names.count("csrmm") == 1 and "csrmv" not in names
    assert not {"while", "scan"} & set(names)
    nested = jax.make_jaxpr(jax.vmap(jax.vmap(f)))(jnp.ones((2, 4, 3)))
    names = _primitives(nested.jaxpr)
    assert names.count("csrmm") == 1 and not {"while", "scan", "csrmv"} & set(names)
    out = jax.vmap(f, in_axes=in_axes)(xs)
    assert_close(out, (np.asarray(xs if in_axes == 0 else xs.T)) @ DENSE.T)


# ---------------------------------------------------------------------------
# numba kernels through the FFI
# ---------------------------------------------------------------------------

def test_one_handler_serves_every_shape(rng):
    """Handlers depend on (kernel, dtypes, flags), not on the matrix shape or nnz."""
    W = sc.CSR((DATA, INDICES, INDPTR), shape=(3, 3))
    W.dot(jnp.ones(3), backend="numba")
    before = set(_ffi._targets)
    for m, n, nnz in ((7, 4, 5), (2, 9, 0), (0, 3, 0)):
        rows = np.sort(rng.integers(0, max(m, 1), nnz))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=m))]).astype(np.int32)
        V = sc.CSR((np.ones(nnz, np.float32), rng.integers(0, n, nnz), indptr), shape=(m, n))
        dense = np.asarray(V.todense(), np.float64)
        assert_close(V.dot(jnp.ones(n), backend="numba"), dense.sum(axis=1))
    assert set(_ffi._targets) == before


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("matrix", [False, True], ids=["mv", "mm"])
def test_numba_refuses_out_of_range_indices_under_jit(transpose, matrix):
    x = jnp.ones((3, 2) if matrix else 3)
    op = sc.csrmm if matrix else sc.csrmv

    @jax.jit
    def f(indices, indptr):  # traced: construction-time value checks cannot run
        return op(DATA, indices, indptr, x, shape=(3, 3), transpose=transpose, backend="numba")

    good = np.asarray(f(INDICES, INDPTR))
    assert_close(good, (DENSE.T if transpose else DENSE) @ np.asarray(x, np.float64))
    for indices, indptr in ((INDICES.at[1].set(3), INDPTR),     # column past the end
                            (INDICES.at[0].set(-1), INDPTR),    # negative column
                            (INDICES, INDPTR.at[3].set(9)),     # row pointer past nnz
                            (INDICES, INDPTR.at[0].set(-2))):   # row pointer before 0
        with pytest.raises(Exception, match="indices or indptr point outside the matrix"):
            jax.block_until_ready(f(indices, indptr))


@pytest.mark.parametrize("transpose", [False, True], ids=["gather", "scatter"])
@pytest.mark.parametrize("fixed", [False, True], ids=["csr", "fixed"])
def test_numba_gather_refuses_a_bad_index_in_a_later_block(fixed, transpose):
    """Gathers check their indices four at a time as they read them, float scatters a
    block of rows at a time before they write: one outside the matrix in the last row of
    a product of several blocks still fails it, wherever it sits in that row (in a group
    of four or in the row's tail)."""
    from sparsecore.kernels import _loops
    m, per_row = 3 * _loops._CHECK_BLOCK // 100, 102  # 102 = 25 groups of four + 2
    indices = np.tile(np.arange(per_row, dtype=np.int32), m)
    x = jnp.ones(m if transpose else per_row)

    @jax.jit
    def f(indices):
        if fixed:
            return sc.fcnmv(jnp.ones((m, per_row)), indices.reshape(m, per_row), x,
                            shape=(m, per_row), transpose=transpose, backend="numba")
        indptr = jnp.arange(m + 1, dtype=jnp.int32) * per_row
        return sc.csrmv(jnp.ones(m * per_row), indices, indptr, x, shape=(m, per_row),
                        transpose=transpose, backend="numba")

    expected = np.full(per_row, m) if transpose else np.full(m, per_row)
    np.testing.assert_array_equal(f(jnp.asarray(indices)), expected)
    for position in (-1, -per_row + 1, -per_row + 3):  # tail; second and fourth of a group
        for bad in (per_row, -1):
            with pytest.raises(Exception, match="point outside the matrix"):
                jax.block_until_ready(f(jnp.asarray(indices).at[position].set(bad)))


@pytest.mark.parametrize("fixed", [False, True], ids=["csr", "fixed"])
def test_numba_gather_that_streams_from_memory(rng, fixed):
    """A gather reading more indices and weights than ``_loops._STREAMING_BYTES`` checks
    its indices as it reads them: float, event and homogeneous products agree with scipy,
    and an index outside the matrix, in a group of four or in a row's tail, fails it."""
    import scipy.sparse
    from sparsecore.kernels import _loops
    m, n, per_row = 20_000, 5_000, 101  # 101 = 25 groups of four + 1
    assert m * per_row * 8 > _loops._STREAMING_BYTES  # int32 indices, float32 weights
    indices = rng.integers(0, n, (m, per_row)).astype(np.int32)
    data = rng.normal(size=(m, per_row)).astype(np.float32)
    indptr = np.arange(m + 1, dtype=np.int32) * per_row
    host = scipy.sparse.csr_matrix((data.ravel().astype(np.float64), indices.ravel(), indptr),
                                   shape=(m, n))
    x = rng.normal(size=n).astype(np.float32)
    spikes = rng.random(n) < 0.05

    def product(data, indices, operand):
        if fixed:
            return sc.fcnmv(data, indices, operand, shape=(m, n), backend="numba")
        return sc.csrmv(data.ravel(), indices.ravel(), jnp.asarray(indptr), operand,
                        shape=(m, n), backend="numba")

    f = jax.jit(product)
    d, i = jnp.asarray(data), jnp.asarray(indices)
    assert_close(f(d, i, jnp.asarray(x)), host @ x.astype(np.float64), tol=(1e-4, 1e-4))
    assert_close(f(d, i, jnp.asarray(spikes)), host @ spikes.astype(np.float64),
                 tol=(1e-4, 1e-4))
    if not fixed:  # one weight for every entry
        assert_close(f(jnp.asarray([0.5], jnp.float32), i, jnp.asarray(x)),
                     0.5 * (scipy.sparse.csr_matrix((np.ones(m * per_row), indices.ravel(),
                                                     indptr), shape=(m, n)) @ x),
                     tol=(1e-4, 1e-4))
    for row, col in ((m - 1, per_row - 1), (m - 1, 1), (m // 2, 3)):
        for bad in (n, -1):
            with pytest.raises(Exception, match="point outside the matrix"):
                jax.block_until_ready(f(d, i.at[row, col].set(bad), jnp.asarray(x)))


@pytest.mark.parametrize("columns", [None, 3], ids=["vector", "matrix"])
@pytest.mark.parametrize("indexed", [False, True], ids=["plain", "indexed"])
def test_numba_event_scatter_refuses_a_bad_row_before_writing_it(indexed, columns):
    """The event scatter checks each active row's indices (and weight positions) before
    it adds the row: a bad entry anywhere in the last active row fails the product,
    for a spike vector and for a spike matrix (its events in different columns)."""
    from sparsecore.kernels.csr import csr_indexed_product
    m, per_row, n = 40, 30, 50  # 1200 entries: more than the flat loop of small products
    indices = np.tile(np.arange(per_row, dtype=np.int32), m)
    indptr = jnp.arange(m + 1, dtype=jnp.int32) * per_row
    data = jnp.arange(m * per_row, dtype=jnp.float32)
    positions = np.arange(m * per_row, dtype=np.int32)[::-1].copy()
    if columns is None:
        spikes = jnp.zeros(m, bool).at[jnp.array([3, m - 1])].set(True)
    else:
        spikes = jnp.zeros((m, columns), bool).at[jnp.array([3, m - 1]),
                                                  jnp.array([0, columns - 1])].set(True)

    @jax.jit
    def f(indices, positions):
        if indexed:
            return csr_indexed_product(data, indices, indptr, positions, spikes, shape=(m, n),
                                       transpose=True, event=True, backend="numba")
        product = sc.binary_csrmv if columns is None else sc.binary_csrmm
        return product(data, indices, indptr, spikes, shape=(m, n), transpose=True,
                       backend="numba")

    weights = np.asarray(data)[positions] if indexed else np.asarray(data)
    dense = np.zeros((m, n))
    dense[np.repeat(np.arange(m), per_row), indices] = weights
    assert_close(f(jnp.asarray(indices), jnp.asarray(positions)), dense.T @ np.asarray(spikes))
    last_row = slice((m - 1) * per_row, m * per_row)
    for k in (last_row.start, last_row.stop - 1):
        for bad in (n, -1):
            with pytest.raises(Exception, match="outside"):
                jax.block_until_ready(f(jnp.asarray(indices).at[k].set(bad),
                                        jnp.asarray(positions)))
            if indexed:
                with pytest.raises(Exception, match="outside"):
                    jax.block_until_ready(f(jnp.asarray(indices), jnp.asarray(positions).at[k]
                                            .set(m * per_row if bad == n else -1)))


@pytest.mark.parametrize("n", [1001, 1024])
def test_numba_event_scan_finds_every_spike(rng, n):
    """The transposed event product finds its active rows eight bools per word: spikes at
    the first and last byte of a word, in the bytes past the last whole word, next to
    each other and alone all reach the result."""
    per_row = 3
    indices = jnp.asarray(rng.integers(0, 50, (n, per_row)), jnp.int32)
    data = jnp.asarray(rng.normal(size=(n, per_row)), jnp.float32)
    dense = np.zeros((n, 50))
    np.add.at(dense, (np.repeat(np.arange(n), per_row), np.asarray(indices).ravel()),
              np.asarray(data, np.float64).ravel())
    f = jax.jit(lambda s: sc.binary_fcnmv(data, indices, s, shape=(n, 50), transpose=True,
                                          backend="numba"))
    for active in ([0], [7], [8], [7, 8], [63, 64], [n - 1], [n - 2, n - 1],
                   list(range(0, n, 9)), list(range(n))):
        spikes = np.zeros(n, bool)
        spikes[active] = True
        assert_close(f(jnp.asarray(spikes)), spikes @ dense, jnp.float32, err_msg=str(active))


@pytest.mark.parametrize("columns", [2, 3, 8])
def test_numba_matrix_event_scan_finds_every_spike(rng, columns):
    """A spike matrix (k, b) is scanned for events as one run of ``k * b`` bools, eight
    per word: events at the first and last byte of a word, in the bytes past the last
    whole word, in the first and last column and in several columns of one row all
    reach the result, and every other row is skipped."""
    n = 333  # odd: k * b bools end in a partial word unless b is a multiple of 8
    per_row = 3
    indices = jnp.asarray(rng.integers(0, 50, (n, per_row)), jnp.int32)
    data = jnp.asarray(rng.normal(size=(n, per_row)), jnp.float32)
    dense = np.zeros((n, 50))
    np.add.at(dense, (np.repeat(np.arange(n), per_row), np.asarray(indices).ravel()),
              np.asarray(data, np.float64).ravel())
    f = jax.jit(lambda s: sc.binary_fcnmm(data, indices, s, shape=(n, 50), transpose=True,
                                          backend="numba"))
    flat_size = n * columns
    for active in ([0], [7], [8], [7, 8], [63, 64], [flat_size - 1],
                   [flat_size - 2, flat_size - 1], list(range(columns)),
                   list(range(0, flat_size, 9)), list(range(flat_size))):
        spikes = np.zeros(flat_size, bool)
        spikes[active] = True
        spikes = spikes.reshape(n, columns)
        assert_close(f(jnp.asarray(spikes)), dense.T @ spikes,
                     jnp.float32, err_msg=str(active))
    assert_close(f(jnp.zeros((n, columns), bool)), np.zeros((50, columns)), jnp.float32)


@pytest.mark.parametrize("m, n, nnz", [(9, 7, 30), (90, 70, 3000)], ids=["small", "large"])
def test_numba_kernel_variants_agree_with_reference(rng, m, n, nnz):
    """Every static-flag variant (transpose, event, homogeneous) of both kernels, on a
    product small enough for the kernels' flat loop and on one that takes the block loops
    (more entries than ``_loops._SMALL``)."""
    from sparsecore.kernels import _loops
    assert (nnz <= _loops._SMALL) == (nnz == 30)
    rows = np.sort(rng.integers(0, m, nnz))
    indptr = jnp.asarray(np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=m))]),
                         jnp.int32)
    indices = jnp.asarray(rng.integers(0, n, nnz), jnp.int32)  # duplicates likely
    per_entry = jnp.asarray(rng.normal(size=nnz), jnp.float32)
    cases = []
    for data in (per_entry, jnp.array([0.5], jnp.float32)):
        for transpose in (False, True):
            k = m if transpose else n
            for event, x in ((False, rng.normal(size=k)), (True, rng.random(k) < 0.5),
                             (True, rng.choice([-1.0, 0.0, 1.0], k))):
                x = jnp.asarray(x) if x.dtype == bool else jnp.asarray(x, jnp.float32)
                cases.append((data, transpose, event, x))
                cases.append((data, transpose, event, jnp.stack([x, x[::-1]], axis=1)))
                cases.append((data, transpose, event,
                              jnp.stack([x, x[::-1], jnp.roll(x, 1), x[::-1], x], axis=1)))

    # bind through jit with the arrays as arguments; flags stay static
    def bound(backend):
        fn = jax.jit(lambda ds, xs: [
            csr_product(d, indices, indptr, x, shape=(m, n), transpose=t, event=e,
                        backend=backend) for d, (_, t, e, _), x in zip(ds, cases, xs)])
        return fn([c[0] for c in cases], [c[3] for c in cases])

    numba_out, ref_out = bound("numba"), bound("jax")
    for (data, transpose, event, x), a, b in zip(cases, numba_out, ref_out):
        assert_close(a, b, np.float32, err_msg=f"T={transpose} event={event} x={x.dtype}")
        values = np.broadcast_to(np.asarray(data, np.float64), (nnz,))
        dense = np.zeros((m, n))
        np.add.at(dense, (rows, np.asarray(indices)), values)
        xv = np.asarray(x)
        xv = (xv > 0).astype(np.float64) if event else xv.astype(np.float64)
        assert_close(a, (dense.T if transpose else dense) @ xv, np.float32)


def _one_column_matrix(rng, family):
    """A 40 x 30 matrix of ``family``: "csr", "fixed" (either with " indexed") or "jitc"."""
    m, n, nnz = 40, 30, 300
    if family == "jitc":
        return sc.JITCNormalR((1.0, 0.1, 0.2, 7), shape=(m, n))
    if family.startswith("csr"):
        rows = np.sort(rng.integers(0, m, nnz))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=m))])
        W = sc.CSR((rng.normal(size=nnz).astype(np.float32), rng.integers(0, n, nnz),
                    indptr.astype(np.int32)), shape=(m, n))
    else:
        W = sc.FixedPostNumConn((rng.normal(size=(m, 6)).astype(np.float32),
                                 np.stack([rng.choice(n, 6, replace=False) for _ in range(m)])),
                                shape=(m, n))
    return W.with_column_index() if family.endswith("indexed") else W


@pytest.mark.parametrize("family", ["csr", "csr indexed", "fixed", "fixed indexed", "jitc"])
def test_one_column_matrix_runs_the_vector_kernel(rng, family):
    """A ``(k, 1)`` operand runs the vector kernel and keeps the matrix product's result and
    shape: float and event operands, on both sides."""
    W = _one_column_matrix(rng, family)
    dense = np.asarray(W.todense(), np.float64)
    m, n = dense.shape
    operands = [("right", rng.normal(size=(n, 1)).astype(np.float32)),
                ("right", rng.random((n, 1)) < 0.3), ("right", np.zeros((n, 1), bool)),
                ("left", rng.normal(size=(m, 1)).astype(np.float32)),
                ("left", rng.random((m, 1)) < 0.3)]
    for side, x in operands:
        f = jax.jit((lambda W, x: W @ x) if side == "right" else (lambda W, x: x.T @ W))
        kernels = re.findall(r"custom_call @sparsecore_(\w+)_kernel_", f.lower(W, x).as_text())
        assert kernels and all(re.search(r"mv(_indexed)?$", k) for k in kernels), kernels
        y = f(W, x)
        xf = x.astype(np.float64)
        expected = dense @ xf if side == "right" else xf.T @ dense
        assert y.shape == expected.shape
        assert_close(y, expected, np.float32, err_msg=f"{side} {x.dtype}")


def test_one_column_matrix_keeps_the_matrix_products_error():
    x = jnp.ones((3, 1))

    @jax.jit
    def f(indices):
        return sc.csrmm(DATA, indices, INDPTR, x, shape=(3, 3), backend="numba")

    assert_close(f(INDICES), DENSE @ np.ones((3, 1)))
    with pytest.raises(Exception, match="csrmm: indices or indptr point outside the matrix"):
        jax.block_until_ready(f(INDICES.at[1].set(3)))


def test_transpose_rule_uses_the_same_primitive():
    """Reverse mode of W @ v w.r.t. v is W.T @ ct on the same primitive (no densifying)."""
    f = lambda x: sc.csrmv(DATA, INDICES, INDPTR, x, shape=(3, 3), backend="numba")  # noqa
    jaxpr = jax.make_jaxpr(lambda x, ct: jax.vjp(f, x)[1](ct))(jnp.ones(3), jnp.ones(3))
    eqns = [e for e in jaxpr.jaxpr.eqns if e.primitive is csrmv_p]
    assert [e.params["transpose"] for e in eqns] == [False, True]  # forward, then W.T @ ct
    assert all(e.params["backend"] == "numba" for e in eqns)
    g = jax.grad(lambda x: f(x) @ jnp.arange(3.0))(jnp.ones(3))
    assert_close(g, DENSE.T @ np.arange(3.0))


def test_float64_through_numba(x64, rng):
    data = DATA.astype(jnp.float64)
    x = jnp.asarray(rng.normal(size=3))
    assert x.dtype == jnp.float64
    for transpose in (False, True):
        out = sc.csrmv(data, INDICES, INDPTR, x, shape=(3, 3), transpose=transpose,
                       backend="numba")
        assert out.dtype == jnp.float64
        assert_close(out, (DENSE.T if transpose else DENSE) @ np.asarray(x))


def test_ffi_bridge_reports_a_known_header_version():
    assert _ffi.ffi_api_version() is not None
    assert _ffi.numba_available()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _ffi.numba_available()  # checked once; no further warnings


def test_primitives_are_distinct_for_vector_and_matrix():
    assert csrmv_p is not csrmm_p
    assert csrmv_p.name == "csrmv" and csrmm_p.name == "csrmm"


def test_event_kernel_visits_only_the_rows_of_active_inputs():
    """``spikes @ W`` never reads the rows of inactive inputs.

    Row 0 holds an out-of-range column index (hidden from the construction
    checks by jit). The numba kernel would refuse it if it read that row; with
    input 0 silent it must not read it at all.
    """
    bad = INDICES.at[0].set(99)

    @jax.jit
    def f(indices, spikes):
        return sc.binary_csrmv(DATA, indices, INDPTR, spikes, shape=(3, 3), transpose=True,
                               backend="numba")

    silent_row0 = jnp.array([False, True, True])
    assert_close(f(bad, silent_row0), np.array([0., 1., 1.]) @ DENSE)
    with pytest.raises(Exception, match="indices or indptr point outside the matrix"):
        jax.block_until_ready(f(bad, jnp.array([True, False, False])))


@pytest.mark.parametrize("n_rows", [1, 7, 8, 9, 16, 17, 65])
def test_event_scatter_finds_every_active_input(rng, n_rows):
    """The event scatter skips silent inputs eight at a time; an event on either side
    of a word boundary, in the tail, or in every row is still found."""
    dense = rng.uniform(0.5, 1.5, (n_rows, 5)) * (rng.random((n_rows, 5)) < 0.6)
    W = sc.CSR.fromdense(jnp.asarray(dense, jnp.float32))
    patterns = [np.zeros(n_rows, bool), np.ones(n_rows, bool)]
    for r in sorted({0, 7, 8, 15, 16, n_rows - 1} & set(range(n_rows))):
        single = np.zeros(n_rows, bool)
        single[r] = True
        patterns.append(single)
    for spikes in patterns:
        expected = spikes.astype(np.float64) @ dense
        assert_close(W.rdot(jnp.asarray(spikes), backend="numba"), expected)
        floats = jnp.asarray(np.where(spikes, 2.0, -1.0), jnp.float32)  # events: x > 0
        got = sc.binary_csrmv(W.data, W.indices, W.indptr, floats, shape=W.shape,
                              transpose=True, backend="numba")
        assert_close(got, expected)


def test_kernel_cache_is_stamped_with_every_kernel_source():
    """numba stamps a cached function with its own file only; a kernel calling a
    loop of another module must be recompiled when that loop changes."""
    from sparsecore.kernels import _loops, _njit_cache

    locator = _loops.rows_mv._cache._impl.locator
    assert _njit_cache.sources_digest() in locator.get_source_stamp()
    assert type(locator).__name__.startswith("Kernel")

    import numba

    @numba.njit(cache=True)
    def outside(x):  # a function of another package keeps numba's own locator
        return x

    assert not type(outside._cache._impl.locator).__name__.startswith("Kernel")


def test_kernel_cache_saves_are_safe_across_processes(tmp_path):
    """A save rereads the index under a lock and writes the data before the index:
    a variant saved by another process meanwhile is kept, and an index entry
    never names a data file that was not written."""
    from sparsecore.kernels import _loops
    from sparsecore.kernels._njit_cache import njit

    @njit
    def kernel(x):
        return x

    cache_file = kernel._cache._cache_file
    assert type(cache_file).__name__.startswith("Safe")
    assert type(_loops.rows_mv._cache._cache_file) is type(cache_file)

    first = type(cache_file)(str(tmp_path), "f", "stamp")
    second = type(cache_file)(str(tmp_path), "f", "stamp")  # another process's view
    first.save("a", b"A")
    second.save("b", b"B")  # saved after reading nothing of "a" until its lock
    assert (first.load("a"), first.load("b")) == (b"A", b"B")
    assert len({first._load_index()[k] for k in "ab"}) == 2  # two data files

    def failing(name, data):
        raise OSError("disk full")

    second._save_data = failing
    with pytest.raises(OSError):
        second.save("c", b"C")
    assert "c" not in first._load_index()  # no entry without its data
