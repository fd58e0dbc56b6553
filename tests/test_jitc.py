"""Generated connectivity: seed contract, statistics, backends, products, AD, vmap, operators.

Products, derivatives and vmap run the format-generic checks of ``harness``.  A JITC
matrix stores no entries: its ``todense()`` (checked bit for bit against the numba
kernels and the transposed twin) is the oracle, and its values are the weight
parameters (``rebuild`` makes the matrix of other parameters, same prob and seed).
"""
import hashlib

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import BACKENDS, check_grads, check_matmul, check_vmap, check_vmap_data
from sparsecore.kernels import _prng

CLASSES = {("homo", True): sc.JITCHomoR, ("homo", False): sc.JITCHomoC,
           ("normal", True): sc.JITCNormalR, ("normal", False): sc.JITCNormalC,
           ("uniform", True): sc.JITCUniformR, ("uniform", False): sc.JITCUniformC}
WEIGHTS = {"homo": (1.5,), "normal": (0.5, 2.0), "uniform": (-1.0, 3.0)}
PARAMS = {"homo": ("weight",), "normal": ("w_loc", "w_scale"), "uniform": ("w_low", "w_high")}
ALL = list(CLASSES)
# One jitted function per group of checks, shared by every parameterisation: a single
# compilation instead of one eager dispatch (and XLA compilation) per product.
@jax.jit
def _bit_products(W, eye, eye_t):
    return (W.todense(), W.dot(eye, backend="numba"), W.dot(eye, backend="jax"),
            W.T.dot(eye_t, backend="numba"))


def numba_columns(W):
    """``W`` column by column through the numba matvec (one kernel variant per direction)."""
    eye = np.eye(W.shape[1], dtype=W.dtype)
    return np.stack([np.asarray(W.dot(jnp.asarray(e), backend="numba")) for e in eye], axis=1)


@jax.jit
def _dense_views(W, C, x, X):
    return dict(dense=W.todense(), dense_t=W.T.todense(), other=C.todense(), op=W @ x,
                mm=W.dot(X, backend="jax"))


def make(dist, corder, prob=0.2, seed=7, shape=(37, 53), weights=None):
    return CLASSES[(dist, corder)](tuple(weights or WEIGHTS[dist]) + (prob, seed), shape=shape)


def values(W):
    """The harness's values of a JITC matrix: its weight parameters."""
    dist = next(d for (d, _), cls in CLASSES.items() if cls is type(W))
    return tuple(getattr(W, name) for name in PARAMS[dist])


def rebuild(W, weights):
    """The harness's rebuild hook: ``W``'s structure (prob, seed) with other weights."""
    return type(W)(tuple(weights) + (W.prob, W.seed), shape=W.shape)


TOL = (1e-5, 1e-4)  # sums of up to ~50 generated float32 weights of scale ~2


# -- the seed contract ----------------------------------------------------------------------

def test_golden_values():
    assert hashlib.sha256(_prng.log2_table().tobytes()).hexdigest()[:16] == "379ee9c2f1b018d7"
    assert hashlib.sha256(_prng.normal_table().tobytes()).hexdigest()[:16] == "355b4d09f9916208"
    D = np.asarray(sc.JITCNormalR((0., 1., 0.1, 1234), shape=(3, 64)).todense())
    assert np.nonzero(D[0])[0].tolist() == [2, 4, 10, 15, 23, 40, 52]
    assert np.nonzero(D[1])[0].tolist() == [2, 5, 43, 47, 62]
    np.testing.assert_allclose(D[0, [2, 4, 10]], [0.4469664394855499, -0.4485739469528198,
                                                  2.3873164653778076], rtol=1e-6)
    H = np.asarray(sc.JITCHomoR((1., 0.5, 0), shape=(2, 16)).todense())
    assert np.nonzero(H)[1].tolist() == [1, 2, 7, 8, 9, 11, 12, 6, 9, 10, 12, 15]


def test_prefix_stable_and_batch_independent():
    W = make("normal", True, shape=(20, 30))
    X = jnp.asarray(np.random.default_rng(0).normal(size=(30, 4)), jnp.float32)

    @jax.jit
    def run(X):
        dense = [make(d, c, shape=shape).todense()
                 for d, c in (("normal", True), ("uniform", False))
                 for shape in ((37, 53), (20, 30))]
        return dense, W.dot(X, backend="jax"), [W.dot(X[:, b], backend="jax") for b in range(4)]

    (big, small, bigc, smallc), full, columns = run(X)
    np.testing.assert_array_equal(big[:20, :30], small)  # rows kept; columns too (prefix)
    np.testing.assert_array_equal(bigc[:20, :30], smallc)
    for b in range(4):
        np.testing.assert_allclose(columns[b], full[:, b], rtol=1e-5, atol=1e-5)


