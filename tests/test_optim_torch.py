"""SGD, Adam, AdamW, RMSprop and Adagrad against torch.optim.

Every optimizer, over every combination of its options (a table below), takes 200 full-batch
steps on the same small problem from the same weights next to torch: the parameters and every
state buffer must agree (float64 tightly, float32 more loosely, and float32 must stay float32).
A tanh network trained through both libraries' autograd checks the same end to end. Then:
parameter groups with their own options, state_dict layout and round trips (ours, through a
file, and torch's), validation errors with torch's exception classes and messages, and the
step mechanics (skipped parameters, closure, in-place update)."""
import copy
import itertools

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, nn, optim, tensor
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.optim.optimizer import _lerp_

TF = torch.nn.functional
NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


@pytest.fixture(autouse=True, scope="module")
def torch_on_one_thread():
    """The tensors here are tiny: torch's thread pool only costs time, and on a busy 2-core
    machine its waiting threads made each torch step ~30x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ============================================================================ the problems
def problem(seed=0, n=16):
    """Inputs, targets and the starting weights of a 3 → 6 → 1 tanh network."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = np.sin(x @ np.array([1.0, -2.0, 0.5]))[:, None]
    weights = [rng.standard_normal((6, 3)) * 0.5, rng.standard_normal(6) * 0.1,
               rng.standard_normal((1, 6)) * 0.5, rng.standard_normal(1) * 0.1]
    return x, y, weights


class Twins:
    """Our parameters and torch's, from the same weights: the 3 → 6 → 1 tanh network,
    trained through each library's autograd (``loss``, ``torch_loss``).

    ``fast=True`` skips autograd: the parameters are a robust regression's W (4, 3) and b (4,)
    with the loss mean(log cosh(x·Wᵀ + b − y)), whose gradient is computed by hand
    (R = tanh(x·Wᵀ + b − y)/n, ∂W = Rᵀx, ∂b = ΣR): non-quadratic, and cheap enough to run
    every option combination for 200 steps."""

    def __init__(self, dtype=np.float64, seed=0, fast=False):
        x, y, weights = problem(seed)
        self.fast = fast
        if fast:
            rng = np.random.default_rng(seed + 1)
            y = 3.0 * x @ rng.standard_normal((3, 4)) + 3.0    # far: no oscillating end phase
            weights = [rng.standard_normal((4, 3)) * 0.5, rng.standard_normal(4) * 0.1]
        self.dtype = dtype
        self.ours = [nn.Parameter(w.astype(dtype)) for w in weights]
        self.theirs = [torch.tensor(w.astype(dtype), requires_grad=True) for w in weights]
        self.x, self.y = tensor(x.astype(dtype)), tensor(y.astype(dtype))
        self.xt, self.yt = torch.tensor(x.astype(dtype)), torch.tensor(y.astype(dtype))

    def gradient(self, w, b, sign):
        """The fast problem's (∂W, ∂b) at NumPy arrays w, b: one formula for both sides, so
        that they differ only by what their optimizers did."""
        x, y = self.x.numpy(), self.y.numpy()
        r = np.tanh(x @ w.T + b - y) * (sign / len(x))
        return r.T @ x, r.sum(0)

    def backward(self, sign=1.0):
        if not self.fast:
            self.loss(sign).backward()
            return
        w, b = self.ours
        gw, gb = self.gradient(w.numpy(), b.numpy(), sign)
        w.grad, b.grad = tensor(gw), tensor(gb)

    def torch_backward(self, sign=1.0):
        if not self.fast:
            self.torch_loss(sign).backward()
            return
        w, b = self.theirs
        gw, gb = self.gradient(w.detach().numpy(), b.detach().numpy(), sign)
        w.grad, b.grad = torch.from_numpy(gw), torch.from_numpy(gb)

    def loss(self, sign=1.0):
        w1, b1, w2, b2 = self.ours
        out = F.linear(F.tanh(F.linear(self.x, w1, b1)), w2, b2)
        return F.mse_loss(out, self.y) * sign

    def torch_loss(self, sign=1.0):
        w1, b1, w2, b2 = self.theirs
        out = TF.linear(torch.tanh(TF.linear(self.xt, w1, b1)), w2, b2)
        return TF.mse_loss(out, self.yt) * sign


