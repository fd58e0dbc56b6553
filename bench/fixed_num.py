"""Fixed-number connectivity: FixedPostNumConn / FixedPreNumConn vs brainevent and CSR.

    python bench/fixed_num.py [--n 10000] [--n-conn 80] [--iters 1000] [--repeats 7]

One random connectivity (``n x n``, ``n_conn`` distinct targets per presynaptic
neuron, built with ``FixedPostNumConn.random``) with one float32 weight per synapse,
stored four ways: sparsecore FixedPostNumConn, sparsecore CSR of the same entries,
brainevent's FixedPostNumConn, and brainevent's CSR; the fixed fan-in orientation
(FixedPreNumConn, the transpose) is timed the same way.  The implementations are the
shared adapters of ``_peers`` (``fixed_num_implementations`` and the CSR rows of
``implementations``), the timing loop is ``kernels.loop_runner`` timed by
``_timing.time_iters``.

Operations (rows): event ``spikes @ W`` at 0.1 %, 1 % and 10 % firing, float
``W @ v``, and event ``W @ spikes`` at 1 % (which, for FixedPostNumConn, gathers
``n_conn`` inputs per row and tests each spike while gathering).  Each operation runs
``--iters`` times inside one jitted ``fori_loop`` that cycles through 32 different
inputs (so XLA cannot hoist the product out of the loop) and accumulates the results;
min and median over ``--repeats`` loops are divided by ``--iters``.  The ``loop`` row
is the same loop around a trivial op.  Every result is first checked against dense
numpy (``kernels.check``); the ratio column compares with brainevent's
FixedPostNumConn (event ``spikes @ W`` at 1 % is expected at <= 0.6x).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import warnings

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
sys.path.append(os.path.dirname(_HERE))
import _peers  # noqa: E402
import _timing  # noqa: E402
import kernels  # noqa: E402

N_INPUTS = 32
REFERENCE = "brainevent FixedPostNumConn"


def _inputs(rng, n, kind, rate=None):
    if kind == "float":
        return rng.standard_normal((N_INPUTS, n)).astype(np.float32)
    k = max(1, int(round(rate * n)))
    out = np.zeros((N_INPUTS, n), bool)
    for row in out:
        row[rng.choice(n, k, replace=False)] = True
    return out


def _impls(brainevent: bool) -> list[_peers.Impl]:
    """The fixed-number rows and the CSR rows of the same entries, from the registry."""
    skip = () if brainevent else ("brainevent",)
    fixed = {i.name: i for i in _peers.fixed_num_implementations((None,), skip=skip)}
    csr = {i.short: i for i in _peers.implementations(
        (None,), include_host=False, skip=skip + ("jax.sparse", "dense"))}
    rows = [("sparsecore FixedPostNumConn", fixed.get("sparsecore FixedPostNumConn")),
            ("sparsecore CSR", csr.get("sparsecore")),
            ("sparsecore FixedPreNumConn (W.T)", fixed.get("sparsecore FixedPreNumConn")),
            ("brainevent FixedPostNumConn", fixed.get("brainevent FixedPostNumConn")),
            ("brainevent FixedPreNumConn (W.T)", fixed.get("brainevent FixedPreNumConn")),
            ("brainevent CSR", csr.get("brainevent"))]
    return [dataclasses.replace(impl, name=name) for name, impl in rows if impl is not None]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--n-conn", type=int, default=80)
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-brainevent", action="store_true")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import jax
    import jax.numpy as jnp
    import sparsecore as sc

    n, k = args.n, args.n_conn
    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    W = sc.FixedPostNumConn.random(n, n, k, weight=1.0, seed=args.seed, allow_self=False)
    build_s = time.perf_counter() - t
    W = W.with_data(jnp.asarray(rng.uniform(0.5, 1.5, (n, k)).astype(np.float32)))
    # the same buffers for every implementation (rows sorted and distinct: valid CSR)
    host = _peers.HostCSR(np.asarray(W.data).reshape(-1), np.asarray(W.indices).reshape(-1),
                          (np.arange(n + 1) * k).astype(np.int32), (n, n))
    dense = np.asarray(W.todense(), np.float64)
    print(f"n={n}, {k}/row, {W.nnz} synapses, per-synapse float32 weights; "
          f"FixedPostNumConn.random took {build_s * 1e3:.1f} ms; jax {jax.__version__}, "
          f"backend {jax.default_backend()}")

    ops = [(f"spikes @ W, {r:.1%} firing", "events", _inputs(rng, n, "spikes", r))
           for r in (0.001, 0.01, 0.1)]
    ops += [("W @ v (float)", "matvec", _inputs(rng, n, "float")),
            ("W @ spikes, 1.0% firing", "right_events", _inputs(rng, n, "spikes", 0.01))]
    impls = _impls(not args.no_brainevent)
    operands = {impl.name: impl.build(host) for impl in impls}

    def timed(impl, kind, xs):
        run = kernels.loop_runner(impl, kind, operands.get(impl.name if impl else None), xs, n)
        return _timing.time_iters(run, args.iters, repeats=args.repeats)

    loop_min, _ = timed(None, "events", ops[0][2])
    names = [impl.name for impl in impls]
    rows = []
    for label, kind, xs in ops:
        x0 = xs[0].astype(np.float64)
        expected = x0 @ dense if kind == "events" else dense @ x0
        cells = {}
        for impl in impls:
            err = kernels.check(impl, kind, operands[impl.name], xs[0], expected)
            if err:
                cells[impl.name] = None
                print(f"[mismatch] {impl.name} on {label}: {err}")
                continue
            cells[impl.name] = timed(impl, kind, xs)
        rows.append((label, cells))

    print(f"\nloop overhead (trivial op in the same fori_loop): {loop_min * 1e6:.2f} us\n")
    width = max(len(s) for s in names) + 2
    for label, cells in rows:
        print(label)
        ref = cells.get(REFERENCE)
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
