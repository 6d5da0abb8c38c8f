"""Integer convolutions, losses of integer inputs, and module leftovers — each case against
torch itself (its value and dtype, or its error class and message):

* convolutions of integer tensors: torch computes conv1d/2d/3d for every integer dtype but bool,
  exactly (integer sums wrap around on overflow), and its dilated and transposed convolutions
  for int64 only; its NotImplementedError (after its shape checks) for the others, and its
  words for an input, weight and bias of different dtypes — which, for float32, depend on
  whether torch hands the convolution to oneDNN (its own size rule);
* the losses on integer and bool inputs: those torch composes of elementwise operations compute
  (margin ranking, cosine embedding, triplet, Poisson: a float loss; hinge embedding: one of
  the input's dtype), the others raise torch's error;
* batch norm of a 1-D or 0-D input (torch: no channel dim, 0 channels), the rank errors of
  max_pool2d/max_pool3d/avg_pool3d, nll_loss's target-shape errors, and nll_loss of a (C,)
  input with a target of shape (1,), whose forward torch computes and whose backward it
  refuses."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

RNG = np.random.default_rng(36)
INTS = ["int8", "int16", "int32", "int64", "uint8"]


def _outcome(call, lib):
    """("ok", dtype name, array) or ("raised", exception)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            y = call(lib)
        except Exception as e:          # noqa: BLE001 (the comparison is the test)
            return "raised", e
    return "ok", str(y.dtype).split(".")[-1], np.asarray(y.detach().numpy())


def _same_as_torch(call, exact=True, contains=False):
    """Ours does what torch does: the same dtype, shape and values (``exact``: bit for bit,
    else to 1e-6), or an error of torch's class (or a subclass) with torch's message (or,
    ``contains``, a message that holds torch's: the library's own words around it)."""
    theirs, ours = _outcome(call, torch), _outcome(call, tg)
    if theirs[0] == "raised":
        assert ours[0] == "raised", f"torch raised {theirs[1]!r}; we returned {ours}"
        assert isinstance(ours[1], type(theirs[1])), (ours[1], theirs[1])
        if contains:
            assert str(theirs[1]) in str(ours[1])
        else:
            assert str(ours[1]) == str(theirs[1])
        return theirs
    assert ours[0] == "ok", f"torch returned {theirs}; we raised {ours[1]!r}"
    assert ours[1] == theirs[1], (ours[1], theirs[1])
    assert ours[2].shape == theirs[2].shape, (ours[2].shape, theirs[2].shape)
    if exact:
        np.testing.assert_array_equal(ours[2], theirs[2])
    else:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6, atol=1e-7, equal_nan=True)
    return theirs


def _full_range(dtype, shape):
    info = np.iinfo(dtype)
    return RNG.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)


# ===================================================================== integer convolutions
# (name, input shape, weight shape, keyword arguments): strides, padding (ints, tuples,
# 'same', 'valid'), dilation, groups, unbatched inputs, output_padding
CONV_CASES = [
    ("conv1d", (2, 4, 9), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    ("conv1d", (4, 9), (6, 4, 3), dict(padding="same")),
    ("conv1d", (2, 4, 9), (6, 4, 3), dict(padding=2, dilation=2)),
    ("conv2d", (2, 4, 7, 6), (8, 1, 3, 2), dict(stride=(2, 1), padding=(1, 2), groups=4)),
    ("conv2d", (3, 6, 5), (2, 3, 2, 2), dict(padding="same")),
    ("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), dict(padding="valid", stride=3)),
    ("conv2d", (2, 3, 7, 7), (4, 3, 3, 2), dict(dilation=(2, 1), padding=1)),
    ("conv3d", (2, 4, 5, 4, 6), (6, 2, 2, 3, 2), dict(stride=(2, 1, 2), padding=1, groups=2)),
    ("conv3d", (3, 4, 4, 4), (2, 3, 2, 2, 2), dict(padding="same")),
    ("conv3d", (1, 2, 5, 5, 5), (2, 2, 2, 2, 2), dict(dilation=2)),
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), dict(stride=2, padding=1, output_padding=1,
                                                    groups=2)),
    ("conv_transpose2d", (2, 4, 5, 4), (4, 2, 3, 2), dict(stride=(2, 3), padding=(1, 0),
                                                          output_padding=(1, 2), groups=2,
                                                          dilation=(1, 2))),
    ("conv_transpose2d", (4, 3, 3), (4, 2, 2, 2), {}),
    ("conv_transpose3d", (2, 2, 3, 4, 3), (2, 3, 2, 3, 2), dict(stride=2, padding=(1, 0, 1),
                                                                output_padding=(1, 0, 1),
                                                                dilation=(1, 2, 1))),
]


