"""nn.Bilinear / F.bilinear, F.pdist, nn.EmbeddingBag / F.embedding_bag, F.affine_grid and
F.grid_sample, and the deprecated upsample spellings, against torch: values, gradients w.r.t.
every float input, second order where torch has it, float32, errors."""
import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd.nn.linear import Bilinear
from tinygrad_sgd.nn.sparse import EmbeddingBag
from tinygrad_sgd.gradcheck import gradcheck
from strategies import check_against_torch, assert_same

RNG = np.random.default_rng(0)


def fn(name, *args, **kwargs):
    """``lib``'s functional ``name`` applied to the tensors and then ``args``."""
    def call(lib, *tensors):
        f = getattr(F if lib is tg else TF, name)
        return f(*tensors, *args, **kwargs)
    return call


def raises_like_torch(call, exc, match):
    """``call(lib)`` raises ``exc`` with ``match`` on both libraries."""
    for lib in (tg, torch):
        with pytest.raises(exc, match=match):
            call(lib)


# ------------------------------------------------------------------------------ bilinear
@pytest.mark.parametrize("batch, bias", [((3,), True), ((2, 3), False), ((), True), ((0,), True)])
def test_bilinear_against_torch(batch, bias):
    arrs = [RNG.standard_normal(batch + (4,)), RNG.standard_normal(batch + (3,)),
            RNG.standard_normal((5, 4, 3))] + ([RNG.standard_normal(5)] if bias else [])
    check_against_torch(fn("bilinear"), arrs, rtol=1e-9, atol=1e-10, label="bilinear")
    check_against_torch(fn("bilinear"), [a.astype(np.float32) for a in arrs], rtol=1e-4,
                        atol=1e-5, second_order=False, label="bilinear f32")


@pytest.mark.parametrize("shapes, match", [
    (((2, 3), (2, 2, 4), (5, 3, 4), (5,)), "input dimensions do not match"),
    (((2, 3), (1, 4), (5, 3, 4), (5,)), "batch dimensions do not match at dim 0"),
    (((2, 3), (2, 4), (5, 2, 4), (5,)), "input1 size does not match weight size"),
    (((2, 3), (2, 5), (5, 3, 4), (5,)), "input2 size does not match weight size"),
    (((2, 3), (2, 4), (5, 3, 4), (2,)), "bias size does not match weight size")])
def test_bilinear_errors(shapes, match):
    arrs = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    raises_like_torch(lambda lib: (F if lib is tg else TF).bilinear(
        *[lib.tensor(a) for a in arrs]), RuntimeError, match)


def test_bilinear_dtypes():
    for lib, f in ((tg, F), (torch, TF)):
        for dtypes, match in (((lib.float32, lib.float32, lib.float64, None), "weight: double"),
                              ((lib.float32,) * 3 + (lib.float64,), "bias: double")):
            args = [lib.ones(s, dtype=d) if d is not None else None
                    for s, d in zip([(2, 3), (2, 4), (5, 3, 4), (5,)], dtypes)]
            with pytest.raises(RuntimeError, match="All tensors must have the same dtype.*"
                               + match):
                f.bilinear(*args)
    ints = [RNG.integers(-3, 3, s) for s in [(2, 3), (2, 4), (5, 3, 4), (5,)]]
    assert_same(F.bilinear(*[tg.tensor(a) for a in ints]),
                TF.bilinear(*[torch.tensor(a) for a in ints]), what="int64 bilinear")


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_layer_init_state_dict_repr(bias):
    torch.manual_seed(7)
    theirs = torch.nn.Bilinear(3, 4, 5, bias=bias)
    tg.manual_seed(7)
    ours = Bilinear(3, 4, 5, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        assert_same(ours.state_dict()[k], v, 0, 0, k)
    assert repr(ours) == repr(theirs)
    x1, x2 = RNG.standard_normal((2, 3), np.float32), RNG.standard_normal((2, 4), np.float32)
    assert_same(ours(tg.tensor(x1), tg.tensor(x2)), theirs(torch.tensor(x1), torch.tensor(x2)),
                1e-5, 1e-6)
    with pytest.raises(ValueError, match="in1_features must be > 0"):
        Bilinear(0, 2, 3)
    with pytest.raises(RuntimeError, match="negative dimension"):
        Bilinear(2, -1, 3)


# ------------------------------------------------------------------------------ pdist
PDIST_X = np.array([[0., 1., 2.], [1., 2., 3.], [0., 1., 2.], [2., 1., .5], [1., 1., 2.]])


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, float("inf")])
@pytest.mark.parametrize("x", [PDIST_X, RNG.standard_normal((4, 3)), np.zeros((3, 0)),
                               RNG.standard_normal((1, 3))], ids=["ties", "random", "M0", "N1"])
