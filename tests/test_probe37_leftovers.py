"""Leftovers of probe round 37, each case run on torch and on tinygrad_sgd: the same values,
dtypes, strides and storage offsets, or the same exception class (ours may be a subclass, as
ShapeError of RuntimeError) and torch's message.

1. an empty slice or narrow keeps its place in its base's storage (``x[2:2].storage_offset()``
   is 2) and its strides, and an ``out=`` that is one is resized there, in x's memory;
2. avg_pool2d, max_pool1d, avg_pool1d (their modules, lp_pool) of the wrong rank: torch's
   errors (avg_pool2d of fewer than 3 dims: an IndexError);
3. batch norm of a 0-dim input: torch's internal RuntimeError where it reaches its kernel;
4. a convolution of an empty batch computes nothing, so mixed dtypes are no error: the result
   has the dtype of input · weight[0], as torch's;
5. a test module that defines a Tensor subclass (dispatch installed) leaves the library as it
   found it for the modules after it.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_sgd as tg
from torch_compare import same_as_torch

pytestmark = pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def same(fn, message="equal"):
    """torch's outcome and ours alike (:func:`torch_compare.same_as_torch`)."""
    same_as_torch(fn, tg, message)


def geometry(t):
    return tuple(t.shape), t.stride(), t.storage_offset()


def dtype_name(t):
    return str(t.dtype).split(".")[-1]


# ----------------------------------------------------------- 1. empty views keep their place
def _x(L):
    return L.arange(10.)


EMPTY_VIEWS = {
    "x[2:2]": lambda L: _x(L)[2:2],
    "x[5:5]": lambda L: _x(L)[5:5],
    "x[10:]": lambda L: _x(L)[10:],
    "x[20:] (start past the end)": lambda L: _x(L)[20:],
    "x[9:2] (stop before start)": lambda L: _x(L)[9:2],
    "x[-3:-3]": lambda L: _x(L)[-3:-3],
    "x.narrow(0, 3, 0)": lambda L: _x(L).narrow(0, 3, 0),
    "narrow(x, 0, 7, 0)": lambda L: L.narrow(_x(L), 0, 7, 0),
    "x[3:7][1:1]": lambda L: _x(L)[3:7][1:1],
    "x[::2][2:2]": lambda L: _x(L)[::2][2:2],
    "view(2, 5)[1:1]": lambda L: _x(L).view(2, 5)[1:1],
    "view(2, 5)[:, 2:2]": lambda L: _x(L).view(2, 5)[:, 2:2],
    "view(2, 5)[1:, 3:3]": lambda L: _x(L).view(2, 5)[1:, 3:3],
    "view(2, 5)[1, 3:3]": lambda L: _x(L).view(2, 5)[1, 3:3],
    "view(2, 5)[..., 4:4]": lambda L: _x(L).view(2, 5)[..., 4:4],
    "view(2, 5)[None, 1:1, None]": lambda L: _x(L).view(2, 5)[None, 1:1, None],
    "view(2, 5)[:, 2:2].t()": lambda L: _x(L).view(2, 5)[:, 2:2].t(),
    "view(2, 5)[1:1].select(1, 3)": lambda L: _x(L).view(2, 5)[1:1].select(1, 3),
    "x[2:2].view(0)": lambda L: _x(L)[2:2].view(0),
    "x[2:2].expand(3, 0)": lambda L: _x(L)[2:2].expand(3, 0),
    "empty(2, 0)[1:1]": lambda L: L.empty(2, 0)[1:1],
    "empty(0, 5)[:, 2:3]": lambda L: L.empty(0, 5)[:, 2:3],
}


@pytest.mark.parametrize("name", EMPTY_VIEWS)
def test_an_empty_view_keeps_its_place(name):
    same(lambda L: geometry(EMPTY_VIEWS[name](L)))


def test_a_view_of_an_empty_view_keeps_its_offset():
    """(its strides are NumPy's reshape's here, not always torch's: (1, 1) for torch's (0, 1))"""
    same(lambda L: _x(L)[2:2].unsqueeze(0).storage_offset())


@pytest.mark.parametrize("name, pieces", [
    ("tensor_split", lambda L, x: L.tensor_split(x, [3, 3, 7])),
    ("chunk", lambda L, x: x.chunk(20)),
    ("split", lambda L, x: x.split([3, 0, 7])),
    ("unbind", lambda L, x: x.view(2, 5)[:, 1:1].unbind(0)),
])
def test_empty_pieces_keep_their_places(name, pieces):
    same(lambda L: [geometry(p) for p in pieces(L, _x(L))])


