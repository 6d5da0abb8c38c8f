"""torch's remaining options of the embedding and of three regression losses, against torch:
``F.embedding``/``nn.Embedding`` with ``max_norm``/``norm_type`` (rows renormalised in place
before the lookup: values, the weight afterwards, its version), ``scale_grad_by_freq``
(gradient ÷ the id's count) and ``sparse=True`` (the same numbers as a dense gradient);
``weight=`` of ``F.mse_loss``, ``F.l1_loss``, ``F.huber_loss`` (torch 2.13: elementwise, no
broadcasting, ``mean`` = Σ(w·l)/Σw for mse/l1 but the plain mean of w·l for huber). Value,
gradient for every float input and second order, float64 and float32; errors with torch's
classes and messages. Also the dropout layers moved to nn/dropout.py (``inplace``)."""
import inspect
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import nn
from tinygrad_sgd.nn import functional as F
from strategies import arrays, assert_same, check_against_torch, shapes

DTYPES = [np.float64, np.float32]
NORM_TYPES = [1.0, 2.0, 3.0, 0.5, math.inf]


def run(label, fn, arrs, dtype, second_order=True):
    arrs = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrs]
    if dtype == np.float64:
        check_against_torch(fn, arrs, None, 1e-6, 1e-9, second_order, label)
    else:
        check_against_torch(fn, arrs, None, 1e-4, 1e-5, False, label)


def ids_of(lib, ids):
    return tg.tensor(ids) if lib is tg else torch.tensor(ids)


# ============================================================================ embedding
@st.composite
def embedding_case(draw):
    num, dim = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    ids_shape = draw(shapes(1, 2, 1, 5))
    ids = np.asarray(draw(st.lists(st.integers(0, num - 1), min_size=math.prod(ids_shape),
                                   max_size=math.prod(ids_shape))), np.int64).reshape(ids_shape)
    kw = {}
    if draw(st.booleans()):
        kw["padding_idx"] = draw(st.integers(-num, num - 1))
    if draw(st.booleans()):
        kw["max_norm"] = draw(st.sampled_from([0.3, 1.0, 2.5]))
        kw["norm_type"] = draw(st.sampled_from(NORM_TYPES))
    kw["scale_grad_by_freq"] = draw(st.booleans())
    w = draw(arrays((num, dim), -2.0, 2.0))
    return ids, w, kw


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=embedding_case())
def test_embedding_options_vs_torch(case, dtype):
    """Values, gradient and (float64) second order; ``z·z`` makes the second order non-zero,
    so it goes through the gradient node's own backward (with the 1/count scale)."""
    ids, w, kw = case

    def fn(lib, W):
        z = lib.nn.functional.embedding(ids_of(lib, ids), W, **kw)
        return z * z
    repeats = len(np.unique(ids)) < ids.size
    # torch's double backward ignores scale_grad_by_freq: see the test below
    run(f"embedding {kw}", fn, [w], dtype,
        second_order=not (kw["scale_grad_by_freq"] and repeats))


@given(case=embedding_case())
def test_scale_grad_by_freq_second_order_is_the_derivative_of_the_scaled_gradient(case):
    """The gradient node G[k] = Σ_{ids[i]=k} g[i]/count(k) is linear in g, so its derivative
    is dG/dg[i] = 1/count(ids[i]) — ours. torch's double backward
    (embedding_dense_double_backward) leaves the 1/count out: its own gradcheck of
    ``aten.embedding_dense_backward(..., scale_grad_by_freq=True)`` fails. So here ours is
    torch's second order ÷ count, row by row; and the node's derivative is checked directly."""
    ids, w, kw = case
    kw = dict(kw, scale_grad_by_freq=True)
    counts = np.bincount(ids.reshape(-1), minlength=w.shape[0]).astype(np.float64)
    rng = np.random.default_rng(1)
    v, u = rng.standard_normal(ids.shape + w.shape[1:]), rng.standard_normal(w.shape)
    second = []
    for lib, make in ((tg, tg.tensor), (torch, torch.tensor)):
        W = make(w.copy(), requires_grad=True)
        z = lib.nn.functional.embedding(ids_of(lib, ids), W, **kw)
        g1, = lib.autograd.grad((z * z * make(v)).sum(), [W], create_graph=True)
        g2, = lib.autograd.grad((g1 * make(u)).sum(), [W], allow_unused=True)
        second.append(np.zeros(w.shape) if g2 is None else g2.detach().numpy())
    ours, theirs = second
    np.testing.assert_allclose(ours, theirs / np.maximum(counts, 1)[:, None], rtol=1e-9,
                               atol=1e-12)
    # the node itself: d(Σ G·u)/dg = u[ids] / count(ids), 0 at the padding id
    g = tg.tensor(v, requires_grad=True)
    from tinygrad_sgd.ops.embedding import EmbeddingOp
    W = tg.tensor(w, requires_grad=True)
    z = EmbeddingOp.apply(W, ids, None, True)
    gW, = tg.autograd.grad(z, [W], grad_outputs=g, create_graph=True)
    dg, = tg.autograd.grad((gW * tg.tensor(u)).sum(), [g])
    np.testing.assert_allclose(dg.numpy(), u[ids] / counts[ids][..., None], rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=embedding_case())
