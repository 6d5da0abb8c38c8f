"""Linear, flatten and the activation functions."""
import numpy as np

from ... import ops
from ...autograd.torch_names import named
from ...functions.einsum_equation import einsum
from ...functions import where
from ...functions.elementwise import torch_dtype_name
from ...functions.inplace import inplace as _inplace
from ...functions.inplace_results import saves_result
from ...ops import activation as act
from ...ops.elementwise import TiedToInput
from ...ops.products import BilinearHalf
from ...errors import DTypeError, ShapeError, warn_level
from ...tensor import Tensor
from ._checks import check_tensor, check_kernel
from .dropouts import apply_mask, check_probability, integer_dropout

__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "flatten",
           "gelu", "silu", "leaky_relu", "elu", "selu", "celu", "softplus", "hardtanh",
           "relu6", "mish", "hardswish", "hardsigmoid", "logsigmoid", "softsign", "prelu",
           "glu", "softmin", "dropout2d", "bilinear"]


def linear(input, weight, bias=None):
    """y = x·Wᵀ + b, with torch's weight layout ``(out_features, in_features)``; ``input``
    is ``(..., in_features)``; 0 in-features give ``b`` (zero gradients for x and W), as torch.
    An input, weight or bias that is not a Tensor (a NumPy array) raises torch's TypeError.
    Integer tensors of one dtype give an integer result (wrapping as torch's); bool ones
    torch's NotImplementedError; mixed dtypes torch's RuntimeError."""
    for position, what, arg in ((1, "input", input), (2, "weight", weight), (3, "bias", bias)):
        if not isinstance(arg, Tensor) and (arg is not None or what != "bias"):
            raise TypeError(f"linear(): argument '{what}' (position {position}) must be "
                            f"Tensor, not {_type_name(arg)}")
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ShapeError(f"linear: input of shape {input.shape} has "
                         f"{input.shape[-1] if input.ndim else 0} features but the weight "
                         f"of shape {weight.shape} expects {weight.shape[1]} "
                         f"(weight is (out_features, in_features))")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"linear: bias must have shape ({weight.shape[0]},), got "
                         f"{bias.shape}")
    if weight.dtype != input.dtype or (bias is not None and bias.dtype != input.dtype):
        raise DTypeError(f"mat1 and mat2 must have the same dtype, but got "
                         f"{torch_dtype_name(input.dtype)} and "
                         f"{torch_dtype_name(weight.dtype)} (linear: input "
                         f"{input.dtype}, weight {weight.dtype}"
                         + ("" if bias is None else f", bias {bias.dtype}") + ")")
    check_kernel(input, "linear", "addmm_impl_cpu_", allowed="fiu")
    out = ops.LinearOp.apply(input, weight, bias)     # one node, a 1-D input too
    if input.ndim == 2:       # torch's node: addmm (mm), or the view of a product's result
        name = "AddmmBackward0" if bias is not None else "MmBackward0"
    else:
        name = "ViewBackward0" if bias is not None else \
            "SqueezeBackward4" if input.ndim == 1 else "UnsafeViewBackward0"
    return named(out, name, input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y_o = Σᵢⱼ x₁ᵢ·A_oij·x₂ⱼ + b_o over the last dims, with ``weight`` A of shape
    ``(out_features, in1_features, in2_features)``; ``input1`` ``(..., in1)`` and ``input2``
    ``(..., in2)`` share their batch dims. One einsum, so every gradient (and second order)
    comes from its backward. torch's RuntimeErrors for mismatched shapes."""
    tensors = [("input1", input1), ("input2", input2), ("weight", weight)]
    tensors += [] if bias is None else [("bias", bias)]
    if len({t.dtype for _, t in tensors}) > 1:
        names = {"float16": "half", "float32": "float", "float64": "double", "int64": "long"}
        raise RuntimeError("All tensors must have the same dtype, got " + ", ".join(
            f"{n}: {names.get(t.dtype.name, t.dtype.name)}" for n, t in tensors))
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for d in range(input1.ndim - 1):
        if input1.shape[d] != input2.shape[d]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                               f"got {input1.shape[d]} and {input2.shape[d]}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out_features, in1_features, "
                           f"in2_features), got shape {tuple(weight.shape)}")
    for k, x in ((1, input1), (2, input2)):
        if x.ndim == 0 or x.shape[-1] != weight.shape[k]:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{x.shape[-1] if x.ndim else 0} but expected {weight.shape[k]}")
    if bias is not None and (bias.ndim == 0 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0] if bias.ndim else 0} but expected "
                           f"{weight.shape[0]}")
    if input1.dtype == np.float16 and input1.ndim > 0:     # torch's roundings (_trilinear)
        y = BilinearHalf.apply(input1.reshape(-1, input1.shape[-1]), weight,
                               input2.reshape(-1, input2.shape[-1]))
        y = y.reshape(input1.shape[:-1] + (weight.shape[0],))
    else:
        y = einsum("...i,oij,...j->...o", input1, weight, input2)
    return y if bias is None else y + bias


