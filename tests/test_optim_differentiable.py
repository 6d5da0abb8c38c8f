"""``differentiable=True`` steps recorded in the graph (torch's single-tensor updates in
Tensor operations): a parameter that is itself computed (an unrolled inner loop's), a
gradient in a graph, or a learned learning rate. Every step was refused before ("a leaf
Variable ..."), where torch's run; then SGD, Adam and AdamW were recorded and the eight
others said NotImplementedError. Compared with torch 2.13, every optimizer of torch's that
takes the flag: the parameters bit for bit where no square root rounds (else within a few
ulps: torch's sqrt is not correctly rounded here), the gradients through the steps to the
accumulation order's last bits, and the errors torch raises for some configurations — its
autograd's in-place error (a buffer it saved, changed by the next step), or its TypeError
where a learned lr goes into an argument that takes a number (``add_(alpha=)``,
``addcdiv_(value=)``, Rprop's ``full_like``)."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = (torch, tg)

CASES = [("SGD", {}), ("SGD", {"momentum": 0.9}),
         ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
         ("SGD", {"momentum": 0.8, "dampening": 0.3, "maximize": True}),
         ("Adam", {}), ("Adam", {"weight_decay": 0.1}), ("Adam", {"amsgrad": True}),
         ("AdamW", {}), ("Adam", {"maximize": True, "betas": (0.8, 0.9)}),
         ("RMSprop", {}), ("RMSprop", {"momentum": 0.5}), ("RMSprop", {"centered": True}),
         ("RMSprop", {"momentum": 0.9, "centered": True, "weight_decay": 0.1}),
         ("Adagrad", {}), ("Adagrad", {"maximize": True}),
         ("Adagrad", {"lr_decay": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
         ("Adadelta", {}), ("Adadelta", {"weight_decay": 0.1, "maximize": True}),
         ("Adamax", {}), ("Adamax", {"weight_decay": 0.1}),
         ("Adamax", {"betas": (0.5, 0.6), "maximize": True}),
         ("NAdam", {}), ("NAdam", {"weight_decay": 0.1}),
         ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
         ("NAdam", {"momentum_decay": 0.1, "betas": (0.5, 0.7)}),
         ("RAdam", {}), ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
         ("RAdam", {"betas": (0.5, 0.6), "weight_decay": 0.1}),
         ("ASGD", {}), ("ASGD", {"t0": 1, "weight_decay": 0.1}),
         ("Rprop", {}), ("Rprop", {"maximize": True}),
         ("Rprop", {"etas": (0.3, 1.5), "step_sizes": (0.01, 0.2)})]


def _unrolled(M, name, options, dtype, learned_lr, steps):
    """``steps`` steps of a clone of w, each with a gradient computed from w; then the
    gradient of the final parameters' loss with respect to w (and the learned lr)."""
    w = M.tensor(np.array([1.0, -2.0, 3.0, 0.5], dtype), requires_grad=True)
    lr = M.tensor(0.1, requires_grad=True) if learned_lr else 0.1
    q = w.clone()
    opt = getattr(M.optim, name)([q], lr=lr, differentiable=True, **options)
    for i in range(steps):
        q.grad = w * w * (i + 1) - q * 0.5
        opt.step()
    grads = M.autograd.grad((q ** 2).sum(), [w] + ([lr] if learned_lr else []),
                            allow_unused=True)
    return [q.detach().numpy()] + [None if g is None else g.numpy() for g in grads]


def _run(M, *args):
    try:
        return _unrolled(M, *args)
    except (RuntimeError, TypeError) as e:
        return f"{type(e).__name__}: {str(e).split(':')[0]}"


