"""torch's "shell" dtypes uint16, uint32 and uint64, against torch itself: the names, what a
dtype alone answers, promotion (torch refuses it with every dtype but itself and the floats),
and a table of ops run on both libraries — the same values and dtype where torch computes,
the same error class and message where it refuses."""
import numpy as np
import pytest

import tinygrad_sgd as tg

torch = pytest.importorskip("torch")

UNSIGNED = ["uint16", "uint32", "uint64"]
OTHERS = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "bfloat16", "complex64", "complex128"]


def _dtype(lib, name):
    return getattr(lib, "bool_" if lib is tg and name == "bool" else name)


def outcome(fn, lib):
    """What ``fn(lib)`` gives, comparable across the libraries: ("ok", dtype name, values),
    ("ok", value) for a non-tensor, or ("error", class name, message)."""
    try:
        r = fn(lib)
    except Exception as e:            # (the class and the words are compared)
        return "error", type(e).__name__, str(e)
    if isinstance(r, tuple):
        return tuple(outcome(lambda _, x=x: x, lib) for x in r)
    if hasattr(r, "tolist") and hasattr(r, "dtype"):
        return "ok", str(r.dtype).rsplit(".", 1)[-1], r.tolist()
    if hasattr(r, "is_floating_point"):                   # a dtype
        return "ok", str(r).rsplit(".", 1)[-1]
    return "ok", r


def same_as_torch(fn):
    ours, theirs = outcome(fn, tg), outcome(fn, torch)
    assert ours == theirs
    return ours


# ------------------------------------------------------------------------- names and dtypes
@pytest.mark.parametrize("name", UNSIGNED)
def test_names_and_properties(name):
    d, t = getattr(tg, name), getattr(torch, name)
    assert (d.is_signed, d.itemsize, d.is_floating_point, d.is_complex) == \
        (t.is_signed, t.itemsize, t.is_floating_point, t.is_complex) == (False, d.itemsize,
                                                                         False, False)
    assert repr(d) == f"tinygrad_sgd.{name}" and repr(t) == f"torch.{name}"
    assert d == np.dtype(name) and tg.from_numpy(np.zeros(2, name)).dtype is d
    ours, theirs = {}, {}
    exec("from tinygrad_sgd import *", ours)
    exec("from torch import *", theirs)
    assert name in theirs and ours[name] is d


@pytest.mark.parametrize("name", UNSIGNED)
def test_iinfo_finfo_to_complex(name):
    i, ti = tg.iinfo(getattr(tg, name)), torch.iinfo(getattr(torch, name))
    assert (i.bits, i.min, i.max, i.dtype) == (ti.bits, ti.min, ti.max, ti.dtype)
    assert repr(i) == repr(ti)
    same_as_torch(lambda lib: lib.finfo(getattr(lib, name)))
    same_as_torch(lambda lib: getattr(lib, name).to_complex())
    assert outcome(lambda lib: getattr(lib, name).to_complex(), tg)[1] == "RuntimeError"


@pytest.mark.parametrize("other", UNSIGNED + OTHERS)
@pytest.mark.parametrize("name", UNSIGNED)
def test_promote_types_and_can_cast(name, other):
    """Refused (RuntimeError, torch's words) with all but itself and the floats, both ways."""
    for x, y in ((name, other), (other, name)):
        r = same_as_torch(lambda lib: lib.promote_types(_dtype(lib, x), _dtype(lib, y)))
        expect_error = x != y and not (other.startswith("float") or other == "bfloat16")
        assert (r[0] == "error") == expect_error
        same_as_torch(lambda lib: lib.can_cast(_dtype(lib, x), _dtype(lib, y)))


@pytest.mark.parametrize("other", ["bool", "uint8", "int16", "int64", "float16", "float32",
                                   "float64"] + UNSIGNED)
