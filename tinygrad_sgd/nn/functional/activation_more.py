"""More activations: hardshrink, softshrink, tanhshrink, threshold, rrelu, gumbel_softmax, and
torch's in-place spellings (``relu_``, ``elu_``, ...). Each is composed of Tensor operations
(``where`` with a mask, products with constant arrays), so gradients and second order follow
from the pieces; the masks are strict where torch's backward is (no gradient at the kink).
The result is tied to the input (:class:`~tinygrad_sgd.ops.elementwise.TiedToInput`): under
``create_graph`` the gradient requires grad and its derivative is zeros, as torch's kernels."""
import warnings

import numpy as np

from ...errors import warn_level
from ...functions import where
from ...functions.elementwise import not_implemented
from ...autograd.torch_names import named
from ...functions.inplace import inplace as _inplace
from ...functions.inplace_results import saves_result
from ...ops.elementwise import TiedToInput
from ...random.generator import _gen
from ...random.distributions import exponential
from ...tensor import Tensor
from ._checks import check_tensor, check_float, check_kernel
from .layers import relu, elu, leaky_relu, hardtanh, selu, celu, _leaky_relu, _maybe_inplace

__all__ = ["hardshrink", "softshrink", "tanhshrink", "threshold", "threshold_", "rrelu",
           "rrelu_", "relu_", "elu_", "leaky_relu_", "hardtanh_", "selu_", "celu_",
           "gumbel_softmax"]

_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half"}


def _float(input, kernel):
    """torch's ``NotImplementedError: "<kernel>" not implemented for 'Long'`` for a
    non-float input."""
    return check_kernel(input, kernel.split("_")[0], kernel)


def _inside(x, lambd):
    """The mask −λ ≤ x ≤ λ (False for NaN: torch's shrinks pass a NaN, and its gradient, on)."""
    return (x >= -lambd) & (x <= lambd)


def hardshrink(input, lambd=0.5):
    """x where |x| > λ, else 0 (gradient 0 on [−λ, λ], its ends included, as torch); NaN
    stays NaN."""
    _float(input, "hardshrink_cpu")
    return TiedToInput.of(where(_inside(input, lambd), 0.0, input), input, "HardshrinkBackward0")


def softshrink(input, lambd=0.5):
    """x − λ where x > λ, x + λ where x < −λ, else 0; λ must be ≥ 0; NaN stays NaN."""
    _float(input, "softshrink_cpu")
    if not lambd >= 0:
        raise RuntimeError(f"lambda must be in range [0, {np.finfo(input.dtype).max:g}] for "
                           f"input dtype {_TORCH_NAMES.get(input.dtype.name)}, but found "
                           f"{lambd:g}")
    return TiedToInput.of(where(_inside(input, lambd), 0.0,
                                where(input > lambd, input - lambd, input + lambd)), input,
                          "SoftshrinkBackward0")


def tanhshrink(input):
    """x − tanh(x); an integer input gives the default float dtype (tanh's), as torch."""
    check_tensor(input, "tanhshrink")
    if input.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    """x where x > ``threshold``, else ``value`` (gradient 0 where x ≤ threshold); as torch's
    ``x ≤ threshold ? value : x``, a NaN stays NaN (and passes its gradient on)."""
    return _apply_threshold(input, threshold, value, inplace)


def _apply_threshold(input, threshold, value, inplace):
    check_tensor(input, "threshold")
    if input.dtype.kind == "b":
        raise not_implemented("threshold_cpu", input.dtype)
    if inplace:
        return _inplace(input, _threshold, threshold, value, "ThresholdBackward1",
                        name="threshold_", check_shapes=False)
    return _threshold(input, threshold, value)


def _threshold(x, threshold, value, torch_name="ThresholdBackward0"):
    fill = Tensor._of(np.asarray(value).astype(x.dtype))          # torch casts value to x's dtype
    return TiedToInput.of(where(x <= threshold, fill, x), x, torch_name)


def threshold_(input, threshold, value):
    """:func:`threshold` written into ``input``."""
    return _apply_threshold(input, threshold, value, True)


# ---------------------------------------------------------------------------- randomized leaky
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU. While ``training``: x for x > 0, a·x otherwise with one slope a ~
    U(lower, upper) drawn per non-positive element — torch's draws exactly (one 53-bit
    ``random64()`` uniform per element x ≤ 0, in order: a = u·(upper − lower) + lower in
    float64, then rounded to the dtype), so after the same ``manual_seed`` the slopes are
    torch's. The gradient is the slope (1 for x > 0). Otherwise: leaky_relu with the fixed
    slope (lower + upper)/2."""
    _float(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:       # (torch's node: rrelu_with_noise, the in-place one's overload 1)
        name = "RreluWithNoiseBackward1" if inplace else "RreluWithNoiseBackward0"
        return _maybe_inplace(input, _leaky_relu, inplace, (lower + upper) / 2, name,
                              result_saved=True)
    x = input.array
    dt = x.dtype
    opmath = np.float32 if dt == np.float16 else dt
    lo, hi = (float(np.asarray(v, opmath)) for v in (lower, upper))   # torch's opmath bounds
    nonpos = x <= 0
    bits = _gen(None).random64(int(nonpos.sum())) & np.uint64((1 << 53) - 1)
    slopes = bits.astype(np.float64) * 2.0 ** -53 * (hi - lo) + lo
    noise = np.ones(x.shape, dt)
    noise[nonpos] = slopes.astype(dt)
    if inplace:
        return saves_result(_inplace(input, lambda t: named(
            t * Tensor._of(noise), "RreluWithNoiseBackward1", t), name="rrelu_"))
    return named(input * Tensor._of(noise), "RreluWithNoiseBackward0", input)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """:func:`rrelu` written into ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)


# ---------------------------------------------------------------------------- in-place spellings
def relu_(input):
    """relu written into ``input``."""
    return relu(input, inplace=True)


def elu_(input, alpha=1.0):
    """elu written into ``input``."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    """leaky_relu written into ``input``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh written into ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def selu_(input):
    """selu written into ``input``."""
    return selu(input, inplace=True)


def celu_(input, alpha=1.0):
    """celu written into ``input``."""
    return celu(input, alpha, inplace=True)


# ---------------------------------------------------------------------------- gumbel softmax
def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g)/τ) along ``dim``, g = −log(e) with e ~ Exp(1) (Gumbel noise, drawn
    as torch draws it: after the same ``manual_seed`` the same sample). ``hard=True``: the
    one-hot of the argmax in the forward pass, the soft sample's gradient in the backward
    (straight-through: y_hard − y_soft.detach() + y_soft). ``eps`` is deprecated and unused
    (torch warns)."""
    check_float(logits, "gumbel_softmax", "logits")
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=warn_level(2))
    gumbels = -Tensor._of(exponential(logits.shape, 1.0, logits.dtype)).log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    soft = y_soft.array
    axis = dim % max(soft.ndim, 1)
    index = np.expand_dims(np.argmax(soft, axis=axis), axis) if soft.ndim else None
    y_hard = np.zeros_like(soft)
    if soft.ndim:
        np.put_along_axis(y_hard, index, 1.0, axis=axis)
    else:
        y_hard[()] = 1.0
    return Tensor._of(y_hard) - y_soft.detach() + y_soft
