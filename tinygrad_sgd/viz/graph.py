"""Draw the computation graph behind a Tensor with Graphviz.

The picture has two kinds of nodes, as in micrograd's ``draw_dot``:

* **operations** (grey, rounded): named as in the code — ``mul``, ``matmul``,
  ``conv2d(stride=1, padding=0)``, with the derivative rule the op class declares
  (its ``derivatives`` attribute) under the name; hovering one in an SVG shows the whole rule;
* **tensors** (tables): name (``fc1.weight``), shape and dtype, and — for tensors of a handful of
  elements — the values (``data``) and, after ``backward()``, the gradient (``grad``); larger
  tensors get a one-line summary (mean, min, max).

Colours (with a legend of the colours in the picture): parameters (leaves that require grad),
inputs and constants (tensors that need no gradient, drawn when an operation saved them),
tensors *saved for backward* (orange; the edge into the operation that keeps them is orange
too), the output, and operations. With ``group_modules`` the operations run inside each
submodule are boxed in a labelled cluster (``conv1: Conv2d``), so a model's graph reads like its
class definition.

What can be shown about an intermediate result is what the graph still holds: its shape (from the
consumers' ``input_shapes``), and its values only where an operation saved them for backward
(or when you name the tensor in ``params``). ``backward()`` keeps no gradient of an intermediate
result unless you call ``retain_grad()`` on it, and it frees what the operations saved: to see
every value and every gradient, name the tensors before backward, or use
:func:`~tinygrad_sgd.viz.explain_backward` / :func:`~tinygrad_sgd.viz.explore`, which record them
while backward runs. Gradients are shown only for a graph that was backpropagated: a parameter's
``.grad`` left over from an earlier training step is not this graph's.

Large graphs: repeated chains (an unrolled loop, a stack of identical layers) are drawn as one
node ``(mul → add) × 2,500``, and past ``max_nodes`` only the operations closest to the output are
drawn; a note node says what was left out.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .collapse import build_units, keep_nearest
from .formatting import format_shape
from .painter import ACTIVE_EDGE, COLORS, FONT, SAVED_EDGE, Painter
from .render import GraphvizNotFound, digraph_class, plain_label, save_graph
from .view import GraphView, _named_items

__all__ = ["draw_graph", "draw_model", "save_graph", "GraphvizNotFound", "COLORS",
           "SAVED_EDGE", "ACTIVE_EDGE"]

LR_MAX_DEPTH = 8   # rankdir='auto': left to right up to this many operations in a chain


def draw_graph(root, params=None, show_values="auto", show_grads="auto", rankdir="auto",
               group_modules=True, *, show_rules="auto", max_nodes=300, collapse="auto",
               max_elements=8, legend=True, title=None, trace=None, step=None):
    """Draw the graph that computed ``root`` (a Tensor, usually a loss, or a list of them).

    * ``params``: a Module, a dict ``name -> Tensor`` or ``(name, tensor)`` pairs. Names leaf
      parameters (``fc1.weight``) and — for tensors with a ``grad_fn`` — intermediate results,
      as micrograd's ``label`` does. A model's parameters are named even without it, when the
      graph was recorded inside ``model(...)``.
    * ``show_values``, ``show_grads``, ``show_rules`` (each True, False or 'auto' = while at most
      100 operation nodes are drawn; gradients only once the graph was backpropagated): print
      values and gradients where known, and each op's derivative rule under its name. Tensors
      of at most ``max_elements`` elements are printed in full, larger ones as mean/min/max.
    * ``rankdir``: 'LR' (left to right, as micrograd), 'TB' (top to bottom), or 'auto': LR
      while the longest chain has at most 8 operations, TB beyond (a wide picture is unreadable
      unzoomed).
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
    g, _ = picture(view, show_values=show_values, show_grads=show_grads, rankdir=rankdir,
                   group_modules=group_modules, show_rules=show_rules, max_nodes=max_nodes,
                   collapse=collapse, max_elements=max_elements, legend=legend, title=title,
                   trace=trace, step=step)
    return g


def picture(view, show_values="auto", show_grads="auto", rankdir="auto", group_modules=True,
            show_rules="auto", max_nodes=300, collapse="auto", max_elements=8, legend=True,
            title=None, trace=None, step=None, tags=None, notes_in_label=True):
    """:func:`draw_graph` on a :class:`GraphView`; returns the Digraph and the units drawn
    (``tags``: the explorer's ids and cell texts, see :class:`~.painter.Painter`)."""
    if collapse == "auto":
        collapse = len(view.ops) > 100
    units, unit_of = build_units(view, collapse)
    shown = keep_nearest(view, units, unit_of, max_nodes)
    detail = len(shown) <= 100
    show_values, show_rules = (detail if flag == "auto" else bool(flag)
                               for flag in (show_values, show_rules))
    stale = show_grads == "auto" and trace is None and not view.backpropagated
    show_grads = (detail and not stale) if show_grads == "auto" else bool(show_grads)
    if rankdir == "auto":
        rankdir = "LR" if _longest_chain(shown, unit_of) <= LR_MAX_DEPTH else "TB"

    g = digraph_class()(name="graph", graph_attr={
        "rankdir": rankdir, "fontname": FONT, "fontsize": "12", "labelloc": "t",
        "nodesep": "0.25", "ranksep": "0.35", "newrank": "true"},
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"arrowsize": "0.7", "color": "#4b5563"})
    painter = Painter(g, view, unit_of, show_values, show_grads, show_rules, max_elements,
                      trace, step, tags)
    notes = painter.draw(shown, units, group_modules)
    if stale and detail and any(i.tensor is not None and i.tensor._grad is not None
                                for i in view.tensors.values() if i.kind == "parameter"):
        notes.append("Gradients not shown: this graph has not been backpropagated, so the "
                     ".grad its parameters hold are from an earlier backward "
                     "(show_grads=True shows them).")
    g.notes = notes

    heading = title
    if heading is None:
        names = [view.tensors[id(r.grad_fn)].name if r.grad_fn is not None else None
                 for r in view.roots]
        what = ", ".join(n for n in names if n) or "the output"
        heading = f"Computation graph of {what} ({len(view.ops):,} operations)"
        if trace is not None:
            heading = trace.frame_title(step)
    if notes and notes_in_label:
        heading += "\\n" + "\\n".join(notes)
    g.attr(label=plain_label(heading))
    if legend:
        g.node("legend", label=painter.legend(), shape="plain")
    return g, shown


def _longest_chain(units, unit_of):
    """The most operation nodes on one path through the drawn ``units`` (forward order)."""
    depth = {}
    for u in units:
        inputs = [depth.get(id(unit_of[id(e)]), 0) for m in u.ops for e in m._edges
                  if id(e) in unit_of and unit_of[id(e)] is not u]
        depth[id(u)] = 1 + max(inputs, default=0)
    return max(depth.values(), default=0)


def draw_model(model, example_input, params=None, rankdir="TB", **kwargs):
    """Run ``model(example_input)`` (a Tensor, array, or tuple of inputs) and draw the graph of
    its output, with parameters named and submodules boxed as clusters. Drawn top to bottom by
    default, so it reads like the model's ``forward``. Only the forward pass is drawn: the
    parameters' ``.grad`` (from training) are not this graph's and are not shown. Other
    arguments: as :func:`draw_graph`."""
    from ..autograd import enable_grad
    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    inputs = tuple(x if isinstance(x, Tensor) else Tensor._of(np.asarray(x)) for x in inputs)
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
