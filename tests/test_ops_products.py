"""einsum, outer/ger, dot, mv, bmm, baddbmm, addmm, addmv, addr, tensordot and kron against torch.

One table of cases drives value, gradient w.r.t. every input and second order (float64, then
float32 staying float32): equations with one, two and three operands, implicit outputs,
ellipsis (broadcast, in the middle, summed away), diagonals, size-1 dims that broadcast, size-0
dims, the list and sublist forms; each product with its method form, β/α and a broadcast input.
Then: β = 0 ignores a NaN input as torch, integer and bool dtypes (torch's result dtype or its
refusal), mixed float dtypes, the error class and message torch gives for each misuse, and
random einsum equations (hypothesis: diagonals, broadcasting, ellipsis, implicit outputs; float
values and gradients, NumPy's optimized path too; integer/bool result dtypes or refusals).

A case is ``fn(lib, *tensors)``, run once with ``lib = tinygrad_sgd`` and once with ``lib =
torch``.

(house: long file — the one test file of the products surface: mostly tables, a line a case.)
"""
import math
from unittest import mock
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd.ops import products as product_ops
from strategies import assert_same, check_against_torch


class Case(NamedTuple):
    label: str
    fn: Callable
    shapes: tuple


def E(eq, *shapes):
    return Case(f"einsum({eq!r})", lambda lib, *t: lib.einsum(eq, *t), shapes)


