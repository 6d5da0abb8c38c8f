"""The 3-D convolution and pooling family (and LP pooling, BatchNorm3d, the 3-D padding layers)
against torch.

One table of cases, each a call written once for both libraries (``F`` is ours or torch's
``nn.functional``), run on the same float64 arrays: the value, the gradient for every input,
and the second order (the first gradients, weighted, differentiated again w.r.t. every input
and the incoming gradient); then the same in float32. Shapes are small and odd; the cases cover
strides, padding ('same', 'valid'), dilation, groups, output_padding, ceil_mode, count_include_pad,
divisor_override, size-1 dims, batch 1 and unbatched inputs, and ties. Then: NaN and −inf in
max pooling, the Modules (initial draws after manual_seed, state_dict keys, reprs), and each
misuse's error class.
"""
import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import tinygrad_sgd as tg
from tinygrad_sgd import nn, tensor
from tinygrad_sgd.nn import functional as F

torch.set_num_threads(1)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")
RNG_SEED = 20261203


def case(name, fn, *shapes, ties=False, positive=False):
    return pytest.param(fn, shapes, ties, positive, id=name)


def unpool3d(F, x, k=2, s=None, p=0, size=None):
    out, idx = F.max_pool3d(x, k, s, p, return_indices=True)
    return F.max_unpool3d(out, idx, k, s, p, output_size=size)


CASES = [
    # ------------------------------------------------------------------ convolutions
    case("conv3d s(2,1,2) p(1,0,2) d(2,1,1) bias",
         lambda F, x, w, b: F.conv3d(x, w, b, (2, 1, 2), (1, 0, 2), (2, 1, 1)),
         (2, 3, 7, 5, 6), (4, 3, 3, 2, 3), (4,)),
    case("conv3d groups=2 stride 2", lambda F, x, w, b: F.conv3d(x, w, b, 2, 1, 1, 2),
         (1, 4, 5, 6, 5), (6, 2, 2, 3, 3), (6,)),
    case("conv3d depthwise dilation 2", lambda F, x, w: F.conv3d(x, w, None, 1, 1, 2, 3),
         (1, 3, 5, 5, 6), (3, 1, 2, 2, 2)),
    case("conv3d same, even kernel", lambda F, x, w: F.conv3d(x, w, padding="same",
                                                              dilation=(1, 2, 1)),
         (2, 2, 4, 5, 5), (3, 2, 2, 3, 2)),
    case("conv3d valid, size-1 dims", lambda F, x, w: F.conv3d(x, w, padding="valid"),
         (2, 2, 1, 5, 1), (3, 2, 1, 2, 1)),
    case("conv3d unbatched", lambda F, x, w, b: F.conv3d(x, w, b, stride=(1, 2, 3)),
         (3, 4, 5, 7), (2, 3, 2, 2, 2), (2,)),
    case("conv_transpose3d s(2,3,1) p(1,0,1) op(1,2,0) d(2,1,1) bias",
         lambda F, x, w, b: F.conv_transpose3d(x, w, b, (2, 3, 1), (1, 0, 1), (1, 2, 0), 1,
                                               (2, 1, 1)),
         (2, 3, 3, 3, 4), (3, 2, 3, 2, 3), (2,)),
    case("conv_transpose3d groups=2 stride 3 padding 2",
         lambda F, x, w, b: F.conv_transpose3d(x, w, b, (3, 2, 2), (2, 1, 0), 1, 2, (1, 2, 2)),
         (1, 4, 3, 3, 3), (4, 1, 2, 3, 2), (2,)),
    case("conv_transpose3d output_padding < dilation",
         lambda F, x, w: F.conv_transpose3d(x, w, output_padding=(2, 0, 1), dilation=(3, 1, 2)),
         (2, 2, 2, 3, 2), (2, 3, 2, 2, 2)),
    case("conv_transpose3d unbatched", lambda F, x, w: F.conv_transpose3d(x, w, stride=2),
         (2, 2, 3, 2), (2, 1, 2, 2, 3)),
    # ------------------------------------------------------------------ pooling
    case("max_pool3d k3 s2 p1 ceil", lambda F, x: F.max_pool3d(x, 3, 2, 1, ceil_mode=True),
         (2, 2, 7, 6, 5)),
    case("max_pool3d k(2,3,2) dilation, ceil, ties",
         lambda F, x: F.max_pool3d(x, (2, 3, 2), (1, 2, 3), (1, 1, 0), (2, 1, 2), True),
         (1, 2, 6, 7, 8), ties=True),
    case("max_pool3d default stride, unbatched, ties", lambda F, x: F.max_pool3d(x, 2),
         (2, 4, 5, 4), ties=True),
    case("max_pool3d size-1 dims", lambda F, x: F.max_pool3d(x, (1, 2, 1), (1, 1, 1)),
         (2, 3, 1, 4, 1)),
    case("adaptive_max_pool3d uneven, ties", lambda F, x: F.adaptive_max_pool3d(x, (3, 2, 4)),
         (2, 2, 7, 5, 6), ties=True),
    case("adaptive_max_pool3d None", lambda F, x: F.adaptive_max_pool3d(x, (None, 2, 1)),
         (2, 3, 4, 5)),
    case("adaptive_avg_pool3d uneven", lambda F, x: F.adaptive_avg_pool3d(x, (3, 2, 4)),
         (2, 2, 7, 5, 6)),
    case("adaptive_avg_pool3d even, unbatched", lambda F, x: F.adaptive_avg_pool3d(x, 2),
         (3, 4, 4, 6)),
    case("avg_pool3d k3 s2 p1", lambda F, x: F.avg_pool3d(x, 3, 2, 1), (2, 2, 7, 6, 5)),
    case("avg_pool3d ceil, exclude pad", lambda F, x: F.avg_pool3d(
        x, (2, 3, 1), (3, 1, 2), (1, 1, 0), True, False), (2, 2, 7, 6, 8)),
    case("avg_pool3d ceil, include pad", lambda F, x: F.avg_pool3d(
        x, 3, 2, 1, ceil_mode=True), (1, 2, 6, 5, 8)),
    case("avg_pool3d divisor_override", lambda F, x: F.avg_pool3d(
        x, (2, 2, 3), 2, (1, 0, 1), True, True, 5), (2, 2, 5, 6, 7)),
    case("avg_pool3d unbatched", lambda F, x: F.avg_pool3d(x, 2, 1), (2, 3, 4, 3)),
    case("max_unpool3d with output_size", lambda F, x: unpool3d(F, x, 2, 2, 1, (6, 7, 9)),
         (2, 2, 6, 7, 8)),
    case("max_unpool3d default", lambda F, x: unpool3d(F, x, (1, 2, 2)), (1, 2, 3, 4, 6)),
    case("lp_pool3d p=2 ceil", lambda F, x: F.lp_pool3d(x, 2, (2, 3, 1), (3, 1, 2), True),
         (2, 2, 7, 6, 8), positive=True),
    case("lp_pool2d p=3", lambda F, x: F.lp_pool2d(x, 3, (2, 3)), (2, 3, 7, 6),
         positive=True),
    case("lp_pool1d p=1.5 ceil", lambda F, x: F.lp_pool1d(x, 1.5, 3, 2, True), (2, 3, 7),
         positive=True),
    case("lp_pool1d p=inf", lambda F, x: F.lp_pool1d(x, float("inf"), 3, 2), (2, 3, 7)),
    case("lp_pool2d p=-inf", lambda F, x: F.lp_pool2d(x, float("-inf"), 2), (2, 3, 4, 5)),
]


