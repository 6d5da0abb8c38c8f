"""Indexing, shape and strided-copy edges, each compared with torch (the oracle): values,
dtypes, strides, node names and error classes.

* ``x[index] = v``: torch's ``index_put_`` wants ``v`` in ``x``'s dtype, its ``masked_fill_``
  shortcut refuses a uint8 mask, and the node is an ``IndexPutBackward0`` when the index is
  written into ``x`` itself (``torch::autograd::CopySlices`` through a view);
* the errors of index_add/index_select/index_copy/index_fill for a wrong index (dtype, dims,
  range) and source — IndexError or RuntimeError, as torch;
* torch's keyword names: ``swapaxes(axis0=, axis1=)``, ``swapdims(dim0=, dim1=)``,
  ``hsplit/vsplit/dsplit(sections=/indices=)``, ``tensor_split(sections=)``,
  ``torch.index_add(..., out=)``;
* the remaining cases are described where their tables are.
"""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.printing import OPTIONS

LIBS = (torch, tg)


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


from torch_compare import outcome  # noqa: E402  (fn(lib), or the exception it raised)


def assert_same_value(theirs, ours):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), (theirs, ours)
        for a, b in zip(theirs, ours):
            assert_same_value(a, b)
    elif isinstance(theirs, torch.Tensor):
        assert _dtype_name(ours) == _dtype_name(theirs)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.requires_grad == theirs.requires_grad
        np.testing.assert_array_equal(np.asarray(ours.detach().numpy()),
                                      theirs.detach().numpy())
    else:
        assert ours == theirs, (theirs, ours)


def assert_same_outcome(fn, message=True):
    """Same values, or the same error class; ``message``: True, the same first line; "start":
    ours begins with torch's (ours may add a hint)."""
    theirs, ours = (outcome(fn, lib) for lib in LIBS)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {theirs!r}, we returned {ours}"
        assert isinstance(ours, type(theirs)), (ours, theirs)
        if message == "start":
            assert str(ours).startswith(str(theirs).split("\n")[0]), (ours, theirs)
        elif message:
            assert str(ours).split("\n")[0] == str(theirs).split("\n")[0]
    else:
        assert not isinstance(ours, Exception), f"we raised {ours!r}, torch gave {theirs}"
        assert_same_value(theirs, ours)


# ------------------------------------------------------------------------ index_* errors
def _source(L, x, i):
    n = i.numel() if i.ndim else 1
    return L.ones(*((n,) + tuple(x.shape[1:]))) if x.ndim else L.ones(())


INDEX_OPS = {
    "index_add": lambda L, x, i: x.index_add(0, i, _source(L, x, i)),
    "index_copy": lambda L, x, i: x.index_copy(0, i, _source(L, x, i)),
    "index_fill": lambda L, x, i: x.index_fill(0, i, 1.0),
    "index_select": lambda L, x, i: x.index_select(0, i),
    "index_add dim 2": lambda L, x, i: x.index_add(2, i, _source(L, x, i)),
    "index_copy dim 2": lambda L, x, i: x.index_copy(2, i, _source(L, x, i)),
    "index_fill dim 2": lambda L, x, i: x.index_fill(2, i, 1.0),
    "index_select dim 2": lambda L, x, i: x.index_select(2, i),
    "index_add source rows": lambda L, x, i: x.index_add(0, i, L.ones(5, 2)),
    "index_copy source rows": lambda L, x, i: x.index_copy(0, i, L.ones(5, 2)),
}
INDICES = {
    "int64": lambda L: L.tensor([0, 2]), "int32": lambda L: L.tensor([0, 2], dtype=L.int32),
    "int16": lambda L: L.tensor([0, 2], dtype=L.int16), "float": lambda L: L.tensor([0., 1.]),
    "bool": lambda L: L.tensor([True, False]), "2-d": lambda L: L.tensor([[0, 1]]),
    "0-d": lambda L: L.tensor(1), "past the end": lambda L: L.tensor([0, 5]),
    "negative": lambda L: L.tensor([0, -1]), "too negative": lambda L: L.tensor([0, -4]),
}
INPUTS = {"2-d": lambda L: L.arange(6.).reshape(3, 2), "1-d": lambda L: L.arange(4.)}


