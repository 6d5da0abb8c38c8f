"""Floating-point draws, as torch's CPU kernels make them: uniform, normal, exponential,
Bernoulli (and the dropout mask), the truncated normal and Kaiming's uniform initialiser.

Each function returns a NumPy array and is bit-exact with the torch call its docstring names
(see the package notes for the one exception, a narrow ``trunc_normal`` window). Invalid
arguments raise torch's exception with torch's message, before anything is drawn.
"""
import math
import warnings

import numpy as np

from ..errors import warn_level
from ..dtypes import default_float
from ..kernels import libm
from .box_muller import normal_fill16_f32, normal_fill16_f64, normal_scalar_path
from .exact import by_slabs, fma32, fma64
from .generator import (_float_dtype, _from_double, _gen, _shape, _uniform01_f32,
                        _uniform01_f64, _uniform01_f64_where_below, torch_dtype_name)

__all__ = ["rand", "randn", "uniform", "normal", "exponential", "bernoulli", "dropout_mask",
           "trunc_normal", "kaiming_uniform", "calculate_gain", "fans", "kaiming_std"]

_SLAB_ROWS = (1 << 16) // 16
_C_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double"}


def _g(value) -> str:
    """A double as C++'s ``operator<<`` prints it in torch's messages (``%g``)."""
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------
# uniform
# ---------------------------------------------------------------------------------------------
def _check_uniform_bounds(low, high, dt):
    """torch's ``check_uniform_bounds``: both ends finite in the dtype, ordered, and the
    width representable."""
    info = np.finfo(dt)
    for value, name in ((low, "from"), (high, "to")):
        if not float(info.min) <= value <= float(info.max):
            raise RuntimeError(f"{name} is out of bounds for {_C_NAMES[dt.name]}")
    if not low <= high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_g(low)} > to={_g(high)}")
    if not high - low <= float(info.max):
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<"
                           f"{torch_dtype_name(dt)}>::max(), but found to={_g(high)} and "
                           f"from={_g(low)} which result in to-from to exceed the limit")


def uniform(shape, low=0.0, high=1.0, dtype=None, generator=None) -> np.ndarray:
    """``torch.empty(shape, dtype).uniform_(low, high)``; bit-exact.

    torch: per element one float uniform x (24 bits of ``random()`` for float32 and float16,
    53 bits of ``random64()`` for float64), ``fma(x, high - low, low)`` in float64 for float64
    and in float32 otherwise (``low``/``high`` first rounded to it; float16 is computed in
    float32, its "opmath" type, then rounded), and a result equal to ``high`` (in the dtype)
    replaced by ``low``.
    """
    dt = _float_dtype(dtype, "check_uniform_bounds")
    low, high = float(low), float(high)
    _check_uniform_bounds(low, high, dt)
    shape = _shape(shape)
    gen = _gen(generator)
    n = math.prod(shape)
    if dt == np.float64:
        lo, hi = np.float64(low), np.float64(high)
        out = by_slabs(fma64, _uniform01_f64(gen, n), hi - lo, lo)
    else:
        lo, hi = np.float32(low), np.float32(high)
        out = by_slabs(fma32, _uniform01_f32(gen, n), hi - lo, lo).astype(dt, copy=False)
        lo, hi = lo.astype(dt), hi.astype(dt)
    out = np.where(out == hi, lo, out).astype(dt)
    return out.reshape(shape)


def rand(shape, dtype=None, generator=None) -> np.ndarray:
    """``torch.rand(shape, dtype=dtype)``: uniform in [0, 1); bit-exact."""
    return uniform(shape, 0.0, 1.0, dtype, generator)


# ---------------------------------------------------------------------------------------------
# normal
# ---------------------------------------------------------------------------------------------
def check_std(std) -> None:
    """torch's ``normal expects std >= 0.0`` (a NaN fails it too)."""
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")


def normal(shape, mean=0.0, std=1.0, dtype=None, generator=None,
           serial=False) -> np.ndarray:
    """``torch.empty(shape, dtype).normal_(mean, std)``; bit-exact (see the package notes).

    A contiguous tensor of >= 16 elements: uniforms for the whole tensor, Box–Muller on each
    block of 16, and when the size is not a multiple of 16 the last 16 elements drawn and
    transformed once more. float32 uses torch's AVX2 log/sincos polynomials, float64 the C
    library; float16 is computed as float32 and rounded, its uniforms drawn block by block
    (so the n % 16 uniforms float32 draws and overwrites are not drawn).
    Fewer than 16 elements, or ``serial`` (torch's path for a tensor that is not contiguous, of
    any size: ``x.t().normal_()``): :func:`.box_muller.normal_scalar_path` (with the
    generator's cached normal), element by element in float64, then rounded to the dtype.
    """
    dt = _float_dtype(dtype, "normal_kernel_cpu")
    mean, std = float(mean), float(std)
    check_std(std)
    shape = _shape(shape)
    gen = _gen(generator)
    n = math.prod(shape)
    if n < 16 or serial:
        return _from_double(normal_scalar_path(gen, n, mean, std), dt).reshape(shape)
    if dt == np.float64:
        draw, fill, m, s = _uniform01_f64, normal_fill16_f64, mean, std
    else:
        draw, fill, m, s = _uniform01_f32, normal_fill16_f32, np.float32(mean), np.float32(std)
    full = n // 16 * 16
    if dt == np.float16:
        data = np.empty(n, np.float32)
        data[:full] = draw(gen, full)
    else:
        data = draw(gen, n)
    data[:full] = by_slabs(fill, data[:full].reshape(-1, 16), m, s,
                           rows=_SLAB_ROWS).reshape(-1)
    if n % 16:
        data[n - 16:] = fill(draw(gen, 16).reshape(1, 16), m, s).reshape(-1)
    return data.astype(dt, copy=False).reshape(shape)


