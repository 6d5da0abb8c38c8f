"""Memory formats: torch's ``memory_format`` type and its objects — ``preserve_format``,
``contiguous_format`` (also named ``legacy_contiguous_format``), ``channels_last`` ((N, C, H, W)
stored as (N, H, W, C)) and ``channels_last_3d`` ((N, C, D, H, W) stored as (N, D, H, W, C))
— and the functions that lay a tensor out in one: ``clone``, ``contiguous``, ``is_contiguous``.

A channels-last format keeps the channels innermost: the tensor still shows (N, C, ...), only
its strides change (``(360, 1, 90, 18, 3)`` for a (2, 3, 4, 5, 6) tensor), and values and
gradients are those of any other layout. As torch, ``channels_last`` asks for 4 dims and
``channels_last_3d`` for 5 (``required rank 5 tensor to use channels_last_3d format``)."""
from .. import versions
from ..autograd.torch_names import named
from ..ops.shape import Clone
from ..tensor import tensor_method

__all__ = ["memory_format", "preserve_format", "contiguous_format", "legacy_contiguous_format",
           "channels_last", "channels_last_3d", "clone", "contiguous"]


class MemoryFormat:
    """torch's ``memory_format``: the type of the four format objects, which are its only
    instances (``memory_format()`` is refused, as torch). ``order`` tells :class:`Clone` how to
    lay a copy out; ``rank`` is the number of dims a channels-last format needs. They pickle
    and copy as themselves."""

    def __new__(cls, *args, **kwargs):
        from ..printing import OPTIONS
        raise TypeError(f"cannot create '{OPTIONS.namespace}.memory_format' instances")

    @classmethod
    def _make(cls, name, order, rank=None):
        self = object.__new__(cls)
        self.name, self.order, self.rank = name, order, rank
        return self

    def __repr__(self):
        from ..printing import OPTIONS              # ("torch." in a torch program)
        return f"{OPTIONS.namespace}.{self.name}"

    def __reduce__(self):
        return self.name                            # (a module global of that name: itself)

    def check_rank(self, ndim):
        """torch's RuntimeError for a channels-last format on a tensor of another rank."""
        if self.rank is not None and ndim != self.rank:
            raise RuntimeError(f"required rank {self.rank} tensor to use {self.name} format")


MemoryFormat.__name__ = MemoryFormat.__qualname__ = "memory_format"
MemoryFormat.__module__ = "tinygrad_sgd"          # (as torch's: torch.memory_format)
memory_format = MemoryFormat
preserve_format = MemoryFormat._make("preserve_format", "K")
contiguous_format = legacy_contiguous_format = MemoryFormat._make("contiguous_format", "C")
channels_last = MemoryFormat._make("channels_last", "channels_last", 4)
channels_last_3d = MemoryFormat._make("channels_last_3d", "channels_last", 5)


def check_format(value, op):
    """``value`` as a memory format argument of ``op`` (None for the default), or torch's
    TypeError."""
    if value is not None and not isinstance(value, MemoryFormat):
        raise TypeError(f"{op}(): argument 'memory_format' must be torch.memory_format, not "
                        f"{type(value).__name__}")
    return value


def _channels_last_steps(shape, strides, dims):
    """torch's ``is_channels_last_strides_2d/3d``: whether ``strides`` read as channels-last,
    the channels innermost (visiting C, then the spatial dims from the last, then N); a
    size-0 dim, a 0 channel stride or an (N, 1, 1, 1) with equal strides read as contiguous."""
    low = 0
    if strides[1] == 0:
        return False
    for d in (1, *range(dims - 1, 1, -1), 0):
        if shape[d] == 0 or strides[d] < low or (d == 0 and low == strides[1]):
            return False
        low = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return True


def suggest_memory_format(input):
    """torch's ``suggest_memory_format()``: ``channels_last`` for a 4-D tensor whose strides
    read as channels-last, ``channels_last_3d`` for a 5-D one, else ``contiguous_format``
    (whatever the strides). ``to(memory_format=f)`` gives the tensor itself when this is f."""
    from ..creation import torch_strides
    if input.ndim in (4, 5) and _channels_last_steps(input.shape, torch_strides(input),
                                                     input.ndim):
        return channels_last if input.ndim == 4 else channels_last_3d
    return contiguous_format