def test_max_norm_changes_the_weight_in_place_as_torch(case, dtype):
    ids, w, kw = case
    kw = dict(kw, max_norm=kw.get("max_norm", 1.0))
    ours, theirs = tg.tensor(w.astype(dtype), requires_grad=True), \
        torch.tensor(w.astype(dtype), requires_grad=True)
    out = F.embedding(tg.tensor(ids), ours, **kw)
    ref = torch.nn.functional.embedding(torch.tensor(ids), theirs, **kw)
    tol = dict(rtol=1e-6, atol=1e-9) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    assert_same(out, ref, what="lookup", **tol)
    assert_same(ours, theirs, what="the weight afterwards", **tol)
    assert ours._version == theirs._version == 1          # one in-place op, changed or not
    assert ours.is_leaf and ours.grad_fn is None


def test_max_norm_renormalises_each_row_once_and_only_rows_used():
    w = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]])
    ours, theirs = tg.tensor(w), torch.tensor(w)
    ids = [[0, 0, 2], [0, 1, 2]]              # row 0 three times: scaled once; row 3 unused
    out = F.embedding(tg.tensor(ids), ours, max_norm=1.0)
    ref = torch.nn.functional.embedding(torch.tensor(ids), theirs, max_norm=1.0)
    assert_same(ours, theirs, what="weight")
    assert_same(out, ref)
    np.testing.assert_allclose(ours.numpy()[0], [0.6, 0.8], rtol=1e-6)   # 5 → 1 (÷ (5+1e-7))
    assert ours.numpy()[1].tolist() == [0.3, 0.4] and ours.numpy()[3].tolist() == [1.0, 0.0]


def test_max_norm_touches_the_padding_row_and_a_non_leaf_weight_as_torch():
    w = np.arange(12.0).reshape(4, 3)
    a, ta = tg.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    b, tb = a * 2, ta * 2
    out = F.embedding(tg.tensor([0, 3, 3]), b, padding_idx=3, max_norm=2.0)
    ref = torch.nn.functional.embedding(torch.tensor([0, 3, 3]), tb, padding_idx=3, max_norm=2.0)
    assert_same(out, ref)
    assert_same(b, tb, what="the non-leaf weight afterwards (padding row renormalised too)")
    out.sum().backward()
    ref.sum().backward()
    assert_same(a.grad, ta.grad, what="gradient through the non-leaf weight")


def test_max_norm_after_the_weight_was_saved_is_caught_at_backward():
    a, ta = tg.randn(4, 3, requires_grad=True), torch.randn(4, 3, requires_grad=True)
    y, ty = (a * a).sum(), (ta * ta).sum()
    F.embedding(tg.tensor([0]), a, max_norm=1e-3)
    torch.nn.functional.embedding(torch.tensor([0]), ta, max_norm=1e-3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_scale_grad_by_freq_divides_by_the_count_in_the_batch():
    w = np.ones((4, 2))
    ours = tg.tensor(w, requires_grad=True)
    ids = [[1, 1, 2], [1, 0, 2]]                 # id 1 three times, 2 twice, 0 once, 3 never
    F.embedding(tg.tensor(ids), ours, scale_grad_by_freq=True, padding_idx=0).sum().backward()
    assert ours.grad.tolist() == [[0, 0], [1, 1], [1, 1], [0, 0]]
    theirs = torch.tensor(w, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(ids), theirs, scale_grad_by_freq=True,
                                  padding_idx=0).sum().backward()
    assert_same(ours.grad, theirs.grad)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=embedding_case())
