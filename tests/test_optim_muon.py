"""Muon against torch.optim.Muon.

torch orthogonalises the update in bfloat16 on every dtype; ours emulates its roundings, so
the Newton–Schulz output is compared bit for bit with torch's own function. Then every option
combination (nesterov, momentum, weight decay, the lr adjustments, ns_steps, coefficients,
eps) takes 100 steps on a tall and a wide matrix next to torch, each combination a param
group of one optimizer: parameters and momentum buffers agree (float64 tightly, float32 stays
float32); a no-bias tanh network trained through both autograds; state_dict layout, resume
and torch's state dict; torch's errors."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import nn, optim, tensor
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.optim.muon import _adjust_lr, _bf16, _lerp_, _zeropower_via_newtonschulz
from test_optim_torch import assert_state_matches, combos, describe
from test_optim_torch import torch_on_one_thread  # noqa: F401  (the fixture, used here too)
from torch.optim import _muon as torch_muon

TF = torch.nn.functional
COEFFICIENTS = (3.4445, -4.775, 2.0315)


# Ours sums a bfloat16 matmul with BLAS in float32, torch with oneDNN in float32 in another
# order: a near-tie can round to the other bfloat16 neighbour, so the Newton–Schulz output is
# compared within a few bfloat16 ulps (most elements are equal to the bit), and parameters
# after many steps within a small tolerance.
EXACT = False
NS_ATOL = 2 ** -5          # bfloat16 ulps of values ≲ 1.5


# ============================================================================ Newton–Schulz
def test_bf16_rounding_is_torchs():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(20000) * 10.0 ** rng.uniform(-30, 30, 20000),
                        [0.0, -0.0, np.inf, -np.inf, 1e-40, 3.0e38]]).astype(np.float32)
    theirs = torch.from_numpy(x).bfloat16().float().numpy()
    np.testing.assert_array_equal(_bf16(x), theirs)
    assert np.isnan(_bf16(np.array([np.nan], np.float32))).all()


def ns_cases():
    rng = np.random.default_rng(1)
    cases = []
    for i in range(60):
        shape = tuple(int(s) for s in rng.integers(1, 12, 2))
        dtype = (np.float32, np.float64)[i % 2]
        scale = 10.0 ** rng.uniform(-4, 3)
        cases.append((rng.standard_normal(shape) * scale).astype(dtype))
    return cases


@pytest.mark.parametrize("steps,coefficients,eps", [
    (5, COEFFICIENTS, 1e-7), (0, COEFFICIENTS, 1e-7), (1, COEFFICIENTS, 1e-7),
    (9, (2.0, -1.5, 0.5), 1e-7), (5, (3.0, -3.2, 1.2), 1e-3)])
def test_newton_schulz_is_torchs_within_bfloat16_ulps(steps, coefficients, eps):
    """Small matrices (as in the optimizer tests below): torch's bfloat16 values within a few
    ulps, on float32 and float64 input, tall and wide (transposed inside)."""
    for x in ns_cases():
        theirs = torch_muon._zeropower_via_newtonschulz(torch.from_numpy(x), coefficients,
                                                        steps, eps)
        assert theirs.dtype == torch.bfloat16
        ours = _zeropower_via_newtonschulz(x, coefficients, steps, eps)
        assert ours.dtype == np.float32 and ours.shape == x.shape
        np.testing.assert_allclose(ours, theirs.float().numpy(), rtol=0, atol=NS_ATOL,
                                   err_msg=str(x.shape))


def test_newton_schulz_on_larger_matrices_and_zeros():
    """Larger matrices: the same up to torch's own summation order inside oneDNN, which
    differs from ours in rare near-ties (then a bfloat16 bit or two downstream)."""
    rng = np.random.default_rng(2)
    identical = 0
    shapes = [(40, 25), (25, 40), (64, 64), (130, 20), (16, 600)]
    for shape in shapes:
        x = rng.standard_normal(shape).astype(np.float32)
        theirs = torch_muon._zeropower_via_newtonschulz(torch.from_numpy(x), COEFFICIENTS,
                                                        5, 1e-7).float().numpy()
        ours = _zeropower_via_newtonschulz(x, COEFFICIENTS, 5, 1e-7)
        identical += np.array_equal(ours, theirs)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=2 ** -5)
        # roughly orthogonal: singular values in about [0.5, 1.5]
        s = np.linalg.svd(ours.astype(np.float64), compute_uv=False)
        assert 0.4 < s.min() and s.max() < 1.6
    assert identical >= len(shapes) - 1 or not EXACT
    zero = np.zeros((3, 4))
    np.testing.assert_array_equal(_zeropower_via_newtonschulz(zero, COEFFICIENTS, 5, 1e-7), 0)


@pytest.mark.parametrize("weight", [0.05, 0.3, 0.5, 0.95, 1.0])
@pytest.mark.parametrize("n", [12, 1000])
def test_float32_lerp_is_torchs_fused_one_bit_for_bit(n, weight):
    """torch's CPU lerp_ is a fused multiply-add (its scalar loop too): ours in float32 is
    the same to the bit; float64 within a rounding."""
    rng = np.random.default_rng(n)
    for dtype, rtol in ((np.float32, 0), (np.float64, 1e-15)):
        a, b = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
        ours = a.copy()
        _lerp_(ours, b, weight)
        theirs = torch.from_numpy(a.copy()).lerp_(torch.from_numpy(b), weight).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0 if rtol == 0 else 1e-15)


@pytest.mark.parametrize("fn", [None, "original", "match_rms_adamw"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (7, 7), (100, 3)])
def test_learning_rate_adjustment_is_torchs(fn, shape):
    assert _adjust_lr(0.02, fn, shape) == torch_muon._adjust_lr(0.02, fn, torch.Size(shape))


# ============================================================================ the problem
class Matrix:
    """A robust regression with only a weight matrix W (rows × cols), ours and torch's from
    the same start: loss mean(log cosh(x·Wᵀ − y)), gradient by hand (R = tanh(x·Wᵀ − y)/n,
    ∂W = Rᵀx), one formula for both, so they differ only by their optimizers."""

    def __init__(self, shape, dtype=np.float64, seed=0):
        rng = np.random.default_rng(seed)
        rows, cols = shape
        self.x = rng.standard_normal((16, cols)).astype(dtype)
        self.y = (3.0 * self.x @ rng.standard_normal((cols, rows)) + 1.0).astype(dtype)
        w = (rng.standard_normal(shape) * 0.5).astype(dtype)
        self.ours = [nn.Parameter(w.copy())]
        self.theirs = [torch.tensor(w.copy(), requires_grad=True)]

    def gradient(self, w):
        r = np.tanh(self.x @ w.T - self.y) / len(self.x)
        return r.T @ self.x

    def backward(self):
        self.ours[0].grad = tensor(self.gradient(self.ours[0].numpy()))
        self.theirs[0].grad = torch.from_numpy(self.gradient(self.theirs[0].detach().numpy()))


def run_pair(problems, opt, topt, steps):
    for _ in range(steps):
        for o in (opt, topt):
            if o is not None:
                o.zero_grad()
        for problem in problems:
            problem.backward()
        for o in (opt, topt):
            if o is not None:
                o.step()


TABLE = combos(nesterov=[True, False], momentum=[0.95, 0.0], weight_decay=[0.1, 0],
               adjust_lr_fn=[None, "original", "match_rms_adamw"])
EXTRA = [dict(ns_steps=3), dict(ns_steps=0, momentum=0.5), dict(eps=1e-2, lr=0.05),
         dict(ns_coefficients=(2.0, -1.5, 0.5), nesterov=False),
         dict(ns_coefficients=[3.0, -3.2, 1.2], lr=0.005)]
# a wide matrix too: not transposed inside Newton–Schulz, and another lr adjustment
WIDE = combos(nesterov=[True, False], adjust_lr_fn=[None, "original", "match_rms_adamw"])


def run_table(dtype, steps):
    """Every combination, each its own param group of one optimizer."""
    cases = [((4, 3), o) for o in TABLE + EXTRA] + [((3, 5), o) for o in WIDE]
    problems = [Matrix(shape, dtype, seed=i) for i, (shape, _) in enumerate(cases)]
    groups = [dict(params=p.ours, **o) for p, (_, o) in zip(problems, cases)]
    tgroups = [dict(params=p.theirs, **o) for p, (_, o) in zip(problems, cases)]
    opt, topt = optim.Muon(groups, lr=0.02), torch.optim.Muon(tgroups, lr=0.02)
    starts = [p.ours[0].numpy().copy() for p in problems]
    run_pair(problems, opt, topt, steps)
    return cases, problems, starts, opt, topt


def test_every_option_combination_matches_torch_for_100_steps_in_float64():
    """float64: torch's last step θ + (−γ')·O is one fused multiply-add, ours two roundings:
    the parameters differ in their last bits (and so the gradients, by far too little to move
    a bfloat16 rounding)."""
    cases, problems, starts, opt, topt = run_table(np.float64, 100)
    rtol, atol = (1e-9, 1e-12) if EXACT else (1e-3, 1e-3)
    for (shape, options), problem, start in zip(cases, problems, starts):
        what = describe(f"Muon{shape}", options)
        p, q = problem.ours[0], problem.theirs[0]
        assert np.abs(p.numpy() - start).max() > 0.05, what
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=what)
        assert_state_matches(opt, topt, problem.ours, problem.theirs, rtol=rtol, atol=atol,
                             what=what)


def test_every_option_combination_matches_torch_in_float32_bit_for_bit():
    """float32: every step is torch's to the bit (the fused last step is emulated in
    float64), so after 100 steps parameters and buffers are identical."""
    cases, problems, _, opt, topt = run_table(np.float32, 100)
    atol = 0 if EXACT else 1e-3
    for (shape, options), problem in zip(cases, problems):
        what = describe(f"Muon{shape}", options)
        p, q = problem.ours[0], problem.theirs[0]
        assert p.dtype == np.float32, what
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=0, atol=atol,
                                   err_msg=what)
        assert_state_matches(opt, topt, problem.ours, problem.theirs, rtol=0, atol=atol,
                             what=what)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_training_a_network_without_biases_matches_torch(dtype):
    """A 3 → 6 → 2 tanh network (weights only) trained through both libraries' autograd."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 3)).astype(dtype)
    y = np.sin(x @ rng.standard_normal((3, 2))).astype(dtype)
    weights = [(rng.standard_normal(s) * 0.5).astype(dtype) for s in [(6, 3), (2, 6)]]
    ours = [nn.Parameter(w.copy()) for w in weights]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    opt = optim.Muon(ours, lr=0.02, adjust_lr_fn="match_rms_adamw")
    topt = torch.optim.Muon(theirs, lr=0.02, adjust_lr_fn="match_rms_adamw")
    for _ in range(60):
        opt.zero_grad()
        F.mse_loss(F.linear(F.tanh(F.linear(tensor(x), ours[0])), ours[1]), tensor(y)).backward()
        opt.step()
        topt.zero_grad()
        TF.mse_loss(TF.linear(torch.tanh(TF.linear(torch.from_numpy(x), theirs[0])),
                              theirs[1]), torch.from_numpy(y)).backward()
        topt.step()
    rtol, atol = (1e-9, 1e-12) if dtype == np.float64 else (1e-5, 1e-6)
    if not EXACT:
        rtol, atol = 1e-3, 1e-3
    for p, q in zip(ours, theirs):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=rtol, atol=atol)


