"""Fractional max pooling, the ``*_with_indices`` spellings, AdaptiveLogSoftmaxWithLoss and
``nn.grad`` against torch.

Pooling: one table of calls written once for both libraries (``F`` ours or torch's, ``t`` the
library, for ``_random_samples``): value and indices exactly, the gradient and the second order
(w.r.t. the input and the incoming gradient) in float64, then float32; random geometries with
many ties; the default draw after ``manual_seed``; the Modules; each misuse's error class.
AdaptiveLogSoftmaxWithLoss: same seed → same parameters, state_dict keys and repr; output,
loss, log_prob, predict (all three of its branches), gradients w.r.t. the input and every
parameter, second order, unbatched input, errors. nn.grad: each of the six functions against
torch's, with stride/padding/dilation/groups, and differentiated again.
"""
# house: long file — four features' tables (pools, their errors, adaptive softmax, nn.grad)
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import tinygrad_sgd as tg
from tinygrad_sgd import nn, tensor
from tinygrad_sgd.nn import functional as F

torch.set_num_threads(1)
pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")


def _close(ours, theirs, what, tol):
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: {ours.shape} vs {theirs.shape}"
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], what
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol,
                               atol=tol, err_msg=what)


def _pair(result):
    return result if isinstance(result, tuple) else (result, None)


# ---------------------------------------------------------------------- pooling table
def samples(t, n, c, k, seed, dtype):
    u = np.random.default_rng(seed).random((n, c, k)).astype(dtype)
    return t.tensor(u)


def case(name, fn, shape, ties=False):
    return pytest.param(fn, shape, ties, id=name)


POOLS = [
    case("fractional2d size, samples", lambda F, t, x, d: F.fractional_max_pool2d(
        x, 2, (4, 3), _random_samples=samples(t, 2, 3, 2, 1, d), return_indices=True),
        (2, 3, 7, 6)),
    case("fractional2d ratio, k(3,2), ties", lambda F, t, x, d: F.fractional_max_pool2d(
        x, (3, 2), output_ratio=(0.5, 0.6), _random_samples=samples(t, 2, 2, 2, 2, d),
        return_indices=True), (2, 2, 9, 10), True),
    case("fractional2d output 1x1 and full", lambda F, t, x, d: F.fractional_max_pool2d(
        x, (1, 2), (1, 4), _random_samples=samples(t, 1, 2, 2, 3, d)), (1, 2, 5, 5)),
    case("fractional2d unbatched", lambda F, t, x, d: F.fractional_max_pool2d(
        x, 2, 4, _random_samples=samples(t, 1, 3, 2, 4, d), return_indices=True), (3, 8, 7)),
    case("fractional2d extra sample rows", lambda F, t, x, d: F.fractional_max_pool2d(
        x, 2, 3, _random_samples=samples(t, 4, 2, 2, 5, d)), (2, 2, 6, 6), True),
    case("fractional2d_with_indices", lambda F, t, x, d: F.fractional_max_pool2d_with_indices(
        x, 3, (3, 2), _random_samples=samples(t, 2, 2, 2, 6, d)), (2, 2, 8, 5)),
    case("fractional3d size, samples", lambda F, t, x, d: F.fractional_max_pool3d(
        x, 2, (3, 2, 4), _random_samples=samples(t, 2, 2, 3, 7, d), return_indices=True),
        (2, 2, 5, 4, 6)),
    case("fractional3d ratio, ties", lambda F, t, x, d: F.fractional_max_pool3d(
        x, (2, 1, 2), output_ratio=0.5, _random_samples=samples(t, 1, 2, 3, 8, d),
        return_indices=True), (1, 2, 6, 5, 7), True),
    case("fractional3d unbatched", lambda F, t, x, d: F.fractional_max_pool3d_with_indices(
        x, (1, 2, 2), (2, 3, 3), _random_samples=samples(t, 1, 2, 3, 9, d)), (2, 3, 5, 5)),
    case("max_pool1d_with_indices", lambda F, t, x, d: F.max_pool1d_with_indices(
        x, 3, 2, 1, ceil_mode=True), (2, 3, 9), True),
    case("max_pool2d_with_indices", lambda F, t, x, d: F.max_pool2d_with_indices(
        x, (2, 3), (1, 2), (1, 1), (2, 1)), (2, 2, 7, 8), True),
    case("max_pool3d_with_indices unbatched", lambda F, t, x, d: F.max_pool3d_with_indices(
        x, 2, 1), (2, 4, 3, 5)),
    case("adaptive_max_pool1d_with_indices", lambda F, t, x, d:
         F.adaptive_max_pool1d_with_indices(x, 4), (2, 3, 9)),
    case("adaptive_max_pool2d_with_indices", lambda F, t, x, d:
         F.adaptive_max_pool2d_with_indices(x, (3, None)), (2, 2, 7, 5), True),
    case("adaptive_max_pool3d_with_indices", lambda F, t, x, d:
         F.adaptive_max_pool3d_with_indices(x, (2, 3, 2)), (1, 2, 5, 6, 4)),
]


