"""``differentiable=True`` steps recorded in the graph (torch's single-tensor updates in
Tensor operations): a parameter that is itself computed (an unrolled inner loop's), a
gradient in a graph, or a learned learning rate. Every step was refused before ("a leaf
Variable ..."), where torch's run. Compared with torch 2.13: the parameters bit for bit
where no square root rounds (else within an ulp: torch's sqrt is not correctly rounded
here), the gradients through the steps to the accumulation order's last bits, and the
in-place errors torch's own autograd raises for some of them."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = (torch, tg)

CASES = [("SGD", {}), ("SGD", {"momentum": 0.9}),
         ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
         ("SGD", {"momentum": 0.8, "dampening": 0.3, "maximize": True}),
         ("Adam", {}), ("Adam", {"weight_decay": 0.1}), ("Adam", {"amsgrad": True}),
         ("AdamW", {}), ("Adam", {"maximize": True, "betas": (0.8, 0.9)})]


def _unrolled(M, name, options, dtype, learned_lr):
    """Three steps of a clone of w, each with a gradient computed from w; then the gradient
    of the final parameters' loss with respect to w (and the learned lr)."""
    w = M.tensor(np.array([1.0, -2.0, 3.0, 0.5], dtype), requires_grad=True)
    lr = M.tensor(0.1, requires_grad=True) if learned_lr else 0.1
    q = w.clone()
    opt = getattr(M.optim, name)([q], lr=lr, differentiable=True, **options)
    for i in range(3):
        q.grad = w * w * (i + 1) - q * 0.5
        opt.step()
    grads = M.autograd.grad((q ** 2).sum(), [w] + ([lr] if learned_lr else []))
    return [q.detach().numpy()] + [g.numpy() for g in grads]


def _run(M, *args):
    try:
        return _unrolled(M, *args)
    except RuntimeError as e:
        return str(e).split(":")[0]


@pytest.mark.parametrize("learned_lr", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_differentiable_steps_as_torch(case, dtype, learned_lr):
    name, options = CASES[case]
    theirs, ours = (_run(M, name, options, dtype, learned_lr) for M in LIBS)
    if isinstance(theirs, str):     # torch's autograd refuses (a buffer changed in place)
        assert ours == theirs
        return
    assert len(ours) == len(theirs)
    rtol = 1e-14 if dtype == "float64" else 2e-6
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0)


def test_differentiable_sgd_without_sqrt_is_torchs_bits():
    for options in ({}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}):
        out = [_unrolled(M, "SGD", options, "float64", False)[0] for M in LIBS]
        np.testing.assert_array_equal(out[1], out[0])


def test_a_leaf_parameter_is_refused_as_torch():
    messages = []
    for M in LIBS:
        w = M.tensor([1.0, 2.0], requires_grad=True)
        opt = M.optim.SGD([w], lr=0.1, differentiable=True)
        w.grad = M.ones(2)
        with pytest.raises(RuntimeError) as info:
            opt.step()
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def test_plain_tensors_step_as_without_differentiable():
    out = []
    for M in LIBS:
        p = M.tensor([1.0, -2.0, 3.0])
        opt = M.optim.Adam([p], lr=0.1, differentiable=True)
        for i in range(3):
            p.grad = M.tensor([0.5, -1.0, 2.0]) * (i + 1)
            opt.step()
        out.append(p.numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-6)


def test_other_optimizers_say_they_do_not_record_the_step():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    q = w.clone()
    opt = tg.optim.RMSprop([q], lr=0.1, differentiable=True)
    q.grad = w * 2
    with pytest.raises(NotImplementedError, match="SGD, Adam and AdamW only"):
        opt.step()
