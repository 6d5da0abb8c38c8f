"""numba's on-disk cache, kept fresh for kernels that call kernels in other files.

numba keeps a compiled function's machine code on disk (``cache=True``) with a stamp of its own
source file, and throws it away when that file changes. The machine code of a kernel also holds
every function it calls, inlined or linked in — and when one of *those* lives in another file
and changes, the caller's stamp does not: numba loads the caller's old code, callees and all.
Here that happened: the worker's job runner (``served.py``) kept a convolution kernel that a
session had since changed back in ``conv.py``, and the tutorial CNN's two-thread convolutions
ran 3.5x slower, with the old code (a change of what a kernel computes would have kept the old
numbers just as silently).

So every kernel of this package is stamped with its own file and with a digest of all the
package's source files (and NumPy's version): change any of them and every kernel of the
package compiles again, once. :class:`PackageStampLocator` goes before numba's own locators
and answers only for this package's files; where the cache lives (``NUMBA_CACHE_DIR`` or
beside the source) is still numba's choice (its locator is wrapped, not replaced). A program
that sets ``NUMBA_CACHE_LOCATOR_CLASSES`` chooses its own locators and gets numba's stamps.
"""
import hashlib
import os

import numpy as np
from numba.core import caching

HERE = os.path.dirname(os.path.abspath(__file__))


def source_digest(folder: str = HERE) -> str:
    """SHA-256 of every ``.py`` file in ``folder`` (names and contents, in name order) and of
    NumPy's version (the kernels compile against its array layout)."""
    h = hashlib.sha256(np.__version__.encode())
    try:
        names = sorted(os.listdir(folder))
    except OSError:         # (not a folder: imported from a zip, numba's stamps alone)
        return h.hexdigest()
    for name in names:
        if name.endswith(".py"):
            h.update(name.encode() + b"\0")
            with open(os.path.join(folder, name), "rb") as f:
                h.update(f.read())
    return h.hexdigest()


class PackageStampLocator(caching._CacheLocator):
    """numba's locator for a function of this package, its stamp joined with the package's
    :func:`source_digest`."""

    digest = None                     # computed at the first kernel's decoration

    def __init__(self, inner):
        self._inner = inner

    def ensure_cache_path(self):
        self._inner.ensure_cache_path()

    def get_cache_path(self):
        return self._inner.get_cache_path()

    def get_source_stamp(self):
        return (self._inner.get_source_stamp(), self.digest)

    def get_disambiguator(self):
        return self._inner.get_disambiguator()

    @classmethod
    def from_function(cls, py_func, py_file):
        if os.path.dirname(os.path.abspath(py_file)) != HERE:
            return None
        for other in NUMBA_LOCATORS:
            inner = other.from_function(py_func, py_file)
            if inner is not None:
                if cls.digest is None:
                    cls.digest = source_digest()
                return cls(inner)
        return None


def _ours(c):
    return c.__name__ == PackageStampLocator.__name__ and c.__module__ == __name__


# (by name: a reloaded module puts its new class in the old one's place)
NUMBA_LOCATORS = [c for c in caching.CacheImpl._locator_classes if not _ours(c)]
caching.CacheImpl._locator_classes[:] = [PackageStampLocator] + NUMBA_LOCATORS
