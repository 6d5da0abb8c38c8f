"""How ``Module.to()``, ``float()``, ``double()``, ``half()`` and ``type()`` put the converted
tensors in place — torch's ``Module._apply``, with the two switches of
:mod:`tinygrad_sgd.__future__`:

* by default each Parameter object stays and takes the converted values (torch's
  ``param.data = new``), its ``.grad`` likewise;
* ``set_overwrite_module_params_on_conversion(True)``: every parameter (converted or not) is
  replaced by a new Parameter, its ``.grad`` by the converted gradient;
* ``set_swap_module_params_on_conversion(True)`` (which wins): each Parameter object and its
  ``.grad`` stay, their contents exchanged with the converted ones by ``swap_tensors`` (a
  parameter something holds a weak reference to is refused: ``_apply(): Couldn't swap ...``).

Buffers are replaced by their converted tensors (the same object when nothing changes), as
torch's.
"""
from .. import __future__ as future
from ..autograd import no_grad
from ..utils.swap import references_found, swap_tensors

__all__ = ["apply_conversion"]


def apply_conversion(module, convert):
    """Convert every parameter, gradient and buffer of ``module`` and its descendants with
    ``convert(tensor)`` (which gives a Tensor, ``tensor`` itself when nothing changes)."""
    swap = future.get_swap_module_params_on_conversion()
    overwrite = future.get_overwrite_module_params_on_conversion()
    if swap:      # (each swap checks that no graph holds the tensor: one scan for them all)
        with references_found(t for m in module.modules() for p in m._parameters.values()
                              if p is not None for t in (p, p.grad) if t is not None):
            return _convert(module, convert, swap, overwrite)
    return _convert(module, convert, swap, overwrite)


def _convert(module, convert, swap, overwrite):
    from .module import Parameter
    for m in module.modules():
        for key, param in m._parameters.items():
            if param is None:
                continue
            grad = param.grad
            with no_grad():
                new = convert(param)
            if swap:
                _swap(param, Parameter(new, requires_grad=param.requires_grad), m, key)
                out = param
            elif overwrite:
                out = m._parameters[key] = Parameter(new, param.requires_grad)
            else:
                param.array, out = new.array, param
            if grad is not None:
                with no_grad():
                    new_grad = convert(grad)
                if swap:
                    _swap(grad, new_grad.requires_grad_(grad.requires_grad), m, key + ".grad")
                    out.grad = grad
                elif overwrite:
                    out.grad = new_grad
                else:
                    grad.array = new_grad.array
        for key, buf in m._buffers.items():
            if buf is not None:
                m._buffers[key] = convert(buf)
    from .. import meta                # (a safe point: to(dtype), type(), float()...; see
    meta.disable_if_unused()           # meta.disable_if_unused)
    return module


def _swap(old, new, module, key):
    try:
        swap_tensors(old, new)
    except Exception as e:
        raise RuntimeError(f"_apply(): Couldn't swap {type(module).__name__}.{key}") from e
