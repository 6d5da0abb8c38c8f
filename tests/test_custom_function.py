"""Custom ops written as torch writes them (ctx, @staticmethod forward/backward, .apply)."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import autograd


def _define(base):
    class ScaledExp(base):
        @staticmethod
        def forward(ctx, x, k):
            y = x.exp() * k
            ctx.save_for_backward(y)
            ctx.seen = ctx.needs_input_grad
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y, None

    class MulAdd(base):            # two tensor inputs, one saved input, a kwarg
        @staticmethod
        def forward(ctx, a, b, shift=1.0):
            ctx.save_for_backward(a, b)
            return a * b + shift

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a
    return ScaledExp, MulAdd


OURS, THEIRS = _define(autograd.Function), _define(torch.autograd.Function)


@pytest.mark.parametrize("which", [0, 1])
def test_values_gradients_and_second_order_match_torch(which):
    rng = np.random.default_rng(which)
    a0, b0 = rng.standard_normal(4), rng.standard_normal(4)
    ours = [tg.tensor(a0, dtype="float64", requires_grad=True),
            tg.tensor(b0, dtype="float64", requires_grad=True)]
    theirs = [torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    args = (lambda xs: (xs[0], 2.0)) if which == 0 else (lambda xs: (xs[0], xs[1]))
    z, zt = OURS[which].apply(*args(ours)), THEIRS[which].apply(*args(theirs))
    np.testing.assert_allclose(z.numpy(), zt.detach().numpy())
    assert z.grad_fn.name() == OURS[which].__name__ + "Backward"   # torch: ...Backward (a class)
    g = autograd.grad((z * z).sum(), ours[:1 + which], create_graph=True)
    gt = torch.autograd.grad((zt * zt).sum(), theirs[:1 + which], create_graph=True)
    for x, y in zip(g, gt):
        np.testing.assert_allclose(x.numpy(), y.detach().numpy())
    gg = autograd.grad(sum(x.sum() for x in g), ours[0])
    ggt = torch.autograd.grad(sum(x.sum() for x in gt), theirs[0])
    np.testing.assert_allclose(gg[0].numpy(), ggt[0].numpy())


def test_ctx_needs_input_grad_kwargs_and_gradcheck():
    ScaledExp, MulAdd = OURS
    x = tg.tensor([0.1, 0.2], dtype="float64", requires_grad=True)
    y = ScaledExp.apply(x, 3.0)
    assert y.grad_fn.seen == (True, False)
    c = tg.tensor([1.0, 2.0], dtype="float64")
    z = MulAdd.apply(x, c, shift=5.0)
    np.testing.assert_allclose(z.numpy(), x.numpy() * c.numpy() + 5.0)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), c.numpy())
    assert tg.gradcheck(lambda t: ScaledExp.apply(t, 3.0), [x])
    with tg.no_grad():                         # no graph: the plain result, no node
        assert ScaledExp.apply(x, 1.0).grad_fn is None


def test_in_place_change_of_a_saved_tensor_is_caught():
    _, MulAdd = OURS
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0])
    z = MulAdd.apply(a, b)
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_mark_non_differentiable():
    class Sign(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.abs() / x
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, g):
            return None
    s = Sign.apply(tg.tensor([-2.0, 3.0], requires_grad=True))
    assert not s.requires_grad and s.tolist() == [-1.0, 1.0]


def _bad(kind):
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return (x * 2, x * 3) if kind == "two outputs" else (
                x.array if kind == "array out" else x * 2)

        @staticmethod
        def backward(ctx, g):
            return (g, g) if kind == "too many grads" else g.array
    return Bad


@pytest.mark.parametrize("kind, exc, pattern", [
    ("two outputs", NotImplementedError, "returned 2 outputs"),
    ("array out", TypeError, "must return a Tensor, got ndarray"),
    ("too many grads", RuntimeError, r"returned an incorrect number of gradients \(expected 1, "
                                     r"got 2\)"),
    ("array grad", TypeError, "returned a gradient of type ndarray"),
])
def test_misuse_is_reported(kind, exc, pattern):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(exc, match=pattern):
        _bad(kind).apply(x).sum().backward()


def test_backward_must_be_a_staticmethod_too():
    with pytest.raises(TypeError, match="needs a @staticmethod backward"):
        class Half(autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            def backward(self, g):
                return g
