"""The seeding and version boilerplate of training scripts, against torch: the deterministic-
algorithm switches, ``torch.backends.cudnn``, ``torch.__version__`` (compared as a version)
and ``torch.version``."""
import operator

import pytest
import torch
from torch.torch_version import TorchVersion as TheirVersion

import tinygrad_sgd as tg
from tinygrad_sgd._torch_shim import torch_modules
from tinygrad_sgd._torch_shim.version import TorchVersion, __version__
from tinygrad_sgd.backends import cudnn


@pytest.fixture
def restore_determinism():
    yield
    tg.use_deterministic_algorithms(False)
    torch.use_deterministic_algorithms(False)


def _outcome(call):
    try:
        return "ok", call()
    except Exception as e:                   # noqa: BLE001 - the outcome is compared
        return type(e).__name__, str(e)


DETERMINISM_CALLS = [
    ("use", (True,), {}), ("use", (False,), {}), ("use", (True,), {"warn_only": True}),
    ("use", (1,), {}), ("use", ("yes",), {}), ("use", (True,), {"warn_only": 1}),
    ("debug", ("default",), {}), ("debug", ("warn",), {}), ("debug", ("error",), {}),
    ("debug", (0,), {}), ("debug", (1,), {}), ("debug", (2,), {}), ("debug", (True,), {}),
    ("debug", (5,), {}), ("debug", ("x",), {}), ("debug", (1.0,), {}),
]


@pytest.mark.parametrize("which,args,kwargs", DETERMINISM_CALLS, ids=str)
def test_deterministic_switches_answer_as_torchs(which, args, kwargs, restore_determinism):
    def run(lib):
        setter = lib.use_deterministic_algorithms if which == "use" else \
            lib.set_deterministic_debug_mode
        result = _outcome(lambda: setter(*args, **kwargs))
        return result, (lib.are_deterministic_algorithms_enabled(),
                        lib.is_deterministic_algorithms_warn_only_enabled(),
                        lib.get_deterministic_debug_mode())
    assert run(tg) == run(torch)


def test_cudnn_switches_have_torchs_cpu_build_defaults():
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit"):
        assert getattr(cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert cudnn.version() is torch.backends.cudnn.version() is None
    assert cudnn.is_acceptable(tg.ones(1)) is torch.backends.cudnn.is_acceptable(torch.ones(1))


VERSIONS = ["2.13.0", "2.13.0+cpu", "2.13", "2.4", "2.4.1", "2.14", "10.0", "1.13.1+cu117",
            (2, 13), (2, 13, 0), (2, 4), (3,), "2.13.0+a", "2.13.0+z"]


@pytest.mark.parametrize("mine", ["2.13.0+cpu", "2.13.0", "1.13.1+cu117", "2.4"])
def test_version_compares_as_torchs(mine):
    ours, theirs = TorchVersion(mine), TheirVersion(mine)
    for other in VERSIONS:
        for op in (operator.lt, operator.le, operator.gt, operator.ge, operator.eq,
                   operator.ne):
            assert op(ours, other) == op(theirs, other), (mine, op, other)
    assert str(ours) == mine and hash(ours) == hash(mine)


def test_torch_version_through_the_runner():
    assert __version__ == "2.13.0+tinygrad_sgd" and __version__ >= "2.4"
    assert not ("2.13.0" < "2.4") is (__version__ < "2.4")       # a version, not a string
    with torch_modules():
        import importlib
        shim = importlib.import_module("torch")
        version = importlib.import_module("torch.version")
        assert shim.__version__ is __version__
        assert version.cuda is None and version.hip is None and version.debug is False
        assert shim.backends.cudnn.is_available() is False
        shim.backends.cudnn.benchmark = True                  # a script's line runs
        assert shim.use_deterministic_algorithms is tg.use_deterministic_algorithms
