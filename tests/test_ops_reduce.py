"""Reductions, scans and sorting against torch.

One table of cases drives value, gradient and second order (float64; random shapes with size-1
and size-0 dims, dims negative and positive, keepdim both ways; values drawn with many ties, so
that torch's tie order and the routing of the gradient through it are exercised) and float32
staying float32. Then: the indices of every selecting op on tie-heavy rows longer than 16 (where
torch's unstable algorithms decide), NaN handling, integer and bool dtypes (torch's result
dtype, or torch's error class), regressions (min of uint8, var of an empty dim, float16
accumulation, overflow-free std, exact gradients through zeros), counting ops, the named
tuples, and the error torch raises for each misuse.

A case is ``fn(lib, x)``, run once with ``lib = tinygrad_sgd`` and once with ``lib = torch``.

(house: long file — the one test file of the reduce/scan/sort surface: mostly tables, a line a
case.)
"""
import math
import warnings
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, tensor
from strategies import assert_same, both, check_against_torch, floats

pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0")
INF = math.inf
TIES = (-1.5, -0.5, 0.0, 0.5, 1.0, 2.0)


# ============================================================================ strategies
def values(ties=True, lo=-3.0, hi=3.0, avoid=(0.0,), margin=1e-3):
    """Floats (none tiny: x/x² round-off differs); with ``ties`` half of them come from a
    small set, so equal values (and exact zeros) are common."""
    s = floats(lo, hi, avoid, margin)
    return st.one_of(st.sampled_from([t for t in TIES if all(abs(t - a) >= margin
                                                             for a in avoid)]), s) if ties else s


@st.composite
def shape_dims(draw, empty=True, min_dims=0, max_side=4, tuples=True):
    """(shape, dim): dim None, an int (negative too), a tuple/list of dims (maybe empty)."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=4, min_side=0 if empty else 1,
                                  max_side=max_side))
    n = max(len(shape), 1)
    choices = [st.integers(-n, n - 1)]
    if tuples:
        choices.append(st.none())
    if tuples and shape:
        choices += [st.lists(st.integers(0, len(shape) - 1), unique=True,
                                        max_size=len(shape)).map(
            lambda ds: [d - len(shape) * (i % 2) for i, d in enumerate(ds)])]
    return shape, draw(st.one_of(*choices))


class Case(NamedTuple):
    label: str
    fn: Callable
    x: np.ndarray


def reduction(name, call, ties=True, empty=True, tuples=True, nonempty_dim=False, **domain):
    """A strategy of Cases ``call(x, dim, keepdim)`` over shapes and dims."""
    @st.composite
    def case(draw):
        shape, dim = draw(shape_dims(empty, tuples=tuples))
        if nonempty_dim and shape and (dim is None or isinstance(dim, list)):
            dim = 0
        if nonempty_dim and shape and shape[dim] == 0:
            shape = shape[:dim % len(shape)] + (2,) + shape[dim % len(shape) + 1:]
        keepdim = draw(st.booleans())
        x = draw(hnp.arrays(np.float64, shape, elements=values(ties, **domain)))
        return Case(f"{name}(dim={dim}, keepdim={keepdim})",
                    lambda lib, t: call(lib, t, dim, keepdim), x)
    return case()


def with_options(name, call, options, **kwargs):
    """A reduction whose call also takes one drawn option (a correction, a p, a k)."""
    @st.composite
    def case(draw):
        option = draw(st.sampled_from(options))
        c = draw(reduction(f"{name}[{option}]", lambda lib, t, d, k: call(lib, t, d, k, option),
                           **kwargs))
        return c
    return case()


@st.composite
def k_case(draw, name, call, k_min=0):
    """A Case ``call(x, k, dim, flag1, flag2)`` along one dim (rows up to 40: past 16, torch's
    unstable algorithms decide the order of ties)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    n = len(shape)
    dim = draw(st.integers(-n, n - 1))
    shape = list(shape)
    shape[dim] = draw(st.sampled_from([1, 2, 5, 17, 30, 40]))
    k = draw(st.integers(k_min, shape[dim]))
    flags = draw(st.booleans()), draw(st.booleans())
    x = draw(hnp.arrays(np.float64, tuple(shape), elements=values()))
    return Case(f"{name}(k={k}, dim={dim}, {flags})",
                lambda lib, t: call(lib, t, k, dim, *flags), x)


def scan(name, call, ties=True):
    @st.composite
    def case(draw):
        shape, dim = draw(shape_dims(True, tuples=False, max_side=5))
        x = draw(hnp.arrays(np.float64, shape, elements=values(ties)))
        return Case(f"{name}(dim={dim})", lambda lib, t: call(lib, t, dim), x)
    return case()


def _all(d):
    """dim=[] as None: torch's var/std gradient over dim=[] uses n = 1 (a torch bug; the value
    is right, over every element, and so is our gradient)."""
    return None if d == [] else d