def test_sparse_gives_torchs_gradient_as_a_dense_tensor(case, dtype):
    """torch's ``weight.grad`` is sparse (COO); ours is the same numbers, dense; an SGD
    step (which torch takes on the sparse gradient) moves the weight the same way."""
    ids, w, kw = case
    kw = dict(kw, scale_grad_by_freq=False)
    g = np.random.default_rng(0).standard_normal(ids.shape + w.shape[1:]).astype(dtype)
    ours, theirs = tg.tensor(w.astype(dtype), requires_grad=True), \
        torch.tensor(w.astype(dtype), requires_grad=True)
    out = F.embedding(tg.tensor(ids), ours, sparse=True, **kw)
    ref = torch.nn.functional.embedding(torch.tensor(ids), theirs, sparse=True, **kw)
    out.backward(tg.tensor(g))
    ref.backward(torch.tensor(g))
    assert theirs.grad.is_sparse
    tol = dict(rtol=1e-6, atol=1e-9) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    assert_same(ours.grad, theirs.grad.to_dense(), what="gradient", **tol)
    tg.optim.SGD([ours], lr=0.5).step()
    torch.optim.SGD([theirs], lr=0.5).step()
    assert_same(ours, theirs, what="weight after an SGD step", **tol)


def test_sparse_with_scale_grad_by_freq_fails_at_backward_as_torch():
    for lib in (tg, torch):
        W = lib.ones(3, 2, requires_grad=True)
        z = lib.nn.functional.embedding(ids_of(lib, [0, 0]), W, scale_grad_by_freq=True,
                                        sparse=True)
        assert z.shape == (2, 2)
        with pytest.raises(RuntimeError, match="^embedding_backward: scale_grad_by_freq not "
                                               "supported with sparse gradients$"):
            z.sum().backward()


def test_embedding_module_takes_torchs_options():
    for args in [(5, 3), (5, 3, 1, 1.0), (5, 3, None, 0.5, 1.0, True), (5, 3, -1, 2.0, 3.0,
                                                                        False, True)]:
        ours, theirs = nn.Embedding(*args), torch.nn.Embedding(*args)
        assert repr(ours) == repr(theirs)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(np.array(ours.weight.numpy())))
        ids = [[0, 4, 4], [1, 1, 4]]
        out, ref = ours(tg.tensor(ids)), theirs(torch.tensor(ids))
        assert_same(out, ref, rtol=1e-5, atol=1e-6)
        assert_same(ours.weight, theirs.weight, rtol=1e-5, atol=1e-6, what="weight afterwards")
        (out * out).sum().backward()
        (ref * ref).sum().backward()
        grad = theirs.weight.grad
        assert_same(ours.weight.grad, grad.to_dense() if grad.is_sparse else grad,
                    rtol=1e-5, atol=1e-6, what=f"gradient {args}")
    pre = nn.Embedding.from_pretrained(tg.tensor(np.array([[3.0, 4.0], [0.0, 1.0]])),
                                       max_norm=1.0, scale_grad_by_freq=True)
    tpre = torch.nn.Embedding.from_pretrained(torch.tensor([[3.0, 4.0], [0.0, 1.0]],
                                                           dtype=torch.float64),
                                              max_norm=1.0, scale_grad_by_freq=True)
    assert repr(pre) == repr(tpre)
    assert_same(pre(tg.tensor([0, 0])), tpre(torch.tensor([0, 0])))
    assert_same(pre.weight, tpre.weight, what="from_pretrained weight afterwards")


# ============================================================================ weighted losses
LOSSES = ["mse_loss", "l1_loss", "huber_loss"]


@st.composite
def weighted_case(draw):
    shape = draw(shapes(0, 3))
    x, y = draw(arrays(shape)), draw(arrays(shape))
    w = draw(arrays(shape, 0.1, 2.0))
    if w.size > 1 and draw(st.booleans()):
        w.reshape(-1)[0] = 0.0          # a zero weight somewhere (all zero: the NaN test)
    return x, y, w


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", LOSSES)
@given(case=weighted_case(), delta=st.sampled_from([0.5, 1.0, 2.0]))
def test_weighted_losses_vs_torch(name, reduction, dtype, case, delta):
    extra = {"delta": delta} if name == "huber_loss" else {}

    def fn(lib, x, y, w):
        return getattr(lib.nn.functional, name)(x, y, reduction=reduction, weight=w, **extra)
    run(f"{name}({reduction}, weight)", fn, list(case), dtype)


