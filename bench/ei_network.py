"""COBA excitatory/inhibitory spiking network -- sparsecore's main job.

The benchmark network of Vogels & Abbott (2005) as specified in Brette et al. (2007),
in the dimensionless form of the brainpy / brainevent COBA examples:

* ``4000 * scale`` leaky integrate-and-fire neurons, 80% excitatory, 20% inhibitory;
* each neuron projects to 80 distinct random targets (fixed fan-out, no self
  connection), built once with NumPy from ``--seed`` as CSR (row = presynaptic
  neuron): ``W_E`` is ``(N_E, N)``, ``W_I`` is ``(N_I, N)``;
* ``tau dV/dt = V_rest - V + g_e (E_e - V) + g_i (E_i - V) + I`` with tau 20 ms,
  V_rest -60 mV, V_th -50 mV, V_reset -60 mV, refractory 5 ms, I = 20 mV;
* conductances decay with tau 5 ms (E) / 10 ms (I), jump by 0.6 / 6.7 per presynaptic
  spike, reversal potentials 0 mV / -80 mV;
* forward Euler, dt = 0.1 ms; V starts uniform in [V_rest, V_th).

Each step the synaptic input is ``spikes_E @ W_E`` and ``spikes_I @ W_I`` with bool
spike vectors (event-driven: only the rows of neurons that spiked are read), and the
whole simulation is one jitted ``jax.lax.scan``.

Run (from the repository root)::

    python bench/ei_network.py                      # scale 1, 1000 ms, sparsecore
    python bench/ei_network.py --backend jax        # the pure-JAX reference kernels
    python bench/ei_network.py --compare            # same network through the peers
    python bench/ei_network.py --scale 4 --duration 200 --compare --skip dense
    python bench/ei_network.py --conn fixed --compare   # FixedPostNumConn, vs peers
    python bench/ei_network.py --conn jitc --compare    # generated (JITCHomoR), vs peers
    python bench/ei_network.py --devices 2 --scale 10   # one network over 2 CPU cores

With ``--devices N`` the script asks JAX for N host CPU devices (one per core),
shards the connectivity by columns over them (``W.shard(NamedSharding(mesh,
P(None, "d")))``: each device owns the synapses onto its block of target neurons)
and runs the same jitted simulation; the spike vector is gathered each step and
the synaptic input comes back split by target neuron.  ``--processes P`` runs
the network over P processes on this host (``jax.distributed`` over loopback,
N devices each): the script starts the other processes itself and every process
prints the same spike count.

With ``--conn jitc`` the connectivity is generated (``JITCHomoR``, prob = 80 / N, the
same weights): a different random graph from the CSR one, so the spike count differs.
The CSR rows run the same generated matrices stored; brainevent's generated product
draws its own matrix of the same density (its spike trains differ).

``--compare`` runs the *same* connectivity and initial state through every available
implementation (sparsecore with both backends, brainevent, jax.experimental.sparse
BCSR/BCOO, dense jnp where the dense matrices are small) and prints time per step,
firing rate and total spike count per implementation, with ratios to sparsecore.
Event kernels that add identical weights in any order give bit-identical spike
trains; implementations that sum in blocks (dense, BCOO) may differ by float roundoff,
which the chaotic network then amplifies a little -- the table prints the counts.

To add a connectivity format (``--conn``), add a builder to ``CONNECTIVITY``; to add a
peer, add an adapter in ``_peers.implementations``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from typing import Callable, Optional

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
# An installed sparsecore wins; otherwise use the checkout this script lives in.
sys.path.append(os.path.dirname(_HERE))
import _peers  # noqa: E402
import _timing  # noqa: E402
import _peers_jitc  # noqa: E402
from _peers import HostCSR, Impl, fixed_fanout  # noqa: E402
from _timing import format_table  # noqa: E402


# --------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class COBAParams:
    """Parameters of the COBA network (mV, ms; conductances relative to the leak)."""

    n_per_scale: int = 4000
    exc_fraction: float = 0.8
    fan_out: int = 80
    dt: float = 0.1
    v_rest: float = -60.0
    v_th: float = -50.0
    v_reset: float = -60.0
    tau_m: float = 20.0
    t_ref: float = 5.0
    i_ext: float = 20.0
    tau_e: float = 5.0
    tau_i: float = 10.0
    w_e: float = 0.6
    w_i: float = 6.7
    e_e: float = 0.0
    e_i: float = -80.0


@dataclasses.dataclass
class Network:
    """The network's connectivity and initial state (plain NumPy, shared by all impls)."""

    n: int
    n_exc: int
    w_exc: HostCSR  # (n_exc, n): rows = excitatory presynaptic neurons
    w_inh: HostCSR  # (n_inh, n)
    v0: np.ndarray  # (n,) float32

    @property
    def n_inh(self) -> int:
        return self.n - self.n_exc

    @property
    def n_synapses(self) -> int:
        return self.w_exc.nnz + self.w_inh.nnz


