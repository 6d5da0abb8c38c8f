"""Module forward hooks and small Module methods against torch: pre-hooks and hooks (their
order, prepend, replaced arguments and outputs, with_kwargs, always_call when forward raises,
removal by handle and by ``with``), the gradient through a hook's change, get_parameter,
get_buffer, set_submodule (strict or not), cpu/cuda/half."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = [tg, torch]


def _net(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2))


def _x(L):
    return L.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=L.float32, requires_grad=True)


def test_hooks_see_and_replace_inputs_and_outputs_in_order():
    seen = []
    for L in LIBS:
        net, log = _net(L), []
        first = net[0]
        h1 = first.register_forward_pre_hook(lambda m, a: log.append("pre1") or (a[0] * 2,))
        h2 = first.register_forward_pre_hook(lambda m, a: log.append("pre0"), prepend=True)
        h3 = first.register_forward_hook(lambda m, a, o: log.append(("post", tuple(o.shape)))
                                         or o + 1)
        h4 = first.register_forward_pre_hook(
            lambda m, a, k: log.append(("kw", sorted(k))) or (a, k), with_kwargs=True)
        h5 = first.register_forward_hook(lambda m, a, k, o: log.append("postkw"),
                                         with_kwargs=True, prepend=True)
        x = _x(L)
        y = net(x)
        y.sum().backward()
        out = (log, y.detach().numpy().round(6).tolist(), x.grad.numpy().round(6).tolist(),
               type(h1).__name__)
        for h in (h1, h2, h3, h4):
            h.remove()
        h1.remove()                                           # twice: nothing happens
        with h5:
            pass                                              # removed on leaving
        log.clear()
        net(x)
        seen.append(out + (log, ))
    assert seen[0] == seen[1]


def test_pre_hook_result_not_a_tuple_is_wrapped_and_with_kwargs_must_return_a_pair():
    for L in LIBS:
        lin = _net(L)[0]
        lin.register_forward_pre_hook(lambda m, a: a[0] * 0)      # not a tuple: (result,)
        assert float(lin(_x(L)).detach().abs().sum()) == float(lin.bias.detach().abs().sum() * 2)
        bad = L.nn.Linear(3, 2)
        bad.register_forward_pre_hook(lambda m, a, k: a, with_kwargs=True)
        with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple "
                                               r"of \(new_args, new_kwargs\)"):
            bad(_x(L))


def test_always_call_hooks_run_when_forward_raises():
    calls = []
    for L in LIBS:
        class Boom(L.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        m, log = Boom(), []
        m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
        m.register_forward_hook(lambda mod, a, o: log.append("not"))
        with pytest.raises(ValueError, match="boom"):
            m(L.ones(1))
        calls.append(log)
    assert calls[0] == calls[1] == [("always", None)]


def test_get_parameter_buffer_and_set_submodule_as_torch():
    outcomes = []
    for L in LIBS:
        net = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2))
        got = [tuple(net.get_parameter("0.weight").shape),
               tuple(net.get_buffer("1.running_mean").shape)]
        for call in (lambda: net.get_parameter("1.running_mean"),
                     lambda: net.get_buffer("1.weight"), lambda: net.get_parameter("0.foo"),
                     lambda: net.get_parameter("3.weight"),
                     lambda: net.set_submodule("7", L.nn.ReLU(), strict=True),
                     lambda: net.set_submodule("2.x", L.nn.ReLU())):
            try:
                call()
                got.append("ok")
            except AttributeError as e:
                got.append(str(e))
        net.set_submodule("0", L.nn.Tanh())
        net.set_submodule("5", L.nn.ReLU())
        net.set_submodule("1", L.nn.Identity(), strict=True)
        got.append(repr(net))
        outcomes.append(got)
    assert outcomes[0] == outcomes[1]


def test_cpu_cuda_half():
    for L in LIBS:
        m = L.nn.Linear(2, 2)
        assert m.cpu() is m
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            m.cuda()
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            L.ones(2).cuda()
        assert m.half() is m and m.weight.dtype == L.float16 and m.bias.dtype == L.float16
