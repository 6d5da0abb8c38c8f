"""The regularized incomplete gamma functions as differentiable primitives (in x only, as
torch): igamma P(a, x) = γ(a, x)/Γ(a) and igammac Q(a, x) = 1 − P(a, x).

Numerics: :mod:`tinygrad_sgd.kernels.special_more` (float64; a float32 input is computed in
float64 and rounded once).
"""
import numpy as np

from ..kernels.special_more import igamma_array, igammac_array
from .elementwise import Elementwise
from .special import Lgamma

__all__ = ["Igamma", "Igammac"]


class Igamma(Elementwise):
    """P(a, x); the derivative in a is not implemented (torch raises, so does backward)."""
    inputs, rule = ("a", "x"), "z = P(a, x) = γ(a, x)/Γ(a)"
    derivatives = ("", "dz/dx = x^(a−1)·e^(−x)/Γ(a)")
    op_name, sign, kernel = "igamma", 1.0, staticmethod(igamma_array)

    def forward(self, a, x):
        self.save_for_backward(a, x)
        out = self.kernel(a.array, x.array)
        return out.astype(np.result_type(a.array, x.array), copy=False)

    def backward(self, g):
        if self.needs_input_grad[0]:
            raise NotImplementedError(
                f"the derivative for '{self.op_name}: input' is not implemented.")
        a, x = self.saved_tensors
        density = ((a - 1.0) * x.log() - x - Lgamma.apply(a)).exp()
        return None, g * density * self.sign


class Igammac(Igamma):
    inputs, rule = ("a", "x"), "z = Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x)"
    derivatives = ("", "dz/dx = −x^(a−1)·e^(−x)/Γ(a)")
    op_name, sign, kernel = "igammac", -1.0, staticmethod(igammac_array)
