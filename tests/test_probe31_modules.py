"""Probe 31: the ``nn.Module`` mechanics a torch program relies on, compared with torch.

Each case is one small program run twice — with ``torch`` and with ``tinygrad_sgd`` in its
place — and what it returns (values, names, orders, types, reprs) or raises (exception class
and message) and warns must agree, after the library's own name is read as torch's
(``tinygrad_sgd.float32`` for ``torch.float32``). Covered: attribute registration
(``__setattr__`` over parameters, buffers and children; ``add_module``'s name checks;
assigning before ``Module.__init__``), ``named_buffers(remove_duplicate=False)``,
``get_submodule``/``get_parameter``/``set_submodule`` errors, ``state_dict`` with positional
arguments, the private state-dict hooks (``_register_state_dict_hook``,
``_register_load_state_dict_pre_hook``), ``load_state_dict(assign=True)`` keeping the state
dict's tensors themselves, ParameterList/ParameterDict holding any object (reprs, errors,
``__call__``), ModuleList/ModuleDict argument errors, the hook tables of a fresh module, the
global hooks of ``nn.modules.module`` (forward, backward, registration) and ``always_call``
forward hooks when a pre-hook raises.
"""
import copy
import importlib
import re
import warnings
from collections import OrderedDict

import pytest

import tinygrad_sgd

torch = pytest.importorskip("torch")


def _norm(text):
    """The library's names read as torch's."""
    text = re.sub(r"tinygrad_sgd\.nn\.[a-z_]+\.", "torch.nn.modules.X.", text)
    text = re.sub(r"torch\.nn\.modules\.[a-z_]+\.", "torch.nn.modules.X.", text)
    return text.replace("tinygrad_sgd.", "torch.")


def _run(program, lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", program(lib))
        except Exception as e:  # the exception is the result compared
            result = ("raised", type(e).__name__, str(e))
    return _norm(repr(result)), [(w.category.__name__, _norm(str(w.message))) for w in caught]


# ---------------------------------------------------------------- the programs
def _with_x(L):
    class A(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.x = 1
    return A()


def _add_module(L, name, owner=None):
    m = owner(L) if owner else L.nn.Module()
    if name == "w":
        m.w = L.nn.Parameter(L.ones(1))
    m.add_module(name, L.nn.ReLU())
    return list(m._modules)


def _buffer_then_module(L):
    m = L.nn.Module()
    m.register_buffer("b", L.ones(1), persistent=False)
    m.b = L.nn.Linear(1, 1)
    return list(m._buffers), list(m._modules), sorted(m._non_persistent_buffers_set)


def _before_init(L, make):
    class Early(L.nn.Module):
        def __init__(self):
            self.v = make(L)
            super().__init__()
    m = Early()
    return type(m.v).__name__, list(m._parameters), list(m._modules)


def _named_buffers_shared(L):
    bn = L.nn.BatchNorm1d(2)
    s = L.nn.Sequential(bn, bn)
    return ([n for n, _ in s.named_buffers()],
            [n for n, _ in s.named_buffers(remove_duplicate=False)])


def _lookups(L, method, targets):
    s = L.nn.Sequential(L.nn.BatchNorm1d(2), L.nn.Linear(1, 1, bias=False))
    s.add_module("gone", None)
    out = []
    for t in targets:
        try:
            out.append(type(getattr(s, method)(t)).__name__)
        except AttributeError as e:
            out.append(str(e))
    return out


def _set_submodule(L, target, module=None, strict=False):
    s = L.nn.Sequential(L.nn.Sequential(L.nn.Linear(1, 1)))
    s.set_submodule(target, L.nn.ReLU() if module is None else module, strict=strict)
    return repr(s)


def _state_dict_positional(L):
    return list(L.nn.Linear(1, 1).state_dict(OrderedDict(), "x."))


def _private_state_dict_hook(L, inplace):
    m = L.nn.Sequential(L.nn.Linear(1, 1))

    def hook(module, sd, prefix, local_metadata):
        if inplace:
            sd[prefix + "extra"] = 1
            return None
        return OrderedDict(replaced=1)
    m[0]._register_state_dict_hook(hook)       # a child's new dict is dropped, as in torch
    m._register_state_dict_hook(lambda mod, sd, prefix, lm: None if inplace else
                                OrderedDict(top=2))
    return list(m.state_dict())


def _public_hook_returns(L):
    m = L.nn.Linear(1, 1)
    m.register_state_dict_post_hook(lambda *a: {})
    return m.state_dict()


def _hook_registered_twice(L, first_public):
    m = L.nn.Linear(1, 1)

    def hook(*args):
        return None
    if first_public:
        m.register_state_dict_post_hook(hook)
        m._register_state_dict_hook(hook)
    else:
        m._register_state_dict_hook(hook)
        m.register_state_dict_post_hook(hook)


def _private_load_pre_hook(L):
    log = []
    m = L.nn.Sequential(L.nn.Linear(1, 1))
    m[0]._register_load_state_dict_pre_hook(
        lambda sd, prefix, lm, strict, mk, uk, em: log.append((prefix, lm, strict)))
    m[0]._register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, *rest: log.append((type(mod).__name__, prefix)),
        with_module=True)
    return repr(m.load_state_dict(m.state_dict())), log


def _assign_keeps_tensors(L):
    m = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2))
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    sd["0.bias"] = L.nn.Parameter(sd["0.bias"], requires_grad=False)
    m.load_state_dict(sd, assign=True)
    return (m[1].running_mean is sd["1.running_mean"], m[0].bias is sd["0.bias"],
            m[0].bias.requires_grad, m[0].weight is sd["0.weight"],
            type(m[0].weight).__name__, m[0].weight.requires_grad,
            str(m[1].num_batches_tracked.dtype))


