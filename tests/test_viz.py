"""tinygrad_sgd.viz: the graph drawing (DOT structure, names, clusters, colours, values and
gradients, large graphs, rendering and the error without Graphviz) and what it got wrong
(inputs not kept, stale gradients, the legend, wide graphs). The explainer and the tutorial
graphs are tested in test_explain.py, the explorer page in test_explorer.py, the commands in
test_cli.py; the helpers reading DOT source here are shared with test_explain.py."""
import re
import shutil
import time
from collections import Counter

import numpy as np
import pytest
import torch

from tinygrad_sgd import Tensor, models, nn, optim
from tinygrad_sgd.viz import (COLORS, GraphvizNotFound, draw_graph, draw_model,
                              explain_backward, save_graph)
from tinygrad_sgd.viz.painter import SAVED_EDGE
from tinygrad_sgd.viz.tutorial_graphs import expression, logistic, neuron, xor_mlp

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (CI installs it)")


# ============================================================================ reading DOT source
NODE = re.compile(r"^\s*((?:op|t)\d+) \[(.*)\]$")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$")


def ops(src):
    """op node id -> its attribute text."""
    return {m[1]: m[2] for m in map(NODE.match, src.splitlines()) if m and m[1].startswith("op")}


def tensors(src):
    return {m[1]: m[2] for m in map(NODE.match, src.splitlines()) if m and m[1].startswith("t")}


def edges(src):
    return [(m[1], m[2], m[3] or "") for m in map(EDGE.match, src.splitlines()) if m]


def op_label(attrs):
    """The first line of an op node's label: ``mul``, ``conv2d(stride=1, padding=0)``."""
    m = (re.match(r"label=<(.*?)(?:<BR/>|>)", attrs) or re.match(r'label="(.*?)(?:\\n|")', attrs)
         or re.match(r"label=(\S+)", attrs))
    return m[1] if m else None


def tensor_by_name(src, name):
    """The attribute text of the tensor node whose bold title is ``name``."""
    found = [a for a in tensors(src).values() if f"<B>{name}</B>" in a]
    assert len(found) == 1, f"{len(found)} tensor nodes named {name!r}"
    return found[0]


def row(attrs, title):
    """The text of the 'data' or 'grad' row of a tensor node (None if absent)."""
    m = re.search(rf">{title}[^<]*</FONT><FONT[^>]*>(.*?)</FONT>", attrs)
    return None if m is None else re.sub(r"<BR[^>]*>", " ", m[1]).strip()


def clusters(src):
    """cluster label -> set of node ids inside it (nested clusters included)."""
    out, stack = {}, []
    for line in src.splitlines():
        if re.match(r"\s*subgraph cluster_\d+ \{", line):
            stack.append(None)
        elif line.strip() == "}" and stack:
            stack.pop()
        elif stack and stack[-1] is None and re.search(r"\blabel=", line):
            label = re.search(r'\blabel=("([^"]*)"|\S+)', line)
            stack[-1] = label[2] if label[2] is not None else label[1]
            out.setdefault(stack[-1], set())
        else:
            m = NODE.match(line)
            if m:
                for label in stack:
                    out[label].add(m[1])
    return out


# ============================================================================ structure
def test_expression_graph_nodes_edges_labels_and_colours():
    L, names = expression()
    src = draw_graph(L, params=names).source
    assert sorted(op_label(a) for a in ops(src).values()) == ["add", "mul", "mul"]
    assert len(tensors(src)) == 7                # a, b, c, f and the outputs e, d, L
    assert len(edges(src)) == 3 + 6              # op -> output, and two inputs per op
    for name in "abcfedL":
        tensor_by_name(src, name)
    for leaf in "abcf":
        assert COLORS["parameter"] in tensor_by_name(src, leaf)
    assert COLORS["output"] in tensor_by_name(src, "L")
    assert COLORS["saved"] in tensor_by_name(src, "d")       # the last mul keeps d
    assert COLORS["saved"] not in tensor_by_name(src, "e")   # add keeps nothing
    assert sum(SAVED_EDGE in attrs for _, _, attrs in edges(src)) == 4  # both muls keep x, y
    assert "legend" in src and "saved for backward" in src
    assert "scalar float32" in tensor_by_name(src, "a")


