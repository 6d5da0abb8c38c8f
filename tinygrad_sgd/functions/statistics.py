"""Covariance and correlation, as torch: ``cov`` and ``corrcoef``.

The rows of the input are variables, its columns observations (a 1-D input is one variable).
With weights wⱼ (frequency weights × observation weights, all 1 by default)::

    μᵢ = Σⱼ wⱼ·xᵢⱼ / Σⱼ wⱼ
    cov = (X − μ)·diag(w)·(X − μ)ᵀ / (Σw − correction)   (Σw − correction·Σ(w·a)/Σw with
                                                           observation weights a)
    corrcoef = cov / (σ σᵀ), σ = √diag(cov), clipped to [−1, 1]

Composed of Tensor operations, so gradients and second order follow.
"""
import warnings

from ..errors import ShapeError
from .reduce import torch_name
from ..tensor import Tensor, tensor_method

__all__ = ["cov", "corrcoef"]


def _weights(w, n, name, integral):
    if w.ndim > 1:
        raise ShapeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                         f"{name} with {w.ndim} dimensions")
    if w.numel() != n:
        raise ShapeError(f"cov(): expected {name} to have the same numel as there are "
                         f"observations in the input but got {w.numel()} != {n}")
    kind = w.dtype.kind
    if integral and kind not in "iu":
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got {name} "
                           f"with {torch_name(w.dtype)} dtype")
    if not integral and kind != "f":
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got "
                           f"{name} with {torch_name(w.dtype)} dtype")
    if bool((w.detach() < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return w


@tensor_method
def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns); a 0-d tensor for one variable. ``correction``: 1 (Bessel's) or 0 or any int;
    ``fweights`` (integer counts) and ``aweights`` (floating importance) per observation."""
    if input.ndim > 2:
        raise ShapeError(f"cov(): expected input to have two or fewer dimensions but got an "
                         f"input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = None if fweights is None else _weights(fweights, n, "fweights", True)
    if aweights is not None:
        a = _weights(aweights, n, "aweights", False)
        w = a if w is None else w * a
    if x.dtype.kind in "biu":
        x = x.float()
    w_sum = w.sum() if w is not None else float(n)
    mean = (x * w if w is not None else x).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if float(norm.detach().item() if isinstance(norm, Tensor) else norm) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.")
        norm = norm * 0
    d = x - mean.unsqueeze(1)
    c = d @ (d * w if w is not None else d).mT
    return (c / norm).squeeze()


@tensor_method
def corrcoef(input):
    """Pearson's correlation coefficients of the variables in the rows of ``input``:
    ``cov / (σᵢ σⱼ)``, clipped to [−1, 1]; for one variable ``c / c`` (1, or NaN)."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    s = c.diagonal().sqrt()
    c = c / s.reshape(-1, 1)
    c = c / s.reshape(1, -1)
    return c.clip(-1, 1)
