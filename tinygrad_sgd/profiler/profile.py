"""The profilers: ``torch.profiler.profile`` (with its schedule of steps) and the older
``torch.autograd.profiler.profile``; ``record_function``; ``schedule``;
``tensorboard_trace_handler``.

A schedule maps the step number (``prof.step()`` counts them) to a :class:`ProfilerAction`,
and the profiler acts on each change as torch's does, with torch's table of transitions:
NONE → WARMUP prepares a trace, → RECORD starts recording, RECORD_AND_SAVE → anything stops
it and calls ``on_trace_ready(prof)`` (so do leaving the ``with`` block while recording).
Warm-up records nothing here: torch warms its tracer up, which this one does not need.
"""
import contextlib
import enum
import functools
import gc
import os
import socket
import time
import warnings

from . import recording
from .events import build_events

__all__ = ["ProfilerActivity", "ProfilerAction", "profile", "record_function", "schedule",
           "tensorboard_trace_handler", "supported_activities", "kineto_available",
           "legacy_profile"]


class ProfilerActivity(enum.IntEnum):
    """torch's activity groups; only the CPU's can be recorded here."""
    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5

    def __str__(self):
        return f"ProfilerActivity.{self.name}"


class ProfilerAction(enum.Enum):
    """What the profiler does during a step (what a schedule returns)."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    return {ProfilerActivity.CPU}


def kineto_available():
    return False


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """torch's schedule: skip the first ``skip_first`` steps, then cycles of ``wait`` steps
    doing nothing, ``warmup`` steps warming up and ``active`` steps recording (the last of
    them RECORD_AND_SAVE), ``repeat`` times (0: until the profiler stops).
    ``skip_first_wait``: the first cycle starts without its wait."""
    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        return (ProfilerAction.RECORD if mod_step < num_steps - 1
                else ProfilerAction.RECORD_AND_SAVE)

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    return schedule_fn


def _default_schedule_fn(_):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False,
                              use_python_export=False):
    """An ``on_trace_ready`` that writes each trace to ``dir_name`` as
    ``<worker_name>.<time_ns>.pt.trace.json[.gz]`` (worker: ``<host>_<pid>``), the files
    TensorBoard's profiler plugin and Perfetto read."""
    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, file_name))
    return handler_fn


class record_function(contextlib.ContextDecorator):
    """A named range of the trace around a block (``with record_function("forward"):``) or a
    function (``@record_function("loss")``); ranges nest, and a range's self time is what its
    inner ranges and ops leave. Costs one flag check while no profiler records."""

    def __init__(self, name, args=None):
        self.name, self.args = name, args
        self._ranges = []

    def __enter__(self):
        recorder = recording.active()
        self._ranges.append(None if recorder is None else
                            recorder.open(self.name, "user_annotation"))
        return self

    def __exit__(self, *exc):
        r = self._ranges.pop() if self._ranges else None
        if r is not None:
            r.close()
        return False


class _Profile:
    """What both profilers share: starting and stopping a trace, and its events."""
    _events = None

    def _init(self, record_shapes, profile_memory, with_stack):
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack = with_stack
        self._trace_start_ns = 0

    def prepare_trace(self):
        self._events = None

    def start_trace(self):
        recording.start(self.record_shapes, self.profile_memory, self.with_stack)
        self._trace_start_ns = time.time_ns() - time.perf_counter_ns()

    def stop_trace(self):
        recorder = recording.active()
        if recorder is not None:
            collecting = gc.isenabled()
            gc.disable()              # (the events are many small new objects: no GC passes)
            try:
                self._events = build_events(recording.stop(), recorder.thread,
                                            self._trace_start_ns, self.profile_memory,
                                            self.record_shapes)
            finally:
                if collecting:
                    gc.enable()

    def events(self):
        """The recorded :class:`~.events.FunctionEvent`\\ s of the last trace, in start order."""
        if self._events is None:
            raise AssertionError("Profiler must be initialized before getting events")
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """The events summed per name (and input shapes / stack, when asked)."""
        return self.events().key_averages(group_by_input_shape, group_by_stack_n,
                                          group_by_overload_name)

    def export_chrome_trace(self, path, use_python_export=False):
        """Write the last trace as a Chrome trace (chrome://tracing, Perfetto)."""
        return self.events().export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """torch's flame-graph input: one ``frame;frame;op <µs>`` line per event with a stack
        (needs ``with_stack=True``)."""
        with open(path, "w") as f:
            for e in self.events():
                if e.stack:
                    frames = ";".join(s.replace(";", ",") for s in reversed(e.stack))
                    f.write(f"{frames};{e.name} {int(getattr(e, metric))}\n")


