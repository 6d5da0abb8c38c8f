"""``channels_last_3d`` (5-D, NDHWC memory), ``legacy_contiguous_format`` and the
``memory_format`` type, each case run on torch and on tinygrad_sgd with the same data:

1. the format objects: their type, repr, pickling and copying, ``memory_format()`` refused;
2. layouts: ``to``/``contiguous``/``clone``/``*_like``/``empty``/``empty_strided``/``resize_``/
   ``cat``/elementwise results give torch's strides and values (size-1 dims included), and
   ``to(memory_format=f)`` hands back the tensor itself exactly when torch's does (when torch
   would suggest f for it: a transposed matrix stays as it is for ``contiguous_format``);
3. ``is_contiguous`` for every format, ``dim_order``;
4. errors: a channels-last format on a tensor of another rank, a memory format that is not
   one, ``contiguous(preserve_format)`` — torch's class and message;
5. gradients through ``to``/``contiguous``/``clone`` (values and torch's node names);
6. modules: ``Module.to(memory_format=)`` lays out 4-D and 5-D tensors (refusing the other
   rank, as torch), ``convert_conv3d_weight_memory_format``; layers on channels-last inputs
   and weights give torch's values and gradients. (Not compared: the strides of a conv's or
   pool's result, in the library's own layout (``Tensor.stride``), and those of ``.grad``.)
"""
import copy
import pickle

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = {"torch": torch, "ours": tg}
SHAPE = (2, 3, 4, 5, 6)
CL3 = "channels_last_3d"
VALUES = np.arange(np.prod(SHAPE), dtype=np.float32).reshape(SHAPE) / 100 - 3


def make(L, shape=SHAPE, layout=None, dtype=np.float32, requires_grad=False):
    """The same numbers as a tensor of library L, laid out in ``layout`` (a format's name)."""
    x = L.tensor(np.arange(np.prod(shape)).reshape(shape).astype(dtype) / 7 - 2)
    if layout is not None:
        x = x.contiguous(memory_format=getattr(L, layout))
    return x.requires_grad_(requires_grad)


def both(fn):                      # {"torch": fn(torch), "ours": fn(tinygrad_sgd)}
    return {lib: fn(L) for lib, L in LIBS.items()}


def to(fmt):
    """``x.to(memory_format=fmt)`` (a format's name) for either library."""
    return lambda L, x, *_: x.to(memory_format=getattr(L, fmt))


def contiguous(fmt):
    return lambda L, x, *_: x.contiguous(memory_format=getattr(L, fmt))


# ---------------------------------------------------------------------- 1. the format objects
FORMATS = ["preserve_format", "contiguous_format", "legacy_contiguous_format", "channels_last",
           CL3]


@pytest.mark.parametrize("name", FORMATS)
def test_format_objects_are_torchs(name, torch_mode):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    assert isinstance(ours, tg.memory_format) and isinstance(theirs, torch.memory_format)
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert type(ours).__name__ == type(theirs).__name__ == "memory_format"
    for lib, fmt in (("ours", ours), ("torch", theirs)):
        assert pickle.loads(pickle.dumps(fmt)) is fmt, lib
        assert copy.copy(fmt) is fmt and copy.deepcopy(fmt) is fmt, lib
    assert pickle.loads(pickle.dumps(tg.memory_format)) is tg.memory_format
    assert [getattr(tg, f) == ours for f in FORMATS] == [getattr(torch, f) == theirs
                                                         for f in FORMATS]


def test_legacy_contiguous_format_is_contiguous_format_and_no_new_formats(torch_mode):
    assert (tg.legacy_contiguous_format is tg.contiguous_format) == \
        (torch.legacy_contiguous_format is torch.contiguous_format) is True
    assert repr(tg.legacy_contiguous_format) == repr(torch.legacy_contiguous_format)
    raised = both(lambda L: pytest.raises(TypeError, L.memory_format).value)
    assert str(raised["ours"]) == str(raised["torch"]) == \
        "cannot create 'torch.memory_format' instances"


