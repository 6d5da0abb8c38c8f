"""Scatter, gather, index_add and embedding_bag as torch computes them, where a probe of
graph-network code (index_select, scatter_add, scatter_reduce, segment softmax) found them
differing: an index changed in place after use, float16 sums, the gradient of amax/amin where
the result is NaN, and a NaN in embedding_bag's max. Each case against torch 2.13."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
from helpers import bits as _bits
from tinygrad_sgd.nn import functional as F


# ------------------------------------------------------ an index changed in place after use
# Each forward keeps the index tensor's memory (torch saves the tensor): a later in-place write
# to it is refused at backward, with torch's words, where it would give the new index's
# gradient (before: gather's [0, 1, 5] for the old index's [1, 0, 5]).
def _index_ops(L, F_):
    def ebag(x, i):
        return F_.embedding_bag(i, x.reshape(3, 1), L.tensor([0]), mode="sum")
    return {
        "gather": lambda x, i: x.gather(0, i),
        "scatter_add": lambda x, i: L.zeros(3).scatter_add(0, i, x),
        "scatter": lambda x, i: L.zeros(3).scatter(0, i[:2], x[:2]),
        "scatter_reduce_sum": lambda x, i: L.zeros(3).scatter_reduce(0, i, x, "sum"),
        "scatter_reduce_amax": lambda x, i: L.zeros(3).scatter_reduce(0, i, x, "amax"),
        "index_add": lambda x, i: L.zeros(3).index_add(0, i, x),
        "index_copy": lambda x, i: L.zeros(3).index_copy(0, i[:2], x[:2]),
        "index_fill": lambda x, i: (x * 1).index_fill(0, i, 0.0),
        "index_put": lambda x, i: L.zeros(3).index_put((i,), x, accumulate=True),
        "setitem": lambda x, i: _setitem(L, x, i),
        "getitem": lambda x, i: x[i],
        "index_select": lambda x, i: x.index_select(0, i),
        "embedding": lambda x, i: F_.embedding(i, x.reshape(3, 1)),
        "embedding_bag": ebag,
    }


def _setitem(L, x, i):
    z = L.zeros(3)
    z[i[:2]] = x[:2]
    return z


@pytest.mark.parametrize("name", list(_index_ops(torch, TF)))
@pytest.mark.parametrize("modify", [False, True])
def test_an_index_changed_in_place_after_use_is_refused_as_torch(name, modify):
    results = []
    for L, F_ in ((torch, TF), (tg, F)):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        idx = L.tensor([0, 2, 1])
        z = _index_ops(L, F_)[name](x, idx)
        if modify:
            idx[0] = 1
        w = L.arange(1.0, z.numel() + 1).reshape(z.shape)
        try:
            (z * w).sum().backward()
            results.append(("ok", x.grad.numpy().tolist()))
        except RuntimeError as e:
            results.append(("refused", "modified by an inplace operation" in str(e)))
    assert results[1] == results[0]
    if modify and name not in ("index_fill",):      # (index_fill keeps no index: torch's too)
        assert results[0] == ("refused", True)


# --------------------------------------------------------------------------- float16 sums
# torch's scatter kernels sum float16 in a float32 buffer and round once (3,000 × 0.1: 300,
# not the 256 where float16 sums stop growing); index_put_(accumulate), x[idx]'s backward,
# embedding's backward and a 1-d index_add round every sum, as before.
_RNG = np.random.default_rng(20261207)


def _half_cases():
    n, m = 700, 5
    idx = _RNG.integers(0, m, n)
    src = (_RNG.standard_normal((n, 3)) * 3).astype(np.float16)
    base = (_RNG.standard_normal((m, 3)) * 10).astype(np.float16)
    i2 = np.broadcast_to(idx[:, None], (n, 3)).copy()
    return {
        "scatter_add": lambda L, t: t(base).scatter_add(0, t(i2), t(src)),
        "scatter_add_1d": lambda L, t: t(base[:, 0]).scatter_add(0, t(idx), t(src[:, 0])),
        "scatter_reduce_sum": lambda L, t: t(base).scatter_reduce(0, t(i2), t(src), "sum"),
        "scatter_reduce_sum_noself": lambda L, t: t(base).scatter_reduce(
            0, t(i2), t(src), "sum", include_self=False),
        "scatter_reduce_mean": lambda L, t: t(base).scatter_reduce(0, t(i2), t(src), "mean"),
        "scatter_reduce_prod": lambda L, t: t(base).scatter_reduce(
            0, t(i2[:60]), t((1 + src[:60] / 50).astype(np.float16)), "prod"),
        "scatter_legacy_add": lambda L, t: t(base).scatter(0, t(i2), t(src), reduce="add"),
        "index_add_2d": lambda L, t: t(base).index_add(0, t(idx), t(src)),
        "index_add_1d": lambda L, t: t(base[:, 0]).index_add(0, t(idx), t(src[:, 0])),
        "index_put_accumulate": lambda L, t: t(base[:, 0]).index_put(
            (t(idx),), t(src[:, 0]), accumulate=True),
        "embedding_bag_sum": lambda L, t: _ebag(L, t, idx, src, "sum"),
        "embedding_bag_mean": lambda L, t: _ebag(L, t, idx, src, "mean"),
    }


def _ebag(L, t, idx, src, mode):
    F_ = TF if L is torch else F
    return F_.embedding_bag(t(idx), t(src[:, :2] / 4), t(np.array([0, 100, 450])), mode=mode)


@pytest.mark.filterwarnings("ignore:The reduce argument")
@pytest.mark.parametrize("name", list(_half_cases()))
def test_float16_scatter_sums_are_torchs_bits(name):
    case = _half_cases()[name]
    _bits(case(tg, tg.tensor).numpy(), case(torch, torch.tensor).numpy())


def _grad_cases():
    n = 3000
    idx = np.zeros(n, np.int64)
    g1 = np.full((n, 1), 0.1, np.float16)
    g4 = np.full((n, 4), 0.1, np.float16)
    return {        # (the gradient: torch's scatter_add or index_add, or index_put_)
        "gather": ((1, 1), lambda w, t: w.gather(0, t(idx[:, None])), g1),
        "gather_dim1": ((1, 4), lambda w, t: w.gather(1, t(idx[None, :])), g1.T),
        "index_select_2d": ((1, 4), lambda w, t: w.index_select(0, t(idx)), g4),
        "index_select_1d": ((5,), lambda w, t: w.index_select(0, t(idx)), g1[:, 0]),
        "getitem": ((1, 4), lambda w, t: w[t(idx)], g4),
        "embedding": ((1, 4), lambda w, t: (TF if t is torch.tensor else F).embedding(t(idx), w),
                      g4),
    }


@pytest.mark.parametrize("name", list(_grad_cases()))
def test_float16_gradients_of_picking_sum_as_torchs(name):
    shape, pick, g = _grad_cases()[name]
    grads = []
    for L in (torch, tg):
        w = L.ones(*shape, dtype=L.float16, requires_grad=True)
        pick(w, L.tensor).backward(L.tensor(g))
        grads.append(w.grad.numpy())
    _bits(grads[1], grads[0])


def test_float16_scatter_sum_grows_past_256():
    z = tg.zeros(1, dtype=tg.float16).scatter_add(0, tg.zeros(3000, dtype=tg.int64),
                                                   tg.full((3000,), 0.1, dtype=tg.float16))
    assert z.item() == 300.0


# ------------------------------------------------- amax/amin gradients: NaN results, signs
# torch multiplies the gradient by the 0/1 masks: where the result is NaN no element equals it
# and the share g/0 is infinite, so 0·inf gives NaN; a negative gradient masked out is −0.
@pytest.mark.parametrize("reduce", ["amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("upstream", [1.0, -1.0])
def test_scatter_reduce_amax_amin_gradients_where_the_result_is_nan(reduce, include_self,
                                                                     upstream):
    src = [float("nan"), 2.0, 1.0, 3.0, 1.0, -1.0]
    idx = [0, 0, 1, 1, 2, 2]
    out = []
    for L in (torch, tg):
        x = L.tensor([0.5, 0.5, 1.0], requires_grad=True)
        s = L.tensor(src, requires_grad=True)
        z = x.scatter_reduce(0, L.tensor(idx), s, reduce, include_self=include_self)
        (z * upstream).sum().backward()
        out.append((z.detach().numpy(), x.grad.numpy(), s.grad.numpy()))
    for ours, theirs in zip(out[1], out[0]):
        _bits(ours, theirs)


def test_index_reduce_amax_gradient_where_the_result_is_nan():
    out = []
    for L in (torch, tg):
        x = L.zeros(2, 2, requires_grad=True)
        s = L.tensor([[float("nan"), 1.0], [2.0, 3.0]], requires_grad=True)
        with warnings.catch_warnings():          # (its "beta" warning: once a process)
            warnings.simplefilter("ignore")
            z = x.index_reduce(0, L.tensor([0, 0]), s, "amax")
        z.sum().backward()
        out.append((x.grad.numpy(), s.grad.numpy()))
    for ours, theirs in zip(out[1], out[0]):
        _bits(ours, theirs)


# ------------------------------------------------------------------- embedding_bag's max
@pytest.mark.parametrize("ids", [[1, 0, 2], [0, 1, 2], [0, 2, 1], [1, 1], [2, 0, 0, 1]])
def test_embedding_bag_max_with_nan_as_torchs_loop(ids):
    """torch starts from the bag's first row and takes a strictly greater value: a NaN first
    row is the result (and gets the gradient), a later one is passed over; ties keep the
    first row."""
    w = np.array([[1.0, 2.0], [np.nan, 5.0], [3.0, -1.0]], np.float32)
    out = []
    for L, F_ in ((torch, TF), (tg, F)):
        W = L.tensor(w, requires_grad=True)
        z = F_.embedding_bag(L.tensor(ids), W, L.tensor([0]), mode="max")
        z.sum().backward()
        out.append((z.detach().numpy(), W.grad.numpy()))
    for ours, theirs in zip(out[1], out[0]):
        _bits(ours, theirs)


def test_where_uint8_condition_warning_points_at_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.where(tg.tensor([1, 0], dtype=tg.uint8), tg.ones(2), tg.zeros(2)); line = _line()
    assert [(w.filename, w.lineno) for w in caught if "uint8" in str(w.message)] == \
        [(__file__, line)]


def _line():
    import sys
    return sys._getframe(1).f_lineno


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64"])
def test_scatter_reduce_of_integers_and_bools_as_torch(reduce, dtype):
    """torch has no bool mean kernel (its NotImplementedError); the others reduce."""
    out = []
    for L in (torch, tg):
        dt = getattr(L, dtype)
        try:
            r = L.tensor([1, 0, 1], dtype=dt).scatter_reduce(
                0, L.tensor([0, 0, 1]), L.tensor([1, 1, 0], dtype=dt), reduce)
            out.append(("ok", r.numpy().tolist()))
        except NotImplementedError as e:
            out.append(("refused", str(e)))
    assert out[1] == out[0]
