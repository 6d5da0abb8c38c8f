"""The two kernel sets: the backend switch, and every compiled (numba) kernel against its NumPy
twin (same inputs, same outputs) on odd shapes, padding, stride, dilation, ties, NaN/inf, in
float32 and float64; the training-step ops against torch with the compiled kernels.

Tests that need numba skip when it is not installed. Shapes are small: each kernel compiles
once per dtype (``cache=True`` keeps it on disk for the next run).
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels import conv as np_conv, pool as np_pool
from tinygrad_sgd.kernels.backend import compiled, numba_available
from tinygrad_sgd.kernels.layout import Geometry, from_chwn, pool_geometry, to_chwn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_numba = pytest.mark.skipif(not numba_available(),
                                 reason="numba not importable (pip install 'numba==0.68.*')")
DTYPES = [np.float32, np.float64]


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-11)


def numpy_twin(fn, *args):
    """Call a kernels.* function with the NumPy kernel set active."""
    previous = kernels.set_backend("numpy")
    try:
        return fn(*args)
    finally:
        kernels.set_backend(previous)


# --- the switch ----------------------------------------------------------------------------
def _backend_in_subprocess(value):
    env = dict(os.environ, TINYGRAD_SGD_KERNELS=value)
    return subprocess.run([sys.executable, "-c",
                           "import tinygrad_sgd.kernels as k; print(k.backend())"],
                          cwd=ROOT, env=env, capture_output=True, text=True)


def test_default_backend_follows_numba_availability():
    if "TINYGRAD_SGD_KERNELS" in os.environ:
        pytest.skip("TINYGRAD_SGD_KERNELS is set for this run")
    assert kernels.backend() == ("numba" if numba_available() else "numpy")


def test_environment_forces_numpy():
    out = _backend_in_subprocess("numpy")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "numpy"


@needs_numba
def test_environment_forces_numba():
    out = _backend_in_subprocess("numba")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "numba"


def test_environment_with_an_unknown_backend_raises():
    out = _backend_in_subprocess("cuda")
    assert out.returncode != 0
    assert "ValueError: kernel backend must be one of ('numpy', 'numba'), got 'cuda'" in out.stderr


def test_set_backend(restore_backend):
    kernels.set_backend("numpy")
    assert kernels.backend() == "numpy"
    assert compiled() is None
    with pytest.raises(ValueError, match=r"kernel backend must be one of \('numpy', 'numba'\), "
                                         r"got 'fast'"):
        kernels.set_backend("fast")
    assert kernels.backend() == "numpy"


@pytest.mark.skipif(numba_available(), reason="numba is installed")
def test_numba_backend_without_numba_raises():
    with pytest.raises(ImportError, match=r"pip install 'tinygrad_sgd\[fast\]'"):
        kernels.set_backend("numba")


# --- compiled kernels vs their NumPy twins -----------------------------------------------------
# (N, C, H, W, F, kernel, stride, padding, dilation)
CONV_CASES = [
    (3, 1, 12, 12, 4, (5, 5), (1, 1), (0, 0), (1, 1)),    # the tutorial's conv1, small
    (2, 1, 9, 7, 3, (3, 2), (2, 1), (1, 2), (1, 2)),      # odd shapes, stride, padding, dilation
    (5, 3, 10, 11, 2, (3, 3), (1, 2), (2, 0), (2, 1)),
    (1, 2, 6, 6, 3, (1, 1), (3, 3), (0, 0), (1, 1)),
    (4, 4, 8, 8, 5, (5, 5), (1, 1), (0, 0), (1, 1)),      # the tutorial's conv2, small
    (2, 1, 11, 13, 3, (3, 7), (1, 1), (1, 2), (2, 1)),    # one channel, 5 + 2 taps a row
    (3, 1, 9, 9, 2, (2, 3), (1, 2), (0, 1), (1, 1)),      # one channel, width stride 2
    (3, 10, 12, 12, 4, (5, 3), (1, 1), (0, 1), (1, 2)),   # input gradient by rows (C·kh >= 40)
    (2, 10, 12, 11, 3, (4, 3), (1, 1), (1, 1), (2, 2)),   # ... with dilation in both
    (3, 1, 15, 14, 3, (5, 5), (2, 1), (1, 2), (2, 1)),    # one channel 5x5 (its own kernel):
    (2, 1, 13, 17, 2, (5, 5), (1, 1), (2, 0), (1, 2)),    # height stride, padding, dilation
    (3, 3, 10, 12, 7, (3, 7), (1, 1), (1, 2), (1, 1)),    # four filters a pass + three left,
    (2, 6, 9, 9, 8, (5, 5), (2, 1), (2, 1), (1, 2)),      # 5 + 2 taps; two passes of four
    (40, 3, 9, 30, 6, (5, 5), (1, 1), (2, 2), (1, 1)),    # rows longer than the compiled
    (24, 5, 11, 50, 10, (3, 5), (2, 1), (1, 3), (2, 2)),  # kernels' block (ROW_BLOCK)
    (6, 1, 14, 14, 10, (5, 5), (1, 1), (0, 0), (1, 1)),   # conv1's shape: whole passes (the
    (2, 2, 7, 9, 5, (1, 5), (1, 1), (0, 1), (1, 2)),      # first writes, the last writes out);
    (3, 1, 6, 12, 5, (1, 5), (1, 1), (0, 1), (1, 1)),     # one pass only (C·kh = 1)
]


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
def test_scratch_rows_start_on_a_cache_line(dtype):
    """The compiled kernels' scratch arrays (``aligned_empty``) start on a 64-byte cache line,
    whatever numba's allocator gives, and have the length and dtype asked for."""
    import numba
    from tinygrad_sgd.kernels.compiled import aligned_empty

    @numba.njit
    def made(n, like):
        a = aligned_empty(n, like.dtype)
        a[:] = 1
        return a.ctypes.data % 64, a.shape[0], a

    for n in (1, 15, 16, 17, 1000, 5360):
        for _ in range(3):
            offset, length, a = made(n, np.empty(1, dtype))
            assert (offset, length, a.dtype) == (0, n, np.dtype(dtype))
            assert a.ctypes.data % 64 == 0 and (a == 1).all()


