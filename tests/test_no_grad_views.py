"""Views made under ``no_grad`` (or ``inference_mode``) of a tensor that requires grad, as
torch's: they require grad (their base does), are leaves with no grad_fn, and the graph an op
on them records in grad mode ends at them — nothing reaches them nor their base. An in-place
write into one in grad mode is refused with torch's message. Each case runs on both libraries.
"""
import copy

import numpy as np
import pytest

import tinygrad_sgd

torch = pytest.importorskip("torch")

LIBS = (tinygrad_sgd, torch)


def _base(L):
    return L.tensor(np.arange(12, dtype=np.float32).reshape(3, 4) / 7, requires_grad=True)


def _no_grad_view(L, x, make=lambda x: x[0:2], mode="no_grad"):
    with (L.inference_mode() if mode == "inference" else L.no_grad()):
        return make(x)


VIEWS = [
    ("slice", lambda x: x[0:2]), ("select", lambda x: x[0]), ("t", lambda x: x.t()),
    ("T", lambda x: x.T), ("view", lambda x: x.view(12)), ("reshape", lambda x: x.reshape(12)),
    ("reshape_copy", lambda x: x.t().reshape(12)), ("expand", lambda x: x.expand(2, 3, 4)),
    ("split", lambda x: x.split(1)[0]), ("unbind", lambda x: x.unbind()[1]),
    ("chunk", lambda x: x.chunk(2)[0]), ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("permute", lambda x: x.permute(1, 0)), ("squeeze", lambda x: x[None].squeeze(0)),
    ("unsqueeze", lambda x: x.unsqueeze(0)), ("flatten", lambda x: x.flatten()),
    ("diagonal", lambda x: x.diagonal()), ("as_strided", lambda x: x.as_strided((2,), (1,))),
    ("unfold", lambda x: x.unfold(0, 2, 1)), ("movedim", lambda x: x.movedim(0, 1)),
    ("unflatten", lambda x: x.unflatten(1, (2, 2))), ("ellipsis", lambda x: x[...]),
    ("none_index", lambda x: x[:, None]), ("view_as", lambda x: x.view_as(x)),
    ("mT", lambda x: x.mT), ("contiguous", lambda x: x.contiguous()),
    ("advanced_index", lambda x: x[[0, 2]]), ("detach", lambda x: x.detach()),
    ("arithmetic", lambda x: x * 2), ("view_of_view", lambda x: x[0:2][1]),
]


@pytest.mark.parametrize("name,make", VIEWS, ids=[v[0] for v in VIEWS])
def test_flags_of_views_made_without_grad(name, make):
    got = []
    for L in LIBS:
        x = _base(L)
        v = _no_grad_view(L, x, make)
        got.append((v.requires_grad, v.is_leaf, v.grad_fn is None, v._is_view()))
    assert got[0] == got[1]


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode", "nonleaf_base"])
def test_flags_in_each_mode(mode):
    got = []
    for L in LIBS:
        x = _base(L)
        base = x * 1 if mode == "nonleaf_base" else x
        with (L.inference_mode() if mode == "inference_mode" else L.no_grad()):
            v = base[0:2]
        got.append((v.requires_grad, v.is_leaf, v.grad_fn is None, v._base is base))
    assert got[0] == got[1]


def _grad_mode_use(L):
    x = _base(L)
    v = _no_grad_view(L, x)
    y = (v * 3).exp().sum()
    edges = [e is None for e, _ in (v * 3).grad_fn.next_functions]
    mixed = [e is None for e, _ in (v + x[0:2]).grad_fn.next_functions]
    y.backward()
    return (y.requires_grad, y.grad_fn is not None, edges, mixed, x.grad is None,
            v.grad is None, float(y.detach()))


def test_ops_on_it_record_a_graph_that_ends_there():
    ours, theirs = (_grad_mode_use(L) for L in LIBS)
    assert ours[:6] == theirs[:6] == (True, True, [True, True], [True, False], True, True)
    assert ours[6] == pytest.approx(theirs[6], rel=1e-6)


def test_its_gradient_reaches_nothing_else_on_a_mixed_path():
    grads = []
    for L in LIBS:
        x = _base(L)
        v = _no_grad_view(L, x)
        (v * x[0:2]).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1])


@pytest.mark.parametrize("ask", ["view", "base", "view_unused_ok"])
def test_autograd_grad_through_it(ask):
    got = []
    for L in LIBS:
        x = _base(L)
        v = _no_grad_view(L, x)
        out = (v * 2).sum()
        try:
            r = L.autograd.grad(out, v if ask != "base" else x,
                                allow_unused=ask == "view_unused_ok")
            got.append(("ok", r))
        except RuntimeError as e:
            got.append((type(e), str(e)))
    assert got[0] == got[1]


def test_requires_grad_false_is_kept_while_the_base_requires_grad():
    for L in LIBS:
        v = _no_grad_view(L, _base(L))
        v.requires_grad_(False)
        assert v.requires_grad
        v.requires_grad = False
        assert v.requires_grad


def test_requires_grad_true_makes_it_a_leaf_of_its_own():
    got = []
    for L in LIBS:
        x = _base(L)
        v = _no_grad_view(L, x)
        v.requires_grad_(True)
        (v * 2).sum().backward()
        got.append((v.grad.numpy().tolist(), x.grad is None))
    assert got[0] == got[1] == ([[2.0] * 4] * 2, True)


