"""The node names a torch program prints (``grad_fn=<UpsampleNearest2DBackward0>``) for
resizing, padding, activations, pooling, losses, distances, attention and a few tensor
functions, compared with real torch's on the same small programs, in torch mode (as the
as_torch runner runs them). Where the first level of ``next_functions`` is torch's too, the
case says so and it is compared as well."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg



def leaf(T, *shape, seed=0):
    a = np.random.default_rng(seed + len(shape)).standard_normal(shape).astype(np.float32)
    return T.tensor(a, requires_grad=True)


def const(T, *shape, seed=1):
    return T.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def probs(T, n, c):
    e = np.exp(np.random.default_rng(2).standard_normal((n, c)))
    return T.tensor((e / e.sum(1, keepdims=True)).astype(np.float32))


def inplace(T, fn):
    y = leaf(T, 3, 4) * 1
    fn(T.nn.functional, y)
    return y


def written(T):
    y = leaf(T, 3, 4) * 1
    y[0] = 5.0
    return y


def interp(dims, **kw):
    return lambda T: T.nn.functional.interpolate(leaf(T, 1, 2, *(4, 5, 3)[:dims]), **kw)


def padded(dims, mode):
    return lambda T: T.nn.functional.pad(leaf(T, 1, 2, *(4, 5, 3)[:dims]), (1, 2) * dims,
                                         mode=mode)


# name: (program, whether the first level of next_functions is torch's too)
CASES = {
    "nearest1d": (interp(1, scale_factor=2), True),
    "nearest2d": (interp(2, scale_factor=2), False),
    "nearest3d": (interp(3, scale_factor=2), False),
    "nearest-exact2d": (interp(2, scale_factor=2, mode="nearest-exact"), False),
    "linear": (interp(1, scale_factor=2, mode="linear"), True),
    "bilinear": (interp(2, scale_factor=2, mode="bilinear", align_corners=True), False),
    "bilinear-antialias": (interp(2, size=(2, 3), mode="bilinear", antialias=True), False),
    "bicubic": (interp(2, scale_factor=2, mode="bicubic"), False),
    "bicubic-antialias": (interp(2, size=(2, 3), mode="bicubic", antialias=True), False),
    "trilinear": (interp(3, scale_factor=2, mode="trilinear"), False),
    "area1d": (interp(1, size=3, mode="area"), False),
    "area3d": (interp(3, size=(2, 2, 2), mode="area"), False),
    "Upsample": (lambda T: T.nn.Upsample(scale_factor=2)(leaf(T, 1, 2, 4, 5)), False),
    "UpsamplingBilinear2d":
        (lambda T: T.nn.UpsamplingBilinear2d(scale_factor=2)(leaf(T, 1, 2, 4, 5)), False),
    "reflect1d": (padded(1, "reflect"), True),
    "reflect2d": (padded(2, "reflect"), False),
    "reflect3d": (padded(3, "reflect"), False),
    "replicate1d": (padded(1, "replicate"), True),
    "replicate2d": (padded(2, "replicate"), False),
    "replicate3d": (padded(3, "replicate"), False),
    "circular2d": (padded(2, "circular"), False),
    "ReflectionPad2d": (lambda T: T.nn.ReflectionPad2d(1)(leaf(T, 1, 2, 4, 5)), False),
    "PReLU": (lambda T: T.nn.PReLU(2)(leaf(T, 1, 2, 4)), False),
    "threshold": (lambda T: T.nn.functional.threshold(leaf(T, 3, 4), 0.1, 2.0), False),
    "threshold_": (lambda T: inplace(T, lambda F, y: F.threshold_(y, 0.1, 2.0)), False),
    "softshrink": (lambda T: T.nn.functional.softshrink(leaf(T, 3, 4)), False),
    "hardshrink": (lambda T: T.nn.functional.hardshrink(leaf(T, 3, 4)), False),
    "pixel_shuffle": (lambda T: T.nn.functional.pixel_shuffle(leaf(T, 1, 4, 2, 2), 2), False),
    "pixel_unshuffle":
        (lambda T: T.nn.functional.pixel_unshuffle(leaf(T, 1, 1, 4, 4), 2), False),
    "channel_shuffle":
        (lambda T: T.nn.functional.channel_shuffle(leaf(T, 1, 4, 2, 2), 2), False),
    "glu": (lambda T: T.nn.functional.glu(leaf(T, 3, 4)), False),
    "mish": (lambda T: T.nn.functional.mish(leaf(T, 3, 4)), False),
    "mish-inplace": (lambda T: inplace(T, lambda F, y: F.mish(y, inplace=True)), False),
    "instance_norm": (lambda T: T.nn.functional.instance_norm(leaf(T, 2, 3, 5)), False),
    "InstanceNorm2d":
        (lambda T: T.nn.InstanceNorm2d(2, affine=True)(leaf(T, 1, 2, 4, 5)), False),
    "rrelu-eval": (lambda T: T.nn.functional.rrelu(leaf(T, 3, 4)), False),
    "rrelu-eval-inplace": (lambda T: inplace(T, lambda F, y: F.rrelu_(y)), False),
    "rrelu-train": (lambda T: T.nn.functional.rrelu(leaf(T, 3, 4), training=True), False),
    "max_pool3d": (lambda T: T.nn.functional.max_pool3d(leaf(T, 1, 2, 4, 4, 4), 2), False),
    "max_pool3d-unbatched":
        (lambda T: T.nn.functional.max_pool3d(leaf(T, 2, 4, 4, 4), 2), False),
    "avg_pool3d": (lambda T: T.nn.functional.avg_pool3d(leaf(T, 1, 2, 4, 4, 4), 2), False),
    "adaptive_avg_pool3d-1":
        (lambda T: T.nn.functional.adaptive_avg_pool3d(leaf(T, 1, 2, 4, 4, 4), 1), False),
    "huber_loss": (lambda T: T.nn.functional.huber_loss(leaf(T, 3, 4), const(T, 3, 4)), False),
    "huber_loss-none": (lambda T: T.nn.functional.huber_loss(
        leaf(T, 3, 4), const(T, 3, 4), reduction="none"), False),
    "soft_margin_loss": (lambda T: T.nn.functional.soft_margin_loss(
        leaf(T, 3, 4), const(T, 3, 4).sign()), False),
    "multi_margin_loss": (lambda T: T.nn.functional.multi_margin_loss(
        leaf(T, 4, 3), T.tensor([0, 1, 2, 1])), False),
    "cross_entropy-probabilities":
        (lambda T: T.nn.functional.cross_entropy(leaf(T, 4, 3), probs(T, 4, 3)), False),
    "cross_entropy-probabilities-sum": (lambda T: T.nn.functional.cross_entropy(
        leaf(T, 4, 3), probs(T, 4, 3), reduction="sum"), True),
    "pdist": (lambda T: T.nn.functional.pdist(leaf(T, 4, 3)), False),
    "pairwise_distance": (lambda T: T.nn.functional.pairwise_distance(
        leaf(T, 4, 3), leaf(T, 4, 3, seed=5)), True),
    "sdpa-4d": (lambda T: T.nn.functional.scaled_dot_product_attention(
        leaf(T, 2, 2, 3, 4), leaf(T, 2, 2, 5, 4, seed=3), leaf(T, 2, 2, 5, 4, seed=4)), False),
    "sdpa-4d-causal": (lambda T: T.nn.functional.scaled_dot_product_attention(
        leaf(T, 2, 2, 3, 4), leaf(T, 2, 2, 3, 4, seed=3), leaf(T, 2, 2, 3, 4, seed=4),
        is_causal=True), False),
    "sdpa-4d-other-value-size": (lambda T: T.nn.functional.scaled_dot_product_attention(
        leaf(T, 2, 2, 3, 4), leaf(T, 2, 2, 5, 4, seed=3), leaf(T, 2, 2, 5, 6)), False),
    "sdpa-3d": (lambda T: T.nn.functional.scaled_dot_product_attention(
        leaf(T, 2, 3, 4), leaf(T, 2, 5, 4, seed=3), leaf(T, 2, 5, 4, seed=4)), False),
    "leaky_relu_": (lambda T: inplace(T, lambda F, y: F.leaky_relu_(y)), False),
    "LeakyReLU-inplace":
        (lambda T: inplace(T, lambda F, y: T.nn.LeakyReLU(inplace=True)(y)), False),
    "leaky_relu": (lambda T: T.nn.functional.leaky_relu(leaf(T, 3, 4)), False),
    "prod(dim)": (lambda T: leaf(T, 3, 4).prod(0), True),
    "prod()": (lambda T: leaf(T, 3, 4).prod(), True),
    "aminmax()[0]": (lambda T: leaf(T, 3, 4).aminmax()[0], True),
    "aminmax(dim)[1]": (lambda T: leaf(T, 3, 4).aminmax(dim=1)[1], True),
    "diag(matrix)": (lambda T: T.diag(leaf(T, 3, 4)), False),
    "diag(vector)": (lambda T: T.diag(leaf(T, 4)), True),
    "diag_embed": (lambda T: T.diag_embed(leaf(T, 3, 4)), False),
    "repeat_interleave": (lambda T: leaf(T, 3, 4).repeat_interleave(2), False),
    "repeat_interleave(tensor, dim)":
        (lambda T: leaf(T, 3, 4).repeat_interleave(T.tensor([1, 2, 1]), dim=0), True),
    "einsum-matvec": (lambda T: T.einsum("ij,j->i", leaf(T, 3, 4), const(T, 4)), False),
    "einsum-sum": (lambda T: T.einsum("ij->i", leaf(T, 3, 4)), False),
    "einsum-transpose": (lambda T: T.einsum("ij->ji", leaf(T, 3, 4)), True),
    "einsum-outer": (lambda T: T.einsum("i,j->ij", leaf(T, 3), leaf(T, 4)), False),
    "CopySlices": (written, False),
}


def _name(node):
    return None if node is None else repr(node).split(" object")[0].lstrip("<")


@pytest.mark.parametrize("case", CASES)
def test_node_names_are_torchs(case, torch_mode):
    program, next_too = CASES[case]
    torch.manual_seed(0)
    theirs = program(torch)
    tg.manual_seed(0)
    ours = program(tg)
    assert _name(ours.grad_fn) == _name(theirs.grad_fn)
    if next_too:
        assert [_name(n) for n, _ in ours.grad_fn.next_functions] == \
            [_name(n) for n, _ in theirs.grad_fn.next_functions]


def test_copy_slices_repr_and_name_are_torchs(torch_mode):
    theirs, ours = written(torch).grad_fn, written(tg).grad_fn
    assert ours.name() == theirs.name() == "torch::autograd::CopySlices"
    assert repr(ours).startswith("<CopySlices object at ") and \
        repr(theirs).startswith("<CopySlices object at ")


def test_names_are_the_librarys_outside_torch_mode():
    x = tg.tensor(np.ones((1, 1, 4), np.float32), requires_grad=True)
    assert tg.nn.functional.interpolate(x, scale_factor=2).grad_fn.name() == "ResampleBackward"
    assert "Upsample" not in repr(tg.nn.functional.pad(x, (1, 1), mode="reflect").grad_fn)
