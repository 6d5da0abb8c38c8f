"""torch's dtype helpers against torch: finfo/iinfo (every attribute, the repr, the errors),
promote_types and can_cast over every pair of dtypes, result_type over tensors of every dtype
(0-d and not) and Python numbers, and the float32 matmul-precision switch."""
import itertools

import pytest
import torch

import tinygrad_sgd as tg

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
FLOATS = ["float16", "float32", "float64"]


def ours(name):
    return tg.bool_ if name == "bool" else getattr(tg, name)


@pytest.mark.parametrize("name", FLOATS + [None])
def test_finfo_is_torchs(name):
    a = tg.finfo() if name is None else tg.finfo(ours(name))
    b = torch.finfo() if name is None else torch.finfo(getattr(torch, name))
    for key in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(a, key) == getattr(b, key) and type(getattr(a, key)) is \
            type(getattr(b, key)), key
    assert repr(a) == repr(b)


@pytest.mark.parametrize("name", NAMES[1:6])
def test_iinfo_is_torchs(name):
    a, b = tg.iinfo(ours(name)), torch.iinfo(getattr(torch, name))
    assert (a.bits, a.min, a.max, a.dtype, repr(a)) == (b.bits, b.min, b.max, b.dtype, repr(b))


def test_info_errors_are_torchs():
    for L, dt in ((tg, tg), (torch, torch)):
        with pytest.raises(TypeError, match=r"finfo\(\) requires a floating point input type"):
            L.finfo(dt.int32)
        with pytest.raises(TypeError, match=r"iinfo\(\) requires an integer input type"):
            L.iinfo(dt.float32)
        with pytest.raises(TypeError, match="torch.bool is not supported by torch.iinfo"):
            L.iinfo(dt.bool)


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_and_can_cast_are_torchs(a, b):
    assert str(tg.promote_types(ours(a), ours(b))).split(".")[-1] == \
        str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[-1]
    assert tg.can_cast(ours(a), ours(b)) == torch.can_cast(getattr(torch, a), getattr(torch, b))


def _value(L, spec):
    kind, name = spec
    if kind == "number":
        return {"bool": True, "int": 3, "float": 2.5}[name]
    dtype = ours(name) if L is tg else getattr(torch, name)
    return L.ones(() if kind == "0d" else (2,), dtype=dtype)


SPECS = [(k, n) for k in ("0d", "1d") for n in NAMES] + [("number", n) for n in
                                                          ("bool", "int", "float")]


@pytest.mark.parametrize("a,b", list(itertools.product(SPECS, SPECS)))
def test_result_type_is_torchs(a, b):
    mine = tg.result_type(_value(tg, a), _value(tg, b))
    theirs = torch.result_type(_value(torch, a), _value(torch, b))
    assert str(mine).split(".")[-1] == str(theirs).split(".")[-1]


def test_float32_matmul_precision_switch():
    assert tg.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    try:
        for value in ("high", "medium", "highest"):
            tg.set_float32_matmul_precision(value)
            assert tg.get_float32_matmul_precision() == value
        tg.set_float32_matmul_precision("medium")
        with pytest.warns(UserWarning, match="bogus is not one of 'highest', 'high', or "
                                             "'medium'"):
            tg.set_float32_matmul_precision("bogus")
        assert tg.get_float32_matmul_precision() == "medium"
    finally:
        tg.set_float32_matmul_precision("highest")
