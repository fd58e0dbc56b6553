"""PNGs of the event products, one per family: time vs firing fraction, time vs n.

``python bench/_table.py --plot`` (or ``python bench/_table_plots.py``) writes
``bench/out/events_csr.png`` and ``bench/out/events_fixed.png``: on the left the
time of each implementation against the firing fraction (n=10^4, 100 per row),
on the right against n (10^3 ... 10^6, ``--conn`` per row, 1% firing).  Each
point is an interleaved median (see :func:`_table.interleaved`).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
import _peers  # noqa: E402
import _table  # noqa: E402

FRACTIONS = (0.001, 0.003, 0.01, 0.03, 0.1)
SIZES = (1_000, 10_000, 100_000, 1_000_000)


def family_entries(family: str, host) -> list[dict]:
    """The event products of one family on ``host``: one ``name -> (fn, operand, host)``
    dict per product (``W @ s``, ``s @ W`` of the stored matrix), sparsecore's first.

    Each dict is one interleaved run whose entries are checked against its first
    (:func:`_table.same_product`).  The FixedPre matrix holds the FixedPost matrix's
    buffers as its transpose, so ``s @ W`` on it is ``W @ s`` on the FixedPost one.
    """
    sc, jnp = _table._sc()
    if family == "csr":
        W = _table._csr(host)
        right = {"sc CSR W@s": (lambda A, x: A @ x, W, False),
                 "sc CSR W@s +index": (lambda A, x: A @ x, W.with_column_index(), False)}
        left = {"sc CSR s@W": (lambda A, x: x @ A, W, False)}
        be = _table._peer(_peers._brainevent_impl)
        if be is not None:
            B = be.build(host)
            right["be CSR W@s"] = (be.right_events, B, False)
            left["be CSR s@W"] = (be.events, B, False)
        left["scipy rows s@W"] = (_peers._scipy_rows_impl().events, host.to_scipy(), True)
        return [right, left]
    n, k = host.shape[0], host.indptr[1] - host.indptr[0]
    post = sc.FixedPostNumConn((jnp.asarray(host.data.reshape(n, k)),
                                jnp.asarray(host.indices.reshape(n, k))), shape=host.shape)
    right = {"sc FixedPost W@s": (lambda A, x: A @ x, post, False),
             "sc FixedPost W@s +index": (lambda A, x: A @ x, post.with_column_index(), False),
             "sc FixedPre s@W +index": (lambda A, x: x @ A, post.T.with_column_index(), False)}
    left = {"sc FixedPost s@W": (lambda A, x: x @ A, post, False)}
    for pre in (False, True):
        be = _table._peer(lambda: _peers._brainevent_fixed_impl(pre))
        if be is not None:  # right_events: W @ s on FixedPost, s @ W on FixedPre
            right[f"be {'FixedPre s@W' if pre else 'FixedPost W@s'}"] = (
                be.right_events, be.build(host), False)
    return [right, left]


def sweep(family: str, *, conn: int, target_s: float, rounds: int, sizes=SIZES):
    rng = np.random.default_rng(0)
    by_fraction, by_size = {}, {}
    host = _peers.fixed_fanout(10_000, 10_000, 100, rng)
    products = family_entries(family, host)
    for f in FRACTIONS:
        spikes = _table._spikes(10_000, f, rng)
        for entries in products:
            for name, t in _table.interleaved(entries, spikes, target_s=target_s,
                                              rounds=rounds).items():
                by_fraction.setdefault(name, []).append((f, t))
    for n in sizes:
        host = _peers.fixed_fanout(n, n, conn, rng)
        spikes = _table._spikes(n, 0.01, rng)
        for entries in family_entries(family, host):
            for name, t in _table.interleaved(entries, spikes, target_s=target_s,
                                              rounds=rounds).items():
                by_size.setdefault(name, []).append((n, t))
        print(f"  {family} n={n} done", flush=True)
    return by_fraction, by_size


def plot(family: str, by_fraction, by_size, path: str, conn: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, data, xlabel, title in (
            (axes[0], by_fraction, "firing fraction", "n=10^4, 100 per row"),
            (axes[1], by_size, "n", f"{conn} per row, 1% firing")):
        for name, points in data.items():
            xs, ts = zip(*points)
            ax.loglog(xs, np.array(ts) * 1e3, "o-" if name.startswith("sc") else "s--",
                      label=name)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("ms per product")
        ax.set_title(f"{family} event products: {title}")
        ax.grid(True, which="both", alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


def main(*, target_s: float = 0.02, rounds: int = 3, conn: int = 100, sizes=SIZES) -> None:
    for family in ("csr", "fixed"):
        by_fraction, by_size = sweep(family, conn=conn, target_s=target_s, rounds=rounds,
                                     sizes=sizes)
        plot(family, by_fraction, by_size, os.path.join(_HERE, "out", f"events_{family}.png"),
             conn)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conn", type=int, default=100, help="entries per row, size sweep")
    parser.add_argument("--max-n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.02)
    a = parser.parse_args()
    main(target_s=a.target, rounds=a.rounds, conn=a.conn,
         sizes=tuple(n for n in SIZES if n <= a.max_n))
