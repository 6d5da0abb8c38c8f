"""tinygrad_sgd.optim.lr_scheduler against torch.optim.lr_scheduler.

Each scheduler (a table of configurations below) runs 100 steps on an optimizer with two
param groups next to torch's: the printed lr sequence (``get_last_lr()``), the groups' lrs,
``last_epoch``, ``initial_lr`` and, for OneCycleLR, the cycled momentum / β₁ must be torch's.
ReduceLROnPlateau is fed the same metric sequence. Then: resuming with ``last_epoch``, the
deprecated ``step(epoch)`` closed forms, state_dict round trips (in memory and through a file)
that continue exactly like an uninterrupted run, state_dict keys shared with torch, and the
validation errors."""
import math
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import nn, optim

ours_sched = optim.lr_scheduler
theirs_sched = torch.optim.lr_scheduler


def optimizers(kind="SGD", lrs=(0.1, 0.05)):
    """Ours and torch's, one param group per lr (the parameters never get a gradient: only
    the schedule matters here)."""
    if kind == "SGD":
        options = dict(momentum=0.9)
    elif kind == "Adam":
        options = dict(betas=(0.9, 0.999))
    else:
        options = {}
    ours = getattr(optim, kind)([{"params": [nn.Parameter(np.zeros(2))], "lr": lr}
                                 for lr in lrs], **options)
    theirs = getattr(torch.optim, kind)([{"params": [torch.zeros(2, requires_grad=True)],
                                          "lr": lr} for lr in lrs], **options)
    return ours, theirs


def cube(epoch):        # a plain function: LambdaLR saves None for it
    return 1.0 / (1 + epoch) ** 0.5


