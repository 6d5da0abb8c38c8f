"""The Tensor: a NumPy array plus what backpropagation needs.

A Tensor holds ``data`` (a NumPy array), ``requires_grad``, ``grad`` (a Tensor or None, filled by
``backward()``) and ``grad_fn`` (the graph node that produced it, or None for a leaf). Every
operation below is a thin call into one primitive of :mod:`tinygrad_sgd.ops`, or a short
composition of them (``mean = sum / n``, ``a - b``, ``stack = unsqueeze + cat``).
"""
from __future__ import annotations

import numbers
import operator
import weakref

import numpy as np

from . import autograd
from . import ops
from .ops.reduce import normalize_dims

float32, float64, int64, int32, bool_ = np.float32, np.float64, np.int64, np.int32, np.bool_

_rng = np.random.default_rng()


def manual_seed(seed: int):
    """Seed every random draw of the library (rand, randn, initialisation, dropout, ...)."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def get_rng() -> np.random.Generator:
    """The library's random generator (reseeded by :func:`manual_seed`)."""
    return _rng


def _as_array(data, dtype=None):
    """Turn user data into an array with torch's dtype rules, refusing what is not numeric."""
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"Tensor: data must be a rectangular (non-ragged) nested sequence "
                             f"of numbers: {e}") from None
        if dtype is None:
            if arr.dtype.kind == "f":
                arr = arr.astype(np.float32)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64)
    if arr.dtype.kind not in "biuf":
        kind = "complex" if arr.dtype.kind == "c" else f"non-numeric ({arr.dtype})"
        raise TypeError(f"Tensor: {kind} data is not supported; "
                        f"expected numbers (bool, int or float), got {type(data).__name__}"
                        + (f" with dtype {arr.dtype}" if hasattr(data, "dtype") else ""))
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind not in "biuf":
            raise TypeError(f"Tensor: unsupported dtype {dtype}")
        arr = arr.astype(dtype, copy=False)
    return arr


# In-place changes are counted per block of memory, not per Tensor object: a detached tensor, a
# view (reshape, transpose, basic indexing, expand), a Parameter or a state_dict() entry built on
# the same array all see — and bump — one counter, as torch's views share their base's version.
_inplace_changes = {}   # id(the ndarray that owns the memory) -> in-place changes made to it


