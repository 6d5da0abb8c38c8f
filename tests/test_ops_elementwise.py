"""Elementwise math against torch: one table of ops drives value, gradient for every input and
second order (float64, random shapes with broadcasting, size-1 and size-0 dims, inputs inside
each function's domain), float32 staying float32, integer and bool inputs (torch's result
dtype and values, or torch's error), special values (±inf, NaN, ±0: values and gradients,
signs of zeros included), ties and kinks, the bitwise ops on int8/int32/int64/uint8/bool, the
Python operators, the in-place variants and the errors torch raises for misuse.

A case is ``fn(lib, *tensors)``, run once with ``lib = tinygrad_sgd`` and once with
``lib = torch``."""
import itertools
import operator
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, autograd, tensor
from strategies import assert_same, check_against_torch, floats, to_numpy

D = dict                     # an input's domain: lo, hi, avoid, margin (see strategies.floats)
POS, UNIT, NONZERO = D(lo=0.1, hi=4.0), D(lo=-0.9, hi=0.9), D(avoid=(0.0,), margin=0.3)


class Op(NamedTuple):
    fn: Callable             # fn(lib, *tensors)
    domains: tuple           # one domain per input
    grad: bool = True        # False: compare values only (torch has no derivative)


UNARY = {
    "sin": Op(lambda lib, x: x.sin(), (D(),)),
    "cos": Op(lambda lib, x: lib.cos(x), (D(),)),
    "tan": Op(lambda lib, x: x.tan(), (D(lo=-1.3, hi=1.3),)),
    "asin": Op(lambda lib, x: lib.asin(x), (UNIT,)),
    "acos": Op(lambda lib, x: x.acos(), (UNIT,)),
    "atan": Op(lambda lib, x: lib.atan(x), (D(),)),
    "arcsin": Op(lambda lib, x: x.arcsin(), (UNIT,)),
    "sinh": Op(lambda lib, x: x.sinh(), (D(),)),
    "cosh": Op(lambda lib, x: lib.cosh(x), (D(),)),
    "tanh": Op(lambda lib, x: lib.tanh(x), (D(),)),
    "asinh": Op(lambda lib, x: x.asinh(), (D(),)),
    "acosh": Op(lambda lib, x: lib.acosh(x), (D(lo=1.1, hi=4.0),)),
    "atanh": Op(lambda lib, x: x.atanh(), (UNIT,)),
    "exp": Op(lambda lib, x: x.exp(), (D(),)),
    "log": Op(lambda lib, x: lib.log(x), (POS,)),
    "sqrt": Op(lambda lib, x: x.sqrt(), (POS,)),
    "log2": Op(lambda lib, x: lib.log2(x), (POS,)),
    "log10": Op(lambda lib, x: x.log10(), (POS,)),
    "log1p": Op(lambda lib, x: lib.log1p(x), (D(lo=-0.9, hi=3.0),)),
    "expm1": Op(lambda lib, x: x.expm1(), (D(),)),
    "exp2": Op(lambda lib, x: lib.exp2(x), (D(),)),
    "rsqrt": Op(lambda lib, x: x.rsqrt(), (POS,)),
    "reciprocal": Op(lambda lib, x: lib.reciprocal(x), (NONZERO,)),
    "square": Op(lambda lib, x: lib.square(x), (D(),)),
    "abs": Op(lambda lib, x: abs(x), (NONZERO,)),
    "neg": Op(lambda lib, x: -x, (D(),)),
    "pos": Op(lambda lib, x: +x, (D(),)),
    "sign": Op(lambda lib, x: x.sign(), (D(),)),
    "sgn": Op(lambda lib, x: lib.sgn(x), (D(),)),
    "floor": Op(lambda lib, x: x.floor(), (D(),)),
    "ceil": Op(lambda lib, x: lib.ceil(x), (D(),)),
    "trunc": Op(lambda lib, x: x.trunc(), (D(),)),
    "fix": Op(lambda lib, x: lib.fix(x), (D(),)),
    "frac": Op(lambda lib, x: x.frac(), (D(),)),
    "round": Op(lambda lib, x: lib.round(x), (D(),)),
    "round(decimals=2)": Op(lambda lib, x: x.round(decimals=2), (D(),)),
    "round(decimals=-1)": Op(lambda lib, x: lib.round(x * 40.0, decimals=-1), (D(),)),
    "nan_to_num": Op(lambda lib, x: lib.nan_to_num(x, nan=1.5), (D(),)),
    "clamp_min(0.5)": Op(lambda lib, x: x.clamp_min(0.5), (D(avoid=(0.5,)),)),
    "clamp_max(-1)": Op(lambda lib, x: lib.clamp_max(x, -1), (D(avoid=(-1.0,)),)),
    "x % 1.5": Op(lambda lib, x: x % 1.5, (D(),)),
    "x.remainder(-1.5)": Op(lambda lib, x: x.remainder(-1.5), (D(),)),
    "x.fmod(1.5)": Op(lambda lib, x: lib.fmod(x, 1.5), (D(),)),
    "copysign(x, -1.0)": Op(lambda lib, x: lib.copysign(x, -1.0), (NONZERO,)),
    "lerp(x, 2x, 0.3)": Op(lambda lib, x: lib.lerp(x, x * 2.0, 0.3), (D(),)),
    "lerp(x, 1-x, 0.8)": Op(lambda lib, x: x.lerp(1.0 - x, 0.8), (D(),)),
    "x // 0.7": Op(lambda lib, x: x // 0.7, (D(),), grad=False),
    "2.5 % x": Op(lambda lib, x: 2.5 % x, (NONZERO,), grad=False),
    "2.5 // x": Op(lambda lib, x: 2.5 // x, (NONZERO,), grad=False),
}

BINARY = {
    "atan2": Op(lambda lib, y, x: lib.atan2(y, x), (NONZERO, NONZERO)),
    "arctan2": Op(lambda lib, y, x: y.arctan2(x), (NONZERO, D(lo=0.2, hi=3.0))),
    "hypot": Op(lambda lib, x, y: lib.hypot(x, y), (NONZERO, D())),
    "copysign": Op(lambda lib, x, y: x.copysign(y), (NONZERO, NONZERO)),
    "logaddexp": Op(lambda lib, x, y: lib.logaddexp(x, y), (D(lo=-5.0, hi=5.0),) * 2),
    "maximum": Op(lambda lib, x, y: lib.maximum(x, y), (D(), D())),
    "minimum": Op(lambda lib, x, y: x.minimum(y), (D(), D())),
    "fmax": Op(lambda lib, x, y: x.fmax(y), (D(), D())),
    "fmin": Op(lambda lib, x, y: lib.fmin(x, y), (D(), D())),
    "remainder": Op(lambda lib, x, y: lib.remainder(x, y), (D(), NONZERO)),
    "x % y": Op(lambda lib, x, y: x % y, (D(), NONZERO)),
    "fmod": Op(lambda lib, x, y: x.fmod(y), (D(), NONZERO)),
    "div trunc": Op(lambda lib, x, y: lib.div(x, y, rounding_mode="trunc"), (D(), NONZERO)),
    "div floor": Op(lambda lib, x, y: x.div(y, rounding_mode="floor"), (D(), NONZERO)),
    "x // y": Op(lambda lib, x, y: x // y, (D(), NONZERO), grad=False),
    "floor_divide": Op(lambda lib, x, y: lib.floor_divide(x, y), (D(), NONZERO), grad=False),
    "lerp(x, y, 0.25)": Op(lambda lib, x, y: lib.lerp(x, y, 0.25), (D(), D())),
    "clamp(x, min=t)": Op(lambda lib, x, lo: lib.clamp(x, min=lo), (D(), D())),
    "clamp(x, max=t)": Op(lambda lib, x, hi: x.clamp(max=hi), (D(), D())),
    "clamp_min(x, t)": Op(lambda lib, x, lo: lib.clamp_min(x, lo), (D(), D())),
    "clamp_max(x, t)": Op(lambda lib, x, hi: x.clamp_max(hi), (D(), D())),
    "x ** y": Op(lambda lib, x, y: x ** y, (POS, D())),
}

TERNARY = {
    "lerp(x, y, w)": Op(lambda lib, x, y, w: lib.lerp(x, y, w), (D(), D(), D(lo=-1.0, hi=2.0))),
    "clamp(x, lo, hi)": Op(lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
                           (D(), D(lo=-3.0, hi=0.0), D(lo=0.0, hi=3.0))),
    "clip(x, lo, hi), lo > hi": Op(lambda lib, x, lo, hi: x.clip(lo, hi),
                                   (D(), D(lo=0.5, hi=3.0), D(lo=-3.0, hi=0.4))),
}

OPS = {**UNARY, **BINARY, **TERNARY}


def three_input_shapes(b):
    """Shapes for 2 inputs as drawn; for 3, the first gets the broadcast shape: torch's clamp
    backward with tensor bounds fails (an in-place broadcast) when x is smaller than the
    result, and on size-0 dims."""
    return b.input_shapes if len(b.input_shapes) < 3 else (b.result_shape,) + b.input_shapes[1:]


@st.composite
def case_arrays(draw, op, dtype=np.float64):
    """One array per input, shapes broadcasting together (size-0 and size-1 dims included)."""
    n = len(op.domains)
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3,
                                                    min_side=0 if n < 3 else 1, max_side=3))
    shapes = three_input_shapes(shapes)
    return tuple(draw(hnp.arrays(dtype, shape, elements=floats(**domain)))
                 for shape, domain in zip(shapes, op.domains))


@settings(max_examples=8)
@pytest.mark.parametrize("name", list(OPS))
@given(data=st.data())
def test_op_matches_torch(name, data):
    """float64: value, gradients and second order; the same values in float32 stay float32
    and agree within float32's precision."""
    op = OPS[name]
    arrs = data.draw(case_arrays(op))
    grad = [op.grad] * len(arrs)
    check_against_torch(op.fn, arrs, grad, rtol=1e-7, atol=1e-10, label=name)
    check_against_torch(op.fn, [a.astype(np.float32) for a in arrs], grad, rtol=2e-5,
                        atol=2e-5, second_order=False, label=f"{name} (float32)")


@pytest.mark.parametrize("name", ["x // y", "floor_divide", "x // 0.7", "2.5 // x"])
def test_floor_divide_has_no_derivative_as_torch(name):
    op = OPS[name]
    arrs = [np.array([2.5, -3.5]) for _ in op.domains]
    for lib, make in ((tg, tg.tensor), (torch, torch.tensor)):
        xs = [make(a, requires_grad=True) for a in arrs]
        out = op.fn(lib, *xs)
        assert out.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not "
                                               "implemented"):
            out.sum().backward()


