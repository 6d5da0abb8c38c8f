"""Every op against torch: forward value, gradient w.r.t. every input, and the second-order
gradient (autograd.grad with create_graph=True, then the gradient of <g, u>), in float64 over
random shapes with broadcasting and size-1 dims. The same ops in float32 must agree within
float32 tolerance and stay float32.

A case is ``fn(lib, *tensors)``: one function run on ``lib = tinygrad_sgd`` and on ``lib =
torch``, since both spell ``a + b``, ``x.sum(dim, keepdim)``, ``lib.cat(xs, dim)`` the same way.
"""
import warnings
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, tensor
from strategies import (arrays, assert_same, check_against_torch, basic_indices, bool_arrays, both,
                        broadcastable_pairs, broadcastable_shapes, dims_for, distinct_arrays,
                        index_for, positive_arrays, shapes)


class Case(NamedTuple):
    """``fn(lib, *tensors)`` on ``arrays``; gradients are checked w.r.t. every float input."""
    label: str
    fn: Callable
    arrays: tuple


def check(case, dtype=np.float64, rtol=1e-6, atol=1e-9, second_order=True):
    """Forward, first- and (optionally) second-order gradients of ``case`` against torch."""
    arrs = [a.astype(dtype) if a.dtype.kind == "f" else a for a in case.arrays]
    check_against_torch(case.fn, arrs, None, rtol, atol, second_order, case.label)


# ============================================================================ case strategies
@st.composite
def unary(draw, label, fn, lo=-3.0, hi=3.0, avoid=(), margin=0.1, min_dims=0, max_dims=4):
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    return Case(label, fn, (draw(arrays(shape, lo, hi, avoid, margin)),))


@st.composite
def binary(draw, label, fn, a=None, b=None):
    sa, sb = draw(broadcastable_pairs())
    return Case(label, fn, (draw(arrays(sa, **(a or {}))), draw(arrays(sb, **(b or {})))))


NONZERO = dict(avoid=(0.0,), margin=0.3)


@st.composite
def pow_scalar(draw):
    p = draw(st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, -1.5, 2.5, 1.0, 2.0]))
    shape = draw(shapes())
    x = draw(arrays(shape, -3.0, 3.0, **NONZERO) if isinstance(p, int)
             else positive_arrays(shape, 0.2, 3.0))
    return Case(f"x ** {p!r}", lambda lib, x: x ** p, (x,))


@st.composite
def rpow_scalar(draw):
    base = draw(st.sampled_from([2.5, 0.5, 2]))
    shape = draw(shapes())
    return Case(f"{base!r} ** x", lambda lib, x: base ** x, (draw(arrays(shape)),))


@st.composite
def clamp_case(draw):
    lo, hi = draw(st.sampled_from([(-0.5, 0.5), (0.2, None), (None, -0.3), (-1, 2)]))
    shape = draw(shapes())
    x = draw(arrays(shape, avoid=tuple(b for b in (lo, hi) if b is not None), margin=0.05))
    return Case(f"clamp(min={lo}, max={hi})", lambda lib, x: x.clamp(min=lo, max=hi), (x,))


@st.composite
def softmax_case(draw, which):
    shape = draw(shapes())
    dim = draw(dims_for(shape, allow_none=False, allow_tuple=False))
    x = draw(arrays(shape, -5.0, 5.0))
    return Case(f"{which}(dim={dim})", lambda lib, x: getattr(x, which)(dim), (x,))


@st.composite
def reduce_case(draw, which):
    shape = draw(shapes())
    dim = draw(dims_for(shape))
    keepdim = draw(st.booleans())
    return Case(f"{which}(dim={dim}, keepdim={keepdim})",
                lambda lib, x: getattr(x, which)(dim=dim, keepdim=keepdim),
                (draw(arrays(shape)),))


@st.composite
def max_all_case(draw, which):
    shape = draw(shapes())
    return Case(f"{which}()", lambda lib, x: getattr(x, which)(), (draw(distinct_arrays(shape)),))


