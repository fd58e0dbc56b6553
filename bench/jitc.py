"""Generated connectivity: ns per generated synapse, sparsecore vs brainevent and CSR.

    python bench/jitc.py [--n 20000] [--prob 0.01]

Float matvec ``W @ x`` and event matvec ``s @ W`` (1 % active) of row-generated
homogeneous, uniform and normal-weight matrices; brainevent's ``jitnmv`` /
``binary_jitnmv`` and a stored CSR matrix of the same density for reference.
Single-threaded; min of 5 runs.
"""
import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import sparsecore as sc


def best(fn, *args, reps=5):
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--prob", type=float, default=0.01)
    a = parser.parse_args()
    n, p = a.n, a.prob
    syn = n * n * p
    x = jnp.ones(n)
    s = jnp.asarray(np.random.default_rng(0).random(n) < 0.01)
    rows = []
    for dist, W in (("homo", sc.JITCHomoR((0.5, p, 1), shape=(n, n))),
                    ("uniform", sc.JITCUniformR((0.4, 0.6, p, 1), shape=(n, n))),
                    ("normal", sc.JITCNormalR((0.5, 0.1, p, 1), shape=(n, n)))):
        t = best(jax.jit(lambda M, v: M @ v), W, x)
        rows.append((f"sparsecore {dist} W @ x", t, t / syn * 1e9))
        t = best(jax.jit(lambda M, v: v @ M), W, s)
        rows.append((f"sparsecore {dist} s @ W (1% active)", t, t / (syn * 0.01) * 1e9))
    try:
        import brainevent as be
        f = jax.jit(lambda v: be.jitnmv(0.5, 0.1, p, v, 1, shape=(n, n)))
        t = best(f, x)
        rows.append(("brainevent jitnmv W @ x", t, t / syn * 1e9))
        g = jax.jit(lambda v: be.binary_jitnmv(0.5, 0.1, p, v, 1, shape=(n, n), transpose=True))
        t = best(g, s)
        rows.append(("brainevent binary_jitnmv W.T @ s", t, t / (syn * 0.01) * 1e9))
    except Exception as err:  # brainevent missing or its API changed
        rows.append((f"brainevent unavailable: {type(err).__name__}", float("nan"), float("nan")))
    C = sc.JITCNormalR((0.5, 0.1, p, 1), shape=(min(n, 5000), n)).tocsr()
    t = best(jax.jit(lambda M, v: M @ v), C, x)
    rows.append((f"CSR ({C.shape[0]} rows) W @ x", t, t / C.nnz * 1e9))
    for name, t, ns in rows:
        print(f"{name:45s} {t * 1e3:9.2f} ms {ns:8.2f} ns/synapse")


if __name__ == "__main__":
    main()
