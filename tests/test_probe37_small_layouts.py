"""Small layout and fidelity gaps, each case run on torch 2.13 and on tinygrad_sgd alike:

1. ``Tensor.new_empty_strided(size, stride)`` has the strides asked for (as
   ``torch.empty_strided``), this tensor's dtype unless told, and torch's errors;
2. ``.data`` of a view keeps its strides, storage offset and memory (writes reach the
   original; its in-place changes are counted apart, as torch's);
3. ``pickle`` drops ``.grad``, the graph and backward hooks, keeping ``requires_grad``, a
   Parameter's class and attributes a program set; ``copy.deepcopy`` copies ``.grad`` too
   (not a Parameter's), drops hooks, and refuses a non-leaf;
4. ``torch.instance_norm`` (the top level) refuses a 0-D or 1-D input with torch's
   IndexError, and standardises an input with one position per instance to 0 (no check);
5. ``unsqueeze`` and ``x[..., None]``-style indexing give the new size-1 dim torch's stride
   (1 as the last dim, else the size × stride of the dim it goes before).
"""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = {"torch": torch, "ours": tg}


def both(fn):
    """fn(lib) for torch and for us."""
    return fn(torch), fn(tg)


def outcome(fn, lib):
    try:
        return fn(lib)
    except Exception as e:      # (the class and message are compared)
        return type(e).__name__, str(e)


# ------------------------------------------------------------------ 1. new_empty_strided
NEW_EMPTY_STRIDED = [  # (name, size, stride, keywords)
    ("transposed", (2, 3), (1, 2), {}),
    ("gaps", (2, 3), (6, 2), {}),
    ("channels last", (2, 3, 4, 5), (60, 1, 15, 3), {}),
    ("expanded", (2, 3), (0, 1), {}),
    ("0-d", (), (), {}),
    ("empty", (0, 3), (3, 1), {}),
    ("int32", (2, 3), (1, 2), {"dtype": "int32"}),
    ("requires grad", (3, 2), (1, 3), {"requires_grad": True}),
]


@pytest.mark.parametrize("name,size,stride,keywords", NEW_EMPTY_STRIDED,
                         ids=[c[0] for c in NEW_EMPTY_STRIDED])
def test_new_empty_strided_as_torch(name, size, stride, keywords):
    def make(lib):
        kw = {k: getattr(lib, v) if k == "dtype" else v for k, v in keywords.items()}
        x = lib.ones(2, dtype=lib.float64)
        t = x.new_empty_strided(size, stride, **kw)
        return (tuple(t.shape), t.stride(), str(t.dtype).split(".")[-1], t.requires_grad,
                t.untyped_storage().nbytes(), t.stride() == lib.empty_strided(
                    size, stride, **kw).stride())
    ours, theirs = make(tg), make(torch)
    assert ours == theirs


def test_new_empty_strided_length_mismatch_as_torch():
    got = [outcome(lambda L: L.ones(2).new_empty_strided((2, 3), (1,)), L) for L in (torch, tg)]
    assert got[0] == got[1]
    assert got[0][0] == "RuntimeError"


# ------------------------------------------------------------------ 2. .data of a view
DATA_VIEWS = [  # (name, make the base, take the view)
    ("slice", lambda L: L.arange(10.), lambda L, x: x[2:]),
    ("strided slice", lambda L: L.arange(10.), lambda L, x: x[1::3]),
    ("row", lambda L: L.arange(12.).reshape(3, 4), lambda L, x: x[1]),
    ("transposed rows", lambda L: L.arange(12.).reshape(3, 4), lambda L, x: x.t()[1:]),
    ("channels last", lambda L: L.arange(120.).reshape(2, 3, 4, 5).contiguous(
        memory_format=L.channels_last), lambda L, x: x),
    ("channels last slice", lambda L: L.arange(120.).reshape(2, 3, 4, 5).contiguous(
        memory_format=L.channels_last), lambda L, x: x[:, 1:]),
    ("whole tensor", lambda L: L.arange(6.), lambda L, x: x),
    ("empty slice", lambda L: L.arange(10.), lambda L, x: x[3:3]),
    ("int32 view of int64", lambda L: L.arange(6), lambda L, x: x.view(L.int32)[1:]),
]


@pytest.mark.parametrize("name,base,view", DATA_VIEWS, ids=[c[0] for c in DATA_VIEWS])
def test_data_of_a_view_as_torch(name, base, view):
    def run(L):
        x = base(L)
        v = view(L, x)
        d = v.data
        facts = (d.stride(), d.storage_offset(), tuple(d.shape), d.requires_grad)
        d.fill_(-7)             # (reaches x)
        return facts, x.reshape(-1).tolist(), x._version, d._version
    assert run(tg) == run(torch)


def test_data_of_a_view_of_a_leaf_is_cut_off_and_shares_memory():
    def run(L):
        w = L.arange(6., requires_grad=True)
        d = w[2:].data
        d.add_(1)
        return d.requires_grad, d.grad_fn is None, w.tolist(), w._version
    assert run(tg) == run(torch)


# ------------------------------------------------------------------ 3. pickle and deepcopy
def _leaf(L, parameter):
    t = L.nn.Parameter(L.ones(2)) if parameter else L.ones(2, requires_grad=True)
    t.grad = L.ones(2) * 2
    t.note = "kept?"
    return t


def _nonleaf(L):
    t = L.ones(2, requires_grad=True) * 3
    t.retain_grad()
    t.sum().backward()
    return t


def _facts(t):
    return (type(t).__name__, t.requires_grad, t.is_leaf, t.grad_fn is None,
            None if t.grad is None else t.grad.tolist(), getattr(t, "note", None),
            t.retains_grad, t.tolist())


