"""Tensors print as torch prints them (values, layout, summarisation, suffixes)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_sgd as tg

CASES = [3.5, 0.0, -0.0, 7, True, [1.0, 2.0], [1.5, 2.0], [1e10, 1.0], [1e-5, 1.0], [1, 2],
         [True, False], [[1.25, 2.0], [3.0, 4.0]], [0.1234567, 100.5],
         [float("nan"), float("inf"), 1.0], [float("nan")], [float("-inf"), 2.5], [0.0, -0.0],
         [123456789.0], [], [[1e-5] * 3] * 2, [1e8, 1.0], [-3.25, 1e3], [[[1, 2], [3, 4]]]]


@pytest.mark.parametrize("data", CASES, ids=repr)
def test_repr_matches_torch(data):
    assert repr(tg.tensor(data)) == repr(torch.tensor(data))


@pytest.mark.parametrize("shape", [(2000,), (40, 50), (3, 4, 5), (5, 400), (7, 1), (1, 1, 1)])
@pytest.mark.parametrize("scale", [1.0, 1e-6, 1e9])
def test_big_and_nested_tensors_are_laid_out_and_summarised_as_torch(shape, scale):
    x = (np.random.default_rng(0).standard_normal(shape) * scale).astype(np.float32)
    assert repr(tg.tensor(x)) == repr(torch.tensor(x))


@given(hnp.arrays(st.sampled_from([np.float32, np.int64, np.bool_]),
                  hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)))
@settings(max_examples=60, deadline=None)
def test_random_arrays_print_as_torch(a):
    assert repr(tg.tensor(a)) == repr(torch.tensor(a)).replace("torch.", "tinygrad_sgd.")


def test_suffixes_follow_torch_and_name_our_dtypes():
    assert repr(tg.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(tg.tensor([1.0, 2.0], dtype="float64")) == \
        "tensor([1., 2.], dtype=tinygrad_sgd.float64)"
    assert repr(tg.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert repr(tg.ones(2, requires_grad=True) * 2) == "tensor([2., 2.], grad_fn=<MulBackward>)"


def test_set_printoptions_as_torch():
    x = [1.123456, 2.0]
    try:
        tg.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        assert repr(tg.tensor(x)) == repr(torch.tensor(x))
        tg.set_printoptions(threshold=5)
        torch.set_printoptions(threshold=5)
        assert repr(tg.arange(10)) == repr(torch.arange(10))
        tg.set_printoptions(sci_mode=True)
        torch.set_printoptions(sci_mode=True)
        assert repr(tg.tensor(x)) == repr(torch.tensor(x))
    finally:
        tg.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(tg.tensor(x)) == repr(torch.tensor(x))
    tg.set_printoptions(profile="long")           # (as torch: an unknown profile is a no-op)
    torch.set_printoptions(profile="long")
    assert repr(tg.tensor(x)) == repr(torch.tensor(x))
