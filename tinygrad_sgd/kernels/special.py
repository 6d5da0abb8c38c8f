"""The special functions' numerics on NumPy arrays (NumPy has none of them), in float64, to
about an ulp; the ops in :mod:`tinygrad_sgd.ops.special` call them (a float32 input is computed
in float64 and rounded once).

* erf/erfc: W. J. Cody's rational approximations (also Φ for :mod:`.gelu`), erfc
  computed directly in the tails.
* erfinv (and erfcinv, for ndtri): M. Giles' single-precision approximation, then Halley steps
  (|y| ≤ ½) or Newton steps on log erfc (beyond, so that 1 − 2⁻⁵³ keeps all its digits), only
  for the elements not yet converged.
* lgamma: Taylor series of lgamma(1 + z) (coefficients ζ(k)) on (0, 2.5), the recurrence
  Γ(x + 1) = x·Γ(x) below 10, Stirling's series above, reflection for x < 0.
* digamma: torch's algorithm (reflection, recurrence up to 10, asymptotic series).
* polygamma(n ≥ 2): ±exp(lgamma(n + 1))·ζ(n + 1, x) in the input's dtype, the Hurwitz ζ of
  Cephes (torch's zeta; its first term powf for float32). i0e/i1e/i0/i1, ndtri (float64):
  Cephes as torch, the polynomials' a·b + c fused as the AVX2 build's FMA.

(house: long file — each function's numerics follow the algorithm torch's kernel uses, step by
step where its rounding shows; split further they would read as fragments of one table.)
"""
import ctypes
import ctypes.util
import math

import numpy as np

from . import libm

# W. J. Cody, "Rational Chebyshev approximations for the error function" (Math. Comp. 1969),
# the coefficients of netlib's CALERF; erfc is computed directly (not as 1 − erf) away from 0.
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)

__all__ = ["erf_array", "erfc_array", "erfcx_array", "log_ndtr_array", "erfinv_array",
           "ndtri_array", "lgamma_array",
           "digamma_array", "trigamma_array", "polygamma_array", "zeta_array", "bessel_i_array"]

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _f64(x):
    return np.asarray(x, dtype=np.float64)


def _quiet(fn):
    """The arrays broadcast, flattened to 1-d for ``fn`` (its masks assign in place) and the
    result reshaped; NumPy's floating-point warnings off (inf and NaN are expected here)."""
    def run(*args):
        arrays = np.broadcast_arrays(*[_f64(a) for a in args])
        with np.errstate(all="ignore"):
            out = fn(*[a.reshape(-1) for a in arrays])
        return np.asarray(out).reshape(arrays[0].shape)
    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


def cody_erf(y, scaled=False):
    """(mask y ≤ 0.46875, erf(y) there, erfc(y) — or e^(y²)·erfc(y) if ``scaled`` — elsewhere)
    for y = |x| ≥ 0."""
    small = y <= 0.46875
    erf_small = np.empty(0)
    if small.any():
        ys = y[small]
        ysq = ys * ys
        num, den = _A[4] * ysq, ysq
        for i in range(3):
            num, den = (num + _A[i]) * ysq, (den + _B[i]) * ysq
        erf_small = ys * (num + _A[3]) / (den + _B[3])
    yb = y[~small]
    erfc = np.empty_like(yb)
    mid = yb <= 4.0
    ym = yb[mid]
    num, den = _C[8] * ym, ym
    for i in range(7):
        num, den = (num + _C[i]) * ym, (den + _D[i]) * ym
    erfc[mid] = (num + _C[7]) / (den + _D[7])
    yt = yb[~mid]
    inv = 1.0 / (yt * yt)
    num, den = _P[5] * inv, inv
    for i in range(4):
        num, den = (num + _P[i]) * inv, (den + _Q[i]) * inv
    erfc[~mid] = (1.0 / math.sqrt(math.pi) - inv * (num + _P[4]) / (den + _Q[4])) / yt
    if scaled:
        return small, erf_small, erfc
    head = np.trunc(yb * 16) / 16                 # e^(−y²) in two factors, for accuracy
    erfc *= np.exp(-head * head) * np.exp(-(yb - head) * (yb + head))
    erfc[np.isinf(yb)] = 0.0
    return small, erf_small, erfc


