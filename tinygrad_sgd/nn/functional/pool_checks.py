"""torch's errors for a pooling input of the wrong rank, or with an empty channel or spatial
dim, and for a wrong window (kernel_size, stride, padding, dilation: their lengths, signs,
a padding over half the kernel, an output of no element), in torch's words and order (each
op has its own: they come from different places in torch).
A :class:`ShapeError` is torch's RuntimeError (and a ValueError); ``avg_pool2d`` of fewer than 3
dims is torch's IndexError (it reads the channel count as ``input.size(-3)`` first)."""
from ...errors import ShapeError
from ...kernels.layout import out_size
from ...tensor import Tensor
from .conv import ntuple

_BATCH_MODE = "Expected {}D or {}D (batch mode) tensor with optional 0 dim batch size for input"
# torch's words for an input of the wrong rank, checked before any other argument
_RANK_WORDS = {"max_pool2d": "non-empty 3D or 4D (batch mode) tensor expected for input",
               "max_pool3d": "non-empty 4D or 5D (batch mode) tensor expected for input",
               "avg_pool3d": "non-empty 4D or 5D (batch mode) tensor expected for input",
               "max_pool1d": "max_pool1d: " + _BATCH_MODE.format(2, 3) + ", but got:{shape}",
               "max_pool1d_with_indices": "Expected 2 to 3 dimensions, but got {ndim}-dimensional "
                                          "tensor for argument #1 'self' (while checking "
                                          "arguments for max_pool1d)",
               "avg_pool1d": "Expected 2 to 3 dimensions, but got {ndim}-dimensional tensor "
                             "for argument #1 'self' (while checking arguments for avg_pool1d)"}


def check_rank(op, input, dims, return_indices=False):
    """torch's error for a max_pool1d/2d/3d, avg_pool1d or avg_pool3d input of neither
    dims + 1 nor dims + 2 dims, before any other check (max_pool1d's words differ with
    ``return_indices``)."""
    if isinstance(input, Tensor) and input.ndim not in (dims + 1, dims + 2):
        op = op + "_with_indices" if op == "max_pool1d" and return_indices else op
        if op in _RANK_WORDS:
            raise ShapeError(_RANK_WORDS[op].format(shape=list(input.shape), ndim=input.ndim))


