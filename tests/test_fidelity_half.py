"""float16 against torch 2.13's CPU kernels, from a probe of torch's OpInfo database in
float16 (never probed before): where the library rounded to float16 between steps that
torch's kernels take in float32, rounding once.

* ``scaled_dot_product_attention``: its gradients in float16 were 2e-3 to 6e-3 off (the
  rows of dk no longer summed to 0); torch's kernels compute in float32. Now its bits on the
  math path's shapes, and at least as close to float64 as torch's on its fused 4-D one.
* ``grid_sample``: the reflected coordinate in float16 could land in the next cell (output
  1.0 for 0.9993, d/dgrid 7.5 for 2.5). Now in float32, rounded once.
* ``einsum`` with a sum (NumPy's einsum sums in float16) and adaptive average pooling with
  uneven windows (two float16 passes): torch's bits now.
"""
import zlib

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = (torch, tg)


def _rng(*case):
    """Each case's own generator (the same data whichever tests run before it)."""
    return np.random.default_rng(zlib.crc32(repr(case).encode()))


def _ulps(a, b):
    return np.abs(a.view(np.int16).astype(np.int64) - b.view(np.int16).astype(np.int64))


def _sdpa(L, arrays, causal, dtype=None):
    ts = [L.tensor(a, requires_grad=True) if dtype is None else
          L.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = L.nn.functional.scaled_dot_product_attention(*ts, is_causal=causal)
    w = L.tensor(np.cos(np.arange(out.numel())).reshape(out.shape).astype(np.float16))
    (out * w.to(out.dtype)).sum().backward()
    return [out.detach().numpy()] + [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("shape", [(1, 1, 2), (3, 5, 7), (2, 6, 4), (8, 16, 16)])
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_half_as_torch(shape, causal):
    rng = _rng(shape, causal)
    q, k, v = (rng.standard_normal(shape).astype(np.float16) for _ in range(3))
    if shape == (1, 1, 2):
        q, k, v = (np.array(a, np.float16) for a in ([[[1.5, -2.0]]], [[[3.0, 1.0], [-2.5, 2.0]]],
                                                     [[[1.0, 0.5], [-1.0, 2.0]]]))
    theirs, ours = (_sdpa(L, (q, k, v), causal) for L in LIBS)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype == np.float16
        assert _ulps(a, b).max() <= 1


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_half_4d_as_close_as_torch(causal):
    """4-D inputs take torch's fused kernel, whose float16 blocks round otherwise: the
    library's results are at least as close to float64's."""
    rng = _rng(causal)
    q, k, v = (rng.standard_normal((2, 3, 40, 8)).astype(np.float16) for _ in range(3))
    theirs, ours, exact = (_sdpa(L, (q, k, v), causal, d) for L, d in
                           ((torch, None), (tg, None), (torch, torch.float64)))
    for a, b, r in zip(ours, theirs, exact):
        assert np.abs(a - r).max() <= np.abs(b - r).max() * 1.05


def _grid(L, inp, grid, mode, padding, dtype=None):
    kw = {} if dtype is None else {"dtype": dtype}
    a = L.tensor(inp, requires_grad=True, **kw)
    g = L.tensor(grid, requires_grad=True, **kw)
    out = L.nn.functional.grid_sample(a, g, mode=mode, padding_mode=padding, align_corners=False)
    out.sum().backward()
    return [x.astype(np.float64) for x in (out.detach().numpy(), a.grad.numpy(),
                                           g.grad.numpy())]


def test_grid_sample_half_reflection_near_an_edge():
    inp = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0],
                   np.float16).reshape(1, 1, 5, 5)
    grid = np.array([[[[0.0, -0.000284]]]], np.float16)
    out, _, dgrid = _grid(tg, inp, grid, "bilinear", "reflection")
    exact, _, dexact = _grid(torch, inp, grid, "bilinear", "reflection", torch.float64)
    assert abs(out - exact).max() < 1e-3          # (it was 1.0, the next cell's value)
    np.testing.assert_allclose(dgrid, dexact, rtol=1e-3)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample_half_as_close_as_torch(mode, padding):
    rng = _rng(mode, padding)
    inp = rng.standard_normal((2, 3, 6, 7)).astype(np.float16)
    grid = (rng.random((2, 5, 4, 2)) * 2.4 - 1.2).astype(np.float16)
    theirs, ours, exact = (_grid(L, inp, grid, mode, padding, d) for L, d in
                           ((torch, None), (tg, None), (torch, torch.float64)))
    for a, b, r in zip(ours, theirs, exact):
        assert np.abs(a - r).max() <= np.abs(b - r).max() + 1e-6