@_quiet
def erf_array(x):
    x = _f64(x)
    y = np.abs(x)
    small, erf_small, erfc = cody_erf(y)
    out = np.empty_like(y)
    out[small] = erf_small
    out[~small] = 1.0 - erfc
    out = np.copysign(out, x)
    out[np.isnan(x)] = np.nan
    return out


@_quiet
def erfc_array(x):
    x = _f64(x)
    y = np.abs(x)
    small, erf_small, erfc = cody_erf(y)
    out = np.empty_like(y)
    out[small] = 1.0 - np.copysign(erf_small, x[small])
    big = ~small
    out[big] = np.where(x[big] < 0, 2.0 - erfc, erfc)
    out[np.isnan(x)] = np.nan
    return out


@_quiet
def erfcx_array(x):
    """e^(x²)·erfc(x), without overflow for x > 0 (inf for x below about −26.6, as torch)."""
    y = np.abs(x)
    small, erf_small, scaled = cody_erf(y, scaled=True)
    out = np.empty_like(y)
    out[small] = (1.0 - np.copysign(erf_small, x[small])) * np.exp(x[small] * x[small])
    big = ~small
    xb = x[big]
    out[big] = np.where(xb < 0, 2.0 * np.exp(xb * xb) - scaled, scaled)
    out[np.isposinf(x)] = 0.0
    out[np.isnan(x)] = np.nan
    return out


def log_ndtr_array(x, dtype=np.float64):
    """log Φ(x) by torch's formula: log(erfcx(−t)/2) − t² below x = −1, log1p(−erfc(t)/2)
    above (t = x/√2), every step rounded to ``dtype`` as torch's kernel computes it in the
    input's dtype (in float32 the rounding of t alone moves log Φ(9) by ~100 ulps; torch's
    number is kept). erfc and log1p are the C library's (erfcf, log1pf, logf for float32),
    element by element, as torch's scalar kernel calls them."""
    def r(v):
        return np.asarray(v).astype(dtype).astype(np.float64)
    x = _f64(x)
    with np.errstate(all="ignore"):
        t = r(x * r(math.sqrt(0.5)))
        low = x < -1.0
        f32 = np.dtype(dtype) == np.float32      # (std::erfc and std::log1p of a float)
        erfc_t = c_map("erfcf", np.where(low, 0.0, t)) if f32 else c_erfc(np.where(low, 0.0, t))
        log_a = r(r(erfcx_array(-np.where(low, t, 0.0))) / 2)
        left = r(r(c_map("logf", log_a) if f32 else np.log(log_a)) - r(t * t))
        right = -r(erfc_t) / 2
        right = r(c_map("log1pf", right) if f32 else libm.log1p(right))
    return np.where(low, left, right)


_c_erfc_ufunc = np.frompyfunc(math.erfc, 1, 1)


def c_erfc(x):
    """The C library's ``erfc`` (``math.erfc`` calls it), element by element (~0.1 µs each):
    torch's scalar kernels call ``std::erfc``, and Cody's erfc can be an ulp or two away."""
    x = np.asarray(x, dtype=np.float64)
    # (np.asarray: on a 0-d array a frompyfunc ufunc returns a bare Python float)
    return np.asarray(_c_erfc_ufunc(x), dtype=np.float64) if x.size else x.copy()


@_quiet
def erfinv_array(y):
    a = np.abs(y)
    return np.copysign(_erfinv_abs(a, 1.0 - a), y)


def fma(a, b, c):
    """a·b + c rounded once (what the AVX2 build's contracted ``a*b + c`` computes), in float64
    by Dekker's exact product and Knuth's exact sum (float32: exactly in float64, then one
    more rounding)."""
    a, b, c = np.broadcast_arrays(np.asarray(a), np.asarray(b), np.asarray(c))
    if a.dtype == np.float32:
        return (a.astype(np.float64) * b + c).astype(np.float32)
    p = a * b
    split = 134217729.0                              # 2^27 + 1
    ah = a * split
    ah = ah - (ah - a)
    bh = b * split
    bh = bh - (bh - b)
    e = ((ah * bh - p) + ah * (b - bh) + (a - ah) * bh) + (a - ah) * (b - bh)
    s = p + c
    bb = s - p
    t = (p - (s - bb)) + (c - bb)
    out = s + (t + e)
    return np.where(np.isfinite(out) & np.isfinite(p), out, p + c)


