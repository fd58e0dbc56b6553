"""Property suite: random matrices of every class against entry-level oracles.

Hypothesis draws matrices of every class with index arrays of every integer
dtype (int8 ... uint64, as NumPy or JAX arrays), degenerate shapes (0-sized
dimensions, zero entries, empty rows), duplicate and unsorted entries, and
values, operands, traces and bounds that may be NaN or infinite.  Every public
operation runs on both backends, eagerly and under ``jax.jit``, and must match
an oracle that visits the stored entries one by one in float64 (a dense
product would turn ``0 * inf`` at an absent entry into NaN), and the backends
must agree with each other, NaN for NaN and inf for inf.  A second property
draws bad inputs and checks the typed error each gets, eagerly and under jit.

Settings are derandomised (the same examples on every run) and the shape and
size palettes are small, so compiled programs are shared between examples.
"""
from __future__ import annotations

import re
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from harness import assert_close

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

SETTINGS = dict(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=list(hypothesis.HealthCheck),
                phases=[p for p in hypothesis.Phase if p.name != "explain"])
STORED = (sc.CSR, sc.CSC, sc.FixedPostNumConn, sc.FixedPreNumConn)
GENERATED = (sc.JITCHomoR, sc.JITCHomoC, sc.JITCNormalR, sc.JITCNormalC, sc.JITCUniformR,
             sc.JITCUniformC)
INDEX_DTYPES = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                np.uint64)
JAX_INDEX_DTYPES = (np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32)  # no x64
SHAPES = ((0, 3), (3, 0), (0, 0), (1, 1), (1, 5), (4, 3), (5, 5))  # a small palette
COUNTS = (0, 1, 4, 9)
SPECIALS = (np.nan, np.inf, -np.inf, 0.0, -0.0)
BACKENDS = ("jax", "numba")


def floats(special: bool):
    finite = st.floats(-4, 4, width=32)
    return st.one_of(finite, st.sampled_from(SPECIALS)) if special else finite


def float_arrays(draw, shape, special):
    size = int(np.prod(shape))
    return np.asarray(draw(st.lists(floats(special), min_size=size, max_size=size)),
                      np.float32).reshape(shape)


def as_index(draw, values):
    """``values`` in a random integer dtype, as a NumPy or a JAX array."""
    dtype = draw(st.sampled_from(INDEX_DTYPES))
    values = np.asarray(values).astype(dtype)
    if dtype in JAX_INDEX_DTYPES and draw(st.booleans()):
        return jnp.asarray(values)
    return values


@st.composite
def stored_matrices(draw, special=None):
    """``(W, rows, cols, values)``: a matrix and the matrix position and value of each entry."""
    cls = draw(st.sampled_from(STORED))
    shape = draw(st.sampled_from(SHAPES))
    lines, length = cls._line_view(shape)
    special = draw(st.booleans()) if special is None else special
    if cls in (sc.CSR, sc.CSC):
        count = draw(st.sampled_from(COUNTS)) if lines and length else 0
        line = np.asarray(draw(st.lists(st.integers(0, max(lines - 1, 0)), min_size=count,
                                        max_size=count)), np.int64)
        pos = np.asarray(draw(st.lists(st.integers(0, max(length - 1, 0)), min_size=count,
                                       max_size=count)), np.int64)  # duplicates likely
        shuffle = np.asarray(draw(st.permutations(range(count))), np.int64)
        order = np.lexsort((shuffle, line))  # grouped by line, unsorted within each
        line, pos = line[order], pos[order]
        indptr = np.searchsorted(line, np.arange(lines + 1))
        buffers = (as_index(draw, pos), as_index(draw, indptr))
    else:
        n_conn = draw(st.sampled_from((0, 1, 3))) if length else 0
        table = np.asarray(draw(st.lists(st.integers(0, max(length - 1, 0)),
                                         min_size=lines * n_conn, max_size=lines * n_conn)),
                           np.int64).reshape(lines, n_conn)
        line, pos = np.repeat(np.arange(lines), n_conn), table.reshape(-1)
        count = line.size
        buffers = (as_index(draw, table),)
    homogeneous = count > 1 and draw(st.booleans())
    if homogeneous:
        data = float_arrays(draw, (1,), special)
        values = np.broadcast_to(data, (count,))
    else:
        data = float_arrays(draw, (count,), special)
        values = data
        if cls not in (sc.CSR, sc.CSC):
            data = data.reshape(buffers[0].shape)
    W = cls((jnp.asarray(data),) + buffers, shape=shape)
    rows, cols = (line, pos) if cls._axis == 0 else (pos, line)
    return W, rows, cols, np.asarray(values, np.float64)


