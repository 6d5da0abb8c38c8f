"""The functions of functions/scatter_more.py, copies.py, creation_more.py, interop.py,
numeric_gradient.py and random_more.py against torch: index_put(_), put(_), index_reduce(_),
diagonal/select/slice_scatter (values, dtypes, gradients w.r.t. every float input, second
order), the *_copy functions and split variants, the complex-number names on real tensors,
predicates, nonzero_static, fill, apply_/map_/map2_, data_ptr, Tensor.new, scalar_tensor,
asarray, empty_strided/empty_permuted, frobenius/nuclear_norm, range, frombuffer, DLPack,
addbmm_, torch.gradient, the cauchy_/geometric_/log_normal_ samplers (bit for bit), and each
misuse's error class. (house: long file — one table per family, kept together.)"""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from strategies import assert_same, check_against_torch

pytestmark = [pytest.mark.filterwarnings("ignore:index_reduce.. is in beta"),
              pytest.mark.filterwarnings("ignore:.*uint8"),
              pytest.mark.filterwarnings("ignore:.*is deprecated")]
R = np.random.default_rng(0)


def u(*shape):
    return R.uniform(-2, 2, shape)


def ints(*shape):
    """Small integers as floats: ties for amax/amin, exact products."""
    return R.integers(-2, 3, shape).astype(np.float64)


def T(L, data, dtype=None):
    return L.tensor(np.asarray(data)) if dtype is None else L.tensor(np.asarray(data, dtype))


def _check(fn, arrs, dtype, label, second_order=True):
    arrs = [a.astype(dtype) for a in arrs]
    if dtype == np.float64:
        check_against_torch(fn, arrs, rtol=1e-9, atol=1e-12, second_order=second_order,
                            label=label)
    else:
        check_against_torch(fn, arrs, rtol=1e-5, atol=1e-6, second_order=False, label=label)


MASK = np.array([[True, False, True, False], [False, False, True, True],
                 [True, True, False, False]])

# (label, x shape, indices (lib) -> tuple, values shape, accumulate)
INDEX_PUT = [
    ("rows", (3, 4), lambda L: (T(L, [2, 0]),), (2, 4), False),
    ("rows broadcast values", (3, 4), lambda L: (T(L, [2, 0]),), (4,), False),
    ("rows 0-d value", (3, 4), lambda L: (T(L, [1]),), (), False),
    ("duplicates accumulate", (3, 4), lambda L: (T(L, [1, 1, 0, 1]),), (4, 4), True),
    ("duplicates accumulate broadcast", (3, 4), lambda L: (T(L, [2, 2]),), (1, 4), True),
    ("pairs negative", (3, 4), lambda L: (T(L, [-1, 0]), T(L, [-1, -4])), (2,), False),
    ("pairs accumulate dup", (3, 4), lambda L: (T(L, [0, 0, 2]), T(L, [1, 1, -1])), (3,), True),
    ("int32 index", (3, 4), lambda L: (T(L, [0, 2], np.int32),), (2, 4), True),
    ("mask 2-d", (3, 4), lambda L: (T(L, MASK),), (6,), False),
    ("mask 2-d 0-d value", (3, 4), lambda L: (T(L, MASK),), (), True),
    ("mask rows", (3, 4), lambda L: (T(L, [True, False, True]),), (4,), False),
    ("broadcast indices 3-d", (2, 3, 5), lambda L: (T(L, [[0], [1]]), T(L, [0, 2])), (5,), False),
    ("broadcast indices 3-d acc", (2, 3, 5), lambda L: (T(L, [[0], [0]]), T(L, [1, 1])), (2, 2, 5),
     True),
]


@pytest.mark.parametrize("case", INDEX_PUT, ids=[c[0] for c in INDEX_PUT])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_index_put(case, dtype):
    label, shape, idx, vshape, acc = case
    _check(lambda L, x, v: x.index_put(idx(L), v, accumulate=acc), [u(*shape), u(*vshape)],
           dtype, label)
    _check(lambda L, x, v: L.index_put(x, idx(L), v, acc), [u(*shape), u(*vshape)], dtype,
           label + " (function)")


@pytest.mark.parametrize("case", INDEX_PUT, ids=[c[0] for c in INDEX_PUT])
def test_index_put_in_place(case):
    label, shape, idx, vshape, acc = case

    def fn(L, x, v):
        y = x * 1.0
        assert y.index_put_(idx(L), v, accumulate=acc) is y
        assert L.index_put_(y, idx(L), v * 2, acc) is y
        return y * 2.0
    _check(fn, [u(*shape), u(*vshape)], np.float64, label)


def test_index_put_integers_and_memory():
    for L in (tg, torch):
        x = L.tensor([[1, 2, 3], [4, 5, 6]])
        alias = x.view(-1)
        x.index_put_((L.tensor([1, 1]), L.tensor([0, 0])), L.tensor([10, 20]), accumulate=True)
        assert alias.tolist() == [1, 2, 3, 34, 5, 6]
        assert x.index_put((L.tensor([0]),), L.tensor(7)).tolist() == [[7, 7, 7], [34, 5, 6]]


