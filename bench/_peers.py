"""Shared helpers for the sparsecore benchmarks: connectivity and peer adapters.

Nothing here is part of the library; ``bench/ei_network.py`` and ``bench/kernels.py``
import it. The pieces:

* :class:`HostCSR` -- a plain NumPy CSR description (``data``, ``indices``, ``indptr``,
  ``shape``) that every implementation is built from, so all of them see *the same*
  matrix. ``data`` is either one value per stored entry or a shape-(1,) homogeneous
  weight.
* :func:`fixed_fanout` -- random connectivity with exactly ``k`` distinct targets per row.
* :class:`Impl` and :func:`implementations` -- one small adapter per implementation
  (sparsecore, brainevent, jax.experimental.sparse BCSR/BCOO, dense jnp, scipy). An
  adapter says how to build its operand from a :class:`HostCSR` and how to compute
  ``W @ v`` (float) and ``spikes @ W`` (bool events). To benchmark another
  implementation or format (FixedPostNumConn, generated JITC matrices, ...) add an
  :class:`Impl` to :func:`implementations` -- both scripts pick it up.
* Timing and tables live in ``_timing.py``; the generated-connectivity adapters in
  ``_peers_jitc.py``; the plasticity adapters in ``_peers_plasticity.py``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional, Sequence

import numpy as np

# --------------------------------------------------------------------------------------
# Connectivity
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HostCSR:
    """A CSR matrix as plain NumPy arrays (row = presynaptic neuron).

    ``data`` has one float32 value per stored entry, or shape ``(1,)`` for a
    homogeneous weight shared by all entries. ``indices``/``indptr`` are int32.
    """

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple

    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])

    @property
    def homogeneous(self) -> bool:
        return self.data.shape == (1,) and self.nnz != 1

    def full_data(self) -> np.ndarray:
        """One value per stored entry (expands a homogeneous weight)."""
        if self.homogeneous:
            return np.full(self.nnz, self.data[0], dtype=self.data.dtype)
        return self.data

    def to_scipy(self):
        import scipy.sparse

        return scipy.sparse.csr_matrix(
            (self.full_data(), self.indices, self.indptr), shape=self.shape
        )

    def rows(self) -> np.ndarray:
        """Row index of every stored entry (COO row array)."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int32), np.diff(self.indptr))

    def todense(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=self.data.dtype)
        np.add.at(out, (self.rows(), self.indices), self.full_data())
        return out

    def transpose(self) -> "HostCSR":
        """The transposed matrix, again as CSR (i.e. this matrix's CSC layout)."""
        t = self.to_scipy().T.tocsr()
        t.sort_indices()
        data = self.data if self.homogeneous else t.data.astype(self.data.dtype)
        return HostCSR(data, t.indices.astype(np.int32), t.indptr.astype(np.int32),
                       (self.shape[1], self.shape[0]))

    def with_weights(self, data: np.ndarray) -> "HostCSR":
        return dataclasses.replace(self, data=np.asarray(data, dtype=np.float32))


def fixed_fanout(n_pre: int, n_post: int, k: int, rng: np.random.Generator, *,
                 weight=None, exclude_self: bool = False) -> HostCSR:
    """Each of ``n_pre`` rows gets exactly ``k`` distinct random columns in ``[0, n_post)``.

    Column indices are sorted within a row. ``weight`` is a scalar (stored as a
    shape-(1,) homogeneous weight), an array of ``n_pre * k`` values, or ``None``
    (standard-normal float32 weights). With ``exclude_self`` row ``i`` never
    targets column ``i`` (for recurrent connectivity where rows and columns index the
    same neurons).
    """
    if k > n_post - (1 if exclude_self else 0):
        raise ValueError(f"cannot draw {k} distinct targets out of {n_post}")
    cols = rng.integers(0, n_post, size=(n_pre, k), dtype=np.int64)
    row_ids = np.arange(n_pre)[:, None]
    # Redraw every row that has a duplicate (or a self-connection) until none is left;
    # for k << n_post this converges in a few rounds.
    while True:
        cols.sort(axis=1)
        bad = (cols[:, 1:] == cols[:, :-1]).any(axis=1)
        if exclude_self:
            bad |= (cols == row_ids).any(axis=1)
        bad_rows = np.flatnonzero(bad)
        if bad_rows.size == 0:
            break
        cols[bad_rows] = rng.integers(0, n_post, size=(bad_rows.size, k))
    indices = cols.reshape(-1).astype(np.int32)
    indptr = (np.arange(n_pre + 1, dtype=np.int64) * k).astype(np.int32)
    if weight is None:
        data = rng.standard_normal(n_pre * k).astype(np.float32)
    elif np.ndim(weight) == 0:
        data = np.full(1, weight, dtype=np.float32)
    else:
        data = np.asarray(weight, dtype=np.float32)
    return HostCSR(data, indices, indptr, (n_pre, n_post))