@tensor_method
def clone(input, *, memory_format=preserve_format):
    """A copy with memory of its own, differentiable (the gradient passes unchanged).
    ``memory_format=None`` is ``preserve_format``, as torch."""
    memory_format = check_format(memory_format, "clone") or preserve_format
    memory_format.check_rank(input.ndim)
    out = Clone.apply(input, memory_format.order)
    if not out.array.size:          # NumPy's copy has 0 strides: torch's, for that format
        from ..creation import like_strides
        from ..ops.strided import with_empty_steps
        out.array = with_empty_steps(out.array, like_strides(input, memory_format))
    elif memory_format is preserve_format and out.ndim > 1 and \
            (not input.array.flags.c_contiguous or 1 in input.shape):
        # torch's preserve_format: the input's strides when dense (a size-1 dim's too),
        # else dense strides in the input's dim order (an expand's 0 strides and size-1 dims
        # ordered as torch orders them), where NumPy's order="K" copy may choose another
        from ..creation import like_strides, strided_array
        strides = like_strides(input)
        if tuple(b // out.array.itemsize for b in out.array.strides) != strides:
            out.array = strided_array(out.array, strides)
    return out


@tensor_method
def contiguous(input, memory_format=contiguous_format):
    """The tensor itself when its memory is already in that order (row-major, or
    channels-last), else a copy that is (``preserve_format`` only for a tensor that is
    contiguous already, as torch)."""
    check_format(memory_format, "contiguous")
    if input.is_contiguous(memory_format):
        return input
    if memory_format is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    out = clone(input, memory_format=memory_format)
    if memory_format is contiguous_format and input.array.size > 1 and _torch_contiguous(input):
        # a convolution's, pooling's or resampling's result, kept in the library's own order:
        # torch's is contiguous and returns itself; here a copy, so a write into either
        # would silently not reach the other: refused while both live
        versions.link_copy(out.array, input.array)
        from ..creation import stand_for_contiguous   # (storage-level reads of the copy:
        stand_for_contiguous(out, input)               # input's place in torch's storage)
    return out


def _torch_contiguous(input):
    from .shape import _torch_contiguous as torch_contiguous    # (shape imports this module)
    return torch_contiguous(input)


@tensor_method
def is_contiguous(input, memory_format=contiguous_format):
    """Whether the memory is in row-major order, or in that channels-last order (a 4-D tensor
    for ``channels_last``, a 5-D one for ``channels_last_3d``, whose channels vary fastest;
    False for a tensor of another rank). ``preserve_format`` asks for row-major, as torch."""
    check_format(memory_format, "is_contiguous")
    if memory_format is None or memory_format.rank is None:
        return bool(input.array.flags.c_contiguous)
    if input.ndim != memory_format.rank:
        return False
    shape, strides, step = input.shape, input.stride(), 1
    for d in (1, *range(input.ndim - 1, 1, -1), 0):     # C innermost, then W, H, (D), N
        if shape[d] != 1:                                 # (an empty tensor's strides too)
            if strides[d] != step:
                return False
            step *= shape[d]
    return True


def to_memory_format(input, converted, memory_format):
    """``input.to(dtype, memory_format=memory_format)`` given ``converted``, its ``to(dtype)``:
    input itself when nothing changes and torch would suggest that format for it (so a
    non-contiguous 2-D tensor stays as it is for ``contiguous_format``, as torch), else a
    copy laid out in it (one ``ToCopyBackward0`` node, as torch)."""
    memory_format.check_rank(input.ndim)
    if converted is input and suggest_memory_format(input) is memory_format:
        return input
    from ..creation import like_strides
    out = converted
    if out is input or out.stride() != like_strides(out, memory_format):
        out = clone(out, memory_format=memory_format)
    return named(out, "ToCopyBackward0", input)


def stacked(tensors, d, cat):
    """torch's ``stack(tensors, d)`` through ``cat``: for a new dim d before the last, torch
    concatenates the tensors along d and views the result, so channels-last inputs give a
    result in channels-last memory ((N, 2, C, H, W) from (N, C, H, W) at d = 1 has strides
    (2CHW, C, 1, 2WC, 2C)) and other layouts a contiguous one; after the last dim, the
    tensors unsqueezed there, concatenated: contiguous (torch's unsqueezed dim, of stride 1,
    never reads as channels-last). Contiguous tensors (the common case) are simply
    unsqueezed and concatenated: the same result."""
    first = tensors[0]
    if first.array.flags.c_contiguous:
        return cat([t.unsqueeze(d) for t in tensors], dim=d)
    if d < first.ndim:
        return cat(tensors, d).unflatten(d, (len(tensors), first.shape[d]))
    return cat([t.contiguous().unsqueeze(d) for t in tensors], dim=d)
