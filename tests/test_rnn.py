"""nn.RNN / LSTM / GRU, their cells, and nn.utils.rnn (padding and packing) against torch.

Each layer is built in both libraries, torch's state_dict is loaded into ours, and the outputs,
the final states and the gradients w.r.t. the input, h0/c0 and every parameter are compared
(float64 tightly, float32 loosely) over a table of configurations; plus packed sequences,
second order, dropout, default initialisation, reprs and torch's errors."""
import re
import warnings

import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as trnn

import tinygrad_sgd as tg
from tinygrad_sgd import autograd, nn
from tinygrad_sgd.nn.utils import rnn as ornn

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}),
         ("LSTM", {"proj_size": 2}), ("GRU", {})]
MODE_IDS = ["tanh", "relu", "lstm", "lstm_proj", "gru"]
IN, HID, STEPS, BATCH = 3, 4, 4, 3
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}


def pair(name, dtype=np.float64, **kw):
    """(ours, torch's) with torch's weights loaded into ours, in ``dtype``."""
    theirs = getattr(torch.nn, name)(IN, HID, **kw).to(torch.from_numpy(np.zeros(0, dtype)).dtype)
    ours = getattr(nn, name)(IN, HID, **kw, dtype=tg.float64 if dtype == np.float64 else None)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def leaves(arrays):
    """The same arrays as leaves requiring grad in both libraries."""
    return ([tg.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def flat(result):
    """(output, h) or (output, (h, c)) as a flat list; a PackedSequence as its data."""
    out, h = result
    out = out.data if isinstance(out, (ornn.PackedSequence, trnn.PackedSequence)) else out
    return [out] + (list(h) if isinstance(h, tuple) else [h])


def compare(ours, theirs, inputs, call, dtype=np.float64, second_order=False, tol=None,
            flatten=flat, seed=1):
    """``call(module, *inputs)`` in both: every result (``flatten``ed), and the gradients of a
    random weighting of them w.r.t. each input and parameter (and, with ``second_order``, the
    gradient of ⟨those gradients, u⟩). Also used by test_rnn_fast.py."""
    tol = TOL[dtype] if tol is None else tol
    mine, ref = leaves(inputs)
    got, want = flatten(call(ours, *mine)), flatten(call(theirs, *ref))
    assert len(got) == len(want)
    rng = np.random.default_rng(seed)
    for a, b in zip(got, want):
        assert tuple(a.shape) == tuple(b.shape) and a.numpy().dtype == dtype
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
    weights = [rng.standard_normal(tuple(b.shape)).astype(dtype) for b in want]
    loss = sum((a * tg.tensor(w)).sum() for a, w in zip(got, weights))
    ref_loss = sum((b * torch.tensor(w)).sum() for b, w in zip(want, weights))
    names = [n for n, _ in theirs.named_parameters()]
    xs = mine + [dict(ours.named_parameters())[n] for n in names]
    ts = ref + [dict(theirs.named_parameters())[n] for n in names]
    g1 = autograd.grad(loss, xs, create_graph=second_order)
    r1 = torch.autograd.grad(ref_loss, ts, create_graph=second_order)
    labels = [f"input {i}" for i in range(len(mine))] + names
    for a, b, label in zip(g1, r1, labels):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol,
                                   err_msg=f"gradient w.r.t. {label}")
    if second_order:
        us = [rng.standard_normal(tuple(x.shape)) for x in ts]
        s = sum((g * tg.tensor(u)).sum() for g, u in zip(g1, us))
        r = sum((g * torch.tensor(u)).sum() for g, u in zip(r1, us))
        g2 = autograd.grad(s, xs, allow_unused=True)
        r2 = torch.autograd.grad(r, ts, allow_unused=True, materialize_grads=True)
        for a, b, label in zip(g2, r2, labels):
            a = np.zeros(tuple(b.shape)) if a is None else a.numpy()
            np.testing.assert_allclose(a, b.numpy(), **tol,
                                       err_msg=f"second-order gradient w.r.t. {label}")


def states(name, kw, layers, directions, batch, rng, dtype=np.float64, batched=True):
    """Random h0 (and c0) arrays of torch's shapes."""
    lead = (layers * directions,) + ((batch,) if batched else ())
    out = kw.get("proj_size") or HID
    shapes = [lead + (out,)] + ([lead + (HID,)] if name == "LSTM" else [])
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def call_with(n_states):
    def call(module, x, *hx):
        if n_states == 0:
            return module(x)
        return module(x, hx[0] if n_states == 1 else tuple(hx))
    return call


# ------------------------------------------------------------------ layers, padded input
FLAGS = [dict(batch_first=False, bias=True, hx=False), dict(batch_first=True, bias=True, hx=True),
         dict(batch_first=False, bias=False, hx=True), dict(batch_first=True, bias=False, hx=False)]


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "-".join(f"{k}={int(v)}"
                                                                 for k, v in f.items()))
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("name,kw", MODES, ids=MODE_IDS)
def test_layer_matches_torch(name, kw, num_layers, bidirectional, flags):
    torch.manual_seed(0)
    ours, theirs = pair(name, num_layers=num_layers, bidirectional=bidirectional,
                        batch_first=flags["batch_first"], bias=flags["bias"], **kw)
    rng = np.random.default_rng(0)
    shape = (BATCH, STEPS, IN) if flags["batch_first"] else (STEPS, BATCH, IN)
    inputs = [rng.standard_normal(shape)]
    if flags["hx"]:
        inputs += states(name, kw, num_layers, 1 + bidirectional, BATCH, rng)
    compare(ours, theirs, inputs, call_with(len(inputs) - 1))