def _parameter_list(L):
    pl = L.nn.ParameterList([L.nn.Parameter(L.ones(2)), L.zeros(3)])
    pl.append(3)
    pl.extend(["s", None])
    pl[0] = L.ones(1, 2)
    sub = pl[1:4]
    return (repr(pl), len(pl), [type(p).__name__ for p in pl],
            [n for n, _ in pl.named_parameters()], list(pl.state_dict()), repr(sub),
            "0" in dir(pl))


def _parameter_dict(L):
    pd = L.nn.ParameterDict({"b": L.zeros(3), "a": L.nn.Parameter(L.ones(2))})
    pd["c"] = 5
    pd.update([("d", L.ones(1)), ["e", "text"]])
    out = [repr(pd), list(pd), [type(v).__name__ for v in pd.values()],
           [n for n, _ in pd.named_parameters()], list(pd.state_dict())]
    out.append(pd.popitem())
    out.append(type(pd.pop("a")).__name__)
    out.append((list(pd), pd.get("zz", 9), "c" in pd))
    pd.clear()
    out.append((len(pd), list(pd.state_dict())))
    return out


def _call(L, make):
    return make(L)(L.ones(1))


def _module_list_copy(L):
    m = L.nn.ModuleList([L.nn.Linear(1, 1)])
    pl = L.nn.ParameterList([L.ones(1), 2])
    c, p = copy.deepcopy(m), copy.deepcopy(pl)
    return len(c), len(p), [type(v).__name__ for v in p], p[0] is pl[0]


def _fresh_tables(L):
    m = L.nn.Linear(1, 1)
    return [len(getattr(m, k)) for k in (
        "_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
        "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
        "_load_state_dict_post_hooks", "_forward_hooks_with_kwargs",
        "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs")]


def _globals(L):
    return importlib.import_module(L.nn.__name__ + ".modules.module")


def _global_forward_hooks(L):
    g, log = _globals(L), []
    handles = [g.register_module_forward_pre_hook(
                   lambda mod, a: log.append("pre " + type(mod).__name__)),
               g.register_module_forward_hook(
                   lambda mod, a, o: log.append("post " + type(mod).__name__))]
    relu = L.nn.ReLU()
    relu.register_forward_hook(lambda mod, a, o: log.append("own post"))
    relu.register_forward_pre_hook(lambda mod, a: log.append("own pre"))
    try:
        L.nn.Sequential(relu)(L.ones(1))
    finally:
        for h in handles:
            h.remove()
    L.nn.ReLU()(L.ones(1))
    return log


def _global_forward_hook_replaces(L):
    g = _globals(L)
    h = g.register_module_forward_hook(lambda mod, a, o: o * 2, with_kwargs=False)
    try:
        return L.nn.Identity()(L.ones(2)).tolist()
    finally:
        h.remove()


def _global_backward_hooks(L):
    g, log = _globals(L), []
    handles = [g.register_module_full_backward_hook(
                   lambda mod, gi, go: log.append(("post", type(mod).__name__,
                                                   [t.tolist() for t in go]))),
               g.register_module_full_backward_pre_hook(
                   lambda mod, go: log.append(("pre", type(mod).__name__)))]
    x = L.tensor([0.5, -1.0], requires_grad=True)
    try:
        (L.nn.Sequential(L.nn.Tanh())(x) * 3).sum().backward()
    finally:
        for h in handles:
            h.remove()
    return log, [round(v, 5) for v in x.grad.tolist()]


