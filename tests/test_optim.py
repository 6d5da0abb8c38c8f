"""tinygrad_sgd.optim against torch.optim: SGD's update for every valid combination of
momentum, dampening, weight decay, Nesterov and maximize over 100 steps; parameter groups;
state_dict round trips (ours and torch's); StepLR; every promised validation error."""
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, models, nn, optim, tensor
from tinygrad_sgd.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from torch_reference import TorchCNN  # noqa: E402  (benchmarks/ holds the torch twin)

TF = torch.nn.functional


def torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8),
                               torch.nn.Tanh(), torch.nn.Linear(8, 1))


def twins(dtype=torch.float64, seed=0):
    """A torch MLP and ours with the same initial weights."""
    torch.manual_seed(seed)
    theirs = torch_mlp().to(dtype)
    ours = models.MLP([3, 8, 8, 1])
    if dtype == torch.float64:
        ours.double()
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def regression_data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = np.sin(x @ np.array([1.0, -2.0, 0.5]))[:, None]
    return x, y


def train(ours, theirs, opt, topt, steps=100, dtype=np.float64, sched=None, tsched=None,
          maximize=False):
    """``steps`` full-batch steps of both; with ``maximize`` the objective is −MSE (so that
    maximizing it converges instead of diverging chaotically)."""
    sign = -1.0 if maximize else 1.0
    x, y = regression_data()
    xo, yo = tensor(x.astype(dtype)), tensor(y.astype(dtype))
    xt, yt = torch.tensor(x.astype(dtype)), torch.tensor(y.astype(dtype))
    for _ in range(steps):
        opt.zero_grad()
        (F.mse_loss(ours(xo), yo) * sign).backward()
        opt.step()
        topt.zero_grad()
        (TF.mse_loss(theirs(xt), yt) * sign).backward()
        topt.step()
        if sched is not None:
            sched.step()
            tsched.step()


def assert_same_params(ours, theirs, rtol, atol):
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)


def valid_combinations():
    for momentum, dampening, wd, nesterov, maximize in itertools.product(
            [0, 0.9], [0, 0.1], [0, 0.01], [False, True], [False, True]):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        yield dict(momentum=momentum, dampening=dampening, weight_decay=wd, nesterov=nesterov,
                   maximize=maximize)


COMBOS = list(valid_combinations())


def test_there_are_twenty_valid_combinations():
    assert len(COMBOS) == 20


@pytest.mark.parametrize("options", COMBOS,
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_matches_torch_for_100_steps(options):
    ours, theirs = twins()
    opt = optim.SGD(ours.parameters(), lr=0.05, **options)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.05, **options)
    before = [p.array.copy() for p in ours.parameters()]
    train(ours, theirs, opt, topt, maximize=options["maximize"])
    assert_same_params(ours, theirs, rtol=1e-9, atol=1e-11)
    moved = [np.abs(p.array - b).max() for p, b in zip(ours.parameters(), before)]
    assert min(moved) > 1e-3                                     # the test really trained
    if options["momentum"]:
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(opt.state[p]["momentum_buffer"].array,
                                       topt.state[q]["momentum_buffer"].numpy(), rtol=1e-9,
                                       atol=1e-11)
    else:
        assert opt.state == {}


def test_sgd_float32_stays_float32_and_matches_torch():
    ours, theirs = twins(torch.float32)
    opt = optim.SGD(ours.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                           weight_decay=0.01)
    train(ours, theirs, opt, topt, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in ours.parameters())
    assert all(s["momentum_buffer"].dtype == np.float32 for s in opt.state.values())
    assert_same_params(ours, theirs, rtol=1e-4, atol=1e-5)


def test_param_groups_with_different_options_match_torch():
    ours, theirs = twins()
    po, pt = list(ours.parameters()), list(theirs.parameters())
    opt = optim.SGD([{"params": po[:2]}, {"params": po[2:4], "lr": 0.01, "momentum": 0.5},
                     {"params": po[4:], "lr": 0.2, "nesterov": True}], lr=0.05, momentum=0.9)
    topt = torch.optim.SGD([{"params": pt[:2]}, {"params": pt[2:4], "lr": 0.01, "momentum": 0.5},
                            {"params": pt[4:], "lr": 0.2, "nesterov": True}], lr=0.05,
                           momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.01, 0.2]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.5, 0.9]
    train(ours, theirs, opt, topt, steps=50)
    assert_same_params(ours, theirs, rtol=1e-9, atol=1e-11)


