"""conv2d, max_pool2d and avg_pool2d against torch: value, gradient for every input and
second-order gradient, over batch 1–4, channels 1–4, sizes 5–14, kernels 1–5, stride 1–3,
padding 0–2, dilation 1–2, in float64; max pooling also on inputs full of exact ties (torch
routes the gradient to the FIRST maximum of a window, and so must we)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor
from tinygrad_sgd.nn import functional as F

RTOL, ATOL = 1e-9, 1e-9


def _close(ours, theirs, what):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    np.testing.assert_allclose(ours.numpy() if isinstance(ours, Tensor) else ours, theirs,
                               rtol=RTOL, atol=ATOL, err_msg=what)


def _pair(t):
    return Tensor(t.copy(), requires_grad=True), torch.tensor(t.copy(), requires_grad=True)


@st.composite
def conv_cases(draw):
    n, c, f = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h, w = draw(st.integers(5, 14)), draw(st.integers(5, 14))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = draw(st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2))))
    dilation = draw(st.integers(1, 2))
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    # the dilated kernel must fit into the padded input
    kh = min(kh, (h + 2 * ph - 1) // dilation + 1)
    kw = min(kw, (w + 2 * pw - 1) // dilation + 1)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return dict(x=rng.standard_normal((n, c, h, w)), w=rng.standard_normal((f, c, kh, kw)),
                b=rng.standard_normal(f), stride=stride, padding=padding, dilation=dilation,
                rng=rng)


@given(conv_cases(), st.booleans())
def test_conv2d_value_gradients_and_second_order_match_torch(case, with_bias):
    (x, xt), (w, wt), (b, bt) = _pair(case["x"]), _pair(case["w"]), _pair(case["b"])
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    y = F.conv2d(x, w, b if with_bias else None, **kw)
    yt = TF.conv2d(xt, wt, bt if with_bias else None, **kw)
    _close(y, yt, "conv2d forward")
    assert y.dtype == np.float64

    gy = case["rng"].standard_normal(yt.shape)
    ins, tins = ([x, w, b], [xt, wt, bt]) if with_bias else ([x, w], [xt, wt])
    grads = tg.autograd.grad((y * Tensor(gy)).sum(), ins, create_graph=True)
    tgrads = torch.autograd.grad((yt * torch.tensor(gy)).sum(), tins, create_graph=True)
    for name, g, tg_ in zip("xwb", grads, tgrads):
        _close(g, tg_, f"d/d{name}")

    # second order: differentiate a weighted sum of the first gradients again
    us = [case["rng"].standard_normal(g.shape) for g in grads[:2]]
    z = sum((g * Tensor(u)).sum() for g, u in zip(grads[:2], us))
    zt = sum((g * torch.tensor(u)).sum() for g, u in zip(tgrads[:2], us))
    h = tg.autograd.grad(z, [x, w])
    ht = torch.autograd.grad(zt, [xt, wt])
    for name, a, b_ in zip("xw", h, ht):
        _close(a, b_, f"second order d/d{name}")


@st.composite
def pool_cases(draw, ties):
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h, w = draw(st.integers(5, 14)), draw(st.integers(5, 14))
    k = draw(st.integers(1, 5))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    padding = draw(st.integers(0, min(2, k // 2)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = (rng.integers(0, 3, (n, c, h, w)).astype(np.float64) if ties
         else rng.standard_normal((n, c, h, w)))
    return dict(x=x, k=k, stride=stride, padding=padding, rng=rng)


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "many-ties"])
@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
@given(data=st.data())
def test_pooling_value_gradient_and_second_order_match_torch(op, ties, data):
    case = data.draw(pool_cases(ties))
    ours, theirs = getattr(F, op), getattr(TF, op)
    x, xt = _pair(case["x"])
    args = (case["k"], case["stride"], case["padding"])
    y, yt = ours(x, *args), theirs(xt, *args)
    _close(y, yt, f"{op} forward")
    gy = case["rng"].standard_normal(yt.shape)
    gyv, gyt = _pair(gy)
    (g,) = tg.autograd.grad((y * gyv).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((yt * gyt).sum(), xt, create_graph=True)
    _close(g, gt, f"{op} gradient (ties={ties})")
    # the gradient is linear in the incoming gradient: its derivative w.r.t. gy
    u = case["rng"].standard_normal(x.shape)
    (h,) = tg.autograd.grad((g * Tensor(u)).sum(), gyv)
    (ht,) = torch.autograd.grad((gt * torch.tensor(u)).sum(), gyt)
    _close(h, ht, f"{op} second order")


def test_max_pool_first_maximum_rule_on_a_flat_window():
    x = Tensor(np.zeros((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 0], [0, 0]])


def test_float32_stays_float32_and_matches_torch_to_float32_precision():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    y = F.max_pool2d(F.conv2d(Tensor(x), Tensor(w), padding=1), 2)
    yt = TF.max_pool2d(TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1), 2)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5, atol=1e-5)


def test_unbatched_input_and_threads_give_the_same_result():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 20, 20)).astype(np.float32)
    w = rng.standard_normal((6, 3, 5, 5)).astype(np.float32)
    single = F.conv2d(Tensor(x), Tensor(w))
    batched = F.conv2d(Tensor(x[None]), Tensor(w))
    np.testing.assert_allclose(single.numpy(), batched.numpy()[0], rtol=1e-6)
    before = tg.get_num_threads()
    big = Tensor(rng.standard_normal((64, 3, 28, 28)).astype(np.float32), requires_grad=True)
    results = []
    try:
        for n in (1, 2):
            tg.set_num_threads(n)
            big.grad = None
            F.max_pool2d(F.conv2d(big, Tensor(w)), 2).sum().backward()
            results.append(big.grad.numpy().copy())
    finally:
        tg.set_num_threads(before)
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(tg.ones(1, 3, 8, 8), tg.ones(4, 2, 3, 3)), "input has 3 channels"),
    (lambda: F.conv2d(tg.ones(1, 1, 4, 4), tg.ones(1, 1, 7, 7)), "larger than the padded input"),
    (lambda: F.conv2d(tg.ones(1, 1, 4, 4), tg.ones(1, 1, 3)), "weight must be 4-D"),
    (lambda: F.conv2d(tg.ones(4, 4), tg.ones(1, 1, 3, 3)), "expected a 3-D"),
    (lambda: F.conv2d(tg.ones(1, 1, 8, 8), tg.ones(2, 1, 3, 3), tg.ones(3)),
     "bias must have shape (2,)"),
    (lambda: F.conv2d(tg.ones(1, 1, 8, 8), tg.ones(2, 1, 3, 3), stride=0), "stride"),
    (lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 2, padding=2), "at most half"),
    (lambda: F.max_pool2d(tg.ones(1, 1, 2, 2), 3), "larger than the padded input"),
    (lambda: F.avg_pool2d(tg.ones(2, 2), 2), "expected a 3-D"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert message in str(info.value)


def test_drawing_labels_name_the_options():
    y = F.conv2d(Tensor(np.ones((1, 1, 6, 6)), requires_grad=True), tg.ones(1, 1, 3, 3),
                 stride=2, padding=1)
    assert y.grad_fn.label() == "conv2d(stride=2, padding=1)"
    p = F.max_pool2d(y, 2)
    assert p.grad_fn.label() == "max_pool2d(2)"


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation, by_rows", [
    ((3, 10, 12, 12), (5, 5), 1, 0, 1, True),         # the tutorial CNN's conv2
    ((2, 14, 11, 14), (3, 4), 1, (2, 1), 2, True),    # padding and dilation, uneven sizes
    ((2, 10, 6, 6), (5, 5), 1, 0, 1, False),          # padded width > 2x output width: col2im
    ((2, 1, 12, 12), (5, 5), 1, 0, 1, False),         # 1 channel: too few rows, col2im
    ((2, 2, 12, 12), (3, 3), 2, 1, 1, False),         # stride 2: col2im
])
def test_both_input_gradient_methods_match_torch(monkeypatch, shape, kernel, stride, padding,
                                                 dilation, by_rows):
    """conv2d's input gradient is computed row-wise for stride 1 (when the padded width is at
    most twice the output width and C·kh >= 40) and by col2im otherwise: both against torch,
    to 2nd order."""
    from tinygrad_sgd.kernels import conv
    calls = []
    real = conv.transposed_conv_by_rows
    monkeypatch.setattr(conv, "transposed_conv_by_rows",
                        lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(7)
    (x, xt), (w, wt) = _pair(rng.standard_normal(shape)), \
        _pair(rng.standard_normal((4, shape[1]) + kernel))
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    y, yt = F.conv2d(x, w, **kw), TF.conv2d(xt, wt, **kw)
    gy = rng.standard_normal(yt.shape)
    gx, = tg.autograd.grad((y * Tensor(gy)).sum(), [x], create_graph=True)
    gxt, = torch.autograd.grad((yt * torch.tensor(gy)).sum(), [xt], create_graph=True)
    _close(gx, gxt, "input gradient")
    assert bool(calls) == by_rows
    v = rng.standard_normal(shape)
    _close(tg.autograd.grad((gx * Tensor(v)).sum(), [w])[0],
           torch.autograd.grad((gxt * torch.tensor(v)).sum(), [wt])[0], "second order in w")