@pytest.mark.parametrize("name,kw", MODES, ids=MODE_IDS)
def test_layer_float32(name, kw):
    torch.manual_seed(1)
    ours, theirs = pair(name, np.float32, num_layers=2, bidirectional=True, **kw)
    rng = np.random.default_rng(2)
    inputs = [rng.standard_normal((STEPS, BATCH, IN)).astype(np.float32)]
    inputs += states(name, kw, 2, 2, BATCH, rng, np.float32)
    compare(ours, theirs, inputs, call_with(len(inputs) - 1), np.float32)


@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("name,kw", MODES, ids=MODE_IDS)
def test_unbatched_input(name, kw, batch_first, with_hx):
    torch.manual_seed(2)
    ours, theirs = pair(name, num_layers=2, bidirectional=True, batch_first=batch_first, **kw)
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal((STEPS, IN))]
    if with_hx:
        inputs += states(name, kw, 2, 2, None, rng, batched=False)
    compare(ours, theirs, inputs, call_with(len(inputs) - 1))


@pytest.mark.parametrize("name,kw", [MODES[0], MODES[3], MODES[4]], ids=["rnn", "lstm_proj",
                                                                         "gru"])
def test_second_order(name, kw):
    torch.manual_seed(3)
    ours, theirs = pair(name, bidirectional=True, **kw)
    rng = np.random.default_rng(4)
    inputs = [rng.standard_normal((3, 2, IN))] + states(name, kw, 1, 2, 2, rng)
    compare(ours, theirs, inputs, call_with(len(inputs) - 1), second_order=True)


def test_empty_batch_as_torch():
    torch.manual_seed(4)
    ours, theirs = pair("LSTM", num_layers=2, batch_first=True)
    x = np.zeros((0, STEPS, IN))
    for a, b in zip(flat(ours(tg.tensor(x))), flat(theirs(torch.tensor(x)))):
        assert tuple(a.shape) == tuple(b.shape)


