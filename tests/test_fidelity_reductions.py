"""Reductions and scans where a probe (~180,000 cases against torch 2.13) found this
library's numbers differing: mean(dtype=float16), float16 cumsum/cumprod, logcumsumexp of a
0-d tensor, the sign of a zero amax/amin, unique_consecutive of empty tensors."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from helpers import bits as _bits

LIBS = (torch, tg)


@pytest.mark.parametrize("source", ["float32", "float64"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_mean_to_float16_rounds_once_as_torch(source, dim):
    """torch sums the input's values in float32 and rounds only the mean to float16 (the
    input cast to float16 first was 1 ulp off in 40-80% of cases)."""
    rng = np.random.default_rng(11)
    for _ in range(40):
        a = (rng.standard_normal((3, 4)) * 5).astype(source)
        kw = {} if dim is None else {"dim": dim}
        _bits(tg.mean(tg.tensor(a), dtype=tg.float16, **kw).numpy(),
              torch.mean(torch.tensor(a), dtype=torch.float16, **kw).numpy())


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_float16_scans_accumulate_in_float32_as_torch(op):
    """torch's acc_type of float16 is float32 (float64 here gave 70,000 × 0.1 = 7000, torch
    7004)."""
    rng = np.random.default_rng(12)
    data = [np.full(70000, 0.1, np.float16), rng.standard_normal(5000).astype(np.float16),
            (1 + rng.standard_normal((30, 40)) / 50).astype(np.float16)]
    for a in data:
        _bits(getattr(tg.tensor(a), op)(0).numpy(), getattr(torch.tensor(a), op)(0).numpy())


@pytest.mark.parametrize("value", [float("-inf"), float("inf"), 0.3, -2.0])
def test_logcumsumexp_of_a_0d_tensor_passes_its_gradient_on(value):
    grads = []
    for L in LIBS:
        x = L.tensor(value, dtype=L.float64, requires_grad=True)
        L.logcumsumexp(x, 0).backward(L.tensor(0.5, dtype=L.float64))
        grads.append(x.grad.numpy())
    _bits(grads[1], grads[0])


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("values", [[-0.0, 0.0], [0.0, -0.0], [[-0.0, 0.0, -1.0],
                                                              [0.0, -0.0, -2.0]]])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_amax_amin_of_equal_zeros_keep_the_first_as_torch(op, values, dtype):
    a = np.array(values, dtype)
    if op == "amin":
        a = np.where(a == 0, a, -a)
    for kw in ({}, {"dim": -1}, {"dim": 0}):
        _bits(getattr(tg, op)(tg.tensor(a), **kw).numpy(),
              getattr(torch, op)(torch.tensor(a), **kw).numpy())


@pytest.mark.parametrize("shape,dim", [((0,), 0), ((0, 3), 0), ((3, 0), 0), ((0, 3), 1),
                                       ((), 0), ((3, 0), 1), ((3, 2), 0), ((3, 2), 1)])
def test_unique_consecutive_of_empty_tensors_as_torch(shape, dim):
    a = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]]) if shape == (3, 2) else \
        np.zeros(shape, np.float32)
    out = []
    for L in LIBS:
        try:
            r = L.unique_consecutive(L.tensor(a), return_inverse=True, return_counts=True,
                                     dim=dim)
            out.append([(tuple(x.shape), x.numpy().tolist()) for x in r])
        except (RuntimeError, IndexError) as e:
            out.append((type(e).__name__, str(e)))
    assert out[1] == out[0]
