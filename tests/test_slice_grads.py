"""Indexing's backward without a graph hands the engine just the indexed block (SliceGrad),
added in place into a gradient array of the walk's own. Checked against torch: the gradients
of tensors sliced many times (leaves and not, overlapping blocks, ints, steps, None and
Ellipsis, mixed with whole-tensor uses), a gradient handed to two inputs at once that later
gets blocks added (never written into), hooks and retained gradients, float32; and that the
blocks really are not made into zero-filled tensors (IndexAdd does not run)."""
import itertools

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import ops

R = np.random.default_rng(5)
INDICES = [0, -1, (slice(1, 3),), (slice(None), 2), (Ellipsis, slice(0, 4, 2)),
           (None, 1, slice(None, None, 3)), (slice(0, 2), slice(1, None)), (1, 2, 0)]


def _both(a):
    return tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _program(L, x, w):
    """Slices of a leaf and of a non-leaf, overlapping, used with weights, and the same
    tensors used whole as well."""
    y = x * 2.0 + 1.0
    total = (y * w).sum()
    for k, index in enumerate(INDICES):
        total = total + (x[index] * (k + 1.0)).sum() + (y[index] ** 2).sum() * 0.5
    steps = [y[t] for t in range(y.shape[0])]           # an RNN's time steps
    h = L.zeros(y.shape[1:], dtype=y.dtype)
    for s in steps:
        h = L.tanh(h + s)
    return total + h.sum()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_many_slices_give_torchs_gradients(dtype):
    a, b = R.standard_normal((5, 4, 6)).astype(dtype), R.standard_normal((5, 4, 6)).astype(dtype)
    (x, tx), (w, tw) = _both(a), _both(b)
    _program(tg, x, w).backward()
    _program(torch, tx, tw).backward()
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=tol, atol=tol)
    assert x.grad.dtype == x.dtype


def _shared(L, p, order):
    """Add hands the same gradient to both inputs; one of them gets blocks added too (the
    terms summed in every order: which node the walk reaches first changes)."""
    a, b = p * 2.0, p * 3.0
    s = a + b
    terms = [lambda: s[0].sum() + s[1].sum() * 5.0 + s[2:].sum() * 7.0,
             lambda: (a[1] * 11.0).sum(), lambda: (b[-1] * 13.0).sum(),
             lambda: (a[0:2] * p[0:2]).sum()]
    return sum(terms[k]() for k in order)


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_a_gradient_given_to_two_inputs_is_never_written_into(order):
    a = R.standard_normal((4, 3))
    p, tp = _both(a)
    _shared(tg, p, order).backward()
    _shared(torch, tp, order).backward()
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12)


def test_adding_a_block_never_writes_into_an_array_the_walk_did_not_make():
    from tinygrad_sgd.autograd.slices import SliceGrad, add_slices as _add_slices
    foreign = tg.ones(3, 2)
    owned = set()
    total = _add_slices(foreign, SliceGrad((1,), np.full(2, 5.0, np.float32), (3, 2)), owned)
    assert total is not foreign and foreign.tolist() == [[1.0, 1.0]] * 3
    assert total.tolist() == [[1.0, 1.0], [6.0, 6.0], [1.0, 1.0]] and id(total) in owned
    again = _add_slices(total, SliceGrad((0,), np.ones(2, np.float32), (3, 2)), owned)
    assert again is total and total.tolist()[0] == [2.0, 2.0]        # its own: in place
    other = tg.ones(3, 2)
    assert _add_slices(total, other, owned) is total and other.tolist() == [[1.0, 1.0]] * 3


def test_a_gradient_passed_on_unchanged_is_never_written_into():
    """Add hands the caller's gradient tensor itself to y, which also gets a block."""
    results = []
    for L in (tg, torch):
        x = L.tensor(R.standard_normal((3, 4)), requires_grad=True)
        y = x * 1.0
        g = L.ones(3, 4, dtype=L.float64)
        (y + y[0] + y[2:3, ::2].repeat(1, 2)).backward(g)
        assert g.tolist() == [[1.0] * 4] * 3
        results.append(x.grad.numpy())
    np.testing.assert_allclose(*results)


def test_the_callers_gradient_is_never_written_into():
    x, tx = _both(R.standard_normal((3, 4)))
    g = np.ones((3, 4))
    keep = g.copy()
    y = x * 1.0
    out = y[0:2] * 1.0 + y[1:3]                    # blocks added to the caller's gradient flow
    out.backward(tg.tensor(g[:2]))
    assert np.array_equal(g, keep)
    (tx[0:2] + tx[1:3]).backward(torch.tensor(g[:2]))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_hooks_and_retained_gradients_see_whole_gradients():
    a = R.standard_normal((4, 3))
    seen = {}
    for L in (tg, torch):
        x = L.tensor(a, requires_grad=True)
        y = x * 3.0
        y.retain_grad()
        hooked = []
        y.register_hook(lambda g: hooked.append(g.detach().numpy().copy()))
        sum(((y[i] * (i + 1.0)).sum() for i in range(4)), y[1:3].sum()).backward()
        seen[L] = (hooked[0], y.grad.numpy().copy(), x.grad.numpy().copy())
    for mine, theirs in zip(seen[tg], seen[torch]):
        np.testing.assert_allclose(mine, theirs)