def csr_connectivity(p: COBAParams, n: int, n_exc: int, rng: np.random.Generator,
                     homogeneous: bool) -> tuple[HostCSR, HostCSR]:
    """Fixed fan-out CSR: every neuron gets ``p.fan_out`` distinct targets (not itself).

    With ``homogeneous`` the weights are stored as one shared value (shape ``(1,)``);
    otherwise as one float32 per synapse (all equal to the same value).
    """
    full = fixed_fanout(n, n, p.fan_out, rng, weight=1.0, exclude_self=True)
    k = p.fan_out

    def rows(lo, hi, w):
        indices = full.indices[lo * k:hi * k]
        indptr = (full.indptr[lo:hi + 1] - full.indptr[lo]).astype(np.int32)
        data = (np.full(1, w, np.float32) if homogeneous
                else np.full(indices.shape[0], w, np.float32))
        return HostCSR(data, indices, indptr, (hi - lo, n))

    return rows(0, n_exc, p.w_e), rows(n_exc, n, p.w_i)


def jitc_connectivity(p: COBAParams, n: int, n_exc: int, rng: np.random.Generator,
                      homogeneous: bool) -> tuple[HostCSR, HostCSR]:
    """Generated connectivity: sparsecore's ``JITCHomoR`` with ``prob = fan_out / n``
    (each pair connected independently, self connections possible, so the fan-out is
    Binomial(n, prob) with mean ``fan_out``), one seed per projection drawn from ``rng``.

    Returned as :class:`_peers_jitc.GeneratedCSR` (the same matrices stored): the generated
    implementations build from the parameters, the CSR peers from the arrays, so they
    all run the very same network.
    """
    prob = p.fan_out / n
    seed_e, seed_i = (int(s) for s in rng.integers(0, 2**31 - 1, size=2))
    out = []
    for lo, hi, w, seed in ((0, n_exc, p.w_e, seed_e), (n_exc, n, p.w_i, seed_i)):
        csr = _peers_jitc.jitc_csr(hi - lo, n, _peers_jitc.JITCParams(w, prob, seed))
        if homogeneous:
            csr = dataclasses.replace(csr, data=np.full(1, w, np.float32))
        out.append(csr)
    return out[0], out[1]


# --conn choices: name -> builder(params, n, n_exc, rng, homogeneous) -> (W_E, W_I).
# Other formats (fixed-number, generated JITC connectivity) plug in here; an
# implementation adapter then decides how to build its operand from the HostCSR (or
# a format-specific description).
CONNECTIVITY: dict[str, Callable[..., tuple[HostCSR, HostCSR]]] = {
    "csr": csr_connectivity,
    # The same fixed fan-out connectivity, run through FixedPostNumConn (and
    # brainevent's FixedPostNumConn with --compare); see fixed_num_impls.
    "fixed": csr_connectivity,
    # Generated connectivity (JITCHomoR, and brainevent's jitsmv with --compare, which
    # draws its own matrix of the same density); see jitc_impls.
    "jitc": jitc_connectivity,
}


