"""conv2d, max_pool2d and avg_pool2d against torch: value, gradient for every input and
second-order gradient, over batch 1–4, channels 1–4, sizes 5–14, kernels 1–5, stride 1–3,
padding 0–2, dilation 1–2, in float64; max pooling also on inputs full of exact ties (torch
routes the gradient to the FIRST maximum of a window, and so must we). Then the misuse table of
the whole convolution/pooling/padding/resizing family (tests/test_conv_family.py has its
values): torch's exception class for each mistake, and a message that names it."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, nn, tensor
from tinygrad_sgd.nn import functional as F

RTOL, ATOL = 1e-9, 1e-9


def _close(ours, theirs, what):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    np.testing.assert_allclose(ours.numpy() if isinstance(ours, Tensor) else ours, theirs,
                               rtol=RTOL, atol=ATOL, err_msg=what)


def _pair(t):
    return tensor(t.copy(), requires_grad=True), torch.tensor(t.copy(), requires_grad=True)


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
    grads = tg.autograd.grad((y * tensor(gy)).sum(), ins, create_graph=True)
    tgrads = torch.autograd.grad((yt * torch.tensor(gy)).sum(), tins, create_graph=True)
    for name, g, tg_ in zip("xwb", grads, tgrads):
        _close(g, tg_, f"d/d{name}")

    # second order: differentiate a weighted sum of the first gradients again
    us = [case["rng"].standard_normal(g.shape) for g in grads[:2]]
    z = sum((g * tensor(u)).sum() for g, u in zip(grads[:2], us))
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
    (h,) = tg.autograd.grad((g * tensor(u)).sum(), gyv)
    (ht,) = torch.autograd.grad((gt * torch.tensor(u)).sum(), gyt)
    _close(h, ht, f"{op} second order")


def test_max_pool_first_maximum_rule_on_a_flat_window():
    x = tensor(np.zeros((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 0], [0, 0]])


def test_float32_stays_float32_and_matches_torch_to_float32_precision():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    y = F.max_pool2d(F.conv2d(tensor(x), tensor(w), padding=1), 2)
    yt = TF.max_pool2d(TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1), 2)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5, atol=1e-5)


def test_unbatched_input_and_threads_give_the_same_result():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 20, 20)).astype(np.float32)
    w = rng.standard_normal((6, 3, 5, 5)).astype(np.float32)
    single = F.conv2d(tensor(x), tensor(w))
    batched = F.conv2d(tensor(x[None]), tensor(w))
    np.testing.assert_allclose(single.numpy(), batched.numpy()[0], rtol=1e-6)
    before = tg.get_num_threads()
    big = tensor(rng.standard_normal((64, 3, 28, 28)).astype(np.float32), requires_grad=True)
    one = tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))   # one channel
    weights = [tensor(w, requires_grad=True),
               tensor(rng.standard_normal((10, 1, 5, 5)).astype(np.float32), requires_grad=True)]
    results = []
    try:
        for n in (1, 2):
            tg.set_num_threads(n)
            big.grad = None
            for t in weights:
                t.grad = None
            (F.max_pool2d(F.conv2d(big, weights[0]), 2).sum()
             + F.conv2d(one, weights[1]).square().sum()).backward()
            results.append([t.grad.numpy().copy() for t in [big] + weights])
    finally:
        tg.set_num_threads(before)
    from tinygrad_sgd import kernels
    (x1, *w1), (x2, *w2) = results
    np.testing.assert_array_equal(x1, x2)    # the same sums, in the same order
    for a, b in zip(w1, w2):
        if kernels.backend() == "numba":      # the direct kernels: threads take channels
            np.testing.assert_array_equal(a, b)
        else:                                 # NumPy's im2col path adds per-thread partial sums
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, input_grad", [
    ((16, 1, 28, 28), (10, 1, 5, 5), False),     # the tutorial's conv1: no input gradient
    ((16, 10, 12, 12), (20, 10, 5, 5), True),    # its conv2
    ((4, 3, 11, 9), (7, 3, 3, 3), True)])        # filters not a multiple of a pass
def test_a_plain_backward_gives_the_bits_of_the_graph_backward(x_shape, w_shape, input_grad,
                                                               dtype, threads):
    """A plain backward computes a convolution's gradients on the arrays at once (the bias
    sums inside the weight gradient's kernel, for dy as pooling leaves it); with
    create_graph, each is an op of the graph (the bias gradient ``dy.sum``): the same bits."""
    rng = np.random.default_rng(7)
    x = tensor(rng.standard_normal(x_shape).astype(dtype), requires_grad=input_grad)
    w = tensor(rng.standard_normal(w_shape).astype(dtype), requires_grad=True)
    b = tensor(rng.standard_normal(w_shape[0]).astype(dtype), requires_grad=True)
    ins = [x, w, b] if input_grad else [w, b]
    before = tg.get_num_threads()
    tg.set_num_threads(threads)
    try:
        results = []
        for create_graph in (False, True):
            y = F.relu(F.max_pool2d(F.conv2d(x, w, b), 2))
            results.append(tg.autograd.grad(y.square().sum(), ins, create_graph=create_graph))
    finally:
        tg.set_num_threads(before)
    for plain, graph in zip(*results):
        assert plain.dtype == graph.dtype == dtype
        np.testing.assert_array_equal(plain.numpy(), graph.numpy())


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(tg.ones(1, 3, 8, 8), tg.ones(4, 2, 3, 3)), "input has 3 channels"),
    (lambda: F.conv2d(tg.ones(1, 1, 4, 4), tg.ones(1, 1, 7, 7)), "larger than the padded input"),
    (lambda: F.conv2d(tg.ones(1, 1, 4, 4), tg.ones(1, 1, 3)), "weight must be 4-D"),
    (lambda: F.conv2d(tg.ones(4, 4), tg.ones(1, 1, 3, 3)), "expected a 3-D"),
    (lambda: F.conv2d(tg.ones(1, 1, 8, 8), tg.ones(2, 1, 3, 3), tg.ones(3)),
     "bias must have shape (2,)"),
    (lambda: F.conv2d(tg.ones(1, 1, 8, 8), tg.ones(2, 1, 3, 3), stride=0), "stride"),
    (lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 2, padding=2),
     "pad should be at most half of effective kernel size"),
    (lambda: F.max_pool2d(tg.ones(1, 1, 2, 2), 3), "Output size is too small"),
    (lambda: F.avg_pool2d(tg.ones(1, 1, 1, 2, 2), 2), "Expected 3D or 4D (batch mode) tensor"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    """Shape and geometry mistakes are torch's RuntimeError (ShapeError: also a ValueError)."""
    with pytest.raises(RuntimeError) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert message in str(info.value)


