"""The operator surface of every matrix class, against the same operation on ``todense()``.

Each elementwise operation must keep the class and the structure and equal
the dense operation restricted to the stored entries, eagerly and under jit,
for homogeneous and per-entry storage.
"""
from __future__ import annotations

import operator

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

import sparsecore as sc
from harness import assert_close, random_sparse

SHAPE = (6, 5)
CLASSES = ("CSR", "CSC", "FixedPostNumConn", "FixedPreNumConn")


def make(name, rng, *, homo, dtype=np.float32, shape=SHAPE):
    """A matrix of class ``name`` with canonical structure and values away from zero."""
    cls = getattr(sc, name)
    if name in ("CSR", "CSC"):
        coo = random_sparse(rng, shape, nnz=10, dtype=dtype, empty_rows=(1,))
        scipy_m = sp.csr_array(coo) if name == "CSR" else sp.csc_array(coo)
        scipy_m.sort_indices()
        data = np.asarray(1.25, dtype) if homo else scipy_m.data
        return cls((data, scipy_m.indices, scipy_m.indptr), shape=shape)
    W = cls.random(*shape, 2, weight=np.asarray(1.25, dtype), seed=int(rng.integers(1 << 30)))
    if homo:
        return W
    values = rng.uniform(0.5, 1.5, W._entries_shape()) * rng.choice([-1, 1], W._entries_shape())
    return W.with_data(jnp.asarray(values, dtype))


def dense(W):
    return np.asarray(W.todense(), np.float64)


def mask(W):
    return dense(W.with_data(jnp.ones(W._entries_shape(), W.dtype))) != 0


def check_same(result, W, expected, *, msg=""):
    assert type(result) is type(W), msg
    assert result.shape == W.shape, msg
    assert result.nnz == W.nnz, msg
    for a, b in zip(result._structure_leaves(), W._structure_leaves()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=msg)
    assert_close(dense(result), expected, result.dtype, err_msg=msg)


@pytest.fixture(params=CLASSES)
def cls_name(request):
    return request.param


@pytest.fixture(params=["homo", "per-entry"])
def homo(request):
    return request.param == "homo"


def both(fn, *args):
    """``fn(*args)`` eagerly and under one jit: [(mode, result), ...]."""
    return [("eager", fn(*args)), ("jit", jax.jit(fn)(*args))]