def _memory_owner(array):
    """The ndarray at the end of ``array``'s ``.base`` chain: the one owning the memory."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)``: Python floats become float32, Python
    ints int64, NumPy arrays keep their dtype (and are not copied).
    """
    __array_priority__ = 100  # so ndarray ⊕ Tensor calls Tensor's reflected operator
    # defaults at class level: a new Tensor only stores its array (fast for small graphs)
    grad = None             # d(last backward root)/d(self), a Tensor, filled by backward()
    grad_fn = None          # the graph node that produced this tensor (None for a leaf)
    requires_grad = False
    _hooks = None
    _retains_grad = False

    def __init__(self, data, requires_grad=False, dtype=None):
        if type(data) is np.ndarray and dtype is None and data.dtype.kind in "biuf":
            self.data = data
        elif isinstance(data, np.generic) and dtype is None and data.dtype.kind in "biuf":
            self.data = np.asarray(data)
        else:
            self.data = _as_array(data, dtype)
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        return self.data.ndim

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def numpy(self):
        """The values as a **read-only** NumPy view (copy it to modify: the graph may still need
        these exact values for backward, so writing into them is made impossible)."""
        view = self.data.view()
        view.flags.writeable = False
        return view

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): only a tensor with one element can be converted to a "
                             f"Python number; this one has shape {self.shape} "
                             f"({self.data.size} elements)")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of a tensor with {self.data.size} elements is "
                               f"ambiguous (shape {self.shape}); use .any() or .all()")
        return bool(self.data.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.data.item())

    def __array__(self, dtype=None, copy=None):
        """What NumPy sees: ``np.array(t)`` is a copy, ``np.asarray(t)`` a read-only view
        (as :meth:`numpy`), so NumPy code can't silently change values backward needs."""
        if copy or (dtype is not None and np.dtype(dtype) != self.dtype):
            return np.array(self.data, dtype=dtype, copy=True)
        return self.numpy()

    def __hash__(self):
        return id(self)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4,
                               floatmode="maxprec_equal" if self.dtype.kind == "f" else "maxprec")
        extra = ""
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extra += f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn={self.grad_fn!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients "
                               f"(this one is {self.dtype})")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors; "
                               "use detach() for a non-leaf")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A new leaf Tensor sharing the values, cut off from the graph."""
        return Tensor(self.data)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def clone(self):
        return self + 0.0 if self.requires_grad else Tensor(self.data.copy())

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Backpropagate from this tensor: add d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required unless this tensor holds a single element. The graph's saved
        arrays are freed afterwards unless ``retain_graph=True``; ``create_graph=True`` records
        the backward pass itself, so the gradients can be differentiated again."""
        autograd.backward(self, gradient, retain_graph, create_graph)

    def register_hook(self, hook):
        """``hook(grad)`` is called with the gradient flowing into this tensor during backward;
        it may return a replacement gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require grad")
        if self.grad_fn is not None:
            self.grad_fn.register_prehook(hook)
            hooks = self.grad_fn._pre_hooks
        else:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            hooks = self._hooks
        return _HookHandle(hooks, hook)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep theirs)."""
        if self.grad_fn is None or self._retains_grad:
            return
        import weakref
        ref = weakref.ref(self)

        def store(g):  # a copy: g itself flows on and may reach other tensors' .grad
            t = ref()
            if t is not None:
                t.grad = Tensor(g.data.copy() if t.grad is None else t.grad.data + g.data)
        store.retains_grad = True  # run after every other hook, as torch
        self._retains_grad = True
        self.grad_fn.register_prehook(store)

    def zero_(self):
        self._bump_version()
        self.data[...] = 0
        return self

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has seen (through any Tensor sharing
        it). ``save_for_backward`` records it; backward refuses a saved tensor whose version
        moved, instead of silently using changed values."""
        if not _inplace_changes:
            return 0
        return _inplace_changes.get(id(_memory_owner(self.data)), 0)

    def _bump_version(self):
        if self.grad_fn is not None or (self.requires_grad and autograd.is_grad_enabled()):
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation; wrap it in no_grad() (as optimizers do)"
                               if self.grad_fn is None else
                               "in-place operations on non-leaf tensors are not supported")
        owner = _memory_owner(self.data)
        key = id(owner)
        if key not in _inplace_changes:  # forget the count when the memory is freed
            weakref.finalize(owner, _inplace_changes.pop, key, None).atexit = False
        _inplace_changes[key] = _inplace_changes.get(key, 0) + 1

    def _check_fits(self, op, other):
        """An in-place op can't change the shape: ``other`` must broadcast to this shape."""
        shape = np.shape(other)
        if shape == self.data.shape or not shape:
            return
        try:
            fits = np.broadcast_shapes(shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"{op}: an operand of shape {tuple(shape)} does not fit into a "
                               f"tensor of shape {self.shape} (an in-place result must keep "
                               f"the tensor's shape)")

    # ------------------------------------------------------------------ in-place (optimizers)
    def add_(self, other, alpha=1.0):
        other = other.data if isinstance(other, Tensor) else other
        self._check_fits("add_", other)
        self._bump_version()
        self.data += other if alpha == 1.0 else alpha * other
        return self

    def mul_(self, other):
        other = other.data if isinstance(other, Tensor) else other
        self._check_fits("mul_", other)
        self._bump_version()
        self.data *= other
        return self

    def copy_(self, src):
        src = np.asarray(src.data if isinstance(src, Tensor) else src)
        self._check_fits("copy_", src)
        self._bump_version()
        self.data[...] = src
        return self

    def __setitem__(self, index, value):
        self._bump_version()
        index = _unwrap_index(index)
        self.data[index] = value.data if isinstance(value, Tensor) else value

    # ------------------------------------------------------------------ dtype
    def to(self, dtype):
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        if self.requires_grad and dtype.kind == "f":
            return ops.Cast.apply(self, dtype)
        return Tensor(self.data.astype(dtype))

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    # ------------------------------------------------------------------ arithmetic
    def _other(self, other):
        """Wrap a Python number (or array) as a constant Tensor of a matching dtype."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number) and not isinstance(other, np.ndarray):
            if isinstance(other, numbers.Complex) and not isinstance(other, numbers.Real):
                raise TypeError(f"Tensor: complex numbers are not supported (got {other!r})")
            if self.dtype.kind == "f":
                return Tensor(np.asarray(other, dtype=self.dtype))
            if isinstance(other, (bool, np.bool_)) and self.dtype.kind == "b":
                return Tensor(np.asarray(other))
            if isinstance(other, numbers.Integral):
                return Tensor(np.asarray(other, dtype=np.int64 if self.dtype.kind == "b"
                                         else self.dtype))
            return Tensor(np.asarray(other, dtype=np.float32))
        return Tensor(other)

    def _operands(self, other, reflected=False):
        """``(self, other)``, or ``(other, self)`` when reflected, with ``other`` wrapped and
        both in the dtype torch gives the result (see :func:`_promote`)."""
        other = self._other(other)
        return _promote(other, self) if reflected else _promote(self, other)

    def __add__(self, other):
        return ops.Add.apply(*self._operands(other))

    def __radd__(self, other):
        return ops.Add.apply(*self._operands(other, reflected=True))

    def __sub__(self, other):
        return ops.Sub.apply(*self._operands(other))

    def __rsub__(self, other):
        return ops.Sub.apply(*self._operands(other, reflected=True))

    def __mul__(self, other):
        return ops.Mul.apply(*self._operands(other))

    def __rmul__(self, other):
        return ops.Mul.apply(*self._operands(other, reflected=True))

    def __truediv__(self, other):
        a, b = self._operands(other)
        if a.dtype.kind in "biu":  # both integer (after promotion): true division, as torch
            a, b = a.float(), b.float()
        return ops.Div.apply(a, b)

    def __rtruediv__(self, other):
        return self._other(other).__truediv__(self)

    def __pow__(self, exponent):
        if isinstance(exponent, numbers.Number):
            if isinstance(exponent, np.generic):  # a NumPy scalar acts as a Python number
                exponent = exponent.item()
            base = self
            if self.dtype.kind != "f" and isinstance(exponent, float):  # int ** 0.5: float32
                base = self.float()
            return ops.PowScalar.apply(base, exponent)
        return ops.Pow.apply(*self._operands(exponent))

    def __rpow__(self, base):
        return ops.Pow.apply(*self._operands(base, reflected=True))

    def __neg__(self):
        return ops.Neg.apply(self)

    def __matmul__(self, other):
        return matmul(self, other if isinstance(other, Tensor) else Tensor(other))

    def __rmatmul__(self, other):
        return matmul(self._other(other), self)

    add, sub, mul, div, pow, neg = __add__, __sub__, __mul__, __truediv__, __pow__, __neg__

    def exp(self):
        return ops.Exp.apply(self)

    def log(self):
        return ops.Log.apply(self)

    def sqrt(self):
        return ops.Sqrt.apply(self)

    def abs(self):
        return ops.Abs.apply(self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        return ops.Clamp.apply(self, min, max)

    clip = clamp

    def relu(self):
        return ops.ReLU.apply(self)

    def sigmoid(self):
        return ops.Sigmoid.apply(self)

    def tanh(self):
        return ops.Tanh.apply(self)

    def softmax(self, dim):
        return ops.Softmax.apply(self, dim)

    def log_softmax(self, dim):
        return ops.LogSoftmax.apply(self, dim)

    # ------------------------------------------------------------------ comparisons
    def _compare(self, other, fn):
        other = other.data if isinstance(other, Tensor) else other
        try:
            return Tensor(np.asarray(fn(self.data, other)))
        except ValueError:
            raise ValueError(f"comparison: shapes {self.shape} and {np.shape(other)} cannot be "
                             f"broadcast together") from None

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __and__(self, other):
        return self._compare(other, np.logical_and)

    def __or__(self, other):
        return self._compare(other, np.logical_or)

    def __invert__(self):
        return Tensor(~self.data)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def any(self):
        return Tensor(np.asarray(self.data.any()))

    def all(self):
        return Tensor(np.asarray(self.data.all()))

    def isnan(self):
        return Tensor(np.isnan(self.data))

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False):
        dims = normalize_dims(dim, self.ndim, "sum")
        return ops.Sum.apply(self, dims, keepdim)

    def mean(self, dim=None, keepdim=False):
        if self.dtype.kind != "f":
            raise RuntimeError(f"mean(): needs a floating point tensor, got {self.dtype}")
        dims = normalize_dims(dim, self.ndim, "mean")
        n = 1
        for d in dims:
            n *= self.shape[d]
        return ops.Sum.apply(self, dims, keepdim) / float(n)

    def max(self, dim=None, keepdim=False):
        """Without ``dim``: the largest element. With ``dim``: ``(values, indices)`` as torch."""
        if dim is None:
            return ops.Max.apply(self)
        (d,) = normalize_dims(dim, self.ndim, "max") or (0,)
        values = ops.MaxDim.apply(self, d, keepdim)
        indices = ops.ArgMax.apply(self, d, keepdim) if self.ndim else Tensor(np.int64(0))
        return MaxResult(values, indices)

    def min(self, dim=None, keepdim=False):
        if dim is None:
            return -((-self).max())
        values, indices = (-self).max(dim, keepdim)
        return MaxResult(-values, indices)

    def argmax(self, dim=None, keepdim=False):
        if dim is not None:
            (dim,) = normalize_dims(dim, self.ndim, "argmax") or (0,)
        return ops.ArgMax.apply(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return (-self.detach()).argmax(dim, keepdim)

    def var(self, dim=None, keepdim=False, unbiased=True):
        dims = normalize_dims(dim, self.ndim, "var")
        n = int(np.prod([self.shape[d] for d in dims]))
        centred = self - self.mean(dims, keepdim=True)
        return (centred * centred).sum(dims, keepdim) / float(n - 1 if unbiased else n)

    def std(self, dim=None, keepdim=False, unbiased=True):
        var = self.var(dim, keepdim, unbiased)
        zero = var.data == 0
        if not zero.any():
            return var.sqrt()
        # where std = 0 (constant values) torch's gradient is 0, not ∞·0 = NaN through sqrt
        safe = where(zero, 1.0, var).sqrt()
        return where(zero, 0.0, safe)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if any(s < -1 for s in shape):
            raise ValueError(f"view/reshape: invalid shape {shape}: sizes must be >= 0 (one of "
                             f"them may be -1, inferred from the others)")
        if shape == self.shape:
            return self
        return ops.Reshape.apply(self, shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims ``start_dim..end_dim`` into one (a 0-d tensor becomes 1-d)."""
        if self.ndim == 0:
            return self.reshape(1)
        for d in (start_dim, end_dim):
            if not -self.ndim <= d < self.ndim:
                raise IndexError(f"flatten: dim {d} is out of range for a tensor of shape "
                                 f"{self.shape}")
        s, e = start_dim % self.ndim, end_dim % self.ndim
        if s > e:
            raise ValueError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
                             f"({end_dim})")
        shape = self.shape
        return self.reshape(shape[:s] + (-1,) + shape[e + 1:])

    def permute(self, *dims):
        dims = tuple(d % max(self.ndim, 1) for d in _shape_arg(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(f"permute: dims {dims} are not a permutation of the "
                             f"{self.ndim} dimensions of a tensor of shape {self.shape}")
        return ops.Permute.apply(self, dims)

    def transpose(self, dim0, dim1):
        n = max(self.ndim, 1)
        for d in (dim0, dim1):
            if not -n <= d < n:
                raise IndexError(f"transpose: dim {d} is out of range for a tensor of shape "
                                 f"{self.shape}")
        if self.ndim < 2:
            return self
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return ops.Permute.apply(self, tuple(dims))

    @property
    def T(self):
        n = self.data.ndim
        return ops.Permute.apply(self, tuple(range(n - 1, -1, -1))) if n >= 2 else self

    @property
    def mT(self):
        """The last two dims swapped (a batch of matrices, each transposed)."""
        n = self.data.ndim
        if n < 2:
            raise ValueError(f"mT needs at least 2 dims, got shape {self.shape}")
        return ops.Permute.apply(self, tuple(range(n - 2)) + (n - 1, n - 2))

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dimensions, got shape {self.shape}")
        return self.T

    def unsqueeze(self, dim):
        n = self.ndim + 1
        if not -n <= dim < n:
            raise IndexError(f"unsqueeze: dim {dim} is out of range for a tensor of shape "
                             f"{self.shape} (expected in [{-n}, {n - 1}])")
        dim %= n
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = normalize_dims(dim, self.ndim, "squeeze")
        return self.reshape(tuple(s for i, s in enumerate(self.shape)
                                  if not (i in dims and s == 1)))

    def expand(self, *shape):
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: the target shape {shape} has fewer dims than the tensor's "
                             f"shape {self.shape}")
        if -1 in shape[:lead]:
            raise ValueError(f"expand: -1 (keep the size) is not allowed in a new leading dim: "
                             f"target shape {shape} for a tensor of shape {self.shape}")
        shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
        if shape == self.shape:
            return self
        return ops.Expand.apply(self, shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def __getitem__(self, index):
        return ops.GetItem.apply(self, _unwrap_index(index))

    def split(self, size, dim=0):
        n = self.shape[dim]
        return tuple(self[(slice(None),) * (dim % self.ndim) + (slice(i, i + size),)]
                     for i in range(0, n, size))

    # ------------------------------------------------------------------ misc
    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))


