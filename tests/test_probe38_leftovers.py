"""Leftovers of probe round 38, each case run on torch 2.13 and on tinygrad_sgd: the same
values, strides and storage offsets, the same warnings, or the same exception class (ours may
be a subclass, as ShapeError of RuntimeError) and torch's message.

1. the strides of empty tensors: torch's for each op (``empty(3, 0).t()``: (1, 1), permuted;
   an empty tensor is contiguous, so ``contiguous()`` keeps them and ``clone``/``empty_like``
   copy them; reshapes, unsqueeze, expand, squeeze, dtype conversions and pickle as torch's);
2. a negative stride in ``empty_strided``/``new_empty_strided`` is torch's storage-size
   overflow error (none for a dim of one element or an empty tensor, where it means the
   contiguous stride), in ``as_strided`` its "Negative strides" error;
3. pickling (and ``copy.copy``, ``torch.save``) of a tensor with backward hooks warns, as
   torch, for each hook not marked ``unserializable_hook`` (not for a Parameter, nor deepcopy);
4. ``torch.utils.swap_tensors`` refuses a tensor a live graph saved (torch's use count);
5. pooling's errors for a wrong kernel_size, stride, padding or dilation, a padding over half
   the kernel and an output of no element, in torch's words and order (avg_pool2d of 5 dims
   refuses a zero stride before its rank);
6. ``torch.jit.Future``: ``then``, ``add_done_callback``, ``set_result``, ``set_exception``,
   ``done``, ``value``, ``wait``; ``fork`` gives a completed future.
"""
import contextlib
import copy
import io
import pickle
import re
import threading
import warnings

import pytest
import torch

