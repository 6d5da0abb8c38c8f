"""``torch.__future__``: two switches for how ``nn.Module.to()`` (and ``float()``, ``double()``,
``half()``, ``type()``) convert a module's parameters.

* neither (the default): each Parameter object stays and gets the converted values (torch's
  ``param.data = new``);
* ``set_overwrite_module_params_on_conversion(True)``: each converted parameter is replaced
  by a new Parameter object (its ``.grad`` converted with it);
* ``set_swap_module_params_on_conversion(True)`` (which wins over the other): each Parameter
  object stays, its contents swapped with the converted tensor's by
  :func:`tinygrad_sgd.utils.swap_tensors` — so a parameter with a weak reference to it is
  refused, as torch's.
"""
__all__ = ["set_overwrite_module_params_on_conversion",
           "get_overwrite_module_params_on_conversion",
           "set_swap_module_params_on_conversion", "get_swap_module_params_on_conversion"]

_overwrite_module_params_on_conversion = False
_swap_module_params_on_conversion = False


def set_overwrite_module_params_on_conversion(value: bool) -> None:
    """Whether converting a module assigns new Parameter objects (see the module's notes)."""
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = value


def get_overwrite_module_params_on_conversion() -> bool:
    return _overwrite_module_params_on_conversion


def set_swap_module_params_on_conversion(value: bool) -> None:
    """Whether converting a module swaps its parameters' contents (see the module's notes)."""
    global _swap_module_params_on_conversion
    _swap_module_params_on_conversion = value


def get_swap_module_params_on_conversion() -> bool:
    return _swap_module_params_on_conversion
