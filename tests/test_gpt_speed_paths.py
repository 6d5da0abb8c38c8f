"""The fast paths of a GPT training step against torch: the GELU kernels (NumPy slabs and the
compiled numba loop; the derivative kept by the forward), the softmax (in place, with a boolean
mask, whole rows masked, 0-d and size-0 inputs) and scaled dot-product attention (causal mask,
boolean and float masks), and the GPT block's attention layout — values, gradients and second
order, float32 and float64, NaN and ±inf."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import autograd, kernels
from tinygrad_sgd.kernels import gelu as gelu_kernels
from tinygrad_sgd.kernels.backend import numba_available
from tinygrad_sgd.nn import functional as F
from strategies import arrays, assert_same, both, check_against_torch, shapes

BACKENDS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    not numba_available(), reason="numba not importable (pip install 'numba==0.68.*')"))]
SPECIALS = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-30, -1e-30, 5.657, -5.657, 40.0, -40.0]


@pytest.fixture(params=BACKENDS)
def backend(request):
    previous = kernels.set_backend(request.param)
    yield request.param
    kernels.set_backend(previous)


def gelu_and_grad(lib, x, g, approximate="none"):
    """(gelu(x), g·gelu′(x)) as arrays, by the library's autograd."""
    t = lib.tensor(x, requires_grad=True)
    y = lib.nn.functional.gelu(t, approximate=approximate)
    (grad,) = lib.autograd.grad(y, t, grad_outputs=lib.tensor(g))
    as_np = (lambda a: a.detach().numpy()) if lib is torch else (lambda a: a.numpy())
    return as_np(y), as_np(grad)


# ============================================================================ GELU
def grid(dtype):
    rng = np.random.default_rng(0)
    return np.concatenate([np.linspace(-12, 12, 24001), rng.standard_normal(5000) * 2,
                           SPECIALS]).astype(dtype)


def test_gelu_float32_matches_torch_dense_grid_tails_and_specials(backend):
    x = grid(np.float32)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    (y, dx), (ty, tdx) = gelu_and_grad(tg, x, g), gelu_and_grad(torch, x, g)
    assert y.dtype == dx.dtype == np.float32
    # torch's own float32 GELU is ~3e-7 off the exact values; ours within 1.2e-6·max(1, |x|)
    scale = np.maximum(1.0, np.abs(x))
    finite = np.isfinite(ty)
    # the non-finite places against torch one element at a time: torch's vectorised AVX-512
    # GELU gives NaN at +inf, its scalar path (and AVX2's) inf, as the formula x·Φ(x) does
    one = [gelu_and_grad(torch, x[i:i + 1], g[i:i + 1]) for i in np.flatnonzero(~finite)]
    np.testing.assert_array_equal(y[~finite], [v[0][0] for v in one])
    assert (np.abs(y[finite] - ty[finite]) <= 1.5e-6 * scale[finite]).all()
    ok = np.isfinite(tdx)
    one = [gelu_and_grad(torch, x[i:i + 1], g[i:i + 1]) for i in np.flatnonzero(~ok)]
    np.testing.assert_array_equal(dx[~ok], [v[1][0] for v in one])
    assert (np.abs(dx[ok] - tdx[ok]) <= 1e-6 * np.maximum(1.0, np.abs(g[ok]))).all()
    # against the exact values (float64): relative accuracy of a few ulp where Φ(x) ≥ 0.15
    x64 = x.astype(np.float64)
    ref = gelu_and_grad(torch, x64, g.astype(np.float64))
    body = np.isfinite(x64) & (x64 > -1.0) & (np.abs(x64) > 1e-3)
    np.testing.assert_allclose(y[body], ref[0][body], rtol=4e-7)
    np.testing.assert_allclose(dx[body], ref[1][body], rtol=3e-6, atol=3e-7)


def test_gelu_float32_far_left_is_exactly_zero_and_never_positive(backend):
    x = np.linspace(-40, -5.3, 4001).astype(np.float32)
    y, dx = gelu_and_grad(tg, x, np.ones_like(x))
    assert (y <= 0).all() and (y[x < -5.66] == 0).all()
    exact = gelu_and_grad(torch, x.astype(np.float64), np.ones(x.shape))[1]
    np.testing.assert_allclose(dx, exact, rtol=0, atol=2e-7)


