"""Optimizers with hyper-parameters given as Tensors, and Muon's last step, against torch.optim
(2.13), where a probe found them apart — each the same program run on both libraries, the
parameters (and state) compared bit for bit:

- RAdam with a Tensor lr and decoupled weight decay: torch's 1 − γλ is a float32 tensor op;
- ASGD with a Tensor lr: its next step size γ/(1 + λγt)^α is float32 tensor arithmetic, and
  torch's float32 ``pow`` is ``std::pow`` in double, rounded (NumPy's float32 ``**`` is not);
- Muon's update θ·(1 − γλ) − γ'·O: a fused multiply-add in float64 too, and a Tensor lr's
  float32 roundings (the Newton–Schulz output, which is bfloat16 matmul sums in each library's
  order, is replaced on both sides by one shared function, so only the step is compared);
- Adam/AdamW with Tensor betas: torch's bias corrections are float32 tensor ops (lr/(1 − β₁ᵗ)
  a reciprocal times lr), the lerp weight 1 − β₁ is in the parameter's dtype;
- Adam/AdamW's refusals of a Tensor lr or Tensor betas beside ``foreach=True``, and of one
  Tensor beta beside a float.

torch's CPU square root is not always correctly rounded (see tests/test_optim_bits.py), so
torch runs here with the IEEE square root swapped in (``sqrt``, ``sqrt_`` and ``** 0.5``).
"""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def ieee_sqrt(monkeypatch):
    """torch's ``sqrt``/``sqrt_``/``t ** 0.5`` replaced by the IEEE square root; one thread."""
    def sqrt(t):
        return torch.from_numpy(np.asarray(np.sqrt(t.detach().numpy())))

    original_pow = torch.Tensor.__pow__

    def power(t, exponent):
        if isinstance(exponent, float) and exponent == 0.5:
            return sqrt(t)
        return original_pow(t, exponent)

    monkeypatch.setattr(torch.Tensor, "sqrt", sqrt)
    monkeypatch.setattr(torch.Tensor, "sqrt_", lambda t: t.copy_(sqrt(t)))
    monkeypatch.setattr(torch.Tensor, "__pow__", power)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def bits(a):
    a = np.atleast_1d(np.asarray(a))
    return a.view(np.int32 if a.dtype == np.float32 else np.int64)


def assert_bitwise(ours, theirs, what=""):
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype == b.dtype, what
        differ = np.flatnonzero(bits(a) != bits(b))
        assert differ.size == 0, f"{what}: array {i}: {differ.size} elements differ"


def run(lib, name, options, dtype, steps=30, shapes=((9, 7), (13,)), seed=0):
    """``steps`` steps of ``lib.optim.<name>`` from fixed weights and gradients; ``options``
    values that are callables get ``lib`` (for Tensors). Returns the parameters and every
    state entry, as arrays."""
    rng = np.random.default_rng(seed)
    params = [lib.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
              for s in shapes]
    options = {k: v(lib) if callable(v) else v for k, v in options.items()}
    opt = getattr(lib.optim, name)(params, **options)
    for _ in range(steps):
        for p in params:
            p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype))
        opt.step()
    state = [v.detach().numpy() for p in params for _, v in sorted(opt.state[p].items())
             if hasattr(v, "detach")]
    return [p.detach().numpy() for p in params] + state


def tensor_lr(value):
    return lambda lib: lib.tensor(value)


def describe(options):
    """A test id: the options, a Tensor-making callable shown as "tensor"."""
    return ",".join(f"{k}={'tensor' if callable(v) else v}" for k, v in (options or {}).items())


# ---------------------------------------------------------------- RAdam, ASGD: a Tensor lr
# before the fix: RAdam's float64 cases differed by ~1e-7 (relative) from the first step
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("maximize", [False, True])
def test_radam_tensor_lr_with_decoupled_weight_decay_is_torchs(dtype, maximize):
    options = dict(lr=tensor_lr(0.01), weight_decay=0.1, decoupled_weight_decay=True,
                   maximize=maximize)
    assert_bitwise(run(tg, "RAdam", options, dtype), run(torch, "RAdam", options, dtype))


# before the fix: every case with λ = 0.1 (float32: eta a few ulps off; float64 params then
# ~1e-7 apart); α = 0.5 and 2 are the exponents torch's pow computes otherwise
ASGD_CASES = [dict(lambd=0.1), dict(lambd=0.1, alpha=0.3, t0=5), dict(lambd=0.05, alpha=0.5),
              dict(lambd=0.05, alpha=2.0), dict(lambd=1e-4, weight_decay=0.1, maximize=True)]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("options", ASGD_CASES, ids=describe)
def test_asgd_tensor_lr_step_sizes_are_torchs(dtype, options):
    options = dict(options, lr=tensor_lr(0.02))
    assert_bitwise(run(tg, "ASGD", options, dtype, steps=40),
                   run(torch, "ASGD", options, dtype, steps=40))


