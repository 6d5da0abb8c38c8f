"""Adam's update kernel: the compiled one-pass twin (:mod:`tinygrad_sgd.kernels.compiled.optim`)
against the NumPy reference (:mod:`tinygrad_sgd.kernels.optim`), bit for bit — float32 and
float64, amsgrad, decoupled decay, both of torch's lerp branches (β₁ above and below ½), NaN,
inf, 0 and −0 in the gradient, several steps, on 1 thread and split over 2 — then Adam/AdamW
through the optimizer with either kernel set, and which arrays reach the compiled kernel.
(torch's numbers for every option: tests/test_optim_torch.py.)"""
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import kernels
from tinygrad_sgd.kernels import optim as np_optim
from tinygrad_sgd.kernels.backend import numba_available
from tinygrad_sgd.optim import Adam, AdamW

needs_numba = pytest.mark.skipif(not numba_available(),
                                 reason="numba not importable (pip install 'numba==0.68.*')")


def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def arrays(shape, dtype, seed, special):
    rng = np.random.default_rng(seed)
    theta, g = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    if special and g.size >= 5:
        g.reshape(-1)[:5] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    m = (rng.standard_normal(shape) * 0.1).astype(dtype)
    v = np.abs(rng.standard_normal(shape) * 0.01).astype(dtype)
    if special and v.size >= 5:
        v.reshape(-1)[3] = 0.0          # with g = 0 there and ε = 0: a division by zero
    v_max = v * dtype(1.5) if not special else v.copy()
    return theta, g, m, v, v_max


def run(backend, shape, dtype, amsgrad, decay, beta1, special, eps, steps=3):
    """``steps`` updates (a fresh gradient each) with kernel set ``backend``: the final
    (θ, m, v, v̂)."""
    previous = kernels.set_backend(backend)
    try:
        theta, g, m, v, v_max = arrays(shape, dtype, 0, special)
        v_max = v_max if amsgrad else None
        with np.errstate(all="ignore"):
            for t in range(1, steps + 1):
                np_optim.adam_update(theta, g * dtype(t), m, v, v_max, 1e-2, beta1, 0.999,
                                     eps, t, decay)
        return theta, m, v, v_max
    finally:
        kernels.set_backend(previous)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("decay", [0.0, 1e-4])
@pytest.mark.parametrize("beta1", [0.9, 0.3])          # lerp weight 0.1, then 0.7 (≥ ½)
@pytest.mark.parametrize("special, eps", [(False, 1e-8), (True, 1e-8), (True, 0.0)])
@pytest.mark.parametrize("shape", [(7,), (33, 5), (0,), (1, 1)])
def test_compiled_adam_update_is_the_numpy_one_bit_for_bit(split, dtype, amsgrad, decay, beta1,
                                                            special, eps, shape):
    ours = run("numba", shape, dtype, amsgrad, decay, beta1, special, eps)
    ref = run("numpy", shape, dtype, amsgrad, decay, beta1, special, eps)
    for a, b in zip(ours, ref):
        if b is not None:
            assert a.dtype == b.dtype and np.array_equal(bits(a), bits(b))


@needs_numba
@pytest.mark.parametrize("cls, options", [(Adam, {}), (Adam, dict(weight_decay=0.1)),
                                          (AdamW, dict(amsgrad=True)),
                                          (AdamW, dict(maximize=True, betas=(0.4, 0.99)))])
def test_optimizer_steps_are_the_same_with_either_kernel_set(restore_backend, cls, options):
    """Twenty steps of a small least-squares fit: parameters and every state buffer equal bit
    for bit whichever kernel set ran them (float32, one parameter Fortran-ordered so that it
    takes the NumPy path on both)."""
    results = []
    for backend in ("numba", "numpy"):
        kernels.set_backend(backend)
        rng = np.random.default_rng(1)
        w = tg.tensor(rng.standard_normal((6, 4)).astype(np.float32), requires_grad=True)
        u = tg.tensor(np.asfortranarray(rng.standard_normal((4, 3)).astype(np.float32)))
        u.requires_grad_()
        x = tg.tensor(rng.standard_normal((10, 6)).astype(np.float32))
        opt = cls([w, u], lr=0.05, **options)
        for _ in range(20):
            opt.zero_grad()
            ((x @ w @ u - 1.0) ** 2).mean().backward()
            opt.step()
        state = [s.array.copy() for p in (w, u) for s in opt.state[p].values()
                 if hasattr(s, "array")]
        results.append([w.detach().numpy().copy(), u.detach().numpy().copy()] + state)
    for a, b in zip(*results):
        assert np.array_equal(bits(a), bits(b))


