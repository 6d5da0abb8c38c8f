"""Which kernel set runs: the readable NumPy kernels, or compiled (numba) twins of the hottest
ones (:mod:`.compiled`; numba is a dependency of the package).

The compiled set is used when numba is importable, else NumPy. ``TINYGRAD_SGD_KERNELS=numpy``
or ``=numba`` (read at import) forces one; ``set_backend`` switches at run time;
``tinygrad_sgd.kernels.backend()`` says which is active. numba itself is imported only when a
compiled kernel is first needed, so ``import tinygrad_sgd`` stays fast.
"""
import importlib.util
import os

__all__ = ["backend", "set_backend", "compiled", "BACKENDS"]

BACKENDS = ("numpy", "numba")
ENV = "TINYGRAD_SGD_KERNELS"

_active = None      # "numpy" or "numba", decided on first use
_module = None      # tinygrad_sgd.kernels.compiled, once imported


_numba_ok = None


def numba_available() -> bool:
    """True when numba is installed and imports (a broken install counts as absent)."""
    global _numba_ok
    if _numba_ok is None:
        _numba_ok = False
        if importlib.util.find_spec("numba") is not None:
            try:
                import numba  # noqa: F401
                _numba_ok = True
            except ImportError:
                pass
    return _numba_ok


def _check(name):
    if name not in BACKENDS:
        raise ValueError(f"kernel backend must be one of {BACKENDS}, got {name!r}")
    if name == "numba" and not numba_available():
        raise ImportError("the numba kernel backend needs numba: pip install 'numba==0.68.*'")
    return name


def _default():
    name = os.environ.get(ENV, "").strip().lower()
    if name:
        return _check(name)
    return "numba" if numba_available() else "numpy"


def backend() -> str:
    """The active kernel set: ``"numba"`` (compiled) or ``"numpy"`` (the reference)."""
    global _active
    if _active is None:
        _active = _default()
    return _active


def set_backend(name: str) -> str:
    """Use kernel set ``name`` ("numpy" or "numba") from now on; returns the previous one."""
    global _active
    previous = backend()
    _active = _check(name)
    return previous


def compiled():
    """The compiled kernel package when the numba backend is active, else None."""
    global _module
    if backend() != "numba":
        return None
    if _module is None:
        from . import compiled as module
        _module = module
    return _module
