"""Backward-pass edges, each program run on torch (the oracle) and on tinygrad_sgd and compared:
values, first and second derivatives, error classes and torch's first line.

1. backward twice through ``mean``, ``tril``, ``triu`` (which save nothing in torch: a second
   backward without ``retain_graph`` works) and double backward through them;
2. piecewise-linear ops under ``create_graph``: the first derivative depends on grad_output
   (d/d grad_output) and on the weights before the op (a gradient penalty's ``W.grad``);
3. ``gradcheck``/``gradgradcheck`` check the dtype they are given (no float64 copies): torch's
   UserWarning for a non-double input, and its verdict;
4. custom Functions: ``ctx.mark_dirty`` (in place), the ``setup_context`` style,
   ``ctx.set_materialize_grads``; ``autograd.graph.saved_tensors_hooks``;
5. ``det``'s gradient at singular (rank n−1, n−2) and near-singular matrices.
"""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = (torch, tg)
RNG = np.random.default_rng(7)


def outcome(fn, lib):
    """``fn(lib)`` as a list of float64 arrays (None kept), or the exception it raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = fn(lib)
        except Exception as e:          # noqa: BLE001  (compared with torch's below)
            return e
    out = out if isinstance(out, (list, tuple)) else [out]
    return [None if o is None else np.asarray(o.detach().numpy() if hasattr(o, "detach")
                                              else o, dtype=np.float64) for o in out]


def assert_same_outcome(fn, rtol=1e-12, atol=1e-12, message=True):
    """Same values (or torch's error class and, with ``message``, its first line)."""
    theirs, ours = (outcome(fn, lib) for lib in LIBS)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {theirs!r}, we returned {ours}"
        assert isinstance(ours, type(theirs)), (ours, theirs)
        if message:
            assert str(ours).split("\n")[0] == str(theirs).split("\n")[0]
        return
    assert not isinstance(ours, Exception), f"we raised {ours!r}, torch gave {theirs}"
    assert len(ours) == len(theirs)
    for a, b in zip(theirs, ours):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.shape == b.shape
            np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, equal_nan=True)


# ================================================================= 1. mean / tril / triu twice
X33 = RNG.standard_normal((3, 4))

PROGRAMS = {                                   # f(L, x) -> a scalar
    "mean": lambda L, x: x.mean(),
    "mean_dim": lambda L, x: x.mean(0).sum(),
    "mean_keepdim_sq": lambda L, x: (x.mean(1, keepdim=True) ** 2).sum(),
    "mean_float16": lambda L, x: x.half().mean().float(),
    "tril": lambda L, x: L.tril(x).sum(),
    "tril_k": lambda L, x: (L.tril(x, -1) * 3).sum(),
    "triu": lambda L, x: L.triu(x).sum(),
    "triu_k": lambda L, x: x.triu(2).sum(),
    "tril_sq": lambda L, x: (L.tril(x) ** 2).sum(),        # saves: the second backward raises
    "tril_mean": lambda L, x: L.triu(L.tril(x, 1)).mean(),
    "batched_tril": lambda L, x: L.tril(x.reshape(2, 2, 3), 1).sum(),
}


def _twice(L, f, retain):
    x = L.tensor(X33, requires_grad=True)
    y = f(L, x)
    y.backward(retain_graph=retain)
    y.backward()
    return x.grad


def _double(L, f):
    x = L.tensor(X33, requires_grad=True)
    (g,) = L.autograd.grad(f(L, x) * (x ** 2).sum(), x, create_graph=True)
    (gg,) = L.autograd.grad((g * g).sum(), x)
    return g, gg


@pytest.mark.parametrize("name", PROGRAMS)
@pytest.mark.parametrize("retain", [False, True])
def test_backward_twice(name, retain):
    assert_same_outcome(lambda L: _twice(L, PROGRAMS[name], retain), rtol=1e-6 if "16" in name
                        else 1e-12)