def test_drawing_labels_name_the_options():
    y = F.conv2d(tensor(np.ones((1, 1, 6, 6), np.float32), requires_grad=True),
                 tg.ones(1, 1, 3, 3), stride=2, padding=1)
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
@pytest.mark.parametrize("direct", [False, True])
def test_both_input_gradient_methods_match_torch(monkeypatch, shape, kernel, stride, padding,
                                                 dilation, by_rows, direct):
    """conv2d's input gradient is computed row-wise for stride 1 (when the padded width is at
    most twice the output width and C·kh >= 40) and by col2im otherwise; with the compiled
    kernels, few channels and a width stride of 1, directly (``direct``; else that path is
    switched off): each against torch, to 2nd order."""
    from tinygrad_sgd.kernels import conv
    from tinygrad_sgd.kernels.backend import compiled
    from tinygrad_sgd.kernels.layout import geometry
    goes_direct = direct and conv._direct(compiled(), geometry(
        "conv2d", shape, kernel, stride, padding, dilation)) and stride == 1
    if not direct:
        monkeypatch.setattr(conv, "_direct", lambda fast, g: False)
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
    gx, = tg.autograd.grad((y * tensor(gy)).sum(), [x], create_graph=True)
    gxt, = torch.autograd.grad((yt * torch.tensor(gy)).sum(), [xt], create_graph=True)
    _close(gx, gxt, "input gradient")
    assert bool(calls) == (by_rows and not goes_direct)
    v = rng.standard_normal(shape)
    _close(tg.autograd.grad((gx * tensor(v)).sum(), [w])[0],
           torch.autograd.grad((gxt * torch.tensor(v)).sum(), [wt])[0], "second order in w")


