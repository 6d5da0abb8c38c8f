"""What the recurrent-network programs (tests/torch_programs/char_rnn_classification.py,
char_rnn_generation.py, packed_sequences.py) and their variants needed, checked against torch:

* ``F.embedding_bag`` / ``nn.EmbeddingBag`` results are one ``EmbeddingBagBackward0`` node
  under torch's names (they were named after the library's last inner op: IndexAdd, Div,
  Where), with values and gradients still torch's;
* ``F.embedding``'s refusal of ids that are not int64/int32, in torch's words
  (``torch.FloatTensor``, ``CPUBoolType``; it accepted uint8/int8/int16 ids);
* ``torch.accelerator`` (the tutorials' ``device = torch.accelerator.current_accelerator().type
  if torch.accelerator.is_available() else "cpu"``), as on torch's CPU build.
"""
import importlib
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as TF
from tinygrad_sgd._torch_shim import torch_modules
from test_fidelity_tensors import torch_program


# ------------------------------------------------------------------ embedding_bag's node
W = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
IDS = np.array([1, 2, 2, 2, 4, 3, 7, 7])
OFFSETS = np.array([0, 2, 4, 4])
PSW = np.random.default_rng(1).random(len(IDS)).astype(np.float32)

BAGS = [   # id: keyword arguments (per_sample_weights: True → PSW)
    ("mean", dict(mode="mean")),
    ("sum", dict(mode="sum")),
    ("max", dict(mode="max")),
    ("sum-psw", dict(mode="sum", per_sample_weights=True)),
    ("mean-padding", dict(mode="mean", padding_idx=2)),
    ("max-padding", dict(mode="max", padding_idx=7)),
    ("sum-last-offset", dict(mode="sum", include_last_offset=True)),
    ("mean-2d", dict(mode="mean", two_d=True)),
]


def _bag(m, kw):
    kw = dict(kw)
    weight = m.tensor(W, requires_grad=True)
    psw = m.tensor(PSW, requires_grad=True) if kw.pop("per_sample_weights", None) else None
    if kw.pop("two_d", False):
        out = m.nn.functional.embedding_bag(m.tensor(IDS.reshape(2, 4)), weight, **kw)
    else:
        offsets = np.append(OFFSETS, len(IDS)) if kw.get("include_last_offset") else OFFSETS
        out = m.nn.functional.embedding_bag(m.tensor(IDS), weight, m.tensor(offsets),
                                            per_sample_weights=psw, **kw)
    return out, weight, psw


