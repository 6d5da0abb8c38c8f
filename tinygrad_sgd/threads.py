"""Use both cores for the big copies (im2col, col2im, pooling).

NumPy releases the GIL inside copies and arithmetic, so two Python threads that each copy
half of an array really run in parallel. ``parallel_for(n, fn)`` splits ``range(n)`` into one
contiguous chunk per thread and calls ``fn(start, stop)`` for each. Matrix products are
already parallel inside BLAS.

The thread count follows torch's API: ``set_num_threads(n)`` / ``get_num_threads()``; the
default is ``$OMP_NUM_THREADS`` (or ``$OPENBLAS_NUM_THREADS``) if set, else the number of cores.
"""
import os
from concurrent.futures import ThreadPoolExecutor

_executor = None


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
    if _executor is not None:
        _executor.shutdown(wait=True)
        _executor = None


def get_num_threads() -> int:
    return _num_threads


# below this many elements a thread hand-off costs more than it saves
MIN_PARALLEL_ELEMENTS = 1 << 15


def parallel_for(n: int, fn, work: int = MIN_PARALLEL_ELEMENTS) -> None:
    """Call ``fn(start, stop)`` on contiguous chunks covering ``range(n)``, one per thread
    (just ``fn(0, n)`` when single-threaded, or when ``work`` — the number of elements
    touched — is too small to be worth it)."""
    global _executor
    threads = min(_num_threads, n)
    if threads <= 1 or work < MIN_PARALLEL_ELEMENTS:
        fn(0, n)
        return
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=_num_threads,
                                       thread_name_prefix="tinygrad_sgd")
    bounds = [n * k // threads for k in range(threads + 1)]
    futures = [_executor.submit(fn, a, b) for a, b in zip(bounds[1:-1], bounds[2:])]
    fn(bounds[0], bounds[1])           # the calling thread takes the first chunk
    for f in futures:
        f.result()
