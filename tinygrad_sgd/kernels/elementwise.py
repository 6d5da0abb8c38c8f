"""Elementwise kernels where plain NumPy is slow for a reason worth knowing."""
import numpy as np

from . import buffers, vecmath
from .backend import compiled
from .cascade_sum import torch_sum
from .layout import elementwise_order, in_torch_layout, inverse_order, memory_order
from .threads import parallel_for

__all__ = ["relu", "keep_where", "lerp", "sum_to_shape", "arithmetic", "add_rows", "copy"]

# Below this many elements the compiled kernel's call costs more than NumPy's passes.
COMPILED_MIN_ELEMENTS = 2048
# NumPy's one pass for relu is quick on small arrays: in a training step the compiled call
# measured slower below this (its Python around the call costs more there than in isolation)
RELU_COMPILED_MIN_ELEMENTS = 1 << 14
_UNSIGNED = {2: np.uint16, 4: np.uint32, 8: np.uint64}   # a float's bits, by its size
# Arithmetic on this many elements is split over the threads (when the spinning workers are
# free: see :func:`.threads.parallel_for`). Measured in a small GPT's training step (1 MB
# residual adds and gradient sums, 4 MB products of the MLP) on two threads: 1.2-3% faster
# in four same-process comparisons — though a warm 1 MB add alone is slower split (84 against
# 47 µs): in the step its data comes from memory, which two cores fetch faster.
SPLIT_MIN_ELEMENTS = 1 << 18


def relu(x):
    """max(x, 0) as torch computes it: a negative number gives +0, and −0 and NaN come out as
    they went in (sign included). NumPy's ``maximum(0, x)`` returns its second operand on a
    tie and a NaN operand as it is; the compiled kernel writes ``0 if x < 0 else x`` in one
    pass over x's memory (NumPy's maximum, with its NaN checks, is ~2.5x slower)."""
    fast = compiled()
    if fast is not None and x.dtype in fast.FLOATS and x.size >= RELU_COMPILED_MIN_ELEMENTS:
        p = memory_order(x)
        if p is not None:
            xm = x.transpose(p)
            out = fast.elementwise.relu(xm.reshape(-1))
            return out.reshape(xm.shape).transpose(inverse_order(p))
    return np.where(x < 0, np.zeros((), x.dtype), x)     # (NumPy's float16 maximum(0, −0) is
    # +0: it returns the first operand on a tie there)


def keep_where(cond, x):
    """``x where cond, else +0`` for arrays, keeping x's memory layout. ``cond`` is a boolean
    array, or an array of x's float dtype read as ``cond ≠ 0`` (relu's backward passes its
    output itself: no mask array is made).

    The backward of relu, clamp and max-pool is exactly this, on big arrays. ``np.where`` is
    ~8x slower on a random mask (a branch per element) and returns C order (a transposed,
    batch-innermost gradient then costs a copy in every later op); ``x·cond`` is a fast pass
    but wrong where an inf or nan meets a false cond (inf·0 = nan) and for signs (−1·0 = −0).
    So it is done on the bits: x's bits AND all ones where cond holds (x as it is, −0 and NaN
    included) or all zeros (+0.0) — two passes, exact, x's layout kept.
    The compiled kernels do it in one pass over the memory of x and cond when both have the
    same layout (see :func:`.layout.memory_order`)."""
    fast = compiled()
    if fast is not None and x.dtype in fast.FLOATS and cond.dtype in (np.bool_, x.dtype) and \
            cond.shape == x.shape and x.size >= COMPILED_MIN_ELEMENTS:
        if x.flags.c_contiguous and cond.flags.c_contiguous:         # (the common case, quick)
            return fast.elementwise.keep_where(cond.reshape(-1), x.reshape(-1)).reshape(x.shape)
        p = memory_order(x)
        if p is not None and cond.transpose(p).flags.c_contiguous:
            xm, cm = x.transpose(p), cond.transpose(p)
            out = fast.elementwise.keep_where(cm.reshape(-1), xm.reshape(-1))
            return out.reshape(xm.shape).transpose(inverse_order(p))
    if cond.dtype != np.bool_:
        cond = cond != 0
    bits = _UNSIGNED.get(x.dtype.itemsize) if x.dtype.kind == "f" else None
    if bits is None:
        return np.where(cond, x, np.zeros((), x.dtype))
    ones = np.subtract(0, cond, dtype=bits)            # True: 0 − 1 = all ones; False: 0
    return np.asarray(np.bitwise_and(x.view(bits), ones)).view(x.dtype)


def lerp(x, y, w):
    """torch's CPU lerp: a fused multiply-add of w and (y − x) onto x (or onto y with 1 − w),
    rounded once. For float32 the product and the sum are taken in float64 (the product of two
    float32 numbers is exact there), so the one rounding matches the fused one."""
    d = y - x
    small = np.abs(w) < 0.5
    out_dtype = np.result_type(x, y, w)
    if out_dtype == np.float32:
        w32 = np.asarray(w, np.float32)               # a number weight is float32 too
        d64, w64 = d.astype(np.float64), w32.astype(np.float64)
        one_minus = (np.float32(1) - w32).astype(np.float64)
        return np.where(small, x + w64 * d64, y - d64 * one_minus).astype(np.float32)
    if out_dtype == np.float64:         # (torch's vector loop: fused multiply-adds)
        return np.where(small, vecmath.fma64(w, d, x), vecmath.fma64(-d, 1 - w, y))
    return np.where(small, x + w * d, y - d * (1 - w))


