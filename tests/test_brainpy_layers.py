"""The computations of BrainPy's ``brainpy.dnn.linear`` layers on sparsecore's functional API.

Each test re-creates what one layer does in ``update`` (forward) or
``stdp_update`` (plasticity), calling sparsecore where the layer calls
brainevent / ``bm.sparse`` / ``bm.event`` / ``bm.jitconn``, and checks it
against a dense NumPy reference.  Where the layer's semantics are stated in
terms of clipping, sparsecore's convention applies: only updated entries are
clipped.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import assert_close

N_PRE, N_POST = 12, 9


def _conn(rng, prob=0.35):
    """A FixedProb-like connection: CSR (indices, indptr) and its dense mask."""
    mask = rng.random((N_PRE, N_POST)) < prob
    mask[2] = False  # an empty row
    rows, cols = np.nonzero(mask)
    indptr = np.searchsorted(rows, np.arange(N_PRE + 1)).astype(np.int32)
    return cols.astype(np.int32), indptr, mask, rows


def _dense_of(weight, rows, cols):
    dense = np.zeros((N_PRE, N_POST))
    dense[rows, cols] = weight
    return dense


def _dense_stdp(W, mask, on_pre, on_post, w_min, w_max):
    """Reference for the layers' stdp_update on a dense matrix (mask: stored entries)."""
    W = np.array(W, np.float64)
    lo = -np.inf if w_min is None else w_min
    hi = np.inf if w_max is None else w_max
    if on_pre is not None:
        hit = mask & (np.asarray(on_pre["spike"]) != 0)[:, None]
        W = np.where(hit, np.clip(W + np.asarray(on_pre["trace"])[None, :], lo, hi), W)
    if on_post is not None:
        hit = mask & (np.asarray(on_post["spike"]) != 0)[None, :]
        W = np.where(hit, np.clip(W + np.asarray(on_post["trace"])[:, None], lo, hi), W)
    return W


# ---------------------------------------------------------------------------
# CSRLinear / EventCSRLinear: forward
# ---------------------------------------------------------------------------

def _csr_layer_update(weight, indices, indptr, x, *, event):
    """``CSRLinear.update`` / ``EventCSRLinear.update`` with ``transpose=True``."""
    fn = sc.binary_csrmv if event else sc.csrmv

    def mv(v):
        return fn(weight, indices, indptr, v, shape=(N_PRE, N_POST), transpose=True)
    if x.ndim == 1:
        return mv(x)
    shapes = x.shape[:-1]
    y = jax.vmap(mv)(x.reshape(-1, x.shape[-1]))
    return y.reshape(shapes + (y.shape[-1],))


@pytest.mark.parametrize("event", [False, True])
@pytest.mark.parametrize("homo", [False, True])
@pytest.mark.parametrize("batch", [(), (2, 2)])
def test_csr_linear_forward(rng, event, homo, batch):
    indices, indptr, mask, rows = _conn(rng)
    weight = 0.7 if homo else rng.normal(size=indices.size).astype(np.float32)
    x = rng.random(batch + (N_PRE,)) < 0.4 if event else rng.normal(size=batch + (N_PRE,))
    x = jnp.asarray(x) if event else jnp.asarray(x, jnp.float32)
    dense = mask * 0.7 if homo else _dense_of(weight, rows, indices)
    out = jax.jit(lambda w, x: _csr_layer_update(w, indices, indptr, x, event=event))(weight, x)
    assert out.shape == batch + (N_POST,)
    assert_close(out, np.asarray(x, np.float64) @ dense)


# ---------------------------------------------------------------------------
# _CSRLayer.stdp_update
# ---------------------------------------------------------------------------

class CSRLayerState:
    """What ``_CSRLayer`` keeps: weight, indices, indptr, and (lazily) the CSC map."""

    def __init__(self, weight, indices, indptr):
        self.weight, self.indices, self.indptr = weight, indices, indptr

    def stdp_update(self, on_pre=None, on_post=None, w_min=None, w_max=None):
        if on_pre is not None:
            spike, trace = on_pre["spike"], on_pre["trace"]
            self.weight = sc.update_csr_on_binary_pre(
                self.weight, self.indices, self.indptr, spike, trace, w_min, w_max,
                shape=(spike.shape[0], trace.shape[0]))
        if on_post is not None:
            if not hasattr(self, "_pre_ids"):
                with jax.ensure_compile_time_eval():
                    self._post_indptr, self._pre_ids, self.w_indices = sc.csr_to_csc_index(
                        self.indptr, self.indices, shape=(N_PRE, N_POST))
            spike, trace = on_post["spike"], on_post["trace"]
            self.weight = sc.update_csr_on_binary_post(
                self.weight, self._pre_ids, self._post_indptr, self.w_indices, trace, spike,
                w_min, w_max, shape=(trace.shape[0], spike.shape[0]))


@pytest.mark.parametrize("bounds", [(None, None), (-0.5, 0.8)])
@pytest.mark.parametrize("spike_dtype", [bool, np.float32])
def test_csr_layer_stdp(rng, bounds, spike_dtype):
    indices, indptr, mask, rows = _conn(rng)
    weight = rng.uniform(-0.5, 0.8, indices.size).astype(np.float32)
    layer = CSRLayerState(jnp.asarray(weight), indices, indptr)
    W = _dense_of(weight, rows, indices)
    for _ in range(2):
        on_pre = {"spike": (rng.random(N_PRE) < 0.4).astype(spike_dtype),
                  "trace": rng.normal(scale=0.3, size=N_POST).astype(np.float32)}
        on_post = {"spike": (rng.random(N_POST) < 0.4).astype(spike_dtype),
                   "trace": rng.normal(scale=0.3, size=N_PRE).astype(np.float32)}
        layer.stdp_update(on_pre, on_post, *bounds)
        W = _dense_stdp(W, mask, on_pre, on_post, *bounds)
    assert_close(layer.weight, W[rows, indices])