# ------------------------------------------------------------------ dropout, init, repr
@pytest.mark.parametrize("name,kw", MODES, ids=MODE_IDS)
def test_dropout_only_while_training(name, kw):
    torch.manual_seed(5)
    ours, theirs = pair(name, num_layers=3, dropout=0.5, **kw)
    ours.eval(), theirs.eval()
    x = np.random.default_rng(5).standard_normal((STEPS, BATCH, IN))
    compare(ours, theirs, [x], call_with(0))           # eval: exactly torch's (no dropout)
    ours.train()
    tg.manual_seed(0)
    a = flat(ours(tg.tensor(x)))
    b = flat(ours.eval()(tg.tensor(x)))
    for got, plain in zip(a, b):
        assert not np.allclose(got.numpy(), plain.numpy())
    tg.manual_seed(0)
    again = flat(ours.train()(tg.tensor(x)))
    for got, repeat in zip(a, again):                  # the mask comes from the generator
        np.testing.assert_array_equal(got.numpy(), repeat.numpy())
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        getattr(nn, name)(IN, HID, dropout=0.2, **kw)


@pytest.mark.parametrize("make", [
    lambda L: L.nn.LSTM(3, 5, 2, bidirectional=True, proj_size=2),
    lambda L: L.nn.GRU(3, 5, bias=False), lambda L: L.nn.RNN(3, 5, 2, "relu"),
    lambda L: L.nn.RNNCell(3, 5), lambda L: L.nn.LSTMCell(3, 5, bias=False),
    lambda L: L.nn.GRUCell(3, 5)], ids=["lstm", "gru", "rnn", "rnncell", "lstmcell", "grucell"])
def test_default_init_is_torchs_draw(make):
    tg.manual_seed(7), torch.manual_seed(7)
    ours, theirs = make(tg), make(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.dtype == tg.float32
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy())


@pytest.mark.parametrize("make", [
    lambda L: L.nn.RNN(4, 3), lambda L: L.nn.RNN(4, 3, nonlinearity="relu", batch_first=True),
    lambda L: L.nn.LSTM(4, 3, 2, bias=False, batch_first=True, dropout=0.5,
                        bidirectional=True, proj_size=2),
    lambda L: L.nn.GRU(4, 3, dropout=0.25, num_layers=2),
    lambda L: L.nn.RNNCell(4, 3, False, "relu"),
    lambda L: L.nn.LSTMCell(4, 3), lambda L: L.nn.GRUCell(4, 3, bias=False)])
def test_repr_and_attributes_as_torch(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = make(tg), make(torch)
    assert repr(ours) == repr(theirs)
    for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                 "bidirectional", "proj_size", "mode", "nonlinearity", "_flat_weights_names"):
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr), attr
    if hasattr(theirs, "all_weights"):
        assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in theirs.all_weights]


def test_layers_take_dtype_and_refuse_other_devices():
    lstm = nn.LSTM(2, 3, dtype=tg.float64, device="cpu")
    assert all(p.dtype == tg.float64 for p in lstm.parameters())
    with pytest.raises(RuntimeError):
        nn.GRU(2, 3, device="cuda")
    with pytest.raises(RuntimeError):
        nn.GRUCell(2, 3, device="cuda")


# ------------------------------------------------------------------ cells
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
         ("GRUCell", {})]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batched,with_hx,bias", [(True, True, True), (True, False, False),
                                                  (False, True, False), (False, False, True)])
@pytest.mark.parametrize("name,kw", CELLS, ids=["tanh", "relu", "lstm", "gru"])
def test_cell_matches_torch(name, kw, batched, with_hx, bias, dtype):
    torch.manual_seed(8)
    ours, theirs = pair(name, dtype, bias=bias, **kw)
    rng = np.random.default_rng(8)
    lead = (BATCH,) if batched else ()
    inputs = [rng.standard_normal(lead + (IN,)).astype(dtype)]
    if with_hx:
        inputs += [rng.standard_normal(lead + (HID,)).astype(dtype)
                   for _ in range(2 if name == "LSTMCell" else 1)]

    def call(module, x, *hx):
        out = module(x, (hx[0] if len(hx) == 1 else tuple(hx)) if hx else None)
        return (out[0], out[1]) if isinstance(out, tuple) else (out, out * 0)
    compare(ours, theirs, inputs, call, dtype, second_order=dtype == np.float64 and batched)


# ------------------------------------------------------------------ packed sequences
def lengths_table():
    return [([4, 4, 2, 1], True), ([2, 4, 1, 4], False), ([3, 3, 3], True), ([1, 3, 2], False)]


