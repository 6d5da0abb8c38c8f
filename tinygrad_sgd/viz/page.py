"""The explorer's page: the graph as SVG (laid out by Graphviz), the recorded numbers as one
inline JavaScript object, and the page's CSS and script (``page_assets.py``) — one HTML file
that needs no server and no network.

Arrays go into the page as *payloads* (:func:`payload`): shape, dtype, the one-line text the
graph's cells show and, for up to 64 elements, every number (exactly: float32 values survive
the trip through a JavaScript double) and the full printout; larger arrays get statistics and a
histogram, and image-shaped ones (N, C, H, W) their first maps as greyscale bytes. An array
used at several steps is stored once.
"""
from __future__ import annotations

import base64
import html
import json
import re

import numpy as np

from .formatting import format_array, format_number, one_line
from .graph import picture
from .page_assets import SCRIPT, STYLE
from .render import require_dot
from .view import input_names

__all__ = ["build_page", "payload", "tag_svg", "FULL_LIMIT"]

FULL_LIMIT = 64        # arrays up to this many elements carry every number
CELL_LIMIT = 8         # ... and up to this many are printed in full in the graph's cells
HIST_BINS = 30
MAX_SAMPLES = 8        # image-shaped arrays: maps of the first 8 samples ...
MAX_CHANNELS = 32      # ... and their first 32 channels


def payload(array, signed=False):
    """The page's description of ``array`` (see the module doc); ``signed``: a gradient, whose
    maps are drawn with 0 as mid-grey."""
    a = np.asarray(array)
    p = {"shape": list(a.shape), "dtype": a.dtype.name, "n": int(a.size)}
    if a.size <= FULL_LIMIT:
        p["f"] = [_number(v) for v in a.ravel().tolist()]
        p["full"] = format_array(a, FULL_LIMIT)
    p["text"] = (" ".join(line.strip() for line in p["full"].split("\n"))
                 if a.size <= CELL_LIMIT else one_line(a, CELL_LIMIT))   # = one_line(a, 8)
    if p.get("full") == p["text"]:
        del p["full"]                                 # the page falls back to the text
    if a.size > CELL_LIMIT and a.dtype.kind in "biuf":
        x = a.astype(np.float64).ravel()
        finite = x[np.isfinite(x)]
        if finite.size:
            p["stats"] = {"mean": format_number(finite.mean()), "std": format_number(finite.std()),
                          "min": format_number(finite.min()), "max": format_number(finite.max())}
            zeros = np.count_nonzero(finite == 0) / x.size
            if zeros >= 0.05:          # max-pool and relu gradients: mostly exact zeros
                p["stats"]["zeros"] = f"{100 * zeros:.1f}%"
            if finite.size < x.size:
                p["stats"]["not finite"] = str(x.size - finite.size)
        if a.size > FULL_LIMIT and finite.size:
            counts, edges = np.histogram(finite, bins=HIST_BINS)
            p["hist"] = {"counts": counts.tolist(), "lo": format_number(edges[0]),
                         "hi": format_number(edges[-1])}
    maps = _maps(a, signed)
    if maps is not None:
        p["maps"] = maps
    return p


def _number(v):
    return int(v) if isinstance(v, (bool, int)) else float(v)


