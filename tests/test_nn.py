"""tinygrad_sgd.nn against torch.nn: functional layers (value, gradient, second-order gradient in
float64), Module mechanics, state_dict/load_state_dict, repr, layers with weights copied from
torch, default initialisation statistics, nn.init, and the ready-made models."""
import math
import re
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, autograd, models, nn, tensor
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.nn import init
from strategies import arrays, shapes
from strategies import check_against_torch as check

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from torch_reference import TorchCNN  # noqa: E402  (benchmarks/ holds the torch twin)


# ============================================================================ helper
def copy_from_torch(ours, theirs):
    """Load a torch module's weights into ours (through load_state_dict)."""
    ours.load_state_dict(theirs.state_dict())
    return ours


# ============================================================================ functional
@given(st.data())
def test_activations_match_torch(data):
    shape = data.draw(shapes(min_dims=0))
    x = data.draw(arrays(shape, avoid=(0.0,), margin=1e-3))
    for name in ("relu", "sigmoid", "tanh"):
        check(lambda lib, t: getattr(lib.nn.functional, name)(t), [x], label=name)


@given(st.data())
def test_softmax_log_softmax_flatten_match_torch(data):
    shape = data.draw(shapes(min_dims=1))
    x = data.draw(arrays(shape))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    check(lambda lib, t: lib.nn.functional.softmax(t, dim=dim), [x], label="softmax")
    check(lambda lib, t: lib.nn.functional.log_softmax(t, dim=dim), [x], label="log_softmax")
    start = data.draw(st.integers(0, len(shape) - 1))
    end = data.draw(st.integers(start, len(shape) - 1))
    check(lambda lib, t: lib.flatten(t, start, end) if lib is torch else
          F.flatten(t, start, end), [x], label="flatten")


@given(st.data())
def test_linear_matches_torch(data):
    n_in, n_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    batch = data.draw(shapes(min_dims=0, max_dims=2))
    x = data.draw(arrays(batch + (n_in,)))
    w = data.draw(arrays((n_out, n_in)))
    if data.draw(st.booleans()):
        b = data.draw(arrays((n_out,)))
        check(lambda lib, *t: lib.nn.functional.linear(*t), [x, w, b], label="linear")
    else:
        check(lambda lib, *t: lib.nn.functional.linear(*t), [x, w], label="linear(no bias)")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape", [(64, 50), (3, 7, 50), (50,), (2000, 50)])
def test_linear_plain_backward_gives_the_bits_of_the_graph_backward(x_shape, dtype):
    """A plain backward takes a linear layer's three gradients on the arrays (the bias's as
    the graph walk sums a broadcast gradient); with create_graph each is an op: same bits."""
    rng = np.random.default_rng(2)
    x = tensor(rng.standard_normal(x_shape).astype(dtype), requires_grad=True)
    w = tensor(rng.standard_normal((10, 50)).astype(dtype), requires_grad=True)
    b = tensor(rng.standard_normal(10).astype(dtype), requires_grad=True)
    plain, graph = (autograd.grad(F.linear(x, w, b).square().sum(), [x, w, b],
                                  create_graph=create_graph) for create_graph in (False, True))
    for p, g in zip(plain, graph):
        assert p.dtype == g.dtype == dtype and p.shape == g.shape
        np.testing.assert_array_equal(p.numpy(), g.numpy())


def test_linear_errors_name_the_shapes():
    x = tensor(np.zeros((64, 320), np.float32))
    w = tensor(np.zeros((50, 300), np.float32))
    with pytest.raises(ValueError, match=r"\(64, 320\) has 320 features.*\(50, 300\) expects 300"):
        F.linear(x, w)
    with pytest.raises(ValueError, match=r"bias must have shape \(50,\), got \(49,\)"):
        F.linear(x, tensor(np.zeros((50, 320), np.float32)), tensor(np.zeros(49, np.float32)))
    with pytest.raises(ValueError, match="weight must be 2-D"):
        F.linear(x, tensor(np.zeros(320, np.float32)))
    with pytest.raises(TypeError, match=r"linear\(\): argument 'input' \(position 1\) must be "
                                        r"Tensor, not numpy.ndarray"):     # torch's words
        F.linear(np.zeros((2, 320)), w)


