"""The less common losses against torch: triplet margin (p-norm and any distance), Poisson and
Gaussian NLL, soft margin, multi-class / multi-label margin, multi-label soft margin. Values,
gradients for every float input (targets and variances too), second order where torch has it,
every reduction, float64 and float32, the Module forms (defaults, repr, state_dict) and error
classes."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tests.strategies import assert_same, check_against_torch

RNG = np.random.default_rng(99)
TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-4, atol=2e-5)}


def F(lib):
    return tg.nn.functional if lib is tg else torch.nn.functional


def arr(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def signs(*shape):
    return RNG.choice([-1.0, 1.0], shape)


def classes(n, c):
    return RNG.integers(0, c, n)


def multilabel(n, c):
    """Rows of class lists ended by −1 (some full, some empty), as multilabel_margin_loss
    takes them."""
    t = np.full((n, c), -1, np.int64)
    for i in range(n):
        k = i % (c + 1)
        t[i, :k] = RNG.permutation(c)[:k]
    return t


def cosine_distance(L):
    return lambda a, b: 1.0 - F(L).cosine_similarity(a, b)


# label, fn(lib, *tensors, reduction), arrays, first-order only (torch has no double backward)
CASES = [
    ("triplet", lambda L, a, p, n, r: F(L).triplet_margin_loss(a, p, n, reduction=r),
     lambda: [arr(5, 4), arr(5, 4), arr(5, 4)], False),
    ("triplet p1 swap", lambda L, a, p, n, r: F(L).triplet_margin_loss(
        a, p, n, margin=0.5, p=1, swap=True, reduction=r),
     lambda: [arr(6, 3), arr(6, 3), arr(6, 3)], False),
    ("triplet p3 eps 1d", lambda L, a, p, n, r: F(L).triplet_margin_loss(
        a, p, n, margin=2.0, p=3, eps=1e-3, reduction=r), lambda: [arr(4), arr(4), arr(4)],
     False),
    ("triplet distance", lambda L, a, p, n, r: F(L).triplet_margin_with_distance_loss(
        a, p, n, reduction=r), lambda: [arr(5, 4), arr(5, 4), arr(5, 4)], False),
    ("triplet cosine swap", lambda L, a, p, n, r: F(L).triplet_margin_with_distance_loss(
        a, p, n, distance_function=cosine_distance(L), margin=0.7, swap=True, reduction=r),
     lambda: [arr(6, 3), arr(6, 3), arr(6, 3)], False),
    ("poisson log", lambda L, x, y, r: F(L).poisson_nll_loss(x, y, reduction=r),
     lambda: [arr(4, 5), arr(4, 5, lo=0, hi=4)], False),
    ("poisson rate full", lambda L, x, y, r: F(L).poisson_nll_loss(
        x, y, log_input=False, full=True, eps=1e-4, reduction=r),
     lambda: [arr(4, 5, lo=0.1, hi=3), arr(4, 5, lo=0.2, hi=4)], False),
    ("poisson log full broadcast", lambda L, x, y, r: F(L).poisson_nll_loss(
        x, y, full=True, reduction=r), lambda: [arr(3, 4), arr(4, lo=0.5, hi=3)], False),
    ("gaussian", lambda L, x, y, v, r: F(L).gaussian_nll_loss(x, y, v, reduction=r),
     lambda: [arr(4, 3), arr(4, 3), arr(4, 3, lo=0.2, hi=2)], False),
    ("gaussian var per sample full", lambda L, x, y, v, r: F(L).gaussian_nll_loss(
        x, y, v, full=True, reduction=r), lambda: [arr(4, 3), arr(4, 3), arr(4, lo=0.2, hi=2)],
     False),
    ("gaussian var broadcast dim", lambda L, x, y, v, r: F(L).gaussian_nll_loss(
        x, y, v, reduction=r), lambda: [arr(2, 3, 4), arr(2, 3, 4), arr(2, 1, 4, lo=0.2, hi=2)],
     False),
    ("gaussian var clamped", lambda L, x, y, v, r: F(L).gaussian_nll_loss(
        x, y, v, eps=0.5, reduction=r), lambda: [arr(4, 3), arr(4, 3), arr(4, 3, lo=0.1, hi=2)],
     False),
    ("gaussian float var", lambda L, x, y, r: F(L).gaussian_nll_loss(x, y, 0.7, reduction=r),
     lambda: [arr(4, 3), arr(4, 3)], False),
    ("soft_margin", lambda L, x, y, r: F(L).soft_margin_loss(x, y, reduction=r),
     lambda: [arr(4, 5), signs(4, 5)], False),
    ("soft_margin broadcast", lambda L, x, y, r: F(L).soft_margin_loss(x, y, reduction=r),
     lambda: [arr(3, 4), arr(4)], False),
    ("multi_margin", lambda L, x, t, r: F(L).multi_margin_loss(x, t, reduction=r),
     lambda: [arr(6, 4), classes(6, 4)], True),
    ("multi_margin p2 weight", lambda L, x, t, w, r: F(L).multi_margin_loss(
        x, t, p=2, margin=0.7, weight=w, reduction=r),
     lambda: [arr(6, 4), classes(6, 4), arr(4, lo=0.1, hi=2)], True),
    ("multi_margin 1d", lambda L, x, t, r: F(L).multi_margin_loss(x, t, reduction=r),
     lambda: [arr(5), np.array(3)], True),
    ("multilabel_margin", lambda L, x, t, r: F(L).multilabel_margin_loss(x, t, reduction=r),
     lambda: [arr(6, 5), multilabel(6, 5)], True),
    ("multilabel_margin 1d", lambda L, x, t, r: F(L).multilabel_margin_loss(
        x, t, reduction=r), lambda: [arr(4), np.array([2, 0, -1, 1])], True),
    ("multilabel_soft_margin", lambda L, x, y, r: F(L).multilabel_soft_margin_loss(
        x, y, reduction=r), lambda: [arr(4, 5), RNG.integers(0, 2, (4, 5)) * 1.0], False),
    ("multilabel_soft_margin weight", lambda L, x, y, w, r: F(L).multilabel_soft_margin_loss(
        x, y, w, reduction=r), lambda: [arr(4, 5), arr(4, 5, lo=0, hi=1), arr(5)], False),
    ("multilabel_soft_margin 1d", lambda L, x, y, r: F(L).multilabel_soft_margin_loss(
        x, y, reduction=r), lambda: [arr(5), arr(5, lo=0, hi=1)], False),
]


def _grads(label, arrays):
    """Every float array is differentiated, except multi_margin's weight (torch: not
    implemented) and soft_margin's target (torch: not differentiable)."""
    return [a.dtype.kind == "f" and not (label.startswith("multi_margin") and i == 2)
            and not (label.startswith("soft_margin") and i == 1)
            for i, a in enumerate(arrays)]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("label,fn,make,first_only", CASES, ids=[c[0] for c in CASES])