_NDTRI_P0 = (-5.99633501014107895267E1, 9.80010754185999661536E1, -5.66762857469070293439E1,
             1.39312609387279679503E1, -1.23916583867381258016E0)
_NDTRI_Q0 = (1.0, 1.95448858338141759834E0, 4.67627912898881538453E0, 8.63602421390890590575E1,
             -2.25462687854119370527E2, 2.00260212380060660359E2, -8.20372256168333339912E1,
             1.59056225126211695515E1, -1.18331621121330003142E0)
_NDTRI_P1 = (4.05544892305962419923E0, 3.15251094599893866154E1, 5.71628192246421288162E1,
             4.40805073893200834700E1, 1.46849561928858024014E1, 2.18663306850790267539E0,
             -1.40256079171354495875E-1, -3.50424626827848203418E-2, -8.57456785154685413611E-4)
_NDTRI_Q1 = (1.0, 1.57799883256466749731E1, 4.53907635128879210584E1, 4.13172038254672030440E1,
             1.50425385692907503408E1, 2.50464946208309415979E0, -1.42182922854787788574E-1,
             -3.80806407691578277194E-2, -9.33259480895457427372E-4)
_NDTRI_P2 = (3.23774891776946035970E0, 6.91522889068984211695E0, 3.93881025292474443415E0,
             1.33303460815807542389E0, 2.01485389549179081538E-1, 1.23716634817820021358E-2,
             3.01581553508235416007E-4, 2.65806974686737550832E-6, 6.23974539184983293730E-9)
_NDTRI_Q2 = (1.0, 6.02427039364742014255E0, 3.67983563856160859403E0, 1.37702099489081330271E0,
             2.16236993594496635890E-1, 1.34204006088543189037E-2, 3.28014464682127739104E-4,
             2.89247864745380683936E-6, 6.79019408009981274425E-9)


def _polevl_fma(x, coef):
    out = np.zeros_like(x)
    for c in coef:
        out = fma(out, x, x.dtype.type(c))
    return out


def ndtri_array(p):
    """Φ⁻¹(p) by torch's ``calc_ndtri`` (Cephes): a rational function of p − ½ in the middle,
    of 1/√(−2 log p) in the tails, in the input's dtype (float32 for a float32 ``p``), the
    polynomials' ``r·x + c`` fused as the AVX2 build's FMA (float64, bit for bit); other dtypes
    by −√2·erfcinv(2p) in float64, rounded once. ∓inf at 0 and 1, NaN outside."""
    p = np.asarray(p)
    if p.dtype != np.float64:      # (float32: torch's float kernel not yet matched: ≤ 4 ulps)
        return _erfcinv_ndtri(p)
    T = np.float64
    y0 = p.reshape(-1)
    with np.errstate(all="ignore"):
        out = _ndtri_flat(y0, T)
    return out.reshape(p.shape)


def _ndtri_flat(y0, T):
    e2 = T(0.13533528323661269189)
    upper = y0 > T(1) - e2
    y = np.where(upper, T(1) - y0, y0)
    mid = y > e2
    ym = y - T(0.5)
    y2 = ym * ym
    central = fma(ym, y2 * _polevl_fma(y2, _NDTRI_P0) / _polevl_fma(y2, _NDTRI_Q0), ym)
    central = central * T(2.50662827463100050242E0)
    log = (lambda v: libm.log(v)) if T is np.float64 else (lambda v: c_map("logf", v))
    x = np.sqrt(T(-2.0) * log(np.where(mid, T(0.5), y)).astype(T))
    x0 = x - log(x).astype(T) / x
    z = T(1) / x
    near = x < T(8)
    x1 = np.where(near, z * _polevl_fma(z, _NDTRI_P1) / _polevl_fma(z, _NDTRI_Q1),
                  z * _polevl_fma(z, _NDTRI_P2) / _polevl_fma(z, _NDTRI_Q2))
    tail = x0 - x1
    tail = np.where(upper, tail, -tail)
    out = np.where(mid, central, tail)
    out = np.where(y0 == 0, -np.inf, np.where(y0 == 1, np.inf, out))
    return np.where((y0 < 0) | (y0 > 1) | np.isnan(y0), T(np.nan), out).astype(T)


