"""Edge cases of the elementwise functions, each compared with torch (the oracle): values,
dtypes, signed zeros, gradients and error messages.

* integer operands converted straight to the float result dtype (an int8 tensor over a 0-d
  uint8 tensor holding 250 divides by 250, not by the −6 a cast to int8 would make);
* ldexp's dtypes and exact scaling, nextafter's gradient;
* float16 computed in float32 and rounded once (lerp, addcmul, addcdiv, x·scalar, x/scalar,
  x**p) and addcdiv's order of evaluation;
* second derivatives through x**1;
* torch's errors for a number where a tensor is expected, where()'s range check, nanmean's
  dtype; logical ops after promotion; max(other=), linalg.vector_norm(out=).
"""
import math

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = (torch, tg)


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def assert_same(theirs, ours, rtol=0.0, atol=0.0):
    """Same dtype, shape and values (NaN where NaN; the sign of every zero)."""
    assert _dtype_name(ours) == _dtype_name(theirs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    a = np.asarray(theirs.detach().numpy(), dtype=np.float64)
    b = np.asarray(ours.detach().numpy(), dtype=np.float64)
    np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, equal_nan=True)
    zeros = (a == 0) & (b == 0)
    assert np.array_equal(np.signbit(a[zeros]), np.signbit(b[zeros])), (a, b)


from torch_compare import outcome  # noqa: E402  (fn(lib), or the exception it raised)


def assert_same_outcome(fn, rtol=0.0, atol=0.0):
    theirs, ours = (outcome(fn, lib) for lib in LIBS)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {theirs!r}, we returned {ours}"
        assert type(ours) is type(theirs), (ours, theirs)
        assert str(ours).split("\n")[0] == str(theirs).split("\n")[0]
    else:
        assert not isinstance(ours, Exception), f"we raised {ours!r}, torch gave {theirs}"
        assert_same(theirs, ours, rtol, atol)


# ------------------------------------------------------------------------ integer → float
def _t(L, values, dtype):
    return L.tensor(values, dtype=getattr(L, dtype))


# (dimensioned values and dtype, 0-d value and dtype): each 0-d value overflows the other dtype
MIXED_INTEGERS = [
    (([-3, 5, -128], "int8"), (250, "uint8")),
    (([-3, 5, 100], "int8"), (100000, "int32")),
    (([10, 20, 7], "int32"), (2 ** 40, "int64")),
    (([250, 3, 7], "uint8"), (-300, "int16")),
    (([-300, 1000, 7], "int16"), (2 ** 40, "int64")),
]

FLOAT_OF_INTEGERS = {
    "div": lambda L, a, b: a / b,
    "true_divide": lambda L, a, b: L.true_divide(a, b),
    "atan2": lambda L, a, b: L.atan2(a, b),
    "copysign": lambda L, a, b: L.copysign(a, b),
    "xlogy": lambda L, a, b: L.xlogy(a, b),
    "xlog1py": lambda L, a, b: L.special.xlog1py(a, b),
    "float_power": lambda L, a, b: L.float_power(a, b),
    "ldexp": lambda L, a, b: L.ldexp(a.float(), b.clamp(-60, 60)),
    "chebyshev_t": lambda L, a, b: L.special.chebyshev_polynomial_t(a, b.clamp(0, 3)),
    "lerp 0-d weight": lambda L, a, b: L.lerp(a, a * 2, b.double() * 0 + 0.25),
}


@pytest.mark.parametrize("op", sorted(FLOAT_OF_INTEGERS))
@pytest.mark.parametrize("dims, zero", MIXED_INTEGERS)
@pytest.mark.parametrize("zero_first", [False, True])
def test_integers_are_converted_straight_to_the_float_dtype(op, dims, zero, zero_first):
    f = FLOAT_OF_INTEGERS[op]

    def fn(L):
        a, b = _t(L, *dims), _t(L, *zero)
        return f(L, b, a) if zero_first else f(L, a, b)
    assert_same_outcome(fn, rtol=1e-6)


