"""In-place writes into views of tensors in a graph (torch's ``CopySlices``): the base's graph
and every live view of it are rewired, so gradients through the base, the written view or a
sibling view are torch's. Before this, ``y = x * 2; y[0:2].mul_(3)`` changed y's values and
left its graph as it was: a silently wrong gradient."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

# (name, view of the base b, in-place write given the view v and an operand w)
VIEWS = [
    ("slice", lambda b: b[1:3]),
    ("step slice", lambda b: b[::2]),
    ("int index", lambda b: b[1]),
    ("reshape", lambda b: b.reshape(2, 6)),
    ("transpose", lambda b: b.t()),
    ("permute of reshape", lambda b: b.reshape(2, 2, 3).permute(2, 0, 1)),
    ("diagonal", lambda b: b.diagonal()),
    ("narrow", lambda b: b.narrow(1, 1, 2)),
    ("unsqueeze + slice", lambda b: b.unsqueeze(0)[:, 1:, :2]),
    ("view of view", lambda b: b[1:][:, 1:][0]),
]
WRITES = [
    ("mul_ by graph", lambda v, w: v.mul_(w.sum())),
    ("add_ constant", lambda v, w: v.add_(1.5)),
    ("copy_", lambda v, w: v.copy_(w.sum() * 2)),
    ("fill_ / zero_", lambda v, w: v.zero_()),
    ("setitem", lambda v, w: v.__setitem__(..., w.sum() - 1)),
    ("sigmoid_", lambda v, w: v.sigmoid_()),
    ("clamp_ then mul_", lambda v, w: v.clamp_(min=0.5).mul_(w.mean())),
]


def _run(lib, view, write, seed=0, second=False):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = lib.tensor(rng.standard_normal(3), requires_grad=True)
    b = x * 2 + 1
    sibling = b[:, 1]                                  # made before the write
    v = view(b)
    write(v, w)
    weights = lib.tensor(rng.standard_normal((4, 3)))
    loss = (b * weights).sum() + (sibling ** 2).sum() + (v * 3).sum()
    if not second:
        gx, gw = lib.autograd.grad(loss, (x, w), allow_unused=True)
        return b.detach(), gx, gw
    gx, = lib.autograd.grad(loss, x, create_graph=True)
    ggw, = lib.autograd.grad((gx ** 2).sum(), w, allow_unused=True)
    return gx.detach(), ggw


def _same(a, b):
    """Equal values; a gradient of None on one side and zeros on the other are the same."""
    if b is None:
        assert a is None or np.all(np.asarray(a.detach().numpy()) == 0)
        return
    if a is None:
        assert np.all(b.detach().numpy() == 0)
        return
    np.testing.assert_allclose(np.asarray(a.detach().numpy()), b.detach().numpy(), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("vname, view", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("wname, write", WRITES, ids=[w[0] for w in WRITES])
def test_writes_into_views_give_torchs_values_and_gradients(vname, view, wname, write):
    theirs = _run(torch, view, write)
    ours = _run(tg, view, write)
    for a, b in zip(ours, theirs):
        _same(a, b)


@pytest.mark.parametrize("vname, view", VIEWS[:5], ids=[v[0] for v in VIEWS[:5]])
def test_second_order_through_a_written_view(vname, view):
    write = WRITES[0][1]
    for a, b in zip(_run(tg, view, write, second=True), _run(torch, view, write, second=True)):
        _same(a, b)


@pytest.mark.parametrize("lib", [tg, torch])
def test_the_base_shows_copyslices_and_a_base_without_grad_joins_the_graph(lib):
    b = lib.zeros(4)
    w = lib.tensor([2.0, 3.0], requires_grad=True)
    b[1:3].add_(w)
    assert b.requires_grad and type(b.grad_fn).__name__.startswith("CopySlices")
    (b * lib.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_array_equal(np.asarray(w.grad.numpy()), [10.0, 100.0])


@pytest.mark.parametrize("lib", [tg, torch])
def test_an_expanded_view_cannot_be_written_into(lib):
    x = lib.ones(3, requires_grad=True)
    v = (x * 2)[:1].expand(4)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        v.mul_(2)


@pytest.mark.parametrize("lib", [tg, torch])
def test_a_view_of_a_leaf_is_still_refused(lib):
    x = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[1:].mul_(2)


def test_a_write_into_a_copy_leaves_the_base_alone():
    """A reshape that had to copy is no view: its write is its own (as torch's reshape)."""
    x = tg.ones(3, 4, requires_grad=True)
    b = x * 2
    c = b.t().reshape(12)              # a copy
    c.mul_(3)
    b.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0))