def _type_name(x):
    """``numpy.ndarray``, ``float``: a type as torch's argument errors print it."""
    t = type(x)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def relu(input, inplace=False):
    """max(x, 0); ``inplace=True`` writes it into ``input`` (as ``input.relu_()``)."""
    check_tensor(input, "relu")
    return _maybe_inplace(input, _relu, inplace) if inplace else input.relu()


def _relu(x):
    return x.relu()


def sigmoid(input):
    """1 / (1 + e⁻ˣ)."""
    return check_tensor(input, "sigmoid").sigmoid()


def tanh(input):
    return check_tensor(input, "tanh").tanh()


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``; ``dtype``: the input is cast to it first (as torch)."""
    input, dim = _softmax_args(input, dim, dtype, "softmax")
    return input.softmax(dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (computed stably, not as log(softmax))."""
    input, dim = _softmax_args(input, dim, dtype, "log_softmax")
    return input.log_softmax(dim)


def _softmax_args(input, dim, dtype, name):
    """The input cast to ``dtype`` (if given) and the dim; ``dim=None`` is torch's deprecated
    implicit choice (0 for 0-, 1- and 3-D inputs, else 1), with its warning."""
    check_tensor(input, name)
    if dim is None:
        import warnings
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      f"call to include dim=X as an argument.",
                      UserWarning, stacklevel=warn_level(3))
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return (input if dtype is None else input.to(dtype)), dim


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one (as ``torch.flatten``)."""
    return check_tensor(input, "flatten").flatten(start_dim, end_dim)


# ---------------------------------------------------------------------------- more activations
# Each is one primitive of ops/activation.py where torch's gradient has a convention a
# composition would not give (the strict masks of hardtanh, the threshold of softplus) or where
# speed matters (gelu, in every transformer block); the others are compositions, so their
# gradients (and second order) follow from the pieces. ``inplace=True`` writes the result back
# into ``input`` (see functions/inplace.py).
def _maybe_inplace(input, fn, inplace, *args, result_saved=False):
    """``fn(input, *args)``, written into ``input`` if ``inplace``; ``result_saved``: torch's
    in-place node saves its result, so a later in-place write into it is refused at backward
    (:func:`~tinygrad_sgd.functions.inplace_results.saves_result`)."""
    if inplace:
        out = _inplace(input, lambda x, *a: fn(x, *a), *args, name=fn.__name__ + "_")
        return saves_result(out) if result_saved else out
    return fn(input, *args)


def gelu(input, approximate="none"):
    """x·Φ(x), Φ the standard normal CDF; ``approximate='tanh'``:
    ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    check_kernel(input, "gelu", "GeluKernelImpl")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return act.GELUOp.apply(input, approximate)


def silu(input, inplace=False):
    """x·σ(x) (also called swish)."""
    check_kernel(input, "silu", "silu_cpu")
    return _maybe_inplace(input, _silu, inplace)


def _silu(x):
    return ops.SiluOp.apply(x)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope·x otherwise (gradient negative_slope at 0, as torch)."""
    check_kernel(input, "leaky_relu", "leaky_relu_cpu")
    name = "LeakyReluBackward1" if inplace else "LeakyReluBackward0"     # (torch's leaky_relu_)
    out = _maybe_inplace(input, _leaky_relu, inplace, negative_slope, name, result_saved=True)
    return out if inplace else named(out, name, input)


def _leaky_relu(x, slope, name="LeakyReluBackward0"):
    return TiedToInput.of(where(x > 0, x, x * slope), x, name)   # (create_graph: as torch's)


def _elu(x, alpha, scale=1.0, input_scale=1.0):
    """torch's elu family: scale·x for x > 0, scale·α·(e^(input_scale·x) − 1) otherwise."""
    return act.EluOp.apply(x, float(alpha), float(scale), float(input_scale))


def _celu(x, alpha):
    return act.CeluOp.apply(x, float(alpha), 1.0, 1.0 / alpha)


def elu(input, alpha=1.0, inplace=False):
    check_kernel(input, "elu", "elu_cpu")
    return _maybe_inplace(input, _elu, inplace, alpha, result_saved=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale·elu(x, α) with torch's constants α ≈ 1.6733, scale ≈ 1.0507."""
    check_kernel(input, "selu", "elu_cpu")
    return _maybe_inplace(input, _elu, inplace, _SELU_ALPHA, _SELU_SCALE, result_saved=True)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, α·(e^(x/α) − 1))."""
    check_kernel(input, "celu", "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _maybe_inplace(input, _celu, inplace, alpha, result_saved=True)


def softplus(input, beta=1.0, threshold=20.0):
    """ln(1 + e^(βx))/β, and x itself where βx > threshold (as torch)."""
    check_kernel(input, "softplus", "softplus_cpu")
    return act.SoftplusOp.apply(input, float(beta), float(threshold))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val), the gradient 0 at the bounds themselves (as torch). An
    integer input stays integer, the bounds converted to its dtype (toward 0), as torch; bool
    inputs, and negative bounds for unsigned ones, are torch's RuntimeErrors."""
    check_tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    kind = input.dtype.kind
    if kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if kind in "iu":
        if kind == "u" and (min_val < 0 or max_val < 0):
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        min_val, max_val = int(min_val), int(max_val)
    elif kind != "f":
        raise TypeError(f"hardtanh: input must be a floating point or integer tensor, got "
                        f"{input.dtype}")
    return _maybe_inplace(input, act.HardtanhOp.apply, inplace, min_val, max_val)


