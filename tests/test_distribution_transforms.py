"""The corners of ``distributions.transforms`` that test_distributions_more.py does not
reach, each run as the same small program on torch and on tinygrad_sgd: shape maps and their
errors, event dims / signs / domains of inverses and compositions, caching through
compositions and ``with_cache``, CatTransform's concatenate-or-sum log|J|, StackTransform on
a negative dim, AffineTransform's event-dim sums, float32 dtypes, hashing and pickling."""
import pickle
import re

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.distributions as D

LIBS = {"tg": (tg, D), "torch": (torch, torch.distributions)}


def _x(*shape, seed=0, scale=1.0, dtype="float64"):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype) * scale


def _values(tl, t, x, inverse=True, ladj=True):
    """y, x back, log|J| and d(Σy + Σlog|J|)/dx of transform ``t`` at ``x``."""
    xt = tl.tensor(x, requires_grad=True)
    y = t(xt)
    out = [y, t.inv(tl.tensor(y.detach().numpy()))] if inverse else [y]
    loss = y.sum()
    if ladj:
        j = t.log_abs_det_jacobian(xt, y)
        out.append(j)
        loss = loss + j.sum()
    loss.backward()
    return out + [xt.grad]


CASES = {
    # shapes and their errors
    "corr_forward_shape": lambda tl, T: [T.CorrCholeskyTransform().forward_shape(tl.Size(s))
                                         for s in [(2, 6), (3,), (1,)]],
    "corr_forward_shape_bad": lambda tl, T: T.CorrCholeskyTransform().forward_shape(
        tl.Size((4,))),
    "corr_forward_shape_empty": lambda tl, T: T.CorrCholeskyTransform().forward_shape(
        tl.Size(())),
    "corr_inverse_shape": lambda tl, T: T.CorrCholeskyTransform().inverse_shape(
        tl.Size((5, 4, 4))),
    "corr_inverse_not_square": lambda tl, T: T.CorrCholeskyTransform().inverse_shape(
        tl.Size((2, 3))),
    "corr_inverse_too_few": lambda tl, T: T.CorrCholeskyTransform().inverse_shape(
        tl.Size((2,))),
    "stick_shapes": lambda tl, T: (T.StickBreakingTransform().forward_shape(tl.Size((2, 3))),
                                   T.StickBreakingTransform().inverse_shape(tl.Size((2, 3)))),
    "stick_shape_empty": lambda tl, T: T.StickBreakingTransform().inverse_shape(tl.Size(())),
    "softmax_shape_empty": lambda tl, T: T.SoftmaxTransform().forward_shape(tl.Size(())),
    "power_affine_shapes": lambda tl, T: (
        T.PowerTransform(tl.ones(3)).forward_shape(tl.Size((2, 1))),
        T.AffineTransform(tl.ones(4, 1), tl.ones(3)).inverse_shape(tl.Size((3,))),
        T.ExpTransform().inv.forward_shape(tl.Size((2,)))),
    "compose_shapes": lambda tl, T: (
        T.ComposeTransform([T.ReshapeTransform((6,), (2, 3)),
                            T.IndependentTransform(T.StickBreakingTransform(), 1)])
        .forward_shape(tl.Size((5, 6))),
        T.ComposeTransform([T.ReshapeTransform((6,), (2, 3)), T.StickBreakingTransform()])
        .inv.forward_shape(tl.Size((5, 2, 4)))),
    "independent_too_few_dims": lambda tl, T: T.IndependentTransform(
        T.ExpTransform(), 1)(tl.tensor(1.0)),
    "independent_inverse_too_few_dims": lambda tl, T: T.IndependentTransform(
        T.ExpTransform(), 2).inv(tl.ones(3)),
    "cat_dim_out_of_range": lambda tl, T: T.CatTransform([T.ExpTransform()], 2, [3])(
        tl.zeros(3)),
    "cat_inverse_length": lambda tl, T: T.CatTransform([T.ExpTransform()], 0, [2]).inv(
        tl.zeros(3)),
    "stack_inverse_count": lambda tl, T: T.StackTransform([T.ExpTransform()], -1).inv(
        tl.zeros(2, 2)),
    "reshape_too_few": lambda tl, T: T.ReshapeTransform((2, 3), (6,)).forward_shape(
        tl.Size((3,))),
    # metadata
    "meta": lambda tl, T: [
        (repr(t.domain), repr(t.codomain), t.bijective)
        for t in [T.ComposeTransform([T.StickBreakingTransform(), T.ExpTransform()]),
                  T.ComposeTransform([T.ExpTransform(), T.StickBreakingTransform()]).inv,
                  T.ComposeTransform([T.IndependentTransform(T.ExpTransform(), 2),
                                      T.StickBreakingTransform()]),
                  T.ComposeTransform([T.AbsTransform(), T.ExpTransform()]),
                  T.IndependentTransform(T.TanhTransform(), 2).inv,
                  T.AffineTransform(0.0, 1.0, event_dim=2), T.ReshapeTransform((4,), (2, 2)),
                  T.CumulativeDistributionTransform(
                      LIBS["tg" if tl is tg else "torch"][1].Exponential(2.0)),
                  T.SoftplusTransform().inv, T.TanhTransform(), T.LowerCholeskyTransform(),
                  T.PositiveDefiniteTransform().inv]],
    "event_dims": lambda tl, T: [
        T.ExpTransform().event_dim, T.StickBreakingTransform().inv.event_dim,
        T.AffineTransform(0.0, 1.0, event_dim=3).event_dim,
        T.IndependentTransform(T.ExpTransform(), 2).event_dim,
        T.CatTransform([T.ExpTransform(), T.StickBreakingTransform()], 0, [1, 2]).event_dim,
        T.CatTransform([T.ExpTransform(), T.SigmoidTransform()], 0, [3, 2]).length,
        T.StackTransform([T.ExpTransform()], 0).event_dim,
        T.ReshapeTransform((4,), (2, 2)).domain.event_dim],
    "event_dim_ambiguous": lambda tl, T: T.ReshapeTransform((4,), (2, 2)).event_dim,
    "signs": lambda tl, T: [
        T.ComposeTransform([T.AffineTransform(0.0, tl.tensor([-1.0, 2.0])),
                            T.PowerTransform(tl.tensor([-1.0, 3.0])),
                            T.AffineTransform(1.0, -3.0)]).sign,
        T.ComposeTransform([]).sign, T.ExpTransform().inv.sign, T.SigmoidTransform().sign,
        T.TanhTransform().inv.sign, T.SoftplusTransform().sign,
        T.IndependentTransform(T.AffineTransform(0.0, -2.0), 1).sign,
        T.AffineTransform(0.0, 0.0).sign, T.AffineTransform(0.0, 2).sign],
    "sign_not_monotone": lambda tl, T: T.StickBreakingTransform().sign,
    "equality": lambda tl, T: [
        T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0),
        T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 3.0),
        T.AffineTransform(tl.ones(2), 2.0) == T.AffineTransform(tl.ones(2), 2.0),
        T.PowerTransform(2.0) == T.PowerTransform(2.0),
        T.PowerTransform(2.0) != T.PowerTransform(3.0),
        T.ComposeTransform([T.ExpTransform()]) == T.ComposeTransform([T.ExpTransform()]),
        T.ExpTransform() == T.SigmoidTransform(), T.ExpTransform().inv == T.ExpTransform(),
        T.IndependentTransform(T.ExpTransform(), 1) == T.IndependentTransform(
            T.ExpTransform(), 1),
        T.CorrCholeskyTransform() == T.CorrCholeskyTransform()],
    "unhashable": lambda tl, T: hash(T.ExpTransform()),
    # caching
    "cache_compose": lambda tl, T: (lambda t, x: (lambda y: (
        t.inv(y) is x, t(x) is y, [p._cache_size for p in t.inv.parts]))(t(x)))(
        T.ComposeTransform([T.ExpTransform(), T.SigmoidTransform()], cache_size=1),
        tl.tensor([0.5, 40.0])),
    "cache_with_cache": lambda tl, T: [
        (type(c).__name__, c._cache_size, c is t) for t in [
            T.IndependentTransform(T.ExpTransform(), 1), T.ExpTransform().inv,
            T.CatTransform([T.ExpTransform()], 0, [1]), T.StackTransform([T.ExpTransform()]),
            T.AffineTransform(1.0, 2.0), T.PowerTransform(2.0), T.SoftmaxTransform(),
            T.ReshapeTransform((2,), (2,)), T.CorrCholeskyTransform(),
            T.ComposeTransform([T.ExpTransform()])] for c in [t.with_cache(1), t.with_cache(0)]],
    "cache_inverse_sees_forward": lambda tl, T: (lambda t, x: (lambda y: (
        t.inv(y) is x, t.inv.inv is t))(t(x)))(
        T.SigmoidTransform(cache_size=1).inv, tl.tensor([0.25, 0.5])),
    "cache_independent_parts": lambda tl, T: (lambda t, x: (lambda y: (
        t.inv(y) is x, t.base_transform._cache_size))(t(x)))(
        T.IndependentTransform(T.ExpTransform(), 1, cache_size=1), tl.tensor([0.5, 1.0])),
    "pickle": lambda tl, T: (lambda t: (lambda t2: (repr(t2), repr(t2.inv), t2.inv.inv is t2))(
        pickle.loads(pickle.dumps(t))))((lambda t: (t.inv, t)[1])(T.ExpTransform())),
    # values, log|J| and gradients
    "cat_sum_inside_event": lambda tl, T: _values(tl, T.CatTransform(
        [T.ExpTransform(), T.IndependentTransform(T.SigmoidTransform(), 1)], dim=-1,
        lengths=[1, 2]), _x(4, 3)),
    "cat_concat_batch": lambda tl, T: _values(tl, T.CatTransform(
        [T.ExpTransform(), T.IndependentTransform(T.SigmoidTransform(), 1)], dim=0,
        lengths=[1, 2]), _x(3, 4)),
    "cat_default_lengths": lambda tl, T: _values(tl, T.CatTransform(
        [T.ExpTransform(), T.TanhTransform(), T.AffineTransform(1.0, -2.0)], dim=1),
        _x(2, 3)),
    "stack_negative_dim": lambda tl, T: _values(tl, T.StackTransform(
        [T.SoftplusTransform(), T.AffineTransform(0.5, 3.0)], dim=-2), _x(3, 2, 4)),
    "affine_event2_tensor": lambda tl, T: _values(tl, T.AffineTransform(
        tl.tensor(_x(2, 3, seed=1)), tl.tensor(_x(2, 3, seed=2)), event_dim=2), _x(4, 2, 3)),
    "affine_event1_number": lambda tl, T: _values(tl, T.AffineTransform(2.0, -0.5,
                                                                        event_dim=1), _x(4, 3)),
    "compose_inverse_event": lambda tl, T: _values(tl, T.ComposeTransform(
        [T.AffineTransform(0.1, 2.0), T.StickBreakingTransform(), T.PowerTransform(
            tl.tensor(2.0))]).inv, np.random.default_rng(3).dirichlet([1.0] * 4, size=2)),
    "compose_broadcasting": lambda tl, T: _values(tl, T.ComposeTransform(
        [T.ExpTransform(), T.PowerTransform(tl.tensor([[0.5], [2.0]]))]), _x(3)),
    "stickbreaking_float32": lambda tl, T: _values(tl, T.StickBreakingTransform(),
                                                   _x(2, 4, dtype="float32")),
    "corrcholesky_float32": lambda tl, T: _values(tl, T.CorrCholeskyTransform(),
                                                  _x(3, 3, scale=0.5, dtype="float32")),
    "corrcholesky_4x4": lambda tl, T: _values(tl, T.CorrCholeskyTransform(),
                                              _x(2, 6, scale=0.7)),
    "sigmoid_saturated": lambda tl, T: _values(tl, T.SigmoidTransform(),
                                               np.array([-200.0, -40.0, 0.0, 40.0, 200.0])),
    "tanh_large": lambda tl, T: _values(tl, T.TanhTransform(), np.array([-30.0, 0.3, 30.0]),
                                        inverse=False),
    "softplus_float32": lambda tl, T: _values(tl, T.SoftplusTransform(),
                                              _x(5, dtype="float32", scale=3.0)),
    "lowercholesky_inverse": lambda tl, T: _values(tl, T.LowerCholeskyTransform(),
                                                   _x(2, 3, 3), ladj=False),
    "positivedefinite_inverse": lambda tl, T: _values(tl, T.PositiveDefiniteTransform(),
                                                      _x(3, 3), ladj=False),
    "softmax_inverse": lambda tl, T: _values(tl, T.SoftmaxTransform(), _x(2, 4), ladj=False),
    "abs_no_jacobian": lambda tl, T: T.AbsTransform().log_abs_det_jacobian(
        tl.ones(2), tl.ones(2)),
    "softmax_no_jacobian": lambda tl, T: T.SoftmaxTransform().log_abs_det_jacobian(
        tl.ones(2), tl.ones(2)),
    "identity_jacobian": lambda tl, T: (T.identity_transform.log_abs_det_jacobian(
        tl.ones(2, 3), tl.ones(2, 3)), T.identity_transform(tl.ones(2))),
    "cdf_transform": lambda tl, T: _values(tl, T.CumulativeDistributionTransform(
        LIBS["tg" if tl is tg else "torch"][1].Laplace(tl.tensor([0.5, -1.0]), 2.0)),
        _x(3, 2)),
}


