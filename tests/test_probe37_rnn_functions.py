"""torch's functional recurrent layers — ``torch.lstm``, ``gru``, ``rnn_tanh``, ``rnn_relu``,
the functions nn.LSTM / GRU / RNN call with their flat weights — against torch 2.13.

* both overloads (a padded input, or packed ``data`` + ``batch_sizes``), with and without
  biases, several layers, bidirectional, ``batch_first``, an LSTM with projections (``params``
  then hold ``w_hr`` after each layer's biases), float32 and float64: the outputs, the final
  states and the gradients w.r.t. the input, every state and every parameter;
* dropout between layers: ``train=False`` leaves it out (even a p > 1), ``train=True`` draws
  torch's mask (the library's dropout follows torch's random stream), so a seeded call gives
  torch's values and gradients;
* nn.LSTM / GRU / RNN give what the function gives with their ``_flat_weights``;
* torch's errors (class and message) for wrong numbers of parameters or states, wrong shapes
  and dtypes, a wrong ``batch_sizes``, an argument list that fits neither overload.
"""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import autograd
from tinygrad_sgd.nn import rnn_layers
from test_fidelity_tensors import torch_program

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

IN, HID, PROJ, STEPS, BATCH = 4, 5, 3, 6, 3
BATCH_SIZES = [3, 3, 2, 2, 1]            # a packed batch of lengths 5, 4, 2
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}
MODULES = {"lstm": ("LSTM", {}), "gru": ("GRU", {}), "rnn_tanh": ("RNN", {}),
           "rnn_relu": ("RNN", dict(nonlinearity="relu"))}

# (function, options): the layers' build (num_layers, has_biases, bidirectional, proj) and
# the call (packed, batch_first)
CASES = [
    ("lstm", {}), ("lstm", dict(has_biases=False)),
    ("lstm", dict(num_layers=2, bidirectional=True)), ("lstm", dict(batch_first=True)),
    ("lstm", dict(proj=PROJ)),
    ("lstm", dict(proj=PROJ, has_biases=False, num_layers=2, bidirectional=True)),
    ("lstm", dict(proj=PROJ, batch_first=True)),
    ("lstm", dict(packed=True)), ("lstm", dict(packed=True, num_layers=2, bidirectional=True)),
    ("lstm", dict(packed=True, proj=PROJ, has_biases=False)),
    ("gru", {}), ("gru", dict(has_biases=False, num_layers=3)),
    ("gru", dict(bidirectional=True, batch_first=True)),
    ("gru", dict(packed=True, bidirectional=True)),
    ("rnn_tanh", {}), ("rnn_tanh", dict(num_layers=2, bidirectional=True, has_biases=False)),
    ("rnn_tanh", dict(packed=True, num_layers=2)),
    ("rnn_relu", dict(batch_first=True)), ("rnn_relu", dict(packed=True, bidirectional=True)),
]


def case_id(case):
    fn, opts = case
    return "-".join([fn] + [f"{k}={v}" for k, v in opts.items()])


def build(fn, opts, dtype, seed=0):
    """(arguments as NumPy arrays: x [, batch_sizes], states, params; the call's flags)."""
    rng = np.random.default_rng(seed)
    layers, bidir = opts.get("num_layers", 1), opts.get("bidirectional", False)
    biases, proj = opts.get("has_biases", True), opts.get("proj", 0)
    gates = {"lstm": 4, "gru": 3}.get(fn, 1)
    out = proj or HID
    params = []
    for layer in range(layers):
        for _ in range(2 if bidir else 1):
            width = IN if layer == 0 else out * (2 if bidir else 1)
            shapes = [(gates * HID, width), (gates * HID, out)]
            shapes += [(gates * HID,)] * 2 if biases else []
            shapes += [(proj, HID)] if proj else []
            params += [rng.uniform(-0.6, 0.6, s).astype(dtype) for s in shapes]
    lead = (layers * (2 if bidir else 1), BATCH)
    states = [rng.standard_normal(lead + (out,)).astype(dtype)]
    if fn == "lstm":
        states.append(rng.standard_normal(lead + (HID,)).astype(dtype))
    if opts.get("packed"):
        x = rng.standard_normal((sum(BATCH_SIZES), IN)).astype(dtype)
    else:
        x = rng.standard_normal((BATCH, STEPS, IN) if opts.get("batch_first") else
                                (STEPS, BATCH, IN)).astype(dtype)
    return x, states, params, dict(has_biases=biases, num_layers=layers, bidirectional=bidir)