# ============================================================================ dtypes
INT_DTYPES = [np.int64, np.int32, np.int8, np.uint8, np.bool_]


def run_both(fn, arrs):
    """``fn`` on tinygrad_sgd and on torch: (ours, theirs), or the exceptions they raised."""
    results = []
    for lib, make in ((tg, tg.tensor), (torch, torch.tensor)):
        try:
            results.append(fn(lib, *[make(np.array(a, copy=True)) for a in arrs]))
        except Exception as e:  # noqa: BLE001  (compared with torch's below)
            results.append(e)
    return results


def assert_like_torch(ours, theirs, what):
    """Same value and dtype — or the same exception class, with torch's message in ours."""
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"{what}: torch raised {theirs!r}, we returned {ours}"
        assert type(ours) is type(theirs) or isinstance(ours, type(theirs)), \
            f"{what}: {type(ours).__name__} where torch raises {type(theirs).__name__}"
        first = str(theirs).splitlines()[0]
        assert first in str(ours), f"{what}: message {str(ours)!r} lacks torch's {first!r}"
        return
    if isinstance(ours, Exception):
        raise AssertionError(f"{what}: we raised {ours!r}, torch gives {theirs}")
    assert_same(ours, theirs, rtol=1e-6, atol=1e-7, what=what)