def _values(shape, rng, ties, positive):
    if ties:
        return rng.integers(0, 3, shape).astype(np.float64)
    a = rng.standard_normal(shape)
    return np.abs(a) + 0.5 if positive else a


def _close(ours, theirs, what, tol):
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: {ours.shape} vs {theirs.shape}"
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol,
                               atol=tol, err_msg=what)


@pytest.mark.parametrize("fn, shapes, ties, positive", CASES)
def test_value_gradients_and_second_order_match_torch(fn, shapes, ties, positive):
    rng = np.random.default_rng(RNG_SEED)
    arrays = [_values(s, rng, ties, positive) for s in shapes]
    ours = [tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = fn(F, *ours), fn(TF, *theirs)
    _close(y, yt, "value", 1e-10)
    assert y.dtype == np.float64

    gy_array = rng.standard_normal(tuple(yt.shape))
    gy, gyt = tensor(gy_array, requires_grad=True), torch.tensor(gy_array, requires_grad=True)
    grads = tg.autograd.grad((y * gy).sum(), ours, create_graph=True)
    tgrads = torch.autograd.grad((yt * gyt).sum(), theirs, create_graph=True)
    for i, (g, gt) in enumerate(zip(grads, tgrads)):
        _close(g, gt, f"gradient of input {i}", 1e-10)

    us = [rng.standard_normal(a.shape) for a in arrays]
    z = sum((g * tensor(u)).sum() for g, u in zip(grads, us))
    zt = sum((g * torch.tensor(u)).sum() for g, u in zip(tgrads, us))
    second = tg.autograd.grad(z, ours + [gy], allow_unused=True)
    tsecond = torch.autograd.grad(zt, theirs + [gyt], allow_unused=True)
    for i, (h, ht) in enumerate(zip(second, tsecond)):
        shape = arrays[i].shape if i < len(arrays) else gy_array.shape
        ht = torch.zeros(shape, dtype=torch.float64) if ht is None else ht
        h = tensor(np.zeros(shape)) if h is None else h
        _close(h, ht, f"second order w.r.t. {'input ' + str(i) if i < len(arrays) else 'dy'}",
               1e-9)


@pytest.mark.parametrize("fn, shapes, ties, positive", CASES)
def test_float32_stays_float32(fn, shapes, ties, positive):
    rng = np.random.default_rng(RNG_SEED + 1)
    arrays = [_values(s, rng, ties, positive).astype(np.float32) for s in shapes]
    ours = [tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = fn(F, *ours), fn(TF, *theirs)
    assert y.dtype == np.float32
    _close(y, yt, "float32 value", 1e-4)
    y.sum().backward()
    yt.sum().backward()
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.grad.dtype == np.float32
        _close(a.grad, b.grad, f"float32 gradient {i}", 1e-4)


# ---------------------------------------------------------------------- random geometries
@pytest.mark.parametrize("seed", range(12))
def test_random_pool3d_geometries_values_indices_and_gradients(seed):
    rng = np.random.default_rng(seed)
    k = tuple(int(v) for v in rng.integers(1, 4, 3))
    s = tuple(int(v) for v in rng.integers(1, 4, 3))
    p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
    d = tuple(int(v) for v in rng.integers(1, 3, 3))
    ceil = bool(rng.integers(2))
    shape = (2, 2) + tuple(int(d_ * (k_ - 1) + 1 + rng.integers(0, 4)) for k_, d_ in zip(k, d))
    x = rng.integers(-3, 4, shape).astype(np.float64)       # many ties
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, idx = F.max_pool3d(ours, k, s, p, d, ceil, return_indices=True)
    yt, idxt = TF.max_pool3d(theirs, k, s, p, d, ceil, return_indices=True)
    _close(y, yt, "max value", 0)
    assert idx.dtype == np.int64 and (idx.numpy() == idxt.numpy()).all()
    gy = rng.standard_normal(tuple(yt.shape))
    y.backward(tensor(gy))
    yt.backward(torch.tensor(gy))
    _close(ours.grad, theirs.grad, "max gradient", 1e-12)
    ours.grad, theirs.grad = None, None
    cip = bool(rng.integers(2))
    a, at = F.avg_pool3d(ours, k, s, p, ceil, cip), TF.avg_pool3d(theirs, k, s, p, ceil, cip)
    _close(a, at, "avg value", 1e-12)
    a.backward(tensor(np.ones(a.shape)))
    at.backward(torch.ones(at.shape, dtype=torch.float64))
    _close(ours.grad, theirs.grad, "avg gradient", 1e-12)


@pytest.mark.parametrize("pool", ["max_pool3d", "adaptive_max_pool3d"])
@pytest.mark.parametrize("fill", ["nan", "-inf", "ties"])
def test_max_pool3d_nan_inf_and_ties_pick_torchs_element(pool, fill):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, (1, 2, 4, 4, 5)).astype(np.float64)
    if fill == "nan":
        x[0, 0, 1, 2, [1, 3]] = np.nan
        x[0, 1, 0, 0, 0] = np.nan
    elif fill == "-inf":
        x[:, :, :2] = -np.inf
    call = (lambda F, t: F.max_pool3d(t, 2, 2, 1, return_indices=True)) if pool == \
        "max_pool3d" else (lambda F, t: F.adaptive_max_pool3d(t, (3, 2, 3), True))
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (y, i), (yt, it) = call(F, ours), call(TF, theirs)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


# ---------------------------------------------------------------------- modules
MODULES = [
    ("Conv3d", ((3, 4, (3, 2, 2)), dict(stride=(2, 1, 1), padding=1, bias=True)), (2, 3, 5, 4, 6)),
    ("Conv3d", ((4, 2, 2), dict(groups=2, dilation=2, bias=False)), (1, 4, 5, 5, 5)),
    ("Conv3d", ((2, 3, 3), dict(padding="same", padding_mode="reflect")), (2, 2, 4, 5, 3)),
    ("Conv3d", ((2, 3, (1, 2, 3)), dict(padding=(0, 1, 2), padding_mode="circular")),
     (1, 2, 3, 4, 5)),
    ("ConvTranspose3d", ((4, 2, (2, 3, 2)), dict(stride=2, padding=1, output_padding=1,
                                                 groups=2)), (2, 4, 3, 3, 2)),
    ("MaxPool3d", ((3,), dict(stride=2, padding=1, ceil_mode=True)), (2, 2, 5, 6, 7)),
    ("AvgPool3d", ((2,), dict(stride=1, count_include_pad=False, padding=1)), (2, 2, 4, 3, 5)),
    ("AdaptiveAvgPool3d", (((2, None, 3),), {}), (2, 2, 5, 4, 7)),
    ("AdaptiveMaxPool3d", ((2,), {}), (2, 2, 5, 4, 7)),
    ("LPPool1d", ((2, 3), dict(stride=2)), (2, 2, 7)),
    ("LPPool2d", ((1, (2, 3)), dict(ceil_mode=True)), (2, 2, 5, 7)),
    ("LPPool3d", ((2, 2), {}), (2, 2, 4, 5, 6)),
    ("BatchNorm3d", ((3,), dict(momentum=0.3)), (2, 3, 2, 3, 4)),
    ("ZeroPad3d", (((1, 0, 2, 1, 0, 1),), {}), (2, 2, 3, 3, 4)),
    ("ConstantPad3d", ((1, 2.5), {}), (2, 3, 3, 4)),
    ("ReflectionPad3d", (((1, 2, 0, 1, 2, 1),), {}), (2, 2, 3, 4, 5)),
    ("ReplicationPad3d", ((2,), {}), (1, 2, 3, 2, 4)),
    ("CircularPad3d", (((1, 0, 2, 1, 0, 1),), {}), (2, 2, 3, 3, 4)),
]


@pytest.mark.parametrize("name, spec, shape", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_modules_match_torch_init_state_dict_repr_and_outputs(name, spec, shape):
    args, kwargs = spec
    torch.manual_seed(7)
    theirs = getattr(tnn, name)(*args, **kwargs).double()
    tg.manual_seed(7)
    ours = getattr(nn, name)(*args, **kwargs).double()
    assert repr(ours) == repr(theirs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for key in sd:
        np.testing.assert_array_equal(sd[key].numpy(), tsd[key].numpy(), err_msg=key)
    x = np.abs(np.random.default_rng(1).standard_normal(shape)) + 0.1
    xo, xt = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xo), theirs(xt)
    _close(y, yt, f"{name} output", 1e-10)
    y.sum().backward()
    yt.sum().backward()
    _close(xo.grad, xt.grad, f"{name} input gradient", 1e-10)
    for (key, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, pt.grad, f"{name} gradient of {key}", 1e-10)
    for key, b in ours.named_buffers():
        np.testing.assert_allclose(b.numpy(), dict(theirs.named_buffers())[key].numpy(),
                                   rtol=1e-12, err_msg=key)


def test_conv_transpose3d_module_output_size_and_unpool_module():
    torch.manual_seed(0)
    theirs = tnn.ConvTranspose3d(2, 3, 3, stride=2, dtype=torch.float64)
    tg.manual_seed(0)
    ours = nn.ConvTranspose3d(2, 3, 3, stride=2, dtype=tg.float64)
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 2, 3))
    for size in ([7, 6, 8], [1, 3, 8, 5, 7]):
        _close(ours(tensor(x), output_size=size), theirs(torch.tensor(x), output_size=size),
               f"output_size {size}", 1e-12)
    with pytest.raises(ValueError):
        ours(tensor(x), output_size=[10, 6, 8])
    pool, unpool = nn.MaxPool3d(2, return_indices=True), nn.MaxUnpool3d(2)
    tpool, tunpool = tnn.MaxPool3d(2, return_indices=True), tnn.MaxUnpool3d(2)
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 5, 4))
    (y, i), (yt, it) = pool(tensor(x)), tpool(torch.tensor(x))
    _close(unpool(y, i, output_size=(5, 5, 5)), tunpool(yt, it, output_size=(5, 5, 5)),
           "unpool", 0)
    assert repr(unpool) == repr(tunpool)