@_quiet
def _erfcinv_ndtri(p):
    """Φ⁻¹(p) = −√2·erfcinv(2p): 2p and 2(1 − p) are exact, so both tails keep their digits."""
    low = p < 0.5
    rest = np.where(low, 2.0 * p, 2.0 * (1.0 - p))          # 1 − |2p − 1|, exactly
    t = _erfinv_abs(1.0 - rest, rest)
    t = np.where((p < 0) | (p > 1), np.nan, t)
    return np.where(low, -t, t) * math.sqrt(2.0)


def _erfinv_abs(a, rest):
    """erfinv(a) for a = |y| ∈ [0, 1], given rest = 1 − a exactly (1-d arrays)."""
    w = -np.log(rest * (1.0 + a))
    central = w < 5.0
    w1 = w - 2.5
    p = np.full_like(w, 2.81022636e-08)
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
        p = c + p * w1
    w2 = np.sqrt(np.where(central, 5.0, w)) - 3.0
    q = np.full_like(w, -0.000200214257)
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        q = c + q * w2
    t = np.where(central, p, q) * a                  # to about 1e-7 (in float32's range)
    far = w > 25.0             # beyond: e^(−t²)/(t√π) = rest, solved to first order
    big_l = -np.log(np.where(far, rest, 1.0))
    t = np.where(far, np.sqrt(big_l - 0.5 * np.log(np.pi * big_l)), t)
    todo = np.flatnonzero((rest > 0) & (a > 0) & (rest <= 1.0))
    for _ in range(8):          # until each element's step is below an ulp (2 or 3 steps)
        if todo.size == 0:
            break
        tt, aa, rr = t[todo], a[todo], rest[todo]
        d = TWO_OVER_SQRT_PI * np.exp(-tt * tt)
        tail = aa > 0.5
        step = np.empty_like(tt)
        # a ≤ ½: Halley on f = erf(t) − a (f″ = −2t·f′); beyond: Newton on
        # log erfc(t) − log(1 − a), which stays well scaled up to 1 − 2⁻⁵³
        e = erfc_array(tt[tail])
        step[tail] = -(np.log(e) - np.log(rr[tail])) * e / d[tail]
        f = erf_array(tt[~tail]) - aa[~tail]
        step[~tail] = f / (d[~tail] + tt[~tail] * f)
        step = np.where(np.isfinite(step), step, 0.0)   # (erfc underflows past t ≈ 26.5)
        t[todo] = tt - step
        todo = todo[np.abs(step) > 1e-16 * np.abs(tt)]
    t = np.where(rest == 0.0, np.inf, t)
    return np.where((a > 1.0) | (rest < 0) | np.isnan(a), np.nan, t)


# Hurwitz ζ(s, q) = Σ_k (q + k)^(−s), Cephes' Euler–Maclaurin scheme (torch's `zeta`)
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042e-16


def zeta_array(s, q, float32=False):
    """Hurwitz ζ(s, q) by torch's Cephes ``zeta``, accumulated in float64. ``float32``: its
    float kernel, where the first term q^(−s) is ``std::pow`` of two floats (``powf``, rounded
    to float: near a pole of q its error is the result's), the rest in float64."""
    return _zeta(s, q, np.float32 if float32 else np.float64)


def _zeta(s, q, first_dtype):
    first_dtype = np.dtype(first_dtype)
    s, q = np.broadcast_arrays(_f64(s), _f64(q))
    with np.errstate(all="ignore"):
        return _zeta_flat(s.reshape(-1), q.reshape(-1), first_dtype).reshape(s.shape)