def test_gap_scale_same_eager_and_jit():
    probs = np.concatenate([np.geomspace(1e-7, 0.5, 300), np.linspace(0.5, 1, 200)])
    eager = np.stack([np.asarray(_prng.gap_scale(p)) for p in probs[::25]])
    jitted = np.asarray(jax.jit(jax.vmap(_prng.gap_scale))(jnp.asarray(probs, jnp.float32)))
    np.testing.assert_array_equal(eager, jitted[::25])


# -- statistics -----------------------------------------------------------------------------

@pytest.mark.parametrize("prob", [1e-4, 0.01, 0.1, 0.5, 0.9, 1.0])
def test_row_counts_binomial(prob):
    n = 50_000 if prob < 1e-3 else 2000
    m = 4000
    W = sc.JITCHomoR((1.0, prob, 11), shape=(m, n))
    counts = np.asarray(W.dot(jnp.ones(n), backend="numba")).astype(np.float64)
    mean, var = n * prob, n * prob * (1 - prob)
    if prob == 1.0:
        assert (counts == n).all()
        return
    # sample mean within 5 standard errors; variance ratio within chi-square bounds
    assert abs(counts.mean() - mean) < 5 * np.sqrt(var / m)
    assert abs(counts.var(ddof=1) / var - 1) < 5 * np.sqrt(2 / m) + 3 / (m * var) ** 0.5
    if prob >= 0.01:  # rows independent: neighbouring row counts uncorrelated
        assert abs(np.corrcoef(counts[:-1], counts[1:])[0, 1]) < 5 / np.sqrt(m)


def test_entries_independent_and_uniform_over_positions():
    W = sc.JITCHomoR((1.0, 0.3, 5), shape=(3000, 40))
    D = np.asarray(W.todense()) != 0
    col = D.mean(axis=0)  # every position equally likely
    assert np.abs(col - 0.3).max() < 5 * np.sqrt(0.3 * 0.7 / 3000)
    both = (D[:, :-1] & D[:, 1:]).mean()  # neighbours independent
    assert abs(both - 0.09) < 5 * np.sqrt(0.09 / D[:, 1:].size)
    rows = (D[:-1] & D[1:]).mean()  # neighbouring rows independent
    assert abs(rows - 0.09) < 5 * np.sqrt(0.09 / D[1:].size)


@pytest.mark.parametrize("dist", ["normal", "uniform"])
def test_weight_moments(dist):
    W = make(dist, True, prob=0.5, shape=(400, 500), weights=(0.5, 2.0))
    mask, values = W._generate()[:2]
    v = np.asarray(values)[np.asarray(mask)].astype(np.float64)
    mean, var = (0.5, 4.0) if dist == "normal" else (1.25, 1.5 ** 2 / 12)
    assert abs(v.mean() - mean) < 5 * np.sqrt(var / v.size)
    assert abs(v.var() / var - 1) < 5 * np.sqrt(2 / v.size) * (1.5 if dist == "normal" else 1)
    if dist == "uniform":
        assert v.min() >= 0.5 and v.max() < 2.0


# -- one matrix everywhere ------------------------------------------------------------------