# (label, x shape, index, source shape, accumulate)
PUT = [
    ("plain", (3, 4), [0, 5, -1], (3,), False),
    ("2-d index 1-d source", (3, 4), [[0, 5], [7, -2]], (4,), False),
    ("accumulate duplicates", (3, 4), [1, 1, -11, 3, 3], (5,), True),
    ("0-d self", (), [0, -1], (2,), True),
    ("accumulate 2-d source", (2, 3), [[0, 0, 0]], (3, 1), True),
]


@pytest.mark.parametrize("case", PUT, ids=[c[0] for c in PUT])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_put(case, dtype):
    label, shape, index, sshape, acc = case
    _check(lambda L, x, s: x.put(T(L, index), s, acc), [u(*shape), u(*sshape)], dtype, label)
    _check(lambda L, x, s: L.put(x, T(L, index), s, accumulate=acc), [u(*shape), u(*sshape)],
           dtype, label + " (function)")

    def in_place(L, x, s):
        y = x * 1.0
        assert y.put_(T(L, index), s, acc) is y
        return y
    _check(in_place, [u(*shape), u(*sshape)], dtype, label + " (in place)")


# (label, x, dim, index, source)
INDEX_REDUCE = [
    ("dim0 duplicates", ints(3, 4), 0, [0, 2, 0, 0], ints(4, 4)),
    ("dim1 negative dim", ints(2, 5), -1, [4, 1, 4], u(2, 3)),
    ("3-d dim1", u(2, 3, 2), 1, [2, 2, 0], u(2, 3, 2)),
    ("0-d", np.array(1.5), 0, [0], np.array(-0.5)),
    ("empty index", u(3, 2), 0, [], u(0, 2)),
]


@pytest.mark.parametrize("case", INDEX_REDUCE, ids=[c[0] for c in INDEX_REDUCE])
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(case, reduce, include_self):
    label, x, dim, index, src = case

    def fn(L, x, s):
        return x.index_reduce(dim, T(L, index, np.int64), s, reduce, include_self=include_self)
    _check(fn, [x, src], np.float64, f"{label} {reduce}")
    _check(fn, [x, src], np.float32, f"{label} {reduce}")

    def in_place(L, x, s):
        y = x * 1.0
        assert y.index_reduce_(dim, T(L, index, np.int64), s, reduce,
                               include_self=include_self) is y
        return L.index_reduce(y, dim, T(L, index, np.int64), s, reduce) * 1.0
    _check(in_place, [x, src], np.float64, f"{label} {reduce} (in place)")


def test_index_reduce_prod_with_zeros():
    x = np.array([[0.0, 2.0, 1.5], [3.0, 0.0, -1.0]])
    src = np.array([[2.0, 0.0, 0.5], [0.0, 0.0, 4.0], [1.5, -2.0, 0.0]])
    for inc in (True, False):
        _check(lambda L, a, s: a.index_reduce(0, T(L, [0, 1, 1]), s, "prod", include_self=inc),
               [x, src], np.float64, f"prod zeros include_self={inc}")


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce_integers(dtype, reduce):
    x = R.integers(-9, 10, (3, 4)).astype(dtype)
    src = R.integers(-9, 10, (5, 4)).astype(dtype)
    outs = [L.tensor(x).index_reduce(0, L.tensor([0, 2, 0, 0, 1]), L.tensor(src), reduce,
                                     include_self=inc)
            for inc in (True, False) for L in (tg, torch)]
    assert_same(outs[0], outs[1], what=reduce)
    assert_same(outs[2], outs[3], what=reduce + " include_self=False")


# (label, fn (lib, x, src), x, src)
SCATTERS = [
    ("diagonal", lambda L, x, s: x.diagonal_scatter(s), u(3, 4), u(3)),
    ("diagonal offset", lambda L, x, s: L.diagonal_scatter(x, s, 1), u(3, 4), u(3)),
    ("diagonal negative offset", lambda L, x, s: x.diagonal_scatter(s, -2), u(4, 3), u(2)),
    ("diagonal 3-d dims", lambda L, x, s: x.diagonal_scatter(s, 1, 0, 2), u(2, 3, 4), u(3, 2)),
    ("diagonal 3-d negative dims", lambda L, x, s: x.diagonal_scatter(s, 0, -1, -3),
     u(3, 2, 4), u(2, 3)),
    ("diagonal empty", lambda L, x, s: x.diagonal_scatter(s, 5), u(2, 3), u(0)),
    ("select", lambda L, x, s: x.select_scatter(s, 1, -1), u(3, 4), u(3)),
    ("select 1-d", lambda L, x, s: L.select_scatter(x, s, 0, 2), u(4), np.array(0.5)),
    ("select 3-d", lambda L, x, s: x.select_scatter(s, 0, 1), u(2, 3, 4), u(3, 4)),
    ("slice", lambda L, x, s: x.slice_scatter(s, 1, 0, None, 2), u(3, 4), u(3, 2)),
    ("slice negative", lambda L, x, s: L.slice_scatter(x, s, 1, -3, -1), u(3, 4), u(3, 2)),
    ("slice clamped", lambda L, x, s: x.slice_scatter(s, 0, -30, 100), u(3, 4), u(3, 4)),
    ("slice defaults", lambda L, x, s: x.slice_scatter(s), u(2, 4), u(2, 4)),
    ("slice step 3", lambda L, x, s: x.slice_scatter(s, dim=-1, start=1, step=3), u(2, 7),
     u(2, 2)),
    ("slice empty", lambda L, x, s: x.slice_scatter(s, 1, 3, 1), u(3, 4), u(3, 0)),
]