class profile(_Profile):
    """torch.profiler.profile: a context manager that records the CPU time of every op the
    library runs, every backward node, optimizer steps and ``record_function`` ranges (see
    :mod:`tinygrad_sgd.profiler`). ``step()`` marks a new step for ``schedule``."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, custom_trace_id_callback=None,
                 post_processing_timeout_s=None):
        wanted = set()
        for item in activities if activities is not None else supported_activities():
            wanted.update(item.keys() if isinstance(item, dict) else [item])
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                          FutureWarning, stacklevel=2)
            if use_cuda:
                wanted.add(ProfilerActivity.CUDA)
        if not wanted:
            raise AssertionError("No valid profiler activities found")
        if wanted - {ProfilerActivity.CPU}:
            warnings.warn(f"tinygrad_sgd runs on the CPU only: of the activities "
                          f"{sorted(str(a) for a in wanted)} only ProfilerActivity.CPU is "
                          f"recorded", stacklevel=2)
        self.activities = wanted
        self._init(record_shapes, profile_memory, with_stack)
        self.with_flops, self.with_modules = with_flops, with_modules
        self.schedule = schedule or _default_schedule_fn
        self.record_steps = schedule is not None        # ProfilerStep#N ranges in the trace
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn = None
        self.current_action = self.schedule(self.step_num)
        A = ProfilerAction
        prepare, start, stop = self.prepare_trace, self.start_trace, self.stop_trace
        ready = self._trace_ready

        def warn(message):
            return functools.partial(warnings.warn, message)
        self.action_map = {
            (A.NONE, A.WARMUP): [prepare], (A.NONE, A.RECORD): [prepare, start],
            (A.NONE, A.RECORD_AND_SAVE): [prepare, start],
            (A.WARMUP, A.NONE): [warn("Incorrect schedule: WARMUP followed by NONE"),
                                 start, stop],
            (A.WARMUP, A.RECORD): [start], (A.WARMUP, A.RECORD_AND_SAVE): [start],
            (A.RECORD, A.NONE): [warn("Incorrect schedule: RECORD followed by NONE"), stop],
            (A.RECORD, A.WARMUP): [warn("Incorrect schedule: RECORD followed by WARMUP"), stop],
            (A.RECORD_AND_SAVE, A.NONE): [stop, ready],
            (A.RECORD_AND_SAVE, A.WARMUP): [stop, ready, prepare],
            (A.RECORD_AND_SAVE, A.RECORD): [stop, ready, prepare, start],
            (A.RECORD_AND_SAVE, A.RECORD_AND_SAVE): [stop, ready, prepare, start],
            (A.WARMUP, None): [start, stop], (A.RECORD, None): [stop, ready],
            (A.RECORD_AND_SAVE, None): [stop, ready]}

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.stop()

    def start(self):
        self._transit_action(ProfilerAction.NONE, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def stop(self):
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        self._transit_action(self.current_action, None)

    def step(self):
        """Signal that the next step has started: act on the schedule's action for it."""
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        prev_action = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if self.current_action == ProfilerAction.DEVICE_STOPPED:
            raise ValueError("ProfilerAction.DEVICE_STOPPED is set internally by the profiler "
                             "and must not be returned by a user-provided schedule")
        self._transit_action(prev_action, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def _trace_ready(self):
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit_action(self, prev_action, current_action):
        for action in self.action_map.get((prev_action, current_action), ()):
            action()

    def add_metadata(self, key, value):
        """torch adds it to the trace file; here it is kept on the profiler only."""
        self.__dict__.setdefault("metadata", {})[key] = value

    def add_metadata_json(self, key, value):
        self.add_metadata(key, value)


class legacy_profile(_Profile):
    """torch.autograd.profiler.profile: one trace, from ``__enter__`` to ``__exit__``;
    ``function_events``, ``table()``, ``key_averages()``, ``self_cpu_time_total``."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None,
                 activity_filters=None):
        self.enabled = enabled
        self._init(record_shapes, profile_memory, with_stack)
        if use_cuda or use_device not in (None, "cpu"):
            warnings.warn("tinygrad_sgd runs on the CPU only: only CPU time is recorded",
                          stacklevel=2)

    def __enter__(self):
        if self.enabled:
            self.start_trace()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if self.enabled:
            self.stop_trace()
        return False

    @property
    def function_events(self):
        return self._events

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        return self.events().table(sort_by, row_limit, max_src_column_width,
                                   max_name_column_width, max_shapes_column_width, header,
                                   top_level_events_only, time_unit)

    def total_average(self):
        return self.events().total_average()

    @property
    def self_cpu_time_total(self):
        return self.events().self_cpu_time_total

    def __str__(self):
        return self.table() if self._events is not None else "<unfinished profile>"

