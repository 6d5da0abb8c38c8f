"""Edges of the nn functions against torch 2.13, table by table: nearest interpolation's index
rule on 3-D/4-D/5-D inputs, NaN through threshold and the shrinks, cross entropy with label
smoothing when every target is ignored, the dtypes of mixed-precision losses, targets that
broadcast, empty batches in batch and group norm, Softmax without a dim, embedding_bag's
``include_last_offset``, integer inputs (and torch's error classes for those it refuses),
BatchNorm state dicts without ``num_batches_tracked``, and kl_div's gradient at a zero target.

Each row runs the same call on torch and on tinygrad_sgd and compares what comes out: the
values (NaN where torch has NaN, signed zeros where asked), the dtype, the gradient w.r.t.
every input that takes one, the warnings, or the class (and text) of the error."""
import re
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

RNG = np.random.default_rng(2024)


from torch_compare import F, Outcome, assert_values, as_numpy as _np, dtype_name as _name  # noqa: E402,F401


def same_as_torch(fn, arrays, grad=(), rtol=1e-6, atol=1e-7, warns=False, signed_zeros=False,
                  message=True):
    """fn(L, *tensors) on torch and on us: the same error (ours an instance of torch's class,
    with torch's message in ours when ``message``), or the same values, dtype, gradients
    w.r.t. ``arrays[i]`` for i in ``grad`` (and, with ``warns``, the same warnings)."""
    theirs, ours = Outcome(torch, fn, arrays, grad), Outcome(tg, fn, arrays, grad)
    if theirs.error is not None:
        assert ours.error is not None, f"torch raised {theirs.error!r}, we returned {ours.out}"
        assert isinstance(ours.error, type(theirs.error)), \
            f"{type(ours.error).__name__}: {ours.error} is not torch's {theirs.error!r}"
        if message:       # (torch's first line: some add the C++ value's repr below)
            expected = str(theirs.error).split("\n")[0]
            assert expected in str(ours.error), (str(ours.error), expected)
        return
    if ours.error is not None:
        raise AssertionError(f"torch returned {theirs.out}, we raised") from ours.error
    assert_values(ours.out, theirs.out, rtol, atol, signed_zeros)
    assert (theirs.grads is None) == (ours.grads is None)
    for i, (g, h) in enumerate(zip(ours.grads or (), theirs.grads or ())):
        assert (g is None) == (h is None), f"gradient {i}"
        if h is not None:
            assert_values(g, h, rtol, atol, signed_zeros, what=f"gradient {i}")
    if warns:
        assert ours.warnings == theirs.warnings


def arr(*shape, lo=-2.0, hi=2.0, dtype=np.float64):
    return RNG.uniform(lo, hi, shape).astype(dtype)


# ============================================================================ 1. nearest
def _nearest_cases():
    kws = ([dict(scale_factor=s) for s in (1.0, 1.2, 2.0, 2.2, 0.5, 0.7, 1.5, 2.9)]
           + [dict(scale_factor=s, recompute_scale_factor=True) for s in (1.2, 2.2, 0.7)]
           + [dict(size="same"), dict(size="double"), dict(size="plus1"), dict(size=1)])
    for dims, n in ((1, 4), (1, 3), (2, 4), (2, 3), (3, 3), (3, 2)):
        for mode in ("nearest", "nearest-exact"):
            for kw in kws:
                yield (2, 3) + (n,) * dims, mode, kw, False
    for shape in ((1, 3, 40, 40), (1, 5, 40, 40), (2, 2, 70, 30), (1, 5, 3, 4, 5)):
        for mode in ("nearest", "nearest-exact"):       # big outputs; channels-last layouts
            for s in (1 + 0.5 / max(shape[2:]), 2 + 0.5 / max(shape[2:])):
                for channels_last in (False, True):
                    yield shape, mode, dict(scale_factor=s), channels_last


def _sizes(kw, spatial):
    size = kw.get("size")
    if size is None or isinstance(size, int):
        return kw
    n = spatial[0]
    return dict(size={"same": n, "double": 2 * n, "plus1": n + 1}[size])


def _layout(L, a, channels_last):
    """``a`` as a tensor of library L, stored channels-last (C innermost) if asked."""
    if not channels_last:
        return L.tensor(a)
    perm = (0,) + tuple(range(2, a.ndim)) + (1,)
    back = (0, a.ndim - 1) + tuple(range(1, a.ndim - 1))
    if L is torch:
        fmt = torch.channels_last if a.ndim == 4 else torch.channels_last_3d
        return torch.tensor(a).contiguous(memory_format=fmt)
    return tg.tensor(np.ascontiguousarray(a.transpose(perm)).transpose(back))