@pytest.mark.parametrize("name", PROGRAMS)
def test_double_backward(name):
    half = "16" in name                      # (float16's rounding: a looser comparison)
    assert_same_outcome(lambda L: _double(L, PROGRAMS[name]), rtol=1e-3 if half else 1e-12,
                        atol=2e-3 if half else 1e-12)


@pytest.mark.parametrize("op", ["tril", "triu"])
def test_triangle_of_a_vector_is_torchs_error(op):
    assert_same_outcome(lambda L: getattr(L, op)(L.tensor([1.0, 2.0], requires_grad=True)))


# ================================================================= 2. piecewise-linear ops
def _F(L):
    return L.nn.functional


PIECEWISE = {
    "relu": lambda L, z: L.relu(z),
    "leaky_relu": lambda L, z: _F(L).leaky_relu(z, 0.1),
    "hardtanh": lambda L, z: _F(L).hardtanh(z, -0.5, 0.5),
    "relu6": lambda L, z: _F(L).relu6(z * 3),
    "clamp": lambda L, z: L.clamp(z, -0.5, 0.5),
    "clamp_min": lambda L, z: z.clamp(min=-0.3),
    "clip_tensor": lambda L, z: L.clip(z, L.tensor(-0.5, dtype=L.float64),
                                       L.tensor(0.5, dtype=L.float64)),
    "abs": lambda L, z: z.abs(),
    "max_dim": lambda L, z: z.max(dim=1)[0],
    "min_all": lambda L, z: z.min(),
    "amax": lambda L, z: z.amax(1),
    "maximum": lambda L, z: L.maximum(z, z.flip(0)),
    "minimum": lambda L, z: L.minimum(z, L.tensor(np.full((2, 4), 0.2))),
    "hardshrink": lambda L, z: _F(L).hardshrink(z, 0.5),
    "softshrink": lambda L, z: _F(L).softshrink(z, 0.5),
    "threshold": lambda L, z: _F(L).threshold(z, 0.1, 20.0),
}
W0, X0 = RNG.standard_normal((4, 3)), RNG.standard_normal((2, 3))


def _penalty(L, op):
    """``g = ∂ Σ c·f(W x) / ∂x`` with create_graph, then ``Σ g²`` backward: W.grad."""
    W, x = L.tensor(W0, requires_grad=True), L.tensor(X0, requires_grad=True)
    y = PIECEWISE[op](L, x @ W.T)
    c = L.tensor(np.linspace(-1.0, 2.0, y.numel()).reshape(tuple(y.shape)))
    (g,) = L.autograd.grad((y * c).sum() + (y * y).sum(), x, create_graph=True)
    (g ** 2).sum().backward()
    return g, W.grad, x.grad


def _by_grad_output(L, op):
    """d⟨g, x⟩/d grad_output, g the gradient of f(W x) for grad_output."""
    x = L.tensor(X0, requires_grad=True)
    y = PIECEWISE[op](L, x @ L.tensor(W0).T)
    go = L.tensor(np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)), requires_grad=True)
    (g,) = L.autograd.grad(y, x, go, create_graph=True)
    (r,) = L.autograd.grad((g * L.tensor(X0)).sum(), go)
    return g, r


@pytest.mark.parametrize("op", PIECEWISE)
def test_piecewise_gradient_penalty(op):
    assert_same_outcome(lambda L: _penalty(L, op))


@pytest.mark.parametrize("op", PIECEWISE)
def test_piecewise_derivative_by_grad_output(op):
    assert_same_outcome(lambda L: _by_grad_output(L, op))


