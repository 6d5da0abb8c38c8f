"""Names torch keeps only to say where their function went: ``torch.matrix_rank``, ``lstsq``,
``solve``, ``eig``, ``symeig`` (and the methods ``Tensor.lstsq``, ``solve``, ``eig``,
``symeig``) were removed in torch 1.9 for ``torch.linalg``'s; calling one raises torch's
RuntimeError, which names the replacement. And torch's answers about devices and workers on a
CPU-only library: ``is_distributed`` (never), ``get_device_module`` (``tinygrad_sgd.cpu`` by
default), ``thread_safe_generator``."""
from ..tensor import Tensor, tensor_method

__all__ = ["matrix_rank", "lstsq", "solve", "eig", "symeig", "is_distributed",
           "get_device_module", "thread_safe_generator"]

_GONE = "This function was deprecated since version 1.9 and is now removed."


def matrix_rank(input, tol=None, symmetric=False, *, out=None):
    raise RuntimeError(f"{_GONE}\nPlease use the `torch.linalg.matrix_rank` function instead. "
                       f"The parameter 'symmetric' was renamed in `torch.linalg.matrix_rank()` "
                       f"to 'hermitian'.")


def lstsq(input, A, *, out=None):
    raise RuntimeError(
        f"{_GONE} `torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n"
        "`torch.linalg.lstsq` has reversed arguments and does not return the QR decomposition "
        "in the returned tuple (although it returns other information about the problem).\n\n"
        "To get the QR decomposition consider using `torch.linalg.qr`.\n\n"
        "The returned solution in `torch.lstsq` stored the residuals of the solution in the "
        "last m - n columns of the returned value whenever m > n. In torch.linalg.lstsq, "
        "the residuals are in the field 'residuals' of the returned named tuple.\n\n"
        "The unpacking of the solution, as in\n"
        "X, _ = torch.lstsq(B, A).solution[:A.size(1)]\n"
        "should be replaced with:\n"
        "X = torch.linalg.lstsq(A, B).solution")


def solve(input, A, *, out=None):
    raise RuntimeError(
        f"{_GONE} `torch.solve` is deprecated in favor of `torch.linalg.solve`. "
        "`torch.linalg.solve` has its arguments reversed and does not return the LU "
        "factorization.\n\n"
        "To get the LU factorization see `torch.lu`, which can be used with `torch.lu_solve` "
        "or `torch.lu_unpack`.\n"
        "X = torch.solve(B, A).solution should be replaced with:\n"
        "X = torch.linalg.solve(A, B)")


def eig(self, eigenvectors=False, *, e=None, v=None):
    raise RuntimeError(
        f"{_GONE} `torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` "
        "rather than real tensors mimicking complex tensors.\n\n"
        "L, _ = torch.eig(A) should be replaced with:\n"
        "L_complex = torch.linalg.eigvals(A)\n\n"
        "and\n\n"
        "L, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
        "L_complex, V_complex = torch.linalg.eig(A)")


def symeig(input, eigenvectors=False, upper=True, *, out=None):
    raise RuntimeError(
        f"{_GONE} The default behavior has changed from using the upper triangular portion of "
        "the matrix by default to using the lower triangular portion.\n\n"
        "L, _ = torch.symeig(A, upper=upper) should be replaced with:\n"
        "L = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\n"
        "and\n\n"
        "L, V = torch.symeig(A, eigenvectors=True) should be replaced with:\n"
        "L, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')")


for _fn in (lstsq, solve, eig, symeig):
    setattr(Tensor, _fn.__name__, _fn)


@tensor_method
def is_distributed(input):
    """False: no tensor here is spread over processes (also ``Tensor.is_distributed()``)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_distributed(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return False


def get_device_module(device=None):
    """The module of a device type: ``tinygrad_sgd.cpu`` for None (no accelerator here) or
    "cpu", ``tinygrad_sgd.cuda`` for "cuda" (which says no GPU is available)."""
    import tinygrad_sgd
    from ..device import device as Device
    if isinstance(device, Device):
        name = device.type
    elif isinstance(device, str):
        name = Device(device).type
    elif device is None:
        name = "cpu"
    else:
        raise RuntimeError(f"Invalid value of device '{device}', expect torch.device, str, or "
                           f"None")
    module = getattr(tinygrad_sgd, name, None) if name in ("cpu", "cuda", "mps", "xpu") \
        else None
    if module is None:
        raise RuntimeError(f"Device '{name}' does not have a corresponding module registered "
                           f"as 'torch.{name}'.")
    return module


def thread_safe_generator():
    """The generator of the DataLoader worker thread calling it, None elsewhere (in the main
    thread and in worker processes: the default generator is then used)."""
    from ..utils.data import get_worker_info
    info = get_worker_info()
    if info is not None and getattr(info, "worker_method", None) == "thread" and \
            getattr(info, "rng", None) is not None:
        return info.rng.torch_generator
    return None
