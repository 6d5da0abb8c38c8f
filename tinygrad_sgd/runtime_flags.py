"""torch's process-wide switches and build facts that have nothing to compute here:
``set_warn_always``/``is_warn_always_enabled`` (warnings torch gives once per process are
given every time when on), ``set_flush_denormal`` and the ``has_*`` build flags — true for
this library (NumPy's LAPACK and FFT; no MKL or OpenMP of ours)."""

__all__ = ["set_warn_always", "is_warn_always_enabled", "set_flush_denormal", "has_lapack",
           "has_mkl", "has_openmp", "has_spectral"]

_warn_always = False

has_lapack = True      # numpy.linalg (LAPACK) backs linalg
has_spectral = True    # numpy.fft backs the FFT functions
has_mkl = False        # no MKL of ours (NumPy's BLAS is OpenBLAS)
has_openmp = False     # threads are Python threads (kernels/threads.py), not OpenMP


def set_warn_always(b):
    """torch.set_warn_always: when True, warnings torch gives only once per process are
    given every time."""
    global _warn_always
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _warn_always = b


def is_warn_always_enabled():
    return _warn_always


def set_flush_denormal(mode):
    """torch.set_flush_denormal: NumPy gives no control over flushing subnormals to zero, so
    nothing changes and False is returned — torch's answer where the CPU cannot flush."""
    if not isinstance(mode, bool):
        raise RuntimeError(f"flush_denormal expects a bool, but got {type(mode).__name__}")
    return False
