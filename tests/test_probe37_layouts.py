"""Memory layouts (strides) that follow torch 2.13's, each case run on torch and on
tinygrad_sgd with the same numbers, comparing strides, values and gradients:

1. ``.grad`` by torch's gradient layout contract (AccumulateGrad): a leaf that is dense and
   non-overlapping (channels-last, channels_last_3d, transposed, permuted) gets a grad with
   its strides, any other leaf (a slice with gaps, an expanded one) a contiguous grad; the
   second backward adds into the first's layout; under ``create_graph`` too (and the grad is
   differentiable); ``retain_grad`` on a non-leaf gives a contiguous grad (torch's
   ``clone(contiguous_format)``);
2. results on channels-last (4-D), channels_last_3d (5-D) and transposed inputs: ``softmax``,
   ``log_softmax``, ``layer_norm`` and ``instance_norm`` are contiguous; ``group_norm``,
   ``pad`` ('constant', 'reflect', 'replicate') and ``stack``/``cat`` keep channels-last,
   ``pad(mode='circular')`` is contiguous — with their values and input gradients;
3. ``pickle``, ``copy.copy``, ``copy.deepcopy`` and ``save``/``load`` keep strides and the
   storage offset of a view; views saved together share memory after ``load`` and
   ``deepcopy`` (not after ``pickle``, as torch), ``copy.copy`` shares the original's.
"""
import copy
import io
import pickle

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as TF
import torch.nn.functional as F

LIBS = {"torch": torch, "ours": tg}
FUNCTIONAL = {torch: F, tg: TF}


def values(shape):
    return (np.arange(np.prod(shape), dtype=np.float64).reshape(shape) % 11 - 5) / 3


LEAVES = {   # name -> how to lay out the numbers as a leaf in library L
    "contiguous": lambda L: L.tensor(values((3, 4))),
    "channels_last": lambda L: L.tensor(values((2, 3, 4, 5))).contiguous(
        memory_format=L.channels_last),
    "channels_last_3d": lambda L: L.tensor(values((2, 3, 2, 4, 3))).contiguous(
        memory_format=L.channels_last_3d),
    "transposed": lambda L: L.tensor(values((3, 4))).t(),
    "permuted_3d": lambda L: L.tensor(values((2, 3, 4))).permute(2, 0, 1),
    "slice_with_gaps": lambda L: L.tensor(values((4, 6)))[:, ::2],
    "expanded": lambda L: L.tensor(values((3, 1))).expand(3, 4),
}

LOSSES = {   # name -> a scalar of the leaf w whose gradient has some layout of its own
    "sum": lambda w: w.sum(),                    # (an expanded gradient: stride 0)
    "square": lambda w: (w * w).sum(),           # (laid out as w)
    "exp": lambda w: (w.exp() * 2).sum(),
    "contiguous_copy": lambda w: (w.contiguous() ** 2).sum(),   # (a contiguous gradient)
}


def leaf(L, layout):
    return LEAVES[layout](L).detach().requires_grad_()


def same(a, b):
    """Strides and values of a torch tensor a and our tensor b agree."""
    assert tuple(b.stride()) == tuple(a.stride())
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------- 1. .grad
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("layout", LEAVES)
@pytest.mark.parametrize("twice", [False, True], ids=["once", "accumulated"])
def test_leaf_grad_layout(layout, loss, twice):
    grads = []
    for L in (torch, tg):
        w = leaf(L, layout)
        LOSSES[loss](w).backward()
        first = w.grad
        if twice:
            LOSSES["square"](w).backward()
            assert w.grad is first              # added in place: the first's memory kept
        grads.append(w.grad)
    same(*grads)


@pytest.mark.parametrize("layout", LEAVES)
def test_leaf_grad_from_backward_gradient(layout):
    """``w.backward(gradient=g)`` with a contiguous g: a copy in w's layout, not g."""
    grads = []
    for L in (torch, tg):
        w = leaf(L, layout)
        g = L.tensor(values(tuple(w.shape)) + 1).contiguous()
        w.backward(gradient=g)
        assert w.grad is not g
        grads.append(w.grad)
    same(*grads)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "transposed",
                                    "permuted_3d", "slice_with_gaps"])
