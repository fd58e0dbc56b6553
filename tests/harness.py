"""Format-generic oracle checks for sparsecore matrices.

Every check takes a matrix object ``M`` (any :class:`sparsecore.SparseMatrix`)
and the dense ``numpy`` array it is supposed to equal, and compares what the
matrix computes with the same computation on the dense array in float64:

* :func:`check_todense` -- ``M.todense()`` against the oracle;
* :func:`check_matmul` -- ``M @ x`` and ``x @ M`` for float vectors and
  matrices and for bool spike vectors and matrices, eager and jitted;
* :func:`check_grads` -- ``grad``, ``jacfwd`` and ``jacrev`` of the products
  with respect to the stored values and the dense operand;
* :func:`check_vmap` -- ``vmap`` over the operand (``in_axes`` 0, 1 and 2,
  ``out_axes`` 1, nested) against a Python loop;
* :func:`check_vmap_data` -- ``vmap`` over the values against a Python loop.

Every format runs the same checks.  What is format-specific is passed in:

* ``values`` -- the differentiable (and vmappable) values of ``M``, any pytree
  (default ``M.data``); generated matrices pass their weight parameters;
* ``rebuild(M, values)`` -- ``M`` with other values (default ``M.with_data``);
* ``dense_of(values)`` -- the dense matrix as a function of the values, the
  oracle of the derivative and values-vmap checks (default
  ``rebuild(M, values).todense()``);
* ``tol`` -- an ``(rtol, atol)`` pair where a test asks for a tighter (or
  differently shaped) tolerance than :func:`tolerance` of the dtype;
* ``sides`` / ``kinds`` -- a subset of the products, where a format compiles a
  kernel variant per operand kind and the test budget keeps to the ones needed.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

__all__ = ["tolerance", "assert_close", "random_sparse", "operands", "product", "dense_product",
           "check_todense", "check_matmul", "check_grads", "check_vmap", "check_vmap_data",
           "SIDES", "BACKENDS", "EAGER_KINDS"]

SIDES = ("right", "left")  # right: M @ x; left: x @ M
BACKENDS = ("jax", "numba")  # every product is checked on each (the `backend` fixture)

_TOL = {
    np.dtype(np.float64): (1e-12, 1e-12),
    np.dtype(np.float32): (1e-5, 1e-5),
    np.dtype(jnp.float16): (1e-2, 2e-2),
    np.dtype(jnp.bfloat16): (5e-2, 1e-1),
}


def tolerance(dtype) -> tuple[float, float]:
    """(rtol, atol) for results computed in ``dtype``."""
    return _TOL[np.dtype(dtype)]


def assert_close(actual, expected, dtype=None, *, err_msg="", tol=None):
    """``actual`` equals ``expected`` within the tolerance of ``dtype`` (default: actual's),
    or within ``tol=(rtol, atol)`` when given."""
    actual = np.asarray(actual)
    dtype = np.dtype(dtype if dtype is not None else actual.dtype)
    rtol, atol = tolerance(dtype) if tol is None else tol
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


def check_todense(M, expected, *, jit=True, tol=None):
    """``M.todense()`` (eager and jitted) equals ``expected``; shape/dtype/ndim agree."""
    expected = np.asarray(expected)
    assert M.shape == expected.shape and isinstance(M.shape, tuple)
    assert M.ndim == 2
    out = M.todense()
    assert out.dtype == M.dtype
    assert_close(out, expected, M.dtype, tol=tol)
    if jit:
        assert_close(jax.jit(lambda A: A.todense())(M), expected, M.dtype, tol=tol)


EAGER_KINDS = ("float_vector", "bool_matrix")


def check_matmul(M, expected, rng, *, backend=None, jit=True, kinds=None, eager=EAGER_KINDS,
                 sides=SIDES, tol=None):
    """``M @ x`` and ``x @ M`` for every operand kind against the dense oracle.

    All products run in one jitted function taking ``M`` as an argument (one
    compilation); the kinds named in ``eager`` (all with ``eager="all"``) also
    run eagerly, each of which compiles on its own.
    """
    expected = np.asarray(expected, dtype=np.float64)
    m, n = M.shape
    dtype = M.dtype
    cases = []
    for side in sides:
        ops = operands(rng, n if side == "right" else m, dtype)
        cases += [(side, kind, x) for kind, x in ops.items() if kinds is None or kind in kinds]
    for side, kind, x in cases:
        if not jit or eager == "all" or kind in eager:
            got = product(M, x, side, backend)
            assert got.dtype == dtype, (kind, side, got.dtype)
            assert_close(got, dense_product(expected, x, side), dtype, tol=tol,
                         err_msg=f"{side} {kind} backend={backend}")
    if jit:
        f = jax.jit(lambda A, xs: [product(A, x, side, backend)
                                   for (side, _, _), x in zip(cases, xs)])
        for (side, kind, x), got in zip(cases, f(M, [c[2] for c in cases])):
            assert got.dtype == dtype, (kind, side, got.dtype)
            assert_close(got, dense_product(expected, x, side), dtype, tol=tol,
                         err_msg=f"jit {side} {kind} backend={backend}")


def _with_data(M, values):
    return M.with_data(values)


def _hooks(M, values, rebuild, dense_of):
    """The values of ``M``, ``rebuild`` and ``dense_of`` with their defaults filled in."""
    values = M.data if values is None else values
    rebuild = rebuild or _with_data
    dense_of = dense_of or (lambda v: rebuild(M, v).todense())
    return values, rebuild, dense_of


def _select(ops, kinds):
    return {k: x for k, x in ops.items() if kinds is None or k in kinds}


def check_grads(M, rng, *, backend=None, values=None, rebuild=None, dense_of=None, sides=SIDES,
                kinds=None, modes=("grad", "fwd", "rev"), tol=None):
    """Derivatives of the products w.r.t. the values and the operand vs the dense computation.

    ``dense_of(values)`` builds the dense matrix from the values with plain jnp
    operations (or the format's own ``todense``); it is differentiated as the
    oracle.  For each side, every derivative of every operand kind and its oracle
    are computed in one jitted function: one compilation per side.
    """
    values, rebuild, dense_of = _hooks(M, values, rebuild, dense_of)
    m, n = M.shape
    for side in sides:
        ops = _select(operands(rng, n if side == "right" else m, M.dtype), kinds)

        def derivatives(values, ops, make):
            out = {}
            for kind, x in ops.items():
                event = x.dtype == np.bool_
                fn = make(x, event)
                xf = x.astype(M.dtype)
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
            return lambda values, v: product(rebuild(M, values), x if event else v, side,
                                             backend)

        def make_dense(x, event):
            def fn(values, v):
                D = dense_of(values)
                return D @ v if side == "right" else _as_left(v) @ D
            return fn

        got, want = jax.jit(lambda vals, ops: (derivatives(vals, ops, make_sparse),
                                               derivatives(vals, ops, make_dense)))(values, ops)
        assert got.keys() == want.keys()
        for key in got:
            jax.tree_util.tree_map(
                lambda g, w: assert_close(g, w, M.dtype, tol=tol,
                                          err_msg=f"{key} backend={backend}"),
                got[key], want[key])


def check_vmap(M, expected, rng, *, backend=None, batch=4, sides=SIDES,
               kinds=("float", "bool"), matrices=True, eager=True, tol=None):
    """``vmap`` over the operand (in_axes 0, 1, 2, out_axes 1, and nested) against a
    Python loop.

    Float and bool operands (``kinds``), vectors and (unless ``matrices=False``)
    matrices; one eager ``vmap``
    per side (of the last kind; none with ``eager=False``), the rest inside one jitted
    function per side.
    """
    expected = np.asarray(expected, dtype=np.float64)
    m, n = M.shape
    dtype = M.dtype
    for side in sides:
        k = n if side == "right" else m

        def f(v):
            return product(M, v, side, backend)

        inputs, loops = {}, {}
        for is_bool in [kind == "bool" for kind in kinds]:
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
                out[tag, "vector axis 1, out 1"] = jax.vmap(f, in_axes=1, out_axes=1)(xs.T)
                for axis in (0, 1, 2) if matrices else ():
                    out[tag, f"matrix axis {axis}"] = jax.vmap(f, in_axes=axis)(
                        jnp.moveaxis(xm, 0, axis))
                # nested: outer over axis 1 of (b1, b2, k), inner over axis 0
                out[tag, "nested"] = jax.vmap(jax.vmap(f, in_axes=0), in_axes=1)(xn)
            return out

        got = jax.jit(batched)(inputs)
        for tag in inputs:
            vec, mat, nested = loops[tag]
            assert_close(got[tag, "vector axis 0"], vec, dtype, tol=tol, err_msg=f"{side} {tag}")
            assert_close(got[tag, "vector axis 1"], vec, dtype, tol=tol, err_msg=f"{side} {tag}")
            assert_close(got[tag, "vector axis 1, out 1"], vec.T, dtype, tol=tol,
                         err_msg=f"{side} {tag} out_axes=1")
            for axis in (0, 1, 2) if matrices else ():
                assert_close(got[tag, f"matrix axis {axis}"], mat, dtype, tol=tol,
                             err_msg=f"{side} {tag} matrix axis {axis}")
            assert_close(got[tag, "nested"], nested, dtype, tol=tol,
                         err_msg=f"{side} {tag} nested")
        if eager:
            out = jax.vmap(f, in_axes=1)(inputs[tag][0].T)
            assert_close(out, loops[tag][0], dtype, tol=tol, err_msg=f"eager vmap {side} {tag}")


def check_vmap_data(M, rng, *, backend=None, batch=3, values=None, rebuild=None, dense_of=None,
                    stack=None, sides=SIDES, kinds=None, tol=None):
    """``vmap`` over batched values (one weight set per batch member) vs a loop.

    ``stack`` holds the batched values (a pytree like ``values`` with a leading
    axis of ``batch``); by default normal draws of ``M.data``'s shape.
    """
    values, rebuild, dense_of = _hooks(M, values, rebuild, dense_of)
    m, n = M.shape
    if stack is None:
        values = jnp.asarray(values)
        stack = jnp.asarray(rng.normal(size=(batch,) + values.shape), dtype=values.dtype)
    member = lambda b: jax.tree_util.tree_map(lambda s: s[b], stack)  # noqa: E731
    dense = [np.asarray(dense_of(member(b)), np.float64) for b in range(batch)]
    order = ("float_vector", "bool_vector", "float_matrix", "bool_matrix")
    for side in sides:
        ops = operands(rng, n if side == "right" else m, M.dtype)
        xs = [ops[k] for k in order if kinds is None or k in kinds]

        def batched(stack, xs):
            out = [jax.vmap(lambda w: product(rebuild(M, w), x, side, backend))(stack)
                   for x in xs]
            out.append(jax.vmap(lambda w, v: product(rebuild(M, w), v, side, backend))(
                stack, jnp.stack([xs[0]] * batch)))
            return out

        got = jax.jit(batched)(stack, xs)
        for x, g in zip(xs + [xs[0]], got):
            loop = np.stack([dense_product(dense[b], x, side) for b in range(batch)])
            assert_close(g, loop, M.dtype, tol=tol,
                         err_msg=f"vmap data {side} {x.shape} {x.dtype}")
