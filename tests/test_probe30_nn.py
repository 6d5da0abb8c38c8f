"""nn layers and losses against torch 2.13, for what a probe of unusual arguments found
different: rms_norm's float32 arithmetic (and epsilon) for float16 inputs and its output
dtype with a weight of another dtype; the mixed-dtype refusals of layer, group and instance
norm; TransformerEncoder's zeros at padded positions where torch takes its nested-tensor
path; LinearCrossEntropyLoss / F.linear_cross_entropy; MultiheadAttention on an empty
batch; and ``Tensor.to_dense()`` for the dense gradient of a sparse embedding.

Each row runs the same program on torch and on tinygrad_sgd and compares what comes out:
values, dtype and gradients, or the error's class (ours an instance of torch's)."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

RNG = np.random.default_rng(30)


def f32(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def _dtype(t):
    return str(t.dtype).split(".")[-1]


def _run(L, fn, arrays, grad):
    """fn(L, *tensors) and the gradients of a weighted sum of its result w.r.t. the tensors
    numbered in ``grad`` — or the error it raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = [L.tensor(a) for a in arrays]
        for i in grad:
            ts[i].requires_grad_(True)
        try:
            out = fn(L, *ts)
        except Exception as e:          # noqa: BLE001  (compared with torch's below)
            return e, None
        grads = None
        if grad:
            w = np.cos(np.arange(out.numel()) + 1.0).reshape(tuple(out.shape))
            s = (out * L.tensor(w).to(out.dtype)).sum()
            grads = L.autograd.grad(s, [ts[i] for i in grad], allow_unused=True)
        return out, grads


def same_as_torch(fn, arrays, grad=(), rtol=1e-5, atol=1e-6):
    theirs, tgrads = _run(torch, fn, arrays, grad)
    ours, ograds = _run(tg, fn, arrays, grad)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {theirs!r}, we returned {ours}"
        assert isinstance(ours, type(theirs)), f"torch raised {theirs!r}, we raised {ours!r}"
        return
    assert not isinstance(ours, Exception), f"we raised {ours!r}, torch returned {theirs}"
    assert _dtype(ours) == _dtype(theirs), (_dtype(ours), _dtype(theirs))
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(_np(ours).astype(np.float64), _np(theirs).astype(np.float64),
                               rtol=rtol, atol=atol, equal_nan=True)
    for i, (a, b) in enumerate(zip(ograds or (), tgrads or ())):
        assert (a is None) == (b is None), f"gradient {i}: {a} vs {b}"
        if a is not None:
            assert _dtype(a) == _dtype(b)
            np.testing.assert_allclose(_np(a).astype(np.float64), _np(b).astype(np.float64),
                                       rtol=rtol, atol=atol, err_msg=f"gradient {i}")


# --- rms_norm: a float16 input is computed in float32 (eps: float32's), and the result has
# the input's dtype whatever the weight's --------------------------------------------------

RMS = [("float16", None, None), ("float16", "float16", None), ("float16", "float32", None),
       ("float16", "float64", None), ("float32", "float64", None), ("float64", "float32", None),
       ("float32", "float16", 1e-3), ("float16", "float32", 1e-2), ("float32", None, None)]


@pytest.mark.parametrize("xd,wd,eps", RMS)
def test_rms_norm_dtypes_and_float16_arithmetic(xd, wd, eps):
    x = f32(3, 4)
    x[0] *= 0.01                          # mean(x²) near float16's epsilon: eps matters
    arrays = [x.astype(xd)] + ([f32(4).astype(wd)] if wd else [])
    tol = dict(rtol=1e-3, atol=1e-3) if "float16" in (xd, wd) else {}

    def fn(L, x, *w):
        return L.nn.functional.rms_norm(x, (4,), *w, eps=eps)
    same_as_torch(fn, arrays, grad=range(len(arrays)), **tol)


@pytest.mark.parametrize("xd,wd", [("float16", "float32"), ("float32", "float64"),
                                   ("float64", "float32")])
