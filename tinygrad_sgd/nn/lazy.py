"""Lazy modules (torch's ``nn/modules/lazy.py`` and the ``Lazy*`` layers): the input size of a
layer (``in_features``, ``in_channels``, ``num_features``) is read from its first input.

Until then the layer's parameters and buffers are :class:`UninitializedParameter` /
:class:`UninitializedBuffer`: placeholders without a shape, which refuse to be computed with.
The first ``forward`` (a forward pre-hook) calls ``initialize_parameters(input)``: each
placeholder is *materialized* in place (the same object becomes a ``Parameter`` / ``Tensor`` of
the inferred shape, so an optimizer built before the first forward still holds it), the layer
draws its initial values exactly as the ordinary layer does, and the module itself becomes
that ordinary class (``cls_to_become``: a LazyLinear turns into a Linear).

``load_state_dict`` into a lazy layer materializes its placeholders at the loaded shapes first
(as torch's load hook). ``state_dict()`` of a lazy layer holds the placeholders themselves
(torch skips ``detach`` for them; here their ``detach()`` returns the placeholder).
"""
import numpy as np

from ..autograd import no_grad
from ..device import check_device
from ..dtypes import default_float
from ..size import Size
from ..tensor import Tensor
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear, new_array
from .module import Module, Parameter, _as_numpy
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear",
           "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]

SHAPE_ERROR = ("Can't access the shape of an uninitialized parameter or buffer. This error "
               "usually happens in `load_state_dict` when trying to load an uninitialized "
               "parameter into an initialized one. Call `forward` to initialize the parameters "
               "before accessing their attributes.")
# torch's allowed methods (its ``_allowed_methods``); ``detach`` added (see the module doc)
_ALLOWED = {"size", "copy_", "is_complex", "is_floating_point", "half", "float", "double",
            "char", "short", "int", "long", "cuda", "cpu", "to", "get_device", "detach",
            "materialize", "share_memory_"}
_OPERATORS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
              "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__",
              "__pos__", "__abs__", "__invert__", "__and__", "__or__", "__xor__", "__lt__",
              "__le__", "__gt__", "__ge__", "__getitem__", "__setitem__", "__len__",
              "__iter__", "__array__", "__float__", "__int__", "__bool__", "__index__",
              "__iadd__", "__isub__", "__imul__", "__itruediv__", "__eq__", "__ne__")


def _refuse(name, cls_name):
    return ValueError(f"Attempted to use an uninitialized parameter in {name}. This error "
                      f"happens when you are using a `LazyModule` or explicitly manipulating "
                      f"`torch.nn.parameter.{cls_name}` objects. When using LazyModules Call "
                      f"`forward` with a dummy batch to initialize the parameters before "
                      f"calling torch functions")


def _refusing(name):
    def method(self, *args, **kwargs):
        raise _refuse(f"Tensor.{name}", type(self).__name__)
    method.__name__ = name
    return method


class UninitializedTensorMixin:
    """A tensor with no shape yet: ``.shape`` raises RuntimeError, every computation with it
    (operators, methods other than torch's few allowed ones) ValueError, as torch."""

    def __getattribute__(self, name):
        if name == "shape":
            raise RuntimeError(SHAPE_ERROR)
        if not name.startswith("_") and name not in _ALLOWED and callable(
                getattr(Tensor, name, None)):
            raise _refuse(f"Tensor.{name}", type(self).__name__)
        return object.__getattribute__(self, name)

    def materialize(self, shape, device=None, dtype=None):
        """Become a ``cls_to_become`` (Parameter / Tensor) of ``shape``, in place: its values
        uninitialized (``np.empty``), its dtype this one's unless ``dtype`` is given."""
        check_device(device)
        dtype = self.array.dtype if dtype is None else default_float(dtype)
        self.array = new_array(shape, dtype)    # (a negative or float size: torch's errors)
        self.__class__ = self.cls_to_become

    def size(self, dim=None):
        return Size(self.array.shape) if dim is None else self.array.shape[dim]

    def detach(self):
        return self

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __hash__ = Tensor.__hash__


for _name in _OPERATORS:
    if hasattr(Tensor, _name):
        setattr(UninitializedTensorMixin, _name, _refusing(_name))


