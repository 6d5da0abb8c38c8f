"""nn.utils against torch.nn.utils: get_total_norm, clip_grads_with_norm_ (and clip_grad_norm_
built from them), the deprecated clip_grad_norm, the conv/linear–BatchNorm fusions, skip_init
and stateless.functional_call — values, gradients, dtypes, warnings and errors."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import nn, tensor
from tinygrad_sgd.nn import utils
from tinygrad_sgd.nn.utils import stateless

TU = torch.nn.utils
INF = float("inf")


def pair(array, requires_grad=False):
    return (tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


def caught(fn):
    """fn()'s result and the warnings it gave."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = fn()
    return result, record


# ============================================================================ total norm
NORMS = [2.0, 1.0, 3.0, 0.5, INF, -INF, 0.0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("norm_type", NORMS)
def test_get_total_norm_matches_torch(norm_type, dtype):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (5,), (), (2, 1, 3)]]
    arrays[1][2] = 0.0
    ours = utils.get_total_norm([tensor(a) for a in arrays], norm_type)
    theirs = TU.get_total_norm([torch.tensor(a) for a in arrays], norm_type)
    assert ours.shape == () and ours.dtype == dtype
    tight = dtype == np.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12 if tight else 1e-6)
    one = utils.get_total_norm(tensor(arrays[0]), norm_type)          # a single Tensor
    np.testing.assert_allclose(one.numpy(), TU.get_total_norm(torch.tensor(arrays[0]),
                                                              norm_type).numpy(), rtol=1e-6)