@pytest.mark.parametrize("dist,corder", ALL)
def test_products_match_dense(dist, corder):
    """Every product, todense, tocsr and the C twin see one matrix; numba and the pure-JAX
    reference generate the same structure and weights, bit for bit."""
    W = make(dist, corder)
    rng = np.random.default_rng(3)
    x = rng.normal(size=53).astype(np.float32)
    X = rng.normal(size=(53, 4)).astype(np.float32)
    C = CLASSES[(dist, not corder)](tuple(WEIGHTS[dist]) + (0.2, 7), shape=(53, 37))
    r = {k: np.asarray(v) for k, v in _dense_views(W, C, x, X).items()}
    D = r["dense"].astype(np.float64)
    # the reference kernels in one jitted function: float and bool vectors, both sides
    check_matmul(W, D, rng, backend="jax", eager=(), tol=TOL,
                 kinds=("float_vector", "bool_vector"))
    np.testing.assert_allclose(r["op"], D @ x, rtol=TOL[0], atol=TOL[1])
    np.testing.assert_allclose(r["mm"], D @ X, rtol=TOL[0], atol=TOL[1])
    np.testing.assert_array_equal(r["dense_t"], r["dense"].T)
    np.testing.assert_array_equal(r["other"], r["dense"].T)
    np.testing.assert_array_equal(np.asarray(W.tocsr().todense()), r["dense"])
    # bit identity: matvec kernels (eager) for every distribution, both directions
    np.testing.assert_array_equal(numba_columns(W), r["dense"])
    np.testing.assert_array_equal(numba_columns(W.T), r["dense"].T)
    if dist == "normal":  # matrix kernels: the generator is shared, one distribution suffices
        D2, numba_mm, jax_mm, numba_t = map(np.asarray, _bit_products(
            W, jnp.eye(53, dtype=jnp.float32), jnp.eye(37, dtype=jnp.float32)))
        np.testing.assert_array_equal(D2, r["dense"])
        np.testing.assert_array_equal(numba_mm, r["dense"])
        np.testing.assert_array_equal(jax_mm, r["dense"])
        np.testing.assert_array_equal(numba_t, r["dense"].T)


def test_numba_products_all_directions(rng):
    """The numba kernels eagerly: float and bool vectors both sides, a bool matrix."""
    W = make("normal", True)
    D = np.asarray(W.todense(), np.float64)
    check_matmul(W, D, rng, backend="numba", jit=False, eager="all", tol=TOL,
                 kinds=("float_vector", "bool_vector"))
    check_matmul(W.T, D.T, rng, backend="numba", jit=False, eager="all", tol=TOL,
                 kinds=("bool_matrix",), sides=("right",))


def test_functional_matches_classes():
    v = jnp.asarray(np.random.default_rng(5).random(53) < 0.5)
    modes = [(corder, transpose) for corder in (True, False) for transpose in (False, True)]

    @jax.jit
    def functional(v):
        return [(sc.jitn(0.5, 2.0, 0.2, 7, shape=(37, 53), transpose=t, corder=c),
                 sc.binary_jitnmv(0.5, 2.0, 0.2, v[:37] if t else v, 7, shape=(37, 53),
                                  transpose=t, corder=c, backend="jax")) for c, t in modes]

    # corder is a kernel layout order: the matrix is the R class's for either value
    M = sc.JITCNormalR((0.5, 2.0, 0.2, 7), shape=(37, 53))
    for (corder, transpose), (dense, product) in zip(modes, functional(v)):
        D = np.asarray(M.todense())
        D = D.T if transpose else D
        np.testing.assert_array_equal(dense, D)
        vec = v if not transpose else v[:37]
        np.testing.assert_allclose(product, D @ vec, rtol=1e-5, atol=1e-4)

    @jax.jit
    def others():
        return (sc.jithmm(2.0, 0.3, jnp.ones((40, 2)), 1, shape=(30, 40), backend="jax"),
                sc.jith(2.0, 0.3, 1, shape=(30, 40)),
                sc.jitumv(0., 1., 0.3, jnp.ones(40), 1, shape=(30, 40), backend="jax"),
                sc.jitu(0., 1., 0.3, 1, shape=(30, 40)))

    hmm, hdense, umv, udense = map(np.asarray, others())
    np.testing.assert_allclose(hmm, hdense @ np.ones((40, 2)), rtol=1e-5)
    np.testing.assert_allclose(umv, udense.sum(1), rtol=1e-5)


def test_degenerate():
    for prob in (0.0, 1.0):
        W = sc.JITCUniformR((1.0, 2.0, prob, 3), shape=(5, 6))
        D = np.asarray(W.todense())
        assert ((D != 0).all() if prob == 1 else (D == 0).all())
        np.testing.assert_allclose(W.dot(jnp.ones(6), backend="numba"), D.sum(1), rtol=1e-6)
    for shape in [(0, 5), (5, 0), (0, 0)]:
        W = sc.JITCNormalR((1.0, 0.5, 0.5, 3), shape=shape)
        # the reference in one jitted function per shape; numba eagerly
        dense, mv, ev = jax.jit(lambda W: (W.todense(), W.dot(jnp.ones(shape[1]), backend="jax"),
                                           W.rdot(jnp.zeros(shape[0], bool), backend="jax")))(W)
        assert dense.shape == shape and mv.shape == (shape[0],) and ev.shape == (shape[1],)
        assert W.dot(jnp.ones(shape[1]), backend="numba").shape == (shape[0],)
        assert W.rdot(jnp.zeros(shape[0], bool), backend="numba").shape == (shape[1],)
    W = make("homo", True)
    assert (np.asarray(W.dot(jnp.zeros(53, bool), backend="jax")) == 0).all()


