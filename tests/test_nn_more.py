"""The less common torch.nn layers against torch: group / instance / local response norm, pixel
and channel shuffles, Softmax2d, the shrinks, threshold, rrelu, the in-place activations,
dropout1d/3d and alpha dropouts, gumbel_softmax. Values, gradients for every input and second
order (float64, tight; float32, loose), modules (defaults, init, state_dict keys, repr, running
statistics) and error classes. The random ones draw torch's numbers (same seed, same mask), so
they are compared with torch exactly, and checked for their statistics too."""
import inspect
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tests.strategies import assert_same, check_against_torch

RNG = np.random.default_rng(1234)


def F(lib):
    return tg.nn.functional if lib is tg else torch.nn.functional


def nn(lib):
    return tg.nn if lib is tg else torch.nn


def arr(*shape, lo=-2.0, hi=2.0, dtype=np.float64):
    return RNG.uniform(lo, hi, shape).astype(dtype)


def away(shape, points, margin=0.1, dtype=np.float64):
    """Values in [−2, 2] at least ``margin`` away from each kink in ``points``."""
    a = arr(*shape)
    for p in points:
        near = np.abs(a - p) < margin
        a[near] = p + np.where(a[near] >= p, margin, -margin) * 2
    return a.astype(dtype)


TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-4, atol=2e-5)}


# ============================================================================ functional table
CASES = [
    # label, fn(lib, *tensors), arrays (as a function of the dtype)
    ("group_norm", lambda L, x, w, b: F(L).group_norm(x, 3, w, b),
     lambda: [arr(2, 6, 3), arr(6), arr(6)]),
    ("group_norm 4d eps", lambda L, x, w, b: F(L).group_norm(x, 2, w, b, eps=1e-3),
     lambda: [arr(3, 4, 2, 2), arr(4), arr(4)]),
    ("group_norm 2d no affine", lambda L, x: F(L).group_norm(x, 1), lambda: [arr(3, 4)]),
    ("group_norm weight only", lambda L, x, w: F(L).group_norm(x, 4, w),
     lambda: [arr(2, 4, 5), arr(4)]),
    ("instance_norm", lambda L, x: F(L).instance_norm(x), lambda: [arr(2, 3, 4)]),
    ("instance_norm affine", lambda L, x, w, b: F(L).instance_norm(x, weight=w, bias=b,
                                                                    eps=1e-3),
     lambda: [arr(2, 3, 2, 3), arr(3), arr(3)]),
    ("instance_norm 3d", lambda L, x, w: F(L).instance_norm(x, weight=w),
     lambda: [arr(1, 2, 2, 2, 3), arr(2)]),
    ("local_response_norm", lambda L, x: F(L).local_response_norm(x, 3),
     lambda: [arr(2, 5, 3)]),
    ("local_response_norm 4d", lambda L, x: F(L).local_response_norm(x, 2, 0.5, 0.6, 2.0),
     lambda: [arr(2, 6, 3, 2)]),
    ("local_response_norm 5d", lambda L, x: F(L).local_response_norm(x, 4, 0.3, 1.1, 0.5),
     lambda: [arr(1, 5, 2, 2, 2)]),
    ("local_response_norm size 1", lambda L, x: F(L).local_response_norm(x, 1, 1.0),
     lambda: [arr(2, 3, 4)]),
    ("pixel_shuffle", lambda L, x: F(L).pixel_shuffle(x, 2), lambda: [arr(2, 8, 3, 2)]),
    ("pixel_shuffle unbatched", lambda L, x: F(L).pixel_shuffle(x, 3), lambda: [arr(9, 2, 1)]),
    ("pixel_shuffle 5d", lambda L, x: F(L).pixel_shuffle(x, 2), lambda: [arr(2, 1, 4, 2, 3)]),
    ("pixel_unshuffle", lambda L, x: F(L).pixel_unshuffle(x, 2), lambda: [arr(2, 3, 4, 6)]),
    ("pixel_unshuffle unbatched", lambda L, x: F(L).pixel_unshuffle(x, 3),
     lambda: [arr(1, 3, 6)]),
    ("channel_shuffle", lambda L, x: F(L).channel_shuffle(x, 2), lambda: [arr(2, 6, 3)]),
    ("channel_shuffle 4d", lambda L, x: F(L).channel_shuffle(x, 3), lambda: [arr(1, 6, 2, 2)]),
    ("hardshrink", lambda L, x: F(L).hardshrink(x), lambda: [away((3, 4), (-0.5, 0.5))]),
    ("hardshrink lambd", lambda L, x: F(L).hardshrink(x, 1.2),
     lambda: [away((2, 3, 2), (-1.2, 1.2))]),
    ("softshrink", lambda L, x: F(L).softshrink(x), lambda: [away((3, 4), (-0.5, 0.5))]),
    ("softshrink 0", lambda L, x: F(L).softshrink(x, 0.0), lambda: [away((5,), (0.0,))]),
    ("tanhshrink", lambda L, x: F(L).tanhshrink(x), lambda: [arr(3, 4)]),
    ("threshold", lambda L, x: F(L).threshold(x, 0.3, -1.5), lambda: [away((4, 3), (0.3,))]),
    ("rrelu eval", lambda L, x: F(L).rrelu(x), lambda: [away((4, 3), (0.0,))]),
    ("rrelu eval bounds", lambda L, x: F(L).rrelu(x, 0.2, 0.6, False),
     lambda: [away((4, 3), (0.0,))]),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("label,fn,make", CASES, ids=[c[0] for c in CASES])
def test_functional_against_torch(label, fn, make, dtype):
    arrays = [a.astype(dtype) for a in make()]
    check_against_torch(fn, arrays, label=label, **TOL[dtype])


@pytest.mark.parametrize("name,args", [
    ("relu_", ()), ("elu_", (0.7,)), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.8)),
    ("selu_", ()), ("celu_", (1.3,)), ("rrelu_", (0.1, 0.4)), ("threshold_", (0.2, 5.0))])
