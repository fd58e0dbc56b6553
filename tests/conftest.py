"""Shared fixtures: random generators, x64 switching, backends."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import zlib

# Most of the suite's time is lowering and compiling small test programs, not
# running them.  Three settings, made before jax starts its backend, cut it on
# a 2-core machine without touching what is checked:
# - XLA:CPU compiles at optimisation level 0 (the numba kernels under test are
#   compiled by numba, not XLA, and are unaffected);
# - one persistent compilation cache for the whole session, shared by the test
#   workers and the subprocesses they start (tests compile many identical
#   programs).  It lives in a fresh directory per session, so every run starts
#   cold and nothing outlives it;
# - lowered programs name the user's source line of each operation, not its
#   whole traceback (which took a twentieth of the suite to record).
# One more keeps the dense oracles exact on a GPU: float32 matrix products there
# default to TF32 (about 1e-3 relative error), which no float32 tolerance allows.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_backend_optimization_level=0").strip()
if "SPARSECORE_TEST_XLA_CACHE" not in os.environ:  # the first process of the session
    _cache = tempfile.mkdtemp(prefix="sparsecore-test-xla-")
    os.environ["SPARSECORE_TEST_XLA_CACHE"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
_JAX_SETTINGS = {"jax_compilation_cache_dir": os.environ["SPARSECORE_TEST_XLA_CACHE"],
                 "jax_persistent_cache_min_compile_time_secs": 0,
                 "jax_persistent_cache_min_entry_size_bytes": 0,
                 "jax_include_full_tracebacks_in_locations": False,
                 "jax_default_matmul_precision": "highest"}
for _name, _value in _JAX_SETTINGS.items():  # subprocesses read them from the environment
    os.environ[_name.upper()] = str(_value)

import jax  # noqa: E402

for _name, _value in _JAX_SETTINGS.items():  # in case a plugin imported jax first
    jax.config.update(_name, _value)
import numpy as np  # noqa: E402
import pytest  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))  # tests/harness.py importable as `harness`

from harness import BACKENDS  # noqa: E402


@pytest.fixture
def rng(request):
    """A generator seeded by the test's name: reproducible, different per test."""
    seed = zlib.crc32(request.node.nodeid.encode())
    return np.random.default_rng(seed)


@pytest.fixture
def x64():
    """Enable 64-bit JAX types for one test, restoring the previous setting."""
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


@pytest.fixture(params=["float32", "float64"])
def float_dtype(request):
    """float32, and float64 with x64 enabled for the test."""
    if request.param == "float32":
        yield np.float32
        return
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield np.float64
    finally:
        jax.config.update("jax_enable_x64", previous)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


# The longest tests (each a minute or more on 2 cores: subprocesses on several
# devices, the property oracles) run first, so that parallel workers take them
# at the start and finish together instead of one waiting on the other's tail.
EARLY = ("test_sharding.py::test_four_devices", "test_sharding.py::test_two_processes",
         "test_properties.py::test_stored_matrices", "test_properties.py::test_generated")


def pytest_collection_modifyitems(config, items):
    def rank(item):
        return next((i for i, name in enumerate(EARLY) if name in item.nodeid), len(EARLY))
    items.sort(key=rank)

