"""The examples of the seed documents, run verbatim (only the import changed).

Each test runs one seed's example as written there, then checks the values the
seed's text implies (its formulas), against a dense computation.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import sparsecore as sc
from harness import assert_close


def test_seed_000_csrmv_yw2y():
    from sparsecore import csrmv_yw2y  # was: from brainevent import csrmv_yw2y
    y = jnp.array([1.0, 2.0])
    w = jnp.array([0.5, 0.3, 0.7, 0.1])
    indices = jnp.array([0, 2, 1, 2], dtype=jnp.int32)
    indptr = jnp.array([0, 2, 4], dtype=jnp.int32)
    out = csrmv_yw2y(y, w, indices, indptr, shape=(2, 3))
    # out[j] = w[j] * y[row]; rows of the entries are [0, 0, 1, 1]
    assert_close(out, [0.5 * 1.0, 0.3 * 1.0, 0.7 * 2.0, 0.1 * 2.0])
    # transposed: out[j] = w[j] * y[col], cols = indices
    y_col = jnp.array([1.0, 10.0, 100.0])
    assert_close(csrmv_yw2y(y_col, w, indices, indptr, shape=(2, 3), transpose=True),
                 [0.5 * 1.0, 0.3 * 100.0, 0.7 * 10.0, 0.1 * 100.0])
    # "differentiable with respect to both y and w"
    gy, gw = jax.grad(lambda y, w: jnp.sum(csrmv_yw2y(y, w, indices, indptr, shape=(2, 3))),
                      argnums=(0, 1))(y, w)
    assert_close(gy, [0.5 + 0.3, 0.7 + 0.1])
    assert_close(gw, [1.0, 1.0, 2.0, 2.0])


def test_seed_001_binary_jitnmv():
    from sparsecore import binary_jitnmv  # was: from brainevent._jit_normal.binary import ...
    w_loc = jnp.array([1.0])
    w_scale = jnp.array([0.1])
    events = jnp.array([True, False, True, True, False])
    result = binary_jitnmv(w_loc, w_scale, 0.5, events, seed=42,
                           shape=(3, 5))
    # y[i] = sum over connected j with spike[j] of N_ij, the matrix of jitn (todense)
    M = np.asarray(sc.jitn(w_loc, w_scale, 0.5, 42, shape=(3, 5)), np.float64)
    assert result.shape == (3,)
    assert_close(result, M @ np.asarray(events, np.float64))
    # the same matrix by position, with either corder, and with float events (> 0)
    assert_close(binary_jitnmv(w_loc, w_scale, 0.5, events, 42, shape=(3, 5), corder=False),
                 result, tol=(1e-6, 1e-6))
    assert_close(binary_jitnmv(w_loc, w_scale, 0.5, jnp.where(events, 0.7, -1.0), seed=42,
                               shape=(3, 5)), result, tol=(1e-6, 1e-6))
    # transpose: M.T @ v
    v = jnp.array([True, False, True])
    assert_close(binary_jitnmv(w_loc, w_scale, 0.5, v, seed=42, shape=(3, 5), transpose=True),
                 M.T @ np.asarray(v, np.float64))
    # "automatic differentiation for w_loc, w_scale, and vector"
    x = jnp.asarray(events, jnp.float32)
    g_loc, g_scale, g_x = jax.grad(lambda a, b, x: jnp.sum(binary_jitnmv(
        a, b, 0.5, x, seed=42, shape=(3, 5))), argnums=(0, 1, 2))(w_loc, w_scale, x)
    mask = M != 0
    z = np.where(mask, (M - 1.0) / 0.1, 0.0)
    assert_close(g_loc, [(mask @ np.asarray(x)).sum()], tol=(1e-5, 1e-5))
    assert_close(g_scale, [(z @ np.asarray(x)).sum()], tol=(1e-4, 1e-4))
    assert_close(g_x, M.sum(axis=0))
    # seed=None: "a random seed is generated"
    assert binary_jitnmv(w_loc, w_scale, 0.5, events, shape=(3, 5)).shape == (3,)


def test_seed_002_fixed_num_conn():
    from sparsecore import FixedPostNumConn  # was: from brainevent import FixedPostNumConn

    data = jnp.array([[1., 2.], [3., 4.]])
    indices = jnp.array([[0, 1], [1, 2]])
    mat = FixedPostNumConn((data, indices), shape=(2, 3))
    assert mat.shape == (2, 3)
    # W[i, indices[i, k]] = data[i, k]; y[i] = sum_k data[i, k] * v[indices[i, k]]
    assert_close(mat.todense(), [[1., 2., 0.], [0., 3., 4.]])
    v = jnp.array([1., 10., 100.])
    assert_close(mat @ v, [1. + 20., 30. + 400.])
    homo = FixedPostNumConn((jnp.array([0.5]), indices), shape=(2, 3))  # data of shape (1,)
    assert_close(homo.todense(), [[0.5, 0.5, 0.], [0., 0.5, 0.5]])
    assert sc.FixedNumPerPre is FixedPostNumConn


def test_seed_003_update_csr_on_binary_post():
    from sparsecore import update_csr_on_binary_post  # was: brainevent._csr.plasticity_binary
    weight = jnp.array([0.5, 0.3, 0.8, 0.2], dtype=jnp.float32)
    indices = jnp.array([0, 1, 0, 1], dtype=jnp.int32)
    indptr = jnp.array([0, 2, 4], dtype=jnp.int32)
    weight_indices = jnp.array([0, 2, 1, 3], dtype=jnp.int32)
    pre_trace = jnp.array([0.1, -0.05], dtype=jnp.float32)
    post_spike = jnp.array([True, False])
    updated = update_csr_on_binary_post(
        weight, indices, indptr, weight_indices,
        pre_trace, post_spike, shape=(2, 2),
    )
    # column 0 fires: its entries (rows 0, 1) sit at CSR positions 0 and 2 and get
    # pre_trace[row]; column 1 is silent
    assert_close(updated, [0.5 + 0.1, 0.3, 0.8 - 0.05, 0.2])
    # clipped to [w_min, w_max] after the update, every weight as in the seed's text
    clipped = update_csr_on_binary_post(weight, indices, indptr, weight_indices, pre_trace,
                                        post_spike, 0.25, 0.7, shape=(2, 2), clip="all")
    assert_close(clipped, [0.6, 0.3, 0.7, 0.25])
    # the cheap default clips the updated entries only
    cheap = update_csr_on_binary_post(weight, indices, indptr, weight_indices, pre_trace,
                                      post_spike, 0.25, 0.7, shape=(2, 2))
    assert_close(cheap, [0.6, 0.3, 0.7, 0.2])
    # the column structure and weight_indices are csr_to_csc_index's, in brainevent's order
    csr_indices, csr_indptr = jnp.array([0, 1, 0, 1]), jnp.array([0, 2, 4])
    ptr, rows, perm = sc.csr_to_csc_index(csr_indptr, csr_indices, shape=(2, 2))
    np.testing.assert_array_equal(ptr, indptr)
    np.testing.assert_array_equal(rows, indices)
    np.testing.assert_array_equal(perm, weight_indices)
