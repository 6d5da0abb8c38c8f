"""Numerical traps, against torch: results AND gradients equal torch's — also where torch gives
inf or nan — and no NumPy RuntimeWarning ever reaches the user.

Each case runs the same function on tinygrad_sgd and on torch, from the same arrays, backward
with a gradient of ones; values and every input's gradient must have torch's dtype, the same
NaN places, the same infinities (with sign), and agree elsewhere within a tight tolerance.
Our side runs with warnings turned into errors (forward, backward and printing the result).

Already tested elsewhere (not repeated): sigmoid at ±1000 and softmax/log_softmax at 1e4 in
tests/test_ops.py (test_sigmoid_does_not_overflow_or_warn_at_1000,
test_softmax_exact_at_large_logits); BCE at p = 0 and 1 in float64 in tests/test_losses.py
(test_binary_cross_entropy_at_zero_and_one_is_finite_and_matches_torch); max/min ties on random
data in tests/test_ops.py (test_max_min_share_gradient_evenly_among_ties, test_max_ties_example).
"""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
from tinygrad_sgd import optim
from tinygrad_sgd.nn import functional as F

DTYPES = [np.float32, np.float64]


def extremes(dtype):
    """±1000, ±100, the largest and the smallest normal numbers, ±0, ±inf and nan."""
    fi = np.finfo(dtype)
    return np.array([-1000, -100, -fi.max, -fi.tiny, -0.0, 0.0, fi.tiny, 1, 100, 1000, fi.max,
                     np.inf, -np.inf, np.nan], dtype=dtype)


def same(ours, theirs, what, rtol, atol):
    """Equal dtype and shape; NaN exactly where torch has NaN; the same ±inf; close elsewhere."""
    a = np.asarray(ours.data)
    b = theirs.detach().numpy()
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype}, torch {b.dtype}"
    assert a.shape == b.shape, f"{what}: shape {a.shape}, torch {b.shape}"
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{what}: NaN places")
    np.testing.assert_array_equal(np.isposinf(a), np.isposinf(b), err_msg=f"{what}: +inf")
    np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b), err_msg=f"{what}: -inf")
    finite = np.isfinite(b)
    np.testing.assert_allclose(a[finite], b[finite], rtol=rtol, atol=atol, err_msg=what)