def test_rms_norm_module_keeps_the_input_dtype(xd, wd):
    def fn(L, x):
        L.manual_seed(0)
        return L.nn.RMSNorm(4).to(getattr(L, wd))(x)
    same_as_torch(fn, [f32(2, 4).astype(xd)], grad=[0], rtol=1e-3, atol=1e-3)


def test_rms_norm_float16_small_values_exact():
    """mean(x²) = 1e-4 with float16's epsilon (9.8e-4) would give 0.30, torch gives 0.9995."""
    for L in (torch, tg):
        y = L.nn.functional.rms_norm(L.full((1, 4), 0.01).half(), (4,))
        assert _dtype(y) == "float16"
        np.testing.assert_allclose(_np(y).astype(np.float64), 0.99951171875)


# --- mixed dtypes: torch's CPU layer/group/instance norms refuse them as batch norm does,
# except an instance norm's running statistics, which may have any dtype ---------------------

MIXED = [(xd, wd) for xd in ("float16", "float32", "float64")
         for wd in ("float16", "float32", "float64")]
NORMS = {
    "layer_norm": lambda L, x, w, b: L.nn.functional.layer_norm(x, (6,), w, b),
    "layer_norm_weight_only": lambda L, x, w, b: L.nn.functional.layer_norm(x, (6,), w),
    "layer_norm_bias_of_input": lambda L, x, w, b: L.nn.functional.layer_norm(
        x, (6,), w, b.to(x.dtype)),
    "group_norm": lambda L, x, w, b: L.nn.functional.group_norm(x, 2, w, b),
    "instance_norm": lambda L, x, w, b: L.nn.functional.instance_norm(
        x.t().reshape(1, 6, 4), weight=w, bias=b),
    "instance_norm_running": lambda L, x, w, b: L.nn.functional.instance_norm(
        x.t().reshape(1, 6, 4), w.detach(), b.detach().abs() + 1),
    "instance_norm_eval_stats": lambda L, x, w, b: L.nn.functional.instance_norm(
        x.t().reshape(1, 6, 4), w.detach(), b.detach().abs() + 1, use_input_stats=False),
    "instance_norm_eval_stats_and_weight": lambda L, x, w, b: L.nn.functional.instance_norm(
        x.t().reshape(1, 6, 4), w.detach(), b.detach().abs() + 1, w, use_input_stats=False),
    "instance_norm_eval_weight_of_input": lambda L, x, w, b: L.nn.functional.instance_norm(
        x.t().reshape(1, 6, 4), w.detach(), b.detach().abs() + 1, w.detach().to(x.dtype),
        use_input_stats=False),
    "batch_norm": lambda L, x, w, b: L.nn.functional.batch_norm(x, None, None, w, b, True),
    "batch_norm_eval": lambda L, x, w, b: L.nn.functional.batch_norm(
        x, w.detach(), b.detach().abs() + 1, w, b, False),
}