def test_dropout_masks_scales_and_follows_the_seed():
    x = tensor(np.ones((200, 100), np.float32), requires_grad=True)
    tg.manual_seed(3)
    y = F.dropout(x, p=0.3)
    assert y.dtype == np.float32
    kept = y.array != 0
    assert abs(kept.mean() - 0.7) < 0.02                     # P(keep) = 1 − p
    np.testing.assert_allclose(y.array[kept], 1 / 0.7, rtol=1e-6)   # inverted scaling
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, kept / 0.7, rtol=1e-6)  # gradient = mask/(1−p)
    tg.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, p=0.3).array, y.array)  # same seed, same mask
    assert not np.array_equal(F.dropout(x, p=0.3).array, y.array)      # the next draw differs
    # float64 stays float64
    assert F.dropout(tensor(np.ones(10)), 0.5).dtype == np.float64


def test_dropout_edge_cases_and_validation():
    x = tensor(np.arange(1, 7, dtype=np.float32).reshape(2, 3), requires_grad=True)
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.7, training=False) is x
    z = F.dropout(x, 1.0)
    np.testing.assert_array_equal(z.array, 0)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.array, 0)
    for p in (-0.1, 1.5, "a", None, True):
        with pytest.raises(ValueError, match="between 0 and 1, but got"):
            F.dropout(x, p)
    with pytest.raises(ValueError, match="between 0 and 1, but got 2"):
        nn.Dropout(2)


def test_dropout_second_order_is_zero_and_matches_scaled_product():
    x = tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    tg.manual_seed(0)
    y = F.dropout(x, 0.5)
    scale = np.where(y.array != 0, 2.0, 0.0)
    np.testing.assert_allclose(y.array, x.array * scale)
    (g,) = autograd.grad((y * y).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.array, 2 * x.array * scale * scale)
    (g2,) = autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(g2.array, 2 * scale * scale)


# ============================================================================ Module mechanics
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 4)
        self.scale = nn.Parameter(np.ones(4, np.float32))
        self.note = "not a parameter"

    def forward(self, x):
        return self.lin(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.act = nn.ReLU()
        self.head = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        return self.head(self.act(self.block(x)))


class TorchBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 4)
        self.scale = torch.nn.Parameter(torch.ones(4))


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = TorchBlock()
        self.act = torch.nn.ReLU()
        self.head = torch.nn.Linear(4, 2, bias=False)


