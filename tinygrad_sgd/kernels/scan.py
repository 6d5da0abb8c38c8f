"""Scans along a dim, and cumprod's first-order gradient where a slice holds a zero.

As torch's CPU kernels (``acc_type``), float32 scans accumulate in float64 (the last of
100,000 cumulative float32 sums matches torch's to the bit), float16 ones in float32 (70,000 ×
0.1 end at 7004, not 7000), and integers and bools in int64."""
import numpy as np

__all__ = ["scan_dtypes", "scan", "cumprod_grad_with_zeros"]


def scan_dtypes(dtype):
    """(accumulation dtype, result dtype) of a cumulative sum or product of ``dtype``."""
    if dtype.kind in "biu":
        return np.dtype(np.int64), np.dtype(np.int64)
    return np.dtype(np.float32 if dtype == np.float16 else np.float64), dtype


def scan(ufunc, d, dim, reverse, dtype=None):
    """``ufunc.accumulate`` along ``dim`` in the accumulation dtype, from the end if
    ``reverse``; a 0-d array is its own scan."""
    acc, out = scan_dtypes(d.dtype) if dtype is None else (np.dtype(dtype),) * 2
    if d.ndim == 0:
        return d.astype(out)
    if reverse:
        d = np.flip(d, dim)
    r = ufunc.accumulate(d.astype(acc, copy=False), axis=dim).astype(out, copy=False)
    return np.ascontiguousarray(np.flip(r, dim)) if reverse else r


def cumprod_grad_with_zeros(x, g, out, dim):
    """dL/dx of z = cumprod(x) along ``dim`` (``out`` = z, ``g`` = dL/dz) when x holds zeros:
    torch's O(n) first-order formula, step for step, so that inf and NaN meet the zeros as in
    torch. With z1 a slice's first zero and z2 its second (or the end):

        k < z1:   Σ_{j≥k} g_j z_j / x_k, the terms from z1 on left out (they are 0)
        k = z1:   Σ_{z1≤j<z2} g_j · Π_{z1<i≤j} x_i, times z_{z1−1} (1 if z1 is first)
        k > z1:   0 (every product holds x_{z1} = 0)

    (the second sum as torch takes it: the cumulative product of x with every place outside
    (z1, z2) taken as 1, times g with every place outside [z1, z2) taken as 0, summed.)"""
    zero = x == 0
    rank = np.cumsum(zero, axis=dim)
    grad = np.zeros(g.shape, g.dtype)
    before = rank == 0
    w = np.where(before, g * out, 0).astype(g.dtype, copy=False)
    np.copyto(grad, scan(np.add, w, dim, True) / x, where=before)
    first = zero & (rank == 1)
    between = (rank == 1) & ~first
    products = scan(np.multiply, np.where(between, x, 1).astype(x.dtype, copy=False), dim, False)
    total = (products * np.where(rank == 1, g, 0)).sum(axis=dim, keepdims=True)
    z1 = np.argmax(rank == 1, axis=dim, keepdims=True)
    prefix = np.take_along_axis(out, np.maximum(z1 - 1, 0), axis=dim)
    prefix = np.where(z1 == 0, 1, prefix)
    np.copyto(grad, np.broadcast_to(total * prefix, g.shape), where=first, casting="unsafe")
    return grad
