"""Norms and distances against torch: ``linalg.vector_norm`` / ``matrix_norm`` (the norms of
singular values too) / ``norm`` / ``cross``, ``torch.cross``, ``cdist``, ``F.normalize``,
``F.cosine_similarity``, ``F.pairwise_distance``, ``F.one_hot`` and the two layers.

One table of cases drives value, gradient for every input and second order, in float64 and
float32 (each case's inputs hold zero vectors, ties, size-1 and size-0 dims, broadcasting);
special values (inf, NaN, tiny norms) and torch's first-order conventions at zero get tables of
their own; then every misuse is run on both libraries and must raise torch's class with
torch's message.

A case is ``fn(lib, *tensors)``, run once with ``lib = tinygrad_sgd`` and once with
``lib = torch``; ``L(lib)`` is ``lib.linalg`` and ``F(lib)`` is ``lib.nn.functional``.

(house: long file — the one test file of the norm/distance surface: mostly tables, a line a
case.)
"""
import math
import re
import warnings
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import autograd
from tinygrad_sgd.functions import distance as _distance
from strategies import assert_same, both, check_against_torch

INF, NAN = math.inf, math.nan


def L(lib):
    return lib.linalg


def F(lib):
    return lib.nn.functional


# ============================================================================ inputs
def _rng(seed):
    return np.random.default_rng(seed)


def rows(shape, seed=0, zero_rows=True, ties=True):
    """Random values of ``shape`` whose first slice along the last-but-one dim is all zeros
    (a zero vector) and whose second holds ties (|x| equal, signs mixed)."""
    x = np.asarray(_rng(seed).uniform(-2, 2, shape).round(3))
    x[np.abs(x) < 0.05] = 0.3
    if len(shape) >= 2 and shape[-2] >= 1 and zero_rows:
        x[..., 0, :] = 0.0
    if len(shape) >= 2 and shape[-2] >= 2 and ties and shape[-1] >= 2:
        x[..., 1, :2] = [1.5, -1.5]
    return x


def plain(shape, seed=0):
    """Random values away from 0 and without ties (second order is smooth there)."""
    x = _rng(seed).uniform(0.5, 2, shape) * _rng(seed + 1).choice([-1, 1], shape)
    return np.asarray(x)


class Case(NamedTuple):
    label: str
    fn: Callable
    arrays: tuple
    second_order: bool = True
    grad: bool = True         # False: compare values only


# ============================================================================ the battery
ORDS = [2, 1, INF, -INF, 3, 0.5, 1.5, -1, -0.5, 2.5]
VECTOR_DIMS = [None, 0, -1, (0, -1), []]


def vector_norm_cases():
    cases = []
    for o in ORDS:
        for i, dim in enumerate(VECTOR_DIMS if o in (2, 1, INF, -INF, 0.5, -1, 3)
                                else VECTOR_DIMS[:3]):
            for keepdim in ((False, True) if dim is None else (bool(i % 2),)):
                # rows: zero vectors along the last dim, ties; second order where smooth
                smooth = o not in (INF, -INF) and (o >= 2 or o == 1)
                x = rows((2, 3, 4), seed=len(cases)) if smooth or o in (INF, -INF) \
                    else plain((2, 3, 4), seed=len(cases))
                cases.append(Case(f"vector_norm(ord={o}, dim={dim}, keepdim={keepdim})",
                                  lambda lib, t, o=o, d=dim, k=keepdim:
                                  L(lib).vector_norm(t, o, d, k), (x,)))
        cases.append(Case(f"vector_norm(ord={o}) size-1 dims",
                          lambda lib, t, o=o: L(lib).vector_norm(t, o, (0, 2)),
                          (plain((1, 3, 1)),)))
        cases.append(Case(f"vector_norm(ord={o}) 0-d", lambda lib, t, o=o:
                          L(lib).vector_norm(t, o, 0), (np.array(-1.5),)))
        if o in (2, INF, 0.5):
            cases.append(Case(f"x.norm(p={o}) (torch.norm)", lambda lib, t, o=o: t.norm(o, 1),
                              (plain((2, 3)),)))
    for o in (2, 1, 3, 0.5):     # an empty dim: the identity (0) where there is one
        cases.append(Case(f"vector_norm(ord={o}) over an empty dim", lambda lib, t, o=o:
                          L(lib).vector_norm(t, o, 1), (np.zeros((2, 0, 3)),)))
    cases.append(Case("vector_norm(dtype=float64) of float32",
                      lambda lib, t: L(lib).vector_norm(t.float(), 3, 1, dtype=lib.float64),
                      (plain((2, 3)),)))
    return cases


MATRIX_ORDS = ["fro", 1, -1, INF, -INF]


def matrix_norm_cases():
    cases = []
    for o in MATRIX_ORDS:
        for i, dim in enumerate(((-2, -1), (0, 2), (2, 0), (1, 0))):
            for keepdim in ((False, True) if i == 0 else (bool(i % 2),)):
                x = rows((2, 3, 4), seed=len(cases))
                x[..., 2, :] = x[..., 1, :]      # tied row sums and column sums
                x[..., :, 3] = -x[..., :, 1]
                cases.append(Case(f"matrix_norm(ord={o!r}, dim={dim}, keepdim={keepdim})",
                                  lambda lib, t, o=o, d=dim, k=keepdim:
                                  L(lib).matrix_norm(t, o, d, k), (x,)))
        cases.append(Case(f"matrix_norm(ord={o!r}) 1x1", lambda lib, t, o=o:
                          L(lib).matrix_norm(t, o), (np.array([[-2.5]]),)))
    for o in ("nuc", 2, -2):     # singular values: distinct and non-zero (else inf, as torch)
        for i, (shape, dim) in enumerate((((3, 3), (-2, -1)), ((4, 2), (1, 0)), ((2, 4), (0, 1)),
                                          ((2, 3, 4), (-2, -1)), ((2, 4, 3), (0, 2)),
                                          ((1, 1), (0, 1)))):
            cases.append(Case(f"matrix_norm(ord={o!r}) {shape} dim={dim}",
                              lambda lib, t, o=o, d=dim, k=bool(i % 2):
                              L(lib).matrix_norm(t, o, d, k), (plain(shape, i),)))
    return cases


