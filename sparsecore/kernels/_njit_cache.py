"""numba's on-disk cache for the kernels, made stale by a change to any kernel source.

numba stamps a cached function with the hash of the one file that defines it,
so a kernel cached from one module would keep the old code of a loop it calls
from another module after that loop changed (a kernel compiles its callees
into itself).  The locators here stamp every function of this package with
the hash of all its sources as well.  They sit in front of numba's own and
fall through to them for every function outside this package.
"""
from __future__ import annotations

import functools
import hashlib
import pathlib


@functools.lru_cache(maxsize=None)
def sources_digest() -> str:
    """Hash of every module of this package (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def install() -> bool:
    """Put the locators in front of numba's; False when this numba has no such hook."""
    try:
        from numba.core import caching
        impl = caching.CacheImpl
        bases = (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator,
                 caching.UserWideCacheLocator)
        impl._locator_classes  # noqa: B018  (the list numba walks for every cached function)
    except (ImportError, AttributeError):
        return False

    class KernelSourcesStamp:
        @classmethod
        def from_function(cls, py_func, py_file):
            if not py_func.__module__.startswith(__package__ + "."):
                return None
            return super().from_function(py_func, py_file)

        def get_source_stamp(self):
            return super().get_source_stamp(), sources_digest()

    # same order as numba's: NUMBA_CACHE_DIR, then __pycache__, then the user's cache
    ours = [type(f"Kernel{base.__name__}", (KernelSourcesStamp, base), {}) for base in bases]
    impl._locator_classes[:0] = ours
    return True
