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
    ("two outputs", TypeError, "takes 2 positional arguments but 3 were given"),  # as torch
    ("array out", TypeError, r"must return a Tensor \(or a tuple\), got ndarray"),
    ("too many grads", RuntimeError, r"returned an incorrect number of gradients \(expected 1, "
                                     r"got 2\)"),
    ("array grad", RuntimeError, "returned a gradient of type ndarray"),   # torch's class
])
def test_misuse_is_reported(kind, exc, pattern):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(exc, match=pattern):
        out = _bad(kind).apply(x)
        (out[0] if isinstance(out, tuple) else out).sum().backward()


def test_backward_must_be_a_staticmethod_too():
    with pytest.raises(TypeError, match="needs a @staticmethod backward"):
        class Half(autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            def backward(self, g):
                return g


# ----------------------------------------------------------------------------- several outputs
def _define_several(base, lib):
    """The same multi-output Functions for us and torch (``lib``: tinygrad_sgd or torch).
    Every backward records the gradients it received in ``ctx.log`` (a class-level list)."""
    def note(grads):
        LOG.append(tuple(None if g is None else (g.detach().numpy().copy(), str(g.dtype).split(".")[-1])
                         for g in grads))

    class SinCos(base):                     # saved input, second order
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            note((gs, gc))
            (x,) = ctx.saved_tensors
            return gs * x.cos() - gc * x.sin()

    class ExpPair(base):                    # saved outputs, differentiated again
        @staticmethod
        def forward(ctx, x):
            e = x.exp()
            d = e * e
            ctx.save_for_backward(e, d)
            return e, d

        @staticmethod
        def backward(ctx, ge, gd):
            note((ge, gd))
            e, d = ctx.saved_tensors
            return ge * e + 2 * gd * d

    class Mixed(base):                      # shapes, dtypes, a non-Tensor, a frozen input
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_backward(x, y)
            ctx.seen, ctx.k = ctx.needs_input_grad, k
            return (x * y).sum(), (x * k).double(), "tag", (x > 0).long()

        @staticmethod
        def backward(ctx, gsum, gdouble, gtag, gint):
            note((gsum, gdouble, gtag, gint))
            x, y = ctx.saved_tensors
            return gsum * y + gdouble.float() * ctx.k, gsum * x, None

    class SortLike(base):                   # a float output marked non-differentiable
        @staticmethod
        def forward(ctx, x):
            twice, ones = x * 2, x * 0 + 1
            ctx.mark_non_differentiable(ones)
            return twice, ones

        @staticmethod
        def backward(ctx, g, gones):
            note((g, gones))
            return g * 2

    class Lazy(base):                       # set_materialize_grads(False): None for unused
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, a, b):
            note((a, b))
            return (0 if a is None else a * 2) + (0 if b is None else b * 3)

    class PassInput(base):                  # an input returned as an output
        @staticmethod
        def forward(ctx, x):
            return x, x * 2

        @staticmethod
        def backward(ctx, a, b):
            note((a, b))
            return a + 2 * b

    class Single(base):                     # a tuple of one stays a tuple
        @staticmethod
        def forward(ctx, x):
            return (x * 5,)

        @staticmethod
        def backward(ctx, g):
            note((g,))
            return g * 5
    return {c.__name__: c for c in (SinCos, ExpPair, Mixed, SortLike, Lazy, PassInput, Single)}


LOG = []
SEV_OURS, SEV_THEIRS = _define_several(autograd.Function, tg), _define_several(
    torch.autograd.Function, torch)

# (Function, extra arguments after x and whether x needs a frozen partner y, outputs used)
SEVERAL_CASES = [
    ("SinCos", (0, 1)), ("SinCos", (0,)), ("SinCos", (1,)),
    ("ExpPair", (0, 1)), ("ExpPair", (1,)),
    ("Mixed", (0,)), ("Mixed", (1,)), ("Mixed", (0, 1)),
    ("SortLike", (0,)), ("SortLike", (0, 1)),
    ("Lazy", (0,)), ("Lazy", (1,)), ("Lazy", (0, 1)),
    ("PassInput", (0,)), ("PassInput", (0, 1)),
    ("Single", (0,)),
]


def _call(lib, fns, name, x):
    if name == "Mixed":
        y = lib.tensor([0.5, -1.5, 2.0], dtype=x.dtype)
        return fns[name].apply(x, y, 1.5)
    return fns[name].apply(x)


def _loss(outs, used):
    total = 0
    for i in used:
        o = outs[i]
        total = total + (o * o).sum() * (i + 1)     # a non-constant gradient for each output
    return total


@pytest.mark.parametrize("name, used", SEVERAL_CASES)
def test_several_outputs_match_torch(name, used):
    x0 = np.array([0.3, -0.7, 1.1])
    x = tg.tensor(x0, dtype="float32", requires_grad=True)
    xt = torch.tensor(x0, dtype=torch.float32, requires_grad=True)
    outs, outs_t = _call(tg, SEV_OURS, name, x), _call(torch, SEV_THEIRS, name, xt)
    assert type(outs) is tuple and len(outs) == len(outs_t)
    for o, ot in zip(outs, outs_t):
        if not isinstance(ot, torch.Tensor):
            assert o == ot                  # passed through unchanged
            continue
        np.testing.assert_allclose(o.numpy(), ot.detach().numpy(), rtol=1e-6)
        assert str(o.dtype).split(".")[-1] == str(ot.dtype).split(".")[-1]
        assert o.shape == tuple(ot.shape)
        assert o.requires_grad == ot.requires_grad
        assert (o.grad_fn is None) == (ot.grad_fn is None)
        if o.grad_fn is not None:
            assert o.grad_fn.name() == type(ot.grad_fn).__name__ == name + "Backward"
    del LOG[:]
    _loss(outs, used).backward()
    _loss(outs_t, used).backward()
    ours, theirs = LOG                      # backward ran once each, gradients as torch's
    assert len(ours) == len(theirs)
    for g, gt in zip(ours, theirs):
        assert (g is None) == (gt is None)
        if g is not None:
            np.testing.assert_allclose(g[0], gt[0], rtol=1e-6)
            assert g[1] == gt[1] and g[0].shape == gt[0].shape
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("name, used", [c for c in SEVERAL_CASES
                                        if c[0] in ("SinCos", "ExpPair", "PassInput")])