def fixed_num_impls(conn: str, backends, skip=()) -> list[Impl]:
    """Implementations that build a fixed-number format for ``--conn fixed`` (first in
    the list, so sparsecore FixedPostNumConn becomes the reference); none otherwise."""
    if conn != "fixed":
        return []
    return _peers.fixed_num_implementations(backends, include_pre=False, skip=skip)


def jitc_impls(conn: str, net: "Network", backends, skip=()) -> list[Impl]:
    """Implementations of generated connectivity for ``--conn jitc`` (first in the list,
    so sparsecore JITCHomoR becomes the reference); none otherwise."""
    if conn != "jitc":
        return []
    return _peers_jitc.jitc_implementations(net.w_exc.params, backends, skip=skip)


def build_network(p: COBAParams, scale: float, seed: int, conn: str,
                  homogeneous: bool, stored: bool = True) -> Network:
    """The network; ``stored=False`` keeps generated connectivity as parameters only
    (no stored copy for the peers: the sparsecore JITC rows build from the parameters)."""
    n = int(round(p.n_per_scale * scale))
    n_exc = int(round(p.exc_fraction * n))
    rng = np.random.default_rng(seed)
    if conn == "jitc" and not stored:
        seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=2)]
        w_exc, w_inh = (
            _peers_jitc.GeneratedCSR(*dataclasses.astuple(_peers_jitc.shape_only((hi - lo, n))),
                                params=_peers_jitc.JITCParams(w, p.fan_out / n, seed))
            for lo, hi, w, seed in ((0, n_exc, p.w_e, seeds[0]), (n_exc, n, p.w_i, seeds[1])))
    else:
        w_exc, w_inh = CONNECTIVITY[conn](p, n, n_exc, rng, homogeneous)
    v0 = rng.uniform(p.v_rest, p.v_th, size=n).astype(np.float32)
    return Network(n, n_exc, w_exc, w_inh, v0)


def make_simulation(p: COBAParams, net: Network, impl: Impl, n_steps: int):
    """A jittable ``simulate(op_exc, op_inh, v0) -> (spike counts per neuron,
    spikes per step)`` that runs ``n_steps`` steps in one ``lax.scan``, with the
    synaptic input computed by ``impl.events`` (``spikes @ W``)."""
    import jax
    import jax.numpy as jnp

    n, n_exc = net.n, net.n_exc
    decay_e = np.float32(math.exp(-p.dt / p.tau_e))
    decay_i = np.float32(math.exp(-p.dt / p.tau_i))
    ref_steps = int(round(p.t_ref / p.dt))
    f32 = jnp.float32
    dt_tau = f32(p.dt / p.tau_m)

    # sharded runs keep each neuron's state on the device that owns its synapses
    # (split) and gather the spike vector once per step (N bools), then slice it
    gather = getattr(impl, "gather", None) or (lambda s: s)
    split = getattr(impl, "split", None) or (lambda x: x)

    def simulate(op_exc, op_inh, v0):
        def step(state, _):
            v, g_e, g_i, ref, spikes, count = state
            spikes = gather(spikes)
            # Synaptic input from last step's spikes: event-driven spikes @ W.
            g_e = g_e * decay_e + impl.events(op_exc, spikes[:n_exc])
            g_i = g_i * decay_i + impl.events(op_inh, spikes[n_exc:])
            dv = (p.v_rest - v) + g_e * (p.e_e - v) + g_i * (p.e_i - v) + p.i_ext
            refractory = ref > 0
            v = jnp.where(refractory, v, v + dt_tau * dv)
            spikes = (v >= p.v_th) & ~refractory
            v = jnp.where(spikes, f32(p.v_reset), v)
            ref = jnp.where(spikes, ref_steps, jnp.maximum(ref - 1, 0))
            count = count + spikes
            state = tuple(map(split, (v, g_e, g_i, ref, spikes, count)))
            return state, spikes.sum(dtype=jnp.int32)

        zeros = jnp.zeros(n, f32)
        state0 = tuple(map(split, (v0, zeros, zeros, jnp.zeros(n, jnp.int32),
                                   jnp.zeros(n, bool), jnp.zeros(n, jnp.int32))))
        state, per_step = jax.lax.scan(step, state0, None, length=n_steps)
        return state[-1], per_step

    return simulate


