"""What a brainevent user relies on when porting: call forms, keywords and semantics.

The signatures of every public function shared with brainevent are compared with
``inspect.signature`` against the installed brainevent (skipped without it), and
the plasticity functions against brainevent's numbers.  The rest (seed by keyword,
``seed=None``, ``corder``, ``backend=`` everywhere, the unit error, the 0.2+ class
names, JITC ``with_data``, ``cscmv_yw2y`` / ``fcnmv_yw2y``) against dense oracles.
"""
from __future__ import annotations

import inspect

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import assert_close

P = inspect.Parameter

#: brainevent parameters sparsecore does not take, and why (docs/migrating.md lists them)
DROPPED = {
    "binary_csrmv": {"workspace"},  # scratch buffer of brainevent's GPU kernels
    "binary_csrmm": {"workspace"},
    "csr_to_csc_index": {"method", "column_block_size"},  # brainevent's algorithm choice
}
#: brainevent's name of sparsecore's homogeneous generated functions
RENAMED = {"jith": "jits", "jithmv": "jitsmv", "jithmm": "jitsmm",
           "binary_jithmv": "binary_jitsmv", "binary_jithmm": "binary_jitsmm"}
FUNCTIONS = [n for n in sc.__all__ if callable(getattr(sc, n))
             and not isinstance(getattr(sc, n), type)]


def _brainevent():
    return pytest.importorskip("brainevent")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_signatures_match_brainevent(name):
    be = _brainevent()
    theirs_fn = getattr(be, RENAMED.get(name, name), None)
    if theirs_fn is None:
        pytest.skip(f"brainevent {be.__version__} has no {name}")
    theirs = inspect.signature(theirs_fn).parameters
    ours = inspect.signature(getattr(sc, name)).parameters
    dropped = DROPPED.get(name, set())
    for pname, p in theirs.items():
        if pname in dropped:
            assert pname not in ours
            continue
        assert pname in ours, f"{name}: brainevent's parameter {pname!r} is missing"
        q = ours[pname]
        assert q.kind == p.kind, f"{name}({pname}): {q.kind} here, {p.kind} in brainevent"
        if p.default is not P.empty:
            assert q.default == p.default, f"{name}({pname}): default {q.default!r}, " \
                                           f"brainevent {p.default!r}"
    positional = [n for n, p in theirs.items()
                  if p.kind is P.POSITIONAL_OR_KEYWORD and n not in dropped]
    assert [n for n, p in ours.items() if p.kind is P.POSITIONAL_OR_KEYWORD] == positional
    extra = [n for n in ours if n not in theirs]
    for pname in extra:  # sparsecore's own additions are optional keywords
        assert ours[pname].kind is P.KEYWORD_ONLY and ours[pname].default is not P.empty, \
            (name, pname)


def test_the_0_2_class_names_are_aliases():
    assert sc.FixedNumPerPre is sc.FixedPostNumConn
    assert sc.FixedNumPerPost is sc.FixedPreNumConn
    W = sc.FixedNumPerPre((jnp.array([[1., 2.]]), jnp.array([[0, 2]])), shape=(1, 3))
    assert_close(W.todense(), [[1., 0., 2.]])


# -- generated connectivity: seed, corder, backend --------------------------------

JIT_PRODUCTS = [f"{b}jit{k}{s}" for b in ("", "binary_") for k in "hnu" for s in ("mv", "mm")]
PARAMS = {"h": (1.5,), "n": (0.5, 1.0), "u": (0.2, 1.0)}


def _operand(name, length):
    x = jnp.ones((length,) if name.endswith("mv") else (length, 2))
    return x > 0 if name.startswith("binary_") else x


