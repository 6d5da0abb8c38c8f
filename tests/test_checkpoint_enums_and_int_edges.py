"""Two edges where tinygrad_sgd used to answer differently from torch 2.13 (run in each test).

Enum members in a checkpoint
----------------------------
``torch.save`` pickles an Enum member (an ``IntEnum`` or ``str`` Enum too, as dict key or
value) with its class by reference, so ``torch.load`` refuses it by default
(``weights_only=True``: exactly ``pickle.UnpicklingError``, "Weights only load failed ...
GLOBAL <module>.K"), lets it through where ``safe_globals`` / ``add_safe_globals`` name the
class, and gives it back as the member with ``weights_only=False``. Ours saved an IntEnum key
as a plain int (``{K.A: 1}`` loaded as ``{1: 1}``) and a ``str`` Enum value as its ``str()``
(``"S.P"``); each library now reads the other's file as it reads its own.

Python integers out of int64's range
------------------------------------
torch reads a number argument (its Scalar) as an int64, or past that, up to 2**64 − 1, as a
uint64 — which wraps into an integer tensor's dtype as C casts it (``int64 + 2**63`` adds
−2**63, ``int32 + 2**63`` adds 0), is rounded next to floats and refused next to bools; past
2**64 (or below −2**63) it is Python's OverflowError. ``tensor([...])`` and ``x[i] = v`` read
an int64 only ("Overflow when unpacking long long"), ``full``/``fill_``/``clamp`` check the
value against the dtype. Each row below is compared with torch: values, dtype, error class
(the builtin one) and message.
"""
import collections
import enum
import pickle
import pickletools
import zipfile

import pytest

import tinygrad_sgd as tg

torch = pytest.importorskip("torch")


# ============================================================== Enum members in checkpoints
class Phase(enum.IntEnum):
    TRAIN = 1
    EVAL = 2


class Mode(enum.Enum):
    FAST = "fast"


class Split(str, enum.Enum):
    VAL = "val"


ENUMS = [Phase, Mode, Split]
SAVED = {  # name → the object saved, made with each library (lib)
    "intenum_key": lambda lib: {Phase.TRAIN: 1, Phase.EVAL: 2},
    "intenum_value": lambda lib: {"phase": Phase.EVAL, "epoch": 3},
    "enum_key": lambda lib: {Mode.FAST: [1, 2]},
    "enum_value": lambda lib: {"mode": Mode.FAST},
    "str_enum_value": lambda lib: {"split": Split.VAL},
    "str_enum_key_tensor": lambda lib: {Split.VAL: lib.ones(2)},
    "bare_member": lambda lib: Phase.TRAIN,
    "in_a_list": lambda lib: [Phase.TRAIN, Mode.FAST, "x"],
    "beside_a_state_dict": lambda lib: {"model": collections.OrderedDict(
        weight=lib.ones(1, 2), bias=lib.zeros(1)), "phase": Phase.TRAIN},
}


def _save(lib, name, path):
    lib.save(SAVED[name](lib), path)
    return path


def _globals(path):
    with zipfile.ZipFile(path) as z:
        pkl = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    return sorted(arg for op, arg, _ in pickletools.genops(pkl) if op.name == "GLOBAL")


def _refusal(lib, path):
    """torch's part of the weights-only refusal's message (ours starts with a line naming the
    file and the global); its class must be exactly ``pickle.UnpicklingError``."""
    with pytest.raises(pickle.UnpicklingError) as refused:
        lib.load(path)
    assert type(refused.value) is pickle.UnpicklingError, type(refused.value)
    text = str(refused.value)
    if lib is tg:
        first, _, text = text.partition("\n")
        assert first.startswith(f"{path}: the checkpoint holds "), first
    return text


def _same(a, b):
    """The same structure, keys and values of the same types (Enum members as themselves)."""
    assert type(a).__name__ == type(b).__name__ or (hasattr(a, "numpy") and hasattr(b, "numpy")), \
        (type(a), type(b))
    if isinstance(a, dict):
        assert [(k, type(k)) for k in a] == [(k, type(k)) for k in b]
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif hasattr(a, "numpy"):
        assert a.detach().numpy().tolist() == b.detach().numpy().tolist()
    else:
        assert a is b if isinstance(a, enum.Enum) else a == b


