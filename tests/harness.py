"""Format-generic oracle checks for sparsecore matrices.

Every check takes a matrix object ``M`` (any :class:`sparsecore.SparseMatrix`)
and the dense ``numpy`` array it is supposed to equal, and compares what the
matrix computes with the same computation on the dense array in float64:

* :func:`check_todense` -- ``M.todense()`` against the oracle;
* :func:`check_matmul` -- ``M @ x`` and ``x @ M`` for float vectors and
  matrices and for bool spike vectors and matrices, eager and jitted;
* :func:`check_grads` -- ``grad``, ``jacfwd`` and ``jacrev`` of the products
  with respect to the stored values and the dense operand;
* :func:`check_vmap` -- ``vmap`` over the operand (``in_axes`` 0 and 1, nested)
  and over the stored values, against a Python loop.

Later formats reuse these with their own constructors; anything
format-specific (how stored values map to the dense matrix) is passed in as
``dense_of`` (default: ``M.with_data(values).todense()``).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

__all__ = ["tolerance", "assert_close", "random_sparse", "operands", "product",
           "check_todense", "check_matmul", "check_grads", "check_vmap", "check_vmap_data",
           "SIDES", "EAGER_KINDS"]

SIDES = ("right", "left")  # right: M @ x; left: x @ M

_TOL = {
    np.dtype(np.float64): (1e-12, 1e-12),
    np.dtype(np.float32): (1e-5, 1e-5),
    np.dtype(jnp.float16): (1e-2, 2e-2),
    np.dtype(jnp.bfloat16): (5e-2, 1e-1),
}


def tolerance(dtype) -> tuple[float, float]:
    """(rtol, atol) for results computed in ``dtype``."""
    return _TOL[np.dtype(dtype)]


def assert_close(actual, expected, dtype=None, *, err_msg=""):
    """``actual`` equals ``expected`` within the tolerance of ``dtype`` (default: actual's)."""
    actual = np.asarray(actual)
    dtype = np.dtype(dtype if dtype is not None else actual.dtype)
    rtol, atol = tolerance(dtype)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape, err_msg)
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64),
                               rtol=rtol, atol=atol, err_msg=err_msg)


def random_sparse(rng, shape, density=0.3, *, nnz=None, dtype=np.float32, duplicates=0,
                  unsorted=False, empty_rows=(), empty_cols=()) -> sp.coo_array:
    """A random scipy COO array, optionally with duplicate and out-of-order entries.

    ``nnz`` (distinct entries) overrides ``density``; a fixed count keeps array
    shapes, and so JAX's compilation caches, the same across tests.
    ``duplicates`` extra copies of stored entries are appended (they sum).
    ``empty_rows``/``empty_cols`` are left empty.  Values are drawn away from
    zero so that no stored entry is an accidental zero.
    """
    m, n = shape
    allowed = np.ones(shape, bool)
    allowed[list(empty_rows), :] = False
    allowed[:, list(empty_cols)] = False
    cells = np.flatnonzero(allowed)
    if nnz is None:
        nnz = int(rng.binomial(cells.size, density)) if cells.size else 0
    chosen = np.sort(rng.choice(cells, size=nnz, replace=False)) if nnz else cells[:0]
    rows, cols = np.unravel_index(chosen, shape) if m and n else (chosen, chosen)
    if duplicates and rows.size:
        pick = rng.integers(0, rows.size, size=duplicates)
        rows, cols = np.concatenate([rows, rows[pick]]), np.concatenate([cols, cols[pick]])
    if unsorted and rows.size:
        order = rng.permutation(rows.size)
        rows, cols = rows[order], cols[order]
    values = rng.uniform(0.5, 1.5, rows.size) * rng.choice([-1.0, 1.0], rows.size)
    return sp.coo_array((values.astype(dtype), (rows, cols)), shape=(m, n))


def operands(rng, length: int, dtype, *, batch: int = 3) -> dict:
    """Dense operands contracted over ``length``: float/bool, vector/matrix.

    The bool matrix holds an all-false and (when ``batch`` > 2) an all-true column.
    """
    spikes = rng.random((length, batch)) < 0.4
    spikes[:, 0] = False
    if batch > 2:
        spikes[:, 1] = True
    return {
        "float_vector": jnp.asarray(rng.normal(size=length), dtype=dtype),
        "float_matrix": jnp.asarray(rng.normal(size=(length, batch)), dtype=dtype),
        "bool_vector": jnp.asarray(rng.random(length) < 0.5),
        "bool_matrix": jnp.asarray(spikes),
    }


