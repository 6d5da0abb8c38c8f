"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``), filled (``zeros``,
``ones``, ``full``, ``empty``, ``eye``), ranges (``arange``, ``linspace``, ``logspace``),
grids (``meshgrid``) and shaped like another (``zeros_like``, ..., and the methods
``x.new_zeros``, ..., which take ``x``'s dtype). The random ones (``rand``, ``randn``,
``randint``, ...) are in :mod:`tinygrad_sgd.functions.random`.

Dtypes follow torch: Python floats give the default float dtype (float32 unless
``set_default_dtype`` changed it; so do ``zeros``, ``ones``, ``eye``, ... without a dtype), ints
int64, bools bool; ``arange`` is int64 when start, end and step are all integers. The ranges
give torch's numbers bit for bit (torch's CPU kernels: ``start + i·step`` rounded once, a fused
multiply-add; ``arange`` fills whole SIMD registers from their first value,
:func:`_range_values` replays it for up to 32768 elements, where torch fills the range in one
piece; ``linspace`` counts its second half back from ``end``).
"""
# house: long file — torch's factory functions, each with its meta-device branch (meta.py),
# and the stride rules of the *_like ones, read together as one namespace.
import numbers
import warnings
import weakref

import numpy as np

from .arguments import listed
from .determinism import memory_fill
from .device import META, check_device
from .meta import MetaArray
from .dtypes import (as_array, beyond_int64, cast, check_range_ends, checked_scalar,
                     default_float, number_dtype, read_number, refuse_byte_order)
from .errors import ShapeError, warn_level, warn_not_writable
from .kernels import libm
from .kernels.layout import dim_order, memory_order
from .memory_layout import check_layout
from .random.exact import fma32, fma64
from .tensor import Tensor, tensor_method

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye",
           "arange", "linspace", "logspace", "meshgrid", "zeros_like", "ones_like",
           "empty_like", "full_like"]


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """Like ``torch.tensor``: always copies the data (a Tensor's values too, detached). Python
    floats become the default float dtype (float32), ints int64; NumPy arrays and NumPy
    numbers keep their dtype."""
    meta = check_device(device, meta=True) is META
    if isinstance(data, Tensor) and type(data.array) is MetaArray:    # (a meta tensor's
        if device is not None and not meta:                            # values: none)
            from .meta import NO_DATA
            raise NotImplementedError(NO_DATA)
        meta = True
    if meta:                                  # (made on the CPU, then only its shape and
        from .meta import to_meta             # dtype kept, as torch's)
        made = data if isinstance(data, Tensor) and type(data.array) is MetaArray else \
            tensor(data, dtype=dtype, device="cpu", requires_grad=False)
        return to_meta(made, dtype=None if dtype is None else np.dtype(dtype),
                       requires_grad=requires_grad)
    if isinstance(data, Tensor):
        data = data.array
    elif isinstance(data, np.generic) and dtype is None:
        data = np.asarray(data)
    return Tensor._of(np.array(as_array(data, dtype), copy=True), requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor``, but shares memory where it can: a Tensor of the right dtype comes back
    as it is, a NumPy array of the right dtype is used without a copy."""
    if check_device(device, meta=True) is META:
        if isinstance(data, Tensor) and type(data.array) is MetaArray:
            return data if dtype is None else data.to(dtype)
        return tensor(data, dtype=dtype, device="meta")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        warn_not_writable(data)             # (torch's, once; also where it then copies)
        if dtype is None or np.dtype(dtype) == data.dtype:
            return strides_as_given(Tensor._of(as_array(data)))
    return tensor(data, dtype=dtype)


def from_numpy(ndarray) -> Tensor:
    """A Tensor sharing the array's memory (writing into one changes the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.kind not in "biuf":
        raise TypeError(f"can't convert np.ndarray of type {ndarray.dtype}. The only supported "
                        f"types are: float64, float32, float16, int64, int32, int16, int8, "
                        f"uint64, uint32, uint16, uint8, and bool.")
    refuse_byte_order(ndarray)
    warn_not_writable(ndarray)
    return strides_as_given(Tensor._of(ndarray))


def _sizes(op, size, keywords):
    """The size given as ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``, checked (``f()`` is
    a 0-d tensor here; torch asks for a size)."""
    shape = listed(op, size, keywords, "size")
    if any(s < 0 for s in shape):
        raise ShapeError(f"{op}: Dimension size must be non-negative, got {list(shape)}")
    return shape


def _filled(op, fill, size, dtype, device, requires_grad, keywords=None):
    meta = check_device(device, meta=True) is META  # (fill None: uninitialized memory, see
    shape, dtype = _sizes(op, size, keywords), default_float() if dtype is None else dtype
    if meta:                                        # .determinism; meta: no memory at all)
        from .meta import make
        return make(shape, dtype, requires_grad)
    return Tensor._of(np.full(shape, memory_fill(dtype, fill), dtype), requires_grad=requires_grad)


def zeros(*size, dtype=None, layout=None, device=None, requires_grad=False, **size_keyword):
    """``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``: the default float dtype
    (float32) unless ``dtype`` says otherwise."""
    check_layout(layout, "zeros")
    return _filled("zeros", 0, size, dtype, device, requires_grad, size_keyword)


def ones(*size, dtype=None, layout=None, device=None, requires_grad=False, **size_keyword):
    check_layout(layout, "ones")
    return _filled("ones", 1, size, dtype, device, requires_grad, size_keyword)


def empty(*size, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, **size_keyword):
    """As torch's (uninitialised memory there); here zeros (see .determinism). ``memory_format``
    lays them out row-major (``contiguous_format``), as (N, H, W, C) (``channels_last``) or
    as (N, D, H, W, C) (``channels_last_3d``)."""
    from .functions.memory_formats import check_format
    check_layout(layout, "empty")
    made = _filled("empty", None, size, dtype, device, requires_grad, size_keyword)
    if check_format(memory_format, "empty") is None:
        return made
    if memory_format.name == "preserve_format":
        raise RuntimeError("unsupported memory format Preserve")
    return made_like(made.array, like_strides(made, memory_format), requires_grad)


def full(size, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False):
    """Filled with ``fill_value``; without ``dtype``, torch's inference: a bool gives bool, an
    int int64, a float the default float dtype (float32)."""
    check_layout(layout, "full")
    if not isinstance(fill_value, (numbers.Number, np.generic, Tensor)):
        raise TypeError(f"full(): argument 'fill_value' must be Number, not "
                        f"{type(fill_value).__name__}")
    if dtype is None:
        dtype = number_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if check_device(device, meta=True) is META:
        return _filled("full", None, (size,), dtype, device, requires_grad)
    return _filled("full", checked_scalar(fill_value, dtype), (size,), dtype, device,
                   requires_grad)


def eye(n, m=None, *, dtype=None, layout=None, device=None, requires_grad=False):
    if check_device(device, meta=True) is META:     # (made here, then only its shape kept)
        from .meta import to_meta
        return to_meta(eye(n, m, dtype=dtype, layout=layout),
                       requires_grad=requires_grad)
    check_layout(layout, "eye")
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise ShapeError(f"eye: {name} must be greater or equal to 0, got {v}")
    dtype = np.dtype(default_float() if dtype is None else dtype)
    from .functions.elementwise import no_shell_kernel
    no_shell_kernel("eye", dtype)
    return Tensor._of(np.eye(n, m, dtype=dtype),
                  requires_grad=requires_grad)


# ---------------------------------------------------------------------------- ranges
def _number(v):
    return v.item() if isinstance(v, (Tensor, np.generic)) else v


def arange(start=0, end=None, step=1, *, dtype=None, layout=None, device=None,
           requires_grad=False):
    """``[start, start + step, ...)`` up to ``end`` (excluded): ``ceil((end − start) / step)``
    elements; int64 when start, end and step are integers, else the default float dtype."""
    if check_device(device, meta=True) is META:     # (made here, then only its shape kept)
        from .meta import to_meta
        return to_meta(arange(start, end, step, dtype=dtype, layout=layout),
                       requires_grad=requires_grad)
    check_layout(layout, "arange")
    start, end, step = (read_number(_number(v)) for v in (start, end, step))
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = np.int64 if ints else default_float()
    dtype = np.dtype(dtype)
    from .functions.elementwise import no_shell_kernel
    no_shell_kernel("arange_cpu", dtype)
    d0, d1, ds = float(start), float(end), float(step)      # torch checks in float64
    if ds == 0:
        raise RuntimeError("arange: step must be nonzero")
    if not (np.isfinite(d0) and np.isfinite(d1)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end}")
    if not ((ds > 0 and d1 >= d0) or (ds < 0 and d1 <= d0)):
        raise RuntimeError("arange: upper bound and larger bound inconsistent with step sign")
    if dtype.kind not in "iu":
        n = int(np.ceil((d1 - d0) / ds))
        if n >= 2 ** 63:                                # (torch's size, an int64, wraps)
            raise RuntimeError(f"IntArrayRef contains an int that cannot be represented as a "
                               f"SymInt: {(n + 2 ** 63) % 2 ** 64 - 2 ** 63}")
        values = _range_values(np.float64(d0), np.float64(ds), n, dtype)
    elif any(beyond_int64(v) for v in (start, end, step)):      # (read as int64s there)
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    else:                           # in int64, from the truncated start and step
        s, e, st = int(start), int(end), int(step)
        if dtype == np.int64:
            if st == 0:
                raise ValueError("arange: step must be nonzero")
            n = abs(e - s + st - (1 if st > 0 else -1)) // abs(st)   # C's division
        else:
            n = int(np.ceil((d1 - d0) / ds))
        values = s + st * np.arange(n, dtype=np.int64)
    return Tensor._of(cast(values, dtype), requires_grad=requires_grad)


def linspace(start, end, steps, *, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included); the default
    float dtype (float32) unless ``dtype`` says otherwise. As torch: ``start + i·step`` up to
    the middle, then ``end − (steps−1−i)·step``, each rounded once (a fused multiply-add)."""
    if check_device(device, meta=True) is META:     # (made here, then only its shape kept)
        from .meta import to_meta
        return to_meta(linspace(start, end, steps, dtype=dtype, layout=layout),
                       requires_grad=requires_grad)
    check_layout(layout, "linspace")
    dtype = np.dtype(default_float() if dtype is None else dtype)
    start, end = _number(start), _number(end)
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    check_range_ends("linspace", dtype, start, end)
    if dtype.kind == "f":            # the ends in the dtype (float16: through float32, as torch)
        start, end = (cast(np.asarray(v, np.float64), dtype)[()] for v in (start, end))
    if steps <= 1:
        return Tensor._of(np.full(steps, start, dtype=dtype), requires_grad=requires_grad)
    with np.errstate(over="ignore", invalid="ignore"):   # (−3e38 → 3e38 in float32: inf, nan)
        if dtype.kind == "f":            # computed in the dtype itself, one rounding per value
            s, e = start, end
            step = (e - s) / dtype.type(steps - 1)
            fma = fma32 if dtype == np.float32 else fma64
        else:       # the ends in the dtype (−3 in uint8: 253), a float64 step, truncated values
            s, e = (np.float64(checked_scalar(int(v), dtype)) for v in (start, end))
            step, fma = (e - s) / (steps - 1), fma64
        i = np.arange(steps)
        values = np.where(i < steps // 2, fma(step, i, s), fma(-step, steps - 1 - i, e))
    values = values if dtype.kind == "f" else np.trunc(values)
    return Tensor._of(values.astype(dtype), requires_grad=requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``base ** linspace(start, end, steps)``, as torch computes it: the ends in the dtype,
    the exponents in float64, the second half counted back from ``end``."""
    if check_device(device, meta=True) is META:     # (made here, then only its shape kept)
        from .meta import to_meta
        return to_meta(logspace(start, end, steps, base, dtype=dtype, layout=layout),
                       requires_grad=requires_grad)
    check_layout(layout, "logspace")
    dtype = np.dtype(default_float() if dtype is None else dtype)
    if steps < 0:
        raise RuntimeError("logspace: number of steps must be non-negative")
    check_range_ends("logspace", dtype, _number(start), _number(end))
    if steps <= 1:
        values = np.full(steps, float(base) ** float(_number(start)))
        return Tensor._of(cast(values, dtype), requires_grad=requires_grad)
    end_type = dtype.type if dtype.kind == "f" else np.int64
    s, e = end_type(_number(start)), end_type(_number(end))
    step = np.float64(e - s) / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    exponent = np.where(i < steps // 2, np.float64(s) + step * i,
                        np.float64(e) - step * (steps - 1 - i))
    with np.errstate(over="ignore", invalid="ignore"):   # inf into an int dtype: quietly,
        values = libm.power(np.float64(base), exponent)  # the C pow, as torch (no warning)
        values = cast(values, dtype)
    return Tensor._of(values, requires_grad=requires_grad)


def _range_values(start, step, n, dtype):
    """torch's CPU values of ``arange``: ``start + i·step`` in float64 with one rounding (a
    fused multiply-add), rounded to the dtype — except that whole SIMD registers of W values
    are filled from their first value, ``first + j·step``, and only the last ``n mod 2W``
    values are computed one by one."""
    width = max(32 // dtype.itemsize, 1)
    i = np.arange(n)
    in_register = i < n - n % (2 * width)
    first = np.where(in_register, i - i % width, i)      # where each value is computed from
    anchor = cast(fma64(step, first, start), dtype)
    return np.where(in_register, fma64(i - first, step, anchor), anchor)


def meshgrid(*tensors, indexing=None):
    """Grids from 1-d (or 0-d) tensors: with ``indexing='ij'`` output k varies along dim k;
    ``'xy'`` swaps the first two dims (as NumPy's default). Each output is an expanded view,
    differentiable."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=warn_level(2))
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f'received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got a tensor of shape {t.shape}")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    order = [1, 0] + list(range(2, len(tensors))) if swap else list(range(len(tensors)))
    shape = tuple(tensors[k].numel() for k in order)
    grids = [None] * len(tensors)
    for axis, k in enumerate(order):
        view = [1] * len(order)
        view[axis] = -1
        grids[k] = tensors[k].reshape(view).expand(shape)
    return tuple(grids)


# ---------------------------------------------------------------------------- like another
# torch's ``*_like(x)`` keeps x's memory layout (``memory_format=preserve_format``), and its
# random fills walk a tensor in memory order: both read torch's strides of x, found here.
def contiguous_strides(shape, least=1) -> tuple:
    """Row-major strides, in elements (a size-0 dim counts as ``least``, 1 as torch's)."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, least)
    return tuple(reversed(strides))


def _own_layout(a) -> bool:
    """Whether ``a`` may be in one of the library's own layouts, where torch's tensor is
    contiguous: convolution, pooling and resampling return (N, C, ...) views of memory in
    other orders (batch innermost, ...), and elementwise ops keep them. Taken to be so for an
    array of 3 or more dims that is neither contiguous nor channels-last."""
    n = a.ndim
    return n >= 3 and not a.flags.c_contiguous and \
        not (n in (4, 5) and memory_order(a) == (0,) + tuple(range(2, n)) + (1,))


def strides_as_given(t):
    """``t``, marked as holding torch's strides where its array is laid out as torch's
    tensor is by construction (memory handed in — ``from_numpy``, ``as_tensor``,
    ``from_dlpack`` — a loaded checkpoint's view, ``empty_strided``, ``empty_permuted``): so
    neither :func:`torch_strides` nor the storage-level reads (:func:`torch_geometry`) take
    it for a result in the library's own order. Nothing to do for a C-contiguous array."""
    a = t.array
    if a.ndim >= 3 and not a.flags.c_contiguous:
        t._torch_strides = True
    return t


def _steps(a) -> tuple:
    return tuple(b // a.itemsize for b in a.strides)


def _trusted(t) -> bool:
    """Whether ``t``'s NumPy strides are torch's: not in the library's own layout, or made
    with torch's strides (by a ``*_like`` function)."""
    return t.__dict__.get("_torch_strides", False) or not _own_layout(t.array)


def torch_strides(t) -> tuple:
    """``t``'s strides (in elements) as torch's tensor has them: the NumPy array's, except
    where the array — or the base a view was taken of — may be in the library's own layout
    (:func:`_own_layout`): then those of a contiguous tensor, as torch's result is (a slice,
    an index or a flatten of a convolution's result reads as contiguous). Not told apart: a
    3-d or larger result of elementwise ops on a permuted view, or a permuted view of a
    convolution's result, also count as contiguous."""
    a = t.array
    if a.size == 0:    # (ops.strided.element_strides': 0s are row-major, else as given)
        return _steps(a) if any(a.strides) else contiguous_strides(a.shape)
    view = t.__dict__.get("_view")
    base = view[0] if view is not None and np.may_share_memory(view[0].array, a) else t
    root = t.__dict__.get("_storage_root")     # (the one a detach(), .data or set_ of a
    if root is None:                            # view shares: storage_root; or a view's
        root = t._view_base                     # root, made in any mode: tensor.py)
    if base is t and root is not None and np.may_share_memory(root.array, a):
        base = root
    if _trusted(base):
        return _steps(a)
    if base is not t:                    # a view of it: each step read in the base's dims
        steps = _steps_in(a, base.array)
        if steps is not None:
            return steps
    perm = None if base is t else _permutation_of(a, base.array)
    if perm is not None:             # a permuted view of it: torch's strides, permuted too
        steps = contiguous_strides(base.array.shape)
        return tuple(steps[j] for j in perm)
    return contiguous_strides(a.shape)


def _steps_in(a, b, torch_b=None):
    """torch's strides (in elements) of ``a``, a view into the memory of ``b`` — an (N, C,
    ...) array laid out in another order (the library's own), whose torch tensor is
    contiguous (or has the strides ``torch_b``): each of ``a``'s byte strides is written as
    whole steps along ``b``'s dims (the digits of a mixed radix: ``b``'s memory is dense, so
    from its outermost dim inward each digit is unique), and read back in ``b``'s torch
    strides. (A slice, a ``select`` or a permutation of a convolution's result: torch's
    strides, not a guess.) None where a stride is not such a sum (negative, or no whole
    step)."""
    torch_b = contiguous_strides(b.shape) if torch_b is None else torch_b
    order = sorted((j for j in range(b.ndim) if b.shape[j] > 1), key=lambda j: -b.strides[j])
    out = []
    for n, s in zip(a.shape, a.strides):
        if n == 1:                           # (no step along it: torch's is the one inside)
            out.append(None)
            continue
        total = _in_torch_steps(s, b, order, torch_b)
        if total is None:
            return None
        out.append(total)
    inner = 1                                # a size-1 dim: the stride past what is inside it
    for i in range(len(out) - 1, -1, -1):
        if out[i] is None:
            out[i] = inner
        inner = max(inner, out[i] * a.shape[i])
    return tuple(out)


def _in_torch_steps(nbytes, b, order, torch_b):
    """``nbytes`` (a distance in ``b``'s dense memory) as whole steps along ``b``'s dims
    (``order``: outermost first), counted in ``b``'s torch strides; None if it is none."""
    if nbytes < 0:
        return None
    total = 0
    for j in order:
        q, nbytes = divmod(nbytes, b.strides[j])
        total += q * torch_b[j]
    return None if nbytes else total


# ---------------------------------------------------------------------------- torch's storage
# A result kept in the library's own order (a convolution's, a pooling's, a resampling's, and
# elementwise results of them) is contiguous in torch: torch's storage holds its values in
# row-major order, and a view of it (a slice, a transpose, detach(), set_) sits in that
# storage at torch's strides and offset — not at the NumPy array's. Storage-level operations
# (storage_offset, as_strided, storage(), set_, data_ptr) read these.
def storage_root(t):
    """The tensor whose storage ``t`` shares in torch: the root a view was made from (its
    ``_base``), or the one a ``detach()``, ``.data`` or ``set_`` of a view shares
    (``_storage_root``) — where it shares t's memory — else ``t`` itself."""
    root = t.__dict__.get("_storage_root")
    if root is None:
        root = t._view_base
    if root is None or root is t or not np.may_share_memory(root.array, t.array):
        return t
    further = root.__dict__.get("_storage_root")    # (a view of a detach() of a view)
    return root if further is None else storage_root(root)


def geometry_or_none(t):
    """:func:`torch_geometry`, or None where t's place cannot be told (what writes t's values
    out — save, pickle — then writes them in its own memory's order: the same values)."""
    try:
        return torch_geometry(t)
    except RuntimeError:
        return None


def storage_place(t):
    """:func:`torch_geometry` for ``storage_offset()`` and ``data_ptr()``: None (t's own
    memory) for a result whose torch layout is not known here but that views no other — a
    new result sits at its storage's start, whatever its layout."""
    if "_layout_unsure" in t.__dict__ and storage_root(t) is t:
        return None
    return torch_geometry(t)


def torch_geometry(t):
    """``(values, strides, offset)`` when torch's storage of ``t`` is not t's NumPy memory:
    torch's storage is ``values`` (an array) read in row-major order, and t sits in it at
    torch's ``strides`` and storage ``offset`` (in elements). None where t's NumPy memory,
    strides and offset are torch's (every tensor not in the library's own order: nothing is
    computed for it). A copy standing for torch's view of another tensor (``contiguous()``,
    a ``view()`` that had to copy: ``_stands_for``) sits where torch's view would.
    RuntimeError where t's place cannot be told exactly (no whole step in the root's
    memory). (A meta tensor's strides and offset are its own: meta.py.)"""
    if type(t.array) is MetaArray or not t.array.size:    # (an empty tensor reads nothing)
        return None
    root = storage_root(t)
    place = _root_place(root)
    if place is None or root is t:
        return place
    values, strides, offset = place
    a, b = t.array, root.array
    order = sorted((j for j in range(b.ndim) if b.shape[j] > 1), key=lambda j: -b.strides[j])
    steps = _steps_in(a, b, strides)
    start = _in_torch_steps(a.__array_interface__["data"][0] - b.__array_interface__["data"][0],
                            b, order, strides)
    if steps is None or start is None:
        raise RuntimeError("this tensor views a result kept in the library's own memory order "
                           "(a convolution's, pooling's or resampling's: contiguous in torch) "
                           "at a place that has no torch strides and storage offset to give; "
                           "use .clone(memory_format=torch.contiguous_format) first")
    return values, steps, offset + start


def stand_for_contiguous(copy, input):
    """Mark ``copy``, ``contiguous()``'s copy of ``input`` (a result kept in the library's own
    order, which torch's ``contiguous()`` returns itself), to sit in torch's storage where
    input does: its storage root (held weakly: once it is gone, nothing shares the copy's
    memory in torch, so it may be written as before), input's strides and offset there."""
    try:
        place = torch_geometry(input)
    except RuntimeError:                      # (a place not to be told: reads refused)
        place = None
    if place is None:
        copy._stands_for = (None, None, None)
        return
    root = storage_root(input)
    whole = place[2] == 0 and input.array.size == root.array.size
    copy._stands_for = (weakref.ref(root), place[1:], whole)


def _contiguous_place(copy, root, geometry, whole):
    """torch_geometry of a copy marked by :func:`stand_for_contiguous`."""
    if root is None:
        raise RuntimeError("this copy stands for torch's contiguous() of a tensor whose place "
                           "in torch's storage this library cannot tell; use .clone() first")
    strides, offset = geometry
    source = root()
    if source is not None:
        return torch_geometry(source)[0], strides, offset
    if whole:                 # (the storage's whole tensor: the copy now holds its values)
        return copy.array, strides, 0
    raise RuntimeError("this copy stood for torch's contiguous() of a view whose tensors are "
                       "gone: its place in torch's storage cannot be told; use .clone() first")


def _root_place(root):
    """torch_geometry of a tensor that views no other: a copy standing for torch's view
    (``_stands_for``: its source's storage, with the view's strides), or one in the library's
    own order (its values, row-major from 0), else None."""
    stands = root.__dict__.get("_stands_for")
    if stands is not None:
        if len(stands) == 3:                  # (contiguous(): see _contiguous_place)
            return _contiguous_place(root, *stands)
        source, strides = stands
        place = torch_geometry(source)
        if place is None:
            raise RuntimeError("this copy stands for torch's view of a tensor whose storage "
                               "this library cannot tell; use .clone() first")
        return place[0], strides, place[2]
    a = root.array
    if not a.size or _trusted(root) or not _dense(a.shape, _steps(a)):
        return None           # (not dense: no result in the library's order, a broadcast)
    if root.__dict__.get("_layout_unsure"):
        raise RuntimeError("this tensor is (or views) a result kept in the library's own "
                           "memory order whose layout in torch follows a channels-last or "
                           "permuted input, which this library does not track: its storage, "
                           "storage offset and as_strided places in torch cannot be given. "
                           "Use .clone(memory_format=torch.contiguous_format) first")
    return a, contiguous_strides(a.shape), 0


def _permutation_of(a, b):
    """``p`` with ``a`` the view ``b.transpose(p)`` (same memory, dims permuted), or None."""
    if a.ndim != b.ndim or a.size != b.size or \
            a.__array_interface__["data"][0] != b.__array_interface__["data"][0]:
        return None
    free, perm = list(range(b.ndim)), []
    for n, st in zip(a.shape, a.strides):      # (a size-1 dim: the first free one of size 1)
        j = next((j for j in free if b.shape[j] == n and (n == 1 or b.strides[j] == st)), None)
        if j is None:
            return None
        free.remove(j)
        perm.append(j)
    return tuple(perm)


def _dense(shape, strides) -> bool:
    """torch's ``is_non_overlapping_and_dense``: a permutation of a contiguous layout."""
    step = 1
    for d in sorted((d for d in range(len(shape)) if shape[d] > 1), key=lambda d: strides[d]):
        if strides[d] != step:
            return False
        step *= shape[d]
    return True


def like_strides(input, memory_format=None, op="empty_like") -> tuple:
    """The strides torch gives ``empty_like(input, memory_format=...)``: with
    ``preserve_format`` (the default) input's own strides when they are dense, else dense ones
    in the same order (``infer_dense_strides``: ``zeros_like(x[::2].t())`` is transposed
    too); ``contiguous_format`` row-major; a channels-last format (N, [D,] H, W, C) memory."""
    from .functions.memory_formats import check_format
    check_format(memory_format, op)                  # (op: the function named in its error)
    shape = tuple(input.shape)
    name = "preserve_format" if memory_format is None else memory_format.name
    if name == "contiguous_format":
        return contiguous_strides(shape)
    if memory_format is not None and memory_format.rank is not None:
        memory_format.check_rank(len(shape))
        inner = contiguous_strides((shape[0], *shape[2:], shape[1]), 0)   # (N, ..., C) memory
        return (inner[0], inner[-1], *inner[1:-1])     # (a size-0 dim counts 0 here, as torch)
    strides = torch_strides(input)
    if 0 in shape or _dense(shape, strides):       # (an empty tensor is contiguous: as it is)
        return strides
    dense, step = [0] * len(shape), 1
    for d in reversed(dim_order(shape, strides)):
        dense[d] = step
        step *= max(shape[d], 1)
    return tuple(dense)


def strided_array(values, strides) -> np.ndarray:
    """A copy of ``values`` laid out in memory with ``strides`` (dense, in elements)."""
    flat = np.empty(values.size, values.dtype)
    out = np.lib.stride_tricks.as_strided(flat, values.shape,
                                          tuple(s * flat.itemsize for s in strides))
    out[...] = values
    return out


def made_like(values, strides, requires_grad=False) -> Tensor:
    """A new tensor of ``values`` laid out with torch's ``strides`` (:func:`strided_array`),
    marked as holding torch's strides (:func:`torch_strides` then reads them as they are)."""
    t = Tensor._of(strided_array(values, strides), requires_grad=requires_grad)
    t._torch_strides = True
    return t


def _like(fn, fill):
    def like(input, dtype=None, *, layout=None, device=None, requires_grad=False,
             memory_format=None):
        meta = check_device(device, meta=True) is META or (
            device is None and type(input.array) is MetaArray)    # (input's device)
        check_layout(layout, like.__name__)
        dtype = np.dtype(input.dtype if dtype is None else dtype)
        if meta:
            from .meta import make, like_strides as meta_strides
            return make(input.shape, dtype, requires_grad, meta_strides(input, memory_format,
                                                                         like.__name__))
        values = np.full(input.shape, memory_fill(dtype, fill), dtype)
        return made_like(values, like_strides(input, memory_format, like.__name__),
                         requires_grad)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = (f"``{fn.__name__}`` with the shape (and dtype) of another tensor, laid out "
                    f"in memory as it (torch's ``memory_format=preserve_format``).")
    return like


zeros_like, ones_like, empty_like = _like(zeros, 0), _like(ones, 1), _like(empty, None)


def full_like(input, fill_value, dtype=None, *, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """``full`` with the shape (and, unless given, dtype) of ``input``, laid out in memory as
    it."""
    check_layout(layout, "full_like")
    if check_device(device, meta=True) is META or (device is None and
                                                    type(input.array) is MetaArray):
        return zeros_like(input, dtype=dtype or input.dtype, device="meta",
                          requires_grad=requires_grad, memory_format=memory_format)
    made = full(input.shape, fill_value, dtype=dtype or input.dtype, device=device,
                requires_grad=False)
    return made_like(made.array, like_strides(input, memory_format, "full_like"), requires_grad)


def _new(fill, name):
    def new(self, *size, dtype=None, layout=None, device=None, requires_grad=False,
            **size_keyword):
        check_layout(layout, name)
        if device is None and type(self.array) is MetaArray:     # (this tensor's device)
            device = META
        return _filled(name, fill, size, dtype or self.dtype, device, requires_grad,
                       size_keyword)
    new.__name__, new.__doc__ = name, f"``{name[4:]}`` of the given size, with this tensor's dtype."
    return tensor_method(new)


new_zeros, new_ones, new_empty = (_new(0, "new_zeros"), _new(1, "new_ones"),
                                  _new(None, "new_empty"))


@tensor_method
def new_full(self, size, fill_value, *, dtype=None, layout=None, device=None,
             requires_grad=False):
    if device is None and type(self.array) is MetaArray:         # (this tensor's device)
        device = META
    return full(size, fill_value, dtype=dtype or self.dtype, layout=layout, device=device,
                requires_grad=requires_grad)


@tensor_method
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """``tensor(data)`` with this tensor's dtype unless ``dtype`` says otherwise."""
    if device is None and type(self.array) is MetaArray:         # (this tensor's device)
        device = META
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)