# ---------------------------------------------------------------------------
# entry-level oracles (float64)
# ---------------------------------------------------------------------------

# the oracles compute with NaN and inf on purpose
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


def oracle_dense(shape, rows, cols, values):
    out = np.zeros(shape)
    np.add.at(out, (rows, cols), values)
    return out


def oracle_dot(n_out, out_index, in_index, values, x, event):
    """``y[out_index[k]] += values[k] * x[in_index[k]]`` (events: ``values[k]`` if active)."""
    x = np.asarray(x, np.float64)
    out = np.zeros((n_out,) + x.shape[1:])
    gathered = x[in_index]
    w = values.reshape((-1,) + (1,) * (x.ndim - 1))
    contrib = np.where(gathered > 0, w, 0.0) if event else w * gathered
    np.add.at(out, out_index, contrib)
    return out


def oracle_update(values, who, other, spike, trace, lo, hi):
    out = values.copy()
    hit = np.asarray(spike)[who].astype(bool)
    lo = -np.inf if lo is None else lo
    hi = np.inf if hi is None else hi
    new = np.minimum(np.maximum(values + np.asarray(trace, np.float64)[other], lo), hi)
    out[hit] = new[hit]
    return out


def products(W, operands, backend):
    """Every product of ``W`` with the operands, on one backend."""
    v, u, s, t, X, U = operands
    out = {"W@v": W.dot(v, backend=backend), "u@W": W.rdot(u, backend=backend),
           "W@s": W.dot(s, backend=backend), "t@W": W.rdot(t, backend=backend)}
    if X is not None:  # the generated matrices skip these: compiling them is slow
        out.update({"W@X": W.dot(X, backend=backend), "U@W": W.rdot(U, backend=backend)})
    if W._entries_stored:  # per-synapse products, in storage order
        out["yw"] = W.yw_to_w(u, backend=backend).reshape(-1)
        out["ywT"] = W.yw_to_w_transposed(v, backend=backend).reshape(-1)
    return out


def product_oracles(shape, rows, cols, values, operands, *, stored=True):
    v, u, s, t, X, U = operands
    m, n = shape
    out = {"W@v": oracle_dot(m, rows, cols, values, v, False),
           "u@W": oracle_dot(n, cols, rows, values, u, False),
           "W@s": oracle_dot(m, rows, cols, values, s, True),
           "t@W": oracle_dot(n, cols, rows, values, t, True)}
    if X is not None:
        out.update({"W@X": oracle_dot(m, rows, cols, values, X, False),
                    "U@W": oracle_dot(n, cols, rows, values, np.asarray(U).T, False).T})
    if stored:
        out["yw"] = values * np.asarray(u, np.float64)[rows]
        out["ywT"] = values * np.asarray(v, np.float64)[cols]
    return out


def draw_operands(draw, shape, special):
    m, n = shape
    return (jnp.asarray(float_arrays(draw, (n,), special)),
            jnp.asarray(float_arrays(draw, (m,), special)),
            jnp.asarray(np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)),
            jnp.asarray(np.asarray(draw(st.lists(st.booleans(), min_size=m, max_size=m)), bool)),
            jnp.asarray(float_arrays(draw, (n, 2), special)),
            jnp.asarray(float_arrays(draw, (2, m), special)))


TOL = (1e-5, 1e-4)  # float32 sums of up to 9 products of magnitude <= 16


def assert_same(results, oracles, where):
    for key, want in oracles.items():
        assert_close(results[key], want, tol=TOL, err_msg=f"{where}: {key}")


def assert_backends_identical(out):
    """Both backends: NaN where the other has NaN, the same infinities, close elsewhere."""
    for key in out["jax"]:
        a, b = np.asarray(out["jax"][key]), np.asarray(out["numba"][key])
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=key)
        np.testing.assert_array_equal(np.isinf(a) * np.sign(a), np.isinf(b) * np.sign(b),
                                      err_msg=key)
        assert_close(a, b, tol=TOL, err_msg=key)


def all_products(W, operands):
    return {b: products(W, operands, b) for b in BACKENDS}


def conversions(W, scale):
    """The dense forms of ``W`` and of what converts or scales it (no backend involved)."""
    return {"todense": W.todense(), "T": W.T.todense().T, "tocsr": W.tocsr().todense(),
            "tocsc": W.tocsc().todense(), "W * dense": (W * scale).todense()}


def updates(W, backend, pre, post_trace, pre_trace, post, lo, hi):
    """Both plasticity updates on one backend; the new values in storage order."""
    return {"pre": W.update_on_pre(pre, post_trace, lo, hi, backend=backend).data,
            "post": W.with_column_index().update_on_post(pre_trace, post, lo, hi,
                                                         backend=backend).data}