# ---------------------------------------------------------------------- errors
def _raises_like_torch(call):
    with pytest.raises(Exception) as theirs:
        call(TF, torch)
    with pytest.raises(type(theirs.value)):
        call(F, tg)


ERRORS = [
    ("conv3d 4-D weight", lambda F, t: F.conv3d(t.zeros(1, 2, 3, 3, 3), t.zeros(2, 2, 2, 2))),
    ("conv3d channels", lambda F, t: F.conv3d(t.zeros(1, 2, 3, 3, 3), t.zeros(2, 3, 2, 2, 2))),
    ("conv3d groups", lambda F, t: F.conv3d(t.zeros(1, 4, 3, 3, 3), t.zeros(3, 2, 2, 2, 2),
                                            groups=2)),
    ("conv3d kernel too big", lambda F, t: F.conv3d(t.zeros(1, 2, 1, 3, 3),
                                                    t.zeros(2, 2, 2, 2, 2))),
    ("conv3d same strided", lambda F, t: F.conv3d(t.zeros(1, 2, 3, 3, 3),
                                                  t.zeros(2, 2, 2, 2, 2), stride=2,
                                                  padding="same")),
    ("conv3d 3-D input", lambda F, t: F.conv3d(t.zeros(2, 3, 3), t.zeros(2, 2, 2, 2, 2))),
    ("conv_transpose3d output_padding", lambda F, t: F.conv_transpose3d(
        t.zeros(1, 2, 3, 3, 3), t.zeros(2, 2, 2, 2, 2), stride=2, output_padding=2)),
    ("max_pool3d pad > k/2", lambda F, t: F.max_pool3d(t.zeros(1, 1, 4, 4, 4), 2, padding=2)),
    ("max_pool3d too small", lambda F, t: F.max_pool3d(t.zeros(1, 1, 1, 4, 4), 2)),
    ("max_pool3d 2 kernel sizes", lambda F, t: F.max_pool3d(t.zeros(1, 1, 4, 4, 4), (2, 2))),
    ("avg_pool3d divisor 0", lambda F, t: F.avg_pool3d(t.zeros(1, 1, 4, 4, 4), 2,
                                                       divisor_override=0)),
    ("avg_pool3d 3-D input", lambda F, t: F.avg_pool3d(t.zeros(1, 4, 4), 2)),
    ("adaptive_max_pool3d 2 sizes", lambda F, t: F.adaptive_max_pool3d(
        t.zeros(1, 1, 4, 4, 4), (2, 2))),
    ("max_unpool3d bad index", lambda F, t: F.max_unpool3d(
        t.zeros(1, 1, 2, 2, 2), t.full((1, 1, 2, 2, 2), 99, dtype=t.int64), 2)),
    ("max_pool3d zero channels", lambda F, t: F.max_pool3d(t.zeros(2, 0, 3, 3, 3), 1)),
    ("avg_pool3d zero channels", lambda F, t: F.avg_pool3d(t.zeros(2, 0, 3, 3, 3), 1)),
    ("adaptive_max_pool3d zero channels", lambda F, t: F.adaptive_max_pool3d(
        t.zeros(2, 0, 3, 3, 3), 1)),
    ("BatchNorm3d 4-D", lambda F, t: t.nn.BatchNorm3d(2)(t.zeros(2, 2, 3, 3))),
    ("Conv3d groups", lambda F, t: t.nn.Conv3d(3, 4, 2, groups=2)),
    ("ConvTranspose3d padding_mode", lambda F, t: t.nn.ConvTranspose3d(
        2, 2, 2, padding_mode="reflect")),
]


