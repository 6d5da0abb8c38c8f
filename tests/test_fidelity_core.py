"""Data pipelines, optimizers, schedulers, grad mode, custom Functions and gradcheck as torch
has them — the defects the torch programs tabular_training.py, hooks_and_autograd.py and
optimizers_tour.py found, each checked against torch:

* ``WeightedRandomSampler``: torch's draws (one ``multinomial`` per epoch), arguments, errors;
* ``torch.set_grad_enabled(False)`` called as a function switches at once; ``no_grad()``
  changes nothing until its block; decorators, ``clone``;
* a custom Function may ``save_for_backward(None)`` (an optional bias) and return extra
  ``None`` gradients (for defaulted forward arguments); other values are torch's errors;
* ``gradcheck`` raises a RuntimeError whose first line is torch's; ``gradgradcheck`` checks
  second derivatives and draws its ``grad_outputs`` as torch does;
* an optimizer's ``step`` (and NAdam's ``mu_product``, ASGD's ``eta``/``mu``) are 0-d
  tensors of torch's scalar dtype, counted in place, after loading too;
* every scheduler's ``state_dict`` has torch's keys in torch's order.
"""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.utils import data as tdata
from test_optim_torch import torch_on_one_thread  # noqa: F401  (the fixture, used here too)


def lib(side):
    return torch if side == "torch" else tg