@pytest.mark.parametrize("then", ["nothing", "create_graph", "plain"])
def test_create_graph_grad_layout_and_second_order(layout, then):
    """Under create_graph the first grad is laid out by the contract too, and stays
    differentiable: d/dw Σ(dL/dw)² matches torch's."""
    results = []
    for L in (torch, tg):
        w = leaf(L, layout)
        (w * w * w).sum().backward(create_graph=True)
        if then == "create_graph":
            (w * w).sum().backward(create_graph=True)
        elif then == "plain":
            (w * w).sum().backward()
        g = w.grad
        second, = L.autograd.grad((g * g).sum(), w) if g.requires_grad else (None,)
        results.append((g, second))
    same(results[0][0], results[1][0])
    if results[0][1] is not None:
        np.testing.assert_allclose(results[1][1].numpy(), results[0][1].numpy(), rtol=1e-6)


@pytest.mark.parametrize("loss", ["sum", "square"])
@pytest.mark.parametrize("layout", ["channels_last", "transposed", "permuted_3d"])
@pytest.mark.parametrize("twice", [False, True], ids=["once", "accumulated"])
def test_retain_grad_is_contiguous(layout, loss, twice):
    grads = []
    for L in (torch, tg):
        w = leaf(L, layout)
        y = w * 2
        y.retain_grad()
        LOSSES[loss](y).backward(retain_graph=True)
        if twice:
            LOSSES["square"](y).backward()
        grads.append(y.grad)
    same(*grads)


def test_contiguous_parameter_grad_is_a_plain_copy():
    """The common case (a model's parameters): a C-contiguous grad of the leaf's own."""
    w = tg.nn.Parameter(tg.tensor(values((3, 4))))
    g = tg.tensor(values((3, 4)))
    w.backward(gradient=g)
    assert w.grad.array.flags.c_contiguous and not np.shares_memory(w.grad.array, g.array)


# ----------------------------------------------------------------------------- 2. results
INPUTS = {
    "channels_last": lambda L: L.tensor(values((2, 3, 4, 5))).contiguous(
        memory_format=L.channels_last),
    "channels_last_3d": lambda L: L.tensor(values((2, 3, 2, 4, 3))).contiguous(
        memory_format=L.channels_last_3d),
    "contiguous_4d": lambda L: L.tensor(values((2, 3, 4, 5))),
    "transposed": lambda L: L.tensor(values((4, 5))).t(),
    "permuted_3d": lambda L: L.tensor(values((2, 3, 4))).permute(0, 2, 1),
}


def _spatial_pad(x, mode):
    n = 1 if x.ndim <= 3 else x.ndim - 2
    return (1, 2, 2, 1, 1, 1)[:2 * n]


OPS = {   # name -> f(L, functional, x), and the inputs it is checked on
    "softmax_dim1": (lambda L, Fn, x: Fn.softmax(x, 1), INPUTS),
    "log_softmax_dim1": (lambda L, Fn, x: Fn.log_softmax(x, 1), INPUTS),
    "softmax_dim0": (lambda L, Fn, x: Fn.softmax(x, 0), INPUTS),
    "log_softmax_last": (lambda L, Fn, x: Fn.log_softmax(x, -1), INPUTS),
    "layer_norm": (lambda L, Fn, x: Fn.layer_norm(x, x.shape[-2:]), INPUTS),
    "layer_norm_affine": (lambda L, Fn, x: Fn.layer_norm(
        x, x.shape[-1:], L.linspace(0.5, 1.5, x.shape[-1], dtype=x.dtype),
        L.linspace(-1, 1, x.shape[-1], dtype=x.dtype)), INPUTS),
    "instance_norm": (lambda L, Fn, x: Fn.instance_norm(x), ("channels_last",
                                                             "channels_last_3d",
                                                             "contiguous_4d", "permuted_3d")),
    "group_norm": (lambda L, Fn, x: Fn.group_norm(x, 3), ("channels_last", "channels_last_3d",
                                                          "contiguous_4d")),
    "group_norm_affine": (lambda L, Fn, x: Fn.group_norm(
        x, 1, L.linspace(0.5, 1.5, 3, dtype=x.dtype), L.linspace(-1, 1, 3, dtype=x.dtype)),
        ("channels_last", "channels_last_3d")),
    "pad_constant": (lambda L, Fn, x: Fn.pad(x, _spatial_pad(x, "constant"), value=0.5),
                     INPUTS),
    "pad_constant_last_dim": (lambda L, Fn, x: Fn.pad(x, (1, 2)), INPUTS),
    "pad_crop_only": (lambda L, Fn, x: Fn.pad(x, (-1, 0, 0, -1)[:2 * min(x.ndim, 2)]),
                      ("channels_last", "channels_last_3d", "transposed", "contiguous_4d")),
    "pad_reflect": (lambda L, Fn, x: Fn.pad(x, _spatial_pad(x, "reflect"), mode="reflect"),
                    INPUTS),
    "pad_replicate": (lambda L, Fn, x: Fn.pad(x, _spatial_pad(x, "replicate"),
                                              mode="replicate"), INPUTS),
    "pad_circular": (lambda L, Fn, x: Fn.pad(x, _spatial_pad(x, "circular"), mode="circular"),
                     INPUTS),
    "pad_reflect_3_dims_of_4d": (lambda L, Fn, x: Fn.pad(x, (1, 1, 1, 1, 1, 1),
                                                         mode="reflect"), ("channels_last",)),
    **{f"stack_dim{d}": ((lambda d: lambda L, Fn, x: L.stack([x, x * 2, x - 1], d))(d), INPUTS)
       for d in (0, 1, 2, -1)},
    "stack_dim_after_last": (lambda L, Fn, x: L.stack([x, x * 2], x.ndim), INPUTS),
    **{f"cat_dim{d}": ((lambda d: lambda L, Fn, x: L.cat([x, x * 2], d))(d), INPUTS)
       for d in (0, 1, -1)},
    "cat_with_contiguous": (lambda L, Fn, x: L.cat([x, x.contiguous()], 0),
                            ("channels_last", "channels_last_3d")),
}
CASES = [(op, name) for op, (_, names) in OPS.items() for name in names]


