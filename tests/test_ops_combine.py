"""Combining, splitting, broadcasting helpers, searches and the matrix helpers (functions/
combine.py), and histogram (functions/misc.py) against torch: value, gradient for every float input, second order, float64 and
float32, size-0/size-1 dims; integer/bool dtypes; each misuse's error class and message."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_sgd as tg
from strategies import arrays, assert_same, check_against_torch

warnings.filterwarnings("ignore", message=".*chain_matmul is deprecated.*")
R = np.random.default_rng(0)


def rnd(*shape):
    return R.standard_normal(shape)


def _sorted(*shape):
    return np.sort(R.standard_normal(shape), axis=-1)


# (label, fn(lib, *tensors), arrays): every float array gets a gradient
CASES = [
    ("atleast_1d", lambda L, x: L.atleast_1d(x), [rnd()]),
    ("atleast_1d many", lambda L, x, y: L.atleast_1d(x, y)[0] * 2 + L.atleast_1d([x, y])[1],
     [rnd(), rnd(3)]),
    ("atleast_2d 0d", lambda L, x: L.atleast_2d(x), [rnd()]),
    ("atleast_2d 1d", lambda L, x: L.atleast_2d(x), [rnd(3)]),
    ("atleast_3d 0d", lambda L, x: L.atleast_3d(x), [rnd()]),
    ("atleast_3d 1d", lambda L, x: L.atleast_3d(x), [rnd(3)]),
    ("atleast_3d 2d", lambda L, x: L.atleast_3d(x), [rnd(2, 3)]),
    ("atleast_3d 4d", lambda L, x: L.atleast_3d(x), [rnd(1, 2, 0, 3)]),
    ("hstack 1d", lambda L, x, y: L.hstack([x, y]), [rnd(3), rnd()]),
    ("hstack 2d", lambda L, x, y: L.hstack((x, y)), [rnd(2, 3), rnd(2, 1)]),
    ("hstack size0", lambda L, x, y: L.hstack((x, y)), [rnd(2, 0), rnd(2, 1)]),
    ("vstack", lambda L, x, y: L.vstack([x, y]), [rnd(3), rnd(2, 3)]),
    ("row_stack", lambda L, x, y: L.row_stack([x, y]), [rnd(), rnd(1, 1)]),
    ("dstack", lambda L, x, y, z: L.dstack([x, y, z]), [rnd(1, 3), rnd(3), rnd(1, 3, 2)]),
    ("column_stack", lambda L, x, y, z: L.column_stack([x, y, z]), [rnd(3), rnd(3, 2), rnd(3)]),
    ("column_stack 0d", lambda L, x, y: L.column_stack([x, y]), [rnd(), rnd(1, 2)]),
    ("broadcast_to", lambda L, x: L.broadcast_to(x, (2, 3, 4)), [rnd(3, 1)]),
    ("Tensor.broadcast_to", lambda L, x: x.broadcast_to((0, 3)), [rnd(1, 3)]),
    ("broadcast_tensors", lambda L, x, y, z: L.cat([t.reshape(-1) for t in
                                                   L.broadcast_tensors(x, y, z)]),
     [rnd(3, 1), rnd(4), rnd()]),
    ("hsplit sections", lambda L, x: L.hsplit(x, 2)[1], [rnd(2, 4)]),
    ("hsplit indices 1d", lambda L, x: L.hsplit(x, [1, 3])[2] * 3, [rnd(5)]),
    ("Tensor.vsplit", lambda L, x: x.vsplit([1])[1], [rnd(3, 2)]),
    ("dsplit", lambda L, x: L.dsplit(x, 3)[2], [rnd(1, 2, 3)]),
    ("block_diag", lambda L, x, y, z: L.block_diag(x, y, z), [rnd(2, 3), rnd(), rnd(4)]),
    ("block_diag size0", lambda L, x, y: L.block_diag(x, y), [rnd(0, 2), rnd(2, 0)]),
    ("block_diag one", lambda L, x: L.block_diag(x), [rnd(3)]),
    ("cartesian_prod", lambda L, x, y, z: L.cartesian_prod(x, y, z), [rnd(2), rnd(3), rnd(1)]),
    ("cartesian_prod one", lambda L, x: L.cartesian_prod(x), [rnd(3)]),
    ("cartesian_prod empty", lambda L, x, y: L.cartesian_prod(x, y), [rnd(0), rnd(3)]),
    ("ravel", lambda L, x: x.T.ravel(), [rnd(2, 3)]),
    ("diff", lambda L, x: L.diff(x), [rnd(2, 5)]),
    ("diff n=3 dim=0", lambda L, x: L.diff(x, n=3, dim=0), [rnd(5, 2)]),
    ("diff n=0", lambda L, x: x.diff(0), [rnd(3)]),
    ("diff n>len", lambda L, x: x.diff(4), [rnd(2, 3)]),
    ("diff prepend append", lambda L, x, p, a: L.diff(x, 2, -1, prepend=p, append=a),
     [rnd(2, 3), rnd(2, 1), rnd(2, 2)]),
    ("diff size0", lambda L, x: L.diff(x, dim=0), [rnd(0, 3)]),
    ("mm", lambda L, x, y: L.mm(x, y), [rnd(2, 3), rnd(3, 4)]),
    ("Tensor.mm size0", lambda L, x, y: x.mm(y), [rnd(2, 0), rnd(0, 4)]),
    ("inner", lambda L, x, y: L.inner(x, y), [rnd(2, 3), rnd(4, 1, 3)]),
    ("inner 0d", lambda L, x, y: L.inner(x, y), [rnd(), rnd(2, 3)]),
    ("Tensor.inner 1d", lambda L, x, y: x.inner(y), [rnd(3), rnd(3)]),
    ("vdot", lambda L, x, y: L.vdot(x, y), [rnd(4), rnd(4)]),
    ("addbmm", lambda L, i, a, b: L.addbmm(i, a, b), [rnd(2, 4), rnd(3, 2, 5), rnd(3, 5, 4)]),
    ("addbmm beta alpha", lambda L, i, a, b: i.addbmm(a, b, beta=0.5, alpha=-2.0),
     [rnd(4), rnd(3, 2, 5), rnd(3, 5, 4)]),
    ("chain_matmul", lambda L, a, b, c: L.chain_matmul(a, b, c),
     [rnd(2, 3), rnd(3, 4), rnd(4, 1)]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch(case, dtype):
    label, fn, arrs = case
    arrs = [a.astype(dtype) for a in arrs]
    tol = dict(rtol=1e-6, atol=1e-9) if dtype == np.float64 else dict(rtol=2e-6, atol=1e-5)
    check_against_torch(fn, arrs, second_order=dtype == np.float64, label=label, **tol)


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_diff_random(data):
    shape = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = data.draw(st.integers(0, 4))
    x = data.draw(arrays(shape))
    check_against_torch(lambda L, t: L.diff(t, n, dim), [x], label=f"diff {shape} {n} {dim}")


# --------------------------------------------------------------------------- int and bool
INT_CASES = [
    ("hstack int", lambda L: L.hstack([L.tensor([1, 2]), L.tensor([3])])),
    ("block_diag promotes", lambda L: L.block_diag(L.tensor([1, 2]), L.tensor([[1.5]]))),
    ("block_diag bool", lambda L: L.block_diag(L.tensor([True]), L.tensor([[False, True]]))),
    ("block_diag none", lambda L: L.block_diag()),
    ("cartesian_prod int", lambda L: L.cartesian_prod(L.tensor([1, 2]), L.tensor([3, 4, 5]))),
    ("diff bool", lambda L: L.diff(L.tensor([[True, False, False, True]]))),
    ("diff int n2", lambda L: L.diff(L.tensor([1, 5, 2, 8]), 2)),
    ("diff uint8", lambda L: L.diff(L.tensor([1, 5, 2], dtype=L.uint8))),
    ("tril_indices", lambda L: L.tril_indices(3, 4, 1)),
    ("tril_indices neg", lambda L: L.tril_indices(4, 3, -2)),
    ("triu_indices", lambda L: L.triu_indices(3, 4, -1)),
    ("triu_indices int32", lambda L: L.triu_indices(3, 3, dtype=L.int32)),
    ("triu_indices empty", lambda L: L.triu_indices(0, 3)),
    ("unique_consecutive", lambda L: L.unique_consecutive(L.tensor([1, 1, 2, 2, 3, 1, 1]))),
    ("unique_consecutive inv cnt", lambda L: L.unique_consecutive(
        L.tensor([[1, 1], [2, 2]]), return_inverse=True, return_counts=True)),
    ("unique_consecutive dim", lambda L: L.tensor([[1, 1, 2, 2], [3, 3, 4, 5]])
     .unique_consecutive(return_inverse=True, return_counts=True, dim=1)),
    ("unique_consecutive dim0", lambda L: L.unique_consecutive(
        L.tensor([[1., 2], [1, 2], [0, 2]]), return_counts=True, dim=0)),
    ("unique_consecutive empty", lambda L: L.unique_consecutive(
        L.tensor([], dtype=L.float32), return_inverse=True, return_counts=True)),
    ("searchsorted", lambda L: L.searchsorted(L.tensor([1., 2, 2, 3]),
                                              L.tensor([[2., 0], [3.5, 2]]))),
    ("searchsorted right", lambda L: L.searchsorted(L.tensor([1., 2, 2, 3]),
                                                    L.tensor([2., 3]), right=True)),
    ("searchsorted side", lambda L: L.searchsorted(L.tensor([1, 2, 2, 3]),
                                                   L.tensor([2, 3]), side="right")),
    ("searchsorted int32", lambda L: L.searchsorted(L.tensor([1., 2]), L.tensor([1.5]),
                                                    out_int32=True)),
    ("searchsorted scalar", lambda L: L.searchsorted(L.tensor([1., 2, 3]), 2.5)),
    ("searchsorted mixed", lambda L: L.searchsorted(L.tensor([1, 2, 3]), L.tensor([1.5]))),
    ("searchsorted batched", lambda L: L.searchsorted(
        L.tensor([[1., 2, 3], [0, 5, 9]]), L.tensor([[2., 2.5], [9, -1]]), right=True)),
    ("searchsorted sorter", lambda L: L.searchsorted(
        L.tensor([3., 1, 2]), L.tensor([0., 1.5, 2, 4]), sorter=L.tensor([1, 2, 0]))),
    ("searchsorted batched sorter", lambda L: L.searchsorted(
        L.tensor([[3., 1, 2], [5, 4, 6]]), L.tensor([[2.], [5.5]]),
        sorter=L.tensor([[1, 2, 0], [1, 0, 2]]))),
    ("bucketize", lambda L: L.bucketize(L.tensor([[1, 5], [9, 3]]), L.tensor([1, 3, 5, 7]))),
    ("bucketize right", lambda L: L.bucketize(L.tensor([1, 5, 9]), L.tensor([1, 3, 5]),
                                                           right=True)),
    ("bucketize scalar", lambda L: L.bucketize(4, L.tensor([1, 3, 5]))),
    ("isin", lambda L: L.isin(L.tensor([[1, 2], [3, 4]]), L.tensor([2, 3, 9]))),
    ("isin invert", lambda L: L.isin(L.tensor([1., 2, 3]), L.tensor([2]), invert=True)),
    ("isin scalar test", lambda L: L.isin(L.tensor([1, 2, 3]), 2)),
    ("isin scalar elem", lambda L: L.isin(2, L.tensor([1, 2]))),
    ("mm int", lambda L: L.mm(L.tensor([[1, 2]]), L.tensor([[3], [4]]))),
    ("inner int", lambda L: L.inner(L.tensor([1, 2]), L.tensor([[3, 4], [5, 6]]))),
    ("broadcast_shapes", lambda L: L.broadcast_shapes((1, 3), (2, 1), 3, ())),
    ("broadcast_shapes none", lambda L: L.broadcast_shapes()),
]


def _as_list(r):
    if type(r).__name__ == "Size":
        return [r]
    return list(r) if isinstance(r, (tuple, list)) else [r]


@pytest.mark.parametrize("case", INT_CASES, ids=[c[0] for c in INT_CASES])
def test_int_bool_and_index_results(case):
    label, fn = case
    ours, ref = _as_list(fn(tg)), _as_list(fn(torch))
    assert len(ours) == len(ref), label
    for a, b in zip(ours, ref):
        if isinstance(b, torch.Size):
            assert tuple(a) == tuple(b) and type(a).__name__ == "Size", label
        else:
            assert_same(a, b, what=label)


def test_searchsorted_matches_numpy_randomly():
    seq = np.sort(R.integers(0, 6, (3, 7)).astype(np.float64), axis=-1)
    vals = R.integers(-1, 8, (3, 5)).astype(np.float64)
    for right in (False, True):
        ours = tg.searchsorted(tg.tensor(seq), tg.tensor(vals), right=right)
        assert_same(ours, torch.searchsorted(torch.tensor(seq), torch.tensor(vals),
                                             right=right))
        ours = tg.searchsorted(tg.tensor(seq[0]), tg.tensor(vals), right=right)
        assert_same(ours, torch.searchsorted(torch.tensor(seq[0]), torch.tensor(vals),
                                             right=right))


def test_atleast_returns_same_tensor_and_tuple():
    x = tg.zeros(2, 3)
    assert tg.atleast_2d(x) is x and tg.atleast_1d(x) is x
    assert isinstance(tg.atleast_1d(x, x), tuple) and tg.atleast_3d() == ()


# --------------------------------------------------------------------------- errors
ERRORS = [
    lambda L: L.broadcast_to(L.zeros(3), (2, 2)),
    lambda L: L.broadcast_shapes((3,), (2,)),
    lambda L: L.broadcast_shapes((1, 3), (2, 1), (4,)),
    lambda L: L.broadcast_shapes((-1,)),
    lambda L: L.broadcast_tensors(L.zeros(3), L.zeros(2)),
    lambda L: L.hsplit(L.zeros(5, 5), 2),
    lambda L: L.hsplit(L.zeros(()), 2),
    lambda L: L.vsplit(L.zeros(5), 2),
    lambda L: L.vsplit(L.zeros(5, 4), 2),
    lambda L: L.dsplit(L.zeros(5, 4), 2),
    lambda L: L.block_diag(L.zeros(2, 2, 2)),
    lambda L: L.cartesian_prod(L.zeros(2, 2)),
    lambda L: L.cartesian_prod(L.zeros(2), L.zeros(3, dtype=L.int64)),
    lambda L: L.diff(L.zeros(())),
    lambda L: L.diff(L.zeros(3), n=-1),
    lambda L: L.diff(L.zeros(3), prepend=L.zeros(2, 2)),
    lambda L: L.diff(L.zeros(3), prepend=L.zeros(())),
    lambda L: L.diff(L.zeros(3), append=5),
    lambda L: L.hstack([]),
    lambda L: L.vstack([]),
    lambda L: L.column_stack([]),
    lambda L: L.searchsorted(L.zeros(2, 3), L.zeros(3, 2)),
    lambda L: L.searchsorted(L.zeros(3), L.zeros(2), side="foo"),
    lambda L: L.searchsorted(L.zeros(3), L.zeros(2), right=True, side="left"),
    lambda L: L.searchsorted(L.zeros(3), L.zeros(2), sorter=L.zeros(2, dtype=L.int64)),
    lambda L: L.bucketize(L.zeros(2), L.zeros(2, 2)),
    lambda L: L.tril_indices(3, 4, dtype=L.float32),
    lambda L: L.tril_indices(-1, 4),
    lambda L: L.triu_indices(1, -4),
    lambda L: L.mm(L.zeros(2, 3), L.zeros(2, 3)),
    lambda L: L.mm(L.zeros(2, 3, 1), L.zeros(2, 3)),
    lambda L: L.mm(L.zeros(2, 3), L.zeros(3)),
    lambda L: L.mm(L.zeros(2, 3), L.zeros(3, 2, dtype=L.float64)),
    lambda L: L.inner(L.zeros(2, 3), L.zeros(2)),
    lambda L: L.inner(L.zeros(2, 3), L.zeros(3, dtype=L.int64)),
    lambda L: L.vdot(L.zeros(2, 3), L.zeros(2)),
    lambda L: L.addbmm(L.zeros(2, 2), L.zeros(2, 2), L.zeros(2, 2, 2)),
    lambda L: L.addbmm(L.zeros(2, 2), L.zeros(2, 2, 2), L.zeros(3, 2, 2)),
    lambda L: L.addbmm(L.zeros(2, 2), L.zeros(2, 2, 3), L.zeros(2, 2, 2)),
    lambda L: L.chain_matmul(),
    lambda L: L.chain_matmul(L.zeros(2)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    fn = ERRORS[i]
    with pytest.raises(Exception) as ref:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(tg)
    assert isinstance(ours.value, type(ref.value)), (ours.value, ref.value)
    if i:   # (broadcast_to/expand: the house's expand message says more than torch's)
        assert str(ours.value) == str(ref.value)


# --------------------------------------------------------------------------- histogram
HIST_CASES = [
    lambda L, d: L.histogram(L.tensor(R.standard_normal(200).astype(d)), 7),
    lambda L, d: L.histogram(L.tensor(R.integers(0, 5, (6, 5)).astype(d)), 5),
    lambda L, d: L.histogram(L.tensor(R.uniform(-3, 3, 50).astype(d)), 4, range=(-1.0, 2.0)),
    lambda L, d: L.tensor(R.uniform(0, 4, 30).astype(d)).histogram(
        L.tensor(np.array([0.0, 0.5, 2.5, 4.0], d)), weight=L.tensor(R.uniform(0, 1, 30).astype(d)),
        density=True),
    lambda L, d: L.histogram(L.tensor(np.array([1.0, 1, 1], d)), 3),
    lambda L, d: L.histogram(L.tensor(np.array([], d)), 2),
    lambda L, d: L.histogram(L.tensor(R.standard_normal(40).astype(d)), 6, density=True),
]


@pytest.mark.parametrize("i", range(len(HIST_CASES)))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_histogram_matches_torch(i, dtype):
    state = R.bit_generator.state
    ours = HIST_CASES[i](tg, dtype)
    R.bit_generator.state = state                 # the same random input for torch
    ref = HIST_CASES[i](torch, dtype)
    assert ours._fields == ("hist", "bin_edges")
    assert_same(ours.bin_edges, ref.bin_edges, rtol=1e-7)
    assert_same(ours.hist, ref.hist, rtol=1e-6)


HIST_ERRORS = [
    lambda L: L.histogram(L.tensor([1, 2]), 2),
    lambda L: L.histogram(L.tensor([1.0, 2.0]), 0),
    lambda L: L.histogram(L.tensor([1.0, 2.0]), 2, range=(3.0, 1.0)),
    lambda L: L.histogram(L.tensor([1.0, 2.0]), 2, weight=L.ones(3)),
    lambda L: L.histogram(L.tensor([1.0, float("nan")]), 2),
    lambda L: L.histogram(L.tensor([1.0, float("inf")]), 2),
]


@pytest.mark.parametrize("i", range(len(HIST_ERRORS)))
def test_histogram_errors_match_torch(i):
    with pytest.raises(Exception) as ref:
        HIST_ERRORS[i](torch)
    with pytest.raises(Exception) as ours:
        HIST_ERRORS[i](tg)
    assert type(ours.value) is type(ref.value) and str(ours.value) == str(ref.value)


def test_chain_matmul_warns_once_per_process_as_torch():
    import subprocess
    import sys
    code = ("import warnings, {lib} as L\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    try:\n"
            "        L.chain_matmul()\n"
            "    except RuntimeError:\n"
            "        pass\n"
            "    L.chain_matmul(L.ones(2, 2), L.ones(2, 2))\n"
            "print([(x.category.__name__, str(x.message).split(' (Triggered')[0]) for x in w])\n")
    outs = [subprocess.run([sys.executable, "-c", code.format(lib=lib)], capture_output=True,
                           text=True, check=True).stdout for lib in ("torch", "tinygrad_sgd")]
    assert outs[0] == outs[1] and "chain_matmul is deprecated" in outs[0]
    assert outs[0].count("UserWarning") == 1