def test_get_total_norm_of_nothing_and_of_mixed_dtypes():
    assert utils.get_total_norm([]).item() == TU.get_total_norm([]).item() == 0.0
    assert utils.get_total_norm([]).dtype == np.float32
    mixed = [np.ones(2, np.float32), np.full(2, 2.0)]
    ours = utils.get_total_norm([tensor(a) for a in mixed])
    theirs = TU.get_total_norm([torch.tensor(a) for a in mixed])
    assert ours.dtype == np.float64 and theirs.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
    assert utils.get_total_norm(iter([tensor(np.ones(4))])).item() == 2.0   # any iterable
    total = utils.get_total_norm([tensor(np.ones(3), requires_grad=True)])   # no graph
    assert not total.requires_grad and total.grad_fn is None


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_get_total_norm_error_if_nonfinite(bad):
    values = np.array([1.0, bad])
    with pytest.raises(RuntimeError) as theirs:
        TU.get_total_norm([torch.tensor(values)], error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as ours:
        utils.get_total_norm([tensor(values)], error_if_nonfinite=True)
    assert str(ours.value) == str(theirs.value)
    quiet = utils.get_total_norm([tensor(values)]).item()
    assert np.isnan(quiet) if np.isnan(bad) else quiet == np.inf


# ============================================================================ clipping
def params_with_grads(dtype, seed=0):
    """Three parameters (the middle one without a gradient), ours and torch's."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for i, shape in enumerate([(3, 2), (4,), (2, 2)]):
        p, q = pair(rng.standard_normal(shape).astype(dtype), requires_grad=True)
        if i != 1:
            g = (rng.standard_normal(shape) * 3).astype(dtype)
            p.grad, q.grad = tensor(g.copy()), torch.tensor(g.copy())
        ours.append(p)
        theirs.append(q)
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, INF),
                                                (2.0, 1.0), (0.0, 2.0)])
def test_clip_grads_with_norm_matches_torch(max_norm, norm_type, dtype):
    ours, theirs = params_with_grads(dtype)
    total = utils.get_total_norm([p.grad for p in ours if p.grad is not None], norm_type)
    ttotal = TU.get_total_norm([q.grad for q in theirs if q.grad is not None], norm_type)
    grad_objects = [p.grad for p in ours]
    assert utils.clip_grads_with_norm_(ours, max_norm, total) is None
    TU.clip_grads_with_norm_(theirs, max_norm, ttotal)
    tight = dtype == np.float64
    for p, q, g in zip(ours, theirs, grad_objects):
        if q.grad is None:
            assert p.grad is None
            continue
        assert p.grad is g and p.grad.dtype == dtype                  # in place
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-13 if tight else 1e-6)


@pytest.mark.parametrize("norm_type", [2.0, INF, 1.0])
def test_clip_grad_norm_is_total_norm_then_clip_as_torch(norm_type):
    ours, theirs = params_with_grads(np.float64, seed=1)
    total = utils.clip_grad_norm_(ours, 1.5, norm_type)
    ttotal = TU.clip_grad_norm_(theirs, 1.5, norm_type)
    np.testing.assert_allclose(total.numpy(), ttotal.numpy(), rtol=1e-14)
    for p, q in zip(ours, theirs):
        if q.grad is not None:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-14)
    again, _ = params_with_grads(np.float64, seed=1)
    norm = utils.get_total_norm([p.grad for p in again if p.grad is not None], norm_type)
    utils.clip_grads_with_norm_(again, 1.5, norm)
    assert norm.item() == total.item()
    for p, r in zip(ours, again):
        if p.grad is not None:
            np.testing.assert_array_equal(p.grad.numpy(), r.grad.numpy())


def test_clip_grads_with_norm_edge_cases_as_torch():
    p, q = pair(np.ones(2), requires_grad=True)
    assert utils.clip_grads_with_norm_([p], 1.0, 3.0) is None      # no gradients: nothing read
    TU.clip_grads_with_norm_([q], 1.0, 3.0)
    p.grad, q.grad = tensor(np.ones(2)), torch.ones(2, dtype=torch.float64)
    with pytest.raises(TypeError):
        TU.clip_grads_with_norm_([q], 1.0, 3.0)          # torch's clamp wants a Tensor
    with pytest.raises(TypeError, match="total_norm must be a Tensor"):
        utils.clip_grads_with_norm_([p], 1.0, 3.0)
    utils.clip_grads_with_norm_(p, 1.0, tensor(np.array(4.0)))      # a single Tensor
    TU.clip_grads_with_norm_(q, 1.0, torch.tensor(4.0, dtype=torch.float64))
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-15)
    # float32 gradients scaled by a float64 norm stay float32 (as torch)
    p32 = nn.Parameter(np.ones(3, np.float32))
    p32.grad = tensor(np.full(3, 2.0, np.float32))
    utils.clip_grads_with_norm_([p32], 1.0, tensor(np.array(4.0)))
    assert p32.grad.dtype == np.float32


def test_clip_grad_norm_is_deprecated_with_torchs_warning():
    ours, theirs = params_with_grads(np.float64, seed=2)
    total, record = caught(lambda: utils.clip_grad_norm(ours, 1.0))
    ttotal, trecord = caught(lambda: TU.clip_grad_norm(theirs, 1.0))
    assert [w.category for w in record] == [w.category for w in trecord] == [FutureWarning]
    assert str(record[0].message) == str(trecord[0].message)
    assert record[0].filename == __file__                 # points at the caller
    np.testing.assert_allclose(total.numpy(), ttotal.numpy(), rtol=1e-14)
    np.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), rtol=1e-14)


def test_new_names_are_where_torch_has_them():
    for name in ["get_total_norm", "clip_grads_with_norm_", "clip_grad_norm", "skip_init",
                 "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
                 "fuse_linear_bn_weights"]:
        assert name in utils.__all__ and hasattr(TU, name), name
    assert utils.fusion.fuse_conv_bn_eval is utils.fuse_conv_bn_eval
    assert stateless.__all__ == TU.stateless.__all__ == ["functional_call"]


# ============================================================================ fusion
def bn_pair(kind, channels, affine=True, dtype=np.float64, seed=0):
    """A BatchNorm with random affine parameters and running statistics, ours and torch's."""
    rng = np.random.default_rng(seed)
    theirs = getattr(torch.nn, kind)(channels, affine=affine, dtype=torch.float64).to(
        torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        theirs.running_mean.copy_(torch.from_numpy(rng.standard_normal(channels)))
        theirs.running_var.copy_(torch.from_numpy(rng.uniform(0.2, 2.0, channels)))
        if affine:
            theirs.weight.copy_(torch.from_numpy(rng.standard_normal(channels)))
            theirs.bias.copy_(torch.from_numpy(rng.standard_normal(channels)))
    ours = getattr(nn, kind)(channels, affine=affine, dtype=dtype)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def layer_pair(kind, args, kwargs, dtype=np.float64):
    theirs = getattr(torch.nn, kind)(*args, **kwargs).to(
        torch.float64 if dtype == np.float64 else torch.float32)
    ours = getattr(nn, kind)(*args, **kwargs, dtype=dtype)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


CONVS = [("Conv1d", "BatchNorm1d", (3, 4, 3), dict(), False, (2, 3, 7)),
         ("Conv2d", "BatchNorm2d", (2, 5, 3), dict(padding=1), False, (2, 2, 5, 5)),
         ("Conv2d", "BatchNorm2d", (2, 4, 3), dict(bias=False), False, (1, 2, 6, 6)),
         ("Conv2d", "BatchNorm2d", (4, 6, 1), dict(groups=2), False, (2, 4, 3, 3)),
         ("Conv3d", "BatchNorm3d", (2, 3, 2), dict(), False, (1, 2, 4, 4, 4)),
         ("ConvTranspose2d", "BatchNorm2d", (3, 4, 3), dict(stride=2), True, (2, 3, 4, 4)),
         ("ConvTranspose1d", "BatchNorm1d", (2, 3, 2), dict(bias=False), True, (2, 2, 5))]


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", CONVS, ids=[f"{c[0]}-{c[3]}" for c in CONVS])
def test_fuse_conv_bn_eval_matches_torch(case, dtype, affine):
    kind, bn_kind, args, kwargs, transpose, x_shape = case
    conv, tconv = layer_pair(kind, args, kwargs, dtype)
    out_channels = args[1]
    bn, tbn = bn_pair(bn_kind, out_channels, affine, dtype)
    for m in (conv, tconv, bn, tbn):
        m.eval()
    fused = utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
    tfused = TU.fuse_conv_bn_eval(tconv, tbn, transpose=transpose)
    assert type(fused) is type(conv) and fused is not conv
    tight = dtype == np.float64
    rtol, atol = (1e-12, 1e-12) if tight else (1e-6, 1e-6)
    for name in ("weight", "bias"):
        ours, theirs = getattr(fused, name), getattr(tfused, name)
        assert isinstance(ours, nn.Parameter) and ours.dtype == dtype
        assert ours.requires_grad == theirs.requires_grad and ours.is_leaf
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_array_equal(conv.weight.numpy(), tconv.weight.detach().numpy())  # untouched
    x = np.random.default_rng(1).standard_normal(x_shape).astype(dtype)
    out = fused(tensor(x))
    np.testing.assert_allclose(out.numpy(), bn(conv(tensor(x))).numpy(),
                               rtol=1e-9 if tight else 1e-4, atol=1e-9 if tight else 1e-4)
    # the fused Parameters train: their gradients are torch's
    (out * out).sum().backward()
    tout = tfused(torch.from_numpy(x))
    (tout * tout).sum().backward()
    for name in ("weight", "bias"):
        ours, theirs = getattr(fused, name), getattr(tfused, name)
        if theirs.requires_grad:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(),
                                       rtol=1e-9 if tight else 1e-3, atol=1e-9 if tight else 1e-3)
        else:
            assert ours.grad is None


@pytest.mark.parametrize("bn_features", [5, 1])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_fuse_linear_bn_eval_matches_torch(bn_features, bias, dtype):
    linear, tlinear = layer_pair("Linear", (3, 5), dict(bias=bias), dtype)
    bn, tbn = bn_pair("BatchNorm1d", bn_features, dtype=dtype)
    for m in (linear, tlinear, bn, tbn):
        m.eval()
    fused = utils.fuse_linear_bn_eval(linear, bn)
    tfused = TU.fuse_linear_bn_eval(tlinear, tbn)
    tight = dtype == np.float64
    for name in ("weight", "bias"):
        ours, theirs = getattr(fused, name), getattr(tfused, name)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == dtype
        assert ours.requires_grad == theirs.requires_grad
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(),
                                   rtol=1e-12 if tight else 1e-6, atol=1e-12 if tight else 1e-6)
    if bn_features == 5:        # (with one feature, torch's BatchNorm1d wants (N, 1) input)
        x = tensor(np.random.default_rng(2).standard_normal((4, 3)).astype(dtype))
        np.testing.assert_allclose(fused(x).numpy(), bn(linear(x)).numpy(),
                                   rtol=1e-9 if tight else 1e-4, atol=1e-9 if tight else 1e-4)