@pytest.mark.parametrize("op,layout", CASES)
def test_result_layout_values_and_grad(op, layout):
    f = OPS[op][0]
    results = []
    for L in (torch, tg):
        x = INPUTS[layout](L).detach().requires_grad_()
        out = f(L, FUNCTIONAL[L], x)
        weights = L.tensor(values(tuple(out.shape)) + 0.25)
        (out * weights).sum().backward()
        results.append((out, x.grad))
    same(results[0][0], results[1][0])
    np.testing.assert_allclose(results[1][1].numpy(), results[0][1].numpy(), rtol=1e-6,
                               atol=1e-9)


# ----------------------------------------------------------------------------- 3. pickling
TENSORS = {
    "channels_last": lambda L: INPUTS["channels_last"](L),
    "channels_last_3d": lambda L: INPUTS["channels_last_3d"](L),
    "transposed": lambda L: INPUTS["transposed"](L),
    "permuted_3d": lambda L: INPUTS["permuted_3d"](L),
    "slice_of_bigger": lambda L: L.tensor(values((2, 3, 4, 5)))[:, 1:, ::2],
    "narrow_1d": lambda L: L.tensor(values((40,)))[10:30],
    "expanded": lambda L: L.tensor(values((5,))).expand(3, 5),
    "leaf_requires_grad": lambda L: INPUTS["transposed"](L).detach().requires_grad_(),
    "zero_dim": lambda L: L.tensor(3.5),
    "zero_dim_element_of_view": lambda L: L.tensor(values((5,)))[2],
}


def _saved(L, obj):
    buffer = io.BytesIO()
    L.save(obj, buffer)
    buffer.seek(0)
    return L.load(buffer)


ROUND_TRIPS = {
    "pickle": lambda L, obj: pickle.loads(pickle.dumps(obj)),
    "save_load": _saved,
    "deepcopy": lambda L, obj: copy.deepcopy(obj),
    "copy": lambda L, obj: copy.copy(obj),
}


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("name", TENSORS)
def test_round_trip_keeps_strides_and_offset(name, how):
    out = []
    for L in (torch, tg):
        t = TENSORS[name](L)
        r = ROUND_TRIPS[how](L, t)
        assert type(r) is type(t) and r.requires_grad == t.requires_grad
        out.append((r, r.storage_offset()))
    same(out[0][0], out[1][0])
    assert out[1][1] == out[0][1]


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_views_saved_together_share_memory_as_torch(how):
    """Two overlapping views of one tensor: a write through one copy shows in the other
    after load and deepcopy, not after pickle; after copy.copy in the original too."""
    seen = []
    for L in (torch, tg):
        base = L.tensor(values((20,)))
        back = ROUND_TRIPS[how](L, {"a": base[0:10], "b": base[5:20]})
        back["a"][7] = -100.0
        seen.append((float(back["b"][2]), float(base[7]), back["a"].storage_offset(),
                     back["b"].storage_offset()))
    assert seen[1] == seen[0]


def test_pickled_parameter_keeps_its_layout():
    out = []
    for L in (torch, tg):
        p = L.nn.Parameter(INPUTS["channels_last"](L))
        r = pickle.loads(pickle.dumps(p))
        assert isinstance(r, L.nn.Parameter) and r.requires_grad
        out.append(r)
    same(*out)