@pytest.mark.parametrize("case", SCATTERS, ids=[c[0] for c in SCATTERS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_view_scatters(case, dtype):
    label, fn, x, src = case
    _check(fn, [x, src], dtype, label)


def test_view_scatters_cast_src_and_keep_integers():
    for L in (tg, torch):
        x = L.zeros(2, 3)
        out = x.select_scatter(L.ones(3, dtype=L.float64), 0, 1)
        assert out.dtype == L.float32 and out.tolist() == [[0, 0, 0], [1, 1, 1]]
    ours = tg.arange(6).reshape(2, 3).diagonal_scatter(tg.tensor([7, 8]))
    ref = torch.arange(6).reshape(2, 3).diagonal_scatter(torch.tensor([7, 8]))
    assert_same(ours, ref)


def _errors(L):
    x = L.zeros(3, 4)
    return {
        "index_put indices not tuple": lambda: x.index_put(L.tensor([1]), L.tensor(1.0)),
        "index_put None index": lambda: x.index_put((None, L.tensor([1])), L.tensor(1.0)),
        "index_put float index": lambda: x.index_put((L.tensor([1.0]),), L.tensor(1.0)),
        "index_put dtype": lambda: x.index_put((L.tensor([1]),), L.ones(1, dtype=L.float64)),
        "index_put values number": lambda: x.index_put((L.tensor([1]),), 1.0),
        "index_put shape": lambda: x.index_put((L.tensor([1, 2]),), L.ones(3)),
        "index_put extra value dim": lambda: x.index_put((L.tensor([1, 2]),), L.ones(1, 1, 4)),
        "index_put out of range": lambda: x.index_put((L.tensor([5]),), L.ones(1)),
        "index_put no indices": lambda: x.index_put((), L.ones(3, 4)),
        "index_put too many": lambda: x.index_put((L.tensor([0]),) * 3, L.ones(1)),
        "index_put 0-d": lambda: L.tensor(3.0).index_put((L.tensor(0),), L.tensor(1.0)),
        "index_put mask shape": lambda: x.index_put((L.ones(2, dtype=L.bool),), L.ones(4)),
        "put out of range": lambda: x.put(L.tensor([1, 12]), L.ones(2)),
        "put numel": lambda: x.put(L.tensor([1, 2]), L.ones(3)),
        "put dtype": lambda: x.put(L.tensor([1, 2]), L.ones(2, dtype=L.float64)),
        "put float index": lambda: x.put(L.tensor([1.0, 2.0]), L.ones(2)),
        "put int32 index": lambda: x.put(L.tensor([1, 2], dtype=L.int32), L.ones(2)),
        "index_reduce sum": lambda: x.index_reduce(0, L.tensor([0]), L.ones(1, 4), "sum"),
        "index_reduce dtype": lambda: x.index_reduce(0, L.tensor([0]),
                                                     L.ones(1, 4, dtype=L.float64), "prod"),
        "index_reduce float index": lambda: x.index_reduce(0, L.tensor([0.0]), L.ones(1, 4),
                                                           "prod"),
        "index_reduce range": lambda: x.index_reduce(0, L.tensor([3]), L.ones(1, 4), "prod"),
        "index_reduce negative": lambda: x.index_reduce(0, L.tensor([-1]), L.ones(1, 4), "amax"),
        "index_reduce count": lambda: x.index_reduce(0, L.tensor([0, 1]), L.ones(3, 4), "mean"),
        "index_reduce 2-d index": lambda: x.index_reduce(0, L.tensor([[0]]), L.ones(1, 4),
                                                         "mean"),
        "index_reduce shape": lambda: x.index_reduce(0, L.tensor([0]), L.ones(1, 3), "amin"),
        "index_reduce dim": lambda: x.index_reduce(2, L.tensor([0]), L.ones(1, 4), "amin"),
        "diagonal_scatter size": lambda: x.diagonal_scatter(L.ones(2)),
        "diagonal_scatter same dims": lambda: x.diagonal_scatter(L.ones(3), 0, 1, 1),
        "select_scatter size": lambda: x.select_scatter(L.ones(4), 1, 0),
        "select_scatter index": lambda: x.select_scatter(L.ones(3), 1, 5),
        "slice_scatter size": lambda: x.slice_scatter(L.ones(3, 3), 1, 0, None, 2),
        "slice_scatter step": lambda: x.slice_scatter(L.ones(3, 1), 1, 0, 1, 0),
        "slice_scatter 0-d": lambda: L.tensor(2.0).slice_scatter(L.ones(()), 0),
        "split_with_sizes sum": lambda: x.split_with_sizes([1, 1]),
        "unsafe_split list": lambda: L.unsafe_split(x, [1, 2]),
        "mH 1-d": lambda: L.ones(3).mH,
        "H 3-d": lambda: L.ones(2, 2, 2).H,
        "adjoint 1-d": lambda: L.ones(3).adjoint(),
        "imag": lambda: x.imag,
        "nonzero_static size": lambda: L.tensor([1]).nonzero_static(size=-1),
        "fill 1-d value": lambda: L.fill(x, L.ones(2)),
        "apply_ requires grad": lambda: L.ones(2, requires_grad=True).apply_(lambda v: v),
        "map_ shape": lambda: L.ones(4).map_(L.ones(2), lambda a, b: a),
        "map_ dtype": lambda: L.ones(4).map_(L.ones(4, dtype=L.float64), lambda a, b: a),
        "asarray alias dtype": lambda: L.asarray(np.ones(2), dtype=L.float32, copy=False),
        "asarray alias list": lambda: L.asarray([1, 2], copy=False),
        "empty_strided": lambda: L.empty_strided((2, 3), (1,)),
        "empty_permuted duplicate": lambda: L.empty_permuted((2, 3), (0, 0)),
        "empty_permuted length": lambda: L.empty_permuted((2, 3), (0,)),
    }


@pytest.mark.parametrize("name", list(_errors(torch)))
def test_errors_match_torch(name):
    with pytest.raises(Exception) as ref:
        _errors(torch)[name]()
    with pytest.raises(ref.type):
        _errors(tg)[name]()


# ---------------------------------------------------------------------------- copies, splits
# (label, fn (lib, x), x)
COPIES = [
    ("narrow_copy", lambda L, x: x.narrow_copy(1, 1, 2), u(3, 4)),
    ("narrow_copy function", lambda L, x: L.narrow_copy(x, -1, -3, 2), u(3, 4)),
    ("alias_copy", lambda L, x: L.alias_copy(x), u(3, 4)),
    ("diagonal_copy", lambda L, x: L.diagonal_copy(x, 1), u(3, 4)),
    ("expand_copy", lambda L, x: L.expand_copy(x, (2, 3, 4)), u(3, 1)),
    ("permute_copy", lambda L, x: L.permute_copy(x, (2, 0, 1)), u(2, 3, 4)),
    ("select_copy", lambda L, x: L.select_copy(x, 1, -1), u(3, 4)),
    ("slice_copy", lambda L, x: L.slice_copy(x, 1, 1, None, 2), u(3, 4)),
    ("slice_copy defaults", lambda L, x: L.slice_copy(x), u(3, 4)),
    ("squeeze_copy", lambda L, x: L.squeeze_copy(x), u(3, 1, 4, 1)),
    ("squeeze_copy dim", lambda L, x: L.squeeze_copy(x, 1), u(3, 1, 4, 1)),
    ("t_copy", lambda L, x: L.t_copy(x), u(3, 4)),
    ("transpose_copy", lambda L, x: L.transpose_copy(x, 0, -1), u(2, 3, 4)),
    ("unfold_copy", lambda L, x: L.unfold_copy(x, 1, 2, 1), u(3, 4)),
    ("unsqueeze_copy", lambda L, x: L.unsqueeze_copy(x, -1), u(3, 4)),
    ("view_copy", lambda L, x: L.view_copy(x, (4, 3)), u(3, 4)),
    ("view_copy -1", lambda L, x: L.view_copy(x, [-1]), u(3, 4)),
    ("split_copy", lambda L, x: L.cat(L.split_copy(x, 3, 1), 1), u(2, 7)),
    ("split_with_sizes_copy", lambda L, x: L.split_with_sizes_copy(x, [1, 2])[1], u(3, 4)),
    ("unbind_copy", lambda L, x: L.unbind_copy(x, 1)[2], u(3, 4)),
    ("split_with_sizes", lambda L, x: x.split_with_sizes([3, 0, 1], 1)[0], u(3, 4)),
    ("split_with_sizes function", lambda L, x: L.split_with_sizes(x, (2, 1))[1], u(3, 4)),
    ("unsafe_split", lambda L, x: L.cat(x.unsafe_split(2, 1), 1), u(3, 5)),
    ("unsafe_split function", lambda L, x: L.unsafe_split(x, 2)[1], u(3, 4)),
    ("unsafe_chunk", lambda L, x: L.cat(L.unsafe_chunk(x, 3, -1), -1), u(2, 7)),
    ("unsafe_split_with_sizes", lambda L, x: x.unsafe_split_with_sizes([2, 2], 1)[1], u(3, 4)),
    ("adjoint", lambda L, x: x.adjoint() * 1.0, u(2, 3, 4)),
    ("mH", lambda L, x: x.mH * 1.0, u(2, 3, 4)),
    ("H", lambda L, x: x.H * 1.0, u(3, 4)),
    ("conj", lambda L, x: (x.conj() * 2).conj_physical() * x.resolve_conj().resolve_neg(), u(3)),
    ("real", lambda L, x: L.real(x.real) * 2, u(3)),
    ("fill number", lambda L, x: L.fill(x, 2.5) * x, u(3, 2)),
]


@pytest.mark.parametrize("case", COPIES, ids=[c[0] for c in COPIES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_copies_and_aliases(case, dtype):
    label, fn, x = case
    _check(fn, [x], dtype, label)


@pytest.mark.parametrize("name,args", [("narrow_copy", (0, 0, 1)), ("select_copy", (0, 0)),
                                       ("t_copy", ()), ("detach_copy", ()),
                                       ("diagonal_copy", ()), ("view_copy", ((6,),))])
def test_copies_own_their_memory(name, args):
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    fn = getattr(tg, name, None) if name != "narrow_copy" else tg.narrow_copy
    out = fn(x, *args)
    assert not np.shares_memory(out.array, x.array)
    assert_same(out, getattr(torch, name)(torch.tensor(np.arange(6.0).reshape(2, 3)), *args))


def test_detach_copy_and_fill_tensor_value():
    x = tg.ones(2, requires_grad=True)
    assert not tg.detach_copy(x).requires_grad
    grads = []
    for L in (tg, torch):
        a = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        v = L.tensor(2.0, requires_grad=True)
        out = L.fill(a * 1.0, v)
        assert out.tolist() == [2.0, 2.0, 2.0]
        (out * L.tensor([1.0, 2.0, 4.0])).sum().backward()
        grads.append((a.grad, v.grad))
    assert_same(grads[0][0], grads[1][0])
    assert_same(grads[0][1], grads[1][1])
    assert_same(tg.fill(tg.tensor([1, 2]), 3.7), torch.fill(torch.tensor([1, 2]), 3.7))


def test_complex_names_return_self():
    x = tg.ones(2, 3)
    for f in ("conj", "conj_physical", "resolve_conj", "resolve_neg", "conj_physical_"):
        assert getattr(x, f)() is x and getattr(tg, f)(x) is x
    assert x.real is x and tg.real(x) is x
    assert not x.is_conj() and not tg.is_neg(x) and not x.is_inference()
    assert tg.is_inference(x) is False


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64",
                                   "float16", "float32", "float64"])
def test_is_signed_isreal_angle(dtype):
    a = np.array([-2, 0, 1, 3]).astype(dtype)
    assert tg.tensor(a).is_signed() == torch.tensor(a).is_signed() == tg.is_signed(tg.tensor(a))
    assert_same(tg.isreal(tg.tensor(a)), torch.isreal(torch.tensor(a)))
    if dtype not in ("bool", "float16"):
        assert_same(tg.angle(tg.tensor(a)), torch.angle(torch.tensor(a)), rtol=1e-7)


def test_angle_values_and_gradient():
    a = np.array([-1.5, 0.0, -0.0, 2.0, np.nan, -np.inf, np.inf])
    assert_same(tg.tensor(a).angle(), torch.tensor(a).angle())
    check_against_torch(lambda L, x: L.angle(x) + x, [u(2, 3)], label="angle")


@pytest.mark.parametrize("data,size,fill", [([1, 0, 3], 4, -1), ([[1, 0], [3, 4]], 2, 7),
                                            (3, 2, -1), ([0.0, 0.0], 3, 5), ([1, 2], 0, -1),
                                            ([[True, False], [True, True]], 5, -9)])
def test_nonzero_static(data, size, fill):
    ours = tg.nonzero_static(tg.tensor(data), size=size, fill_value=fill)
    assert_same(ours, torch.tensor(data).nonzero_static(size=size, fill_value=fill))


def test_apply_map_map2():
    for dtype in ("float32", "float64", "int64"):
        a = np.array([[1, 2, 3], [4, 5, 6]]).astype(dtype)
        outs = []
        for L in (tg, torch):
            x = L.tensor(a.copy())
            alias = x.view(-1)
            assert x.apply_(lambda v: v / 3 + 1) is x
            assert x.map_(L.tensor(a[0].copy()), lambda p, q: p * q - 1) is x
            assert x.map2_(L.tensor(a[:, :1].copy()), L.tensor(a.copy()),
                           lambda p, q, r: p + q * r) is x
            outs.append((x, alias))
        assert_same(outs[0][0], outs[1][0], rtol=1e-6)
        assert_same(outs[0][1], outs[1][1], rtol=1e-6)


def test_data_ptr():
    x = tg.arange(6.0)
    assert x.data_ptr() == x.array.ctypes.data
    assert x[2:].data_ptr() == x.data_ptr() + 2 * x.element_size()
    assert x.view(2, 3).data_ptr() == x.data_ptr()
    assert x.clone().data_ptr() != x.data_ptr()


def test_new_empty_strided():
    for L in (tg, torch):
        x = L.ones(2, dtype=L.float64)
        out = x.new_empty_strided((2, 3), (3, 1))
        assert tuple(out.shape) == (2, 3) and out.dtype == L.float64
        out = x.new_empty_strided((4,), (1,), dtype=L.int64, requires_grad=False)
        assert out.dtype == L.int64 and not out.requires_grad


@pytest.mark.parametrize("args", [(2, 3), ([1, 2],), ((2, 3),), (), ("size",), ("tensor",),
                                  (np.ones(2),), ([[1.5, 2]],), (3.5,), ("int tensor",)])
def test_legacy_new(args):
    results = []
    for L in (tg, torch):
        x = L.ones(2, dtype=L.float64, requires_grad=True)
        made = {"size": (L.Size([2, 3]),), "tensor": (L.tensor([1.0, 2.0], dtype=L.float64),),
                "int tensor": (L.tensor([1, 2]),)}.get(args[0] if args and isinstance(args[0], str) else None, args)
        try:
            results.append(x.new(*made))
        except TypeError:
            results.append(TypeError)
    if results[1] is TypeError:
        assert results[0] is TypeError
        return
    assert tuple(results[0].shape) == tuple(results[1].shape)
    assert results[0].dtype == tg.float64 and not results[0].requires_grad
    if not args or not (isinstance(args[0], (int, str)) and args[0] in (2, "size")):
        assert_same(results[0], results[1])


# ---------------------------------------------------------------------------- creation
@pytest.mark.parametrize("value,kwargs", [(3, {}), (True, {}), (2.5, {}), (-4, {"dtype": "int64"}),
                                          (1.5, {"dtype": "float64"}),
                                          (2.0, {"requires_grad": True})])
def test_scalar_tensor(value, kwargs):
    mine = {k: getattr(tg, v) if k == "dtype" else v for k, v in kwargs.items()}
    ref = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
    ours, theirs = tg.scalar_tensor(value, **mine), torch.scalar_tensor(value, **ref)
    assert_same(ours, theirs)
    assert ours.requires_grad == theirs.requires_grad


@pytest.mark.parametrize("obj", [[1, 2], [1.5, 2], 3.5, [[True, False]], np.float32(2),
                                 np.arange(3), np.ones((2, 2), np.float32)])
@pytest.mark.parametrize("dtype", [None, "float64", "int32"])
def test_asarray_values(obj, dtype):
    ours = tg.asarray(obj, dtype=None if dtype is None else getattr(tg, dtype))
    theirs = torch.asarray(obj, dtype=None if dtype is None else getattr(torch, dtype))
    assert_same(ours, theirs)


def test_asarray_memory_and_graph():
    a = np.ones(3)
    t = tg.asarray(a)
    t[0] = 5.0
    assert a[0] == 5.0
    b = tg.asarray(a, copy=True)
    b[1] = 7.0
    assert a[1] == 1.0
    x = tg.ones(3, requires_grad=True)
    assert tg.asarray(x) is x
    assert tg.asarray(x, copy=True).grad_fn is not None
    assert tg.asarray(x, dtype=tg.float64).dtype == tg.float64
    y = tg.asarray([1.0, 2.0], requires_grad=True)
    assert y.requires_grad and y.grad_fn is None


def test_empty_strided_and_permuted():
    for L in (tg, torch):
        out = L.empty_strided((2, 3), (1, 2), dtype=L.float64)
        assert tuple(out.shape) == (2, 3) and out.dtype == L.float64
        out = L.empty_permuted((2, 3, 4), (0, 2, 1), requires_grad=True)
        assert tuple(out.shape) == (2, 3, 4) and out.requires_grad and out.dtype == L.float32


# ---------------------------------------------------------------------------- interop.py
NORMS = [
    ("frobenius dims", lambda L, x: L.frobenius_norm(x, (0, 1)), u(3, 4)),
    ("frobenius keepdim", lambda L, x: L.frobenius_norm(x, 1, keepdim=True), u(3, 4)),
    ("frobenius list", lambda L, x: L.frobenius_norm(x, [0]), u(3, 4)),
    ("nuclear", lambda L, x: L.nuclear_norm(x), u(3, 4)),
    ("nuclear keepdim", lambda L, x: L.nuclear_norm(x, True), u(4, 3)),
    ("nuclear dims", lambda L, x: L.nuclear_norm(x, (0, 2)), u(3, 2, 4)),
    ("nuclear batch", lambda L, x: L.nuclear_norm(x, keepdim=False), u(2, 3, 3)),
]


@pytest.mark.parametrize("case", NORMS, ids=[c[0] for c in NORMS])
def test_norms(case):
    label, fn, x = case
    _check(fn, [x], np.float64, label, second_order=False)
    _check(fn, [x], np.float32, label)


@pytest.mark.parametrize("args,kwargs", [((0, 3), {}), ((1, 2, 0.5), {}), ((3, 0, -1), {}),
                                         ((0, 3), {"dtype": "int64"}), ((-4, 4), {}),
                                         ((0.1, 1.0, 0.3), {"dtype": "float64"}),
                                         ((-1, 1, 0.25), {"requires_grad": True})])
def test_range(args, kwargs):
    results = []
    for L in (tg, torch):
        kw = {k: getattr(L, v) if k == "dtype" else v for k, v in kwargs.items()}
        with pytest.warns(UserWarning, match="deprecated"):
            results.append(L.range(*args, **kw))
    assert_same(results[0], results[1], rtol=1e-12)
    assert results[0].requires_grad == results[1].requires_grad


def _interop_errors(L):
    return {"range sign": lambda: L.range(0, 3, -1),
            "range no end": lambda: L.range(4),
            "range zero step": lambda: L.range(0, 3, 0),
            "frombuffer count": lambda: L.frombuffer(bytearray(8), dtype=L.float32, count=3),
            "frombuffer offset": lambda: L.frombuffer(bytearray(8), dtype=L.float32, offset=8),
            "frombuffer length": lambda: L.frombuffer(bytearray(7), dtype=L.float32),
            "frombuffer empty": lambda: L.frombuffer(bytearray(0), dtype=L.uint8),
            "frombuffer no dtype": lambda: L.frombuffer(bytearray(8)),
            "frobenius no dim": lambda: L.frobenius_norm(L.ones(2, 2))}


@pytest.mark.parametrize("name", list(_interop_errors(torch)))
def test_interop_errors(name):
    with pytest.raises(Exception) as ref:
        _interop_errors(torch)[name]()
    with pytest.raises(ref.type):
        _interop_errors(tg)[name]()


def test_frombuffer_shares_memory():
    for L in (tg, torch):
        buf = bytearray(np.arange(4, dtype=np.int32).tobytes())
        t = L.frombuffer(buf, dtype=L.int32, count=2, offset=4)
        assert t.tolist() == [1, 2]
        t[0] = 9
        assert np.frombuffer(buf, np.int32).tolist() == [0, 9, 2, 3]
    with pytest.warns(UserWarning, match="not writable"):
        assert tg.frombuffer(b"abcd", dtype=tg.uint8).tolist() == [97, 98, 99, 100]


def test_torch_reads_a_tensor_that_requires_grad():
    x = tg.ones(2, requires_grad=True) * 3
    for make in (torch.tensor, torch.as_tensor, torch.asarray):
        assert make(x).tolist() == [3.0, 3.0]


def test_dlpack_both_ways_share_memory():
    x = tg.arange(6.0).reshape(2, 3)
    t = torch.from_dlpack(x)
    t[0, 0] = 7.0
    assert x[0, 0].item() == 7.0 and np.from_dlpack(x)[0, 0] == 7.0
    y = torch.arange(4.0)
    z = tg.from_dlpack(y)
    z[1] = 5.0
    assert y[1].item() == 5.0 and z.dtype == tg.float32
    w = tg.from_dlpack(torch.to_dlpack(y))
    assert w.tolist() == [0.0, 5.0, 2.0, 3.0]
    assert_same(torch.from_dlpack(tg.to_dlpack(x)), torch.tensor([[7.0, 1, 2], [3, 4, 5]]))


def test_names_devices_storage():
    assert tg.typename(tg.ones(2)) == tg.ones(2).type()
    assert tg.typename(tg.ones(2, dtype=tg.int64)) == tg.ones(2, dtype=tg.int64).type()
    for obj in (3, "a", [1], len, np.float64, np.ones(2)):
        assert tg.typename(obj) == torch.typename(obj)
    assert tg.typename(tg.nn.Linear(2, 2)) == f"{tg.nn.Linear.__module__}.Linear"
    x = tg.ones(2)
    assert tg.get_device(x) == x.get_device() == torch.get_device(torch.ones(2)) == -1
    assert tg.is_storage(x) is False


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2), (0, -1)])
def test_addbmm_in_place(beta, alpha):
    def fn(L, x, a, b):
        y = x * 1.0
        assert y.addbmm_(a, b, beta=beta, alpha=alpha) is y
        return y
    _check(fn, [u(3, 4), u(2, 3, 5), u(2, 5, 4)], np.float64, "addbmm_")


