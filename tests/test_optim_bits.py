"""Every optimizer's step bit for bit with torch's single-tensor CPU step (foreach=False), 20 steps,
float32 and float64, with either kernel set (NumPy reference, and numba where it has a kernel:
Adam/AdamW's one-pass update, ``add_scaled``).

torch's CPU element ops round as (found empirically, see :mod:`tinygrad_sgd.kernels.optim`):
``add_(x, alpha)``, ``lerp_`` and ``addcmul_`` are fused multiply-adds (one rounding);
``addcdiv_`` rounds value·t1, the quotient and the sum; a Python number divided by a tensor is
``reciprocal() * number``. One op is not reproducible: torch's ``sqrt`` of 8 elements or more is
MKL's vector sqrt, which is off by one ulp from the IEEE square root for a few elements (and
depends on MKL's code path for the CPU). So the exact table runs torch with the IEEE square root
swapped in (``torch.Tensor.sqrt``/``sqrt_`` → NumPy's): every other op is torch's own. A second
table runs torch untouched and bounds the difference that sqrt alone leaves.
"""
import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels import optim as np_optim
from tinygrad_sgd.kernels.backend import numba_available

torch = pytest.importorskip("torch")

BACKENDS = ["numpy"] + (["numba"] if numba_available() else [])
DTYPES = [np.float32, np.float64]

CASES = [
    ("Adam", {}), ("Adam", dict(weight_decay=0.1)), ("Adam", dict(amsgrad=True)),
    ("Adam", dict(maximize=True, betas=(0.3, 0.99))),          # lerp weight 0.7 (≥ ½ branch)
    ("Adam", dict(decoupled_weight_decay=True, weight_decay=0.1)),
    ("Adam", dict(foreach=False, lr="tensor")),
    ("AdamW", {}), ("AdamW", dict(amsgrad=True, maximize=True)), ("AdamW", dict(lr="tensor")),
    ("Adamax", {}), ("Adamax", dict(weight_decay=0.1, maximize=True)),
    ("NAdam", {}), ("NAdam", dict(weight_decay=0.1)),
    ("NAdam", dict(decoupled_weight_decay=True, weight_decay=0.1, momentum_decay=0.01)),
    ("RAdam", {}), ("RAdam", dict(weight_decay=0.1)),
    ("RAdam", dict(decoupled_weight_decay=True, weight_decay=0.1, maximize=True)),
    ("Adagrad", {}), ("Adagrad", dict(lr_decay=0.01, weight_decay=0.1)),
    ("Adagrad", dict(initial_accumulator_value=0.5, maximize=True)),
    ("Adadelta", {}), ("Adadelta", dict(lr=0.5, weight_decay=0.1, maximize=True)),
    ("RMSprop", {}), ("RMSprop", dict(weight_decay=0.1)), ("RMSprop", dict(centered=True)),
    ("RMSprop", dict(momentum=0.9)), ("RMSprop", dict(centered=True, momentum=0.9, maximize=True)),
    ("ASGD", {}), ("ASGD", dict(weight_decay=0.1, t0=5, lambd=1e-3)),
    ("Rprop", {}), ("Rprop", dict(maximize=True, etas=(0.3, 1.5))),
] + [(name, dict(lr="tensor", foreach=False))         # a Tensor lr: torch's 0-d float32 ops
     for name in ("Adamax", "RAdam", "Adagrad", "Adadelta", "RMSprop", "ASGD", "Rprop")] + [
    ("NAdam", dict(lr="tensor", weight_decay=0.1)),
    ("NAdam", dict(lr="tensor", decoupled_weight_decay=True, weight_decay=0.1)),
]


def bits(a):
    return a.view(np.int32 if a.dtype == np.float32 else np.int64).astype(np.int64)


def run(lib, name, options, dtype, shape=(1037,), steps=20):
    """``steps`` steps of optimizer ``name`` of ``lib`` (torch or tinygrad_sgd) on one
    parameter from fixed random gradients: the parameter and its state's tensors, as arrays."""
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(steps)]
    p = lib.tensor(p0.copy(), requires_grad=True)
    options = dict(options)
    if options.get("lr") == "tensor":
        options["lr"] = lib.tensor(0.01)
    opt = getattr(lib.optim, name)([p], **options)
    for g in grads:
        p.grad = lib.tensor(g)
        opt.step()
    state = [v.detach().numpy().copy() for k, v in sorted(opt.state[p].items())
             if hasattr(v, "detach") and tuple(v.shape) == shape]
    return [p.detach().numpy().copy()] + state


