"""A convolution whose input takes no gradient, then 2x2 max pooling (then relu): with the
compiled kernels its weight gradient makes dy — pooling's scatter — two rows at a time, in rows
of its own that stay in the core's cache, instead of the whole dy first
(``kernels/compiled/conv_weight.py``, ``_weight_grad_pooled``). Nothing a user sees may change:
the weight and bias gradients are the same bits as with dy made whole (and torch's to rounding),
for any filter count (groups of five and the filters left over), channels, kernel sizes,
strides, padding, dilation, dtype, relu or not, and thread count."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.kernels import conv as conv_kernels
from tinygrad_sgd.kernels.backend import numba_available

from test_conv_pool import bits, clear, poison_free_buffers, scatter_made_whole

pytestmark = pytest.mark.skipif(not numba_available(), reason="the compiled kernels' path")

# (N, C, H, W, F, kernel, stride, padding, dilation): every convolution output of even size
CASES = [
    (16, 1, 14, 14, 10, (5, 5), (1, 1), (0, 0), (1, 1)),    # the tutorial's conv1, small
    (6, 3, 12, 12, 7, (3, 3), (1, 1), (1, 1), (1, 1)),      # a group of five and one of two
    (5, 2, 10, 12, 4, (3, 5), (1, 1), (0, 0), (1, 1)),      # one group of four
    (4, 2, 12, 12, 6, (3, 3), (1, 1), (0, 0), (2, 2)),      # dilation; five and one
    (3, 1, 19, 18, 10, (5, 5), (2, 1), (2, 2), (1, 1)),     # height stride, padding
    (2, 2, 12, 12, 5, (3, 7), (1, 1), (1, 3), (1, 1)),      # 5 + 2 taps a kernel row
    (1, 1, 10, 10, 3, (3, 3), (1, 1), (1, 1), (1, 1)),      # one sample, three filters
    (40, 1, 28, 28, 10, (5, 5), (1, 1), (0, 0), (1, 1)),    # rows longer than a few vectors
]


def step(x, w, b, geometry, relu, dtype):
    """conv (input needs no gradient) → 2x2 max pooling → (relu) → a loss: the weight and
    bias gradients."""
    F = tg.nn.functional
    _, _, stride, padding, dilation = geometry
    wt = tg.tensor(w.copy(), requires_grad=True)
    bt = tg.tensor(b.copy(), requires_grad=True)
    y = F.max_pool2d(F.conv2d(tg.tensor(x), wt, bt, stride, padding, dilation), 2)
    y = F.relu(y) if relu else y
    (y * y.detach().nan_to_num(0, 0, 0)).sum().backward()
    return wt.grad.numpy().copy(), bt.grad.numpy().copy()


def torch_step(x, w, b, geometry, relu):
    _, _, stride, padding, dilation = geometry
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    y = torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(
        torch.tensor(x), wt, bt, stride, padding, dilation), 2)
    y = torch.relu(y) if relu else y
    (y * y.detach().nan_to_num(0, 0, 0)).sum().backward()
    return wt.grad.numpy(), bt.grad.numpy()


def operands(case, dtype, seed=0):
    N, C, H, W, F, k, s, p, d = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C) + k).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    return x, w, b, (C, k, s, p, d)


def by_rows_size(case):
    """The numbers of pooling's gradient: the convolution's output's over 4."""
    N, C, H, W, F, k, s, p, d = case
    oh = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    return N * F * oh * ow // 4