def run(twins, opt, topt, steps, sign=1.0):
    """``steps`` full-batch steps of both optimizers (``sign=-1``: maximize the negated loss,
    which converges instead of diverging)."""
    for _ in range(steps):
        if opt is not None:
            opt.zero_grad()
            twins.backward(sign)
            opt.step()
        if topt is not None:
            topt.zero_grad()
            twins.torch_backward(sign)
            topt.step()


def assert_params_match(twins, rtol, atol):
    for i, (p, q) in enumerate(zip(twins.ours, twins.theirs)):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"parameter {i}")


SCALAR_STATE = {"mu_product", "eta", "mu"}   # NAdam's, ASGD's: numbers here, 0-d in torch


def assert_state_matches(opt, topt, params, tparams, rtol, atol, what=""):
    """Per parameter, the same state keys as torch's, the same step count and scalar entries,
    close buffers of our dtype."""
    for i, (p, q) in enumerate(zip(params, tparams)):
        ours, theirs = opt.state.get(p, {}), topt.state.get(q, {})
        where = f"{what}: parameter {i}"
        assert sorted(ours) == sorted(theirs), where
        for key, value in theirs.items():
            if key == "step" or key in SCALAR_STATE:
                assert ours[key] == value.item(), f"{where}: {key}"
            else:
                assert isinstance(ours[key], Tensor) and ours[key].dtype == p.dtype, where
                np.testing.assert_allclose(ours[key].numpy(), value.numpy(), rtol=rtol,
                                           atol=atol, err_msg=f"{where}: {key}")


# ============================================================================ the option table
def combos(**options):
    """Every combination of the listed option values, as keyword dicts."""
    return [dict(zip(options, values)) for values in itertools.product(*options.values())]


def sgd_valid(o):
    return not (o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0))


# betas (0.4, 0.99): 1 − β₁ ≥ 0.5 takes lerp's other branch. Smaller β₂ or RMSprop's alpha
# make these runs chaotic (the update turns into a sign of g), so rounding-level differences
# grow to O(1) whatever the implementation; _lerp_'s branch is also checked directly below.
ADAM_OPTIONS = combos(amsgrad=[False, True], weight_decay=[0, 0.1], maximize=[False, True],
                      betas=[(0.9, 0.999), (0.4, 0.99)])
TABLE = {
    "SGD": (0.05, [o for o in combos(momentum=[0, 0.9], dampening=[0, 0.1],
                                     weight_decay=[0, 0.01], nesterov=[False, True],
                                     maximize=[False, True]) if sgd_valid(o)]),
    "Adam": (0.01, ADAM_OPTIONS),
    "AdamW": (0.01, ADAM_OPTIONS),
    "RMSprop": (0.001, combos(momentum=[0, 0.9], centered=[False, True], weight_decay=[0, 0.1],
                              maximize=[False, True], alpha=[0.99, 0.9])),
    "Adagrad": (0.05, combos(lr_decay=[0, 0.01], weight_decay=[0, 0.1],
                             initial_accumulator_value=[0, 0.5], maximize=[False, True])),
}
# torch reads these from the constructor only (a group's own value is ignored), so the
# combinations are split over one optimizer per value
CONSTRUCTOR_ONLY = {"Adagrad": "initial_accumulator_value"}


def describe(name, options):
    return name + "(" + ", ".join(f"{k}={v}" for k, v in options.items()) + ")"