def _written(fn):
    """(x after fn(L, x), the result, its geometry) for fn writing into x's memory."""
    def run(L):
        x = _x(L)
        result = fn(L, x)
        return x.tolist(), result.tolist(), geometry(result)
    return run


OUT_INTO_EMPTY = {
    "add(a, b, out=x[2:2])": lambda L, x: L.add(L.ones(3), L.ones(3), out=x[2:2]),
    "exp(out=x[6:6])": lambda L, x: L.exp(L.zeros(4), out=x[6:6]),
    "mul(out=x.narrow(0, 1, 0))": lambda L, x: L.mul(L.full((2,), 3.), 2, out=x.narrow(0, 1, 0)),
    "2x2 out=view(2, 5)[:, 2:2]": lambda L, x: L.add(L.ones(2, 2), 1, out=x.view(2, 5)[:, 2:2]),
    "sum(out=x[4:4])": lambda L, x: L.sum(L.ones(2, 3), 0, out=x[4:4]),
    "x[2:2].resize_(3).fill_(-1)": lambda L, x: x[2:2].resize_(3).fill_(-1),
    "x[3:3].resize_(2, 2).fill_(-1)": lambda L, x: x[3:3].resize_(2, 2).fill_(-1),
    "out=x[::2][1:1] (strided base)": lambda L, x: L.add(L.ones(3), 1, out=x[::2][1:1]),
    "out=view(2, 5)[1:1]": lambda L, x: L.mul(L.ones(2), 3, out=x.view(2, 5)[1:1]),
    "out=view(2, 5)[:, 1:1]": lambda L, x: L.mul(L.ones(3), 3, out=x.view(2, 5)[:, 1:1]),
    # (and views with elements, resized with torch's warning: from their offset, too)
    "out=x[2:4] to (2, 2)": lambda L, x: L.add(L.ones(2, 2), 1, out=x[2:4]),
    "out=x[5:7] to 4": lambda L, x: L.mul(L.ones(4), 3, out=x[5:7]),
}


@pytest.mark.parametrize("name", OUT_INTO_EMPTY)
def test_an_empty_out_is_resized_in_place(name):
    same(_written(OUT_INTO_EMPTY[name]))


def test_an_empty_view_shares_its_base_version():
    def versions(L):
        x = _x(L)
        view = x[2:2]
        x.add_(1)
        return view._version, x._version
    same(versions)


def test_an_empty_out_past_its_storage_still_gets_the_values():
    """``out=x[8:8]`` of 3 elements: torch grows x's shared storage (x[8:] sees the values);
    NumPy's memory can't grow for all sharers, so the result gets new memory here. Its
    values are torch's."""
    same(lambda L: L.add(L.ones(3), L.ones(3), out=_x(L)[8:8]).tolist())


# ----------------------------------------------------------- 2. pooling of the wrong rank
POOLS = {
    "avg_pool2d": lambda L, x, **k: L.nn.functional.avg_pool2d(x, 2, **k),
    "max_pool1d": lambda L, x, **k: L.nn.functional.max_pool1d(x, 2, **k),
    "avg_pool1d": lambda L, x, **k: L.nn.functional.avg_pool1d(x, 2, **k),
    "lp_pool1d": lambda L, x, **k: L.nn.functional.lp_pool1d(x, 2., 2, **k),
    "lp_pool2d": lambda L, x, **k: L.nn.functional.lp_pool2d(x, 2., 2, **k),
    "AvgPool2d": lambda L, x, **k: L.nn.AvgPool2d(2, **k)(x),
    "MaxPool1d": lambda L, x, **k: L.nn.MaxPool1d(2, **k)(x),
    "AvgPool1d": lambda L, x, **k: L.nn.AvgPool1d(2, **k)(x),
}
WRONG_RANKS = [(), (4,), (2, 4), (1, 2, 4), (1, 1, 2, 4), (1, 1, 1, 2, 4), (0,), (1, 1, 1, 0, 4)]
RANK_CASES = [(op, shape) for op in POOLS for shape in WRONG_RANKS
              if len(shape) not in ((2, 3) if op[-2:].lower() == "1d" else (3, 4))]


@pytest.mark.parametrize("op, shape", RANK_CASES)
def test_pooling_of_the_wrong_rank(op, shape):
    same(lambda L: POOLS[op](L, L.ones(shape)))


