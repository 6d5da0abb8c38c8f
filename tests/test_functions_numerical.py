"""torch's cov, corrcoef, trapezoid / trapz / cumulative_trapezoid, vander, diagflat,
combinations, unravel_index, rsub and frexp, against torch: values, dtypes, gradient for
every float input and second order (one table of cases), then torch's errors and warnings."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from strategies import assert_same, check_against_torch

R = np.random.default_rng(7)


def _a(*shape, dtype=np.float64):
    return R.standard_normal(shape).astype(dtype)


def _w(n):
    return R.uniform(0.2, 2.0, n)


def _vander(L, x, N=None, increasing=False):
    """torch.vander has no working backward (it writes its result in place: "modified by an
    inplace operation"), so torch's side is its own formula — a cumprod of copies of x —
    spelled out; the values are compared with torch.vander itself below."""
    if L is tg:
        return tg.vander(x, N, increasing)
    n = x.shape[0] if N is None else N
    out = torch.ones(x.shape[0], min(n, 1), dtype=x.dtype)
    if n > 1:
        out = torch.cat([out, x.unsqueeze(1).expand(x.shape[0], n - 1).cumprod(1)], 1)
    out = out if increasing else out.flip(1)
    assert torch.equal(out.detach(), torch.vander(x.detach(), N, increasing))
    return out


FREQ = np.array([1, 3, 0, 2, 1], dtype=np.int64)

# (label, fn(lib, *tensors), arrays)
CASES = [
    ("cov", lambda L, x: L.cov(x), [_a(3, 5)]),
    ("cov 1-D", lambda L, x: L.cov(x), [_a(6)]),
    ("cov method correction 0", lambda L, x: x.cov(correction=0), [_a(2, 4)]),
    ("cov correction 2", lambda L, x: L.cov(x, correction=2), [_a(3, 5)]),
    ("cov one observation per row", lambda L, x: L.cov(x.T), [_a(5, 2)]),
    ("cov aweights", lambda L, x, a: L.cov(x, aweights=a), [_a(3, 5), _w(5)]),
    ("cov fweights", lambda L, x: L.cov(x, fweights=L.tensor(FREQ)), [_a(2, 5)]),
    ("cov both weights", lambda L, x, a: L.cov(x, fweights=L.tensor(FREQ), aweights=a,
                                               correction=1), [_a(3, 5), _w(5)]),
    ("cov both weights correction 0", lambda L, x, a: L.cov(x, fweights=L.tensor(FREQ),
                                                            aweights=a, correction=0),
     [_a(3, 5), _w(5)]),
    ("cov float32", lambda L, x: L.cov(x), [_a(3, 6, dtype=np.float32)]),
    ("corrcoef", lambda L, x: L.corrcoef(x), [_a(3, 6)]),
    ("corrcoef method", lambda L, x: x.corrcoef(), [_a(2, 4)]),
    ("corrcoef one variable", lambda L, x: L.corrcoef(x), [_a(5)]),
    ("trapezoid", lambda L, y: L.trapezoid(y), [_a(7)]),
    ("trapezoid dx dim", lambda L, y: L.trapezoid(y, dx=0.3, dim=0), [_a(4, 3)]),
    ("trapezoid x 1-D", lambda L, y, x: L.trapezoid(y, x, dim=1), [_a(2, 5, 3), _a(5)]),
    ("trapezoid x same shape", lambda L, y, x: L.trapezoid(y, x), [_a(3, 4), _a(3, 4)]),
    ("trapezoid x fewer dims", lambda L, y, x: L.trapezoid(y, x, dim=-2),
     [_a(2, 4, 3), _a(4, 3)]),
    ("trapezoid one sample", lambda L, y: L.trapezoid(y), [_a(3, 1)]),
    ("trapz", lambda L, y, x: L.trapz(y, x), [_a(2, 6), _a(6)]),
    ("trapz dx", lambda L, y: L.trapz(y, dx=2.5), [_a(6)]),
    ("cumulative_trapezoid", lambda L, y: L.cumulative_trapezoid(y), [_a(3, 6)]),
    ("cumulative_trapezoid x", lambda L, y, x: L.cumulative_trapezoid(y, x, dim=0),
     [_a(5, 2), _a(5)]),
    ("cumulative_trapezoid dx", lambda L, y: L.cumulative_trapezoid(y, dx=-0.5), [_a(4)]),
    ("vander", lambda L, x: _vander(L, x), [_a(4)]),
    ("vander N increasing", lambda L, x: _vander(L, x, N=6, increasing=True), [_a(3)]),
    ("vander zeros", lambda L, x: _vander(L, x, 4), [np.array([0.0, 1.5, -0.0, 2.0])]),
    ("diagflat", lambda L, x: L.diagflat(x), [_a(2, 2)]),
    ("diagflat offset method", lambda L, x: x.diagflat(-2), [_a(3)]),
    ("combinations", lambda L, x: L.combinations(x), [_a(4)]),
    ("combinations r 3 replacement", lambda L, x: L.combinations(x, 3, True), [_a(3)]),
    ("combinations r 1", lambda L, x: L.combinations(x, r=1), [_a(3)]),
    ("combinations r > n", lambda L, x: L.combinations(x, r=4), [_a(3)]),
    ("rsub", lambda L, x, y: L.rsub(x, y), [_a(3, 1), _a(4)]),
    ("rsub alpha number", lambda L, x: L.rsub(x, 2.0, alpha=0.5), [_a(3)]),
    ("frexp mantissa", lambda L, x: L.frexp(x).mantissa,
     [np.array([1.5, -3.0, 0.0, 1e-30, 7e20, -0.3])]),
    ("frexp float32", lambda L, x: L.frexp(x)[0], [np.array([1.5, 1e-40, -8.0], np.float32)]),
]


@pytest.mark.parametrize("label,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_against_torch(label, fn, arrays):
    tol = dict(rtol=1e-5, atol=1e-6) if arrays[0].dtype == np.float32 else {}
    check_against_torch(fn, arrays, label=label, **tol)


INTEGER_CASES = [
    ("cov int", lambda L: L.cov(L.tensor([[1, 2, 4], [0, 1, 1]]))),
    ("corrcoef int", lambda L: L.corrcoef(L.tensor([[1, 2, 4], [0, 1, 3]]))),
    ("trapezoid int", lambda L: L.trapezoid(L.tensor([1, 2, 4]))),
    ("trapezoid int x", lambda L: L.trapezoid(L.tensor([1, 2, 4]), L.tensor([0, 1, 3]))),
    ("cumulative_trapezoid int", lambda L: L.cumulative_trapezoid(L.tensor([1, 2, 4]))),
    ("trapezoid empty", lambda L: L.trapezoid(L.zeros(2, 0), dim=1)),
    ("cumulative_trapezoid empty", lambda L: L.cumulative_trapezoid(L.zeros(0))),
    ("vander int", lambda L: L.vander(L.tensor([1, 2, 3]))),
    ("vander int32", lambda L: L.vander(L.tensor([1, -2], dtype=L.int32), 3)),
    ("vander bool", lambda L: L.vander(L.tensor([True, False]))),
    ("vander N 0", lambda L: L.vander(L.tensor([1.0, 2.0], requires_grad=True), N=0)),
    ("vander N 1", lambda L: L.vander(L.tensor([1.0, 2.0], requires_grad=True), N=1)),
    ("diagflat int", lambda L: L.diagflat(L.tensor([[1, 2], [3, 4]]), 1)),
    ("combinations int", lambda L: L.combinations(L.arange(4), r=2)),
    ("combinations r 0", lambda L: L.combinations(L.tensor([1.0, 2.0]), r=0)),
    ("combinations empty", lambda L: L.combinations(L.tensor([]), r=2)),
    ("rsub int", lambda L: L.rsub(L.tensor([1, 2]), L.tensor([3, 4]), alpha=2)),
    ("frexp exponent", lambda L: L.frexp(L.tensor([1.5, -3.0, 0.0, float("inf"), 1e-40]))[1]),
    ("frexp nan", lambda L: L.tensor([float("nan")]).frexp().mantissa),
]


@pytest.mark.parametrize("label,fn", INTEGER_CASES, ids=[c[0] for c in INTEGER_CASES])
def test_dtypes_and_special_cases_as_torch(label, fn):
    ours, theirs = fn(tg), fn(torch)
    assert_same(ours, theirs, what=label)
    assert ours.requires_grad == theirs.requires_grad


@pytest.mark.parametrize("indices,shape", [
    ([4, 1], (3, 2)), ([[1234], [5678]], (10, 10, 10, 10)), (5, (2, 3)), ([7, -1, -7], (2, 3)),
    ([3], [4]), (3, ()), ([3], 4), ([], (2, 0))])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_unravel_index_as_torch(indices, shape, dtype):
    ours = tg.unravel_index(tg.tensor(indices, dtype=getattr(tg, dtype)), shape)
    theirs = torch.unravel_index(torch.tensor(indices, dtype=getattr(torch, dtype)), shape)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, b)


ERRORS = [
    (lambda L: L.cov(L.ones(2, 2, 2)), RuntimeError, "two or fewer dimensions"),
    (lambda L: L.cov(L.ones(2, 3), fweights=L.tensor([1.0, 2.0, 1.0])), RuntimeError,
     "fweights to have integral dtype but got fweights with Float dtype"),
    (lambda L: L.cov(L.ones(2, 3), fweights=L.tensor([1, -2, 1])), RuntimeError,
     "fweights cannot be negative"),
    (lambda L: L.cov(L.ones(2, 3), aweights=L.tensor([1, 2, 1])), RuntimeError,
     "aweights to have floating point dtype but got aweights with Long dtype"),
    (lambda L: L.cov(L.ones(2, 3), aweights=L.tensor([1.0, -2.0, 1.0])), RuntimeError,
     "aweights cannot be negative"),
    (lambda L: L.cov(L.ones(2, 3), fweights=L.tensor([1, 2])), RuntimeError,
     "same numel as there are observations in the input but got 2 != 3"),
    (lambda L: L.cov(L.ones(2, 3), fweights=L.ones(3, 1, dtype=L.int64)), RuntimeError,
     "fweights to have one or fewer dimensions"),
    (lambda L: L.trapezoid(L.tensor([1.0, 2.0, 4.0]), L.tensor([0.0, 1.0])), RuntimeError,
     "There must be one `x` value for each sample point"),
    (lambda L: L.cumulative_trapezoid(L.tensor([1.0, 2.0]), L.tensor([0.0, 1.0, 2.0])),
     RuntimeError, "cumulative_trapezoid: There must be one `x` value"),
    (lambda L: L.trapezoid(L.tensor([True, False])), RuntimeError,
     "received a bool input for `y`, but bool is not supported"),
    (lambda L: L.trapezoid(L.tensor([1.0, 2.0]), dx=True), RuntimeError,
     "only support dx as a real number"),
    (lambda L: L.trapezoid(L.tensor([1.0, 2.0]), 2.0), TypeError,
     "invalid combination of arguments"),
    (lambda L: L.trapezoid(L.tensor([1.0, 2.0]), L.tensor([0.0, 1.0]), dx=2.0), TypeError,
     "invalid combination of arguments"),
    (lambda L: L.vander(L.ones(2, 2)), RuntimeError, "x must be a one-dimensional tensor."),
    (lambda L: L.vander(L.ones(2), N=-1), RuntimeError, "N must be non-negative."),
    (lambda L: L.combinations(L.ones(2, 2)), RuntimeError,
     r"Expect a 1D vector, but got shape \[2, 2\]"),
    (lambda L: L.combinations(L.ones(2), r=-1), RuntimeError, "Expect a non-negative number"),
    (lambda L: L.unravel_index(L.tensor([1.0]), (2, 3)), TypeError,
     "expected 'indices' to be integer dtype"),
    (lambda L: L.unravel_index(L.tensor([True]), (2, 3)), TypeError,
     "expected 'indices' to be integer dtype"),
    (lambda L: L.unravel_index(L.tensor([1]), (2, -3)), ValueError,
     r"'shape' cannot have negative values, but got \(2, -3\)"),
    (lambda L: L.unravel_index(L.tensor([1]), (2, 1.5)), TypeError,
     "'shape' sequence to only contain ints"),
    (lambda L: L.unravel_index(L.tensor([1]), "ab"), TypeError, "shape"),
    (lambda L: L.frexp(L.tensor([1, 2])), RuntimeError, "only supports floating-point dtypes"),
    (lambda L: L.rsub(L.tensor([True]), L.tensor([True])), RuntimeError,
     "with two bool tensors is not supported"),
]


@pytest.mark.parametrize("fn,error,message", ERRORS)
def test_errors_as_torch(fn, error, message):
    for L in (tg, torch):
        with pytest.raises(error, match=message):
            fn(L)


@pytest.mark.parametrize("fn", [lambda L: L.cov(L.ones(2, 3), correction=3),
                                lambda L: L.cov(L.tensor(3.0)),
                                lambda L: L.cov(L.zeros(2, 0))])
def test_cov_warns_when_no_degrees_of_freedom_are_left(fn):
    results = []
    for L in (tg, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append(fn(L))
        assert any("degrees of freedom is <= 0" in str(w.message) for w in caught)
    assert_same(*results)


def test_frexp_gradient_is_exact_beyond_float32_exponents():
    """dm/dx = 2^(−e) exactly, in x's dtype. (torch divides by exp2 of the int32 exponent,
    computed in float32: for float64 inputs beyond float32's exponent range its gradient is
    inf or 0 — here 2^996 and 2^-1000 are representable and given.)"""
    x = tg.tensor([1e-300, 1e300, 3.0], dtype=tg.float64, requires_grad=True)
    m, e = tg.frexp(x)
    m.sum().backward()
    expected = np.ldexp(1.0, -np.frexp(np.array([1e-300, 1e300, 3.0]))[1])
    assert np.array_equal(x.grad.numpy(), expected) and np.isfinite(expected).all()
    assert np.array_equal(m.detach().numpy(), np.frexp(np.array([1e-300, 1e300, 3.0]))[0])