def test_gelu_float32_far_right_is_x_and_derivative_one(backend):
    x = np.linspace(6.0, 1e4, 4001).astype(np.float32)
    y, dx = gelu_and_grad(tg, x, np.ones_like(x))
    assert np.array_equal(y, x) and (dx == 1).all()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float64_matches_torch_including_tails_and_specials(approximate, backend):
    x = np.concatenate([np.linspace(-40, 40, 8001), SPECIALS])
    g = np.random.default_rng(2).standard_normal(x.shape)
    (y, dx), (ty, tdx) = gelu_and_grad(tg, x, g, approximate), \
        gelu_and_grad(torch, x, g, approximate)
    # far left torch's 1 + erf cancels: its value is off by ~1e-16·|x| there; 1 + tanh and
    # 1 − tanh² cancel in both libraries (a different rounding: ~1e-14 apart)
    slack = (2e-16 if approximate == "none" else 2e-14) * np.maximum(1.0, np.abs(x)) \
        * np.maximum(1.0, np.abs(g))
    for ours, theirs in ((y, ty), (dx, tdx)):
        finite = np.isfinite(theirs)
        np.testing.assert_array_equal(ours[~finite], theirs[~finite])
        assert (np.abs(ours[finite] - theirs[finite]) <= 1e-13 * np.abs(theirs[finite])
                + slack[finite]).all()


def test_gelu_float64_far_left_is_accurate():
    """Φ from erfc, not 1 + erf: relative accuracy far into the left tail."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = np.array([-3.0, -8.37, -12.0, -20.0, -37.5])
    exact = np.array([float(v * mpmath.ncdf(v)) for v in x])
    y = F.gelu(tg.tensor(x)).numpy()
    np.testing.assert_allclose(y, exact, rtol=2e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (70001,)])
def test_gelu_shapes_empty_0d_and_more_than_a_slab(shape, dtype, backend):
    x = np.random.default_rng(3).standard_normal(shape).astype(dtype) * 3
    g = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    (y, dx), (ty, tdx) = gelu_and_grad(tg, x, g), gelu_and_grad(torch, x, g)
    tol = dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    assert y.shape == dx.shape == shape and y.dtype == dx.dtype == dtype
    np.testing.assert_allclose(y, ty, **tol)
    np.testing.assert_allclose(dx, tdx, **tol)


def test_gelu_of_a_non_contiguous_float32_view(backend):
    base = np.random.default_rng(5).standard_normal((6, 8, 5)).astype(np.float32)
    a, b = both(base)
    F.gelu(a.transpose(0, 2)[:, ::2]).sum().backward()
    torch.nn.functional.gelu(b.transpose(0, 2)[:, ::2]).sum().backward()
    assert_same(a.grad, b.grad, 2e-6, 2e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_second_and_third_order_match_torch(approximate, dtype, backend):
    tol = (2e-5, 2e-5) if dtype == np.float32 else (1e-10, 1e-12)
    x = np.linspace(-4, 4, 37).astype(dtype)
    check_against_torch(lambda lib, t: lib.nn.functional.gelu(t, approximate=approximate),
                        [x], None, *tol, True, f"gelu({approximate})")
    a, b = both(x)
    ga = autograd.grad(F.gelu(a, approximate=approximate).sum(), a, create_graph=True)[0]
    gb = torch.autograd.grad(torch.nn.functional.gelu(b, approximate=approximate).sum(), b,
                             create_graph=True)[0]
    gga = autograd.grad(ga.sum(), a, create_graph=True)[0]
    ggb = torch.autograd.grad(gb.sum(), b, create_graph=True)[0]
    assert_same(gga, ggb, *tol, "second derivative")
    assert_same(autograd.grad(gga.sum(), a)[0], torch.autograd.grad(ggb.sum(), b)[0], *tol,
                "third derivative")


def test_gelu_backward_twice_with_retain_graph_gives_the_same_gradient(backend):
    a, b = both(np.linspace(-3, 3, 11).astype(np.float32))
    ya, yb = F.gelu(a), torch.nn.functional.gelu(b)
    ya.sum().backward(retain_graph=True)
    first = a.grad.numpy().copy()
    for y in (ya, yb, yb):
        y.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(a.grad.numpy(), 2 * first)
    assert_same(a.grad, b.grad, 2e-6, 2e-6)


def test_gelu_input_changed_in_place_before_backward_is_an_error(backend):
    a = tg.tensor(np.linspace(-2, 2, 5).astype(np.float32), requires_grad=True)
    x = a * 1.0
    y = F.gelu(x)
    with tg.no_grad():
        x.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_gelu_without_grad_keeps_no_derivative():
    x = np.linspace(-3, 3, 7).astype(np.float32)
    (out, der), (out2, der2) = (gelu_kernels.gelu(x, "none", derivative=d)
                                for d in (False, True))
    assert der is None
    np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(der2, gelu_kernels.gelu_derivative(x, "none"))
    with tg.no_grad():
        y = F.gelu(tg.tensor(x, requires_grad=True))
    assert y.grad_fn is None and np.array_equal(y.numpy(), out)


@pytest.mark.skipif(not numba_available(), reason="numba not installed")
def test_gelu_compiled_kernel_agrees_with_the_numpy_kernel():
    x = grid(np.float32)
    previous = kernels.set_backend("numba")
    try:
        with np.errstate(invalid="ignore"):      # ±∞·0 = nan, as torch
            fast = gelu_kernels.gelu(x, "none", True)
            fast_der = gelu_kernels.gelu_derivative(x, "none")
            kernels.set_backend("numpy")
            ref = gelu_kernels.gelu(x, "none", True)
    finally:
        kernels.set_backend(previous)
    scale = np.maximum(1.0, np.abs(x))
    for a, b in ((fast[0], ref[0]), (fast[1], ref[1]), (fast_der, ref[1])):
        finite = np.isfinite(b)
        np.testing.assert_array_equal(a[~finite], b[~finite])
        assert (np.abs(a[finite] - b[finite]) <= 4e-7 * scale[finite]).all()


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_gelu_hypothesis_shapes_float64_first_and_second_order(data):
    x = data.draw(arrays(data.draw(shapes()), -6.0, 6.0))
    check_against_torch(lambda lib, t: lib.nn.functional.gelu(t), [x], None, 1e-10, 1e-12,
                        True, "gelu")


# ============================================================================ softmax
def softmax_both(x, dim, log=False, grad_seed=6):
    """(value, gradient) of (log_)softmax along dim for tinygrad_sgd and torch."""
    g = np.random.default_rng(grad_seed).standard_normal(x.shape).astype(x.dtype)
    out = []
    for lib in (tg, torch):
        t = lib.tensor(x, requires_grad=True)
        y = t.log_softmax(dim) if log else t.softmax(dim)
        (grad,) = lib.autograd.grad(y, t, grad_outputs=lib.tensor(g))
        as_np = (lambda a: a.detach().numpy()) if lib is torch else (lambda a: a.numpy())
        out.append((as_np(y), as_np(grad)))
    return out


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 3.0, -0.0])
def test_softmax_of_a_0d_tensor_is_a_row_of_one(value, dtype, log, backend):
    """issue #15: softmax(tensor(nan)) is nan (it was 1.0), as are ±∞; finite: 1 (log: 0)."""
    (y, dx), (ty, tdx) = softmax_both(np.array(value, dtype), 0, log)
    assert y.shape == () and y.dtype == dtype
    np.testing.assert_array_equal(y, ty)
    np.testing.assert_array_equal(dx, tdx)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((0,), 0), ((2, 0), 1), ((2, 0), 0), ((0, 3), 1),
                                       ((0, 3), -2), ((3, 0, 2), -1), ((3, 0, 2), 1)])
