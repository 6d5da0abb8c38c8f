"""torch.autograd.forward_ad against torch: primal values and tangents of many ops (elementwise,
reductions, matmul / linear, convolution, softmax, views, in-place ops, cat / stack, losses,
nn Modules, several dual inputs), which outputs have no tangent, tangents dropped when the level
closes, custom Functions with and without ``jvp``, and torch's errors."""
import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as TFW

import tinygrad_sgd as tg
import tinygrad_sgd.autograd.forward_ad as GFW

TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=1e-4, atol=1e-5)}
R = np.random.default_rng(0)


def arr(*shape, positive=False):
    a = R.standard_normal(shape)
    return np.abs(a) + 0.5 if positive else a


def run(lib, fw, fn, primals, tangents, dtype):
    """``fn(lib, *inputs)`` in a dual level, the inputs dual where a tangent is given: the
    primal and tangent of the result as arrays (tangent None if it has none)."""
    with fw.dual_level():
        xs = [lib.tensor(p.astype(dtype)) for p in primals]
        xs = [x if t is None else fw.make_dual(x, lib.tensor(t.astype(dtype)))
              for x, t in zip(xs, tangents)]
        out = fn(lib, *xs)
        primal, tangent = fw.unpack_dual(out)
        return (primal.detach().numpy(),
                None if tangent is None else tangent.detach().numpy())


def check(fn, primals, tangents, dtype=np.float64):
    theirs = run(torch, TFW, fn, primals, tangents, dtype)
    ours = run(tg, GFW, fn, primals, tangents, dtype)
    np.testing.assert_allclose(ours[0], theirs[0], **TOL[dtype])
    assert (ours[1] is None) == (theirs[1] is None), f"tangent {ours[1]} vs torch's {theirs[1]}"
    if theirs[1] is not None:
        assert ours[1].shape == theirs[1].shape
        np.testing.assert_allclose(ours[1], theirs[1], **TOL[dtype])


def inplace_chain(L, x, y):
    z = x.clone()
    z.mul_(y)
    z.add_(x, alpha=2.0)
    z[0] = y[1] * 3
    z[:, 1].sub_(x[:, 2])     # into a view: the base's tangent follows
    return z.relu_()


def _cross_entropy(L, x):
    return L.nn.functional.cross_entropy(x, L.tensor([0, 2, 1]))


def _nll(L, x):
    return L.nn.functional.nll_loss(x.log_softmax(1), L.tensor([3, 0, 1]))


