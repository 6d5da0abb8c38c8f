"""Layer norm's kernels: the compiled (numba) rows against the NumPy reference
(:mod:`tinygrad_sgd.kernels.norm`) on odd shapes (width 1, 0 and 1 rows, 3-D, two normalised
dims, rows across a block), with and without γ and β, NaN/inf rows and far-from-zero rows,
in float32 and float64, on 1 thread and split over 2; then F.layer_norm's values and gradients
(x, γ, β) against torch with either kernel set, and which calls reach the compiled kernels.

Tests that need numba skip when it is not installed.
"""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels import norm as np_norm
from tinygrad_sgd.kernels.backend import numba_available

needs_numba = pytest.mark.skipif(not numba_available(),
                                 reason="numba not importable (pip install 'numba==0.68.*')")
DTYPES = [np.float32, np.float64]
BACKENDS = ["numpy", pytest.param("numba", marks=needs_numba)]
EPS = 1e-5


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


def with_backend(name, fn, *args, **kwargs):
    """``fn`` with kernel set ``name`` active and NumPy's floating-point warnings off (as the
    op runs it)."""
    previous = kernels.set_backend(name)
    try:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    finally:
        kernels.set_backend(previous)


# (shape, number of normalised trailing dims)
CASES = [
    ((5, 7), 1),
    ((3, 1), 1),          # width 1: x̂ = 0
    ((0, 6), 1),          # no rows
    ((1, 9), 1),          # one row
    ((2, 3, 4), 1),       # 3-D
    ((2, 3, 4), 2),       # two normalised dims: rows of 12
    ((37, 5), 1),         # rows across blocks of 16
    ((4, 64, 33), 1),
    ((6,), 1),            # a single row, 1-D
]
AFFINE = ["none", "weight", "bias", "both"]


def case_arrays(shape, k, dtype, affine, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype) * 3 + 0.5
    tail = shape[len(shape) - k:]
    w = rng.standard_normal(tail).astype(dtype) if affine in ("weight", "both") else None
    b = rng.standard_normal(tail).astype(dtype) if affine in ("bias", "both") else None
    g = rng.standard_normal(shape).astype(dtype)
    return x, w, b, g


def dims_of(shape, k):
    return tuple(range(len(shape) - k, len(shape)))


def assert_same(got, want, dtype, **kw):
    assert (got is None) == (want is None)
    if want is None:
        return
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **{**tol(dtype), **kw}, equal_nan=True)


# --- compiled kernels vs the NumPy reference -------------------------------------------------
@needs_numba
@pytest.mark.parametrize("keep", [True, False], ids=["keep", "no-keep"])
@pytest.mark.parametrize("affine", AFFINE)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_forward_matches_numpy(case, dtype, affine, keep, split):
    from tinygrad_sgd.kernels.compiled import norm as fast
    shape, k = case
    x, w, b, _ = case_arrays(shape, k, dtype, affine)
    want = with_backend("numpy", np_norm.normalize_forward, x, dims_of(shape, k), EPS, w, b,
                        keep)
    got = fast.layer_norm_forward(x, k, EPS, w, b, keep)
    for name, g_, w_ in zip(("out", "xhat", "rstd", "mean", "var"), got, want):
        assert_same(g_, w_, dtype, err_msg=name)
    if keep:
        assert not np.shares_memory(got[0], got[1])      # z can be changed without touching x̂
    # through the dispatcher, with the numba set active: the same
    via = with_backend("numba", np_norm.normalize_forward, x, dims_of(shape, k), EPS, w, b, keep)
    for g_, w_ in zip(via, got):
        assert_same(g_, w_, dtype, rtol=0, atol=0)


@needs_numba
@pytest.mark.parametrize("needs", [(True, True, True), (True, False, False),
                                   (False, True, True), (False, True, False),
                                   (False, False, True)], ids=str)
