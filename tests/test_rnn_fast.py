"""The whole-layer recurrent ops (ops.LSTMLayerOp, GRULayerOp, RNNLayerOp: the loop over time
steps in kernels/recurrent.py, its backward steps compiled in kernels/compiled/recurrent.py)
against torch and against the unrolled graph they replace, on both kernel sets.

* nn.LSTM / GRU / RNN against torch (float64 tightly, float32 loosely) at odd sizes: outputs,
  final states, gradients w.r.t. the input, h0/c0 and every parameter — several layers,
  bidirectional, batch_first, no bias, given states, packed sequences of unsorted lengths;
  second order (the layer ops' create_graph backward unrolls the steps again);
* the layer ops give bit for bit the outputs and the input/state gradients of the unrolled
  graph of fused cells (``ops.recurrent.unrolled_layer``), forward and reverse, padded and
  packed; W_hh and b_hh to rounding (one product and one sum instead of one per step);
* dropout between layers, seeded, is the unrolled graph's;
* the compiled backward steps give the NumPy steps' bits (float32 and float64, saturated
  gates included)."""
import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as trnn

import tinygrad_sgd as tg
from tinygrad_sgd import autograd, nn, ops
from tinygrad_sgd.errors import ShapeError
from tinygrad_sgd.kernels import recurrent as layer_kernels
from tinygrad_sgd.nn import rnn_layers
from tinygrad_sgd.nn.utils import rnn as ornn
from test_rnn import compare

IN, HID, STEPS, BATCH = 5, 7, 6, 3
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=3e-4, atol=3e-5)}
MODES = [("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"})]
MODE_IDS = ["lstm", "gru", "tanh", "relu"]
CONFIGS = [{}, dict(num_layers=2, bidirectional=True), dict(batch_first=True),
           dict(bias=False), dict(num_layers=3)]
CONFIG_IDS = ["plain", "2layers-bi", "batch_first", "nobias", "3layers"]


def pair(name, kw, dtype):
    theirs = getattr(torch.nn, name)(IN, HID, **kw).to(
        torch.float64 if dtype == np.float64 else torch.float32)
    ours = getattr(nn, name)(IN, HID, **kw, dtype=tg.float64 if dtype == np.float64 else None)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def run_both(ours, theirs, arrays, call, dtype, second_order=False):
    """call(module, *leaves) in both libraries (a list of results): values, gradients of a
    random weighting of the results w.r.t. every leaf and parameter (and, with second_order, of
    ⟨gradients, u⟩) — test_rnn's comparison, at this file's tolerances."""
    compare(ours, theirs, arrays, call, dtype, second_order, tol=TOL[dtype], flatten=list,
            seed=2)


def flat(result):
    out, h = result
    out = out.data if isinstance(out, (ornn.PackedSequence, trnn.PackedSequence)) else out
    return [out] + (list(h) if isinstance(h, tuple) else [h])


def inputs(name, kw, dtype, seed=0, with_states=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, STEPS, IN) if kw.get("batch_first") else
                            (STEPS, BATCH, IN)).astype(dtype)
    lead = (kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1), BATCH, HID)
    states = [rng.standard_normal(lead).astype(dtype)
              for _ in range((2 if name == "LSTM" else 1) if with_states else 0)]
    return [x] + states


def call(module, x, *hx):
    if not hx:
        return flat(module(x))
    return flat(module(x, hx[0] if len(hx) == 1 else tuple(hx)))


# ------------------------------------------------------------------ against torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("name,mode", MODES, ids=MODE_IDS)
def test_layers_against_torch(name, mode, kw, dtype, kernel_set):
    ours, theirs = pair(name, {**mode, **kw}, dtype)
    arrays = inputs(name, kw, dtype, with_states=kw != {})
    run_both(ours, theirs, arrays, call, dtype)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("name,mode", MODES, ids=MODE_IDS)
def test_packed_unsorted_against_torch(name, mode, bidirectional, kernel_set):
    kw = dict(num_layers=2, bidirectional=bidirectional)
    ours, theirs = pair(name, {**mode, **kw}, np.float64)
    lengths = [4, STEPS, 1]                    # unsorted, one of length 1

    def packed_call(module, x, *hx):
        lib = trnn if isinstance(x, torch.Tensor) else ornn
        mk = torch.tensor if lib is trnn else tg.tensor
        packed = lib.pack_padded_sequence(x, mk(lengths), enforce_sorted=False)
        return call(module, packed, *hx)
    run_both(ours, theirs, inputs(name, kw, np.float64, seed=3), packed_call, np.float64)


@pytest.mark.parametrize("kw", [{}, dict(num_layers=2, bidirectional=True, batch_first=True)],
                         ids=["plain", "2layers-bi-bf"])
@pytest.mark.parametrize("name,mode", MODES, ids=MODE_IDS)
def test_second_order_against_torch(name, mode, kw, kernel_set):
    ours, theirs = pair(name, {**mode, **kw}, np.float64)
    run_both(ours, theirs, inputs(name, kw, np.float64, seed=4), call, np.float64,
             second_order=True)


