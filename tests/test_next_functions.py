"""``grad_fn.next_functions`` in torch's form — ``((node, output index), ...)``, one pair per
tensor input, an ``AccumulateGrad`` (``.variable`` = the leaf) at a leaf that requires grad,
``(None, 0)`` for a tensor that needs no gradient — compared with torch's on the same
expressions, walked all the way down to the leaves."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.autograd import Function as TgFunction


def _custom_functions(base):
    """A Function of two outputs and one taking an index tensor, on ``base`` (either
    library's ``autograd.Function``)."""
    class Two(base):
        @staticmethod
        def forward(ctx, a, k, b):
            return a * k, b + 1

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 3, None, g2

    class Indexed(base):
        @staticmethod
        def forward(ctx, a, index):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None
    return Two, Indexed


CUSTOM = {tg: _custom_functions(TgFunction), torch: _custom_functions(torch.autograd.Function)}


def _two(T, x, c):
    o1, o2 = CUSTOM[T][0].apply(x, 3, c)
    return o1 * o2


# expressions whose ops are the same nodes in both libraries (x, y: leaves that require grad;
# c: a constant tensor). Not here, as they differ: ``2 - x`` (torch's RsubBackward1 lists x
# alone), ``mean`` (here a sum and a division), ``stack``, ``x[None]`` (a GetItem here)
CASES = {
    "x*y": lambda T, x, y, c: x * y,
    "x*c": lambda T, x, y, c: x * c,
    "c*x": lambda T, x, y, c: c * x,
    "x*2": lambda T, x, y, c: x * 2,
    "2*x": lambda T, x, y, c: 2 * x,
    "2+x": lambda T, x, y, c: 2 + x,
    "x-2": lambda T, x, y, c: x - 2,
    "x/y": lambda T, x, y, c: x / y,
    "x**y": lambda T, x, y, c: x ** y,
    "sum": lambda T, x, y, c: (x * y + x.exp()).sum(),
    "relu-sum": lambda T, x, y, c: T.relu(x - c).sum(),
    "where": lambda T, x, y, c: T.where(c > 0.5, x, y),
    "where-constant": lambda T, x, y, c: T.where(c > 0.5, x, c),
    "cat": lambda T, x, y, c: T.cat([x, c, y]),
    "index": lambda T, x, y, c: x[1],
    "clamp": lambda T, x, y, c: x.clamp(0, 1),
    "matmul": lambda T, x, y, c: x.reshape(1, 3) @ y.reshape(3, 1),
    "custom, two outputs": lambda T, x, y, c: _two(T, x, c),
    "custom, an index input": lambda T, x, y, c: CUSTOM[T][1].apply(x, T.arange(3)),
}


def form(fn, leaves, depth=0):
    """The graph below ``fn`` as nested tuples: a leaf by its position in ``leaves``, None,
    or (output index, the form of that node's own next_functions)."""
    out = []
    for node, index in fn.next_functions:
        if node is None:
            out.append((None, index))
        elif hasattr(node, "variable"):
            assert node.next_functions == ()
            out.append((("leaf", [v is node.variable for v in leaves].index(True)), index))
        else:
            out.append((form(node, leaves, depth + 1), index))
    return tuple(out)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_next_functions_have_torchs_form(case):
    values = np.array([0.3, 0.7, 1.1], np.float32)
    forms = []
    for T in (tg, torch):
        x = T.tensor(values, requires_grad=True)
        y = T.tensor(values[::-1].copy(), requires_grad=True)
        c = T.tensor(np.array([0.2, 0.9, 0.4], np.float32))
        out = CASES[case](T, x, y, c)
        forms.append(form(out.grad_fn, [x, y]))
    assert forms[0] == forms[1]


def test_accumulate_grad_is_one_node_per_leaf_while_held():
    x = tg.ones(3, requires_grad=True)
    y = (x * x).sum()
    mul = y.grad_fn.next_functions[0][0]
    (a, i), (b, j) = mul.next_functions
    assert a is b and a.variable is x and (i, j) == (0, 0)
    assert a.name() == "torch::autograd::AccumulateGrad" == \
        torch.ones(1, requires_grad=True).mul(2).grad_fn.next_functions[0][0].name()
    assert repr(a) == "<AccumulateGrad>"


def test_number_on_the_left_of_plus_and_times_is_the_second_input():
    # torch: 2 * x is x.mul(2) — the same numbers, x's edge first
    x = tg.tensor(np.array([0.1, -0.0, np.inf, np.nan, 3e38], np.float32), requires_grad=True)
    for left, right in ((2.5 * x, x * 2.5), (2.5 + x, x + 2.5)):
        assert np.array_equal(left.detach().numpy(), right.detach().numpy(), equal_nan=True)
        assert left.grad_fn.next_functions[0][0].variable is x
        assert left.grad_fn.next_functions[1] == (None, 0)
    (2.5 * x + 2.5 + x).sum().backward()
    assert np.array_equal(x.grad.numpy(), np.full(5, 3.5, np.float32))


def test_a_node_without_inputs_has_no_next_functions():
    # a node made by hand and never linked into a graph: no edges (torch: next_functions == ())
    from tinygrad_sgd.ops import Mul
    assert Mul().next_functions == ()