CASES = [
    E("ij,jk->ik", (3, 4), (4, 5)), E("ij,jk", (3, 4), (4, 5)), E("ij->ji", (3, 4)),
    E("ij->", (3, 4)), E("ij->j", (3, 4)), E("ba", (3, 4)), E("ii->i", (3, 3)), E("ii", (3, 3)),
    E("ii->", (3, 3)), E("iij->ji", (3, 3, 2)), E("iii->i", (2, 2, 2)), E("i,i->", (4,), (4,)),
    E("i,j->ij", (3,), (4,)), E("i,j", (3,), (2,)), E("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
    E("...ij,...jk->...ik", (2, 1, 3, 4), (5, 4, 2)), E("...ij,...jk", (2, 1, 3, 4), (5, 4, 2)),
    E("i...->...", (2, 3, 4)), E("i...j->ji...", (2, 3, 4, 5)), E("i...j", (2, 3, 4, 5)),
    E("...->", (2, 3)), E("...ij->ij", (2, 3, 4)), E("i...j->ij", (2, 5)),
    E("ij,ij->ij", (1, 3), (2, 3)), E("ij,jk->ik", (2, 1), (3, 4)),
    E("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)), E("i,i,i->", (3,), (3,), (3,)),
    E("i,i,i->i", (3,), (3,), (3,)), E("ij,k->i", (3, 2), (4,)),
    E("bn,anm,bm->ba", (2, 3), (4, 3, 5), (2, 5)), E(",i->i", (), (3,)), E("->", ()),
    E("ii,i->i", (3, 3), (3,)), E("ij,jk->ik", (3, 0), (0, 5)), E("ij->j", (0, 3)),
    E("ij,jk->ik", (1, 1), (1, 1)), E(" i j , j k -> i k ", (3, 4), (4, 5)),
    E("iJ,Jk->ik", (3, 4), (4, 2)), E("ab,cd->dcba", (2, 1), (3, 2)),
    E("bhqd,bhkd->bhqk", (2, 2, 3, 4), (2, 2, 5, 4)),
    Case("einsum(eq, [a, b])", lambda lib, a, b: lib.einsum("ij,jk", [a, b]), ((3, 4), (4, 2))),
    Case("einsum(eq, (a,))", lambda lib, a: lib.einsum("ij->i", (a,)), ((3, 4),)),
    Case("einsum sublists", lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]),
         ((3, 4), (4, 2))),
    Case("einsum sublists ...", lambda lib, a, b: lib.einsum(a, [..., 0], b, [..., 0], [...]),
         ((2, 3), (4, 2, 3))),
    Case("outer", lambda lib, x, y: lib.outer(x, y), ((3,), (4,))),
    Case("x.outer(y) size 0", lambda lib, x, y: x.outer(y), ((0,), (2,))),
    Case("ger", lambda lib, x, y: lib.ger(x, y), ((3,), (1,))),
    Case("x.ger(y)", lambda lib, x, y: x.ger(y), ((2,), (3,))),
    Case("dot", lambda lib, x, y: lib.dot(x, y), ((5,), (5,))),
    Case("x.dot(y)", lambda lib, x, y: x.dot(y), ((1,), (1,))),
    Case("dot size 0", lambda lib, x, y: lib.dot(x, y), ((0,), (0,))),
    Case("mv", lambda lib, m, v: lib.mv(m, v), ((3, 4), (4,))),
    Case("m.mv(v)", lambda lib, m, v: m.mv(v), ((1, 1), (1,))),
    Case("mv size 0", lambda lib, m, v: lib.mv(m, v), ((2, 0), (0,))),
    # (..., k) @ (k, n): one product over the folded leading dims, Y's gradient one product
    Case("matmul 3-D @ 2-D", lambda lib, a, b: lib.matmul(a, b), ((2, 3, 4), (4, 5))),
    Case("matmul 4-D @ 2-D", lambda lib, a, b: a @ b, ((2, 1, 3, 4), (4, 2))),
    Case("matmul transposed 3-D @ 2-D", lambda lib, a, b: a.transpose(0, 1) @ b,
         ((3, 2, 4), (4, 5))),
    Case("matmul 3-D @ 2-D size 0", lambda lib, a, b: a @ b, ((2, 0, 4), (4, 3))),
    Case("matmul 3-D @ 2-D k = 0", lambda lib, a, b: a @ b, ((2, 3, 0), (0, 3))),
    Case("bmm", lambda lib, a, b: lib.bmm(a, b), ((2, 3, 4), (2, 4, 5))),
    Case("a.bmm(b) size 1", lambda lib, a, b: a.bmm(b), ((1, 3, 1), (1, 1, 2))),
    Case("bmm size 0", lambda lib, a, b: lib.bmm(a, b), ((2, 0, 3), (2, 3, 4))),
    Case("baddbmm", lambda lib, x, a, b: lib.baddbmm(x, a, b), ((2, 3, 5), (2, 3, 4), (2, 4, 5))),
    Case("baddbmm β α, input (5,)", lambda lib, x, a, b: lib.baddbmm(x, a, b, beta=0.5, alpha=-2),
         ((5,), (2, 3, 4), (2, 4, 5))),
    Case("x.baddbmm β=0, input (3, 1)", lambda lib, x, a, b: x.baddbmm(a, b, beta=0),
         ((3, 1), (2, 3, 4), (2, 4, 5))),
    Case("baddbmm input 0-d α=0", lambda lib, x, a, b: lib.baddbmm(x, a, b, alpha=0),
         ((), (2, 3, 4), (2, 4, 5))),
    Case("addmm", lambda lib, x, a, b: lib.addmm(x, a, b), ((3, 5), (3, 4), (4, 5))),
    Case("addmm β α, input (5,)", lambda lib, x, a, b: lib.addmm(x, a, b, beta=2, alpha=0.5),
         ((5,), (3, 4), (4, 5))),
    Case("x.addmm input (3, 1)", lambda lib, x, a, b: x.addmm(a, b, beta=-1),
         ((3, 1), (3, 4), (4, 5))),
    Case("addmm input 0-d, k = 0", lambda lib, x, a, b: lib.addmm(x, a, b), ((), (3, 0), (0, 2))),
    Case("addmv", lambda lib, x, m, v: lib.addmv(x, m, v, beta=0.5, alpha=3),
         ((3,), (3, 4), (4,))),
    Case("x.addmv input (1,)", lambda lib, x, m, v: x.addmv(m, v), ((1,), (3, 4), (4,))),
    Case("addmv input 0-d β=0", lambda lib, x, m, v: lib.addmv(x, m, v, beta=0),
         ((), (3, 4), (4,))),
    Case("addr", lambda lib, x, u, v: lib.addr(x, u, v, beta=2, alpha=-0.5), ((3, 4), (3,), (4,))),
    Case("x.addr input (4,)", lambda lib, x, u, v: x.addr(u, v), ((4,), (3,), (4,))),
    Case("addr input 0-d β=0", lambda lib, x, u, v: lib.addr(x, u, v, beta=0), ((), (3,), (4,))),
    Case("tensordot", lambda lib, a, b: lib.tensordot(a, b), ((2, 3, 4), (3, 4, 5))),
    Case("tensordot dims=0", lambda lib, a, b: lib.tensordot(a, b, dims=0), ((2, 3), (2,))),
    Case("tensordot 1", lambda lib, a, b: lib.tensordot(a, b, 1), ((2, 3, 4), (4, 5))),
    Case("tensordot pair", lambda lib, a, b: lib.tensordot(a, b, ([1, 2], [0, 1])),
         ((2, 3, 4), (3, 4, 5))),
    Case("tensordot negative", lambda lib, a, b: lib.tensordot(a, b, ((-1, 0), (0, 2))),
         ((2, 3, 4), (4, 5, 2))),
    Case("tensordot list of lists", lambda lib, a, b: lib.tensordot(a, b, [[2, 0], [0, 2]]),
         ((2, 3, 4), (4, 5, 2))),
    Case("tensordot tensor dims", lambda lib, a, b: lib.tensordot(a, b, lib.tensor(1)),
         ((2, 3), (3, 2))),
    Case("tensordot 2-D tensor dims", lambda lib, a, b: lib.tensordot(a, b, lib.tensor([[1], [0]])),
         ((2, 3), (3, 2))),
    Case("tensordot broadcast 1", lambda lib, a, b: lib.tensordot(a, b, ([1], [0])),
         ((2, 1), (3, 4))),
    Case("tensordot size 0", lambda lib, a, b: lib.tensordot(a, b, 1), ((2, 0), (0, 3))),
    Case("kron", lambda lib, a, b: lib.kron(a, b), ((2, 3), (4, 5))),
    Case("a.kron(b) ranks differ", lambda lib, a, b: a.kron(b), ((3,), (2, 2))),
    Case("kron 0-d", lambda lib, a, b: lib.kron(a, b), ((), (2, 2))),
    Case("kron 3-d", lambda lib, a, b: lib.kron(a, b), ((2, 1, 2), (1, 3, 2))),
    Case("kron size 0", lambda lib, a, b: lib.kron(a, b), ((2, 0), (3, 2))),
]


