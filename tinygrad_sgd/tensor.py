"""The Tensor: a NumPy array plus what backpropagation needs.

A Tensor holds ``data`` (a NumPy array), ``requires_grad``, ``grad`` (a Tensor or None, filled by
``backward()``) and ``grad_fn`` (the graph node that produced it, or None for a leaf).

This file holds the class itself: its attributes, the autograd entry points (``backward``,
hooks, ``detach``), in-place updates and the Python operators. The operations are functions in
:mod:`tinygrad_sgd.functions` — ``tinygrad_sgd.exp(x)`` and ``x.exp()`` are the same function,
attached to the class by :func:`tensor_method`; each calls one primitive of
:mod:`tinygrad_sgd.ops`, where its backward is.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from . import autograd, versions
from .device import CPU
from .meta import MetaArray
from .size import Size
from .dtypes import as_array, as_dtype, default_float, legacy_numpy, legacy_sized_array, \
    _BY_NUMPY
from .errors import NON_LEAF_GRAD, ShapeError, refuse_grad_unless_float, warn_level, \
    warn_not_writable
from .autograd.grad_mode import _mode

DETACH_VIEW = ("Can't detach views in-place. Use detach() instead. If you are using "
               "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
               "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
               "called on these gradients. To fix this error, please refer to the "
               "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")


def tensor_method(fn):
    """Decorator: the function ``f(input, ...)`` also becomes the method ``Tensor.f(...)``."""
    setattr(Tensor, fn.__name__, fn)
    return fn


def _as_int64(value):
    """A tensor's element as ``int()``, ``bool()`` and indexing read it in torch: through
    int64, so a uint64 beyond int64's range is torch's RuntimeError (``.item()`` and
    ``float()`` still give it whole)."""
    if type(value) is int and value > 9223372036854775807:
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    return value


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, *, requires_grad=False, dtype=None)``: as ``torch.Tensor``, data becomes
    the default float dtype (float32): Python numbers, lists and bools, and NumPy arrays too
    (an array of that dtype is shared, any other converted into a copy; ``Tensor(np.int64(3))``
    is 3 numbers, as ``Tensor(3)``); ``Tensor(2, 3)`` is a (2, 3) tensor (zeros). (A number
    alone, ``requires_grad`` and ``dtype`` are this library's: ``torch.Tensor`` refuses them.)
    ``tinygrad_sgd.tensor(data)`` infers the dtype as ``torch.tensor`` does (ints → int64,
    NumPy arrays keep theirs, copied); ``from_numpy`` shares the array with its dtype.
    (house: long file — torch's Tensor is one class too: its attributes, autograd entry
    points, in-place updates, operators.)
    """
    __array_priority__ = 100  # so ndarray ⊕ Tensor calls Tensor's reflected operator
    # defaults at class level: a new Tensor only stores its array (fast for small graphs)
    _grad = None            # d(last backward root)/d(self), a Tensor, filled by backward()
    grad_fn = None          # the graph node that produced this tensor (None for a leaf)
    _requires_grad = False
    _hooks = None
    _retains_grad = False
    _inference = False      # made in inference_mode (see functions.misc.inference_mode)
    _view_base = None       # a view's root base, read as ``_base`` (set by Function.apply)

    def __init__(self, data=(), *sizes, requires_grad=False, dtype=None):
        if "array" in self.__dict__:   # made by a subclass's __new__ (Tensor._make_subclass):
            return                     # filled already (torch's Tensor.__init__ does nothing)
        if type(data) is np.ndarray and not data.flags.writeable:   # (torch warns, once)
            warn_not_writable(data)
        if dtype is None and not sizes and isinstance(data, (np.ndarray, np.generic)):
            data = legacy_numpy(data)     # torch.Tensor's rule: the default float dtype
        if _mode.inference:
            self._inference = True
        self._fill(data, sizes, requires_grad, dtype)

    def __init_subclass__(cls, **kwargs):
        """A user's subclass: ops on its instances give instances of it, through
        ``__torch_function__`` (see :mod:`tinygrad_sgd.torch_function`, which this wakes)."""
        super().__init_subclass__(**kwargs)
        from .torch_function import subclass_defined
        subclass_defined(cls)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        """torch's default: run ``func`` with subclass dispatch off, and make its Tensor
        results instances of ``cls`` (``as_subclass``); NotImplemented when one of ``types``
        is not a base of ``cls``. Override it in a subclass to see (or change) every call."""
        from .torch_function import default
        return default(cls, func, types, args, kwargs)

    @staticmethod
    def _make_subclass(cls, data, require_grad=False, dispatch_strides=False,
                       dispatch_device=False, dispatch_layout=False, _extra_dispatch_keys=None,
                       storage_size=None):
        """torch's ``Tensor._make_subclass(cls, data, require_grad)`` (what a subclass's
        ``__new__`` returns): a new leaf of class ``cls`` sharing ``data``'s memory."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit "
                            "from Tensor is not possible. Make sure your class inherits from "
                            "Tensor.")
        if not isinstance(data, Tensor):
            raise TypeError(f"_make_subclass(): argument 'data' (position 2) must be Tensor, "
                            f"not {type(data).__name__}")
        from .autograd.strides import inherit_torch_layout     # (as detach(), unseen by
        out = inherit_torch_layout(Tensor._of(data.array), (data,), True)   # dispatch)
        if data._inference:
            out._inference = True
        out.__class__ = cls
        if require_grad:
            refuse_grad_unless_float(out, "Only Tensors of floating point and complex dtype")
            out._requires_grad = True
        return out

    @classmethod
    def _of(cls, data=(), *sizes, requires_grad=False, dtype=None):
        """A tensor as the library makes its own: an ndarray is taken as it is (its memory and
        dtype, as ``from_numpy``; not torch.Tensor's float conversion), any other data as
        ``Tensor(data)`` takes it."""
        t = object.__new__(cls)
        if type(data) is np.ndarray and dtype is None and not sizes and not requires_grad \
                and data.dtype.kind in "biuf":
            t.array = data
        else:
            t._fill(data, sizes, requires_grad, dtype)
        if _mode.inference:
            t._inference = True
        return t

    def _fill(self, data, sizes, requires_grad, dtype):
        if type(data) is np.ndarray and dtype is None and data.dtype.kind in "biuf":
            self.array = data
        elif type(data) is MetaArray:         # (a meta tensor's placeholder: stays meta)
            from .meta import placeholder
            self.array = data if dtype is None else placeholder(data.shape, dtype)
        elif isinstance(data, np.generic) and dtype is None and data.dtype.kind in "biuf":
            self.array = np.asarray(data)
        elif sizes or type(data) is int:
            self.array = legacy_sized_array(data, sizes, dtype)
        elif type(data) is Size:              # Tensor(x.shape): a tensor of that shape, as torch
            self.array = legacy_sized_array(data[0], data[1:], dtype) if data else \
                np.zeros((), default_float(dtype))
        elif dtype is None and not isinstance(data, Tensor):
            self.array = as_array(data, default_float())    # torch.Tensor(list): float
        else:
            self.array = as_array(data, dtype)
        if requires_grad:        # (torch's words for a factory's argument)
            refuse_grad_unless_float(self, "Only Tensors of floating point and complex dtype")
            self.requires_grad_(True)

    # ------------------------------------------------------------------ attributes
    @property
    def data(self):
        """The values as a Tensor of their own, sharing this tensor's memory and cut off from
        the graph (as torch's ``.data``): ``p.data += -lr * p.grad`` updates ``p`` in place,
        unseen by autograd — as in torch, ``.data`` counts its in-place changes apart (a
        version counter of its own, so ``w._version`` doesn't move and a graph that saved
        ``w`` still runs), where ``detach()`` and views share this tensor's counter.
        Assigning ``p.data = other`` makes ``p`` use ``other``'s values. (The raw NumPy array
        behind a tensor is ``.array``.)"""
        out = Tensor._of(versions.counted_apart(self.array))
        if out._inference is not self._inference:   # (as detach())
            out._inference = self._inference
        _share_storage_root(out, self)
        return out

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(value).__name__}")
        if self.requires_grad and value.array.dtype.kind not in "fc":
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        if not versions.same_memory(value.array, self.array):  # (``p.data += d`` gives back
            self.array = value.array                          # p's own memory: kept as is)

    @property
    def _base(self):
        """torch's ``t._base``: for a view (made by ``view``, ``reshape`` where it can view,
        basic indexing, ``transpose``, ``expand``, ``split``, ``diagonal``, ``as_strided``, ...)
        the tensor whose memory it views — for a view of a view, the first one, which is no
        view itself (``x.view(2, 3)[0]._base is x``); None for any other tensor: a copy (an
        index array, a reshape that must copy), ``detach()``, ``.data``, a view of an
        inference tensor, and anything pickled or copied. Set in grad mode, under ``no_grad``
        and in ``inference_mode`` alike; read-only, as torch's. (The in-place machinery
        keeps its own record of views made in a graph: ``_view``, see ``_record_view``.)"""
        return self._view_base

    @_base.setter
    def _base(self, value):
        raise AttributeError("attribute '_base' of 'torch._C.TensorBase' objects is not "
                             "writable")

    @_base.deleter
    def _base(self):
        raise AttributeError("attribute '_base' of 'torch._C.TensorBase' objects is not "
                             "writable")

    def _is_view(self):
        """Whether this tensor is a view of another (``_base`` is not None), as torch's."""
        return self._view_base is not None

    @property
    def requires_grad(self):
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables."
                               + ("" if value else " If you want to use a computed variable "
                                  "in a subgraph that doesn't require differentiation use "
                                  "var_no_grad = var.detach()."))
        if value:
            refuse_grad_unless_float(self, "only Tensors of floating point and complex dtype")
            if self._inference and not _mode.inference:
                raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                                   "InferenceMode is not allowed.")
            self.__dict__.pop("_grad_dropped", None)   # (now a leaf of its own, as torch's)
        elif "_grad_dropped" in self.__dict__:
            return        # a no_grad view: it requires grad as long as its base does (torch)
        self._requires_grad = bool(value)

    @property
    def grad(self):
        """d(root)/d(self) after ``backward()``: a Tensor of this tensor's shape and dtype, or
        None. Only leaves (and non-leaves that called ``retain_grad()``) keep one: reading it
        on another non-leaf warns, as torch does."""
        if self._grad is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD, UserWarning, stacklevel=warn_level(2))
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(value.shape)}' to a tensor of size "
                                   f"'{list(self.shape)}'. Please ensure that the gradient "
                                   f"and the tensor are the same size")
            want = self.__dict__.get("_grad_dtype", self.dtype)   # (Tensor.grad_dtype)
            if want is not None and value.dtype != want:
                raise RuntimeError(f"attempting to assign a gradient with dtype "
                                   f"'{value.dtype}' to a tensor with dtype '{want}'. "
                                   f"The gradient must match the tensor's dtype")
        self._grad = value

    @property
    def shape(self):
        return Size._of(self.array.shape)

    @property
    def dtype(self):
        """A :class:`~tinygrad_sgd.dtypes.DType` (prints as ``tinygrad_sgd.float32``; equal to
        NumPy's dtype)."""
        d = self.array.dtype
        return _BY_NUMPY.get(d) or as_dtype(d)

    @property
    def device(self):
        return CPU

    is_cuda = False

    @property
    def is_cpu(self):
        """True (a meta tensor's is False: see :mod:`tinygrad_sgd.meta`)."""
        return True

    def get_device(self):
        """-1: the CPU (as torch numbers devices)."""
        return -1

    def is_floating_point(self):
        return self.array.dtype.kind == "f"

    def is_complex(self):
        return False

    def is_signed(self):
        return self.array.dtype.kind in "fi"

    def element_size(self):
        return self.array.dtype.itemsize

    @property
    def itemsize(self):
        return self.array.dtype.itemsize

    @property
    def nbytes(self):
        return self.array.nbytes

    @property
    def retains_grad(self):
        """True for a non-leaf after ``retain_grad()`` (as torch)."""
        return self._retains_grad

    @property
    def ndim(self):
        return self.array.ndim

    def dim(self):
        return self.array.ndim

    ndimension = dim

    def size(self, dim=None):
        return Size._of(self.array.shape) if dim is None else self.array.shape[dim]

    def numel(self):
        return self.array.size

    nelement = numel

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def numpy(self, *, force=False):
        """The values as a NumPy array **sharing the tensor's memory**, as torch's: writing
        into it changes the tensor (and every tensor sharing its memory: its views,
        ``detach()``, ``.data``), and in-place changes of the tensor show in it. A view keeps
        its strides (``x.t().numpy()`` is a transposed view, not a copy; an ``expand``'s has
        stride 0), a 0-d tensor gives a 0-d array. As in torch, such writes are unseen by
        autograd (no version bump).

        ``force=True`` (torch: detach, copy to the CPU) is the detached tensor's memory,
        writable, whether or not the tensor requires grad.

        **Unlike torch**, a tensor that requires grad (without ``force``) is not refused: it
        gives a **read-only** view, so the values backward needs cannot be changed through it
        (torch raises ``RuntimeError: Can't call numpy() on Tensor that requires grad``; here
        ``w.numpy()`` reads, ``w.detach().numpy()`` writes, as there). A tensor made by
        ``from_numpy`` of a read-only array (torch warns there) also stays read-only: torch's
        writable array would write into memory NumPy was told not to change. So does a ``view()``
        that had to be a copy (of a convolution's, pooling's or resampling's result, kept in
        the library's own memory order: see ``functions.shape.view``), where torch's shares its
        base's memory: a write into it would silently not reach the base."""
        array = self.array
        if (self._requires_grad and not force) or versions.has_copy_views(array):
            view = array.view()
            view.flags.writeable = False
            return view
        if not array.flags.writeable:
            # read-only only because NumPy hands out broadcasts (an expand's memory) and some
            # views read-only: the same memory, writable, as torch's (left read-only where
            # the memory itself is)
            array = F.inplace.through_expand(array)
        if array.flags.writeable:       # (values computed ahead from it are not reused)
            versions.hand_out(array)
        return array.view()

    def item(self):
        if self.array.size != 1:
            raise ShapeError(f"item(): a Tensor with {self.array.size} elements cannot be "
                             f"converted to Scalar: only a tensor with one element can be "
                             f"converted to a Python number; this one has shape {self.shape} "
                             f"({self.array.size} elements)")
        return self.array.item()

    def tolist(self):
        return self.array.tolist()

    def __float__(self):
        global _warned_float
        # (torch's TORCH_WARN_ONCE, only with grad mode on: LBFGS's float(loss) under
        # no_grad stays quiet)
        if self._requires_grad and not _warned_float and autograd.is_grad_enabled():
            _warned_float = True
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior.\nConsider using tensor.detach() first.",
                          UserWarning, stacklevel=warn_level(2))
        return float(self.item())

    def __int__(self):
        return int(_as_int64(self.item()))

    def __bool__(self):
        """As torch: the truth of a one-element tensor (any number of dims); more or fewer
        elements are ambiguous."""
        n = self.array.size
        if n != 1:
            raise RuntimeError(f"Boolean value of Tensor with "
                               f"{'no values' if n == 0 else 'more than one value'} is "
                               f"ambiguous (shape {self.shape}); use .any() or .all()")
        return bool(_as_int64(self.array.item()))

    def __index__(self):
        """As torch: a one-element integer or bool tensor used as an index (``xs[t]``)."""
        if self.dtype.kind not in "biu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return _as_int64(self.array.item())

    def __array__(self, dtype=None, copy=None):
        """What NumPy sees, as torch: ``np.asarray(t)`` (and ``t.__array__()``) is
        :meth:`numpy` — the tensor's own memory, writable — and so is ``np.asarray(t,
        dtype)`` of the tensor's dtype; another dtype, or ``np.array(t)`` (``copy=True``),
        is a new array. ``np.array(t, copy=False)`` is refused with NumPy's ValueError, as
        torch's (its ``__array__`` takes no ``copy``, so NumPy can't be promised no copy).
        A tensor that requires grad gives a read-only view (see :meth:`numpy`), or a copy."""
        if copy is False:
            raise ValueError("Unable to avoid copy while creating an array as requested.\n"
                             "If using `np.array(obj, copy=False)` replace it with "
                             "`np.asarray(obj)` to allow a copy when needed (no behavior "
                             "change in NumPy 1.x).\nFor more details, see "
                             "https://numpy.org/devdocs/numpy_2_0_migration_guide.html"
                             "#adapting-to-changes-in-the-copy-keyword.")
        if copy or (dtype is not None and np.dtype(dtype) != self.array.dtype):
            return np.array(self.array, dtype=dtype, copy=True)
        return self.numpy()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy on tensors: ``array ⊕ tensor`` (and ``np.add(array, tensor)``) is the tensor's
        own operator, so the graph is kept; any other NumPy ufunc computes on the values and
        returns an array, as NumPy does — refused, as torch does, for a tensor that requires
        grad (the result would silently cut the graph: use the library's function instead)."""
        operator = _UFUNC_OPERATORS.get(ufunc.__name__)
        if operator is not None and method == "__call__" and len(inputs) == 2 and not kwargs:
            if operator == "matmul":              # (matmul takes tensors only)
                inputs = [a if isinstance(a, Tensor) else F.as_operand(a, self) for a in inputs]
            if operator in _MIRRORED and not isinstance(inputs[0], Tensor):
                # array < tensor: tensor > array, as Python reflects it (eq(2, t) is refused)
                return getattr(F, _MIRRORED[operator])(inputs[1], inputs[0])
            return getattr(F, operator)(*inputs)
        if any(isinstance(a, Tensor) and a.requires_grad for a in inputs):
            raise RuntimeError(f"Can't call numpy's {ufunc.__name__} on a Tensor that requires "
                               f"grad (it would cut the graph). Use tinygrad_sgd's own function, "
                               f"or tensor.detach() first.")
        unwrap = [a.array if isinstance(a, Tensor) else a for a in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(o.array if isinstance(o, Tensor) else o
                                  for o in kwargs["out"])
        return getattr(ufunc, method)(*unwrap, **kwargs)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        from .printing import tensor_repr
        return tensor_repr(self)

    def as_subclass(self, cls):
        """torch's ``t.as_subclass(cls)``: an alias of ``t`` (the same memory, its graph
        history kept: ``AliasBackward0``) that is an instance of the Tensor subclass ``cls``."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit "
                            "from Tensor is not possible. Make sure your class inherits from "
                            "Tensor.")
        out = F.getitem(self, Ellipsis)          # (self[...], unseen by __torch_function__)
        out.__class__ = cls
        return out

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __contains__(self, element):
        """``element in t``: whether any element equals it (a tensor element broadcast
        against ``t``, as torch); only a Tensor or a number."""
        if not isinstance(element, (Tensor, numbers.Number)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element)}.")
        if isinstance(element, numbers.Complex) and not isinstance(element, numbers.Real):
            if element.imag != 0:       # (or NaN) no real number equals it, as in torch
                return False
            element = element.real      # 1+0j in t: whether 1.0 is
        return bool((element == self).any().item())

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad=True):
        if self.grad_fn is not None:           # a non-leaf: it requires grad already
            if not requires_grad:
                raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors; "
                                   "use detach() for a non-leaf")
            return self
        if requires_grad:
            refuse_grad_unless_float(self, "only Tensors of floating point dtype")
        self.requires_grad = requires_grad
        return self

    def detach(self):
        """A new leaf Tensor sharing the values, cut off from the graph."""
        from .autograd.strides import inherit_torch_layout        # (torch's strides, kept)
        out = inherit_torch_layout(Tensor._of(self.array), (self,), True)
        if out._inference is not self._inference:   # (a view: an inference tensor's is one,
            out._inference = self._inference        # a normal tensor's is not)
        _share_storage_root(out, self)
        return out

    def detach_(self):
        """Cut this tensor off the graph, in place: it becomes a leaf not requiring grad.
        Refused, as torch, for a view made by a view op (a slice, ``view``, ``t()``, ...,
        even of a tensor that needs no gradient, made in any mode: one with a ``_base``): its
        base would still see it. (In inference_mode torch lets it pass, as here: nothing is
        recorded there.)"""
        if self._view_base is not None and not _mode.inference:
            raise RuntimeError(DETACH_VIEW)
        self.grad_fn = None
        self.requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Backpropagate from this tensor: add d(self)/d(leaf) into every leaf's ``.grad`` (or,
        with ``inputs``, into those tensors' ``.grad`` only).

        ``gradient`` is required unless this tensor holds a single element. The graph's saved
        arrays are freed afterwards unless ``retain_graph=True``; ``create_graph=True`` records
        the backward pass itself, so the gradients can be differentiated again."""
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """``hook(grad)`` is called with the gradient flowing into this tensor during backward;
        it may return a replacement gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            self.grad_fn._add_tensor_hook(hook)
            hooks = self.grad_fn._pre_hooks
        else:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            hooks = self._hooks
        return _HookHandle(hooks, hook)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep theirs);
        refused, as torch, on a tensor that doesn't require grad. After an in-place op the
        kept gradient is the new value's (see :mod:`~.autograd.accumulate`)."""
        autograd.accumulate.retain_grad(self)

    # ------------------------------------------------------------------ in-place
    @property
    def _version(self):
        """How many in-place changes this tensor's memory has seen (through any Tensor sharing
        it). ``save_for_backward`` records it; backward refuses a saved tensor whose version
        moved, instead of silently using changed values."""
        return versions.version_of(self.array)

    def _bump_version(self):
        if self.__dict__.get("_no_grad_view") and autograd.is_grad_enabled():
            raise RuntimeError(autograd.no_grad_views.message(
                self, "is being modified inplace"))
        if self.grad_fn is not None or (self.requires_grad and autograd.is_grad_enabled()):
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation; wrap it in no_grad() (as optimizers do)"
                               if self.grad_fn is None else
                               "in-place operations on non-leaf tensors are not supported")
        self._bump_version_unchecked()

    def _bump_version_unchecked(self):
        if self._inference and not _mode.inference:
            raise RuntimeError(autograd.inference.IN_PLACE)
        versions.bump(self.array)

    def __setitem__(self, index, value):
        F.inplace.setitem(self, index, value)      # x[0] = w * 3: joins the graph, as torch

    # ------------------------------------------------------------------ dtype and device
    # to(), float(), cpu(), type(), ...: in tinygrad_sgd/functions/conversion.py

    # ------------------------------------------------------------------ operators
    # (the functions are in tinygrad_sgd.functions; the binary operators a ⊕ b and their
    # reflected forms, number ⊕ tensor, are made from a table after the class)
    def __neg__(self):
        return F.neg(self)

    def __pos__(self):
        return F.positive(self)

    def __abs__(self):
        return F.abs(self)

    def __invert__(self):
        if self.dtype.kind == "f":
            raise TypeError("~ (operator.invert) is only implemented on integer and "
                            "Boolean-type tensors")
        return F.bitwise_not(self)

    def __round__(self, ndigits=None):
        """``round(t)``, ``round(t, n)``: a Tensor, rounded as :func:`round` (halves to even).
        (torch's Tensor has no ``__round__``; NumPy's arrays round this way.)"""
        return F.round(self, decimals=0 if ndigits is None else ndigits)

    def __format__(self, format_spec):
        """As torch: a 0-d tensor formats as its number (``f"{loss:.4f}"``); any other with
        an empty spec as its repr (a non-empty spec is refused, as torch)."""
        if self.array.ndim == 0:
            return self.array.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __matmul__(self, other):
        return F.matmul(self, other) if _operand(other) else NotImplemented

    def __rmatmul__(self, other):
        return F.matmul(F.as_operand(other, self), self) if _operand(other) else NotImplemented

    def __getitem__(self, index):
        return F.getitem(self, index)

    @property
    def mT(self):
        """The last two dims swapped (a batch of matrices, each transposed)."""
        n = self.array.ndim
        if n < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of "
                               f"matrices. Got {n}-D tensor.")
        return F.transpose(self, -2, -1)


