"""Probe 35 (a differential probe against torch's OpInfo samples), functional corners, each
against real torch:

* the special functions on 0-d tensors (``special.log_ndtr(tensor(0.5))`` crashed: the C
  library's erfc/log1p mapped over a 0-d array gave a bare float): every name
  ``tinygrad_sgd.special`` shares with ``torch.special``, float32 and float64, values and
  gradients;
* ``F.triplet_margin_with_distance_loss`` with torch's own ``nn.PairwiseDistance()`` as the
  distance (torch hands its function to our Tensor's ``__torch_function__``, which called it
  back: RecursionError) — now the library's function of that name runs; values and gradients
  with the library's distance functions too, swap and the reductions;
* ``torch.gradient``: None for ``spacing``/``dim`` is the default; a dim named twice raises
  torch's error; every spacing form (number, list of numbers, coordinate tensors) and torch's
  errors, in torch's order;
* ``cholesky_inverse``/``cholesky_solve``: the gradient w.r.t. the factor is torch's full
  matrix (it was masked to the read triangle); second order too, upper and lower, batched;
* results torch marks as requiring grad: ``bernoulli(p)``, ``normal``'s tensor forms,
  ``poisson`` (gradient zeros), ``slogdet``'s sign and lstsq's empty residuals (no gradient:
  None), ``bernoulli(p, 0.5)`` (backward raises);
* ``torch.signal.windows`` (was missing): every window against torch for several M, sym,
  dtype and parameters, torch's errors, and its import paths (also under the runner).
"""
import importlib
import math

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from helpers import ulps

RNG = np.random.default_rng(35)


def _np(t):
    return None if t is None else t.detach().numpy(force=True)    # (force: torch's ZeroTensor)


def _same_error(fn_torch, fn_ours):
    """Both raise, the same class and message (the library's dtype names read as torch's)."""
    with pytest.raises(Exception) as want:
        fn_torch()
    with pytest.raises(type(want.value)) as got:
        fn_ours()
    assert str(got.value).replace("tinygrad_sgd.", "torch.") == str(want.value)


# ------------------------------------------------------------------ special functions, 0-d
SPECIAL = sorted(n for n in set(dir(tg.special)) & set(dir(torch.special))
                 if not n.startswith("_") and callable(getattr(torch.special, n)))
_POLYNOMIALS = {n for n in SPECIAL if n.endswith("_polynomial_" + n.rsplit("_", 1)[-1])}


def _special_call(lib, name, x):
    f = getattr(lib.special, name)
    if name == "polygamma":
        return f(2, x)
    if name == "multigammaln":
        return f(x + 3, 2)
    if name in ("softmax", "log_softmax", "logsumexp"):
        return f(x, 0)
    if name in _POLYNOMIALS:
        return f(x, lib.tensor(3.0, dtype=x.dtype))
    if name == "zeta":
        return f(x + 2, lib.tensor(1.5, dtype=x.dtype))
    if name in ("xlogy", "xlog1py", "gammainc", "gammaincc"):
        return f(x, lib.tensor(1.5, dtype=x.dtype))
    return f(x)


def _outcome(lib, name, value, dtype):
    x = lib.tensor(value, dtype=getattr(lib, dtype), requires_grad=True)
    try:
        out = _special_call(lib, name, x)
    except Exception as e:                     # (both must refuse alike)
        return type(e).__name__, None, None
    grad = None
    if out.requires_grad:
        try:
            (grad,) = lib.autograd.grad(out.sum(), x, allow_unused=True)
        except Exception as e:
            return "ok", _np(out), type(e).__name__
    return "ok", _np(out), _np(grad)


def test_log_ndtr_of_a_0d_tensor():
    """failed before: AttributeError 'float' object has no attribute 'astype'."""
    for dtype in ("float32", "float64"):
        for v in (0.5, -3.0, 9.0):
            want = torch.special.log_ndtr(torch.tensor(v, dtype=getattr(torch, dtype)))
            got = tg.special.log_ndtr(tg.tensor(v, dtype=getattr(tg, dtype)))
            assert got.shape == () and got.dtype == getattr(tg, dtype)
            assert ulps(got.numpy(), want.numpy()) <= 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", SPECIAL)