@pytest.mark.parametrize("shape,mode,kw,channels_last", list(_nearest_cases()))
def test_nearest_interpolation_matches_torch(shape, mode, kw, channels_last):
    """torch 2.13 (CPU) copies a kept size and halves a doubled one whatever the scale factor
    only in its 4-D small-output and channels-last kernels: elsewhere index ⌊o/scale⌋. The
    forward is compared exactly; the gradient with the adjoint of torch's forward map (read
    off torch's forward of an index array) — torch's own backward always takes the shortcuts,
    so where its forward does not, its gradient is not the adjoint (its gradcheck fails)."""
    kw = _sizes(kw, shape[2:])
    x = arr(*shape)
    expected = F(torch).interpolate(_layout(torch, x, channels_last), mode=mode, **kw)
    xt = _layout(tg, x, channels_last).requires_grad_(True)
    out = F(tg).interpolate(xt, mode=mode, **kw)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    index = np.arange(x.size, dtype=np.float64).reshape(shape)
    picked = F(torch).interpolate(_layout(torch, index, channels_last), mode=mode, **kw)
    g = arr(*expected.shape)
    adjoint = np.zeros(x.size)
    np.add.at(adjoint, picked.numpy().astype(np.int64).ravel(), g.ravel())
    (out * tg.tensor(g)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), adjoint.reshape(shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,kw,expected", [
    ((1, 1, 4), dict(scale_factor=2.2), [0, 0, 0, 1, 1, 2, 2, 3]),
    ((1, 1, 3), dict(scale_factor=1.2), [0, 0, 1]),
    ((1, 1, 3, 1, 1), dict(scale_factor=(1.2, 1.0, 1.0)), [0, 0, 1]),
    ((1, 1, 1, 4), dict(scale_factor=(1.0, 2.2)), [0, 0, 1, 1, 2, 2, 3, 3]),   # 4-D: o >> 1
])
def test_nearest_audit_examples(shape, kw, expected):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    for L in (torch, tg):
        assert _np(F(L).interpolate(L.tensor(x), **kw)).ravel().tolist() == expected


# ============================================================================ 2. NaN
SPECIAL = np.array([np.nan, -0.3, 0.3, -0.0, 0.0, 0.5, -0.5, 1.0, -1.0, np.inf, -np.inf, 2.0])


def _threshold_(L, x):
    y = x * 1.0
    F(L).threshold_(y, 0.5, -2.0)
    return y


def _threshold_inplace(L, x):
    y = x * 1.0
    return L.nn.Threshold(0.5, -2.0, inplace=True)(y)