def _as_left(x):
    """The operand of ``x @ M`` corresponding to a right-hand operand (columns -> rows)."""
    return x.T if x.ndim == 2 else x


def product(M, x, side: str, backend=None):
    """``M @ x`` (side "right") or ``x @ M`` (side "left", ``x`` given column-wise)."""
    if side == "right":
        return M @ x if backend is None else M.dot(x, backend=backend)
    x = _as_left(x)
    return x @ M if backend is None else M.rdot(x, backend=backend)


def dense_product(dense, x, side: str):
    """The float64 oracle of :func:`product`; bool operands count as 0/1."""
    dense = np.asarray(dense, dtype=np.float64)
    x = np.asarray(x).astype(np.float64)
    if side == "right":
        return dense @ x
    return _as_left(x) @ dense


def check_todense(M, expected, *, jit=True):
    """``M.todense()`` (eager and jitted) equals ``expected``; shape/dtype/ndim agree."""
    expected = np.asarray(expected)
    assert M.shape == expected.shape and isinstance(M.shape, tuple)
    assert M.ndim == 2
    out = M.todense()
    assert out.dtype == M.dtype
    assert_close(out, expected, M.dtype)
    if jit:
        assert_close(jax.jit(lambda A: A.todense())(M), expected, M.dtype)


EAGER_KINDS = ("float_vector", "bool_matrix")


def check_matmul(M, expected, rng, *, backend=None, jit=True, kinds=None, eager=EAGER_KINDS):
    """``M @ x`` and ``x @ M`` for every operand kind against the dense oracle.

    All products run in one jitted function taking ``M`` as an argument (one
    compilation); the kinds named in ``eager`` (all with ``eager="all"``) also
    run eagerly, each of which compiles on its own.
    """
    expected = np.asarray(expected, dtype=np.float64)
    m, n = M.shape
    dtype = M.dtype
    cases = []
    for side in SIDES:
        ops = operands(rng, n if side == "right" else m, dtype)
        cases += [(side, kind, x) for kind, x in ops.items() if kinds is None or kind in kinds]
    for side, kind, x in cases:
        if not jit or eager == "all" or kind in eager:
            got = product(M, x, side, backend)
            assert got.dtype == dtype, (kind, side, got.dtype)
            assert_close(got, dense_product(expected, x, side), dtype,
                         err_msg=f"{side} {kind} backend={backend}")
    if jit:
        f = jax.jit(lambda A, xs: [product(A, x, side, backend)
                                   for (side, _, _), x in zip(cases, xs)])
        for (side, kind, x), got in zip(cases, f(M, [c[2] for c in cases])):
            assert got.dtype == dtype, (kind, side, got.dtype)
            assert_close(got, dense_product(expected, x, side), dtype,
                         err_msg=f"jit {side} {kind} backend={backend}")


def _default_dense_of(M):
    return lambda values: M.with_data(values).todense()


def check_grads(M, rng, *, backend=None, dense_of=None, sides=SIDES, modes=("grad", "fwd", "rev")):
    """Derivatives of the products w.r.t. stored values and operand vs the dense computation.

    ``dense_of(values)`` builds the dense matrix from the stored values with
    plain jnp operations; it is differentiated as the oracle.  For each side,
    every derivative of every operand kind is computed in one jitted function
    (and the oracle in another), so a check costs two compilations per side.
    """
    dense_of = dense_of or _default_dense_of(M)
    m, n = M.shape
    for side in sides:
        ops = operands(rng, n if side == "right" else m, M.dtype)

        def derivatives(values, ops, make):
            out = {}
            for kind, x in ops.items():
                event = x.dtype == np.bool_
                fn = make(x, event)
                xf = x.astype(values.dtype)
                for arg in ((0,) if event else (0, 1)):
                    key = f"{side} {kind} wrt {'values' if arg == 0 else 'operand'}"
                    if "grad" in modes:
                        out["grad " + key] = jax.grad(
                            lambda a, b: (fn(a, b) ** 2).sum() / 2, argnums=arg)(values, xf)
                    if "fwd" in modes:
                        out["jacfwd " + key] = jax.jacfwd(fn, argnums=arg)(values, xf)
                    if "rev" in modes:
                        out["jacrev " + key] = jax.jacrev(fn, argnums=arg)(values, xf)
            return out

        def make_sparse(x, event):
            return lambda values, v: product(M.with_data(values), x if event else v, side,
                                             backend)

        def make_dense(x, event):
            def fn(values, v):
                D = dense_of(values)
                return D @ v if side == "right" else _as_left(v) @ D
            return fn

        got = jax.jit(lambda vals, ops: derivatives(vals, ops, make_sparse))(M.data, ops)
        want = jax.jit(lambda vals, ops: derivatives(vals, ops, make_dense))(M.data, ops)
        assert got.keys() == want.keys()
        for key in got:
            assert_close(got[key], want[key], M.dtype, err_msg=f"{key} backend={backend}")


