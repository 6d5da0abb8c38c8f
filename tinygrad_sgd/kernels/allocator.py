"""Keep freed big blocks of memory for reuse instead of giving them back to the OS.

A training step allocates the same large arrays every time (im2col columns, activations,
gradients: tens of MB at batch 256). By default glibc serves blocks above 128 KB (adaptively
up to 32 MB) with mmap and unmaps them when freed, so every step's fresh arrays are new pages:
the kernel zero-fills each 4 KB page on first touch, which cost a tenth of the step time here.
PyTorch avoids this with its caching allocator; we ask glibc to do the same job, by raising its
mmap and trim thresholds (``mallopt``). Resident memory then stays at the peak of a step
instead of falling back between steps — it does not grow.

It is OFF by default: the setting is process-wide, and measured here it made torch's
two-thread CNN step in the same process twice as slow (its worker threads then share heap
memory), while our own step gained 0-15%. Turn it on with ``keep_freed_memory()`` or by
setting ``TINYGRAD_SGD_KEEP_MEMORY=1`` before importing ``tinygrad_sgd``. A no-op where the C
library is not glibc.
"""
import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20      # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 1 << 30

applied = False


def keep_freed_memory() -> bool:
    """Raise glibc's mmap/trim thresholds; returns True if it took effect."""
    global applied
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return applied


def apply_from_environment() -> bool:
    """Called on import of ``tinygrad_sgd``: applies the setting if
    ``TINYGRAD_SGD_KEEP_MEMORY=1``."""
    return os.environ.get("TINYGRAD_SGD_KEEP_MEMORY", "0") == "1" and keep_freed_memory()
