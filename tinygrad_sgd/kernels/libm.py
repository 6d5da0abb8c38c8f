"""The C library's float64 ``log``, ``log1p``, ``sin``, ``cos`` and ``pow`` over arrays: what torch
calls on the CPU (``std::log`` ... in its samplers, ``std::pow`` in logspace and zeta), so that
what is computed with them is torch's to the last bit.

NumPy's own float64 loops give the C library's results on CPUs without AVX-512. On AVX-512
CPUs NumPy runs its own vectorised versions, which can be 1 ulp away (measured on this
project's AMD EPYC: 0.35% of logs, 7% of log1ps, 0.5% of powers), and a normal or exponential
drawn with them would then differ from torch's. So each function is checked once, on the first
call, against Python's ``math`` module (which calls the C library) over a few thousand probe
values: where NumPy agrees its fast loop runs; where it doesn't, every element goes through
``math`` (about 0.1 µs an element). Values ``math`` refuses (``log(0)``, an overflowing ``pow``)
keep NumPy's answer, which is the C library's there too (−inf, inf).
"""
import math

import numpy as np

__all__ = ["log", "log1p", "sin", "cos", "power"]

_agrees = {}    # function name -> NumPy's loop gives the C library's results on this CPU


def _element_by_element(math_fn, np_fn, *arrays):
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [np.broadcast_to(a, shape).ravel().tolist() for a in arrays]
    try:
        out = np.fromiter(map(math_fn, *flat), np.float64, count=int(np.prod(shape)))
    except (ValueError, OverflowError):     # a special value somewhere: NumPy's answer there
        fallback = np_fn(*(np.broadcast_to(a, shape) for a in arrays)).ravel()
        out = np.empty(len(fallback))
        for i, args in enumerate(zip(*flat)):
            try:
                out[i] = math_fn(*args)
            except (ValueError, OverflowError):
                out[i] = fallback[i]
    return out.reshape(shape)


def _probe(name):
    u = (np.arange(1, 4097, dtype=np.float64) * 0.6180339887498949) % 1.0   # spread over (0, 1)
    return {"log": (1.0 - u,), "log1p": (-u,), "sin": (6.283185307179586 * u,),
            "cos": (6.283185307179586 * u,), "power": (np.full_like(u, 10.0), 4 * u - 2)}[name]


def _apply(name, math_fn, np_fn, *arrays):
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    agrees = _agrees.get(name)
    if agrees is None:
        probe = _probe(name)
        with np.errstate(all="ignore"):
            agrees = _agrees[name] = bool(np.array_equal(
                np_fn(*probe), _element_by_element(math_fn, np_fn, *probe)))
    with np.errstate(all="ignore"):
        return np_fn(*arrays) if agrees else _element_by_element(math_fn, np_fn, *arrays)


def log(x):
    return _apply("log", math.log, np.log, x)


def log1p(x):
    return _apply("log1p", math.log1p, np.log1p, x)


def sin(x):
    return _apply("sin", math.sin, np.sin, x)


def cos(x):
    return _apply("cos", math.cos, np.cos, x)


def power(base, exponent):
    return _apply("power", math.pow, np.power, base, exponent)
