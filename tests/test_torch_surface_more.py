"""More of torch's surface, against torch: star imports of the torch modules under the runner,
the modules and private helpers user code imports by torch's paths (``torch.nn.modules.utils``,
``torch.optim.adam``, ``torch.backends.cuda``, ...), ``Tensor.layout``/``is_sparse``/
``pin_memory``, ``randint(high=, size=)``, the deprecated number-first overloads
(``p.add_(-lr, g)``), the padding layers' short tuples and ``histogram``'s defaults."""
import importlib
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd._torch_shim import MODULES, torch_modules
from tinygrad_sgd.functions import deprecated_overloads

STARRED = ["torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.optim",
           "torch.optim.lr_scheduler", "torch.utils.data", "torch.nn.utils.rnn",
           "torch.nn.utils", "torch.nn.modules", "torch.autograd", "torch.linalg",
           "torch.special", "torch.distributions", "torch.autograd.graph",
           "torch.autograd.grad_mode", "torch.backends.cudnn", "torch.optim.optimizer",
           "torch.random", "torch.nn.modules.utils", "torch.optim.adam"]


def _star(name):
    namespace = {}
    exec(f"from {name} import *", namespace)
    namespace.pop("__builtins__")
    return set(namespace)


@pytest.mark.parametrize("name", STARRED)
def test_star_import_brings_torchs_names_that_the_library_provides(name):
    theirs = _star(name)
    with torch_modules():
        ours = _star(name)
        module = importlib.import_module(name)
        provided = {n for n in theirs if hasattr(module, n)}
    assert ours - theirs == set()
    assert provided - ours <= {"ABC", "Iterable", "abstractmethod"}   # (prune's imports)
    assert ours or name == "torch.backends.cudnn"


# ------------------------------------------------------------------ modules by torch's paths
def _modules_value(name, attr, *args):
    value = getattr(importlib.import_module(name), attr)
    return value(*args) if args else value


PRIVATE_HELPERS = [("torch.nn.modules.utils", "_pair", 3), ("torch.nn.modules.utils", "_pair",
                                                            (1, 2, 3)),
                   ("torch.nn.modules.utils", "_single", [4]),
                   ("torch.nn.modules.utils", "_triple", 2),
                   ("torch.nn.modules.utils", "_quadruple", 0),
                   ("torch.nn.modules.utils", "_reverse_repeat_tuple", (1, 2), 2)]


@pytest.mark.parametrize("row", PRIVATE_HELPERS, ids=str)
def test_private_helpers_as_torchs(row):
    expected = _modules_value(*row)
    with torch_modules():
        assert _modules_value(*row) == expected


@pytest.mark.parametrize("shape,mode", [((3, 4), "fan_in"), ((3, 4, 5, 2), "fan_out"),
                                        ((2, 3, 7), "FAN_IN"), ((3,), "fan_in"),
                                        ((3, 4), "bad")])
def test_fan_helpers_as_torchs(shape, mode):
    def run(lib):
        init = importlib.import_module("torch.nn.init")
        t = lib.empty(shape)
        out = []
        for call in (lambda: init._calculate_fan_in_and_fan_out(t),
                     lambda: init._calculate_correct_fan(t, mode)):
            try:
                out.append(call())
            except Exception as e:              # noqa: BLE001 - the outcome is compared
                out.append((type(e).__name__, str(e)))
        return out
    expected = run(torch)
    with torch_modules():
        assert run(tg) == expected


def test_no_grad_fills_draw_torchs_numbers():
    def run(lib):
        init = importlib.import_module("torch.nn.init")
        lib.manual_seed(3)
        w = lib.empty(3, 4, requires_grad=True)
        a = init._no_grad_uniform_(w, -0.5, 0.5).detach().numpy().copy()
        b = init._no_grad_normal_(w, 1.0, 2.0).detach().numpy().copy()
        return a, b, w.requires_grad, w.grad_fn is None
    expected = run(torch)
    with torch_modules():
        ours = run(tg)
    np.testing.assert_array_equal(ours[0], expected[0])
    np.testing.assert_array_equal(ours[1], expected[1])
    assert ours[2:] == expected[2:]