@st.composite
def max_dim_case(draw, which):
    shape = draw(shapes())
    dim = draw(dims_for(shape, allow_none=False, allow_tuple=False))
    keepdim = draw(st.booleans())
    return Case(f"{which}(dim={dim}, keepdim={keepdim}).values",
                lambda lib, x: getattr(x, which)(dim, keepdim=keepdim).values,
                (draw(distinct_arrays(shape)),))


@st.composite
def matmul_case(draw):
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    ba, bb = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    sa = (k,) if draw(st.booleans()) else ba + (n, k)
    sb = (k,) if draw(st.booleans()) else bb + (k, m)
    if draw(st.booleans()):
        return Case(f"{sa} @ {sb}", lambda lib, a, b: a @ b,
                    (draw(arrays(sa)), draw(arrays(sb))))
    return Case(f"matmul({sa}, {sb})", lambda lib, a, b: lib.matmul(a, b),
                (draw(arrays(sa)), draw(arrays(sb))))


@st.composite
def reshape_case(draw, method):
    shape = draw(shapes())
    target = list(draw(st.permutations(shape)))
    for _ in range(draw(st.integers(0, 2))):
        target.insert(draw(st.integers(0, len(target))), 1)
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    target = tuple(target)
    fn = ((lambda lib, x: x.reshape(target)) if method == "reshape" or not target else
          (lambda lib, x: x.view(*target)))
    return Case(f"{shape}.{method}{target}", fn, (draw(arrays(shape)),))


@st.composite
def flatten_case(draw):
    shape = draw(shapes())
    n = max(len(shape), 1)
    s = draw(st.integers(0, n - 1))
    e = draw(st.integers(s, n - 1))
    s -= n * draw(st.booleans())
    e -= n * draw(st.booleans())
    return Case(f"flatten({s}, {e})", lambda lib, x: x.flatten(s, e), (draw(arrays(shape)),))


@st.composite
def transpose_case(draw):
    shape = draw(shapes())
    n = max(len(shape), 1)
    d0, d1 = draw(st.integers(-n, n - 1)), draw(st.integers(-n, n - 1))
    return Case(f"transpose({d0}, {d1})", lambda lib, x: x.transpose(d0, d1),
                (draw(arrays(shape)),))


@st.composite
def permute_case(draw):
    shape = draw(shapes(min_dims=1))
    n = len(shape)
    perm = [d - n * draw(st.booleans()) for d in draw(st.permutations(range(n)))]
    return Case(f"permute{tuple(perm)}", lambda lib, x: x.permute(*perm), (draw(arrays(shape)),))


@st.composite
def unsqueeze_case(draw):
    shape = draw(shapes())
    n = len(shape) + 1
    d = draw(st.integers(-n, n - 1))
    return Case(f"unsqueeze({d})", lambda lib, x: x.unsqueeze(d), (draw(arrays(shape)),))


@st.composite
def squeeze_case(draw):
    shape = draw(shapes(max_side=2))  # many size-1 dims
    dim = draw(dims_for(shape))
    if dim is None:
        return Case("squeeze()", lambda lib, x: x.squeeze(), (draw(arrays(shape)),))
    return Case(f"squeeze({dim})", lambda lib, x: x.squeeze(dim), (draw(arrays(shape)),))


@st.composite
def expand_case(draw):
    shape = draw(shapes(max_dims=3, max_side=3))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    target = tuple(lead + [draw(st.integers(1, 3)) if s == 1 else draw(st.sampled_from([s, -1]))
                           for s in shape])
    return Case(f"{shape}.expand{target}", lambda lib, x: x.expand(*target) if target else
                x.expand(target),
                (draw(arrays(shape)),))


@st.composite
def getitem_case(draw, kind):
    if kind == "basic":
        shape = draw(shapes())
        index = draw(basic_indices(shape))
    elif kind == "int array":   # one integer array on one dim, repeats likely
        shape = draw(shapes(min_dims=1))
        d = draw(st.integers(0, len(shape) - 1))
        idx = draw(hnp.arrays(np.int64, draw(shapes(min_dims=1, max_dims=2)),
                              elements=st.integers(-shape[d], shape[d] - 1)))
        index = (slice(None),) * d + (idx,)
    elif kind == "int arrays":  # an integer array per dim, broadcast together
        shape = draw(shapes(min_dims=1))
        index = draw(hnp.integer_array_indices(shape, result_shape=shapes(1, 2, max_side=3)))
    elif kind == "list":
        shape = draw(shapes(min_dims=1))
        index = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=5))
    elif kind == "bool mask":
        shape = draw(shapes(min_dims=1))
        index = draw(bool_arrays(shape))
    else:  # "bool rows"
        shape = draw(shapes(min_dims=1))
        index = (draw(bool_arrays(shape[:1])),)
    return Case(f"{shape}[{index!r}]", lambda lib, x: x[index_for(lib, index)],
                (draw(arrays(shape)),))


