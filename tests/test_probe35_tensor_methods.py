"""Dtype conversions and Tensor methods at their edges, found by probing against torch's OpInfo
database (probe 35):

* float64 → float16 rounds through float32, as torch's ``c10::Half`` (made from a float) does,
  on every path: ``half()``, ``to``, ``type``, ``tensor``/``as_tensor``/``HalfTensor``, ``full``
  and the fills, the ranges, ``copy_``, item assignment and in-place arithmetic (before: one
  rounding, so 0.0291213991378954 became 0.0291290283203125 instead of 0.02911376953125);
* the cast methods (``float()``, ``long()``, ...) take torch's keyword ``memory_format``;
* ``Tensor.to``'s three overloads with positional ``non_blocking`` and ``copy`` (``copy=True``
  always makes a new tensor) and torch's TypeError for anything else;
* ``sum_to_size`` sums as torch's ``sum_to`` (bool and integer tensors become int64 when
  something is summed, or the size is ``()``);
* ``permute_copy`` of a 0-d tensor; ``take_along_dim`` takes each index modulo the size
  (``gather`` refuses negative ones); ``gather``/``scatter`` accept an empty index of any dtype;
* ``narrow``/``narrow_copy``: torch's checks of the start tensor, of 0-d input and of the range.

Each case runs the same small program under tinygrad_sgd and torch and compares the values
(bit for bit), dtypes, shapes and any other results, or the error's class and the first
sentence of its message."""
import re

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg


def _run(T, program):
    try:
        return program(T)
    except Exception as e:                      # noqa: BLE001 (the class is compared)
        return e


def _first_sentence(error):
    text = str(error).replace("tinygrad_sgd.", "torch.")
    return re.split(r"(?<=\.)\s|\n", text, maxsplit=1)[0].rstrip(".")


def _check(ours, theirs):
    if isinstance(theirs, (torch.Tensor, tg.Tensor)):
        assert isinstance(ours, tg.Tensor), (ours, theirs)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert ours.requires_grad == theirs.requires_grad
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    elif isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            _check(a, b)
    else:
        assert ours == theirs


def _same(program):
    """Run ``program(T)`` for both libraries: the same error (class, first sentence), or the
    same results."""
    ours, theirs = _run(tg, program), _run(torch, program)
    if isinstance(theirs, Exception):
        assert isinstance(ours, type(theirs)), (ours, theirs)
        assert _first_sentence(ours) == _first_sentence(theirs)
        return
    assert not isinstance(ours, Exception), (ours, theirs)
    _check(ours, theirs)


# ---------------------------------------------------------------------------- float64 → float16
# numbers whose float16 differs when rounded once (NumPy's float64 → float16) and twice (through
# float32, torch's): a normal number, a subnormal and the overflow threshold among them
V = 0.0291213991378954
DOUBLE_ROUNDED = [V, -905.2500068874787, -6.861328282255974, 0.0003091096889385746,
                  493.3749910429188, 0.0022916793062525615, 2.0 ** -25 * (1 + 2.0 ** -30),
                  65519.99999, -65519.99999, 1.0, 65504.0, 1e300, float("inf"), float("nan")]


def _f64(T):
    return T.tensor(DOUBLE_ROUNDED, dtype=T.float64)


def _written(T, write):
    x = T.zeros(len(DOUBLE_ROUNDED), dtype=T.float16)
    write(x)
    return x


def _module_half(T):
    m = T.nn.Linear(len(DOUBLE_ROUNDED), 1).double()
    with T.no_grad():
        m.weight.copy_(_f64(T).reshape(1, -1))
    return m.half().weight.detach()


def _set_all(x, v):
    x[:] = v


def _set_one(x, v):
    x[0] = v