def _out_channels(name, w_shape, kwargs):
    return w_shape[1] * kwargs.get("groups", 1) if "transpose" in name else w_shape[0]


@pytest.mark.parametrize("bias", [False, True], ids=["no_bias", "bias"])
@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", CONV_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CONV_CASES)])
def test_integer_convolution_as_torch(name, x_shape, w_shape, kwargs, dtype, bias):
    """Values drawn over the dtype's whole range, so that the sums overflow: torch's wrapped
    integers exactly, in the input's dtype — or, where torch has no kernel (transposed or
    dilated, not int64), its NotImplementedError and words."""
    x, w = _full_range(dtype, x_shape), _full_range(dtype, w_shape)
    b = _full_range(dtype, (_out_channels(name, w_shape, kwargs),)) if bias else None

    def call(L):
        return getattr(L.nn.functional, name)(
            L.tensor(x), L.tensor(w), None if b is None else L.tensor(b), **kwargs)
    _same_as_torch(call)


def test_integer_convolution_wraps_as_torch():
    """Sums past the dtype's range wrap around (int8 100·100·8 = 80000 ≡ −128)."""
    for L in (tg, torch):
        y = L.nn.functional.conv2d(L.full((1, 2, 3, 3), 100, dtype=L.int8),
                                   L.full((1, 2, 2, 2), 100, dtype=L.int8))
        assert str(y.dtype).split(".")[-1] == "int8"
        np.testing.assert_array_equal(y.numpy(), np.full((1, 1, 2, 2), -128, np.int8))


MIXED_DTYPES = ["float32", "float64", "int8", "int64", "uint8", "bool"]
CONVS = [f"{kind}{d}d" for kind in ("conv", "conv_transpose") for d in (1, 2, 3)]


@pytest.mark.parametrize("name", CONVS)
@pytest.mark.parametrize("x", MIXED_DTYPES)
def test_conv_dtype_combinations_as_torch(name, x):
    """Every input, weight and bias dtype (and no bias), small shapes (one sample: torch's
    native kernels, not oneDNN): torch's numbers, or its error and words — bool refused,
    a transposed convolution refusing all but int64, the bias checked first or last."""
    d = int(name[-2])
    w_shape = ((2, 3) if "transpose" in name else (3, 2)) + (2,) * d
    for w, b in itertools.product(MIXED_DTYPES, [None] + MIXED_DTYPES):
        def call(L, w=w, b=b):
            return getattr(L.nn.functional, name)(
                L.ones(1, 2, *(3,) * d, dtype=getattr(L, x)),
                L.ones(*w_shape, dtype=getattr(L, w)),
                None if b is None else L.ones(3, dtype=getattr(L, b)))
        _same_as_torch(call)


# float32 with a float64 weight: oneDNN's words or the native kernels', by torch's size rule
ONEDNN_CASES = [
    ("conv2d", (1, 2, 5, 5), (3, 2, 2, 2), {}),                    # one small sample: native
    ("conv2d", (2, 2, 5, 5), (3, 2, 2, 2), {}),                    # two samples: oneDNN
    ("conv2d", (1, 2, 8, 8), (3, 2, 4, 4), {}),                    # a kernel over 3×3: oneDNN
    ("conv2d", (1, 2, 8, 8), (2, 1, 2, 2), dict(groups=2)),        # groups: oneDNN
    ("conv2d", (1, 2, 110, 110), (3, 2, 2, 2), {}),                # > 20480 numbers: oneDNN
    ("conv1d", (1, 2, 30), (3, 2, 5), {}),                         # 1-D: height 1, native
    ("conv3d", (1, 2, 6, 6, 6), (3, 2, 4, 4, 4), {}),
    ("conv_transpose2d", (2, 2, 5, 5), (2, 3, 2, 2), dict(stride=2, output_padding=1)),
    ("conv_transpose2d", (2, 2, 5, 5), (2, 3, 2, 2), dict(stride=1, output_padding=0)),
    ("conv_transpose2d", (2, 2, 5, 5), (2, 3, 2, 2), dict(stride=2, output_padding=2,
                                                          dilation=3)),
]


