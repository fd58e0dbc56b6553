"""The functional CSR API: csrmv, csrmm, binary_csrmv, binary_csrmm."""
from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import assert_close, random_sparse

SHAPE = (6, 5)
NNZ = 12

# name -> (function, event, operand ndim)
OPS = {
    "csrmv": (sc.csrmv, False, 1),
    "csrmm": (sc.csrmm, False, 2),
    "binary_csrmv": (sc.binary_csrmv, True, 1),
    "binary_csrmm": (sc.binary_csrmm, True, 2),
}


def csr_arrays(rng, dtype=np.float32, shape=SHAPE, nnz=NNZ, duplicates=4):
    """(data, indices, indptr, dense): duplicates, unsorted columns, an empty row."""
    coo = random_sparse(rng, shape, nnz=nnz, dtype=dtype, duplicates=duplicates, unsorted=True,
                        empty_rows=(2,) if shape[0] > 2 else ())
    order = np.argsort(coo.row, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(coo.row, minlength=shape[0]))])
    data, indices = coo.data[order], coo.col[order]
    return (jnp.asarray(data), jnp.asarray(indices, jnp.int32), jnp.asarray(indptr, jnp.int32),
            coo.toarray().astype(np.float64))


def make_operand(rng, name, transpose, dtype, *, as_bool=False, shape=SHAPE, batch=3):
    _, event, ndim = OPS[name]
    length = shape[0] if transpose else shape[1]
    size = (length,) if ndim == 1 else (length, batch)
    if as_bool:
        return jnp.asarray(rng.random(size) < 0.5)
    if event:  # float events: > 0 is active; negatives and exact zeros are not
        return jnp.asarray(rng.choice([-1.0, 0.0, 0.5, 2.0], size=size), dtype)
    return jnp.asarray(rng.normal(size=size), dtype)


def oracle(dense, name, x, transpose):
    _, event, _ = OPS[name]
    matrix = dense.T if transpose else dense
    x = np.asarray(x)
    x = (x > 0).astype(np.float64) if event else x.astype(np.float64)
    return matrix @ x


def all_cases(rng, dtype, shape=SHAPE):
    cases = []
    for name, (_, event, _) in OPS.items():
        for transpose in (False, True):
            for as_bool in ((False, True) if event else (False,)):
                x = make_operand(rng, name, transpose, dtype, as_bool=as_bool, shape=shape)
                cases.append((name, transpose, x))
    return cases


def call(name, data, indices, indptr, x, transpose, backend, shape=SHAPE):
    return OPS[name][0](data, indices, indptr, x, shape=shape, transpose=transpose,
                        backend=backend)


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------

def test_signatures_have_no_hidden_arguments():
    for name, (fn, _, _) in OPS.items():
        params = inspect.signature(fn).parameters
        operand = "v" if name.endswith("mv") else "B"  # brainevent's names
        assert list(params) == ["data", "indices", "indptr", operand, "shape", "transpose",
                                "backend"], name
        assert params["shape"].kind is inspect.Parameter.KEYWORD_ONLY
        assert params["transpose"].default is False and params["backend"].default is None
        assert fn.__name__ == name and fn.__doc__


def test_every_op_against_dense(float_dtype, backend, rng):
    data, indices, indptr, dense = csr_arrays(rng, float_dtype)
    cases = all_cases(rng, float_dtype)

    @jax.jit
    def run(data, indices, indptr, xs):
        return [call(name, data, indices, indptr, x, transpose, backend)
                for (name, transpose, _), x in zip(cases, xs)]

    for (name, transpose, x), got in zip(cases, run(data, indices, indptr,
                                                     [c[2] for c in cases])):
        assert got.dtype == float_dtype
        assert_close(got, oracle(dense, name, x, transpose), float_dtype,
                     err_msg=f"{name} transpose={transpose} x={x.dtype} {backend}")
    # eagerly: one product per op
    for name in OPS:
        x = make_operand(rng, name, True, float_dtype)
        assert_close(call(name, data, indices, indptr, x, True, backend),
                     oracle(dense, name, x, True), float_dtype, err_msg=f"eager {name}")


def test_binary_ops_float_operand_is_events_where_positive(backend, rng):
    data, indices, indptr, dense = csr_arrays(rng)
    for name in ("binary_csrmv", "binary_csrmm"):
        for transpose in (False, True):
            x = make_operand(rng, name, transpose, np.float32)
            as_float = call(name, data, indices, indptr, x, transpose, backend)
            as_bool = call(name, data, indices, indptr, x > 0, transpose, backend)
            np.testing.assert_array_equal(as_float, as_bool)
            assert_close(as_float, oracle(dense, name, x, transpose))
    # a binary op never multiplies by the operand's magnitude
    big = jnp.full(5, 1000.0)
    assert_close(sc.binary_csrmv(data, indices, indptr, big, shape=SHAPE, backend=backend),
                 dense.sum(axis=1))