# ------------------------------------------------------------------ against the unrolled graph
LAYER_OPS = {"LSTM": ops.LSTMLayerOp, "GRU": ops.GRULayerOp, "RNN": ops.RNNLayerOp}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_sizes", [[4, 4, 4, 4, 4], [5, 3, 3, 2, 1]],
                         ids=["padded", "packed"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("mode,relu", [("LSTM", False), ("GRU", False), ("RNN", False),
                                       ("RNN", True)], ids=MODE_IDS)
def test_layer_ops_give_the_unrolled_graphs_bits(mode, relu, reverse, batch_sizes, dtype,
                                                 kernel_set):
    hid, gates = 6, {"LSTM": 4, "GRU": 3, "RNN": 1}[mode]
    big, n = batch_sizes[0], sum(batch_sizes)
    rng = np.random.default_rng(7)
    gi = rng.uniform(-2, 2, (n, gates * hid)).astype(dtype)
    gi[0, :3] = [30.0, -30.0, 0.0]                 # saturated gates too
    arrays = [gi, rng.uniform(-0.6, 0.6, (gates * hid, hid)).astype(dtype),
              rng.uniform(-1, 1, gates * hid).astype(dtype)]
    arrays += [rng.uniform(-1, 1, (big, hid)).astype(dtype)
               for _ in range(2 if mode == "LSTM" else 1)]
    options = dict(batch_sizes=batch_sizes, reverse=reverse)
    if mode == "RNN":
        options["relu"] = relu
    v = rng.standard_normal((n + big * (2 if mode == "LSTM" else 1), hid)).astype(dtype)
    results = []
    for fused in (True, False):
        xs = [tg.tensor(a, requires_grad=True) for a in arrays]
        out = (LAYER_OPS[mode].apply(*xs, **options) if fused else
               ops.recurrent.unrolled_layer(mode, *xs, **options))
        results.append([out.detach().numpy()] +
                       [g.numpy() for g in autograd.grad(out, xs, grad_outputs=tg.tensor(v))])
    for k, (x, y) in enumerate(zip(*results)):
        assert x.dtype == dtype
        if k in (2, 3):          # W_hh, b_hh: one product / one sum over all steps
            np.testing.assert_allclose(x, y, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                       atol=1e-5 if dtype == np.float32 else 1e-13)
        else:
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_dropout_between_layers_is_the_unrolled_graphs(name, kernel_set, monkeypatch):
    arrays = inputs(name, dict(num_layers=3), np.float32, seed=5)
    results = []
    for fused in (True, False):
        tg.manual_seed(0)
        model = getattr(nn, name)(IN, HID, num_layers=3, dropout=0.4)
        if not fused:
            monkeypatch.setattr(rnn_layers, "_scan", rnn_layers._unrolled)
        xs = [tg.tensor(a, requires_grad=True) for a in arrays]
        tg.manual_seed(1)
        got = call(model, *xs)
        loss = sum((g * g).sum() for g in got)
        results.append([g.detach().numpy() for g in got] +
                       [g.numpy() for g in autograd.grad(loss, xs)])
    for x, y in zip(*results):
        np.testing.assert_array_equal(x, y)


def test_compiled_backward_steps_give_the_numpy_steps_bits(restore_backend):
    from tinygrad_sgd import kernels
    rng = np.random.default_rng(9)
    for dtype in (np.float32, np.float64):
        batch_sizes, hid = [4, 4, 3, 1], 5
        n, big = sum(batch_sizes), 4
        w = rng.uniform(-0.5, 0.5, (4 * hid, hid)).astype(dtype)
        gi = rng.uniform(-3, 3, (n, 4 * hid)).astype(dtype)
        gi[:2, :4] = [40.0, -40.0, 0.0, 15.0]
        h0, c0 = (rng.uniform(-1, 1, (big, hid)).astype(dtype) for _ in range(2))
        g = rng.standard_normal((n + 2 * big, hid)).astype(dtype)
        for reverse in (False, True):
            got = {}
            for kind in ("numpy", "numba"):
                kernels.set_backend(kind)
                out, saved = layer_kernels.lstm_forward(gi, w, None, h0, c0, batch_sizes,
                                                        reverse)
                lstm = layer_kernels.lstm_backward(g, w, saved, batch_sizes, reverse)
                gru_w = w[:3 * hid]
                out3, saved3 = layer_kernels.gru_forward(gi[:, :3 * hid], gru_w, None, h0,
                                                         batch_sizes, reverse)
                gru = layer_kernels.gru_backward(g[:n + big], gru_w, saved3, batch_sizes,
                                                 reverse)
                out1, saved1 = layer_kernels.rnn_forward(gi[:, :hid], w[:hid], None, h0,
                                                         batch_sizes, reverse, False)
                rnn = layer_kernels.rnn_backward(g[:n + big], w[:hid], saved1, batch_sizes,
                                                 reverse, False)
                got[kind] = [out, out3, out1, *lstm, *gru, *rnn]
            for a, b in zip(got["numpy"], got["numba"]):
                np.testing.assert_array_equal(a, b)


def test_misshapen_layer_inputs_are_refused():
    with pytest.raises(ShapeError, match="input projections must be"):
        ops.LSTMLayerOp.apply(tg.zeros(6, 10), tg.zeros(12, 3), None, tg.zeros(2, 3),
                              tg.zeros(2, 3), batch_sizes=[2, 2, 2], reverse=False)


def test_forward_without_grad_keeps_nothing():
    model = nn.LSTM(IN, HID, num_layers=2)
    with tg.no_grad():
        out, (h, c) = model(tg.randn(STEPS, BATCH, IN))
    assert out.grad_fn is None and h.grad_fn is None and out.shape == (STEPS, BATCH, HID)
