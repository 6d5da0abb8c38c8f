"""What tests/torch_programs/spatial_transformer.py and functional_tour.py need, against torch.

1. ``F.affine_grid``: the grid bit for bit (torch's float linspace, ·(n − 1), /n, and its bmm's
   left-to-right sum), 2-D and 3-D, float32 and float64; the gradient w.r.t. theta.
2. ``F.grid_sample`` 2-D, bilinear and nearest, float32: bit for bit (torch's CPU kernel fuses
   the unnormalisation and the four-corner sum into multiply-adds); an identity theta — every
   point on a pixel centre, where the bilinear gradient w.r.t. the point is one-sided — gives
   torch's gradient (it was a different one-sided difference before: the spatial transformer
   tutorial then trained its localization net differently from its first step).
3. ``F.interpolate(mode='area')`` on 5-D input (adaptive_avg_pool3d).
4. softsign / tanhshrink of integer input (the default float dtype); logsigmoid's +0;
   F.normalize's dtype error and ``out=``; F.layer_norm refuses an int normalized_shape;
   local_response_norm's errors; rrelu's eval-mode error; ctc_loss's and affine_grid's messages.
"""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
from tinygrad_sgd.nn import functional as F

from helpers import INTEL_CPU

torch.set_num_threads(1)


def both(fn, *arrays, requires_grad=True):
    """fn(lib, F, *tensors) on torch and here: (outputs, input gradients) for each side."""
    res = []
    for lib, mod in ((torch, TF), (tg, F)):
        ts = [lib.tensor(a, requires_grad=requires_grad and a.dtype.kind == "f")
              for a in arrays]
        out = fn(lib, mod, *ts)
        grads = None
        if requires_grad:
            w = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(arrays[0].dtype)
            (out * lib.tensor(w)).sum().backward()
            grads = [t.grad.numpy() if t.grad is not None else None for t in ts]
        res.append((out.detach().numpy(), grads))
    return res


def assert_errors_alike(fn):
    """The same exception class and message on both sides."""
    caught = []
    for lib, mod in ((torch, TF), (tg, F)):
        with pytest.raises(Exception) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(lib, mod)
        caught.append(info.value)
    theirs, ours = caught
    assert isinstance(ours, type(theirs)), (type(ours), type(theirs), ours)
    assert str(ours) == str(theirs).replace("torch.Size", "tinygrad_sgd.Size"), (ours, theirs)


# ------------------------------------------------------------------------ 1. affine_grid
GRIDS = [(2, 1, 28, 28), (3, 2, 5, 7), (2, 1, 13, 24), (2, 1, 1, 9), (2, 1, 3, 4, 5),
         (1, 2, 7, 6, 9)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", GRIDS, ids=str)
def test_affine_grid_is_torchs_bit_for_bit(size, align_corners, dtype):
    k = len(size) - 2
    rng = np.random.default_rng(sum(size))
    theta = (np.eye(k, k + 1) + 0.2 * rng.standard_normal((size[0], k, k + 1))).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                   # unit-size grids with align_corners
        (theirs, tgrad), (ours, ograd) = both(
            lambda lib, mod, t: mod.affine_grid(t, size, align_corners=align_corners), theta)
    assert ours.dtype == theirs.dtype
    assert_torchs_product_bits(ours, theirs)
    np.testing.assert_allclose(ograd[0], tgrad[0], rtol=1e-5, atol=1e-4)


def assert_torchs_product_bits(ours, theirs):
    """Bit for bit, as torch rounds the products of [x, y, 1]·θᵀ one by one; on an Intel CPU,
    where torch's product is a chain of fused multiply-adds (helpers.INTEL_CPU, (a)), within
    the rounding of the terms (up to ~2 units of the largest one's last place)."""
    if INTEL_CPU:
        eps = np.finfo(theirs.dtype).eps
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=4 * eps * np.abs(theirs).max())
    else:
        np.testing.assert_array_equal(ours, theirs)


# ------------------------------------------------------------------------ 2. grid_sample
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_2d_float32_is_torchs_bit_for_bit(mode, padding_mode, align_corners):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 9, 11)).astype(np.float32)
    grid = (rng.random((2, 7, 8, 2)) * 2.4 - 1.2).astype(np.float32)
    (theirs, tgrad), (ours, ograd) = both(
        lambda lib, mod, a, g: mod.grid_sample(a, g, mode=mode, padding_mode=padding_mode,
                                               align_corners=align_corners), x, grid)
    np.testing.assert_array_equal(ours, theirs)
    for o, t in zip(ograd, tgrad):
        np.testing.assert_allclose(o, t, rtol=1e-4, atol=1e-5)


def mnist_like(n=4, seed=0):
    """Digits on a constant background, as normalised MNIST: many equal neighbours."""
    rng = np.random.default_rng(seed)
    x = np.full((n, 1, 28, 28), -0.4242, np.float32)
    x[:, :, 6:22, 8:20] = rng.random((n, 1, 16, 12)).astype(np.float32) * 3 - 0.4
    return x


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("jitter", [0.0, 1e-3], ids=["identity", "near identity"])
def test_spatial_transformer_step_gives_torchs_theta_gradient(jitter, align_corners):
    x = mnist_like()
    rng = np.random.default_rng(5)
    theta = (np.array([[1, 0, 0], [0, 1, 0]], np.float32)
             + jitter * rng.standard_normal((4, 2, 3))).astype(np.float32)

    def stn(lib, mod, image, t):
        grid = mod.affine_grid(t, image.shape, align_corners=align_corners)
        return mod.grid_sample(image, grid, align_corners=align_corners)
    (theirs, tgrad), (ours, ograd) = both(stn, x, theta)
    if INTEL_CPU:   # the grid's last bits differ there (assert_torchs_product_bits): a point
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)  # 1e-7 off, times the
    else:           # image's slope (≤ 1 a pixel) and 14 pixels per unit: ≲ 2e-6
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(ograd[0], tgrad[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ograd[1], tgrad[1], rtol=1e-4, atol=2e-3)


def test_grid_sample_nan_and_inf_points_keep_torchs_values():
    x = np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4)
    grid = np.array([[[[np.nan, 0.], [np.inf, 0.], [0.2, -np.inf], [0.1, 0.3]]]], np.float32)
    for pad in ("zeros", "border", "reflection"):
        (theirs, _), (ours, _) = both(
            lambda lib, mod, a, g: mod.grid_sample(a, g, padding_mode=pad, align_corners=False),
            x, grid, requires_grad=False)
        np.testing.assert_array_equal(ours, theirs)