@pytest.mark.parametrize("affine", AFFINE)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_backward_matches_numpy(case, dtype, affine, needs, split):
    from tinygrad_sgd.kernels.compiled import norm as fast
    shape, k = case
    need_x, need_w, need_b = needs
    x, w, b, g = case_arrays(shape, k, dtype, affine)
    if w is None:
        need_w = False
    if b is None:
        need_b = False
    dims = dims_of(shape, k)
    _, xhat, rstd, _, _ = with_backend("numpy", np_norm.normalize_forward, x, dims, EPS, w, b)
    bias_shape = None if b is None else b.shape
    want = with_backend("numpy", np_norm.normalize_backward, g, xhat, rstd, w, dims, need_x,
                        need_w, need_b, bias_shape)
    got = fast.layer_norm_backward(g, xhat, rstd, w, k, need_x, need_w, need_b)
    # β's and γ's gradients sum over every row: the error grows with the number of rows
    rows = max(1, x.size // max(1, int(np.prod(shape[len(shape) - k:]))))
    for name, g_, w_ in zip(("gx", "gw", "gb"), got, want):
        assert_same(g_, w_, dtype, atol=tol(dtype)["atol"] * rows, err_msg=name)
    via = with_backend("numba", np_norm.normalize_backward, g, xhat, rstd, w, dims, need_x,
                       need_w, need_b, bias_shape)
    for g_, w_ in zip(via, got):
        assert_same(g_, w_, dtype, rtol=0, atol=0)


@needs_numba
@pytest.mark.parametrize("bad", [(1, 3, 4), (6,), (2,), (0, 6)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_and_inf_rows(dtype, bad, split):
    """A row holding NaN or ±inf is NaN throughout (forward and x's gradient), as NumPy's and
    torch's; the other rows are untouched; γ's gradient is NaN where such a row adds to it.
    7 rows: the backward takes rows in pairs, the last one on its own (bad row 6)."""
    from tinygrad_sgd.kernels.compiled import norm as fast
    x, w, b, g = case_arrays((7, 5), 1, dtype, "both")
    for i, r in enumerate(bad):
        x[r, (2 * i) % 5] = (np.nan, np.inf, -np.inf)[i % 3]
    good = [r for r in range(7) if r not in bad]
    want = with_backend("numpy", np_norm.normalize_forward, x, (1,), EPS, w, b)
    got = fast.layer_norm_forward(x, 1, EPS, w, b, True)
    for g_, w_ in zip(got, want):
        assert_same(g_, w_, dtype)
    out, xhat, rstd = got[:3]
    assert np.isnan(out[list(bad)]).all() and np.isfinite(out[good]).all()
    gx, gw, gb = fast.layer_norm_backward(g, xhat, rstd, w, 1)
    wx, ww, wb = with_backend("numpy", np_norm.normalize_backward, g, xhat, rstd, w, (1,))
    assert_same(gx, wx, dtype)
    assert_same(gw, ww, dtype)
    assert_same(gb, wb, dtype)
    assert np.isnan(gx[list(bad)]).all() and np.isfinite(gx[good]).all()
    assert np.isnan(gw).all() and np.isfinite(gb).all()
    # a NaN or inf in the incoming gradient spreads over its row only (as NaN or ±inf, as
    # NumPy's), and into β's sum at its place
    g[good[0], 1] = np.nan
    g[good[-1], 3] = np.inf
    gx, gw, gb = fast.layer_norm_backward(g, xhat, rstd, w, 1)
    for got_, want_ in zip((gx, gw, gb), with_backend("numpy", np_norm.normalize_backward, g,
                                                       xhat, rstd, w, (1,))):
        assert_same(got_, want_, dtype)
    assert not np.isfinite(gx[[good[0], good[-1]]]).any() and np.isfinite(gx[good[1:-1]]).all()
    assert np.isnan(gb[1]) and gb[3] == np.inf and np.isfinite(gb[[0, 2, 4]]).all()


@needs_numba
def test_zero_variance_without_eps_is_inf_times_zero():
    """A constant row with ε = 0: r = 1/0 = inf and x̂ = 0·inf = NaN, as NumPy (no error)."""
    from tinygrad_sgd.kernels.compiled import norm as fast
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]], np.float32)
    out, xhat, rstd, _, _ = fast.layer_norm_forward(x, 1, 0.0, None, None, True)
    want = with_backend("numpy", np_norm.normalize_forward, x, (1,), 0.0)
    assert np.isinf(rstd[0, 0]) and np.isnan(out[0]).all()
    assert_same(out, want[0], np.float32)