def test_pdist_against_torch(p, x):
    # torch has no second order (_pdist_backward is not differentiable); PDIST_X has zero
    # distances, zero differences and ties for the largest |difference|
    check_against_torch(fn("pdist", p), [x], rtol=1e-9, atol=1e-12, second_order=False,
                        label=f"pdist p={p}")
    check_against_torch(fn("pdist", p), [x.astype(np.float32)], rtol=1e-5, atol=1e-6,
                        second_order=False, label=f"pdist p={p} f32")


def test_pdist_empty_and_errors():
    assert F.pdist(tg.zeros(0, 3)).shape == (0,)     # (torch's backward of this crashes)
    for arg, match in ((tg.zeros(2, 3, 4), "only supports 2D tensors, got: 3D"),
                       (tg.zeros(3), "only supports 2D tensors, got: 1D")):
        with pytest.raises(RuntimeError, match=match):
            F.pdist(arg)
        with pytest.raises(RuntimeError, match=match):
            TF.pdist(torch.zeros(arg.shape))
    raises_like_torch(lambda lib: (F if lib is tg else TF).pdist(lib.ones(3, 2), -1.0),
                      RuntimeError, "non-negative p")
    raises_like_torch(lambda lib: (F if lib is tg else TF).pdist(lib.ones(3, 2,
                                                                          dtype=lib.int64)),
                      RuntimeError, "floating-point dtypes")


# ------------------------------------------------------------------------------ embedding_bag
IDS = np.array([1, 2, 4, 5, 4, 3, 2, 0, 2, 2])
BAGS = [  # (input, offsets, include_last_offset): empty bags, bags of one, repeated ids
    (IDS, [0, 3, 3, 5, 6], False),
    (IDS, [0, 0, 4, 10], True),
    (IDS, [0], False),
    (IDS, [0, 8], False),                            # [2, 2]: only padding for padding_idx=2
    (IDS.reshape(2, 5), None, False),
    (IDS.reshape(5, 2).astype(np.int32), None, False),
    (np.array([], np.int64), [0, 0], False),
]


def _bag(mode, inp, offsets, last, psw=False, **kw):
    def call(lib, weight, *rest):
        ids = lib.tensor(inp)
        off = None if offsets is None else lib.tensor(np.array(offsets, np.int64))
        f = F.embedding_bag if lib is tg else TF.embedding_bag
        return f(ids, weight, off, mode=mode, include_last_offset=last,
                 per_sample_weights=rest[0] if psw else None, **kw)
    return call


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", range(len(BAGS)))
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_bag_against_torch(mode, case, padding_idx):
    inp, offsets, last = BAGS[case]
    w = RNG.standard_normal((6, 3))
    w[3] = w[5]                                      # ties for max mode between rows 3 and 5
    call = _bag(mode, inp, offsets, last, padding_idx=padding_idx)
    check_against_torch(call, [w], rtol=1e-12, atol=1e-12, label=f"embedding_bag {mode}")
    check_against_torch(call, [w.astype(np.float32)], rtol=1e-5, atol=1e-6, second_order=False,
                        label=f"embedding_bag {mode} f32")


@pytest.mark.parametrize("case", range(len(BAGS)))
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_bag_per_sample_weights(case, padding_idx):
    inp, offsets, last = BAGS[case]
    call = _bag("sum", inp, offsets, last, psw=True, padding_idx=padding_idx)
    # torch has no second order w.r.t. per_sample_weights
    check_against_torch(call, [RNG.standard_normal((6, 3)), RNG.standard_normal(inp.shape)],
                        rtol=1e-12, atol=1e-12, second_order=False, label="psw")


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq_and_max_norm(mode):
    """scale_grad_by_freq: each row's gradient divided by its id's count in ``input`` (torch's
    documented rule, and F.embedding's). torch 2.13's CPU embedding_bag divides some rows by
    another id's count (ids [1,2,4,5,4,3,2,0,2,2]: rows 3, 4, 5 by 4), so the reference is
    torch's F.embedding with the option, summed per bag."""
    w = RNG.standard_normal((6, 3)) * 2
    bag_of, sizes = torch.tensor([0, 0, 0, 1, 1, 1, 1, 2, 2, 2]), torch.tensor([3., 4., 3.])

    def call(lib, weight):
        if lib is tg:
            return F.embedding_bag(tg.tensor(IDS), weight, tg.tensor([0, 3, 7]), mode=mode,
                                   scale_grad_by_freq=True)
        rows = TF.embedding(torch.tensor(IDS), weight, scale_grad_by_freq=True)
        out = torch.zeros(3, 3, dtype=weight.dtype).index_add(0, bag_of, rows)
        return out / sizes[:, None].to(weight.dtype) if mode == "mean" else out
    check_against_torch(call, [w], rtol=1e-12, atol=1e-12, second_order=False, label="freq")
    ours, theirs = tg.tensor(w), torch.tensor(w)
    a = F.embedding_bag(tg.tensor(IDS), ours, tg.tensor([0, 4]), max_norm=1.5, mode=mode)
    b = TF.embedding_bag(torch.tensor(IDS), theirs, torch.tensor([0, 4]), max_norm=1.5,
                         mode=mode)
    assert_same(a, b, 1e-12, 1e-12)
    assert_same(ours, theirs, 1e-12, 1e-12, "renormalised weight")