def test_backends_agree_on_a_larger_matrix(rng):
    shape = (60, 45)
    data, indices, indptr, dense = csr_arrays(rng, shape=shape, nnz=400, duplicates=50)
    cases = all_cases(rng, np.float32, shape=shape)
    results = {}
    for backend in ("jax", "numba", None):
        results[backend] = jax.jit(lambda d, i, p, xs: [
            call(name, d, i, p, x, transpose, backend, shape)
            for (name, transpose, _), x in zip(cases, xs)])(data, indices, indptr,
                                                           [c[2] for c in cases])
    for k, (name, transpose, x) in enumerate(cases):
        want = oracle(dense, name, x, transpose)
        for backend in ("jax", "numba", None):
            assert_close(results[backend][k], want, np.float32,
                         err_msg=f"{name} transpose={transpose} backend={backend}")


@pytest.mark.parametrize("homo", [0.25, np.float32(0.25), np.array([0.25], np.float32)],
                         ids=["python", "scalar", "shape1"])
def test_homogeneous_data(homo, backend, rng):
    _, indices, indptr, dense = csr_arrays(rng)
    rows = np.repeat(np.arange(SHAPE[0]), np.diff(np.asarray(indptr)))
    expected = np.zeros(SHAPE)
    np.add.at(expected, (rows, np.asarray(indices)), 0.25)
    cases = all_cases(rng, np.float32)
    got = jax.jit(lambda xs: [call(name, homo, indices, indptr, x, transpose, backend)
                              for (name, transpose, _), x in zip(cases, xs)])(
        [c[2] for c in cases])
    for (name, transpose, x), g in zip(cases, got):
        assert_close(g, oracle(expected, name, x, transpose), err_msg=f"{name} {transpose}")


def test_integer_operand_is_cast(rng):
    data, indices, indptr, dense = csr_arrays(rng)
    out = sc.csrmv(data, indices, indptr, jnp.arange(5), shape=SHAPE, backend="jax")
    assert out.dtype == jnp.float32
    assert_close(out, dense @ np.arange(5.0))


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_half_precision_reference(dtype, rng):
    data, indices, indptr, _ = csr_arrays(rng)
    data = data.astype(dtype)
    rows = np.repeat(np.arange(SHAPE[0]), np.diff(np.asarray(indptr)))
    dense = np.zeros(SHAPE)
    np.add.at(dense, (rows, np.asarray(indices)), np.asarray(data, np.float64))
    for backend in (None, "jax"):
        for name in ("csrmv", "binary_csrmm"):
            x = make_operand(rng, name, True, dtype)
            out = call(name, data, indices, indptr, x, True, backend)
            assert out.dtype == dtype
            assert_close(out, oracle(dense, name, np.asarray(x, np.float64), True), dtype)
    with pytest.raises(ValueError, match=f"backend='numba' supports float32 and float64.*"
                                         f"{np.dtype(dtype).name}"):
        sc.csrmv(data, indices, indptr, jnp.ones(5, dtype), shape=SHAPE, backend="numba")


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0), (3, 4)], ids=str)
def test_degenerate_inputs(shape, backend, rng):
    m, n = shape
    empty = (jnp.zeros(0), jnp.zeros(0, jnp.int32), jnp.zeros(m + 1, jnp.int32))
    for name, (fn, event, ndim) in OPS.items():
        for transpose in (False, True):
            length, out_len = (m, n) if transpose else (n, m)
            for x in (jnp.ones((length,) + (2,) * (ndim - 1)),
                      jnp.ones((length,) + (2,) * (ndim - 1), bool)):
                out = fn(*empty, x, shape=shape, transpose=transpose, backend=backend)
                np.testing.assert_array_equal(out, np.zeros((out_len,) + (2,) * (ndim - 1)))


def test_all_false_and_all_true_spikes(backend, rng):
    data, indices, indptr, dense = csr_arrays(rng)
    for transpose in (False, True):
        length = SHAPE[0] if transpose else SHAPE[1]
        for fill in (False, True):
            s = jnp.full(length, fill)
            out = sc.binary_csrmv(data, indices, indptr, s, shape=SHAPE, transpose=transpose,
                                  backend=backend)
            assert_close(out, oracle(dense, "binary_csrmv", s, transpose))
            S = jnp.full((length, 2), fill)
            out = sc.binary_csrmm(data, indices, indptr, S, shape=SHAPE, transpose=transpose,
                                  backend=backend)
            assert_close(out, oracle(dense, "binary_csrmm", S, transpose))


# ---------------------------------------------------------------------------
# autodiff
# ---------------------------------------------------------------------------

