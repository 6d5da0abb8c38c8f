"""Lazy modules and the uninitialized placeholders against torch.

For every lazy layer (a table of constructor arguments and first inputs): the repr and the
state_dict (placeholder types) before the first forward, then — after the same
``manual_seed`` — the class it became, its repr, every state_dict entry draw for draw, the
output and the gradients; torch's behaviour with an optimizer built before the first forward,
with ``load_state_dict`` in both directions, with ``.double()`` before the first forward; the
placeholders' checks (shape, computation, materialize) and each misuse's error class.
"""
import copy

import numpy as np
import pytest
import torch
import torch.nn as tnn

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, nn, tensor

torch.set_num_threads(1)

LAZY = [
    ("LazyLinear", (3,), {}, (2, 5)),
    ("LazyLinear", (4,), dict(bias=False), (2, 3, 6)),
    ("LazyConv1d", (4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("LazyConv2d", (4, 3), dict(groups=2, bias=False), (2, 6, 5, 5)),
    ("LazyConv2d", (2, (2, 3)), dict(padding="same", padding_mode="reflect"), (3, 5, 6)),
    ("LazyConv3d", (2, 2), dict(dilation=(1, 2, 1)), (1, 3, 3, 5, 4)),
    ("LazyConvTranspose1d", (3, 3), dict(stride=2, output_padding=1), (2, 4, 5)),
    ("LazyConvTranspose2d", (4, 2), dict(groups=2, stride=2), (1, 2, 3, 4)),
    ("LazyConvTranspose3d", (2, (1, 2, 2)), dict(padding=(0, 1, 0)), (1, 3, 2, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), dict(affine=False, momentum=None), (4, 3, 5)),
    ("LazyBatchNorm2d", (), dict(bias=False), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), dict(track_running_stats=False), (2, 2, 3, 2, 3)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), dict(affine=False), (2, 3, 4, 5)),
    ("LazyInstanceNorm3d", (), dict(track_running_stats=False), (2, 2, 3, 3, 4)),
]
IDS = [f"{name}-{i}" for i, (name, *_rest) in enumerate(LAZY)]


def _types(state):
    return {k: type(v).__name__ for k, v in state.items()}


@pytest.mark.parametrize("name, args, kwargs, shape", LAZY, ids=IDS)
def test_lazy_module_infers_sizes_and_initialises_as_torch(name, args, kwargs, shape):
    torch.manual_seed(11)
    theirs = getattr(tnn, name)(*args, **kwargs, dtype=torch.float64)
    tg.manual_seed(11)
    ours = getattr(nn, name)(*args, **kwargs, dtype=tg.float64)
    assert repr(ours) == repr(theirs)
    assert _types(ours.state_dict()) == _types(theirs.state_dict())
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape)
    xo, xt = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xo), theirs(xt)
    assert type(ours) is getattr(nn, type(theirs).__name__)
    assert repr(ours) == repr(theirs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for key in sd:
        assert type(sd[key]) is Tensor, key
        np.testing.assert_allclose(sd[key].numpy(), tsd[key].numpy(), rtol=1e-12, atol=0,
                                   err_msg=key)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-10,
                               atol=1e-10)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    y.backward(tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    for (key, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert type(p) is nn.Parameter
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-10, atol=1e-10,
                                   err_msg=key)
    y2, y2t = ours(tensor(x)), theirs(torch.tensor(x))        # the plain class from now on
    np.testing.assert_allclose(y2.detach().numpy(), y2t.detach().numpy(), rtol=1e-10,
                               atol=1e-10)


def test_default_dtype_float32_and_double_before_the_first_forward():
    tg.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = nn.LazyLinear(3), tnn.LazyLinear(3)
    assert ours.weight.dtype == tg.float32 and theirs.weight.dtype == torch.float32
    ours.double()
    theirs.double()
    x = np.ones((2, 4))
    y, yt = ours(tensor(x)), theirs(torch.tensor(x))
    assert ours.weight.dtype == tg.float64 and y.dtype == tg.float64
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12)


def test_optimizer_built_before_the_first_forward_steps_the_materialized_parameters():
    x = np.random.default_rng(2).standard_normal((5, 4))
    results = []
    for lib in (tg, torch):
        lib.manual_seed(3)
        model = lib.nn.Sequential(lib.nn.LazyLinear(6), lib.nn.ReLU(), lib.nn.LazyLinear(2))
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        params = list(model.parameters())
        for _ in range(3):
            opt.zero_grad()
            (model(lib.tensor(x, dtype=lib.float32)) ** 2).mean().backward()
            opt.step()
        assert [type(p).__name__ for p in params] == ["Parameter"] * 4
        assert all(a is b for a, b in zip(params, model.parameters()))
        results.append([p.detach().numpy().copy() for p in params])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_load_state_dict_into_a_lazy_module_materializes_it():
    torch.manual_seed(0)
    source = tnn.Linear(5, 3)
    for lib, src in ((tg, {k: v.detach().numpy() for k, v in source.state_dict().items()}),
                     (torch, source.state_dict())):
        lazy = lib.nn.LazyLinear(3)
        result = lazy.load_state_dict(src)
        assert not result.missing_keys and not result.unexpected_keys
        assert type(lazy).__name__ == "LazyLinear" and type(lazy.weight).__name__ == "Parameter"
        assert tuple(lazy.weight.shape) == (3, 5)
        y = lazy(lib.ones(2, 5))
        assert type(lazy).__name__ == "Linear" and lazy.in_features == 5
        np.testing.assert_allclose(y.detach().numpy(), source(torch.ones(2, 5)).detach().numpy(),
                                   rtol=1e-6)
    ours = nn.LazyConv2d(4, 3)                       # a torch state dict, loaded directly
    ours.load_state_dict(tnn.Conv2d(2, 4, 3).state_dict())
    assert tuple(ours.weight.shape) == (4, 2, 3, 3)


