"""Shared helpers for the sparsecore benchmarks: connectivity, timing, peer adapters.

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
* :func:`time_repeated` / :func:`time_loop` / :func:`time_iters` -- timing with warm-up,
  ``block_until_ready`` and the median (or min) of repeats; the one timer of every script.
* :func:`format_table` -- the plain-text ratio tables both scripts print.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import time
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
    out = []
    for name, make in makers:
        if any(name.startswith(p) for p in skip):
            continue
        try:
            out.append(make())
        except ImportError as exc:
            print(f"[skip] {name}: not available ({exc})")
    return out


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
    out = []
    for name, make in makers:
        if any(name.startswith(p) for p in skip):
            continue
        try:
            out.append(make())
        except ImportError as exc:
            print(f"[skip] {name}: not available ({exc})")
    return out



# --------------------------------------------------------------------------------------
# Plasticity: spike-triggered weight updates and csrmv_yw2y
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HostCSRColumns:
    """A :class:`HostCSR`'s structure and its column index, as device arrays.

    ``csc_indices``/``csc_indptr`` compress the same entries by column;
    ``weight_indices[k]`` is the CSR position of the ``k``-th entry in that order
    (the arrays ``update_csr_on_binary_post`` takes, computed here with NumPy so that
    every implementation gets the very same buffers).
    """

    indices: Any
    indptr: Any
    csc_indices: Any
    csc_indptr: Any
    weight_indices: Any
    shape: tuple

    @classmethod
    def from_csr(cls, csr: HostCSR) -> "HostCSRColumns":
        import jax
        import jax.numpy as jnp

        if not getattr(cls, "_registered", False):  # a pytree: jit arguments, not constants
            jax.tree_util.register_dataclass(
                cls, data_fields=["indices", "indptr", "csc_indices", "csc_indptr",
                                  "weight_indices"], meta_fields=["shape"])
            cls._registered = True

        order = np.argsort(csr.indices, kind="stable").astype(np.int32)
        counts = np.bincount(csr.indices, minlength=csr.shape[1])
        csc_indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        return cls(jnp.asarray(csr.indices), jnp.asarray(csr.indptr),
                   jnp.asarray(csr.rows()[order]), jnp.asarray(csc_indptr),
                   jnp.asarray(order), csr.shape)


@dataclasses.dataclass
class UpdateImpl:
    """How one implementation updates CSR weights on spikes and computes ``yw2y``.

    ``on_pre(w, cols, pre_spike, post_trace, w_min, w_max)`` and
    ``on_post(w, cols, pre_trace, post_spike, w_min, w_max)`` return the updated weight
    vector (``cols`` is a :class:`HostCSRColumns`); ``yw2y(y, w, cols)`` returns
    ``w[k] * y[row(k)]``. ``None`` where unsupported.
    """

    name: str
    on_pre: Optional[Callable[..., Any]] = None
    on_post: Optional[Callable[..., Any]] = None
    yw2y: Optional[Callable[..., Any]] = None
    note: str = ""
    short: str = ""

    def __post_init__(self):
        self.short = self.short or self.name


def _sparsecore_update_impl(backend: Optional[str]) -> UpdateImpl:
    import sparsecore as sc

    try:
        sc.update_csr_on_binary_pre, sc.update_csr_on_binary_post, sc.csrmv_yw2y  # noqa: B018
    except AttributeError as exc:
        raise ImportError(f"sparsecore is incomplete: {exc}") from None

    def on_pre(w, c, spike, trace, lo, hi):
        return sc.update_csr_on_binary_pre(w, c.indices, c.indptr, spike, trace, lo, hi,
                                           shape=c.shape, backend=backend)

    def on_post(w, c, trace, spike, lo, hi):
        return sc.update_csr_on_binary_post(w, c.csc_indices, c.csc_indptr, c.weight_indices,
                                            trace, spike, lo, hi, shape=c.shape,
                                            backend=backend)

    def yw2y(y, w, c):
        return sc.csrmv_yw2y(y, w, c.indices, c.indptr, shape=c.shape, backend=backend)

    label = "sparsecore" if backend is None else f"sparsecore[{backend}]"
    return UpdateImpl(label, on_pre, on_post, yw2y, short=label,
                      note=f"{label}: functional update_csr_on_binary_pre/_post, csrmv_yw2y")


def _brainevent_update_impl() -> UpdateImpl:
    import brainevent

    # brainevent 0.2 renamed csrmv_yw2y to csrmv_dt2t (same arguments and result).
    yw2y_name = "csrmv_yw2y" if hasattr(brainevent, "csrmv_yw2y") else "csrmv_dt2t"
    yw2y_fn = getattr(brainevent, yw2y_name)

    def on_pre(w, c, spike, trace, lo, hi):
        return brainevent.update_csr_on_binary_pre(w, c.indices, c.indptr, spike, trace,
                                                   lo, hi, shape=c.shape)

    def on_post(w, c, trace, spike, lo, hi):
        return brainevent.update_csr_on_binary_post(w, c.csc_indices, c.csc_indptr,
                                                    c.weight_indices, trace, spike, lo, hi,
                                                    shape=c.shape)

    def yw2y(y, w, c):
        return yw2y_fn(y, w, c.indices, c.indptr, shape=c.shape)

    return UpdateImpl(f"brainevent {brainevent.__version__}", on_pre, on_post, yw2y,
                      short="brainevent",
                      note=f"brainevent: update_csr_on_binary_pre/_post, {yw2y_name}")


def plasticity_implementations(backends: Sequence[Optional[str]] = (None,), *,
                               skip: Sequence[str] = ()) -> list[UpdateImpl]:
    """sparsecore (one per backend, first: the reference for ratios) and brainevent."""
    makers: list[tuple[str, Callable[[], UpdateImpl]]] = [
        ("sparsecore", (lambda b=b: _sparsecore_update_impl(b))) for b in backends]
    makers.append(("brainevent", _brainevent_update_impl))
    out = []
    for name, make in makers:
        if any(name.startswith(p) for p in skip):
            continue
        try:
            out.append(make())
        except ImportError as exc:
            print(f"[skip] {name} (plasticity): not available ({exc})")
    return out


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


def time_loop(call: Callable[[int], Any], *, target_s: float = 0.05, repeats: int = 5,
              max_iters: int = 100_000) -> tuple[float, int]:
    """Time one operation repeated inside a loop; returns (seconds per iteration, iters).

    ``call(n)`` runs the operation ``n`` times and blocks until done (for jitted code: a
    ``fori_loop`` with a *traced* trip count, so changing ``n`` does not recompile).
    The first call (``n=1``) compiles and warms up; ``n`` is then chosen so that one
    timed call takes about ``target_s``, and the median over ``repeats`` calls is
    divided by ``n``. This amortises the per-dispatch cost of a jitted call.
    """
    call(1)  # compile + warm-up
    t1 = time_repeated(lambda: call(1), repeats=3, warmup=0)
    n = int(min(max_iters, max(1, math.ceil(target_s / max(t1, 1e-9)))))
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


# --------------------------------------------------------------------------------------
# Generated ("JIT") connectivity: sparsecore's JITC matrices and brainevent's
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class JITCParams:
    """A generated matrix: each entry present with ``prob``, of weight ``weight``
    (homogeneous), ``weight`` +- ``spread`` (uniform) or normal with mean ``weight``
    and standard deviation ``spread``."""

    weight: float
    prob: float
    seed: int
    spread: float = 0.0

    def weights(self, dist: str) -> tuple:
        """The weight parameters of distribution ``dist``."""
        if dist == "homo":
            return (self.weight,)
        if dist == "uniform":
            return (self.weight - self.spread, self.weight + self.spread)
        return (self.weight, self.spread)


# distribution -> (sparsecore class, functional prefix, the class's weight attributes)
JITC_DISTS = {"homo": ("JITCHomoR", "jith", ("weight",)),
              "uniform": ("JITCUniformR", "jitu", ("w_low", "w_high")),
              "normal": ("JITCNormalR", "jitn", ("w_loc", "w_scale"))}
BRAINEVENT_JITC = {"homo": "jits", "uniform": "jitu", "normal": "jitn"}


def shape_only(shape: tuple) -> HostCSR:
    """An empty :class:`HostCSR` of ``shape``: what a generated implementation builds
    from when no stored copy is needed (it reads the shape only)."""
    return HostCSR(np.ones(1, np.float32), np.zeros(0, np.int32),
                   np.zeros(shape[0] + 1, np.int32), tuple(shape))


@dataclasses.dataclass(frozen=True)
class GeneratedCSR(HostCSR):
    """A :class:`HostCSR` that is sparsecore's ``JITCHomoR`` of ``params``, stored: the
    generated implementations build from ``params``, the others from the arrays."""

    params: Optional[JITCParams] = None


def jitc_csr(n_pre: int, n_post: int, params: JITCParams) -> GeneratedCSR:
    """sparsecore's ``JITCHomoR`` of these parameters, stored (the same matrix as CSR)."""
    import sparsecore as sc

    W = sc.JITCHomoR((params.weight, params.prob, params.seed), shape=(n_pre, n_post))
    C = W.tocsr()
    return GeneratedCSR(np.asarray(C.data, np.float32), np.asarray(C.indices, np.int32),
                        np.asarray(C.indptr, np.int32), (n_pre, n_post), params)


