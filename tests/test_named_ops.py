"""Ops drawn as they are written in code (issue #16): a 1-D ``x @ w`` is one ``matmul`` node
(values, gradients and second order against torch), dropout is one ``dropout(p=0.5)`` node
with torch's masks and torch's grad_fn name, ``flatten`` draws as ``flatten``, a 1-D
``F.linear`` is one ``linear`` node; and two ``F.linear`` fixes (#15): a NumPy weight raises
torch's TypeError, 0 in-features backpropagate zeros of the right shapes."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, models, tensor
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.viz import draw_graph, draw_model

TF = torch.nn.functional


def nodes(out):
    """The labels of the graph's operations, in the order they were created."""
    from tinygrad_sgd.viz.view import GraphView
    return [op.label() for op in GraphView([out]).ops]


def pair(shape, rng, dtype=np.float64):
    a = rng.standard_normal(shape).astype(dtype)
    return tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def close(ours, theirs, what):
    np.testing.assert_allclose(ours.array if isinstance(ours, Tensor) else ours,
                               theirs.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=what)


# ============================================================================ matmul
# (left shape, right shape, torch's grad_fn name without the trailing 0 where it names a
# product; ours is MatMulBackward where torch's node is a view around the product)
MATMULS = [((3,), (3,), "DotBackward"), ((2, 3), (3,), "MvBackward"),
           ((3,), (3, 2), "MatMulBackward"), ((4, 2, 3), (3,), "MatMulBackward"),
           ((3,), (4, 3, 2), "MatMulBackward"), ((2, 1, 2, 3), (3,), "MatMulBackward"),
           ((2, 3), (3, 4), "MatMulBackward"), ((0,), (0, 2), "MatMulBackward")]


@pytest.mark.parametrize("sa,sb,name", MATMULS, ids=lambda v: str(v))
def test_matmul_with_1d_operands_is_one_node_as_torch(sa, sb, name):
    rng = np.random.default_rng(len(sa) * 10 + len(sb))
    (a, ta), (b, tb) = pair(sa, rng), pair(sb, rng)
    z, tz = a @ b, ta @ tb
    assert z.grad_fn.name() == name and nodes(z) == ["matmul"]
    assert z.shape == tuple(tz.shape)
    close(z, tz, "value")
    w = np.random.default_rng(1).standard_normal(tz.shape)
    # first order, then second order through the gradients (create_graph)
    ga, gb = tg.autograd.grad((z * tensor(w)).sum() ** 2, [a, b], create_graph=True)
    tga, tgb = torch.autograd.grad((tz * torch.tensor(w)).sum() ** 2, [ta, tb],
                                   create_graph=True)
    close(ga, tga, "dL/da")
    close(gb, tgb, "dL/db")
    (ga.sum() + (gb * gb).sum()).backward()
    (tga.sum() + (tgb * tgb).sum()).backward()
    close(a.grad, ta.grad, "second order, a")
    close(b.grad, tb.grad, "second order, b")


def test_matmul_float32_and_errors():
    a = tensor(np.ones(3, np.float32), requires_grad=True)
    z = a @ tensor(np.ones((3, 2), np.float32))
    z.sum().backward()
    assert z.dtype == np.float32 and a.grad.dtype == np.float32 and a.grad.tolist() == [2.0] * 3
    with pytest.raises(ValueError, match=r"^matmul: shapes \(3,\) and \(4, 2\) don't align "
                                         r"\(3 != 4\)$"):
        tg.zeros(3) @ tg.zeros(4, 2)
    with pytest.raises(ValueError, match=r"^matmul: shapes \(2, 4\) and \(3,\) don't align "
                                         r"\(4 != 3\)$"):
        tg.zeros(2, 4) @ tg.zeros(3)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        tg.zeros(3) @ tg.tensor(2.0)
    assert tg.ops.MatMul.name() == "MatMulBackward"            # on the class: no operands


# ============================================================================ linear
def test_linear_1d_input_is_one_node_with_torchs_gradients():
    rng = np.random.default_rng(3)
    (x, tx), (w, tw), (b, tb) = pair((3,), rng), pair((4, 3), rng), pair((4,), rng)
    y, ty = F.linear(x, w, b), TF.linear(tx, tw, tb)
    assert nodes(y) == ["linear"] and y.shape == (4,)
    g = tg.autograd.grad((y * y).sum(), [x], create_graph=True)[0]
    tg_ = torch.autograd.grad((ty * ty).sum(), [tx], create_graph=True)[0]
    close(g, tg_, "dL/dx")
    g.sum().backward()
    tg_.sum().backward()
    for ours, theirs, what in ((w, tw, "w"), (b, tb, "b"), (x, tx, "x")):
        close(ours.grad, theirs.grad, what)


@pytest.mark.parametrize("args", [
    (torch.ones(2, 3), np.ones((2, 3), np.float32)),
    (torch.ones(2, 3), torch.ones(2, 3), np.ones(2, np.float32)),
    (torch.ones(2, 3), 3.0), (torch.ones(2, 3), [[1.0] * 3] * 2)],
    ids=["numpy weight", "numpy bias", "float weight", "list weight"])
