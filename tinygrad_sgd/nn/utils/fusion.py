"""Folding an eval-mode BatchNorm into the convolution or linear layer before it
(``torch.nn.utils.fusion``): at inference BatchNorm is an affine map per channel,

    bn(z) = (z − μ)·γ/√(σ² + ε) + β,      μ, σ² the running statistics,

so with s = γ/√(σ² + ε) the pair ``bn(conv(x))`` equals one convolution with weight
W·s (each output channel's filter scaled) and bias (b − μ)·s + β. The fused layer is a deep
copy of the original with new weight and bias Parameters; the originals are untouched.
"""
import copy

import numpy as np

from ...tensor import Tensor

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _array(t):
    return t.array if isinstance(t, Tensor) else np.asarray(t)


def _rsqrt(var, eps):
    """1/√(σ² + ε) in σ²'s dtype."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 / np.sqrt(var + eps)


def _parameter(values, requires_grad):
    from ..module import Parameter
    return Parameter(values, requires_grad=requires_grad)


def _check_eval(layer, bn):
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval!")


def _check_running_stats(bn):
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A new convolution (a deep copy of ``conv``) computing ``bn(conv(x))`` of the
    eval-mode pair. ``transpose=True`` for a transposed convolution, whose weight keeps its
    output channels in dimension 1. Both must be in eval mode and ``bn`` must track running
    statistics (else an AssertionError, as torch)."""
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    _check_running_stats(bn)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The fused ``(weight, bias)`` Parameters: weight W·s with s = γ/√(σ² + ε) along the
    output-channel dimension (0, or 1 if ``transpose``), bias (b − μ)·s + β, in the conv
    weight's and bias's dtypes. A missing conv bias counts as 0, a missing γ as 1 and β
    as 0. As torch, the weight requires grad as ``conv_w`` does and the bias as ``conv_b``
    does (a missing bias: not)."""
    weight_dtype = _array(conv_w).dtype
    bias_dtype = _array(conv_b).dtype if conv_b is not None else weight_dtype
    rm, rv = _array(bn_rm), _array(bn_rv)
    b = _array(conv_b) if conv_b is not None else np.zeros_like(rm)
    gamma = _array(bn_w) if bn_w is not None else np.ones_like(rm)
    beta = _array(bn_b) if bn_b is not None else np.zeros_like(rm)
    w = _array(conv_w)
    inv_std = _rsqrt(rv, bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (w.ndim - 2)
    fused_w = (w * (gamma * inv_std).reshape(shape)).astype(weight_dtype)
    fused_b = ((b - rm) * inv_std * gamma + beta).astype(bias_dtype)
    return (_parameter(fused_w, conv_w.requires_grad),
            _parameter(fused_b, conv_b is not None and conv_b.requires_grad))


def fuse_linear_bn_eval(linear, bn):
    """A new Linear (a deep copy of ``linear``) computing ``bn(linear(x))`` of the eval-mode
    pair; ``bn.num_features`` must be ``linear.out_features`` or 1 (else an
    AssertionError, as are training mode and missing running statistics)."""
    _check_eval(linear, bn)
    fused = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError(
            f"To fuse, linear.out_features == bn.num_features or bn.num_features == 1, "
            f"got linear.out_features={linear.out_features} and "
            f"bn.num_features={bn.num_features}")
    _check_running_stats(bn)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The fused ``(weight, bias)`` Parameters of a Linear followed by an eval BatchNorm:
    each output row of W scaled by s = γ/√(σ² + ε) (cast to W's dtype first, as torch), bias
    (b − μ)·s + β in the bias's dtype; a missing Linear bias counts as 0 (and then the
    fused bias does not require grad, as in torch)."""
    weight_dtype = _array(linear_w).dtype
    bias_dtype = _array(linear_b).dtype if linear_b is not None else weight_dtype
    rm = _array(bn_rm)
    b = _array(linear_b) if linear_b is not None else np.zeros_like(rm)
    scale = _array(bn_w) * _rsqrt(_array(bn_rv), bn_eps)
    fused_w = _array(linear_w) * scale[..., None].astype(weight_dtype)
    fused_b = ((b - rm) * scale + _array(bn_b)).astype(bias_dtype)
    return (_parameter(fused_w, linear_w.requires_grad),
            _parameter(fused_b, linear_b is not None and linear_b.requires_grad))