@needs_numba
@pytest.mark.parametrize("offset", [1e3, 1e4])
def test_float32_rows_far_from_zero_keep_their_variance(offset):
    """x + 10⁴ in float32: sums in float64 (two passes) give x̂ and z within float32 rounding
    of the exact values (computed in float64 from the same float32 inputs); the NumPy float32
    reference and torch's float32 kernel are further off."""
    from tinygrad_sgd.kernels.compiled import norm as fast
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((64, 256)) + offset).astype(np.float32)
    w = rng.standard_normal(256).astype(np.float32)
    b = rng.standard_normal(256).astype(np.float32)
    x64 = x.astype(np.float64)
    m = x64.mean(1, keepdims=True)
    exact_xhat = (x64 - m) / np.sqrt(((x64 - m) ** 2).mean(1, keepdims=True) + EPS)
    exact_out = exact_xhat * w + b
    out, xhat, rstd, _, _ = fast.layer_norm_forward(x, 1, EPS, w, b, True)
    np.testing.assert_allclose(xhat, exact_xhat, rtol=0, atol=1e-6)
    np.testing.assert_allclose(out, exact_out, rtol=0, atol=2e-6)
    ref_out = with_backend("numpy", np_norm.normalize_forward, x, (1,), EPS, w, b)[0]
    err_ref = np.abs(ref_out - exact_out).max()
    err_fast = np.abs(out - exact_out).max()
    assert err_fast <= err_ref
    t = torch.nn.functional.layer_norm(torch.tensor(x), (256,), torch.tensor(w),
                                       torch.tensor(b), EPS).numpy()
    np.testing.assert_allclose(out, t, rtol=0, atol=1e-2)     # torch's float32: up to ~4e-3 off
    assert err_fast <= np.abs(t - exact_out).max()
    # and the gradient, against float64 arithmetic from the same inputs
    g = rng.standard_normal(x.shape).astype(np.float32)
    gx, gw, gb = fast.layer_norm_backward(g, xhat, rstd, w, 1)
    gh = g.astype(np.float64) * w
    r = 1 / np.sqrt(((x64 - m) ** 2).mean(1, keepdims=True) + EPS)
    exact_gx = r * (gh - gh.mean(1, keepdims=True)
                    - exact_xhat * (gh * exact_xhat).mean(1, keepdims=True))
    np.testing.assert_allclose(gx, exact_gx, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gw, (g * exact_xhat).sum(0), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(gb, g.astype(np.float64).sum(0), rtol=1e-6, atol=1e-5)


@needs_numba
@pytest.mark.filterwarnings("ignore:Mean of empty slice")
def test_dispatch_only_layer_norm_reaches_the_compiled_kernels(monkeypatch, restore_backend):
    """Trailing dims of a C-contiguous float array go to the compiled rows; batch norm (channel
    dim in between), a non-contiguous input and γ of another shape stay on NumPy; float16 is
    computed in float32, so its rows go there too."""
    from tinygrad_sgd.kernels.compiled import norm as fast
    calls = []
    for name in ("layer_norm_forward", "layer_norm_backward"):
        real = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda *a, _real=real, _name=name, **kw:
                            calls.append(_name) or _real(*a, **kw))
    kernels.set_backend("numba")
    rng = np.random.default_rng(0)

    @np.errstate(all="ignore")
    def run(x, dims, w=None, b=None):
        calls.clear()
        out, xhat, rstd, _, _ = np_norm.normalize_forward(x, dims, EPS, w, b)
        np_norm.normalize_backward(np.ones_like(x), xhat, rstd, w, dims, True, w is not None,
                                   b is not None, None if b is None else b.shape)
        return list(calls)

    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    assert run(x, (2,), np.ones(5, np.float32), np.zeros(5, np.float32)) == \
        ["layer_norm_forward", "layer_norm_backward"]
    assert run(x, (1, 2)) == ["layer_norm_forward", "layer_norm_backward"]
    assert run(x, (0, 2)) == []                                       # batch norm's dims
    assert run(x, (1,)) == []                                         # not trailing
    assert run(np.swapaxes(x, 0, 1), (2,)) == []                      # not C-contiguous
    assert run(x.astype(np.float16), (2,)) == ["layer_norm_forward",  # float16: in
                                               "layer_norm_backward"]  # float32's rows
    assert run(x, (2,), np.ones((1, 5), np.float32)) == []            # γ of another shape
    assert run(x, (2,), np.ones(5, np.float64)) == []                 # γ of another dtype
    assert run(np.zeros((3, 0), np.float32), (1,)) == []              # empty rows