def test_registration_and_tree_walks():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    # torch's order: a module's own parameters, then its children's (depth first)
    assert names == ["block.scale", "block.lin.weight", "block.lin.bias", "head.weight"]
    assert names == [n for n, _ in TorchNet().named_parameters()]
    assert [p.shape for p in net.parameters()] == [(4,), (4, 3), (4,), (2, 4)]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_children()] == ["block", "act", "head"]
    assert list(net.children()) == [net.block, net.act, net.head]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.lin", "act", "head"]
    assert list(net.modules())[2] is net.block.lin
    assert [n for n, _ in net.block.named_parameters(recurse=False)] == ["scale"]
    assert net.head.bias is None and net.block.note == "not a parameter"
    assert "block" in dir(net) and "scale" in dir(net.block)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        net.nope


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.Tanh(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(tensor(np.zeros(3, np.float32)))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert not nn.Parameter(np.zeros(3), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    y = p * 2.0
    assert type(y) is Tensor and y.requires_grad


# register_parameter / setattr of a Parameter, each case run on torch and here: the same
# outcome (the exception's class and message, or the parameter names after it)
PARAMETER_NAME_CASES = {
    "over a class attribute": lambda m, x: setattr(x, "w", m.nn.Parameter(m.ones(2))),
    "over the training flag": lambda m, x: x.register_parameter("training", None),
    "a dotted name": lambda m, x: x.register_parameter("a.b", None),
    "an empty name": lambda m, x: x.register_parameter("", None),
    "a name that is not a str": lambda m, x: x.register_parameter(3, None),
    "over a plain attribute": lambda m, x: (setattr(x, "q", 5), x.register_parameter("q", None)),
    "over a buffer": lambda m, x: (x.register_buffer("b", m.ones(1)),
                                   x.register_parameter("b", None)),
    "a non-leaf": lambda m, x: x.register_parameter("p", m.nn.Parameter(m.ones(2)) * 2),
    "setattr over a submodule": lambda m, x: (setattr(x, "lin", m.nn.Linear(1, 1)),
                                              setattr(x, "lin", m.nn.Parameter(m.ones(1)))),
    "setattr over a plain attribute": lambda m, x: (setattr(x, "q", 5),
                                                    setattr(x, "q", m.nn.Parameter(m.ones(1)))),
    "another shape": lambda m, x: (x.register_parameter("p", m.nn.Parameter(m.ones(2))),
                                   setattr(x, "p", m.nn.Parameter(m.ones(3)))),
}


@pytest.mark.parametrize("case", list(PARAMETER_NAME_CASES))
def test_parameter_name_rules_match_torch(case):
    def outcome(m):
        class M(m.nn.Module):
            w = 3
        x = M()
        try:
            PARAMETER_NAME_CASES[case](m, x)
        except Exception as e:                  # noqa: BLE001 - the outcome compared
            return type(e).__name__, str(e).replace("tinygrad_sgd.", "torch.")
        return [(n, tuple(p.shape)) for n, p in x.named_parameters()]
    assert outcome(tg) == outcome(torch)


def test_setattr_rules():
    lin = nn.Linear(3, 2)
    wider = nn.Parameter(np.zeros((3, 3), np.float32))
    lin.weight = wider                           # any shape, as torch (resizing a layer)
    assert lin.weight is wider and lin.weight.shape == (3, 3)
    with pytest.raises(TypeError, match="as parameter 'bias'"):
        lin.bias = np.zeros(5)
    with pytest.raises(TypeError, match="as parameter 'weight'.*copy_"):
        lin.weight = tensor(np.zeros((2, 3), np.float32))
    new = nn.Parameter(np.ones((2, 3), np.float32))
    lin.weight = new                                  # right shape: replaced
    assert lin.weight is new and list(lin.parameters())[0] is new
    lin.bias = None                                   # None removes it from the parameters
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    del lin.weight
    assert list(lin.parameters()) == []

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first in Early"):
        Early()
    net = Net()
    with pytest.raises(TypeError, match="child module 'act'"):
        net.act = 3


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.block.lin.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="bool"):
        net.train("yes")


def test_zero_grad_both_modes():
    net = Net()
    net(tensor(np.ones((5, 3), np.float32))).sum().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None for g in grads)
    net.zero_grad(set_to_none=False)
    assert [p.grad for p in net.parameters()] == grads          # same objects, zeroed in place
    assert all(not g.array.any() for g in grads)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_call_runs_forward_inside_module_scope():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(autograd._mode.modules)
            return x * 2.0

    net = nn.Sequential(nn.Linear(3, 3), Probe())
    out = net(tensor(np.ones((1, 3), np.float32)))
    assert seen == [(net, net[1])]
    assert out.grad_fn.modules == (net, net[1])          # the mul node is tagged
    assert out.grad_fn.next_functions[0][0].modules[:2] == (net, net[0])  # the Linear's add
    assert autograd._mode.modules == ()                  # the scope is closed again
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(1)


def test_apply_requires_grad_and_dtype_conversion():
    net = Net()
    visited = []
    assert net.apply(lambda m: visited.append(type(m).__name__)) is net
    assert visited == ["Linear", "Block", "ReLU", "Linear", "Net"]
    params = list(net.parameters())
    net.double()
    assert list(net.parameters()) == params and all(p.dtype == np.float64 for p in params)
    net.float()
    assert all(p.dtype == np.float32 for p in params)
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in params)


# ============================================================================ state dict
def test_state_dict_keys_match_torch_twins():
    assert list(models.SimpleCNN().state_dict()) == list(TorchCNN().state_dict())
    ours = models.MLP([2, 16, 16, 1])
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(),
                                 torch.nn.Linear(16, 16), torch.nn.Tanh(),
                                 torch.nn.Linear(16, 1))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    sd = ours.state_dict()
    assert all(type(v) is Tensor and not v.requires_grad for v in sd.values())
    assert sd["0.weight"].array is ours[0].weight.array               # shares memory, as torch
    assert ours.state_dict(keep_vars=True)["0.weight"] is ours[0].weight
    assert list(nn.Linear(2, 2).state_dict(prefix="enc."))[0] == "enc.weight"


