"""A recorded trace as torch presents it: :class:`FunctionEvent` (one range, with its parent
and children), :class:`FunctionEventAvg` (the events of one name summed, for
``key_averages``), :class:`EventList` (``table``, ``key_averages``, ``export_chrome_trace``).

Times are in microseconds, as torch's. An event's *total* time is its range; its *self* time
is that minus its children's totals, the children being the ranges that nest inside it on the
same thread (found here, after recording, from the start and end times alone). The table's
layout and number format are torch's (``torch.autograd.profiler_util._build_table``), so a
program that parses or diffs it reads ours too.
"""
import enum
import gzip
import json
import os
import socket
from collections import defaultdict

__all__ = ["DeviceType", "Interval", "FunctionEvent", "FunctionEventAvg", "EventList",
           "build_events"]


class DeviceType(enum.IntEnum):
    """torch.profiler.DeviceType (only the CPU is ever recorded here)."""
    CPU = 0
    CUDA = 1


class Interval:
    def __init__(self, start, end):
        self.start, self.end = start, end

    def elapsed_us(self):
        return self.end - self.start


def _format_time(time_us):
    """torch's: ``1.166s``, ``1.166ms``, ``48.212us``."""
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_time_us):
    return "NaN" if total_time_us == 0 else f"{time_us * 100.0 / total_time_us:.2f}%"


def _format_memory(nbytes):
    for limit, unit in ((1024 ** 3, "GB"), (1024 ** 2, "MB"), (1024, "KB")):
        if abs(nbytes) >= limit:
            return f"{nbytes * 1.0 / limit:.2f} {unit}"
    return f"{nbytes} b"


class _Times:
    """The columns' values and their printed forms, shared by events and their averages."""
    device_time_total = self_device_time_total = 0.0
    device_memory_usage = self_device_memory_usage = 0
    node_id, overload_name, flops, is_legacy, is_async, is_remote = -1, "", 0, False, False, False
    use_device, device_type, scope = None, DeviceType.CPU, 0

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    device_time = cuda_time = property(lambda self: 0.0)
    cuda_time_total = self_cuda_time_total = property(lambda self: 0.0)
    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))
    device_time_str = device_time_total_str = self_device_time_total_str = \
        property(lambda self: _format_time(0.0))


class FunctionEvent(_Times):
    """One recorded range: an op, a backward node, a ``record_function`` range."""

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, stack=None,
                 nbytes=0, kind="cpu_op"):
        self.id, self.name, self.thread = id, name, thread
        self.trace_name = name      # (a step's row is named "ProfilerStep*", as torch's)
        if name.startswith("ProfilerStep#"):
            self.name = "ProfilerStep*"
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack or []
        self.kind = kind
        self.is_user_annotation = kind == "user_annotation"
        self.cpu_children, self.cpu_parent = [], None
        self.count, self.sequence_nr = 1, -1
        self._own_bytes = nbytes
        self.cpu_memory_usage = self.self_cpu_memory_usage = nbytes

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} thread={self.thread} "
                f"cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage}>")