INTEGER_RESULTS = {            # integer results: the 0-d tensor wraps into the other's dtype
    "div floor": lambda L, a, b: L.div(a, b, rounding_mode="floor"),
    "div trunc": lambda L, a, b: L.div(a, b, rounding_mode="trunc"),
    "fmod": lambda L, a, b: L.fmod(a, b),
    "remainder": lambda L, a, b: L.remainder(a, b),
    "maximum": lambda L, a, b: L.maximum(a, b),
    "logical_and": lambda L, a, b: L.logical_and(a, b),
    "logical_or": lambda L, a, b: L.logical_or(a, b),
    "logical_xor": lambda L, a, b: L.logical_xor(a, b),
    "float fmod": lambda L, a, b: L.fmod(a, b.double()),
    "float remainder": lambda L, a, b: L.remainder(a.half(), b),
    "hypot": lambda L, a, b: L.hypot(a.float(), b),
    "logaddexp": lambda L, a, b: L.logaddexp(a.double(), b),
    "nextafter": lambda L, a, b: L.nextafter(a.float(), b.double()),
    "igamma": lambda L, a, b: L.igamma(a.abs().float() + 1, b.abs().double() + 1),
}


@pytest.mark.parametrize("op", sorted(INTEGER_RESULTS))
@pytest.mark.parametrize("dims, zero", MIXED_INTEGERS)
def test_other_mixed_operands_as_torch(op, dims, zero):
    f = INTEGER_RESULTS[op]
    assert_same_outcome(lambda L: f(L, _t(L, *dims), _t(L, *zero)), rtol=1e-6)