def test_softmax_over_or_beside_a_size_0_dim_gives_an_empty_result(shape, dim, log, backend):
    """issue #15: torch returns an empty tensor (and an empty gradient) instead of raising."""
    x = np.zeros(shape, np.float32)
    (y, dx), (ty, tdx) = softmax_both(x, dim, log)
    assert y.shape == ty.shape == dx.shape == tdx.shape == shape
    assert y.dtype == dx.dtype == np.float32
    t = tg.zeros(shape, requires_grad=True)
    y = F.softmax(t, dim) if not log else F.log_softmax(t, dim)
    assert y.grad_fn.name() == ("LogSoftmaxBackward" if log else "SoftmaxBackward")


SOFTMAX_ROWS = np.array([[1.0, 2.0, 3.0, -1.0], [np.nan, 1.0, 2.0, 3.0],
                         [-np.inf, -np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0, 3.0],
                         [-np.inf, 0.5, -np.inf, 2.0], [1e4, -1e4, 1e4, 0.0],
                         [-1e30, -1e30, -1e30, -1e30], [0.0, 0.0, 0.0, 0.0]])


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [-1, 0])
def test_softmax_rows_with_nan_inf_and_huge_values_match_torch(dim, dtype, log, backend):
    x = SOFTMAX_ROWS.astype(dtype)
    (y, dx), (ty, tdx) = softmax_both(x, dim, log)
    tol = dict(rtol=2e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(y, ty, **tol)
    np.testing.assert_allclose(dx, tdx, **tol)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dim", [((32, 4, 64, 64), -1), ((5, 7, 3), 1), ((3, 1000), -1),
                                       ((2, 3, 5), 0), ((2048, 65), -1), ((4, 1), -1)])
def test_softmax_big_and_odd_shapes_match_torch(shape, dim, dtype, log, backend):
    x = (np.random.default_rng(7).standard_normal(shape) * 4).astype(dtype)
    (y, dx), (ty, tdx) = softmax_both(x, dim, log)
    tol = dict(rtol=2e-5, atol=2e-7) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-15)
    # x − m − ln Σ: a log-probability near 0 is a difference of numbers of order 10, exact to
    # their ulp (~1e-6 in float32) in absolute terms only
    np.testing.assert_allclose(y, ty, **(dict(tol, atol=4e-6 if dtype == np.float32 else
                                              1e-13) if log else tol))
    # g − Σ g·s cancels: float32 gradients are ~ulp(|g|) = 5e-7 apart in absolute terms,
    # float64 ones ~ulp(|g|) = 1e-15 (one element of (2048, 65) at 1.1e-15 with torch's AVX-512
    # sums)
    np.testing.assert_allclose(dx, tdx, **(dict(tol, atol=2e-6) if dtype == np.float32
                                          else dict(tol, atol=4e-15)))