def conv_case(case, dtype, seed=0):
    N, C, H, W, F, k, s, p, d = case
    rng = np.random.default_rng(seed)
    g = Geometry("conv2d", (N, C, H, W), k, s, p, d)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C) + k).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    gy = rng.standard_normal((N, F, g.OH, g.OW)).astype(dtype)
    return g, x, w, b, gy


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES)
def test_direct_convolution_matches_im2col(case, dtype):
    from tinygrad_sgd.kernels.compiled import conv as fast
    g, x, w, b, gy = conv_case(case, dtype)
    want, _ = numpy_twin(np_conv.conv2d_forward, x, w, b, g)
    got = fast.conv2d_forward_direct(x, w, b, g)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **tol(dtype))
    np.testing.assert_allclose(fast.conv2d_forward_direct(x, w, None, g),
                               numpy_twin(np_conv.conv2d_forward, x, w, None, g)[0], **tol(dtype))
    if g.stride[1] == 1:         # the input gradient, directly
        want_dx = numpy_twin(np_conv.conv2d_input_grad, gy, w, g)
        got_dx = fast.conv2d_input_grad_direct(gy, w, g)
        assert got_dx.shape == want_dx.shape and got_dx.dtype == want_dx.dtype
        np.testing.assert_allclose(got_dx, want_dx, **tol(dtype))
    # the weight gradient with the compiled im2col slabs (no kept columns) vs NumPy's
    want_dw = numpy_twin(np_conv.conv2d_weight_grad, x, gy, w.shape, g)
    previous = kernels.set_backend("numba")
    try:
        got_dw = np_conv.conv2d_weight_grad(x, gy, w.shape, g)
    finally:
        kernels.set_backend(previous)
    assert got_dw.shape == w.shape and got_dw.dtype == want_dw.dtype
    assert_sums_close(got_dw, want_dw, np_conv.conv2d_weight_grad, x, gy, w.shape, g)


