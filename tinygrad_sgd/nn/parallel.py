"""``torch.nn.parallel`` on a machine with no accelerator: ``DataParallel`` runs the module.

torch's :class:`DataParallel` splits a batch across GPUs, runs a replica of the module on each
and gathers the outputs. When no accelerator is present (always, here) its constructor stores
the module, sets ``device_ids = []`` and stops — ``device_ids``, ``output_device`` and ``dim``
are accepted and not checked, nothing is warned, and no ``dim`` / ``output_device`` attribute
exists — and its forward is ``self.module(*inputs, **kwargs)`` inside a profiler range named
``DataParallel.forward``. So is this one: a Module with one child, ``module``, whose
``state_dict`` keys carry the ``module.`` prefix and whose parameters are the module's.

:func:`data_parallel`, the functional form, needs a device type and on a CPU-only torch always
raises ``RuntimeError: device type could not be determined``; so it does here.
:class:`DistributedDataParallel` needs a process group: with none given, torch raises
``ValueError: Default process group has not been initialized, ...`` (this library has no
``torch.distributed`` to initialise one), after torch's two argument checks.
"""
from typing import Generic, TypeVar

from .module import Module

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]

T = TypeVar("T", bound=Module)


def _range(name):
    from ..profiler.profile import record_function
    return record_function(name)


class DataParallel(Module, Generic[T]):
    """``DataParallel(module, device_ids=None, output_device=None, dim=0)``: with no
    accelerator, a wrapper that calls ``module`` (torch's CPU behaviour; see the module
    notes). ``DataParallel(model).module`` is ``model``."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module          # (no accelerator: torch stops here, keeping no dim)
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        with _range("DataParallel.forward"):
            return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """torch's functional DataParallel: it finds no device type on a machine without an
    accelerator, and says so (use ``module(*inputs)``)."""
    raise RuntimeError("device type could not be determined")


class DistributedDataParallel(Module):
    """torch's DDP, as far as it goes without ``torch.distributed``: its argument checks, then
    the error for the missing default process group."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        super().__init__()
        if (delay_all_reduce_named_params is None) != (param_to_hook_all_reduce is None):
            raise ValueError("delay_all_reduce_named_params and param_to_hook_all_reduce "
                             "need to be set at the same time.")
        if process_group and device_mesh is not None:
            raise RuntimeError("Cannot specify both process_group and device_mesh arguments.")
        if process_group is None and device_mesh is None:
            raise ValueError("Default process group has not been initialized, please make "
                             "sure to call init_process_group.")
        raise NotImplementedError("DistributedDataParallel with a process group or device "
                                  "mesh is not provided by tinygrad_sgd (it has no "
                                  "torch.distributed)")
