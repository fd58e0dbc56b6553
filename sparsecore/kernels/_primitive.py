"""How an operation of the kernel layer is declared.

Every operation is ONE JAX primitive.  :func:`declare` creates it and
registers, in one place: eager dispatch, abstract evaluation, the pure-JAX
reference lowering (every platform; the test oracle), the numba lowering on
CPU, the Pallas lowering (compiled on a GPU, interpret mode elsewhere), JVP
rules per differentiable input, the transpose rule and the batching rule.
The compute backend travels as the static bind parameter ``backend``, chosen
by :func:`resolve_backend` when the public function is called, never read
from a global during lowering.
"""
from __future__ import annotations

import importlib
from functools import partial
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir, xla

from . import _ffi

__all__ = ["declare", "declare_products", "out_length", "product_batchers", "reference_batcher",
           "resolve_backend", "BACKENDS", "NUMBA_DTYPES", "GPU_PLATFORMS"]

BACKENDS = (None, "numba", "pallas", "jax")
NUMBA_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
GPU_PLATFORMS = ("cuda", "rocm")


def resolve_backend(backend, *dtypes, op: str) -> str:
    """The concrete backend (``"numba"``, ``"pallas"`` or ``"jax"``) for one call.

    ``None`` picks numba on CPU and Pallas on a GPU when they are usable for
    these dtypes, the reference otherwise (other platforms too).
    ``"numba"`` or ``"pallas"`` with a dtype their kernels do not cover
    raises; ``"numba"`` where the bridge cannot be set up falls back to
    ``"jax"`` (the bridge has already warned once).  ``"pallas"`` on a host
    without a GPU runs the same kernels in Pallas interpret mode.
    """
    if backend not in BACKENDS:
        raise ValueError(f"{op}: backend={backend!r} is not one of {BACKENDS}; pass None to "
                         "let sparsecore choose, 'numba' for the CPU kernels, 'pallas' for the "
                         "GPU kernels (interpret mode on CPU) or 'jax' for the pure-JAX "
                         "reference.")
    if backend == "jax":
        return "jax"
    unsupported = [np.dtype(d) for d in dtypes if np.dtype(d) not in NUMBA_DTYPES]
    if backend in ("numba", "pallas"):
        if unsupported:
            raise ValueError(f"{op}: backend={backend!r} supports float32 and float64 values, "
                             f"got {unsupported[0].name}; use backend='jax' (or None) for this "
                             f"dtype.")
        if backend == "pallas":
            return "pallas"
        return "numba" if _ffi.numba_available() else "jax"
    platform = jax.default_backend()
    if unsupported:
        return "jax"
    if platform == "gpu" or platform in GPU_PLATFORMS:
        return "pallas"
    if platform != "cpu":
        return "jax"
    return "numba" if _ffi.numba_available() else "jax"


def declare(name: str, *, abstract_eval: Callable, reference: Callable,
            numba_call: Callable | None, jvps: Sequence[Callable | None],
            transpose: Callable | None, batch: Callable, pallas_call: Callable | None = None,
            multiple_results: bool = False) -> Primitive:
    """Create primitive ``name`` and register all of its rules.

    Parameters
    ----------
    abstract_eval : callable
        ``(*avals, **params) -> ShapedArray`` (or a list with ``multiple_results``).
    reference : callable
        Pure-JAX implementation ``(*arrays, **params)``; ``backend`` is not passed.
    numba_call : callable or None
        ``(*arrays, **params)`` traced during CPU lowering when ``backend ==
        "numba"``; it calls a kernel through
        :func:`sparsecore.kernels._ffi.call_kernel`.
    jvps : sequence
        One JVP rule per input (``None`` for non-differentiable inputs), in the
        form of :func:`jax.interpreters.ad.defjvp`.
    transpose : callable or None
        Rule for :data:`jax.interpreters.ad.primitive_transposes`.
    batch : callable
        Rule for :data:`jax.interpreters.batching.primitive_batchers`.
    pallas_call : callable or None
        ``(*arrays, interpret, **params)`` traced during lowering when
        ``backend == "pallas"``; it calls :func:`jax.experimental.pallas.pallas_call`
        with ``interpret`` (False on a GPU, True on every other platform).
        Without it ``"pallas"`` lowers the reference.
    """
    prim = Primitive(name)
    prim.multiple_results = multiple_results
    prim.def_impl(partial(xla.apply_primitive, prim))
    prim.def_abstract_eval(abstract_eval)

    def strip_backend(fn):
        def call(*args, backend, **params):
            return fn(*args, **params)
        return call

    def lowering(numba, interpret):
        def lower(ctx, *args, backend, **params):
            impl = reference
            if backend == "numba" and numba is not None:
                impl = numba
            elif backend == "pallas" and pallas_call is not None:
                impl = partial(pallas_call, interpret=interpret)
            return mlir.lower_fun(partial(impl, **params), multiple_results)(ctx, *args)
        return lower

    # every platform: the reference, or Pallas in interpret mode
    mlir.register_lowering(prim, lowering(None, interpret=True))
    mlir.register_lowering(prim, lowering(numba_call, interpret=True), platform="cpu")
    for platform in GPU_PLATFORMS:
        mlir.register_lowering(prim, lowering(None, interpret=False), platform=platform)
    ad.defjvp(prim, *jvps)
    if transpose is not None:
        ad.primitive_transposes[prim] = transpose
    batching.primitive_batchers[prim] = batch
    return prim