def test_defaults_are_torchs():
    ours = optim.Muon([nn.Parameter(np.ones((2, 2)))]).param_groups[0]
    theirs = torch.optim.Muon([torch.ones(2, 2, requires_grad=True)]).param_groups[0]
    assert {k: v for k, v in ours.items() if k != "params"} \
        == {k: v for k, v in theirs.items() if k != "params"}
    assert "Muon" in optim.__all__ and issubclass(optim.Muon, optim.Optimizer)


# ============================================================================ state dict
def two_groups():
    a, b = Matrix((4, 3), seed=0), Matrix((3, 5), seed=1)
    opt = optim.Muon([{"params": a.ours}, {"params": b.ours, "nesterov": False,
                                           "adjust_lr_fn": "match_rms_adamw"}], lr=0.02)
    topt = torch.optim.Muon([{"params": a.theirs}, {"params": b.theirs, "nesterov": False,
                                                    "adjust_lr_fn": "match_rms_adamw"}],
                            lr=0.02)
    return [a, b], opt, topt


def test_state_dict_layout_matches_torch():
    problems, opt, topt = two_groups()
    run_pair(problems, opt, topt, 3)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["state"].keys() == tsd["state"].keys() == {0, 1}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    for group, tgroup in zip(sd["param_groups"], tsd["param_groups"]):
        assert group == tgroup
    for i, state in sd["state"].items():
        assert list(state) == list(tsd["state"][i]) == ["momentum_buffer"]
        np.testing.assert_allclose(state["momentum_buffer"].numpy(),
                                   tsd["state"][i]["momentum_buffer"].numpy(), rtol=1e-12)
    assert sd["state"][0]["momentum_buffer"] is opt.state[problems[0].ours[0]]["momentum_buffer"]


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "file"])
def test_resume_from_state_dict_equals_uninterrupted_run(through_file, tmp_path):
    (a1, a2), opt_a, _ = two_groups()
    run_pair([a1, a2], opt_a, None, 20)
    (b1, b2), opt_b, _ = two_groups()
    run_pair([b1, b2], opt_b, None, 8)
    ck = {"params": [b1.ours[0].detach().clone(), b2.ours[0].detach().clone()],
          "optimizer": opt_b.state_dict()}
    if through_file:
        tg.save(ck, tmp_path / "ck")
        ck = tg.load(tmp_path / "ck")
    (c1, c2), _, _ = two_groups()
    for c, saved in zip((c1, c2), ck["params"]):
        c.ours[0].data[...] = np.asarray(saved)
    opt_c = optim.Muon([{"params": c1.ours}, {"params": c2.ours}], lr=123.0)
    opt_c.load_state_dict(ck["optimizer"])
    assert opt_c.param_groups[1]["adjust_lr_fn"] == "match_rms_adamw"
    run_pair([c1, c2], opt_c, None, 12)
    for a, c in zip((a1, a2), (c1, c2)):
        np.testing.assert_array_equal(a.ours[0].numpy(), c.ours[0].numpy())


