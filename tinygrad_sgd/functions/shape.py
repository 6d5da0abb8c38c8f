"""Reshaping, reordering, repeating, splitting and joining.

A view (reshape, view, permute, transpose, expand, squeeze, ...) is always a new graph node,
even when nothing moves (``x.reshape(x.shape)``, ``v.T`` of a vector), so a hook or
``retain_grad`` on it acts on the view, not on its source — as in torch. Only ``flatten`` over
a single dim and ``contiguous`` of a contiguous tensor hand back the tensor itself, as torch.

(house: long file — torch's shape functions, each a few lines, in one module; each also gives
its node the name torch gives it, for torch programs: ``UnsqueezeBackward0``, ``TBackward0``.)"""
import warnings

import numpy as np

from .. import ops, versions
from ..arguments import listed, normalize_dim, shape_arg
from ..autograd.torch_names import named, reshape_name
from ..dtypes import result_dtype
from ..errors import ShapeError, user_stacklevel
from ..ops.shape import Flip, Repeat, Roll, with_torch_new_dim_stride
from ..tensor import Tensor, tensor_method
from .memory_formats import clone, stacked    # (and contiguous, is_contiguous, ...)

__all__ = ["reshape", "flatten", "unflatten", "permute", "transpose", "swapaxes", "swapdims",
           "t", "movedim", "moveaxis", "unsqueeze", "squeeze", "expand", "expand_as", "repeat",
           "tile", "repeat_interleave", "flip", "fliplr", "flipud", "roll", "rot90",
           "cat", "concat", "concatenate", "stack"]


# ---------------------------------------------------------------------------- views
@tensor_method
def reshape(input, *shape, **keyword):
    shape = listed("reshape", shape, keyword, "shape")
    out = ops.Reshape.apply(input, _checked_shape(input, shape))
    if not input.array.flags.c_contiguous and versions.has_copy_views(out.array) and \
            not np.may_share_memory(out.array, input.array):
        _stands_for_view(out, input)
    return named(out, reshape_name(input), input)


def _stands_for_view(out, input):
    """``out``, a copy standing for torch's view of ``input`` (ops.Reshape: a result kept in
    the library's own order, whose torch tensor views), reads input's storage in
    storage-level ops, at the strides torch's view has (``creation.torch_geometry``)."""
    from ..creation import torch_strides
    stand_in = np.lib.stride_tricks.as_strided(np.empty(1, np.int8), input.shape,
                                               torch_strides(input))
    out._stands_for = (input, stand_in.reshape(out.shape, copy=False).strides)


def _checked_shape(input, shape):
    """torch's checks on a target shape (at most one -1, no other negative size)."""
    for i, s in enumerate(shape):
        if s < -1:
            raise ShapeError(f"view/reshape: invalid shape dimension {s} at index {i} of shape "
                             f"{list(shape)}")
    if shape.count(-1) > 1:
        raise ShapeError(f"view/reshape: only one dimension can be inferred (shape "
                         f"{list(shape)} has several -1)")
    if -1 in shape and input.array.size == 0 and 0 in shape:
        raise ShapeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because "
                         f"the unspecified dimension size -1 can be any value and is ambiguous")
    return shape


@tensor_method
def view(input, *shape, **keyword):
    """``view(*shape)`` (or ``view(size=shape)``) as reshape; ``view(dtype)`` (or
    ``view(dtype=dtype)``) reinterprets the bytes (not differentiable, shares memory): a
    different element size changes the last dim, as torch."""
    if set(keyword) == {"dtype"} and not shape:
        return _view_dtype(input, np.dtype(keyword["dtype"]))
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list)) and \
            not hasattr(type(shape[0]), "__index__"):
        return _view_dtype(input, np.dtype(shape[0]))
    shape = listed("view", shape, keyword, "size")
    try:
        input.array.reshape(shape, copy=False)
    except ValueError as e:   # (a wrong size is left to reshape's message)
        if "copy" in str(e) and not ops.shape.torch_would_view(input, shape):
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces). "
                               "Use .reshape(...) instead.") from None
        # a convolution's, pooling's or resampling's result is laid out in the library's own
        # order but contiguous in torch, whose view succeeds: reshaped, as reshape does — a
        # copy standing for torch's view (ops.Reshape: its _base set, writes into it or the
        # input refused while both live)
        return named(reshape(input, shape), "ViewBackward0", input)
    except TypeError:
        pass
    return named(reshape(input, shape), "ViewBackward0", input)


