"""Which dtypes torch's CPU convolutions take, and its errors, in its order and words, for
the others and for an input, weight and bias of different dtypes.

torch convolves floats and every integer dtype but bool, exactly (integer sums wrap around on
overflow, as NumPy's integer products do); its dilated and transposed convolutions take int64
only of the integers. Its checks of the bias's and the weight's dtype (:func:`dtype_error`)
and its refusal of the input's (:func:`refuse_dtype`) come in an order of their own.
"""
import numpy as np

from ...errors import DTypeError

__all__ = ["uses_onednn", "dtype_error", "computes", "refuse_dtype", "empty_result_dtype"]


def uses_onednn(input, weight, dims, groups, stride, dilation, output_padding):
    """Whether torch's CPU convolution hands this input to oneDNN (its ConvParams::use_mkldnn):
    float16 always, float32 unless the convolution is small — one sample, a kernel of at most
    3 in height or width, no groups, at most 20480 input numbers (or a 1×1 kernel, no stride or
    dilation, fewer than 16 samples, one thread) — and never a transposed one whose
    output_padding is not below its stride. A 1-D convolution counts as a 2-D one of height
    1, an unbatched input as a batch of one."""
    if input.array.dtype.name not in ("float32", "float16") or \
            any(o >= s for o, s in zip(output_padding, stride)):
        return False
    shape = tuple(input.shape) if input.ndim == dims + 2 else (1,) + tuple(input.shape)
    if input.array.dtype.name == "float16" or len(shape) != dims + 2 or \
            len(weight.shape) != dims + 2:
        return True                     # (a shape error follows)
    if dims == 1:
        shape = shape[:2] + (1,) + shape[2:]
    kh, kw = (1,) + tuple(weight.shape[-1:]) if dims == 1 else tuple(weight.shape[-2:])
    from ...kernels.threads import get_num_threads
    n = shape[0]
    one_by_one = kh == kw == 1 and n < 16 and get_num_threads() == 1 and \
        all(s == 1 for s in stride) and all(d == 1 for d in dilation)
    return not one_by_one and (groups > 1 or kh > 3 and kw > 3 or n > 1 or
                               n * shape[1] * shape[2] * shape[3] > 20480)


def dtype_error(input, weight, bias, dims, transposed, groups, stride=(1,), dilation=(1,),
                output_padding=()):
    """torch's RuntimeError for an input, weight and bias that are not all of one dtype, in
    its order and words; None where torch goes on (a transposed 1-d or 2-d convolution adds a
    bias of another dtype that the result's dtype can hold). An input that torch hands to
    oneDNN (:func:`uses_onednn`) has it worded oneDNN's way; otherwise a convolution checks
    the bias first, a transposed one the weight."""
    from ...functions.elementwise import torch_dtype_name
    from ...functions.out import _C_NAMES
    x, w = input.array.dtype, weight.array.dtype
    b = None if bias is None else bias.array.dtype
    onednn = uses_onednn(input, weight, dims, groups, stride, dilation, output_padding)
    dilated = any(d != 1 for d in dilation)
    refused = not computes(x, transposed, dilated)    # (NotImplementedError: refuse_dtype)
    if refused and transposed:
        return None

    def as_other(what, t):
        if onednn:
            legacy = ["CPUBoolType" if d == bool else f"torch.{torch_dtype_name(d)}Tensor"
                      for d in (x, t)]
            return DTypeError(f"Input type ({legacy[0]}) and {what} type ({legacy[1]}) should "
                              f"be the same or input should be a MKLDNN tensor and {what} is "
                              f"a dense tensor")
        return DTypeError(f"expected scalar type {torch_dtype_name(x)} but found "
                          f"{torch_dtype_name(t)}")
    if not transposed and b is not None and b != x:
        return DTypeError(f"Input type ({_C_NAMES.get(x.name, x.name)}) and bias type "
                          f"({_C_NAMES.get(b.name, b.name)}) should be the same")
    if refused:
        return None
    if w != x:
        return as_other("weight", w)
    if b is None or b == x or not transposed:
        return None
    if onednn or dims == 3:
        return as_other("bias", b)
    if x.kind != "f" and b.kind == "f":
        return DTypeError(f"result type {torch_dtype_name(b)} can't be cast to the desired "
                          f"output type {torch_dtype_name(x)}")
    return None


def computes(dtype, transposed, dilated):
    """Whether torch's CPU convolution (``transposed`` or not, ``dilated`` or not) takes an
    input of ``dtype``: floats, int64, and the other integers where neither."""
    return dtype.kind not in "iub" or dtype == np.int64 or \
        not (transposed or dilated) and dtype.kind != "b"


def refuse_dtype(op, x, dims, transposed=False, dilation=(1,), shape_check=None):
    """torch's CPU convolutions compute every integer dtype but bool (exactly, wrapping around
    on overflow as integer sums do: so do NumPy's integer products here), its dilated and
    transposed ones int64 only; for the others its NotImplementedError, after its shape checks
    (so call this after them; ``shape_check()``, if given, is the last of them)."""
    dtype = x.array.dtype
    dilated = any(d != 1 for d in dilation)
    if computes(dtype, transposed, dilated) or x.array.size == 0:   # (torch: an empty batch
        return                                                       # gives an empty result)
    if shape_check is not None:
        shape_check()
    from ...functions.elementwise import not_implemented
    kernel = f"slow_conv_transpose{dims if dims == 3 else 2}d_out_cpu" if transposed else \
        "slow_conv_dilated<>" if dilated else "compute_columns3d" if dims == 3 else \
        "slow_conv2d_cpu"
    raise not_implemented(kernel, dtype)


def empty_result_dtype(input, weight, bias, dims, transposed):
    """torch's convolution of an input with no elements computes nothing (its "Empty" backend:
    ``input · weight[0]``, then ``+= bias[0]`` in place), so none of its checks of the weight's
    dtype is made: the result has that product's dtype (the input's, unless the weight's is
    of a higher kind, float over integer over bool; both promoted for an input with no
    channels). conv1d/2d/3d still refuse a bias not of the input's dtype (their first check),
    a transposed one a bias its result cannot take in place. The dtype to compute in, or None
    (an input that is not empty, or all of one dtype: nothing to do)."""
    if getattr(getattr(input, "array", None), "size", None) != 0:   # (every call: no imports)
        return None
    from ...dtypes import can_cast, promote_dtypes, result_dtype
    from ...functions.elementwise import torch_dtype_name
    from ...functions.out import _C_NAMES
    from ...tensor import Tensor
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor) and input.numel() == 0
            and input.ndim in (dims + 1, dims + 2) and (bias is None or isinstance(bias, Tensor))):
        return None
    x, w = input.array.dtype, weight.array.dtype
    b = None if bias is None else bias.array.dtype
    if w == x and (b is None or b == x):        # (not ``b in (None, x)``: NumPy's dtype(None)
        return None                               # is float64, equal to None)
    if not transposed and b is not None and b != x:
        raise DTypeError(f"Input type ({_C_NAMES.get(x.name, x.name)}) and bias type "
                         f"({_C_NAMES.get(b.name, b.name)}) should be the same")
    dtype = promote_dtypes(x, w) if input.shape[-dims - 1] == 0 else \
        result_dtype(input.array, np.zeros((), w))
    if b is not None and not can_cast(result_dtype(np.zeros(0, dtype), np.zeros((), b)), dtype):
        raise DTypeError(f"result type {torch_dtype_name(b)} can't be cast to the desired "
                         f"output type {torch_dtype_name(dtype)}")
    return dtype