def test_load_torch_state_dict_and_continue_like_torch():
    problems, _, topt = two_groups()
    run_pair(problems, None, topt, 7)
    for problem in problems:
        problem.ours[0].data[...] = problem.theirs[0].detach().numpy()
    opt = optim.Muon([{"params": problems[0].ours}, {"params": problems[1].ours}])
    opt.load_state_dict(topt.state_dict())
    run_pair(problems, opt, topt, 20)
    for problem in problems:
        np.testing.assert_allclose(problem.ours[0].numpy(), problem.theirs[0].detach().numpy(),
                                   rtol=1e-9 if EXACT else 1e-3, atol=1e-12 if EXACT else 1e-3)


# ============================================================================ errors
INVALID = [dict(lr=-1.0), dict(momentum=-0.5), dict(weight_decay=-0.1),
           dict(adjust_lr_fn="sqrt")]


@pytest.mark.parametrize("options", INVALID, ids=lambda o: describe("Muon", o))
def test_invalid_options_raise_torchs_error(options):
    with pytest.raises(Exception) as theirs:
        torch.optim.Muon([torch.ones(2, 2, requires_grad=True)], **options)
    with pytest.raises(type(theirs.value)) as ours:
        optim.Muon([nn.Parameter(np.ones((2, 2)))], **options)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2), ()])