def test_special_functions_on_0d_tensors(name, dtype):
    rtol = 2e-6 if dtype == "float32" else 1e-10
    for value in (0.5, -1.5, 0.0, 2.0, -3.0, 7.0):
        want = _outcome(torch, name, value, dtype)
        got = _outcome(tg, name, value, dtype)
        assert got[0] == want[0], (value, got[0], want[0])
        for w, g in zip(want[1:], got[1:]):
            if isinstance(w, str) or w is None:
                assert g == w if isinstance(w, str) else g is None or not np.any(g), value
                continue
            assert g.shape == w.shape == () and g.dtype == w.dtype, value
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 1e-2, equal_nan=True,
                                       err_msg=f"{name}({value})")


# ------------------------------------------------------------- triplet with a distance
def _cosine_distance(lib):
    return lambda x, y: 1.0 - lib.nn.functional.cosine_similarity(x, y)


TRIPLET = [   # (id, distance (library → function or None), kwargs)
    ("pairwise_margin_1e-6", lambda L: L.nn.PairwiseDistance(), dict(margin=1e-6)),
    ("pairwise_margin_1", lambda L: L.nn.PairwiseDistance(), dict(margin=1.0)),
    ("pairwise_margin_10", lambda L: L.nn.PairwiseDistance(), dict(margin=10.0)),
    ("pairwise_swap", lambda L: L.nn.PairwiseDistance(), dict(swap=True)),
    ("pairwise_sum", lambda L: L.nn.PairwiseDistance(), dict(reduction="sum")),
    ("pairwise_none", lambda L: L.nn.PairwiseDistance(), dict(reduction="none")),
    ("pairwise_p1_swap_none", lambda L: L.nn.PairwiseDistance(p=1.0),
     dict(swap=True, reduction="none", margin=2.0)),
    ("cosine_swap_sum", _cosine_distance, dict(swap=True, reduction="sum", margin=0.5)),
    ("default_distance", lambda L: None, dict(margin=3.0)),
]


