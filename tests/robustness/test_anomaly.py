"""``tinygrad_sgd.autograd.detect_anomaly()``, as torch's: the first backward node that returns
a NaN gradient raises ``RuntimeError: Function 'SqrtBackward' returned nan values in its 0th
output.``, after a warning naming the line of the user's code that created the node; NaN/Inf in
forward results and infinite gradients are let through, as torch lets them; with the mode off
(the default) nothing is checked. Every scenario runs on torch too."""
import os
import sys
import threading
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, autograd, tensor
from tinygrad_sgd.autograd import detect_anomaly
from tinygrad_sgd.models import SimpleCNN
from tinygrad_sgd.nn import functional as F

HERE = os.path.abspath(__file__)


def here(offset=1):
    """``this_file:line`` of the caller's line + ``offset``."""
    return f"{HERE}:{sys._getframe(1).f_lineno + offset}"


def outcome(m, program):
    """What ``program(m)`` does under ``m``'s anomaly mode: ("ok", None) or ("RuntimeError",
    message)."""
    with m.autograd.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            program(m)
        except RuntimeError as e:
            return "RuntimeError", str(e)
    return "ok", None


def _log_zero(m):                          # -inf forward, nan after * 0: not checked
    x = m.tensor([0.0, 1.0], requires_grad=True)
    (x.log() * 0.0).sum()


def _masked_softmax(m):                    # the attention idiom: -inf scores, fine gradients
    s = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    mask = m.tensor([[False, True], [False, False]])
    s.masked_fill(mask, float("-inf")).softmax(-1)[:, 0].sum().backward()


def _infinite_gradient(m):                 # sqrt at 0: an inf gradient, let through
    x = m.tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()


def _nan_gradient(m):                      # sqrt at -1: NaN forward, NaN gradient: raised
    x = m.tensor([-1.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()


def _nan_data(m):                          # NaN coming in with the data: a NaN gradient
    w = m.tensor([2.0, 3.0], requires_grad=True)
    (m.tensor([1.0, float("nan")]) * w).sum().backward()


def _pow_at_zero(m):                       # d(x^y)/dy at x = 0: ln 0 masked, no NaN
    y = m.tensor([2.0, 3.0], requires_grad=True)
    (m.tensor([0.0, 2.0]) ** y).sum().backward()


@pytest.mark.parametrize("program", [_log_zero, _masked_softmax, _infinite_gradient,
                                     _nan_gradient, _nan_data, _pow_at_zero],
                         ids=lambda f: f.__name__.strip("_"))
def test_what_raises_is_what_torch_raises(program):
    want, got = outcome(torch, program), outcome(tg, program)
    assert want[0] == got[0], (want, got)
    if want[0] == "RuntimeError":
        assert "returned nan values in its" in want[1] and "returned nan values in its" in got[1]


def test_the_error_names_the_node_and_the_warning_the_users_line():
    x = Tensor([-1.0, 4.0], requires_grad=True)
    with detect_anomaly():
        line = here()
        y = x.sqrt()
        with pytest.warns(UserWarning, match="Error detected in SqrtBackward") as warned, \
                pytest.raises(RuntimeError, match=r"Function 'SqrtBackward' returned nan "
                                                  r"values in its 0th output\."):
            y.sum().backward()
    assert any(line in str(w.message) for w in warned)


def test_a_node_inside_the_library_is_blamed_on_the_users_call():
    model = SimpleCNN()
    x = tg.randn(2, 1, 28, 28)
    with detect_anomaly():
        out = model(x)
        line = here()
        loss = (out.sum() * 0.0 - 1.0).sqrt()   # sqrt(-1): NaN, its gradient NaN
        with pytest.warns(UserWarning) as warned, pytest.raises(RuntimeError, match="nan"):
            loss.backward()
    text = " ".join(str(w.message) for w in warned)
    assert line in text and "tinygrad_sgd" + os.sep not in text.split("caused the error:")[1]


def test_off_by_default_and_free_when_off(monkeypatch):
    assert not autograd.is_anomaly_enabled()

    def forbidden(*args, **kwargs):
        raise AssertionError("an anomaly check ran while the mode is off")
    monkeypatch.setattr(autograd.anomaly, "check_backward_outputs", forbidden)
    monkeypatch.setattr(autograd.anomaly, "user_frame", forbidden)
    x = Tensor([-1.0, 1.0], requires_grad=True)
    y = x.sqrt()
    assert "created_at" not in y.grad_fn.__dict__
    y.sum().backward()                          # a NaN gradient: computed, not checked
    assert np.isnan(x.grad.data[0])


def test_context_restores_the_previous_mode_even_on_error():
    with detect_anomaly():
        assert autograd.is_anomaly_enabled()
        with detect_anomaly(check_nan=False):      # (torch's: on, without the NaN check)
            assert autograd.is_anomaly_enabled()
            assert not tg.is_anomaly_check_nan_enabled()
        assert autograd.is_anomaly_enabled() and tg.is_anomaly_check_nan_enabled()
    assert not autograd.is_anomaly_enabled()
    x = Tensor([-1.0], requires_grad=True)
    with pytest.raises(RuntimeError), pytest.warns(UserWarning):
        with detect_anomaly():
            x.sqrt().sum().backward()
    assert not autograd.is_anomaly_enabled()


def test_the_mode_is_per_thread():
    seen = []
    with detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(autograd.is_anomaly_enabled()))
        t.start()
        t.join()
    assert seen == [False]


def test_finite_training_step_passes_under_the_mode():
    tg.manual_seed(0)
    model = SimpleCNN()
    opt = tg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = tg.randn(4, 1, 28, 28), tensor(np.array([0, 1, 2, 3]))
    with detect_anomaly():
        for _ in range(2):
            opt.zero_grad()
            F.nll_loss(model(x), y).backward()
            opt.step()
    assert all(np.isfinite(p.data).all() for p in model.parameters())
