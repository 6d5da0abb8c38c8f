"""The Tensor object itself: construction and torch's dtype rules, attributes, repr,
constructors, manual_seed, conversions (item/tolist/numpy) and the errors promised for bad data."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor
from strategies import arrays, both, shapes


def torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "tinygrad_sgd.")


# ============================================================================ construction
@pytest.mark.parametrize("data", [
    1.0, 1, True, -3, [1, 2], [1.0, 2.0], [1, 2.5], [[1, 2], [3, 4]], [True, False], [],
    [[1.5], [2.5]], np.float64(2.0), np.float32(2.0), np.int32(3),
    np.arange(3), np.arange(3, dtype=np.int32), np.zeros(2, np.float64), np.zeros(2, np.float32),
    np.array([True]), np.arange(4, dtype=np.uint8), np.array(3.5)])
def test_construction_dtype_follows_torch(data):
    ours = tg.tensor(data)
    assert str(ours.dtype) == torch_dtype_name(torch.tensor(data))
    assert ours.shape == tuple(torch.tensor(data).shape)
    assert ours.tolist() == torch.tensor(data).tolist()


@pytest.mark.parametrize("args", [([1, 2],), ([1.0, 2.5],), ([[1, 2], [3, 4]],), ([True, False],),
                                  ([],), (), (2, 3), (4,), (0,), ([1, 2.5],)])
def test_tensor_class_constructs_as_torch_Tensor(args):
    """``Tensor(python data)`` is ``torch.Tensor``: the default float dtype, whatever the
    numbers; ``Tensor(2, 3)`` a tensor of that size (torch's values are uninitialised)."""
    ours, theirs = Tensor(*args), torch.Tensor(*args)
    assert str(ours.dtype) == torch_dtype_name(theirs) and ours.shape == tuple(theirs.shape)
    if args and isinstance(args[0], list):
        assert ours.tolist() == theirs.tolist()
    with pytest.raises(RuntimeError, match="negative dimension"):
        Tensor(2, -1)
    with pytest.raises(TypeError, match="must be tuple of ints"):
        Tensor(2, 1.5)
    assert Tensor([1, 2], dtype=tg.int64).dtype == tg.int64       # unless a dtype is given


def test_numpy_arrays_as_torch_tensor_tensor_and_from_numpy_take_them():
    arr32, arr64 = np.arange(3.0, dtype=np.float32), np.arange(3.0)
    t32, t64 = Tensor(arr32), Tensor(arr64)     # torch.Tensor: float32, shared if it is
    assert t32.array is arr32 and t64.dtype == tg.float32
    c, f = tg.tensor(arr64), tg.from_numpy(arr64)    # a copy, and the array, with its dtype
    assert c.dtype == f.dtype == tg.float64 and f.array is arr64
    arr32[0] = arr64[0] = 10.0
    assert t32.tolist()[0] == 10.0 and t64.tolist()[0] == 0.0
    assert c.tolist()[0] == 0.0 and f.tolist()[0] == 10.0


def test_explicit_dtype():
    assert Tensor([1, 2], dtype=tg.float32).dtype == np.float32
    assert Tensor([1.7, 2.2], dtype=tg.int64).tolist() == [1, 2]
    assert tg.tensor([1.0], dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="unsupported dtype"):
        Tensor([1.0], dtype=np.complex64)


@pytest.mark.parametrize("data,kind", [("abc", "non-numeric"), (["a", "b"], "non-numeric"),
                                       ([1, "a"], "non-numeric"), (object(), "non-numeric"),
                                       (None, "non-numeric"), ({"a": 1}, "non-numeric"),
                                       ([object(), object()], "non-numeric"),
                                       (1 + 2j, "complex"), (np.array([1j]), "complex")])
def test_non_numeric_data_refused(data, kind):
    with pytest.raises(TypeError, match=f"Tensor: {kind}"):
        Tensor(data)
    with pytest.raises(TypeError, match=f"Tensor: {kind}"):
        tg.tensor(data)


@pytest.mark.parametrize("data", [[[1, 2], [3]], [1, [2, 3]], [[1.0], [2.0, 3.0], []]])
def test_ragged_lists_refused(data):
    with pytest.raises(ValueError, match="rectangular"):
        Tensor(data)


# ============================================================================ dtype rules of ops
def _make(lib, value, dtype):
    return lib.tensor(np.array(value, dtype=dtype))


DTYPE_CASES = {
    "int + 0.5": (lambda lib: _make(lib, [1, 2], "int64") + 0.5),
    "0.5 * int": (lambda lib: 0.5 * _make(lib, [1, 2], "int64")),
    "int - float32": (lambda lib: _make(lib, [1, 2], "int64") - _make(lib, [1, 2], "float32")),
    "float32 * int": (lambda lib: _make(lib, [1, 2], "float32") * _make(lib, [1, 2], "int64")),
    "int / int": (lambda lib: _make(lib, [1, 2], "int64") / _make(lib, [2, 2], "int64")),
    "int / 2": (lambda lib: _make(lib, [1, 2], "int64") / 2),
    "int32 + 1": (lambda lib: _make(lib, [1, 2], "int32") + 1),
    "int32 + int64": (lambda lib: _make(lib, [1, 2], "int32") + _make(lib, [1, 2], "int64")),
    "bool + bool": (lambda lib: _make(lib, [True], "bool") + _make(lib, [True], "bool")),
    "bool + 1": (lambda lib: _make(lib, [True], "bool") + 1),
    "bool * 1.5": (lambda lib: _make(lib, [True], "bool") * 1.5),
    "float32 + 2": (lambda lib: _make(lib, [1, 2], "float32") + 2),
    "float32 + float64": (lambda lib: _make(lib, [1, 2], "float32")
                          + _make(lib, [1, 2], "float64")),
    "float32 + float64 0-d": (lambda lib: _make(lib, [1, 2], "float32") + _make(lib, 1, "float64")),
    "float64 0-d * float32": (lambda lib: _make(lib, 1, "float64") * _make(lib, [1, 2], "float32")),
    "int + float64 0-d": (lambda lib: _make(lib, [1, 2], "int64") + _make(lib, 1, "float64")),
    "float32 0-d + float64 0-d": (lambda lib: _make(lib, 1, "float32") + _make(lib, 1, "float64")),
    "float32 * np.float64": (lambda lib: _make(lib, [1, 2], "float32") * np.float64(2.0)),
    "float32 ** np.float64": (lambda lib: _make(lib, [1, 2], "float32") ** np.float64(2.0)),
    "int ** 2": (lambda lib: _make(lib, [1, 2], "int64") ** 2),
    "int ** 0.5": (lambda lib: _make(lib, [1, 2], "int64") ** 0.5),
    "2 ** int": (lambda lib: 2 ** _make(lib, [1, 2], "int64")),
    "2.0 ** int": (lambda lib: 2.0 ** _make(lib, [1, 2], "int64")),
    "float32 ** int": (lambda lib: _make(lib, [1, 2], "float32") ** _make(lib, [1, 2], "int64")),
    "where(int, 0.5)": (lambda lib: lib.where(_make(lib, [True, False], "bool"),
                                              _make(lib, [1, 2], "int64"), 0.5)),
    "where(float32, float64 0-d)": (lambda lib: lib.where(_make(lib, [True, False], "bool"),
                                                          _make(lib, [1, 2], "float32"),
                                                          _make(lib, 0, "float64"))),
    "float32 mean": (lambda lib: _make(lib, [1, 2], "float32").mean()),
    "int sum": (lambda lib: _make(lib, [1, 2], "int32").sum()),
    "float32 > int": (lambda lib: _make(lib, [1, 2], "float32") > _make(lib, [1, 3], "int64")),
}


@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_result_dtype_follows_torch(name):
    ours, theirs = DTYPE_CASES[name](tg), DTYPE_CASES[name](torch)
    assert str(ours.dtype) == torch_dtype_name(theirs), name
    np.testing.assert_allclose(ours.array, theirs.numpy())


def test_mixed_dtype_gradients_come_back_in_each_inputs_dtype():
    a = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    b = tg.tensor(np.array(3.0, np.float64), requires_grad=True)
    c = tg.tensor(np.array([4.0, 5.0], np.float64), requires_grad=True)
    assert (a * b).dtype == np.float32         # a 0-d float64 does not promote, as torch
    assert (a * c).dtype == np.float64
    (a * b).sum().backward()
    (a * c).sum().backward()                   # float64
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    assert c.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad.array, [3.0 + 4.0, 3.0 + 5.0])
    np.testing.assert_allclose(b.grad.array, 3.0)