@pytest.mark.parametrize("xd,wd", MIXED)
@pytest.mark.parametrize("op", sorted(NORMS))
def test_norm_mixed_dtypes_as_torch(op, xd, wd):
    same_as_torch(NORMS[op], [f32(4, 6).astype(xd), f32(6).astype(wd), f32(6).astype(wd)],
                  grad=[0, 1, 2], rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("layer", ["LayerNorm", "GroupNorm"])
def test_float32_norm_module_refuses_a_float64_input(layer):
    args = (6,) if layer == "LayerNorm" else (2, 6)
    with pytest.raises(RuntimeError):
        getattr(torch.nn, layer)(*args)(torch.ones(2, 6, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="mixed dtype"):
        getattr(tg.nn, layer)(*args)(tg.ones(2, 6, dtype=tg.float64))


# --- TransformerEncoder: torch's nested-tensor path leaves zeros at padded positions ------

PADDINGS = {
    "left-aligned": [[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]],
    "not left-aligned": [[0, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]],
    "float mask": [[0., 0., 0., -1e9, -1e9], [0.] * 5, [0., 0., 0., 0., -np.inf]],
}
ENCODERS = [  # (encoder keywords, layer keywords, how it is called)
    ({}, {}, "eval no_grad"),
    (dict(norm=True), {}, "eval no_grad"),
    (dict(mask_check=False), {}, "eval no_grad"),
    (dict(enable_nested_tensor=False), {}, "eval no_grad"),
    ({}, {}, "eval grad"),                      # parameters require grad: ordinary path
    ({}, {}, "eval frozen"),                    # nothing requires grad: nested path
    ({}, {}, "train no_grad"),
    ({}, dict(norm_first=True), "eval no_grad"),
    ({}, dict(batch_first=False), "eval no_grad"),
    ({}, {}, "eval no_grad with mask"),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("padding", sorted(PADDINGS))
@pytest.mark.parametrize("enc_kw,layer_kw,how", ENCODERS,
                         ids=[f"{e}-{k}-{h}" for e, k, h in ENCODERS])
def test_transformer_encoder_padded_positions_as_torch(padding, enc_kw, layer_kw, how):
    src, pad = f32(3, 5, 8), np.array(PADDINGS[padding])
    pad = pad.astype(np.float32) if pad.dtype.kind == "f" else pad.astype(bool)

    def fn(L):
        L.manual_seed(1)
        kw = dict(layer_kw)
        batch_first = kw.pop("batch_first", True)
        layer = L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first,
                                             **kw)
        ekw = dict(enc_kw)
        if ekw.pop("norm", False):
            ekw["norm"] = L.nn.LayerNorm(8)
        enc = L.nn.TransformerEncoder(layer, 2, **ekw)
        enc.train(how.startswith("train"))
        if how == "eval frozen":
            enc.requires_grad_(False)
        x = L.tensor(src) if batch_first else L.tensor(src).transpose(0, 1)
        mask = L.zeros(5, 5) if how.endswith("with mask") else None
        ctx = L.no_grad() if "no_grad" in how else L.enable_grad()
        with ctx:
            return enc(x, mask=mask, src_key_padding_mask=L.tensor(pad))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = fn(torch), fn(tg)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-4, atol=1e-5)


# --- LinearCrossEntropyLoss and F.linear_cross_entropy ------------------------------------

LCE = [  # (module keywords, input shape, target)
    (dict(), (4,), np.array([0, 3, -100, 9])),
    (dict(bias=True, label_smoothing=0.1), (4,), np.array([0, 3, -100, 9])),
    (dict(weight=True, reduction="sum"), (4,), np.array([0, 3, -100, 9])),
    (dict(reduction="none", ignore_index=3), (4,), np.array([0, 3, 1, 9])),
    (dict(out_features=(3, 2), bias=True), (4,), RNG.integers(0, 10, (4, 3, 2))),
    (dict(out_features=(2,), reduction="none"), (4,), "probabilities"),
    (dict(), (4,), "probabilities"),
    (dict(ignore_index=-100), (4,), "probabilities"),       # torch's RuntimeError
    (dict(), (), np.array(7)),
    (dict(out_features=(2,)), (), np.array([1, 2])),         # K-dim needs a batch
    (dict(options=True), (4,), np.array([0, 3, -100, 9])),
    (dict(options=True, label_smoothing=0.2), (4,), np.array([0, 3, 1, 9])),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kw,batch,target", LCE, ids=[str(i) for i in range(len(LCE))])
def test_linear_cross_entropy_loss_as_torch(kw, batch, target):
    x = f32(*batch, 5)
    if isinstance(target, str):
        shape = batch + (10,) + kw.get("out_features", ())
        t = RNG.random(shape).astype(np.float32)
        t /= t.sum(axis=len(batch), keepdims=True)
    else:
        t = target.astype(np.int64)
    cw = RNG.random(10).astype(np.float32)

    def fn(L, x, t):
        L.manual_seed(3)
        k = dict(kw)
        if k.pop("weight", False):
            k["weight"] = L.tensor(cw)
        if k.pop("options", False):
            k["options"] = L.nn.LinearCrossEntropyOptions()
        loss = L.nn.LinearCrossEntropyLoss(5, 10, **k)
        out = loss(x, t)
        return out + 0 * sum(p.sum() for p in loss.parameters())
    same_as_torch(fn, [x, t], grad=[0] + ([1] if t.dtype.kind == "f" else []))


def test_linear_cross_entropy_loss_parameters_and_gradients_as_torch():
    x, t = f32(6, 5), np.array([1, 0, 4, 4, -100, 2])
    grads = {}
    for L in (torch, tg):
        L.manual_seed(0)
        loss = L.nn.LinearCrossEntropyLoss(5, 5, out_features=(), bias=True,
                                           label_smoothing=0.05)
        assert sorted(loss.state_dict()) == ["linear.bias", "linear.weight"]
        out = loss(L.tensor(x), L.tensor(t))
        out.backward()
        grads[L.__name__] = [_np(out)] + [_np(p) for p in loss.parameters()] + \
            [_np(p.grad) for p in loss.parameters()]
    for a, b in zip(grads["tinygrad_sgd"], grads["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert tg.nn.modules.loss.LinearCrossEntropyLoss is tg.nn.LinearCrossEntropyLoss


F_LCE = [  # linear_cross_entropy(input, weight, target, **kw): shapes of the three
    ((4, 5), (10, 5), (4,), {}),
    ((4, 5), (10, 5), (4,), dict(linear_bias=(10,))),
    ((4, 5), (10, 3, 5), (4, 3), dict(linear_bias=(10, 3))),
    ((2, 4, 5), (10, 5), (4,), {}),              # input of 3 dims
    ((4, 5), (10,), (4,), {}),                   # weight of 1 dim
    ((4, 5), (10, 4), (4,), {}),                 # in_features differ
    ((4, 5), (10, 5), (4,), dict(linear_bias=(3,))),
]


@pytest.mark.parametrize("xs,ws,ts,kw", F_LCE, ids=[str(i) for i in range(len(F_LCE))])
def test_functional_linear_cross_entropy_as_torch(xs, ws, ts, kw):
    arrays = [f32(*xs), f32(*ws), RNG.integers(0, ws[0], ts)]
    if "linear_bias" in kw:
        arrays.append(f32(*kw["linear_bias"]))

    def fn(L, x, w, t, *b):
        return L.nn.functional.linear_cross_entropy(x, w, t, linear_bias=b[0] if b else None)
    same_as_torch(fn, arrays, grad=[0, 1] + ([3] if len(arrays) > 3 else []))


@pytest.mark.parametrize("kw", [dict(acc_policy="fast"), dict(chunking_method="ratio"),
                                dict(chunking_method="aspect_ratio:0"),
                                dict(batch_chunk_size=0), dict(batch_chunk_size=2.5),
                                dict(chunking_method="aspect_ratio:3", batch_chunk_size=4)])
def test_linear_cross_entropy_options_checked_as_torch(kw):
    def make(L):
        try:
            return L.nn.LinearCrossEntropyOptions(**kw)
        except Exception as e:          # noqa: BLE001
            return e
    theirs, ours = make(torch), make(tg)
    assert type(ours) is type(theirs) if isinstance(theirs, Exception) else \
        not isinstance(ours, Exception)


# --- MultiheadAttention on an empty batch -------------------------------------------------

@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("mask", [None, "float attn_mask"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_empty_batch(need_weights, mask, batch_first):
    x = f32(3, 0, 4)

    def fn(L, x):
        L.manual_seed(0)
        m = L.nn.MultiheadAttention(4, 2, batch_first=batch_first)
        x = x.transpose(0, 1) if batch_first else x
        am = L.zeros(3, 3) if mask else None
        out, w = m(x, x, x, need_weights=need_weights, attn_mask=am)
        return out
    same_as_torch(fn, [x], grad=[0])


# --- nn.Embedding(sparse=True): the gradient is dense here, and to_dense() reads it -------

@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sparse_embedding_gradient_to_dense():
    grads = []
    for L in (torch, tg):
        L.manual_seed(0)
        m = L.nn.Embedding(5, 3, sparse=True)
        m(L.tensor([[1, 2, 1], [4, 4, 0]])).sum().backward()
        dense = m.weight.grad.to_dense()
        assert dense.layout == L.strided and not dense.is_sparse
        grads.append(_np(dense))
    np.testing.assert_array_equal(grads[1], grads[0])


@pytest.mark.parametrize("dtype", [None, "float64", "float32"])
def test_to_dense_of_a_dense_tensor(dtype):
    for L in (torch, tg):
        t = L.ones(2, 3, requires_grad=True)
        d = t.to_dense() if dtype is None else t.to_dense(getattr(L, dtype))
        if dtype in (None, "float32"):
            assert d is t
        else:
            assert _dtype(d) == dtype and d.requires_grad
        assert t.is_sparse_csr is False


# --- cross_entropy: label_smoothing ≤ 0 (or NaN) is no smoothing, as torch; > 1 its error ---

@pytest.mark.parametrize("ls", [0.0, -0.1, -1.0, float("nan"), 0.3, 1.0, 1.5])
@pytest.mark.parametrize("target", ["indices", "probabilities"])
def test_cross_entropy_label_smoothing_range_as_torch(ls, target):
    x = f32(3, 4)
    t = np.array([0, 3, 1]) if target == "indices" else \
        (lambda p: p / p.sum(1, keepdims=True))(RNG.random((3, 4)).astype(np.float32))

    def fn(L, x, t):
        return L.nn.functional.cross_entropy(x, t, label_smoothing=ls)
    same_as_torch(fn, [x, t], grad=[0])

    def module(L, x, t):
        return L.nn.CrossEntropyLoss(label_smoothing=ls, reduction="none")(x, t)
    same_as_torch(module, [x, t], grad=[0])


# --- interpolate: a float16 input is resampled in float32 and rounded once ------------------

HALF_MODES = [("linear", 3, {}), ("bilinear", 4, {}), ("bilinear", 4, dict(align_corners=True)),
              ("bicubic", 4, {}), ("bicubic", 4, dict(align_corners=True)),
              ("trilinear", 5, {}), ("bilinear", 4, dict(antialias=True)),
              ("bicubic", 4, dict(antialias=True)),
              ("nearest", 4, {})]


@pytest.mark.parametrize("mode,ndim,kw", HALF_MODES, ids=[f"{m}-{k}" for m, _, k in HALF_MODES])
@pytest.mark.parametrize("scale", [1.5, 0.6, 1.0])
def test_interpolate_float16_within_an_ulp_of_torch(mode, ndim, kw, scale):
    """Before, bicubic in float16 was up to ten units in the last place from torch's."""
    x = f32(*((1, 2, 5, 6, 7)[:ndim]), scale=2.0).astype(np.float16)

    def fn(L, x):
        return L.nn.functional.interpolate(x, scale_factor=scale, mode=mode, **kw)
    # (torch's float16 antialias has no kernels: an error when the size changes, and no
    # backward when it does not)
    grad = [] if kw.get("antialias") and scale == 1.0 else [0]
    same_as_torch(fn, [x], grad=grad, rtol=1.5e-3, atol=2e-3)


# --- Conv*d._conv_forward and ConvTranspose*d._output_padding: torch's hooks for subclasses --

CONV_FORWARD = [("Conv1d", (2, 3, 3), dict(padding=1, padding_mode="reflect"), (2, 2, 7)),
                ("Conv2d", (2, 4, 3), dict(groups=2, padding="same", padding_mode="circular"),
                 (1, 2, 5, 6)),
                ("Conv2d", (2, 3, (2, 3)), dict(stride=2, dilation=(2, 1)), (2, 2, 7, 6)),
                ("Conv3d", (2, 2, 2), dict(padding=1, padding_mode="replicate"),
                 (1, 2, 3, 4, 3))]


@pytest.mark.parametrize("layer,args,kw,shape", CONV_FORWARD,
                         ids=[f"{c[0]}-{c[2]}" for c in CONV_FORWARD])
def test_conv_forward_with_another_weight_as_torch(layer, args, kw, shape):
    """A weight-standardised convolution, as user code writes it on torch."""
    def fn(L, x):
        L.manual_seed(0)
        conv = getattr(L.nn, layer)(*args, **kw)
        w = conv.weight
        dims = tuple(range(1, w.ndim))
        w = (w - w.mean(dim=dims, keepdim=True)) / (w.std(dim=dims, keepdim=True) + 1e-5)
        return conv._conv_forward(x, w, conv.bias) + 0 * conv.weight.sum()
    same_as_torch(fn, [f32(*shape)], grad=[0])


@pytest.mark.parametrize("output_size", [None, [9, 11], [10, 12], (1, 3, 10, 12), [13, 11]])
def test_conv_transpose_output_padding_as_torch(output_size):
    x = f32(1, 2, 5, 6)

    def fn(L, x):
        ct = L.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
        return ct._output_padding(x, output_size, list(ct.stride), list(ct.padding),
                                  list(ct.kernel_size), 2, list(ct.dilation))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = []
        for L in (torch, tg):
            try:
                outs.append(fn(L, L.tensor(x)))
            except Exception as e:      # noqa: BLE001
                outs.append(type(e))
    assert outs[1] == outs[0] if not isinstance(outs[0], type) else \
        isinstance(outs[1], type) and issubclass(outs[1], outs[0])


def test_conv_padding_attributes_as_torch():
    for kw in (dict(padding=(1, 2)), dict(padding="same"), dict(padding="valid"), {}):
        theirs = torch.nn.Conv2d(2, 3, 3, **kw)._reversed_padding_repeated_twice
        ours = tg.nn.Conv2d(2, 3, 3, **kw)._reversed_padding_repeated_twice
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
    assert tg.nn.UpsamplingNearest2d(scale_factor=2).name == "UpsamplingNearest2d"


# --- losses with a weight of another dtype: class weights must match (indices), probability
# targets promote, binary cross entropy keeps the input's dtype; no float16 margin kernels ----

LOSS_DTYPES = [(xd, wd) for xd in ("float16", "float32", "float64")
               for wd in ("float16", "float32", "float64")]
WEIGHTED = {
    "cross_entropy": lambda L, x, t, p, w: L.nn.functional.cross_entropy(x, t, weight=w),
    "cross_entropy_smoothing": lambda L, x, t, p, w: L.nn.functional.cross_entropy(
        x, t, weight=w, label_smoothing=0.2),
    "cross_entropy_probabilities": lambda L, x, t, p, w: L.nn.functional.cross_entropy(
        x, p.to(x.dtype), weight=w),
    "nll_loss": lambda L, x, t, p, w: L.nn.functional.nll_loss(x, t, weight=w),
    "nll_loss_module": lambda L, x, t, p, w: L.nn.NLLLoss(weight=w)(x, t),
    "multi_margin_loss": lambda L, x, t, p, w: L.nn.functional.multi_margin_loss(x, t, weight=w),
    "multilabel_margin_loss": lambda L, x, t, p, w: L.nn.functional.multilabel_margin_loss(
        x, L.tensor([[0, -1, 1], [1, 2, -1], [2, -1, 0], [1, -1, 2]])),
    "binary_cross_entropy": lambda L, x, t, p, w: L.nn.functional.binary_cross_entropy(
        x.sigmoid(), p.to(x.dtype), weight=w),
    "binary_cross_entropy_module": lambda L, x, t, p, w: L.nn.BCELoss(weight=w)(
        x.sigmoid(), p.to(x.dtype)),
}


@pytest.mark.parametrize("xd,wd", LOSS_DTYPES)
@pytest.mark.parametrize("loss", sorted(WEIGHTED))
def test_loss_weight_dtype_as_torch(loss, xd, wd):
    p = RNG.random((4, 3)).astype(np.float32)
    arrays = [f32(4, 3).astype(xd), np.array([0, 2, 1, 2]), p / p.sum(1, keepdims=True),
              RNG.random(3 if "binary" not in loss else (4, 3)).astype(wd)]
    same_as_torch(lambda L, x, t, p, w: WEIGHTED[loss](L, x, t, p, w), arrays, grad=[0],
                  rtol=2e-3, atol=2e-3)


def test_nll_loss_2d_is_torch_old_name():
    x, t = f32(2, 3, 4, 5), RNG.integers(0, 3, (2, 4, 5))
    t[0, 0, 0] = -100

    def fn(L, x, t):
        return L.nn.NLLLoss2d(weight=L.tensor([1.0, 2.0, 0.5]))(x.log_softmax(1), t)
    same_as_torch(fn, [x, t], grad=[0])
    assert issubclass(tg.nn.NLLLoss2d, tg.nn.NLLLoss)
    assert tg.nn.modules.loss.NLLLoss2d is tg.nn.NLLLoss2d


# --- view of a layer's result: contiguous in torch (a Gram matrix, a flatten), so a view ----

VIEWS = {
    "gram": (lambda L, y: y.view(2 * 8, 8 * 8)),
    "flatten all": (lambda L, y: y.view(-1)),
    "relu then view": (lambda L, y: L.nn.functional.relu(y).view(16, 64)),
    "pool then view": (lambda L, y: L.nn.functional.max_pool2d(y, 2).view(-1)),
    "upsample then view": (lambda L, y: L.nn.functional.interpolate(y, scale_factor=2,
                                                                    mode="bilinear").view(2, 8, -1)),
    "reflect pad then view": (lambda L, y: L.nn.functional.pad(y, (1, 1, 1, 1),
                                                               mode="reflect").view(-1, 10)),
    "transposed view": (lambda L, y: y.transpose(1, 2).view(-1)),      # torch's error
}


@pytest.mark.parametrize("case", sorted(VIEWS))
def test_view_of_convolution_results_as_torch(case):
    def fn(L, x):
        L.manual_seed(0)
        return VIEWS[case](L, L.nn.Conv2d(3, 8, 3, padding=1)(x))
    same_as_torch(fn, [f32(2, 3, 8, 8)], grad=[0])


WRITES = {
    "add_": lambda v: v.add_(1.0),
    "setitem": lambda v: v.__setitem__(0, 5.0),
    "a slice's zero_": lambda v: v[0:3].zero_(),
    "a view's fill_": lambda v: v.view(2, -1).fill_(1.0),
}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("grad", [True, False])
def test_a_view_made_as_a_copy_refuses_writes(write, grad):
    """Where view() has to copy (the layer's result in the library's own memory order), a
    write into it or into a view of it would not reach the layer's result as torch's does: it
    is refused, loudly; reading it is the view's values."""
    tg.manual_seed(0)
    with tg.set_grad_enabled(grad):
        y = tg.nn.Conv2d(1, 2, 3)(tg.randn(2, 1, 5, 5))
        v = y.view(-1)
        if np.shares_memory(v.array, y.array):
            pytest.skip("a real view here")
        with pytest.raises(RuntimeError, match="made as a copy"):
            WRITES[write](v)
        np.testing.assert_array_equal(v.detach().numpy(), y.detach().reshape(-1).numpy())
        w = v * 2                                      # out of place: fine
        assert w.shape == (36,)


BASE_WRITES = {
    "add_": lambda y: y.add_(1.0),
    "setitem": lambda y: y.__setitem__(0, 5.0),
    "relu inplace": lambda y: y.relu_(),
    "through .data": lambda y: y.data.fill_(0.0),
    "through detach()": lambda y: y.detach().mul_(2.0),
    "out=": lambda y: (torch if isinstance(y, torch.Tensor) else tg).add(y, 1.0, out=y),
}


@pytest.mark.parametrize("write", sorted(BASE_WRITES))
def test_the_tensor_of_a_view_made_as_a_copy_refuses_writes_while_the_copy_lives(write):
    """The other direction: torch's view sees a later write into the layer's result; the copy
    here would not (a silently stale view), so the write is refused while the copy lives, and
    made as torch's once it is gone (the values then torch's)."""
    results = {}
    for L in (torch, tg):
        L.manual_seed(0)
        conv = L.nn.Conv2d(1, 2, 3)
        with L.no_grad():
            conv.weight.copy_(L.tensor(np.linspace(-1, 1, 18, dtype=np.float32)
                                       .reshape(2, 1, 3, 3)))
            y = conv(L.tensor(np.linspace(0, 1, 50, dtype=np.float32).reshape(2, 1, 5, 5)))
            v = y.view(-1)
            if L is tg and not np.shares_memory(v.array, y.array):
                with pytest.raises(RuntimeError,
                                   match="as_strided or storage\\(\\) that had to be made as "
                                         "a copy"):
                    BASE_WRITES[write](y)
                with pytest.raises(ValueError, match="read-only"):
                    y.numpy()[0, 0, 0, 0] = 1.0
            del v
            BASE_WRITES[write](y)
            results[L] = y.numpy().copy()
    np.testing.assert_allclose(results[tg], results[torch], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("write", sorted(BASE_WRITES))
@pytest.mark.parametrize("side", ["result", "contiguous()"])
def test_contiguous_of_a_result_in_library_order_refuses_writes_while_both_live(write, side):
    """torch's ``y.contiguous()`` of a convolution's result is ``y`` itself (one memory);
    here a copy: a write into either would silently miss the other, so it is refused while
    both live, and made as torch's once the other is gone."""
    results = {}
    for L in (torch, tg):
        L.manual_seed(0)
        conv = L.nn.Conv2d(1, 2, 3)
        with L.no_grad():
            y = conv(L.tensor(np.linspace(0, 1, 50, dtype=np.float32).reshape(2, 1, 5, 5)))
            z = y.contiguous()
            target, other = (y, z) if side == "result" else (z, y)
            if L is tg and z is not y:
                with pytest.raises(RuntimeError, match="storage\\(\\) that had to be made"):
                    BASE_WRITES[write](target)
            del y, z, other
            BASE_WRITES[write](target)
            results[L] = target.numpy().copy()
    np.testing.assert_allclose(results[tg], results[torch], rtol=1e-6, atol=1e-6)


# --- interpolate's size may hold 0-d integer tensors, as torch's ---------------------------

@pytest.mark.parametrize("size", ["tuple of 0-d", "0-d", "1-d tensor", "tuple of 0-d float"])
def test_interpolate_size_of_tensors_as_torch(size):
    def fn(L, x):
        s = {"tuple of 0-d": (L.tensor(6), L.tensor(7)), "0-d": L.tensor(6),
             "1-d tensor": L.tensor([6, 7]), "tuple of 0-d float": (L.tensor(6.0), 7)}[size]
        return L.nn.functional.interpolate(x, size=s, mode="bilinear")
    same_as_torch(fn, [f32(1, 2, 4, 5)], grad=[0])


@pytest.mark.parametrize("target", [[1.0], [-1.0], [1.0, -1.0, 1.0, -1.0], [1.0, -1.0, 1.0]])
def test_cosine_embedding_loss_broadcasts_one_target_as_torch(target):
    def fn(L, a, b, t):
        return L.nn.functional.cosine_embedding_loss(a, b, t, margin=0.1, reduction="none")
    same_as_torch(fn, [f32(4, 3), f32(4, 3), np.array(target, np.float32)], grad=[0, 1])