# ================================================================= 3. gradcheck's dtypes
def _gradcheck(L, dtype, check, raise_exception):
    x = L.tensor([0.3, -1.2, 0.7], dtype=getattr(L, dtype), requires_grad=True)
    y = L.tensor([1.5, 0.5, -2.0], dtype=L.float64)
    fn = getattr(L.autograd, check)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            verdict = fn(lambda a: (a * a * 3.0).sum() if dtype != "float64" or check
                         == "gradcheck" else a ** 3, (x,), raise_exception=raise_exception)
        except Exception as e:           # noqa: BLE001
            verdict = (type(e).__name__, str(e).split("\n")[0])
    return verdict, [(w.category, str(w.message)) for w in caught], x.dtype, x.tolist(), y


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("raise_exception", [True, False])
def test_gradcheck_checks_the_dtype_it_is_given(dtype, check, raise_exception):
    if dtype == "float16" and check == "gradgradcheck":
        pytest.skip("torch's gradgradcheck draws float16 grad_outputs its own way")
    theirs = _gradcheck(torch, dtype, check, raise_exception)
    ours = _gradcheck(tg, dtype, check, raise_exception)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]                       # torch's UserWarning, once per input
    assert str(ours[2]).split(".")[-1] == str(theirs[2]).split(".")[-1]
    assert ours[3] == theirs[3]                       # the input is put back as it was


def test_gradcheck_without_an_input_requiring_grad_is_torchs_error():
    assert_same_outcome(lambda L: L.autograd.gradcheck(lambda t: t * 2,
                                                       (L.tensor([1.0], dtype=L.float64),)))


def test_gradcheck_keeps_the_callers_grad():
    for L in LIBS:
        x = L.tensor([0.5, 1.5], dtype=L.float64, requires_grad=True)
        x.grad = L.tensor([7.0, 8.0], dtype=L.float64)
        assert L.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        assert x.grad.tolist() == [7.0, 8.0]


# ================================================================= 4. custom Functions
def _mark_dirty_fn(L, returned="x"):
    class MulTwo_(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            x.mul_(2)
            return x if returned == "x" else x.clone()

        @staticmethod
        def backward(ctx, g):
            return g * 2
    return MulTwo_


def _dirty(L, case):
    a = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
    MulTwo_ = _mark_dirty_fn(L, "clone" if case == "not_returned" else "x")
    if case == "leaf":
        MulTwo_.apply(a)
    if case == "not_returned":
        MulTwo_.apply(a.clone())
    if case == "plain":
        b = a.clone()
        y = MulTwo_.apply(b)
        assert y is b and y.grad_fn is not None and "MulTwo_Backward" in str(y.grad_fn)
        (y * y).sum().backward()
        return y, a.grad
    if case == "twice":
        b = a * 1.5
        y = MulTwo_.apply(MulTwo_.apply(b))
        (y ** 3).sum().backward()
        return y, a.grad
    if case == "view":                      # the base's graph is rewired (CopySlices)
        c = a.clone()
        v = c[1:]
        y = MulTwo_.apply(v)
        assert y is v
        (c * L.tensor([1.0, 2.0, 3.0])).sum().backward()
        return c, y, a.grad
    if case == "saved_before":             # a node that saved b sees it changed: torch's error
        b = a.clone()
        z = b * b
        MulTwo_.apply(b)
        z.sum().backward()
    if case == "no_grad_input":
        b = L.tensor([1.0, 2.0])
        y = MulTwo_.apply(b)
        assert y is b and not y.requires_grad
        return y
    if case == "double":
        b = a.clone()
        y = MulTwo_.apply(b)
        (g,) = L.autograd.grad((y ** 3).sum(), a, create_graph=True)
        (gg,) = L.autograd.grad(g.sum(), a)
        return g, gg


@pytest.mark.parametrize("case", ["plain", "twice", "view", "leaf", "not_returned",
                                  "saved_before", "no_grad_input", "double"])
def test_mark_dirty(case):
    # (the in-place error names the tensor in the library's words)
    assert_same_outcome(lambda L: _dirty(L, case), message=case != "saved_before")


def _setup_context_fns(L):
    class MulSC(L.autograd.Function):          # torch's documented example, two inputs
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, y = inputs
            ctx.save_for_backward(x, y)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    class ScaleSC(L.autograd.Function):        # a non-tensor argument; the output saved
        @staticmethod
        def forward(x, k):
            return (x * k).exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out * ctx.k, None

    class SplitSC(L.autograd.Function):        # two outputs
        @staticmethod
        def forward(x):
            return x.sin(), x.cos()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, gs, gc):
            (x,) = ctx.saved_tensors
            return gs * x.cos() - gc * x.sin()
    return MulSC, ScaleSC, SplitSC