def _norm(text):
    return " ".join(re.sub(r"Backward\d*>", "Backward>", str(text))
                    .replace("tinygrad_sgd.", "torch.").split())


def _run(lib, case):
    tl, mod = LIBS[lib]
    try:
        return CASES[case](tl, mod.transforms)
    except Exception as e:                 # noqa: BLE001 - compared with torch's
        return ("raised", type(e).__name__, _norm(e))


def _compare(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), (ours, theirs)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        tol = dict(rtol=1e-6, atol=1e-9) if theirs.dtype == torch.float64 else \
            dict(rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(ours.detach().numpy().astype(np.float64),
                                   theirs.detach().numpy().astype(np.float64),
                                   equal_nan=True, **tol)
    elif isinstance(theirs, (list, tuple)) and not isinstance(theirs, torch.Size):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), (ours, theirs)
        for o, t in zip(ours, theirs):
            _compare(o, t)
    elif isinstance(theirs, str):
        assert _norm(ours) == _norm(theirs)
    else:
        assert type(ours).__name__.replace("Size", "tuple") == \
            type(theirs).__name__.replace("Size", "tuple") or \
            (isinstance(ours, (int, float, bool)) and isinstance(theirs, (int, float, bool)))
        assert ours == theirs


@pytest.mark.parametrize("case", list(CASES))
def test_transform_corner_matches_torch(case):
    theirs = _run("torch", case)
    ours = _run("tg", case)
    _compare(ours, theirs)
