"""Probe 33: autograd corners against torch 2.13, each row run with torch and with tinygrad_sgd
in its place and compared (values, gradients, flags, the exception's class and torch's first
sentence of its message): ``autograd.graph.register_multi_grad_hook`` ("all" and "any" modes,
retained-graph reruns, tensors a run does not reach, ``inputs=``); inference tensors
(``inference_mode``, ``is_inference``, and the refusals outside inference mode); ``detach_()``
on views; in-place ops on the outputs and inputs of a module with a full backward hook (and of
a custom Function returning its input); ``remainder(number, tensor)``; ``heaviside`` /
``heaviside_`` (no derivative); ``linalg.householder_product`` with nothing to reflect."""
import re
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg


def _norm(v):
    if isinstance(v, (torch.Tensor, tg.Tensor)):
        return ("T", np.round(np.asarray(v.detach().numpy(), dtype=np.float64), 5).tolist(),
                tuple(v.shape), bool(v.requires_grad))
    if isinstance(v, (tuple, list)):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def _outcome(fn, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", _norm(fn(lib))
        except Exception as e:  # noqa: BLE001 - the class and message are what is compared
            return "raised", type(e).__name__, str(e)


def _check(fn):
    ref, ours = _outcome(fn, torch), _outcome(fn, tg)
    if ref[0] == "raised":
        assert ours[0] == "raised", f"torch raised {ref[1]}: {ref[2]!r}; we gave {ours}"
        assert ours[1] == ref[1], (ref, ours)
        first = ref[2].split(". ")[0].split(".You")[0].rstrip(".")
        first = re.sub(r"^Output \d+ of \w+ ", "", first)   # (a node's name may differ)
        assert first in ours[2], f"torch: {ref[2]!r}\nours:  {ours[2]!r}"
    else:
        assert ours == ref


# ----------------------------------------------------------------------------- multi-grad hooks
def _abc(t):
    return [t.ones(2, requires_grad=True) for _ in range(3)]


def mgh_all_some_unreached(t):
    a, b, c = _abc(t)
    calls = []
    t.autograd.graph.register_multi_grad_hook((a, b, c), calls.append)
    (a * 2).sum().backward()
    return calls


def mgh_all_retained_rerun(t):
    a, b, c = _abc(t)
    calls = []
    t.autograd.graph.register_multi_grad_hook((a, b, c), calls.append)
    y = (a * b).sum()
    y.backward(retain_graph=True)
    y.backward()
    return calls


def mgh_removed(t):
    a, b, c = _abc(t)
    calls = []
    h = t.autograd.graph.register_multi_grad_hook((a, b), calls.append)
    h.remove()
    h.remove()
    (a * b).sum().backward()
    return calls, a.grad


def mgh_any_first_only(t):
    a, b, c = _abc(t)
    calls = []
    t.autograd.graph.register_multi_grad_hook((a, b, c), calls.append, mode="any")
    (a * b * 3).sum().backward(retain_graph=True)
    (c * 5).sum().backward()
    return calls


def mgh_doc_example_with_inputs(t):
    a, b = t.ones(2, 3, requires_grad=True), t.ones(2, 3, requires_grad=True) * 2
    b = b.detach().requires_grad_()
    c, d = a * b, a * b
    seen = []
    t.autograd.graph.register_multi_grad_hook(
        (a, b, c, d), lambda gs: seen.append([g is not None for g in gs]))
    c.sum().backward(retain_graph=True)
    c.sum().backward(inputs=(a,), retain_graph=True)
    return seen, a.grad, b.grad


def mgh_non_leaves_autograd_grad(t):
    a, b, _ = _abc(t)
    x, z = a * 2, b * 3
    calls = []
    t.autograd.graph.register_multi_grad_hook((x, z), calls.append)
    (x * 4).sum().backward(retain_graph=True)
    t.autograd.grad((x * z).sum(), [a])
    t.autograd.grad((x * z).sum(), [x])
    return calls


def mgh_result_ignored(t):
    a, b, _ = _abc(t)
    t.autograd.graph.register_multi_grad_hook((a, b), lambda gs: [g * 0 for g in gs])
    (a * b * 3).sum().backward()
    return a.grad, b.grad


def mgh_bad_mode(t):
    a, b, _ = _abc(t)
    return t.autograd.graph.register_multi_grad_hook((a, b), print, mode="every")


def mgh_needs_grad(t):
    a, _, _ = _abc(t)
    return t.autograd.graph.register_multi_grad_hook((a, t.ones(2)), print)


def mgh_any_skips_no_grad(t):
    a, _, _ = _abc(t)
    calls = []
    t.autograd.graph.register_multi_grad_hook((t.ones(2), a), calls.append, mode="any")
    (a * 7).sum().backward()
    return calls


def leaf_hook_not_asked_for(t):
    a, b, _ = _abc(t)
    seen = []
    b.register_hook(lambda g: seen.append("b"))
    a.register_hook(lambda g: seen.append("a"))
    (a * b).sum().backward(inputs=[a])
    return seen, a.grad, b.grad


MULTI = [mgh_all_some_unreached, mgh_all_retained_rerun, mgh_removed, mgh_any_first_only,
         mgh_doc_example_with_inputs, mgh_non_leaves_autograd_grad, mgh_result_ignored,
         mgh_bad_mode, mgh_needs_grad, mgh_any_skips_no_grad, leaf_hook_not_asked_for]


@pytest.mark.parametrize("fn", MULTI, ids=lambda f: f.__name__)
def test_multi_grad_hook_as_torch(fn):
    _check(fn)


# ----------------------------------------------------------------------------- inference tensors
def _inf(t, *shape):
    with t.inference_mode():
        return t.ones(*shape)


def inf_flags_inside(t):
    n = t.ones(3)
    with t.inference_mode():
        x = t.ones(3)
        out = [x.is_inference(), (x + 1).is_inference(), (n * 2).is_inference(),
               n.view(3).is_inference(), n[1:].is_inference(), n.detach().is_inference(),
               n.data.is_inference(), n.clone().is_inference(), n.sum().is_inference(),
               (n > 0).is_inference(), t.zeros(2).is_inference(),
               t.tensor([1.0]).is_inference(), t.arange(3).is_inference(),
               t.randn(2).is_inference(), t.is_inference_mode_enabled()]
        w = t.ones(2, requires_grad=True)
        out += [(w * 2).requires_grad, (w * 2).is_inference(), w.is_inference()]
    return out + [t.is_inference_mode_enabled()]


def inf_flags_outside(t):
    x, n = _inf(t, 3), t.ones(3)
    return [x.is_inference(), x.view(3).is_inference(), x[1:].is_inference(),
            x.detach().is_inference(), x.data.is_inference(), x.clone().is_inference(),
            x.exp().is_inference(), (x + n).is_inference(), n.is_inference(),
            t.is_inference(x)]


def inf_mode_false_and_nesting(t):
    with t.inference_mode(False):
        a = t.ones(2)
    with t.inference_mode():
        with t.inference_mode(False):
            b = t.ones(2)
            grad_on = t.is_grad_enabled()
    with t.no_grad():
        c = t.ones(2)
    return a.is_inference(), b.is_inference(), grad_on, c.is_inference()


def inf_decorator(t):
    @t.inference_mode()
    def f():
        return t.ones(1)

    @t.inference_mode
    def g():
        return t.ones(1)
    return f().is_inference(), g().is_inference()


def inf_saved_mul(t):
    w = t.ones(3, requires_grad=True)
    return (w * _inf(t, 3)).sum()


def inf_saved_mul_right(t):
    w = t.ones(3, requires_grad=True)
    return _inf(t, 3) * w


def inf_saved_matmul(t):
    return t.ones(2, 3, requires_grad=True) @ _inf(t, 3, 2)


def inf_not_saved_add(t):
    w = t.ones(3, requires_grad=True)
    (w + _inf(t, 3) - _inf(t, 3)).sum().backward()
    return w.grad


def inf_no_grad_needed(t):
    x = _inf(t, 3)
    return (x * x).sum()


def inf_in_place_outside(t):
    return _inf(t, 3).add_(1)


def inf_in_place_outside_no_grad(t):
    x = _inf(t, 3)
    with t.no_grad():
        return x.mul_(2)


def inf_setitem_outside(t):
    x = _inf(t, 3)
    x[0] = 5.0
    return x


def inf_zero_outside(t):
    return _inf(t, 3).zero_()


def inf_in_place_inside(t):
    x, n = _inf(t, 3), t.ones(3)
    w = t.ones(3, requires_grad=True)
    with t.inference_mode():
        x.add_(1)
        n.add_(x)
        w.add_(1)
    return x, n, w


def inf_normal_view_from_inside(t):
    n = t.ones(3)
    with t.inference_mode():
        v = n.view(3)
    v.add_(1)
    return v.is_inference(), n


def inf_requires_grad_(t):
    return _inf(t, 3).requires_grad_()


def inf_requires_grad_set(t):
    x = _inf(t, 3)
    x.requires_grad = True
    return x


def inf_requires_grad_false(t):
    return _inf(t, 3).requires_grad_(False)


def inf_parameter_outside(t):
    return t.nn.Parameter(_inf(t, 2))


def inf_parameter_inside(t):
    with t.inference_mode():
        p = t.nn.Parameter(t.ones(2))
    return p.is_inference(), p.requires_grad


def inf_model_on_plain_data(t):
    with t.inference_mode():
        lin = t.nn.Linear(2, 2)
    y = lin(t.ones(1, 2))
    return lin.weight.is_inference(), y.requires_grad, y.is_inference()


def inf_model_on_data_needing_grad(t):
    with t.inference_mode():
        lin = t.nn.Linear(2, 2)
    return lin(t.ones(1, 2, requires_grad=True))


def inf_loss_against_inference_target(t):
    w = t.ones(3, requires_grad=True)
    return t.nn.functional.mse_loss(w, _inf(t, 3))


def inf_enable_grad_inside(t):
    w = t.ones(2, requires_grad=True)
    with t.inference_mode():
        with t.enable_grad():
            y = w * 2
            return t.is_grad_enabled(), y.requires_grad, y.grad_fn is None


def inf_other_thread(t):
    import threading
    seen = []
    with t.inference_mode():
        th = threading.Thread(target=lambda: seen.append(t.ones(1).is_inference()))
        th.start()
        th.join()
    return seen


def inf_like_and_new(t):
    x = _inf(t, 3)
    with t.inference_mode():
        inside = x.new_ones(2).is_inference()
    return [inside, x.new_ones(2).is_inference(), t.ones_like(x).is_inference(),
            x.to(t.float64).is_inference(), x.float().is_inference()]


INFERENCE = [inf_enable_grad_inside, inf_other_thread, inf_like_and_new, inf_flags_inside,
             inf_flags_outside, inf_mode_false_and_nesting, inf_decorator, inf_saved_mul,
             inf_saved_mul_right, inf_saved_matmul, inf_not_saved_add, inf_no_grad_needed,
             inf_in_place_outside, inf_in_place_outside_no_grad, inf_setitem_outside,
             inf_zero_outside, inf_in_place_inside, inf_normal_view_from_inside,
             inf_requires_grad_, inf_requires_grad_set, inf_requires_grad_false,
             inf_parameter_outside, inf_parameter_inside, inf_model_on_plain_data,
             inf_model_on_data_needing_grad, inf_loss_against_inference_target]


@pytest.mark.parametrize("fn", INFERENCE, ids=lambda f: f.__name__)
def test_inference_tensors_as_torch(fn):
    _check(fn)


# ----------------------------------------------------------------------------- detach_ on views
def _w(t):
    return t.ones(3, 2, requires_grad=True)


DETACH = {
    "slice_of_leaf": lambda t: _w(t)[0],
    "slice_of_nonleaf": lambda t: (_w(t) * 2)[0],
    "slice_of_plain": lambda t: t.ones(3, 2)[0],
    "view_of_plain": lambda t: t.ones(3, 2).view(6),
    "transpose": lambda t: _w(t).t(),
    "unbind": lambda t: _w(t).unbind()[0],
    "expand": lambda t: _w(t)[0:1].expand(3, 2),
    "diagonal": lambda t: _w(t).diagonal(),
    "slice_of_detached": lambda t: _w(t).detach()[0],
    "nonview": lambda t: _w(t) * 2,
    "detached": lambda t: _w(t).detach(),
    "reshape_copy": lambda t: _w(t).t().reshape(6),
    "contiguous": lambda t: _w(t).contiguous(),
}


def _view_made_in_no_grad(t):
    w = _w(t)
    with t.no_grad():
        return w[0]


DETACH["slice_made_in_no_grad"] = _view_made_in_no_grad


@pytest.mark.parametrize("name", list(DETACH))
def test_detach_in_place_of_views_as_torch(name):
    make = DETACH[name]
    _check(lambda t: make(t).detach_())


# ----------------------------------------------------------------------------- full backward hooks
def _hooked(t, module, pre=False):
    if pre:
        module.register_full_backward_pre_hook(lambda m, go: None)
    else:
        module.register_full_backward_hook(lambda m, gi, go: None)
    return module


def hook_output_relu_(t):
    lin = _hooked(t, t.nn.Linear(3, 3))
    y = lin(t.ones(2, 3, requires_grad=True))
    y.relu_()
    return y.sum()


def hook_then_inplace_relu_module(t):
    m = t.nn.Sequential(_hooked(t, t.nn.Linear(3, 3)), t.nn.ReLU(inplace=True))
    m(t.ones(2, 3, requires_grad=True)).sum().backward()


def hook_on_inplace_module_input(t):
    r = _hooked(t, t.nn.ReLU(inplace=True))
    return r(t.ones(2, 3, requires_grad=True) * 1)


def hook_on_inplace_module_no_grad_input(t):
    r = _hooked(t, t.nn.ReLU(inplace=True))
    return r(t.ones(2, 3) - 2)


def hook_pre_only(t):
    lin = _hooked(t, t.nn.Linear(3, 3), pre=True)
    return lin(t.ones(2, 3, requires_grad=True)).relu_()


def hook_global(t):
    h = t.nn.modules.module.register_module_full_backward_hook(lambda m, gi, go: None)
    try:
        m = t.nn.Sequential(t.nn.Linear(3, 3), t.nn.ReLU(inplace=True))
        return m(t.ones(2, 3, requires_grad=True))
    finally:
        h.remove()


def hook_output_cloned(t):
    lin = _hooked(t, t.nn.Linear(3, 3))
    x = t.ones(2, 3, requires_grad=True)
    lin.weight.data.fill_(0.5)
    lin.bias.data.fill_(-1.0)
    y = lin(x).clone().relu_()
    y.sum().backward()
    return y, x.grad


def hook_output_view_in_place(t):
    lin = _hooked(t, t.nn.Linear(3, 3))
    y = lin(t.ones(2, 3, requires_grad=True))
    y[0].mul_(2)


class _Fns:
    """custom Functions returning their input (or a view of it), made for either library."""

    def __init__(self, t):
        class Same(t.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        class Pair(t.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x, x * 2

            @staticmethod
            def backward(ctx, g, h):
                return g + 2 * h

        class Viewed(t.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.view(2)

            @staticmethod
            def backward(ctx, g):
                return g

        self.Same, self.Pair, self.Viewed = Same, Pair, Viewed


CUSTOM = {
    "same": lambda t, x: _Fns(t).Same.apply(x * 1).mul_(2),
    "same_of_leaf": lambda t, x: _Fns(t).Same.apply(x).mul_(2),
    "pair_first": lambda t, x: _Fns(t).Pair.apply(x * 1)[0].mul_(2),
    "pair_second": lambda t, x: _Fns(t).Pair.apply(x * 1)[1].mul_(2),
    "viewed": lambda t, x: _Fns(t).Viewed.apply(x * 1).mul_(2),
    "plain_input": lambda t, x: _Fns(t).Same.apply(t.ones(2)).mul_(2),
    "backward": lambda t, x: (_Fns(t).Same.apply(x * 1) * 3).sum().backward() or x.grad,
}


def _no_grad_made(t, x):
    with t.no_grad():
        y = _Fns(t).Same.apply(x * 1)
    return y.mul_(2)


CUSTOM["made_in_no_grad"] = _no_grad_made
HOOKS = [hook_output_relu_, hook_then_inplace_relu_module, hook_on_inplace_module_input,
         hook_on_inplace_module_no_grad_input, hook_pre_only, hook_global, hook_output_cloned,
         hook_output_view_in_place]


@pytest.mark.parametrize("fn", HOOKS, ids=lambda f: f.__name__)
def test_in_place_on_full_backward_hook_views_as_torch(fn):
    _check(fn)


@pytest.mark.parametrize("name", list(CUSTOM))
def test_in_place_on_custom_function_views_as_torch(name):
    make = CUSTOM[name]
    _check(lambda t: (make(t, t.ones(2, requires_grad=True))))


# ----------------------------------------------------------------------------- no derivatives
def _v(t):
    return t.tensor([-1.5, 0.0, 2.5], requires_grad=True)


def _flag_and_backward(y, *leaves):
    flag = y.requires_grad
    y.sum().backward()
    return flag, [x.grad for x in leaves]


NO_DERIVATIVE = {
    "remainder_number_tensor": lambda t: _flag_and_backward(t.remainder(2.0, _v(t))),
    "rmod": lambda t: _flag_and_backward(2.0 % _v(t)),
    "rmod_int": lambda t: _flag_and_backward(3 % _v(t)),
    "remainder_tensor_number": lambda t: (lambda w: _flag_and_backward(w % 2.0, w))(_v(t)),
    "remainder_tensor_tensor": lambda t: (lambda w: _flag_and_backward(
        t.remainder(t.tensor(2.0), w), w))(_v(t)),
    "remainder_number_plain": lambda t: t.remainder(2.0, t.tensor([1.5, 4.0])),
    "heaviside": lambda t: _flag_and_backward(t.heaviside(_v(t), t.tensor(0.5))),
    "heaviside_values_need_grad": lambda t: _flag_and_backward(
        t.heaviside(t.tensor([-1.0, 0.0, 2.0]), t.tensor([0.5], requires_grad=True))),
    "heaviside_plain": lambda t: t.heaviside(t.tensor([-1.0, 0.0, 2.0]), t.tensor(0.5)),
    "heaviside__leaf": lambda t: _v(t).heaviside_(t.tensor(0.5)),
    "heaviside__nonleaf": lambda t: _flag_and_backward((_v(t) * 1).heaviside_(t.tensor(0.5))),
    "heaviside__values": lambda t: _flag_and_backward(
        t.tensor([-1.0, 0.0, 2.0]).heaviside_(_v(t))),
    "heaviside__no_grad": lambda t: _heaviside_no_grad(t),
    "heaviside__int": lambda t: t.tensor([-2, 0, 3]).heaviside_(t.tensor(7)),
    # the results still require grad (backward is what raises)
    "flags": lambda t: [t.remainder(2.0, _v(t)).requires_grad, (2.0 % _v(t)).requires_grad,
                        t.heaviside(_v(t), t.tensor(0.5)).requires_grad,
                        (_v(t) * 1).heaviside_(t.tensor(0.5)).requires_grad,
                        t.tensor([-1.0, 0.0]).heaviside_(_v(t)[:2]).requires_grad,
                        t.tensor([-1.0, 0.0]).heaviside_(_v(t)[:2]).is_leaf],
}


def _heaviside_no_grad(t):
    v = _v(t)
    with t.no_grad():
        v.heaviside_(t.tensor(0.5))
    return v, v.grad_fn is None


@pytest.mark.parametrize("name", list(NO_DERIVATIVE))
def test_ops_without_derivative_as_torch(name):
    _check(NO_DERIVATIVE[name])


HOUSEHOLDER = {"empty_batch": ((0, 4, 3), (0, 2)), "no_reflector": ((2, 4, 3), (2, 0)),
               "no_reflector_2d": ((4, 3), (0,)), "no_columns": ((4, 0), (0,)),
               "reflectors": ((2, 4, 3), (2, 2))}


@pytest.mark.parametrize("name", list(HOUSEHOLDER))
def test_householder_product_gradients_as_torch(name):
    a_shape, tau_shape = HOUSEHOLDER[name]
    rng = np.random.default_rng(33)
    a, tau = rng.standard_normal(a_shape), rng.standard_normal(tau_shape) * 0.5

    def run(t):
        A = t.tensor(a, requires_grad=True)
        tau_t = t.tensor(tau, requires_grad=True)
        Q = t.linalg.householder_product(A, tau_t)
        flag = Q.requires_grad
        (Q * t.tensor(np.arange(Q.numel(), dtype=np.float64).reshape(Q.shape))).sum().backward()
        return Q, flag, A.grad, tau_t.grad
    _check(run)