# --------------------------------------------------------------------------------------
# Running and timing
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class RunResult:
    impl: str
    compile_s: float  # trace + lower + XLA compile
    first_run_s: float  # first execution (includes lazily compiled kernels, if any)
    run_s: float  # median steady-state wall time of one whole simulation
    counts: np.ndarray  # spikes per neuron
    per_step: np.ndarray  # spikes per step

    @property
    def total_spikes(self) -> int:
        return int(self.counts.sum())


def run_impl(p: COBAParams, net: Network, impl: Impl, n_steps: int,
             repeats: int) -> RunResult:
    """Build the operands, compile, run once, then time ``repeats`` more runs."""
    import jax
    import jax.numpy as jnp

    ops = (impl.build(net.w_exc), impl.build(net.w_inh))
    v0 = impl.place(net.v0) if getattr(impl, "place", None) else jnp.asarray(net.v0)
    simulate = make_simulation(p, net, impl, n_steps)
    # The operands are passed as flat array leaves (AOT lowering of some peers' pytrees
    # fails on abstract leaves); they are re-assembled inside the traced function.
    leaves, treedef = jax.tree_util.tree_flatten(ops)
    sim = jax.jit(lambda leaves, v0: simulate(
        *jax.tree_util.tree_unflatten(treedef, leaves), v0))

    t0 = time.perf_counter()
    compiled = sim.lower(leaves, v0).compile()
    compile_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    counts, per_step = jax.block_until_ready(compiled(leaves, v0))
    first_run_s = time.perf_counter() - t0

    # A fast implementation is timed `repeats` more times; a slow one (> 2 s) once
    # more; a very slow one (> 10 s, e.g. dense or BCSR peers) keeps its first run
    # (already compiled, so it is a steady-state run for XLA-only implementations).
    if first_run_s > 10.0:
        run_s = first_run_s
    else:
        reps = repeats if first_run_s < 2.0 else 1
        run_s = _timing.time_repeated(
            lambda: jax.block_until_ready(compiled(leaves, v0)), repeats=reps, warmup=0)
    return RunResult(impl.name, compile_s, first_run_s, run_s, _to_host(counts),
                     _to_host(per_step))


def _to_host(x) -> np.ndarray:
    """A NumPy copy of ``x``, gathered from every process when it spans several."""
    if getattr(x, "is_fully_addressable", True):
        return np.asarray(x)
    from jax.experimental import multihost_utils
    return np.asarray(multihost_utils.process_allgather(x, tiled=True))


def matrix_bytes(op) -> tuple[int, int]:
    """``(bytes on the first device, bytes of the whole matrix)`` of an operand's leaves."""
    import jax

    first = whole = 0
    for leaf in jax.tree_util.tree_leaves(op):
        leaf = getattr(leaf, "mantissa", leaf)
        shards = getattr(leaf, "addressable_shards", None)
        first += shards[0].data.nbytes if shards else np.asarray(leaf).nbytes
        whole += leaf.nbytes
    return first, whole


def sharded(impl: Impl, devices: int) -> Impl:
    """``impl`` with its matrices split by columns (target neurons) over all devices."""
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    mesh = Mesh(np.array(jax.devices()), ("d",))
    split = NamedSharding(mesh, P(None, "d"))
    build = impl.build
    out = dataclasses.replace(impl, name=f"{impl.name} on {jax.device_count()} devices",
                              build=lambda csr: build(csr).shard(split))
    replicated, by_neuron = NamedSharding(mesh, P()), NamedSharding(mesh, P("d"))
    out.place = lambda a: jax.make_array_from_callback(a.shape, by_neuron,
                                                       lambda index: a[index])
    out.gather = lambda s: jax.lax.with_sharding_constraint(s, replicated)
    out.split = lambda x: jax.lax.with_sharding_constraint(x, by_neuron)
    return out