INT_VALUES = {np.int64: [-7, 0, 3, 5, -1], np.int32: [-7, 0, 3, 5, -1],
              np.int8: [-7, 0, 3, 5, -1], np.uint8: [7, 0, 3, 250, 1],
              np.bool_: [True, False, True, True, False]}


@pytest.mark.parametrize("name", [n for n in OPS if n not in ("x ** y", "tanh")])
def test_integer_and_bool_inputs_follow_torch(name):
    op = OPS[name]
    for dtype in INT_DTYPES:
        arrs = [np.array(INT_VALUES[dtype][i:] + INT_VALUES[dtype][:i], dtype=dtype)
                for i in range(len(op.domains))]
        ours, theirs = run_both(op.fn, arrs)
        assert_like_torch(ours, theirs, f"{name} on {np.dtype(dtype).name}")


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_float_functions_of_activation_module_on_integers(name):
    """sigmoid and tanh of an integer tensor: float32 values, as torch (was int64 zeros)."""
    ours, theirs = run_both(lambda lib, x: getattr(lib, name)(x), [np.array([1, 2, -3])])
    assert ours.dtype == np.float32
    assert_like_torch(ours, theirs, name)


MIXED = {  # integer tensor ⊕ number, number ⊕ integer tensor, mixed dtypes
    "i * 2.5": lambda lib, i, j: i * 2.5, "i / j": lambda lib, i, j: i / j,
    "i // 2": lambda lib, i, j: i // 2, "7 // j": lambda lib, i, j: 7 // j,
    "i % j": lambda lib, i, j: i % j, "7 % j": lambda lib, i, j: 7 % j,
    "i ** 2": lambda lib, i, j: i ** 2, "i ** 0.5": lambda lib, i, j: i ** 0.5,
    "2 ** j": lambda lib, i, j: 2 ** j, "2.5 ** j": lambda lib, i, j: 2.5 ** j,
    "i ** j (negative j)": lambda lib, i, j: i ** -j, "i ** True": lambda lib, i, j: i ** True,
    "atan2(i, j)": lambda lib, i, j: lib.atan2(i, j),
    "maximum(i, j.double())": lambda lib, i, j: lib.maximum(i, j.double()),
    "div(i, j, trunc)": lambda lib, i, j: lib.div(i, j, rounding_mode="trunc"),
    "div(i, 2.5, floor)": lambda lib, i, j: lib.div(i, 2.5, rounding_mode="floor"),
    "clamp(i, 2.5)": lambda lib, i, j: lib.clamp(i, 2.5),
    "clamp(i, j)": lambda lib, i, j: lib.clamp(i, j),
    "clamp(i, j.float())": lambda lib, i, j: lib.clamp(i, j.float()),
    "clamp(i.float(), j.double())": lambda lib, i, j: lib.clamp(i.float(), j.double()),
    "copysign(i, -2)": lambda lib, i, j: lib.copysign(i, -2),
    "isclose(i, j)": lambda lib, i, j: lib.isclose(i, j),
    "i.float() + j.double()[0]": lambda lib, i, j: lib.maximum(i.float(), j.double()[0]),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_mixed_operands_follow_torch(name):
    for dtype in INT_DTYPES:
        i = np.array(INT_VALUES[dtype], dtype=dtype)
        j = np.array([2, 3, 1, 2, 5] if dtype is not np.bool_ else [True] * 5, dtype=dtype)
        if dtype is np.uint8 and "negative" in name:
            continue                                    # (no negative uint8)
        ours, theirs = run_both(MIXED[name], [i, j])
        assert_like_torch(ours, theirs, f"{name} on {np.dtype(dtype).name}")


def test_integer_division_by_zero_raises_as_torch():
    for fn in (lambda lib, i, z: i // z, lambda lib, i, z: i % z,
               lambda lib, i, z: lib.fmod(i, z), lambda lib, i, z: i.div(z, rounding_mode="trunc"),
               lambda lib, i, z: i // 0):
        ours, theirs = run_both(fn, [np.array([1, 2]), np.array([1, 0])])
        assert_like_torch(ours, theirs, "integer division by zero")
    assert (tg.tensor([1, 2]) / tg.tensor([0, 1])).tolist() == [float("inf"), 2.0]


# ============================================================================ special values
SPECIAL = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1.5, -2.5])


def assert_exactly(ours, theirs, what, signed_zeros=True):
    """Values equal as torch's: NaN where torch has NaN, infinities and (unless
    ``signed_zeros`` is False) the sign of zeros alike, finite values within float64
    rounding."""
    a, b = to_numpy(ours), to_numpy(theirs)
    assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: {a.dtype}{a.shape} vs " \
                                                     f"{b.dtype}{b.shape}"
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{what}: NaN")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, err_msg=what)
    if signed_zeros:
        zeros = (a == 0) & (b == 0)
        np.testing.assert_array_equal(np.signbit(a[zeros]), np.signbit(b[zeros]),
                                      err_msg=f"{what}: sign of zero")


