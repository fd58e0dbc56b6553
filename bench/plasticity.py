"""Plasticity benchmark: spike-triggered CSR weight updates (on-pre / on-post, n=10k,
1% connectivity, 1% spiking, weights donated) and ``csrmv_yw2y``, sparsecore against
brainevent. ``bench/kernels.py`` runs it as its plasticity section; this script runs it
alone (adapters in ``_peers_plasticity.plasticity_implementations``).

    python bench/plasticity.py [--backend numba|jax] [--quick]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any, Callable, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402
import _peers_plasticity  # noqa: E402
import _timing  # noqa: E402
from _peers import HostCSR  # noqa: E402
from _timing import Result, fmt_time, format_table  # noqa: E402

N_INPUTS = 8  # distinct spike / trace vectors cycled through inside the timing loop


# --------------------------------------------------------------------------------------
# Plasticity: spike-triggered CSR weight updates (donated) and csrmv_yw2y
# --------------------------------------------------------------------------------------

PLASTICITY_LABEL = "plasticity n=10k, 100/row (1%)"
PLASTICITY_FIRING = 0.01
W_MIN, W_MAX = 0.0, 1.0  # weights uniform in [0, 1], updates clipped to these bounds


@dataclasses.dataclass
class UpdateCase:
    """One plasticity operation: ``kind`` is ``"on-pre"``, ``"on-post"`` or ``"yw2y"``."""

    label: str
    kind: str


def update_cases() -> list[UpdateCase]:
    return [UpdateCase(f"on-pre update, {PLASTICITY_FIRING:.0%} spiking", "on-pre"),
            UpdateCase(f"on-post update, {PLASTICITY_FIRING:.0%} spiking", "on-post"),
            UpdateCase("csrmv_yw2y (yw_to_w)", "yw2y")]


def update_reference(csr: HostCSR, kind: str, spikes: np.ndarray, traces: np.ndarray,
                     ys: np.ndarray) -> np.ndarray:
    """float64 NumPy oracle over the stored entries (entry ``k`` is ``W[row(k), col(k)]``):
    on-pre ``W[i, j] = clip(W[i, j] + trace[j])`` for spiking rows ``i``, on-post
    ``W[i, j] = clip(W[i, j] + trace[i])`` for spiking columns ``j``, yw2y
    ``W[i, j] * y[i]``."""
    w = csr.full_data().astype(np.float64)
    rows, cols = csr.rows(), csr.indices
    if kind == "yw2y":
        return w * ys.astype(np.float64)[rows]
    hit = spikes[rows] if kind == "on-pre" else spikes[cols]
    other = cols if kind == "on-pre" else rows
    w[hit] = np.clip(w[hit] + traces.astype(np.float64)[other[hit]], W_MIN, W_MAX)
    return w


def _update_fn(impl: Optional[_peers_plasticity.UpdateImpl], kind: str):
    """``(w, cols, spike, trace) -> new w`` (``None`` impl: a trivial in-place update)."""
    if impl is None:
        return lambda w, cols, s, t: w.at[0].add(t[0])
    if kind == "on-pre":
        return lambda w, cols, s, t: impl.on_pre(w, cols, s, t, W_MIN, W_MAX)
    return lambda w, cols, s, t: impl.on_post(w, cols, t, s, W_MIN, W_MAX)


def update_runner(impl: Optional[_peers_plasticity.UpdateImpl], kind: str, cols, weight: np.ndarray,
                  spikes: np.ndarray, traces: np.ndarray) -> Callable[[int], Any]:
    """``run(k)``: ``k`` updates in one jitted ``fori_loop`` carrying the weights, which
    are donated to the call, so XLA updates them in place instead of copying the nnz
    buffer per step (the cost of a training loop). The weights carry over from call
    to call (they stay within the clipping bounds)."""
    import jax
    import jax.numpy as jnp

    fn = _update_fn(impl, kind)

    def run(w, cols, spikes, traces, k):
        def body(i, w):
            j = i % spikes.shape[0]
            return fn(w, cols, spikes[j], traces[j])

        return jax.lax.fori_loop(0, k, body, w)

    run = jax.jit(run, donate_argnums=0)
    spikes, traces = jnp.asarray(spikes), jnp.asarray(traces)
    state = [jnp.array(weight)]

    def call(k: int):
        state[0] = jax.block_until_ready(run(state[0], cols, spikes, traces, jnp.int32(k)))

    return call


def yw2y_runner(impl: Optional[_peers_plasticity.UpdateImpl], cols, weight, ys: np.ndarray):
    """``run(k)``: ``k`` ``csrmv_yw2y`` calls over the inputs ``ys`` (cycled), summing one
    element of each (nnz-long) result so that every call is kept."""
    import jax
    import jax.numpy as jnp

    @jax.jit
    def run(w, cols, ys, k):
        def body(i, acc):
            y = ys[i % ys.shape[0]]
            if impl is None:
                return acc + y[0]
            return acc + impl.yw2y(y, w, cols)[i % w.shape[0]]

        return jax.lax.fori_loop(0, k, body, jnp.float32(0))

    w, ys = jnp.asarray(weight), jnp.asarray(ys)
    return lambda k: jax.block_until_ready(run(w, cols, ys, jnp.int32(k)))


def bench_plasticity(impls: list[_peers_plasticity.UpdateImpl], rng: np.random.Generator,
                     target_s: float, repeats: int) -> list[Result]:
    """Plasticity rows: on-pre / on-post CSR updates (n=10k, 1% connectivity, 1% spiking,
    bounds [0, 1], weights donated) and ``csrmv_yw2y`` on the same matrix. Every
    implementation gets the same buffers and inputs and is first checked against
    :func:`update_reference`."""
    import jax
    import jax.numpy as jnp

    n = 10_000
    csr = _peers.fixed_fanout(n, n, 100, rng)
    csr = csr.with_weights(rng.uniform(0, 1, csr.nnz))
    cols = _peers_plasticity.HostCSRColumns.from_csr(csr)
    print(f"\n== {PLASTICITY_LABEL}: nnz {csr.nnz}, weights donated, "
          f"bounds [{W_MIN}, {W_MAX}]", flush=True)
    spikes = _peers.spike_inputs(PLASTICITY_FIRING, N_INPUTS)(csr, rng)
    traces = (0.01 * rng.standard_normal((N_INPUTS, n))).astype(np.float32)
    ys = rng.uniform(0.5, 1.5, (N_INPUTS, n)).astype(np.float32)
    results = []
    for op in update_cases():
        expected = update_reference(csr, op.kind, spikes[0], traces[0], ys[0])
        if op.kind == "yw2y":
            def runner(impl):
                return yw2y_runner(impl, cols, csr.data, ys)
        else:
            def runner(impl, op=op):
                return update_runner(impl, op.kind, cols, csr.data, spikes, traces)
        loop_s, _ = _timing.time_loop(runner(None), target_s=target_s, repeats=repeats)
        results.append(Result(PLASTICITY_LABEL, op.label, "loop", loop_s, kind=op.kind))
        line = [f"  {op.label:<28} loop {fmt_time(loop_s)}"]
        for impl in impls:
            try:
                if op.kind == "yw2y":
                    got = jax.jit(impl.yw2y)(jnp.asarray(ys[0]), jnp.asarray(csr.data), cols)
                else:
                    got = jax.jit(_update_fn(impl, op.kind))(
                        jnp.asarray(csr.data), cols, jnp.asarray(spikes[0]),
                        jnp.asarray(traces[0]))
                err = float(np.abs(np.asarray(got, np.float64) - expected).max())
                if err > 1e-5:
                    raise AssertionError(f"wrong result: max abs error {err:.2e}")
                sec, iters = _timing.time_loop(runner(impl), target_s=target_s,
                                              repeats=repeats)
                results.append(Result(PLASTICITY_LABEL, op.label, impl.name, sec, iters,
                                      kind=op.kind))
                line.append(f"{impl.short} {fmt_time(sec)}")
            except Exception as exc:
                msg = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                print(f"  [fail] {impl.name} on {op.label}: {msg}")
                results.append(Result(PLASTICITY_LABEL, op.label, impl.name, None,
                                      error=msg, kind=op.kind))
        print(" | ".join(line), flush=True)
    return results



def print_plasticity_ratios(results: list[Result],
                            impls: list[_peers_plasticity.UpdateImpl]) -> None:
    """sparsecore / brainevent on the plasticity rows (expected: <= 0.6x for the
    on-pre and on-post updates)."""
    rows_in = [r for r in results if r.matrix == PLASTICITY_LABEL]
    ours = [i.name for i in impls if i.name.startswith("sparsecore")]
    theirs = next((i.name for i in impls if i.name.startswith("brainevent")), None)
    if not rows_in or not ours:
        return
    by = {(r.op, r.impl): r.seconds for r in rows_in}
    rows = []
    for op in dict.fromkeys(r.op for r in rows_in):
        for name in ours:
            a, b = by.get((op, name)), by.get((op, theirs))
            rows.append([op, name, fmt_time(a), fmt_time(b),
                         f"{a / b:.2f}x" if a and b else "-"])
    print(f"\nPlasticity ({PLASTICITY_LABEL}, median per call; < 1: sparsecore is "
          "faster; expected: on-pre and on-post <= 0.60x brainevent)")
    print(format_table(["op", "implementation", "time", "brainevent", "ratio"], rows))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["numba", "jax"], default=None)
    ap.add_argument("--quick", action="store_true", help="shorter timings")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    target_s, repeats = (0.02, 3) if args.quick else (0.05, 5)
    print(f"machine: {_timing.describe_machine()}")
    impls = _peers_plasticity.plasticity_implementations((args.backend,))
    results = bench_plasticity(impls, np.random.default_rng(args.seed), target_s, repeats)
    print_plasticity_ratios(results, impls)


if __name__ == "__main__":
    main()