@pytest.mark.parametrize("equation,shapes", [("ij,jk->ik", [(1, 3), (3, 2)]),
                                             ("ij,jk->ik", [(7, 33), (33, 5)]),
                                             ("bij,bjk->bik", [(3, 4, 9), (3, 9, 2)]),
                                             ("ij->i", [(5, 40)])])
def test_einsum_half_as_torch(equation, shapes):
    rng = _rng(equation, shapes)
    arrays = [(rng.standard_normal(s) * 3).astype(np.float16) for s in shapes]
    theirs, ours = (L.einsum(equation, *[L.tensor(a) for a in arrays]).numpy() for L in LIBS)
    assert ours.dtype == theirs.dtype == np.float16
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dims,shape,size", [(1, (2, 3, 5), 3), (1, (1, 2, 11), 4),
                                             (2, (2, 2, 5, 7), (3, 4)), (2, (1, 3, 9, 6), (4, 4))])
def test_adaptive_avg_pool_uneven_half_as_torch(dims, shape, size):
    """(2-D: the library's float32 mean is taken one axis at a time, torch's at once — a last
    float32 bit apart, which the float16 rounding shows in about one element in fifty.)"""
    x = (_rng(dims, shape, size).standard_normal(shape) * 4).astype(np.float16)
    outs = []
    for L in LIBS:
        t = L.tensor(x, requires_grad=True)
        f = getattr(L.nn.functional, f"adaptive_avg_pool{dims}d")
        out = f(t, size)
        out.sum().backward()
        outs.append((out.detach().numpy(), t.grad.numpy()))
    (a, ga), (b, gb) = outs[1], outs[0]
    assert a.dtype == b.dtype == np.float16
    assert _ulps(a, b).max() <= (0 if dims == 1 else 1)
    assert _ulps(ga, gb).max() <= 1


def _bag(L, W, ids, psw):
    w = L.tensor(W, requires_grad=True)
    p = L.tensor(psw, requires_grad=True)
    out = L.nn.functional.embedding_bag(L.tensor(ids), w, mode="sum", per_sample_weights=p)
    out.sum().backward()
    return out.detach().numpy(), w.grad.numpy(), p.grad.numpy()


def test_embedding_bag_weighted_half_as_torch():
    """Each weighted row and the bag's sum in float32, rounded once (it rounded each product
    to float16 first: 4 ulps off in the probe's case)."""
    rng = _rng("embedding_bag")
    W = (rng.standard_normal((6, 5)) * 2).astype(np.float16)
    ids = rng.integers(0, 6, (4, 3))
    psw = (rng.standard_normal((4, 3)) * 3).astype(np.float16)
    theirs, ours = (_bag(L, W, ids, psw) for L in LIBS)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype == np.float16
        assert _ulps(a, b).max() <= 1
    np.testing.assert_array_equal(ours[0], theirs[0])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_huber_loss_half_as_torch(reduction):
    """Each element's loss in float32, rounded once, as torch's kernel."""
    rng = _rng("huber", reduction)
    x, y = ((rng.standard_normal(40) * 6).astype(np.float16) for _ in range(2))
    out = []
    for L in LIBS:
        a = L.tensor(x, requires_grad=True)
        loss = L.nn.functional.huber_loss(a, L.tensor(y), reduction=reduction, delta=2.5)
        loss.sum().backward()
        out.append((loss.detach().numpy(), a.grad.numpy()))
    (a, ga), (b, gb) = out[1], out[0]
    assert a.dtype == b.dtype == np.float16
    np.testing.assert_array_equal(a, b)
    assert _ulps(ga, gb).max() <= 1


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
@pytest.mark.parametrize("n", [3, 40, 300])
def test_cummax_cummin_half_gradients_as_torch(fn, n):
    """A place that stays the running extreme collects many gradients: summed in float32,
    rounded once, as torch's scatter_add (one by one in float16: up to 128 ulps off)."""
    rng = _rng(fn, n)
    x = rng.standard_normal((3, n)).astype(np.float16)
    g = rng.standard_normal((3, n)).astype(np.float16)
    grads = []
    for L in LIBS:
        t = L.tensor(x, requires_grad=True)
        values, _ = getattr(L, fn)(t, 1)
        (values * L.tensor(g)).sum().backward()
        grads.append(t.grad.numpy())
    assert grads[1].dtype == np.float16
    np.testing.assert_array_equal(grads[1], grads[0])