# ---------------------------------------------------------------- Muon's step
def shared_newton_schulz(grad, ns_coefficients, ns_steps, eps):
    """Stands in for both libraries' Newton–Schulz: the update rounded to float32, halved
    (exact arithmetic, so that the two sides' updates are the same numbers)."""
    if isinstance(grad, torch.Tensor):
        return grad.float() * 0.5
    return grad.astype(np.float32) * np.float32(0.5)


# before the fix: float64 differed in the last bits (θ − γ'·O rounded twice), and a Tensor
# lr's by ~1e-7 (1 − γλ and γ' taken in double, torch's in float32)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("options", [dict(lr=0.02), dict(lr=tensor_lr(0.02)),
                                     dict(lr=tensor_lr(0.05), adjust_lr_fn="match_rms_adamw",
                                          weight_decay=0.3, nesterov=False)],
                         ids=["float-lr", "tensor-lr", "tensor-lr-adamw-rms"])
def test_muon_step_around_newton_schulz_is_torchs(monkeypatch, dtype, options):
    from torch.optim import _muon
    monkeypatch.setattr(_muon, "_zeropower_via_newtonschulz", shared_newton_schulz)
    monkeypatch.setattr(tg.optim.muon, "_zeropower_via_newtonschulz", shared_newton_schulz)
    shapes = ((9, 5), (4, 11))
    assert_bitwise(run(tg, "Muon", options, dtype, shapes=shapes),
                   run(torch, "Muon", options, dtype, shapes=shapes))


# ---------------------------------------------------------------- Adam: Tensor betas
def tensor_betas(b1, b2, dtype="float32"):
    return lambda lib: (lib.tensor(b1, dtype=getattr(lib, dtype)),
                        lib.tensor(b2, dtype=getattr(lib, dtype)))


# before the fix: all differed (float32 by a few ulps, float64 params by ~1e-7)
BETAS_CASES = [("Adam", {}), ("Adam", dict(amsgrad=True)), ("Adam", dict(weight_decay=0.1)),
               ("Adam", dict(lr=tensor_lr(0.01), maximize=True)),
               ("Adam", dict(decoupled_weight_decay=True, weight_decay=0.1)),
               ("Adam", dict(betas=tensor_betas(0.3, 0.9))),
               ("Adam", dict(betas=tensor_betas(0.9, 0.999, "float64"))),
               ("AdamW", {}), ("AdamW", dict(lr=tensor_lr(0.01), amsgrad=True))]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name,options", BETAS_CASES,
                         ids=[f"{n}-{describe(o)}" for n, o in BETAS_CASES])
def test_adam_with_tensor_betas_is_torchs(dtype, name, options):
    options = dict({"betas": tensor_betas(0.9, 0.999), "lr": 0.01}, **options)
    assert_bitwise(run(tg, name, options, dtype), run(torch, name, options, dtype))


def outcome(lib, name, options, add_group=None):
    """What ``name(options)`` then a step does: ("ok",) or the error's class and message."""
    p, q = (lib.tensor(np.ones(3, np.float32), requires_grad=True) for _ in range(2))
    options = {k: v(lib) if callable(v) else v for k, v in options.items()}
    try:
        opt = getattr(lib.optim, name)([p], **options)
        if add_group is not None:
            opt.add_param_group({"params": [q], **{k: v(lib) if callable(v) else v
                                                   for k, v in add_group.items()}})
        for t in (p, q):
            t.grad = lib.tensor(np.full(3, 0.5, np.float32))
        opt.step()
        return ("ok",)
    except Exception as e:          # noqa: BLE001  (the class is what is compared)
        return (type(e).__name__, str(e))


# before the fix: ours accepted all of these and stepped
REFUSALS = [
    ("Adam", dict(lr=tensor_lr(0.01), foreach=True), None),
    ("AdamW", dict(lr=tensor_lr(0.01), foreach=True), None),
    ("Adam", dict(lr=0.01, foreach=True), dict(lr=tensor_lr(0.02))),    # at step()
    ("Adam", dict(betas=lambda lib: (lib.tensor(0.9), 0.999)), None),
    ("AdamW", dict(betas=lambda lib: (0.9, lib.tensor(0.999))), None),
    ("Adam", dict(betas=tensor_betas(0.9, 0.999), foreach=True), None),
    ("AdamW", dict(betas=tensor_betas(0.9, 0.999), foreach=True), None),
]


@pytest.mark.parametrize("name,options,add_group", REFUSALS,
                         ids=[f"{n}-{describe(o)}-{describe(g)}" for n, o, g in REFUSALS])
def test_tensor_hyper_parameters_refused_as_torch(name, options, add_group):
    theirs = outcome(torch, name, options, add_group)
    assert theirs[0] != "ok"
    assert outcome(tg, name, options, add_group) == theirs


def test_adam_keeps_tensor_betas_as_torch():
    """1-element betas become 0-d Tensors in the group (torch's ``_to_scalar``)."""
    for lib in (tg, torch):
        p = lib.tensor(np.ones(2, np.float32), requires_grad=True)
        opt = lib.optim.Adam([p], betas=(lib.tensor([0.9]), lib.tensor([[0.99]])))
        assert [tuple(b.shape) for b in opt.param_groups[0]["betas"]] == [(), ()]
