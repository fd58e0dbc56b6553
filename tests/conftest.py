"""Shared fixtures: random generators, x64 switching, backends."""
from __future__ import annotations

import os
import sys
import zlib

import jax
import numpy as np
import pytest

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