# ============================================================================ attributes
def test_attributes():
    t = Tensor(np.zeros((2, 3, 4), np.float32))
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24 and len(t) == 2
    assert t.dtype == np.float32 and t.dtype == tg.float32
    assert t.requires_grad is False and t.grad is None and t.grad_fn is None and t.is_leaf
    s = Tensor(3.0)
    assert s.shape == () and s.ndim == 0 and s.numel() == 1
    with pytest.raises(TypeError, match="0-d"):
        len(s)
    with pytest.raises(TypeError, match="0-d"):
        iter(s)


def test_iteration_and_len_follow_first_dim():
    t = tg.arange(6).reshape(3, 2)
    rows = list(t)
    assert len(rows) == 3 and rows[1].tolist() == [2, 3]


# ============================================================================ repr
@pytest.mark.parametrize("data", [[1.0, 2.0, 3.0], [1, 2, 3], [True, False], [[1.0, 2.0]],
                                  [-1.0, 0.0], 7])
def test_repr_matches_torch_for_simple_values(data):
    assert repr(tg.tensor(data)) == repr(torch.tensor(data))
    if isinstance(data, list) and isinstance(np.ravel(data)[0], float):
        assert repr(tg.tensor(data, requires_grad=True)) == repr(torch.tensor(data,
                                                                           requires_grad=True))


