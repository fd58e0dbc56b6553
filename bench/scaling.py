"""Strong scaling of sparsecore's main job over host CPU devices (``W.shard``).

Runs ``bench/ei_network.py`` once per (network, device count) in a fresh process
(JAX fixes its number of CPU devices at start), and reports, per run: time per
step, speed-up over one device, total spikes (identical spike trains are the
correctness check) and the bytes of ``W_E`` the first device holds against the
unsharded matrix.  Networks:

* ``coba``: the COBA network with stored CSR connectivity at ``--scale``
  (default 10: 40 000 neurons, 3.2 million synapses);
* ``jitc``: the same network with generated connectivity (``JITCHomoR``,
  nothing stored) at ``--jitc-scale`` (default 250: 10^6 neurons) and
  ``--jitc-fan-out`` synapses per neuron (default 100: 10^8 synapses).

Device counts beyond the machine's cores (``--devices 1 2 4 8``) show the
communication pattern, not a speed-up.  Writes a Markdown table and a PNG plot.

Run (from the repository root)::

    python bench/scaling.py                                # both networks, 1 and 2 devices
    python bench/scaling.py --networks coba --scale 2 --duration 50 --devices 1 2 4
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))

_FIELDS = {"us_per_step": r"time per step\s*:\s*([\d.]+) us",
           "spikes": r"total spikes\s*:\s*(\d+)",
           "bytes_first": r"W_E bytes\s*:\s*(\d+) on the first device",
           "bytes_whole": r"W_E bytes\s*:\s*\d+ on the first device, (\d+) in all",
           "machine": r"machine: (.*)"}


def run_one(network: str, devices: int, args) -> dict:
    """One run of ``ei_network.py``; the figures it printed."""
    cmd = [sys.executable, os.path.join(_HERE, "ei_network.py"), "--duration",
           str(args.duration), "--devices", str(devices), "--repeats", str(args.repeats)]
    if network == "coba":
        cmd += ["--scale", str(args.scale)]
    else:
        cmd += ["--conn", "jitc", "--scale", str(args.jitc_scale), "--fan-out",
                str(args.jitc_fan_out)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    found = {"network": network, "devices": devices}
    for key, pattern in _FIELDS.items():
        match = re.search(pattern, out.stdout)
        found[key] = match.group(1) if match else None
    found["us_per_step"] = float(found["us_per_step"])
    found["spikes"] = int(found["spikes"])
    found["bytes_first"], found["bytes_whole"] = int(found["bytes_first"]), \
        int(found["bytes_whole"])
    return found


def table(rows: list[dict]) -> str:
    lines = ["| network | devices | us/step | time vs 1 device | spikes | same spikes | "
             "W_E bytes on device 0 | vs unsharded |",
             "|---|---|---|---|---|---|---|---|"]
    base = {r["network"]: r for r in rows if r["devices"] == 1}
    for r in rows:
        ref = base.get(r["network"])
        ratio = f"{r['us_per_step'] / ref['us_per_step']:.2f}x" if ref else "-"
        same = ("yes" if r["spikes"] == ref["spikes"] else "NO") if ref else "-"
        lines.append(f"| {r['network']} | {r['devices']} | {r['us_per_step']:.1f} | {ratio} | "
                     f"{r['spikes']} | {same} | {r['bytes_first']} | "
                     f"{r['bytes_first'] / max(r['bytes_whole'], 1):.3f} |")
    return "\n".join(lines)


def plot(rows: list[dict], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(9, 3.5))
    for network in dict.fromkeys(r["network"] for r in rows):
        mine = [r for r in rows if r["network"] == network]
        devices = [r["devices"] for r in mine]
        base = next((r["us_per_step"] for r in mine if r["devices"] == 1), None)
        if base:
            ax_t.plot(devices, [base / r["us_per_step"] for r in mine], "o-", label=network)
        ax_m.plot(devices, [r["bytes_first"] / max(r["bytes_whole"], 1) for r in mine], "o-",
                  label=network)
    top = max(r["devices"] for r in rows)
    ax_t.plot([1, top], [1, top], ":", color="gray", label="ideal")
    ax_t.set(xlabel="devices", ylabel="speed-up over 1 device", title="time per step")
    ax_m.set(xlabel="devices", ylabel="fraction of W_E on device 0", title="memory",
             ylim=(0, 1.05))
    for ax in (ax_t, ax_m):
        ax.legend()
        ax.set_xticks(sorted({r["devices"] for r in rows}))
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--networks", nargs="+", choices=["coba", "jitc"], default=["coba", "jitc"])
    ap.add_argument("--devices", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--scale", type=float, default=10.0)
    ap.add_argument("--jitc-scale", type=float, default=250.0)
    ap.add_argument("--jitc-fan-out", type=int, default=100)
    ap.add_argument("--duration", type=float, default=100.0, help="simulated ms per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    ap.add_argument("--out", default=os.path.join(_HERE, "out"),
                    help="folder for scaling.md and scaling.png")
    args = ap.parse_args(argv)

    rows = []
    for network in args.networks:
        for devices in args.devices:
            print(f"{network} on {devices} device(s) ...", flush=True)
            rows.append(run_one(network, devices, args))
            print(f"  {rows[-1]['us_per_step']:.1f} us/step, {rows[-1]['spikes']} spikes",
                  flush=True)
    text = table(rows)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = (f"machine: {rows[0]['machine']}\nload average at the end: {load:.2f}; "
              f"{args.duration:g} ms simulated per run\n\n")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "scaling.md"), "w") as f:
        f.write(header + text + "\n")
    plot(rows, os.path.join(args.out, "scaling.png"))
    print()
    print(header + text)
    print(f"\nwrote {os.path.join(args.out, 'scaling.md')} and scaling.png")


if __name__ == "__main__":
    main()