def _values(shape, rng, ties, dtype=np.float64):
    a = rng.integers(0, 3, shape) if ties else rng.standard_normal(shape)
    return a.astype(dtype)


@pytest.mark.parametrize("fn, shape, ties", POOLS)
def test_pool_value_indices_gradient_and_second_order_match_torch(fn, shape, ties):
    rng = np.random.default_rng(0)
    x = _values(shape, rng, ties)
    xo, xt = tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    (y, i), (yt, it) = _pair(fn(F, tg, xo, np.float64)), _pair(fn(TF, torch, xt, np.float64))
    _close(y, yt, "value", 0)
    if it is not None:
        assert i.dtype == np.int64 and tuple(i.shape) == tuple(it.shape)
        np.testing.assert_array_equal(i.numpy(), it.numpy())
    gy = rng.standard_normal(tuple(yt.shape))
    go, gt = tensor(gy, requires_grad=True), torch.tensor(gy, requires_grad=True)
    (g,) = tg.autograd.grad((y * go).sum(), [xo], create_graph=True)
    (g_t,) = torch.autograd.grad((yt * gt).sum(), [xt], create_graph=True)
    _close(g, g_t, "gradient", 1e-12)
    u = rng.standard_normal(x.shape)
    second = tg.autograd.grad((g * tensor(u)).sum(), [xo, go], allow_unused=True)
    tsecond = torch.autograd.grad((g_t * torch.tensor(u)).sum(), [xt, gt], allow_unused=True,
                                  materialize_grads=True)
    for what, h, ht in zip(("input", "dy"), second, tsecond):
        h = tensor(np.zeros(tuple(ht.shape))) if h is None else h
        _close(h, ht, f"second order w.r.t. {what}", 1e-12)


@pytest.mark.parametrize("fn, shape, ties", POOLS)
def test_pool_float32(fn, shape, ties):
    x = _values(shape, np.random.default_rng(1), ties, np.float32)
    xo, xt = tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    (y, i), (yt, it) = _pair(fn(F, tg, xo, np.float32)), _pair(fn(TF, torch, xt, np.float32))
    _close(y, yt, "float32 value", 0)
    if it is not None:
        np.testing.assert_array_equal(i.numpy(), it.numpy())
    y.sum().backward()
    yt.sum().backward()
    _close(xo.grad, xt.grad, "float32 gradient", 0)


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_random_geometries_match_torchs_windows(dims, dtype):
    """Many sizes, kernels and samples (some near 1), with ties: torch's windows exactly."""
    rng = np.random.default_rng(dims)
    fn, tfn = ((F.fractional_max_pool2d, TF.fractional_max_pool2d) if dims == 2 else
               (F.fractional_max_pool3d, TF.fractional_max_pool3d))
    for trial in range(40 if dims == 2 else 20):
        size = tuple(int(v) for v in rng.integers(3, 24 if dims == 2 else 9, dims))
        k = tuple(int(v) for v in rng.integers(1, 4, dims))
        k = tuple(min(kk, n - 1) for kk, n in zip(k, size))
        out = tuple(int(rng.integers(1, n - kk + (2 if dims == 2 else 1)))
                    for n, kk in zip(size, k))
        x = rng.integers(-2, 3, (2, 3) + size).astype(dtype)
        u = rng.random((2, 3, dims)).astype(dtype)
        if trial % 4 == 0:
            u[..., 0] = np.nextafter(dtype(1), dtype(0))
        y, i = fn(tensor(x), k, out, return_indices=True, _random_samples=tensor(u))
        yt, it = tfn(torch.tensor(x), k, out, return_indices=True,
                     _random_samples=torch.tensor(u))
        np.testing.assert_array_equal(i.numpy(), it.numpy(), err_msg=f"{size} {k} {out}")
        np.testing.assert_array_equal(y.numpy(), yt.numpy())