# name: (fn, primal shapes, which inputs are dual, positive inputs)
CASES = {
    "add_broadcast": (lambda L, x, y: x + y, [(3, 4), (4,)], [1, 1]),
    "mul": (lambda L, x, y: x * y, [(3, 4), (3, 4)], [1, 0]),
    "div": (lambda L, x, y: x / y, [(3, 4), (3, 4)], [1, 1], True),
    "pow": (lambda L, x: x ** 3, [(3, 4)], [1]),
    "pow_tensor": (lambda L, x, y: x ** y, [(3, 4), (3, 4)], [1, 1], True),
    "exp_log": (lambda L, x: x.exp() + x.log(), [(3, 4)], [1], True),
    "tanh_sigmoid": (lambda L, x: x.tanh() * x.sigmoid(), [(5,)], [1]),
    "relu_gelu": (lambda L, x: L.relu(x) + L.nn.functional.gelu(x), [(4, 5)], [1]),
    "sqrt_abs": (lambda L, x: x.sqrt() + x.abs(), [(6,)], [1], True),
    "clamp_where": (lambda L, x, y: L.where(x > 0, x.clamp(-0.5, 0.5), y), [(4, 4), (4, 4)],
                    [1, 1]),
    "sum_dim": (lambda L, x: x.sum(1), [(3, 4)], [1]),
    "mean_all": (lambda L, x: x.mean(), [(3, 4)], [1]),
    "max_dim": (lambda L, x: x.max(dim=0).values, [(3, 4)], [1]),
    "logsumexp_var": (lambda L, x: x.logsumexp(1) + x.var(1), [(3, 4)], [1]),
    "norm": (lambda L, x: x.norm(), [(3, 4)], [1]),
    "matmul": (lambda L, x, w: x @ w, [(3, 4), (4, 5)], [1, 1]),
    "bmm": (lambda L, x, w: L.bmm(x, w), [(2, 3, 4), (2, 4, 5)], [0, 1]),
    "linear": (lambda L, x, w, b: L.nn.functional.linear(x, w, b), [(3, 4), (5, 4), (5,)],
               [1, 1, 1]),
    "conv2d": (lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, padding=1),
               [(2, 3, 6, 6), (4, 3, 3, 3), (4,)], [1, 1, 1]),
    "conv2d_stride": (lambda L, x, w: L.nn.functional.conv2d(x, w, stride=2),
                      [(1, 2, 7, 7), (3, 2, 3, 3)], [1, 0]),
    "pools": (lambda L, x: L.nn.functional.max_pool2d(x, 2) + L.nn.functional.avg_pool2d(x, 2),
              [(2, 3, 6, 6)], [1]),
    "softmax": (lambda L, x: x.softmax(1), [(3, 5)], [1]),
    "log_softmax": (lambda L, x: L.nn.functional.log_softmax(x, dim=-1), [(3, 5)], [1]),
    "reshape_transpose": (lambda L, x: x.reshape(4, 3).t() * 2, [(3, 4)], [1]),
    "permute_unsqueeze": (lambda L, x: x.permute(2, 0, 1).unsqueeze(0), [(2, 3, 4)], [1]),
    "slice": (lambda L, x: x[1:, ::2], [(4, 5)], [1]),
    "index_tensor": (lambda L, x: x[L.tensor([2, 0, 2])], [(4, 5)], [1]),
    "expand_flatten": (lambda L, x: x.expand(3, 4, 2).flatten(), [(1, 4, 2)], [1]),
    "cat_stack": (lambda L, x, y: L.cat([L.stack([x, y]), x.unsqueeze(0)]), [(3, 2), (3, 2)],
                  [1, 1]),
    "cat_one_dual": (lambda L, x, y: L.cat([x, y], dim=1), [(3, 2), (3, 4)], [0, 1]),
    "inplace": (inplace_chain, [(3, 4), (3, 4)], [1, 1]),
    "inplace_plain_target": (lambda L, x, y: L.zeros(3, 4, dtype=x.dtype).add_(x * y),
                             [(3, 4), (3, 4)], [0, 1]),
    "setitem_plain_target": (lambda L, x: _set_row(L.zeros(3, 4, dtype=x.dtype), x),
                             [(4,)], [1]),
    "mse_loss": (lambda L, x, y: L.nn.functional.mse_loss(x, y), [(3, 4), (3, 4)], [1, 1]),
    "cross_entropy": (_cross_entropy, [(3, 4)], [1]),
    "nll_log_softmax": (_nll, [(3, 4)], [1]),
    "bce_logits": (lambda L, x, y: L.nn.functional.binary_cross_entropy_with_logits(
        x, y.sigmoid()), [(3, 4), (3, 4)], [1, 1]),
    "smooth_l1": (lambda L, x, y: L.nn.functional.smooth_l1_loss(x, y), [(3, 4), (3, 4)],
                  [1, 0]),
    "cast_and_fill": (lambda L, x: x.to(L.float32).double() + L.full_like(x, 2.0),
                      [(3, 4)], [1]),
    "split_unbind": (lambda L, x: x.split(2, dim=1)[1].sum() + x.unbind(0)[2].sum(),
                     [(3, 5)], [1]),
    "inplace_reshape": (lambda L, x: _t_in_place(x.clone()), [(3, 4)], [1]),
    "sdpa": (lambda L, q: L.nn.functional.scaled_dot_product_attention(q, q * 2, q.sin()),
             [(2, 3, 4)], [1]),
    "layer_norm": (lambda L, x, w: L.nn.functional.layer_norm(x, (4,), w), [(3, 4), (4,)],
                   [1, 1]),
}


def _t_in_place(z):
    z.t_()
    return z.unsqueeze_(0) * 2


def _set_row(z, x):
    z[1] = x
    return z


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", list(CASES))
def test_op_tangent_matches_torch(name, dtype):
    fn, shapes, dual, *positive = CASES[name]
    primals = [arr(*s, positive=bool(positive)) for s in shapes]
    tangents = [arr(*s) if d else None for s, d in zip(shapes, dual)]
    check(fn, primals, tangents, dtype)