@pytest.mark.parametrize("name", JIT_PRODUCTS)
def test_seed_by_position_and_keyword_and_corder_keeps_the_matrix(name):
    fn, kind = getattr(sc, name), name.removeprefix("binary_")[3]
    p, shape = PARAMS[kind], (6, 9)
    dense = np.asarray(getattr(sc, f"jit{kind}")(*p, 0.3, 5, shape=shape), np.float64)
    x = _operand(name, 9)
    expected = dense @ np.asarray(x, np.float64)
    by_position = fn(*p, 0.3, x, 5, shape=shape)
    assert_close(by_position, expected, np.float32)
    assert_close(fn(*p, 0.3, x, seed=5, shape=shape), by_position, tol=(0, 0))
    names = inspect.signature(fn).parameters
    keywords = dict(zip(names, p + (0.3, x)))
    assert_close(fn(**keywords, seed=5, shape=shape), by_position, tol=(0, 0))
    for corder in (True, False):  # a kernel layout order: never another matrix
        assert_close(fn(*p, 0.3, x, 5, shape=shape, corder=corder), by_position, np.float32)
        xt = _operand(name, 6)
        assert_close(fn(*p, 0.3, xt, 5, shape=shape, corder=corder, transpose=True),
                     dense.T @ np.asarray(xt, np.float64), np.float32)
    with pytest.raises(TypeError, match="corder must be True or False"):
        fn(*p, 0.3, x, 5, shape=shape, corder="C")


@pytest.mark.parametrize("kind", "hnu")
def test_seed_none_draws_a_seed(kind):
    p, shape = PARAMS[kind], (40, 50)
    dense_fn = getattr(sc, f"jit{kind}")
    mv = getattr(sc, f"jit{kind}mv")
    a = dense_fn(*p, 0.3, None, shape=shape)
    b = dense_fn(*p, 0.3, None, shape=shape)
    assert a.shape == shape and not np.array_equal(a, b)  # 2000 entries: never equal
    assert mv(*p, 0.3, jnp.ones(50), shape=shape).shape == (40,)  # seed defaults to None
    jitted = jax.jit(lambda x: mv(*p, 0.3, x, shape=shape))  # drawn once, when traced
    np.testing.assert_array_equal(jitted(jnp.ones(50)), jitted(jnp.ones(50)))
    W = sc.JITCHomoR((1.0, 0.3, None), shape=shape)  # a class draws once and keeps it
    np.testing.assert_array_equal(W.todense(), W.todense())


@pytest.mark.parametrize("kind", "hnu")
def test_dense_functions_take_backend(kind):
    fn = getattr(sc, f"jit{kind}")
    ref = fn(*PARAMS[kind], 0.4, 3, shape=(4, 6))
    for backend in (None, "jax", "numba"):
        np.testing.assert_array_equal(fn(*PARAMS[kind], 0.4, 3, shape=(4, 6), backend=backend),
                                      ref)
    with pytest.raises(ValueError, match="backend='gpu' is not one of"):
        fn(*PARAMS[kind], 0.4, 3, shape=(4, 6), backend="gpu")


def test_functional_matrix_is_the_row_class():
    M = sc.JITCNormalR((0.5, 1.0, 0.3, 9), shape=(6, 9))
    np.testing.assert_array_equal(sc.jitn(0.5, 1.0, 0.3, 9, shape=(6, 9), corder=False),
                                  M.todense())
    np.testing.assert_array_equal(sc.jitn(0.5, 1.0, 0.3, 9, shape=(6, 9), transpose=True),
                                  M.T.todense())
    # the C class of (m, n) is the R class of (n, m), transposed: another matrix
    C = sc.JITCNormalC((0.5, 1.0, 0.3, 9), shape=(6, 9))
    np.testing.assert_array_equal(C.todense(), sc.JITCNormalR((0.5, 1.0, 0.3, 9),
                                                              shape=(9, 6)).todense().T)


# -- JITC with_data ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["JITCHomoR", "JITCNormalC", "JITCUniformR"])
def test_jitc_with_data(name, float_dtype):
    cls = getattr(sc, name)
    params = {"Homo": (1.5,), "Normal": (0.5, 1.0), "Uniform": (0.2, 1.0)}
    p = params[name[4:-1]]
    W = cls(tuple(jnp.asarray(v, float_dtype) for v in p) + (0.4, 8), shape=(5, 7))
    new = tuple(2 * v for v in p)
    W2 = W.with_data(new if len(new) > 1 else new[0])
    assert type(W2) is cls and W2.dtype == float_dtype
    assert_close(W2.todense(), 2 * np.asarray(W.todense(), np.float64), float_dtype)
    assert_close(W2 @ jnp.ones(7, float_dtype), 2 * np.asarray(W @ jnp.ones(7, float_dtype)),
                 float_dtype)
    Wq = W.with_data(tuple(v * u.mS for v in new) if len(new) > 1 else new[0] * u.mS)
    assert Wq.unit == u.mS
    with pytest.raises(TypeError, match="with_data"):
        W.with_data((1.0, 2.0, 3.0))
    g = jax.grad(lambda d: jnp.sum(W.with_data(d).todense()))(p if len(p) > 1 else p[0])
    assert np.all(np.isfinite(jax.tree_util.tree_leaves(g)))