def test_linear_refuses_a_weight_that_is_not_a_tensor_with_torchs_message(args):
    with pytest.raises(TypeError) as expected:
        TF.linear(*args)
    ours = [tensor(a.numpy()) if isinstance(a, torch.Tensor) else a for a in args]
    with pytest.raises(TypeError) as got:
        F.linear(*ours)
    assert str(got.value) == str(expected.value)
    with pytest.raises(TypeError) as expected:
        TF.linear(np.ones((2, 3), np.float32), args[0])
    with pytest.raises(TypeError) as got:
        F.linear(np.ones((2, 3), np.float32), ours[0])      # the input too: torch's words
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("sx,sw,bias", [((4, 0), (5, 0), True), ((0,), (5, 0), False),
                                        ((3, 0, 4), (5, 4), False), ((3, 4), (0, 4), True),
                                        ((2, 3, 0), (2, 0), True)])
def test_linear_with_zero_sizes_backpropagates_as_torch(sx, sw, bias):
    rng = np.random.default_rng(0)
    (x, tx), (w, tw) = pair(sx, rng, np.float32), pair(sw, rng, np.float32)
    b, tb = pair(sw[:1], rng, np.float32) if bias else (None, None)
    y, ty = F.linear(x, w, b), TF.linear(tx, tw, tb)
    assert y.shape == tuple(ty.shape)
    close(y, ty, "value")
    y.sum().backward()
    ty.sum().backward()
    for ours, theirs, what in ((x, tx, "x"), (w, tw, "w"), (b, tb, "b")):
        if ours is not None:
            assert ours.grad.shape == tuple(theirs.grad.shape), what
            close(ours.grad, theirs.grad, what)


# ============================================================================ dropout
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("fn,tfn,shape,name", [
    (F.dropout, TF.dropout, (3, 50), "dropout"),
    (F.dropout2d, TF.dropout2d, (4, 6, 5, 5), "dropout2d")], ids=["dropout", "dropout2d"])
def test_dropout_is_one_node_with_torchs_mask_and_gradients(fn, tfn, shape, name, inplace):
    values = np.random.default_rng(5).standard_normal(shape)
    x, tx = tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    tg.manual_seed(7)
    torch.manual_seed(7)
    if inplace:                        # in place needs a non-leaf, as in torch
        h, th = x * 1.0, tx * 1.0
        y, ty = fn(h, 0.3, inplace=True), tfn(th, 0.3, inplace=True)
        assert y is h
    else:
        y, ty = fn(x, 0.3), tfn(tx, 0.3)
    assert np.array_equal(y.array, ty.detach().numpy())          # torch's mask, bit for bit
    assert y.grad_fn.label() == f"{name}(p=0.3)" and y.grad_fn.name() == "MulBackward"
    assert type(ty.grad_fn).__name__ == "MulBackward0"           # torch's node on the CPU
    assert nodes(y)[-1] == f"{name}(p=0.3)"
    g = tg.autograd.grad((y * y).sum(), [x], create_graph=True)[0]
    tg_ = torch.autograd.grad((ty * ty).sum(), [tx], create_graph=True)[0]
    close(g, tg_, "dL/dx")
    (g * g).sum().backward()
    (tg_ * tg_).sum().backward()
    close(x.grad, tx.grad, "second order")


def test_dropout_keeps_its_mask_for_backward_only():
    x = tensor(np.ones((2, 8), np.float32), requires_grad=True)
    y = F.dropout(x, 0.5)
    node = y.grad_fn
    assert node.mask.shape == (2, 8) and node.mask.dtype == np.float32
    y.sum().backward()
    assert "mask" not in node.__dict__                           # freed with the graph
    assert np.array_equal(x.grad.array, y.array)                 # d/dx of x·m is m (x = 1)
    assert F.dropout(x, 1.0).grad_fn.label() == "dropout(p=1)"
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.5, training=False) is x


# ============================================================================ flatten and the drawings
@pytest.mark.parametrize("call,label", [
    (lambda x: x.flatten(), "flatten"), (lambda x: tg.flatten(x, 1), "flatten(1)"),
    (lambda x: F.flatten(x, 0, 1), "flatten(0, 1)"), (lambda x: tg.nn.Flatten()(x), "flatten(1)"),
    (lambda x: x.reshape(2, 12), "reshape"), (lambda x: x.view(-1), "reshape")])
def test_flatten_is_drawn_as_flatten(call, label):
    x = tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = call(x)
    assert y.grad_fn.label() == label and y.grad_fn.name() == "ReshapeBackward"
    y.sum().backward()
    assert x.grad.shape == (2, 3, 4) and np.all(x.grad.array == 1.0)


def test_the_tutorial_cnn_is_drawn_with_its_codes_names():
    from test_viz import op_label, ops
    model = models.SimpleCNN()                                   # training mode: dropout on
    x = tensor(np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32))
    labels = [op_label(a) for a in ops(draw_model(model, x).source).values()]
    assert "flatten(1)" in labels and "dropout(p=0.5)" in labels
    assert "reshape" not in labels and "mul" not in labels
    w = tensor(np.ones((3, 2), np.float32), requires_grad=True)
    v = tensor(np.ones(3, np.float32), requires_grad=True)
    labels = [op_label(a) for a in ops(draw_graph((v @ w).sum()).source).values()]
    assert sorted(labels) == ["matmul", "sum"]                   # was reshape → matmul → reshape