def _dense_of(data, indices, indptr):
    rows = jnp.repeat(jnp.arange(SHAPE[0]), np.diff(np.asarray(indptr)),
                      total_repeat_length=indices.shape[0])
    return jnp.zeros(SHAPE, data.dtype).at[rows, indices].add(jnp.broadcast_to(data, indices.shape))


def _derivatives(fn_of, data, xs, cases, modes):
    out = {}
    for (name, transpose, _), x in zip(cases, xs):
        event = OPS[name][1]
        fn = fn_of(name, transpose, x)
        for arg in ((0,) if event else (0, 1)):
            key = f"{name} T={transpose} x={x.dtype} arg={arg}"
            xf = x.astype(data.dtype)
            if "grad" in modes:
                out["grad " + key] = jax.grad(lambda a, b: jnp.sum(jnp.sin(fn(a, b))),
                                              argnums=arg)(data, xf)
            if "fwd" in modes:
                out["jacfwd " + key] = jax.jacfwd(fn, argnums=arg)(data, xf)
            if "rev" in modes:
                out["jacrev " + key] = jax.jacrev(fn, argnums=arg)(data, xf)
    return out


@pytest.mark.parametrize("dtype, backend, modes, homo", [
    (np.float64, "jax", ("grad", "fwd", "rev"), False),
    (np.float64, "jax", ("fwd", "rev"), True),
    (np.float32, "numba", ("rev",), False),
    (np.float32, "numba", ("fwd",), True),
    (np.float32, None, ("grad",), False),
], ids=["float64-jax", "float64-jax-homogeneous", "float32-numba", "float32-numba-homogeneous",
        "float32-default"])
def test_gradients_every_op(dtype, backend, modes, homo, rng, request):
    if dtype == np.float64:
        request.getfixturevalue("x64")
    data, indices, indptr, _ = csr_arrays(rng, dtype)
    if homo:
        data = data[:1] * 0 + 0.5
    cases = all_cases(rng, dtype)
    xs = [c[2] for c in cases]

    def sparse_fn(name, transpose, x):
        event = OPS[name][1]
        return lambda d, v: call(name, d, indices, indptr, x if event else v, transpose,
                                 backend)

    def dense_fn(name, transpose, x):
        event = OPS[name][1]

        def fn(d, v):
            D = _dense_of(d, indices, indptr)
            D = D.T if transpose else D
            return D @ ((x > 0).astype(d.dtype) if event else v)
        return fn

    got = jax.jit(lambda d, xs: _derivatives(sparse_fn, d, xs, cases, modes))(data, xs)
    want = jax.jit(lambda d, xs: _derivatives(dense_fn, d, xs, cases, modes))(data, xs)
    assert got.keys() == want.keys() and len(got) > 0
    for key in got:
        assert got[key].shape == want[key].shape, key
        assert_close(got[key], want[key], dtype, err_msg=f"{key} backend={backend}")


def test_event_operand_tangent_is_the_float_products(rng):
    # straight through: the event product's JVP in a float operand is A @ x_dot
    data, indices, indptr, dense = csr_arrays(rng)
    x = make_operand(rng, "binary_csrmv", False, np.float32)
    t = jnp.asarray(rng.normal(size=x.shape), np.float32)
    _, tangent = jax.jvp(lambda v: sc.binary_csrmv(data, indices, indptr, v, shape=SHAPE,
                                                   backend="jax"), (x,), (t,))
    assert_close(tangent, np.asarray(dense, np.float64) @ np.asarray(t, np.float64))


# ---------------------------------------------------------------------------
# vmap
# ---------------------------------------------------------------------------

def test_vmap_operand_data_and_nested(backend, rng):
    data, indices, indptr, dense = csr_arrays(rng)
    rows = np.repeat(np.arange(SHAPE[0]), np.diff(np.asarray(indptr)))

    def dense_from(d):
        out = np.zeros(SHAPE)
        np.add.at(out, (rows, np.asarray(indices)), np.asarray(d, np.float64))
        return out

    weights = jnp.asarray(rng.normal(size=(3, data.shape[0])), jnp.float32)
    inputs, expected = {}, {}
    for name, (_, event, ndim) in OPS.items():
        for transpose in (False, True):
            key = (name, transpose)
            xs = jnp.stack([make_operand(rng, name, transpose, np.float32) for _ in range(4)])
            inputs[key] = xs
            expected[key] = np.stack([oracle(dense, name, x, transpose) for x in xs])
            expected[key, "data"] = np.stack([oracle(dense_from(w), name, xs[0], transpose)
                                              for w in weights])
            expected[key, "nested"] = np.stack([np.stack(
                [oracle(dense, name, xs[i], transpose) for i in (0, 1)]) for _ in range(3)])

    def run(inputs, weights):
        out = {}
        for (name, transpose), xs in inputs.items():
            f = lambda d, v: call(name, d, indices, indptr, v, transpose, backend)  # noqa: E731
            out[name, transpose] = jax.vmap(f, in_axes=(None, 0))(data, xs)
            out[name, transpose, "axis1"] = jax.vmap(f, in_axes=(None, 1))(data,
                                                                          jnp.moveaxis(xs, 0, 1))
            out[name, transpose, "data"] = jax.vmap(f, in_axes=(0, None))(weights, xs[0])
            pairs = jnp.stack([xs[:2]] * 3, axis=1)  # (2, 3, ...): outer axis 1, inner axis 0
            out[name, transpose, "nested"] = jax.vmap(jax.vmap(f, in_axes=(None, 0)),
                                                      in_axes=(None, 1))(data, pairs)
        return out

    got = jax.jit(run)(inputs, weights)
    for key in inputs:
        assert_close(got[key], expected[key], err_msg=f"vmap {key}")
        assert_close(got[key + ("axis1",)], expected[key], err_msg=f"vmap axis 1 {key}")
        assert_close(got[key + ("data",)], expected[key, "data"], err_msg=f"vmap data {key}")
        assert_close(got[key + ("nested",)], expected[key, "nested"], err_msg=f"nested {key}")


