"""Spike-triggered weight updates and csrmv_yw2y against dense Python-loop oracles."""
from __future__ import annotations

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import assert_close

BOUNDS = [(None, None), (-0.6, 0.9), (None, 0.9), (-0.6, None)]


# ---------------------------------------------------------------------------
# structures and oracles
# ---------------------------------------------------------------------------

def coo(rng, shape, density=0.4, *, duplicates=True, empty_rows=(0,), empty_cols=(1,)):
    """Random (rows, cols) with duplicates and empty lines; values in [-1, 1]."""
    m, n = shape
    mask = rng.random(shape) < density
    for r in empty_rows:
        if r < m:
            mask[r] = False
    for c in empty_cols:
        if c < n:
            mask[:, c] = False
    rows, cols = np.nonzero(mask)
    if duplicates and rows.size:
        pick = rng.integers(0, rows.size, size=max(1, rows.size // 4))
        rows, cols = np.concatenate([rows, rows[pick]]), np.concatenate([cols, cols[pick]])
    return rows, cols


def compress(major, minor, n_major):
    """Compressed arrays keeping duplicates: (indices, indptr, order into the input)."""
    order = np.lexsort((minor, major))
    indptr = np.searchsorted(major[order], np.arange(n_major + 1)).astype(np.int32)
    return minor[order].astype(np.int32), indptr, order


def loop_update(rows, cols, w, spike, trace, lo, hi, *, on_pre):
    """The oracle: a Python loop over stored entries (position k at (rows[k], cols[k]))."""
    out = np.array(w, dtype=np.float64)
    for k in range(len(out)):
        who, other = (rows[k], cols[k]) if on_pre else (cols[k], rows[k])
        if spike[who] != 0:
            v = out[k] + trace[other]
            if lo is not None:
                v = max(v, lo)
            if hi is not None:
                v = min(v, hi)
            out[k] = v
    return out


def spikes(rng, n, kind):
    s = rng.random(n) < 0.5
    if kind == "bool":
        return s
    return np.where(s, rng.choice([1.0, -2.5, 0.3], n), 0.0).astype(np.float32)


class Case:
    """A random CSR matrix (duplicates, empty rows/cols) and its CSC twin."""

    def __init__(self, rng, shape=(7, 6), dtype=np.float32, **kw):
        self.shape = shape
        rows, cols = coo(rng, shape, **kw)
        self.indices, self.indptr, order = compress(rows, cols, shape[0])
        self.rows, self.cols = rows[order], cols[order]  # CSR storage order
        self.w = rng.uniform(-1, 1, len(self.rows)).astype(dtype)
        self.csc_indices, self.csc_indptr, corder = compress(cols, rows, shape[1])
        self.csc_rows, self.csc_cols = rows[corder], cols[corder]
        self.csc_w = rng.uniform(-1, 1, len(self.csc_rows)).astype(dtype)


# ---------------------------------------------------------------------------
# functional CSR / CSC updates
# ---------------------------------------------------------------------------

def _run(fn, jit, *args):
    return jax.jit(fn)(*args) if jit else fn(*args)


@pytest.mark.parametrize("bounds, spike_kind", list(zip(BOUNDS, ["bool", "float"] * 2)))
@pytest.mark.parametrize("which", ["csr_pre", "csr_post", "csc_pre", "csc_post"])
def test_compressed_updates_match_loop(rng, which, bounds, spike_kind, backend):
    c = Case(rng)
    m, n = c.shape
    lo, hi = bounds
    on_pre = which.endswith("pre")
    spike = spikes(rng, m if on_pre else n, spike_kind)
    trace = rng.normal(size=n if on_pre else m).astype(np.float32)
    if which == "csr_pre":
        fn = lambda w, s, t: sc.update_csr_on_binary_pre(w, c.indices, c.indptr, s, t, lo, hi,
                                                         shape=c.shape, backend=backend)
        w, rows, cols = c.w, c.rows, c.cols
    elif which == "csr_post":
        cp, ci, wi = sc.csr_to_csc_index(c.indptr, c.indices, shape=c.shape)
        fn = lambda w, s, t: sc.update_csr_on_binary_post(w, ci, cp, wi, t, s, lo, hi,
                                                          shape=c.shape, backend=backend)
        w, rows, cols = c.w, c.rows, c.cols
    elif which == "csc_post":
        fn = lambda w, s, t: sc.update_csc_on_binary_post(w, c.csc_indices, c.csc_indptr, t, s,
                                                          lo, hi, shape=c.shape, backend=backend)
        w, rows, cols = c.csc_w, c.csc_rows, c.csc_cols
    else:
        fn = lambda w, s, t: sc.update_csc_on_binary_pre(w, c.csc_indices, c.csc_indptr, s, t,
                                                         lo, hi, shape=c.shape, backend=backend)
        w, rows, cols = c.csc_w, c.csc_rows, c.csc_cols
    expected = loop_update(rows, cols, w, spike, trace, lo, hi, on_pre=on_pre)
    for jit in (False, True):
        assert_close(_run(fn, jit, jnp.asarray(w), spike, trace), expected)


@pytest.mark.parametrize("which", ["pre", "post"])
def test_float64(rng, x64, which, backend):
    c = Case(rng, dtype=np.float64)
    m, n = c.shape
    spike = spikes(rng, m if which == "pre" else n, "float")
    trace = rng.normal(size=n if which == "pre" else m)
    if which == "pre":
        out = sc.update_csr_on_binary_pre(c.w, c.indices, c.indptr, spike, trace, -0.5, 0.5,
                                          shape=c.shape, backend=backend)
    else:
        cp, ci, wi = sc.csr_to_csc_index(c.indptr, c.indices, shape=c.shape)
        out = sc.update_csr_on_binary_post(c.w, ci, cp, wi, trace, spike, -0.5, 0.5,
                                           shape=c.shape, backend=backend)
    assert out.dtype == np.float64
    assert_close(out, loop_update(c.rows, c.cols, c.w, spike, trace, -0.5, 0.5,
                                  on_pre=which == "pre"))


def test_csr_to_csc_index_matches_scipy(rng):
    c = Case(rng, duplicates=False)
    cp, ci, wi = sc.csr_to_csc_index(c.indptr, c.indices, shape=c.shape)
    ref = __import__("scipy.sparse", fromlist=["x"]).csr_array(
        (np.arange(len(c.w)) + 1.0, c.indices, c.indptr), shape=c.shape).tocsc()
    np.testing.assert_array_equal(cp, ref.indptr)
    np.testing.assert_array_equal(ci, ref.indices)
    np.testing.assert_array_equal(np.asarray(wi) + 1, ref.data)
    jitted = jax.jit(lambda p, i: sc.csr_to_csc_index(p, i, shape=c.shape))(c.indptr, c.indices)
    for a, b in zip(jitted, (cp, ci, wi)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(0, 0), (0, 4), (3, 0), (4, 5)])
def test_degenerate(shape, backend):
    m, n = shape
    indices, indptr = np.zeros(0, np.int32), np.zeros(m + 1, np.int32)
    w = jnp.zeros(0)
    out = sc.update_csr_on_binary_pre(w, indices, indptr, np.ones(m, bool), np.ones(n), 0, 1,
                                      shape=shape, backend=backend)
    assert out.shape == (0,)
    cp, ci, wi = sc.csr_to_csc_index(indptr, indices, shape=shape)
    out = sc.update_csr_on_binary_post(w, ci, cp, wi, np.ones(m), np.ones(n, bool),
                                       shape=shape, backend=backend)
    assert out.shape == (0,) and cp.shape == (n + 1,)
    dense = sc.update_dense_on_binary_pre(jnp.zeros(shape), np.ones(m, bool), np.ones(n),
                                          backend=backend)
    assert dense.shape == shape


@pytest.mark.parametrize("fill", [False, True])
def test_all_or_no_spikes(rng, fill, backend):
    c = Case(rng)
    m, n = c.shape
    trace = rng.normal(size=n).astype(np.float32)
    out = sc.update_csr_on_binary_pre(c.w, c.indices, c.indptr, np.full(m, fill), trace,
                                      shape=c.shape, backend=backend)
    expected = c.w + trace[c.cols] if fill else c.w
    assert_close(out, expected)


# ---------------------------------------------------------------------------
# dense
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("bounds", BOUNDS[:2])
@pytest.mark.parametrize("spike_kind", ["bool", "float"])
def test_dense_updates_match_loop(rng, float_dtype, spike_kind, bounds, backend):
    m, n = 5, 4
    W = rng.normal(size=(m, n)).astype(float_dtype)
    rows, cols = np.nonzero(np.ones((m, n)))
    lo, hi = bounds
    pre, post = spikes(rng, m, spike_kind), spikes(rng, n, spike_kind)
    tpre, tpost = rng.normal(size=m).astype(float_dtype), rng.normal(size=n).astype(float_dtype)
    out = jax.jit(lambda w: sc.update_dense_on_binary_pre(w, pre, tpost, lo, hi,
                                                          backend=backend))(W)
    assert out.dtype == float_dtype
    expected = loop_update(rows, cols, W.ravel(), pre, tpost, lo, hi, on_pre=True)
    assert_close(out, expected.reshape(m, n))
    out = sc.update_dense_on_binary_post(W, tpre, post, lo, hi, backend=backend)
    expected = loop_update(rows, cols, W.ravel(), post, tpre, lo, hi, on_pre=False)
    assert_close(out, expected.reshape(m, n))


# ---------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------

def _matrices(c):
    csr = sc.CSR((c.w, c.indices, c.indptr), shape=c.shape)
    csc = sc.CSC((c.csc_w, c.csc_indices, c.csc_indptr), shape=c.shape)
    return {"csr": (csr, c.rows, c.cols, c.w), "csc": (csc, c.csc_rows, c.csc_cols, c.csc_w)}


@pytest.mark.parametrize("indexed", [False, True])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_methods(rng, fmt, indexed, backend):
    c = Case(rng)
    m, n = c.shape
    W, rows, cols, w = _matrices(c)[fmt]
    if indexed:
        W = W.with_column_index()
        assert W.column_index is not None and W.T.column_index is not None
    pre, post = spikes(rng, m, "bool"), spikes(rng, n, "float")
    tpre, tpost = rng.normal(size=m).astype(np.float32), rng.normal(size=n).astype(np.float32)

    def step(W, pre, post, tpre, tpost):
        W = W.update_on_pre(pre, tpost, w_min=-0.7, backend=backend)
        return W.update_on_post(tpre, post, w_max=0.8, backend=backend)

    expected = loop_update(rows, cols, w, pre, tpost, -0.7, None, on_pre=True)
    expected = loop_update(rows, cols, expected, post, tpre, None, 0.8, on_pre=False)
    for jit in (False, True):
        out = _run(step, jit, W, pre, post, tpre, tpost)
        assert type(out) is type(W) and out.shape == W.shape
        assert (out.column_index is not None) == indexed
        assert_close(out.data, expected)
    assert W.column_index is None or indexed  # nothing cached on the input


def test_methods_donated_in_place(rng):
    c = Case(rng, shape=(50, 40))
    W = sc.CSR((c.w, c.indices, c.indptr), shape=c.shape).with_column_index()
    step = jax.jit(lambda W, s, t: W.update_on_post(t, s), donate_argnums=0)
    pre_trace = rng.normal(size=50).astype(np.float32)
    post = spikes(rng, 40, "bool")
    expected = loop_update(c.rows, c.cols, c.w, post, pre_trace, None, None, on_pre=False)
    W = jax.tree.map(jnp.copy, W)
    pointer = W.data.unsafe_buffer_pointer()
    out = step(W, post, pre_trace)
    assert W.data.is_deleted()
    assert out.data.unsafe_buffer_pointer() == pointer  # updated in place
    assert_close(out.data, expected)


def test_donated_functional_in_place(rng):
    c = Case(rng, shape=(30, 30))
    step = jax.jit(lambda w, s, t: sc.update_csr_on_binary_pre(w, c.indices, c.indptr, s, t,
                                                               shape=c.shape, backend="numba"),
                   donate_argnums=0)
    w = jnp.array(c.w)
    pointer = w.unsafe_buffer_pointer()
    s, t = spikes(rng, 30, "bool"), rng.normal(size=30).astype(np.float32)
    out = step(w, s, t)
    assert out.unsafe_buffer_pointer() == pointer
    assert_close(out, loop_update(c.rows, c.cols, c.w, s, t, None, None, on_pre=True))


def test_scan_loop_with_methods(rng):
    c = Case(rng, shape=(20, 15))
    W = sc.CSR((c.w, c.indices, c.indptr), shape=c.shape).with_column_index()
    pres = rng.random((6, 20)) < 0.3
    posts = rng.random((6, 15)) < 0.3

    def body(W, sp):
        pre, post = sp
        W = W.update_on_pre(pre, jnp.full(15, 0.01), w_max=1.0)
        return W.update_on_post(jnp.full(20, -0.02), post, w_min=-1.0), None

    out, _ = jax.lax.scan(body, W, (pres, posts))
    expected = c.w.astype(np.float64)
    for pre, post in zip(pres, posts):
        expected = loop_update(c.rows, c.cols, expected, pre, np.full(15, 0.01), None, 1.0,
                               on_pre=True)
        expected = loop_update(c.rows, c.cols, expected, post, np.full(20, -0.02), -1.0, None,
                               on_pre=False)
    assert_close(out.data, expected)


def test_vmap_updates(rng):
    c = Case(rng)
    m, n = c.shape
    pres = rng.random((3, m)) < 0.5
    traces = rng.normal(size=(n, 3)).astype(np.float32)
    ws = np.stack([c.w, -c.w, 2 * c.w])
    fn = lambda w, s, t: sc.update_csr_on_binary_pre(w, c.indices, c.indptr, s, t, None, 1.0,
                                                     shape=c.shape)
    out = jax.vmap(fn, in_axes=(0, 0, 1))(ws, pres, traces)
    for b in range(3):
        assert_close(out[b], loop_update(c.rows, c.cols, ws[b], pres[b], traces[:, b], None,
                                         1.0, on_pre=True))
    out = jax.vmap(fn, in_axes=(None, 0, None))(c.w, pres, traces[:, 0])
    assert_close(out[1], loop_update(c.rows, c.cols, c.w, pres[1], traces[:, 0], None, 1.0,
                                     on_pre=True))


def test_update_derivatives(rng, backend):
    c = Case(rng)
    m, n = c.shape
    pre = spikes(rng, m, "bool")
    trace = rng.normal(size=n).astype(np.float32)
    fn = lambda w, t: sc.update_csr_on_binary_pre(w, c.indices, c.indptr, pre, t, None, 0.5,
                                                  shape=c.shape, backend=backend)
    out = fn(jnp.asarray(c.w), trace)
    active = pre[c.rows] & (np.asarray(out) < 0.5)
    jw, jt = jax.jit(jax.jacfwd(fn, argnums=(0, 1)))(jnp.asarray(c.w), trace)
    expected_w = np.diag(np.where(pre[c.rows], active, 1.0))
    expected_t = np.zeros((len(c.w), n))
    expected_t[np.arange(len(c.w)), c.cols] = active
    assert_close(jw, expected_w)
    assert_close(jt, expected_t)
    gw = jax.jit(jax.grad(lambda w: fn(w, trace).sum()))(jnp.asarray(c.w))
    assert_close(gw, expected_w.sum(0))


# ---------------------------------------------------------------------------
# units and errors
# ---------------------------------------------------------------------------

def test_units(rng):
    c = Case(rng)
    m, n = c.shape
    pre = spikes(rng, m, "bool")
    trace = rng.normal(size=n).astype(np.float32)
    out = sc.update_csr_on_binary_pre(c.w * u.mV, c.indices, c.indptr, pre,
                                      (trace / 1000) * u.volt, w_max=0.5 * u.mV, shape=c.shape)
    assert out.unit == u.mV
    expected = loop_update(c.rows, c.cols, c.w, pre, trace, None, 0.5, on_pre=True)
    np.testing.assert_allclose(out.mantissa, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="post_trace has unit s"):
        sc.update_csr_on_binary_pre(c.w * u.mV, c.indices, c.indptr, pre, trace * u.second,
                                    shape=c.shape)
    with pytest.raises(ValueError, match="post_trace has no unit"):
        sc.update_csr_on_binary_pre(c.w * u.mV, c.indices, c.indptr, pre, trace, shape=c.shape)
    with pytest.raises(ValueError, match="w_max"):
        sc.update_csr_on_binary_pre(c.w * u.mV, c.indices, c.indptr, pre, trace * u.mV,
                                    w_max=1.0, shape=c.shape)
    W = sc.CSR((c.w * u.nS, c.indices, c.indptr), shape=c.shape)
    out = W.update_on_post(np.ones(m) * u.nS, np.ones(n, bool), w_min=0 * u.nS)
    assert out.unit == u.nS
    dense = sc.update_dense_on_binary_post(np.zeros((2, 2)) * u.mV, np.ones(2) * u.mV,
                                           np.array([True, False]))
    np.testing.assert_allclose(dense.mantissa, [[1, 0], [1, 0]])


def test_errors(rng):
    c = Case(rng)
    m, n = c.shape
    pre, trace = np.ones(m, bool), np.ones(n, np.float32)
    with pytest.raises(ValueError, match="homogeneous"):
        sc.update_csr_on_binary_pre(jnp.ones(1), c.indices, c.indptr, pre, trace, shape=c.shape)
    with pytest.raises(ValueError, match="homogeneous"):
        sc.update_csr_on_binary_pre(0.5, c.indices, c.indptr, pre, trace, shape=c.shape)
    with pytest.raises(ValueError, match="homogeneous"):
        sc.CSR((1.0, c.indices, c.indptr), shape=c.shape).update_on_pre(pre, trace)
    with pytest.raises(ValueError, match=r"pre_spike must have shape \(7,\)"):
        sc.update_csr_on_binary_pre(c.w, c.indices, c.indptr, pre[:3], trace, shape=c.shape)
    with pytest.raises(ValueError, match=r"post_trace must have shape \(6,\)"):
        sc.update_csr_on_binary_pre(c.w, c.indices, c.indptr, pre, trace[:2], shape=c.shape)
    with pytest.raises(ValueError, match="weight must have one value per stored entry"):
        sc.update_csr_on_binary_pre(c.w[:-1], c.indices, c.indptr, pre, trace, shape=c.shape)
    with pytest.raises(ValueError, match="weight_indices"):
        cp, ci, wi = sc.csr_to_csc_index(c.indptr, c.indices, shape=c.shape)
        sc.update_csr_on_binary_post(c.w, ci, cp, wi[:-1], np.ones(m), np.ones(n),
                                     shape=c.shape)
    with pytest.raises(ValueError, match="w_min must be a scalar"):
        sc.update_dense_on_binary_pre(np.zeros((m, n)), pre, trace, np.zeros(2))
    with pytest.raises(ValueError, match="weight must be a 2-D"):
        sc.update_dense_on_binary_pre(np.zeros(m), pre, trace)
    with pytest.raises(TypeError, match="weight must be float"):
        sc.update_dense_on_binary_pre(np.zeros((m, n), np.int32), pre, trace)
    with pytest.raises(ValueError, match="backend"):
        sc.update_dense_on_binary_pre(np.zeros((m, n)), pre, trace, backend="cuda")


# ---------------------------------------------------------------------------
# csrmv_yw2y
# ---------------------------------------------------------------------------

def _dense_yw(c, y, w, transpose):
    return w * (y[c.cols] if transpose else y[c.rows])


@pytest.mark.parametrize("transpose", [False, True])
def test_yw2y_values_and_grads(rng, transpose, float_dtype, backend):
    c = Case(rng, dtype=float_dtype)
    m, n = c.shape
    y = rng.normal(size=n if transpose else m).astype(float_dtype)
    fn = lambda y, w: sc.csrmv_yw2y(y, w, c.indices, c.indptr, shape=c.shape,
                                    transpose=transpose, backend=backend)
    ref = lambda y, w: _dense_yw(c, y, w, transpose)
    w = jnp.asarray(c.w)
    assert_close(fn(y, w), ref(y, w))
    assert_close(jax.jit(fn)(y, w), ref(y, w))
    if float_dtype == np.float64:
        return  # derivatives: float32 covers the rules
    for mode in (jax.jacfwd, jax.jacrev):
        got_want = zip(jax.jit(mode(fn, argnums=(0, 1)))(y, w), jax.jit(mode(ref, argnums=(0, 1)))(y, w))
        for got, want in got_want:
            assert_close(got, want)
    ct = rng.normal(size=len(c.w)).astype(float_dtype)
    for argnum in (0, 1):
        g = jax.jit(jax.grad(lambda *a: (fn(*a) * ct).sum(), argnums=argnum))(y, w)
        assert_close(g, jax.grad(lambda *a: (ref(*a) * ct).sum(), argnums=argnum)(y, w))
    # linear_transpose in each argument
    ty, = jax.linear_transpose(lambda y: fn(y, w), y)(ct)
    assert_close(ty, jax.grad(lambda y: (ref(y, w) * ct).sum())(y))
    tw, = jax.linear_transpose(lambda w: fn(y, w), w)(ct)
    assert_close(tw, ct * (y[c.cols] if transpose else y[c.rows]))


def test_yw2y_vmap_units_methods(rng):
    c = Case(rng)
    m, n = c.shape
    ys = rng.normal(size=(4, m)).astype(np.float32)
    fn = lambda y: sc.csrmv_yw2y(y, c.w, c.indices, c.indptr, shape=c.shape)
    out = jax.vmap(fn)(ys)
    out1 = jax.vmap(fn, in_axes=1)(ys.T)
    nested = jax.vmap(jax.vmap(fn))(ys.reshape(2, 2, m))
    for b in range(4):
        assert_close(out[b], _dense_yw(c, ys[b], c.w, False))
        assert_close(out1[b], out[b])
        assert_close(nested[b // 2, b % 2], out[b])
    ws = np.stack([c.w, 2 * c.w])
    outw = jax.vmap(lambda w: sc.csrmv_yw2y(ys[0], w, c.indices, c.indptr, shape=c.shape))(ws)
    assert_close(outw[1], 2 * _dense_yw(c, ys[0], c.w, False))
    q = sc.csrmv_yw2y(ys[0] * u.mV, c.w * u.nS, c.indices, c.indptr, shape=c.shape)
    assert q.unit == u.mV * u.nS
    homo = sc.csrmv_yw2y(ys[0], 2.0, c.indices, c.indptr, shape=c.shape)
    assert_close(homo, 2 * ys[0][c.rows])
    mats = _matrices(c)
    for fmt, (W, rows, cols, w) in mats.items():
        yr, yc = rng.normal(size=m).astype(np.float32), rng.normal(size=n).astype(np.float32)
        assert_close(W.yw_to_w(yr), w * yr[rows], err_msg=fmt)
        assert_close(W.yw_to_w_transposed(yc), w * yc[cols], err_msg=fmt)
        assert_close(W.yw_to_w(yr, jnp.ones_like(w)), yr[rows], err_msg=fmt)
    with pytest.raises(ValueError, match=r"y must have shape \(7,\)"):
        sc.csrmv_yw2y(np.ones(3), c.w, c.indices, c.indptr, shape=c.shape)


# ---------------------------------------------------------------------------
# fixed number of connections
# ---------------------------------------------------------------------------

def _fixed(rng, cls, n_pre=6, n_post=5, n_conn=2):
    n_rows = n_pre if cls is sc.FixedPostNumConn else n_post
    data = rng.uniform(-1, 1, (n_rows, n_conn)).astype(np.float32)
    W = cls.random(n_pre, n_post, n_conn, weight=data, seed=int(rng.integers(1 << 30)))
    owners = np.repeat(np.arange(n_rows), n_conn)
    partners = np.asarray(W.indices).ravel()
    rows, cols = (owners, partners) if cls is sc.FixedPostNumConn else (partners, owners)
    return W, rows, cols, data.ravel()


@pytest.mark.parametrize("indexed", [False, True])
@pytest.mark.parametrize("cls", ["FixedPostNumConn", "FixedPreNumConn"])
def test_fixed_num_methods(rng, cls, indexed, backend):
    W, rows, cols, w = _fixed(rng, getattr(sc, cls))
    if indexed:
        W = W.with_column_index()
    pre, post = spikes(rng, 6, "float"), spikes(rng, 5, "bool")
    tpre, tpost = rng.normal(size=6).astype(np.float32), rng.normal(size=5).astype(np.float32)
    step = jax.jit(lambda W: W.update_on_pre(pre, tpost, w_min=-0.5, backend=backend)
                   .update_on_post(tpre, post, None, 0.7, backend=backend))
    out = step(W)
    expected = loop_update(rows, cols, w, pre, tpost, -0.5, None, on_pre=True)
    expected = loop_update(rows, cols, expected, post, tpre, None, 0.7, on_pre=False)
    assert type(out) is type(W) and out.data.shape == W.data.shape
    assert_close(out.data.ravel(), expected)
    assert_close(W.yw_to_w(tpre).ravel(), w * tpre[rows])
    assert_close(W.yw_to_w_transposed(tpost).ravel(), w * tpost[cols])


def test_fixed_num_functions(rng):
    W, rows, cols, w = _fixed(rng, sc.FixedPostNumConn)
    pre, trace = spikes(rng, 6, "bool"), rng.normal(size=5).astype(np.float32)
    out = sc.update_fixed_post_conn_on_binary_pre(W.data, W.indices, pre, trace, None, 0.5,
                                                  shape=(6, 5))
    assert out.shape == W.data.shape
    assert_close(out.ravel(), loop_update(rows, cols, w, pre, trace, None, 0.5, on_pre=True))
    V, rows, cols, w = _fixed(rng, sc.FixedPreNumConn)
    post, trace = spikes(rng, 5, "float"), rng.normal(size=6).astype(np.float32)
    out = sc.update_fixed_pre_conn_on_binary_post(V.data, V.indices, trace, post, -0.2,
                                                  shape=(6, 5))
    assert_close(out.ravel(), loop_update(rows, cols, w, post, trace, -0.2, None, on_pre=False))
    with pytest.raises(ValueError, match="homogeneous"):
        sc.update_fixed_post_conn_on_binary_pre(1.0, W.indices, pre, np.ones(5), shape=(6, 5))
    with pytest.raises(ValueError, match="one row per presynaptic"):
        sc.update_fixed_post_conn_on_binary_pre(W.data, W.indices, np.ones(7), np.ones(5),
                                                shape=(7, 5))