@pytest.fixture
def ieee_sqrt(monkeypatch):
    """torch's ``sqrt``/``sqrt_`` replaced by the IEEE (correctly rounded) square root."""
    def sqrt(t):
        return torch.from_numpy(np.sqrt(t.detach().numpy()))

    def sqrt_(t):
        return t.copy_(sqrt(t))

    monkeypatch.setattr(torch.Tensor, "sqrt", sqrt)
    monkeypatch.setattr(torch.Tensor, "sqrt_", sqrt_)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_twenty_steps_bit_for_bit(restore_backend, ieee_sqrt, backend, dtype, name, options):
    kernels.set_backend(backend)
    with np.errstate(all="ignore"):
        ours = run(tg, name, options, dtype)
    theirs = run(torch, name, options, dtype)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        differ = np.flatnonzero(bits(a) != bits(b))
        assert differ.size == 0, f"{differ.size} elements differ, first at {differ[:5]}"


# Adafactor: not exact. Its step takes 2-norms (of θ, of the update, of g's rows/columns), and
# torch's reduction adds the squares in its own order (8 or 4 vector lanes, then a tail); ours
# (NumPy's pairwise sum) rounds differently by an ulp now and then, which moves α (a scalar
# that multiplies the whole update) — so many elements move by a few of their ulps (up to ~1000
# for elements near 0). Measured after 20 steps: ≤ 1 ulp of the largest |θ|; bound at 8.
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("shape", [(1037,), (37, 29)])
@pytest.mark.parametrize("options", [{}, dict(weight_decay=0.1, maximize=True)])
def test_adafactor_within_ulps(restore_backend, ieee_sqrt, backend, dtype, shape, options):
    kernels.set_backend(backend)
    with np.errstate(all="ignore"):
        ours = run(tg, "Adafactor", options, dtype, shape)[0]
    theirs = run(torch, "Adafactor", options, dtype, shape)[0]
    assert ours.dtype == theirs.dtype
    assert np.abs(ours - theirs).max() <= 8 * np.spacing(np.abs(theirs).max())


# torch untouched: its MKL sqrt is one ulp off the IEEE one in a few elements (see the module
# docstring), which the next steps carry on; measured after 20 steps: relative differences below
# 1e-5 (float32) / 1e-13 (float64) — Adam's a few elements in a thousand, RMSprop's more.
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_twenty_steps_with_torchs_own_sqrt_are_close(restore_backend, backend, dtype, name,
                                                     options):
    kernels.set_backend(backend)
    with np.errstate(all="ignore"):
        ours = run(tg, name, options, dtype)[0]
    theirs = run(torch, name, options, dtype)[0]
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * np.abs(theirs).max())


# ------------------------------------------------------------------------ the element ops
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("n", [5, 8, 17, 1037])        # torch's vector loop and its scalar tail
@pytest.mark.parametrize("op, number", [
    ("lerp_", 0.1), ("lerp_", 0.001), ("lerp_", 0.7), ("lerp_", 1.0), ("lerp_", -0.6),
    ("addcmul_", 0.001), ("addcmul_", 1.0), ("addcmul_", -1.0), ("addcmul_", 3.7),
    ("addcdiv_", -0.001), ("addcdiv_", 1.0), ("addcdiv_", 2.5),
])
def test_element_ops_are_torchs(restore_backend, backend, dtype, n, op, number):
    kernels.set_backend(backend)
    rng = np.random.default_rng(n)
    y, a, b = (rng.standard_normal(n).astype(dtype) for _ in range(3))
    t = [torch.from_numpy(x.copy()) for x in (y, a, b)]
    if op == "lerp_":
        want = t[0].lerp_(t[1], number).numpy()
        got = np_optim.lerp_(y.copy(), a, number)
    elif op == "addcmul_":
        want = t[0].addcmul_(t[1], t[2], value=number).numpy()
        got = np_optim.addcmul_(y.copy(), number, a, b)
    else:
        want = t[0].addcdiv_(t[1], t[2], value=number).numpy()
        got = np_optim.addcdiv_(y.copy(), number, a, b)
    assert got.dtype == want.dtype
    assert np.array_equal(bits(got), bits(want))