# ---------------------------------------------------------------------- 2. layouts
LAYOUT_CASES = {       # name: (shape, layout, fn(L, x, L.channels_last_3d)): strides, values
    "to(cl3)": (SHAPE, None, lambda L, x, m: x.to(memory_format=m)),
    "to(float64, cl3)": (SHAPE, None, lambda L, x, m: x.to(L.float64, memory_format=m)),
    "to(copy=True, cl3) of cl3": (SHAPE, CL3, lambda L, x, m: x.to(copy=True, memory_format=m)),
    "double(memory_format=cl3)": (SHAPE, None, lambda L, x, m: x.double(memory_format=m)),
    "half(memory_format=cl3)": (SHAPE, None, lambda L, x, m: x.half(memory_format=m)),
    "contiguous(cl3)": (SHAPE, None, lambda L, x, m: x.contiguous(memory_format=m)),
    "clone(cl3)": (SHAPE, None, lambda L, x, m: x.clone(memory_format=m)),
    "clone() of cl3": (SHAPE, CL3, lambda L, x, m: x.clone()),
    "clone(legacy) of cl3": (SHAPE, CL3, lambda L, x, m: x.clone(
        memory_format=L.legacy_contiguous_format)),
    "cl3 to(contiguous_format)": (SHAPE, CL3, to("contiguous_format")),
    "cl3 contiguous()": (SHAPE, CL3, lambda L, x, m: x.contiguous()),
    "cl3 to(float64)": (SHAPE, CL3, lambda L, x, m: x.to(L.float64)),
    "permuted then cl3": (SHAPE, None, lambda L, x, m: x.permute(0, 2, 1, 4, 3).to(
        memory_format=m)),
    "sliced then cl3": (SHAPE, None, lambda L, x, m: x[:, :, ::2].to(memory_format=m)),
    # size-1 dims: torch's strides for them too
    "(2,1,4,5,6) to(cl3)": ((2, 1, 4, 5, 6), None, lambda L, x, m: x.to(memory_format=m)),
    "(2,3,1,1,1) to(cl3)": ((2, 3, 1, 1, 1), None, lambda L, x, m: x.to(memory_format=m)),
    "(1,3,4,5,6) to(cl3)": ((1, 3, 4, 5, 6), None, lambda L, x, m: x.to(memory_format=m)),
    "(2,3,4,5,1) to(cl3)": ((2, 3, 4, 5, 1), None, lambda L, x, m: x.to(memory_format=m)),
    "(2,1,4,5,6) cl3 clone()": ((2, 1, 4, 5, 6), CL3, lambda L, x, m: x.clone()),
    "(2,3,1,1,1) cl3 clone()": ((2, 3, 1, 1, 1), CL3, lambda L, x, m: x.clone()),
    "(2,3,1,1,1) cl3 to(contiguous)": ((2, 3, 1, 1, 1), CL3, to("contiguous_format")),
    "4-D cl to(legacy)": ((2, 3, 4, 5), "channels_last", to("legacy_contiguous_format")),
    # made like another
    "empty_like of cl3": (SHAPE, CL3, lambda L, x, m: L.empty_like(x)),
    "zeros_like of cl3": (SHAPE, CL3, lambda L, x, m: L.zeros_like(x)),
    "ones_like of cl3": (SHAPE, CL3, lambda L, x, m: L.ones_like(x)),
    "full_like of cl3": (SHAPE, CL3, lambda L, x, m: L.full_like(x, 2.5)),
    "zeros_like(cl3)": (SHAPE, None, lambda L, x, m: L.zeros_like(x, memory_format=m)),
    "ones_like(legacy) of cl3": (SHAPE, CL3, lambda L, x, m: L.ones_like(
        x, memory_format=L.legacy_contiguous_format)),
    "empty(size, cl3)": (SHAPE, None, lambda L, x, m: L.empty(x.shape, memory_format=m)),
    "empty(*size, cl3)": (SHAPE, None, lambda L, x, m: L.empty(*x.shape, memory_format=m)),
    "empty_like of empty_strided": (SHAPE, None, lambda L, x, m: L.empty_like(
        L.empty_strided(x.shape, (360, 1, 90, 18, 3)))),
    # resize_ of fresh memory: the values read in storage order
    "resize_(5-D, cl3)": ((120,), None, lambda L, x, m: x.resize_(2, 3, 4, 5, 1, memory_format=m)),
    "resize_(same size, cl3)": (SHAPE, None, lambda L, x, m: x.resize_(SHAPE, memory_format=m)),
    "resize_as_(cl3)": (SHAPE, None, lambda L, x, m: x.resize_as_(L.zeros(1, 2, 3, 4, 5),
                                                                   memory_format=m)),
    # ops on a channels_last_3d tensor keep its layout where torch's do
    "cat dim 0": (SHAPE, CL3, lambda L, x, m: L.cat([x, x])),
    "cat dim 1": (SHAPE, CL3, lambda L, x, m: L.cat([x, x], dim=1)),
    "relu": (SHAPE, CL3, lambda L, x, m: L.relu(x)),
    "exp": (SHAPE, CL3, lambda L, x, m: x.exp()),
    "sigmoid": (SHAPE, CL3, lambda L, x, m: x.sigmoid()),
    "x + 1": (SHAPE, CL3, lambda L, x, m: x + 1),
    "x * x": (SHAPE, CL3, lambda L, x, m: x * x),
    "x + contiguous": (SHAPE, CL3, lambda L, x, m: x + x.contiguous()),
    "contiguous + x": (SHAPE, CL3, lambda L, x, m: x.contiguous() + x),
    "x + bias (3,1,1,1)": (SHAPE, CL3, lambda L, x, m: x + L.ones(3, 1, 1, 1)),
    "x > 0": (SHAPE, CL3, lambda L, x, m: x > 0),
    "where": (SHAPE, CL3, lambda L, x, m: L.where(x > 0, x, 0.)),
    "clamp": (SHAPE, CL3, lambda L, x, m: x.clamp(0)),
    "gelu": (SHAPE, CL3, lambda L, x, m: L.nn.functional.gelu(x)),
    "erf, erfc": (SHAPE, CL3, lambda L, x, m: x.erf() + x.erfc()),
    "addcmul": (SHAPE, CL3, lambda L, x, m: L.addcmul(x, x, x, value=0.5)),
    "batch_norm (train)": (SHAPE, CL3, lambda L, x, m: L.nn.functional.batch_norm(
        x, None, None, training=True)),
    "sum over C": (SHAPE, CL3, lambda L, x, m: x.sum(1)),
    "mean keepdim": (SHAPE, CL3, lambda L, x, m: x.mean((2, 3, 4), keepdim=True)),
    "slice channels": (SHAPE, CL3, lambda L, x, m: x[:, :2]),
    "permute to NDHWC": (SHAPE, CL3, lambda L, x, m: x.permute(0, 2, 3, 4, 1)),
}


