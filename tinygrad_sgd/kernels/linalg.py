"""Matrix products: one BLAS call where NumPy would make many, into reused memory, in a given
layout."""
import math

import numpy as np

from . import buffers
from .backend import compiled
from .threads import (blas_single_threaded, blas_threads_sleep, get_num_threads,
                      pairs_possible, parallel_for, run_pair)

__all__ = ["matmul", "linear_grads", "linear_grads_paired"]

# Below this many multiply-adds OpenBLAS runs a product on one thread whatever its thread count
# (its SMP threshold, 65536 · GEMM_MULTITHREAD_THRESHOLD 4)
SMALL_PRODUCT = 1 << 18
# OpenBLAS's threads, told to sleep right after each product (kernels/openblas.py), take
# ~40 µs to wake on this kind of virtual machine: up to this many multiply-adds a product is
# made on one BLAS thread instead. Measured (float32, other work between the products): 64x320
# x50 (the tutorial's fc1 at batch 64, 10^6) 35 µs on two threads, 21 on one (the step 1.6%
# faster); 256x320x50 and 128x256x128 (4·10^6) 61/71 and 72/69; 512x128x128 (8·10^6) 96/130.
ONE_THREAD_PRODUCT = 1 << 21
# A linear layer's two gradient products run side by side (one per core, BLAS single-threaded)
# when each has at least this many multiply-adds: below it, the hand-over costs more. A small
# GPT's products (3·10^7 and more) gained 1.0-1.8%. The tutorial CNN's fc1 at batch 64 (10^6
# each) gained 2.3-2.5% while an unpaired product woke OpenBLAS's second thread; made on one
# thread each (ONE_THREAD_PRODUCT), unpaired is 0.3-1% faster (same process, alternating).
PAIR_MIN_PRODUCT = 1 << 21


def matmul(a, b, layout_of=None, one_blas_thread=False):
    """``a @ b`` (``one_blas_thread``: with OpenBLAS on one thread, as :func:`linear_grads`
    makes a pair's products, for their bits).

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
    if one_blas_thread:
        return blas_single_threaded(matmul, a, b, layout_of)
    if a.ndim > 2 and b.ndim == 2:
        rows = math.prod(a.shape[:-1])            # (not -1: a dim may be 0)
        return matmul(a.reshape(rows, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[1:])
    if a.ndim < 2 or b.ndim < 2:                 # a vector: NumPy's own
        return np.matmul(a, b)
    if a.ndim == 2 and b.ndim == 2 and _transposed(layout_of):
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
    if not batch:
        return _product(a, b, out)
    return np.matmul(a, b, out=out)


def _product(a, b, out):
    """``np.matmul(a, b, out=out)`` for 2-D operands — on one BLAS thread when OpenBLAS would
    wake a sleeping thread of its own for a product too small to gain from it
    (:data:`ONE_THREAD_PRODUCT`)."""
    macs = a.shape[0] * a.shape[1] * b.shape[1]
    if SMALL_PRODUCT <= macs < ONE_THREAD_PRODUCT and blas_threads_sleep():
        return blas_single_threaded(np.matmul, a, b, out=out)
    return np.matmul(a, b, out=out)


def linear_grads(g, w, x, layout_of=None):
    """A linear layer's two gradients, ``(g·W, gᵀ·x)`` — dL/dx of shape (..., in) and dL/dW
    (out, in) — for g (..., out), W (out, in), x (..., in), the leading dims folded into the
    rows of the products; dL/dx in the layout of ``layout_of`` as :func:`matmul` gives it.
    Or None when not float32/float64 of one dtype with at least one leading dim (the caller
    takes its general path).

    The two products are independent: with two threads they run at once, each whole on its
    own core with BLAS single-threaded (:func:`.threads.run_pair`), instead of one after the
    other on two BLAS threads — for a small GPT's shapes (2048 rows, 128-512 wide) 4% less
    time, measured side by side in one process (:data:`PAIR_MIN_PRODUCT`). Paired or not
    (:func:`linear_grads_paired`), the products are then made on one BLAS thread each:
    OpenBLAS's float32 numbers depend on its thread count, and the graph's backward
    (create_graph) makes them so too, for the same bits."""
    if not _plain_floats(g, w, x):
        return None
    rows = math.prod(g.shape[:-1])
    g2, x2 = g.reshape(rows, g.shape[-1]), x.reshape(rows, x.shape[-1])
    if g.ndim == 2 and _transposed(layout_of):
        dx_t, fill_dx = _product_into(w.T, g2.T)          # (Wᵀ·gᵀ)ᵀ, as matmul's layout_of
        dx, served_dx = dx_t.T, (w.T, g2.T, dx_t)
    else:
        dx, fill_dx = _product_into(g2, w)
        served_dx = (g2, w, dx)
    dw, fill_dw = _product_into(g2.T, x2)
    if not linear_grads_paired(g, w, x):
        fill_dx()
        fill_dw()
    elif not run_pair(fill_dw, fill_dx, _served_product(*served_dx)):   # (the worker busy)
        blas_single_threaded(lambda: (fill_dx(), fill_dw()))
    return dx.reshape(g.shape[:-1] + (w.shape[1],)), dw


def linear_grads_paired(g, w, x) -> bool:
    """Whether :func:`linear_grads` makes the two products of g (..., out), W (out, in) and
    x (..., in) side by side, each on one BLAS thread: both large enough
    (:data:`PAIR_MIN_PRODUCT`) and pairs possible (:func:`.threads.pairs_possible`)."""
    if not _plain_floats(g, w, x):
        return False
    rows = math.prod(g.shape[:-1])
    return min(rows * w.size, rows * x.shape[-1] * g.shape[-1]) >= PAIR_MIN_PRODUCT and \
        pairs_possible()


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _plain_floats(g, w, x):
    """float32 or float64 operands of one dtype, g and x with at least one leading dim."""
    return g.ndim >= 2 and x.ndim == g.ndim and g.dtype in _FLOATS and \
        g.dtype == w.dtype == x.dtype


def _transposed(layout_of):
    """True for a 2-D array in Fortran order only (a transposed matrix): the layout a product
    asked to match it gets."""
    return layout_of is not None and layout_of.ndim == 2 and layout_of.flags.f_contiguous \
        and not layout_of.flags.c_contiguous


def _served_product(a, b, out):
    """``out = a·b`` (a float32 product into C-contiguous ``out``; ``a`` and ``b`` C-contiguous
    or transposed views of C-contiguous arrays) as calls a spinning worker runs without the
    GIL — NumPy's OpenBLAS called as np.matmul calls it (:mod:`.compiled.blas`) — or None
    (it stays a Python job)."""
    fast = compiled()
    if fast is None or get_num_threads() < 2 or fast.blas.sgemm_address() is None or \
            not a.dtype == b.dtype == out.dtype == np.float32:
        return None                  # (one thread: no worker to serve, nothing to prepare)
    plain = [m if m.flags.c_contiguous else m.T if m.T.flags.c_contiguous else None
             for m in (a, b)]
    if plain[0] is None or plain[1] is None:
        return None
    return [(fast.blas._sgemm, plain[0], plain[1], out, int(plain[0] is not a),
             int(plain[1] is not b), fast.blas.sgemm_address())]


def _product_into(a, b):
    """A 2-D product's result array (reused memory, allocated here on the calling thread) and
    the call that fills it."""
    out = buffers.empty((a.shape[0], b.shape[1]), np.result_type(a, b))
    return out, lambda: _product(a, b, out)