def test_values_before_and_gradients_after_backward():
    L, names = expression()
    before = draw_graph(L, params=names).source
    assert row(tensor_by_name(before, "e"), "data") == "-6.0000"
    assert row(tensor_by_name(before, "L"), "data") == "-8.0000"
    assert row(tensor_by_name(before, "a"), "grad") is None
    L.backward()
    after = draw_graph(L, params=names).source
    expected = {"a": "6.0000", "b": "-4.0000", "c": "-2.0000", "f": "4.0000",
                "e": "-2.0000", "d": "-2.0000", "L": "1.0000"}
    for name, grad in expected.items():
        assert row(tensor_by_name(after, name), "grad") == grad, name


def test_neuron_graph_after_backward_matches_torch():
    o, names = neuron()
    o.backward()
    src = draw_graph(o, params=names).source
    t = {k: torch.tensor(float(names[k].array), requires_grad=True)
         for k in ("x1", "x2", "w1", "w2", "b")}
    n = t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"]
    n.retain_grad()
    torch.tanh(n).backward()
    for k, v in t.items():
        assert float(row(tensor_by_name(src, k), "grad")) == pytest.approx(v.grad.item(),
                                                                           abs=1e-4)
    assert row(tensor_by_name(src, "n"), "grad") == f"{n.grad.item():.4f}"
    assert row(tensor_by_name(src, "o"), "data") == "0.7071"
    tanh = [a for a in ops(src).values() if op_label(a) == "tanh"][0]
    assert "1 − z²" in tanh                                    # the rule, from the docstring


def test_unnamed_graph_shows_shapes_and_saved_values():
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    y = (x * 0.5).sum().tanh()                                 # tanh keeps its (0-d) output
    src = draw_graph(y).source
    by_label = {op_label(a): k for k, a in ops(src).items()}
    assert sorted(by_label) == ["mul", "sum", "tanh"]
    shapes = " ".join(tensors(src).values())
    assert "(2, 3) float32" in shapes and "scalar float32" in shapes
    kept = [(tail, head) for tail, head, attrs in edges(src) if SAVED_EDGE in attrs]
    assert len(kept) == 3                      # mul keeps x and 0.5, tanh keeps its output
    assert sum(tail == by_label["tanh"] for tail, _ in kept) == 1
    assert "0.5000" in src                                     # the saved constant is drawn
    y.backward()                                               # frees the saved arrays
    src = draw_graph(y).source
    assert len(ops(src)) == 3 and "(2, 3) float32" in src
    assert SAVED_EDGE not in src                               # nothing is saved any more,
    assert "0.5000" in src                                     # but the constant is remembered


def test_large_tensor_is_summarized_small_one_in_full():
    big = Tensor(np.linspace(-1, 1, 100, dtype=np.float32), requires_grad=True)
    small = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = (big.sum() * small).sum()
    src = draw_graph(out, params={"big": big, "small": small}).source
    assert row(tensor_by_name(src, "big"), "data") == "mean 0  min -1  max 1"
    assert row(tensor_by_name(src, "small"), "data") == "[1.0000, 2.0000, 3.0000]"


def test_lone_tensor_and_wrong_argument():
    src = draw_graph(Tensor([1.0, 2.0])).source
    assert len(tensors(src)) == 1 and not edges(src)
    with pytest.raises(TypeError, match="expected a Tensor"):
        draw_graph(np.ones(3))


# ============================================================================ modules
def test_simple_cnn_clusters_names_and_op_labels():
    model = models.SimpleCNN()
    x = Tensor(np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32))
    src = draw_model(model, x).source
    labels = {op_label(a) for a in ops(src).values()}
    assert {"relu", "log_softmax"} <= labels
    counts = Counter(op_label(a) for a in ops(src).values())
    assert counts["conv2d(stride=1, padding=0)"] == 2 and counts["max_pool2d(2)"] == 2
    groups = clusters(src)
    assert {"SimpleCNN", "conv1: Conv2d", "conv2: Conv2d", "fc1: Linear",
            "fc2: Linear"} <= set(groups)
    for layer in ("conv1", "conv2", "fc1", "fc2"):
        inside = groups[f"{layer}: {'Conv2d' if 'conv' in layer else 'Linear'}"]
        assert any(node in ops(src) for node in inside), f"no operation in {layer}"
        for p in ("weight", "bias"):
            node = [k for k, a in tensors(src).items() if f"<B>{layer}.{p}</B>" in a]
            assert node and node[0] in inside, f"{layer}.{p} not drawn in its cluster"
    assert "rankdir=TB" in src
    assert not clusters(draw_model(model, x, group_modules=False).source)


class TwiceTanh(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(self.act(x)))


