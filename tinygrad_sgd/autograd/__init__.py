"""The graph machinery, in seven small rooms:

* :mod:`.function` — ``Function``, the base of every op and the node of the graph;
* :mod:`.engine` — the backward walk (Kahn order, accumulate, un-broadcast), ``backward``,
  ``grad``;
* :mod:`.accumulate` — where gradients are kept: leaves' ``.grad``, ``retain_grad``;
* :mod:`.grad_mode` — ``no_grad``, ``enable_grad``, ``set_grad_enabled``;
* :mod:`.slices` — gradients that are zero but for one block (indexing's, added in place);
* :mod:`.anomaly` — ``detect_anomaly``, ``set_detect_anomaly``;
* :mod:`.graph` — ``saved_tensors_hooks`` (pack/unpack what the graph saves).
"""
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled,
                        module_scope, _mode)
from .anomaly import detect_anomaly, set_detect_anomaly, is_anomaly_enabled
from .function import Function
from . import graph
from .engine import backward, grad, run_backward, make_grads, sum_to_shape, SumToShape

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "grad", "backward", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "graph"]


def __getattr__(name):
    # torch.autograd.functional (jacobian, hessian, ...) is imported on first use: it builds on
    # the whole library, which imports this package
    if name == "functional":
        import importlib
        return importlib.import_module(".functional", __name__)
    if name in ("gradcheck", "gradgradcheck"):     # torch.autograd.gradcheck, likewise
        import importlib
        return getattr(importlib.import_module("..gradcheck", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
