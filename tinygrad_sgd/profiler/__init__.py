"""``torch.profiler`` on the CPU: where a program spends its time, op by op.

    >>> from tinygrad_sgd.profiler import profile, record_function, ProfilerActivity
    >>> with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    ...     with record_function("model_inference"):
    ...         model(inputs)
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

What is recorded (:mod:`.recording`): every op the library runs (each ``Function.apply``),
named ``aten::<op>`` after torch's name of the node the op makes (``AddmmBackward0`` →
``aten::addmm``), a custom ``autograd.Function`` by its class name; every backward node, as
torch's engine names it (``autograd::engine::evaluate_function: AddmmBackward0`` around
``AddmmBackward0``, the formula's ops inside), ``torch::autograd::AccumulateGrad`` for a leaf's
gradient; ``Optimizer.step#SGD.step`` and ``Optimizer.zero_grad#SGD.zero_grad``;
``record_function`` ranges; ``ProfilerStep#N`` with a schedule. Self time is a range's time
less that of the ranges nested in it.

How the rows differ from torch's: the library runs one op where torch runs a tree of ATen
calls, so torch's inner rows do not exist here — ``aten::linear`` → ``aten::t`` →
``aten::transpose`` → ``aten::as_strided`` and ``aten::addmm`` are one ``aten::addmm``;
``cross_entropy`` is ``aten::log_softmax`` and ``aten::nll_loss`` with no
``aten::cross_entropy_loss`` above them; an optimizer's step is one range (its NumPy update
runs no ops); the seed gradient of ``backward()`` (torch's ``aten::ones_like``) is not an op.
Where a public function builds its result from several ops (``x.mean()`` is a sum and a
division), the rows are those ops', the last renamed to torch's (``aten::mean``) when a graph
is recorded. ``profile_memory`` counts the bytes of each op's results (allocations, not
frees); warm-up steps record nothing; only ``ProfilerActivity.CPU`` exists.
"""
from .profile import (ProfilerActivity, ProfilerAction, profile, record_function, schedule,
                      tensorboard_trace_handler, supported_activities, kineto_available)
from .events import DeviceType, EventList, FunctionEvent, FunctionEventAvg

__all__ = ["profile", "schedule", "supported_activities", "tensorboard_trace_handler",
           "ProfilerAction", "ProfilerActivity", "kineto_available", "DeviceType",
           "record_function"]
