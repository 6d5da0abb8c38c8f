"""The in-place products (``x.addmm_(m1, m2)``, ``baddbmm_``, ``addmv_``, ``addr_``) as torch:
values, version bump, gradients through them, and the shape error."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

CASES = {
    "addmm_": ((2, 4), (2, 3), (3, 4)),
    "baddbmm_": ((5, 2, 4), (5, 2, 3), (5, 3, 4)),
    "addmv_": ((2,), (2, 3), (3,)),
    "addr_": ((2, 3), (2,), (3,)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_inplace_product_matches_torch(name):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in CASES[name]]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    ot = [tg.tensor(a, requires_grad=True) for a in arrays]
    results = []
    for lib, ts in ((torch, tt), (tg, ot)):
        x = ts[0] * 1.0
        v = x._version
        out = getattr(x, name)(ts[1], ts[2], beta=0.5, alpha=2.0)
        assert out is x and x._version == v + 1
        (x * x).sum().backward()
        results.append([x.detach().numpy() if lib is torch else x.array] +
                       [t.grad.numpy() if lib is torch else t.grad.array for t in ts])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-12)


def test_inplace_product_of_the_wrong_shape_raises():
    x = tg.zeros(3, 4)
    with pytest.raises(RuntimeError, match="must match the existing size"):
        x.addmm_(tg.ones(2, 3), tg.ones(3, 4))
    y = torch.zeros(3, 4)
    with pytest.raises(RuntimeError):
        y.addmm_(torch.ones(2, 3), torch.ones(3, 4))
    z = tg.zeros(1, 4)              # broadcasts into the product's (2, 4), but can't hold it
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        z.addmm_(tg.ones(2, 3), tg.ones(3, 4))
    with pytest.raises(RuntimeError):
        torch.zeros(1, 4).addmm_(torch.ones(2, 3), torch.ones(3, 4))