COPIES = [  # (name, make, copy)
    ("pickle tensor", lambda L: _leaf(L, False), lambda t: pickle.loads(pickle.dumps(t))),
    ("pickle parameter", lambda L: _leaf(L, True), lambda t: pickle.loads(pickle.dumps(t))),
    ("pickle non-leaf", _nonleaf, lambda t: pickle.loads(pickle.dumps(t))),
    ("deepcopy tensor", lambda L: _leaf(L, False), copy.deepcopy),
    ("deepcopy parameter", lambda L: _leaf(L, True), copy.deepcopy),
    ("deepcopy non-leaf", _nonleaf, copy.deepcopy),
]


@pytest.mark.parametrize("name,make,copier", COPIES, ids=[c[0] for c in COPIES])
def test_pickle_and_deepcopy_keep_what_torch_keeps(name, make, copier):
    got = [outcome(lambda L: _facts(copier(make(L))), L) for L in (torch, tg)]
    assert got[0] == got[1]


@pytest.mark.parametrize("copier", [lambda t: pickle.loads(pickle.dumps(t)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_copies_drop_backward_hooks(copier):
    def run(L):
        t = L.ones(2, requires_grad=True)
        t.register_hook(_triple)
        c = copier(t)
        c.sum().backward()
        return c.grad.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # (torch warns that the hook is not serialized)
        theirs = run(torch)
    assert run(tg) == theirs == [1.0, 1.0]


def _triple(g):
    return g * 3


# ------------------------------------------------------------------ 4. torch.instance_norm
INSTANCE_NORM = [  # (name, shape)
    ("0-d", ()),
    ("1-d", (3,)),
    ("2-d: one position each", (2, 3)),
    ("3-d, one position each", (2, 3, 1)),
    ("3-d", (2, 3, 4)),
]


@pytest.mark.parametrize("name,shape", INSTANCE_NORM, ids=[c[0] for c in INSTANCE_NORM])
@pytest.mark.parametrize("stats", [False, True], ids=["no stats", "running stats"])
def test_top_level_instance_norm_ranks_as_torch(name, shape, stats):
    values = np.random.default_rng(0).standard_normal(shape)

    def run(L):
        x = L.tensor(values, dtype=L.float64)
        c = shape[1] if len(shape) > 1 else 1
        rm, rv = (L.full((c,), 0.5, dtype=L.float64), L.full((c,), 2.0, dtype=L.float64)) \
            if stats else (None, None)
        out = L.instance_norm(x, L.ones(c, dtype=L.float64), L.zeros(c, dtype=L.float64),
                              rm, rv, True, 0.1, 1e-5, False)
        return (out.detach().numpy(), None if rm is None else rm.numpy(),
                None if rv is None else rv.numpy())
    got = [outcome(run, L) for L in (torch, tg)]
    if isinstance(got[0][0], str):          # an error: the same class and message
        assert got[0] == got[1]
        return
    for theirs, ours in zip(*got):
        if theirs is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6, equal_nan=True)


def test_functional_instance_norm_still_checks_the_spatial_size():
    for L, F in ((torch, torch.nn.functional), (tg, tg.nn.functional)):
        with pytest.raises(ValueError, match="Expected more than 1 spatial element"):
            F.instance_norm(L.ones(2, 3, 1))


# ------------------------------------------------------------------ 5. unsqueeze, None
SOURCES = {  # name -> make the tensor
    "contiguous": lambda L: L.ones(2, 3),
    "transposed": lambda L: L.ones(2, 3).t(),
    "gaps": lambda L: L.ones(3, 4)[:, ::2],
    "channels last": lambda L: L.ones(2, 3, 4, 5).contiguous(memory_format=L.channels_last),
    "permuted 3-d": lambda L: L.ones(2, 3, 4).permute(2, 0, 1),
    "size-1 dims": lambda L: L.ones(3, 1, 4),
    "1-d": lambda L: L.ones(4),
    "0-d": lambda L: L.ones(()),
    "row of a transposed": lambda L: L.ones(4, 3).t()[1],
}


@pytest.mark.parametrize("source", list(SOURCES))
def test_unsqueeze_strides_as_torch(source):
    def run(L):
        x = SOURCES[source](L)
        return [x.unsqueeze(d).stride() for d in range(-x.ndim - 1, x.ndim + 1)]
    assert run(tg) == run(torch)


INDICES = [
    ("..., None", lambda x: x[..., None]),
    (":, None", lambda x: x[:, None] if x.ndim else x[None]),
    ("None", lambda x: x[None]),
    ("None, ..., None", lambda x: x[None, ..., None]),
    ("None, None", lambda x: x[None, None]),
    ("0, None", lambda x: x[0, None] if x.ndim else x[None]),
    ("None, 1:", lambda x: x[None, 1:] if x.ndim else x[None]),
    ("None, ::2, None", lambda x: x[None, ::2, None] if x.ndim else x[None]),
]


@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("name,index", INDICES, ids=[c[0] for c in INDICES])
def test_none_index_strides_as_torch(source, name, index):
    def run(L):
        x = SOURCES[source](L)
        y = index(x)
        return y.stride(), tuple(y.shape), y.storage_offset()
    assert run(tg) == run(torch)


def test_unsqueezed_views_still_write_into_their_base_and_take_gradients():
    def run(L):
        x = L.arange(6.).reshape(2, 3).t().contiguous().t()    # (a transposed leaf)
        x.requires_grad_(True)
        y = x.unsqueeze(-1)
        z = x[..., None]
        (y * L.arange(6.).reshape(2, 3, 1)).sum().backward()
        base = L.zeros(2, 3)
        base.t().unsqueeze(-1).add_(1)
        base.t()[:, None].mul_(5)
        return y.tolist(), z.tolist(), x.grad.tolist(), base.tolist()
    assert run(tg) == run(torch)