@pytest.mark.parametrize("name", UNSIGNED)
def test_tensor_promotion(name, other):
    """Dimensioned tensors promote as promote_types; 0-d ones of a lower or the same category
    do not take part (uint16 × 0-d int16 is uint16, as torch); a 0-d uint16 with an int16
    tensor is int16."""
    a = np.array([3, 1, 2], name)
    b = np.array([1, 0, 2]).astype(other)
    for fn in (lambda lib: lib.from_numpy(a) * lib.from_numpy(b),
               lambda lib: lib.from_numpy(b) * lib.from_numpy(a),
               lambda lib: lib.from_numpy(a) == lib.from_numpy(b),
               lambda lib: lib.from_numpy(a) & lib.from_numpy(b),
               lambda lib: lib.from_numpy(a) * lib.from_numpy(np.asarray(b[1])),   # 0-d other
               lambda lib: lib.from_numpy(np.asarray(a[1])) * lib.from_numpy(b),   # 0-d uint
               lambda lib: lib.cat([lib.from_numpy(a), lib.from_numpy(b)]),
               lambda lib: lib.where(lib.from_numpy(a) == 1, lib.from_numpy(a),
                                     lib.from_numpy(b)),
               lambda lib: lib.result_type(lib.from_numpy(a), lib.from_numpy(b))):
        same_as_torch(fn)


@pytest.mark.parametrize("number", [1, -1, 2.5, True, 2 ** 63, 2 ** 64])
@pytest.mark.parametrize("name", UNSIGNED)
def test_result_type_with_numbers(name, number):
    """A Python number is "weak": an int or bool keeps the tensor's dtype, a float gives the
    default float dtype; past uint64 is torch's OverflowError."""
    a = np.array([3, 1, 2], name)
    same_as_torch(lambda lib: lib.result_type(lib.from_numpy(a), number))
    same_as_torch(lambda lib: lib.result_type(number, lib.from_numpy(a)))


@pytest.mark.parametrize("data", [[np.uint16(1), 2], [np.uint16(1), np.int16(2)],
                                  [np.uint16(1), 2.5], [np.uint32(1), np.uint32(7)],
                                  [np.uint64(5), True]])
def test_inferred_from_list(data):
    same_as_torch(lambda lib: lib.tensor(data))


