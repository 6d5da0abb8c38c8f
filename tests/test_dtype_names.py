"""torch's dtypes this library names but makes no tensors of — ``bfloat16`` and the complex
dtypes (``tinygrad_sgd.dtypes.DTypeWithoutTensors``) — compared with torch: what a dtype alone
answers (properties, ``to_real``/``to_complex``, ``finfo``, ``promote_types``, ``can_cast``,
equality, pickling) is torch's; every road to a tensor of one raises NotImplementedError naming
it; programs that only name them (nanoGPT's dtype table) run as under torch."""
import copy
import itertools
import pickle

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.dtypes import DTypeWithoutTensors

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex32", "complex64", "complex128"]
WITHOUT_TENSORS = ["bfloat16", "complex32", "complex64", "complex128"]
pytestmark = [pytest.mark.filterwarnings("ignore:ComplexHalf support is experimental"),
              pytest.mark.filterwarnings("ignore:Complex modules are a new feature")]
ALIASES = [("cfloat", "complex64"), ("cdouble", "complex128"), ("chalf", "complex32"),
           ("half", "float16"), ("float", "float32"), ("double", "float64")]


def ours(name):
    return getattr(tg, name)


def theirs(name):
    return getattr(torch, name)


def short(d):
    return str(d).split(".")[-1]


def outcome(fn):
    try:
        return short(fn())
    except Exception as e:                      # noqa: BLE001  (compared with torch's)
        return type(e).__name__, str(e)


@pytest.mark.parametrize("name", WITHOUT_TENSORS)
def test_properties_are_torchs(name):
    d, t = ours(name), theirs(name)
    assert isinstance(d, tg.dtype) and isinstance(d, DTypeWithoutTensors)
    assert repr(d) == f"tinygrad_sgd.{name}" and str(d) == repr(d)
    for attr in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
        assert getattr(d, attr) == getattr(t, attr), attr


@pytest.mark.parametrize("alias, name", ALIASES)
def test_aliases_are_the_same_objects(alias, name):
    assert getattr(tg, alias) is ours(name)
    assert getattr(torch, alias) is theirs(name)


@pytest.mark.parametrize("name", NAMES)
def test_to_real_and_to_complex(name):
    for method in ("to_real", "to_complex"):
        assert outcome(lambda: getattr(ours(name), method)()) == \
            outcome(lambda: getattr(theirs(name), method)()), method


