"""Backward semantics against torch: accumulation, graph shapes, freed graphs, gradient
arguments, autograd.grad and higher-order gradients, grad modes, hooks, retain_grad, leaves
and in-place version checks."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, autograd, enable_grad, no_grad, set_grad_enabled, tensor
from strategies import arrays, assert_same, both, positive_arrays, shapes


# ============================================================================ accumulation
GRAPHS = {
    "used twice (x * x)": lambda lib, x: x * x,
    "added to itself": lambda lib, x: x + x,
    "three uses": lambda lib, x: x * x.exp() - x,
    "diamond": lambda lib, x: (lambda a: a.exp() * a.tanh() + a)(x * 2.0),
    "wide diamond": lambda lib, x: (lambda a: a.sigmoid() + a.tanh() * a + (a * a).sum())(x - 1),
    "reused intermediate": lambda lib, x: (lambda a: (a * a) @ a.T)(x.reshape(-1, 1)),
}


@pytest.mark.parametrize("name", list(GRAPHS))
@given(data=st.data())
def test_gradients_accumulate_over_every_use(name, data):
    x = data.draw(arrays(data.draw(shapes(min_dims=1, max_dims=2))))
    a, b = both(x)
    GRAPHS[name](tg, a).sum().backward()
    GRAPHS[name](torch, b).sum().backward()
    assert_same(a.grad, b.grad, what=name)


def test_grad_accumulates_across_backward_calls():
    a, b = both(np.array([1.0, -2.0, 3.0]))
    for _ in range(3):
        (a * a).sum().backward()
        (b * b).sum().backward()
    assert_same(a.grad, b.grad)
    assert a.grad.tolist() == [6.0, -12.0, 18.0]


def test_leaf_grads_do_not_alias_each_other_or_the_given_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    g = Tensor([1.0, 1.0])
    (x + y).backward(g)                     # d/dx and d/dy are both exactly g
    x.grad.zero_()                          # as an optimizer's zero_grad does
    assert y.grad.tolist() == [1.0, 1.0]
    assert g.tolist() == [1.0, 1.0]
    assert not np.shares_memory(x.grad.data, y.grad.data)


def test_long_chain_backpropagates_without_recursion_error():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for i in range(100_000):
        y = y * 1.0 if i % 2 else y + 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]
    assert y.item() == 50_001.0
    del y                                   # freeing the chain must not overflow either


def test_long_chain_autograd_grad():
    x = Tensor(2.0, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y + x * 0.0
    (g,) = autograd.grad(y, x)
    assert g.item() == 1.0


class OnlySecondInput(tg.autograd.Function):
    """z = a·w whose backward returns None for a (treated as no gradient, as torch does)."""

    def forward(self, a, w):
        self.save_for_backward(a, w)
        return a.data * w.data

    def backward(self, g):
        a, _ = self.saved_tensors
        return None, g * a


class TorchOnlySecondInput(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, w):
        ctx.save_for_backward(a)
        return a * w

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return None, g * a


def test_a_none_gradient_stops_there_and_other_paths_still_count():
    (x, tx), (w, tw) = both(np.array([1.0, 2.0])), both(np.array([3.0, 4.0]))
    OnlySecondInput.apply(x * 2, w).sum().backward()
    TorchOnlySecondInput.apply(tx * 2, tw).sum().backward()
    assert x.grad is None and tx.grad is None
    assert_same(w.grad, tw.grad)
    a, ta = x * 2, tx * 2                   # a second path from x around the None
    (OnlySecondInput.apply(a, w) + a.exp()).sum().backward()
    (TorchOnlySecondInput.apply(ta, tw) + ta.exp()).sum().backward()
    assert_same(x.grad, tx.grad)
    assert_same(w.grad, tw.grad)


def test_backward_from_several_roots_matches_torch():
    (x, tx) = both(np.array([1.0, 2.0]))
    y1, ty1 = x * 3, tx * 3
    autograd.backward([y1, (y1 * y1).sum()], [tensor(np.ones(2)), None])
    torch.autograd.backward([ty1, (ty1 * ty1).sum()], [torch.ones(2, dtype=torch.float64), None])
    assert_same(x.grad, tx.grad)


# ============================================================================ freed graphs
SAVING_OPS = {
    "mul": lambda x: x * x, "div": lambda x: 1.0 / x, "pow": lambda x: x ** 3,
    "pow_tensor": lambda x: x ** x, "exp": lambda x: x.exp(), "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(), "abs": lambda x: x.abs(), "clamp": lambda x: x.clamp(0.5, 1.5),
    "relu": lambda x: x.relu(), "sigmoid": lambda x: x.sigmoid(), "tanh": lambda x: x.tanh(),
    "softmax": lambda x: x.softmax(0), "log_softmax": lambda x: x.log_softmax(0),
    "max": lambda x: x.max(), "max_dim": lambda x: x.max(0).values,
    "matmul": lambda x: x @ x, "where": lambda x: tg.where(x > 1, x, x * x),
    "getitem": lambda x: x[np.array([0, 0, 1])],
}


@pytest.mark.parametrize("op", list(SAVING_OPS))
def test_second_backward_through_freed_graph_raises(op):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = SAVING_OPS[op](x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*"
                                           "retain_graph=True"):
        y.backward()


@pytest.mark.parametrize("op", list(SAVING_OPS))
def test_retain_graph_allows_a_second_backward(op):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = SAVING_OPS[op](x).sum()
    y.backward(retain_graph=True)
    first = x.grad.array.copy()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first)


# ============================================================================ gradient argument
def test_backward_on_non_scalar_needs_a_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^grad can be implicitly created only for scalar "
                                           r"outputs$"):         # torch's words
        (x * 2).backward()
    (x * 2).sum().backward()                # a 1-element result is fine
    Tensor([1.0], requires_grad=True).__mul__(2.0).backward()


@given(data=st.data())
def test_backward_with_gradient_matches_torch(data):
    x = data.draw(arrays(data.draw(shapes(min_dims=1))))
    g = data.draw(arrays(x.shape))
    a, b = both(x)
    (a.tanh() * 3).backward(gradient=tensor(g))
    (b.tanh() * 3).backward(gradient=torch.tensor(g))
    assert_same(a.grad, b.grad)


def test_backward_gradient_shape_mismatch_and_no_grad_errors():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2,\)"):
        (x * 2).backward(Tensor([1.0, 1.0, 1.0]))
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0, 2.0]).sum().backward()
    with no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_backward_on_a_leaf_itself():
    x, t = both(np.array([1.0, 2.0]))
    x.backward(Tensor([3.0, 4.0]))
    t.backward(torch.tensor([3.0, 4.0], dtype=torch.float64))
    assert_same(x.grad, t.grad)


def test_float64_gradient_for_float32_output_is_cast_like_torch():
    a, b = both(np.array([1.0, 2.0], np.float32))
    g = np.array([0.5, 0.25])               # float64
    (ga,) = autograd.grad(a * 3.0, a, grad_outputs=tensor(g))
    (gb,) = torch.autograd.grad(b * 3.0, b, grad_outputs=torch.tensor(g))
    assert_same(ga, gb)
    (a * 3.0).backward(tensor(g))
    assert a.grad.dtype == np.float32


# ============================================================================ autograd.grad
def test_autograd_grad_returns_without_touching_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    gx, gw = autograd.grad((x * w).sum(), [x, w])
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad
    (gw_only,) = autograd.grad((x * w).sum(), w)
    assert gw_only.tolist() == [1.0, 2.0]


def test_autograd_grad_wrt_intermediate_matches_torch():
    x = np.array([0.5, -1.0, 2.0])
    (a, b) = both(x)
    ha, hb = a.tanh(), b.tanh()
    ga = autograd.grad((ha * ha * a).sum(), [ha, a])
    gb = torch.autograd.grad((hb * hb * b).sum(), [hb, b])
    for o, t in zip(ga, gb):
        assert_same(o, t)


def test_autograd_grad_unused_and_non_differentiable_inputs():
    x = Tensor([1.0], requires_grad=True)
    z = Tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Tensor at index 1 appears to not have been "
                                           r"used.*allow_unused=True"):
        autograd.grad((x * 2).sum(), [x, z])
    gx, gz = autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gx.tolist() == [2.0] and gz is None
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        autograd.grad((x * 2).sum(), [Tensor([1.0])])


@given(data=st.data())
def test_autograd_grad_create_graph_second_and_third_derivatives(data):
    x = data.draw(positive_arrays(data.draw(shapes()), 0.2, 2.0))
    a, b = both(x)
    fa, fb = (a ** 4 + a.exp() * a.log()).sum(), (b ** 4 + b.exp() * b.log()).sum()
    (ga,), (gb,) = autograd.grad(fa, a, create_graph=True), torch.autograd.grad(fb, b,
                                                                                create_graph=True)
    assert ga.requires_grad and ga.grad_fn is not None
    (ha,), (hb,) = (autograd.grad(ga.sum(), a, create_graph=True),
                    torch.autograd.grad(gb.sum(), b, create_graph=True))
    (ta,), (tb,) = autograd.grad(ha.sum(), a), torch.autograd.grad(hb.sum(), b)
    for o, t, what in ((ga, gb, "f'"), (ha, hb, "f''"), (ta, tb, "f'''")):
        assert_same(o, t, rtol=1e-9, what=what)


def hvp_function(lib, x, w):
    h = (w @ x).tanh()
    return (h.softmax(0) * h).sum() + (x * x).sum() * h.sum() + (x.sigmoid() * x).max()


@given(data=st.data())
def test_hessian_vector_products_match_torch(data):
    n = data.draw(st.integers(1, 5))
    x, v = data.draw(arrays((n,))), data.draw(arrays((n,)))
    w = data.draw(arrays((3, n)))
    (a, b), (wa, wb) = both(x), both(w)
    (ga,) = autograd.grad(hvp_function(tg, a, wa), a, create_graph=True)
    (gb,) = torch.autograd.grad(hvp_function(torch, b, wb), b, create_graph=True)
    hva = autograd.grad((ga * tensor(v)).sum(), [a, wa])
    hvb = torch.autograd.grad((gb * torch.tensor(v)).sum(), [b, wb])
    for o, t in zip(hva, hvb):
        assert_same(o, t, rtol=1e-7, atol=1e-10)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # torch's
def test_backward_create_graph_gives_differentiable_grad():
    a, b = both(np.array([0.3, -1.2, 2.0]))
    v = np.array([1.0, 2.0, -1.0])
    (a.tanh() * a).sum().backward(create_graph=True)
    (b.tanh() * b).sum().backward(create_graph=True)
    ga, gb = a.grad, b.grad
    assert ga.requires_grad
    a.grad, b.grad = None, None
    (ga * tensor(v)).sum().backward()
    (gb * torch.tensor(v)).sum().backward()
    assert_same(a.grad, b.grad)


# ============================================================================ grad modes
def test_no_grad_context_manager():
    x = Tensor([1.0], requires_grad=True)
    assert tg.is_grad_enabled()
    with no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError("restored even on error")
    assert tg.is_grad_enabled()


def test_no_grad_as_decorator_with_and_without_parentheses():
    x = Tensor([1.0], requires_grad=True)

    @no_grad()
    def f(t):
        return t * 2

    @no_grad
    def g(t):
        """docstring kept"""
        return t * 2

    for fn in (f, g):
        out = fn(x)
        assert not out.requires_grad and out.grad_fn is None
        assert tg.is_grad_enabled()
    assert g.__name__ == "g" and g.__doc__ == "docstring kept"
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        with enable_grad():
            y = x * 3
        z = x * 3
    assert y.requires_grad and not z.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [3.0]

    @enable_grad()
    def f(t):
        return t * 2

    @enable_grad
    def g(t):
        return t * 2

    with no_grad():
        assert f(x).requires_grad and g(x).requires_grad
        assert not tg.is_grad_enabled()


def test_set_grad_enabled():
    x = Tensor([1.0], requires_grad=True)
    with set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with no_grad(), set_grad_enabled(True):
        assert (x * 2).requires_grad
    assert not set_grad_enabled(False)(lambda t: t * 2)(x).requires_grad


# ============================================================================ hooks
def test_leaf_hook_sees_and_replaces_gradient_like_torch():
    a, b = both(np.array([1.0, 2.0, 3.0]))
    seen_a, seen_b = [], []
    a.register_hook(lambda g: seen_a.append(g.tolist()))
    b.register_hook(lambda g: seen_b.append(g.tolist()))
    a.register_hook(lambda g: g * 10)
    b.register_hook(lambda g: g * 10)
    (a * a).sum().backward()
    (b * b).sum().backward()
    assert seen_a == seen_b == [[2.0, 4.0, 6.0]]
    assert_same(a.grad, b.grad)


def test_non_leaf_hook_sees_and_replaces_gradient_like_torch():
    a, b = both(np.array([1.0, -2.0]))
    ha, hb = a * 3, b * 3
    seen_a, seen_b = [], []
    ha.register_hook(lambda g: seen_a.append(g.tolist()) or g * 0.5)
    hb.register_hook(lambda g: seen_b.append(g.tolist()) or g * 0.5)
    (ha * ha).sum().backward()
    (hb * hb).sum().backward()
    assert seen_a == seen_b
    assert_same(a.grad, b.grad)


def test_hook_handle_remove():
    x = Tensor([1.0], requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    handle.remove()
    handle.remove()                          # removing twice is harmless
    (x * 2).sum().backward()
    assert calls == [1]
    y = x * 2
    h2 = y.register_hook(lambda g: g * 100)
    h2.remove()
    x.grad = None
    y.sum().backward()
    assert x.grad.tolist() == [2.0]


def test_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require grad"):
        Tensor([1.0]).register_hook(lambda g: g)
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: Tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"hook returned a gradient of shape \(1,\)"):
        (x * 2).sum().backward()


# ============================================================================ retain_grad
def test_retain_grad_keeps_non_leaf_gradient():
    a, b = both(np.array([1.0, 2.0]))
    ya, yb = a * a, b * b
    za = (ya * 3).sum()
    za.backward()
    assert ya.grad is None                   # not kept by default
    ya, yb = a * a, b * b
    ya.retain_grad()
    yb.retain_grad()
    a.retain_grad()                          # a no-op on a leaf
    (ya * 3).sum().backward()
    (yb * 3).sum().backward()
    assert_same(ya.grad, yb.grad)
    assert not ya.grad.requires_grad


@pytest.mark.parametrize("retain_first", [True, False])
def test_retained_grad_is_taken_after_hooks_like_torch(retain_first):
    a, b = both(np.array([1.0, 2.0]))
    ya, yb = a * 2, b * 2
    for y in (ya, yb):
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda g: g * 10)
        if not retain_first:
            y.retain_grad()
    ya.sum().backward()
    yb.sum().backward()
    assert_same(ya.grad, yb.grad, what="retained grad")
    assert_same(a.grad, b.grad, what="leaf grad")


# ============================================================================ leaves, names
def test_requires_grad_on_integer_tensors_refused():
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        tg.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([True], requires_grad=True)
    assert Tensor([1.0], requires_grad=True).requires_grad


@pytest.mark.parametrize("fn,name", [
    (lambda x: x * 2, "MulBackward"), (lambda x: x + 2, "AddBackward"),
    (lambda x: x - 2, "SubBackward"), (lambda x: x / 2, "DivBackward"),
    (lambda x: -x, "NegBackward"), (lambda x: x.exp(), "ExpBackward"),
    (lambda x: x.sum(), "SumBackward"), (lambda x: x.reshape(2, 1), "ReshapeBackward"),
    (lambda x: x.reshape(2, 1) @ x.reshape(1, 2), "MatMulBackward"),
    (lambda x: x.relu(), "ReLUBackward"),
    (lambda x: x[0], "GetItemBackward"), (lambda x: x.max(), "MaxBackward"),
    (lambda x: x ** 2, "PowScalarBackward"), (lambda x: x.sigmoid(), "SigmoidBackward")])
def test_grad_fn_names(fn, name):
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = fn(x)
    assert y.grad_fn.name() == name
    assert repr(y.grad_fn) == f"<{name}>"
    assert not y.is_leaf and y.requires_grad


def test_is_leaf_and_detach():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([1.0, 2.0])
    y = x * 2
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert y.grad_fn.next_functions[0][0].variable is x
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    (d * x).sum().backward()                 # no gradient flows into y's graph through d
    assert x.grad.tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="only allowed on leaf"):
        y.requires_grad_(False)
    y.detach_()
    assert y.is_leaf and not y.requires_grad


# ============================================================================ in-place
def test_inplace_change_of_saved_tensor_is_detected():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = x * w
    with no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("inplace", [lambda t: t.add_(1.0), lambda t: t.mul_(2.0),
                                     lambda t: t.zero_(), lambda t: t.copy_(Tensor([5.0, 6.0])),
                                     lambda t: t.__setitem__(0, 9.0)])
def test_every_inplace_op_bumps_the_version(inplace):
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = (w * w).sum()                        # Mul saves its inputs
    before = w._version
    with no_grad():
        inplace(w)
    assert w._version > before
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_inplace_on_unsaved_tensor_is_fine_and_on_graph_tensors_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1.0).sum()                      # Add saves nothing
    with no_grad():
        x.add_(1.0)
    y.backward()
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1.0)
    h = (x * 2).mul_(2.0)                    # a non-leaf joins the graph, as torch
    assert h.grad_fn.name() == "MulBackward"
    c = Tensor([1.0, 2.0])
    c.add_(1.0)                              # a plain tensor may change freely
    assert c.tolist() == [2.0, 3.0]


def test_nodes_are_numbered_in_creation_order():
    """Each graph node gets torch's ``sequence_nr``: increasing in the order forward built it
    (custom torch-style Functions too); nodes outside a graph get none."""
    import tinygrad_sgd as tg
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a.exp()
    c = b.sum()
    assert a.grad_fn.sequence_nr < b.grad_fn.sequence_nr < c.grad_fn.sequence_nr

    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, g):
            t, = ctx.saved_tensors
            return 2 * t * g

    d = Square.apply(c)
    assert d.grad_fn.sequence_nr > c.grad_fn.sequence_nr
    with tg.no_grad():
        assert (x * 2).grad_fn is None
