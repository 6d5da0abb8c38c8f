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
    dim, or per dim a 1-d tensor of the sample coordinates. None (for ``spacing`` or ``dim``)
    is the default, as in torch."""
    dims = None if dim is None else [dim] if isinstance(dim, numbers.Integral) else list(dim)
    spacing, listed = _spacing(spacing, input.ndim if dims is None else len(dims))
    _check(input, listed, dims, edge_order)
    dims = range(input.ndim) if dims is None else [d % input.ndim for d in dims]
    out = []
    for d, h in zip(dims, spacing):
        if isinstance(h, Tensor):
            if h.ndim != 1:
                raise RuntimeError(f"torch.gradient expected each element of spacing to have "
                                   f"one dimension, but got an element with {h.ndim} "
                                   f"dimensions!")
            out.append(_along_coordinates(input, d, h, edge_order))
        else:
            out.append(_uniform(input, d, h, edge_order))
    return tuple(out)


def _spacing(spacing, count):
    """(one spacing per dim, the length of ``spacing`` when it was given as a list, else
    None): a number or a 0-d tensor stands for every dim; a list holds only numbers or only
    1-d coordinate tensors (torch's overloads ``Scalar[]`` and ``Tensor[]``)."""
    if spacing is None:
        spacing = 1
    if isinstance(spacing, numbers.Number) or (isinstance(spacing, Tensor) and not spacing.ndim):
        return [spacing.item() if isinstance(spacing, Tensor) else spacing] * count, None
    spacing = list(spacing)
    if any(isinstance(h, Tensor) for h in spacing):
        for i, h in enumerate(spacing):
            if not isinstance(h, Tensor):
                raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                                f"{type(h).__name__}")
    return spacing, len(spacing)


def _check(input, listed, dims, edge_order):
    """torch's ``pre_check_gradient``, in its order."""
    if input.dtype.name == "uint8":
        raise RuntimeError("torch.gradient does not support uint8 input.")
    if listed is not None and dims is None and listed != input.ndim:
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or a "
                           f"list of length equal to 'self.dim() = {input.ndim}', since dim "
                           f"argument was not given, but got a list of length {listed}")
    if listed is not None and dims is not None and listed != len(dims):
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                           f"it's spacing and dim arguments to have the same length, but got "
                           f"a spacing argument of length {listed} and a dim argument of "
                           f"length {len(dims)}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    seen = set()
    for d in (range(input.ndim) if dims is None else dims):
        if not input.ndim:
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        d = normalize_dim(d, input.ndim, "gradient")
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    for d in seen:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")


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
    inner, samples = max(x.shape[0] - 2, 0), f.shape[d] - 2   # (torch's a·f[i−1] broadcasts
    if inner != samples and 1 not in (inner, samples):       # one coefficient, as here)
        raise RuntimeError(f"The size of tensor a ({inner}) must match the size of tensor b "
                           f"({samples}) at non-singleton dimension {d}")
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