def _setup_context(L, case):
    MulSC, ScaleSC, SplitSC = _setup_context_fns(L)
    a = L.tensor([0.5, -1.0, 2.0], dtype=L.float64, requires_grad=True)
    b = L.tensor([1.5, 2.0, -0.5], dtype=L.float64, requires_grad=True)
    if case == "mul":
        y = MulSC.apply(a, b)
    elif case == "scale":
        y = ScaleSC.apply(a, 0.7)
    else:
        s, c = SplitSC.apply(a)
        y = s * 2 + c * c
    (ga, gb) = L.autograd.grad((y * y).sum(), (a, b), create_graph=True, allow_unused=True)
    (gg,) = L.autograd.grad(ga.sum(), a)
    return y, ga, gb, gg


@pytest.mark.parametrize("case", ["mul", "scale", "split"])
def test_setup_context_style(case):
    assert_same_outcome(lambda L: _setup_context(L, case))


def _materialize(L, materialize):
    seen = []

    class Two(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            return g1 if g2 is None else g1 + g2 * 3
    a = L.tensor([1.0, 2.0], requires_grad=True)
    o1, _ = Two.apply(a)
    (o1 * 2).sum().backward()
    return a.grad, np.array(seen, dtype=float)


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads(materialize):
    assert_same_outcome(lambda L: _materialize(L, materialize))


def _hooks(L, case):
    log = []

    def pack(t):
        log.append(("pack", tuple(t.shape)))
        return (t.detach() * 1.0, "kept")

    def unpack(p):
        log.append(("unpack", tuple(p[0].shape)))
        return p[0] * 2 if case == "doubling" else p[0]

    class Cube(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x
    a = L.tensor([1.0, 2.0], requires_grad=True)
    b = L.tensor([3.0, -1.0, 0.5], requires_grad=True)
    if case == "nested":                 # the innermost pair is the one used
        with L.autograd.graph.saved_tensors_hooks(lambda t: 1 / 0, lambda p: 1 / 0):
            with L.autograd.graph.saved_tensors_hooks(pack, unpack):
                y = Cube.apply(a).sum()
    elif case == "disabled":
        with L.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with L.autograd.graph.saved_tensors_hooks(pack, unpack):
                pass
    elif case == "outside":             # saved outside: no hook; inside backward: none either
        y = Cube.apply(a).sum()
        with L.autograd.graph.saved_tensors_hooks(pack, unpack):
            y.backward()
        return a.grad, np.array([len(log)], float)
    elif case == "in_place_after":      # a saved tensor changed in place: still refused
        c = a.clone()
        with L.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = Cube.apply(c).sum()
        c.add_(1)
    else:
        with L.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = Cube.apply(Cube.apply(a)).sum() if case == "two_calls" \
                else Cube.apply(a).sum()
    if case == "retain":
        y.backward(retain_graph=True)
    y.backward()
    kinds = np.array([[k == "pack", n[0]] for k, n in log], dtype=float)
    return a.grad, b.grad, kinds.reshape(-1, 2)


@pytest.mark.parametrize("case", ["plain", "doubling", "retain", "two_calls", "nested",
                                  "disabled", "outside", "in_place_after"])
def test_saved_tensors_hooks_on_custom_functions(case):
    assert_same_outcome(lambda L: _hooks(L, case))


def _hooks_builtin(L, doubling):
    """torch's documentation example: ``a * b`` saves both inputs (both require grad)."""
    log = []

    def pack(t):
        log.append("pack")
        return t

    def unpack(t):
        log.append("unpack")
        return t * 2 if doubling else t
    a = L.ones(5, requires_grad=True)
    b = L.ones(5, requires_grad=True) * 2
    with L.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = a * b
    y.sum().backward()
    return a.grad, np.array([s == "pack" for s in log], float)


@pytest.mark.parametrize("doubling", [False, True])
def test_saved_tensors_hooks_on_a_product(doubling):
    assert_same_outcome(lambda L: _hooks_builtin(L, doubling))


def test_save_on_cpu_keeps_the_numbers():
    def run(L):
        a = L.tensor([0.5, 1.5, -2.0], requires_grad=True)
        with L.autograd.graph.save_on_cpu():
            y = (a * a * a).sum()
        y.backward()
        return a.grad
    assert_same_outcome(run)


# ================================================================= 5. det at singular matrices
SINGULAR = {
    "rank1_2x2": [[1.0, 2.0], [2.0, 4.0]],
    "rank2_3x3": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
    "zero_row": [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 5.0, 7.0]],
    "equal_rows": [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [4.0, 5.0, 7.0]],
    "rank1_3x3": np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]).tolist(),      # rank n − 2
    "two_zero_rows": [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
    "regular": [[2.0, 1.0, 0.5], [1.0, 3.0, 0.0], [0.5, 0.0, 4.0]],
    "near_singular": np.diag([1.0, 2.0, 1e-9]).tolist(),
}