@pytest.mark.parametrize("op, shape, dtype, kwargs", [
    ("max_pool1d", (4,), "int32", {}),                        # the rank before the dtype
    ("avg_pool1d", (1, 1, 1, 2, 4), "int32", {}),
    ("avg_pool2d", (2, 4), "int32", {}),
    ("avg_pool2d", (1, 1, 1, 2, 4), "int32", {}),
    ("max_pool1d", (4,), "float32", {"return_indices": True}),  # (another message then)
    ("max_pool1d", (1, 1, 1, 2, 4), "float32", {"return_indices": True}),
    ("MaxPool1d", (1, 1, 1, 2, 4), "float32", {"return_indices": True}),
    ("max_pool1d", (0, 4), "float32", {"return_indices": True}),  # (an empty channel dim)
    ("avg_pool2d", (2, 4), "float32", {"divisor_override": 0}),   # divisor first: ours says
])                                                                # which op
def test_pooling_rank_checks_come_in_torchs_order(op, shape, dtype, kwargs):
    message = None if "divisor_override" in kwargs else "equal"
    same(lambda L: POOLS[op](L, L.ones(shape, dtype=getattr(L, dtype)), **kwargs), message)


# ----------------------------------------------------------- 3. batch norm of a 0-dim input
def _bn(L, training, stats=None, weight=None, functional=True):
    x = L.tensor(1.5)
    mean = None if stats is None else L.zeros(stats)
    var = None if stats is None else L.ones(stats)
    w = None if weight is None else L.ones(weight)
    if functional:
        return L.nn.functional.batch_norm(x, mean, var, w, training=training).tolist()
    return L.batch_norm(x, w, None, mean, var, training, 0.1, 1e-5, False).tolist()


ZERO_DIM_BATCH_NORM = {
    "F train (torch reads shape[0])": lambda L: _bn(L, True, 0),
    "F train, no stats": lambda L: _bn(L, True),
    "F eval, 0-element stats": lambda L: _bn(L, False, 0),
    "F eval, 0-element stats and weight": lambda L: _bn(L, False, 0, 0),
    "F eval, 1-element stats": lambda L: _bn(L, False, 1),
    "F eval, 1-element weight": lambda L: _bn(L, False, 0, 1),
    "F eval, no stats": lambda L: _bn(L, False),
    "torch.batch_norm train": lambda L: _bn(L, True, functional=False),
    "torch.batch_norm train, stats": lambda L: _bn(L, True, 0, functional=False),
    "torch.batch_norm eval, stats": lambda L: _bn(L, False, 0, functional=False),
    "torch.batch_norm eval, no stats": lambda L: _bn(L, False, functional=False),
    "torch.batch_norm train, only a mean": lambda L: L.batch_norm(
        L.tensor(1.5), None, None, L.zeros(0), None, True, 0.1, 1e-5, False),
    "torch.batch_norm of int64": lambda L: L.batch_norm(
        L.tensor(1), None, None, None, None, True, 0.1, 1e-5, False),
    "torch.batch_norm, requires grad": lambda L: L.batch_norm(
        L.tensor(1.5, requires_grad=True), None, None, None, None, True, 0.1, 1e-5, False),
    "native_batch_norm train": lambda L: L.native_batch_norm(
        L.tensor(1.5), None, None, None, None, True, 0.1, 1e-5),
    "native_batch_norm eval, no stats": lambda L: L.native_batch_norm(
        L.tensor(1.5), None, None, None, None, False, 0.1, 1e-5),
    "BatchNorm1d": lambda L: L.nn.BatchNorm1d(1)(L.tensor(1.5)),
    "BatchNorm1d eval": lambda L: L.nn.BatchNorm1d(1).eval()(L.tensor(1.5)),
    "LazyBatchNorm1d": lambda L: L.nn.LazyBatchNorm1d()(L.tensor(1.5)),
}


@pytest.mark.parametrize("name", ZERO_DIM_BATCH_NORM)
def test_batch_norm_of_a_0_dim_input(name):
    """torch's words, where its kernel fails: an internal error (ours adds what it means)."""
    same(ZERO_DIM_BATCH_NORM[name], message="prefix")


# ----------------------------------------------------------- 4. convolutions of empty batches
CONVS = {"conv1d": (1, False), "conv2d": (2, False), "conv3d": (3, False),
         "conv_transpose1d": (1, True), "conv_transpose2d": (2, True),
         "conv_transpose3d": (3, True)}