def test_the_table_covers_every_combination():
    assert {name: len(table) for name, (_, table) in TABLE.items()} \
        == {"SGD": 20, "Adam": 16, "AdamW": 16, "RMSprop": 32, "Adagrad": 16}


def run_table(name, dtype, steps, tables=None):
    """Every option combination of ``name`` (in ``tables``, this file's TABLE by default) on
    its own copy of the fast problem (same start weights), each copy a param group with those
    options. One optimizer (ours and torch's) holds all the groups, so that a step of all
    combinations costs one torch ``step``."""
    lr, table = (TABLE if tables is None else tables)[name]
    split = CONSTRUCTOR_ONLY.get(name)
    runs = []      # (twins, options, our optimizer, torch's)
    for value in sorted({o.get(split) for o in table}, key=str):
        chosen = [o for o in table if o.get(split) == value]
        copies = [Twins(dtype, fast=True) for _ in chosen]
        kwargs = {"lr": lr} if split is None else {"lr": lr, split: value}
        per_group = [{k: v for k, v in o.items() if k != split} for o in chosen]
        opt = getattr(optim, name)([{"params": c.ours, **o} for c, o in zip(copies, per_group)],
                                   **kwargs)
        topt = getattr(torch.optim, name)([{"params": c.theirs, **o}
                                           for c, o in zip(copies, per_group)], **kwargs)
        runs += [(c, o, opt, topt) for c, o in zip(copies, chosen)]
    starts = [[np.array(p.numpy()) for p in twins.ours] for twins, *_ in runs]
    optimizers = list({id(r[2]): (r[2], r[3]) for r in runs}.values())
    for _ in range(steps):
        for opt, topt in optimizers:
            opt.zero_grad()
            topt.zero_grad()
        for twins, options, *_ in runs:
            sign = -1.0 if options.get("maximize") else 1.0   # maximize the negated loss
            twins.backward(sign)
            twins.torch_backward(sign)
        for opt, topt in optimizers:
            opt.step()
            topt.step()
    return runs, starts


def check_float64_table(name, steps, moved, table=None):
    """Every option combination of ``name`` for ``steps`` steps in float64: each run moved its
    parameters (some entry by more than ``moved``) and ends on torch's parameters and state
    to 1e-9."""
    runs, starts = run_table(name, np.float64, steps, table)
    for (twins, options, opt, topt), start in zip(runs, starts):
        what = describe(name, options)
        assert min(np.abs(p.numpy() - s).max() for p, s in zip(twins.ours, start)) > moved, what
        for i, (p, q) in enumerate(zip(twins.ours, twins.theirs)):
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"{what}: parameter {i}")
        assert_state_matches(opt, topt, twins.ours, twins.theirs, rtol=1e-9, atol=1e-12,
                             what=what)


@pytest.mark.parametrize("name", NAMES)
def test_every_option_combination_matches_torch_for_200_steps_in_float64(name):
    check_float64_table(name, 200, 1e-2)


@pytest.mark.parametrize("name", NAMES)
def test_every_option_combination_matches_torch_in_float32_and_stays_float32(name):
    runs, _ = run_table(name, np.float32, 200)
    for twins, options, opt, topt in runs:
        what = describe(name, options)
        for i, (p, q) in enumerate(zip(twins.ours, twins.theirs)):
            assert p.dtype == np.float32, what
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=f"{what}: parameter {i}")
        # the state: torch's keys and steps, float32 buffers. Their values are compared in
        # float64 only: in float32, centered RMSprop's √(s − ḡ²) cancels catastrophically
        # where a gradient entry is steady, and both libraries' buffers then drift from the
        # float64 run by percents, each its own way (the parameters still agree to 1e-4)
        for p, q in zip(twins.ours, twins.theirs):
            ours, theirs = opt.state.get(p, {}), topt.state.get(q, {})
            assert sorted(ours) == sorted(theirs), what
            assert ours.get("step") == (theirs["step"].item() if "step" in theirs else None)
            assert all(v.dtype == np.float32 for k, v in ours.items() if k != "step"), what