@pytest.mark.parametrize("name", list(LAYOUT_CASES))
def test_layouts_match_torch(name):
    shape, layout, fn = LAYOUT_CASES[name]
    out = both(lambda L: fn(L, make(L, shape, layout), L.channels_last_3d))
    ours, theirs = out["ours"], out["torch"]
    assert ours.stride() == theirs.stride()
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    if not name.startswith("empty"):
        np.testing.assert_allclose(ours.numpy().astype(np.float64),
                                   theirs.numpy().astype(np.float64), rtol=1e-6, atol=1e-6)
    for fmt in ("contiguous_format", "channels_last", CL3):
        assert ours.is_contiguous(memory_format=getattr(tg, fmt)) == \
            theirs.is_contiguous(memory_format=getattr(torch, fmt)), fmt


@pytest.mark.parametrize("fill", ["rand_like", "randn_like", "randint_like"])
@pytest.mark.parametrize("memory_format", [None, CL3])
def test_random_like_keeps_or_takes_channels_last_3d(fill, memory_format):
    def made(L):
        x = make(L, layout=None if memory_format else CL3)
        kw = {} if memory_format is None else {"memory_format": getattr(L, memory_format)}
        return getattr(L, fill)(x, *([5] if fill == "randint_like" else []), **kw).stride()
    out = both(made)
    assert out["ours"] == out["torch"] == (360, 1, 90, 18, 3)