NONZERO = dict(avoid=(0.0,), margin=0.2)
CASES = {
    "sum": reduction("sum", lambda lib, x, d, k: x.sum(dim=d, keepdim=k)),
    "mean": reduction("mean", lambda lib, x, d, k: lib.mean(x, dim=d, keepdim=k)),
    "prod": reduction("prod", lambda lib, x, d, k: x.prod(d, keepdim=k), tuples=False),
    "prod()": reduction("prod()", lambda lib, x, d, k: lib.prod(x)),
    "max()": reduction("max()", lambda lib, x, d, k: x.max(), empty=False),
    "min()": reduction("min()", lambda lib, x, d, k: lib.min(x), empty=False),
    "max(dim)": reduction("max", lambda lib, x, d, k: x.max(d, k).values, tuples=False,
                          nonempty_dim=True),
    "min(dim)": reduction("min", lambda lib, x, d, k: lib.min(x, dim=d, keepdim=k)[0],
                          tuples=False, nonempty_dim=True),
    "amax": reduction("amax", lambda lib, x, d, k: x.amax(d if d is not None else (), k),
                      empty=False),
    "amin": reduction("amin", lambda lib, x, d, k: lib.amin(x, d if d is not None else (), k),
                      empty=False),
    "aminmax": reduction("aminmax", lambda lib, x, d, k: (lambda r: r.min + 2 * r.max)(
        x.aminmax(dim=d, keepdim=k)), empty=False, tuples=False),
    "logsumexp": reduction("logsumexp", lambda lib, x, d, k: x.logsumexp(   # (torch fails
        d if d not in (None, []) else tuple(range(x.ndim)), k), ties=False),  # on dim=[])
    "var": with_options("var", lambda lib, x, d, k, c: x.var(dim=_all(d), correction=c, keepdim=k),
                        [0, 1, 2, 0.5], ties=False),
    "std": with_options("std", lambda lib, x, d, k, c: lib.std(x, _all(d), correction=c, keepdim=k),
                        [0, 1, 0.5], ties=False),
    "var(unbiased)": with_options("var", lambda lib, x, d, k, u: x.var(d, u, k), [True, False],
                                  ties=False, tuples=False),
    "var_mean": with_options("var_mean", lambda lib, x, d, k, c: (lambda r: r[0] + 3 * r[1])(
        lib.var_mean(x, _all(d), correction=c, keepdim=k)), [0, 1], ties=False),
    "std_mean": with_options("std_mean", lambda lib, x, d, k, c: (lambda r: r[0] - r[1])(
        lib.std_mean(x, _all(d), correction=c, keepdim=k)), [0, 1], ties=False),
    "norm": with_options("norm", lambda lib, x, d, k, p: x.norm(   # fro over 3+ dims: error
        p, d if p != "fro" or d is None or isinstance(d, int) or len(d) <= 2 else None, k),
                         [2, 1, 3, 1.5, 0.5, "fro"], ties=False, **NONZERO),
    "norm(inf)": with_options("norm", lambda lib, x, d, k, p: lib.norm(x, p, d, k),
                              [INF, -INF, -1], empty=False, **NONZERO),
    "median()": reduction("median()", lambda lib, x, d, k: x.median(), empty=False),
    "nanmedian()": reduction("nanmedian()", lambda lib, x, d, k: lib.nanmedian(x),
                             empty=False),
    "median(dim)": reduction("median", lambda lib, x, d, k: x.median(d, k).values,
                             tuples=False, nonempty_dim=True),
    "nanmedian(dim)": reduction("nanmedian", lambda lib, x, d, k: lib.nanmedian(x, d, k)[0],
                                tuples=False, nonempty_dim=True),
    "mode": reduction("mode", lambda lib, x, d, k: x.mode(d, k).values, tuples=False,
                      nonempty_dim=True),
    "sort": k_case("sort", lambda lib, x, k, d, desc, st: x.sort(dim=d, descending=desc,
                                                                  stable=st).values),
    "topk": k_case("topk", lambda lib, x, k, d, lg, so: x.topk(k, d, lg, so).values),
    "kthvalue": k_case("kthvalue", lambda lib, x, k, d, kd, _: lib.kthvalue(x, k, d, kd)[0],
                       k_min=1),
    "cumsum": scan("cumsum", lambda lib, x, d: x.cumsum(d)),
    "cumprod": scan("cumprod", lambda lib, x, d: lib.cumprod(x, d)),
    "cummax": scan("cummax", lambda lib, x, d: x.cummax(d).values),
    "cummin": scan("cummin", lambda lib, x, d: lib.cummin(x, d)[0]),
    "logcumsumexp": scan("logcumsumexp", lambda lib, x, d: x.logcumsumexp(d), ties=False),
}