def reference_batcher(reference: Callable) -> Callable:
    """Batching rule that vmaps the pure-JAX reference (vectorised, no Python loop)."""
    def batch(args, dims, *, backend, **params):
        return jax.vmap(partial(reference, **params), in_axes=tuple(dims))(*args), 0
    return batch


def product_batchers(get_mm: Callable[[], Primitive], reference: Callable):
    """Batching rules ``(mv_rule, mm_rule)`` for a matrix-vector / matrix-matrix pair.

    The dense operand is the last input.  When only it is batched, the batch
    becomes extra columns of ONE matrix-matrix product (nested vmaps keep
    folding into columns).  When the matrix's own inputs are batched, the
    reference is vmapped instead.  ``get_mm`` returns the matrix-matrix
    primitive (a thunk, since the pair is declared after its rules).
    """
    fallback = reference_batcher(reference)

    def mv_rule(args, dims, **params):
        if any(d is not None for d in dims[:-1]):
            return fallback(args, dims, **params)
        *matrix, x = args
        return get_mm().bind(*matrix, jnp.moveaxis(x, dims[-1], 1), **params), 1

    def mm_rule(args, dims, **params):
        if any(d is not None for d in dims[:-1]):
            return fallback(args, dims, **params)
        *matrix, x = args
        x = jnp.moveaxis(x, dims[-1], 2)  # (k, b, batch)
        k, b, n_batch = x.shape
        out = get_mm().bind(*matrix, x.reshape(k, b * n_batch), **params)
        return out.reshape(out.shape[0], b, n_batch), 2

    return mv_rule, mm_rule


def out_length(shape, transpose) -> int:
    """Length of ``A @ x`` (``A.T @ x`` when ``transpose``) for ``A`` of ``shape``."""
    return shape[1] if transpose else shape[0]


def _out_shape(x_shape, shape, transpose) -> tuple:
    return (out_length(shape, transpose),) + tuple(x_shape[1:])