@pytest.mark.parametrize("dims", [2, 3])
def test_fractional_default_draw_follows_manual_seed_as_torch(dims):
    """Without _random_samples the samples come from tinygrad_sgd.rand, whose stream is
    torch's: after the same seed, the same windows; a second call draws new ones."""
    fn, tfn = ((F.fractional_max_pool2d, TF.fractional_max_pool2d) if dims == 2 else
               (F.fractional_max_pool3d, TF.fractional_max_pool3d))
    x = np.random.default_rng(0).standard_normal((2, 3) + (9,) * dims).astype(np.float32)
    tg.manual_seed(11)
    torch.manual_seed(11)
    ours = [fn(tensor(x), 2, output_ratio=0.5, return_indices=True)[1] for _ in range(2)]
    theirs = [tfn(torch.tensor(x), 2, output_ratio=(0.5,) * dims, return_indices=True)[1]
              for _ in range(2)]
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(ours[0].numpy(), ours[1].numpy())
    x1 = x[0]                                     # unbatched: samples of shape (1, C, dims)
    tg.manual_seed(12)
    torch.manual_seed(12)
    np.testing.assert_array_equal(fn(tensor(x1), 2, 4, return_indices=True)[1].numpy(),
                                  tfn(torch.tensor(x1), 2, 4, return_indices=True)[1].numpy())


def test_fractional_nan_and_minus_inf_pick_torchs_element():
    x = np.random.default_rng(2).integers(0, 2, (1, 2, 6, 6)).astype(np.float64)
    x[0, 0, 1, [1, 3]] = np.nan
    x[0, 1, :3, :3] = -np.inf
    u = np.random.default_rng(3).random((1, 2, 2))
    y, i = F.fractional_max_pool2d(tensor(x), 2, 3, None, True, tensor(u))
    yt, it = TF.fractional_max_pool2d(torch.tensor(x), 2, 3, None, True,
                                    torch.tensor(u))
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    np.testing.assert_array_equal(y.numpy(), yt.numpy())