def arrays_for(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2, 2, s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_value_gradient_and_second_order_float64(case):
    check_against_torch(case.fn, arrays_for(case.shapes, np.float64), label=case.label)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_float32_stays_float32(case):
    check_against_torch(case.fn, arrays_for(case.shapes, np.float32), rtol=1e-4, atol=1e-5,
                        label=case.label)


def test_mixed_float_dtypes_promote_where_torch_does():
    """Einsum's elementwise steps, outer, addr and kron promote; gradients keep each dtype."""
    for fn, shapes in [(lambda lib, a, b: lib.einsum("i,i->i", a, b), ((3,), (3,))),
                       (lambda lib, a, b: lib.einsum("i,j->ij", a, b), ((3,), (2,))),
                       (lambda lib, a, b: lib.outer(a, b), ((3,), (2,))),
                       (lambda lib, a, b: lib.kron(a, b), ((3,), (2,)))]:
        arrs = arrays_for(shapes, np.float32)
        arrs[-1] = arrs[-1].astype(np.float64)
        check_against_torch(fn, arrs, rtol=1e-5, atol=1e-6)
    # an integer operand: the float one still gets its gradient, in its dtype
    for eq in ("i,i->i", "i,j->ij"):
        check_against_torch(lambda lib, a, b: lib.einsum(eq, a, b),
                            [np.array([1, -2, 3]), arrays_for([(3,)], np.float32)[0]],
                            rtol=1e-6, atol=1e-6)
    # addr: the value only (torch's own backward of a mixed addr fails inside its mv)
    arrs = arrays_for(((3, 2), (3,), (2,)), np.float32)
    arrs[-1] = arrs[-1].astype(np.float64)
    check_against_torch(lambda lib, x, a, b: lib.addr(x, a, b), arrs, grad=[False] * 3)


# ============================================================================ β = 0 and NaN
@pytest.mark.parametrize("name, shapes", [
    ("addmm", ((3, 5), (3, 4), (4, 5))), ("baddbmm", ((2, 3, 5), (2, 3, 4), (2, 4, 5))),
    ("addmv", ((3,), (3, 4), (4,))), ("addr", ((3, 4), (3,), (4,)))])
def test_beta_zero_ignores_nan_in_input_as_torch(name, shapes):
    x, a, b = arrays_for(shapes, np.float64)
    x[...] = math.nan
    check_against_torch(lambda lib, x, a, b: getattr(lib, name)(x, a, b, beta=0), [x, a, b])
    x_inf_alpha0 = arrays_for(shapes, np.float64)
    x_inf_alpha0[1][0] = math.inf   # α = 0 still multiplies: inf·0 is NaN, as torch
    check_against_torch(lambda lib, x, a, b: getattr(lib, name)(x, a, b, alpha=0),
                        x_inf_alpha0, second_order=False)


# ============================================================================ integer dtypes
def _int_case(label, fn, *arrays):
    return pytest.param(fn, arrays, id=label)


I3 = np.arange(9).reshape(3, 3) - 4
V3 = np.array([2, -1, 3])
INT_CASES = []
for dt in (np.int32, np.uint8, np.int16, np.bool_, np.int64):
    m, v = I3.astype(dt), V3.astype(dt)
    for eq, ops in [("ij->ji", (m,)), ("ii->i", (m,)), ("ii->", (m,)), ("ij->i", (m,)),
                    ("i,i->i", (v, v)), ("i,j->ij", (v, v)), ("i,i->", (v, v)),
                    ("ij,j->i", (m, v)), ("ij,k->i", (m, v)), ("ij,jk,kl->il", (m, m, m)),
                    ("i,i,i->", (v, v, v)), ("i,i,i->i", (v, v, v)),
                    ("ij->i", (m[:, :1],)), ("ij,k->i", (m[:, :1], v[:1])),
                    ("ij,jk->ik", (m[:, :0], m[:0]))]:
        INT_CASES.append(_int_case(f"einsum {eq} {np.dtype(dt).name}",
                                   lambda lib, *t, eq=eq: lib.einsum(eq, *t), *ops))
    for name, fn, arrs in [
            ("outer", lambda lib, a, b: lib.outer(a, b), (v, v)),
            ("dot", lambda lib, a, b: lib.dot(a, b), (v, v)),
            ("mv", lambda lib, a, b: lib.mv(a, b), (m, v)),
            ("bmm", lambda lib, a, b: lib.bmm(a, b), (m[None], m[None])),
            ("addmm", lambda lib, x, a, b: lib.addmm(x, a, b, beta=2, alpha=3), (m, m, m)),
            ("addmm float β α truncated", lambda lib, x, a, b: lib.addmm(x, a, b, beta=0.5,
                                                                           alpha=2.7), (m, m, m)),
            ("baddbmm", lambda lib, x, a, b: lib.baddbmm(x, a, b, beta=2.5, alpha=1.7),
             (m, m[None], m[None])),
            ("addmv", lambda lib, x, a, b: lib.addmv(x, a, b, beta=-1), (v, m, v)),
            ("addr", lambda lib, x, a, b: lib.addr(x, a, b, beta=2, alpha=3), (m, v, v)),
            ("addr bool α", lambda lib, x, a, b: lib.addr(x, a, b, alpha=True), (m, v, v)),
            ("addr β=0", lambda lib, x, a, b: lib.addr(x, a, b, beta=0), (m, v, v)),
            ("addr float β", lambda lib, x, a, b: lib.addr(x, a, b, beta=0.5), (m, v, v)),
            ("tensordot", lambda lib, a, b: lib.tensordot(a, b, 1), (m, v)),
            ("kron", lambda lib, a, b: lib.kron(a, b), (m, v))]:
        INT_CASES.append(_int_case(f"{name} {np.dtype(dt).name}", fn, *arrs))
INT_CASES += [
    _int_case("einsum int32 with int64", lambda lib, a, b: lib.einsum("i,i->", a, b),
              V3.astype(np.int32), V3),
    _int_case("einsum int32 * int64 elementwise", lambda lib, a, b: lib.einsum("i,i->i", a, b),
              V3.astype(np.int32), V3),
    _int_case("einsum int * float elementwise", lambda lib, a, b: lib.einsum("i,i->i", a, b),
              V3, V3.astype(np.float32)),
    _int_case("einsum int @ float", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b),
              I3, I3.astype(np.float32)),
    _int_case("outer int * float", lambda lib, a, b: lib.outer(a, b), V3, V3.astype(np.float32)),
    _int_case("kron int32 * float", lambda lib, a, b: lib.kron(a, b), V3.astype(np.int32),
              V3.astype(np.float32)),
    _int_case("addr int32 + int64", lambda lib, x, a, b: lib.addr(x, a, b), I3.astype(np.int32),
              V3, V3),
    _int_case("addr int + float", lambda lib, x, a, b: lib.addr(x, a, b), I3, V3,
              V3.astype(np.float32)),
    _int_case("addr 0-d float64 input, float32 vectors", lambda lib, x, a, b: lib.addr(x, a, b),
              np.array(1.5), V3.astype(np.float32), V3.astype(np.float32)),
    _int_case("kron 0-d float64, float32", lambda lib, a, b: lib.kron(a, b), np.array(1.5),
              V3.astype(np.float32)),
    _int_case("outer int32, float64", lambda lib, a, b: lib.outer(a, b), V3.astype(np.int32),
              V3.astype(np.float64)),
    _int_case("addmm tensor β α", lambda lib, x, a, b: lib.addmm(x, a, b, beta=lib.tensor(2.0),
                                                                  alpha=lib.tensor(3)),
              I3.astype(np.float32), I3.astype(np.float32), I3.astype(np.float32)),
    _int_case("einsum float16", lambda lib, a, b: lib.einsum("i,i", a, b),
              V3.astype(np.float16), V3.astype(np.float16)),
    _int_case("einsum zero-size int32 @ int32", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b),
              np.zeros((3, 0), np.int32), np.zeros((0, 2), np.int32)),
]