def _empty(dtype):
    return np.empty((0,), default_float(dtype))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (a lazy module's, until its first forward)."""
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        check_device(device)
        Tensor._fill(self, _empty(dtype), (), False, None)
        self._requires_grad = bool(requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy batch norm's running statistics)."""
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        check_device(device)
        Tensor._fill(self, _empty(dtype), (), False, None)
        self._requires_grad = bool(requires_grad)
        self.persistent = persistent

    def __deepcopy__(self, memo):        # (a placeholder parameter copies; a buffer: as torch)
        raise _refuse("Tensor.__deepcopy__", type(self).__name__)


def is_lazy(t):
    """Is ``t`` a placeholder (ours, or torch's when loading a torch state dict)?"""
    return isinstance(t, UninitializedTensorMixin) or type(t).__name__ in (
        "UninitializedParameter", "UninitializedBuffer")


def _infer_parameters(module, args, kwargs=None):
    """The forward pre-hook: infer, check everything is materialized, become the plain class."""
    module.initialize_parameters(*args, **(kwargs or {}))
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyModuleMixin:
    """What every lazy layer shares (torch's ``LazyModuleMixin``): the forward pre-hook that
    infers the sizes on the first call, ``has_uninitialized_params``, and the state-dict
    loading that materializes placeholders at the loaded shapes."""
    cls_to_become = None

    def _lazy_init(self):
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters,
                                                               with_kwargs=True)

    def has_uninitialized_params(self):
        return any(is_lazy(t) for t in list(self._parameters.values())
                   + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    def _lazy_load_hook(self, state_dict, prefix=""):
        """Materialize each placeholder whose key (``prefix`` + name) the state dict holds
        with a real value, at that value's shape (torch's load_state_dict pre-hook)."""
        for name, t in list(self._parameters.items()) + list(self._buffers.items()):
            if t is not None and is_lazy(t) and prefix + name in state_dict and \
                    not is_lazy(state_dict[prefix + name]):
                with no_grad():
                    t.materialize(_as_numpy(state_dict[prefix + name]).shape)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        if hasattr(state_dict, "keys") and hasattr(state_dict, "__getitem__"):
            self._lazy_load_hook(state_dict)
        return super().load_state_dict(state_dict, strict, assign)


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is the last dim of its first input."""
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        check_device(device)
        self.in_features = 0
        self.out_features = out_features     # (as torch: checked when the weight is made)
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self._lazy_init()

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:       # materialized by load_state_dict
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: "
                                     f"{input.shape[-1]} is not equal to in_features from "
                                     f"self.weight: {self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


class _LazyConvMixin(LazyModuleMixin):
    """The lazy convolutions: built as the plain one with ``in_channels`` = ``out_channels`` =
    groups (any valid values: nothing is drawn), then ``in_channels = 0``, the real
    ``out_channels`` (as torch, not checked against groups until the first forward) and
    placeholders for weight and bias."""

    def _make_parameters(self, shape, bias, dtype):
        new_array((0, 0) + self.kernel_size, dtype)   # (torch makes this weight first: its
        self.in_channels = 0                          # errors for a negative or float size)
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self._lazy_init()

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input):
        n = self.dims + 1
        if input.ndim not in (n, n + 1):
            raise RuntimeError(f"Expected {n}D (unbatched) or {n + 1}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.ndim == n + 1 else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize(shape + self.kernel_size)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


def _lazy_conv(plain, transposed):
    """The Lazy class of a convolution: its arguments less ``in_channels``."""
    if transposed:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                     groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                     dtype=None):
            plain.__init__(self, groups, groups, kernel_size, stride, padding,
                           output_padding, groups, bias, dilation, padding_mode, device, dtype)
            self.out_channels = out_channels    # (as torch: checked when the weight is made)
    else:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                     groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
            plain.__init__(self, groups, groups, kernel_size, stride, padding, dilation,
                           groups, bias, padding_mode, device, dtype)
            self.out_channels = out_channels    # (as torch: checked when the weight is made)
    doc = (f"A {plain.__name__} whose ``in_channels`` is read from its first input "
           f"(dim 1, or dim 0 unbatched).")
    return type("Lazy" + plain.__name__, (_LazyConvMixin, plain),
                {"__init__": __init__, "cls_to_become": plain, "__doc__": doc,
                 "__module__": __name__})


LazyConv1d = _lazy_conv(Conv1d, False)
LazyConv2d = _lazy_conv(Conv2d, False)
LazyConv3d = _lazy_conv(Conv3d, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, True)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, True)


class _LazyNormMixin(LazyModuleMixin):
    """The lazy batch and instance norms: ``num_features`` from dim 1 of the first input;
    torch's defaults (affine and running statistics on, the instance norms included)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        self.cls_to_become.__init__(self, 0, eps, momentum, False, False, device, dtype,
                                    bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:      # (register_parameter: the base class declared them absent)
            self.register_parameter("weight", UninitializedParameter(dtype=dtype))
            if bias:
                self.register_parameter("bias", UninitializedParameter(dtype=dtype))
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = Tensor._of(np.array(0, np.int64))
        self._lazy_init()

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(plain):
    doc = f"A {plain.__name__} whose ``num_features`` is dim 1 of its first input."
    return type("Lazy" + plain.__name__, (_LazyNormMixin, plain),
                {"cls_to_become": plain, "__doc__": doc, "__module__": __name__})


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