SCALED_SUMS = {   # name: (shapes of input, A, B)
    "addmm": ((4, 5), (4, 6), (6, 5)),
    "baddbmm": ((3, 4, 5), (3, 4, 6), (3, 6, 5)),
    "addbmm": ((4, 5), (3, 4, 6), (3, 6, 5)),
    "addmv": ((4,), (4, 6), (6,)),
    "addr": ((4, 5), (4,), (5,)),
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", list(SCALED_SUMS))
def test_scaled_sum_gradients_with_alpha_as_torch(name, dtype):
    """α·product's gradients: the product of g and the other operand, then ·α, as torch's
    (α·g first rounded g before the product: up to 598 float16 ulps off near 0)."""
    rng = _rng(name, dtype)
    arrays = [(rng.standard_normal(s) * 3).astype(dtype) for s in SCALED_SUMS[name]]
    grads = []
    for L in LIBS:
        ts = [L.tensor(a, requires_grad=True) for a in arrays]
        out = getattr(L, name)(*ts, beta=0.2, alpha=0.6)
        w = L.tensor(np.cos(np.arange(out.numel()) + 1).reshape(out.shape).astype(dtype))
        grads.append([g.numpy() for g in L.autograd.grad((out * w).sum(), ts)])
    for a, b in zip(grads[1], grads[0]):
        assert a.dtype == b.dtype
        if dtype == "float16":
            assert _ulps(a, b).max() <= 1
        else:     # (the products' sums are NumPy's BLAS's, torch's MKL's: their last bits)
            np.testing.assert_allclose(a, b, rtol=2e-5 if dtype == "float32" else 1e-13,
                                       atol=1e-6 if dtype == "float32" else 1e-15)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1])
def test_matrix_power_half_as_torch(n):
    """torch computes float16 powers (products); only a negative power's inverse refuses."""
    A = (_rng("matrix_power", n).standard_normal((2, 3, 3))).astype(np.float16)
    outcomes = []
    for L in LIBS:
        a = L.tensor(A, requires_grad=True)
        try:
            out = L.linalg.matrix_power(a, n)
        except RuntimeError as e:
            outcomes.append(str(e))
            continue
        (g,) = L.autograd.grad(out.sum(), a, allow_unused=True)
        outcomes.append((out.detach().numpy(), None if g is None else g.numpy()))
    theirs, ours = outcomes
    if isinstance(theirs, str):
        assert ours == theirs
        return
    assert ours[0].dtype == np.float16
    assert _ulps(ours[0], theirs[0]).max() <= 1
    if theirs[1] is not None and ours[1] is not None:
        assert _ulps(ours[1], theirs[1]).max() <= 8   # (torch sums its own backward formula)


def test_bilinear_half_of_an_empty_batch():
    """Its float16 backward indexed the empty contraction (IndexError); torch gives zeros."""
    grads = []
    for L in LIBS:
        x1 = L.zeros(0, 3, dtype=L.float16, requires_grad=True)
        x2 = L.zeros(0, 4, dtype=L.float16)
        w = L.ones(5, 3, 4, dtype=L.float16, requires_grad=True)
        out = L.nn.functional.bilinear(x1, x2, w)
        grads.append([g.numpy() for g in L.autograd.grad(out.sum(), (x1, w))] + [
            out.detach().numpy()])
    for a, b in zip(*grads):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


_POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
                "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
                "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
                "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
                "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"]
NO_HALF_KERNEL = {
    "avg_pool3d": lambda L: L.nn.functional.avg_pool3d(L.ones(1, 1, 2, 2, 2,
                                                               dtype=L.float16), 2),
    "histogram": lambda L: L.histogram(L.ones(5, dtype=L.float16), 3),
    "histogramdd": lambda L: L.histogramdd(L.ones(4, 3, dtype=L.float16), 2),
    "F.pdist": lambda L: L.nn.functional.pdist(L.ones(4, 3, dtype=L.float16)),
    "pdist": lambda L: L.pdist(L.ones(4, 3, dtype=L.float16)),
    **{name: (lambda L, name=name: getattr(L.special, name)(L.ones(5, dtype=L.float16), 3))
       for name in _POLYNOMIALS},
}


@pytest.mark.parametrize("name", list(NO_HALF_KERNEL))
def test_refused_in_half_as_torch(name):
    """torch has no float16 kernel for these: its NotImplementedError (the library computed)."""
    messages = []
    for L in LIBS:
        with pytest.raises(NotImplementedError) as info:
            NO_HALF_KERNEL[name](L)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def _eye(L):
    return L.eye(3, dtype=L.float16)


