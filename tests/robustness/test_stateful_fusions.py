"""The step's fusions learn from the calls before them: a convolution pools ahead for the
pooling that followed its geometry lately (ops/conv.py ``_POOL_AFTER``), a pooling makes the
relu ahead for the relu that followed it (ops/pool.py ``_RELU_AFTER``), and both hand over
arrays from a pool of reused memory. What they learnt must never be used for a call it does
not fit. Here one process runs a seeded random sequence of ``conv → pool → relu`` chains whose
shapes collide on some of those keys and not on others (batch, channels, filters, kernel,
pooling's options, dtype, which inputs require grad), each checked against torch: values and
every gradient. (A sequence like these found the convolution of 20 filters pooling into arrays
learnt for 10: heap corruption.)"""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels.backend import numba_available

BACKENDS = ["numpy"] + (["numba"] if numba_available() else [])


def chain(lib, x, w, b, pool, relu, grads):
    F = lib.nn.functional
    leaves = [lib.tensor(a.copy(), requires_grad=g) for a, g in zip((x, w, b), grads)]
    y = F.max_pool2d(F.conv2d(*leaves), **pool)
    y = F.relu(y) if relu else y
    if any(grads):
        (y * y.detach().nan_to_num(0, 0, 0)).sum().backward()
    return y.detach().numpy(), [t.grad.numpy() if g else None for t, g in zip(leaves, grads)]


def draw(rng):
    n, c, f = rng.choice([2, 3]), rng.choice([1, 2]), rng.choice([5, 10, 20])
    size, k = rng.choice([12, 13]), rng.choice([3, 5])
    dtype = rng.choice([np.float32, np.float64])
    x = rng.standard_normal((n, c, size, size)).astype(dtype)
    w = (rng.standard_normal((f, c, k, k)) * 0.3).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    pool = [dict(kernel_size=2), dict(kernel_size=2), dict(kernel_size=2, ceil_mode=True),
            dict(kernel_size=2, padding=1), dict(kernel_size=3, stride=2)][rng.integers(5)]
    grads = [(True, True, True), (False, True, True), (True, False, False),
             (False, False, False)][rng.integers(4)]
    return x, w, b, pool, bool(rng.integers(2)), grads


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_random_sequence_of_chains_gives_torchs_numbers(backend, split, restore_backend):
    kernels.set_backend(backend)
    rng = np.random.default_rng(17)
    for step in range(60):
        x, w, b, pool, relu, grads = draw(rng)
        ours, ours_g = chain(tg, x, w, b, pool, relu, grads)
        theirs, theirs_g = chain(torch, x, w, b, pool, relu, grads)
        tol = 1e-5 if x.dtype == np.float32 else 1e-12
        what = f"step {step}: {x.shape} {w.shape} {pool} relu={relu} grads={grads}"
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, what
        np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol, err_msg=what)
        for a, t in zip(ours_g, theirs_g):
            assert (a is None) == (t is None), what
            if a is not None:
                np.testing.assert_allclose(a, t, rtol=tol * 10, atol=tol * 10, err_msg=what)
