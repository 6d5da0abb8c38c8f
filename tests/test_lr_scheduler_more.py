"""PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR and ChainedScheduler against
torch.optim.lr_scheduler, as tests/test_lr_scheduler.py checks the others: 100 steps next to
torch on an optimizer with two param groups (the lrs, ``get_last_lr()``, the cycled momentum
or β₁, ``last_epoch``), SGDR's ``step(epoch)`` with fractional epochs, state dict keys and
values, round trips that continue like an uninterrupted run, and torch's errors; and
swa_utils.SWALR."""
import warnings

import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import optim
from test_lr_scheduler import momenta, optimizers

ours_sched = optim.lr_scheduler
theirs_sched = torch.optim.lr_scheduler


def halve_every_cycle(x):          # a plain function: its state dict entry is None
    return 0.5 ** (x - 1)


class Decay:
    """A callable object: CyclicLR's state dict keeps its ``__dict__``."""

    def __init__(self, rate=0.99):
        self.rate = rate

    def __call__(self, x):
        return self.rate ** x


CASES = {
    "PolynomialLR": (lambda lib, o: lib.PolynomialLR(o, total_iters=40, power=2.0), "SGD"),
    "PolynomialLR-default": (lambda lib, o: lib.PolynomialLR(o), "Adam"),
    "CosineAnnealingWarmRestarts": (
        lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=10), "SGD"),
    "CosineAnnealingWarmRestarts-T_mult": (
        lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2, eta_min=1e-3),
        "Adam"),
    "CyclicLR-triangular": (
        lambda lib, o: lib.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10), "SGD"),
    "CyclicLR-triangular2-Adam": (lambda lib, o: lib.CyclicLR(
        o, base_lr=[0.001, 0.002], max_lr=0.01, step_size_up=8, step_size_down=5,
        mode="triangular2", base_momentum=[0.8, 0.85], max_momentum=0.95), "Adam"),
    "CyclicLR-exp_range": (lambda lib, o: lib.CyclicLR(
        o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=6, mode="exp_range", gamma=0.97),
        "SGD"),
    "CyclicLR-scale_fn": (lambda lib, o: lib.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=halve_every_cycle), "SGD"),
    "CyclicLR-scale_fn-iterations": (lambda lib, o: lib.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=7, scale_fn=Decay(),
        scale_mode="iterations"), "SGD"),
    "CyclicLR-no-momentum-Adagrad": (lambda lib, o: lib.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False), "Adagrad"),
    "ChainedScheduler": (lambda lib, o: lib.ChainedScheduler(
        [lib.ConstantLR(o, factor=0.1, total_iters=20), lib.ExponentialLR(o, gamma=0.9)]),
        "SGD"),
    "ChainedScheduler-optimizer-given": (lambda lib, o: lib.ChainedScheduler(
        [lib.LinearLR(o, start_factor=0.2, total_iters=10),
         lib.PolynomialLR(o, total_iters=60, power=0.5),
         lib.CosineAnnealingLR(o, T_max=15)], optimizer=o), "Adam"),
    "SequentialLR-warmup-then-warm-restarts": (lambda lib, o: lib.SequentialLR(
        o, [lib.LinearLR(o, start_factor=0.1, total_iters=5),
            lib.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2)], milestones=[5]), "SGD"),
}


def assert_same(sched, tsched, opt, topt):
    assert sched.get_last_lr() == tsched.get_last_lr()
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
    assert [g.get("initial_lr") for g in opt.param_groups] \
        == [g.get("initial_lr") for g in topt.param_groups]
    assert momenta(opt) == momenta(topt)
    for key in ("last_epoch", "T_cur", "T_i"):
        assert getattr(sched, key, None) == getattr(tsched, key, None), key
    for inner, tinner in zip(getattr(sched, "_schedulers", []), getattr(tsched, "_schedulers",
                                                                          [])):
        for key in ("last_epoch", "T_cur", "T_i"):
            assert getattr(inner, key, None) == getattr(tinner, key, None), key