def test_softmax_outputs_held_at_once_stay_their_own(backend):
    """Four layers' attention: each softmax output (reused memory, see kernels.buffers) is
    kept for its backward while the next ones are computed, and gradients flow through all."""
    rng = np.random.default_rng(3)
    xs = [(rng.standard_normal((8, 4, 32, 32)) * 3).astype(np.float32) for _ in range(4)]
    outs = {}
    for lib in (tg, torch):
        ts = [lib.tensor(x, requires_grad=True) for x in xs]
        ys = [t.softmax(-1) for t in ts]
        loss = sum((y * float(i + 1)).sin().sum() for i, y in enumerate(ys))
        grads = lib.autograd.grad(loss, ts)
        as_np = (lambda a: a.detach().numpy()) if lib is torch else (lambda a: a.numpy())
        outs[lib] = [as_np(y) for y in ys], [as_np(g) for g in grads]
    for ours, theirs in zip(outs[tg], outs[torch]):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def masked_softmax_reference(x, keep):
    """torch: masked places filled with −∞, softmax, rows with nothing kept above −∞ → 0 (and
    no gradient: they are replaced before the softmax too)."""
    filled = x.masked_fill(~keep, -np.inf)
    empty = (filled == -np.inf).all(-1, keepdim=True)
    return torch.softmax(filled.masked_fill(empty, 0.0), -1).masked_fill(empty, 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keep_shape", [(6, 5), (5,), (2, 3, 6, 5), (1, 5), (3, 1, 1)])
def test_masked_softmax_op_matches_torch_with_whole_rows_masked(keep_shape, dtype, backend):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((2, 3, 6, 5)) * 3).astype(dtype)
    x[0, 0, 2] = -np.inf                      # a row −∞ by its scores alone
    x[1, 2, 4, 1] = np.nan                    # a nan: its row is nan unless it is masked
    keep = rng.random(keep_shape) < 0.6
    if len(keep_shape) == 2 and keep_shape[0] == 6:
        keep[3] = False                       # a whole row masked
    g = rng.standard_normal(x.shape).astype(dtype)
    a = tg.tensor(x, requires_grad=True)
    y = tg.ops.SoftmaxOp.apply(a, -1, mask=keep)
    (dx,) = autograd.grad(y, a, grad_outputs=tg.tensor(g))
    t = torch.tensor(x, requires_grad=True)
    ty = masked_softmax_reference(t, torch.tensor(keep))
    (tdx,) = torch.autograd.grad(ty, t, grad_outputs=torch.tensor(g))
    tol = dict(rtol=2e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    assert y.dtype == dtype
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), **tol)
    np.testing.assert_allclose(dx.numpy(), tdx.numpy(),       # (g − Σ g·s cancels)
                               **(dict(tol, atol=1e-6) if dtype == np.float32 else tol))
    nan_row = np.isnan(ty.detach().numpy()).any(-1, keepdims=True)
    masked = ~np.broadcast_to(keep, x.shape)
    assert (y.numpy()[masked & ~nan_row] == 0).all() and (dx.numpy()[masked] == 0).all()