@pytest.mark.parametrize("fn", [
    lambda L, x: F(L).threshold(x, 0.5, -2.0),
    lambda L, x: F(L).threshold(x, float("nan"), -2.0),
    lambda L, x: F(L).threshold(x, -np.inf, 7.0),
    _threshold_,
    _threshold_inplace,
    lambda L, x: L.nn.Threshold(0.5, -2.0)(x),
    lambda L, x: F(L).hardshrink(x),
    lambda L, x: F(L).hardshrink(x, 1.0),
    lambda L, x: L.nn.Hardshrink(0.3)(x),
    lambda L, x: F(L).softshrink(x),
    lambda L, x: F(L).softshrink(x, 1.0),
    lambda L, x: F(L).softshrink(x, 0.0),
    lambda L, x: L.nn.Softshrink(0.3)(x),
], ids=["threshold", "threshold nan", "threshold -inf", "threshold_", "Threshold inplace",
        "Threshold", "hardshrink", "hardshrink 1", "Hardshrink", "softshrink", "softshrink 1",
        "softshrink 0", "Softshrink"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threshold_and_shrinks_keep_nan(fn, dtype):
    """torch keeps NaN (``x ≤ t ? value : x``, ``−λ ≤ x ≤ λ ? 0 : …``). Values, and the
    gradients at every non-NaN input (at a NaN, see the next test). (Zeros' signs are not
    compared: torch's softshrink writes x·0 in its scalar loop, +0 in its vectorised one.)"""
    same_as_torch(fn, [SPECIAL.astype(dtype)], rtol=0, atol=0)
    same_as_torch(fn, [SPECIAL[1:].astype(dtype)], grad=(0,), rtol=0, atol=0)


@pytest.mark.parametrize("fn", [
    lambda L, x: F(L).threshold(x, 0.5, -2.0),
    lambda L, x: F(L).hardshrink(x),
    lambda L, x: F(L).softshrink(x),
], ids=["threshold", "hardshrink", "softshrink"])
@pytest.mark.parametrize("n", [1, 3])
def test_nan_passes_its_gradient_on(fn, n):
    """At a NaN input the gradient is g (torch's formulas ``x ≤ t ? 0 : g`` and
    ``−λ ≤ x ≤ λ ? 0 : g``; threshold's kernel always, the shrinks' scalar loop — their
    vectorised loop, over runs of 8 or 16 elements, gives 0: torch differs from itself)."""
    same_as_torch(fn, [np.full(n, np.nan)], grad=(0,), rtol=0, atol=0)
    x = tg.tensor(np.full(40, np.nan), requires_grad=True)
    fn(tg, x).sum().backward()
    assert (x.grad.numpy() == 1).all()


def test_threshold_of_bool_is_torchs_not_implemented():
    same_as_torch(lambda L, x: F(L).threshold(x, 0.5, 1.0), [np.array([True, False])])


# ============================================================================ 3. label smoothing
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("targets,logits", [
    ([-100, -100], [[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]),           # every target ignored
    ([-100, 1], [[np.inf, 0.0, 0.0], [1.0, 2.0, 3.0]]),           # a non-finite ignored row
    ([3, -100, 3], [[1.0, 2.0, 3.0, 0.5], [0.0, 1.0, 0.0, 2.0], [2.0, 1.0, 0.0, -1.0]]),
])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_with_ignored_targets(reduction, weighted, targets, logits, smoothing):
    """torch's smoothing term is masked_fill(ignored, 0) ÷ (kept count): with every target
    ignored the loss is NaN (0/0) but the gradient 0, not NaN; an ignored row's loss is 0
    whatever its logits hold."""
    C = len(logits[0])
    w = np.linspace(0.5, 2.0, C)

    def ce(L, x, t, w_):
        return F(L).cross_entropy(x, t, weight=w_ if weighted else None, reduction=reduction,
                                  label_smoothing=smoothing)
    same_as_torch(ce, [np.array(logits), np.array(targets), w], grad=(0,), rtol=1e-12,
                  atol=1e-12, signed_zeros=reduction == "none")


# ============================================================================ 4. dtypes
DTYPE_PAIRS = [(np.float32, np.float64), (np.float64, np.float32), (np.float32, np.float16),
               (np.float64, np.int64), (np.float32, np.int64), (np.float32, np.bool_)]

LOSSES = {
    "mse": lambda L, x, y, r: F(L).mse_loss(x, y, reduction=r),
    "l1": lambda L, x, y, r: F(L).l1_loss(x, y, reduction=r),
    "smooth_l1": lambda L, x, y, r: F(L).smooth_l1_loss(x, y, reduction=r, beta=0.5),
    "smooth_l1 beta 0": lambda L, x, y, r: F(L).smooth_l1_loss(x, y, reduction=r, beta=0.0),
    "huber": lambda L, x, y, r: F(L).huber_loss(x, y, reduction=r),
    "kl_div": lambda L, x, y, r: F(L).kl_div(x, y, reduction=r),
    "kl_div log_target": lambda L, x, y, r: F(L).kl_div(x, y, reduction=r, log_target=True),
    "cross_entropy probs": lambda L, x, y, r: F(L).cross_entropy(x, y, reduction=r),
    "cross_entropy probs smoothed": lambda L, x, y, r: F(L).cross_entropy(
        x, y, reduction=r, label_smoothing=0.2),
    "bce": lambda L, x, y, r: F(L).binary_cross_entropy(x.sigmoid(), y, reduction=r),
    "bce_with_logits": lambda L, x, y, r: F(L).binary_cross_entropy_with_logits(
        x, y, reduction=r),
    "bce_with_logits weighted": lambda L, x, y, r: F(L).binary_cross_entropy_with_logits(
        x, y, reduction=r, pos_weight=L.tensor([2.0, 0.5, 1.0]), weight=L.tensor([0.3])),
    "hinge_embedding": lambda L, x, y, r: F(L).hinge_embedding_loss(x, y, reduction=r),
    "soft_margin": lambda L, x, y, r: F(L).soft_margin_loss(x, y.detach() * 2 - 1,
                                                            reduction=r),
    "poisson_nll": lambda L, x, y, r: F(L).poisson_nll_loss(x, y, reduction=r),
}


def _target(dtype, shape=(2, 3)):
    if dtype == np.bool_:
        return RNG.uniform(size=shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return RNG.integers(0, 2, shape).astype(dtype)
    return RNG.uniform(0.05, 1.0, shape).astype(dtype)


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=lambda p: f"{p[0].__name__}-{p[1].__name__}")
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_mixed_dtype_losses(loss, dtypes, reduction):
    """torch's result dtype (the promotion of the two for mse/l1/smooth_l1 and kl_div, the
    target's for bce_with_logits, the input's for huber and hinge_embedding_loss), the
    gradients in each input's own dtype — or torch's error (bce takes no mixed dtypes, kl_div
    no integers, cross entropy no integer probabilities, bce_with_logits no integer target)."""
    x = arr(2, 3, lo=-1.0, hi=0.0, dtype=dtypes[0])
    y = _target(dtypes[1])
    grad = (0, 1) if np.dtype(dtypes[1]).kind == "f" else (0,)
    if loss == "huber":         # torch's forward casts the target; its backward then refuses
        grad = ()               # the mix ("Found dtype Double but expected Float"); ours works
    low = np.float16 in dtypes or np.float32 in dtypes
    half = np.float16 in dtypes         # (torch computes bce_with_logits in the target's half)
    same_as_torch(lambda L, a, b: LOSSES[loss](L, a, b, reduction), [x, y], grad=grad,
                  rtol=2e-3 if half else 1e-5 if low else 1e-12, atol=1e-4 if half else 1e-6)


@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.float64, np.float32)],
                         ids=str)