MODULES = [
    ("FractionalMaxPool2d", (3,), {"output_size": (4, 5), "return_indices": True},
     (2, 3, 9, 8)),
    ("FractionalMaxPool2d", ((2, 3),), {"output_ratio": 0.5}, (3, 8, 9)),
    ("FractionalMaxPool3d", (2,), {"output_size": 3, "return_indices": True}, (2, 2, 5, 6, 5)),
    ("FractionalMaxPool3d", ((1, 2, 2),), {"output_ratio": (0.5, 0.4, 0.6)}, (2, 6, 7, 8)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", MODULES)
def test_fractional_modules_match_torch(name, args, kwargs, shape):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    for attr in ("kernel_size", "output_size", "output_ratio", "return_indices"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == []
    x = np.random.default_rng(0).standard_normal(shape)
    tg.manual_seed(3)
    torch.manual_seed(3)
    (y, i), (yt, it) = _pair(ours(tensor(x))), _pair(theirs(torch.tensor(x)))
    _close(y, yt, "module output", 0)
    if it is not None:
        np.testing.assert_array_equal(i.numpy(), it.numpy())
    dims = 2 if "2d" in name else 3
    u = np.random.default_rng(1).random((shape[0] if len(shape) == dims + 2 else 1,
                                         shape[-dims - 1], dims))
    ours = getattr(nn, name)(*args, **kwargs, _random_samples=tensor(u))
    theirs = getattr(tnn, name)(*args, **kwargs, _random_samples=torch.tensor(u))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]
    _close(_pair(ours(tensor(x)))[0], _pair(theirs(torch.tensor(x)))[0], "fixed samples", 0)


# ---------------------------------------------------------------------- pooling errors
def _raises_like_torch(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            call(TF, torch, tnn)
    with pytest.raises(type(theirs.value)):
        call(F, tg, nn)


def _x(t, *shape):
    return t.zeros(*shape, dtype=t.float64)


POOL_ERRORS = [
    ("neither size nor ratio", lambda F, t, n: F.fractional_max_pool2d(_x(t, 1, 2, 6, 6), 2)),
    ("3d neither", lambda F, t, n: F.fractional_max_pool3d(_x(t, 1, 2, 6, 6, 6), 2)),
    ("2d ratio of 3", lambda F, t, n: F.fractional_max_pool2d(_x(t, 1, 2, 6, 6), 2,
                                                              output_ratio=(0.5,) * 3)),
    ("height too large", lambda F, t, n: F.fractional_max_pool2d(_x(t, 1, 2, 6, 6), 2, (6, 3))),
    ("width too large", lambda F, t, n: F.fractional_max_pool2d(_x(t, 1, 2, 6, 6), 3, (3, 5))),
    ("ratio > 1 too large", lambda F, t, n: F.fractional_max_pool2d(_x(t, 1, 2, 6, 6), 2,
                                                                    output_ratio=(1.5, 1.5))),
    ("3d time: o + k - 1 == n", lambda F, t, n: F.fractional_max_pool3d(
        _x(t, 1, 2, 5, 6, 7), 2, (4, 3, 3))),
    ("3d width", lambda F, t, n: F.fractional_max_pool3d(_x(t, 1, 2, 5, 6, 7), 2, (3, 3, 6))),
    ("kernel of 3 in 2d", lambda F, t, n: F.fractional_max_pool2d(_x(t, 1, 2, 6, 6),
                                                                  (2, 2, 2), 3)),
    ("output_size of 3 in 2d", lambda F, t, n: F.fractional_max_pool2d(_x(t, 1, 2, 6, 6),
                                                                       2, (3, 3, 3))),
    ("float kernel", lambda F, t, n: F.fractional_max_pool2d(_x(t, 1, 2, 6, 6), 2.0, 3)),
    ("zero channels", lambda F, t, n: F.fractional_max_pool2d(_x(t, 2, 0, 6, 6), 2, 3)),
    ("samples 2-D", lambda F, t, n: F.fractional_max_pool2d(
        _x(t, 1, 2, 6, 6), 2, 3, _random_samples=_x(t, 2, 2))),
    ("samples last dim", lambda F, t, n: F.fractional_max_pool2d(
        _x(t, 1, 2, 6, 6), 2, 3, _random_samples=_x(t, 1, 2, 3))),
    ("samples batch", lambda F, t, n: F.fractional_max_pool2d(
        _x(t, 3, 2, 6, 6), 2, 3, _random_samples=_x(t, 2, 2, 2))),
    ("samples channels", lambda F, t, n: F.fractional_max_pool3d(
        _x(t, 1, 2, 6, 6, 6), 2, 3, _random_samples=_x(t, 1, 3, 3))),
    ("samples dtype", lambda F, t, n: F.fractional_max_pool2d(
        _x(t, 1, 2, 6, 6), 2, 3, _random_samples=t.zeros(1, 2, 2))),
    ("Module neither", lambda F, t, n: n.FractionalMaxPool2d(2)),
    ("Module both", lambda F, t, n: n.FractionalMaxPool3d(2, 3, 0.5)),
    ("Module ratio 1", lambda F, t, n: n.FractionalMaxPool2d(2, output_ratio=1.0)),
    ("Module ratio 0", lambda F, t, n: n.FractionalMaxPool3d(2, output_ratio=(0.5, 0.0, 0.5))),
]


@pytest.mark.parametrize("call", [c for _, c in POOL_ERRORS], ids=[n for n, _ in POOL_ERRORS])
def test_pool_misuse_raises_torchs_error_class(call):
    _raises_like_torch(call)


def test_fractional_float_ratio_both_sizes_and_empty_batch():
    """A float output_ratio works in F (torch's documented form; torch 2.13's F itself trips
    over ``len(float)``, its Module does not); given both, output_size wins in F (the Module
    refuses both); an empty batch gives an empty output and gradient."""
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 7))
    u = np.random.default_rng(1).random((2, 3, 2))
    y = F.fractional_max_pool2d(tensor(x), 2, output_ratio=0.5, _random_samples=tensor(u))
    yt = TF.fractional_max_pool2d(torch.tensor(x), 2, output_ratio=(0.5, 0.5),
                                  _random_samples=torch.tensor(u))
    _close(y, yt, "float ratio", 0)
    both = F.fractional_max_pool2d(tensor(x), 2, (3, 2), 0.5, _random_samples=tensor(u))
    tboth = TF.fractional_max_pool2d(torch.tensor(x), 2, (3, 2), (0.5, 0.5),
                                     _random_samples=torch.tensor(u))
    _close(both, tboth, "output_size wins over output_ratio", 0)
    e = tensor(np.zeros((0, 3, 8, 7)), requires_grad=True)
    et = torch.zeros((0, 3, 8, 7), dtype=torch.float64, requires_grad=True)
    y, yt = F.fractional_max_pool2d(e, 2, (3, 4)), TF.fractional_max_pool2d(et, 2, (3, 4))
    assert tuple(y.shape) == tuple(yt.shape) == (0, 3, 3, 4)
    y.sum().backward()
    assert e.grad.shape == (0, 3, 8, 7)


# ---------------------------------------------------------------------- adaptive softmax
ASM = [((8, 10, [3, 6]), {}), ((8, 10, [3, 6]), {"head_bias": True}),
       ((12, 20, [4, 9, 15]), {"div_value": 2.0}), ((6, 5, [2]), {"head_bias": True}),
       ((20, 30, [10, 20, 25]), {"div_value": 4.0})]


def _asm_pair(args, kwargs, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    theirs = tnn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs).to(dtype)
    tg.manual_seed(seed)
    ours = nn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs)
    return (ours.double() if dtype == torch.float64 else ours), theirs


