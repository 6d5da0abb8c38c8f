"""The window functions of functions/windows.py and histogramdd (functions/histograms.py)
against torch: every window, lengths 0 to 9, periodic and symmetric, each floating dtype (the
default one too), the parameters (hamming's α and β, kaiser's β), requires_grad; histogramdd's
counts and edges for int/per-dim/tensor bins, range, weights, density; each misuse's error."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from strategies import assert_same

WINDOWS = ["bartlett_window", "blackman_window", "hamming_window", "hann_window",
           "kaiser_window"]
TOL = {None: (1e-6, 1e-6), "float32": (1e-6, 1e-6), "float64": (1e-13, 1e-14),
       "float16": (1e-3, 1e-3)}


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("n", range(10))
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "float16"])
def test_window_values(name, n, periodic, dtype):
    ours = getattr(tg, name)(n, periodic, dtype=None if dtype is None else getattr(tg, dtype))
    theirs = getattr(torch, name)(n, periodic,
                                  dtype=None if dtype is None else getattr(torch, dtype))
    rtol, atol = TOL[dtype]
    assert_same(ours, theirs, rtol=rtol, atol=atol, what=f"{name}({n}, {periodic})")


@pytest.mark.parametrize("name", WINDOWS)
def test_window_defaults_and_requires_grad(name):
    ours = getattr(tg, name)(7, requires_grad=True)
    theirs = getattr(torch, name)(7, requires_grad=True)
    assert_same(ours, theirs, rtol=1e-6, atol=1e-6)
    assert ours.requires_grad and ours.grad_fn is None


@pytest.mark.parametrize("args", [(6, True, 0.6, 0.3), (5, False, 0.5, 0.5), (1, False, 0.2),
                                  (8, True, 0.54, -0.46)])
def test_hamming_parameters(args):
    ours = tg.hamming_window(*args, dtype=tg.float64)
    assert_same(ours, torch.hamming_window(*args, dtype=torch.float64), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("args", [(6, True, 5.0), (7, False, 0.0), (4, False, 20.0),
                                  (9, True, 3.5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kaiser_beta(args, dtype):
    ours = tg.kaiser_window(*args, dtype=getattr(tg, dtype))
    theirs = torch.kaiser_window(*args, dtype=getattr(torch, dtype))
    rtol, atol = TOL[dtype]
    assert_same(ours, theirs, rtol=max(rtol, 1e-12), atol=max(atol, 1e-13))


def test_default_dtype_follows_setting():
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.hann_window(4).dtype == tg.float64
    finally:
        tg.set_default_dtype(tg.float32)


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("bad", [dict(window_length=-1), dict(window_length=4, dtype="int64")])
def test_window_errors(name, bad):
    def call(L):
        kwargs = {k: getattr(L, v) for k, v in bad.items() if k == "dtype"}
        return getattr(L, name)(bad["window_length"], **kwargs)
    with pytest.raises(Exception) as ref:
        call(torch)
    with pytest.raises(ref.type):
        call(tg)


# ---------------------------------------------------------------------------- histogramdd
R = np.random.default_rng(0)
GRID = R.integers(0, 4, (30, 2)) / 2.0          # points on bin edges, repeated points
CLOUD = R.standard_normal((2, 20, 3))
W = R.uniform(0, 2, 30)


def _edges(L, *arrays):
    return [L.tensor(np.asarray(a, dtype="float64")) for a in arrays]


# (label, points, bins (lib) -> bins, kwargs (lib) -> kwargs)
HISTDD = [
    ("int bins", GRID, lambda L: 3, lambda L: {}),
    ("bins per dim", GRID, lambda L: [2, 5], lambda L: {}),
    ("range", GRID, lambda L: [2, 3], lambda L: {"range": [0.0, 1.0, -0.5, 1.0]}),
    ("tensor edges", GRID, lambda L: _edges(L, [0, 0.5, 1.0, 1.2], [-1, 0.4, 1.5]),
     lambda L: {}),
    ("weights", GRID, lambda L: [3, 2], lambda L: {"weight": L.tensor(W)}),
    ("density", GRID, lambda L: [3, 4], lambda L: {"density": True}),
    ("weights density range", GRID, lambda L: [2, 2],
     lambda L: {"weight": L.tensor(W), "density": True,
                "range": [0.0, 2.0, 0.0, 1.0]}),
    ("3-d cloud", CLOUD, lambda L: [4, 3, 2], lambda L: {}),
    ("one point", np.ones((1, 2)), lambda L: 2, lambda L: {}),
]


@pytest.mark.parametrize("case", HISTDD, ids=[c[0] for c in HISTDD])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_histogramdd(case, dtype):
    label, points, bins, kwargs = case
    results = []
    for L in (tg, torch):
        kw = kwargs(L)
        if "weight" in kw:
            kw["weight"] = kw["weight"].to(getattr(L, dtype))
        b = bins(L)
        b = [e.to(getattr(L, dtype)) for e in b] if isinstance(b, list) and not isinstance(
            b[0], int) else b
        results.append(L.histogramdd(L.tensor(points.astype(dtype)), b, **kw))
    (hist, edges), (ref_hist, ref_edges) = results
    assert_same(hist, ref_hist, rtol=1e-6, what=label)
    assert isinstance(edges, tuple) and len(edges) == len(ref_edges)
    for e, r in zip(edges, ref_edges):
        assert_same(e, r, rtol=1e-7, what=label + " edges")


@pytest.mark.parametrize("bad", ["1-d", "bins count", "range length", "weight shape",
                                 "weight dtype", "integer input", "zero bins", "range order"])
def test_histogramdd_errors(bad):
    def call(L):
        x = L.ones(4, 2)
        return {"1-d": lambda: L.histogramdd(L.ones(3), [2]),
                "bins count": lambda: L.histogramdd(x, [2]),
                "range length": lambda: L.histogramdd(x, [2, 2], range=[0.0, 1.0]),
                "weight shape": lambda: L.histogramdd(x, [2, 2], weight=L.ones(3)),
                "weight dtype": lambda: L.histogramdd(x, [2, 2],
                                                      weight=L.ones(4, dtype=L.float64)),
                "integer input": lambda: L.histogramdd(x.long(), [2, 2]),
                "zero bins": lambda: L.histogramdd(x, [0, 2]),
                "range order": lambda: L.histogramdd(x, [2, 2], range=[1.0, 0.0, 0.0, 1.0]),
                }[bad]()
    with pytest.raises(Exception) as ref:
        call(torch)
    with pytest.raises(ref.type):
        call(tg)