def test_losses_against_torch(label, fn, make, first_only, dtype, reduction):
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in make()]
    check_against_torch(lambda L, *ts: fn(L, *ts, reduction), arrays,
                        grad=_grads(label, arrays), second_order=not first_only,
                        label=label, **TOL[dtype])


@pytest.mark.parametrize("label,fn,make,first_only",
                         [c for c in CASES if c[3]], ids=[c[0] for c in CASES if c[3]])
def test_hinge_losses_second_order_is_their_own(label, fn, make, first_only):
    """torch has no double backward for these kernels; ours is the piecewise polynomial's:
    zero for the linear hinges, for p = 2 the Hessian-vector product H·u (checked against
    central differences of the gradient)."""
    arrays = make()
    rest = [tg.tensor(a) for a in arrays[1:]]

    def grad_at(a, create_graph=False):
        x = tg.tensor(a, requires_grad=True)
        (g,) = tg.autograd.grad(fn(tg, x, *rest, "sum"), [x], create_graph=create_graph)
        return x, g

    u = RNG.standard_normal(arrays[0].shape)
    x, g = grad_at(arrays[0], True)
    if not g.requires_grad:              # a gradient that does not depend on x
        h = np.zeros(x.shape)
    else:
        (h,) = tg.autograd.grad((g * tg.tensor(u)).sum(), [x])
        h = h.numpy()
    eps = 1e-6
    numeric = (grad_at(arrays[0] + eps * u)[1].numpy()
               - grad_at(arrays[0] - eps * u)[1].numpy()) / (2 * eps)
    np.testing.assert_allclose(h, numeric, atol=1e-6)
    assert ("p2" in label) == bool(np.abs(h).max() > 0)


# ============================================================================ modules
MODULES = [
    ("TripletMarginLoss", {}, lambda: [arr(4, 3), arr(4, 3), arr(4, 3)]),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, eps=1e-4, swap=True, reduction="sum"),
     lambda: [arr(4, 3), arr(4, 3), arr(4, 3)]),
    ("TripletMarginWithDistanceLoss", dict(margin=0.3, swap=True),
     lambda: [arr(4, 3), arr(4, 3), arr(4, 3)]),
    ("PoissonNLLLoss", {}, lambda: [arr(4, 3), arr(4, 3, lo=0, hi=3)]),
    ("PoissonNLLLoss", dict(log_input=False, full=True, eps=1e-3, reduction="none"),
     lambda: [arr(4, 3, lo=0.1, hi=2), arr(4, 3, lo=0, hi=3)]),
    ("GaussianNLLLoss", dict(full=True, eps=1e-3), lambda: [arr(4, 3), arr(4, 3),
                                                            arr(4, 1, lo=0.1, hi=2)]),
    ("SoftMarginLoss", dict(reduction="sum"), lambda: [arr(4, 3), signs(4, 3)]),
    ("MultiMarginLoss", dict(p=2, margin=0.5), lambda: [arr(4, 3), classes(4, 3)]),
    ("MultiLabelMarginLoss", {}, lambda: [arr(4, 3), multilabel(4, 3)]),
    ("MultiLabelSoftMarginLoss", {}, lambda: [arr(4, 3), arr(4, 3, lo=0, hi=1)]),
]