@pytest.mark.parametrize("input_name", INPUTS)
@pytest.mark.parametrize("index_name", INDICES)
@pytest.mark.parametrize("op", INDEX_OPS)
def test_index_ops_raise_torchs_errors(op, index_name, input_name):
    """Same values, or the same error class (IndexError / RuntimeError)."""
    assert_same_outcome(lambda L: INDEX_OPS[op](L, INPUTS[input_name](L),
                                                INDICES[index_name](L)), message=False)


INDEX_MESSAGES = [
    lambda L: L.zeros(3, 2).index_add(0, L.tensor([[0, 1]]), L.ones(2, 2)),
    lambda L: L.zeros(3, 2).index_copy(0, L.tensor([0., 1.]), L.ones(2, 2)),
    lambda L: L.zeros(3, 2).index_copy(0, L.tensor([0, 1], dtype=L.int32), L.ones(2, 2)),
    lambda L: L.zeros(3, 2).index_copy(0, L.tensor([[0, 1]]), L.ones(2, 2)),
    lambda L: L.zeros(3, 2).index_fill(0, L.tensor([0, 1], dtype=L.int32), 1.0),
    lambda L: L.zeros(3, 2).index_fill(0, L.tensor([[0, 1]]), 1.0),
    lambda L: L.zeros(3, 2).index_select(0, L.tensor([0., 1.])),
    lambda L: L.zeros(3, 2).index_select(0, L.tensor([0, 3])),
    lambda L: L.tensor(1.).index_select(0, L.tensor([0, 0])),
    lambda L: L.tensor(1.).index_add(0, L.tensor([0]), L.ones(1)),
]


@pytest.mark.parametrize("case", range(len(INDEX_MESSAGES)))
def test_index_ops_errors_say_what_torch_says(case):
    assert_same_outcome(INDEX_MESSAGES[case])


# ------------------------------------------------------------- index_* with 0-d and 1-element
# torch's index_copy compares the shapes without ``dim`` (none for a 0-d tensor), so a 0-d self
# takes a one-element 1-d source and a 1-d self a 0-d source; index_add/index_reduce compare the
# whole shapes when either side is 0-d. Each: values and both gradients, or the error class.
SMALL_SELF = [(), (1,), (2,), (2, 3)]
SMALL_INDEX = [0, [0], [1], [0, 0], [1, 0], [[0]]]
SMALL_SOURCE = [(), (1,), (2,), (1, 3), (2, 3), (1, 1)]
SMALL_OPS = {
    "index_copy": lambda x, d, i, s: x.index_copy(d, i, s),
    "index_add": lambda x, d, i, s: x.index_add(d, i, s, alpha=2),
    "index_reduce": lambda x, d, i, s: x.index_reduce(d, i, s, "amax"),
}


def _small_index_case(op, self_shape, index, source_shape, dim):
    def run(L):
        x = L.arange(float(np.prod(self_shape)), dtype=L.float64).reshape(self_shape)
        s = (L.arange(float(np.prod(source_shape)), dtype=L.float64) + 10).reshape(source_shape)
        x.requires_grad_(), s.requires_grad_()
        y = SMALL_OPS[op](x, dim, L.tensor(index), s)
        weights = L.arange(float(y.numel()), dtype=L.float64).reshape(y.shape) + 1
        gx, gs = L.autograd.grad((y * weights).sum(), (x, s), allow_unused=True)
        return y, gx, gs
    return run


