"""Generated connectivity: ns per generated synapse, sparsecore vs brainevent and CSR.

    python bench/jitc.py [--n 20000] [--prob 0.01]

Float matvec ``W @ x`` and event matvec ``s @ W`` (1 % active) of row-generated
homogeneous, uniform and normal-weight matrices; brainevent's ``jitnmv`` /
``binary_jitnmv`` and a stored CSR matrix of the same density for reference.
The implementations are the shared adapters of ``_peers`` (``jitc_implementations``,
the CSR row of ``implementations``); each product is one jitted call timed by
``_timing.time_repeated`` (single-threaded; min of 5 runs).
"""
import argparse
import os
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
sys.path.append(os.path.dirname(_HERE))
import _peers  # noqa: E402
import _timing  # noqa: E402
import _peers_jitc  # noqa: E402


def best(impl, kind, operand, x, reps=5):
    """Min wall time (s) of one jitted product of ``kind`` ("matvec" or "events")."""
    import jax

    fn = jax.jit(impl.matvec if kind == "matvec" else impl.events)
    return _timing.time_repeated(lambda: jax.block_until_ready(fn(operand, x)), repeats=reps,
                                warmup=1, reduce=min)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--prob", type=float, default=0.01)
    a = parser.parse_args()
    import jax.numpy as jnp
    import sparsecore as sc

    n, p = a.n, a.prob
    syn = n * n * p
    x = jnp.ones(n)
    s = jnp.asarray(np.random.default_rng(0).random(n) < 0.01)
    params = _peers_jitc.JITCParams(weight=0.5, prob=p, seed=1, spread=0.1)
    shape = _peers_jitc.shape_only((n, n))
    rows = []
    for dist in ("homo", "uniform", "normal"):
        (impl,) = _peers_jitc.jitc_implementations(params, dists=(dist,), peer_dists=())
        W = impl.build(shape)
        t = best(impl, "matvec", W, x)
        rows.append((f"sparsecore {dist} W @ x", t, t / syn * 1e9))
        t = best(impl, "events", W, s)
        rows.append((f"sparsecore {dist} s @ W (1% active)", t, t / (syn * 0.01) * 1e9))
    try:  # brainevent missing or its API changed
        (peer,) = _peers_jitc.jitc_implementations(params, backends=(), peer_dists=("normal",),
                                              corders=(True,))
        op = peer.build(shape)
        t = best(peer, "matvec", op, x)
        rows.append(("brainevent jitnmv W @ x", t, t / syn * 1e9))
        t = best(peer, "events", op, s)
        rows.append(("brainevent binary_jitnmv W.T @ s", t, t / (syn * 0.01) * 1e9))
    except Exception as err:
        rows.append((f"brainevent unavailable: {type(err).__name__}", float("nan"), float("nan")))
    C = sc.JITCNormalR((0.5, 0.1, p, 1), shape=(min(n, 5000), n)).tocsr()
    host = _peers.HostCSR(np.asarray(C.data, np.float32), np.asarray(C.indices, np.int32),
                          np.asarray(C.indptr, np.int32), C.shape)
    (csr,) = _peers.implementations((None,), include_host=False,
                                    skip=("brainevent", "jax.sparse", "dense"))
    t = best(csr, "matvec", csr.build(host), x)
    rows.append((f"CSR ({C.shape[0]} rows) W @ x", t, t / C.nnz * 1e9))
    for name, t, ns in rows:
        print(f"{name:45s} {t * 1e3:9.2f} ms {ns:8.2f} ns/synapse")


if __name__ == "__main__":
    main()
