"""The convolution, pooling, padding and resizing family of nn.functional against torch.

One table of cases, each a call written once for both libraries (``F`` is ours or torch's
``nn.functional``), run on the same float64 arrays: the value, the gradient for every input,
and the second order (the first gradients, weighted, differentiated again w.r.t. every input
and the incoming gradient); then the same in float32 (the dtype kept, values to float32
precision). Shapes are small and odd; the cases cover strides, padding, dilation, groups,
ceil_mode edge windows, batch 1 and unbatched inputs. Then: ties and NaN in max pooling,
``return_indices``, the −inf window next to padding, the Modules, and each misuse's error
(torch's class, and a message that names the mistake).
"""
import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import tinygrad_sgd as tg
from tinygrad_sgd import nn, tensor
from tinygrad_sgd.nn import functional as F

torch.set_num_threads(1)   # tiny tensors: on a busy machine torch's thread pool only waits
RNG_SEED = 20240611


def case(name, fn, *shapes, ties=False):
    return pytest.param(fn, shapes, ties, id=name)


def unpool(F, x, k=2, s=None, p=0, size=None):
    out, idx = F.max_pool2d(x, k, s, p, return_indices=True)
    return F.max_unpool2d(out, idx, k, s, p, output_size=size)


CASES = [
    # ------------------------------------------------------------------ convolutions
    case("conv2d s2 p1 d2 bias", lambda F, x, w, b: F.conv2d(x, w, b, 2, 1, 2),
         (2, 3, 9, 8), (4, 3, 3, 2), (4,)),
    case("conv2d groups=2 stride(1,2) pad(2,1)",
         lambda F, x, w, b: F.conv2d(x, w, b, (1, 2), (2, 1), 1, 2), (2, 4, 7, 9),
         (6, 2, 3, 3), (6,)),
    case("conv2d depthwise dilation 2", lambda F, x, w: F.conv2d(x, w, None, 1, 1, 2, 3),
         (1, 3, 8, 7), (6, 1, 3, 3)),
    case("conv2d same, even kernel", lambda F, x, w: F.conv2d(x, w, padding="same",
                                                              dilation=(1, 2)),
         (2, 2, 7, 6), (3, 2, 4, 2)),
    case("conv2d same, groups", lambda F, x, w: F.conv2d(x, w, padding="same", groups=2),
         (1, 4, 5, 6), (2, 2, 3, 3)),
    case("conv2d valid", lambda F, x, w: F.conv2d(x, w, padding="valid"), (2, 2, 6, 5),
         (3, 2, 2, 3)),
    case("conv2d unbatched", lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
         (3, 7, 6), (2, 3, 3, 3), (2,)),
    case("conv1d s2 p1 d2 groups bias", lambda F, x, w, b: F.conv1d(x, w, b, 2, 1, 2, 2),
         (2, 4, 11), (6, 2, 3), (6,)),
    case("conv1d same even kernel", lambda F, x, w: F.conv1d(x, w, padding="same"),
         (3, 2, 9), (2, 2, 4)),
    case("conv1d unbatched", lambda F, x, w: F.conv1d(x, w, stride=3), (2, 10), (3, 2, 2)),
    case("conv_transpose2d s2 p1 op1 bias",
         lambda F, x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1), (2, 3, 4, 5), (3, 2, 3, 3),
         (2,)),
    case("conv_transpose2d groups dilation stride(2,3) op(1,2)",
         lambda F, x, w: F.conv_transpose2d(x, w, None, (2, 3), (1, 0), (1, 2), 2, 2),
         (1, 4, 3, 4), (4, 3, 3, 2)),
    case("conv_transpose2d output_padding >= stride (< dilation)",
         lambda F, x, w: F.conv_transpose2d(x, w, stride=1, output_padding=(1, 2),
                                            dilation=3), (2, 2, 4, 3), (2, 3, 2, 2)),
    case("conv_transpose2d unbatched", lambda F, x, w: F.conv_transpose2d(x, w, stride=2),
         (2, 3, 3), (2, 1, 2, 3)),
    case("conv_transpose1d s3 op2 groups bias",
         lambda F, x, w, b: F.conv_transpose1d(x, w, b, 3, 1, 2, 2), (2, 4, 5), (4, 1, 4),
         (2,)),
    # ------------------------------------------------------------------ pooling
    case("max_pool2d k3 s2 p1 ceil", lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
         (2, 3, 8, 7)),
    case("max_pool2d k(2,3) dilation 2 ceil", lambda F, x: F.max_pool2d(
        x, (2, 3), (2, 1), (1, 0), (2, 1), ceil_mode=True), (1, 2, 9, 8)),
    case("max_pool2d ceil last window in padding only", lambda F, x: F.max_pool2d(
        x, 2, 2, 1, ceil_mode=True), (1, 2, 4, 5)),
    case("max_pool2d ties ceil", lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
         (2, 2, 7, 9), ties=True),
    case("max_pool2d unbatched overlapping", lambda F, x: F.max_pool2d(x, 3, 1, 1),
         (2, 5, 6)),
    case("max_pool1d k3 s2 p1 d2 ceil", lambda F, x: F.max_pool1d(x, 3, 2, 1, 2, True),
         (2, 3, 12)),
    case("max_pool1d ties unbatched", lambda F, x: F.max_pool1d(x, 2, 1), (3, 9), ties=True),
    case("avg_pool2d ceil, padding, count_include_pad", lambda F, x: F.avg_pool2d(
        x, 3, 2, 1, ceil_mode=True), (2, 2, 8, 7)),
    case("avg_pool2d ceil, exclude padding", lambda F, x: F.avg_pool2d(
        x, (3, 2), (2, 3), (1, 1), True, False), (1, 3, 9, 8)),
    case("avg_pool2d divisor_override", lambda F, x: F.avg_pool2d(
        x, 2, 1, 1, False, True, 3), (2, 2, 5, 4)),
    case("avg_pool2d unbatched", lambda F, x: F.avg_pool2d(x, 2), (3, 5, 7)),
    case("avg_pool1d ceil exclude pad", lambda F, x: F.avg_pool1d(x, 4, 3, 2, True, False),
         (2, 2, 11)),
    case("adaptive_avg_pool2d uneven", lambda F, x: F.adaptive_avg_pool2d(x, (3, 4)),
         (2, 3, 5, 7)),
    case("adaptive_avg_pool2d even and None", lambda F, x: F.adaptive_avg_pool2d(
        x, (None, 2)), (1, 2, 6, 8)),
    case("adaptive_avg_pool2d upsampling", lambda F, x: F.adaptive_avg_pool2d(x, 5),
         (2, 3, 4)),
    case("adaptive_avg_pool1d", lambda F, x: F.adaptive_avg_pool1d(x, 4), (2, 3, 7)),
    case("adaptive_max_pool2d uneven", lambda F, x: F.adaptive_max_pool2d(x, (3, 4)),
         (2, 3, 5, 7)),
    case("adaptive_max_pool2d ties", lambda F, x: F.adaptive_max_pool2d(x, (4, 3)),
         (2, 2, 7, 5), ties=True),
    case("adaptive_max_pool1d unbatched", lambda F, x: F.adaptive_max_pool1d(x, 3), (2, 8)),
    case("max_unpool2d", lambda F, x: unpool(F, x), (2, 3, 6, 8)),
    case("max_unpool2d stride, padding, output_size",
         lambda F, x: unpool(F, x, 3, 2, 1, (7, 8)), (1, 2, 7, 8)),
    case("max_unpool1d", lambda F, x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True),
                                                     2), (2, 2, 9)),
    # ------------------------------------------------------------------ pad, resize, blocks
    case("pad constant value, negative crops", lambda F, x: F.pad(x, (1, -2, -1, 2, 1, 0),
                                                                  value=1.5), (2, 3, 5, 6)),
    case("pad reflect 2-D", lambda F, x: F.pad(x, (2, 1, 3, 0), mode="reflect"), (2, 2, 4, 5)),
    case("pad reflect 1-D negative", lambda F, x: F.pad(x, (-2, 3), mode="reflect"),
         (2, 3, 5)),
    case("pad reflect 3-D unbatched", lambda F, x: F.pad(x, (1, 1, 0, 2, 1, 1), "reflect"),
         (2, 3, 4, 3)),
    case("pad replicate, negative", lambda F, x: F.pad(x, (-1, 3, 2, -1), mode="replicate"),
         (1, 2, 4, 5)),
    case("pad circular, negative", lambda F, x: F.pad(x, (-1, 2, 3, 1), mode="circular"),
         (2, 1, 4, 5)),
    case("pad circular 1-D unbatched", lambda F, x: F.pad(x, (3, -1), mode="circular"),
         (2, 5)),
    case("interpolate nearest scale 1.7", lambda F, x: F.interpolate(x, scale_factor=1.7),
         (2, 2, 5, 4)),
    case("interpolate nearest recompute", lambda F, x: F.interpolate(
        x, scale_factor=(1.7, 0.6), recompute_scale_factor=True), (1, 2, 5, 7)),
    case("interpolate nearest size, 1-D", lambda F, x: F.interpolate(x, size=7), (2, 2, 3)),
    case("interpolate nearest-exact", lambda F, x: F.interpolate(x, size=(3, 7),
                                                                 mode="nearest-exact"),
         (2, 1, 5, 4)),
    case("interpolate linear scale", lambda F, x: F.interpolate(x, scale_factor=2.3,
                                                                mode="linear"), (2, 3, 4)),
    case("interpolate linear align_corners down", lambda F, x: F.interpolate(
        x, size=4, mode="linear", align_corners=True), (2, 2, 9)),
    case("interpolate bilinear size", lambda F, x: F.interpolate(x, size=(7, 3),
                                                                 mode="bilinear"),
         (2, 2, 4, 5)),
    case("interpolate bilinear align_corners scale", lambda F, x: F.interpolate(
        x, scale_factor=(1.5, 2), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    case("interpolate bilinear to size 1", lambda F, x: F.interpolate(
        x, size=(1, 3), mode="bilinear", align_corners=True), (1, 1, 4, 5)),
    case("interpolate trilinear", lambda F, x: F.interpolate(x, size=(3, 4, 2),
                                                             mode="trilinear"),
         (1, 2, 2, 3, 5)),
    case("interpolate area", lambda F, x: F.interpolate(x, size=(3, 2), mode="area"),
         (2, 2, 7, 5)),
    case("unfold s2 p1 d2", lambda F, x: F.unfold(x, (2, 3), 2, 1, 2), (2, 3, 7, 8)),
    case("unfold unbatched", lambda F, x: F.unfold(x, 2), (2, 3, 4)),
    case("fold", lambda F, x: F.fold(x, (5, 6), (2, 3), 1, 1, (2, 1)), (2, 12, 18)),
    case("fold unbatched", lambda F, x: F.fold(x, (4, 3), 2), (8, 6)),
]


def _values(shape, rng, ties):
    if ties:
        return rng.integers(0, 3, shape).astype(np.float64)
    return rng.standard_normal(shape)


def _as_numpy(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def _close(ours, theirs, what, tol):
    assert ours.shape == tuple(theirs.shape), f"{what}: shape {ours.shape} vs {theirs.shape}"
    np.testing.assert_allclose(_as_numpy(ours), _as_numpy(theirs), rtol=tol, atol=tol,
                               err_msg=what)


@pytest.mark.parametrize("fn, shapes, ties", CASES)
def test_value_gradients_and_second_order_match_torch(fn, shapes, ties):
    rng = np.random.default_rng(RNG_SEED)
    arrays = [_values(s, rng, ties) for s in shapes]
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
        ht = torch.zeros(arrays[i].shape if i < len(arrays) else gy_array.shape,
                         dtype=torch.float64) if ht is None else ht
        h = tensor(np.zeros(ht.shape)) if h is None else h
        _close(h, ht, f"second order w.r.t. {'input ' + str(i) if i < len(arrays) else 'dy'}",
               1e-10)


@pytest.mark.parametrize("fn, shapes, ties", CASES)
def test_float32_stays_float32(fn, shapes, ties):
    rng = np.random.default_rng(RNG_SEED + 1)
    arrays = [_values(s, rng, ties).astype(np.float32) for s in shapes]
    ours = [tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = fn(F, *ours), fn(TF, *theirs)
    assert y.dtype == np.float32
    _close(y, yt, "float32 value", 2e-5)
    y.sum().backward()
    yt.sum().backward()
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.grad.dtype == np.float32
        _close(a.grad, b.grad, f"float32 gradient {i}", 2e-5)


# ---------------------------------------------------------------------- random pooling windows
def _every_window_has_a_real_element(size, k, s, p, d, out):
    for n, k_, s_, p_, d_, o in zip(size, k, s, p, d, out):
        pos = np.arange(o)[:, None] * s_ + np.arange(k_)[None, :] * d_ - p_
        if not ((pos >= 0) & (pos < n)).any(axis=1).all():
            return False
    return True


@pytest.mark.parametrize("seed", range(2))
def test_random_pooling_geometries_values_indices_and_gradients(seed):
    """Random kernel/stride/padding/dilation/ceil_mode on small odd inputs holding ties, NaN
    and ±inf: max pooling's values, indices and gradient, and average pooling's values and
    gradient, equal torch's (for every geometry torch accepts)."""
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(45):
        h, w = (int(v) for v in rng.integers(1, 9, 2))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = tuple(int(v) for v in rng.integers(1, 4, 2))
        p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        ceil, include = bool(rng.integers(2)), bool(rng.integers(2))
        x = rng.integers(0, 3, (2, 2, h, w)).astype(np.float64)
        x[rng.random(x.shape) < 0.1] = np.nan
        x[rng.random(x.shape) < 0.1] = -np.inf
        try:
            yt, it = TF.max_pool2d(torch.tensor(x), k, s, p, d, ceil, True)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                F.max_pool2d(tensor(x), k, s, p, d, ceil)
            continue
        if not _every_window_has_a_real_element((h, w), k, s, p, d, yt.shape[2:]):
            continue     # torch's index there points outside the window (even the plane)
        checked += 1
        ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, i = F.max_pool2d(ours, k, s, p, d, ceil, True)
        np.testing.assert_array_equal(y.numpy(), yt.numpy())
        np.testing.assert_array_equal(i.numpy(), it.numpy())
        gy = rng.standard_normal(y.shape)
        (y * tensor(gy)).sum().backward()
        (TF.max_pool2d(theirs, k, s, p, d, ceil) * torch.tensor(gy)).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)

        x = rng.standard_normal((2, 2, h, w))
        ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        div = [None, 2][int(rng.integers(2))]
        y = F.avg_pool2d(ours, k, s, p, ceil, include, div)
        yt = TF.avg_pool2d(theirs, k, s, p, ceil, include, div)
        _close(y, yt, "avg_pool2d", 1e-12)
        (y * tensor(gy[..., :1, :1])).sum().backward()
        (yt * torch.tensor(gy[..., :1, :1])).sum().backward()
        _close(ours.grad, theirs.grad, "avg_pool2d gradient", 1e-12)
    assert checked > 15


# ---------------------------------------------------------------------- max pooling: ties, NaN
def test_minus_inf_window_next_to_padding_routes_the_gradient_to_a_real_element():
    """All −inf with padding=1: torch sends each window's gradient to its first real element
    (the padding is never a maximum), so the top-left element collects four windows'."""
    x = np.full((1, 1, 2, 2), -np.inf)
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, i = F.max_pool2d(ours, 2, stride=1, padding=1, return_indices=True)
    yt, it = TF.max_pool2d(theirs, 2, stride=1, padding=1, return_indices=True)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    np.testing.assert_array_equal(ours.grad.numpy().ravel(), [4, 2, 2, 1])
    np.testing.assert_array_equal(i.numpy(), it.numpy())


@pytest.mark.parametrize("pool", [
    lambda F, x: F.max_pool2d(x, 2, return_indices=True),
    lambda F, x: F.max_pool2d(x, 3, 1, 1, return_indices=True),
    lambda F, x: F.max_pool1d(x.flatten(1, 2), 3, 2, 1, 1, True, return_indices=True),
    lambda F, x: F.adaptive_max_pool2d(x, (3, 2), return_indices=True),
    lambda F, x: F.adaptive_max_pool1d(x.flatten(1, 2), 5, return_indices=True),
], ids=["2x2", "3x3 s1 p1", "1-D ceil", "adaptive", "adaptive 1-D"])
@pytest.mark.parametrize("fill", ["ties", "nan", "inf"])
def test_max_pool_ties_and_nan_pick_torchs_element(pool, fill):
    """Ties: the first maximum in row-major window order; NaN: the window's last NaN; the
    value, the indices and where the gradient goes all equal torch's."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, (2, 3, 6, 5)).astype(np.float64)
    if fill == "nan":
        x[rng.random(x.shape) < 0.3] = np.nan
    if fill == "inf":
        x[rng.random(x.shape) < 0.3] = np.inf
        x[rng.random(x.shape) < 0.3] = -np.inf
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (y, i), (yt, it) = pool(F, ours), pool(TF, theirs)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    assert i.dtype == np.int64
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    gy = rng.standard_normal(y.shape)
    (y * tensor(gy)).sum().backward()
    (yt * torch.tensor(gy)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)


def test_return_indices_unbatched_and_round_trip_through_max_unpool():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 7, 6))
    y, i = F.max_pool2d(tensor(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    yt, it = TF.max_pool2d(torch.tensor(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    back = F.max_unpool2d(y, i, 3, 2, 1, output_size=(7, 6))
    np.testing.assert_array_equal(back.numpy(),
                                  TF.max_unpool2d(yt, it, 3, 2, 1, output_size=(7, 6)).numpy())


# ---------------------------------------------------------------------- Modules
MODULES = [
    ("Conv1d", dict(args=(4, 6, 3), kwargs=dict(stride=2, padding=1, groups=2)), (2, 4, 9)),
    ("Conv2d", dict(args=(4, 6, (3, 2)), kwargs=dict(padding="same", dilation=2, groups=2,
                                                     padding_mode="reflect")), (2, 4, 7, 6)),
    ("Conv2d", dict(args=(2, 3, 3), kwargs=dict(padding=(2, 1), padding_mode="replicate",
                                                bias=False)), (1, 2, 5, 6)),
    ("Conv2d", dict(args=(2, 3, 3), kwargs=dict(stride=2, padding=1,
                                                padding_mode="circular")), (2, 2, 6, 5)),
    ("Conv1d", dict(args=(2, 2, 4), kwargs=dict(padding="same", padding_mode="circular")),
     (2, 2, 7)),
    ("ConvTranspose2d", dict(args=(4, 6, 3), kwargs=dict(stride=2, padding=1,
                                                         output_padding=1, groups=2)),
     (2, 4, 3, 4)),
    ("ConvTranspose1d", dict(args=(2, 3, 3), kwargs=dict(stride=3, dilation=2)), (2, 2, 5)),
    ("MaxPool2d", dict(args=(3, 2, 1, 2), kwargs=dict(ceil_mode=True)), (2, 3, 9, 8)),
    ("MaxPool1d", dict(args=(3,), kwargs=dict(stride=2, padding=1)), (2, 3, 8)),
    ("AvgPool2d", dict(args=(3, 2, 1, True, False, None), kwargs={}), (2, 3, 8, 7)),
    ("AvgPool1d", dict(args=(3, 2, 1, True), kwargs={}), (2, 3, 8)),
    ("AdaptiveAvgPool2d", dict(args=((3, None),), kwargs={}), (2, 3, 7, 5)),
    ("AdaptiveAvgPool1d", dict(args=(4,), kwargs={}), (2, 3, 9)),
    ("AdaptiveMaxPool2d", dict(args=(3,), kwargs={}), (2, 3, 7, 5)),
    ("AdaptiveMaxPool1d", dict(args=(2,), kwargs={}), (2, 3, 7)),
    ("Upsample", dict(args=(), kwargs=dict(scale_factor=2)), (2, 3, 3, 4)),
    ("Upsample", dict(args=((5, 7),), kwargs=dict(mode="bilinear", align_corners=True)),
     (2, 3, 3, 4)),
    ("UpsamplingNearest2d", dict(args=(), kwargs=dict(size=(5, 3))), (1, 2, 3, 4)),
    ("UpsamplingBilinear2d", dict(args=(), kwargs=dict(scale_factor=2)), (1, 2, 3, 4)),
    ("Unfold", dict(args=((2, 3),), kwargs=dict(padding=1, stride=2)), (2, 3, 5, 6)),
    ("Fold", dict(args=((4, 5), 2), kwargs={}), (2, 8, 12)),
    ("ZeroPad2d", dict(args=((1, 2, 0, 3),), kwargs={}), (2, 3, 4, 4)),
    ("ZeroPad1d", dict(args=(2,), kwargs={}), (2, 3, 4)),
    ("ConstantPad2d", dict(args=(1, 3.5), kwargs={}), (2, 3, 4, 4)),
    ("ConstantPad1d", dict(args=((1, 2), -1.0), kwargs={}), (3, 4)),
    ("ReflectionPad2d", dict(args=((1, 2, 3, 0),), kwargs={}), (2, 3, 4, 4)),
    ("ReflectionPad1d", dict(args=(2,), kwargs={}), (2, 3, 4)),
    ("ReplicationPad2d", dict(args=(2,), kwargs={}), (2, 3, 4, 4)),
    ("ReplicationPad1d", dict(args=((3, 1),), kwargs={}), (2, 3, 4)),
    ("CircularPad2d", dict(args=(1,), kwargs={}), (3, 4, 4)),
    ("CircularPad1d", dict(args=((2, 1),), kwargs={}), (2, 3, 4)),
]


@pytest.mark.parametrize("name, spec, shape", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_modules_match_torch_with_the_same_parameters(name, spec, shape):
    """Same constructor arguments: the same repr, parameter shapes and state_dict keys; with
    torch's parameters loaded, the same output and gradients (float32)."""
    ours = getattr(nn, name)(*spec["args"], **spec["kwargs"])
    theirs = getattr(tnn, name)(*spec["args"], **spec["kwargs"])
    assert repr(ours) == repr(theirs)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    for k, v in ours.state_dict().items():
        assert v.shape == state[k].shape and v.dtype == np.float32
    ours.load_state_dict(state)
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    xo, xt = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xo), theirs(xt)
    _close(y, yt, f"{name} output", 2e-5)
    y.sum().backward()
    yt.sum().backward()
    _close(xo.grad, xt.grad, f"{name} input gradient", 2e-5)
    for (k, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, pt.grad, f"{name}.{k} gradient", 1e-4)


@pytest.mark.parametrize("cls, args, fan_in", [
    ("Conv1d", (3, 4, 5), 15), ("Conv2d", (4, 6, 3, 1, 0, 1, 2), 18),
    ("ConvTranspose2d", (4, 6, (3, 2), 1, 0, 0, 2), 18), ("ConvTranspose1d", (2, 5, 3), 15)])
def test_conv_modules_initialise_as_torch(cls, args, fan_in):
    """kaiming_uniform(a=√5) on the weight — U(±1/√fan_in), fan_in = weight.shape[1]·k —
    and the bias U(±1/√fan_in), float32 (the transposed weight is (in, out/groups, k))."""
    m = getattr(nn, cls)(*args)
    assert m.weight.shape == getattr(tnn, cls)(*args).weight.shape
    bound = 1 / np.sqrt(fan_in)
    for p in (m.weight, m.bias):
        a = p.numpy()
        assert a.dtype == np.float32 and np.abs(a).max() <= bound
    assert np.abs(m.weight.numpy()).max() > 0.5 * bound    # spread over the range


def test_conv_transpose_module_output_size_picks_output_padding():
    m, t = nn.ConvTranspose2d(2, 3, 3, stride=3), tnn.ConvTranspose2d(2, 3, 3, stride=3)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((1, 2, 3, 4)).astype(np.float32)
    y, yt = m(tensor(x), output_size=(10, 13)), t(torch.tensor(x), output_size=(10, 13))
    assert y.shape == (1, 3, 10, 13)
    _close(y, yt, "output_size", 2e-5)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(tensor(x), output_size=(12, 12))


def test_return_indices_modules_and_max_unpool_module():
    x = np.random.default_rng(7).standard_normal((2, 3, 6, 6))
    pool, tpool = nn.MaxPool2d(2, return_indices=True), tnn.MaxPool2d(2, return_indices=True)
    (y, i), (yt, it) = pool(tensor(x)), tpool(torch.tensor(x))
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    back = nn.MaxUnpool2d(2)(y, i)
    np.testing.assert_array_equal(back.numpy(), tnn.MaxUnpool2d(2)(yt, it).numpy())
    (a, ai), (at, ait) = (nn.AdaptiveMaxPool2d(2, True)(tensor(x)),
                          tnn.AdaptiveMaxPool2d(2, True)(torch.tensor(x)))
    np.testing.assert_array_equal(ai.numpy(), ait.numpy())


def test_tutorial_shapes_unchanged_and_labels_name_the_options():
    """The tutorial CNN's path (conv 5x5, stride 1, no padding; max_pool 2x2) still reads as
    before in drawings; new options show in the labels."""
    x = tensor(np.ones((2, 1, 28, 28), np.float32), requires_grad=True)
    y = F.max_pool2d(F.conv2d(x, tg.ones(4, 1, 5, 5)), 2)
    assert y.shape == (2, 4, 12, 12) and y.dtype == np.float32
    assert y.grad_fn.label() == "max_pool2d(2)"
    assert y.grad_fn.next_functions[0][0].label() == "conv2d(stride=1, padding=0)"
    z = F.max_pool2d(y, 3, 2, 1, dilation=2, ceil_mode=True)
    assert z.grad_fn.label() == "max_pool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True)"
    g = F.conv2d(y, tg.ones(4, 2, 3, 3), groups=2)
    assert g.grad_fn.label() == "conv2d(stride=1, padding=0, groups=2)"
    assert F.pad(y, (1, 1, 0, 0), mode="reflect").grad_fn.label() == \
        "resample(reflect pad, dim=3)"
    assert F.pad(y, (1, 1)).grad_fn.label() == "pad([1, 1])"


@pytest.mark.parametrize("fn, x_shape, w_shape", [
    (lambda F, x, w: F.conv2d(x, w, padding=1), (0, 2, 5, 5), (3, 2, 3, 3)),
    (lambda F, x, w: F.conv2d(x, w, groups=2), (0, 4, 5, 5), (4, 2, 3, 3)),
    (lambda F, x, w: F.conv_transpose2d(x, w, stride=2), (0, 2, 3, 3), (2, 3, 3, 3)),
    (lambda F, x, w: F.max_pool2d(x, 2) + F.unfold(x, 5).sum() + w.sum(), (0, 2, 5, 5),
     (1,)),
], ids=["conv2d", "grouped", "transposed", "pool-unfold"])
def test_empty_batch_as_torch(fn, x_shape, w_shape):
    rng = np.random.default_rng(8)
    x, w = np.zeros(x_shape), rng.standard_normal(w_shape)
    ours = [tensor(x, requires_grad=True), tensor(w, requires_grad=True)]
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)]
    y, yt = fn(F, *ours), fn(TF, *theirs)
    assert y.shape == tuple(yt.shape)
    y.sum().backward()
    yt.sum().backward()
    for a, b in zip(ours, theirs):
        _close(a.grad, b.grad, "gradient", 1e-12)