@pytest.mark.parametrize("steps", [1, 3])
@pytest.mark.parametrize("learned_lr", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_differentiable_steps_as_torch(case, dtype, learned_lr, steps):
    name, options = CASES[case]
    theirs, ours = (_run(M, name, options, dtype, learned_lr, steps) for M in LIBS)
    if isinstance(theirs, str):     # torch refuses: its autograd (a buffer changed in
        assert ours == theirs       # place) or its argument parser (a learned lr as a number)
        return
    assert not isinstance(ours, str), ours
    assert len(ours) == len(theirs)
    rtol = 1e-13 if dtype == "float64" else 2e-6
    for a, b in zip(ours, theirs):
        if b is None:               # (ASGD's lr: torch's step reads η as a number)
            assert a is None
            continue
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0)


def _plain(M, name, options, dtype, tensor_lr):
    """Six differentiable=True steps of a plain tensor (nothing in a graph): the parameter
    and every state entry."""
    p = M.tensor(np.array([1.0, -2.0, 3.0, 0.5, 0.0, -1e-3, 7.0, 0.25, -0.5], dtype))
    lr = {"lr": M.tensor(0.01)} if tensor_lr else {}
    opt = getattr(M.optim, name)([p], differentiable=True, **options, **lr)
    for i in range(6):
        p.grad = M.tensor(np.sin(np.arange(9) * (i + 1.3)).astype(dtype))
        if i == 3:
            p.grad[1] = 0
        opt.step()
    state = opt.state[p]
    return [p.numpy()] + [np.asarray(state[k].numpy()) for k in sorted(state)]


def _torchs_sqrt(self, x):
    """The library's Sqrt op with torch's square root (about one float32 element in five is
    an ulp off the correctly rounded one on these CPUs, whatever the tensor's size)."""
    out = torch.from_numpy(np.ascontiguousarray(x.array)).sqrt().numpy().reshape(x.shape)
    self.save_output(out)
    return out


@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_plain_differentiable_steps_are_torchs_bits(case, dtype, tensor_lr, monkeypatch):
    """Graph or not, the flag's arithmetic, bit for bit once the square root is torch's (the
    one rounding the library does not copy): NAdam's differs from its plain step's (its
    step sizes are 0-d tensor operations), which the library followed only without the flag;
    Adam's takes float32 bias corrections."""
    monkeypatch.setattr(tg.ops.elementwise.Sqrt, "forward", _torchs_sqrt)
    name, options = CASES[case]
    theirs, ours = (_plain(M, name, options, dtype, tensor_lr) for M in LIBS)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_nadam_differentiable_is_torchs_other_arithmetic():
    """NAdam's flag changes torch's float64 numbers beyond its square roots: without it, five
    of nine elements differ from the flag's run here; the library follows each."""
    runs = {(M, d): _plain_nadam(M, d) for M in LIBS for d in (False, True)}
    assert not np.array_equal(runs[torch, False], runs[torch, True])
    for d in (False, True):
        np.testing.assert_array_equal(runs[tg, d], runs[torch, d])


def _plain_nadam(M, differentiable):
    p = M.tensor(np.array([1.0, -2.0, 3.0, 0.5, 0.0, -1e-3, 7.0, 0.25, -0.5]))
    opt = M.optim.NAdam([p], lr=0.1, differentiable=differentiable)
    for i in range(4):
        p.grad = M.tensor(np.sin(np.arange(9) * (i + 1.3)))
        opt.step()
    return p.numpy()


def test_differentiable_sgd_without_sqrt_is_torchs_bits():
    for options in ({}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}):
        out = [_unrolled(M, "SGD", options, "float64", False, 3)[0] for M in LIBS]
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


def test_an_optimizer_without_a_recorded_update_says_so():
    class Plain(tg.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1, differentiable=True))

        def _update(self, p, g, group):
            p.array -= 0.1 * g

    w = tg.tensor([1.0, 2.0], requires_grad=True)
    q = w.clone()
    q.grad = w * 2
    with pytest.raises(NotImplementedError, match="does not record its update in the graph"):
        Plain([q]).step()
    p = tg.tensor([1.0, 2.0])           # nothing in a graph: its own update runs
    p.grad = tg.tensor([1.0, 1.0])
    Plain([p]).step()
    np.testing.assert_allclose(p.numpy(), [0.9, 1.9])
