"""What the vision programs (tests/torch_programs/vae_mnist.py, resnet_small.py,
dcgan_tiny.py) and their usual variants need, against torch.

1. ``F.interpolate`` with mode 'bicubic' (Keys' cubic, a = −0.75), ``antialias=True``
   (bilinear, bicubic: Pillow's resampling) and 'lanczos' (Lanczos-3, antialiased only): the
   value in float64 and float32 (dtype kept), the gradient and the second order; the errors.
   Torch's own gradients are wrong in two corners, which are checked by finite differences
   instead of against torch (see :func:`test_interpolate_where_torch_itself_is_wrong`).
   uint8 images: torch's fixed-point resize, byte for byte.
2. ``nn.Identity``'s ignored arguments; ``nn.init.dirac_`` and ``sparse_`` (torch's draws).
3. ``memory_format``: ``Tensor.to``/``Module.to``/``is_contiguous`` with ``channels_last``.
4. ``torch.backends.mps`` and ``torch.cuda``'s seeding through the as_torch runner.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
from tinygrad_sgd import tensor
from tinygrad_sgd.gradcheck import gradcheck, gradgradcheck
from tinygrad_sgd.nn import functional as F

torch.set_num_threads(1)


# ---------------------------------------------------------------------- 1. interpolate
def resize(name, shape, **kw):
    return pytest.param(shape, kw, id=name)


RESIZES = [
    resize("bicubic up", (2, 3, 5, 7), size=(9, 12), mode="bicubic"),
    resize("bicubic down", (1, 2, 11, 9), size=(4, 5), mode="bicubic"),
    resize("bicubic align_corners", (2, 1, 6, 5), size=(10, 3), mode="bicubic",
           align_corners=True),
    resize("bicubic scale_factor", (1, 2, 7, 6), scale_factor=(1.7, 0.6), mode="bicubic"),
    resize("bicubic recompute_scale_factor", (1, 1, 9, 8), scale_factor=0.61, mode="bicubic",
           recompute_scale_factor=True),
    resize("bicubic to 1x1", (2, 2, 5, 4), size=1, mode="bicubic"),
    resize("bicubic from 1 row", (1, 2, 1, 6), size=(3, 4), mode="bicubic"),
    resize("bicubic same size", (1, 2, 5, 6), size=(5, 6), mode="bicubic"),
    resize("antialiased bilinear down", (2, 3, 28, 28), size=(16, 16), mode="bilinear",
           antialias=True),
    resize("antialiased bilinear uneven", (1, 2, 13, 10), size=(4, 7), mode="bilinear",
           antialias=True),
    resize("antialiased bilinear up (plain bilinear)", (1, 2, 5, 6), size=(9, 11),
           mode="bilinear", antialias=True),
    resize("antialiased bilinear one axis", (2, 1, 12, 9), size=(12, 4), mode="bilinear",
           antialias=True),
    resize("antialiased bilinear align_corners", (1, 2, 12, 10), size=(5, 4), mode="bilinear",
           antialias=True, align_corners=True),
    resize("antialiased bilinear scale_factor", (1, 1, 14, 11), scale_factor=(0.3, 0.55),
           mode="bilinear", antialias=True),
    resize("antialiased bilinear same size", (1, 2, 4, 5), size=(4, 5), mode="bilinear",
           antialias=True),
    resize("antialiased bicubic down", (2, 2, 17, 15), size=(6, 4), mode="bicubic",
           antialias=True),
    resize("antialiased bicubic up", (1, 2, 4, 5), size=(7, 9), mode="bicubic",
           antialias=True),
    resize("antialiased bicubic scale_factor", (1, 1, 10, 9), scale_factor=0.45,
           mode="bicubic", antialias=True),
    resize("lanczos down", (2, 2, 20, 16), size=(7, 5), mode="lanczos", antialias=True),
    resize("lanczos up", (1, 1, 4, 6), size=(9, 8), mode="lanczos", antialias=True),
    resize("lanczos scale_factor", (1, 2, 12, 13), scale_factor=(0.5, 0.35), mode="lanczos",
           antialias=True),
]


def _pair(a, requires_grad=True):
    return tensor(a.copy(), requires_grad=requires_grad), torch.tensor(a, requires_grad=True)


@pytest.mark.parametrize("shape, kw", RESIZES)
def test_interpolate_value_gradient_and_second_order_match_torch(shape, kw):
    rng = np.random.default_rng(7)
    x, xt = _pair(rng.standard_normal(shape))
    y, yt = F.interpolate(x, **kw), TF.interpolate(xt, **kw)
    assert tuple(y.shape) == tuple(yt.shape) and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)

    gy_array = rng.standard_normal(tuple(yt.shape))
    gy, gyt = _pair(gy_array)
    (g,) = tg.autograd.grad((y * gy).sum(), [x], create_graph=True)
    (gt,) = torch.autograd.grad((yt * gyt).sum(), [xt], create_graph=True)
    np.testing.assert_allclose(g.numpy(), gt.detach().numpy(), rtol=1e-12, atol=1e-12)

    u = rng.standard_normal(shape)
    (h,) = tg.autograd.grad((g * tensor(u)).sum(), [gy])
    (ht,) = torch.autograd.grad((gt * torch.tensor(u)).sum(), [gyt])
    np.testing.assert_allclose(h.numpy(), ht.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, kw", RESIZES)
def test_interpolate_float32_stays_float32_and_close(shape, kw):
    a = np.random.default_rng(8).standard_normal(shape).astype(np.float32)
    x, xt = _pair(a)
    y, yt = F.interpolate(x, **kw), TF.interpolate(xt, **kw)
    assert y.dtype == np.float32
    # torch evaluates the cubic weights in another order: a few float32 ulps apart
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    y.sum().backward()
    yt.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_antialias_keeps_every_pixel_and_matches_pillow_style_weights(mode):
    """Shrinking a one-pixel-wide line by 4: without antialiasing bilinear misses it (the
    taps fall beside it); with it the line shows in the output, as in torch."""
    a = np.zeros((1, 1, 16, 16))
    a[:, :, :, 3] = 1.0                  # plain bilinear reads columns 1, 2, 5, 6, 9, ...
    y = F.interpolate(tensor(a), size=(4, 4), mode=mode, antialias=True).numpy()
    yt = TF.interpolate(torch.tensor(a), size=(4, 4), mode=mode, antialias=True).numpy()
    np.testing.assert_allclose(y, yt, rtol=1e-12, atol=1e-12)
    assert (y[..., 0] > 0.1).all()       # the first output column sees the line
    plain = F.interpolate(tensor(a), size=(4, 4), mode="bilinear").numpy()
    assert plain.sum() == 0.0


@pytest.mark.parametrize("kw", [
    dict(mode="bicubic", scale_factor=1.05),                     # the size does not change
    dict(mode="bilinear", antialias=True, scale_factor=(1.05, 0.5)),
    dict(mode="bicubic", antialias=True, scale_factor=1.05),
])
def test_interpolate_where_torch_itself_is_wrong(kw):
    """Where torch's backward is not the adjoint of its forward (torch's own gradcheck fails:
    a scale_factor that keeps a size, e.g. 1.05 on 7 pixels), the gradient here is checked by
    finite differences (first and second order) and the value against torch."""
    a = np.random.default_rng(3).standard_normal((1, 1, 7, 5))
    x = tensor(a, requires_grad=True)
    np.testing.assert_allclose(F.interpolate(x, **kw).numpy(),
                               TF.interpolate(torch.tensor(a), **kw).numpy(), atol=1e-12)
    assert gradcheck(lambda t: F.interpolate(t, **kw), (x,))
    assert gradgradcheck(lambda t: F.interpolate(t, **kw), (x,))
    assert not torch.autograd.gradcheck(lambda t: TF.interpolate(t, **kw),
                                        (torch.tensor(a, requires_grad=True),),
                                        raise_exception=False)


def test_antialiased_shrink_to_one_column_is_the_two_step_resize():
    """Torch's antialiased kernel gives every row the first row's value when the width
    shrinks to 1 and the height changes (a torch bug); here it is the resize done one axis at
    a time, which torch computes right."""
    a = np.random.default_rng(4).standard_normal((1, 1, 7, 5))
    y = F.interpolate(tensor(a), size=(16, 1), mode="bilinear", antialias=True).numpy()
    step = TF.interpolate(torch.tensor(a), size=(7, 1), mode="bilinear", antialias=True)
    step = TF.interpolate(torch.cat([step, step], 3), size=(16, 2), mode="bilinear",
                          antialias=True)[..., :1]
    np.testing.assert_allclose(y, step.numpy(), rtol=1e-12, atol=1e-12)
    assert np.ptp(y) > 0.1


INTERPOLATE_ERRORS = [
    ((1, 1, 6), dict(size=3, mode="bicubic"), NotImplementedError,
     "Only 3D, 4D and 5D input Tensors supported (got 3D)"),
    ((1, 1, 6, 6, 6), dict(size=3, mode="bicubic"), NotImplementedError,
     "(got bicubic)"),
    ((1, 1, 6, 6), dict(size=3, mode="nearest", antialias=True), ValueError,
     "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes"),
    ((1, 1, 6), dict(size=3, mode="bilinear", antialias=True), ValueError,
     "requires a 4-D tensor as input"),
    ((1, 1, 6, 6), dict(size=3, mode="lanczos"), ValueError,
     "Lanczos mode requires antialias=True"),
    ((1, 1, 6, 6), dict(size=3, mode="lanczos", antialias=True, align_corners=True),
     ValueError, "Lanczos mode does not support align_corners=True"),
    ((1, 1, 6), dict(size=3, mode="lanczos"), NotImplementedError, "(got lanczos)"),
    ((1, 1, 6, 6), dict(size=3, mode="cubic"), NotImplementedError, "(got cubic)"),
    ((1, 1, 6, 6), dict(size=3, mode="bicubic", scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
]


@pytest.mark.parametrize("shape, kw, error, text", INTERPOLATE_ERRORS)
def test_interpolate_errors_are_torchs(shape, kw, error, text):
    with pytest.raises(error, match=None) as theirs:
        TF.interpolate(torch.ones(shape), **kw)
    assert text in str(theirs.value)
    with pytest.raises(error) as ours:
        F.interpolate(tg.ones(shape), **kw)
    assert text in str(ours.value)


UINT8_RESIZES = [
    (mode, aa, ac, shape, kw)
    for mode, aa, ac in [("nearest", False, None), ("nearest-exact", False, None),
                         ("bilinear", False, False), ("bilinear", False, True),
                         ("bicubic", False, False), ("bicubic", False, True),
                         ("bilinear", True, False), ("bicubic", True, False),
                         ("bicubic", True, True), ("lanczos", True, False)]
    for shape, kw in [((2, 3, 28, 28), dict(size=(16, 16))), ((1, 3, 13, 7), dict(size=(5, 20))),
                      ((1, 5, 8, 9), dict(scale_factor=(1.7, 0.6))),
                      ((1, 1, 1, 6), dict(size=(3, 4))), ((1, 2, 6, 5), dict(size=(6, 5)))]]


@pytest.mark.parametrize("mode, aa, ac, shape, kw", UINT8_RESIZES)
def test_uint8_images_resize_to_torchs_bytes(mode, aa, ac, shape, kw):
    """torch resizes uint8 images in fixed point (int16 weights, rounding to bytes between
    the two axes): the same bytes here."""
    a = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    extra = dict(kw, mode=mode, **({"antialias": True} if aa else {}),
                 **({} if ac is None else {"align_corners": ac}))
    y, yt = F.interpolate(tg.tensor(a), **extra), TF.interpolate(torch.tensor(a), **extra)
    assert y.dtype == np.uint8
    np.testing.assert_array_equal(y.numpy(), yt.numpy())


@pytest.mark.parametrize("dtype, mode", [(np.int64, "nearest"), (np.int8, "bilinear"),
                                         (np.uint8, "area"), (np.uint8, "linear"),
                                         (np.bool_, "nearest")])
def test_other_integer_resizes_are_not_implemented_as_in_torch(dtype, mode):
    shape = (1, 1, 4) if mode == "linear" else (1, 1, 4, 4)
    with pytest.raises(NotImplementedError):
        TF.interpolate(torch.zeros(shape, dtype=getattr(torch, np.dtype(dtype).name)), size=3,
                       mode=mode)
    with pytest.raises(NotImplementedError, match="not implemented for"):
        F.interpolate(tg.tensor(np.zeros(shape, dtype)), size=3, mode=mode)


def test_upsample_module_takes_bicubic():
    a = np.random.default_rng(5).standard_normal((1, 2, 4, 5)).astype(np.float32)
    up, upt = tg.nn.Upsample(scale_factor=2, mode="bicubic"), \
        torch.nn.Upsample(scale_factor=2, mode="bicubic")
    assert repr(up) == repr(upt)
    np.testing.assert_allclose(up(tensor(a)).numpy(), upt(torch.tensor(a)).numpy(),
                               rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------- 2. modules and init
def test_identity_takes_and_ignores_any_arguments():
    for args, kwargs in [((), {}), ((54,), {"unused_argument1": 0.1, "unused_argument2": False})]:
        ours, theirs = tg.nn.Identity(*args, **kwargs), torch.nn.Identity(*args, **kwargs)
        assert repr(ours) == repr(theirs) == "Identity()"
        x = tg.randn(2, 3)
        assert ours(x) is x
        assert list(ours.state_dict()) == list(theirs.state_dict()) == []


def _same_draws(fill, shape, seed, dtype=np.float32, **kw):
    """The values ``fill`` draws here and in torch from the same seed (and generator)."""
    tg.manual_seed(seed)
    torch.manual_seed(seed)
    gen = kw.pop("generator", None)
    ours = getattr(tg.nn.init, fill)(tg.empty(*shape, dtype=dtype), **kw, **(
        {"generator": tg.Generator().manual_seed(gen)} if gen is not None else {}))
    theirs = getattr(torch.nn.init, fill)(
        torch.empty(*shape, dtype=getattr(torch, np.dtype(dtype).name)), **kw, **(
            {"generator": torch.Generator().manual_seed(gen)} if gen is not None else {}))
    return ours, theirs


@pytest.mark.parametrize("fill, shape, kw", [
    ("sparse_", (6, 4), dict(sparsity=0.3, std=1.0)),
    ("sparse_", (9, 5), dict(sparsity=0.5)),
    ("sparse_", (5, 3), dict(sparsity=0.34, generator=5)),      # normal_ from it, randperm not
    ("sparse_", (4, 2), dict(sparsity=0.0)),
    ("dirac_", (6, 2, 3, 3), dict(groups=2)),
    ("dirac_", (2, 4, 3), {}),
    ("dirac_", (2, 3, 3, 2, 4), {}),
    ("dirac_", (4, 4, 5, 5), dict(groups=4)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_and_dirac_init_are_torchs(fill, shape, kw, dtype):
    ours, theirs = _same_draws(fill, shape, 11, dtype, **dict(kw))
    assert ours.dtype == dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    # the default generator moved on as torch's did
    np.testing.assert_array_equal(tg.rand(3).numpy(), torch.rand(3).numpy())


@pytest.mark.parametrize("call, text", [
    (lambda init, lib: init.dirac_(lib.empty(3, 3)), "Only tensors with 3, 4, or 5 dimensions"),
    (lambda init, lib: init.dirac_(lib.empty(3, 2, 3), groups=2), "dim 0 must be divisible"),
    (lambda init, lib: init.sparse_(lib.empty(3), 0.1), "Only tensors with 2 dimensions"),
])
def test_sparse_and_dirac_errors_are_torchs(call, text):
    for lib in (torch, tg):
        with pytest.raises(ValueError, match=text):
            call(lib.nn.init, lib)


def test_dirac_fills_a_parameter_in_place_and_the_conv_passes_channels_through():
    conv = tg.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    w = conv.weight
    assert tg.nn.init.dirac_(w) is w and w.requires_grad
    x = tg.randn(2, 3, 5, 5)
    np.testing.assert_array_equal(conv(x).detach().numpy(), x.numpy())


# ---------------------------------------------------------------------- 3. memory format
def test_to_channels_last_is_torchs_layout_and_differentiable():
    a = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    x, xt = tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = x.to(memory_format=tg.channels_last), xt.to(memory_format=torch.channels_last)
    assert y.stride() == yt.stride() == (60, 1, 15, 3)
    assert (y.is_contiguous(), y.is_contiguous(memory_format=tg.channels_last)) == \
        (yt.is_contiguous(), yt.is_contiguous(memory_format=torch.channels_last)) == (False, True)
    np.testing.assert_array_equal(y.detach().numpy(), a)
    assert y.to(memory_format=tg.channels_last) is y
    assert x.to(memory_format=tg.contiguous_format) is x
    assert y.to(memory_format=tg.contiguous_format).stride() == (60, 20, 5, 1)
    z = x.to(tg.float64, memory_format=tg.channels_last)
    assert z.dtype == np.float64 and z.stride() == (60, 1, 15, 3)
    (y * tensor(a)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), a)
    for shape in [(3, 4), (2, 3, 4)]:
        assert tg.zeros(*shape).is_contiguous(memory_format=tg.channels_last) is False
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            tg.zeros(*shape).to(memory_format=tg.channels_last)
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            torch.zeros(*shape).to(memory_format=torch.channels_last)


def test_module_to_channels_last_lays_out_its_4d_tensors_in_place():
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Conv2d(2, 4, 3), tg.nn.BatchNorm2d(4), tg.nn.ReLU())
    weight, before = model[0].weight, model[0].weight.numpy().copy()
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    assert model.to(memory_format=tg.channels_last) is model
    assert model[0].weight is weight and weight.requires_grad
    assert weight.is_contiguous(memory_format=tg.channels_last) and not weight.is_contiguous()
    assert model[1].weight.is_contiguous()                     # 1-D: unchanged
    np.testing.assert_array_equal(weight.numpy(), before)
    x = tg.randn(2, 2, 6, 6).to(memory_format=tg.channels_last)
    model(x).sum().backward()
    opt.step()                                                 # the optimizer still holds it
    assert not np.array_equal(weight.numpy(), before)


# ---------------------------------------------------------------------- 4. torch.backends, cuda
def test_backends_mps_and_cuda_seeding_through_as_torch():
    """The device choice of pytorch/examples (``torch.backends.mps.is_available()``) and the
    usual seeding function (``torch.cuda.manual_seed_all``) run as on torch's CPU build."""
    import importlib
    from tinygrad_sgd._torch_shim import torch_modules
    real = (torch.backends.mps.is_available(), torch.backends.mps.is_built(),
            torch.cuda.manual_seed(1), torch.cuda.manual_seed_all(1), torch.cuda.empty_cache())
    with torch_modules():
        shim = importlib.import_module("torch")
        import torch.backends.mps as mps
        assert mps is shim.backends.mps
        ours = (shim.backends.mps.is_available(), mps.is_built(), shim.cuda.manual_seed(1),
                shim.cuda.manual_seed_all("1"), shim.cuda.empty_cache())
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            shim.cuda.synchronize()
        with pytest.raises(TypeError):
            shim.cuda.manual_seed(None)
    assert ours == real == (False, False, None, None, None)
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        torch.cuda.synchronize()
