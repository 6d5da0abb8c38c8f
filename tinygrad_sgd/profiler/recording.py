"""What the profiler records, and the one check that makes it cost nothing when off.

The graph machinery reads ``_mode.profiler`` (the per-thread grad-mode state) at four places:
``Function.apply`` (every op), the backward walk (every node's backward), a leaf's gradient
accumulation and a custom ``autograd.Function``'s apply; ``record_function`` and the
optimizers' steps read it too. While no profiler records it is None, and that one attribute
read is the whole cost. While one records, it is a :class:`Recorder`, and each of those makes a
:class:`Range`: a name, a start and an end (``time.perf_counter_ns``), the thread, and, when
asked, the inputs' shapes, the bytes of the output and the Python stack. Who is whose parent,
and so self time versus total time, is found afterwards from how the ranges nest
(:mod:`.events`), as torch does. Only the thread that started the profiler is recorded.

Names are torch's where the library knows torch's name of the node an op makes
(:mod:`tinygrad_sgd.autograd.torch_names`): ``AddmmBackward0`` is made by ``aten::addmm``, so a
``LinearOp`` is recorded as ``aten::addmm``, a ``Mul`` as ``aten::mul``; backward nodes are
``autograd::engine::evaluate_function: AddmmBackward0`` around ``AddmmBackward0``, as torch's
engine names them. An op is one range: ops that the op's own forward runs (rare: forward works
on arrays) are part of it, not rows of their own.
"""
import functools
import re
import threading
import time
import traceback

from ..autograd.function import _tensor_class
from ..autograd.grad_mode import _mode

__all__ = ["Range", "Recorder", "aten_name", "op_name", "start", "stop", "active"]

_now = time.perf_counter_ns
_PACKAGE = __name__.rsplit(".", 2)[0]


class Range:
    """One recorded interval: an op, a backward node, a ``record_function`` range."""
    __slots__ = ("name", "start", "end", "shapes", "nbytes", "stack", "kind")

    def __init__(self, recorder, name, kind="cpu_op", shapes=None):
        self.name, self.kind, self.shapes = name, kind, shapes
        self.nbytes, self.end = 0, None
        self.stack = _user_stack() if recorder.with_stack else None
        recorder.ranges.append(self)
        self.start = _now()

    def close(self):
        self.end = _now()


def _user_stack():
    """torch's ``with_stack`` entries (``file.py(12): fn``), the library's own frames left out."""
    return [f"{f.filename}({f.lineno}): {f.name}" for f in reversed(traceback.extract_stack())
            if f"/{_PACKAGE}/" not in f.filename.replace("\\", "/")]


# ----------------------------------------------------------------------------- names
# where torch's op is not the node's name in snake case (and the library's helper ops whose
# work torch does with an op of another name: SumToShape reduces a broadcast gradient by a sum)
_OVERRIDES = {"to_copy": "_to_copy", "unsafe_view": "_unsafe_view", "arg_max": "argmax",
              "arg_min": "argmin", "arg_sort": "argsort", "top_k_indices": "topk",
              "kth_value_index": "kthvalue", "median_index": "median", "mode_index": "mode",
              "cum_max_indices": "cummax", "cum_min_indices": "cummin", "sum_to_shape": "sum",
              "linear_weight_grad": "mm"}


@functools.lru_cache(maxsize=None)
def aten_name(grad_fn_name):
    """``AddmmBackward0`` → ``aten::addmm``: the ATen op torch names the node after."""
    base = re.sub(r"Backward\d*$", "", grad_fn_name.rsplit("::", 1)[-1])
    base = re.sub(r"(\d)D", r"\1d", base)                         # MaxPool2D → MaxPool2d
    snake = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", base).lower()
    return "aten::" + _OVERRIDES.get(snake, snake)


def op_name(cls, node=None):
    """The name an op of class ``cls`` is recorded under: ``aten::`` + torch's op (see
    :func:`aten_name`); a custom ``autograd.Function``, its class name (as torch); an op torch
    has no derivative for (``//``), the library's own label."""
    if getattr(cls, "_torch_forward", None) is not None:
        return cls.__name__
    from ..autograd.torch_names import torch_name
    name = torch_name(cls, node)
    if name == "torch::autograd::NotImplemented":
        return "aten::" + (cls.op_name or cls.__name__.lower())
    if name.startswith("torch::autograd::"):
        return "aten::copy_"
    return aten_name(name)


_class_names = {}


def _shapes(args):
    """torch's ``Input Shapes``: one list per argument, ``[]`` for one that is not a tensor."""
    Tensor = _tensor_class()        # (tuples: the collector does not track them; lists later)
    return tuple(a.array.shape if isinstance(a, Tensor) else () for a in args)