def relu6(input, inplace=False):
    """hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def mish(input, inplace=False):
    """x·tanh(softplus(x))."""
    check_kernel(input, "mish", "mish_cpu")
    return _maybe_inplace(input, _mish, inplace)


def _mish(x):
    return act.MishOp.apply(x)


def hardswish(input, inplace=False):
    """x·relu6(x + 3)/6."""
    check_kernel(input, "hardswish", "hardswish_cpu")
    return _maybe_inplace(input, act.HardswishOp.apply, inplace)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3)/6."""
    check_kernel(input, "hardsigmoid", "hardsigmoid_cpu")
    return _maybe_inplace(input, act.HardsigmoidOp.apply, inplace)


def logsigmoid(input):
    """ln σ(x), one node computed as torch's kernel: min(x, 0) − log1p(e^−|x|) (stable, +0
    where σ(x) rounds to 1)."""
    check_kernel(input, "logsigmoid", "log_sigmoid_cpu")
    return act.LogSigmoidOp.apply(input)


def softsign(input):
    """x / (1 + |x|); an integer input gives the default float dtype (true division), as torch."""
    check_tensor(input, "softsign")
    if input.dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return input / (input.abs() + 1.0)


def prelu(input, weight):
    """x for x > 0, a·x otherwise, with one learnable slope a per channel (dim 1) or one for
    all (``weight`` of 1 element)."""
    check_tensor(input, "prelu")
    check_tensor(weight, "prelu", "weight")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got "
                           f"{torch_dtype_name(input.dtype)} and "
                           f"{torch_dtype_name(weight.dtype)}")
    check_kernel(input, "prelu", "prelu_cpu")
    n = weight.numel()
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim else 1)
        if input.ndim == 0 or channels != n:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
        w = weight.reshape((n,) + (1,) * (input.ndim - 2)) if input.ndim >= 2 else weight
    else:
        w = weight.reshape(())
    return named(where(input > 0, input, input * w), "PreluKernelBackward0", input, weight)


def glu(input, dim=-1):
    """a·σ(b), where a and b are the two halves of ``input`` along ``dim``."""
    check_kernel(input, "glu", "glu_cpu")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension "
                           f"{dim % input.ndim} is size {n}")
    a, b = input.split(n // 2, dim)
    return named(a * b.sigmoid(), "GluBackward0", input)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(−x) along ``dim``."""
    input, dim = _softmax_args(input, dim, dtype, "softmin")
    return (-input).softmax(dim)


# ---------------------------------------------------------------------------- channel dropout
_DROPOUT2D_3D = ("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                 "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                 "where C is the channel dim. This behavior will change in a future release to "
                 "interpret the input as one without a batch dimension, i.e. shape (C, H, W). "
                 "To maintain the 1D channel-wise dropout behavior, please switch to using "
                 "dropout1d instead.")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: each (sample, channel) map of ``(N, C, H, W)`` is dropped with
    probability ``p`` (one draw per channel, torch's mask: ``bernoulli(1 − p) / (1 − p)`` of
    shape (N, C, 1, 1)), the kept ones scaled by 1/(1−p). A 3-D input is read as (N, C, L),
    with torch's warning. The identity when not ``training`` or ``p`` is 0."""
    import warnings
    from ... import random as R
    check_probability(p)
    check_tensor(input, "dropout2d")
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      f"deprecated and will result in an error in a future release. To retain "
                      f"the behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      f"spatial dimensions, a channel dimension, and an optional batch "
                      f"dimension (i.e. 3D or 4D inputs).", UserWarning, stacklevel=warn_level(2))
    elif input.ndim == 3:
        warnings.warn(_DROPOUT2D_3D, UserWarning, stacklevel=warn_level(2))
    if input.dtype.kind != "f":
        return integer_dropout(input, p, training, inplace)
    if not training or p == 0 or input.numel() == 0:
        return input
    if input.ndim < 2 and p < 1:        # torch's make_feature_noise (p = 1 draws nothing)
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = input.shape[:2] + (1,) * (input.ndim - 2) if input.ndim >= 2 else input.shape
    mask = R.dropout_mask(shape, p, input.dtype)
    return apply_mask(input, mask, p, "dropout2d", inplace)     # one node: dropout2d(p=...)