def randn(shape, dtype=None, generator=None) -> np.ndarray:
    """``torch.randn(shape, dtype=dtype)``: ``normal(shape, 0, 1)``; bit-exact."""
    return normal(shape, 0.0, 1.0, dtype, generator)


# ---------------------------------------------------------------------------------------------
# exponential, bernoulli, dropout
# ---------------------------------------------------------------------------------------------
def exponential(shape, lambd=1.0, dtype=None, generator=None) -> np.ndarray:
    """``torch.empty(shape, dtype).exponential_(lambd)``; bit-exact.

    torch: one float64 uniform u per element, ``(-1 / lambd) * log1p(-u)`` in float64, then
    rounded to the dtype (to float16 by way of float32).
    """
    dt = np.dtype(default_float() if dtype is None else dtype)
    if dt not in (np.float16, np.float32, np.float64):
        raise RuntimeError(f"Exponential distribution is a continuous probability "
                           f"distribution. dtype must be a floating point but you specified "
                           f"{torch_dtype_name(dt)}")
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_g(lambd)}")
    shape = _shape(shape)
    u = _uniform01_f64(_gen(generator), math.prod(shape))
    return _from_double((-1.0 / lambd) * libm.log1p(-u), dt).reshape(shape)


def bernoulli(p, shape=None, dtype=None, generator=None) -> np.ndarray:
    """Bernoulli draws, 1 with probability p; bit-exact.

    * ``p`` a NumPy array: ``torch.bernoulli(p)`` (``shape`` given: ``torch.empty(shape)
      .bernoulli_(p)``, p broadcast to it). One uniform per element in C order — float32 for
      a float32 or float16 p, float64 for a float64 p — and ``u < p``. dtype defaults to p's.
    * ``p`` a Python/NumPy scalar: ``torch.empty(shape, dtype).bernoulli_(p)``: one float64
      uniform per element and ``u < p``. dtype defaults to the default float dtype.
    """
    gen = _gen(generator)
    if isinstance(p, np.ndarray):
        if p.dtype not in (np.float16, np.float32, np.float64):
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                      f"'{torch_dtype_name(p.dtype)}'")
        if not np.all((p >= 0) & (p <= 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        out_shape = p.shape if shape is None else _shape(shape)
        pb = np.broadcast_to(p, out_shape)
        n = math.prod(out_shape)
        u = _uniform01_f64(gen, n) if p.dtype == np.float64 else _uniform01_f32(gen, n)
        hits = u.reshape(out_shape) < pb
        return hits.astype(p.dtype if dtype is None else dtype)
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(p)}")
    out_shape = _shape(shape)
    dt = np.dtype(default_float() if dtype is None else dtype)
    hits = _uniform01_f64_where_below(gen, math.prod(out_shape), p, dt.type(1))   # 1 if u < p
    return hits.reshape(out_shape)


def dropout_mask(shape, p, dtype=None, generator=None) -> np.ndarray:
    """The mask ``F.dropout(x, p, training=True)`` multiplies x by; bit-exact.

    torch (``_dropout_impl``): ``noise = empty_like(x).bernoulli_(1 - p)`` (one float64
    uniform per element, kept when ``u < 1 - p``), then ``noise.div_(1 - p)`` in x's dtype,
    so kept entries are ``1 / (1 - p)`` rounded to the dtype (for float16 computed in float32,
    as torch's reduced-precision division by a number). p == 0 and p == 1 draw nothing.
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    dt = np.dtype(default_float() if dtype is None else dtype)
    if dt.kind != "f":
        raise NotImplementedError(f"dropout_mask: a floating-point dtype is needed, got "
                                  f"'{torch_dtype_name(dt)}'")
    shape = _shape(shape)
    if p == 0.0:
        return np.ones(shape, dtype=dt)
    if p == 1.0:
        return np.zeros(shape, dtype=dt)
    if dt == np.float16:
        scale = (np.float32(1.0) / np.float32(1.0 - p)).astype(dt)
    else:
        scale = dt.type(1.0) / dt.type(1.0 - p)
    # bernoulli_(1 − p) divided by 1 − p: the scale where kept (1·s = s), 0 where dropped
    mask = _uniform01_f64_where_below(_gen(generator), math.prod(shape), 1.0 - p, scale)
    return mask.reshape(shape)


# ---------------------------------------------------------------------------------------------
# initialisers
# ---------------------------------------------------------------------------------------------
def calculate_gain(nonlinearity, param=None):
    """torch's ``nn.init.calculate_gain``: 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for
    relu, √(2/(1+slope²)) for leaky_relu (slope ``param``, default 0.01), 3/4 for selu."""
    linear_fns = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) \
                or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def fans(shape) -> tuple:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``, as torch's
    ``_calculate_fan_in_and_fan_out``."""
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         "2 dimensions")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def kaiming_std(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu") -> float:
    """``gain / sqrt(fan)``, computed as torch's ``kaiming_uniform_``/``kaiming_normal_``."""
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of "
                         f"{['fan_in', 'fan_out']}")
    fan_in, fan_out = fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu",
                    dtype=None, generator=None) -> np.ndarray:
    """``torch.nn.init.kaiming_uniform_(torch.empty(shape, dtype), a, mode, nonlinearity)``.

    ``bound = sqrt(3) * (gain / sqrt(fan))`` computed with Python floats exactly as torch
    does, then ``uniform(shape, -bound, bound)``; bit-exact. ``nn.Linear``/``nn.Conv2d``
    default init is this with ``a = sqrt(5)`` for the weight, then
    ``uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for the bias.
    """
    bound = math.sqrt(3.0) * kaiming_std(shape, a, mode, nonlinearity)
    return uniform(shape, -bound, bound, dtype, generator)


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal(shape, mean=0.0, std=1.0, a=-2.0, b=2.0, dtype=None,
                 generator=None, layouts=None) -> np.ndarray:
    """``torch.nn.init.trunc_normal_(torch.empty(shape, dtype), mean, std, a, b)`` (torch 2.13).

    torch 2.13 no longer uses ``uniform_`` + ``erfinv_``. When [a, b] holds more than 30% of
    the mass it draws ``normal_(mean, std)`` and, while any value lies outside [a, b], draws a
    whole fresh ``normal_`` tensor and takes its values at those places (bit-exact here).
    Otherwise it is a rejection sampler: candidates ``uniform_(a, b)``, accepted unless
    ``log(uniform_()) > -((c - mean) / std)**2 / 2 - log_peak``, rejected places redrawn
    (whole tensors each round). Same draws here; a ``log`` within 1 ulp of its threshold can
    decide differently (torch uses SLEEF), so that branch is not guaranteed bit-exact (it
    matched in every test: 40 seeds x 2 000 samples x 2 dtypes).

    ``layouts``: how the tensor torch fills is laid out, as two ``(order, contiguous)`` pairs
    — its dims from the outermost in memory, and whether it is contiguous — the first for the
    tensor itself (the first draw), the second for ``empty_like`` of it (every later draw:
    torch's redraws go into such buffers). Each draw is made in that order (and a normal that
    is not contiguous element by element, torch's path for it). None: a contiguous tensor.
    """
    dt = _float_dtype(dtype, "normal_kernel_cpu")
    shape = _shape(shape)
    gen = _gen(generator)
    first, rest = layouts or ((tuple(range(len(shape))), True),) * 2

    def draw_normal(layout=rest):
        order, contiguous = layout
        return _in_order(shape, order, lambda s: normal(s, mean, std, dt, gen,
                                                        serial=not contiguous))

    def draw_uniform(low, high, layout=rest):
        return _in_order(shape, layout[0], lambda s: uniform(s, low, high, dt, gen))
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=warn_level(2))
    mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    if mass > 0.3:
        lo, hi = dt.type(a), dt.type(b)
        result = draw_normal(first)
        while True:
            outside = (result < lo) | (result > hi)
            if not outside.any():
                return result
            result = np.where(outside, draw_normal(), result)
    mode = max(a, min(mean, b))
    log_peak = dt.type(-0.5 * ((mode - mean) / std) ** 2)
    m, s = dt.type(mean), dt.type(std)

    def log_density(c):
        d = (c - m) / s
        return (d * d) * dt.type(-0.5) - log_peak

    def reject(c):
        u = draw_uniform(0.0, 1.0)
        log_u = libm.log(u.astype(np.float64)).astype(dt)
        return log_u > log_density(c)

    result = draw_uniform(a, b, first)
    pending = reject(result)
    while pending.any():
        candidates = draw_uniform(a, b)
        result = np.where(pending, candidates, result)
        pending = np.where(pending, reject(candidates), pending)
    return result


def _in_order(shape, order, draw):
    """``draw(shape)`` made in the dims ``order`` (outermost first): ``draw`` is called with
    the permuted shape, its result transposed back."""
    order = tuple(order)
    if order == tuple(range(len(shape))):
        return draw(shape)
    return draw(tuple(shape[d] for d in order)).transpose(np.argsort(order))
