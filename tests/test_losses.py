"""Losses against torch: value, gradient w.r.t. every differentiable input, and second-order
gradient (float64, hypothesis), for every reduction; edge cases (ignore_index, p = 0 or 1,
huge logits); every promised error message; the loss Modules."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import nn, tensor
from tinygrad_sgd.nn import functional as F
from strategies import arrays, shapes
from strategies import check_against_torch as check

TF = torch.nn.functional
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@st.composite
def classification(draw, min_dims=1, max_extra=2):
    """(logits of shape (N, C, d...) or (C,), integer targets, per-class weights)."""
    c = draw(st.integers(1, 5))
    if draw(st.integers(0, 4)) == 0 and min_dims <= 1:
        batch, extra = (), ()
        shape = (c,)
    else:
        batch = (draw(st.integers(1, 4)),)
        extra = draw(shapes(min_dims=0, max_dims=max_extra, max_side=3))
        shape = batch + (c,) + extra
    x = draw(arrays(shape))
    tshape = batch + extra
    t = np.asarray(draw(st.lists(st.integers(0, c - 1), min_size=int(np.prod(tshape)),
                                 max_size=int(np.prod(tshape)))), dtype=np.int64).reshape(tshape)
    w = draw(arrays((c,), lo=0.1, hi=2.0))
    return x, t, w


# ============================================================================ NLL / cross entropy
@given(classification(), REDUCTIONS, st.booleans(), st.booleans())
def test_nll_and_cross_entropy_match_torch(data, reduction, weighted, ignore_some):
    x, t, w = data
    if ignore_some and t.size > 1:          # one ignored target (torch: not counted in mean)
        t = t.copy()
        t.flat[0] = -100
    kw = dict(reduction=reduction, weight=None if not weighted else w)

    def nll(lib, x, t):
        weight = kw["weight"]
        if weight is not None:
            weight = torch.tensor(weight) if lib is torch else tensor(weight)
        return lib.nn.functional.nll_loss(x, t, weight=weight, reduction=reduction)

    def ce(lib, x, t):
        weight = kw["weight"]
        if weight is not None:
            weight = torch.tensor(weight) if lib is torch else tensor(weight)
        return lib.nn.functional.cross_entropy(x, t, weight=weight, reduction=reduction)

    check(nll, [x, t], label="nll_loss")
    check(ce, [x, t], label="cross_entropy")


@given(classification(), REDUCTIONS, st.booleans(), st.booleans(),
       st.sampled_from([np.float32, np.float64]))
def test_plain_backward_of_nll_and_log_softmax_is_torchs_and_near_the_graph_backward(
        data, reduction, weighted, ignore_some, dtype):
    """NllLoss and LogSoftmaxOp compute a plain backward (no graph wanted) on arrays at once:
    torch's bits where torch's last-dim kernel runs (classes last: kernels/softmax.py), for
    every reduction, class weights, ignored targets, inf and nan in the logits; create_graph
    runs the formula as ops (the exponential and the product rounded apart, unlike torch's
    fused step): the same numbers but for rounding."""
    x, t, w = data
    x = x.astype(dtype)
    if ignore_some and t.size > 1:
        t = t.copy()
        t.flat[0] = -100
    if x.size > 2:
        x.flat[1] = np.inf if weighted else np.nan
    grads = []
    for lib, create_graph in ((tg, False), (tg, True), (torch, False)):
        xt = lib.tensor(x, requires_grad=True)
        weight = lib.tensor(w.astype(dtype)) if weighted else None
        loss = lib.nn.functional.nll_loss(
            lib.nn.functional.log_softmax(xt, dim=0 if x.ndim == 1 else 1), lib.tensor(t),
            weight=weight, reduction=reduction)
        gout = lib.tensor(np.full(tuple(loss.shape), 0.75, dtype))
        (g,) = lib.autograd.grad(loss, xt, gout, create_graph=create_graph)
        grads.append(g.detach().numpy())
    plain, graph, theirs = grads
    assert plain.dtype == graph.dtype == dtype
    if x.ndim <= 2:
        assert np.array_equal(plain, theirs, equal_nan=True)
        number = ~np.isnan(theirs)                     # (a nan's sign is not compared)
        assert np.array_equal(np.signbit(plain)[number], np.signbit(theirs)[number])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(plain, graph, rtol=tol, atol=tol, equal_nan=True)


def test_ignore_index_custom_and_all_ignored():
    x = np.random.default_rng(0).standard_normal((4, 3))
    t = np.array([0, 2, 1, 2])
    check(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, ignore_index=2), [x, t])
    # every target ignored: mean is 0/0 = nan, as torch
    out = F.nll_loss(tensor(x), tensor(np.full(4, -100)))
    ref = TF.nll_loss(torch.tensor(x), torch.full((4,), -100))
    assert np.isnan(out.item()) and np.isnan(ref.item())
    assert F.nll_loss(tensor(x), tensor(np.full(4, -100)), reduction="sum").item() == 0


def test_nll_is_one_graph_node_and_stays_float32():
    x = tensor(np.random.default_rng(0).standard_normal((64, 10)).astype(np.float32),
               requires_grad=True)
    t = tensor(np.arange(64) % 10)
    loss = F.nll_loss(x, t)
    assert loss.dtype == np.float32 and loss.shape == ()
    assert loss.grad_fn.name() == "NllLossBackward"
    assert loss.grad_fn._edges == (x, None, None, None)   # straight to the leaf
    (acc, index), = loss.grad_fn.next_functions           # torch: the target is no input
    assert acc.variable is x and index == 0 and acc.next_functions == ()
    loss.backward()
    assert x.grad.dtype == np.float32
    expected = np.zeros((64, 10), np.float32)
    expected[np.arange(64), t.data] = -1 / 64
    np.testing.assert_allclose(x.grad.data, expected)
    assert F.cross_entropy(x, t, reduction="none").dtype == np.float32


def test_targets_may_be_numpy_lists_or_int32():
    x = np.random.default_rng(0).standard_normal((3, 4))
    ref = TF.cross_entropy(torch.tensor(x), torch.tensor([1, 3, 0])).item()
    for t in ([1, 3, 0], np.array([1, 3, 0], np.int32), tensor(np.array([1, 3, 0]))):
        assert F.cross_entropy(tensor(x), t).item() == pytest.approx(ref, rel=1e-12)


def test_nll_errors():
    x = tensor(np.zeros((4, 10), np.float32), requires_grad=True)
    for fn in (F.nll_loss, F.cross_entropy):
        name = fn.__name__
        with pytest.raises(TypeError, match=f"{name}: target must hold integer class indices "
                                            f".*got dtype float32"):
            fn(x, tensor(np.zeros(4, np.float32)))
        with pytest.raises(IndexError, match=f"{name}: Target 10 is out of bounds: target "
                                             f"value 10 is out of range for 10 classes"):
            fn(x, [1, 10, 2, 3])
        with pytest.raises(IndexError, match="target value -1 is out of range for 10 classes"):
            fn(x, [1, -1, 2, 3])
        # torch's words (a ShapeError: its RuntimeError, also a ValueError)
        with pytest.raises(ValueError, match=r"size mismatch \(got input: \[4, 10\], target: "
                                             r"\[5\]\)"):
            fn(x, np.zeros(5, np.int64))
        with pytest.raises(ValueError, match=r"Expected target size \[4, 7\], got \[4\]"):
            fn(tensor(np.zeros((4, 3, 7))), np.zeros(4, np.int64))
        with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', "
                                             "got 'avg'"):
            fn(x, [0, 1, 2, 3], reduction="avg")
        with pytest.raises(ValueError, match=r"weight must have shape \(10,\) \(one per "
                                             r"class\), got \(3,\)"):
            fn(x, [0, 1, 2, 3], weight=np.ones(3))
        with pytest.raises(ValueError, match="at least 1 dimension"):
            fn(tensor(np.float64(1.0)), 0)
        # an integer input: torch's NotImplementedError (no Long kernel: nll_loss's own, or
        # log_softmax's for cross_entropy)
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            fn(tensor(np.zeros((4, 10), np.int64)), [0, 1, 2, 3])
    with pytest.raises(TypeError, match="for 0/1 float targets use binary_cross_entropy"):
        F.nll_loss(x, np.array([0.0, 1.0, 1.0, 0.0]))


# ============================================================================ binary cross entropy
@given(st.data(), REDUCTIONS, st.booleans())
def test_binary_cross_entropy_matches_torch(data, reduction, weighted):
    shape = data.draw(shapes(min_dims=0))
    x = data.draw(arrays(shape, lo=0.02, hi=0.98))
    y = data.draw(arrays(shape, lo=0.0, hi=1.0))
    w = data.draw(arrays(shape, lo=0.1, hi=2.0))

    def bce(lib, x, y, w):
        return lib.nn.functional.binary_cross_entropy(x, y, weight=w if weighted else None,
                                                      reduction=reduction)
    check(bce, [x, y, w], grad=[True, True, False], rtol=1e-5, atol=1e-8, label="bce")


def test_binary_cross_entropy_at_zero_and_one_is_finite_and_matches_torch():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-30])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 1.0])
    xo, yo = tensor(x.copy(), requires_grad=True), tensor(y.copy(), requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.tensor(y, requires_grad=True)
    out = F.binary_cross_entropy(xo, yo, reduction="none")
    ref = TF.binary_cross_entropy(xt, yt, reduction="none")
    np.testing.assert_allclose(out.data, ref.detach().numpy())
    assert out.data[0] == 100 and out.data[1] == 100 and out.data[2] == 0  # log clamped at −100
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-12)  # incl. ∓1e12
    np.testing.assert_array_equal(np.isinf(yo.grad.data), np.isinf(yt.grad.numpy()))
    np.testing.assert_allclose(yo.grad.data, yt.grad.numpy())
    # float32 stays float32
    loss = F.binary_cross_entropy(tensor(np.float32([0.0, 0.3])), np.float32([1.0, 1.0]))
    assert loss.dtype == np.float32 and np.isfinite(loss.item())


def test_binary_cross_entropy_errors():
    x = tensor(np.full((3, 1), 0.5))
    with pytest.raises(ValueError, match=r"target shape \(3,\) differs from input shape "
                                         r"\(3, 1\)"):
        F.binary_cross_entropy(x, np.ones(3))
    with pytest.raises(ValueError, match=r"between 0 and 1 .*\[-0.5, 2\].*with_logits"):
        F.binary_cross_entropy(tensor(np.array([-0.5, 2.0])), np.ones(2))
    with pytest.raises(ValueError, match="reduction must be"):
        F.binary_cross_entropy(x, np.ones((3, 1)), reduction="max")


@given(st.data(), REDUCTIONS, st.booleans(), st.booleans())
def test_bce_with_logits_matches_torch(data, reduction, weighted, pos_weighted):
    shape = data.draw(shapes(min_dims=1))
    x = data.draw(arrays(shape, lo=-30.0, hi=30.0))
    y = data.draw(arrays(shape, lo=0.0, hi=1.0))
    w = data.draw(arrays(shape, lo=0.1, hi=2.0))
    pw = data.draw(arrays(shape[-1:], lo=0.1, hi=3.0))

    def bce(lib, x, y, w, pw):
        return lib.nn.functional.binary_cross_entropy_with_logits(
            x, y, weight=w if weighted else None, reduction=reduction,
            pos_weight=pw if pos_weighted else None)
    check(bce, [x, y, w, pw], grad=[True, True, False, False], rtol=1e-6, atol=1e-9,
          label="bce_with_logits")


def test_bce_with_logits_is_stable_and_exact_at_zero():
    x = np.array([0.0, 0.0, 1000.0, -1000.0, 1000.0, -1000.0])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    xo = tensor(x.copy(), requires_grad=True)
    out = F.binary_cross_entropy_with_logits(xo, y, reduction="none")
    np.testing.assert_allclose(out.data, [np.log(2), np.log(2), 0, 1000, 1000, 0], atol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(xo.grad.data, [-0.5, 0.5, 0, -1, 1, 0])   # σ(x) − y, also at 0
    xt = torch.tensor(x, requires_grad=True)
    TF.binary_cross_entropy_with_logits(xt, torch.tensor(y), reduction="sum").backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy())


# ============================================================================ mse / hinge
@given(st.data(), REDUCTIONS)
def test_mse_loss_matches_torch(data, reduction):
    shape = data.draw(shapes(min_dims=0))
    x, y = data.draw(arrays(shape)), data.draw(arrays(shape))
    check(lambda lib, x, y: lib.nn.functional.mse_loss(x, y, reduction=reduction), [x, y],
          label="mse")


def test_mse_loss_errors_and_dtype():
    with pytest.warns(UserWarning, match=r"Using a target size .* different to the input "
                                         r"size"):    # as torch: a warning, then broadcast
        out = F.mse_loss(tensor(np.zeros((4, 1), np.float32)), np.arange(4.0))
    assert out.item() == pytest.approx(np.mean(np.arange(4.0) ** 2))
    out = F.mse_loss(tensor(np.ones(3, np.float32)), np.zeros(3))   # float64 target: cast
    assert out.dtype == np.float32 and out.item() == 1.0
    with pytest.raises(TypeError, match="input must be a Tensor, got list"):
        F.mse_loss([1.0], [1.0])


@given(st.data(), REDUCTIONS, st.sampled_from([1.0, 0.5, 2.0]), st.booleans())
def test_hinge_embedding_loss_matches_torch(data, reduction, margin, only_pm1):
    shape = data.draw(shapes(min_dims=0))
    x = data.draw(arrays(shape).filter(lambda a: np.all(np.abs(margin - a) > 1e-3)))
    values = [-1.0, 1.0] if only_pm1 else [-1.0, 1.0, 0.0, 2.0]   # torch semantics for others
    y = np.asarray(data.draw(st.lists(st.sampled_from(values), min_size=x.size,
                                      max_size=x.size)), dtype=np.float64).reshape(shape)
    check(lambda lib, x, y: lib.nn.functional.hinge_embedding_loss(x, y, margin=margin,
                                                                    reduction=reduction),
          [x, y], grad=[True, False], label="hinge_embedding")


@given(st.data(), REDUCTIONS, st.sampled_from([1.0, 0.5]))
def test_hinge_loss_matches_its_torch_formula(data, reduction, margin):
    shape = data.draw(shapes(min_dims=1))
    y = np.asarray(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=int(np.prod(shape)),
                                      max_size=int(np.prod(shape)))),
                   dtype=np.float64).reshape(shape)
    s = data.draw(arrays(shape).filter(lambda a: np.all(np.abs(margin - y * a) > 1e-3)))

    def hinge(lib, s, y):
        if lib is tg:
            return F.hinge_loss(s, y, margin=margin, reduction=reduction)
        loss = torch.clamp(margin - y * s, min=0)
        return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]
    check(hinge, [s, y], grad=[True, False], label="hinge")


def test_hinge_losses_values_and_errors():
    s = tensor(np.array([2.0, 0.5, -1.0]), requires_grad=True)
    loss = F.hinge_loss(s, [1, 1, 1])
    assert loss.item() == pytest.approx((0 + 0.5 + 2.0) / 3)
    loss.backward()
    np.testing.assert_allclose(s.grad.data, [0, -1 / 3, -1 / 3])
    with pytest.raises(ValueError, match="hinge_loss: y values must be -1 or \\+1, got 0"):
        F.hinge_loss(s, [1, 0, -1])
    with pytest.raises(ValueError, match=r"y shape \(2,\) differs from input shape \(3,\)"):
        F.hinge_loss(s, [1, -1])
    with pytest.raises(ValueError, match=r"target shape \(2,\) differs"):
        F.hinge_embedding_loss(s, [1, -1])
    with pytest.raises(TypeError, match="hinge_loss: scores must be a Tensor"):
        F.hinge_loss([1.0], [1])


# ============================================================================ loss modules
def test_loss_modules_match_torch_modules():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 4))
    t = np.array([0, 3, 2, -100, 1, 1])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    probs, y = 1 / (1 + np.exp(-logits)), rng.random((6, 4))
    pairs = [
        (nn.CrossEntropyLoss(weight=tensor(w)), torch.nn.CrossEntropyLoss(torch.tensor(w)),
         logits, t),
        (nn.NLLLoss(reduction="sum", ignore_index=3), torch.nn.NLLLoss(reduction="sum",
                                                                       ignore_index=3),
         logits, np.array([0, 3, 2, 1, 1, 0])),
        (nn.BCELoss(), torch.nn.BCELoss(), probs, y),
        (nn.BCEWithLogitsLoss(pos_weight=tensor(w)),
         torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w)), logits, y),
        (nn.MSELoss(reduction="none"), torch.nn.MSELoss(reduction="none"), logits, y),
        (nn.HingeEmbeddingLoss(margin=0.5), torch.nn.HingeEmbeddingLoss(margin=0.5), logits,
         np.sign(y - 0.5)),
    ]
    for ours, theirs, a, b in pairs:
        assert repr(ours) == repr(theirs)
        out = ours(tensor(a), b if b.dtype.kind == "i" else tensor(b))
        ref = theirs(torch.tensor(a), torch.tensor(b))
        np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-12, err_msg=repr(ours))
    loss = nn.MSELoss(reduction="avg")             # (as torch: refused at forward)
    with pytest.raises(ValueError, match="mse_loss: avg is not a valid value for reduction"):
        loss(tensor(np.ones(2)), tensor(np.ones(2)))


def test_second_order_through_cross_entropy_of_a_linear_layer():
    # a Hessian-vector product through a whole (tiny) classifier
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    t = np.array([0, 1, 2, 3, 1])
    check(lambda lib, x, w: lib.nn.functional.cross_entropy(
        lib.nn.functional.linear(x, w).tanh(), lib.tensor(t)), [x, w], label="ce(tanh(xWᵀ))")
