"""Draw the computation graph behind a Tensor with Graphviz.

The picture has two kinds of nodes, as in micrograd's ``draw_dot``:

* **operations** (grey, rounded): named as in the code — ``mul``, ``matmul``,
  ``conv2d(stride=1, padding=0)``; hovering one in an SVG shows the derivative rule from the op's
  docstring;
* **tensors** (tables): name (``fc1.weight``), shape and dtype, and — for tensors of a handful of
  elements — the values (``data``) and, after ``backward()``, the gradient (``grad``); larger
  tensors get a one-line summary (mean, min, max).

Colours (with a legend): parameters (leaves that require grad), inputs and constants (tensors
that need no gradient, drawn when an operation saved them), tensors *saved for backward* (orange;
the edge into the operation that keeps them is orange too), the output, and operations. With
``group_modules`` the operations run inside each submodule are boxed in a labelled cluster
(``conv1: Conv2d``), so a model's graph reads like its class definition.

What can be shown about an intermediate result is what the graph still holds: its shape (from the
consumers' ``input_shapes``), and its values only where an operation saved them for backward
(or when you name the tensor in ``params``, or pass the record of
:func:`~tinygrad_sgd.viz.explain.explain_backward`). Gradients of intermediates are not stored by
``backward()`` — call ``retain_grad()`` on the tensors you name, or use ``explain_backward``.

Large graphs: repeated chains (an unrolled loop, a stack of identical layers) are drawn as one
node ``(mul → add) × 2,500``, and past ``max_nodes`` only the operations closest to the output are
drawn; a note node says what was left out.
"""
from __future__ import annotations

import functools
import html
import os
import re
import shutil
from collections import Counter
from typing import NamedTuple

import numpy as np

from ..autograd import Function
from ..tensor import Tensor

__all__ = ["draw_graph", "draw_model", "save_graph", "GraphvizNotFound", "COLORS"]

COLORS = {
    "parameter": "#bfdbfe",     # leaf tensors that require grad (weights, or a, b, c in a toy)
    "input": "#e9d5ff",         # tensors needing no gradient: data, targets, constants
    "saved": "#fed7aa",         # results kept by an operation for its backward
    "output": "#bbf7d0",        # the tensor the graph was drawn from (usually the loss)
    "operation": "#e5e7eb",
    "intermediate": "#ffffff",
    "active": "#fde047",        # explain_backward frames: the operation running now
}
SAVED_EDGE = "#ea580c"
ACTIVE_EDGE = "#dc2626"
FONT = "Helvetica"
MONO = "DejaVu Sans Mono"

_RENDER_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif")


# ============================================================================ the graph, inspected
class TensorInfo:
    """One tensor of the picture: a leaf, an input an operation saved, or an operation's output."""

    def __init__(self, key, kind, producer=None, tensor=None):
        self.key = key                # id() of the leaf Tensor, or of the producing node
        self.kind = kind              # 'parameter' | 'input' | 'intermediate' | 'output'
        self.producer = producer      # the Function whose output this is (None for leaves)
        self.tensor = tensor          # a Tensor object holding it, when one is known
        self.name = None
        self.shape = None
        self.dtype = None
        self.value = None             # ndarray, when known
        self.saved_by = []            # operations that keep it for backward
        self.consumers = []           # operations that take it as input

    @property
    def grad(self):
        """The gradient stored in a Tensor holding this value (leaf .grad, or retain_grad)."""
        t = self.tensor
        return None if t is None or t.grad is None else t.grad.array