# --- F.layer_norm against torch, with either kernel set -------------------------------------
LN_CASES = [((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((5, 1), (1,)), ((0, 6), (6,)),
            ((1, 7), (7,)), ((3, 40, 17), (17,)), ((8,), (8,))]


def _torch_layer_norm(x, shape, w, b, g, dtype=None):
    """torch's values and gradients, computed in ``dtype`` (default: the inputs')."""
    def t(a, grad=True):
        if a is None:
            return None
        a = torch.tensor(a if dtype is None else a.astype(dtype))
        return a.requires_grad_(grad)
    tx, tw, tb = t(x), t(w), t(b)
    y = torch.nn.functional.layer_norm(tx, shape, tw, tb, EPS)
    y.backward(t(g, False))
    grads = tuple(None if a is None else a.grad.numpy().astype(x.dtype) for a in (tx, tw, tb))
    return (y.detach().numpy().astype(x.dtype),) + grads


def _our_layer_norm(x, shape, w, b, g):
    tx = tg.tensor(x, requires_grad=True)
    tw = None if w is None else tg.tensor(w, requires_grad=True)
    tb = None if b is None else tg.tensor(b, requires_grad=True)
    y = F.layer_norm(tx, shape, tw, tb, EPS)
    y.backward(tg.tensor(g))
    return (y.detach().numpy(), tx.grad.numpy(), None if tw is None else tw.grad.numpy(),
            None if tb is None else tb.grad.numpy())


def _compare(got, want, rtol, atol):
    for name, g_, w_ in zip(("y", "dx", "dγ", "dβ"), got, want):
        assert (g_ is None) == (w_ is None), name
        if w_ is not None:
            assert g_.shape == w_.shape and g_.dtype == w_.dtype, name
            np.testing.assert_array_equal(np.isnan(g_), np.isnan(w_), err_msg=name)
            np.testing.assert_allclose(g_, w_, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=name)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("affine", AFFINE)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", LN_CASES, ids=str)
def test_layer_norm_matches_torch(case, dtype, affine, backend, restore_backend):
    """Against torch in float64 on the same inputs (within our dtype's rounding), and against
    torch in our dtype (within the rounding of both: torch's float32 forms x·rγ − μ·rγ, off by
    ~ε·|x|·r, which for a width of 1 (r = 1/√ε) is far from its exact 0)."""
    shape, normalized = case
    x, w, b, g = case_arrays(shape, len(normalized), dtype, affine, seed=3)
    kernels.set_backend(backend)
    got = _our_layer_norm(x, normalized, w, b, g)
    rows = max(1, x.size // max(1, int(np.prod(normalized))))
    _compare(got, _torch_layer_norm(x, normalized, w, b, g, np.float64),
             tol(dtype)["rtol"], tol(dtype)["atol"] * rows)
    scale = 1 + (np.abs(x).max() if x.size else 0) / np.sqrt(EPS if np.prod(normalized) == 1
                                                             else 1)
    _compare(got, _torch_layer_norm(x, normalized, w, b, g),
             tol(dtype)["rtol"], tol(dtype)["atol"] * rows * scale)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_nan_inf_and_offsets_match_torch(dtype, backend, restore_backend):
    """Rows near 10⁴ with a NaN and an inf: NaN rows where torch has them, the others as
    torch's float64 on the same inputs — float32 sums (NumPy's and torch's own float32) lose
    ~ulp(10⁴)·r ≈ 1e-3 there, the compiled rows' float64 sums do not."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((4, 6, 32)) + 1e4).astype(dtype)
    x[0, 1, 3] = np.nan
    x[2, 5, 0] = np.inf
    w = rng.standard_normal(32).astype(dtype)
    b = rng.standard_normal(32).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    kernels.set_backend(backend)
    got = _our_layer_norm(x, (32,), w, b, g)
    if dtype == np.float64:
        _compare(got, _torch_layer_norm(x, (32,), w, b, g), 1e-9, 1e-9)
    elif backend == "numba":
        _compare(got, _torch_layer_norm(x, (32,), w, b, g, np.float64), 1e-5, 3e-5)
    else:
        _compare(got, _torch_layer_norm(x, (32,), w, b, g, np.float64), 1e-3, 1e-2)
    if dtype == np.float32:       # and torch's own float32, as far off as it is
        _compare(got, _torch_layer_norm(x, (32,), w, b, g), 1e-2, 2e-2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_layer_norm_of_a_non_contiguous_input_matches_torch(backend, restore_backend):
    rng = np.random.default_rng(7)
    base = rng.standard_normal((5, 4, 6)).astype(np.float32)
    w = rng.standard_normal(4).astype(np.float32)
    g = rng.standard_normal((5, 6, 4)).astype(np.float32)
    kernels.set_backend(backend)
    tx = tg.tensor(base, requires_grad=True)
    tw = tg.tensor(w, requires_grad=True)
    y = F.layer_norm(tx.transpose(1, 2), (4,), tw, None, EPS)
    y.backward(tg.tensor(g))
    rx = torch.tensor(base, requires_grad=True)
    rw = torch.tensor(w, requires_grad=True)
    ry = torch.nn.functional.layer_norm(rx.transpose(1, 2), (4,), rw, None, EPS)
    ry.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), ry.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tx.grad.numpy(), rx.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tw.grad.numpy(), rw.grad.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_layer_norm_second_order_matches_torch(backend, restore_backend):
    """create_graph: the gradient is Tensor operations (the kernels only ran the forward)."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 5))
    w = rng.standard_normal(5)
    b = rng.standard_normal(5)
    kernels.set_backend(backend)
    tx, tw, tb = (tg.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.layer_norm(tx, (5,), tw, tb, EPS)
    (gx,) = tg.autograd.grad((y * y).sum(), (tx,), create_graph=True)
    gx.sum().backward()
    rx, rw, rb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ry = torch.nn.functional.layer_norm(rx, (5,), rw, rb, EPS)
    (rgx,) = torch.autograd.grad((ry * ry).sum(), (rx,), create_graph=True)
    rgx.sum().backward()
    np.testing.assert_allclose(gx.detach().numpy(), rgx.detach().numpy(), rtol=1e-10,
                               atol=1e-10)
    for ours, theirs in ((tx, rx), (tw, rw), (tb, rb)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9,
                                   atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_layer_norm_output_changed_in_place_leaves_the_gradient(backend, restore_backend):
    """z and the x̂ kept for backward are separate arrays: editing z (no γ, β) before backward
    does not change the gradient."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 8)).astype(np.float32)
    g = rng.standard_normal((4, 8)).astype(np.float32)
    kernels.set_backend(backend)
    tx = tg.tensor(x, requires_grad=True)
    y = F.layer_norm(tx, (8,), eps=EPS)
    y.array[...] = 0.0            # the output's memory itself, behind autograd's back
    y.backward(tg.tensor(g))
    want = _torch_layer_norm(x, (8,), None, None, g)[1]
    np.testing.assert_allclose(tx.grad.numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_training_still_matches_torch(dtype, backend, restore_backend):
    """Batch norm shares the op (and stays on the NumPy kernel): values, gradients and the
    running statistics as torch's."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal((6, 3, 4, 5)).astype(dtype)
    w = rng.standard_normal(3).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    kernels.set_backend(backend)
    tx, tw, tb = (tg.tensor(a, requires_grad=True) for a in (x, w, b))
    rm, rv = tg.zeros(3, dtype=tx.dtype), tg.ones(3, dtype=tx.dtype)
    y = F.batch_norm(tx, rm, rv, tw, tb, training=True, momentum=0.1, eps=EPS)
    y.backward(tg.tensor(g))
    qx, qw, qb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    qm, qv = torch.zeros(3, dtype=qx.dtype), torch.ones(3, dtype=qx.dtype)
    qy = torch.nn.functional.batch_norm(qx, qm, qv, qw, qb, training=True, momentum=0.1,
                                        eps=EPS)
    qy.backward(torch.tensor(g))
    t = dict(rtol=1e-5, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for ours, theirs in ((y.detach(), qy.detach()), (tx.grad, qx.grad), (tw.grad, qw.grad),
                         (tb.grad, qb.grad), (rm, qm), (rv, qv)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **t)
