"""Losses and linear algebra where a probe with two new torch programs (every loss module;
a Gaussian process with the linalg tour) found this library's numbers or errors differing
from torch's. Each case against torch 2.13."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
from helpers import bits as _bits
from tinygrad_sgd.nn import functional as F

LIBS = ((torch, TF), (tg, F))


def _error(fn):
    try:
        fn()
    except Exception as e:          # noqa: BLE001 - the class and words are compared
        return isinstance(e, RuntimeError), str(e)
    return None


# ---------------------------------------------------------------- binary_cross_entropy
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_bce_of_small_probabilities_is_torchs_log1p(dtype):
    """ln(1 − x) as log1p(−x), as torch's kernel: at x = 1e-7 (target 0) the rounded 1 − x
    gave 1.19e-7 for torch's 1.0e-7; the target's gradient is torch's −logit(x) (its sign
    of 0 at x = ½ too)."""
    x = np.array([1e-7, 1e-4, 0.5, 0.3, 1 - 1e-4, 0.0, 1.0, 1e-30, 0.999], dtype)
    y = np.array([0, 0, 0, 1, 1, 0, 1, 0, 0.25], dtype)
    out = []
    for L, F_ in LIBS:
        X, Y = L.tensor(x, requires_grad=True), L.tensor(y, requires_grad=True)
        loss = F_.binary_cross_entropy(X, Y, reduction="none")
        loss.backward(L.tensor(np.linspace(-1, 2, len(x)).astype(dtype)))
        out.append((loss.detach().numpy(), X.grad.numpy(), Y.grad.numpy()))
    for ours, theirs in zip(out[1], out[0]):
        _bits(ours, theirs)


def test_bce_of_float64_tiny_probability_is_not_minus_zero():
    x = tg.tensor([1e-17], dtype=tg.float64)
    assert F.binary_cross_entropy(x, tg.zeros(1, dtype=tg.float64), reduction="none").item() \
        == 1e-17


@pytest.mark.parametrize("w_shape", [(2, 1), (3,), (1,), (2,), (1, 1), (4, 1, 3), (2, 2)])
@pytest.mark.parametrize("x_shape", [(1,), (2, 3)])
def test_bce_weight_that_would_grow_the_loss_is_refused_as_torch(w_shape, x_shape):
    def run(L, F_):
        return lambda: F_.binary_cross_entropy(L.full(x_shape, 0.5), L.ones(x_shape),
                                               weight=L.ones(*w_shape), reduction="none")
    theirs, ours = _error(run(*LIBS[0])), _error(run(*LIBS[1]))
    assert ours == theirs
    if theirs is None:
        _bits(run(*LIBS[1])().numpy(), run(*LIBS[0])().numpy())


# ------------------------------------------------------- a loss weight that requires grad
def _weight_cases(L, F_):
    x = L.tensor([[0.2, -1.0, 0.5], [1.5, 0.3, -0.2]], requires_grad=True)
    t, w = L.tensor([0, 2]), L.tensor([0.5, 1.0, 2.0], requires_grad=True)
    p = L.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    return {
        "nll_loss": lambda: F_.nll_loss(x.log_softmax(1), t, weight=w),
        "nll_loss_4d": lambda: F_.nll_loss(x.reshape(1, 3, 2, 1).log_softmax(1),
                                           L.zeros(1, 2, 1, dtype=L.int64), weight=w),
        "nll_loss_x_no_grad": lambda: F_.nll_loss(x.detach(), t, weight=w),
        "cross_entropy": lambda: F_.cross_entropy(x, t, weight=w),
        "cross_entropy_smoothing": lambda: F_.cross_entropy(x, t, weight=w,
                                                            label_smoothing=0.1),
        "cross_entropy_probabilities": lambda: F_.cross_entropy(x, p, weight=w),
        "multi_margin_loss": lambda: F_.multi_margin_loss(x, t, weight=w),
        "binary_cross_entropy": lambda: F_.binary_cross_entropy(p, p, weight=w * 1),
        "bce_with_logits": lambda: F_.binary_cross_entropy_with_logits(x, p, weight=w),
        "bce_with_logits_pos_weight": lambda: F_.binary_cross_entropy_with_logits(
            x, p, pos_weight=w),
    }


@pytest.mark.parametrize("name", list(_weight_cases(torch, TF)))
@pytest.mark.parametrize("grad_mode", [True, False])
def test_a_class_weight_that_requires_grad_is_refused_as_torch(name, grad_mode):
    """torch's losses take no derivative for their weight: it refuses one that requires grad
    (in grad mode), where ours had silently left it out (or, for BCE, differentiated it).
    A probability target's cross_entropy is torch's composite: it differentiates the
    weight."""
    results = []
    for L, F_ in LIBS:
        case = _weight_cases(L, F_)[name]
        with L.set_grad_enabled(grad_mode):
            results.append(_error(case))
    assert results[1] == results[0]


# ----------------------------------------------------------------------- soft_margin_loss
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("y_shape", [(5, 3), (3,), (1, 1)])
def test_soft_margin_loss_second_derivative_is_torchs(dtype, reduction, y_shape):
    """One node with torch's formulas: at x·y ≈ −60 autograd through log1p(exp(·)) gave a
    second derivative of 1 (1/(1+u)² underflows in float32) where torch's is ~0."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((5, 3)) * 30).astype(dtype)
    x[0, :] = [60.0, 50.0, -45.0]
    y = rng.choice([-1.0, 1.0], y_shape).astype(dtype)
    scale = np.linspace(0.5, 2.0, 15).reshape(5, 3).astype(dtype)
    out = []
    for L, F_ in LIBS:
        X = L.tensor(x, requires_grad=True)
        loss = F_.soft_margin_loss(X, L.tensor(y), reduction=reduction)
        if reduction == "none":
            loss = (loss * L.tensor(scale)).sum()
        g, = L.autograd.grad(loss, X, create_graph=True)
        gg, = L.autograd.grad((g * g).sum(), X)
        out.append([loss.detach().numpy(), g.detach().numpy(), gg.numpy()])
    rtol = 1e-5 if dtype == "float32" else 1e-13
    for ours, theirs in zip(out[1], out[0]):
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-30)


