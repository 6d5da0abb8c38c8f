"""torch.distributions against torch: values, shapes, gradients, seeded samples, errors."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.distributions as D

TD = torch.distributions
rng = np.random.default_rng(0)
LOC, SCALE = rng.normal(size=(3, 4)), rng.uniform(0.5, 2, size=(3, 4))
LOGITS = rng.normal(size=(3, 5))
P = rng.uniform(0.1, 0.9, size=(3, 4))
LOW, HIGH = rng.uniform(-1, 0, size=(4,)), rng.uniform(1, 2, size=(4,))
A = rng.normal(size=(2, 3, 3))
TRIL = np.tril(A) + 3 * np.eye(3)
COV = A @ A.transpose(0, 2, 1) + np.eye(3)
MLOC = rng.normal(size=(2, 3))

# name: (class name, {param: array}, value for log_prob)
CASES = {
    "normal": ("Normal", {"loc": LOC, "scale": SCALE}, rng.normal(size=(3, 4))),
    "normal_broadcast": ("Normal", {"loc": LOC, "scale": 1.5}, rng.normal(size=(2, 3, 4))),
    "cat_logits": ("Categorical", {"logits": LOGITS}, np.array([0., 4., 2.])),
    "cat_probs": ("Categorical", {"probs": np.exp(LOGITS)}, np.array([[1., 3., 0.]])),
    "bern_probs": ("Bernoulli", {"probs": P}, (rng.uniform(size=(3, 4)) > 0.5) * 1.0),
    "bern_logits": ("Bernoulli", {"logits": LOC}, (rng.uniform(size=(3, 4)) > 0.5) * 1.0),
    "uniform": ("Uniform", {"low": LOW, "high": HIGH}, rng.uniform(0, 1, size=(2, 4))),
    "mvn_tril": ("MultivariateNormal", {"loc": MLOC, "scale_tril": TRIL},
                 rng.normal(size=(5, 2, 3))),
    "mvn_cov": ("MultivariateNormal", {"loc": MLOC[0], "covariance_matrix": COV},
                rng.normal(size=(2, 3))),
}


def build(lib, name, params, grad=True):
    dist = getattr(tg.distributions if lib is tg else TD, name)
    tens = {k: (lib.tensor(v, dtype=lib.float64, requires_grad=grad)
                if isinstance(v, np.ndarray) else v) for k, v in params.items()}
    return dist(**tens), tens


def close(ours, theirs, **kw):
    np.testing.assert_allclose(np.asarray(ours.detach().numpy(), dtype=np.float64),
                               theirs.detach().numpy(), rtol=1e-6, atol=1e-9, **kw)


@pytest.mark.parametrize("case", list(CASES))
def test_values_shapes_and_gradients(case):
    name, params, value = CASES[case]
    ours, ot = build(tg, name, params)
    theirs, tt = build(torch, name, params)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    for prop in ("mean", "variance", "stddev"):
        close(getattr(ours, prop), getattr(theirs, prop), equal_nan=True)
    lp_o = ours.log_prob(tg.tensor(value, dtype=tg.float64))
    lp_t = theirs.log_prob(torch.tensor(value, dtype=torch.float64))
    close(lp_o, lp_t)
    close(ours.entropy(), theirs.entropy())
    (lp_o.sum() + ours.entropy().sum()).backward()
    (lp_t.sum() + theirs.entropy().sum()).backward()
    for k, v in ot.items():
        if isinstance(v, tg.Tensor):
            close(v.grad, tt[k].grad)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("sample_shape", [(), (2,), (3, 2)])
def test_seeded_samples_and_rsample_gradients(case, sample_shape):
    name, params, _ = CASES[case]
    ours, ot = build(tg, name, params)
    theirs, tt = build(torch, name, params)
    tg.manual_seed(7)
    torch.manual_seed(7)
    so, st = ours.sample(sample_shape), theirs.sample(sample_shape)
    assert tuple(so.shape) == tuple(st.shape) and str(so.dtype).split(".")[-1] == str(st.dtype).split(".")[-1]
    close(so, st)
    assert not so.requires_grad
    if theirs.has_rsample:
        ro, rt = ours.rsample(sample_shape), theirs.rsample(sample_shape)
        close(ro, rt)
        (ro ** 2).sum().backward()
        (rt ** 2).sum().backward()
        for k, v in ot.items():
            if isinstance(v, tg.Tensor):
                close(v.grad, tt[k].grad)


KL_PAIRS = [("normal", "normal_broadcast"), ("cat_logits", "cat_probs"),
            ("bern_probs", "bern_logits"), ("mvn_tril", "mvn_cov")]


@pytest.mark.parametrize("p,q", KL_PAIRS)
def test_kl_divergence(p, q):
    (po, pot), (qo, qot) = build(tg, *CASES[p][:2]), build(tg, *CASES[q][:2])
    (pt, ptt), (qt, qtt) = build(torch, *CASES[p][:2]), build(torch, *CASES[q][:2])
    ko, kt = D.kl_divergence(po, qo), TD.kl_divergence(pt, qt)
    close(ko, kt)
    ko.sum().backward()
    kt.sum().backward()
    for ours, theirs in ((pot, ptt), (qot, qtt)):
        for k, v in ours.items():
            if isinstance(v, tg.Tensor):
                close(v.grad, theirs[k].grad)


def test_kl_uniform_and_independent():
    for lib, mod in ((tg, D), (torch, TD)):
        u = mod.Uniform(lib.tensor([0., 0.]), lib.tensor([1., 2.]))
        v = mod.Uniform(lib.tensor([-1., 0.5]), lib.tensor([2., 3.]))
        i, j = mod.Independent(mod.Normal(lib.zeros(2, 3), 1.), 1), \
            mod.Independent(mod.Normal(lib.ones(2, 3), 2.), 1)
        yield_ = (mod.kl_divergence(u, v), mod.kl_divergence(i, j))
        if lib is tg:
            ours = yield_
        else:
            for o, t in zip(ours, yield_):
                close(o, t)


def test_independent_normal_vae_loss():
    x = rng.uniform(size=(4, 6))
    out = {}
    for lib, mod in ((tg, D), (torch, TD)):
        mean = lib.tensor(x * 0.5, requires_grad=True)
        d = mod.Independent(mod.Normal(mean, 0.1), 1)
        lp = d.log_prob(lib.tensor(x))
        lp.sum().backward()
        out[lib.__name__] = (lp, mean.grad, tuple(d.batch_shape), tuple(d.event_shape))
    o, t = out["tinygrad_sgd"], out["torch"]
    close(o[0], t[0])
    close(o[1], t[1])
    assert o[2:] == t[2:] == ((4,), (6,))


ERRORS = [
    ("Normal", {"loc": np.zeros(2), "scale": np.array([1., -1.])}, None),
    ("Categorical", {}, None),
    ("Categorical", {"probs": np.array(1.0)}, None),
    ("Bernoulli", {"probs": np.array([0.5, 1.5])}, None),
    ("MultivariateNormal", {"loc": np.zeros(2), "scale_tril": np.eye(2) * -1}, None),
    ("MultivariateNormal", {"loc": np.zeros(2), "covariance_matrix": np.array([[1., 2.], [0., 1.]])}, None),
    ("Normal", {"loc": np.zeros(3), "scale": np.ones(3)}, np.zeros(2)),
    ("Categorical", {"logits": np.zeros(3)}, np.array([3.])),
    ("Bernoulli", {"probs": np.full(2, 0.5)}, np.array([0.5, 1.])),
    ("MultivariateNormal", {"loc": np.zeros(2), "scale_tril": np.eye(2)}, np.zeros(3)),
]


@pytest.mark.parametrize("name,params,value", ERRORS)
def test_errors_match_torch(name, params, value):
    def run(lib):
        try:
            d, _ = build(lib, name, params, grad=False)
            if value is not None:
                d.log_prob(lib.tensor(value, dtype=lib.float64))
        except Exception as e:                 # noqa: BLE001 - compared below
            return type(e), str(e).replace("tinygrad_sgd.", "torch.")
        return None
    ours, theirs = run(tg), run(torch)
    assert theirs is not None
    assert ours == theirs


def test_kl_not_implemented_and_expand():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p "
                                                  "type Normal and q type Bernoulli"):
        D.kl_divergence(D.Normal(0., 1.), D.Bernoulli(0.5))
    for lib, mod in ((tg, D), (torch, TD)):
        e = mod.Normal(lib.zeros(3), 1.).expand((2, 3))
        assert tuple(e.batch_shape) == (2, 3) and tuple(e.sample().shape) == (2, 3)
        c = mod.Categorical(logits=lib.zeros(4)).expand((5,))
        assert tuple(c.sample((2,)).shape) == (2, 5)
    assert repr(D.Normal(tg.zeros(3), tg.ones(3))).replace("tinygrad_sgd.", "torch.") == repr(TD.Normal(torch.zeros(3),
                                                                     torch.ones(3)))