@pytest.mark.parametrize("fn, arrays", INT_CASES)
def test_integer_and_bool_dtypes_as_torch(fn, arrays):
    """The same dtype and value as torch, or the same refusal (class and message)."""
    ours, theirs = _outcome(fn, tg, arrays), _outcome(fn, torch, arrays)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {theirs!r}, we returned {ours}"
        assert isinstance(ours, type(theirs)) and str(ours) == str(theirs), (ours, theirs)
    else:
        assert not isinstance(ours, Exception), f"we raised {ours!r}, torch gave {theirs}"
        assert_same(ours, theirs)


def _outcome(fn, lib, arrays):
    tensors = [lib.tensor(np.array(a, copy=True)) for a in arrays]
    try:
        return fn(lib, *tensors)
    except Exception as e:   # noqa: BLE001  (compared with torch's)
        return e


# ============================================================================ misuse
A34, B45, V3_, V4 = (3, 4), (4, 5), (3,), (4,)
ERRORS = [
    ("einsum no operand", lambda lib: lib.einsum("ij"), ()),
    ("einsum empty operand list", lambda lib: lib.einsum("ij", []), ()),
    ("einsum too few operands", lambda lib, a: lib.einsum("ij,jk->ik", a), (A34,)),
    ("einsum too many operands", lambda lib, a, b: lib.einsum("ij->ij", a, b), (A34, B45)),
    ("einsum bad letter", lambda lib, a: lib.einsum("i1->i", a), (A34,)),
    ("einsum bad output letter", lambda lib, a: lib.einsum("ij->i1", a), (A34,)),
    ("einsum two arrows", lambda lib, a: lib.einsum("ij->i->j", a), (A34,)),
    ("einsum '-' without '>'", lambda lib, a: lib.einsum("ij-i", a), (A34,)),
    ("einsum too many labels", lambda lib, a: lib.einsum("ijk->i", a), (A34,)),
    ("einsum too few labels", lambda lib, a: lib.einsum("i->i", a), (A34,)),
    ("einsum labels > dims with ...", lambda lib, a: lib.einsum("ijk...->i", a), (A34,)),
    ("einsum two ellipses", lambda lib, a: lib.einsum("...i...->i", a), (A34,)),
    ("einsum '..'", lambda lib, a: lib.einsum("..i->i", a), (A34,)),
    ("einsum '.' in output", lambda lib, a: lib.einsum("ij->i.", a), (A34,)),
    ("einsum two ellipses in output", lambda lib, a: lib.einsum("...i->......", a), (A34,)),
    ("einsum output repeated", lambda lib, a: lib.einsum("ij->ii", a), (A34,)),
    ("einsum output label unknown", lambda lib, a: lib.einsum("ij->k", a), (A34,)),
    ("einsum sizes differ", lambda lib, a, b: lib.einsum("ij,ij->ij", a, b), (A34, B45)),
    ("einsum diagonal sizes differ", lambda lib, a: lib.einsum("ii->i", a), (A34,)),
    ("einsum ellipsis sizes differ", lambda lib, a, b: lib.einsum("...i,...i->...", a, b),
     ((2, 3), (4, 3))),
    ("einsum equation not a str", lambda lib, a: lib.einsum(3, a), (A34,)),
    ("einsum operand not a tensor", lambda lib: lib.einsum("ij", [[1.0, 2.0]]), ()),
    ("einsum sublist out of range", lambda lib, a: lib.einsum(a, [0, 60]), (A34,)),
    ("einsum float32 @ float64", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b.double()),
     (A34, B45)),
    ("einsum bool contraction", lambda lib, a, b: lib.einsum("ij,jk->ik", a.bool(), b.bool()),
     (A34, B45)),
    ("outer 2-D", lambda lib, a, b: lib.outer(a, b), (A34, V4)),
    ("outer 0-D vec2", lambda lib, a, b: lib.outer(a, b), (V4, ())),
    ("ger 2-D", lambda lib, a, b: lib.ger(b, a), (A34, V4)),
    ("outer not a tensor", lambda lib, a: lib.outer(a, [1.0]), (V4,)),
    ("dot 2-D", lambda lib, a, b: lib.dot(a, b), (A34, V4)),
    ("dot 0-D", lambda lib, a, b: lib.dot(a, b), ((), ())),
    ("dot sizes", lambda lib, a, b: lib.dot(a, b), (V3_, V4)),
    ("dot dtypes", lambda lib, a, b: lib.dot(a, b.double()), (V4, V4)),
    ("dot long and float", lambda lib, a, b: lib.dot(a.long(), b), (V4, V4)),
    ("dot bool", lambda lib, a, b: lib.dot(a.bool(), b.bool()), (V4, V4)),
    ("dot not a tensor", lambda lib, a: lib.dot(a, [1.0]), (V4,)),
    ("mv sizes", lambda lib, m, v: lib.mv(m, v), (A34, V3_)),
    ("mv 1-D matrix", lambda lib, m, v: lib.mv(m, v), (V4, V4)),
    ("mv 2-D vector", lambda lib, m, v: lib.mv(m, v), (A34, (4, 1))),
    ("mv dtypes", lambda lib, m, v: lib.mv(m, v.double()), (A34, V4)),
    ("mv bool", lambda lib, m, v: lib.mv(m.bool(), v.bool()), (A34, V4)),
    ("bmm 2-D", lambda lib, a, b: lib.bmm(a, b), (A34, (2, 4, 5))),
    ("bmm 2-D mat2", lambda lib, a, b: lib.bmm(a, b), ((2, 3, 4), B45)),
    ("bmm 4-D", lambda lib, a, b: lib.bmm(a, b), ((1, 2, 3, 4), (2, 4, 5))),
    ("bmm inner sizes", lambda lib, a, b: lib.bmm(a, b), ((2, 3, 4), (2, 3, 4))),
    ("bmm batch sizes", lambda lib, a, b: lib.bmm(a, b), ((2, 3, 4), (3, 4, 5))),
    ("bmm dtypes", lambda lib, a, b: lib.bmm(a, b.double()), ((2, 3, 4), (2, 4, 5))),
    ("bmm bool", lambda lib, a, b: lib.bmm(a.bool(), b.bool()), ((2, 3, 4), (2, 4, 5))),
    ("baddbmm input does not broadcast", lambda lib, x, a, b: lib.baddbmm(x, a, b),
     (V4, (2, 3, 4), (2, 4, 5))),
    ("baddbmm input 4-D", lambda lib, x, a, b: lib.baddbmm(x, a, b),
     ((1, 2, 3, 5), (2, 3, 4), (2, 4, 5))),
    ("baddbmm batch1 2-D", lambda lib, x, a, b: lib.baddbmm(x, a, b),
     ((2, 3, 5), (3, 3), (2, 4, 5))),
    ("baddbmm batch2 2-D", lambda lib, x, a, b: lib.baddbmm(x, a, b),
     ((2, 3, 5), (2, 3, 4), (4, 5))),
    ("baddbmm batch1 1-D", lambda lib, x, a, b: lib.baddbmm(x, a, b),
     ((2, 3, 5), (3,), (2, 4, 5))),
    ("baddbmm batch2 4-D", lambda lib, x, a, b: lib.baddbmm(x, a, b),
     ((2, 3, 5), (2, 3, 4), (2, 4, 5, 1))),
    ("baddbmm inner sizes", lambda lib, x, a, b: lib.baddbmm(x, a, b),
     ((2, 3, 5), (2, 3, 4), (2, 3, 5))),
    ("baddbmm batch sizes", lambda lib, x, a, b: lib.baddbmm(x, a, b),
     ((2, 3, 5), (2, 3, 4), (1, 4, 5))),
    ("baddbmm input dtype", lambda lib, x, a, b: lib.baddbmm(x.long(), a, b),
     ((2, 3, 5), (2, 3, 4), (2, 4, 5))),
    ("baddbmm batch dtypes", lambda lib, x, a, b: lib.baddbmm(x, a, b.double()),
     ((2, 3, 5), (2, 3, 4), (2, 4, 5))),
    ("baddbmm bool", lambda lib, x, a, b: lib.baddbmm(x.bool(), a.bool(), b.bool()),
     ((2, 3, 5), (2, 3, 4), (2, 4, 5))),
    ("baddbmm β positional", lambda lib, x, a, b: lib.baddbmm(x, a, b, 2, 3),
     ((2, 3, 5), (2, 3, 4), (2, 4, 5))),
    ("addmm mat1 1-D", lambda lib, x, a, b: lib.addmm(x, a, b), ((3, 5), V3_, B45)),
    ("addmm mat2 1-D", lambda lib, x, a, b: lib.addmm(x, a, b), ((3, 5), A34, V4)),
    ("addmm mat1 3-D", lambda lib, x, a, b: lib.addmm(x, a, b), ((3, 5), (2, 3, 4), B45)),
    ("addmm inner sizes", lambda lib, x, a, b: lib.addmm(x, a, b), ((3, 4), A34, A34)),
    ("addmm input does not broadcast", lambda lib, x, a, b: lib.addmm(x, a, b),
     (V3_, A34, B45)),
    ("addmm input 3-D", lambda lib, x, a, b: lib.addmm(x, a, b), ((1, 3, 5), A34, B45)),
    ("addmm input dtype", lambda lib, x, a, b: lib.addmm(x.long(), a, b), ((3, 5), A34, B45)),
    ("addmm mat1 dtype", lambda lib, x, a, b: lib.addmm(x, a.double(), b), ((3, 5), A34, B45)),
    ("addmm mat2 dtype", lambda lib, x, a, b: lib.addmm(x, a, b.double()), ((3, 5), A34, B45)),
    ("addmm bool", lambda lib, x, a, b: lib.addmm(x.bool(), a.bool(), b.bool()),
     ((3, 5), A34, B45)),
    ("addmv sizes", lambda lib, x, m, v: lib.addmv(x, m, v), (V3_, A34, V3_)),
    ("addmv input size", lambda lib, x, m, v: lib.addmv(x, m, v), (V4, A34, V4)),
    ("addmv input 2-D", lambda lib, x, m, v: lib.addmv(x, m, v), ((3, 3), A34, V4)),
    ("addmv input 0-D, sizes", lambda lib, x, m, v: lib.addmv(x, m, v), ((), A34, V3_)),
    ("addmv input (1,), sizes", lambda lib, x, m, v: lib.addmv(x, m, v), ((1,), A34, V3_)),
    ("addmv dtypes", lambda lib, x, m, v: lib.addmv(x.double(), m, v), (V3_, A34, V4)),
    ("addmv bool", lambda lib, x, m, v: lib.addmv(x.bool(), m.bool(), v.bool()),
     (V3_, A34, V4)),
    ("addr 2-D vec1", lambda lib, x, a, b: lib.addr(x, a, b), ((3, 4), A34, V4)),
    ("addr 2-D vec2", lambda lib, x, a, b: lib.addr(x, a, b), ((3, 4), V3_, A34)),
    ("addr input does not broadcast", lambda lib, x, a, b: lib.addr(x, a, b), (V3_, V3_, V4)),
    ("addr float β for int", lambda lib, x, a, b: lib.addr(x.long(), a.long(), b.long(),
                                                           beta=0.5), ((3, 4), V3_, V4)),
    ("addr float α for bool", lambda lib, x, a, b: lib.addr(x.bool(), a.bool(), b.bool(),
                                                            alpha=0.5), ((3, 4), V3_, V4)),
    ("tensordot dims -1", lambda lib, a, b: lib.tensordot(a, b, -1), ((2, 3), (3, 2))),
    ("tensordot sizes", lambda lib, a, b: lib.tensordot(a, b, 3), ((2, 3, 4), (3, 4, 5))),
    ("tensordot pair sizes", lambda lib, a, b: lib.tensordot(a, b, ([0], [0])),
     ((2, 3, 4), (3, 4, 5))),
    ("tensordot lists of different lengths", lambda lib, a, b: lib.tensordot(a, b, ([1, 2], [0])),
     ((2, 3, 4), (3, 4, 5))),
    ("tensordot dtypes", lambda lib, a, b: lib.tensordot(a, b.double()), ((2, 3, 4), (3, 4, 5))),
    ("tensordot repeated dim", lambda lib, a, b: lib.tensordot(a, b, ([1, 1], [0, 0])),
     ((2, 3, 4), (3, 4, 5))),
    ("tensordot dim out of range", lambda lib, a, b: lib.tensordot(a, b, ([5], [0])),
     ((2, 3, 4), (3, 4, 5))),
    ("tensordot float dims", lambda lib, a, b: lib.tensordot(a, b, 1.5), ((2, 3), (3, 2))),
    ("tensordot pair of ints", lambda lib, a, b: lib.tensordot(a, b, (1, 0)), ((2, 3), (3, 2))),
    ("tensordot NumPy int dims", lambda lib, a, b: lib.tensordot(a, b, np.int64(1)),
     ((2, 3), (3, 2))),
    ("tensordot three lists", lambda lib, a, b: lib.tensordot(a, b, [[1], [0], [1]]),
     ((2, 3), (3, 2))),
    ("tensordot bool", lambda lib, a, b: lib.tensordot(a.bool(), b.bool(), 1), ((2, 3), (3, 2))),
    ("kron not a tensor", lambda lib, a: lib.kron(a, 3), (V4,)),
    ("addmm input not a tensor", lambda lib, a, b: lib.addmm(1.0, a, b), (A34, B45)),
    ("baddbmm batch2 not a tensor", lambda lib, x, a: lib.baddbmm(x, a, [[[1.0]]]),
     ((2, 3, 5), (2, 3, 4))),
    ("addr vec1 not a tensor", lambda lib, x, b: lib.addr(x, [1.0], b), ((3, 4), V4)),
    ("mv input not a tensor", lambda lib, v: lib.mv([[1.0]], v), (V4,)),
    ("bmm mat2 not a tensor", lambda lib, a: lib.bmm(a, 1), ((2, 3, 4),)),
]
MESSAGE_DIFFERS = {"baddbmm β positional"}   # Python's own TypeError text, torch's parser's


