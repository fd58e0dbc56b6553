"""The kernel table: one row per tracked case, every implementation side by side.

``python bench/kernels.py --table`` (or ``python bench/_table.py``) times, in one
process and interleaved (round robin over the implementations of a row, median
over the rounds, each call a jitted ``fori_loop`` of ``k`` products so the
dispatch is amortised), these cases:

* float ``W @ v`` and ``v @ W``, CSR n=10^5 x 100 per row;
* event ``W @ spikes`` on FixedPostNumConn and ``spikes @ W`` on FixedPreNumConn,
  n=10^4 x 100, 1% firing, with and without the column index;
* event ``W @ spikes`` on CSR n=10^4 x 100 (the gather direction), 1%;
* event ``spikes @ W`` on CSR n=10^5 x 100, 1%;
* JITCNormalR float ``W @ v``, n=10^4, p=1%.

Before a row is timed, each implementation's result on its first input is compared
with the first implementation's (sparsecore's); one that computes another product is
reported as ``[mismatch]`` and left out (:func:`same_product`; not for the generated
row, where each library generates its own connectivity).

Next to each time: nanoseconds per visited synapse (stored entries a product
reads: every entry for a float or gathering product, active inputs times fan-in
for an event-driven one; generated: expected entries) and the random-gather floor
of this machine: a numba loop summing ``x[idx[k]]`` for random int32 ``idx`` over
an ``x`` of the case's length, in ns per element.
``--plot`` writes one PNG per family (time vs firing fraction, time vs n from
10^3 to 10^6) to ``bench/out`` (``bench/_table_plots.py``).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any, Callable

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
sys.path.append(os.path.dirname(_HERE))
import _peers  # noqa: E402
import _timing  # noqa: E402
import _peers_jitc  # noqa: E402
from _peers import fixed_fanout  # noqa: E402
from _timing import fmt_time, format_table  # noqa: E402

N_INPUTS = 8


def gather_floor_ns(n_x: int, n_idx: int = 4_000_000, repeats: int = 7) -> float:
    """ns per element of ``sum(x[idx])``, random int32 ``idx`` into a float32 ``x`` of n_x."""
    import numba

    @numba.njit(cache=False)
    def gather(x, idx):
        a0 = a1 = a2 = a3 = np.float32(0)
        n4 = idx.shape[0] - idx.shape[0] % 4
        for k in range(0, n4, 4):
            a0 += x[idx[k]]
            a1 += x[idx[k + 1]]
            a2 += x[idx[k + 2]]
            a3 += x[idx[k + 3]]
        return (a0 + a1) + (a2 + a3)

    rng = np.random.default_rng(0)
    x = rng.standard_normal(n_x).astype(np.float32)
    idx = rng.integers(0, n_x, n_idx).astype(np.int32)
    gather(x, idx)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        gather(x, idx)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / n_idx * 1e9


def _runner(fn: Callable, operand: Any, xs: np.ndarray, host: bool):
    """``run(k)``: ``k`` products over the inputs (cycled), summed; blocks."""
    if host:
        def run_host(k):
            acc = 0
            for i in range(k):
                acc = acc + fn(operand, xs[i % len(xs)])
            return acc
        return run_host
    import jax
    import jax.numpy as jnp

    out = jax.eval_shape(fn, operand, jnp.asarray(xs[0]))

    @jax.jit
    def run(operand, xs, k):
        def body(i, acc):
            return acc + fn(operand, xs[i % xs.shape[0]]).astype(jnp.float32)
        return jax.lax.fori_loop(0, k, body, jnp.zeros(out.shape, jnp.float32))

    xs_dev = jnp.asarray(xs)
    return lambda k: jax.block_until_ready(run(operand, xs_dev, jnp.int32(k)))


def same_product(entries: dict[str, tuple[Callable, Any, bool]], x: np.ndarray) -> dict:
    """The entries whose result on ``x`` matches the first entry's (float32 sums: to 1e-3
    of the largest magnitude); each other one is reported and left out.

    A peer's adapter can compute another product of the same matrix (its transpose,
    say): a row must time one product, whatever each library calls it.
    """
    kept, reference = {}, None
    for name, (fn, operand, host) in entries.items():
        try:
            out = np.asarray(fn(operand, x if host else _device(x)), np.float64)
        except Exception as exc:  # report, keep checking the others
            print(f"  [fail] {name}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
            continue
        if reference is None:
            reference = out
        scale = max(1.0, float(np.abs(reference).max(initial=0.0)))
        if out.shape != reference.shape or not np.allclose(out, reference, rtol=0,
                                                           atol=1e-3 * scale):
            error = (f"shape {out.shape}" if out.shape != reference.shape
                     else f"max error {np.abs(out - reference).max():.3g}")
            print(f"  [mismatch] {name}: not the product of {next(iter(entries))} ({error})")
            continue
        kept[name] = entries[name]
    return kept


def _device(x):
    import jax.numpy as jnp
    return jnp.asarray(x)


def interleaved(entries: dict[str, tuple[Callable, Any, bool]], xs: np.ndarray, *,
                target_s: float, rounds: int, check: bool = True) -> dict[str, float]:
    """Seconds per product of each entry ``name -> (fn, operand, host)``, interleaved.

    With ``check``, only the entries computing the first entry's product are timed
    (:func:`same_product`).
    """
    import jax

    # brainevent keeps a matrix's indices in its pytree metadata, and jax compares the
    # metadata of a cached trace's matrix with a new one of the same shape by ==, which
    # fails on arrays: each case starts with empty caches
    jax.clear_caches()
    if check:
        entries = same_product(entries, xs[0])
    runs = {}
    for name, (fn, operand, host) in entries.items():
        try:
            run = _runner(fn, operand, xs, host)
            run(1)  # compile
            runs[name] = (run, _timing.calibrated_iters(run, target_s))
        except Exception as exc:  # report, keep timing the others
            print(f"  [fail] {name}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, (run, k) in runs.items():
            t0 = time.perf_counter()
            run(k)
            times[name].append((time.perf_counter() - t0) / k)
    return {name: statistics.median(v) for name, v in times.items()}


def _spikes(n: int, fraction: float, rng) -> np.ndarray:
    out = np.zeros((N_INPUTS, n), bool)
    k = max(1, int(round(fraction * n)))
    for row in out:
        row[rng.choice(n, size=k, replace=False)] = True
    return out


def _sc():
    import jax.numpy as jnp
    import sparsecore as sc
    return sc, jnp


def _csr(host):
    sc, jnp = _sc()
    return sc.CSR((jnp.asarray(host.data), jnp.asarray(host.indices),
                   jnp.asarray(host.indptr)), shape=host.shape)


def _peer(make):
    try:
        return make()
    except Exception as exc:  # an absent peer only drops its column
        print(f"  [skip] peer: {type(exc).__name__}: {exc}")
        return None


def _peer_entries(host, impls, side: str) -> dict:
    """``name -> (fn, operand, host)`` of the _peers adapters for one product side."""
    out = {}
    for impl in impls:
        if impl is None or not impl.fits(host):
            continue
        fn = {"matvec": impl.matvec, "events": impl.events,
              "right_events": impl.right_events}[side]
        if fn is None:
            continue
        try:
            out[impl.short] = (fn, impl.build(host), impl.host)
        except Exception as exc:
            print(f"  [skip] {impl.short}: {type(exc).__name__}: {exc}")
    return out


def table_cases(rng, big: int):
    """``(label, entries, xs, visited, n_x)`` per row; ``visited`` maps name -> synapses."""
    sc, jnp = _sc()
    dense = _peers._dense_impl(2 * 2**30)
    peers_csr = [_peer(_peers._scipy_impl), _peer(_peers._brainevent_impl),
                 _peer(_peers._jax_bcsr_impl), _peer(_peers._jax_bcoo_impl), dense]
    cases = []
    big_host = fixed_fanout(big, big, 100, rng)
    W = _csr(big_host)
    v = rng.standard_normal((N_INPUTS, big)).astype(np.float32)
    e = {"sparsecore": (lambda A, x: A @ x, W, False)}
    e.update(_peer_entries(big_host, peers_csr, "matvec"))
    cases.append((f"float W @ v, CSR n={big:.0e} x 100", e, v, {}, big))
    e = {"sparsecore": (lambda A, x: x @ A, W, False),
         "scipy": (lambda A, x: x @ A, big_host.to_scipy(), True)}
    be = _peer(_peers._brainevent_impl)
    if be is not None:
        e["brainevent"] = (lambda A, x: x @ A, be.build(big_host), False)
    cases.append((f"float v @ W, CSR n={big:.0e} x 100", e, v, {}, big))

    small = fixed_fanout(10_000, 10_000, 100, rng)
    s = _spikes(10_000, 0.01, rng)
    event_driven = 0.01 * 10_000 * 100
    post = sc.FixedPostNumConn((jnp.asarray(small.data.reshape(10_000, 100)),
                                jnp.asarray(small.indices.reshape(10_000, 100))),
                               shape=small.shape)
    be_post, be_pre = (_peer(lambda: _peers._brainevent_fixed_impl(p)) for p in (False, True))
    e = {"sparsecore": (lambda A, x: A @ x, post, False),
         "sparsecore +index": (lambda A, x: A @ x, post.with_column_index(), False)}
    if be_post is not None:
        e["brainevent"] = (be_post.right_events, be_post.build(small), False)
    cases.append(("event W @ s, FixedPost n=1e4 x 100, 1%", e, s,
                  {"sparsecore +index": event_driven, "brainevent": event_driven}, 10_000))
    pre = post.T  # FixedPreNumConn over the same buffers: s @ pre is post @ s
    e = {"sparsecore": (lambda A, x: x @ A, pre, False),
         "sparsecore +index": (lambda A, x: x @ A, pre.with_column_index(), False)}
    if be_pre is not None:  # s @ W on brainevent's FixedPre matrix of the same buffers
        e["brainevent"] = (be_pre.right_events, be_pre.build(small), False)
    cases.append(("event s @ W, FixedPre n=1e4 x 100, 1%", e, s,
                  {"sparsecore +index": event_driven, "brainevent": event_driven}, 10_000))

    Wc = _csr(small)
    e = {"sparsecore": (lambda A, x: A @ x, Wc, False),
         "sparsecore +index": (lambda A, x: A @ x, Wc.with_column_index(), False),
         "own float W @ v": (lambda A, x: A @ x.astype(jnp.float32), Wc, False)}
    if be is not None:
        e["brainevent"] = (be.right_events, be.build(small), False)
    e["scipy W@float(s)"] = (lambda A, x: A @ x.astype(np.float32), small.to_scipy(), True)
    e["dense"] = (lambda A, x: A @ x.astype(A.dtype), jnp.asarray(small.todense()), False)
    cases.append(("event W @ s, CSR n=1e4 x 100, 1% (gather)", e, s,
                  {"sparsecore +index": event_driven}, 10_000))

    sb = _spikes(big, 0.01, rng)
    e = {"sparsecore": (lambda A, x: x @ A, W, False)}
    e.update(_peer_entries(big_host, [_peer(_peers._scipy_rows_impl), be,
                                      _peer(_peers._jax_bcsr_impl)], "events"))
    active = 0.01 * big * 100
    cases.append((f"event s @ W, CSR n={big:.0e} x 100, 1%", e, sb,
                  {k: active for k in e if k in ("sparsecore", "scipy rows", "brainevent")},
                  big))

    params = _peers_jitc.JITCParams(weight=0.5, prob=0.01, seed=1, spread=0.1)
    jitc = [_peer(lambda: _peers_jitc._sparsecore_jitc_impl(params, None, "normal")),
            _peer(lambda: _peers_jitc._brainevent_jitc_impl(params, True, "normal"))]
    shape_host = _peers_jitc.shape_only((10_000, 10_000))
    e = _peer_entries(shape_host, jitc, "matvec")
    vj = rng.standard_normal((N_INPUTS, 10_000)).astype(np.float32)
    generated = 10_000 * 10_000 * 0.01
    # each library generates its own connectivity of these statistics: not checked
    cases.append(("JITCNormalR float W @ v, n=1e4, p=1%", e, vj,
                  {k: generated for k in e}, 10_000))
    return cases, big_host.nnz, small.nnz


def run_table(*, big: int = 100_000, target_s: float = 0.05, rounds: int = 7) -> list:
    rng = np.random.default_rng(0)
    print(_timing.describe_machine())
    print(f"uptime: {os.getloadavg()}")
    cases, big_nnz, small_nnz = table_cases(rng, big)
    floors = {}
    rows = []
    for label, entries, xs, visited, n_x in cases:
        if n_x not in floors:
            floors[n_x] = gather_floor_ns(n_x)
        nnz = big_nnz if n_x == big and "JITC" not in label else small_nnz
        times = interleaved(entries, xs, target_s=target_s, rounds=rounds,
                            check="JITC" not in label)
        first = next(iter(times.values()), None)
        for name, sec in times.items():
            syn = visited.get(name, nnz)
            rows.append([label, name, fmt_time(sec), f"{sec / first:.2f}" if first else "-",
                         f"{sec / syn * 1e9:.2f}", f"{floors[n_x]:.2f}"])
            label = ""
        print(format_table(["case", "implementation", "time", "vs first", "ns/syn",
                            "gather floor ns"], rows[-len(times):]), flush=True)
    print("\n" + format_table(["case", "implementation", "time", "vs first", "ns/syn",
                               "gather floor ns"], rows))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=100_000, help="n of the large CSR rows")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.05, help="seconds per timed call")
    parser.add_argument("--plot", action="store_true", help="also write the PNGs")
    args = parser.parse_args(argv)
    run_table(big=args.big, target_s=args.target, rounds=args.rounds)
    if args.plot:
        import _table_plots
        _table_plots.main(target_s=args.target / 2, rounds=max(3, args.rounds // 2))


if __name__ == "__main__":
    main()