def declare_products(mv: tuple[str, str], mm: tuple[str, str], *, family: str,
                     structure: tuple[str, ...], reference: Callable,
                     values_cotangent: Callable, numba_module: str, numba_args: Callable,
                     pallas: Callable | None = None):
    """Declare a matrix-vector / matrix-matrix pair of linear product primitives.

    Both take ``(values, *structure, x)``: the differentiable values first
    (stored weights or weight parameters), the non-differentiable inputs named
    in ``structure`` (indices, seeds, ...), the dense operand ``x`` last; both
    compute ``A @ x`` (``A.T @ x`` with the static ``transpose``) and carry the
    static parameters ``shape``, ``transpose``, ``event`` (``x`` marks active
    inputs) and ``backend``, plus any of the op's own.  Everything that holds
    for every such product is written here, once: the abstract evaluation,
    the JVPs (linear in the values; linear in ``x``), the transpose rule
    (``x``'s cotangent is the transposed product; the structure refuses), the
    batching rules (:func:`product_batchers`) and the FFI call of the numba
    lowering (a matrix operand of one column calls the vector kernel).

    Event products (``event=True``) run forward as events (``x > 0`` active,
    each adding its weight) but differentiate with respect to a float ``x``
    as the float product does: its JVP is ``A @ x_dot`` and its transpose
    ``A.T @ ct``, the straight-through rule of surrogate-gradient training
    (the step ``x > 0`` is the spike function's business, not the product's).
    A bool or integer ``x`` has no tangent: its JVP is zero.

    Parameters
    ----------
    mv, mm : (str, str)
        ``(primitive name, numba kernel name)`` of the vector and matrix forms.
    family : str
        What the products are called in error messages.
    structure : tuple of str
        Names of the structure inputs, for the error a transpose in them raises.
    reference : callable
        ``(values, *structure, x, **params)``: the pure-JAX implementation, for
        ``x`` of shape ``(k,)`` or ``(k, b)`` (``backend`` is not passed).
    values_cotangent : callable
        ``(ct, values_shape, *structure, x, bind, **params)``: the cotangent of
        the values in ``y = A @ x``; ``bind`` binds the same primitive.
    numba_module, numba_args : str, callable
        The module of ``sparsecore.kernels`` holding the numba kernels, and
        ``(kernel_name, values, *structure, x, **params) -> (arrays, flags,
        error)``: the arrays the kernel takes, its static flags and the message
        of its error return.
    pallas : callable or None
        ``(values, *structure, x, *, interpret, **params) -> y``: the product
        as Pallas kernels (the ``pallas_call`` of :func:`declare`, shared by
        both primitives: ``x`` is ``(k,)`` or ``(k, b)``).

    Returns
    -------
    tuple of Primitive
        ``(mv_primitive, mm_primitive)``.
    """
    prims: dict[str, Primitive] = {}
    n_structure = len(structure)
    no_structure = (None,) * n_structure

    def abstract_eval(values, *rest, shape, transpose, **params):
        return jax.core.ShapedArray(_out_shape(rest[-1].shape, shape, transpose), values.dtype)

    def numba_call(kernel_name, vector_kernel_name=None):
        def call(*args, shape, transpose, **params):
            x = args[-1]
            one_column = vector_kernel_name is not None and x.shape[1] == 1
            if one_column:
                # one column is a vector: the vector kernels' loops (event scan,
                # prefetches) beat the matrix kernels' loop over the columns
                # (CSR 10^4 x 100: W @ X 0.96 -> 0.50 ms, X.T @ W 1.5 -> 0.68 ms)
                x = x[:, 0]
            module = importlib.import_module(f"{__package__}.{numba_module}")
            kernel = getattr(module, vector_kernel_name if one_column else kernel_name)
            if params.get("event") and x.dtype != np.bool_:
                # float spikes: the kernels only need which inputs are active, so
                # they see bool events and no handler is compiled per float dtype
                x = x > 0
            arrays, flags, error = numba_args(kernel_name, *args[:-1], x, shape=shape,
                                              transpose=transpose, **params)
            out = jax.ShapeDtypeStruct(_out_shape(x.shape, shape, transpose), args[0].dtype)
            y = _ffi.call_kernel(kernel, arrays, out, flags, error=error)
            return y[:, None] if one_column else y
        return call

    def make_rules(name):
        def bind(*args, **params):
            return prims[name].bind(*args, **params)

        def values_jvp(values_dot, values, *rest, **params):
            return bind(values_dot.astype(values.dtype), *rest, **params)

        def operand_jvp(x_dot, values, *rest, **params):
            *struct, x = rest
            if not jnp.issubdtype(x.dtype, jnp.floating):  # bool / int events: no tangent
                out = _out_shape(x.shape, params["shape"], params["transpose"])
                return jnp.zeros(out, values.dtype)
            # events differentiate straight through: the float product's JVP
            return bind(values, *struct, x_dot.astype(values.dtype), **dict(params, event=False))

        def transpose_rule(ct, values, *rest, **params):
            *struct, x = rest
            if any(ad.is_undefined_primal(s) for s in struct):
                raise ValueError(f"{family} products are not linear in "
                                 f"{' or '.join(structure)}; they cannot be transposed with "
                                 f"respect to them.")
            if ad.is_undefined_primal(x):
                # the float product's transpose, for event products too (straight through)
                if type(ct) is ad.Zero:
                    return (None,) + no_structure + (ad.Zero(x.aval),)
                ct_x = bind(values, *struct, ct,
                            **dict(params, transpose=not params["transpose"], event=False))
                return (None,) + no_structure + (ct_x.astype(x.aval.dtype),)
            if type(ct) is ad.Zero:
                return (ad.Zero(values.aval),) + no_structure + (None,)
            ct_values = values_cotangent(ct, values.aval.shape, *struct, x, bind=bind, **params)
            return (ct_values.astype(values.aval.dtype),) + no_structure + (None,)

        return values_jvp, operand_jvp, transpose_rule

    batchers = product_batchers(lambda: prims[mm[0]], reference)
    for (name, kernel_name), batch in zip((mv, mm), batchers):
        values_jvp, operand_jvp, transpose = make_rules(name)
        vector_kernel_name = mv[1] if name == mm[0] else None
        prims[name] = declare(name, abstract_eval=abstract_eval, reference=reference,
                              numba_call=numba_call(kernel_name, vector_kernel_name),
                              pallas_call=pallas,
                              jvps=(values_jvp,) + no_structure + (operand_jvp,),
                              transpose=transpose, batch=batch)
    return prims[mv[0]], prims[mm[0]]
