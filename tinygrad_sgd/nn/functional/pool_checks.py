"""torch's errors for a pooling input of the wrong rank, or with an empty channel or spatial
dim, in torch's words (each op has its own: they come from different places in torch).
A :class:`ShapeError` is torch's RuntimeError (and a ValueError); ``avg_pool2d`` of fewer than 3
dims is torch's IndexError (it reads the channel count as ``input.size(-3)`` first)."""
from ...errors import ShapeError
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
    than 3 dims is torch's IndexError (``size(-3)``), one of more than 4 its RuntimeError."""
    if not isinstance(input, Tensor) or input.ndim in (3, 4):
        return
    for value, name in ((kernel_size, "kernel_size"), (stride, "stride"),
                        (padding, "padding")):
        ntuple(value, 2, name, "avg_pool2d", single=True)
    if divisor_override == 0:
        raise ShapeError("avg_pool2d: divisor must be not zero")
    if input.ndim == 0:
        raise IndexError("Dimension specified as -3 but tensor has no dimensions")
    if input.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, "
                         f"{input.ndim - 1}], but got -3)")
    raise ShapeError(_BATCH_MODE.format(3, 4) + f", but got:{list(input.shape)}")


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