LINALG_HALF = {
    "det": lambda L: L.linalg.det(_eye(L)),
    "solve": lambda L: L.linalg.solve(_eye(L), L.ones(3, 2, dtype=L.float16)),
    "solve vector": lambda L: L.linalg.solve(_eye(L), L.ones(3, dtype=L.float16)),
    "solve_ex": lambda L: L.linalg.solve_ex(_eye(L), L.ones(3, 2, dtype=L.float16)),
    "cholesky": lambda L: L.linalg.cholesky(_eye(L)),
    "cholesky_ex": lambda L: L.linalg.cholesky_ex(_eye(L)),
    "torch.cholesky": lambda L: L.cholesky(_eye(L)),
    "eigh": lambda L: L.linalg.eigh(_eye(L)),
    "eigvalsh": lambda L: L.linalg.eigvalsh(_eye(L)),
    "svd": lambda L: L.linalg.svd(_eye(L)),
    "svdvals": lambda L: L.linalg.svdvals(_eye(L)),
    "qr": lambda L: L.linalg.qr(_eye(L)),
    "solve_triangular": lambda L: L.linalg.solve_triangular(
        _eye(L), L.ones(3, 2, dtype=L.float16), upper=True),
    "cond": lambda L: L.linalg.cond(_eye(L)),
    "tensorsolve": lambda L: L.linalg.tensorsolve(_eye(L), L.ones(3, dtype=L.float16)),
    "inv": lambda L: L.linalg.inv(_eye(L)),
    "inv_ex": lambda L: L.linalg.inv_ex(_eye(L)),
    "pinv": lambda L: L.linalg.pinv(_eye(L)),
    "matrix_rank": lambda L: L.linalg.matrix_rank(_eye(L)),
    "svd_lowrank": lambda L: L.svd_lowrank(_eye(L), q=2),
    "pca_lowrank": lambda L: L.pca_lowrank(_eye(L), q=2),
    "lstsq": lambda L: L.linalg.lstsq(_eye(L), L.ones(3, 2, dtype=L.float16)),
    "slogdet": lambda L: L.linalg.slogdet(_eye(L)),
    "lu_factor": lambda L: L.linalg.lu_factor(_eye(L)),
    "lu": lambda L: L.linalg.lu(_eye(L)),
    "matrix_norm 2": lambda L: L.linalg.matrix_norm(_eye(L), 2),
}


@pytest.mark.parametrize("name", list(LINALG_HALF))
def test_linalg_half_refused_as_torch(name):
    """torch's float16 linear algebra refusals, error class and words: NotImplementedError
    where it has no half kernel (the library raised RuntimeError), RuntimeError where it
    refuses itself (pinv, lstsq and matrix_rank leaked NumPy's TypeError or another kernel's
    name)."""
    import warnings
    errors = []
    for L in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                LINALG_HALF[name](L)
        errors.append((type(info.value), str(info.value)))
    assert errors[1] == errors[0]


@pytest.mark.parametrize("case", range(3))
def test_conv_transpose3d_half_in_float32(case):
    """Each depth tap was rounded to float16 before the taps were summed: the input's
    gradient was up to 32 ulps off torch's. Now the taps' sums and the bias in float32,
    rounded once: the output and the gradients at least as close to float64's as torch's
    (whose float16 kernels round in other places, so bits differ)."""
    shape, wshape, kw = [((1, 1, 4, 5, 2), (1, 1, 4, 3, 1), {}),
                         ((2, 3, 3, 4, 4), (3, 2, 2, 3, 3), dict(stride=2, padding=1)),
                         ((1, 2, 3, 3, 3), (2, 4, 3, 2, 2), dict(output_padding=1, stride=2))
                         ][case]
    rng = _rng("conv_transpose3d", case)
    x = (rng.standard_normal(shape) * 2).astype(np.float16)
    w = rng.standard_normal(wshape).astype(np.float16)
    b = rng.standard_normal(wshape[1]).astype(np.float16)
    res = []
    for L, dt in ((torch, None), (tg, None), (torch, torch.float64)):
        ts = [L.tensor(a, requires_grad=True) if dt is None else
              L.tensor(a, dtype=dt, requires_grad=True) for a in (x, w, b)]
        out = L.nn.functional.conv_transpose3d(*ts, **kw)
        wt = L.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)).astype(np.float16))
        (out * wt.to(out.dtype)).sum().backward()
        res.append([out.detach().numpy()] + [t.grad.numpy() for t in ts])
    theirs, ours, exact = res
    for a, b, r in zip(ours, theirs, exact):
        assert a.dtype == np.float16
        assert np.abs(a - r).max() <= np.abs(b - r).max() * 1.01