@pytest.mark.parametrize("other", ["weight", "bias"])
@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", ONEDNN_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ONEDNN_CASES)])
def test_float32_mixed_dtype_words_follow_torchs_onednn_rule(name, x_shape, w_shape, kwargs,
                                                               other):
    """A float32 input with a float64 weight (or bias): torch's words depend on its backend —
    and a small transposed convolution adds a bias of another dtype (torch's numbers)."""
    def call(L):
        w_dtype = L.float64 if other == "weight" else L.float32
        b = L.ones(_out_channels(name, w_shape, kwargs), dtype=L.float64)
        return getattr(L.nn.functional, name)(L.ones(*x_shape), L.ones(*w_shape, dtype=w_dtype),
                                              b if other == "bias" else None, **kwargs)
    _same_as_torch(call, exact=False)


@pytest.mark.parametrize("name", ["conv_transpose1d", "conv_transpose2d"])
def test_small_float32_transposed_convolution_adds_a_float64_bias_as_torch(name):
    """One small float32 sample (torch's native kernel, not oneDNN) with a float64 bias:
    torch adds it in float32 — its numbers, and gradients of each input's dtype."""
    d = int(name[-2])
    out = []
    for L in (tg, torch):
        x = L.ones(1, 2, *(4,) * d, requires_grad=True)
        w = L.ones(2, 3, *(2,) * d, requires_grad=True)
        b = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        y = getattr(L.nn.functional, name)(x, w, b)
        (y * L.arange(y.numel()).reshape(y.shape).float()).sum().backward()
        out.append([(str(t.dtype).split(".")[-1], t.detach().numpy())
                    for t in (y, x.grad, w.grad, b.grad)])
    for (ours_dtype, ours), (their_dtype, theirs) in zip(*out):
        assert ours_dtype == their_dtype
        np.testing.assert_array_equal(ours, theirs)


REFUSED_EMPTY = [("conv2d", "bool", {}), ("conv3d", "bool", {}), ("conv2d", "int8",
                 dict(dilation=2)), ("conv_transpose2d", "int8", {}),
                 ("conv_transpose1d", "uint8", {}), ("conv_transpose3d", "int32", {})]


@pytest.mark.parametrize("name, dtype, kwargs", REFUSED_EMPTY, ids=str)
def test_an_empty_batch_of_a_refused_dtype_is_an_empty_result(name, dtype, kwargs):
    """torch returns the empty result of an empty batch before its dtype refusal."""
    d = int(name[-2])
    w_shape = ((2, 3) if "transpose" in name else (3, 2)) + (2,) * d

    def call(L):
        return getattr(L.nn.functional, name)(L.ones(0, 2, *(5,) * d, dtype=getattr(L, dtype)),
                                              L.ones(*w_shape, dtype=getattr(L, dtype)),
                                              **kwargs)
    _same_as_torch(call)


def test_shape_errors_come_before_the_dtype_refusal():
    """A bool convolution whose channels do not fit: torch's RuntimeError about the shapes,
    not its NotImplementedError about bool (the words differ: ours name the op)."""
    for name, w_shape in (("conv2d", (3, 3, 2, 2)), ("conv_transpose2d", (3, 3, 2, 2)),
                          ("conv2d", (3, 2, 5, 5))):
        for L in (tg, torch):
            with pytest.raises(RuntimeError) as info:
                getattr(L.nn.functional, name)(L.ones(1, 2, 4, 4, dtype=L.bool),
                                               L.ones(*w_shape, dtype=L.bool))
            assert not isinstance(info.value, NotImplementedError)