def all_updates(W, *args):
    return {b: updates(W, b, *args) for b in BACKENDS}


# defined once, so examples with the same array shapes share one compiled program
jitted_products = jax.jit(all_products)
jitted_updates = jax.jit(all_updates)
jitted_conversions = jax.jit(conversions)


# ---------------------------------------------------------------------------
# stored matrices: every op, both backends, eager and jitted
# ---------------------------------------------------------------------------

BOUNDS = st.sampled_from((None, -0.5, 0.5, np.nan, np.inf, -np.inf))


@hypothesis.settings(max_examples=60, **SETTINGS)
@hypothesis.given(data=st.data())
def test_stored_matrices_match_the_entry_oracle(data):
    draw = data.draw
    W, rows, cols, values = draw(stored_matrices())
    shape = W.shape
    special = bool(np.isnan(values).any() or np.isinf(values).any()) or draw(st.booleans())
    operands = draw_operands(draw, shape, special)
    # eagerly one backend per example (drawn), both under jit: the suite stays fast
    eager_backend = draw(st.sampled_from(BACKENDS))
    assert W.indices.dtype == jnp.int32
    W.check()
    dense = oracle_dense(shape, rows, cols, values)
    scale = float_arrays(draw, shape, special)
    want = {"todense": dense, "T": dense, "tocsr": dense, "tocsc": dense,
            "W * dense": oracle_dense(shape, rows, cols, values * scale[rows, cols])}
    assert_close(W.todense(), dense, np.float32, err_msg="eager todense")
    for key, got in jitted_conversions(W, jnp.asarray(scale)).items():
        assert_close(got, want[key], np.float32, err_msg=key)

    oracles = product_oracles(shape, rows, cols, values, operands)
    assert_same(products(W, operands, eager_backend), oracles, f"eager {eager_backend}")
    out = jitted_products(W, operands)
    for backend in BACKENDS:
        assert_same(out[backend], oracles, f"jit {backend}")
    assert_backends_identical(out)

    if W.data.size != len(values) or not len(values):
        return  # homogeneous weights cannot change per synapse; nothing to update
    m, n = shape
    lo, hi = draw(BOUNDS), draw(BOUNDS)
    pre, post = operands[3], operands[2]
    pre_trace, post_trace = operands[1], operands[0]

    args = (pre, post_trace, pre_trace, post, lo, hi)
    want = {"pre": oracle_update(values, rows, cols, pre, post_trace, lo, hi),
            "post": oracle_update(values, cols, rows, post, pre_trace, lo, hi)}
    eager = {eager_backend: updates(W, eager_backend, *args)}
    out = jitted_updates(W, *args)
    for where, results in (("eager", eager), ("jit", out)):
        for backend, got in results.items():
            for key in want:
                assert_close(np.asarray(got[key]).reshape(-1), want[key], tol=TOL,
                             err_msg=f"{where} update_on_{key} {backend}")
    assert_backends_identical({b: {k: v.reshape(-1) for k, v in out[b].items()}
                               for b in BACKENDS})


@hypothesis.settings(max_examples=20, **SETTINGS)
@hypothesis.given(data=st.data())
def test_functional_ops_match_the_classes(data):
    """The functional forms over raw buffers (any index dtype) equal the class products."""
    draw = data.draw
    W, rows, cols, values = draw(stored_matrices(special=True))
    if isinstance(W, sc.CSC):
        W = W.tocsr()  # the functional CSR ops take row-compressed buffers
    elif isinstance(W, sc.FixedPreNumConn):
        W = W.T  # fixed_post layout; the transpose of the drawn matrix
        rows, cols = cols, rows
    shape = W.shape
    v, u, s, t, X, U = draw_operands(draw, shape, True)
    dtype = draw(st.sampled_from(INDEX_DTYPES))
    if isinstance(W, sc.CSR):
        buffers = (np.asarray(W.indices).astype(dtype), np.asarray(W.indptr).astype(dtype))
        ops = (sc.csrmv, sc.binary_csrmv, sc.csrmm)
    else:
        buffers = (np.asarray(W.indices).astype(dtype),)
        ops = (sc.fcnmv, sc.binary_fcnmv, sc.fcnmm)
    for backend in BACKENDS:
        for op, x, want in zip(ops, (v, s, X), (W.dot(v, backend=backend),
                                               W.dot(s, backend=backend),
                                               W.dot(X, backend=backend))):
            got = op(W.data, *buffers, x, shape=shape, backend=backend)
            np.testing.assert_array_equal(got, want, err_msg=op.__name__)
        got = (sc.csrmv if isinstance(W, sc.CSR) else sc.fcnmv)(
            W.data, *buffers, u, shape=shape, transpose=True, backend=backend)
        np.testing.assert_array_equal(got, W.rdot(u, backend=backend))


