"""Tensor subclasses and ``__torch_function__``, each behaviour checked against torch: what ops
on a subclass return, what a logging subclass (or a TorchFunctionMode) is handed, the
errors when every handler declines, ``nn.Parameter``'s opting out, ``_make_subclass``, and
``torch.overrides``' helpers."""
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional  # noqa: F401  (tg.nn.functional below)
import tinygrad_sgd.overrides  # noqa: F401

LIBS = [tg, torch]


def _functional(lib):
    return lib.nn.functional


def _overrides(lib):
    return lib.overrides


def _outcome(fn):
    """A call's result type name, or its error (type and words, tinygrad_sgd read as torch)."""
    try:
        return type(fn()).__name__
    except Exception as e:                                       # noqa: BLE001
        return type(e).__name__, str(e).replace("tinygrad_sgd", "torch")


# ------------------------------------------------------------------ 1. a plain subclass
PROGRAM = ["a + b", "b + a", "lib.add(a, b)", "a.add(b, alpha=2)", "a.sum()", "a[0]",
           "a.view(3, 2)", "F.relu(a)", "a.T", "a.data", "a.detach()", "a.max(dim=1)",
           "a.split(1)", "lib.cat([b, a])", "lib.stack([a, b])", "2 - a", "a / 2", "2 / a",
           "a ** 2", "-a", "abs(a)", "a == b", "a > 0", "a.float()", "a.clone()", "a.exp()",
           "lib.where(a > 0, a, b)", "F.linear(a, b)", "F.softmax(a, dim=1)",
           "lib.zeros_like(a)", "a.unbind()", "a.shape", "a.tolist()", "a.grad",
           "a.dtype == lib.float32",
           "a.mean(dim=0)", "a @ b.t()", "a.masked_fill(a > 0, 0)", "lib.nn.Linear(3, 2)(a)"]


def _types(value):
    if isinstance(value, (tuple, list)):
        return type(value).__name__, [_types(v) for v in value]
    return type(value).__name__


def test_ops_on_a_subclass_return_the_subclass():
    seen = []
    for lib in LIBS:
        class MyTensor(lib.Tensor):
            pass
        F = _functional(lib)
        lib.manual_seed(0)
        names = {"lib": lib, "F": F, "a": lib.ones(2, 3).as_subclass(MyTensor),
                 "b": lib.full((2, 3), 2.0)}
        seen.append([(s, _types(eval(s, names))) for s in PROGRAM])
    assert seen[0] == seen[1]
    assert ("a + b", "MyTensor") in seen[0]


def test_backward_through_a_subclass_gives_plain_tensors_values():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    seen = []
    for lib in LIBS:
        class MyTensor(lib.Tensor):
            pass
        F = _functional(lib)
        out = []
        for sub in (True, False):
            leaf = lib.tensor(x, requires_grad=True)
            a = leaf.as_subclass(MyTensor) if sub else leaf
            ws = lib.tensor(w, requires_grad=True)
            if sub:
                ws = lib.Tensor._make_subclass(MyTensor, ws, True)
            loss = F.log_softmax(F.relu(a) @ ws * 2 - 1, dim=1).sum()
            loss.backward()
            out.append((type(loss).__name__, type(leaf.grad).__name__, type(ws.grad).__name__,
                        ws.is_leaf, leaf.grad.detach().numpy().copy(),
                        ws.grad.detach().numpy().copy(), float(loss.detach())))
        seen.append(out)
    for ours, theirs in zip(*seen):
        assert ours[:4] == theirs[:4]
        for o, t in zip(ours[4:], theirs[4:]):
            np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-12)
    assert seen[0][0][0] == "MyTensor" and seen[0][0][2] == "Tensor"   # (.grad: plain)
    for o, t in zip(seen[0][0][4:], seen[0][1][4:]):                     # as plain tensors'
        np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-12)


def test_a_subclass_result_is_an_alias_node_as_in_torch():
    for lib in LIBS:
        class MyTensor(lib.Tensor):
            pass
        a = lib.ones(2, requires_grad=True).as_subclass(MyTensor)
        y = a * 2
        assert type(y) is MyTensor and y.requires_grad and not y.is_leaf
        assert y.grad_fn is not None and y.grad_fn.next_functions[0][0] is not None