def call(lib, fn, opts, x, states, params, flags, dropout=0.0, train=False):
    """``lib.<fn>`` by the overload ``opts`` ask for, as a list of results."""
    hx = tuple(states) if fn == "lstm" else states[0]
    tail = (flags["has_biases"], flags["num_layers"], dropout, train, flags["bidirectional"])
    if opts.get("packed"):
        result = getattr(lib, fn)(x, lib.tensor(BATCH_SIZES), hx, params, *tail)
    else:
        result = getattr(lib, fn)(x, hx, params, *tail, opts.get("batch_first", False))
    assert isinstance(result, tuple) and len(result) == (3 if fn == "lstm" else 2)
    return list(result)


def run_both(fn, opts, dtype, dropout=0.0, train=False, seed=None):
    """Values and gradients (w.r.t. x, the states, every param) of a random weighting of the
    results, ours against torch's, each a list of NumPy arrays."""
    x, states, params, flags = build(fn, opts, dtype)
    answers = []
    for lib in (tg, torch):
        leaves = [lib.tensor(a, requires_grad=True) for a in [x] + states + params]
        if seed is not None:
            lib.manual_seed(seed)
        got = call(lib, fn, opts, leaves[0], leaves[1:1 + len(states)],
                   leaves[1 + len(states):], flags, dropout, train)
        rng = np.random.default_rng(3)
        loss = sum((g * lib.tensor(rng.standard_normal(tuple(g.shape)).astype(dtype))).sum()
                   for g in got)
        grads = (autograd if lib is tg else torch.autograd).grad(loss, leaves)
        answers.append(([g.detach().numpy() for g in got], [g.numpy() for g in grads]))
    return answers


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_values_and_gradients_match_torch(case, dtype):
    (values, grads), (ref_values, ref_grads) = run_both(*case, dtype)
    for a, b in zip(values, ref_values):
        assert a.shape == b.shape and a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, **TOL[dtype])
    assert len(grads) == len(ref_grads)
    for k, (a, b) in enumerate(zip(grads, ref_grads)):
        np.testing.assert_allclose(a, b, **TOL[dtype], err_msg=f"gradient w.r.t. leaf {k}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("fn", ["lstm", "gru", "rnn_tanh"])
def test_dropout_between_layers_is_torchs_draw(fn, dtype):
    opts = dict(num_layers=3, bidirectional=fn == "gru")
    (values, grads), (ref_values, ref_grads) = run_both(fn, opts, dtype, 0.4, True, seed=11)
    (plain, _), _ = run_both(fn, opts, dtype, 0.4, False)
    assert not np.allclose(values[0], plain[0])          # a mask was drawn ...
    for a, b in zip(values + grads, ref_values + ref_grads):
        np.testing.assert_allclose(a, b, **TOL[dtype])   # ... torch's


@pytest.mark.parametrize("dropout", [0.5, 1.5])
def test_no_dropout_without_train_and_none_after_the_last_layer(dropout):
    for opts in (dict(num_layers=2), dict(num_layers=1)):
        x, states, params, flags = build("gru", opts, np.float64)
        ours = call(tg, "gru", opts, tg.tensor(x), [tg.tensor(states[0])],
                    [tg.tensor(p) for p in params], flags, dropout, train=opts["num_layers"] == 1)
        theirs = call(torch, "gru", opts, torch.tensor(x), [torch.tensor(states[0])],
                      [torch.tensor(p) for p in params], flags, 0.0, False)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.numpy(), b.numpy(), **TOL[np.float64])