@pytest.mark.parametrize("name", SAVED)
def test_enum_members_save_and_load_as_torchs(name, tmp_path):
    files = {lib: _save(lib, name, tmp_path / f"{lib.__name__}.pt") for lib in (torch, tg)}
    assert _globals(files[tg]) == _globals(files[torch])       # the class by reference
    assert sorted(tg.serialization.get_unsafe_globals_in_checkpoint(files[tg])) == sorted(
        torch.serialization.get_unsafe_globals_in_checkpoint(str(files[torch])))  # (a set's)
    expected_refusal = _refusal(torch, files[torch])
    assert "Unsupported global: GLOBAL" in expected_refusal
    for saver, path in files.items():
        for loader in (torch, tg):
            assert _refusal(loader, path) == expected_refusal, (saver, loader)
            full = loader.load(path, weights_only=False)
            _same(full, SAVED[name](loader))
            with loader.serialization.safe_globals(ENUMS):
                _same(loader.load(path), full)


@pytest.mark.parametrize("lib", [torch, tg], ids=["torch", "tinygrad_sgd"])
def test_add_safe_globals_lets_an_intenum_key_through(lib, tmp_path):
    path = tmp_path / "ckpt.pt"
    lib.save({Phase.TRAIN: lib.ones(1)}, path)
    before = lib.serialization.get_safe_globals()
    try:
        lib.serialization.add_safe_globals([Phase])
        key, = lib.load(path)
        assert key is Phase.TRAIN
    finally:
        lib.serialization.clear_safe_globals()
        lib.serialization.add_safe_globals(before)


def test_the_refusal_is_not_a_value_error_in_either(tmp_path):
    """torch's refusal is ``pickle.UnpicklingError`` itself, so ``except ValueError`` around
    a load does not swallow it; ours neither."""
    for lib in (torch, tg):
        path = _save(lib, "intenum_key", tmp_path / f"{lib.__name__}.pt")
        for loader in (torch, tg):
            with pytest.raises(Exception) as refused:
                loader.load(path)
            assert type(refused.value) is pickle.UnpicklingError
            assert not isinstance(refused.value, ValueError)


# ============================================================== integers past int64
BIG = [2**63, 2**64 - 1, 2**64, -2**63 - 1, 2**63 - 1, -2**63, 2**100]
DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint64", "float16", "float32", "float64",
          "bool"]


def _outcome(fn):
    """("ok", values, dtype name) or (the error's builtin class, its first line)."""
    try:
        r = fn()
    except Exception as e:                                  # (compared with torch's)
        kind = next(c for c in type(e).__mro__ if c.__module__ == "builtins")
        return kind.__name__, str(e).splitlines()[0] if str(e) else ""
    return "ok", r.tolist(), str(r.dtype).rpartition(".")[2]


def _pair(lib, dtype):
    return lib.tensor([1, 2], dtype=getattr(lib, dtype))