def spike_inputs(fraction: float, n_inputs: int = 8):
    """``make(csr, rng)``: ``n_inputs`` bool vectors over the rows of ``csr``, with
    exactly ``round(fraction * rows)`` (at least one) spikes each."""

    def make(csr: HostCSR, rng: np.random.Generator) -> np.ndarray:
        m = csr.shape[0]
        k = max(1, int(round(fraction * m)))
        out = np.zeros((n_inputs, m), dtype=bool)
        for row in out:
            row[rng.choice(m, size=k, replace=False)] = True
        return out

    return make


# --------------------------------------------------------------------------------------
# Implementation adapters
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Impl:
    """How one implementation builds a matrix and multiplies with it.

    Attributes
    ----------
    name:
        Row label in the tables.
    build:
        ``HostCSR -> operand``. For traced implementations (``host=False``) the operand
        is a pytree passed as an *argument* to the jitted benchmark function.
    matvec:
        ``(operand, v) -> W @ v`` for a float vector ``v`` (length ``shape[1]``), or
        ``None`` if unsupported.
    events:
        ``(operand, spikes) -> spikes @ W`` for a bool vector ``spikes`` (length
        ``shape[0]``), returning a float vector of length ``shape[1]``, or ``None``.
    right_events:
        ``(operand, spikes) -> W @ spikes`` for a bool vector over the columns, or
        ``None`` (timed by ``bench/fixed_num.py``).
    host:
        True for NumPy/SciPy implementations that run in Python (not jittable).
    fits:
        ``HostCSR -> bool``; False skips the implementation for that matrix (e.g.
        a dense matrix that would not fit in memory).
    exact:
        False for an implementation that computes with its own random matrix of the
        same density (brainevent's generated connectivity): checked for shape only.
    note:
        One line printed under the tables.
    short:
        Column label for wide tables (defaults to ``name``).
    """

    name: str
    build: Callable[[HostCSR], Any]
    matvec: Optional[Callable[[Any, Any], Any]] = None
    events: Optional[Callable[[Any, Any], Any]] = None
    host: bool = False
    fits: Callable[[HostCSR], bool] = lambda csr: True
    note: str = ""
    short: str = ""
    exact: bool = True  # False: a different matrix of the same density (not checked)
    right_events: Optional[Callable[[Any, Any], Any]] = None

    def __post_init__(self):
        self.short = self.short or self.name


def _sparsecore_impl(backend: Optional[str]) -> Impl:
    """sparsecore CSR. ``backend=None`` uses the operators (``W @ v``, ``spikes @ W``);
    an explicit backend goes through the functional API with that backend."""
    import jax.numpy as jnp
    import sparsecore as sc

    try:
        sc.CSR, sc.csrmv, sc.binary_csrmv  # noqa: B018 -- fail early if not there yet
    except AttributeError as exc:
        raise ImportError(f"sparsecore is incomplete: {exc}") from None

    def build(csr: HostCSR):
        return sc.CSR((jnp.asarray(csr.data), jnp.asarray(csr.indices),
                       jnp.asarray(csr.indptr)), shape=csr.shape)

    if backend is None:
        def matvec(W, v):
            return W @ v

        def events(W, s):
            return s @ W

        def right_events(W, s):
            return W @ s
    else:
        def matvec(W, v):
            return sc.csrmv(W.data, W.indices, W.indptr, v, shape=W.shape,
                            transpose=False, backend=backend)

        def events(W, s):
            return sc.binary_csrmv(W.data, W.indices, W.indptr, s, shape=W.shape,
                                   transpose=True, backend=backend)

        def right_events(W, s):
            return sc.binary_csrmv(W.data, W.indices, W.indptr, s, shape=W.shape,
                                   transpose=False, backend=backend)

    label = "sparsecore" if backend is None else f"sparsecore[{backend}]"
    return Impl(label, build, matvec, events, short=label, right_events=right_events,
                note=f"{label}: CSR; W @ v and spikes @ W (bool events) via sparsecore")


