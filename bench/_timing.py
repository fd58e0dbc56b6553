"""The one timer of every benchmark script, and the plain-text tables they print.

* :func:`time_repeated` / :func:`time_loop` / :func:`time_iters` -- wall times with
  warm-up, ``block_until_ready`` and the median (or min) of repeats;
* :func:`calibrated_iters` -- how many repetitions of a looped call fill a target time;
* :func:`fmt_time` and :func:`format_table` -- human-readable times and aligned tables;
* :class:`Result` -- one timed row, what the scripts collect and print;
* :func:`describe_machine` -- the one line every script prints first (CPUs, jax and its
  devices, numba, load average, with a warning when the machine is busy).
"""

from __future__ import annotations

import math
import statistics
import time
import dataclasses
from typing import Any, Callable, Optional, Sequence


@dataclasses.dataclass
class Result:
    """One timed row: ``seconds`` per operation of ``impl`` on ``op`` of ``matrix``."""

    matrix: str
    op: str
    impl: str
    seconds: Optional[float]  # per operation; None: skipped / failed
    iters: int = 0
    error: str = ""
    x: Optional[float] = None
    kind: str = ""


def block(x):
    """Wait for every JAX array in ``x`` (NumPy values pass through)."""
    import jax

    return jax.block_until_ready(x)


def _wall_times(fn: Callable[[], Any], repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def time_repeated(fn: Callable[[], Any], *, repeats: int = 5, warmup: int = 1,
                  reduce: Callable[[list], float] = statistics.median) -> float:
    """Median (or ``reduce``, e.g. ``min``) wall time (s) of ``fn()``, which must block
    until its result is ready."""
    return reduce(_wall_times(fn, repeats, warmup))


def time_iters(call: Callable[[int], Any], iters: int, *, repeats: int = 5,
               warmup_iters: int = 2) -> tuple[float, float]:
    """(min, median) seconds per iteration of ``call(iters)`` over ``repeats`` calls,
    after one ``call(warmup_iters)`` (compile + warm-up); ``call`` as for
    :func:`time_loop`, but with a fixed iteration count."""
    call(warmup_iters)
    times = [t / iters for t in _wall_times(lambda: call(iters), repeats, 0)]
    return min(times), statistics.median(times)


def calibrated_iters(call: Callable[[int], Any], target_s: float,
                     max_iters: int = 100_000) -> int:
    """Iterations ``n`` for which one ``call(n)`` takes about ``target_s`` (at most ``max_iters``).

    ``n`` grows tenfold from 1 until a call takes a tenth of ``target_s``, and
    is then scaled.  Scaling from ``call(1)`` alone picks too few: one
    iteration's time is mostly the dispatch of the jitted call (0.4 ms against
    20 us for a 1%-event product at n = 10^4 on a 2-core machine), and a timed
    call of too few products is dominated by the cold caches it starts with.
    ``call`` must already be compiled.
    """
    n = 1
    while True:
        t0 = time.perf_counter()
        call(n)
        elapsed = time.perf_counter() - t0
        if elapsed >= target_s / 10 or n >= max_iters:
            return int(min(max_iters, max(1, math.ceil(n * target_s / max(elapsed, 1e-9)))))
        n = min(max_iters, n * 10)


def time_loop(call: Callable[[int], Any], *, target_s: float = 0.05, repeats: int = 5,
              max_iters: int = 100_000) -> tuple[float, int]:
    """Time one operation repeated inside a loop; returns (seconds per iteration, iters).

    ``call(n)`` runs the operation ``n`` times and blocks until done (for jitted code: a
    ``fori_loop`` with a *traced* trip count, so changing ``n`` does not recompile).
    The first call (``n=1``) compiles and warms up; ``n`` is then chosen so that one
    timed call takes about ``target_s`` (:func:`calibrated_iters`), and the median over
    ``repeats`` calls is divided by ``n``. This amortises the per-dispatch cost of a
    jitted call.
    """
    call(1)  # compile + warm-up
    n = calibrated_iters(call, target_s, max_iters)
    t = time_repeated(lambda: call(n), repeats=repeats, warmup=1 if n > 1 else 0)
    return t / n, n


def fmt_time(seconds: Optional[float]) -> str:
    """Human-readable time: ns / us / ms / s."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-align the first column, right-align the others."""
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in r]
                                           for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])


def describe_machine() -> str:
    """One line: CPU count, jax version and devices, numba threads."""
    import os

    import jax

    try:
        import numba

        nb = f"numba {numba.__version__} (NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS})"
    except ImportError:
        nb = "numba missing"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    line = (f"{os.cpu_count()} CPUs, jax {jax.__version__} on "
            f"{', '.join(str(d) for d in jax.devices())}, {nb}, load avg {load:.2f}")
    if load > 0.5 * (os.cpu_count() or 1):
        line += "\nWARNING: the machine is busy with other processes; timings will be noisy"
    return line