class MaxResult(tuple):
    """``(values, indices)`` of ``max(dim)``/``min(dim)``, also reachable by name."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


class _HookHandle:
    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _shape_arg(shape):
    """Sizes or dims given as ``f(2, 3)`` or ``f((2, 3))``, as a tuple of ints; a float (or a
    float tensor) is refused, not truncated (``zeros(2.5)`` is an error, as in torch)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        bad = next(s for s in shape if not hasattr(type(s), "__index__") or
                   isinstance(s, Tensor) and s.dtype.kind not in "iu")
        raise TypeError(f"sizes and dims must be integers, got {bad!r} "
                        f"({type(bad).__name__}) in {tuple(shape)}") from None


def _unwrap_index(index):
    """Tensors inside an index become their integer/bool arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else
                     np.asarray(i) if isinstance(i, list) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _promote(a: Tensor, b: Tensor):
    """``a`` and ``b`` cast to the dtype torch gives their result, where NumPy would differ:
    the higher category (bool < integer < float) wins whatever its size (int64 + float32 →
    float32, not float64); within a category a 0-d tensor does not widen a dimensioned one
    (float32 + float64 0-d → float32), which with :meth:`Tensor._other` makes Python numbers
    "weak" too. Otherwise the usual promotion (float32 + float64 → float64)."""
    da, db = a.data.dtype, b.data.dtype
    if da == db:
        return a, b
    ka, kb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    if ka != kb:
        dtype = da if ka > kb else db
    elif (a.data.ndim == 0) != (b.data.ndim == 0):
        dtype = db if a.data.ndim == 0 else da
    else:
        dtype = np.promote_types(da, db)
    return a.to(dtype), b.to(dtype)


# ---------------------------------------------------------------------- functions
def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with torch's rules: 1-D operands are treated as a row (left) or a column
    (right) vector and that dimension is removed from the result; batch dims broadcast."""
    if a.data.ndim >= 2 and b.data.ndim >= 2:
        return ops.MatMul.apply(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} don't align "
                         f"({a2.shape[-1]} != {b2.shape[-2]})")
    out = ops.MatMul.apply(a2, b2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-2) if b.ndim > 1 else out.squeeze(-1)
    return out