@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("source_shape", SMALL_SOURCE, ids=str)
@pytest.mark.parametrize("index", SMALL_INDEX, ids=str)
@pytest.mark.parametrize("self_shape", SMALL_SELF, ids=str)
@pytest.mark.parametrize("op", SMALL_OPS)
def test_index_ops_on_0d_and_one_element_tensors(op, self_shape, index, source_shape, dim):
    if op == "index_copy" and self_shape == () and index == [0, 0] and source_shape == (2,):
        # torch's forward gives the last source number; its backward then raises
        # (index_select of a 0-d gradient with two indices). Ours gives each source place
        # the gradient, as for a 1-d self.
        y = _small_index_case(op, self_shape, index, source_shape, dim)(tg)[0]
        assert y.item() == 11.0
        return
    assert_same_outcome(_small_index_case(op, self_shape, index, source_shape, dim),
                        message=False)


# ------------------------------------------------------------------------ keyword names
def _index_add_out(L, dtype="float32", alpha=1, requires_grad=False):
    out = L.full((3, 2), 5.0, dtype=getattr(L, dtype))
    x = L.zeros(3, 2, requires_grad=requires_grad)
    r = L.index_add(x, 0, L.tensor([0, 0]), L.ones(2, 2), alpha=alpha, out=out)
    return r, out, r is out


KEYWORDS = {
    "swapaxes": lambda L: L.arange(6.).reshape(2, 3).swapaxes(axis0=0, axis1=1),
    "torch.swapaxes": lambda L: L.swapaxes(L.arange(6.).reshape(2, 3), 1, axis1=0),
    "swapaxes dim0 (a TypeError)": lambda L: L.zeros(2, 3).swapaxes(dim0=0, dim1=1),
    "swapdims": lambda L: L.arange(6.).reshape(2, 3).swapdims(dim0=1, dim1=0),
    "torch.swapdims": lambda L: L.swapdims(L.arange(6.).reshape(2, 3), dim0=0, dim1=1),
    "swapdims axis0 (a TypeError)": lambda L: L.zeros(2, 3).swapdims(axis0=0, axis1=1),
    "hsplit sections": lambda L: L.arange(8.).reshape(2, 4).hsplit(sections=2),
    "torch.hsplit indices": lambda L: L.hsplit(L.arange(8.).reshape(2, 4), indices=[1, 3]),
    "vsplit sections": lambda L: L.vsplit(L.arange(8.).reshape(4, 2), sections=2),
    "vsplit indices": lambda L: L.arange(8.).reshape(4, 2).vsplit(indices=(1,)),
    "dsplit sections": lambda L: L.dsplit(L.arange(8.).reshape(1, 2, 4), sections=4),
    "dsplit indices": lambda L: L.arange(8.).reshape(1, 2, 4).dsplit(indices=[2]),
    "hsplit both (a TypeError)": lambda L: L.hsplit(L.zeros(2, 4), [1], sections=2),
    "hsplit bad sections": lambda L: L.hsplit(L.zeros(2, 4), sections=3),
    "tensor_split sections": lambda L: L.arange(5.).tensor_split(sections=2),
    "torch.tensor_split sections": lambda L: L.tensor_split(L.arange(5.), sections=3),
    "torch.tensor_split indices": lambda L: L.tensor_split(L.arange(5.), indices=[1, 4]),
    "index_add out": lambda L: _index_add_out(L),
    "index_add out alpha": lambda L: _index_add_out(L, alpha=3),
    "index_add out float64": lambda L: _index_add_out(L, "float64"),
    "index_add out requires grad": lambda L: _index_add_out(L, requires_grad=True),
    "Tensor.index_add out (a TypeError)": lambda L: L.zeros(3, 2).index_add(
        0, L.tensor([0]), L.ones(1, 2), out=L.zeros(3, 2)),
}


@pytest.mark.parametrize("case", KEYWORDS)
def test_torchs_keyword_names(case):
    assert_same_outcome(KEYWORDS[case], message=not case.endswith("(a TypeError)"))