@pytest.mark.parametrize("label, fn, shapes", ERRORS, ids=[e[0] for e in ERRORS])
def test_misuse_raises_torch_class_and_message(label, fn, shapes):
    arrs = arrays_for(shapes, np.float32)
    with pytest.raises(Exception) as theirs:
        fn(torch, *[torch.tensor(a) for a in arrs])
    with pytest.raises(Exception) as ours:
        fn(tg, *[tg.tensor(a) for a in arrs])
    assert isinstance(ours.value, theirs.type), (ours.value, theirs.value)
    if label not in MESSAGE_DIFFERS:
        assert str(ours.value) == str(theirs.value)


def test_shape_errors_are_value_errors_too():
    with pytest.raises(ValueError):
        tg.bmm(tg.ones(2, 3, 4), tg.ones(2, 3, 4))


# ============================================================================ the API itself
NAMES = ["einsum", "outer", "ger", "dot", "mv", "bmm", "baddbmm", "addmm", "addmv", "addr",
         "tensordot", "kron"]


@pytest.mark.parametrize("name", NAMES)
def test_top_level_function_and_tensor_method_exactly_where_torch_has_them(name):
    assert callable(getattr(tg, name))
    assert hasattr(tg.Tensor, name) == hasattr(torch.Tensor, name), name