OPS = {  # name → f(lib, tensor of [1, 2], number)
    "add": lambda lib, t, v: t + v, "radd": lambda lib, t, v: v + t,
    "sub": lambda lib, t, v: t - v, "rsub": lambda lib, t, v: v - t,
    "mul": lambda lib, t, v: t * v, "truediv": lambda lib, t, v: t / v,
    "floordiv": lambda lib, t, v: t // v, "remainder": lambda lib, t, v: t % v,
    "and": lambda lib, t, v: t & v, "lt": lambda lib, t, v: t < v,
    "eq": lambda lib, t, v: t == v, "ge": lambda lib, t, v: t >= v,
    "add_": lambda lib, t, v: t.add_(v), "mul_": lambda lib, t, v: t.mul_(v),
    "add_alpha": lambda lib, t, v: lib.add(t, 1, alpha=v),
    "sub_alpha": lambda lib, t, v: lib.sub(t, 1, alpha=v),
    "pow": lambda lib, t, v: t ** v,
    "fill_": lambda lib, t, v: t.fill_(v), "full": lambda lib, t, v: lib.full((2,), v,
                                                                               dtype=t.dtype),
    "full_like": lambda lib, t, v: lib.full_like(t, v),
    "setitem": lambda lib, t, v: (t.__setitem__(0, v), t)[1],
    "setitem_slice": lambda lib, t, v: (t.__setitem__(slice(None), v), t)[1],
    "masked_fill": lambda lib, t, v: t.masked_fill(t > 1, v),
    "index_fill": lambda lib, t, v: t.index_fill(0, lib.tensor([0]), v),
    "where_other": lambda lib, t, v: lib.where(t > 1, t, v),
    "where_input": lambda lib, t, v: lib.where(t > 1, v, t),
    "clamp_max": lambda lib, t, v: lib.clamp(t, max=v),
    "clamp_min": lambda lib, t, v: lib.clamp(t, min=v),
    "tensor_of_dtype": lambda lib, t, v: lib.tensor([v], dtype=t.dtype),
}


@pytest.mark.parametrize("op", OPS)
def test_a_number_past_int64_beside_each_dtype_as_torchs(op):
    differ = []
    for dtype in DTYPES:
        for v in BIG:
            theirs = _outcome(lambda: OPS[op](torch, _pair(torch, dtype), v))
            ours = _outcome(lambda: OPS[op](tg, _pair(tg, dtype), v))
            if ours != theirs:
                differ.append(f"{dtype} {op} {v}: torch {theirs}, ours {ours}")
    assert not differ, "\n".join(differ)


ALONE = {  # name → f(lib, number): numbers with no tensor beside them
    "tensor_list": lambda lib, v: lib.tensor([v]),
    "tensor_0d": lambda lib, v: lib.tensor(v),
    "tensor_int64_with_minus_one": lambda lib, v: lib.tensor([-1, v], dtype=lib.int64),
    "tensor_float_mix": lambda lib, v: lib.tensor([1.5, v]),
    "tensor_nested": lambda lib, v: lib.tensor([[1], [v]]),
    "tensor_bool": lambda lib, v: lib.tensor([v], dtype=lib.bool),
    "full_default": lambda lib, v: lib.full((2,), v),
    "scalar_tensor": lambda lib, v: lib.scalar_tensor(v),
    "arange_to": lambda lib, v: lib.arange(v - 1, v) if v > 0 else lib.arange(v, v + 1),
    "where_two_ints": lambda lib, v: lib.where(lib.tensor([True, False]), v, 1),
    "where_int_and_float": lambda lib, v: lib.where(lib.tensor([True, False]), v, 1.5),
    "where_same_twice": lambda lib, v: lib.where(lib.tensor([True, False]), v, v),
    "lerp_weight": lambda lib, v: lib.tensor([1.0, 2.0]).lerp(lib.tensor([1.0, 1.0]), v),
    "float_power": lambda lib, v: lib.tensor([1.0, 2.0]).float_power(v),
    "float16_times": lambda lib, v: lib.tensor([1.0, 2.0], dtype=lib.float16) * v,
}


@pytest.mark.parametrize("name", ALONE)
@pytest.mark.parametrize("v", BIG, ids=lambda v: hex(v))
def test_a_number_past_int64_alone_as_torchs(name, v):
    assert _outcome(lambda: ALONE[name](tg, v)) == _outcome(lambda: ALONE[name](torch, v))


def test_the_wrapped_values_are_torchs_own():
    """The rule written out, so a reader sees it: a number in [2**63, 2**64) is a uint64,
    cast into the tensor's integer dtype as C casts it."""
    t = tg.tensor([1, 2])
    assert (t + 2**63).tolist() == [-2**63 + 1, -2**63 + 2]
    assert (t.int() + 2**63).tolist() == [1, 2]
    assert (t.to(tg.int8) + (2**64 - 1)).tolist() == [0, 1]
    assert tg.sub(t, 1, alpha=2**64 - 1).tolist() == [2, 3]       # alpha negated as an int64
