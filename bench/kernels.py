"""Kernel benchmarks: sparsecore's CSR products against scipy, jax.sparse, dense, brainevent.

What is timed, in one run:

(a) float ``W @ v`` (CSR matvec);
(b) event ``spikes @ W`` with a bool spike vector at firing fractions 0.1%, 1%, 10%;
    for two matrices: n = 10k with 1% connectivity (100 per row) and n = 100k with 100
    per row (10M stored entries);
(c) per-call overhead: a 10k-step ``lax.scan`` whose body calls the event product on a
    tiny 10x10 matrix, reported in us per call (and an empty scan for reference).

Implementations (see ``_peers.py``): sparsecore (``--backend``), brainevent (when
installed), jax.experimental.sparse BCSR and BCOO, dense jnp (only where the dense
matrix fits, i.e. not at 100k), scipy.sparse (``csr @ v``; events the honest scipy
way, ``W.T @ float(spikes)``, and event-driven by hand, ``W[active].sum(0)``).

Timing: each operation runs ``k`` times inside one jitted ``fori_loop`` (traced trip
count, so no recompiles) over 8 different input vectors, accumulating the results;
``k`` is picked so that one call takes ~50 ms (grown tenfold until a call takes a tenth
of that, then scaled), the median of several calls is divided by ``k``. This amortises the jit dispatch (~5-10 us) that would otherwise hide
small kernels. The ``loop`` column is the same loop with the product replaced by a
no-op (what every jitted row pays per iteration on top of its kernel). scipy runs the
same loop in Python. Every result is first checked against scipy in float64.

sparsecore's kernels are single-threaded, so there is no need to set
NUMBA_NUM_THREADS=1; brainevent runs with its default (numba parallel off), scipy's
sparse products are single-threaded, XLA's dense dot may use both cores.

Run (from the repository root)::

    python bench/kernels.py            # full run, a few minutes on 2 cores
    python bench/kernels.py --quick    # 10k matrix only, shorter timings (~1 min)
    python bench/kernels.py --backend jax --skip scipy dense

``--table`` runs only the tracked cases of ``bench/_table.py`` (float and event
products of CSR and the fixed-number formats with and without the column index,
JITCNormalR), interleaved, with ns per visited synapse and the random-gather floor.

Prints a table of times and a table of ratios to sparsecore (> 1: sparsecore is
faster), and writes ``bench/out/kernels.png`` (time vs firing fraction).

The fixed-number case (n=10k, 80/row) also times sparsecore's FixedPostNumConn and
FixedPreNumConn (the transposed buffers, products in the other kernel direction)
against brainevent's classes of the same names and CSR, with a ratio table at the end.

The generated case (n=10k, JITC p=1%) times sparsecore's ``JITCHomoR`` (regenerated in
every product) against brainevent's generated products (``jitsmv`` / ``binary_jitsmv``,
its own random matrix of the same density, both ``corder``) and against every CSR row
on the same matrix stored (``W.tocsr()``), with a ns-per-synapse and ratio table.

(d) plasticity (:func:`bench_plasticity`, adapters in ``_peers_plasticity.plasticity_implementations``):
on-pre and on-post CSR weight updates (``update_csr_on_binary_pre/_post``, n=10k, 1%
connectivity, 1% spiking, bounds [0, 1]) inside a jitted ``fori_loop`` that carries the
weights, with the weights donated so the updates run in place; and ``csrmv_yw2y`` on the
same matrix; against brainevent's functions, with a sparsecore/brainevent ratio table
(the on-pre / on-post updates are expected at <= 0.6x brainevent's time).
``bench/plasticity.py`` runs this section alone.

To add a benchmark matrix (FixedPostNumConn, generated JITC connectivity, ...) append a
:class:`MatrixCase` to :func:`matrix_cases`; to add an operation, an :class:`OpCase`
to :func:`op_cases`; to add an implementation, an adapter in ``_peers.implementations``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from typing import Any, Callable, Optional

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
# An installed sparsecore wins; otherwise use the checkout this script lives in.
sys.path.append(os.path.dirname(_HERE))
import _peers  # noqa: E402
import _timing  # noqa: E402
import _peers_plasticity  # noqa: E402
import plasticity  # noqa: E402
import _peers_jitc  # noqa: E402
from _peers import HostCSR, Impl, fixed_fanout  # noqa: E402
from _timing import Result, fmt_time, format_table  # noqa: E402

N_INPUTS = 8  # distinct input vectors cycled through inside the timing loop
JITC_PARAMS = _peers_jitc.JITCParams(weight=0.5, prob=0.01, seed=1)
JITC_LABEL = "n=10k, JITC p=1% (generated)"
FIRING_FRACTIONS = (0.001, 0.01, 0.1)


# --------------------------------------------------------------------------------------
# Benchmark cases
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class MatrixCase:
    """A benchmark matrix: ``build(rng) -> HostCSR``.

    ``fixed``: every row has the same number of entries, and the fixed-number formats
    (``_peers.fixed_num_implementations``) are timed on it too.
    ``jitc``: the matrix is sparsecore's generated ``JITCHomoR`` of :data:`JITC_PARAMS`
    (stored as CSR for the CSR rows), and the generated formats
    (``_peers_jitc.jitc_implementations``) are timed on it too.
    """

    label: str
    build: Callable[[np.random.Generator], HostCSR]
    fixed: bool = False
    jitc: bool = False


@dataclasses.dataclass
class OpCase:
    """One operation on a matrix.

    ``kind`` is ``"matvec"`` (float ``W @ v``) or ``"events"`` (bool ``spikes @ W``);
    ``inputs(csr, rng)`` returns ``N_INPUTS`` stacked input vectors; ``x`` is the
    firing fraction for event products (the plot's x axis), ``None`` otherwise.
    """

    label: str
    kind: str
    inputs: Callable[[HostCSR, np.random.Generator], np.ndarray]
    x: Optional[float] = None


def matrix_cases(quick: bool) -> list[MatrixCase]:
    """The matrices of the run: n=10k with 100 per row (1%), n=100k with 100 per row."""
    cases = [MatrixCase("n=10k, 100/row (1%)",
                        lambda rng: fixed_fanout(10_000, 10_000, 100, rng))]
    # fixed fan-out: FixedPostNumConn / FixedPreNumConn vs brainevent's and vs CSR.
    cases.append(MatrixCase("n=10k, 80/row (fixed)",
                            lambda rng: fixed_fanout(10_000, 10_000, 80, rng), fixed=True))
    # generated connectivity (JITCHomoR) vs brainevent's and vs CSR.
    cases.append(MatrixCase(JITC_LABEL, lambda rng: _peers_jitc.jitc_csr(10_000, 10_000, JITC_PARAMS),
                            jitc=True))
    if not quick:
        cases.append(MatrixCase("n=100k, 100/row",
                                lambda rng: fixed_fanout(100_000, 100_000, 100, rng)))
    return cases


def _float_inputs(csr: HostCSR, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((N_INPUTS, csr.shape[1])).astype(np.float32)


def op_cases() -> list[OpCase]:
    ops = [OpCase("W @ v (float)", "matvec", _float_inputs)]
    ops += [OpCase(f"spikes @ W, {f:.1%} firing", "events", _peers.spike_inputs(f, N_INPUTS), x=f)
            for f in FIRING_FRACTIONS]
    return ops


def reference(csr: HostCSR, op: OpCase, x: np.ndarray) -> np.ndarray:
    """float64 scipy result for one input vector."""
    W = csr.to_scipy().astype(np.float64)
    if op.kind == "matvec":
        return W @ x.astype(np.float64)
    return W.T @ x.astype(np.float64)


# --------------------------------------------------------------------------------------
# Timing one (matrix, operation, implementation)
# --------------------------------------------------------------------------------------


def _impl_fn(impl: Impl, kind: str):
    """The product of ``kind``: ``"matvec"`` (float ``W @ v``), ``"events"`` (bool
    ``spikes @ W``) or ``"right_events"`` (bool ``W @ spikes``)."""
    return {"matvec": impl.matvec, "events": impl.events,
            "right_events": impl.right_events}[kind]


def loop_runner(impl: Optional[Impl], kind: str, operand: Any, xs: np.ndarray,
                out_len: int) -> Callable[[int], Any]:
    """``run(k)``: apply the operation ``k`` times over the inputs ``xs`` (cycled) and
    sum the results; blocks until done. ``impl=None`` gives the empty loop."""
    if impl is not None and impl.host:
        fn = _impl_fn(impl, kind)

        def run_host(k: int):
            acc = np.zeros(out_len, np.float32)
            for i in range(k):
                acc += fn(operand, xs[i % len(xs)])
            return acc

        return run_host

    import jax
    import jax.numpy as jnp

    fn = None if impl is None else _impl_fn(impl, kind)
    xs_dev = jnp.asarray(xs)

    @jax.jit
    def run(operand, xs, k):
        def body(i, acc):
            x = xs[i % xs.shape[0]]
            if fn is None:  # the loop alone: fetch the input, touch the accumulator
                return acc + x[0].astype(acc.dtype)
            return acc + fn(operand, x)

        return jax.lax.fori_loop(0, k, body, jnp.zeros(out_len, jnp.float32))

    return lambda k: jax.block_until_ready(run(operand, xs_dev, jnp.int32(k)))


def check(impl: Impl, kind: str, operand: Any, x: np.ndarray, expected: np.ndarray) -> str:
    """'' if ``impl`` computes ``expected`` (float32 tolerance), else a message.
    Implementations that use their own random matrix (``impl.exact`` False) are checked
    for the shape only."""
    fn = _impl_fn(impl, kind)
    if impl.host:
        got = fn(operand, x)
    else:
        import jax
        import jax.numpy as jnp

        got = jax.jit(fn)(operand, jnp.asarray(x))
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape:
        return f"wrong shape {got.shape}, expected {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max()))
    if not impl.exact:  # another matrix of the same density
        return ""
    err = float(np.abs(got - expected).max()) / scale
    return "" if err < 1e-4 else f"wrong result: max rel error {err:.2e}"


def bench_matrix(case: MatrixCase, impls: list[Impl], rng: np.random.Generator,
                 target_s: float, repeats: int) -> list[Result]:
    t0 = time.perf_counter()
    csr = case.build(rng)
    print(f"\n== {case.label}: shape {csr.shape}, nnz {csr.nnz} "
          f"(built in {time.perf_counter() - t0:.1f} s)", flush=True)
    results = []
    operands = {}
    for impl in impls:
        if not impl.fits(csr):
            print(f"  [skip] {impl.name}: does not fit")
            continue
        try:
            operands[impl.name] = impl.build(csr)
        except Exception as exc:  # report, keep benchmarking the others
            print(f"  [fail] {impl.name}: build: {type(exc).__name__}: {exc}")
    for op in op_cases():
        xs = op.inputs(csr, rng)
        out_len = csr.shape[0] if op.kind == "matvec" else csr.shape[1]
        expected = reference(csr, op, xs[0])
        loop_s, _ = _timing.time_loop(loop_runner(None, op.kind, None, xs, out_len),
                                     target_s=target_s, repeats=repeats)
        results.append(Result(case.label, op.label, "loop", loop_s, x=op.x, kind=op.kind))
        line = [f"  {op.label:<24} loop {fmt_time(loop_s)}"]
        for impl in impls:
            if impl.name not in operands or _impl_fn(impl, op.kind) is None:
                continue
            operand = operands[impl.name]
            try:
                err = check(impl, op.kind, operand, xs[0], expected)
                if err:
                    raise AssertionError(err)
                sec, iters = _timing.time_loop(
                    loop_runner(impl, op.kind, operand, xs, out_len),
                    target_s=target_s, repeats=repeats)
                results.append(Result(case.label, op.label, impl.name, sec, iters,
                                      x=op.x, kind=op.kind))
                line.append(f"{impl.short} {fmt_time(sec)}")
            except Exception as exc:
                msg = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                print(f"  [fail] {impl.name} on {op.label}: {msg}")
                results.append(Result(case.label, op.label, impl.name, None, error=msg,
                                      x=op.x, kind=op.kind))
        print(" | ".join(line), flush=True)
    return results


# --------------------------------------------------------------------------------------
# (c) per-call overhead inside lax.scan
# --------------------------------------------------------------------------------------


def bench_overhead(impls: list[Impl], steps: int, repeats: int) -> list[Result]:
    """``steps``-step ``lax.scan`` calling ``spikes @ W`` on a 10x10 matrix; us per call.

    The spikes depend on the step counter, so the call cannot be hoisted out of the
    loop. The ``empty scan`` row is the same scan without the product. scipy's row is
    a Python loop (per call from Python, not inside a scan).
    """
    import jax
    import jax.numpy as jnp

    label = f"overhead: {steps}-step scan, 10x10"
    n = 10
    rng = np.random.default_rng(1)
    csr = fixed_fanout(n, n, 3, rng)
    print(f"\n== {label} (spikes @ W per step, nnz {csr.nnz})", flush=True)
    pattern = jnp.arange(n)

    def make_scan(fn):
        def run(operand):
            def step(acc, i):
                spikes = (i + pattern) % 3 == 0
                y = spikes.astype(jnp.float32) if fn is None else fn(operand, spikes)
                return acc + y, None

            return jax.lax.scan(step, jnp.zeros(n, jnp.float32), jnp.arange(steps))[0]

        return jax.jit(run)

    results = []
    empty = make_scan(None)
    sec = _timing.time_repeated(lambda: jax.block_until_ready(empty(None)),
                               repeats=repeats, warmup=1)
    results.append(Result(label, "per call", "empty scan", sec / steps))
    print(f"  empty scan: {fmt_time(sec / steps)} per step", flush=True)
    for impl in impls:
        if impl.events is None:
            continue
        try:
            operand = impl.build(csr)
            if impl.host:
                spikes_np = [(i + np.arange(n)) % 3 == 0 for i in range(3)]
                k = min(steps, 2000)

                def run_host():
                    for i in range(k):
                        impl.events(operand, spikes_np[i % 3])

                sec = _timing.time_repeated(run_host, repeats=repeats, warmup=1) / k
            else:
                f = make_scan(impl.events)
                sec = _timing.time_repeated(lambda: jax.block_until_ready(f(operand)),
                                           repeats=repeats, warmup=1) / steps
            results.append(Result(label, "per call", impl.name, sec))
            print(f"  {impl.name}: {fmt_time(sec)} per call"
                  + (" (Python loop)" if impl.host else ""), flush=True)
        except Exception as exc:
            msg = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            print(f"  [fail] {impl.name}: {msg}")
            results.append(Result(label, "per call", impl.name, None, error=msg))
    return results


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def print_tables(results: list[Result], impls: list[Impl]) -> None:
    ref_name = impls[0].name
    names = [i.name for i in impls]
    short = {i.name: i.short for i in impls}
    keys = list(dict.fromkeys((r.matrix, r.op) for r in results))
    by = {(r.matrix, r.op, r.impl): r for r in results}

    def cell(key, name, ratio):
        r = by.get(key + (name,))
        if r is None or r.seconds is None:
            return "fail" if r is not None else "-"
        if not ratio:
            return fmt_time(r.seconds)
        ref = by.get(key + (ref_name,))
        if ref is None or ref.seconds is None:
            return "-"
        return f"{r.seconds / ref.seconds:.2f}x"

    extra = ["loop / empty"]

    def extra_cell(key):
        r = by.get(key + ("loop",)) or by.get(key + ("empty scan",))
        return fmt_time(r.seconds) if r else "-"

    rows_t, rows_r = [], []
    for key in keys:
        label = f"{key[0]} | {key[1]}"
        rows_t.append([label] + [cell(key, n, False) for n in names] + [extra_cell(key)])
        rows_r.append([label] + [cell(key, n, True) for n in names])
    print("\nTime per operation (median; 'loop / empty' = the timing loop or empty scan "
          "alone, per iteration)")
    print(format_table(["case"] + [short[n] for n in names] + extra, rows_t))
    print(f"\nRatio to {ref_name} (time / {ref_name}'s time; > 1: {ref_name} is faster)")
    print(format_table(["case"] + [short[n] for n in names], rows_r))
    print()
    for impl in impls:
        if impl.note:
            print(f"  {impl.note}")
    print("  sparsecore's kernels are single-threaded: NUMBA_NUM_THREADS=1 is not "
          "needed for a fair single-thread comparison.")


def print_fixed_ratios(results: list[Result], fixed_impls: list[Impl],
                       csr_name: str) -> None:
    """On the fixed-number matrices: sparsecore's fixed formats against brainevent's
    class of the same name and against sparsecore CSR (``csr_name``) of the same
    connectivity."""
    by = {(r.matrix, r.op, r.impl): r.seconds for r in results}
    names = [i.name for i in fixed_impls]
    pairs = []
    for cls in ("FixedPostNumConn", "FixedPreNumConn"):
        ours = next((n for n in names if n.startswith(f"sparsecore {cls}")), None)
        if ours:
            pairs += [(ours, f"brainevent {cls}"), (ours, csr_name)]
    keys = list(dict.fromkeys((r.matrix, r.op) for r in results if r.impl in names))
    if not keys or not pairs:
        return
    rows = []
    for key in keys:
        row = [f"{key[0]} | {key[1]}"]
        for ours, theirs in pairs:
            a, b = by.get(key + (ours,)), by.get(key + (theirs,))
            row.append(f"{a / b:.2f}x" if a and b else "-")
        rows.append(row)
    heads = ["case"] + [f"{'FixedPost' if 'Post' in o else 'FixedPre'} / "
                        f"{'brainevent' if t.startswith('brainevent') else 'sc CSR'}"
                        for o, t in pairs]
    print("\nFixed-number formats: time ratios (< 1: sparsecore's fixed format is faster; "
          "expected: FixedPost spikes @ W at 1% <= 0.6x brainevent FixedPost)")
    print(format_table(heads, rows))


def print_jitc_ratios(results: list[Result], jitc_impls: list[Impl], csr_name: str) -> None:
    """On the generated matrix: ns per synapse (per generated synapse for float products,
    per synapse of an active row for events) and sparsecore JITC / brainevent JITC and
    sparsecore JITC / sparsecore CSR of the same matrix."""
    names = [i.name for i in jitc_impls]
    ours = next((n for n in names if n.startswith("sparsecore")), None)
    rows_in = [r for r in results if r.matrix == JITC_LABEL]
    if not ours or not rows_in:
        return
    by = {(r.op, r.impl): r.seconds for r in rows_in}
    n = 10_000
    synapses = n * n * JITC_PARAMS.prob
    others = [m for m in names if m != ours] + [csr_name]
    rows = []
    for op in dict.fromkeys(r.op for r in rows_in):
        frac = next(r.x for r in rows_in if r.op == op) or 1.0
        row = [op]
        for name in [ours] + others:
            sec = by.get((op, name))
            row.append(f"{sec / (synapses * frac) * 1e9:.2f}" if sec else "-")
        for name in others:
            a, b = by.get((op, ours)), by.get((op, name))
            row.append(f"{a / b:.2f}x" if a and b else "-")
        rows.append(row)
    short = {i.name: i.short for i in jitc_impls}
    heads = (["op"] + [f"ns/syn {short.get(m, 'sc CSR')}" for m in [ours] + others]
             + [f"sc JITC / {short.get(m, 'sc CSR')}" for m in others])
    print(f"\nGenerated connectivity ({JITC_LABEL}): ns per synapse and time ratios "
          "(< 1: sparsecore JITC is faster; expected: float <= 5 ns/synapse)")
    print(format_table(heads, rows))


def plot(results: list[Result], impls: list[Impl], path: str) -> None:
    """Time vs firing fraction per implementation; float matvec as a dotted line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrices = list(dict.fromkeys(r.matrix for r in results if r.kind == "events"))
    if not matrices:
        return
    # one panel per row, so that the figure stays readable at the width of a page
    fig, axes = plt.subplots(len(matrices), 1, figsize=(9, 4.2 * len(matrices)),
                             squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, matrix in zip(axes[:, 0], matrices):
        for j, impl in enumerate(impls):
            color = colors[j % len(colors)]
            style = "o-" if j < len(colors) else "s--"  # colours repeat after 10 rows
            pts = sorted((r.x, r.seconds) for r in results
                         if r.matrix == matrix and r.impl == impl.name
                         and r.kind == "events" and r.seconds is not None)
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, np.array(ys) * 1e6, style, color=color, label=impl.short)
            mv = [r.seconds for r in results if r.matrix == matrix
                  and r.impl == impl.name and r.kind == "matvec" and r.seconds is not None]
            if mv:
                ax.axhline(mv[0] * 1e6, color=color, ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("firing fraction")
        ax.set_ylabel("time per spikes @ W (us)")
        ax.set_title(f"{matrix}\n(dotted: float W @ v)", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        # outside the axes: inside, it hid the fastest (lowest) curves
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"\nplot written to {path}")


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["numba", "jax"], default=None,
                    help="sparsecore kernel backend (default: the operators with the "
                         "platform's default backend, numba on CPU)")
    ap.add_argument("--quick", action="store_true",
                    help="10k matrix only, shorter timings, 2k-step overhead scan")
    ap.add_argument("--skip", nargs="*", default=[],
                    help="implementation name prefixes to leave out (e.g. scipy dense)")
    ap.add_argument("--plot", default=os.path.join(_HERE, "out", "kernels.png"),
                    help="where to write the PNG (default bench/out/kernels.png)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--table", action="store_true",
                    help="only the tracked-case table (bench/_table.py): interleaved, with ns "
                         "per visited synapse and this machine's random-gather floor")
    args = ap.parse_args(argv)
    if args.table:
        import _table
        _table.run_table(target_s=0.02 if args.quick else 0.05, rounds=3 if args.quick else 7)
        return

    target_s, repeats, steps = (0.02, 3, 2_000) if args.quick else (0.05, 5, 10_000)
    t_start = time.perf_counter()
    print(f"machine: {_timing.describe_machine()}")
    impls = _peers.implementations((args.backend,), skip=args.skip)
    if not impls:
        sys.exit("no implementation available")
    if not impls[0].name.startswith("sparsecore"):
        print(f"WARNING: sparsecore unavailable; ratios are relative to {impls[0].name}")
    fixed_impls = _peers.fixed_num_implementations((args.backend,), skip=args.skip)
    jitc_impls = _peers_jitc.jitc_implementations(JITC_PARAMS, (args.backend,), skip=args.skip)
    rng = np.random.default_rng(args.seed)
    results = []
    for case in matrix_cases(args.quick):
        results += bench_matrix(case, impls + (fixed_impls if case.fixed else [])
                                + (jitc_impls if case.jitc else []), rng, target_s, repeats)
    plasticity_impls = _peers_plasticity.plasticity_implementations((args.backend,), skip=args.skip)
    if plasticity_impls:
        results += plasticity.bench_plasticity(plasticity_impls, rng, target_s, repeats)
    results += bench_overhead(impls, steps, repeats)
    print_tables(results, impls + fixed_impls + jitc_impls)
    print_fixed_ratios(results, fixed_impls, impls[0].name)
    print_jitc_ratios(results, jitc_impls, impls[0].name)
    plasticity.print_plasticity_ratios(results, plasticity_impls)
    plot(results, impls + fixed_impls + jitc_impls, args.plot)
    print(f"total time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