SCALAR_OPS = {
    "neg": (lambda W: -W, lambda d: -d),
    "pos": (lambda W: +W, lambda d: d),
    "abs": (lambda W: abs(W), np.abs),
    "mul": (lambda W: W * 2.5, lambda d: d * 2.5),
    "rmul": (lambda W: -3 * W, lambda d: -3 * d),
    "div": (lambda W: W / 4.0, lambda d: d / 4.0),
    "pow2": (lambda W: W ** 2, lambda d: d ** 2),
    "pow3": (lambda W: W ** 3, lambda d: d ** 3),
    "floordiv": (lambda W: W // 0.3, lambda d: d // 0.3),
    "mod": (lambda W: W % 0.7, lambda d: d % 0.7),
    "mul_array0d": (lambda W: W * jnp.asarray(2.0), lambda d: d * 2.0),
    "mul_array1": (lambda W: W * jnp.asarray([2.0]), lambda d: d * 2.0),
    "rmul_np": (lambda W: np.float32(2.0) * W, lambda d: d * 2.0),
    "astype": (lambda W: W.astype(jnp.float16).astype(jnp.float32),
               lambda d: d.astype(np.float16).astype(np.float64)),
    "copy": (lambda W: W.copy(), lambda d: d),
    "apply": (lambda W: W.apply(jnp.tanh), np.tanh),
}


def test_scalar_ops(cls_name, homo, rng):
    W = make(cls_name, rng, homo=homo)
    names, d, m = sorted(SCALAR_OPS), dense(W), mask(W)
    for mode, results in both(lambda W: tuple(SCALAR_OPS[k][0](W) for k in names), W):
        for name, result in zip(names, results):
            expected = np.where(m, SCALAR_OPS[name][1](d), 0.0)
            check_same(result, W, expected, msg=f"{name} ({mode})")


def test_traced_scalar(cls_name, homo, rng):
    W = make(cls_name, rng, homo=homo)
    out = jax.jit(lambda W, s: (W * s, s * W, W / s))(W, jnp.float32(3.0))
    for r, e in zip(out, (dense(W) * 3, dense(W) * 3, dense(W) / 3)):
        check_same(r, W, e)


DENSE_OPS = {
    "mul": (operator.mul, False), "rmul": (operator.mul, True), "div": (operator.truediv, False),
    "floordiv": (operator.floordiv, False), "mod": (operator.mod, False),
}
X_SHAPES = [(5,), (6, 1), (6, 5), (1, 5)]


def test_dense_operand_stored_entries_only(cls_name, homo, rng):
    W = make(cls_name, rng, homo=homo)
    xs = tuple(jnp.asarray(rng.uniform(0.5, 2.0, s) * rng.choice([-1, 1], s), jnp.float32)
               for s in X_SHAPES)
    names, d, m = sorted(DENSE_OPS), dense(W), mask(W)

    def apply_all(W, xs):
        return tuple(tuple(DENSE_OPS[k][0](x, W) if DENSE_OPS[k][1] else DENSE_OPS[k][0](W, x)
                           for k in names) for x in xs)

    for mode, results in both(apply_all, W, xs):
        for x, row in zip(xs, results):
            xb = np.broadcast_to(np.asarray(x, np.float64), SHAPE)
            for name, result in zip(names, row):
                fn, reverse = DENSE_OPS[name]
                full = fn(xb, d) if reverse else fn(d, xb)
                check_same(result, W, np.where(m, full, 0.0),
                           msg=f"{name} x{tuple(x.shape)} ({mode})")
                if homo and x.shape != (1,):
                    assert np.shape(result.data) == tuple(W._entries_shape())  # per-entry now


def test_numpy_operand_defers_to_us(cls_name, rng):
    W = make(cls_name, rng, homo=False)
    x = rng.uniform(0.5, 2.0, SHAPE)
    check_same(x * W, W, np.where(mask(W), x * dense(W), 0.0))


@pytest.mark.parametrize("bad", [(6,), (5, 6), (2, 6, 5)])
def test_dense_operand_not_broadcasting(cls_name, bad, rng):
    W = make(cls_name, rng, homo=False)
    with pytest.raises(ValueError, match="broadcast"):
        W * jnp.ones(bad)


MATRIX_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
              "div": operator.truediv}


@pytest.mark.parametrize("storage", ["homo+homo", "homo+entry", "entry+homo", "entry+entry"])
def test_same_structure_matrices(cls_name, storage, rng):
    W = make(cls_name, rng, homo=False)
    per_entry = jnp.asarray(rng.uniform(0.5, 1.5, W._entries_shape()), W.dtype)
    pick = {"homo": jnp.asarray([0.75], W.dtype), "entry": per_entry}
    left, right = storage.split("+")
    A = W.with_data(pick[left])
    B = W.with_data(pick[right] * 2 if left == right else pick[right])
    names, m, da, db = sorted(MATRIX_OPS), mask(W), dense(A), dense(B)
    for mode, results in both(lambda A, B: tuple(MATRIX_OPS[k](A, B) for k in names), A, B):
        for name, result in zip(names, results):
            expected = np.where(m, MATRIX_OPS[name](da, np.where(m, db, 1.0)), 0.0)
            check_same(result, W, expected, msg=f"{name} ({mode})")
            if storage == "homo+homo":
                assert np.size(result.data) == 1


def test_different_structures_raise(rng):
    A = make("CSR", rng, homo=False)
    B = make("CSR", rng, homo=False)
    with pytest.raises(ValueError, match="structure"):
        A + B
    with pytest.raises(TypeError, match="same class"):
        A + A.tocsc()
    with pytest.raises(ValueError, match="shapes"):
        A + sc.CSR.fromdense(jnp.eye(3))


def test_different_structures_same_nnz_raise():
    A = sc.CSR.fromdense(jnp.array([[1., 0.], [0., 1.]]))
    B = sc.CSR.fromdense(jnp.array([[0., 1.], [1., 0.]]))
    with pytest.raises(ValueError, match="different sparsity structures"):
        A * B


def test_structure_trusted_under_jit(rng):
    W = make("CSR", rng, homo=False)
    out = jax.jit(lambda a, b: a + b)(W, W * 2)
    assert_close(dense(out), 3 * dense(W), np.float32)


