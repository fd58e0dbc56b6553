"""Hostile inputs: narrow index dtypes, malformed structures under jit, NaN rules, strings.

One test per way a bad input used to give garbage instead of a clear error or
the right numbers; the property suite (tests/test_properties.py) draws many
more of each kind.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import assert_close

NARROW = (jnp.int8, jnp.uint8, jnp.int16, jnp.uint16, jnp.uint32)
KERNEL_ERROR = "indices or indptr point outside the matrix"


def tall_column(n=200, nnz=100):
    """A (200, 1) CSR whose index and pointer values all fit int8, and its dense oracle."""
    indptr = np.minimum(np.arange(n + 1), nnz)
    dense = np.zeros((n, 1))
    dense[:nnz, 0] = 1.0
    return np.ones(nnz, np.float32), np.zeros(nnz, np.int64), indptr, dense


# ---------------------------------------------------------------------------
# narrow index dtypes (every value fits, the row count does not)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", NARROW, ids=lambda d: np.dtype(d).name)
def test_narrow_jax_index_dtypes_compressed(dtype, backend):
    data, indices, indptr, dense = tall_column()
    arrays = (jnp.asarray(data), jnp.asarray(indices, dtype), jnp.asarray(indptr, dtype))
    W = sc.CSR(arrays, shape=(200, 1))
    C = sc.CSC(arrays, shape=(1, 200))  # the same buffers: the transpose
    for M in (W, C):
        assert M.indices.dtype == jnp.int32 and M.indptr.dtype == jnp.int32
    assert_close(W.todense(), dense)
    assert_close(C.todense(), dense.T)
    assert_close(W.dot(jnp.ones(1), backend=backend), dense @ np.ones(1))
    assert_close(C.rdot(jnp.ones(1), backend=backend), dense @ np.ones(1))
    assert_close(W.rdot(jnp.ones(200), backend=backend), np.ones(200) @ dense)
    spikes = jnp.arange(200) % 3 == 0
    assert_close(W.rdot(spikes, backend=backend), np.asarray(spikes, float) @ dense)
    got = jax.jit(lambda i, p: sc.csrmv(data, i, p, jnp.ones(1), shape=(200, 1),
                                        backend=backend))(arrays[1], arrays[2])
    assert_close(got, dense @ np.ones(1))  # traced narrow arrays are widened too
    trace = jnp.linspace(0.0, 1.0, 200)
    updated = W.update_on_post(trace, jnp.array([True]), backend=backend)
    assert_close(updated.todense(), dense + dense * np.asarray(trace)[:, None])


@pytest.mark.parametrize("dtype", NARROW, ids=lambda d: np.dtype(d).name)
def test_narrow_jax_index_dtypes_fixed_number(dtype, backend):
    n = 200
    indices = jnp.zeros((n, 1), dtype)
    dense = np.ones((n, 1))
    post = sc.FixedPostNumConn((jnp.ones((n, 1)), indices), shape=(n, 1))
    pre = sc.FixedPreNumConn((jnp.ones((n, 1)), indices), shape=(1, n))
    for M, want in ((post, dense), (pre, dense.T)):
        assert M.indices.dtype == jnp.int32
        assert_close(M.todense(), want)
        scale = jnp.arange(want.size, dtype=jnp.float32).reshape(want.shape)
        assert_close((M * scale).todense(), want * np.asarray(scale))
        assert_close(M.dot(jnp.ones(want.shape[1]), backend=backend), want @ np.ones(want.shape[1]))
    trace = jnp.linspace(0.0, 1.0, n)
    updated = post.update_on_post(trace, jnp.array([True]), backend=backend)
    assert_close(updated.todense(), dense + np.asarray(trace)[:, None])
    updated = pre.update_on_pre(jnp.array([True]), trace, backend=backend)
    assert_close(updated.todense(), dense.T + np.asarray(trace)[None, :])


@pytest.mark.parametrize("dtype", NARROW, ids=lambda d: np.dtype(d).name)
def test_narrow_jax_index_dtypes_csr_to_csc_index(dtype):
    """A (200, 200) matrix with entries (i, i), i < 100: every value fits int8, 200 does not."""
    indices = np.arange(100)
    indptr = np.minimum(np.arange(201), 100)
    got = sc.csr_to_csc_index(jnp.asarray(indptr, dtype), jnp.asarray(indices, dtype),
                              shape=(200, 200))
    np.testing.assert_array_equal(got[0], np.minimum(np.arange(201), 100))
    np.testing.assert_array_equal(got[1], np.arange(100))  # the row of each column's entry
    np.testing.assert_array_equal(got[2], np.arange(100))
    assert all(a.dtype == jnp.int32 for a in got)


def test_wide_index_dtypes_are_never_downcast_silently(x64):
    big = 2 ** 31 + 5
    W = sc.CSR((jnp.ones(1), jnp.array([big], jnp.uint64), jnp.array([0, 1], jnp.uint64)),
               shape=(1, big + 1))
    assert W.indices.dtype == jnp.int64 and W.indptr.dtype == jnp.int32
    traced = jax.jit(lambda i: sc.CSR((jnp.ones(1), i, jnp.array([0, 1])),
                                      shape=(1, big + 1)).indices)
    assert traced(jnp.array([big], jnp.uint32)).dtype == jnp.int64
    assert traced(jnp.array([big], jnp.int64))[0] == big
    with pytest.raises(OverflowError, match="indices holds values up to 18446744073709551615, "
                                            "beyond int64"):
        sc.CSR((jnp.ones(1), np.array([2 ** 64 - 1], np.uint64), np.array([0, 1])),
               shape=(1, 2))


# ---------------------------------------------------------------------------
# malformed structures under jit
# ---------------------------------------------------------------------------

DATA = jnp.array([1., 2., 3., 4.])
INDICES = jnp.array([0, 2, 1, 2])
INDPTR = jnp.array([0, 2, 3, 4])  # a 3 x 3 CSR matrix
BAD_INDPTR = {"starts above 0": [1, 2, 3, 4], "ends before nnz": [0, 2, 3, 3],
              "decreases": [0, 3, 2, 4], "decreases to 0": [0, 2, 0, 4]}
BAD_INDICES = {"past the end": [0, 2, 3, 2], "negative": [0, -1, 1, 2]}


@pytest.mark.parametrize("bad", BAD_INDPTR, ids=str)
@pytest.mark.parametrize("op", ["csrmv", "csrmm", "binary_csrmv", "binary_csrmm"])
@pytest.mark.parametrize("transpose", [False, True])
def test_numba_products_refuse_a_malformed_indptr_under_jit(bad, op, transpose):
    fn = getattr(sc, op)
    x = jnp.ones((3, 2) if op.endswith("mm") else 3)

    @jax.jit
    def f(indptr):
        return fn(DATA, INDICES, indptr, x, shape=(3, 3), transpose=transpose, backend="numba")

    jax.block_until_ready(f(INDPTR))
    with pytest.raises(Exception, match=KERNEL_ERROR):
        jax.block_until_ready(f(jnp.array(BAD_INDPTR[bad])))


@pytest.mark.parametrize("bad", BAD_INDPTR, ids=str)
def test_numba_plasticity_refuses_a_malformed_indptr_under_jit(bad):
    @jax.jit
    def f(indptr):
        return sc.update_csr_on_binary_pre(DATA, INDICES, indptr, jnp.ones(3, bool),
                                           jnp.ones(3), shape=(3, 3), backend="numba")

    assert_close(f(INDPTR), np.asarray(DATA) + 1)
    with pytest.raises(Exception, match="indptr does not rise from 0 to nnz"):
        jax.block_until_ready(f(jnp.array(BAD_INDPTR[bad])))


@pytest.mark.parametrize("post", [False, True], ids=["on-pre", "on-post"])
def test_numba_plasticity_refuses_overlapping_rows_of_spiking_neurons(post):
    """Rows 0 and 2 spike; row 1's decreasing pointer makes their spans overlap
    (entry 2 would be updated twice).  The kernel checks only the spiking rows,
    so this is the case that must still be caught."""
    spike = jnp.array([True, False, True])

    @jax.jit
    def f(indptr):
        if post:
            return sc.update_csr_on_binary_post(DATA, INDICES, indptr, jnp.arange(4),
                                                jnp.ones(3), spike, shape=(3, 3),
                                                backend="numba")
        return sc.update_csr_on_binary_pre(DATA, INDICES, indptr, spike, jnp.ones(3),
                                           shape=(3, 3), backend="numba")

    assert_close(f(INDPTR), np.asarray(DATA) + np.array([1., 1., 0., 1.]))
    with pytest.raises(Exception, match="indptr does not rise from 0 to nnz"):
        jax.block_until_ready(f(jnp.array(BAD_INDPTR["decreases"])))


@pytest.mark.parametrize("bad", sorted(BAD_INDPTR) + sorted(BAD_INDICES), ids=str)
def test_check_raises_under_jit_on_both_backends(bad, backend):
    indices = jnp.array(BAD_INDICES.get(bad, INDICES))
    indptr = jnp.array(BAD_INDPTR.get(bad, INDPTR))
    message = "indices contains" if bad in BAD_INDICES else "CSR.check: indptr must"

    @jax.jit
    def f(indices, indptr):
        W = sc.CSR((DATA, indices, indptr), shape=(3, 3)).check()
        return W.dot(jnp.ones(3), backend=backend)

    assert_close(f(INDICES, INDPTR), [3., 3., 4.])
    with pytest.raises(jax.errors.JaxRuntimeError, match=message):
        jax.block_until_ready(f(indices, indptr))
    # eagerly the same scans raise the typed error (the matrix built constructor-free)
    W = sc.CSR.tree_unflatten(((3, 3),), (DATA, indices, indptr))
    with pytest.raises(sc.SparseFormatError, match=message):
        W.check()


def test_check_covers_fixed_number_tables_and_column_indices():
    @jax.jit
    def f(indices):
        W = sc.FixedPreNumConn((jnp.ones((2, 2)), indices), shape=(3, 2)).with_column_index()
        return W.check().todense()

    assert_close(f(jnp.array([[0, 2], [1, 1]])), [[1., 0.], [0., 2.], [1., 0.]])
    with pytest.raises(jax.errors.JaxRuntimeError,
                       match=r"FixedPreNumConn.check: indices contains 3, outside \[0, 3\)"):
        jax.block_until_ready(f(jnp.array([[0, 3], [1, 1]])))
    W = sc.CSR((DATA, INDICES, INDPTR), shape=(3, 3)).with_column_index()
    mirror = W.column_index
    W._column_index = (mirror[0], mirror[1], mirror[2].at[0].set(4))
    with pytest.raises(sc.SparseFormatError, match=r"CSR.check: column_index weight_indices "
                                                   r"contains 4, outside \[0, 4\)"):
        W.check()


@pytest.mark.parametrize("prob", [-0.5, 1.5, np.nan])
def test_traced_prob_outside_the_unit_interval(prob, backend):
    @jax.jit
    def product(prob):
        return sc.JITCNormalR((0.5, 0.1, prob, 7), shape=(4, 5)).dot(jnp.ones(5),
                                                                     backend=backend)

    @jax.jit
    def checked(prob):
        return sc.JITCNormalR((0.5, 0.1, prob, 7), shape=(4, 5)).check().dot(jnp.ones(5),
                                                                             backend=backend)

    assert_close(checked(0.5), product(0.5))
    with pytest.raises(jax.errors.JaxRuntimeError, match=r"JITCNormalR.check: prob=.* is "
                                                         r"outside \[0, 1\]"):
        jax.block_until_ready(checked(prob))
    # unchecked it generates no entries (it used to loop forever for prob < 0)
    np.testing.assert_array_equal(product(prob), np.zeros(4))


# ---------------------------------------------------------------------------
# plasticity: the mirror updates need weight_indices
# ---------------------------------------------------------------------------

def test_mirror_updates_require_weight_indices():
    weight = jnp.array([0.5, 0.3, 0.8, 0.2])
    indices, indptr = jnp.array([0, 1, 0, 1]), jnp.array([0, 2, 4])
    ptr, rows, wi = sc.csr_to_csc_index(indptr, indices, shape=(2, 2))
    trace, spikes = jnp.array([0.5, 1.0]), jnp.array([False, True])
    got = sc.update_csr_on_binary_post(weight, rows, ptr, wi, trace, spikes, shape=(2, 2))
    assert_close(got, [0.5, 0.8, 0.8, 1.2])
    with pytest.raises(TypeError, match="update_csr_on_binary_post: weight_indices is None.*"
                                        r"csr_to_csc_index\(csr_indptr"):
        sc.update_csr_on_binary_post(weight, rows, ptr, None, trace, spikes, shape=(2, 2))


# ---------------------------------------------------------------------------
# NaN and inf: NumPy's rules, the same on both backends
# ---------------------------------------------------------------------------

W4 = jnp.array([0.5, 0.3, 0.8, 0.2])
IDX4, PTR4 = jnp.array([0, 1, 0, 1]), jnp.array([0, 2, 4])  # 2 x 2, all entries stored


@pytest.mark.parametrize("w_min, w_max", [(np.nan, 1.0), (0.0, np.nan), (np.nan, np.nan),
                                          (None, np.nan)])
def test_nan_bound_gives_nan_like_numpy_clip(w_min, w_max, backend):
    trace = np.array([0.1, 0.8])
    got = sc.update_csr_on_binary_pre(W4, IDX4, PTR4, jnp.array([True, False]), trace,
                                      w_min, w_max, shape=(2, 2), backend=backend)
    lo = -np.inf if w_min is None else w_min
    want = np.asarray(W4, np.float64)
    want[:2] = np.clip(want[:2] + trace, lo, w_max)
    np.testing.assert_array_equal(np.isnan(got), [True, True, False, False])
    assert_close(got, want)
    dense = sc.update_dense_on_binary_pre(jnp.ones((2, 2)), jnp.array([True, False]), trace,
                                          w_min, w_max, backend=backend)
    np.testing.assert_array_equal(np.isnan(dense), [[True, True], [False, False]])


@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf])
def test_nan_values_traces_and_bounds_agree_across_backends(special):
    weight = jnp.array([0.5, special, 0.8, 0.2])
    trace = jnp.array([special, 0.1])
    out = {b: sc.update_csr_on_binary_pre(weight, IDX4, PTR4, jnp.array([True, True]), trace,
                                          -1.0, 1.0, shape=(2, 2), backend=b)
           for b in ("jax", "numba")}
    want = np.clip(np.asarray(weight, np.float64) + np.asarray(trace)[np.asarray(IDX4)], -1, 1)
    for got in out.values():
        assert_close(got, want)
    np.testing.assert_array_equal(out["jax"], out["numba"])


@pytest.mark.parametrize("special", [np.nan, np.inf])
@pytest.mark.parametrize("fmt", ["csr", "fixed", "jitc"])
def test_events_skip_inactive_inputs_whatever_their_weight(special, fmt, backend):
    """An inactive input adds nothing, even when its weights are NaN or inf (0 * w is not 0)."""
    if fmt == "csr":
        W = sc.CSR((jnp.array([special, 1.0, 2.0]), jnp.array([0, 1, 1]), jnp.array([0, 1, 3])),
                   shape=(2, 2))
    elif fmt == "fixed":
        W = sc.FixedPostNumConn((jnp.array([[special], [2.0]]), jnp.array([[0], [1]])),
                                shape=(2, 2))
    else:
        W = sc.JITCHomoR((special, 1.0, 7), shape=(2, 2))
    dense = np.asarray(W.todense(), np.float64)
    silent_first = jnp.array([False, True])
    for M, m in ((W, dense), (W.T, dense.T)):
        want_rdot = np.where(np.asarray(silent_first)[:, None], m, 0).sum(axis=0)
        want_dot = np.where(np.asarray(silent_first)[None, :], m, 0).sum(axis=1)
        assert_close(M.rdot(silent_first, backend=backend), want_rdot)
        assert_close(M.dot(silent_first, backend=backend), want_dot)
        spikes = jnp.stack([silent_first, silent_first], axis=1)
        assert_close(M.rdot(spikes.T, backend=backend), np.stack([want_rdot] * 2))


# ---------------------------------------------------------------------------
# strings where numbers belong
# ---------------------------------------------------------------------------

def test_string_operands_and_spikes_get_a_type_error_naming_them():
    W = sc.CSR((W4, IDX4, PTR4), shape=(2, 2))
    strings = np.array(["1", "0"])
    expected = r"the operand must be a bool \(spikes\), integer or float array, got strings"
    with pytest.raises(TypeError, match="CSR @: " + expected):
        strings @ W
    with pytest.raises(TypeError, match="CSR @: " + expected):
        W @ ["1", "0"]
    with pytest.raises(TypeError, match="binary_csrmv: " + expected):
        sc.binary_csrmv(W4, IDX4, PTR4, strings, shape=(2, 2))
    with pytest.raises(TypeError, match="update_csr_on_binary_pre: pre_spike must be a bool, "
                                        "integer or float array .* got strings"):
        sc.update_csr_on_binary_pre(W4, IDX4, PTR4, strings, jnp.ones(2), shape=(2, 2))
    with pytest.raises(TypeError, match="CSR.update_on_post: pre_trace must be a real-valued "
                                        "array, got strings"):
        W.update_on_post(strings, jnp.ones(2, bool))
    with pytest.raises(TypeError, match="w_max must be a real scalar"):
        W.update_on_pre(jnp.ones(2, bool), jnp.ones(2), w_max="1.0")
