"""TransformedDistribution, the constraint registry, ExponentialFamily and the relaxed
(Concrete) distributions against torch, on what test_distributions_more.py does not pin:
the logit/log-space bases on their own, chains of transforms (decreasing ones flip the cdf,
vector transforms reinterpret batch dims), registry errors, edge values (log_prob outside
the support without validation, modes torch reports as nan) and expand."""
import numpy as np
import pytest
import torch
from torch.distributions.relaxed_bernoulli import LogitRelaxedBernoulli as TLogitRB
from torch.distributions.relaxed_categorical import ExpRelaxedCategorical as TExpRC

import tinygrad_sgd as tg
import tinygrad_sgd.distributions as D
from tinygrad_sgd.distributions.relaxed_bernoulli import LogitRelaxedBernoulli as OLogitRB
from tinygrad_sgd.distributions.relaxed_categorical import ExpRelaxedCategorical as OExpRC

TD = torch.distributions
LIBS = {"tg": (tg, D, OLogitRB, OExpRC), "torch": (torch, TD, TLogitRB, TExpRC)}
rng = np.random.default_rng(7)
P3, L4 = rng.uniform(0.1, 0.9, 3), rng.normal(size=(2, 4))
X3, S24 = rng.normal(size=(2, 3)), rng.dirichlet(np.ones(4), size=2)


def _t(tl, a, grad=True):
    return tl.tensor(a, dtype=tl.float64, requires_grad=grad)


# name: (build(tl, mod, LogitRB, ExpRC, params) -> distribution, params, value)
CASES = {
    "logit_relaxed_bernoulli": (lambda tl, m, lrb, erc, p: lrb(_t(tl, 0.6), probs=p[0]),
                                [P3], X3),
    "logit_relaxed_bernoulli_logits": (lambda tl, m, lrb, erc, p: lrb(_t(tl, 1.7), logits=p[0]),
                                       [X3[0]], X3),
    "exp_relaxed_categorical": (lambda tl, m, lrb, erc, p: erc(_t(tl, 0.8), logits=p[0]),
                                [L4], np.log(S24)),
    "gumbel_chain_decreasing": (  # cdf through exp, affine(−2): sign −1 flips F into 1 − F
        lambda tl, m, lrb, erc, p: m.TransformedDistribution(
            m.Normal(p[0], 1.0), [m.transforms.ExpTransform(),
                                  m.transforms.AffineTransform(1.0, -2.0)]),
        [X3[0]], -rng.uniform(0.5, 3, (2, 3))),
    "normal_to_simplex": (lambda tl, m, lrb, erc, p: m.TransformedDistribution(
        m.Normal(p[0], 1.0), m.transforms.StickBreakingTransform()), [L4[:, :3]], S24),
    "empty_chain": (lambda tl, m, lrb, erc, p: m.TransformedDistribution(m.Normal(p[0], 2.0),
                                                                          []), [X3[0]], X3),
    "weibull_small_k": (lambda tl, m, lrb, erc, p: m.Weibull(p[0], p[1]),
                        [P3 + 1, np.array([0.5, 1.0, 2.0])], X3 ** 2 + 0.1),
    "kumaraswamy_mode": (lambda tl, m, lrb, erc, p: m.Kumaraswamy(p[0], p[1]),
                         [np.array([3.0, 2.0, 0.5]), np.array([4.0, 2.0, 2.0])],
                         rng.uniform(0.1, 0.9, (2, 3))),
    "pareto_low_alpha": (lambda tl, m, lrb, erc, p: m.Pareto(p[0], p[1]),
                         [np.ones(3), np.array([0.5, 1.5, 3.0])], X3 ** 2 + 1.5),
}


