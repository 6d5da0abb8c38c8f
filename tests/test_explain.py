"""tinygrad_sgd.viz.explain_backward (narration order, rules, numbers against torch, gradients
identical to backward(), frames, every gradient recorded) and the tutorial graphs it narrates
(every node named, the CNN written out as SimpleCNN, MNIST's fallbacks)."""
import numpy as np
import pytest
import torch

from tinygrad_sgd import Tensor, models, tensor
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.viz import COLORS, draw_graph, explain_backward
from tinygrad_sgd.viz.formatting import format_array
from tinygrad_sgd.viz.tutorial_graphs import (expression, gpt, logistic, neuron,
                                              simple_cnn_batch, xor_mlp)
from test_viz import clusters, needs_dot, op_label, ops, row, tensor_by_name, tensors


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
        for edge in s.node._edges:
            if id(edge) in position:
                assert position[id(edge)] > s.index            # after every consumer
    assert "incoming  dL/da" in narration and "[sum of 2 gradients, from steps" in narration
    assert "x.grad = [" in narration and "sum of 2 contributions" in narration
    np.testing.assert_allclose(x.grad.array, 2 * 3.0 * (1 + (1 - np.tanh(9.0) ** 2)), rtol=1e-5)


def test_explain_broadcast_note_and_large_tensor_summary():
    w = tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    b = tensor(np.zeros(4, dtype=np.float32), requires_grad=True)
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


# ============================================================================ every node, named
def test_unnamed_results_get_their_gradient_from_the_explainer():
    x = tensor(np.array([0.3, -1.2], dtype=np.float32), requires_grad=True)
    y = ((x * 2.0).tanh() * x).sum()
    narration = explain_backward(y, params={"x": x})
    src = narration.draw().source
    results = [a for a in tensors(src).values() if COLORS["input"] not in a
               and "not kept" not in a]
    assert len(results) == 5                         # x, x·2, tanh, ·x, sum
    assert all(row(a, "grad") is not None for a in results)


@pytest.mark.parametrize("build", [expression, neuron, logistic, xor_mlp])
def test_tutorial_graphs_show_value_and_gradient_on_every_node(build):
    loss, names = build()
    narration = explain_backward(loss, params=names)
    src = narration.draw().source
    for attrs in tensors(src).values():
        if "not kept" in attrs:                      # xor's y in p - y: see the test above
            continue
        assert row(attrs, "data") is not None, attrs
        if COLORS["input"] not in attrs:
            assert row(attrs, "grad") is not None, attrs
    loss, names = build()
    loss.backward()                                  # plain backward: names keep theirs
    src = draw_graph(loss, params=names).source
    for name, t in names.items():
        if t.requires_grad:
            assert row(tensor_by_name(src, name), "grad") is not None, name


def test_simple_cnn_batch_is_the_model_written_out(monkeypatch):
    from tinygrad_sgd import manual_seed
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32)
    labels = np.array([3, 1, 4, 1])
    loss, names, note = simple_cnn_batch(images=images, labels=labels)
    assert note == "4 images given by the caller"
    manual_seed(0)                                   # same init and same dropout masks
    model = models.SimpleCNN()
    out = model(tensor(images))
    assert np.array_equal(names["log_softmax"].array, out.array)
    assert loss.item() == F.nll_loss(out, tensor(labels)).item()
    assert names["conv1"].shape == (4, 10, 24, 24) and names["flatten"].shape == (4, 320)
    assert {"conv1.weight", "fc2.bias", "input", "target", "relu2", "dropout"} <= set(names)
    assert "SimpleCNN" in clusters(draw_graph(loss, params=names).source)


def test_forward_pass_is_narrated_in_creation_order():
    w = tensor(np.array([3.0, -1.0], dtype=np.float32), requires_grad=True)
    x = tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = w * w                                        # created before a, though a is the
    a = x.exp()                                      # left argument of the add below
    text = explain_backward((a + b).sum(), params={"w": w, "x": x, "a": a, "b": b})
    assert text.index("b = mul(w, w)") < text.index("a = exp(x)") < text.index("add(a, b)")
    assert text.index("Step 2/4  t1 = add(a, b)") < text.index("Step 3/4  b = mul(w, w)")


def test_the_gpt_example_is_backpropagated_as_backward_does():
    from tinygrad_sgd.viz import explore
    loss, names = gpt()
    page = explore(loss, params=names)
    plain, plain_names = gpt()
    assert loss.item() == plain.item() and 2.0 < loss.item() < 3.0   # ≈ ln 12: untrained
    plain.backward()
    leaves = [k for k, t in names.items() if t.requires_grad and t.grad_fn is None]
    assert "transformer.h.0.attn.c_attn.weight" in leaves and len(leaves) >= 12
    for k in leaves:
        assert np.array_equal(names[k].grad.array, plain_names[k].grad.array), k
    labels = {n.label for n in page.nodes if n.kind == "operation"}
    assert {"embedding", "linear", "matmul", "softmax"} <= labels
    assert page.nodes[0].name == "transformer.wte.weight"          # the first thing used
    assert page.node_of(names["logits"]).shape == (2, 8, 12)      # 12 characters


def test_mnist_batch_falls_back_to_fashion_then_to_noise(monkeypatch):
    from tinygrad_sgd.data import mnist as mnist_module
    from tinygrad_sgd.viz.tutorial_graphs import mnist_batch

    class Missing:
        name = "MNIST"

        def __init__(self, *a, **k):
            raise FileNotFoundError("t10k-images-idx3-ubyte.gz not found")

    class Fashion:
        name = "Fashion-MNIST"

        def __init__(self, *a, **k):
            self.data = np.zeros((100, 1, 28, 28), np.float32)

        def __len__(self):
            return 100

        def __getitem__(self, i):
            return self.data[i], np.arange(100)[i]

    monkeypatch.setattr(mnist_module, "MNIST", Missing)
    monkeypatch.setattr("tinygrad_sgd.data.MNIST", Missing)
    monkeypatch.setattr("tinygrad_sgd.data.FashionMNIST", Fashion)
    images, labels, note = mnist_batch(16)
    assert images.shape == (16, 1, 28, 28) and list(labels) == list(range(16))
    assert note.startswith("16 Fashion-MNIST test images (MNIST not found: set $TINYGRAD")
    monkeypatch.setattr("tinygrad_sgd.data.FashionMNIST", Missing)
    images, labels, note = mnist_batch(8)
    assert images.shape == (8, 1, 28, 28) and images.dtype == np.float32
    assert -1 <= images.min() and images.max() <= 1 and labels.shape == (8,)
    assert note.startswith("8 random noise images with random labels (neither MNIST nor")
