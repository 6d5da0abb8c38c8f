"""Tensor.resize_, resize_as_ and the deprecated Tensor.resize against torch.

From a table of (start tensor, sequence of resizes), the same program in both libraries:
shape, strides, storage offset, the values torch defines (storage order, old values kept when
growing; the uninitialised new ones are not compared), the version counter, the no-op for the
same size; channels_last strides; torch's errors (requires grad, negative sizes, memory
formats, argument types); a resized saved tensor refused by backward; a base's views (and a
view) still writing into the right places of the graph after a resize; growing shared storage
refused (and allowed again once the sharer is gone); the library's pooled arrays."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg


def _arange6(L):
    return L.arange(6.)


def _grid(L):
    return L.arange(12.).view(3, 4)


# name, start, resizes (each: sizes, keyword arguments), how many leading elements are defined
CASES = [
    ("reshape in place", _arange6, [((2, 3), {})], 6),
    ("one tuple argument", _arange6, [(((3, 2),), {})], 6),
    ("size= keyword", _arange6, [((), {"size": (3, 2)})], 6),
    ("transposed: storage order", lambda L: L.arange(6.).view(2, 3).t(), [((6,), {})], 6),
    ("same size: nothing changes", lambda L: L.arange(6.).view(2, 3).t(), [((3, 2), {})], 6),
    ("same size, contiguous_format", lambda L: L.arange(6.).view(2, 3).t(),
     [((3, 2), {"memory_format": "contiguous_format"})], 6),
    ("shrink then grow back", _arange6, [((2,), {}), ((2, 3), {})], 6),
    ("grow", _arange6, [((3, 4), {})], 6),
    ("grow twice", _arange6, [((9,), {}), ((2, 8), {})], 6),
    ("to empty", _arange6, [((0,), {})], 0),
    ("empty then grow", lambda L: L.zeros(0), [((3,), {})], 0),
    ("0-d", _arange6, [(((),), {})], 1),
    ("slice with an offset", lambda L: L.arange(6.)[4:], [((2, 1), {})], 2),
    ("sub-block of a grid", lambda L: L.arange(12.).view(3, 4)[1:, 1:], [((2, 3), {})], 6),
    ("expanded, same size", lambda L: L.ones(3).expand(2, 3), [((2, 3), {})], 6),
    ("expanded, new size", lambda L: L.arange(3.).expand(2, 3), [((3,), {})], 3),
    ("channels_last", lambda L: L.arange(24.), [((1, 2, 3, 4),
                                                  {"memory_format": "channels_last"})], 24),
    ("int64", lambda L: L.arange(6), [((3, 2), {}), ((8,), {})], 6),
    ("bool", lambda L: L.ones(4, dtype=L.bool), [((2,), {})], 2),
]


def _run(L, start, resizes):
    x = start(L)
    versions = []
    for sizes, kw in resizes:
        kw = {k: getattr(L, v) if k == "memory_format" else v for k, v in kw.items()}
        before = x._version
        assert x.resize_(*sizes, **kw) is x
        versions.append(x._version - before)
    return x, versions


@pytest.mark.parametrize("name,start,resizes,defined", CASES, ids=[c[0] for c in CASES])
def test_resize_like_torch(name, start, resizes, defined):
    ours, our_versions = _run(tg, start, resizes)
    theirs, their_versions = _run(torch, start, resizes)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.stride() == theirs.stride()
    assert ours.storage_offset() == theirs.storage_offset()
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert our_versions == their_versions
    n = min(defined, theirs.numel())
    np.testing.assert_array_equal(ours.array.reshape(-1)[:n],
                                  theirs.reshape(-1)[:n].numpy())
    if "grow" in name and theirs.numel() > defined:   # ours: the new elements are zeros
        assert not ours.array.reshape(-1)[defined:].any()


def test_resize_as_and_the_deprecated_resize():
    for L in (tg, torch):
        x = L.arange(6.)
        assert tuple(x.resize_as_(L.ones(3, 2).t()).shape) == (2, 3)
        assert x.stride() == (3, 1)
        with pytest.raises(TypeError, match="'the_template' .* must be Tensor, not list"):
            x.resize_as_([1, 2])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = L.arange(6.).view(2, 3).t().resize(6)
        assert any("non-inplace resize is deprecated" in str(w.message) for w in caught)
        assert y.tolist() == [0., 3., 1., 4., 2., 5.]          # logical order: a reshape
        with pytest.raises(RuntimeError, match="autograd's resize can only change the shape"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            L.ones(2).resize(3)
        w = L.arange(6.).requires_grad_()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (w.resize(3, 2) * L.arange(6.).view(3, 2)).sum().backward()
        assert w.grad.tolist() == list(range(6))


ERRORS = [
    ("leaf requiring grad", lambda L: L.ones(2, requires_grad=True).resize_(3), RuntimeError,
     "cannot resize variables that require grad"),
    ("non-leaf requiring grad", lambda L: (L.ones(2, requires_grad=True) * 2).resize_(2),
     RuntimeError, "cannot resize variables that require grad"),
    ("negative size", lambda L: L.ones(2).resize_(2, -1), RuntimeError,
     "numel: integer multiplication overflow"),
    ("preserve_format", lambda L: L.ones(2).resize_(2, memory_format=L.preserve_format),
     RuntimeError, "Unsupported memory formatPreserve"),
    ("channels_last of rank 2", lambda L: L.ones(2).resize_(2, 3,
                                                            memory_format=L.channels_last),
     RuntimeError, "required rank 4 tensor to use channels_last format"),
    ("a float size", lambda L: L.ones(2).resize_(2, 3.0), TypeError, None),
    ("a string", lambda L: L.ones(2).resize_("a"), TypeError, None),
    ("no size", lambda L: L.ones(2).resize_(), TypeError, None),
]


@pytest.mark.parametrize("name,call,error,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_resize_errors_like_torch(name, call, error, message):
    for L in (tg, torch):
        with pytest.raises(error, match=message):
            call(L)


def test_no_grad_does_not_lift_the_requires_grad_refusal():
    for L in (tg, torch):
        with L.no_grad(), pytest.raises(RuntimeError, match="cannot resize variables"):
            L.ones(2, requires_grad=True).resize_(3)


@pytest.mark.parametrize("size", [(2, 3), (12,)], ids=["in place", "grown"])
def test_backward_refuses_a_saved_tensor_resized_since(size):
    for L in (tg, torch):
        w = L.ones(6, requires_grad=True)
        x = L.arange(6.)
        y = (w * x).sum()                       # saves x for w's gradient
        x.resize_(*size)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_views_of_a_resized_base_still_reach_the_graph():
    """A base resized, then written in a graph: a view taken before reads the storage places
    it always read (torch remakes it by place), so its gradient goes to those elements."""
    grads = []
    for L in (tg, torch):
        a = L.zeros(6)
        b = a[2:]
        a.resize_(2, 3)
        w = L.arange(6.).view(2, 3).requires_grad_()
        a.copy_(w * 2)
        (b * L.arange(1., 5.)).sum().backward()
        grads.append(np.asarray(w.grad.tolist()))
        assert b.tolist() == [4., 6., 8., 10.]
    np.testing.assert_array_equal(*grads)


def test_a_resized_view_still_writes_into_its_base():
    outs = []
    for L in (tg, torch):
        a = L.zeros(8)
        v = a[1:7]
        v.resize_(2, 2)                       # storage places 1..4 of a
        w = L.ones(2, 2, requires_grad=True)
        v.mul_(0).add_(w * 3)
        (a * L.arange(8.)).sum().backward()
        outs.append((a.tolist(), w.grad.tolist()))
    assert outs[0] == outs[1]


def test_growing_shared_storage_is_refused_and_unshared_storage_grows():
    for make_sharer in (lambda x: x.data, lambda x: x.detach(), lambda x: x[1:],
                        lambda x: x.view(2, 2), lambda x: x.array):
        x = tg.arange(4.)
        sharer = make_sharer(x)
        with pytest.raises(RuntimeError, match="storage is shared"):
            x.resize_(10)
        x.resize_(2, 2)                          # within the storage: fine
        del sharer
        x.resize_(10)                            # nobody else now
        assert x.tolist()[:4] == [0., 1., 2., 3.]
    shared = np.arange(4.)
    with pytest.raises(RuntimeError, match="storage is shared"):
        tg.from_numpy(shared).resize_(10)
    own = tg.from_numpy(np.arange(4.))      # (the NumPy array is the tensor's alone)
    own.resize_(10)
    assert own.shape == (10,)


def test_pooled_arrays_grow_and_stay_apart():
    """Big results come from the library's reused arrays (kernels.buffers): growing one moves
    it to memory of its own; a view of it still refuses."""
    big = tg.randn(64, 1024)
    h = big * 2
    expected = (big * 2).array.copy()
    h.resize_(64 * 2048)
    np.testing.assert_array_equal(h.array[:64 * 1024], expected.reshape(-1))
    h2 = big * 2
    row = h2[0]
    with pytest.raises(RuntimeError, match="storage is shared"):
        h2.resize_(64 * 2048)
    assert row.shape == (1024,)