def test_float64(x64, rng):
    W = sc.JITCNormalR((jnp.float64(0.5), jnp.float64(1.0), 0.2, 7), shape=(20, 30))
    assert W.dtype == jnp.float64
    D = np.asarray(W.todense())
    W32 = sc.JITCNormalR((0.5, 1.0, 0.2, 7), shape=(20, 30))
    np.testing.assert_array_equal(D != 0, np.asarray(W32.todense()) != 0)
    for backend in BACKENDS:
        check_matmul(W, D, rng, backend=backend, jit=False, eager="all", tol=(1e-12, 0.0),
                     kinds=("float_vector",), sides=("right",))
    np.testing.assert_array_equal(numba_columns(W), D)


# -- differentiation and vmap ---------------------------------------------------------------

@pytest.mark.parametrize("corder", [True, False])
def test_gradients(corder, rng):
    """jacfwd / jacrev of ``W @ v`` w.r.t. the weight parameters and ``v``, against the
    same derivatives of ``todense() @ v``; zero gradient in prob; W as a pytree."""
    x = jnp.asarray(np.random.default_rng(6).normal(size=25), jnp.float32)
    cls = CLASSES[("normal", corder)]

    def f(loc, scale, prob, v):
        return cls((loc, scale, prob, 9), shape=(15, 25)).dot(v, backend="jax")

    args = (jnp.float32(0.3), jnp.float32(1.2), jnp.float32(0.4), x)
    W = cls(args[:3] + (9,), shape=(15, 25))
    check_grads(W, rng, backend="jax", values=values(W), rebuild=rebuild, sides=("right",),
                kinds=("float_vector",), modes=("fwd", "rev"), tol=(1e-4, 1e-5))
    # zero gradient in prob; the matrix as a pytree argument; transposed products
    y = jnp.ones(15)

    @jax.jit
    def rest(M):
        g_prob = jax.grad(lambda p: f(args[0], args[1], p, x).sum())(args[2])
        gW = jax.grad(lambda M: (y @ M).sum(), allow_int=True)(M)
        return g_prob, gW.w_loc, gW.w_scale, M.todense()

    g_prob, g_loc, g_scale, D = map(np.asarray, rest(W))
    assert float(g_prob) == 0.0
    mask = D != 0
    z = (D - 0.3) / 1.2
    np.testing.assert_allclose(g_loc, mask.sum(), rtol=1e-5)
    np.testing.assert_allclose(g_scale, z[mask].sum(), rtol=1e-4, atol=1e-4)


def test_gradients_numba_and_uniform_homo():
    x = jnp.asarray(np.random.default_rng(7).normal(size=25), jnp.float32)

    def f(lo, hi, v):
        return sc.jitumv(lo, hi, 0.4, v, 3, shape=(15, 25), backend="numba").sum()

    def g(lo, hi, v):
        return (sc.jitu(lo, hi, 0.4, 3, shape=(15, 25)) @ v).sum()

    got_want = jax.jit(lambda *a: (jax.grad(f, (0, 1, 2))(*a), jax.grad(g, (0, 1, 2))(*a)))(
        -1., 2., x)
    for got, want in zip(*got_want):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    h = lambda w, v: sc.jithmv(w, 0.4, v, 3, shape=(15, 25), backend="jax")
    np.testing.assert_allclose(jax.jit(jax.jacrev(h, (0, 1)))(2.0, x)[1],
                               np.asarray(sc.jith(2.0, 0.4, 3, shape=(15, 25))), rtol=1e-6)


