"""Devices as torch spells them. Everything here runs on the CPU: ``device("cpu")`` is the
one device, ``cuda.is_available()`` is False, and asking for another device is a clear error
(a torch program that checks ``cuda.is_available()`` runs unchanged).

The meta device (``device("meta")``: shapes and dtypes without values, see
:mod:`tinygrad_sgd.meta`) is the one other device: factories take ``device='meta'`` and it
can be the default device. The default device (:func:`set_default_device`,
``with device("cpu"):``) is otherwise the CPU; as torch, :func:`get_default_device` reports
the one set or entered last (``cpu:0`` if it was named with an index, else ``cpu``, or
``meta``), per thread, and a ``with`` block puts back the one before.
"""
import threading

__all__ = ["device", "CPU", "META", "check_device", "not_compiled_with_cuda", "CudaNotCompiled",
           "set_default_device", "get_default_device"]


class device:
    """``device("cpu")``, ``device("cpu", 0)``, ``device("cuda:0")`` (the last can be named,
    not used)."""
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string like 'cpu', got "
                            f"{type.__class__.__name__}")
        if ":" in type:
            type, _, number = type.partition(":")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{number}'")
            index = int(number)
        if type not in ("cpu", "cuda", "mps", "meta", "xpu"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps, meta, xpu device type at start "
                               f"of device string: {type}")
        self.type, self.index = type, index

    def __eq__(self, other):      # (as torch's: never equal to a string — compare .type)
        return isinstance(other, device) and (self.type, self.index) == (other.type,
                                                                           other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __format__(self, spec):           # (as torch's: a spec is refused, in torch's words)
        if spec:
            from .printing import OPTIONS
            raise TypeError(f"unsupported format string passed to {OPTIONS.namespace}.device."
                            f"__format__")
        return str(self)

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index
                                               is not None else ")")

    def __enter__(self):
        """``with device("cpu"):`` — the default device of the factory functions inside (the
        CPU or meta; another device is refused as by set_default_device)."""
        global _META_DEFAULTS
        check_device(self, meta=True)
        _DEFAULTS.entered.append(self)
        if self.type == "meta":
            _META_DEFAULTS += 1
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        global _META_DEFAULTS
        entered = _DEFAULTS.entered
        if entered:
            if entered.pop().type == "meta":
                _META_DEFAULTS -= 1


CPU = device("cpu")
META = device("meta")
_META_DEFAULTS = 0     # meta default devices set or entered, all threads (a quick test)
_Device = device          # (the functions below take an argument named ``device``)


class CudaNotCompiled(AssertionError, RuntimeError):
    """torch's CPU build refuses a CUDA device with an ``AssertionError`` ("Torch not compiled
    with CUDA enabled"); it is a RuntimeError too, as this library's refusal of any other
    device is."""


CudaNotCompiled.__module__ = "builtins"        # (tracebacks print torch's class name)
CudaNotCompiled.__name__ = CudaNotCompiled.__qualname__ = "AssertionError"


def not_compiled_with_cuda(d="cuda"):
    """What ``.cuda()``, ``.to('cuda')``, ``device='cuda'`` and torch.cuda's device queries
    raise here: torch's CPU build's error."""
    raise CudaNotCompiled(f"Torch not compiled with CUDA enabled (tinygrad_sgd runs on the CPU "
                          f"only: device '{d}' is not available)")


def check_device(value, meta=False):
    """Accept the CPU (``'cpu'``, ``device('cpu')``, None); refuse any other device (CUDA with
    torch's CPU build's AssertionError, :class:`CudaNotCompiled`). With ``meta=True`` (a caller
    that makes meta tensors) the meta device is accepted too and returned as :data:`META`, and
    None is the default device (META under ``with device('meta')``)."""
    if value is None:
        if meta and _META_DEFAULTS and get_default_device().type == "meta":
            return META
        return CPU
    d = value if isinstance(value, device) else device(value)
    if d.type == "meta" and meta:
        return META
    if d.type == "cuda":
        not_compiled_with_cuda(d)
    if d.type != "cpu":
        raise RuntimeError(f"tinygrad_sgd runs on the CPU only: device '{d}' is not available "
                           f"(check tinygrad_sgd.cuda.is_available(), which is False)")
    return CPU


class _Defaults(threading.local):
    """The default device of this thread: set_default_device's, and the ``with`` blocks'."""
    def __init__(self):
        self.set, self.entered = None, []


_DEFAULTS = _Defaults()


def set_default_device(device):
    """torch's ``set_default_device``: only the CPU (or None, the CPU again) can be the
    default here; an index (an accelerator's number) is refused in torch's words."""
    if isinstance(device, int) and not isinstance(device, bool):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    global _META_DEFAULTS
    if device is not None:
        check_device(device, meta=True)
        device = device if isinstance(device, _Device) else _Device(device)
    old = _DEFAULTS.set
    _META_DEFAULTS += (device is not None and device.type == "meta") - \
        (old is not None and old.type == "meta")
    _DEFAULTS.set = device


def get_default_device():
    """The device factory functions use by default: the innermost ``with device(...)``
    block's, else set_default_device's — the CPU (with its index if it was given) or meta."""
    state = _DEFAULTS
    chosen = state.entered[-1] if state.entered else state.set
    if chosen is not None and chosen.type == "meta":
        return META
    return chosen if chosen is not None and chosen.index is not None else CPU
