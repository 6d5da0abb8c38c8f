"""Matrix products: one BLAS call where NumPy would make many, into reused memory, in a given
layout."""
import math

import numpy as np

from . import buffers
from .threads import parallel_for

__all__ = ["matmul"]

# Below this many multiply-adds OpenBLAS runs a product on one thread whatever its thread count
# (its SMP threshold, 65536 · GEMM_MULTITHREAD_THRESHOLD 4)
SMALL_PRODUCT = 1 << 18


def matmul(a, b, layout_of=None):
    """``a @ b``.

    * ``a`` (..., k) times a matrix ``b`` (k, n): the leading dims are folded into the rows
      of one product, ``a.reshape(-1, k) @ b`` (a copied first if it is a strided view: the
      copy is 1/n-th of the product's work). NumPy would make one small product per leading
      index (a transformer's (B, T, k) activations: B products of T rows), 1.5x slower on
      one thread and not sped up by BLAS's threads.
    * The result is written into an array from :mod:`.buffers` (reused from an earlier step
      once nobody holds it): a fresh block of memory costs a page fault per 4 KB on first
      touch, which made a small GPT's products up to 1.5x slower than the same products
      into warm memory.
    * ``layout_of`` a transposed 2-D array (Fortran order — a flattened convolution output,
      batch innermost): the result gets that layout too, computed as ``(bᵀ·aᵀ)ᵀ``, so the ops
      it flows back into (relu, pooling) read matching layouts."""
    if a.ndim > 2 and b.ndim == 2:
        rows = math.prod(a.shape[:-1])            # (not -1: a dim may be 0)
        return matmul(a.reshape(rows, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[1:])
    if a.ndim < 2 or b.ndim < 2:                 # a vector: NumPy's own
        return np.matmul(a, b)
    if layout_of is not None and a.ndim == 2 and b.ndim == 2 and layout_of.ndim == 2 and \
            layout_of.flags.f_contiguous and not layout_of.flags.c_contiguous:
        return matmul(b.T, a.T).T
    batch = () if a.ndim == b.ndim == 2 else \
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])      # (ValueError if they don't)
    out = buffers.empty(batch + (a.shape[-2], b.shape[-1]), np.result_type(a, b))
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    if batch and a.shape[:-2] == b.shape[:-2] and batch[0] > 1 and m * k * n < SMALL_PRODUCT:
        # a stack of small products (attention's): BLAS makes them one by one on one thread;
        # two threads each take a part of the stack
        parallel_for(batch[0], lambda i, j: np.matmul(a[i:j], b[i:j], out=out[i:j]),
                     work=math.prod(batch) * m * k * n // 8)
        return out
    return np.matmul(a, b, out=out)