_UFUNC_OPERATORS = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div",
                    "true_divide": "div", "power": "pow", "matmul": "matmul",
                    "equal": "eq", "not_equal": "ne", "less": "lt", "less_equal": "le",
                    "greater": "gt", "greater_equal": "ge"}
_MIRRORED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


class _HookHandle:
    """A tensor hook's handle, as torch's ``RemovableHandle``: ``remove()`` (idempotent), and
    ``with handle:`` removes the hook on exit."""

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_warned_float = False     # float(t) of a tensor that requires grad: warned once per process


def _operand(other):
    """Whether an operator takes ``other`` (a tensor, a number, a NumPy array), as torch's
    do. For anything else — a list, a tuple, a string, None — it returns NotImplemented, so
    that Python goes on as with torch: ``[0] * t`` repeats the list (``t.__index__``),
    ``t == None`` is False, ``t + [1, 2]`` is a TypeError."""
    return isinstance(other, (Tensor, numbers.Number, np.ndarray, np.generic))


def _rtruediv(self, other):
    """``other / self`` for a number (or array) ``other``, as torch computes it:
    ``self.reciprocal() * other`` — its numbers (rounded twice) and its two nodes."""
    if not _operand(other):
        return NotImplemented
    return F.mul(F.reciprocal(self), other)