def _det_plain(L, name, create_graph=False):
    """A first derivative, of one matrix and of a batch holding it."""
    a = L.tensor(SINGULAR[name], dtype=L.float64, requires_grad=True)
    b = L.stack([a, a * 2, L.eye(a.shape[0], dtype=L.float64)])
    (g,) = L.autograd.grad(L.linalg.det(a) * 3, a, create_graph=create_graph)
    (gb,) = L.autograd.grad((L.linalg.det(b) * L.tensor([1.0, 2.0, 3.0],
                                                         dtype=L.float64)).sum(), a,
                            create_graph=create_graph)
    return g, gb


def _det_create_graph(L, name):
    """Under create_graph: the SVD path (the cofactor matrix), and its derivative."""
    a = L.tensor(SINGULAR[name], dtype=L.float64, requires_grad=True)
    (g,) = L.autograd.grad(L.linalg.det(a), a, create_graph=True)
    (gg,) = L.autograd.grad((g * L.tensor(np.arange(g.numel(), dtype=np.float64)
                                          .reshape(tuple(g.shape)))).sum(), a)
    return g, gg


@pytest.mark.parametrize("name", SINGULAR)
def test_det_gradient_plain_backward(name):
    """A plain backward gives the cofactor matrix at a singular matrix too: torch's
    differentiable path's values. (torch's own plain backward gives 0 where its LU finds an
    exact zero pivot, pytorch issue #104675: a deliberate difference, see test_linalg.py.)"""
    theirs = outcome(lambda L: _det_plain(L, name, create_graph=True), torch)
    ours = outcome(lambda L: _det_plain(L, name), tg)
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in SINGULAR if n != "two_zero_rows"])
def test_det_gradient_under_create_graph(name):
    # (two zero rows: torch's SVD formula gives NaN there, and so does ours; compared below)
    # (near singular: det·A⁻ᵀ's second derivative is rounding noise of ~1e-6 in torch)
    assert_same_outcome(lambda L: _det_create_graph(L, name), rtol=1e-9,
                        atol=1e-5 if name == "near_singular" else 1e-9)


def test_det_second_derivative_nan_where_torch_has_nan():
    theirs, ours = (outcome(lambda L: _det_create_graph(L, "two_zero_rows"), lib)
                    for lib in LIBS)
    for a, b in zip(theirs, ours):
        assert np.array_equal(np.isnan(a), np.isnan(b))