@pytest.mark.parametrize("fn", ["lstm", "gru", "rnn_relu"])
def test_the_modules_give_what_the_function_gives(fn):
    name, kw = MODULES[fn]
    tg.manual_seed(0)
    module = getattr(tg.nn, name)(IN, HID, num_layers=2, bidirectional=True, batch_first=True,
                                  **kw, **(dict(proj_size=PROJ) if fn == "lstm" else {}))
    x = tg.randn(BATCH, STEPS, IN)
    out, h = module(x)
    lead = (4, BATCH)
    hx = ((tg.zeros(*lead, PROJ), tg.zeros(*lead, HID)) if fn == "lstm" else
          tg.zeros(*lead, HID))
    got = getattr(tg, fn)(x, hx, module._flat_weights, True, 2, 0.0, False, True, True)
    for a, b in zip(got, [out] + (list(h) if fn == "lstm" else [h])):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("fn", ["lstm", "gru", "rnn_relu"])
def test_the_layer_ops_run_not_a_graph_per_step(fn, monkeypatch):
    """The function and the modules run each layer as one op (its loop over steps a kernel):
    the per-step graph is only for projections and half precision."""
    def per_step(*args):
        raise AssertionError("the per-step graph ran")
    monkeypatch.setattr(rnn_layers, "_unrolled", per_step)
    for dtype in (np.float32, np.float64):
        for opts in (dict(num_layers=2, bidirectional=True), dict(packed=True)):
            x, states, params, flags = build(fn, opts, dtype)
            call(tg, fn, opts, tg.tensor(x), [tg.tensor(s) for s in states],
                 [tg.tensor(p) for p in params], flags)
        name, kw = MODULES[fn]
        getattr(tg.nn, name)(IN, HID, 2, **kw)(tg.randn(STEPS, BATCH, IN))


@pytest.mark.parametrize("packed", [False, True])
def test_arguments_by_name_and_as_lists(packed):
    """torch's argument names bind either overload; ``hx`` and ``params`` may be lists."""
    opts = dict(packed=packed, num_layers=2)
    x, states, params, flags = build("lstm", opts, np.float64)
    results = []
    for lib in (tg, torch):
        first = (dict(data=lib.tensor(x), batch_sizes=lib.tensor(BATCH_SIZES)) if packed else
                 dict(input=lib.tensor(x), batch_first=False))
        results.append(lib.lstm(**first, hx=[lib.tensor(s) for s in states],
                                params=tuple(lib.tensor(p) for p in params), has_biases=True,
                                num_layers=2, dropout=0.0, train=False, bidirectional=False))
    for a, b in zip(*results):
        np.testing.assert_allclose(a.numpy(), b.numpy(), **TOL[np.float64])


@pytest.mark.parametrize("opts,node", [({}, "MkldnnRnnLayerBackward0"),
                                       (dict(proj=PROJ), "StackBackward0"),
                                       (dict(bidirectional=True), "CatBackward0"),
                                       (dict(batch_first=True), "TransposeBackward0"),
                                       (dict(packed=True), "CatBackward0")])
def test_output_node_is_torchs(opts, node):
    """The output's node, as a torch program run on the library prints it (torch's CPU build:
    oneDNN's fused layer for a float32 LSTM without projections)."""
    x, states, params, flags = build("lstm", opts, np.float32)
    for lib in (torch, tg):
        with torch_program() if lib is tg else warnings.catch_warnings():
            warnings.simplefilter("ignore")          # torch: projections are not run by oneDNN
            leaves = [lib.tensor(p, requires_grad=True) for p in params]
            out = call(lib, "lstm", opts, lib.tensor(x), [lib.tensor(s) for s in states],
                       leaves, flags)
            assert out[0].grad_fn.name() == node
            assert out[1].grad_fn.name() == "StackBackward0"


# ------------------------------------------------------------------ errors
def args(L, fn, opts=None, sizes=None, x=None, states=None, params=None, **change):
    """``fn``'s arguments in library ``L`` (float64) for the layers ``opts`` describe — the
    packed overload's if ``sizes`` (``L`` → batch_sizes) is given. ``x``, ``states``, ``params``
    edit the NumPy arrays; ``change`` replaces an argument by torch's name (a function of the
    argument, or its new value)."""
    a, s, p, flags = build(fn, dict(opts or {}, packed=sizes is not None), np.float64)
    a, s, p = [edit(v) if edit else v for v, edit in ((a, x), (s, states), (p, params))]
    s = [L.tensor(v) for v in s]
    named = dict(hx=tuple(s) if fn == "lstm" else s[0], params=[L.tensor(v) for v in p],
                 dropout=0.0, train=False, batch_first=False, **flags)
    for name, value in change.items():
        named[name] = value(named[name]) if callable(value) else value
    tail = tuple(named[k] for k in ("has_biases", "num_layers", "dropout", "train",
                                    "bidirectional"))
    if sizes is not None:
        return (L.tensor(a), sizes(L), named["hx"], named["params"]) + tail
    return (L.tensor(a), named["hx"], named["params"]) + tail + (named["batch_first"],)


