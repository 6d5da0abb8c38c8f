"""The few names of torch's ``torch._C`` that user code reaches for when it writes a Tensor
subclass: the ``__torch_function__`` switches (defined in :mod:`tinygrad_sgd.overrides`)."""
from .overrides import (DisableTorchFunctionSubclass, DisableTorchFunction,  # noqa: F401
                        _disabled_torch_function_impl, _is_torch_function_enabled,
                        _is_torch_function_all_disabled)

__all__ = ["DisableTorchFunctionSubclass", "DisableTorchFunction", "_disabled_torch_function_impl",
           "_is_torch_function_enabled", "_is_torch_function_all_disabled"]