def test_integer_convolutions_never_require_grad():
    """Integer tensors cannot require grad (torch's RuntimeError, also for an integer layer);
    an integer convolution's result has no graph."""
    for L in (tg, torch):
        with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex "
                                               "dtype can require gradients"):
            L.ones(2, dtype=L.int64, requires_grad=True)
        with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex "
                                               "dtype can require gradients"):
            L.nn.Conv2d(2, 3, 2, dtype=L.int64)
        y = L.nn.functional.conv2d(L.ones(1, 2, 4, 4, dtype=L.int64),
                                   L.ones(3, 2, 2, 2, dtype=L.int64))
        assert not y.requires_grad and y.grad_fn is None


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("dtype", ["int8", "int64", "uint8"])
def test_padding_modes_then_an_integer_convolution(mode, dtype):
    """What a padding_mode layer does, by hand (torch makes no integer layers): pad, then
    convolve — torch's numbers."""
    x, w = _full_range(dtype, (2, 3, 5, 6)), _full_range(dtype, (4, 3, 3, 3))

    def call(L):
        F = L.nn.functional
        return F.conv2d(F.pad(L.tensor(x), (1, 1, 2, 2), mode=mode), L.tensor(w), stride=2)
    _same_as_torch(call)


# ===================================================================== losses of integers
A = [[1, -2, 3], [0, 4, -1]]
B = [[2, 0, 3], [1, -1, 5]]
P = [[1, 0, 1], [0, 1, 1]]
PM = [[1, -1, 1], [-1, 1, 1]]


def _t(L, values, dtype):
    return L.tensor(values, dtype=getattr(L, dtype))


def _F(L):
    return L.nn.functional