def test_copies_are_leaves_of_their_own():
    got = []
    for L in LIBS:
        v = _no_grad_view(L, _base(L))
        c = copy.deepcopy(v)
        (c * 2).sum().backward()
        cl = v.clone()
        p = L.nn.Parameter(v)
        got.append((c.requires_grad, c.is_leaf, c._base is None, c.grad.numpy().tolist(),
                    cl.requires_grad, cl.grad_fn is not None, p.requires_grad,
                    v.detach().requires_grad))
    assert got[0] == got[1]


def test_hooks_and_retain_grad_on_it_run_nothing():
    for L in LIBS:
        v = _no_grad_view(L, _base(L))
        seen = []
        v.register_hook(seen.append)
        v.retain_grad()
        (v * 2).sum().backward()
        assert seen == [] and v.grad is None and v.retains_grad is False


WRITES = [
    ("no_grad_view", lambda L, x: _no_grad_view(L, x)),
    ("view_of_it_in_grad_mode", lambda L, x: _no_grad_view(L, x)[1:]),
    ("t_of_it_in_grad_mode", lambda L, x: _no_grad_view(L, x).t()),
    ("view_of_it_without_grad", lambda L, x: _no_grad_view(L, x, lambda x: x[0:2][0])),
    ("view_of_a_nonleaf", lambda L, x: _no_grad_view(L, x * 1)),
]


def _refusal(L, name, make):
    x = _base(L)
    v = _no_grad_view(L, x, mode="inference") if name == "inference" else make(L, x)
    try:
        v.mul_(2)
    except RuntimeError as e:
        return str(e)
    return None


@pytest.mark.parametrize("name,make", WRITES + [("inference", None)],
                         ids=[w[0] for w in WRITES] + ["inference"])
def test_in_place_write_in_grad_mode_is_refused_as_torch(name, make):
    ours, theirs = (_refusal(L, name, make) for L in LIBS)
    assert theirs is not None and ours is not None
    if theirs.startswith("Output 0 of"):      # (torch names its view op, ours names ours)
        assert ours.startswith("Output 0 of ")
        assert ours.split(" is ", 1)[1] == theirs.split(" is ", 1)[1]
    else:
        assert ours == theirs


def test_in_place_write_without_grad_is_allowed():
    got = []
    for L in LIBS:
        x = _base(L)
        v = _no_grad_view(L, x)
        with L.no_grad():
            v.mul_(2)
        got.append((x.detach().numpy().tolist(), v.requires_grad))
    assert got[0] == got[1]


def test_printed_as_requiring_grad():
    reprs = [repr(_no_grad_view(L, _base(L))) for L in LIBS]
    assert reprs[0].endswith("requires_grad=True)") and reprs[1].endswith("requires_grad=True)")


def test_a_custom_function_on_it():
    class Twice(tinygrad_sgd.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    x = _base(tinygrad_sgd)
    v = _no_grad_view(tinygrad_sgd, x)
    y = Twice.apply(v)
    assert y.requires_grad and y.grad_fn is not None
    y.sum().backward()
    assert x.grad is None and v.grad is None


CHANGES = [
    ("base_written_without_grad", lambda L, x, v: L.no_grad()(lambda: x.add_(1))()),
    ("it_written_without_grad", lambda L, x, v: L.no_grad()(lambda: v.mul_(2))()),
    ("detached_written", lambda L, x, v: v.detach().mul_(2)),
    ("data_written", lambda L, x, v: v.data.mul_(2)),       # (.data: counted apart, as torch)
    ("nothing", lambda L, x, v: None),
]


def _use_after(L, change, mode):
    x = _base(L)
    v = _no_grad_view(L, x, mode=mode)
    change(L, x, v)
    try:
        y = v * 2
    except RuntimeError as e:
        return str(e)
    with L.no_grad():
        again = v * 2                    # (without grad: always allowed)
    return y.requires_grad, again.requires_grad


@pytest.mark.parametrize("mode", ["no_grad", "inference"])
@pytest.mark.parametrize("name,change", CHANGES, ids=[c[0] for c in CHANGES])
def test_use_in_grad_mode_after_an_in_place_write(name, change, mode):
    ours, theirs = (_use_after(L, change, mode) for L in LIBS)
    assert ours == theirs
    assert (type(theirs) is str) == (name not in ("data_written", "nothing"))


def test_a_view_made_after_the_write_is_usable():
    got = []
    for L in LIBS:
        x = _base(L)
        v = _no_grad_view(L, x)
        with L.no_grad():
            x.add_(1)
            v2 = v[0]
        got.append((v2 * 2).requires_grad)
    assert got == [True, True]


SETITEM_INDICES = [0, slice(0, 1), (0, 1), [0], Ellipsis, (slice(None), 1), None,
                   (0, slice(1, 3)), slice(0, 2), (slice(0, 2), slice(1, 3)), (Ellipsis, 1),
                   (Ellipsis, slice(0, 4)), (0, Ellipsis), (slice(0, 2), slice(0, 4)),
                   (None, 0), (0, None), "mask"]


@pytest.mark.parametrize("index", SETITEM_INDICES, ids=repr)
def test_setitem_in_grad_mode_is_refused_naming_torchs_view_op(index):
    """``v[index] = 1``: torch writes through the view its indexing makes (Select, Slice,
    Unsqueeze: named in its message; none for ``...``, whole slices or a tensor index)."""
    messages = []
    for L in LIBS:
        v = _no_grad_view(L, _base(L))
        with pytest.raises(RuntimeError) as e:
            v[L.tensor([True, False]) if index == "mask" else index] = 1.0
        messages.append(str(e.value))
    assert messages[0] == messages[1]
