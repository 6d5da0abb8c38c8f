"""A Module's full backward hooks and pre-hooks against torch: what each hook sees (grad_input,
grad_output: values, None places), the order of the calls through nested modules, results
that replace gradients, modules with several inputs (non-Tensors, Tensors without grad) and
several outputs (one unused), no input requiring grad (torch's warning, grad_input all None),
prepend, removal, no_grad, and the errors."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = (tg, torch)


def _v(t):
    return None if t is None else np.round(t.detach().numpy().astype(np.float64), 10).tolist()


def _recorder(log, name):
    def pre(module, grad_output):
        log.append((name, "pre", [_v(g) for g in grad_output]))

    def post(module, grad_input, grad_output):
        log.append((name, "post", [_v(g) for g in grad_input], [_v(g) for g in grad_output]))
    return pre, post


def _watch(module, log, name):
    pre, post = _recorder(log, name)
    module.register_full_backward_pre_hook(pre)
    module.register_full_backward_hook(post)


class TwoInTwoOut:
    """forward(x, scale: float, y, flag: str) -> (x·y·scale, x + 1): several inputs, some not
    Tensors, and two outputs."""

    @staticmethod
    def make(L):
        class M(L.nn.Module):
            def forward(self, x, scale, y, flag):
                return x * y * scale, x + 1.0
        return M()


def _scenario(L, name):
    L.manual_seed(0)
    log = []
    if name == "linear":
        m = L.nn.Linear(3, 2)
        _watch(m, log, "lin")
        x = L.randn(4, 3, requires_grad=True)
        (m(x) ** 2).sum().backward()
        return log, [x.grad, m.weight.grad]
    if name == "nested":
        net = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2))
        _watch(net, log, "net")
        for i, layer in enumerate(net):
            _watch(layer, log, str(i))
        x = L.randn(5, 3, requires_grad=True)
        net(x).pow(3).mean().backward()
        return log, [x.grad] + [p.grad for p in net.parameters()]
    if name == "replace":
        m = L.nn.Linear(3, 3)
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2.0,))
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0].clamp(-0.1, 0.1),))
        _watch(m, log, "lin")
        x = L.randn(2, 3, requires_grad=True)
        (m(x) * L.arange(6.0).reshape(2, 3)).sum().backward()
        return log, [x.grad, m.weight.grad, m.bias.grad]
    if name == "several":
        m = TwoInTwoOut.make(L)
        _watch(m, log, "m")
        x = L.randn(3, requires_grad=True)
        y = L.randn(3)                                    # no grad
        a, b = m(x, 0.5, y, "flag")
        (a * 3.0).sum().backward()                         # b unused: its grad is None
        return log, [x.grad]
    if name == "no input grad":
        m = L.nn.Linear(2, 2)
        _watch(m, log, "lin")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m(L.ones(3, 2)).sum().backward()
        log.append(("warned", any("Full backward hook is firing" in str(w.message)
                                  for w in caught)))
        return log, [m.weight.grad]
    if name == "prepend and remove":
        m = L.nn.Linear(2, 2)
        h = m.register_full_backward_hook(lambda mod, gi, go: log.append("first"))
        m.register_full_backward_hook(lambda mod, gi, go: log.append("second"))
        m.register_full_backward_hook(lambda mod, gi, go: log.append("zeroth"), prepend=True)
        m.register_full_backward_pre_hook(lambda mod, go: log.append("pre second"))
        m.register_full_backward_pre_hook(lambda mod, go: log.append("pre first"), prepend=True)
        x = L.ones(1, 2, requires_grad=True)
        m(x).sum().backward()
        h.remove()
        m(x).sum().backward()
        with L.no_grad():
            m(x)
        return log, [x.grad]
    raise ValueError(name)


@pytest.mark.parametrize("name", ["linear", "nested", "replace", "several", "no input grad",
                                  "prepend and remove"])
def test_backward_hooks_as_torch(name):
    results = []
    for L in LIBS:                   # in float64: the hooks' values compared to 10 digits
        L.set_default_dtype(L.float64)
        try:
            results.append(_scenario(L, name))
        finally:
            L.set_default_dtype(L.float32)
    (ours, our_grads), (theirs, their_grads) = results
    assert ours == theirs
    for a, b in zip(our_grads, their_grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("which,message", [
    ("post", "Backward hook returned an invalid number of grad_input, got 2, but expected 1"),
    ("pre", "Backward pre hook returned an invalid number of grad_output, got 2, but "
            "expected 1")])
def test_a_result_of_the_wrong_length_is_refused_as_torch(which, message):
    for L in LIBS:
        m = L.nn.Linear(2, 2)
        if which == "post":
            m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        else:
            m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
        with pytest.raises(RuntimeError, match=message):
            m(L.ones(1, 2, requires_grad=True)).sum().backward()


def test_no_input_grad_hook_must_not_replace_grad_input():
    for L in LIBS:
        m = L.nn.Linear(2, 2)
        m.register_full_backward_hook(lambda mod, gi, go: (L.ones(1, 2),))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError, match="where no input requires gradient should "
                                                   "always return None"):
                m(L.ones(1, 2)).sum().backward()


def test_grad_fn_name_and_values_unchanged_by_the_hook_nodes():
    outs = []
    for L in LIBS:
        L.manual_seed(3)
        m = L.nn.Linear(3, 2)
        m.register_full_backward_hook(lambda mod, gi, go: None)
        x = L.randn(2, 3, requires_grad=True)
        y = m(x)
        assert y.grad_fn.name() == "BackwardHookFunctionBackward"
        outs.append(y.detach().numpy())
    np.testing.assert_allclose(*outs, rtol=1e-6)