# ========================================================================= WeightedRandomSampler
SAMPLER_CASES = [
    # (weights, num_samples, replacement, generator seed or None)
    ([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, True, None),
    ([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, False, None),
    ([1.0, 2.0, 3.0], 100, True, 7),
    ([0.5] * 10 + [5.0] * 3, 13, False, 3),
    ([1, 1, 1, 1], 1, True, None),                 # integer weights, one sample
    ([0.0, 1.0, 0.0, 2.0], 40, True, 11),          # zero weights are never drawn
]


def draw_sampler(side, weights, num_samples, replacement, seed, epochs=3):
    T = lib(side)
    T.manual_seed(0)
    W = torch.utils.data.WeightedRandomSampler if side == "torch" else tdata.WeightedRandomSampler
    generator = None if seed is None else T.Generator().manual_seed(seed)
    weights = weights if side == "torch" or seed is None else T.tensor(weights)
    sampler = W(weights, num_samples, replacement=replacement, generator=generator)
    epochs_drawn = [list(sampler) for _ in range(epochs)]
    return epochs_drawn, len(sampler), T.rand(2).tolist(), str(sampler.weights.dtype)


@pytest.mark.parametrize("case", SAMPLER_CASES, ids=lambda c: f"{len(c[0])}w-{c[1]}-{c[2]}")
def test_weighted_random_sampler_draws_as_torch(case):
    ours, theirs = draw_sampler("ours", *case), draw_sampler("torch", *case)
    assert ours[0] == theirs[0]                       # every epoch's indices
    assert ours[1] == theirs[1] == case[1]            # len
    np.testing.assert_allclose(ours[2], theirs[2])   # the default stream moved alike
    assert ours[3].split(".")[-1] == theirs[3].split(".")[-1] == "float64"
    if 0.0 in case[0]:
        assert all(case[0][i] > 0 for epoch in ours[0] for i in epoch)


@pytest.mark.parametrize("args,kwargs", [
    (([1.0, 2.0], 0), {}),
    (([1.0, 2.0], -3), {}),
    (([1.0, 2.0], 2.0), {}),
    (([1.0, 2.0], True), {}),
    (([1.0, 2.0], 2), {"replacement": 1}),
    (([[1.0, 2.0]], 2), {}),
])
def test_weighted_random_sampler_errors_as_torch(args, kwargs):
    with pytest.raises(ValueError) as theirs:
        torch.utils.data.WeightedRandomSampler(*args, **kwargs)
    with pytest.raises(ValueError) as ours:
        tdata.WeightedRandomSampler(*args, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_weighted_random_sampler_without_replacement_needs_enough_weights():
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        list(torch.utils.data.WeightedRandomSampler([1.0, 2.0], 3, replacement=False))
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        list(tdata.WeightedRandomSampler([1.0, 2.0], 3, replacement=False))


def test_weighted_random_sampler_in_a_dataloader_gives_torch_batches():
    def batches(side):
        T = lib(side)
        D = torch.utils.data if side == "torch" else tdata
        T.manual_seed(5)
        x = T.arange(20).float()
        labels = (x > 15).long()
        weights = (1.0 / T.bincount(labels).float())[labels]
        sampler = D.WeightedRandomSampler(weights, num_samples=20, replacement=True)
        loader = D.DataLoader(D.TensorDataset(x, labels), batch_size=6, sampler=sampler)
        return [(b[0].tolist(), b[1].tolist()) for epoch in range(2) for b in loader]
    assert batches("ours") == batches("torch")


# ============================================================================ grad mode
def grad_mode_trace(T):
    x = T.ones(2, requires_grad=True)
    out = []
    out.append(("call", T.set_grad_enabled(False) is not None, T.is_grad_enabled(),
                (x * 2).requires_grad))
    T.set_grad_enabled(True)
    out.append(("back on", T.is_grad_enabled()))
    with T.set_grad_enabled(False):
        out.append(("with", T.is_grad_enabled()))
    out.append(("after with", T.is_grad_enabled()))
    ctx = T.no_grad()
    out.append(("no_grad created", T.is_grad_enabled()))
    with ctx:
        out.append(("in no_grad", T.is_grad_enabled()))
        with T.enable_grad():
            out.append(("in enable_grad", T.is_grad_enabled()))
        with T.set_grad_enabled(True):
            out.append(("set True inside", T.is_grad_enabled()))
        out.append(("still no_grad", T.is_grad_enabled()))
    out.append(("restored", T.is_grad_enabled()))

    @T.set_grad_enabled(False)
    def f():
        return (x * 2).requires_grad
    out.append(("decorator defined", T.is_grad_enabled(), f(), T.is_grad_enabled()))

    @T.no_grad()
    def g():
        return (x * 2).requires_grad

    @T.no_grad
    def h():
        return (x * 2).requires_grad
    out.append(("no_grad decorators", g(), h(), T.is_grad_enabled()))
    with T.no_grad():
        @T.enable_grad()
        def k():
            return (x * 2).requires_grad
        out.append(("enable_grad decorator", k(), T.is_grad_enabled()))
    T.set_grad_enabled(False).clone()
    out.append(("clone switches too", T.is_grad_enabled()))
    T.set_grad_enabled(True)
    try:
        with T.set_grad_enabled(False):
            raise ValueError
    except ValueError:
        out.append(("after an exception", T.is_grad_enabled()))
    prev = T.set_grad_enabled(False)
    T.set_grad_enabled(prev.prev)
    out.append(("prev", prev.prev, prev.mode, T.is_grad_enabled()))
    return out


def test_set_grad_enabled_as_a_function_and_a_context_as_torch():
    try:
        assert grad_mode_trace(tg) == grad_mode_trace(torch)
    finally:
        torch.set_grad_enabled(True)
        tg.set_grad_enabled(True)


def test_set_grad_enabled_false_is_a_silent_wrong_no_more():
    """Before: ``torch.set_grad_enabled(False)`` (a statement) changed nothing, so a model
    evaluated after it still built a graph."""
    w = tg.ones(3, requires_grad=True)
    try:
        tg.set_grad_enabled(False)
        y = (w * 2).sum()
        assert not y.requires_grad and y.grad_fn is None and not tg.is_grad_enabled()
    finally:
        tg.set_grad_enabled(True)
    assert (w * 2).requires_grad


# ============================================================================ custom Function
def linear_function(T):
    class LinearFunction(T.autograd.Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias
    return LinearFunction


@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)])
def test_tutorial_linear_function_saves_none_and_returns_extra_nones(with_bias, needs):
    """The "Extending PyTorch" LinearFunction: ``save_for_backward(input, weight, None)`` and
    three gradients for two inputs when called without a bias."""
    rng = np.random.default_rng(0)
    x0, w0, b0 = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    results = {}
    for side in ("ours", "torch"):
        T = lib(side)
        x = T.tensor(x0, requires_grad=needs[0])
        w = T.tensor(w0, requires_grad=needs[1])
        b = T.tensor(b0, requires_grad=True) if with_bias else None
        args = (x, w, b) if with_bias else (x, w)
        out = linear_function(T).apply(*args)
        (out * out).sum().backward()
        results[side] = [out.detach().numpy()] + [
            None if t is None or t.grad is None else t.grad.numpy() for t in (x, w, b)]
    for a, b in zip(results["ours"], results["torch"]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12)


def save_and_return(T, saved, grads, x):
    class F(T.autograd.Function):
        @staticmethod
        def forward(ctx, t, k=None):
            ctx.save_for_backward(t, saved)
            return t * 2

        @staticmethod
        def backward(ctx, g):
            t, s = ctx.saved_tensors
            return (g * 2,) + grads(T)
    return F.apply(x)


@pytest.mark.parametrize("name,saved,grads", [
    ("an int saved", 3, lambda T: ()),
    ("a list saved", [1.0], lambda T: ()),
    ("extra gradient not None", None, lambda T: (T.ones(2),)),
    ("two extra Nones", None, lambda T: (None, None)),
    ("a None and a tensor", None, lambda T: (None, T.ones(2))),
])
def test_custom_function_save_and_gradient_count_errors_as_torch(name, saved, grads):
    def outcome(T):
        x = T.ones(2, dtype=T.float64, requires_grad=True)
        try:
            save_and_return(T, saved, grads, x).sum().backward()
        except (TypeError, RuntimeError) as e:
            return type(e).__name__, str(e).replace("FBackward", "F")
        return "ok", x.grad.tolist()
    assert outcome(tg) == outcome(torch)


def test_save_for_backward_of_a_non_tensor_is_only_checked_when_recording():
    for T in (tg, torch):
        assert save_and_return(T, 3, lambda T: (), T.ones(2)).tolist() == [2.0, 2.0]


def test_saved_none_comes_back_as_none():
    for T in (tg, torch):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.save_for_backward(None, t, None)
                return t.exp()

            @staticmethod
            def backward(ctx, g):
                a, t, b = ctx.saved_tensors
                assert a is None and b is None
                return g * t.exp()
        x = T.tensor([0.5, 1.0], requires_grad=True)
        F.apply(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]), rtol=1e-6)


