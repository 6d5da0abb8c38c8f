"""Every nn layer and nn.functional function takes the arguments torch's does (by name), so a
torch user's call is never refused for a keyword; and those added for that reason behave as
torch's (``inplace=``, ``dtype=``, ``device=``, softmax's implicit dim)."""
import inspect
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
import tinygrad_sgd.nn as nn
import tinygrad_sgd.nn.functional as F

# arguments torch keeps only for old code, deliberately not taken here; and ``out=`` (writing
# into a given tensor), which this library does not offer anywhere
DEPRECATED = {"size_average", "reduce", "args", "kwargs", "min_value", "max_value", "out"}


def _missing(ours, theirs):
    a = inspect.signature(ours).parameters
    b = inspect.signature(theirs).parameters
    return [p for p in b if p not in a and p not in DEPRECATED]


LAYERS = [n for n in nn.__all__ if inspect.isclass(getattr(nn, n))
          and inspect.isclass(getattr(torch.nn, n, None))]
FUNCTIONS = [n for n in F.__all__ if callable(getattr(TF, n, None))]


@pytest.mark.parametrize("name", LAYERS)
def test_layer_takes_torchs_arguments(name):
    assert _missing(getattr(nn, name).__init__, getattr(torch.nn, name).__init__) == []


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functional_takes_torchs_arguments(name):
    try:
        inspect.signature(getattr(TF, name))
    except (TypeError, ValueError):
        pytest.skip("torch's builtin has no Python signature")
    assert _missing(getattr(F, name), getattr(TF, name)) == []


def test_tables_are_not_empty():
    assert len(LAYERS) > 60 and len(FUNCTIONS) > 50


def test_relu_inplace_as_torch():
    a = torch.tensor([1.5, -2.0, 0.0])
    b = tg.tensor(a.numpy())
    assert TF.relu(a, inplace=True) is a and F.relu(b, inplace=True) is b
    assert b.tolist() == a.tolist() and b._version == a._version
    assert repr(nn.ReLU(inplace=True)) == repr(torch.nn.ReLU(inplace=True)) == \
        "ReLU(inplace=True)"
    leaf = tg.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu(leaf, inplace=True)
    x = tg.tensor([1.0, -1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, -1.0, 2.0], requires_grad=True)
    for lib, t, mod in ((tg, x, nn.ReLU(inplace=True)), (torch, tx, torch.nn.ReLU(inplace=True))):
        y = t * 3
        mod(y).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist() == [3.0, 0.0, 3.0]


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_family_dtype_and_implicit_dim(name, shape):
    x = torch.randn(shape)
    ours_x = tg.tensor(x.numpy(), requires_grad=True)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        got = getattr(F, name)(ours_x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(TF, name)(x)
    np.testing.assert_allclose(got.array, want.numpy(), rtol=1e-5, atol=1e-6)
    got = getattr(F, name)(ours_x, -1, dtype=tg.float64)
    tx = x.clone().requires_grad_()
    want = getattr(TF, name)(tx, -1, dtype=torch.float64)
    assert got.dtype == tg.float64 and want.dtype == torch.float64
    np.testing.assert_allclose(got.array, want.detach().numpy(), rtol=1e-12)
    (got * got).sum().backward()
    (want * want).sum().backward()
    assert ours_x.grad.dtype == tg.float32
    np.testing.assert_allclose(ours_x.grad.array, tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda L, **k: L.nn.Linear(3, 2, **k),
    lambda L, **k: L.nn.Conv2d(1, 2, 3, **k),
    lambda L, **k: L.nn.Conv1d(2, 2, 3, **k),
    lambda L, **k: L.nn.ConvTranspose2d(2, 1, 3, **k),
    lambda L, **k: L.nn.ConvTranspose1d(2, 1, 3, **k),
], ids=["Linear", "Conv2d", "Conv1d", "ConvTranspose2d", "ConvTranspose1d"])
def test_layers_take_dtype_and_device_as_torch(make):
    tg.manual_seed(0)
    torch.manual_seed(0)
    ours = make(tg, dtype=tg.float64, device="cpu")
    theirs = make(torch, dtype=torch.float64, device="cpu")
    for (k, p), (k2, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert k == k2 and p.dtype == tg.float64 and q.dtype == torch.float64
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError):
        make(tg, device="cuda")