def _torch_contiguous(input):
    """Whether torch's tensor is contiguous (its strides, not the NumPy array's)."""
    from ..creation import contiguous_strides, torch_strides
    return torch_strides(input) == contiguous_strides(input.shape)


def _view_dtype(input, dtype):
    a, old = input.array, input.dtype.itemsize
    if dtype.itemsize != old:
        what = f"to view {input.dtype} as {dtype} (different element sizes)"
        if a.ndim == 0:
            raise ShapeError(f"self.dim() cannot be 0 {what}")
        if a.shape[-1] * old % dtype.itemsize:
            raise ShapeError(f"self.size(-1) must be divisible by {dtype.itemsize // old} "
                             f"{what}, but got {a.shape[-1]}")
        if a.shape[-1] > 1 and a.strides[-1] != old:
            from ..creation import torch_strides
            if torch_strides(input)[-1] == 1:   # (torch's view succeeds: contiguous there)
                raise ShapeError(f"view: this tensor is (or views) a result kept in the "
                                 f"library's own memory order (a convolution's, pooling's or "
                                 f"resampling's: contiguous in torch, whose view succeeds), "
                                 f"where the last dim does not step by one element, so it "
                                 f"cannot be viewed {what}; view a .clone(memory_format="
                                 f"torch.contiguous_format) of it")
            raise ShapeError(f"self.stride(-1) must be 1 {what}, but got "
                             f"{a.strides[-1] // old}")
    out = Tensor._of(a.view(dtype))
    if dtype.itemsize == old:     # (its storage in torch: input's, read as the new dtype)
        from ..tensor import _share_storage_root
        _share_storage_root(out, input)
    return out


