"""torch.linalg's matrix functions (and torch's top-level ones) against torch: values, gradients
w.r.t. every input and second order (``check_against_torch``), float64 and float32, batched,
size-1 and empty batches. Factors with a sign freedom (QR, eigh, SVD) are gauge-fixed the
same way on both sides before comparing (a sign taken from the values, no gradient)."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from helpers import INTEL_CPU
from strategies import both, check_against_torch, to_numpy

RNG = np.random.default_rng(1234)
TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-3, atol=2e-3)}


def square(batch, n, dtype):
    """Well-conditioned: random + n·I."""
    return (RNG.standard_normal(batch + (n, n)) + n * np.eye(n)).astype(dtype)


def negative_det(batch, n, dtype):
    """−(random + n·I) with n odd: a negative determinant."""
    return -square(batch, n, dtype)


def spd(batch, n, dtype):
    x = RNG.standard_normal(batch + (n, n))
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def rect(m, n):
    return lambda batch, _, dtype: RNG.standard_normal(batch + (m, n)).astype(dtype)


def rhs(k):
    return lambda batch, n, dtype: RNG.standard_normal(batch + (n, k)).astype(dtype)


def wider_batch(batch, n, dtype):
    """A right-hand side with one more batch dim than A (broadcast)."""
    return RNG.standard_normal((2,) + batch + (n, 2)).astype(dtype)


def spd_plus_upper_noise(batch, n, dtype):
    """Not symmetric: only the lower triangle is read by cholesky."""
    return spd(batch, n, dtype) + np.triu(RNG.standard_normal(batch + (n, n)), 1).astype(dtype)


def vec(batch, n, dtype):
    return RNG.standard_normal(batch + (n,)).astype(dtype)


def _signs(x, lib):
    """+1/−1 per column of x from its first row (a constant: no gradient)."""
    s = np.sign(to_numpy(x)[..., :1, :])
    s[s == 0] = 1
    return lib.tensor(s) if lib is torch else tg.tensor(s)


def qr_fixed(lib, a, which, mode="reduced"):
    q, r = lib.linalg.qr(a, mode=mode)
    s = _signs(q, lib)
    return q * s if which == "Q" else r * s.mT[..., :r.shape[-2], :]


def eigh_fixed(lib, a, uplo="L"):
    lam, v = lib.linalg.eigh(a, UPLO=uplo)
    return v * _signs(v, lib) + lam.unsqueeze(-2)


def svd_fixed(lib, a, which, full=False):
    u, s, vh = lib.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    sign = _signs(u[..., :k], lib)
    if which == "U":
        return u[..., :k] * sign
    if which == "Vh":
        return vh[..., :k, :] * sign.mT
    return s


L = lambda lib: lib.linalg  # noqa: E731

# name, fn(lib, *tensors), input makers (batch, n, dtype) -> array, n, second order
CASES = [
    ("inv", lambda lib, a: L(lib).inv(a), [square], 3),
    ("inv_ex", lambda lib, a: L(lib).inv_ex(a).inverse, [square], 3),
    ("inverse", lambda lib, a: lib.inverse(a), [square], 2),
    ("det", lambda lib, a: L(lib).det(a), [square], 3),
    ("det_method", lambda lib, a: a.det(), [square], 1),
    ("slogdet", lambda lib, a: L(lib).slogdet(a).logabsdet * L(lib).slogdet(a).sign, [square], 3),
    ("slogdet_negative", lambda lib, a: L(lib).slogdet(a).logabsdet, [negative_det], 3),
    ("det_negative", lambda lib, a: L(lib).det(a), [negative_det], 3),
    ("torch_slogdet", lambda lib, a: lib.slogdet(a)[1], [square], 3),
    ("logdet", lambda lib, a: lib.logdet(a), [spd], 3),
    ("solve", lambda lib, a, b: L(lib).solve(a, b), [square, rhs(2)], 3),
    ("solve_vector", lambda lib, a, b: L(lib).solve(a, b), [square, vec], 3),
    ("solve_right", lambda lib, a, b: L(lib).solve(a, b.mT, left=False), [square, rhs(2)], 3),
    ("solve_broadcast", lambda lib, a, b: L(lib).solve(a, b), [square, wider_batch], 3),
    ("solve_triangular_broadcast", lambda lib, a, b: L(lib).solve_triangular(a, b, upper=False),
     [square, wider_batch], 3),
    ("solve_ex", lambda lib, a, b: L(lib).solve_ex(a, b).result, [square, rhs(1)], 3),
    ("solve_triangular_upper", lambda lib, a, b: L(lib).solve_triangular(a, b, upper=True),
     [square, rhs(2)], 3),
    ("solve_triangular_lower_right_unit",
     lambda lib, a, b: L(lib).solve_triangular(a, b.mT, upper=False, left=False,
                                               unitriangular=True), [square, rhs(2)], 3),
    ("cholesky", lambda lib, a: L(lib).cholesky(a), [spd], 3),
    ("cholesky_reads_lower", lambda lib, a: L(lib).cholesky(a), [spd_plus_upper_noise], 3),
    ("cholesky_upper", lambda lib, a: L(lib).cholesky(a, upper=True), [spd], 3),
    ("cholesky_ex", lambda lib, a: L(lib).cholesky_ex(a).L, [spd], 2),
    ("cholesky_solve", lambda lib, a, b: lib.cholesky_solve(b, L(lib).cholesky(a)),
     [spd, rhs(2)], 3),
    ("cholesky_solve_upper", lambda lib, a, b: lib.cholesky_solve(b, a.triu(), upper=True),
     [square, rhs(2)], 3),
    ("cholesky_inverse", lambda lib, a: lib.cholesky_inverse(a.tril()), [square], 3),
    ("cholesky_inverse_upper", lambda lib, a: lib.cholesky_inverse(a.triu(), upper=True),
     [square], 3),
    ("qr_Q_tall", lambda lib, a: qr_fixed(lib, a, "Q"), [rect(4, 3)], 0),
    ("qr_R_tall", lambda lib, a: qr_fixed(lib, a, "R"), [rect(4, 3)], 0),
    ("qr_Q_wide", lambda lib, a: qr_fixed(lib, a, "Q"), [rect(3, 5)], 0),
    ("qr_R_wide", lambda lib, a: qr_fixed(lib, a, "R"), [rect(3, 5)], 0),
    ("qr_R_complete_wide", lambda lib, a: qr_fixed(lib, a, "R", "complete"), [rect(2, 4)], 0),
    ("eigh", lambda lib, a: eigh_fixed(lib, a), [spd], 3),
    ("eigh_U_nonsymmetric", lambda lib, a: eigh_fixed(lib, a, "U"), [square], 3),
    ("eigvalsh", lambda lib, a: L(lib).eigvalsh(a, UPLO="U"), [square], 4),
    ("svd_S", lambda lib, a: svd_fixed(lib, a, "S"), [rect(4, 3)], 0),
    ("svd_U_tall", lambda lib, a: svd_fixed(lib, a, "U"), [rect(4, 3)], 0),
    ("svd_Vh_tall", lambda lib, a: svd_fixed(lib, a, "Vh"), [rect(4, 3)], 0),
    ("svd_U_wide_full", lambda lib, a: svd_fixed(lib, a, "U", True), [rect(2, 4)], 0),
    ("svd_Vh_wide_full", lambda lib, a: svd_fixed(lib, a, "Vh", True), [rect(2, 4)], 0),
    ("svdvals", lambda lib, a: L(lib).svdvals(a), [rect(3, 5)], 0),
    ("torch_svd_V", lambda lib, a: (lambda r: r.V * _signs(r.U, lib))(lib.svd(a)),
     [rect(4, 3)], 0),
    ("matrix_power_3", lambda lib, a: L(lib).matrix_power(a, 3), [square], 3),
    ("matrix_power_-2", lambda lib, a: lib.matrix_power(a, -2), [square], 3),
    ("matrix_power_1", lambda lib, a: a.matrix_power(1), [square], 2),
    ("pinv_tall", lambda lib, a: L(lib).pinv(a), [rect(4, 3)], 0),
    ("pinv_wide", lambda lib, a: L(lib).pinv(a), [rect(2, 5)], 0),
    ("pinv_hermitian", lambda lib, a: L(lib).pinv(a, hermitian=True), [spd], 3),
    ("pinverse", lambda lib, a: lib.pinverse(a, rcond=1e-10), [rect(3, 4)], 0),
    ("multi_dot", lambda lib, a, b, c: L(lib).multi_dot([a[0, 0] if a.ndim > 2 else a[0],
                                                         b.reshape(3, -1)[:, :3], c[..., 0]
                                                         .reshape(-1)[:3]]),
     [square, square, square], 3),
    ("vecdot", lambda lib, a, b: L(lib).vecdot(a, b, dim=-2), [square, rhs(1)], 3),
    ("lstsq", lambda lib, a, b: L(lib).lstsq(a, b).solution, [rect(5, 3), rect(5, 2)], 0),
    ("lstsq_wide", lambda lib, a, b: L(lib).lstsq(a, b).solution, [rect(2, 4), rect(2, 3)], 0),
    ("lstsq_residuals", lambda lib, a, b: L(lib).lstsq(a, b, driver="gelsd").residuals,
     [rect(5, 3), rect(5, 2)], 0),
    ("matrix_exp", lambda lib, a: L(lib).matrix_exp(a), [square], 3),
    ("matrix_exp_large", lambda lib, a: lib.matrix_exp(a * 4), [square], 3),
    ("cond", lambda lib, a: L(lib).cond(a), [rect(4, 3)], 0),
    ("cond_-2", lambda lib, a: L(lib).cond(a, -2), [square], 3),
    ("diagonal", lambda lib, a: L(lib).diagonal(a, offset=1), [square], 3),
]


def _arrays(makers, n, batch, dtype):
    return [make(batch, n, dtype) for make in makers]


@pytest.mark.parametrize("name,fn,makers,n", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("batch", [(), (2,), (1, 2)], ids=["single", "batch2", "batch1x2"])
def test_float64_values_gradients_and_second_order(name, fn, makers, n, batch):
    check_against_torch(fn, _arrays(makers, n, batch, np.float64), label=name,
                        **TOL[np.float64])


@pytest.mark.parametrize("name,fn,makers,n", CASES, ids=[c[0] for c in CASES])
def test_float32(name, fn, makers, n):
    check_against_torch(fn, _arrays(makers, n, (2,), np.float32), label=name,
                        second_order=False, **TOL[np.float32])


EMPTY = [c for c in CASES if c[0] in ("inv", "det", "slogdet", "solve", "cholesky", "eigh",
                                      "svd_S", "matrix_exp", "pinv_tall", "qr_R_tall")]


@pytest.mark.parametrize("name,fn,makers,n", EMPTY, ids=[c[0] for c in EMPTY])
@pytest.mark.parametrize("batch,side", [((0,), None), ((2,), 0)], ids=["no_matrices", "0x0"])
def test_empty(name, fn, makers, n, batch, side):
    arrs = _arrays(makers, n if side is None else side, batch, np.float64)
    check_against_torch(fn, arrs, label=name, second_order=False)


# ------------------------------------------------------------------------ special values
def cofactors(a):
    """The cofactor matrix from minors (the gradient of det), in NumPy."""
    n = a.shape[-1]
    out = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, -2), j, -1)
            out[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return out


SINGULAR = [np.array([[1., 2, 3], [2, 4, 6], [1, 0, 1]]),      # rank 2
            np.array([[1., 2, 3], [2, 4, 6], [3, 6, 9]]),      # rank 1: cofactors 0
            np.array([[0.]]), np.zeros((2, 2))]


@pytest.mark.parametrize("a", SINGULAR, ids=["rank2", "rank1", "zero1x1", "zero2x2"])
def test_det_gradient_of_a_singular_matrix_is_the_cofactor_matrix(a):
    """torch's differentiable path (create_graph=True) gives the cofactors; its first-order
    path gives 0 where LU finds an exact zero pivot (pytorch issue #104675) — the cofactor
    matrix is the derivative, and that is what is given here either way."""
    ours, theirs = both(a)
    d = tg.linalg.det(ours)
    assert d.item() == 0
    (g,) = tg.autograd.grad(d, [ours])
    (ref,) = torch.autograd.grad(torch.linalg.det(theirs), [theirs], create_graph=True)
    want = cofactors(a) if a.shape[-1] > 1 else np.ones_like(a)
    np.testing.assert_allclose(g.array, want, atol=1e-12)
    if a.shape[-1] > 1:
        np.testing.assert_allclose(g.array, to_numpy(ref), atol=1e-12)


def test_det_batch_mixing_singular_and_regular_matrices_second_order():
    a = np.stack([SINGULAR[0], square((), 3, np.float64), 2 * SINGULAR[0]])
    check_against_torch(lambda lib, x: lib.linalg.det(x), [a], rtol=1e-7, atol=1e-9)


def test_slogdet_of_a_singular_matrix():
    for lib, a in zip((tg, torch), both(SINGULAR[0])):
        sign, logabs = lib.linalg.slogdet(a)
        if lib is torch and INTEL_CPU:   # torch's LU there rounds the last pivot to -6.7e-16,
            assert to_numpy(logabs) < -34     # not 0 (helpers.INTEL_CPU, (d)): log|det| -34.9
            continue
        assert to_numpy(sign) == 0 and to_numpy(logabs) == -np.inf
    assert np.isnan(tg.logdet(tg.tensor([[-1.0, 0.0], [0.0, 1.0]])).item())
    assert tg.logdet(tg.zeros(2, 2)).item() == -np.inf


def test_pinv_gradient_is_finite_at_repeated_and_dropped_singular_values():
    q = np.linalg.qr(RNG.standard_normal((4, 4)))[0]
    a = q @ np.diag([2.0, 2.0, 1.0, 0.0]) @ q.T
    for hermitian in (False, True):
        check_against_torch(lambda lib, x: lib.linalg.pinv(x, hermitian=hermitian), [a],
                            rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kw", [dict(atol=0.45), dict(rtol=0.3), dict(atol=0.1, rtol=0.2),
                                dict(atol=0.0), dict(hermitian=True)])
def test_pinv_and_matrix_rank_tolerances(kw):
    s = np.diag([3.0, 1.0, 0.4, 1e-20])
    q = np.linalg.qr(RNG.standard_normal((4, 4)))[0]
    a = np.stack([q @ s @ q.T, q @ (s * 0.5) @ q.T])
    ours, theirs = both(a, requires_grad=False)
    np.testing.assert_allclose(tg.linalg.pinv(ours, **kw).array,
                               torch.linalg.pinv(theirs, **kw).numpy(), atol=1e-9)
    got, want = tg.linalg.matrix_rank(ours, **kw), torch.linalg.matrix_rank(theirs, **kw)
    assert got.dtype == np.int64 and got.tolist() == want.tolist()


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shape", [((5, 3), (5, 2)), ((2, 5, 3), (2, 5)), ((2, 3, 4), (1, 3, 2))])
def test_lstsq_named_tuple_as_torch(driver, shape):
    a, b = RNG.standard_normal(shape[0]), RNG.standard_normal(shape[1])
    got = tg.linalg.lstsq(tg.tensor(a), tg.tensor(b), driver=driver)
    want = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    assert all(hasattr(want, f) for f in got._fields) and len(got) == len(want)
    for x, y in zip(got, want):
        assert x.shape == tuple(y.shape) and x.dtype == to_numpy(y).dtype
        np.testing.assert_allclose(x.array, to_numpy(y), rtol=1e-7, atol=1e-9)


def test_lstsq_rank_deficient_gives_the_minimum_norm_solution_as_gelsd():
    a = RNG.standard_normal((5, 2)) @ RNG.standard_normal((2, 3))
    b = RNG.standard_normal((5, 2))
    for driver in ("gelsd", "gelss", "gelsy"):
        got = tg.linalg.lstsq(tg.tensor(a), tg.tensor(b), driver=driver)
        want = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
        np.testing.assert_allclose(got.solution.array, want.solution.numpy(), atol=1e-9)
        assert got.rank.item() == want.rank.item() == 2


@pytest.mark.parametrize("p", [1, -1, np.inf, -np.inf, "fro", "nuc", 2, None])
def test_cond_values_and_gradient(p):
    a = square((2,), 3, np.float64)
    ours, theirs = both(a)
    got = tg.linalg.cond(ours, p)
    np.testing.assert_allclose(got.array, torch.linalg.cond(theirs, p).detach().numpy(),
                               rtol=1e-10)
    # torch's cond is not differentiable for these p (an in-place write on inv's output):
    # compare with its own composition ‖A‖·‖A⁻¹‖
    ref = torch.linalg.cond(theirs, p) if p in (2, None) else \
        torch.linalg.matrix_norm(theirs, p) * torch.linalg.matrix_norm(torch.linalg.inv(theirs),
                                                                       p)
    got.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=1e-8, atol=1e-10)
    singular = np.diag([1.0, 0.0, 2.0])     # (an exact zero pivot for both LU's)
    if p not in (2, None):
        assert tg.linalg.cond(tg.tensor(singular), p).item() == torch.linalg.cond(
            torch.tensor(singular), p).item() == np.inf


def test_ex_functions_report_info_as_torch():
    a = np.stack([np.array([[1., 2], [3, 4]]), np.array([[1., 2], [2, 4]])])
    ours, theirs = both(a, requires_grad=False)
    for name, args in (("inv_ex", ()), ("cholesky_ex", ()), ("solve_ex", (np.ones((2, 2)),))):
        got = getattr(tg.linalg, name)(ours, *[tg.tensor(x) for x in args])
        want = getattr(torch.linalg, name)(theirs, *[torch.tensor(x) for x in args])
        assert all(hasattr(want, f) for f in got._fields) and len(got) == len(want)
        assert got.info.tolist() == want.info.tolist() and got.info.dtype == np.int32
        if name != "cholesky_ex":            # the regular matrix's result
            np.testing.assert_allclose(got[0].array[0], want[0].numpy()[0])
    low = tg.linalg.cholesky_ex(ours).L.array     # stopped at the failing pivot, as LAPACK
    np.testing.assert_allclose(low, torch.linalg.cholesky_ex(theirs).L.numpy())
    with pytest.raises(tg.linalg.LinAlgError, match=r"\(Batch element 1\): The diagonal element"
                                                    r" 2 is zero"):
        tg.linalg.inv_ex(ours, check_errors=True)


def test_qr_modes():
    a = RNG.standard_normal((2, 5, 3))
    for mode in ("reduced", "complete", "r"):
        got, want = tg.linalg.qr(tg.tensor(a), mode), torch.linalg.qr(torch.tensor(a), mode)
        for x, y in zip(got, want):
            assert x.shape == tuple(y.shape)
        np.testing.assert_allclose(np.abs(got.R.array), np.abs(want.R.numpy()), atol=1e-12)
    x = tg.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        tg.linalg.qr(x, "r").R.sum().backward()
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        tg.linalg.qr(x, "complete").Q.sum().backward()


def test_svd_full_matrices_and_torch_svd_forms():
    a = RNG.standard_normal((2, 4, 3))
    u, s, vh = tg.linalg.svd(tg.tensor(a))
    assert u.shape == (2, 4, 4) and vh.shape == (2, 3, 3)
    np.testing.assert_allclose(u.array @ np.swapaxes(u.array, -1, -2), np.broadcast_to(
        np.eye(4), (2, 4, 4)), atol=1e-12)
    np.testing.assert_allclose((u.array[..., :3] * s.array[..., None, :]) @ vh.array, a,
                               atol=1e-12)
    for some, compute_uv in ((True, True), (False, True), (True, False)):
        got = tg.svd(tg.tensor(a), some=some, compute_uv=compute_uv)
        want = torch.svd(torch.tensor(a), some=some, compute_uv=compute_uv)
        assert got._fields == ("U", "S", "V") and len(want) == 3 and hasattr(want, "V")
        assert [x.shape for x in got] == [tuple(y.shape) for y in want]
        if not compute_uv:
            assert not got.U.array.any() and not got.V.array.any()


def test_matrix_power_cases():
    ints = np.array([[1, 2], [3, 4]])
    got, want = tg.linalg.matrix_power(tg.tensor(ints), 3), torch.linalg.matrix_power(
        torch.tensor(ints), 3)
    assert got.dtype == np.int64 and got.tolist() == want.tolist()
    a = square((2,), 3, np.float64)
    ours, theirs = both(a)
    got, want = tg.matrix_power(ours, 0), torch.matrix_power(theirs, 0)
    np.testing.assert_array_equal(got.array, want.detach().numpy())
    assert got.requires_grad == want.requires_grad
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        tg.linalg.matrix_power(tg.tensor(ints), -1)
    with pytest.raises(TypeError):
        tg.linalg.matrix_power(ours, 1.5)


def test_deprecated_functions_warn_and_agree():
    a = spd((), 3, np.float64)
    b = RNG.standard_normal((3, 2))
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        low = tg.cholesky(tg.tensor(a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(low.array, torch.cholesky(torch.tensor(a)).numpy())
        np.testing.assert_allclose(tg.tensor(a).cholesky(upper=True).array,
                                   torch.tensor(a).cholesky(upper=True).numpy())
        for kw in (dict(), dict(upper=False), dict(transpose=True), dict(unitriangular=True)):
            got = tg.triangular_solve(tg.tensor(b), tg.tensor(a), **kw)
            want = torch.triangular_solve(torch.tensor(b), torch.tensor(a), **kw)
            assert all(hasattr(want, f) for f in got._fields) and len(got) == len(want)
            np.testing.assert_allclose(got.solution.array, want.solution.numpy())
            np.testing.assert_array_equal(got.cloned_coefficient.array, a)
        q, r = tg.qr(tg.tensor(b), some=False)
        assert q.shape == (3, 3) and r.shape == (3, 2)
    with pytest.warns(UserWarning, match="torch.qr is deprecated"):
        tg.tensor(b).qr()


def test_names_exist_where_torch_has_them():
    for name in ("det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve",
                 "cholesky_inverse", "pinverse", "matrix_power", "matrix_exp", "svd", "qr",
                 "triangular_solve"):
        assert hasattr(tg, name) == hasattr(torch, name)
        assert hasattr(tg.Tensor, name) == hasattr(torch.Tensor, name), name
    for name in tg.linalg.__all__:
        assert hasattr(torch.linalg, name), name
    assert issubclass(tg.linalg.LinAlgError, RuntimeError)


# ------------------------------------------------------------------------ errors
SING = np.stack([np.eye(2), np.array([[1., 2], [2, 4]])])
INTS = np.ones((2, 2), np.int64)
ERRORS = [
    ("inv_singular", lambda lib: lib.linalg.inv(lib.tensor(SING))),
    ("inv_singular_single", lambda lib: lib.linalg.inv(lib.tensor(SING[1]))),
    ("inverse_singular", lambda lib: lib.inverse(lib.tensor(SING[1:]))),
    ("inv_not_square", lambda lib: lib.linalg.inv(lib.ones(2, 3))),
    ("inv_1d", lambda lib: lib.linalg.inv(lib.ones(3))),
    ("inv_int", lambda lib: lib.linalg.inv(lib.tensor(INTS))),
    ("det_int", lambda lib: lib.linalg.det(lib.tensor(INTS))),
    ("det_not_square", lambda lib: lib.linalg.det(lib.ones(2, 3))),
    ("slogdet_int", lambda lib: lib.linalg.slogdet(lib.tensor(INTS))),
    ("logdet_int", lambda lib: lib.logdet(lib.tensor(INTS))),
    ("solve_singular", lambda lib: lib.linalg.solve(lib.tensor(SING), lib.ones(2, 2,
                                                                               dtype=lib.float64))),
    ("solve_singular_vector", lambda lib: lib.linalg.solve(lib.tensor(SING[1]),
                                                           lib.ones(2, dtype=lib.float64))),
    ("solve_dtypes", lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(2, 1,
                                                                       dtype=lib.float64))),
    ("solve_shapes", lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(4, 1))),
    ("solve_vector_right", lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(3), left=False)),
    ("solve_vector_right_1x1", lambda lib: lib.linalg.solve(lib.ones(2, 1, 1), lib.ones(2, 1),
                                                            left=False)),
    ("cond_int", lambda lib: lib.linalg.cond(lib.tensor(INTS), 1)),
    ("inv_half", lambda lib: lib.linalg.inv(lib.eye(2, dtype=lib.float16))),
    ("slogdet_half", lambda lib: lib.linalg.slogdet(lib.eye(2, dtype=lib.float16))),
    ("det_half", lambda lib: lib.linalg.det(lib.eye(2, dtype=lib.float16))),
    ("cholesky_half", lambda lib: lib.linalg.cholesky(lib.eye(2, dtype=lib.float16))),
    ("eigh_half", lambda lib: lib.linalg.eigh(lib.eye(2, dtype=lib.float16))),
    ("svd_half", lambda lib: lib.linalg.svd(lib.eye(2, dtype=lib.float16))),
    ("qr_half", lambda lib: lib.linalg.qr(lib.eye(2, dtype=lib.float16))),
    ("cholesky_not_pd", lambda lib: lib.linalg.cholesky(lib.tensor(SING))),
    ("cholesky_not_pd_single", lambda lib: lib.linalg.cholesky(-lib.eye(3))),
    ("eigh_not_square", lambda lib: lib.linalg.eigh(lib.ones(2, 3))),
    ("eigh_uplo", lambda lib: lib.linalg.eigh(lib.eye(2), UPLO="X")),
    ("qr_mode", lambda lib: lib.linalg.qr(lib.ones(2, 3), mode="x")),
    ("svd_int", lambda lib: lib.linalg.svd(lib.tensor(INTS))),
    ("svd_driver", lambda lib: lib.linalg.svd(lib.eye(2), driver="gesvd")),
    ("matrix_exp_not_square", lambda lib: lib.linalg.matrix_exp(lib.ones(2, 3))),
    ("pinv_int", lambda lib: lib.linalg.pinv(lib.tensor(INTS))),
    ("lstsq_driver", lambda lib: lib.linalg.lstsq(lib.eye(2), lib.eye(2), driver="x")),
    ("lstsq_dims", lambda lib: lib.linalg.lstsq(lib.ones(5, 3), lib.ones(2, 5, 2))),
    ("cond_p", lambda lib: lib.linalg.cond(lib.eye(2), 3)),
    ("cond_not_square", lambda lib: lib.linalg.cond(lib.ones(2, 3), 1)),
    ("multi_dot_one", lambda lib: lib.linalg.multi_dot([lib.eye(2)])),
    ("multi_dot_3d", lambda lib: lib.linalg.multi_dot([lib.ones(1, 2, 2), lib.eye(2)])),
    ("multi_dot_middle", lambda lib: lib.linalg.multi_dot([lib.eye(2), lib.ones(2),
                                                           lib.eye(2)])),
    ("solve_triangular_b_1d", lambda lib: lib.linalg.solve_triangular(lib.eye(2), lib.ones(2),
                                                                      upper=True)),
    ("cholesky_inverse_not_square", lambda lib: lib.cholesky_inverse(lib.ones(2, 3))),
    ("cholesky_solve_1d", lambda lib: lib.cholesky_solve(lib.ones(2), lib.eye(2))),
    ("multi_dot_dtype", lambda lib: lib.linalg.multi_dot([lib.eye(2),
                                                          lib.eye(2, dtype=lib.float64)])),
    ("vecdot_dtype", lambda lib: lib.linalg.vecdot(lib.ones(2), lib.ones(2, dtype=lib.float64))),
    ("vecdot_int", lambda lib: lib.linalg.vecdot(lib.ones(2, dtype=lib.int64),
                                                 lib.ones(2, dtype=lib.int64))),
    ("solve_triangular_shape", lambda lib: lib.linalg.solve_triangular(lib.eye(2), lib.ones(3, 1),
                                                                       upper=True)),
    ("solve_triangular_int", lambda lib: lib.linalg.solve_triangular(
        lib.eye(2, dtype=lib.int64), lib.ones(2, 1, dtype=lib.int64), upper=True)),
    ("lstsq_dtype", lambda lib: lib.linalg.lstsq(lib.eye(2), lib.eye(2, dtype=lib.float64))),
    ("lstsq_rows", lambda lib: lib.linalg.lstsq(lib.ones(3, 2), lib.ones(4, 2))),
    ("lstsq_int", lambda lib: lib.linalg.lstsq(lib.ones(3, 2, dtype=lib.int64),
                                               lib.ones(3, 2, dtype=lib.int64))),
    ("lstsq_1d", lambda lib: lib.linalg.lstsq(lib.ones(3), lib.ones(3))),
    ("matrix_rank_int", lambda lib: lib.linalg.matrix_rank(lib.ones(3, 2, dtype=lib.int64))),
    ("matrix_rank_1d", lambda lib: lib.linalg.matrix_rank(lib.ones(3))),
    ("matrix_rank_hermitian_not_square", lambda lib: lib.linalg.matrix_rank(lib.ones(3, 2),
                                                                            hermitian=True)),
    ("pinv_hermitian_not_square", lambda lib: lib.linalg.pinv(lib.ones(3, 2), hermitian=True)),
    ("matrix_power_not_square", lambda lib: lib.linalg.matrix_power(lib.ones(3, 2), 2)),
    ("cholesky_solve_dtype", lambda lib: lib.cholesky_solve(lib.ones(2, 2),
                                                            lib.eye(2, dtype=lib.float64))),
    ("cond_1d", lambda lib: lib.linalg.cond(lib.ones(3))),
    ("eigh_int", lambda lib: lib.linalg.eigh(lib.ones(2, 2, dtype=lib.int64))),
    ("eigvalsh_int", lambda lib: lib.linalg.eigvalsh(lib.ones(2, 2, dtype=lib.int64))),
    ("triangular_solve_1d", lambda lib: lib.triangular_solve(lib.ones(2), lib.eye(2))),
    ("torch_svd_1d", lambda lib: lib.svd(lib.ones(2))),
    ("solve_1d_A", lambda lib: lib.linalg.solve(lib.ones(2), lib.ones(2))),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(name, fn):
    with pytest.raises(Exception) as want:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(torch)
    with pytest.raises(Exception) as got:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(tg)
    if isinstance(want.value, torch.linalg.LinAlgError):
        assert isinstance(got.value, tg.linalg.LinAlgError)
    assert isinstance(got.value, RuntimeError) or type(want.value) is not RuntimeError
    assert str(got.value) == str(want.value).split(" (Triggered internally")[0]


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_complex_valued_functions_refuse_clearly(name):
    with pytest.raises(NotImplementedError, match="complex"):
        getattr(tg.linalg, name)(tg.eye(2))


def test_solve_triangular_reads_only_its_triangle_and_gives_inf_for_a_zero_diagonal():
    a = RNG.standard_normal((3, 3))
    a[1, 1] = 0.0
    b = RNG.standard_normal((3, 1))
    for upper in (True, False):
        got = tg.linalg.solve_triangular(tg.tensor(a), tg.tensor(b), upper=upper).array
        want = torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b),
                                             upper=upper).numpy()
        np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