def _brainevent_impl() -> Impl:
    import brainevent
    import jax.numpy as jnp

    def build(csr: HostCSR):
        return brainevent.CSR((jnp.asarray(csr.data), jnp.asarray(csr.indices),
                               jnp.asarray(csr.indptr)), shape=csr.shape)

    def matvec(W, v):
        return W @ v

    def events(W, s):
        return brainevent.BinaryArray(s) @ W

    def right_events(W, s):
        return W @ brainevent.BinaryArray(s)

    return Impl(f"brainevent {brainevent.__version__}", build, matvec, events,
                short="brainevent", right_events=right_events,
                note="brainevent: CSR, events as BinaryArray(spikes) @ W "
                     f"(numba parallel={brainevent.config.get_numba_parallel()})")


def _jax_bcsr_impl() -> Impl:
    """jax.experimental.sparse BCSR. ``v @ BCSR`` is not implemented, so the event
    product uses a second BCSR holding the transposed matrix: ``W.T @ spikes``."""
    import jax.numpy as jnp
    from jax.experimental import sparse as jsp

    def _bcsr(c: HostCSR):
        return jsp.BCSR((jnp.asarray(c.full_data()), jnp.asarray(c.indices),
                         jnp.asarray(c.indptr)), shape=c.shape)

    def build(csr: HostCSR):
        return (_bcsr(csr), _bcsr(csr.transpose()))

    def matvec(op, v):
        return op[0] @ v

    def events(op, s):
        return op[1] @ s.astype(op[1].dtype)

    return Impl("jax.sparse BCSR", build, matvec, events, short="BCSR",
                note="jax.sparse BCSR: spikes @ W as (W.T stored as BCSR) @ float(spikes)")


def _jax_bcoo_impl() -> Impl:
    import jax.numpy as jnp
    from jax.experimental import sparse as jsp

    def build(csr: HostCSR):
        idx = np.stack([csr.rows(), csr.indices], axis=1).astype(np.int32)
        return jsp.BCOO((jnp.asarray(csr.full_data()), jnp.asarray(idx)), shape=csr.shape,
                        indices_sorted=True, unique_indices=True)

    def matvec(W, v):
        return W @ v

    def events(W, s):
        return s.astype(W.dtype) @ W

    return Impl("jax.sparse BCOO", build, matvec, events, short="BCOO",
                note="jax.sparse BCOO: spikes @ W as float(spikes) @ W")


def _dense_impl(max_bytes: float) -> Impl:
    import jax.numpy as jnp

    def build(csr: HostCSR):
        return jnp.asarray(csr.todense())

    def matvec(W, v):
        return W @ v

    def events(W, s):
        return s.astype(W.dtype) @ W

    def fits(csr: HostCSR):
        return csr.shape[0] * csr.shape[1] * 4 <= max_bytes

    return Impl("dense jnp", build, matvec, events, fits=fits, short="dense",
                note=f"dense jnp: only where the dense matrix is <= {max_bytes / 2**30:.1f} GiB")


def _scipy_impl() -> Impl:
    """scipy.sparse. Float: ``csr @ v``. Events, the honest scipy way: ``W.T`` stored
    as a CSR (built once) times ``spikes`` as float -- a full sparse matvec."""

    def build(csr: HostCSR):
        W = csr.to_scipy()
        return (W, W.T.tocsr())

    def matvec(op, v):
        return op[0] @ v

    def events(op, s):
        return op[1] @ s.astype(np.float32)

    return Impl("scipy (W.T@s)", build, matvec, events, host=True, short="scipy",
                note="scipy: csr @ v; events as (W.T as csr) @ float(spikes), single thread")


