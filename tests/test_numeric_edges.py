"""Numeric edge cases of norms, float16 products, gcd/lcm, the normal CDF family, the Bessel
functions, polygamma, logit(eps), zeta, the incomplete gamma and bool matrix products, each
compared with torch (the oracle): values, dtypes, gradients and error classes.

* the 2-norm (vector_norm, Tensor.norm, torch.norm, linalg.norm, Frobenius) at 1e±30, 1e±200,
  inf and NaN: torch does not rescale, so 1e30 in float32 is inf, as here;
* float16 prod rounds to float16 after every multiplication (cumprod accumulates in float32);
* gcd/lcm with C's integer semantics (abs(−128) is −128 in int8);
* ndtr is torch's (1 + erf(x/√2))/2 (0 far left), log_ndtr follows torch's float32 steps;
* i0/i1 overflow to inf and are NaN at ±inf as torch's e^x·(series)/√x; i1/i1e gradients
  are ½ at NaN; digamma and trigamma follow torch's kernels step by step;
* logit's clamp ``x < lo ? lo : (x > hi ? hi : x)`` and its gradient (NaN at NaN);
* zeta's order of special cases; igamma for huge a ≈ x finite, and one element's value
  independent of the others in the batch;
* matmul/mm of bool tensors raise torch's NotImplementedError (named after its kernel).
"""

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = (torch, tg)
INF, NAN = float("inf"), float("nan")


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def assert_same(theirs, ours, rtol=0.0, atol=0.0):
    """Same dtype, shape and values (inf where inf, NaN where NaN)."""
    assert _dtype_name(ours) == _dtype_name(theirs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    a = np.asarray(theirs.detach().numpy(), dtype=np.float64)
    b = np.asarray(ours.detach().numpy(), dtype=np.float64)
    assert np.array_equal(np.isnan(a), np.isnan(b)), (a, b)
    assert np.array_equal(np.isinf(a), np.isinf(b)), (a, b)
    np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, equal_nan=True)


from torch_compare import outcome  # noqa: E402  (fn(lib), or the exception it raised)


def assert_same_outcome(fn, rtol=0.0, atol=0.0):
    theirs, ours = (outcome(fn, lib) for lib in LIBS)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {theirs!r}, we returned {ours}"
        assert isinstance(ours, type(theirs)), (ours, theirs)
        assert str(ours).split("\n")[0] == str(theirs).split("\n")[0]
    else:
        assert not isinstance(ours, Exception), f"we raised {ours!r}, torch gave {theirs}"
        assert_same(theirs, ours, rtol, atol)


def _tol(dtype, ulps=4):
    return ulps * float(np.finfo(dtype).eps)


def value_and_grad(fn, values, dtype):
    """fn(L, x) and the gradient of its sum with respect to x, as one program."""
    def program(L):
        x = L.tensor(values, dtype=getattr(L, dtype), requires_grad=True)
        out = fn(L, x)
        out.sum().backward()
        return out, x.grad
    return program


def assert_value_and_grad(fn, values, dtype, rtol=0.0, atol=0.0, grad_rtol=None):
    """Values within rtol, gradients within grad_rtol (default rtol): a gradient such as
    √(2π)·e^(z²/2) magnifies the last bit of z by z²."""
    (t_out, t_grad), (o_out, o_grad) = (value_and_grad(fn, values, dtype)(L) for L in LIBS)
    assert_same(t_out, o_out, rtol, atol)
    assert_same(t_grad, o_grad, rtol if grad_rtol is None else grad_rtol, atol)