# ------------------------------------------------------------------------ x[index] = v
def _node_name(t):
    old = OPTIONS.namespace
    OPTIONS.namespace = "torch"
    try:
        return t.grad_fn.name()
    finally:
        OPTIONS.namespace = old


def _set(L, index, value, requires_grad=True):
    """``x[index] = value`` on a (3, 2) float32 tensor in a graph: its values and node."""
    x = L.arange(6.).reshape(3, 2)
    if requires_grad:
        x = x.requires_grad_() * 1
    ix = index(L) if callable(index) else index
    v = value(L) if callable(value) else value
    if not requires_grad:
        x[ix] = v
        return x
    old = OPTIONS.namespace
    OPTIONS.namespace = "torch" if L is tg else old       # (named nodes: torch mode only)
    try:
        x[ix] = v
        return x, x.grad_fn.name()
    finally:
        OPTIONS.namespace = old


SET_INDICES = {
    "tensor": lambda L: L.tensor([0, 2]), "list": [0, 2], "mask": lambda L: L.tensor(
        [True, False, True]), "2-d mask": lambda L: L.tensor([[True, False], [False, True],
                                                             [True, True]]),
    "uint8 mask": lambda L: L.tensor([1, 0, 1], dtype=L.uint8),
    "(:, uint8 mask)": lambda L: (slice(None), L.tensor([1, 0], dtype=L.uint8)),
    "0-d int tensor": lambda L: L.tensor(1), "0-d bool tensor": lambda L: L.tensor(True),
    "int": 1, "slice": slice(1, None), "whole slice": slice(0, 5), ":": slice(None),
    "...": Ellipsis, "True": True, "(int, tensor)": lambda L: (0, L.tensor([0, 1])),
    "(:, tensor)": lambda L: (slice(None), L.tensor([1, 0])),
    "(..., tensor)": lambda L: (Ellipsis, L.tensor([1, 0])),
    "(None, tensor)": lambda L: (None, L.tensor([1, 0])),
    "(tensor, tensor)": lambda L: (L.tensor([0, 1]), L.tensor([1, 0])),
    "(tensor, 0-d tensor)": lambda L: (L.tensor([0, 1]), L.tensor(0)),
    "(tensor, :)": lambda L: (L.tensor([0, 1]), slice(None)),
    "(tensor, 1:)": lambda L: (L.tensor([0, 1]), slice(1, None)),
}
SET_VALUES = {
    "7.0": 7.0, "0-d float32": lambda L: L.tensor(7.0), "0-d float64": lambda L: L.tensor(
        7.0, dtype=L.float64), "[1] float64": lambda L: L.tensor([7.0], dtype=L.float64),
    "(2,) float64": lambda L: L.tensor([7.0, 8.0], dtype=L.float64),
    "(2,) float32 requiring grad": lambda L: L.tensor([7.0, 8.0], requires_grad=True),
    "0-d int64": lambda L: L.tensor(7),
}


@pytest.mark.parametrize("in_graph", [True, False], ids=["in a graph", "plain"])
@pytest.mark.parametrize("value", SET_VALUES)
@pytest.mark.parametrize("index", SET_INDICES)
def test_setitem_dtype_rules_and_node_names(index, value, in_graph):
    """The values written, torch's error (index_put_'s dtype rule, masked_fill_'s uint8 mask)
    and, in a graph, torch's node name."""
    if not in_graph and value.endswith("requiring grad"):
        pytest.skip("a value that requires grad puts the write in a graph")
    assert_same_outcome(lambda L: _set(L, SET_INDICES[index], SET_VALUES[value], in_graph))


INDEX_PUT_NAMES = {
    "index_put_": lambda L, x: x.index_put_((L.tensor([0]),), L.tensor(1.0)),
    "index_put_ accumulate": lambda L, x: x.index_put_((L.tensor([0, 0]),), L.tensor(1.0),
                                                       accumulate=True),
    "index_put": lambda L, x: x.index_put((L.tensor([0]), L.tensor([1])), L.tensor(1.0)),
}