def test_soft_margin_loss_refuses_a_target_larger_than_the_input_as_torch():
    errors = [_error(lambda: F_.soft_margin_loss(L.zeros(3), L.ones(5, 3)))
              for L, F_ in LIBS]
    assert errors[1] == errors[0] and errors[0][0]


# ---------------------------------------------------------- SVD of a matrix holding NaN
_NAN = float("nan")


def _svd_cases(L):
    la = L.linalg
    return {
        "svd": lambda a: la.svd(a), "svd_reduced": lambda a: la.svd(a, full_matrices=False),
        "svdvals": la.svdvals, "pinv": la.pinv, "matrix_rank": la.matrix_rank,
        "norm_2": lambda a: la.matrix_norm(a, 2), "norm_nuc": lambda a: la.matrix_norm(a, "nuc"),
        "cond": la.cond, "torch.svd": lambda a: L.svd(a),
    }


@pytest.mark.parametrize("name", list(_svd_cases(torch)))
@pytest.mark.parametrize("batched", [False, True])
def test_svd_of_nan_raises_torchs_linalg_error(name, batched):
    """NumPy's LinAlgError (a ValueError: ``except RuntimeError`` missed it) is torch's:
    "failed to converge because the input matrix contained non-finite values", naming the
    batch element."""
    m = [[_NAN, 1.0], [1.0, 2.0]]
    data = [[[1.0, 1.0], [1.0, 2.0]], m] if batched else m
    errors = []
    for L, _ in LIBS:
        a = L.tensor(data, dtype=L.float64)
        errors.append(_error(lambda: _svd_cases(L)[name](a)))
    assert errors[1] == errors[0]
    assert errors[0][0] and isinstance(_raised(lambda: _svd_cases(tg)[name](
        tg.tensor(data, dtype=tg.float64))), tg.linalg.LinAlgError)


