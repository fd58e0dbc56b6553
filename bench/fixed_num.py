"""Fixed-number connectivity: FixedPostNumConn / FixedPreNumConn vs brainevent and CSR.

    python bench/fixed_num.py [--n 10000] [--n-conn 80] [--iters 1000] [--repeats 7]

One random connectivity (``n x n``, ``n_conn`` distinct targets per presynaptic
neuron, built with ``FixedPostNumConn.random``) with one float32 weight per synapse,
stored four ways: sparsecore FixedPostNumConn, sparsecore CSR of the same entries,
brainevent's FixedPostNumConn, and brainevent's CSR; the fixed fan-in orientation
(FixedPreNumConn, the transpose) is timed the same way.

Operations (rows): event ``spikes @ W`` at 0.1 %, 1 % and 10 % firing, float
``W @ v``, and event ``W @ spikes`` at 1 % (which, for FixedPostNumConn, gathers
``n_conn`` inputs per row and tests each spike while gathering).  Each operation runs
``--iters`` times inside one jitted ``fori_loop`` that cycles through 32 different
inputs (so XLA cannot hoist the product out of the loop) and accumulates the results;
min and median over ``--repeats`` loops are divided by ``--iters``.  The ``loop`` row
is the same loop around a trivial op.  Every result is checked against dense numpy.
The target of issue 4: event ``spikes @ W`` (n=10k, 80/row, 1 %) <= 0.6x brainevent.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sparsecore as sc  # noqa: E402

N_INPUTS = 32


def _loop(fn, n_out):
    @jax.jit
    def run(M, xs, n_iter):
        def body(i, acc):
            return acc + fn(M, xs[i % N_INPUTS])
        return jax.lax.fori_loop(0, n_iter, body, jnp.zeros(n_out, jnp.float32))
    return run


def _time(fn, M, xs, n_out, iters, repeats):
    run = _loop(fn, n_out)
    jax.block_until_ready(run(M, xs, 2))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(run(M, xs, iters))
        times.append((time.perf_counter() - t) / iters)
    return min(times), float(np.median(times))


def _inputs(rng, n, kind, rate=None):
    if kind == "float":
        return jnp.asarray(rng.standard_normal((N_INPUTS, n)).astype(np.float32))
    k = max(1, int(round(rate * n)))
    out = np.zeros((N_INPUTS, n), bool)
    for row in out:
        row[rng.choice(n, k, replace=False)] = True
    return jnp.asarray(out)


def _impls(W_post, brainevent):
    """name -> (operand, left product fn, right product fn) for FixedPost orientation."""
    data, indices, n = W_post.data, W_post.indices, W_post.shape[0]
    impls = {
        "sparsecore FixedPostNumConn": (W_post, lambda M, x: x @ M, lambda M, x: M @ x),
        "sparsecore CSR": (W_post.tocsr(), lambda M, x: x @ M, lambda M, x: M @ x),
    }
    pre = W_post.T  # FixedPreNumConn of the transposed matrix: x @ W == W.T @ x
    impls["sparsecore FixedPreNumConn (W.T)"] = (pre, lambda M, x: M @ x, lambda M, x: x @ M)
    if brainevent is not None:
        be = brainevent
        ev = lambda x: be.BinaryArray(x) if x.dtype == jnp.bool_ else x
        impls["brainevent FixedPostNumConn"] = (
            be.FixedPostNumConn((data, indices), shape=(n, n)),
            lambda M, x: ev(x) @ M, lambda M, x: M @ ev(x))
        impls["brainevent FixedPreNumConn (W.T)"] = (
            be.FixedPreNumConn((data, indices), shape=(n, n)),
            lambda M, x: M @ ev(x), lambda M, x: ev(x) @ M)
        csr = W_post.tocsr()
        impls["brainevent CSR"] = (
            be.CSR((csr.data, csr.indices, csr.indptr), shape=(n, n)),
            lambda M, x: ev(x) @ M, lambda M, x: M @ ev(x))
    return impls


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--n-conn", type=int, default=80)
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-brainevent", action="store_true")
    args = ap.parse_args(argv)
    brainevent = None
    if not args.no_brainevent:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import brainevent
        except ImportError:
            print("[skip] brainevent is not installed")
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    n, k = args.n, args.n_conn
    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    W = sc.FixedPostNumConn.random(n, n, k, weight=1.0, seed=args.seed, allow_self=False)
    build_s = time.perf_counter() - t
    W = W.with_data(jnp.asarray(rng.uniform(0.5, 1.5, (n, k)).astype(np.float32)))
    dense = np.asarray(W.todense(), np.float64)
    print(f"n={n}, {k}/row, {W.nnz} synapses, per-synapse float32 weights; "
          f"FixedPostNumConn.random took {build_s * 1e3:.1f} ms; jax {jax.__version__}, "
          f"backend {jax.default_backend()}")

    ops = [(f"spikes @ W, {r:.1%} firing", "left", _inputs(rng, n, "spikes", r))
           for r in (0.001, 0.01, 0.1)]
    ops += [("W @ v (float)", "right", _inputs(rng, n, "float")),
            ("W @ spikes, 1.0% firing", "right", _inputs(rng, n, "spikes", 0.01))]
    impls = _impls(W, brainevent)
    loop_min, _ = _time(lambda M, x: x.astype(jnp.float32), W, ops[0][2], n, args.iters,
                        args.repeats)
    names = list(impls)
    rows = []
    for label, side, xs in ops:
        x0 = np.asarray(xs[0], np.float64)
        expected = x0 @ dense if side == "left" else dense @ x0
        cells = {}
        for name in names:
            M, left, right = impls[name]
            fn = left if side == "left" else right
            got = np.asarray(jax.jit(fn)(M, xs[0]), np.float64)
            if not np.allclose(got, expected, rtol=1e-4, atol=1e-3):
                cells[name] = None
                print(f"[mismatch] {name} on {label}: max err "
                      f"{np.abs(got - expected).max():.3g}")
                continue
            cells[name] = _time(fn, M, xs, n, args.iters, args.repeats)
        rows.append((label, cells))

    print(f"\nloop overhead (trivial op in the same fori_loop): {loop_min * 1e6:.2f} us\n")
    width = max(len(s) for s in names) + 2
    for label, cells in rows:
        print(label)
        ref = cells.get("brainevent FixedPostNumConn")
        for name in names:
            cell = cells[name]
            if cell is None:
                print(f"  {name:{width}s}   mismatch")
                continue
            ratio = f"{cell[0] / ref[0]:6.2f}x brainevent FixedPost" if ref else ""
            print(f"  {name:{width}s} min {cell[0] * 1e6:9.2f} us  median "
                  f"{cell[1] * 1e6:9.2f} us  {ratio}")


if __name__ == "__main__":
    main()