def _zeta_flat(s, q, first_dtype):
    out = np.full(s.shape, np.nan)
    # torch's order of tests: s = 1 → inf, s < 1 → NaN (even at a pole of q), q a
    # non-positive integer → inf (a NaN s too), q < 0 with s not an integer → NaN
    pole = (s == 1) | (~(s < 1) & (q <= 0) & (q == np.floor(q)))
    go = ~pole & (s > 1) & ~((q <= 0) & (s != np.floor(s))) & ~np.isnan(q)
    out[pole] = np.inf
    sv, qv = s[go], q[go]
    if first_dtype == np.float32:
        total = np.power(qv.astype(np.float32), -sv.astype(np.float32)).astype(np.float64)
    else:
        total = libm.power(qv, -sv)              # (the C pow, as torch's Cephes zeta)
    a = qv.copy()
    b = np.zeros_like(a)
    done = np.zeros(a.shape, bool)
    summed = qv < -_LONG_SUM          # (q far below 0: its direct sum, element by element)
    for e in np.flatnonzero(summed):
        a[e], b[e], total[e], done[e] = _long_direct_sum(qv[e], sv[e], total[e])
    i = 0
    while True:                                  # the direct sum up to a ≥ 9 (and 9 terms)
        todo = ~done & ~summed & ((i < 9) | (a <= 9.0))
        if not todo.any():
            break
        i += 1
        a[todo] += 1.0
        b[todo] = libm.power(a[todo], -sv[todo])
        total[todo] += b[todo]
        done |= todo & (-_MACHEP * total < b) & (b < _MACHEP * total)     # (torch's test)
    rest = ~done
    w = a[rest]
    sr, br, tr = sv[rest], b[rest], total[rest]
    tr = tr + br * w / (sr - 1.0) - 0.5 * br
    fac = np.ones_like(w)
    k = 0.0
    still = np.ones(w.shape, bool)
    for j in range(12):                          # the Euler–Maclaurin correction terms
        fac = fac * (sr + k)
        br = br / w
        term = fac * br / _ZETA_A[j]
        tr = np.where(still, tr + term, tr)
        still &= ~(np.abs(term / tr) < _MACHEP)       # (a NaN ratio goes on, as in torch)
        k += 1.0
        fac = fac * (sr + k)
        br = br / w
        k += 1.0
    total[rest] = tr
    out[go] = total
    return out


_LONG_SUM = 256.0


def _long_direct_sum(q, s, total):
    """The direct sum of ζ(s, q) for one q far below 0, whose ~|q| terms the loop above would
    take one NumPy pass each (polygamma(2, −10⁶) took 38 s): the same terms (a = q + k
    exactly, b = a^(−s) by the C pow) added in the same order by one sequential
    ``np.add.accumulate``, stopped where the loop stops — at torch's convergence test, or
    after the term where a passes 9. Returns (a, b, total, converged)."""
    k = np.arange(1.0, max(9.0, np.floor(9.0 - q) + 2.0) + 1.0)
    a = q + k
    b = libm.power(a, -s)
    totals = np.add.accumulate(np.concatenate(([total], b)))[1:]
    converged = (-_MACHEP * totals < b) & (b < _MACHEP * totals)
    go_on = (k < 9) | (a <= 9.0)          # the loop's test before the next term
    stop = np.flatnonzero(converged | ~go_on)[0]
    return a[stop], b[stop], totals[stop], bool(converged[stop])


_ZETA_K = zeta_array(np.arange(2, 60), 1.0)      # ζ(2), ζ(3), ...: lgamma's series
_EULER = 0.57721566490153286061


def _lgamma1p(z):
    """lgamma(1 + z) = −γz + Σ (−z)^k ζ(k)/k, for |z| ≤ ½ (up to 1 with a few ulp more)."""
    k = np.arange(2, 60)
    coef = _ZETA_K / k * np.where(k % 2 == 0, 1.0, -1.0)
    acc = np.zeros_like(z)
    for c in coef[::-1]:
        acc = (acc + c) * z
    return (acc - _EULER) * z


def _sinpi(x):
    """sin(πx) with the argument reduced exactly to [−½, ½] (accurate near the integers)."""
    r = np.fmod(x, 2.0)
    r = np.where(r > 1.0, r - 2.0, np.where(r <= -1.0, r + 2.0, r))
    r = np.where(r > 0.5, 1.0 - r, np.where(r < -0.5, -1.0 - r, r))
    return np.sin(np.pi * r)


_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@_quiet
def lgamma_array(x):
    x = _f64(x)
    out = np.full(x.shape, np.nan)
    pos = x > 0
    out[pos] = _lgamma_pos(x[pos])
    neg = x < 0
    xn = x[neg]
    pole = xn == np.floor(xn)
    refl = math.log(math.pi) - np.log(np.abs(_sinpi(xn))) - _lgamma_pos(1.0 - xn)
    refl[np.isinf(xn)] = np.inf
    out[neg] = np.where(pole, np.inf, refl)
    out[x == 0] = np.inf
    return out