def check(case, dtype=np.float64, second_order=True):
    tol = dict(rtol=1e-6, atol=1e-9) if dtype == np.float64 else dict(rtol=3e-5, atol=3e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_against_torch(case.fn, [case.x.astype(dtype)], None, second_order=second_order,
                            label=case.label, **tol)


@pytest.mark.parametrize("name", list(CASES))
@settings(max_examples=12)
@given(data=st.data())
def test_value_gradient_and_second_order_match_torch(name, data):
    check(data.draw(CASES[name], label=name))


@pytest.mark.parametrize("name", list(CASES))
@settings(max_examples=6)
@given(data=st.data())
def test_float32_matches_torch_and_stays_float32(name, data):
    check(data.draw(CASES[name], label=name), np.float32, second_order=False)


# ============================================================================ indices and ties
SELECTING = {
    "sort": lambda lib, x, k, d: x.sort(dim=d),
    "sort(descending)": lambda lib, x, k, d: x.sort(dim=d, descending=True),
    "sort(stable)": lambda lib, x, k, d: lib.sort(x, dim=d, stable=True),
    "sort(stable, descending)": lambda lib, x, k, d: x.sort(dim=d, descending=True,
                                                            stable=True),
    "argsort": lambda lib, x, k, d: (x, lib.argsort(x, d)),
    "argsort(descending, stable)": lambda lib, x, k, d: (x, x.argsort(dim=d, descending=True,
                                                                      stable=True)),
    "topk": lambda lib, x, k, d: x.topk(k, d),
    "topk(smallest)": lambda lib, x, k, d: lib.topk(x, k, d, largest=False),
    "topk(unsorted)": lambda lib, x, k, d: x.topk(k, d, sorted=False),
    "kthvalue": lambda lib, x, k, d: x.kthvalue(max(k, 1), d),
    "median": lambda lib, x, k, d: x.median(d),
    "nanmedian": lambda lib, x, k, d: lib.nanmedian(x, d, keepdim=True),
    "mode": lambda lib, x, k, d: x.mode(d),
    "max": lambda lib, x, k, d: x.max(d),
    "min": lambda lib, x, k, d: lib.min(x, d, True),
    "argmax": lambda lib, x, k, d: (x, x.argmax(d)),
    "argmin": lambda lib, x, k, d: (x, lib.argmin(x, d, keepdim=True)),
    "cummax": lambda lib, x, k, d: x.cummax(d),
    "cummin": lambda lib, x, k, d: lib.cummin(x, d),
}


@pytest.mark.parametrize("name", list(SELECTING))
@settings(max_examples=15)
@given(data=st.data())
def test_indices_and_tie_order_match_torch(name, data):
    # rows of up to 70 values from a few levels (and NaNs): ties everywhere, both sides of 16
    rows, n = data.draw(st.integers(1, 3)), data.draw(st.sampled_from([1, 3, 16, 17, 40, 70]))
    levels = data.draw(st.sampled_from([1, 2, 3, 8]))
    x = data.draw(hnp.arrays(np.float64, (rows, n), elements=st.one_of(
        st.integers(0, levels - 1).map(float), st.just(math.nan) | st.integers(0, 9).map(float))))
    dim, k = data.draw(st.sampled_from([0, 1, -1])), data.draw(st.integers(0, 3))
    k = min(k, x.shape[dim])
    for dtype in (np.float64, np.float32, np.int64):
        arr = np.nan_to_num(x, nan=5.0).astype(dtype) if dtype == np.int64 else x.astype(dtype)
        (a, t) = both(arr, requires_grad=False)
        ours, theirs = SELECTING[name](tg, a, k, dim), SELECTING[name](torch, t, k, dim)
        assert_same(ours[0], theirs[0], what=f"{name} values ({np.dtype(dtype).name})")
        assert_same(ours[1], theirs[1], what=f"{name} indices ({np.dtype(dtype).name})")
        assert not ours[1].requires_grad


@pytest.mark.parametrize("name", ["sort", "topk", "kthvalue", "median", "mode", "max", "min",
                                  "cummax", "cummin"])
def test_gradient_follows_torch_tie_order(name):
    # 40 values in 3 levels: the gradient reaches the tied element torch picked
    x = np.tile([2.0, 1.0, 2.0, 0.0, 1.0], 8)
    a, t = both(x)
    ours, theirs = SELECTING[name](tg, a, 7, 0)[0], SELECTING[name](torch, t, 7, 0)[0]
    w = np.arange(1.0, ours.numel() + 1).reshape(ours.shape)
    (ours * tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    assert_same(a.grad, t.grad, what=f"{name} gradient")


def test_ties_share_the_gradient_evenly_in_amax_median_and_max():
    x = np.array([[1.0, 3.0, 3.0], [3.0, 0.0, 3.0]])
    for fn in (lambda lib, t: t.amax(), lambda lib, t: t.amin(1).sum(),
               lambda lib, t: lib.amax(t, (0, 1), True).sum(), lambda lib, t: t.max(),
               lambda lib, t: t.median(), lambda lib, t: lib.aminmax(t).max,
               lambda lib, t: t.norm(INF)):
        a, t = both(x)
        fn(tg, a).backward()
        fn(torch, t).backward()
        assert_same(a.grad, t.grad)


# ============================================================================ NaN
NAN_OPS = {
    "max()": lambda lib, x: x.max(), "min()": lambda lib, x: x.min(),
    "amax": lambda lib, x: x.amax(1), "amin": lambda lib, x: lib.amin(x, 0),
    "max(dim)": lambda lib, x: x.max(1).values, "argmin": lambda lib, x: x.argmin(1),
    "sort": lambda lib, x: x.sort(1).values, "sort(desc)": lambda lib, x: x.sort(0, True)[0],
    "topk": lambda lib, x: x.topk(2, 1).values, "kthvalue": lambda lib, x: x.kthvalue(3, 1)[0],
    "median()": lambda lib, x: x.median(), "median(dim)": lambda lib, x: x.median(1).values,
    "nanmedian()": lambda lib, x: x.nanmedian(), "nanmedian": lambda lib, x: x.nanmedian(1)[0],
    "mode": lambda lib, x: x.mode(1).values, "cummax": lambda lib, x: x.cummax(1).values,
    "cummin": lambda lib, x: x.cummin(0).values, "logsumexp": lambda lib, x: x.logsumexp(1),
    "sum": lambda lib, x: x.sum(0), "prod": lambda lib, x: x.prod(1),
    "var": lambda lib, x: x.var(1), "norm": lambda lib, x: x.norm(dim=1),
    "norm(inf)": lambda lib, x: x.norm(INF, 1), "cumsum": lambda lib, x: x.cumsum(1),
    "logcumsumexp": lambda lib, x: x.logcumsumexp(1),
}


@pytest.mark.parametrize("name", list(NAN_OPS))
def test_nan_values_and_gradients_match_torch(name):
    x = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 0.5, 2.0, -1.0], [np.nan] * 4])
    a, t = both(x)
    ours, theirs = NAN_OPS[name](tg, a), NAN_OPS[name](torch, t)
    assert_same(ours, theirs, what=name)
    if theirs.requires_grad:
        w = np.linspace(-1.0, 2.0, ours.numel()).reshape(ours.shape)
        (ours * tensor(w)).sum().backward()
        (theirs * torch.tensor(w)).sum().backward()
        assert_same(a.grad, t.grad, what=f"{name} gradient")


