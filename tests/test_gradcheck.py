"""gradcheck: passes on correct ops, and catches a wrong backward with a readable report."""
import re

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import GradcheckError, Tensor, gradcheck, tensor
from tinygrad_sgd.autograd import Function


class WrongSquare(Function):
    """z = x², with a backward that forgets the factor 2 (dz/dx = x instead of 2x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x.data ** 2

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * x


class WrongMulSecond(Function):
    """z = x·y, correct for x, but the gradient for y has the wrong sign."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x.data * y.data

    def backward(self, g):
        x, y = self.saved_tensors
        return g * y, -(g * x)


class WrongAtOneElement(Function):
    """z = 3x, whose backward is wrong only at flat index 4."""

    def forward(self, x):
        return 3 * x.data

    def backward(self, g):
        bump = np.zeros(g.shape)
        bump.flat[4] = 1.0
        return g * 3.0 + tensor(bump) * g


def rand(*shape, requires_grad=True, seed=0):
    return tensor(np.random.default_rng(seed).uniform(0.5, 2.0, shape),
                  requires_grad=requires_grad)


@pytest.mark.parametrize("fn,inputs", [
    (lambda a, b: a * b + a / b, (rand(3, 4), rand(4, seed=1))),
    (lambda a, b: (a ** b).sum(), (rand(2, 3), rand(2, 1, seed=2))),
    (lambda a: a.exp().log().sqrt().tanh().sigmoid(), (rand(5),)),
    (lambda a, b: (a @ b).softmax(1), (rand(3, 4), rand(4, 2, seed=3))),
    (lambda a: a.log_softmax(0)[np.array([0, 0, 2])], (rand(3, 2),)),
    (lambda a: a.max(1).values + a.mean(0, keepdim=True), (rand(3, 3),)),
    (lambda a, b: tg.cat([a, b], 0).permute(1, 0).reshape(-1), (rand(2, 3), rand(1, 3, seed=4))),
    (lambda a: tg.where(a > 1.0, a, a * a).abs().clamp(0.6, 3.0), (rand(4),)),
])
def test_gradcheck_passes_on_correct_ops(fn, inputs):
    assert gradcheck(fn, inputs) is True


def test_gradcheck_accepts_a_single_tensor():
    x = tensor(np.array([0.5, 1.5], np.float64), requires_grad=True)
    assert gradcheck(lambda t: (t * t).sum(), x)
    assert x.grad is None and x.tolist() == [0.5, 1.5]   # the caller's tensor is untouched
    # (float32 inputs: torch's warning, checked against torch in test_backward_edges.py)


def test_gradcheck_catches_a_wrong_backward_with_a_readable_report():
    x = tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda t: WrongSquare.apply(t).sum(), x)
    report = str(e.value)
    assert "input 0" in report and "(shape (3,))" in report
    assert "3 of 3 elements differ" in report
    # the worst element is the last one: numeric 2x = 6, analytic x = 3
    assert "worst at index (2,)" in report
    m = re.search(r"numeric ([-\d.e+]+) vs analytic ([-\d.e+]+)", report)
    assert m and float(m.group(1)) == pytest.approx(6.0, rel=1e-4)
    assert float(m.group(2)) == pytest.approx(3.0)
    assert gradcheck(lambda t: WrongSquare.apply(t).sum(), x, raise_exception=False) is False


def test_gradcheck_names_the_input_that_is_wrong():
    a, b = rand(2, 2), rand(2, 2, seed=5)
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda x, y: WrongMulSecond.apply(x, y), (a, b))
    assert "input 1" in str(e.value) and "input 0" not in str(e.value)
    b.requires_grad_(False)                 # only inputs that require grad are checked
    assert gradcheck(lambda x, y: WrongMulSecond.apply(x, y), (a, b))


def test_gradcheck_finds_a_single_wrong_element_of_a_non_scalar_output():
    x = rand(2, 3)
    with pytest.raises(GradcheckError, match=r"1 of 6 elements differ; worst at index \(1, 1\)"):
        gradcheck(lambda t: WrongAtOneElement.apply(t), x)


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="none of them have requires_grad=True"):
        gradcheck(lambda t: t * 2, Tensor([1.0]))


def test_gradcheck_checks_every_output_of_a_tuple():
    """A function returning several tensors (a custom Function with two outputs) is checked
    on all of them: a wrong gradient on the second output is caught."""
    import tinygrad_sgd as tg

    class SinCos(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            x, = ctx.saved_tensors
            return gs * x.cos() - gc * x.sin()

    class SinCosWrong(SinCos):
        @staticmethod
        def backward(ctx, gs, gc):
            x, = ctx.saved_tensors
            return gs * x.cos() + gc * x.sin()          # sign error on the second output

    x = tg.tensor([0.3, -1.2, 2.0], dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(SinCos.apply, (x,))
    assert not tg.gradcheck(SinCosWrong.apply, (x,), raise_exception=False)
    assert tg.gradcheck(lambda t: (t * 2, t.argmax()), (x,))   # integer outputs are skipped