def test_loading_a_lazy_state_dict_into_an_initialised_module_raises_runtime_error():
    for lib in (tg, torch):
        with pytest.raises(RuntimeError):
            lib.nn.Linear(3, 2).load_state_dict(lib.nn.LazyLinear(2).state_dict())


# ---------------------------------------------------------------------- the placeholders
def test_uninitialized_parameter_and_buffer_behave_as_torchs():
    for lib in (tg, torch):
        u = lib.nn.UninitializedParameter(dtype=lib.float64)
        assert repr(u) == "<UninitializedParameter>"
        assert u.requires_grad and u.dtype == lib.float64 and u.is_leaf
        assert tuple(u.size()) == (0,) and u.is_floating_point()
        with pytest.raises(RuntimeError, match="uninitialized parameter"):
            u.shape
        for use in (lambda: u + 1, lambda: u * u, lambda: u.sum(), lambda: u.numel(),
                    lambda: u.exp(), lambda: len(u), lambda: u[0]):
            with pytest.raises(ValueError, match="Attempted to use an uninitialized"):
                use()
        u.materialize((2, 3))
        assert type(u) is lib.nn.Parameter and tuple(u.shape) == (2, 3)
        assert u.dtype == lib.float64 and u.requires_grad
        with pytest.raises(AttributeError):
            u.materialize((2, 3))
        b = lib.nn.UninitializedBuffer()
        assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad
        assert b.dtype == lib.float32
        b.materialize((4,), dtype=lib.float64)
        assert type(b) is lib.Tensor and tuple(b.shape) == (4,) and b.dtype == lib.float64
        p = lib.nn.UninitializedParameter(requires_grad=False)
        assert not p.requires_grad and isinstance(p, lib.nn.Parameter)


def _raises_like_torch(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(tg)


ERRORS = [
    ("conv groups", lambda t: t.nn.LazyConv2d(4, 3, groups=2)(t.zeros(1, 3, 5, 5))),
    ("conv out_channels vs groups, at the first forward",
     lambda t: t.nn.LazyConv2d(5, 3, groups=2)(t.zeros(1, 4, 5, 5))),
    ("transposed conv out_channels vs groups",
     lambda t: t.nn.LazyConvTranspose2d(5, 3, groups=2)(t.zeros(1, 4, 5, 5))),
    ("conv input dims", lambda t: t.nn.LazyConv2d(4, 3)(t.zeros(1, 3, 5, 5, 5))),
    ("conv1d input dims", lambda t: t.nn.LazyConv1d(4, 3)(t.zeros(5))),
    ("transposed conv input dims", lambda t: t.nn.LazyConvTranspose3d(2, 2)(t.zeros(2, 2, 2))),
    ("instance norm unbatched", lambda t: t.nn.LazyInstanceNorm1d()(t.zeros(3, 4))),
    ("batch norm dims", lambda t: t.nn.LazyBatchNorm2d()(t.zeros(2, 3, 4))),
    ("linear dtype", lambda t: t.nn.LazyLinear(3)(t.zeros(2, 4, dtype=t.float64))),
    ("weight of a lazy module", lambda t: t.nn.LazyLinear(3).weight.t()),
    ("deepcopy of a placeholder buffer", lambda t: copy.deepcopy(t.nn.LazyBatchNorm1d())),
    ("requires_grad_ of a placeholder", lambda t: t.nn.LazyLinear(3).requires_grad_(False)),
    ("numel of a placeholder", lambda t: sum(p.numel() for p in t.nn.LazyConv1d(2, 3)
                                             .parameters())),
]


@pytest.mark.parametrize("call", [c for _, c in ERRORS], ids=[n for n, _ in ERRORS])
def test_misuse_raises_torchs_error_class(call):
    _raises_like_torch(call)


def test_deepcopy_of_a_lazy_linear_is_lazy_and_independent():
    for lib in (tg, torch):
        m = lib.nn.LazyLinear(3)
        c = copy.deepcopy(m)
        assert type(c.weight).__name__ == "UninitializedParameter" and c.weight is not m.weight
        c(lib.ones(2, 4))
        assert type(c).__name__ == "Linear" and type(m).__name__ == "LazyLinear"


def test_unbatched_conv_input_reads_channels_from_dim_0():
    for lib in (tg, torch):
        m = lib.nn.LazyConv2d(4, 3, groups=2)
        m(lib.zeros(4, 5, 5))
        assert repr(m) == "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), groups=2)"


def test_a_parent_module_loads_into_its_lazy_children_as_torch():
    outs = []
    for L in (tg, torch):
        L.manual_seed(0)
        src = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Conv1d(1, 2, 3))
        dst = L.nn.Sequential(L.nn.LazyLinear(4), L.nn.ReLU(), L.nn.LazyConv1d(2, 3))
        result = dst.load_state_dict(src.state_dict())
        assert not result.missing_keys and not result.unexpected_keys
        assert tuple(dst[0].weight.shape) == (4, 3) and tuple(dst[2].weight.shape) == (2, 1, 3)
        outs.append(dst(L.ones(1, 1, 3)).detach().numpy())
    np.testing.assert_allclose(*outs, rtol=1e-6)
