"""The graph machinery, in eight small rooms:

* :mod:`.function` — ``Function``, the base of every op and the node of the graph;
* :mod:`.engine` — the backward walk (Kahn order, accumulate, un-broadcast), ``backward``,
  ``grad``;
* :mod:`.accumulate` — where gradients are kept: leaves' ``.grad``, ``retain_grad``;
* :mod:`.grad_mode` — ``no_grad``, ``enable_grad``, ``set_grad_enabled``;
* :mod:`.slices` — gradients that are zero but for one block (indexing's, added in place);
* :mod:`.anomaly` — ``detect_anomaly``, ``set_detect_anomaly``;
* :mod:`.graph` — ``saved_tensors_hooks`` (pack/unpack what the graph saves),
  ``register_multi_grad_hook`` (with :mod:`.graph_task`: the backward run in progress);
* :mod:`.inference` — inference tensors (``inference_mode``) and what they refuse.
"""
from ..errors import warn_level
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled,
                        module_scope, _mode, set_multithreading_enabled,
                        is_multithreading_enabled, is_view_replay_enabled)
from .anomaly import detect_anomaly, set_detect_anomaly, is_anomaly_enabled
from .function import Function
from .strides import contiguous_as_torch  # noqa: F401  (the ops' results laid out as torch's)
from . import graph, forward_ad
from .engine import backward, grad, run_backward, make_grads, sum_to_shape, SumToShape

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "grad", "backward", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "graph", "Variable", "variable", "inference_mode", "set_multithreading_enabled"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):           # every Tensor is a Variable, as in torch
        from ..tensor import Tensor
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """torch's legacy ``Variable(data, requires_grad=False, volatile=False)``: Variables and
    Tensors are one since torch 0.4, so this gives a Tensor — a new leaf sharing ``data``'s
    values (as ``data.detach()``) with ``requires_grad`` set; ``Variable()`` is ``tensor([])``.
    ``volatile=True`` only warns (torch's "volatile was removed")."""

    def __new__(cls, *args, **kwargs):
        from ..tensor import Tensor
        names = ("data", "requires_grad", "volatile")
        if len(args) > len(names):
            raise TypeError(f"Variable() takes at most 3 arguments ({len(args)} given)")
        for key in kwargs:
            if key not in names:
                raise TypeError(f"{key!r} is an invalid keyword argument for this function")
        given = dict(zip(names, args), **kwargs)
        data = given.get("data")
        requires_grad, volatile = given.get("requires_grad", False), given.get("volatile", False)
        if volatile:
            import warnings
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=warn_level(2))
        if data is None:
            from ..creation import tensor
            data = tensor([])
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out


def variable(*args, **kwargs):
    """torch.autograd.variable: removed in torch (a RuntimeError); use ``tensor(...)``."""
    raise RuntimeError("torch.autograd.variable(...) is deprecated, use torch.tensor(...) "
                       "instead")


def __getattr__(name):
    # torch.autograd.functional (jacobian, hessian, ...) is imported on first use: it builds on
    # the whole library, which imports this package
    if name in ("functional", "profiler"):         # (and torch.autograd.profiler)
        import importlib
        return importlib.import_module("." + name, __name__)
    if name == "inference_mode":                   # torch.autograd.inference_mode
        from ..functions.misc import inference_mode
        return inference_mode
    if name in ("gradcheck", "gradgradcheck"):     # torch.autograd.gradcheck, likewise
        import importlib
        return getattr(importlib.import_module("..gradcheck", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
