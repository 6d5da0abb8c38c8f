"""Every layer's ``forward`` reads as torch 2.13's, so that torch users' keyword calls work here.

Two tables. The first walks every ``torch.nn`` module class that ``tinygrad_sgd.nn`` also has
and compares ``inspect.signature(cls.forward)``: the parameters' names, order, kinds
(positional / keyword-only / ``*args``) and defaults. The second calls ~80 layers with torch's
keyword names (``layer(input=x)``, ``mha(query=q, key=k, value=v, need_weights=False)``,
``loss(input=..., target=...)``, ``ctc(log_probs=..., targets=..., ...)``) on both libraries,
with the weights copied from torch, and compares what comes out (values, dtypes, every member of
a tuple result)."""
import inspect

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from torch_compare import assert_values

# ============================================================================ 1. signatures
# torch's forward is a generic ``(self, *input)`` that raises (the base class and the
# containers that have no forward of their own): ours may differ, for the reason given.
GENERIC = {
    "Module": "torch's Module.forward is an abstract (*input) that raises; ours too, as *args",
    "ModuleDict": "no forward of its own in torch (Module's abstract one)",
    "ModuleList": "no forward of its own in torch (Module's abstract one)",
    "ParameterDict": "no forward of its own in torch (Module's abstract one)",
    "ParameterList": "no forward of its own in torch (Module's abstract one)",
    "RNNCellBase": "no forward of its own in torch (Module's abstract one)",
    "RNNBase": "torch's RNNBase has only the abstract forward (RNN, LSTM, GRU each define one); "
               "ours holds the shared (input, hx=None) that RNN/LSTM/GRU inherit, and those "
               "match torch's",
}


def _torch_module_classes():
    for name in sorted(dir(torch.nn)):
        cls = getattr(torch.nn, name)
        if (isinstance(cls, type) and issubclass(cls, torch.nn.Module)
                and cls.__module__.startswith("torch.nn.modules") and hasattr(tg.nn, name)):
            yield name


SIGNATURE_CASES = [n for n in _torch_module_classes() if n not in GENERIC]