NORM_CALLS = [  # (ord, dim) of linalg.norm: vector or matrix, as torch decides
    (None, None), (None, 1), (None, (0, 2)), (2, 1), (1, -1), (INF, 0), (-INF, 2), (0.5, 1),
    (3, (2,)), ("fro", (0, 1)), (1, (1, 2)), (INF, (2, 1)), (-1, (0, 1)), (-INF, (0, 2)),
    ("nuc", (0, 1)), (2, (1, 2)), (-2, (2, 0)),
]


def norm_cases():
    cases = []
    for i, (o, dim) in enumerate(NORM_CALLS):
        for keepdim in (bool(i % 2),):
            x = plain((2, 3, 4), len(cases)) if o in (0.5, "nuc", 2, -2) else rows((2, 3, 4),
                                                                                  len(cases))
            cases.append(Case(f"linalg.norm(ord={o!r}, dim={dim}, keepdim={keepdim})",
                              lambda lib, t, o=o, d=dim, k=keepdim:
                              L(lib).norm(t, o, d, k), (x,)))
    for o in (None, "fro", "nuc", 1, -1, INF, -INF, 2, -2, 0.5):  # no dim: 1-D vector, 2-D matrix
        if not isinstance(o, str):
            cases.append(Case(f"linalg.norm(1-D, ord={o!r})", lambda lib, t, o=o:
                              L(lib).norm(t, o), (plain((5,)),)))
        if o != 0.5:
            cases.append(Case(f"linalg.norm(2-D, ord={o!r})", lambda lib, t, o=o:
                              L(lib).norm(t, o), (plain((3, 4)) if o in ("nuc", 2, -2)
                                                  else rows((3, 4)),)))
    cases.append(Case("linalg.norm(3-D) of everything", lambda lib, t: L(lib).norm(t),
                      (rows((2, 3, 4)),)))
    return cases


CROSS_SHAPES = [((3,), (3,), -1), ((2, 3), (2, 3), -1), ((1, 3), (4, 3), 1),
                ((3, 2), (3, 2), 0), ((2, 3, 4), (1, 3, 1), 1), ((0, 3), (0, 3), -1)]


def cross_cases():
    cases = []
    for i, (a, b, dim) in enumerate(CROSS_SHAPES):
        cases.append(Case(f"linalg.cross({a}, {b}, dim={dim})", lambda lib, x, y, d=dim:
                          L(lib).cross(x, y, dim=d), (plain(a, i), plain(b, i + 7))))
        cases.append(Case(f"torch.cross({a}, {b}, dim={dim})", lambda lib, x, y, d=dim:
                          lib.cross(x, y, dim=d), (plain(a, i), plain(b, i + 7))))
        cases.append(Case(f"x.cross({a}, {b}, {dim})", lambda lib, x, y, d=dim:
                          x.cross(y, d), (plain(a, i), plain(b, i + 7))))
    return cases


CDIST_PS = [0, 0.5, 1, 1.5, 2, 3, INF]
CDIST_SHAPES = [((3, 2), (4, 2)), ((2, 3, 4), (2, 5, 4)), ((1, 3, 2), (2, 1, 2, 2)),
                ((3, 1), (2, 1)), ((1, 3), (1, 3))]


def cdist_pair(s1, s2, seed):
    """x₂ shares a row with x₁ (a zero distance) and has ties of |d| for p = ∞."""
    x1, x2 = plain(s1, seed), plain(s2, seed + 3)
    n = min(s1[-2], s2[-2])
    x2[..., 0, :] = x1[..., 0, :] if x1.ndim == x2.ndim and s1[:-2] == s2[:-2] else x2[..., 0, :]
    if s2[-2] >= 2 and s1[-1] >= 2:
        x2[..., 1, :2] = x1[..., min(1, n - 1), :2] + np.array([0.75, -0.75])
    return x1, x2


def cdist_cases():
    cases = []
    for p in CDIST_PS:
        for i, (s1, s2) in enumerate(CDIST_SHAPES):
            cases.append(Case(f"cdist(p={p}) {s1} {s2}", lambda lib, x, y, p=p:
                              lib.cdist(x, y, p), cdist_pair(s1, s2, i),
                              second_order=False))      # torch: not implemented
        for s1, s2 in (((0, 2), (3, 2)), ((2, 0), (3, 0)), ((0, 2, 3), (2, 3))) \
                if p in (0, 2, INF) else ():
            cases.append(Case(f"cdist(p={p}) empty {s1} {s2}", lambda lib, x, y, p=p:
                              lib.cdist(x, y, p), (np.zeros(s1), np.ones(s2)),
                              second_order=False))
    return cases


