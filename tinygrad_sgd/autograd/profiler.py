"""``torch.autograd.profiler``: the older profiler (one trace per ``with`` block, with
``table()`` on the profiler itself), ``record_function``, and the event classes. The
recording itself is :mod:`tinygrad_sgd.profiler`'s."""
from ..profiler.profile import legacy_profile as profile, record_function, ProfilerActivity, \
    kineto_available
from ..profiler.events import DeviceType, EventList, FunctionEvent

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "ProfilerActivity",
           "DeviceType", "kineto_available"]