# ----------------------------------------------------------------------------- nn Modules
def _mlp(L):
    return L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 3))


def _convnet(L):
    return L.nn.Sequential(L.nn.Conv2d(1, 4, 3, padding=1), L.nn.ReLU(), L.nn.MaxPool2d(2),
                           L.nn.Flatten(), L.nn.Linear(4 * 3 * 3, 5), L.nn.LogSoftmax(1))


def _twin(make, dtype):
    theirs = make(torch).to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = make(tg).to(tg.float64 if dtype == np.float64 else tg.float32)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("make,shape", [(_mlp, (5, 4)), (_convnet, (2, 1, 6, 6))],
                         ids=["mlp", "convnet"])
def test_module_forward_with_dual_input(make, shape, dtype):
    ours, theirs = _twin(make, dtype)
    models = {tg: ours, torch: theirs}
    check(lambda L, x: models[L](x), [arr(*shape)], [arr(*shape)], dtype)


def test_backward_inside_a_level_gives_torchs_gradients():
    """Ops keep what their backward needs and run it for the tangent; a later backward
    through the same nodes is unchanged."""
    ours, theirs = _twin(_convnet, np.float64)
    x, t = arr(2, 1, 6, 6), arr(2, 1, 6, 6)
    got = []
    for lib, fw, model in ((torch, TFW, theirs), (tg, GFW, ours)):
        with fw.dual_level():
            loss = (model(fw.make_dual(lib.tensor(x), lib.tensor(t))) ** 2).sum()
            tangent = fw.unpack_dual(loss).tangent
            loss.backward()
        got.append([tangent.detach().numpy()] + [p.grad.numpy() for p in model.parameters()])
    for ours_a, theirs_a in zip(got[1], got[0]):
        np.testing.assert_allclose(ours_a, theirs_a, **TOL[np.float64])


def test_module_with_dual_parameters_as_in_the_tutorial():
    """The tutorial's two ways: parameters replaced by dual tensors, and functional_call."""
    ours, theirs = _twin(_mlp, np.float64)
    x = arr(5, 4)
    tangents = {k: arr(*v.shape) for k, v in theirs.named_parameters()}
    results = []
    for lib, fw, model, call in ((torch, TFW, theirs, torch.func.functional_call),
                                 (tg, GFW, ours, tg.func.functional_call)):
        with fw.dual_level():
            duals = {k: fw.make_dual(p.detach(), lib.tensor(tangents[k]))
                     for k, p in model.named_parameters()}
            a = fw.unpack_dual(call(model, duals, (lib.tensor(x),))).tangent
            for name, d in duals.items():
                owner, leaf = name.rsplit(".", 1)
                mod = model.get_submodule(owner)
                delattr(mod, leaf)
                setattr(mod, leaf, d)
            b = fw.unpack_dual(model(lib.tensor(x))).tangent
        results.append((a.detach().numpy(), b.detach().numpy()))
    for ours_t, theirs_t in zip(results[1], results[0]):
        np.testing.assert_allclose(ours_t, theirs_t, **TOL[np.float64])
    np.testing.assert_allclose(results[1][0], results[1][1], **TOL[np.float64])