def test_add_param_group_later_matches_torch():
    ours, theirs = twins()
    po, pt = list(ours.parameters()), list(theirs.parameters())
    opt = optim.SGD(po[:4], lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(pt[:4], lr=0.05, momentum=0.9)
    train(ours, theirs, opt, topt, steps=10)
    opt.add_param_group({"params": po[4:], "lr": 0.3})
    topt.add_param_group({"params": pt[4:], "lr": 0.3})
    train(ours, theirs, opt, topt, steps=10)
    assert_same_params(ours, theirs, rtol=1e-9, atol=1e-11)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [po[0]]})


def test_simple_cnn_training_steps_match_torch():
    torch.manual_seed(0)
    theirs = TorchCNN().eval()                      # eval: no dropout, so both are deterministic
    ours = models.SimpleCNN().eval()
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    opt = optim.SGD(ours.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)
    for _ in range(5):
        opt.zero_grad()
        loss = F.nll_loss(ours(tensor(x)), tensor(y))
        loss.backward()
        opt.step()
        topt.zero_grad()
        ref = TF.nll_loss(theirs(torch.tensor(x)), torch.tensor(y))
        ref.backward()
        topt.step()
        assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    assert_same_params(ours, theirs, rtol=1e-4, atol=1e-5)


# ============================================================================ step mechanics
def test_step_is_in_place_under_no_grad_and_skips_params_without_grad():
    a = nn.Parameter(np.ones(3, np.float32))
    b = nn.Parameter(np.ones(2, np.float32))
    opt = optim.SGD([a, b], lr=0.5)
    (a * a).sum().backward()
    data_a, data_b = a.array, b.array
    opt.step()
    assert a.array is data_a and b.array is data_b               # updated in place
    np.testing.assert_array_equal(a.array, 0.0)                  # 1 − 0.5·2
    np.testing.assert_array_equal(b.array, 1.0)                  # no grad: untouched
    assert a._version == 1 and b._version == 0
    assert a.grad_fn is None and a.is_leaf and a.requires_grad
    assert tg.is_grad_enabled()


def test_zero_grad_modes():
    p = nn.Parameter(np.ones(3, np.float32))
    opt = optim.SGD([p], lr=0.1)
    (p * 2.0).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and not g.array.any()
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_called_with_grad_enabled():
    p = nn.Parameter(np.array([3.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.array, [1.5])


# ============================================================================ validation
def test_constructor_validation_errors():
    p = nn.Parameter(np.ones(2, np.float32))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD(iter([]), lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is "
                                        "numpy.ndarray"):
        optim.SGD([p, np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="one of the params is builtins.int"):
        optim.SGD([3], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got Parameter"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match=r"Invalid learning rate: -0.1"):
        optim.SGD([p], lr=-0.1)
    with pytest.raises(ValueError, match=r"Invalid momentum value: -0.5"):
        optim.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match=r"Invalid weight_decay value: -0.01"):
        optim.SGD([p], lr=0.1, weight_decay=-0.01)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero "
                                         "dampening.*momentum=0,"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Nesterov.*dampening=0.1"):
        optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"Invalid learning rate: -1"):
        optim.SGD([{"params": [p], "lr": -1}], lr=0.1)            # per group too
    with pytest.raises(TypeError, match="lr must be a number, got str"):
        optim.SGD([p], lr="0.1")
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2.0], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):   # torch: a warning
        assert len(optim.SGD([p, p], lr=0.1).param_groups[0]["params"]) == 2
    assert optim.SGD([p]).param_groups[0]["lr"] == 1e-3          # torch's default