def test_second_order_through_slices_as_torch():
    a = R.standard_normal((3, 4))
    results = []
    for L in (tg, torch):
        x = L.tensor(a, requires_grad=True)
        f = sum((x[i] ** 3).sum() for i in range(3)) + (x[:, 1:] * x[:, :-1]).sum()
        (g,) = L.autograd.grad(f, x, create_graph=True)
        (gg,) = L.autograd.grad((g * g).sum(), x)
        results.append((g.detach().numpy(), gg.numpy()))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_blocks_are_not_made_into_zero_filled_tensors(monkeypatch):
    calls = []
    real = ops.IndexAdd.forward
    monkeypatch.setattr(ops.IndexAdd, "forward",
                        lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    x = tg.randn(50, 8, requires_grad=True)
    y = x * 2.0
    sum((y[t] * t).sum() for t in range(50)).backward()
    assert calls == []
    np.testing.assert_allclose(x.grad.numpy(), np.repeat(np.arange(50.0)[:, None] * 2, 8, 1),
                               rtol=1e-6)
    y = x * 2.0
    sum((y[t] * t).sum() for t in range(3)).backward(create_graph=True)   # a graph: IndexAdd
    assert calls


S = slice
TILINGS = [  # (indices, shape, do they tile it: slices of one dim, side by side, covering it)
    ([(S(None), S(None), S(0, 4)), (S(None), S(None), S(4, 8)), (S(None), S(None), S(8, 12))],
     (2, 3, 12), True),
    ([(S(None), S(None), S(8, 12)), (S(None), S(None), S(0, 4)), (S(None), S(None), S(4, 8))],
     (2, 3, 12), True),                                        # arriving in any order
    ([(S(None), S(None), S(0, 4)), (S(None), S(None), S(4, 8))], (2, 3, 12), False),   # a gap
    ([(S(None), S(None), S(0, 5)), (S(None), S(None), S(4, 12))], (2, 3, 12), False),  # overlap
    ([(S(0, 1),), (S(1, 3),)], (3, 4), True),
    ([(S(0, 1),), (S(1, 3),), (S(1, 3),)], (3, 4), False),     # one block twice
    ([(S(0, 2),), (S(None), S(2, 4))], (2, 4), False),         # two different dims
    ([(0,), (S(1, 3),)], (3, 4), False),                       # an int
    ([(S(0, 3, 2),), (S(1, 3, 2),)], (3, 4), False),           # steps
    ([(S(0, 2), S(None)), (S(2, None),)], (3, 4), True),
    ([(Ellipsis, S(0, 2)), (Ellipsis, S(2, 4))], (3, 4), False),
    ([(S(None), S(0, 0)), (S(None), S(0, 4))], (3, 4), True),   # an empty block
    ([(S(0, 3), S(0, 2)), (S(None), S(2, 4))], (3, 4), False),  # (whole, but not written so)
]


@pytest.mark.parametrize("indices, shape, tiles", TILINGS)
def test_which_blocks_tile_an_array(indices, shape, tiles):
    from tinygrad_sgd.autograd.slices import _tiles
    assert _tiles(indices, shape) == tiles


@pytest.mark.parametrize("pieces", [3, 4])
@pytest.mark.parametrize("used", ["all", "some", "twice"])
def test_pieces_of_a_split_give_torchs_gradients_without_zeros(pieces, used, monkeypatch):
    """A GPT's q, k, v: the pieces of one product's split come back as blocks that tile its
    gradient, copied into place (no zero-filled array: buffers.zeros is not called; a piece
    used twice has its two gradients added first); a piece left unused means zeros and
    additions. torch's numbers either way."""
    from tinygrad_sgd.kernels import buffers
    zeros = []
    real = buffers.zeros
    monkeypatch.setattr(buffers, "zeros", lambda *a: zeros.append(a) or real(*a))
    a = R.standard_normal((2, 5, 4 * pieces)).astype(np.float32)
    w = R.standard_normal((pieces, 2, 5, 4)).astype(np.float32)
    grads = []
    for L in (tg, torch):
        x = L.tensor(a, requires_grad=True)
        y = x * 3.0
        parts = y.split(4, dim=2)
        chosen = {"all": range(pieces), "some": range(1, pieces),
                  "twice": list(range(pieces)) + [1]}[used]
        sum((parts[i] * L.tensor(w[i % pieces])).sum() for i in chosen).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
    assert (zeros == []) == (used != "some")