@pytest.mark.parametrize("call, name, label", [
    (lambda a, b, v: tg.einsum("ij,jk", a, b), "EinsumBackward", "einsum('ij,jk')"),
    (lambda a, b, v: tg.tensordot(a, b, 1), "TensordotBackward", "tensordot(dims=[[1], [0]])"),
    (lambda a, b, v: tg.kron(a, b), "KronBackward", "kron"),
    (lambda a, b, v: v.outer(v), "OuterBackward", "outer"),
    (lambda a, b, v: v.dot(v), "DotBackward", "dot"),
    (lambda a, b, v: b.mv(v), "MvBackward", "mv"),
    (lambda a, b, v: a[None].bmm(b[None]), "BmmBackward", "bmm"),
    (lambda a, b, v: a.addmm(a, b, beta=0.5), "AddmmBackward", "addmm(beta=0.5)"),
    (lambda a, b, v: tg.addr(a, v, v, alpha=2), "AddrBackward", "addr(alpha=2.0)"),
    (lambda a, b, v: tg.addmv(v, a, v), "AddmvBackward", "addmv"),
    (lambda a, b, v: a[None].baddbmm(a[None], b[None], beta=0, alpha=-1), "BaddbmmBackward",
     "baddbmm(beta=0.0, alpha=-1.0)")])
