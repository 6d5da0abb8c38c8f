"""torch's window functions for signal processing: ``bartlett_window``, ``blackman_window``,
``hamming_window``, ``hann_window``, ``kaiser_window``.

Each is a 1-d tensor of ``window_length`` values, by torch's defaults *periodic* (the
symmetric window of length N + 1 without its last value, as spectral analysis wants),
in the default float dtype unless ``dtype`` names another floating dtype. The arithmetic
follows torch's kernels step by step, in the requested dtype (each step rounded to it), so the
values agree with torch's to the last bits:

* hamming: ``α − β·cos(2πn/(N−1))`` (hann: α = β = ½);
* blackman: ``0.42 − 0.5·cos(2πn/(N−1)) + 0.08·cos(4πn/(N−1))``;
* bartlett: ``2n/(N−1)``, mirrored as ``2 − 2n/(N−1)`` past the middle;
* kaiser: ``I0(β·√(1 − ((n − α)/α)²)) / I0(β)`` with α = (N−1)/2.
"""
import math

import numpy as np

from .. import meta
from ..device import META, check_device
from ..dtypes import default_float
from ..tensor import Tensor
from .inplace import _dtype_name

__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window",
           "kaiser_window"]


def _setup(op, window_length, dtype, device):
    check_device(device, meta=True)
    dtype = np.dtype(default_float() if dtype is None else dtype)
    if dtype.kind != "f":
        raise RuntimeError(f"{op} expects floating point dtypes, got: {_dtype_name(dtype)}")
    if window_length < 0:
        raise RuntimeError(f"{op} requires non-negative window_length, got "
                           f"window_length={window_length}")
    return dtype, dtype.type


def _finish(values, n, periodic, dtype, requires_grad):
    """Drop the periodic window's extra last value; cast; a leaf tensor."""
    values = np.asarray(values)[:n] if periodic else np.asarray(values)
    return Tensor._of(values.astype(dtype), requires_grad=requires_grad)


def _window(op, window_length, periodic, dtype, device, requires_grad, formula):
    dtype, work = _setup(op, window_length, dtype, device)
    if check_device(device, meta=True) is META:       # (the meta device: no values)
        return meta.make((window_length,), dtype, requires_grad)
    if window_length <= 1:
        return Tensor._of(np.ones(window_length, dtype), requires_grad=requires_grad)
    n = window_length + 1 if periodic else window_length
    return _finish(formula(n, work), window_length, periodic, dtype, requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False, requires_grad=False):
    """``α − β·cos(2πk/(N−1))``, k = 0 … N−1 (N = window_length + 1 when periodic)."""
    def formula(n, work):
        k = np.arange(n, dtype=work) * work(2 * math.pi / (n - 1))
        return np.cos(k) * work(-beta) + work(alpha)
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   formula)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    """``½ − ½·cos(2πk/(N−1))``: the Hamming window with α = β = ½."""
    if check_device(device, meta=True) is META:   # (torch's meta hann_window, a decomposition:
        if window_length < 0:                      # its narrow's check, and no dtype check)
            raise RuntimeError("narrow(): length must be non-negative.")
        return meta.make((window_length,), default_float() if dtype is None else dtype,
                         requires_grad)
    _setup("hann_window", window_length, dtype, device)
    return hamming_window(window_length, periodic, 0.5, 0.5, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """``0.42 − 0.5·cos(2πk/(N−1)) + 0.08·cos(4πk/(N−1))``."""
    def formula(n, work):
        k = np.arange(n, dtype=work) * work(math.pi / (n - 1))
        return np.cos(k * work(4)) * work(0.08) - np.cos(k * work(2)) * work(0.5) + work(0.42)
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   formula)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """The triangle ``1 − |2k/(N−1) − 1|``, computed as torch: ``2k/(N−1)`` up to the
    middle, ``2 − 2k/(N−1)`` after it."""
    def formula(n, work):
        k = np.arange(n, dtype=work) * work(2.0 / (n - 1))
        half = ((n - 1) >> 1) + 1
        k[half:] = work(2) - k[half:]
        return k
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   formula)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    """``I0(β·√(1 − ((k − α)/α)²)) / I0(β)``, α = (N−1)/2 (I0: the modified Bessel
    function of order 0)."""
    def formula(n, work):
        alpha = (n - 1) / 2.0
        k = np.arange(n, dtype=np.float64)
        ratio = (k - alpha) / alpha
        return np.i0(beta * np.sqrt(np.maximum(1 - ratio * ratio, 0))) / np.i0(beta)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   formula)