def test_module_called_twice_gets_one_cluster_per_call():
    model = TwiceTanh()
    out = model(Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)).sum()
    groups = clusters(draw_graph(out, params=model).source)
    assert {"act: Tanh (call 1)", "act: Tanh (call 2)", "fc: Linear", "TwiceTanh"} <= set(groups)
    src = draw_graph(out, params=model.named_parameters()).source   # a generator of pairs
    assert "<B>fc.weight</B>" in src and "<B>fc.bias</B>" in src
    # without params, names come from the modules the operations ran in
    assert "fc: Linear" in clusters(draw_graph(out).source)
    assert "<B>fc.weight</B>" in draw_graph(out).source


# ============================================================================ large graphs
def chain(n_steps):
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(n_steps):
        y = y * 0.999 + 0.001
    return y.sum(), x


def test_5000_op_chain_is_collapsed_with_a_note(tmp_path):
    loss, x = chain(2500)                                      # 5,001 operations
    start = time.perf_counter()
    g = draw_graph(loss, params={"x": x})
    save_graph(g, tmp_path / "chain.dot")
    assert time.perf_counter() - start < 5
    src = g.source
    assert len(ops(src)) < 10
    assert "(mul → add) × 2,499" in src
    assert any("4,998 operations drawn as 1 node" in n for n in g.notes)
    assert "Collapsed repeated structure" in src
    assert (tmp_path / "chain.dot").read_text() == src


def test_cap_draws_the_nodes_nearest_the_output_and_says_what_is_left_out():
    loss, _ = chain(2500)
    g = draw_graph(loss, collapse=False, max_nodes=300)
    assert len(ops(g.source)) == 300
    assert "4,701 more operations not drawn" in g.notes[0]
    assert "note" in g.source and "max_nodes=None" in g.source
    assert any(tail == "note" for tail, _, _ in edges(g.source))
    loss, _ = chain(20)
    assert len(ops(draw_graph(loss, collapse=False, max_nodes=None).source)) == 41


# ============================================================================ rendering
@needs_dot
def test_render_svg_png_pdf(tmp_path):
    o, names = neuron()
    o.backward()
    svg = save_graph(o, tmp_path / "neuron.svg", params=names)
    text = open(svg, encoding="utf-8").read()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "x1*w1" in text
    png = save_graph(draw_graph(o, params=names), tmp_path / "neuron.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "neuron.png").stat().st_size > 5000
    pdf = save_graph(o, tmp_path / "neuron.pdf")
    assert open(pdf, "rb").read(4) == b"%PDF"
    assert "image/svg+xml" in draw_graph(o)._repr_mimebundle_()   # Jupyter shows it inline


def test_without_dot_the_error_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))                  # no `dot` anywhere on PATH
    L, names = expression()
    with pytest.raises(GraphvizNotFound, match=r"apt-get install graphviz"):
        save_graph(L, tmp_path / "graph.png")
    assert not (tmp_path / "graph.png").exists()
    g = draw_graph(L, params=names)
    with pytest.raises(GraphvizNotFound, match=r"brew install graphviz"):
        g.render(tmp_path / "graph", format="svg")
    with pytest.raises(GraphvizNotFound):
        g.pipe(format="png")
    assert "install" in g._repr_mimebundle_()["text/plain"]
    save_graph(g, tmp_path / "graph.dot")                      # the DOT source needs nothing
    assert "digraph" in (tmp_path / "graph.dot").read_text()
    with pytest.raises(GraphvizNotFound, match="frames"):
        explain_backward(L, frames=True, frames_dir=tmp_path / "frames")
    assert names["a"].grad is None                             # refused before backward ran