@pytest.mark.parametrize("case", TRIPLET, ids=[c[0] for c in TRIPLET])
def test_triplet_margin_with_distance_loss(case):
    _, distance, kwargs = case
    arrays = [RNG.standard_normal((5, 10)) for _ in range(3)]
    results = []
    for lib in (torch, tg):
        a, p, n = (lib.tensor(v, requires_grad=True) for v in arrays)
        loss = lib.nn.functional.triplet_margin_with_distance_loss(
            a, p, n, distance_function=distance(lib), **kwargs)
        grads = lib.autograd.grad(loss.sum(), (a, p, n), create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), (a, p, n),
                                   allow_unused=True)
        results.append([_np(loss)] + [_np(g) for g in grads] + [_np(g) for g in second])
    for w, g in zip(*results):
        if w is None:
            assert g is None or not np.any(g)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_triplet_with_torchs_own_pairwise_distance_module():
    """failed before: RecursionError (torch's module called on our tensors hands
    ``torch.pairwise_distance`` to our ``__torch_function__``, which called it back)."""
    arrays = [RNG.standard_normal((5, 10)) for _ in range(3)]
    ta, tp, tn = (torch.tensor(v, requires_grad=True) for v in arrays)
    ga, gp, gn = (tg.tensor(v, requires_grad=True) for v in arrays)
    want = torch.nn.functional.triplet_margin_with_distance_loss(
        ta, tp, tn, distance_function=torch.nn.PairwiseDistance(), margin=1e-6)
    got = tg.nn.functional.triplet_margin_with_distance_loss(
        ga, gp, gn, distance_function=torch.nn.PairwiseDistance(), margin=1e-6)
    assert isinstance(got, tg.Tensor)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)
    want.backward()
    got.backward()
    for w, g in ((ta, ga), (tp, gp), (tn, gn)):
        np.testing.assert_allclose(g.grad.numpy(), w.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_torch_function_on_our_tensors_runs_the_library_function():
    x = tg.tensor(RNG.standard_normal((3, 4)))
    np.testing.assert_allclose(torch.nn.functional.relu(x).numpy(), np.maximum(x.numpy(), 0))
    assert isinstance(torch.add(x, x), tg.Tensor)
    np.testing.assert_allclose(torch.linalg.norm(x).item(), np.linalg.norm(x.numpy()))
    np.testing.assert_allclose(torch.special.erf(x).numpy(), tg.special.erf(x).numpy())
    np.testing.assert_allclose(torch.einsum("ij->j", x).numpy(), x.numpy().sum(0))
    with pytest.raises(TypeError, match="fbgemm_pack_quantized_matrix"):   # none here: torch's
        torch.fbgemm_pack_quantized_matrix(x)                                # refusal, no loop


# ------------------------------------------------------------------------ torch.gradient
_C4, _C5 = np.array([0.0, 0.5, 1.5, 2.0]), np.array([0.0, 1.0, 1.5, 3.0, 4.5])
GRADIENT = [   # (id, input shape, kwargs; arrays in a spacing become tensors)
    ("default", (4, 5), {}),
    ("all_none", (4, 5), dict(dim=None, spacing=None, edge_order=1)),   # failed before
    ("spacing_none", (4, 5), dict(spacing=None)),                       # failed before
    ("dim_none_edge2", (4, 5), dict(dim=None, edge_order=2)),
    ("scalar", (4, 5), dict(spacing=0.1)),
    ("scalar_int_dim", (4, 5), dict(spacing=2, dim=1)),
    ("scalar_tensor", (4, 5), dict(spacing=np.array(0.5))),
    ("negative", (4, 5), dict(spacing=-0.5)),
    ("scalars", (4, 5), dict(spacing=[0.1, 0.2])),
    ("scalars_tuple_ints", (4, 5), dict(spacing=(1, 3))),
    ("scalar_list_one_dim", (4, 5), dict(spacing=[0.1], dim=0)),
    ("scalars_dims", (4, 5), dict(spacing=[0.1, 0.2], dim=[1, 0])),
    ("coordinates", (4, 5), dict(spacing=(_C4, _C5))),
    ("coordinates_edge2", (4, 5), dict(spacing=[_C4, _C5], edge_order=2)),
    ("coordinates_one_dim", (4, 5), dict(spacing=[_C5], dim=1)),
    ("coordinates_dims", (4, 5), dict(spacing=[_C5, _C4], dim=[1, 0])),
    ("coordinates_broadcast", (4, 5), dict(spacing=[np.array([0.0, 1.0, 3.0]), _C5])),
    ("negative_dim", (4, 5), dict(dim=-1)),
    ("dims_3d", (3, 4, 5), dict(dim=(0, 2), spacing=[0.5, 2.0])),
    ("dims_3d_edge2", (3, 4, 5), dict(dim=(0, 2), edge_order=2)),
    ("no_dims", (4, 5), dict(dim=[])),
    ("vector", (6,), {}),
    ("vector_coordinates_edge2", (6,), dict(spacing=[np.arange(6.0) ** 1.5], edge_order=2)),
    ("size1_other_dim", (1, 5), dict(dim=1)),
    ("scalar_input", (), {}),
]


def _gradient_args(lib, kwargs):
    def convert(v):
        if isinstance(v, np.ndarray):
            return lib.tensor(v)
        if isinstance(v, (list, tuple)) and any(isinstance(i, np.ndarray) for i in v):
            return type(v)(convert(i) for i in v)
        return v
    return {k: convert(v) for k, v in kwargs.items()}


@pytest.mark.parametrize("case", GRADIENT, ids=[c[0] for c in GRADIENT])
def test_gradient_values_and_backward(case):
    _, shape, kwargs = case
    x = RNG.standard_normal(shape)
    results = []
    for lib in (torch, tg):
        t = lib.tensor(x, requires_grad=True)
        outs = lib.gradient(t, **_gradient_args(lib, kwargs))
        assert isinstance(outs, tuple)
        grad = None
        if outs:
            weights = [lib.tensor(RNG.standard_normal(o.shape)) for o in outs] if lib is torch \
                else [lib.tensor(w.numpy()) for w in results[0][1]]
            (grad,) = lib.autograd.grad(sum((o * w).sum() for o, w in zip(outs, weights)), t)
        results.append(([_np(o) for o in outs], weights if outs else [], _np(grad)))
    (want, _, want_grad), (got, _, got_grad) = results
    assert len(got) == len(want)
    for w, g in zip(want, got):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    if want_grad is not None:
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-12, atol=1e-12)