def _lgamma_pos(x):
    out = np.empty_like(x)
    low = x < 1.5                                   # lgamma(x) = lgamma(1 + (x−1))
    xl = x[low]
    out[low] = np.where(xl < 0.5, _lgamma1p(xl) - np.log(xl), _lgamma1p(xl - 1.0))
    mid = (x >= 1.5) & (x < 10.0)                   # down to [1.5, 2.5) by recurrence
    xm = x[mid]
    n = np.floor(xm - 1.5)
    prod = np.ones_like(xm)
    for j in range(1, 9):
        prod = np.where(n >= j, prod * (xm - j), prod)
    base = xm - n                                   # in [1.5, 2.5): lgamma = log1p + series
    out[mid] = np.log1p(base - 2.0) + _lgamma1p(base - 2.0) + np.log(prod)
    big = x >= 10.0
    xb = x[big]
    inv = 1.0 / xb
    inv2 = inv * inv
    series = np.zeros_like(xb)
    for c in _STIRLING[::-1]:
        series = series * inv2 + c
    lead = (xb - 0.5) * np.log(xb) - xb
    out[big] = np.where(np.isinf(xb), np.inf, lead + _HALF_LOG_2PI + series * inv)
    return out


_PSI_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
          -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
          8.33333333333333333333E-2)


_PSI_10 = 2.25175258906672110764


def _compute_dtype(dtype):
    """The dtype torch's scalar kernel computes in: float16 (and bfloat16) go through float."""
    dtype = np.dtype(dtype)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)


def digamma_array(x, dtype=np.float64):
    """ψ(x) by torch's ``calc_digamma``, step by step in ``dtype`` (float32 for a float32
    input, so ψ(1) is torch's −0.5772159, not the exact −0.5772157): the recurrence up to 10
    (ψ(10) a constant), the asymptotic series, and for x < 0 ψ(1 − x) − π/tan(π·frac(x)) (the
    last in float64); NaN at the negative integers and −inf, ∓inf at ±0."""
    T = _compute_dtype(dtype).type
    x = np.asarray(x).astype(T)
    with np.errstate(all="ignore"):
        neg = x < 0
        y = np.where(neg, T(1) - x, x)
        result = np.zeros_like(y)
        while True:                                  # at most 11 steps
            low = y < 10
            if not low.any():
                break
            result = np.where(low, result - T(1) / np.where(low, y, T(1)), result)
            y = np.where(low, y + T(1), y)
        z = T(1) / (y * y)
        poly = np.full_like(y, T(_PSI_A[0]))
        for c in _PSI_A[1:]:
            poly = poly * z + T(c)
        tail = np.where(y < T(1.0e17), z * poly, T(0))
        log_y = libm.log(y.astype(np.float64)).astype(T)       # (the C log, or logf)
        out = np.where(y == 10, result + T(_PSI_10), result + log_y - T(0.5) / y - tail)
        r = np.fmod(x.astype(np.float64), 1.0)
        reflect = (np.pi / np.tan(np.pi * r)).astype(T)
        out = np.where(neg, out - reflect, out)
        out = np.where(neg & (x == np.trunc(x)), T(np.nan), out)
        out = np.where(x == 0, np.copysign(T(np.inf), -x), out)
    return out


def trigamma_array(x, dtype=np.float64):
    """ψ′(x) by torch's ``calc_trigamma``, every step in ``dtype`` (π too): for x < ½ the
    reflection −π²/sin²(πx) (so ψ′(−1) is a large finite number, as torch's, not inf), six
    steps of the recurrence, then a short asymptotic series (torch's, accurate to ~5·10⁻¹⁰:
    its ψ′(1) is 1.6449340676, not π²/6 = 1.6449340668)."""
    T = _compute_dtype(dtype).type
    x = np.asarray(x).astype(T)
    with np.errstate(all="ignore"):
        low = x < T(0.5)
        pi = T(np.pi)
        s = libm.sin((pi * x).astype(np.float64)).astype(T)
        result = np.where(low, T(0) - (pi * pi) / (s * s), T(0))
        sign = np.where(low, T(-1), T(1))
        x = np.where(low, T(1) - x, x)
        for _ in range(6):
            result = result + T(1) / (x * x)
            x = x + T(1)
        ixx = T(1) / (x * x)
        result = result + (T(1) + T(1) / (T(2) * x) +
                           ixx * (T(1. / 6) - ixx * (T(1. / 30) - ixx * T(1. / 42)))) / x
        return sign * result