def _run(lib, case):
    tl, mod, lrb, erc = LIBS[lib]
    build, params, value = CASES[case]
    ps = [_t(tl, p) for p in params]
    d = build(tl, mod, lrb, erc, ps)
    out = {"shapes": (tuple(d.batch_shape), tuple(d.event_shape)),
           "has_rsample": d.has_rsample, "support": repr(d.support).replace("tinygrad_sgd.", "torch.")}
    for prop in ("mean", "mode", "variance"):
        try:
            out[prop] = getattr(d, prop).detach().numpy()
        except NotImplementedError:
            out[prop] = "NotImplementedError"
    v = tl.tensor(value, dtype=tl.float64)
    total = 0
    for meth in ("log_prob", "cdf", "entropy"):
        try:
            r = getattr(d, meth)(*([] if meth == "entropy" else [v]))
        except NotImplementedError:
            out[meth] = "NotImplementedError"
            continue
        out[meth] = r.detach().numpy()
        total = total + r.sum()
    total.backward()
    out["grads"] = [p.grad.numpy() for p in ps]
    tl.manual_seed(3)
    out["rsample"] = (d.rsample((2,)) if d.has_rsample else d.sample((2,))).detach().numpy()
    e = d.expand((2,) + tuple(d.batch_shape))
    out["expand"] = (type(e).__name__, tuple(e.batch_shape), tuple(e.event_shape))
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_against_torch(case):
    ours, theirs = _run("tg", case), _run("torch", case)
    assert ours.keys() == theirs.keys()
    for k, t in theirs.items():
        o = ours[k]
        if isinstance(t, np.ndarray):
            np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=k)
            assert o.shape == t.shape, k
        elif k == "grads":
            for a, b in zip(o, t):
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=k)
        else:
            assert o == t, k


OUTSIDE = [("HalfNormal", np.array([1.0, 2.0]), np.array([-1.0, 1.0])),
           ("HalfCauchy", np.array([1.0, 2.0]), np.array([-1.0, 1.0]))]


@pytest.mark.parametrize("name,scale,value", OUTSIDE)
def test_log_prob_outside_support_unvalidated(name, scale, value):
    res = []
    for tl, mod, _, _ in LIBS.values():
        d = getattr(mod, name)(tl.tensor(scale), validate_args=False)
        res.append(d.log_prob(tl.tensor(value)).numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-6)


ERRORS = [
    lambda tl, m, lrb, erc: m.TransformedDistribution(m.Normal(0.0, 1.0), ["exp"]),
    lambda tl, m, lrb, erc: m.TransformedDistribution(m.Normal(0.0, 1.0), 3),
    lambda tl, m, lrb, erc: m.biject_to(m.constraints.lower_triangular),
    lambda tl, m, lrb, erc: m.biject_to(m.constraints.positive_definite),
    lambda tl, m, lrb, erc: m.transform_to(m.constraints.boolean),
    lambda tl, m, lrb, erc: m.biject_to.register(3.0, lambda c: c),
    lambda tl, m, lrb, erc: m.RelaxedBernoulli(tl.tensor(0.5)),
    lambda tl, m, lrb, erc: m.RelaxedBernoulli(tl.tensor(0.5), probs=0.3, logits=0.1),
    lambda tl, m, lrb, erc: m.RelaxedOneHotCategorical(tl.tensor(0.5)),
    lambda tl, m, lrb, erc: lrb(tl.tensor(0.5), probs=tl.tensor([1.5])),
    lambda tl, m, lrb, erc: m.Gumbel(0.0, -1.0),
    lambda tl, m, lrb, erc: m.LogisticNormal(tl.zeros(2), -tl.ones(2)),
    lambda tl, m, lrb, erc: m.Weibull(tl.ones(2), -tl.ones(2)),
    lambda tl, m, lrb, erc: m.HalfCauchy(tl.tensor([-1.0])),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    def run(lib):
        try:
            ERRORS[i](*LIBS[lib])
        except Exception as e:                 # noqa: BLE001 - compared below
            return type(e).__name__, " ".join(str(e).replace("tinygrad_sgd.", "torch.").split())
        return None
    theirs = run("torch")
    assert theirs is not None
    assert run("tg") == theirs


REGISTRY = [("interval", (0, 1)), ("interval", (0.0, 1.0)), ("interval", (-1.0, 2.0)),
            ("half_open_interval", (0.0, 1.0)), ("greater_than", (1.5,)), ("less_than", (2.0,)),
            ("greater_than_eq", (0.0,))]


@pytest.mark.parametrize("name,args", REGISTRY)
def test_registry_picks_torchs_transform(name, args):
    """The same transform types, and the same numbers, for the bounded constraints."""
    res = []
    for tl, mod, _, _ in LIBS.values():
        c = getattr(mod.constraints, name)(*args)
        row = []
        for fn in (mod.biject_to, mod.transform_to):
            t = fn(c)
            parts = getattr(t, "parts", [t])
            x = tl.tensor(np.linspace(-3, 3, 7))
            row.append(([type(p).__name__ for p in parts], t(x).numpy(),
                        t.log_abs_det_jacobian(x, t(x)).numpy()))
        res.append(row)
    for (no, yo, jo), (nt, yt, jt) in zip(*res):
        assert no == nt
        np.testing.assert_allclose(yo, yt, rtol=1e-12)
        np.testing.assert_allclose(jo, jt, rtol=1e-9, atol=1e-12)