@needs_numba
def test_which_updates_reach_the_compiled_kernel(restore_backend, monkeypatch):
    from tinygrad_sgd.kernels.compiled import optim as fast_optim
    calls = []
    monkeypatch.setattr(fast_optim, "adam_update", lambda *a: calls.append(a[0].dtype))
    kernels.set_backend("numba")
    f32, f64 = np.zeros(3, np.float32), np.zeros(3, np.float64)
    for theta, g in [(f32, f32), (f64, f64), (f32, f64),              # mixed dtypes: NumPy
                     (np.zeros((3, 2), np.float32).T, np.zeros((2, 3), np.float32)),  # strided
                     (np.zeros(3, np.float16), np.zeros(3, np.float16))]:             # float16
        m, v = np.zeros_like(theta), np.zeros_like(theta)
        with np.errstate(all="ignore"):
            np_optim.adam_update(theta, g, m, v, None, 0.1, 0.9, 0.999, 1e-8, 1, 0.0)
    assert calls == [np.float32, np.float64]


# ---------------------------------------------------------------------------- SGD's arithmetic
def sgd_arrays(shape, dtype, special):
    rng = np.random.default_rng(3)
    theta, g, buf = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    if special and g.size >= 6:
        g.reshape(-1)[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40]
        theta.reshape(-1)[:3] = [np.finfo(dtype).max, -0.0, np.inf]
    return theta, g, buf


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha", [-0.01, 0.9, 1.0, -1.0, 1e-8, 3.7])
@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("shape", [(7,), (33, 5), (0,)])
def test_add_scaled_is_torchs_add_with_alpha_on_either_kernel_set(restore_backend, split, backend,
                                                                  dtype, alpha, special, shape):
    """``add_scaled(y, α, x)`` rounds once, as torch's ``y.add_(x, alpha=α)``: bit for bit,
    NaN/inf/−0/subnormals and overflow included, with either kernel set, in place or not."""
    import torch
    if backend == "numba" and not numba_available():
        pytest.skip("numba not importable")
    kernels.set_backend(backend)
    y, x, _ = sgd_arrays(shape, dtype, special)
    want = torch.from_numpy(y.copy()).add_(torch.from_numpy(x), alpha=alpha).numpy()
    with np.errstate(all="ignore"):
        in_place = np_optim.add_scaled(y.copy(), alpha, x, out=None)
        y_out = y.copy()
        np_optim.add_scaled(y_out, alpha, x, out=y_out)
    for got in (in_place, y_out):
        assert got.dtype == want.dtype and np.array_equal(bits(got), bits(want))


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lr, momentum, dampening", [(0.01, 0.9, 0.0), (0.3, 0.5, 0.25),
                                                     (1e-3, 0.99, 0.9)])
@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("shape", [(7,), (33, 5), (300001,)])
def test_momentum_step_is_torchs_on_either_kernel_set(restore_backend, split, backend, dtype, lr,
                                                      momentum, dampening, special, shape):
    """``momentum_step`` (one pass with the compiled kernels) is torch's two in-place calls,
    ``buf.mul_(μ).add_(g, alpha=1 − τ)`` and ``θ.add_(buf, alpha=−γ)``, bit for bit over five
    steps (a fresh gradient each)."""
    import torch
    if backend == "numba" and not numba_available():
        pytest.skip("numba not importable")
    kernels.set_backend(backend)
    theta, g, buf = sgd_arrays(shape, dtype, special)
    t_theta, t_buf = torch.from_numpy(theta.copy()), torch.from_numpy(buf.copy())
    with np.errstate(all="ignore"):
        for step in range(1, 6):
            gs = g * dtype(step)
            np_optim.momentum_step(theta, gs, buf, lr, momentum, dampening)
            t_buf.mul_(momentum).add_(torch.from_numpy(gs), alpha=1 - dampening)
            t_theta.add_(t_buf, alpha=-lr)
    for got, want in ((theta, t_theta.numpy()), (buf, t_buf.numpy())):
        assert np.array_equal(bits(got), bits(want))


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [dict(momentum=0.9), dict(momentum=0.9, dampening=0.1),
                                     dict(momentum=0.9, nesterov=True),
                                     dict(momentum=0.5, weight_decay=1e-2),
                                     dict(momentum=0.9, maximize=True), dict()])
def test_sgd_steps_are_torchs_bit_for_bit(restore_backend, backend, dtype, options):
    """Twenty SGD steps given the same gradients (one parameter Fortran-ordered, so that it
    takes the NumPy path): torch's parameters and momentum buffers, bit for bit."""
    import torch
    if backend == "numba" and not numba_available():
        pytest.skip("numba not importable")
    kernels.set_backend(backend)
    rng = np.random.default_rng(1)
    starts = [rng.standard_normal((6, 4)).astype(dtype),
              np.asfortranarray(rng.standard_normal((4, 3)).astype(dtype))]
    grads = [[rng.standard_normal(a.shape).astype(dtype) for a in starts] for _ in range(20)]
    results = []
    for lib in (tg, torch):
        params = [lib.tensor(a.copy(), requires_grad=True) for a in starts]
        if lib is tg:
            params[1] = tg.tensor(starts[1].copy(order="F")).requires_grad_()
        opt = lib.optim.SGD(params, lr=0.05, **options)
        for step in grads:
            for p, g in zip(params, step):
                p.grad = lib.tensor(g)
            opt.step()
        if lib is tg:
            assert not params[1].array.flags.c_contiguous
        results.append([p.detach().numpy().copy() for p in params] +
                       [opt.state[p]["momentum_buffer"].detach().numpy().copy()
                        for p in params if options.get("momentum")])
    for a, b in zip(*results):
        assert np.array_equal(bits(a), bits(b))


