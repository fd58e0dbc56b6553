"""Units on stored values, operands and results, for every matrix class.

Oracle: brainunit's own dense arithmetic on ``W.todense()`` (a Quantity).
Units are split once at the public boundary and are static under jit.
"""
from __future__ import annotations

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import assert_close
from test_operators import CLASSES, SHAPE, dense, make, mask

UNIT_ERRORS = (u.DimensionMismatchError, u.UnitMismatchError)
BACKEND = "jax"  # the reference backend everywhere; one numba smoke test below


@pytest.fixture(params=CLASSES)
def cls_name(request):
    return request.param


@pytest.fixture(params=["homo", "per-entry"])
def homo(request):
    return request.param == "homo"


def with_unit(W, unit):
    return W.with_data(W.data * unit)


def assert_q(actual, expected, unit=None):
    """Same unit (``unit`` if given, else ``expected``'s) and close mantissas."""
    if unit is None:
        unit = u.get_unit(expected)
    assert isinstance(actual, u.Quantity), type(actual)
    assert actual.unit == unit, (actual.unit, unit)
    exp = expected.to_decimal(unit) if isinstance(expected, u.Quantity) else expected
    assert_close(actual.mantissa, np.asarray(exp), np.float32)


def both(fn, *args):
    return [("eager", fn(*args)), ("jit", jax.jit(fn)(*args))]


def test_construction_and_metadata(cls_name, homo, rng):
    W = with_unit(make(cls_name, rng, homo=homo), u.mS)
    assert W.unit == u.mS
    assert "mS" in repr(W)
    assert_q(W.todense(), dense(W.with_data(W.data.mantissa)) * u.mS)
    Wc = sc.CSR((jnp.array([1., 2.]) * u.mS, jnp.array([0, 1]), jnp.array([0, 1, 2])),
                shape=(2, 2))
    assert Wc.unit == u.mS and Wc.dtype == jnp.float32


@pytest.mark.parametrize("case", [(c, False) for c in CLASSES] + [("CSR", True)])
def test_matmul_units(case, rng):
    cls_name, homo = case
    W = with_unit(make(cls_name, rng, homo=homo), u.mS)
    D = W.todense()
    v = jnp.asarray(rng.uniform(-1, 1, SHAPE[1]), jnp.float32) * u.mV
    w = jnp.asarray(rng.uniform(-1, 1, SHAPE[0]), jnp.float32) * u.mV
    B = jnp.asarray(rng.uniform(-1, 1, (SHAPE[1], 3)), jnp.float32) * u.mV
    C = jnp.asarray(rng.uniform(-1, 1, (2, SHAPE[0])), jnp.float32) * u.mV
    spikes = jnp.asarray(rng.random(SHAPE[1]) < 0.5)
    pre = jnp.asarray(rng.random(SHAPE[0]) < 0.5)

    def products(W, v, w, B, C, spikes, pre):
        return (W.dot(v, backend=BACKEND), W.rdot(w, backend=BACKEND),
                W.dot(B, backend=BACKEND), W.rdot(C, backend=BACKEND),
                W.dot(spikes, backend=BACKEND), W.rdot(pre, backend=BACKEND), W @ v, w @ W)

    mSmV = u.mS * u.mV
    for mode, out in both(products, W, v, w, B, C, spikes, pre):
        assert_q(out[0], D @ v, mSmV)
        assert_q(out[1], w @ D, mSmV)
        assert_q(out[2], D @ B, mSmV)
        assert_q(out[3], C @ D, mSmV)
        assert_q(out[4], D @ spikes.astype(jnp.float32), u.mS)
        assert_q(out[5], pre.astype(jnp.float32) @ D, u.mS)
        assert_q(out[6], D @ v, mSmV)
        assert_q(out[7], w @ D, mSmV)


def test_unitless_matrix_unit_operand(rng):
    W = make("CSR", rng, homo=False)
    v = jnp.ones(SHAPE[1]) * u.mV
    assert_q(W @ v, dense(W) @ np.ones(SHAPE[1]), u.mV)
    assert_q((jnp.ones(SHAPE[0]) * u.mV) @ W, np.ones(SHAPE[0]) @ dense(W), u.mV)


def test_dimensionless_result_is_plain_array(rng):
    W = with_unit(make("CSR", rng, homo=False), 1 / u.mV)
    out = W @ (jnp.ones(SHAPE[1]) * u.volt)  # 1/mV * V: dimensionless, scale 1000
    assert not isinstance(out, u.Quantity)
    assert_close(out, 1000 * dense(W.with_data(W.data.mantissa)) @ np.ones(SHAPE[1]),
                 np.float32)