def test_consume_prefix_as_torchs():
    def run():
        from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present
        from collections import OrderedDict
        sd = OrderedDict([("module.a", 1), ("module.b.c", 2), ("x", 3)])
        sd._metadata = {"": 0, "module": 1, "module.b": 2}
        consume_prefix_in_state_dict_if_present(sd, "module.")
        return list(sd.items()), sd._metadata
    expected = run()
    with torch_modules():
        assert run() == expected


OPTIMIZER_FILES = [("adam", "Adam"), ("adamw", "AdamW"), ("sgd", "SGD"), ("rmsprop", "RMSprop"),
                   ("adagrad", "Adagrad"), ("lbfgs", "LBFGS"), ("nadam", "NAdam"),
                   ("sparse_adam", "SparseAdam")]


@pytest.mark.parametrize("module,cls", OPTIMIZER_FILES)
def test_optimizer_files_give_the_optimizers(module, cls):
    assert getattr(importlib.import_module(f"torch.optim.{module}"), cls).__name__ == cls
    with torch_modules():
        assert getattr(importlib.import_module(f"torch.optim.{module}"), cls) is \
            getattr(tg.optim, cls)


def test_optimizer_required_as_torchs():
    class Old(torch.optim.Optimizer):           # the old tutorials' custom optimizer
        pass

    def run(lib, base):
        from torch.optim.optimizer import required
        p = lib.zeros(2, requires_grad=True)

        class Opt(base):
            def __init__(self, params, lr=required):
                super().__init__(params, dict(lr=lr))
        try:
            Opt([p])
            outcome = "ok"
        except ValueError as e:
            outcome = str(e)
        return repr(required), outcome, Opt([{"params": [p], "lr": 0.5}]).param_groups[0]["lr"]
    expected = run(torch, Old.__bases__[0])
    with torch_modules():
        assert run(tg, tg.optim.Optimizer) == expected


def test_autograd_submodules_resolve():
    with torch_modules():
        from torch.autograd.graph import saved_tensors_hooks
        from torch.autograd.grad_mode import enable_grad, inference_mode, no_grad
        import torch as t
        assert saved_tensors_hooks is tg.autograd.graph.saved_tensors_hooks
        assert no_grad is tg.no_grad and enable_grad is tg.enable_grad
        with inference_mode():
            assert not t.is_grad_enabled()
        from torch.nn.utils.clip_grad import clip_grad_norm_
        from torch.nn.utils.convert_parameters import parameters_to_vector
        from torch.utils.data._utils.collate import default_collate
        assert clip_grad_norm_ is tg.nn.utils.clip_grad_norm_
        assert parameters_to_vector is tg.nn.utils.parameters_to_vector
        assert default_collate is tg.utils.data.default_collate


CUDA_FLAGS = ["allow_tf32", "allow_fp16_reduced_precision_reduction",
              "allow_fp16_reduced_precision_reduction_split_k",
              "allow_bf16_reduced_precision_reduction",
              "allow_bf16_reduced_precision_reduction_split_k", "allow_fp16_accumulation",
              "fp32_precision"]
CUDA_SETS = [("allow_tf32", True), ("allow_tf32", 1), ("allow_fp16_accumulation", 1),
             ("allow_fp16_reduced_precision_reduction", (False, False)),
             ("allow_fp16_reduced_precision_reduction", (True,)),
             ("allow_bf16_reduced_precision_reduction", 1),
             ("allow_bf16_reduced_precision_reduction", []),
             ("allow_bf16_reduced_precision_reduction", (True, 1)),
             ("fp32_precision", "ieee"), ("fp32_precision", "bogus"),
             ("fp32_precision", "bf16"), ("not_a_flag", True)]


