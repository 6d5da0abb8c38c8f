"""A few more of torch's tensor functions, against torch: torch.detach, is_nonzero,
is_same_size, sum_to_size (values, gradient, errors) and register_post_accumulate_grad_hook
(when it runs, what it sees, an optimizer step inside it, removal, refusals); ``x in t``."""
import math

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = [tg, torch]


def test_detach_is_nonzero_is_same_size():
    for L in LIBS:
        x = L.tensor([1.5, -2.0], requires_grad=True)
        d = L.detach(x)
        assert not d.requires_grad and d.tolist() == [1.5, -2.0]
        assert L.tensor([0.0]).is_nonzero() is False and L.is_nonzero(L.tensor(3)) is True
        assert L.tensor([[-0.0]]).is_nonzero() is False
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one "
                                               "value is ambiguous"):
            x.is_nonzero()
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is "
                                               "ambiguous"):
            L.tensor([]).is_nonzero()
        assert L.is_same_size(x, L.ones(2)) and not x.is_same_size(L.ones(2, 1))


@pytest.mark.parametrize("size", [(1, 3), (3,), ((3,),), (2, 1), (1, 1), (2, 3), ((),)])
def test_sum_to_size_values_and_gradient(size):
    out = []
    for L in LIBS:
        x = L.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        y = x.sum_to_size(*size)
        (y * L.tensor(np.arange(1.0, 1.0 + y.numel()).reshape(tuple(y.shape)))).sum().backward()
        out.append((y.detach().numpy().tolist(), tuple(y.shape), x.grad.numpy().tolist()))
    assert out[0] == out[1]


@pytest.mark.parametrize("size", [(2, 2), (4, 2, 3), (3, 1)])
def test_sum_to_size_errors_as_torch(size):
    for L in LIBS:
        with pytest.raises(RuntimeError, match=r"is not expandable to size \{\[2, 3\]\}"):
            L.ones(2, 3).sum_to_size(*size)


def test_post_accumulate_grad_hook_runs_after_the_grad_is_stored():
    seen = []
    for L in LIBS:
        w = L.tensor([1.0, 2.0], requires_grad=True)
        b = L.tensor([0.5], requires_grad=True)
        log = []

        def step(p, log=log):                     # an SGD step inside backward
            log.append(p.grad.tolist())
            with L.no_grad():
                p -= 0.1 * p.grad
        handle = w.register_post_accumulate_grad_hook(step)
        ((w * 3).sum() + (w * b).sum()).backward()
        ((w * 3).sum()).backward()                 # accumulates: the hook sees the sum
        handle.remove()
        (w.sum()).backward()
        seen.append((log, w.detach().numpy().round(6).tolist(), w.grad.tolist()))
        with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be "
                                               "registered on non-leaf tensors"):
            (w * 2).register_post_accumulate_grad_hook(step)
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that "
                                               "doesn't require gradient"):
            L.ones(2).register_post_accumulate_grad_hook(step)
    assert seen[0] == seen[1]


def test_post_accumulate_grad_hook_not_run_by_autograd_grad():
    for L in LIBS:
        w = L.tensor([1.0, 2.0], requires_grad=True)
        calls = []
        w.register_post_accumulate_grad_hook(lambda p: calls.append(1))
        L.autograd.grad((w * w).sum(), [w])
        assert calls == [] and w.grad is None


@pytest.mark.parametrize("call", [
    lambda L, x: x.split(2), lambda L, x: x.split(split_size=2), lambda L, x: x.split([1, 5]),
    lambda L, x: x.split(split_size=[2, 4], dim=0), lambda L, x: L.split(x, 4),
    lambda L, x: L.split(tensor=x, split_size_or_sections=2),
    lambda L, x: L.split(x, split_size_or_sections=[3, 3], dim=-1)])
def test_split_takes_torchs_argument_names(call):
    got = [p.tolist() for p in call(tg, tg.arange(6.0))]
    assert got == [p.tolist() for p in call(torch, torch.arange(6.0))]


@pytest.mark.parametrize("call", [lambda L, x: x.split(split_size_or_sections=2),
                                  lambda L, x: L.split(x, split_size=2)])
def test_split_refuses_the_other_forms_argument_name_as_torch(call):
    for L in LIBS:
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            call(L, L.arange(6.0))


@pytest.mark.parametrize("shape", [(2, 3), (), (4,), (2, 0)])
def test_tensor_of_a_size_is_a_tensor_of_that_shape_as_torch(shape):
    ours, theirs = tg.Tensor(tg.Size(shape)), torch.Tensor(torch.Size(shape))
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == tg.float32
    assert tuple(tg.Tensor(tg.ones(*shape).shape).shape) == shape if shape else True
    assert tg.Tensor(shape).tolist() == torch.Tensor(shape).tolist()   # a tuple is data


@pytest.mark.parametrize("element", [2, 2.5, True, 0, 1 + 0j, 3 + 0j, 1 + 1j, complex(1, math.nan),
                                     np.float64(2.0), np.complex128(2.0), -0.0, math.nan])
@pytest.mark.parametrize("values, dtype", [([1.0, 2.0, 0.0], "float32"), ([1, 2, 5], "int64"),
                                           ([True, False], "bool")])
def test_in_is_torchs_for_numbers_of_every_kind(element, values, dtype):
    ours = tg.tensor(values, dtype=getattr(tg, dtype))
    theirs = torch.tensor(values, dtype=getattr(torch, dtype))
    assert (element in ours) == (element in theirs)


def test_in_refuses_what_is_neither_a_tensor_nor_a_number():
    with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
        "a" in tg.tensor([1.0])
    assert tg.tensor([2.0]) in tg.tensor([[1.0, 2.0]])