@pytest.mark.parametrize("x", [[-INF, -INF], [INF, 1.0], [INF, -INF], [-INF, 0.0]])
def test_logsumexp_and_logcumsumexp_at_infinities(x):
    for fn in (lambda t: t.logsumexp(0), lambda t: t.logcumsumexp(0)):
        a, t = both(np.array(x))
        fn(a).sum().backward()
        fn(t).sum().backward()
        assert_same(fn(a), fn(t))
        assert_same(a.grad, t.grad)


# ============================================================================ dtypes
DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32,
          np.float64]
DTYPE_OPS = {
    "sum": lambda lib, x: x.sum(), "sum(dim)": lambda lib, x: x.sum(1, keepdim=True),
    "sum(dtype)": lambda lib, x: x.sum(0, dtype=lib.float64),
    "sum(dtype=int32)": lambda lib, x: lib.sum(x, dtype=lib.int32),
    "mean": lambda lib, x: x.mean(), "mean(dtype)": lambda lib, x: x.mean(1, dtype=lib.float64),
    "prod": lambda lib, x: x.prod(), "prod(dim)": lambda lib, x: lib.prod(x, 1),
    "prod(dtype)": lambda lib, x: x.prod(dtype=lib.int32),
    "max()": lambda lib, x: x.max(), "min()": lambda lib, x: x.min(),
    "max(dim)": lambda lib, x: x.max(1), "min(dim)": lambda lib, x: lib.min(x, 0),
    "amax": lambda lib, x: x.amax(0), "amin": lambda lib, x: x.amin((0, 1)),
    "aminmax": lambda lib, x: lib.aminmax(x), "argmax": lambda lib, x: x.argmax(),
    "argmin": lambda lib, x: lib.argmin(x, 1), "logsumexp": lambda lib, x: x.logsumexp(1),
    "var": lambda lib, x: x.var(), "std": lambda lib, x: x.std(1),
    "norm": lambda lib, x: x.norm(), "count_nonzero": lambda lib, x: x.count_nonzero(1),
    "any": lambda lib, x: x.any(), "all": lambda lib, x: lib.all(x, 1),
    "any(dim=[])": lambda lib, x: x.any(dim=[]),
    "cumsum": lambda lib, x: x.cumsum(1),
    "cumsum(dtype)": lambda lib, x: x.cumsum(0, dtype=lib.int32),
    "cumprod": lambda lib, x: lib.cumprod(x, 0), "cummax": lambda lib, x: x.cummax(1),
    "cummin": lambda lib, x: lib.cummin(x, 0), "logcumsumexp": lambda lib, x: x.logcumsumexp(1),
    "sort": lambda lib, x: x.sort(1), "argsort": lambda lib, x: lib.argsort(x, 0, True),
    "topk": lambda lib, x: x.topk(2), "kthvalue": lambda lib, x: x.kthvalue(2),
    "median()": lambda lib, x: x.median(), "median": lambda lib, x: x.median(0),
    "nanmedian()": lambda lib, x: x.nanmedian(), "mode": lambda lib, x: x.mode(1),
    "unique": lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
    "histc": lambda lib, x: x.histc(4),
}