def test_repr_shows_grad_fn_and_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr(x.sum()) == "tensor(3., grad_fn=<SumBackward>)"
    assert repr(tg.tensor(np.array([1.0, 2.0]))) == "tensor([1., 2.], dtype=tinygrad_sgd.float64)"
    assert repr(tg.tensor(np.array([1, 2], np.int32))) == "tensor([1, 2], dtype=tinygrad_sgd.int32)"
    assert "1.5" in repr(Tensor(1.5))


# ============================================================================ constructors
def test_zeros_ones_full():
    for fn, value in ((tg.zeros, 0.0), (tg.ones, 1.0)):
        for args in ((2, 3), ((2, 3),), ([2, 3],)):
            t = fn(*args)
            assert t.shape == (2, 3) and t.dtype == np.float32 and (t.array == value).all()
        assert fn(2, dtype=tg.float64).dtype == np.float64
        assert fn(2, requires_grad=True).requires_grad
        assert fn().shape == ()
    for value in (1.5, 2, True):
        ours, theirs = tg.full((2, 3), value), torch.full((2, 3), value)
        assert str(ours.dtype) == torch_dtype_name(theirs) and ours.tolist() == theirs.tolist()
    assert tg.full(3, 1.0).shape == (3,)
    assert tg.full((2,), 1, dtype=tg.float64).dtype == np.float64


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (0, 1, 0.25), (0.5, 3.0), (5, 0, -1)])
def test_arange_matches_torch(args):
    ours, theirs = tg.arange(*args), torch.arange(*args)
    assert str(ours.dtype) == torch_dtype_name(theirs)
    np.testing.assert_allclose(ours.array, theirs.numpy())


