"""Straight-through spike gradients: event products differentiate as float products.

Surrogate-gradient training feeds float 0/1 spikes to the synaptic product.  The
event product runs forward as events (``x > 0`` active, adding the weight) and
differentiates, with respect to a float operand, as the float product does: its
JVP is ``A @ x_dot`` and its VJP ``A.T @ ct``.  Bool spikes carry no gradient.
Checked for every format (CSR, CSC, fixed-number in both orientations, generated
R/C of every distribution), vector and matrix operands, both product directions,
through ``W.dot`` / ``W.rdot`` with ``event=True`` and the ``binary_*`` functions,
eager, jitted and vmapped, against the float64 dense oracle.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import assert_close

SHAPE = (7, 5)


def _fixed(cls, rng, dtype, shape):
    lines = shape[0] if cls is sc.FixedPostNumConn else shape[1]
    width = shape[1] if cls is sc.FixedPostNumConn else shape[0]
    indices = np.stack([rng.choice(width, size=3, replace=False) for _ in range(lines)])
    data = rng.uniform(0.5, 1.5, indices.shape) * rng.choice([-1.0, 1.0], indices.shape)
    return cls((jnp.asarray(data, dtype), jnp.asarray(indices, jnp.int32)), shape=shape)


def _compressed(cls, rng, dtype, shape, *, empty_row=True):
    dense = np.where(rng.random(shape) < 0.4, rng.uniform(0.5, 1.5, shape), 0.0)
    if empty_row:
        dense[1, :] = 0.0  # an empty row
    return cls.fromdense(jnp.asarray(dense, dtype))


JITC = {"JITCHomoR": (1.5,), "JITCHomoC": (1.5,), "JITCNormalR": (0.5, 1.0),
        "JITCNormalC": (0.5, 1.0), "JITCUniformR": (0.2, 1.0), "JITCUniformC": (0.2, 1.0)}


def make(name, rng, dtype, shape=SHAPE):
    """``(W, values, rebuild)``: the matrix, its differentiable values and W(values)."""
    if name in ("CSR", "CSC"):
        W = _compressed(getattr(sc, name), rng, dtype, shape)
        return W, W.data, W.with_data
    if name in ("FixedPostNumConn", "FixedPreNumConn"):
        W = _fixed(getattr(sc, name), rng, dtype, shape)
        return W, W.data, W.with_data
    params = tuple(jnp.asarray(p, dtype) for p in JITC[name])
    W = getattr(sc, name)(params + (0.5, 3), shape=shape)

    def rebuild(values):
        return W.with_data(values if len(values) > 1 else values[0])
    return W, params, rebuild


FORMATS = ["CSR", "CSC", "FixedPostNumConn", "FixedPreNumConn"] + list(JITC)


def _spikes(rng, length, dtype, batch=None):
    shape = (length,) if batch is None else (length, batch)
    return jnp.asarray(rng.random(shape) < 0.5, dtype)


# every format in float32; in float64 one of each family (the rules are
# dtype-independent, and every kernel is checked in float64 by its own tests)
DTYPE_CASES = [(name, "float32") for name in FORMATS] + [
    (name, "float64") for name in ("CSR", "FixedPreNumConn", "JITCNormalC")]


@pytest.mark.parametrize("reflected", [False, True], ids=["dot", "rdot"])
@pytest.mark.parametrize("batch", [None, 3], ids=["vector", "matrix"])
@pytest.mark.parametrize("name, float_dtype", DTYPE_CASES, indirect=["float_dtype"])
def test_event_dot_differentiates_as_the_float_product(name, batch, reflected, float_dtype,
                                                       rng):
    W, values, rebuild = make(name, rng, float_dtype)
    D = np.asarray(W.todense(), np.float64)
    length = SHAPE[0] if reflected else SHAPE[1]
    x = _spikes(rng, length, float_dtype, batch)
    if reflected and batch is not None:
        x = x.T  # x @ W takes spikes as rows

    def event(x, W=W):
        return W.rdot(x, event=True) if reflected else W.dot(x, event=True)

    def oracle(x):
        return x @ D if reflected else D @ x

    xs = np.asarray(x, np.float64)
    # forward: events, i.e. the bool product
    assert_close(event(x), oracle((xs > 0).astype(np.float64)), float_dtype)
    assert_close(jax.jit(event)(x), oracle((xs > 0).astype(np.float64)), float_dtype)
    # JVP in x: the float product with the tangent
    t = jnp.asarray(rng.normal(size=x.shape), float_dtype)
    _, out_dot = jax.jvp(event, (x,), (t,))
    assert_close(out_dot, oracle(np.asarray(t, np.float64)), float_dtype)
    # VJP in x: the transposed float product
    out, pullback = jax.vjp(event, x)
    ct = np.asarray(rng.normal(size=out.shape), np.float64)
    (gx,) = pullback(jnp.asarray(ct, float_dtype))
    assert gx.dtype == x.dtype
    expected = ct @ D.T if reflected else D.T @ ct
    assert_close(gx, expected, float_dtype)
    # the values: the same gradient as the float product at 0/1 spikes
    def loss(v, x, kind):
        M = rebuild(v)
        if kind == "event":
            y = M.rdot(x, event=True) if reflected else M.dot(x, event=True)
        else:
            y = M.rdot(x, event=False) if reflected else M.dot(x, event=False)
        return jnp.sum(y * jnp.asarray(ct, float_dtype))
    g_event = jax.grad(loss, argnums=(0, 1))(values, x, "event")
    g_float = jax.grad(loss, argnums=(0, 1))(values, x, "float")
    for a, b in zip(jax.tree_util.tree_leaves(g_event), jax.tree_util.tree_leaves(g_float)):
        assert_close(a, np.asarray(b), float_dtype)


@pytest.mark.parametrize("name", ["CSR", "FixedPreNumConn", "JITCNormalR", "JITCUniformC"])
def test_event_dot_vmaps_and_jits(name, backend, rng):
    W, _, _ = make(name, rng, np.float32)
    D = np.asarray(W.todense(), np.float64)
    xs = _spikes(rng, SHAPE[0], np.float32, 4).T  # four spike vectors, one per row

    def loss(x):
        return jnp.sum(jnp.sin(W.rdot(x, event=True, backend=backend)))

    grads = jax.jit(jax.vmap(jax.grad(loss)))(xs)
    for x, g in zip(np.asarray(xs, np.float64), np.asarray(grads)):
        assert_close(g, D @ np.cos(x @ D), np.float32)
    ys = jax.vmap(lambda x: W.dot(x, event=True, backend=backend))(
        _spikes(rng, SHAPE[1], np.float32, 4).T)
    assert ys.shape == (4, SHAPE[0])


def test_bool_spikes_have_no_gradient(rng):
    W, _, _ = make("CSR", rng, np.float32)
    v = jnp.asarray(rng.normal(size=SHAPE[0]), jnp.float32)
    g = jax.grad(lambda v: jnp.sum(W.rdot(v > 0, event=True)))(v)
    np.testing.assert_array_equal(g, np.zeros(SHAPE[0]))
    with pytest.raises(TypeError, match="grad requires real"):
        jax.grad(lambda s: jnp.sum(W.rdot(s, event=True)))(v > 0)
    # an integer operand is events too, and carries no tangent
    out, out_dot = jax.jvp(lambda d: W.with_data(d).rdot(jnp.array([1, 0, 2, 0, 0, 1, 0]),
                                                         event=True), (W.data,), (W.data,))
    assert_close(out, out_dot, np.float32)


def test_event_keyword_is_checked(rng):
    W, _, _ = make("CSR", rng, np.float32)
    with pytest.raises(TypeError, match="event must be True, False or None"):
        W.dot(jnp.ones(SHAPE[1]), event="yes")
    # event=False: bool spikes become a float product (and keep @'s meaning otherwise)
    s = jnp.asarray(rng.random(SHAPE[1]) < 0.5)
    assert_close(W.dot(s, event=False), W @ s, np.float32)
    assert_close(W @ jnp.asarray(s, jnp.float32), W.dot(s, event=True), np.float32)


def _functional_cases(rng, dtype):
    """``(name, fn(x), dense, operand_length, batch)`` for every ``binary_*`` function."""
    m, n = SHAPE
    csr = _compressed(sc.CSR, rng, dtype, SHAPE)
    fcn = _fixed(sc.FixedPostNumConn, rng, dtype, SHAPE)
    cases = []
    for transpose in (False, True):
        length = m if transpose else n
        for batch in (None, 3):
            mv = batch is None
            cases.append(("binary_csr", lambda x, t=transpose, mv=mv: (
                sc.binary_csrmv if mv else sc.binary_csrmm)(
                    csr.data, csr.indices, csr.indptr, x, shape=SHAPE, transpose=t),
                csr.todense(), transpose, length, batch))
            cases.append(("binary_fcn", lambda x, t=transpose, mv=mv: (
                sc.binary_fcnmv if mv else sc.binary_fcnmm)(
                    fcn.data, fcn.indices, x, shape=SHAPE, transpose=t),
                fcn.todense(), transpose, length, batch))
            for kind, params in (("h", (1.5,)), ("n", (0.5, 1.0)), ("u", (0.2, 1.0))):
                params = tuple(jnp.asarray(p, dtype) for p in params)
                dense = getattr(sc, f"jit{kind}")(*params, 0.5, 11, shape=SHAPE)
                fn = getattr(sc, f"binary_jit{kind}{'mv' if mv else 'mm'}")
                cases.append((f"binary_jit{kind}", lambda x, fn=fn, p=params, t=transpose: fn(
                    *p, 0.5, x, seed=11, shape=SHAPE, transpose=t), dense, transpose, length,
                    batch))
    return cases


def test_binary_functions_differentiate_straight_through(float_dtype, rng):
    for name, fn, dense, transpose, length, batch in _functional_cases(rng, float_dtype):
        D = np.asarray(dense, np.float64)
        A = D.T if transpose else D
        x = _spikes(rng, length, float_dtype, batch)
        assert_close(fn(x), A @ np.asarray(x, np.float64), float_dtype, err_msg=name)
        out, pullback = jax.vjp(fn, x)
        ct = np.asarray(rng.normal(size=out.shape), np.float64)
        (gx,) = pullback(jnp.asarray(ct, float_dtype))
        assert_close(gx, A.T @ ct, float_dtype, err_msg=f"{name} transpose={transpose}")
        t = jnp.asarray(rng.normal(size=x.shape), float_dtype)
        assert_close(jax.jvp(fn, (x,), (t,))[1], A @ np.asarray(t, np.float64), float_dtype,
                     err_msg=name)


def test_degenerate_shapes(rng):
    empty = sc.CSR.fromdense(jnp.zeros((4, 3)))  # zero nnz
    g = jax.grad(lambda s: jnp.sum(empty.rdot(s, event=True)))(jnp.ones(4))
    np.testing.assert_array_equal(g, np.zeros(4))
    zero = sc.CSR.fromdense(jnp.zeros((0, 3)))  # a 0-sized dimension
    g = jax.grad(lambda s: jnp.sum(zero.dot(s, event=True)))(jnp.ones(3))
    np.testing.assert_array_equal(g, np.zeros(3))
    assert zero.rdot(jnp.ones(0), event=True).shape == (3,)


def test_linear_transpose_of_an_event_product(rng):
    W, _, _ = make("CSR", rng, np.float32)
    D = np.asarray(W.todense(), np.float64)
    ct = jnp.asarray(rng.normal(size=SHAPE[1]), jnp.float32)
    f_t = jax.linear_transpose(lambda s: W.rdot(s, event=True), jnp.zeros(SHAPE[0]))
    assert_close(f_t(ct)[0], D @ np.asarray(ct, np.float64), np.float32)