@st.composite
def cat_case(draw):
    base = list(draw(shapes(min_dims=1)))
    n = len(base)
    dim = draw(st.integers(-n, n - 1))
    arrs = []
    for _ in range(draw(st.integers(1, 3))):
        base[dim] = draw(st.integers(1, 3))
        arrs.append(draw(arrays(tuple(base))))
    return Case(f"cat({[a.shape for a in arrs]}, dim={dim})",
                lambda lib, *xs: lib.cat(xs, dim=dim), tuple(arrs))


@st.composite
def stack_case(draw):
    shape = draw(shapes(max_dims=3))
    n = len(shape) + 1
    dim = draw(st.integers(-n, n - 1))
    arrs = tuple(draw(arrays(shape)) for _ in range(draw(st.integers(1, 3))))
    return Case(f"stack({len(arrs)} x {shape}, dim={dim})",
                lambda lib, *xs: lib.stack(xs, dim=dim), arrs)


@st.composite
def where_case(draw):
    sc, sx, sy = draw(broadcastable_shapes(3))
    return Case(f"where({sc}, {sx}, {sy})", lambda lib, c, x, y: lib.where(c, x, y),
                (draw(bool_arrays(sc)), draw(arrays(sx)), draw(arrays(sy))))


@st.composite
def where_scalar_case(draw):
    shape = draw(shapes())
    return Case("where(c, x, 0.0)", lambda lib, c, x: lib.where(c, x, 0.0),
                (draw(bool_arrays(shape)), draw(arrays(shape))))


CASES = {
    # arithmetic: tensor ⊕ tensor with broadcasting
    "add": binary("a + b", lambda lib, a, b: a + b),
    "sub": binary("a - b", lambda lib, a, b: a - b),
    "mul": binary("a * b", lambda lib, a, b: a * b),
    "div": binary("a / b", lambda lib, a, b: a / b, b=NONZERO),
    # at b = 0 exactly, d/da (a ** b) is a hard zero (where(b == 0, 0, ...)) in torch and here,
    # so d²/da db is 0 there too, not the 1/a of the formula: torch's convention, followed
    "pow": binary("a ** b", lambda lib, a, b: a ** b, a=dict(lo=0.2, hi=3.0),
                  b=dict(lo=-2.5, hi=2.5)),
    "self_mul": unary("x * x", lambda lib, x: x * x),
    # arithmetic with a Python number on either side
    "add_scalar": unary("x + 2.5", lambda lib, x: x + 2.5),
    "radd_scalar": unary("2.5 + x", lambda lib, x: 2.5 + x),
    "add_int": unary("x + 2", lambda lib, x: x + 2),
    "sub_scalar": unary("x - 1.5", lambda lib, x: x - 1.5),
    "rsub_scalar": unary("1.5 - x", lambda lib, x: 1.5 - x),
    "mul_scalar": unary("x * -2.0", lambda lib, x: x * -2.0),
    "rmul_int": unary("3 * x", lambda lib, x: 3 * x),
    "div_scalar": unary("x / 4.0", lambda lib, x: x / 4.0),
    "div_int": unary("x / 2", lambda lib, x: x / 2),
    "rdiv_scalar": unary("2.0 / x", lambda lib, x: 2.0 / x, **NONZERO),
    "pow_scalar": pow_scalar(),
    "rpow_scalar": rpow_scalar(),
    # elementwise
    "neg": unary("-x", lambda lib, x: -x),
    "neg_method": unary("x.neg()", lambda lib, x: x.neg()),
    "exp": unary("exp", lambda lib, x: x.exp()),
    "log": unary("log", lambda lib, x: x.log(), lo=0.1, hi=4.0),
    "sqrt": unary("sqrt", lambda lib, x: x.sqrt(), lo=0.1, hi=4.0),
    "abs": unary("abs", lambda lib, x: x.abs(), **NONZERO),
    "clamp": clamp_case(),
    # activations
    "relu": unary("relu", lambda lib, x: x.relu(), **NONZERO),
    "sigmoid": unary("sigmoid", lambda lib, x: x.sigmoid(), lo=-6.0, hi=6.0),
    "tanh": unary("tanh", lambda lib, x: x.tanh()),
    "softmax": softmax_case("softmax"),
    "log_softmax": softmax_case("log_softmax"),
    # reductions
    "sum": reduce_case("sum"),
    "mean": reduce_case("mean"),
    "max": max_all_case("max"),
    "min": max_all_case("min"),
    "max_dim": max_dim_case("max"),
    "min_dim": max_dim_case("min"),
    # linear algebra
    "matmul": matmul_case(),
    # shape
    "reshape": reshape_case("reshape"),
    "view": reshape_case("view"),
    "flatten": flatten_case(),
    "transpose": transpose_case(),
    "permute": permute_case(),
    "T": unary(".T", lambda lib, x: x.T, min_dims=2, max_dims=2),  # torch warns on other ranks
    "unsqueeze": unsqueeze_case(),
    "squeeze": squeeze_case(),
    "expand": expand_case(),
    # indexing
    "getitem_basic": getitem_case("basic"),
    "getitem_int_array": getitem_case("int array"),
    "getitem_int_arrays": getitem_case("int arrays"),
    "getitem_list": getitem_case("list"),
    "getitem_bool_mask": getitem_case("bool mask"),
    "getitem_bool_rows": getitem_case("bool rows"),
    # joining, selecting
    "cat": cat_case(),
    "stack": stack_case(),
    "where": where_case(),
    "where_scalar": where_scalar_case(),
}


