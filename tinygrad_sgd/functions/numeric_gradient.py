"""``torch.gradient``: the derivative of sampled values estimated by finite differences, one
tensor per dim asked for (NumPy's ``np.gradient``, in torch's arithmetic).

Inside, central differences: with equal spacing h, ``(f[i+1] − f[i−1]) / 2h``; with sample
coordinates x (spacings l = x[i] − x[i−1], r = x[i+1] − x[i]) the second-order accurate
``−r/(l(l+r))·f[i−1] + (r−l)/(lr)·f[i] + l/(r(l+r))·f[i+1]``. At the two ends one-sided
differences, of first order (``edge_order=1``) or second. Built from slices and arithmetic,
so it is differentiable like any other composition.
"""
import numbers

from ..arguments import normalize_dim
from ..tensor import Tensor
from .shape import cat

__all__ = ["gradient"]


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """``(∂input/∂x_d for d in dim)``: ``spacing`` is one number for every dim, a number per
    dim, or per dim a 1-d tensor of the sample coordinates."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(range(input.ndim)) if dim is None else (
        [dim] if isinstance(dim, numbers.Integral) else list(dim))
    dims = [normalize_dim(d, input.ndim, "gradient") for d in dims]
    if isinstance(spacing, (numbers.Number, Tensor)) and not (
            isinstance(spacing, Tensor) and spacing.ndim):
        spacing = [spacing.item() if isinstance(spacing, Tensor) else spacing] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        given = ("since dim argument was not given" if dim is None else
                 f"since dim argument was given as {dim}")
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or "
                           f"a list of length equal to 'self.dim() = {len(dims)}', {given}, "
                           f"but got a list of length {len(spacing)}")
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    out = []
    for d, h in zip(dims, spacing):
        if isinstance(h, Tensor):
            if h.ndim != 1 or h.shape[0] != input.shape[d]:
                raise RuntimeError(f"torch.gradient expected each tensor to be a 1-d tensor of "
                                   f"the size of the dim it gives coordinates for, got "
                                   f"{list(h.shape)} for a dim of size {input.shape[d]}")
            out.append(_along_coordinates(input, d, h, edge_order))
        else:
            out.append(_uniform(input, d, h, edge_order))
    return tuple(out)


def _part(t, d, start, stop=None):
    index = [slice(None)] * t.ndim
    index[d] = slice(start, stop)
    return t[tuple(index)]


def _uniform(f, d, h, edge_order):
    center = (_part(f, d, 2) - _part(f, d, 0, -2)) / h
    if edge_order == 1:
        first = (_part(f, d, 1, 2) - _part(f, d, 0, 1)) / h
        last = (_part(f, d, -1) - _part(f, d, -2, -1)) / h
    else:
        first = (-1.5 * _part(f, d, 0, 1) + 2 * _part(f, d, 1, 2) - 0.5 * _part(f, d, 2, 3)) / h
        last = (0.5 * _part(f, d, -3, -2) - 2 * _part(f, d, -2, -1) + 1.5 * _part(f, d, -1)) / h
    return cat([first, center / 2, last], d)


def _along_coordinates(f, d, x, edge_order):
    shape = [1] * f.ndim
    shape[d] = -1
    dx = x[1:] - x[:-1]
    l, r = dx[:-1], dx[1:]
    a = (-r / (l * (l + r))).reshape(shape)
    b = ((r - l) / (l * r)).reshape(shape)
    c = (l / (r * (l + r))).reshape(shape)
    center = a * _part(f, d, 0, -2) + b * _part(f, d, 1, -1) + c * _part(f, d, 2)
    if edge_order == 1:
        first = (_part(f, d, 1, 2) - _part(f, d, 0, 1)) / dx[0]
        last = (_part(f, d, -1) - _part(f, d, -2, -1)) / dx[-1]
    else:
        h0, h1 = dx[0], dx[1]
        first = (-(2.0 * h0 + h1) / (h0 * (h0 + h1)) * _part(f, d, 0, 1)
                 + (h0 + h1) / (h0 * h1) * _part(f, d, 1, 2)
                 + (-h0) / (h1 * (h0 + h1)) * _part(f, d, 2, 3))
        g1, g2 = dx[-1], dx[-2]
        last = (g1 / (g2 * (g1 + g2)) * _part(f, d, -3, -2)
                - (g1 + g2) / (g1 * g2) * _part(f, d, -2, -1)
                + (2 * g1 + g2) / (g1 * (g1 + g2)) * _part(f, d, -1))
    return cat([first, center, last], d)