def _outputs(r):
    return list(r) if isinstance(r, tuple) else [r]


@pytest.mark.parametrize("name", list(DTYPE_OPS))
def test_integer_bool_and_float_dtypes_as_torch(name):
    base = np.array([[3, 0, 2, 2], [1, 1, 0, 5], [4, 2, 2, 1]])
    for dtype in DTYPES:
        arr = base.astype(dtype)
        (a, t) = both(arr, requires_grad=False)
        try:
            theirs = DTYPE_OPS[name](torch, t)
        except Exception as e:     # torch refuses: we refuse with the same class
            with pytest.raises(type(e)):
                DTYPE_OPS[name](tg, a)
            continue
        ours = DTYPE_OPS[name](tg, a)
        for o, r in zip(_outputs(ours), _outputs(theirs)):
            tol = 2e-3 if r.dtype == torch.float16 else 1e-6
            assert_same(o, r, rtol=tol, atol=tol, what=f"{name} on {np.dtype(dtype).name}")


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_dtype_arguments_and_float16_keep_gradients_as_torch(dtype):
    x = np.linspace(-2.0, 3.0, 12).reshape(3, 4).astype(dtype)
    for fn in (lambda lib, t: t.sum(1, dtype=lib.float64),
               lambda lib, t: t.mean(dtype=lib.float64),
               lambda lib, t: t.cumsum(0, dtype=lib.float64),
               lambda lib, t: t.prod(1, dtype=lib.float64), lambda lib, t: t.mean(0),
               lambda lib, t: t.sum(), lambda lib, t: t.std(1), lambda lib, t: t.norm(dim=0)):
        a, t = both(x)
        ours, theirs = fn(tg, a), fn(torch, t)
        assert_same(ours, theirs, rtol=2e-3, atol=1e-3)
        w = np.arange(ours.numel(), dtype=ours.dtype).reshape(ours.shape)
        (ours * tensor(w)).sum().backward()
        (theirs * torch.tensor(w)).sum().backward()
        assert_same(a.grad, t.grad, rtol=2e-3, atol=1e-3)


def test_regressions_min_of_unsigned_bool_and_most_negative():
    assert_same(tg.tensor([0, 1, 2], dtype=np.uint8).min(), torch.tensor([0, 1, 2],
                                                                         dtype=torch.uint8).min())
    assert tg.tensor([0, 1, 2], dtype=np.uint8).min().item() == 0
    assert tg.tensor([0, 1, 2], dtype=np.uint8).argmin().item() == 0
    assert tg.tensor([2, 0, 1], dtype=np.uint8).min(0).indices.item() == 1
    lowest = np.iinfo(np.int64).min
    assert tg.tensor([5, lowest, 3]).min().item() == lowest
    assert tg.tensor([5, lowest, 3]).argmin().item() == 1
    assert tg.tensor([[5, lowest]]).min(1).values.tolist() == [lowest]
    assert tg.tensor(np.array([-128, 0], np.int8)).min().item() == -128
    assert tg.tensor([True, False]).min().item() is False
    assert tg.tensor([True, False]).min(0).indices.item() == 1


def test_unbiased_var_std_over_empty_or_single_dims_give_nan():
    for shape, dim in [((0,), None), ((0, 3), 0), ((1, 3), 0), ((1,), None)]:
        for fn in ("var", "std"):
            ours = getattr(tg.zeros(shape), fn)(dim) if dim is not None else \
                getattr(tg.zeros(shape), fn)()
            assert np.isnan(ours.numpy()).all(), f"{fn} over {shape} dim {dim}"
    assert_same(tg.zeros(0, 2).var(0, correction=0), torch.zeros(0, 2).var(0, correction=0))
    assert_same(tg.ones(2).var(correction=3), torch.ones(2).var(correction=3))


def test_empty_dim_list_reduces_everything_as_torch():
    x = np.arange(6.0).reshape(2, 3)
    a, t = both(x, requires_grad=False)
    for fn in (lambda z: z.sum(dim=[]), lambda z: z.mean(dim=()), lambda z: z.amax(dim=[]),
               lambda z: z.var(dim=[]), lambda z: z.std(dim=()), lambda z: z.norm(dim=[]),
               lambda z: z.count_nonzero(dim=[]), lambda z: z.any(dim=[]),
               lambda z: z.all(dim=())):
        assert_same(fn(a), fn(t))