def picks_among_ties(name):
    """Ops whose value at a tie of −0.0 and 0.0 (or lerp's at w = 1) is either zero: torch's
    own vectorised and scalar loops disagree there, so only those zeros' signs go unchecked."""
    return any(k in name for k in ("max", "min", "clamp", "clip", "lerp"))


def compare_with_gradients(fn, arrs, what, grad_out=None):
    signed_zeros = not picks_among_ties(what)
    ours = [tg.tensor(a, requires_grad=True) for a in arrs]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrs]
    out, ref = fn(tg, *ours), fn(torch, *theirs)
    assert_exactly(out, ref, f"{what}: value", signed_zeros)
    w = np.ones(ref.shape) if grad_out is None else grad_out
    out.backward(tensor(w))
    ref.backward(torch.tensor(w))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert_exactly(a.grad, b.grad, f"{what}: gradient w.r.t. input {i}", signed_zeros)


SPECIAL_UNARY = [n for n, op in UNARY.items() if op.grad]
SPECIAL_BINARY = [n for n, op in BINARY.items() if op.grad]


@pytest.mark.parametrize("name", SPECIAL_UNARY)
def test_special_values_unary(name):
    compare_with_gradients(UNARY[name].fn, [SPECIAL.copy()], name)


@pytest.mark.parametrize("name", SPECIAL_BINARY)
def test_special_values_binary(name):
    x, y = (np.array(v) for v in zip(*itertools.product(SPECIAL, SPECIAL)))
    compare_with_gradients(BINARY[name].fn, [x, y], name)


@pytest.mark.parametrize("name", list(TERNARY))
def test_special_values_ternary(name):
    few = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1.0, -1.0, 0.5])
    arrs = [np.array(v) for v in zip(*itertools.product(few, few, few))]
    compare_with_gradients(TERNARY[name].fn, arrs, name)


@pytest.mark.parametrize("name", ["floor", "round", "sign", "trunc", "div trunc", "abs",
                                  "nan_to_num", "frac", "maximum", "fmax", "copysign",
                                  "remainder", "clamp(x, min=t)"])
def test_infinite_incoming_gradient_masked_or_multiplied_as_torch(name):
    """torch returns zeros for round/floor/sign (not g·0, which is NaN for g = inf) and
    multiplies by a mask for abs and nan_to_num; ours must do the same."""
    op = OPS[name]
    arrs = [np.array([1.5, np.nan, 0.0, -2.0, 2.0]), np.array([2.0, 1.0, 0.0, 2.0, -1.0])]
    compare_with_gradients(op.fn, arrs[:len(op.domains)], name, np.full(5, np.inf))


TIES = st.sampled_from([-1.0, 0.0, -0.0, 1.0, np.nan, np.inf])


@settings(max_examples=12)
@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin", "clamp(x, min=t)",
                                  "clamp(x, max=t)", "clamp_min(x, t)",
                                  "clamp(x, lo, hi)", "clip(x, lo, hi), lo > hi",
                                  "copysign", "hypot", "atan2", "lerp(x, y, w)"])
@given(data=st.data())
def test_ties_and_kinks_follow_torch(name, data):
    """Ties (max/min split the gradient ½/½), NaN rules, values exactly at clamp's bounds,
    and the points where a derivative is a convention (atan2 and hypot at 0)."""
    op = OPS[name]
    shapes = three_input_shapes(data.draw(hnp.mutually_broadcastable_shapes(
        num_shapes=len(op.domains), max_dims=2, max_side=3)))
    arrs = [data.draw(hnp.arrays(np.float64, s, elements=TIES)) for s in shapes]
    compare_with_gradients(op.fn, arrs, name)


def test_maximum_tie_example():
    x, y = tg.tensor([1.0, 2.0, 3.0], requires_grad=True), tg.tensor([1.0, 1.0, 4.0],
                                                                      requires_grad=True)
    tg.maximum(x, y).sum().backward()
    assert x.grad.tolist() == [0.5, 1.0, 0.0] and y.grad.tolist() == [0.5, 0.0, 1.0]


# ============================================================================ bitwise
BITWISE = {"&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift,
           ">>": operator.rshift}
BITWISE_FNS = {"&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor",
               "<<": "bitwise_left_shift", ">>": "bitwise_right_shift"}


def int_arrays(dtype, shape):
    info = np.iinfo(dtype) if dtype is not np.bool_ else None
    elements = st.booleans() if info is None else st.integers(info.min, info.max)
    return hnp.arrays(dtype, shape, elements=elements)


@settings(max_examples=8)
@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", list(BITWISE))
@given(data=st.data())
def test_bitwise_ops_match_torch(op, dtype, data):
    sa, sb = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=0,
                                                         max_side=3)).input_shapes
    a = data.draw(int_arrays(dtype, sa))
    if op in ("<<", ">>") and dtype is not np.bool_:   # shifts past the width, and negative
        bits = np.dtype(dtype).itemsize * 8
        low = -2 if dtype is not np.uint8 else 0
        b = data.draw(hnp.arrays(dtype, sb, elements=st.integers(low, bits + 1)))
    else:
        b = data.draw(int_arrays(dtype, sb))
    scalar = data.draw(st.booleans() if dtype is np.bool_ else st.integers(0, 5))
    fn, name = BITWISE[op], BITWISE_FNS[op]
    for label, case in [("a op b", lambda lib, x, y: fn(x, y)),
                        ("function", lambda lib, x, y: getattr(lib, name)(x, y)),
                        ("method", lambda lib, x, y: getattr(x, name)(y)),
                        ("a op number", lambda lib, x, y: fn(x, scalar)),
                        ("number op b", lambda lib, x, y: fn(scalar, y))]:
        ours, theirs = run_both(case, [a, b])
        assert_like_torch(ours, theirs, f"{label} ({op}) on {np.dtype(dtype).name}")


