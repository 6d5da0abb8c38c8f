"""``torch._standard_gamma`` and ``torch._sample_dirichlet``, replayed draw for draw, and
their reparameterised gradients ``torch._standard_gamma_grad`` / ``torch._dirichlet_grad``.

The sampler is torch's ``sample_gamma`` (ATen/native/Distributions.h, run on the CPU by
``_s_gamma_cpu`` with float64 accumulation): Marsaglia and Tsang's (2000) squeeze-and-reject
method on the cube of a normal, with the boost ``Gamma(a) = Gamma(a + 1) · U^(1/a)`` for
``a < 1``. Each element draws, in this order: (a < 1 only) one float64 uniform; then per try a
float64 normal (torch's ``normal_distribution<double>``: Box–Muller with the generator's cached
second normal) — redrawn while ``1 + c·x <= 0`` — and one float64 uniform. How many draws an
element takes depends on its values, so this is a loop over the elements, as :mod:`.poisson`.

Arithmetic follows the C++: ``alpha`` stays in the storage dtype (float32: ``1.0f / alpha``,
``alpha + 1.0f`` and ``alpha - 1.0f / 3.0f`` are float32 operations) and the rest is float64,
with float32 literals (``1.0f / 3.0f``, ``0.0331f``) as the compiler widens them. The result
is clamped below to the dtype's smallest normal number. Bit-exact with torch 2.13.
"""
# house: long file — the gamma, Dirichlet and binomial samplers replay one generator's draws
# with the same C-library calls, and their implicit gradients belong beside them.
import math

import numpy as np

from ..kernels.cascade_sum import torch_sum

from .box_muller import normal_scalar_path
from .generator import _gen, _uniform01_f64, torch_dtype_name

__all__ = ["standard_gamma", "sample_dirichlet", "standard_gamma_grad", "dirichlet_grad",
           "binomial"]

_THIRD_F = float(np.float32(1.0) / np.float32(3.0))
_C0331_F = float(np.float32(0.0331))


def _sample_gamma_one(alpha, f32: bool, uniform, normal) -> float:
    """torch's ``sample_gamma`` for one element (alpha a float, rounded to float32 where
    ``f32``); returns the float64 ``scale * d * v`` before the cast to the dtype."""
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        inv = float(np.float32(1.0) / np.float32(alpha)) if f32 else 1.0 / alpha
        scale *= math.pow(1.0 - uniform(), inv)
        alpha = float(np.float32(alpha) + np.float32(1.0)) if f32 else alpha + 1.0
    d = float(np.float32(alpha) - np.float32(_THIRD_F)) if f32 else alpha - _THIRD_F
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = normal()
            y = 1.0 + c * x
            if not y <= 0.0:
                break
        v = y * y * y
        u = 1.0 - uniform()
        xx = x * x
        if u < 1.0 - _C0331_F * xx * xx:
            return scale * d * v
        if (math.log(u) if u > 0 else -math.inf) < \
                0.5 * xx + d * (1.0 - v + (math.log(v) if v > 0 else -math.inf)):
            return scale * d * v


def _draws(gen):
    def uniform():
        return float(_uniform01_f64(gen, 1)[0])

    def normal():
        return float(normal_scalar_path(gen, 1, 0.0, 1.0)[0])
    return uniform, normal


def _check_float(a, name):
    if a.dtype not in (np.float32, np.float64):         # torch: no Half/BFloat16 kernels
        raise NotImplementedError(f"\"{name}\" not implemented for "
                                  f"'{torch_dtype_name(a.dtype)}'")


def standard_gamma(alpha, generator=None) -> np.ndarray:
    """``torch._standard_gamma(alpha)``: one Gamma(alpha, 1) draw per element (C order), in
    alpha's dtype, at least the dtype's smallest normal number; bit-exact (float32, float64)."""
    a = np.asarray(alpha)
    _check_float(a, "gamma_cpu")
    uniform, normal = _draws(_gen(generator))
    f32 = a.dtype != np.float64
    out = [_sample_gamma_one(float(x), f32, uniform, normal) for x in a.ravel().tolist()]
    res = np.array(out, np.float64).astype(a.dtype if a.dtype != np.float16 else np.float32)
    res = np.maximum(res, np.finfo(res.dtype).tiny)
    return res.astype(a.dtype).reshape(a.shape)


