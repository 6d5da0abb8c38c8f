"""NumPy's OpenBLAS, reached through ctypes: its thread count (which :mod:`.threads` sets to 1
while it splits BLAS work itself) and its idle threads' spinning (:func:`quiet_openblas`)."""
import ctypes
import glob
import os
import threading

import numpy as np

_blas_control = "unset"   # NumPy's OpenBLAS's (get, set) thread count, once looked up (or None)


def numpy_openblas():
    """ctypes handles of NumPy's bundled OpenBLAS libraries (in ``numpy.libs``; none for a
    NumPy built against another BLAS)."""
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        try:
            yield ctypes.CDLL(path)
        except OSError:
            continue


def blas_threads():
    """(get, set) of the thread count of NumPy's bundled OpenBLAS, or None if not found."""
    global _blas_control
    if _blas_control == "unset":
        _blas_control = None
        for lib in numpy_openblas():
            for prefix, suffix in (("scipy_openblas", "64_"), ("openblas", "")):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype, put.argtypes, put.restype = ctypes.c_int, [ctypes.c_int], None
                    _blas_control = (get, put)
                    return _blas_control
    return _blas_control


def quiet_openblas() -> bool:
    """Make NumPy's OpenBLAS, already loaded with its default thread timeout (NumPy imported
    before tinygrad_sgd, the usual order in a program), stop spinning after each threaded
    product, as ``OPENBLAS_THREAD_TIMEOUT=4`` set before NumPy's import would have: the
    variable is set, OpenBLAS reads its environment again (``openblas_read_env``) and its
    threads are shut down (``blas_thread_shutdown_``) — the next threaded product starts them
    afresh, and they read the timeout then. True if done. Not done (False) when the program
    set a timeout itself, when those functions are missing (another BLAS), or when any thread
    besides this one runs (one could be inside a product). Measured, the tutorial CNN's step on
    two threads with NumPy imported first: 1.69 ms before (our spinning workers stood aside for
    the sleeping pool), 1.17 ms after, as with the library imported first."""
    if "OPENBLAS_THREAD_TIMEOUT" in os.environ or "GOTO_THREAD_TIMEOUT" in os.environ or \
            threading.active_count() != 1:
        return False
    for lib in numpy_openblas():
        read_env = getattr(lib, "openblas_read_env", None)
        shutdown = getattr(lib, "blas_thread_shutdown_", None)
        timeout = getattr(lib, "openblas_thread_timeout", None)
        if read_env is None or shutdown is None or timeout is None:
            continue
        os.environ["OPENBLAS_THREAD_TIMEOUT"] = "4"
        read_env()
        timeout.restype = ctypes.c_uint
        if timeout() != 4:              # (it read something else: leave it as it was)
            del os.environ["OPENBLAS_THREAD_TIMEOUT"]
            read_env()
            return False
        shutdown()
        return True
    return False