# ---------------------------------------------------------------------------- torch.gradient
COORDS = np.array([0.0, 0.5, 1.5, 1.7, 3.0])
GRADIENT = [
    ("defaults", (4, 5), lambda L: {}),
    ("scalar spacing", (4, 5), lambda L: {"spacing": 2.0}),
    ("spacing per dim", (4, 5), lambda L: {"spacing": [2.0, 0.5]}),
    ("dim edge 2", (4, 5), lambda L: {"dim": 1, "edge_order": 2}),
    ("dims list negative", (3, 4, 5), lambda L: {"dim": [-1, 0], "spacing": [0.5, 3]}),
    ("coordinates", (4, 5), lambda L: {"spacing": (L.tensor(COORDS),), "dim": 1}),
    ("coordinates edge 2", (4, 5), lambda L: {"spacing": [L.tensor(COORDS)], "dim": -1,
                                              "edge_order": 2}),
    ("coordinates 1-d", (5,), lambda L: {"spacing": (L.tensor(COORDS),), "edge_order": 2}),
    ("smallest", (3, 2), lambda L: {"edge_order": 1}),
]


@pytest.mark.parametrize("case", GRADIENT, ids=[c[0] for c in GRADIENT])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient(case, dtype):
    label, shape, kwargs = case

    def fn(L, x):
        kw = kwargs(L)
        if "spacing" in kw and not isinstance(kw["spacing"], float):
            kw["spacing"] = [s.to(x.dtype) if hasattr(s, "to") else s for s in kw["spacing"]]
        return L.stack(L.gradient(x, **kw))
    _check(fn, [u(*shape)], dtype, label)


