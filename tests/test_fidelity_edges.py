"""Edges where the library once gave other numbers than torch, each case run on both and
compared: the dtype ``tensor()`` infers from mixed lists, item assignment read in torch's
order, fill_/zero_/copy_ inside a graph, ``view`` refusing what needs a copy, ``diag``'s copy,
``searchsorted`` with NaN, ``index_add``'s integer alpha, and the Module details (a child's
own ``train``, ParameterDict's order, integer parameters under ``to``)."""
import itertools
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg

torch = pytest.importorskip("torch")


def _outcome(fn, lib):
    """(kind, payload): ("ok", (dtype name, values)) or ("error", exception class name)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib)
    except Exception as e:                                      # noqa: BLE001 (compared)
        return "error", _error_class(e)
    return "ok", (str(out.dtype).split(".")[-1], np.asarray(out.tolist()))


def _error_class(e):
    # ShapeError is a ValueError and a RuntimeError: it stands for torch's RuntimeError
    return "RuntimeError" if isinstance(e, RuntimeError) else type(e).__name__


def _same(fn):
    want, got = _outcome(fn, torch), _outcome(fn, tg)
    assert want[0] == got[0], (want, got)
    if want[0] == "error":
        assert want[1] == got[1], (want, got)
        return
    assert want[1][0] == got[1][0], (want, got)
    np.testing.assert_allclose(got[1][1], want[1][1], rtol=1e-6, atol=0)


# ---------------------------------------------------------------- tensor(): inferred dtypes
_ITEMS = {
    "float": lambda m: 1.5, "int": lambda m: 2, "bool": lambda m: True,
    "np.int8": lambda m: np.int8(1), "np.uint8": lambda m: np.uint8(3),
    "np.int32": lambda m: np.int32(1), "np.float16": lambda m: np.float16(1),
    "np.float64": lambda m: np.float64(1), "np.bool": lambda m: np.bool_(True),
    "t.float64": lambda m: m.tensor(1.5, dtype=m.float64),
    "t.int32": lambda m: m.tensor(1, dtype=m.int32),
    "t.float16": lambda m: m.tensor(1.5, dtype=m.float16),
    "t.uint8": lambda m: m.tensor(1, dtype=m.uint8),
    "t[1].float64": lambda m: m.tensor([2.5], dtype=m.float64),
}


@pytest.mark.parametrize("names", [c for k in (1, 2) for c in itertools.product(_ITEMS, repeat=k)]
                         + [("int", "np.int8", "t.float16"), ("np.uint8", "np.int8", "bool")],
                         ids=lambda c: "+".join(c))
def test_tensor_infers_torchs_dtype_from_mixed_items(names):
    _same(lambda m: m.tensor([_ITEMS[n](m) for n in names]))


@pytest.mark.parametrize("data,dtype", [
    (2**63, None), (-2**63 - 1, None), ([1, 2**63], None), ([2**70, 1], None),
    ([2**70, 1.5], None), (2**63, "float32"), (2**63, "int64"), ([2**64], "float64"),
    ([1, 2**63 - 1], None), ([[1, 2], [3, 4]], None), ([], None), ([[], []], None),
    ([[1.5, np.float32(2)], [np.int64(3), 4]], None)])
def test_tensor_big_python_ints_as_torch(data, dtype):
    _same(lambda m: m.tensor(data, dtype=None if dtype is None else getattr(m, dtype)))


def test_tensor_of_tensors_in_a_list_as_torch():
    _same(lambda m: m.tensor([m.tensor([1.0])]))
    _same(lambda m: m.tensor([[m.tensor([1.0, 2.0])]]))       # more than one element: error
    _same(lambda m: m.tensor([[m.tensor(1, dtype=m.int32), 2]]))


def test_tensor_refuses_the_other_byte_order():
    for make in (lambda m, a: m.tensor(a), lambda m, a: m.as_tensor(a),
                 lambda m, a: m.from_numpy(a)):
        _same(lambda m: make(m, np.arange(3, dtype=">f4")))


# ---------------------------------------------------------------- x[index] = value
def _assign(shape, index, value, dtype="float32"):
    def run(m):
        x = m.zeros(*shape, dtype=getattr(m, dtype))
        x[index(m)] = value(m)
        return x
    return run


_SETITEM = {
    # an int among tensor indices: torch applies the int first (NumPy would transpose this)
    "int,slice,tensor (square)": _assign((2, 3, 3), lambda m: (1, slice(None), m.tensor([0, 1, 2])),
                                         lambda m: m.arange(9.).reshape(3, 3)),
    "int,slice,list": _assign((2, 3, 2), lambda m: (1, slice(None), [0, 1]),
                              lambda m: m.arange(6.).reshape(3, 2)),
    "int,slice,mask": _assign((2, 3, 3), lambda m: (1, slice(None), m.tensor([True, False, True])),
                              lambda m: m.arange(6.).reshape(3, 2)),
    "0-d tensor,slice,tensor": _assign((2, 3, 3),
                                       lambda m: (m.tensor(1), slice(None), m.tensor([2, 0])),
                                       lambda m: m.arange(6.).reshape(3, 2)),
    "nested list is a tuple": _assign((3, 2), lambda m: [[0, 1], [1, 0]], lambda m: 7.0),
    "uint8 mask": _assign((2, 2), lambda m: m.tensor([1, 0], dtype=m.uint8),
                          lambda m: m.tensor([5.0, 6.0])),
    "two ellipses": _assign((3,), lambda m: (Ellipsis, Ellipsis), lambda m: 1.0),
    "None then int": _assign((2, 2), lambda m: (None, 0), lambda m: 5.0),
    "True": _assign((2,), lambda m: True, lambda m: 5.0),
    "negative step": _assign((3,), lambda m: slice(None, None, -1), lambda m: 1.0),
    "a list value": _assign((3,), lambda m: slice(0, 2), lambda m: [1.0, 2.0]),
    "a tuple value": _assign((3,), lambda m: slice(0, 2), lambda m: (1.0, 2.0)),
    "a value too wide": _assign((2, 2), lambda m: 0, lambda m: m.ones(3)),
    "-1 into uint8 wraps": _assign((3,), lambda m: 0, lambda m: -1, "uint8"),
    "300 into uint8": _assign((3,), lambda m: 0, lambda m: 300, "uint8"),
    "200 into int8": _assign((3,), lambda m: 0, lambda m: 200, "int8"),
    "2.7 into int64": _assign((3,), lambda m: 1, lambda m: 2.7, "int64"),
    "nan into int64": _assign((3,), lambda m: 1, lambda m: float("nan"), "int64"),
    "2 into bool": _assign((3,), lambda m: 1, lambda m: 2, "bool"),
}


@pytest.mark.parametrize("name", list(_SETITEM))
def test_setitem_as_torch(name):
    _same(_SETITEM[name])


def _setitem_in_a_graph(m):
    w = m.arange(9.0, requires_grad=True)
    x = m.zeros(2, 3, 3)
    x[1, :, m.tensor([0, 1, 2])] = w.reshape(3, 3) * m.arange(9.0).reshape(3, 3)
    (x * m.arange(18.0).reshape(2, 3, 3)).sum().backward()
    return m.cat([x.detach().reshape(-1), w.grad])


def _setitem_add_in_place(m):
    x = m.arange(18.0).reshape(2, 3, 3)
    x[1, :, m.tensor([0, 2])] += m.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    return x


@pytest.mark.parametrize("fn", [_setitem_in_a_graph, _setitem_add_in_place])
def test_setitem_in_graph_and_augmented_as_torch(fn):
    _same(fn)


# ---------------------------------------------------------------- fill_, zero_, copy_ in a graph
def _fill_tensor(m):
    w, s = m.ones(3, requires_grad=True), m.tensor(3.0, requires_grad=True)
    y = w * 2
    y.fill_(s)
    (y * w).sum().backward()
    return m.cat([w.grad, s.grad.reshape(1), m.tensor([float(y.requires_grad)])])


def _fill_number(m):
    w = m.ones(3, requires_grad=True)
    y = w * 2
    y.fill_(4.0)
    (y * w).sum().backward()
    return m.cat([w.grad, m.tensor([float(y.requires_grad)])])


def _zero(m):
    w = m.ones(3, requires_grad=True)
    y = w * 2
    y.zero_()
    y.sum().backward()
    return w.grad


def _fill_a_view(m):
    w, s = m.ones(3, requires_grad=True), m.tensor(3.0, requires_grad=True)
    y = w * 2
    y[1].fill_(s)
    (y * w).sum().backward()
    return m.cat([w.grad, s.grad.reshape(1)])


def _fill_a_plain_tensor(m):
    s = m.tensor(3.0, requires_grad=True)
    x = m.zeros(3)
    x.fill_(s)
    (x * m.arange(3.0)).sum().backward()
    return s.grad


def _copy_a_constant(m):
    w = m.ones(3, requires_grad=True)
    x = w * 2
    x.copy_(m.ones(3))
    x.sum().backward()
    return m.cat([w.grad, m.tensor([float(x.requires_grad)])])


@pytest.mark.parametrize("fn", [_fill_tensor, _fill_number, _zero, _fill_a_view,
                                _fill_a_plain_tensor, _copy_a_constant])
def test_fill_zero_copy_in_a_graph_as_torch(fn):
    _same(fn)


def test_fill_nodes_carry_torchs_names_in_torch_mode():
    from tinygrad_sgd.printing import OPTIONS
    old = OPTIONS.namespace
    OPTIONS.namespace = "torch"
    try:
        for fn, name in [(lambda y, s: y.fill_(s), "FillBackward3"),
                         (lambda y, s: y.fill_(2.0), "FillBackward2"),
                         (lambda y, s: y.zero_(), "ZeroBackward0")]:
            y = tg.ones(3, requires_grad=True) * 2
            fn(y, tg.tensor(1.0, requires_grad=True))
            assert type(y.grad_fn).__name__ == name or y.grad_fn.name() == name
    finally:
        OPTIONS.namespace = old


# ---------------------------------------------------------------- view, diag, searchsorted, ...
@pytest.mark.parametrize("make", [
    lambda m: m.arange(6.0).reshape(2, 3).t().view(6),
    lambda m: m.arange(6.0).reshape(2, 3)[:, 1:3].view(4),
    lambda m: m.arange(6.0).reshape(2, 3).expand(2, 2, 3).view(12),
    lambda m: m.arange(6.0).reshape(2, 3).t().view(-1, 1),
    lambda m: m.arange(6.0).reshape(2, 3).t().view(3, 2),
    lambda m: m.arange(6.0).reshape(2, 3)[:, :1].view(2),
    lambda m: m.zeros(0, 3).t().view(3, 0),
    lambda m: m.arange(12.0).reshape(3, 4)[:, ::2].view(3, 2, 1),
])
def test_view_refuses_what_needs_a_copy(make):
    _same(make)


def test_a_view_shares_memory():
    x = tg.arange(6.0).reshape(2, 3)
    v = x.t().view(3, 2)
    v[0, 0] = 100.0
    assert x[0, 0].item() == 100.0


def _diag_written(m):
    a = m.arange(4.0).reshape(2, 2)
    d = m.diag(a)
    d += 1
    return m.cat([a.reshape(-1), d])


def _diag_written_in_graph(m):
    x = m.arange(4.0).reshape(2, 2).requires_grad_()
    y = x * 1
    y.diag().mul_(10)
    (y * y).sum().backward()
    return x.grad


@pytest.mark.parametrize("fn", [_diag_written, _diag_written_in_graph])
def test_diag_of_a_matrix_is_a_copy(fn):
    _same(fn)


_NAN = float("nan")


@pytest.mark.parametrize("seq,values", [
    ([1.0, 3.0, _NAN], [0.0, 1.0, 2.0, 3.0, 5.0, _NAN, float("inf"), -float("inf")]),
    ([_NAN, 1.0, 3.0], [0.0, 1.0, 3.0, 5.0, _NAN]),
    ([[1.0, 2.0, _NAN], [_NAN, _NAN, _NAN]], [[1.5, _NAN], [0.0, 2.0]]),
    ([1.0, 2.0, 3.0], [_NAN, 2.0]),
    (np.zeros((2, 0)).tolist(), [[1.0], [2.0]]),
])
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_and_bucketize_with_nan_as_torch(seq, values, right):
    _same(lambda m: m.searchsorted(m.tensor(seq), m.tensor(values), right=right))
    if np.ndim(seq) == 1:
        _same(lambda m: m.bucketize(m.tensor(values), m.tensor(seq), right=right))


@pytest.mark.parametrize("dtype,alpha", [("int64", 2.5), ("int32", -1.7), ("float32", 2.5),
                                         ("float64", -0.5)])
def test_index_add_alpha_in_the_inputs_type(dtype, alpha):
    def run(m):
        dt = getattr(m, dtype)
        return m.tensor([1, 2, 3], dtype=dt).index_add(
            0, m.tensor([0, 0, 2]), m.tensor([5, 6, 7], dtype=dt), alpha=alpha)
    _same(run)


# ---------------------------------------------------------------- Module details
def _frozen_bn_net(m):
    class Frozen(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = m.nn.BatchNorm1d(2)

        def train(self, mode=True):
            super().train(mode)
            self.bn.eval()                  # keep the statistics frozen
            return self

        def forward(self, x):
            return self.bn(x)
    return m.nn.Sequential(Frozen(), m.nn.Linear(2, 2))


def test_train_asks_each_child_its_own_train():
    for m in (torch, tg):
        net = _frozen_bn_net(m)
        net.eval()
        net.train()
        assert net.training and net[1].training and net[0].training
        assert not net[0].bn.training
        net(m.ones(4, 2) * m.arange(4.0).reshape(4, 1))
        assert net[0].bn.running_mean.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("kind", ["dict", "OrderedDict", "pairs"])
def test_parameter_dict_order_as_torch(kind):
    from collections import OrderedDict
    keys = ["w", "b", "a", "z"]
    orders = []
    for m in (torch, tg):
        items = [(k, m.nn.Parameter(m.zeros(i + 1))) for i, k in enumerate(keys)]
        given = {"dict": dict, "OrderedDict": OrderedDict, "pairs": list}[kind](items)
        pd = m.nn.ParameterDict(given)
        orders.append((list(pd.keys()), [n for n, _ in pd.named_parameters()],
                       list(pd.state_dict())))
    assert orders[0] == orders[1]


def test_module_to_keeps_integer_parameters_and_the_grad_object():
    for m in (torch, tg):
        lin = m.nn.Linear(2, 2)
        lin.count = m.nn.Parameter(m.ones(2, dtype=m.int64), requires_grad=False)
        lin(m.ones(1, 2)).sum().backward()
        grad = lin.weight.grad
        lin.double()
        assert lin.count.dtype == m.int64
        assert lin.weight.dtype == m.float64 and lin.weight.grad.dtype == m.float64
        assert grad is lin.weight.grad and grad.dtype == m.float64   # the same object


def _expand_same_shape_written(m):
    x = m.ones(2, 3)
    x.expand(2, 3).add_(1)
    z = m.ones(3)
    z.expand(1, 3).mul_(3)
    return m.cat([x.reshape(-1), z])


def _expand_repeating_written(m):
    y = m.ones(1, 3)
    y.expand(2, 3).add_(1)
    return y


@pytest.mark.parametrize("fn", [_expand_same_shape_written, _expand_repeating_written])
def test_expand_writable_where_nothing_repeats(fn):
    _same(fn)