def test_fuse_weights_functions_with_mixed_dtypes_and_missing_tensors():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    stats = [rng.standard_normal(4), rng.uniform(0.5, 2, 4)]       # float64 statistics
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    for conv_b, bn_w, bn_b in [(None, None, None), (rng.standard_normal(4), gamma, beta)]:
        ours = utils.fuse_conv_bn_weights(
            nn.Parameter(w.copy()), None if conv_b is None else nn.Parameter(conv_b.copy()),
            *(tensor(s) for s in stats), 1e-3, None if bn_w is None else tensor(bn_w),
            None if bn_b is None else tensor(bn_b))
        theirs = TU.fuse_conv_bn_weights(
            torch.nn.Parameter(torch.tensor(w)),
            None if conv_b is None else torch.nn.Parameter(torch.tensor(conv_b)),
            *(torch.tensor(s) for s in stats), 1e-3, None if bn_w is None else torch.tensor(bn_w),
            None if bn_b is None else torch.tensor(bn_b))
        for o, t in zip(ours, theirs):
            assert o.dtype == np.dtype(str(t.dtype).replace("torch.", ""))
            assert o.requires_grad == t.requires_grad
            np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-6)
    ours = utils.fuse_linear_bn_weights(nn.Parameter(w[:, :, 0, 0].copy()), None,
                                        *(tensor(s) for s in stats), 1e-5, tensor(gamma),
                                        tensor(beta))
    theirs = TU.fuse_linear_bn_weights(torch.nn.Parameter(torch.tensor(w[:, :, 0, 0])), None,
                                       *(torch.tensor(s) for s in stats), 1e-5,
                                       torch.tensor(gamma), torch.tensor(beta))
    for o, t in zip(ours, theirs):
        assert o.dtype == np.dtype(str(t.dtype).replace("torch.", ""))
        assert o.requires_grad == t.requires_grad
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-6)