@pytest.mark.parametrize("lib", [tg, torch])
def test_a_saved_output_written_over_later_is_refused_at_backward(lib):
    """``v.sigmoid_().mul_(s)``: sigmoid's node saved its result, which mul_ then changed, so
    backward refuses (as torch's); the out-of-place form gives the gradient."""
    x = lib.tensor([0.5, -1.0, 2.0, 0.25], dtype=lib.float64, requires_grad=True)
    s = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
    b = x * 2
    b[1:3].sigmoid_().mul_(s)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (b * lib.arange(1.0, 5.0, dtype=lib.float64)).sum().backward()


def test_the_out_of_place_form_of_it_gives_torchs_gradient():
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0, 0.25], dtype=lib.float64, requires_grad=True)
        s = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
        b = x * 2
        b = lib.cat([b[:1], b[1:3].sigmoid() * s, b[3:]])
        (b * lib.arange(1.0, 5.0, dtype=lib.float64)).sum().backward()
        return x.grad.numpy(), s.grad.numpy()
    for a, b in zip(run(tg), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("lib", [tg, torch])
def test_an_element_picked_by_integers_is_a_view(lib):
    """x[1, 2] is a 0-d view of x (NumPy would give a copied scalar): writes reach x, and in a
    graph the base is rewired."""
    x = lib.arange(6.0).reshape(2, 3)
    x[1, 2].fill_(-1.0)
    x[0][1].add_(10.0)
    np.testing.assert_array_equal(np.asarray(x.numpy()), [[0, 11, 2], [3, 4, -1]])
    w = lib.ones(3, requires_grad=True)
    y = w * 2
    y[1].mul_(5)
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(w.grad.numpy()), [2, 10, 2])


BASE_WRITES = [
    ("mul_", lambda b, w: b.mul_(3)),
    ("add_ graph operand", lambda b, w: b.add_(w.sum())),
    ("setitem", lambda b, w: b.__setitem__((0, 1), w[0] * 5)),
    ("copy_", lambda b, w: b.copy_(w.reshape(1, 3).expand(4, 3) * 2)),
    ("write via another view", lambda b, w: b[:, 2].mul_(w[1])),
]


@pytest.mark.parametrize("name, write", BASE_WRITES, ids=[b[0] for b in BASE_WRITES])
def test_views_made_before_a_write_into_their_base_follow_it(name, write):
    """Views taken before the base is written into in place read the new values, and their
    gradients go through the write, as torch's (its views' grad_fn are made again)."""
    def run(lib):
        rng = np.random.default_rng(1)
        x = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
        w = lib.tensor(rng.standard_normal(3), requires_grad=True)
        b = x * 2
        views = [b[1:3], b.t()[0], b.reshape(12)[::5], b[1:][0]]
        write(b, w)
        weights = [lib.tensor(rng.standard_normal(tuple(v.shape))) for v in views]
        loss = sum(((v * k) ** 2).sum() for v, k in zip(views, weights))
        gx, gw = lib.autograd.grad(loss, (x, w), allow_unused=True)
        return [v.detach() for v in views] + [gx, gw]
    for a, b in zip(run(tg), run(torch)):
        _same(a, b)


NO_GRAD_VIEWS = [
    ("slice of a result", lambda lib: (lib.ones(4, requires_grad=True) * 2), lambda b: b[0:2]),
    ("reshape of a result", lambda lib: (lib.ones(4, requires_grad=True) * 2),
     lambda b: b.reshape(2, 2)),
    ("slice of a leaf", lambda lib: lib.ones(4, requires_grad=True), lambda b: b[1:]),
    ("view of a leaf", lambda lib: lib.ones(4, requires_grad=True), lambda b: b.view(2, 2)),
]


@pytest.mark.parametrize("name, make, view", NO_GRAD_VIEWS, ids=[v[0] for v in NO_GRAD_VIEWS])
@pytest.mark.parametrize("lib", [tg, torch])
def test_a_view_made_in_no_grad_is_not_written_in_grad_mode(lib, name, make, view):
    """As torch: a view taken under no_grad of a tensor that requires grad can be written
    inside no_grad, not outside (the write would be half tracked); a view of it too."""
    b = make(lib)
    with lib.no_grad():
        v = view(b)
        v.mul_(1.0)                                     # inside no_grad: fine
    with pytest.raises(RuntimeError, match="created in no_grad mode|view of a view"):
        v.mul_(2.0)
    with pytest.raises(RuntimeError, match="created in no_grad mode|view of a view"):
        v[0:1].zero_()
    plain = lib.ones(3)                                 # no grad anywhere: a plain write
    with lib.no_grad():
        u = plain[0:2]
    u.mul_(2.0)
    np.testing.assert_array_equal(np.asarray(plain.numpy()), [2.0, 2.0, 1.0])