# ----------------------------------------------------------------------------- the recorder
class Recorder:
    """What ``_mode.profiler`` holds while a profiler records: called by the graph machinery
    (see the module notes), it keeps the :class:`Range`\\ s of one trace in ``ranges``."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False):
        self.record_shapes, self.profile_memory = bool(record_shapes), bool(profile_memory)
        self.with_stack = bool(with_stack)
        self.ranges = []
        self.thread = threading.get_ident()

    def __call__(self, cls, args, kwargs):
        """``cls.apply(*args, **kwargs)`` as one range, named torch's name of the op."""
        name = _class_names.get(cls)
        if name is None:
            name = _class_names[cls] = op_name(cls)
        r = Range(self, name, shapes=_shapes(args) if self.record_shapes else None)
        _mode.profiler = None                   # (the op itself runs unwatched)
        try:
            out = cls.apply(*args, **kwargs)
        finally:
            _mode.profiler = self
            r.close()
        node = getattr(out, "grad_fn", None)
        if node is not None and type(node) is cls:
            node.__dict__["_profiled"] = r        # (torch_names.named may rename it: renamed)
        if self.profile_memory:
            r.nbytes = sum(getattr(getattr(o, "array", None), "nbytes", 0)
                           for o in (out if isinstance(out, tuple) else (out,)))
        return out

    def open(self, name, kind="cpu_op", shapes=None):
        return Range(self, name, kind, shapes)

    def backward(self, node, g):
        """A node's backward as torch's engine records it: ``autograd::engine::
        evaluate_function: <node>`` around ``<node>`` (torch's grad_fn name), the ops of the
        formula inside."""
        from ..autograd.engine import _call_backward
        from ..autograd.torch_names import torch_name
        name = torch_name(type(node), node)
        outer = Range(self, "autograd::engine::evaluate_function: " + name)
        inner = Range(self, name, shapes=(tuple(getattr(g, "shape", ())),)
                      if self.record_shapes else None)
        try:
            return _call_backward(node, g)
        finally:
            inner.close()
            outer.close()

    def accumulate(self, accumulate, leaf, g, create_graph):
        """Adding a leaf's gradient into ``.grad``: torch's ``AccumulateGrad`` node."""
        outer = Range(self, "autograd::engine::evaluate_function: "
                            "torch::autograd::AccumulateGrad")
        inner = Range(self, "torch::autograd::AccumulateGrad",
                      shapes=(tuple(g.shape),) if self.record_shapes else None)
        try:
            return accumulate(leaf, g, create_graph)
        finally:
            inner.close()
            outer.close()

    _entering = None        # the custom Function whose apply custom() is calling

    def claim(self, cls):
        """Read by a custom Function's apply: False when :meth:`custom` is calling it (run it),
        True for a fresh call (time it)."""
        if self._entering is cls:
            self._entering = None
            return False
        return True

    def custom(self, cls, args, kwargs):
        """A custom ``autograd.Function``'s apply as one range named after its class (torch's
        name for it), the ops its forward runs inside."""
        r = Range(self, cls.__name__, shapes=_shapes(args) if self.record_shapes else None)
        self._entering = cls
        try:
            return cls.apply(*args, **kwargs)
        finally:
            self._entering = None
            r.close()

    def renamed(self, out, torch_grad_fn, inputs):
        """A public function named the node its last op made (``x.mean()``: a sum divided,
        named ``MeanBackward0``): the op's range takes the name too (``aten::mean``)."""
        node = getattr(out, "grad_fn", None)
        r = None if node is None else node.__dict__.get("_profiled")
        if r is not None and all(node is not getattr(t, "grad_fn", None) for t in inputs):
            r.name = aten_name(torch_grad_fn)

    def call(self, name, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` as one range called ``name`` (a custom Function, a step)."""
        r = Range(self, name, "cpu_op" if "#" not in name else "user_annotation",
                  shapes=_shapes(args) if self.record_shapes and "#" not in name else None)
        try:
            return fn(*args, **kwargs)
        finally:
            r.close()


def active():
    """The recording :class:`Recorder` of this thread, or None."""
    return _mode.profiler


def start(record_shapes=False, profile_memory=False, with_stack=False):
    """Begin recording a trace on this thread."""
    if _mode.profiler is not None:
        raise RuntimeError("Profiler is already enabled on this thread: stop the running "
                           "profiler (leave its `with` block) before starting another")
    _class_names.clear()
    _mode.profiler = Recorder(record_shapes, profile_memory, with_stack)


def stop():
    """End the trace: its finished ranges (one still open is dropped, as torch drops it)."""
    recorder, _mode.profiler = _mode.profiler, None
    return [] if recorder is None else [r for r in recorder.ranges if r.end is not None]
