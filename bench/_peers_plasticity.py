"""Plasticity adapters of the benchmarks: spike-triggered CSR weight updates and
``csrmv_yw2y``, sparsecore and brainevent on the very same buffers
(:class:`HostCSRColumns`, built once with NumPy from a :class:`_peers.HostCSR`)."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional, Sequence

import numpy as np

from _peers import HostCSR, available


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
    return available(makers, skip, what=" (plasticity)")