def functional_cases():
    cases = []
    for p in (2, 1, INF, 3, 0.5, "fro"):
        for dim in (1, 0, -1, (0, 1)):
            if p == "fro" and dim == (0, 1):
                continue
            x = rows((3, 4), seed=len(cases)) if p not in (0.5,) else plain((3, 4))
            cases.append(Case(f"normalize(p={p!r}, dim={dim})", lambda lib, t, p=p, d=dim:
                              F(lib).normalize(t, p, d), (x,)))
    cases.append(Case("normalize(eps=0.5) clamps", lambda lib, t: F(lib).normalize(t, eps=0.5),
                      (rows((3, 4)) * 0.1,)))
    cases.append(Case("normalize(1-D, dim=0)", lambda lib, t: F(lib).normalize(t, dim=0),
                      (plain((4,)),)))
    for s1, s2, dim in (((3, 4), (3, 4), 1), ((3, 4), (4,), 1), ((2, 1, 4), (3, 4), -1),
                        ((2, 3), (2, 3), 0), ((5,), (5,), 0), ((), (), 0), ((1, 4), (3, 1), 1)):
        for eps in (1e-8, 0.5):
            x1, x2 = rows(s1, 1), rows(s2, 2)
            cases.append(Case(f"cosine_similarity({s1}, {s2}, dim={dim}, eps={eps})",
                              lambda lib, a, b, d=dim, e=eps:
                              F(lib).cosine_similarity(a, b, d, e), (x1, x2)))
    for p in (2, 1, INF, -INF, 3, 0.5, 0, -1):
        for i, (s1, s2) in enumerate((((3, 4), (3, 4)), ((2, 3, 4), (3, 4)), ((4,), (2, 4)),
                                      ((), ()), ((3, 1), (1, 1)))):
            for keepdim in (bool((i + len(cases)) % 2),):
                x1, x2 = plain(s1, 3), plain(s2, 4)
                if s1 == s2 and s1:     # equal rows: at distance eps·n^(1/p)
                    x2[0] = x1[0]
                cases.append(Case(f"pairwise_distance(p={p}, {s1}, {s2}, keepdim={keepdim})",
                                  lambda lib, a, b, p=p, k=keepdim:
                                  F(lib).pairwise_distance(a, b, p, keepdim=k), (x1, x2),
                                  grad=p != 0))     # torch: ord 0 has no gradient
    cases.append(Case("CosineSimilarity(dim=0, eps=0.1)", lambda lib, a, b:
                      lib.nn.CosineSimilarity(0, 0.1)(a, b), (rows((3, 4)), rows((3, 4), 5))))
    cases.append(Case("PairwiseDistance(p=1, eps=0.0, keepdim=True)", lambda lib, a, b:
                      lib.nn.PairwiseDistance(1, 0.0, True)(a, b), (plain((3, 4)),
                                                                    plain((3, 4), 9))))
    return cases


CASES = (vector_norm_cases() + matrix_norm_cases() + norm_cases() + cross_cases()
         + cdist_cases() + functional_cases())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_against_torch(case, dtype):
    """Value, gradient w.r.t. every input and second order (where torch has it), float64 and
    float32 (which must stay float32)."""
    arrays = [a.astype(dtype) for a in case.arrays]
    tol = dict(rtol=1e-6, atol=1e-9) if dtype == np.float64 else dict(rtol=2e-5, atol=1e-5)
    grad = None if case.grad else [False] * len(arrays)
    check_against_torch(case.fn, arrays, grad=grad, label=case.label,
                        second_order=case.second_order, **tol)


# ============================================================================ second order
@pytest.mark.parametrize("p", [0.5, 1.5, 2, 3])
def test_cdist_second_order_is_that_of_the_vector_norm_of_the_differences(p):
    """torch's cdist has no second order (except its matmul path); ours is differentiable
    again and equals that of vector_norm over the row differences (away from ties and 0)."""
    x1, x2 = plain((2, 3, 4), 1), plain((2, 5, 4), 2)

    def fn(lib, a, b):
        if lib is tg:
            return lib.cdist(a, b, p)
        return torch.linalg.vector_norm(a.unsqueeze(-2) - b.unsqueeze(-3), p, -1)
    check_against_torch(fn, [x1, x2], label=f"cdist(p={p}) second order")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes,mode", [
    (((30, 3), (27, 3)), "use_mm_for_euclid_dist_if_necessary"),
    (((2, 4), (26, 4)), "use_mm_for_euclid_dist_if_necessary"),
    (((2, 1, 30, 2), (3, 5, 2)), "use_mm_for_euclid_dist_if_necessary"),
    (((3, 2), (4, 2)), "use_mm_for_euclid_dist"),
    (((30, 3), (27, 3)), "donot_use_mm_for_euclid_dist")])
def test_cdist_p2_takes_torchs_matmul_route_where_torch_does(shapes, mode, dtype):
    """Past 25 rows (or when asked) torch computes p = 2 with a matmul, and has second order
    there; so do we (values to rounding). Integer-valued rows make some distances exactly 0
    on both sides: the gradient there is 0, as torch's."""
    x1, x2 = (np.round(plain(s, i) * 2).astype(dtype) for i, s in enumerate(shapes))
    x2[..., 0, :] = x1[(0,) * (x1.ndim - 1)]          # a row of x1: at distance 0
    tol = dict(rtol=1e-9, atol=1e-9) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    second = mode != "donot_use_mm_for_euclid_dist" and dtype == np.float64
    check_against_torch(lambda lib, a, b: lib.cdist(a, b, compute_mode=mode), [x1, x2],
                        label=f"cdist({mode})", second_order=second, **tol)


