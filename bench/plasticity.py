"""Benchmark: spike-triggered CSR weight updates, sparsecore vs brainevent.

Matrix: n x n with n = 10k, 1% connectivity (exactly 100 targets per row, 1M
stored float32 weights), 1% of neurons spiking per step (100 spikes).

Rows (for each implementation):

* ``on-pre``  -- ``update_csr_on_binary_pre`` (rows of spiking presynaptic neurons);
* ``on-post`` -- ``update_csr_on_binary_post`` over a precomputed column index
  (``csr_to_csc_index`` here; brainevent takes the same arrays).

Two timings for each row:

* ``donated call`` -- one jitted call per step with the weight buffer donated
  (``donate_argnums=0``), the way a training loop driven from Python runs;
  includes jit dispatch (~5-10 us);
* ``in scan``     -- ``k`` steps inside one jitted ``lax.fori_loop`` carrying the
  weights (XLA keeps the carry in place), divided by ``k``; no dispatch.

Each configuration cycles through 8 different spike/trace vectors; the median
and the best of several repeats are reported (the best is the steadier number
on a shared machine).  Results are checked against each other first.

Run from the repository root::

    python bench/plasticity.py            # ~1 min on 2 cores
"""
from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import sparsecore as sc  # noqa: E402

N = 10_000
FANOUT = 100  # 1% connectivity
FIRING = 0.01
N_INPUTS = 8
REPEATS = 7


def connectivity(rng):
    indices = np.stack([np.sort(rng.choice(N, FANOUT, replace=False)) for _ in range(N)])
    indices = indices.reshape(-1).astype(np.int32)
    indptr = (np.arange(N + 1) * FANOUT).astype(np.int32)
    weight = rng.uniform(0, 1, indices.size).astype(np.float32)
    return weight, indices, indptr


def inputs(rng):
    spikes = rng.random((N_INPUTS, N)) < FIRING
    traces = rng.normal(scale=0.01, size=(N_INPUTS, N)).astype(np.float32)
    return jnp.asarray(spikes), jnp.asarray(traces)


def implementations(indices, indptr, csc):
    ci, cp, wi = csc
    impls = {
        "sparsecore": {
            "on-pre": lambda w, s, t: sc.update_csr_on_binary_pre(
                w, indices, indptr, s, t, 0.0, 1.0, shape=(N, N)),
            "on-post": lambda w, s, t: sc.update_csr_on_binary_post(
                w, ci, cp, wi, t, s, 0.0, 1.0, shape=(N, N)),
        },
    }
    try:
        import brainevent
    except ImportError:  # pragma: no cover
        print("brainevent not installed: timing sparsecore only")
        return impls
    impls["brainevent"] = {
        "on-pre": lambda w, s, t: brainevent.update_csr_on_binary_pre(
            w, indices, indptr, s, t, 0.0, 1.0, shape=(N, N)),
        "on-post": lambda w, s, t: brainevent.update_csr_on_binary_post(
            w, ci, cp, wi, t, s, 0.0, 1.0, shape=(N, N)),
    }
    return impls


def time_donated(fn, weight, spikes, traces, steps=200):
    step = jax.jit(fn, donate_argnums=0)
    spikes = [spikes[i] for i in range(N_INPUTS)]  # sliced once: no eager op per step
    traces = [traces[i] for i in range(N_INPUTS)]
    w = jnp.array(weight)
    for i in range(N_INPUTS):  # warm-up and compile
        w = step(w, spikes[i], traces[i])
    w.block_until_ready()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for i in range(steps):
            w = step(w, spikes[i % N_INPUTS], traces[i % N_INPUTS])
        w.block_until_ready()
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times), min(times)


def time_scan(fn, weight, spikes, traces, steps=200):
    def run(w, k):
        def body(i, w):
            return fn(w, spikes[i % N_INPUTS], traces[i % N_INPUTS])
        return jax.lax.fori_loop(0, k, body, w)
    run = jax.jit(run, donate_argnums=0)
    w = run(jnp.array(weight), N_INPUTS)
    w.block_until_ready()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        w = run(w, steps)
        w.block_until_ready()
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times), min(times)


def main():
    rng = np.random.default_rng(0)
    weight, indices, indptr = connectivity(rng)
    spikes, traces = inputs(rng)
    csc = sc.csr_to_csc_index(indices, indptr, shape=(N, N))
    impls = implementations(jnp.asarray(indices), jnp.asarray(indptr), csc)

    # correctness: every implementation agrees on one step of each op
    for op in ("on-pre", "on-post"):
        results = {name: np.asarray(ops[op](jnp.asarray(weight), spikes[0], traces[0]))
                   for name, ops in impls.items()}
        ref = results["sparsecore"]
        for name, res in results.items():
            np.testing.assert_allclose(res, ref, rtol=1e-6, atol=1e-6, err_msg=f"{name} {op}")

    print(f"n={N}, {FANOUT} per row (nnz={indices.size}), {int(FIRING * N)} spikes per step, "
          f"float32, backend=default ({jax.default_backend()})")
    rows = []
    for op in ("on-pre", "on-post"):
        for timing, timer in (("donated call", time_donated), ("in scan", time_scan)):
            row = {name: timer(ops[op], weight, spikes, traces) for name, ops in impls.items()}
            rows.append((op, timing, row))
    names = list(impls)
    header = f"{'op':8s} {'timing':13s} " + " ".join(f"{n + ' med/best':>24s}" for n in names)
    if "brainevent" in names:
        header += f" {'sc/brainevent med/best':>24s}"
    print(header)
    for op, timing, row in rows:
        line = f"{op:8s} {timing:13s} " + " ".join(
            f"{row[n][0] * 1e6:11.1f}/{row[n][1] * 1e6:8.1f}us" for n in names)
        if "brainevent" in names:
            med = row["sparsecore"][0] / row["brainevent"][0]
            best = row["sparsecore"][1] / row["brainevent"][1]
            line += f" {med:17.3f}x/{best:.3f}x"
        print(line)


if __name__ == "__main__":
    main()
