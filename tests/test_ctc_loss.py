"""F.ctc_loss and nn.CTCLoss against torch: values and gradients w.r.t. log_probs (through a
log_softmax of a leaf, and directly on a raw leaf, where torch's gradient is not the plain
derivative), float64 tight and float32, padded and concatenated targets, every reduction,
zero_infinity with impossible alignments, repeated labels, empty targets and inputs, a blank
that is not 0, unbatched input, list and tensor lengths, target dtypes, no second order, and
torch's errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
import tinygrad_sgd.nn as nn
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd import autograd

from strategies import assert_same

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-5)}

# name: (T, N, C, padded targets (one row per sample), input_lengths, target_lengths, blank)
CASES = {
    "basic": (6, 3, 5, [[1, 2, 2], [3, 3, 0], [4, 1, 2]], [6, 5, 6], [3, 2, 0], 0),
    "repeats_fit": (3, 2, 3, [[1, 1], [2, 2]], [3, 3], [2, 2], 0),
    "repeats_impossible": (4, 2, 3, [[1, 1, 1], [2, 1, 2]], [4, 3], [3, 3], 0),
    "too_short": (5, 2, 4, [[1, 2, 3, 1], [2, 3, 0, 0]], [3, 5], [4, 2], 0),
    "empty_targets": (4, 2, 3, [[0], [0]], [4, 2], [0, 0], 0),
    "zero_input_length": (4, 3, 3, [[1, 2], [1, 0], [2, 0]], [0, 0, 4], [0, 1, 1], 0),
    "blank_last": (6, 2, 4, [[0, 1, 0], [2, 2, 1]], [6, 6], [3, 3], 3),
    "blank_middle": (5, 2, 4, [[0, 3], [3, 1]], [5, 4], [2, 2], 2),
    "target_holds_blank": (5, 2, 4, [[1, 0], [3, 3]], [5, 4], [2, 2], 0),
    "varied": (20, 4, 7, [[1, 2, 3, 4, 5, 6, 1, 1], [6, 6, 6, 1, 0, 0, 0, 0],
                          [2, 3, 2, 3, 2, 3, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0]],
               [20, 17, 9, 1], [8, 4, 6, 1], 0),
}
BIG = (40, 6, 12, 12)   # T, N, C, S of a random case, for the float32 accumulation


def big_case():
    T, N, C, S = BIG
    rng = np.random.default_rng(7)
    targets = rng.integers(1, C, (N, S)).tolist()
    return (T, N, C, targets, rng.integers(S + 10, T + 1, N).tolist(),
            rng.integers(0, S + 1, N).tolist(), 0)


CASES["random_big"] = big_case()


def make(case, dtype, seed=0):
    T, N, C, targets, il, tl, blank = case
    x = np.random.default_rng(seed).standard_normal((T, N, C)).astype(dtype)
    return x, np.array(targets, np.int64), np.array(il), np.array(tl), blank


def lib_of(lib):
    return (tg, F) if lib is tg else (torch, TF)


def run(lib, x, targets, il, tl, blank, *, reduction, zero_infinity=False, raw=False,
        concat=False, lengths="tensor", tdtype=np.int64, unbatched=False, gout=None):
    """Loss and gradient w.r.t. the leaf (as NumPy arrays) of one call, in ``lib``."""
    mod, fn = lib_of(lib)
    leaf = mod.tensor(x.copy(), requires_grad=True)
    lp = leaf if raw else leaf.log_softmax(-1)
    if concat:
        targets = np.concatenate([row[:n] for row, n in zip(targets, tl)])
    tgt = mod.tensor(np.ascontiguousarray(targets).astype(tdtype))
    if lengths in ("tensor", "int32"):
        kind = np.int64 if lengths == "tensor" else np.int32
        il_, tl_ = mod.tensor(il.astype(kind)), mod.tensor(tl.astype(kind))
    else:
        il_, tl_ = lengths(int(v) for v in il), lengths(int(v) for v in tl)
    out = fn.ctc_loss(lp, tgt, il_, tl_, blank=blank, reduction=reduction,
                      zero_infinity=zero_infinity)
    go = np.ones(out.shape, x.dtype) if gout is None else gout.astype(x.dtype)
    if lib is tg:
        g, = autograd.grad(out, [leaf], grad_outputs=tg.tensor(go))
    else:
        g, = torch.autograd.grad(out, [leaf], grad_outputs=torch.tensor(go))
    return out, g


def compare(case, dtype, **kw):
    x, targets, il, tl, blank = make(case, dtype)
    if kw.get("reduction") == "none" and not kw.get("unbatched"):
        kw["gout"] = np.random.default_rng(1).uniform(0.5, 2.0, len(il))
    if kw.pop("unbatched", False):
        x, targets, il, tl = x[:, 0], targets[:1], il[:1], tl[:1]
        kw["unbatched"] = True
    ours, theirs = run(tg, x, targets, il, tl, blank, **kw), run(torch, x, targets, il, tl,
                                                                 blank, **kw)
    assert_same(ours[0], theirs[0], what="loss", **TOL[dtype])
    assert_same(ours[1], theirs[1], what="gradient", **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("zero_infinity", [False, True], ids=["inf", "zero_inf"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_as_torch(name, reduction, zero_infinity, dtype):
    for raw in (False, True):
        compare(CASES[name], dtype, reduction=reduction, zero_infinity=zero_infinity, raw=raw)


# target layout, length kinds, target dtypes and the unbatched form, on a few cases
FORMS = [dict(concat=True), dict(lengths="int32"), dict(lengths=list), dict(lengths=tuple),
         dict(concat=True, lengths=tuple), dict(tdtype=np.int32), dict(tdtype=np.uint8),
         dict(tdtype=np.int16), dict(tdtype=np.float32), dict(unbatched=True),
         dict(unbatched=True, lengths=list), dict(unbatched=True, concat=True)]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: "-".join(f"{k}={getattr(v, '__name__', v)}"
                                                               for k, v in f.items()))
@pytest.mark.parametrize("name", ["too_short", "blank_last", "varied"])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_target_forms_and_lengths_as_torch(name, form, reduction):
    for dtype in (np.float64, np.float32):
        compare(CASES[name], dtype, reduction=reduction, raw=True, **form)
        compare(CASES[name], dtype, reduction=reduction, zero_infinity=True, **form)


def test_impossible_alignment_is_inf_and_its_gradient_nan_unless_zeroed():
    x, targets, il, tl, blank = make(CASES["too_short"], np.float64)
    loss, g = run(tg, x, targets, il, tl, blank, reduction="none")
    assert np.isinf(loss.data[0]) and np.isfinite(loss.data[1])
    assert np.isnan(g.data[:3, 0]).all() and (g.data[3:, 0] == 0).all()
    loss, g = run(tg, x, targets, il, tl, blank, reduction="none", zero_infinity=True)
    assert loss.data[0] == 0 and (g.data[:, 0] == 0).all() and np.isfinite(g.data).all()


def test_dtypes_and_grad_fn():
    x, targets, il, tl, blank = make(CASES["basic"], np.float32)
    for reduction in ("none", "sum", "mean"):
        out, _ = run(tg, x, targets, il, tl, blank, reduction=reduction)
        assert out.dtype == np.float32 and out.requires_grad
    out = F.ctc_loss(tg.tensor(x), tg.tensor(targets), tg.tensor(il), tg.tensor(tl))
    assert not out.requires_grad
    out = F.ctc_loss(tg.tensor(x, requires_grad=True), tg.tensor(targets), tg.tensor(il),
                     tg.tensor(tl), reduction="none")
    assert out.grad_fn.name() == "CtcLossBackward"


def test_no_second_order_as_torch():
    x, targets, il, tl, blank = make(CASES["basic"], np.float64)
    results = []
    for lib in (tg, torch):
        mod, fn = lib_of(lib)
        leaf = mod.tensor(x, requires_grad=True)
        out = fn.ctc_loss(leaf.log_softmax(2), mod.tensor(targets), mod.tensor(il),
                          mod.tensor(tl))
        grad = (autograd.grad if lib is tg else torch.autograd.grad)(out, [leaf],
                                                                      create_graph=True)[0]
        assert grad.requires_grad
        results.append(grad)
        with pytest.raises(RuntimeError, match="_ctc_loss_backward is not implemented"):
            grad.sum().backward()
    assert_same(*results, what="create_graph gradient")


@pytest.mark.parametrize("kwargs", [{}, dict(blank=2, reduction="sum"),
                                    dict(reduction="none", zero_infinity=True)])
def test_module_as_torch(kwargs):
    x, targets, il, tl, _ = make(CASES["too_short"], np.float64)
    ours, theirs = nn.CTCLoss(**kwargs), torch.nn.CTCLoss(**kwargs)
    assert (ours.blank, ours.reduction, ours.zero_infinity) == \
        (theirs.blank, theirs.reduction, theirs.zero_infinity)
    a, b = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ours(a.log_softmax(2), tg.tensor(targets), tg.tensor(il), tg.tensor(tl))
    ref = theirs(b.log_softmax(2), torch.tensor(targets), torch.tensor(il), torch.tensor(tl))
    assert_same(out, ref, what="loss")
    out.sum().backward()
    ref.sum().backward()
    assert_same(a.grad, b.grad, what="gradient")


LP = np.random.default_rng(3).standard_normal((5, 2, 4))
TG, IL, TL = np.array([[1, 2], [3, 3]]), np.array([5, 4]), np.array([2, 2])

# name: (log_probs, targets, input_lengths, target_lengths, keyword arguments); arrays
# become tensors of each library, lists stay lists; torch's error class is expected
ERRORS = {
    "input_length_over_T": (LP, TG, np.array([6, 4]), TL, {}),
    "negative_input_length": (LP, TG, np.array([-1, 4]), TL, {}),
    "negative_target_length": (LP, TG, IL, np.array([-1, 2]), {}),
    "target_longer_than_padded": (LP, TG, IL, np.array([3, 2]), {}),
    "concatenated_wrong_size": (LP, np.array([1, 2, 3]), IL, TL, {}),
    "padded_wrong_batch": (LP, TG[:1], IL, TL, {}),
    "input_lengths_size": (LP, TG, np.array([5, 4, 3]), TL, {}),
    "target_lengths_size": (LP, TG, IL, np.array([2]), {}),
    "blank_too_big": (LP, TG, IL, TL, dict(blank=4)),
    "blank_negative": (LP, TG, IL, TL, dict(blank=-1)),
    "targets_3d": (LP, TG[None], IL, TL, {}),
    "targets_0d": (LP, np.array(1), IL, TL, {}),
    "log_probs_4d": (LP[None], TG, IL, TL, {}),
    "log_probs_1d": (LP[:, 0, 0], TG, IL, TL, {}),
    "log_probs_0d": (np.array(LP[0, 0, 0]), TG, IL, TL, {}),
    "log_probs_empty": (LP[:0], TG, np.array([0, 0]), np.array([0, 0]), {}),
    "log_probs_int": (LP.astype(np.int64), TG, IL, TL, {}),
    "log_probs_half": (LP.astype(np.float16), TG, IL, TL, {}),
    "float_lengths": (LP, TG, IL.astype(np.float32), TL, {}),
    "bool_lengths": (LP, TG, IL > 0, TL, {}),
    "mixed_lengths": (LP, TG, [5, 4], TL, {}),
    "int_lengths": (LP[:, 0], TG[0], 5, 2, {}),
    "float_list_lengths": (LP, TG, [5.0, 4.0], [2, 2], {}),
    "unbatched_two_lengths": (LP[:, 0], TG[0], [5, 5], [2, 2], {}),
    "bad_reduction": (LP, TG, IL, TL, dict(reduction="avg")),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_as_torch(name):
    lp, targets, il, tl, kwargs = ERRORS[name]
    caught = []
    for lib in (tg, torch):
        mod, fn = lib_of(lib)

        def conv(v):
            return mod.tensor(v) if isinstance(v, np.ndarray) else v
        with pytest.raises(Exception) as info:
            fn.ctc_loss(conv(lp), conv(targets), conv(il), conv(tl), **kwargs)
        caught.append(info.value)
    ours, theirs = caught
    assert isinstance(ours, type(theirs)), f"{type(ours).__name__} vs torch's {theirs!r}"


def test_target_label_out_of_range_is_refused():
    """torch reads out of bounds there (a meaningless number); we refuse."""
    for targets in (np.array([[1, 7], [3, 3]]), np.array([[1, -1], [3, 3]])):
        with pytest.raises(RuntimeError, match="out of range"):
            F.ctc_loss(tg.tensor(LP), tg.tensor(targets), tg.tensor(IL), tg.tensor(TL))
    # padding past a target's length is never read
    out = F.ctc_loss(tg.tensor(LP), tg.tensor([[1, -1], [3, 99]]), [5, 4], [1, 1],
                     reduction="none")
    ref = TF.ctc_loss(torch.tensor(LP), torch.tensor([[1, 0], [3, 0]]), [5, 4], [1, 1],
                      reduction="none")
    assert_same(out, ref)


def test_batch_first_view_and_retained_graph_as_torch():
    """log_probs as a (T, N, C) view of batch-first scores; backward twice (retain_graph)."""
    x = np.random.default_rng(5).standard_normal((3, 7, 5))
    targets, il, tl = np.array([[1, 2], [3, 3], [4, 0]]), np.array([7, 6, 5]), np.array([2, 2, 1])
    results = []
    for lib in (tg, torch):
        mod, fn = lib_of(lib)
        leaf = mod.tensor(x, requires_grad=True)
        out = fn.ctc_loss(leaf.log_softmax(2).transpose(0, 1), mod.tensor(targets),
                          mod.tensor(il), mod.tensor(tl))
        out.backward(retain_graph=True)
        out.backward()
        results.append((out, leaf.grad))
    assert_same(results[0][0], results[1][0], what="loss")
    assert_same(results[0][1], results[1][1], what="gradient accumulated twice")