@pytest.mark.parametrize("width", [8, 19, 64])
def test_masked_softmax_rows_wider_than_the_unrolled_max_match_torch(width, backend):
    """The compiled row max keeps eight running maxima (eight places a pass) and a tail: nan,
    ±inf and the largest value in each of those places, masked or kept, as torch."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 24, width)).astype(np.float32)
    for r in range(24):                  # the largest value at each place in turn
        x[:, r, r % width] = 200.0 + r     # (a smaller max taken would overflow e^(x−m))
    x[0, 3, width - 1] = np.nan          # in the tail (or the last of the eight)
    x[0, 5, 2] = np.nan                  # in the unrolled part
    x[1, 7, 1] = np.inf
    x[1, 8, width - 1] = np.inf
    x[2, 9, :] = -np.inf                 # a row −∞ by its scores alone
    x[3, 10, 4] = -np.inf
    keep = np.tril(np.ones((24, width), bool), k=width - 24)
    keep[:, 0] = True
    keep[11] = False                     # a whole row masked
    keep[12, :] = True
    keep[12, 12 % width] = False         # the largest value masked out
    g = rng.standard_normal(x.shape).astype(np.float32)
    for mask in (keep, None):
        a = tg.tensor(x, requires_grad=True)
        y = tg.ops.SoftmaxOp.apply(a, -1, mask=True if mask is None else mask)
        (dx,) = autograd.grad(y, a, grad_outputs=tg.tensor(g))
        t = torch.tensor(x, requires_grad=True)
        ty = masked_softmax_reference(t, torch.ones(x.shape, dtype=torch.bool) if mask is None
                                      else torch.tensor(mask))
        (tdx,) = torch.autograd.grad(ty, t, grad_outputs=torch.tensor(g))
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(dx.numpy(), tdx.numpy(), rtol=2e-6, atol=1e-6)


def _read_only(keep):
    keep = np.array(keep)                # (an array owning its memory, as the causal masks)
    keep.flags.writeable = False
    return keep


@pytest.mark.parametrize("kind", ["causal", "band", "empty and late rows", "not runs"])
def test_masked_softmax_with_a_constant_mask_of_runs_matches_torch(kind, backend):
    """A read-only mask that keeps one run of places per row (the attention's causal masks)
    is read as runs by the compiled softmax: the masked places are never read — a nan or ±∞
    there changes nothing — and the kept ones give torch's numbers."""
    rng = np.random.default_rng(12)
    L, S = 24, 37
    cols, rows = np.arange(S), np.arange(L)[:, None]
    keep = {"causal": cols <= rows, "band": (cols <= rows + 5) & (cols > rows - 9),
            "empty and late rows": (cols >= rows) & (cols < rows + 14) & (rows % 5 != 0),
            "not runs": (cols + rows) % 3 != 0}[kind]
    keep = _read_only(keep)
    x = (rng.standard_normal((3, L, S)) * 4).astype(np.float32)
    x[0][~keep] = np.nan                 # masked: never read
    x[1][~keep] = np.inf
    x[2, 4, :] = 300.0                   # kept and huge; masked ones overflow if read
    g = rng.standard_normal(x.shape).astype(np.float32)
    if backend == "numba":
        from tinygrad_sgd.kernels.compiled import activations
        runs = activations._runs(keep, keep)
        assert (runs is None) == (kind == "not runs")
    a = tg.tensor(x, requires_grad=True)
    y = tg.ops.SoftmaxOp.apply(a, -1, mask=keep)
    (dx,) = autograd.grad(y, a, grad_outputs=tg.tensor(g))
    t = torch.tensor(x, requires_grad=True)
    ty = masked_softmax_reference(t, torch.tensor(np.array(keep)))
    (tdx,) = torch.autograd.grad(ty, t, grad_outputs=torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(dx.numpy(), tdx.numpy(), rtol=2e-6, atol=1e-6)
    masked = ~np.broadcast_to(keep, x.shape)
    assert (y.numpy()[masked] == 0).all() and (dx.numpy()[masked] == 0).all()


def test_masked_softmax_second_order_matches_torch():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 3))
    keep = np.tril(np.ones((4, 3), bool))
    keep[0] = False
    check_against_torch(
        lambda lib, t: tg.ops.SoftmaxOp.apply(t, -1, mask=keep) if lib is tg
        else masked_softmax_reference(t, torch.tensor(keep)), [x], None, 1e-10, 1e-12, True,
        "masked softmax")


@pytest.mark.skipif(not numba_available(), reason="numba not installed")
@pytest.mark.parametrize("keep", [None, True, "causal", "row", "broadcast"])
def test_compiled_softmax_agrees_with_the_numpy_kernel(keep):
    from tinygrad_sgd.kernels.softmax import softmax, softmax_backward
    rng = np.random.default_rng(10)
    x = (rng.standard_normal((3, 2, 7, 9)) * 5).astype(np.float32)
    x[0, 0, 1, :] = -np.inf
    x[1, 1, 2, 3] = np.nan
    x[2, 0, 3, 4] = np.inf
    mask = {"causal": np.tril(np.ones((7, 9), bool)), "row": rng.random(9) < 0.5,
            "broadcast": rng.random((2, 1, 9)) < 0.5}.get(keep, keep)
    if keep == "causal":
        mask[5] = False
    g = rng.standard_normal(x.shape).astype(np.float32)
    previous = kernels.set_backend("numba")
    try:
        with np.errstate(invalid="ignore"):
            fast = softmax(x, 3, mask)
            fast_back = softmax_backward(g, fast, 3)
            kernels.set_backend("numpy")
            ref = softmax(x, 3, mask)
            ref_back = softmax_backward(g, ref, 3)
    finally:
        kernels.set_backend(previous)
    np.testing.assert_allclose(fast, ref, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fast_back, ref_back, rtol=1e-5, atol=1e-6)


