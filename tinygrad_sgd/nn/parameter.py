"""``nn.parameter``: torch's path to the parameter classes — the same objects as
``nn.Parameter``, ``nn.Buffer`` (:mod:`.module`) and the lazy placeholders (:mod:`.lazy`)."""
from .module import Parameter, Buffer
from .lazy import UninitializedParameter, UninitializedBuffer, UninitializedTensorMixin, is_lazy

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy",
           "UninitializedTensorMixin"]