def fused_calls(monkeypatch):
    """Counts the convolution backwards that made dy a few rows at a time."""
    from tinygrad_sgd.kernels.compiled import conv_weight
    seen = []
    original = conv_weight.conv2d_weight_grad_pooled

    def counting(*args, **kw):
        seen.append(True)
        return original(*args, **kw)
    monkeypatch.setattr(conv_weight, "conv2d_weight_grad_pooled", counting)
    return seen


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_dy_made_by_rows_gives_the_same_bits_as_dy_made_whole(monkeypatch, restore_backend,
                                                              case, dtype, relu, threads):
    from tinygrad_sgd.kernels import threads as th
    monkeypatch.setattr(th, "MIN_CREW_ELEMENTS", 0)
    monkeypatch.setattr(th, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(th, "_quiet_blas", True)
    tg.kernels.set_backend("numba")
    clear()
    x, w, b, geometry = operands(case, dtype)
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(threads)
        seen = fused_calls(monkeypatch)
        step(x, w, b, geometry, relu, dtype)
        poison_free_buffers()           # (a place left unwritten would show as NaN)
        by_rows = step(x, w, b, geometry, relu, dtype)
        # (filters go in groups of WGRAD_FILTERS: five on an AVX-512 CPU, two on an AVX2 one,
        # where the tutorial's ten filters on two threads split a group: dy made whole)
        from tinygrad_sgd.kernels.compiled.conv_weight import WGRAD_FILTERS
        groups, dy_size = -(-case[4] // WGRAD_FILTERS), 4 * by_rows_size(case)
        assert bool(seen) == ((threads == 1 or groups % threads == 0 or
                               groups >= 4 * threads) and dy_size >= 1 << 14)
        with monkeypatch.context() as m:
            scatter_made_whole(m)
            whole = step(x, w, b, geometry, relu, dtype)
    finally:
        tg.set_num_threads(before)
        clear()
    for a, b_ in zip(by_rows, whole):
        assert a.dtype == dtype and np.array_equal(bits(a), bits(b_))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for ours, theirs in zip(by_rows, torch_step(x, w, b, geometry, relu)):
        np.testing.assert_allclose(ours, theirs, **tol)


def test_conv2d_grads_returns_the_weight_and_bias_gradients_of_the_rows(restore_backend):
    """The kernel layer itself: ``conv2d_grads`` with pooling's scatter not made yet equals the
    same call on dy made first (bits), and gives no input gradient; with few numbers (summed by
    NumPy) it leaves the bias gradient to the caller."""
    from tinygrad_sgd.kernels import pool as pool_kernels
    from tinygrad_sgd.kernels.layout import Geometry, pool_geometry
    tg.kernels.set_backend("numba")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((24, 2, 12, 12)).astype(np.float32)
    w = rng.standard_normal((7, 2, 3, 3)).astype(np.float32)
    g = Geometry("conv2d", x.shape, (3, 3), (1, 1), (1, 1), (1, 1))
    y = rng.standard_normal((24, 7, 12, 12)).astype(np.float32)
    pg = pool_geometry("max_pool2d", y.shape, 2, 2, 0)
    _, choice = pool_kernels.max_pool_forward(y, pg)
    values = rng.standard_normal((24, 7, 6, 6)).astype(np.float32)
    mask = (rng.random(values.shape) > 0.3).astype(np.float32)
    dx, dw, db = conv_kernels.conv2d_grads(x, None, w, g, input_grad=False, bias_grad=True,
                                           scatter=(values, mask, choice, pg))
    dense = pool_kernels.max_pool_scatter(values, choice, pg, mask=mask)
    _, dw2, db2 = conv_kernels.conv2d_grads(x, dense, w, g, input_grad=False, bias_grad=True)
    assert dx is None and dw.dtype == db.dtype == np.float32
    assert np.array_equal(bits(dw), bits(dw2)) and np.array_equal(bits(db), bits(db2))
    np.testing.assert_allclose(db, dense.astype(np.float64).sum(axis=(0, 2, 3)), rtol=1e-6)
    g_few = Geometry("conv2d", x[:2].shape, (3, 3), (1, 1), (1, 1), (1, 1))
    pg_few = pool_geometry("max_pool2d", y[:2].shape, 2, 2, 0)
    _, choice_few = pool_kernels.max_pool_forward(y[:2], pg_few)
    _, dw_few, db_few = conv_kernels.conv2d_grads(
        x[:2], None, w, g_few, input_grad=False, bias_grad=True,
        scatter=(values[:2], mask[:2], choice_few, pg_few))
    assert db_few is None and dw_few.shape == w.shape


# (C, H, W, F, kernel, N): the forward, each row of windows pooled as soon as it is made
FORWARD_CASES = [
    (1, 28, 28, 10, (5, 5), 16),     # the tutorial's conv1
    (10, 12, 12, 20, (5, 5), 8),     # conv2
    (2, 9, 8, 5, (5, 5), 3),         # an odd number of output rows: the last one not pooled
    (3, 10, 11, 7, (3, 7), 4),       # filters left over, 5 + 2 taps
    (1, 6, 6, 5, (1, 5), 5),         # one pass only (C·kh = 1)
]


@pytest.mark.parametrize("with_relu", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", FORWARD_CASES)
def test_rows_pooled_as_made_equal_pooling_after(case, dtype, with_relu):
    from tinygrad_sgd.kernels.compiled import conv, pool
    C, H, W, F, (kh, kw), N = case
    rng = np.random.default_rng(7)
    xp = rng.standard_normal((C, H, W, N)).astype(dtype)
    xp.reshape(-1)[rng.integers(0, xp.size, 3)] = np.nan      # (pooling's NaN rule)
    w = rng.standard_normal((F, C, kh, kw)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    OH, OW = H - kh + 1, W - kw + 1
    out, want = np.zeros((F, OH, OW, N), dtype), np.zeros((F, OH, OW, N), dtype)
    shape = (F, OH // 2, OW // 2, N)
    pooled, choice, relu = np.zeros(shape, dtype), np.zeros(shape, np.int8), np.zeros(shape, dtype)
    conv._conv_direct_rows(xp, w, b, 1, 1, 1, 0, OH, 0, F, out, pooled, choice, relu,
                           2 if with_relu else 1)
    conv._conv_direct_rows(xp, w, b, 1, 1, 1, 0, OH, 0, F, want, want, conv.NO_CHOICE, want, 0)
    w_pooled, w_choice, w_relu = np.zeros(shape, dtype), np.zeros(shape, np.int8), \
        np.zeros(shape, dtype)
    if with_relu:
        pool._max_pool_2x2_relu(want, 0, F, w_pooled, w_choice, w_relu)
    else:
        pool._max_pool_2x2(want, 0, F, w_pooled, w_choice)
    assert np.array_equal(bits(out), bits(want)) and np.array_equal(choice, w_choice)
    assert np.array_equal(bits(pooled), bits(w_pooled))
    assert np.array_equal(bits(relu), bits(w_relu))
    assert np.isnan(pooled).any() or not np.isnan(want[:, :2 * (OH // 2)]).any()
