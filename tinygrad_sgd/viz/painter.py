"""The look of a graph picture: colours, node tables, edges, clusters and the legend.

:class:`Painter` emits the Graphviz nodes, edges and clusters of one picture from a
:class:`~tinygrad_sgd.viz.view.GraphView`; :func:`~tinygrad_sgd.viz.graph.draw_graph` decides
what to draw and calls it. The explorer passes ``tags`` to give every node and edge an ``id``
its page can find (``tg_op_5``, ``tg_t_5``, ``tg_in_5_0``, ``tg_out_5``), a name for every
tensor (the page's panels use it) and the text each value and gradient cell is laid out for.
"""
from __future__ import annotations

import html
from collections import Counter
from typing import NamedTuple

import numpy as np

from .collapse import cluster_paths
from .formatting import format_array, format_shape
from .render import plain_label
from .view import derivative_rule, input_names, rule_of

__all__ = ["COLORS", "SAVED_EDGE", "ACTIVE_EDGE", "Painter"]

COLORS = {
    "parameter": "#bfdbfe",     # leaf tensors that require grad (weights, or a, b, c in a toy)
    "input": "#e9d5ff",         # tensors needing no gradient: data, targets, constants
    "missing": "#f3f4f6",       # an input needing no gradient that the graph did not keep
    "saved": "#fed7aa",         # results kept by an operation for its backward
    "output": "#bbf7d0",        # the tensor the graph was drawn from (usually the loss)
    "operation": "#e5e7eb",
    "intermediate": "#ffffff",
    "active": "#fde047",        # explain_backward frames: the operation running now
    "fresh": "#fef08a",         # explain_backward frames: a gradient arriving at this step
}
SAVED_EDGE = "#ea580c"
ACTIVE_EDGE = "#dc2626"
FONT = "Helvetica"
MONO = "DejaVu Sans Mono"

LEGEND = [  # (what was drawn, swatch colour, text), in the legend's order
    ("parameter", COLORS["parameter"], "parameter (leaf, requires grad)"),
    ("input", COLORS["input"], "input / constant (no grad)"),
    ("missing", COLORS["missing"], "input the graph did not keep (it needs no grad)"),
    ("saved", COLORS["saved"], "saved for backward (orange edge: kept by that op)"),
    ("output", COLORS["output"], "output"),
    ("intermediate", COLORS["intermediate"], "intermediate result"),
    ("operation", COLORS["operation"], "operation"),
    ("active", COLORS["active"], "operation running now (red edges: gradient flowing back)"),
    ("fresh", COLORS["fresh"], "gradient that arrived at this step"),
]

PAGE_LEGEND = [  # the explorer's highlights (its CSS: --active, --hot)
    (COLORS["active"], "operation at this step (edges: blue forward, red backward)"),
    ("#b91c1c", "red numbers: a gradient that arrived at this step"),
]


class Edge(NamedTuple):
    tail: str
    head: str
    saved: bool = False        # the head operation keeps this tensor for its backward
    op: object = None          # the operation at the head (for the tooltip)
    active: bool = False       # explain frames: the gradient is flowing here now
    slot: str = None           # 'x' / 'y' for operations whose rule names its inputs
    dom_id: str = None         # explorer: the id of the edge in the SVG


