"""tinygrad_sgd.viz: the graph drawing (DOT structure, names, clusters, colours, values and
gradients, large graphs, rendering and the error without Graphviz) and the backprop explainer
(narration order, rules, numbers against torch, gradients identical to backward(), frames)."""
import re
import shutil
import time
from collections import Counter

import numpy as np
import pytest
import torch

from tinygrad_sgd import Tensor, models, nn
from tinygrad_sgd.viz import (COLORS, EXAMPLES, GraphvizNotFound, draw_graph, draw_model,
                              explain_backward, explain_command, graph_command, save_graph)
from tinygrad_sgd.viz.examples import expression, logistic, neuron, xor_mlp
from tinygrad_sgd.viz.graph import SAVED_EDGE, format_array

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
    assert SAVED_EDGE not in src and "0.5000" not in src       # nothing is kept any more


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


# ============================================================================ explainer
def test_explain_expression_narration():
    L, names = expression()
    text = explain_backward(L, params=names)
    print(text)
    assert text.index("Step 1/3  L = mul(d, f)") < text.index("Step 2/3  d = add(e, c)") \
        < text.index("Step 3/3  e = mul(a, b)")
    assert "rule      z = x · y. dz/dx = y, dz/dy = x.   (here x = d, y = f)" in text
    assert "incoming  dL/dL = 1.0000   (scalar)" in text
    assert "→ d       dL/dd = -2.0000   (scalar)" in text
    assert "→ f       dL/df = 4.0000   (scalar)" in text
    assert "→ a       dL/da = 6.0000   (scalar)" in text
    assert "→ b       dL/db = -4.0000   (scalar)" in text
    assert "  c.grad = -2.0000   (scalar)" in text
    assert "  e = mul(a, b)   -6.0000   (scalar)" in text            # the forward pass


def test_explain_rules_are_the_ops_rule_attributes():
    loss, names = logistic()
    narration = explain_backward(loss, params=names)
    for step in narration.steps:
        op = type(step.node)
        assert op.rule and op.rule in narration, step.node.name()
        for derivative in op.derivatives:
            assert derivative.split(" = ")[0] in narration, (step.node.name(), derivative)


@pytest.mark.parametrize("build", [logistic, xor_mlp])
def test_explain_numbers_match_torch_and_plain_backward(build):
    loss, names = build()
    narration = explain_backward(loss, params=names)
    plain_loss, plain_names = build()
    plain_loss.backward()
    leaves = [k for k, t in names.items() if t.requires_grad and t.grad_fn is None]
    for k in leaves:                                           # identical to backward()
        assert np.array_equal(names[k].grad.array, plain_names[k].grad.array), k

    # torch, same formulas, every named tensor's gradient
    t = {k: torch.tensor(v.array, requires_grad=k in leaves) for k, v in names.items()
         if v.grad_fn is None}
    if build is logistic:
        z = t["x"] @ t["w"] + t["b"]
        p = torch.sigmoid(z)
        out = -(t["y"] * torch.log(p) + t["1 - y"] * torch.log(1 - p)).mean()
        inner = {"z": z, "p": p}
    else:
        h = torch.tanh(t["x"] @ t["W1"] + t["b1"])
        p = torch.sigmoid(h @ t["W2"] + t["b2"])
        out = ((p - t["y"]) ** 2).mean()
        inner = {"h": h, "p": p}
    for v in inner.values():
        v.retain_grad()
    out.backward()
    for k in leaves:
        np.testing.assert_allclose(names[k].grad.array, t[k].grad.numpy(), rtol=1e-5, atol=1e-6)
    by_output = {id(s.output): s for s in narration.steps}
    for k, v in inner.items():                                 # intermediate gradients too
        step = by_output[id(narration.view.tensors[id(names[k].grad_fn)])]
        np.testing.assert_allclose(step.grad_in, v.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert f"= {out.item():.4f}" in narration
    for k in leaves:                                           # and the text prints them
        printed = " ".join(line.strip() for line in format_array(names[k].grad.array).split("\n"))
        assert f"  {k}.grad = {printed}" in narration


def test_explain_order_is_topological_and_sums_repeated_uses():
    x = Tensor([3.0], requires_grad=True)
    a = x * x                                                  # x used twice by one op
    y = a + a.tanh()                                           # a used by two ops
    narration = explain_backward(y.sum(), params={"x": x, "a": a})
    position = {id(s.node): s.index for s in narration.steps}
    for s in narration.steps:
        for edge in s.node.next_functions:
            if id(edge) in position:
                assert position[id(edge)] > s.index            # after every consumer
    assert "incoming  dL/da" in narration and "[sum of 2 gradients, from steps" in narration
    assert "x.grad = [" in narration and "sum of 2 contributions" in narration
    np.testing.assert_allclose(x.grad.array, 2 * 3.0 * (1 + (1 - np.tanh(9.0) ** 2)), rtol=1e-5)


def test_explain_broadcast_note_and_large_tensor_summary():
    w = Tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, dtype=np.float32), requires_grad=True)
    text = explain_backward((w + b).sum(), params={"w": w, "b": b})
    assert "summed from (3, 4) to (4,) because b was broadcast" in text
    assert "dL/dw = (shape (3, 4)) mean 1  min 1  max 1" in text


