"""Backpropagation you can step through: :func:`explore` builds an :class:`Explorer`, one
self-contained HTML page (its SVG, CSS and JavaScript inline: no server, no network) that shows
the graph laid out by Graphviz and steps through it — the forward pass first (values appear
node by node), then the backward pass in the exact order the engine ran it (gradients arrive,
leaves' ``.grad`` accumulate)::

    from tinygrad_sgd import viz
    loss, names = viz.EXAMPLES["neuron"]()
    page = viz.explore(loss, "backprop.html", params=names)   # runs backward, writes the page
    page                                                       # in Jupyter: shown inline

``explore`` runs backward itself (with the engine's observer, as
:func:`~tinygrad_sgd.viz.explain_backward` does): the leaves' ``.grad`` are accumulated exactly
as ``loss.backward()`` would, so call it *instead of* ``loss.backward()``.

Node ids number the graph in the order its nodes were created: the operations in the order the
engine created them (each node's ``sequence_nr``, numbered by ``Function.apply``; an operation's
number is also its output's), each preceded by the inputs no earlier operation used — leaves,
data, constants — in argument order (``GraphView.creation_order``). The forward steps follow the
same order. ``Explorer.nodes`` lists them with names, kinds and shapes; the page's SVG groups
carry the same ids (``data-node``), and ``window.tgExplorer`` (``steps``, ``goTo(k)``,
``next()``, ``prev()``, ``state()``) lets a notebook or a test drive the page.
"""
from __future__ import annotations

import html as html_module
import os
from typing import NamedTuple

import numpy as np

from .explain import _call, record_backward
from .view import rule_of

__all__ = ["explore", "Explorer", "ExplorerNode", "ExplorerStep"]


class ExplorerNode(NamedTuple):
    """One node of the page: a leaf or input tensor, or an operation with its output."""
    id: int
    kind: str            # 'parameter' | 'input' | 'operation'
    name: str            # the tensor's name (given, or L, t1, leaf1, ... as in the narration)
    label: str           # the operation as written in code ('mul', 'conv2d(...)'); '' for a tensor
    shape: tuple         # None when the graph does not know it
    dtype: str
    op: object           # the graph node (a Function) for an operation, else None


class ExplorerStep(NamedTuple):
    """Step ``index`` of the page: 0 is the start, then one per operation forward, then one per
    operation backward (in the engine's order); ``active`` is the id of the operation."""
    index: int
    phase: str           # 'forward' | 'backward'
    active: int          # node id, or None for step 0
    title: str


def explore(output, path=None, *, params=None, title=None, max_nodes=300, gradient=None,
            retain_graph=False):
    """Run backward on ``output`` (recording every gradient) and return an :class:`Explorer`;
    with ``path``, also write its page there.

    ``params`` names tensors (a Module, or a dict ``name -> Tensor``, intermediate results
    included: only named or saved intermediate results have known values). ``max_nodes``: draw
    at most this many operation nodes, those nearest the output (None: all); past 100
    operations repeated chains are drawn collapsed. ``gradient``/``retain_graph``: as
    ``backward()``."""
    if path is not None:   # before backward runs: a failure must not leave .grad changed
        from .render import require_dot
        require_dot(f"write the explorer's page {os.path.basename(os.fspath(path))!r}")
    if getattr(output, "grad_fn", 1) is None:
        raise ValueError("explore: this tensor was not computed by any operation (it is a "
                         "leaf), so there is no graph to step through")
    view, names, root_key, had_grad, steps, contributions = record_backward(
        output, gradient, params, retain_graph, "explore")
    explorer = Explorer(view, names, root_key, had_grad, steps, contributions, title=title,
                        max_nodes=max_nodes)
    if path is not None:
        explorer.save(path)
    return explorer


