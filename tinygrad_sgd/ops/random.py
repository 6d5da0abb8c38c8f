"""Random draws whose parameters are tensors: ``bernoulli(p)``, ``normal(mean, std)``,
``poisson(rate)``. torch gives such a draw a node, so the result requires grad when a
parameter does, and a derivative of zero w.r.t. every parameter: the draw is not
reparametrised (``distributions``' ``rsample`` is, with ``mean + std·ε``). The sample is drawn
by the caller (:mod:`tinygrad_sgd.functions.random`), from the generator, as torch draws it."""
import numpy as np

from ..autograd import Function

__all__ = ["Sample", "BernoulliSample", "NormalSample", "PoissonSample"]


class Sample(Function):
    """z, a draw from a distribution with parameters θ (the inputs): dz/dθ = 0, a zero
    gradient of each parameter's shape and dtype (torch's ``zeros_like``)."""
    inputs, rule = ("θ",), "z ~ D(θ)   (drawn by the caller)"
    derivatives = ("dz/dθ = 0",)
    op_name = "sample"

    def forward(self, *params, sample):
        self.like = [(p.array.shape, p.array.dtype) for p in params]
        return sample

    def backward(self, g):
        zeros = tuple(self.constant(np.zeros(shape, dtype)) for shape, dtype in self.like)
        return zeros[0] if len(zeros) == 1 else zeros


class BernoulliSample(Sample):
    inputs, rule = ("p",), "z ~ Bernoulli(p)"
    derivatives = ("dz/dp = 0",)
    grad_fn_name, op_name = "BernoulliBackward", "bernoulli"


class NormalSample(Sample):
    """The parameters given as tensors (mean, std, or both; torch names the node by that
    form: NormalBackward1, 2, 3)."""
    inputs, rule = ("mean", "std"), "z ~ N(mean, std²)"
    derivatives = ("dz/dmean = 0", "dz/dstd = 0")
    grad_fn_name, op_name = "NormalBackward", "normal"


class PoissonSample(Sample):
    inputs, rule = ("rate",), "z ~ Poisson(rate)"
    derivatives = ("dz/drate = 0",)
    grad_fn_name, op_name = "PoissonBackward", "poisson"