def test_frames_highlight_each_step_in_dot_source():
    L, names = expression()
    narration = explain_backward(L, params=names)
    assert len(narration.steps) == 3
    first = narration.draw(step=0).source
    assert COLORS["active"] not in first and "Before backward" in first
    assert "grad ·" in first                                    # not known yet
    for k, step in enumerate(narration.steps, 1):
        src = narration.draw(step=k).source
        hot = [a for a in ops(src).values() if COLORS["active"] in a]
        assert len(hot) == 1 and op_label(hot[0]) == step.node.label()
        assert f"Step {k}/3" in src
    last = narration.draw().source
    assert COLORS["active"] not in last and row(tensor_by_name(last, "a"), "grad") == "6.0000"


@needs_dot
def test_frames_written_as_files(tmp_path):
    loss, names = neuron()
    narration = explain_backward(loss, params=names, frames=True, frames_dir=tmp_path / "f",
                                 frame_format="png")
    files = sorted(p.name for p in (tmp_path / "f").iterdir())
    assert files == [f"step_{k:02d}.png" for k in range(len(narration.steps) + 1)]
    assert len(files) == 6 and f"Wrote 6 frames to {tmp_path / 'f'}" in narration
    assert all(open(p, "rb").read(4) == b"\x89PNG" for p in narration.frames)


# ============================================================================ CLI helpers
def test_examples_and_command_helpers(tmp_path):
    assert set(EXAMPLES) == {"expression", "neuron", "logistic", "xor-mlp"}
    for name, build in EXAMPLES.items():
        loss, named = build()
        assert loss.grad_fn is not None and all(isinstance(t, Tensor) for t in named.values())
        assert np.array_equal(loss.array, build()[0].array)      # fixed seed: same every time
    out = graph_command(example="neuron", output=str(tmp_path / "neuron.dot"))
    assert out.startswith("wrote") and "neuron" in out
    src = (tmp_path / "neuron.dot").read_text()
    assert "grad" in src and "x1*w1" in src
    graph_command(model="simple-cnn", output=str(tmp_path / "cnn.dot"))
    assert "conv1: Conv2d" in (tmp_path / "cnn.dot").read_text()
    graph_command(model="mlp", output=str(tmp_path / "mlp.dot"))
    assert "0.weight" in (tmp_path / "mlp.dot").read_text()
    text = explain_command("neuron")
    assert "Step 5/5" in text and "x1.grad = -1.5000" in text
    with pytest.raises(ValueError, match="unknown example 'nope'"):
        graph_command(example="nope", output=str(tmp_path / "x.dot"))
    with pytest.raises(ValueError, match="either a model or an example"):
        graph_command(output=str(tmp_path / "x.dot"))