class Halving:
    """A callable object: LambdaLR's state_dict saves its ``__dict__``."""

    def __init__(self, factor=0.5, every=7):
        self.factor, self.every = factor, every

    def __call__(self, epoch):
        return self.factor ** (epoch // self.every)


def halve_every_cycle(x):          # a plain function: its state dict entry is None
    return 0.5 ** (x - 1)


class Decay:
    """A callable object: CyclicLR's state dict keeps its ``__dict__``."""

    def __init__(self, rate=0.99):
        self.rate = rate

    def __call__(self, x):
        return self.rate ** x


# name → (scheduler class name, a function (module, optimizer) → scheduler, optimizer kind)
def _sequential(lib, opt, parts, milestones):
    return lib.SequentialLR(opt, [make(lib, opt) for make in parts], milestones=milestones)


CASES = {
    "LambdaLR": (lambda lib, opt: lib.LambdaLR(opt, lambda e: 0.95 ** e), "SGD"),
    "LambdaLR-per-group": (lambda lib, opt: lib.LambdaLR(opt, [cube, Halving()]), "SGD"),
    "MultiplicativeLR": (lambda lib, opt: lib.MultiplicativeLR(opt, lambda e: 0.97), "SGD"),
    "StepLR": (lambda lib, opt: lib.StepLR(opt, step_size=7, gamma=0.5), "SGD"),
    "MultiStepLR": (lambda lib, opt: lib.MultiStepLR(opt, [10, 25, 25, 60], gamma=0.3), "SGD"),
    "ConstantLR": (lambda lib, opt: lib.ConstantLR(opt, factor=0.25, total_iters=13), "SGD"),
    "ConstantLR-default": (lambda lib, opt: lib.ConstantLR(opt), "Adam"),
    "ExponentialLR": (lambda lib, opt: lib.ExponentialLR(opt, gamma=0.96), "SGD"),
    "CosineAnnealingLR": (lambda lib, opt: lib.CosineAnnealingLR(opt, T_max=100), "SGD"),
    "CosineAnnealingLR-past-T_max": (
        lambda lib, opt: lib.CosineAnnealingLR(opt, T_max=30, eta_min=0.001), "Adam"),
    "LinearLR": (lambda lib, opt: lib.LinearLR(opt, start_factor=0.1, total_iters=40), "SGD"),
    "LinearLR-down": (lambda lib, opt: lib.LinearLR(opt, start_factor=1.0, end_factor=0.05,
                                                    total_iters=70), "Adam"),
    "SequentialLR": (lambda lib, opt: _sequential(
        lib, opt, [lambda lib, o: lib.ConstantLR(o, factor=0.1, total_iters=20),
                   lambda lib, o: lib.ExponentialLR(o, gamma=0.9)], [20]), "SGD"),
    "SequentialLR-warmup-cosine-step": (lambda lib, opt: _sequential(
        lib, opt, [lambda lib, o: lib.LinearLR(o, start_factor=0.01, total_iters=10),
                   lambda lib, o: lib.CosineAnnealingLR(o, T_max=50, eta_min=1e-3),
                   lambda lib, o: lib.StepLR(o, step_size=5, gamma=0.7)], [10, 60]), "SGD"),
    "SequentialLR-lambda": (lambda lib, opt: _sequential(
        lib, opt, [lambda lib, o: lib.LambdaLR(o, lambda e: (e + 1) / 10),
                   lambda lib, o: lib.MultiStepLR(o, [15, 30], gamma=0.5)], [9]), "SGD"),
    "OneCycleLR-cos-SGD": (lambda lib, opt: lib.OneCycleLR(opt, max_lr=1.0, total_steps=100),
                           "SGD"),
    "OneCycleLR-linear-Adam": (lambda lib, opt: lib.OneCycleLR(
        opt, max_lr=[0.01, 0.02], total_steps=100, anneal_strategy="linear"), "Adam"),
    "OneCycleLR-three-phase-SGD": (lambda lib, opt: lib.OneCycleLR(
        opt, max_lr=0.5, epochs=10, steps_per_epoch=10, three_phase=True, pct_start=0.25,
        base_momentum=[0.8, 0.7], max_momentum=0.99, div_factor=10.0,
        final_div_factor=100.0), "SGD"),
    "OneCycleLR-three-phase-linear-Adam": (lambda lib, opt: lib.OneCycleLR(
        opt, max_lr=0.01, total_steps=100, three_phase=True, anneal_strategy="linear"),
        "Adam"),
    "OneCycleLR-no-momentum-Adagrad": (lambda lib, opt: lib.OneCycleLR(
        opt, max_lr=0.1, total_steps=100, cycle_momentum=False), "Adagrad"),
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


def momenta(opt):
    """What OneCycleLR cycles: SGD's momentum or Adam's β₁, per group."""
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def assert_same_schedule_state(sched, tsched, opt, topt):
    """The printed lrs, the groups' lrs, ``initial_lr`` and momenta, and the counters
    (``last_epoch``, SGDR's ``T_cur`` and ``T_i``) of the scheduler and those it chains."""
    assert sched.get_last_lr() == tsched.get_last_lr()
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
    assert [g.get("initial_lr") for g in opt.param_groups] \
        == [g.get("initial_lr") for g in topt.param_groups]
    assert momenta(opt) == momenta(topt)
    pairs = [(sched, tsched)] + list(zip(getattr(sched, "_schedulers", []),
                                         getattr(tsched, "_schedulers", [])))
    for ours, theirs in pairs:
        for key in ("last_epoch", "T_cur", "T_i"):
            assert getattr(ours, key, None) == getattr(theirs, key, None), key


@pytest.mark.parametrize("name", CASES)
def test_lr_sequence_matches_torch_for_100_steps(name):
    make, kind = CASES[name]
    opt, topt = optimizers(kind)
    sched, tsched = make(ours_sched, opt), make(theirs_sched, topt)
    lrs = []
    for _ in range(100):
        assert_same_schedule_state(sched, tsched, opt, topt)
        lrs.append(sched.get_last_lr())
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    assert_same_schedule_state(sched, tsched, opt, topt)
    assert len({tuple(lr) for lr in lrs}) > 1                   # the schedule did something


def test_the_printed_sequences_of_the_docs():
    """torch's docstring examples, as numbers."""
    opt, _ = optimizers(lrs=(0.05,))
    sched = ours_sched.LinearLR(opt, start_factor=0.5, total_iters=4)
    seen = [sched.get_last_lr()[0]]
    for _ in range(5):
        sched.step()
        seen.append(sched.get_last_lr()[0])
    assert seen == pytest.approx([0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05])
    opt, _ = optimizers(lrs=(0.05,))
    sched = ours_sched.MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
    seen = []
    for _ in range(100):
        seen.append(sched.get_last_lr()[0])
        sched.step()
    assert seen[:30] == [0.05] * 30
    assert seen[30:80] == pytest.approx([0.005] * 50) and seen[80:] == pytest.approx([5e-4] * 20)


# ============================================================================ ReduceLROnPlateau
def metric_sequence(n=100, seed=0):
    """A validation loss that improves, plateaus (noisily), improves a little, plateaus."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    base = np.where(t < 30, 1.0 / (1 + 0.2 * t), 1.0 / 7)
    base = np.where((t >= 55) & (t < 65), base - 0.002 * (t - 55), base)
    base = np.where(t >= 65, 1.0 / 7 - 0.02, base)
    return [float(v) for v in base + rng.normal(0, 1e-4, n)]


PLATEAU_CASES = [
    dict(),
    dict(mode="min", factor=0.5, patience=3, threshold=1e-3),
    dict(mode="min", factor=0.5, patience=2, threshold=1e-3, threshold_mode="abs", cooldown=4),
    dict(mode="max", factor=0.3, patience=4, cooldown=2),
    dict(mode="max", factor=0.7, patience=1, threshold=0.01, threshold_mode="abs"),
    dict(factor=0.5, patience=0, min_lr=[0.01, 0.02]),
    dict(factor=0.5, patience=0, min_lr=1e-3, eps=0.01),
]


@pytest.mark.parametrize("options", PLATEAU_CASES, ids=str)
def test_reduce_lr_on_plateau_matches_torch_on_a_fed_metric_sequence(options):
    opt, topt = optimizers("SGD")
    sched = ours_sched.ReduceLROnPlateau(opt, **options)
    tsched = theirs_sched.ReduceLROnPlateau(topt, **options)
    sign = -1.0 if options.get("mode") == "max" else 1.0   # "max" watches an accuracy
    reductions = 0
    for metric in metric_sequence():
        before = sched.get_last_lr()
        opt.step()
        topt.step()
        sched.step(sign * metric)
        tsched.step(sign * metric)
        assert sched.get_last_lr() == tsched.get_last_lr()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
        assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter, sched.last_epoch) \
            == (tsched.best, tsched.num_bad_epochs, tsched.cooldown_counter, tsched.last_epoch)
        reductions += sched.get_last_lr() != before
    assert reductions >= 1


def test_reduce_lr_on_plateau_accepts_a_tensor_metric_and_refuses_bad_options():
    opt, _ = optimizers("SGD", lrs=(0.1,))
    sched = ours_sched.ReduceLROnPlateau(opt, patience=0)
    sched.step(tg.tensor(1.0))
    sched.step(tg.tensor(2.0))
    assert sched.get_last_lr() == pytest.approx([0.01])
    with pytest.raises(ValueError, match=r"Factor should be < 1.0."):
        ours_sched.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode middle is unknown!"):
        ours_sched.ReduceLROnPlateau(opt, mode="middle")
    with pytest.raises(ValueError, match="threshold mode log is unknown!"):
        ours_sched.ReduceLROnPlateau(opt, threshold_mode="log")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        ours_sched.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])


# ============================================================================ resuming
RESUMED = {   # name in CASES → the same schedule built with last_epoch=29
    "StepLR": lambda lib, o: lib.StepLR(o, step_size=7, gamma=0.5, last_epoch=29),
    "MultiStepLR": lambda lib, o: lib.MultiStepLR(o, [10, 25, 25, 60], gamma=0.3,
                                                  last_epoch=29),
    "ConstantLR": lambda lib, o: lib.ConstantLR(o, factor=0.25, total_iters=13, last_epoch=29),
    "ExponentialLR": lambda lib, o: lib.ExponentialLR(o, gamma=0.96, last_epoch=29),
    "CosineAnnealingLR": lambda lib, o: lib.CosineAnnealingLR(o, T_max=100, last_epoch=29),
    "CosineAnnealingLR-past-T_max": lambda lib, o: lib.CosineAnnealingLR(
        o, T_max=30, eta_min=0.001, last_epoch=29),
    "LinearLR": lambda lib, o: lib.LinearLR(o, start_factor=0.1, total_iters=40, last_epoch=29),
    "LambdaLR": lambda lib, o: lib.LambdaLR(o, lambda e: 0.95 ** e, last_epoch=29),
    "MultiplicativeLR": lambda lib, o: lib.MultiplicativeLR(o, lambda e: 0.97, last_epoch=29),
    "OneCycleLR-cos-SGD": lambda lib, o: lib.OneCycleLR(o, max_lr=1.0, total_steps=100,
                                                        last_epoch=29),
    "PolynomialLR": lambda lib, o: lib.PolynomialLR(o, total_iters=40, power=2.0,
                                                    last_epoch=12),
    "CosineAnnealingWarmRestarts": lambda lib, o: lib.CosineAnnealingWarmRestarts(
        o, T_0=10, last_epoch=12),
    "CyclicLR-triangular": lambda lib, o: lib.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                       step_size_up=10, last_epoch=12),
}


@pytest.mark.parametrize("name", RESUMED)
def test_resuming_with_last_epoch_matches_torch(name):
    """A scheduler built with ``last_epoch=k`` on an optimizer whose groups already hold
    ``initial_lr`` (torch's way of resuming without a scheduler state_dict)."""
    make, kind = CASES[name]
    opt, topt = optimizers(kind)
    make(ours_sched, opt)                       # records initial_lr (and OneCycle's entries)
    make(theirs_sched, topt)
    for group, tgroup in zip(opt.param_groups, topt.param_groups):
        group["lr"] = tgroup["lr"] = group["initial_lr"] * 0.3     # somewhere mid-schedule
    sched, tsched = RESUMED[name](ours_sched, opt), RESUMED[name](theirs_sched, topt)
    for _ in range(40):
        assert_same_schedule_state(sched, tsched, opt, topt)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    assert_same_schedule_state(sched, tsched, opt, topt)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LinearLR", "ConstantLR", "LambdaLR"])
def test_step_with_an_epoch_uses_the_closed_form_and_warns_like_torch(name):
    make, kind = CASES[name]
    opt, topt = optimizers(kind)
    sched, tsched = make(ours_sched, opt), make(theirs_sched, topt)
    for epoch in [3, 4, 10, 30, 7, 50, 99, 0, 13]:
        with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
            sched.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tsched.step(epoch)
        assert_same_schedule_state(sched, tsched, opt, topt)


def test_closed_form_agrees_with_the_chained_form():
    opt, _ = optimizers()
    sched = ours_sched.CosineAnnealingLR(opt, T_max=40, eta_min=0.01)
    for epoch in range(1, 100):
        sched.step()
        chained = sched.get_last_lr()
        assert sched._get_closed_form_lr() == pytest.approx(chained, rel=1e-9)
    assert sched.get_last_lr()[0] == pytest.approx(
        0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * 99 / 40)) / 2)


# ============================================================================ state dict
def _drop_functions(state):
    return {k: v for k, v in state.items() if k not in ("lr_lambdas", "_schedulers")}


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
        for key, value in _drop_functions(state).items():
            assert key in tstate, key
            assert value == tstate[key], key
        if "lr_lambdas" in state:
            assert state["lr_lambdas"] == tstate["lr_lambdas"]
        if "_schedulers" in state:
            assert len(state["_schedulers"]) == len(tstate["_schedulers"])
            pairs += list(zip(state["_schedulers"], tstate["_schedulers"]))
    if name.startswith("CyclicLR-scale_fn"):
        expected = {"rate": 0.99} if name.endswith("iterations") else None
        assert sched.state_dict()["_scale_fn_custom"] == expected


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "file"])
@pytest.mark.parametrize("name", list(CASES) + ["ReduceLROnPlateau"])
def test_state_dict_round_trip_continues_like_an_uninterrupted_run(name, through_file,
                                                                   tmp_path):
    if name == "ReduceLROnPlateau":
        kind = "SGD"

        def make(lib, opt):
            return lib.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1)
    else:
        make, kind = CASES[name]
    metrics = metric_sequence()

    def advance(opt, sched, epochs):
        for epoch in epochs:
            opt.step()
            if name == "ReduceLROnPlateau":
                sched.step(metrics[epoch])
            else:
                sched.step()
            yield sched.get_last_lr(), [g["lr"] for g in opt.param_groups], momenta(opt)

    opt_a, _ = optimizers(kind)
    sched_a = make(ours_sched, opt_a)
    uninterrupted = list(advance(opt_a, sched_a, range(90)))

    opt_b, _ = optimizers(kind)
    sched_b = make(ours_sched, opt_b)
    first = list(advance(opt_b, sched_b, range(40)))
    ck = {"optimizer": opt_b.state_dict(), "scheduler": sched_b.state_dict()}
    if through_file:
        tg.save(ck, tmp_path / "ck")
        ck = tg.load(tmp_path / "ck")
    opt_c, _ = optimizers(kind, lrs=(7.0, 8.0))
    sched_c = make(ours_sched, opt_c)     # built first: its constructor rewrites the lrs
    if name == "CyclicLR-scale_fn-iterations":
        sched_c._scale_fn_custom.rate = 0.5              # restored from the state dict
    opt_c.load_state_dict(ck["optimizer"])
    sched_c.load_state_dict(ck["scheduler"])
    assert getattr(sched_c, "last_epoch", None) == getattr(sched_b, "last_epoch", None)
    assert sched_c.get_last_lr() == sched_b.get_last_lr()
    resumed = list(advance(opt_c, sched_c, range(40, 90)))
    assert first + resumed == uninterrupted


