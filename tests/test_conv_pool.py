"""Max pooling after a convolution (the tutorial's ``max_pool2d(conv(x), 2)``): with the
compiled kernels the convolution's threads may pool their own filters right after computing
them, and the pooling node takes what they made (ops/conv.py, ``Conv2dOp.pool_of_output``).
Nothing a user can see may change: the numbers (the same bits as pooling afterwards, and
torch's to rounding), the gradients, the graph — and a pooling made ahead is used only by the
pooling it was made for, of the values it was made from."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels.backend import numba_available
from tinygrad_sgd.ops import conv as conv_ops
from tinygrad_sgd.ops import pool as pool_ops

BACKENDS = ["numpy"] + (["numba"] if numba_available() else [])


def clear():
    conv_ops._POOL_AFTER.clear()
    pool_ops._RELU_AFTER.clear()


@pytest.fixture(params=BACKENDS)
def backend(request, restore_backend):
    kernels.set_backend(request.param)
    clear()
    yield request.param
    clear()


def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def data(dtype, seed=0, n=6, c=1, f=10, size=12):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, size, size)).astype(dtype)
    x.reshape(-1)[rng.integers(0, x.size, 4)] = np.nan
    x.reshape(-1)[rng.integers(0, x.size, 4)] = np.inf
    w = (rng.standard_normal((f, c, 3, 3)) * 0.3).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    return x, w, b


def forward(lib, x, w, b, relu=True):
    F = lib.nn.functional
    xt, wt, bt = (lib.tensor(a.copy(), requires_grad=True) for a in (x, w, b))
    y = F.max_pool2d(F.conv2d(xt, wt, bt), 2)
    y = F.relu(y) if relu else y
    (y * y.detach().nan_to_num(0, 0, 0)).sum().backward()
    return y, [t.grad.numpy().copy() for t in (xt, wt, bt)]


def taken(y):
    """True when the pooling node's output is the array the convolution's threads made."""
    pool = y.grad_fn if type(y.grad_fn) is pool_ops.MaxPool2dOp else y.grad_fn._edges[0]
    conv = pool._edges[0]
    return type(conv) is conv_ops.Conv2dOp and "pooled" in conv.__dict__ and \
        "pool_ahead" not in conv.__dict__


def plain(fn):
    """``fn()`` with no pooling made ahead (each conv's hand-over refused and forgotten); what
    the convolutions and poolings had learnt is put back after."""
    original = conv_ops.Conv2dOp.pool_of_output
    learnt = dict(conv_ops._POOL_AFTER), dict(pool_ops._RELU_AFTER)

    def refuse(self, y, geom, with_relu):
        self.__dict__.pop("pool_ahead", None)
        return None
    conv_ops.Conv2dOp.pool_of_output = refuse
    try:
        clear()
        return fn()
    finally:
        conv_ops.Conv2dOp.pool_of_output = original
        clear()
        conv_ops._POOL_AFTER.update(learnt[0])
        pool_ops._RELU_AFTER.update(learnt[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("relu", [True, False])
def test_pooling_made_ahead_is_pooling_afterwards_bit_for_bit(backend, dtype, relu):
    """Five calls (the first teaches the convolution that a pooling follows): the values and
    the three gradients are those of the same ops with no pooling made ahead, bit for bit,
    and torch's to rounding; with the compiled kernels the pooling is made ahead from the
    second call on, with relu's array too when a relu follows."""
    made = []
    for step in range(5):
        x, w, b = data(dtype, seed=step)
        y, grads = forward(tg, x, w, b, relu)
        made.append(taken(y))
        if relu and made[-1]:
            assert "relu_ahead" not in y.grad_fn._edges[0].__dict__   # (relu took its array)
        y0, grads0 = plain(lambda: forward(tg, x, w, b, relu))
        yt, grads_t = forward(torch, x, w, b, relu)
        for ours, base in zip([y.detach().numpy()] + grads, [y0.detach().numpy()] + grads0):
            assert ours.dtype == base.dtype and np.array_equal(bits(ours), bits(base))
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
        for ours, theirs in zip(grads, grads_t):
            np.testing.assert_allclose(ours, theirs, rtol=tol * 10, atol=tol * 10)
    assert made == [False] + [backend == "numba"] * 4


def test_the_graph_is_unchanged(backend):
    x, w, b = data(np.float32)
    for _ in range(2):
        y, _ = forward(tg, x, w, b)
    pool = y.grad_fn._edges[0]
    assert [type(y.grad_fn).__name__, type(pool).__name__, type(pool._edges[0]).__name__] == \
        ["ReLUOp", "MaxPool2dOp", "Conv2dOp"]
    assert pool.name() == "MaxPool2dBackward" and pool.label() == "max_pool2d(2)"


def conv_out(x, w, b):
    return tg.nn.functional.conv2d(tg.tensor(x, requires_grad=True), tg.tensor(w), tg.tensor(b))


def test_an_output_changed_in_place_is_pooled_again(backend):
    """The convolution's output changed in place (through a detached alias: the same node
    stays its grad_fn) after its threads pooled it: the pooling must pool the new values."""
    x, w, b = data(np.float32)
    for _ in range(2):
        tg.nn.functional.max_pool2d(conv_out(x, w, b), 2)
    y = conv_out(x, w, b)
    y.detach().mul_(-1)
    p = tg.nn.functional.max_pool2d(y, 2)
    changed = conv_out(x, w, b).detach().numpy() * np.float32(-1)     # (as mul_: NaN kept)
    expected = torch.nn.functional.max_pool2d(torch.tensor(changed), 2)
    assert np.array_equal(bits(p.detach().numpy()), bits(expected.numpy()))
    assert "pool_ahead" not in y.grad_fn.__dict__


@pytest.mark.parametrize("pooling", [dict(kernel_size=3), dict(kernel_size=2, stride=1),
                                     dict(kernel_size=2, padding=1),
                                     dict(kernel_size=2, ceil_mode=True)])
def test_another_pooling_is_not_given_the_one_made_ahead(backend, pooling):
    """Poolings of 2 teach the convolution; then a different pooling of its output gets its
    own numbers (torch's), not the 2x2 ones made ahead."""
    x, w, b = data(np.float32, size=13)
    for _ in range(2):
        tg.nn.functional.max_pool2d(conv_out(x, w, b), 2)
    y = conv_out(x, w, b)
    p = tg.nn.functional.max_pool2d(y, **pooling)
    expected = torch.nn.functional.max_pool2d(torch.tensor(y.detach().numpy()), **pooling)
    assert np.array_equal(bits(p.detach().numpy()), bits(expected.numpy()))


def test_two_poolings_of_one_output(backend):
    x, w, b = data(np.float32)
    for _ in range(2):
        tg.nn.functional.max_pool2d(conv_out(x, w, b), 2)
    y = conv_out(x, w, b)
    first, second = (tg.nn.functional.max_pool2d(y, 2) for _ in range(2))
    expected = torch.nn.functional.max_pool2d(torch.tensor(y.detach().numpy()), 2).numpy()
    for p in (first, second):
        assert np.array_equal(bits(p.detach().numpy()), bits(expected))


def test_a_pooling_not_taken_is_freed_with_the_graph(backend):
    """The convolution pools ahead (taught by earlier calls); its output then goes elsewhere:
    the node keeps the arrays only until backward frees the graph."""
    x, w, b = data(np.float32)
    for _ in range(2):
        tg.nn.functional.max_pool2d(conv_out(x, w, b), 2)
    y = conv_out(x, w, b)
    node = y.grad_fn
    assert ("pool_ahead" in node.__dict__) == (backend == "numba")
    y.sum().backward()
    assert "pool_ahead" not in node.__dict__


def test_no_grad_and_return_indices(backend):
    x, w, b = data(np.float32)
    for _ in range(2):
        tg.nn.functional.max_pool2d(conv_out(x, w, b), 2)
    y = conv_out(x, w, b)
    p, idx = tg.nn.functional.max_pool2d(y, 2, return_indices=True)
    pt, it = torch.nn.functional.max_pool2d(torch.tensor(y.detach().numpy()), 2,
                                            return_indices=True)
    assert np.array_equal(bits(p.detach().numpy()), bits(pt.numpy()))
    assert np.array_equal(idx.numpy(), it.numpy())
    with tg.no_grad():
        q = tg.nn.functional.max_pool2d(conv_out(x, w, b), 2)
    assert np.array_equal(bits(q.numpy()), bits(pt.numpy()))


def test_two_threads_make_the_same_bits(backend, monkeypatch):
    """Split over two threads (each convolves and pools its own filters, one served job each),
    the values and gradients are those of one thread. (OpenBLAS's own count, which
    set_num_threads sets too, is held at 2 in both: its unsplit products' bits depend on it.)"""
    from tinygrad_sgd.kernels import threads
    monkeypatch.setattr(threads, "MIN_CREW_ELEMENTS", 0)
    monkeypatch.setattr(threads, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(threads, "_quiet_blas", True)
    x, w, b = data(np.float32, n=32, c=3, f=20, size=16)
    results = []
    before = tg.get_num_threads()
    try:
        for n in (1, 2):
            tg.set_num_threads(n)
            threads._blas_threads()[1](2)
            clear()
            for _ in range(3):
                y, grads = forward(tg, x, w, b)
            assert taken(y) == (backend == "numba")
            results.append([y.detach().numpy().copy()] + grads)
    finally:
        tg.set_num_threads(before)
    for a, b_ in zip(*results):
        assert np.array_equal(bits(a), bits(b_))


@pytest.mark.parametrize("pooling", [dict(kernel_size=2), dict(kernel_size=3, stride=1),
                                     dict(kernel_size=2, padding=1)])
def test_a_window_of_nans_of_both_signs_gives_torchs_nan(backend, pooling):
    """A window's value is its last NaN, sign and all (torch's rule; a convolution's output
    holds NaNs of both signs): NumPy's maximum had kept the first one."""
    n = np.float32(np.nan)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 6, 6)).astype(np.float32)
    flat = x.reshape(-1)
    flat[rng.integers(0, x.size, 40)] = n
    flat[rng.integers(0, x.size, 40)] = -n
    ours = tg.nn.functional.max_pool2d(tg.tensor(x), **pooling).numpy()
    theirs = torch.nn.functional.max_pool2d(torch.tensor(x), **pooling).numpy()
    assert np.array_equal(bits(ours), bits(theirs))


