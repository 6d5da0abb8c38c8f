"""LU, LDLᵀ, Householder and tensor-equation functions against torch: values, gradients w.r.t.
every input and second order (``check_against_torch``), float64 and float32, square, wide,
tall, batched and empty matrices; the pivots, permutations and ``info`` exactly (LU and
Bunch–Kaufman LDLᵀ, ties included); singular matrices (inf/NaN as torch); the missing
derivatives of geqrf and LDLᵀ; errors with torch's class and message."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from strategies import assert_same, check_against_torch, to_numpy

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-3, atol=2e-3)}


def rand(m, n):
    """A random (…, m, n) matrix: rows get swapped by partial pivoting."""
    return lambda rng, batch, dtype: rng.standard_normal(batch + (m, n)).astype(dtype)


def packed(n):
    """A (…, n, n) matrix usable as packed LU factors: a well-conditioned U part."""
    return lambda rng, batch, dtype: (rng.standard_normal(batch + (n, n))
                                      + 3 * n * np.eye(n)).astype(dtype)


def vec(k):
    return lambda rng, batch, dtype: rng.uniform(0.5, 1.5, batch + (k,)).astype(dtype)


def tensor_eq(shape):
    """A tensor whose first/last dims read as a well-conditioned square matrix."""
    def make(rng, batch, dtype):
        n = int(np.sqrt(np.prod(shape)))
        return (rng.standard_normal((n, n)) + n * np.eye(n)).reshape(shape).astype(dtype)
    return make


def wider(m, n):
    """A right-hand side with one more batch dim than the factors (broadcast)."""
    return lambda rng, batch, dtype: rng.standard_normal((2,) + batch + (m, n)).astype(dtype)


def pivots_of(lib, a):
    return lib.linalg.lu_factor(a.detach()).pivots


def quiet(fn):
    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)
    return run


LA = lambda lib: lib.linalg  # noqa: E731

# name, fn(lib, *tensors), makers (rng, batch, dtype) -> array, batched
CASES = [
    ("lu_factor_square", lambda lib, a: LA(lib).lu_factor(a).LU, [rand(4, 4)], True),
    ("lu_factor_wide", lambda lib, a: LA(lib).lu_factor(a).LU, [rand(3, 5)], True),
    ("lu_factor_tall", lambda lib, a: LA(lib).lu_factor(a).LU, [rand(5, 3)], True),
    ("lu_factor_ex", lambda lib, a: LA(lib).lu_factor_ex(a).LU, [rand(3, 3)], True),
    ("lu_L_square", lambda lib, a: LA(lib).lu(a).L, [rand(4, 4)], True),
    ("lu_U_square", lambda lib, a: LA(lib).lu(a).U, [rand(4, 4)], True),
    ("lu_L_wide", lambda lib, a: LA(lib).lu(a).L, [rand(3, 5)], True),
    ("lu_U_wide", lambda lib, a: LA(lib).lu(a).U, [rand(3, 5)], True),
    ("lu_L_tall", lambda lib, a: LA(lib).lu(a).L, [rand(5, 3)], True),
    ("lu_U_tall", lambda lib, a: LA(lib).lu(a).U, [rand(5, 3)], True),
    ("lu_PLU", lambda lib, a: (lambda r: r.P @ r.L @ r.U)(LA(lib).lu(a)), [rand(3, 4)], True),
    ("lu_unpack_L", lambda lib, a: lib.lu_unpack(*LA(lib).lu_factor(a)).L, [rand(5, 3)],
     True),
    ("lu_unpack_U", lambda lib, a: lib.lu_unpack(*LA(lib).lu_factor(a)).U, [rand(3, 5)],
     True),
    ("lu_unpack_packed_input",
     lambda lib, lu: (lambda r: r.L @ r.U)(lib.lu_unpack(lu, pivots_of(lib, lu))),
     [packed(3)], True),
    ("torch_lu", quiet(lambda lib, a: lib.lu(a)[0]), [rand(4, 4)], True),
    ("Tensor_lu_get_infos", quiet(lambda lib, a: a.lu(get_infos=True)[0]), [rand(3, 3)], True),
    ("lu_solve_through_factor", lambda lib, a, b: LA(lib).lu_solve(*LA(lib).lu_factor(a), b),
     [rand(4, 4), rand(4, 2)], True),
    ("lu_solve", lambda lib, lu, b: LA(lib).lu_solve(lu, pivots_of(lib, lu), b),
     [packed(3), rand(3, 2)], True),
    ("lu_solve_adjoint",
     lambda lib, lu, b: LA(lib).lu_solve(lu, pivots_of(lib, lu), b, adjoint=True),
     [packed(3), rand(3, 2)], True),
    ("lu_solve_right", lambda lib, lu, b: LA(lib).lu_solve(lu, pivots_of(lib, lu), b,
                                                           left=False),
     [packed(3), rand(2, 3)], True),
    ("lu_solve_right_adjoint",
     lambda lib, lu, b: LA(lib).lu_solve(lu, pivots_of(lib, lu), b, left=False, adjoint=True),
     [packed(3), rand(2, 3)], True),
    ("lu_solve_broadcast_B", lambda lib, lu, b: LA(lib).lu_solve(lu, pivots_of(lib, lu), b),
     [packed(3), wider(3, 2)], True),
    ("torch_lu_solve", quiet(lambda lib, a, b: lib.lu_solve(b, *LA(lib).lu_factor(a))),
     [rand(3, 3), rand(3, 1)], True),
    ("householder_product", lambda lib, a, t: LA(lib).householder_product(a, t),
     [rand(5, 3), vec(3)], True),
    ("householder_product_fewer_tau", lambda lib, a, t: LA(lib).householder_product(a, t),
     [rand(4, 3), vec(2)], True),
    ("householder_product_square", lambda lib, a, t: LA(lib).householder_product(a, t),
     [rand(3, 3), vec(3)], True),
    ("orgqr", lambda lib, a, t: lib.orgqr(a, t), [rand(4, 2), vec(2)], True),
    ("Tensor_orgqr", lambda lib, a, t: a.orgqr(t), [rand(3, 2), vec(1)], True),
    ("ormqr", lambda lib, a, t, c: lib.ormqr(a, t, c), [rand(4, 3), vec(3), rand(4, 2)], True),
    ("ormqr_transpose", lambda lib, a, t, c: lib.ormqr(a, t, c, transpose=True),
     [rand(4, 3), vec(3), rand(4, 2)], True),
    ("ormqr_right", lambda lib, a, t, c: lib.ormqr(a, t, c, left=False),
     [rand(4, 3), vec(3), rand(2, 4)], True),
    ("ormqr_right_transpose", lambda lib, a, t, c: a.ormqr(t, c, left=False, transpose=True),
     [rand(4, 3), vec(3), rand(2, 4)], True),
    ("ormqr_wide_input", lambda lib, a, t, c: lib.ormqr(a, t, c), [rand(3, 5), vec(3),
                                                                    rand(3, 2)], True),
    ("tensorinv", lambda lib, a: LA(lib).tensorinv(a), [tensor_eq((2, 3, 6))], False),
    ("tensorinv_ind1", lambda lib, a: LA(lib).tensorinv(a, ind=1), [tensor_eq((4, 2, 2))],
     False),
    ("tensorsolve", lambda lib, a, b: LA(lib).tensorsolve(a, b),
     [tensor_eq((2, 3, 6)), lambda rng, batch, dtype: rng.standard_normal((2, 3)).astype(dtype)],
     False),
    ("tensorsolve_dims", lambda lib, a, b: LA(lib).tensorsolve(a, b, dims=(0,)),
     [tensor_eq((6, 2, 3)), lambda rng, batch, dtype: rng.standard_normal((2, 3)).astype(dtype)],
     False),
]


def _arrays(name, makers, batch, dtype):
    rng = np.random.default_rng(sum(map(ord, name)))
    return [make(rng, batch, dtype) for make in makers]


@pytest.mark.parametrize("name,fn,makers,batched", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("batch", [(), (2,)], ids=["single", "batch2"])
def test_float64_values_gradients_and_second_order(name, fn, makers, batched, batch):
    if batch and not batched:
        pytest.skip("not a batched function")
    check_against_torch(fn, _arrays(name, makers, batch, np.float64), label=name,
                        **TOL[np.float64])


@pytest.mark.parametrize("name,fn,makers,batched", CASES, ids=[c[0] for c in CASES])
def test_float32(name, fn, makers, batched):
    check_against_torch(fn, _arrays(name, makers, (2,) if batched else (), np.float32),
                        label=name, second_order=False, **TOL[np.float32])


# ------------------------------------------------------------------------ exact pivots
SPECIAL = {
    "ties": np.ones((3, 3)),                                  # first row wins every tie
    "singular": np.array([[1., 2, 3], [2, 4, 6], [1, 1, 1]]),
    "zeros": np.zeros((2, 3, 3)),
    "zero_column": np.array([[0., 1, 2], [0, 3, 4], [0, 5, 7]]),
    "equal_magnitudes": np.array([[1., 2], [-1, 3]]),
    "random_batch": np.random.default_rng(5).standard_normal((3, 2, 4, 4)),
    "wide": np.random.default_rng(6).standard_normal((2, 3, 6)),
    "tall": np.random.default_rng(7).standard_normal((6, 2)),
    "empty_batch": np.zeros((0, 3, 3)),
    "no_rows": np.zeros((0, 3)),
    "no_columns": np.zeros((2, 3, 0)),
    "1x1": np.array([[2.5]]),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(SPECIAL))
def test_factors_pivots_permutation_and_info_are_torchs(case, dtype):
    a = SPECIAL[case].astype(dtype)
    ours, ref = tg.linalg.lu_factor_ex(tg.tensor(a)), torch.linalg.lu_factor_ex(torch.tensor(a))
    assert ours._fields == ("LU", "pivots", "info")
    for what in ours._fields:
        assert_same(getattr(ours, what), getattr(ref, what), what=what, **TOL[dtype])
    for x, y, what in zip(tg.linalg.lu(tg.tensor(a)), torch.linalg.lu(torch.tensor(a)), "PLU"):
        assert_same(x, y, what=what, **TOL[dtype])
    for flags in [(True, True), (True, False), (False, True), (False, False)]:
        got = tg.lu_unpack(ours.LU, ours.pivots, *flags)
        want = torch.lu_unpack(ref.LU, ref.pivots, *flags)
        for x, y in zip(got, want):
            assert_same(x, y, what=f"lu_unpack{flags}", **TOL[dtype])


def test_singular_matrices():
    s = SPECIAL["singular"]
    with pytest.raises(RuntimeError, match=r"^torch.linalg.lu_factor: U\[3,3\] is zero"):
        tg.linalg.lu_factor(tg.tensor(s))
    batch = np.stack([np.eye(3), s])
    with pytest.raises(RuntimeError, match=r"lu_factor_ex: \(Batch element 1\): U\[3,3\]"):
        tg.linalg.lu_factor_ex(tg.tensor(batch), check_errors=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(tg.lu(tg.tensor(s))) == 2          # torch.lu does not raise
        assert int(tg.lu(tg.tensor(s), get_infos=True).info.item()) == 3
    # a zero pivot in U: the solves give inf/NaN exactly where torch's getrs does
    for a in (s, np.zeros((2, 2))):
        lu, piv, _ = tg.linalg.lu_factor_ex(tg.tensor(a))
        lut, pivt, _ = torch.linalg.lu_factor_ex(torch.tensor(a))
        n = a.shape[-1]
        for left in (True, False):
            for adjoint in (True, False):
                for b in (np.ones((n, 2)), np.zeros((n, 2))):
                    b = b if left else b.T
                    got = tg.linalg.lu_solve(lu, piv, tg.tensor(b), left=left, adjoint=adjoint)
                    want = torch.linalg.lu_solve(lut, pivt, torch.tensor(b), left=left,
                                                 adjoint=adjoint)
                    np.testing.assert_array_equal(to_numpy(got), to_numpy(want))


def test_singular_lu_gradient_is_finite_where_torchs_is():
    """The factor of a singular (rank 2) 3x3: U's last pivot is 0 but never divided by when
    only the first two rows of U count."""
    a = SPECIAL["singular"] + np.array([[0., 0, 0], [0, 0, 0], [0, 0, 0.5]])
    check_against_torch(lambda lib, x: LA(lib).lu(x).U[..., :2, :], [a], label="lu_U",
                        **TOL[np.float64])


def test_geqrf_values_and_its_missing_derivative():
    a = np.random.default_rng(3).standard_normal((2, 5, 3))
    x = tg.tensor(a, requires_grad=True)
    ours, ref = tg.geqrf(x), torch.geqrf(torch.tensor(a))
    assert ours._fields == ("a", "tau")
    for g, w in zip(ours, ref):
        assert_same(g, w, **TOL[np.float64])
    assert ours.a.requires_grad and ours.tau.requires_grad
    with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not "
                                                  "implemented."):
        ours.a.sum().backward()
    # its reflectors give back the Q of the QR decomposition
    q = tg.orgqr(*x.detach().geqrf())
    assert_same(q, torch.linalg.householder_product(*ref), **TOL[np.float64])
    c = np.random.default_rng(4).standard_normal((2, 5, 2))
    assert_same(tg.ormqr(*tg.geqrf(tg.tensor(a)), tg.tensor(c), transpose=True),
                torch.ormqr(*ref, torch.tensor(c), transpose=True), **TOL[np.float64])


def test_named_tuples_and_deprecation_warnings():
    a = np.random.default_rng(8).standard_normal((3, 3))
    assert tg.linalg.lu_factor(tg.tensor(a))._fields == ("LU", "pivots")
    assert tg.linalg.lu(tg.tensor(a))._fields == ("P", "L", "U")
    assert tg.lu_unpack(*tg.linalg.lu_factor(tg.tensor(a)))._fields == ("P", "L", "U")
    assert tg.linalg.lu(tg.tensor(a, requires_grad=True)).P.requires_grad is False
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        tg.lu(tg.tensor(a))
    lu, piv = tg.linalg.lu_factor(tg.tensor(a))
    with pytest.warns(UserWarning, match="torch.lu_solve is deprecated"):
        tg.tensor(np.ones((3, 1))).lu_solve(lu, piv)


def _lu_parts(lib):
    return lib.linalg.lu_factor(lib.tensor(SPECIAL["random_batch"][0, 0]))


ERRORS = [
    ("lu_factor_1d", lambda lib: lib.linalg.lu_factor(lib.ones(3))),
    ("lu_factor_int", lambda lib: lib.linalg.lu_factor(lib.ones(3, 3, dtype=lib.int64))),
    ("lu_factor_half", lambda lib: lib.linalg.lu_factor(lib.ones(3, 3, dtype=lib.float16))),
    ("lu_factor_no_pivot", lambda lib: lib.linalg.lu_factor(lib.eye(3), pivot=False)),
    ("lu_factor_ex_no_pivot", lambda lib: lib.linalg.lu_factor_ex(lib.eye(3), pivot=False)),
    ("lu_no_pivot", lambda lib: lib.linalg.lu(lib.eye(3), pivot=False)),
    ("lu_1d", lambda lib: lib.linalg.lu(lib.ones(3))),
    ("torch_lu_no_pivot", quiet(lambda lib: lib.lu(lib.eye(3), pivot=False))),
    ("lu_solve_B_1d", lambda lib: lib.linalg.lu_solve(*_lu_parts(lib),
                                                      lib.ones(4, dtype=lib.float64))),
    ("lu_solve_shapes", lambda lib: lib.linalg.lu_solve(*_lu_parts(lib),
                                                        lib.ones(3, 1, dtype=lib.float64))),
    ("lu_solve_right_shapes", lambda lib: lib.linalg.lu_solve(
        *_lu_parts(lib), lib.ones(4, 1, dtype=lib.float64), left=False)),
    ("lu_solve_dtype", lambda lib: lib.linalg.lu_solve(*_lu_parts(lib), lib.ones(4, 1))),
    ("lu_solve_int_pivots", lambda lib: lib.linalg.lu_solve(
        _lu_parts(lib)[0], _lu_parts(lib)[1].long(), lib.ones(4, 1, dtype=lib.float64))),
    ("lu_solve_pivot_count", lambda lib: lib.linalg.lu_solve(
        _lu_parts(lib)[0], _lu_parts(lib)[1][:2], lib.ones(4, 1, dtype=lib.float64))),
    ("lu_solve_not_square", lambda lib: lib.linalg.lu_solve(
        _lu_parts(lib)[0][:, :2], _lu_parts(lib)[1][:2], lib.ones(4, 1, dtype=lib.float64))),
    ("lu_solve_pivot_batch", lambda lib: lib.linalg.lu_solve(
        _lu_parts(lib)[0].expand(2, 4, 4), _lu_parts(lib)[1].expand(1, 4),
        lib.ones(4, 1, dtype=lib.float64))),
    ("lu_solve_pivot_0", lambda lib: lib.linalg.lu_solve(
        _lu_parts(lib)[0], _lu_parts(lib)[1] * 0, lib.ones(4, 1, dtype=lib.float64))),
    ("lu_solve_pivot_big", lambda lib: lib.linalg.lu_solve(
        _lu_parts(lib)[0], _lu_parts(lib)[1] + 4, lib.ones(4, 1, dtype=lib.float64))),
    ("lu_solve_int_LU", lambda lib: lib.linalg.lu_solve(
        _lu_parts(lib)[0].long(), _lu_parts(lib)[1], lib.ones(4, 1, dtype=lib.int64))),
    ("lu_solve_1d_LU", lambda lib: lib.linalg.lu_solve(
        _lu_parts(lib)[0][0], _lu_parts(lib)[1], lib.ones(4, 1, dtype=lib.float64))),
    ("lu_unpack_1d", lambda lib: lib.lu_unpack(_lu_parts(lib)[0][0], _lu_parts(lib)[1])),
    ("lu_unpack_long_pivots", lambda lib: lib.lu_unpack(_lu_parts(lib)[0],
                                                        _lu_parts(lib)[1].long())),
    ("lu_unpack_pivot_0", lambda lib: lib.lu_unpack(_lu_parts(lib)[0], _lu_parts(lib)[1] * 0)),
    ("householder_1d", lambda lib: lib.linalg.householder_product(lib.ones(3), lib.ones(1))),
    ("householder_wide", lambda lib: lib.linalg.householder_product(lib.ones(2, 3),
                                                                    lib.ones(2))),
    ("householder_tau_long", lambda lib: lib.linalg.householder_product(lib.ones(3, 2),
                                                                        lib.ones(3))),
    ("householder_tau_0d", lambda lib: lib.linalg.householder_product(lib.ones(3, 2),
                                                                      lib.tensor(1.0))),
    ("householder_tau_dims", lambda lib: lib.linalg.householder_product(lib.ones(2, 3, 2),
                                                                        lib.ones(2))),
    ("householder_tau_batch", lambda lib: lib.linalg.householder_product(lib.ones(2, 3, 2),
                                                                         lib.ones(3, 2))),
    ("householder_dtype", lambda lib: lib.linalg.householder_product(
        lib.ones(3, 2), lib.ones(2, dtype=lib.float64))),
    ("householder_int", lambda lib: lib.orgqr(lib.ones(3, 2, dtype=lib.int64),
                                              lib.ones(2, dtype=lib.int64))),
    ("geqrf_1d", lambda lib: lib.geqrf(lib.ones(3))),
    ("geqrf_int", lambda lib: lib.geqrf(lib.ones(3, 3, dtype=lib.int64))),
    ("ormqr_other_1d", lambda lib: lib.ormqr(lib.ones(3, 2), lib.ones(2), lib.ones(3))),
    ("ormqr_other_rows", lambda lib: lib.ormqr(lib.ones(3, 2), lib.ones(2), lib.ones(4, 2))),
    ("ormqr_other_cols", lambda lib: lib.ormqr(lib.ones(3, 2), lib.ones(2), lib.ones(3, 2),
                                               left=False)),
    ("ormqr_tau_size", lambda lib: lib.ormqr(lib.ones(3, 2), lib.ones(1), lib.ones(3, 2))),
    ("ormqr_tau_dims", lambda lib: lib.ormqr(lib.ones(2, 3, 2), lib.ones(2),
                                             lib.ones(2, 3, 2))),
    ("ormqr_other_dims", lambda lib: lib.ormqr(lib.ones(2, 3, 2), lib.ones(2, 2),
                                               lib.ones(3, 2))),
    ("ormqr_dtype", lambda lib: lib.ormqr(lib.ones(3, 2), lib.ones(2),
                                          lib.ones(3, 2, dtype=lib.float64))),
    ("ormqr_int", lambda lib: lib.ormqr(lib.ones(3, 2, dtype=lib.int64),
                                        lib.ones(2, dtype=lib.int64),
                                        lib.ones(3, 2, dtype=lib.int64))),
    ("ldl_factor_1d", lambda lib: lib.linalg.ldl_factor(lib.ones(3))),
    ("ldl_factor_not_square", lambda lib: lib.linalg.ldl_factor(lib.ones(3, 2))),
    ("ldl_factor_int", lambda lib: lib.linalg.ldl_factor(lib.ones(3, 3, dtype=lib.int64))),
    ("ldl_factor_half", lambda lib: lib.linalg.ldl_factor(lib.ones(3, 3, dtype=lib.float16))),
    ("ldl_solve_B_dtype", lambda lib: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(lib.eye(3)),
                                                           lib.ones(3, 1, dtype=lib.float64))),
    ("ldl_solve_B_1d", lambda lib: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(lib.eye(3)),
                                                        lib.ones(3))),
    ("ldl_solve_sizes", lambda lib: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(lib.eye(3)),
                                                         lib.ones(2, 1))),
    ("ldl_solve_float_pivots", lambda lib: lib.linalg.ldl_solve(
        lib.eye(3), lib.ones(3), lib.ones(3, 1))),
    ("ldl_solve_pivot_shape", lambda lib: lib.linalg.ldl_solve(
        lib.eye(3), lib.ones(2, dtype=lib.int32), lib.ones(3, 1))),
    ("ldl_solve_1d", lambda lib: lib.linalg.ldl_solve(lib.ones(3), lib.ones(3, dtype=lib.int32),
                                                      lib.ones(3, 1))),
    ("ldl_solve_int", lambda lib: lib.linalg.ldl_solve(lib.eye(3, dtype=lib.int64),
                                                       lib.ones(3, dtype=lib.int32),
                                                       lib.ones(3, 1, dtype=lib.int64))),
    ("ldl_solve_half", lambda lib: lib.linalg.ldl_solve(lib.eye(3, dtype=lib.float16),
                                                        lib.ones(3, dtype=lib.int32),
                                                        lib.ones(3, 1, dtype=lib.float16))),
    ("tensorinv_ind0", lambda lib: lib.linalg.tensorinv(lib.ones(2, 2), ind=0)),
    ("tensorinv_shape", lambda lib: lib.linalg.tensorinv(lib.ones(4, 6, 8, 3), ind=1)),
    ("tensorinv_singular", lambda lib: lib.linalg.tensorinv(lib.zeros(2, 2, 4))),
    ("tensorinv_int", lambda lib: lib.linalg.tensorinv(lib.ones(2, 2, 4, dtype=lib.int64))),
    ("tensorsolve_numel", lambda lib: lib.linalg.tensorsolve(lib.ones(2, 3, 6), lib.ones(5))),
    ("tensorsolve_reshape", lambda lib: lib.linalg.tensorsolve(lib.ones(4, 3, 6),
                                                               lib.ones(3, 2))),
    ("tensorsolve_singular", lambda lib: lib.linalg.tensorsolve(lib.zeros(2, 3, 6),
                                                                lib.ones(2, 3))),
    ("tensorsolve_dims_int", lambda lib: lib.linalg.tensorsolve(lib.ones(6, 2, 3),
                                                                lib.ones(2, 3), dims=0)),
    ("tensorsolve_dims_range", lambda lib: lib.linalg.tensorsolve(lib.ones(6, 2, 3),
                                                                  lib.ones(2, 3), dims=(5,))),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(name, fn):
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(Exception) as got:
        fn(tg)
    if isinstance(want.value, torch.linalg.LinAlgError):
        assert isinstance(got.value, tg.linalg.LinAlgError)
    wanted = type(want.value)
    assert isinstance(got.value, wanted if wanted.__module__ == "builtins" else RuntimeError)
    assert str(got.value) == str(want.value).split(" (Triggered internally")[0]


@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 3), (2, 3, 0), (0, 0)])
@pytest.mark.parametrize("part", ["LU", "L", "U"])
def test_empty_matrices_values_and_gradients(shape, part):
    def fn(lib, a):
        return LA(lib).lu_factor(a).LU if part == "LU" else getattr(LA(lib).lu(a), part)
    check_against_torch(fn, [np.zeros(shape)], label=part)


# ------------------------------------------------------------------------ LDLᵀ
def _ldl_inputs(kind, shape, rng):
    a = rng.standard_normal(shape)
    if kind == "symmetric":
        return a + np.swapaxes(a, -1, -2)
    if kind == "integers":                    # exact ties and zeros in the pivot choices
        return np.round(a + np.swapaxes(a, -1, -2))
    if kind == "singular" and shape[-1]:
        a[..., :, 0] = 0
        a[..., 0, :] = 0
    return a                                   # "general": only the lower triangle is read


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["general", "symmetric", "integers", "singular"])
@pytest.mark.parametrize("shape", [(4, 4), (40, 6, 6), (3, 1, 1), (0, 3, 3), (2, 0, 0),
                                   (70, 70)])
def test_ldl_factor_and_solve_are_torchs(shape, kind, dtype):
    rng = np.random.default_rng(sum(shape) + len(kind))
    a = _ldl_inputs(kind, shape, rng).astype(dtype)
    ours, ref = tg.linalg.ldl_factor_ex(tg.tensor(a)), torch.linalg.ldl_factor_ex(torch.tensor(a))
    assert ours._fields == ("LD", "pivots", "info")
    assert_same(ours.pivots, ref.pivots, what="pivots")
    assert_same(ours.info, ref.info, what="info")
    tol = dict(rtol=1e-9, atol=1e-10) if dtype == np.float64 else TOL[np.float32]
    assert_same(ours.LD, ref.LD, what="LD", **tol)
    b = rng.standard_normal((2,) + shape[:-2] + shape[-1:] + (3,)).astype(dtype)  # broadcast
    x = tg.linalg.ldl_solve(ours.LD, ours.pivots, tg.tensor(b))
    n, batch = shape[-1], b.shape[:-2]     # (torch's own broadcasting can crash: expanded)
    y = torch.linalg.ldl_solve(ref.LD.expand(batch + (n, n)).contiguous(),
                               ref.pivots.expand(batch + (n,)).contiguous(), torch.tensor(b))
    if kind == "singular":      # D has a zero: inf/NaN where LAPACK's sytrs has them
        np.testing.assert_array_equal(np.isfinite(to_numpy(x)), np.isfinite(to_numpy(y)))
    else:
        assert_same(x, y, what="ldl_solve", **(dict(rtol=1e-7, atol=1e-8)
                                                if dtype == np.float64 else TOL[np.float32]))


def test_ldl_is_not_differentiable_as_torch():
    a = tg.tensor(_ldl_inputs("symmetric", (3, 3), np.random.default_rng(0)),
                  requires_grad=True)
    ld, pivots = tg.linalg.ldl_factor(a)
    assert ld.requires_grad and not pivots.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_factor_ex is not "
                                           "implemented"):
        ld.sum().backward()
    b = tg.tensor(np.ones((3, 1)), requires_grad=True)
    x = tg.linalg.ldl_solve(ld.detach(), pivots, b)
    assert x.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_solve is not "
                                           "implemented"):
        x.sum().backward()
    with pytest.raises(RuntimeError, match="^torch.linalg.ldl_factor: Unknown error code: 1"):
        tg.linalg.ldl_factor(tg.zeros(3, 3))


KEYWORD_CALLS = [
    ("lu_factor", lambda lib, a, b: lib.linalg.lu_factor(A=a, pivot=True).LU),
    ("lu_factor_ex", lambda lib, a, b: lib.linalg.lu_factor_ex(A=a, pivot=True,
                                                               check_errors=False).LU),
    ("lu", lambda lib, a, b: lib.linalg.lu(A=a, pivot=True).U),
    ("lu_solve", lambda lib, a, b: lib.linalg.lu_solve(
        LU=lib.linalg.lu_factor(a).LU, pivots=lib.linalg.lu_factor(a).pivots, B=b, left=True,
        adjoint=False)),
    ("torch.lu", quiet(lambda lib, a, b: lib.lu(A=a, pivot=True, get_infos=False)[0])),
    ("torch.lu_solve", quiet(lambda lib, a, b: lib.lu_solve(
        input=b, LU_data=lib.linalg.lu_factor(a).LU, LU_pivots=lib.linalg.lu_factor(a).pivots))),
    ("lu_unpack", lambda lib, a, b: lib.lu_unpack(
        LU_data=lib.linalg.lu_factor(a).LU, LU_pivots=lib.linalg.lu_factor(a).pivots,
        unpack_data=True, unpack_pivots=True).L),
    ("householder_product", lambda lib, a, b: lib.linalg.householder_product(input=a,
                                                                             tau=b[:, 0])),
    ("orgqr", lambda lib, a, b: lib.orgqr(input=a, input2=b[:, 0])),
    ("ormqr", lambda lib, a, b: lib.ormqr(input=a, input2=b[:, 0], input3=b, left=True,
                                          transpose=False)),
    ("geqrf", lambda lib, a, b: lib.geqrf(input=a)[1]),
    ("ldl_factor", lambda lib, a, b: lib.linalg.ldl_factor(input=a, hermitian=False).LD),
    ("ldl_solve", lambda lib, a, b: lib.linalg.ldl_solve(
        LD=lib.linalg.ldl_factor(a).LD, pivots=lib.linalg.ldl_factor(a).pivots, B=b,
        hermitian=False)),
    ("tensorinv", lambda lib, a, b: lib.linalg.tensorinv(input=a, ind=1)),
    ("tensorsolve", lambda lib, a, b: lib.linalg.tensorsolve(input=a, other=b[:, 0],
                                                             dims=None)),
]


@pytest.mark.parametrize("name,fn", KEYWORD_CALLS, ids=[k[0] for k in KEYWORD_CALLS])
def test_keyword_names_are_torchs(name, fn):
    rng = np.random.default_rng(11)
    a, b = rng.standard_normal((3, 3)) + 3 * np.eye(3), rng.standard_normal((3, 1))
    assert_same(fn(tg, tg.tensor(a), tg.tensor(b)), fn(torch, torch.tensor(a), torch.tensor(b)),
                what=name, **TOL[np.float64])


def test_names_exist():
    for name in ["lu_factor", "lu_factor_ex", "lu", "lu_solve", "householder_product",
                 "ldl_factor", "ldl_factor_ex", "ldl_solve", "tensorinv", "tensorsolve"]:
        assert callable(getattr(tg.linalg, name)) and name in tg.linalg.__all__
    for name in ["lu", "lu_unpack", "lu_solve", "geqrf", "orgqr", "ormqr"]:
        assert callable(getattr(tg, name))
    for name in ["lu", "lu_solve", "geqrf", "orgqr", "ormqr"]:
        assert callable(getattr(tg.Tensor, name)) and hasattr(torch.Tensor, name)