def fusion_errors():
    """(our call, torch's call) pairs that must raise the same error."""
    def make(lib, layer, bn_kwargs=None, train=None, out=4, bn_features=4):
        mod = nn if lib is tg else torch.nn
        lay = mod.Linear(3, out) if layer == "linear" else mod.Conv2d(2, out, 1)
        bn = mod.BatchNorm1d(bn_features, **(bn_kwargs or {}))
        lay.eval()
        bn.eval()
        if train is not None:
            (lay if train == "layer" else bn).train()
        fuse = (utils.fuse_linear_bn_eval if layer == "linear" else utils.fuse_conv_bn_eval) \
            if lib is tg else (TU.fuse_linear_bn_eval if layer == "linear"
                               else TU.fuse_conv_bn_eval)
        return lambda: fuse(lay, bn)
    cases = [dict(layer="linear", train="layer"), dict(layer="conv", train="bn"),
             dict(layer="conv", bn_kwargs=dict(track_running_stats=False)),
             dict(layer="linear", bn_kwargs=dict(track_running_stats=False)),
             dict(layer="linear", out=4, bn_features=3)]
    return [(make(tg, **c), make(torch, **c)) for c in cases]


@pytest.mark.parametrize("index", range(5))
def test_fusion_errors_are_torchs(index):
    ours, theirs = fusion_errors()[index]
    with pytest.raises(AssertionError) as terror:
        theirs()
    with pytest.raises(AssertionError) as error:
        ours()
    assert str(error.value) == str(terror.value)


# ============================================================================ skip_init
@pytest.mark.parametrize("cls,args,kwargs", [
    ("Linear", (5, 3), {}), ("Linear", (), dict(in_features=6, out_features=1, bias=False)),
    ("Conv2d", (2, 4, 3), dict(dtype="float64")), ("BatchNorm1d", (7,), {})])