def test_huber_of_mixed_dtypes_has_gradients(dtypes):
    """torch's huber_loss computes a mixed pair in the input's dtype but cannot differentiate
    it; ours gives the gradients of that computation (torch's, for the target cast first)."""
    x, y = arr(2, 3, dtype=dtypes[0]), arr(2, 3, dtype=dtypes[1])
    xo, yo = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
    xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    out = F(tg).huber_loss(xo, yo, delta=0.5)
    expected = F(torch).huber_loss(xt, yt.to(xt.dtype), delta=0.5)
    assert_values(out, expected, 1e-6, 1e-7)
    out.backward()
    expected.backward()
    assert_values(xo.grad, xt.grad, 1e-6, 1e-7)
    assert_values(yo.grad, yt.grad, 1e-6, 1e-7)


def test_mixed_dtype_audit_examples():
    cases = [(lambda L: F(L).mse_loss(L.ones(2), L.zeros(2, dtype=L.float64)), "float64"),
             (lambda L: F(L).l1_loss(L.ones(2), L.zeros(2, dtype=L.float64)), "float64"),
             (lambda L: F(L).kl_div(L.ones(2), L.ones(2, dtype=L.float64)), "float64"),
             (lambda L: F(L).cross_entropy(L.ones(2, 3), L.ones(2, 3, dtype=L.float64) / 3),
              "float64"),
             (lambda L: F(L).binary_cross_entropy_with_logits(L.ones(2, dtype=L.float64),
                                                              L.ones(2)), "float32")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn, dtype in cases:
            assert _name(fn(torch).dtype) == _name(fn(tg).dtype) == dtype


# ============================================================================ 5. broadcasting
BROADCASTING = {
    "mse": lambda L, x, y: F(L).mse_loss(x, y, reduction="none"),
    "mse mean": lambda L, x, y: F(L).mse_loss(x, y),
    "mse weighted": lambda L, x, y: F(L).mse_loss(x, y, weight=L.ones(x.shape) * 0.5),
    "l1": lambda L, x, y: F(L).l1_loss(x, y, reduction="none"),
    "l1 sum": lambda L, x, y: F(L).l1_loss(x, y, reduction="sum"),
    "smooth_l1": lambda L, x, y: F(L).smooth_l1_loss(x, y, reduction="none"),
    "huber": lambda L, x, y: F(L).huber_loss(x, y, reduction="none", delta=0.3),
    "huber mean": lambda L, x, y: F(L).huber_loss(x, y, delta=0.3),
    "kl_div": lambda L, x, y: F(L).kl_div(x, y, reduction="none"),
    "kl_div batchmean": lambda L, x, y: F(L).kl_div(x, y, reduction="batchmean"),
    "kl_div log_target": lambda L, x, y: F(L).kl_div(x, y, reduction="sum", log_target=True),
    "hinge_embedding": lambda L, x, y: F(L).hinge_embedding_loss(x, y.sign(), reduction="none"),
    "hinge_embedding mean": lambda L, x, y: F(L).hinge_embedding_loss(x, (y - 0.5).sign()),
    "MSELoss": lambda L, x, y: L.nn.MSELoss()(x, y),
    "L1Loss": lambda L, x, y: L.nn.L1Loss(reduction="none")(x, y),
}
SHAPES = [((3, 4), (1, 4)), ((3, 4), (4,)), ((1, 4), (3, 4)), ((3, 1), (1, 4)), ((3, 4), ()),
          ((4,), (3, 4)), ((3, 4), (2, 4)), ((2, 3, 4), (3, 1)), ((3, 4), (3, 4))]


@pytest.mark.parametrize("loss", list(BROADCASTING))
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_losses_broadcast_targets(loss, shapes):
    """mse/l1/smooth_l1/huber warn (torch's text) and broadcast; kl_div and
    hinge_embedding_loss broadcast silently; sizes that do not broadcast are torch's
    RuntimeError, with its message. The gradients sum back to each input's shape."""
    x, y = arr(*shapes[0], lo=-1.0, hi=1.0), arr(*shapes[1], lo=0.05, hi=1.0)
    same_as_torch(BROADCASTING[loss], [x, y], grad=(0, 1), rtol=1e-12, atol=1e-12, warns=True)


# ============================================================================ 6. empty batches
@pytest.mark.parametrize("make,shape", [
    (lambda L: L.nn.BatchNorm2d(3), (0, 3, 4, 4)),
    (lambda L: L.nn.BatchNorm2d(3, momentum=None), (0, 3, 4, 4)),
    (lambda L: L.nn.BatchNorm1d(3), (0, 3)),
    (lambda L: L.nn.BatchNorm1d(3), (0, 3, 5)),
    (lambda L: L.nn.BatchNorm1d(3, momentum=None), (2, 3, 0)),
    (lambda L: L.nn.BatchNorm3d(3), (0, 3, 2, 2, 2)),
    (lambda L: L.nn.BatchNorm2d(3, track_running_stats=False), (0, 3, 2, 2)),
    (lambda L: L.nn.BatchNorm2d(3).eval(), (0, 3, 2, 2)),
    (lambda L: L.nn.GroupNorm(3, 3), (0, 3, 4, 4)),
    (lambda L: L.nn.GroupNorm(3, 6), (0, 6)),
    (lambda L: L.nn.GroupNorm(1, 3, affine=False), (0, 3, 5)),
    (lambda L: L.nn.BatchNorm1d(3), (1, 3)),                     # torch's ValueError
], ids=["bn2d", "bn2d cumulative", "bn1d 2-D", "bn1d 3-D", "bn1d no length", "bn3d",
        "bn untracked", "bn eval", "gn 4-D", "gn 2-D", "gn no affine", "bn one value"])
def test_empty_batches(make, shape):
    """torch returns an empty output, zero weight/bias gradients, leaves the running
    statistics as they were and counts the batch in ``num_batches_tracked``."""
    modules = {}

    def run(L, x):
        modules[L] = m = make(L)
        return m(x)
    same_as_torch(run, [np.zeros(shape, np.float32)], grad=(0,))
    theirs, ours = modules[torch], modules[tg]
    for name in ("weight", "bias"):
        t, o = getattr(theirs, name), getattr(ours, name)
        if t is not None and t.grad is not None:
            np.testing.assert_array_equal(_np(o.grad), _np(t.grad))
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        t, o = getattr(theirs, name, None), getattr(ours, name, None)
        assert (t is None) == (o is None)
        if t is not None:
            np.testing.assert_array_equal(_np(o), _np(t))


def test_empty_batch_functional_batch_norm():
    def bn(L, x, mean, var):
        out = F(L).batch_norm(x, mean, var, training=True, momentum=0.3)
        return L.stack([mean.sum(), var.sum()]) + out.sum()   # running stats unchanged
    same_as_torch(bn, [np.zeros((0, 3), np.float32), np.ones(3, np.float32),
                       2 * np.ones(3, np.float32)], grad=(0,))


# ============================================================================ 7. implicit dim
@pytest.mark.parametrize("layer", ["Softmax", "LogSoftmax", "Softmin"])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), (2, 3, 2, 2)], ids=str)
def test_softmax_layers_without_dim(layer, shape):
    """``nn.Softmax()``: torch's deprecated implicit dim (0 for 0-, 1- and 3-D inputs, else 1),
    with its warning; the repr says ``dim=None``."""
    assert repr(getattr(tg.nn, layer)()) == repr(getattr(torch.nn, layer)())
    same_as_torch(lambda L, x: getattr(L.nn, layer)()(x), [arr(*shape)], grad=(0,),
                  rtol=1e-12, atol=1e-12, warns=True)