@st.composite
def generated_matrices(draw):
    cls = draw(st.sampled_from(GENERATED))
    shape = draw(st.sampled_from(((0, 3), (4, 3), (5, 5))))
    names = {"Homo": 1, "Normal": 2, "Uniform": 2}[re.sub(r"JITC(\w+?)[RC]$", r"\1",
                                                          cls.__name__)]
    special = draw(st.booleans())
    first = draw(floats(special))
    second = draw(st.floats(0, 2, width=32))  # scale >= 0, high >= low
    params = (first,) if names == 1 else ((first, second) if "Normal" in cls.__name__
                                          else (first, first + second))
    prob = draw(st.sampled_from((0.0, 0.3, 1.0)))
    return cls(params + (prob, draw(st.integers(0, 2 ** 32 - 1))), shape=shape), special


@hypothesis.settings(max_examples=12, **SETTINGS)
@hypothesis.given(data=st.data())
def test_generated_matrices_agree_across_backends(data):
    """Weights may be NaN or inf; the operands stay finite (an absent entry never meets one)."""
    draw = data.draw
    W, special = draw(generated_matrices())
    dense = np.asarray(W.todense(), np.float64)
    rows, cols = np.nonzero((dense != 0) | np.isnan(dense))
    values = dense[rows, cols]
    operands = draw_operands(draw, W.shape, False)[:4] + (None, None)  # finite: see above
    oracles = product_oracles(W.shape, rows, cols, values, operands, stored=False)
    eager_backend = draw(st.sampled_from(BACKENDS))
    assert_same(products(W, operands, eager_backend), oracles, f"eager {eager_backend}")
    out = jitted_products(W, operands)
    for backend in BACKENDS:
        assert_same(out[backend], oracles, f"jit {backend}")
    assert_backends_identical(out)


@hypothesis.settings(max_examples=10, **SETTINGS)
@hypothesis.given(data=st.data())
def test_wide_jax_index_arrays_with_x64(data):
    """int64 and uint64 JAX arrays exist with x64 only: canonical int32, same numbers."""
    W, rows, cols, values = data.draw(stored_matrices(special=False))
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        dtype = data.draw(st.sampled_from((jnp.int64, jnp.uint64)))
        leaves = W.tree_flatten()[0]
        buffers = tuple(jnp.asarray(np.asarray(a), dtype) for a in leaves[1:])
        M = type(W)((jnp.asarray(np.asarray(W.data), jnp.float64),) + buffers, shape=W.shape)
        assert all(a.dtype == jnp.int32 for a in M.tree_flatten()[0][1:])
        traced = jax.jit(lambda *b: type(W)((M.data,) + b, shape=W.shape).todense())(*buffers)
        assert_close(traced, oracle_dense(W.shape, rows, cols, values), np.float32)
    finally:
        jax.config.update("jax_enable_x64", previous)


# ---------------------------------------------------------------------------
# bad inputs: the typed error each one gets, eagerly and under jit
# ---------------------------------------------------------------------------

#: kind -> (error eagerly, message pattern, what a traced build does: "trace" raises the
#: same error while tracing; "run" builds, the numba kernel and check() refuse at run time)
BAD = {
    "index past the end": (sc.SparseFormatError, r"indices contains \d+, outside \[0, \d+\)",
                           "run"),
    "negative index": (sc.SparseFormatError, r"indices contains -\d+, outside", "run"),
    "indptr not starting at 0": (sc.SparseFormatError, "indptr must start at 0", "run"),
    "indptr ending before nnz": (sc.SparseFormatError, "indptr must start at 0 and end at nnz",
                                 "run"),
    "indptr ending past nnz": (sc.SparseFormatError, "indptr must start at 0 and end at nnz",
                               "run"),
    "decreasing indptr": (sc.SparseFormatError, "indptr must be non-decreasing", "run"),
    "float indices": (TypeError, "indices must have an integer dtype, got float", "trace"),
    "bool indices": (TypeError, "indices must have an integer dtype, got bool", "trace"),
    "indices beyond int32": (OverflowError, "indices holds values up to .*, beyond int32",
                             None),
    "data of the wrong length": (ValueError, "data must have one value per stored entry",
                                 "trace"),
    "integer data": (TypeError, "data must be float16, bfloat16, float32 or float64, got int",
                     "trace"),
    "complex data": (TypeError, "data must be float16, bfloat16, float32 or float64, got "
                                "complex", "trace"),
    "indptr of the wrong length": (ValueError, r"indptr must have \d+ entries", "trace"),
}
SEEN: dict[str, set] = {kind: set() for kind in BAD}  # distinct bad inputs tried, per kind