def test_jitc_with_data_is_validated():
    W = sc.JITCNormalR((0.5, 1.0, 0.4, 8), shape=(5, 7))
    with pytest.raises(ValueError, match="w_scale"):
        W.with_data((0.5, -1.0))
    with pytest.raises(u.DimensionMismatchError):
        W.with_data((0.5 * u.mS, 1.0 * u.mV))


# -- units -----------------------------------------------------------------------------

def test_unit_mismatch_is_both_errors():
    w = jnp.array([0.5, 0.3]) * u.mS
    call = lambda: sc.update_csr_on_binary_pre(w, jnp.array([0, 1]), jnp.array([0, 2]),
                                               jnp.array([True]), jnp.ones(2) * u.mV,
                                               shape=(1, 2))
    with pytest.raises(u.UnitMismatchError, match="post_trace has unit mV"):
        call()
    with pytest.raises(ValueError, match="post_trace has unit mV"):
        call()
    with pytest.raises(sc.UnitMismatchError):
        sc.update_dense_on_binary_post(jnp.zeros((2, 2)) * u.mS, jnp.ones(2) * u.mV,
                                       jnp.array([True, False]))


# -- csr_to_csc_index and the CSC updates in brainevent's call forms -----------------

def _random_csr(rng, shape, density=0.4):
    dense = np.where(rng.random(shape) < density, rng.uniform(-1, 1, shape), 0.0)
    dense[0, :] = 0.0  # an empty row
    W = sc.CSR.fromdense(jnp.asarray(dense, jnp.float32))
    return W, dense


def test_csr_to_csc_index_in_brainevent_order(rng):
    W, dense = _random_csr(rng, (6, 5))
    ptr, rows, perm = sc.csr_to_csc_index(W.indptr, W.indices, shape=W.shape)
    C = sc.CSC.fromdense(jnp.asarray(dense, jnp.float32))
    np.testing.assert_array_equal(ptr, C.indptr)
    np.testing.assert_array_equal(rows, C.indices)
    np.testing.assert_array_equal(W.data[perm], C.data)
    assert sc.csr_to_csc_index(W.indptr, W.indices, shape=W.shape, include_perm=False)[2] is None
    be = _brainevent()
    for ours, theirs in zip(sc.csr_to_csc_index(W.indptr, W.indices, shape=W.shape),
                            be.csr_to_csc_index(W.indptr, W.indices, shape=W.shape)):
        np.testing.assert_array_equal(ours, theirs)


def test_csr_to_csc_index_of_an_empty_matrix():
    ptr, rows, perm = sc.csr_to_csc_index(jnp.zeros(4, jnp.int32), jnp.zeros(0, jnp.int32),
                                          shape=(3, 2))
    np.testing.assert_array_equal(ptr, [0, 0, 0])
    assert rows.shape == perm.shape == (0,)


BOUNDS = [(None, None), (0.0, 1.0), (None, 0.5), (0.3, None), (-0.2, 0.2)]


def _spikes_traces(rng, shape):
    pre = jnp.asarray(rng.random(shape[0]) < 0.5)
    post = jnp.asarray(rng.random(shape[1]) < 0.5)
    return pre, post, jnp.asarray(rng.normal(size=shape[0]), jnp.float32), \
        jnp.asarray(rng.normal(size=shape[1]), jnp.float32)


