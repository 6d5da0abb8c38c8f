"""Tensor attributes torch has for its other devices, layouts and history, with their meaning
on this CPU-only, dense library: ``is_meta``, ``is_mps``, ``is_xpu``, ... (all False, as on
torch's CPU tensors; a meta tensor's ``is_meta`` is True, answered by :mod:`..meta`'s
handler), ``output_nr``, ``dim_order``, ``const_data_ptr``, ``module_load``,
``grad_dtype`` and the removed ``volatile`` and ``reinforce``.

``output_nr`` is which output of its node a tensor is: torch's ``unbind``/``split``/``chunk``
pieces count 0, 1, 2, ... as do the outputs of a custom ``autograd.Function`` returning
several; a leaf, or any other result, is 0. (Other ops with several differentiable outputs —
``linalg.svd``, ``qr``, ``eigh``, ``slogdet`` — give each output its own node here, so each is
0 where torch counts 0, 1, 2.)

``grad_dtype`` (torch 2.13): the dtype a leaf's gradient is cast to as backward delivers it
(by default the tensor's dtype; None: whatever dtype arrives). Only leaves have one.
"""
import warnings

from ..errors import warn_level
from ..dtypes import _SCALAR_TYPE_NAMES, DType, _BY_NUMPY, as_dtype
from ..tensor import Tensor
from .memory_formats import MemoryFormat, channels_last, is_contiguous

__all__ = []

_DEVICES = ("is_meta", "is_mps", "is_xpu", "is_ipu", "is_xla", "is_vulkan", "is_mtia",
            "is_maia", "is_nested", "is_quantized", "is_mkldnn")


def _never(name):
    def getter(self):
        return False
    getter.__name__ = name
    getter.__doc__ = f"False: this library's tensors are dense CPU tensors (torch's ``{name}``)."
    return property(getter)


for _name in _DEVICES:
    setattr(Tensor, _name, _never(_name))


def _output_nr(self):
    """Which output of its node this tensor is (see the module's notes)."""
    if self.grad_fn is None:
        return 0
    several = self.__dict__.get("_multi_output_view")
    if several is not None:
        return several[1]
    return self.grad_fn._as_torch_edge()[1]


Tensor.output_nr = property(_output_nr)


def _volatile(self):
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning,
                  stacklevel=warn_level(2))
    return False


def _set_volatile(self, value):
    warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                  "instead.", UserWarning, stacklevel=warn_level(2))


Tensor.volatile = property(_volatile, _set_volatile)

_REINFORCE = """reinforce() was removed.
Use torch.distributions instead.
See https://pytorch.org/docs/main/distributions.html

Instead of:

probs = policy_network(state)
action = probs.multinomial()
next_state, reward = env.step(action)
action.reinforce(reward)
action.backward()

Use:

probs = policy_network(state)
# NOTE: categorical is equivalent to what used to be called multinomial
m = torch.distributions.Categorical(probs)
action = m.sample()
next_state, reward = env.step(action)
loss = -m.log_prob(action) * reward
loss.backward()
"""


def reinforce(self, reward):
    """Removed from torch (its RuntimeError, which says what to use instead)."""
    raise RuntimeError(_REINFORCE)


def const_data_ptr(self):
    """The address of the first element, for reading (here always ``data_ptr()``)."""
    return self.data_ptr()


def module_load(self, other, assign=False):
    """How ``load_state_dict`` turns the state dict's ``other`` into this parameter's new
    value: ``other.detach()`` with ``assign``, else ``self.copy_(other).detach()``."""
    if assign:
        return other.detach()
    return self.copy_(other).detach()


_AMBIGUOUS = ("The tensor does not have unique dim order, or cannot map to exact one of the "
              "given memory formats.")


def dim_order(self, *, ambiguity_check=False):
    """The dims from the outermost in memory to the innermost (torch's insertion sort of the
    strides). ``ambiguity_check=True`` refuses a tensor whose order is not unique (a size-1
    dim, two equal strides); a list of memory formats lets such a tensor through when it is
    contiguous in exactly one of them."""
    if not isinstance(ambiguity_check, bool) and not (
            isinstance(ambiguity_check, list)
            and all(isinstance(f, MemoryFormat) for f in ambiguity_check)):
        raise TypeError("The ambiguity_check argument must be a bool or a list of memory "
                        "formats.")
    formats = ambiguity_check if isinstance(ambiguity_check, list) else []
    size, stride = tuple(self.shape), self.stride()
    several = any(a == b for a, b in zip(stride, stride[1:])) or 1 in size
    if (ambiguity_check is True or formats) and several and \
            sum(is_contiguous(self, f) for f in formats) != 1:
        raise RuntimeError(_AMBIGUOUS)
    n = len(size)
    if n < 2:
        return tuple(range(n))
    flat, last = is_contiguous(self), is_contiguous(self, channels_last)
    if flat and not last:
        return tuple(range(n))
    if last and not flat:
        return (0, *range(2, n), 1)

    def swap(a, b):                  # torch's should_swap: 1 puts a inside b, -1 keeps them
        if stride[a] == 0 or stride[b] == 0:
            return 0
        if stride[a] == stride[b]:
            return 0 if size[b] >= size[a] else 1
        return -1 if stride[b] >= stride[a] else 1
    perm = list(reversed(range(n)))                    # innermost first
    for i in range(1, n):
        d1 = i
        for d0 in reversed(range(i)):
            c = swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    if ambiguity_check is not False and any(swap(perm[i], perm[i + 1]) != -1
                                            for i in range(n - 1)):
        raise RuntimeError("The tensor does not have unique dim order.")
    return tuple(reversed(perm))


def _grad_dtype(self):
    if self.grad_fn is not None:
        raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
    return self.__dict__.get("_grad_dtype", self.dtype)


_CPP = _SCALAR_TYPE_NAMES
_C = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int"}


def _set_grad_dtype(self, value):
    if self.grad_fn is not None:
        self.grad                         # noqa: B018  (torch's setter reads it: the warning)
        raise RuntimeError("grad_dtype can only be set on leaf tensors.")
    if value is not None and not isinstance(value, DType):
        raise RuntimeError(f"grad_dtype must be a torch.dtype or None, but got "
                           f"{type(value).__name__}")
    grad = self._grad
    if value is not None and grad is not None and grad.dtype != value:
        name = grad.array.dtype.name
        raise RuntimeError(
            f"Cannot set grad_dtype to '{_CPP.get(value.dtype.name, value.dtype.name)}' "
            f"because there is already a gradient with dtype '{_C.get(name, name)}'. Please "
            f"clear the gradient (.grad = None) before changing grad_dtype, or ensure the new "
            f"grad_dtype matches the existing gradient's dtype.")
    self.__dict__["_grad_dtype"] = None if value is None else _BY_NUMPY.get(
        as_dtype(value).dtype) or value


Tensor.grad_dtype = property(_grad_dtype, _set_grad_dtype, doc=__doc__.split("``grad_dtype``")
                             [-1].strip())

for _fn in (reinforce, const_data_ptr, module_load, dim_order):
    setattr(Tensor, _fn.__name__, _fn)

