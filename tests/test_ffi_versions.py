"""The numba FFI bridge across XLA FFI versions, and the fallback without numba."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import sparsecore as sc
from sparsecore import BackendWarning
from sparsecore.kernels import _ffi
from sparsecore.kernels._primitive import resolve_backend


def _header():
    import jaxlib
    return os.path.join(os.path.dirname(jaxlib.__file__), "include", "xla", "ffi", "api",
                        "c_api.h")


# What each constant of _ffi_abi is, in the header's own terms.
_LAYOUT = {
    "FRAME_EXTENSION_START": "offsetof(XLA_FFI_CallFrame, extension_start)",
    "FRAME_API": "offsetof(XLA_FFI_CallFrame, api)",
    "FRAME_STAGE": "offsetof(XLA_FFI_CallFrame, stage)",
    "FRAME_ARGS_ARRAY": "offsetof(XLA_FFI_CallFrame, args) + offsetof(XLA_FFI_Args, args)",
    "FRAME_RETS_ARRAY": "offsetof(XLA_FFI_CallFrame, rets) + offsetof(XLA_FFI_Rets, rets)",
    "BUFFER_DATA": "offsetof(XLA_FFI_Buffer, data)",
    "BUFFER_DIMS": "offsetof(XLA_FFI_Buffer, dims)",
    "EXTENSION_TYPE": "offsetof(EXTENSION, type)",
    "EXTENSION_TYPE_METADATA": "XLA_FFI_Extension_Metadata",
    "METADATA_EXTENSION_METADATA": "offsetof(XLA_FFI_Metadata_Extension, metadata)",
    "METADATA_API_VERSION": "offsetof(XLA_FFI_Metadata, api_version)",
    "METADATA_TRAITS": "offsetof(XLA_FFI_Metadata, traits)",
    "API_VERSION_STRUCT_SIZE": "XLA_FFI_Api_Version_STRUCT_SIZE",
    "API_ERROR_CREATE": "offsetof(XLA_FFI_Api, XLA_FFI_Error_Create)",
    "ERROR_CREATE_ARGS_STRUCT_SIZE": "XLA_FFI_Error_Create_Args_STRUCT_SIZE",
    "STAGE_EXECUTE": "XLA_FFI_ExecutionStage_EXECUTE",
    "ERROR_CODE_INVALID_ARGUMENT": "XLA_FFI_Error_Code_INVALID_ARGUMENT",
}
# Offsets and widths the handlers assume without naming a constant.
_IMPLIED = {
    "offsetof(XLA_FFI_Api_Version, extension_start)": 8,
    "offsetof(XLA_FFI_Api_Version, major_version)": 16,
    "offsetof(XLA_FFI_Api_Version, minor_version)": 20,
    "offsetof(XLA_FFI_Error_Create_Args, extension_start)": 8,
    "offsetof(XLA_FFI_Error_Create_Args, message)": 16,
    "offsetof(XLA_FFI_Error_Create_Args, errc)": 24,
    "sizeof(XLA_FFI_ExecutionStage)": 4,
    "sizeof(XLA_FFI_Handler_Traits)": 4,
    "sizeof(((EXTENSION*)0)->type)": 4,
    "sizeof(((XLA_FFI_Buffer*)0)->dims[0])": 8,
    "sizeof(void*)": 8,
}


def test_abi_offsets_match_the_installed_header(tmp_path):
    """Every offset, size and enum value ``_ffi_abi`` uses, compiled against ``c_api.h``."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler to read the header's layout with")
    if not os.path.exists(_header()):
        pytest.skip("this jaxlib ships no FFI header")
    from sparsecore.kernels import _ffi_abi
    exprs = {**{name: expr for name, expr in _LAYOUT.items()}, **{e: e for e in _IMPLIED}}
    lines = "\n".join(f'  printf("%s=%zu\\n", "{name}", (size_t)({expr}));'
                      for name, expr in exprs.items())
    source = textwrap.dedent("""\
        #include <stddef.h>
        #include <stdio.h>
        #include "c_api.h"
        #if XLA_FFI_API_MAJOR == 0 && XLA_FFI_API_MINOR < 4
        typedef XLA_FFI_Extension_Base EXTENSION;
        #else
        typedef XLA_FFI_InternalExtension EXTENSION;
        #endif
        int main(void) {
        """) + lines + "\n  return 0;\n}\n"
    (tmp_path / "layout.c").write_text(source)
    include = os.path.dirname(_header())
    subprocess.run([compiler, "-std=c11", "-I", include, "-o", str(tmp_path / "layout"),
                    str(tmp_path / "layout.c")], check=True, timeout=120)
    out = subprocess.run([str(tmp_path / "layout")], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    measured = dict(line.split("=", 1) for line in out.splitlines())
    expected = {name: getattr(_ffi_abi, name) for name in _LAYOUT} | _IMPLIED
    assert {k: int(v) for k, v in measured.items()} == expected


def test_installed_version_is_verified():
    """The jax this suite runs on has a layout checked by hand (keep the table current)."""
    assert _ffi.ffi_api_version() in _ffi.VERIFIED_API_VERSIONS
    assert _ffi.numba_available()


@pytest.fixture
def fresh_bridge(monkeypatch):
    """An unchecked bridge (as in a new process), restored after the test."""
    assert _ffi.numba_available()  # the real state, checked before it is swapped out
    monkeypatch.setattr(_ffi, "_state", {})
    monkeypatch.setattr(_ffi, "_targets", dict(_ffi._targets))
    return monkeypatch


def test_the_self_test_runs_when_the_first_use_is_traced(fresh_bridge):
    """The bridge's first use inside a jitted function still runs its self-test eagerly
    (on the CPU device) and keeps the numba backend."""
    import jax
    W = sc.CSR.fromdense(np.array([[1., 0.], [2., 3.]], np.float32))
    f = jax.jit(lambda x: sc.csrmv(W.data, W.indices, W.indptr, x, shape=W.shape,
                                   backend="numba"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = f(jnp.array([1., -1.], jnp.float32))
    assert _ffi._state["available"] is True
    np.testing.assert_allclose(y, [1., -1.])


def test_unverified_minor_version_is_decided_by_the_self_test(fresh_bridge):
    """A newer minor version passes on the self-test; handlers declare the newest verified.

    Simulated by forgetting that the installed version (and any newer) was verified.
    """
    version = _ffi.ffi_api_version()
    older = {v: r for v, r in _ffi.VERIFIED_API_VERSIONS.items() if v < version}
    fresh_bridge.setattr(_ffi, "VERIFIED_API_VERSIONS", older)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _ffi.numba_available()
    assert _ffi._state["verified"] is False
    assert _ffi._state["version"] == (max(older) if older else version)
    # and the bridge works for a real product on that (simulated) version
    W = sc.CSR.fromdense(np.array([[1., 0.], [2., 3.]], np.float32))
    x = jnp.array([1., -1.], jnp.float32)
    np.testing.assert_allclose(sc.csrmv(W.data, W.indices, W.indptr, x, shape=W.shape,
                                        backend="numba"), [1., -1.])


def test_failed_self_test_on_an_unverified_version_falls_back(fresh_bridge):
    fresh_bridge.setattr(_ffi, "ffi_api_version", lambda: (0, 999))

    def broken():
        raise RuntimeError("add_one returned [0. 0. 0. 0. 0.]")
    fresh_bridge.setattr(_ffi, "_self_test", broken)
    with pytest.warns(BackendWarning, match=r"version 0\.999 is not among the verified layouts "
                                            r"\(0\.1, .*0\.5\); a one-call self-test .* was "
                                            r"tried and failed: RuntimeError: add_one returned"):
        assert not _ffi.numba_available()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not _ffi.numba_available()  # warned once
    assert resolve_backend(None, np.float32, op="t") == "jax"


def test_a_handler_xla_refuses_fails_the_self_test_cleanly(fresh_bridge):
    """A declared version XLA does not accept: registration fails, JAX keeps working."""
    fresh_bridge.setattr(_ffi, "_handler_version", lambda version: (0, 999))
    with pytest.warns(BackendWarning, match=r"self-test failed: .*API version \(0\.999\)"):
        assert not _ffi.numba_available()
    np.testing.assert_allclose(jnp.arange(3.0) + 1, [1., 2., 3.])


def test_unknown_major_version_is_refused(fresh_bridge):
    fresh_bridge.setattr(_ffi, "ffi_api_version", lambda: (1, 0))
    fresh_bridge.setattr(_ffi, "_self_test", lambda: pytest.fail("self-test ran"))
    with pytest.warns(BackendWarning, match=r"version 1\.0 has a major version this module "
                                            r"does not know"):
        assert not _ffi.numba_available()


_WITHOUT_NUMBA = """
import sys, warnings
sys.modules["numba"] = None  # `import numba` now raises ModuleNotFoundError
import jax, jax.numpy as jnp, numpy as np
import sparsecore as sc

dense = np.array([[1., 0., 2.], [0., 0., 0.], [0., 3., 4.]], np.float32)
W = sc.CSR.fromdense(dense)
x = jnp.array([1., -2., 0.5], jnp.float32)
spikes = jnp.array([True, False, True])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    results = [W @ x, jax.jit(lambda W, x: W @ x)(W, x), spikes @ W,
               jax.grad(lambda x: (W @ x).sum())(x)]
    jax.block_until_ready(results)
np.testing.assert_allclose(results[0], dense @ np.asarray(x), rtol=1e-6)
np.testing.assert_allclose(results[1], dense @ np.asarray(x), rtol=1e-6)
np.testing.assert_allclose(results[2], np.asarray(spikes, np.float32) @ dense, rtol=1e-6)
np.testing.assert_allclose(results[3], dense.sum(0), rtol=1e-6)
backend = [w for w in caught if issubclass(w.category, sc.BackendWarning)]
assert len(backend) == 1, [str(w.message) for w in caught]
assert "numba is not installed" in str(backend[0].message), backend[0].message
assert "numba" not in sys.modules or sys.modules["numba"] is None
print("ok")
"""


def test_without_numba_warns_once_and_computes_the_same():
    env = dict(os.environ, PYTHONWARNINGS="default")
    out = subprocess.run([sys.executable, "-c", _WITHOUT_NUMBA], capture_output=True,
                         text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")