# the same through real autograd: the tanh network, trained by both libraries' backward
END_TO_END = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, betas=(0.4, 0.99))),
    ("RMSprop", dict(lr=0.003, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.5)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name,options", END_TO_END, ids=[c[0] for c in END_TO_END])
def test_training_a_network_matches_torch(name, options, dtype):
    twins = Twins(dtype)
    opt = getattr(optim, name)(twins.ours, **options)
    topt = getattr(torch.optim, name)(twins.theirs, **options)
    run(twins, opt, topt, 100)
    tight = dtype == np.float64
    assert_params_match(twins, rtol=1e-9 if tight else 1e-4, atol=1e-12 if tight else 1e-5)
    assert all(p.dtype == dtype for p in twins.ours)


@pytest.mark.parametrize("weight", [0.01, 0.3, 0.5, 0.6, 0.99, 1.0])
def test_lerp_matches_torch_on_both_branches(weight):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(1000), rng.standard_normal(1000) * 1e3
    ours = a.copy()
    _lerp_(ours, b, weight)
    np.testing.assert_allclose(ours, torch.tensor(a).lerp_(torch.tensor(b), weight).numpy(),
                               rtol=1e-15, atol=1e-12)
    if weight == 1.0:
        np.testing.assert_array_equal(ours, b)           # exact at the end point


# ============================================================================ param groups
GROUP_CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9), dict(lr=0.01, nesterov=True)),
    ("Adam", dict(lr=0.01), dict(lr=0.002, betas=(0.5, 0.9), amsgrad=True)),
    ("AdamW", dict(lr=0.01), dict(lr=0.03, weight_decay=0.5)),
    ("RMSprop", dict(lr=0.003, momentum=0.5), dict(lr=0.001, centered=True, momentum=0)),
    ("Adagrad", dict(lr=0.05), dict(lr=0.2, lr_decay=0.1, initial_accumulator_value=1.0)),
]


@pytest.mark.parametrize("name,defaults,second", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_param_groups_with_their_own_options_match_torch(name, defaults, second):
    twins = Twins()
    po, pt = twins.ours, twins.theirs
    opt = getattr(optim, name)([{"params": po[:2]}, {"params": po[2:], **second}], **defaults)
    topt = getattr(torch.optim, name)([{"params": pt[:2]}, {"params": pt[2:], **second}],
                                      **defaults)
    for group, tgroup in zip(opt.param_groups, topt.param_groups):
        assert {k: v for k, v in group.items() if k != "params"} \
            == {k: tgroup[k] for k in group if k != "params"}
    assert opt.param_groups[1]["lr"] == second["lr"] != opt.param_groups[0]["lr"]
    run(twins, opt, topt, 100)
    assert_params_match(twins, rtol=1e-9, atol=1e-12)
    assert_state_matches(opt, topt, po, pt, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_add_param_group_later_matches_torch(name):
    twins = Twins()
    po, pt = twins.ours, twins.theirs
    opt = getattr(optim, name)(po[:2], lr=0.01)
    topt = getattr(torch.optim, name)(pt[:2], lr=0.01)
    run(twins, opt, topt, 5)
    opt.add_param_group({"params": po[2:], "lr": 0.02})
    topt.add_param_group({"params": pt[2:], "lr": 0.02})
    if name == "Adagrad":   # torch's Adagrad only creates state in __init__
        for q in pt[2:]:
            topt.state[q] = {"step": torch.tensor(0.0), "sum": torch.zeros_like(q)}
    run(twins, opt, topt, 10)
    assert_params_match(twins, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_torchs(name):
    p = nn.Parameter(np.ones(2))
    ours = getattr(optim, name)([p]).param_groups[0]
    theirs = getattr(torch.optim, name)([torch.ones(2, requires_grad=True)]).param_groups[0]
    keys = [k for k in ours if k != "params"]
    assert keys and all(k in theirs for k in keys)
    assert {k: ours[k] for k in keys} == {k: theirs[k] for k in keys}


# ============================================================================ state dict
STATEFUL = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, betas=(0.5, 0.9))),
    ("RMSprop", dict(lr=0.003, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1)),
]