def test_lambda_lr_state_dict_keeps_callable_objects_state_only():
    opt, _ = optimizers()
    halving = Halving(factor=0.25, every=3)
    sched = ours_sched.LambdaLR(opt, [cube, halving])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"factor": 0.25, "every": 3}]
    other = Halving()
    again = ours_sched.LambdaLR(opt, [cube, other])
    again.load_state_dict(state)
    assert (other.factor, other.every) == (0.25, 3)
    assert again.lr_lambdas == [cube, other]                       # the functions stay
    assert "lr_lambdas" in state                                  # the argument is untouched


# ============================================================================ validation
def test_scheduler_validation_errors_like_torch():
    cases = [
        lambda lib, o: lib.ConstantLR(o, factor=1.5),
        lambda lib, o: lib.LinearLR(o, start_factor=0),
        lambda lib, o: lib.LinearLR(o, end_factor=1.5),
        lambda lib, o: lib.LambdaLR(o, [cube]),
        lambda lib, o: lib.MultiplicativeLR(o, 0.9),
        lambda lib, o: lib.OneCycleLR(o, max_lr=0.1),
        lambda lib, o: lib.OneCycleLR(o, max_lr=0.1, total_steps=0),
        lambda lib, o: lib.OneCycleLR(o, max_lr=0.1, epochs=0, steps_per_epoch=2),
        lambda lib, o: lib.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5),
        lambda lib, o: lib.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="tan"),
        lambda lib, o: lib.OneCycleLR(o, max_lr=[0.1], total_steps=10),
        lambda lib, o: lib.SequentialLR(o, [], milestones=[]),
        lambda lib, o: lib.SequentialLR(o, [lib.StepLR(o, 2), lib.StepLR(o, 3)], milestones=[]),
        lambda lib, o: lib.SequentialLR(o, [lib.ReduceLROnPlateau(o)], milestones=[]),
        lambda lib, o: lib.StepLR(o, 2, last_epoch=5),         # resuming without initial_lr
    ]
    for make in cases:
        opt, topt = optimizers()
        with pytest.raises(Exception) as theirs:
            make(theirs_sched, topt)
        with pytest.raises(type(theirs.value)) as ours:
            make(ours_sched, opt)
        if isinstance(theirs.value, KeyError):
            assert "param 'initial_lr' is not specified in param_groups[0]" in str(ours.value)
        else:
            assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        ours_sched.ExponentialLR(object(), 0.9)


def test_one_cycle_lr_refuses_to_step_past_total_steps_and_an_optimizer_without_momentum():
    opt, topt = optimizers()
    sched = ours_sched.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        sched.step()
    opt, _ = optimizers("Adagrad")
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        ours_sched.OneCycleLR(opt, max_lr=0.1, total_steps=3)


def test_schedulers_compose_on_one_optimizer_like_torch():
    """Chainable forms: two schedulers stepping the same optimizer multiply their effects."""
    opt, topt = optimizers()
    ours = [ours_sched.ExponentialLR(opt, 0.9), ours_sched.MultiStepLR(opt, [5, 12], 0.5)]
    theirs = [theirs_sched.ExponentialLR(topt, 0.9), theirs_sched.MultiStepLR(topt, [5, 12], 0.5)]
    for _ in range(20):
        opt.step()
        topt.step()
        for s, t in zip(ours, theirs):
            s.step()
            t.step()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