def test_csr_layer_stdp_jitted_and_donated(rng):
    """The same step under jit with the weight donated, inside lax.scan."""
    indices, indptr, mask, rows = _conn(rng)
    weight = rng.uniform(0, 1, indices.size).astype(np.float32)
    post_indptr, pre_ids, w_indices = sc.csr_to_csc_index(indptr, indices, shape=(N_PRE, N_POST))
    pre_spikes = rng.random((5, N_PRE)) < 0.3
    post_spikes = rng.random((5, N_POST)) < 0.3
    traces_pre = rng.normal(scale=0.1, size=(5, N_PRE)).astype(np.float32)
    traces_post = rng.normal(scale=0.1, size=(5, N_POST)).astype(np.float32)

    def body(w, xs):
        s_pre, s_post, t_pre, t_post = xs
        w = sc.update_csr_on_binary_pre(w, indices, indptr, s_pre, t_post, 0.0, 1.0,
                                        shape=(N_PRE, N_POST))
        w = sc.update_csr_on_binary_post(w, pre_ids, post_indptr, w_indices, t_pre, s_post,
                                         0.0, 1.0, shape=(N_PRE, N_POST))
        return w, None

    run = jax.jit(lambda w: jax.lax.scan(body, w, (pre_spikes, post_spikes, traces_pre,
                                                   traces_post))[0], donate_argnums=0)
    out = run(jnp.array(weight))
    W = _dense_of(weight, rows, indices)
    for t in range(5):
        W = _dense_stdp(W, mask, {"spike": pre_spikes[t], "trace": traces_post[t]},
                        {"spike": post_spikes[t], "trace": traces_pre[t]}, 0.0, 1.0)
    assert_close(out, W[rows, indices])


# ---------------------------------------------------------------------------
# Dense / AllToAll / MaskedLinear stdp_update
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("masked", [False, True])
def test_dense_layer_stdp(rng, masked):
    """``Dense.stdp_update`` / ``AllToAll`` (full) and ``MaskedLinear`` (weight * mask)."""
    W0 = rng.uniform(-1, 1, (N_PRE, N_POST)).astype(np.float32)
    mask = rng.random((N_PRE, N_POST)) < 0.5 if masked else np.ones((N_PRE, N_POST), bool)
    W = jnp.asarray(W0)
    ref = W0.astype(np.float64)
    for _ in range(3):
        on_pre = {"spike": rng.random(N_PRE) < 0.4,
                  "trace": rng.normal(scale=0.3, size=N_POST).astype(np.float32)}
        on_post = {"spike": rng.random(N_POST) < 0.4,
                   "trace": rng.normal(scale=0.3, size=N_PRE).astype(np.float32)}
        W = sc.update_dense_on_binary_pre(W, on_pre["spike"], on_pre["trace"], -0.9, 0.9)
        W = sc.update_dense_on_binary_post(W, on_post["trace"], on_post["spike"], -0.9, 0.9)
        ref = _dense_stdp(ref, np.ones_like(mask), on_pre, on_post, -0.9, 0.9)
    assert_close(W, ref)
    # MaskedLinear.update: x @ (weight * mask)
    x = rng.normal(size=(3, N_PRE)).astype(np.float32)
    assert_close(x @ (W * mask), x @ (ref * mask))


# ---------------------------------------------------------------------------
# JitFP*Linear / EventJitFP*Linear: forward on generated connectivity
# ---------------------------------------------------------------------------

_JITC = ["jithmv", "binary_jithmv", "jitnmv", "binary_jitnmv", "jitumv", "binary_jitumv"]


def _jitc_available():
    return all(hasattr(sc, name) for name in _JITC + ["jith", "jitn", "jitu"])


@pytest.mark.skipif(not _jitc_available(),
                    reason="generated-connectivity functions (sc.jith/jitn/jitu) not exported")
@pytest.mark.parametrize("kind, params, transpose", [("h", (0.6,), False), ("h", (0.6,), True),
                                                     ("n", (0.2, 0.5), True),
                                                     ("u", (-0.3, 0.9), False)])
@pytest.mark.parametrize("event", [False, True])
def test_jitc_linear_forward(rng, kind, params, event, transpose):
    """``JitFP{Homo,Normal,Uniform}Linear.update`` and their Event variants.

    The layer calls ``mv_prob_*(x, *weights, prob, seed, shape=(num_out, num_in),
    transpose=...)`` on 1-D inputs and vmaps it over leading batch axes; its
    ``get_conn_matrix`` is the dense matrix, our oracle.
    """
    num_in, num_out, prob, seed = 11, 7, 0.3, 1234
    shape = (num_out, num_in)
    mv = getattr(sc, f"{'binary_' if event else ''}jit{kind}mv")
    M = np.asarray(getattr(sc, f"jit{kind}")(*params, prob, seed, shape=shape,
                                             transpose=transpose), np.float64)
    length = num_out if transpose else num_in

    def update(x):
        fn = lambda v: mv(*params, prob, v, seed, shape=shape, transpose=transpose)
        if x.ndim == 1:
            return fn(x)
        flat = x.reshape(-1, x.shape[-1])
        y = jax.vmap(fn)(flat)
        return y.reshape(x.shape[:-1] + (y.shape[-1],))

    for batch in [(), (2, 3)]:
        if event:
            x = jnp.asarray(rng.random(batch + (length,)) < 0.5)
        else:
            x = jnp.asarray(rng.normal(size=batch + (length,)), jnp.float32)
        out = jax.jit(update)(x)
        assert_close(out, np.asarray(x, np.float64) @ M.T)