# ------------------------------------------------------------------------ 3. interpolate area 5-D
@pytest.mark.parametrize("kw", [dict(size=(2, 3, 4)), dict(scale_factor=0.5), dict(size=(7, 3, 9))],
                         ids=str)
def test_interpolate_area_on_volumes(kw):
    x = np.random.default_rng(2).standard_normal((1, 2, 5, 6, 7))
    (theirs, tgrad), (ours, ograd) = both(
        lambda lib, mod, a: mod.interpolate(a, mode="area", **kw), x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(ograd[0], tgrad[0], rtol=1e-12)


# ------------------------------------------------------------------------ 4. activations, norms
@pytest.mark.parametrize("name", ["softsign", "tanhshrink"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float64"])
def test_integer_input_gives_the_default_float(name, dtype):
    x = np.arange(-3, 4).astype(dtype) if dtype != "uint8" else np.arange(7, dtype=dtype)
    theirs = getattr(TF, name)(torch.tensor(x))
    ours = getattr(F, name)(tg.tensor(x))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


ERRORS = [
    ("softsign bool", lambda lib, F: F.softsign(lib.tensor([True, False]))),
    ("tanhshrink bool", lambda lib, F: F.tanhshrink(lib.tensor([True]))),
    ("normalize int 1-D", lambda lib, F: F.normalize(lib.tensor([3, 4]))),
    ("normalize int", lambda lib, F: F.normalize(lib.tensor([[3, 4]]))),
    ("normalize bad dim", lambda lib, F: F.normalize(lib.tensor([3., 4.]))),
    ("layer_norm int shape", lambda lib, F: F.layer_norm(lib.ones(2, 4), 4)),
    ("lrn size 0, 3-D", lambda lib, F: F.local_response_norm(lib.ones(1, 4, 2), 0)),
    ("lrn size -1, 3-D", lambda lib, F: F.local_response_norm(lib.ones(1, 4, 2), -1)),
    ("lrn size 0, 5-D", lambda lib, F: F.local_response_norm(lib.ones(1, 4, 2, 2, 2), 0)),
    ("lrn 2-D", lambda lib, F: F.local_response_norm(lib.ones(3, 4), 2)),
    ("rrelu eval int", lambda lib, F: F.rrelu(lib.arange(3))),
    ("rrelu train int", lambda lib, F: F.rrelu(lib.arange(3), training=True)),
    ("ctc input length", lambda lib, F: F.ctc_loss(lib.zeros(6, 2, 4), lib.tensor([[1, 2], [3, 3]]),
                                                   [7, 5], [2, 2])),
    ("ctc targets rows", lambda lib, F: F.ctc_loss(lib.zeros(6, 2, 4), lib.tensor([[1, 2]]),
                                                   [6, 5], [2, 2])),
    ("ctc target length", lambda lib, F: F.ctc_loss(lib.zeros(6, 2, 4), lib.tensor([[1, 2], [1, 2]]),
                                                    [6, 5], [-1, 2])),
    ("ctc targets 3-D", lambda lib, F: F.ctc_loss(lib.zeros(6, 2, 4), lib.tensor([[[1, 2], [3, 3]]]),
                                                  [6, 5], [2, 2])),
    ("affine_grid theta tuple", lambda lib, F: F.affine_grid(lib.zeros(1, 3, 3), (1, 1, 2, 2),
                                                             align_corners=False)),
    ("affine_grid theta list", lambda lib, F: F.affine_grid(lib.zeros(1, 3, 3), [1, 1, 2, 2],
                                                            align_corners=False)),
    ("affine_grid 3-D size", lambda lib, F: F.affine_grid(lib.zeros(1, 2, 3), (1, 1, 2),
                                                          align_corners=False)),
    ("affine_grid empty", lambda lib, F: F.affine_grid(lib.zeros(1, 2, 3), [1, 1, 0, 2],
                                                       align_corners=False)),
]


@pytest.mark.parametrize("fn", [f for _, f in ERRORS], ids=[n for n, _ in ERRORS])
def test_errors_as_torch(fn):
    assert_errors_alike(fn)


def test_logsigmoid_is_plus_zero_where_sigmoid_rounds_to_one():
    x = np.array([-800., -20., 0., 20., 800.])
    theirs = TF.logsigmoid(torch.tensor(x)).numpy()
    ours = F.logsigmoid(tg.tensor(x)).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))
    (t, tg_), (o, og) = both(lambda lib, mod, a: mod.logsigmoid(a), np.linspace(-30, 30, 13))
    np.testing.assert_allclose(og[0], tg_[0], rtol=1e-12)


def test_normalize_out():
    x = np.array([[3., 4.], [0., 0.]], np.float32)
    theirs = torch.empty(2, 2)
    ours = tg.empty(2, 2)
    r_t = TF.normalize(torch.tensor(x), out=theirs)
    r_o = F.normalize(tg.tensor(x), out=ours)
    assert r_o is ours and r_t is theirs
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