DENSE_RESULT = {
    "add_scalar": lambda W: W + 1.0, "radd_scalar": lambda W: 1.0 + W,
    "sub_dense": lambda W: W - jnp.ones(SHAPE), "rsub_dense": lambda W: jnp.ones(SHAPE) - W,
    "add_np": lambda W: np.ones(SHAPE) + W, "rdiv": lambda W: 1.0 / W,
    "rdiv_dense": lambda W: jnp.ones(SHAPE) / W, "rpow": lambda W: 2.0 ** W,
    "rfloordiv": lambda W: 2.0 // W, "rmod": lambda W: 2.0 % W,
    "asarray": lambda W: np.asarray(W), "jnp_asarray": lambda W: jnp.asarray(W),
    "eq": lambda W: W == W, "ne": lambda W: W != 1.0, "lt": lambda W: W < 0.0,
    "le": lambda W: W <= 0.0, "gt": lambda W: W > jnp.zeros(SHAPE), "ge": lambda W: W >= 0.0,
    "bool": lambda W: bool(W), "add_quantity": lambda W: (1.0 * u.mV) + W,
}


def test_dense_result_raises_naming_todense(cls_name, rng):
    W = make(cls_name, rng, homo=False)
    for name, fn in DENSE_RESULT.items():
        with pytest.raises(TypeError, match=r"todense\(\)"):
            fn(W)
            pytest.fail(name)


def test_matrix_only_ops_refuse_other_pairs(rng):
    W = make("CSR", rng, homo=False)
    with pytest.raises(TypeError, match="apply2"):
        W ** W
    with pytest.raises(TypeError):
        W + "text"
    with pytest.raises(TypeError):
        W * None


def test_apply2(cls_name, homo, rng):
    W = make(cls_name, rng, homo=homo)
    x = jnp.asarray(rng.uniform(-1, 1, SHAPE), jnp.float32)
    d, m = dense(W), mask(W)

    def fn(W, x):
        return (W.apply2(x, jnp.maximum), W.apply2(2.0, jnp.subtract, reverse=True),
                W.apply2(W * 3, jnp.minimum))

    for mode, (a, b, c) in both(fn, W, x):
        check_same(a, W, np.where(m, np.maximum(d, np.asarray(x)), 0), msg=mode)
        check_same(b, W, np.where(m, 2.0 - d, 0), msg=mode)
        check_same(c, W, np.where(m, np.minimum(d, 3 * d), 0), msg=mode)
    with pytest.raises(TypeError, match="apply2"):
        W.apply2("x", jnp.add)


def test_with_data_and_apply_validation(cls_name, rng):
    W = make(cls_name, rng, homo=False)
    with pytest.raises(ValueError, match="one value per stored entry"):
        W.with_data(jnp.ones(W.nnz + 1))
    with pytest.raises(TypeError, match="floating point"):
        W.with_data(jnp.ones(W._entries_shape(), jnp.int32))
    with pytest.raises(TypeError, match="floating point"):
        W.apply(lambda d: d > 0)
    with pytest.raises(TypeError, match="floating"):
        W.astype(jnp.int32)
    homo = W.with_data(2.0)
    assert_close(dense(homo), 2.0 * mask(W), np.float32)


def test_sum(cls_name, homo, rng):
    W = make(cls_name, rng, homo=homo)
    axes = (None, 0, 1, -1, -2)
    for mode, out in both(lambda W: tuple(W.sum(axis=a) for a in axes), W):
        for axis, o in zip(axes, out):
            assert_close(o, dense(W).sum(axis=axis), np.float32, err_msg=f"{axis} {mode}")


def test_sum_bad_axis(rng):
    W = make("CSR", rng, homo=False)
    with pytest.raises(ValueError, match="axis"):
        W.sum(axis=2)
    with pytest.raises(TypeError, match="axis"):
        W.sum(axis=(0, 1))


def test_float64(cls_name, homo, x64, rng):
    W = make(cls_name, rng, homo=homo, dtype=np.float64)
    x = rng.uniform(0.5, 2.0, SHAPE)
    out = jax.jit(lambda W, x: (-W * x) / 3.0 + W)(W, jnp.asarray(x))
    assert out.dtype == np.float64
    np.testing.assert_allclose(dense(out), np.where(mask(W), -dense(W) * x / 3.0 + dense(W), 0),
                               rtol=1e-12)


