"""``binary_cross_entropy_with_logits`` as torch computes it (one node,
:class:`tinygrad_sgd.ops.loss.BinaryCrossEntropyWithLogits`): the loss (1 − y)·x − ln σ(x) in
the target's dtype, and torch's gradient formulas — σ(x) − y, not the composition's
(1 − y) − σ(−x), which had lost small gradients to cancellation (2% off in float32, a whole
half-precision step with a float16 target) — with every reduction, ``weight`` and
``pos_weight``, mixed dtypes, a plain backward and create_graph (whose numbers agree), second
order, and torch's errors. torch's own exp/log1p (Sleef) round the last bit differently from
NumPy's in some elements, so values are compared to a few ulps, and the count of elements that
differ at all is bounded."""
import itertools

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

DTYPES = [(np.float32, np.float32), (np.float64, np.float64), (np.float16, np.float16),
          (np.float32, np.float16), (np.float64, np.float32), (np.float32, np.float64)]
TOL = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 2e-15}   # (a few ulps)


def run(L, x, y, w, p, reduction, create_graph=False, scale=0.7):
    xs, ys = L.tensor(x, requires_grad=True), L.tensor(y, requires_grad=True)
    kw = {}
    if w is not None:
        kw["weight"] = L.tensor(w)
    if p is not None:
        kw["pos_weight"] = L.tensor(p)
    loss = L.nn.functional.binary_cross_entropy_with_logits(xs, ys, reduction=reduction, **kw)
    gx, gy = L.autograd.grad((loss * scale).sum(), (xs, ys), create_graph=create_graph)
    return [np.asarray(t.detach().numpy()) for t in (loss, gx, gy)]


def data(rng, shape, dx, dy):
    x = (rng.standard_normal(shape) * 4).astype(dx)
    x.reshape(-1)[:4] = [0.0, -0.0, 30.0, -30.0] if x.size >= 4 else x.reshape(-1)[:4]
    y = rng.random(shape).astype(dy)
    return x, y


def close(ours, theirs, dtype):
    """Equal dtype and shape; within a few ulps (of ``dtype``, the coarser of the inputs') of
    the larger of |torch's| and 1 (the terms of the formulas are of that size)."""
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    tol = TOL[np.dtype(dtype).type]
    a, b = ours.astype(np.float64), theirs.astype(np.float64)
    bad = np.abs(a - b) > tol * np.maximum(np.abs(b), 1)
    assert not bad.any(), (a[bad][:5], b[bad][:5])