@pytest.mark.parametrize("lengths,enforce_sorted", lengths_table())
@pytest.mark.parametrize("layers,bidirectional,with_hx", [(1, False, False), (2, True, True)])
@pytest.mark.parametrize("name,kw", MODES, ids=MODE_IDS)
def test_packed_input_matches_torch(name, kw, layers, bidirectional, with_hx, lengths,
                                    enforce_sorted):
    torch.manual_seed(9)
    ours, theirs = pair(name, num_layers=layers, bidirectional=bidirectional, **kw)
    rng = np.random.default_rng(9)
    inputs = [rng.standard_normal((max(lengths), len(lengths), IN))]
    if with_hx:
        inputs += states(name, kw, layers, 1 + bidirectional, len(lengths), rng)

    def call(module, x, *hx):
        lib = ornn if isinstance(x, tg.Tensor) else trnn
        packed = lib.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        out, h = call_with(len(hx))(module, packed, *hx)
        assert type(out) is type(packed)
        for got, want in zip(out[1:], packed[1:]):
            assert got is want
        padded, lens = lib.pad_packed_sequence(out, padding_value=-1.0)
        return padded, (h if isinstance(h, tuple) else (h,)) + (lens.double(),)
    compare(ours, theirs, inputs, call)


@pytest.mark.parametrize("lengths,enforce_sorted", lengths_table())
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_packed_match_torch(lengths, enforce_sorted, batch_first):
    rng = np.random.default_rng(10)
    shape = (len(lengths), max(lengths), 2) if batch_first else (max(lengths), len(lengths), 2)
    x = rng.standard_normal(shape)
    (a,), (b,) = leaves([x])
    p = ornn.pack_padded_sequence(a, lengths, batch_first, enforce_sorted)
    q = trnn.pack_padded_sequence(b, torch.tensor(lengths), batch_first, enforce_sorted)
    assert isinstance(p, tuple) and p._fields == q._fields
    for got, want in zip(p, q):
        if want is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
            assert got.numpy().dtype == want.detach().numpy().dtype
    for total in (None, max(lengths) + 2):
        pa, la = ornn.pad_packed_sequence(p, batch_first, 7.5, total)
        pb, lb = trnn.pad_packed_sequence(q, batch_first, 7.5, total)
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
        np.testing.assert_array_equal(la.numpy(), lb.numpy())
        assert la.dtype == tg.int64
    w = rng.standard_normal(tuple(pb.shape))
    ga, = autograd.grad((pa * tg.tensor(w)).sum(), [a])
    gb, = torch.autograd.grad((pb * torch.tensor(w)).sum(), [b])
    np.testing.assert_array_equal(ga.numpy(), gb.numpy())
    for got, want in zip(ornn.unpack_sequence(p), trnn.unpack_sequence(q)):
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_packed_sequence_methods(enforce_sorted):
    rng = np.random.default_rng(11)
    seqs = [rng.standard_normal((n, 2)) for n in (3, 3, 1)]
    p = ornn.pack_sequence([tg.tensor(s) for s in seqs], enforce_sorted)
    q = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted)
    np.testing.assert_array_equal(p.data.numpy(), q.data.numpy())
    np.testing.assert_array_equal(p.batch_sizes.numpy(), q.batch_sizes.numpy())
    assert p.float().data.dtype == tg.float32 and p.double() is p.double().double()
    assert p.to(tg.float64) is p and not p.is_cuda and p.cpu() is p
    assert isinstance(p.float(), ornn.PackedSequence)
    perm = tg.tensor([2, 0, 3, 1])
    np.testing.assert_array_equal(ornn.invert_permutation(perm).numpy(),
                                  trnn.invert_permutation(torch.tensor([2, 0, 3, 1])).numpy())
    assert ornn.invert_permutation(None) is None
    d, bs = tg.tensor([1.0, 2.0, 3.0]), tg.tensor([2, 1])
    assert tuple(ornn.PackedSequence((d, bs))) == (d, bs, None, None)


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    rng = np.random.default_rng(12)
    arrays = [rng.standard_normal((n, 2, 3)) for n in (2, 4, 1)]
    ours, theirs = leaves(arrays)
    a = ornn.pad_sequence(ours, batch_first, -2.0, padding_side)
    b = trnn.pad_sequence(theirs, batch_first, -2.0, padding_side)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    w = rng.standard_normal(tuple(b.shape))
    for ga, gb in zip(autograd.grad((a * tg.tensor(w)).sum(), ours),
                      torch.autograd.grad((b * torch.tensor(w)).sum(), theirs)):
        np.testing.assert_array_equal(ga.numpy(), gb.numpy())
    ints = [np.arange(n) for n in (3, 1)]                 # the first one's dtype; value cast
    got = ornn.pad_sequence([tg.tensor(i) for i in ints], padding_value=2.5)
    want = trnn.pad_sequence([torch.tensor(i) for i in ints], padding_value=2.5)
    assert got.dtype == tg.int64 and got.tolist() == want.tolist()
    mixed = [np.ones((2, 3), np.float32), np.ones((1, 1))]  # cast and broadcast, as torch
    got = ornn.pad_sequence([tg.tensor(m) for m in mixed])
    want = trnn.pad_sequence([torch.tensor(m) for m in mixed])
    assert got.dtype == tg.float32 and got.tolist() == want.tolist()
    rows = rng.standard_normal((3, 2))                    # a Tensor is a sequence of its rows
    assert ornn.pad_sequence(tg.tensor(rows)).tolist() == \
        trnn.pad_sequence(torch.tensor(rows)).tolist()
    padded = tg.tensor(rng.standard_normal((4, 3, 2)))
    parts = ornn.unpad_sequence(padded, tg.tensor([4, 1, 2]))
    assert [tuple(p.shape) for p in parts] == [(4, 2), (1, 2), (2, 2)]
    assert tuple(padded.shape) == (4, 3, 2)               # not transposed in place