def test_float16_accumulates_in_float32_and_float32_std_does_not_overflow():
    ones = np.ones(70000, np.float16)
    assert_same(tg.tensor(ones).mean(), torch.tensor(ones).mean())
    assert tg.tensor(ones).mean().item() == 1.0
    assert_same(tg.tensor(ones).sum(), torch.tensor(ones).sum())      # inf, as torch
    small = np.full(70000, 0.01, np.float16)
    assert tg.tensor(small).mean().item() != 0
    image = np.random.default_rng(0).integers(0, 256, (3, 64, 64)).astype(np.float16)
    ours, theirs = tg.tensor(image).std(), torch.tensor(image).std()
    assert np.isfinite(ours.item())
    assert_same(ours, theirs, rtol=1e-3)
    assert_same(tg.tensor(image).var((1, 2)), torch.tensor(image).var((1, 2)), rtol=1e-3)
    big = np.array([1e20, -1e20], np.float32)
    assert_same(tg.tensor(big).std(), torch.tensor(big).std())
    np.testing.assert_allclose(tg.tensor(big).std().item(), 1.4142e20, rtol=1e-4)


def test_float32_scans_accumulate_as_torch():
    x = np.random.default_rng(3).standard_normal(100000).astype(np.float32)
    for fn in (lambda t: t.cumsum(0), lambda t: t.logcumsumexp(0),
               lambda t: (t * 0.001 + 1.0).cumprod(0)):
        ours, theirs = fn(tg.tensor(x)), fn(torch.tensor(x))
        assert_same(ours, theirs, rtol=0, atol=0)


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 5.0], [0.0, 0.0, 0.0, 1.0],
                               [1.5, -2.0, 0.0, 0.0, 3.0, 0.0], [0.0]])
def test_prod_and_cumprod_gradients_exact_through_zeros(x):
    arr = np.array(x)
    for name, fn in (("prod", lambda lib, t: t.prod()), ("prod(dim)", lambda lib, t: t.prod(0)),
                     ("cumprod", lambda lib, t: t.cumprod(0)),
                     ("cumprod 2-d", lambda lib, t: t.reshape(1, -1).cumprod(1))):
        check(Case(f"{name} of {x}", fn, arr))


# ============================================================================ counting
@settings(max_examples=20)
@given(data=st.data())
def test_unique_bincount_histc_match_torch(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    ints = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 6)))
    a, t = both(ints, requires_grad=False)
    flags = data.draw(st.booleans()), data.draw(st.booleans())
    for fn in (lambda lib, z: lib.unique(z, True, *flags),
               lambda lib, z: z.unique(return_inverse=True, dim=-1)):
        try:
            theirs = fn(torch, t)
        except RuntimeError:    # a size-0 dim that is not the one asked for, as torch
            with pytest.raises(RuntimeError, match="zero sized dimensions|0 sized dimensions"):
                fn(tg, a)
            continue
        for o, r in zip(_outputs(fn(tg, a)), _outputs(theirs)):
            assert_same(o, r)
    flat = ints.reshape(-1)
    w = data.draw(hnp.arrays(np.float32, flat.shape, elements=st.floats(-2, 2, width=32)))
    m = data.draw(st.integers(0, 9))
    (fa, ft), (wa, wt) = both(flat, False), both(w, False)
    assert_same(tg.bincount(fa, minlength=m), torch.bincount(ft, minlength=m))
    assert_same(fa.bincount(wa, m), ft.bincount(wt, m), rtol=0, atol=0)
    assert_same(fa.bincount(wa.double()), ft.bincount(wt.double()))
    assert_same(fa.bincount(tg.tensor(flat)), ft.bincount(torch.tensor(flat)))
    xs = data.draw(hnp.arrays(np.float32, shape, elements=st.one_of(
        st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]), st.floats(-1, 4, width=32))))
    bins, lo, hi = data.draw(st.sampled_from([(4, 0, 0), (3, 0.0, 2.0), (7, -1.0, 3.0),
                                              (1, 0, 0), (10, 1.0, 1.0)]))
    (xa, xt) = both(xs, False)
    assert_same(xa.histc(bins, lo, hi), torch.histc(xt, bins, lo, hi), rtol=0, atol=0)


def test_unique_keeps_nans_apart_and_counting_ops_are_not_differentiable():
    x = np.array([2.0, np.nan, 1.0, np.nan, 2.0])
    a, t = both(x)
    for o, r in zip(tg.unique(a, return_counts=True), torch.unique(t, return_counts=True)):
        assert_same(o, r)
    assert_same(a.histc(3, 0, 3), t.histc(3, 0, 3))
    for out in (a.histc(3, 0, 3), tg.bincount(tg.tensor([0, 1, 1]), a[:3]),
                a.argsort(), a.count_nonzero(), a.any(), a.topk(2).indices):
        assert not out.requires_grad and out.grad_fn is None
    # unique's values require grad, as torch's (its backward raises: no derivative)
    assert tg.unique(a).requires_grad == torch.unique(t).requires_grad


