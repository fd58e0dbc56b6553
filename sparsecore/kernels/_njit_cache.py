"""numba's on-disk cache for the kernels: never stale, and safe to share between processes.

Every numba function of this package is made with :func:`njit`, which is
``numba.njit(cache=True)`` with two changes to how its cache is kept:

* **Stamped with every kernel source.**  numba stamps a cached function with
  the hash of the one file that defines it, so a kernel cached from one
  module would keep the old code of a loop it calls from another module after
  that loop changed (a kernel compiles its callees into itself).  The
  locators installed here stamp every function of this package with the hash
  of all its sources as well.  They sit in front of numba's own and fall
  through to them for every function outside this package.
* **Saved safely by concurrent processes.**  numba saves a new compiled
  variant by reading the function's index, picking a data file name, writing
  the index and then the data.  Two processes saving variants of one function
  at once (test workers, or the processes of a multi-process job) could both
  pick the same name, leaving an index entry that points at the other's
  machine code.  Here a save holds a lock on that index, writes the data
  before the index that points to it, and rereads the index under the lock,
  so compilations still run in parallel and only the short save is serial.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import pathlib

import numba


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


class _SafeIndexDataCacheFile:
    """Mixin over numba's ``IndexDataCacheFile``: a locked, data-first ``save``."""

    def save(self, key, data):
        with _locked(self._index_path + ".lock"):
            overloads = self._load_index()  # under the lock: sees every earlier save
            name = overloads.get(key)
            if name is None:
                taken = set(overloads.values())
                name = next(n for n in map(self._data_name, itertools.count(1))
                            if n not in taken)
            self._save_data(name, data)  # first: an index entry never names unwritten data
            overloads[key] = name
            self._save_index(overloads)


@functools.lru_cache(maxsize=None)
def _safe_class(base: type) -> type:
    return type(f"Safe{base.__name__}", (_SafeIndexDataCacheFile, base), {})


class _locked:
    """An exclusive ``flock`` on ``path`` (a no-op where ``fcntl`` is missing)."""

    def __init__(self, path: str):
        self._path = path

    def __enter__(self):
        try:
            import fcntl
        except ImportError:
            self._file = None
            return self
        self._file = open(self._path, "a")
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self._file is not None:
            self._file.close()  # closing releases the lock
        return False


def njit(function=None, *, refcounts: bool = True, **options):
    """``numba.njit(cache=True, **options)`` with this module's cache (see above).

    Use it bare (``@njit``) or with options (``@njit(inline="always")``).
    ``refcounts=False`` compiles without numba's reference counting, for
    functions that allocate no array (they write into buffers XLA owns): each
    call between such functions then stops counting references to every array
    it passes, which cost a product of a 10 x 10 matrix about 60 ns.  Such a
    function cannot return an array it made (a view) unless it is inlined.
    """
    install()

    def decorate(f):
        dispatcher = numba.njit(cache=True, _nrt=refcounts, **options)(f)
        cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
        if cache_file is not None and hasattr(cache_file, "_index_path"):
            cache_file.__class__ = _safe_class(type(cache_file))
        return dispatcher
    return decorate if function is None else decorate(function)


def njit_without_refcounts(function=None, **options):
    """:func:`njit` with ``refcounts=False``: for the row loops and their kernels, which
    allocate nothing."""
    return njit(function, refcounts=False, **options)


def handler_lock(path: str) -> _locked:
    """The lock one process holds while it compiles or loads the handler at ``path``.

    A second process wanting the same handler waits, then loads it from the
    cache instead of compiling it again; different handlers compile at once.
    """
    return _locked(path + ".lock")