@pytest.mark.parametrize("name", list(CASES))
@given(data=st.data())
def test_op_matches_torch_float64(name, data):
    check(data.draw(CASES[name], label=name))


@pytest.mark.parametrize("name", list(CASES))
@given(data=st.data())
def test_op_matches_torch_float32_and_stays_float32(name, data):
    # torch in float32 is the reference too, so a result that drifted to float64 fails on dtype
    check(data.draw(CASES[name], label=name), dtype=np.float32, rtol=2e-5, atol=2e-5,
          second_order=False)


# ============================================================================ specific cases
def test_matmul_broadcasts_batch_dims():
    rng = np.random.default_rng(1)
    check(Case("(2,1,3,4) @ (5,4,2)", lambda lib, a, b: a @ b,
               (rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 4, 2)))))
    a, b = tensor(rng.standard_normal((2, 1, 3, 4))), tensor(rng.standard_normal((5, 4, 2)))
    assert (a @ b).shape == (2, 5, 3, 2)


@pytest.mark.parametrize("sa,sb,out", [((3,), (3,), ()), ((3,), (3, 2), (2,)),
                                       ((2, 3), (3,), (2,)), ((3,), (4, 3, 2), (4, 2)),
                                       ((4, 2, 3), (3,), (4, 2))])
def test_matmul_vector_shapes(sa, sb, out):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    assert (tensor(a) @ tensor(b)).shape == out
    check(Case(f"{sa} @ {sb}", lambda lib, a, b: a @ b, (a, b)))


def test_T_reverses_all_dims_and_leaves_vectors_alone():
    x = np.arange(24.0).reshape(2, 3, 4)
    a, b = both(x)
    assert_same(a.T, b.permute(2, 1, 0))
    a.T.backward(tensor(np.ones((4, 3, 2))))
    assert a.grad.shape == (2, 3, 4)
    v = tg.arange(3.0)
    assert v.T.tolist() == [0.0, 1.0, 2.0] and v.T.shape == (3,)


def test_getitem_repeated_indices_accumulate_gradient():
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0, 0.0]
    x = tensor(np.ones((3, 2)), requires_grad=True)
    x[np.array([[1, 1], [2, 1]])].sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0], [3.0, 3.0], [1.0, 1.0]]