@pytest.mark.parametrize("name", LOSSES)
def test_weighted_mean_is_torchs_per_loss(name):
    """mse/l1: Σ w·l / Σw; huber: mean(w·l) (torch 2.13 differs between them)."""
    x, y, w = np.array([0.0, 0.0, 0.0]), np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])
    out = getattr(F, name)(tg.tensor(x), tg.tensor(y), weight=tg.tensor(w))
    ref = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y),
                                             weight=torch.tensor(w))
    assert_same(out, ref)
    loss = {"mse_loss": (x - y) ** 2, "l1_loss": abs(x - y),
            "huber_loss": np.array([0.5, 1.5, 2.5])}[name]
    expected = (loss * w).mean() if name == "huber_loss" else (loss * w).sum() / w.sum()
    assert out.item() == pytest.approx(expected)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_all_zero_weights_give_torchs_nan_mean(name):
    x, y, w = np.array([1.0, 2.0]), np.array([0.0, 0.0]), np.zeros(2)
    xs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, name)(xs[0], tg.tensor(y), weight=tg.tensor(w))
    ref = getattr(torch.nn.functional, name)(xs[1], torch.tensor(y), weight=torch.tensor(w))
    assert math.isnan(out.item()) and math.isnan(ref.item())
    out.backward()
    ref.backward()
    assert_same(xs[0].grad, xs[1].grad, what="gradient (NaN, as torch)")


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("x_dtype,w_dtype", [(np.float32, np.float64), (np.float64, np.float32),
                                             (np.float32, np.int64)])
def test_weight_dtype_promotes_as_torch(name, x_dtype, w_dtype):
    x, y = np.array([[0.5, -1.0], [2.0, 0.0]], x_dtype), np.zeros((2, 2), x_dtype)
    w = np.array([[1, 2], [0, 3]], w_dtype)
    for reduction in ("mean", "sum", "none"):
        out = getattr(F, name)(tg.tensor(x), tg.tensor(y), reduction=reduction,
                               weight=tg.tensor(w))
        ref = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y),
                                                 reduction=reduction, weight=torch.tensor(w))
        assert_same(out, ref, rtol=1e-6, atol=1e-7, what=f"{name} {reduction}")


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("w_shape", [(4,), (1, 4), (3, 1), (2, 3, 4)])
def test_weight_must_have_the_input_shape(name, w_shape):
    """No broadcasting of the weight, as torch: ValueError with torch's message."""
    x, y, w = np.zeros((3, 4)), np.ones((3, 4)), np.ones(w_shape)
    with pytest.raises(ValueError, match="^Weights and input must have the same size.$"):
        getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y),
                                           weight=torch.tensor(w))
    with pytest.raises(ValueError, match="^Weights and input must have the same size.$"):
        getattr(F, name)(tg.tensor(x), tg.tensor(y), weight=tg.tensor(w))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_weight_with_the_deprecated_flags(name):
    x, y, w = np.array([1.0, -2.0]), np.array([0.0, 0.5]), np.array([2.0, 0.5])
    for kw in (dict(size_average=False), dict(reduce=False), dict(size_average=True)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            out = getattr(F, name)(tg.tensor(x), tg.tensor(y), weight=tg.tensor(w), **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y),
                                                     weight=torch.tensor(w), **kw)
        assert_same(out, ref, what=str(kw))


def test_loss_modules_take_no_weight_as_torchs():
    """torch 2.13's MSELoss, L1Loss and HuberLoss have no ``weight``: the function's is the
    only one; our Modules have torch's signatures."""
    for name in ("MSELoss", "L1Loss", "HuberLoss"):
        ours = inspect.signature(getattr(nn, name).__init__).parameters
        theirs = inspect.signature(getattr(torch.nn, name).__init__).parameters
        assert list(ours) == list(theirs) and "weight" not in ours
        with pytest.raises(TypeError):
            getattr(nn, name)(weight=tg.ones(2))


# ============================================================================ dropout layers
@pytest.mark.parametrize("layer", ["Dropout", "Dropout2d"])
def test_dropout_layers_live_in_nn_dropout_and_take_inplace(layer):
    from tinygrad_sgd.nn import dropout
    assert getattr(nn, layer) is getattr(dropout, layer)
    ours, theirs = getattr(nn, layer)(0.4, inplace=True), getattr(torch.nn, layer)(0.4, True)
    assert repr(ours) == repr(theirs)
    x = np.arange(1.0, 25.0, dtype=np.float32).reshape(2, 3, 2, 2)
    tx, ttx = tg.tensor(x) * 1, torch.tensor(x) * 1
    tg.manual_seed(3)
    torch.manual_seed(3)
    assert ours(tx) is tx and theirs(ttx) is ttx
    assert_same(tx, ttx, what="dropped in place, the same mask as torch")
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        getattr(nn, layer)(1.5)