class GraphView:
    """Everything drawing and narration need to know about the graph behind ``roots``:
    operations in forward order (inputs before the operations that use them), and a
    :class:`TensorInfo` for every tensor, with names from ``params``.

    The walk is iterative, so a chain of 100,000 operations is fine.
    """

    def __init__(self, roots, params=None):
        self.roots = list(roots)
        root_nodes = [r.grad_fn for r in self.roots if r.grad_fn is not None]
        self.ops = _forward_order(root_nodes)
        self.position = {id(op): i for i, op in enumerate(self.ops)}
        self.tensors = {}             # key -> TensorInfo
        self.inputs = {}              # id(op) -> [key or None per input slot]
        self.out_saved = set()        # id(op) of operations that keep their own output
        self.module_names = {}        # id(module) -> dotted name ('' for a model itself)

        for op in self.ops:
            out = self._add(id(op), "intermediate", producer=op)
            keys = []
            for edge in op.next_functions:
                if isinstance(edge, Function):
                    keys.append(id(edge))
                elif edge is not None:  # a leaf Tensor that requires grad
                    keys.append(self._add(id(edge), "parameter", tensor=edge).key)
                else:
                    keys.append(None)
            self.inputs[id(op)] = keys
            if _keeps(op, "_out_array") is not None:
                out.value = op._out_array
                self.out_saved.add(id(op))
                out.saved_by.append(op)
        for op in self.ops:
            self._read_saved(op)
            for key in self.inputs[id(op)]:
                if key is not None:
                    self.tensors[key].consumers.append(op)
        for r in self.roots:
            info = self.tensors.get(id(r.grad_fn)) if r.grad_fn is not None else None
            if info is None:  # a lone tensor: nothing was computed from it
                info = self._add(id(r), "parameter" if r.requires_grad else "input", tensor=r)
            else:
                info.kind, info.tensor = "output", r
            info.value = r.array
        self._name_tensors(params)
        self._infer_shapes()

    # --------------------------------------------------------------------- building
    def _add(self, key, kind, producer=None, tensor=None):
        info = self.tensors.get(key)
        if info is None:
            info = self.tensors[key] = TensorInfo(key, kind, producer, tensor)
            if tensor is not None:
                info.value = tensor.array
        return info

    def _read_saved(self, op):
        """What ``op`` kept for backward: values of intermediates, and inputs needing no grad."""
        for t in _keeps(op, "_saved") or ():
            if not isinstance(t, Tensor):
                continue
            if t.grad_fn is not None and id(t.grad_fn) in self.tensors:
                info = self.tensors[id(t.grad_fn)]
                info.value = t.array if info.value is None else info.value
                info.tensor = t if info.tensor is None else info.tensor
            else:
                info = self._add(id(t), "input", tensor=t)  # no grad: data, targets, constants
            slots = self.inputs[id(op)]
            if info.kind == "input" and info.key not in slots:  # give it a free input slot
                free = [i for i, k in enumerate(slots) if k is None]
                if free:
                    slots[free[0]] = info.key
                else:
                    slots.append(info.key)
            if op not in info.saved_by:
                info.saved_by.append(op)

    def _name_tensors(self, params):
        named = list(_named_items(params))
        names_seen = set()
        # a Module (or the model an operation ran in) names parameters and clusters
        models = [params] if hasattr(params, "named_modules") else []
        for op in self.ops:
            mods = op.__dict__.get("modules")
            if mods and all(mods[0] is not m for m in models):
                models.append(mods[0])
        for model in models:
            for name, module in model.named_modules():
                self.module_names.setdefault(id(module), name)
            if model is not params and hasattr(model, "named_parameters"):
                named.extend(model.named_parameters())
        for name, t in named:
            if not isinstance(t, Tensor) or name in names_seen:
                continue
            info = self.tensors.get(id(t.grad_fn)) if t.grad_fn is not None else None
            info = info or self.tensors.get(id(t))
            if info is not None and info.name is None:
                names_seen.add(name)
                info.name = str(name)
                info.tensor, info.value = t, t.array

    def _infer_shapes(self):
        for info in self.tensors.values():
            if info.value is not None:
                info.shape, info.dtype = tuple(info.value.shape), info.value.dtype
        for op in self.ops:  # each consumer knows the shape of what it was given
            for key, shape in zip(self.inputs[id(op)], op.input_shapes):
                if key is not None and shape is not None and self.tensors[key].shape is None:
                    self.tensors[key].shape = tuple(shape)
        for op in self.ops:  # dtypes: inputs' promoted dtype, unless the op converts
            info = self.tensors[id(op)]
            if info.dtype is None and not type(op).converts_dtype:
                known = [self.tensors[k].dtype for k in self.inputs[id(op)]
                         if k is not None and self.tensors[k].dtype is not None]
                info.dtype = np.result_type(*known) if known else None

    # --------------------------------------------------------------------- queries
    def output_of(self, op):
        return self.tensors[id(op)]

    def input_infos(self, op):
        return [None if k is None else self.tensors[k] for k in self.inputs[id(op)]]

    def uses(self, op):
        """How many edges lead out of ``op``'s output (plus one per root it is)."""
        return len(self.tensors[id(op)].consumers) + sum(
            r.grad_fn is op for r in self.roots)


def _keeps(op, attr):
    """What ``op`` still keeps for backward under ``attr`` (nothing once backward released it).
    Read from ``__dict__``: on a released node a missing attribute raises, by design."""
    d = op.__dict__
    return None if d.get("_released") else d.get(attr)