# ----------------------------------------------------------------------------- no tangent
@pytest.mark.parametrize("lib,fw", [(torch, TFW), (tg, GFW)], ids=["torch", "ours"])
def test_which_results_have_no_tangent(lib, fw):
    p, t = lib.tensor(arr(3, 4)), lib.tensor(arr(3, 4))
    with fw.dual_level():
        x = fw.make_dual(p, t)
        assert fw.unpack_dual(x).tangent is t and fw.unpack_dual(x).primal is not p
        assert fw.unpack_dual(p).tangent is None
        assert fw.unpack_dual(fw.make_dual(p, t.t().contiguous().t())).tangent is not t
        assert fw.unpack_dual(x.argmax()).tangent is None
        assert fw.unpack_dual(x > 0).tangent is None
        assert fw.unpack_dual(x.max(dim=1).indices).tangent is None
        assert fw.unpack_dual(p * 2).tangent is None
        assert fw.unpack_dual(x.detach()).tangent is None
        assert fw.unpack_dual(x.sign()).tangent.abs().sum().item() == 0
        assert fw.unpack_dual(lib.arange(4) * x).tangent is not None
        with lib.no_grad():
            y = x * 2
        assert fw.unpack_dual(y).tangent is not None
        view = x.t()
        assert fw.unpack_dual(view).tangent.shape == (4, 3)
    assert fw.unpack_dual(x).tangent is None and fw.unpack_dual(y).tangent is None
    out = fw.unpack_dual(x)
    assert out.primal is x and out == (x, None) and type(out).__name__ == "UnpackedDualTensor"
    assert fw.unpack_dual(x, level=0).tangent is None
    with fw.dual_level():
        assert fw.unpack_dual(p, level=1).tangent is None
        with pytest.raises(RuntimeError, match="Invalid level given to _fw_primal"):
            fw.unpack_dual(fw.make_dual(p, t), level=1)


def test_inplace_into_a_view_changes_the_base_tangent():
    with GFW.dual_level():
        t = tg.randn(3, 4, dtype=tg.float64)
        x = GFW.make_dual(tg.randn(3, 4, dtype=tg.float64), t).clone()
        x[0].mul_(2)
        np.testing.assert_allclose(GFW.unpack_dual(x).tangent[0].numpy(), 2 * t[0].numpy())
        z = tg.zeros(3, 4, dtype=tg.float64)
        z[1].copy_(GFW.make_dual(tg.zeros(4, dtype=tg.float64), t[2]))
        np.testing.assert_allclose(GFW.unpack_dual(z).tangent.numpy()[[0, 2]], 0)
        np.testing.assert_allclose(GFW.unpack_dual(z).tangent[1].numpy(), t[2].numpy())


def test_primal_and_dual_keep_gradients_flowing_and_tangents_are_differentiable():
    grads, a = [], arr(4)
    for lib, fw in ((torch, TFW), (tg, GFW)):
        p = lib.tensor(a, requires_grad=True)
        with fw.dual_level():
            x = fw.make_dual(p, lib.tensor(np.arange(4.0)))
            y = (x ** 3).sum()
            assert x.requires_grad and fw.unpack_dual(x).primal.requires_grad
            tangent = fw.unpack_dual(y).tangent        # 3 p^2 · v
            tangent.backward()                         # d/dp: 6 p · v
        grads.append(p.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], **TOL[np.float64])


def test_tangent_of_another_float_dtype_is_kept_as_torch_keeps_it():
    with GFW.dual_level():
        t = tg.randn(3)
        x = GFW.make_dual(tg.randn(3, dtype=tg.float64), t)
        assert GFW.unpack_dual(x).tangent is t
        assert GFW.unpack_dual(x * 2).tangent.dtype == tg.float64
        y = GFW.make_dual(tg.randn(3), tg.randn(3, dtype=tg.float64))
        assert GFW.unpack_dual(y.exp() * 2).tangent.dtype == tg.float64     # (torch's too)