@pytest.mark.parametrize("case", INDEX_PUT_NAMES)
def test_index_put_node_names(case):
    def run(L):
        x = L.arange(6.).reshape(3, 2).requires_grad_() * 1
        out = INDEX_PUT_NAMES[case](L, x)
        name = out.grad_fn.name() if L is torch else _node_name(out)
        out.sum().backward()
        return out, name
    assert_same_outcome(run)


# ------------------------------------------------------------------------ views, searches
def _write_into(L, make, k, write, grad=True):
    a = L.arange(6.).reshape(3, 2)
    if grad:
        a = a.requires_grad_() * 1
    parts = make(L, a)
    write(parts[k])
    return a


MULTI_VIEWS = {
    "unbind": lambda L, a: a.unbind(), "torch.unbind(dim=1)": lambda L, a: L.unbind(a, 1),
    "split": lambda L, a: a.split(1), "split sizes": lambda L, a: a.split([1, 2]),
    "chunk": lambda L, a: a.chunk(3), "tensor_split": lambda L, a: a.tensor_split(3),
    "hsplit": lambda L, a: a.hsplit(2),
}
WRITES = {"add_": lambda t: t.add_(1), "mul_": lambda t: t.mul_(2),
          "setitem": lambda t: t.__setitem__(0, 5.0), "zero_": lambda t: t.zero_()}


@pytest.mark.parametrize("grad", [True, False], ids=["in a graph", "plain"])
@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("make", MULTI_VIEWS)
def test_writes_into_views_of_multi_view_functions(make, write, grad):
    """torch refuses an in-place write into an output of unbind/split/chunk made in a graph
    (tensor_split's and hsplit's may be written); outside a graph the write goes through."""
    assert_same_outcome(lambda L: _write_into(L, MULTI_VIEWS[make], 1, WRITES[write], grad),
                        message=write in ("add_", "mul_"))


SEARCHES = {
    "sorter int64": lambda L: L.tensor([1, 2, 0]),
    "sorter int32": lambda L: L.tensor([1, 2, 0], dtype=L.int32),
    "sorter int16": lambda L: L.tensor([1, 2, 0], dtype=L.int16),
    "sorter float": lambda L: L.tensor([1., 2., 0.]),
    "sorter short": lambda L: L.tensor([1, 2], dtype=L.int32),
    "sorter out of range": lambda L: L.tensor([1, 2, 3]),
}


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("case", SEARCHES)
def test_searchsorted_sorter_must_be_int64(case, right):
    assert_same_outcome(lambda L: L.searchsorted(L.tensor([3., 1., 2.]), L.tensor([2.5, 1.0]),
                                                 right=right, sorter=SEARCHES[case](L)))


UINT8_READS = {
    "mask": lambda L, x: x[L.tensor([1, 0, 1], dtype=L.uint8)],
    "0-d": lambda L, x: x[L.tensor(1, dtype=L.uint8)],
    "0-d zero": lambda L, x: x[L.tensor(0, dtype=L.uint8)],
    "(:, mask)": lambda L, x: x[:, L.tensor([0, 1], dtype=L.uint8)],
    "2-d mask": lambda L, x: x[L.tensor([[1, 0], [0, 1], [1, 1]], dtype=L.uint8)],
    "masked_fill": lambda L, x: x.masked_fill(L.tensor([1, 0], dtype=L.uint8), 0.0),
    "masked_select": lambda L, x: x.masked_select(L.tensor([1, 0], dtype=L.uint8)),
    "where": lambda L, x: L.where(L.tensor([1, 0], dtype=L.uint8), x, 0.0),
}