# ============================================================================ 8. embedding_bag
@pytest.mark.parametrize("offsets", [[0, 2, 4], [0, 2, 3], [0, 2, 6], [0, 2, 2], [0, 0], [0],
                                     [0, 1, 3, 5]], ids=str)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_last_offset_ends_the_last_bag(offsets, mode):
    """``include_last_offset``: the last offset is where the last bag ends (torch's documented
    CSR reading); the ids after it are in no bag. Compared with torch on the ids cut there,
    values and gradients w.r.t. the weight and the per-sample weights."""
    ids = np.array([0, 3, 1, 5, 2, 4])
    w = arr(6, 3)
    psw = arr(6, lo=0.5, hi=1.5)
    end = offsets[-1]
    wt, pt = torch.tensor(w, requires_grad=True), torch.tensor(psw, requires_grad=True)
    wo, po = tg.tensor(w, requires_grad=True), tg.tensor(psw, requires_grad=True)
    expected = F(torch).embedding_bag(torch.tensor(ids[:end]), wt,
                                      torch.tensor(offsets[:-1], dtype=torch.int64), mode=mode,
                                      per_sample_weights=pt[:end] if mode == "sum" else None)
    out = F(tg).embedding_bag(tg.tensor(ids), wo, tg.tensor(offsets), mode=mode,
                              include_last_offset=True,
                              per_sample_weights=po if mode == "sum" else None)
    np.testing.assert_allclose(out.numpy(), _np(expected), rtol=1e-12, atol=0)
    g = arr(*expected.shape)
    if expected.numel():
        (expected * torch.tensor(g)).sum().backward()
        (out * tg.tensor(g)).sum().backward()
        np.testing.assert_allclose(wo.grad.numpy(), _np(wt.grad), rtol=1e-12, atol=1e-15)
        if mode == "sum":
            np.testing.assert_allclose(po.grad.numpy(), _np(pt.grad), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("offsets", [[0, 2, 4], [0, 2, 3], [0, 2, 6], [0, 2, 2], [0, 1, 3, 5]],
                         ids=str)
def test_embedding_bag_last_offset_as_torch_float32_sum(offsets):
    """torch's own float32 ``sum`` (its fast kernel) agrees. (Its other kernels do not read
    the last offset at all — float64, or ``max`` — or divide a ``mean`` by the count up to the
    input's end: torch differs from itself where the last offset is not the input's length.)"""
    same_as_torch(lambda L, w: F(L).embedding_bag(
        L.tensor([0, 3, 1, 5, 2, 4]), w, L.tensor(offsets), mode="sum",
        include_last_offset=True), [arr(6, 3, dtype=np.float32)], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("offsets", [[], [0, 2, 7], [1, 3]], ids=str)
def test_embedding_bag_last_offset_errors(offsets):
    same_as_torch(lambda L, w: F(L).embedding_bag(L.arange(6), w, L.tensor(offsets,
                                                                            dtype=L.int64),
                                                  mode="sum", include_last_offset=True),
                  [arr(6, 2, dtype=np.float32)])


def test_embedding_bag_last_offset_before_a_start_is_refused():
    """(torch's float32 fast kernel refuses it so; its others compute something undefined.)"""
    with pytest.raises(RuntimeError, match="the last offset value should be the size"):
        F(tg).embedding_bag(tg.arange(6), tg.ones(6, 2), tg.tensor([0, 4, 2]),
                            include_last_offset=True)


def test_embedding_bag_audit_example():
    for L in (torch, tg):
        out = F(L).embedding_bag(L.arange(6), L.arange(12.0).reshape(6, 2), L.tensor([0, 2, 4]),
                                 mode="sum", include_last_offset=True)
        assert out.tolist() == [[2.0, 4.0], [10.0, 12.0]]


# ============================================================================ 9. integers
INT_DTYPES = [np.int64, np.int32, np.uint8, np.bool_]
VALUES = np.array([-3, 0, 2, 9, 1, -1, 5, 4, 7, -6, 3, 8, 0, 2, -2, 6])


def _ints(dtype):
    return VALUES > 0 if dtype == np.bool_ else VALUES.astype(dtype)


def _dropout_inplace(L, x):
    y = x.clone()
    out = F(L).dropout(y, 1.0, True, inplace=True)
    assert out is y
    return y


INTEGER_CALLS = {
    "hardtanh": lambda L, x: F(L).hardtanh(x, -2, 2),
    "hardtanh float bounds": lambda L, x: F(L).hardtanh(x, -1.5, 2.5),
    "hardtanh unsigned bounds": lambda L, x: F(L).hardtanh(x, 0, 4),
    "relu6": lambda L, x: F(L).relu6(x),
    "ReLU6": lambda L, x: L.nn.ReLU6()(x),
    "Hardtanh": lambda L, x: L.nn.Hardtanh(-3, 3)(x),
    "dropout eval": lambda L, x: F(L).dropout(x, 0.5, training=False),
    "dropout p=0": lambda L, x: F(L).dropout(x, 0.0),
    "dropout p=1": lambda L, x: F(L).dropout(x, 1.0),
    "dropout p=1 inplace": _dropout_inplace,
    "dropout p=0.5": lambda L, x: F(L).dropout(x, 0.5),
    "Dropout eval": lambda L, x: L.nn.Dropout(0.5).eval()(x),
    "dropout1d eval": lambda L, x: F(L).dropout1d(x.reshape(2, 8), 0.5, training=False),
    "dropout2d eval": lambda L, x: F(L).dropout2d(x.reshape(1, 4, 2, 2), 0.5, training=False),
    "dropout2d p=0.5": lambda L, x: F(L).dropout2d(x.reshape(1, 4, 2, 2), 0.5),
    "dropout3d p=1": lambda L, x: F(L).dropout3d(x.reshape(1, 2, 2, 2, 2), 1.0),
    "alpha_dropout eval": lambda L, x: F(L).alpha_dropout(x, 0.5),
    "max_pool2d": lambda L, x: F(L).max_pool2d(x.reshape(1, 1, 4, 4), 2),
    "max_pool2d padded": lambda L, x: F(L).max_pool2d(x.reshape(1, 2, 2, 4), 2, padding=1),
    "max_pool2d dilated": lambda L, x: F(L).max_pool2d(x.reshape(1, 1, 4, 4), 2, 1, 0, 2),
    "max_pool2d ceil": lambda L, x: F(L).max_pool2d(x.reshape(1, 1, 4, 4), 3, 2,
                                                    ceil_mode=True),
    "max_pool2d indices": lambda L, x: F(L).max_pool2d(x.reshape(2, 2, 4), 2,
                                                       return_indices=True)[1],
    "max_pool2d indices value": lambda L, x: F(L).max_pool2d(x.reshape(2, 2, 4), (1, 2),
                                                             return_indices=True)[0],
    "MaxPool2d": lambda L, x: L.nn.MaxPool2d(2, 1)(x.reshape(1, 4, 4)),
    "max_pool1d": lambda L, x: F(L).max_pool1d(x.reshape(2, 8), 2),
    "max_pool1d indices": lambda L, x: F(L).max_pool1d(x.reshape(2, 8), 3,
                                                       return_indices=True)[0],
    "max_pool3d": lambda L, x: F(L).max_pool3d(x.reshape(1, 2, 2, 2, 2), 2),
    "max_pool3d indices": lambda L, x: F(L).max_pool3d(x.reshape(1, 1, 2, 2, 4), (1, 2, 2),
                                                       return_indices=True)[1],
    "avg_pool2d": lambda L, x: F(L).avg_pool2d(x.reshape(1, 1, 4, 4), 2),
    "avg_pool2d divisor": lambda L, x: F(L).avg_pool2d(x.reshape(1, 1, 4, 4), 2,
                                                       divisor_override=3),
    "avg_pool2d negative divisor": lambda L, x: F(L).avg_pool2d(x.reshape(1, 1, 4, 4), 2,
                                                                divisor_override=-3),
    "avg_pool2d padded": lambda L, x: F(L).avg_pool2d(x.reshape(1, 1, 4, 4), 2, padding=1),
    "avg_pool2d padded excluded": lambda L, x: F(L).avg_pool2d(
        x.reshape(1, 1, 4, 4), 2, padding=1, count_include_pad=False),
    "avg_pool2d ceil": lambda L, x: F(L).avg_pool2d(x.reshape(1, 1, 4, 4), 3, 2, 1,
                                                    ceil_mode=True, count_include_pad=False),
    "avg_pool1d": lambda L, x: F(L).avg_pool1d(x.reshape(2, 8), 3, 2, 1),
    "AvgPool2d": lambda L, x: L.nn.AvgPool2d(3, 1)(x.reshape(1, 4, 4)),
    "avg_pool3d": lambda L, x: F(L).avg_pool3d(x.reshape(1, 2, 2, 2, 2), 2),
    "avg_pool3d padded": lambda L, x: F(L).avg_pool3d(x.reshape(1, 1, 2, 2, 4), 2, 1, 1,
                                                      count_include_pad=False),
    "avg_pool3d divisor": lambda L, x: F(L).avg_pool3d(x.reshape(1, 1, 2, 2, 4), 2,
                                                       divisor_override=-3),
    # torch's NotImplementedError for these (message: "<kernel>" not implemented for 'Long')
    "elu": lambda L, x: F(L).elu(x), "selu": lambda L, x: F(L).selu(x),
    "celu": lambda L, x: F(L).celu(x), "gelu": lambda L, x: F(L).gelu(x),
    "silu": lambda L, x: F(L).silu(x), "mish": lambda L, x: F(L).mish(x),
    "softplus": lambda L, x: F(L).softplus(x), "glu": lambda L, x: F(L).glu(x),
    "leaky_relu": lambda L, x: F(L).leaky_relu(x), "logsigmoid": lambda L, x: F(L).logsigmoid(x),
    "hardswish": lambda L, x: F(L).hardswish(x), "hardsigmoid": lambda L, x: F(L).hardsigmoid(x),
    "prelu": lambda L, x: F(L).prelu(x.reshape(2, 8), L.ones(1, dtype=x.dtype)),
    "prelu float weight": lambda L, x: F(L).prelu(x.reshape(2, 8), L.ones(1)),
    "adaptive_max_pool1d": lambda L, x: F(L).adaptive_max_pool1d(x.reshape(2, 8), 3),
    "adaptive_max_pool2d": lambda L, x: F(L).adaptive_max_pool2d(x.reshape(1, 4, 4), 3),
    "adaptive_max_pool3d": lambda L, x: F(L).adaptive_max_pool3d(x.reshape(1, 2, 2, 4), 3),
    "adaptive_avg_pool2d": lambda L, x: F(L).adaptive_avg_pool2d(x.reshape(1, 4, 4), 3),
    "adaptive_avg_pool3d": lambda L, x: F(L).adaptive_avg_pool3d(x.reshape(1, 2, 2, 4), 3),
    "fractional_max_pool2d": lambda L, x: F(L).fractional_max_pool2d(x.reshape(1, 4, 4), 2,
                                                                     output_size=2),
    "unfold": lambda L, x: F(L).unfold(x.reshape(1, 1, 4, 4), 2),
    "fold": lambda L, x: F(L).fold(x.reshape(1, 4, 4), (3, 3), 2),
    "layer_norm": lambda L, x: F(L).layer_norm(x.reshape(2, 8), (8,)),
    "group_norm": lambda L, x: F(L).group_norm(x.reshape(2, 4, 2), 2),
    "batch_norm": lambda L, x: F(L).batch_norm(x.reshape(4, 4), None, None, training=True),
    "instance_norm": lambda L, x: F(L).instance_norm(x.reshape(2, 2, 4)),
    "pad reflect": lambda L, x: F(L).pad(x.reshape(2, 8), (1, 1), mode="reflect"),
    "pad replicate": lambda L, x: F(L).pad(x.reshape(1, 4, 4), (1, 1, 1, 1),
                                           mode="replicate"),
}


@pytest.mark.parametrize("call", list(INTEGER_CALLS))
@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: d.__name__)
def test_integer_inputs(call, dtype):
    """torch works on integers here (hardtanh/relu6 clamp in the input's dtype; dropout off or
    with p = 0 is the input, p = 1 zeros; max pooling any integer dtype but bool; average
    pooling int64, with C++'s integer division) or raises its NotImplementedError, with its
    message."""
    torch.manual_seed(0)
    tg.manual_seed(0)
    same_as_torch(INTEGER_CALLS[call], [_ints(dtype)])


def test_dropout_of_an_integer_input_is_the_input():
    x = tg.tensor(_ints(np.int64))
    assert F(tg).dropout(x, 0.5, training=False) is x
    assert tg.nn.Dropout(0.3).eval()(x) is x


# ============================================================================ 10. state dicts
def _state_dict(L, nested, change):
    """A fresh BatchNorm1d's state dict (inside a Sequential if ``nested``): its count left
    out of a plain dict (no version metadata), left out of the versioned one, or replaced."""
    net = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(3)) if nested else \
        L.nn.BatchNorm1d(3)
    sd = net.state_dict()
    key = "1.num_batches_tracked" if nested else "num_batches_tracked"
    if change == "plain dict":
        return {k: v for k, v in sd.items() if k != key}
    if change == "versioned":
        del sd[key]
        return sd
    sd[key] = L.tensor(change)
    return sd