# ------------------------------------------------------------------ 2. a logging subclass
LOGGED = PROGRAM + ["a.requires_grad_()", "(a * a).sum().backward()", "a.grad", "a.is_leaf",
                    "a.ndim", "len(a)", "1 in a", "float(a[0, 0])", "bool(a[0, 0] > 0)",
                    "a // 2", "2 // a", "a % 2", "2 % a", "a != b", "a <= b",
                    "a.detach().add_(1)", "a.size(0)", "a.dim()", "a.numel()",
                    "F.cross_entropy(a, lib.tensor([0, 1]))", "F.mse_loss(a, b)",
                    "lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU())(a)", "repr(a)",
                    "a.reshape(-1).contiguous()", "a.norm()", "a.argmax()", "a.to(lib.float64)",
                    "[type(r).__name__ for r in a]", "list(a)"]


def _logging(lib, log):
    class LoggingTensor(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            log.append(func.__name__)
            return super().__torch_function__(func, types, args, kwargs)
    return LoggingTensor


@pytest.mark.filterwarnings("ignore:Converting a tensor")
def test_a_logging_subclass_is_handed_what_torch_hands():
    logs = []
    for lib in LIBS:
        log = []
        LoggingTensor = _logging(lib, log)
        lib.manual_seed(0)
        names = {"lib": lib, "F": _functional(lib),
                 "a": lib.randn(2, 3).as_subclass(LoggingTensor), "b": lib.randn(2, 3)}
        for s in LOGGED:
            log.append("# " + s)
            eval(s, names)
        logs.append(log)
    assert "add" in logs[0] and "__get__" in logs[0] and "linear" in logs[0]
    assert logs[0] == logs[1]


def test_func_is_the_public_object_called():
    for lib in LIBS:
        funcs = []

        class Recording(lib.Tensor):
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                funcs.append((func, types, kwargs))
                return super().__torch_function__(func, types, args, kwargs)
        F = _functional(lib)
        a = lib.ones(2).as_subclass(Recording)
        a + 1
        lib.add(a, 1, alpha=3)
        a.sum()
        F.relu(a)
        a[0]
        a.shape
        assert funcs[0] == (lib.Tensor.add, (Recording,), None)
        assert funcs[1] == (lib.add, (Recording,), {"alpha": 3})
        assert funcs[2][0] is lib.Tensor.sum and funcs[3][0] is F.relu
        assert funcs[4][0] is lib.Tensor.__getitem__
        assert funcs[5][0] == lib.Tensor.shape.__get__


def test_a_mode_sees_every_call():
    logs = []
    for lib in LIBS:
        log = []

        class LoggingMode(_overrides(lib).TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                log.append(func.__name__)
                return func(*args, **(kwargs or {}))
        F = _functional(lib)
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 2)
        x = lib.ones(4, 3)
        with LoggingMode():
            y = F.relu(lin(x))
            loss = (y * 2).sum()
            lib.zeros(2)
            x.shape
            loss.backward()
            lin.weight.grad
        logs.append((log, type(y).__name__, _overrides(lib)._get_current_function_mode()))
    assert logs[0] == logs[1]


# ------------------------------------------------------------------ 3. Parameter, errors
def test_parameters_opt_out():
    for lib in LIBS:
        class MyTensor(lib.Tensor):
            pass
        p = lib.nn.Parameter(lib.ones(2))
        m = lib.ones(2).as_subclass(MyTensor)
        assert type(p * 2) is lib.Tensor and type(p.data) is lib.Tensor
        assert type(p.detach()) is lib.Tensor and type(p[0]) is lib.Tensor
        assert type(m + p) is MyTensor and type(p + m) is MyTensor
        assert lib.nn.Parameter.__torch_function__ is lib._C._disabled_torch_function_impl
        assert not _overrides(lib).has_torch_function((p,))
    assert repr(tg._C._disabled_torch_function_impl) == \
        repr(torch._C._disabled_torch_function_impl)


def _declining(lib):
    class Declining(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented
    return Declining


def test_every_handler_declining_is_torchs_error():
    seen = []
    for lib in LIBS:
        F = _functional(lib)
        n = lib.ones(2).as_subclass(_declining(lib))

        class Other(lib.Tensor):
            pass
        o = lib.ones(2).as_subclass(Other)
        calls = [lambda: n + 1, lambda: lib.add(n, 1), lambda: n.sum(), lambda: F.relu(n),
                 lambda: n.shape, lambda: F.linear(n, lib.ones(3, 2)), lambda: n == 1,
                 lambda: n != 1, lambda: n[0], lambda: len(n), lambda: 2 ** n,
                 lambda: n.__iadd__(1), lambda: format(n, ""), lambda: o + n,
                 lambda: lib.cat([o, n]),
                 lambda: lib.Tensor.__torch_function__(lib.add, (Other,), (o, 1))]
        seen.append([_outcome(c) for c in calls])
    for ours, theirs in zip(*seen):
        assert ours == theirs
        if isinstance(ours, tuple):
            assert ours[1] == theirs[1].replace("__main__", __name__)


def test_subclass_before_base_and_tensor_likes():
    seen = []
    for lib in LIBS:
        class Base(lib.Tensor):
            pass

        class Derived(Base):
            pass

        class Like:
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                return func.__name__, [t.__name__ for t in types], kwargs
        F = _functional(lib)
        b, d = lib.ones(2).as_subclass(Base), lib.ones(2).as_subclass(Derived)
        seen.append([type(b + d).__name__, type(d + b).__name__,
                     type(lib.stack([b, d])).__name__, lib.add(lib.ones(1), Like()),
                     lib.ones(1) + Like(), lib.cat([lib.ones(1), Like()]),
                     lib.ones(1).add(Like()), F.relu(Like())[:2]])
    assert seen[0] == seen[1]


def test_a_plain_method_torch_function_warns():
    seen = []
    for lib in LIBS:
        class Plain(lib.Tensor):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                return "handled"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = lib.ones(2).as_subclass(Plain) + 1
        seen.append((result, [(w.category, str(w.message).split(" (Triggered")[0])
                              for w in caught if "plain method" in str(w.message)]))
    assert seen[0] == seen[1] and seen[0][1]


# ------------------------------------------------------------------ 4. making subclasses
def test_make_subclass_and_new():
    seen = []
    for lib in LIBS:
        class Mine(lib.Tensor):
            pass

        class ParamLike(lib.Tensor):
            def __new__(cls, data, requires_grad=True):
                return lib.Tensor._make_subclass(cls, data, requires_grad)

            def __init__(self, data, requires_grad=True):
                self.tag = "kept"
        x = lib.ones(2)
        m = lib.Tensor._make_subclass(Mine, x, True)
        m.data[0] = 5.0                                                 # (x's memory)
        p = ParamLike(lib.ones(2) * 3)
        errors = [_outcome(lambda: lib.Tensor._make_subclass(int, x)),
                  _outcome(lambda: lib.Tensor._make_subclass(Mine, [1.0])),
                  _outcome(lambda: lib.Tensor._make_subclass(Mine, lib.ones(1).long(), True))]
        seen.append((type(m).__name__, m.requires_grad, m.is_leaf, x.tolist(),
                     type(p).__name__, p.requires_grad, p.tag, p.tolist(),
                     type(p * 2).__name__, errors, type(Mine([1.0, 2.0])).__name__,
                     Mine([1.0, 2.0]).tolist()))
    assert seen[0] == seen[1]


# ------------------------------------------------------------------ 5. torch.overrides
def test_overrides_helpers():
    seen = []
    for lib in LIBS:
        ov = _overrides(lib)

        class Mine(lib.Tensor):
            pass

        class Like:
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                return "like", func.__name__, kwargs

        class Refusing:
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                return NotImplemented

        def user_fn(x, y=None):
            if ov.has_torch_function((x,)):
                return ov.handle_torch_function(user_fn, (x,), x, y=y)
            return "plain"
        m = lib.ones(2).as_subclass(Mine)
        with lib._C.DisableTorchFunctionSubclass():
            inside = (type(m + 1).__name__, ov.has_torch_function((m,)),
                      lib._C._is_torch_function_enabled(),
                      lib._C._is_torch_function_all_disabled())
            with lib._C.DisableTorchFunction():
                innermost = lib._C._is_torch_function_all_disabled()
        seen.append((inside, innermost, lib._C._is_torch_function_enabled(),
                     [ov.has_torch_function((v,)) for v in (m, lib.ones(1), Like(), 1)],
                     ov.has_torch_function_unary(m), ov.has_torch_function_variadic(1, m),
                     [ov.is_tensor_like(v) for v in (m, Like(), Like, 1, lib.ones(1))],
                     user_fn(lib.ones(1)), user_fn(Like()), _outcome(lambda: user_fn(Refusing())),
                     type(lib._C._disabled_torch_function_impl(lib.add, (Mine,), (m, 1), {})
                          ).__name__))
    assert seen[0] == seen[1]


def test_overridable_functions_list_the_public_objects():
    table = tg.overrides.get_overridable_functions()
    assert tg.add in table[tg] and tg.Tensor.add in table[tg.Tensor]
    assert tg.nn.functional.relu in table[tg.nn.functional]
    assert tg.Tensor.shape.__get__ in table[tg.Tensor]
    assert tg.tensor in tg.overrides.get_ignored_functions()
    assert tg.overrides.get_default_nowrap_functions() == {tg.Tensor.grad.__get__}
    assert tg.overrides.is_tensor_method_or_property(tg.Tensor.add)
    assert not tg.overrides.is_tensor_method_or_property(tg.add)
    for lib in LIBS:          # (a default argument taken at import names the public object)
        assert lib.nn.TransformerEncoderLayer(4, 2).activation is lib.nn.functional.relu


def test_the_shim_gives_torch_overrides_and_torch_C():
    code = """if True:
        from tinygrad_sgd._torch_shim import torch_modules
        with torch_modules():
            import torch
            from torch.overrides import has_torch_function
            relu = torch.nn.functional.relu          # (taken before the subclass exists)
            class Mine(torch.Tensor):
                pass
            m = torch.ones(2).as_subclass(Mine)
            with torch._C.DisableTorchFunctionSubclass():
                inside = type(m + 1).__name__
            print(type(relu(m)).__name__, inside, has_torch_function((m,)),
                  torch.nn.Parameter.__torch_function__ is torch._C._disabled_torch_function_impl)
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["Mine", "Tensor", "True", "True"]


def test_nothing_changes_until_a_subclass_exists():
    """The hot path: importing the library, training with Parameters, defining the library's
    own subclasses leaves every function as it was; the first user subclass wakes dispatch."""
    code = """if True:
        import tinygrad_sgd as tg, tinygrad_sgd.nn.functional as F
        from tinygrad_sgd import torch_function
        add, relu, op = tg.add, F.relu, tg.Tensor.__add__
        kept = [add, relu]                      # (a list: not a name install() updates)
        lin = tg.nn.Linear(3, 2)
        F.relu(lin(tg.ones(4, 3))).sum().backward()
        class MyParam(tg.nn.Parameter):
            pass
        class Opted(tg.Tensor):
            __torch_function__ = tg._C._disabled_torch_function_impl
        before = (torch_function.installed(), tg.add is add, F.relu is relu,
                  tg.Tensor.__add__ is op)
        class Mine(tg.Tensor):
            pass
        print(before, torch_function.installed(), tg.add is add, kept[0] is add,
              F.relu is not kept[1],
              type(Opted(tg.ones(1)) + 1).__name__, type(MyParam(tg.ones(1)) * 2).__name__)
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["(False,", "True,", "True,", "True)", "True", "True", "False",
                           "True", "Tensor", "Tensor"]


@pytest.mark.parametrize("lib", LIBS, ids=["tinygrad_sgd", "torch"])
def test_printing_a_subclass(lib):
    class Shown(lib.Tensor):
        pass
    a = lib.ones(2, requires_grad=True).as_subclass(Shown) * 2
    text = repr(a)
    assert text.startswith("Shown([2., 2.], grad_fn=<")
