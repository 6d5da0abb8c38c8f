"""More in-place Tensor methods (made from the out-of-place functions with
:func:`functions.inplace.inplace`): ``relu_``, ``sigmoid_``, ``addcmul_``, the special
functions (``erf_``, ``lgamma_``, ...), the comparisons (``eq_``: the result cast to the
tensor's dtype, as torch), ``tril_``, ``cumsum_``, ``renorm_``, ...

And the in-place shape methods ``t_``, ``transpose_``, ``squeeze_``, ``unsqueeze_``,
``swapaxes_``, ``swapdims_``, which change the tensor's shape (its memory stays): as torch, a
leaf that requires grad refuses them (outside ``no_grad``); a tensor in a graph gets the view
as its new ``grad_fn`` (``TransposeBackward``); the memory's version moves, so a graph node that
saved the tensor with its old shape refuses to backpropagate instead of misreading it."""
import numpy as np

from .. import autograd
from ..autograd.torch_names import named, torch_mode
from ..ops.elementwise import keep_where
from ..tensor import Tensor
from . import (activation as A, elementwise as E, index as X, misc, scan as C, shape as SH,
               special as S)
from .inplace import inplace, refuse_multi_output_view

__all__ = []


def _method(name, fn, check_shapes=True):
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, name=name, check_shapes=check_shapes, **kwargs)
    method.__name__ = name
    method.__doc__ = f"In place: ``self = {fn.__name__}(self, ...)`` (see functions.inplace)."
    setattr(Tensor, name, method)


# ---------------------------------------------------------------------------- elementwise
def _heaviside(x, values):
    return S.step_with_values(x, values, "heaviside_")     # (torch's node: aten::heaviside_)


for _name, _fn in {"relu_": A.relu, "sigmoid_": A.sigmoid, "erf_": S.erf, "erfc_": S.erfc,
                   "erfinv_": S.erfinv, "lgamma_": S.lgamma, "digamma_": S.digamma,
                   "logit_": S.logit, "i0_": S.i0, "mvlgamma_": S.mvlgamma, "xlogy_": S.xlogy, "sinc_": S.sinc,
                   "deg2rad_": S.deg2rad, "rad2deg_": S.rad2deg, "heaviside_": _heaviside,
                   "ldexp_": S.ldexp, "gcd_": S.gcd, "lcm_": S.lcm,
                   "nextafter_": S.nextafter, "tril_": X.tril, "triu_": X.triu,
                   "cumsum_": C.cumsum, "cumprod_": C.cumprod}.items():
    _method(_name, _fn)

for _name, _fn in {"addcmul_": misc.addcmul, "addcdiv_": misc.addcdiv,
                   "renorm_": misc.renorm}.items():
    _method(_name, _fn, check_shapes=False)      # (the result's shape is checked after)


def _polygamma(x, n):
    return S.polygamma(n, x)


_method("polygamma_", _polygamma)


def _float_power(x, exponent):
    if np.dtype(x.dtype) != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype "
                           f"{E.torch_dtype_name(x.dtype)} but the operation's result "
                           f"requires dtype Double")
    return S.float_power(x, exponent)


_method("float_power_", _float_power)


# ---------------------------------------------------------------------------- comparisons
def _comparison(cmp):
    def fn(x, other):
        out = cmp(x, other).to(x.dtype)
        if x.requires_grad and autograd.is_grad_enabled() and x.dtype.kind == "f":
            # torch keeps the tensor in the graph with a zero gradient (EqBackward)
            out = out + _zero_grad(x)
        return out
    fn.__name__ = cmp.__name__
    return fn


def _zero_grad(x):
    """0 of x's shape whose gradient with respect to x is 0 (not NaN, even where x is inf)."""
    return keep_where(np.zeros(x.shape, bool), x)


for _name, _cmp in {"eq_": E.eq, "ne_": E.ne, "lt_": E.lt, "le_": E.le, "gt_": E.gt,
                    "ge_": E.ge, "not_equal_": E.ne, "greater_": E.gt, "less_": E.lt,
                    "greater_equal_": E.ge, "less_equal_": E.le}.items():
    _method(_name, _comparison(_cmp))


# ---------------------------------------------------------------------------- shape
def _reshape_in_place(self, name, fn, *args):
    """``self`` becomes ``fn(self, *args)`` (a view of the same memory)."""
    in_graph = autograd.is_grad_enabled() and self.requires_grad
    if in_graph and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    refuse_multi_output_view(self)
    if in_graph:
        old = Tensor._of(self.array)
        old._requires_grad, old.grad_fn = self.requires_grad, self.grad_fn
        result = fn(old, *args)
    else:
        with autograd.no_grad():
            result = fn(self, *args)
    self._bump_version_unchecked()
    self.array = result.array
    if autograd.forward_ad.dual(self):         # (the tangent takes the new shape too)
        self._fw_grad = fn(autograd.forward_ad.tangent_of(self), *args)
    if in_graph:
        self.grad_fn, self._requires_grad = result.grad_fn, True
        if torch_mode():     # torch numbers the in-place overloads after the out-of-place ones
            name = self.grad_fn.name()
            named(self, _IN_PLACE_NAMES.get(name, name), old)
    return self


_IN_PLACE_NAMES = {"TBackward0": "TBackward1", "TransposeBackward0": "TransposeBackward1",
                   "SqueezeBackward0": "SqueezeBackward3", "SqueezeBackward1": "SqueezeBackward4",
                   "SqueezeBackward2": "SqueezeBackward5",
                   "UnsqueezeBackward0": "UnsqueezeBackward1"}


def _shape_method(name, fn):
    def method(self, *args):
        return _reshape_in_place(self, name, fn, *args)
    method.__name__ = name
    method.__doc__ = (f"In place: ``self`` becomes ``{fn.__name__}(self, ...)``, a view of the "
                      f"same memory (see the module docstring).")
    setattr(Tensor, name, method)


for _name, _fn in {"t_": SH.t, "transpose_": SH.transpose, "swapaxes_": SH.swapaxes,
                   "swapdims_": SH.swapdims, "squeeze_": SH.squeeze,
                   "unsqueeze_": SH.unsqueeze}.items():
    _shape_method(_name, _fn)


# ---------------------------------------------------------------------------- torch.exp_(x), ...
# torch also has these in-place methods as top-level functions: ``torch.exp_(x)`` is
# ``x.exp_()``.
def _top_level(name):
    def function(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``{name}(input, ...)`` is ``input.{name}(...)``."
    return function


for _name in ("abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_",
              "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_",
              "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "detach_",
              "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_",
              "gcd_", "i0_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_",
              "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_",
              "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_",
              "tanh_", "trunc_", "xlogy_", "zero_"):
    globals()[_name] = _top_level(_name)
    __all__.append(_name)
