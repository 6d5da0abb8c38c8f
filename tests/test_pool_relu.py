"""relu after max pooling (the tutorial's ``relu(max_pool2d(conv(x), 2))``): with the compiled
kernels the pooling pass may make the relu too, and the relu node takes it (ops/pool.py,
``MaxPool2dOp.relu_of_output``). Nothing a user can see may change: the numbers (torch's, bit
for bit, −0 and NaN included), the gradients, the graph — and where the made relu is not the
relu of what relu is given (the output changed in place since), it must not be used."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels.backend import numba_available
from tinygrad_sgd.nn import functional as F
from tinygrad_sgd.ops import pool as pool_ops

BACKENDS = ["numpy"] + (["numba"] if numba_available() else [])


@pytest.fixture(params=BACKENDS)
def backend(request, restore_backend):
    kernels.set_backend(request.param)
    pool_ops._RELU_AFTER.clear()
    yield request.param
    pool_ops._RELU_AFTER.clear()


def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def images(dtype, seed=0, shape=(6, 3, 8, 8)):
    """Batches with the values relu and max pooling must treat exactly: −0 (and windows of only
    zeros of both signs), NaN, ±inf."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[rng.integers(0, x.size, x.size // 8)] = -0.0
    flat[rng.integers(0, x.size, 6)] = np.nan
    flat[rng.integers(0, x.size, 6)] = np.inf
    flat[rng.integers(0, x.size, 6)] = -np.inf
    x[0, 0, :2, :2] = -0.0
    x[1, 0, :2, :2] = [[0.0, -0.0], [-0.0, 0.0]]
    x[2, 1, :2, :2] = -1.0
    return x


def pool_relu(lib, x, w):
    y = lib.nn.functional.relu(lib.nn.functional.max_pool2d(x * w, 2))
    return y, (y * y.detach().nan_to_num(0, 0, 0)).sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_after_pooling_is_torchs_step_after_step(backend, dtype):
    """Five calls (the first teaches the pooling that a relu follows): the relu's values and
    the input's gradient are torch's, bit for bit, every time; with the compiled kernels the
    pooling made the relu itself from the second call on."""
    made = []
    for step in range(5):
        x = images(dtype, seed=step)
        outs = []
        for lib in (tg, torch):
            xt = lib.tensor(x.copy(), requires_grad=True)
            w = lib.tensor(np.array(1.5, dtype))
            y, loss = pool_relu(lib, xt, w)
            if lib is tg:
                made.append(_taken(y))
            loss.backward()
            outs.append((y.detach().numpy().copy(), xt.grad.numpy().copy()))
        for ours, theirs in zip(*outs):
            assert ours.dtype == theirs.dtype and np.array_equal(bits(ours), bits(theirs))
    assert made == [False] + [backend == "numba"] * 4


def _taken(y):
    """True when relu's output ``y`` is the array the pooling pass made: the pooling node made
    one (it keeps ``pooled``) and handed it over (``relu_ahead`` gone)."""
    node = y.grad_fn._edges[0]
    return type(node) is pool_ops.MaxPool2dOp and "pooled" in node.__dict__ and \
        "relu_ahead" not in node.__dict__


def test_the_graph_and_its_names_are_unchanged(backend):
    """relu(max_pool2d(...)) is still two nodes, ReLUBackward then MaxPool2dBackward, with the
    pooling's choices kept for backward and relu's output saved."""
    x = tg.tensor(images(np.float32), requires_grad=True)
    for _ in range(3):
        y = F.relu(F.max_pool2d(x * 1, 2))
    assert y.grad_fn.name() == "ReLUBackward"
    pool_node = y.grad_fn.next_functions[0][0]
    assert pool_node.name() == "MaxPool2dBackward"
    assert pool_node.next_functions[0][0].name() == "MulBackward"
    assert y.grad_fn.saved_output() is y.array