class Explorer:
    """The recorded forward and backward pass of one graph, and its page.

    * ``nodes``: :class:`ExplorerNode` records, indexed by id;
    * ``steps``: :class:`ExplorerStep` records (``forward_steps`` + ``backward_steps`` + 1);
    * ``node_of(x)``: the node of an operation (a ``grad_fn``) or of a Tensor;
    * ``value(id, step)`` / ``grad(id, step)``: the arrays the page shows at a step;
    * ``save(path)``, ``html()``, ``_repr_html_()`` (Jupyter: the page in an iframe).
    """

    def __init__(self, view, names, root_key, had_grad, steps, contributions, title=None,
                 max_nodes=300):
        self.view, self.names, self.root_key = view, names, root_key
        self.had_grad, self.backward, self.contributions = had_grad, steps, contributions
        self.max_nodes = max_nodes
        self.order = view.creation_order()
        self.nodes = [None] * len(self.order)
        for key, i in self.order.items():
            info = view.tensors[key]
            op = info.producer
            kind = "operation" if op is not None else (
                "parameter" if info.kind == "parameter" else "input")
            self.nodes[i] = ExplorerNode(
                i, kind, names[key], op.label() if op is not None else "",
                info.shape, None if info.dtype is None else np.dtype(info.dtype).name, op)
        self.forward_steps, self.backward_steps = len(view.ops), len(steps)
        self.title = title or (f"Backpropagation through {names[root_key]} "
                               f"({len(view.ops):,} operations)")
        self.steps = [ExplorerStep(0, "forward", None, "Before the forward pass: the leaves "
                                   "and the inputs hold their values")]
        for i, op in enumerate(view.ops, 1):
            self.steps.append(ExplorerStep(
                i, "forward", self.order[id(op)],
                f"Forward {i}/{self.forward_steps}: {names[id(op)]} = {_call(view, op, names)}"))
        for j, s in enumerate(steps, 1):
            self.steps.append(ExplorerStep(
                self.forward_steps + j, "backward", self.order[id(s.node)],
                f"Backward {j}/{self.backward_steps}: {names[s.output.key]} = "
                f"{_call(view, s.node, names)}   [{s.node.name()}]"))
        self._events = self._gradient_events()
        self._values = {i: np.array(view.tensors[key].value, copy=True)   # a snapshot: an
                        for key, i in self.order.items()                 # optimizer step
                        if view.tensors[key].value is not None}          # must not change it
        self._html = None

    # ------------------------------------------------------------------ what the page shows
    def node_of(self, x):
        """The :class:`ExplorerNode` of a graph node (``t.grad_fn``) or of a Tensor."""
        if getattr(x, "grad_fn", None) is not None:
            x = x.grad_fn
        return self.nodes[self.order[id(x)]]

    def value_step(self, node_id):
        """The step at which the node's value appears (0 for leaves and inputs)."""
        op = self.nodes[node_id].op
        return 0 if op is None else self.view.position[id(op)] + 1

    def value(self, node_id, step=None):
        """The node's value as the page shows it at ``step`` (None: not computed yet, or not
        kept by the graph)."""
        step = len(self.steps) - 1 if step is None else step
        if step < self.value_step(node_id):
            return None
        return self._values.get(node_id)

    def grad(self, node_id, step=None):
        """The gradient the page shows at ``step`` (None before any arrived): the sum of the
        gradients that reached the node so far — for a leaf, its ``.grad`` as it accumulates
        (including any ``.grad`` it had before)."""
        step = len(self.steps) - 1 if step is None else step
        shown = None
        for at, total, _ in self._events.get(node_id, ()):
            if at <= step:
                shown = total
        return shown

    def incoming(self, step):
        """The gradient a backward :class:`~.explain.Step` received: its output's summed
        gradient (the same array as the node's last gradient event)."""
        events = self._events.get(self.order[step.output.key])
        return events[-1][1] if events else step.grad_in

    def grad_events(self, node_id):
        """``[(step, running total, this contribution), ...]`` for the node."""
        return list(self._events.get(node_id, ()))

    def _gradient_events(self):
        """Every gradient arrival, as the page steps: a step index (the seed arrives with the
        first backward step), the running sum (as the engine adds them up) and the part."""
        events = {}
        received = {id(s.node): s.grad_in for s in self.backward}
        for key in list(self.contributions) + [k for k in self.had_grad
                                               if k not in self.contributions]:
            parts, info = self.contributions.get(key, []), self.view.tensors[key]
            node_id, total, rows = self.order[key], None, []
            leaf = info.producer is None and info.tensor is not None
            if leaf and key in self.had_grad:       # the .grad it had before: shown from the start
                rows.append([0, self.had_grad[key], None])
            for j, part in parts:
                total = part if total is None else total + part
                shown = total
                if leaf:   # as the engine stores it: in the leaf's dtype, after the old
                    shown = total.astype(info.tensor.dtype, copy=False)
                    if key in self.had_grad:
                        shown = self.had_grad[key] + shown
                rows.append([self.forward_steps + max(j, 1), shown, part])
            if leaf and parts and info.tensor._grad is not None:   # exactly what backward stored
                rows[-1][1] = np.array(info.tensor._grad.array, copy=True)
            elif info.producer is not None and id(info.producer) in received:
                rows[-1][1] = received[id(info.producer)]     # exactly what its op received
            events[node_id] = [tuple(r) for r in rows]
        return events

    # ------------------------------------------------------------------ the page
    def html(self) -> str:
        """The page: one self-contained HTML document."""
        if self._html is None:
            from .page import build_page
            self._html = build_page(self)
        return self._html

    def save(self, path) -> str:
        """Write the page to ``path`` (UTF-8); returns the path."""
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html())
        return path

    def _repr_html_(self):
        from .render import GraphvizNotFound, dot_available
        if not dot_available():   # Jupyter: the hint, not a traceback
            return f"<pre>{html_module.escape(str(GraphvizNotFound('show the explorer')))}</pre>"
        return (f'<iframe srcdoc="{html_module.escape(self.html(), quote=True)}" '
                f'style="width:100%;height:760px;border:1px solid #d1d5db" '
                f'sandbox="allow-scripts" title="{html_module.escape(self.title)}"></iframe>')

    def rule(self, node_id):
        op = self.nodes[node_id].op
        return "" if op is None else rule_of(op)

    def __repr__(self):
        return (f"<Explorer {self.title!r}: {len(self.nodes)} nodes, {len(self.steps)} steps "
                f"({self.forward_steps} forward, {self.backward_steps} backward)>")
