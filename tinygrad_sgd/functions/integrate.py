"""The trapezoid rule, as torch: ``trapezoid`` (``trapz``) and ``cumulative_trapezoid``.

For samples y₁ … yₙ along ``dim``, spaced dx₁ … dxₙ₋₁ apart (the differences of ``x``, or one
number ``dx``, 1 by default)::

    ∫ y ≈ Σᵢ dxᵢ · (yᵢ + yᵢ₊₁) / 2          (cumulative: the running sums of those terms)

Composed of slicing, sum and cumsum, so gradients (for y and x) and second order follow.
"""
import numbers

from ..arguments import normalize_dim
from ..errors import ShapeError
from ..tensor import Tensor
from .. import creation

__all__ = ["trapezoid", "trapz", "cumulative_trapezoid"]


def _check(y, x, dx, name):
    if not isinstance(y, Tensor):
        raise TypeError(f"{name}(): argument 'y' must be Tensor, not {type(y).__name__}")
    if x is not None and not isinstance(x, Tensor) or x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: x must be a "
                        f"Tensor, given without dx (a number: pass it as dx=)")
    if y.dtype.kind == "b" or isinstance(x, Tensor) and x.dtype.kind == "b":
        which = "`x` or `y`" if isinstance(x, Tensor) else "`y`"
        raise RuntimeError(f"{name}: received a bool input for {which}, but bool is not "
                           f"supported")
    if dx is not None and (isinstance(dx, (bool, complex)) or
                           not isinstance(dx, numbers.Real)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")


def _spacing(y, x, d, name):
    """dx along ``d``: the differences of x, viewed so they broadcast against y's pairs."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise ShapeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = x.shape[0]
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    return _cut(x, d, 1, None) - _cut(x, d, 0, -1)


def _cut(t, d, start, stop):
    return t[(slice(None),) * d + (slice(start, stop),)]


def _pairs(y, d):
    """y₁ + y₂, y₂ + y₃, … along d."""
    return _cut(y, d, 0, -1) + _cut(y, d, 1, None)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """∫ y along ``dim`` by the trapezoid rule, with sample points ``x`` (a tensor: 1-D of
    y's length along ``dim``, or broadcastable against y) or a constant spacing ``dx`` (1).
    No samples: zeros (as NumPy)."""
    _check(y, x, dx, "trapezoid")
    d = normalize_dim(dim, y.ndim, "trapezoid")
    if y.shape[d] == 0:
        return creation.zeros(y.shape[:d] + y.shape[d + 1:], dtype=y.dtype)
    if x is not None:
        return (_pairs(y, d) * _spacing(y, x, d, "trapezoid")).sum(d) / 2.0
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * float(1 if dx is None else dx)


def trapz(y, x=None, *, dx=None, dim=-1):
    """The older name of :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid integral along ``dim``: one value fewer than the samples."""
    _check(y, x, dx, "cumulative_trapezoid")
    d = normalize_dim(dim, y.ndim, "cumulative_trapezoid")
    if x is not None:
        return (_pairs(y, d) * _spacing(y, x, d, "cumulative_trapezoid")).cumsum(d) / 2.0
    return (float(1 if dx is None else dx) / 2.0 * _pairs(y, d)).cumsum(d)