def _params(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def test_signature_table_covers_the_layers():
    """The walk finds the layers (a broken filter would make the table below vacuous)."""
    for name in ("Linear", "Conv2d", "LSTM", "MultiheadAttention", "CTCLoss", "Sequential",
                 "TransformerEncoderLayer", "EmbeddingBag", "Bilinear", "ReLU", "MaxPool2d"):
        assert name in SIGNATURE_CASES
    assert len(SIGNATURE_CASES) > 150


@pytest.mark.parametrize("name", SIGNATURE_CASES)
def test_forward_signature_as_torch(name):
    theirs = _params(getattr(torch.nn, name).forward)
    ours = _params(getattr(tg.nn, name).forward)
    assert [p[0] for p in ours] == [p[0] for p in theirs], (name, ours, theirs)
    assert [p[1] for p in ours] == [p[1] for p in theirs], (name, ours, theirs)
    for (n, _, a), (_, _, b) in zip(ours, theirs):
        assert a == b or (a is inspect.Parameter.empty) == (b is inspect.Parameter.empty) \
            and repr(a) == repr(b), f"{name}.forward: default of {n} is {a!r}, torch's {b!r}"


# ============================================================================ 2. keyword calls
RNG = np.random.default_rng(7)


def f32(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, shape).astype(np.float32)


def ints(hi, *shape, lo=0):
    return RNG.integers(lo, hi, shape).astype(np.int64)


def _mask(*shape):
    m = np.zeros(shape, dtype=bool)
    m[..., -1] = True                       # pad the last key of every row
    return m


class Case:
    """``L.nn.<name>(*args, **kw)(**inputs)``; arrays in ``inputs`` become tensors, and
    ``args`` may be a function of the library (for layers built from layers)."""

    def __init__(self, name, args=(), kw=None, train=True, id=None, **inputs):
        self.name, self.args, self.kw, self.train, self.inputs = name, args, kw or {}, train, inputs
        self.id = id or name

    def run(self, L, state=None):
        args = self.args(L) if callable(self.args) else self.args
        module = getattr(L.nn, self.name)(*args, **self.kw)
        if state is not None:
            module.load_state_dict({k: tg.tensor(v) for k, v in state.items()})
        module.train(self.train)
        return module, module(**{k: _tensors(L, v) for k, v in self.inputs.items()})


def _tensors(L, v):
    if isinstance(v, tuple):                # LSTM's hx=(h, c)
        return tuple(_tensors(L, a) for a in v)
    return L.tensor(v) if isinstance(v, np.ndarray) else v


X4 = f32(2, 3, 5, 6)
SEQ = f32(4, 2, 8)                          # (L, N, E)
CAUSAL = np.triu(np.full((4, 4), -np.inf, dtype=np.float32), 1)
CASES = [
    Case("Sequential", lambda L: (L.nn.Linear(6, 4), L.nn.ReLU(), L.nn.Linear(4, 2)),
         input=f32(2, 6)),
    # layers with weights
    Case("Linear", (6, 3), input=f32(2, 6)),
    Case("Bilinear", (3, 4, 2), input1=f32(5, 3), input2=f32(5, 4)),
    Case("Conv1d", (3, 4, 3), input=f32(2, 3, 7)),
    Case("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="reflect"), input=X4),
    Case("Conv3d", (2, 3, 2), input=f32(1, 2, 4, 4, 4)),
    Case("ConvTranspose1d", (3, 2, 3), dict(stride=2), input=f32(2, 3, 5)),
    Case("ConvTranspose2d", (3, 2, 3), dict(stride=2), input=X4, output_size=[12, 14],
         id="ConvTranspose2d-output_size"),
    Case("ConvTranspose3d", (2, 2, 2), dict(stride=2), input=f32(1, 2, 3, 3, 3),
         output_size=(7, 7, 7)),
    Case("BatchNorm1d", (3,), input=f32(4, 3)),
    Case("BatchNorm2d", (3,), input=X4),
    Case("BatchNorm2d", (3,), train=False, input=X4, id="BatchNorm2d-eval"),
    Case("BatchNorm3d", (2,), input=f32(2, 2, 3, 3, 3)),
    Case("InstanceNorm1d", (3,), dict(affine=True), input=f32(2, 3, 7)),
    Case("InstanceNorm2d", (3,), input=X4),
    Case("LayerNorm", ([5, 6],), input=X4),
    Case("GroupNorm", (3, 3), input=X4),
    Case("RMSNorm", (6,), x=X4),
    Case("LocalResponseNorm", (2,), input=X4),
    Case("PReLU", (3,), input=X4),
    Case("Embedding", (10, 4), input=ints(10, 2, 5)),
    Case("EmbeddingBag", (10, 4), dict(mode="sum"), input=ints(10, 7),
         offsets=np.array([0, 3, 3, 5]), per_sample_weights=f32(7)),
    Case("EmbeddingBag", (10, 4), input=ints(10, 3, 2), id="EmbeddingBag-2d-mean"),
    # recurrent
    Case("RNN", (8, 5), dict(num_layers=2), input=SEQ, hx=f32(2, 2, 5)),
    Case("LSTM", (8, 5), dict(batch_first=True), input=f32(2, 4, 8),
         hx=(f32(1, 2, 5), f32(1, 2, 5))),
    Case("GRU", (8, 5), dict(bidirectional=True), input=SEQ, hx=f32(2, 2, 5)),
    Case("RNNCell", (8, 5), input=f32(3, 8), hx=f32(3, 5)),
    Case("LSTMCell", (8, 5), input=f32(3, 8), hx=(f32(3, 5), f32(3, 5))),
    Case("GRUCell", (8, 5), input=f32(3, 8), hx=f32(3, 5)),
    # attention and transformers (dropout 0: the values are deterministic)
    Case("MultiheadAttention", (8, 2), query=SEQ, key=f32(3, 2, 8), value=f32(3, 2, 8)),
    Case("MultiheadAttention", (8, 2), dict(batch_first=True), query=f32(2, 4, 8),
         key=f32(2, 4, 8), value=f32(2, 4, 8), key_padding_mask=_mask(2, 4), need_weights=True,
         average_attn_weights=False, id="MultiheadAttention-padding-per-head"),
    Case("MultiheadAttention", (8, 2), query=SEQ, key=SEQ, value=SEQ, need_weights=False,
         attn_mask=np.triu(np.ones((4, 4), dtype=bool), 1), id="MultiheadAttention-attn_mask"),
    Case("TransformerEncoderLayer", (8, 2, 16, 0.0), src=SEQ, src_key_padding_mask=_mask(2, 4)),
    Case("TransformerEncoderLayer", (8, 2, 16, 0.0), dict(norm_first=True), src=SEQ,
         src_mask=CAUSAL, is_causal=True,
         id="TransformerEncoderLayer-causal"),
    Case("MultiheadAttention", (8, 2), query=SEQ, key=SEQ, value=SEQ, attn_mask=CAUSAL,
         is_causal=True, id="MultiheadAttention-is_causal"),
    Case("TransformerEncoder", lambda L: (L.nn.TransformerEncoderLayer(8, 2, 16, 0.0), 2),
         src=SEQ, mask=CAUSAL, src_key_padding_mask=_mask(2, 4), is_causal=True),
    Case("TransformerDecoder", lambda L: (L.nn.TransformerDecoderLayer(8, 2, 16, 0.0), 2),
         tgt=SEQ, memory=f32(3, 2, 8), tgt_mask=CAUSAL, tgt_is_causal=True,
         memory_key_padding_mask=_mask(2, 3)),
    Case("TransformerDecoderLayer", (8, 2, 16, 0.0), tgt=SEQ, memory=f32(3, 2, 8),
         tgt_mask=CAUSAL,
         memory_key_padding_mask=_mask(2, 3)),
    Case("Transformer", (8, 2, 1, 1, 16, 0.0), src=f32(3, 2, 8), tgt=SEQ,
         tgt_mask=CAUSAL,
         src_key_padding_mask=_mask(2, 3)),
    # activations
    *[Case(n, input=X4) for n in ("ReLU", "ReLU6", "Sigmoid", "Tanh", "GELU", "SiLU", "Mish",
                                  "Hardswish", "Hardsigmoid", "SELU", "CELU", "ELU", "LeakyReLU",
                                  "Softplus", "Hardtanh", "LogSigmoid", "Softsign",
                                  "Hardshrink", "Softshrink", "Tanhshrink", "Softmax2d",
                                  "Identity")],
    Case("Softmax", (1,), input=X4),
    Case("LogSoftmax", (-1,), input=X4),
    Case("Softmin", (0,), input=X4),
    Case("GLU", (-1,), input=X4),
    Case("Threshold", (0.1, 20.0), input=X4),
    Case("RReLU", train=False, input=X4),
    # pooling
    Case("MaxPool1d", (2,), dict(return_indices=True), input=f32(2, 3, 7)),
    Case("MaxPool2d", (2,), dict(stride=1, return_indices=True), input=X4),
    Case("MaxPool3d", (2,), input=f32(1, 2, 4, 4, 4)),
    Case("AvgPool1d", (3,), input=f32(2, 3, 7)),
    Case("AvgPool2d", (2,), dict(ceil_mode=True), input=X4),
    Case("AvgPool3d", (2,), input=f32(1, 2, 4, 4, 4)),
    Case("AdaptiveAvgPool2d", ((2, 3),), input=X4),
    Case("AdaptiveMaxPool2d", (2,), dict(return_indices=True), input=X4),
    Case("AdaptiveMaxPool1d", (3,), input=f32(2, 3, 7)),
    Case("LPPool2d", (2, 2), input=X4),
    Case("MaxUnpool2d", (2,), input=f32(2, 3, 2, 3),
         indices=np.array([[[[0, 3, 5], [13, 14, 21]]] * 3] * 2), output_size=(2, 3, 5, 6)),
    # shapes, padding, upsampling, dropout
    Case("PixelShuffle", (2,), input=f32(1, 8, 3, 2)),
    Case("PixelUnshuffle", (2,), input=f32(1, 2, 4, 6)),
    Case("ChannelShuffle", (3,), input=f32(1, 6, 2, 2)),
    Case("Upsample", kw=dict(scale_factor=2, mode="bilinear"), input=X4),
    Case("UpsamplingNearest2d", kw=dict(size=(7, 9)), input=X4),
    Case("UpsamplingBilinear2d", kw=dict(scale_factor=2), input=X4),
    Case("Unfold", (2,), dict(stride=1), input=X4),
    Case("Fold", ((4, 5), 2), input=f32(2, 12, 12)),
    Case("Flatten", input=X4),
    Case("Unflatten", (1, (3, 1)), input=X4),
    Case("Dropout", (0.5,), train=False, input=X4),
    Case("Dropout2d", (0.0,), input=X4),
    Case("AlphaDropout", (0.5,), train=False, input=X4),
    Case("ZeroPad2d", ((1, 0, 2, 1),), input=X4),
    Case("ConstantPad1d", (2, 3.5), input=f32(2, 3, 7)),
    Case("ReflectionPad2d", (2,), input=X4),
    Case("ReplicationPad3d", (1,), input=f32(1, 2, 3, 3, 3)),
    Case("CircularPad1d", (2,), input=f32(2, 3, 7)),
    Case("CosineSimilarity", (1,), x1=X4, x2=f32(2, 3, 5, 6)),
    Case("PairwiseDistance", (1.5,), x1=f32(4, 5), x2=f32(4, 5)),
    # losses
    *[Case(n, input=f32(4, 5), target=f32(4, 5))
      for n in ("L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "SoftMarginLoss",
                "BCEWithLogitsLoss", "HingeEmbeddingLoss", "MultiLabelSoftMarginLoss")],
    Case("BCELoss", input=f32(4, 5, lo=0.05, hi=0.95), target=f32(4, 5, lo=0, hi=1)),
    Case("KLDivLoss", kw=dict(reduction="batchmean"), input=f32(4, 5, lo=-3, hi=-0.1),
         target=f32(4, 5, lo=0, hi=1)),
    Case("PoissonNLLLoss", log_input=f32(4, 5), target=f32(4, 5, lo=0, hi=3)),
    Case("GaussianNLLLoss", input=f32(4, 5), target=f32(4, 5), var=f32(4, 5, lo=0.1, hi=2)),
    Case("NLLLoss", input=f32(4, 5, lo=-3, hi=-0.1), target=ints(5, 4)),
    Case("CrossEntropyLoss", kw=dict(label_smoothing=0.1), input=f32(4, 5), target=ints(5, 4)),
    Case("MultiMarginLoss", input=f32(4, 5), target=ints(5, 4)),
    Case("MultiLabelMarginLoss", input=f32(2, 4),
         target=np.array([[3, 0, -1, 1], [1, 2, 3, -1]])),
    Case("MarginRankingLoss", (0.1,), input1=f32(6), input2=f32(6),
         target=np.sign(f32(6)).astype(np.float32)),
    Case("CosineEmbeddingLoss", input1=f32(4, 5), input2=f32(4, 5),
         target=np.array([1, -1, 1, -1], dtype=np.float32)),
    Case("TripletMarginLoss", anchor=f32(4, 5), positive=f32(4, 5), negative=f32(4, 5)),
    Case("TripletMarginWithDistanceLoss", anchor=f32(4, 5), positive=f32(4, 5),
         negative=f32(4, 5)),
    Case("CTCLoss", log_probs=np.log(RNG.dirichlet(np.ones(5), (6, 2)).astype(np.float32)),
         targets=ints(5, 2, 3, lo=1), input_lengths=np.array([6, 5]),
         target_lengths=np.array([3, 2])),
    Case("AdaptiveLogSoftmaxWithLoss", (8, 10, [4, 7]), input_=f32(5, 8), target_=ints(10, 5)),
    Case("LinearCrossEntropyLoss", (5, 4), dict(bias=True), input=f32(3, 5), target=ints(4, 3)),
]


def _leaves(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _leaves(o)]
    return [] if out is None else [out]


@pytest.mark.filterwarnings("ignore:enable_nested_tensor", "ignore:Initializing zero-element",
                            "ignore:Support for mismatched")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_keyword_call_as_torch(case):
    torch.manual_seed(0)
    module, theirs = case.run(torch)
    state = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
    _, ours = case.run(tg, state)
    theirs, ours = _leaves(theirs), _leaves(ours)
    assert len(ours) == len(theirs), f"{len(ours)} results, torch's {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert_values(a, b, rtol=2e-5, atol=2e-6, what=f"result {i}")


def test_keyword_table_covers_every_loss():
    """Every torch loss we have is called with torch's keyword names above."""
    losses = {n for n in _torch_module_classes() if n.endswith("Loss")}
    assert losses <= {c.name for c in CASES}, losses - {c.name for c in CASES}


def test_misspelt_keyword_is_a_type_error_as_in_torch():
    for L in (torch, tg):
        with pytest.raises(TypeError):
            L.nn.Linear(2, 3)(x=L.ones(1, 2))