def test_numba_backend_with_units(rng):
    W = with_unit(make("CSR", rng, homo=False), u.mS)
    v = jnp.ones(SHAPE[1]) * u.mV
    assert_q(W.dot(v, backend="numba"), W.todense() @ v, u.mS * u.mV)


def test_functional_ops_split_units(rng):
    W = with_unit(make("CSR", rng, homo=False), u.mS)
    D = W.todense()
    args = (W.data, W.indices, W.indptr)
    v, s = jnp.ones(SHAPE[1]) * u.mV, jnp.arange(SHAPE[1]) % 2 == 0
    B = jnp.ones((SHAPE[1], 2)) * u.mV
    kw = dict(shape=SHAPE, backend=BACKEND)
    assert_q(sc.csrmv(*args, v, **kw), D @ v, u.mS * u.mV)
    assert_q(sc.csrmm(*args, B, **kw), D @ B, u.mS * u.mV)
    assert_q(sc.binary_csrmv(*args, s, **kw), D @ s.astype(jnp.float32), u.mS)
    assert_q(sc.binary_csrmm(*args, s[:, None], **kw), D @ s[:, None].astype(jnp.float32), u.mS)
    assert_q(sc.csrmv(*args, jnp.ones(SHAPE[0]) * u.mV, transpose=True, **kw),
             jnp.ones(SHAPE[0]) @ D * u.mV, u.mS * u.mV)
    F = with_unit(make("FixedPostNumConn", rng, homo=False), u.mS)
    assert_q(sc.fcnmv(F.data, F.indices, v, shape=SHAPE, backend=BACKEND), F.todense() @ v,
             u.mS * u.mV)
    assert_q(sc.binary_fcnmv(F.data, F.indices, s, shape=SHAPE, backend=BACKEND),
             F.todense() @ s.astype(jnp.float32), u.mS)


def test_quantity_operands_defer_to_matrix(cls_name, rng):
    W = with_unit(make(cls_name, rng, homo=False), u.mS)
    D = W.todense()
    q = 2.0 * u.mV
    X = jnp.asarray(rng.uniform(0.5, 2, SHAPE), jnp.float32) * u.mV
    v = jnp.ones(SHAPE[0]) * u.mV
    r = v @ W  # Quantity.__matmul__ -> W.__rmatmul__
    assert_q(r, v @ D, u.mS * u.mV)
    for result, expected in [(q * W, D * q), (W * q, D * q), (X * W, D * X), (W * X, D * X),
                             (W * u.mV, D * u.mV), (W / q, D / q)]:
        assert type(result) is type(W)
        assert_q(result.todense(), np.where(mask(W), expected.mantissa, 0) * expected.unit)


def test_bare_unit_on_the_left(rng):
    """``u.mV * W``: brainunit's Unit.__mul__ wraps W in a Quantity; ``@`` still works."""
    W = make("CSR", rng, homo=False)
    v = jnp.ones(SHAPE[1])
    wrapped = u.mV * W
    assert_q(wrapped @ v, dense(W) @ np.ones(SHAPE[1]), u.mV)
    assert_q(W * u.mV @ v, dense(W) @ np.ones(SHAPE[1]), u.mV)
    assert (W * u.mV).unit == u.mV


UNIT_OPS = {
    "neg": (lambda W: -W, lambda D: -D),
    "abs": (lambda W: abs(W), lambda D: abs(D)),
    "mul_q": (lambda W: W * (2.0 * u.mV), lambda D: D * (2.0 * u.mV)),
    "rmul_q": (lambda W: (2.0 * u.mV) * W, lambda D: D * (2.0 * u.mV)),
    "div_q": (lambda W: W / (4.0 * u.ms), lambda D: D / (4.0 * u.ms)),
    "pow": (lambda W: W ** 2, lambda D: D ** 2),
    "mod": (lambda W: W % (0.7 * u.mS), lambda D: D % (0.7 * u.mS)),
    "add": (lambda W: W + W * 2, lambda D: D * 3),
    "sub_other_scale": (lambda W: W - W.with_data(W.data.in_unit(u.uS)),
                        lambda D: D * 0),
    "mul_matrix": (lambda W: W * W, lambda D: D * D),
    "astype": (lambda W: W.astype(jnp.float16).astype(jnp.float32),
               lambda D: D.astype(jnp.float16).astype(jnp.float32)),
    "apply": (lambda W: W.apply(lambda d: u.math.clip(d, -0.8 * u.mS, 0.8 * u.mS)),
              lambda D: u.math.clip(D, -0.8 * u.mS, 0.8 * u.mS)),
}