# name -> call(L, dtype): every tensor argument of ``dtype`` unless named otherwise
LOSSES = {
    "l1_loss mean": lambda L, d: _F(L).l1_loss(_t(L, A, d), _t(L, B, d)),
    "l1_loss none": lambda L, d: _F(L).l1_loss(_t(L, A, d), _t(L, B, d), reduction="none"),
    "l1_loss sum": lambda L, d: _F(L).l1_loss(_t(L, A, d), _t(L, B, d), reduction="sum"),
    "mse_loss": lambda L, d: _F(L).mse_loss(_t(L, A, d), _t(L, B, d)),
    "smooth_l1_loss": lambda L, d: _F(L).smooth_l1_loss(_t(L, A, d), _t(L, B, d)),
    "huber_loss": lambda L, d: _F(L).huber_loss(_t(L, A, d), _t(L, B, d)),
    "soft_margin_loss": lambda L, d: _F(L).soft_margin_loss(_t(L, A, d), _t(L, B, d)),
    "soft_margin_loss float target": lambda L, d: _F(L).soft_margin_loss(
        _t(L, A, d), _t(L, B, "float64")),
    "soft_margin_loss float input": lambda L, d: _F(L).soft_margin_loss(
        _t(L, A, "float32"), _t(L, B, d)),
    "margin_ranking_loss": lambda L, d: _F(L).margin_ranking_loss(
        _t(L, A, d), _t(L, B, d), _t(L, PM, d)),
    "margin_ranking_loss none": lambda L, d: _F(L).margin_ranking_loss(
        _t(L, A, d), _t(L, B, d), _t(L, PM, d), reduction="none"),
    "margin_ranking_loss int margin": lambda L, d: _F(L).margin_ranking_loss(
        _t(L, A, d), _t(L, B, d), _t(L, PM, d), margin=1, reduction="sum"),
    "margin_ranking_loss margin 1.5": lambda L, d: _F(L).margin_ranking_loss(
        _t(L, A, d), _t(L, B, d), _t(L, PM, "int64"), margin=1.5, reduction="none"),
    "hinge_embedding_loss mean": lambda L, d: _F(L).hinge_embedding_loss(
        _t(L, A, d), _t(L, PM, d)),
    "hinge_embedding_loss none": lambda L, d: _F(L).hinge_embedding_loss(
        _t(L, A, d), _t(L, PM, d), reduction="none"),
    "hinge_embedding_loss sum": lambda L, d: _F(L).hinge_embedding_loss(
        _t(L, A, d), _t(L, PM, d), reduction="sum"),
    "hinge_embedding_loss margin 1.5": lambda L, d: _F(L).hinge_embedding_loss(
        _t(L, A, d), _t(L, PM, "int64"), margin=1.5, reduction="none"),
    "hinge_embedding_loss margin -0.5": lambda L, d: _F(L).hinge_embedding_loss(
        _t(L, A, d), _t(L, PM, "float32"), margin=-0.5, reduction="none"),
    "hinge_embedding_loss broadcast target": lambda L, d: _F(L).hinge_embedding_loss(
        _t(L, A, d), _t(L, [1, -1, 1], "int64"), reduction="none"),
    "kl_div": lambda L, d: _F(L).kl_div(_t(L, A, d), _t(L, P, d), reduction="batchmean"),
    "kl_div float input": lambda L, d: _F(L).kl_div(_t(L, A, "float32"), _t(L, P, d),
                                                    reduction="sum"),
    "poisson_nll_loss": lambda L, d: _F(L).poisson_nll_loss(_t(L, A, d), _t(L, P, d)),
    "poisson_nll_loss no log": lambda L, d: _F(L).poisson_nll_loss(
        _t(L, P, d), _t(L, P, d), log_input=False),
    "poisson_nll_loss full": lambda L, d: _F(L).poisson_nll_loss(
        _t(L, A, d), _t(L, [[3, 0, 2], [1, 5, 2]], d), full=True, reduction="none"),
    "poisson_nll_loss float64 target": lambda L, d: _F(L).poisson_nll_loss(
        _t(L, A, d), _t(L, A, "float64"), reduction="none"),
    "gaussian_nll_loss": lambda L, d: _F(L).gaussian_nll_loss(
        _t(L, A, d), _t(L, B, d), _t(L, [[1, 2, 3], [4, 1, 1]], d)),
    "gaussian_nll_loss float var": lambda L, d: _F(L).gaussian_nll_loss(
        _t(L, A, d), _t(L, B, d), 0.5),
    "gaussian_nll_loss float tensor var": lambda L, d: _F(L).gaussian_nll_loss(
        _t(L, A, d), _t(L, B, d), L.ones(2, 3)),
    "gaussian_nll_loss integer var": lambda L, d: _F(L).gaussian_nll_loss(
        _t(L, A, "float32"), _t(L, B, "float32"), _t(L, [[1, 2, 3], [4, 1, 1]], d)),
    "binary_cross_entropy": lambda L, d: _F(L).binary_cross_entropy(_t(L, P, d), _t(L, P, d)),
    "binary_cross_entropy float target": lambda L, d: _F(L).binary_cross_entropy(
        _t(L, P, d), _t(L, P, "float32")),
    "binary_cross_entropy integer target": lambda L, d: _F(L).binary_cross_entropy(
        _t(L, [[0.5, 0.2, 0.1], [0.3, 0.3, 0.9]], "float32"), _t(L, P, d)),
    "binary_cross_entropy_with_logits": lambda L, d: _F(L).binary_cross_entropy_with_logits(
        _t(L, A, d), _t(L, P, d)),
    "binary_cross_entropy_with_logits float target": lambda L, d: (
        _F(L).binary_cross_entropy_with_logits(_t(L, A, d), _t(L, P, "float32"),
                                               pos_weight=L.ones(3))),
    "cosine_embedding_loss": lambda L, d: _F(L).cosine_embedding_loss(
        _t(L, A, d), _t(L, B, d), _t(L, [1, -1], d)),
    "cosine_embedding_loss none": lambda L, d: _F(L).cosine_embedding_loss(
        _t(L, A, d), _t(L, B, d), _t(L, [1, -1], d), reduction="none"),
    "cosine_embedding_loss 1-D": lambda L, d: _F(L).cosine_embedding_loss(
        _t(L, [1, 0, 1], d), _t(L, [1, 1, 1], d), _t(L, 1, "int64")),
    "triplet_margin_loss": lambda L, d: _F(L).triplet_margin_loss(
        _t(L, A, d), _t(L, B, d), _t(L, P, d)),
    "triplet_margin_loss p=1 swap": lambda L, d: _F(L).triplet_margin_loss(
        _t(L, A, d), _t(L, B, d), _t(L, P, d), p=1, swap=True, reduction="none"),
    "triplet_margin_with_distance_loss": lambda L, d: _F(L).triplet_margin_with_distance_loss(
        _t(L, A, d), _t(L, B, d), _t(L, P, d)),
    "multi_margin_loss": lambda L, d: _F(L).multi_margin_loss(_t(L, A, d),
                                                              _t(L, [0, 2], "int64")),
    "multi_margin_loss int32 target": lambda L, d: _F(L).multi_margin_loss(
        _t(L, A, d), _t(L, [0, 2], "int32")),
    "multilabel_margin_loss": lambda L, d: _F(L).multilabel_margin_loss(
        _t(L, A, d), _t(L, [[0, 2, -1], [1, -1, 0]], "int64")),
    "multilabel_soft_margin_loss": lambda L, d: _F(L).multilabel_soft_margin_loss(
        _t(L, A, d), _t(L, P, d)),
    "nll_loss": lambda L, d: _F(L).nll_loss(_t(L, A, d), _t(L, [0, 2], "int64")),
    "nll_loss 1-D": lambda L, d: _F(L).nll_loss(_t(L, [1, 2, 3], d), _t(L, 1, "int64")),
    "nll_loss 3-D": lambda L, d: _F(L).nll_loss(_t(L, [[[1, 2], [3, 4]]], d),
                                                _t(L, [[1, 0]], "int64")),
    "nll_loss 4-D": lambda L, d: _F(L).nll_loss(L.ones(1, 2, 2, 2, dtype=getattr(L, d)),
                                                L.zeros(1, 2, 2, dtype=L.int64)),
    "nll_loss target out of range": lambda L, d: _F(L).nll_loss(_t(L, A, d),
                                                                _t(L, [0, 5], "int64")),
    "cross_entropy": lambda L, d: _F(L).cross_entropy(_t(L, A, d), _t(L, [0, 2], "int64")),
    "cross_entropy 4-D": lambda L, d: _F(L).cross_entropy(
        L.ones(1, 2, 2, 2, dtype=getattr(L, d)), L.zeros(1, 2, 2, dtype=L.int64)),
    "cross_entropy probabilities": lambda L, d: _F(L).cross_entropy(_t(L, A, d), _t(L, P, d)),
    "cross_entropy float probabilities": lambda L, d: _F(L).cross_entropy(
        _t(L, A, d), _t(L, P, "float32")),
    "cross_entropy int32 target": lambda L, d: _F(L).cross_entropy(
        _t(L, A, d), _t(L, [0, 1], "int32")),
    "mse_loss integer and float": lambda L, d: _F(L).mse_loss(_t(L, A, d), _t(L, B, "float32")),
    "l1_loss float and integer": lambda L, d: _F(L).l1_loss(_t(L, A, "float64"), _t(L, B, d)),
}
LOSS_DTYPES = ["int64", "int32", "int8", "uint8", "bool"]