def test_load_state_dict_from_torch_numpy_and_ours():
    torch.manual_seed(0)
    theirs = TorchCNN().double()        # float64 values are stored into our float32 params
    ours = models.SimpleCNN()
    params = list(ours.parameters())
    versions = [p._version for p in params]
    result = ours.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert list(ours.parameters()) == params                  # same objects, values copied
    assert all(p.dtype == np.float32 and p.requires_grad for p in params)
    assert all(p._version > v for p, v in zip(params, versions))
    for (k, p), (k2, t) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(p.array, t.numpy(), rtol=1e-6)
    other = models.SimpleCNN()
    other.load_state_dict({k: v.array.copy() for k, v in ours.state_dict().items()})  # NumPy
    other.load_state_dict(ours.state_dict())                                        # ours
    for p, q in zip(other.parameters(), ours.parameters()):
        np.testing.assert_array_equal(p.array, q.array)
    assert p.array is not q.array
    lin = nn.Linear(2, 1)
    lin.load_state_dict({"weight": [[1.0, 2.0]], "bias": [0.5]})   # anything np.asarray takes
    np.testing.assert_array_equal(lin.weight.array, [[1, 2]])


def test_load_state_dict_reports_every_problem_at_once():
    net = models.SimpleCNN()
    before = [p.array.copy() for p in net.parameters()]
    sd = {k: v.array.copy() for k, v in net.state_dict().items()}
    del sd["fc2.bias"], sd["conv1.bias"]
    sd["conv1.weight"] = np.zeros((10, 1, 3, 3), np.float32)
    sd["fc1.weight"] = np.ones((50, 321), np.float32)
    sd["conv3.weight"] = np.zeros((4, 4))
    sd["extra"] = 1.0
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert msg.count("\n") == 4, msg                      # one error, four problem lines
    assert "for SimpleCNN" in msg
    assert re.search(r"Missing key\(s\) in state_dict: 'conv1.bias' \(shape \(10,\)\), "
                     r"'fc2.bias' \(shape \(10,\)\)", msg), msg
    assert re.search(r"Unexpected key\(s\) in state_dict: 'conv3.weight' \(shape \(4, 4\)\), "
                     r"'extra' \(shape \(\)\)", msg), msg
    assert re.search(r"size mismatch for 'conv1.weight': copying a param with shape "
                     r"\(10, 1, 3, 3\).*current model is \(10, 1, 5, 5\)", msg), msg
    assert "size mismatch for 'fc1.weight'" in msg and "(50, 321)" in msg
    for p, b in zip(net.parameters(), before):          # nothing was copied
        np.testing.assert_array_equal(p.array, b)
    # strict=False: missing/unexpected are returned, a shape mismatch still raises
    sd["conv1.weight"] = before[0]
    sd["fc1.weight"] = before[4]
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["conv1.bias", "fc2.bias"]
    assert result.unexpected_keys == ["conv3.weight", "extra"]
    sd["fc1.weight"] = np.zeros(3)
    with pytest.raises(RuntimeError, match=r"size mismatch for 'fc1.weight'"):
        net.load_state_dict(sd, strict=False)
    with pytest.raises(TypeError, match="dict-like state_dict, got list"):
        net.load_state_dict([1, 2])
    lin = nn.Linear(1, 1)
    with pytest.raises(RuntimeError, match="'weight' has non-numeric dtype"):
        lin.load_state_dict({"weight": [["a"]], "bias": [0.0]})


# ============================================================================ repr
def test_repr_matches_torch():
    pairs = [
        (nn.Linear(320, 50), torch.nn.Linear(320, 50)),
        (nn.Linear(3, 1, bias=False), torch.nn.Linear(3, 1, bias=False)),
        (nn.Conv2d(1, 10, kernel_size=5), torch.nn.Conv2d(1, 10, kernel_size=5)),
        (nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, dilation=2, bias=False),
         torch.nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, dilation=2, bias=False)),
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (nn.MaxPool2d(3, stride=1, padding=1), torch.nn.MaxPool2d(3, stride=1, padding=1)),
        (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (nn.Dropout(0.25), torch.nn.Dropout(0.25)),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.ReLU(), torch.nn.ReLU()), (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())),
         torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                             torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Sigmoid()))),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    assert repr(models.SimpleCNN()).replace("SimpleCNN", "TorchCNN") == repr(TorchCNN())