@needs_numba
@pytest.mark.parametrize("per_pass", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("case", [c for c in CONV_CASES if c[6][1] == 1])
def test_direct_weight_gradient_with_any_filters_a_pass(case, per_pass):
    """The compiled weight gradient sums WGRAD_FILTERS filters a pass (five with AVX-512, two
    without): every pass width — and the filters left over — gives the same numbers on any
    CPU, whichever one this machine uses."""
    from tinygrad_sgd.kernels.compiled import conv_weight
    from tinygrad_sgd.kernels.layout import padded_chwn
    g, x, w, b, gy = conv_case(case, np.float32)
    xp, g2 = padded_chwn(x, g), np.ascontiguousarray(to_chwn(gy))
    got = np.zeros(w.shape, np.float32)
    conv_weight._weight_grad_rows(xp, g2, g.stride[0], g.dilation[0], g.dilation[1], 0,
                                  w.shape[0], 0, w.shape[1], 0, g.kh, per_pass, got)
    want = numpy_twin(np_conv.conv2d_weight_grad, x, gy, w.shape, g)
    assert_sums_close(got, want, np_conv.conv2d_weight_grad, x, gy, w.shape, g)


@needs_numba
@pytest.mark.parametrize("case", [(64, 10, 12, 12, 20, (5, 5), (1, 1), (0, 0), (1, 1)),
                                  (64, 1, 28, 28, 10, (5, 5), (1, 1), (0, 0), (1, 1)),
                                  (16, 6, 12, 12, 3, (5, 5), (1, 1), (1, 1), (1, 1))])
def test_direct_weight_gradient_is_the_same_on_one_and_two_threads(case):
    """Threads take groups of filters (or channels, or (group, kernel row) pairs): each number
    is one thread's, summed in the same order — bit for bit the one-thread result."""
    from tinygrad_sgd.kernels.compiled import conv as fast
    g, x, w, b, gy = conv_case(case, np.float32)
    results = []
    for threads in (1, 2):
        previous = tg.get_num_threads()
        tg.set_num_threads(threads)
        try:
            results.append(fast.conv2d_weight_grad_direct(x, gy, w.shape, g))
        finally:
            tg.set_num_threads(previous)
    np.testing.assert_array_equal(results[0], results[1])


@needs_numba
@pytest.mark.parametrize("case, calls", [
    ((64, 1, 28, 28, 10, (5, 5), (1, 1), (0, 0), (1, 1)), [(0, 24, 0, 5), (0, 24, 5, 10)]),
    ((64, 10, 12, 12, 20, (5, 5), (1, 1), (0, 0), (1, 1)), [(0, 8, 0, 10), (0, 8, 10, 20)]),
    ((16, 3, 12, 12, 15, (5, 5), (1, 1), (1, 1), (1, 1)), [(0, 5, 0, 15), (5, 10, 0, 15)]),
    ((16, 2, 9, 9, 7, (3, 3), (1, 1), (1, 1), (2, 1)), [(0, 3, 0, 7), (3, 7, 0, 7)])])
def test_direct_forward_is_the_same_on_one_and_two_threads(case, calls, monkeypatch):
    """Two threads take whole passes of five filters where they share them evenly, else ranges
    of output rows: each number is one thread's — bit for bit the one-thread result."""
    from tinygrad_sgd.kernels import threads
    from tinygrad_sgd.kernels.compiled import conv as fast
    monkeypatch.setattr(threads, "MIN_CREW_ELEMENTS", 0)
    monkeypatch.setattr(threads, "MIN_PARALLEL_ELEMENTS", 0)
    g, x, w, b, gy = conv_case(case, np.float32)
    seen, kernel = [], fast._conv_direct_rows

    def spy(*args):
        seen.append(tuple(args[6:10]))
        return kernel(*args)
    monkeypatch.setattr(fast, "_conv_direct_rows", spy)
    results = []
    for n in (1, 2):
        previous = tg.get_num_threads()
        tg.set_num_threads(n)
        try:
            seen.clear()
            results.append(fast.conv2d_forward_direct(x, w, b, g).copy())
        finally:
            tg.set_num_threads(previous)
    assert sorted(seen) == calls
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(results[0], numpy_twin(np_conv.conv2d_forward, x, w, b, g)[0],
                               **tol(np.float32))


def assert_sums_close(got, want, fn, *args):
    """got and want (two summation orders of fn(*args), a sum of products of its two array
    arguments) both within 16 roundings of the float64 result, relative to the sum of the
    terms' magnitudes: in a sum of thousands of terms with cancellation the float32 results
    may differ by more than a fixed tolerance allows."""
    eps = np.finfo(got.dtype).eps
    a, b = args[0].astype(np.float64), args[1].astype(np.float64)
    exact = numpy_twin(fn, a, b, *args[2:])
    bound = 16 * eps * numpy_twin(fn, np.abs(a), np.abs(b), *args[2:]) + 1e-30
    for result in (got, want):
        assert (np.abs(result - exact) <= bound).all(), np.abs(result - exact).max()


@needs_numba
@pytest.mark.parametrize("direct", ["direct", "im2col"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES)
def test_convolution_kernels_match_either_way(case, dtype, direct, monkeypatch,
                                              restore_backend, split):
    """kernels.conv's forward, weight and input gradients with the numba set, computed directly
    (few channels) or by im2col + BLAS (forced: no channel count goes direct), on 1 thread and
    split over 2, vs NumPy's."""
    if direct == "im2col":
        monkeypatch.setattr(np_conv, "_direct", lambda fast, g: False)
    else:
        monkeypatch.setattr(np_conv, "DIRECT_MAX_CHANNELS", 16)
        monkeypatch.setattr(np_conv, "DIRECT_MAX_ROW", 10 ** 9)
    g, x, w, b, gy = conv_case(case, dtype)
    kernels.set_backend("numba")
    y, cols = np_conv.conv2d_forward(x, w, b, g, keep_cols=True)
    got = (y, np_conv.conv2d_weight_grad(x, gy, w.shape, g, cols),
           np_conv.conv2d_input_grad(gy, w, g))
    want = (numpy_twin(np_conv.conv2d_forward, x, w, b, g)[0],
            numpy_twin(np_conv.conv2d_weight_grad, x, gy, w.shape, g),
            numpy_twin(np_conv.conv2d_input_grad, gy, w, g))
    for a, e in zip(got, want):
        assert a.shape == e.shape and a.dtype == e.dtype
    np.testing.assert_allclose(got[0], want[0], **tol(dtype))
    assert_sums_close(got[1], want[1], np_conv.conv2d_weight_grad, x, gy, w.shape, g)
    np.testing.assert_allclose(got[2], want[2], **tol(dtype))


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES)
def test_im2col_and_col2im_match(case, dtype):
    from tinygrad_sgd.kernels.compiled import columns as fast
    g, x, *_ = conv_case(case, dtype)
    xp = g.padded(np.ascontiguousarray(x.transpose(1, 2, 3, 0)))
    K, block = g.C * g.kh * g.kw, g.OW * g.N
    buf_np, buf_nb = g.scratch(x.dtype), g.scratch(x.dtype)
    for ra, rb in [(0, g.OH), (g.OH // 2, g.OH)] + list(g.row_slabs(0, g.OH)):
        want = g.cols_of_rows(g.windows(xp), ra, rb, np.empty(K * (rb - ra) * block, x.dtype))
        np.testing.assert_array_equal(fast.im2col(xp, g, ra, rb, np.empty_like(want)), want)
    for ra, rb in g.row_slabs(0, g.OH):
        np.testing.assert_array_equal(fast.cols_of_rows(g, xp, ra, rb, buf_nb),
                                      g.cols_of_rows(g.windows(xp), ra, rb, buf_np))
    # into a column slice of a bigger matrix (the forward's kept columns)
    cols = np.full((K, g.OH * block), np.nan, dtype=x.dtype)
    fast.im2col(xp, g, 1 if g.OH > 1 else 0, g.OH, cols[:, (1 if g.OH > 1 else 0) * block:])
    want = g.cols_of_rows(g.windows(xp), 0, g.OH, np.empty(cols.size, x.dtype))
    s = (1 if g.OH > 1 else 0) * block
    np.testing.assert_array_equal(cols[:, s:], want[:, s:])
    assert g.OH == 1 or np.isnan(cols[:, :s]).all()     # nothing written outside the slice
    # the input gradient of a stride-1 convolution by rows, in cached blocks (any shape here)
    if g.stride[0] == 1:
        w = np.random.default_rng(5).standard_normal((3, g.C, g.kh, g.kw)).astype(dtype)
        gy = np.random.default_rng(6).standard_normal((3, g.OH, g.OW, g.N)).astype(dtype)
        g1 = Geometry("conv2d", x.shape, (g.kh, g.kw), (1, 1), g.padding, g.dilation)
        if (g1.OH, g1.OW) == (g.OH, g.OW):
            np.testing.assert_allclose(fast.input_grad_by_rows(g1, gy, w, dtype),
                                       numpy_twin(np_conv.transposed_conv_by_rows, g1, gy,
                                                  w, dtype),
                                       **tol(dtype))
    dcols = np.random.default_rng(1).standard_normal((K, g.OH * block)).astype(dtype)
    want = numpy_twin(np_conv.col2im, g, dcols, dtype)
    got = fast.col2im(g, dcols, dtype)
    assert got.shape == want.shape == x.shape and got.dtype == dtype
    np.testing.assert_allclose(got, want, **tol(dtype))
    # rows padded, as a product's output (layout.padded_empty): read through the wider array
    wide = np.full((K, g.OH * block + 16), np.nan, dtype)
    wide[:, :g.OH * block] = dcols
    padded = wide[:, :g.OH * block]
    assert fast.whole_rows(padded) is wide
    np.testing.assert_array_equal(fast.col2im(g, padded, dtype), got)


# (N, C, H, W, kernel, stride, padding, dilation, ceil_mode)
POOL_CASES = [
    (3, 2, 8, 8, 2, 2, 0, 1, False),          # the tutorial's 2x2
    (2, 3, 7, 9, 3, 2, 1, 1, False),          # overlapping windows, padding
    (2, 2, 7, 7, 2, 2, 0, 1, True),           # ceil_mode: a last partial window
    (1, 2, 9, 8, (3, 2), (1, 2), (1, 1), (2, 1), False),   # dilation, odd everything
    (4, 1, 5, 5, 3, 3, 1, 1, True),
    (2, 2, 13, 12, 12, 1, 0, 1, False),       # 144 elements a window: int16 choices
]


def pool_input(case, dtype, values, seed=0):
    N, C, H, W = case[:4]
    rng = np.random.default_rng(seed)
    if values == "normal":
        return rng.standard_normal((N, C, H, W)).astype(dtype)
    x = rng.integers(-2, 3, (N, C, H, W)).astype(dtype)      # many ties
    if values == "special":
        flat = x.reshape(-1)
        for v in (np.nan, np.inf, -np.inf):
            flat[rng.choice(flat.size, max(1, flat.size // 10), replace=False)] = v
        x[0, 0] = -np.inf                                      # a plane of -inf only
    return x


@needs_numba
@pytest.mark.parametrize("values", ["normal", "ties", "special"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool_matches(case, dtype, values):
    from tinygrad_sgd.kernels.compiled import pool as fast
    x = pool_input(case, dtype, values)
    g = pool_geometry("max_pool2d", x.shape, *case[4:8], ceil_mode=case[8])
    want, want_choice = numpy_twin(np_pool.max_pool_forward, x, g)
    got, choice = fast.max_pool_forward(x, g)
    assert got.dtype == want.dtype
    assert choice.dtype == want_choice.dtype == np_pool.choice_dtype(g.kh * g.kw)
    assert choice.shape == want_choice.shape == (g.C, g.OH, g.OW, g.N)
    np.testing.assert_array_equal(got, want)              # NaN in the same places too
    np.testing.assert_array_equal(choice, want_choice)
    assert ((0 <= choice) & (choice < g.kh * g.kw)).all()
    gy = np.random.default_rng(2).standard_normal(got.shape).astype(dtype)
    np.testing.assert_allclose(fast.max_pool_scatter(gy, choice, g),
                               numpy_twin(np_pool.max_pool_scatter, gy, want_choice, g),
                               **tol(dtype))
    # and each backend's scatter and gather read the other's choices
    np.testing.assert_array_equal(numpy_twin(np_pool.max_pool_gather, x, choice, g), want)
    # the layout the library's own ops produce: an NCHW view of (C, H, W, N) memory
    xs = from_chwn(to_chwn(x))
    np.testing.assert_array_equal(fast.max_pool_forward(xs, g)[0], want)
    np.testing.assert_array_equal(fast.max_pool_forward(xs, g)[1], want_choice)


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", POOL_CASES[:3] + POOL_CASES[-1:])
def test_max_pool_against_torch(case, dtype, restore_backend):
    """Values, torch's indices (first max; last NaN) and a gradient with inf and NaN in it: it
    reaches only each window's chosen element, as in torch."""
    import torch
    kernels.set_backend("numba")
    x = pool_input(case, dtype, "special")
    k, s, p, d, ceil = case[4:]
    tx = torch.tensor(x, requires_grad=True)
    ty, tidx = torch.nn.functional.max_pool2d(tx, k, s, p, d, ceil_mode=ceil,
                                              return_indices=True)
    a = tg.tensor(x, requires_grad=True)
    y, idx = tg.nn.functional.max_pool2d(a, k, s, p, d, ceil_mode=ceil, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    gy = np.random.default_rng(3).standard_normal(y.shape).astype(dtype)
    gy.reshape(-1)[::3] = np.inf
    gy.reshape(-1)[1::7] = np.nan
    ty.backward(torch.tensor(gy))
    y.backward(tg.tensor(gy))
    np.testing.assert_array_equal(a.grad.numpy(), tx.grad.numpy())


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
def test_tutorial_cnn_step_against_torch(dtype, restore_backend):
    """conv → max_pool → relu twice, with the compiled kernels: values, every gradient and a
    second-order gradient through the ops' backward against torch."""
    import torch
    kernels.set_backend("numba")
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, (3, 1, 16, 16)).astype(dtype)      # integer pixels: pooling ties
    w1, b1 = rng.standard_normal((4, 1, 5, 5)).astype(dtype), rng.standard_normal(4).astype(dtype)
    w2, b2 = rng.standard_normal((5, 4, 3, 3)).astype(dtype), rng.standard_normal(5).astype(dtype)
    outs = []
    for lib, F in ((tg, tg.nn.functional), (torch, torch.nn.functional)):
        ps = [lib.tensor(v, requires_grad=True) for v in (x, w1, b1, w2, b2)]
        h = F.relu(F.max_pool2d(F.conv2d(ps[0], ps[1], ps[2]), 2))
        h = F.relu(F.max_pool2d(F.conv2d(h, ps[3], ps[4], padding=1), 2))
        loss = (h * h).sum()
        grads = (tg if lib is tg else torch).autograd.grad(loss, ps, create_graph=True)
        second = (tg if lib is tg else torch).autograd.grad(grads[3].sum(), ps[0])[0]
        outs.append([loss] + list(grads) + [second])
    for ours, theirs in zip(*outs):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                                   rtol=1e-4 if dtype == np.float32 else 1e-10,
                                   atol=1e-3 if dtype == np.float32 else 1e-9)


@needs_numba
def test_other_dtypes_stay_on_numpy(restore_backend):
    kernels.set_backend("numba")
    x = np.arange(32, dtype=np.float16).reshape(1, 2, 4, 4)
    g = pool_geometry("max_pool2d", x.shape, 2, 2, 0)
    y, masks = np_pool.max_pool_forward(x, g)
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y, numpy_twin(np_pool.max_pool_forward, x, g)[0])


@needs_numba
def test_compiling_is_announced_once():
    """A cold compile (empty cache) prints the notice to stderr once; a warm start is silent,
    also when the spinning workers run (their poll loop is compiled in every process)."""
    code = ("import numpy as np; from tinygrad_sgd.kernels import pool, layout, threads;"
            "x = np.ones((1, 1, 4, 4), np.float32);"
            "g = layout.pool_geometry('p', x.shape, 2, 2, 0);"
            "pool.max_pool_forward(x, g); pool.max_pool_forward(x.astype(np.float64), g);"
            "threads.set_num_threads(2); seen = [];"
            "threads.parallel_for(4, lambda a, b: seen.append(a), work=1 << 30);"
            "assert threads._crew.state is not None and sorted(seen) == [0, 2]")
    env = dict(os.environ, TINYGRAD_SGD_KERNELS="numba", OPENBLAS_THREAD_TIMEOUT="4")
    import tempfile
    with tempfile.TemporaryDirectory() as cache:
        env["NUMBA_CACHE_DIR"] = cache
        runs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                               capture_output=True, text=True) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    assert runs[0].stderr.count("compiling kernels (once)") == 1
    assert "compiling kernels" not in runs[1].stderr


# --- keep_where and the channel sums (relu's backward, a convolution's bias gradient) -------
def _layouts(shape, dtype, seed=0):
    """The same values as a C-order array, as an NCHW view of batch-innermost memory, and as
    a strided slice (no single memory order: the NumPy path)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    a.reshape(-1)[:4] = [np.nan, np.inf, -np.inf, -0.0]
    chwn = np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    wide = np.zeros(shape[:-1] + (2 * shape[-1],), dtype)
    wide[..., ::2] = a
    return {"C": a, "CHWN": chwn, "strided": wide[..., ::2]}


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_layout", ["C", "CHWN", "strided"])
@pytest.mark.parametrize("cond_layout", ["C", "CHWN"])
@pytest.mark.parametrize("cond_kind", ["bool", "float"])
def test_keep_where_compiled_matches_where(dtype, x_layout, cond_layout, cond_kind,
                                           restore_backend):
    """x where cond else 0, in x's memory layout; NaN/inf kept where cond, 0 where not. A
    float cond (of x's dtype: relu's output) stands for cond ≠ 0, nan counting as true."""
    shape = (6, 3, 16, 16)                               # above the compiled kernel's minimum
    xs = _layouts(shape, dtype)
    if cond_kind == "bool":
        conds = {k: v > 0.3 for k, v in _layouts(shape, np.float32, seed=1).items()}
    else:                  # a relu output: positive, ±0 or nan
        conds = {k: np.where(v > 0.3, v, np.where(v < -1, -0.0, 0.0)).astype(dtype)
                 for k, v in _layouts(shape, np.float32, seed=1).items()}
    x, cond = xs[x_layout], conds[cond_layout]
    want = np.where(cond != 0, x, 0)
    kernels.set_backend("numba")
    with np.errstate(invalid="ignore"):       # (mixed layouts: NumPy's inf·0 before its fix-up)
        got = kernels.elementwise.keep_where(cond, x)
    assert got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_array_equal(got, want)
    if x_layout == "CHWN" and cond_layout == "CHWN":      # the one-pass path keeps the layout
        assert got.strides == x.strides
    with np.errstate(invalid="ignore"):
        assert np.array_equal(got, numpy_twin(kernels.elementwise.keep_where, cond, x),
                              equal_nan=True)


@needs_numba
@pytest.mark.parametrize("cond_dtype", [np.bool_, np.float32])
def test_keep_where_kernel_writes_its_range_only(cond_dtype):
    """The compiled kernel on a chunk [i0, i1) (a thread's share): that range written, nothing
    else (it slices the chunk out first, see its comment)."""
    from tinygrad_sgd.kernels.compiled import elementwise as fast_ew
    rng = np.random.default_rng(3)
    x = rng.standard_normal(1000).astype(np.float32)
    cond = (rng.standard_normal(1000) > 0).astype(cond_dtype)
    out = np.full(1000, 7.0, np.float32)
    fast_ew._keep_where(cond, x, 123, 877, out)
    np.testing.assert_array_equal(out[123:877], np.where(cond[123:877] != 0, x[123:877], 0))
    assert (out[:123] == 7).all() and (out[877:] == 7).all()


@needs_numba
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["C", "CHWN", "strided"])
@pytest.mark.parametrize("axis", [(0, 2, 3), (1, 2, 3), (0, 1, 2)])
def test_bias_sums_compiled_match_numpy(dtype, layout, axis, restore_backend):
    """kernels.reduce.bias_sum (a convolution's bias gradient): the compiled row sums (the kept
    dim outermost in memory) and NumPy's (every other case) agree with a float64 sum, within
    float32's rounding of it; inf as NumPy."""
    a = _layouts((8, 5, 20, 24), dtype)[layout]
    a = np.nan_to_num(a, nan=1.0, posinf=2.0, neginf=-2.0)
    kernels.set_backend("numba")
    got = kernels.reduce.bias_sum(a, axis)
    want = a.astype(np.float64).sum(axis=axis)
    assert got.dtype == a.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=2e-5 if dtype == np.float32 else 1e-13, atol=1e-4)
    np.testing.assert_allclose(got, numpy_twin(kernels.reduce.bias_sum, a, axis), **tol(dtype))
    b = np.where(np.arange(a.size).reshape(a.shape) % 97 == 0, np.inf, a).astype(dtype)
    np.testing.assert_array_equal(kernels.reduce.bias_sum(b, axis),
                                  numpy_twin(kernels.reduce.bias_sum, b, axis))


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=needs_numba)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["C", "CHWN", "strided"])
@pytest.mark.parametrize("shape", [(16, 4, 16, 16), (2, 1, 2, 3)])    # compiled / NumPy's
def test_relu_is_torchs_bit_for_bit_signed_zeros_and_nans(backend, dtype, layout, shape,
                                                          restore_backend):
    """relu(−0) = −0 and relu(nan) keeps the nan's sign bit, as torch; negatives give +0; the
    result keeps the input's memory layout (a batch-innermost gradient stays one)."""
    import torch
    x = _layouts(shape, dtype)[layout]
    x[np.unravel_index(np.arange(8), x.shape)] = [-0.0, 0.0, np.nan, -np.nan, -1.0, 2.0,
                                                  np.inf, -np.inf]
    kernels.set_backend(backend)
    got = kernels.elementwise.relu(x)
    want = torch.relu(torch.from_numpy(np.ascontiguousarray(x))).numpy()
    assert got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    if layout == "CHWN":
        assert got.strides == x.strides
    t = tg.tensor(x, requires_grad=True)
    y = tg.relu(t)
    np.testing.assert_array_equal(np.signbit(y.numpy()), np.signbit(want))
    y.backward(tg.ones_like(y))
    tt = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_()
    torch.relu(tt).backward(torch.ones(x.shape, dtype=tt.dtype))
    np.testing.assert_array_equal(t.grad.numpy(), tt.grad.numpy())


@needs_numba
@pytest.mark.parametrize("switch_to", [None, "numpy"])
@pytest.mark.parametrize("args, channels", [(dict(), 3), (dict(padding=2), 3),
                                            (dict(stride=(1, 2)), 1)])
def test_direct_forward_keeps_its_padded_input_for_the_weight_gradient(switch_to, args,
                                                                       channels,
                                                                       restore_backend):
    """The compiled direct forward keeps the batch-innermost padded input it read; the weight
    gradient reads it instead of copying x again — the same numbers as without it, and, when
    the kernel set is switched between forward and backward (or a stride makes it a column
    path), it is not taken for a column matrix."""
    import torch
    from tinygrad_sgd.nn import functional as F
    rng = np.random.default_rng(11)
    x = rng.standard_normal((6, channels, 12, 11)).astype(np.float32)
    w = rng.standard_normal((5, channels, 5, 5)).astype(np.float32)
    g = rng.standard_normal(F.conv2d(tg.tensor(x), tg.tensor(w), **args).shape).astype(np.float32)
    kernels.set_backend("numba")
    xt, wt = tg.tensor(x), tg.tensor(w, requires_grad=True)
    y = F.conv2d(xt, wt, **args)
    kept = y.grad_fn.__dict__.get("cols")
    assert kept is not None and kept.ndim == 4          # (C, Hp, Wp, N)
    if switch_to:
        kernels.set_backend(switch_to)
    y.backward(tg.tensor(g))
    kernels.set_backend("numba")
    again = tg.tensor(w, requires_grad=True)
    y2 = F.conv2d(xt, again, **args)
    y2.grad_fn.__dict__.pop("cols")                     # recomputed from x
    y2.backward(tg.tensor(g))
    if switch_to is None:
        np.testing.assert_array_equal(wt.grad.numpy(), again.grad.numpy())
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(x), tw, **args).backward(torch.tensor(g))
    np.testing.assert_allclose(wt.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=needs_numba)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("case", ["same layout", "CHWN", "mixed layouts", "broadcast cond",
                                  "float cond", "small", "no nan"])
def test_keep_where_is_where_bit_for_bit(backend, dtype, case, restore_backend):
    """Both kernel sets give np.where(cond, x, +0) exactly: a kept −0 stays −0, a kept NaN
    keeps its bits, a masked −1, −inf or NaN gives +0 — torch's threshold_backward."""
    shape = (2, 3, 4, 5) if case == "small" else (8, 4, 16, 16)
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(dtype)
    specials = np.array([-0.0, np.nan, -np.nan, -np.inf, np.inf, -1.0, 0.0, 3.0], dtype)
    if case == "no nan":                # (no NaN anywhere: a product would pass for a where)
        specials = np.nan_to_num(specials, nan=-0.0)
    x.reshape(-1)[:16] = np.concatenate([specials, specials])
    cond = rng.random(shape) > 0.5
    cond.reshape(-1)[:8] = True                  # the first specials kept, the next masked
    cond.reshape(-1)[8:16] = False
    if case in ("CHWN", "mixed layouts"):
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        if case == "CHWN":
            cond = np.ascontiguousarray(cond.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    if case == "broadcast cond":
        cond = cond[:1]
    want = np.where(cond, x, dtype(0))
    if case == "float cond":            # relu's output as the mask: ≠ 0 (nan counts as true)
        cond = np.where(cond, np.where(rng.random(shape) > 0.5, 2.0, np.nan),
                        np.where(rng.random(shape) > 0.5, -0.0, 0.0)).astype(dtype)
        want = np.where(cond != 0, x, dtype(0))
    kernels.set_backend(backend)
    got = kernels.elementwise.keep_where(cond, x)
    assert got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_array_equal(np.ascontiguousarray(got).view(np.uint8),
                                  np.ascontiguousarray(want).view(np.uint8))   # every bit
    if case == "CHWN":
        assert got.strides == x.strides


@pytest.mark.parametrize("call", [lambda m, t: m.relu(t), lambda m, t: t.relu(),
                                  lambda m, t: m.nn.functional.relu(t),
                                  lambda m, t: m.nn.ReLU()(t)])
def test_relu_of_integers_is_torchs_and_of_bools_refused(call):
    import torch
    ints = [3, -2, 0, -7]
    assert call(tg, tg.tensor(ints)).tolist() == call(torch, torch.tensor(ints)).tolist()
    assert call(tg, tg.tensor(ints)).dtype == tg.int64
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        call(torch, torch.tensor([True, False]))
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        call(tg, tg.tensor([True, False]))