@pytest.mark.parametrize("name", CASES)
def test_lr_sequence_matches_torch_for_100_steps(name):
    make, kind = CASES[name]
    opt, topt = optimizers(kind)
    sched, tsched = make(ours_sched, opt), make(theirs_sched, topt)
    seen = set()
    for _ in range(100):
        assert_same(sched, tsched, opt, topt)
        seen.add((tuple(sched.get_last_lr()), tuple(momenta(opt))))
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    assert_same(sched, tsched, opt, topt)
    assert len(seen) >= 5                                     # the schedule moved


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


def _drop_nested(state):
    return {k: v for k, v in state.items() if k != "_schedulers"}


@pytest.mark.parametrize("name", CASES)
def test_state_dict_keys_and_values_are_torchs(name):
    make, kind = CASES[name]
    opt, topt = optimizers(kind)
    sched, tsched = make(ours_sched, opt), make(theirs_sched, topt)
    for _ in range(17):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    pairs = [(sched.state_dict(), tsched.state_dict())]
    while pairs:
        state, tstate = pairs.pop()
        assert "optimizer" not in state and "_scale_fn_ref" not in state
        # every key of torch's but its flag for a warning this library does not give
        assert set(tstate) - set(state) <= {"_get_lr_called_within_step"}
        for key, value in _drop_nested(state).items():
            assert key in tstate, key
            assert value == tstate[key], key
        if "_schedulers" in state:
            assert len(state["_schedulers"]) == len(tstate["_schedulers"])
            pairs += list(zip(state["_schedulers"], tstate["_schedulers"]))
    if name.startswith("CyclicLR-scale_fn"):
        expected = {"rate": 0.99} if name.endswith("iterations") else None
        assert sched.state_dict()["_scale_fn_custom"] == expected


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "file"])
@pytest.mark.parametrize("name", CASES)
def test_state_dict_round_trip_continues_like_an_uninterrupted_run(name, through_file,
                                                                   tmp_path):
    make, kind = CASES[name]

    def advance(opt, sched, n):
        out = []
        for _ in range(n):
            opt.step()
            sched.step()
            out.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups],
                        momenta(opt)))
        return out

    opt_a, _ = optimizers(kind)
    uninterrupted = advance(opt_a, make(ours_sched, opt_a), 90)
    opt_b, _ = optimizers(kind)
    sched_b = make(ours_sched, opt_b)
    first = advance(opt_b, sched_b, 40)
    ck = {"optimizer": opt_b.state_dict(), "scheduler": sched_b.state_dict()}
    if through_file:
        tg.save(ck, tmp_path / "ck")
        ck = tg.load(tmp_path / "ck")
    opt_c, _ = optimizers(kind, lrs=(7.0, 8.0))
    sched_c = make(ours_sched, opt_c)
    if name == "CyclicLR-scale_fn-iterations":
        sched_c._scale_fn_custom.rate = 0.5              # restored from the state dict
    opt_c.load_state_dict(ck["optimizer"])
    sched_c.load_state_dict(ck["scheduler"])
    assert sched_c.get_last_lr() == sched_b.get_last_lr()
    assert first + advance(opt_c, sched_c, 50) == uninterrupted


RESUMED = {
    "PolynomialLR": lambda lib, o: lib.PolynomialLR(o, total_iters=40, power=2.0,
                                                    last_epoch=12),
    "CosineAnnealingWarmRestarts": lambda lib, o: lib.CosineAnnealingWarmRestarts(
        o, T_0=10, last_epoch=12),
    "CyclicLR-triangular": lambda lib, o: lib.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                       step_size_up=10, last_epoch=12),
}


@pytest.mark.parametrize("name", RESUMED)
def test_resuming_with_last_epoch_matches_torch(name):
    make, kind = CASES[name]
    opt, topt = optimizers(kind)
    make(ours_sched, opt)
    make(theirs_sched, topt)
    for group, tgroup in zip(opt.param_groups, topt.param_groups):
        group["lr"] = tgroup["lr"] = group["initial_lr"] * 0.3
    sched, tsched = RESUMED[name](ours_sched, opt), RESUMED[name](theirs_sched, topt)
    for _ in range(30):
        assert_same(sched, tsched, opt, topt)
        opt.step()
        topt.step()
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