SAME_CASES = {         # name: (shape, layout, fn(L, x)); whether the result is x itself
    "cl3 to(cl3)": (SHAPE, CL3, to(CL3)),
    "to(contiguous)": (SHAPE, None, to("contiguous_format")),
    "to(legacy)": (SHAPE, None, to("legacy_contiguous_format")),
    "to(preserve)": (SHAPE, None, to("preserve_format")),
    "cl3 contiguous(cl3)": (SHAPE, CL3, contiguous(CL3)),
    "cl3 to(contiguous)": (SHAPE, CL3, to("contiguous_format")),
    "(2,1,4,5,6) to(cl3)": ((2, 1, 4, 5, 6), None, to(CL3)),
    "(2,1,4,5,6) contiguous(cl3)": ((2, 1, 4, 5, 6), None, contiguous(CL3)),
    "(2,1,4,5,6) cl3 to(contiguous)": ((2, 1, 4, 5, 6), CL3, to("contiguous_format")),
    "(2,1,4,5) to(cl)": ((2, 1, 4, 5), None, to("channels_last")),
    "(1,3,4,5,6) cl3 to(cl3)": ((1, 3, 4, 5, 6), CL3, to(CL3)),
    "transposed to(contiguous)": ((3, 4), None, lambda L, x: to("contiguous_format")(L, x.t())),
    "transposed 3-D": ((3, 4, 5), None, lambda L, x: to("contiguous_format")(L, x.mT)),
    "contiguous(preserve)": (SHAPE, None, contiguous("preserve_format")),
}


@pytest.mark.parametrize("name", list(SAME_CASES))
def test_to_and_contiguous_give_the_tensor_itself_when_torch_does(name):
    shape, layout, fn = SAME_CASES[name]

    def run(L):
        x = make(L, shape, layout)
        y = fn(L, x)
        return y is x, y.stride()
    out = both(run)
    assert out["ours"] == out["torch"]


# ---------------------------------------------------------------------- 3. is_contiguous, dim_order
CONTIGUITY_CASES = {   # name: fn(L) giving a tensor
    "contiguous 5-D": lambda L: make(L),
    "cl3": lambda L: make(L, layout=CL3),
    "cl 4-D": lambda L: make(L, (2, 3, 4, 5), "channels_last"),
    "(2,1,4,5,6) contiguous": lambda L: make(L, (2, 1, 4, 5, 6)),
    "(2,3,1,1,1) cl3": lambda L: make(L, (2, 3, 1, 1, 1), CL3),
    "empty (0,3,4,5,6)": lambda L: L.zeros(0, 3, 4, 5, 6),
    "NDHWC permuted back": lambda L: make(L, (2, 4, 5, 6, 3)).permute(0, 4, 1, 2, 3),
    "empty_strided cl3": lambda L: L.empty_strided(SHAPE, (360, 1, 90, 18, 3)),
    "cl3 sliced": lambda L: make(L, layout=CL3)[:, :, 1:],
    "3-D": lambda L: make(L, (3, 4, 5)),
}


@pytest.mark.parametrize("name", list(CONTIGUITY_CASES))
def test_is_contiguous_and_dim_order_match_torch(name):
    def run(L):
        x = CONTIGUITY_CASES[name](L)
        flags = tuple(x.is_contiguous(memory_format=getattr(L, f)) for f in FORMATS)
        try:
            order = x.dim_order()
        except RuntimeError as e:
            order = str(e)
        checked = []
        for formats in ([CL3, "contiguous_format"], [CL3]):
            try:
                checked.append(x.dim_order(ambiguity_check=[getattr(L, f) for f in formats]))
            except RuntimeError as e:
                checked.append(str(e))
        return flags, order, checked
    out = both(run)
    assert out["ours"] == out["torch"]