@pytest.mark.parametrize("dtype", LOSS_DTYPES)
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_of_integer_inputs_as_torch(name, dtype):
    """torch's value and dtype (a float loss for the losses made of float operations, the
    input's dtype for the hinge embedding and L1 losses, wrapped as torch's), or its error
    class and words (no kernel for the dtype, a float result that an in-place step cannot
    cast back, bool arithmetic)."""
    _same_as_torch(lambda L: LOSSES[name](L, dtype), exact=False)


# ===================================================================== batch norm, no channel dim
def _batch_norm_cases():
    cases = []
    for shape, fn, training, running, weight, bias in itertools.product(
            [(3,), (1,), ()], ["F", "native"], [True, False], [None, 3, 1, 0], [None, 3, 0],
            [None, 2]):
        if shape == () and running in (None, 0) and weight in (None, 0) and bias is None and \
                not (fn == "F" and training):
            continue        # (torch: an internal "SmallVector unable to grow" RuntimeError)
        cases.append((shape, fn, training, running, weight, bias))
    return cases


@pytest.mark.parametrize("shape, fn, training, running, weight, bias", _batch_norm_cases(),
                         ids=str)
def test_batch_norm_without_a_channel_dim_as_torch(shape, fn, training, running, weight, bias):
    """A 1-D or 0-D input has, for torch, 0 channels: each running statistic must be defined
    in evaluation mode and, as weight and bias, have 0 elements (torch's RuntimeError and
    words, in its order); then its IndexError (or, for a (1,) input in training, F's
    ValueError first)."""
    def call(L):
        x = L.ones(shape)
        rm = None if running is None else L.zeros(running)
        rv = None if running is None else L.ones(running)
        w = None if weight is None else L.ones(weight)
        b = None if bias is None else L.zeros(bias)
        if fn == "F":
            return L.nn.functional.batch_norm(x, rm, rv, w, b, training=training)
        return L.batch_norm(x, w, b, rm, rv, training, 0.1, 1e-5, False)
    _same_as_torch(call)