@pytest.mark.parametrize("case", UINT8_READS)
def test_uint8_masks_as_torch_reads_them(case):
    """torch's deprecated uint8 mask reads as a bool mask (with a warning) where indexing
    takes it; masked_fill and friends refuse it."""
    def run(L):
        x = L.arange(6.).reshape(3, 2).requires_grad_()
        out = UINT8_READS[case](L, x)
        out.sum().backward()
        return out, x.grad
    assert_same_outcome(run, message=False)


UINT8_WARNINGS = {
    "read a mask": lambda L, x: x[L.tensor([1, 0, 1, 0], dtype=L.uint8)],
    "read a 0-d": lambda L, x: x[L.tensor(1, dtype=L.uint8)],
    "write a mask": lambda L, x: x.__setitem__(L.tensor([1, 0, 1, 0], dtype=L.uint8),
                                               L.tensor([1.0, 2.0])),
    "write a mask in a graph": lambda L, x: (x.requires_grad_() * 1).__setitem__(
        L.tensor([1, 0, 1, 0], dtype=L.uint8), L.tensor([1.0, 2.0])),
}


@pytest.mark.parametrize("case", UINT8_WARNINGS)
def test_uint8_indexing_warns_as_torch(case):
    """One deprecation warning per index read, in torch's words; none for a 0-d uint8."""
    said = []
    for L in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            UINT8_WARNINGS[case](L, L.arange(4.0))
        said.append([(w.category, str(w.message).split(" (Triggered")[0].strip())
                     for w in caught])
    assert said[1] == said[0]


# ------------------------------------------------------------------------ unique
UNIQUES = {
    "unique": lambda L, x: L.unique(x),
    "unique sorted=False": lambda L, x: x.unique(sorted=False),
    "unique inverse, counts": lambda L, x: L.unique(x, return_inverse=True,
                                                    return_counts=True),
    "unique dim": lambda L, x: L.unique(x, dim=0),
    "unique_consecutive": lambda L, x: L.unique_consecutive(x),
    "unique_consecutive dim": lambda L, x: L.unique_consecutive(x, dim=1, return_counts=True),
}


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("grad", ["requires grad", "no_grad", "plain"])
@pytest.mark.parametrize("case", UNIQUES)
def test_unique_of_a_tensor_that_requires_grad(case, grad, backward):
    """torch: the values require grad (a node with no derivative: backward raises
    NotImplementedError); the inverse and counts never do."""
    def run(L):
        x = L.tensor([[1., 2., 2.], [1., 2., 2.], [0., 5., 5.]], requires_grad=grad != "plain")
        old = OPTIONS.namespace
        OPTIONS.namespace = "torch" if L is tg else old   # (named nodes: torch mode only)
        try:
            if grad == "no_grad":
                with L.no_grad():
                    out = UNIQUES[case](L, x * 1)
            else:
                out = UNIQUES[case](L, x * 1 if grad != "plain" else x)
            first = out[0] if isinstance(out, tuple) else out
            name = first.grad_fn.name() if first.grad_fn is not None else None
        finally:
            OPTIONS.namespace = old
        if backward:
            (first * 2).sum().backward()
        return out, name
    assert_same_outcome(run, message="start")