def test_relus_forgotten_between_the_convolution_and_its_pooling(backend):
    """The convolution made relu's array too (a relu followed last time), then what relus
    taught was forgotten (the table is cleared when it grows): the pooling still works."""
    x, w, b = data(np.float32)
    for _ in range(2):
        forward(tg, x, w, b)
    y = conv_out(x, w, b)
    pool_ops._RELU_AFTER.clear()
    r = tg.nn.functional.relu(tg.nn.functional.max_pool2d(y, 2))
    expected = torch.relu(torch.nn.functional.max_pool2d(torch.tensor(y.detach().numpy()), 2))
    assert np.array_equal(bits(r.detach().numpy()), bits(expected.numpy()))


# ------------------------------------------------------------------ the backward: pooling's
# scatter made by the convolution's weight-gradient threads (autograd/slices.ScatteredGrad)
def first_conv_step(x, w, b, relu=True, hook=None):
    """conv (input needs no gradient) → pool → (relu): the weight and bias gradients."""
    F = tg.nn.functional
    wt, bt = tg.tensor(w.copy(), requires_grad=True), tg.tensor(b.copy(), requires_grad=True)
    c = F.conv2d(tg.tensor(x), wt, bt)
    if hook is not None:
        hook(c)
    y = F.max_pool2d(c, 2)
    y = F.relu(y) if relu else y
    (y * y.detach().nan_to_num(0, 0, 0)).sum().backward()
    return [wt.grad.numpy().copy(), bt.grad.numpy().copy()]