def test_gradient_integers():
    ours = tg.gradient(tg.tensor([1, 4, 9, 16]))
    theirs = torch.gradient(torch.tensor([1, 4, 9, 16]))
    assert_same(ours[0], theirs[0])


def _gradient_errors(L):
    x = L.ones(3, 4)
    return {"edge order": lambda: L.gradient(x, edge_order=3),
            "too short": lambda: L.gradient(L.ones(2, 4), edge_order=2),
            "spacing length": lambda: L.gradient(x, spacing=[1.0, 2.0, 3.0]),
            "spacing length dim": lambda: L.gradient(x, spacing=[1.0, 2.0], dim=0),
            "dim range": lambda: L.gradient(x, dim=2)}


@pytest.mark.parametrize("name", list(_gradient_errors(torch)))
def test_gradient_errors(name):
    with pytest.raises(Exception) as ref:
        _gradient_errors(torch)[name]()
    with pytest.raises(ref.type):
        _gradient_errors(tg)[name]()


# ---------------------------------------------------------------------------- random_more.py
SAMPLERS = [("cauchy_", (0.5, 2.0), ("float32", "float64", "float16")),
            ("cauchy_", (), ("float32",)),
            ("geometric_", (0.3,), ("float32", "float64", "int64", "int32")),
            ("geometric_", (0.9,), ("uint8", "float16")),
            ("log_normal_", (0.5, 1.5), ("float32", "float64", "float16")),
            ("log_normal_", (), ("float64",))]


