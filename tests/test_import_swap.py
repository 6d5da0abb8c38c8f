"""``import tinygrad_sgd as torch``: the torch submodules a program reaches by attribute
(``torch.accelerator.is_available()``, ``torch.backends.cudnn.benchmark = True``,
``torch.version.cuda``) resolve on the library itself, not only under the ``tinygrad-sgd run``
shim — every top-level row of the shim's table, and what they answer is what torch's CPU
build answers."""
import importlib
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

# top-level torch modules of the shim's table that are a library module (the shim's table is
# the list of what the library provides under torch's names)
from tinygrad_sgd._torch_shim import MODULES  # noqa: E402

TOP = sorted({name.split(".")[1] for name in MODULES
              if name.startswith("torch.") and name.count(".") == 1})


@pytest.mark.parametrize("name", TOP)
def test_top_level_torch_module_reachable_by_attribute(name):
    # a fresh interpreter: an earlier test's explicit import would set the attribute anyway
    code = (f"import tinygrad_sgd as torch, types\n"
            f"m = torch.{name}\n"
            f"assert isinstance(m, types.ModuleType), type(m)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


BACKEND_FLAGS = [("backends.mps", "is_available", True), ("backends.mps", "is_built", True),
                 ("backends.cudnn", "is_available", True), ("backends.cudnn", "enabled", False),
                 ("backends.cudnn", "benchmark", False), ("backends.cudnn", "deterministic", False),
                 ("backends.cuda.matmul", "allow_tf32", False),
                 ("backends.cuda", "is_built", True),
                 ("accelerator", "is_available", True), ("accelerator", "device_count", True),
                 ("accelerator", "current_accelerator", True),
                 ("version", "cuda", False), ("version", "hip", False)]


def _get(module, path):
    for part in path.split("."):
        module = getattr(module, part)
    return module


@pytest.mark.parametrize("path,name,call", BACKEND_FLAGS,
                         ids=[f"{p}.{n}" for p, n, _ in BACKEND_FLAGS])
def test_cpu_build_answers_as_torch(path, name, call):
    import tinygrad_sgd as tg
    ours, theirs = getattr(_get(tg, path), name), getattr(_get(torch, path), name)
    if call:
        ours, theirs = ours(), theirs()
    assert ours == theirs


def test_tutorial_device_line_and_flags():
    """The quickstart tutorial's device line and the usual determinism switches, unchanged."""
    import tinygrad_sgd as tg
    for lib in (tg, torch):
        device = (lib.accelerator.current_accelerator().type
                  if lib.accelerator.is_available() else "cpu")
        assert device == "cpu"
    saved = tg.backends.cudnn.benchmark, tg.backends.cudnn.deterministic
    try:
        tg.backends.cudnn.benchmark, tg.backends.cudnn.deterministic = False, True
        assert (tg.backends.cudnn.benchmark, tg.backends.cudnn.deterministic) == (False, True)
    finally:
        tg.backends.cudnn.benchmark, tg.backends.cudnn.deterministic = saved


def test_version_compares_as_torch_version():
    import tinygrad_sgd as tg
    v = importlib.import_module("tinygrad_sgd").version.__version__
    assert v >= "2.4" and v >= (2, 0) and str(v).startswith(str(torch.__version__).split("+")[0])
    assert tg.version.cuda is None