def test_degenerate_shapes():
    for shape in [(0, 3), (3, 0), (0, 0)]:
        W = sc.CSR((jnp.zeros(0), jnp.zeros(0, jnp.int32), jnp.zeros(shape[0] + 1, jnp.int32)),
                   shape=shape)
        assert (W * 2).nnz == 0
        assert (W * jnp.ones(shape)).nnz == 0
        assert (W + W).shape == shape
        assert_close(W.sum(axis=0), np.zeros(shape[1]), np.float32)
        assert_close(W.sum(axis=1), np.zeros(shape[0]), np.float32)
        assert_close(W.sum(), 0.0, np.float32)
    W = sc.CSR((3.0, jnp.zeros(0, jnp.int32), jnp.zeros(4, jnp.int32)), shape=(3, 2))
    assert float(W.sum()) == 0.0


def test_grad_through_operators(cls_name, rng):
    W = make(cls_name, rng, homo=False)
    x = jnp.asarray(rng.uniform(0.5, 2.0, SHAPE), jnp.float32)
    v = jnp.asarray(rng.uniform(-1, 1, SHAPE[1]), jnp.float32)

    def loss(data):
        M = W.with_data(data)
        return ((M * x) @ v).sum() + (M ** 2).sum() - (M - 0.5 * M).sum(axis=0).sum()

    def loss_dense(d):
        return ((d * x) @ v).sum() + (d ** 2).sum() - (0.5 * d).sum()

    g = jax.grad(loss)(W.data)
    g_dense = jax.grad(loss_dense)(jnp.asarray(dense(W), jnp.float32))
    assert_close(dense(W.with_data(g)), np.where(mask(W), np.asarray(g_dense), 0), np.float32)


def test_vmap_over_scalar(rng):
    W = make("CSR", rng, homo=False)
    s = jnp.arange(3.0)
    out = jax.vmap(lambda s: (W * s).data)(s)
    assert_close(out, np.asarray(s)[:, None] * np.asarray(W.data)[None])


class TestCanonical:
    def noncanonical(self, rng, name="CSR", homo=False):
        coo = random_sparse(rng, SHAPE, nnz=10, duplicates=4, unsorted=True)
        coo.data[:2] = 0.0  # explicit zeros
        cls = getattr(sc, name)
        view = coo if name == "CSR" else coo.T
        rows, cols = view.row, view.col
        order = np.argsort(rows, kind="stable")  # grouped by row, unsorted within a row
        counts = np.bincount(rows, minlength=view.shape[0])
        indptr = np.concatenate([[0], np.cumsum(counts)])
        data = np.float32(1.5) if homo else coo.data[order]
        return cls((data, cols[order], indptr), shape=SHAPE)

    @pytest.mark.parametrize("name", ["CSR", "CSC"])
    @pytest.mark.parametrize("homo", [False, True])
    def test_methods_keep_the_matrix(self, name, homo, rng):
        W = self.noncanonical(rng, name, homo)
        ref, before = dense(W), np.asarray(W.indices).copy()
        assert not W.has_canonical_format
        for method in ("sort_indices", "sum_duplicates", "eliminate_zeros"):
            out = getattr(W, method)()
            assert type(out) is type(W) and out is not W
            assert_close(dense(out), ref, np.float32)
        s = W.sort_indices()
        assert s.nnz == W.nnz
        c = W.sum_duplicates()
        assert c.has_canonical_format and c.nnz == np.count_nonzero(mask(W))
        e = W.eliminate_zeros()
        if not homo:
            assert e.nnz == W.nnz - int(np.sum(np.asarray(W.data) == 0))
            assert not np.any(np.asarray(e.data) == 0)
        np.testing.assert_array_equal(np.asarray(W.indices), before)  # input untouched

    def test_homogeneous_zero_is_eliminated(self):
        W = sc.CSR((0.0, jnp.array([0, 1]), jnp.array([0, 1, 2])), shape=(2, 2))
        assert W.eliminate_zeros().nnz == 0

    def test_units_kept(self, rng):
        W = self.noncanonical(rng)
        Wu = W.with_data(W.data * u.mS)
        out = Wu.sum_duplicates().eliminate_zeros().sort_indices()
        assert out.unit == u.mS
        assert_close(out.todense().to_decimal(u.mS), dense(W), np.float32)

    def test_eager_only(self, rng):
        W = self.noncanonical(rng)
        with pytest.raises(TypeError, match="eager"):
            jax.jit(lambda W: W.sum_duplicates())(W)
        with pytest.raises(TypeError, match="concrete"):
            jax.jit(lambda W: W.has_canonical_format)(W)
