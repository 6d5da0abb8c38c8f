"""How a tensor's memory is organised, in torch's words: ``torch.layout`` and its one value
here, ``torch.strided`` (every tensor is a dense NumPy array read through strides; there are
no sparse layouts), which factories take as ``layout=``; and pinned memory, which needs an
accelerator this library does not have (``pin_memory()`` fails as on a torch machine with
none)."""
import warnings

from .errors import warn_level
from .tensor import Tensor, tensor_method

__all__ = ["layout", "strided", "check_layout"]


class layout:
    """``torch.layout``: how a tensor's elements are stored (prints as ``torch.strided``)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):               # one object, after pickling too
        return self.name


strided = layout("strided")


def check_layout(value, op):
    """Refuse a ``layout=`` other than None or ``strided`` (the only layout here), with
    torch's TypeError for a value that is not a layout."""
    if value is not None and value is not strided:
        raise TypeError(f"{op}(): argument 'layout' must be torch.layout, not "
                        f"{type(value).__name__}")


Tensor.layout = property(lambda self: strided, doc="``torch.strided``: always, here.")
Tensor.is_sparse = False
Tensor.is_sparse_csr = False


@tensor_method
def to_dense(self, dtype=None, *, masked_grad=None):
    """The dense tensor itself (every tensor is dense here; ``dtype`` converts, as torch's).
    Code written for sparse gradients (``nn.Embedding(sparse=True)``, whose gradient is dense
    here) calls ``weight.grad.to_dense()``."""
    return self if dtype is None or dtype == self.dtype else self.to(dtype)


@tensor_method
def is_pinned(self, device=None):
    """Whether the tensor is in page-locked memory (for fast copies to a GPU): never, here."""
    return False


@tensor_method
def pin_memory(self, device=None):
    """A copy in page-locked memory, which needs an accelerator: there is none here, so this
    raises torch's RuntimeError (on a machine without one, torch does the same)."""
    if device is not None:
        warnings.warn("The argument 'device' of Tensor.pin_memory() is deprecated. Please do "
                      "not pass this argument.", DeprecationWarning, stacklevel=warn_level(2))
        if str(device) == "cpu":
            raise RuntimeError("CPU device type not an accelerator.")
    raise RuntimeError("Cannot access accelerator device when none is available.")
