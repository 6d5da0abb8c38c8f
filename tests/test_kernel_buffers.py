"""The kernels' reused big arrays (kernels.buffers) and shared geometries (layout.geometry):
an array is handed out again only when nobody can see it any more; a geometry is shared only
for the same plain-int arguments, and a wrong argument is still refused."""
import gc

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd.kernels import buffers
from tinygrad_sgd.kernels.layout import geometry, pool_geometry

BIG = (64, 1024)          # 256 KB of float32: above MIN_BYTES


@pytest.fixture(autouse=True)
def empty_pool():
    buffers.clear()
    yield
    buffers.clear()


def test_a_dropped_array_is_reused():
    a = buffers.empty(BIG, np.float32)
    address = a.ctypes.data
    del a
    b = buffers.empty(BIG, np.float32)
    assert b.ctypes.data == address
    assert buffers.kept_bytes() == b.nbytes


@pytest.mark.parametrize("holder", ["array", "view", "transposed view", "tensor", "list"])
def test_an_array_still_seen_is_never_handed_out(holder):
    a = buffers.empty(BIG, np.float32)
    a[...] = 7
    keep = {"array": lambda: a, "view": lambda: a[3:5], "transposed view": lambda: a.T,
            "tensor": lambda: tg.from_numpy(a.reshape(-1)), "list": lambda: [a]}[holder]()
    address = a.ctypes.data
    del a
    b = buffers.empty(BIG, np.float32)
    assert b.ctypes.data != address
    b[...] = 0
    seen = keep if isinstance(keep, np.ndarray) else \
        keep.numpy() if isinstance(keep, tg.Tensor) else keep[0]
    assert (seen == 7).all()                 # the values anyone can see are untouched


def test_zeros_is_zero_when_reused():
    a = buffers.zeros(BIG, np.float64)
    a[...] = np.nan
    del a
    b = buffers.zeros(BIG, np.float64)
    assert not b.any()


def test_shape_and_dtype_are_part_of_the_key():
    a = buffers.empty(BIG, np.float32)
    address = a.ctypes.data
    del a
    for shape, dtype in ((BIG, np.float64), (BIG[::-1], np.float32)):
        other = buffers.empty(shape, dtype)
        assert other.shape == shape and other.dtype == dtype


def test_small_arrays_are_left_to_malloc():
    buffers.empty((4, 4), np.float32)
    assert buffers.kept_bytes() == 0


def test_big_arrays_are_left_to_malloc(monkeypatch):
    monkeypatch.setattr(buffers, "MAX_BYTES", 1 << 20)
    a = buffers.empty((512, 512), np.float32)           # exactly MAX_BYTES: kept
    assert buffers.kept_bytes() == a.nbytes
    b = buffers.empty((512, 513), np.float32)           # above: not kept, a fresh array
    assert buffers.kept_bytes() == a.nbytes and not buffers.is_free(b)
    del b
    assert buffers.empty((512, 513), np.float32).shape == (512, 513)
    assert buffers.kept_bytes() == a.nbytes


def test_at_most_per_shape_arrays_are_kept():
    held = [buffers.empty(BIG, np.float32) for _ in range(buffers.PER_SHAPE + 3)]
    assert buffers.kept_bytes() == buffers.PER_SHAPE * held[0].nbytes
    assert len({a.ctypes.data for a in held}) == len(held)      # all distinct while held


def test_the_limit_empties_the_pool(monkeypatch):
    monkeypatch.setattr(buffers, "LIMIT_BYTES", 3 * 256 << 10)
    held = [buffers.empty((64, 1024 + i), np.float32) for i in range(5)]
    assert buffers.kept_bytes() <= buffers.LIMIT_BYTES
    del held
    gc.collect()


