"""Generated-connectivity adapters of the benchmarks: sparsecore's JITC matrices
(regenerated in every product) and brainevent's generated products, as
:class:`_peers.Impl` adapters, and the stored copy of a generated matrix
(:func:`jitc_csr`) for the CSR rows of the same matrix."""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Sequence

import numpy as np

from _peers import HostCSR, Impl, available


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
    return available(makers, skip, errors=(ImportError, AttributeError))