def test_several_outputs_second_order_matches_torch(name, used):
    x0 = np.array([0.3, -0.7, 1.1])
    x = tg.tensor(x0, dtype="float64", requires_grad=True)
    xt = torch.tensor(x0, requires_grad=True)
    (g,) = autograd.grad(_loss(_call(tg, SEV_OURS, name, x), used), x, create_graph=True)
    (gt,) = torch.autograd.grad(_loss(_call(torch, SEV_THEIRS, name, xt), used), xt,
                                create_graph=True)
    np.testing.assert_allclose(g.numpy(), gt.detach().numpy())
    (gg,) = autograd.grad((g * g).sum(), x)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(gg.numpy(), ggt.numpy())


def test_several_outputs_ctx_nodes_hooks_and_no_grad():
    Mixed = SEV_OURS["Mixed"]
    x = tg.tensor([0.3, -0.7, 1.1], requires_grad=True)
    y = tg.tensor([1.0, 2.0, 3.0])
    before = next(autograd.function._sequence)
    s, d, tag, flags = Mixed.apply(x, y, 2.0)
    assert s.grad_fn.seen == (True, False, False) == d.grad_fn.needs_input_grad  # torch's too
    nodes = [s.grad_fn, d.grad_fn, s.grad_fn.ctx]
    assert all(isinstance(n.sequence_nr, int) and n.sequence_nr > before for n in nodes)
    assert len({n.sequence_nr for n in nodes}) == 3
    seen = []
    s.register_hook(lambda g: seen.append(g.item()))
    (gs,) = autograd.grad(s * 3 + d.sum(), [s])
    assert gs.item() == 3.0 and seen == [3.0]
    s, d, _, _ = Mixed.apply(x, y, 2.0)
    d.retain_grad()
    (s * 3 + d.sum()).backward()
    np.testing.assert_allclose(d.grad.numpy(), np.ones(3))
    np.testing.assert_allclose(x.grad.numpy(), 3 * y.numpy() + 2.0)
    with tg.no_grad():
        out = Mixed.apply(x, y, 2.0)
    assert type(out) is tuple and all(getattr(o, "grad_fn", None) is None for o in out)


def test_several_outputs_gradcheck_each_output():
    x = tg.tensor([0.3, -0.7, 1.1], dtype="float64", requires_grad=True)
    for name in ("SinCos", "ExpPair", "PassInput"):
        for i in (0, 1):
            assert tg.gradcheck(lambda t: SEV_OURS[name].apply(t)[i], [x])
    assert tg.gradcheck(lambda t: sum(o.sum() for o in SEV_OURS["SinCos"].apply(t)), [x])


def test_gradcheck_of_a_tuple_output():
    x = tg.tensor([0.3, -0.7, 1.1], dtype="float64", requires_grad=True)
    assert tg.gradcheck(SEV_OURS["SinCos"].apply, [x])


def test_in_place_change_of_a_saved_output_is_caught():
    x = tg.tensor([0.3, -0.7], requires_grad=True)
    e, d = SEV_OURS["ExpPair"].apply(x)
    d.detach().mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*"
                                           "ExpPairBackward"):
        e.sum().backward()


# ----------------------------------------------------------------------------- once_differentiable
def _define_once(base, once):
    class Cube(base):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3, x * 2

        @staticmethod
        @once
        def backward(ctx, g, h):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x + 2 * h
    return Cube


def test_once_differentiable_first_order_as_torch_second_order_raises():
    from tinygrad_sgd.autograd.custom import once_differentiable
    from torch.autograd.function import once_differentiable as torch_once
    Cube, CubeT = (_define_once(autograd.Function, once_differentiable),
                   _define_once(torch.autograd.Function, torch_once))
    x = tg.tensor([0.5, -2.0], dtype="float64", requires_grad=True)
    xt = torch.tensor([0.5, -2.0], dtype=torch.float64, requires_grad=True)
    a, b = Cube.apply(x)
    at, bt = CubeT.apply(xt)
    (a.sum() + b.sum()).backward()
    (at.sum() + bt.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    a, b = Cube.apply(x)
    (g,) = autograd.grad((a * a).sum(), x, create_graph=True)
    assert g.requires_grad
    message = "trying to differentiate twice a function that was marked with @once_differentiable"
    with pytest.raises(RuntimeError, match=message):
        g.sum().backward()
    at, bt = CubeT.apply(xt)
    (gt,) = torch.autograd.grad((at * at).sum(), xt, create_graph=True)
    np.testing.assert_allclose(g.numpy(), gt.detach().numpy())
    with pytest.raises(RuntimeError, match=message):
        gt.sum().backward()


def test_once_differentiable_where_torch_has_it():
    from tinygrad_sgd.autograd.function import once_differentiable
    assert once_differentiable is tg.autograd.custom.once_differentiable


def test_a_subclass_overriding_only_backward_uses_its_own():
    """Subclassing a torch-style Function and overriding one staticmethod: the subclass's
    backward runs (and its forward is inherited), as in torch."""
    class Double(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class DoubleWrongGrad(Double):
        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    DoubleWrongGrad.apply(x).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]
    x.grad = None
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