class Painter:
    """Emits the Graphviz nodes, edges and clusters of one picture; remembers what kinds of
    node it drew (``self.drawn``), so that the legend lists only those."""

    def __init__(self, g, view, unit_of, show_values, show_grads, show_rules, max_elements,
                 trace=None, step=None, tags=None):
        self.g, self.view, self.unit_of = g, view, unit_of
        self.show_values, self.show_grads, self.show_rules = show_values, show_grads, show_rules
        self.max_elements = max_elements
        self.trace, self.step, self.tags = trace, step, tags
        self.active = trace.active_node(step) if trace is not None else None
        self.ids = {}
        self.n_clusters = 0
        self.drawn = set()

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
        view, active, tags = self.view, self.active, self.tags
        shown_ids = {id(u) for u in shown}
        if group_modules:
            mods, cluster_keys = cluster_paths(view, shown, self.unit_of)
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
            edges.append(Edge(uid, self.node_id("t", out.key),
                              saved=id(u.last) in view.out_saved and not collapsed,
                              op=u.last, active=active is not None and u.last is active,
                              dom_id=tags and f"tg_out_{tags.op_id(u.last)}"))
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
                    edges.append(Edge(self.node_id("t", info.key), uid,
                                      saved=not collapsed and m in info.saved_by, op=m,
                                      active=active is not None and m is active,
                                      slot=slots[slot] if slots else None,
                                      dom_id=tags and f"tg_in_{tags.op_id(m)}_{slot}"))
        for r in view.roots:  # a tensor nothing was computed from
            if r.grad_fn is None and id(r) not in placed:
                tree.add([], None, ("tensor", view.tensors[id(r)]))
        return tree, edges, frontier

    def _edge(self, e):
        attrs = {}
        if e.dom_id:
            attrs["id"] = e.dom_id
        if e.slot:
            attrs.update(headlabel=e.slot, labelfontsize="9", labelfontcolor="#6b7280",
                         labeldistance="1.4", labelangle="-40")
        if e.saved:
            self.drawn.add("saved")
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
            self.g.node("note", label=plain_label("⋯ " + text.replace("): ", "):\\n")),
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
        self.drawn.add("operation")
        attrs = dict(shape="box", style="rounded,filled", fillcolor=COLORS["operation"],
                     color="#6b7280", margin="0.12,0.04")
        if self.tags is not None:
            attrs["id"] = f"tg_op_{self.tags.op_id(op)}"
        if len(unit.ops) == 1:
            attrs["tooltip"] = plain_label(f"{op.name()}: {rule_of(op)}")
            rule = derivative_rule(op) if self.show_rules else []
            label = f"<{_h(unit.label)}" + "".join(
                f'<BR/><FONT POINT-SIZE="8" COLOR="#4b5563">{_h(line)}</FONT>'
                for line in rule) + ">"
        else:
            attrs.update(style="rounded,filled,bold", peripheries="2",
                         tooltip=f"{len(unit.ops):,} operations collapsed")
            label = plain_label(f"{unit.label}\\n({len(unit.ops):,} operations)")
        if self.active is not None and any(m is self.active for m in unit.ops):
            self.drawn.add("active")
            attrs.update(fillcolor=COLORS["active"], color=ACTIVE_EDGE, penwidth="2.5")
        graph.node(uid, label=label, **attrs)

    def _tensor_node(self, graph, info):
        attrs = {}
        if self.tags is not None:
            attrs["id"] = f"tg_t_{self.tags.tensor_id(info)}"
        what = "input not kept by the graph" if info.missing else (info.name or info.kind)
        graph.node(self.node_id("t", info.key), label=self._tensor_html(info),
                   shape="plain", tooltip=plain_label(
                       f"{what} {format_shape(info.shape)} "
                       f"{info.dtype if info.dtype is not None else ''}"), **attrs)

    def _tensor_html(self, info):
        kind = "missing" if info.missing else info.kind
        if kind == "intermediate" and info.saved_by:
            kind = "saved"
        self.drawn.add(kind)
        rows = []
        name = self.tags.name(info) if self.tags is not None else info.name
        if name:
            rows.append(f"<B>{_h(name)}</B>")
        if info.missing:
            rows.append('<FONT COLOR="#6b7280">not kept</FONT>')
        else:
            dtype = "" if info.dtype is None else f" {np.dtype(info.dtype).name}"
            rows.append(f"{_h(format_shape(info.shape))}{dtype}")
        rows += self._tags_rows(info) if self.tags is not None else self._number_rows(info)
        cells = "".join(f"<TR><TD>{r}</TD></TR>" if not r.startswith("<TD") else f"<TR>{r}</TR>"
                        for r in rows)
        style = ' STYLE="ROUNDED,DASHED"' if info.missing else ' STYLE="ROUNDED"'
        return (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
                f'BGCOLOR="{COLORS[kind]}" COLOR="#374151"{style}>{cells}</TABLE>>')

    def _number_rows(self, info):
        rows = []
        size = None if info.shape is None else int(np.prod(info.shape))
        small = size is not None and size <= self.max_elements
        if self.show_values and info.value is not None:
            rows.append(self._numbers("data", format_array(info.value, self.max_elements)))
        if self.show_grads:
            grad, note, hot = self._grad(info)
            if grad is not None:
                if hot:
                    self.drawn.add("fresh")
                rows.append(self._numbers("grad" + note, format_array(grad, self.max_elements),
                                          hot))
            elif self.trace is not None and small and info.kind != "input":
                rows.append("<FONT COLOR=\"#9ca3af\">grad ·</FONT>")
        return rows

    def _tags_rows(self, info):
        """The explorer's cells: laid out for the widest text they will show."""
        rows = []
        for title in ("data", "grad"):
            text = self.tags.cell_text(info, title)
            if text is not None:
                rows.append(self._numbers(title, text))
        return rows

    def _grad(self, info):
        """(gradient array or None, note for the row title, whether to highlight it)."""
        if self.trace is not None:
            grad, complete, fresh = self.trace.grad_at(info.key, self.step)
            return grad, "" if complete else " (so far)", fresh
        if info.kind == "input":
            return None, "", False
        return info.grad, "", False

    def _numbers(self, title, text, hot=False):
        lines = text.split("\n")
        body = '<BR ALIGN="LEFT"/>'.join(_h(line) for line in lines)
        if len(lines) > 1:
            body += '<BR ALIGN="LEFT"/>'
        bg = f' BGCOLOR="{COLORS["fresh"]}"' if hot else ""
        return (f'<TD ALIGN="LEFT"{bg}><FONT POINT-SIZE="10">{_h(title)} </FONT>'
                f'<FONT FACE="{MONO}" POINT-SIZE="10">{body}</FONT></TD>')

    # ------------------------------------------------------------------ the legend
    def legend(self):
        """An HTML-like label listing the colours of what was drawn, and nothing else."""
        rows = [(colour, text) for kind, colour, text in LEGEND if kind in self.drawn]
        if self.tags is not None:   # the explorer's page lights these up as it steps
            rows += PAGE_LEGEND
        cells = "".join(
            f'<TR><TD BGCOLOR="{colour}" BORDER="1" WIDTH="14" HEIGHT="10"></TD>'
            f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{_h(text)}</FONT></TD></TR>'
            for colour, text in rows)
        return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">'
                f'<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="9"><B>legend</B></FONT>'
                f'</TD></TR>{cells}</TABLE>>')


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


def _h(text) -> str:
    return html.escape(str(text), quote=True)