def test_vmap(rng):
    """vmap over float vectors of ``W @ x`` (axis 0, axis 1, out_axes 1, nested) and
    over the weight parameters, against loops; batched seeds; the batching rule
    binds the matrix-matrix primitive."""
    W = make("normal", True, shape=(20, 30))
    D = np.asarray(W.todense())
    X = jnp.asarray(np.random.default_rng(8).normal(size=(4, 30)), jnp.float32)
    check_vmap(W, D, rng, backend="jax", sides=("right",), kinds=("float",), matrices=False,
               eager=False, tol=TOL)
    stack = (jnp.asarray([0.5, -1.0, 2.0], jnp.float32), jnp.asarray([2.0, 0.5, 1.0], jnp.float32))
    check_vmap_data(W, rng, backend="jax", values=values(W), rebuild=rebuild, stack=stack,
                    sides=("right",), kinds=("float_vector",), tol=TOL)
    seeds = jnp.arange(3, dtype=jnp.uint32)

    @jax.jit
    def by_seed(seeds):  # batched seeds fall back to the vmapped reference
        return jax.vmap(lambda s: sc.JITCHomoR((1.0, 0.2, s), shape=(20, 30)).dot(
            jnp.ones(30), backend="jax"))(seeds)

    out = by_seed(seeds)
    jaxpr = str(jax.make_jaxpr(jax.vmap(lambda v: W.dot(v, backend="jax")))(X))
    assert "jitcmm" in jaxpr and "while" not in jaxpr.split("jitcmm")[0][-20:]
    for i in range(3):
        np.testing.assert_allclose(out[i], np.asarray(sc.jith(1.0, 0.2, i, shape=(20, 30))).sum(1))


# -- operators and units --------------------------------------------------------------------

@jax.jit
def _operators(W):
    return [M.todense() for M in (W, -W, W * 2.5, -3.0 * W, W / 4.0, W + W)]


@pytest.mark.parametrize("dist", ["homo", "normal", "uniform"])
def test_linear_operators(dist):
    W = make(dist, True)
    D, neg, times, rtimes, div, add = map(np.asarray, _operators(W))
    np.testing.assert_array_equal(neg, -D)
    # scaling the parameters rounds differently from scaling each entry: ~1 ulp
    tol = dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(times, D * 2.5, **tol)
    np.testing.assert_allclose(rtimes, -3.0 * D, **tol)
    np.testing.assert_allclose(div, D / 4.0, **tol)
    np.testing.assert_allclose(add, 2 * D, **tol)
    with pytest.raises(TypeError, match="todense"):
        abs(W)


def test_units():
    W = sc.JITCNormalR((1.0 * u.mS, 0.1 * u.mS, 0.3, 2), shape=(10, 12))
    D = W.todense()
    assert isinstance(D, u.Quantity) and D.unit == u.mS
    out = W @ (jnp.ones(12) * u.mV)
    assert u.get_unit(out) == u.mS * u.mV
    np.testing.assert_allclose(out.mantissa, D.mantissa.sum(1), rtol=1e-5)
    spikes = W @ jnp.ones(12, bool)
    assert spikes.unit == u.mS
    assert (W * 2).todense().unit == u.mS
    with pytest.raises(u.DimensionMismatchError):
        sc.JITCNormalR((1.0 * u.mS, 0.1 * u.mV, 0.3, 2), shape=(10, 12))


def test_validation_and_seed():
    with pytest.raises(ValueError, match="prob"):
        sc.JITCHomoR((1.0, 1.5, 0), shape=(3, 3))
    with pytest.raises(ValueError, match="w_scale"):
        sc.JITCNormalR((1.0, -0.1, 0.5, 0), shape=(3, 3))
    with pytest.raises(ValueError, match="w_low"):
        sc.JITCUniformC((2.0, 1.0, 0.5, 0), shape=(3, 3))
    with pytest.raises(TypeError, match="seed"):
        sc.JITCHomoR((1.0, 0.5, 1.5), shape=(3, 3))
    with pytest.raises(TypeError, match="JITCHomoR takes"):
        sc.JITCHomoR((1.0, 0.5), shape=(3, 3))
    with pytest.raises(ValueError, match="1-D"):
        sc.jitnmv(1.0, 0.1, 0.5, jnp.ones((3, 3)), 0, shape=(3, 3))
    W = sc.JITCHomoR((1.0, 0.5, None), shape=(8, 8))
    np.testing.assert_array_equal(np.asarray(W.todense()), np.asarray(W.todense()))
    assert W.seed.dtype == jnp.uint32
    assert "JITCHomoR(float32[8, 8]" in repr(W)
    assert W.count_nnz() == int((np.asarray(W.todense()) != 0).sum())
    with pytest.raises(TypeError, match="count_nnz"):
        W.nnz
    leaves, treedef = jax.tree_util.tree_flatten(W)
    assert len(leaves) == 3 and jax.tree_util.tree_unflatten(treedef, leaves).shape == (8, 8)