# ---------------------------------------------------------------------------- 2-norms
NORMS = {
    "vector_norm": lambda L, x: L.linalg.vector_norm(x),
    "Tensor.norm": lambda L, x: x.norm(),
    "torch.norm": lambda L, x: L.norm(x),
    "linalg.norm": lambda L, x: L.linalg.norm(x),
    "fro": lambda L, x: L.linalg.norm(x.reshape(1, -1), "fro"),
    "matrix_norm": lambda L, x: L.linalg.matrix_norm(x.reshape(1, -1)),
    "norm(p=2, dim=0)": lambda L, x: x.norm(p=2, dim=0),
    "vector_norm(dim=0)": lambda L, x: L.linalg.vector_norm(x.reshape(1, -1), dim=1),
}
NORM_VALUES = [[1e30, 1e30], [1e200, 1e200], [1e-30, 1e-30], [1e-200, 1e-200], [3e38, 1.0],
               [1e-45, 1e-45], [INF, 1.0], [NAN, 1.0], [INF, NAN], [0.0, 0.0], [1e-310, 3.0]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("values", NORM_VALUES, ids=str)
@pytest.mark.parametrize("name", list(NORMS))
def test_two_norm_extremes(name, values, dtype):
    assert_value_and_grad(NORMS[name], values, dtype, rtol=_tol(dtype))


# ---------------------------------------------------------------------------- float16 prod
_RNG = np.random.default_rng(0)
F16 = _RNG.uniform(0.5, 1.8, size=(5, 60)).astype(np.float16)
PRODS = [  # (name, fn, input): float16 rounding after every product (contiguous runs < 64)
    ("prod(1)", lambda L, x: x.prod(1), F16[:, :40]),
    ("prod(0)", lambda L, x: x.prod(0), F16),
    ("prod()", lambda L, x: x.prod(), F16[:3, :20]),
    ("prod(1, keepdim)", lambda L, x: x.prod(1, keepdim=True), F16[:, :7]),
    ("prod overflow", lambda L, x: (x * 4).prod(1), F16[:2, :30]),
    ("cumprod(1)", lambda L, x: x.cumprod(1), F16[:, :40]),
    ("cumprod(0)", lambda L, x: x.cumprod(0), F16),
    ("prod(dtype=float32)", lambda L, x: L.prod(x, 1, dtype=L.float32), F16[:, :20]),
]


@pytest.mark.parametrize("name,fn,values", PRODS, ids=[p[0] for p in PRODS])
def test_float16_prod(name, fn, values):
    assert_value_and_grad(fn, values.tolist(), "float16")


# ---------------------------------------------------------------------------- gcd and lcm
def _pairs(values):
    return [x for x in values for _ in values], [y for _ in values for y in values]


GCD_DTYPES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
              "int32": (-2 ** 31, 2 ** 31 - 1), "int64": (-2 ** 63, 2 ** 63 - 1)}


@pytest.mark.parametrize("op", ["gcd", "lcm"])
@pytest.mark.parametrize("dtype", list(GCD_DTYPES))
def test_gcd_lcm_c_semantics(op, dtype):
    lo, hi = GCD_DTYPES[dtype]
    values = [v for v in (lo, lo + 1, -7, -6, -1, 0, 1, 4, 6, 12, hi - 1, hi) if lo <= v <= hi]
    if op == "lcm" and dtype in ("int32", "int64"):
        values.remove(lo)           # (torch dies of SIGFPE there: INT_MIN / −1 in C)
    a, b = _pairs(values)
    assert_same_outcome(lambda L: getattr(L, op)(L.tensor(a, dtype=getattr(L, dtype)),
                                                 L.tensor(b, dtype=getattr(L, dtype))))


GCD_CASES = [  # (a, dtype a, b, dtype b)
    (-128, "int8", 0, "int8"), (0, "int8", -128, "int8"), (-128, "int8", -128, "int8"),
    ([-128, 6, 9], "int8", 3, "int64"), ([[4], [6]], "int64", [6, 9], "int64"),
    ([1, 0], "float32", [1, 1], "float32"), ([1, 0], "bool", [1, 1], "bool"),
]


@pytest.mark.parametrize("op", ["gcd", "lcm"])
@pytest.mark.parametrize("a,da,b,db", GCD_CASES)
def test_gcd_lcm_cases(op, a, da, b, db):
    assert_same_outcome(lambda L: getattr(L, op)(L.tensor(a, dtype=getattr(L, da)),
                                                 L.tensor(b, dtype=getattr(L, db))))


# ---------------------------------------------------------------------------- normal CDF
X40 = np.concatenate([np.linspace(-40, 40, 1601), [INF, -INF, NAN, 0.0, -0.0, 1e-30]])
P01 = np.concatenate([np.linspace(0, 1, 401), np.logspace(-40, -1, 80),
                      1 - np.logspace(-7, -1, 40), [-0.1, 1.1, NAN]])