class FunctionEventAvg(_Times):
    """The events of one key (name; with its input shapes or stack when grouped so), summed."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.input_shapes, self.stack = None, None
        self.cpu_parent, self.cpu_children = None, None
        self.is_user_annotation = False

    def add(self, other):
        if self.key is None:
            self.key, self.input_shapes, self.stack = other.key, other.input_shapes, other.stack
            self.cpu_parent, self.cpu_children = other.cpu_parent, other.cpu_children
            self.is_user_annotation = other.is_user_annotation
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class EventList(list):
    """A list of :class:`FunctionEvent` (or of averages), with torch's summaries."""

    def __init__(self, *args, profile_memory=False, record_shapes=False, trace_start_ns=0,
                 **kwargs):
        kwargs.pop("use_device", None), kwargs.pop("with_flops", None)
        super().__init__(*args, **kwargs)
        self._profile_memory, self._record_shapes = profile_memory, record_shapes
        self._trace_start_ns = trace_start_ns

    def _derived(self, events):
        return EventList(events, profile_memory=self._profile_memory,
                         record_shapes=self._record_shapes, trace_start_ns=self._trace_start_ns)

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """One :class:`FunctionEventAvg` per name (and input shapes, and the first
        ``group_by_stack_n`` stack entries, when asked), in order of first appearance."""
        stats = defaultdict(FunctionEventAvg)
        for e in self:
            key = (e.key, e.is_user_annotation)
            if group_by_input_shapes:
                key += (str(e.input_shapes),)
            if group_by_stack_n > 0:
                key += tuple(e.stack[:group_by_stack_n])
            stats[key].add(e)
        averages = self._derived(stats.values())
        for a in averages:
            a.stack = a.stack[:group_by_stack_n] if group_by_stack_n > 0 else []
            if not group_by_input_shapes:
                a.input_shapes = ""
        return averages

    def total_average(self):
        total = FunctionEventAvg()
        for e in self:
            total.add(e)
        total.key = "Total"
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        """torch's table: one row per event (per key, after ``key_averages()``), sorted by the
        attribute ``sort_by`` (``"cpu_time_total"``, ``"self_cpu_time_total"``, ``"count"``,
        ``"self_cpu_memory_usage"``, ...), ``row_limit`` rows; ``Self CPU time total`` under."""
        return build_table(self, sort_by=sort_by, header=header, row_limit=row_limit,
                           max_src_column_width=max_src_column_width,
                           max_name_column_width=max_name_column_width,
                           max_shapes_column_width=max_shapes_column_width,
                           profile_memory=self._profile_memory,
                           top_level_events_only=top_level_events_only, time_unit=time_unit)

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (``chrome://tracing``, https://ui.perfetto.dev):
        ``{"traceEvents": [...]}`` of complete (``"ph": "X"``) events, ``ts`` and ``dur`` in
        microseconds; gzip-compressed when ``path`` ends in ``.gz``."""
        text = json.dumps(chrome_trace(self, path, self._record_shapes,
                                       self._trace_start_ns))
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "wt") as f:
            f.write(text)


def build_events(ranges, thread, trace_start_ns, profile_memory=False, record_shapes=False):
    """FunctionEvents from the recorder's ranges (all of thread ``thread``): times in µs since
    the epoch, each event's parent the innermost range enclosing it."""
    events = EventList(profile_memory=profile_memory, record_shapes=record_shapes,
                       trace_start_ns=trace_start_ns)
    order = sorted(range(len(ranges)), key=lambda i: (ranges[i].start, -ranges[i].end, i))
    for i, r in enumerate(ranges):
        shapes = None if r.shapes is None else [list(s) for s in r.shapes]
        events.append(FunctionEvent(i + 1, r.name, thread, (r.start + trace_start_ns) / 1e3,
                                    (r.end + trace_start_ns) / 1e3, shapes, r.stack, r.nbytes,
                                    r.kind))
    stack = []
    for i in order:
        e, r = events[i], ranges[i]
        while stack and r.end > ranges[stack[-1]].end:
            stack.pop()
        if stack:
            e.cpu_parent = events[stack[-1]]
            e.cpu_parent.cpu_children.append(e)
        stack.append(i)
    for i in reversed(order):          # children before parents: memory adds up the tree
        e = events[i]
        e.cpu_memory_usage = e._own_bytes + sum(c.cpu_memory_usage for c in e.cpu_children)
    return events


def chrome_trace(events, path, record_shapes, trace_start_ns):
    """The Chrome trace JSON object of ``events`` (see :meth:`EventList.export_chrome_trace`)."""
    pid = os.getpid()
    threads = list(dict.fromkeys(e.thread for e in events))
    first = min((e.time_range.start for e in events), default=trace_start_ns / 1e3)
    trace = [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "ts": first,
              "args": {"name": "python"}},
             {"ph": "M", "name": "process_labels", "pid": pid, "tid": 0, "ts": first,
              "args": {"labels": "CPU"}}]
    for n, t in enumerate(threads):
        trace.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": t, "ts": first,
                      "args": {"name": f"thread {n} ({t})"}})
    for e in events:
        args = {"External id": e.id}
        if record_shapes and e.input_shapes:
            args["Input Dims"] = e.input_shapes
        if e.stack:
            args["Call stack"] = ";".join(e.stack)
        trace.append({"ph": "X", "cat": e.kind, "name": e.trace_name, "pid": pid, "tid": e.thread,
                      "ts": round(e.time_range.start, 3),
                      "dur": round(e.time_range.elapsed_us(), 3), "args": args})
    return {"schemaVersion": 1, "deviceProperties": [], "record_shapes": int(record_shapes),
            "host_name": socket.gethostname(), "displayTimeUnit": "ms",
            "baseTimeNanoseconds": 0, "traceEvents": trace, "traceName": str(path)}


