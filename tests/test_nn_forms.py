"""torch's top-level forms of nn functions (torch.conv2d, torch.dropout(input, p, train),
torch.batch_norm with weight first, torch.embedding with the weight first, the losses with an
int reduction, ...): the same program on both libraries gives torch's values and gradients."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from strategies import assert_same, check_against_torch

R = np.random.default_rng(3)


def _a(*shape):
    return R.standard_normal(shape)


def _p(*shape):
    return R.uniform(0.1, 1.0, shape)


IDS = np.array([[1, 4], [0, 1]])
SIGNS = np.array([1.0, -1.0, 1.0])
MEAN, VAR = _a(3), _p(3)

CASES = [
    ("conv1d", lambda L, x, w, b: L.conv1d(x, w, b, 2, 1), [_a(2, 3, 9), _a(4, 3, 3), _a(4)]),
    ("conv2d", lambda L, x, w: L.conv2d(x, w, None, 1, 1, 2), [_a(1, 2, 6, 6), _a(3, 2, 3, 3)]),
    ("conv2d groups", lambda L, x, w: L.conv2d(x, w, groups=2), [_a(1, 4, 5, 5), _a(2, 2, 3, 3)]),
    ("conv_transpose1d", lambda L, x, w: L.conv_transpose1d(x, w, None, 2, 1, 1),
     [_a(2, 3, 5), _a(3, 2, 3)]),
    ("conv_transpose2d", lambda L, x, w, b: L.conv_transpose2d(x, w, b, 2),
     [_a(1, 2, 3, 3), _a(2, 3, 2, 2), _a(3)]),
    ("avg_pool1d", lambda L, x: L.avg_pool1d(x, 3, 2, 1, True, False), [_a(2, 3, 8)]),
    ("max_pool1d", lambda L, x: L.max_pool1d(x, 2), [_a(2, 3, 8)]),
    ("max_pool1d stride", lambda L, x: L.max_pool1d(x, 3, 2, 1, 1, True), [_a(1, 2, 9)]),
    ("max_pool2d", lambda L, x: L.max_pool2d(x, 2), [_a(2, 2, 6, 6)]),
    ("max_pool2d stride list", lambda L, x: L.max_pool2d(x, [3, 2], [], 1), [_a(1, 1, 7, 6)]),
    ("adaptive_avg_pool1d", lambda L, x: L.adaptive_avg_pool1d(x, 3), [_a(2, 2, 7)]),
    ("adaptive_max_pool1d values", lambda L, x: L.adaptive_max_pool1d(x, 3)[0], [_a(2, 2, 7)]),
    ("batch_norm training", lambda L, x, w, b: L.batch_norm(
        x, w, b, L.zeros(3, dtype=L.float64), L.ones(3, dtype=L.float64), True, 0.1, 1e-5,
        False), [_a(4, 3, 2), _p(3), _a(3)]),
    ("batch_norm eval", lambda L, x, w, b: L.batch_norm(
        x, w, b, L.tensor(MEAN), L.tensor(VAR), False, 0.1, 1e-3, True), [_a(4, 3), _p(3), _a(3)]),
    ("layer_norm", lambda L, x, w, b: L.layer_norm(x, [4], w, b, 1e-3), [_a(3, 4), _p(4), _a(4)]),
    ("layer_norm no affine", lambda L, x: L.layer_norm(x, (2, 3)), [_a(2, 2, 3)]),
    ("rms_norm", lambda L, x, w: L.rms_norm(x, [3], w, 1e-4), [_a(2, 3), _p(3)]),
    ("embedding", lambda L, w: L.embedding(w, L.tensor(IDS)), [_a(5, 3)]),
    ("embedding padding_idx", lambda L, w: L.embedding(w, L.tensor(IDS), 1), [_a(5, 3)]),
    ("dropout eval", lambda L, x: L.dropout(x, 0.5, False), [_a(3, 4)]),
    ("dropout p 0", lambda L, x: L.dropout(x, 0.0, True), [_a(3, 4)]),
    ("feature_dropout eval", lambda L, x: L.feature_dropout(x, 0.3, False), [_a(2, 3, 4)]),
    ("celu", lambda L, x: L.celu(x, 0.7), [_a(5)]),
    ("celu default", lambda L, x: L.celu(x), [_a(5)]),
    ("selu", lambda L, x: L.selu(x), [_a(5)]),
    ("prelu", lambda L, x, w: L.prelu(x, w), [_a(2, 3, 4), _p(3)]),
    ("cosine_similarity", lambda L, a, b: L.cosine_similarity(a, b, 0), [_a(4, 3), _a(4, 3)]),
    ("pairwise_distance", lambda L, a, b: L.pairwise_distance(a, b, 1.5, 1e-6, True),
     [_a(4, 3), _a(4, 3)]),
    ("kl_div", lambda L, a, b: L.kl_div(a, b), [_a(2, 3), _p(2, 3)]),
    ("kl_div sum log_target", lambda L, a, b: L.kl_div(a, b, 2, log_target=True),
     [_a(2, 3), _a(2, 3)]),
    ("kl_div none", lambda L, a, b: L.kl_div(a, b, 0), [_a(2, 3), _p(2, 3)]),
    ("kl_div other int is none", lambda L, a, b: L.kl_div(a, b, 3), [_a(2, 3), _p(2, 3)]),
    ("bce with logits", lambda L, x, t: L.binary_cross_entropy_with_logits(
        x, t, L.tensor(VAR), L.tensor(VAR[::-1].copy()), 2), [_a(2, 3), _p(2, 3)]),
    ("bce with logits default", lambda L, x, t: L.binary_cross_entropy_with_logits(x, t),
     [_a(2, 3), _p(2, 3)]),
    ("cosine_embedding_loss default", lambda L, a, b: L.cosine_embedding_loss(
        a, b, L.tensor(SIGNS)), [_a(3, 4), _a(3, 4)]),
    ("margin_ranking_loss default", lambda L, a, b: L.margin_ranking_loss(
        a, b, L.tensor(SIGNS)), [_a(3), _a(3)]),
    ("hinge_embedding_loss default", lambda L, a: L.hinge_embedding_loss(a, L.tensor(SIGNS)),
     [_a(3)]),
    ("cosine_embedding_loss", lambda L, a, b: L.cosine_embedding_loss(
        a, b, L.tensor(SIGNS), 0.2, 0), [_a(3, 4), _a(3, 4)]),
    ("margin_ranking_loss", lambda L, a, b: L.margin_ranking_loss(a, b, L.tensor(SIGNS), 0.1),
     [_a(3), _a(3)]),
    ("hinge_embedding_loss", lambda L, a: L.hinge_embedding_loss(a, L.tensor(SIGNS), 0.5, 2),
     [_a(3)]),
    ("conv3d", lambda L, x, w: L.conv3d(x, w, None, 1, 1), [_a(1, 2, 3, 4, 4), _a(2, 2, 2, 2, 2)]),
    ("conv_transpose3d", lambda L, x, w: L.conv_transpose3d(x, w, None, 2),
     [_a(1, 2, 2, 2, 2), _a(2, 1, 2, 2, 2)]),
    ("max_pool3d", lambda L, x: L.max_pool3d(x, 2), [_a(1, 2, 4, 4, 4)]),
    ("max_pool1d_with_indices", lambda L, x: L.max_pool1d_with_indices(x, 2, [], 0, 1, True)[0],
     [_a(2, 2, 7)]),
    ("instance_norm", lambda L, x, w, b: L.instance_norm(x, w, b, None, None, True, 0.1, 1e-5,
                                                         False), [_a(2, 3, 5), _p(3), _a(3)]),
    ("group_norm", lambda L, x, w, b: L.group_norm(x, 2, w, b, 1e-3), [_a(2, 4, 3), _p(4), _a(4)]),
    ("bilinear", lambda L, a, b, w, c: L.bilinear(a, b, w, c),
     [_a(3, 2), _a(3, 4), _a(5, 2, 4), _a(5)]),
    ("pdist", lambda L, x: L.pdist(x, 1.5), [_a(4, 3)], dict(second_order=False)),
    ("pixel_shuffle", lambda L, x: L.pixel_shuffle(x, 2), [_a(1, 8, 2, 3)]),
    ("pixel_unshuffle", lambda L, x: L.pixel_unshuffle(x, 2), [_a(1, 2, 4, 6)]),
    ("channel_shuffle", lambda L, x: L.channel_shuffle(x, 2), [_a(1, 4, 2, 2)]),
    ("alpha_dropout eval", lambda L, x: L.alpha_dropout(x, 0.3, False), [_a(3, 4)]),
    ("feature_alpha_dropout eval", lambda L, x: L.feature_alpha_dropout(x, 0.3, False),
     [_a(2, 3, 4)]),
    ("rrelu eval", lambda L, x: L.rrelu(x, 0.1, 0.3), [_a(6)]),
    ("hardshrink", lambda L, x: L.hardshrink(x, 0.4), [_a(6)]),
    ("hardshrink method", lambda L, x: x.hardshrink(), [_a(6)]),
    ("prelu method", lambda L, x, w: x.prelu(w), [_a(2, 3), _p(3)]),
    ("threshold", lambda L, x: L.threshold(x, 0.1, -2.0), [_a(6)]),
    ("triplet_margin_loss", lambda L, a, p, n: L.triplet_margin_loss(a, p, n, 0.5, 2.0, 1e-6,
                                                                       True, 1),
     [_a(3, 4), _a(3, 4), _a(3, 4)]),
    ("triplet_margin_loss default", lambda L, a, p, n: L.triplet_margin_loss(a, p, n),
     [_a(3, 4), _a(3, 4), _a(3, 4)]),
    ("poisson_nll_loss", lambda L, x, t: L.poisson_nll_loss(x, t, True, True, 1e-8, 2),
     [_a(2, 3), _p(2, 3) * 3]),
    ("constant_pad_nd", lambda L, x: L.constant_pad_nd(x, [1, 2, 0, 1], 0.5), [_a(2, 3)]),
    ("constant_pad_nd negative", lambda L, x: L.constant_pad_nd(x, (-1, 1)), [_a(2, 3)]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_top_level_forms_against_torch(case):
    label, fn, arrays, options = case if len(case) == 4 else case + ({},)
    check_against_torch(fn, arrays, label=label, **options)   # (torch: no pdist double backward)


def test_adaptive_max_pool1d_returns_indices_and_batch_norm_updates_running_stats():
    x = _a(2, 3, 7)
    (v1, i1), (v2, i2) = tg.adaptive_max_pool1d(tg.tensor(x), 3), \
        torch.adaptive_max_pool1d(torch.tensor(x), 3)
    assert_same(v1, v2)
    assert_same(i1, i2)
    stats = {}
    for L in (tg, torch):
        m, v = L.zeros(3, dtype=L.float64), L.ones(3, dtype=L.float64)
        L.batch_norm(L.tensor(x), None, None, m, v, True, 0.3, 1e-5, False)
        stats[L] = (m, v)
    for a, b in zip(stats[tg], stats[torch]):
        assert_same(a, b)


@pytest.mark.parametrize("fn", [lambda L, x: L.dropout(x, 0.25, True),
                                lambda L, x: L.feature_dropout(x, 0.5, True),
                                lambda L, x: L.feature_dropout(x[:, :, 0], 0.3, True),
                                lambda L, x: L.feature_dropout(x.unsqueeze(-1), 1.0, True)])
def test_training_dropout_forms_draw_torchs_masks(fn):
    """Same seed, same dropped elements (whole channels for feature_dropout) and gradient."""
    x = _a(6, 5, 4)
    results = []
    for L in (tg, torch):
        L.manual_seed(11)
        t = L.tensor(x, requires_grad=True)
        y = fn(L, t)
        y.backward(L.ones_like(y))
        results.append((y, t.grad))
    assert_same(*[r[0] for r in results])
    assert_same(*[r[1] for r in results])


@pytest.mark.parametrize("fn,error,message", [
    (lambda L: L.feature_dropout(L.ones(3), 0.5, True), RuntimeError, "at least 2 dimensions"),
    (lambda L: L.feature_dropout(L.ones(2, 3), 1.5, True), RuntimeError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda L: L.dropout(L.ones(2, 3), -0.1, False), RuntimeError,
     "dropout probability has to be between 0 and 1, but got -0.1")])
def test_dropout_form_errors_as_torch(fn, error, message):
    for L in (tg, torch):
        with pytest.raises(error, match=message):
            fn(L)


def test_reduction_must_be_an_int_at_the_top_level():
    for L in (tg, torch):
        with pytest.raises(TypeError):
            L.kl_div(L.ones(2), L.ones(2), "mean")


@pytest.mark.parametrize("name,args", [("dropout_", (0.3, True)), ("alpha_dropout_", (0.3, True)),
                                       ("feature_alpha_dropout_", (0.3, True)),
                                       ("celu_", (0.5,)), ("selu_", ()), ("threshold_", (0.1, 2.0)),
                                       ("rrelu_", (0.1, 0.3, True))])
def test_top_level_in_place_forms_as_torch(name, args):
    """Same seed, same numbers, written into the tensor itself."""
    results = []
    values = _a(4, 3, 2) if name == "feature_alpha_dropout_" else _a(6, 5)
    for L in (tg, torch):
        L.manual_seed(5)
        x = L.tensor(values)
        out = getattr(L, name)(x, *args)
        assert out is x
        results.append(x)
    assert_same(*results)