# ---------------------------------------------------------------------- 4. errors
ERROR_CASES = {
    "4-D to(cl3)": lambda L: make(L, (2, 3, 4, 5)).to(memory_format=L.channels_last_3d),
    "1-D to(cl3)": lambda L: make(L, (3,)).to(memory_format=L.channels_last_3d),
    "5-D to(cl)": lambda L: make(L).to(memory_format=L.channels_last),
    "4-D float(cl3)": lambda L: make(L, (2, 3, 4, 5)).float(memory_format=L.channels_last_3d),
    "5-D double(cl)": lambda L: make(L).double(memory_format=L.channels_last),
    "4-D contiguous(cl3)": lambda L: make(L, (2, 3, 4, 5)).contiguous(
        memory_format=L.channels_last_3d),
    "4-D clone(cl3)": lambda L: make(L, (2, 3, 4, 5)).clone(memory_format=L.channels_last_3d),
    "4-D empty_like(cl3)": lambda L: L.empty_like(make(L, (2, 3, 4, 5)),
                                                  memory_format=L.channels_last_3d),
    "3-D zeros_like(cl3)": lambda L: L.zeros_like(make(L, (3, 4, 5)),
                                                  memory_format=L.channels_last_3d),
    "4-D empty(cl3)": lambda L: L.empty(2, 3, 4, 5, memory_format=L.channels_last_3d),
    "5-D empty(cl)": lambda L: L.empty(SHAPE, memory_format=L.channels_last),
    "4-D resize_(cl3)": lambda L: L.zeros(3).resize_(2, 3, 4, 5,
                                                     memory_format=L.channels_last_3d),
    "5-D resize_(cl)": lambda L: L.zeros(3).resize_(SHAPE, memory_format=L.channels_last),
    "empty(preserve)": lambda L: L.empty(SHAPE, memory_format=L.preserve_format),
    "resize_(preserve)": lambda L: L.zeros(3).resize_(SHAPE, memory_format=L.preserve_format),
    "contiguous(preserve) of cl3": lambda L: make(L, layout=CL3).contiguous(
        memory_format=L.preserve_format),
    "contiguous(memory_format=3)": lambda L: make(L).contiguous(memory_format=3),
    "is_contiguous(memory_format=3)": lambda L: make(L).is_contiguous(memory_format=3),
    "clone(memory_format=str)": lambda L: make(L).clone(memory_format=CL3),
    "empty_like(memory_format=3)": lambda L: L.empty_like(make(L), memory_format=3),
    "zeros_like(memory_format=3)": lambda L: L.zeros_like(make(L), memory_format=3),
    "full_like(memory_format=3)": lambda L: L.full_like(make(L), 1., memory_format=3),
    "empty(memory_format=3)": lambda L: L.empty(2, 3, memory_format=3),
    "resize_(memory_format=3)": lambda L: L.zeros(3).resize_(2, 3, memory_format=3),
    "float(memory_format=3)": lambda L: make(L).float(memory_format=3),
    "to(memory_format=3)": lambda L: make(L).to(memory_format=3),
    "Conv2d.to(cl3)": lambda L: L.nn.Conv2d(2, 4, 3).to(memory_format=L.channels_last_3d),
    "Conv3d.to(cl)": lambda L: L.nn.Conv3d(2, 4, 3).to(memory_format=L.channels_last),
    "convert_conv3d(cl)": lambda L: L.nn.utils.convert_conv3d_weight_memory_format(
        L.nn.Conv3d(2, 4, 3), L.channels_last),
    "convert_conv2d(cl3)": lambda L: L.nn.utils.convert_conv2d_weight_memory_format(
        L.nn.Conv2d(2, 4, 3), L.channels_last_3d),
}


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_errors_match_torch(name, torch_mode):
    raised = {}
    for lib, L in LIBS.items():
        with pytest.raises(Exception) as info:
            ERROR_CASES[name](L)
        raised[lib] = info.value
    ours, theirs = raised["ours"], raised["torch"]
    assert isinstance(ours, type(theirs)), (type(ours), type(theirs))
    assert str(ours).split("\n")[0] == str(theirs).split("\n")[0]