@pytest.mark.parametrize("args, kwargs", ASM)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_adaptive_log_softmax_matches_torch(args, kwargs, dtype):
    ours, theirs = _asm_pair(args, kwargs, dtype=dtype)
    assert repr(ours) == repr(theirs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for key in sd:                      # the same initial draws after the same seed
        _close(sd[key], tsd[key], key, 0)
    tol = 1e-12 if dtype == torch.float64 else 2e-5
    rng = np.random.default_rng(1)
    x = rng.standard_normal((9, args[0])).astype(np.float64 if dtype == torch.float64
                                                     else np.float32)
    target = rng.integers(0, args[1], 9)
    target[:2] = [0, args[1] - 1]
    xo, xt = tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xo, tensor(target)), theirs(xt, torch.tensor(target))
    assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
    _close(out.output, tout.output, "output", tol)
    _close(out.loss, tout.loss, "loss", tol)
    params, tparams = list(ours.parameters()), list(theirs.parameters())
    names = ["input"] + [k for k, _ in ours.named_parameters()]
    g = tg.autograd.grad(out.loss, [xo] + params, create_graph=True, allow_unused=True,
                         materialize_grads=True)
    g_t = torch.autograd.grad(tout.loss, [xt] + tparams, create_graph=True, allow_unused=True,
                              materialize_grads=True)
    for name, a, b in zip(names, g, g_t):
        _close(a, b, f"gradient of {name}", tol)
    u = rng.standard_normal(x.shape).astype(x.dtype)
    second = tg.autograd.grad((g[0] * tensor(u)).sum(), [xo] + params, allow_unused=True)
    tsecond = torch.autograd.grad((g_t[0] * torch.tensor(u)).sum(), [xt] + tparams,
                                  allow_unused=True, materialize_grads=True)
    for name, h, ht in zip(names, second, tsecond):
        h = tensor(np.zeros(tuple(ht.shape), x.dtype)) if h is None else h
        _close(h, ht, f"second order, {name}", tol * 10)
    _close(ours.log_prob(tensor(x)), theirs.log_prob(torch.tensor(x)), "log_prob", tol)
    np.testing.assert_array_equal(ours.predict(tensor(x)).numpy(),
                                  theirs.predict(torch.tensor(x)).numpy())
    one, tone = ours(tensor(x[0]), tensor(target[0])), theirs(torch.tensor(x[0]),
                                                               torch.tensor(target[0]))
    _close(one.output, tone.output, "unbatched output", tol)
    _close(one.loss, tone.loss, "unbatched loss", tol)