def check(fn_ours, fn_torch, arrays, rtol=1e-6, atol=0.0, grad_atol=None, backward=True):
    """Run both sides on copies of ``arrays`` (float arrays require grad) and compare."""
    ours = [tg.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # a RuntimeWarning here fails the test
        out = fn_ours(*ours)
        repr(out)
        if backward:
            out.backward(tg.tensor(np.ones(out.shape, out.dtype)))
    ref = fn_torch(*theirs)
    same(out, ref, "value", rtol, atol)
    if backward:
        ref.backward(torch.ones_like(ref))
        for i, (a, b) in enumerate(zip(ours, theirs)):
            if b.grad is not None:
                assert a.grad is not None, f"input {i}: torch has a gradient, we have none"
                same(a.grad, b.grad, f"gradient of input {i}", rtol,
                     atol if grad_atol is None else grad_atol)


# ============================================================================ elementwise
UNARY = {
    "sigmoid": lambda x: x.sigmoid(), "tanh": lambda x: x.tanh(), "exp": lambda x: x.exp(),
    "log": lambda x: x.log(), "sqrt": lambda x: x.sqrt(), "relu": lambda x: x.relu(),
    "abs": lambda x: x.abs(), "neg": lambda x: -x, "square": lambda x: x * x,
    "pow2": lambda x: x ** 2, "reciprocal": lambda x: x ** -1.0,
    "clamp": lambda x: x.clamp(-1.0, 1.0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_ops_at_extremes_match_torch(name, dtype):
    # atol: torch's float32 sigmoid(-100) is 0, ours the true subnormal 3.8e-44
    check(UNARY[name], UNARY[name], [extremes(dtype)], atol=1e-40)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fractional_power_matches_torch_away_from_minus_zero_and_minus_inf(dtype):
    # (at -0.0 and -inf torch's gradient goes through rsqrt and gives -inf / nan, NumPy's pow
    # gives +inf / 0: a convention of the two C libraries, left out here)
    x = extremes(dtype)
    x = x[~((x == 0) & np.signbit(x)) & (x != -np.inf)]
    check(lambda t: t ** 0.5, lambda t: t ** 0.5, [x])


@pytest.mark.parametrize("dtype", DTYPES)
def test_division_by_zero_matches_torch(dtype):
    num = np.array([1.0, -1.0, 0.0, 0.0, np.inf, 2.0, -3.0], dtype)
    den = np.array([0.0, 0.0, 0.0, -0.0, 0.0, np.inf, -0.0], dtype)
    check(lambda a, b: a / b, lambda a, b: a / b, [num, den])
    check(lambda a: a / 0.0, lambda a: a / 0.0, [num])
    check(lambda b: 1.0 / b, lambda b: 1.0 / b, [den])
    check(lambda a, b: (a / b).sum(), lambda a, b: (a / b).sum(), [num[:2], den[:2]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_overflow_in_products_and_sums_gives_inf_quietly(dtype):
    big = np.array([np.finfo(dtype).max, np.finfo(dtype).max], dtype)
    check(lambda a: a * 2.0, lambda a: a * 2.0, [big])
    check(lambda a, b: a + b, lambda a, b: a + b, [big, big])
    check(lambda a, b: a - b, lambda a, b: a - b, [big, -big])
    check(lambda a: a.sum(), lambda a: a.sum(), [big])
    check(lambda a: a.mean(), lambda a: a.mean(), [big])
    m = np.full((2, 2), np.finfo(dtype).max, dtype)
    check(lambda a, b: a @ b, lambda a, b: a @ b, [m, m])
    inf = np.array([np.inf, 0.0, np.inf], dtype)
    check(lambda a, b: a - b, lambda a, b: a - b, [inf, inf])    # inf - inf = nan
    check(lambda a, b: a * b, lambda a, b: a * b, [inf, inf[::-1].copy()])   # 0 · inf = nan


# ============================================================================ softmax family
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["log_softmax", "softmax"])
def test_softmax_family_at_float_extremes_and_infinities(which, dtype):
    fi = np.finfo(dtype)
    logits = np.array([[1e4, 0, -1e4], [-1e4, -1e4, -1e4], [fi.max, 0, -fi.max],
                       [np.inf, 0, 1], [-np.inf, 0, 1], [-np.inf, -np.inf, -np.inf],
                       [np.nan, 0, 1]], dtype)
    # grad atol: torch's rounding leaves 6e-8 (float32) where the exact gradient is 0
    check(lambda x: getattr(x, which)(1), lambda x: getattr(x, which)(1), [logits],
          grad_atol=1e-6 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_logits_of_1e4(reduction, dtype):
    fi = np.finfo(dtype)
    logits = np.array([[1e4, 0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4],
                       [-fi.max, 0.0, fi.max]], dtype)
    target = np.array([0, 1, 2, 0])
    check(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
          lambda x, t: TF.cross_entropy(x, t, reduction=reduction), [logits, target],
          grad_atol=1e-6 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nll_with_every_target_ignored_gives_nan_loss_and_zero_gradient(dtype):
    check(lambda x, t: F.nll_loss(x, t, ignore_index=0),
          lambda x, t: TF.nll_loss(x, t, ignore_index=0),
          [np.zeros((2, 3), dtype), np.array([0, 0])])


# ============================================================================ binary cross entropy
@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_at_probabilities_exactly_zero_and_one(dtype):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-30, 1 - 1e-7], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0], dtype)
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 1.0], dtype)
    for reduction in ("none", "mean", "sum"):
        check(lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction),
              lambda p, y: TF.binary_cross_entropy(p, y, reduction=reduction), [p, y],
              rtol=1e-5)
    check(lambda p, y: F.binary_cross_entropy(p, y, weight=tg.tensor(w)),
          lambda p, y: TF.binary_cross_entropy(p, y, weight=torch.tensor(w)), [p, y],
          rtol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_at_huge_and_infinite_logits(dtype):
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype)
    for logits in ([-1e4, 1e4, 1e4, -1e4, 0.0], [-np.inf, np.inf, np.inf, -np.inf, 0.0]):
        check(lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"),
              lambda x, y: TF.binary_cross_entropy_with_logits(x, y, reduction="none"),
              [np.array(logits, dtype), y])


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_at_overflow_and_infinity(dtype):
    fi = np.finfo(dtype)
    check(lambda a, b: F.mse_loss(a, b), lambda a, b: TF.mse_loss(a, b),
          [np.array([fi.max, np.inf, 1.0], dtype), np.array([-fi.max, np.inf, np.nan], dtype)])