GRADIENT_DTYPES = [   # (id, input dtype, spacing): the result dtype is torch's
    ("int64", "int64", None), ("int64_int_spacing", "int64", 2), ("float32", "float32", 0.1),
    ("float16", "float16", None),
    ("float32_with_float64_coordinates", "float32", "mixed"),
    ("int64_with_int_coordinates", "int64", "int_coords"),
]


@pytest.mark.parametrize("case", GRADIENT_DTYPES, ids=[c[0] for c in GRADIENT_DTYPES])
def test_gradient_result_dtypes(case):
    _, dtype, spacing = case
    x = RNG.standard_normal((4, 5)) * 4
    results = []
    for lib in (torch, tg):
        t = lib.tensor(x).to(getattr(lib, dtype))
        if spacing == "mixed":
            sp = [lib.tensor(_C4, dtype=lib.float64), lib.tensor(_C5, dtype=lib.float32)]
        elif spacing == "int_coords":
            sp = [lib.arange(4), lib.arange(5) * 2]
        else:
            sp = spacing
        outs = lib.gradient(t) if sp is None else lib.gradient(t, spacing=sp)
        results.append([(str(o.dtype).split(".")[-1], _np(o)) for o in outs])
    for (wd, w), (gd, g) in zip(*results):
        assert gd == wd
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=1e-3)


GRADIENT_ERRORS = [   # (id, input shape or dtype, kwargs)
    ("dim_twice", (4, 5), dict(spacing=0.1, dim=(1, 1))),                 # returned before
    ("dim_twice_no_spacing", (4, 5), dict(dim=(1, 1))),
    ("dim_twice_negative", (4, 5), dict(dim=[0, -2])),
    ("spacing_list_vs_ndim", (4, 5), dict(spacing=[0.1, 0.2, 0.3])),
    ("spacing_list_vs_dims", (4, 5), dict(spacing=[0.1, 0.2], dim=0)),
    ("empty_spacing_list", (4, 5), dict(spacing=[])),
    ("edge_order_3", (4, 5), dict(edge_order=3)),
    ("edge_order_0", (4, 5), dict(edge_order=0)),
    ("too_short_for_edge2", (2, 5), dict(edge_order=2)),
    ("too_short", (1, 5), {}),
    ("coordinates_too_short", (4, 5), dict(spacing=[_C4, _C4])),
    ("coordinates_empty", (6,), dict(spacing=[np.zeros(0)])),
    ("coordinates_0d", (6,), dict(spacing=[np.array(0.5)])),
    ("coordinates_2d", (4, 5), dict(spacing=[np.zeros((1, 4))])),
    ("coordinates_and_number", (4, 5), dict(spacing=[_C4, 0.5])),
    ("scalar_input_dim", (), dict(dim=0)),
    ("uint8", "uint8", {}),
    ("bool", "bool", {}),
]


@pytest.mark.parametrize("case", GRADIENT_ERRORS, ids=[c[0] for c in GRADIENT_ERRORS])
def test_gradient_errors_as_torch(case):
    _, shape, kwargs = case
    x = RNG.standard_normal(shape if isinstance(shape, tuple) else (4, 5))

    def call(lib):
        t = lib.tensor(x)
        if isinstance(shape, str):
            t = (t > 0) if shape == "bool" else t.abs().to(getattr(lib, shape))
        return lambda: lib.gradient(t, **_gradient_args(lib, kwargs))
    _same_error(call(torch), call(tg))