TWO = dict(num_layers=2)
ERRORS = [   # (function, its arguments in library L, error class, torch's message)
    ("lstm", lambda L: args(L, "lstm", TWO, params=lambda p: p[:6]), RuntimeError,
     "got an incorrect number of RNN parameters"),
    ("lstm", lambda L: args(L, "lstm", TWO, params=lambda p: p + p[:1]), RuntimeError,
     "got an incorrect number of RNN parameters"),
    ("lstm", lambda L: args(L, "lstm", TWO, states=lambda s: [s[0], s[1][..., :2]]),
     RuntimeError, "got an incorrect number of RNN parameters"),   # (read as projections)
    ("lstm", lambda L: args(L, "lstm", dict(proj=PROJ), has_biases=False), RuntimeError,
     "got an incorrect number of RNN parameters"),
    ("gru", lambda L: args(L, "gru", params=lambda p: p[:3]), RuntimeError,
     "got an incorrect number of RNN parameters"),
    ("lstm", lambda L: args(L, "lstm", TWO, params=lambda p: p[:4]), RuntimeError,
     "Expected more weights in stacked_rnn"),
    ("lstm", lambda L: args(L, "lstm", TWO, num_layers=1), RuntimeError,
     "Expected more hidden states in stacked_rnn"),
    ("lstm", lambda L: args(L, "lstm", TWO, num_layers=3), RuntimeError,
     "Expected more hidden states in stacked_rnn"),
    ("lstm", lambda L: args(L, "lstm", TWO, states=lambda s: [s[0][:1], s[1][:1]],
                            num_layers=1), RuntimeError, "Expected more weights in stacked_rnn"),
    ("rnn_tanh", lambda L: args(L, "rnn_tanh", TWO, bidirectional=True), RuntimeError,
     "Expected more hidden states in stacked_rnn"),
    ("lstm", lambda L: args(L, "lstm", dict(num_layers=1, bidirectional=True),
                            states=lambda s: [np.zeros((3, BATCH, HID))] * 2), RuntimeError,
     "Odd number of params or hiddens given to a bidirectional RNN"),
    ("lstm", lambda L: args(L, "lstm", hx=lambda hx: hx[:1]), RuntimeError,
     "lstm expects two hidden states"),
    ("lstm", lambda L: args(L, "lstm", hx=lambda hx: hx * 2), RuntimeError,
     "lstm expects two hidden states"),
    ("lstm", lambda L: args(L, "lstm", x=lambda a: np.zeros((STEPS, BATCH, IN + 1))),
     RuntimeError, "mat1 and mat2 shapes cannot be multiplied (18x5 and 4x20)"),
    ("gru", lambda L: args(L, "gru", sizes=lambda L: L.tensor(BATCH_SIZES),
                           x=lambda a: a[:, :2]),
     RuntimeError, "mat1 and mat2 shapes cannot be multiplied (11x2 and 4x15)"),
    ("lstm", lambda L: args(L, "lstm", states=lambda s: [np.zeros((1, BATCH, 4))] * 2),
     RuntimeError, "mat1 and mat2 shapes cannot be multiplied (3x4 and 5x20)"),
    ("lstm", lambda L: args(L, "lstm", x=lambda a: np.zeros((0, BATCH, IN))), RuntimeError,
     "Expected sequence length to be larger than 0 in RNN"),
    ("lstm", lambda L: args(L, "lstm", TWO, states=lambda s: [np.zeros((2, 4, HID))] * 2),
     RuntimeError, "The size of tensor a (4) must match the size of tensor b (3) at "
                   "non-singleton dimension 0"),
    ("gru", lambda L: args(L, "gru", states=lambda s: [np.zeros((1, 2, HID))],
                           batch_first=True),
     RuntimeError, "The size of tensor a (2) must match the size of tensor b (6) at "
                   "non-singleton dimension 0"),              # (batch_first: x is (3, 6, 4))
    ("lstm", lambda L: args(L, "lstm", states=lambda s: [a.astype(np.float32) for a in s]),
     RuntimeError, "mat1 and mat2 must have the same dtype, but got Float and Double"),
    ("gru", lambda L: args(L, "gru", sizes=lambda L: L.tensor(BATCH_SIZES, dtype=L.int32)),
     RuntimeError, "expected scalar type Long but found Int"),
    ("gru", lambda L: args(L, "gru", sizes=lambda L: L.tensor(BATCH_SIZES, dtype=L.float64)),
     RuntimeError, "expected scalar type Long but found Double"),
    ("rnn_tanh", lambda L: args(L, "rnn_tanh", TWO, dropout=1.5, train=True), RuntimeError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    ("lstm", lambda L: args(L, "lstm")[:-1], TypeError,
     "lstm() received an invalid combination of arguments"),
    ("lstm", lambda L: args(L, "lstm", hx=lambda hx: hx[0]), TypeError,
     "lstm() received an invalid combination of arguments"),
    ("gru", lambda L: args(L, "gru") + (True,), TypeError,
     "gru() received an invalid combination of arguments"),
    ("gru", lambda L: args(L, "gru", hx=lambda hx: (hx,)), TypeError,
     "gru() received an invalid combination of arguments"),
    ("rnn_relu", lambda L: args(L, "rnn_relu", sizes=lambda L: BATCH_SIZES), TypeError,
     "rnn_relu() received an invalid combination of arguments"),
]


@pytest.mark.parametrize("fn,make,error,message", ERRORS,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_torchs_errors(fn, make, error, message):
    for lib in (torch, tg):
        with pytest.raises(error) as info:
            getattr(lib, fn)(*make(lib))
        assert str(info.value).startswith(message), (lib.__name__, str(info.value))


OUR_ERRORS = [   # where torch's CPU build reads memory it should not, or fails deep inside
    # on a broadcast: our own messages (function, its arguments, error class, message)
    ("lstm", lambda: args(tg, "lstm", x=lambda a: a[..., None]), RuntimeError,
     "input must have 3 dimensions, got 4"),
    ("lstm", lambda: args(tg, "lstm", x=lambda a: a[0]), RuntimeError,
     "input must have 3 dimensions, got 2"),
    ("gru", lambda: args(tg, "gru", sizes=lambda L: L.tensor(BATCH_SIZES), x=lambda a: a[None]),
     RuntimeError, "input must have 2 dimensions, got 3"),
    ("gru", lambda: args(tg, "gru", states=lambda s: [s[0][0]]), RuntimeError,
     "gru: expected hx to be 3-D (layers * directions, batch, hidden_size), got 2-D"),
    ("gru", lambda: args(tg, "gru", params=lambda p: build("lstm", {}, np.float64)[2]),
     RuntimeError, "weight_ih first dim must be 3 * hidden_size = 15, but got [20, 4]"),
    ("gru", lambda: args(tg, "gru", params=lambda p: [p[0], np.zeros((18, HID))] + p[2:]),
     RuntimeError, "weight_hh first dim must be 3 * hidden_size = 15, but got [18, 5]"),
    ("gru", lambda: args(tg, "gru", sizes=lambda L: L.tensor([3, 3, 2, 2])), RuntimeError,
     "batch_sizes sum to 10, but the packed data has 11 rows"),
    ("gru", lambda: args(tg, "gru", sizes=lambda L: L.tensor([3, 2, 3, 2, 1])), RuntimeError,
     "batch_sizes must be positive and non-increasing, got [3, 2, 3, 2, 1]"),
]


@pytest.mark.parametrize("fn,make,error,message", OUR_ERRORS,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(OUR_ERRORS)])
def test_our_errors_where_torch_has_none_of_its_own(fn, make, error, message):
    with pytest.raises(error) as info:
        getattr(tg, fn)(*make())
    assert str(info.value).startswith(message), str(info.value)
