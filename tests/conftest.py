"""pytest configuration: the hypothesis settings profile shared by every property test.

The default profile keeps the suite fast (a few dozen examples per property, no per-example
deadline: the first call of an op can be slow) and derandomized: every run draws the same
examples, so CI on a clean clone is reproducible (random draws once turned up a different
rounding-level edge case on each run). Set ``TINYGRAD_HYPOTHESIS_PROFILE=thorough`` for a long
hunt with fresh random examples.
"""
import os

# NumPy picks its SIMD code when it is imported: on a CPU with AVX-512 (x86-64-v4) its exp, log,
# pow, ... can round the last bit differently from its AVX2 code. Our special functions and
# samplers that build on them equal torch's bit for bit with NumPy's AVX2 code (on AVX2 and on
# AVX-512 machines, measured on an AMD EPYC Zen 3 and a Zen 5), and the tests that say so run
# NumPy there; with NumPy's AVX-512 code some of those numbers are 1 ulp from torch's (README,
# "Guarantees"). Set before anything imports NumPy; a machine without AVX-512 ignores it.
os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("fast", max_examples=30, deadline=None, derandomize=True,
                          database=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("TINYGRAD_HYPOTHESIS_PROFILE", "fast"))


def pytest_configure(config):
    """torch, the oracle, on one thread: the tests' tensors are tiny, and on a busy 2-core
    machine torch's thread pool made each of its steps up to ~30x slower."""
    try:
        import torch
    except ImportError:       # torch is a test extra; tests that need it import it themselves
        return
    torch.set_num_threads(1)


@pytest.fixture
def restore_backend():
    """Put the kernel set (NumPy or numba) back as it was after a test that switches it."""
    from tinygrad_sgd import kernels
    previous = kernels.backend()
    yield
    kernels.set_backend(previous)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def split(request, monkeypatch):
    """1 thread, or 2 with every size of work split (the thresholds set to 0)."""
    from tinygrad_sgd.kernels import threads
    previous = threads.get_num_threads()
    threads.set_num_threads(request.param)
    if request.param > 1:
        monkeypatch.setattr(threads, "MIN_PARALLEL_ELEMENTS", 0)
        monkeypatch.setattr(threads, "MIN_PARALLEL_BLAS_ELEMENTS", 0)
    yield request.param
    threads.set_num_threads(previous)


def _numba_installed():
    # (not tinygrad_sgd's numba_available: the library is not imported before the tests do)
    import importlib.util
    return importlib.util.find_spec("numba") is not None


@pytest.fixture(params=["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    not _numba_installed(), reason="numba not installed"))])
def kernel_set(request):
    """Each kernel set in turn, put back after."""
    from tinygrad_sgd import kernels
    previous = kernels.set_backend(request.param)
    yield request.param
    kernels.set_backend(previous)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def same_threads(request):
    """torch and the library on the same number of threads (1, then 2): where torch's numbers
    depend on its thread count (sums split above 32,768 elements, the softmax backward's last
    vector), the library follows its own."""
    import torch
    import tinygrad_sgd as tg
    before_t, before_ours = torch.get_num_threads(), tg.get_num_threads()
    torch.set_num_threads(request.param)
    tg.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(before_t)
    tg.set_num_threads(before_ours)


@pytest.fixture
def torch_mode():
    """Names, reprs and printing as in a torch program run by the library (``tinygrad-sgd
    run``): torch's node names and ``torch.`` prefixes, put back after."""
    from tinygrad_sgd.printing import OPTIONS
    old = OPTIONS.namespace
    OPTIONS.namespace = "torch"
    try:
        yield
    finally:
        OPTIONS.namespace = old


@pytest.fixture(scope="module", autouse=True)
def _no_dispatch_leak():
    """A test module that defines a Tensor subclass in this process (test_tensor_subclass,
    test_probe33_nn) switches ``__torch_function__`` dispatch on for good, as torch would:
    ``torch_function.install`` puts a wrapper at every public function and Tensor method (so
    ``Tensor.sin`` is no longer ``tg.sin``). When such a module is done, put the library back
    as a fresh process has it, so that the modules after it do not depend on the order."""
    import importlib
    import sys
    tensor = sys.modules.get("tinygrad_sgd.tensor")
    tf = tensor and importlib.import_module("tinygrad_sgd.torch_function")   # (no side effects)
    if tensor is None or tf.installed():
        yield                   # (nothing to put back: already on, or the library not loaded)
        return
    saved = (dict(vars(tensor.Tensor)), set(tf._QUIET), dict(tf._TAKES_PART))
    yield
    if tf.installed():
        _undo_dispatch(tf, tensor.Tensor, *saved)


def _undo_dispatch(tf, Tensor, tensor_vars, quiet, takes_part):
    """Undo ``torch_function.install`` (``torch_function.uninstall``: Tensor's methods and
    properties, every module's names and every function's defaults as they were, the meta
    device's part off), and forget what this module's subclasses taught the dispatch (its
    caches of types, the wrappers' code), so that the next module starts as a fresh process."""
    from tinygrad_sgd import errors
    tf.uninstall()
    changed = [n for n, v in tensor_vars.items() if vars(Tensor).get(n) is not v]
    assert not changed, f"uninstall left Tensor.{changed[:5]} changed"
    tf._QUIET.clear()
    tf._QUIET.update(quiet)
    tf._TAKES_PART.clear()
    tf._TAKES_PART.update(takes_part)
    errors.WRAPPER_CODES.clear()
