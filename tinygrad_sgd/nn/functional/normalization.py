"""Normalisation layers as functions: layer_norm, rms_norm, batch_norm, group_norm,
instance_norm, local_response_norm (torch's signatures).

In training, γ·(x − μ)/√(σ² + ε) + β is one primitive (:class:`ops.norm.Normalize`); batch
norm in eval is plain Tensor arithmetic with the running statistics as constants."""
import numpy as np

from ...autograd import no_grad
from ...autograd.torch_names import named
from ...kernels.norm_half import running_update
from ...functions.memory_formats import suggest_memory_format
from ...ops.norm import Normalize, _quiet_if_empty
from ...ops.shape import is_channels_last
from ...tensor import Tensor
from ._checks import check_float, check_kernel, check_tensor

__all__ = ["layer_norm", "rms_norm", "batch_norm", "group_norm", "instance_norm",
           "local_response_norm"]


def _normalized_shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def _check_trailing(input, shape, op):
    n = len(shape)
    if n == 0 or input.ndim < n or input.shape[input.ndim - n:] != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
            f"{list(input.shape)}")


def _check_param(p, shape, what, op):
    if p is not None and tuple(p.shape) != shape:
        raise RuntimeError(f"{op}: Expected {what} to be of same shape as normalized_shape, "
                           f"but got {what} of shape {list(p.shape)} and normalized_shape = "
                           f"{list(shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Standardise over the last ``len(normalized_shape)`` dims (biased variance), then
    ``·weight + bias`` (each of shape ``normalized_shape``) if given."""
    check_kernel(input, "layer_norm", "LayerNormKernelImpl")
    if isinstance(normalized_shape, (int, np.integer)):         # torch's argument parser
        raise TypeError(f"layer_norm(): argument 'normalized_shape' (position 2) must be tuple "
                        f"of ints, not {type(normalized_shape).__name__}")
    shape = _normalized_shape(normalized_shape)
    _check_trailing(input, shape, "layer_norm")
    _check_param(weight, shape, "weight", "layer_norm")
    _check_param(bias, shape, "bias", "layer_norm")
    _check_mixed_dtypes(input, (weight, bias), "layer_norm")
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    return Normalize.apply(input, _like(weight, input), _like(bias, input), dims, float(eps),
                           contiguous=True)


def _like(param, input):
    """A weight or bias in the input's dtype (None stays None)."""
    return param if param is None or param.dtype == input.dtype else param.to(input.dtype)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / √(mean(x²) + ε) over the last ``len(normalized_shape)`` dims, then ``·weight``.
    As torch's: a float16/bfloat16 input is computed in float32 (``eps=None`` is float32's
    machine epsilon then, else the input dtype's), and the result has the input's dtype
    whatever the weight's (a float64 weight on a float32 input: float32)."""
    check_kernel(input, "rms_norm", "rms_norm")
    shape = _normalized_shape(normalized_shape)
    _check_trailing(input, shape, "rms_norm")
    _check_param(weight, shape, "weight", "rms_norm")
    x = input.float() if input.dtype.name in ("float16", "bfloat16") else input
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = x * ((x * x).mean(dims, keepdim=True) + eps) ** -0.5
    out = out * weight if weight is not None else out
    return out if out.dtype == input.dtype else out.to(input.dtype)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Per channel (dim 1) of ``(N, C, ...)``: in training, standardise with the batch's mean
    and biased variance, and update the running statistics in place (without a graph):
    running ← (1 − momentum)·running + momentum·batch, with the *unbiased* variance (n/(n−1))
    for ``running_var``, as torch. Otherwise use ``running_mean`` / ``running_var``.
    An empty batch gives an empty output (zero gradients for weight and bias) and leaves the
    running statistics as they are, as torch.

    torch's own checks come first, in its order: more than one value per channel when
    training, then ``eps`` (> 0 when training, ≥ 0 otherwise); ``torch.batch_norm`` (the
    library's :func:`_batch_norm`) skips them."""
    if training:
        if input.ndim == 0:             # (torch reads the batch size from input.shape[0])
            raise IndexError("tuple index out of range")
        if int(np.prod((input.shape[0],) + input.shape[2:], dtype=np.int64)) == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got "
                             f"input size torch.Size({list(input.shape)})")
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """:func:`batch_norm` without torch's Python-level checks (``torch.batch_norm``)."""
    check_tensor(input, "batch_norm")
    if input.numel() == 0:       # torch: no statistics and no size checks, x·γ[0] + β[0]
        out = input * 1.0 if input.dtype.kind == "f" else input
        if weight is not None:
            out = out * _like(weight, input)[0]
        if bias is not None:
            out = out + _like(bias, input)[0]
        return out
    C = input.shape[1] if input.ndim > 1 else 0      # (torch: no channel dim, 0 channels)
    _check_per_channel(C, running_mean, running_var, weight, bias, training)
    if input.ndim == 0:
        raise zero_dim_batch_norm()
    if training and (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither "
                         "be None")
    check_kernel(input, "batch_norm", "batch_norm")
    if input.ndim == 1:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got "
                         "1)")
    _check_mixed_dtypes(input, (weight, bias, running_mean, running_var))
    channel_shape = (C,) + (1,) * (input.ndim - 2)
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // C
        stats = {"torch_half": _all_half(input, weight, bias, running_mean, running_var)}
        w = None if weight is None else _like(weight, input).reshape(channel_shape)
        b = None if bias is None else _like(bias, input).reshape(channel_shape)
        out = Normalize.apply(input, w, b, dims, float(eps), stats=stats, constant_zero=True)
        if "var_sum" in stats:  # float16 in torch's steps: float32 updates, rounded once
            with no_grad(), np.errstate(invalid="ignore"):   # (n = 1: 0/0, NaN, as torch)
                for t, batch in ((running_mean, stats["mean"]),
                                 (running_var, stats["var_sum"] / np.float32(n - 1))):
                    if t is not None:
                        t.copy_(running_update(t.array, batch.reshape(C), momentum))
        elif (running_mean is not None or running_var is not None) and n > 0:
            with no_grad():     # (an empty batch leaves them as they are, as torch)
                mean, var = stats["mean"].reshape(C), stats["var"].reshape(C)
                if running_mean is not None:
                    running_mean.copy_(running_mean.array * (1 - momentum) + mean * momentum)
                if running_var is not None:   # (one value per channel: 0/0, NaN, as torch)
                    unbiased = n / (n - 1) if n > 1 else np.nan
                    running_var.copy_(running_var.array * (1 - momentum)
                                      + var * unbiased * momentum)
    else:
        # a float16/bfloat16 input is computed in float32 and rounded once, as torch's
        # (its parameters may be float32: their values are used as they are)
        x = input if input.dtype.name not in ("float16", "bfloat16") else input.float()
        mean = Tensor._of(running_mean.array.reshape(channel_shape).astype(x.dtype))
        rstd = Tensor._of((1.0 / np.sqrt(running_var.array.astype(x.dtype) + eps))
                          .astype(x.dtype, copy=False).reshape(channel_shape))
        out = (x - mean) * rstd
        if weight is not None:
            out = out * _like(weight, x).reshape(channel_shape)
        if bias is not None:
            out = out + _like(bias, x).reshape(channel_shape)
        out = out if out.dtype == input.dtype else out.to(input.dtype)
    return named(out, "NativeBatchNormBackward0", input, weight, bias)