def sample_dirichlet(alpha, generator=None) -> np.ndarray:
    """``torch._sample_dirichlet(alpha)``: float64 Gamma(alpha) draws (alpha widened to
    float64), normalised over the last dimension, cast to the dtype and clamped into
    [smallest normal, largest number below 1]."""
    a = np.asarray(alpha)
    _check_float(a, "dirichlet")
    uniform, normal = _draws(_gen(generator))
    g = np.array([_sample_gamma_one(float(x), False, uniform, normal)
                  for x in a.ravel().tolist()], np.float64).reshape(a.shape)
    g = np.maximum(g, np.finfo(np.float64).tiny)
    # torch's g.sum(-1, keepdim=True), added in its order (kernels/cascade_sum.py)
    total = torch_sum(g, (g.ndim - 1,)).reshape(g.shape[:-1] + (1,)) if g.ndim else g
    r = (g / total).astype(a.dtype)
    hi = np.nextafter(a.dtype.type(1), a.dtype.type(0))
    return np.minimum(hi, np.maximum(np.finfo(a.dtype).tiny, r)).astype(a.dtype)


def _digamma(x):
    from ..kernels.special import digamma_array
    return np.asarray(digamma_array(np.asarray(x, np.float64)), np.float64)


def standard_gamma_grad(alpha, x) -> np.ndarray:
    """``torch._standard_gamma_grad(alpha, x)``: ∂x/∂alpha for x ~ Gamma(alpha, 1) held at
    its quantile, −(∂F(x; alpha)/∂alpha) / p(x; alpha) (torch's ``standard_gamma_grad_one``,
    in float64): a Taylor series of the cdf for x < 0.8, Rice's saddle-point expansion for
    alpha > 8, else a bivariate rational approximation in (log(x/alpha), log alpha)."""
    a_in, x_in = np.broadcast_arrays(np.asarray(alpha), np.asarray(x))
    dt = np.result_type(a_in.dtype, x_in.dtype)
    a = a_in.astype(np.float64)
    x = x_in.astype(np.float64)
    out = np.empty(a.shape, np.float64)
    with np.errstate(all="ignore"):
        # Taylor series for small x
        numer = np.ones_like(a)
        denom = a.copy()
        s1 = numer / denom
        s2 = numer / (denom * denom)
        for i in range(1, 6):
            numer = numer * (-x / i)
            denom = denom + 1
            s1 = s1 + numer / denom
            s2 = s2 + numer / (denom * denom)
        pxa = np.power(x, a)
        pdf = np.power(x, a - 1) * np.exp(-x)
        cdf = pxa * s1
        cdf_a = (np.log(x) - _digamma(a)) * cdf - pxa * s2
        small = -cdf_a / pdf
        small = np.where(np.isnan(small), 0.0, small)
        # Rice saddle point, large alpha
        n1 = 1 + 24 * a * (1 + 12 * a)
        n2 = 1440 * (a * a) + 6 * x * (53 - 120 * x) - 65 * x * x / a + a * (107 + 3600 * x)
        near = n1 * n2 / (1244160 * (a * a) * (a * a))
        den = np.sqrt(8 * a)
        t2 = den / (a - x)
        t3 = np.power(x - a - a * np.log(x / a), -1.5)
        t23 = np.where(x < a, t2 - t3, t2 + t3)
        t1 = np.log(x / a) * t23 - np.sqrt(2 / a) * (a + x) / ((a - x) * (a - x))
        stirling = 1 + 1 / (12 * a) * (1 + 1 / (24 * a))
        far = -stirling * (x * t1) / den
        # bivariate rational approximation
        u, v = np.log(x / a), np.log(a)
        cu = _COEF_UV
        cv = [cu[0][i] + u * (cu[1][i] + u * cu[2][i]) for i in range(8)]
        p = cv[0] + v * (cv[1] + v * (cv[2] + v * cv[3]))
        q = cv[4] + v * (cv[5] + v * (cv[6] + v * cv[7]))
        rat = np.exp(p / q)
        big = a > float(np.float32(8.0))
        inband = (float(np.float32(0.9)) * a <= x) & (x <= float(np.float32(1.1)) * a)
        out = np.where(x < float(np.float32(0.8)), small,
                       np.where(big, np.where(inband, near, far), rat))
    return out.astype(dt)