def _global_registration_hooks(L):
    g, log = _globals(L), []

    def on_param(mod, name, p):
        log.append("p " + name)
        return L.nn.Parameter(p.detach() * 0 + 7) if name == "bias" else None
    handles = [g.register_module_module_registration_hook(
                   lambda mod, name, sub: log.append("m " + name)),
               g.register_module_parameter_registration_hook(on_param),
               g.register_module_buffer_registration_hook(
                   lambda mod, name, b: log.append("b " + name))]
    try:
        s = L.nn.Sequential(L.nn.BatchNorm1d(2))
        s.register_parameter("none", None)
        s.bias = L.nn.Parameter(L.ones(2))
        s.register_buffer("gone", None)
    finally:
        for h in handles:
            h.remove()
    return log, s.bias.tolist(), [n for n, _ in s.named_parameters()]


def _always_call_after_pre_hook_raises(L):
    m, log = L.nn.Identity(), []

    def bad(mod, args):
        raise ValueError("pre-hook")
    m.register_forward_pre_hook(bad)
    m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
    m.register_forward_hook(lambda mod, a, o: log.append("normal"))
    try:
        m(L.ones(1))
    except ValueError as e:
        log.append(str(e))
    return log


def _always_call_not_twice(L):
    m, log = L.nn.Identity(), []
    m.register_forward_hook(lambda mod, a, o: log.append("always"), always_call=True)

    def bad(mod, a, o):
        raise KeyError("late")
    m.register_forward_hook(bad)
    try:
        m(L.ones(1))
    except KeyError as e:
        log.append(str(e))
    return log