# ============================================================================ special values
SPECIAL = [  # (label, fn(lib, x, y, ord)): rows with inf / NaN / tiny / huge entries
    ("vector_norm", lambda lib, x, y, o: L(lib).vector_norm(x, o, -1)),
    ("normalize", lambda lib, x, y, o: F(lib).normalize(x, o if o != 0 else 2, dim=-1)),
    ("cosine_similarity", lambda lib, x, y, o: F(lib).cosine_similarity(x, y)),
    ("pairwise_distance", lambda lib, x, y, o: F(lib).pairwise_distance(x, y, o)),
]
SPECIAL_ROWS = np.array([[1.0, INF, -2.0], [1.0, NAN, 0.0], [-INF, INF, 0.0], [0.0, 0.0, 0.0],
                         [NAN, NAN, NAN], [1e-30, 1e-30, 0.0], [1e200, 1e200, 1.0]])


SPECIAL_CASES = [(label, fn, o) for label, fn in SPECIAL
                 for o in ([2, 1, INF, -INF, 0, 3, 0.5, 1.5, -1] if label != "cosine_similarity"
                           else [2])]


@pytest.mark.parametrize("label,fn,o", SPECIAL_CASES, ids=[f"{c[0]}-{c[2]}"
                                                           for c in SPECIAL_CASES])
def test_inf_nan_tiny_and_huge_entries(label, fn, o):
    """Values and first-order gradients (NaN where torch's are) of rows holding ±∞, NaN,
    zeros, tiny and huge numbers."""
    (a, t), (b, u) = both(SPECIAL_ROWS), both(SPECIAL_ROWS[::-1].copy())
    out, ref = fn(tg, a, b, o), fn(torch, t, u, o)
    assert_same(out, ref, what=f"{label}({o})")
    if ref.requires_grad:
        ga = autograd.grad(out.sum(), [a, b], allow_unused=True)
        gt = torch.autograd.grad(ref.sum(), [t, u], allow_unused=True, materialize_grads=True)
        for i, (x, y) in enumerate(zip(ga, gt)):
            assert_same(np.zeros_like(SPECIAL_ROWS) if x is None else x, y,
                        what=f"{label}({o}) gradient {i}")


@pytest.mark.parametrize("p", CDIST_PS + [0.25, 4])
def test_cdist_with_inf_and_nan_entries(p):
    """torch's CPU kernel: NaN propagates, except for p = ∞ where a NaN coordinate is left
    out (a row of NaNs is at distance 0); p = 0 counts an infinite difference once. The
    gradients too (NaN from a NaN difference, and from ∞ − ∞ for p = ∞)."""
    x1 = np.array([[NAN, 1.0], [NAN, NAN], [INF, 1.0], [1.0, 2.0], [-INF, 0.0]])
    x2 = np.array([[0.0, 0.0], [INF, 2.0], [1.0, NAN]])
    (a, t), (b, u) = both(x1), both(x2)
    out, ref = tg.cdist(a, b, p), torch.cdist(t, u, p)
    assert_same(out, ref)
    v = np.arange(out.numel(), dtype=np.float64).reshape(out.shape) - 3
    ga = autograd.grad(out, [a, b], grad_outputs=tg.tensor(v))
    gt = torch.autograd.grad(ref, [t, u], grad_outputs=torch.tensor(v))
    for i, (x, y) in enumerate(zip(ga, gt)):
        assert_same(x, y, what=f"gradient {i}")


@pytest.mark.parametrize("o", [2, 1, INF, -INF, 3, 0.5, 1.5, -1, -0.5])
def test_vector_norm_gradient_at_a_zero_vector_is_torchs(o):
    """First order at x = 0 (and at a vector with one zero): 0 where torch gives 0, no NaN."""
    for x in ([0.0, 0.0, 0.0], [0.0, 2.0, -1.0]):
        a, t = both(np.array(x))
        ga, = autograd.grad(L(tg).vector_norm(a, o), [a])
        gt, = torch.autograd.grad(torch.linalg.vector_norm(t, o), [t])
        assert_same(ga, gt, what=f"d/dx vector_norm({x}, {o})")


@pytest.mark.parametrize("p", CDIST_PS)
def test_cdist_gradient_at_zero_distance_is_torchs(p):
    x1 = np.array([[1.0, 2.0], [1.0, 2.0]])
    x2 = np.array([[1.0, 2.0]])
    (a, t), (b, u) = both(x1), both(x2)
    ga = autograd.grad(tg.cdist(a, b, p).sum(), [a, b])
    gt = torch.autograd.grad(torch.cdist(t, u, p).sum(), [t, u])
    for i, (x, y) in enumerate(zip(ga, gt)):
        assert_same(x, y, what=f"cdist(p={p}) gradient {i} at zero distance")
        assert not np.isnan(x.numpy()).any()


def test_cdist_inf_gives_each_tie_the_whole_gradient_as_torch():
    (a, t), (b, u) = both(np.array([[1.0, -1.0]])), both(np.array([[0.0, 0.0]]))
    ga = autograd.grad(tg.cdist(a, b, INF).sum(), [a, b])
    gt = torch.autograd.grad(torch.cdist(t, u, INF).sum(), [t, u])
    np.testing.assert_array_equal(ga[0].numpy(), [[1.0, -1.0]])
    for x, y in zip(ga, gt):
        assert_same(x, y)


