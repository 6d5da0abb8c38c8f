"""Exact fused multiply-add in NumPy.

torch's compiled random kernels compute ``x * scale + shift`` with one rounding (the compiler
fuses the multiply-add into ``vfmadd``); NumPy rounds twice. :func:`fma32` and :func:`fma64`
(in :mod:`tinygrad_sgd.kernels.vecmath`, which torch's other fused kernels use too) give the
singly rounded results, elementwise and vectorised, so the uniforms and normals here match
torch's bit for bit. ``tests/test_random.py`` checks them against exact rational arithmetic.
"""
import numpy as np

from ..kernels.vecmath import fma32, fma64

__all__ = ["fma32", "fma64", "by_slabs"]


_SLAB = 1 << 16


def by_slabs(fn, x: np.ndarray, *args, rows: int = _SLAB) -> np.ndarray:
    """``fn(x, *args)`` for a row-wise ``fn``, computed ``rows`` rows at a time.

    Same values; it keeps NumPy's temporaries small. Whole-array temporaries of 4 MiB and more
    get huge pages from NumPy, and faulting those in cost several times the arithmetic.
    """
    if len(x) <= rows:
        return fn(x, *args)
    return np.concatenate([fn(x[i:i + rows], *args) for i in range(0, len(x), rows)])