# ----------------------------------------------------------------------------- custom Functions
def _functions(L):
    class Exp(L.autograd.Function):          # the tutorial's: forward and jvp only
        @staticmethod
        def forward(ctx, foo):
            result = L.exp(foo)
            ctx.result = result
            return result

        @staticmethod
        def jvp(ctx, g):
            out = g * ctx.result
            del ctx.result
            return out

    class Prod(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_forward(x, y)
            ctx.k = k
            return x * y * k

        @staticmethod
        def jvp(ctx, x_t, y_t, _):
            x, y = ctx.saved_tensors
            return ctx.k * (y * x_t + x * y_t)

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    class NoJvp(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    return Exp, Prod, NoJvp


def test_custom_function_jvp_and_its_absence():
    got, arrays = [], [arr(3, 2) for _ in range(3)]
    for lib, fw in ((torch, TFW), (tg, GFW)):
        Exp, Prod, NoJvp = _functions(lib)
        p, q, t = (lib.tensor(a) for a in arrays)
        with fw.dual_level():
            x = fw.make_dual(p, t)
            a = fw.unpack_dual(Exp.apply(x)).tangent
            b = fw.unpack_dual(Prod.apply(x, q, 3.0)).tangent
            c = fw.unpack_dual(Prod.apply(q, x, 3.0)).tangent
            assert fw.unpack_dual(NoJvp.apply(p)).tangent is None
            with pytest.raises(NotImplementedError, match="You must implement the jvp function "
                               "for custom autograd.Function to use it with forward mode AD."):
                NoJvp.apply(x)
        got.append([v.numpy() for v in (a, b, c)])
        with pytest.raises(NotImplementedError, match="You must implement either the backward"):
            Exp.apply(lib.tensor(arr(2), requires_grad=True)).sum().backward()
    for ours, theirs in zip(got[1], got[0]):
        np.testing.assert_allclose(ours, theirs, **TOL[np.float64])


def test_func_jvp_agrees_with_forward_ad():
    p, t = tg.tensor(arr(3, 4)), tg.tensor(arr(3, 4))
    f = lambda x: (x.sin() @ x.t()).softmax(1)    # noqa: E731
    _, expected = tg.func.jvp(f, (p,), (t,))
    with GFW.dual_level():
        got = GFW.unpack_dual(f(GFW.make_dual(p, t))).tangent
        _, inside = tg.func.jvp(f, (p,), (t,))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), **TOL[np.float64])
    np.testing.assert_allclose(inside.numpy(), expected.numpy(), **TOL[np.float64])


# ----------------------------------------------------------------------------- errors
def _errors(lib, fw):
    p = lib.tensor(arr(3, 4))
    yield RuntimeError, lambda: fw.make_dual(p, lib.ones(3, 4))
    yield RuntimeError, lambda: fw.make_dual(p, p, level=0)
    with fw.dual_level():
        yield RuntimeError, lambda: fw.make_dual(p, lib.ones(4, 3, dtype=lib.float64))
        yield ValueError, lambda: fw.make_dual(lib.arange(3), lib.ones(3))
        yield ValueError, lambda: fw.make_dual(p, lib.ones(3, 4, dtype=lib.int64))
        yield RuntimeError, lambda: fw.make_dual(fw.make_dual(p, p), p)
        yield RuntimeError, lambda: fw.make_dual(p, p, level=1)
        yield RuntimeError, fw.enter_dual_level
        yield TypeError, lambda: fw.unpack_dual(3.0)
        yield RuntimeError, lambda: fw.exit_dual_level(level=3)
    yield RuntimeError, fw.exit_dual_level


def test_errors_are_torchs():
    theirs = []
    for kind, call in _errors(torch, TFW):
        with pytest.raises(kind) as e:
            call()
        theirs.append(str(e.value))
    ours = []
    for kind, call in _errors(tg, GFW):
        with pytest.raises(kind) as e:
            call()
        ours.append(str(e.value).replace("tinygrad_sgd.", "torch."))
    assert ours == theirs


def test_dual_level_as_decorator_and_torch_names():
    @GFW.dual_level()
    def inside():
        return GFW.unpack_dual(GFW.make_dual(tg.ones(2), tg.ones(2)) * 3).tangent

    assert inside().tolist() == [3.0, 3.0]
    assert GFW.__all__ == TFW.__all__
    assert tg.autograd.forward_ad is GFW