@pytest.mark.parametrize("scale", [1e-20, 1e-10, 1e-9, 1e-8, 1e-5, 1.0, 1e150])
def test_cosine_similarity_with_tiny_and_huge_norms_is_torchs(scale):
    """torch 2.x divides each vector by max(‖x‖, eps) before the dot product: tiny vectors
    give tiny similarities (not 1), huge ones don't overflow; the gradient too."""
    x1 = np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.0]]) * scale
    x2 = np.array([[1.0, 1.0, 1.0], [1e-9, 0.0, 0.0], [1.0, 2.0, 3.0]])
    for dtype in (np.float64, np.float32):
        if scale > 1e15 and dtype == np.float32:          # (its squares overflow float32)
            continue
        fn = lambda lib, a, b: F(lib).cosine_similarity(a, b)      # noqa: E731
        arrays = [x1.astype(dtype), x2.astype(dtype)]
        a, t = both(arrays[0], requires_grad=False)
        b, u = both(arrays[1], requires_grad=False)
        assert_same(fn(tg, a, b), fn(torch, t, u), rtol=2e-6, atol=0)   # tiny values too
        atol = 1e-12 if dtype == np.float64 else 1e-7       # (float32 cancellation noise)
        check_against_torch(fn, arrays, rtol=2e-6, atol=atol, second_order=False,
                            label=f"cosine_similarity at {scale}")


def test_zero_vectors_give_torchs_first_order_gradients():
    """normalize: 1/eps through a zero vector; cosine_similarity: the norm's gradient 0 at a
    zero vector, so no NaN; pairwise_distance of equal rows: the eps keeps it smooth."""
    z = np.zeros((2, 3))
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    for fn in (lambda lib, a, b: F(lib).normalize(a, dim=1) * b,
               lambda lib, a, b: F(lib).cosine_similarity(a, b),
               lambda lib, a, b: F(lib).pairwise_distance(a, b),
               lambda lib, a, b: lib.cdist(a, b)):
        check_against_torch(fn, [z, y], second_order=False)


@pytest.mark.parametrize("o", MATRIX_ORDS + ["nuc", 2, -2])
def test_matrix_norm_of_an_empty_matrix_is_torchs(o):
    """0 (requiring grad or not, as torch: a fresh 0 where the max is over an empty dim) or
    torch's error for a minimum over an empty dim."""
    for shape in ((0, 3), (3, 0), (2, 0, 3), (0, 2, 3)):
        for keepdim in (False, True):
            a, t = both(np.zeros(shape))
            try:
                ref = torch.linalg.matrix_norm(t, o, keepdim=keepdim)
            except IndexError as e:
                with pytest.raises(IndexError, match=re.escape(str(e))):
                    L(tg).matrix_norm(a, o, keepdim=keepdim)
                continue
            out = L(tg).matrix_norm(a, o, keepdim=keepdim)
            assert_same(out, ref)
            assert out.requires_grad == ref.requires_grad, (o, shape, keepdim)


# ============================================================================ dtypes
@pytest.mark.parametrize("fn", [
    lambda lib: L(lib).vector_norm(lib.tensor([1.0, 2.0], dtype=lib.float16)),
    lambda lib: L(lib).vector_norm(lib.tensor([1.0, 2.0], dtype=lib.float16), dtype=lib.float32),
    lambda lib: L(lib).vector_norm(lib.tensor([3.0, 4.0]), dtype=lib.float64),
    lambda lib: L(lib).matrix_norm(lib.ones(2, 3, dtype=lib.float16), 1),
    lambda lib: L(lib).matrix_norm(lib.ones(2, 3), 1, dtype=lib.float64),
    lambda lib: L(lib).norm(lib.ones(2, 3), dtype=lib.float64),
    lambda lib: L(lib).cross(lib.tensor([1, 2, 3]), lib.tensor([4, 5, 6])),
    lambda lib: L(lib).cross(lib.tensor([1, 2, 3], dtype=lib.int32),
                             lib.tensor([4, 5, 6], dtype=lib.int32)),
    lambda lib: F(lib).cosine_similarity(lib.ones(2, 3, dtype=lib.int64), lib.ones(2, 3)),
    lambda lib: F(lib).cosine_similarity(lib.ones(2, 3, dtype=lib.float64), lib.ones(2, 3)),
    lambda lib: F(lib).cosine_similarity(lib.ones(2, 3, dtype=lib.bool), lib.ones(2, 3)),
    lambda lib: F(lib).pairwise_distance(lib.ones(2, 3, dtype=lib.int64),
                                         lib.zeros(2, 3, dtype=lib.int64)),
    lambda lib: F(lib).pairwise_distance(lib.ones(2, 3), lib.zeros(2, 3, dtype=lib.float64)),
    lambda lib: F(lib).one_hot(lib.tensor([0, 2])),
    lambda lib: F(lib).one_hot(lib.tensor([[1], [2]]), 4),
    lambda lib: F(lib).one_hot(lib.tensor(2)),
    lambda lib: F(lib).one_hot(lib.tensor([], dtype=lib.int64), 3),
    lambda lib: F(lib).one_hot(lib.zeros(2, 0, dtype=lib.int64), 3),
])
def test_result_dtypes_and_values(fn):
    assert_same(fn(tg), fn(torch))