# ============================================================================ layers vs torch
def _both_layers(ours, theirs, x, atol=1e-5):
    """Weights copied from torch: same output, same input and parameter gradients."""
    copy_from_torch(ours, theirs)
    xo = tensor(x.copy(), requires_grad=True)
    xt = torch.tensor(x.copy(), requires_grad=True)
    out, ref = ours(xo), theirs(xt)
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-5, atol=atol)
    g = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    out.backward(tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.array, xt.grad.numpy(), rtol=1e-5, atol=atol)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-4, atol=atol,
                                   err_msg=name)
    assert out.dtype == np.float32


def test_linear_and_sequential_match_torch():
    rng = np.random.default_rng(0)
    _both_layers(nn.Linear(5, 3), torch.nn.Linear(5, 3),
                 rng.standard_normal((4, 5)).astype(np.float32))
    _both_layers(nn.Linear(5, 3, bias=False), torch.nn.Linear(5, 3, bias=False),
                 rng.standard_normal((2, 4, 5)).astype(np.float32))
    _both_layers(models.MLP([2, 16, 16, 1], "relu"),
                 torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(),
                                     torch.nn.Linear(16, 16), torch.nn.ReLU(),
                                     torch.nn.Linear(16, 1)),
                 rng.standard_normal((8, 2)).astype(np.float32))
    _both_layers(nn.Sequential(nn.Linear(6, 4), nn.Sigmoid(), nn.Linear(4, 3), nn.Tanh(),
                               nn.LogSoftmax(dim=1)),
                 torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.Sigmoid(),
                                     torch.nn.Linear(4, 3), torch.nn.Tanh(),
                                     torch.nn.LogSoftmax(dim=1)),
                 rng.standard_normal((5, 6)).astype(np.float32))


def test_conv_pool_modules_match_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    _both_layers(nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3), x)
    _both_layers(nn.Conv2d(3, 2, (3, 2), stride=2, padding=1, dilation=(1, 2), bias=False),
                 torch.nn.Conv2d(3, 2, (3, 2), stride=2, padding=1, dilation=(1, 2),
                                 bias=False), x)
    _both_layers(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), x)
    _both_layers(nn.MaxPool2d(3, stride=2, padding=1), torch.nn.MaxPool2d(3, 2, 1), x)
    _both_layers(nn.AvgPool2d(2), torch.nn.AvgPool2d(2), x)
    _both_layers(nn.AvgPool2d(3, stride=1, padding=1), torch.nn.AvgPool2d(3, 1, 1), x)
    _both_layers(nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(),
                               nn.Linear(36, 5)),
                 torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.MaxPool2d(2),
                                     torch.nn.ReLU(), torch.nn.Flatten(),
                                     torch.nn.Linear(36, 5)), x)
    conv = nn.Conv2d(1, 1, (1, 2, 3))   # (as torch: built, refused by the convolution)
    with pytest.raises(RuntimeError, match=r"weight must be 4-D"):
        conv(tensor(np.ones((1, 1, 4, 4), np.float32)))
    with pytest.warns(UserWarning, match="zero-element"):          # (as torch: built)
        assert nn.Conv2d(0, 1, 3).weight.shape == (1, 0, 3, 3)
    with pytest.raises(ValueError, match="out_features must be a non-negative integer, got -1"):
        nn.Linear(3, -1)


def test_simple_cnn_matches_torch_twin():
    torch.manual_seed(0)
    theirs = TorchCNN().eval()
    ours = copy_from_torch(models.SimpleCNN(), theirs).eval()
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    _both_layers(ours, theirs, x, atol=1e-4)
    out = ours(tensor(x))
    assert out.shape == (3, 10)
    np.testing.assert_allclose(np.exp(out.array).sum(1), 1, rtol=1e-5)
    # dropout acts only in training mode
    ours.train()
    a, b = ours(tensor(x)).array, ours(tensor(x)).array
    assert not np.allclose(a, b)
    ours.eval()
    np.testing.assert_array_equal(ours(tensor(x)).array, ours(tensor(x)).array)