BATCH_NORM_MORE = {
    "eval, running_var only": lambda L: L.nn.functional.batch_norm(L.ones(3), None, L.ones(3)),
    "eval, running_mean only": lambda L: L.nn.functional.batch_norm(L.ones(3), L.ones(3), None),
    "training, running_var only": lambda L: L.nn.functional.batch_norm(
        L.ones(3), None, L.ones(3), training=True),
    "2-D eval, no statistics, bad weight": lambda L: L.nn.functional.batch_norm(
        L.ones(2, 3), None, None, L.ones(2)),
    "2-D bad running_mean and weight": lambda L: L.nn.functional.batch_norm(
        L.ones(2, 3), L.ones(2), L.ones(3), L.ones(2)),
    "2-D bad bias": lambda L: L.nn.functional.batch_norm(
        L.ones(2, 3), L.ones(3), L.ones(3), L.ones(3), L.ones(2)),
    "2-D training, running_var only": lambda L: L.nn.functional.batch_norm(
        L.ones(2, 3), None, L.ones(3), training=True),
    "int64 1-D": lambda L: L.nn.functional.batch_norm(L.ones(3, dtype=L.int64), L.ones(3),
                                                      L.ones(3)),
    "int64 2-D, bad running_mean": lambda L: L.nn.functional.batch_norm(
        L.ones(2, 3, dtype=L.int64), L.ones(2), L.ones(3)),
    "int64 2-D": lambda L: L.nn.functional.batch_norm(L.ones(2, 3, dtype=L.int64), L.ones(3),
                                                      L.ones(3)),
    "int64 empty batch": lambda L: L.nn.functional.batch_norm(L.ones(0, 3, dtype=L.int64),
                                                              L.ones(3), L.ones(3)),
    "bool 1-D, 0-element statistics": lambda L: L.nn.functional.batch_norm(
        L.ones(3, dtype=L.bool), L.ones(0), L.ones(0)),
    "BatchNorm1d of 1-D": lambda L: L.nn.BatchNorm1d(3)(L.ones(3)),
    "BatchNorm1d of 0-D": lambda L: L.nn.BatchNorm1d(3)(L.tensor(1.0)),
    "BatchNorm1d eval of 1-D": lambda L: L.nn.BatchNorm1d(3).eval()(L.ones(3)),
    "BatchNorm2d of 1-D": lambda L: L.nn.BatchNorm2d(3)(L.ones(3)),
}


@pytest.mark.parametrize("name", list(BATCH_NORM_MORE))
def test_batch_norm_checks_in_torchs_order(name):
    _same_as_torch(BATCH_NORM_MORE[name])


# ===================================================================== pooling ranks
POOL_RANKS = [(op, shape) for op, shapes in (
    ("max_pool2d", [(4,), (4, 4), (1, 2, 4, 4, 4), (2, 1, 1, 4, 4, 4)]),
    ("max_pool3d", [(4,), (4, 4), (2, 4, 4), (1, 1, 1, 4, 4, 4)]),
    ("avg_pool3d", [(4, 4), (2, 4, 4), (1, 1, 1, 4, 4, 4)])) for shape in shapes]


@pytest.mark.parametrize("module", [False, True], ids=["functional", "module"])
@pytest.mark.parametrize("op, shape", POOL_RANKS, ids=str)
def test_pooling_of_the_wrong_rank_has_torchs_words(op, shape, module):
    """max_pool2d of a 2-D or 5-D input (and max/avg_pool3d of the wrong rank): torch's
    RuntimeError and its words — also for a bool input, whose dtype it refuses later."""
    def call(L, dtype=None):
        x = L.ones(shape, dtype=dtype or L.float32)
        if module:
            cls = {"max_pool2d": L.nn.MaxPool2d, "max_pool3d": L.nn.MaxPool3d,
                   "avg_pool3d": L.nn.AvgPool3d}[op]
            return cls(2)(x)
        return getattr(L.nn.functional, op)(x, 2)
    _same_as_torch(call)
    _same_as_torch(lambda L: call(L, L.bool))


