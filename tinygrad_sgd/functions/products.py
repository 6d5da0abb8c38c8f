"""Products of tensors beyond matmul: outer, dot, mv, bmm, baddbmm, addmm, addmv, addr,
tensordot, kron — torch's signatures, dtype rules and error messages; the math is in
:mod:`tinygrad_sgd.ops.products`. (einsum has its own file, :mod:`.einsum_equation`.)

torch is strict about dtypes here (``dot``, ``mv``, ``bmm``, ``addmm`` refuse a float32 next to a
float64, and bool), but ``outer``, ``addr`` and ``kron`` promote.
"""
import numbers
import string

import numpy as np

from .. import ops
from ..dtypes import _SCALAR_TYPE_NAMES, result_dtype
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, tensor_method

__all__ = ["outer", "ger", "dot", "mv", "bmm", "baddbmm", "addmm", "addmv", "addr",
           "tensordot", "kron"]

LETTERS = string.ascii_uppercase + string.ascii_lowercase   # torch's label order: A-Z, a-z
_SCALAR_NAME = _SCALAR_TYPE_NAMES
_C_NAME = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int",
           "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
           "bool": "bool"}


def _name(t):
    """torch's scalar-type name of a Tensor's (or array's) dtype: Float, Long, ..."""
    return _SCALAR_NAME[np.dtype(t.dtype).name]


def _tensor(x, fn, arg, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")
    return x


def _not_for_bool(fn, *tensors):
    if any(t.dtype == np.bool_ for t in tensors):
        raise NotImplementedError(f'"{fn}" not implemented for \'Bool\'')


def matmul_not_for_bool(a, b):
    """torch's error for a bool matmul, named after the kernel its dims reach ("dot" for two
    vectors, "addmv_impl_cpu" for a vector on the right, "addmm_impl_cpu_" when the batch folds
    into a matrix, "bmm" otherwise); an empty operand returns before the kernel, so no error."""
    if a.dtype != np.bool_:
        return
    if a.ndim == 1 and b.ndim == 1:
        _not_for_bool("dot", a)
    if a.array.size == 0 or b.array.size == 0:
        return
    if b.ndim == 1:
        _not_for_bool("addmv_impl_cpu", a)
    _not_for_bool("addmm_impl_cpu_" if b.ndim == 2 else "bmm", a)


def _promote(*tensors):
    """torch's result dtype for tensors that are all broadcast to the result's shape first
    (kron, addr): a 0-d tensor is not "weak" there."""
    dtype = tensors[0].array.dtype
    for t in tensors[1:]:
        dtype = result_dtype(np.empty(1, dtype), np.empty(1, t.array.dtype))
    return dtype


def _size(t, dim):
    """``t.size(dim)`` with torch's IndexError."""
    if t.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if dim >= t.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-t.ndim}, "
                         f"{t.ndim - 1}], but got {dim})")
    return t.shape[dim]


def _check_expands(input, target):
    """That ``input`` broadcasts to ``target`` (torch's expand messages, last dim first)."""
    shape, target = list(input.shape), list(target)
    if len(shape) > len(target):
        raise ShapeError(f"expand(torch.{_name(input)}Tensor{{{shape}}}, size={target}): the "
                         f"number of sizes provided ({len(target)}) must be greater or equal to "
                         f"the number of dimensions in the tensor ({len(shape)})")
    lead = len(target) - len(shape)
    for i in reversed(range(len(shape))):
        if shape[i] != 1 and shape[i] != target[lead + i]:
            raise ShapeError(f"The expanded size of the tensor ({target[lead + i]}) must match "
                             f"the existing size ({shape[i]}) at non-singleton dimension "
                             f"{lead + i}.  Target sizes: {target}.  Tensor sizes: {shape}")


def _tensors(fn, **args):
    """Each named argument must be a Tensor (torch's message names its position)."""
    for position, (name, x) in enumerate(args.items(), 1):
        _tensor(x, fn, name, position)


def _coefficients(beta, alpha, like):
    """β and α as the ``beta=``/``alpha=`` options of a β·input + α·product op."""
    return {"beta": _scalar(beta, like, "beta"), "alpha": _scalar(alpha, like, "alpha")}


def _scalar(value, like, name, floats_allowed=True):
    """β or α as a Python number of ``like``'s kind: torch truncates a float for an integer
    tensor in addmm/baddbmm/addmv, and refuses it in addr."""
    if isinstance(value, Tensor):
        value = value.item()
    kind = like.dtype.kind
    if kind == "f":
        return float(value)
    if not floats_allowed and not isinstance(value, numbers.Integral):
        raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating "
                           f"point number.")
    return bool(value) if kind == "b" else int(value)