HALF_PATHS = {
    "half": lambda T: _f64(T).half(),
    "to(float16)": lambda T: _f64(T).to(T.float16),
    "to(dtype=)": lambda T: _f64(T).to(dtype=T.float16),
    "to(other)": lambda T: _f64(T).to(T.zeros(1, dtype=T.float16)),
    "to(cpu, float16)": lambda T: _f64(T).to("cpu", T.float16),
    "type(HalfTensor)": lambda T: _f64(T).type(T.HalfTensor),
    "type(name)": lambda T: _f64(T).type("torch.HalfTensor"),
    "type_as": lambda T: _f64(T).type_as(T.zeros(1, dtype=T.float16)),
    "half with grad": lambda T: _f64(T).requires_grad_().half().detach(),
    "tensor(list)": lambda T: T.tensor(DOUBLE_ROUNDED, dtype=T.float16),
    "tensor(number)": lambda T: T.tensor(V, dtype=T.float16),
    "tensor(numpy number)": lambda T: T.tensor(np.float64(V), dtype=T.float16),
    "as_tensor(array)": lambda T: T.as_tensor(np.array(DOUBLE_ROUNDED), dtype=T.float16),
    "as_tensor(tensor)": lambda T: T.as_tensor(_f64(T), dtype=T.float16),
    "asarray": lambda T: T.asarray(DOUBLE_ROUNDED, dtype=T.float16),
    "from_numpy.half": lambda T: T.from_numpy(np.array(DOUBLE_ROUNDED)).half(),
    "HalfTensor(list)": lambda T: T.HalfTensor(DOUBLE_ROUNDED),
    "new(list)": lambda T: T.zeros(1, dtype=T.float16).new(DOUBLE_ROUNDED),
    "new_tensor": lambda T: T.zeros(1, dtype=T.float16).new_tensor(DOUBLE_ROUNDED),
    "full": lambda T: T.full((2,), V, dtype=T.float16),
    "full(numpy number)": lambda T: T.full((2,), np.float64(V), dtype=T.float16),
    "full(0-d tensor)": lambda T: T.full((2,), T.tensor(V, dtype=T.float64), dtype=T.float16),
    "full_like": lambda T: T.full_like(T.zeros(2, dtype=T.float16), V),
    "new_full": lambda T: T.zeros(1, dtype=T.float16).new_full((2,), V),
    "fill_(number)": lambda T: T.zeros(2, dtype=T.float16).fill_(V),
    "fill_(float64 tensor)": lambda T: T.zeros(2, dtype=T.float16).fill_(
        T.tensor(V, dtype=T.float64)),
    "masked_fill": lambda T: T.zeros(2, dtype=T.float16).masked_fill(T.tensor([True, False]), V),
    "index_fill": lambda T: T.zeros(2, dtype=T.float16).index_fill(0, T.tensor([0]), V),
    "scatter(value)": lambda T: T.zeros(2, dtype=T.float16).scatter(0, T.tensor([1]), V),
    "clamp_(min)": lambda T: T.zeros(2, dtype=T.float16).clamp_(min=V),
    "arange": lambda T: T.arange(V, 30.0, 0.71, dtype=T.float16),
    "linspace": lambda T: T.linspace(V, 1.0, 3, dtype=T.float16),
    "linspace(1 step)": lambda T: T.linspace(V, 1.0, 1, dtype=T.float16),
    "logspace": lambda T: T.logspace(-1.5358, 1, 3, dtype=T.float16),
    "copy_": lambda T: _written(T, lambda x: x.copy_(_f64(T))),
    "x[:] = float64 tensor": lambda T: _written(T, lambda x: _set_all(x, _f64(T))),
    "x[0] = number": lambda T: _written(T, lambda x: _set_one(x, V)),
    "add_(float64 tensor)": lambda T: _written(T, lambda x: x.add_(_f64(T))),
    "Module.half": _module_half,
    # (and what must not change: one rounding from float32, exact from integers)
    "float32 → float16": lambda T: _f64(T).float().half(),
    "int64 → float16": lambda T: T.tensor([65519, 70000, 2049, 4097, -3]).half(),
    "float64 → float32": lambda T: _f64(T).float(),
    "float16 → float64": lambda T: _f64(T).half().double(),
}


@pytest.mark.filterwarnings("ignore:overflow encountered")
@pytest.mark.parametrize("path", HALF_PATHS)
def test_float64_to_float16_rounds_through_float32(path):
    _same(HALF_PATHS[path])


def test_float64_to_float16_gradient_is_float64():
    def program(T):
        x = _f64(T)[:6].requires_grad_()
        (x.half() * 3).sum().backward()
        return x.grad
    _same(program)


# ---------------------------------------------------------------------------- cast methods
CASTS = ["bool", "byte", "char", "double", "float", "half", "int", "long", "short"]
FORMATS = ["preserve_format", "contiguous_format", "channels_last"]