# ============================================================================ attention
def sdpa_both(q, k, v, dtype, **kw):
    """Values and q, k, v gradients of scaled_dot_product_attention, ours and torch's."""
    res = []
    for lib in (tg, torch):
        ts = [lib.tensor(a.astype(dtype), requires_grad=True) for a in (q, k, v)]
        mask = kw.get("attn_mask")
        kws = dict(kw, attn_mask=None if mask is None else lib.tensor(mask))
        if mask is not None and mask.dtype != bool:
            kws["attn_mask"] = kws["attn_mask"].to(ts[0].dtype)
        out = lib.nn.functional.scaled_dot_product_attention(*ts, **kws)
        g = np.random.default_rng(11).standard_normal(tuple(out.shape)).astype(dtype)
        grads = lib.autograd.grad(out, ts, grad_outputs=lib.tensor(g))
        as_np = (lambda a: a.detach().numpy()) if lib is torch else (lambda a: a.numpy())
        res.append([as_np(out)] + [as_np(d) for d in grads])
    return res


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("L,S", [(64, 64), (5, 9), (9, 5), (1, 1)])
def test_causal_attention_gpt_layout_matches_torch(L, S, dtype, backend):
    """Heads sliced out of one q|k|v projection and transposed, as in a GPT block: strided
    views that go to BLAS uncopied."""
    B, H, hs = 3, 4, 8
    rng = np.random.default_rng(12)
    T = max(L, S)
    qkv = rng.standard_normal((B, T, 3 * H * hs))
    heads = [qkv[:, :n, i * H * hs:(i + 1) * H * hs].reshape(B, n, H, hs).transpose(0, 2, 1, 3)
             for i, n in ((0, L), (1, S), (2, S))]
    ours, theirs = sdpa_both(*heads, dtype, is_causal=True)
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-13)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["bool", "bool_1xS", "bool_batch", "float", "none_inf"])
def test_attention_masks_with_whole_rows_masked_match_torch(kind, dtype, backend):
    rng = np.random.default_rng(13)
    q, k, v = rng.standard_normal((2, 3, 6, 4)), rng.standard_normal((2, 3, 5, 4)), \
        rng.standard_normal((2, 3, 5, 2))
    keep = rng.random((6, 5)) < 0.6
    keep[2] = False
    mask = {"bool": keep, "bool_1xS": keep[:1], "bool_batch": rng.random((2, 1, 6, 5)) < 0.5,
            "float": np.where(keep, rng.standard_normal((6, 5)), -np.inf), "none_inf": None}[kind]
    if kind == "none_inf":
        q[0, 1, 3, 0] = np.inf                 # scores of +∞ and −∞: a −∞ row gives zeros
        k[0, 1, :, 0] = -np.abs(k[0, 1, :, 0]) - 0.1
    ours, theirs = sdpa_both(q, k, v, dtype, attn_mask=mask)
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-13)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("dtype", [tg.bool, tg.float32])
def test_attention_mask_shape_errors(dtype):
    q = tg.ones(2, 3, 4)
    with pytest.raises(tg.errors.ShapeError, match=r"attn_mask of shape \(4, 2\) cannot be "
                       r"broadcast to the attention weights' shape \(2, 3, 3\)"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tg.ones(4, 2).to(dtype))
    with pytest.raises(RuntimeError, match=r"^output with shape \[2, 3, 3\] doesn't match the "
                       r"broadcast shape \[5, 2, 3, 3\]$"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tg.ones(5, 2, 3, 3).to(dtype))


@pytest.mark.parametrize("view,copied", [
    (lambda a: a[:, :, :8].reshape(2, 6, 2, 4).transpose(1, 2), False),     # split heads
    (lambda a: a.transpose(1, 2), False),                                    # column-major
    (lambda a: a[:, ::2, :], False),                                         # rows skipped
    (lambda a: a[:, :1, :8].expand(2, 5, 8), True),                          # rows repeated
    (lambda a: a[:, :, ::2], True),                                          # columns skipped
])
def test_attention_copies_only_operands_blas_cannot_take(view, copied):
    from tinygrad_sgd.nn.functional.attention import _blas_ready
    x = view(tg.tensor(np.arange(2 * 6 * 24, dtype=np.float32).reshape(2, 6, 24)))
    ready = _blas_ready(x)
    assert (ready is not x) == copied
    np.testing.assert_array_equal(ready.numpy(), x.numpy())


@pytest.mark.parametrize("what", ["gelu", "softmax"])
def test_kernels_split_over_two_threads_give_the_one_thread_numbers(what, backend):
    """Big enough to be split; the softmax's split falls inside a period of its mask rows."""
    rng = np.random.default_rng(14)
    if what == "gelu":
        x = rng.standard_normal(600_001).astype(np.float32) * 3
        run = lambda: gelu_kernels.gelu(x, "none", True)                       # noqa: E731
    else:
        from tinygrad_sgd.kernels.softmax import softmax, softmax_backward
        x = rng.standard_normal((3, 5, 7, 5000)).astype(np.float32)
        keep = rng.random((7, 5000)) < 0.5
        g = rng.standard_normal(x.shape).astype(np.float32)

        def run():
            s = softmax(x, 3, keep)
            return s, softmax_backward(g, s, 3, keep)
    previous = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        one, _ = run(), tg.set_num_threads(2)
        for a, b in zip(one, run()):
            np.testing.assert_array_equal(a, b)
    finally:
        tg.set_num_threads(previous)


