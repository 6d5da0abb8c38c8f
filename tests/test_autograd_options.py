"""torch.autograd's options beyond the basics, against torch: ``backward(inputs=...)`` (only
those tensors' .grad, leaves or not), ``grad_variables`` (deprecated), and autograd.grad's
``materialize_grads``, ``is_grads_batched`` (values, second order through create_graph) and
``only_inputs`` (deprecated, ignored) — values, warnings and errors as torch's."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = [tg, torch]


def program(L):
    """y = Σ m·a, m = 2h, h = a·b (h keeps its gradient): a, b leaves, m a non-leaf."""
    a = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
    b = L.tensor([3.0, 4.0], dtype=L.float64, requires_grad=True)
    h = a * b
    h.retain_grad()
    m = h * 2
    return a, b, h, m, (m * a).sum()


def grads(*tensors):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [None if t.grad is None else t.grad.detach().numpy().tolist() for t in tensors]


@pytest.mark.parametrize("which", [["a"], ["a", "m"], ["b"], ["m"], ["a", "a"], "a"])
def test_backward_inputs_accumulates_only_into_them(which):
    results = []
    for L in LIBS:
        a, b, h, m, y = program(L)
        named = dict(a=a, b=b, m=m)
        inputs = named[which] if isinstance(which, str) else [named[k] for k in which]
        y.backward(inputs=inputs, retain_graph=True)
        first = grads(a, b, m, h)
        L.autograd.backward([y], inputs=inputs)               # twice: accumulates
        results.append((first, grads(a, b, m, h)))
    assert results[0] == results[1]


def test_backward_inputs_unused_and_refused_as_torch():
    for L in LIBS:
        a, b, h, m, y = program(L)
        z = L.tensor([5.0], dtype=L.float64, requires_grad=True)
        y.backward(inputs=[z], retain_graph=True)
        assert z.grad is None and a.grad is None
        with pytest.raises(RuntimeError, match=r"`inputs` argument to `backward\(\)` cannot be "
                                               r"empty\."):
            y.backward(inputs=[], retain_graph=True)
        with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has "
                                               "requires_grad=False"):
            y.backward(inputs=[L.tensor([1.0])], retain_graph=True)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_inputs_with_create_graph_gives_a_differentiable_grad():
    out = []
    for L in LIBS:
        x = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        w = L.tensor([0.5, -1.0], dtype=L.float64, requires_grad=True)
        (x ** 3 * w).sum().backward(inputs=[x], create_graph=True)
        (g2,) = L.autograd.grad(x.grad.sum(), [w])
        out.append((x.grad.detach().numpy().tolist(), g2.numpy().tolist(), w.grad))
    assert out[0] == out[1]


def test_grad_variables_is_a_deprecated_grad_tensors():
    for L in LIBS:
        a, b, h, m, y = program(L)
        with pytest.warns(FutureWarning, match="`grad_variables` is deprecated"):
            L.autograd.backward([m], grad_variables=[L.ones(2, dtype=L.float64)],
                                retain_graph=True)
        assert grads(a, b) == [[6.0, 8.0], [2.0, 4.0]]
        with pytest.raises(RuntimeError, match="`grad_tensors` and `grad_variables` "
                                               r"\(deprecated\) arguments both passed"), \
                pytest.warns(FutureWarning, match="`grad_variables` is deprecated"):
            L.autograd.backward([m], grad_tensors=[L.ones(2, dtype=L.float64)],
                                grad_variables=[L.ones(2, dtype=L.float64)])


@pytest.mark.parametrize("create_graph", [False, True])
def test_materialize_grads_gives_zeros_for_unused_inputs(create_graph):
    out = []
    for L in LIBS:
        a = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        b = L.tensor([[3.0]], dtype=L.float32, requires_grad=True)
        ga, gb = L.autograd.grad((a * 2).sum(), [a, b], materialize_grads=True,
                                 create_graph=create_graph)
        out.append((ga.detach().numpy().tolist(), gb.detach().numpy().tolist(),
                    gb.dtype == b.dtype, gb.requires_grad, gb.shape == b.shape))
        with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed "
                                             "when materialize_grads=True"):
            L.autograd.grad((a * 2).sum(), [a, b], materialize_grads=True, allow_unused=False)
        with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to "
                                               "not have been used in the graph"):
            L.autograd.grad((a * 2).sum(), [a, b])          # allow_unused=None: False
    assert out[0] == out[1]


def test_only_inputs_is_deprecated_and_ignored():
    for L in LIBS:
        a = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
            (g,) = L.autograd.grad((a * a).sum(), [a], only_inputs=False)
        assert g.detach().numpy().tolist() == [2.0, 4.0] and a.grad is None


@pytest.mark.parametrize("unused", ["allow", "materialize"])
def test_is_grads_batched_stacks_one_vjp_per_row(unused):
    out = []
    for L in LIBS:
        x = L.tensor([1.0, 2.0, -1.5], dtype=L.float64, requires_grad=True)
        w = L.tensor([[0.5, 1.0, 2.0], [1.0, -1.0, 0.0]], dtype=L.float64, requires_grad=True)
        c = L.tensor([7.0], dtype=L.float64, requires_grad=True)
        y, z = w @ x ** 2, x.sum() * 3
        v = L.tensor(np.arange(8.0).reshape(4, 2), dtype=L.float64)
        u = L.tensor(np.array([1.0, -2.0, 0.5, 3.0]), dtype=L.float64)
        option = dict(allow_unused=True) if unused == "allow" else dict(materialize_grads=True)
        gx, gw, gc = L.autograd.grad([y, z], [x, w, c], [v, u], is_grads_batched=True,
                                     create_graph=True, **option)
        (second,) = L.autograd.grad((gx ** 2).sum(), [x])       # through the batched rows
        out.append((gx.detach().numpy().tolist(), gw.detach().numpy().tolist(),
                    None if gc is None else gc.detach().numpy().tolist(),
                    second.numpy().tolist()))
    assert out[0] == out[1]


def test_is_grads_batched_shape_errors_as_torch():
    for L in LIBS:
        a = L.tensor([1.0, 2.0], requires_grad=True)
        y = a * L.tensor([3.0, 4.0])
        with pytest.raises(RuntimeError, match="If `is_grads_batched=True`, we interpret the "
                                               "first dimension of each grad_output as the "
                                               "batch dimension"):
            L.autograd.grad(y, a, L.ones(3, 3), retain_graph=True, is_grads_batched=True)
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="needs a batch dimension"):
        tg.autograd.grad((a * 2).sum(), a, None, is_grads_batched=True)


def test_only_the_paths_to_the_inputs_run():
    """With inputs (autograd.grad, or backward(inputs=...)), as torch, a node off every path
    to them does not run: its hooks and retained gradients do not fire, its saved arrays stay
    (the graph can still be walked to the other leaves)."""
    seen = []
    for L in LIBS:
        a, b, h, m, y = program(L)
        calls = []
        h.register_hook(lambda g: calls.append("h"))
        m.register_hook(lambda g: calls.append("m"))
        (gm,) = L.autograd.grad(y, [m])             # no retain_graph: h's and m's nodes did
        off = (list(calls), grads(h))                 # not run, so they are not freed
        m.backward(L.ones(2, dtype=L.float64), inputs=[b])    # now through them to b
        seen.append((gm.numpy().tolist(), off, calls, grads(a, b, h)))
    assert seen[0] == seen[1]
