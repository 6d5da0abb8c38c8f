"""Compiled (numba) twins of the hottest NumPy kernels, one module per kernel family.

Each public function here takes and returns exactly what its NumPy twin in
:mod:`tinygrad_sgd.kernels` does, and is tested against it (``tests/test_kernels_backends.py``,
``tests/test_kernels_norm.py``, ``tests/test_kernels_optim.py``,
``tests/test_gpt_speed_paths.py``, ``tests/test_rnn_fast.py``).
The loops run over the batch innermost (the (C, H, W, N) layout), so each inner loop is a
contiguous run that LLVM vectorizes. Kernels are single-threaded and release the GIL
(``nogil``): :func:`..threads.parallel_for` splits them over channels or output rows.
``cache=True`` keeps the machine code on disk: the first process compiles (tens of seconds,
announced on stderr), later ones load it in well under a second.

Only float32 and float64 arrays go to these kernels; other dtypes stay on the NumPy ones.
"""
import sys

import numba
import numpy as np
import numpy.ma  # noqa: F401  (see below)
from numba.core import event

# numba's typeof of an array asks whether it is a np.ma.MaskedArray, and NumPy 2 imports numpy.ma
# on first use. Imported here, on the thread that loads the kernels, that first use is never a
# spinning worker's: a process forked while a worker held numpy.ma's import lock left its child
# unable to import it (its new worker then hung, or recursed, on the first kernel call).

__all__ = ["cache", "kernel", "inline", "U", "aligned_empty", "FASTMATH", "FLOATS", "conv", "conv_weight", "columns", "pool",
           "activations", "norm", "elementwise", "loss", "optim", "blas", "random", "served",
           "spin", "cascade_sum", "softmax", "recurrent"]

# Reassociation and contraction let sums vectorize; no nnan/ninf: NaN and inf must propagate
# (and max pooling's NaN rule relies on v != v).
FASTMATH = {"contract", "reassoc", "arcp", "nsz"}
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

_announced = False


class _Announce(event.Listener):
    """Print "compiling kernels (once)…" to stderr the first time one of ours really compiles
    (numba's "numba:compile" event fires on a cache miss only, not on a load from disk)."""

    def on_start(self, ev):
        global _announced
        disp = ev.data.get("dispatcher") if isinstance(ev.data, dict) else None
        module = getattr(getattr(disp, "py_func", None), "__module__", "") or ""
        # (not the spinning workers' poll loop: it cannot be cached and compiles, ~0.1 s, in
        # every process that splits work over threads — "once" would be untrue)
        if not _announced and module.startswith(__name__) and module != __name__ + ".spin":
            _announced = True
            print("tinygrad_sgd: compiling kernels (once)… later runs load them from the cache",
                  file=sys.stderr, flush=True)

    def on_end(self, ev):
        pass


event.register("numba:compile", _Announce())

# Before any kernel below is decorated: stamp each with the whole package's source, so a change
# in one file recompiles the kernels in other files that call it (see .cache).
from . import cache  # noqa: E402,F401


def _allow_512_bit_vectors():
    """Let LLVM vectorize with 512-bit registers where the CPU has AVX-512 (``avx512f``).

    LLVM's tuning for Intel's AVX-512 cores (Skylake-X to Granite Rapids, Rocket Lake) prefers
    256-bit vectors (its ``prefer-256-bit`` tuning: clock drops on the first of those cores),
    so every loop here ran at half the width the CPU has; for AMD's Zen 4 and 5 it uses 512
    already. Measured on an Intel Xeon with AVX-512 (2.6 GHz; LLVM names it "rocketlake"),
    the tutorial CNN at batch 64: its three convolution kernels 1.88 → 1.52 ms a step (one
    thread), the whole step 3.49 → 3.24 ms on one thread and 2.51 → 2.40 on two (medians of
    four alternating process pairs, 1000 steps each).

    numba reads its CPU features once per process, when its first function compiles or loads
    from the cache, so this sets them (numba's ``config.CPU_FEATURES``: the host's, with
    ``-prefer-256-bit``) for every numba function of the process — the user's too — and only
    where nobody chose already: not when ``NUMBA_CPU_FEATURES`` or ``NUMBA_CPU_NAME`` is set,
    nor once numba's CPU target is set up (a function compiled before tinygrad_sgd's kernels
    were imported). numba's on-disk cache keeps code per feature set, so the two never mix.
    Returns whether it set them."""
    from numba.core import config
    from numba.core.codegen import get_host_cpu_features
    from numba.core.registry import cpu_target
    if config.CPU_FEATURES is not None or config.CPU_NAME is not None or \
            "_toplevel_target_context" in vars(cpu_target):
        return False
    features = get_host_cpu_features()
    if "+avx512f" not in features.split(","):
        return False
    config.CPU_FEATURES = features + ",-prefer-256-bit"
    return True


WIDE_VECTORS = _allow_512_bit_vectors()


# Kernels address the flat memory of their arrays with unsigned offsets (``U(k)``): numba checks a
# signed index for wraparound (a negative one counts from the end) and that branch stops LLVM
# from vectorizing; slicing out the runs instead costs a reference count per slice, which at
# batch 1 was 85% of the tutorial conv2's forward (0.34 ms of 0.39).
U = np.uint64


def kernel(fn):
    """A compiled kernel: cached on disk, GIL released, vectorizing fastmath (NaN-safe)."""
    return numba.njit(cache=True, nogil=True, fastmath=FASTMATH)(fn)


def inline(fn):
    """A compiled helper that the kernels calling it take in whole (numba inlines it)."""
    return numba.njit(cache=True, fastmath=FASTMATH, inline="always")(fn)


# A 512-bit vector is a whole 64-byte cache line: read or written at any other place it
# straddles two lines, and the CPU does two accesses for it.
CACHE_LINE = 64


@numba.njit(cache=True, inline="always")
def aligned_empty(n, dtype):
    """``np.empty(n, dtype)`` (float32 or float64) starting on a cache line, for a kernel's
    scratch rows: numba's own arrays start 32 bytes into one. Measured on an Intel Xeon (1
    thread, the tutorial's shapes at batch 64): the direct convolution's forward summing into
    scratch rows 32 bytes off a line 252 → 194 µs for conv1, 459 → 336 for conv2."""
    raw = np.empty(n + CACHE_LINE // 4, dtype)
    skip = (CACHE_LINE - raw.ctypes.data % CACHE_LINE) % CACHE_LINE // raw.itemsize
    return raw[skip:skip + n]


def floats(*arrays):
    """True when every array is float32 or float64 and they share one dtype."""
    return all(a.dtype in FLOATS and a.dtype == arrays[0].dtype for a in arrays)


from . import (conv, conv_weight, columns, pool, activations, norm, elementwise,  # noqa: E402,F401
               loss, optim, blas, random, cascade_sum, softmax, recurrent)

# Imported on first use (by the spinning workers, :mod:`..threads`): served's job runner is
# compiled at import with every kernel it serves (~10 s the first time, before numba's cache
# has them), which a program that only draws random numbers should not wait for.
_ON_FIRST_USE = ("served", "spin")


def __getattr__(name):
    if name in _ON_FIRST_USE:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