def test_vmap_over_structure(backend, rng):
    """Batched indices (one structure per batch member) still give the right products."""
    mats = [csr_arrays(rng) for _ in range(3)]
    data = jnp.stack([m[0] for m in mats])
    indices = jnp.stack([m[1] for m in mats])
    indptr = jnp.stack([m[2] for m in mats])
    x = jnp.asarray(rng.normal(size=SHAPE[1]), jnp.float32)
    s = jnp.asarray(rng.random(SHAPE[0]) < 0.5)
    out = jax.vmap(lambda d, i, p: sc.csrmv(d, i, p, x, shape=SHAPE, backend=backend))(
        data, indices, indptr)
    outs = jax.vmap(lambda d, i, p: sc.binary_csrmv(d, i, p, s, shape=SHAPE, transpose=True,
                                                    backend=backend))(data, indices, indptr)
    for b, m in enumerate(mats):
        assert_close(out[b], m[3] @ np.asarray(x, np.float64))
        assert_close(outs[b], np.asarray(s, np.float64) @ m[3])


def test_inside_lax_scan(backend, rng):
    data, indices, indptr, dense = csr_arrays(rng)
    spikes = jnp.asarray(rng.random((15, SHAPE[0])) < 0.3)

    @jax.jit
    def run(d):
        def step(v, s):
            i = sc.binary_csrmv(d, indices, indptr, s, shape=SHAPE, transpose=True,
                                backend=backend)
            v = 0.8 * v + i
            return v, sc.csrmv(d, indices, indptr, v, shape=SHAPE, backend=backend).sum()
        return jax.lax.scan(step, jnp.zeros(SHAPE[1], jnp.float32), spikes)

    final, readout = run(data)
    v = np.zeros(SHAPE[1])
    reads = []
    for s in np.asarray(spikes, np.float64):
        v = 0.8 * v + s @ dense
        reads.append((dense @ v).sum())
    assert_close(final, v)
    assert_close(readout, np.array(reads))


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

def test_operand_errors(rng):
    data, indices, indptr, _ = csr_arrays(rng)
    with pytest.raises(ValueError, match="csrmv: operand must be 1-D.*use csrmm"):
        sc.csrmv(data, indices, indptr, jnp.ones((5, 2)), shape=SHAPE)
    with pytest.raises(ValueError, match="binary_csrmm: operand must be 2-D.*use csrmv"):
        sc.binary_csrmm(data, indices, indptr, jnp.ones(5, bool), shape=SHAPE)
    with pytest.raises(ValueError, match="operand has 6 rows but the product contracts over 5"):
        sc.csrmv(data, indices, indptr, jnp.ones(6), shape=SHAPE)
    with pytest.raises(ValueError, match="operand has 5 rows but the product contracts over 6"):
        sc.csrmv(data, indices, indptr, jnp.ones(5), shape=SHAPE, transpose=True)
    with pytest.raises(TypeError, match="complex"):
        sc.csrmv(data, indices, indptr, jnp.ones(5, jnp.complex64), shape=SHAPE)
    with pytest.raises(ValueError, match="backend='gpu' is not one of"):
        sc.csrmv(data, indices, indptr, jnp.ones(5), shape=SHAPE, backend="gpu")
    with pytest.raises(TypeError, match="data must be float16, bfloat16, float32 or float64"):
        sc.csrmv(jnp.arange(data.shape[0]), indices, indptr, jnp.ones(5), shape=SHAPE)
    with pytest.raises(sc.SparseFormatError, match="indices contains 5, outside"):
        sc.csrmv(data, indices.at[0].set(5), indptr, jnp.ones(5), shape=SHAPE)