def _forward_order(root_nodes):
    """Post-order depth-first walk (iterative): every node after all the nodes it uses."""
    order, seen = [], set()
    for root in root_nodes:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if isinstance(edge, Function) and id(edge) not in seen:
                    seen.add(id(edge))
                    stack.append((edge, iter(edge.next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _named_items(params):
    """(name, tensor) pairs from a Module, a dict, or an iterable of pairs."""
    if params is None:
        return []
    if hasattr(params, "named_parameters"):
        return list(params.named_parameters())
    if isinstance(params, dict):
        return list(params.items())
    return list(params)


def rule_of(op) -> str:
    """The op's forward formula and its derivatives on one line (its ``rule`` and
    ``derivatives`` attributes)."""
    cls = type(op)
    derivatives = ", ".join(d for d in cls.derivatives if d)
    return f"{cls.rule}. {derivatives}." if derivatives else f"{cls.rule}."


def derivative_rule(op, width=42) -> list:
    """The op's derivatives (its ``derivatives`` attribute), wrapped to ``width``, one or more
    lines per input (``dz/dx = y``, ``dz/dy = x``)."""
    lines = []
    for part in type(op).derivatives:
        line = ""
        for word in part.split(" ") if part else ():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        if line:
            lines.append(line)
    return lines


def input_names(op):
    """The names the op's rule gives its two inputs (``x``, ``y`` for sub, div; ``X``, ``Y``
    for matmul): the picture labels the edges, since for these the order matters. Else None."""
    names = type(op).inputs
    if len(op.next_functions) != 2 or len(names) != 2:
        return None
    return tuple(names)


# ============================================================================ formatting numbers
def format_number(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v) + 0.0  # + 0.0 turns -0.0 into 0.0
    if v == 0 or 1e-4 <= abs(v) < 1e5 or not np.isfinite(v):
        return f"{v:.4f}"
    return f"{v:.3e}"


def format_array(a, max_elements=8) -> str:
    """Small arrays in full (``2.0000``, ``[1.0000, -2.0000]``, rows on separate lines);
    larger ones as ``mean …  min …  max …``."""
    a = np.asarray(a)
    if a.size <= max_elements:
        if a.ndim == 0:
            return format_number(a.item())
        return np.array2string(a, separator=", ", max_line_width=10_000,
                               formatter={"float_kind": format_number,
                                          "int_kind": format_number})
    return summarize(a)


def summarize(a) -> str:
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    x = a.astype(np.float64)
    return (f"mean {x.mean():.3g}  min {x.min():.3g}  max {x.max():.3g}")


def format_shape(shape) -> str:
    if shape is None:
        return "?"
    return "scalar" if len(shape) == 0 else str(tuple(int(s) for s in shape))


# ============================================================================ collapsing
class _Unit:
    """What one operation node of the picture stands for: one op, or a collapsed chain."""

    def __init__(self, ops, label, repeats=1):
        self.ops = ops               # member operations, forward order (last one is the output)
        self.label = label
        self.repeats = repeats
        self.last = ops[-1]


def _build_units(view, collapse):
    """Group long repeated chains into single units; every other op is its own unit."""
    units, unit_of = [], {}
    groups = _repeated_chains(view) if collapse else []
    grouped = {id(op) for members, _, _ in groups for op in members}
    starts = {id(members[0]): (members, label, r) for members, label, r in groups}
    for op in view.ops:
        if id(op) in starts:
            members, label, r = starts[id(op)]
            unit = _Unit(members, label, r)
        elif id(op) in grouped:
            continue
        else:
            unit = _Unit([op], op.label())
        units.append(unit)
        for m in unit.ops:
            unit_of[id(m)] = unit
    units.sort(key=lambda u: view.position[id(u.last)])
    return units, unit_of


def _repeated_chains(view, min_repeats=4, max_period=6):
    """Find chains in which a block of 1..max_period operations repeats at least min_repeats
    times (``y = y * 0.99 + 0.01`` in a loop, or identical stacked layers). An op continues the
    chain of its main input P when P's output is used only by it; 'side' inputs (an op used
    once whose own inputs are all leaves, like the transpose of a weight) join the block."""
    def is_side(node):
        return (view.uses(node) == 1
                and not any(isinstance(e, Function) for e in node.next_functions))

    chain_of, chains, sides = {}, [], {}
    for op in view.ops:
        fn_edges = [e for e in op.next_functions if isinstance(e, Function)]
        distinct = list({id(e): e for e in fn_edges}.values())
        main = [e for e in distinct if not is_side(e)]
        sides[id(op)] = [e for e in distinct if is_side(e)]
        linked = (len(main) == 1 and len(distinct) == len(fn_edges)
                  and view.uses(main[0]) == 1 and id(main[0]) in chain_of)
        chain = chain_of[id(main[0])] if linked else []
        if not linked:
            chains.append(chain)
        chain.append(op)
        chain_of[id(op)] = chain

    def key(op):
        mods = op.__dict__.get("modules") or ()
        return (op.label(), tuple(sorted(s.label() for s in sides[id(op)])),
                type(mods[-1]).__name__ if mods else None)

    groups = []
    for chain in chains:
        if len(chain) < min_repeats:
            continue
        keys = [key(op) for op in chain]
        i = 0
        while i < len(keys):
            best_p, best_r = 1, 1
            for p in range(1, max_period + 1):
                r = 1
                while i + (r + 1) * p <= len(keys) and \
                        keys[i + r * p:i + (r + 1) * p] == keys[i:i + p]:
                    r += 1
                if r >= min_repeats and p * r > best_p * best_r:
                    best_p, best_r = p, r
            if best_r >= min_repeats:
                block = chain[i:i + best_p * best_r]
                members = []
                for op in block:
                    members.extend(sides[id(op)])
                    members.append(op)
                names = [k[0] if not k[1] else "·".join(k[1] + (k[0],))
                         for k in keys[i:i + best_p]]
                label = names[0] if best_p == 1 else "(" + " → ".join(names) + ")"
                groups.append((members, f"{label} × {best_r:,}", best_r))
                i += best_p * best_r
            else:
                i += 1
    return groups


def _keep_nearest(view, units, unit_of, max_nodes):
    """The ``max_nodes`` units closest to the output (breadth-first from the roots)."""
    if max_nodes is None or len(units) <= max_nodes:
        return units
    order, seen = [], set()
    frontier = [unit_of[id(r.grad_fn)] for r in view.roots if r.grad_fn is not None]
    for u in frontier:
        seen.add(id(u))
    while frontier and len(order) < max_nodes:
        nxt = []
        for u in frontier:
            if len(order) >= max_nodes:
                break
            order.append(u)
            for m in u.ops:
                for e in m.next_functions:
                    if isinstance(e, Function) and id(unit_of[id(e)]) not in seen:
                        seen.add(id(unit_of[id(e)]))
                        nxt.append(unit_of[id(e)])
        frontier = nxt
    keep = {id(u) for u in order}
    return [u for u in units if id(u) in keep]


# ============================================================================ clusters
def _cluster_paths(view, units, unit_of):
    """For each unit, the list of cluster keys (outermost first) it is drawn in.

    A cluster is one *call* of a module: the operations of the same module that are connected
    to each other. A module called twice (a pooling layer reused) gives two clusters."""
    def modules_of(unit):
        paths = [op.__dict__.get("modules") or () for op in unit.ops]
        common = []
        for level in zip(*paths):
            if all(m is level[0] for m in level):
                common.append(level[0])
            else:
                break
        return common

    mods = {id(u): modules_of(u) for u in units}
    keys = {id(u): [] for u in units}
    ids = {id(u) for u in units}
    depth = max((len(m) for m in mods.values()), default=0)
    for level in range(depth):
        parent = {}
        for u in units:
            if len(mods[id(u)]) > level:
                parent[id(u)] = (tuple(keys[id(u)]), id(mods[id(u)][level]))
        # union units of the same (parent cluster, module) that feed one another
        root = {uid: uid for uid in parent}

        def find(x):
            while root[x] != x:
                root[x] = root[root[x]]
                x = root[x]
            return x
        for u in units:
            if id(u) not in parent:
                continue
            for m in u.ops:
                for e in m.next_functions:
                    if isinstance(e, Function) and id(unit_of[id(e)]) in ids:
                        v = id(unit_of[id(e)])
                        if v in parent and parent[v] == parent[id(u)]:
                            root[find(v)] = find(id(u))
        for u in units:
            if id(u) in parent:
                keys[id(u)].append(parent[id(u)] + (find(id(u)),))
    return mods, keys


# ============================================================================ drawing
def draw_graph(root, params=None, show_values="auto", show_grads="auto", rankdir="LR",
               group_modules=True, *, show_rules="auto", max_nodes=300, collapse="auto",
               max_elements=8, legend=True, title=None, trace=None, step=None):
    """Draw the graph that computed ``root`` (a Tensor, usually a loss, or a list of them).

    * ``params``: a Module, a dict ``name -> Tensor`` or ``(name, tensor)`` pairs. Names leaf
      parameters (``fc1.weight``) and — for tensors with a ``grad_fn`` — intermediate results,
      as micrograd's ``label`` does. A model's parameters are named even without it, when the
      graph was recorded inside ``model(...)``.
    * ``show_values``, ``show_grads``, ``show_rules`` (each True, False or 'auto' = while at most
      100 operation nodes are drawn): print values and gradients where known, and each op's
      derivative rule under its name. Tensors of at most ``max_elements`` elements are printed
      in full, larger ones as mean/min/max.
    * ``rankdir``: 'LR' (left to right, as micrograd) or 'TB'.
    * ``group_modules``: box the operations of each submodule call in a labelled cluster.
    * ``collapse`` (True, False, 'auto' = past 100 operations): draw a repeated chain as one
      node; ``max_nodes``: draw at most this many operation nodes, those nearest the output
      (None: all). A note in the picture (and ``g.notes``) says what was collapsed or left out.
    * ``trace``, ``step``: the narration returned by :func:`explain_backward`, and which of its
      steps to picture (see ``Narration.draw``).

    Returns a ``graphviz.Digraph``: it displays inline in Jupyter; ``.render()`` or
    :func:`save_graph` write it to a file.
    """
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"draw_graph: expected a Tensor (or a list of them), "
                            f"got {type(r).__name__}")
    view = trace.view if trace is not None else GraphView(roots, params)
    if collapse == "auto":
        collapse = len(view.ops) > 100
    units, unit_of = _build_units(view, collapse)
    shown = _keep_nearest(view, units, unit_of, max_nodes)
    detail = len(shown) <= 100
    show_values, show_grads, show_rules = (detail if flag == "auto" else bool(flag)
                                           for flag in (show_values, show_grads, show_rules))

    g = _digraph_class()(name="graph", graph_attr={
        "rankdir": rankdir, "fontname": FONT, "fontsize": "12", "labelloc": "t",
        "nodesep": "0.25", "ranksep": "0.35", "newrank": "true"},
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"arrowsize": "0.7", "color": "#4b5563"})
    painter = _Painter(g, view, unit_of, show_values, show_grads, show_rules, max_elements,
                       trace, step)
    notes = painter.draw(shown, units, group_modules)
    g.notes = notes

    heading = title
    if heading is None:
        names = [view.tensors[id(r.grad_fn)].name if r.grad_fn is not None else None
                 for r in roots]
        what = ", ".join(n for n in names if n) or "the output"
        heading = f"Computation graph of {what} ({len(view.ops):,} operations)"
        if trace is not None:
            heading = trace.frame_title(step)
    g.attr(label=_escape_plain(heading + ("\\n" + "\\n".join(notes) if notes else "")))
    if legend:
        g.node("legend", label=_legend_html(), shape="plain")
    return g


def draw_model(model, example_input, params=None, rankdir="TB", **kwargs):
    """Run ``model(example_input)`` (a Tensor, array, or tuple of inputs) and draw the graph of
    its output, with parameters named and submodules boxed as clusters. Drawn top to bottom by
    default, so it reads like the model's ``forward``. Other arguments: as :func:`draw_graph`."""
    from ..autograd import enable_grad
    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    inputs = tuple(x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in inputs)
    with enable_grad():
        out = model(*inputs)
    kwargs.setdefault("title", f"{type(model).__name__} on an input of shape "
                               f"{format_shape(inputs[0].shape)}")
    named = dict(_named_items(params if params is not None else model))
    for i, x in enumerate(inputs):
        named.setdefault("input" if len(inputs) == 1 else f"input{i}", x)
    named.setdefault("output", out)
    return draw_graph(out, params=_ModelNames(model, named), rankdir=rankdir, **kwargs)


class _ModelNames(dict):
    """A dict of names that also lends the model's module names (for clusters)."""

    def __init__(self, model, named):
        super().__init__(named)
        self.model = model

    def named_modules(self):
        return self.model.named_modules()

    def named_parameters(self):
        return list(self.items())


class _Edge(NamedTuple):
    tail: str
    head: str
    saved: bool = False        # the head operation keeps this tensor for its backward
    op: object = None          # the operation at the head (for the tooltip)
    active: bool = False       # explain frames: the gradient is flowing here now
    slot: str = None           # 'x' / 'y' for operations whose rule names its inputs


class _Painter:
    """Emits the Graphviz nodes, edges and clusters of one picture."""

    def __init__(self, g, view, unit_of, show_values, show_grads, show_rules, max_elements,
                 trace, step):
        self.g, self.view, self.unit_of = g, view, unit_of
        self.show_values, self.show_grads, self.show_rules = show_values, show_grads, show_rules
        self.max_elements = max_elements
        self.trace, self.step = trace, step
        self.active = trace.active_node(step) if trace is not None else None
        self.ids = {}
        self.n_clusters = 0

    def node_id(self, prefix, key):
        if key not in self.ids:
            self.ids[key] = f"{prefix}{len(self.ids)}"
        return self.ids[key]

    # ------------------------------------------------------------------ the whole picture
    def draw(self, shown, all_units, group_modules):
        """Draw the ``shown`` units; returns the notes on what was collapsed or left out."""
        tree, edges, frontier = self._layout(shown, group_modules)
        self._emit(tree, self.g)
        for e in edges:
            self._edge(e)
        return self._notes(shown, all_units, frontier)

    def _layout(self, shown, group_modules):
        """Which cluster every node goes in, the edges, and the units whose inputs were not
        drawn (the frontier of a capped picture)."""
        view, active = self.view, self.active
        shown_ids = {id(u) for u in shown}
        if group_modules:
            mods, cluster_keys = _cluster_paths(view, shown, self.unit_of)
        else:
            mods, cluster_keys = {id(u): [] for u in shown}, {id(u): [] for u in shown}
        tree, edges, frontier, placed = _ClusterTree(), [], set(), set()
        for u in shown:
            path, collapsed = cluster_keys[id(u)], len(u.ops) > 1
            uid = self.node_id("op", ("op", id(u)))
            out = view.output_of(u.last)
            placed.add(out.key)
            tree.add(path, mods[id(u)], ("op", u))
            tree.add(path, mods[id(u)], ("tensor", out))
            edges.append(_Edge(uid, self.node_id("t", out.key),
                               saved=id(u.last) in view.out_saved and not collapsed,
                               op=u.last, active=active is not None and u.last is active))
            members, seen = {id(m) for m in u.ops}, set()
            for m in u.ops:
                slots = None if collapsed else input_names(m)
                for slot, info in enumerate(view.input_infos(m)):
                    if info is None or info.key in members or (info.key in seen and not slots):
                        continue
                    if collapsed and info.kind == "input" and not info.name:
                        continue  # the constants of a collapsed loop (one per step)
                    seen.add(info.key)
                    if info.producer is not None and \
                            id(self.unit_of[id(info.producer)]) not in shown_ids:
                        frontier.add(uid)
                        continue
                    if info.producer is None and info.key not in placed:
                        placed.add(info.key)
                        tree.add(self._leaf_place(info, path, mods[id(u)]), None,
                                 ("tensor", info))
                    edges.append(_Edge(self.node_id("t", info.key), uid,
                                       saved=not collapsed and m in info.saved_by, op=m,
                                       active=active is not None and m is active,
                                       slot=slots[slot] if slots else None))
        for r in view.roots:  # a tensor nothing was computed from
            if r.grad_fn is None and id(r) not in placed:
                tree.add([], None, ("tensor", view.tensors[id(r)]))
        return tree, edges, frontier

    def _edge(self, e):
        attrs = {}
        if e.slot:
            attrs.update(headlabel=e.slot, labelfontsize="9", labelfontcolor="#6b7280",
                         labeldistance="1.4", labelangle="-40")
        if e.saved:
            attrs.update(color=SAVED_EDGE, penwidth="1.8",
                         tooltip=f"kept by {e.op.label()} for its backward")
        if e.active:
            attrs.update(color=ACTIVE_EDGE, penwidth="2.6", dir="back",
                         tooltip="gradient flowing back")
        self.g.edge(e.tail, e.head, **attrs)

    def _notes(self, shown, all_units, frontier):
        notes = []
        collapsed = [u for u in shown if len(u.ops) > 1]
        if collapsed:
            n_ops = sum(len(u.ops) for u in collapsed)
            notes.append(f"Collapsed repeated structure: {n_ops:,} operations drawn as "
                         f"{len(collapsed)} node{'s' * (len(collapsed) > 1)} "
                         f"({'; '.join(u.label for u in collapsed[:3])}"
                         f"{'; …' if len(collapsed) > 3 else ''}); collapse=False draws "
                         f"them all.")
        shown_ids = {id(u) for u in shown}
        hidden = [u for u in all_units if id(u) not in shown_ids]
        if hidden:
            count = Counter(m.label() for u in hidden for m in u.ops)
            top = ", ".join(f"{lab} ×{n:,}" for lab, n in count.most_common(4))
            text = (f"{sum(count.values()):,} more operations not drawn ({top}"
                    f"{', …' if len(count) > 4 else ''}): only the {len(shown):,} nodes "
                    f"nearest the output are drawn; max_nodes=None draws all.")
            notes.append(text)
            self.g.node("note", label=_escape_plain("⋯ " + text.replace("): ", "):\\n")),
                        shape="note", style="filled", fillcolor="#fef9c3", fontsize="10")
            for uid in sorted(frontier):
                self.g.edge("note", uid, style="dashed", color="#9ca3af")
        return notes

    def _leaf_place(self, info, path, path_mods):
        """Parameters go into the cluster of the module that owns them; unnamed constants next
        to the operation using them; named inputs (the data) outside every cluster."""
        if info.kind == "parameter" and info.name and "." in info.name:
            owner = info.name.rsplit(".", 1)[0]
            for depth in range(len(path), 0, -1):
                if self.view.module_names.get(id(path_mods[depth - 1])) == owner:
                    return path[:depth]
            return []
        if info.kind == "parameter" and info.name and path_mods:
            if self.view.module_names.get(id(path_mods[0])) == "":
                return path[:1]
            return []
        if info.kind == "input" and not info.name:  # a constant made inside (a dropout mask)
            return path
        return []

    # ------------------------------------------------------------------ emitting
    def _emit(self, tree, graph):
        for kind, item in tree.items:
            if kind == "op":
                self._op_node(graph, item)
            else:
                self._tensor_node(graph, item)
        for key, child in tree.children.items():
            self.n_clusters += 1
            name = f"cluster_{self.n_clusters}"
            with graph.subgraph(name=name) as sub:
                sub.attr(label=self._cluster_label(child), style="rounded,filled",
                         fillcolor="#f8fafc", color="#94a3b8", fontname=FONT, fontsize="11",
                         labeljust="l")
                self._emit(child, sub)

    def _cluster_label(self, child):
        module = child.module
        name = self.view.module_names.get(id(module))
        cls = type(module).__name__
        label = cls if not name else f"{name}: {cls}"
        if child.call_count > 1:
            label += f" (call {child.call_index})"
        return label

    def _op_node(self, graph, unit):
        op = unit.last
        uid = self.node_id("op", ("op", id(unit)))
        attrs = dict(shape="box", style="rounded,filled", fillcolor=COLORS["operation"],
                     color="#6b7280", margin="0.12,0.04")
        if len(unit.ops) == 1:
            attrs["tooltip"] = _escape_plain(f"{op.name()}: {rule_of(op)}")
            rule = derivative_rule(op) if self.show_rules else []
            label = f"<{_h(unit.label)}" + "".join(
                f'<BR/><FONT POINT-SIZE="8" COLOR="#4b5563">{_h(line)}</FONT>'
                for line in rule) + ">"
        else:
            attrs.update(style="rounded,filled,bold", peripheries="2",
                         tooltip=f"{len(unit.ops):,} operations collapsed")
            label = _escape_plain(f"{unit.label}\\n({len(unit.ops):,} operations)")
        if self.active is not None and any(m is self.active for m in unit.ops):
            attrs.update(fillcolor=COLORS["active"], color=ACTIVE_EDGE, penwidth="2.5")
        graph.node(uid, label=label, **attrs)

    def _tensor_node(self, graph, info):
        graph.node(self.node_id("t", info.key), label=self._tensor_html(info),
                   shape="plain", tooltip=_escape_plain(
                       f"{info.name or info.kind} {format_shape(info.shape)} "
                       f"{info.dtype if info.dtype is not None else ''}"))

    def _tensor_html(self, info):
        kind = info.kind
        if kind == "intermediate" and info.saved_by:
            kind = "saved"
        fill = COLORS[kind]
        rows = []
        if info.name:
            rows.append(f"<B>{_h(info.name)}</B>")
        dtype = "" if info.dtype is None else f" {np.dtype(info.dtype).name}"
        rows.append(f"{_h(format_shape(info.shape))}{dtype}")
        size = None if info.shape is None else int(np.prod(info.shape))
        small = size is not None and size <= self.max_elements
        if self.show_values and info.value is not None:
            rows.append(self._numbers("data", info.value))
        if self.show_grads:
            grad, note, hot = self._grad(info)
            if grad is not None:
                rows.append(self._numbers("grad" + note, grad, hot))
            elif self.trace is not None and small and info.kind != "input":
                rows.append("<FONT COLOR=\"#9ca3af\">grad ·</FONT>")
        cells = "".join(f"<TR><TD>{r}</TD></TR>" if not r.startswith("<TD") else f"<TR>{r}</TR>"
                        for r in rows)
        return (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
                f'BGCOLOR="{fill}" COLOR="#374151" STYLE="ROUNDED">{cells}</TABLE>>')

    def _grad(self, info):
        """(gradient array or None, note for the row title, whether to highlight it)."""
        if self.trace is not None:
            grad, complete, fresh = self.trace.grad_at(info.key, self.step)
            return grad, "" if complete else " (so far)", fresh
        if info.kind == "input":
            return None, "", False
        return info.grad, "", False

    def _numbers(self, title, array, hot=False):
        text = format_array(array, self.max_elements)
        lines = text.split("\n")
        body = '<BR ALIGN="LEFT"/>'.join(_h(line) for line in lines)
        if len(lines) > 1:
            body += '<BR ALIGN="LEFT"/>'
        bg = f' BGCOLOR="{COLORS["active"]}"' if hot else ""
        return (f'<TD ALIGN="LEFT"{bg}><FONT POINT-SIZE="10">{_h(title)} </FONT>'
                f'<FONT FACE="{MONO}" POINT-SIZE="10">{body}</FONT></TD>')


class _ClusterTree:
    """Nested clusters: items drawn at this level, and child clusters by key."""

    def __init__(self, module=None):
        self.module = module
        self.items = []
        self.children = {}
        self.call_index = 1
        self.call_count = 1

    def add(self, path, path_mods, item):
        node = self
        for depth, key in enumerate(path):
            if key not in node.children:
                module = path_mods[depth] if path_mods is not None else None
                node.children[key] = _ClusterTree(module)
                calls = [c for c in node.children.values() if c.module is module]
                for i, c in enumerate(calls):
                    c.call_index, c.call_count = i + 1, len(calls)
            node = node.children[key]
        node.items.append(item)


def _legend_html():
    rows = [("parameter", "parameter (leaf, requires grad)"),
            ("input", "input / constant (no grad)"),
            ("saved", "saved for backward (orange edge: kept by that op)"),
            ("output", "output"),
            ("intermediate", "intermediate result"),
            ("operation", "operation")]
    cells = "".join(
        f'<TR><TD BGCOLOR="{COLORS[k]}" BORDER="1" WIDTH="14" HEIGHT="10"></TD>'
        f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{_h(text)}</FONT></TD></TR>' for k, text in rows)
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">'
            f'<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="9"><B>legend</B></FONT></TD>'
            f'</TR>{cells}</TABLE>>')


def _h(text) -> str:
    return html.escape(str(text), quote=True)


def _escape_plain(text) -> str:
    """A plain (non-HTML) DOT label: keep our \\n escapes, stop '<...>' being read as HTML."""
    import graphviz
    return graphviz.nohtml(text)


# ============================================================================ rendering
class GraphvizNotFound(RuntimeError):
    """Rendering to an image needs Graphviz's ``dot`` program, which is not installed."""

    def __init__(self, what="render the graph"):
        super().__init__(
            f"To {what}, Graphviz's `dot` program is needed, and it was not found on PATH. "
            f"Install Graphviz — Debian/Ubuntu: `sudo apt-get install graphviz`; macOS: "
            f"`brew install graphviz`; conda: `conda install -c conda-forge graphviz`; "
            f"Windows: https://graphviz.org/download/ — or save the graph as .dot "
            f"(no Graphviz needed) and render it later with `dot -Tsvg graph.dot -o graph.svg`.")


def dot_available() -> bool:
    return shutil.which("dot") is not None


def _require_dot(what):
    if not dot_available():
        raise GraphvizNotFound(what)


@functools.lru_cache(maxsize=None)
def _digraph_class():
    """``graphviz.Digraph`` whose rendering says how to install Graphviz when ``dot`` is
    missing (imported on first use: the library does not need graphviz to be importable)."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("tinygrad_sgd.viz needs the `graphviz` Python package to draw graphs: "
                          "pip install graphviz (and Graphviz's `dot` program to render them)"
                          ) from None

    class Drawing(graphviz.Digraph):
        """A graphviz.Digraph that explains how to install Graphviz when rendering fails."""

        def render(self, *args, **kwargs):
            _require_dot("render the graph")
            return super().render(*args, **kwargs)

        def pipe(self, *args, **kwargs):
            _require_dot("render the graph")
            return super().pipe(*args, **kwargs)

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            if not dot_available():  # Jupyter: show the hint instead of a traceback
                return {"text/plain": str(GraphvizNotFound("display the graph"))}
            return super()._repr_mimebundle_(include, exclude, **kwargs)

    Drawing.__name__ = Drawing.__qualname__ = "Digraph"
    return Drawing


def save_graph(root, path, **draw_kwargs) -> str:
    """Draw ``root`` (a Tensor, or an already drawn Digraph) and write it to ``path``: the
    suffix picks the format — ``.svg``, ``.png``, ``.pdf`` (need Graphviz's ``dot``) or
    ``.dot``/``.gv`` (the DOT source; needs nothing). Returns the path written."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix not in _RENDER_FORMATS + ("dot", "gv"):
        raise ValueError(f"save_graph: can't tell the format from {path!r}; use a name ending "
                         f"in .svg, .png, .pdf or .dot")
    if suffix not in ("dot", "gv"):
        _require_dot(f"save {os.path.basename(path)!r} as {suffix.upper()}")
    g = root if hasattr(root, "source") else draw_graph(root, **draw_kwargs)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if suffix in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(g.source)
        return path
    data = g.pipe(format=suffix)
    with open(path, "wb") as f:
        f.write(data)
    return path