def test_graph_nodes_read_as_the_call(call, name, label):
    a, b, v = (tg.ones(*s, requires_grad=True) for s in ((4, 4), (4, 4), (4,)))
    node = call(a, b, v).grad_fn
    assert (node.name(), node.label()) == (name, label)


def test_backward_of_einsum_is_einsum_so_gradients_nest():
    """Third order through einsum: d³/dx³ Σ (x_i)³ via 'i,i,i->' is 6 everywhere."""
    x = tg.tensor([1.0, -2.0, 0.5], requires_grad=True)
    (g1,) = tg.autograd.grad(tg.einsum("i,i,i->", x, x, x), [x], create_graph=True)
    (g2,) = tg.autograd.grad(g1.sum(), [x], create_graph=True)
    (g3,) = tg.autograd.grad(g2.sum(), [x])
    np.testing.assert_allclose(g3.array, [6.0, 6.0, 6.0])


# ============================================================================ random equations
@st.composite
def einsum_problems(draw):
    """An equation of 1-3 operands over labels a-d (repeats: diagonals), maybe with an
    ellipsis; some dims 1 where the label is bigger (broadcast); explicit or implicit output."""
    size = {c: draw(st.integers(1, 3)) for c in "abcd"}
    ell = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    use_ell = draw(st.booleans()) and ell
    subs, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        labels = draw(st.lists(st.sampled_from("abcd"), max_size=3))
        ones = {c: draw(st.integers(0, 4)) == 0 for c in labels}     # this operand: size 1
        shape = [1 if ones[c] else size[c] for c in labels]
        sub = "".join(labels)
        if use_ell and draw(st.booleans()):
            at = draw(st.integers(0, len(labels)))
            k = draw(st.integers(0, len(ell)))
            dims = [1 if draw(st.integers(0, 3)) == 0 else n for n in ell[len(ell) - k:]]
            sub, shape = sub[:at] + "..." + sub[at:], shape[:at] + dims + shape[at:]
        subs.append(sub)
        shapes.append(tuple(shape))
    equation = ",".join(subs)
    if draw(st.booleans()):
        seen = sorted(set("".join(subs).replace(".", "")))
        out = draw(st.permutations(seen))[:draw(st.integers(0, len(seen)))]
        if "..." in equation and draw(st.booleans()):
            out.insert(draw(st.integers(0, len(out))), "...")
        equation += "->" + "".join(out)
    return equation, shapes


