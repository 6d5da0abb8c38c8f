"""Argument mistakes raised as torch raises them: a number where mm, matmul or clamp take a
Tensor (torch's TypeError), and convolutions whose input, weight and bias differ in dtype
(torch's RuntimeError, in its order and words) — both against torch itself."""
import itertools

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg


def _raised(fn):
    try:
        fn()
    except Exception as e:       # noqa: BLE001 (the comparison is the test)
        return e
    return None


def _same_error(call):
    ours, theirs = _raised(lambda: call(tg)), _raised(lambda: call(torch))
    assert theirs is not None and ours is not None, (ours, theirs)
    assert isinstance(ours, type(theirs)), (type(ours), type(theirs))
    assert str(ours) == str(theirs)


NUMBER_FOR_TENSOR = {
    "mm(2, t)": lambda L: L.mm(2, L.ones(2, 2)),
    "mm(t, 2)": lambda L: L.mm(L.ones(2, 2), 2),
    "mm(t, [[1.0]])": lambda L: L.mm(L.ones(2, 2), [[1.0]]),
    "matmul(2, t)": lambda L: L.matmul(2, L.ones(2, 2)),
    "matmul(2.5, t)": lambda L: L.matmul(2.5, L.ones(2)),
    "matmul(t, 2)": lambda L: L.matmul(L.ones(2, 2), 2),
    "clamp(2, min=1)": lambda L: L.clamp(2, min=1),
    "clamp(2, max=1)": lambda L: L.clamp(2, max=1),
    "clamp(2.0, min=t)": lambda L: L.clamp(2.0, min=L.ones(1)),
    "clamp(2)": lambda L: L.clamp(2),
}


@pytest.mark.parametrize("name", NUMBER_FOR_TENSOR)
def test_a_number_where_a_tensor_goes_is_torchs_type_error(name):
    _same_error(NUMBER_FOR_TENSOR[name])


def test_the_tensor_forms_still_compute():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    x, y = tg.tensor(a), tg.tensor(b)
    np.testing.assert_array_equal(tg.mm(x, y).numpy(), a @ b)
    np.testing.assert_array_equal(tg.matmul(x, y).numpy(), a @ b)
    np.testing.assert_array_equal(tg.clamp(x, min=1, max=4).numpy(), np.clip(a, 1, 4))


# ------------------------------------------------------------------- convolution dtypes
DTYPES = {"float32": "float32", "float64": "float64", "int64": "int64"}
CONVS = [f"{kind}{d}d" for kind in ("conv", "conv_transpose") for d in (1, 2, 3)]
MIXED = [(x, w, b) for x, w, b in itertools.product(DTYPES, DTYPES, [None, *DTYPES])
         if not (x == w and b in (None, x))]


def _conv_call(name, x, w, b):
    d = int(name[-2])
    weight = ((4, 6) if "transpose" in name else (6, 4)) + (3,) * d

    def call(L):
        F = L.nn.functional
        return getattr(F, name)(L.ones(2, 4, *(5,) * d, dtype=getattr(L, x)),
                                L.ones(*weight, dtype=getattr(L, w)),
                                None if b is None else L.ones(6, dtype=getattr(L, b)))
    return call


@pytest.mark.parametrize("name", CONVS)
@pytest.mark.parametrize("x, w, b", MIXED, ids=lambda v: str(v))
def test_conv_of_mixed_dtypes_as_torch(name, x, w, b):
    """float32 input with a float64 weight or bias, an int64 input with a float weight, an
    int64 bias ...: torch's RuntimeError and words (oneDNN's for a float32 input), or, where
    torch adds the bias of a transposed 1-d/2-d convolution in the result's dtype, its
    numbers."""
    call = _conv_call(name, x, w, b)
    theirs = _raised(lambda: call(torch))
    if theirs is not None:
        _same_error(call)
        assert isinstance(_raised(lambda: call(tg)), RuntimeError)
        return
    ours, ref = call(tg), call(torch)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12)


def test_conv_transpose_bias_of_another_dtype_gets_its_gradient():
    """A float32 bias added to a float64 transposed convolution (torch goes on): its gradient
    is float32, as torch's."""
    grads = []
    for L in (tg, torch):
        x = L.ones(1, 2, 4, dtype=L.float64)
        w = L.ones(2, 3, 3, dtype=L.float64)
        b = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        L.nn.functional.conv_transpose1d(x, w, b).sum().backward()
        grads.append((str(b.grad.dtype).split(".")[-1], b.grad.numpy()))
    assert grads[0][0] == grads[1][0]
    np.testing.assert_array_equal(grads[0][1], grads[1][1])
