"""Bridge from numba kernels to XLA's typed FFI on CPU.

A kernel is a plain ``numba.njit`` function over arrays: it takes the input
arrays, then the output arrays (which it must fully write), then static flags,
and returns ``0`` on success or a nonzero status.  :func:`ffi_target` wraps it
in a numba ``@cfunc`` that XLA calls directly with its ``XLA_FFI_CallFrame``:
no Python on the call path, no copies, one handler per (kernel, dtypes, flags)
serving every shape (buffers carry their dimensions at run time).

Handlers are compiled lazily, on the first lowering that needs them, and
cached on disk: the wrapper source is written to the cache directory (named by
a hash of everything it depends on) and compiled with ``cache=True``, so a new
process loads machine code instead of compiling.  When the bridge cannot be
set up (numba missing or failing to import, an FFI header of another major
version, a failed self-test) :func:`numba_available` returns False after one
warning and callers use the pure-JAX reference.

FFI versions
------------
The handler reads the call frame by byte offset (:mod:`._ffi_abi`), so the
layout must be the one the installed jaxlib was built with.  XLA promises that
minor versions of its FFI API only append fields.  :data:`VERIFIED_API_VERSIONS`
lists the versions whose ``xla/ffi/api/c_api.h`` was checked field by field
against every offset and size in :mod:`._ffi_abi` (by compiling ``offsetof``
and the ``*_STRUCT_SIZE`` constants against each header).  A newer minor
version of a known major is accepted when the one-call self-test (a numba
handler that reads and writes buffers, checked result) passes; its handlers
then declare the newest verified version of that major to XLA, whose layout
they read.  Another major version is refused.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import threading
import warnings
from dataclasses import dataclass

import jax
import numpy as np

from .._errors import BackendWarning

__all__ = ["ArraySpec", "ffi_target", "call_kernel", "numba_available", "cache_dir",
           "ffi_api_version", "VERIFIED_API_VERSIONS"]

#: FFI API versions (major, minor) whose ``c_api.h`` layout was checked against
#: :mod:`._ffi_abi`, with the jaxlib releases whose headers were read.  All of
#: them have the same offsets for every field the handlers touch.
VERIFIED_API_VERSIONS = {
    (0, 1): "jaxlib 0.6.0, 0.6.2, 0.7.0, 0.7.1, 0.7.2, 0.8.0",
    (0, 2): "jaxlib 0.8.3, 0.9.0",
    (0, 3): "jaxlib 0.9.2, 0.10.0, 0.10.2, 0.11.0",
    (0, 4): "jaxlib 0.11.2",
    (0, 5): "jaxlib 0.12.0, 0.12.0.1",
}
# Majors whose layout _ffi_abi.py encodes: a newer minor of one of these is
# tried through the self-test, another major is refused.
_KNOWN_MAJORS = {major for major, _ in VERIFIED_API_VERSIONS}

_lock = threading.RLock()
_targets: dict[str, object] = {}  # target name -> cfunc (kept alive: XLA holds its address)
_state: dict[str, object] = {}


@dataclass(frozen=True)
class ArraySpec:
    """dtype and rank of one kernel argument or result."""
    dtype: np.dtype
    ndim: int

    @classmethod
    def of(cls, aval) -> "ArraySpec":
        return cls(np.dtype(aval.dtype), len(aval.shape))


def cache_dir() -> str:
    """Directory holding generated handlers and numba's cache for them.

    ``$SPARSECORE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/sparsecore`` (or
    ``~/.cache/sparsecore``).
    """
    root = os.environ.get("SPARSECORE_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "sparsecore")
    return root


def ffi_api_version() -> tuple[int, int] | None:
    """(major, minor) from the installed jaxlib's ``c_api.h``, or None if absent."""
    import jaxlib
    header = os.path.join(os.path.dirname(jaxlib.__file__), "include", "xla", "ffi", "api", "c_api.h")
    try:
        with open(header) as f:
            text = f.read()
    except OSError:
        return None
    major = re.search(r"#define\s+XLA_FFI_API_MAJOR\s+(\d+)", text)
    minor = re.search(r"#define\s+XLA_FFI_API_MINOR\s+(\d+)", text)
    if not (major and minor):
        return None
    return int(major.group(1)), int(minor.group(1))