def _nchw(T):
    return T.arange(24.).reshape(1, 2, 3, 4)


@pytest.mark.parametrize("fmt", FORMATS + [None])
@pytest.mark.parametrize("cast", CASTS)
def test_cast_methods_take_memory_format(cast, fmt):
    def program(T):
        memory_format = None if fmt is None else getattr(T, fmt)
        out = getattr(_nchw(T), cast)(memory_format=memory_format)
        return out, out.stride()
    _same(program)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cast", ["float", "double", "int"])
def test_cast_methods_of_a_channels_last_tensor(cast, fmt):
    def program(T):
        x = _nchw(T).contiguous(memory_format=T.channels_last)
        out = getattr(x, cast)(memory_format=getattr(T, fmt))
        return out, out.stride(), out is x
    _same(program)


CAST_ERRORS = {
    "channels_last of 2-d": lambda T, cast: getattr(T.ones(3, 4), cast)(
        memory_format=T.channels_last),
    "positional format": lambda T, cast: getattr(T.ones(3), cast)(T.contiguous_format),
    "two positionals": lambda T, cast: getattr(T.ones(3), cast)(1, 2),
    "format not a format": lambda T, cast: getattr(T.ones(3), cast)(memory_format="a"),
    "unknown keyword": lambda T, cast: getattr(T.ones(3), cast)(foo=1),
}


@pytest.mark.parametrize("case", CAST_ERRORS)
@pytest.mark.parametrize("cast", ["float", "long", "bool", "half"])
def test_cast_methods_refuse_as_torch(cast, case):
    _same(lambda T: CAST_ERRORS[case](T, cast))


# ---------------------------------------------------------------------------- Tensor.to
def _y(T):
    return T.tensor([1., 2.])


TO_CALLS = [
    # torch's three overloads with positional non_blocking and copy
    "y.to('cpu', T.float64, True, True)", "y.to(T.float64, False, True)",
    "y.to(T.float32, False, True)", "y.to(T.float32, False, False)", "y.to(T.float32, True)",
    "y.to(T.zeros(1, dtype=T.int32), False, True)", "y.to(T.zeros(1), False, True)",
    "y.to(T.zeros(1))", "y.to(T.device('cpu'), T.int32, False, True)",
    "y.to('cpu', None, False, True)", "y.to(None, None, False, True)",
    "y.to(T.float64, False, True, memory_format=T.contiguous_format)",
    "y.to(T.float32, False, True, memory_format=T.preserve_format)",
    # keywords
    "y.to(copy=True)", "y.to(non_blocking=True)", "y.to(memory_format=T.preserve_format)",
    "y.to(memory_format=T.contiguous_format)", "y.to(dtype=T.float64, copy=True)",
    "y.to(device=None, dtype=T.float64)", "y.to('cpu', dtype=T.float64)",
    "y.to(T.float64, non_blocking=True, copy=True)", "y.to(T.float64, True, copy=True)",
    "y.to(y, copy=True)", "y.to(tensor=y)", "y.to(T.int32, memory_format=None)",
    "y.to(None)", "y.to(None, None)", "y.to(None, T.float64)", "y.to(float)", "y.to(int)",
    "y.to(bool)",
    # torch's errors
    "y.to('cpu', T.float64, True, True, True)", "y.to(T.float64, True, True, True)",
    "y.to(y, True, True, True)", "y.to(T.float64, 1)", "y.to(T.float64, non_blocking=1)",
    "y.to(T.float64, copy=None)", "y.to(T.float64, None)", "y.to('cpu', T.float64, None)",
    "y.to('cpu', T.float64, dtype=T.float64)", "y.to(y, dtype=T.float64)", "y.to(y, T.float64)",
    "y.to(T.float64, True, non_blocking=True)", "y.to(T.float64, dtype=T.float64)",
    "y.to(T.float64, device='cpu')", "y.to('cpu', device='cpu')", "y.to(T.float64, 'cpu')",
    "y.to('cpu', 'cpu')", "y.to(T.float64, T.float64)", "y.to('cpu', 0)", "y.to(0)",
    "y.to(foo=1)", "y.to(dtype=1)", "y.to(copy=1)", "y.to(memory_format=1)",
    "y.to(T.float64, memory_format=1)", "y.to(T.float64, tensor=y)", "y.to(other=y)",
    "y.to(T.channels_last)", "y.to([1])", "y.to(memory_format=T.channels_last)",
]