def _launch(args, argv) -> None:
    """Start ``--processes`` copies of this script joined over loopback; wait for all."""
    import socket
    import subprocess

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = list(sys.argv[1:] if argv is None else argv)
    procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), *argv,
                               "--process-id", str(i), "--coordinator", f"127.0.0.1:{port}"])
             for i in range(args.processes)]
    codes = [p.wait() for p in procs]
    sys.exit(max(codes))


def _configure_devices(args) -> None:
    """Host CPU devices (and processes) for JAX, before its backend starts."""
    import jax

    if args.devices > 1 or args.processes > 1:
        jax.config.update("jax_num_cpu_devices", args.devices)
    if args.processes > 1:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address=args.coordinator,
                                   num_processes=args.processes, process_id=args.process_id)


def rate_hz(res: RunResult, net: Network, duration_ms: float) -> float:
    return res.total_spikes / net.n / (duration_ms / 1000.0)


def print_single(res: RunResult, net: Network, args, n_steps: int) -> None:
    rate = rate_hz(res, net, args.duration)
    exc_rate = res.counts[:net.n_exc].sum() / net.n_exc / (args.duration / 1000)
    inh_rate = res.counts[net.n_exc:].sum() / net.n_inh / (args.duration / 1000)
    print(f"implementation     : {res.impl}")
    print(f"firing rate        : {rate:.2f} Hz (E {exc_rate:.2f} Hz, I {inh_rate:.2f} Hz)")
    print(f"total spikes       : {res.total_spikes}")
    print(f"compile time       : {res.compile_s:.2f} s (trace+lower+compile), "
          f"first run {res.first_run_s:.2f} s")
    print(f"simulation         : {res.run_s:.3f} s for {n_steps} steps "
          f"(median of steady-state runs)")
    print(f"time per step      : {res.run_s / n_steps * 1e6:.2f} us")
    print(f"real-time factor   : {res.run_s / (args.duration / 1000):.3f} "
          "(wall s per simulated s)")
    if not 1.0 <= rate <= 100.0:
        print(f"WARNING: firing rate {rate:.2f} Hz is far from the expected ~10-30 Hz")