def _disable(reason: str) -> bool:
    _state["available"] = False
    _state["reason"] = reason
    warnings.warn(f"sparsecore: the numba CPU backend is unavailable ({reason}); "
                  "using the pure-JAX reference kernels instead.", BackendWarning, stacklevel=3)
    return False


def _format_version(version) -> str:
    return ".".join(map(str, version))


def numba_available() -> bool:
    """Whether numba kernels can run through XLA's FFI here (checked once).

    The first call imports numba, reads the FFI version of the installed
    jaxlib and runs a one-call self-test; any failure emits one
    :class:`~sparsecore.BackendWarning` saying what was tried, and every later
    call returns False without warning again.

    Returns
    -------
    bool
        True when the numba CPU backend is usable.
    """
    if "available" in _state:
        return _state["available"]
    with _lock:
        if "available" in _state:
            return _state["available"]
        try:
            import numba  # noqa: F401  (the handlers need it; so does _ffi_abi)

            from ._njit_cache import install
            install()
        except Exception as err:  # missing, or a broken install (e.g. numpy mismatch)
            if isinstance(err, ModuleNotFoundError) and err.name == "numba":
                return _disable("numba is not installed")
            return _disable(f"numba failed to import: {type(err).__name__}: {err}")
        version = ffi_api_version()
        if version is None:
            return _disable("jaxlib ships no readable XLA FFI header (xla/ffi/api/c_api.h)")
        verified = ", ".join(_format_version(v) for v in sorted(VERIFIED_API_VERSIONS))
        if version[0] not in _KNOWN_MAJORS:
            return _disable(f"jaxlib's XLA FFI API version {_format_version(version)} has a "
                            f"major version this module does not know (verified: {verified})")
        _state["verified"] = version in VERIFIED_API_VERSIONS
        _state["version"] = _handler_version(version)
        _state["available"] = True
        try:
            _self_test()
        except Exception as err:  # any failure means: do not use this path
            _targets.clear()
            if _state["verified"]:
                tried = "self-test failed"
            else:
                tried = (f"jaxlib's XLA FFI API version {_format_version(version)} is not among "
                         f"the verified layouts ({verified}); a one-call self-test of a numba "
                         f"handler on that version was tried and failed")
            return _disable(f"{tried}: {type(err).__name__}: {err}")
        return True


def _handler_version(version: tuple[int, int]) -> tuple[int, int]:
    """The FFI version handlers declare to XLA on a header of ``version``.

    A verified version is declared as it is.  On a newer minor version the
    handlers still read the layout of the newest verified one, so they declare
    that: XLA accepts handlers built against older minor versions of its major.
    """
    if version in VERIFIED_API_VERSIONS:
        return version
    older = [v for v in VERIFIED_API_VERSIONS if v[0] == version[0] and v < version]
    return max(older) if older else version


def _self_test():
    """Run one numba handler once and check its result; raise on any failure."""
    # Start the CPU backend first: a handler that XLA refuses then fails its own
    # registration, instead of the backend's initialisation (which would leave
    # this process without a CPU backend, reference kernels included).
    cpu = jax.local_devices(backend="cpu")[0]  # this process's own (several may share a job)
    from . import _selftest_kernel
    spec = ArraySpec(np.dtype(np.float32), 1)
    name = ffi_target(_selftest_kernel.add_one, [spec], [spec], ())
    x = np.arange(5, dtype=np.float32)
    # The first use often comes while tracing a jitted function: run eagerly regardless,
    # and on the CPU device even where the default device is a GPU (a CPU handler).
    with jax.ensure_compile_time_eval(), jax.default_device(cpu):
        y = jax.jit(jax.ffi.ffi_call(name, jax.ShapeDtypeStruct(x.shape, x.dtype)))(
            jax.device_put(x, cpu))
    if not np.array_equal(np.asarray(y), x + 1):
        raise RuntimeError(f"add_one returned {np.asarray(y)}")


def _numba_type(dtype: np.dtype) -> str:
    return "numba.boolean" if dtype == np.bool_ else f"numba.{dtype.name}"


