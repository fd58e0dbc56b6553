"""Sharded matrices on 4 virtual CPU devices (run by ``tests/test_sharding.py``).

JAX fixes the number of CPU devices when its backend starts, so these cases
run in their own process, started with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``; the file name keeps
the main test run from collecting them.  To run them by hand::

    XLA_FLAGS=--xla_force_host_platform_device_count=4 python -m pytest -n 0 \\
        tests/multidevice_cases.py

Every product of a sharded matrix is checked against the dense oracle in
float64 (and float32), and against the unsharded matrix: bit for bit where
the output is split (each device computes its own rows with the same kernel),
to rounding where the contraction is split (partial sums are added across
devices).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

import sparsecore as sc
from harness import assert_close

N_DEVICES = 4
SPECS = {"rows": P("d", None), "cols": P(None, "d")}


@pytest.fixture(scope="module")
def mesh():
    if jax.device_count() < N_DEVICES:
        pytest.fail(f"needs {N_DEVICES} devices, found {jax.device_count()}: run with "
                    f"XLA_FLAGS=--xla_force_host_platform_device_count={N_DEVICES}")
    return Mesh(np.array(jax.devices()[:N_DEVICES]), ("d",))


def _dense(rng, shape, density, dtype, empty_row=True):
    d = np.where(rng.random(shape) < density, rng.uniform(-1, 1, shape), 0).astype(dtype)
    if empty_row and shape[0] > 1:
        d[1] = 0
    return d


def _stored(name, rng, dtype, shape=(10, 7)):
    """(matrix, dense oracle) for the stored classes."""
    if name in ("CSR", "CSC"):
        d = _dense(rng, shape, 0.35, dtype)
        return getattr(sc, name).fromdense(jnp.asarray(d)), d
    cls = getattr(sc, name)
    n_rows = shape[0] if name == "FixedPostNumConn" else shape[1]
    n_targets = shape[1] if name == "FixedPostNumConn" else shape[0]
    k = min(3, n_targets)
    w = rng.uniform(-1, 1, (n_rows, k)).astype(dtype)
    W = cls.random(shape[0], shape[1], k, weight=w, seed=int(rng.integers(99)))
    return W, np.asarray(W.todense(), np.float64)


JITC = ["JITCHomoR", "JITCHomoC", "JITCNormalR", "JITCNormalC", "JITCUniformR", "JITCUniformC"]
STORED = ["CSR", "CSC", "FixedPostNumConn", "FixedPreNumConn"]
PARAMS = {"Homo": (0.7,), "Normal": (0.5, 0.2), "Uniform": (-0.5, 1.0)}


def _matrix(name, rng, dtype, shape=(10, 7)):
    if name in STORED:
        return _stored(name, rng, dtype, shape)
    params = tuple(np.asarray(p, dtype) for p in PARAMS[name[4:-1]])
    W = getattr(sc, name)(params + (0.35, 7), shape=shape)
    return W, np.asarray(W.todense(), np.float64)


def _operands(rng, k, dtype):
    return {"vector": rng.uniform(-1, 1, k).astype(dtype),
            "matrix": rng.uniform(-1, 1, (k, 3)).astype(dtype),
            "spikes": rng.random(k) < 0.5,
            "spike matrix": rng.random((k, 3)) < 0.5}


def _all_products(A, operands):
    """Every product kind in one jitted call (one compilation per matrix)."""
    out = {}
    for kind, x in operands["right"].items():
        out["right", kind] = A @ x
    for kind, x in operands["left"].items():
        out["left", kind] = x @ A if x.ndim == 1 else (x.T @ A).T
    return out


_ALL_PRODUCTS = jax.jit(_all_products)


def _check_products(W, S, dense, dtype, split_exact=False):
    m, n = dense.shape
    rng = np.random.default_rng(m * 100 + n)
    operands = {"right": _operands(rng, n, dtype), "left": _operands(rng, m, dtype)}
    got = _ALL_PRODUCTS(S, operands)
    unsharded = _ALL_PRODUCTS(W, operands) if split_exact else None
    for (side, kind), y in got.items():
        x = operands[side][kind].astype(np.float64)
        expect = dense @ x if side == "right" else dense.T @ x
        out_split = (S.sharding.spec[0] is not None) == (side == "right")
        msg = f"{type(W).__name__} {S.sharding.spec} {side} {kind}"
        assert y.shape == expect.shape, msg
        assert_close(y, expect, dtype, err_msg=msg)
        if out_split and split_exact:
            np.testing.assert_array_equal(np.asarray(y), np.asarray(unsharded[side, kind]),
                                          err_msg=msg)
    eager = S @ jnp.ones(n, dtype)  # outside jit too
    assert_close(eager, dense.sum(axis=1), dtype)


# the distributions share one generator, so each needs one orientation only
# (test_generated_blocks_are_the_same_matrix checks the others block by block)
CASES = [(name, spec) for name in STORED + ["JITCHomoR"] for spec in SPECS] + [
    ("JITCHomoC", "rows"), ("JITCNormalC", "rows"), ("JITCUniformR", "cols")]


@pytest.mark.parametrize("name, spec", CASES)
def test_products_equal_the_dense_oracle(mesh, name, spec, rng):
    W, dense = _matrix(name, rng, np.float32)
    S = W.shard(NamedSharding(mesh, SPECS[spec]))
    assert isinstance(S, type(W)) and S.shape == W.shape
    np.testing.assert_array_equal(np.asarray(S.todense()), np.asarray(W.todense()))
    _check_products(W, S, dense, np.float32, split_exact=name in ("CSR", "FixedPostNumConn"))


@pytest.mark.parametrize("name, spec", [("CSR", "cols"), ("JITCNormalC", "rows")])
def test_products_in_float64(mesh, name, spec, rng, x64):
    W, dense = _matrix(name, rng, np.float64)
    S = W.shard(NamedSharding(mesh, SPECS[spec]))
    assert S.dtype == np.float64
    _check_products(W, S, dense, np.float64)


@pytest.mark.parametrize("name, shape, spec", [
    ("CSC", (3, 5), "rows"), ("FixedPostNumConn", (1, 1), "cols"),
    ("FixedPreNumConn", (2, 9), "rows"), ("JITCHomoR", (3, 5), "cols")])
def test_fewer_lines_than_devices(mesh, name, spec, shape, rng):
    # some blocks hold only padding
    W, dense = _matrix(name, rng, np.float32, shape)
    S = W.shard(NamedSharding(mesh, SPECS[spec]))
    np.testing.assert_array_equal(np.asarray(S.todense()), np.asarray(W.todense()))
    _check_products(W, S, dense, np.float32)


@pytest.mark.parametrize("spec", SPECS)
def test_zero_nnz_and_homogeneous_weights(mesh, spec, rng):
    empty = sc.CSR((jnp.zeros(0), jnp.zeros(0, jnp.int32), jnp.zeros(6, jnp.int32)),
                   shape=(5, 3))
    S = empty.shard(NamedSharding(mesh, SPECS[spec]))
    assert S.nnz == 0
    _check_products(empty, S, np.zeros((5, 3)), np.float32)
    d = _dense(rng, (9, 6), 0.4, np.float32)
    homo = sc.CSR.fromdense(jnp.asarray(d)).with_data(jnp.asarray([0.25]))
    S = homo.shard(NamedSharding(mesh, SPECS[spec]))
    assert S.data.shape == (1,)  # one shared weight, replicated
    _check_products(homo, S, np.asarray(homo.todense(), np.float64), np.float32)


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("name", ["CSR", "CSC", "FixedPostNumConn", "FixedPreNumConn"])
def test_blocks_split_the_memory(mesh, name, spec, rng):
    W, _ = _matrix(name, rng, np.float32, (64, 48))
    S = W.shard(NamedSharding(mesh, SPECS[spec]))
    for i, (whole, blocked) in enumerate(zip(jax.tree.leaves(W), jax.tree.leaves(S))):
        shards = blocked.addressable_shards
        assert len(shards) == N_DEVICES
        assert len({s.device for s in shards}) == N_DEVICES
        per_device = shards[0].data.nbytes
        # cut along the buffers' positions: CSR / FixedPostNumConn columns, CSC /
        # FixedPreNumConn rows
        along_positions = (spec == "cols") == (name in ("CSR", "FixedPostNumConn"))
        if along_positions and (i == 2 or name.startswith("Fixed")):
            # row pointers: one per line (+ phantom); a fixed-number table keeps the
            # width of its fullest line in any block (here 3 partners may share one)
            assert per_device <= whole.nbytes + 8, (name, spec, i, per_device)
            continue
        # a quarter of the entries plus the padding of the largest block
        assert per_device <= whole.nbytes / N_DEVICES * 1.5 + 64, (name, spec, i, per_device)
    np.testing.assert_array_equal(np.asarray(S.unshard().todense()), np.asarray(W.todense()))


@pytest.mark.parametrize("name", ["JITCHomoC", "JITCNormalR", "JITCUniformC"])
def test_generated_blocks_are_the_same_matrix(mesh, name, rng):
    # the identity makes each device write its own generated rows (columns)
    # of the matrix, so the blocks must be the unsharded matrix bit for bit
    W, dense = _matrix(name, rng, np.float32, (13, 11))
    eye_n, eye_m = jnp.eye(11, dtype=jnp.float32), jnp.eye(13, dtype=jnp.float32)
    rows = W.shard(NamedSharding(mesh, SPECS["rows"]))
    cols = W.shard(NamedSharding(mesh, SPECS["cols"]))
    reference = np.asarray(jax.jit(lambda A: A @ eye_n)(W))
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda A: A @ eye_n)(rows)), reference)
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda A: eye_m @ A)(cols)),
                                  np.asarray(jax.jit(lambda A: eye_m @ A)(W)))
    structure = (reference != 0).astype(np.float32)
    spikes = jnp.eye(11, dtype=bool)
    got = np.asarray(jax.jit(lambda A: A @ spikes)(rows.astype(jnp.float32)))
    np.testing.assert_array_equal(got != 0, structure != 0)
    for backend in ("jax", "numba"):
        np.testing.assert_array_equal(np.asarray(rows.dot(eye_n, backend=backend)),
                                      np.asarray(W.dot(eye_n, backend=backend)))


@pytest.mark.parametrize("name, spec", [("CSR", "rows"), ("CSR", "cols"),
                                        ("FixedPreNumConn", "cols"), ("JITCUniformR", "rows")])
def test_gradients_match_the_unsharded_matrix(mesh, name, spec, rng):
    W, _ = _matrix(name, rng, np.float32)
    S = W.shard(NamedSharding(mesh, SPECS[spec]))
    values = (lambda A: A.data) if W._entries_stored else (lambda A: A._weights)
    for side, k in (("right", 7), ("left", 10)):
        x = jnp.asarray(rng.uniform(-1, 1, k), jnp.float32)
        ct = jnp.asarray(rng.uniform(-1, 1, 17 - k), jnp.float32)

        def loss(A, x):
            y = A @ x if side == "right" else x @ A
            return jnp.sum(ct * jnp.tanh(y))

        g_s = jax.jit(jax.grad(loss, argnums=(0, 1), allow_int=True))(S, x)
        g_w = jax.grad(loss, argnums=(0, 1), allow_int=True)(W, x)
        assert_close(g_s[1], g_w[1], np.float32)
        if W._entries_stored:  # compare the values' cotangents as matrices
            as_dense = [np.asarray(A.with_data(g[0].data).todense())
                        for A, g in ((S, g_s), (W, g_w))]
            assert_close(as_dense[0], as_dense[1], np.float32)
        else:
            for a, b in zip(values(g_s[0]), values(g_w[0])):
                assert_close(a, b, np.float32, tol=(1e-5, 1e-4))
        # forward mode, through the operand
        t_s = jax.jit(lambda x: jax.jvp(lambda x: loss(S, x), (x,), (jnp.ones_like(x),))[1])(x)
        t_w = jax.jvp(lambda x: loss(W, x), (x,), (jnp.ones_like(x),))[1]
        assert_close(t_s, t_w, np.float32, tol=(1e-5, 1e-4))


@pytest.mark.parametrize("name, spec", [("CSC", "rows"), ("FixedPostNumConn", "cols"),
                                        ("JITCHomoC", "cols")])
def test_vmap_and_scan(mesh, name, spec, rng):
    W, dense = _matrix(name, rng, np.float32)
    S = W.shard(NamedSharding(mesh, SPECS[spec]))
    batch = jnp.asarray(rng.random((5, 10)) < 0.4)
    got = jax.jit(jax.vmap(lambda s: s @ S))(batch)
    assert_close(got, np.asarray(batch, np.float64) @ dense, np.float32)
    xs = jnp.asarray(rng.uniform(-1, 1, (5, 7)), jnp.float32)
    got = jax.vmap(lambda x: S @ x, in_axes=0, out_axes=1)(xs)
    assert_close(got, dense @ np.asarray(xs, np.float64).T, np.float32)

    def run(A):  # a little recurrent network: spikes -> currents -> spikes
        def step(v, _):
            spikes = v > 0.5
            v = 0.9 * v + 0.3 * jnp.pad(spikes @ A, (0, 3))
            return jnp.where(spikes, 0.0, v), spikes.sum()
        return jax.lax.scan(step, jnp.linspace(0, 1, 10), None, length=20)

    v_s, n_s = jax.jit(run)(S)
    v_w, n_w = jax.jit(run)(W)
    np.testing.assert_array_equal(np.asarray(n_s), np.asarray(n_w))
    assert_close(v_s, v_w, np.float32)


@pytest.mark.parametrize("name, spec", [("CSR", "rows"), ("CSR", "cols"), ("CSC", "rows"),
                                        ("FixedPostNumConn", "cols")])
def test_plasticity_updates_each_block(mesh, name, spec, rng):
    W, _ = _matrix(name, rng, np.float32)
    S = W.shard(NamedSharding(mesh, SPECS[spec]))
    pre, post = jnp.asarray(rng.random(10) < 0.5), jnp.asarray(rng.random(7) < 0.5)
    pre_trace = jnp.asarray(rng.uniform(0, 1, 10), jnp.float32)
    post_trace = jnp.asarray(rng.uniform(0, 1, 7), jnp.float32)
    updates = (lambda A: A.update_on_pre(pre, post_trace, -0.5, 0.8),
               lambda A: A.update_on_post(pre_trace, post, w_max=0.9),
               lambda A: A.update_on_pre(pre, post_trace, 0.1, 0.6, clip="all"))

    def update_and_multiply(A):  # one compilation for every update
        new = [update(A) for update in updates]
        return new, [B @ jnp.ones(7) for B in new]

    new_s, products = jax.jit(update_and_multiply)(S)
    for update, B, y in zip(updates, new_s, products):
        expect = np.asarray(update(W).todense())
        assert type(B) is type(S)
        np.testing.assert_array_equal(np.asarray(B.todense()), expect)
        # the updated matrix still multiplies block by block
        assert_close(y, expect.sum(1), np.float32)


def test_transpose_keeps_the_blocks(mesh, rng):
    W, dense = _matrix("CSR", rng, np.float32)
    S = W.shard(NamedSharding(mesh, SPECS["rows"]))
    T = S.T
    assert isinstance(T, sc.CSC) and T.sharding.spec == P(None, "d")
    np.testing.assert_array_equal(np.asarray(T.todense()), dense.T.astype(np.float32))
    _check_products(W.T, T, dense.T, np.float32)
    assert_close((S * 2).todense(), 2 * dense, np.float32)
    with pytest.raises(TypeError, match="unshard"):
        S * jnp.ones((10, 7))
    with pytest.raises(TypeError, match="unshard"):
        S.eliminate_zeros()