# ============================================================================ vectors
@tensor_method
def outer(input, vec2):
    """x ⊗ y for 1-D x and y (dtypes promote, as torch)."""
    _tensors("outer", input=input, vec2=vec2)
    for t, name in ((input, "self"), (vec2, "vec2")):
        if t.ndim != 1:
            raise ShapeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return ops.Outer.apply(input, vec2, dtype=result_dtype(input.array, vec2.array))


@tensor_method
def ger(input, vec2):
    """Old name of :func:`outer`."""
    return outer(input, vec2)


@tensor_method
def dot(input, tensor):
    """Σᵢ xᵢ·yᵢ of two 1-D tensors of the same dtype and length."""
    _tensors("dot", input=input, tensor=tensor)
    if input.ndim != 1 or tensor.ndim != 1:
        raise ShapeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.dtype != tensor.dtype:
        raise DTypeError(f"dot : expected both vectors to have same dtype, but found "
                         f"{_name(input)} and {_name(tensor)}")
    from .elementwise import no_shell_kernel
    no_shell_kernel("dot", input.array.dtype)
    n, m = input.shape[0], tensor.shape[0]
    if n != m:
        raise ShapeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have "
                         f"the same number of elements, but got {n} and {m} elements "
                         f"respectively")
    _not_for_bool("dot", input)
    return ops.Dot.apply(input, tensor)


@tensor_method
def mv(input, vec):
    """Matrix (n, m) times vector (m,)."""
    _tensors("mv", input=input, vec=vec)
    if input.ndim != 2 or vec.ndim != 1:
        raise ShapeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    n, m = input.shape
    if m != vec.shape[0]:
        raise ShapeError(f"size mismatch, got input ({n}), mat ({n}x{m}), vec ({vec.shape[0]})")
    if input.dtype != vec.dtype:
        raise DTypeError(f"addmv input tensors must have the same dtype, but got {_name(vec)}, "
                         f"{_name(input)}, and {_name(vec)}")
    _not_for_bool("addmv_impl_cpu", input)
    return ops.Mv.apply(input, vec)


@tensor_method
def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p): matmul without broadcasting."""
    _tensors("bmm", input=input, mat2=mat2)
    _check_bmm(input, mat2)
    return ops.Bmm.apply(input, mat2)


def _check_bmm(batch1, batch2):
    for t, name in ((batch1, "batch1"), (batch2, "batch2")):
        if t.ndim != 3:
            raise ShapeError(f"{name} must be a 3D tensor")
    b, _, k = batch1.shape
    if batch2.shape[:2] != (b, k):
        raise ShapeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                         f"[{b}, {k}] but got: [{batch2.shape[0]}, {batch2.shape[1]}].")
    _not_for_bool("bmm", batch1)             # (torch checks this before the dtypes)
    if batch1.dtype != batch2.dtype:
        raise DTypeError(f"expected scalar type {_name(batch1)} but found {_name(batch2)}")


# ======================================================================= β·input + α·(...)
@tensor_method
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·bmm(batch1, batch2); input broadcasts to the result; β = 0 ignores it."""
    _tensors("baddbmm", input=input, batch1=batch1, batch2=batch2)
    _check_expands(input, (_size(batch1, 0), _size(batch1, 1), _size(batch2, 2)))
    if input.dtype != batch1.dtype:
        raise DTypeError(f"Input dtypes must be the same, got: input {_C_NAME[input.dtype.name]}, "
                         f"batch1: {_C_NAME[batch1.dtype.name]}, batch2: "
                         f"{_C_NAME[batch2.dtype.name]}")
    _not_for_bool("baddbmm", input)
    _check_bmm(batch1, batch2)
    return ops.Baddbmm.apply(input, batch1, batch2, **_coefficients(beta, alpha, input))


@tensor_method
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """β·input + α·(mat1 @ mat2) for matrices; input broadcasts; β = 0 ignores it."""
    _tensors("addmm", input=input, mat1=mat1, mat2=mat2)
    for t, name in ((mat1, "mat1"), (mat2, "mat2")):
        if t.ndim != 2:
            raise ShapeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
    for t, name in ((input, "self"), (mat1, "mat1")):
        if t.dtype != mat2.dtype:
            raise DTypeError(f"{name} and mat2 must have the same dtype, but got {_name(t)} and "
                             f"{_name(mat2)}")
    (n, k), (k2, m) = mat1.shape, mat2.shape
    if k != k2:
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    _check_expands(input, (n, m))
    _not_for_bool("addmm_impl_cpu_", input)
    return ops.Addmm.apply(input, mat1, mat2, **_coefficients(beta, alpha, input))