def _array_expr(kind: str, index: int, spec: ArraySpec) -> str:
    buffer = f"abi.{kind}(frame, {index})"
    dims = ", ".join(f"abi.dim(b, {axis})" for axis in range(spec.ndim))
    return (f"    b = {buffer}\n"
            f"    {kind[0]}{index} = numba.carray(abi.typed_pointer(abi.data(b), "
            f"{_numba_type(spec.dtype)}), ({dims},))\n")


def _handler_source(kernel, args, rets, flags, version, error) -> str:
    lines = [
        "# Generated by sparsecore.kernels._ffi; safe to delete (it is rebuilt on demand).\n",
        "import numba\n",
        "from sparsecore.kernels import _ffi_abi as abi\n",
        f"from {kernel.__module__} import {kernel.__name__} as kernel\n\n\n",
        "@numba.cfunc(numba.types.voidptr(numba.types.voidptr), cache=True, nogil=True)\n",
        "def handler(frame_ptr):\n",
        "    frame = abi.address(frame_ptr)\n",
        f"    if abi.answer_metadata(frame, {version[0]}, {version[1]}):\n",
        "        return abi.null()\n",
        "    if not abi.is_execute_stage(frame):\n",
        "        return abi.null()\n",
    ]
    lines += [_array_expr("argument", i, s) for i, s in enumerate(args)]
    lines += [_array_expr("result", i, s) for i, s in enumerate(rets)]
    call_args = [f"a{i}" for i in range(len(args))] + [f"r{i}" for i in range(len(rets))]
    call_args += [repr(f) for f in flags]
    lines += [f"    if kernel({', '.join(call_args)}) != 0:\n",
              f"        return abi.create_error(abi.api(frame), {error!r})\n",
              "    return abi.null()\n"]
    return "".join(lines)


def _fingerprint(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _load_handler(path: str, module_name: str):
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # numba's cache locator wants a real module
    spec.loader.exec_module(module)
    return module.handler


def ffi_target(kernel, args, rets, flags, *, error: str | None = None) -> str:
    """Compile (or load) and register the FFI handler for one kernel variant.

    Parameters
    ----------
    kernel : numba.njit function
        ``kernel(*inputs, *outputs, *flags) -> int``; must write every output
        element and return 0, or return nonzero to raise ``error`` in JAX.
    args, rets : sequence of ArraySpec
        dtype and rank of each input and output buffer.
    flags : tuple of bool or int
        Static arguments baked into the handler as constants.
    error : str, optional
        Message of the exception raised when the kernel returns nonzero.

    Returns
    -------
    str
        The registered FFI target name, for ``jax.ffi.ffi_call``.
    """
    version = _state.get("version") or _handler_version(ffi_api_version())
    error = error or f"sparsecore kernel {kernel.__name__} rejected its input"
    import numba

    from ._njit_cache import handler_lock, sources_digest
    key = _fingerprint(kernel.__module__, kernel.__name__, args, rets, flags, version, error,
                       numba.__version__, jax.__version__, sources_digest())
    name = f"sparsecore_{kernel.__name__}_{key}"
    if name in _targets:
        return name
    with _lock:
        if name in _targets:
            return name
        directory = os.path.join(cache_dir(), "handlers")
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"{name}.py")
        source = _handler_source(kernel, args, rets, flags, version, error)
        if not os.path.exists(path):
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(source)
            os.replace(tmp, path)  # atomic: concurrent processes never see half a file
        with handler_lock(path):  # a process wanting the same handler waits, then loads it
            handler = _load_handler(path, f"_sparsecore_handlers.{name}")
        jax.ffi.register_ffi_target(name, jax.ffi.pycapsule(handler.address), platform="cpu",
                                    api_version=1)
        _targets[name] = handler
    return name


def call_kernel(kernel, arrays, out, flags, *, error: str | None = None, **options):
    """``kernel(*arrays) -> out`` through its FFI handler (called while lowering).

    ``arrays`` are the traced inputs, ``out`` a ``jax.ShapeDtypeStruct``,
    ``flags`` the kernel's static flags; ``options`` go to
    :func:`jax.ffi.ffi_call` (e.g. ``input_output_aliases``).
    """
    target = ffi_target(kernel, [ArraySpec.of(a.aval) for a in arrays], [ArraySpec.of(out)],
                        flags, error=error)
    return jax.ffi.ffi_call(target, out, **options)(*arrays)
