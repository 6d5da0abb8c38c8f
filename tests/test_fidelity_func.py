"""torch.func where a probe of its transforms found this library's numbers differing from
torch 2.13's: every transform under inference_mode, and jvp through a custom Function's own
jvp, a no_grad block or an in-place op inside the function (jvp now runs on dual tensors)."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.autograd.function import once_differentiable as tg_once

LIBS = (torch, tg)


def _close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6, atol=1e-7)


def _transforms(L):
    f = lambda a: (a ** 3).sum()          # noqa: E731
    g = lambda a: a.sin() * a             # noqa: E731
    return {
        "grad": lambda x: L.func.grad(f)(x),
        "jacrev": lambda x: L.func.jacrev(g)(x),
        "jacfwd": lambda x: L.func.jacfwd(g)(x),
        "hessian": lambda x: L.func.hessian(f)(x),
        "vjp": lambda x: L.func.vjp(g, x)[1](L.ones(3))[0],
        "jvp": lambda x: L.func.jvp(g, (x,), (L.ones(3),))[1],
        "vmap_grad": lambda x: L.func.vmap(L.func.grad(f))(x.reshape(3, 1)),
    }


@pytest.mark.parametrize("name", list(_transforms(torch)))
@pytest.mark.parametrize("made_inside", [False, True])
def test_transforms_under_inference_mode_are_torchs(name, made_inside):
    """Under inference_mode no graph was recorded, and every transform gave zeros."""
    out = []
    for L in LIBS:
        x = L.tensor([1.0, 2.0, 3.0])
        with L.inference_mode():
            if made_inside:
                x = L.tensor([1.0, 2.0, 3.0])
            r = _transforms(L)[name](x)
        out.append((r.numpy(), r.requires_grad))
    _close(out[1][0], out[0][0])
    assert out[1][1] == out[0][1]


def _my_exp(L, once):
    class MyExp(L.autograd.Function):
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)
            ctx.save_for_forward(output)

        @staticmethod
        @once
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

        @staticmethod
        def jvp(ctx, t):
            y, = ctx.saved_tensors
            return t * y
    return MyExp.apply


def _jvp_cases(L):
    once = torch.autograd.function.once_differentiable if L is torch else tg_once
    f = _my_exp(L, once)

    def under_no_grad(a):
        with L.no_grad():
            b = a * 2
        return b + a
    return {
        "custom_function_jvp": f,
        "custom_function_jvp_times_input": lambda a: f(a) * a,
        "no_grad_block": under_no_grad,
        "in_place_on_a_copy": lambda a: a.clone().exp_().sub_(a),
        "in_place_on_the_input": lambda a: a.mul_(2).pow(2),
    }


@pytest.mark.parametrize("name", list(_jvp_cases(torch)))
def test_jvp_runs_on_dual_tensors_as_torch(name):
    """By the double-backward trick these gave zeros (a once_differentiable backward), lost
    the tangent through no_grad (forward AD ignores grad mode), or refused in-place ops."""
    out = []
    for L in LIBS:
        x = L.tensor([0.3, -1.2, 2.0])
        primal, tangent = L.func.jvp(_jvp_cases(L)[name], (x.clone(),),
                                     (L.tensor([1.0, 0.5, -2.0]),))
        out.append((primal.detach().numpy(), tangent.numpy()))
    for ours, theirs in zip(out[1], out[0]):
        _close(ours, theirs)


@pytest.mark.parametrize("strict", [False, True])
def test_jvp_of_an_output_independent_of_the_input(strict):
    results = []
    for L in LIBS:
        try:
            _, t = L.func.jvp(lambda a: L.ones(2), (L.zeros(2),), (L.ones(2),), strict=strict)
            results.append(("ok", t.tolist()))
        except RuntimeError as e:
            results.append(("refused", str(e)))
    assert results[1] == results[0]


def test_jvp_has_aux_and_nested_in_a_transform():
    out = []
    for L in LIBS:
        x = L.tensor([0.5, 1.5])
        p, t, aux = L.func.jvp(lambda a: (a.exp(), a * 3), (x,), (L.ones(2),), has_aux=True)
        inner = L.func.grad(lambda a: L.func.jvp(lambda b: (b ** 3).sum(), (a,),
                                                 (L.ones(2),))[1])(x)
        out.append((p.numpy(), t.numpy(), aux.numpy(), aux.requires_grad, inner.numpy()))
    for ours, theirs in zip(out[1], out[0]):
        _close(ours, theirs)


@pytest.mark.parametrize("api", ["jacrev", "hessian"])
def test_jacrev_of_an_integer_output_is_refused_as_torch(api):
    errors = []
    for L in LIBS:
        f = (lambda a: (a * 2).long()) if api == "jacrev" else (lambda a: (a * 2).long().sum())
        with pytest.raises(RuntimeError) as info:
            getattr(L.func, api)(f)(L.ones(2))
        errors.append(str(info.value).replace("torch.", "").replace("tinygrad_sgd.", ""))
    assert errors[1] == errors[0]


def _composed(L):
    F = L.func
    f = lambda a: (a.sin() * a.exp()).sum()       # noqa: E731
    g = lambda a: a.sin() * a.cos() * a           # noqa: E731
    return {
        "jvp(grad)": lambda x, t: F.jvp(F.grad(f), (x,), (t,))[1],
        "jvp(jacrev)": lambda x, t: F.jvp(F.jacrev(g), (x,), (t,))[1],
        "jvp(vjp)": lambda x, t: F.jvp(lambda a: F.vjp(g, a)[1](L.ones(3))[0], (x,), (t,))[1],
        "jvp(hessian)": lambda x, t: F.jvp(F.hessian(f), (x,), (t,))[1],
        "grad(jvp)": lambda x, t: F.grad(lambda a: F.jvp(f, (a,), (t,))[1])(x),
        "jvp(jvp)": lambda x, t: F.jvp(lambda a: F.jvp(g, (a,), (t,))[1], (x,), (t,))[1],
    }


@pytest.mark.parametrize("name", list(_composed(torch)))
def test_jvp_composed_with_other_transforms_as_torch(name):
    """A transform inside jvp's function (an hvp: jvp of grad) reruns it by the
    double-backward trick: the dual tensors' tangents do not pass through that transform's
    own leaves (a first try gave wrong Hessian-vector products)."""
    x, t = np.array([0.3, -1.2, 2.0]), np.array([1.0, 0.5, -2.0])
    out = [_composed(L)[name](L.tensor(x), L.tensor(t)).detach().numpy() for L in LIBS]
    np.testing.assert_allclose(out[1], out[0], rtol=1e-10, atol=1e-12)