# ---------------------------------------------------------------------- 5. gradients
GRAD_CASES = {         # name: (leaf layout, fn(L, x)); x.grad and the node's name compared
    "to(cl3)": (None, to(CL3)),
    "to(float64, cl3)": (None, lambda L, x: x.to(L.float64, memory_format=L.channels_last_3d)),
    "double(memory_format=cl3)": (None, lambda L, x: x.double(memory_format=L.channels_last_3d)),
    "contiguous(cl3)": (None, contiguous(CL3)),
    "clone(cl3)": (None, lambda L, x: x.clone(memory_format=L.channels_last_3d)),
    "cl3 leaf contiguous()": (CL3, lambda L, x: x.contiguous()),
    "cl3 leaf to(contiguous)": (CL3, to("contiguous_format")),
    "cl3 leaf clone()": (CL3, lambda L, x: x.clone()),
    "to(cl3) then ops": (None, lambda L, x: (x.to(memory_format=L.channels_last_3d) * 2).exp()
                         .contiguous().sum(1)),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_gradients_flow_through_memory_format_changes(name, torch_mode):
    layout, fn = GRAD_CASES[name]

    def run(L):
        x = make(L, layout=layout).detach().requires_grad_(True)
        y = fn(L, x)
        weight = L.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape))).to(y.dtype)
        (y * weight).sum().backward()
        return y.grad_fn.name(), y.stride(), x.grad.numpy()
    out = both(run)
    assert out["ours"][:2] == out["torch"][:2]
    np.testing.assert_allclose(out["ours"][2], out["torch"][2], rtol=1e-5, atol=1e-6)


def test_second_order_gradient_through_to_channels_last_3d():
    def run(L):
        x = make(L, (1, 2, 2, 2, 3), dtype=np.float64).requires_grad_(True)
        y = (x.to(memory_format=L.channels_last_3d) ** 3).sum()
        g, = L.autograd.grad(y, x, create_graph=True)
        gg, = L.autograd.grad(g.sum(), x)
        return g.detach().numpy(), gg.numpy()
    out = both(run)
    for ours, theirs in zip(out["ours"], out["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ---------------------------------------------------------------------- 6. modules
def _net(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Conv3d(3, 4, 2), L.nn.BatchNorm3d(4), L.nn.ReLU(),
                           L.nn.ConvTranspose3d(4, 2, 2), L.nn.Flatten(), L.nn.Linear(120, 2))


def _same_weights(ours, theirs):
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})


@pytest.mark.parametrize("memory_format", [CL3, "contiguous_format",
                                           "preserve_format"])
def test_module_to_lays_out_5d_parameters(memory_format):
    theirs, ours = _net(torch), _net(tg)
    _same_weights(ours, theirs)
    before = {n: p for n, p in ours.named_parameters()}
    assert ours.to(memory_format=getattr(tg, memory_format)) is ours
    theirs.to(memory_format=getattr(torch, memory_format))
    assert {n: p.stride() for n, p in ours.named_parameters()} == \
        {n: p.stride() for n, p in theirs.named_parameters()}
    assert all(p is before[n] and p.requires_grad for n, p in ours.named_parameters())
    x = {lib: make(L, (2, 3, 3, 4, 5), CL3, requires_grad=True)
         for lib, L in LIBS.items()}
    outs = {"ours": ours(x["ours"]), "torch": theirs(x["torch"])}
    np.testing.assert_allclose(outs["ours"].detach().numpy(), outs["torch"].detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    for out in outs.values():
        out.square().sum().backward()
    np.testing.assert_allclose(x["ours"].grad.numpy(), x["torch"].grad.numpy(), rtol=1e-4,
                               atol=1e-5)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=name)