def test_max_pool2d_return_indices_of_a_2d_input_has_torchs_words():
    _same_as_torch(lambda L: L.nn.MaxPool2d(2, return_indices=True)(L.ones(4, 4))[0])


# ===================================================================== nll_loss target shapes
TARGET_SHAPES = [((2, 3, 4), (2,)), ((2, 3, 4), (2, 5)), ((2, 3, 4), (2, 4, 1)),
                 ((2, 3, 4), (3, 4)), ((2, 3, 4, 5), (2, 4)), ((2, 3, 4, 5), (2, 4, 6)),
                 ((2, 3, 4, 5), (2, 4, 5, 1)), ((2, 3, 4, 5, 6), (2, 4, 5)),
                 ((2, 3), (2, 1)), ((2, 3), ()), ((3,), (2,)), ((3,), (0,)), ((3,), (1, 1)),
                 ((2, 3, 4), (2, 4))]


@pytest.mark.parametrize("target_dtype", ["int64", "int32"])
@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("x_shape, t_shape", TARGET_SHAPES, ids=str)
def test_class_index_target_shape_errors_as_torch(x_shape, t_shape, loss, target_dtype):
    """A class-index target whose shape does not fit the input's (extra dims): torch's error
    class and words, checked before or after the target's dtype as torch does (an int32
    target's message holds torch's in the library's longer one)."""
    def call(L):
        return getattr(L.nn.functional, loss)(L.zeros(x_shape),
                                              L.zeros(t_shape, dtype=getattr(L, target_dtype)),
                                              reduction="none")
    _same_as_torch(call, contains=True)


# ===================================================================== (C,) input, (1,) target
ONE_OF_ONE = [(loss, red, extra) for loss in ("nll_loss", "cross_entropy")
              for red in ("mean", "sum", "none")
              for extra in ({}, {"weight": [1.0, 2.0, 3.0]}, {"ignore_index": 1},
                            {"target": [5]})]


@pytest.mark.parametrize("loss, reduction, extra", ONE_OF_ONE, ids=str)
def test_unbatched_input_with_a_target_of_shape_1(loss, reduction, extra):
    """torch reads a (1,) target of a (C,) input as its one element: the forward is that of
    the 0-D target (a 0-D loss, weights, ignore_index, torch's IndexError out of range) ..."""
    def call(L):
        kw = dict(extra)
        target = L.tensor(kw.pop("target", [1]))
        if "weight" in kw:
            kw["weight"] = L.tensor(kw["weight"])
        return getattr(L.nn.functional, loss)(L.tensor([-1.0, -2.0, -3.0]), target,
                                              reduction=reduction, **kw)
    if "target" in extra:       # (out of range: torch's IndexError, ours in more words)
        for L in (tg, torch):
            with pytest.raises(IndexError, match="Target 5 is out of bounds"):
                call(L)
        return
    _same_as_torch(call, exact=False)


@pytest.mark.parametrize("how", ["backward", "grad", "grad create_graph"])
@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
def test_unbatched_input_with_a_target_of_shape_1_refuses_the_backward(loss, how):
    """... and its backward is torch's RuntimeError "size mismatch (got input: [3], target:
    [1])" — but with one class (nothing mismatched) the gradient is torch's."""
    for L in (tg, torch):
        x = L.tensor([-1.0, -2.0, -3.0], requires_grad=True)
        y = getattr(L.nn.functional, loss)(x, L.tensor([1]))
        assert tuple(y.shape) == ()
        with pytest.raises(RuntimeError) as info:
            if how == "backward":
                y.backward()
            else:
                L.autograd.grad(y, x, create_graph=how.endswith("create_graph"))
        assert str(info.value) == "size mismatch (got input: [3], target: [1])"

    def one_class(L):        # (cross_entropy: torch reads a target of the input's shape as
        x = L.tensor([-1.5], requires_grad=True)     # probabilities, and refuses an int64 one)
        getattr(L.nn.functional, loss)(x, L.tensor([0])).backward()
        return x.grad
    _same_as_torch(one_class)


def test_unbatched_input_with_a_target_of_shape_1_refuses_label_smoothing():
    _same_as_torch(lambda L: L.nn.functional.cross_entropy(
        L.tensor([-1.0, -2.0, -3.0]), L.tensor([1]), label_smoothing=0.2))