@pytest.mark.parametrize("values", [[0, 2, 1], [255, 1, 0]])
@pytest.mark.parametrize("op", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("other", [(256, "int64"), (-256, "int32"), (0.5, "float64"),
                                   (1e-10, "float64")])
def test_logical_ops_promote_first(values, op, other):
    """uint8 and a 0-d int64 256: the 256 becomes uint8 0 first (False), as torch."""
    def fn(L):
        a, b = _t(L, values, "uint8"), _t(L, *other)
        return getattr(L, op)(a, b), getattr(L, op)(b, a), getattr(L, op)(a.half(), b)
    for theirs, ours in zip(*(fn(L) for L in LIBS)):
        assert_same(theirs, ours)


# ------------------------------------------------------------------------ ldexp
LDEXP_CASES = [
    ("float64", [1.5, 3.0], "int64", [200, -160]),          # 2^200 overflowed float32
    ("float64", 1.5, "int32", [200, -1074]),                # 0-d input: float64 still
    ("float32", [1e-10, 1e10, 3.0], "int64", [130, -160, -149]),
    ("float16", [1e-4, 1.0, 3.0], "int32", [20, -25, -24]),  # subnormals rounded to even
    ("float16", [1.0, 2.0], "int64", [-1, 2 ** 40]),         # a C int: 2^40 wraps to 0
    ("float32", [1.0, 2.0], "uint8", [3, 200]),
    ("float32", [1.0, 2.0], "int16", [-1, 300]),
    ("float64", [1e-10, 2.0], "float32", [130.0, 0.5]),     # a float power: in float32
    ("float32", [1e-10, 2.0], "float64", [130.0, 0.5]),
    ("float16", [1e-4, 2.0], "float32", 20.0),              # 0-d float32: the product
    ("float32", [1e-10], "float64", 130.0),                 # in float16 / float32
    ("int32", [1, 3], "int64", [130, -2]),
    ("int64", [1, 3], "float64", [200.0, -2.0]),
    ("bool", [True, False], "int8", [3, 4]),
    ("uint8", [7, 3], "float16", [2.0, 30.0]),
]


@pytest.mark.parametrize("in_dtype, x, exp_dtype, n", LDEXP_CASES)
def test_ldexp_values_and_dtypes(in_dtype, x, exp_dtype, n):
    assert_same_outcome(lambda L: L.ldexp(_t(L, x, in_dtype), _t(L, n, exp_dtype)))


LDEXP_GRAD_CASES = [
    ("float64", [1.0, 1.0, 1.0, 1.0], "int64", [3, 63, 64, -1]),   # torch's integer 2^n
    ("float16", [1.0, 1.0, 1.0], "int32", [-1, 20, 3]),
    ("float32", [1.5, 2.0], "uint8", [1, 0]),
    ("float32", [1.5, 2.0], "float32", [2.0, 3.0]),
    ("float64", [1.5, -2.0], "float64", [0.5, -3.0]),
]


@pytest.mark.parametrize("in_dtype, x, exp_dtype, n", LDEXP_GRAD_CASES)
def test_ldexp_gradients(in_dtype, x, exp_dtype, n):
    def fn(L):
        a = _t(L, x, in_dtype).requires_grad_()
        b = _t(L, n, exp_dtype)
        leaves = [a]
        if b.dtype.is_floating_point:
            b.requires_grad_()
            leaves.append(b)
        out = L.ldexp(a, b)
        grads = L.autograd.grad(out, leaves, L.ones_like(out))
        return (out, *grads)
    for theirs, ours in zip(*(fn(L) for L in LIBS)):
        assert_same(theirs, ours, rtol=1e-6)


def test_ldexp_refuses_bool_exponent_and_numbers():
    assert_same_outcome(lambda L: L.ldexp(L.tensor([1.0]), L.tensor([True])))
    assert_same_outcome(lambda L: L.ldexp(2.0, L.tensor([1])))
    assert_same_outcome(lambda L: L.ldexp(L.tensor([1.0]), 2))


# ------------------------------------------------------------------------ nextafter
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nextafter_values_and_gradient(dtype):
    def fn(L):
        a = _t(L, [1.0, 2.0, -0.0, 0.0, 5.0], dtype).requires_grad_()
        b = _t(L, [3.0, 0.0, 0.0, -0.0, 5.0], dtype).requires_grad_()
        out = L.nextafter(a, b)
        g = L.tensor([1.0, -2.0, 3.0, 0.5, 4.0], dtype=getattr(L, dtype))
        return (out, *L.autograd.grad(out, [a, b], g))
    for theirs, ours in zip(*(fn(L) for L in LIBS)):
        assert_same(theirs, ours)


# ------------------------------------------------------------------------ float16 rounding
def _half_data(n, seed):
    rng = np.random.default_rng(seed)
    scale = np.array([1e-3, 1.0, 30.0])[rng.integers(0, 3, n)]
    return (rng.standard_normal(n) * scale).astype(np.float16)


HALF_OPS = {
    "lerp number": lambda L, a, b, c: L.lerp(a, b, 0.3),
    "lerp big weight": lambda L, a, b, c: L.lerp(a, b, 0.8),
    "lerp tensor": lambda L, a, b, c: L.lerp(a, b, c.abs() / 30),
    "addcmul": lambda L, a, b, c: L.addcmul(a, b, c, value=0.37),
    "addcmul value 1": lambda L, a, b, c: L.addcmul(a, b, c),
    "addcdiv": lambda L, a, b, c: L.addcdiv(a, b, c, value=-2.5),
    "mul 0.1": lambda L, a, b, c: a * 0.1,
    "mul 1/3": lambda L, a, b, c: L.mul(a, 1 / 3),
    "mul 1e5": lambda L, a, b, c: a * 1e5,            # (1e5 is inf in float16, not float32)
    "mul 0-d float64": lambda L, a, b, c: a * L.tensor(0.1, dtype=L.float64),
    "mul 0-d int": lambda L, a, b, c: a * L.tensor(2049),
    "div 0.1": lambda L, a, b, c: a / 0.1,
    "div 0-d float32": lambda L, a, b, c: a / L.tensor(7.77),
    "add 0.1": lambda L, a, b, c: a + 0.1,
    "sub 0-d float64": lambda L, a, b, c: a - L.tensor(1e-3, dtype=L.float64),
    "pow 0.5": lambda L, a, b, c: a ** 0.5,
    "pow -0.5": lambda L, a, b, c: a ** -0.5,
    "pow 1/3": lambda L, a, b, c: a.abs() ** (1 / 3),
    "pow 2.5": lambda L, a, b, c: a.abs() ** 2.5,
    "pow 3": lambda L, a, b, c: a ** 3,
    "pow -2": lambda L, a, b, c: a ** -2,
}


@pytest.mark.parametrize("op", sorted(HALF_OPS))
def test_float16_is_computed_in_float32_and_rounded_once(op):
    data = [_half_data(400, seed) for seed in (1, 2, 3)]
    theirs, ours = (HALF_OPS[op](L, *[L.tensor(d) for d in data]) for L in LIBS)
    assert_same(theirs, ours)


HALF_SPECIALS = [-math.inf, math.inf, -0.0, 0.0, math.nan, -4.0, 65504.0, 6e-8]


@pytest.mark.parametrize("p", [0.5, -0.5, 0.25, 1 / 3, 2, 3, -1, 1e-5])
def test_float16_powers_of_special_values(p):
    """C's pow in float32: (−inf)^½ is inf, (−0)^½ is 0 (float32 gives NaN and −0)."""
    assert_same_outcome(lambda L: L.tensor(HALF_SPECIALS, dtype=L.float16) ** p)


@pytest.mark.parametrize("op", ["mul 0.1", "div 0.1", "mul 0-d float64", "addcmul",
                                "addcdiv", "lerp number", "lerp tensor", "pow 2.5"])
def test_float16_gradients(op):
    data = [np.abs(_half_data(50, seed)) + np.float16(0.5) for seed in (4, 5, 6)]

    def fn(L):
        leaves = [L.tensor(d, requires_grad=True) for d in data]
        out = HALF_OPS[op](L, *leaves)
        used = leaves[:1] if op.startswith(("mul", "div", "pow")) else \
            leaves[:2] if op == "lerp number" else leaves
        return (out, *L.autograd.grad(out, used, L.ones_like(out)))
    for theirs, ours in zip(*(fn(L) for L in LIBS)):
        assert_same(theirs, ours, rtol=2e-3, atol=1e-3)   # (torch rounds each step)


HALF_BY_SCALAR = {                 # (node name, the function; s: the scalar's 0-d tensor)
    "x * 2.5": ("MulBackward0", lambda L, x, s: x * 2.5),
    "0.1 * x": ("MulBackward0", lambda L, x, s: 0.1 * x),
    "x / 3": ("DivBackward0", lambda L, x, s: x / 3),
    "x.mul(s)": ("MulBackward0", lambda L, x, s: x.mul(s)),
    "x / s": ("DivBackward0", lambda L, x, s: x / s),
    "2.5 / x": ("MulBackward0", lambda L, x, s: 2.5 / x),
}


@pytest.mark.parametrize("s_dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(HALF_BY_SCALAR))
def test_float16_by_scalar_is_one_node_with_torchs_gradients(case, s_dtype):
    """``x_f16 * 2.5`` is one MulBackward0 node whose inputs are x's and None (the number),
    as torch's, with torch's numbers, first and second order — also for a 0-d tensor scalar
    that takes a gradient (summed in float16, then in its own dtype, as torch)."""
    name, fn = HALF_BY_SCALAR[case]
    data = np.abs(_half_data(60, 7)) + np.float16(0.5)
    g = _half_data(60, 8)

    def run(L):
        x = L.tensor(data, requires_grad=True)
        s = L.tensor(0.37, dtype=getattr(L, s_dtype), requires_grad=True)
        out = fn(L, x, s)
        node = out.grad_fn
        kinds = [None if f is None else f.name().rstrip("0") for f, _ in node.next_functions]
        used = [x, s] if "s" in case else [x]
        grads = L.autograd.grad(out, used, L.tensor(g), create_graph=True)
        second = () if not grads[0].requires_grad else L.autograd.grad(
            grads[0].sum(), used, allow_unused=True, materialize_grads=True)
        return node.name(), kinds + [len(second)], (out, *grads, *second)
    (t_name, t_kinds, theirs), (o_name, o_kinds, ours) = (run(L) for L in LIBS)
    assert o_name + "0" == t_name == name       # (torch's names end in their overload's number)
    assert o_kinds == t_kinds
    for a, b in zip(theirs, ours):
        assert_same(a, b)


# ------------------------------------------------------------------------ addcmul, addcdiv
ORDER_CASES = [                                  # torch: input + (value·t1) ⊙ t2, one kernel
    ("addcdiv", [3e38], [3e38], [-0.5], 0.5, "float32"),     # value·(t1/t2) overflowed
    ("addcdiv", [1e308], [1e308], [-0.5], 0.5, "float64"),
    ("addcmul", [1.0], [3e38], [4.0], 0.25, "float32"),
    ("addcmul", [0.1, 7.0, -3.0], [1e-3, 3.3, 2.0], [7.7, 0.3, 1e4], 0.37, "float32"),
    ("addcdiv", [0.1, 7.0, -3.0], [1e-3, 3.3, 2.0], [7.7, 0.3, 1e4], -2.5, "float32"),
    ("addcmul", [1, 2, 3], [4, 5, 6], [7, 8, 9], 2.7, "int64"),      # value truncated
    ("addcmul", [100, 2, 3], [100, 5, 6], [7, 8, 9], 3, "int8"),    # wraps as torch's
]


@pytest.mark.parametrize("op, a, b, c, value, dtype", ORDER_CASES)
def test_addcmul_addcdiv_order_and_rounding(op, a, b, c, value, dtype):
    assert_same_outcome(lambda L: getattr(L, op)(_t(L, a, dtype), _t(L, b, dtype),
                                                 _t(L, c, dtype), value=value))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_addcmul_fused_rounding_on_random_data(dtype):
    rng = np.random.default_rng(7)
    a, b, c = (rng.standard_normal(1000) * rng.choice([1e-3, 1.0, 1e3], 1000)
               for _ in range(3))
    for op in ("addcmul", "addcdiv"):
        theirs, ours = (getattr(L, op)(*[L.tensor(v, dtype=getattr(L, dtype)) for v in (a, b, c)],
                                        value=0.37) for L in LIBS)
        # float32: torch's fused multiply-add emulated exactly; float64: within an ulp
        assert_same(theirs, ours, rtol=0 if dtype == "float32" else 2.3e-16)


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_addcmul_addcdiv_gradients_and_second_order(op, dtype):
    rng = np.random.default_rng(3)
    data = [rng.standard_normal((3, 4)), rng.standard_normal((1, 4)),
            rng.uniform(0.5, 2.0, (3, 1))]

    def fn(L):
        leaves = [L.tensor(d, dtype=getattr(L, dtype), requires_grad=True) for d in data]
        out = getattr(L, op)(*leaves, value=-1.5)
        grads = L.autograd.grad(out, leaves, L.ones_like(out) * 0.7, create_graph=True)
        second = L.autograd.grad(sum((g * g).sum() for g in grads), leaves, allow_unused=True)
        return (out, *grads, *[L.zeros_like(t) if h is None else h
                               for t, h in zip(leaves, second)])
    for theirs, ours in zip(*(fn(L) for L in LIBS)):
        assert_same(theirs, ours, rtol=1e-6 if dtype == "float32" else 1e-12, atol=1e-12)


@pytest.mark.parametrize("dtypes", [("bool", "bool", "bool"), ("float32", "bool", "bool")])
def test_addcmul_of_bools_refused_as_torch(dtypes):
    assert_same_outcome(lambda L: L.addcmul(*[L.tensor([True, False]).to(getattr(L, d))
                                             for d in dtypes]))


# ------------------------------------------------------------------------ second order
SECOND_ORDER = {
    "x**1": lambda L, x: x ** 1,
    "pow(x, 1.0)": lambda L, x: L.pow(x, 1.0),
    "x**0": lambda L, x: x ** 0,
    "x**2": lambda L, x: x ** 2,
    "nextafter": lambda L, x: L.nextafter(x, L.zeros_like(x)) * x,
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives(name):
    def fn(L):
        x = L.tensor([1.0, -2.0, 0.5], dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad(SECOND_ORDER[name](L, x).sum(), x, create_graph=True)
        flag = L.tensor(float(g.requires_grad))
        (h,) = L.autograd.grad(g.sum(), x, allow_unused=True) if g.requires_grad else (None,)
        return g, flag, L.zeros(3, dtype=L.float64) if h is None else h
    for theirs, ours in zip(*(fn(L) for L in LIBS)):
        assert_same(theirs, ours)


# ------------------------------------------------------------------------ errors
NUMBER_FIRST = {
    "fmod": lambda L, t: L.fmod(2, t),
    "copysign": lambda L, t: L.copysign(2, t),
    "atan2": lambda L, t: L.atan2(2, t),
    "atan2 other": lambda L, t: L.atan2(t, 2),
    "hypot": lambda L, t: L.hypot(2, t),
    "hypot other": lambda L, t: L.hypot(t, 2.5),
    "logaddexp": lambda L, t: L.logaddexp(2, t),
    "maximum": lambda L, t: L.maximum(2, t),
    "fmin": lambda L, t: L.fmin(t, 2),
    "nextafter": lambda L, t: L.nextafter(2.0, t),
    "lerp": lambda L, t: L.lerp(2, t, 0.5),
    "dist": lambda L, t: L.dist(t, 2),
    "dist input": lambda L, t: L.dist(2, t),
    "addcmul": lambda L, t: L.addcmul(t, 2, t),
    "addcmul input": lambda L, t: L.addcmul(2, t, t),
    "addcdiv": lambda L, t: L.addcdiv(t, t, 2),
    "addcdiv input": lambda L, t: L.addcdiv(2, t, t),
    "logical_and": lambda L, t: L.logical_and(t, 1),
    "remainder (allowed)": lambda L, t: L.remainder(2, t),
    "xlogy (allowed)": lambda L, t: L.xlogy(2, t),
    "fmod second (allowed)": lambda L, t: L.fmod(t, 2),
    "copysign second (allowed)": lambda L, t: L.copysign(t, -2),
}


@pytest.mark.parametrize("name", sorted(NUMBER_FIRST))
def test_numbers_in_place_of_tensors(name):
    assert_same_outcome(lambda L: NUMBER_FIRST[name](L, L.tensor([3.0, -1.0])))


@pytest.mark.parametrize("a, b", [(([1, 2], "int64"), ([1.5, 3.0], "float32")),
                                  (([1.5, 2.0], "float32"), ([1, 3], "int32")),
                                  (([1, 2], "int64"), (1.5, "float64")),
                                  (([1.5, 2.0], "float16"), ([1.0, 3.0], "float64")),
                                  (([1, 2], "int64"), ([1, 3], "int64"))])
@pytest.mark.parametrize("p", [2, 1, math.inf])
def test_dist_promotes_its_operands(a, b, p):
    assert_same_outcome(lambda L: L.dist(_t(L, *a), _t(L, *b), p), rtol=1e-6)


WHERE_NUMBERS = [("uint8", v) for v in (300, -1, 255, 256, -129, -256, 2.5, True, math.nan)] + [
    ("int8", 200), ("int8", -129), ("int8", 127), ("int32", 2 ** 31), ("int64", 2 ** 63),
    ("float16", 1e5), ("float32", 1e40), ("float32", math.inf), ("float64", 1e300),
    ("bool", 2), ("bool", 1.5), ("bool", False), ("float32", 2 ** 63), ("bool", 2 ** 63),
    ("int32", 2 ** 64), ("float64", -2 ** 63 - 1)]


@pytest.mark.parametrize("dtype, number", WHERE_NUMBERS)
@pytest.mark.parametrize("number_first", [False, True])
def test_where_number_must_fit_the_result(dtype, number, number_first):
    def fn(L):
        c, t = L.tensor([True, False]), L.tensor([1, 0]).to(getattr(L, dtype))
        return L.where(c, number, t) if number_first else L.where(c, t, number)
    assert_same_outcome(fn)


@pytest.mark.parametrize("dtype", ["int64", "bool", "int32", "float64", "float16", None])
def test_nanmean_dtype(dtype):
    assert_same_outcome(lambda L: L.nanmean(L.tensor([1.0, math.nan, 2.0]),
                                            dtype=None if dtype is None else getattr(L, dtype)))


def test_nanmean_checks_the_input_first():
    assert_same_outcome(lambda L: L.nanmean(L.tensor([1, 2]), dtype=L.int64))


# ------------------------------------------------------------------------ keywords
def test_max_and_min_with_other_keyword():
    for name in ("max", "min"):
        assert_same_outcome(lambda L: getattr(L, name)(L.tensor([1.0, 5.0]),
                                                       other=L.tensor([3.0, 2.0])))
        assert_same_outcome(lambda L: L.tensor([1.0, 5.0]).max(other=L.tensor([3.0, 2.0])))
    theirs, ours = (outcome(lambda L: L.max(L.tensor([1.0]), 0, other=L.tensor([2.0])), L)
                    for L in LIBS)
    assert isinstance(theirs, TypeError) and isinstance(ours, TypeError)


@pytest.mark.parametrize("name, args", [("vector_norm", ([3.0, 4.0],)),
                                        ("vector_norm", ([[3.0, -4.0], [1.0, 2.0]], 1, 1)),
                                        ("matrix_norm", ([[3.0, -4.0], [1.0, 2.0]],)),
                                        ("norm", ([3.0, -4.0],))])
def test_linalg_norms_take_out(name, args):
    def fn(L):
        out = L.empty(0)
        result = getattr(L.linalg, name)(L.tensor(args[0]), *args[1:], out=out)
        assert result is out
        return out
    assert_same_outcome(fn, rtol=1e-6)


def test_linalg_vector_norm_out_refuses_grad_as_torch():
    assert_same_outcome(lambda L: L.linalg.vector_norm(L.tensor([3.0, 4.0], requires_grad=True),
                                                       out=L.empty(())))


# ------------------------------------------------------------------------ signed zeros
ZERO_CASES = {
    "maximum": lambda L, a, b: L.maximum(a, b),
    "minimum": lambda L, a, b: L.minimum(a, b),
    "fmax": lambda L, a, b: L.fmax(a, b),
    "fmin": lambda L, a, b: L.fmin(a, b),
    "clamp min 0": lambda L, a, b: a.clamp(min=0.0),
    "clamp min -0": lambda L, a, b: a.clamp(min=-0.0),
    "clamp max -0": lambda L, a, b: a.clamp(max=-0.0),
    "clamp 0, 0": lambda L, a, b: a.clamp(0.0, 0.0),
    "clamp_min": lambda L, a, b: L.clamp_min(a, 0.0),
    "clamp tensor min": lambda L, a, b: a.clamp(min=b),
    "clamp tensor max": lambda L, a, b: a.clamp(max=b),
}


@pytest.mark.parametrize("name", sorted(ZERO_CASES))
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_signed_zeros_of_small_tensors(name, dtype):
    """(torch's vector loop, for 16 float32 or more, can give the other zero: small tensors
    take its scalar loop, whose answer these follow)."""
    def fn(L):
        a = _t(L, [0.0, -0.0, 0.0, -0.0, 1.0], dtype)
        b = _t(L, [-0.0, 0.0, 0.0, -0.0, math.nan], dtype)
        return ZERO_CASES[name](L, a, b)
    assert_same_outcome(fn)


@pytest.mark.parametrize("bounds", [(math.nan, None), (None, math.nan), (0.0, math.nan),
                                    (2.0, 1.0), (-math.inf, math.inf)])
def test_clamp_nan_and_crossed_bounds(bounds):
    lo, hi = bounds
    assert_same_outcome(lambda L: L.tensor([math.nan, 1.0, -1.0, 5.0, -0.0]).clamp(lo, hi))
    assert_same_outcome(lambda L: L.tensor([math.nan, 1.0, -1.0, 5.0, -0.0]).clamp(
        None if lo is None else L.tensor(lo), None if hi is None else L.tensor(hi)))


# ------------------------------------------------------------------------ pow's exponent
@pytest.mark.parametrize("dtype, p", [("uint8", 300), ("uint8", 255), ("uint8", -1),
                                      ("int8", 128), ("int8", -2), ("int32", 2 ** 31),
                                      ("int64", 2 ** 63 - 1), ("float16", 1e5),
                                      ("float16", 65504.0), ("float16", 65520.0),
                                      ("float16", math.inf), ("float16", 2 ** 40),
                                      ("float32", 1e40), ("bool", 2), ("uint8", 2.5)])
def test_pow_exponent_must_fit_the_dtype(dtype, p):
    """torch's kernel takes a number exponent in the tensor's dtype: uint8 ** 300 and
    float16 ** 1e5 are its RuntimeError."""
    assert_same_outcome(lambda L: L.tensor([1, 2]).to(getattr(L, dtype)) ** p)


# ------------------------------------------------------------------------ out= dtypes
OUT_DTYPE_CASES = {
    "where": lambda L, a, o: L.where(a > 0, a, a * 2, out=o),
    "amax": lambda L, a, o: L.amax(a, 0, out=o),
    "amin": lambda L, a, o: L.amin(a, 0, out=o),
    "max dim": lambda L, a, o: L.max(a, 0, out=(o, L.empty(0, dtype=L.int64)))[0],
    "min dim": lambda L, a, o: L.min(a, 0, out=(o, L.empty(0, dtype=L.int64)))[0],
    "max of two": lambda L, a, o: L.max(a, a, out=o),
    "median dim": lambda L, a, o: L.median(a, 0, out=(o, L.empty(0, dtype=L.int64)))[0],
    "aminmax": lambda L, a, o: L.aminmax(a, dim=0, out=(o, L.empty(0, dtype=o.dtype)))[1],
    "cummax": lambda L, a, o: L.cummax(a, 0, out=(o, L.empty(0, dtype=L.int64)))[0],
    "cummin": lambda L, a, o: L.cummin(a, 0, out=(o, L.empty(0, dtype=L.int64)))[0],
    "logcumsumexp": lambda L, a, o: L.logcumsumexp(a, 0, out=o),
    "quantile": lambda L, a, o: L.quantile(a, 0.3, dim=0, out=o),
    "norm": lambda L, a, o: L.norm(a, dim=0, out=o),
    "linalg.vector_norm": lambda L, a, o: L.linalg.vector_norm(a, dim=0, out=o),
    "linalg.norm": lambda L, a, o: L.linalg.norm(a, out=o),
    "nan_to_num": lambda L, a, o: L.nan_to_num(a, out=o),
    "abs": lambda L, a, o: L.abs(a, out=o),
    "neg": lambda L, a, o: L.neg(a, out=o),
    "sign": lambda L, a, o: L.sign(a, out=o),
    "round": lambda L, a, o: L.round(a, out=o),
    "floor": lambda L, a, o: L.floor(a, out=o),
    "clamp": lambda L, a, o: L.clamp(a, 0, 1, out=o),
    "clamp tensor bounds": lambda L, a, o: L.clamp(a, min=L.zeros(2, dtype=a.dtype), out=o),
    "prod": lambda L, a, o: L.prod(a, 0, out=o),
    "cumsum": lambda L, a, o: L.cumsum(a, 0, out=o),
    "nansum": lambda L, a, o: L.nansum(a, 0, out=o),
    "sum": lambda L, a, o: L.sum(a, 0, out=o),
    "sum dtype and out": lambda L, a, o: L.sum(a, 0, dtype=L.float64, out=o),
    "mean": lambda L, a, o: L.mean(a, 0, out=o),
    "exp": lambda L, a, o: L.exp(a, out=o),
}


@pytest.mark.parametrize("name", sorted(OUT_DTYPE_CASES))
def test_which_out_dtypes_are_accepted(name):
    """Some functions take only an ``out`` of the result's dtype (each with its own message),
    sum/prod/cumsum/nansum compute in out's dtype, the others cast into it, as torch."""
    f = OUT_DTYPE_CASES[name]
    for in_dtype in ("bool", "uint8", "int64", "float16", "float32", "float64"):
        for out_dtype in ("bool", "uint8", "int32", "int64", "float16", "float32", "float64"):
            def fn(L):
                a = L.tensor([[1.5, -2.0], [0.0, 3.0]]).to(getattr(L, in_dtype))
                return f(L, a, L.empty(0, dtype=getattr(L, out_dtype)))
            assert_same_outcome(fn, rtol=1e-3)


@pytest.mark.parametrize("norm", [
    lambda m, x: x.norm(1), lambda m, x: x.norm(float("inf")),
    lambda m, x: m.linalg.vector_norm(x, ord=float("-inf")),
    lambda m, x: m.dist(x, m.zeros(3), p=1), lambda m, x: x.norm(3)])
def test_norm_gradients_stay_differentiable_as_torch(norm):
    """The first-order gradient of a 1-/∞-norm is a graph (its derivative 0), as torch's."""
    seen = []
    for m in (torch, tg):
        x = m.tensor([1.0, -2.0, 0.5], requires_grad=True)
        g, = m.autograd.grad(norm(m, x), x, create_graph=True)
        h, = m.autograd.grad((g * g).sum() + (x * x).sum(), x)
        seen.append((g.requires_grad, np.round(g.detach().numpy(), 6).tolist(),
                     np.round(h.detach().numpy(), 4).tolist()))
    assert seen[0] == seen[1]