def _scipy_rows_impl() -> Impl:
    """scipy.sparse, event-driven by hand: sum the active rows, ``W[active].sum(0)``."""

    def build(csr: HostCSR):
        return csr.to_scipy()

    def events(W, s):
        active = np.flatnonzero(s)
        return np.asarray(W[active].sum(axis=0)).ravel()

    return Impl("scipy (rows sum)", build, None, events, host=True, short="scipy rows",
                note="scipy (rows sum): spikes @ W as W[active_rows].sum(0)")


def available(makers: Sequence[tuple[str, Callable[[], Any]]], skip: Sequence[str] = (), *,
              errors: tuple = (ImportError,), what: str = "") -> list:
    """``make()`` of every ``(name, make)`` whose name starts with none of ``skip``;
    one that raises one of ``errors`` (a peer not installed) is reported and left out."""
    out = []
    for name, make in makers:
        if any(name.startswith(p) for p in skip):
            continue
        try:
            out.append(make())
        except errors as exc:
            print(f"[skip] {name}{what}: not available ({exc})")
    return out


def implementations(backends: Sequence[Optional[str]] = (None,), *,
                    include_host: bool = True, dense_max_bytes: float = 1.0 * 2**30,
                    skip: Sequence[str] = ()) -> list[Impl]:
    """All available implementations, sparsecore first (the reference for ratios).

    One sparsecore row per entry of ``backends`` (``None``: the ``@`` operators with the
    default backend; ``"numba"``/``"jax"``: the functional API with that backend).
    Peers whose package is missing are skipped with a message; so is sparsecore, in
    which case the first remaining implementation becomes the reference. ``skip``
    drops implementations whose name starts with one of the given prefixes.
    """
    makers: list[tuple[str, Callable[[], Impl]]] = [
        ("sparsecore", (lambda b=b: _sparsecore_impl(b))) for b in backends
    ]
    makers += [
        ("brainevent", _brainevent_impl),
        ("jax.sparse BCSR", _jax_bcsr_impl),
        ("jax.sparse BCOO", _jax_bcoo_impl),
        ("dense jnp", lambda: _dense_impl(dense_max_bytes)),
    ]
    if include_host:
        makers += [("scipy (W.T@s)", _scipy_impl), ("scipy (rows sum)", _scipy_rows_impl)]
    return available(makers, skip)


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


def _fixed_buffers(csr: HostCSR):
    """``(data, indices)`` in the fixed-number layout: every row of ``csr`` must hold the
    same number of entries (``fixed_fanout`` matrices do); ``data`` stays ``(1,)`` when
    homogeneous, else ``(rows, k)``."""
    import jax.numpy as jnp

    counts = np.diff(csr.indptr)
    if counts.size and (counts != counts[0]).any():
        raise ValueError("fixed-number formats need the same number of entries per row")
    n_rows = csr.shape[0]
    k = int(counts[0]) if counts.size else 0
    indices = jnp.asarray(csr.indices.reshape(n_rows, k))
    data = csr.data if csr.homogeneous else csr.data.reshape(n_rows, k)
    return jnp.asarray(data), indices