def test_inplace_activations_against_torch(name, args):
    a = away((3, 4), (0.0, 0.2, -0.5, 0.8))
    x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = x * 1.5, tx * 1.5
    out, ref = getattr(F(tg), name)(y, *args), getattr(F(torch), name)(ty, *args)
    assert out is y and ref is ty
    assert_same(out, ref, 1e-12, 1e-14)
    g = arr(3, 4)
    out.backward(tg.tensor(g))
    ref.backward(torch.tensor(g))
    # torch's celu_ backward works from the result with a float-rounded 1/α (~1e-8 relative)
    assert_same(x.grad, tx.grad, 1e-7 if name == "celu_" else 1e-12, 1e-14)
    leaf = tg.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        getattr(F(tg), name)(leaf, *args)


def test_threshold_inplace_flag_and_integer_input():
    a = np.arange(-3, 4)
    out, ref = F(tg).threshold(tg.tensor(a), 0, 9), F(torch).threshold(torch.tensor(a), 0, 9)
    assert_same(out, ref)
    x = tg.tensor(away((5,), (0.0,)))
    assert F(tg).threshold(x, 0.0, 2.0, inplace=True) is x and (x.numpy() >= 0).all()


def test_softmax2d_against_torch():
    for shape in [(2, 3, 4, 5), (3, 2, 2)]:
        check_against_torch(lambda L, x: nn(L).Softmax2d()(x), [arr(*shape)], label="softmax2d")
    with pytest.raises(ValueError, match="3D or 4D"):
        tg.nn.Softmax2d()(tg.tensor(arr(2, 3)))