def _maps(a, signed):
    """(N, C, H, W) with H, W >= 4: the first samples' first channels as bytes, each map
    scaled to its own range (a gradient: ±its largest magnitude, 0 at mid-grey). With one
    channel (a batch of grey images, or 1-channel filters) the maps run across the samples."""
    if a.ndim != 4 or a.shape[2] < 4 or a.shape[3] < 4 or a.dtype.kind not in "biuf":
        return None
    across = "samples" if a.shape[1] == 1 else "channels"
    total_n, total_c = a.shape[:2]
    if across == "samples":
        a, total_n, total_c = a[:MAX_CHANNELS, 0][None], 1, total_n
    n, c = min(a.shape[0], MAX_SAMPLES), min(a.shape[1], MAX_CHANNELS)
    x = np.nan_to_num(a[:n, :c].astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if signed:
        scale = np.abs(x).max(axis=(2, 3), keepdims=True)
        grey = 127.5 + 127.5 * x / np.where(scale > 0, scale, 1.0)
    else:
        lo = x.min(axis=(2, 3), keepdims=True)
        span = x.max(axis=(2, 3), keepdims=True) - lo
        grey = 255.0 * (x - lo) / np.where(span > 0, span, 1.0)
    data = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
    return {"n": n, "c": c, "h": int(a.shape[2]), "w": int(a.shape[3]), "signed": signed,
            "across": across, "total_n": int(total_n), "total_c": int(total_c),
            "data": base64.b64encode(data.tobytes()).decode("ascii")}


class _Payloads:
    """Payloads stored once per array (by identity), referred to by index."""

    def __init__(self):
        self.items, self.index = [], {}

    def add(self, array, signed=False):
        if array is None:
            return None
        key = (id(array), signed)
        if key not in self.index:
            self.index[key] = len(self.items)
            self.items.append(payload(array, signed))
        return self.index[key]


class _Tags:
    """What the painter needs to tag the explorer's SVG: ids, and the widest text of each cell
    (Graphviz lays the cell out for it; the page swaps the text as it steps)."""

    def __init__(self, explorer, payloads):
        self.e, self.p = explorer, payloads

    def op_id(self, op):
        return self.e.order[id(op)]

    def tensor_id(self, info):
        return self.e.order[info.key]

    def name(self, info):
        """Every tensor's name, given or made up (t1, leaf1, ... as the narration's)."""
        return None if info.missing else self.e.names[info.key]

    def cell_text(self, info, which):
        node_id = self.e.order[info.key]
        if which == "data":
            value = self.e.value(node_id)
            return None if value is None else self.p.items[self.p.add(value)]["text"]
        events = self.e.grad_events(node_id)
        if not events:
            return None
        return max((self.p.items[self.p.add(total, True)]["text"] for _, total, _ in events),
                   key=len)


def build_page(explorer) -> str:
    """The whole HTML document of an :class:`~tinygrad_sgd.viz.explorer.Explorer`."""
    require_dot("build the explorer's page (Graphviz lays out the graph)")
    payloads = _Payloads()
    g, shown = picture(explorer.view, max_nodes=explorer.max_nodes, show_rules=True,
                       show_grads=True, title="", tags=_Tags(explorer, payloads), rankdir="TB",
                       notes_in_label=False)
    svg = tag_svg(g.pipe(format="svg").decode("utf-8"))
    data = _page_data(explorer, payloads, shown)
    data["notes"] = list(g.notes)
    script = "const TG_DATA = " + _js(data) + ";\n" + SCRIPT
    return _TEMPLATE.format(title=html.escape(explorer.title), style=STYLE, svg=svg,
                            script=script.replace("</", "<\\/"))


def _page_data(explorer, payloads, shown):
    view, order = explorer.view, explorer.order
    dom = {}
    for unit in shown:   # an operation inside a collapsed unit lights up the unit's node
        last = order[id(unit.last)]
        for op in unit.ops:
            dom[order[id(op)]] = [f"tg_op_{last}", f"tg_t_{last}"]
    nodes, kinds, kind_index = [], [], {}   # an op class's rule is written once, in kinds
    for n in explorer.nodes:
        key = _key(explorer, n.id)
        info = view.tensors[key]
        op = n.op
        record = {"id": n.id, "kind": n.kind, "name": n.name, "label": n.label,
                  "shape": None if n.shape is None else list(n.shape), "dtype": n.dtype,
                  "missing": info.missing, "since": explorer.value_step(n.id),
                  "value": payloads.add(explorer.value(n.id)),
                  "grads": [[at, payloads.add(total, True)]
                            for at, total, _ in explorer.grad_events(n.id)],
                  "dom": dom.get(n.id, [] if op is not None else [f"tg_t_{n.id}"]),
                  "leaf": info.producer is None and info.kind == "parameter"}
        if op is not None:
            cls = type(op)
            if cls not in kind_index:
                kind_index[cls] = len(kinds)
                kinds.append({"rule": cls.rule, "grad_fn": op.name(),
                              "derivatives": [d for d in cls.derivatives if d]})
            slots = list(cls.inputs)
            record.update(op=kind_index[cls], inputs=[
                              {"slot": slots[i] if i < len(slots) else f"input {i}",
                               "id": order.get(k) if k is not None else None}
                              for i, k in enumerate(view.inputs[id(op)])
                              if k is not None or i < len(slots)])
        nodes.append(record)
    steps = []
    for s in explorer.steps:
        row = {"phase": s.phase, "active": s.active, "title": s.title}
        if s.phase == "backward":
            b = explorer.backward[s.index - explorer.forward_steps - 1]
            row["incoming"] = payloads.add(explorer.incoming(b), True)
            row["parts"] = len(explorer.contributions.get(b.output.key, ()))
            slots = input_names(b.node) or type(b.node).inputs
            keys = view.inputs[id(b.node)]
            row["sent"] = [{"to": order[info.key], "grad": payloads.add(g, True),
                            "slot": _slot(slots, keys, info.key)} for info, g in b.sent]
            for sent, (info, _) in zip(row["sent"], b.sent):
                note = _broadcast_note(b, info)
                if note:
                    sent["broadcast"] = note
        steps.append(row)
    return {"title": explorer.title, "root": order[explorer.root_key], "nodes": nodes,
            "kinds": kinds,
            "steps": steps, "payloads": payloads.items, "forward": explorer.forward_steps,
            "fullLimit": FULL_LIMIT}


def _key(explorer, node_id):
    if not hasattr(explorer, "_keys"):
        explorer._keys = {i: key for key, i in explorer.order.items()}
    return explorer._keys[node_id]


def _slot(slots, keys, key):
    for i, k in enumerate(keys):
        if k == key:
            return slots[i] if i < len(slots) else f"input {i}"
    return ""


def _broadcast_note(step, info):
    out = step.output
    if type(step.node).elementwise and out.shape is not None and info.shape is not None \
            and tuple(out.shape) != tuple(info.shape):
        return f"summed from {tuple(out.shape)} to {tuple(info.shape)} (it was broadcast)"
    return ""


def _js(data) -> str:
    """``data`` as a JavaScript literal (JSON, with NaN and ±Infinity allowed: valid JS)."""
    return json.dumps(data, separators=(",", ":"), allow_nan=True)


# ============================================================================ the SVG
_TOKENS = re.compile(r'<g id="tg_(op|t)_(\d+)" class="node">'
                     r'|<g id="[^"]*" class="(?:edge|cluster)">'
                     r'|<text([^>]*)>([^<]*)</text>')


def tag_svg(svg: str) -> str:
    """Graphviz's SVG, ready for the page: every node group gets ``data-node`` (and the class
    ``tg-op`` or ``tg-tensor``); the text after a cell's ``data``/``grad`` title gets the class
    ``tg-val``/``tg-grad`` and ``data-node``, so the page can swap it as it steps."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', lambda m: m[0] + ' id="tg-svg"', svg,
                 count=1)
    state = {"node": None, "next": None}

    def tag(m):
        if m[1]:
            state["node"], state["next"] = m[2], None
            kind = "tg-op" if m[1] == "op" else "tg-tensor"
            return f'<g id="tg_{m[1]}_{m[2]}" class="node {kind}" data-node="{m[2]}">'
        if not m[0].startswith("<text"):
            state["node"], state["next"] = None, None
            return m[0]
        attrs, text = m[3], m[4]
        cls, state["next"] = state["next"], None
        if state["node"] is not None and text in ("data ", "grad "):
            state["next"] = "tg-val" if text == "data " else "tg-grad"
        if cls:
            return f'<text class="{cls}" data-node="{state["node"]}"{attrs}>{text}</text>'
        return m[0]

    return _TOKENS.sub(tag, svg)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body>
<div id="tg-app">
<header id="tg-header"><h1>{title}</h1><p id="tg-notes"></p></header>
<nav id="tg-controls" aria-label="steps">
<button id="tg-first" title="first step (Home)" aria-label="⏮ first step"><svg viewBox="0 0 16 16"
 width="14" height="14"><rect x="2" y="3" width="2.2" height="10"/><path d="M14 3v10L5 8z"/>
</svg></button>
<button id="tg-prev" title="previous step (←)" aria-label="◀ previous step"><svg
 viewBox="0 0 16 16" width="14" height="14"><path d="M12 3v10L3.5 8z"/></svg></button>
<button id="tg-next" title="next step (→)" aria-label="▶ next step"><svg viewBox="0 0 16 16"
 width="14" height="14"><path d="M4 3v10l8.5-5z"/></svg></button>
<button id="tg-last" title="last step (End)" aria-label="⏭ last step"><svg viewBox="0 0 16 16"
 width="14" height="14"><path d="M2 3v10l9-5z"/><rect x="11.8" y="3" width="2.2" height="10"/>
</svg></button>
<input id="tg-slider" type="range" min="0" max="0" value="0" aria-label="step">
<button id="tg-play" title="play / pause (space)" aria-label="play / pause"></button>
<label>speed <select id="tg-speed"><option value="0.5">0.5×</option>
<option value="1" selected>1×</option><option value="2">2×</option>
<option value="4">4×</option></select></label>
<span id="tg-counter"></span>
<button id="tg-fit" title="fit the graph to the window, or show it at full size">fit</button>
</nav>
<main id="tg-main">
<div id="tg-graph">{svg}</div>
<aside id="tg-side">
<section id="tg-step"><h2 id="tg-step-title"></h2><div id="tg-step-body"></div></section>
<section id="tg-details" hidden><button id="tg-details-close" title="close">×</button>
<h2 id="tg-details-title"></h2>
<div id="tg-details-body"></div></section>
</aside>
</main>
</div>
<script>
{script}
</script>
</body>
</html>
"""