@pytest.mark.parametrize("dtype", INT_DTYPES + [np.float32, np.float64],
                         ids=lambda d: np.dtype(d).name)
def test_invert_and_logical_ops_match_torch(dtype):
    a = np.array([0, 1, 5, 3, 0] if dtype is not np.bool_ else [1, 0, 1, 0, 1], dtype=dtype)
    b = np.array([1, 1, 0, 2, 0] if dtype is not np.bool_ else [1, 1, 0, 0, 1], dtype=dtype)
    for label, case in [("~a", lambda lib, x, y: ~x),
                        ("bitwise_not", lambda lib, x, y: lib.bitwise_not(x)),
                        ("logical_not", lambda lib, x, y: x.logical_not()),
                        ("logical_and", lambda lib, x, y: lib.logical_and(x, y)),
                        ("logical_or", lambda lib, x, y: x.logical_or(y)),
                        ("logical_xor", lambda lib, x, y: lib.logical_xor(x, y)),
                        ("a & b", lambda lib, x, y: x & y), ("a << 1", lambda lib, x, y: x << 1)]:
        ours, theirs = run_both(case, [a, b])
        assert_like_torch(ours, theirs, f"{label} on {np.dtype(dtype).name}")


def test_and_or_on_integer_tensors_are_bitwise_not_logical():
    """Regression: & and | on integers used to be logical (bool results)."""
    i, j = tg.tensor([6, 5, -1]), tg.tensor([3, 3, 12])
    assert (i & j).tolist() == [2, 1, 12] and (i & j).dtype == np.int64
    assert (i | j).tolist() == [7, 7, -1] and (i ^ j).tolist() == [5, 6, -13]
    assert (~i).tolist() == [-7, -6, 0] and (i << 2).tolist() == [24, 20, -4]
    m = tg.tensor([True, False, True])
    assert (m & tg.tensor([True, True, False])).tolist() == [True, False, False]
    assert (m | False).dtype == np.bool_ and (~m).tolist() == [False, True, False]


# ============================================================================ special-value tests
def test_isinf_isfinite_isnan_nan_to_num_match_torch():
    for dtype in (np.float32, np.float64, np.int64, np.uint8, np.bool_):
        a = SPECIAL.astype(dtype) if dtype in (np.float32, np.float64) else \
            np.array([0, 1, 2], dtype=dtype)
        for fn in ("isinf", "isfinite", "isposinf", "isneginf", "isnan", "nan_to_num"):
            ours, theirs = run_both(lambda lib, x: getattr(lib, fn)(x), [a])
            assert_like_torch(ours, theirs, f"{fn} on {np.dtype(dtype).name}")
    ours, theirs = run_both(lambda lib, x: lib.nan_to_num(x, nan=2.0, posinf=1e300, neginf=-3.0),
                            [SPECIAL.astype(np.float32)])
    assert_like_torch(ours, theirs, "nan_to_num with replacements, float32")


@settings(max_examples=20)
@given(data=st.data(), rtol=st.sampled_from([1e-5, 0.0, 0.1]),
       atol=st.sampled_from([1e-8, 0.0, 0.5]), equal_nan=st.booleans())
def test_isclose_allclose_match_torch(data, rtol, atol, equal_nan):
    sa, sb = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2)).input_shapes
    near = st.sampled_from([0.0, 1.0, 1.0 + 1e-6, 1.1, 1.5, np.nan, np.inf, -np.inf, 100.0,
                            100.001])
    for dtype in (np.float64, np.float32):
        a = data.draw(hnp.arrays(dtype, sa, elements=near))
        b = data.draw(hnp.arrays(dtype, sb, elements=near))
        for fn in ("isclose", "allclose"):
            ours, theirs = run_both(lambda lib, x, y: getattr(lib, fn)(
                x, y, rtol=rtol, atol=atol, equal_nan=equal_nan), [a, b])
            if fn == "allclose":
                assert ours == theirs and isinstance(ours, bool)
            else:
                assert_like_torch(ours, theirs, f"isclose {dtype}")
    ia = np.array([100000, 5, -3, 7]), np.array([100001, 5, -2, 9])
    ours, theirs = run_both(lambda lib, x, y: lib.isclose(x, y, rtol=rtol, atol=atol), ia)
    assert_like_torch(ours, theirs, "isclose int64")