def _params_of(csr: HostCSR, default: JITCParams) -> JITCParams:
    return getattr(csr, "params", None) or default


def _sparsecore_jitc_impl(params: JITCParams, backend: Optional[str],
                          dist: str = "homo") -> Impl:
    import sparsecore as sc

    cls_name, fn, names = JITC_DISTS[dist]
    try:
        cls, mv, binary_mv = (getattr(sc, cls_name), getattr(sc, f"{fn}mv"),
                              getattr(sc, f"binary_{fn}mv"))
    except AttributeError as exc:
        raise ImportError(f"sparsecore is incomplete: {exc}") from None

    def build(csr: HostCSR):
        q = _params_of(csr, params)
        return cls(q.weights(dist) + (q.prob, q.seed), shape=csr.shape)

    def weights(W):
        return [getattr(W, name) for name in names]

    if backend is None:
        def matvec(W, v):
            return W @ v

        def events(W, s):
            return s @ W
    else:
        def matvec(W, v):
            return mv(*weights(W), W.prob, v, W.seed, shape=W.shape, backend=backend)

        def events(W, s):
            return binary_mv(*weights(W), W.prob, s, W.seed, shape=W.shape,
                             transpose=True, backend=backend)

    suffix = "" if backend is None else f"[{backend}]"
    label = f"sparsecore {cls_name}{suffix}"
    short = f"sc JITC{suffix}" if dist == "homo" else f"sc {dist}{suffix}"
    return Impl(label, build, matvec, events, short=short,
                note=f"{label}: regenerated in every product (the same matrix as the CSR "
                     "rows); spikes @ W visits active rows only")