_C_MATH = {}


def _c_math(name):
    """The C library's ``name`` (``lgamma``, ``exp``; ``lgammaf``, ``expf`` in float), as
    torch's scalar kernels call it; Python's ``math`` (rounded) where it can't be loaded."""
    if name not in _C_MATH:
        c = ctypes.c_float if name.endswith("f") else ctypes.c_double
        try:
            fn = getattr(ctypes.CDLL(ctypes.util.find_library("m")), name)
            fn.restype, fn.argtypes = c, [c]
        except (OSError, AttributeError, TypeError):
            py = getattr(math, name[:-1] if c is ctypes.c_float else name)

            def fn(v, py=py, c=c):
                try:
                    out = py(v)
                except (ValueError, OverflowError):      # log(0), log(−1): C's answers
                    out = -math.inf if v == 0 else math.nan
                return float(np.float32(out)) if c is ctypes.c_float else out
        _C_MATH[name] = fn
    return _C_MATH[name]


def c_map(name, x):
    """The C library's function ``name`` element by element over ``x`` (a float64 array of
    values; ~1 µs an element through ctypes): for float kernels whose ``erfcf``/``log1pf``
    are not the float64 function rounded."""
    x = np.asarray(x, dtype=np.float64)
    if not x.size:
        return x.copy()
    return np.asarray(np.frompyfunc(_c_math(name), 1, 1)(x), dtype=np.float64)   # 0-d: a float


def _polygamma_factor(n, T):
    """(−1)^(n+1)·n! as torch computes it in the input's dtype: ``exp(lgamma(n + 1))`` in the C
    library (not exactly n!: 14! comes out as 87178291199.99985 in float64)."""
    f = "f" if T is np.float32 else ""
    value = _c_math("exp" + f)(_c_math("lgamma" + f)(float(T(n) + T(1))))
    return T(1.0 if n % 2 else -1.0) * T(value)


def polygamma_array(n, x, dtype=np.float64):
    """ψ⁽ⁿ⁾(x): torch's digamma (n = 0) and trigamma (n = 1) kernels, else torch's
    ``calc_polygamma``: ±exp(lgamma(n + 1)) (C library, in the input's dtype) times ζ(n + 1, x)
    (computed in float64, as torch's zeta accumulates, then rounded to the dtype), the product
    rounded in the dtype (float32 for float32: so not the float64 result rounded once)."""
    if n == 0:
        return digamma_array(x, dtype)
    if n == 1:
        return trigamma_array(x, dtype)
    T = _compute_dtype(dtype).type
    with np.errstate(all="ignore"):
        z = zeta_array(float(T(n + 1)), np.asarray(x).astype(T), T is np.float32).astype(T)
        return _polygamma_factor(n, T) * z


def _bessel_scaled(nu, y):
    """e^(−y)·I_ν(y) for ν ∈ {0, 1}, y ≥ 0 (1-d): the power series (all terms positive) up to
    y = 25, the asymptotic series beyond (its terms still shrink past the 50th there)."""
    out = np.empty_like(y)
    small = y <= 25.0
    ys = y[small]
    half2 = (ys * 0.5) ** 2
    term = np.ones_like(ys) if nu == 0 else ys * 0.5
    total = term.copy()
    for k in range(1, 90):
        term = term * half2 / (k * (k + nu))
        total += term
    out[small] = total * np.exp(-ys)
    yb = y[~small]
    mu = 4.0 * nu * nu
    term = np.ones_like(yb)
    total = term.copy()
    for k in range(1, 50):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8.0 * yb)
        total += term
    with np.errstate(invalid="ignore"):
        out[~small] = np.where(np.isinf(yb), 0.0, total / np.sqrt(2.0 * np.pi * yb))
    return out


def bessel_i_array(nu, x, scaled=False):
    """I_ν(x) (ν = 0, 1), or e^(−|x|)·I_ν(x) if ``scaled``: torch's kernel in the input's
    dtype (float32, float64); other dtypes by the float64 series, rounded once."""
    x = np.asarray(x)
    if x.dtype in (np.float32, np.float64):
        with np.errstate(all="ignore"):
            return _bessel_i_cephes(x, nu, scaled)
    return _bessel_i(x, nu=nu, scaled=scaled)