def test_random_constructors():
    tg.manual_seed(0)
    r = tg.rand(1000)
    assert r.shape == (1000,) and r.dtype == np.float32
    assert 0.0 <= r.array.min() and r.array.max() < 1.0
    n = tg.randn(20000)
    assert n.dtype == np.float32 and abs(n.array.mean()) < 0.05 and abs(n.array.std() - 1) < 0.05
    i = tg.randint(3, 7, (500,))
    assert i.dtype == np.int64 and set(i.tolist()) == {3, 4, 5, 6}
    assert tg.randint(4, size=(2, 2)).shape == (2, 2)
    assert tg.rand(2, 3, dtype=tg.float64).dtype == np.float64
    assert tg.randn(2, requires_grad=True).requires_grad


def test_like_constructors():
    t = tg.tensor(np.zeros((2, 3), np.float64))
    for fn in (tg.zeros_like, tg.ones_like, tg.rand_like, tg.randn_like):
        out = fn(t)
        assert out.shape == (2, 3) and out.dtype == np.float64
        assert fn(t, dtype=tg.float32).dtype == np.float32
    assert (tg.ones_like(t).array == 1).all() and (tg.zeros_like(t).array == 0).all()
    f = tg.full_like(t, 2.5)
    assert f.dtype == np.float64 and (f.array == 2.5).all()
    assert tg.zeros_like(t, requires_grad=True).requires_grad


def test_manual_seed_makes_draws_reproducible():
    def draws():
        return (tg.rand(5).tolist(), tg.randn(2, 3).tolist(), tg.randint(0, 100, (4,)).tolist())
    tg.manual_seed(123)
    first = draws()
    tg.manual_seed(123)
    assert draws() == first
    tg.manual_seed(124)
    assert draws() != first
    gen = tg.manual_seed(5)
    assert gen is tg.default_generator


# ============================================================================ conversions
def test_item():
    assert Tensor(2.5).item() == 2.5 and isinstance(Tensor(2.5).item(), float)
    assert tg.tensor([7]).item() == 7 and isinstance(tg.tensor([7]).item(), int)
    assert tg.tensor([[True]]).item() is True
    assert float(Tensor([1.5])) == 1.5 and int(tg.tensor(3)) == 3
    with pytest.raises(ValueError, match=r"only a tensor with one element.*shape \(2,\)"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError, match="one element"):
        Tensor(np.zeros((0,))).item()


def test_bool_of_many_elements_is_ambiguous():
    assert bool(Tensor([1.0])) is True and bool(Tensor(0.0)) is False
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))


@given(data=st.data())
def test_tolist_matches_torch(data):
    a, b = both(data.draw(arrays(data.draw(shapes()))), requires_grad=False)
    assert a.tolist() == b.tolist()


def test_numpy_shares_memory_writable_and_read_only_when_requiring_grad():
    """As torch's: a writable view of the tensor's memory (tests/test_numpy_bridge.py has the
    rest); for a tensor that requires grad, a read-only view (torch refuses)."""
    t = Tensor(np.arange(4.0))
    view = t.numpy()
    assert np.shares_memory(view, t.array) and view.flags.writeable
    view[0] = 5.0
    assert t.tolist() == [5.0, 1.0, 2.0, 3.0]
    w = Tensor(np.arange(4.0), requires_grad=True)
    read = w.numpy()
    assert np.shares_memory(read, w.array) and not read.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        read[0] = 5.0
    assert w.tolist() == [0.0, 1.0, 2.0, 3.0]
    copy = w.numpy().copy()
    copy[0] = 5.0                               # a copy is the user's to change
    assert w.tolist()[0] == 0.0
    assert w.array.flags.writeable               # the tensor's own array is untouched


def test_dtype_conversions():
    x = Tensor([1.5, -2.5])
    assert x.double().dtype == np.float64 and x.long().tolist() == [1, -2]
    assert x.int().dtype == np.int32 and x.bool().tolist() == [True, True]
    assert x.float() is x and x.to(tg.float32) is x
    y = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    z = y.to(tg.float64)
    assert z.dtype == np.float64 and z.requires_grad
    (z * z).sum().backward()
    assert y.grad.dtype == np.float32 and y.grad.tolist() == [2.0, 4.0]