_COEF_UV = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089,
     0.0014179084),
    (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113,
     -0.0035938915, -0.00058392623),
    (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326,
     0.00085092367, -1.5247877e-07),
)


_DIR_C = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]]])


def _beta_grad_alpha_small(x, alpha, beta):
    """Taylor series in x (x near 0) of the Beta(alpha, beta) gradient wrt alpha."""
    factor = _digamma(alpha) - _digamma(alpha + beta) - np.log(x)
    numer = np.ones_like(x)
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer = numer * ((i - beta) * x / i)
        denom = alpha + i
        series = series + numer / denom * (factor + 1 / denom)
    result = x * np.power(1 - x, -beta) * series
    return np.where(np.isnan(result), 0.0, result)


def _beta_grad_beta_small(x, alpha, beta):
    """Taylor series in x (x near 0) of the Beta(alpha, beta) gradient wrt beta."""
    factor = _digamma(alpha + beta) - _digamma(beta)
    numer, betas, dbetas = np.ones_like(x), np.ones_like(x), np.zeros_like(x)
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    result = -np.power(1 - x, 1 - beta) * series
    return np.where(np.isnan(result), 0.0, result)


def _beta_grad_alpha_mid(x, alpha, beta):
    """Rice saddle-point expansion (alpha and beta both large)."""
    total = alpha + beta
    mean = alpha / total
    std = np.sqrt(alpha * beta / (total + 1)) / total
    poly = 47 * x * (beta * beta) * (beta * beta) + alpha * (
        (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
            3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                (453 + 1620 * beta * (1 - x) - 455 * x) * beta
                + alpha * (8 * (1 - x) * (135 * beta - 11)))))
    pre_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
    pre_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
    near = pre_num / (1 - x) * poly / pre_den
    prefactor = -x / np.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
                * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    t1n = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    t1 = t1n / (np.sqrt(2 * alpha / beta) * np.power(total, 1.5) * axbx * axbx)
    t2 = 0.5 * np.log(alpha / (total * x))
    t3 = np.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    t4 = np.power(beta * np.log(beta / (total * (1 - x))) + alpha * np.log(alpha / (total * x)),
                  -1.5)
    far = stirling * prefactor * (t1 + t2 * (t3 + np.where(x < mean, t4, -t4)))
    c01 = float(np.float32(0.1))
    return np.where((mean - c01 * std <= x) & (x <= mean + c01 * std), near, far)


def dirichlet_grad(x, alpha, total) -> np.ndarray:
    """``torch._dirichlet_grad(x, alpha, total)``: the scaled reparameterised gradient
    −(∂F(x; α, total−α)/∂α) / p(x; α, total−α) / (1−x) of a Beta(α, total−α) draw x
    (torch's ``dirichlet_grad_one``, in float64): Taylor series near x = 0 and x = 1,
    Rice's expansion when both shapes exceed 6, else a rational correction to an analytic
    approximation."""
    xs, a_in, t_in = np.broadcast_arrays(np.asarray(x), np.asarray(alpha), np.asarray(total))
    dt = np.result_type(xs.dtype, a_in.dtype, t_in.dtype)
    x, a, t = (v.astype(np.float64) for v in (xs, a_in, t_in))
    with np.errstate(all="ignore"):
        b = t - a
        boundary = t * x * (1 - x)
        small_a = _beta_grad_alpha_small(x, a, b)
        small_b = -_beta_grad_beta_small(1 - x, b, a)
        mid = _beta_grad_alpha_mid(x, a, b)
        u = np.log(x)
        la = np.log(a) - u
        lb = np.log(t) - la
        pu, pa = (np.ones_like(u), u, u * u), (np.ones_like(u), la, la * la)
        p, q = np.zeros_like(u), np.zeros_like(u)
        for i in range(3):
            for j in range(3):
                ua = pu[i] * pa[j]
                c0, c1 = _DIR_C[0, i, j], _DIR_C[1, i, j]
                p = p + ua * (c0[0] + lb * (c0[1] + lb * (c0[2] + lb * c0[3])))
                q = q + ua * (c1[0] + lb * (c1[1] + lb * (c1[2] + lb * c1[3])))
        approx = x * (_digamma(t) - _digamma(a)) / b
        rat = p / q * approx
        out = np.where((x <= 0.5) & (boundary < 2.5), small_a,
                       np.where((x >= 0.5) & (boundary < 0.75), small_b,
                                np.where((a > 6) & (b > 6), mid, rat)))
    return out.astype(dt)