# ============================================================================ Python protocol
def test_python_operators_with_tensors_on_either_side():
    x, tx = tg.tensor([5.5, -5.5, 3.0]), torch.tensor([5.5, -5.5, 3.0])
    i, ti = tg.tensor([7, -7, 3]), torch.tensor([7, -7, 3])
    for label, fn in [("abs", abs), ("//", lambda a: a // 2), ("r//", lambda a: 7 // a),
                      ("%", lambda a: a % 2), ("r%", lambda a: 7 % a), ("**", lambda a: a ** 2),
                      ("r**", lambda a: 2 ** a), ("pos", operator.pos),
                      ("t // t", lambda a: a // a), ("t % t", lambda a: a % (a + 10))]:
        assert_like_torch(fn(x), fn(tx), f"float {label}")
        assert_like_torch(fn(i), fn(ti), f"int {label}")


def test_round_builtin_rounds_halves_to_even():
    x = tg.tensor([2.5, 3.5, -0.5, 1.2345, 15.0])
    t = torch.tensor([2.5, 3.5, -0.5, 1.2345, 15.0])
    assert_same(round(x), torch.round(t))
    assert_same(round(x, 2), torch.round(t, decimals=2))
    assert_same(round(x, -1), torch.round(t, decimals=-1))
    assert round(tg.tensor([3, 4])).tolist() == [3, 4]


def test_integer_to_negative_integer_power_raises_as_torch():
    for fn in (lambda lib, i: i ** -1, lambda lib, i: i.pow(-2), lambda lib, i: lib.pow(i, -1),
               lambda lib, i: i.bool() ** -1):
        ours, theirs = run_both(fn, [np.array([1, 2, -1])])
        assert_like_torch(ours, theirs, "int ** negative int")
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not "
                                           "allowed."):
        tg.tensor([2]) ** -1
    assert (tg.tensor([1, -1, 2, -1]) ** tg.tensor([-1, -1, -1, -2])).tolist() == [1, -1, 0, 1]


@pytest.mark.parametrize("values,dtype", [([0.0], np.float32), ([3], np.int64), ([[True]], bool),
                                          (2.5, np.float64), (np.nan, np.float32),
                                          ([1.0, 2.0], np.float32), ([], np.float32)])
def test_bool_index_float_int_follow_torch(values, dtype):
    a = np.array(values, dtype=dtype)
    for fn in (bool, operator.index, lambda t: [10, 20, 30, 40][t]):
        ours, theirs = run_both(lambda lib, t: fn(t), [a])
        if isinstance(theirs, Exception):
            assert type(ours) is type(theirs)
            assert str(theirs).splitlines()[0] in str(ours)
        else:
            assert ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("spec", [".4f", "", ".2e", ">10", "d"])
@pytest.mark.parametrize("values", [1.23456, [1.23456], [[1.0, 2.0]], 3, [], -0.0])
def test_format_follows_torch(values, spec):
    ours, theirs = run_both(lambda lib, t: format(t, spec), [np.array(values)])
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs) and str(theirs) in str(ours)
    elif spec or np.ndim(values) == 0:
        assert ours == theirs
    else:                                   # an empty spec on a tensor with dims: its repr
        assert ours == repr(tg.tensor(np.array(values)))
    loss = tg.tensor(0.123456, requires_grad=True) * 2.0
    assert f"{loss:.4f}" == "0.2469"


# ============================================================================ in place
INPLACE = [  # (method, dtype, arguments (numbers, or 'same' for a tensor like self), kwargs)
    ("sin_", np.float64, (), {}), ("floor_", np.float64, (), {}), ("floor_", np.int64, (), {}),
    ("round_", np.float64, (), {"decimals": 1}), ("sign_", np.bool_, (), {}),
    ("frac_", np.float32, (), {}), ("rsqrt_", np.float64, (), {}), ("exp2_", np.float32, (), {}),
    ("clamp_", np.float64, ("same",), {}), ("clamp_min_", np.int64, (2,), {}),
    ("nan_to_num_", np.float64, (), {"nan": 2.0}), ("atan2_", np.float64, ("same",), {}),
    ("lerp_", np.float64, ("same", 0.3), {}), ("remainder_", np.int64, (3,), {}),
    ("fmod_", np.float64, (1.5,), {}), ("div_", np.int64, (2,), {"rounding_mode": "floor"}),
    ("__ifloordiv__", np.int64, (2,), {}), ("__ifloordiv__", np.float64, (0.7,), {}),
    ("__imod__", np.float64, (1.5,), {}), ("__imod__", np.int64, ("same",), {}),
    ("__iand__", np.int32, ("same",), {}), ("__ior__", np.int8, (6,), {}),
    ("__ixor__", np.bool_, ("same",), {}), ("__iand__", np.bool_, (True,), {}),
    ("__ilshift__", np.int64, (2,), {}), ("__irshift__", np.uint8, (1,), {}),
    ("bitwise_not_", np.int64, (), {}), ("logical_and_", np.float64, ("same",), {}),
    ("logical_not_", np.int64, (), {}), ("copysign_", np.float64, (-1.0,), {}),
    ("hypot_", np.float32, ("same",), {}), ("square_", np.int64, (), {}),
    ("trunc_", np.float64, (), {}), ("arctan_", np.float64, (), {}),
    # torch refuses: a float result into an integer tensor, an int into a bool one, ...
    ("sin_", np.int64, (), {}), ("__iand__", np.bool_, (3,), {}),
    ("__ilshift__", np.float32, (1,), {}), ("__ifloordiv__", np.int64, (2.5,), {}),
    ("__imod__", np.int64, (2.5,), {}), ("frac_", np.int64, (), {}),
]


@pytest.mark.parametrize("method,dtype,args,kwargs", INPLACE,
                         ids=[f"{m}-{np.dtype(d).name}" for m, d, _, _ in INPLACE])
def test_inplace_variants_match_torch_and_bump_the_version(method, dtype, args, kwargs):
    base = np.array([1.5, -2.5, 0.25, 7.0]) if np.dtype(dtype).kind == "f" else \
        np.array([1, 0, 3, 7])
    a, other = base.astype(dtype), (base[::-1] + 2).astype(dtype)
    results = []
    for make in (tg.tensor, torch.tensor):
        x = make(a.copy())
        xs = [make(other.copy()) if v == "same" else v for v in args]
        before = x._version
        try:
            out = getattr(x, method)(*xs, **kwargs)
        except Exception as e:  # noqa: BLE001
            results.append(e)
            continue
        assert out is x, f"{method} must return the tensor itself"
        results.append((x, x._version - before))
    (ours, theirs) = results
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert_like_torch(ours, theirs, method)
        return
    assert_like_torch(ours[0], theirs[0], method)
    assert ours[1] == theirs[1] == 1, f"{method}: version moved by {ours[1]}"


def test_inplace_in_graph_records_the_op():
    x = tg.tensor([0.5, 1.0, 2.0], requires_grad=True)
    tx = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y, ty = x * 1.0, tx * 1.0
    y.sin_().mul_(2.0)
    ty.sin_().mul_(2.0)
    y.sum().backward()
    ty.sum().backward()
    assert_same(x.grad, tx.grad)


# ============================================================================ errors
def T(lib, values, dtype=np.float32):
    """A tensor of ``lib`` (tinygrad_sgd or torch) from ``values``."""
    return lib.tensor(np.array(values, dtype=dtype))


ERRORS = [  # (misuse on lib, exception class, message part shared by torch and ours)
    ("float & float", lambda lib: T(lib, [1, 1]) & T(lib, [1, 1]), NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Float'"),
    ("int | float", lambda lib: T(lib, [1, 2], np.int64) | 2.5, NotImplementedError,
     "\"bitwise_or_cpu\" not implemented for 'Float'"),
    ("~float", lambda lib: ~T(lib, [1, 1]), TypeError,
     "~ (operator.invert) is only implemented on integer and Boolean-type tensors"),
    ("bitwise_not(float)", lambda lib: lib.bitwise_not(T(lib, [1, 1])), NotImplementedError,
     "\"bitwise_not_cpu\" not implemented for 'Float'"),
    ("bool << bool", lambda lib: T(lib, [1, 0], bool) << T(lib, [1, 1], bool),
     NotImplementedError, "\"lshift_cpu\" not implemented for 'Bool'"),
    ("float >> 1", lambda lib: T(lib, [1, 1]) >> 1, NotImplementedError,
     "\"rshift_cpu\" not implemented for 'Float'"),
    ("int ** -1", lambda lib: T(lib, [0, 1, 2], np.int64) ** -1, RuntimeError,
     "Integers to negative integer powers are not allowed."),
    ("clamp()", lambda lib: T(lib, [1, 1]).clamp(), RuntimeError,
     "At least one of 'min' or 'max' must not be None"),
    ("clip()", lambda lib: lib.clip(T(lib, [1, 1])), RuntimeError,
     "At least one of 'min' or 'max' must not be None"),
    ("-bool", lambda lib: -T(lib, [1, 0], bool), RuntimeError,
     "Negation, the `-` operator, on a bool tensor is not supported."),
    ("+bool", lambda lib: +T(lib, [1, 0], bool), RuntimeError,
     "The `+` operator, on a bool tensor is not supported."),
    ("bool - bool", lambda lib: T(lib, [1, 0], bool) - T(lib, [1, 1], bool),
     RuntimeError, "Subtraction, the `-` operator, with two bool tensors is not supported."),
    ("bool - 1", lambda lib: T(lib, [1, 0], bool) - 1, RuntimeError,
     "Subtraction, the `-` operator, with a bool tensor is not supported."),
    ("abs(bool)", lambda lib: abs(T(lib, [1, 0], bool)), NotImplementedError,
     "\"abs_cpu\" not implemented for 'Bool'"),
    ("int // 0", lambda lib: T(lib, [0, 1, 2], np.int64) // 0, RuntimeError, "ZeroDivisionError"),
    ("int % 0", lambda lib: T(lib, [1, 2], np.int64) % T(lib, [1, 0], np.int64), RuntimeError,
     "ZeroDivisionError"),
    ("bad rounding_mode", lambda lib: lib.div(T(lib, [1, 1]), 2, rounding_mode="round"),
     RuntimeError, "div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                   "found 'round'"),
    ("floor(bool)", lambda lib: lib.floor(T(lib, [1, 0], bool)), NotImplementedError,
     "\"floor_vml_cpu\" not implemented for 'Bool'"),
    ("frac(int)", lambda lib: T(lib, [0, 1], np.int64).frac(), NotImplementedError,
     "\"frac_cpu\" not implemented for 'Long'"),
    ("round(int, decimals)", lambda lib: T(lib, [0, 1], np.int64).round(decimals=1),
     NotImplementedError,
     "\"round_cpu\" not implemented for 'Long'"),
    ("hypot(int)", lambda lib: lib.hypot(T(lib, [0, 1], np.int64), T(lib, [0, 1], np.int64)),
     NotImplementedError,
     "\"hypot_cpu\" not implemented for 'Long'"),
    ("logaddexp(int8)", lambda lib: lib.logaddexp(T(lib, [1, 2], np.int8),
                                                  T(lib, [1, 2], np.int8)),
     NotImplementedError, "\"logaddexp_cpu\" not implemented for 'Char'"),
    ("remainder(bool)", lambda lib: lib.remainder(T(lib, [1, 0], bool),
                                                  T(lib, [1, 1], bool)),
     NotImplementedError, "\"remainder_cpu\" not implemented for 'Bool'"),
    ("maximum(t, 2)", lambda lib: lib.maximum(T(lib, [1, 1]), 2), TypeError,
     "must be Tensor, not int"),
    ("atan2(t, 2.0)", lambda lib: T(lib, [1, 1]).atan2(2.0), TypeError,
     "must be Tensor, not float"),
    ("logical_and(t, 1)", lambda lib: lib.logical_and(T(lib, [1, 1]), 1), TypeError,
     "must be Tensor, not int"),
    ("isclose(float, double)", lambda lib: lib.isclose(T(lib, [1, 1]), T(lib, [1, 1]).double()),
     RuntimeError, "Float did not match Double"),
    ("allclose(int, float)", lambda lib: lib.allclose(T(lib, [0, 1], np.int64), T(lib, [1, 1])),
     RuntimeError, "Long did not match Float"),
    ("isclose rtol < 0", lambda lib: lib.isclose(T(lib, [1, 1]), T(lib, [1, 1]), rtol=-1),
     RuntimeError, "rtol must be greater than or equal to zero, but got -1"),
    ("isclose atol < 0", lambda lib: lib.isclose(T(lib, [1, 1]), T(lib, [1, 1]), atol=-1),
     RuntimeError, "atol must be greater than or equal to zero, but got -1"),
    ("lerp(int)", lambda lib: lib.lerp(T(lib, [0, 1], np.int64), T(lib, [0, 1], np.int64), 0.5),
     NotImplementedError,
     "\"lerp_kernel_scalar\" not implemented for 'Long'"),
    ("lerp end dtype", lambda lib: lib.lerp(T(lib, [1, 1]), T(lib, [1, 1]).double(), 0.5),
     RuntimeError, "expected dtype float for `end` but got dtype double"),
    ("lerp weight dtype",
     lambda lib: lib.lerp(T(lib, [1, 1]), T(lib, [1, 1]), T(lib, [1, 1]).double()),
     RuntimeError, "expected dtype float for `weight` but got dtype double"),
    ("bool(tensor of 2)", lambda lib: bool(T(lib, [1, 1])), RuntimeError,
     "Boolean value of Tensor with more than one value is ambiguous"),
    ("bool(empty)", lambda lib: bool(T(lib, [])), RuntimeError,
     "Boolean value of Tensor with no values is ambiguous"),
    ("float index", lambda lib: [1, 2][T(lib, 1.0)], TypeError,
     "only integer tensors of a single element can be converted to an index"),
    ("format spec on 1-d", lambda lib: f"{T(lib, [1]):.4f}", TypeError,
     "unsupported format string passed to Tensor.__format__"),
    ("in-place float into int", lambda lib: T(lib, [0, 1, 2], np.int64).sqrt_(), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    ("in-place int into bool", lambda lib: T(lib, [1, 0], bool).__ior__(2),
     RuntimeError, "result type Long can't be cast to the desired output type Bool"),
]


@pytest.mark.parametrize("name,fn,exc,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_misuse_raises_torch_error(name, fn, exc, message):
    for lib in (torch, tg):
        with pytest.raises(exc) as info:
            fn(lib)
        assert message in str(info.value), f"{lib.__name__}: {info.value}"


def test_broadcast_mismatch_names_both_shapes():
    for fn in (lambda: tg.maximum(tg.ones(2, 3), tg.ones(4)),
               lambda: tg.ones(2, 3, dtype=tg.int64) & tg.ones(4, dtype=tg.int64),
               lambda: tg.logical_or(tg.ones(2, 3), tg.ones(4)),
               lambda: tg.isclose(tg.ones(2, 3), tg.ones(4)),
               lambda: tg.clamp(tg.ones(2, 3), tg.ones(4))):
        with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
            fn()


# ============================================================================ the API surface
def test_every_function_is_at_the_top_level_and_a_method_where_torch_has_one():
    from tinygrad_sgd.functions import math as fmath
    names = fmath.__all__ + ["floor_divide", "remainder", "fmod", "square", "positive",
                             "negative", "clamp_min", "clamp_max", "absolute", "divide"]
    for name in names:
        assert callable(getattr(tg, name)), name
        if hasattr(torch.Tensor, name):
            assert getattr(Tensor, name) is getattr(tg, name), name
    for name in ("floor_", "sin_", "bitwise_and_", "__iand__", "__ilshift__", "__imod__",
                 "__ifloordiv__", "clamp_min_", "nan_to_num_", "lerp_", "round_"):
        assert hasattr(Tensor, name), name


def test_gradients_through_autograd_grad_are_differentiable_again():
    """Third order through a chain of the new ops (each backward is Tensor operations)."""
    a, t = tg.tensor([0.3, -0.7], requires_grad=True), torch.tensor([0.3, -0.7],
                                                                   requires_grad=True)
    out = [lib.atan2(lib.sinh(x), lib.hypot(x, x + 1.0)).log1p().sum() for lib, x in
           ((tg, a), (torch, t))]
    g = [autograd.grad(out[0], [a], create_graph=True)[0],
         torch.autograd.grad(out[1], [t], create_graph=True)[0]]
    h = [autograd.grad(g[0].sum(), [a], create_graph=True)[0],
         torch.autograd.grad(g[1].sum(), [t], create_graph=True)[0]]
    k = [autograd.grad(h[0].sum(), [a])[0], torch.autograd.grad(h[1].sum(), [t])[0]]
    for ours, theirs in (g, h, k):
        assert_same(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weight", ["tensor", 0.3, 0.7, -0.2, 1.5])
def test_float32_lerp_is_bit_exact_with_torch(weight):
    """torch's CPU lerp rounds once (a fused multiply-add); ours too, for float32 (float64:
    within an ulp)."""
    rng = np.random.default_rng(0)
    a, b, w = (rng.standard_normal(20_000).astype(np.float32) for _ in range(3))
    tw, ow = (torch.tensor(w), tg.tensor(w)) if weight == "tensor" else (weight, weight)
    want = torch.lerp(torch.tensor(a), torch.tensor(b), tw).numpy()
    got = tg.lerp(tg.tensor(a), tg.tensor(b), ow).numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("p", [0.5, -0.5, 1.5, -1.5, 2, 3, -1, -2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_by_a_number_at_the_edges_as_torch(p, dtype):
    """x ** 0.5 and x ** -0.5 are sqrt and 1/sqrt in torch's kernel: (−inf)^½ is NaN, (−0)^½
    is −0, and their gradients (through x^(p−1)) follow; NumPy's pow gives inf and 0 there."""
    a = np.array([-np.inf, -1.0, -0.0, 0.0, 1e-30, 4.0, np.inf, np.nan], dtype)
    t, o = torch.tensor(a, requires_grad=True), tg.tensor(a, requires_grad=True)
    tv, ov = t ** p, o ** p
    tv.sum().backward()
    ov.sum().backward()
    want = tv.detach().numpy()
    np.testing.assert_array_equal(ov.numpy(), want)
    assert (np.signbit(ov.numpy()) == np.signbit(want))[~np.isnan(want)].all()
    np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-6)
