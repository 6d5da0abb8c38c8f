"""torch's top-level forms of neural-network functions: ``torch.conv2d``, ``torch.dropout``,
``torch.layer_norm``, ``torch.embedding``, ``torch.kl_div``, ...

Each calls the same-named function of :mod:`tinygrad_sgd.nn.functional` (where the checks and
the op calls are). torch gives some of these forms their own argument lists — the dropouts'
``train`` is required, ``torch.batch_norm`` takes weight and bias first, ``torch.embedding``
takes the weight first, the losses take ``reduction`` as an int (0 none, 1 mean, 2 sum) — and
they are kept here, so a program written against torch's top level runs unchanged.
"""
from ..tensor import tensor_method

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "avg_pool1d", "max_pool1d", "max_pool1d_with_indices",
           "max_pool2d", "max_pool3d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
           "batch_norm", "instance_norm", "group_norm", "layer_norm", "rms_norm", "embedding",
           "bilinear", "pdist", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
           "dropout", "dropout_", "feature_dropout", "feature_dropout_", "alpha_dropout",
           "alpha_dropout_",
           "feature_alpha_dropout", "feature_alpha_dropout_", "celu", "celu_", "selu",
           "selu_", "prelu", "rrelu", "rrelu_", "hardshrink", "threshold", "threshold_",
           "cosine_similarity", "pairwise_distance", "kl_div",
           "binary_cross_entropy_with_logits", "cosine_embedding_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "triplet_margin_loss", "poisson_nll_loss",
           "constant_pad_nd"]

# Any other int means none, as torch's loss reduction reads it. (Its schemas say the default
# is 1, mean; but its Python binding, called without one, returns the unreduced losses: so do
# these.)
_REDUCTIONS = {1: "mean", 2: "sum"}


def _F():
    from ..nn import functional          # (nn imports this package: looked up when called)
    return functional


def _reduction(reduction):
    if not isinstance(reduction, int):
        raise TypeError(f"reduction must be an int at torch's top level (0 none, 1 mean, "
                        f"2 sum), not {type(reduction).__name__}")
    return _REDUCTIONS.get(int(reduction), "none")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _F().conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _F().conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _F().conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _F().conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _F().conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _F().conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _F().avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def _stride(stride):
    return None if isinstance(stride, (tuple, list)) and len(stride) == 0 else stride


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """(``stride=()``, torch's default here, means the kernel size.)"""
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """(values, indices)."""
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                           return_indices=True)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def adaptive_avg_pool1d(input, output_size):
    return _F().adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """(values, indices), always (``torch.adaptive_max_pool1d`` has no return_indices)."""
    return _F().adaptive_max_pool1d(input, output_size, return_indices=True)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """torch's order: weight and bias before the running statistics, everything required."""
    return _F().normalization._batch_norm(
        input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    """torch's order: weight and bias before the running statistics, everything required.
    Unlike ``F.instance_norm``, no check that an instance has more than one position; an input
    without the (N, C) dims is refused as torch's with an IndexError."""
    if input.ndim < 2:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions" if input.ndim
                         == 0 else "Dimension out of range (expected to be in range of "
                         "[-1, 0], but got 1)")
    return _F().normalization._instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                              momentum, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return _F().group_norm(input, num_groups, weight, bias, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return _F().rms_norm(input, normalized_shape, weight, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch's order: the weight first; ``padding_idx=-1`` means none (at this level)."""
    return _F().embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def _check_p(p):
    """torch's top level says it with a RuntimeError (``F.dropout``: a ValueError)."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def bilinear(input1, input2, weight, bias=None):
    return _F().bilinear(input1, input2, weight, bias)


def pdist(input, p=2.0):
    return _F().pdist(input, p)


def pixel_shuffle(input, upscale_factor):
    return _F().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _F().pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    return _F().channel_shuffle(input, groups)


def dropout(input, p, train):
    _check_p(p)
    return _F().dropout(input, p, train)


def dropout_(input, p, train):
    _check_p(p)
    return _F().dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    _check_p(p)
    return _F().alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    _check_p(p)
    return _F().alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p, train):
    _check_p(p)
    return _F().feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p, train):
    _check_p(p)
    return _F().feature_alpha_dropout(input, p, train, inplace=True)


def feature_dropout(input, p, train):
    """Whole channels zeroed together: one draw per (sample, channel) of an (N, C, ...) input —
    torch's mask, draw for draw (:func:`tinygrad_sgd.random.dropout_mask` of shape
    (N, C, 1, …)) — the kept ones scaled by 1/(1−p)."""
    from .. import random
    from ..ops.dropout import DropoutOp
    _check_p(p)
    _F().dropout(input, p, False)                 # (the dtype check)
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not train or p == 0 or input.numel() == 0:
        return input
    mask = random.dropout_mask(input.shape[:2] + (1,) * (input.ndim - 2), p, input.dtype)
    return DropoutOp.apply(input, mask=mask, p=p, name="feature_dropout")


def feature_dropout_(input, p, train):
    """``feature_dropout`` written into ``input`` (the same draws)."""
    from .inplace import inplace
    return inplace(input, lambda x: feature_dropout(x, p, train), name="feature_dropout_",
                   check_shapes=False)


def celu(input, alpha=1.0):
    return _F().celu(input, alpha)


def celu_(input, alpha=1.0):
    return _F().celu_(input, alpha)


def selu(input):
    return _F().selu(input)


def selu_(input):
    return _F().selu_(input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """(torch's ``generator=`` is not taken: the default generator draws.)"""
    return _F().rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return _F().rrelu_(input, lower, upper, training)


@tensor_method
def hardshrink(input, lambd=0.5):
    return _F().hardshrink(input, lambd)


def threshold(input, threshold, value):
    return _F().threshold(input, threshold, value)


def threshold_(input, threshold, value):
    return _F().threshold_(input, threshold, value)


@tensor_method
def prelu(input, weight):
    return _F().prelu(input, weight)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    return _F().cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return _F().pairwise_distance(x1, x2, p, eps, keepdim)


def kl_div(input, target, reduction=0, *, log_target=False):
    return _F().kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction=0):
    return _F().binary_cross_entropy_with_logits(input, target, weight,
                                                 reduction=_reduction(reduction),
                                                 pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return _F().cosine_embedding_loss(input1, input2, target, margin,
                                      reduction=_reduction(reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return _F().margin_ranking_loss(input1, input2, target, margin,
                                    reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return _F().hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False,
                        reduction=0):
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps,
                                 reduction=_reduction(reduction))


def constant_pad_nd(input, pad, value=0):
    return _F().pad(input, list(pad), "constant", value)