def test_clone_and_detach():
    x = Tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.array, x.array)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf and not np.shares_memory(c.array, x.array)
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    plain = Tensor([1.0]).clone()
    assert not plain.requires_grad


def test_tensor_as_index_and_setitem():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x[tg.tensor(1)].tolist() == [3.0, 4.0, 5.0]
    assert x[tg.tensor([1, 0])].shape == (2, 3)
    assert x[x > 3].tolist() == [4.0, 5.0]
    x[0, 1] = 10.0
    x[x > 4] = Tensor(0.0)
    assert x.tolist() == [[0.0, 0.0, 2.0], [3.0, 4.0, 0.0]]


def test_flatten_checks_its_dims_like_torch():
    import torch
    x = tg.ones(2, 3, 4)
    assert x.flatten(1).shape == tuple(torch.ones(2, 3, 4).flatten(1).shape)
    assert x.flatten(0, 1).shape == (6, 4)
    with pytest.raises(ValueError, match="start_dim"):
        x.flatten(2, 1)
    with pytest.raises(IndexError, match="out of range"):
        x.flatten(0, 3)


def test_requires_grad_attribute_is_checked_as_torch():
    """``t.requires_grad = True`` on an integer tensor and ``= False`` on a non-leaf raise
    torch's RuntimeError (the attribute, not only ``requires_grad_()``)."""
    import pytest
    import torch
    import tinygrad_sgd as tg
    for lib in (tg, torch):
        i = lib.tensor([1, 2])
        with pytest.raises(RuntimeError, match="only Tensors of floating point and complex "
                                               "dtype can require gradients"):
            i.requires_grad = True
        x = lib.tensor([1.0], requires_grad=True)
        y = x * 2
        with pytest.raises(RuntimeError, match="you can only change requires_grad flags of "
                                               "leaf variables"):
            y.requires_grad = False
        with pytest.raises(RuntimeError, match="you can only change requires_grad flags of "
                                               "leaf variables"):
            y.requires_grad = True
        assert y.requires_grad_() is y      # the method, asking for what it has: fine
        x.requires_grad = False
        assert not x.requires_grad and not (x * 2).requires_grad


def test_reading_grad_of_a_non_leaf_warns_as_torch():
    """``y.grad`` of an intermediate result is None after backward — torch warns that it is
    not a leaf (the usual mistake of learners); leaves, retained non-leaves and ``.grad``
    set by hand do not warn."""
    import warnings
    import pytest
    import torch
    import tinygrad_sgd as tg
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = x * 3
        z.retain_grad()
        (y + z).sum().backward()
        with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf "
                                             "Tensor is being accessed"):
            assert y.grad is None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert x.grad is not None and z.grad is not None


def test_small_tensor_queries_and_casts_as_torch():
    """The attribute-like methods torch code uses: size() is a Size, ndimension, itemsize,
    nbytes, is_signed/is_complex, is_cpu/get_device, retains_grad; half/short/char/byte."""
    import numpy as np
    import torch
    import tinygrad_sgd as tg
    for values in ([[1.5, -2.0, 3.0]], [[1, 2, 3]], [[True, False, True]]):
        a, t = tg.tensor(values), torch.tensor(values)
        assert isinstance(a.size(), tg.Size) and tuple(a.size()) == tuple(t.size())
        assert a.size(-1) == t.size(-1) and a.ndimension() == t.ndimension()
        assert a.itemsize == t.itemsize and a.nbytes == t.nbytes
        assert a.is_signed() == t.is_signed() and a.is_complex() == t.is_complex()
        assert a.is_cpu and t.is_cpu and a.get_device() == t.get_device() == -1
        for cast in ("half", "short", "char", "byte"):
            ours, theirs = getattr(a, cast)(), getattr(t, cast)()
            assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
            np.testing.assert_array_equal(ours.array, theirs.numpy())
    x = tg.tensor([1.0], requires_grad=True)
    y = x * 2
    assert not y.retains_grad
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
