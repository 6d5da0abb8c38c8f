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
:class:`DistributedDataParallel` needs a process group: with none, torch raises
``ValueError: Default process group has not been initialized, ...``. In the world of one
process :mod:`tinygrad_sgd.distributed` starts, DDP is torch's with one rank: it calls the
module, and the gradients it averages over the ranks are the module's own (÷ 1).
"""
import contextlib
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
    """torch's DDP in a world of one process (:mod:`tinygrad_sgd.distributed`): torch's
    argument checks, then a wrapper whose forward is the module's and whose backward leaves
    each gradient as it is — torch's DDP averages it over the ranks (sum ÷ world size), over
    one rank the gradient itself, also inside :meth:`no_sync`. Its ``state_dict`` keys carry
    the ``module.`` prefix, as torch's."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, init_sync=True, process_group=None,
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
        if device_mesh is not None:
            raise NotImplementedError("DistributedDataParallel with a device mesh is not "
                                      "provided by tinygrad_sgd")
        from .. import distributed
        if process_group is None:
            if not distributed.is_initialized():
                raise ValueError("Default process group has not been initialized, please "
                                 "make sure to call init_process_group.")
            process_group = distributed.group.WORLD
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        if device_ids is not None or output_device is not None:
            raise ValueError(f"DistributedDataParallel device_ids and output_device arguments "
                             f"only work with single-device/multiple-device GPU modules or CPU "
                             f"modules, but got device_ids {device_ids}, output_device "
                             f"{output_device}, and module parameters {{device(type='cpu')}}.")
        self.module = module
        self.device_ids = self.output_device = None
        self.dim, self.broadcast_buffers = dim, broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view, self.static_graph = gradient_as_bucket_view, static_graph
        self.process_group = process_group
        self.require_backward_grad_sync = True

    def forward(self, *inputs, **kwargs):
        with _range("DistributedDataParallel.forward"):
            return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward passes accumulate gradients without averaging them over the ranks
        (over one rank, the same gradients)."""
        old, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    @contextlib.contextmanager
    def join(self, divide_by_initial_world_size=True, enable=True,
             throw_on_early_termination=False):
        """For uneven inputs across ranks: one rank never waits for another."""
        yield

    def register_comm_hook(self, state, hook):
        """torch runs ``hook`` on each bucket of gradients (even on one rank, where a
        compression hook changes them): not provided, rather than skipped silently."""
        raise NotImplementedError("DistributedDataParallel.register_comm_hook is not provided "
                                  "by tinygrad_sgd")
