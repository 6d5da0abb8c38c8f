"""KL divergences of the gamma family and the counting distributions at their edges, against
torch: zero and one probabilities, zero rates, Uniform end points on the support's boundary,
mismatched Binomial counts (∞ or torch's NotImplementedError), ∞ results broadcast against
q, and Pareto shapes a ≤ 1 — values, shapes, dtypes, gradients (∞ entries masked) and errors."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.distributions as D

TD = torch.distributions

# (p, q), each (class name, {param: list}); every parameter is a leaf requiring grad
EDGE_CASES = [
    (("Binomial", {"total_count": [5., 5., 5.], "probs": [0., 1., .3]}),
     ("Binomial", {"total_count": [5., 5., 5.], "probs": [.4, .4, 0.]})),
    (("Binomial", {"total_count": [5.], "probs": [.3]}),
     ("Binomial", {"total_count": [5., 7.], "probs": [.4, .4]})),
    (("Binomial", {"total_count": [5., 5.], "probs": [.3, .3]}),
     ("Binomial", {"total_count": [3., 5.], "probs": [.4, .4]})),
    (("Poisson", {"rate": [0., 1., 2.]}), ("Poisson", {"rate": [1., 0., 2.]})),
    (("Bernoulli", {"probs": [0., 1., .5, 0.]}), ("Poisson", {"rate": [1., 2., 0., 0.]})),
    (("Beta", {"concentration1": [2.], "concentration0": [3.]}),
     ("Uniform", {"low": [0., -.1, .1, 0.], "high": [1., 1., 1., .9]})),
    (("Uniform", {"low": [0., 0., -.01, .2, .5], "high": [.9, 1., .5, 1.01, 1.]}),
     ("Beta", {"concentration1": [2.], "concentration0": [3.]})),
    (("Uniform", {"low": [0., -.01, .2], "high": [.9, .5, 1.01]}),
     ("Gamma", {"concentration": [2.], "rate": [3.]})),
    (("Gamma", {"concentration": [2.], "rate": [3.]}),
     ("Pareto", {"scale": [1., 2., 3.], "alpha": [1., 1., 1.]})),
    (("Beta", {"concentration1": [2.], "concentration0": [3.]}),
     ("Pareto", {"scale": [1., 2., 3.], "alpha": [1., 1., 1.]})),
    (("Normal", {"loc": [2.], "scale": [3.]}),
     ("Gamma", {"concentration": [1., 2.], "rate": [1., 1.]})),
    (("Poisson", {"rate": [2.]}), ("Binomial", {"total_count": [3., 4.], "probs": [.5, .5]})),
    (("Pareto", {"scale": [1., 1., 1., 1.], "alpha": [.5, 1., 1.5, 3.]}),
     ("Gamma", {"concentration": [2.], "rate": [3.]})),
    (("Gamma", {"concentration": [2., .5], "rate": [3., .1]}),
     ("Gumbel", {"loc": [.3], "scale": [.7]})),
    (("Dirichlet", {"concentration": [[1., 2., 3.], [.5, .5, .5]]}),
     ("Dirichlet", {"concentration": [2., 2., .1]})),
    (("Exponential", {"rate": [2.]}),
     ("Beta", {"concentration1": [2., 1.], "concentration0": [3., 1.]})),
    (("Gamma", {"concentration": [2.], "rate": [3.]}),
     ("Uniform", {"low": [0., 1.], "high": [1., 2.]})),
]


def _run(lib, p, q, dt):
    mod = D if lib is tg else TD
    leaves = []

    def make(name, params):
        tens = {k: lib.tensor(v, dtype=getattr(lib, dt), requires_grad=k != "total_count")
                for k, v in params.items()}
        leaves.extend(tens.values())
        return getattr(mod, name)(**tens)

    try:
        kl = mod.kl_divergence(make(*p), make(*q))
    except Exception as e:                     # noqa: BLE001 - compared with torch's
        return type(e).__name__, str(e)
    if kl.requires_grad:                       # the constant ∞ results carry no graph
        kl.masked_fill(kl.isinf(), 0.0).sum().backward()
    return kl, [leaf.grad for leaf in leaves]


def _close(ours, theirs, rtol):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy().astype(np.float64),
                               theirs.detach().numpy().astype(np.float64), rtol=rtol,
                               atol=rtol * 1e-3, equal_nan=True)


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("p,q", EDGE_CASES, ids=[f"{p[0]}-{q[0]}-{i}"
                                                 for i, (p, q) in enumerate(EDGE_CASES)])
def test_kl_gamma_family_edges_match_torch(p, q, dt):
    ours, theirs = _run(tg, p, q, dt), _run(torch, p, q, dt)
    if isinstance(theirs[0], str):
        assert ours == theirs
        return
    rtol = 2e-5 if dt == "float32" else 1e-9
    assert ours[0].requires_grad == theirs[0].requires_grad
    _close(ours[0], theirs[0], rtol)
    for g_ours, g_theirs in zip(ours[1], theirs[1]):
        assert (g_ours is None) == (g_theirs is None)
        if g_theirs is not None:
            _close(g_ours, g_theirs, rtol)