@pytest.mark.parametrize("call", TO_CALLS)
def test_to_overloads(call):
    def program(T):
        y = _y(T)
        out = eval(call, {"T": T, "y": y})
        return out, out is y
    _same(program)


@pytest.mark.parametrize("call", ["x.to(copy=True)", "x.to(T.float64)",
                                  "x.to(T.float32, False, True)", "x.to(T.int64, copy=True)",
                                  "x.double(memory_format=T.channels_last)", "x.float()",
                                  "x.half(memory_format=None)"])
def test_to_copies_stay_in_the_graph(call):
    def program(T):
        x = T.arange(24.).reshape(1, 2, 3, 4).requires_grad_()
        out = eval(call, {"T": T, "x": x})
        if out.requires_grad:
            (out.double() * T.arange(24.).reshape(1, 2, 3, 4)).sum().backward()
        return out, out is x, out.stride(), x.grad
    _same(program)


# ---------------------------------------------------------------------------- sum_to_size
SUM_TO_SIZE = [(True, ()), ([True], (1,)), ([True, False], (1,)), ([[True, False]], (1, 2)),
               ([[True], [False]], (1, 1)), ([True, True], (2,)), ([[True, False]], ()),
               ([[True, False], [True, True]], (2,)), ([[True, False], [True, True]], (1, 2)),
               (True, (1,)), ([True, False], (2, 2))]


@pytest.mark.parametrize("values, size", SUM_TO_SIZE)
def test_sum_to_size_of_bool(values, size):
    _same(lambda T: T.tensor(values).sum_to_size(size))


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "float16",
                                   "float32", "float64"])
@pytest.mark.parametrize("values, size", [(3, ()), ([1, 2], ()), ([[1, 2], [3, 4]], (1, 2)),
                                          ([[1, 2], [3, 4]], (2,)), ([[1, 2]], (1, 2)),
                                          ([[1, 2], [3, 4]], (2, 1))])
def test_sum_to_size_by_dtype(dtype, values, size):
    _same(lambda T: T.tensor(values, dtype=getattr(T, dtype)).sum_to_size(size))


def test_sum_to_size_sizes_one_by_one_and_gradient():
    def program(T):
        x = T.arange(24., dtype=T.float64).reshape(2, 3, 4).requires_grad_()
        y = x.sum_to_size(3, 1)
        (y * T.tensor([[1.], [2.], [3.]], dtype=T.float64)).sum().backward()
        return y, x.grad, x.sum_to_size(2, 3, 4) is x
    _same(program)


# ---------------------------------------------------------------------------- permute_copy
@pytest.mark.parametrize("call", ["T.permute_copy(T.tensor(2.5), ())",
                                  "T.permute_copy(T.tensor(2.5), [])",
                                  "T.permute_copy(T.tensor(2.5), dims=())",
                                  "T.permute_copy(T.tensor([1., 2.]), (0,))",
                                  "T.permute_copy(T.arange(6.).reshape(2, 3), (1, 0))",
                                  "T.permute_copy(T.arange(6.).reshape(2, 3), [-1, 0])",
                                  "T.permute_copy(T.tensor(2.5))",
                                  "T.tensor(2.5).permute(())"])
def test_permute_copy(call):
    _same(lambda T: eval(call, {"T": T}))


@pytest.mark.parametrize("call", ["T.permute_copy(T.tensor(2.5), (0,))",
                                  "T.permute_copy(T.tensor([1., 2.]), ())"])
def test_permute_copy_refuses_the_wrong_number_of_dims(call):
    ours, theirs = _run(tg, lambda T: eval(call, {"T": T})), \
        _run(torch, lambda T: eval(call, {"T": T}))
    assert isinstance(theirs, RuntimeError) and isinstance(ours, RuntimeError)


# ---------------------------------------------------------------------------- take_along_dim
def _grid(T):
    return T.arange(12.).reshape(3, 4)


