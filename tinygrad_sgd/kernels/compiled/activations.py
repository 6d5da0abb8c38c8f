"""Compiled float32 GELU: x·Φ(x) and gelu′(x) = Φ(x) + x·φ(x) in one loop over the data, with
the NumPy kernel's arithmetic (:mod:`tinygrad_sgd.kernels.gelu`: Φ from the same rational
approximation, clamped to [0, 1]). e^t is computed here too (range reduction and a degree-7
polynomial, ≤ 1 ulp): numba's ``math.exp``/``math.erf`` call libm once per element, which
keeps the loop from vectorizing (3-10× slower).

No reassociation here (unlike :func:`.kernel`): the range reduction of e^t must be evaluated
in the order written. Float64 stays on the NumPy kernel.
"""
import numba
import numpy as np

from ..gelu import PHI_P, PHI_Q, U_MAX, INV_SQRT_2PI

__all__ = ["gelu_f32"]

# error_model="numpy": x/0 gives inf/nan as NumPy does (Python's ZeroDivisionError check
# would keep the loops from vectorizing)
_jit = numba.njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")

_P0, _P1, _P2, _P3, _P4, _P5 = PHI_P
_Q0, _Q1, _Q2, _Q3, _Q4 = PHI_Q
_F = np.float32
_LOG2E, _LN2_HI, _LN2_LO = _F(1.4426950408889634), _F(0.693145751953125), _F(1.4286067653e-06)
_E7, _E6, _E5, _E4, _E3 = _F(1 / 5040), _F(1 / 720), _F(1 / 120), _F(1 / 24), _F(1 / 6)
_HALF, _ONE, _ZERO, _MINUS_HALF = _F(0.5), _F(1.0), _F(0.0), _F(-0.5)
_INV = _F(INV_SQRT_2PI)
_T_MIN = _F(-104.0)          # e^t rounds to 0 in float32 below this
_U_MAX = _F(U_MAX)


@_jit
def _cdf(v):
    """Φ(v) for a float32 v (not nan-safe by itself: callers multiply by v)."""
    u = min(v * v, _U_MAX)
    p = ((((((u + _P0) * u + _P1) * u + _P2) * u + _P3) * u + _P4) * u + _P5) * v
    q = (((_Q0 * u + _Q1) * u + _Q2) * u + _Q3) * u + _Q4
    return min(max(p / q + _HALF, _ZERO), _ONE)


@_jit
def _exp_nonpositive(t):
    """e^t for float32 t ≤ 0: t = n·ln2 + r, |r| ≤ ln2/2, e^r by its Taylor polynomial,
    2ⁿ built from its bits in two halves so that results below 2⁻¹²⁶ round once."""
    t = max(t, _T_MIN)
    n = np.floor(t * _LOG2E + _HALF)
    r = (t - n * _LN2_HI) - n * _LN2_LO
    e = ((((((_E7 * r + _E6) * r + _E5) * r + _E4) * r + _E3) * r + _HALF) * r + _ONE) * r \
        + _ONE
    k = np.int32(n)
    k1 = k >> 1
    s1 = np.int32((k1 + 127) << 23).view(np.float32)
    s2 = np.int32((k - k1 + 127) << 23).view(np.float32)
    return e * s1 * s2


@_jit
def _gelu_and_derivative(x, out, der):
    for i in range(x.size):
        v = x[i]
        c = _cdf(v)
        out[i] = v * c
        der[i] = c + v * _exp_nonpositive(v * v * _MINUS_HALF) * _INV


@_jit
def _gelu(x, out):
    for i in range(x.size):
        v = x[i]
        out[i] = v * _cdf(v)


@_jit
def _derivative(x, der):
    for i in range(x.size):
        v = x[i]
        der[i] = _cdf(v) + v * _exp_nonpositive(v * v * _MINUS_HALF) * _INV


def gelu_f32(d, want_out, want_der):
    """(x·Φ(x) or None, gelu′(x) or None) for a float32 array, as the NumPy kernel's
    ``_gelu_f32``."""
    flat = np.ascontiguousarray(d).reshape(-1)
    out = np.empty(flat.size, np.float32) if want_out else None
    der = np.empty(flat.size, np.float32) if want_der else None
    if want_out and want_der:
        _gelu_and_derivative(flat, out, der)
    elif want_out:
        _gelu(flat, out)
    elif want_der:
        _derivative(flat, der)
    return (None if out is None else out.reshape(d.shape),
            None if der is None else der.reshape(d.shape))
