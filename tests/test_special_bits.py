"""Special functions to torch's last bits (CPU, this machine's AVX2 build): each case runs the
same function on torch and on tinygrad_sgd over a dense grid (both signs, tiny to huge, ±inf,
NaN) and bounds the largest distance in ulps (0: bit for bit; NaN must meet NaN)."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.special as S

_INT = {np.float32: np.int32, np.float64: np.int64}


def max_ulps(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype
    it = _INT[ours.dtype.type]

    def key(v):              # the floats in order as integers (−0 next to +0)
        i = v.view(it).astype(np.int64)
        return np.where(i < 0, np.iinfo(it).min - i, i)
    d = np.abs(key(ours) - key(theirs)).astype(float)
    nan_a, nan_b = np.isnan(ours), np.isnan(theirs)
    d = np.where(nan_a & nan_b, 0.0, np.where(nan_a ^ nan_b, np.inf, d))
    return d.max()


def grid(dtype, n=3000, negative_to=None):
    """geomspace over the dtype's range and linspace over [0, 30], both signs (the negative
    side only up to ``negative_to`` where given), with 0, ±inf, NaN and a few integers."""
    lo, hi = (1e-30, 1e30) if dtype == np.float32 else (1e-300, 1e300)
    pos = np.concatenate([np.geomspace(lo, hi, n), np.linspace(0, 30, n),
                          [0, np.inf, np.nan, 0.5, 1, 2, 8]])
    neg = pos if negative_to is None else \
        np.concatenate([np.geomspace(lo, negative_to, n // 2), np.linspace(0, 30, n), [0.5, 1]])
    return np.concatenate([pos, -neg]).astype(dtype)


def compare(torch_fn, our_fn, x):
    theirs = torch_fn(torch.from_numpy(x)).numpy()
    ours = our_fn(tg.tensor(x)).numpy()
    return max_ulps(ours, theirs)


# (name, n, dtype, ulps allowed): polygamma's float kernel multiplies expf(lgammaf(n + 1))
# by ζ rounded to float, whose first term is powf (the negative side stops at −10⁴: torch's
# own loop runs |q| steps there)
POLYGAMMA = [(n, dt, 0) for n in (2, 3, 4, 7, 14) for dt in (np.float32, np.float64)]


@pytest.mark.parametrize("n,dtype,ulps", POLYGAMMA)
def test_polygamma_bits(n, dtype, ulps):
    x = grid(dtype, negative_to=1e4)
    assert compare(lambda t: torch.special.polygamma(n, t), lambda t: S.polygamma(n, t), x) <= ulps


ZETA = [(s, dt) for s in (1.5, 2.0, 3.0, 7.0) for dt in (np.float32, np.float64)]


@pytest.mark.parametrize("s,dtype", ZETA)
def test_zeta_bits(s, dtype):
    q = grid(dtype, negative_to=1e4)
    fs = np.full_like(q, s)
    assert compare(lambda t: torch.special.zeta(torch.from_numpy(fs), t),
                   lambda t: S.zeta(tg.tensor(fs), t), q) == 0


# i0e/i1e in float: Cephes' Chebyshev series in float, i1e with torch's shortened float tables,
# Clenshaw's x·b1 − b2 fused (FMA in the AVX2 build); i0/i1 within 2 ulps (e^x)
BESSEL = [("i0e", np.float32, 0), ("i1e", np.float32, 0), ("i0", np.float32, 2),
          ("i1", np.float32, 2), ("i0e", np.float64, 0), ("i1e", np.float64, 0),
          ("i0", np.float64, 0), ("i1", np.float64, 0)]


@pytest.mark.parametrize("name,dtype,ulps", BESSEL)
def test_bessel_bits(name, dtype, ulps):
    x = grid(dtype, n=10000)
    assert compare(getattr(torch.special, name), getattr(S, name), x) <= ulps


# log Φ: log1p(−erfc(t)/2) from x = −1 up with the C library's erfc (erfcf, log1pf in float):
# bit for bit; below −1 (torch's own erfcx) within 4 ulps
LOG_NDTR = [(np.float32, -1.0, 40.0, 0), (np.float64, -1.0, 40.0, 0),
            (np.float32, -40.0, -1.0, 4), (np.float64, -40.0, -1.0, 4)]


@pytest.mark.parametrize("dtype,lo,hi,ulps", LOG_NDTR)
def test_log_ndtr_bits(dtype, lo, hi, ulps):
    x = np.linspace(lo, hi, 20001).astype(dtype)
    if hi > 0:                    # the right branch: also tiny to huge, inf, NaN
        big = 1e30 if dtype == np.float32 else 1e300
        x = np.concatenate([x, np.geomspace(1e-30, big, 2000), [np.inf, np.nan]]).astype(dtype)
    assert compare(torch.special.log_ndtr, S.log_ndtr, x) <= ulps


# Φ⁻¹: Cephes' ndtri in float64 with the FMA-contracted polynomials (bit for bit); float32
# (torch's float kernel not matched) within 4 ulps
NDTRI = [(np.float64, 0), (np.float32, 4)]


@pytest.mark.parametrize("dtype,ulps", NDTRI)
def test_ndtri_bits(dtype, ulps):
    tiny, near1 = (1e-300, 1e-16) if dtype == np.float64 else (1e-38, 1e-7)
    p = np.concatenate([np.linspace(0, 1, 20001), np.geomspace(tiny, 0.5, 5000),
                        1 - np.geomspace(near1, 0.5, 5000), [-1, 2, np.nan, np.inf, 5e-324]])
    assert compare(torch.special.ndtri, S.ndtri, p.astype(dtype)) <= ulps


# float16 prod: a contiguous run of ≥ 64 factors in the AVX2 build's lane order (16 lanes × 4
# accumulators, each product rounded to float16); shorter or strided runs left to right.
# (Over everything past 32768 elements torch splits the work between threads: not covered.)
PROD16 = [(shape, dim) for shape in [(3, 63), (3, 64), (3, 65), (2, 200), (4, 1000),
                                     (2, 5000), (5, 7, 130)]
          for dim in (None, -1, 0)]


@pytest.mark.parametrize("shape,dim", PROD16)
def test_float16_prod_bits(shape, dim):
    rng = np.random.default_rng(sum(shape))
    x = rng.uniform(0.97, 1.03, size=shape).astype(np.float16)

    def run(lib, t):
        return t.prod() if dim is None else t.prod(dim)
    theirs = run(torch, torch.from_numpy(x)).numpy()
    ours = run(tg, tg.tensor(x)).numpy()
    assert ours.dtype == theirs.dtype == np.float16 and ours.shape == theirs.shape
    assert np.array_equal(ours.view(np.int16), theirs.view(np.int16))