def _brainevent_jitc_impl(params: JITCParams, corder: bool, dist: str = "homo") -> Impl:
    import brainevent

    prefix = BRAINEVENT_JITC[dist]
    mv, binary_mv = getattr(brainevent, f"{prefix}mv"), getattr(brainevent, f"binary_{prefix}mv")

    def build(csr: HostCSR):
        # brainevent's functional API stores nothing: weights and seed as leaves, an
        # empty array whose shape carries the matrix's through jit (prob: ``params``)
        q = _params_of(csr, params)
        return dict(weights=tuple(np.float32(w) for w in q.weights(dist)),
                    seed=np.uint32(q.seed), shape=np.zeros(csr.shape + (0,), np.float32))

    def matvec(op, v):
        return mv(*op["weights"], params.prob, v, op["seed"], shape=op["shape"].shape[:2],
                  corder=corder)

    def events(op, s):
        return binary_mv(*op["weights"], params.prob, s, op["seed"],
                         shape=op["shape"].shape[:2], transpose=True, corder=corder)

    name = f"brainevent {prefix}mv(corder={corder})"
    short = f"be JITC c={'T' if corder else 'F'}" + ("" if dist == "homo" else f" {dist}")
    return Impl(name, build, matvec, events, short=short, exact=False,
                note=f"{name}: {prefix}mv / binary_{prefix}mv(transpose=True); its own random "
                     "matrix of the same density (results not compared entry for entry)")


def jitc_implementations(params: JITCParams, backends: Sequence[Optional[str]] = (None,), *,
                         dists: Sequence[str] = ("homo",), peer_dists: Sequence[str] = ("homo",),
                         corders: Sequence[bool] = (True, False),
                         skip: Sequence[str] = ()) -> list[Impl]:
    """sparsecore's generated matrices of ``params`` (one per distribution in ``dists``
    and backend; default ``JITCHomoR``) and brainevent's generated products (one per
    distribution in ``peer_dists`` and ``corder`` setting)."""
    makers: list[tuple[str, Callable[[], Impl]]] = [
        ("sparsecore JITC", (lambda b=b, d=d: _sparsecore_jitc_impl(params, b, d)))
        for d in dists for b in backends]
    makers += [("brainevent JITC", (lambda c=c, d=d: _brainevent_jitc_impl(params, c, d)))
               for d in peer_dists for c in corders]
    out = []
    for name, make in makers:
        if any(name.startswith(p) for p in skip):
            continue
        try:
            out.append(make())
        except (ImportError, AttributeError) as exc:
            print(f"[skip] {name}: not available ({exc})")
    return out