# ============================================================================ torch.cross's default
def test_cross_without_dim_takes_the_first_dim_of_size_3_and_warns_once(monkeypatch):
    monkeypatch.setattr(_distance, "_warned", [])
    x, y = plain((3, 3), 1), plain((3, 3), 2)
    (a, t), (b, u) = both(x), both(y)
    with pytest.warns(UserWarning, match=r"Using torch\.cross without specifying the dim arg "
                                         r"is deprecated\.\nPlease either pass the dim "
                                         r"explicitly or simply use torch\.linalg\.cross\."):
        ours = tg.cross(a, b)
    assert_same(ours, torch.cross(t, u, dim=0))               # dim 0, not linalg's -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")                          # once per process, as torch
        assert_same(a.cross(b), torch.cross(t, u, dim=0))
    a2, t2 = both(plain((2, 3, 3), 3))
    b2, u2 = both(plain((2, 3, 3), 4))
    assert_same(tg.cross(a2, b2), torch.cross(t2, u2, dim=1))


# ============================================================================ errors
def _message(e):
    """torch's text without its C++ location, nor the position of an argument (which a
    Python function cannot tell from a keyword)."""
    return re.sub(r" \(position \d+\)", "", str(e).split(" (Triggered internally")[0])


ERRORS = {
    # vector_norm
    "vector_norm of int": lambda lib: L(lib).vector_norm(lib.tensor([1, 2])),
    "vector_norm of int with dtype": lambda lib: L(lib).vector_norm(lib.tensor([1, 2]),
                                                                     dtype=lib.float64),
    "vector_norm narrowing dtype": lambda lib: L(lib).vector_norm(
        lib.ones(2, dtype=lib.float64), dtype=lib.float32),
    "vector_norm int dtype": lambda lib: L(lib).vector_norm(lib.ones(2), dtype=lib.int64),
    "vector_norm ord str": lambda lib: L(lib).vector_norm(lib.ones(2), "fro"),
    "vector_norm ord None": lambda lib: L(lib).vector_norm(lib.ones(2), None),
    "vector_norm dim twice": lambda lib: L(lib).vector_norm(lib.ones(2, 3), dim=(0, -2)),
    "vector_norm dim out of range": lambda lib: L(lib).vector_norm(lib.ones(2), dim=2),
    "vector_norm dim of 0-d": lambda lib: L(lib).vector_norm(lib.tensor(1.0), dim=1),
    "vector_norm dim float": lambda lib: L(lib).vector_norm(lib.ones(2), dim=1.0),
    "vector_norm inf of empty": lambda lib: L(lib).vector_norm(lib.zeros(0, 3), INF),
    "vector_norm -inf of empty dim": lambda lib: L(lib).vector_norm(lib.zeros(0, 3), -INF, 0),
    "vector_norm -1 of empty dim": lambda lib: L(lib).vector_norm(lib.zeros(3, 0), -1, (1,)),
    # matrix_norm
    "matrix_norm of a vector": lambda lib: L(lib).matrix_norm(lib.ones(3)),
    "matrix_norm order 3": lambda lib: L(lib).matrix_norm(lib.ones(2, 3), 3),
    "matrix_norm order 0.5": lambda lib: L(lib).matrix_norm(lib.ones(2, 3), 0.5),
    "matrix_norm order abc": lambda lib: L(lib).matrix_norm(lib.ones(2, 3), "abc"),
    "matrix_norm one dim": lambda lib: L(lib).matrix_norm(lib.ones(2, 3), dim=(0,)),
    "matrix_norm three dims": lambda lib: L(lib).matrix_norm(lib.ones(2, 3, 4), dim=(0, 1, 2)),
    "matrix_norm same dims": lambda lib: L(lib).matrix_norm(lib.ones(2, 3), dim=(0, -2)),
    "matrix_norm dim out of range": lambda lib: L(lib).matrix_norm(lib.ones(2, 3), dim=(0, 5)),
    "matrix_norm of int": lambda lib: L(lib).matrix_norm(lib.tensor([[1, 2]])),
    "matrix_norm narrowing": lambda lib: L(lib).matrix_norm(lib.ones(2, 3, dtype=lib.float64),
                                                            dtype=lib.float32),
    "matrix_norm int dtype": lambda lib: L(lib).matrix_norm(lib.ones(2, 3), dtype=lib.int64),
    "matrix_norm 2 of float16": lambda lib: L(lib).matrix_norm(lib.ones(2, 2,
                                                                        dtype=lib.float16), 2),
    "matrix_norm -1 of (3, 0)": lambda lib: L(lib).matrix_norm(lib.zeros(3, 0), -1),
    "matrix_norm -inf of (2, 0, 3)": lambda lib: L(lib).matrix_norm(lib.zeros(2, 0, 3), -INF),
    "matrix_norm -1 keepdim of (3, 0)": lambda lib: L(lib).matrix_norm(lib.zeros(3, 0), -1,
                                                                       keepdim=True),
    "matrix_norm -2 of (0, 3)": lambda lib: L(lib).matrix_norm(lib.zeros(0, 3), -2),
    "matrix_norm nuc same dims": lambda lib: L(lib).matrix_norm(lib.ones(2, 3), "nuc", (0, 0)),
    # norm
    "norm 3-D with ord": lambda lib: L(lib).norm(lib.ones(2, 3, 4), 2),
    "norm 3 dims": lambda lib: L(lib).norm(lib.ones(2, 3), dim=[0, 1, 1]),
    "norm no dims": lambda lib: L(lib).norm(lib.ones(2, 3), dim=[]),
    "norm fro of a vector": lambda lib: L(lib).norm(lib.ones(3), "fro"),
    "norm nuc of a vector": lambda lib: L(lib).norm(lib.ones(3), "nuc"),
    "norm fro over one dim": lambda lib: L(lib).norm(lib.ones(2, 3), "fro", dim=0),
    "norm matrix order 3": lambda lib: L(lib).norm(lib.ones(2, 3), 3),
    "norm of int": lambda lib: L(lib).norm(lib.tensor([1, 2])),
    # cross
    "cross ndim": lambda lib: L(lib).cross(lib.ones(2, 3), lib.ones(3)),
    "cross length": lambda lib: L(lib).cross(lib.ones(3, 2), lib.ones(3, 2)),
    "cross length of other": lambda lib: L(lib).cross(lib.ones(2, 3), lib.ones(2, 1)),
    "cross length dim=1": lambda lib: lib.cross(lib.ones(2, 4), lib.ones(2, 4), dim=1),
    "cross dim out of range": lambda lib: L(lib).cross(lib.ones(2, 3), lib.ones(2, 3), dim=2),
    "cross of 0-d": lambda lib: L(lib).cross(lib.tensor(1.0), lib.tensor(1.0)),
    "cross broadcast": lambda lib: L(lib).cross(lib.ones(2, 3), lib.ones(4, 3)),
    "cross dtypes": lambda lib: L(lib).cross(lib.ones(3), lib.ones(3, dtype=lib.float64)),
    "cross int and float": lambda lib: L(lib).cross(lib.tensor([1, 2, 3]), lib.ones(3)),
    "cross bool": lambda lib: L(lib).cross(lib.ones(3, dtype=lib.bool), lib.ones(3,
                                                                             dtype=lib.bool)),
    "torch.cross no size 3": lambda lib: lib.cross(lib.ones(2, 4), lib.ones(2, 4)),
    "torch.cross default dim other": lambda lib: lib.cross(lib.ones(3, 2), lib.ones(2, 3)),
    # cdist
    "cdist 1-D": lambda lib: lib.cdist(lib.ones(3), lib.ones(2, 3)),
    "cdist 1-D x2": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(3)),
    "cdist columns": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 4)),
    "cdist negative p": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3), p=-1),
    "cdist nan p": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3), p=NAN),
    "cdist compute_mode": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3),
                                                compute_mode="foo"),
    "cdist int x1": lambda lib: lib.cdist(lib.ones(2, 3, dtype=lib.int64), lib.ones(2, 3)),
    "cdist int x2": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3, dtype=lib.int64)),
    "cdist dtypes": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3, dtype=lib.float64)),
    "cdist float16": lambda lib: lib.cdist(lib.ones(2, 3, dtype=lib.float16),
                                           lib.ones(2, 3, dtype=lib.float16)),
    "cdist batch": lambda lib: lib.cdist(lib.ones(4, 2, 3), lib.ones(3, 5, 3)),
    # nn.functional
    "normalize dim of 1-D": lambda lib: F(lib).normalize(lib.ones(3)),
    "normalize of int": lambda lib: F(lib).normalize(lib.ones(2, 3, dtype=lib.int64)),
    "cosine_similarity ints": lambda lib: F(lib).cosine_similarity(
        lib.ones(2, 3, dtype=lib.int64), lib.ones(2, 3, dtype=lib.int64)),
    "cosine_similarity shapes": lambda lib: F(lib).cosine_similarity(lib.ones(2, 3),
                                                                     lib.ones(4, 3)),
    "cosine_similarity dim": lambda lib: F(lib).cosine_similarity(lib.ones(2, 3),
                                                                  lib.ones(2, 3), dim=3),
    "cosine_similarity dim of 1-D": lambda lib: F(lib).cosine_similarity(lib.ones(3),
                                                                         lib.ones(3)),
    "pairwise_distance shapes": lambda lib: F(lib).pairwise_distance(lib.ones(2, 3),
                                                                     lib.zeros(4, 3)),
    "one_hot negative": lambda lib: F(lib).one_hot(lib.tensor([0, -1]), 5),
    "one_hot negative inferred": lambda lib: F(lib).one_hot(lib.tensor([-1])),
    "one_hot too large": lambda lib: F(lib).one_hot(lib.tensor([0, 5]), 5),
    "one_hot num_classes 0": lambda lib: F(lib).one_hot(lib.tensor([0, 2]), 0),
    "one_hot num_classes -2": lambda lib: F(lib).one_hot(lib.tensor([0, 2]), -2),
    "one_hot int32": lambda lib: F(lib).one_hot(lib.tensor([0, 2], dtype=lib.int32), 3),
    "one_hot float": lambda lib: F(lib).one_hot(lib.tensor([0.0, 2.0]), 3),
    "one_hot bool": lambda lib: F(lib).one_hot(lib.tensor([True]), 3),
    "one_hot empty": lambda lib: F(lib).one_hot(lib.tensor([], dtype=lib.int64)),
    "one_hot empty 0 classes": lambda lib: F(lib).one_hot(lib.tensor([], dtype=lib.int64), 0),
    "one_hot num_classes None": lambda lib: F(lib).one_hot(lib.tensor([1]), num_classes=None),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_misuse_raises_torchs_error(name):
    fn = ERRORS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            fn(torch)
        with pytest.raises(Exception) as ours:
            fn(tg)
    assert isinstance(ours.value, theirs.type), \
        f"{name}: {type(ours.value).__name__} is not torch's {theirs.type.__name__}"
    assert _message(ours.value) == _message(theirs.value), name


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)])
def test_svd_factors_have_torchs_gradients(shape):
    """The factors U and Vh behind 'nuc' / 2 / −2, through functions that don't depend on
    the signs of the singular vectors (U², Vh²): first and second order as torch.linalg.svd."""
    from tinygrad_sgd.ops import SvdFactor

    def fn(lib, a):
        if lib is tg:
            u, s, vh = (SvdFactor.apply(a, w) for w in ("U", "S", "Vh"))
        else:
            u, s, vh = torch.linalg.svd(a, full_matrices=False)
        return (u * u).sum(-2) * 2.0 + s + (vh * vh).sum(-1) * 3.0
    check_against_torch(fn, [plain(shape, 3)], rtol=1e-6, atol=1e-8, label=f"svd {shape}")