# ------------------------------------------------------------------------ layouts
LAYOUTS = {
    "expanded rows": lambda L: L.arange(3.).reshape(3, 1).expand(3, 4),
    "expanded columns": lambda L: L.arange(4.).reshape(1, 4).expand(3, 4),
    "permuted": lambda L: L.arange(24.).reshape(2, 3, 4).permute(2, 0, 1),
    "expanded, permuted": lambda L: L.arange(8.).reshape(2, 1, 4).expand(2, 3, 4).permute(
        2, 0, 1),
    "expanded first, permuted": lambda L: L.arange(12.).reshape(1, 3, 4).expand(2, 3, 4)
    .permute(1, 2, 0),
    "size-1 dim, permuted": lambda L: L.arange(8.).reshape(2, 1, 4).permute(1, 2, 0),
    "transposed, sliced": lambda L: L.arange(24.).reshape(4, 6).t()[::2],
    "sliced": lambda L: L.arange(24.).reshape(4, 6)[:, ::2],
    "column": lambda L: L.arange(24.).reshape(4, 3, 2)[:, :1],
    "expanded twice": lambda L: L.arange(4.).reshape(4, 1, 1).expand(4, 3, 2),
}
COPIES = {
    "clone": lambda L, x: x.clone(),
    "clone(contiguous_format)": lambda L, x: x.clone(memory_format=L.contiguous_format),
    "contiguous": lambda L, x: x.contiguous(),
    "empty_like": lambda L, x: L.empty_like(x),
    "zeros_like": lambda L, x: L.zeros_like(x),
    "clone in a graph": lambda L, x: x.requires_grad_().clone(),
}


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_copies_take_torchs_strides(layout, copy):
    """preserve_format: dense non-overlapping strides are kept, others become dense in the
    input's dim order (an expand's 0 strides and size-1 dims placed as torch places them)."""
    def run(L):
        out = COPIES[copy](L, LAYOUTS[layout](L))
        values = out.detach() if copy not in ("empty_like",) else out.shape
        return values if copy == "empty_like" else out.detach(), out.stride()
    assert_same_outcome(run)