@pytest.mark.parametrize("kw", [kw for _, kw in BAGS], ids=[i for i, _ in BAGS])
def test_embedding_bag_is_one_torch_node_with_torch_values_and_gradients(kw):
    theirs, tw, tpsw = _bag(torch, kw)
    with torch_program():
        ours, ow, opsw = _bag(tg, kw)
        assert ours.grad_fn.name() == theirs.grad_fn.name() == "EmbeddingBagBackward0"
        assert f"grad_fn=<{theirs.grad_fn.name()}>" in repr(ours)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = np.random.default_rng(2).standard_normal(tuple(theirs.shape)).astype(np.float32)
    theirs.backward(torch.tensor(g))
    ours.backward(tg.tensor(g))
    np.testing.assert_allclose(ow.grad.numpy(), tw.grad.numpy(), rtol=1e-6, atol=1e-6)
    if tpsw is not None:
        np.testing.assert_allclose(opsw.grad.numpy(), tpsw.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_embedding_bag_module_prints_torch_node_and_keeps_library_names_outside():
    torch.manual_seed(0)
    tg.manual_seed(0)
    theirs = torch.nn.EmbeddingBag(10, 3, mode="sum")(torch.tensor(IDS), torch.tensor(OFFSETS))
    with torch_program():
        ours = tg.nn.EmbeddingBag(10, 3, mode="sum")(tg.tensor(IDS), tg.tensor(OFFSETS))
        assert repr(ours) == repr(theirs)
    assert "Backward0" not in ours.grad_fn.name()        # the library's own names stay


def test_embedding_bag_without_grad_has_no_node():
    with torch_program():
        out = TF.embedding_bag(tg.tensor(IDS), tg.tensor(W), tg.tensor(OFFSETS))
    assert out.grad_fn is None and not out.requires_grad


# ------------------------------------------------------------------ embedding's index dtypes
INDEX_DTYPES = ["float32", "float64", "float16", "bool", "uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("dtype", INDEX_DTYPES)
def test_embedding_accepts_only_torch_index_dtypes_with_torch_message(dtype):
    ids = np.array([1, 0, 2]).astype(dtype)
    weight = np.arange(12, dtype=np.float32).reshape(4, 3)

    def run(m):
        try:
            return m.nn.functional.embedding(m.tensor(ids), m.tensor(weight)).numpy(), None
        except Exception as e:                                   # noqa: BLE001
            return None, (type(e), str(e))

    (theirs, their_err), (ours, our_err) = run(torch), run(tg)
    assert our_err == their_err
    if their_err is None:
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32"])
def test_embedding_bag_still_accepts_what_torch_accepts(dtype):
    ids = np.array([1, 0, 1]).astype(dtype)
    theirs = torch.nn.functional.embedding_bag(torch.tensor(ids), torch.tensor(W),
                                               torch.tensor([0, 1]))
    ours = TF.embedding_bag(tg.tensor(ids), tg.tensor(W), tg.tensor([0, 1]))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


# ------------------------------------------------------------------ torch.accelerator
CALLS = [("is_available", ()), ("current_accelerator", ()), ("device_count", ()),
         ("current_device_index", ()), ("set_device_index", (0,)), ("synchronize", ()),
         ("empty_cache", ()), ("memory_allocated", ()), ("max_memory_allocated", ()),
         ("current_device_idx", ()), ("set_device_idx", (0,))]


def _call(module, name, args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", getattr(module, name)(*args))
        except Exception as e:                                   # noqa: BLE001
            result = ("error", type(e), str(e))
    return result, [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("name,args", CALLS, ids=[c[0] for c in CALLS])
def test_accelerator_answers_as_torch_cpu_build(name, args):
    theirs = _call(torch.accelerator, name, args)
    with torch_modules():
        shim = importlib.import_module("torch")
        ours = _call(shim.accelerator, name, args)
    assert ours == theirs


def test_accelerator_device_choice_of_the_tutorials_picks_cpu():
    with torch_modules():
        shim = importlib.import_module("torch")
        acc = shim.accelerator
        device = acc.current_accelerator().type if acc.is_available() else "cpu"
        assert device == "cpu" and acc.current_accelerator(check_available=True) is None
        assert importlib.import_module("torch.accelerator") is acc


# ------------------------------------------------------------------ recurrent outputs' nodes
RECURRENT = [   # (class, keyword arguments, dtype) of the layers whose padded output prints
    ("LSTM", {}, "float32"), ("LSTM", dict(num_layers=2, dropout=0.3), "float32"),
    ("LSTM", dict(batch_first=True), "float32"), ("LSTM", dict(bidirectional=True), "float32"),
    ("LSTM", dict(proj_size=2), "float32"), ("LSTM", dict(proj_size=2, batch_first=True), "float32"),
    ("LSTM", dict(bidirectional=True, proj_size=2), "float32"), ("LSTM", {}, "float64"),
    ("LSTM", dict(batch_first=True), "float64"),
    ("GRU", {}, "float32"), ("GRU", dict(batch_first=True), "float32"),
    ("GRU", dict(bidirectional=True, num_layers=2), "float32"), ("GRU", {}, "float64"),
    ("RNN", dict(nonlinearity="relu"), "float32"), ("RNN", dict(batch_first=True), "float64"),
    ("RNN", dict(bidirectional=True, batch_first=True), "float32"),
]


def _recurrent_nodes(m, cls, kw, dtype):
    m.manual_seed(0)
    layer = getattr(m.nn, cls)(3, 4, dtype=getattr(m, dtype), **kw)
    x = m.ones(5, 2, 3, dtype=getattr(m, dtype))
    out, h = layer(x)
    states = h if isinstance(h, tuple) else (h,)
    packed = layer(m.nn.utils.rnn.pack_padded_sequence(x, m.tensor([5, 3])))[0]
    return (out.grad_fn.name(), [s.grad_fn.name() for s in states],
            layer(x[:, 0])[0].grad_fn.name(), packed.data.grad_fn.name())


@pytest.mark.parametrize("cls,kw,dtype", RECURRENT,
                         ids=[f"{c}-{'-'.join(k) or 'plain'}-{d}" for c, k, d in RECURRENT])
def test_recurrent_outputs_are_torch_cpu_nodes(cls, kw, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # torch: projections are not run by oneDNN
        theirs = _recurrent_nodes(torch, cls, kw, dtype)
    with torch_program():
        ours = _recurrent_nodes(tg, cls, kw, dtype)
    assert ours == theirs


CELLS = [("LSTMCell", {}), ("LSTMCell", dict(bias=False)), ("GRUCell", {}),
         ("GRUCell", dict(bias=False)), ("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu"))]


def _cell_nodes(m, cls, kw):
    m.manual_seed(0)
    cell = getattr(m.nn, cls)(3, 4, **kw)
    x = m.linspace(-1, 1, 6).reshape(2, 3)
    batched, single = cell(x), cell(x[0])
    names = [[t.grad_fn.name() for t in (r if isinstance(r, tuple) else (r,))]
             for r in (batched, single)]
    values = [t.detach().numpy() for t in (batched if isinstance(batched, tuple) else (batched,))]
    return names, values


@pytest.mark.parametrize("cls,kw", CELLS, ids=[f"{c}-{'-'.join(k) or 'plain'}" for c, k in CELLS])
def test_cells_are_torch_cpu_nodes_and_values(cls, kw):
    their_names, their_values = _cell_nodes(torch, cls, kw)
    with torch_program():
        our_names, our_values = _cell_nodes(tg, cls, kw)
    assert our_names == their_names
    for a, b in zip(our_values, their_values):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_recurrent_nodes_keep_the_librarys_names_outside_torch_programs():
    out, _ = tg.nn.LSTM(3, 4)(tg.ones(5, 2, 3))
    h, c = tg.nn.LSTMCell(3, 4)(tg.ones(2, 3))
    assert "Backward0" not in out.grad_fn.name() + h.grad_fn.name() + c.grad_fn.name()