def test_shutil_which_finding_no_dot_is_enough(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    L, _ = expression()
    with pytest.raises(GraphvizNotFound, match="Graphviz"):
        save_graph(L, tmp_path / "g.svg")
    with pytest.raises(ValueError, match="format"):
        save_graph(L, tmp_path / "g.txt")


# ============================================================================ what it got wrong
def legend(src):
    """The text of the legend node."""
    line = [ln for ln in src.splitlines() if ln.strip().startswith("legend [")]
    assert len(line) == 1
    return line[0]


def edges_into(src, head):
    return [tail for tail, h, _ in edges(src) if h == head]


def test_inputs_needing_no_grad_are_drawn_and_narrated_after_backward():
    p = Tensor(np.array([0.2, 0.7], dtype=np.float32), requires_grad=True)
    y = Tensor(np.array([0.0, 1.0], dtype=np.float32))
    loss = ((p - y) * (1.0 - p)).sum()               # sub saves neither y nor the 1
    text = explain_backward(loss, params={"p": p, "y": y})   # (runs backward)
    assert "= sub(p, y)" in text and "= sub(1.0000, p)" in text   # was "sub(p)"
    src = draw_graph(loss, params={"p": p, "y": y}).source
    subs = [k for k, a in ops(src).items() if op_label(a) == "sub"]
    assert len(subs) == 2 and all(len(edges_into(src, k)) == 2 for k in subs)
    assert not [a for a in tensors(src).values() if "not kept" in a]
    loss, names = xor_mlp()
    assert "p - y = sub(p, y)" in explain_backward(loss, params=names)


def test_a_big_input_nothing_else_keeps_is_drawn_as_not_kept():
    p = Tensor(np.linspace(0, 1, 100, dtype=np.float32), requires_grad=True)
    loss = (p - Tensor(np.ones(100, np.float32))).sum()   # the ones: dropped, not saved
    src = draw_graph(loss).source
    (sub,) = [k for k, a in ops(src).items() if op_label(a) == "sub"]
    assert len(edges_into(src, sub)) == 2
    missing = [a for a in tensors(src).values() if "not kept" in a]
    assert len(missing) == 1
    assert all(COLORS["missing"] in a and "DASHED" in a for a in missing)
    assert "input the graph did not keep" in legend(src)
    assert "t1 = sub(leaf1, ·)" in explain_backward(loss)


def test_an_optional_argument_left_out_is_not_drawn_as_missing():
    x = Tensor(np.array([0.5, -3.0, 2.0], dtype=np.float32), requires_grad=True)
    lo = Tensor(np.array([0.0, -1.0, 0.0], dtype=np.float32))
    out = x.clamp(min=lo).sum()                      # clamp's hi: not given at all
    assert not [a for a in tensors(draw_graph(out).source).values() if "not kept" in a]


def test_a_constant_is_drawn_before_and_after_backward():
    n = Tensor(np.float32(3.0), requires_grad=True)
    out = n * 7.0
    before = draw_graph(out).source
    (mul,) = ops(before)
    constant = [a for a in tensors(before).values() if COLORS["input"] in a]
    assert len(constant) == 1 and row(constant[0], "data") == "7.0000"
    assert len(edges_into(before, mul)) == 2
    out.backward()                                   # frees what mul saved; the node still
    after = draw_graph(out).source                   # remembers its small constant input
    assert len(edges_into(after, mul)) == 2
    assert not [a for a in tensors(after).values() if "not kept" in a]
    constant = [a for a in tensors(after).values() if COLORS["input"] in a]
    assert len(constant) == 1 and row(constant[0], "data") == "7.0000"


def test_draw_model_after_training_shows_no_stale_gradients():
    model = models.MLP([2, 4, 1])
    x = Tensor(np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32))
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = (model(x) ** 2).mean()
    loss.backward()
    opt.step()
    g = draw_model(model, x)                         # a fresh forward: no backward yet
    assert not any(row(a, "grad") for a in tensors(g.source).values())
    assert any("earlier backward" in note for note in g.notes)
    assert row(tensor_by_name(draw_model(model, x, show_grads=True).source, "0.weight"),
               "grad") is not None                   # asked for: shown
    src = draw_graph(loss, params=model).source      # the graph that was backpropagated
    assert row(tensor_by_name(src, "0.weight"), "grad") is not None
    assert "earlier backward" not in src


def test_legend_lists_only_what_the_picture_shows():
    L, names = expression()
    text = legend(draw_graph(L, params=names).source)
    for kind in ("parameter", "saved for backward", "output", "operation"):
        assert kind in text
    for kind in ("input / constant", "did not keep", "running now", "arrived"):
        assert kind not in text
    loss, names = logistic()
    assert "input / constant" in legend(draw_graph(loss, params=names).source)
    L, names = expression()
    narration = explain_backward(L, params=names)
    frame = legend(narration.draw(step=1).source)
    assert "running now" in frame and "arrived at this step" in frame
    assert COLORS["active"] in frame and COLORS["fresh"] in frame
    assert "running now" not in legend(narration.draw(step=0).source)


@needs_dot
def test_wide_graphs_are_drawn_top_to_bottom(tmp_path):
    def size(g):
        svg = (tmp_path / "g.svg")
        save_graph(g, svg)
        w, h = re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg.read_text()).groups()
        return int(w), int(h)
    loss, names = xor_mlp()
    narration = explain_backward(loss, params=names)
    wide = narration.draw(rankdir="LR")
    auto = narration.draw()
    assert "rankdir=TB" in auto.source and "rankdir=LR" in wide.source
    assert size(wide)[0] > 2000 and size(auto)[0] < 1200
    L, names = expression()
    assert "rankdir=LR" in draw_graph(L, params=names).source   # a short chain stays LR