# ============================================================================ errors
ERRORS = [
    ("group_norm", lambda L: F(L).group_norm(L.zeros(2, 6, 3), 4), RuntimeError, "divisible"),
    ("group_norm weight", lambda L: F(L).group_norm(L.zeros(2, 6, 3), 3, L.ones(5)),
     RuntimeError, "weight to be a vector"),
    ("group_norm bias", lambda L: F(L).group_norm(L.zeros(2, 6, 3), 3, None, L.ones(4)),
     RuntimeError, "bias to be a vector"),
    ("group_norm 1d", lambda L: F(L).group_norm(L.zeros(6), 3), RuntimeError,
     "at least 2 dimensions"),
    ("group_norm one value", lambda L: F(L).group_norm(L.zeros(1, 3), 3), ValueError,
     "more than 1 value"),
    ("instance_norm one", lambda L: F(L).instance_norm(L.zeros(2, 3, 1)), ValueError,
     "more than 1 spatial element"),
    ("instance_norm no stats", lambda L: F(L).instance_norm(L.zeros(2, 3, 4),
                                                            use_input_stats=False),
     RuntimeError, "running_mean and running_var"),
    ("instance_norm weight", lambda L: F(L).instance_norm(L.zeros(2, 3, 4), weight=L.ones(4)),
     RuntimeError, "weight should contain 6 elements not 8"),
    ("lrn 2d", lambda L: F(L).local_response_norm(L.zeros(2, 3), 2), ValueError,
     "3D or higher"),
    ("pixel_shuffle 2d", lambda L: F(L).pixel_shuffle(L.zeros(4, 3), 2), RuntimeError,
     "at least 3 dimensions"),
    ("pixel_shuffle channels", lambda L: F(L).pixel_shuffle(L.zeros(2, 5, 3, 3), 2),
     RuntimeError, "divisible by the square"),
    ("pixel_shuffle factor", lambda L: F(L).pixel_shuffle(L.zeros(2, 4, 3, 3), 0),
     RuntimeError, "positive upscale_factor"),
    ("pixel_unshuffle height", lambda L: F(L).pixel_unshuffle(L.zeros(2, 5, 3, 4), 2),
     RuntimeError, "height to be divisible"),
    ("pixel_unshuffle width", lambda L: F(L).pixel_unshuffle(L.zeros(2, 5, 4, 3), 2),
     RuntimeError, "width to be divisible"),
    ("channel_shuffle groups", lambda L: F(L).channel_shuffle(L.zeros(2, 5, 3), 2),
     RuntimeError, "divisible by groups"),
    ("channel_shuffle 0", lambda L: F(L).channel_shuffle(L.zeros(2, 6, 3), 0), RuntimeError,
     "must be positive"),
    ("channel_shuffle 2d", lambda L: F(L).channel_shuffle(L.zeros(2, 6), 2), RuntimeError,
     "> 2 dims"),
    ("softshrink negative", lambda L: F(L).softshrink(L.zeros(3), -1.0), RuntimeError,
     "lambda must be in range"),
    ("hardshrink long", lambda L: F(L).hardshrink(L.arange(3), 1.0), NotImplementedError,
     "not implemented for 'Long'"),
    ("rrelu bounds", lambda L: F(L).rrelu(L.zeros(3), 0.5, 0.1, True), RuntimeError,
     "Lower bound"),
    ("rrelu long", lambda L: F(L).rrelu(L.arange(3), training=True), NotImplementedError,
     "not implemented for 'Long'"),
    ("dropout1d 4d", lambda L: F(L).dropout1d(L.zeros(2, 3, 4, 5)), RuntimeError,
     "Expected 2D or 3D input"),
    ("dropout1d p", lambda L: F(L).dropout1d(L.zeros(2, 3), 1.5), ValueError,
     "between 0 and 1"),
    ("alpha_dropout p", lambda L: F(L).alpha_dropout(L.zeros(2, 3), -0.1), ValueError,
     "between 0 and 1"),
    ("feature_alpha 1d", lambda L: F(L).feature_alpha_dropout(L.zeros(3), 0.5, True),
     RuntimeError, "at least 2 dimensions"),
    ("GroupNorm", lambda L: nn(L).GroupNorm(4, 6), ValueError, "must be divisible"),
    ("InstanceNorm2d dims", lambda L: nn(L).InstanceNorm2d(3)(L.zeros(2, 3)), ValueError,
     "expected 3D or 4D input"),
    ("InstanceNorm1d affine size", lambda L: nn(L).InstanceNorm1d(3, affine=True)(
        L.zeros(2, 4, 5)), ValueError, "to match num_features"),
    ("Dropout3d p", lambda L: nn(L).Dropout3d(2.0), ValueError, "between 0 and 1"),
]


