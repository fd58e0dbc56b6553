"""``W.shard(sharding)``: argument checks here, products on several devices in subprocesses.

JAX fixes the number of CPU devices when its backend starts, and this process
has one; the multi-device cases (``tests/multidevice_cases.py``) run in a
child process with 4 virtual CPU devices, and the multi-process case
(``tests/distributed_case.py``) in two child processes joined by
``jax.distributed`` over loopback.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

import sparsecore as sc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _every_class():
    dense = jnp.asarray([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
    return [sc.CSR.fromdense(dense), sc.CSC.fromdense(dense),
            sc.FixedPostNumConn.fromdense(jnp.asarray([[1.0, 0.0], [0.0, 2.0]])),
            sc.FixedPreNumConn.fromdense(jnp.asarray([[1.0, 0.0], [0.0, 2.0]]))] + [
        cls(params + (0.5, 3), shape=(4, 5)) for cls, params in (
            (sc.JITCHomoR, (1.0,)), (sc.JITCHomoC, (1.0,)), (sc.JITCNormalR, (1.0, 0.1)),
            (sc.JITCNormalC, (1.0, 0.1)), (sc.JITCUniformR, (0.0, 1.0)),
            (sc.JITCUniformC, (0.0, 1.0)))]


MATRICES = _every_class()
IDS = [type(W).__name__ for W in MATRICES]


@pytest.fixture(scope="module")
def mesh1():
    return Mesh(np.array(jax.devices()[:1]), ("d",))


@pytest.mark.parametrize("W", MATRICES, ids=IDS)
def test_invalid_specs_are_refused(W, mesh1):
    with pytest.raises(TypeError, match="NamedSharding"):
        W.shard(P("d", None))
    with pytest.raises(ValueError, match="two entries"):
        W.shard(NamedSharding(mesh1, P("d")))
    with pytest.raises(ValueError, match="two entries"):
        W.shard(NamedSharding(mesh1, P("d", None, None)))
    with pytest.raises(ValueError, match="exactly one dimension"):
        W.shard(NamedSharding(mesh1, P(None, None)))
    mesh2 = Mesh(np.array(jax.devices()[:1]).reshape(1, 1), ("a", "b"))
    with pytest.raises(ValueError, match="exactly one dimension"):
        W.shard(NamedSharding(mesh2, P("a", "b")))
    with pytest.raises(ValueError, match="one mesh axis"):
        W.shard(NamedSharding(mesh2, P(("a", "b"), None)))
    with pytest.raises(ValueError, match="outside jax.jit"):
        jax.jit(lambda A: A.shard(NamedSharding(mesh1, P("d", None))).todense())(W)


@pytest.mark.parametrize("W, spec", [(W, (P("d", None), P(None, "d"))[i % 2])
                                     for i, W in enumerate(MATRICES)], ids=IDS)
def test_one_device_mesh(W, spec, mesh1):
    # one block: the sharded matrix is the matrix, and products take the sharded path
    S = W.shard(NamedSharding(mesh1, spec))
    assert isinstance(S, type(W)) and S.shape == W.shape and S.sharding.spec == spec
    dense = np.asarray(W.todense(), np.float64)
    np.testing.assert_array_equal(np.asarray(S.todense()), np.asarray(W.todense()))
    x = jnp.asarray(np.linspace(-1, 1, W.shape[1]), jnp.float32)
    spikes = jnp.arange(W.shape[0]) % 2 == 0
    right, left = jax.jit(lambda A: (A @ x, spikes @ A))(S)
    np.testing.assert_allclose(right, dense @ np.asarray(x, np.float64), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(left, np.asarray(spikes, np.float64) @ dense, rtol=1e-5,
                               atol=1e-6)
    assert "sharded over 'd'" in repr(S)


def _child_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("XLA_FLAGS", None)
    env.update(extra)
    return env


# two halves of about equal cost, so that parallel test workers can share them
HALVES = {"products": "products or fewer_lines or zero_nnz or memory or same_matrix",
          "transforms": "not (products or fewer_lines or zero_nnz or memory or same_matrix)"}


@pytest.mark.parametrize("half", sorted(HALVES))
def test_four_devices(half):
    """The cases of ``tests/multidevice_cases.py``, on 4 virtual CPU devices."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
           "-W", "error::sparsecore.BackendWarning", "-k", HALVES[half],
           os.path.join(HERE, "multidevice_cases.py")]
    env = _child_env(XLA_FLAGS="--xla_force_host_platform_device_count=4")
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_over_loopback():
    """Two processes of 2 CPU devices each shard one matrix over the 4 global devices."""
    port = _free_port()
    script = os.path.join(HERE, "distributed_case.py")
    procs = [subprocess.Popen([sys.executable, script, str(i), str(port)], cwd=ROOT,
                              env=_child_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for i in range(2)]
    outputs = []
    try:
        for p in procs:
            outputs.append(p.communicate(timeout=300)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for i, (p, out) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0 and f"process {i}: ok" in out, out[-4000:]


@pytest.mark.parametrize("n", [1, 3, 5])
@pytest.mark.parametrize("vdim", [0, 1])
@pytest.mark.parametrize("shape", [(7, 9), (2, 3), (4, 0), (0, 4)])
def test_blocks_round_trip(shape, vdim, n):
    from sparsecore import _blocks
    import scipy.sparse as sp

    rng = np.random.default_rng(sum(shape) * 10 + vdim * 3 + n)
    dense = np.where(rng.random(shape) < 0.4, rng.uniform(1, 2, shape), 0)
    m = sp.csr_array(dense)
    data, indices, indptr, view, b = _blocks.split_compressed(m.data, m.indices, m.indptr,
                                                              shape, vdim, n)
    assert indices.shape[0] == n and view[vdim] == b + (vdim == 0)
    # every block is a valid compressed matrix of the block view whose real part is
    # the matrix's block, and whose phantom line holds only padding
    for d in range(n):
        block = sp.csr_array((data[d], indices[d], indptr[d]), shape=view).toarray()
        expect = dense[d * b:(d + 1) * b] if vdim == 0 else dense[:, d * b:(d + 1) * b]
        real = block[:expect.shape[0], :expect.shape[1]]
        np.testing.assert_array_equal(real, expect)
        assert not block[view[0] - 1].any() and not block[expect.shape[0]:view[0] - 1].any()
    back = _blocks.merge_compressed(data, indices, indptr, shape, vdim, b)
    np.testing.assert_array_equal(sp.csr_array(back, shape=shape).toarray(), dense)
    # fixed-number tables
    k = min(2, shape[1])
    table = np.array([rng.permutation(shape[1])[:k] for _ in range(shape[0])],
                     dtype=np.int32).reshape(shape[0], k)
    values = rng.uniform(1, 2, table.shape)
    fdata, fidx, fview, fb = _blocks.split_fixed(values, table, shape, vdim, n)
    rows = np.repeat(np.arange(shape[0]), k)
    full = np.zeros(shape)
    full[rows, table.reshape(-1)] = values.reshape(-1)
    for d in range(n):
        block = np.zeros(fview)
        r = np.repeat(np.arange(fidx.shape[1]), fidx.shape[2])
        np.add.at(block, (r, fidx[d].reshape(-1)), fdata[d].reshape(-1))
        expect = full[d * fb:(d + 1) * fb] if vdim == 0 else full[:, d * fb:(d + 1) * fb]
        np.testing.assert_array_equal(block[:expect.shape[0], :expect.shape[1]], expect)
        assert not block[expect.shape[0]:].any() and not block[:, expect.shape[1]:].any()
    bdata, bidx = _blocks.merge_fixed(fdata, fidx, shape, vdim, fb)
    again = np.zeros(shape)
    again[rows, bidx.reshape(-1)] = bdata.reshape(-1)
    np.testing.assert_array_equal(again, full)