# ------------------------------------------------------- cholesky_inverse / cholesky_solve
def _factor(batch, n, upper, junk):
    """A Cholesky factor of an SPD matrix; ``junk``: the unread triangle filled with noise
    (the forward ignores it; torch's gradient uses the whole matrix)."""
    a = RNG.standard_normal(batch + (n, n))
    low = np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + n * np.eye(n))
    f = np.swapaxes(low, -1, -2) if upper else low
    if junk:
        noise = RNG.standard_normal(batch + (n, n))
        f = f + (np.tril(noise, -1) if upper else np.triu(noise, 1))
    return f


CHOLESKY = [(f"{'upper' if u else 'lower'}_{'x'.join(map(str, b)) or 'single'}"
             f"{'_junk' if j else ''}", u, b, j)
            for u in (False, True) for b in ((), (2,), (2, 3)) for j in (False, True)]


@pytest.mark.parametrize("case", CHOLESKY, ids=[c[0] for c in CHOLESKY])
def test_cholesky_inverse_gradient_is_torchs_full_matrix(case):
    _, upper, batch, junk = case
    f, w = _factor(batch, 3, upper, junk), RNG.standard_normal(batch + (3, 3))
    results = []
    for lib in (torch, tg):
        L = lib.tensor(f, requires_grad=True)
        x = lib.cholesky_inverse(L, upper)
        (g,) = lib.autograd.grad((x * lib.tensor(w)).sum(), L, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), L)
        results.append((_np(x), _np(g), _np(gg)))
    for want, got in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)
    mask = np.triu(np.ones((3, 3)), 1) if not upper else np.tril(np.ones((3, 3)), -1)
    assert np.any(results[1][1] * mask != 0)        # (was zero there before)


@pytest.mark.parametrize("case", CHOLESKY, ids=[c[0] for c in CHOLESKY])
def test_cholesky_solve_gradients_are_torchs(case):
    _, upper, batch, junk = case
    f, b = _factor(batch, 3, upper, junk), RNG.standard_normal(batch + (3, 2))
    results = []
    for lib in (torch, tg):
        L, B = lib.tensor(f, requires_grad=True), lib.tensor(b, requires_grad=True)
        y = lib.cholesky_solve(B, L, upper)
        gb, gl = lib.autograd.grad((y * y).sum(), (B, L), create_graph=True)
        ggb, ggl = lib.autograd.grad(gl.sin().sum() + (gb ** 2).sum(), (B, L))
        results.append([_np(v) for v in (y, gb, gl, ggb, ggl)])
    for want, got in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)


def test_cholesky_solve_broadcast_batches_and_float32():
    f, b = _factor((4,), 3, False, False), RNG.standard_normal((2, 1, 3, 2))
    results = []
    for lib in (torch, tg):
        L, B = lib.tensor(f, requires_grad=True), lib.tensor(b, requires_grad=True)
        y = lib.cholesky_solve(B, L)
        y.pow(2).sum().backward()
        L32 = lib.tensor(f[0], dtype=lib.float32, requires_grad=True)
        x32 = lib.cholesky_inverse(L32)
        x32.sum().backward()
        results.append([_np(v) for v in (y, B.grad, L.grad, x32, L32.grad)])
    for want, got in zip(*results):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5 if got.dtype == np.float32 else 1e-10,
                                   atol=1e-6)


CHOLESKY_ERRORS = [
    ("solve_not_square", lambda L: L.cholesky_solve(L.ones(3, 2), L.ones(3, 4))),
    ("solve_sizes", lambda L: L.cholesky_solve(L.ones(4, 2), L.eye(3))),
    ("solve_int", lambda L: L.cholesky_solve(L.ones(3, 2, dtype=L.int64),
                                             L.ones(3, 3, dtype=L.int64))),
    ("solve_half", lambda L: L.cholesky_solve(L.ones(3, 2).half(), L.eye(3).half())),
    ("solve_batches", lambda L: L.cholesky_solve(L.ones(2, 3, 2), L.ones(4, 3, 3))),
    ("solve_1d", lambda L: L.cholesky_solve(L.ones(3), L.eye(3))),
    ("solve_dtypes", lambda L: L.cholesky_solve(L.ones(3, 2).double(), L.eye(3))),
    ("inverse_not_square", lambda L: L.cholesky_inverse(L.ones(3, 4))),
    ("inverse_int", lambda L: L.cholesky_inverse(L.ones(3, 3, dtype=L.int64))),
    ("inverse_1d", lambda L: L.cholesky_inverse(L.ones(3))),
    ("inverse_half", lambda L: L.cholesky_inverse(L.eye(3).half())),
]


