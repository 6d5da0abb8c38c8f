"""Edge cases of tinygrad_sgd.optim next to torch.optim (2.13), each found by an audit: the
same program runs on both libraries (``L`` is ``torch`` or ``tinygrad_sgd``) and what it
reports must agree.

Rprop's sign of NaN; Adafactor's ε₁ of a group with float32 and float64 parameters; every
optimizer on a 0-d parameter; a Tensor lr filled in place by every lr scheduler; the
scheduler warnings (stepped before the optimizer, ``get_lr()`` called by hand); named
parameters; loading a state dict with a Tensor lr; duplicate parameters; a set of
parameters; StepLR's unchecked ``step_size``; ``zero_grad(set_to_none=False)`` on a
gradient with a graph; the global step hooks."""
import copy
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.optim.optimizer as tg_optimizer
import torch.optim.optimizer as torch_optimizer
from tinygrad_sgd.optim import swa_utils as tg_swa_utils
from torch.optim import swa_utils as torch_swa_utils

LIBS = [torch, tg]


@pytest.fixture(autouse=True)
def torch_on_one_thread():
    torch.set_num_threads(1)


def both(program):
    """``program(L)`` on torch, then on tinygrad_sgd: the two results."""
    return [program(L) for L in LIBS]


def outcome(program, L):
    """``program(L)``'s result and the texts of the warnings it gave (or its error)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = program(L)
        except Exception as e:      # noqa: BLE001  (the error is the result to compare)
            result = f"{type(e).__name__}: {e}"
    ours = [f"{w.category.__name__}: {w.message}" for w in caught
            if "create_graph=True" not in str(w.message)]   # (torch's own, about a cycle)
    return result, ours


def numbers(t):
    return np.array(t.detach().numpy(), dtype=np.float64)


def swa_utils(L):
    return torch_swa_utils if L is torch else tg_swa_utils


# ============================================================================ 1. Rprop
RPROP_GRADIENTS = {
    "nan gradient": [[1.0, 1.0], [np.nan, 1.0], [1.0, 1.0], [-1.0, 1.0]],
    "inf after a sign flip": [[1.0, 1.0], [-1.0, 1.0], [np.inf, 1.0], [1.0, -1.0]],
    "-inf after a sign flip": [[1.0, -1.0], [-1.0, 1.0], [-np.inf, 1.0], [2.0, 1.0]],
    "nan first": [[np.nan, np.nan], [1.0, -1.0], [1.0, -1.0]],
    "nan then inf": [[np.nan, 1.0], [np.inf, 1.0], [-np.inf, 1.0], [1.0, 1.0]],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("name", list(RPROP_GRADIENTS))
def test_rprop_skips_nan_as_torch_does(name, maximize, dtype):
    def program(L):
        p = L.tensor(np.array([1.0, 1.0], dtype), requires_grad=True)
        opt = L.optim.Rprop([p], lr=0.01, maximize=maximize)
        for g in RPROP_GRADIENTS[name]:
            p.grad = L.tensor(np.array(g, dtype))
            opt.step()
        state = opt.state[p]
        return numbers(p), numbers(state["step_size"]), numbers(state["prev"])
    theirs, ours = both(program)
    for a, b in zip(theirs, ours):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(ours[0]).all() and np.isfinite(ours[1]).all()


# ============================================================================ 2. Adafactor
ADAFACTOR_GROUPS = {
    "float32 then float64": [(np.float32, (3,)), (np.float64, (3,))],
    "float64 then float32": [(np.float64, (3,)), (np.float32, (3,))],
    "matrices": [(np.float32, (2, 3)), (np.float64, (3, 2))],
    "first without a gradient": [(np.float32, (3,)), (np.float64, (3,)), (np.float32, (3,))],
}


@pytest.mark.parametrize("name", list(ADAFACTOR_GROUPS))
def test_adafactor_takes_eps1_from_the_groups_first_parameter(name):
    specs = ADAFACTOR_GROUPS[name]

    def program(L):
        params = [L.tensor(np.ones(shape, dtype), requires_grad=True) for dtype, shape in specs]
        opt = L.optim.Adafactor(params, lr=0.01)
        for step in range(3):
            for i, (p, (dtype, shape)) in enumerate(zip(params, specs)):
                skip = name == "first without a gradient" and i == 0
                p.grad = None if skip else L.tensor(np.full(shape, 1e-9 * (step + 1), dtype))
            opt.step()
        return [numbers(p) for p in params]
    theirs, ours = both(program)
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b, a, rtol=1e-6)
    assert not np.allclose(ours[1], 0.99)        # float32's ε₁, not float64's (the update)


# ============================================================================ 3. 0-d parameters
ZERO_D = [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.1)),
    ("Adam", {}), ("Adam", dict(amsgrad=True, weight_decay=0.1)), ("AdamW", {}),
    ("NAdam", {}), ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", {}), ("RAdam", dict(betas=(0.5, 0.6))), ("Adamax", {}),
    ("RMSprop", {}), ("RMSprop", dict(centered=True)),
    ("RMSprop", dict(centered=True, momentum=0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr_decay=0.1)), ("Adadelta", {}), ("Adadelta", dict(weight_decay=0.1)),
    ("Adafactor", {}), ("Adafactor", dict(weight_decay=0.1)), ("ASGD", dict(t0=1)),
    ("Rprop", {}), ("Rprop", dict(maximize=True)), ("LBFGS", {}),
    ("LBFGS", dict(line_search_fn="strong_wolfe")), ("Muon", {}),
    ("SparseAdam", {}),        # (torch's RuntimeError: a dense gradient)
]


def test_the_zero_d_table_covers_every_optimizer():
    covered = {name for name, _ in ZERO_D}
    names = {n for n in tg.optim.__all__ if isinstance(getattr(tg.optim, n), type)
             and issubclass(getattr(tg.optim, n), tg.optim.Optimizer)} - {"Optimizer"}
    assert names <= covered


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,options", ZERO_D, ids=[f"{n}-{o}" for n, o in ZERO_D])
def test_every_optimizer_steps_a_0d_parameter_as_torch(name, options, dtype):
    def program(L):
        p = L.tensor(np.array(1.5, dtype), requires_grad=True)
        opt = getattr(L.optim, name)([p], **options)
        for g in (0.5, -0.3, 0.2, 0.2):
            if name == "LBFGS":
                def closure():
                    opt.zero_grad()
                    loss = (p - 2) ** 2 + (p - 2) ** 4
                    loss.backward()
                    return loss
                opt.step(closure)
            else:
                p.grad = L.tensor(np.array(g, dtype))
                opt.step()
        shapes = {k: tuple(v.shape) for k, v in opt.state[p].items() if hasattr(v, "shape")}
        return numbers(p).item(), tuple(p.shape), str(p.dtype).split(".")[-1], shapes
    (theirs, their_warnings), (ours, our_warnings) = (outcome(program, L) for L in LIBS)
    if isinstance(theirs, str):            # Muon: torch's error, in its words
        assert ours == theirs.replace("torch.Size", "tinygrad_sgd.Size")
        return
    assert ours[1:] == theirs[1:]
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=rtol)
    once = "Converting a tensor with requires_grad=True"   # (LBFGS's float(loss): warned once
    assert [w for w in our_warnings if once not in w] == \
        [w for w in their_warnings if once not in w]      # a process, by whichever came first)


# ============================================================================ 4. Tensor lr
SCHEDULERS = {
    "StepLR": lambda L, o: L.optim.lr_scheduler.StepLR(o, 2, 0.5),
    "MultiStepLR": lambda L, o: L.optim.lr_scheduler.MultiStepLR(o, [1, 3], 0.5),
    "ExponentialLR": lambda L, o: L.optim.lr_scheduler.ExponentialLR(o, 0.7),
    "CosineAnnealingLR": lambda L, o: L.optim.lr_scheduler.CosineAnnealingLR(o, 3, 0.01),
    "LambdaLR": lambda L, o: L.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1)),
    "MultiplicativeLR": lambda L, o: L.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.9),
    "ConstantLR": lambda L, o: L.optim.lr_scheduler.ConstantLR(o, 0.5, 2),
    "LinearLR": lambda L, o: L.optim.lr_scheduler.LinearLR(o, 0.25, 1.0, 3),
    "PolynomialLR": lambda L, o: L.optim.lr_scheduler.PolynomialLR(o, 4, 2.0),
    "CosineAnnealingWarmRestarts":
        lambda L, o: L.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2, 2),
    "OneCycleLR": lambda L, o: L.optim.lr_scheduler.OneCycleLR(o, 0.5, total_steps=8),
    "CyclicLR": lambda L, o: L.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2),
    "ReduceLROnPlateau":
        lambda L, o: L.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0, factor=0.5),
    "SequentialLR": lambda L, o: L.optim.lr_scheduler.SequentialLR(
        o, [L.optim.lr_scheduler.ConstantLR(o, 0.5, 2),
            L.optim.lr_scheduler.ExponentialLR(o, 0.9)], [2]),
    "ChainedScheduler": lambda L, o: L.optim.lr_scheduler.ChainedScheduler(
        [L.optim.lr_scheduler.ConstantLR(o, 0.5, 2),
         L.optim.lr_scheduler.ExponentialLR(o, 0.9)]),
    "SWALR": lambda L, o: swa_utils(L).SWALR(o, swa_lr=0.05, anneal_epochs=3),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_a_tensor_lr_is_filled_in_place_by_every_scheduler(name):
    def program(L):
        p = L.tensor(np.array([1.0, 2.0]), requires_grad=True)
        lr = L.tensor(0.1)
        opt = L.optim.SGD([p], lr=lr, momentum=0.9)
        scheduler = SCHEDULERS[name](L, opt)
        record = []
        for _ in range(6):
            p.grad = L.ones(2, dtype=L.float64)
            opt.step()
            scheduler.step(1.0) if name == "ReduceLROnPlateau" else scheduler.step()
            group, last = opt.param_groups[0], scheduler.get_last_lr()[0]
            initial = group.get("initial_lr")
            record.append((float(lr), group["lr"] is lr, type(last).__name__, last is lr,
                           float(last), type(initial).__name__, initial is lr,
                           float(group["momentum"])))
        return record, numbers(p)
    (theirs, their_p), (ours, our_p) = both(program)
    assert ours == theirs
    assert any(r[0] != 0.1 for r in ours) and all(r[1] and r[2] == "Tensor" for r in ours)
    np.testing.assert_allclose(our_p, their_p, rtol=1e-12)


# ============================================================================ 5. warnings
def _sgd(L):
    p = L.tensor([1.0], requires_grad=True)
    p.grad = L.ones(1)
    return L.optim.SGD([p], lr=0.1)


def _replace_step(opt):
    opt.step = lambda closure=None: None


WARNING_PROGRAMS = {
    "scheduler stepped first": lambda L, opt, sched: sched.step(),
    "optimizer stepped first": lambda L, opt, sched: (opt.step(), sched.step()),
    "scheduler stepped first, twice": lambda L, opt, sched: (sched.step(), sched.step()),
    "step replaced after the scheduler": lambda L, opt, sched: (_replace_step(opt),
                                                                opt.step(), sched.step()),
    "get_lr() by hand": lambda L, opt, sched: (opt.step(), sched.get_lr()),
    "get_last_lr()": lambda L, opt, sched: (opt.step(), sched.get_last_lr()),
    "epoch given": lambda L, opt, sched: (opt.step(), sched.step(3)),
}
WARNING_SCHEDULERS = ["StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR", "OneCycleLR",
                      "CyclicLR", "PolynomialLR", "CosineAnnealingWarmRestarts", "SWALR",
                      "ChainedScheduler"]


# (ChainedScheduler has no get_lr of its own)
WARNING_CASES = [(case, scheduler) for case in WARNING_PROGRAMS
                 for scheduler in WARNING_SCHEDULERS
                 if (case, scheduler) != ("get_lr() by hand", "ChainedScheduler")]


@pytest.mark.parametrize("case,scheduler", WARNING_CASES)
def test_scheduler_warnings_are_torchs(case, scheduler):
    def program(L):
        opt = _sgd(L)
        opt.param_groups[0]["momentum"] = 0.0
        opt.defaults["momentum"] = 0.0
        sched = SCHEDULERS[scheduler](L, opt)
        WARNING_PROGRAMS[case](L, opt, sched)
        return [float(lr) for lr in sched.get_last_lr()]
    theirs, ours = (outcome(program, L) for L in LIBS)
    assert ours == theirs


# ============================================================================ 6. named params
NAMED_PROGRAMS = {
    "named_parameters()": lambda L, named: L.optim.SGD(iter(named), lr=0.1),
    "groups of named params": lambda L, named: L.optim.Adam(
        [{"params": named[:2], "lr": 0.1}, {"params": named[2:]}], lr=0.01),
    "names missing in a group": lambda L, named: L.optim.SGD([named[0], named[1][1]], lr=0.1),
    "a group without names after one with": lambda L, named: L.optim.SGD(
        [{"params": named[:1]}, {"params": [named[1][1]]}], lr=0.1),
    "a group with names after one without": lambda L, named: L.optim.SGD(
        [{"params": [named[1][1]]}, {"params": named[:1]}], lr=0.1),
}


@pytest.mark.parametrize("case", list(NAMED_PROGRAMS))
def test_named_parameters_as_torch(case):
    def program(L):
        L.manual_seed(0)
        model = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.Linear(3, 1))
        named = list(model.named_parameters())
        opt = NAMED_PROGRAMS[case](L, named)
        for p in model.parameters():
            p.grad = L.ones_like(p)
        opt.step()
        packed = opt.state_dict()["param_groups"]
        return ([list(g) for g in packed], [g.get("param_names") for g in packed],
                [[g["params"] for g in packed]], [numbers(p).tolist() for p in model.parameters()])
    theirs, ours = (outcome(program, L) for L in LIBS)
    assert ours == theirs


@pytest.mark.parametrize("saved_named,loaded_named", [(True, False), (False, True),
                                                      (True, True)])
def test_load_state_dict_keeps_or_takes_param_names_as_torch(saved_named, loaded_named):
    def program(L):
        model = L.nn.Linear(2, 1)
        named = list(model.named_parameters())
        params = [p for _, p in named]
        saved = L.optim.SGD([(f"saved.{n}", p) for n, p in named] if saved_named else params,
                            lr=0.2)
        opt = L.optim.SGD(named if loaded_named else params, lr=0.1)
        opt.load_state_dict(saved.state_dict())
        return list(opt.param_groups[0]), opt.param_groups[0].get("param_names")
    theirs, ours = both(program)
    assert ours == theirs


# ============================================================================ 7. Tensor lr loaded
def test_a_torch_state_dict_with_a_tensor_lr_loads_and_continues():
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    theirs = torch.optim.Adam([p], lr=torch.tensor(0.01))
    p.grad = torch.tensor([1.0, 0.5])
    theirs.step()
    q = tg.tensor(p.detach().numpy(), requires_grad=True)
    ours = tg.optim.Adam([q], lr=0.5)
    ours.load_state_dict(theirs.state_dict())
    lr = ours.param_groups[0]["lr"]
    assert isinstance(lr, tg.Tensor) and float(lr) == float(theirs.param_groups[0]["lr"])
    for _ in range(3):
        p.grad, q.grad = torch.tensor([0.3, -1.0]), tg.tensor([0.3, -1.0])
        theirs.step()
        ours.step()
    np.testing.assert_allclose(numbers(q), numbers(p), rtol=1e-6)


@pytest.mark.parametrize("name", ["Adam", "SGD", "RMSprop", "NAdam"])
def test_an_optimizers_own_state_dict_with_a_tensor_lr_loads_as_torch(name):
    def program(L):
        p = L.tensor([1.0, -2.0], requires_grad=True)
        lr = L.tensor(0.01)
        first = getattr(L.optim, name)([p], lr=lr)
        p.grad = L.tensor([1.0, 0.5])
        first.step()
        second = getattr(L.optim, name)([p], lr=0.5)
        second.load_state_dict(first.state_dict())
        loaded = second.param_groups[0]["lr"]
        lr.fill_(0.2)                   # the loaded lr is a copy, as torch's deepcopy
        p.grad = L.tensor([0.3, -1.0])
        second.step()
        return type(loaded).__name__, loaded is lr, float(loaded), numbers(p).tolist()
    theirs, ours = both(program)
    assert ours[:3] == theirs[:3]
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6)


# ============================================================================ 8. duplicates
DUPLICATES = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
              ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("Adam", dict(amsgrad=True)),
              ("AdamW", {}), ("NAdam", {}), ("RAdam", {}), ("Adamax", {}),
              ("RMSprop", dict(momentum=0.5, centered=True)), ("Adagrad", {}),
              ("Adadelta", {}), ("Adafactor", {}), ("ASGD", {}), ("Rprop", {}), ("Muon", {}),
              ("LBFGS", {})]


@pytest.mark.parametrize("name,options", DUPLICATES, ids=[f"{n}-{o}" for n, o in DUPLICATES])
def test_a_duplicate_parameter_warns_and_is_kept_as_torch(name, options):
    def program(L):
        p = L.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
        q = L.tensor(np.linspace(0.5, 2, 6).reshape(2, 3), requires_grad=True)
        opt = getattr(L.optim, name)([p, q, p], **options)
        for k in range(3):
            if name == "LBFGS":
                def closure():
                    opt.zero_grad()
                    loss = ((p * q - 1) ** 2).sum() + (p ** 4).sum()
                    loss.backward()
                    return loss
                opt.step(closure)
            else:
                p.grad = L.tensor(np.cos(np.arange(6) + k).reshape(2, 3))
                q.grad = L.tensor(np.sin(np.arange(6) + k).reshape(2, 3))
                opt.step()
        packed = opt.state_dict()
        return (len(opt.param_groups[0]["params"]), packed["param_groups"][0]["params"],
                sorted(packed["state"]), numbers(p), numbers(q))
    (theirs, their_warnings), (ours, our_warnings) = (outcome(program, L) for L in LIBS)
    assert ours[:3] == theirs[:3] and our_warnings == their_warnings
    assert our_warnings == ["UserWarning: optimizer contains a parameter group with duplicate "
                            "parameters; in future, this will cause an error; see "
                            "github.com/pytorch/pytorch/issues/40967 for more information"]
    for a, b in zip(ours[3:], theirs[3:]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# ============================================================================ 9. sets
SET_PROGRAMS = {
    "a set": lambda L, p: L.optim.SGD({p}, lr=0.1),
    "a frozenset": lambda L, p: L.optim.SGD(frozenset([p]), lr=0.1),
    "a group's set": lambda L, p: L.optim.SGD([{"params": {p}}], lr=0.1),
    "a group's frozenset": lambda L, p: L.optim.SGD([{"params": frozenset([p])}], lr=0.1),
    "add_param_group with a set": lambda L, p: L.optim.SGD(
        [L.tensor([2.0], requires_grad=True)], lr=0.1).add_param_group({"params": {p}}),
}


@pytest.mark.parametrize("case", list(SET_PROGRAMS))
def test_sets_of_parameters_as_torch(case):
    def program(L):
        p = L.tensor([1.0], requires_grad=True)
        opt = SET_PROGRAMS[case](L, p)
        return [len(g["params"]) for g in opt.param_groups] if opt is not None else None
    theirs, ours = (outcome(program, L) for L in LIBS)
    assert ours == theirs


# ============================================================================ 10. StepLR
@pytest.mark.parametrize("step_size", [2.0, 1.5, 0, -1, 3])
def test_steplr_takes_any_step_size_as_torch(step_size):
    def program(L):
        opt = _sgd(L)
        sched = L.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=0.5)
        lrs = ["built"]
        for _ in range(5):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        return lrs
    theirs, ours = (outcome(program, L) for L in LIBS)
    assert ours == theirs


# ============================================================================ 11. zero_grad
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("create_graph", [True, False])
def test_zero_grad_keeps_the_gradient_tensor_and_cuts_its_graph(create_graph):
    def program(L):
        p = L.tensor([1.0, 2.0], requires_grad=True)
        (p ** 3).sum().backward(create_graph=create_graph)
        g = p.grad
        before = (g.grad_fn is not None, g.requires_grad)
        L.optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
        return (before, g is p.grad, numbers(g).tolist(), g.grad_fn is None,
                g.requires_grad)
    theirs, ours = both(program)
    assert ours == theirs


def test_zero_grad_of_a_gradient_that_requires_grad():
    def program(L):
        p = L.tensor([1.0, 2.0], requires_grad=True)
        p.grad = L.tensor([3.0, 4.0], requires_grad=True)
        g = p.grad
        L.optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
        return g is p.grad, numbers(g).tolist(), g.requires_grad
    theirs, ours = both(program)
    assert ours == theirs


# ============================================================================ 12. global hooks
def test_global_step_hooks_run_around_every_optimizer_as_torchs():
    def program(L):
        module = torch_optimizer if L is torch else tg_optimizer
        calls = []
        p = L.tensor([1.0], requires_grad=True)
        opt = L.optim.SGD([p], lr=0.1)
        other = L.optim.Adam([L.tensor([1.0], requires_grad=True)])
        handles = [
            module.register_optimizer_step_pre_hook(
                lambda o, args, kwargs: calls.append(("global pre", type(o).__name__))),
            module.register_optimizer_step_post_hook(
                lambda o, args, kwargs: calls.append(("global post", type(o).__name__))),
            opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("own pre")),
            opt.register_step_post_hook(lambda o, args, kwargs: calls.append("own post")),
        ]
        try:
            p.grad = L.ones(1)
            opt.step()
            other.step()
            handles[0].remove()
            handles[0].remove()                 # (idempotent)
            opt.step()
            handles[1].remove()
            other.step()
        finally:
            for handle in handles:
                handle.remove()
        opt.step()
        return calls, numbers(p).item()
    theirs, ours = both(program)
    assert ours == theirs


def test_a_global_pre_hook_can_replace_the_steps_arguments():
    def program(L):
        module = torch_optimizer if L is torch else tg_optimizer
        p = L.tensor([1.0], requires_grad=True)
        opt = L.optim.SGD([p], lr=0.1)

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        handle = module.register_optimizer_step_pre_hook(
            lambda o, args, kwargs: (args, {"closure": closure}))
        try:
            loss = opt.step()
        finally:
            handle.remove()
        return numbers(loss).item(), numbers(p).item()
    theirs, ours = both(program)
    assert ours == theirs


# ============================================================================ copies
def test_a_copy_of_an_optimizer_with_a_scheduler_steps_its_own_parameters():
    def program(L):
        p = L.tensor([1.0], requires_grad=True)
        opt = L.optim.SGD([p], lr=0.1)
        L.optim.lr_scheduler.StepLR(opt, 1)
        twin = copy.deepcopy(opt)
        q = twin.param_groups[0]["params"][0]
        q.grad = L.ones(1)
        twin.step()
        return numbers(p).item(), numbers(q).item(), q is p
    theirs, ours = both(program)
    assert ours == theirs