# ------------------------------------------------------------------------ multinomial
MULTINOMIALS = [
    ([0.5, 0.5, 0.0, 0.0], 3), ([0.0, 0.0, 0.5, 0.0, 0.5, 0.0], 6), ([1.0] + [0.0] * 7, 4),
    ([0.25] * 4, 4), ([0.0] * 70 + [1.0] * 2, 3), ([[0.0, 1, 0, 1], [1, 0, 0, 0]], 3),
    ([1e-30, 1e-30, 1.0, 0.0], 4), ([[0.0, 0.0, 0.0], [1, 1, 1]], 1), ([-1.0, 1.0], 1),
    ([float("nan"), 1.0], 1), ([float("inf"), 1.0], 1), ([0.5, 0.5], 3),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("replacement", [False, True])
@pytest.mark.parametrize("case", range(len(MULTINOMIALS)))
def test_multinomial_ties_and_zero_probabilities(case, replacement, seed):
    """Same seed, same draws: without replacement torch takes topk of p / Exp(1), so the
    zero-probability categories (all tied at 0) come in topk's own order; and torch's errors
    for rows of zeros, negative, NaN or infinite probabilities."""
    probs, k = MULTINOMIALS[case]

    def run(L):
        L.manual_seed(seed)
        return L.multinomial(L.tensor(probs), k, replacement=replacement), L.rand(2)
    assert_same_outcome(run)


# ------------------------------------------------------------------------ conv layouts
def _conv_output(L):
    L.manual_seed(0)
    conv = L.nn.Conv2d(2, 3, 3)
    return conv(L.arange(100.).reshape(2, 2, 5, 5) / 50).detach()


CONV_VIEWS = {
    "NHWC": lambda y: y.permute(0, 2, 3, 1), "HWNC": lambda y: y.permute(2, 3, 0, 1),
    "transposed H, W": lambda y: y.transpose(2, 3), "CNHW": lambda y: y.permute(1, 0, 2, 3),
    "itself": lambda y: y,
}
FILLS = {
    "normal_": lambda v: v.normal_(), "uniform_": lambda v: v.uniform_(-1, 1),
    "exponential_": lambda v: v.exponential_(), "bernoulli_": lambda v: v.bernoulli_(0.3),
    "cauchy_": lambda v: v.cauchy_(), "random_": lambda v: v.random_(0, 10),
}


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("view", CONV_VIEWS)
def test_random_fills_of_permuted_conv_outputs_follow_torchs_memory_order(view, fill):
    """torch's convolution result is contiguous, and a random fill walks a permuted view of it
    in that memory order: the same numbers land in the same places here, whatever layout the
    convolution kernel chose."""
    def run(L):
        y = _conv_output(L)
        L.manual_seed(1)
        FILLS[fill](CONV_VIEWS[view](y))
        return y, L.rand(2)
    theirs, ours = (outcome(run, lib) for lib in LIBS)
    np.testing.assert_allclose(ours[0].numpy(), theirs[0].numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


# ------------------------------------------------------------------------ overlapping views
AS_STRIDED_READS = {
    "windows": lambda L, x: x.as_strided((3, 3), (1, 1)),
    "windows, offset": lambda L, x: x.as_strided((2, 3), (2, 1), 1),
    "a 0 stride": lambda L, x: x.as_strided((3, 2), (0, 1), 1),
    "windows of windows": lambda L, x: x.as_strided((3, 3), (1, 1)).as_strided((2, 2), (2, 1)),
    "windows of a transpose": lambda L, x: x.reshape(2, 3).t().as_strided((2, 2), (1, 2)),
    "windows of an expand": lambda L, x: x[:2].reshape(2, 1).expand(2, 3).as_strided(
        (3, 2), (1, 1)),
    "diagonal band": lambda L, x: x.as_strided((2, 2), (3, 1)),
}


@pytest.mark.parametrize("case", AS_STRIDED_READS)
def test_gradients_through_overlapping_as_strided_views(case):
    """Reading overlapping windows: each memory place's gradient is the sum over every view
    element that reads it (torch's as_strided backward sums the geometry)."""
    def run(L):
        x = L.arange(6.0, requires_grad=True)
        y = AS_STRIDED_READS[case](L, x * 1)
        w = L.arange(float(y.numel())).reshape(y.shape) + 1
        (y * w).sum().backward()
        return y.detach(), x.grad
    assert_same_outcome(run)


OVERLAPPING_VIEWS = {
    "windows": lambda x: x.as_strided((3, 3), (1, 1)),
    "wide windows": lambda x: x.as_strided((10, 16), (1, 1)),
    "windows, step 2": lambda x: x.as_strided((5, 6), (2, 1), 1),
    "windows of windows": lambda x: x.as_strided((4, 3, 2), (2, 1, 1)),
    "column windows": lambda x: x.as_strided((3, 4), (1, 2)),
    "overlap past the span": lambda x: x.as_strided((4, 4), (3, 2)),
    "tall windows": lambda x: x.as_strided((16, 10), (1, 1)),
    "no overlap": lambda x: x.as_strided((3, 2), (4, 1)),
}
OVERLAPPING_WRITES = {
    "add_": lambda L, v: v.add_(1), "mul_ by a tensor": lambda L, v: v.mul_(
        L.arange(float(v.numel())).reshape(v.shape) % 3 + 1),
    "sub_": lambda L, v: v.sub_(0.5), "div_": lambda L, v: v.div_(2),
    "pow_": lambda L, v: v.pow_(2), "clamp_": lambda L, v: v.clamp_(max=3.5),
    "copy_": lambda L, v: v.copy_(L.arange(float(v.numel())).reshape(v.shape)),
    "fill_": lambda L, v: v.fill_(7), "+=": lambda L, v: v.__iadd__(2),
}


@pytest.mark.parametrize("write", OVERLAPPING_WRITES)
@pytest.mark.parametrize("view", OVERLAPPING_VIEWS)
def test_writes_into_overlapping_as_strided_views(view, write):
    """torch writes such a view element after element, each reading the memory as the earlier
    writes left it (x.as_strided((3, 3), (1, 1)).add_(1) adds 1, 2, 3, 2, 1 to x[0:5]), in
    its TensorIterator's order (the last writer of a place wins a copy_)."""
    def run(L):
        x = L.arange(40.0) / 4 + 1
        OVERLAPPING_WRITES[write](L, OVERLAPPING_VIEWS[view](x))
        return x
    theirs, ours = (outcome(run, lib) for lib in LIBS)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