def test_gradcheck_checks_forward_ad_as_in_the_tutorial():
    Exp, _, _ = _functions(tg)
    x = tg.tensor(arr(3, 2), requires_grad=True)
    assert tg.autograd.gradcheck(Exp.apply, (x,), check_forward_ad=True, check_backward_ad=False,
                                 check_undefined_grad=False, check_batched_grad=False)
    assert tg.autograd.gradcheck(lambda a: (a * a.sin()).sum(0), (x,), check_forward_ad=True)

    class WrongJvp(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def jvp(ctx, g):
            return g * 3
    with pytest.raises(tg.GradcheckError, match="forward AD disagrees"):
        tg.autograd.gradcheck(WrongJvp.apply, (x,), check_forward_ad=True,
                              check_backward_ad=False)


@pytest.mark.parametrize("lib,fw", [(torch, TFW), (tg, GFW)], ids=["torch", "ours"])
def test_repr_and_saved_tensors_hooks(lib, fw):
    calls = []
    with fw.dual_level():
        x = fw.make_dual(lib.ones(2), lib.ones(2) * 2)
        assert repr(x * 3).endswith("tangent=tensor([6., 6.]))")
        with lib.autograd.graph.saved_tensors_hooks(lambda v: calls.append(v) or v, lambda v: v):
            y = x * x.exp()                # nothing requires grad: nothing is saved
    assert calls == [] and fw.unpack_dual(y).tangent is None


# ops whose backward branches on the gradient's sign or takes log|g| (not differentiable at a
# zero cotangent: the trick's dummy cotangent is ones), and more of torch's surface
MORE = {
    "logcumsumexp": lambda L, x: L.logcumsumexp(x, 0),
    "logcumsumexp_2d": lambda L, x: L.logcumsumexp(x.view(2, 3), 1),
    "cummax": lambda L, x: L.cummax(x, 0)[0],
    "median": lambda L, x: x.median(),
    "kthvalue": lambda L, x: L.kthvalue(x, 2)[0],
    "sort": lambda L, x: L.sort(x)[0],
    "masked_select": lambda L, x: x.masked_select(x > 0),
    "diff": lambda L, x: L.diff(x),
    "cov": lambda L, x: L.cov(x.view(2, 3)),
    "repeat_interleave": lambda L, x: x.repeat_interleave(2),
    "renorm": lambda L, x: x.view(2, 3).renorm(2, 0, 1.0),
    "det": lambda L, x: L.linalg.det(x[:4].view(2, 2)),
    "vander": lambda L, x: L.vander(x, 3),
    "kron": lambda L, x: L.kron(x, x),
    "interpolate": lambda L, x: L.nn.functional.interpolate(x.view(1, 1, 6), size=9,
                                                           mode="linear"),
    "unfold": lambda L, x: x.unfold(0, 2, 1),
    "std": lambda L, x: x.std(),
    "prod_cumprod": lambda L, x: x.prod() + x.cumprod(0).sum(),
}


@pytest.mark.parametrize("name", list(MORE))
def test_more_ops_tangents_match_torch(name):
    check(MORE[name], [np.array([0.3, -1.2, 2.5, 0.7, -0.4, 1.9])], [arr(6)])


NO_FORWARD_AD = {     # torch's NotImplementedError (a tangent of None would be silently wrong)
    "unique": lambda L, d: L.unique(d),
    "unique_counts": lambda L, d: L.unique(d, return_counts=True),
    "unique_consecutive": lambda L, d: L.unique_consecutive(d),
    "unique_dim": lambda L, d: L.unique(d.view(2, 2), dim=0),
    "cdist": lambda L, d: L.cdist(d.view(2, 2), d.view(2, 2)),
    "cdist_one_side": lambda L, d: L.cdist(L.ones(2, 2), d.view(2, 2)),
    "bincount_weights": lambda L, d: L.bincount(L.tensor([0, 1, 1, 3]), weights=d),
    "histogram": lambda L, d: L.histogram(d, 3),
    "histogram_weight": lambda L, d: L.histogram(L.ones(4), 3, weight=d),
    "histogramdd": lambda L, d: L.histogramdd(d.view(2, 2), bins=2),
    "heaviside": lambda L, d: L.heaviside(d, L.tensor(0.5)),
    "remainder_of_number": lambda L, d: L.remainder(2.0, d),
    "floor_divide": lambda L, d: L.floor_divide(d, 2.0),
}


@pytest.mark.parametrize("name", list(NO_FORWARD_AD))
def test_functions_without_forward_ad_raise_torchs_error(name):
    messages = []
    for lib, fw in ((torch, TFW), (tg, GFW)):
        with fw.dual_level():
            d = fw.make_dual(lib.tensor([3.0, 1.0, 3.0, 2.0]), lib.ones(4))
            with pytest.raises(NotImplementedError) as e:
                NO_FORWARD_AD[name](lib, d)
        messages.append(str(e.value))
    assert messages[0] == messages[1]
    x = tg.tensor([3.0, 1.0, 3.0, 2.0])       # without a tangent (or a level) they still run
    with GFW.dual_level():
        NO_FORWARD_AD[name](tg, x)