@partial(jax.jit, static_argnames=("shape", "transpose", "backend", "check"))
def traced_product(data, indices, indptr, *, shape, transpose, backend, check):
    """``W @ 1`` (``W.T @ 1``) for a CSR built from traced buffers, checked on request."""
    W = sc.CSR((data, indices, indptr), shape=shape)
    W = W.check() if check else W
    W = W.T if transpose else W
    return W.dot(jnp.ones(W.shape[1]), backend=backend)


NEEDS_ENTRIES = ("index past the end", "negative index", "float indices", "bool indices",
                 "indices beyond int32", "decreasing indptr")


@st.composite
def bad_csr(draw, kind):
    """``(data, indices, indptr, shape)``: valid CSR buffers with the ``kind`` of fault."""
    m = draw(st.sampled_from((3, 5) if kind == "decreasing indptr" else (1, 3, 5)))
    n = draw(st.sampled_from((1, 3, 5)))
    counts = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    if kind in NEEDS_ENTRIES:
        counts[0] = max(counts[0], 1)
    nnz = sum(counts)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    indices = np.asarray(draw(st.lists(st.integers(0, n - 1), min_size=nnz, max_size=nnz)),
                         np.int64)
    data = np.ones(nnz, np.float32)
    k = draw(st.integers(0, max(nnz - 1, 0)))
    by = draw(st.integers(1, 4))
    if kind == "index past the end":
        indices[k] = n - 1 + by
    elif kind == "negative index":
        indices[k] = -by
    elif kind == "indptr not starting at 0":
        indptr[0] = by
    elif kind == "indptr ending before nnz":
        indptr[-1] = nnz - by
    elif kind == "indptr ending past nnz":
        indptr[-1] = nnz + by
    elif kind == "decreasing indptr":
        i = draw(st.integers(1, m - 1))
        indptr[i] = indptr[i + 1] + by  # rises above its successor
    elif kind == "float indices":
        indices = indices.astype(draw(st.sampled_from((np.float32, np.float64))))
    elif kind == "bool indices":
        indices = indices > 0
    elif kind == "indices beyond int32":
        indices[k] = 2 ** 31 - 1 + by
    elif kind == "data of the wrong length":
        data = np.ones(nnz + by + (nnz == 0), np.float32)  # length 1 would be homogeneous
    elif kind == "integer data":
        data = np.ones(nnz, draw(st.sampled_from((np.int8, np.int32, np.int64))))
    elif kind == "complex data":
        data = np.ones(nnz, np.complex64)
    elif kind == "indptr of the wrong length":
        indptr = np.concatenate([indptr, [nnz] * by])
    return data, indices, indptr, (m, n)


@pytest.mark.parametrize("kind", BAD, ids=str)
@hypothesis.settings(max_examples=8, **SETTINGS)
@hypothesis.given(data=st.data(), transpose=st.booleans())
def test_bad_inputs_get_a_typed_error(kind, data, transpose):
    data, indices, indptr, shape = data.draw(bad_csr(kind))
    error, message, traced = BAD[kind]
    SEEN[kind].add((data.tobytes(), str(data.dtype), indices.tobytes(), str(indices.dtype),
                    indptr.tobytes(), shape, transpose))
    with pytest.raises(error, match=f"^CSR: {message}"):
        sc.CSR((data, indices, indptr), shape=shape)
    with pytest.raises(error, match=f"^csrmv: {message}"):
        sc.csrmv(data, indices, indptr, jnp.ones(shape[0] if transpose else shape[1]),
                 shape=shape, transpose=transpose)
    if traced is None:  # such values cannot be a traced int32 array
        return
    arrays = (jnp.asarray(data), jnp.asarray(indices), jnp.asarray(indptr))

    def run(backend, check):
        return jax.block_until_ready(traced_product(*arrays, shape=shape, transpose=transpose,
                                                    backend=backend, check=check))

    if traced == "trace":
        for backend in BACKENDS:
            with pytest.raises(error, match=f"^CSR: {message}"):
                run(backend, False)
        return
    with pytest.raises(jax.errors.JaxRuntimeError, match="indices or indptr point outside"):
        run("numba", False)
    for backend in BACKENDS:  # check() names the problem, whichever backend follows
        with pytest.raises(jax.errors.JaxRuntimeError, match=f"CSR.check: {message}"):
            run(backend, True)
