"""Probe 31: the torch.autograd API surface a user program touches, each row run with torch and
with tinygrad_sgd in its place and compared (values, gradients, dtypes, exception classes,
warnings): Node hooks (``grad_fn.register_prehook`` / ``register_hook`` with tuples, their
handles and order against tensor hooks and retain_grad), ``grad_fn.metadata``,
``autograd.graph.Node`` / ``increment_version``, ``autograd.grad`` with no inputs, the
``backward(create_graph=True)`` warning, custom ``autograd.Function`` corners (non-Tensor
forward results and backward gradients, ``mark_dirty``'s version bump and saving after it,
``vmap``/``jvp``/``generate_vmap_rule``, calling an instance), anomaly mode's warning and
``check_nan=False``, and gradcheck's keyword-only torch options and integer outputs."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd.autograd import accumulate


def _norm(v):
    if isinstance(v, (torch.Tensor, tg.Tensor)):
        return ("T", np.asarray(v.detach().numpy()).tolist(), str(v.dtype).split(".")[-1],
                bool(v.requires_grad))
    if isinstance(v, (tuple, list)):
        return type(v).__name__, [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def _outcome(fn, lib):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            result = ("ok", _norm(fn(lib)))
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            result = ("raised", type(e).__name__)
    return result, sorted({x.category.__name__ for x in w
                           if "jit" not in str(x.message)})


def _x(t, requires_grad=True):
    return t.tensor([1.0, 2.0, 3.0], requires_grad=requires_grad)


# ---------------------------------------------------------------------------- node hooks
def node_prehook_tuple(t):
    x = _x(t); z = (x * 2).exp(); seen = []
    z.grad_fn.register_prehook(lambda go: seen.append(len(go)) or (go[0] * 0 + 1,))
    z.sum().backward()
    return seen, x.grad


def node_post_hook(t):
    x = _x(t); y = (x * 2); seen = []
    y.grad_fn.register_hook(lambda gi, go: seen.append((len(gi), len(go))) or (gi[0] * 5,))
    y.sum().backward()
    return seen, x.grad


def node_post_hook_broadcast_and_none(t):
    x = t.ones(3, requires_grad=True); b = t.ones(1, requires_grad=True); c = t.ones(3)
    seen = []
    z = (x + b) * c
    z.grad_fn.register_hook(lambda gi, go: seen.append([g is None for g in gi]) or None)
    (x + b).grad_fn.register_hook(lambda gi, go: seen.append([tuple(g.shape) for g in gi]))
    z.sum().backward()
    return seen, b.grad


def node_hook_removed(t):
    x = _x(t); y = x.exp(); seen = []
    h1 = y.grad_fn.register_prehook(lambda go: seen.append("pre"))
    h2 = y.grad_fn.register_hook(lambda gi, go: seen.append("post"))
    h1.remove(); h2.remove(); h2.remove()
    y.sum().backward()
    return seen, x.grad


def node_hook_order(t):
    x = _x(t); y = x * 2; seen = []
    y.grad_fn.register_prehook(lambda go: seen.append("node") or None)
    y.register_hook(lambda g: seen.append("tensor") or g * 3)
    y.retain_grad()
    y.sum().backward()
    return seen, y.grad, x.grad


def node_prehook_not_tuple(t):
    x = _x(t); y = x * 2
    y.grad_fn.register_prehook(lambda go: go[0])
    y.sum().backward()


def node_metadata(t):
    y = _x(t) * 2
    y.grad_fn.metadata["tag"] = 7
    return dict(y.grad_fn.metadata), isinstance(y.grad_fn, t.autograd.graph.Node)


def accumulate_grad_is_node(t):
    y = _x(t) * 2
    return isinstance(y.grad_fn.next_functions[0][0], t.autograd.graph.Node)


def increment_version(t):
    x = _x(t); y = x * 1; z = y * y
    before = y._version
    t.autograd.graph.increment_version(y)
    after = y._version
    z.sum().backward()
    return before, after


# ---------------------------------------------------------------------------- grad / backward
def grad_empty_inputs(t):
    x = _x(t)
    return t.autograd.grad((x * 2).sum(), [])


# ---------------------------------------------------------------------------- custom Function
def _scale(t, backward_result):
    class Scale(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return backward_result(g)
    return Scale


def cf_backward_float(t):
    _scale(t, lambda g: 3.0).apply(_x(t)).sum().backward()


def cf_forward_int(t):
    class Count(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 3

        @staticmethod
        def backward(ctx, g):
            return g
    return Count.apply(_x(t))


def _double_in_place(t, save):
    class Double(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            if save:
                ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * ctx.saved_tensors[0] if save else g * 2
    return Double


def cf_dirty_version(t):
    a = _x(t); x = a.clone(); y = _double_in_place(t, False).apply(x)
    y.sum().backward()
    plain = t.zeros(2); _double_in_place(t, False).apply(plain)
    return y is x, x._version, plain._version, a.grad


def cf_dirty_then_saved(t):
    a = _x(t); x = a.clone(); y = _double_in_place(t, True).apply(x)
    y.sum().backward()
    return a.grad


def cf_vmap_jvp_defaults(t):
    F = _scale(t, lambda g: g * 2)
    out = [F.generate_vmap_rule, callable(F.vmap), callable(F.jvp)]
    for call in (lambda: F.vmap(None, (0,), t.ones(1)), lambda: F.jvp(None, t.ones(1))):
        try:
            call()
        except NotImplementedError:
            out.append("NotImplementedError")
    return out


def cf_instance_called(t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # (torch's DeprecationWarning on instantiating)
        f = _scale(t, lambda g: g)()
    f(_x(t))


# ---------------------------------------------------------------------------- anomaly mode
def anomaly_warns_and_check_nan(t):
    with t.autograd.detect_anomaly(check_nan=False):
        inside = (t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled())
        x = t.tensor([0.0, 1.0], requires_grad=True)
        (x / x).sum().backward()             # NaN gradient, not checked
    with t.autograd.set_detect_anomaly(True, check_nan=False):
        set_inside = (t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled())
    return inside, set_inside, t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled(), \
        np.isnan(x.grad.numpy()).tolist()


# ---------------------------------------------------------------------------- gradcheck
def _x64(t):
    return t.tensor([1.0, 2.0], dtype=t.float64, requires_grad=True)


def gradcheck_torch_options(t):
    return t.autograd.gradcheck(lambda a: a.sin(), (_x64(t),), fast_mode=True, nondet_tol=0.0,
                                check_undefined_grad=True, check_batched_grad=False,
                                check_grad_dtypes=True)


def gradcheck_positional_eps(t):
    return t.autograd.gradcheck(lambda a: a.sin(), (_x64(t),), 1e-6, 1e-5)


def gradcheck_integer_output(t):
    return t.autograd.gradcheck(lambda a: a.argmax(), (_x64(t),)), \
        t.autograd.gradcheck(lambda a: (a.sin(), a.argmax()), (_x64(t),))


def gradgradcheck_torch_options(t):
    return t.autograd.gradgradcheck(lambda a: a ** 3, (_x64(t),), fast_mode=True,
                                    check_undefined_grad=False)


# Every row but cf_dirty_then_saved failed before this probe's fixes:
PROBES = [
    node_prehook_tuple,                # tuple given to/returned by the hook: TypeError before
    node_post_hook,                    # Node.register_hook missing (AttributeError)
    node_post_hook_broadcast_and_none,
    node_hook_removed,                 # register_prehook returned None, no handle
    node_hook_order,
    node_prehook_not_tuple,            # a bare Tensor returned was taken silently
    node_metadata,                     # .metadata, autograd.graph.Node missing
    accumulate_grad_is_node,
    increment_version,                 # autograd.graph.increment_version missing
    grad_empty_inputs,                 # returned () instead of torch's RuntimeError
    cf_backward_float,                 # TypeError, torch's is a RuntimeError
    cf_forward_int,                    # refused (TypeError), torch passes it through
    cf_dirty_version,                  # version 1, torch 2 (mark_dirty bumps it)
    cf_dirty_then_saved,               # (right before; guards the version bump's saving)
    cf_vmap_jvp_defaults,              # generate_vmap_rule/vmap/jvp missing
    cf_instance_called,                # TypeError "not callable", torch's RuntimeError
    anomaly_warns_and_check_nan,       # no warning; check_nan=False turned the mode off
    gradcheck_torch_options,           # fast_mode=... refused (TypeError)
    gradcheck_positional_eps,          # accepted; torch's options are keyword-only
    gradcheck_integer_output,          # an argmax output failed the check
    gradgradcheck_torch_options,       # fast_mode=... refused (TypeError)
]


@pytest.mark.parametrize("probe", PROBES, ids=[p.__name__ for p in PROBES])
def test_matches_torch(probe):
    ours, theirs = _outcome(probe, tg), _outcome(probe, torch)
    assert ours == theirs


def test_backward_create_graph_warns_once():
    """torch warns (once per process) that backward(create_graph=True) makes a reference
    cycle; autograd.grad does not warn."""
    accumulate._warned.discard("create_graph")
    x = _x(tg)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        tg.autograd.grad((x ** 2).sum(), x, create_graph=True)
        assert not w
        (x ** 2).sum().backward(create_graph=True)
        (x ** 2).sum().backward(create_graph=True)
    assert [type(m.message) for m in w] == [UserWarning]
    assert "reference cycle between the parameter and its gradient" in str(w[0].message)
