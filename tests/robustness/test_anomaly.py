"""``tinygrad_sgd.autograd.detect_anomaly()``: the first NaN/Inf produced in forward or in
backward raises a FloatingPointError naming the operation (``log (LogBackward)``) and the line
of the user's code that created it — and with the mode off (the default) nothing is checked.
"""
import os
import re
import sys
import threading

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, autograd
from tinygrad_sgd.autograd import detect_anomaly
from tinygrad_sgd.models import SimpleCNN
from tinygrad_sgd.nn import functional as F

HERE = os.path.abspath(__file__)


def here(offset=1):
    """``this_file:line`` of the caller's line + ``offset``."""
    return f"{HERE}:{sys._getframe(1).f_lineno + offset}"


def raises_anomaly(fn):
    with pytest.raises(FloatingPointError) as info:
        fn()
    return str(info.value)


# ============================================================================ off by default
def test_off_by_default_and_free_when_off(monkeypatch):
    assert not autograd.is_anomaly_enabled()

    def forbidden(*args, **kwargs):
        raise AssertionError("an anomaly check ran while the mode is off")
    monkeypatch.setattr(autograd.anomaly, "check_finite", forbidden)
    monkeypatch.setattr(autograd.anomaly, "user_frame", forbidden)
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = x.log() * 0.0                          # -inf, then nan
    assert np.isnan(y.data[0]) and "created_at" not in y.grad_fn.__dict__
    (x.sqrt() + y).sum().backward()            # an infinite gradient: computed, not checked
    assert np.isnan(x.grad.data[0])


def test_context_restores_the_previous_mode_even_on_error():
    with detect_anomaly():
        assert autograd.is_anomaly_enabled()
        with detect_anomaly(check_nan=False):
            assert not autograd.is_anomaly_enabled()
            Tensor([0.0]).log()                 # not checked
        assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()
    with pytest.raises(FloatingPointError):
        with detect_anomaly():
            Tensor([-1.0]).sqrt()
    assert not autograd.is_anomaly_enabled()


def test_the_mode_is_per_thread():
    seen = []
    with detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(autograd.is_anomaly_enabled()))
        t.start()
        t.join()
    assert seen == [False]


# ============================================================================ forward
def test_forward_inf_names_the_op_and_the_users_line():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        line = here()
        msg = raises_anomaly(lambda: x.log())
    assert "log (LogBackward) produced Inf values in its forward output" in msg
    assert f"created at {line} in " in msg


def test_forward_nan_from_zero_over_zero():
    z = Tensor([0.0, 2.0])
    with detect_anomaly():
        a = z * 1.0                             # fine
        line = here()
        msg = raises_anomaly(lambda: a / z)
    assert "div (DivBackward) produced NaN values" in msg and line in msg


def test_forward_anomaly_inside_library_code_points_at_the_users_call():
    model = SimpleCNN()
    x = tg.randn(2, 1, 28, 28)
    with detect_anomaly():
        out = model(x)                          # finite: no error
        target = Tensor(np.array([1, 2]))
        assert np.isfinite(F.nll_loss(out, target).item())
        big = out * 1e20                        # finite in float32 ...
        line = here()
        msg = raises_anomaly(lambda: F.mse_loss(big, tg.zeros(2, 10)))  # ... its square is not
    # (the op that squares: mse_loss's own node, or a mul inside it)
    assert re.search(r"\((MseLoss|Mul)Backward\) produced Inf", msg) and line in msg
    assert "tinygrad_sgd" + os.sep not in msg.split("created at")[1]


def test_nan_coming_in_with_the_data_is_not_blamed_on_the_op():
    data = Tensor([1.0, float("nan")])
    w = Tensor([2.0, 3.0], requires_grad=True)
    with detect_anomaly():
        msg = raises_anomaly(lambda: data * w)
    assert "received NaN/Inf values in its input 0" in msg
    assert "not produced by an operation" in msg


# ============================================================================ backward
def test_backward_inf_names_the_backward_node_and_where_it_was_created():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        line = here()
        y = x.sqrt()                            # sqrt(0) = 0: fine forward
        msg = raises_anomaly(lambda: y.sum().backward())
    assert "sqrt (SqrtBackward) returned Inf values in its gradient for input 0" in msg
    assert f"created at {line} in " in msg


def test_backward_nan_in_a_helper_function_of_the_user():
    def norm(v):
        return (v * v).sum().sqrt()             # the line blamed: inside the user's helper
    line = f"{HERE}:{norm.__code__.co_firstlineno + 1}"
    x = Tensor([0.0, 0.0], requires_grad=True)
    with detect_anomaly():
        n = norm(x)
        msg = raises_anomaly(n.backward)
    assert "SqrtBackward" in msg and line in msg


def test_backward_anomaly_after_a_model_blames_the_users_line():
    tg.manual_seed(0)
    model = SimpleCNN()
    x = tg.randn(2, 1, 28, 28)
    with detect_anomaly():
        out = model(x)
        line = here()
        loss = (out.sum() * 0.0).sqrt()         # sqrt(0) = 0, its derivative is not finite
        msg = raises_anomaly(loss.backward)
    assert "sqrt (SqrtBackward) returned Inf values" in msg and line in msg


def test_backward_checks_what_each_node_returns_not_its_intermediates():
    # d(x^y)/dy = x^y·ln x uses ln 0 = -inf at x = 0, masked to 0 (as torch): no anomaly
    x = Tensor([0.0, 2.0])
    y = Tensor([2.0, 3.0], requires_grad=True)
    with detect_anomaly():
        (x ** y).sum().backward()
    assert y.grad.tolist() == [0.0, pytest.approx(8 * np.log(2.0))]


def test_backward_only_under_the_mode_says_the_creation_place_is_unknown():
    x = Tensor([0.0], requires_grad=True)
    y = x.sqrt().sum()
    with detect_anomaly():
        msg = raises_anomaly(y.backward)
    assert "SqrtBackward" in msg and "run the forward pass inside detect_anomaly() too" in msg
    assert HERE not in msg                      # no made-up line


def test_finite_training_step_passes_under_the_mode():
    tg.manual_seed(0)
    model = SimpleCNN()
    opt = tg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = tg.randn(4, 1, 28, 28), Tensor(np.array([0, 1, 2, 3]))
    with detect_anomaly():
        for _ in range(2):
            opt.zero_grad()
            F.nll_loss(model(x), y).backward()
            opt.step()
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_diverging_training_is_stopped_at_the_first_bad_op():
    w = Tensor([1e30], requires_grad=True)
    opt = tg.optim.SGD([w], lr=1.0)
    with detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"mul \(MulBackward\) produced Inf"):
            for _ in range(5):
                opt.zero_grad()
                loss = (w * w * w).sum()        # 1e90 overflows float32
                loss.backward()
                opt.step()