def where(condition, x, y) -> Tensor:
    """Elementwise ``x if condition else y`` (condition is not differentiated)."""
    cond = condition if isinstance(condition, Tensor) else Tensor(np.asarray(condition))
    ref = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else None
    if ref is None:
        x, y = Tensor(x), Tensor(y)
    else:
        x, y = _promote(ref._other(x), ref._other(y))
    return ops.Where.apply(cond, x, y)


def cat(tensors, dim=0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    nd = tensors[0].ndim
    if any(t.ndim != nd for t in tensors):
        raise ValueError("cat: all tensors must have the same number of dims, got shapes "
                         + ", ".join(str(t.shape) for t in tensors))
    (d,) = normalize_dims(dim, nd, "cat")
    return ops.Cat.apply(*tensors, dim=d)


def stack(tensors, dim=0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError("stack: all tensors must have the same shape, got "
                         + ", ".join(str(t.shape) for t in tensors))
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim)


# ---------------------------------------------------------------------- constructors
def tensor(data, requires_grad=False, dtype=None) -> Tensor:
    """Like ``torch.tensor``: always copies the data."""
    return Tensor(np.array(_as_array(data, dtype), copy=True), requires_grad=requires_grad)


def _shape_of(size):
    return _shape_arg(size)


def zeros(*size, dtype=np.float32, requires_grad=False):
    return Tensor(np.zeros(_shape_of(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size, dtype=np.float32, requires_grad=False):
    return Tensor(np.ones(_shape_of(size), dtype=dtype), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None:
        dtype = np.float32 if isinstance(fill_value, float) else (
            np.bool_ if isinstance(fill_value, bool) else np.int64)
    return Tensor(np.full(_shape_of((size,)), fill_value, dtype=dtype),
                  requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, numbers.Integral) for v in (start, end, step)) \
            else np.float32
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)


def rand(*size, dtype=np.float32, requires_grad=False):
    """Uniform samples in [0, 1), from the generator seeded by :func:`manual_seed`."""
    return Tensor(_rng.random(_shape_of(size), dtype=np.float64).astype(dtype),
                  requires_grad=requires_grad)


def randn(*size, dtype=np.float32, requires_grad=False):
    """Standard normal samples, from the generator seeded by :func:`manual_seed`."""
    return Tensor(_rng.standard_normal(_shape_of(size)).astype(dtype),
                  requires_grad=requires_grad)


def randint(low, high=None, size=(), dtype=np.int64):
    if high is None:
        low, high = 0, low
    return Tensor(_rng.integers(low, high, size=_shape_of((size,))).astype(dtype))


def _like(fn):
    def like(t, dtype=None, requires_grad=False):
        return fn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape (and dtype) of another tensor."
    return like


zeros_like, ones_like, rand_like, randn_like = map(_like, (zeros, ones, rand, randn))


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)
