"""torch's Box–Muller transforms, replayed: how uniforms become normals.

* ``normal_fill16_f32``: the AVX2 ``NormalFill16<float>`` kernel, with torch's
  ``avx_mathfun.h`` log and sin/cos polynomials (Cephes) evaluated operation for operation as
  GCC compiled them (fused multiply-adds included);
* ``normal_fill16_f64``: the generic ``NormalFill16<double>`` (C library log/sin/cos);
* ``normal_scalar_path``: the per-element ``normal_distribution<double>`` used for tensors of
  fewer than 16 elements, with the second normal of each pair cached in the generator.
"""
import math

import numpy as np

from ..kernels import libm
from .exact import fma32, fma64
from .generator import Generator, _uniform01_f64

__all__ = ["normal_fill16_f32", "normal_fill16_f64", "normal_scalar_path"]


def _f32(v):
    return np.float32(v)


# avx_mathfun.h constants, as float32
_MIN_NORM_BITS = np.int32(0x00800000)
_SQRTHF = _f32(0.707106781186547524)
_LOG_P = [_f32(v) for v in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1,
                            -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                            2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1)]
_LOG_Q1, _LOG_Q2 = _f32(-2.12194440e-4), _f32(0.693359375)
_FOPI = _f32(1.27323954473516)
_NEG_DP1, _NEG_DP2, _NEG_DP3 = _f32(-0.78515625), _f32(-2.4187564849853515625e-4), \
    _f32(-3.77489497744594108e-8)
_SINCOF = [_f32(v) for v in (-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1)]
_COSCOF = [_f32(v) for v in (2.443315711809948E-005, -1.388731625493765E-003,
                             4.166664568298827E-002)]
_TWO_PI_F32 = _f32(2.0 * math.pi)


def _avx2_log(x: np.ndarray) -> np.ndarray:
    """torch's ``log256_ps`` (Cephes logf) as GCC compiled it for AVX2 (fused steps = fma)."""
    x = np.maximum(x, _MIN_NORM_BITS.view(np.float32))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 127).astype(np.float32) + _f32(1.0)   # the shift is logical; x > 0
    x = ((bits & np.int32(-0x7F800001)) | np.int32(0x3F000000)).view(np.float32)
    small = x < _SQRTHF
    e = e - np.where(small, _f32(1.0), _f32(0.0))
    x = (x + _f32(-1.0)) + np.where(small, x, _f32(0.0))
    z = x * x
    x64 = x.astype(np.float64)
    y = fma32(_LOG_P[0], x64, _LOG_P[1])
    for coef in _LOG_P[2:]:
        y = fma32(y, x64, coef)
    y = y * x
    y = fma32(y, z, e * _LOG_Q1)
    y = y - z * _f32(0.5)
    x = x + y
    return fma32(e, _LOG_Q2, x)


def _avx2_sincos(theta: np.ndarray):
    """torch's ``sincos256_ps`` (Cephes sinf/cosf) as compiled for AVX2; theta >= 0."""
    x = np.abs(theta)
    j = (x * _FOPI).astype(np.int32)          # cvttps2dq: truncation
    j = (j + 1) & np.int32(~1)
    y = j.astype(np.float32)
    sin_neg = (j & 4) != 0
    poly_is_sin = (j & 2) == 0
    cos_neg = (~(j - 2) & 4) != 0
    y64 = y.astype(np.float64)
    x = fma32(y64, _NEG_DP1, x)
    x = fma32(_NEG_DP2, y64, x)
    x = fma32(y64, _NEG_DP3, x)
    z = x * x
    z64 = z.astype(np.float64)
    yc = fma32(_COSCOF[0], z64, _COSCOF[1])
    yc = fma32(yc, z64, _COSCOF[2])
    yc = z * yc
    yc = fma32(z64, yc, -(z * _f32(0.5)))
    yc = yc + _f32(1.0)
    ys = fma32(_SINCOF[0], z64, _SINCOF[1])
    ys = fma32(ys, z64, _SINCOF[2])
    ys = fma32(x, z * ys, x)
    sin = np.where(poly_is_sin, ys, yc)
    cos = np.where(poly_is_sin, yc, ys)
    sin = np.where(sin_neg ^ (theta < 0), -sin, sin)
    cos = np.where(cos_neg, -cos, cos)
    return sin, cos


def normal_fill16_f32(u: np.ndarray, mean, std) -> np.ndarray:
    """torch's AVX2 ``NormalFill16<float>`` on rows of 16 uniforms (shape (k, 16))."""
    u1 = _f32(1.0) - u[:, :8]
    radius = np.sqrt(_avx2_log(u1) * _f32(-2.0))
    theta = _TWO_PI_F32 * u[:, 8:]
    sin, cos = _avx2_sincos(theta)
    out = np.empty_like(u)
    out[:, :8] = fma32(radius * cos, std, mean)
    out[:, 8:] = fma32(radius * sin, std, mean)
    return out


def normal_fill16_f64(u: np.ndarray, mean, std) -> np.ndarray:
    """torch's generic ``NormalFill16<double>`` (glibc log/sincos, explicit fma)."""
    radius = np.sqrt(libm.log(1.0 - u[:, :8]) * -2.0)
    theta = (2.0 * math.pi) * u[:, 8:]
    out = np.empty_like(u)
    out[:, :8] = fma64(radius * libm.cos(theta), std, mean)
    out[:, 8:] = fma64(radius * libm.sin(theta), std, mean)
    return out


def normal_scalar_path(gen: Generator, n: int, mean: float, std: float) -> np.ndarray:
    """torch's per-element ``normal_distribution<double>`` (tensors of < 16 elements).

    Each fresh Box–Muller pair costs two float64 uniforms u1, u2:
    r = sqrt(-2 log1p(-u2)), θ = 2π u1; r cos θ is returned now and r sin θ is cached in the
    generator for the next normal; the output is fma(z, std, mean) in float64.
    """
    z = []
    cached = gen._next_double_normal
    if n and cached is not None:
        gen._before_draw()                  # a cached normal is a draw too (func.vmap)
        z.append(np.array([cached]))
        gen._next_double_normal = None
    need = n - sum(len(c) for c in z)
    if need > 0:
        pairs = (need + 1) // 2
        u = _uniform01_f64(gen, 2 * pairs).reshape(pairs, 2)
        r = np.sqrt(-2.0 * libm.log1p(-u[:, 1]))
        theta = (2.0 * math.pi) * u[:, 0]
        both = np.stack([r * libm.cos(theta), r * libm.sin(theta)], axis=1).reshape(-1)
        z.append(both[:need])
        if need % 2:
            gen._next_double_normal = float(both[-1])
    z = np.concatenate(z) if z else np.zeros(0)
    return fma64(z, std, mean)