def poison_free_buffers():
    """NaN into every reusable array (:mod:`tinygrad_sgd.kernels.buffers`): a place a kernel
    should have written and did not shows, instead of an earlier step's right number."""
    from tinygrad_sgd.kernels import buffers
    for arrays in list(buffers._pool.values()):
        for a in arrays:
            if a.dtype.kind == "f" and buffers.is_free(a):
                a.fill(np.nan)


def scatter_made_whole(monkeypatch):
    """Pooling hands the convolution a whole gradient (the path before the fusion)."""
    from tinygrad_sgd.autograd.function import Function
    from tinygrad_sgd.kernels import pool as pool_kernels
    monkeypatch.setattr(pool_ops, "ScatteredGrad", lambda v, m, c, g: Function.constant(
        pool_kernels.max_pool_scatter(v, c, g, mask=m)))


def used_scatter(monkeypatch):
    """Counts the convolution backwards handed a ScatteredGrad, and those that took it."""
    from tinygrad_sgd.kernels import conv as conv_kernels
    seen = []
    original = conv_kernels.conv2d_grads

    def counting(*args, **kw):
        out = original(*args, **kw)
        if kw.get("scatter") is not None:
            seen.append(out is not None)
        return out
    monkeypatch.setattr(conv_ops.kernel, "conv2d_grads", counting)
    return seen


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_scatter_made_by_the_weight_gradient_is_the_same_bits(backend, monkeypatch,
                                                                     threads, relu, dtype):
    from tinygrad_sgd.kernels import threads as th
    monkeypatch.setattr(th, "MIN_CREW_ELEMENTS", 0)
    monkeypatch.setattr(th, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(th, "_quiet_blas", True)
    x, w, b = data(dtype, n=16, c=1, f=10, size=14)
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(threads)
        seen = used_scatter(monkeypatch)
        first_conv_step(x, w, b, relu)
        poison_free_buffers()
        fused = first_conv_step(x, w, b, relu)
        # (ten filters in groups of five on an AVX-512 CPU, of two on an AVX2 one: there two
        # threads would split a group, and the scatter is made whole first)
        from tinygrad_sgd.kernels.compiled.conv_weight import WGRAD_FILTERS
        groups = -(-10 // WGRAD_FILTERS)
        takes = threads == 1 or groups % threads == 0 or groups >= 4 * threads
        assert seen and all(seen) == (backend == "numba" and takes)
        with monkeypatch.context() as m:
            scatter_made_whole(m)
            whole = first_conv_step(x, w, b, relu)
    finally:
        tg.set_num_threads(before)
    for a, b_ in zip(fused, whole):
        assert np.array_equal(bits(a), bits(b_))
    yt = forward(torch, x, w, b, relu)[1]
    for ours, theirs in zip(fused, yt[1:]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_parts_that_share_channels_make_the_scatter_whole_first(backend, monkeypatch):
    """Two filters a group (AVX2's) over two threads: the threads' parts of conv1's weight
    gradient split a group, so each reads channels the other writes — the scatter is made
    whole first; the same bits."""
    from tinygrad_sgd.kernels import threads as th
    from tinygrad_sgd.kernels.compiled import conv_weight
    monkeypatch.setattr(th, "MIN_CREW_ELEMENTS", 0)
    monkeypatch.setattr(th, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(th, "_quiet_blas", True)
    if backend == "numba":
        monkeypatch.setattr(conv_weight, "WGRAD_FILTERS", 2)
    x, w, b = data(np.float32, n=16, c=1, f=10, size=14)
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(2)
        seen = used_scatter(monkeypatch)
        got = first_conv_step(x, w, b)
        assert seen and not any(seen)           # (10 filters, 5 groups of 2, split 12/13)
        with monkeypatch.context() as m:
            scatter_made_whole(m)
            whole = first_conv_step(x, w, b)
    finally:
        tg.set_num_threads(before)
    for a, b_ in zip(got, whole):
        assert np.array_equal(bits(a), bits(b_))


@pytest.mark.parametrize("what", ["hook", "retain_grad", "second use"])
def test_a_gradient_someone_sees_is_made_whole(backend, monkeypatch, what):
    """A hook or retain_grad on the convolution's output, or the output used twice: the
    gradient there is the whole one (torch's), and the weight gradients are unchanged."""
    x, w, b = data(np.float32)
    seen, kept = used_scatter(monkeypatch), {}

    def hook(c):
        if what == "hook":
            c.register_hook(lambda g: kept.update(g=g.numpy().copy()))
        elif what == "retain_grad":
            c.retain_grad()
            kept["t"] = c
        else:
            c.sum().mul(0.0).backward(retain_graph=True)   # (a separate walk: no effect)
    got = first_conv_step(x, w, b, hook=hook)
    assert not seen or what == "second use"
    with monkeypatch.context() as m:
        scatter_made_whole(m)
        whole = first_conv_step(x, w, b)
    for a, b_ in zip(got, whole):
        assert np.array_equal(bits(a), bits(b_))
    if what != "second use":
        g = kept["g"] if what == "hook" else kept["t"].grad.numpy()
        xt = torch.tensor(x)
        ct = torch.nn.functional.conv2d(xt, torch.tensor(w), torch.tensor(b)).requires_grad_()
        yt = torch.relu(torch.nn.functional.max_pool2d(ct, 2))
        (yt * yt.detach().nan_to_num(0, 0, 0)).sum().backward()
        np.testing.assert_allclose(g, ct.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_a_pooling_with_ceil_mode_padding_is_scattered_whole(backend, monkeypatch):
    """An odd output pooled with ceil_mode: the scatter writes padding beyond dy, so the
    convolution does not take it; the gradients are torch's."""
    x, w, b = data(np.float32, size=15)              # conv output 13 x 13
    seen = used_scatter(monkeypatch)
    grads = []
    for L in (tg, torch):
        wt, bt = L.tensor(w.copy(), requires_grad=True), L.tensor(b.copy(), requires_grad=True)
        y = L.nn.functional.max_pool2d(L.nn.functional.conv2d(L.tensor(x), wt, bt), 2,
                                       ceil_mode=True)
        (y * y.detach().nan_to_num(0, 0, 0)).sum().backward()
        grads.append([wt.grad.numpy(), bt.grad.numpy()])
    assert not any(seen)
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_models_with_other_filter_counts_on_one_input_geometry(backend, split):
    """Two models whose first convolutions see the same input geometry with different filter
    counts (a sweep over widths), taking turns: each pools ahead for itself once it has
    learnt, and gives torch's numbers. (The pooling learnt after 10 filters was once handed
    to the convolution of 20, whose threads wrote 20 channels into arrays made for 10: heap
    corruption, later a crash.)"""
    made = {}
    for step, f in enumerate([10, 20, 10, 20, 10, 20, 15]):
        x, w, b = data(np.float32, seed=step, f=f)
        y, grads = forward(tg, x, w, b)
        made.setdefault(f, []).append(taken(y))
        yt, grads_t = forward(torch, x, w, b)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5,
                                   atol=1e-5)
        for ours, theirs in zip(grads, grads_t):
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    assert made[10] == made[20] == [False] + [backend == "numba"] * 2
    assert made[15] == [False]


@pytest.mark.skipif(not numba_available(), reason="the compiled kernels need numba")
def test_the_compiled_convolution_pools_only_an_output_of_the_poolings_shape():
    """The kernel itself refuses a pooling made for another output shape (other channels,
    batch or size): it pools nothing and computes the convolution alone."""
    from tinygrad_sgd.kernels.compiled import conv as fast_conv
    from tinygrad_sgd.kernels.layout import geometry, pool_geometry
    from tinygrad_sgd.kernels.pool import PoolAhead
    x, w, b = data(np.float32, f=10)
    g = geometry("conv2d", x.shape, w.shape[2:], 1, 0, 1, 1)
    expected = torch.nn.functional.conv2d(*(torch.tensor(a) for a in (x, w, b))).numpy()
    for shape, pooled in [((6, 10, 10, 10), True), ((6, 5, 10, 10), False),
                          ((6, 20, 10, 10), False), ((3, 10, 10, 10), False),
                          ((6, 10, 12, 12), False)]:
        pool = PoolAhead(pool_geometry("max_pool2d", shape, 2, 2, 0, 1, False), False)
        out = fast_conv.conv2d_forward_direct(x, w, b, g, pool=pool)
        assert (pool.result is not None) == pooled, shape
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not numba_available(), reason="the compiled kernels need numba")
def test_a_second_model_of_other_width_runs_under_glibcs_heap_checks(tmp_path):
    """The program that crashed (``mremap_chunk(): invalid pointer``), in a process of its own
    with glibc's heap checks on where this system has them: it must end normally."""
    import os
    import subprocess
    import sys
    debug = "/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0"
    env = dict(os.environ, MALLOC_CHECK_="3", TINYGRAD_SGD_KERNELS="numba")
    if os.path.exists(debug):
        env["LD_PRELOAD"] = debug
    program = tmp_path / "widths.py"
    program.write_text(
        "import numpy as np, tinygrad_sgd as tg\n"
        "F = tg.nn.functional\n"
        "x = tg.tensor(np.ones((2, 1, 28, 28), np.float32), requires_grad=True)\n"
        "for f in (4, 4, 32, 32, 4):\n"
        "    y = F.max_pool2d(F.conv2d(x, tg.ones(f, 1, 5, 5)), 2)\n"
        "    assert float(y.sum()) == 25.0 * f * 2 * 12 * 12\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, str(program)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]
