"""``torch.signal.windows``: window functions of length M, computed with torch's formulas and
in torch's steps (a ``linspace`` of the sample positions k, then elementwise functions of it,
in the dtype asked for: float32 or float64), so the values are torch's.

With ``sym=True`` (the default) the window is symmetric, for filter design; with
``sym=False`` it is periodic, for spectral analysis (the symmetric window of length M + 1
without its last value). ``requires_grad=True`` makes the positions k a leaf that requires
grad, as torch's (the window is then a result of it, not a leaf).

* exponential: exp(−|n − c|/τ), c = (M−1)/2 (periodic: M/2) unless ``center`` is given;
* cosine: sin(π(n + ½)/M) (periodic: M + 1);
* gaussian: exp(−(n − (M−1)/2)² / (2σ²)) (periodic: M/2);
* kaiser: I₀(β·√(1 − (k/β)²)) / I₀(β), k from −β in steps of 2β/(M−1) (periodic: /M);
* bartlett: 1 − |k|, k from −1 in steps of 2/(M−1) (periodic: /M);
* general_cosine: Σᵢ (−1)ⁱ·aᵢ·cos(i·2πn/(M−1)) (periodic: M), and from it general_hamming
  (a = [α, 1 − α]), hamming (α = 0.54), hann (α = 0.5), blackman (a = [0.42, 0.5, 0.08]),
  nuttall (a = [0.3635819, 0.4891775, 0.1365995, 0.0106411]).
"""
import math
from collections.abc import Iterable

from ..creation import arange, empty, linspace, ones, tensor
from ..dtypes import float32, float64, get_default_dtype
from ..functions import abs as _abs, cos, exp, i0, minimum, sin, sqrt
from ..memory_layout import strided

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _checks(name, M, dtype, layout):
    """torch's ``_window_function_checks``; the default dtype for None."""
    dtype = get_default_dtype() if dtype is None else dtype
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype not in (float32, float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    return dtype


def _positions(start, end, M, dtype, device, requires_grad):
    return linspace(start, end, M, dtype=dtype, device=device, requires_grad=requires_grad)


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=strided, device=None,
                requires_grad=False):
    """exp(−|n − center|/τ) for n = 0 … M−1 (``center`` only for a periodic window)."""
    dtype = _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / tau
    k = _positions(-center * constant, (-center + (M - 1)) * constant, M, dtype, device,
                   requires_grad)
    return exp(-_abs(k))


def cosine(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """sin(π(n + ½)/M) (the periodic window: /(M + 1))."""
    dtype = _checks("cosine", M, dtype, layout)
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    start = 0.5
    constant = math.pi / (M + 1 if not sym and M > 1 else M)
    k = _positions(start * constant, (start + (M - 1)) * constant, M, dtype, device,
                   requires_grad)
    return sin(k)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=strided, device=None,
             requires_grad=False):
    """exp(−(n − (M−1)/2)²/(2·std²)) (the periodic window centred at M/2)."""
    dtype = _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / (std * math.sqrt(2))
    k = _positions(start * constant, (start + (M - 1)) * constant, M, dtype, device,
                   requires_grad)
    return exp(-(k ** 2))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=strided, device=None,
           requires_grad=False):
    """I₀(β·√(1 − (k/β)²))/I₀(β) for k from −β to β (torch: I₀(√(β² − k²))/I₀(β))."""
    dtype = _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1:
        return ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    beta = tensor(beta, dtype=dtype, device=device)
    start = -beta
    constant = 2.0 * beta / (M if not sym else M - 1)
    end = minimum(beta, start + (M - 1) * constant)
    k = _positions(start, end, M, dtype, device, requires_grad)
    return i0(sqrt(beta * beta - k ** 2)) / i0(beta)


def hamming(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """0.54 − 0.46·cos(2πn/(M−1)): :func:`general_hamming` with α = 0.54."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """½ − ½·cos(2πn/(M−1)): :func:`general_hamming` with α = 0.5."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """0.42 − 0.5·cos(2πn/(M−1)) + 0.08·cos(4πn/(M−1))."""
    dtype = _checks("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """The triangle 1 − |k|, k from −1 in steps of 2/(M−1) (periodic: 2/M)."""
    dtype = _checks("bartlett", M, dtype, layout)
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1:
        return ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    start = -1
    constant = 2 / (M if not sym else M - 1)
    k = _positions(start, start + (M - 1) * constant, M, dtype, device, requires_grad)
    return 1 - _abs(k)


def general_cosine(M, *, a, sym=True, dtype=None, layout=strided, device=None,
                   requires_grad=False):
    """Σᵢ (−1)ⁱ·aᵢ·cos(i·k), k = 2πn/(M−1) (periodic: 2πn/M): the sum over the rows of the
    coefficients times the cosines, as torch sums it."""
    dtype = _checks("general_cosine", M, dtype, layout)
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1:
        return ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    constant = 2 * math.pi / (M if not sym else M - 1)
    k = _positions(0, (M - 1) * constant, M, dtype, device, requires_grad)
    a_i = tensor([(-1) ** i * w for i, w in enumerate(a)], device=device, dtype=dtype,
                 requires_grad=requires_grad)
    i = arange(a_i.shape[0], dtype=a_i.dtype, device=device, requires_grad=a_i.requires_grad)
    return (a_i.unsqueeze(-1) * cos(i.unsqueeze(-1) * k)).sum(0)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=strided, device=None,
                    requires_grad=False):
    """α − (1 − α)·cos(2πn/(M−1)): :func:`general_cosine` with a = [α, 1 − α]."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """Nuttall's 4-term window (Nuttall 1981): :func:`general_cosine` with
    a = [0.3635819, 0.4891775, 0.1365995, 0.0106411]."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)