def _operator(symbol, name, fn, reflected):
    def operator(self, other):
        if not _operand(other):
            return NotImplemented
        f = getattr(F, fn)
        return f(other, self) if reflected else f(self, other)
    operator.__name__ = operator.__qualname__ = name
    operator.__doc__ = f"``{fn}({'other, self' if reflected else 'self, other'})``"
    return operator


# The binary operators, each calling one public function, with the reflected form for a
# number on the left: 2 - x = sub(2, x), but 2 * x = mul(x, 2), 2 + x = add(x, 2), and 2 / x =
# mul(reciprocal(x), 2) (torch's node edges and numbers). & | ^ ~ << >> are bitwise on
# integers, logical on bools, refused on floats, as torch.
for _symbol, _name, _fn in [("+", "add", "add"), ("-", "sub", "sub"), ("*", "mul", "mul"),
                            ("/", "truediv", "div"), ("//", "floordiv", "floor_divide"),
                            ("%", "mod", "remainder"), ("**", "pow", "pow"),
                            ("&", "and", "bitwise_and"), ("|", "or", "bitwise_or"),
                            ("^", "xor", "bitwise_xor"), ("<<", "lshift", "bitwise_left_shift"),
                            (">>", "rshift", "bitwise_right_shift")]:
    setattr(Tensor, f"__{_name}__", _operator(_symbol, f"__{_name}__", _fn, False))
    setattr(Tensor, f"__r{_name}__", _operator(_symbol, f"__r{_name}__", _fn,
                                               _fn not in ("add", "mul")))
Tensor.__rtruediv__ = _rtruediv
for _symbol, _name in [("==", "eq"), ("!=", "ne"), ("<", "lt"), ("<=", "le"), (">", "gt"),
                       (">=", "ge")]:          # (Python reflects these itself: 1 < x is x > 1)
    setattr(Tensor, f"__{_name}__", _operator(_symbol, f"__{_name}__", _name, False))


from . import functions as F  # noqa: E402  (attaches the operations to Tensor as methods)


def _share_storage_root(out, t):
    """``out`` shares ``t``'s memory without being a view of it (``detach()``, ``.data``):
    it shares t's storage in torch too, so storage-level reads (``storage_offset()``,
    ``as_strided``: creation.torch_geometry) go through the root t views, or through t when
    t is a copy standing for torch's view (``_stands_for``) or a result whose torch layout is
    not known (``_layout_unsure``). Nothing for any other tensor."""
    d = t.__dict__
    if t._view_base is not None or "_storage_root" in d or "_stands_for" in d or \
            "_layout_unsure" in d:
        from .creation import storage_root
        out._storage_root = storage_root(t)