def test_operators_keep_units(cls_name, homo, rng):
    W = with_unit(make(cls_name, rng, homo=homo), u.mS)
    D, m = W.todense(), mask(W)
    names = sorted(UNIT_OPS)
    for mode, out in both(lambda W: tuple(UNIT_OPS[k][0](W) for k in names), W):
        for name, result in zip(names, out):
            expected = UNIT_OPS[name][1](D)
            assert type(result) is type(W), name
            got = result.todense()
            assert_q(got, np.where(m, expected.mantissa, 0) * expected.unit)


def test_dimensionless_values_collapse(rng):
    W = with_unit(make("CSR", rng, homo=False), u.mS)
    r = W / (2.0 * u.mS)
    assert r.unit is None and not isinstance(r.data, u.Quantity)
    assert_close(dense(r), dense(W.with_data(W.data.mantissa)) / 2, np.float32)
    q = W // (0.3 * u.mS)
    assert q.unit is None


def test_sum_and_fromdense_keep_units(cls_name, homo, rng):
    W = with_unit(make(cls_name, rng, homo=homo), u.mS)
    D = W.todense()
    for mode, out in both(lambda W: (W.sum(), W.sum(axis=0), W.sum(axis=1)), W):
        assert_q(out[0], D.sum(), u.mS)
        assert_q(out[1], D.sum(axis=0), u.mS)
        assert_q(out[2], D.sum(axis=1), u.mS)
    if cls_name in ("CSR", "CSC"):
        F = getattr(sc, cls_name).fromdense(D)
        assert F.unit == u.mS
        assert_q(F.todense(), D)


def test_to_scipy_refuses_units(rng):
    W = with_unit(make("CSR", rng, homo=False), u.mS)
    with pytest.raises(TypeError, match="mantissa"):
        W.to_scipy()
    S = W.with_data(W.data.to_decimal(u.mS)).to_scipy()  # the way the message names
    np.testing.assert_allclose(S.toarray(), W.todense().to_decimal(u.mS))


def test_dimension_mismatch_names_operation_and_units(cls_name, rng):
    W = with_unit(make(cls_name, rng, homo=False), u.mS)
    Wv = W.with_data(W.data.mantissa * u.mV)
    for fn, op in [(lambda: W + Wv, "+"), (lambda: W - Wv, "-"), (lambda: W % (1 * u.mV), "%")]:
        with pytest.raises(UNIT_ERRORS) as info:
            fn()
        msg = str(info.value)
        assert op in msg and "mS" in msg and "mV" in msg, msg
    with pytest.raises(UNIT_ERRORS) as info:
        W.apply(lambda d: u.math.clip(d, 0 * u.mV, 1 * u.mV))
    assert "mV" in str(info.value) and "mS" in str(info.value)
    with pytest.raises(UNIT_ERRORS):
        jax.jit(lambda a, b: a + b)(W, Wv)


def test_units_are_static_under_jit(rng):
    W = with_unit(make("CSR", rng, homo=False), u.mS)
    v = jnp.ones(SHAPE[1]) * u.mV
    jaxpr = jax.make_jaxpr(lambda W, v: (W * 2) @ v)(W, v)
    assert "Quantity" not in str(jaxpr)
    leaves = jax.tree_util.tree_leaves(W)
    assert all(isinstance(leaf, jax.Array) for leaf in leaves)


def test_gradients_through_unit_ops(cls_name, rng):
    W0 = make(cls_name, rng, homo=False)
    x = jnp.asarray(rng.uniform(0.5, 2, SHAPE), jnp.float32)
    v = jnp.asarray(rng.uniform(-1, 1, SHAPE[1]), jnp.float32)
    pre = jnp.asarray(rng.random(SHAPE[0]) < 0.5)

    def loss(data):
        W = W0.with_data(data * u.mS)
        I = (W * (x * u.mV)).dot(v, backend=BACKEND).sum() + \
            W.rdot(pre, backend=BACKEND).sum() * u.mV
        return I / (u.mS * u.mV) + (W ** 2).sum().to_decimal(u.mS ** 2)

    def loss_dense(d):
        return ((d * x) @ v).sum() + (pre.astype(jnp.float32) @ d).sum() + (d ** 2).sum()

    g = jax.grad(loss)(W0.data)
    g_dense = jax.grad(loss_dense)(jnp.asarray(dense(W0), jnp.float32))
    assert_close(dense(W0.with_data(g)), np.where(mask(W0), g_dense, 0), np.float32)
    gv = jax.grad(lambda v: (with_unit(W0, u.mS).dot(v * u.mV, backend=BACKEND)
                             .to_decimal(u.uA)).sum())(v)
    assert_close(gv, np.ones(SHAPE[0]) @ dense(W0), np.float32)