@pytest.mark.parametrize("name,kwargs,make", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules_match_torch(name, kwargs, make):
    ours, theirs = getattr(tg.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs) and ours.reduction == theirs.reduction
    assert list(ours.state_dict()) == list(theirs.state_dict())
    arrays = make()
    grad = [a.dtype.kind == "f" and not (name == "SoftMarginLoss" and i == 1)
            for i, a in enumerate(arrays)]
    check_against_torch(lambda L, *ts: (ours if L is tg else theirs)(*ts), arrays, grad=grad,
                        second_order=False, label=name)


@pytest.mark.parametrize("name", ["MultiMarginLoss", "MultiLabelSoftMarginLoss"])
def test_weighted_loss_modules_keep_weight_as_a_buffer(name):
    w = arr(3, lo=0.1, hi=1)
    ours, theirs = getattr(tg.nn, name)(weight=tg.tensor(w)), \
        getattr(torch.nn, name)(weight=torch.tensor(w))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert list(dict(ours.named_buffers())) == ["weight"]
    x = arr(4, 3)
    t = classes(4, 3) if name == "MultiMarginLoss" else arr(4, 3, lo=0, hi=1)
    assert_same(ours(tg.tensor(x), tg.tensor(t)), theirs(torch.tensor(x), torch.tensor(t)),
                1e-12, 1e-14)


@pytest.mark.parametrize("name", ["NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss",
                                  "MultiMarginLoss", "MultiLabelSoftMarginLoss"])
def test_loss_weights_are_buffers_in_the_state_dict_as_torch(name):
    w = arr(3, lo=0.1, hi=1)
    kw = {"pos_weight": w} if name == "BCEWithLogitsLoss" else {}
    ours = getattr(tg.nn, name)(weight=tg.tensor(w), **{k: tg.tensor(v) for k, v in kw.items()})
    theirs = getattr(torch.nn, name)(weight=torch.tensor(w),
                                     **{k: torch.tensor(v) for k, v in kw.items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(getattr(tg.nn, name)().state_dict()) == list(getattr(torch.nn, name)()
                                                             .state_dict()) == []


def test_triplet_with_distance_default_is_a_pairwise_distance_module():
    ours = tg.nn.TripletMarginWithDistanceLoss()
    assert type(ours.distance_function).__name__ == "PairwiseDistance"
    assert "distance_function" in dict(ours.named_children())


# ============================================================================ errors
def _z(L, *shape):
    return L.zeros(*shape, dtype=L.float64)


ERRORS = [
    ("triplet margin", lambda L: F(L).triplet_margin_loss(_z(L, 3, 4), _z(L, 3, 4),
                                                          _z(L, 3, 4), margin=0),
     ValueError, "margin must be greater than 0"),
    ("triplet dims", lambda L: F(L).triplet_margin_loss(_z(L, 3, 4), _z(L, 4), _z(L, 3, 4)),
     RuntimeError, "same number of dimensions"),
    ("triplet reduction", lambda L: F(L).triplet_margin_loss(_z(L, 3, 4), _z(L, 3, 4),
                                                             _z(L, 3, 4), reduction="x"),
     ValueError, "not a valid value for reduction"),
    ("triplet distance reduction", lambda L: F(L).triplet_margin_with_distance_loss(
        _z(L, 3, 4), _z(L, 3, 4), _z(L, 3, 4), reduction="x"), ValueError, "not a valid"),
    ("triplet distance margin", lambda L: F(L).triplet_margin_with_distance_loss(
        _z(L, 3, 4), _z(L, 3, 4), _z(L, 3, 4), margin=-1), ValueError, "greater than 0"),
    ("TripletMarginLoss margin", lambda L: L.nn.TripletMarginLoss(margin=0), ValueError,
     "expected margin to be greater than 0"),
    ("TripletMarginWithDistanceLoss margin", lambda L: L.nn.TripletMarginWithDistanceLoss(
        margin=0), ValueError, "expected margin to be greater than 0"),
    ("poisson reduction", lambda L: F(L).poisson_nll_loss(_z(L, 3), _z(L, 3), reduction="x"),
     ValueError, "not a valid value for reduction"),
    ("gaussian negative var", lambda L: F(L).gaussian_nll_loss(_z(L, 3), _z(L, 3),
                                                               -_z(L, 3) - 1),
     ValueError, "var has negative entry"),
    ("gaussian negative float", lambda L: F(L).gaussian_nll_loss(_z(L, 3), _z(L, 3), -1.0),
     ValueError, "var has negative entry"),
    ("gaussian var size", lambda L: F(L).gaussian_nll_loss(_z(L, 3, 4), _z(L, 3, 4),
                                                           _z(L, 2) + 1),
     ValueError, "var is of incorrect size"),
    ("gaussian reduction", lambda L: F(L).gaussian_nll_loss(_z(L, 3), _z(L, 3), _z(L, 3) + 1,
                                                            reduction="x"),
     ValueError, "x is not valid"),
    ("soft_margin target grad", lambda L: F(L).soft_margin_loss(
        _z(L, 3), _z(L, 3).requires_grad_()), RuntimeError, "not differentiable with respect"),
    ("soft_margin reduction", lambda L: F(L).soft_margin_loss(_z(L, 3), _z(L, 3),
                                                              reduction="x"),
     ValueError, "not a valid value"),
    ("multi_margin p", lambda L: F(L).multi_margin_loss(_z(L, 3, 4), L.tensor([0, 1, 2]), p=3),
     ValueError, "only p == 1 and p == 2 supported"),
    ("multi_margin range", lambda L: F(L).multi_margin_loss(_z(L, 3, 4), L.tensor([0, 5, 2])),
     RuntimeError, "target out of range"),
    ("multi_margin negative", lambda L: F(L).multi_margin_loss(_z(L, 3, 4),
                                                               L.tensor([0, -1, 2])),
     RuntimeError, "target out of range"),
    ("multi_margin target size", lambda L: F(L).multi_margin_loss(_z(L, 3, 4),
                                                                  L.tensor([0, 1])),
     RuntimeError, "target tensor should be 1-D"),
    ("multi_margin float target", lambda L: F(L).multi_margin_loss(
        _z(L, 3, 4), L.tensor([0.0, 1.0, 2.0])), RuntimeError, "expected scalar type Long"),
    ("multi_margin weight size", lambda L: F(L).multi_margin_loss(
        _z(L, 3, 4), L.tensor([0, 1, 2]), weight=_z(L, 3)), RuntimeError,
     "inconsistent weight size"),
    ("multi_margin weight 2d", lambda L: F(L).multi_margin_loss(
        _z(L, 3, 4), L.tensor([0, 1, 2]), weight=_z(L, 1, 4)), ValueError,
     "weight must be one-dimensional"),
    ("multi_margin 3d", lambda L: F(L).multi_margin_loss(_z(L, 3, 4, 2), L.tensor([0, 1, 2])),
     RuntimeError, "Expected non-empty vector or matrix"),
    ("MultiMarginLoss p", lambda L: L.nn.MultiMarginLoss(p=3), ValueError,
     "only p == 1 and p == 2"),
    ("MultiMarginLoss weight", lambda L: L.nn.MultiMarginLoss(weight=_z(L, 2, 2)), ValueError,
     "expected weight to be None or 1D tensor"),
    ("multilabel size", lambda L: F(L).multilabel_margin_loss(
        _z(L, 3, 4), L.tensor([[0, 1, -1, 2]] * 2)), RuntimeError, "inconsistent target size"),
    ("multilabel range", lambda L: F(L).multilabel_margin_loss(
        _z(L, 3, 4), L.tensor([[0, 5, -1, 2]] * 3)), RuntimeError, "out of range"),
    ("multilabel negative", lambda L: F(L).multilabel_margin_loss(
        _z(L, 3, 4), L.tensor([[0, -2, -1, 2]] * 3)), RuntimeError, "out of range"),
    ("multilabel float", lambda L: F(L).multilabel_margin_loss(
        _z(L, 3, 4), L.tensor([[0.0, 1, -1, 2]] * 3)), RuntimeError, "expected scalar type"),
    ("multilabel 3d", lambda L: F(L).multilabel_margin_loss(
        _z(L, 2, 3, 4), L.tensor([[[0, 1, -1, 2]] * 3] * 2)), RuntimeError,
     "Expected non-empty vector or matrix"),
    ("multilabel soft reduction", lambda L: F(L).multilabel_soft_margin_loss(
        _z(L, 3, 4), _z(L, 3, 4), reduction="x"), ValueError, "x is not valid"),
]


@pytest.mark.parametrize("label,call,error,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(label, call, error, match):
    with pytest.raises(error, match=match):
        call(torch)
    with pytest.raises(error, match=match):
        call(tg)
