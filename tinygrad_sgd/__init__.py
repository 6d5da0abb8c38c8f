"""tinygrad_sgd — a small automatic-differentiation engine on NumPy, with a PyTorch-shaped API.

    >>> from tinygrad_sgd import Tensor
    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""
import os as _os
import sys as _sys

# OpenBLAS's idle threads spin for ~2^28 cycles after each threaded product, on the cores our
# own workers want (kernels/threads.py). It reads this once, when NumPy loads it: set here when
# tinygrad_sgd is imported before NumPy, unless the program chose a value itself; if NumPy came
# first, kernels.threads.quiet_openblas (below) makes its threads read it again.
_numpy_first = "numpy" in _sys.modules
if not _numpy_first:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from .tensor import Tensor  # noqa: E402
from .dtypes import (DType, float16, float32, float64, uint8, int8, int16, int32, int64,
                     uint16, uint32, uint64, bool_, bfloat16, complex32, complex64, complex128,
                     set_default_dtype, get_default_dtype, finfo, iinfo, promote_types,
                     result_type, can_cast, set_float32_matmul_precision,
                     get_float32_matmul_precision)
from .device import device, set_default_device, get_default_device
from .size import Size
from .memory_layout import layout, strided
from . import storage as _storage  # noqa: F401  (Tensor.storage, untyped_storage)
from . import shared_memory as _shared_memory   # (Tensor.share_memory_, is_shared)
from . import tensor_pickle as _tensor_pickle  # noqa: F401  (pickle, copy keep strides)
from . import cuda
from .creation import (tensor, zeros, ones, full, arange, zeros_like, ones_like, full_like,
                       as_tensor, from_numpy, empty, empty_like, eye, linspace, logspace,
                       meshgrid)
from .legacy_types import (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor,
                           ShortTensor, CharTensor, ByteTensor, BoolTensor,
                           set_default_tensor_type)
from .functions import *  # noqa: F401,F403  (torch's top-level functions: exp, sum, cat, ...)
from . import functions as _functions
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from .autograd import is_anomaly_enabled
from .autograd.anomaly import is_anomaly_check_nan_enabled
from .determinism import (use_deterministic_algorithms, are_deterministic_algorithms_enabled,
                          is_deterministic_algorithms_warn_only_enabled,
                          set_deterministic_debug_mode, get_deterministic_debug_mode)
from . import autograd
from . import linalg
from . import special
from .gradcheck import gradcheck, gradgradcheck, GradcheckError
from .kernels.threads import set_num_threads, get_num_threads
from .kernels.threads import get_num_interop_threads, set_num_interop_threads, init_num_threads
if _numpy_first:
    from .kernels.openblas import quiet_openblas as _quiet_openblas
    _quiet_openblas()
from .runtime_flags import (set_warn_always, is_warn_always_enabled, set_flush_denormal,
                            has_lapack, has_mkl, has_openmp, has_spectral)
from .compiler import compile  # noqa: A001  (torch.compile: runs eagerly here)
from .printing import set_printoptions
from .kernels import allocator as _allocator
from .functions.out import accept_out as _accept_out
from .functions import deprecated_overloads as _deprecated_overloads  # noqa: F401  (add_(-lr, g))
from .arguments import accept_numpy_names as _accept_numpy_names

_accept_out(globals())      # torch.matmul(a, b, out=c): the top-level functions' out= keyword
_accept_numpy_names(globals(), Tensor)     # x.sum(axis=0, keepdims=True), as torch takes it

_allocator.apply_from_environment()
_shared_memory.init_reductions()    # tensors sent to other processes share memory, as torch's

__version__ = "0.1.0"

dtype = DType          # torch.dtype: the class of the dtypes

# torch's constants (Python floats, as torch's; newaxis is None, for indexing)
e, pi, nan, inf, newaxis = 2.718281828459045, 3.141592653589793, float("nan"), float("inf"), None


# torch's other names for the dtypes (defined last: they shadow Python's float, int, bool here)
float, double, half, long, int, short, bool, uint8 = (float32, float64, float16, int64, int32,
                                                      int16, bool_, uint8)
cfloat, cdouble, chalf = complex64, complex128, complex32   # (names only: DTypeWithoutTensors)

__all__ = ["Tensor", "tensor",
           "zeros", "ones", "full", "arange", "zeros_like",
           "ones_like", "full_like", "as_tensor", "from_numpy", "empty", "empty_like", "eye",
           "linspace", "logspace", "meshgrid", "FloatTensor", "DoubleTensor", "HalfTensor",
           "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
           "set_default_tensor_type",
           "float32", "float64", "int64", "bfloat16", "complex32", "complex64", "complex128",
           "cfloat", "cdouble", "chalf",
           "int32", "bool_", "DType", "float16", "uint8", "int8", "int16", "uint16", "uint32",
           "uint64", "device", "cuda",
           "Size", "dtype", "layout", "strided", "set_default_device", "get_default_device",
           "set_default_dtype", "get_default_dtype",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "autocast", "is_autocast_enabled", "get_autocast_dtype",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode",
           "autograd", "linalg", "special", "gradcheck", "gradgradcheck", "GradcheckError",
           "set_num_threads", "get_num_threads",
           "get_num_interop_threads", "set_num_interop_threads", "init_num_threads",
           "set_warn_always", "is_warn_always_enabled", "set_flush_denormal", "compile",
           "e", "pi", "nan", "inf", "newaxis",
           "set_printoptions",
           "nn", "optim", "data", "viz", "models", "save", "load",
           # torch's dtype aliases (a star import shadows Python's float, int, bool, as torch's)
           "float", "double", "half", "long", "int", "short", "bool", "finfo", "iinfo",
           "promote_types", "result_type", "can_cast", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "has_lapack", "has_mkl", "has_openmp",
           "has_spectral", "binomial", "vmap", "fork", "wait"] + _functions.__all__


def __getattr__(name):
    # subpackages that pull in more code are imported on first use
    import importlib
    if name in ("nn", "optim", "data", "viz", "models", "utils", "vision", "func", "amp",
                "distributions", "testing", "cpu", "multiprocessing", "profiler",
                "accelerator", "backends", "serialization", "overrides", "_C", "xpu",
                "hub", "signal", "jit", "__future__", "distributed"):
        return importlib.import_module(f".{name}", __name__)
    if name == "version":        # torch.version (version.cuda is None: no GPU build here)
        return importlib.import_module("._torch_shim.version", __name__)
    if name in ("autocast", "is_autocast_enabled", "get_autocast_dtype"):   # (torch.amp's)
        from .amp import autocast_mode
        return getattr(autocast_mode, name)
    if name in ("_standard_gamma", "_standard_gamma_grad", "_sample_dirichlet",
                "_dirichlet_grad", "binomial"):      # torch's gamma-family samplers
        from .distributions import _gamma_ops
        return getattr(_gamma_ops, name)
    if name in ("fork", "wait"):                # torch.jit's, without their deprecation warning
        from . import jit
        return getattr(jit, "_" + name)
    if name == "vmap":                          # torch.vmap is torch.func.vmap
        from .func import vmap
        return vmap
    if name in ("save", "load"):
        from . import serialization
        return getattr(serialization, name)
    raise AttributeError(f"module 'tinygrad_sgd' has no attribute {name!r}")
