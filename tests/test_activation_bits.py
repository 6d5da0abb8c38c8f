"""sigmoid, tanh, logsigmoid and silu computed in torch's steps.

Their backward formulas use no transcendental function of their own, so given our forward's
numbers they are torch's kernels' numbers bit for bit: torch's sigmoid_backward (g·(1−s))·s,
tanh_backward with its fused multiply-add (float32) or float32 arithmetic (float16), and
log_sigmoid_backward from the forward's buffer e^(−|x|). The forwards use exp/tanh/log1p,
whose last bits differ between torch's vectorized library and NumPy: float32 is computed in
float64 and rounded once, which agrees with torch in all but a few per cent of elements
(NumPy's own float32 functions disagree in 30-40%), and never by more than an ulp here.
"""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import autograd
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.kernels import vecmath

from helpers import ulps as _ulps

DTYPES = [(np.float16, torch.float16), (np.float32, torch.float32),
          (np.float64, torch.float64)]


def _data(dtype, n=20000, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 4).astype(dtype)
    x[:6] = [0.0, -0.0, 30.0, -30.0, 100.0, -100.0]
    return x, rng.standard_normal(n).astype(dtype)


def _ours(fn, x, g):
    t = tg.tensor(x, requires_grad=True)
    y = fn(t)
    (gx,) = autograd.grad(y, t, tg.tensor(g))
    return y.detach().numpy(), gx.numpy()


@pytest.mark.parametrize("dtype,tdtype", DTYPES)
@pytest.mark.parametrize("ours,kernel", [(tg.sigmoid, torch.ops.aten.sigmoid_backward),
                                         (tg.tanh, torch.ops.aten.tanh_backward)],
                         ids=["sigmoid", "tanh"])
def test_backward_is_torchs_kernel_on_our_output(ours, kernel, dtype, tdtype):
    x, g = _data(dtype)
    y, gx = _ours(ours, x, g)
    np.testing.assert_array_equal(gx, kernel(torch.tensor(g), torch.tensor(y)).numpy())


@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_logsigmoid_backward_is_torchs_kernel_with_our_buffer(dtype, tdtype):
    x, g = _data(dtype)
    _, gx = _ours(F.logsigmoid, x, g)
    f = np.float32 if dtype == np.float16 else dtype
    buffer = vecmath.exp(-np.abs(x.astype(f))).astype(dtype)   # e^(−|x|), x's dtype
    ref = torch.ops.aten.log_sigmoid_backward(torch.tensor(g), torch.tensor(x),
                                              torch.tensor(buffer)).numpy()
    np.testing.assert_array_equal(gx, ref)


# The share of elements whose last bit may differ from torch's, measured on these data with
# some margin: float32 and float16 computed through float64 and float32 (NumPy's own float32
# functions differed in 30-40% for sigmoid, tanh and logsigmoid); float64's tanh is NumPy's,
# which rounds apart from torch's in a fifth of the elements.
SHARE = {np.float16: 0.001, np.float32: 0.06, np.float64: 0.09}
SHARE_TANH_FLOAT64 = 0.25


@pytest.mark.parametrize("dtype,tdtype", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "logsigmoid", "silu"])
def test_forward_and_gradient_agree_with_torch(name, dtype, tdtype):
    ours = {"sigmoid": tg.sigmoid, "tanh": tg.tanh, "logsigmoid": F.logsigmoid,
            "silu": F.silu}[name]
    theirs = {"sigmoid": torch.sigmoid, "tanh": torch.tanh,
              "logsigmoid": torch.nn.functional.logsigmoid,
              "silu": torch.nn.functional.silu}[name]
    x, g = _data(dtype, seed=3)
    y, gx = _ours(ours, x, g)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    (gt,) = torch.autograd.grad(yt, xt, torch.tensor(g))
    y_ref, g_ref = yt.detach().numpy(), gt.numpy()
    assert y.dtype == gx.dtype == y_ref.dtype == g_ref.dtype == dtype
    eps = np.finfo(dtype).eps
    assert _ulps(y, y_ref).max() <= 2, name
    # a gradient's error is measured against the gradient coming in: where the derivative
    # nearly vanishes (saturated σ, silu's minimum) an ulp of the forward is many of the result
    err = np.abs(gx.astype(np.float64) - g_ref) / np.abs(g.astype(np.float64))
    assert np.nanmax(err) <= 16 * eps, name
    share = SHARE_TANH_FLOAT64 if (name, dtype) == ("tanh", np.float64) else SHARE[dtype]
    for a, b in ((y, y_ref), (gx, g_ref)):
        assert (_ulps(a, b) != 0).mean() <= share, (name, (_ulps(a, b) != 0).mean())


def test_sigmoid_underflows_to_zero_as_torch():
    # 1 / (1 + e^(−x)): e^(−x) overflows to ∞ and σ is exactly 0 (torch's); the quotient
    # e^x / (1 + e^x) would give subnormal numbers there instead
    for dtype, x in ((np.float32, [-89.0, -100.0, -1000.0]), (np.float64, [-710.0, -800.0])):
        ours = tg.sigmoid(tg.tensor(np.array(x, dtype))).numpy()
        theirs = torch.sigmoid(torch.tensor(np.array(x, dtype))).numpy()
        np.testing.assert_array_equal(ours, theirs)
        assert (ours == 0).all()


def test_logsigmoid_is_one_node_and_differentiable_again():
    x = np.random.default_rng(1).standard_normal(50) * 5
    t = tg.tensor(x, requires_grad=True)
    y = F.logsigmoid(t)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.logsigmoid(xt)
    assert type(y.grad_fn).__name__ == "LogSigmoidOp"
    assert y.grad_fn.name() == "LogSigmoidBackward"
    (g1,) = autograd.grad(y.sum(), t, create_graph=True)
    (g1t,) = torch.autograd.grad(yt.sum(), xt, create_graph=True)
    np.testing.assert_allclose(g1.detach().numpy(), g1t.detach().numpy(), rtol=1e-14)
    (g2,) = autograd.grad(g1.sum(), t)
    (g2t,) = torch.autograd.grad(g1t.sum(), xt)
    np.testing.assert_allclose(g2.numpy(), g2t.numpy(), rtol=1e-10, atol=1e-300)