DTYPES = [("float32", "float64", None), ("float64", "float32", None),
          ("float32", "float32", "float64"), ("float32", "float64", "float64"),
          ("float16", "float32", None), ("float32", "float16", None),
          ("int64", "float32", None), ("float32", "int64", None), ("int64", "float64", None),
          ("int32", "int64", None), ("bool", "float32", None), ("int64", "int64", "float32"),
          ("float32", "float32", "int64"), ("int64", "float32", "float64"),
          ("float16", "float32", "float64")]


def _conv(L, op, x, w, b, batch=0, **kwargs):
    dims, transposed = CONVS[op]
    shape = (2, 4) if transposed else (4, 2)
    weight = L.ones(shape + (1,) * dims, dtype=getattr(L, w))
    bias = None if b is None else L.ones(4, dtype=getattr(L, b))
    out = getattr(L.nn.functional, op)(L.ones((batch, 2) + (3,) * dims, dtype=getattr(L, x)),
                                       weight, bias, **kwargs)
    return tuple(out.shape), dtype_name(out)


@pytest.mark.parametrize("op", CONVS)
@pytest.mark.parametrize("x, w, b", DTYPES)
def test_a_convolution_of_an_empty_batch(op, x, w, b):
    same(lambda L: _conv(L, op, x, w, b), message=None)   # (values: the shape and dtype)


@pytest.mark.parametrize("op", ["conv1d", "conv_transpose2d", "conv3d"])
@pytest.mark.parametrize("x, w, b", [("float32", "float64", None), ("int64", "float32", None)])
def test_mixed_dtypes_with_samples_are_still_refused(op, x, w, b):
    same(lambda L: _conv(L, op, x, w, b, batch=1))


@pytest.mark.parametrize("name, fn", [
    ("dilated", lambda L: _conv(L, "conv2d", "float32", "float64", None, dilation=2)),
    ("grouped", lambda L: dtype_name(L.nn.functional.conv2d(
        L.ones(0, 4, 5, 5), L.ones(4, 2, 3, 3, dtype=L.float64), groups=2))),
    ("padding='same'", lambda L: _conv(L, "conv2d", "float32", "float64", None,
                                       padding="same")),
    ("no input channels", lambda L: (lambda y: (tuple(y.shape), dtype_name(y)))(
        L.nn.functional.conv1d(L.ones(2, 0, 5), L.ones(4, 0, 3, dtype=L.float64)))),
    ("a float64 Conv1d on float32", lambda L: L.nn.Conv1d(2, 4, 3).double()(L.ones(0, 2, 5))),
    ("float16 conv3d", lambda L: _conv(L, "conv3d", "float16", "float16", None)),
])
def test_empty_batch_variants(name, fn):
    same(fn)


def test_gradients_through_an_empty_mixed_convolution():
    def grads(L):
        F = L.nn.functional
        x = L.ones(0, 2, 5, requires_grad=True)
        w = L.ones(4, 2, 3, dtype=L.float64, requires_grad=True)
        wt = L.ones(2, 4, 3, dtype=L.float64, requires_grad=True)
        b = L.ones(4, dtype=L.float64, requires_grad=True)
        (F.conv1d(x, w).sum() + F.conv_transpose1d(x, wt, b).sum()).backward()
        return [(tuple(t.grad.shape), dtype_name(t.grad), t.grad.abs().sum().item())
                for t in (x, w, wt, b)]
    same(grads)


# ----------------------------------------------------------- 5. no state leaks between files
def test_a_subclass_test_module_leaves_the_library_as_it_found_it():
    """A module that defines a Tensor subclass switches dispatch on (torch_function.install);
    the conftest puts the library back when it ends, so the identity ``Tensor.sin is tg.sin``
    holds in the module after it, as in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_probe33_nn.py::test_a_tensor_subclass_prints_with_its_name",
         "tests/test_ops_elementwise.py::"
         "test_every_function_is_at_the_top_level_and_a_method_where_torch_has_one"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout


def test_a_subclass_still_dispatches_after_an_undone_install():
    class Marked(tg.Tensor):
        pass
    assert type(tg.ones(2).as_subclass(Marked) + 1) is Marked
    assert np.array_equal((tg.ones(2).as_subclass(Marked) * 2).numpy(), [2., 2.])