def test_skip_init_builds_the_module_without_drawing_random_numbers(cls, args, kwargs):
    tkwargs = dict(kwargs)
    if "dtype" in kwargs:
        tkwargs["dtype"] = getattr(torch, kwargs["dtype"])
        kwargs = dict(kwargs, dtype=np.dtype(kwargs["dtype"]))
    tg.manual_seed(0)
    expected_draw = tg.rand(3).numpy()
    tg.manual_seed(0)
    module = utils.skip_init(getattr(nn, cls), *args, **kwargs)
    np.testing.assert_array_equal(tg.rand(3).numpy(), expected_draw)   # no draw consumed
    theirs = TU.skip_init(getattr(torch.nn, cls), *args, **tkwargs)
    ours_state, their_state = module.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(their_state)
    for key, value in their_state.items():
        assert ours_state[key].shape == tuple(value.shape), key
        assert ours_state[key].numpy().dtype == value.numpy().dtype, key
        np.testing.assert_array_equal(ours_state[key].numpy(), 0)       # ours: zeros
    assert [p.requires_grad for p in module.parameters()] \
        == [p.requires_grad for p in theirs.parameters()]
    assert module.training == theirs.training


def test_skip_init_errors_are_torchs():
    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()

    class TorchNoDevice(torch.nn.Module):
        def __init__(self, n):
            super().__init__()
    for ours, theirs in [(lambda: utils.skip_init(NoDevice, 3),
                          lambda: TU.skip_init(TorchNoDevice, 3)),
                         (lambda: utils.skip_init(dict), lambda: TU.skip_init(dict))]:
        with pytest.raises(RuntimeError) as terror:
            theirs()
        with pytest.raises(RuntimeError) as error:
            ours()
        assert str(error.value) == str(terror.value)
    with pytest.raises(TypeError):
        utils.skip_init("Linear")            # not a class (issubclass's TypeError, as torch)
    with pytest.raises(RuntimeError, match="CPU only"):
        utils.skip_init(nn.Linear, 2, 3, device="cuda")


# ============================================================================ functional_call
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4, dtype=np.float64)
        self.bn = nn.BatchNorm1d(4, dtype=np.float64)
        self.fc2 = nn.Linear(4, 2, dtype=np.float64)

    def forward(self, x, scale=1.0):
        return self.fc2(tg.tanh(self.bn(self.fc1(x)))) * scale


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 4, dtype=torch.float64)
        self.bn = torch.nn.BatchNorm1d(4, dtype=torch.float64)
        self.fc2 = torch.nn.Linear(4, 2, dtype=torch.float64)

    def forward(self, x, scale=1.0):
        return self.fc2(torch.tanh(self.bn(self.fc1(x)))) * scale


def nets():
    ours, theirs = Net(), TorchNet()
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@pytest.mark.parametrize("training", [True, False])
def test_functional_call_matches_torch_values_gradients_and_restores(training):
    ours, theirs = nets()
    ours.train(training)
    theirs.train(training)
    rng = np.random.default_rng(4)
    new = {"fc1.weight": rng.standard_normal((4, 3)), "fc2.bias": rng.standard_normal(2),
           "bn.running_mean": rng.standard_normal(4)}
    given = {k: tensor(v.copy(), requires_grad=k != "bn.running_mean") for k, v in new.items()}
    tgiven = {k: torch.tensor(v.copy(), requires_grad=k != "bn.running_mean")
              for k, v in new.items()}
    x = rng.standard_normal((5, 3))
    own = {k: v for k, v in ours.named_parameters()}
    own_values = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    out, record = caught(lambda: stateless.functional_call(ours, given, (tensor(x),),
                                                           {"scale": 2.0}))
    tout, trecord = caught(lambda: TU.stateless.functional_call(theirs, tgiven,
                                                                (torch.tensor(x),),
                                                                {"scale": 2.0}))
    assert [str(w.message) for w in record] == [str(w.message) for w in trecord]
    assert [w.category for w in record] == [FutureWarning] and record[0].filename == __file__
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    for key in ("fc1.weight", "fc2.bias"):
        np.testing.assert_allclose(given[key].grad.numpy(), tgiven[key].grad.numpy(),
                                   rtol=1e-12, atol=1e-14)
    for key, t in tgiven.items():     # a training BatchNorm updated the given running mean
        np.testing.assert_allclose(given[key].numpy(), t.detach().numpy(), rtol=1e-12)
    # the module's own tensors are back, the same objects, unchanged and without gradients
    assert {k: v for k, v in ours.named_parameters()} == own
    assert all(v is own[k] for k, v in ours.named_parameters())
    assert ours.fc1.weight.grad is None and ours.fc2.bias.grad is None
    assert ours.fc1.bias.grad is not None               # not substituted: a real gradient
    # the module's buffers: as torch's (a training BatchNorm updated its own running_var
    # and count, and the substituted running_mean, not the module's)
    their_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), their_state[key].numpy(), rtol=1e-12,
                                   err_msg=key)
    np.testing.assert_array_equal(ours.bn.running_mean.numpy(), own_values["bn.running_mean"])


