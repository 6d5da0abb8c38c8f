"""In-place ops on a tensor in a graph, then another in-place write into their result, then
backward — as torch. Torch's nodes of ``relu_``, ``sigmoid_``, ``exp_``, ``tanh_``,
``leaky_relu_``, ``elu_`` ... save their result, so the later write makes backward refuse
("modified by an inplace operation"); those of ``erfinv_``, ``i0_``, ``lgamma_`` ... keep their
input and go on. Ours computed each in-place op from a copy, so it went on everywhere: it must
refuse exactly where torch does, and give torch's gradients where both go on. In-place random
fills keep the tensor in the graph with a zero gradient, as torch's (``UniformBackward0``)."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

X = np.array([0.3, -0.2, 0.7, 0.1, -1.5, 0.9])

METHODS = ["relu_", "sigmoid_", "tanh_", "exp_", "exp2_", "expm1_", "sqrt_", "rsqrt_",
           "reciprocal_", "tan_", "sgn_", "sign_", "abs_", "neg_", "sin_", "cos_", "log_",
           "log1p_", "erf_", "erfc_", "erfinv_", "i0_", "lgamma_", "digamma_", "sinc_",
           "square_", "trunc_", "frac_", "floor_", "ceil_", "round_", "sinh_", "cosh_",
           "asin_", "acos_", "atan_", "logit_", "deg2rad_", "nan_to_num_"]
FUNCTIONAL = {
    "relu": lambda F, y: F.relu(y, inplace=True),
    "leaky_relu": lambda F, y: F.leaky_relu(y, 0.1, inplace=True),
    "leaky_relu_": lambda F, y: F.leaky_relu_(y),
    "elu": lambda F, y: F.elu(y, inplace=True), "elu_": lambda F, y: F.elu_(y),
    "celu": lambda F, y: F.celu(y, 0.5, inplace=True), "selu": lambda F, y: F.selu(y, True),
    "rrelu eval": lambda F, y: F.rrelu(y, training=False, inplace=True),
    "rrelu train": lambda F, y: F.rrelu(y, training=True, inplace=True),
    "hardtanh": lambda F, y: F.hardtanh(y, inplace=True),
    "relu6": lambda F, y: F.relu6(y, inplace=True),
    "threshold": lambda F, y: F.threshold(y, 0.1, 0.0, inplace=True),
    "hardsigmoid": lambda F, y: F.hardsigmoid(y, inplace=True),
    "hardswish": lambda F, y: F.hardswish(y, inplace=True),
    "silu": lambda F, y: F.silu(y, inplace=True), "mish": lambda F, y: F.mish(y, inplace=True),
    "nn.ReLU": lambda F, y: F.relu(y, inplace=True),
}
CASES = [(m, lambda F, y, m=m: getattr(y, m)()) for m in METHODS] + list(FUNCTIONAL.items())


def run(lib, call, write):
    """(error class or None, x.grad) of: y = x·1.5; r = call(y); [r.mul_(2)]; r.sum().backward()"""
    lib.manual_seed(0)                         # (rrelu's noise: torch's draws)
    x = lib.tensor(X, requires_grad=True)
    y = x * 1.5
    r = call(lib.nn.functional, y)
    assert r is y
    if write:
        r.mul_(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r.sum().backward()
        except RuntimeError as e:
            assert "modified by an inplace operation" in str(e)
            return RuntimeError, None
    return None, x.grad.numpy(force=True)


@pytest.mark.parametrize("write", [False, True], ids=["alone", "written after"])
@pytest.mark.parametrize("name, call", CASES, ids=[c[0] for c in CASES])
def test_backward_refuses_exactly_where_torch_does(name, call, write):
    ours, theirs = run(tg, call, write), run(torch, call, write)
    assert ours[0] == theirs[0]
    if ours[1] is not None:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12, equal_nan=True)


def test_the_refusal_names_the_node_and_a_second_backward_still_works_unwritten():
    x = tg.tensor(X, requires_grad=True)
    r = (x * 1.5).sigmoid_()
    r.sum().backward(retain_graph=True)
    first = x.grad.numpy().copy()
    r.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    r.add_(1)
    with pytest.raises(RuntimeError, match="output of SigmoidBackward.*is at version 2; "
                                           "expected version 1"):
        r.sum().backward()
    y = (tg.tensor(X, requires_grad=True) * 1.0)
    z = tg.nn.functional.elu_(y)
    z.zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation: the output of"):
        z.sum().backward()


FILLS = [("uniform_", ()), ("normal_", ()), ("bernoulli_", (0.5,)), ("random_", (0, 5)),
         ("exponential_", ()), ("cauchy_", ()), ("log_normal_", ()), ("geometric_", (0.5,))]


@pytest.mark.parametrize("name, args", FILLS, ids=[f[0] for f in FILLS])
def test_a_random_fill_in_a_graph_keeps_it_with_a_zero_gradient(name, args):
    results = []
    for lib in (tg, torch):
        lib.manual_seed(3)
        x = lib.tensor(X, requires_grad=True)
        w = lib.tensor(X[::-1].copy(), requires_grad=True)
        y = x * w
        r = getattr(y, name)(*args)
        assert r is y and r.requires_grad and r.grad_fn is not None
        (r * w).sum().backward()
        results.append((r.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    (v, gx, gw), (tv, tgx, tgw) = results
    np.testing.assert_array_equal(v, tv)                 # the same draws as torch's
    np.testing.assert_array_equal(gx, tgx)               # zeros: the fill cut x off
    np.testing.assert_allclose(gw, tgw, rtol=1e-12)      # r·w's gradient for w: r
    assert not gx.any()


def test_random_fill_outside_a_graph_and_under_no_grad_records_nothing():
    x = tg.tensor(X, requires_grad=True)
    with tg.no_grad():
        y = (x * 1.0).uniform_()
    assert not y.requires_grad and y.grad_fn is None
    z = tg.tensor(X).normal_()
    assert not z.requires_grad and z.grad_fn is None


VIEWS = [lambda L, y: y.t().relu_(), lambda L, y: y[:, ::2].sigmoid_(),
         lambda L, y: y[1].exp_(), lambda L, y: y.view(6, 4)[::2].tanh_(),
         lambda L, y: L.nn.functional.elu(y[:, 1:], inplace=True),
         lambda L, y: L.nn.functional.relu(y.T[2:], inplace=True)]


@pytest.mark.parametrize("k", range(len(VIEWS)))
def test_result_saving_ops_written_through_views_give_torchs_gradients(k):
    """The node then keeps the view's memory (strided) as its output: the same gradient."""
    x0 = np.random.default_rng(k).standard_normal((4, 6))
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = x * 1.5
        VIEWS[k](lib, y)
        (y * y).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_an_inplace_relu_after_pooling_gives_torchs_gradients(backend, restore_backend):
    """``nn.ReLU(inplace=True)`` after conv → max_pool: the node keeps the pooled result in the
    library's memory order as its output, and pooling's scatter applies it as relu's mask."""
    from tinygrad_sgd import kernels
    from tinygrad_sgd.kernels.backend import numba_available
    if backend == "numba" and not numba_available():
        pytest.skip("the compiled kernels need numba")
    kernels.set_backend(backend)
    for step in range(3):
        rng = np.random.default_rng(step)
        x = rng.standard_normal((8, 2, 12, 12)).astype(np.float32)
        w = rng.standard_normal((10, 2, 3, 3)).astype(np.float32)
        res = []
        for lib in (tg, torch):
            xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
            r = lib.nn.ReLU(inplace=True)(lib.nn.functional.max_pool2d(
                lib.nn.functional.conv2d(xt, wt), 2))
            (r.reshape(8, -1) ** 2).sum().backward()
            res.append((r.detach().numpy().copy(), xt.grad.numpy(), wt.grad.numpy()))
        for a, b in zip(*res):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