@pytest.mark.parametrize("change", ["plain dict", "versioned", [5], 6, [5, 6], [[5]]], ids=str)
@pytest.mark.parametrize("nested", [False, True])
def test_batch_norm_state_dict_without_num_batches_tracked(change, nested):
    """torch's _NormBase: a state dict without version metadata (a plain dict) may lack
    ``num_batches_tracked`` (the module keeps its count); one saved as version 2 may not. A
    1-element value is read as the 0-d count; other shapes are refused."""
    outcome = {}
    for L in (torch, tg):
        m = L.nn.BatchNorm1d(3)
        m.num_batches_tracked.fill_(7)
        net = L.nn.Sequential(L.nn.Linear(2, 2), m) if nested else m
        try:
            net.load_state_dict(_state_dict(L, nested, change))
            outcome[L] = ("loaded", int(m.num_batches_tracked.item()))
        except RuntimeError as e:
            outcome[L] = ("refused", "num_batches_tracked" in str(e))
    assert outcome[tg] == outcome[torch]


def test_batch_norm_state_dict_without_tracking():
    for L in (torch, tg):
        m = L.nn.BatchNorm1d(3, track_running_stats=False)
        assert not m.load_state_dict({"weight": L.ones(3), "bias": L.zeros(3)}).missing_keys