@tensor_method
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one (a 0-d tensor becomes 1-d; merging a single
    dim returns the tensor itself, as torch). A reshape node, drawn as ``flatten``."""
    if input.ndim == 0:
        return input.reshape(1)
    s = normalize_dim(start_dim, input.ndim, "flatten")
    e = normalize_dim(end_dim, input.ndim, "flatten")
    if s > e:
        raise ShapeError(f"flatten() has invalid args: start_dim cannot come after end_dim "
                         f"({start_dim} and {end_dim} for a tensor of shape {input.shape})")
    if s == e:
        return input
    dims = input.array.shape                  # (plain tuples: this is in every CNN's step)
    merged = 1
    for d in dims[s:e + 1]:
        merged *= d
    shape = dims[:s] + (merged,) + dims[e + 1:]
    args = f"({start_dim}, {end_dim})" if end_dim != -1 else f"({start_dim})" if start_dim else ""
    out = ops.Reshape.apply(input, shape, label="flatten" + args)   # drawn as flatten(1)
    if not input.array.flags.c_contiguous and versions.has_copy_views(out.array) and \
            not np.may_share_memory(out.array, input.array):
        _stands_for_view(out, input)
    return named(out, reshape_name(input), input)


@tensor_method
def unflatten(input, dim, sizes):
    d = normalize_dim(dim, input.ndim, "unflatten")
    sizes = shape_arg((sizes,))
    if not sizes:
        raise ShapeError("unflatten: sizes must be non-empty")
    known = int(np.prod([s for s in sizes if s != -1]))
    n = input.shape[d]
    if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise ShapeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                         f"size of dim {dim} ({n}) in the input tensor")
    return input.reshape(input.shape[:d] + sizes + input.shape[d + 1:])


@tensor_method
def permute(input, *dims, **keyword):
    if not dims and not keyword:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = listed("permute", dims, keyword, "dims")
    if len(dims) != input.ndim:
        raise ShapeError(f"permute(): the number of dims ({len(dims)}) does not match the length "
                         f"of the desired ordering of dimensions: input.dim() = {input.ndim} is "
                         f"not equal to len(dims) = {len(dims)}")
    dims = tuple(normalize_dim(d, input.ndim, "permute") for d in dims)
    if len(set(dims)) != len(dims):
        raise ShapeError(f"permute(): duplicate dims are not allowed: dims {dims} are not a "
                         f"permutation of the {input.ndim} dimensions of a tensor of shape "
                         f"{input.shape}")
    return ops.Permute.apply(input, dims)


@tensor_method
def transpose(input, dim0, dim1):
    dims = list(range(input.ndim))
    d0, d1 = (normalize_dim(d, input.ndim, "transpose") for d in (dim0, dim1))
    if input.ndim:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return named(ops.Permute.apply(input, tuple(dims)), "TransposeBackward0", input)


@tensor_method
def swapaxes(input, axis0, axis1):
    """:func:`transpose` under NumPy's name, with torch's keyword names ``axis0``/``axis1``."""
    return transpose(input, axis0, axis1)


@tensor_method
def swapdims(input, dim0, dim1):
    """:func:`transpose` under another name (keywords ``dim0``/``dim1``, as torch)."""
    return transpose(input, dim0, dim1)


@tensor_method
def t(input):
    """The transpose of a matrix; a vector or a number comes back as a new node (a view)."""
    if input.ndim > 2:
        raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                         f"{input.ndim}D (shape {input.shape})")
    return named(transpose(input, 0, -1), "TBackward0", input)


def _reversed_dims(self):
    """``x.T``: every dim reversed; on a vector it is still a new node, so a hook on it is its
    own. torch warns (once each) that it is deprecated but for matrices."""
    if self.ndim != 2:
        kind = "0-d" if self.ndim == 0 else "n-d"
        if kind not in _T_WARNED:
            _T_WARNED.add(kind)
            warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the "
                          "identity in these cases." if self.ndim == 0 else
                          "The use of `x.T` on tensors of dimension other than 2 to reverse "
                          "their shape is deprecated and it will throw an error in a future "
                          "release. Consider `x.mT` to transpose batches of matrices or "
                          "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                          "dimensions of a tensor.", UserWarning, stacklevel=user_stacklevel())
    return ops.Permute.apply(self, tuple(range(self.ndim))[::-1])


_T_WARNED = set()
Tensor.T = property(_reversed_dims, doc="All dims reversed (a view; for a matrix, its "
                                        "transpose).")


@tensor_method
def movedim(input, source, destination):
    src, dst = _dim_list(source), _dim_list(destination)
    if len(src) != len(dst):
        raise ShapeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                         f"dims) should contain the same number of dims as destination "
                         f"({list(dst)} dims)")
    n = input.ndim
    src = [normalize_dim(d, n, "movedim") for d in src]
    dst = [normalize_dim(d, n, "movedim") for d in dst]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise ShapeError(f"movedim: repeated dim in `{name}` ({ds})")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return ops.Permute.apply(input, tuple(order) if n else ())    # (0-d: dims 0 and -1 only)


moveaxis = movedim
Tensor.moveaxis = movedim


def _dim_list(dims):
    return (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)


@tensor_method
def unsqueeze(input, dim):
    dim = normalize_dim(dim, input.ndim + 1, "unsqueeze")
    out = input.reshape(input.shape[:dim] + (1,) + input.shape[dim:])
    return named(with_torch_new_dim_stride(out, input, dim), "UnsqueezeBackward0", input)


@tensor_method
def squeeze(input, dim=None):
    """Drop size-1 dims (all, one, or a tuple of them); a dim of another size stays."""
    if dim is None:
        dims = range(input.ndim)
    else:
        dims = [normalize_dim(d, input.ndim, "squeeze") for d in _dim_list(dim)]
        for d in dims:
            if dims.count(d) > 1:
                raise ShapeError(f"squeeze: dim {d} appears multiple times in the list of dims")
    kept = [i for i, s in enumerate(input.shape) if not (i in dims and s == 1)]
    out = input.reshape(tuple(input.shape[i] for i in kept))
    if not out.array.size:      # (NumPy's reshape chose contiguous strides; torch's keeps)
        from ..ops.strided import element_strides, with_empty_steps
        steps = element_strides(input.array)
        out.array = with_empty_steps(out.array, [steps[i] for i in kept])
    overload = 0 if dim is None else 1 if isinstance(dim, (int, np.integer)) else 2
    return named(out, f"SqueezeBackward{overload}", input)


@tensor_method
def expand(input, *sizes, **keyword):
    sizes = listed("expand", sizes, keyword, "size")
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ShapeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                         f"or equal to the number of dimensions in the tensor ({input.ndim}); "
                         f"target {sizes} for a tensor of shape {input.shape}")
    shape = []
    for i, s in enumerate(sizes):
        have = input.shape[i - lead] if i >= lead else None
        if s < 0 and (s != -1 or have is None):
            raise ShapeError(f"expand: the expanded size of the tensor ({s}) isn't allowed in a "
                             f"leading, non-existing dimension {i} (-1 (keep the size) is not "
                             f"allowed in a new leading dim): target shape {sizes} for a tensor "
                             f"of shape {input.shape}" if have is None else
                             f"expand: invalid size {s} in {sizes}")
        s = have if s == -1 else s
        if have is not None and have != 1 and have != s:
            raise ShapeError(f"expand: tensor of shape {input.shape} cannot be expanded to "
                             f"{sizes}: the expanded size of the tensor ({s}) must match the "
                             f"existing size ({have}) at non-singleton dimension {i}")
        shape.append(s)
    return ops.Expand.apply(input, tuple(shape))


@tensor_method
def expand_as(input, other):
    return expand(input, other.shape)


# ---------------------------------------------------------------------------- copies
@tensor_method
def repeat(input, *repeats, **keyword):
    """Tile the tensor ``repeats[i]`` times along dim i (extra leading repeats add dims)."""
    if not repeats and not keyword:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    repeats = listed("repeat", repeats, keyword, "repeats")
    if len(repeats) < input.ndim:
        raise ShapeError(f"repeat: Number of dimensions of repeat dims ({len(repeats)}) can not "
                         f"be smaller than number of dimensions of tensor ({input.ndim})")
    shape = (1,) * (len(repeats) - input.ndim) + input.shape
    out = [r * s for r, s in zip(repeats, shape)]
    if any(r < 0 for r in repeats):
        raise ShapeError(f"repeat: Trying to create tensor with negative dimension "
                         f"{min(out)}: {out}")
    return Repeat.apply(input.reshape(shape), repeats)


@tensor_method
def tile(input, *dims, **keyword):
    """``repeat`` with ones prepended to ``dims`` when it is shorter than the tensor's dims;
    ``x.tile(2, 2)`` as well as ``x.tile((2, 2))``, as torch's method."""
    if not dims and not keyword:
        raise TypeError('tile() missing 1 required positional arguments: "dims"')
    dims = listed("tile", dims, keyword, "dims")
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


