"""Which vector width torch's CPU kernels run at here — it decides the order of their sums.

torch compiles its kernels several times (DEFAULT, AVX2, AVX512 on x86) and picks one set at
start-up (``torch.backends.cpu.get_cpu_capability()``). Its vectorized reductions
(``vec::reduce_all``: the softmax's max and sum) add W lanes side by side, W = the vector's
width (float32: 16 under AVX512, 8 under AVX2; float64: 8 / 4), so the same row sums to other
bits on another CPU. To give torch's numbers we pick the same set torch picks, by its rule
(ATen's ``DispatchStub.cpp``): the environment variable ``ATEN_CPU_CAPABILITY`` ("default",
"avx2", "avx512") if set, else AVX512 where the CPU has avx512vl, avx512bw, avx512dq and fma,
else AVX2 with avx2 and fma, else DEFAULT. (The flags are read from /proc/cpuinfo: Linux; other
systems get DEFAULT, whose exact bits we do not claim.)
"""
import os

import numpy as np

__all__ = ["capability", "set_capability", "lanes", "tree_fold"]

_NAMES = ("default", "avx2", "avx512")
_chosen = None


def _from_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
            else:
                return "default"
    except OSError:
        return "default"
    if {"avx512vl", "avx512bw", "avx512dq", "avx512f", "fma"} <= flags:
        return "avx512"
    if {"avx2", "fma"} <= flags:
        return "avx2"
    return "default"


def capability() -> str:
    """torch's CPU capability here: "avx512", "avx2" or "default" (see the module's doc)."""
    global _chosen
    if _chosen is None:
        env = os.environ.get("ATEN_CPU_CAPABILITY", "")
        _chosen = env if env in _NAMES else _from_cpu()
    return _chosen


def set_capability(name):
    """Force a capability (tests: the AVX2 order on an AVX-512 machine); None: detect again.
    Returns the one in force before."""
    global _chosen
    if name is not None and name not in _NAMES:
        raise ValueError(f"capability must be one of {_NAMES}, got {name!r}")
    before, _chosen = capability(), name
    return before


def lanes(dtype) -> int:
    """W: how many values of ``dtype`` (float32 or float64) one of torch's vectors holds —
    64 bytes under AVX512, 32 otherwise."""
    width = 64 if capability() == "avx512" else 32
    return width // np.dtype(dtype).itemsize


def tree_fold(dtype) -> bool:
    """True when torch folds a reduction's lanes by halving (lane i with lane i + W/2, then
    W/4, ...: its float32 shuffles under AVX2/AVX512); False: one by one from lane 0."""
    return capability() != "default" and np.dtype(dtype) == np.float32