@pytest.mark.skipif(not numba_available(), reason="numba not installed")
def test_compiled_log_softmax_agrees_with_the_numpy_kernel():
    """The compiled rows (float32, last dim) against the NumPy formula, nan/±inf rows included,
    forward and the plain backward, to float32 rounding."""
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((6, 37)) * 5).astype(np.float32)
    x[:4, :4] = SOFTMAX_ROWS[:4].astype(np.float32)
    x[4, ::3] = -np.inf
    g = rng.standard_normal(x.shape).astype(np.float32)
    results = {}
    previous = kernels.set_backend("numba")
    try:
        for name in ("numba", "numpy"):
            kernels.set_backend(name)
            t = tg.tensor(x, requires_grad=True)
            y = t.log_softmax(-1)
            (dx,) = tg.autograd.grad(y, t, grad_outputs=tg.tensor(g))
            results[name] = (y.numpy(), dx.numpy())
    finally:
        kernels.set_backend(previous)
    for fast, ref in zip(results["numba"], results["numpy"]):
        np.testing.assert_array_equal(np.isnan(fast), np.isnan(ref))
        np.testing.assert_allclose(fast, ref, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv"])
@pytest.mark.parametrize("order", ["big_first", "small_first"])
def test_broadcast_arithmetic_into_reused_memory_matches_torch(op, order, backend):
    """A batch plus a broadcast row block (positions added to token embeddings) goes to reused
    memory (kernels.buffers): values and dtype as torch's, C-ordered, and results held at once
    stay their own."""
    import operator
    fn = getattr(operator, op)
    rng = np.random.default_rng(12)
    a = rng.standard_normal((32, 64, 128)).astype(np.float32)
    p = (rng.standard_normal((64, 128)) + 3).astype(np.float32)
    held = []
    for k in range(3):
        args = [a, p * (k + 1)] if order == "big_first" else [p * (k + 1), a]
        ours = fn(tg.tensor(args[0]), tg.tensor(args[1]))
        theirs = fn(torch.tensor(args[0]), torch.tensor(args[1]))
        assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        held.append((ours, theirs))
    for ours, theirs in held:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    mixed = tg.tensor(a) + tg.tensor(p.astype(np.float64))        # promoted, as torch
    assert mixed.dtype == tg.float64
    np.testing.assert_array_equal(mixed.numpy(), a + p.astype(np.float64))


def test_big_contiguous_copies_are_their_own(backend):
    """``y.transpose(1, 2).contiguous()`` (heads put back together) copies into reused memory:
    each copy held at once keeps its values, independent of its source, and the gradient
    passes through."""
    rng = np.random.default_rng(13)
    xs = [rng.standard_normal((32, 4, 64, 32)).astype(np.float32) for _ in range(3)]
    copies = []
    for x in xs:
        t = tg.tensor(x, requires_grad=True)
        c = t.transpose(1, 2).contiguous()
        assert c.is_contiguous() and c.shape == (32, 64, 4, 32)
        copies.append((t, c))
    for x, (t, c) in zip(xs, copies):
        np.testing.assert_array_equal(c.numpy(), x.transpose(0, 2, 1, 3))
        with tg.no_grad():
            t.mul_(2)
        np.testing.assert_array_equal(c.numpy(), x.transpose(0, 2, 1, 3))
        c.sum().backward()
        np.testing.assert_array_equal(t.grad.numpy(), np.ones_like(x))
    k = tg.tensor(xs[0]).clone()                     # preserve_format of a contiguous tensor
    assert k.is_contiguous() and k.stride() == torch.tensor(xs[0]).clone().stride()
    np.testing.assert_array_equal(k.numpy(), xs[0])


# ============================================================================ linear's bias
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 64, 96), (300, 40), (7,), (3, 0, 8)])
def test_linear_bias_add_is_numpys_sum_bit_for_bit(shape, dtype, backend):
    """The bias is added to the product by kernels.elementwise.add_rows (compiled with numba):
    the very sums of NumPy's broadcast add, nan and ±inf included, and torch's values."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((24, shape[-1])).astype(dtype)
    b = rng.standard_normal(24).astype(dtype)
    b[:3] = [np.nan, np.inf, -np.inf]
    y = F.linear(tg.tensor(x), tg.tensor(w), tg.tensor(b)).numpy()
    product = kernels.linalg.matmul(x, w.T)
    np.testing.assert_array_equal(y, product + b)
    ty = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b))
    np.testing.assert_allclose(y, ty.numpy(), rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5 if dtype == np.float32 else 1e-12)


def test_add_rows_falls_back_to_numpy_for_other_layouts_and_dtypes(backend):
    """A transposed matrix, a float64 bias on float32, integers: NumPy's in-place add."""
    rng = np.random.default_rng(14)
    for out, b in [(rng.standard_normal((40, 64)).astype(np.float32).T, np.ones(40, np.float32)),
                   (rng.standard_normal((40, 64)).astype(np.float32), np.full(64, 0.1)),
                   (np.arange(12 * 300).reshape(300, 12), np.arange(12))]:
        want = out.copy(order="K")
        want += b
        got = kernels.elementwise.add_rows(out.copy(order="K"), b)
        assert got.dtype == want.dtype and got.strides == want.strides
        np.testing.assert_array_equal(got, want)