@pytest.mark.parametrize("dtypes", DTYPES, ids=lambda d: f"{d[0].__name__}-{d[1].__name__}")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_values_and_gradients_are_torchs(dtypes, reduction):
    rng = np.random.default_rng(0)
    dx, dy = dtypes
    for shape, weight, pos, create_graph in itertools.product(
            [(5, 3), (7,), (2, 3, 4)], [None, "row", "full"], [None, "row"], [False, True]):
        x, y = data(rng, shape, dx, dy)
        w = None if weight is None else rng.random(shape[-1:] if weight == "row" else shape) \
            .astype(dx)
        p = None if pos is None else (rng.random(shape[-1:]) * 3).astype(dx)
        ours = run(tg, x, y, w, p, reduction, create_graph)
        theirs = run(torch, x, y, w, p, reduction, create_graph)
        coarser = dx if np.finfo(dx).eps > np.finfo(dy).eps else dy
        for what, o, t in zip(("loss", "dx", "dy"), ours, theirs):
            assert o.dtype == t.dtype, (what, o.dtype, t.dtype)
            close(o, t, coarser)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_are_torchs_steps(dtype):
    """The input's gradient is σ(x) − y as torch computes it: the same bits but where torch's
    exp (Sleef) and NumPy's round σ apart (the composition (1 − y) − σ(−x) differed in two
    thirds of the elements, 2% off where σ(x) ≈ y), within one step of σ's rounding."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(4000) * 3).astype(dtype)
    y = np.concatenate([rng.random(2000), 1 / (1 + np.exp(-x[2000:].astype(np.float64)))
                        + rng.standard_normal(2000) * 1e-5]).clip(0, 1).astype(dtype)
    (_, gx, _), (_, tx, _) = run(tg, x, y, None, None, "sum"), run(torch, x, y, None, None, "sum")
    assert (gx != tx).mean() < 0.2
    assert np.abs(gx.astype(np.float64) - tx).max() <= 2 * np.finfo(dtype).eps


def test_a_float16_target_gets_an_accurate_gradient():
    """float32 logits, float16 targets (a mixed-precision program): the gradient is
    σ(x) − y with y as it is, not rounded through 1 − y in half precision."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 0, (40, 30)).astype(np.float32)
    y = rng.uniform(0.05, 1, (40, 30)).astype(np.float16)
    (loss, gx, gy), (tl, tx, ty) = (run(L, x, y, None, None, "none") for L in (tg, torch))
    assert loss.dtype == tl.dtype == np.float16 and gx.dtype == np.float32
    np.testing.assert_allclose(gx, tx, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(gy, ty)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_plain_backward_and_create_graph_give_the_same_gradients(reduction):
    rng = np.random.default_rng(3)
    x, y = data(rng, (6, 5), np.float32, np.float32)
    w, p = rng.random(5).astype(np.float32), (rng.random(5) * 2).astype(np.float32)
    for kw in ({}, {"w": w}, {"p": p}, {"w": w, "p": p}):
        a = run(tg, x, y, kw.get("w"), kw.get("p"), reduction, create_graph=False)
        b = run(tg, x, y, kw.get("w"), kw.get("p"), reduction, create_graph=True)
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("pos", [False, True])
def test_second_order_is_torchs(pos):
    rng = np.random.default_rng(4)
    x, y = data(rng, (4, 3), np.float64, np.float64)
    p = (rng.random(3) * 2 + 0.5) if pos else None
    results = []
    for L in (tg, torch):
        xs, ys = L.tensor(x, requires_grad=True), L.tensor(y, requires_grad=True)
        kw = {} if p is None else {"pos_weight": L.tensor(p)}
        loss = L.nn.functional.binary_cross_entropy_with_logits(xs, ys, **kw)
        gx, gy = L.autograd.grad(loss, (xs, ys), create_graph=True)
        hx = L.autograd.grad((gx * gx).sum() + (gy * gx).sum(), (xs, ys))
        results.append([np.asarray(t.detach().numpy()) for t in hx])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["weight", "pos_weight"])
def test_weights_take_no_gradient_as_in_torch(name):
    msgs = []
    for L in (tg, torch):
        kw = {name: L.ones(3, requires_grad=True)}
        with pytest.raises(RuntimeError) as info:
            L.nn.functional.binary_cross_entropy_with_logits(L.zeros(2, 3), L.ones(2, 3), **kw)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
    with tg.no_grad():          # (torch checks only when grad mode is on)
        tg.nn.functional.binary_cross_entropy_with_logits(
            tg.zeros(2, 3), tg.ones(2, 3), **{name: tg.ones(3, requires_grad=True)})


@pytest.mark.parametrize("kw", [dict(weight=(4, 2, 3)), dict(pos_weight=(4, 2, 3)),
                                dict(weight=(2,)), dict(pos_weight=(2,))], ids=str)
def test_shapes_that_do_not_fit_raise_torchs_error(kw):
    msgs = []
    for L in (tg, torch):
        with pytest.raises(RuntimeError) as info:
            L.nn.functional.binary_cross_entropy_with_logits(
                L.zeros(2, 3), L.ones(2, 3), **{k: L.ones(*v) for k, v in kw.items()})
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_one_node_named_as_torchs():
    x = tg.zeros(2, 3, requires_grad=True)
    loss = tg.nn.functional.binary_cross_entropy_with_logits(x, tg.ones(2, 3))
    assert type(loss.grad_fn).__name__ == "BinaryCrossEntropyWithLogits"
    assert loss.grad_fn.name() == "BinaryCrossEntropyWithLogitsBackward"
    with tg.autograd.set_grad_enabled(True):
        assert tg.nn.BCEWithLogitsLoss()(x, tg.ones(2, 3)).grad_fn.label() == \
            "binary_cross_entropy_with_logits(reduction='mean')"