def test_a_training_step_reuses_its_big_arrays():
    """Steps of the tutorial CNN: once the fused pooling plans are in place (they are made
    over the first steps: the third step's conv + pool + relu writes into a buffer of its
    own), a step allocates no new big kernel arrays, and the gradients equal a run whose
    pool is emptied before every step (fresh arrays). (The plans are kept per geometry for
    the process: after other tests, the first steps already find them.)"""
    from tinygrad_sgd.models import SimpleCNN
    from tinygrad_sgd.nn import functional as F
    x = tg.tensor(np.random.default_rng(0).standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = tg.tensor(np.arange(64) % 10)
    runs = []
    for fresh in (False, True):
        tg.manual_seed(0)
        model = SimpleCNN()
        model.eval()                        # no dropout: both runs see the same function
        grads, kept = [], []
        for _ in range(4):
            if fresh:
                buffers.clear()
            model.zero_grad()
            F.nll_loss(model(x), y).backward()
            grads.append([p.grad.numpy().copy() for p in model.parameters()])
            kept.append(buffers.kept_bytes())
        runs.append(grads)
        if not fresh:
            assert kept[2] == kept[3] > 0
    for a, b in zip(*runs):
        for ga, gb in zip(a, b):
            np.testing.assert_array_equal(ga, gb)


# --- geometries ----------------------------------------------------------------------------
def test_the_same_arguments_share_one_geometry():
    a = geometry("conv2d", (2, 3, 8, 8), (3, 3), 1, 0, 1)
    assert geometry("conv2d", (2, 3, 8, 8), [3, 3], (1, 1), 0, 1) is not None
    assert geometry("conv2d", (2, 3, 8, 8), (3, 3), 1, 0, 1) is a
    assert geometry("conv2d", (2, 3, 8, 8), (3, 3), 2, 0, 1) is not a
    assert pool_geometry("max_pool2d", (2, 3, 8, 8), 2, 2, 0) is \
        pool_geometry("max_pool2d", (2, 3, 8, 8), 2, 2, 0)


@pytest.mark.parametrize("stride", [True, (1, True), 1.0])
def test_a_cached_geometry_does_not_let_a_wrong_argument_through(stride):
    pool_geometry("max_pool2d", (1, 1, 4, 4), 2, 1, 0)
    geometry("conv2d", (1, 1, 4, 4), 2, 1, 0)
    with pytest.raises(TypeError, match="stride must be an int or a pair of ints"):
        pool_geometry("max_pool2d", (1, 1, 4, 4), 2, stride, 0)
    with pytest.raises(TypeError, match="stride must be an int or a pair of ints"):
        geometry("conv2d", (1, 1, 4, 4), 2, stride, 0)


def test_an_argument_error_is_raised_every_time():
    for _ in range(2):
        with pytest.raises(ValueError, match="pad should be at most half"):
            pool_geometry("max_pool2d", (1, 1, 4, 4), 2, 2, 2)


def test_is_free_tells_a_kept_array_nobody_else_uses():
    """``is_free(a)``: the pool keeps ``a`` and nothing but the asker refers to it (the memory
    tests count such an array as freed)."""
    a = buffers.empty((300, 300), np.float32)
    assert buffers.is_free(a)                 # only the pool, and the name we ask with
    t = tg.from_numpy(a)
    assert not buffers.is_free(a)             # a Tensor holds it
    del t
    view = a[1:]
    assert not buffers.is_free(a)             # a view keeps its base alive
    del view
    assert buffers.is_free(a)
    assert not buffers.is_free(np.empty((300, 300), np.float32))   # not the pool's


def test_arrays_start_at_different_places_in_a_page():
    """Blocks from malloc all start at one offset in a 4 KB page; a loop reading one array and
    writing another at the same offset is slowed by 4K aliasing, so each array made starts
    at its own cache-line place."""
    kept = [buffers.empty(BIG, np.float32) for _ in range(8)]
    places = {a.ctypes.data % buffers.PAGE for a in kept}
    assert len(places) == 8 and all(p % 64 == 0 for p in places)
    big = buffers.empty((2048, 1024), np.float64)        # above MAX_BYTES: not kept, staggered
    assert big.ctypes.data % buffers.PAGE not in places and big.flags.c_contiguous


# --- arithmetic of big float arrays into reused memory --------------------------------------
def _operand_pair(kind, rng):
    x = rng.standard_normal(BIG).astype(np.float32)
    x[0, :4] = [np.inf, -np.inf, np.nan, -0.0]
    y = rng.standard_normal(BIG).astype(np.float32)
    y[0, :4] = [0.0, -0.0, 1.0, 0.0]
    if kind == "same shape":
        return x, y
    if kind == "transposed both":
        return x.T, y.T                     # one layout, not C order: kept
    if kind == "0-d of the dtype":
        return x, np.array(-0.0, np.float32)
    if kind == "0-d float64 (promotes)":
        return x, np.array(3.0)
    if kind == "layouts differ":
        return x.T, np.ascontiguousarray(y.T)
    if kind == "broadcast row":
        return x, y[:1]
    if kind == "float64":
        return x.astype(np.float64), y.astype(np.float64)
    if kind == "int32":
        return (np.nan_to_num(x) * 100).astype(np.int32), (y * 100).astype(np.int32) | 1
    if kind == "gapped view, 0-d":          # heads sliced out of a fused q|k|v product
        return x[:, 1::3].T, np.array(0.5, np.float32)
    if kind == "gapped views, one layout":
        return x[:, 1::3].T, y[:, 2::3].T
    raise ValueError(kind)


@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.divide])
@pytest.mark.parametrize("kind", ["same shape", "transposed both", "0-d of the dtype",
                                  "0-d float64 (promotes)", "layouts differ", "broadcast row",
                                  "float64", "int32", "gapped view, 0-d",
                                  "gapped views, one layout"])
def test_arithmetic_is_numpys_result_dtype_and_layout(ufunc, kind):
    from tinygrad_sgd.kernels.elementwise import arithmetic
    a, b = _operand_pair(kind, np.random.default_rng(0))
    with np.errstate(all="ignore"):
        got, want = arithmetic(ufunc, a, b), ufunc(a, b)
    assert got.dtype == want.dtype and got.shape == want.shape
    # the layout NumPy gives; where the inputs' layouts differ, torch's (here the first's)
    assert got.strides == (a.strides if kind == "layouts differ" else want.strides)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_arithmetic_results_come_from_the_pool_and_a_held_one_is_never_reused():
    from tinygrad_sgd.kernels.elementwise import arithmetic
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(BIG).astype(np.float32) for _ in range(2))
    held = arithmetic(np.add, a, b)
    assert buffers.kept_bytes() >= held.nbytes
    second = arithmetic(np.multiply, a, b)
    assert not np.shares_memory(held, second)
    np.testing.assert_array_equal(held, a + b)
    del second
    gc.collect()
    third = arithmetic(np.subtract, a, b)                   # the dropped one, handed out again
    assert buffers.kept_bytes() == 2 * held.nbytes
    np.testing.assert_array_equal(third, a - b)
    np.testing.assert_array_equal(held, a + b)