# ============================================================================ 11. kl_div at 0
@pytest.mark.parametrize("target", [[0.0, 0.5, 0.0, 1.0], [0.2, 0.0, 0.3, 0.5],
                                    [-0.5, 0.5, 0.0, 1.0]], ids=str)
@pytest.mark.parametrize("reduction", ["sum", "none", "batchmean"])
def test_kl_div_gradient_at_zero_targets(target, reduction):
    """torch's kl_div is xlogy(p, p) − p·input: its gradient w.r.t. p at p = 0 is NaN (the
    derivative of p·log p has no value there); a negative p gives NaN."""
    same_as_torch(lambda L, x, p: F(L).kl_div(x, p, reduction=reduction),
                  [arr(4, lo=-3.0, hi=-0.1), np.array(target)], grad=(0, 1), rtol=1e-12,
                  atol=1e-12)


def test_kl_div_second_order_matches_torch():
    def grad_of_grad(L, x, p):
        loss = F(L).kl_div(x, p, reduction="sum", log_target=False)
        gp, = L.autograd.grad(loss, p, create_graph=True)
        return (gp * gp).sum()
    same_as_torch(grad_of_grad, [arr(4, lo=-3.0, hi=-0.1), np.array([0.3, 0.5, 0.1, 1.0])],
                  grad=(0, 1), rtol=1e-12, atol=1e-12)


def test_messages_name_torchs_sizes():
    """The broadcast warning is torch's, word for word."""
    with pytest.warns(UserWarning, match=re.escape(
            "Using a target size (torch.Size([1, 4])) that is different to the input size "
            "(torch.Size([3, 4])). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.")):
        F(tg).mse_loss(tg.ones(3, 4), tg.zeros(1, 4))