def _psw(n):
    return lambda lib: lib.ones(n, dtype=lib.float64)


@pytest.mark.parametrize("inp, offsets, kw, exc, match", [
    ([1, 2], [1], {}, RuntimeError, "offsets\\[0\\] has to be 0"),
    ([1, 2], [0, 3], {}, RuntimeError, "offsets\\[-1\\] can not be greater"),
    ([1, 7], [0], {}, RuntimeError, "found idx to be 7"),
    ([1, -1], [0, 1], {}, RuntimeError, "found idx to be -1"),
    ([1, 2], None, {}, ValueError, "offsets has to be a 1D Tensor but got None"),
    ([1, 2], [[0, 1]], {}, ValueError, "offsets has to be a 1D Tensor"),
    ([[1, 2]], [0], {}, ValueError, "if input is 2D, then offsets has to be None"),
    ([[[1, 2]]], None, {}, ValueError, "input has to be 1D or 2D"),
    ([1, 2], [0], {"mode": "foo"}, ValueError, "mode has to be one of sum, mean or max"),
    ([1, 2], [0], {"mode": "max", "scale_grad_by_freq": True}, ValueError, "max mode"),
    ([1, 2], [0], {"mode": "max", "sparse": True}, ValueError, "max mode does not support"),
    ([1, 2], [0], {"per_sample_weights": _psw(2)}, NotImplementedError, "only supported for"),
    ([1, 2], [0], {"mode": "sum", "per_sample_weights": _psw(3)}, ValueError, "same shape"),
    ([1, 2], [0], {"padding_idx": 6}, RuntimeError, "padding_idx must be within"),
    (np.zeros((2, 0), np.int64), None, {}, RuntimeError, "step must be nonzero"),
])
def test_embedding_bag_errors(inp, offsets, kw, exc, match):
    def call(lib):
        args = {k: (v(lib) if callable(v) else v) for k, v in kw.items()}
        off = None if offsets is None else lib.tensor(offsets)
        f = F.embedding_bag if lib is tg else TF.embedding_bag
        return f(lib.tensor(inp), lib.ones(6, 2, dtype=lib.float64), off, **args)
    raises_like_torch(call, exc, match)


def test_embedding_bag_old_argument_order_warns_and_swaps():
    w = RNG.standard_normal((6, 3))
    for lib, f in ((tg, F), (torch, TF)):
        with pytest.warns(UserWarning, match="Argument order of nn.functional.embedding_bag"):
            out = f.embedding_bag(lib.tensor(w), lib.tensor(IDS), lib.tensor([0, 4]))
        assert_same(out, TF.embedding_bag(torch.tensor(IDS), torch.tensor(w),
                                          torch.tensor([0, 4])), 1e-12, 1e-12)


def test_embedding_bag_module():
    torch.manual_seed(3)
    theirs = torch.nn.EmbeddingBag(7, 4, mode="max", padding_idx=-2, max_norm=1.0)
    tg.manual_seed(3)
    ours = EmbeddingBag(7, 4, mode="max", padding_idx=-2, max_norm=1.0)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    assert_same(ours.weight, theirs.weight, 0, 0)
    ids, off = np.array([0, 5, 3, 3, 6]), np.array([0, 2])
    assert_same(ours(tg.tensor(ids), tg.tensor(off)), theirs(torch.tensor(ids), torch.tensor(off)),
                1e-6, 1e-7)
    w = RNG.standard_normal((3, 2)).astype(np.float32)
    for freeze in (True, False):
        a = EmbeddingBag.from_pretrained(tg.tensor(w), freeze=freeze, mode="sum")
        b = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), freeze=freeze, mode="sum")
        assert repr(a) == repr(b) and a.weight.requires_grad == b.weight.requires_grad
        x = np.array([[0, 2], [1, 1]])
        assert_same(a(tg.tensor(x)), b(torch.tensor(x)), 1e-6, 1e-7)
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        EmbeddingBag(3, 2, padding_idx=3)
    with pytest.raises(AssertionError, match="2-dimensional"):
        EmbeddingBag.from_pretrained(tg.zeros(3))