GROUP_SHAPES = [(10, 1, 5, 5), (10,), (20, 10, 5, 5), (20,), (50, 320), (50,), (10, 50), (10,),
                (3, 3), (1,), (7, 2, 2), ()]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("count", [1, 8, 9, 12])      # one call, a full one, a padded second
@pytest.mark.parametrize("options", [dict(momentum=0.9), dict(momentum=0.5, dampening=0.25)])
def test_sgd_group_update_is_torchs_bit_for_bit(restore_backend, split, monkeypatch, backend,
                                                dtype, count, options):
    """A group of many parameters (a CNN's, and odd shapes: a 0-d one, a single number) takes
    :func:`kernels.optim.momentum_steps` — with the compiled kernels, eight parameters a call —
    once every buffer exists: twenty steps are torch's, parameters and buffers, bit for bit.
    The compiled group kernel must have done the work from the second step on."""
    import torch
    from tinygrad_sgd.kernels.compiled import optim as fast_optim
    if backend == "numba" and not numba_available():
        pytest.skip("numba not importable")
    kernels.set_backend(backend)
    taken = []
    if backend == "numba":
        real = fast_optim.momentum_steps
        monkeypatch.setattr(fast_optim, "momentum_steps",
                            lambda *a: taken.append(real(*a)) or taken[-1])
    rng = np.random.default_rng(7)
    shapes = GROUP_SHAPES[:count]
    starts = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(20)]
    grads[3][0].reshape(-1)[:3] = [np.nan, np.inf, -0.0]
    results = []
    for lib in (tg, torch):
        params = [lib.tensor(a.copy(), requires_grad=True) for a in starts]
        opt = lib.optim.SGD(params, lr=0.05, **options)
        versions = [p._version for p in params]
        for step in grads:
            for p, g in zip(params, step):
                p.grad = lib.tensor(g)
            with np.errstate(all="ignore"):
                opt.step()
        assert [p._version - v for p, v in zip(params, versions)] == [20] * count
        results.append([p.detach().numpy().copy() for p in params] +
                       [opt.state[p]["momentum_buffer"].detach().numpy().copy() for p in params])
    for a, b in zip(*results):
        assert a.dtype == b.dtype and np.array_equal(bits(a), bits(b))
    if backend == "numba":
        assert taken == [True] * 19


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("case", ["mixed_dtypes", "twice_listed", "transposed", "nesterov"])
def test_sgd_group_update_falls_back_where_it_must(restore_backend, backend, case):
    """Where one call cannot take the group — float32 and float64 parameters in it, a
    parameter listed twice (torch warns; both updates happen, in order), a transposed (not
    C-contiguous) parameter, Nesterov — each parameter is updated on its own: still torch's
    numbers, bit for bit."""
    import torch
    if backend == "numba" and not numba_available():
        pytest.skip("numba not importable")
    kernels.set_backend(backend)
    rng = np.random.default_rng(11)
    starts = [rng.standard_normal((5, 3)), rng.standard_normal(4)]
    dtypes = [np.float32, np.float64] if case == "mixed_dtypes" else [np.float32] * 2
    starts = [a.astype(d) for a, d in zip(starts, dtypes)]
    grads = [[rng.standard_normal(a.shape).astype(a.dtype) for a in starts] for _ in range(6)]
    results = []
    for lib in (tg, torch):
        params = [lib.tensor(a.copy(), requires_grad=True) for a in starts]
        if case == "transposed":
            params[0] = lib.tensor(starts[0].T.copy()).t().requires_grad_()
            grads_used = [[g[0].copy(), g[1]] for g in grads]
        else:
            grads_used = grads
        listed = params + [params[0]] if case == "twice_listed" else params
        options = dict(momentum=0.9, nesterov=True) if case == "nesterov" else dict(momentum=0.8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt = lib.optim.SGD(listed, lr=0.1, **options)
        for step in grads_used:
            for p, g in zip(params, step):
                p.grad = lib.tensor(g) if case != "transposed" or p is not params[0] else \
                    lib.tensor(g.T.copy()).t()
            opt.step()
        results.append([p.detach().numpy().copy() for p in params])
    for a, b in zip(*results):
        assert a.dtype == b.dtype and np.array_equal(bits(a), bits(b))