@tensor_method
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place;
    ``repeat_interleave(counts)`` alone gives ``[0]*counts[0] + [1]*counts[1] + ...``."""
    if repeats is None:
        counts = _counts(input, None)      # (in the counts' dtype, as torch's)
        return Tensor._of(np.repeat(np.arange(len(counts), dtype=counts.dtype), counts))
    if dim is None:
        input, dim = input.reshape(-1), 0
    if input.ndim == 0:
        raise IndexError("repeat_interleave: Dimension specified as 0 but tensor has no "
                         "dimensions")
    d = normalize_dim(dim, input.ndim, "repeat_interleave")
    n = input.shape[d]
    counts = _counts(repeats, n)
    idx = np.repeat(np.arange(n), counts)
    if output_size is not None and output_size != idx.size:
        raise ShapeError(f"repeat_interleave: output_size {output_size} does not match the "
                         f"total number of repeats ({idx.size})")
    out = ops.GetItem.apply(input, (slice(None),) * d + (idx,))   # (torch: an index_select by
    if not out.is_contiguous():          # a tensor, else a view of an expanded clone: both
        out = out.contiguous()           # contiguous, where NumPy's take along d is not)
    return named(out, "IndexSelectBackward0" if isinstance(repeats, Tensor) else
                 "ViewBackward0", input)


def _counts(repeats, n):
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu" or repeats.ndim > 1:
            raise ShapeError(f"repeat_interleave: repeats must be a 0-dim or 1-dim integer "
                             f"tensor, got {repeats.dtype} of shape {repeats.shape}")
        counts = repeats.array.reshape(-1)
        if (counts < 0).any():
            raise ShapeError("repeat_interleave: repeats can not be negative")
        if n is not None and counts.size == 1:
            counts = np.repeat(counts, n)
        if n is not None and counts.size != n:
            raise ShapeError(f"repeat_interleave: repeats must have the same size as input "
                             f"along dim, but got repeats.size(0) = {counts.size} and "
                             f"input.size = {n}")
        return counts
    repeats = int(repeats)
    if repeats < 0:
        raise ShapeError(f"repeat_interleave: Repeats must be non-negative, got {repeats}")
    return np.full(n, repeats)


@tensor_method
def flip(input, *dims, **keyword):
    dims = listed("flip", dims, keyword, "dims")
    nd = [normalize_dim(d, input.ndim, "flip") for d in dims]
    for d in nd:
        if nd.count(d) > 1:
            raise ShapeError(f"flip: dim {d} appears multiple times in the list of dims")
    from .elementwise import no_shell_kernel
    no_shell_kernel("flip_cpu", input.array.dtype)
    return Flip.apply(input, tuple(nd) if input.ndim else ())


@tensor_method
def fliplr(input):
    if input.ndim < 2:
        raise ShapeError(f"fliplr: Input must be >= 2-d, got shape {input.shape}.")
    return flip(input, 1)


@tensor_method
def flipud(input):
    if input.ndim < 1:
        raise ShapeError("flipud: Input must be >= 1-d.")
    return flip(input, 0)


@tensor_method
def roll(input, shifts, dims=None):
    shifts, dims = _dim_list(shifts), None if dims is None else _dim_list(dims)
    if dims is None:
        if len(shifts) != 1:
            raise ShapeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                             f"dims:0")
        out = Roll.apply(input.reshape(-1), shifts, (0,)).reshape(input.shape)
        return named(out, "RollBackward0", input)
    if len(shifts) != len(dims):
        raise ShapeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                         f"dims:{len(dims)}")
    dims = tuple(normalize_dim(d, input.ndim, "roll") for d in dims)
    return Roll.apply(input, tuple(int(s) for s in shifts), dims)


@tensor_method
def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90° k times, from the first of ``dims`` towards the second (torch's flips
    and transposes, so the result is the same copy)."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise ShapeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise ShapeError(f"rot90: expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (normalize_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise ShapeError(f"rot90: expected rotation dims to be different, but got dim0 = {d0} "
                         f"and dim1 = {d1}")
    k %= 4
    if k == 1:
        out = flip(input, d1).transpose(d0, d1)
    elif k == 2:
        out = flip(input, d0, d1)
    elif k == 3:
        out = flip(input, d0).transpose(d0, d1)
    else:
        out = clone(input)
    return named(out, "Rot90Backward0", input)


# ---------------------------------------------------------------------------- joining
def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def cat(tensors, dim=0) -> Tensor:
    """Join tensors along an existing dim. Dtypes are promoted as torch (int64 with float32 is
    float32); a 1-d empty tensor joins tensors of any shape, as torch's legacy rule."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ShapeError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                             f"concatenated")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = result_dtype(np.empty(0, dtype), t.array)
    ref = next((t for t in tensors if t.shape != (0,)), tensors[0])
    d = normalize_dim(dim, ref.ndim, "cat")
    empty = ref.shape[:d] + (0,) + ref.shape[d + 1:]
    tensors = [t.reshape(empty) if t.shape == (0,) else t for t in tensors]
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim:
            raise ShapeError(f"cat: Tensors must have same number of dimensions: got "
                             f"{ref.ndim} and {t.ndim}")
        for axis, (a, b) in enumerate(zip(ref.shape, t.shape)):
            if axis != d and a != b:
                raise ShapeError(
                    f"cat: shapes {', '.join(f'{t.shape}' for t in tensors)} must match in "
                    f"every dim except dim {d} (Sizes of tensors must match except in dimension "
                    f"{d}. Expected size {a} but got size {b} for tensor number {i} in the "
                    f"list.)")
    return ops.Cat.apply(*[t.to(dtype) for t in tensors], dim=d)


concat = concatenate = cat


def stack(tensors, dim=0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise ShapeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: all tensors must have the same shape (stack expects each "
                             f"tensor to be equal size, but got {list(tensors[0].shape)} at "
                             f"entry 0 and {list(t.shape)} at entry {i})")
    d = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return named(stacked(tensors, d, cat), "StackBackward0", *tensors)


from .index import getitem  # noqa: E402,F401  (Tensor reads it here)