# ============================================================================ API
def test_return_types_are_named_tuples_as_torch():
    x = tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    for r in (x.max(1), x.min(1), x.sort(), x.topk(2), x.kthvalue(1), x.median(1),
              x.nanmedian(1), x.mode(1), x.cummax(1), x.cummin(1)):
        values, indices = r
        assert isinstance(r, tuple) and r.values is values and r.indices is indices
        assert type(r).__name__ in ("max", "min", "sort", "topk", "kthvalue", "median",
                                    "nanmedian", "mode", "cummax", "cummin")
    r = tg.aminmax(x, dim=1)
    assert r.min.tolist() == [1.0, 0.0] and r.max.tolist() == [3.0, 5.0] and r[0] is r.min
    v, m = tg.var_mean(x, 1)
    assert type(tg.var_mean(x)) is tuple and type(tg.std_mean(x)) is tuple
    assert_same(v, torch.var_mean(torch.tensor(x.numpy()), 1)[0])


NAMES = ["sum", "mean", "prod", "max", "min", "amax", "amin", "aminmax", "argmax", "argmin",
         "logsumexp", "var", "std", "var_mean", "std_mean", "norm", "count_nonzero", "any",
         "all", "median", "nanmedian", "mode", "cumsum", "cumprod", "cummax", "cummin",
         "logcumsumexp", "sort", "argsort", "topk", "kthvalue", "unique", "bincount", "histc"]


@pytest.mark.parametrize("name", NAMES)
def test_top_level_function_and_tensor_method_where_torch_has_them(name):
    assert callable(getattr(tg, name)) and name in tg.__all__
    assert hasattr(Tensor, name) == hasattr(torch.Tensor, name), name


@pytest.mark.skipif(not hasattr(Tensor, "maximum"), reason="maximum() not in this tree")
def test_max_min_with_a_tensor_are_the_elementwise_maximum_minimum():
    (a, t), (b, u) = both(np.array([1.0, 5.0, -2.0])), both(np.array([3.0, 0.5, -2.0]))
    for fn in (lambda lib, p, q: p.max(q), lambda lib, p, q: lib.min(p, q)):
        assert_same(fn(tg, a, b), fn(torch, t, u))


def test_var_std_argument_spellings_as_torch():
    x = np.arange(12.0).reshape(3, 4) ** 1.5
    a, t = both(x, requires_grad=False)
    for fn in (lambda z: z.var(True), lambda z: z.std(False), lambda z: z.var(1, False),
               lambda z: z.std(0, True, True), lambda z: z.var(unbiased=False),
               lambda z: z.var(dim=1, correction=0.5, keepdim=True), lambda z: z.std((0, 1))):
        assert_same(fn(a), fn(t))


def test_std_of_a_constant_slice_has_zero_gradient_as_torch():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    for fn in (lambda z: z.std(1).sum(), lambda z: z.std(), lambda z: z.norm(dim=1).sum() * 0 +
               z.norm(dim=0).sum()):
        a, t = both(x)
        fn(a).backward()
        fn(t).backward()
        assert_same(a.grad, t.grad)
    a, t = both(np.zeros(3))
    a.norm().backward()
    t.norm().backward()
    assert_same(a.grad, t.grad)