def check_vmap(M, expected, rng, *, backend=None, batch=4, sides=SIDES):
    """``vmap`` over the operand (in_axes 0, 1, 2 and nested) against a Python loop.

    Float and bool operands, vectors and matrices; one eager ``vmap`` per side,
    the rest inside one jitted function per side.
    """
    expected = np.asarray(expected, dtype=np.float64)
    m, n = M.shape
    dtype = M.dtype
    for side in sides:
        k = n if side == "right" else m

        def f(v):
            return product(M, v, side, backend)

        inputs, loops = {}, {}
        for is_bool in (False, True):
            def draw(shape):
                return (jnp.asarray(rng.random(shape) < 0.4) if is_bool
                        else jnp.asarray(rng.normal(size=shape), dtype=dtype))
            tag = "bool" if is_bool else "float"
            xs = draw((batch, k))  # a batch of vectors, batch axis first
            xm = draw((batch, k, 2))  # a batch of matrices
            xn = draw((2, 3, k))  # for nested vmap
            inputs[tag] = (xs, xm, xn)
            loops[tag] = (
                np.stack([dense_product(expected, xs[b], side) for b in range(batch)]),
                np.stack([dense_product(expected, xm[b], side) for b in range(batch)]),
                np.stack([np.stack([dense_product(expected, xn[i, j], side) for i in range(2)])
                          for j in range(3)]),
            )

        def batched(inputs):
            out = {}
            for tag, (xs, xm, xn) in inputs.items():
                out[tag, "vector axis 0"] = jax.vmap(f, in_axes=0)(xs)
                out[tag, "vector axis 1"] = jax.vmap(f, in_axes=1)(xs.T)
                for axis in (0, 1, 2):
                    out[tag, f"matrix axis {axis}"] = jax.vmap(f, in_axes=axis)(
                        jnp.moveaxis(xm, 0, axis))
                # nested: outer over axis 1 of (b1, b2, k), inner over axis 0
                out[tag, "nested"] = jax.vmap(jax.vmap(f, in_axes=0), in_axes=1)(xn)
            return out

        got = jax.jit(batched)(inputs)
        for tag in inputs:
            vec, mat, nested = loops[tag]
            assert_close(got[tag, "vector axis 0"], vec, dtype, err_msg=f"{side} {tag}")
            assert_close(got[tag, "vector axis 1"], vec, dtype, err_msg=f"{side} {tag}")
            for axis in (0, 1, 2):
                assert_close(got[tag, f"matrix axis {axis}"], mat, dtype,
                             err_msg=f"{side} {tag} matrix axis {axis}")
            assert_close(got[tag, "nested"], nested, dtype, err_msg=f"{side} {tag} nested")
        eager = jax.vmap(f, in_axes=1)(inputs["bool"][0].T)
        assert_close(eager, loops["bool"][0], dtype, err_msg=f"eager vmap {side}")


def check_vmap_data(M, rng, *, backend=None, batch=3, dense_of=None, sides=SIDES):
    """``vmap`` over batched stored values (one weight set per batch member) vs a loop."""
    dense_of = dense_of or _default_dense_of(M)
    m, n = M.shape
    values = jnp.asarray(M.data)
    stack = jnp.asarray(rng.normal(size=(batch,) + values.shape), dtype=values.dtype)
    dense = [np.asarray(dense_of(stack[b]), np.float64) for b in range(batch)]
    for side in sides:
        ops = operands(rng, n if side == "right" else m, M.dtype)
        xs = [ops[k] for k in ("float_vector", "bool_vector", "float_matrix", "bool_matrix")]

        def batched(stack, xs):
            out = [jax.vmap(lambda w: product(M.with_data(w), x, side, backend))(stack)
                   for x in xs]
            out.append(jax.vmap(lambda w, v: product(M.with_data(w), v, side, backend))(
                stack, jnp.stack([xs[0]] * batch)))
            return out

        got = jax.jit(batched)(stack, xs)
        for x, g in zip(xs + [xs[0]], got):
            loop = np.stack([dense_product(dense[b], x, side) for b in range(batch)])
            assert_close(g, loop, M.dtype, err_msg=f"vmap data {side} {x.shape} {x.dtype}")