@pytest.mark.parametrize("case", CHOLESKY_ERRORS, ids=[c[0] for c in CHOLESKY_ERRORS])
def test_cholesky_errors_as_torch(case):
    _, call = case
    _same_error(lambda: call(torch), lambda: call(tg))


# ----------------------------------------------- results torch marks as requiring grad
def _p(lib):
    return lib.tensor([0.2, 0.7], requires_grad=True)


def _mean_std(lib):
    return (lib.tensor([[0.0], [1.0]], requires_grad=True),
            lib.tensor([1.0, 2.0], requires_grad=True))


_A = np.array([[2.0, 1.0], [0.5, -3.0]])
_TALL, _RHS = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]), np.array([[1.0], [2.0], [4.0]])

REQUIRES_GRAD = [   # (id, build(lib) → (output, [inputs]), torch's node name)
    ("bernoulli", lambda L: (lambda p: (L.bernoulli(p), [p]))(_p(L)), "BernoulliBackward0"),
    ("tensor_bernoulli", lambda L: (lambda p: (p.bernoulli(), [p]))(_p(L)),
     "BernoulliBackward0"),
    ("normal_tensors", lambda L: (lambda m, s: (L.normal(m, s), [m, s]))(*_mean_std(L)),
     "NormalBackward3"),
    ("normal_number_mean", lambda L: (lambda m, s: (L.normal(2.7, s), [s]))(*_mean_std(L)),
     "NormalBackward2"),
    ("normal_number_std", lambda L: (lambda m, s: (L.normal(m, 1.0), [m]))(*_mean_std(L)),
     "NormalBackward1"),
    ("normal_then_square", lambda L: (lambda m, s: (L.normal(m, s) ** 2, [m, s]))(
        *_mean_std(L)), None),
    ("poisson", lambda L: (lambda r: (L.poisson(r), [r]))(
        L.tensor([1.0, 4.0], requires_grad=True)), "PoissonBackward0"),
    ("bernoulli_times_p", lambda L: (lambda p: (L.bernoulli(p) * p, [p]))(_p(L)), None),
    ("slogdet_sign", lambda L: (lambda a: (L.linalg.slogdet(a).sign, [a]))(
        L.tensor(_A, requires_grad=True)), "LinalgSlogdetBackward0"),
    ("torch_slogdet_sign", lambda L: (lambda a: (L.slogdet(a)[0], [a]))(
        L.tensor(_A, requires_grad=True)), "LinalgSlogdetBackward0"),
    ("sign_times_logabsdet", lambda L: (lambda a: (
        (lambda r: r.sign * r.logabsdet)(L.linalg.slogdet(a)), [a]))(
        L.tensor(_A, requires_grad=True)), None),
    ("lstsq_residuals_gelsy", lambda L: (lambda a, b: (L.linalg.lstsq(a, b).residuals, [a, b]))(
        L.tensor(_TALL, requires_grad=True), L.tensor(_RHS, requires_grad=True)),
     "LinalgLstsqBackward0"),
    ("lstsq_residuals_square", lambda L: (lambda a: (L.linalg.lstsq(a, a).residuals, [a]))(
        L.tensor(_A, requires_grad=True)), "LinalgLstsqBackward0"),
    ("lstsq_residuals_gelsd", lambda L: (lambda a, b: (
        L.linalg.lstsq(a, b, driver="gelsd").residuals, [a, b]))(
        L.tensor(_TALL, requires_grad=True), L.tensor(_RHS, requires_grad=True)),
     "LinalgLstsqBackward0"),
]