@pytest.mark.parametrize("change", ["add_", "zero_", "fill_nan"])
def test_a_pooled_output_changed_in_place_before_relu_gets_a_fresh_relu(backend, change):
    """The relu the pooling made is of the output as it was; changed in place since, relu must
    compute its own — torch's values of the changed output."""
    x = images(np.float32)
    outs = []
    for lib in (tg, torch):
        for _ in range(3):
            p = lib.nn.functional.max_pool2d(lib.tensor(x.copy(), requires_grad=True) * 1, 2)
            with lib.no_grad():
                if change == "add_":
                    p.add_(-0.5)
                elif change == "zero_":
                    p.zero_()
                else:
                    p.fill_(float("nan"))
            y = lib.nn.functional.relu(p)
        outs.append(y.detach().numpy().copy())
    assert np.array_equal(bits(outs[0]), bits(outs[1]))


def test_two_relus_of_one_pooled_output_and_other_readers(backend):
    """The made relu is handed over once: a second relu of the same output computes its own
    (a different array, the same numbers), and the pooled output itself is untouched."""
    x = tg.tensor(images(np.float32), requires_grad=True)
    for _ in range(3):
        p = F.max_pool2d(x * 1, 2)
        a = F.relu(p)
        b = F.relu(p)
    ref = torch.nn.functional.max_pool2d(torch.tensor(images(np.float32)), 2)
    assert np.array_equal(bits(p.detach().numpy()), bits(ref.numpy()))
    assert a.array is not b.array
    assert np.array_equal(bits(a.detach().numpy()), bits(torch.relu(ref).numpy()))
    assert np.array_equal(bits(b.detach().numpy()), bits(torch.relu(ref).numpy()))
    a.array[...] = 7                                  # a's memory is a's alone
    assert np.array_equal(bits(b.detach().numpy()), bits(torch.relu(ref).numpy()))


def test_a_pooling_no_relu_follows_stops_making_one(backend):
    """After relus stop following a geometry of pooling, at most two more poolings make a
    relu ahead; then none does. Without a graph (no_grad) none is ever made."""
    x = tg.tensor(images(np.float32), requires_grad=True)
    for _ in range(3):
        F.relu(F.max_pool2d(x * 1, 2))
    ahead = []
    for _ in range(5):
        p = F.max_pool2d(x * 1, 2)
        ahead.append("relu_ahead" in p.grad_fn.__dict__)
    assert ahead == ([True, True, False, False, False] if backend == "numba" else [False] * 5)
    with tg.no_grad():                 # (no node: nothing made, nothing counted)
        for _ in range(3):
            F.relu(F.max_pool2d(x * 1, 2))
    p = F.max_pool2d(x * 1, 2)
    assert "relu_ahead" not in p.grad_fn.__dict__