# ------------------------------------------------------------------------- the table of ops
def _ops():
    def u(lib, d, values=(3, 1, 2)):
        return lib.from_numpy(np.array(values, d))

    def big(lib, d):                                      # ends of the range: wrap-around
        return u(lib, d, (0, 1, np.iinfo(d).max - 1, np.iinfo(d).max))

    m = [True, False, True]
    return {
        # creation and copies
        "tensor": lambda lib, d: lib.tensor([1, 2], dtype=getattr(lib, d)),
        "tensor_max": lambda lib, d: lib.tensor([np.iinfo(d).max], dtype=getattr(lib, d)),
        "tensor_neg": lambda lib, d: lib.tensor([-1], dtype=getattr(lib, d)),
        "tensor_negs": lambda lib, d: lib.tensor([[-1, 5], [-65535, 0]], dtype=getattr(lib, d)),
        "tensor_too_big": lambda lib, d: lib.tensor([2 ** 64], dtype=getattr(lib, d)),
        "tensor_mixed": lambda lib, d: lib.tensor([-1, 2 ** 64 - 1] if d == "uint64" else
                                                  [-1, 2 ** 31 - 1], dtype=getattr(lib, d)),
        "tensor_float": lambda lib, d: lib.tensor([1.0, 2.5], dtype=getattr(lib, d)),
        "tensor_bool": lambda lib, d: lib.tensor([True, False], dtype=getattr(lib, d)),
        "full_negative": lambda lib, d: lib.full((2,), -1, dtype=getattr(lib, d)),
        "zeros": lambda lib, d: lib.zeros(2, dtype=getattr(lib, d)),
        "ones": lambda lib, d: lib.ones(2, dtype=getattr(lib, d)),
        "full": lambda lib, d: lib.full((2,), 7, dtype=getattr(lib, d)),
        "full_max": lambda lib, d: lib.full((1,), int(np.iinfo(d).max), dtype=getattr(lib, d)),
        "arange": lambda lib, d: lib.arange(3, dtype=getattr(lib, d)),
        "linspace": lambda lib, d: lib.linspace(0, 3, 4, dtype=getattr(lib, d)),
        "logspace": lambda lib, d: lib.logspace(0, 1, 2, dtype=getattr(lib, d)),
        "eye": lambda lib, d: lib.eye(2, 3, dtype=getattr(lib, d)),
        "randperm": lambda lib, d: lib.randperm(3, dtype=getattr(lib, d)),
        "randint": lambda lib, d: lib.randint(0, 5, (3,), dtype=getattr(lib, d)).dtype,
        "zeros_like": lambda lib, d: lib.zeros_like(u(lib, d)),
        "full_like": lambda lib, d: lib.full_like(u(lib, d), 3),
        "clone": lambda lib, d: u(lib, d).clone(),
        "tensor_of_tensor": lambda lib, d: lib.tensor(big(lib, d)),
        "as_tensor_numpy": lambda lib, d: lib.as_tensor(np.array([1, 2], d)),
        "numpy_dtype": lambda lib, d: str(big(lib, d).numpy().dtype),
        "to_other_unsigned": lambda lib, d: big(lib, d).to(lib.uint32),
        "type_float": lambda lib, d: big(lib, d).type(lib.float64),
        "type_as": lambda lib, d: u(lib, d).type_as(lib.tensor([1.5])),
        "view_int": lambda lib, d: big(lib, d).view(getattr(lib, "int" + d[4:])),
        "new_zeros": lambda lib, d: u(lib, d).new_zeros(2),
        "full_float": lambda lib, d: lib.full((2,), 1.5, dtype=getattr(lib, d)),
        "where_float": lambda lib, d: lib.where(lib.tensor(m), u(lib, d), 1.5),
        "sum_int16": lambda lib, d: u(lib, d).sum(dtype=lib.int16),
        "cumsum_float": lambda lib, d: u(lib, d).cumsum(0, dtype=lib.float32),
        "to_float": lambda lib, d: big(lib, d).to(lib.float32),
        "float_to": lambda lib, d: lib.tensor([1.5, 2.0]).to(getattr(lib, d)),
        "int16_to": lambda lib, d: lib.tensor([1, 2], dtype=lib.int16).to(getattr(lib, d)),
        "float": lambda lib, d: big(lib, d).float(),
        "double": lambda lib, d: big(lib, d).double(),
        "long": lambda lib, d: big(lib, d).long(),
        "int": lambda lib, d: big(lib, d).int(),
        "bool": lambda lib, d: big(lib, d).bool(),
        "item": lambda lib, d: big(lib, d)[3].item(),
        "int_of": lambda lib, d: int(big(lib, d)[3]),
        "bool_of": lambda lib, d: bool(big(lib, d)[3]),
        "float_of": lambda lib, d: float(big(lib, d)[3]),
        "index_of": lambda lib, d: big(lib, d)[3].__index__(),
        "int_of_small": lambda lib, d: int(big(lib, d)[1]),
        "tolist": lambda lib, d: big(lib, d).tolist(),
        "fill_": lambda lib, d: u(lib, d).fill_(5),
        "copy_": lambda lib, d: u(lib, d).copy_(lib.tensor([1.0, 2.0, 3.0])),
        # shapes and indexing
        "slice": lambda lib, d: u(lib, d)[1:],
        "index_tensor": lambda lib, d: u(lib, d)[lib.tensor([0, 2])],
        "index_mask": lambda lib, d: u(lib, d)[lib.tensor(m)],
        "reshape_t": lambda lib, d: u(lib, d).reshape(1, 3).t(),
        "cat": lambda lib, d: lib.cat([u(lib, d), big(lib, d)]),
        "stack": lambda lib, d: lib.stack([u(lib, d), u(lib, d)]),
        "flip": lambda lib, d: u(lib, d).flip(0),
        "gather": lambda lib, d: u(lib, d).gather(0, lib.tensor([0, 0])),
        "masked_fill": lambda lib, d: u(lib, d).masked_fill(lib.tensor(m), 0),
        "scatter": lambda lib, d: u(lib, d).scatter(0, lib.tensor([0]), u(lib, d)[:1]),
        "scatter_value": lambda lib, d: u(lib, d).scatter(0, lib.tensor([0]), 5),
        "scatter_add": lambda lib, d: u(lib, d).scatter_add(0, lib.tensor([0]), u(lib, d)[:1]),
        "index_fill": lambda lib, d: u(lib, d).index_fill(0, lib.tensor([0]), 5),
        "index_add": lambda lib, d: u(lib, d).index_add(0, lib.tensor([0]), u(lib, d)[:1]),
        "index_copy": lambda lib, d: u(lib, d).index_copy(0, lib.tensor([0]), u(lib, d)[:1]),
        "index_put": lambda lib, d: u(lib, d).index_put((lib.tensor([0]),), u(lib, d)[:1]),
        "addcmul": lambda lib, d: lib.addcmul(u(lib, d), u(lib, d), u(lib, d)),
        "lerp": lambda lib, d: u(lib, d).lerp(u(lib, d), 0.5),
        "setitem_int": lambda lib, d: _set(u(lib, d), 0, 9),
        "setitem_slice": lambda lib, d: _set(u(lib, d), slice(1, None), 9),
        "setitem_mask": lambda lib, d: _set(u(lib, d), lib.tensor(m), 9),
        "setitem_mask_0d": lambda lib, d: _set(u(lib, d), lib.tensor(m),
                                               lib.tensor(9, dtype=getattr(lib, d))),
        "setitem_mask_values": lambda lib, d: _set(u(lib, d), lib.tensor(m),
                                                   u(lib, d, (7, 8))),
        "setitem_tensor": lambda lib, d: _set(u(lib, d), lib.tensor([0, 2]), 9),
        "setitem_list": lambda lib, d: _set(u(lib, d), [0, 2], 9),
        "where": lambda lib, d: lib.where(lib.tensor(m), u(lib, d), 0),
        # comparisons
        "eq": lambda lib, d: u(lib, d) == u(lib, d, (1, 1, 2)),
        "ne_number": lambda lib, d: u(lib, d) != 1,
        "eq_float": lambda lib, d: u(lib, d) == 1.0,
        "lt": lambda lib, d: u(lib, d) < u(lib, d, (1, 1, 2)),
        "ge_number": lambda lib, d: u(lib, d) >= 2,
        "gt_float_tensor": lambda lib, d: u(lib, d) > lib.tensor([1.0, 2.0, 3.0]),
        "lt_int16": lambda lib, d: u(lib, d) < lib.tensor([1, 2, 3], dtype=lib.int16),
        # arithmetic
        "add": lambda lib, d: u(lib, d) + u(lib, d),
        "add_number": lambda lib, d: u(lib, d) + 1,
        "radd_number": lambda lib, d: 1 + u(lib, d),
        "add_float": lambda lib, d: u(lib, d) + 1.5,
        "add_float_tensor": lambda lib, d: u(lib, d) + lib.tensor([1.0, 2.0, 3.0]),
        "add_int16": lambda lib, d: u(lib, d) + lib.tensor([1, 2, 3], dtype=lib.int16),
        "iadd": lambda lib, d: u(lib, d).add_(1),
        "sub": lambda lib, d: u(lib, d) - u(lib, d),
        "rsub": lambda lib, d: 1 - u(lib, d),
        "mul": lambda lib, d: big(lib, d) * big(lib, d),
        "mul_number": lambda lib, d: big(lib, d) * 3,
        "mul_negative": lambda lib, d: u(lib, d) * -1,
        "mul_wraps": lambda lib, d: big(lib, d) * 70000,
        "mul_beyond_int64": lambda lib, d: big(lib, d) * (2 ** 63 + 5),
        "mul_uint64_max": lambda lib, d: big(lib, d) * (2 ** 64 - 1),
        "mul_beyond_uint64": lambda lib, d: big(lib, d) * 2 ** 64,
        "or_beyond_int64": lambda lib, d: big(lib, d) | 2 ** 63,
        "eq_beyond_int64": lambda lib, d: big(lib, d) == 2 ** 64 - 1,
        "mul_0d_int64": lambda lib, d: u(lib, d) * lib.tensor(2 ** 40),
        "mul_0d_negative": lambda lib, d: u(lib, d) * lib.tensor(-1),
        "eq_negative": lambda lib, d: big(lib, d) == -1,
        "eq_beyond": lambda lib, d: big(lib, d) == 65537,
        "and_negative": lambda lib, d: big(lib, d) & -2,
        "to_int8": lambda lib, d: big(lib, d).to(lib.int8),
        "to_uint8": lambda lib, d: big(lib, d).to(lib.uint8),
        "int64_to": lambda lib, d: lib.tensor([-1, 2 ** 40]).to(getattr(lib, d)),
        "mul_bool": lambda lib, d: u(lib, d) * True,
        "mul_float": lambda lib, d: u(lib, d) * 2.5,
        "mul_float64_0d": lambda lib, d: u(lib, d) * lib.tensor(2.0, dtype=lib.float64),
        "mul_bool_tensor": lambda lib, d: u(lib, d) * lib.tensor(m),
        "mul_": lambda lib, d: u(lib, d).mul_(2),
        "sub_": lambda lib, d: u(lib, d).sub_(1),
        "neg_": lambda lib, d: u(lib, d).neg_(),
        "abs_": lambda lib, d: u(lib, d).abs_(),
        "clamp_": lambda lib, d: u(lib, d).clamp_(1, 2),
        "relu_": lambda lib, d: u(lib, d).relu_(),
        "pow_": lambda lib, d: u(lib, d).pow_(2),
        "floor_divide_": lambda lib, d: u(lib, d).floor_divide_(2),
        "remainder_": lambda lib, d: u(lib, d).remainder_(2),
        "bitwise_not_": lambda lib, d: u(lib, d).bitwise_not_(),
        "ilshift": lambda lib, d: u(lib, d).__ilshift__(1),
        "iand": lambda lib, d: u(lib, d).__iand__(1),
        "masked_fill_": lambda lib, d: u(lib, d).masked_fill_(lib.tensor(m), 0),
        "index_fill_": lambda lib, d: u(lib, d).index_fill_(0, lib.tensor([0]), 5),
        "scatter_": lambda lib, d: u(lib, d).scatter_(0, lib.tensor([0]), 5),
        "copy_int16": lambda lib, d: u(lib, d).copy_(lib.tensor([1, 2, 3], dtype=lib.int16)),
        "add_out": lambda lib, d: lib.add(u(lib, d), u(lib, d), out=u(lib, d)),
        "mul_out": lambda lib, d: lib.mul(u(lib, d), u(lib, d), out=u(lib, d)),
        "sort_stable": lambda lib, d: u(lib, d).sort(stable=True, descending=True),
        "max_dim_kw": lambda lib, d: lib.max(u(lib, d), dim=0),
        "mul_float_": lambda lib, d: u(lib, d).mul_(2.5),
        "div": lambda lib, d: big(lib, d) / u(lib, d, (1, 2, 3, 4)),
        "div_number": lambda lib, d: u(lib, d) / 2,
        "div_floor": lambda lib, d: u(lib, d).div(2, rounding_mode="floor"),
        "div_trunc": lambda lib, d: u(lib, d).div(2, rounding_mode="trunc"),
        "floordiv": lambda lib, d: u(lib, d) // 2,
        "floordiv_float": lambda lib, d: u(lib, d) // 2.5,
        "mod": lambda lib, d: u(lib, d) % 2,
        "fmod": lambda lib, d: u(lib, d).fmod(2),
        "pow": lambda lib, d: u(lib, d) ** 2,
        "pow_float": lambda lib, d: u(lib, d) ** 2.0,
        "pow_tensor": lambda lib, d: u(lib, d) ** u(lib, d),
        "square": lambda lib, d: u(lib, d).square(),
        "neg": lambda lib, d: -u(lib, d),
        "abs": lambda lib, d: u(lib, d).abs(),
        "sign": lambda lib, d: u(lib, d).sign(),
        "clamp": lambda lib, d: u(lib, d).clamp(1, 2),
        "clamp_min": lambda lib, d: u(lib, d).clamp(min=1),
        "relu": lambda lib, d: lib.relu(u(lib, d)),
        "maximum": lambda lib, d: lib.maximum(u(lib, d), u(lib, d)),
        "minimum": lambda lib, d: lib.minimum(u(lib, d), u(lib, d)),
        "max_other": lambda lib, d: u(lib, d).max(u(lib, d)),
        "sqrt": lambda lib, d: u(lib, d).sqrt(),
        "exp": lambda lib, d: u(lib, d).exp(),
        "matmul": lambda lib, d: u(lib, d) @ u(lib, d),
        "dot": lambda lib, d: lib.dot(u(lib, d), u(lib, d)),
        # bitwise and logical
        "and": lambda lib, d: big(lib, d) & big(lib, d),
        "or_number": lambda lib, d: u(lib, d) | 4,
        "xor": lambda lib, d: big(lib, d) ^ u(lib, d, (1, 1, 1, 1)),
        "invert": lambda lib, d: ~u(lib, d),
        "lshift": lambda lib, d: u(lib, d) << 1,
        "rshift": lambda lib, d: u(lib, d) >> 1,
        "logical_and": lambda lib, d: lib.logical_and(u(lib, d), u(lib, d)),
        "logical_not": lambda lib, d: lib.logical_not(u(lib, d)),
        # reductions and scans
        "sum": lambda lib, d: big(lib, d).sum(),
        "sum_dim": lambda lib, d: big(lib, d).reshape(2, 2).sum(1),
        "sum_float": lambda lib, d: big(lib, d).sum(dtype=lib.float64),
        "sum_same": lambda lib, d: u(lib, d).sum(dtype=getattr(lib, d)),
        "sum_into": lambda lib, d: lib.tensor([1, 2]).sum(dtype=getattr(lib, d)),
        "prod": lambda lib, d: u(lib, d).prod(),
        "prod_dim": lambda lib, d: u(lib, d).prod(0),
        "prod_same": lambda lib, d: u(lib, d).prod(dtype=getattr(lib, d)),
        "mean": lambda lib, d: u(lib, d).mean(),
        "mean_float": lambda lib, d: u(lib, d).mean(dtype=lib.float32),
        "max": lambda lib, d: u(lib, d).max(),
        "min": lambda lib, d: u(lib, d).min(),
        "max_dim": lambda lib, d: u(lib, d).max(0),
        "min_dim": lambda lib, d: u(lib, d).min(0),
        "amax": lambda lib, d: u(lib, d).amax(),
        "amin": lambda lib, d: u(lib, d).amin(),
        "aminmax": lambda lib, d: u(lib, d).aminmax(),
        "argmax": lambda lib, d: u(lib, d).argmax(),
        "argmin": lambda lib, d: u(lib, d).argmin(),
        "all": lambda lib, d: u(lib, d).all(),
        "any": lambda lib, d: u(lib, d).any(),
        "count_nonzero": lambda lib, d: lib.count_nonzero(u(lib, d)),
        "nonzero": lambda lib, d: u(lib, d).nonzero(),
        "cumsum": lambda lib, d: big(lib, d).cumsum(0),
        "cumsum_same": lambda lib, d: u(lib, d).cumsum(0, dtype=getattr(lib, d)),
        "cumprod": lambda lib, d: u(lib, d).cumprod(0),
        "sort": lambda lib, d: u(lib, d, (3, np.iinfo(d).max, 1, 2)).sort(),
        "argsort": lambda lib, d: u(lib, d).argsort(),
        "topk": lambda lib, d: u(lib, d).topk(2),
        "unique": lambda lib, d: lib.unique(u(lib, d, (3, 1, 3))),
        "trace": lambda lib, d: u(lib, d).reshape(1, 3).trace(),
        "tril": lambda lib, d: u(lib, d).reshape(1, 3).tril(),
        "triu": lambda lib, d: u(lib, d).reshape(1, 3).triu(),
        "kthvalue": lambda lib, d: u(lib, d).kthvalue(1),
        "median": lambda lib, d: u(lib, d).median(),
        "median_dim": lambda lib, d: u(lib, d).median(0),
        "nanmedian": lambda lib, d: u(lib, d).nanmedian(),
        "mode": lambda lib, d: u(lib, d).mode(),
        "cummax": lambda lib, d: u(lib, d).cummax(0),
        "cummin": lambda lib, d: u(lib, d).cummin(0),
        "bincount": lambda lib, d: lib.bincount(u(lib, d)),
        "index_select": lambda lib, d: u(lib, d).index_select(0, lib.tensor([0])),
        "masked_select": lambda lib, d: u(lib, d).masked_select(lib.tensor(m)),
        "take": lambda lib, d: u(lib, d).take(lib.tensor([0])),
        "searchsorted": lambda lib, d: lib.searchsorted(u(lib, d, (1, 2, 3)), u(lib, d)),
        "embedding": lambda lib, d: lib.nn.functional.embedding(u(lib, d), lib.ones(4, 2)),
        "isin": lambda lib, d: lib.isin(u(lib, d), u(lib, d)),
        "msort": lambda lib, d: u(lib, d).msort(),
        "roll": lambda lib, d: u(lib, d).roll(1),
        "repeat": lambda lib, d: u(lib, d).repeat(2),
        "repeat_interleave": lambda lib, d: u(lib, d).repeat_interleave(2),
        "nansum": lambda lib, d: big(lib, d).nansum(),
        "equal": lambda lib, d: lib.equal(u(lib, d), u(lib, d)),
        "mean_same": lambda lib, d: u(lib, d).mean(dtype=getattr(lib, d)),
        "std": lambda lib, d: u(lib, d).std(),
        "var": lambda lib, d: u(lib, d).var(),
        "norm": lambda lib, d: u(lib, d).norm(),
        "softmax": lambda lib, d: u(lib, d).softmax(0),
        "sigmoid": lambda lib, d: u(lib, d).sigmoid(),
        "floor": lambda lib, d: u(lib, d).floor(),
        "round": lambda lib, d: u(lib, d).round(),
        "trunc": lambda lib, d: u(lib, d).trunc(),
        "clamp_tensor": lambda lib, d: u(lib, d).clamp(min=u(lib, d, (1,))),
        "clamp_tensors": lambda lib, d: u(lib, d).clamp(u(lib, d, (1,)), u(lib, d, (2,))),
        "clamp_max": lambda lib, d: u(lib, d).clamp(max=2),
        "diff": lambda lib, d: u(lib, d).diff(),
        "isclose": lambda lib, d: lib.isclose(u(lib, d), u(lib, d)),
        "allclose": lambda lib, d: lib.allclose(u(lib, d), u(lib, d)),
        "unique_consecutive": lambda lib, d: lib.unique_consecutive(u(lib, d)),
        "chunk": lambda lib, d: u(lib, d).chunk(3)[0],
        "expand": lambda lib, d: u(lib, d)[None].expand(2, 3),
        "sub_float": lambda lib, d: u(lib, d) - 1.5,
        "div_": lambda lib, d: u(lib, d).div_(2),
        "pow_float_tensor": lambda lib, d: u(lib, d) ** lib.tensor([1.0, 2.0, 3.0]),
        "maximum_float": lambda lib, d: lib.maximum(u(lib, d), lib.tensor([1.0, 2.0, 3.0])),
        "logical_or": lambda lib, d: lib.logical_or(u(lib, d), u(lib, d)),
        "logical_xor": lambda lib, d: lib.logical_xor(u(lib, d), u(lib, d)),
        "fmax": lambda lib, d: lib.fmax(u(lib, d), u(lib, d)),
        "fmin": lambda lib, d: lib.fmin(u(lib, d), u(lib, d)),
        "mean_long": lambda lib, d: lib.tensor([1.0, 2.0]).mean(dtype=lib.int64),
        "bitwise_left_shift": lambda lib, d: lib.bitwise_left_shift(u(lib, d), u(lib, d)),
        "sgn": lambda lib, d: u(lib, d).sgn(),
        "nonzero_tuple": lambda lib, d: u(lib, d).nonzero(as_tuple=True),
        "argwhere": lambda lib, d: lib.argwhere(u(lib, d)),
        "tensor_split": lambda lib, d: u(lib, d).tensor_split(3)[1],
        "one_hot": lambda lib, d: lib.nn.functional.one_hot(u(lib, d).long()),
    }


def _set(t, index, value):
    t[index] = value
    return t


OPS = _ops()


@pytest.mark.filterwarnings("ignore:To copy construct")   # (both warn for tensor(tensor))
@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("name", UNSIGNED)
def test_op_as_torch(name, op):
    same_as_torch(lambda lib: OPS[op](lib, name))


@pytest.mark.filterwarnings("ignore:To copy construct")
def test_refusals_are_torch_errors():
    """The table holds both kinds: ops torch computes and ops it refuses, with its words."""
    got = {}
    for op in OPS:
        r = outcome(lambda lib: OPS[op](lib, "uint16"), torch)
        got[op] = r[0] if isinstance(r[0], str) else r[0][0]       # ((values, indices))
    assert got["add"] == got["lt"] == got["neg"] == got["max"] == got["add_int16"] == "error"
    assert {got[op] for op in ("mul", "sum", "sort", "eq", "float", "and")} == {"ok"}
    assert outcome(lambda lib: OPS["add"](lib, "uint16"), tg) == \
        ("error", "NotImplementedError", "\"add_stub\" not implemented for 'UInt16'")