def _sparsecore_fixed_impl(backend: Optional[str], pre: bool) -> Impl:
    """sparsecore FixedPostNumConn over the rows of the HostCSR; with ``pre`` the same
    buffers as a FixedPreNumConn, i.e. the transposed matrix ``W.T``, so that ``W @ v``
    is ``v @ W.T`` and ``spikes @ W`` is ``W.T @ spikes`` (the other kernel direction)."""
    import sparsecore as sc

    try:
        sc.FixedPostNumConn, sc.fcnmv, sc.binary_fcnmv  # noqa: B018
    except AttributeError as exc:
        raise ImportError(f"sparsecore is incomplete: {exc}") from None
    cls = sc.FixedPreNumConn if pre else sc.FixedPostNumConn

    def build(csr: HostCSR):
        data, indices = _fixed_buffers(csr)
        return cls((data, indices), shape=csr.shape[::-1] if pre else csr.shape)

    if backend is None and pre:
        def matvec(W, v):
            return v @ W

        def events(W, s):
            return W @ s

        def right_events(W, s):
            return s @ W
    elif backend is None:
        def matvec(W, v):
            return W @ v

        def events(W, s):
            return s @ W

        def right_events(W, s):
            return W @ s
    else:  # functional API in FixedPostNumConn's layout (same buffers either way)
        def matvec(W, v):
            shape = W.shape[::-1] if pre else W.shape
            return sc.fcnmv(W.data, W.indices, v, shape=shape, backend=backend)

        def events(W, s):
            shape = W.shape[::-1] if pre else W.shape
            return sc.binary_fcnmv(W.data, W.indices, s, shape=shape, transpose=True,
                                   backend=backend)

        def right_events(W, s):
            shape = W.shape[::-1] if pre else W.shape
            return sc.binary_fcnmv(W.data, W.indices, s, shape=shape, transpose=False,
                                   backend=backend)

    name = "FixedPreNumConn" if pre else "FixedPostNumConn"
    suffix = "" if backend is None else f"[{backend}]"
    label = f"sparsecore {name}{suffix}"
    short = f"sc {'FixedPre' if pre else 'FixedPost'}{suffix}"
    how = ("W.T stored as FixedPreNumConn: W @ v as v @ W.T (scatter), spikes @ W as "
           "W.T @ spikes (gather testing spikes)") if pre else \
        "spikes @ W visits active rows only; W @ v gathers n_conn per row"
    if backend == "jax":
        how = "the pure-JAX reference kernels (gather / segment_sum, not event-driven)"
    return Impl(label, build, matvec, events, short=short, note=f"{label}: {how}",
                right_events=right_events)


def _brainevent_fixed_impl(pre: bool) -> Impl:
    import warnings

    import brainevent

    cls_name = "FixedPreNumConn" if pre else "FixedPostNumConn"

    def build(csr: HostCSR):
        data, indices = _fixed_buffers(csr)
        with warnings.catch_warnings():  # deprecated names in brainevent 0.2
            warnings.simplefilter("ignore", DeprecationWarning)
            cls = getattr(brainevent, cls_name)
            return cls((data, indices), shape=csr.shape[::-1] if pre else csr.shape)

    if pre:
        def matvec(W, v):
            return v @ W

        def events(W, s):
            return W @ brainevent.BinaryArray(s)

        def right_events(W, s):
            return brainevent.BinaryArray(s) @ W
    else:
        def matvec(W, v):
            return W @ v

        def events(W, s):
            return brainevent.BinaryArray(s) @ W

        def right_events(W, s):
            return W @ brainevent.BinaryArray(s)

    short = f"be {'FixedPre' if pre else 'FixedPost'}"
    return Impl(f"brainevent {cls_name}", build, matvec, events, short=short,
                right_events=right_events,
                note=f"brainevent {cls_name}: same buffers"
                     + (" (W.T, products in the other direction)" if pre else ""))


def fixed_num_implementations(backends: Sequence[Optional[str]] = (None,), *,
                              include_pre: bool = True,
                              skip: Sequence[str] = ()) -> list[Impl]:
    """sparsecore and brainevent fixed-number formats, built from a :class:`HostCSR`
    whose rows all hold the same number of entries (e.g. from :func:`fixed_fanout`).

    FixedPostNumConn stores the matrix as is; FixedPreNumConn (``include_pre``) stores
    the same buffers as the transposed matrix and computes the same products through
    the opposite kernel direction.
    """
    makers: list[tuple[str, Callable[[], Impl]]] = []
    for pre in ((False, True) if include_pre else (False,)):
        makers += [(f"sparsecore {'Pre' if pre else 'Post'}",
                    (lambda b=b, pre=pre: _sparsecore_fixed_impl(b, pre))) for b in backends]
        makers.append((f"brainevent {'Pre' if pre else 'Post'}",
                       (lambda pre=pre: _brainevent_fixed_impl(pre))))
    return available(makers, skip)