@pytest.mark.parametrize("name,options", STATEFUL, ids=[c[0] for c in STATEFUL])
def test_state_dict_layout_matches_torch(name, options):
    twins = Twins()
    opt = getattr(optim, name)([{"params": twins.ours[:1]}, {"params": twins.ours[1:]}],
                               **options)
    topt = getattr(torch.optim, name)([{"params": twins.theirs[:1]},
                                       {"params": twins.theirs[1:]}], **options)
    run(twins, opt, topt, 3)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert sd["state"].keys() == tsd["state"].keys() == {0, 1, 2, 3}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2, 3]]
    assert [g["params"] for g in tsd["param_groups"]] == [[0], [1, 2, 3]]
    for group, tgroup in zip(sd["param_groups"], tsd["param_groups"]):
        assert all(group[k] == tgroup[k] for k in group)
    for i, state in sd["state"].items():
        assert sorted(state) == sorted(tsd["state"][i])
        for key, value in state.items():
            if key == "step":
                assert value == tsd["state"][i]["step"].item() == 3
            else:
                np.testing.assert_allclose(value.numpy(), tsd["state"][i][key].numpy(),
                                           rtol=1e-12)
    # the state Tensors are the optimizer's own (as torch's are)
    key = next(k for k in sd["state"][0] if k != "step")
    assert sd["state"][0][key] is opt.state[twins.ours[0]][key]


def check_resume(cls, options, through_file, tmp_path, before=12, after=18):
    """An optimizer saved after ``before`` steps (its state_dict, in memory or through a
    file) and loaded into a fresh one — built with other options, which the state dict
    replaces — goes on exactly as the uninterrupted run and as the saved one itself; the
    loaded state equals the uninterrupted run's and owns its buffers."""
    a = Twins()
    opt_a = cls(a.ours, **options)
    run(a, opt_a, None, before + after)
    b = Twins()
    opt_b = cls(b.ours, **options)
    run(b, opt_b, None, before)
    # (a deep copy, as with torch: a loaded state shares the state dict's tensors, and
    # state_dict() shares the optimizer's, so b and c would step the same buffers)
    ck = {"params": [p.detach().clone() for p in b.ours],    # (tensors: a NumPy array in a
                                                              # checkpoint needs weights_only=False)
          "optimizer": copy.deepcopy(opt_b.state_dict())}
    if through_file:
        tg.save(ck, tmp_path / "ck")
        ck = tg.load(tmp_path / "ck")
    c = Twins()
    for p, saved in zip(c.ours, ck["params"]):
        p.data[...] = np.asarray(saved)
    opt_c = cls(c.ours, lr=123.0)                      # options come from the state dict
    opt_c.load_state_dict(ck["optimizer"])
    assert opt_c.param_groups[0]["lr"] == options["lr"]
    run(c, opt_c, None, after)
    run(b, opt_b, None, after)                         # b goes on as if nothing happened
    for p, q, r in zip(a.ours, b.ours, c.ours):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
        np.testing.assert_array_equal(p.numpy(), r.numpy())
        for key, value in opt_a.state[p].items():
            ours = opt_c.state[r][key]
            if isinstance(value, Tensor):
                np.testing.assert_array_equal(value.numpy(), ours.numpy())
                assert not np.shares_memory(ours.numpy(), opt_b.state[q][key].numpy())
            else:
                assert value == ours and type(value) is type(ours)


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "file"])
@pytest.mark.parametrize("name,options", STATEFUL, ids=[c[0] for c in STATEFUL])
def test_resume_from_state_dict_equals_uninterrupted_run(name, options, through_file, tmp_path):
    check_resume(getattr(optim, name), options, through_file, tmp_path)


