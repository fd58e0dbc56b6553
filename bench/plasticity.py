"""Plasticity rows of ``bench/kernels.py`` alone: spike-triggered CSR weight updates
(on-pre / on-post, n=10k, 1% connectivity, 1% spiking, weights donated) and
``csrmv_yw2y``, sparsecore against brainevent.

The implementation lives in ``kernels.bench_plasticity`` (adapters in
``_peers.plasticity_implementations``); this script only runs that section.

    python bench/plasticity.py [--backend numba|jax] [--quick]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402
import kernels  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["numba", "jax"], default=None)
    ap.add_argument("--quick", action="store_true", help="shorter timings")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    target_s, repeats = (0.02, 3) if args.quick else (0.05, 5)
    print(f"machine: {_peers.describe_machine()}")
    impls = _peers.plasticity_implementations((args.backend,))
    results = kernels.bench_plasticity(impls, np.random.default_rng(args.seed),
                                       target_s, repeats)
    kernels.print_plasticity_ratios(results, impls)


if __name__ == "__main__":
    main()