NDTR = [  # (name, values, tolerance in ulps of the result, absolute tolerance in ulps of 1)
    ("ndtr", X40, 2, 1),          # (1 + erf)/2: erf's last bit near −1 is an absolute error
    ("log_ndtr", X40, 4, 0),
    ("ndtri", P01, 8, 0),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,values,ulps,abs_ulps", NDTR, ids=[n[0] for n in NDTR])
def test_normal_cdf_family(name, values, ulps, abs_ulps, dtype):
    values = values.astype(dtype)
    if name == "ndtri" and dtype == "float32":
        values = values[values != np.float32(1 - 1e-7)]
    fn = (lambda L, x: getattr(L.special, name)(x))
    eps = float(np.finfo(dtype).eps)
    tiny = float(np.finfo(dtype).smallest_subnormal)
    assert_value_and_grad(fn, values.tolist(), dtype, rtol=ulps * eps,
                          atol=abs_ulps * eps if name == "ndtr" else 2 * tiny,
                          grad_rtol=4e-5 if dtype == "float32" else 1e-13)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ndtr_left_tail_is_torchs_zero(dtype):
    assert_same_outcome(lambda L: L.special.ndtr(L.tensor([-6.0, -9.0, -40.0],
                                                          dtype=getattr(L, dtype))))


# ---------------------------------------------------------------------------- Bessel I
BESSEL_X = [INF, -INF, NAN, 0.0, -0.0, 1e-30, 1.0, -2.5, 50.0, 88.0, 90.0, -90.0, 700.0,
            713.0, -713.0, 1e300]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_bessel_at_inf_nan_and_overflow(name, dtype):
    values = [v for v in BESSEL_X if dtype == "float64" or abs(v) < 1e38 or abs(v) == INF]
    fn = (lambda L, x: getattr(L.special, name)(x))
    # (torch's float32 series run in float32: a few ulps apart, the gradients more)
    rtol = 4e-6 if dtype == "float32" else _tol(dtype, 16)
    assert_value_and_grad(fn, values, dtype, rtol=rtol, atol=1e-6 if dtype == "float32" else 0,
                          grad_rtol=4e-6 if dtype == "float32" else 1e-12)


# ---------------------------------------------------------------------------- polygamma
POLY_X = [INF, -INF, NAN, 0.0, -0.0, 1e-30, 1.0, 2.0, -1.0, -2.0, -2.5, -700.0, 10.0, 9.0,
          0.25, 1.4616, 700.0, 1e20, -1e20, 1e300]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma_edges(n, dtype):
    values = [v for v in POLY_X if dtype == "float64" or abs(v) < 1e38 or abs(v) == INF]
    rtol = 0.0 if dtype == "float64" else 3e-7
    if n >= 2:
        rtol = _tol(dtype, 8) if dtype == "float64" else 3e-5
    assert_value_and_grad(lambda L, x: L.polygamma(n, x), values, dtype, rtol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_digamma_trigamma_random(dtype):
    x = np.concatenate([_RNG.uniform(-10, 10, 2000), _RNG.uniform(0, 30, 2000)]).astype(dtype)
    for n in (0, 1):
        theirs = torch.polygamma(n, torch.tensor(x)).numpy()
        ours = tg.polygamma(n, tg.tensor(x)).numpy()
        same = (theirs == ours) | (np.isnan(theirs) & np.isnan(ours))
        # float64 bit for bit; float32 all but a handful (torch's sinf/tanf) within 2 ulps
        assert same.mean() > (0.999 if dtype == "float64" else 0.98)
        np.testing.assert_allclose(ours, theirs, rtol=5e-7 if dtype == "float32" else 1e-15)


# ---------------------------------------------------------------------------- logit(eps)
LOGIT_P = [-0.1, 0.0, 1e-8, 0.3, 0.5, 0.99, 1.0, 1.1, NAN, INF, -INF]
LOGIT_LONG = np.linspace(-0.2, 1.2, 43).tolist() + [NAN]         # (torch's vectorised path)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("values", [LOGIT_P, LOGIT_LONG], ids=["edges", "long"])
@pytest.mark.parametrize("eps", [None, 0.0, 1e-6, 0.1, 0.5, 0.6, -0.1])
def test_logit_eps(eps, values, dtype):
    assert_value_and_grad(lambda L, x: L.logit(x, eps), values, dtype, rtol=_tol(dtype, 1))


# ---------------------------------------------------------------------------- zeta
ZETA_ARGS = [INF, -INF, NAN, 0.0, -0.0, 1e-300, 1e300, 1.0, -1.0, -2.5, 2.0, 0.5, 30.0, 100.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zeta_extremes(dtype):
    x, q = _pairs(ZETA_ARGS)
    assert_same_outcome(lambda L: L.special.zeta(L.tensor(x, dtype=getattr(L, dtype)),
                                                 L.tensor(q, dtype=getattr(L, dtype))),
                        rtol=_tol(dtype, 1), atol=1e-44)


# ---------------------------------------------------------------------------- igamma
IGAMMA_CASES = [  # (a, x) in float64: huge a ≈ x (torch's Temme expansion), huge x
    ([1e10] * 5, [1e10 - 4e5, 1e10 - 5e4, 1e10, 1e10 + 5e4, 1e10 + 4e5]),
    ([1e8, 1e9, 1e12], [1e8 + 1e4, 1e9 - 3e4, 1e12]),
    ([1.0, 30.0, 1e-30, 1e300, 30.0], [1e300, 1e300, 1e300, 1e300, 30.0]),
    ([1e300, 1e-300, 5e-324, 2.0], [1.0, 1e-300, 1.0, 0.0]),
]


@pytest.mark.parametrize("op", ["gammainc", "gammaincc"])
@pytest.mark.parametrize("a,x", IGAMMA_CASES)
def test_igamma_extremes(op, a, x):
    # (torch's own Temme evaluation loses digits at huge a: within 1e-9 of it there)
    assert_same_outcome(lambda L: getattr(L.special, op)(L.tensor(a, dtype=L.float64),
                                                         L.tensor(x, dtype=L.float64)),
                        rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("op", ["gammainc", "gammaincc"])
def test_igamma_value_independent_of_batch(op):
    fn = getattr(tg.special, op)
    alone = fn(tg.tensor([1.0], dtype=tg.float64), tg.tensor([1e300], dtype=tg.float64))
    batch = fn(tg.tensor([1.0, 1000.0], dtype=tg.float64),
               tg.tensor([1e300, 1001.0], dtype=tg.float64))
    theirs = getattr(torch.special, op)(torch.tensor([1.0], dtype=torch.float64),
                                        torch.tensor([1e300], dtype=torch.float64))
    assert alone.numpy()[0] == batch.numpy()[0] == theirs.numpy()[0]


# ---------------------------------------------------------------------------- bool products
MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 2)),
                 ((4, 2, 3), (3,)), ((3,), (4, 3, 2)), ((4, 2, 3), (3, 2)), ((2, 3), (4, 3, 2)),
                 ((4, 2, 3), (4, 3, 2)), ((2, 1, 2, 3), (3, 3, 2)), ((0,), (0,)),
                 ((0, 3), (3, 2)), ((2, 0), (0, 2)), ((3, 0), (0,)), ((2, 3), (3, 0))]


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "uint8"])
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul_bool_and_int(sa, sb, dtype):
    def program(L):
        a = L.tensor((np.arange(int(np.prod(sa))).reshape(sa) % 3 > 0).astype(dtype),
                     dtype=getattr(L, dtype))
        b = L.tensor((np.arange(int(np.prod(sb))).reshape(sb) % 4 > 0).astype(dtype),
                     dtype=getattr(L, dtype))
        return a @ b
    assert_same_outcome(program)


