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


CUDA_CALLS = [("current_device", ()), ("get_device_name", (0,)), ("get_device_properties", (0,)),
              ("get_device_capability", (0,)), ("synchronize", ()), ("init", ()),
              ("mem_get_info", ()), ("ipc_collect", ()), ("current_stream", ()),
              ("get_rng_state", ()), ("empty_cache", ()), ("memory_allocated", ()),
              ("max_memory_allocated", ()), ("memory_reserved", ()), ("device_count", ()),
              ("is_available", ()), ("manual_seed", (0,)), ("manual_seed_all", (0,)),
              ("seed", ()), ("seed_all", ()), ("is_initialized", ()), ("get_arch_list", ()),
              ("is_bf16_supported", ()), ("set_rng_state", (None,))]


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except Exception as e:                                       # noqa: BLE001
        return type(e).__name__, str(e).split(" (tinygrad_sgd")[0]


@pytest.mark.parametrize("name,args", CUDA_CALLS, ids=[c[0] for c in CUDA_CALLS])
def test_torch_cuda_on_a_cpu_build(name, args):
    """torch.cuda's calls as torch's CPU build answers them: constants, or its AssertionError
    'Torch not compiled with CUDA enabled' for a question to the GPU itself."""
    import tinygrad_sgd as tg
    if name == "set_rng_state":
        args = (torch.zeros(1, dtype=torch.uint8),)
        ours_args = (tg.zeros(1, dtype=tg.uint8),)
    else:
        ours_args = args
    assert _outcome(getattr(tg.cuda, name), *ours_args) == \
        _outcome(getattr(torch.cuda, name), *args)


@pytest.mark.parametrize("move", ["to", "cuda", "factory", "module"])
def test_a_cuda_device_is_torchs_assertion_error_and_a_runtime_error(move):
    import tinygrad_sgd as tg
    do = {"to": lambda L: L.ones(2).to("cuda"), "cuda": lambda L: L.ones(2).cuda(),
          "factory": lambda L: L.ones(2, device="cuda"),
          "module": lambda L: L.nn.Linear(2, 2).cuda()}[move]
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled"):
        do(torch)
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled") as caught:
        do(tg)
    assert isinstance(caught.value, RuntimeError)      # (the library's other device refusals)
    assert type(caught.value).__name__ == "AssertionError"