@given(data=st.data())
def test_max_dim_indices_match_torch(data):
    shape = data.draw(shapes())
    dim = data.draw(dims_for(shape, allow_none=False, allow_tuple=False))
    keepdim = data.draw(st.booleans())
    a, b = both(data.draw(distinct_arrays(shape)), requires_grad=False)
    for which in ("max", "min"):
        ours, theirs = getattr(a, which)(dim, keepdim=keepdim), getattr(b, which)(dim, keepdim)
        assert_same(ours.values, theirs.values, what=f"{which} values")
        assert_same(ours.indices, theirs.indices, what=f"{which} indices")
        assert_same(ours[1], theirs[1], what=f"{which} indices (tuple)")


@given(data=st.data())
def test_argmax_argmin_match_torch(data):
    shape = data.draw(shapes())
    dim = data.draw(st.none() | dims_for(shape, allow_none=False, allow_tuple=False))
    keepdim = data.draw(st.booleans())
    a, b = both(data.draw(distinct_arrays(shape)), requires_grad=True)
    for which in ("argmax", "argmin"):
        ours = getattr(a, which)(dim=dim, keepdim=keepdim)
        assert_same(ours, getattr(b, which)(dim=dim, keepdim=keepdim), what=which)
        assert not ours.requires_grad and ours.grad_fn is None


@given(data=st.data())
def test_max_min_share_gradient_evenly_among_ties(data):
    shape = data.draw(shapes())
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0, 2.0])))
    for which in ("max", "min"):
        a, b = both(x)
        getattr(a, which)().backward()
        getattr(b, which)().backward()
        assert_same(a.grad, b.grad, what=f"{which}() gradient with ties")


def test_max_ties_example():
    x = Tensor([1.0, 3.0, 3.0, -1.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [0, 1 / 3, 1 / 3, 0, 1 / 3])


COMPARISONS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
               ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}


@pytest.mark.parametrize("op", list(COMPARISONS))
@given(data=st.data())
def test_comparisons_are_bool_and_not_differentiable(op, data):
    sa, sb = data.draw(broadcastable_pairs())
    few = st.sampled_from([-1.0, 0.0, 1.0, 2.0])  # many ties, so == and <= are really tested
    x = data.draw(hnp.arrays(np.float64, sa, elements=few))
    y = data.draw(hnp.arrays(np.float64, sb, elements=few))
    (a, ta), (b, tb) = both(x), both(y)
    fn = COMPARISONS[op]
    for ours, theirs in ((fn(a, b), fn(ta, tb)), (fn(a, 1.0), fn(ta, 1.0)),
                         (fn(1.0, b), fn(1.0, tb))):
        assert_same(ours, theirs, what=op)
        assert ours.dtype == np.bool_
        assert not ours.requires_grad and ours.grad_fn is None


# ============================================================================ numerics
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_does_not_overflow_or_warn_at_1000(dtype):
    values = np.array([-1000.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0], dtype=dtype)
    a, b = both(values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = a.sigmoid()
        out.backward(tensor(np.ones_like(values)))
    ref = b.sigmoid()
    ref.backward(torch.ones_like(ref))
    # atol: torch's float32 sigmoid(-100) is 0, ours the true (subnormal) 3.8e-44
    assert_same(out, ref, rtol=1e-6, atol=1e-30)
    assert_same(a.grad, b.grad, rtol=1e-6, atol=1e-30)
    assert np.isfinite(out.data).all() and np.isfinite(a.grad.data).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("which", ["log_softmax", "softmax"])
def test_softmax_exact_at_large_logits(which, dtype):
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 + 1.0, 1e4 - 2.0], [-1e4, -1e4, -1e4 + 3]],
                      dtype=dtype)
    a, b = both(logits)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(a, which)(1)
        out.backward(tensor(np.arange(9, dtype=dtype).reshape(3, 3)))
    ref = getattr(b, which)(1)
    ref.backward(torch.arange(9, dtype=ref.dtype).reshape(3, 3))
    assert np.isfinite(out.data).all()
    assert_same(out, ref, rtol=1e-6, atol=1e-6)
    assert_same(a.grad, b.grad, rtol=1e-6, atol=1e-5)


