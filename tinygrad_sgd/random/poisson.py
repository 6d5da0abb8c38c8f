"""``torch.poisson``, replayed draw for draw: torch's ``sample_poisson`` (ATen/native/
Distributions.cpp) — Knuth's product of uniforms below a rate of 10, Hörmann's transformed
rejection (PTRS, 1993) from 10 on — element by element, with the same float64 uniforms and the
same float64 arithmetic (the C library's log, exp, sqrt and lgamma). Bit-exact with torch 2.13,
generator state included.
"""
import ctypes
import ctypes.util
import math

import numpy as np

from .generator import _gen, _uniform01_f64, torch_dtype_name

__all__ = ["poisson"]


_lgamma_fn = []


def _lgamma(x: float) -> float:
    """The C library's ``lgamma``, as torch calls it (Python's ``math.lgamma`` is CPython's
    own, which can differ in the last bit); loaded on first use, ``math.lgamma`` where the C
    library can't be loaded."""
    if not _lgamma_fn:
        try:
            fn = ctypes.CDLL(ctypes.util.find_library("m")).lgamma
            fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_double]
        except (OSError, AttributeError, TypeError):
            fn = math.lgamma
        _lgamma_fn.append(fn)
    return _lgamma_fn[0](x)


_INT64_MIN = -(1 << 63)


def _c_floor_to_int64(x: float) -> int:
    """``(int64_t)std::floor(x)`` on x86-64: NaN, ±inf and values out of range give
    INT64_MIN (the "integer indefinite" of ``cvttsd2si``)."""
    if not math.isfinite(x) or not -2.0 ** 63 <= x < 2.0 ** 63:
        return _INT64_MIN
    return math.floor(x)


def _c_div(x: float, y: float) -> float:
    """``x / y`` as C computes it: ±inf or NaN for y == 0, where Python raises."""
    if y == 0:
        return math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x) * \
            math.copysign(1.0, y)
    return x / y


def _c_log(x: float) -> float:
    """The C library's ``log`` (``math.log`` calls it), with C's −inf at 0 and NaN below."""
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _poisson_one(rate: float, uniform) -> int:
    """torch's ``sample_poisson(rate)`` (ATen/native/Distributions.cpp), drawing its float64
    uniforms from ``uniform()``: Knuth's product of uniforms below 10, Hörmann's transformed
    rejection (PTRS, 1993) from 10 on. The float64 expressions are evaluated in C's order,
    each operation rounded once (that file is compiled without fused multiply-adds)."""
    if rate >= 10:
        slam, loglam = math.sqrt(rate), _c_log(rate)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = _c_floor_to_int64((_c_div(2 * a, us) + b) * u + rate + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if _c_log(v) + _c_log(invalpha) - _c_log(_c_div(a, us * us) + b) <= \
                    -rate + k * loglam - _lgamma(k + 1.0):
                return k
    if rate == 0:
        return 0
    enlam, count, prod = math.exp(-rate), 0, 1.0
    while True:
        prod *= uniform()
        if prod > enlam:
            count += 1
        else:
            return count


def poisson(rates, generator=None) -> np.ndarray:
    """``torch.poisson(rates)``: one Poisson(rate) count per element, in rates' float dtype;
    bit-exact.

    torch runs ``sample_poisson`` (:func:`_poisson_one`) element by element in C order, each
    drawing float64 uniforms until it is done — how many depends on the values drawn, so where
    an element's draws start depends on every element before it. That makes this a loop over
    the elements (with Python floats: ``math``'s log, exp and sqrt are the C library's, as
    torch calls them). The uniforms are drawn ahead in blocks; the generator is then set back
    and advanced by exactly the draws used. A negative or NaN rate raises when its element is
    reached, as torch (the draws of the elements before it are spent).
    """
    r = np.asarray(rates)
    if r.dtype not in (np.float16, np.float32, np.float64):
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for "
                                  f"'{torch_dtype_name(r.dtype)}'")
    gen = _gen(generator)
    flat = r.astype(np.float64).ravel().tolist()
    start = gen.state_bytes()
    buffer, used = [], 0

    def uniform():
        nonlocal buffer, used
        if used == len(buffer):
            buffer = buffer + _uniform01_f64(gen, max(64, len(buffer))).tolist()
        used += 1
        return buffer[used - 1]

    counts = []
    try:
        for rate in flat:
            if not rate >= 0:
                raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
            counts.append(_poisson_one(rate, uniform))
    finally:                               # exactly the uniforms torch would have drawn
        gen.set_state(start)
        gen.random64(used)
    wide = np.float64 if r.dtype == np.float64 else np.float32   # (int64 -> float -> Half)
    with np.errstate(over="ignore"):
        return np.array(counts, np.int64).astype(wide).astype(r.dtype).reshape(r.shape)