@pytest.mark.parametrize("label,call,error,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(label, call, error, match):
    with pytest.raises(error, match=match):
        call(torch)
    with pytest.raises(error, match=match):
        call(tg)


# ============================================================================ modules
@pytest.mark.parametrize("make,shape", [
    (lambda L, **k: L.nn.GroupNorm(2, 4, **k), (3, 4, 5)),
    (lambda L, **k: L.nn.GroupNorm(2, 4, affine=False, **k), (3, 4, 5)),
    (lambda L, **k: L.nn.GroupNorm(1, 4, eps=1e-3, bias=False, **k), (3, 4, 2, 2)),
    (lambda L, **k: L.nn.InstanceNorm1d(3, **k), (2, 3, 5)),
    (lambda L, **k: L.nn.InstanceNorm1d(3, affine=True, **k), (3, 5)),
    (lambda L, **k: L.nn.InstanceNorm2d(3, affine=True, bias=False, **k), (2, 3, 4, 2)),
    (lambda L, **k: L.nn.InstanceNorm3d(2, affine=True, track_running_stats=True, **k),
     (2, 2, 3, 2, 2)),
    (lambda L, **k: L.nn.InstanceNorm2d(3, momentum=None, track_running_stats=True, **k),
     (3, 4, 5)),
    (lambda L, **k: L.nn.LocalResponseNorm(3, **k), (2, 5, 4)),
    (lambda L, **k: L.nn.PixelShuffle(2, **k), (1, 8, 2, 3)),
    (lambda L, **k: L.nn.PixelUnshuffle(2, **k), (1, 2, 4, 2)),
    (lambda L, **k: L.nn.ChannelShuffle(2, **k), (2, 4, 3)),
    (lambda L, **k: L.nn.Hardshrink(0.3, **k), (4, 5)),
    (lambda L, **k: L.nn.Softshrink(**k), (4, 5)),
    (lambda L, **k: L.nn.Tanhshrink(**k), (4, 5)),
    (lambda L, **k: L.nn.Threshold(0.1, 20, **k), (4, 5)),
    (lambda L, **k: L.nn.RReLU(0.1, 0.3, **k), (4, 5)),
    (lambda L, **k: L.nn.Softmax2d(**k), (2, 3, 2)),
], ids=lambda v: "" if callable(v) else str(v))
def test_modules_match_torch(make, shape):
    """Same repr, parameters/buffers (names, values, dtypes), training output and gradients,
    then eval output (running statistics where tracked)."""
    ours, theirs = make(tg), make(torch)
    assert repr(ours) == repr(theirs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert_same(sd[k], tsd[k], what=k)
    typed = "dtype" in inspect.signature(type(ours).__init__).parameters
    ours64 = make(tg, dtype=tg.float64) if typed else make(tg)
    theirs64 = make(torch, dtype=torch.float64) if typed else make(torch)
    for p, q in zip(ours64.parameters(), theirs64.parameters()):
        assert p.dtype == tg.float64 and q.dtype == torch.float64
    ours64.eval()
    theirs64.eval()
    for step in range(2):
        ours64.train(step == 0)
        theirs64.train(step == 0)
        a = away(shape, (0.0, 0.1, -0.3, 0.3, 0.5, -0.5))
        x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        tg.manual_seed(step)
        torch.manual_seed(step)
        out, ref = ours64(x), theirs64(tx)
        assert_same(out, ref, 1e-9, 1e-11)
        g = arr(*out.shape)
        out.backward(tg.tensor(g))
        ref.backward(torch.tensor(g))
        assert_same(x.grad, tx.grad, 1e-9, 1e-11)
        for (k, p), (k2, q) in zip(ours64.named_parameters(), theirs64.named_parameters()):
            assert_same(p.grad, q.grad, 1e-9, 1e-11, what=k)
        for (k, b), (k2, c) in zip(ours64.named_buffers(), theirs64.named_buffers()):
            assert k == k2
            assert_same(b, c, 1e-12, 1e-14, what=k)


def test_instance_norm_running_stats_functional_and_num_features_warning():
    rm, rv = arr(3), arr(3, lo=0.5, hi=2.0)
    ours_rm, ours_rv = tg.tensor(rm), tg.tensor(rv)
    t_rm, t_rv = torch.tensor(rm), torch.tensor(rv)
    a = arr(4, 3, 5)
    out = F(tg).instance_norm(tg.tensor(a), ours_rm, ours_rv, momentum=0.3)
    ref = F(torch).instance_norm(torch.tensor(a), t_rm, t_rv, momentum=0.3)
    assert_same(out, ref, 1e-12, 1e-12)
    assert_same(ours_rm, t_rm, 1e-12, 1e-14)
    assert_same(ours_rv, t_rv, 1e-12, 1e-14)
    out = F(tg).instance_norm(tg.tensor(a), ours_rm, ours_rv, use_input_stats=False)
    ref = F(torch).instance_norm(torch.tensor(a), t_rm, t_rv, use_input_stats=False)
    assert_same(out, ref, 1e-12, 1e-12)
    with pytest.warns(UserWarning, match="does not match num_features"):
        tg.nn.InstanceNorm1d(4)(tg.tensor(a))


def test_group_norm_float32_module_and_reset():
    m = tg.nn.GroupNorm(3, 6)
    assert m.weight.dtype == tg.float32 and m.weight.shape == (6,)
    with tg.no_grad():
        m.weight.fill_(3.0)
    m.reset_parameters()
    assert (m.weight.numpy() == 1).all() and (m.bias.numpy() == 0).all()
    out = m(tg.tensor(arr(2, 6, 4, dtype=np.float32)))
    assert out.dtype == tg.float32


# ============================================================================ random layers
DROPOUTS = [
    ("dropout1d", (4, 6, 5), {}), ("dropout1d", (6, 5), {}),
    ("dropout3d", (2, 3, 2, 2, 2), {}), ("dropout3d", (3, 2, 2, 2), {}),
    ("alpha_dropout", (4, 6, 5), dict(training=True)),
    ("alpha_dropout", (7,), dict(training=True)),
    ("feature_alpha_dropout", (4, 6, 5), dict(training=True)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("p", [0.3, 1.0])
@pytest.mark.parametrize("name,shape,kw", DROPOUTS, ids=[f"{d[0]}{d[1]}" for d in DROPOUTS])
def test_dropouts_draw_torchs_masks(name, shape, kw, p, dtype):
    """After the same seed: the same output, bit for bit, and the same gradient (the mask)."""
    a = arr(*shape, dtype=dtype)
    x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    tg.manual_seed(7)
    torch.manual_seed(7)
    out, ref = getattr(F(tg), name)(x, p, **kw), getattr(F(torch), name)(tx, p, **kw)
    assert_same(out, ref, 0, 0)
    g = arr(*shape, dtype=dtype)
    out.backward(tg.tensor(g))
    ref.backward(torch.tensor(g))
    assert_same(x.grad, tx.grad, 0, 0)
    # the generators are still in step
    assert tg.rand(3).numpy().tolist() == torch.rand(3).numpy().tolist()


@pytest.mark.parametrize("name", ["dropout1d", "dropout3d", "alpha_dropout",
                                  "feature_alpha_dropout"])
def test_dropouts_identity_when_not_training_and_inplace(name):
    shape = (2, 3, 2, 2, 2) if name == "dropout3d" else (2, 3, 4)
    x = tg.tensor(arr(*shape))
    assert getattr(F(tg), name)(x, 0.5, training=False) is x
    assert getattr(F(tg), name)(x, 0.0, training=True) is x
    y = tg.tensor(arr(*shape))
    before = y.numpy().copy()
    tg.manual_seed(1)
    out = getattr(F(tg), name)(y, 0.5, True, True)
    assert out is y and not np.array_equal(before, y.numpy())
    tg.manual_seed(1)
    assert np.array_equal(getattr(F(tg), name)(tg.tensor(before), 0.5, True).numpy(), y.numpy())


def test_dropout3d_warns_for_other_ranks_as_torch():
    for lib in (tg, torch):
        with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
            F(lib).dropout3d(lib.zeros(2, 3, 4))


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_mean_and_variance(feature):
    tg.manual_seed(0)
    x = tg.tensor(RNG.standard_normal((4000, 50, 1)))
    fn = F(tg).feature_alpha_dropout if feature else F(tg).alpha_dropout
    y = fn(x, 0.2, True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    dropped = np.isclose(y, -1.7580993408473766 / np.sqrt((1.7580993408473766 ** 2 * 0.2 + 1)
                                                            * 0.8) * 0.8)
    assert abs(dropped.mean() - 0.2) < 0.01


def test_channel_dropouts_zero_whole_channels_at_rate_p():
    tg.manual_seed(0)
    y = F(tg).dropout1d(tg.ones(500, 40, 6), 0.25).numpy()
    per_channel = y.reshape(500, 40, 6)
    assert (per_channel == per_channel[..., :1]).all()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((per_channel[..., 0] == 0).mean() - 0.25) < 0.01


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_rrelu_training_draws_torchs_slopes(dtype):
    a = away((5, 7), (0.0,), dtype=dtype)
    x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    tg.manual_seed(11)
    torch.manual_seed(11)
    out = F(tg).rrelu(x, 0.1, 0.5, training=True)
    ref = F(torch).rrelu(tx, 0.1, 0.5, training=True)
    assert_same(out, ref, 0, 0)
    out.sum().backward()
    ref.sum().backward()
    assert_same(x.grad, tx.grad, 0, 0)
    tg.manual_seed(11)
    torch.manual_seed(11)
    m, tm = tg.nn.RReLU(inplace=True), torch.nn.RReLU(inplace=True)
    y, ty = tg.tensor(a), torch.tensor(a)
    assert m(y) is y and tm(ty) is ty
    assert_same(y, ty, 0, 0)


def test_rrelu_slopes_are_uniform_in_bounds():
    tg.manual_seed(0)
    x = -tg.ones(20000, dtype=tg.float64)
    slopes = -F(tg).rrelu(x, 0.2, 0.7, training=True).numpy()
    assert slopes.min() >= 0.2 and slopes.max() < 0.7
    assert abs(slopes.mean() - 0.45) < 0.005 and abs(slopes.var() - 0.5 ** 2 / 12) < 0.002


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_gumbel_softmax_draws_torchs_sample(hard, dim, dtype):
    a = arr(4, 5, dtype=dtype)
    x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    tg.manual_seed(5)
    torch.manual_seed(5)
    out = F(tg).gumbel_softmax(x, tau=0.7, hard=hard, dim=dim)
    ref = F(torch).gumbel_softmax(tx, tau=0.7, hard=hard, dim=dim)
    assert_same(out, ref, **TOL[dtype])
    g = arr(4, 5, dtype=dtype)
    out.backward(tg.tensor(g))
    ref.backward(torch.tensor(g))
    assert_same(x.grad, tx.grad, **TOL[dtype])
    if hard:   # one-hot forward, the soft sample's gradient (straight through)
        assert (out.numpy().sum(dim) == 1).all() and set(np.unique(out.numpy())) == {0, 1}


def test_gumbel_softmax_samples_the_softmax_and_warns_for_eps():
    logits = np.log(np.array([0.1, 0.2, 0.7]))
    tg.manual_seed(0)
    y = F(tg).gumbel_softmax(tg.tensor(np.tile(logits, (20000, 1))), hard=True).numpy()
    np.testing.assert_allclose(y.mean(0), [0.1, 0.2, 0.7], atol=0.01)
    with pytest.warns(UserWarning, match="deprecated"):
        F(tg).gumbel_softmax(tg.tensor(logits), eps=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F(tg).gumbel_softmax(tg.tensor(logits))


@pytest.mark.parametrize("cls", ["Dropout1d", "Dropout3d", "AlphaDropout",
                                 "FeatureAlphaDropout"])
def test_dropout_modules(cls):
    m, tm = getattr(tg.nn, cls)(0.4), getattr(torch.nn, cls)(0.4)
    assert repr(m) == repr(tm)
    shape = (2, 3, 2, 2, 2) if cls == "Dropout3d" else (2, 3, 4)
    a = arr(*shape)
    tg.manual_seed(2)
    torch.manual_seed(2)
    assert_same(m(tg.tensor(a)), tm(torch.tensor(a)), 0, 0)
    m.eval()
    x = tg.tensor(a)
    assert m(x) is x