def _check_per_channel(C, running_mean, running_var, weight, bias, training):
    """torch's checks of batch norm's per-channel tensors, in its order and words: each
    running statistic defined in evaluation mode and of C elements, then weight and bias
    (then, in :func:`_batch_norm`, a 0-dim input, and both statistics or neither)."""
    for what, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is None and not training and what.startswith("running"):
            raise RuntimeError(f"{what} must be defined in evaluation mode")
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{what} should contain {C} elements not {t.numel()}")


def zero_dim_batch_norm():
    """torch's error for batch norm of a 0-dim input (past the checks of its per-channel
    tensors, of 0 elements then): an internal one of its C++ kernel, raised as torch raises it
    (a RuntimeError, its words), with what it means."""
    return RuntimeError("SmallVector unable to grow. Requested capacity (18446744073709551615) "
                        "is larger than maximum value for size type (4294967295) (batch_norm "
                        "of a 0-dim input: it needs a batch dim and a channel dim)")


def _all_half(input, *params):
    """A float16 input whose given parameters and statistics are float16 too: torch's float16
    batch norm kernel, its statistics rounded to float16 (see :mod:`...kernels.norm_half`)."""
    return input.dtype == np.float16 and all(p is None or p.dtype == np.float16
                                             for p in params)


def _check_mixed_dtypes(input, params, op="batch_norm"):
    """torch's CPU batch, layer, group and instance norms take parameters (weight, bias,
    running statistics) of the input's dtype, or float32 ones for a float16/bfloat16 input
    (the statistics then stay float32); any other mix is torch's RuntimeError."""
    dtypes = {p.dtype for p in params if p is not None}
    if not dtypes or dtypes == {input.dtype}:
        return
    reduced = input.dtype.name in ("float16", "bfloat16")
    if reduced and dtypes == {np.dtype(np.float32)}:
        return
    if not reduced and dtypes == {np.dtype(np.float32)}:
        raise RuntimeError(f"mixed dtype (CPU): all inputs must share same datatype. "
                           f"({op}: input {input.dtype}, parameters float32)")
    raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of Float "
                       f"({op}: input {input.dtype}, parameters "
                       f"{', '.join(sorted(str(d) for d in dtypes))}; give them the input's "
                       f"dtype)")