def test_layer_modules_match_functional_and_flags():
    x = tensor(np.linspace(-2, 2, 24, dtype=np.float32).reshape(2, 3, 4))
    np.testing.assert_array_equal(nn.Flatten()(x).array, x.array.reshape(2, 12))
    np.testing.assert_array_equal(nn.Flatten(0, 1)(x).array, x.array.reshape(6, 4))
    np.testing.assert_array_equal(nn.ReLU()(x).array, np.maximum(x.array, 0))
    np.testing.assert_allclose(nn.Softmax(dim=-1)(x).array, F.softmax(x, -1).array)
    assert nn.Identity()(x) is x
    drop = nn.Dropout(0.5)
    assert drop(x) is not x
    assert drop.eval()(x) is x


# ============================================================================ Sequential
def test_sequential_container():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert [n for n, _ in sub.named_children()] == ["1", "2"]
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        seq[3]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and [n for n, _ in seq.named_children()][-1] == "3"
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    with pytest.raises(TypeError, match="argument 1 is a int, not a Module"):
        nn.Sequential(a, 3)
    with pytest.raises(TypeError, match="not a Module"):
        seq.append(lambda x: x)


# ============================================================================ initialisation
@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Linear(400, 300),
    lambda lib: lib.nn.Conv2d(16, 32, kernel_size=3),
])
def test_default_init_is_torchs_for_the_same_seed(make):
    tg.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = make(tg), make(torch)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p.array, q.detach().numpy(), err_msg=name)
        fan_in = int(np.prod(ours.weight.shape[1:]))      # U(−1/√fan_in, 1/√fan_in), as torch
        assert np.abs(p.array).max() <= 1 / math.sqrt(fan_in)


def test_manual_seed_makes_initialisation_reproducible():
    tg.manual_seed(42)
    a = [p.array.copy() for p in models.SimpleCNN().parameters()]
    tg.manual_seed(42)
    b = [p.array.copy() for p in models.SimpleCNN().parameters()]
    c = [p.array.copy() for p in models.SimpleCNN().parameters()]
    for x, y, z in zip(a, b, c):
        np.testing.assert_array_equal(x, y)
        assert not np.array_equal(x, z)


def test_calculate_gain_matches_torch():
    for name in ("linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2))
    with pytest.raises(ValueError, match="Unsupported nonlinearity swish"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("fn, kwargs, kind, spread", [
    ("kaiming_uniform_", {}, "uniform", lambda fi, fo: math.sqrt(6 / fi)),
    ("kaiming_uniform_", dict(a=math.sqrt(5)), "uniform", lambda fi, fo: 1 / math.sqrt(fi)),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu"), "uniform",
     lambda fi, fo: math.sqrt(6 / fo)),
    ("kaiming_normal_", dict(nonlinearity="relu"), "normal", lambda fi, fo: math.sqrt(2 / fi)),
    ("kaiming_normal_", dict(mode="fan_out"), "normal", lambda fi, fo: math.sqrt(2 / fo)),
    ("xavier_uniform_", {}, "uniform", lambda fi, fo: math.sqrt(6 / (fi + fo))),
    ("xavier_uniform_", dict(gain=2.0), "uniform", lambda fi, fo: 2 * math.sqrt(6 / (fi + fo))),
    ("xavier_normal_", {}, "normal", lambda fi, fo: math.sqrt(2 / (fi + fo))),
    ("uniform_", dict(a=-0.3, b=0.3), "uniform", lambda fi, fo: 0.3),
    ("normal_", dict(std=0.2), "normal", lambda fi, fo: 0.2),
])
def test_init_functions_follow_torch(fn, kwargs, kind, spread):
    shape = (64, 32, 3, 3)
    fan_in, fan_out = 32 * 9, 64 * 9
    w = nn.Parameter(np.zeros(shape, np.float32))
    tg.manual_seed(0)
    assert getattr(init, fn)(w, **kwargs) is w            # in place, returns the tensor
    assert w._version == 1 and w.dtype == np.float32 and w.requires_grad
    theirs = getattr(torch.nn.init, fn)(torch.zeros(shape), **kwargs).numpy()
    s = spread(fan_in, fan_out)
    expected_std = s / math.sqrt(3) if kind == "uniform" else s
    assert abs(w.array.std() / expected_std - 1) < 0.03
    assert abs(w.array.std() / theirs.std() - 1) < 0.04
    if kind == "uniform":
        assert np.abs(w.array).max() <= s * (1 + 1e-6)
        assert np.abs(theirs).max() <= s * (1 + 1e-6)


def test_constant_inits_and_errors():
    w = tensor(np.zeros((2, 3), np.float64))
    np.testing.assert_array_equal(init.ones_(w).array, 1)
    np.testing.assert_array_equal(init.constant_(w, 0.25).array, 0.25)
    np.testing.assert_array_equal(init.zeros_(w).array, 0)
    assert w.dtype == np.float64
    init.normal_(w, mean=5.0, std=0.0)
    np.testing.assert_array_equal(w.array, 5.0)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor "
                                         "with fewer than 2 dimensions"):
        init.xavier_uniform_(tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"Mode fan_middle not supported, please use one of "
                                         r"\['fan_in', 'fan_out'\]"):
        init.kaiming_normal_(w, mode="fan_middle")
    with pytest.raises(TypeError, match="expected a Tensor.*got ndarray"):
        init.zeros_(np.zeros(3))
    empty = tensor(np.zeros((0, 3), np.float32))
    assert init.kaiming_uniform_(empty) is empty            # zero elements: a no-op


