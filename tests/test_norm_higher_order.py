"""Third derivatives through layer norm and batch norm. torch 2.13's are wrong (its native
double backward of the norms is not differentiated correctly once more: 0.7–1.1 relative error
against finite differences); ours are the derivatives of our second derivatives, which agree
with torch's to ~1e-13 — so the third is checked against central differences of the second."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

NORMS = {
    "layer_norm": lambda F, x: F.layer_norm(x, (x.shape[-1],)),
    "layer_norm affine": lambda F, x: F.layer_norm(
        x, (3,), x.new_tensor([0.5, -1.0, 2.0]), x.new_tensor([0.1, 0.2, -0.3])),
    "batch_norm": lambda F, x: F.batch_norm(x, None, None, training=True),
}


def _second(lib, norm, xv, third=False):
    x = lib.tensor(xv, requires_grad=True)
    y = norm(lib.nn.functional, x)
    g1, = lib.autograd.grad((y ** 3).sum(), x, create_graph=True)
    g2, = lib.autograd.grad((g1 ** 2).sum(), x, create_graph=third)
    if not third:
        return g2.detach().numpy()
    g3, = lib.autograd.grad((g2 ** 2).sum(), x)
    return g3.numpy()


@pytest.mark.parametrize("name", NORMS)
def test_the_third_derivative_is_the_derivative_of_the_second(name):
    norm = NORMS[name]
    xv = np.random.default_rng(0).standard_normal((6, 3))
    np.testing.assert_allclose(_second(tg, norm, xv), _second(torch, norm, xv), rtol=1e-10,
                               atol=1e-10)
    ours = _second(tg, norm, xv, third=True)

    def f(v):
        return float((_second(tg, norm, v) ** 2).sum())
    eps, fd = 1e-6, np.zeros_like(xv)
    for i in np.ndindex(xv.shape):
        d = np.zeros_like(xv)
        d[i] = eps
        fd[i] = (f(xv + d) - f(xv - d)) / (2 * eps)
    np.testing.assert_allclose(ours, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())