import tinygrad_sgd as tg
from torch_compare import same_as_torch

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.wait` is deprecated")


def same(fn, message="equal"):
    """torch's outcome and ours alike (:func:`torch_compare.same_as_torch`)."""
    same_as_torch(fn, tg, message)


def geometry(t):
    return tuple(t.shape), t.stride(), t.storage_offset()


# ----------------------------------------------------------- 1. the strides of empty tensors
def _t(L):
    return L.empty(3, 0).t()                       # (0, 3), strides (1, 1)


def _p(L):
    return L.empty(2, 0, 3).permute(2, 0, 1)       # (3, 2, 0), strides (1, 3, 3)


EMPTY_STRIDES = {
    "empty(0, 3)": lambda L: L.empty(0, 3),
    "empty(3, 0)": lambda L: L.empty(3, 0),
    "zeros(2, 0, 3)": lambda L: L.zeros(2, 0, 3),
    "tensor([[]])": lambda L: L.tensor([[]]),
    "reshape(0, 6)": lambda L: L.empty(2, 0, 3).reshape(0, 6),
    "reshape(6, 0)": lambda L: L.empty(2, 0, 3).reshape(6, 0),
    "reshape(3, 0, 2)": lambda L: L.empty(2, 0, 3).reshape(3, 0, 2),
    "view(-1, 3)": lambda L: L.empty(2, 0, 3).view(-1, 3),
    "flatten": lambda L: L.empty(2, 0, 3).flatten(),
    "t()": _t,
    "t().contiguous()": lambda L: _t(L).contiguous(),
    "t().clone()": lambda L: _t(L).clone(),
    "t().clone(contiguous_format)": lambda L: _t(L).clone(memory_format=L.contiguous_format),
    "t().reshape(0, 3) (same shape)": lambda L: _t(L).reshape(0, 3),
    "t().reshape(3, 0)": lambda L: _t(L).reshape(3, 0),
    "t().transpose(0, 1)": lambda L: _t(L).transpose(0, 1),
    "empty(4, 0).mT": lambda L: L.empty(4, 0).mT,
    "empty(4, 0).T.contiguous()": lambda L: L.empty(4, 0).T.contiguous(),
    "transpose(0, 2).clone()": lambda L: L.empty(2, 0, 3).transpose(0, 2).clone(),
    "permute": _p,
    "permute.clone()": lambda L: _p(L).clone(),
    "permute.contiguous()": lambda L: _p(L).contiguous(),
    "permute.reshape(3, 2, 0)": lambda L: _p(L).reshape(3, 2, 0),
    "permute.flatten(0, 1)": lambda L: _p(L).flatten(0, 1),
    "permute.squeeze()": lambda L: _p(L).squeeze(),
    "permute[1:2]": lambda L: _p(L)[1:2],
    "permute[1]": lambda L: _p(L)[1],
    "permute[..., None]": lambda L: _p(L)[..., None],
    "movedim(0, 2)": lambda L: L.empty(2, 0, 3).movedim(0, 2),
    "empty_like(t())": lambda L: L.empty_like(_t(L)),
    "zeros_like(t())": lambda L: L.zeros_like(_t(L)),
    "full_like(t())": lambda L: L.full_like(_t(L), 1.),
    "rand_like(t())": lambda L: L.rand_like(_t(L)),
    "randn_like(permute)": lambda L: L.randn_like(_p(L)),
    "ones_like(t(), contiguous_format)":
        lambda L: L.ones_like(_t(L), memory_format=L.contiguous_format),
    "empty_like(permute)": lambda L: L.empty_like(_p(L)),
    "empty_like(empty(0, 3))": lambda L: L.empty_like(L.empty(0, 3)),
    "empty_strided((0, 3), (5, 7))": lambda L: L.empty_strided((0, 3), (5, 7)),
    "empty_strided((0, 3), (5, 7)).clone()": lambda L: L.empty_strided((0, 3), (5, 7)).clone(),
    "empty_like(empty_strided((0, 3), (5, 7)))":
        lambda L: L.empty_like(L.empty_strided((0, 3), (5, 7))),
    "empty_strided((0, 3), (5, 7)).t()": lambda L: L.empty_strided((0, 3), (5, 7)).t(),
    "t().unsqueeze(0)": lambda L: _t(L).unsqueeze(0),
    "t().unsqueeze(2)": lambda L: _t(L).unsqueeze(2),
    "t()[None]": lambda L: _t(L)[None],
    "t()[:, None]": lambda L: _t(L)[:, None],
    "t().unsqueeze(0).squeeze(0)": lambda L: _t(L).unsqueeze(0).squeeze(0),
    "empty(0, 3).unsqueeze(0)": lambda L: L.empty(0, 3).unsqueeze(0),
    "empty(0, 3)[None]": lambda L: L.empty(0, 3)[None],
    "arange(0.).unsqueeze(0)": lambda L: L.arange(0.).unsqueeze(0),
    "empty(0, 3).expand(2, 0, 3)": lambda L: L.empty(0, 3).expand(2, 0, 3),
    "t().expand(2, 0, 3)": lambda L: _t(L).expand(2, 0, 3),
    "t().expand(1, 0, 3)": lambda L: _t(L).expand(1, 0, 3),
    "empty(0).expand(3, 0)": lambda L: L.empty(0).expand(3, 0),
    "ones(3, 1).expand(3, 0)": lambda L: L.ones(3, 1).expand(3, 0),
    "t().detach()": lambda L: _t(L).detach(),
    "t().double()": lambda L: _t(L).double(),
    "t().to(int64)": lambda L: _t(L).to(L.int64),
    "permute.double()": lambda L: _p(L).double(),
    "t(), requires grad, double()": lambda L: _t(L).requires_grad_().double(),
    "t().split(1, 1)[2]": lambda L: _t(L).split(1, 1)[2],
    "t().unbind(1)[0]": lambda L: _t(L).unbind(1)[0],
    "t().unflatten(1, (3, 1))": lambda L: _t(L).unflatten(1, (3, 1)),
    "empty(2, 0, 3, 4, channels_last)":
        lambda L: L.empty(2, 0, 3, 4, memory_format=L.channels_last),
    "empty(2, 3, 0, 4, channels_last)":
        lambda L: L.empty(2, 3, 0, 4, memory_format=L.channels_last),
    "empty(2, 0, 3, 4, 5, channels_last_3d)":
        lambda L: L.empty(2, 0, 3, 4, 5, memory_format=L.channels_last_3d),
    "empty(2, 0, 3, 4).clone(channels_last)":
        lambda L: L.empty(2, 0, 3, 4).clone(memory_format=L.channels_last),
    "empty(2, 3, 0, 4).contiguous(channels_last)":
        lambda L: L.empty(2, 3, 0, 4).contiguous(memory_format=L.channels_last),
    "empty_like(empty(2, 0, 3, 4), channels_last)":
        lambda L: L.empty_like(L.empty(2, 0, 3, 4), memory_format=L.channels_last),
    "pickle t()": lambda L: pickle.loads(pickle.dumps(_t(L))),
    "pickle arange(10.)[2:2]": lambda L: pickle.loads(pickle.dumps(L.arange(10.)[2:2])),
    "pickle view(2, 5)[:, 2:2]":
        lambda L: pickle.loads(pickle.dumps(L.arange(10.).view(2, 5)[:, 2:2])),
    "pickle empty_strided((0, 3), (5, 7))":
        lambda L: pickle.loads(pickle.dumps(L.empty_strided((0, 3), (5, 7)))),
    "deepcopy t()": lambda L: copy.deepcopy(_t(L)),
    "deepcopy arange(10.)[2:2]": lambda L: copy.deepcopy(L.arange(10.)[2:2]),
    "grad of t().clone()": lambda L: (lambda a: (a.t().clone().sum().backward(), a.grad)[1])(
        L.empty(3, 0, requires_grad=True)),
}


@pytest.mark.parametrize("name", EMPTY_STRIDES)
def test_the_strides_of_an_empty_tensor(name):
    same(lambda L: geometry(EMPTY_STRIDES[name](L)))


@pytest.mark.parametrize("name, check", [
    ("t() is contiguous", lambda L: _t(L).is_contiguous()),
    ("contiguous() of t() is itself", lambda L: (lambda x: x.contiguous() is x)(_t(L))),
    ("contiguous() of permute is itself", lambda L: (lambda x: x.contiguous() is x)(_p(L))),
    ("an empty channels-last tensor is contiguous", lambda L: L.empty(
        2, 0, 3, 4, memory_format=L.channels_last).is_contiguous()),
    ("... and channels-last contiguous", lambda L: L.empty(
        2, 0, 3, 4, memory_format=L.channels_last).is_contiguous(memory_format=L.channels_last)),
])
def test_an_empty_tensor_is_contiguous(name, check):
    same(check)


# ----------------------------------------------------------- 2. negative strides
NEGATIVE_STRIDES = {
    "empty_strided((2, 3), (-1, 1))": lambda L: L.empty_strided((2, 3), (-1, 1)),
    "empty_strided((2, 3), (3, -1))": lambda L: L.empty_strided((2, 3), (3, -1)),
    "empty_strided((2, 3), (-1, -1))": lambda L: L.empty_strided((2, 3), (-1, -1)),
    "empty_strided((2, 3), (-1, 0))": lambda L: L.empty_strided((2, 3), (-1, 0)),
    "empty_strided((2,), (-2,))": lambda L: L.empty_strided((2,), (-2,)),
    "empty_strided((2,), (-1,))": lambda L: L.empty_strided((2,), (-1,)),
    "empty_strided, requires grad":
        lambda L: L.empty_strided((2, 3), (-1, 1), requires_grad=True),
    "empty_strided((1, 3), (-5, -7))": lambda L: L.empty_strided((1, 3), (-5, -7)),
    # (a dim of one element, or no element at all: no error; the contiguous stride there)
    "empty_strided((1,), (-2,))": lambda L: L.empty_strided((1,), (-2,)),
    "empty_strided((1, 3), (-5, 1))": lambda L: L.empty_strided((1, 3), (-5, 1)),
    "empty_strided((3, 1), (1, -4))": lambda L: L.empty_strided((3, 1), (1, -4)),
    "empty_strided((1, 1), (-1, -1))": lambda L: L.empty_strided((1, 1), (-1, -1)),
    "empty_strided((0, 3), (-1, 1))": lambda L: L.empty_strided((0, 3), (-1, 1)),
    "empty_strided((2, 0), (-1, 1))": lambda L: L.empty_strided((2, 0), (-1, 1)),
    "empty_strided((0, 2), (1, -1))": lambda L: L.empty_strided((0, 2), (1, -1)),
    "empty_strided((2, 2, 0), (-1, -1, -1))": lambda L: L.empty_strided((2, 2, 0), (-1, -1, -1)),
    "empty_strided((0,), (-3,))": lambda L: L.empty_strided((0,), (-3,)),
    # (strides too large for any storage, and the checks before the strides')
    "empty_strided((2,), (2 ** 62,))": lambda L: L.empty_strided((2,), (2 ** 62,)),
    "empty_strided((2,), (2 ** 61,))": lambda L: L.empty_strided((2,), (2 ** 61,)),
    "empty_strided((-1,), (1,))": lambda L: L.empty_strided((-1,), (1,)),
    "empty_strided((2, -1), (1, -1))": lambda L: L.empty_strided((2, -1), (1, -1)),
    "empty_strided((2, 3), (-1,))": lambda L: L.empty_strided((2, 3), (-1,)),
    "new_empty_strided((2, 3), (-1, 1))": lambda L: L.ones(2).new_empty_strided((2, 3), (-1, 1)),
    "new_empty_strided((2,), (-3,))": lambda L: L.ones(2).new_empty_strided((2,), (-3,)),
    "new_empty_strided((1, 3), (-5, 1))": lambda L: L.ones(2).new_empty_strided((1, 3), (-5, 1)),
    "new_empty_strided((-2,), (1,))": lambda L: L.ones(2).new_empty_strided((-2,), (1,)),
    "as_strided((2, 3), (-1, 1))": lambda L: L.arange(10.).as_strided((2, 3), (-1, 1)),
    "as_strided((2,), (-1,), 5)": lambda L: L.as_strided(L.arange(10.), (2,), (-1,), 5),
    "as_strided((0,), (-1,))": lambda L: L.arange(10.).as_strided((0,), (-1,)),
    "as_strided((1,), (-1,))": lambda L: L.arange(10.).as_strided((1,), (-1,)),
    "as_strided_((2,), (-1,))": lambda L: L.arange(10.).as_strided_((2,), (-1,)),
    "as_strided_scatter": lambda L: L.as_strided_scatter(L.arange(10.), L.ones(2), (2,), (-1,),
                                                         5),
}


@pytest.mark.parametrize("name", NEGATIVE_STRIDES)
def test_negative_strides(name):
    same(lambda L: (tuple(NEGATIVE_STRIDES[name](L).shape),
                    NEGATIVE_STRIDES[name](L).stride()))


# ----------------------------------------------------------- 3. pickling a tensor with hooks
def _hook(g):
    return g


def _hooked_leaf(L):
    t = L.ones(2, requires_grad=True)
    t.register_hook(_hook)
    return t


def _hooked_result(L):
    y = L.ones(2, requires_grad=True) * 2
    y.register_hook(_hook)
    return y


def _two_and_a_marked_one(L):
    t = _hooked_leaf(L)
    t.register_hook(L.utils.hooks.unserializable_hook(lambda g: g))
    t.register_hook(_hook)
    return t


def _hooked_parameter(L):
    p = L.nn.Parameter(L.ones(2))
    p.register_hook(_hook)
    return p


def _hooked_module(L):
    m = L.nn.Linear(2, 2)
    m.weight.register_hook(_hook)
    return m


def _retained(L):
    y = L.ones(2, requires_grad=True) * 2
    y.retain_grad()
    return y


def _node_prehook(L):
    y = L.ones(2, requires_grad=True) * 2
    y.grad_fn.register_prehook(lambda grads: None)
    return y


def _removed(L):
    t = L.ones(2, requires_grad=True)
    t.register_hook(_hook).remove()
    return t


def _save(L, obj):
    L.save(obj, io.BytesIO())


HOOKED = {
    "pickle a leaf": lambda L: pickle.dumps(_hooked_leaf(L)),
    "pickle a result": lambda L: pickle.dumps(_hooked_result(L)),
    "pickle two hooks and a marked one": lambda L: pickle.dumps(_two_and_a_marked_one(L)),
    "pickle a list of two": lambda L: pickle.dumps([_hooked_leaf(L), _hooked_leaf(L)]),
    "copy.copy": lambda L: copy.copy(_hooked_leaf(L)),
    "torch.save": lambda L: _save(L, _hooked_leaf(L)),
    "deepcopy (no warning)": lambda L: copy.deepcopy(_hooked_leaf(L)),
    "a Parameter (no warning)": lambda L: pickle.dumps(_hooked_parameter(L)),
    "a module (no warning)": lambda L: pickle.dumps(_hooked_module(L)),
    "retain_grad (no warning)": lambda L: pickle.dumps(_retained(L)),
    "a node's pre-hook (no warning)": lambda L: pickle.dumps(_node_prehook(L)),
    "a removed hook (no warning)": lambda L: pickle.dumps(_removed(L)),
}


def _warned(fn, L):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(L)
    return [(w.category, str(w.message).replace(repr(_hook), "<hook>")
             .replace(L.__name__ + ".utils", "torch.utils")) for w in caught
            if "deprecated" not in str(w.message)]


@pytest.mark.parametrize("name", HOOKED)
def test_pickling_a_tensor_with_hooks_warns_as_torch(name):
    expected = _warned(HOOKED[name], torch)
    assert _warned(HOOKED[name], tg) == expected
    assert all(category is UserWarning for category, _ in expected)


def test_the_unpickled_tensor_has_no_hooks():
    def run(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = pickle.loads(pickle.dumps(_two_and_a_marked_one(L)))
        (t * 3).sum().backward()
        return t.grad.tolist()
    same(run)


# ----------------------------------------------------------- 4. swap_tensors and live graphs
def _swap(L, make):
    """make(L) -> (t1, t2, keep): swap t1 and t2 while keep (the graph's output) lives."""
    t1, t2, keep = make(L)
    L.utils.swap_tensors(t1, t2)
    return t1.tolist(), tuple(t2.shape)


def _ab(L, b_grad=True):
    return L.ones(2, requires_grad=True), L.full((2,), 3., requires_grad=b_grad)


SWAPS = {
    "a saved by a * b": lambda L: (lambda a, b: (a, L.zeros(2), (a * b).sum()))(*_ab(L)),
    "... as t2": lambda L: (lambda a, b: (L.zeros(2), a, (a * b).sum()))(*_ab(L)),
    "a, when b needs no grad (not saved)":
        lambda L: (lambda a, b: (a, L.zeros(2), (a * b).sum()))(*_ab(L, False)),
    "b, needing no grad, saved":
        lambda L: (lambda a, b: (b, L.zeros(2), (a * b).sum()))(*_ab(L, False)),
    "a * a (saved twice)": lambda L: (lambda a: (a, L.zeros(2), (a * a).sum()))(_ab(L)[0]),
    "a ** 2": lambda L: (lambda a: (a, L.zeros(2), (a ** 2).sum()))(_ab(L)[0]),
    "a + 1 (nothing saved)": lambda L: (lambda a: (a, L.zeros(2), (a + 1).sum()))(_ab(L)[0]),
    "an intermediate h saved by h * h":
        lambda L: (lambda h: (h, L.zeros(2), (h * h).sum()))(_ab(L)[0] * 2),
    "an intermediate h saved by sin":
        lambda L: (lambda h: (h, L.zeros(2), h.sin()))(_ab(L)[0] * 2),
    "an output saved by exp": lambda L: (lambda y: (y, L.zeros(2), y))(_ab(L)[0].exp()),
    "an output saved by sigmoid": lambda L: (lambda y: (y, L.zeros(2), y.sum()))(
        _ab(L)[0].sigmoid()),
    "after backward": lambda L: (lambda a, b: (a, L.zeros(2), (a * b).sum().backward()))(
        *_ab(L)),
    "after backward(retain_graph=True)": lambda L: (lambda a, b: (
        a, L.zeros(2), (lambda y: (y.backward(retain_graph=True), y))((a * b).sum())))(*_ab(L)),
    "the graph deleted": lambda L: (lambda a, b: (a, L.zeros(2), (a * b).sum() and None))(
        *_ab(L)),
    "matmul: a constant matrix saved": lambda L: (lambda a, w: (w, L.zeros(2, 2), a @ w))(
        L.ones(2, 2, requires_grad=True), L.ones(2, 2)),
    "matmul: the weight alone needs grad": lambda L: (lambda a, w: (w, L.zeros(2, 2), a @ w))(
        L.ones(2, 2), L.ones(2, 2, requires_grad=True)),
    "a linear layer's input": lambda L: (lambda m, x: (x, L.zeros(1, 2), m(x).sum()))(
        L.nn.Linear(2, 2), L.ones(1, 2, requires_grad=True)),
    "a linear layer's weight, the input needing no grad": lambda L: (lambda m: (
        m.weight, L.zeros(2, 2, requires_grad=True), m(L.ones(1, 2)).sum()))(L.nn.Linear(2, 2)),
}


@pytest.mark.parametrize("name", SWAPS)
def test_swap_tensors_and_live_graphs(name):
    same(lambda L: _swap(L, SWAPS[name]))


@pytest.mark.parametrize("double_after", ["a forward in grad mode", "a no_grad forward"])
def test_module_conversion_with_swapping_after_a_forward(double_after):
    def run(L):
        L.__future__.set_swap_module_params_on_conversion(True)
        try:
            m = L.nn.Linear(2, 2)
            with contextlib.nullcontext() if double_after[2] == "f" else L.no_grad():
                y = m(L.ones(1, 2))
            m.double()
            return str(m.weight.dtype).split(".")[-1], y.dtype == L.float32
        finally:
            L.__future__.set_swap_module_params_on_conversion(False)
    same(run)



def test_module_conversion_refuses_a_weight_a_live_graph_saved():
    """An input that needs a gradient makes the linear layer save its weight: torch's
    use count 3, refused as "_apply(): Couldn't swap Linear.weight"."""
    def run(L):
        L.__future__.set_swap_module_params_on_conversion(True)
        try:
            m = L.nn.Linear(2, 2)
            y = m(L.ones(1, 2, requires_grad=True))       # noqa: F841  (the graph lives)
            m.double()
        finally:
            L.__future__.set_swap_module_params_on_conversion(False)
    same(run)


def test_module_conversion_scans_the_objects_once(monkeypatch):
    """Module.to with swapping looks for graph references with one scan of gc's objects for
    all its parameters and gradients (a scan reads every object of the program), not one a
    swap."""
    import gc as gc_module
    from tinygrad_sgd.utils import swap as swap_module
    scans = []
    real = gc_module.get_referrers

    def counting(*objects):
        scans.append(len(objects))
        return real(*objects)
    monkeypatch.setattr(swap_module.gc, "get_referrers", counting)
    m = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.Linear(3, 1))
    m(tg.ones(1, 2)).sum().backward()                # (grads to swap too)
    tg.__future__.set_swap_module_params_on_conversion(True)
    try:
        m.double()
    finally:
        tg.__future__.set_swap_module_params_on_conversion(False)
    assert m[0].weight.dtype == tg.float64 and m[0].weight.grad.dtype == tg.float64
    assert len(scans) <= 2 and scans[0] == 8          # 4 parameters and their 4 gradients

def test_a_swapped_leaf_refuses_backward_through_the_old_graph():
    def run(L):
        a, b = _ab(L, False)
        y = (a * b).sum()
        L.utils.swap_tensors(a, L.zeros(2, requires_grad=True))
        y.backward()
    same(run)


# ----------------------------------------------------------- 5. pooling's window errors
SHAPES = {1: (1, 2, 6), 2: (1, 2, 6, 6), 3: (1, 2, 6, 6, 6)}
WINDOWS = {   # (name: keywords), n: the number of spatial dims
    "kernel 0": lambda n: {"kernel_size": 0},
    "kernel -1": lambda n: {"kernel_size": -1},
    "kernel 0 in a tuple": lambda n: {"kernel_size": (0,) * n},
    "kernel of n + 1": lambda n: {"kernel_size": (2,) * (n + 1)},
    "kernel ()": lambda n: {"kernel_size": ()},
    "kernel larger than the input": lambda n: {"kernel_size": 7},
    "kernel 7, stride 1": lambda n: {"kernel_size": 7, "stride": 1},
    "kernel 8, padding 1": lambda n: {"kernel_size": 8, "padding": 1},
    "kernel 7, padding 3": lambda n: {"kernel_size": 7, "padding": 3},
    "kernel 7, ceil_mode": lambda n: {"kernel_size": 7, "ceil_mode": True},
    "stride 0": lambda n: {"kernel_size": 2, "stride": 0},
    "stride -1": lambda n: {"kernel_size": 2, "stride": -1},
    "stride of n + 1": lambda n: {"kernel_size": 2, "stride": (1,) * (n + 1)},
    "stride ()": lambda n: {"kernel_size": 2, "stride": ()},
    "padding -1": lambda n: {"kernel_size": 2, "padding": -1},
    "padding 2, kernel 3": lambda n: {"kernel_size": 3, "padding": 2},
    "padding 3, kernel 2": lambda n: {"kernel_size": 2, "padding": 3},
    "padding 2, kernel 4": lambda n: {"kernel_size": 4, "padding": 2},
    "padding of n + 1": lambda n: {"kernel_size": 2, "padding": (1,) * (n + 1)},
    "padding 2, kernel 3, count_include_pad=False":
        lambda n: {"kernel_size": 3, "padding": 2, "count_include_pad": False},
}
MAX_WINDOWS = {
    "dilation 0": lambda n: {"kernel_size": 2, "dilation": 0},
    "dilation -1": lambda n: {"kernel_size": 2, "dilation": -1},
    "dilation of n + 1": lambda n: {"kernel_size": 2, "dilation": (1,) * (n + 1)},
    "dilation 4, kernel 3": lambda n: {"kernel_size": 3, "dilation": 4},
    "dilation 3, kernel 3, padding 2": lambda n: {"kernel_size": 3, "dilation": 3, "padding": 2},
    "dilation 2, kernel 2, padding 1": lambda n: {"kernel_size": 2, "dilation": 2, "padding": 1},
}
POOL_CASES = [(f"{kind}_pool{n}d", n, name, ri)
              for kind in ("max", "avg") for n in (1, 2, 3)
              for name in list(WINDOWS) + (list(MAX_WINDOWS) if kind == "max" else [])
              for ri in ((False, True) if kind == "max" else (False,))
              if not (kind == "max" and "count_include_pad" in name)]


@pytest.mark.parametrize("op, n, name, return_indices", POOL_CASES)
def test_pooling_window_errors(op, n, name, return_indices):
    kwargs = {**WINDOWS, **MAX_WINDOWS}[name](n)
    if return_indices:
        kwargs["return_indices"] = True

    def pool(L):
        out = getattr(L.nn.functional, op)(L.ones(SHAPES[n]), **kwargs)
        return tuple((out[0] if return_indices else out).shape)
    same(pool)


@pytest.mark.parametrize("op, n", [("max_pool1d", 1), ("max_pool2d", 2), ("max_pool3d", 3),
                                   ("avg_pool1d", 1), ("avg_pool2d", 2), ("avg_pool3d", 3)])
@pytest.mark.parametrize("kwargs", [{"kernel_size": 7}, {"kernel_size": 3, "padding": 2}],
                         ids=["kernel 7", "padding 2, kernel 3"])
def test_pooling_window_errors_unbatched(op, n, kwargs):
    same(lambda L: getattr(L.nn.functional, op)(L.ones(SHAPES[n][1:]), **kwargs).shape)


FIVE_DIMS = {
    "stride 0": {"stride": 0},
    "stride -1": {"stride": -1},
    "kernel 0": {"kernel_size": 0},
    "padding 2": {"padding": 2},
    "padding -1": {"padding": -1},
    "kernel of 3": {"kernel_size": (1, 2, 3)},
    "stride of 3": {"stride": (1, 2, 3)},
    "kernel 7 (the rank, then)": {"kernel_size": 7},
    "a good window (the rank)": {},
}


@pytest.mark.parametrize("name", FIVE_DIMS)
def test_avg_pool2d_of_five_dims_checks_the_window_first(name):
    kwargs = {"kernel_size": 2, **FIVE_DIMS[name]}
    same(lambda L: L.nn.functional.avg_pool2d(L.ones(1, 1, 1, 4, 4), **kwargs).shape)


@pytest.mark.parametrize("name, call", [
    ("MaxPool2d(0)", lambda L: L.nn.MaxPool2d(0)(L.ones(1, 1, 4, 4))),
    ("AvgPool2d(2, padding=2)", lambda L: L.nn.AvgPool2d(2, padding=2)(L.ones(1, 1, 4, 4))),
    ("AvgPool1d(7)", lambda L: L.nn.AvgPool1d(7)(L.ones(1, 1, 4))),
    ("MaxPool3d(2, dilation=0)", lambda L: L.nn.MaxPool3d(2, dilation=0)(L.ones(1, 1, 4, 4, 4))),
    ("MaxPool1d(3, padding=2)", lambda L: L.nn.MaxPool1d(3, padding=2)(L.ones(1, 1, 8))),
    ("max_pool2d_with_indices kernel 0",
     lambda L: L.nn.functional.max_pool2d_with_indices(L.ones(1, 1, 4, 4), 0)),
    ("max_pool1d_with_indices kernel 0",
     lambda L: L.nn.functional.max_pool1d_with_indices(L.ones(1, 1, 4), 0)),
    ("max_pool2d of int64, stride 0",
     lambda L: L.nn.functional.max_pool2d(L.ones(1, 1, 4, 4, dtype=L.int64), 2, stride=0)),
    ("avg_pool2d of int64, kernel 7",
     lambda L: L.nn.functional.avg_pool2d(L.ones(1, 1, 4, 4, dtype=L.int64), 7)),
    ("lp_pool2d, padding over half", lambda L: L.nn.functional.lp_pool2d(
        L.ones(1, 1, 4, 4), 2., 7)),
])
def test_pooling_window_errors_through_other_doors(name, call):
    same(lambda L: call(L).shape if not isinstance(call(L), tuple) else call(L)[0].shape)


@pytest.mark.parametrize("op, shape", [("avg_pool2d", (1, 2, 6, 6)),
                                       ("avg_pool3d", (1, 2, 6, 6, 6)),
                                       ("avg_pool2d", (1, 1, 1, 4, 4))])
def test_a_zero_divisor_in_torchs_words(op, shape):
    """(ours names the op first)"""
    same(lambda L: getattr(L.nn.functional, op)(L.ones(shape), 2, divisor_override=0),
         message="suffix")


# ----------------------------------------------------------- 6. torch.jit.Future
def _normal(text):
    """A message with the library's name, the class's home and addresses made alike."""
    text = re.sub(r"0x[0-9a-f]+", "0x", str(text)).replace("tinygrad_sgd", "torch")
    return text.split("\n\nAt:\n")[0]          # (torch lists the Python stack after this)


def _forked(L):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # (fork is deprecated)
        return L.jit.fork(lambda x: x + 1, 1)


def _completed(L, value=5):
    future = L.jit.Future()
    future.set_result(value)
    return future


def _failed(L):
    future = L.jit.Future()
    future.set_exception(ValueError("bad"))
    return future


def _order(L):
    future, seen = L.jit.Future(), []
    future.then(lambda f: seen.append(("then", f.value())))
    future.add_done_callback(lambda f: seen.append(("callback", f.value())))
    seen.append(("before", future.done()))
    future.set_result(5)
    return seen


FUTURES = {
    "fork: done": lambda L: _forked(L).done(),
    "fork: wait": lambda L: _forked(L).wait(),
    "fork: value": lambda L: _forked(L).value(),
    "fork: its class's name": lambda L: type(_forked(L)).__name__,
    "fork: not a jit.Future": lambda L: isinstance(_forked(L), L.jit.Future),
    "fork: set_result again": lambda L: _forked(L).set_result(3),
    "jit.wait": lambda L: L.jit.wait(_forked(L)),
    "jit.wait of a Future": lambda L: L.jit.wait(_completed(L, 7)),
    "then": lambda L: _forked(L).then(lambda f: f.value() * 10).wait(),
    "then: a new future": lambda L: (lambda f: f.then(lambda g: 0) is not f)(_forked(L)),
    "then: its class's name": lambda L: type(_completed(L).then(lambda f: 0)).__name__,
    "then of then": lambda L: _forked(L).then(lambda f: f.wait() + 1).then(
        lambda f: f.wait() * 2).wait(),
    "then: a callback that raises": lambda L: _forked(L).then(lambda f: 1 / 0).wait(),
    "then: ... is done": lambda L: _forked(L).then(lambda f: 1 / 0).done(),
    "then: ... chained": lambda L: _forked(L).then(lambda f: 1 / 0).then(
        lambda f: f.wait()).wait(),
    "then: returning a future": lambda L: (lambda f: f.then(lambda g: g).wait() is f)(
        _forked(L)),
    "then: not callable": lambda L: _forked(L).then(3),
    "add_done_callback": lambda L: (lambda seen: (_forked(L).add_done_callback(
        lambda f: seen.append(f.value())), seen))([]),
    "add_done_callback: not callable": lambda L: _forked(L).add_done_callback(3),
    "Future(): not done": lambda L: L.jit.Future().done(),
    "Future(devices=[])": lambda L: L.jit.Future(devices=[]).done(),
    "Future(1)": lambda L: L.jit.Future(1),
    "set_result": lambda L: (lambda f: (f.done(), f.value(), f.wait()))(_completed(L)),
    "set_result twice": lambda L: _completed(L).set_result(6),
    "callbacks run at set_result, in order": _order,
    "callbacks of a completed future run at once": lambda L: (lambda f, seen: (
        f.add_done_callback(lambda g: seen.append(g.value())), seen)[1])(_completed(L), []),
    "set_exception: done": lambda L: _failed(L).done(),
    "set_exception: wait": lambda L: _failed(L).wait(),
    "set_exception: value": lambda L: _failed(L).value(),
    "set_exception: then ignoring it": lambda L: _failed(L).then(lambda f: 1).wait(),
    "set_exception: then reading it": lambda L: _failed(L).then(lambda f: f.value()).wait(),
    "set_exception twice": lambda L: _failed(L).set_exception(ValueError("again")),
    "set_exception after set_result": lambda L: _completed(L).set_exception(ValueError("x")),
    "set_exception of a string": lambda L: L.jit.Future().set_exception("bad"),
    "set_exception of a class": lambda L: L.jit.Future().set_exception(ValueError),
}


@pytest.mark.parametrize("name", FUTURES)
def test_jit_future(name):
    def run(L):
        try:
            return _normal(FUTURES[name](L))
        except Exception as e:          # noqa: BLE001
            raise type(e)(_normal(e)) if type(e) is not ValueError else e
    same(run)


def test_a_forked_future_has_no_set_exception():
    """(an AttributeError; torch's names the class ``torch._C.Future``)"""
    same(lambda L: _forked(L).set_exception(ValueError("x")), message=None)


def test_the_value_of_a_future_not_yet_completed():
    """torch's internal assert (ours says what it means after its words)."""
    same(lambda L: L.jit.Future().value(), message=len("completed() INTERNAL ASSERT FAILED"))


def test_a_failing_done_callback_is_reported_not_raised():
    def run(L):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            _forked(L).add_done_callback(lambda f: 1 / 0)
        return None
    same(run)


def test_wait_blocks_until_another_thread_completes_the_future():
    def run(L):
        future = L.jit.Future()
        threading.Timer(0.05, lambda: future.set_result("late")).start()
        return future.wait(), future.done()
    same(run)