def check_avg_pool2d_rank(input, kernel_size, stride, padding, divisor_override):
    """avg_pool2d's: after the lengths of its arguments and a zero divisor, an input of fewer
    than 3 dims is torch's IndexError (``size(-3)``), one of more than 4 its RuntimeError
    once the window's signs passed (a zero stride is refused before the rank)."""
    if not isinstance(input, Tensor) or input.ndim in (3, 4):
        return
    k, s, p = (window_argument(value, 2, name, "avg_pool2d") for value, name in
               ((kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding")))
    if divisor_override == 0:
        raise ShapeError("avg_pool2d: divisor must be not zero")
    if input.ndim == 0:
        raise IndexError("Dimension specified as -3 but tensor has no dimensions")
    if input.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, "
                         f"{input.ndim - 1}], but got -3)")
    # (more dims: the window's signs are checked first, then the rank, as torch's
    # pool2d_shape_check does)
    raise ShapeError(_window_error(input.shape, k, s, p, (1, 1), False, rank_error=(
        _BATCH_MODE.format(3, 4) + f", but got:{list(input.shape)}")))


def refuse_empty(op, dims, input, unbatched, return_indices=False):
    """torch's error for an empty channel or spatial dim (an empty batch is pooled); max_pool1d
    with indices is max_pool2d's of (N, C, 1, L) in torch, as 1-D pooling is here."""
    shape = list(input.shape)
    if 0 not in shape[0 if unbatched else 1:]:
        return
    if op == "max_pool1d" and not return_indices:
        raise RuntimeError(f"max_pool1d: {_BATCH_MODE.format(2, 3)}, but got:{shape}")
    if dims == 1:                   # (torch's avg_pool1d is avg_pool2d of (N, C, 1, L))
        shape.insert(-1, 1)
    raise RuntimeError(f"{_BATCH_MODE.format(3, 4)}, but got:{shape}")


# ----------------------------------------------------------------- the window's arguments
# torch checks a pooling window in its kernels, each op in its own words and order: the
# arguments' lengths first; then, per spatial dim, ``pooling_output_shape``'s checks (a zero
# stride, a negative padding, a padding over half the *dilated* kernel); then
# ``pool2d_shape_check``/``pool3d_shape_check``'s (kernel, stride, dilation > 0, the input's
# rank, a padding over half the kernel, an output of no element). max_pool1d without indices
# has checks of its own (``check_max_pool1d``), avg_pool3d one more (input ≥ kernel).
_COUNTS = {2: "two", 3: "three"}


def _length_words(op, name, n, got, return_indices):
    """torch's RuntimeError text for ``name`` of ``got`` elements where ``n`` (or 1) fit."""
    if op == "max_pool1d" and not return_indices:
        what = {"kernel_size": "an int, list of ints or tuple of ints",
                "stride": "None, an int, list of ints, or tuple of ints",
                "padding": "an int, list of ints, or tuple of ints",
                "dilation": "an int, list of ints or tuple of ints"}[name]
        return f"max_pool1d() {name} must be {what} of size 1 but got size {got}"
    if n == 1:
        return f"{op}() argument '{name}' should contain one int (got {got})"
    if op == "avg_pool3d":
        what = {"kernel_size": "be a single int", "stride": "be omitted, a single int",
                "padding": "be a single int"}[name]
    else:
        what = {"kernel_size": "either be a single int",
                "stride": "either be omitted, a single int",
                "padding": "either be a single int", "dilation": "be either a single int"}[name]
    return f"{op}: {name} must {what}, or a tuple of {_COUNTS[n]} ints"


def window_argument(value, n, name, op, return_indices=False):
    """``value`` (an int, or a sequence of 1 or ``n`` ints) as an n-tuple, or torch's error
    for another length (:func:`.conv.ntuple` parses it)."""
    try:
        return ntuple(value, n, name, op, single=n > 1)
    except ShapeError:
        got = len(value) if isinstance(value, (tuple, list)) else 1
        raise ShapeError(_length_words(op, name, n, got, return_indices)) from None


def _c_half(v):
    """``v / 2`` in C++ (rounded toward zero)."""
    return -(-v // 2) if v < 0 else v // 2


def _output_shape_error(k, s, p, d):
    """``pooling_output_shape``'s checks of one spatial dim."""
    if s == 0:
        return "stride should not be zero"
    if p < 0:
        return f"pad must be non-negative, but got pad: {p}"
    if p > _c_half((k - 1) * d + 1):
        return (f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}")
    return None


def _window_error(shape, k, s, p, d, ceil_mode, rank_error=None, smaller_than_kernel=False):
    """torch's error text for the window (k, s, p, d: one value per spatial dim, H, W or
    T, H, W) over an input of ``shape`` (..., C, spatial dims), or None. ``rank_error``:
    the input's rank error, where pool2d_shape_check finds it (after the signs)."""
    n = len(k)
    names = "HW" if n == 2 else "THW"
    for kk, ss, pp, dd in zip(k, s, p, d):
        error = _output_shape_error(kk, ss, pp, dd)
        if error:
            return error
    for what, values in (("kernel size", k), ("stride", s), ("dilation", d)):
        if min(values) <= 0:
            letter = {"kernel size": "k", "stride": "d", "dilation": "dilation"}[what]
            got = " ".join(f"{letter}{c}: {v}" for c, v in zip(names, values))
            return f"{what} should be greater than zero, but got {got}"
    if rank_error:
        return rank_error
    size = shape[-n:]
    if smaller_than_kernel and any(i < kk for i, kk in zip(size, k)):
        return (f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller than kernel "
                f"size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    if any(kk // 2 < pp for kk, pp in zip(k, p)):
        if n == 2:
            return (f"pad should be smaller than or equal to half of kernel size, but got "
                    f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
        return (f"pad should be smaller than or equal to half of kernel size, but got "
                f"kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} padH: {p[1]}")
    out = [out_size(i, kk, ss, pp, dd, ceil_mode) for i, kk, ss, pp, dd in zip(size, k, s, p, d)]
    if min(out) < 1:
        plane = shape[-n - 1]
        return (f"Given input size: ({'x'.join(map(str, (plane, *size)))}). Calculated output "
                f"size: ({'x'.join(map(str, (plane, *out)))}). Output size is too small")
    return None


def _max_pool1d_error(length, k, s, p, d, ceil_mode):
    """``check_max_pool1d``'s value checks (max_pool1d without indices)."""
    for bad, words in ((k <= 0, f"kernel_size must be greater than zero, but got {k}"),
                       (s <= 0, f"stride must be greater than zero, but got {s}"),
                       (p < 0, f"padding must be non-negative, but got {p}"),
                       (p > k // 2, f"padding should be at most half of kernel size, but got "
                                    f"padding={p} and kernel_size={k}"),
                       (d <= 0, f"dilation must be greater than zero, but got {d}")):
        if bad:
            return "max_pool1d() " + words
    out = out_size(length, k, s, p, d, ceil_mode)
    return None if out > 0 else f"max_pool1d() Invalid computed output size: {out}"


def refuse_window(op, shape, k, s, p, d, ceil_mode, return_indices=False):
    """Raise torch's error for the pooling window of a 1-D or 2-D pool (``shape``, k, s, p,
    d: the (N, C, H, W) input and pairs, 1-D pooling's with a height of 1), if it has one.
    Called once the library's own geometry found the window wrong (the same windows are
    refused), so that the message is torch's at no cost to a pooling that succeeds."""
    if op == "max_pool1d" and not return_indices:
        error = _max_pool1d_error(shape[-1], k[1], s[1], p[1], d[1], ceil_mode)
    else:
        error = _window_error(shape, k, s, p, d, ceil_mode)
    if error:
        raise ShapeError(error)


def check_window_3d(op, shape, k, s, p, d, ceil_mode):
    """torch's errors for a 3-D pooling window (avg_pool3d also refuses an input smaller than
    its kernel, padding or not)."""
    error = _window_error(shape, k, s, p, d, ceil_mode, smaller_than_kernel=op == "avg_pool3d")
    if error:
        raise ShapeError(error)