@pytest.mark.parametrize("name,value", CUDA_SETS, ids=str)
def test_backends_cuda_matmul_switches_as_torchs(name, value):
    def run():
        import torch as t
        matmul = t.backends.cuda.matmul
        before = {f: getattr(matmul, f) for f in CUDA_FLAGS}
        try:
            setattr(matmul, name, value)
            outcome = "ok"
        except Exception as e:                  # noqa: BLE001 - the outcome is compared
            outcome = (type(e).__name__, str(e))
        after = {f: getattr(matmul, f) for f in CUDA_FLAGS}
        for f in ("allow_tf32", "allow_fp16_accumulation", "fp32_precision"):
            setattr(matmul, f, before[f])
        for half in ("fp16", "bf16"):
            f = f"allow_{half}_reduced_precision_reduction"
            setattr(matmul, f, (before[f], before[f + "_split_k"]))
        return before, outcome, after, t.backends.cuda.is_built(), t.backends.cudnn.allow_tf32
    expected = run()
    with torch_modules():
        assert run() == expected


# ------------------------------------------------------------------ tensors
def _outcome(call):
    try:
        return "ok", call()
    except Exception as e:                      # noqa: BLE001 - the outcome is compared
        return type(e).__name__, str(e)


TENSOR_FORMS = [
    lambda L: (repr(L.strided), str(L.ones(2).layout), L.ones(2).layout is L.strided),
    lambda L: (L.ones(2).is_sparse, L.ones(2).is_pinned()),
    lambda L: L.ones(2).pin_memory(),
    lambda L: L.ones(2, requires_grad=True).pin_memory(),
    lambda L: L.zeros(2, layout="strided"),
    lambda L: isinstance(L.strided, L.layout),
    lambda L: [f(layout=L.strided).shape == (2,) for f in (
        lambda **k: L.zeros(2, **k), lambda **k: L.ones(2, **k), lambda **k: L.empty(2, **k),
        lambda **k: L.full((2,), 1.0, **k), lambda **k: L.arange(2, **k),
        lambda **k: L.linspace(0, 1, 2, **k), lambda **k: L.logspace(0, 1, 2, **k),
        lambda **k: L.rand(2, **k), lambda **k: L.randn(2, **k),
        lambda **k: L.randint(3, (2,), **k), lambda **k: L.randperm(2, **k),
        lambda **k: L.zeros_like(L.ones(2), **k), lambda **k: L.rand_like(L.ones(2), **k),
        lambda **k: L.randint_like(L.ones(2), 3, **k), lambda **k: L.normal(0.0, 1.0, (2,), **k),
        lambda **k: L.ones(3).new_zeros(2, **k), lambda **k: L.ones(3).new_full((2,), 1., **k))],
    lambda L: (L.manual_seed(0), L.randint(high=4, size=(3,)).tolist(),
               L.randint(high=4, size=(3,), dtype=L.int32).tolist())[1:],
    lambda L: L.randint(size=(3,)),
]


@pytest.mark.parametrize("form", range(len(TENSOR_FORMS)))
def test_tensor_surface_as_torchs(form):
    expected = _outcome(lambda: TENSOR_FORMS[form](torch))
    if expected[0] == "TypeError" and "invalid combination" in expected[1]:
        assert _outcome(lambda: TENSOR_FORMS[form](tg))[0] == "TypeError"
        return
    assert _outcome(lambda: TENSOR_FORMS[form](tg)) == expected


NUMBER_FIRST = ["add_(-0.1, D)", "add(-0.1, D)", "sub_(0.1, D)", "sub(0.25, D)", "add_(2, 3)",
                "addcmul_(0.5, D, D)", "addcmul(0.5, D, D)", "addcdiv_(-0.5, D, D)",
                "addcdiv(0.5, D, D)", "add_(D, alpha=2)"]


