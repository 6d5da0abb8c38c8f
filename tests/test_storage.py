"""t.storage() and t.untyped_storage() as torch shows them (the makemore lecture prints one):
the elements of the memory a tensor views, shared by its views; printed as torch prints them
when a torch program runs."""
import inspect
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import storage as storage_module
from tinygrad_sgd.printing import OPTIONS

CASES = {
    "int view": lambda L: L.arange(6).view(2, 3),
    "row of it": lambda L: L.arange(6).view(2, 3)[1],
    "transposed": lambda L: L.arange(6).view(2, 3).t(),
    "floats": lambda L: L.tensor([1.5, 2.0, 0.1]),
    "doubles": lambda L: L.tensor([1.5, -2.25], dtype=L.float64),
    "bools": lambda L: L.tensor([True, False]),
    "empty": lambda L: L.zeros(0),
}


@pytest.fixture
def as_torch():
    before = OPTIONS.namespace
    OPTIONS.namespace = "torch"
    yield
    OPTIONS.namespace = before


@pytest.mark.parametrize("case", sorted(CASES))
def test_storage_is_torchs(case, as_torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = (CASES[case](L) for L in (torch, tg))
        ts, os_ = theirs.storage(), ours.storage()
    assert repr(os_) == repr(ts)
    assert (len(os_), os_.size(), os_.element_size(), os_.nbytes(), os_.tolist()) == \
        (len(ts), ts.size(), ts.element_size(), ts.nbytes(), ts.tolist())
    assert str(os_.dtype) == str(ts.dtype)
    tu, ou = theirs.untyped_storage(), ours.untyped_storage()
    assert repr(ou) == repr(tu) and len(ou) == len(tu) and ou.tolist() == tu.tolist()


def test_views_share_a_storage_and_writes_go_through():
    a = tg.arange(6).view(2, 3)
    b = a[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert b.storage().data_ptr() == a.storage().data_ptr()
        assert a.clone().storage().data_ptr() != a.storage().data_ptr()
        a.storage()[4] = 40
    assert a.tolist() == [[0, 1, 2], [3, 40, 5]]


def test_the_deprecation_warning_is_torchs_and_once():
    storage_module._warned = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.ones(2).storage()
        tg.ones(2).storage()
    assert [str(w.message) for w in caught] == [
        "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will "
        "be the only storage class. This should only matter to you if you are using storages "
        "directly.  To access UntypedStorage directly, use tensor.untyped_storage() instead "
        "of tensor.storage()"]
    assert np.all(tg.ones(2).untyped_storage().tolist()[-4:] == [0, 0, 128, 63])


def test_float_of_a_tensor_that_requires_grad_warns_once_as_torch():
    """float(t) (and '%.2f' % t) of a tensor that requires grad: torch's UserWarning, once a
    process; item() and int() do not warn."""
    # (the flag __float__ reads; unwrapped, as a Tensor subclass defined by an earlier test
    # puts torch_function's wrapper in its place)
    inspect.unwrap(tg.Tensor.__float__).__globals__["_warned_float"] = False
    t = (tg.ones(1, requires_grad=True) * 2).sum()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t.item(), int(t)
        assert "%.2f" % t == "2.00"
        float(t)
    assert [str(w.message) for w in caught] == [
        "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
        "behavior.\nConsider using tensor.detach() first."]