def test_two_threads_make_the_same_bits(backend, monkeypatch):
    """Split over two threads (each takes whole channels: the served job's kernel with the
    relu), the relu and the gradients are those of one thread."""
    from tinygrad_sgd.kernels import threads
    monkeypatch.setattr(threads, "MIN_CREW_ELEMENTS", 0)
    monkeypatch.setattr(threads, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(threads, "_quiet_blas", True)
    x = images(np.float32, shape=(32, 8, 24, 24))
    results = []
    before = tg.get_num_threads()
    try:
        for n in (1, 2):
            tg.set_num_threads(n)
            pool_ops._RELU_AFTER.clear()
            for _ in range(3):
                xt = tg.tensor(x.copy(), requires_grad=True)
                y, loss = pool_relu(tg, xt, tg.tensor(np.float32(1.5)))
                loss.backward()
            results.append((y.detach().numpy().copy(), xt.grad.numpy().copy()))
    finally:
        tg.set_num_threads(before)
    for a, b in zip(*results):
        assert np.array_equal(bits(a), bits(b))


# ------------------------------------------------------------------ backward: relu's mask in
# pooling's scatter (a MaskedGrad between the two nodes, made whole wherever anything sees it)
def _both(program, dtype=np.float32, seed=3):
    """``program(lib, x)`` → a list of arrays, run on torch and on us (three times: the first
    teaches the pooling that a relu follows); each of ours must be torch's, bit for bit."""
    x = images(dtype, seed=seed)
    outs = []
    for lib in (tg, torch):
        for _ in range(3):
            got = program(lib, lib.tensor(x.copy(), requires_grad=True))
        outs.append([a.detach().numpy().copy() if hasattr(a, "detach") else a for a in got])
    for ours, theirs in zip(*outs):
        assert ours.dtype == theirs.dtype and np.array_equal(bits(ours), bits(theirs))


def _upstream(lib, y):
    """A gradient into relu with inf and NaN where relu's output is 0 (they must not pass)."""
    w = np.linspace(-2, 2, int(np.prod(y.shape))).reshape(tuple(y.shape)).astype(np.float32)
    w.reshape(-1)[::7] = np.inf
    w.reshape(-1)[3::11] = np.nan
    return lib.tensor(w)


def _pool(lib, x):
    return lib.nn.functional.max_pool2d(x * 1.5, 2)


def test_pooling_receives_relus_gradient_unmasked_and_gives_torchs(backend, monkeypatch):
    """The plain backward of relu(max_pool2d(x)) goes through a MaskedGrad (pooling's backward
    gets one), with inf and NaN upstream where relu's output is 0: x's gradient is torch's."""
    seen = []
    real = pool_ops.MaxPool2dOp.backward

    def spy(self, dy):
        seen.append(type(dy).__name__)
        return real(self, dy)
    monkeypatch.setattr(pool_ops.MaxPool2dOp, "backward", spy)

    def program(lib, x):
        y = lib.nn.functional.relu(_pool(lib, x))
        (y * _upstream(lib, y)).sum().backward()
        return [x.grad]
    _both(program)
    assert seen and set(seen) == {"MaskedGrad"}


def test_a_hook_and_retain_grad_on_the_pooled_output_see_the_masked_gradient(backend):
    """A hook on pooling's output (it may replace the gradient) and retain_grad see relu's
    gradient made whole — torch's — and x's gradient follows the hook's."""
    def program(lib, x):
        p = _pool(lib, x)
        p.retain_grad()
        seen = []
        p.register_hook(lambda g: seen.append(g.detach().numpy().copy()) or g * 3)
        y = lib.nn.functional.relu(p)
        (y * _upstream(lib, y)).sum().backward()
        return [seen[0], p.grad, x.grad]
    _both(program)


def test_autograd_grad_of_the_pooled_output_and_of_the_input(backend):
    def program(lib, x):
        p = _pool(lib, x)
        y = lib.nn.functional.relu(p)
        loss = (y * _upstream(lib, y)).sum()
        return list(lib.autograd.grad(loss, [p, x]))
    _both(program)


def test_a_pooled_output_read_by_relu_and_by_something_else(backend):
    """Two gradients into pooling's output — relu's (a MaskedGrad) and another — are added:
    relu's made whole first."""
    def program(lib, x):
        p = _pool(lib, x)
        y = lib.nn.functional.relu(p)
        loss = (y * _upstream(lib, y)).sum() + (p * p).sum() + (lib.nn.functional.relu(p) *
                                                                   2).sum()
        loss.backward()
        return [x.grad]
    _both(program)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_second_order_and_anomaly_mode_take_the_plain_path(backend, dtype):
    """With create_graph (a graph of the backward is built) and under anomaly detection no
    MaskedGrad is made; the gradients are torch's, second order included."""
    def program(lib, x):
        y = lib.nn.functional.relu(_pool(lib, x))
        loss = (y * y * 0.5).sum()
        (gx,) = lib.autograd.grad(loss, [x], create_graph=True)
        (gx * gx).sum().backward()
        with lib.autograd.detect_anomaly(check_nan=False):
            y2 = lib.nn.functional.relu(_pool(lib, x))
            (g2,) = lib.autograd.grad((y2 * y2).sum(), [x])
        return [gx, x.grad, g2]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _both(program, dtype=dtype)


def test_an_in_place_relu_and_a_module_backward_hook(backend):
    """``nn.ReLU(inplace=True)`` after pooling (torch's common spelling) and a full backward
    hook on a Sequential around both: torch's values, gradients and hook arguments."""
    def program(lib, x):
        seen = []
        model = lib.nn.Sequential(lib.nn.MaxPool2d(2), lib.nn.ReLU(inplace=True))
        model.register_full_backward_hook(
            lambda m, gin, gout: seen.extend(g.detach().numpy().copy() for g in gin + gout))
        y = model(x * 1.5)
        (y * _upstream(lib, y)).sum().backward()
        return [y, x.grad] + seen
    _both(program)