def _bessel_i_cephes(x, nu, scaled):
    """torch's ``calc_i0e``/``calc_i1e``/``calc_i0``/``calc_i1``, step by step in x's dtype:
    y = x/2 − 2 on [0, 8], 32/x − 2 beyond, Cephes' Chebyshev series by Clenshaw's recurrence
    with x·b1 − b2 fused (the AVX2 build's FMA; float's i1e with torch's shortened tables, the
    last 17 and 7 coefficients), e^x from float64 (rounded, for float)."""
    from .special_more import I0_A, I0_B, I1_A, I1_B
    T = x.dtype.type

    def chbevl(y, coef):
        c = np.asarray(coef, dtype=T)
        b0, b1, b2 = np.full_like(y, c[0]), np.zeros_like(y), np.zeros_like(y)
        for ci in c[1:]:
            b2, b1 = b1, b0
            b0 = fma(y, b1, -b2) + ci
        return T(0.5) * (b0 - b2)
    c = np.abs(x)
    small = c <= T(8)
    short = T is np.float32 and nu == 1
    a_tab, b_tab = (I0_A, I0_B) if nu == 0 else (I1_A[-17:], I1_B[-7:]) if short else (I1_A, I1_B)
    near = chbevl(c / T(2) - T(2), a_tab)
    far = chbevl(T(32) / c - T(2), b_tab)
    root = np.sqrt(c)
    if scaled:
        out = np.where(small, near * c if nu else near, far / root)
    else:
        e = np.exp(c.astype(np.float64)).astype(T)
        out = np.where(small, e * c * near if nu else e * near, e * far / root)
    return np.where(x < 0, -out, out) if nu else out


def _bessel_i(x, nu, scaled):
    x = np.asarray(x, dtype=np.float64)
    shape, x = x.shape, x.reshape(-1)
    with np.errstate(all="ignore"):
        return _bessel_i_flat(x, nu, scaled).reshape(shape)


def _bessel_i_flat(x, nu, scaled):
    y = np.abs(x)
    e = _bessel_scaled(nu, np.where(np.isnan(y), 0.0, y))
    if not scaled:
        half = np.exp(y * 0.5)
        e = half * e * half                              # (no overflow before I_ν itself)
        e = np.where(np.isinf(y), np.inf, e)
    e = np.copysign(e, x) if nu == 1 else e
    return np.where(np.isnan(x), np.nan, e)


# ---------------------------------------------------------------------------- gcd and lcm
def _c_remainder(a, b):
    """C's ``a % b`` (the sign of ``a``; ``b`` never 0 here); INT_MIN % −1 is 0."""
    return np.fmod(a, b)


def _c_quotient(a, b):
    """C's ``a / b`` on integers (rounded towards 0; INT_MIN / −1 wraps to INT_MIN)."""
    q = a // b
    return q + ((np.fmod(a, b) != 0) & ((a < 0) != (b < 0))).astype(q.dtype)


def c_gcd(a, b):
    """torch's ``calc_gcd``: Euclid on ``abs(a)``, ``abs(b)`` in the integer dtype itself, so
    abs(−128) stays −128 in int8 and gcd(−128, 127) is −1, as torch says (NumPy's gcd says 1).
    The loop runs once per Euclid step, over all elements not yet done."""
    with np.errstate(all="ignore"):
        a, b = np.broadcast_arrays(np.abs(a), np.abs(b))
        a, b = a.copy(), b.copy()
        live = a != 0
        while live.any():
            c = a[live]
            a[live] = _c_remainder(b[live], c)
            b[live] = c
            live = a != 0
    return b


def c_lcm(a, b):
    """torch's lcm: ``g = gcd(a, b)``; 0 where g is 0, else ``abs(a / g * b)`` with C's
    truncating division; 8- and 16-bit integers are multiplied as int (no overflow) and the
    result cut back to their width, wider ones wrap."""
    dtype = np.result_type(a, b)
    g = c_gcd(a, b)
    wide = np.int64 if dtype.itemsize < 4 else dtype
    with np.errstate(all="ignore"):
        a, b, g = (np.asarray(v).astype(wide) for v in (a, b, g))
        one = np.where(g == 0, 1, g).astype(wide)
        out = np.abs(_c_quotient(a, one) * b)
        out = np.where(g == 0, 0, out)
    return np.asarray(out).astype(dtype)