# ------------------------------------------------------------------ errors
def _x(shape, dtype=np.float32):
    return np.random.default_rng(13).standard_normal(shape).astype(dtype)


ERRORS = [  # (build, call or None), exception, message pattern
    (lambda L: L.nn.LSTM(4, 3, dropout=1.5), None, ValueError, "dropout should be a number"),
    (lambda L: L.nn.GRU(4, 3, dropout=True), None, ValueError, "dropout should be a number"),
    (lambda L: L.nn.LSTM(4, 3, bias=1), None, TypeError, "bias should be of type bool"),
    (lambda L: L.nn.RNN(4, 3, batch_first=1), None, TypeError, "batch_first should be of type"),
    (lambda L: L.nn.LSTM(4.0, 3), None, TypeError, "input_size should be of type int"),
    (lambda L: L.nn.LSTM(0, 3), None, ValueError, "input_size must be greater than zero"),
    (lambda L: L.nn.GRU(4, 0), None, ValueError, "hidden_size must be greater than zero"),
    (lambda L: L.nn.RNN(4, 3, 0), None, ValueError, "num_layers must be greater than zero"),
    (lambda L: L.nn.LSTM(4, 3, proj_size=3), None, ValueError, "proj_size has to be smaller"),
    (lambda L: L.nn.LSTM(4, 3, proj_size=-1), None, ValueError, "proj_size should be a positive"),
    (lambda L: L.nn.RNN(4, 3, proj_size=2), None, ValueError, "only supported for LSTM"),
    (lambda L: L.nn.GRU(4, 3, proj_size=2), None, ValueError, "only supported for LSTM"),
    (lambda L: L.nn.RNN(4, 3, nonlinearity="sigmoid"), None, ValueError, "Unknown nonlinearity"),
    (lambda L: L.nn.RNN(4, 3), lambda L, m: m(L.tensor(_x((4,)))), ValueError,
     "RNN: Expected input to be 2D or 3D, got 1D tensor instead"),
    (lambda L: L.nn.LSTM(4, 3), lambda L, m: m(L.tensor(_x((1, 2, 3, 4)))), ValueError,
     "LSTM: Expected input to be 2D or 3D, got 4D instead"),
    (lambda L: L.nn.GRU(4, 3), lambda L, m: m(L.tensor(_x((5, 2, 4), np.float64))), ValueError,
     re.escape("RNN input dtype (") + ".*float64.*does not match weight dtype"),
    (lambda L: L.nn.RNN(4, 3), lambda L, m: m(L.tensor(_x((5, 2, 5)))), RuntimeError,
     "input.size\\(-1\\) must be equal to input_size. Expected 4, got 5"),
    (lambda L: L.nn.RNN(4, 3), lambda L, m: m(L.tensor(_x((5, 2, 4))), L.tensor(_x((1, 3, 3)))),
     RuntimeError, re.escape("Expected hidden size (1, 2, 3), got [1, 3, 3]")),
    (lambda L: L.nn.GRU(4, 3), lambda L, m: m(L.tensor(_x((5, 2, 4))), L.tensor(_x((2, 3)))),
     RuntimeError, "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    (lambda L: L.nn.RNN(4, 3), lambda L, m: m(L.tensor(_x((5, 4))), L.tensor(_x((1, 1, 3)))),
     RuntimeError, "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    (lambda L: L.nn.RNN(4, 3), lambda L, m: m(L.tensor(_x((5, 4))), L.tensor(_x((2, 3)))),
     RuntimeError, re.escape("Expected hidden size (1, 1, 3), got [2, 1, 3]")),
    (lambda L: L.nn.LSTM(4, 3, proj_size=2),
     lambda L, m: m(L.tensor(_x((5, 2, 4))), (L.tensor(_x((1, 2, 3))), L.tensor(_x((1, 2, 3))))),
     RuntimeError, re.escape("Expected hidden[0] size (1, 2, 2), got [1, 2, 3]")),
    (lambda L: L.nn.LSTM(4, 3, proj_size=2),
     lambda L, m: m(L.tensor(_x((5, 2, 4))), (L.tensor(_x((1, 2, 2))), L.tensor(_x((1, 2, 2))))),
     RuntimeError, re.escape("Expected hidden[1] size (1, 2, 3), got [1, 2, 2]")),
    (lambda L: L.nn.LSTM(4, 3),
     lambda L, m: m(L.tensor(_x((5, 2, 4))), (L.tensor(_x((2, 3))), L.tensor(_x((1, 2, 3))))),
     RuntimeError, re.escape("For batched 3-D input, hx and cx should also be 3-D but got "
                             "(2-D, 3-D) tensors")),
    (lambda L: L.nn.LSTM(4, 3),
     lambda L, m: m(L.tensor(_x((5, 4))), (L.tensor(_x((1, 1, 3))), L.tensor(_x((1, 1, 3))))),
     RuntimeError, "For unbatched 2-D input, hx and cx should also be 2-D"),
    (lambda L: L.nn.RNN(4, 3), lambda L, m: m(L.tensor(_x((0, 2, 4)))), RuntimeError,
     "Expected sequence length to be larger than 0 in RNN"),
    (lambda L: L.nn.RNNCell(4, 3), lambda L, m: m(L.tensor(_x((1, 2, 4)))), ValueError,
     "RNNCell: Expected input to be 1D or 2D, got 3D instead"),
    (lambda L: L.nn.GRUCell(4, 3), lambda L, m: m(L.tensor(_x((2, 4))), L.tensor(_x((1, 2, 3)))),
     ValueError, "GRUCell: Expected hidden to be 1D or 2D, got 3D instead"),
    (lambda L: L.nn.LSTMCell(4, 3),
     lambda L, m: m(L.tensor(_x((2, 4))), (L.tensor(_x((2, 3))), L.tensor(_x((1, 2, 3))))),
     ValueError, re.escape("LSTMCell: Expected hx[1] to be 1D or 2D, got 3D instead")),
    (lambda L: L.nn.RNNCell(4, 3), lambda L, m: m(L.tensor(_x((2, 5)))), RuntimeError,
     "input has inconsistent input_size: got 5 expected 4"),
    (lambda L: L.nn.RNNCell(4, 3), lambda L, m: m(L.tensor(_x((2, 4))), L.tensor(_x((3, 3)))),
     RuntimeError, "Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda L: L.nn.RNNCell(4, 3), lambda L, m: m(L.tensor(_x((2, 4))), L.tensor(_x((2, 2)))),
     RuntimeError, "hidden0 has inconsistent hidden_size: got 2, expected 3"),
    (lambda L: L.nn.LSTMCell(4, 3),
     lambda L, m: m(L.tensor(_x((2, 4))), (L.tensor(_x((2, 3))), L.tensor(_x((3, 3))))),
     RuntimeError, "Input batch size 2 doesn't match hidden1 batch size 3"),
    (lambda L: L.nn.RNNCell(4, 3, nonlinearity="sigmoid"), lambda L, m: m(L.tensor(_x((2, 4)))),
     RuntimeError, "Unknown nonlinearity: sigmoid"),
    (lambda L: L.nn.RNNCell(4, 3),
     lambda L, m: m(L.tensor(_x((2, 4))), L.tensor(_x((2, 3), np.float64))),
     RuntimeError, "mat1 and mat2 must have the same dtype"),
]