@settings(max_examples=100, deadline=None)
@given(einsum_problems(), st.booleans())
def test_random_equations_as_torch(problem, optimized):
    """``optimized``: NumPy's contraction path (used for big problems) on these small ones too."""
    equation, shapes = problem
    fn = lambda lib, *t: lib.einsum(equation, *t)   # noqa: E731
    arrs = arrays_for(shapes, np.float64)
    theirs = _outcome(fn, torch, arrs)
    with mock.patch.object(product_ops, "_OPTIMIZE_FROM", 0 if optimized else 1 << 15):
        if isinstance(theirs, Exception):
            ours = _outcome(fn, tg, arrs)
            assert isinstance(ours, type(theirs)) and str(ours) == str(theirs), (ours, theirs)
        else:
            check_against_torch(fn, arrs, label=equation)


@settings(max_examples=100, deadline=None)
@given(einsum_problems(), st.sampled_from([np.int32, np.uint8, np.bool_]),
       st.sampled_from([None, np.int64, np.float32]))
def test_random_equations_integer_dtypes_as_torch(problem, dtype, last_dtype):
    """torch's result dtype (a sum makes int64, a bmm needs equal dtypes and no bool, a mul
    promotes), or its refusal — for the first operands of ``dtype``, the last maybe another."""
    equation, shapes = problem
    rng = np.random.default_rng(1)
    lo = 0 if dtype == np.uint8 else -3   # (no wrap-around: torch wraps at each step, we
    arrs = [rng.integers(lo, 4, s).astype(dtype) for s in shapes]   # once in the result dtype)
    if last_dtype is not None:
        arrs[-1] = arrs[-1].astype(last_dtype)
    fn = lambda lib, *t: lib.einsum(equation, *t)   # noqa: E731
    ours, theirs = _outcome(fn, tg, arrs), _outcome(fn, torch, arrs)
    if isinstance(theirs, Exception):
        assert isinstance(ours, type(theirs)), (ours, theirs)
        if "expected scalar type" in str(theirs):   # which of the two torch's bmm names
            assert sorted(str(ours).split()) == sorted(str(theirs).split())   # first varies
        else:
            assert str(ours) == str(theirs)
    else:
        assert not isinstance(ours, Exception), (ours, theirs)
        assert_same(ours, theirs, rtol=1e-5, atol=1e-5)


def test_one_operand_sums_are_as_accurate_as_torchs():
    """float32 sums by pairwise summation (einsum's own loop drifts: 7.5e-8 here, torch 1.3e-8)."""
    x = np.random.default_rng(0).random(10**6).astype(np.float32).reshape(1000, 1000)
    exact = x.astype(np.float64).sum()
    ours = tg.einsum("ij->", tg.tensor(x)).item()
    assert abs(ours - exact) / exact < 3e-8
    assert ours == pytest.approx(torch.einsum("ij->", torch.tensor(x)).item(), rel=3e-8)


@pytest.mark.parametrize("eq, shapes", [
    ("i,j->ij", ((4,), (3,))), ("i,j->ji", ((4,), (3,))), ("i,i->i", ((4,), (4,))),
    ("bi,bj->bij", ((2, 4), (2, 3))), ("ij,j->ij", ((2, 3), (3,))),
    ("ij,ij->ji", ((1, 3), (2, 3))), ("ii,i->i", ((3, 3), (3,))),
    ("i,j,k->kji", ((2,), (3,), (2,)))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_einsum_of_products_only_keeps_torchs_signed_zeros_inf_and_nan(eq, shapes, dtype):
    """With no label summed, an einsum is products: −0·(+0) = −0 as in torch (NumPy's einsum
    adds each product to a +0, which made it +0), inf·0 = nan, the values otherwise equal."""
    pool = np.array([-0.0, 0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 0.0], dtype)
    rng = np.random.default_rng(5)
    ops = [rng.choice(pool, size=sh) for sh in shapes]
    ops[0].flat[0], ops[1].flat[0] = -0.0, 0.0             # a −0·(+0) in every case
    if len(ops) > 2:
        ops[2].flat[0] = 1.5
    want = torch.einsum(eq, *[torch.tensor(a) for a in ops]).numpy()
    got = tg.einsum(eq, *[tg.tensor(a) for a in ops]).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))


def test_einsum_result_never_shares_the_input_memory():
    """The Einsum op's own result is a copy (an untracked alias would be silently wrong); a
    public one-operand einsum that sums nothing is instead a tracked view (permute/diagonal),
    as torch's (tests/test_probe32_ops.py)."""
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = tg.ops.Einsum.apply(x, equation="ij->ji")
    y.array[0, 0] = 99.0
    assert x.array[0, 0] == 1.0