@pytest.mark.parametrize("case", REQUIRES_GRAD, ids=[c[0] for c in REQUIRES_GRAD])
def test_results_requiring_grad_as_torch(case):
    _, build, _ = case
    results = []
    for lib in (torch, tg):
        lib.manual_seed(0)
        out, inputs = build(lib)
        assert out.requires_grad and out.grad_fn is not None
        out.sum().backward()
        results.append([_np(i.grad) for i in inputs])
    for want, got in zip(*results):
        if want is None:
            assert got is None
        else:
            assert got is not None and got.shape == want.shape and got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", [c for c in REQUIRES_GRAD if c[2]], ids=[c[0] for c in
                                                                         REQUIRES_GRAD if c[2]])
def test_their_node_names_under_the_runner(case):
    from tinygrad_sgd.printing import OPTIONS
    _, build, name = case
    torch.manual_seed(0)
    assert type(build(torch)[0].grad_fn).__name__ == name
    before, OPTIONS.namespace = OPTIONS.namespace, "torch"
    try:
        assert build(tg)[0].grad_fn.name() == name
    finally:
        OPTIONS.namespace = before


def test_no_gradient_flows_back_from_sign_and_empty_residuals():
    for lib in (torch, tg):
        a = lib.tensor(_A, requires_grad=True)
        sign = lib.linalg.slogdet(a).sign
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad(sign.sum(), a, retain_graph=True)
        assert lib.autograd.grad(sign.sum(), a, allow_unused=True) == (None,)
        with lib.no_grad():
            assert not lib.linalg.slogdet(a).sign.requires_grad
            assert not lib.bernoulli(lib.tensor([0.5], requires_grad=True)).requires_grad


def test_bernoulli_with_a_number_p_has_no_derivative():
    for lib in (torch, tg):
        p = lib.tensor([0.2, 0.7], requires_grad=True)
        out = lib.bernoulli(p, 0.5)
        assert out.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::bernoulli is not "
                                               "implemented"):
            out.sum().backward()


def test_samples_unchanged_by_the_graph():
    for build in (lambda L: L.bernoulli(_p(L)), lambda L: L.normal(*_mean_std(L)),
                  lambda L: L.normal(L.tensor([0.0, 1.0], requires_grad=True), 0.5)):
        torch.manual_seed(3)
        tg.manual_seed(3)
        np.testing.assert_array_equal(_np(build(tg)), _np(build(torch)))


# ---------------------------------------------------------------- torch.signal.windows
WINDOWS = {   # name → the parameter sets tried (sym added for each)
    "bartlett": [{}], "blackman": [{}], "cosine": [{}], "hamming": [{}], "hann": [{}],
    "nuttall": [{}],
    "exponential": [{}, dict(tau=2.5), dict(center=1.5, sym=False),
                    dict(tau=0.3, center=0.0, sym=False)],
    "gaussian": [{}, dict(std=0.5), dict(std=3.0)],
    "kaiser": [{}, dict(beta=0.0), dict(beta=5.5)],
    "general_cosine": [dict(a=[0.5, 0.5]), dict(a=(0.46, 0.3, 0.2, 0.04))],
    "general_hamming": [{}, dict(alpha=0.6)],
}
WINDOW_CASES = [(f"{name}_{i}", name, params) for name, sets in WINDOWS.items()
                for i, params in enumerate(sets)]


@pytest.mark.parametrize("dtype", ["float32", "float64", None])
@pytest.mark.parametrize("case", WINDOW_CASES, ids=[c[0] for c in WINDOW_CASES])
def test_signal_windows_as_torch(case, dtype):
    _, name, params = case
    for M in (0, 1, 2, 3, 7, 16):
        for sym in ((False,) if "center" in params else (True, False)):
            for requires_grad in (False, True):
                kwargs = dict(params, sym=sym, requires_grad=requires_grad)
                want = getattr(torch.signal.windows, name)(
                    M, dtype=None if dtype is None else getattr(torch, dtype), **kwargs)
                got = getattr(tg.signal.windows, name)(
                    M, dtype=None if dtype is None else getattr(tg, dtype), **kwargs)
                assert got.shape == want.shape and got.dtype == getattr(tg, str(
                    want.dtype).split(".")[-1])
                assert (got.requires_grad, got.is_leaf) == (want.requires_grad, want.is_leaf)
                # torch's formulas step by step, so torch's values up to the elementwise
                # kernels: torch's sqrt/exp/sin/cos (MKL's, vectorised) and NumPy's differ by
                # an ulp now and then, which kaiser's I₀ of a square root makes a few (float32
                # kaiser(16) on an AMD EPYC with AVX2: 9.1e-7 relative at one element)
                f64 = want.dtype == torch.float64
                np.testing.assert_allclose(_np(got), _np(want), rtol=4e-15 if f64 else 2e-6,
                                           atol=1e-16 if f64 else 1e-8,
                                           err_msg=f"M={M} sym={sym}")