def sum_to_shape(a, shape):
    """``a`` summed over the axes broadcasting added or stretched to reach it from ``shape``:
    the adjoint of a broadcast, on arrays (the graph's :class:`SumToShape` and the kernels that
    sum their own gradients both use it) — one sum over all those axes, added in torch's order
    (its ``sum_to``; :func:`.cascade_sum.torch_sum`). ``a`` itself when nothing was broadcast."""
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and a.shape[i + lead] != 1)
    if not axes:
        return a
    out = torch_sum(a, axes)
    if out is None:
        return np.add.reduce(a, axis=axes, keepdims=True).reshape(shape)
    return out.reshape(shape)


def arithmetic(ufunc, a, b):
    """``ufunc(a, b)`` (add, subtract, multiply, divide) as NumPy computes it; for big float
    arrays of one shape and layout (or an array and a 0-d one) into reused memory from
    :mod:`.buffers`: a fresh result costs a page fault per 4 KB on its first write, and two
    threads faulting at once wait for each other. From :data:`SPLIT_MIN_ELEMENTS` on, the
    threads take ranges of the outermost dim in memory (each number computed as alone: the
    same bits on any number of threads)."""
    if a.nbytes < buffers.MIN_BYTES and b.nbytes < buffers.MIN_BYTES and \
            a.flags.c_contiguous and b.flags.c_contiguous:
        return ufunc(a, b)            # small and C-ordered: NumPy's result is torch's layout
    if a.dtype.kind != "f" or a.nbytes < buffers.MIN_BYTES or \
            not (b.shape == a.shape or b.ndim == 0) or np.result_type(a, b) != a.dtype:
        if a.dtype.kind == "f" and b.dtype.kind == "f" and a.flags.c_contiguous and \
                b.flags.c_contiguous and max(a.nbytes, b.nbytes) >= buffers.MIN_BYTES:
            # one broadcast against the other (a transformer's positions added to a batch):
            # the result is C-ordered, as torch's, and goes to reused memory too
            out = buffers.empty(np.broadcast_shapes(a.shape, b.shape), np.result_type(a, b))
            ufunc(a, b, out=out)
            return out
        return in_torch_layout(ufunc(a, b), a, b)
    p = memory_order(a)
    if p is None and (b.ndim == 0 or b.strides == a.strides):
        # a view with gaps (heads sliced out of one fused q|k|v product): torch's result is
        # dense in the view's own order of dims (as NumPy's), here in reused memory too
        p = elementwise_order(a.shape, a)
    elif b.ndim and b.strides != a.strides:
        return in_torch_layout(ufunc(a, b), a, b)
    am = a.transpose(p)
    bm = b.transpose(p) if b.ndim else b
    out = buffers.empty(am.shape, a.dtype)
    if a.size >= SPLIT_MIN_ELEMENTS and am.ndim and am.shape[0] > 1:
        parallel_for(am.shape[0], lambda i, j: ufunc(am[i:j], bm[i:j] if b.ndim else bm,
                                                     out=out[i:j]), a.size)
    else:
        ufunc(am, bm, out=out)
    return out.transpose(inverse_order(p))


def add_rows(out, b):
    """``out += b`` in place, ``b`` of the size of ``out``'s last dim (a linear layer's bias):
    for C-contiguous float arrays the same sums from the compiled kernel, 2x faster than
    NumPy's broadcast add (~2 ms of a small GPT's step)."""
    fast = compiled() if out.size >= COMPILED_MIN_ELEMENTS else None
    if fast is not None and out.ndim >= 2 and out.flags.c_contiguous and b.ndim == 1 and \
            b.shape[0] == out.shape[-1] and b.dtype == out.dtype and fast.floats(out):
        fast.elementwise.add_rows(out.reshape(-1, b.shape[0]), np.ascontiguousarray(b))
    else:
        out += b
    return out


def copy(a, order="C"):
    """A copy of ``a`` with memory of its own, laid out as NumPy's ``np.array(a, order=order,
    copy=True)``; big ones ordered "C" (or "K" of a C-contiguous array) in reused memory from
    :mod:`.buffers` — a transformer's heads put back together (``y.transpose(1, 2)
    .contiguous()``) took 0.65 ms a call in a fresh 1 MB array inside a training step, most of
    it page faults, 0.1 ms without."""
    if a.nbytes < buffers.MIN_BYTES or not (order == "C" or order == "K" and a.flags.c_contiguous):
        return np.array(a, order=order, copy=True)
    out = buffers.empty(a.shape, a.dtype)
    np.copyto(out, a)
    return out