def test_only_2d_parameters_are_accepted(shape):
    with pytest.raises(ValueError) as theirs:
        torch.optim.Muon([torch.ones(shape, requires_grad=True)])
    with pytest.raises(ValueError) as ours:
        optim.Muon([nn.Parameter(np.ones(shape))])
    assert str(ours.value).replace("tinygrad_sgd.Size", "torch.Size") == str(theirs.value)


def step_error(options, add_vector=False):
    """The error of the first step, torch's and ours (None where it raises nothing)."""
    errors = []
    for lib, param in ((torch, lambda s: torch.ones(s, requires_grad=True)),
                       (tg, lambda s: nn.Parameter(np.ones(s)))):
        opt = (torch.optim if lib is torch else optim).Muon([param((2, 3))], **options)
        params = [g["params"][0] for g in opt.param_groups]
        if add_vector:                  # torch checks 2-D-ness only in the constructor
            v = param((3,))
            opt.add_param_group({"params": [v]})
            params.append(v)
        for p in params:
            p.grad = torch.ones_like(p) if lib is torch else tensor(np.ones(p.shape))
        try:
            opt.step()
            errors.append(None)
        except Exception as error:      # noqa: BLE001  (compared below)
            errors.append(error)
    return errors


@pytest.mark.parametrize("options,add_vector", [
    (dict(ns_steps=100), False), (dict(ns_coefficients=(1.0, 2.0)), False), ({}, True)])
def test_step_time_errors_are_torchs(options, add_vector):
    theirs, ours = step_error(options, add_vector)
    assert theirs is not None and type(ours) is type(theirs)
    assert str(ours) == str(theirs)


def test_step_skips_parameters_without_grad_and_updates_in_place():
    a, b = nn.Parameter(np.ones((2, 3), np.float32)), nn.Parameter(np.ones((3, 2), np.float32))
    opt = optim.Muon([a, b], lr=0.1)
    a.grad = tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    memory = a.numpy()
    opt.step()
    assert np.shares_memory(a.numpy(), memory) and a.dtype == np.float32
    assert a._version == 1 and b._version == 0 and b not in opt.state
    np.testing.assert_array_equal(b.numpy(), 1.0)
    assert opt.step(lambda: 7.0) == 7.0