@pytest.mark.parametrize("name,options", STATEFUL, ids=[c[0] for c in STATEFUL])
def test_load_torch_state_dict_and_continue_like_torch(name, options):
    twins = Twins()
    topt = getattr(torch.optim, name)(twins.theirs, **options)
    run(twins, None, topt, 7)
    for p, q in zip(twins.ours, twins.theirs):
        p.data[...] = q.detach().numpy()
    opt = getattr(optim, name)(twins.ours)
    opt.load_state_dict(topt.state_dict())
    assert all(isinstance(s["step"], Tensor) and s["step"].shape == ()    # torch's 0-d step
               and s["step"].dtype == np.float32 for s in opt.state.values() if "step" in s)
    run(twins, opt, topt, 20)
    assert_params_match(twins, rtol=1e-9, atol=1e-12)


def test_load_state_dict_checks_buffer_shapes():
    p = nn.Parameter(np.ones((2, 3)))
    opt = optim.Adam([p])
    bad = {"state": {0: {"step": 1, "exp_avg": np.zeros(3), "exp_avg_sq": np.zeros((2, 3))}},
           "param_groups": opt.state_dict()["param_groups"]}
    with pytest.raises(ValueError, match=r"exp_avg of parameter 0 has shape \(3,\), the "
                                         r"parameter has \(2, 3\)"):
        opt.load_state_dict(bad)


def test_adamw_stays_decoupled_after_loading_an_adam_state_dict():
    p = nn.Parameter(np.ones(2))
    adam = optim.Adam([p], weight_decay=0.1)
    adamw = optim.AdamW([p])
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
    assert adamw.param_groups[0]["weight_decay"] == 0.1


def test_adagrad_state_exists_before_the_first_step_as_in_torch():
    p = nn.Parameter(np.ones(2))
    q = torch.ones(2, requires_grad=True)
    sd = optim.Adagrad([p], initial_accumulator_value=0.25).state_dict()
    tsd = torch.optim.Adagrad([q], initial_accumulator_value=0.25).state_dict()
    assert sd["state"][0]["step"] == tsd["state"][0]["step"].item() == 0
    np.testing.assert_array_equal(sd["state"][0]["sum"].numpy(), tsd["state"][0]["sum"].numpy())


# ============================================================================ validation
INVALID = [
    ("SGD", dict(lr=-1)), ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1e-2)),
    ("Adam", dict(lr=-1)), ("Adam", dict(eps=-1e-8)), ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(-0.1, 0.999))), ("Adam", dict(betas=(0.9, 1.5))),
    ("Adam", dict(weight_decay=-0.1)),
    ("AdamW", dict(lr=-0.5)), ("AdamW", dict(betas=(0.9, 1.0))), ("AdamW", dict(eps=-1.0)),
    ("AdamW", dict(weight_decay=-1.0)),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(eps=-1.0)), ("RMSprop", dict(momentum=-0.1)),
    ("RMSprop", dict(weight_decay=-0.1)), ("RMSprop", dict(alpha=-0.5)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-0.1)),
    ("Adagrad", dict(weight_decay=-0.1)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1e-10)),
]


@pytest.mark.parametrize("case", INVALID, ids=lambda case: describe(*case))
def test_invalid_options_raise_torchs_error(case):
    name, options = case
    with pytest.raises(Exception) as theirs:
        getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **options)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(optim, name)([nn.Parameter(np.ones(2))], **options)
    assert str(ours.value).startswith(str(theirs.value))      # torch's words, then ours