# ============================================================================ max, ties and NaN
TIES = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [np.nan, 1.0, np.nan], [-np.inf, -np.inf, -np.inf],
        [np.inf, 5.0, np.inf]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [slice(0, 2), slice(None)], ids=["ties", "ties+nan+inf"])
def test_max_and_min_over_everything_share_gradient_like_torch(rows, dtype):
    x = np.array(TIES, dtype)[rows]
    check(lambda t: t.max(), lambda t: t.max(), [x])
    check(lambda t: t.min(), lambda t: t.min(), [x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1])
def test_max_min_along_a_dim_with_ties_and_nan(dim, dtype):
    x = np.array(TIES, dtype)
    for name in ("max", "min"):
        check(lambda t: getattr(t, name)(dim)[0], lambda t: getattr(t, name)(dim)[0], [x])
        check(lambda t: getattr(t, name)(dim)[1], lambda t: getattr(t, name)(dim)[1], [x],
              backward=False)
        arg = "arg" + name
        check(lambda t: getattr(t, arg)(dim), lambda t: getattr(t, arg)(dim), [x],
              backward=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride", [2, 1], ids=["tiling", "overlapping"])
def test_max_pool_with_ties_nan_and_minus_inf(stride, dtype):
    # torch takes the first maximum of a window, and its LAST NaN when it holds NaN
    img = np.array([[[[1.0, np.nan, 3.0, 3.0], [np.nan, 2.0, 3.0, 1.0],
                      [5.0, 5.0, -np.inf, -np.inf], [5.0, 5.0, -np.inf, -np.inf]]]], dtype)
    check(lambda x: F.max_pool2d(x, 2, stride), lambda x: TF.max_pool2d(x, 2, stride), [img])


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_abs_clamp_pass_nan_gradients_like_torch(dtype):
    x = np.array([np.nan, -1.0, 0.0, 1.0], dtype)
    for fn in (lambda t: t.relu(), lambda t: t.abs(), lambda t: t.clamp(-0.5, 0.5)):
        check(fn, fn, [x])


# ============================================================================ statistics
@pytest.mark.parametrize("dtype", DTYPES)
def test_std_of_constant_values_has_zero_gradient_like_torch(dtype):
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], dtype)
    check(lambda t: t.std(), lambda t: t.std(), [x[:1]])
    check(lambda t: t.std(1), lambda t: t.std(1), [x])
    check(lambda t: t.std(1, unbiased=False), lambda t: t.std(1, unbiased=False), [x])


# ============================================================================ optimizer
def test_sgd_step_with_infinite_and_nan_gradients_matches_torch_quietly():
    values = np.array([1.0, -2.0, 3.0, 4.0], np.float32)
    grads = np.array([np.inf, -np.inf, np.nan, 1.0], np.float32)
    p = tg.nn.Parameter(values.copy())
    q = torch.nn.Parameter(torch.tensor(values.copy()))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)
    ref = torch.optim.SGD([q], lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)
    for _ in range(2):
        p.grad = tg.tensor(grads.copy())
        q.grad = torch.tensor(grads.copy())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt.step()
        ref.step()
        same(p, q, "parameter after step", 1e-6, 0.0)