@pytest.mark.parametrize("name,args,dtypes", SAMPLERS)
@pytest.mark.parametrize("n", [1, 5, 17, 2000])
def test_samplers_bit_exact(name, args, dtypes, n):
    for dtype in dtypes:
        draws = []
        for L in (tg, torch):
            L.manual_seed(11)
            x = L.empty(n, dtype=getattr(L, dtype))
            assert getattr(x, name)(*args) is x
            draws.append((x, L.rand(3)))          # and the generator moved on alike
        assert_same(draws[0][0], draws[1][0], rtol=0, atol=0, what=f"{name} {dtype}")
        assert_same(draws[0][1], draws[1][1], rtol=0, atol=0, what=f"{name} next draw")


def test_sampler_with_generator():
    g, ref = tg.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert_same(tg.empty(40).cauchy_(generator=g), torch.empty(40).cauchy_(generator=ref),
                rtol=0, atol=0)


def _sampler_errors(L):
    return {"cauchy sigma": lambda: L.empty(3).cauchy_(0, 0),
            "cauchy int": lambda: L.empty(3, dtype=L.int64).cauchy_(),
            "geometric p 0": lambda: L.empty(3).geometric_(0),
            "geometric p 1.5": lambda: L.empty(3).geometric_(1.5),
            "geometric bool": lambda: L.empty(3, dtype=L.bool).geometric_(0.5),
            "geometric no p": lambda: L.empty(3).geometric_(),
            "log_normal std": lambda: L.empty(3).log_normal_(0, -1),
            "log_normal int": lambda: L.empty(3, dtype=L.int64).log_normal_(),
            "leaf requires grad": lambda: L.ones(3, requires_grad=True).cauchy_()}


@pytest.mark.parametrize("name", list(_sampler_errors(torch)))
def test_sampler_errors(name):
    with pytest.raises(Exception) as ref:
        _sampler_errors(torch)[name]()
    with pytest.raises(ref.type):
        _sampler_errors(tg)[name]()