WINDOW_ERRORS = [
    ("hann_negative", "hann", (-1,), {}), ("kaiser_negative", "kaiser", (-3,), {}),
    ("blackman_negative", "blackman", (-2,), {}), ("nuttall_negative", "nuttall", (-1,), {}),
    ("int_dtype", "hann", (5,), dict(dtype="int64")),
    ("half_dtype", "gaussian", (5,), dict(dtype="float16")),
    ("int32_dtype", "hamming", (2,), dict(dtype="int32")),
    ("layout_none", "hann", (5,), dict(layout=None)),
    ("tau_zero", "exponential", (5,), dict(tau=0)),
    ("tau_negative_before_M0", "exponential", (0,), dict(tau=-1.0)),
    ("center_symmetric", "exponential", (5,), dict(center=1.0)),
    ("center_symmetric_M0", "exponential", (0,), dict(center=2.0)),
    ("std_zero", "gaussian", (5,), dict(std=0.0)),
    ("beta_negative", "kaiser", (5,), dict(beta=-1.0)),
    ("coefficients_not_iterable", "general_cosine", (5,), dict(a=5)),
    ("coefficients_empty", "general_cosine", (5,), dict(a=[])),
    ("coefficients_missing", "general_cosine", (5,), {}),
    ("positional_sym", "hann", (5, True), {}),
]


@pytest.mark.parametrize("case", WINDOW_ERRORS, ids=[c[0] for c in WINDOW_ERRORS])
def test_signal_window_errors_as_torch(case):
    _, name, args, kwargs = case

    def call(lib):
        kw = dict(kwargs)
        if "dtype" in kw:
            kw["dtype"] = getattr(lib, kw["dtype"])
        return lambda: getattr(lib.signal.windows, name)(*args, **kw)
    _same_error(call(torch), call(tg))


def test_signal_windows_edge_cases_that_return():
    for lib in (torch, tg):       # M 0 and 1 return before the coefficients are looked at
        assert lib.signal.windows.general_cosine(0, a=[]).shape == (0,)
        assert lib.signal.windows.general_cosine(1, a=5).tolist() == [1.0]


def test_signal_windows_import_paths():
    windows = importlib.import_module("tinygrad_sgd.signal.windows")
    assert windows.hann is tg.signal.windows.hann
    from tinygrad_sgd.signal.windows import kaiser
    assert kaiser is windows.kaiser
    assert sorted(windows.__all__) == sorted(torch.signal.windows.__all__)
    from tinygrad_sgd._torch_shim import torch_modules
    with torch_modules():
        shim = importlib.import_module("torch.signal.windows")
        assert shim.hann is tg.signal.windows.hann
        top = importlib.import_module("torch")
        np.testing.assert_array_equal(top.signal.windows.hann(8).numpy(),
                                      torch.signal.windows.hann(8).numpy())
        with pytest.raises(NotImplementedError, match="not provided"):
            shim.math                      # (the module's own imports are not torch's names)


def test_windows_requires_grad_graph():
    """requires_grad=True: the positions are a leaf requiring grad, the window a result of
    them (not a leaf), as torch's; backward reaches that leaf without error."""
    for lib in (torch, tg):
        w = lib.signal.windows.kaiser(6, requires_grad=True, dtype=lib.float64)
        assert w.requires_grad and not w.is_leaf
        w.sum().backward()
        assert math.isfinite(float(w.detach().sum()))