@pytest.mark.parametrize("branch", ["all in shortlist", "none in shortlist", "mixed"])
def test_adaptive_log_softmax_predict_branches(branch):
    ours, theirs = _asm_pair((8, 12, [3, 7]), {"head_bias": True}, seed=4)
    bias = np.zeros(5)
    bias[{"all in shortlist": 0, "none in shortlist": 4, "mixed": 3}[branch]] = 50.0
    ours.head.bias.data = tensor(bias)
    theirs.head.bias.data = torch.tensor(bias)
    x = np.random.default_rng(5).standard_normal((6, 8))
    if branch == "mixed":
        x[:3] *= 0.0
        ours.head.weight.data = tensor(np.zeros((5, 8)))
        theirs.head.weight.data = torch.zeros(5, 8, dtype=torch.float64)
        x[3:, 0] = 1.0
        w = np.zeros((5, 8))
        w[0, 0] = 200.0
        ours.head.weight.data, theirs.head.weight.data = tensor(w), torch.tensor(w)
    p, pt = ours.predict(tensor(x)), theirs.predict(torch.tensor(x))
    assert p.dtype == np.int64
    np.testing.assert_array_equal(p.numpy(), pt.numpy())
    first = (pt < 3).numpy()
    assert {"all in shortlist": first.all(), "none in shortlist": not first.any(),
            "mixed": 0 < first.sum() < 6}[branch]


ASM_ERRORS = [
    ("no cutoffs", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [])),
    ("unsorted", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3])),
    ("repeated", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 3])),
    ("zero cutoff", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [0, 3])),
    ("cutoff = n_classes", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10])),
    ("float cutoff", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [2.5])),
    ("target too big", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        t.zeros(2, 4), t.tensor([1, 10]))),
    ("negative target", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        t.zeros(2, 4), t.tensor([-1, 2]))),
    ("batch mismatch", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        t.zeros(3, 4), t.tensor([1, 2]))),
    ("1-D target, 3-D input", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        t.zeros(2, 3, 4), t.tensor([1, 2]))),
    ("0-D target, 2-D input", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        t.zeros(2, 4), t.tensor(1))),
    ("2-D target", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        t.zeros(2, 4), t.tensor([[1, 2]]))),
    ("log_prob of 1-D input", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3]).log_prob(
        t.zeros(4))),
]


