"""The backward run in progress, as torch's *graph task*: which run a hook is called from, and
which nodes that run reaches — what ``autograd.graph.register_multi_grad_hook`` needs to call
its function once per run, when the last of its tensors' gradients has come.

:func:`~.engine.run_backward` enters a :class:`GraphTask` around its walk (a hook that runs a
backward itself nests another). Making one costs a few attribute writes per backward; what
it reaches is worked out only when a hook asks.
"""
import itertools
import threading

from .function import Function

__all__ = ["GraphTask"]


class GraphTask:
    """The backward run in progress (torch's graph task), for hooks that must know which run
    called them and what it will reach (``autograd.graph.register_multi_grad_hook``): entered
    by :func:`run_backward` around its walk (a hook that runs backward nests another). Made
    once per run; what it will reach is only worked out if asked."""
    _ids = itertools.count(1)
    _local = threading.local()

    def __init__(self, counts, runs, roots, inputs, capture):
        self.counts, self.runs, self.roots = counts, runs, roots
        self.inputs, self.capture = inputs, capture
        self.id = next(GraphTask._ids)
        self._leaves = None

    def __enter__(self):
        local = GraphTask._local
        self.outer = local.__dict__.get("task")
        local.task = self

    def __exit__(self, *exc):
        GraphTask._local.task = self.outer
        return False

    @staticmethod
    def current():
        """The run in progress in this thread, or None."""
        return GraphTask._local.__dict__.get("task")

    def will_run_hooks_of(self, t):
        """torch's ``_will_engine_execute_node`` for t's node (its grad_fn, or for a leaf its
        AccumulateGrad): whether this run reaches it (with ``inputs``: on a path to one)."""
        node = t.grad_fn
        if node is not None:
            return node in self.counts and (self.runs is None or node in self.runs
                                            or node in self.capture.at_node)
        if self.inputs is not None and all(i is not t for i in self.inputs):
            return False
        if self._leaves is None:
            self._leaves = {id(e) for node in self.counts if self.runs is None or node in
                            self.runs for e in node._edges if not isinstance(e, Function)}
            self._leaves.update(id(r) for r in self.roots if not isinstance(r, Function))
        return id(t) in self._leaves