# ============================================================================ layers, names
def test_layers_are_torchs():
    for lib in (tg, torch):
        cs, pd = lib.nn.CosineSimilarity(), lib.nn.PairwiseDistance()
        assert (cs.dim, cs.eps) == (1, 1e-8)
        assert (pd.norm, pd.eps, pd.keepdim) == (2.0, 1e-6, False)
        assert repr(cs) == "CosineSimilarity()" and repr(pd) == "PairwiseDistance()"
        assert list(cs.parameters()) == [] and dict(pd.state_dict()) == {}


def test_keyword_names_are_torchs():
    """torch's keywords (its docs say ``A`` and ``tensor``; the functions take ``input``)."""
    for lib in (tg, torch):
        t = lib.ones(2, 3)
        assert L(lib).vector_norm(x=t).item() == L(lib).norm(input=t).item()
        assert L(lib).matrix_norm(input=t, ord=1).item() == 2.0
        assert L(lib).cross(input=lib.ones(3), other=lib.ones(3), dim=0).sum().item() == 0
        assert lib.cross(input=lib.ones(3), other=lib.ones(3), dim=0).sum().item() == 0
        assert lib.cdist(x1=t, x2=t, p=1.0, compute_mode="use_mm_for_euclid_dist").sum() == 0
        assert F(lib).one_hot(input=lib.tensor([1]), num_classes=2).tolist() == [[0, 1]]
        assert F(lib).normalize(input=t, p=2.0, dim=1, eps=1e-12).shape == (2, 3)
        assert F(lib).cosine_similarity(x1=t, x2=t, dim=1, eps=1e-8).shape == (2,)
        assert F(lib).pairwise_distance(x1=t, x2=t, p=2.0, eps=1e-6, keepdim=True).shape \
            == (2, 1)