def _per_channel(t, what, input, op="group_norm"):
    """A weight/bias of C elements, checked, reshaped to (C, 1, ...) for an (N, C, ...) input."""
    C = input.shape[1]
    if t.ndim != 1 or t.shape[0] != C:
        raise RuntimeError(f"Expected {what} to be a vector of size equal to the number of "
                           f"channels in input, but got {what} of shape {list(t.shape)} and "
                           f"input of shape {list(input.shape)}")
    return _like(t, input).reshape((C,) + (1,) * (input.ndim - 2))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the C channels of ``(N, C, ...)`` into ``num_groups`` groups and standardise each
    (sample, group) over its channels and positions (biased variance), then ``·weight + bias``
    per channel. One :class:`ops.norm.Normalize` over the (N, G, rest) view, so the gradient
    is the standardisation's."""
    check_kernel(input, "group_norm", "GroupNormKernelImpl")
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    N, C = input.shape[:2]
    G = int(num_groups)
    if G == 0:
        raise ZeroDivisionError("integer division or modulo by zero")
    rest = int(np.prod(input.shape[2:], dtype=np.int64))
    if (N * C // G) * rest == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {[N * C // G, G] + list(input.shape[2:])}")
    if G < 0 or C % G:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={G}")
    _check_mixed_dtypes(input, (weight, bias), "group_norm")
    w = None if weight is None else _per_channel(weight, "weight", input)
    b = None if bias is None else _per_channel(bias, "bias", input)
    x = input
    half = x.array.dtype == np.float16
    if half:        # torch's CPU kernel in float16: (x − μ)·σ⁻¹·γ + β in float32, rounded once
        x, w, b = x.float(), None if w is None else w.float(), None if b is None else b.float()
    out = Normalize.apply(x.reshape(N, G, C // G * rest), None, None, (2,), float(eps))
    out = out.reshape(input.shape)
    if w is not None:
        out = out * w
        if rest == 0 and N * C > 0:     # torch: dγ = (Σg·x − Σg·μ)·r with the statistics of
            out = out + (w * float("nan")).sum() * 0.0   # an empty group, μ = NaN: NaN
    out = out + b if b is not None else out
    out = out.half() if half else out
    if is_channels_last(input):         # torch's result keeps a channels-last input's layout
        out = out.contiguous(memory_format=suggest_memory_format(input))
    return named(out, "NativeGroupNormBackward0", input, weight, bias)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Standardise each (sample, channel) of ``(N, C, ...)`` over its positions (biased
    variance), then ``·weight + bias`` per channel. With ``use_input_stats`` and running
    statistics given, they are updated as torch does (batch norm of the (1, N·C, ...) view,
    then the average over the batch): running ← (1 − momentum)·running + momentum·mean over
    samples of the instance mean (of the *unbiased* instance variance). Without
    ``use_input_stats``: batch norm in eval with the running statistics."""
    if use_input_stats and int(np.prod(input.shape[2:], dtype=np.int64)) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input "
                         f"size torch.Size({list(input.shape)})")
    return _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                          momentum, eps)


def _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum,
                   eps):
    """:func:`instance_norm` without its check of the spatial size (``torch.instance_norm``
    has none: one position per instance standardises to 0)."""
    check_kernel(input, "instance_norm", "batch_norm")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    N, C = input.shape[:2]
    for what, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{what} should contain {N * C} elements not {N * t.numel()}")
    if N == 0 and (weight is not None or bias is not None):    # (torch: its repeat(N) of the
        raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension "
                         "0 (instance_norm: an empty batch with weight or bias)")   # params)
    _check_mixed_dtypes(input, (weight, bias), "instance_norm")    # (statistics: any dtype)
    if not use_input_stats:
        # torch takes running statistics of any dtype here: they are read in the parameters'
        # dtype (float32 for a float16 input without any), which batch norm accepts
        param = weight if weight is not None else bias
        dtype = param.dtype if param is not None else \
            np.dtype(np.float32) if input.dtype.name in ("float16", "bfloat16") else input.dtype
        stats = [t if t.dtype == dtype else Tensor._of(t.array.astype(dtype))
                 for t in (running_mean, running_var)]
        return named(_batch_norm(input, *stats, weight, bias, False, momentum, eps),
                     "ViewBackward0", input, weight, bias)
    shape = (C,) + (1,) * (input.ndim - 2)
    w = None if weight is None else _like(weight, input).reshape(shape)
    b = None if bias is None else _like(bias, input).reshape(shape)
    stats = {"torch_half": _all_half(input, weight, bias, running_mean, running_var)}
    out = Normalize.apply(input, w, b, tuple(range(2, input.ndim)), float(eps), stats=stats,
                          constant_zero=True, contiguous=True)
    n = int(np.prod(input.shape[2:], dtype=np.int64))
    if "var_sum" in stats:      # float16 in torch's steps: each sample's running statistics
        with no_grad():         # updated (float32, rounded), then their mean (float32, rounded)
            for t, batch in ((running_mean, stats["mean"]),
                             (running_var, stats["var_sum"] / np.float32(n - 1))):
                if t is not None:
                    each = running_update(np.tile(t.array, N), batch, momentum)
                    t.copy_((each.reshape(N, C).astype(np.float32).sum(0) / np.float32(N))
                            .astype(np.float16))
    elif (running_mean is not None or running_var is not None) and (n > 0 or N * C == 0):
        # (no position: torch's batch norm of an empty batch leaves them as they are; no
        # sample: the average over none, NaN)
        with no_grad(), _quiet_if_empty(input.array):    # (no sample: NaN, as torch)
            if running_mean is not None:
                mean = stats["mean"].reshape(N, C).mean(0)
                running_mean.copy_(running_mean.array * (1 - momentum) + mean * momentum)
            if running_var is not None:
                var = stats["var"].reshape(N, C).mean(0) * (n / (n - 1) if n > 1 else np.nan)
                running_var.copy_(running_var.array * (1 - momentum) + var * momentum)
    return named(out, "ViewBackward0", input, weight, bias)   # (torch: batch norm of a view)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + α·mean of x² over a window of ``size`` channels)^β, the window
    [c − size//2, c + (size−1)//2] padded with zeros and always divided by ``size`` (torch's
    average pooling). Tensor operations: a sum of ``size`` shifted slices of the padded
    squares. An int64 input gives float32 (torch: the window mean of the squares truncated to
    an integer, then the float scale); other integer dtypes torch's NotImplementedError."""
    if isinstance(input, Tensor) and input.dtype.kind in "biu" and input.dtype != np.int64:
        check_kernel(input, "local_response_norm",
                     "avg_pool2d" if input.ndim == 3 else "avg_pool3d_out_frame")
    if not (isinstance(input, Tensor) and input.dtype == np.int64):
        check_float(input, "local_response_norm")
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {input.ndim} dimensions)")      # torch's spacing
    if size <= 0:                                     # torch's average pooling refuses it
        kernel = f"kH: {size} kW: 1" if input.ndim == 3 else f"kT: {size} kH: 1 kW: 1"
        raise RuntimeError(f"kernel size should be greater than zero, but got {kernel}")
    if input.numel() == 0:
        return input
    from ...functions.shape import cat
    C = input.shape[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    parts = [Tensor._of(np.zeros((input.shape[0], n) + input.shape[2:], input.dtype))
             for n in (before, after)]
    padded = cat([parts[0], sq, parts[1]], 1)
    window = padded.narrow(1, 0, C)
    for j in range(1, size):                  # a loop over the window, not over elements
        window = window + padded.narrow(1, j, C)
    if input.dtype.kind == "i":         # torch's avg_pool on int64: a truncating division
        window = Tensor._of(window.array // size)
        return input / ((window * alpha + k) ** beta)
    div = (window / float(size) * alpha + k) ** beta
    return input / div
