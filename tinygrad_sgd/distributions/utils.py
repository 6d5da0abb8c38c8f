"""Helpers shared by the distributions (torch's ``torch.distributions.utils``)."""
from numbers import Number

import tinygrad_sgd as tg

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "probs_to_logits"]


def broadcast_all(*values):
    """Numbers become tensors of the first tensor's dtype (else the default dtype); then all
    are broadcast together."""
    if not all(isinstance(v, (tg.Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    if not all(isinstance(v, tg.Tensor) for v in values):
        dtype = next((v.dtype for v in values if isinstance(v, tg.Tensor)),
                     tg.get_default_dtype())
        values = [v if isinstance(v, tg.Tensor) else tg.tensor(v, dtype=dtype) for v in values]
    return tg.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device=None):
    """torch's ``torch.empty(shape).normal_()``: the same draws as ``torch.randn(shape)``."""
    return tg.empty(shape, dtype=dtype).normal_()


def _sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dimensions."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """sigmoid (binary) or softmax over the last dimension."""
    if is_binary:
        return tg.sigmoid(logits)
    return tg.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamp into [eps, 1 - eps], eps the dtype's machine epsilon."""
    eps = tg.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """log-odds (binary) or log-probabilities, of the clamped probabilities."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return tg.log(ps_clamped) - tg.log1p(-ps_clamped)
    return tg.log(ps_clamped)


class lazy_property:
    """A property computed on first access and then stored on the instance (so that
    ``probs`` and ``logits`` are each derived from the other only when asked for)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with tg.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
