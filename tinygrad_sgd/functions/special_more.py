"""More special functions, as torch.special has them: the regularized incomplete gamma
functions (igamma/igammac = special.gammainc/gammaincc, differentiable in x only), the Bessel
functions J₀, J₁, Y₀, Y₁, the Airy function Ai, the modified Bessel functions I₀, I₁, K₀, K₁
(and K scaled by eˣ), the spherical Bessel j₀ and the orthogonal polynomials of Chebyshev
(four kinds, plain and shifted to [0, 1]), Hermite, Laguerre and Legendre.

``__all__``: torch top-level names (also Tensor methods, with in-place ``igamma_`` and
``igammac_``); ``SPECIAL_ONLY``: the names only torch.special has.

As torch: integer and bool inputs become the default float dtype (the incomplete gamma refuses
integers); the Bessel and Airy functions and the polynomials have no derivative (their result
does not require grad); a polynomial's degree n is a tensor or a number, truncated to an integer
(NaN, ±inf or a negative degree give 0), and it broadcasts with x. (At a NaN x and degree ≥ 2
torch's loop returns an uninitialised value for some families; ours is NaN.) Numerics:
:mod:`tinygrad_sgd.kernels.special_more`.
"""
import numpy as np

from ..kernels import special_more as K
from ..ops.special_more import Igamma, Igammac
from ..tensor import Tensor, tensor_method
from .elementwise import float_input, float_operands, not_implemented, operands

__all__ = ["igamma", "igammac"]
SPECIAL_ONLY = ["gammainc", "gammaincc", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
                "airy_ai", "modified_bessel_i0", "modified_bessel_i1",
                "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
                "scaled_modified_bessel_k1", "spherical_bessel_j0",
                "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
                "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
                "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
                "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
                "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"]


# ---------------------------------------------------------------------------- incomplete Γ
def _gamma_operands(fn, input, other):
    for value, arg, pos in ((input, "input", 1), (other, "other", 2)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(value).__name__}")
    a, x = operands(input, other)
    if a.dtype.kind != "f":
        raise not_implemented(f"{fn}_cpu", a.dtype)
    return a, x


@tensor_method
def igamma(input, other):
    """P(a, x) = γ(a, x)/Γ(a) = 1/Γ(a)·∫₀ˣ tᵃ⁻¹e⁻ᵗ dt (a = input, x = other)."""
    return Igamma.apply(*_gamma_operands("igamma", input, other))


@tensor_method
def igammac(input, other):
    """Q(a, x) = 1 − P(a, x) = 1/Γ(a)·∫ₓ^∞ tᵃ⁻¹e⁻ᵗ dt."""
    return Igammac.apply(*_gamma_operands("igammac", input, other))


def _igamma_(self, other):
    from .inplace import inplace
    return inplace(self, igamma, other, name="igamma_")


def _igammac_(self, other):
    from .inplace import inplace
    return inplace(self, igammac, other, name="igammac_")


_igamma_.__name__, _igammac_.__name__ = "igamma_", "igammac_"
Tensor.igamma_, Tensor.igammac_ = _igamma_, _igammac_


def gammainc(input, other):
    return igamma(input, other)


def gammaincc(input, other):
    return igammac(input, other)


# ---------------------------------------------------------------------------- Bessel
def _unary(name, kernel):
    """A torch.special function of one tensor with no derivative."""
    def fn(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"special_{name}(): argument 'input' (position 1) must be Tensor, "
                            f"not {type(input).__name__}")
        x = float_input(input)
        if x.dtype == np.float16:                      # (torch has no half kernel)
            raise not_implemented(f"{name}_cpu", x.dtype)
        return Tensor._of(np.asarray(kernel(x.array)))
    fn.__name__ = fn.__qualname__ = name
    return fn


bessel_j0 = _unary("bessel_j0", K.bessel_j0_array)
bessel_j1 = _unary("bessel_j1", K.bessel_j1_array)
bessel_y0 = _unary("bessel_y0", K.bessel_y0_array)
bessel_y1 = _unary("bessel_y1", K.bessel_y1_array)
airy_ai = _unary("airy_ai", K.airy_ai_array)
modified_bessel_i0 = _unary("modified_bessel_i0", K.bessel_i0_array)
modified_bessel_i1 = _unary("modified_bessel_i1", K.bessel_i1_array)
modified_bessel_k0 = _unary("modified_bessel_k0", K.bessel_k0_array)
modified_bessel_k1 = _unary("modified_bessel_k1", K.bessel_k1_array)
scaled_modified_bessel_k0 = _unary("scaled_modified_bessel_k0",
                                   lambda a: K.bessel_k0_array(a, scaled=True))
scaled_modified_bessel_k1 = _unary("scaled_modified_bessel_k1",
                                   lambda a: K.bessel_k1_array(a, scaled=True))
spherical_bessel_j0 = _unary("spherical_bessel_j0", K.spherical_j0_array)


# ---------------------------------------------------------------------------- polynomials
def _polynomial(name, kind):
    """A torch.special polynomial p(x, n): x and n tensors or one of them a number."""
    def fn(input, n):
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            raise TypeError(f"special_{name}() received an invalid combination of arguments - "
                            f"got ({type(input).__name__}, {type(n).__name__}), but expected "
                            f"one of: (Tensor x, Tensor n), (Number x, Tensor n), "
                            f"(Tensor x, Number n)")
        x, degree = float_operands(input, n)
        if x.dtype == np.float16:                      # (torch has no half kernel)
            raise not_implemented(f"{name}_cpu", x.dtype)
        return Tensor._of(K.polynomial_array(kind, x.array, degree.array))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.special.{name}(input, n): degree ⌊n⌋ at x (no derivative)."
    return fn


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", "chebyshev_t")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", "chebyshev_u")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", "chebyshev_v")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", "chebyshev_w")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t",
                                             "shifted_chebyshev_t")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u",
                                             "shifted_chebyshev_u")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v",
                                             "shifted_chebyshev_v")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w",
                                             "shifted_chebyshev_w")
hermite_polynomial_h = _polynomial("hermite_polynomial_h", "hermite_h")
hermite_polynomial_he = _polynomial("hermite_polynomial_he", "hermite_he")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", "laguerre")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", "legendre")