TAKE_ALONG = {
    "negative, dim 1": lambda T: T.take_along_dim(
        _grid(T), T.tensor([[-1, 0], [-4, 3], [2, -2]]), 1),
    "negative, method": lambda T: _grid(T).take_along_dim(
        T.tensor([[-1, 0], [-4, 3], [2, -2]]), dim=1),
    "negative, dim 0": lambda T: T.take_along_dim(_grid(T), T.tensor([[-1, -3, 0, 2]]), 0),
    "negative dim, negative index": lambda T: T.take_along_dim(
        _grid(T), T.tensor([[-1], [-2], [-3]]), -1),
    "beyond the size, modulo": lambda T: T.take_along_dim(
        _grid(T), T.tensor([[9, -9, 100, -100]]), 1),
    "broadcast": lambda T: T.take_along_dim(_grid(T), T.tensor([[-1, 5]]), 1),
    "size-1 input dim": lambda T: T.take_along_dim(T.ones(3, 1), T.tensor([[5, -7]]), 1),
    "empty index": lambda T: T.take_along_dim(_grid(T), T.zeros(3, 0, dtype=T.long), 1),
    "empty dim, index": lambda T: T.take_along_dim(T.ones(3, 0), T.zeros(3, 2, dtype=T.long), 1),
    "no dim: negative refused": lambda T: T.take_along_dim(_grid(T), T.tensor([-1, 3])),
    "no dim: int32": lambda T: T.take_along_dim(T.arange(4.), T.tensor([[1]], dtype=T.int32)),
    "no dim: empty int32": lambda T: T.take_along_dim(
        T.arange(3.), T.tensor([], dtype=T.int32)),
    "dim: int32 refused": lambda T: T.take_along_dim(
        _grid(T), T.tensor([[1]], dtype=T.int32), 1),
    "dim: ranks differ": lambda T: T.take_along_dim(T.zeros(3), T.tensor([[0]]), 0),
    "not a tensor": lambda T: T.take_along_dim(T.zeros(3), [0]),
    "gather: negative refused": lambda T: T.gather(
        _grid(T), 1, T.tensor([[-1, 0], [-4, 3], [2, -2]])),
}


@pytest.mark.parametrize("case", TAKE_ALONG)
def test_take_along_dim_wraps_indices(case):
    _same(TAKE_ALONG[case])


def test_take_along_dim_gradient_with_wrapped_indices():
    def program(T):
        x = T.arange(12., dtype=T.float64).reshape(3, 4).requires_grad_()
        y = T.take_along_dim(x, T.tensor([[-1, 3], [-4, 9], [2, -2]]), 1)
        (y * T.tensor([[1., 2.], [3., 4.], [5., 6.]], dtype=T.float64)).sum().backward()
        return y, x.grad
    _same(program)


# ---------------------------------------------------------------------------- empty indices
INDEX_DTYPES = ["uint8", "int8", "int16", "int32", "int64", "bool", "float32", "float64"]


@pytest.mark.parametrize("dtype", INDEX_DTYPES)
@pytest.mark.parametrize("case", ["gather 1-d", "gather 2-d", "gather other rank",
                                  "gather 0-d input", "scatter src", "scatter value",
                                  "scatter_add", "scatter_reduce mean", "scatter_ in place"])
def test_gather_and_scatter_take_an_empty_index_of_any_dtype(case, dtype):
    def program(T):
        empty = T.zeros(0, dtype=getattr(T, dtype))
        grid = T.arange(6.).reshape(2, 3)
        return {
            "gather 1-d": lambda: T.gather(T.arange(3.), 0, empty),
            "gather 2-d": lambda: T.gather(grid, 1, empty.reshape(2, 0)),
            "gather other rank": lambda: T.gather(grid, 1, empty.reshape(0, 5, 0)),
            "gather 0-d input": lambda: T.gather(T.tensor(5.), 0, empty),
            "scatter src": lambda: T.zeros(3).scatter(0, empty, T.ones(2, 3, 4)),
            "scatter value": lambda: grid.scatter(1, empty.reshape(0, 2), 5.0),
            "scatter_add": lambda: T.zeros(3).scatter_add(0, empty, T.ones(2)),
            "scatter_reduce mean": lambda: T.zeros(3).scatter_reduce(0, empty, T.ones(2),
                                                                     "mean"),
            "scatter_ in place": lambda: T.zeros(2, 3).scatter_(1, empty.reshape(0, 2), 5.0),
        }[case]()
    _same(program)


