"""Three more of torch's in-place samplers, bit for bit as torch's CPU kernels draw them
(from the same generator as :mod:`.random`, one float64 draw per element, in order):

* ``cauchy_(median=0, sigma=1)``: ``median + sigma·tan(π(u − ½))``, u clipped to
  ``[ε, 1 − ε]`` and the last multiply-add fused (one rounding), as torch's compiled kernel;
* ``geometric_(p)``: the number of Bernoulli(p) trials up to the first success,
  ``⌈log u / log(1 − p)⌉`` (integer tensors too);
* ``log_normal_(mean=1, std=2)``: ``exp(z)`` for z ~ N(mean, std²), z drawn as torch's
  per-element ``normal_distribution<double>`` (Box–Muller pairs, the second value kept for the
  next draw).

The transcendental functions are the C library's, as torch calls them (see
:mod:`tinygrad_sgd.kernels.libm`): ``tan`` and ``exp`` are checked here once against Python's
``math`` module (which calls the C library), and NumPy's faster loop is used where it agrees.
"""
import math

import numpy as np

from ..kernels import libm
from ..random.box_muller import normal_scalar_path
from ..random.exact import fma64
from ..random.generator import _gen, _uniform01_f64
from ..tensor import Tensor
from .inplace import _dtype_name
from .random import _fill

__all__ = []

_agrees = {}


def _c_library(name, math_fn, np_fn, x):
    """``np_fn(x)`` if NumPy's loop gives the C library's results on this CPU, else ``math_fn``
    element by element (checked once per function, over a spread of probe values)."""
    if name not in _agrees:
        probe = (np.arange(1, 4097, dtype=np.float64) * 0.6180339887498949) % 1.0 * 6 - 3
        with np.errstate(all="ignore"):
            _agrees[name] = bool(np.array_equal(
                np_fn(probe), libm._element_by_element(math_fn, np_fn, probe)))
    with np.errstate(all="ignore"):
        return np_fn(x) if _agrees[name] else libm._element_by_element(math_fn, np_fn, x)


def _to(values, dtype):
    """A float64 result in ``dtype`` as torch's ``(scalar_t)`` cast gives it (to float16 by
    way of float32)."""
    if dtype == np.float16:
        return values.astype(np.float32).astype(np.float16)
    return values.astype(dtype)


def _continuous(name, dtype, what):
    if np.dtype(dtype).kind != "f":
        if name == "log_normal_":
            raise NotImplementedError(f"\"log_normal_cpu\" not implemented for "
                                      f"'{_dtype_name(dtype)}'")
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_c_type_name(dtype)}")


def _c_type_name(dtype):
    return {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool"}.get(np.dtype(dtype).name,
                                                           np.dtype(dtype).name)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy(median, sigma) samples (float tensors)."""
    median, sigma = float(median), float(sigma)
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    _continuous("cauchy_", self.dtype, "Cauchy")

    def draw(shape, dtype):
        eps = np.finfo(np.float64).eps      # torch's transformation::cauchy clips u first
        u = np.clip(_uniform01_f64(_gen(generator), math.prod(shape)), eps, 1.0 - eps)
        tan = _c_library("tan", math.tan, np.tan, math.pi * (u - 0.5))
        # `median + sigma * tan(...)` is compiled to one fused multiply-add: one rounding
        out = fma64(np.full_like(tan, sigma), tan, np.full_like(tan, median))
        return _to(out, dtype).reshape(shape)
    return _fill(self, "cauchy_", draw)


def geometric_(self, p, *, generator=None):
    """Fill with Geometric(p) samples: trials up to the first success, 1, 2, ..."""
    p = float(p)
    if not 0.0 < p < 1.0:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    if self.dtype == np.bool_:
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")

    def draw(shape, dtype):
        u = _uniform01_f64(_gen(generator), math.prod(shape))
        with np.errstate(all="ignore"):
            return _to(np.ceil(libm.log(u) / math.log1p(-p)), dtype).reshape(shape)
    return _fill(self, "geometric_", draw)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with samples whose log is N(mean, std²) (float tensors)."""
    mean, std = float(mean), float(std)
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    _continuous("log_normal_", self.dtype, "Log-normal")

    def draw(shape, dtype):
        z = normal_scalar_path(_gen(generator), math.prod(shape), mean, std)
        return _to(_c_library("exp", math.exp, np.exp, z), dtype).reshape(shape)
    return _fill(self, "log_normal_", draw)


Tensor.cauchy_, Tensor.geometric_, Tensor.log_normal_ = cauchy_, geometric_, log_normal_