KINKS = {
    # at a kink the derivative is a convention: torch's is the reference
    "relu at 0": lambda lib, x: x.relu(),
    "abs at 0": lambda lib, x: x.abs(),
    "clamp at its bounds": lambda lib, x: x.clamp(-1.0, 0.5),
    "max() with ties": lambda lib, x: x.max(),
    # a masked-out gradient stays 0 even when the incoming one is infinite (torch masks with
    # where, not by multiplying by 0, which would give inf·0 = nan)
    "relu then sqrt": lambda lib, x: x.relu().sqrt(),
    "clamp then sqrt": lambda lib, x: x.clamp(min=0.0).sqrt(),
    "clamp(max) then sqrt": lambda lib, x: (0.5 - x.clamp(max=0.5)).sqrt(),
    "max() then sqrt": lambda lib, x: (x - 1.0).max().neg().sqrt(),
    "where then sqrt": lambda lib, x: lib.where(x > 0, x, 0.0).sqrt(),
    "x ** 0 at 0": lambda lib, x: x ** 0,
    "x ** x at 0": lambda lib, x: x.abs() ** x,
    "0 ** y": lambda lib, x: (x * 0.0) ** x.abs(),
}


@pytest.mark.parametrize("name", list(KINKS))
def test_kinks_and_masked_gradients_follow_torch(name):
    x = np.array([-1.0, 0.0, 0.0, 0.5, 1.0, -1.0, 1.0])
    a, b = both(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KINKS[name](tg, a).sum().backward()
    KINKS[name](torch, b).sum().backward()
    assert_same(a.grad, b.grad, what=name)


# ============================================================================ errors
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_broadcast_mismatch_names_both_shapes(op):
    a, b = tg.ones(2, 3, requires_grad=True), tg.ones(4, 1, 5)  # noqa: F841 (used by eval)
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 1, 5\) cannot be broadcast"):
        eval(f"a {op} b")


def test_where_and_comparison_broadcast_mismatch_name_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        tg.where(tg.ones(2, 3).bool(), tg.ones(2, 3), tg.ones(4))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        tg.ones(2, 3) < tg.ones(4)


def test_matmul_shape_error_message():
    with pytest.raises(ValueError) as e:
        tg.zeros(64, 320) @ tg.zeros(50, 320)
    assert str(e.value) == "matmul: shapes (64, 320) and (50, 320) don't align (320 != 50)"
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(4,\) don't align"):
        tg.zeros(3) @ tg.zeros(4)
    with pytest.raises(ValueError, match=r"matmul: .*\(2, 3, 4\) and \(5, 4, 2\).* broadcast"):
        tg.zeros(2, 3, 4) @ tg.zeros(5, 4, 2)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        tg.matmul(tg.tensor(2.0), tg.zeros(3))


def test_shape_op_errors_speak_plainly():
    x = tg.zeros(2, 3)
    with pytest.raises(ValueError, match=r"shape \(4, 2\) is invalid for a tensor of shape "
                                         r"\(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"cannot be expanded to \(4, 3\)"):
        x.expand(4, 3)
    with pytest.raises(ValueError, match=r"-1 .* not allowed in a new leading dim"):
        x.expand(-1, 2, 3)
    with pytest.raises(ValueError, match="not a permutation"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match=r"cat: shapes \(2, 3\), \(2, 4\)"):
        tg.cat([x, tg.zeros(2, 4)], dim=0)
    with pytest.raises(ValueError, match="stack: all tensors must have the same shape"):
        tg.stack([x, tg.zeros(3, 2)])
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        x.sum(dim=2)
    with pytest.raises(IndexError, match="dim -3 is out of range"):
        x.softmax(-3)


def test_index_out_of_range():
    x = tg.zeros(2, 3)
    with pytest.raises(IndexError, match=r"out of range for a tensor of shape \(2, 3\)"):
        x[2]
    with pytest.raises(IndexError, match=r"out of range for a tensor of shape \(2, 3\)"):
        x[:, [0, 3]]
    with pytest.raises(IndexError, match=r"out of range for a tensor of shape \(2, 3\)"):
        x[0, 0, 0]