def test_functional_call_single_argument_and_no_arguments():
    lin = nn.Linear(3, 2, dtype=np.float64)
    w = tensor(np.ones((2, 3)), requires_grad=True)
    x = tensor(np.arange(3.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        out = stateless.functional_call(lin, {"weight": w}, x)       # not a tuple: one arg
        np.testing.assert_allclose(out.numpy(), 3.0 + lin.bias.numpy())

        class Constant(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Parameter(np.array(1.0))

            def forward(self):
                return self.c * 2
        m = Constant()
        assert stateless.functional_call(m, {"c": tensor(np.array(5.0))}).item() == 10.0
        assert m.c.item() == 1.0


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.foo = nn.Parameter(np.array(1.0))
        self.foo_tied = self.foo

    def forward(self, x):
        return x + self.foo + self.foo_tied


class TorchTied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.foo = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
        self.foo_tied = self.foo

    def forward(self, x):
        return x + self.foo + self.foo_tied


@pytest.mark.parametrize("given,tie_weights", [
    ({"foo": 0.0}, True), ({"foo": 0.0}, False), ({"foo_tied": 5.0}, True),
    ({"foo": 0.0, "foo_tied": 0.0}, True), ({"foo": 2.0, "foo_tied": 3.0}, False)])
def test_functional_call_tied_weights_as_torch(given, tie_weights):
    ours, theirs = Tied(), TorchTied()
    values = {k: tensor(np.array(v)) for k, v in given.items()}
    tvalues = {k: torch.tensor(v, dtype=torch.float64) for k, v in given.items()}
    if len(set(given.values())) == 1 and len(given) == 2:    # the same Tensor for both names
        values = {k: values["foo"] for k in given}
        tvalues = {k: tvalues["foo"] for k in given}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        out = stateless.functional_call(ours, values, tensor(np.array(0.0)),
                                        tie_weights=tie_weights)
        tout = TU.stateless.functional_call(theirs, tvalues, torch.tensor(0.0, dtype=torch.float64),
                                            tie_weights=tie_weights)
    assert out.item() == tout.item()
    assert ours.foo is ours.foo_tied and ours.foo.item() == 1.0


def test_functional_call_errors_are_torchs_and_the_module_is_restored():
    def both(call):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            with pytest.raises(Exception) as terror:
                call(TU.stateless, TorchTied(), torch.tensor, torch.tensor(0.0))
            ours = Tied()
            with pytest.raises(type(terror.value)) as error:
                call(stateless, ours, lambda v: tensor(np.array(v)), tensor(np.array(0.0)))
        assert str(error.value) == str(terror.value).replace("TorchTied", "Tied")
        assert ours.foo is ours.foo_tied and ours.foo.item() == 1.0
    both(lambda lib, m, T, x: lib.functional_call(m, {"foo": T(2.0), "foo_tied": T(3.0)}, x))
    both(lambda lib, m, T, x: lib.functional_call(m, {"foo": T(2.0), "bar": T(1.0)}, x,
                                                  strict=True))
    both(lambda lib, m, T, x: lib.functional_call(m, {}, x, strict=True))

    class Failing(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.ones(2))

        def forward(self, x):
            raise ValueError("boom")
    m = Failing()
    own = m.w
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(ValueError, match="boom"):
            stateless.functional_call(m, {"w": tensor(np.zeros(2))}, tensor(np.ones(2)))
        with pytest.raises(TypeError, match="is not an instance of"):
            stateless.functional_call(m, {"w": np.zeros(2)}, tensor(np.ones(2)))
    assert m.w is own and m._parameters["w"] is own
