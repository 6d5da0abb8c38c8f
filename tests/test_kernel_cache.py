"""numba's on-disk cache of the compiled kernels stays fresh when a kernel's callee in another
file changes (tinygrad_sgd/kernels/compiled/cache.py): numba alone stamps a kernel with its
own file only, and loads its old machine code — old callees inlined — after such a change."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("numba")

from tinygrad_sgd.kernels import compiled as C                    # noqa: E402
from tinygrad_sgd.kernels.compiled import cache                   # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CALLEE = """
from . import inline


@inline
def value():
    return {}
"""

CALLER = """
from . import kernel
from .probe_callee import value


@kernel
def call():
    return value() + 0.5
"""


def _run(root, cache_dir, **env):
    code = "from tinygrad_sgd.kernels.compiled import probe_caller; print(probe_caller.call())"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=root, NUMBA_CACHE_DIR=cache_dir, **env),
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return float(out.stdout.split()[-1]), "compiling kernels" in out.stderr


@pytest.mark.parametrize("locators, stale", [(None, False), ("UserProvidedCacheLocator", True)])
def test_a_changed_callee_in_another_file_recompiles_its_callers(tmp_path, locators, stale):
    """A copy of the package with a kernel in one file calling a helper in another: after the
    helper changes, the next process computes with the new helper. With numba's own locator
    alone (``NUMBA_CACHE_LOCATOR_CLASSES``) it loads the old code: the failure this guards."""
    shutil.copytree(os.path.join(ROOT, "tinygrad_sgd"), tmp_path / "tinygrad_sgd",
                    ignore=shutil.ignore_patterns("__pycache__"))
    folder = tmp_path / "tinygrad_sgd" / "kernels" / "compiled"
    (folder / "probe_caller.py").write_text(textwrap.dedent(CALLER))
    (folder / "probe_callee.py").write_text(textwrap.dedent(CALLEE.format("1.0")))
    env = {"NUMBA_CACHE_LOCATOR_CLASSES": locators} if locators else {}
    cache_dir = str(tmp_path / "numba_cache")
    assert _run(str(tmp_path), cache_dir, **env) == (1.5, True)
    assert _run(str(tmp_path), cache_dir, **env) == (1.5, False)        # loaded from disk
    (folder / "probe_callee.py").write_text(textwrap.dedent(CALLEE.format("2.0")))
    value, compiled = _run(str(tmp_path), cache_dir, **env)
    assert (value, compiled) == ((1.5, False) if stale else (2.5, True))


def test_every_cached_kernel_is_stamped_with_the_package_source():
    dispatchers = [f for module in vars(C).values() if getattr(module, "__name__", "")
                   .startswith(C.__name__ + ".") for f in vars(module).values()
                   if hasattr(f, "py_func") and hasattr(f, "_cache")]
    cached = [d for d in dispatchers if type(d._cache).__name__ != "NullCache"]
    assert len(cached) > 50
    for d in cached:
        assert isinstance(d._cache._impl.locator, cache.PackageStampLocator), d
        assert d._cache._cache_file._source_stamp[1] == cache.source_digest()


def test_the_digest_changes_with_any_file_and_only_py_files(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    first = cache.source_digest(str(tmp_path))
    assert cache.source_digest(str(tmp_path)) == first
    (tmp_path / "notes.txt").write_text("not source")
    assert cache.source_digest(str(tmp_path)) == first
    (tmp_path / "b.py").write_text("y = 3\n")
    assert cache.source_digest(str(tmp_path)) != first
    # a package imported from a zip has no folder to list: numba's own stamps then
    import hashlib
    import numpy as np
    assert cache.source_digest(str(tmp_path / "pkg.zip" / "compiled")) == \
        hashlib.sha256(np.__version__.encode()).hexdigest()


def test_functions_outside_the_package_keep_numbas_locators():
    import numba
    from numba.core import caching

    def f(x):
        return x + 1
    impl = caching.CompileResultCacheImpl(numba.njit(f).py_func)
    assert not isinstance(impl.locator, cache.PackageStampLocator)
    assert caching.CacheImpl._locator_classes.count(cache.PackageStampLocator) == 1