# ============================================================================ state dict
def test_state_dict_layout_matches_torch():
    ours, theirs = twins()
    opt = optim.SGD(ours.parameters(), lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    train(ours, theirs, opt, topt, steps=2)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["state"].keys() == tsd["state"].keys()
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"]
    for key in ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"):
        assert sd["param_groups"][0][key] == tsd["param_groups"][0][key]
    for i in sd["state"]:
        np.testing.assert_allclose(sd["state"][i]["momentum_buffer"].array,
                                   tsd["state"][i]["momentum_buffer"].numpy(), rtol=1e-12)


def test_resume_from_state_dict_equals_uninterrupted_training(tmp_path):
    x, y = regression_data()
    xo, yo = tensor(x), tensor(y)

    def run(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            F.mse_loss(model(xo), yo).backward()
            opt.step()

    tg.manual_seed(0)
    a = models.MLP([3, 8, 8, 1]).double()
    start = a.state_dict()
    start = {k: v.array.copy() for k, v in start.items()}
    opt_a = optim.SGD(a.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    run(a, opt_a, 20)
    # the same, interrupted after 10 steps and restored through a file
    b = models.MLP([3, 8, 8, 1]).double()
    b.load_state_dict(start)
    opt_b = optim.SGD(b.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    run(b, opt_b, 10)
    tg.save({"model": b.state_dict(), "optimizer": opt_b.state_dict()}, tmp_path / "ck")
    ck = tg.load(tmp_path / "ck")
    c = models.MLP([3, 8, 8, 1]).double()
    c.load_state_dict(ck["model"])
    opt_c = optim.SGD(c.parameters(), lr=999.0)               # options come from the file
    opt_c.load_state_dict(ck["optimizer"])
    assert opt_c.param_groups[0]["lr"] == 0.05 and opt_c.param_groups[0]["nesterov"]
    run(c, opt_c, 10)
    for p, q in zip(a.parameters(), c.parameters()):
        np.testing.assert_array_equal(p.array, q.array)


def test_load_torch_optimizer_state_and_continue_like_torch():
    ours, theirs = twins()
    topt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9, weight_decay=0.01)
    x, y = regression_data()
    for _ in range(5):
        topt.zero_grad()
        TF.mse_loss(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        topt.step()
    ours.load_state_dict(theirs.state_dict())
    opt = optim.SGD(ours.parameters())
    opt.load_state_dict(topt.state_dict())
    assert all(type(s["momentum_buffer"]) is Tensor for s in opt.state.values())
    train(ours, theirs, opt, topt, steps=10)
    assert_same_params(ours, theirs, rtol=1e-9, atol=1e-11)


def test_load_state_dict_errors():
    ours, _ = twins()
    params = list(ours.parameters())
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    two = optim.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1)
    with pytest.raises(ValueError, match="has 2 parameter groups, this optimizer has 1"):
        opt.load_state_dict(two.state_dict())
    small = optim.SGD(params[:2], lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 2 parameters, this optimizer's has 6"):
        opt.load_state_dict(small.state_dict())
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 0.1})
    bad = opt.state_dict()
    bad["state"] = {0: {"momentum_buffer": np.zeros(3)}}
    with pytest.raises(ValueError, match=r"momentum_buffer of parameter 0 has shape \(3,\), "
                                         r"the parameter has \(8, 3\)"):
        opt.load_state_dict(bad)


# ============================================================================ StepLR
def test_steplr_matches_torch():
    ours, theirs = twins()
    po, pt = list(ours.parameters()), list(theirs.parameters())
    opt = optim.SGD([{"params": po[:2]}, {"params": po[2:], "lr": 0.2}], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([{"params": pt[:2]}, {"params": pt[2:], "lr": 0.2}], lr=0.1,
                           momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=3, gamma=0.5)
    seen = []
    for _ in range(10):
        assert sched.get_last_lr() == tsched.get_last_lr()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
        seen.append(sched.get_last_lr()[0])
        train(ours, theirs, opt, topt, steps=1, sched=sched, tsched=tsched)
    assert seen == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]
    assert sched.last_epoch == tsched.last_epoch == 10
    assert opt.param_groups[1]["initial_lr"] == 0.2
    assert_same_params(ours, theirs, rtol=1e-9, atol=1e-11)
    # its state round-trips
    state = sched.state_dict()
    assert "optimizer" not in state
    again = optim.lr_scheduler.StepLR(opt, step_size=1)
    again.load_state_dict(state)
    assert again.step_size == 3 and again.get_last_lr() == sched.get_last_lr()


def test_steplr_validation():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=0.1)
    zero = optim.lr_scheduler.StepLR(opt, 0)          # as torch: refused at the first step
    opt.step()
    with pytest.raises(ZeroDivisionError):
        zero.step()
    with pytest.raises(TypeError, match="gamma must be a number"):
        optim.lr_scheduler.StepLR(opt, 2, gamma="x")
    with pytest.raises(TypeError, match="is not an Optimizer"):
        optim.lr_scheduler.StepLR(object(), 2)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(optim.SGD([nn.Parameter(np.ones(1))], lr=0.1), 2,
                                  last_epoch=4)