def _oracle(dense, pre, post, pre_trace, post_trace, lo, hi, *, on_pre, clip):
    mask = dense != 0
    new = dense.copy()
    if on_pre:
        changed = mask & np.asarray(pre)[:, None]
        new = np.where(changed, dense + np.asarray(post_trace)[None, :], dense)
    else:
        changed = mask & np.asarray(post)[None, :]
        new = np.where(changed, dense + np.asarray(pre_trace)[:, None], dense)
    bounded = np.clip(new, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    region = mask if clip == "all" else changed
    return np.where(region, bounded, new)


@pytest.mark.parametrize("clip", ["updated", "all"])
@pytest.mark.parametrize("bounds", BOUNDS, ids=str)
def test_compressed_updates_clip_modes(bounds, clip, rng):
    lo, hi = bounds
    shape = (6, 5)
    W, dense = _random_csr(rng, shape)
    dense = np.asarray(W.todense(), np.float64)
    dense[W.todense() == 0] = 0
    C = sc.CSC.fromdense(W.todense())
    pre, post, pre_trace, post_trace = _spikes_traces(rng, shape)
    ptr, rows, perm = sc.csr_to_csc_index(W.indptr, W.indices, shape=shape)
    kw = dict(shape=shape, clip=clip)
    got = {
        "csr_pre": sc.update_csr_on_binary_pre(W.data, W.indices, W.indptr, pre, post_trace,
                                               lo, hi, **kw),
        "csr_post": sc.update_csr_on_binary_post(W.data, rows, ptr, perm, pre_trace, post, lo,
                                                 hi, **kw),
        "csc_pre": sc.update_csc_on_binary_pre(C.data, C.indices, C.indptr, pre, post_trace,
                                               lo, hi, **kw),
        "csc_post": sc.update_csc_on_binary_post(C.data, C.indices, C.indptr, pre_trace, post,
                                                 lo, hi, **kw),
    }
    for key, out in got.items():
        on_pre = key.endswith("pre")
        expected = _oracle(dense, pre, post, pre_trace, post_trace, lo, hi, on_pre=on_pre,
                           clip=clip)
        M = (W if key.startswith("csr") else C).with_data(out)
        assert_close(M.todense(), expected, np.float32, err_msg=key)
        method = W.update_on_pre(pre, post_trace, lo, hi, clip=clip) if on_pre else \
            W.update_on_post(pre_trace, post, lo, hi, clip=clip)
        assert_close(method.todense(), expected, np.float32, err_msg=f"method {key}")
    # the dense and fixed-number updates take the same keyword
    dense_pre = sc.update_dense_on_binary_pre(jnp.asarray(dense, jnp.float32), pre, post_trace,
                                              lo, hi, clip=clip)
    full = np.clip(dense + np.where(np.asarray(pre)[:, None], np.asarray(post_trace), 0),
                   -np.inf if lo is None else lo, np.inf if hi is None else hi)
    if clip == "updated":
        full = np.where(np.asarray(pre)[:, None], full, dense)
    assert_close(dense_pre, full, np.float32)

    be = pytest.importorskip("brainevent")
    if clip != "all":
        return
    theirs = {
        "csr_pre": be.update_csr_on_binary_pre(W.data, W.indices, W.indptr, pre, post_trace, lo,
                                               hi, shape=shape),
        "csr_post": be.update_csr_on_binary_post(W.data, rows, ptr, perm, pre_trace, post, lo,
                                                 hi, shape=shape),
        "csc_pre": be.update_csc_on_binary_pre(C.data, C.indices, C.indptr, pre, post_trace, lo,
                                               hi, shape=shape),
        "csc_post": be.update_csc_on_binary_post(C.data, C.indices, C.indptr, pre_trace, post,
                                                 lo, hi, shape=shape),
    }
    for key in got:
        assert_close(got[key], np.asarray(theirs[key]), np.float32, err_msg=key)
    assert_close(dense_pre, np.asarray(be.update_dense_on_binary_pre(
        jnp.asarray(dense, jnp.float32), pre, post_trace, lo, hi)), np.float32)


def test_fixed_updates_clip_all_against_brainevent(rng):
    be = _brainevent()
    indices = jnp.asarray(np.stack([rng.choice(5, 3, replace=False) for _ in range(4)]))
    data = jnp.asarray(rng.uniform(-1, 1, (4, 3)), jnp.float32)
    pre, post = jnp.asarray([True, False, True, False]), jnp.asarray(rng.random(5) < 0.5)
    trace = jnp.asarray(rng.normal(size=5), jnp.float32)
    for lo, hi in BOUNDS:
        ours = sc.update_fixed_post_conn_on_binary_pre(data, indices, pre, trace, lo, hi,
                                                       shape=(4, 5), clip="all")
        theirs = be.update_fixed_post_conn_on_binary_pre(data, indices, pre, trace, lo, hi,
                                                         shape=(4, 5))
        assert_close(ours, np.asarray(theirs), np.float32, err_msg=str((lo, hi)))


def test_clip_keyword_is_checked():
    with pytest.raises(ValueError, match="clip='everything' is not one of"):
        sc.update_csr_on_binary_pre(jnp.ones(2), jnp.array([0, 1]), jnp.array([0, 2]),
                                    jnp.array([True]), jnp.ones(2), 0.0, 1.0, shape=(1, 2),
                                    clip="everything")


# -- cscmv_yw2y and fcnmv_yw2y -------------------------------------------------------

@pytest.mark.parametrize("transpose", [False, True])
def test_cscmv_yw2y_matches_dense(transpose, float_dtype, rng):
    shape = (6, 4)
    dense = np.where(rng.random(shape) < 0.5, rng.uniform(0.5, 1.5, shape), 0.0)
    dense[:, 1] = 0.0  # an empty column
    C = sc.CSC.fromdense(jnp.asarray(dense, float_dtype))
    y = jnp.asarray(rng.normal(size=shape[1] if transpose else shape[0]), float_dtype)
    out = sc.cscmv_yw2y(y, C.data, C.indices, C.indptr, shape=shape, transpose=transpose)
    Y = np.asarray(y, np.float64)[None, :] if transpose else np.asarray(y, np.float64)[:, None]
    expected = sc.CSC.fromdense(jnp.asarray(dense * Y, float_dtype)).data
    assert_close(out, np.asarray(expected, np.float64), float_dtype)
    g = jax.grad(lambda y: jnp.sum(sc.cscmv_yw2y(y, C.data, C.indices, C.indptr, shape=shape,
                                                 transpose=transpose)))(y)
    assert_close(g, dense.sum(axis=0 if transpose else 1), float_dtype)


@pytest.mark.parametrize("transpose", [False, True])
def test_fcnmv_yw2y_matches_dense(transpose, float_dtype, rng):
    shape = (4, 6)
    indices = np.stack([rng.choice(6, 3, replace=False) for _ in range(4)])
    w = rng.uniform(0.5, 1.5, indices.shape)
    y = rng.normal(size=shape[1] if transpose else shape[0])
    out = sc.fcnmv_yw2y(jnp.asarray(y, float_dtype), jnp.asarray(w, float_dtype),
                        jnp.asarray(indices), shape=shape, transpose=transpose)
    expected = w * (y[indices] if transpose else y[:, None])
    assert_close(out, expected, float_dtype)
    homo = sc.fcnmv_yw2y(jnp.asarray(y, float_dtype), 2.0, jnp.asarray(indices), shape=shape,
                         transpose=transpose)
    assert_close(homo, 2.0 * (y[indices] if transpose else np.broadcast_to(y[:, None],
                                                                           indices.shape)),
                 float_dtype)


def test_yw2y_degenerate_and_errors():
    out = sc.cscmv_yw2y(jnp.ones(3), jnp.zeros(0), jnp.zeros(0, jnp.int32),
                        jnp.zeros(3, jnp.int32), shape=(3, 2))
    assert out.shape == (0,)
    out = sc.fcnmv_yw2y(jnp.ones(0), jnp.zeros((0, 2)), jnp.zeros((0, 2), jnp.int32),
                        shape=(0, 4))
    assert out.shape == (0, 2)
    with pytest.raises(ValueError, match="fcnmv_yw2y: indices must have one row per"):
        sc.fcnmv_yw2y(jnp.ones(3), jnp.ones((2, 2)), jnp.zeros((2, 2), jnp.int32), shape=(3, 4))
    with pytest.raises(ValueError, match="fcnmv_yw2y: w must have the shape of indices"):
        sc.fcnmv_yw2y(jnp.ones(2), jnp.ones((2, 3)), jnp.zeros((2, 2), jnp.int32), shape=(2, 4))
    with pytest.raises(ValueError, match="cscmv_yw2y: y must have shape"):
        sc.cscmv_yw2y(jnp.ones(5), jnp.ones(1), jnp.zeros(1, jnp.int32),
                      jnp.array([0, 1, 1]), shape=(3, 2))