# ============================================================================ models
def test_mlp_structure_and_errors():
    m = models.MLP([2, 16, 16, 1])
    assert [type(layer).__name__ for layer in m] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert m(tensor(np.zeros((5, 2), np.float32))).shape == (5, 1)
    assert [type(layer).__name__ for layer in models.MLP([3, 4, 2], activation="sigmoid")] == \
        ["Linear", "Sigmoid", "Linear"]
    assert isinstance(models.MLP([3, 4, 2], activation=nn.ReLU)[1], nn.ReLU)
    assert len(models.MLP([3, 1])) == 1
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        models.MLP([2, 2], activation="gelu")
    with pytest.raises(ValueError, match="at least two positive integers"):
        models.MLP([2])
    with pytest.raises(ValueError, match="at least two positive integers"):
        models.MLP([2, 0, 1])
    with pytest.raises(TypeError, match="activation must be a name or a Module class"):
        models.MLP([2, 2], activation=3)


def test_public_names_are_reachable():
    assert tg.nn.Linear is nn.Linear and tg.models.SimpleCNN is models.SimpleCNN
    import tinygrad_sgd.nn.functional as F2
    for name in F2.__all__:
        assert callable(getattr(F2, name)), name
    for name in nn.__all__:
        assert hasattr(nn, name), name


def test_nn_optim_models_serialization_do_not_import_torch():
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = ("import sys, tinygrad_sgd as tg; tg.nn; tg.optim.lr_scheduler; tg.models; tg.save; "
            "bad = [m for m in ('torch', 'matplotlib', 'tqdm') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)


def test_linear_on_a_transposed_input_keeps_its_layout_in_the_gradient():
    """A flattened convolution output is a transposed (batch-innermost) array; linear's input
    gradient comes back in that layout, with torch's values, to second order."""
    rng = np.random.default_rng(3)
    xt_data = rng.standard_normal((6, 5))                 # (in, batch) in memory
    w_data, b_data, g = rng.standard_normal((4, 6)), rng.standard_normal(4), \
        rng.standard_normal((5, 4))
    x = tensor(xt_data.T, requires_grad=True)             # (batch, in), F-contiguous
    w, b = tensor(w_data, requires_grad=True), tensor(b_data, requires_grad=True)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (xt_data.T, w_data, b_data))
    gx, = autograd.grad((F.linear(x, w, b) * tensor(g)).sum(), [x], create_graph=True)
    gxt, = torch.autograd.grad((torch.nn.functional.linear(xt, wt, bt) * torch.tensor(g)).sum(),
                               [xt], create_graph=True)
    assert gx.numpy().flags.f_contiguous and not gx.numpy().flags.c_contiguous
    np.testing.assert_allclose(gx.numpy(), gxt.detach().numpy(), rtol=1e-12)
    v = rng.standard_normal((5, 6))
    np.testing.assert_allclose(autograd.grad((gx * tensor(v)).sum(), [w])[0].numpy(),
                               torch.autograd.grad((gxt * torch.tensor(v)).sum(), [wt])[0],
                               rtol=1e-12)