@pytest.mark.parametrize("call", [c for _, c in ERRORS], ids=[n for n, _ in ERRORS])
def test_misuse_raises_torchs_error_class(call):
    _raises_like_torch(call)


EMPTY = [
    ("conv3d", lambda F, x, w: F.conv3d(x, w, padding=1)),
    ("conv_transpose3d", lambda F, x, w: F.conv_transpose3d(x, w.transpose(0, 1), stride=2)),
    ("max_pool3d", lambda F, x, w: F.max_pool3d(x, 2)),
    ("avg_pool3d", lambda F, x, w: F.avg_pool3d(x, 2, ceil_mode=True)),
    ("adaptive_max_pool3d", lambda F, x, w: F.adaptive_max_pool3d(x, (2, 1, 3))),
    ("adaptive_avg_pool3d", lambda F, x, w: F.adaptive_avg_pool3d(x, (2, 1, 3))),
    ("max_unpool3d", lambda F, x, w: F.max_unpool3d(*F.max_pool3d(x, 2, return_indices=True),
                                                    2)),
]


@pytest.mark.parametrize("fn", [f for _, f in EMPTY], ids=[n for n, _ in EMPTY])
def test_empty_batch_as_torch(fn):
    x = np.zeros((0, 2, 4, 5, 3))
    w = np.ones((3, 2, 2, 2, 2))
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = fn(F, ours, tensor(w)), fn(TF, theirs, torch.tensor(w))
    assert tuple(y.shape) == tuple(yt.shape)
    y.sum().backward()
    yt.sum().backward()
    assert ours.grad.shape == theirs.grad.shape