def print_comparison(results: list[RunResult], net: Network, args, n_steps: int) -> None:
    ref = results[0]
    rows = []
    for r in results:
        diff = int(np.abs(r.counts - ref.counts).max())
        same = "identical" if (np.array_equal(r.counts, ref.counts)
                               and np.array_equal(r.per_step, ref.per_step)) else \
            f"max |d|/neuron {diff}"
        rows.append([r.impl, f"{r.run_s / n_steps * 1e6:.2f}",
                     f"{r.run_s / ref.run_s:.2f}x", f"{rate_hz(r, net, args.duration):.3f}",
                     r.total_spikes, same, f"{r.compile_s:.2f}"])
    print()
    print(f"Comparison ({n_steps} steps, ratio = time / {ref.impl}'s time; "
          f"> 1 means {ref.impl} is faster)")
    print(format_table(["implementation", "us/step", "ratio", "rate Hz", "spikes",
                        f"spike trains vs {ref.impl}", "compile s"], rows))


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["numba", "pallas", "jax"], default=None,
                    help="sparsecore kernel backend (default: the operators with the "
                         "platform's default backend, numba on CPU)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="network size in units of 4000 neurons (default 1)")
    ap.add_argument("--duration", type=float, default=1000.0,
                    help="simulated time in ms (default 1000)")
    ap.add_argument("--conn", choices=sorted(CONNECTIVITY), default="csr",
                    help="connectivity format (default csr)")
    ap.add_argument("--homo", action="store_true",
                    help="store each projection's weight as one shared value (shape "
                         "(1,)) instead of one float32 per synapse")
    ap.add_argument("--compare", action="store_true",
                    help="also run the same network through the peer implementations")
    ap.add_argument("--skip", nargs="*", default=[],
                    help="with --compare: implementation name prefixes to leave out "
                         "(e.g. dense 'jax.sparse BCOO')")
    ap.add_argument("--dense-max-mb", type=float, default=64.0,
                    help="with --compare: run dense jnp only if W_E is at most this "
                         "many MB (default 64, i.e. up to scale 1)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="steady-state runs to take the median of (default 3)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fan-out", type=int, default=COBAParams.fan_out,
                    help=f"synapses per neuron (default {COBAParams.fan_out})")
    ap.add_argument("--devices", type=int, default=1,
                    help="host CPU devices to shard the connectivity over (default 1: "
                         "unsharded); per process with --processes")
    ap.add_argument("--processes", type=int, default=1,
                    help="processes on this host joined by jax.distributed (default 1)")
    ap.add_argument("--process-id", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--coordinator", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.processes > 1 and args.process_id is None:
        _launch(args, argv)
    multi = args.devices > 1 or args.processes > 1
    if multi and (args.compare or args.backend is not None):
        sys.exit("--devices / --processes run sparsecore's operators alone: drop --compare "
                 "and --backend")
    _configure_devices(args)

    p = COBAParams(fan_out=args.fan_out)
    n_steps = int(round(args.duration / p.dt))
    t0 = time.perf_counter()
    net = build_network(p, args.scale, args.seed, args.conn, args.homo,
                        stored=args.compare or args.conn != "jitc")
    build_s = time.perf_counter() - t0

    fan = f"{p.fan_out} per neuron" + (" on average" if args.conn == "jitc" else "")
    print(f"COBA E/I network: {net.n} neurons ({net.n_exc} E, {net.n_inh} I), "
          f"{net.n_synapses or f'~{net.n * p.fan_out} generated'} synapses ({fan}), "
          f"conn={args.conn}, "
          f"weights={'homogeneous' if args.homo else 'per-synapse'}")
    print(f"{args.duration:g} ms at dt={p.dt} ms = {n_steps} steps; connectivity built "
          f"in {build_s:.2f} s (seed {args.seed})")
    print(f"machine: {_timing.describe_machine()}")
    backend_label = args.backend or "default"
    print(f"sparsecore backend: {backend_label}")
    print()

    if not args.compare:
        impls = _peers.implementations((args.backend,), include_host=False,
                                       skip=["brainevent", "jax.sparse", "dense"])
        impls = fixed_num_impls(args.conn, (args.backend,), skip=["brainevent"]) + impls
        impls = jitc_impls(args.conn, net, (args.backend,), skip=["brainevent"]) + impls
        if not impls:
            sys.exit("sparsecore is not available")
        impl = sharded(impls[0], args.devices) if multi else impls[0]
        res = run_impl(p, net, impl, n_steps, args.repeats)
        print_single(res, net, args, n_steps)
        first, whole = matrix_bytes(impl.build(net.w_exc))
        print(f"W_E bytes          : {first} on the first device, {whole} in all "
              f"({first / max(whole, 1):.3f})")
        return

    other = {"numba": "jax", "jax": "numba", None: "jax"}[args.backend]
    impls = _peers.implementations((args.backend, other), include_host=False,
                                   dense_max_bytes=args.dense_max_mb * 2**20,
                                   skip=args.skip)
    impls = fixed_num_impls(args.conn, (args.backend, other), skip=args.skip) + impls
    impls = jitc_impls(args.conn, net, (args.backend, other), skip=args.skip) + impls
    results = []
    for impl in impls:
        if not impl.fits(net.w_exc):
            print(f"[skip] {impl.name}: dense W_E would exceed {args.dense_max_mb:g} MB "
                  "(raise --dense-max-mb)")
            continue
        print(f"running {impl.name} ...", flush=True)
        res = run_impl(p, net, impl, n_steps, args.repeats)
        print(f"  {res.run_s / n_steps * 1e6:.2f} us/step, "
              f"{rate_hz(res, net, args.duration):.3f} Hz, {res.total_spikes} spikes, "
              f"compile {res.compile_s:.2f} s", flush=True)
        results.append(res)
    if not results:
        sys.exit("nothing ran")
    print()
    print_single(results[0], net, args, n_steps)
    print_comparison(results, net, args, n_steps)
    print()
    for impl in impls:
        if impl.note:
            print(f"  {impl.note}")


if __name__ == "__main__":
    main()