# ============================================================================ scaled softmax
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask", ["none", "causal", "random"])
@pytest.mark.parametrize("scale", [0.125, 3.0, -0.5])
def test_softmax_with_a_scale_is_the_softmax_of_the_scaled_input(scale, mask, dtype, backend):
    """SoftmaxOp(x, scale=c) — attention's scores scaled inside the softmax's pass — against
    torch's softmax(c·x): values, gradients and second order, nan/inf kept or masked."""
    from tinygrad_sgd.nn.functional.attention import _causal_keep
    rng = np.random.default_rng(15)
    x = (rng.standard_normal((2, 3, 9, 9)) * 4).astype(dtype)
    x[0, 1, 2, 3] = np.inf
    x[1, 0, 4, 7] = np.nan
    keep = {"none": None, "causal": _causal_keep(9, 9),
            "random": rng.random((9, 9)) < 0.7}[mask]
    g = rng.standard_normal(x.shape).astype(dtype)
    a = tg.tensor(x, requires_grad=True)
    y = tg.ops.SoftmaxOp.apply(a, -1, mask=keep, scale=scale)
    (dx,) = autograd.grad(y, a, grad_outputs=tg.tensor(g), create_graph=True)
    (ddx,) = autograd.grad((dx * dx).sum(), a)
    t = torch.tensor(x, requires_grad=True)
    ty = masked_softmax_reference(t * scale, torch.tensor(
        np.ones((9, 9), bool) if keep is None else np.array(keep)))
    (tdx,) = torch.autograd.grad(ty, t, grad_outputs=torch.tensor(g), create_graph=True)
    (tddx,) = torch.autograd.grad((tdx * tdx).sum(), t)
    tol = dict(rtol=3e-6, atol=3e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for mine, theirs in ((y, ty), (dx, tdx), (ddx, tddx)):
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), **tol)


def _half_steps(mine, want):
    """(how many differ, the most half-precision steps apart where the signs agree)."""
    steps = np.abs(mine.view(np.int16).astype(np.int32) - want.view(np.int16))
    return int((mine != want).sum()), int(steps[np.sign(mine) == np.sign(want)].max())


def test_half_softmax_is_computed_in_float_and_rounded_once_as_torch(backend):
    """float16 softmax and its gradient as torch's: computed in float32, rounded to half once
    — all but a few of 10,200 numbers the same bits (before: ~60% differed, by up to 8
    steps), none more than two steps apart."""
    rng = np.random.default_rng(16)
    x = (rng.standard_normal((600, 17)) * 4).astype(np.float16)
    g = rng.standard_normal((600, 17)).astype(np.float16)
    outs = []
    for lib in (tg, torch):
        a = lib.tensor(x, requires_grad=True)
        y = a.softmax(-1)
        (d,) = lib.autograd.grad(y, a, lib.tensor(g))
        assert y.dtype == d.dtype == lib.float16
        outs.append((y.detach().numpy(), d.numpy()))
    for mine, theirs in zip(*outs):
        differ, steps = _half_steps(mine, theirs)
        assert differ <= 10 and steps <= 2


def test_half_log_softmax_is_torchs(backend):
    """float16 log-softmax in torch's steps (its sum of exponentials and that sum's log held
    in half precision, see kernels/softmax.py): torch's bits, value and gradient, but where
    torch's float32 exp or log rounds the other way (2 of these 10,200 numbers, one step) —
    torch's half log-softmax is less accurate than the float64 value rounded once, and the
    library gives torch's numbers."""
    rng = np.random.default_rng(16)
    x = (rng.standard_normal((600, 17)) * 4).astype(np.float16)
    g = rng.standard_normal((600, 17)).astype(np.float16)
    results = []
    for L in (tg, torch):
        a = L.tensor(x, requires_grad=True)
        y = a.log_softmax(-1)
        (d,) = L.autograd.grad(y, a, L.tensor(g))
        results.append((y.detach().numpy(), d.numpy()))
    for mine, theirs in zip(*results):
        assert mine.dtype == theirs.dtype == np.float16
        differ, steps = _half_steps(mine, theirs)
        assert differ <= 5 and steps <= 1