def test_names_and_graph_nodes():
    assert "cross" in tg.__all__ and "cdist" in tg.__all__
    assert not hasattr(tg.Tensor, "cdist") and hasattr(tg.Tensor, "cross")
    for name in ("normalize", "cosine_similarity", "pairwise_distance", "one_hot"):
        assert name in tg.nn.functional.__all__
    assert {"vector_norm", "matrix_norm", "norm", "cross"} <= set(tg.linalg.__all__)
    assert all(hasattr(torch.linalg, name) for name in tg.linalg.__all__)
    x = tg.ones(2, 3, requires_grad=True)
    assert type(tg.linalg.cross(x, x)).__name__ == "Tensor"
    assert tg.linalg.cross(x, x).grad_fn.name().startswith("LinalgCrossBackward")
    assert tg.cdist(x, x).grad_fn.name().startswith("CdistBackward")
    big = tg.ones(26, 3, requires_grad=True)
    assert tg.cdist(big, x).grad_fn.name().startswith("EuclideanDistBackward")
    assert tg.cdist(big, x, compute_mode="donot_use_mm_for_euclid_dist").grad_fn.name() \
        .startswith("CdistBackward")
    assert tg.cdist(big, x, 1.0).grad_fn.name().startswith("CdistBackward")
    assert not F(tg).one_hot(tg.tensor([0, 1])).requires_grad


def test_as_torch_programs_reach_normalize_and_vector_norm(tmp_path):
    """A torch program run by ``python -m tinygrad_sgd.as_torch`` gets F.normalize (and
    nn.CosineSimilarity, torch.cdist)."""
    from tinygrad_sgd.as_torch import run_script
    script = tmp_path / "prog.py"
    script.write_text("import torch\nimport torch.nn.functional as F\n"
                      "x = torch.tensor([[3.0, 4.0]])\n"
                      "y = F.normalize(x)\nd = torch.cdist(x, x)\n"
                      "c = torch.nn.CosineSimilarity()(x, x)\n")
    g = run_script(script)
    np.testing.assert_allclose(g["y"].numpy(), [[0.6, 0.8]])
    assert g["d"].item() == 0.0 and abs(g["c"].item() - 1.0) < 1e-6


def test_as_torch_programs_reach_torch_linalg(tmp_path):
    from tinygrad_sgd.as_torch import run_script
    script = tmp_path / "prog.py"
    script.write_text("import torch\nn = torch.linalg.vector_norm(torch.tensor([3.0, 4.0]))\n")
    assert run_script(script)["n"].item() == 5.0


def test_tensor_norm_agrees_with_torch_norm_where_linalg_does():
    x = plain((3, 4))
    a, t = both(x)
    assert_same(a.norm("nuc"), t.norm("nuc"))
    for fn in (lambda lib: lib.zeros(0, 3).norm(INF, 0), lambda lib: lib.ones(2).norm(2, 2)):
        with pytest.raises(Exception) as theirs:
            fn(torch)
        with pytest.raises(Exception) as ours:
            fn(tg)
        assert _message(ours.value) == _message(theirs.value)