def test_module_to_channels_last_3d_refuses_4d_tensors_as_torch():
    results = {}
    for lib, L in LIBS.items():
        model = L.nn.Sequential(L.nn.BatchNorm3d(3), L.nn.Linear(3, 3))
        model.to(memory_format=L.channels_last_3d)            # (no 4-D or 5-D tensor: fine)
        with pytest.raises(RuntimeError) as info:
            L.nn.Sequential(L.nn.Conv3d(2, 2, 1), L.nn.Conv2d(2, 2, 1)).to(
                memory_format=L.channels_last_3d)
        results[lib] = str(info.value)
    assert results["ours"] == results["torch"] == \
        "required rank 5 tensor to use channels_last_3d format"


@pytest.mark.parametrize("memory_format", [CL3, "contiguous_format"])
def test_convert_conv3d_weight_memory_format(memory_format):
    def run(L):
        L.manual_seed(0)
        model = L.nn.Sequential(L.nn.Conv3d(2, 4, 3), L.nn.Sequential(L.nn.ConvTranspose3d(
            4, 2, 3)), L.nn.Conv2d(2, 4, 3), L.nn.Conv1d(2, 4, 3))
        model.to(memory_format=L.contiguous_format)
        weights = [p for p in model.parameters()]
        values = [p.detach().numpy().copy() for p in weights]
        if memory_format == "contiguous_format":
            model[0].weight.data = model[0].weight.data.contiguous(
                memory_format=L.channels_last_3d)
        out = L.nn.utils.convert_conv3d_weight_memory_format(model, getattr(L, memory_format))
        assert out is model and list(model.parameters()) == weights
        for p, v in zip(model.parameters(), values):
            np.testing.assert_array_equal(p.detach().numpy(), v)
        return [p.stride() for p in model.parameters()]
    out = both(run)
    assert out["ours"] == out["torch"]


CONV_CASES = {         # name: (layer maker, input shape); channels-last input and weights
    "conv3d": (lambda L: L.nn.Conv3d(3, 4, 3, padding=1), (2, 3, 4, 5, 6)),
    "conv3d stride 2": (lambda L: L.nn.Conv3d(3, 2, 2, stride=2), (1, 3, 4, 4, 6)),
    "conv_transpose3d": (lambda L: L.nn.ConvTranspose3d(3, 2, 2), (2, 3, 3, 4, 5)),
    "max_pool3d": (lambda L: L.nn.MaxPool3d(2), (2, 3, 4, 4, 6)),
    "avg_pool3d": (lambda L: L.nn.AvgPool3d(2), (2, 3, 4, 4, 6)),
    "batch_norm3d": (lambda L: L.nn.BatchNorm3d(3), (2, 3, 4, 4, 6)),
}


@pytest.mark.parametrize("weights_last", [False, True])
@pytest.mark.parametrize("name", list(CONV_CASES))
def test_layers_on_channels_last_3d_inputs_give_torchs_values(name, weights_last):
    maker, shape = CONV_CASES[name]
    theirs, ours = maker(torch), maker(tg)
    _same_weights(ours, theirs)
    if weights_last:
        ours.to(memory_format=tg.channels_last_3d)
        theirs.to(memory_format=torch.channels_last_3d)
    x = {lib: make(L, shape, CL3, requires_grad=True)
         for lib, L in LIBS.items()}
    outs = {"ours": ours(x["ours"]), "torch": theirs(x["torch"])}
    np.testing.assert_allclose(outs["ours"].detach().numpy(), outs["torch"].detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    for out in outs.values():
        (out * out.detach()).sum().backward()
    np.testing.assert_allclose(x["ours"].grad.numpy(), x["torch"].grad.numpy(), rtol=1e-4,
                               atol=1e-4)


def test_torch_programs_see_the_formats():
    """Through the as_torch shim: ``torch.channels_last_3d``, ... are the library's."""
    import importlib
    from tinygrad_sgd._torch_shim import torch_modules
    with torch_modules():
        shim = importlib.import_module("torch")
        assert shim.channels_last_3d is tg.channels_last_3d
        assert shim.legacy_contiguous_format is tg.contiguous_format
        assert shim.memory_format is tg.memory_format
