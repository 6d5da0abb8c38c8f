"""torch's gamma-family random functions on Tensors: ``torch._standard_gamma`` (differentiable:
its backward is ``_standard_gamma_grad``, the implicit reparameterisation gradient),
``torch._standard_gamma_grad`` and ``torch._sample_dirichlet``; the draws are
:mod:`tinygrad_sgd.random.gamma`'s, bit-exact with torch for a seed."""
import tinygrad_sgd as tg
from tinygrad_sgd.autograd.function import Function

from ..random import gamma as _G

__all__ = ["_standard_gamma", "_standard_gamma_grad", "_sample_dirichlet", "_dirichlet_grad",
           "binomial"]


class _StandardGamma(Function):
    """z ~ Gamma(α, 1);  dz/dα = −(∂F(z; α)/∂α) / p(z; α)  (the implicit derivative of the
    quantile: z held at its cdf level while α moves; torch's ``_standard_gamma_grad``)."""
    inputs, rule = ("α",), "z ~ Gamma(α, 1)"
    derivatives = ("dz/dα = −(∂F(z; α)/∂α) / p(z; α)",)

    @staticmethod
    def forward(ctx, alpha, generator=None):
        z = tg.Tensor._of(_G.standard_gamma(alpha.detach().numpy(), generator))
        ctx.save_for_backward(alpha, z)
        return z

    @staticmethod
    def backward(ctx, grad):
        alpha, z = ctx.saved_tensors
        return grad * _standard_gamma_grad(alpha.detach(), z.detach()), None


def _standard_gamma(input, generator=None):
    """``torch._standard_gamma(alpha)``: Gamma(alpha, 1) draws, bit-exact with torch."""
    return _StandardGamma.apply(input, generator)


def _standard_gamma_grad(input, output):
    """``torch._standard_gamma_grad(alpha, x)``: ∂x/∂alpha for x ~ Gamma(alpha, 1)."""
    return tg.Tensor._of(_G.standard_gamma_grad(input.detach().numpy(),
                                                output.detach().numpy()))


def _sample_dirichlet(input, generator=None):
    """``torch._sample_dirichlet(alpha)``: Dirichlet draws over the last dimension (float64
    gammas, normalised in torch's summation order), bit-exact with torch."""
    return tg.Tensor._of(_G.sample_dirichlet(input.detach().numpy(), generator))


def _dirichlet_grad(x, alpha, total):
    """``torch._dirichlet_grad(x, alpha, total)``: the scaled implicit gradient of a
    Beta(alpha, total − alpha) draw x wrt alpha (torch's ``dirichlet_grad_one``)."""
    return tg.Tensor._of(_G.dirichlet_grad(x.detach().numpy(), alpha.detach().numpy(),
                                           total.detach().numpy()))


class _Dirichlet(Function):
    """x ~ Dirichlet(α) (torch's draws);  the vector–Jacobian product with g is
    dirichlet_grad(x, α, Σα) · (g − Σ x·g)  (torch's ``_Dirichlet_backward``)."""
    inputs, rule = ("α",), "x ~ Dirichlet(α)"
    derivatives = ("vjp(g) = dirichlet_grad(x, α, Σα) · (g − Σ x·g)",)

    @staticmethod
    def forward(ctx, concentration):
        x = _sample_dirichlet(concentration)
        ctx.save_for_backward(x, concentration)
        return x

    @staticmethod
    def backward(ctx, grad_output):
        x, concentration = ctx.saved_tensors
        total = concentration.sum(-1, True).expand_as(concentration)
        grad = _dirichlet_grad(x, concentration, total)
        return grad * (grad_output - (x * grad_output).sum(-1, True))


def binomial(count, prob, generator=None):
    """``torch.binomial(count, prob)``: Binomial draws (torch's BTRS / inversion), bit-exact
    with torch for a seed; no gradient (torch's is not implemented either)."""
    return tg.Tensor._of(_G.binomial(count.detach().numpy(), prob.detach().numpy(), generator))