@pytest.mark.parametrize("a, b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_and_can_cast(a, b):
    assert short(tg.promote_types(ours(a), ours(b))) == short(torch.promote_types(theirs(a),
                                                                                  theirs(b)))
    assert tg.can_cast(ours(a), ours(b)) == torch.can_cast(theirs(a), theirs(b))
    assert (ours(a) == ours(b)) == (theirs(a) == theirs(b))
    assert (ours(a) != ours(b)) == (theirs(a) != theirs(b))


@pytest.mark.parametrize("name", WITHOUT_TENSORS + ["float16", "float32"])
def test_finfo(name):
    mine, torchs = tg.finfo(ours(name)), torch.finfo(theirs(name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(mine, attr) == getattr(torchs, attr), attr
    assert outcome(lambda: tg.iinfo(ours(name))) == outcome(lambda: torch.iinfo(theirs(name)))


@pytest.mark.parametrize("name", WITHOUT_TENSORS)
def test_one_object_each_through_pickle_copy_and_hash(name):
    d = ours(name)
    assert pickle.loads(pickle.dumps(d)) is d
    assert copy.copy(d) is d and copy.deepcopy(d) is d
    assert {d: 1}[ours(name)] == 1
    assert len({ours(n) for n in NAMES}) == len(NAMES)


# every road from a dtype to a tensor: torch makes one, ours refuses, naming the dtype
ROADS = {
    "zeros": lambda L, d: L.zeros(2, dtype=d),
    "ones": lambda L, d: L.ones(2, 3, dtype=d),
    "empty": lambda L, d: L.empty(2, dtype=d),
    "full": lambda L, d: L.full((2,), 1.5, dtype=d),
    "tensor": lambda L, d: L.tensor([1.0, 2.0], dtype=d),
    "as_tensor": lambda L, d: L.as_tensor([1.0], dtype=d),
    "arange": lambda L, d: L.arange(3, dtype=d),
    "linspace": lambda L, d: L.linspace(0, 1, 3, dtype=d),
    "eye": lambda L, d: L.eye(2, dtype=d),
    "rand": lambda L, d: L.rand(2, dtype=d),
    "randn": lambda L, d: L.randn(2, dtype=d),
    "zeros_like": lambda L, d: L.zeros_like(L.ones(2), dtype=d),
    "ones_like": lambda L, d: L.ones_like(L.ones(2), dtype=d),
    "full_like": lambda L, d: L.full_like(L.ones(2), 2.0, dtype=d),
    "randn_like": lambda L, d: L.randn_like(L.ones(2), dtype=d),
    "new_zeros": lambda L, d: L.ones(2).new_zeros(3, dtype=d),
    "new_full": lambda L, d: L.ones(2).new_full((3,), 1.0, dtype=d),
    "new_tensor": lambda L, d: L.ones(2).new_tensor([1.0], dtype=d),
    "to": lambda L, d: L.ones(2).to(d),
    "to_device_dtype": lambda L, d: L.ones(2).to("cpu", d),
    "to_keyword": lambda L, d: L.ones(2).to(dtype=d),
    "type": lambda L, d: L.ones(2).type(d),
    "sum_dtype": lambda L, d: L.ones(2).sum(dtype=d),
    "cumsum_dtype": lambda L, d: L.ones(2).cumsum(0, dtype=d),
    "softmax_dtype": lambda L, d: L.ones(2).softmax(0, dtype=d),
    "linear_dtype": lambda L, d: L.nn.Linear(2, 2, dtype=d),
    "module_to": lambda L, d: L.nn.Linear(2, 2).to(d),
}


@pytest.mark.parametrize("road", sorted(ROADS))
@pytest.mark.parametrize("name", WITHOUT_TENSORS)
def test_every_road_to_a_tensor_is_refused_naming_the_dtype(road, name):
    made = ROADS[road]
    try:                     # torch makes one (or refuses too: then so must we, loudly)
        torch_made = made(torch, theirs(name))
    except Exception:        # noqa: BLE001  (e.g. torch's complex32 has few kernels)
        torch_made = None
    if torch_made is not None:
        dtypes = [p.dtype for p in torch_made.parameters()] \
            if isinstance(torch_made, torch.nn.Module) else [torch_made.dtype]
        assert dtypes[0] == theirs(name)
    with pytest.raises(NotImplementedError, match=f"no {name} tensors"):
        made(tg, ours(name))


@pytest.mark.parametrize("name", WITHOUT_TENSORS)
def test_numpy_refuses_it_too(name):
    with pytest.raises(NotImplementedError, match=name):
        np.dtype(ours(name))
    with pytest.raises(NotImplementedError, match=name):
        np.zeros(2, dtype=ours(name))


def test_the_default_dtype_stays_when_refused():
    with pytest.raises(TypeError, match="bfloat16 as the default dtype is not supported"):
        tg.set_default_dtype(tg.bfloat16)        # (torch accepts bfloat16 as the default)
    with pytest.raises(TypeError, match="only floating-point types"):
        tg.set_default_dtype(tg.complex64)
    with pytest.raises(TypeError, match="only floating-point types"):
        torch.set_default_dtype(torch.complex64)
    assert tg.get_default_dtype() == tg.float32


def program_naming_dtypes(L):
    """What nanoGPT's train.py does with its dtype table on a CPU run in float32, and the
    usual checks that only name the dtypes."""
    dtype = "float32"
    ptdtype = {"float32": L.float32, "bfloat16": L.bfloat16, "float16": L.float16}[dtype]
    use_bf16 = L.cuda.is_available() and L.cuda.is_bf16_supported()
    x = L.ones(2, 3, dtype=ptdtype)
    with L.autocast(device_type="cpu", dtype=L.bfloat16, enabled=False):
        y = (x @ x.T).sum()
    half = x.dtype in (L.float16, L.bfloat16)
    return (short(ptdtype), use_bf16, half, y.item(), short(y.dtype),
            L.finfo(L.bfloat16).eps, short(L.promote_types(L.bfloat16, L.float16)))


def test_a_program_that_only_names_them_runs_as_under_torch():
    assert program_naming_dtypes(tg) == program_naming_dtypes(torch)


def test_autocast_in_bfloat16_stays_refused():
    with pytest.raises(NotImplementedError, match="bfloat16"):
        with tg.autocast("cpu", dtype=tg.bfloat16):
            pass


@pytest.mark.parametrize("method, name", [("bfloat16", "bfloat16"), ("cfloat", "complex64"),
                                          ("cdouble", "complex128"), ("chalf", "complex32")])
def test_tensor_cast_methods_refuse_naming_the_dtype(method, name):
    assert getattr(torch.ones(2), method)().dtype == theirs(name)
    with pytest.raises(NotImplementedError, match=f"no {name} tensors"):
        getattr(tg.ones(2), method)()
    with pytest.raises(TypeError, match="takes 0 positional arguments"):
        getattr(tg.ones(2), method)(1)


def test_is_distributed_as_a_method_too():
    assert tg.ones(2).is_distributed() is torch.ones(2).is_distributed() is False