@tensor_method
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """β·input + α·(mat @ vec); input is 0-d or 1-d (size n or 1); β = 0 ignores it."""
    _tensors("addmv", input=input, mat=mat, vec=vec)
    if input.ndim > 1 or mat.ndim != 2 or vec.ndim != 1:
        raise ShapeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                         f"{vec.ndim}")
    n, m = mat.shape
    if m != vec.shape[0] or input.numel() not in (n, 1):
        raise ShapeError(f"size mismatch, got input ({_size(input, 0)}), mat ({n}x{m}), vec "
                         f"({vec.shape[0]})")
    if not input.dtype == mat.dtype == vec.dtype:
        raise DTypeError(f"addmv input tensors must have the same dtype, but got {_name(input)}, "
                         f"{_name(mat)}, and {_name(vec)}")
    _not_for_bool("addmv_impl_cpu", input)
    return ops.Addmv.apply(input, mat, vec, **_coefficients(beta, alpha, input))


@tensor_method
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """β·input + α·(vec1 ⊗ vec2); dtypes promote; for bool tensors + is "or", · is "and"."""
    _tensors("addr", input=input, vec1=vec1, vec2=vec2)
    for t, name in ((vec1, "vec1"), (vec2, "vec2")):
        if t.ndim != 1:
            raise ShapeError(f"addr: Expected 1-D argument {name}, but got {t.ndim}-D")
    _check_expands(input, (vec1.shape[0], vec2.shape[0]))
    dtype = _promote(input, vec1, vec2)
    like = np.empty(0, dtype)
    for value, name in ((beta, "beta"), (alpha, "alpha")):
        if isinstance(value, (bool, np.bool_)) and dtype != np.bool_:
            raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
    beta = _scalar(beta, like, "beta", floats_allowed=False)
    alpha = _scalar(alpha, like, "alpha", floats_allowed=False)
    input, vec1, vec2 = (t if t.dtype == dtype else t.to(dtype) for t in (input, vec1, vec2))
    return ops.Addr.apply(input, vec1, vec2, beta=beta, alpha=alpha)


# ========================================================================= tensordot, kron
def tensordot(a, b, dims=2, out=None):
    """Contract ``dims`` pairs of dims: an int n (the last n of a with the first n of b), a
    pair of lists ``([dims of a], [dims of b])``, or a Tensor holding either. A size-1 dim
    against a bigger one broadcasts (summed on the other side), as torch."""
    if out is not None:
        raise NotImplementedError("tensordot: out= is not supported")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int) and not isinstance(dims, bool):    # (not a NumPy int: torch)
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (list, tuple)):
        dims_a, dims_b = dims
        for d, name, pos in ((dims_a, "dims_self", 3), (dims_b, "dims_other", 4)):
            if not isinstance(d, (list, tuple)):
                raise TypeError(f"tensordot(): argument '{name}' (position {pos}) must be tuple "
                                f"of ints, not {type(d).__name__}")
    else:
        raise RuntimeError(f"tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    axes_a, axes_b = [], []
    for da, db in zip(dims_a, dims_b):
        ia, ib = _axis(a, da), _axis(b, db)
        sa, sb = a.shape[ia], b.shape[ib]
        if sa != sb and sa != 1 and sb != 1:
            raise ShapeError(f"contracted dimensions need to match, but first has size {sa} in "
                             f"dim {da} and second has size {sb} in dim {db}")
        axes_a.append(ia)
        axes_b.append(ib)
    for axes in (axes_a, axes_b):
        for d in axes:
            if axes.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    _not_for_bool("addmm_impl_cpu_", a)
    la = LETTERS[:a.ndim]
    lb = [la[axes_a[axes_b.index(j)]] if j in axes_b else LETTERS[a.ndim + j]
          for j in range(b.ndim)]
    out_labels = [c for i, c in enumerate(la) if i not in axes_a] + \
        [c for j, c in enumerate(lb) if j not in axes_b]
    equation = f"{la},{''.join(lb)}->{''.join(out_labels)}"
    return ops.Tensordot.apply(a, b, equation=equation, axes=(tuple(axes_a), tuple(axes_b)))


def _axis(t, d):
    n = max(t.ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {d})")
    return d % n


@tensor_method
def kron(input, other):
    """Kronecker product: the shorter shape is padded with leading 1s, then
    ``out[.., i·q + k, ..] = input[.., i, ..]·other[.., k, ..]``; dtypes promote."""
    _tensors("kron", input=input, other=other)
    n = max(input.ndim, other.ndim)
    la = string.ascii_uppercase[n - input.ndim:n]
    lb = string.ascii_lowercase[n - other.ndim:n]
    out = "".join(string.ascii_uppercase[i] * (i >= n - input.ndim)
                  + string.ascii_lowercase[i] * (i >= n - other.ndim) for i in range(n))
    return ops.Kron.apply(input, other, equation=f"{la},{lb}->{out}",
                          dtype=_promote(input, other))
