"""``nll_loss`` (and so ``cross_entropy``) bit for bit against torch: the loss summed in
torch's cascade of partial sums (:mod:`tinygrad_sgd.kernels.loss`), the gradient with torch's
rounding (``w·(−(g/Σw))``), NaN's sign as torch's — for float32/64/16, the three reductions,
class weights (zero ones too), ignored targets (all of them too), an upstream gradient that
is not a power of two (or NaN), (C,), (N, C) and (N, C, d) inputs, NaN/−inf inputs, a plain
backward and one with ``create_graph``; batch sizes around the cascade's carries (16, 256,
4096) with ignored samples on them; each kernel set; and the two kernel sets' sums against
each other on ±0, NaN and ±inf."""
import itertools

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels import loss as kl
from tinygrad_sgd.kernels.backend import numba_available

BACKENDS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    not numba_available(), reason="numba not importable"))]
DTYPES = [(np.float32, torch.float32), (np.float64, torch.float64),
          (np.float16, torch.float16)]


@pytest.fixture(params=BACKENDS)
def backend(request):
    previous = kernels.set_backend(request.param)
    yield request.param
    kernels.set_backend(previous)


def both(x, t, w, reduction, ignore_index, scale, create_graph):
    """(ours, torch's): the loss, and the gradient of (loss · scale).sum() for x."""
    results = []
    for L, wrap in ((tg, tg.tensor), (torch, torch.tensor)):
        xs = wrap(x, requires_grad=True)
        loss = F(L).nll_loss(xs, wrap(t), weight=None if w is None else wrap(w),
                             reduction=reduction, ignore_index=ignore_index)
        grad, = L.autograd.grad((loss * scale).sum(), xs, create_graph=create_graph)
        results.append((np.asarray(loss.detach().numpy() if L is torch else loss.array),
                        grad.detach().numpy() if L is torch else grad.array))
    return results


def F(L):
    return L.nn.functional


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def case(rng, dtype, shape, weights, ignore, special):
    x = rng.standard_normal(shape).astype(dtype)
    if special and x.ndim == 2:
        x[2, 1], x[3, 0], x[5, 4] = np.nan, -np.inf, np.nan
    t = rng.integers(0, 5, shape[:1] + shape[2:]) if x.ndim > 1 else np.array(4)
    if x.ndim > 1:
        t.reshape(-1)[:3] = [4, 1, 0]                 # (the NaN and −inf picked)
    ignore_index = {"none": -100, "some": 4, "all": 7}[ignore]
    if ignore == "all":
        t = np.full_like(t, 7)
    w = {None: None, "rand": rng.random(5).astype(dtype),
         "zeros": np.array([0, 1, 1, 1, 0], dtype)}[weights]
    return x, t, w, ignore_index


@pytest.mark.parametrize("dtypes", DTYPES, ids=lambda d: d[0].__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_and_gradient_bits(backend, dtypes, reduction):
    rng = np.random.default_rng(0)
    for shape, weights, ignore, scale, special, create_graph in itertools.product(
            [(7, 5), (5,), (3, 5, 2)], [None, "rand", "zeros"], ["none", "some", "all"],
            [1.0, 0.3, float("nan")], [False, True], [False, True]):
        x, t, w, ignore_index = case(rng, dtypes[0], shape, weights, ignore, special)
        (loss, grad), (t_loss, t_grad) = both(x, t, w, reduction, ignore_index, scale,
                                              create_graph)
        what = f"{shape} weights={weights} ignore={ignore} scale={scale} special={special}"
        assert same_bits(loss, t_loss), f"loss: {what}: {loss} vs {t_loss}"
        assert same_bits(grad, t_grad), f"gradient: {what}"


@pytest.mark.parametrize("n", [1, 15, 16, 17, 33, 64, 255, 256, 257, 4096, 4097, 5000])
@pytest.mark.parametrize("weighted", [False, True])
def test_batch_sizes_around_the_cascades_carries(backend, n, weighted):
    """The carries happen after samples 0, 16, 32, ... (one level), 256, ... (two): an
    ignored sample there carries nothing, so later samples stay on the level below."""
    rng = np.random.default_rng(n)
    for dtype in (np.float32, np.float16):
        x = rng.standard_normal((n, 3)).astype(dtype)
        t = rng.integers(0, 3, n)
        t[(rng.random(n) < 0.2) | (np.arange(n) % 16 == 0) & (rng.random(n) < 0.5)] = -1
        w = rng.random(3).astype(dtype) if weighted else None
        for reduction in ("mean", "sum"):
            (loss, grad), (t_loss, t_grad) = both(x, t, w, reduction, -1, 0.7, False)
            assert same_bits(loss, t_loss), (dtype, reduction, loss, t_loss)
            assert same_bits(grad, t_grad), (dtype, reduction)


@pytest.mark.skipif(not numba_available(), reason="numba not importable")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_kernel_sets_sum_alike(dtype):
    rng = np.random.default_rng(3)
    for n in (1, 2, 16, 17, 300, 4097):
        picked = rng.standard_normal(n).astype(dtype)
        picked[rng.random(n) < 0.1] = -0.0
        picked[rng.random(n) < 0.1] = 0.0
        w = rng.random(n).astype(dtype)
        w[rng.random(n) < 0.2] = -0.0
        ignored = rng.random(n) < 0.3
        specials = picked.copy()
        specials[[0, n // 2]] = [np.inf, -np.inf] if n > 1 else [np.nan]
        for args in [(picked, None, None), (picked, w, None), (picked, w, ignored),
                     (picked, None, ignored), (specials, w, ignored), (-picked, w, None)]:
            sums = []
            for name in ("numpy", "numba"):
                previous = kernels.set_backend(name)
                try:
                    sums.append(kl.nll_sums(*args))
                finally:
                    kernels.set_backend(previous)
            for a, b in zip(*sums):
                assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), (n, a, b)


@pytest.mark.parametrize("n", [1, 2, 64, 70_000, 2 ** 33 + 5, 2 ** 42])
def test_carry_levels_are_torchs_mask_tests(n):
    """kl.carry_levels (trailing zero bits in groups) against torch's loop of mask tests,
    with torch's group size max(4, ⌈log2 n⌉ / 8)."""
    power = max(4, int(np.ceil(np.log2(n))) // 8) if n > 1 else 4
    assert kl.level_power(n) == power
    group = (1 << power) - 1
    positions = np.unique(np.concatenate([np.arange(min(n, 70_000)),
                                          np.array([0, 16, 256, 4096, 2 ** 20, 2 ** 32,
                                                    2 ** 40, 3 * 2 ** 36]) % n]))
    expected = []
    for b in positions.tolist():
        level = 0
        for j in range(kl.LEVELS - 1):
            if b & (group << (j * power)):
                break
            level += 1
        expected.append(level)
    np.testing.assert_array_equal(kl.carry_levels(positions, n), expected)
