"""Use both cores: split the big copies and matrix products of convolution and pooling.

NumPy releases the GIL inside copies, arithmetic and BLAS calls, so two Python threads that
each handle half of an array really run in parallel. ``parallel_for(n, fn)`` splits
``range(n)`` into one contiguous chunk per thread and calls ``fn(start, stop)`` for each.
Splitting a skinny matrix product ourselves (each thread one block of columns, BLAS single-
threaded inside it) scales better than BLAS's own threading for these shapes; for that
OpenBLAS's thread count is set to 1 while the chunks run and put back after (``blas=True``):
the rest of the program (a GPT's big products) keeps every BLAS thread it asked for. Where that
control is missing (another BLAS), work containing BLAS calls is not split.
(OpenBLAS's ``openblas_set_num_threads_local``, tried first, is not thread-local in NumPy's
pthreads build: one call from a worker left every later product single-threaded.)

The thread count follows torch's API: ``set_num_threads(n)`` / ``get_num_threads()``; the
default is ``$OMP_NUM_THREADS`` (or ``$OPENBLAS_NUM_THREADS``) if set, else the number of cores.
"""
import ctypes
import glob
import os
from concurrent.futures import ThreadPoolExecutor

_executor = None
_blas_control = "unset"   # NumPy's OpenBLAS's (get, set) thread count, once looked up (or None)


def _blas_threads():
    """(get, set) of the thread count of NumPy's bundled OpenBLAS, or None if not found."""
    global _blas_control
    if _blas_control == "unset":
        _blas_control = None
        import numpy
        libs = os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs")
        for path in glob.glob(os.path.join(libs, "*openblas*")):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix, suffix in (("scipy_openblas", "64_"), ("openblas", "")):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype, put.argtypes, put.restype = ctypes.c_int, [ctypes.c_int], None
                    _blas_control = (get, put)
                    return _blas_control
    return _blas_control


def _default_threads():
    for var in ("TINYGRAD_SGD_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


_num_threads = _default_threads()


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the library's own parallel copies (1 = single-threaded)."""
    global _num_threads, _executor
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    _num_threads = n
    # The old pool is dropped, not shut down: another thread may be submitting to it right
    # now (its workers exit once it is garbage-collected).
    _executor = None


def get_num_threads() -> int:
    return _num_threads


# Below this many elements a thread hand-off (~70 µs on this machine) costs more than it saves;
# work with BLAS calls in it needs about twice as much (measured on the tutorial CNN).
MIN_PARALLEL_ELEMENTS = 1 << 20
MIN_PARALLEL_BLAS_ELEMENTS = 1 << 21


def _pool():
    """The worker threads."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=_num_threads, thread_name_prefix="tinygrad_sgd")
    return _executor


def parallel_for(n: int, fn, work: int = MIN_PARALLEL_BLAS_ELEMENTS, blas: bool = False) -> None:
    """Call ``fn(start, stop)`` on contiguous chunks covering ``range(n)``, one per thread
    (just ``fn(0, n)`` when single-threaded, or when ``work`` — the number of elements
    touched — is too small to be worth it). ``blas=True``: ``fn`` calls BLAS, so every chunk
    goes to a worker thread, and BLAS is single-threaded until they are all done."""
    threads = min(_num_threads, n)
    if threads <= 1 or work < (MIN_PARALLEL_BLAS_ELEMENTS if blas else MIN_PARALLEL_ELEMENTS) \
            or (blas and _blas_threads() is None):
        fn(0, n)
        return
    bounds = [n * k // threads for k in range(threads + 1)]
    chunks = list(zip(bounds[:-1], bounds[1:]))
    pool = _pool()                     # one pool for all chunks, even if it is replaced now
    if not blas:                       # the calling thread takes the first chunk itself
        futures = [pool.submit(fn, a, b) for a, b in chunks[1:]]
        fn(*chunks[0])
        for f in futures:
            f.result()
        return
    get, put = _blas_threads()
    before = get()
    put(1)
    try:
        futures = [pool.submit(fn, a, b) for a, b in chunks]
        for f in futures:
            f.result()
    finally:
        put(before)