# ============================================================================ gradcheck
def wrong_square(T):
    class Wrong(T.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t ** 2

        @staticmethod
        def backward(ctx, g):
            return g * 3.0
    return Wrong


def wrong_second(T):
    class WrongSecond(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b, a + b

        @staticmethod
        def backward(ctx, ga, gb):
            a, b = ctx.saved_tensors
            return ga * b + gb, ga * a - gb          # wrong for input 1 (through output 1)
    return WrongSecond


@pytest.mark.parametrize("make,n_inputs", [(wrong_square, 1), (wrong_second, 2)])
def test_gradcheck_failure_is_torchs_runtime_error_with_its_first_line(make, n_inputs):
    lines = {}
    for side in ("ours", "torch"):
        T = lib(side)
        T.manual_seed(0)
        inputs = [T.rand(3, dtype=T.float64, requires_grad=True) + 0.5 for _ in range(n_inputs)]
        inputs = [t.detach().requires_grad_() for t in inputs]
        with pytest.raises(RuntimeError) as e:
            T.autograd.gradcheck(make(T).apply, inputs)
        assert type(e.value).__name__ == "GradcheckError"
        lines[side] = str(e.value).splitlines()[0]
        assert T.autograd.gradcheck(make(T).apply, inputs, raise_exception=False) is False
    assert lines["ours"] == lines["torch"]


def test_gradcheck_error_is_a_runtime_error():
    assert issubclass(tg.GradcheckError, RuntimeError)
    assert issubclass(torch.autograd.gradcheck.__globals__["GradcheckError"], RuntimeError)


def mul_constant(T, right=True):
    class MulConstant(T.autograd.Function):
        @staticmethod
        def forward(ctx, tensor, constant):
            ctx.constant = constant
            ctx.save_for_backward(tensor)
            return tensor * tensor * constant

        @staticmethod
        def backward(ctx, grad_output):
            (t,) = ctx.saved_tensors
            factor = 2 * t if right else 2 * t.detach()   # detached: no second derivative
            return grad_output * factor * ctx.constant, None
    return MulConstant


@pytest.mark.parametrize("fn_name", ["tanh_sum", "product", "custom_right", "custom_wrong",
                                     "two_outputs"])
def test_gradgradcheck_as_torch(fn_name):
    """The verdict and the random stream afterwards (its grad_outputs are drawn from the
    default generator, uniform in [-1, 1), as torch's make_tensor) are torch's."""
    results = {}
    for side in ("ours", "torch"):
        T = lib(side)
        T.manual_seed(1)
        a = T.rand(2, 3, dtype=T.float64, requires_grad=True)
        b = T.rand(3, dtype=T.float64, requires_grad=True)
        fn, inputs = {
            "tanh_sum": (lambda x: (x.tanh() * x).sum(1), (a,)),
            "product": (lambda x, y: x * y.exp(), (a, b)),
            "custom_right": (lambda x: mul_constant(T).apply(x, 3.0), (a,)),
            "custom_wrong": (lambda x: mul_constant(T, right=False).apply(x, 3.0), (a,)),
            "two_outputs": (lambda x, y: (x.sin() * y, (x * x).sum()), (a, b)),
        }[fn_name]
        verdict = T.autograd.gradgradcheck(fn, inputs, raise_exception=False)
        results[side] = (verdict, T.rand(3).tolist())
    assert results["ours"][0] == results["torch"][0] == (fn_name != "custom_wrong")
    np.testing.assert_allclose(results["ours"][1], results["torch"][1])


def test_gradgradcheck_with_given_grad_outputs_and_its_error():
    x = tg.tensor([0.3, 0.7], dtype=tg.float64, requires_grad=True)
    v = tg.tensor([1.0, -2.0], dtype=tg.float64, requires_grad=True)
    assert tg.gradgradcheck(lambda t: t ** 3, (x,), (v,))
    with pytest.raises(tg.GradcheckError, match="^Jacobian mismatch for output 0 with "
                                                "respect to input 0,"):
        tg.gradgradcheck(lambda t: mul_constant(tg, right=False).apply(t, 2.0), (x,), (v,))


# ============================================================================ optimizer numbers
OPTIMIZERS = [
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adadelta", dict(lr=1.0)),
    ("ASGD", dict(lr=0.05, t0=2)),
    ("Rprop", dict(lr=0.01)),
    ("Adafactor", dict(lr=0.01)),
]
NUMBER_STATE = {"step", "mu_product", "eta", "mu"}


def trained_optimizer(side, name, options, steps=4, dtype="float32"):
    T = lib(side)
    T.manual_seed(0)
    w = T.randn(3, 2, dtype=getattr(T, dtype), requires_grad=True)
    b = T.zeros(2, dtype=getattr(T, dtype), requires_grad=True)
    opt = getattr(T.optim, name)([w, b], **options)
    x = T.randn(5, 3, dtype=getattr(T, dtype))
    for _ in range(steps):
        opt.zero_grad()
        ((x @ w + b) ** 2).mean().backward()
        opt.step()
    return opt, (w, b)


@pytest.mark.parametrize("name,options", OPTIMIZERS, ids=lambda v: v if isinstance(v, str)
                         else "-".join(map(str, v.values())))
def test_optimizer_numbers_are_0d_tensors_as_torch(name, options):
    ours, (w, _) = trained_optimizer("ours", name, options)
    theirs, (tw, _) = trained_optimizer("torch", name, options)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    for i in (0, 1):
        assert list(sd["state"][i]) == list(tsd["state"][i])
        for key in NUMBER_STATE & set(tsd["state"][i]):
            value, expected = sd["state"][i][key], tsd["state"][i][key]
            assert isinstance(value, tg.Tensor) and value.shape == () == tuple(expected.shape)
            assert str(value.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
            assert value.item() == pytest.approx(expected.item(), rel=1e-6)
            assert repr(value).replace("tinygrad_sgd", "torch") == repr(expected)
            assert f"{value}" == f"{expected}"
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
    # the state_dict shares the counting tensor, as torch's: one more step shows in it
    step = sd["state"][0]["step"]
    ours.step()
    assert step.item() == sd["state"][0]["step"].item() == 5
    assert ours.state[w]["step"] is step


@pytest.mark.parametrize("name,options", [OPTIMIZERS[0], OPTIMIZERS[3], OPTIMIZERS[9]],
                         ids=["Adam", "NAdam", "ASGD"])
def test_optimizer_numbers_follow_a_float64_default_dtype_as_torch(name, options):
    dtypes = {}
    for side in ("ours", "torch"):
        T = lib(side)
        old = T.get_default_dtype()
        T.set_default_dtype(T.float64)
        try:
            opt, _ = trained_optimizer(side, name, options, steps=2, dtype="float64")
        finally:
            T.set_default_dtype(old)
        dtypes[side] = {k: str(v.dtype).split(".")[-1] for k, v in
                        opt.state_dict()["state"][0].items() if k in NUMBER_STATE}
    assert dtypes["ours"] == dtypes["torch"] and set(dtypes["ours"].values()) == {"float64"}


@pytest.mark.parametrize("name,options", [OPTIMIZERS[0], OPTIMIZERS[3], OPTIMIZERS[9]],
                         ids=["Adam", "NAdam", "ASGD"])
@pytest.mark.parametrize("source", ["torch", "ours", "python numbers"])
def test_loaded_optimizer_numbers_are_0d_tensors_and_continue(name, options, source, tmp_path):
    theirs, (tw, tb) = trained_optimizer("torch", name, options)
    ours, (w, b) = trained_optimizer("ours", name, options)
    if source == "torch":
        saved = theirs.state_dict()
    elif source == "ours":
        tg.save(ours.state_dict(), tmp_path / "opt.pt")
        saved = tg.load(tmp_path / "opt.pt")
    else:
        saved = ours.state_dict()
        saved = {"param_groups": saved["param_groups"],
                 "state": {i: {k: (v.item() if k in NUMBER_STATE else v) for k, v in s.items()}
                           for i, s in saved["state"].items()}}
    fresh = getattr(tg.optim, name)([w, b], **options)
    fresh.load_state_dict(saved)
    for s in fresh.state.values():
        for key in NUMBER_STATE & set(s):
            assert isinstance(s[key], tg.Tensor) and s[key].shape == ()
            assert s[key].dtype == np.float32
    assert fresh.state[w]["step"].item() == 4
    fresh.step()
    assert fresh.state[w]["step"].item() == 5


# ============================================================================ scheduler state
def schedulers(L, o):
    return {
        "StepLR": lambda: L.StepLR(o, 2),
        "MultiStepLR": lambda: L.MultiStepLR(o, [2]),
        "ConstantLR": lambda: L.ConstantLR(o),
        "LinearLR": lambda: L.LinearLR(o),
        "ExponentialLR": lambda: L.ExponentialLR(o, 0.9),
        "CosineAnnealingLR": lambda: L.CosineAnnealingLR(o, 5),
        "LambdaLR": lambda: L.LambdaLR(o, lambda e: 1.0),
        "MultiplicativeLR": lambda: L.MultiplicativeLR(o, lambda e: 0.9),
        "PolynomialLR": lambda: L.PolynomialLR(o),
        "CosineAnnealingWarmRestarts": lambda: L.CosineAnnealingWarmRestarts(o, 3),
        "CyclicLR": lambda: L.CyclicLR(o, 0.01, 0.1),
        "OneCycleLR": lambda: L.OneCycleLR(o, 0.1, total_steps=10),
        "OneCycleLR(three_phase)": lambda: L.OneCycleLR(o, 0.1, total_steps=10,
                                                        three_phase=True),
        "ReduceLROnPlateau": lambda: L.ReduceLROnPlateau(o),
        "ChainedScheduler": lambda: L.ChainedScheduler([L.ExponentialLR(o, 0.9),
                                                        L.StepLR(o, 2)]),
        "SequentialLR": lambda: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.StepLR(o, 2)],
                                               [2]),
    }


def scheduler_states(side, name):
    T = lib(side)
    o = T.optim.SGD([T.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = schedulers(T.optim.lr_scheduler, o)[name]()
        states = [s.state_dict()]
        for _ in range(3):
            o.step()
            s.step(1.0) if name == "ReduceLROnPlateau" else s.step()
            states.append(s.state_dict())

    def plain(state):
        return {k: ([plain(x) for x in v] if k == "_schedulers" else v)
                for k, v in state.items()
                if k not in ("lr_lambdas", "_scale_fn_ref", "_scale_fn_custom")}
    return [(list(st), plain(st)) for st in states]


@pytest.mark.parametrize("name", list(schedulers(torch.optim.lr_scheduler, None)))
def test_scheduler_state_dict_keys_and_values_as_torch(name):
    ours, theirs = scheduler_states("ours", name), scheduler_states("torch", name)
    for (keys, state), (tkeys, tstate) in zip(ours, theirs):
        assert keys == tkeys                           # torch's keys, in torch's order
        assert state == tstate


# ============================================================================ custom optimizers
def custom_sgd(T):
    class MySGD(T.optim.Optimizer):
        def __init__(self, params, lr=0.1, momentum=0.9):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        @T.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with T.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]              # a defaultdict(dict), as torch's
                    if len(state) == 0:
                        state["step"] = 0
                        state["buf"] = T.zeros_like(p)
                    state["buf"].mul_(group["momentum"]).add_(p.grad)
                    p.add_(state["buf"], alpha=-group["lr"])
                    state["step"] += 1
            return loss
    return MySGD


def test_a_custom_optimizer_with_self_state_of_p_trains_as_torch():
    results = {}
    for side in ("ours", "torch"):
        T = lib(side)
        T.manual_seed(0)
        w = T.randn(3, 1, requires_grad=True)
        x, y = T.randn(8, 3), T.randn(8, 1)
        opt = custom_sgd(T)([w])
        losses = []
        for _ in range(4):
            def closure():
                opt.zero_grad()
                loss = ((x @ w - y) ** 2).mean()
                loss.backward()
                return loss
            losses.append(opt.step(closure).item())
        results[side] = (losses, w.detach().numpy().copy(), type(opt.state).__name__,
                         opt.state_dict()["state"][0]["step"], opt.state[T.zeros(1)])
    ours, theirs = results["ours"], results["torch"]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    assert ours[2:] == theirs[2:] == ("defaultdict", 4, {})


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_a_tensor_learning_rate_as_torch(name):
    results = {}
    for side in ("ours", "torch"):
        T = lib(side)
        T.manual_seed(0)
        w = T.randn(4, requires_grad=True)
        opt = getattr(T.optim, name)([w], lr=T.tensor(0.05))
        for _ in range(3):
            opt.zero_grad()
            (w ** 2).sum().backward()
            opt.step()
        results[side] = w.detach().numpy().copy(), repr(opt.param_groups[0]["lr"])
        with pytest.raises(ValueError) as e:
            getattr(T.optim, name)([w], lr=T.tensor([0.1, 0.2]))
        results[side] += (str(e.value),)
        with pytest.raises(ValueError, match="Invalid learning rate: -0.10000000149011612"):
            getattr(T.optim, name)([w], lr=T.tensor(-0.1))
    np.testing.assert_allclose(results["ours"][0], results["torch"][0], rtol=1e-6)
    assert results["ours"][1].replace("tinygrad_sgd", "torch") == results["torch"][1]
    assert results["ours"][2] == results["torch"][2] == "Tensor lr must be 1-element"


def hook_trace(T, make):
    T.manual_seed(0)
    w = T.randn(3, requires_grad=True)
    opt = make(T)([w], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(
        ("pre", type(o).__name__, len(args), sorted(kwargs))))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post",)))
    opt.register_state_dict_pre_hook(lambda o: calls.append(("sd pre",)))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_state_dict_post_hook(lambda o, sd: calls.append(("sd post", sorted(sd))),
                                      prepend=True)
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append(("load pre", sorted(sd))))
    opt.register_load_state_dict_post_hook(lambda o: calls.append(("load post",)))
    (w ** 2).sum().backward()
    opt.step()
    pre.remove()
    opt.step(closure=None)
    post.remove()
    opt.step()
    sd = opt.state_dict()
    calls.append(("keys", sorted(sd)))
    del sd["extra"]
    opt.load_state_dict(sd)

    def replace_args(o, args, kwargs):
        calls.append(("replaced",))
        return args, {"closure": lambda: T.tensor(7.0)}
    opt.register_step_pre_hook(replace_args)
    calls.append(("closure result", float(opt.step())))
    opt.register_step_pre_hook(lambda o, args, kwargs: 5)
    with pytest.raises(RuntimeError) as e:
        opt.step()
    calls.append(("bad hook", str(e.value).split(" must return")[1]))
    return calls, w.detach().numpy().copy()


@pytest.mark.parametrize("make", [lambda T: T.optim.SGD, lambda T: T.optim.Adam,
                                  lambda T: custom_sgd(T)], ids=["SGD", "Adam", "custom"])
def test_optimizer_hooks_as_torch(make):
    ours, theirs = hook_trace(tg, make), hook_trace(torch, make)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


# ============================================================================ StackDataset
def stack_batches(side):
    T = lib(side)
    D = torch.utils.data if side == "torch" else tdata
    T.manual_seed(0)
    x, y = T.randn(6, 2), T.arange(6)
    out = []
    for ds in (D.StackDataset(x, y), D.StackDataset(inp=D.Subset(D.TensorDataset(x), [5, 4, 3, 2,
                                                                                   1, 0]),
                                                    label=y)):
        out.append(len(ds))
        out.append(repr(ds[1]))
        for batch in D.DataLoader(ds, batch_size=4, shuffle=True):
            out.append(repr(batch))
    for args, kwargs in [((x, y[:3]), {}), ((), {}), ((x,), {"y": y})]:
        with pytest.raises(ValueError) as e:
            D.StackDataset(*args, **kwargs)
        out.append(str(e.value))
    return [s.replace("tinygrad_sgd", "torch") for s in map(str, out)]


def test_stack_dataset_as_torch():
    assert stack_batches("ours") == stack_batches("torch")


# ============================================================================ anomaly switch
def test_set_detect_anomaly_as_a_function_and_a_context_as_torch():
    trace = {}
    for side in ("ours", "torch"):
        T = lib(side)
        seen = []
        T.autograd.set_detect_anomaly(True)
        seen.append(T.is_anomaly_enabled())
        with T.autograd.set_detect_anomaly(False):
            seen.append(T.is_anomaly_enabled())
        seen.append(T.is_anomaly_enabled())
        T.autograd.set_detect_anomaly(False)
        seen.append(T.is_anomaly_enabled())
        with T.autograd.set_detect_anomaly(True):
            seen.append(T.is_anomaly_enabled())
        seen.append(T.is_anomaly_enabled())
        trace[side] = seen
    assert trace["ours"] == trace["torch"] == [True, False, True, False, True, False]


def test_anomaly_mode_switched_on_by_the_function_catches_a_nan_gradient():
    x = tg.tensor([-1.0, 1.0], requires_grad=True)
    tg.autograd.set_detect_anomaly(True)
    try:
        with pytest.raises(RuntimeError, match="returned nan values"), \
                pytest.warns(UserWarning, match="Error detected in"):
            x.sqrt().sum().backward()
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert not tg.is_anomaly_enabled()


# ============================================================================ _LRScheduler
def old_style_schedule(T):
    class Halving(T.optim.lr_scheduler._LRScheduler):
        def get_lr(self):
            return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
    opt = T.optim.SGD([T.zeros(1, requires_grad=True)], lr=0.8)
    sched = Halving(opt)
    lrs = []
    for _ in range(3):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    base = type(sched).__mro__[1].__name__
    return lrs, isinstance(sched, T.optim.lr_scheduler.LRScheduler), base


def test_the_old_scheduler_base_class_name_as_torch():
    assert old_style_schedule(tg) == old_style_schedule(torch)


def test_the_old_scheduler_base_class_name_through_as_torch(tmp_path):
    from tinygrad_sgd._torch_shim import torch_modules
    with torch_modules():
        import importlib
        shim = importlib.import_module("torch.optim.lr_scheduler")
        assert shim._LRScheduler is tg.optim.lr_scheduler._LRScheduler
        with pytest.raises(NotImplementedError, match="_something_private is not provided"):
            shim._something_private
