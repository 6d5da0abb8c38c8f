"""Sums add in torch's order (kernels/cascade_sum.py): sum, mean, the broadcast gradients
(torch's sum_to) and the losses' means give torch's bits — every dtype it applies to, any
layout (contiguous, transposed, strided, flipped), any dims, on one and on two threads (torch
splits sums above 32,768 elements), with both kernel sets."""
import itertools

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

SHAPES = [(5,), (7,), (8,), (17,), (100,), (1000,), (33333,), (70000,), (3, 5), (64, 10),
          (10, 64), (33, 40), (4, 8, 5), (2, 3, 4, 5), (64, 10, 12, 12), (1, 7), (7, 1),
          (5, 1000, 9), (40000, 3), (3, 40000)]
DTYPES = [np.float32, np.float64, np.float16]


def same_bits(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    return ours.shape == theirs.shape and ours.dtype == theirs.dtype and np.array_equal(
        np.atleast_1d(ours).view(np.uint8), np.atleast_1d(np.ascontiguousarray(theirs))
        .view(np.uint8))


def data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * rng.choice([1, 100, 1e-3], shape)).astype(dtype)


def layouts(x):
    out = {"contiguous": x}
    if x.ndim >= 2:
        out["transposed"] = x.T
    if x.shape[-1] > 2:
        out["strided"] = x[..., ::2]
    return out


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_sum_and_mean_over_every_set_of_dims(shape, dtype, kernel_set, same_threads):
    x = data(shape, dtype)
    nd = len(shape)
    dim_sets = [None] + [c for r in range(1, nd + 1) for c in itertools.combinations(range(nd), r)]
    cases = {name: (torch.from_numpy(a), tg.from_numpy(a)) for name, a in layouts(x).items()}
    cases["flipped"] = (torch.from_numpy(x).flip(0), tg.from_numpy(x).flip(0))
    for name, (t, o) in cases.items():
        for dims in dim_sets:
            theirs = t.sum() if dims is None else t.sum(dim=dims)
            ours = o.sum() if dims is None else o.sum(dim=dims)
            assert same_bits(ours.numpy(), theirs.numpy()), (name, dims, "sum")
            if dims is None or len(dims) == 1:
                theirs = t.mean() if dims is None else t.mean(dim=dims, keepdim=True)
                ours = o.mean() if dims is None else o.mean(dim=dims, keepdim=True)
                assert same_bits(ours.numpy(), theirs.numpy()), (name, dims, "mean")


@pytest.mark.parametrize("case", ["float16 as float32", "float32 as float64",
                                  "int64 as float32", "float32 as float16"])
def test_sum_with_a_dtype_sums_a_converted_copy(case, kernel_set):
    src, dst = case.split(" as ")
    x = (data((37, 29), np.float64) * 50).astype(src)
    for dims in (None, (0,), (1,)):
        theirs = torch.from_numpy(x).sum(dim=dims, dtype=getattr(torch, dst))
        ours = tg.tensor(x).sum(dim=dims, dtype=getattr(tg, dst))
        assert same_bits(ours.numpy(), theirs.numpy()), dims


@pytest.mark.parametrize("x_shape, b_shape", [((64, 10), (10,)), ((64, 512), (512,)),
                                              ((4, 8, 33), (8, 1)), ((3, 7, 5), (1, 5)),
                                              ((20000, 3), (3,)), ((2, 30000), (1,))])
def test_broadcast_gradients_are_torchs_sum_to(x_shape, b_shape, kernel_set, same_threads):
    """The gradient of a broadcast input (a bias) is summed as torch's sum_to sums it."""
    x, b, g = data(x_shape, np.float32, 1), data(b_shape, np.float32, 2), \
        data(x_shape, np.float32, 3)
    grads = []
    for L in (torch, tg):
        xs, bs = L.tensor(x), L.tensor(b, requires_grad=True)
        (xs + bs).backward(L.tensor(g))
        grads.append(bs.grad.numpy())
    assert same_bits(grads[1], grads[0])


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                                  "binary_cross_entropy_with_logits", "soft_margin_loss"])
@pytest.mark.parametrize("n", [7, 100, 4097, 40000])
def test_losses_mean_is_torchs(loss, n, kernel_set, same_threads):
    a, b = data((n,), np.float32, 4), data((n,), np.float32, 5)
    if loss == "binary_cross_entropy_with_logits":
        b = (b > 0).astype(np.float32)
    if loss == "soft_margin_loss":
        b = np.sign(b)
    values = [getattr(L.nn.functional, loss)(L.tensor(a), L.tensor(b)).numpy()
              for L in (torch, tg)]
    assert same_bits(values[1], values[0])


def test_printed_numbers_of_a_lesson_are_torchs():
    """makemore's bigram normalisation, printed: torch shows tensor(1.), so must we."""
    outputs = []
    for L in (torch, tg):
        L.manual_seed(0)
        a = L.randn(27, 27).abs()
        p = a / a.sum(1, keepdim=True)
        outputs.append((str(p[0].sum()), str(p.sum(1)[:5]), L.randn(17).sum().item()))
    assert outputs[0][0] == "tensor(1.)" and outputs[1] == outputs[0]


def test_special_values_and_signed_zeros():
    for values in ([-0.0], [-0.0, -0.0], [np.inf, -np.inf, 1.0], [np.nan, 1.0] * 9,
                   [3e38, 3e38, -3e38], [1e-45] * 20):
        a = np.array(values, np.float32)
        assert same_bits(tg.tensor(a).sum().numpy(), torch.from_numpy(a).sum().numpy()), values