# ============================================================================ errors
ERRORS = {
    "max(dim=tuple)": (lambda lib, x: x.max(dim=(0, 1)), "invalid combination of arguments"),
    "max() empty": (lambda lib, x: lib.zeros(0).max(), "Expected reduction dim to be specified"),
    "min() empty": (lambda lib, x: lib.zeros(0, 2).min(), "Specify the reduction dim"),
    "max(dim) of size 0": (lambda lib, x: lib.zeros(0, 3).max(0),
                           "Expected reduction dim 0 to have non-zero size"),
    "argmax() empty": (lambda lib, x: lib.zeros(0).argmax(), "input.numel() == 0"),
    "argmax bool": (lambda lib, x: (x > 1).argmax(), "does not support bool input"),
    "argmin(dim) size 0": (lambda lib, x: lib.zeros(2, 0).argmin(1), "non-zero size"),
    "amax() empty": (lambda lib, x: lib.zeros(2, 0).amax(), "Expected reduction dim to be"),
    "amin(dims) size 0": (lambda lib, x: lib.zeros(2, 0).amin((0, 1)),
                          "Expected reduction dim 1 to have non-zero size"),
    "aminmax empty": (lambda lib, x: lib.aminmax(lib.zeros(0)), "cannot compute aminmax"),
    "aminmax dim tuple": (lambda lib, x: lib.aminmax(x, dim=(0,)), "must be int, not tuple"),
    "mean of int": (lambda lib, x: x.long().mean(), "Input dtype must be either a floating"),
    "mean of bool": (lambda lib, x: (x > 1).mean(), "Got: Bool"),
    "var of int": (lambda lib, x: x.long().var(), "std and var only support floating point"),
    "var unbiased+correction": (lambda lib, x: x.var(unbiased=True, correction=1),
                                "invalid combination of arguments"),
    "prod(dim=tuple)": (lambda lib, x: x.prod(dim=(0, 1)), "invalid combination of arguments"),
    "logsumexp without dim": (lambda lib, x: x.logsumexp(), "dim"),
    "norm of int": (lambda lib, x: x.long().norm(), "Expected a floating point or complex"),
    "norm inf of empty": (lambda lib, x: lib.zeros(0).norm(INF), "cannot compute the inf norm"),
    "norm bad order": (lambda lib, x: x.norm(p="abc"), "Order abc not supported"),
    "norm fro of 3 dims": (lambda lib, x: x.reshape(1, 2, 3).norm("fro", (0, -2, 2)),
                           "dim must be a 2-tuple. Got 0 -2 2"),
    "cumsum dim": (lambda lib, x: x.cumsum(2), "out of range"),
    "cumsum without dim": (lambda lib, x: x.cumsum(), "dim"),
    "logcumsumexp of int": (lambda lib, x: x.long().logcumsumexp(0), "not implemented for 'Long'"),
    "sort dim": (lambda lib, x: x.sort(dim=3), "out of range"),
    "topk k too large": (lambda lib, x: x.topk(4), "selected index k out of range"),
    "topk negative k": (lambda lib, x: x.topk(-1), "selected index k out of range"),
    "topk bool": (lambda lib, x: (x > 1).topk(1), "topk does not support bool"),
    "kthvalue k": (lambda lib, x: x.kthvalue(0), "selected number k out of range"),
    "kthvalue k too large": (lambda lib, x: x.kthvalue(4, 1), "k out of range for dimension 1"),
    "kthvalue bool": (lambda lib, x: (x > 1).kthvalue(1), "not implemented for 'Bool'"),
    "kthvalue empty": (lambda lib, x: lib.zeros(0).kthvalue(1), "non-zero size"),
    "median bool": (lambda lib, x: (x > 1).median(), "\"median_cpu\" not implemented"),
    "median(dim) bool": (lambda lib, x: (x > 1).median(0), "\"median_out\" not implemented"),
    "median(dim) empty": (lambda lib, x: lib.zeros(0, 2).median(0), "non-zero size"),
    "median dim tuple": (lambda lib, x: x.median(dim=(0,)), "'dim' must be int, not tuple"),
    "mode empty": (lambda lib, x: lib.zeros(0).mode(), "mode(): Expected reduction dim 0"),
    "bincount negative": (lambda lib, x: lib.bincount(lib.tensor([0, -1])),
                          "1-d non-negative integral inputs"),
    "bincount 2-d": (lambda lib, x: lib.bincount(x.long()), "1-d non-negative integral"),
    "bincount float": (lambda lib, x: lib.bincount(x[0]), "\"bincount_cpu\" not implemented"),
    "bincount weights": (lambda lib, x: lib.bincount(lib.tensor([0, 1]), x[0]),
                         "weights should be 1-d and have the same length"),
    "bincount minlength": (lambda lib, x: lib.bincount(lib.tensor([0]), minlength=-1),
                           "minlength should be >= 0"),
    "histc int": (lambda lib, x: x.long().histc(), "\"histogram_cpu\" not implemented"),
    "histc bins": (lambda lib, x: x.histc(0), "bins must be > 0, but got 0"),
    "histc bins float": (lambda lib, x: x.histc(2.5), "must be int, not float"),
    "histc of NaN": (lambda lib, x: (x * math.nan).histc(), "is not finite"),
    "histc range": (lambda lib, x: x.histc(3, 2.0, 1.0), "max must be larger than min"),
    "histc infinite": (lambda lib, x: x.histc(3, 0.0, INF), "is not finite"),
    "unique zero dims": (lambda lib, x: lib.zeros(2, 0).unique(dim=0),
                         "There are 0 sized dimensions"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_misuse_raises_torch_error(name):
    fn, message = ERRORS[name]
    x = np.arange(6.0).reshape(2, 3)
    (a, t) = both(x, requires_grad=False)
    with pytest.raises(Exception) as theirs:
        fn(torch, t)
    assert message in str(theirs.value), f"torch's message changed: {theirs.value}"
    with pytest.raises(theirs.type) as ours:
        fn(tg, a)
    assert message in str(ours.value)


def test_norm_zero_counts_and_has_no_gradient_as_torch():
    x = np.array([[0.0, 2.0, -1.0], [0.0, 0.0, 3.0]])
    a, t = both(x)
    assert_same(a.norm(0), t.norm(0))
    assert_same(a.norm(0, dim=1, keepdim=True), t.norm(0, dim=1, keepdim=True))
    (a.norm(0) + a.sum()).backward()
    (t.norm(0) + t.sum()).backward()
    assert_same(a.grad, t.grad)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        tg.autograd.grad(a.norm(0), [a])


def test_norm_nuclear_as_torch():
    """``norm('nuc')`` is the sum of singular values (through linalg.matrix_norm), as torch."""
    x = np.array([[3.0, 1.0], [-2.0, 0.5]])
    got = tg.tensor(x).norm("nuc")
    assert got.item() == pytest.approx(torch.tensor(x).norm("nuc").item(), rel=1e-12)
