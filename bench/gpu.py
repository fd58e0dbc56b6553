"""GPU benchmark: every sparsecore product on the Pallas backend against its peers.

One prepared run (under 5 minutes on one GPU) that times

* the products ``W @ v`` (float) and ``spikes @ W`` (bool events, 2% active) of
  CSR, FixedPostNumConn and generated (JITCHomoR) matrices with
  ``backend="pallas"``, against jax's BCSR (cuSPARSE on a GPU), dense ``jnp``
  and brainevent (where it is installed), on a 4000 x 4000 and a 40000 x 40000
  matrix with 80 entries per row (2% firing) and a 100000 x 100000 matrix with 100
  per row (1% firing);
* the COBA network of ``bench/ei_network.py`` at scales 1 and 10 (100 ms,
  1000 steps) through the same implementations,

prints one table per part and writes a PNG of the times (``--png``).

Run (from the repository root, on a machine with a GPU)::

    python bench/gpu.py                     # the full run; gpu.png next to this file
    python bench/gpu.py --smoke             # tiny shapes in Pallas interpret mode (CPU)

On a host without a GPU the full run exits with a message and status 0; ``--smoke``
runs the same code on tiny shapes with the Pallas kernels in interpret mode (what
the test suite calls).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _peers
import _timing
import _peers_jitc
import ei_network

# product cases: (n, entries per row, firing fraction of the event operand)
FULL = {"cases": ((4000, 80, 0.02), (40000, 80, 0.02), (100000, 100, 0.01)),
        "scales": (1.0, 10.0), "duration": 100.0, "network_repeats": 2}
SMOKE = {"cases": ((48, 4, 0.02),), "fan_out": 4, "scales": (0.01,), "duration": 1.0,
         "network_repeats": 1}


def gpu_available() -> bool:
    import jax
    return jax.default_backend() == "gpu"


def _product_impls(csr: _peers.HostCSR, smoke: bool, dense_max_bytes: float):
    """sparsecore (pallas) first for each format, then the peers of that format."""
    skip = ("jax.sparse BCOO",) if not smoke else ("jax.sparse BCOO", "brainevent", "dense")
    impls = [("csr", i) for i in _peers.implementations(
        ("pallas",), include_host=False, dense_max_bytes=dense_max_bytes, skip=skip)]
    impls += [("fixed", i) for i in _peers.fixed_num_implementations(
        ("pallas",), include_pre=False, skip=skip)]
    params = _peers_jitc.JITCParams(0.6, csr.nnz / (csr.shape[0] * csr.shape[1]), 7)
    impls += [("jitc", i) for i in _peers_jitc.jitc_implementations(
        params, ("pallas",), corders=(True,), skip=skip)]
    return impls


def _looped(fn, event: bool):
    """``run(op, x, k)``: ``k`` products in one jitted ``fori_loop``, summed.

    Each iteration's operand depends on the running sum (a no-op change that XLA
    cannot prove to be one), so the product is not hoisted out of the loop; the time
    per iteration is then the kernel's, without the per-call dispatch of a host loop.
    """
    import jax
    import jax.numpy as jnp

    @jax.jit
    def run(op, x, k):
        def body(_, acc):
            xi = (x ^ (acc[0] == jnp.inf)) if event else x + 1e-30 * acc[0]
            return acc + fn(op, xi)
        out0 = jax.eval_shape(fn, op, x)
        return jax.lax.fori_loop(0, k, body, jnp.zeros(out0.shape, out0.dtype))
    return run


def _relative_error(out, ref) -> float:
    out = np.asarray(out, np.float64)
    return float(np.linalg.norm(out - ref) / max(np.linalg.norm(ref), 1e-30))


def time_products(cases, smoke: bool, dense_max_bytes: float) -> list[tuple]:
    """Rows ``(format, implementation, n, product, ms, rel. error)`` of every product.

    ``cases`` holds ``(n, entries per row, firing fraction)`` triples.  The time is
    per product inside a jitted loop (:func:`_looped`); the error is against scipy in
    float64 for the stored formats (the generated matrices have no stored oracle).
    """
    import jax
    import jax.numpy as jnp
    import scipy.sparse

    rows = []
    rng = np.random.default_rng(0)
    for n, fan_out, rate in cases:
        csr = _peers.fixed_fanout(n, n, fan_out, rng)
        v = rng.standard_normal(n).astype(np.float32)
        s = rng.random(n) < rate
        host = scipy.sparse.csr_matrix((csr.full_data().astype(np.float64), csr.indices,
                                        csr.indptr), shape=csr.shape)
        oracle = {"W @ v": host @ v.astype(np.float64), "spikes @ W": host.T @ s.astype(float)}
        for fmt, impl in _product_impls(csr, smoke, dense_max_bytes):
            if not impl.fits(csr):
                continue
            try:
                op = impl.build(csr)
            except Exception as exc:  # noqa: BLE001 -- a peer that cannot build this matrix
                print(f"[skip] {impl.name} n={n}: {type(exc).__name__}: {exc}")
                continue
            for label, fn, x in (("W @ v", impl.matvec, jnp.asarray(v)),
                                 ("spikes @ W", impl.events, jnp.asarray(s))):
                if fn is None:
                    continue
                run = _looped(fn, event=label != "W @ v")
                try:
                    err = (_relative_error(jax.jit(fn)(op, x), oracle[label])
                           if fmt != "jitc" else float("nan"))
                    sec, _ = _timing.time_loop(lambda k, run=run, op=op, x=x: (
                        jax.block_until_ready(run(op, x, k))), target_s=0.02 if smoke else 0.1,
                        repeats=3 if smoke else 5)
                except Exception as exc:  # noqa: BLE001 -- a peer failing is a table row less
                    print(f"[skip] {impl.name} {label} n={n}: {type(exc).__name__}: {exc}")
                    continue
                rows.append((fmt, impl.name, f"{n}x{fan_out}", label, 1e3 * sec, err))
                print(f"  {fmt:5} {impl.name:34} {n}x{fan_out} {label:10} {1e3 * sec:.4g} ms"
                      f"  rel. error {err:.1e}", flush=True)
    return rows


def time_network(scales, duration: float, repeats: int, smoke: bool,
                 dense_max_bytes: float) -> list[tuple]:
    """Rows ``(implementation, scale, neurons, ms per step, spikes)`` of the COBA runs."""
    p = ei_network.COBAParams()
    if smoke:
        p = dataclasses.replace(p, fan_out=SMOKE["fan_out"])
    n_steps = round(duration / p.dt)
    skip = ("jax.sparse BCOO",) if not smoke else ("jax.sparse BCOO", "brainevent", "dense")
    rows = []
    for scale in scales:
        net = ei_network.build_network(p, scale, 0, "csr", homogeneous=False)
        for impl in _peers.implementations(("pallas",), include_host=False,
                                           dense_max_bytes=dense_max_bytes, skip=skip):
            if not (impl.fits(net.w_exc) and impl.fits(net.w_inh)) or impl.events is None:
                continue
            try:
                res = ei_network.run_impl(p, net, impl, n_steps, repeats)
            except Exception as exc:  # noqa: BLE001 -- a peer failing is a table row less
                print(f"[skip] {impl.name} scale {scale}: {type(exc).__name__}: {exc}")
                continue
            rows.append((impl.name, scale, net.n, 1e3 * res.run_s / n_steps, res.total_spikes))
    return rows


def write_png(path: str, products: list[tuple], network: list[tuple]) -> str | None:
    """Bar charts of the product and network times (log scale); None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[skip] PNG: matplotlib is not installed")
        return None
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    labels = [f"{fmt} {name} n={n} {op}" for fmt, name, n, op, *_ in products]
    axes[0].barh(range(len(products)), [r[4] for r in products])
    axes[0].set_yticks(range(len(products)), labels, fontsize=6)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("ms per product")
    axes[0].invert_yaxis()
    labels = [f"{name} scale {scale:g}" for name, scale, *_ in network]
    axes[1].barh(range(len(network)), [r[3] for r in network])
    axes[1].set_yticks(range(len(network)), labels, fontsize=8)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("ms per simulation step (COBA)")
    axes[1].invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true",
                    help="tiny shapes, Pallas in interpret mode: runs without a GPU")
    ap.add_argument("--png", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "gpu.png"), help="where to write the PNG")
    ap.add_argument("--skip-network", action="store_true", help="time the products only")
    ap.add_argument("--dense-max-mb", type=float, default=1024.0,
                    help="skip dense jnp above this matrix size (MB)")
    args = ap.parse_args(argv)
    if not args.smoke and not gpu_available():
        print("bench/gpu.py: no GPU found (jax.default_backend() is not 'gpu'); nothing to "
              "time. Install the CUDA build (pip install 'sparsecore[cuda12]') on a GPU "
              "machine, or run with --smoke for the interpret-mode check.")
        return 0
    cfg = SMOKE if args.smoke else FULL
    dense_max = args.dense_max_mb * 2**20
    t0 = time.perf_counter()
    products = time_products(cfg["cases"], args.smoke, dense_max)
    print(_timing.format_table(("format", "implementation", "n", "product", "ms",
                                "rel. error"),
                               [(f, i, n, op, f"{ms:.4g}", f"{err:.1e}")
                                for f, i, n, op, ms, err in products]))
    network = [] if args.skip_network else time_network(
        cfg["scales"], cfg["duration"], cfg["network_repeats"], args.smoke, dense_max)
    print()
    print(_timing.format_table(("implementation", "scale", "neurons", "ms/step", "spikes"),
                              [(i, f"{s:g}", n, f"{ms:.4g}", sp)
                               for i, s, n, ms, sp in network]))
    written = write_png(args.png, products, network)
    print(f"\n{len(products)} product timings, {len(network)} network runs in "
          f"{time.perf_counter() - t0:.1f} s" + (f"; wrote {written}" if written else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