@pytest.mark.parametrize("call", NUMBER_FIRST)
def test_number_first_overloads_as_torchs(call, monkeypatch):
    monkeypatch.setattr(deprecated_overloads, "_warned", set())

    def run(lib):
        p, d = lib.ones(3), lib.tensor([1.0, 2.0, 3.0])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = eval("P." + call, {"P": p, "D": d}).tolist()
            again = eval("P." + call, {"P": p, "D": d}).tolist()
        return value, again, [str(w.message).split(" (Triggered")[0] for w in caught]
    expected, ours = run(torch), run(tg)
    assert ours[:2] == expected[:2]
    name = call.split("(")[0]
    if "alpha=" in call:
        assert ours[2] == expected[2] == []
    else:
        assert len(ours[2]) == 1 and ours[2][0].startswith(f"This overload of {name} is")
        assert expected[2] in ([], ours[2])     # (torch warns once per process)


def test_number_first_alpha_checks_as_torchs():
    def run(lib):
        ints = lib.ones(3, dtype=lib.int64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _outcome(lambda: ints.add_(0.5, ints))
    assert run(tg) == run(torch)


PADS = [("ConstantPad2d", (1, 2), 0.5), ("ConstantPad1d", (1, 2, 3, 4), 0.5),
        ("ConstantPad3d", (1, 2), 0.5), ("ConstantPad2d", (1, 2, 1), 0.5),
        ("ConstantPad2d", [1, 2], 0.5), ("ZeroPad2d", (1, 2)), ("ZeroPad2d", (1, 1, 1, 1, 1, 1)),
        ("ZeroPad1d", (1, 2, 0, 1)), ("ReflectionPad2d", (1, 1)),
        ("ReflectionPad2d", (1, 1, 1, 1)), ("ReplicationPad2d", (1, 2)),
        ("CircularPad2d", (1, 1)), ("ReflectionPad1d", (1, 1, 1, 1)), ("ReplicationPad3d", 1)]


@pytest.mark.parametrize("row", PADS, ids=str)
@pytest.mark.parametrize("shape", [(1, 2, 3, 3), (2, 3, 3)])
def test_padding_layers_take_torchs_short_tuples(row, shape):
    def run(lib):
        layer = getattr(lib.nn, row[0])(*row[1:])
        x = lib.arange(float(np.prod(shape))).reshape(shape)
        return repr(layer), _outcome(lambda: layer(x).tolist())
    (text, out), (ours_text, ours) = run(torch), run(tg)
    assert ours_text == text
    # (F.pad's shape errors are the library's ShapeError, a RuntimeError)
    assert ours[0] == out[0] or (ours[0], out[0]) == ("ShapeError", "RuntimeError")
    assert out[0] != "ok" or ours == out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [{}, {"density": True}, {"bins": 7, "density": True},
                                    {"bins": 100, "density": True, "range": (-0.9, 0.8)}],
                         ids=str)
def test_histogram_default_bins_and_density_bits(dtype, kwargs):
    values = np.tanh(np.random.default_rng(0).standard_normal(3200)).astype(dtype)
    theirs = torch.histogram(torch.from_numpy(values), **kwargs)
    ours = tg.histogram(tg.from_numpy(values), **kwargs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert a.numpy().dtype == b.numpy().dtype


def test_histogramdd_density_bits():
    points = np.random.default_rng(1).standard_normal((500, 2)).astype(np.float32)
    theirs = torch.histogramdd(torch.from_numpy(points), bins=[3, 5], density=True)
    ours = tg.histogramdd(tg.from_numpy(points), bins=[3, 5], density=True)
    np.testing.assert_array_equal(ours.hist.numpy(), theirs.hist.numpy())


def test_new_rows_are_in_the_table():
    for name in ("torch.nn.modules.utils", "torch.optim.adamw", "torch.backends.cuda",
                 "torch.autograd.graph", "torch.autograd.grad_mode", "torch.nn.utils.clip_grad",
                 "torch.nn.utils.convert_parameters", "torch.utils.data._utils.collate"):
        assert name in MODULES