# ---------------------------------------------------------------------- the family's misuse
def _library(torch_side):
    """The names an ERRORS entry calls, from one library: ``F``, float ``t(*shape)``, int64
    ``idx(*shape)`` and ``tensor(list)``."""
    if torch_side:
        return SimpleNamespace(
            F=TF, tensor=torch.tensor, idx=lambda *s: torch.zeros(s, dtype=torch.long),
            t=lambda *s, dtype=np.float32: torch.from_numpy(np.ones(s, dtype)))
    return SimpleNamespace(F=F, tensor=lambda v: tensor(np.array(v)),
                           idx=lambda *s: tensor(np.zeros(s, np.int64)),
                           t=lambda *s, dtype=np.float32: tensor(np.ones(s, dtype)))


ERRORS = [
    # convolutions
    ("conv2d channels", lambda L: L.F.conv2d(L.t(1, 1, 8, 8), L.t(4, 3, 3, 3)), RuntimeError,
     "input has 1 channels"),
    ("conv2d groups channels", lambda L: L.F.conv2d(L.t(1, 3, 8, 8), L.t(4, 1, 3, 3), groups=2),
     RuntimeError, "expects 2"),
    ("conv2d weight not divisible",
     lambda L: L.F.conv2d(L.t(1, 2, 8, 8), L.t(3, 1, 3, 3), groups=2), RuntimeError,
     "expected weight to be divisible by 2 at dimension 0"),
    ("conv2d no filters", lambda L: L.F.conv2d(L.t(1, 2, 3, 3), L.t(0, 2, 3, 3)), RuntimeError,
     "expected weight to be at least 1 at dimension 0"),
    ("conv2d groups 0", lambda L: L.F.conv2d(L.t(1, 1, 8, 8), L.t(2, 1, 3, 3), groups=0),
     RuntimeError, "non-positive groups is not supported"),
    ("conv2d kernel > input", lambda L: L.F.conv2d(L.t(1, 1, 4, 4), L.t(1, 1, 7, 7)), RuntimeError,
     "larger than the padded input"),
    ("conv2d negative padding", lambda L: L.F.conv2d(L.t(1, 1, 5, 5), L.t(1, 1, 3, 3), padding=-1),
     RuntimeError, "negative padding is not supported"),
    ("conv2d stride 0", lambda L: L.F.conv2d(L.t(1, 1, 5, 5), L.t(1, 1, 3, 3), stride=0),
     RuntimeError, "stride should be greater than zero"),
    ("conv2d dilation 0", lambda L: L.F.conv2d(L.t(1, 1, 5, 5), L.t(1, 1, 3, 3), dilation=0),
     RuntimeError, "dilation should be greater than zero"),
    ("conv2d 5-D", lambda L: L.F.conv2d(L.t(1, 1, 1, 4, 4), L.t(1, 1, 3, 3)), RuntimeError,
     "expected a 3-D (C, H, W) or 4-D (N, C, H, W) input"),
    ("conv2d stride triple", lambda L: L.F.conv2d(L.t(1, 1, 5, 5), L.t(1, 1, 3, 3),
                                                stride=(1, 1, 1)), RuntimeError, "stride"),
    ("conv2d bias shape", lambda L: L.F.conv2d(L.t(1, 1, 8, 8), L.t(2, 1, 3, 3), L.t(3)),
     RuntimeError, "bias must have shape (2,)"),
    ("conv2d same strided", lambda L: L.F.conv2d(L.t(1, 1, 8, 8), L.t(2, 1, 3, 3), stride=2,
                                               padding="same"), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    ("conv2d padding string", lambda L: L.F.conv2d(L.t(1, 1, 8, 8), L.t(2, 1, 3, 3),
                                                 padding="full"), RuntimeError,
     "Invalid padding string"),
    ("conv2d dtypes differ",
     lambda L: L.F.conv2d(L.t(1, 1, 4, 4), L.t(1, 1, 2, 2, dtype=np.float64)), RuntimeError,
     None),
    ("conv1d channels", lambda L: L.F.conv1d(L.t(1, 1, 8), L.t(4, 3, 3)), RuntimeError,
     "input has 1 channels"),
    ("conv1d 4-D", lambda L: L.F.conv1d(L.t(1, 1, 1, 8), L.t(4, 1, 3)), RuntimeError,
     "expected a 2-D (C, L) or 3-D (N, C, L) input"),
    ("conv1d kernel > input", lambda L: L.F.conv1d(L.t(1, 1, 4), L.t(1, 1, 7)), RuntimeError,
     "larger than the padded input"),
    ("conv_transpose2d output_padding", lambda L: L.F.conv_transpose2d(
        L.t(1, 1, 4, 4), L.t(1, 1, 3, 3), stride=2, output_padding=2), RuntimeError,
     "output padding must be smaller than either stride or dilation"),
    ("conv_transpose2d channels", lambda L: L.F.conv_transpose2d(L.t(1, 2, 4, 4), L.t(1, 1, 3, 3)),
     RuntimeError, "input has 2 channels"),
    ("conv_transpose2d groups", lambda L: L.F.conv_transpose2d(L.t(1, 3, 4, 4), L.t(3, 1, 3, 3),
                                                             groups=2),
     RuntimeError, "expected weight to be divisible by 2"),
    ("conv_transpose2d output too small", lambda L: L.F.conv_transpose2d(
        L.t(1, 1, 1, 1), L.t(1, 1, 1, 1), padding=1), RuntimeError, "Output size is too small"),
    # pooling
    ("max_pool2d stride 0", lambda L: L.F.max_pool2d(L.t(1, 1, 4, 4), 2, stride=0), RuntimeError,
     "stride"),
    ("max_pool2d padding > half", lambda L: L.F.max_pool2d(L.t(1, 1, 4, 4), 2, padding=2),
     RuntimeError, "pad should be at most half of effective kernel size"),
    ("max_pool2d kernel > input", lambda L: L.F.max_pool2d(L.t(1, 1, 2, 2), 3), RuntimeError,
     "too small"),
    ("max_pool2d 2-D", lambda L: L.F.max_pool2d(L.t(2, 2), 2), RuntimeError,
     "non-empty 3D or 4D (batch mode) tensor expected for input"),
    ("max_pool2d negative padding", lambda L: L.F.max_pool2d(L.t(1, 1, 4, 4), 2, padding=-1),
     RuntimeError, "pad must be non-negative, but got pad: -1"),
    ("max_pool2d dilation 0", lambda L: L.F.max_pool2d(L.t(1, 1, 4, 4), 2, dilation=0),
     RuntimeError, "dilation should be greater than zero"),
    ("max_pool2d float kernel", lambda L: L.F.max_pool2d(L.t(1, 1, 4, 4), 2.0), TypeError,
     "kernel_size"),
    ("max_pool1d 4-D", lambda L: L.F.max_pool1d(L.t(1, 1, 4, 4), 2), RuntimeError,
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size"),
    ("max_pool1d kernel > input", lambda L: L.F.max_pool1d(L.t(1, 1, 2), 3), RuntimeError,
     "max_pool1d() Invalid computed output size: 0"),
    ("avg_pool2d padding > half", lambda L: L.F.avg_pool2d(L.t(1, 1, 4, 4), 2, padding=2),
     RuntimeError, "pad should be at most half"),
    ("avg_pool2d divisor 0", lambda L: L.F.avg_pool2d(L.t(1, 1, 4, 4), 2, divisor_override=0),
     RuntimeError, "divisor must be not zero"),
    ("avg_pool1d 4-D", lambda L: L.F.avg_pool1d(L.t(1, 1, 2, 2), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 4-dimensional tensor"),
    ("adaptive_avg_pool2d 2-D", lambda L: L.F.adaptive_avg_pool2d(L.t(2, 2), 2), RuntimeError,
     "expected a 3-D"),
    ("adaptive_avg_pool2d negative", lambda L: L.F.adaptive_avg_pool2d(L.t(1, 2, 2), -1),
     RuntimeError, "elements of output_size must be greater than or equal to 0"),
    ("adaptive_avg_pool2d empty input", lambda L: L.F.adaptive_avg_pool2d(L.t(1, 1, 0, 3), 2),
     RuntimeError, "non-zero size for non-batch dimensions"),
    ("adaptive_max_pool2d 2-D", lambda L: L.F.adaptive_max_pool2d(L.t(2, 2), 2), RuntimeError,
     "expected a 3-D"),
    ("max_unpool2d bad index", lambda L: L.F.max_unpool2d(
        L.t(1, 1, 2, 2), L.tensor([[[[0, 1], [2, 17]]]]), 2), RuntimeError,
     "Found an invalid max index: 17"),
    ("max_unpool2d output_size range", lambda L: L.F.max_unpool2d(
        L.t(1, 1, 2, 2), L.idx(1, 1, 2, 2), 2, output_size=(7, 7)),
     ValueError, 'invalid output_size "(7, 7)" (dim 0 must be between 2 and 6)'),
    ("max_unpool2d output_size length", lambda L: L.F.max_unpool2d(
        L.t(1, 1, 2, 2), L.idx(1, 1, 2, 2), 2, output_size=(1, 5, 5)), ValueError,
     "output_size should be a sequence containing 2 or 4 elements"),
    ("max_unpool2d indices shape",
     lambda L: L.F.max_unpool2d(L.t(1, 1, 2, 2), L.idx(1, 1, 2, 3), 2), RuntimeError,
     "Expected shape of indices to be same as that of the input tensor"),
    ("max_unpool2d float indices", lambda L: L.F.max_unpool2d(L.t(1, 1, 2, 2), L.t(1, 1, 2, 2), 2),
     RuntimeError, "elements in indices should be type int64"),
    # pad
    ("pad odd length", lambda L: L.F.pad(L.t(1, 3, 4), (1,)), RuntimeError,
     "Padding length must be divisible by 2"),
    ("pad too long", lambda L: L.F.pad(L.t(1, 3, 4), (1,) * 8), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension"),
    ("pad crops too much", lambda L: L.F.pad(L.t(1, 3, 4), (-3, -2)), RuntimeError,
     "length must be non-negative"),
    ("pad reflect too wide", lambda L: L.F.pad(L.t(1, 3, 4), (4, 0), mode="reflect"), RuntimeError,
     "Padding size should be less than the corresponding input dimension"),
    ("pad reflect dims", lambda L: L.F.pad(L.t(1, 1, 3, 4), (1, 1), mode="reflect"),
     NotImplementedError, "Padding size 2 is not supported for 4D input tensor"),
    ("pad replicate 1-D", lambda L: L.F.pad(L.t(4), (1, 1), mode="replicate"),
     NotImplementedError, "Padding size 2 is not supported for 1D input tensor"),
    ("pad circular twice around", lambda L: L.F.pad(L.t(1, 3, 4), (5, 0), mode="circular"),
     RuntimeError, "Padding value causes wrapping around more than once"),
    ("pad unknown mode", lambda L: L.F.pad(L.t(1, 3, 4), (1, 1), mode="foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
    ("pad value with reflect", lambda L: L.F.pad(L.t(1, 3, 4), (1, 1), mode="reflect", value=2),
     RuntimeError, "doesn't take in value argument"),
    ("pad float widths", lambda L: L.F.pad(L.t(1, 3, 4), (1.0, 1)), TypeError, "pad"),
    ("pad reflect output empty", lambda L: L.F.pad(L.t(1, 1, 4), (-2, -2), mode="reflect"),
     RuntimeError, "too small"),
    # interpolate
    ("interpolate neither", lambda L: L.F.interpolate(L.t(1, 1, 4, 4)), ValueError,
     "either size or scale_factor should be defined"),
    ("interpolate both", lambda L: L.F.interpolate(L.t(1, 1, 4, 4), size=2, scale_factor=2),
     ValueError, "only one of size or scale_factor should be defined"),
    ("interpolate align_corners nearest", lambda L: L.F.interpolate(L.t(1, 1, 4, 4), size=2,
                                                                  align_corners=True),
     ValueError, "align_corners option can only be set with the interpolating modes"),
    ("interpolate linear on 4-D", lambda L: L.F.interpolate(L.t(1, 1, 4, 4), size=2,
                                                          mode="linear"),
     NotImplementedError, "Got 4D input, but linear mode needs 3D input"),
    ("interpolate bilinear on 3-D", lambda L: L.F.interpolate(L.t(1, 1, 4), size=2,
                                                            mode="bilinear"),
     NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
    ("interpolate 2-D input", lambda L: L.F.interpolate(L.t(4, 4), size=2), NotImplementedError,
     "Only 3D, 4D and 5D input Tensors supported (got 2D)"),
    ("interpolate size length", lambda L: L.F.interpolate(L.t(1, 1, 4, 4), size=(2, 2, 2)),
     ValueError, "Input and output must have the same number of spatial dimensions"),
    ("interpolate scale length", lambda L: L.F.interpolate(L.t(1, 1, 4, 4), scale_factor=(2, 2, 2)),
     ValueError, "Input and scale_factor must have the same number of spatial dimensions"),
    ("interpolate size 0", lambda L: L.F.interpolate(L.t(1, 1, 4, 4), size=0), RuntimeError,
     "Input and output sizes should be greater than 0"),
    ("interpolate recompute with size", lambda L: L.F.interpolate(
        L.t(1, 1, 4, 4), size=2, recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size"),
    ("interpolate float size", lambda L: L.F.interpolate(L.t(1, 1, 4, 4), size=2.5), TypeError,
     None),
    ("interpolate integer input", lambda L: L.F.interpolate(L.t(1, 1, 4, 4, dtype=np.int64),
                                                          size=2), NotImplementedError, None),
    # unfold / fold
    ("unfold 5-D", lambda L: L.F.unfold(L.t(1, 1, 1, 4, 4), 2), RuntimeError, "expected a 3-D"),
    ("unfold kernel > input", lambda L: L.F.unfold(L.t(1, 1, 4, 4), 5), RuntimeError, "too small"),
    ("unfold stride 0", lambda L: L.F.unfold(L.t(1, 1, 4, 4), 2, stride=0), RuntimeError,
     "stride should be greater than zero"),
    ("unfold kernel triple", lambda L: L.F.unfold(L.t(1, 1, 4, 4), (2, 2, 2)), RuntimeError,
     "kernel_size"),
    ("fold 4-D", lambda L: L.F.fold(L.t(1, 1, 4, 9), (4, 4), 2), RuntimeError,
     "expected a 2-D (C·kh·kw, L) or 3-D"),
    ("fold channels", lambda L: L.F.fold(L.t(1, 5, 9), (4, 4), 2), RuntimeError,
     "Expected size of input's dimension 1 to be divisible by the product of kernel_size"),
    ("fold blocks", lambda L: L.F.fold(L.t(1, 4, 8), (4, 4), 2), RuntimeError,
     "expected size of input's dimension 2 to match the calculated number of sliding blocks "
     "3 * 3 = 9, but got input.size(2)=8"),
]




@pytest.mark.parametrize("name, call, exc, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_misuse_raises_torchs_exception_class(name, call, exc, message):
    """The class torch raises (ours may be ShapeError, both RuntimeError and ValueError), and
    a message naming the mistake; the table's claim about torch is checked too."""
    with pytest.raises(exc) as info:
        call(_library(torch_side=False))
    if message is not None:
        assert message in str(info.value)
    with pytest.raises(exc):
        call(_library(torch_side=True))


@pytest.mark.parametrize("make, exc, message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
    (lambda: nn.Conv2d(4, 3, 3, padding_mode="foo"), ValueError, "padding_mode must be one of"),
    (lambda: nn.Conv2d(4, 3, 3, padding="same", stride=2), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv2d(4, 3, 3, padding="full"), ValueError, "Invalid padding string 'full'"),
    (lambda: nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
])
def test_module_construction_errors_as_torch(make, exc, message):
    with pytest.raises(exc, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()