def _raised(fn):
    try:
        fn()
    except Exception as e:      # noqa: BLE001
        return e


# ----------------------------------------------------------------- Cholesky of NaN
@pytest.mark.parametrize("matrix", [
    [[_NAN, 1.0], [1.0, 2.0]], [[2.0, 0.0], [0.0, _NAN]], [[2.0, _NAN], [_NAN, 3.0]],
    [[[2.0, 0.0], [0.0, _NAN]], [[2.0, 1.0], [1.0, 2.0]]], [[2.0, 1.0], [1.0, 2.0]]])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cholesky_stops_at_a_nan_pivot_as_torch(matrix, dtype):
    """NumPy's LAPACK factors past a NaN pivot without a word; torch's stops there: its info,
    its partial factor, and linalg.cholesky's error."""
    out = []
    for L, _ in LIBS:
        a = L.tensor(np.array(matrix, dtype))
        low, info = L.linalg.cholesky_ex(a)
        out.append((low.numpy(), info.numpy(), _error(lambda: L.linalg.cholesky(a))))
    _bits(out[1][0], out[0][0])
    _bits(out[1][1], out[0][1])
    assert out[1][2] == out[0][2]


# ------------------------------------------------------ det and slogdet of NaN / inf
@pytest.mark.parametrize("matrix", [
    [[_NAN, 1.0], [1.0, 1.0]], [[1.0, _NAN], [0.0, 0.0]], [[float("inf"), 1.0], [1.0, 1.0]],
    [[0.0, 0.0], [0.0, 0.0]], [[[_NAN, 1.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_det_and_slogdet_of_nan_are_torchs(matrix, dtype):
    """NumPy's det of [[nan, 1], [1, 1]] was 0 and its slogdet (0, −inf) with a
    RuntimeWarning; torch's LU carries the NaN: det NaN, slogdet (0, NaN), logdet NaN.
    (Other determinants can differ in the last bits: NumPy's det is sign·exp(Σ log|uᵢᵢ|).)"""
    import warnings
    out = []
    for L, _ in LIBS:
        a = L.tensor(np.array(matrix, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sign, logabs = L.linalg.slogdet(a)
            out.append([L.linalg.det(a).numpy(), sign.numpy(), logabs.numpy(),
                        L.logdet(a).numpy()])
    for ours, theirs in zip(out[1], out[0]):
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype


# --------------------------------------------------- solve_triangular's gradient zeros
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular_gradient_has_plain_zeros_outside_its_triangle(upper, unit):
    grads = []
    for L, _ in LIBS:
        A = L.tensor([[2.0, 1.0, -1.0], [1.0, 3.0, 0.5], [0.25, 1.0, 4.0]], requires_grad=True)
        L.linalg.solve_triangular(A, L.ones(3, 2), upper=upper,
                                  unitriangular=unit).sum().backward()
        grads.append(A.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)
    k = int(unit)
    outside = ~(np.triu(np.ones((3, 3), bool), k) if upper else np.tril(np.ones((3, 3), bool), -k))
    _bits(grads[1][outside], grads[0][outside])       # +0., as torch's (a mask's 0·(−x): −0.)


# ----------------------------------------------------------------- mse_loss's target
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_mse_loss_target_gradient_is_torchs_swapped_kernel(reduction):
    """torch differentiates the target with the same kernel, x and y swapped: +0. where
    x = y (the negated input gradient printed −0.)."""
    grads = []
    for L, F_ in LIBS:
        x = L.tensor([1.0, 2.0, 3.0, -0.5], requires_grad=True)
        y = L.tensor([1.0, 1.0, 4.0, -0.5], requires_grad=True)
        loss = F_.mse_loss(x, y, reduction=reduction)
        (loss.sum() if reduction == "none" else loss).backward()
        grads.append((x.grad.numpy(), y.grad.numpy()))
    for ours, theirs in zip(grads[1], grads[0]):
        _bits(ours, theirs)