@pytest.mark.parametrize("call", [
    "T.gather(T.arange(3.), 0, T.tensor([1], dtype=T.uint8))",
    "T.gather(T.arange(3.), 0, T.tensor([1.]))",
    "T.zeros(3).scatter(0, T.tensor([1], dtype=T.uint8), T.ones(1))",
    "T.zeros(3).scatter_add(0, T.tensor([1], dtype=T.int16), T.ones(1))",
    "T.zeros(3).scatter_reduce(0, T.tensor([0.]), T.ones(1), 'sum')",
    "T.zeros(3).scatter(0, T.zeros(0, dtype=T.uint8), T.ones(2, dtype=T.float64))",
    "T.gather(T.arange(3.), 0, T.tensor([1], dtype=T.int32))",
    "T.zeros(3).index_add(0, T.tensor([0.]), T.ones(1))",
])
def test_index_dtype_checks_of_a_non_empty_index(call):
    _same(lambda T: eval(call, {"T": T}))


def test_gather_of_an_empty_index_in_the_graph():
    def program(T):
        x = T.arange(6., requires_grad=True)
        y = T.gather(x.reshape(2, 3), 1, T.zeros(2, 0, dtype=T.uint8))
        (y.sum() + x.sum()).backward()
        return y, x.grad
    _same(program)


# ---------------------------------------------------------------------------- narrow
NARROW = [
    "T.narrow(t3, -3, T.tensor(True), 1)", "T.narrow(t3, -3, T.tensor(True), 3)",
    "T.narrow(t3, 0, T.tensor(1.0), 1)", "T.narrow(t3, 0, T.tensor([1]), 1)",
    "T.narrow(t3, 0, T.tensor(1), 1)", "T.narrow(t3, 0, T.tensor(1, dtype=T.uint8), 1)",
    "T.narrow(t3, 0, T.tensor(-1), 1)", "T.narrow(t3, 2, 1, T.tensor(2))",
    "T.narrow(t0, 0, 0, 1)", "T.narrow(t0, -1, 0, 1)", "t0.narrow(0, 0, 0)",
    "T.narrow(t0, 5, 0, 1)", "T.narrow(t0, 0, 0, -1)", "T.narrow(t0, 0, T.tensor(0), 1)",
    "T.narrow(t3, 0, True, 1)", "T.narrow(t3, 0, 1.0, 1)", "T.narrow(t3, 0, 1, 1.0)",
    "T.narrow(t3, 0, None, 1)", "T.narrow(t3, 0, 5, 1)", "T.narrow(t3, 0, -5, 1)",
    "T.narrow(t3, 1, 1, -1)", "T.narrow(t3, 1, 1, 3)", "T.narrow(t3, 1, -2, 2)",
    "T.narrow(t3, -1, 4, 0)", "t3.narrow(1, 3, 0)",
    "T.narrow_copy(t0, 0, 0, 1)", "t0.narrow_copy(0, 0, 1)", "T.narrow_copy(t3, 0, 1.0, 1)",
    "T.narrow_copy(t3, 0, True, 1)", "T.narrow_copy(t3, 0, T.tensor(1.5), 1)",
    "T.narrow_copy(t3, 0, T.tensor([1]), 1)", "T.narrow_copy(t3, 0, T.tensor(1), 1)",
    "T.narrow_copy(t3, 0, 5, 1)", "T.narrow_copy(t3, 1, 1, 5)", "T.narrow_copy(t3, 1, 1, -1)",
    "T.narrow_copy(t3, 1, -1, 1)", "t3.narrow_copy(2, 1, 2)",
]


@pytest.mark.parametrize("call", NARROW)
def test_narrow(call):
    def program(T):
        names = {"T": T, "t3": T.arange(24.).reshape(2, 3, 4), "t0": T.tensor(2.5)}
        return eval(call, names)
    _same(program)


def test_narrow_copy_gradient():
    def program(T):
        x = T.arange(12., dtype=T.float64).reshape(3, 4).requires_grad_()
        y = T.narrow_copy(x, 1, -3, 2)
        (y * T.arange(6., dtype=T.float64).reshape(3, 2)).sum().backward()
        return y, x.grad
    _same(program)