# ------------------------------------------------------------------------------ grids
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 3), (2, 1, 3, 2, 4)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_against_torch(size, align_corners):
    k = len(size) - 2
    theta = RNG.standard_normal((size[0], k, k + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # the unit-size warning, tested below
        check_against_torch(fn("affine_grid", size, align_corners), [theta], rtol=1e-12,
                            atol=1e-12, label="affine_grid")
        check_against_torch(fn("affine_grid", size, align_corners),
                            [theta.astype(np.float32)], rtol=1e-5, atol=1e-6,
                            second_order=False, label="affine_grid f32")


def test_affine_grid_warnings_and_errors():
    for lib, f in ((tg, F), (torch, TF)):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid"):
            f.affine_grid(lib.zeros(1, 2, 3), [1, 1, 2, 2])
        with pytest.warns(UserWarning, match="unit-size grids"):
            f.affine_grid(lib.zeros(1, 2, 3), [1, 1, 1, 2], align_corners=True)
        for theta, size, exc, match in (
                (lib.zeros(1, 2, 3, dtype=lib.int64), [1, 1, 2, 2], ValueError, "floating"),
                (lib.zeros(1, 3, 4), [1, 1, 2, 2], ValueError, "Nx2x3"),
                (lib.zeros(1, 2, 3), [1, 1, 2, 2, 2], ValueError, "Nx3x4"),
                (lib.zeros(1, 2, 3), [1, 1, 2], NotImplementedError, "4D and 5D sizes"),
                (lib.zeros(1, 2, 3), [1, 1, 0, 2], ValueError, "non-zero, positive"),
                (lib.zeros(2, 2, 3), [3, 1, 2, 2], RuntimeError, "batch2 tensor")):
            with pytest.raises(exc, match=match):
                f.affine_grid(theta, size, align_corners=False)


GRID_CASES = [(m, p, a) for m, p, a in itertools.product(
    ["bilinear", "nearest", "bicubic"], ["zeros", "border", "reflection"], [False, True])]


@pytest.mark.parametrize("mode, padding_mode, align_corners", GRID_CASES)
def test_grid_sample_2d_against_torch(mode, padding_mode, align_corners):
    x = RNG.standard_normal((2, 3, 4, 5))
    g = RNG.uniform(-1.6, 1.6, (2, 3, 4, 2))         # about a third of the points outside
    g[0, 0, 0] = [-1.0, 1.0]                         # exactly on the border
    call = fn("grid_sample", mode, padding_mode, align_corners)
    # torch has no second order for grid_sample (ours composes, so has one)
    check_against_torch(call, [x, g], rtol=1e-9, atol=1e-10, second_order=False,
                        label=f"grid_sample {mode} {padding_mode}")
    check_against_torch(call, [x.astype(np.float32), g.astype(np.float32)], rtol=1e-4,
                        atol=1e-4, second_order=False, label="grid_sample f32")


@pytest.mark.parametrize("mode, padding_mode, align_corners",
                         [c for c in GRID_CASES if c[0] != "bicubic"])
def test_grid_sample_3d_against_torch(mode, padding_mode, align_corners):
    x = RNG.standard_normal((2, 2, 3, 4, 3))
    g = RNG.uniform(-1.5, 1.5, (2, 2, 3, 2, 3))
    check_against_torch(fn("grid_sample", mode, padding_mode, align_corners), [x, g],
                        rtol=1e-9, atol=1e-10, second_order=False, label="grid_sample 5-D")


def check_second_order_numerically(f, arrays):
    """Where torch has no double backward: the gradients of our first-order gradients (taken
    with create_graph) against central differences of those first-order gradients."""
    out_shape = f(*[tg.tensor(a) for a in arrays]).shape
    v = tg.tensor(np.random.default_rng(1).standard_normal(out_shape))

    def first(*xs):
        return tg.autograd.grad(f(*xs), list(xs), grad_outputs=v, create_graph=True)
    assert gradcheck(first, [tg.tensor(a, requires_grad=True) for a in arrays], atol=1e-6,
                     rtol=1e-5)


@pytest.mark.parametrize("p", [1.5, 2, 3])
def test_pdist_second_order_numerically(p):
    check_second_order_numerically(lambda x: F.pdist(x, p), [RNG.standard_normal((4, 3))])


@pytest.mark.parametrize("mode, padding_mode", [("bilinear", "zeros"), ("bilinear", "border"),
                                                ("bilinear", "reflection"),
                                                ("bicubic", "zeros"), ("bicubic", "reflection")])
def test_grid_sample_second_order_numerically(mode, padding_mode):
    check_second_order_numerically(
        lambda x, g: F.grid_sample(x, g, mode, padding_mode, False),
        [RNG.standard_normal((1, 2, 3, 4)), RNG.uniform(-1.3, 1.3, (1, 2, 3, 2))])


@pytest.mark.parametrize("mode, padding_mode, align_corners", GRID_CASES)
@pytest.mark.parametrize("width", [1, 4])
def test_grid_sample_lattice_points(mode, padding_mode, align_corners, width):
    """Points exactly on pixel centres, on halves between them (nearest rounds halves to
    even) and on the borders; a 1-pixel-wide image (reflection has nothing to mirror)."""
    x = RNG.standard_normal((1, 2, 3, width))
    xs = np.linspace(-1.5, 1.5, 13)                  # steps of 1/4: centres and halves
    g = np.stack(np.meshgrid(xs, xs[::3], indexing="xy"), -1)[None]
    check_against_torch(fn("grid_sample", mode, padding_mode, align_corners), [x, g],
                        rtol=1e-9, atol=1e-10, second_order=False, label="lattice")


@pytest.mark.parametrize("mode, padding_mode, align_corners, spatial",
                         [c + (s,) for c in GRID_CASES for s in ((3, 4), (3, 4, 2))
                          if c[0] != "bicubic" or len(s) == 2])
def test_grid_sample_non_finite_points(mode, padding_mode, align_corners, spatial):
    """NaN, ±inf and huge points give torch's CPU values (its 2-D and 3-D kernels differ:
    NaN weights give NaN in 2-D, are skipped in 3-D; a clipped NaN goes to 0 / to size − 1)."""
    pts = np.array([[np.nan, .2, .1], [.1, np.inf, 0], [-np.inf, .3, .2], [1e10, -1e10, 0],
                    [.5, np.nan, .1]])[:, :len(spatial)]
    x = RNG.standard_normal((1, 2) + spatial)
    g = pts.reshape((1,) * len(spatial) + pts.shape)
    ours = F.grid_sample(tg.tensor(x), tg.tensor(g), mode, padding_mode, align_corners)
    theirs = TF.grid_sample(torch.tensor(x), torch.tensor(g), mode, padding_mode, align_corners)
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("input_shape, grid_shape, kw, exc, match", [
    ((2, 3, 4, 5), (1, 6, 7, 2), {}, RuntimeError, "same batch size"),
    ((2, 3, 4, 5), (2, 6, 7, 1), {}, RuntimeError, "size 2 in last dimension"),
    ((2, 3, 4, 5), (2, 1, 6, 7, 2), {}, RuntimeError, "same number of dimensions"),
    ((2, 3, 4, 5, 6), (2, 1, 2, 3, 3), {"mode": "bicubic"}, RuntimeError, "bicubic"),
    ((2, 3, 0, 5), (2, 6, 7, 2), {}, RuntimeError, "non-empty spatial"),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"mode": "area"}, ValueError, "expected mode"),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"padding_mode": "wrap"}, ValueError, "padding_mode"),
])
def test_grid_sample_errors(input_shape, grid_shape, kw, exc, match):
    raises_like_torch(lambda lib: (F if lib is tg else TF).grid_sample(
        lib.zeros(input_shape), lib.zeros(grid_shape), align_corners=False, **kw), exc, match)


def test_grid_sample_dtype_and_warning():
    raises_like_torch(lambda lib: (F if lib is tg else TF).grid_sample(
        lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 1, 2, dtype=lib.float64), align_corners=False),
        RuntimeError, "expected scalar type Float but found Double")
    for lib, f in ((tg, F), (torch, TF)):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid"):
            f.grid_sample(lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 1, 2))


# ------------------------------------------------------------------------------ upsample_*
@pytest.mark.parametrize("name, kw", [("upsample", {"scale_factor": 2}),
                                      ("upsample_nearest", {"size": (5, 3)}),
                                      ("upsample_bilinear", {"scale_factor": 2})])
def test_deprecated_upsample(name, kw):
    x = RNG.standard_normal((1, 2, 3, 2))
    with pytest.warns(UserWarning, match=f"nn.functional.{name}` is deprecated"):
        getattr(F, name)(tg.tensor(x), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(fn(name, **kw), [x], rtol=1e-12, atol=1e-12, label=name)