@pytest.mark.parametrize("name", NAMES)
def test_invalid_options_in_a_param_group_and_in_the_defaults(name):
    p, q = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        getattr(optim, name)([{"params": [p]}, {"params": [q], "lr": -1}], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):   # as torch
        getattr(optim, name)([{"params": [p], "lr": 0.1}], lr=-1)
    with pytest.raises(TypeError, match="lr must be a number, got str"):
        getattr(optim, name)([p], lr="0.1")
    with pytest.raises(ValueError, match="Invalid lr: nan"):
        getattr(optim, name)([p], lr=float("nan"))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        getattr(optim, name)([])


def test_betas_must_be_a_pair():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match=r"betas must be a pair \(beta1, beta2\), got 0.9"):
        optim.Adam([p], betas=0.9)
    with pytest.raises(ValueError, match="betas must be a pair"):
        optim.AdamW([p], betas=(0.9, 0.99, 0.999))
    with pytest.raises(TypeError, match=r"betas\[1\] must be a number, got str"):
        optim.Adam([p], betas=(0.9, "0.999"))


# ============================================================================ step mechanics
@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad"])
def test_step_updates_in_place_and_skips_params_without_grad(name):
    a = nn.Parameter(np.ones(3, np.float32))
    b = nn.Parameter(np.ones(2, np.float32))
    opt = getattr(optim, name)([a, b], lr=0.1)
    state_before = {id(p): dict(s) for p, s in opt.state.items()}
    (a * a).sum().backward()
    memory_a, memory_b = a.numpy(), b.numpy()
    opt.step()
    assert np.shares_memory(a.numpy(), memory_a) and np.shares_memory(b.numpy(), memory_b)
    assert (a.numpy() < 1).all() and a.dtype == np.float32           # updated in place
    np.testing.assert_array_equal(b.numpy(), 1.0)                    # no grad: untouched
    assert a._version == 1 and b._version == 0
    assert opt.state[a]["step"] == 1
    assert opt.state.get(b, {}) == state_before.get(id(b), {})       # nor its state
    assert a.is_leaf and a.requires_grad and tg.is_grad_enabled()


@pytest.mark.parametrize("name", NAMES)
def test_closure_is_called_with_grad_enabled_and_its_loss_returned(name):
    p = nn.Parameter(np.array([3.0]))
    q = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    opt, topt = getattr(optim, name)([p], lr=0.25), getattr(torch.optim, name)([q], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    def torch_closure():
        topt.zero_grad()
        loss = (q * q).sum()
        loss.backward()
        return loss
    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == topt.step(torch_closure).item() == 9.0
    np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["Adam", "RMSprop", "Adagrad"])
def test_a_gradient_of_the_wrong_shape_is_refused(name):
    p = nn.Parameter(np.ones((2, 3)))
    opt = getattr(optim, name)([p])
    with pytest.raises(RuntimeError, match=r"size '\[3\]' to a tensor of size '\[2, 3\]'"):
        p.grad = tensor(np.ones(3))                     # refused by Tensor's grad setter
    opt.step()
    np.testing.assert_array_equal(p.numpy(), 1.0)


def test_hyper_parameters_given_as_numpy_float64_keep_float32_float32():
    twins = Twins(np.float32)
    opt = optim.Adam(twins.ours, lr=np.float64(0.01), betas=(np.float64(0.9), 0.999),
                     eps=np.float64(1e-8), weight_decay=np.float64(0.1))
    run(twins, opt, None, 3)
    assert all(p.dtype == np.float32 for p in twins.ours)
    assert all(v.dtype == np.float32 for s in opt.state.values() for k, v in s.items()
               if k != "step")


def test_optimizers_are_exported_like_torch():
    from tinygrad_sgd.optim import Optimizer
    assert all(issubclass(getattr(optim, name), Optimizer) for name in NAMES)
    assert issubclass(optim.AdamW, optim.Adam)
    assert set(NAMES) | {"Optimizer", "lr_scheduler"} <= set(optim.__all__)
    import torch
    assert all(hasattr(torch.optim, name) for name in optim.__all__)
    assert optim.lr_scheduler.StepLR is not None