# --------------------------------------------------------------------------------- binomial
_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k: float) -> float:
    """log k! − Stirling's approximation of it (tabled for k <= 9)."""
    if k <= 9:
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _c_log_any(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _binomial_inversion(count, prob, s, uniform):
    """Count geometric waiting times (ceil(log U / log(1−p))) until they pass ``count``."""
    geom_sum, num = 0.0, 0.0
    logprob = math.log1p(-prob)
    while True:
        g = math.ceil(_c_log_any(uniform()) / logprob) if logprob != 0 else math.inf
        geom_sum += g
        if geom_sum > count:
            return num
        num = s(num + 1)


def _btrs(count, prob, s, uniform):
    """Hörmann's BTRS transformed rejection (as torch and TensorFlow write it); ``s`` rounds
    to the storage dtype where torch computes in it."""
    stddev = math.sqrt(s(s(count * prob) * s(1 - prob)))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = s(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = s(prob / s(1 - prob))
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor(s(s(count + 1) * prob))
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        kk = (2 * a / us + b) * u + c if us != 0 else math.copysign(math.inf, u)
        k = s(math.floor(kk)) if math.isfinite(kk) else kk
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = _c_log_any(v * alpha / (a / (us * us) + b))
        upper = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                 + s(count + 1) * math.log((count - m + 1) / s(count - k + 1))
                 + (k + 0.5) * math.log(r * s(count - k + 1) / s(k + 1))
                 + _stirling_tail(m) + _stirling_tail(count - m)
                 - _stirling_tail(k) - _stirling_tail(s(count - k)))
        if v <= upper:
            return k


def _binomial_one(count, prob, s, uniform):
    """torch's ``sample_binomial``: BTRS where the mean (of the rarer outcome) is >= 10,
    inversion below; p > 0.5 samples the failures."""
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        if s(count * prob) >= 10.0:
            return _btrs(count, prob, s, uniform)
        return _binomial_inversion(count, prob, s, uniform)
    if prob > 0.5:
        q = s(1.0 - prob)
        if s(count * q) >= 10.0:
            return s(count - _btrs(count, q, s, uniform))
        return s(count - _binomial_inversion(count, q, s, uniform))
    return math.nan


def binomial(count, prob, generator=None) -> np.ndarray:
    """``torch.binomial(count, prob)``: one Binomial(count, prob) draw per element (C order,
    float64 uniforms, torch's BTRS / inversion switch), in the inputs' dtype; bit-exact."""
    c, p = np.asarray(count), np.asarray(prob)
    for name, a in (("count", c), ("prob", p)):
        if a.dtype.kind != "f":
            raise ValueError(f"binomial only supports floating-point dtypes for {name}, got: "
                             f"{torch_dtype_name(a.dtype)}")
    if c.dtype != p.dtype:
        raise RuntimeError(f"Found dtype {torch_dtype_name(p.dtype)} but expected "
                           f"{torch_dtype_name(c.dtype)}")
    try:
        c, p = np.broadcast_arrays(c, p)
    except ValueError:
        dim = next(i for i in range(1, max(c.ndim, p.ndim) + 1)
                   if (c.shape[-i] if i <= c.ndim else 1) != (p.shape[-i] if i <= p.ndim else 1)
                   and 1 not in ((c.shape[-i] if i <= c.ndim else 1),
                                 (p.shape[-i] if i <= p.ndim else 1)))
        raise RuntimeError(f"The size of tensor a ({c.shape[-dim]}) must match the size of "
                           f"tensor b ({p.shape[-dim]}) at non-singleton dimension "
                           f"{max(c.ndim, p.ndim) - dim}") from None
    if c.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"binomial_cpu\" not implemented for "
                                  f"'{torch_dtype_name(c.dtype)}'")
    uniform, _ = _draws(_gen(generator))
    if c.dtype == np.float32:
        def s(v):
            return float(np.float32(v))
    else:
        def s(v):
            return v
    out = [_binomial_one(float(n), float(q), s, uniform)
           for n, q in zip(c.ravel().tolist(), p.ravel().tolist())]
    return np.array(out, np.float64).astype(c.dtype).reshape(c.shape)
