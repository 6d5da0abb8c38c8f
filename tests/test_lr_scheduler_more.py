"""What tests/test_lr_scheduler.py's table (100 steps beside torch, state dicts, round trips,
resuming with ``last_epoch``) does not cover for PolynomialLR, CosineAnnealingWarmRestarts,
CyclicLR and ChainedScheduler: PolynomialLR's closed form, SGDR's ``step(epoch)`` with
fractional epochs, torch's errors, every torch scheduler being here; and swa_utils.SWALR."""
import warnings

import pytest
import torch

from tinygrad_sgd import optim
from test_lr_scheduler import CASES, optimizers
from test_lr_scheduler import assert_same_schedule_state as assert_same

ours_sched = optim.lr_scheduler
theirs_sched = torch.optim.lr_scheduler


def test_polynomial_lr_closed_form_warns_and_matches_torch():
    make, kind = CASES["PolynomialLR"]
    opt, topt = optimizers(kind)
    sched, tsched = make(ours_sched, opt), make(theirs_sched, topt)
    for epoch in [3, 4, 10, 30, 7, 50, 0, 39, 40, 41]:
        with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
            sched.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tsched.step(epoch)
        assert_same(sched, tsched, opt, topt)


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_step_with_fractional_epochs_matches_torch(T_mult):
    """torch's documented use, one call per batch (``epoch + i / iters``), then jumps."""
    opt, topt = optimizers("SGD")
    sched = ours_sched.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=T_mult, eta_min=0.01)
    tsched = theirs_sched.CosineAnnealingWarmRestarts(topt, T_0=3, T_mult=T_mult, eta_min=0.01)
    iters = 7
    for epoch in range(25):
        for i in range(iters):
            with warnings.catch_warnings():
                warnings.simplefilter("error")        # no deprecation warning, as torch
                sched.step(epoch + i / iters)
            tsched.step(epoch + i / iters)
            assert_same(sched, tsched, opt, topt)
    for epoch in [0.5, 2, 17.25, 3, 40.7, 100, 1.0, 9]:
        sched.step(epoch)
        tsched.step(epoch)
        assert_same(sched, tsched, opt, topt)
    for _ in range(10):                               # and plain steps after the jumps
        sched.step()
        tsched.step()
        assert_same(sched, tsched, opt, topt)


def test_validation_errors_like_torch():
    cases = [
        lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=0),
        lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=2.5),
        lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0),
        lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1.5),
        lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=5, eta_min="0"),
        lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=5).step(-1),
        lambda lib, o: lib.CyclicLR(o, 0.01, 0.1, mode="sine"),
        lambda lib, o: lib.CyclicLR(o, [0.01], 0.1),
        lambda lib, o: lib.CyclicLR(o, 0.01, [0.1, 0.2, 0.3]),
        lambda lib, o: lib.CyclicLR(o, 0.01, 0.1, base_momentum=[0.8]),
        lambda lib, o: lib.ChainedScheduler([]),
        lambda lib, o: lib.ChainedScheduler([lib.ReduceLROnPlateau(o)]),
        lambda lib, o: lib.ChainedScheduler([lib.StepLR(o, 2)], optimizer=type(o)(
            [{"params": g["params"]} for g in o.param_groups])),
    ]
    for make in cases:
        opt, topt = optimizers()
        with pytest.raises(Exception) as theirs:
            make(theirs_sched, topt)
        with pytest.raises(type(theirs.value)) as ours:
            make(ours_sched, opt)
        if "which is different from" in str(theirs.value):     # names the optimizer's repr
            assert str(ours.value).startswith(str(theirs.value).split(" has ")[0])
        else:
            assert str(ours.value) == str(theirs.value)
    opt, topt = optimizers("Adagrad")
    with pytest.raises(ValueError) as theirs:
        theirs_sched.CyclicLR(topt, 0.01, 0.1)
    with pytest.raises(ValueError) as ours:
        ours_sched.CyclicLR(opt, 0.01, 0.1)
    assert str(ours.value) == str(theirs.value)


def test_every_torch_scheduler_is_here():
    assert sorted(ours_sched.__all__) == sorted(theirs_sched.__all__)
    for name in theirs_sched.__all__:
        assert getattr(ours_sched, name).__name__ == name


# ============================================================================ SWALR
SWALR_CASES = {
    "cos": lambda lib, o: lib.SWALR(o, swa_lr=0.01),
    "linear-per-group": lambda lib, o: lib.SWALR(o, swa_lr=[0.02, 0.2], anneal_epochs=7,
                                                 anneal_strategy="linear"),
    "no-annealing": lambda lib, o: lib.SWALR(o, swa_lr=0.03, anneal_epochs=0),
}


@pytest.mark.parametrize("name", SWALR_CASES)
def test_swalr_matches_torch_and_round_trips(name):
    make = SWALR_CASES[name]
    opt, topt = optimizers("SGD")
    sched = make(optim.swa_utils, opt)
    tsched = make(torch.optim.swa_utils, topt)
    for step in range(30):
        assert_same(sched, tsched, opt, topt)
        assert [g["swa_lr"] for g in opt.param_groups] == [g["swa_lr"] for g in topt.param_groups]
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        if step == 12:
            state, tstate = sched.state_dict(), tsched.state_dict()
            assert "anneal_func" not in state
            assert set(tstate) - set(state) <= {"_get_lr_called_within_step"}
            assert all(state[k] == tstate[k] for k in state)
            again = make(optim.swa_utils, optimizers("SGD")[0])
            again.load_state_dict(state)
            assert again.anneal_func(0.5) == sched.anneal_func(0.5)
    assert sched.get_last_lr() == pytest.approx([g["swa_lr"] for g in opt.param_groups])


def test_swalr_validation_errors_like_torch():
    for make in (lambda lib, o: lib.SWALR(o, swa_lr=0.1, anneal_strategy="exp"),
                 lambda lib, o: lib.SWALR(o, swa_lr=0.1, anneal_epochs=-1),
                 lambda lib, o: lib.SWALR(o, swa_lr=0.1, anneal_epochs=2.5),
                 lambda lib, o: lib.SWALR(o, swa_lr=[0.1])):
        opt, topt = optimizers()
        with pytest.raises(ValueError) as theirs:
            make(torch.optim.swa_utils, topt)
        with pytest.raises(ValueError) as ours:
            make(optim.swa_utils, opt)
        assert str(ours.value) == str(theirs.value)


def test_swa_utils_exports_torchs_names():
    assert sorted(optim.swa_utils.__all__) == sorted(torch.optim.swa_utils.__all__)