PRODUCTS = {
    "mm": (lambda L, a, b: L.mm(a, b), (2, 3), (3, 2)),
    "mv": (lambda L, a, b: L.mv(a, b), (2, 3), (3,)),
    "dot": (lambda L, a, b: L.dot(a, b), (3,), (3,)),
    "bmm": (lambda L, a, b: L.bmm(a, b), (1, 2, 3), (1, 3, 2)),
    "chain_matmul": (lambda L, a, b: L.linalg.multi_dot([a, b]), (2, 3), (3, 2)),
    "addmm": (lambda L, a, b: L.addmm(L.zeros(2, 2, dtype=a.dtype), a, b), (2, 3), (3, 2)),
}


@pytest.mark.parametrize("db", ["bool", "int8", "int64", "float32"])
@pytest.mark.parametrize("da", ["bool", "int8", "int64", "float32"])
@pytest.mark.parametrize("name", list(PRODUCTS))
def test_products_of_bool_and_mixed(name, da, db):
    fn, sa, sb = PRODUCTS[name]

    def program(L):
        a = L.ones(sa, dtype=getattr(L, da))
        b = L.ones(sb, dtype=getattr(L, db))
        return fn(L, a, b)
    theirs, ours = (outcome(program, L) for L in LIBS)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {theirs!r}, we returned {ours}"
        assert isinstance(ours, type(theirs)), (ours, theirs)
        if isinstance(theirs, NotImplementedError):
            assert str(ours) == str(theirs)
    else:
        assert not isinstance(ours, Exception), f"we raised {ours!r}"
        assert_same(theirs, ours)
