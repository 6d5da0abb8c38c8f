"""torch's implementation switches of the optimizers — ``foreach``, ``fused``, ``capturable``,
``differentiable`` — as torch's CPU build has them: the same signatures (names, order, kinds,
defaults), the same param-group keys and values (so a state dict or a print is torch's), the
same numbers whichever switch is given (ours have one implementation; torch's fused and foreach
ones agree with its loop to rounding), and torch's errors for what it refuses, where it refuses
it (at construction, or at ``step()``)."""
import inspect

import numpy as np
import pytest
import torch

from tinygrad_sgd import nn, optim
from test_optim_torch import NAMES, Twins, assert_params_match, run

FLAGS = {"SGD": ["foreach", "fused"], "Adam": ["foreach", "fused"],
         "AdamW": ["foreach", "fused"], "RMSprop": ["foreach"], "Adagrad": ["foreach", "fused"]}
CAPTURABLE = ["Adam", "AdamW", "RMSprop"]


@pytest.fixture(autouse=True)
def torch_on_one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _signature(cls):
    return [(n, p.kind, p.default) for n, p in inspect.signature(cls.__init__).parameters.items()]


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_torchs(name):
    assert _signature(getattr(optim, name)) == _signature(getattr(torch.optim, name))


@pytest.mark.parametrize("name", NAMES)
def test_param_group_keys_and_defaults_are_torchs(name):
    ours = getattr(optim, name)([nn.Parameter(np.ones(2))]).state_dict()["param_groups"][0]
    theirs = getattr(torch.optim, name)([torch.ones(2, requires_grad=True)]) \
        .state_dict()["param_groups"][0]
    assert ours == theirs


@pytest.mark.parametrize("name", NAMES)
def test_every_switch_gives_torchs_numbers(name):
    """Each switch on, off and unset: 30 steps of the tanh network, as torch with the same
    switch (float64), and the switch kept in the groups as torch keeps it."""
    base = None
    for flag in FLAGS[name]:
        for value in (True, False, None):
            twins = Twins()
            opt = getattr(optim, name)(twins.ours, lr=0.01, **{flag: value})
            topt = getattr(torch.optim, name)(twins.theirs, lr=0.01, **{flag: value})
            run(twins, opt, topt, 30)
            assert opt.param_groups[0][flag] == topt.param_groups[0][flag] == value
            assert_params_match(twins, rtol=1e-9, atol=1e-12)
            result = [p.numpy().copy() for p in twins.ours]
            if base is None:
                base = result
            assert all(np.array_equal(a, b) for a, b in zip(result, base))   # one implementation


def _outcome(make, step):
    """("ok", None) or (exception class name, message) of constructing and stepping."""
    try:
        opt, params = make()
        step(opt, params)
        return "ok", None
    except Exception as e:            # noqa: BLE001 (compared with torch's)
        return type(e).__name__, str(e)


CASES = [dict(fused=True, foreach=True), dict(fused=True, differentiable=True),
         dict(fused=True, foreach=True, differentiable=True), dict(differentiable=True),
         dict(capturable=True), dict(foreach=False, fused=False), dict(fused=True)]


@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in
                                                                  o.items()))
@pytest.mark.parametrize("name", NAMES)
def test_refusals_are_torchs(name, options):
    keys = set(options)
    accepted = {"capturable"} <= set(inspect.signature(getattr(torch.optim, name)).parameters) \
        if "capturable" in keys else "fused" not in keys or name != "RMSprop"
    if not accepted:           # torch's RMSprop has no fused, SGD and Adagrad no capturable
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            getattr(optim, name)([nn.Parameter(np.ones(2))], **options)
        return

    def ours():
        p = nn.Parameter(np.ones(2))
        return getattr(optim, name)([p], **options), [p]

    def theirs():
        q = torch.ones(2, dtype=torch.float64, requires_grad=True)
        return getattr(torch.optim, name)([q], **options), [q]

    def step_ours(opt, params):
        params[0].grad = nn.Parameter(np.ones(2)).detach()
        opt.step()

    def step_theirs(opt, params):
        params[0].grad = torch.ones(2, dtype=torch.float64)
        opt.step()
    assert _outcome(ours, step_ours) == _outcome(theirs, step_theirs)


def test_a_refused_step_leaves_the_parameters_as_they_were():
    p = nn.Parameter(np.ones(2))
    opt = optim.Adam([p], capturable=True)
    p.grad = nn.Parameter(np.ones(2)).detach()
    with pytest.raises(AssertionError, match="capturable=True"):
        opt.step()
    assert p.numpy().tolist() == [1.0, 1.0] and opt.state == {}


@pytest.mark.parametrize("name", NAMES)
def test_torchs_state_dict_with_its_switches_loads_and_continues(name):
    twins = Twins()
    topt = getattr(torch.optim, name)(twins.theirs, lr=0.01, foreach=False)
    run(twins, None, topt, 5)
    for p, q in zip(twins.ours, twins.theirs):
        p.data[...] = q.detach().numpy()
    opt = getattr(optim, name)(twins.ours, lr=0.01)
    opt.load_state_dict(topt.state_dict())
    assert opt.param_groups[0]["foreach"] is False
    run(twins, opt, topt, 10)
    assert_params_match(twins, rtol=1e-9, atol=1e-12)