@pytest.mark.parametrize("build,call,exc,pattern", ERRORS)
def test_errors_as_torch(build, call, exc, pattern):
    for lib in (torch, tg):
        with pytest.raises(exc, match=pattern):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = build(lib)
                if call is not None:
                    call(lib, module)


UTIL_ERRORS = [
    (lambda L, R: R.pad_sequence([]), RuntimeError, "received an empty list of sequences"),
    (lambda L, R: R.pad_sequence(3), RuntimeError, "Expected iterable for input sequences"),
    (lambda L, R: R.pad_sequence([L.ones(2), L.ones(1)], padding_side="middle"), RuntimeError,
     "Expected padding_side to be one of left or right, but got middle."),
    (lambda L, R: R.pad_sequence([L.ones(2, 3), L.ones(1, 2)]), RuntimeError,
     "must match the (existing )?size"),
    (lambda L, R: R.pack_padded_sequence(L.ones(4, 3, 2), [2, 3, 1]), RuntimeError,
     "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True"),
    (lambda L, R: R.pack_padded_sequence(L.ones(4, 3, 2), [3, 2]), RuntimeError,
     re.escape("Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)")),
    (lambda L, R: R.pack_padded_sequence(L.ones(4, 3, 2), [3, 2, 0]), RuntimeError,
     "Length of all samples has to be greater than 0"),
    (lambda L, R: R.pack_padded_sequence(L.ones(3, 0, 2), []), RuntimeError,
     "Cannot pack empty tensors."),
    (lambda L, R: R.pack_padded_sequence(L.ones(4, 3, 2), L.tensor([[3, 2, 1]])), RuntimeError,
     "'lengths' argument should be a 1D CPU int64 tensor, but got 2D"),
    (lambda L, R: R.pack_padded_sequence(L.ones(4), [3]), IndexError, "Dimension out of range"),
    (lambda L, R: R.pad_packed_sequence(R.pack_sequence([L.ones(3), L.ones(2)]),
                                        total_length=2), ValueError,
     "Expected total_length to be at least the length of the longest sequence in input, but "
     "got total_length=2 and max sequence length being 3"),
    (lambda L, R: R.PackedSequence(L.ones(3)), AssertionError,
     "Expected data to be a list or tuple of length 2"),
]


@pytest.mark.parametrize("call,exc,pattern", UTIL_ERRORS)
def test_util_errors_as_torch(call, exc, pattern):
    for lib, utils in ((torch, trnn), (tg, ornn)):
        with pytest.raises(exc, match=pattern):
            call(lib, utils)


def test_pack_refuses_lengths_longer_than_the_input():
    """torch reads past the end of the input here; ours refuses."""
    with pytest.raises(RuntimeError, match="longer than the input's 4 time steps"):
        ornn.pack_padded_sequence(tg.ones(4, 3, 2), [5, 2, 1])
