"""The fused recurrent cells (ops.LSTMCellOp, ops.GRUCellOp and their Grad nodes) against torch.

* torch's own cell functions (``torch.lstm_cell`` / ``torch.gru_cell``, what nn.LSTMCell and
  nn.GRUCell run on the CPU), the hidden products made by ``linear`` in both libraries: value,
  gradient w.r.t. every input, and second order (torch differentiates its cells twice);
* the cell formulas written with torch ops, the two products given separately, so the gradient
  w.r.t. each of them is checked element by element (and which inputs need a gradient varies);
* third order against torch (the Grad nodes' backward is made of Tensor ops);
* the fused ops give bit for bit the numbers of the same cell composed from our small ops;
* an LSTM's / GRU's graph has one fused node per time step (and none of the small ops), so a
  return to the slow path is caught."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import autograd, nn, ops
from tinygrad_sgd.errors import ShapeError
from tinygrad_sgd.nn import functional as F

from strategies import check_against_torch

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}
SHAPES = [(3, 4), (1, 1), (5, 2)]                    # (batch, hidden)


def _arrays(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2, 2, s).astype(dtype) for s in shapes]


# ------------------------------------------------------------------ torch's references
def lstm_formula(lib, a, b, c):
    if lib is tg:
        return ops.LSTMCellOp.apply(a, b, c)
    i, f, g, o = (a + b).chunk(4, 1)
    c2 = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return torch.stack([o.sigmoid() * c2.tanh(), c2])


def gru_formula(lib, a, b, h):
    if lib is tg:
        return ops.GRUCellOp.apply(a, b, h)
    (ar, az, an), (br, bz, bn) = a.chunk(3, 1), b.chunk(3, 1)
    r, z = (ar + br).sigmoid(), (az + bz).sigmoid()
    n = (an + r * bn).tanh()
    return (1 - z) * n + z * h


def lstm_cell(lib, a, h, c, w_hh, b_hh):
    """torch.lstm_cell with W_ih = I (so its input is the input product a itself)."""
    if lib is tg:
        return ops.LSTMCellOp.apply(a, F.linear(h, w_hh, b_hh), c)
    eye = torch.eye(a.shape[1], dtype=a.dtype)
    return torch.stack(torch.lstm_cell(a, (h, c), eye, w_hh, None, b_hh))


def gru_cell(lib, a, h, w_hh, b_hh):
    if lib is tg:
        return ops.GRUCellOp.apply(a, F.linear(h, w_hh, b_hh), h)
    return torch.gru_cell(a, h, torch.eye(a.shape[1], dtype=a.dtype), w_hh, None, b_hh)


def _cell_shapes(kind, bsz, hid):
    k = 4 if kind == "lstm" else 3
    states = [(bsz, hid)] * (2 if kind == "lstm" else 1)
    return [(bsz, k * hid)] + states + [(k * hid, hid), (k * hid,)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bsz,hid", SHAPES)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_against_torchs_cell_functions(kind, bsz, hid, dtype):
    arrs = _arrays(_cell_shapes(kind, bsz, hid), dtype, seed=bsz * 10 + hid)
    check_against_torch(lstm_cell if kind == "lstm" else gru_cell, arrs, **TOL[dtype],
                        label=f"{kind} cell")


NEEDS = [(True, True, True), (False, True, True), (True, False, False), (False, False, True)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("needs", NEEDS, ids=lambda n: "".join("abc"[i] for i, x in
                                                                 enumerate(n) if x))
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_each_product_and_state_against_the_formula(kind, needs, dtype):
    bsz, hid, k = 4, 3, (4 if kind == "lstm" else 3)
    arrs = _arrays([(bsz, k * hid), (bsz, k * hid), (bsz, hid)], dtype, seed=7)
    check_against_torch(lstm_formula if kind == "lstm" else gru_formula, arrs, grad=list(needs),
                        **TOL[dtype], label=kind)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_third_order(kind):
    bsz, hid, k = 2, 3, (4 if kind == "lstm" else 3)
    arrs = _arrays([(bsz, k * hid), (bsz, k * hid), (bsz, hid)], np.float64, seed=3)
    fn = lstm_formula if kind == "lstm" else gru_formula
    ours = [tg.tensor(x, requires_grad=True) for x in arrs]
    theirs = [torch.tensor(x, requires_grad=True) for x in arrs]
    rng = np.random.default_rng(5)
    out, ref = fn(tg, *ours), fn(torch, *theirs)
    v = rng.standard_normal(out.shape)
    s, r = (out * tg.tensor(v)).sum(), (ref * torch.tensor(v)).sum()
    for _ in range(3):                               # first, second, third order
        g = autograd.grad(s, ours, create_graph=True)
        rg = torch.autograd.grad(r, theirs, create_graph=True)
        for x, y in zip(g, rg):
            np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-9,
                                       atol=1e-11)
        us = [rng.standard_normal(x.shape) for x in arrs]
        s = sum((x * tg.tensor(u)).sum() for x, u in zip(g, us))
        r = sum((y * torch.tensor(u)).sum() for y, u in zip(rg, us))


def _composed(kind, a, b, s):
    """The same cell composed from our small ops, as nn.rnn computed it before the fusion."""
    if kind == "lstm":
        i, f, g, o = (a + b).chunk(4, 1)
        c = f.sigmoid() * s + i.sigmoid() * g.tanh()
        return tg.stack([o.sigmoid() * c.tanh(), c])
    (ar, az, an), (br, bz, bn) = a.chunk(3, 1), b.chunk(3, 1)
    r, z = (ar + br).sigmoid(), (az + bz).sigmoid()
    n = (an + r * bn).tanh()
    return (s - n) * z + n


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_same_numbers_as_the_composed_cell(kind, dtype):
    bsz, hid, k = 6, 20, (4 if kind == "lstm" else 3)
    arrs = _arrays([(bsz, k * hid), (bsz, k * hid), (bsz, hid)], dtype, seed=11)
    arrs[0][0, :3] = [30.0, -30.0, 0.0]              # saturated gates too
    v = np.random.default_rng(1).standard_normal((2, bsz, hid) if kind == "lstm"
                                                 else (bsz, hid)).astype(dtype)
    results = []
    for fused in (True, False):
        xs = [tg.tensor(x, requires_grad=True) for x in arrs]
        op = ops.LSTMCellOp if kind == "lstm" else ops.GRUCellOp
        out = op.apply(*xs) if fused else _composed(kind, *xs)
        results.append([out.detach().numpy()] +
                       [g.numpy() for g in autograd.grad(out, xs, grad_outputs=tg.tensor(v))])
    for x, y in zip(*results):
        assert x.dtype == dtype
        np.testing.assert_array_equal(x, y)


def _graph_names(t):
    seen, stack, names = set(), [t.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not hasattr(node, "next_functions"):
            continue
        seen.add(id(node))
        names.append(node.name())
        stack.extend(e for e, _ in node.next_functions)
    return names


@pytest.mark.parametrize("name,fused", [("LSTM", "ThnnFusedLstmCellBackward"),
                                        ("GRU", "ThnnFusedGruCellBackward")])
def test_one_node_per_layer_and_one_fused_node_per_cell_step(name, fused):
    """A layer runs its time steps in one layer node (``ops.LSTMLayerOp``/``GRULayerOp``) per
    layer and direction, with none of the small ops; a cell is one fused node."""
    steps, layers = 5, 2
    model = getattr(nn, name)(3, 4, num_layers=layers, bidirectional=True)
    out, _ = model(tg.tensor(np.random.default_rng(0).standard_normal((steps, 2, 3)), dtype=tg.float32))
    names = _graph_names(out)
    assert names.count(name + "LayerBackward") == layers * 2
    assert "SigmoidBackward" not in names and "TanhBackward" not in names and fused not in names
    cell = getattr(nn, name + "Cell")(3, 4)
    h = cell(tg.randn(2, 3))
    assert (h[0] if name == "LSTM" else h).grad_fn is not None
    assert fused in _graph_names(h[0] if name == "LSTM" else h)


@pytest.mark.parametrize("op,shapes", [
    (ops.LSTMCellOp, [(2, 12), (2, 12), (2, 4)]),        # 12 != 4·4
    (ops.LSTMCellOp, [(2, 16), (3, 16), (2, 4)]),        # batch of b
    (ops.GRUCellOp, [(2, 12), (2, 12), (4,)]),           # a 1-D state
    (ops.GRUCellOp, [(2, 9), (2, 12), (2, 4)])])
def test_misshapen_inputs_are_refused(op, shapes):
    with pytest.raises(ShapeError, match="gate inputs must be"):
        op.apply(*[tg.zeros(*s) for s in shapes])