def build_table(events, sort_by=None, header=None, row_limit=100, max_src_column_width=75,
                max_name_column_width=55, max_shapes_column_width=80, profile_memory=False,
                top_level_events_only=False, time_unit=None):
    """torch's ``_build_table``, for the CPU columns (see :meth:`EventList.table`)."""
    if len(events) == 0:
        return ""
    has_input_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0
                           for e in events)
    if sort_by is not None:
        attribute = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = sorted(events, key=lambda e: getattr(e, attribute), reverse=True)
    name_width = min(max(len(e.key) for e in events) + 4, max_name_column_width or 10 ** 9)
    shapes_width = min(max(len(str(e.input_shapes)) for e in events) + 4,
                       max_shapes_column_width or 10 ** 9)
    stacks = [e.stack for e in events if e.stack]
    src_width = None
    if stacks:
        src_width = min(max(len(s) for stack in stacks for s in stack) + 4,
                        max_src_column_width or 10 ** 9)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [(name_width, ">")] + [(12, ">")] * (len(headers) - 1)
    if has_input_shapes:
        headers.append("Input Shapes")
        widths.append((shapes_width, ">"))
    if stacks:
        headers.append("Source Location")
        widths.append((src_width, "<"))
    row_format = "".join("{: " + align + str(w) + "}  " for w, align in widths)
    header_sep = "".join("-" * w + "  " for w, _ in widths)

    def timed(us):
        if time_unit in ("s", "ms", "us"):
            return f"{us / {'s': 1e6, 'ms': 1e3, 'us': 1.0}[time_unit]:.3f}{time_unit}"
        return _format_time(us)

    def trim_path(path):
        if len(path) > src_width:
            path = path[len(path) - src_width:]
            if len(path) > 3:
                path = "..." + path[3:]
        return path

    total = sum(e.self_cpu_time_total for e in events)
    lines = []
    line_length = sum(w + 2 for w, _ in widths) - 2
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_events_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [header_sep, row_format.format(*headers), header_sep]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row = [name, _format_time_share(e.self_cpu_time_total, total),
               timed(e.self_cpu_time_total), _format_time_share(e.cpu_time_total, total),
               timed(e.cpu_time_total), timed(e.cpu_time)]
        if profile_memory:
            row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if has_input_shapes:
            row.append(str(e.input_shapes)[:shapes_width])
        if stacks:
            row.append(trim_path(e.stack[0]) if e.stack else "")
        lines.append(row_format.format(*row))
        if stacks:
            blank = [""] * (len(headers) - 1)
            for entry in e.stack[1:]:
                lines.append(row_format.format(*(blank + [trim_path(entry)])))
            lines.append(row_format.format(*(blank + [""])))
    lines += [header_sep, f"Self CPU time total: {timed(total)}"]
    return "\n".join(lines) + "\n"