@pytest.mark.parametrize("call", [c for _, c in ASM_ERRORS], ids=[n for n, _ in ASM_ERRORS])
def test_adaptive_log_softmax_misuse_raises_torchs_error_class(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(tg)


# ---------------------------------------------------------------------- nn.grad
GRADS = [
    ("conv1d", (2, 4, 11), (6, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    ("conv1d", (1, 3, 7), (2, 3, 1), {}),
    ("conv2d", (2, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2),
                                                dilation=(1, 2), groups=2)),
    ("conv2d", (2, 3, 6, 7), (4, 3, 2, 3), dict(stride=3)),
    ("conv3d", (2, 2, 5, 6, 5), (3, 2, 2, 3, 2), dict(stride=(1, 2, 2), padding=(1, 0, 1),
                                                      dilation=(2, 1, 1))),
    ("conv3d", (1, 4, 4, 4, 5), (4, 1, 2, 2, 2), dict(groups=4, padding=1)),
]


@pytest.mark.parametrize("name, xshape, wshape, kw", GRADS)
@pytest.mark.parametrize("which", ["input", "weight"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nn_grad_matches_torch_and_is_differentiable(name, xshape, wshape, kw, which, dtype):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xshape).astype(dtype), rng.standard_normal(wshape).astype(dtype)
    yshape = getattr(TF, name)(torch.tensor(x), torch.tensor(w), **kw).shape
    gy = rng.standard_normal(tuple(yshape)).astype(dtype)
    given, tgiven = ((tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True))
                     if which == "input" else
                     (tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)))
    go, gt = tensor(gy, requires_grad=True), torch.tensor(gy, requires_grad=True)
    size = xshape if which == "input" else wshape
    fn, tfn = getattr(nn.grad, f"{name}_{which}"), getattr(tnn.grad, f"{name}_{which}")
    if which == "input":
        r, rt = fn(size, given, go, **kw), tfn(size, tgiven, gt, **kw)
    else:
        r, rt = fn(given, size, go, **kw), tfn(tgiven, size, gt, **kw)
    tol = 1e-12 if dtype == np.float64 else 1e-4
    _close(r, rt, "value", tol)
    u = rng.standard_normal(size).astype(dtype)
    g = tg.autograd.grad((r * tensor(u)).sum(), [given, go])
    g_t = torch.autograd.grad((rt * torch.tensor(u)).sum(), [tgiven, gt])
    for what, a, b in zip(("weight/input", "grad_output"), g, g_t):
        _close(a, b, f"gradient w.r.t. {what}", tol)
    with tg.no_grad():
        assert not fn(*((size, given) if which == "input" else (given, size)), go,
                      **kw).requires_grad


NN_GRAD_ERRORS = [
    ("input size mismatch", lambda t: t.nn.grad.conv2d_input(
        (1, 2, 6, 6), t.zeros(3, 2, 2, 2), t.zeros(1, 3, 4, 5))),
    ("weight size mismatch", lambda t: t.nn.grad.conv1d_weight(
        t.zeros(1, 2, 6), (3, 2, 2), t.zeros(1, 3, 4))),
    ("unbatched input size", lambda t: t.nn.grad.conv2d_input(
        (2, 6, 6), t.zeros(3, 2, 2, 2), t.zeros(3, 5, 5))),
    ("unbatched input", lambda t: t.nn.grad.conv3d_weight(
        t.zeros(2, 4, 4, 4), (3, 2, 2, 2, 2), t.zeros(3, 3, 3, 3))),
]


@pytest.mark.parametrize("call", [c for _, c in NN_GRAD_ERRORS],
                         ids=[n for n, _ in NN_GRAD_ERRORS])
def test_nn_grad_misuse_raises_torchs_error_class(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(tg)


def test_nn_grad_module_lists_torchs_functions():
    names = {"conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
             "conv3d_weight"}
    assert set(nn.grad.__all__) == names
    assert all(hasattr(tnn.grad, n) for n in names)


@pytest.mark.parametrize("sizes", [(0, 3), (3, 0), (0, 0)])
def test_a_linear_layer_may_have_no_features_as_torchs(sizes):
    """torch's Linear takes 0 in or out features (warning that initialising an empty tensor
    is a no-op, drawing no random numbers); an AdaptiveLogSoftmaxWithLoss tail can need one."""
    out = []
    for lib in (tg, torch):
        lib.manual_seed(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer = lib.nn.Linear(*sizes)
        y = layer(lib.ones(2, sizes[0]))
        out.append((tuple(layer.weight.shape), np.asarray(layer.bias.detach().numpy()),
                    tuple(y.shape), np.asarray(y.detach().numpy()), lib.rand(3).numpy(),
                    sorted({str(w.message) for w in caught})))
    (ws, b, ys, y, r, msgs), (tws, tb, tys, ty, tr, tmsgs) = out
    assert ws == tws and ys == tys and msgs == tmsgs
    np.testing.assert_array_equal(b, tb)
    np.testing.assert_array_equal(y, ty)
    np.testing.assert_array_equal(r, tr)