def _always_call_hook_raises(L):
    class Boom(L.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    def bad(mod, a, o):
        raise KeyError("hook")
    m = Boom()
    m.register_forward_hook(bad, always_call=True)
    m(L.ones(1))


# ---------------------------------------------------------------- the table
# (name, program); the fix each needed is said in the comment (all failed before it)
CASES = [
    # Module.add_module: torch's KeyErrors for an empty name and an existing attribute
    ("add_module empty name", lambda L: _add_module(L, "")),
    ("add_module over a plain attribute", lambda L: _add_module(L, "x", _with_x)),
    ("add_module over a parameter", lambda L: _add_module(L, "w")),
    ("add_module over a method", lambda L: _add_module(L, "forward")),
    ("add_module over training", lambda L: _add_module(L, "training")),
    ("add_module dotted name", lambda L: _add_module(L, "a.b")),
    # Module.__setattr__: a Module replaces a buffer; plain values before __init__
    ("module over a buffer", _buffer_then_module),
    ("plain value before __init__", lambda L: _before_init(L, lambda L: 3)),
    ("tensor before __init__", lambda L: _before_init(L, lambda L: L.ones(1))),
    ("parameter over a buffer", lambda L: (lambda m: (m.register_buffer("b", L.ones(1),
                                                                         persistent=False),
                                                      setattr(m, "b", L.nn.Parameter(L.ones(1))),
                                                      list(m._buffers), list(m._parameters),
                                                      sorted(m._non_persistent_buffers_set))[2:])
     (L.nn.Module())),
    ("int over a child module", lambda L: setattr(
        (lambda m: (setattr(m, "c", L.nn.ReLU()), m)[1])(L.nn.Module()), "c", 3)),
    ("int over a buffer", lambda L: setattr(
        (lambda m: (m.register_buffer("b", L.ones(1)), m)[1])(L.nn.Module()), "b", 3)),
    # named_buffers passes remove_duplicate on to named_modules
    ("named_buffers of a shared module", _named_buffers_shared),
    # get_submodule / get_parameter / get_buffer: torch's AttributeError texts
    ("get_submodule", lambda L: _lookups(L, "get_submodule", [
        "0", "", "2", "0.weight", "0.x", "gone", "gone.x"])),
    ("get_parameter", lambda L: _lookups(L, "get_parameter", [
        "0.weight", "0.running_mean", "0.nope", "1.bias", "0.training", "0", "3.w"])),
    ("get_buffer", lambda L: _lookups(L, "get_buffer", [
        "0.running_mean", "0.weight", "0.nope", "0.training"])),
    # set_submodule: ValueErrors for an empty target or a non-Module, AttributeError over a
    # non-Module attribute
    ("set_submodule replace", lambda L: _set_submodule(L, "0.0")),
    ("set_submodule new, strict", lambda L: _set_submodule(L, "0.5", strict=True)),
    ("set_submodule new", lambda L: _set_submodule(L, "0.5")),
    ("set_submodule empty target", lambda L: _set_submodule(L, "")),
    ("set_submodule of an int", lambda L: _set_submodule(L, "0.0", module=3)),
    ("set_submodule over a parameter", lambda L: _set_submodule(L, "0.0.weight")),
    ("set_submodule missing parent", lambda L: _set_submodule(L, "9.0")),
    # state_dict(destination, prefix): still works, with torch's FutureWarning
    ("state_dict positional args", _state_dict_positional),
    # the private state-dict hooks
    ("_register_state_dict_hook in place", lambda L: _private_state_dict_hook(L, True)),
    ("_register_state_dict_hook new dict", lambda L: _private_state_dict_hook(L, False)),
    ("public post hook returning a value", _public_hook_returns),
    ("hook public then private", lambda L: _hook_registered_twice(L, True)),
    ("_register_load_state_dict_pre_hook", _private_load_pre_hook),
    # load_state_dict(assign=True) puts the state dict's tensors themselves in the module
    ("load_state_dict assign keeps tensors", _assign_keeps_tensors),
    # ParameterList / ParameterDict as torch's: any object, reprs, errors, not callable
    ("ParameterList of objects", _parameter_list),
    ("ParameterDict of objects", _parameter_dict),
    ("ParameterDict missing key", lambda L: L.nn.ParameterDict({"a": L.ones(1)})["x"]),
    ("ParameterDict int key", lambda L: L.nn.ParameterDict().__setitem__(3, L.ones(1))),
    ("ParameterDict.update(int)", lambda L: L.nn.ParameterDict().update(3)),
    ("ParameterDict.update bad pair", lambda L: L.nn.ParameterDict().update([("a",)])),
    ("ParameterList.extend(tensor)", lambda L: L.nn.ParameterList().extend(L.ones(2))),
    ("ParameterList()", lambda L: _call(L, lambda L: L.nn.ParameterList())),
    ("ParameterDict()", lambda L: _call(L, lambda L: L.nn.ParameterDict())),
    ("deepcopy of lists", _module_list_copy),
    # ModuleList.extend / ModuleDict.update: torch's TypeError / ValueError texts
    ("ModuleList(int)", lambda L: L.nn.ModuleList(3)),
    ("ModuleList.extend(int)", lambda L: L.nn.ModuleList().extend(3)),
    ("ModuleDict.update(int)", lambda L: L.nn.ModuleDict().update(3)),
    ("ModuleDict.update bad pair", lambda L: L.nn.ModuleDict().update([("a",)])),
    ("ModuleDict.update pairs", lambda L: list(L.nn.ModuleDict().update(
        [("b", L.nn.ReLU()), ["a", L.nn.Tanh()]]) or ())),
    # every hook table exists (empty) on a fresh module, as torch's
    ("hook tables of a fresh module", _fresh_tables),
    # the global hooks of nn.modules.module
    ("global forward hooks", _global_forward_hooks),
    ("global forward hook replaces", _global_forward_hook_replaces),
    ("global backward hooks", _global_backward_hooks),
    ("global registration hooks", _global_registration_hooks),
    # always_call forward hooks: also when a pre-hook raises, once, torch's warning text
    ("always_call after a pre-hook raised", _always_call_after_pre_hook_raises),
    ("always_call hook not run twice", _always_call_not_twice),
    ("always_call hook raising", _always_call_hook_raises),
]


@pytest.mark.parametrize("name,program", CASES, ids=[c[0] for c in CASES])
def test_module_mechanics_match_torch(name, program):
    ours, theirs = _run(program, tinygrad_sgd), _run(program, torch)
    assert ours == theirs


def test_global_hooks_are_where_torch_has_them():
    ours = importlib.import_module("tinygrad_sgd.nn.modules.module")
    theirs = importlib.import_module("torch.nn.modules.module")
    names = [n for n in dir(theirs) if n.startswith("register_module_") and
             n != "register_module_backward_hook"]      # (torch's deprecated non-full hook)
    assert names and all(callable(getattr(ours, n, None)) for n in names)
    assert not any(n.startswith("register_module_") for n in dir(tinygrad_sgd.nn.modules))
