"""``torch.autocast``: running some ops in a lower precision inside a context — as far as a
CPU-only library can be torch.

Autocast changes only the ops of its own device type. So, on a machine with no accelerator:

* ``autocast("cuda")`` (or ``torch.cuda.amp.autocast()``) is what torch does without CUDA:
  a warning, then nothing ("CUDA is not available ... Disabling autocast.");
* another accelerator's autocast (``"mps"``, ``"xpu"``, ...) touches no CPU tensor: nothing
  changes, as in torch;
* ``enabled=False`` — the usual ``autocast(device_type, enabled=use_amp)`` of a program run
  without mixed precision — changes nothing, as in torch;
* ``autocast("cpu", dtype=<not float16/bfloat16>)`` is disabled with torch's warning;
* ``autocast("cpu")`` enabled, with bfloat16 (its default) or float16, would run matmuls,
  convolutions and linear layers in that dtype: NumPy has no bfloat16, and torch's float16
  kernels round where ours would not — rather than silently give other numbers, this raises
  NotImplementedError.

Usable as a context manager or a decorator; ``is_autocast_enabled(device_type)`` reports it.
``custom_fwd``/``custom_bwd`` decorate an autograd Function's forward/backward (torch's: the
backward runs under the autocast state the forward saw); ``is_autocast_available`` says which
device types autocast knows.
"""
import functools
import warnings

__all__ = ["autocast", "custom_bwd", "custom_fwd", "get_autocast_dtype", "is_autocast_available",
           "is_autocast_enabled"]

_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                 "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
# device types with an autocast (torch's list); the other known ones have no autocast dtype
_AVAILABLE = ("cpu", "cuda", "ipu", "xpu", "maia", "xla", "mps", "hpu", "mtia", "privateuseone")
_NO_DTYPE = ("mkldnn", "opengl", "opencl", "ideep", "ve", "fpga", "lazy", "vulkan", "meta")
_enabled = {}      # device type -> whether an autocast of that device type is on now


def is_autocast_enabled(device_type=None):
    """Whether an enabled autocast of ``device_type`` (torch's default: "cuda") is on."""
    return _enabled.get("cuda" if device_type is None else device_type, False)


def _device_type(device_type):
    """The type part of a device string ("cuda:0" -> "cuda"), with torch's errors."""
    if device_type == "":
        raise RuntimeError("Device string must not be empty")
    kind = device_type.split(":")[0]
    if kind not in _DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start "
                           f"of device string: {device_type}")
    return kind


def is_autocast_available(device_type):
    """Whether ``device_type`` has an autocast (torch's answer; on this CPU-only library the
    CPU's enabled autocast is still refused, see the module's docstring)."""
    if not isinstance(device_type, str):
        raise TypeError(f"_is_autocast_available(): argument 'device_type' (position 1) must be "
                        f"str, not {type(device_type).__name__}")
    return _device_type(device_type) in _AVAILABLE


def get_autocast_dtype(device_type):
    """The dtype autocast of ``device_type`` would use: float16 (bfloat16, the CPU's, does not
    exist here: refused)."""
    if device_type == "cpu":
        raise NotImplementedError("autocast on the CPU uses bfloat16, which tinygrad_sgd does not "
                                  "have")
    from .. import float16
    return float16


class autocast:
    """``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        kind = _device_type(device_type)
        if kind in _NO_DTYPE:
            raise RuntimeError("unsupported scalarType")
        if kind not in _AVAILABLE:
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        from .. import float16
        self.device, self.fast_dtype = device_type, dtype
        self._enabled = bool(enabled)
        self._cache_enabled = cache_enabled
        self._prev = []        # (a stack: a decorated function may call itself)
        if not self._enabled:
            return
        if device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          stacklevel=2)
            self._enabled = False
        elif device_type == "cpu":
            if dtype is not None and dtype != float16 and str(dtype) not in (
                    "torch.bfloat16", "tinygrad_sgd.bfloat16"):
                warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                              "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                              "torch.float16 currently.", stacklevel=2)
                self._enabled = False
            else:
                raise NotImplementedError(
                    "autocast('cpu') would run matmuls, convolutions and linear layers in "
                    f"{'bfloat16' if dtype is None else dtype}: tinygrad_sgd does not (NumPy has "
                    "no bfloat16, and torch's float16 kernels round where ours would not). Run "
                    "in float32 — autocast(..., enabled=False) — or convert the model with "
                    ".half() yourself")

    def __enter__(self):
        self._prev.append(_enabled.get(self.device))
        _enabled[self.device] = self._enabled
        return self

    def __exit__(self, *exc):
        prev = self._prev.pop()
        if prev is None:
            _enabled.pop(self.device, None)
        else:
            _enabled[self.device] = prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def autocast_wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return autocast_wrapper


def _check_device_type(device_type):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")


def _autocast_dtype_or_none(device_type):
    """get_autocast_dtype, or None for the CPU's (bfloat16, which this library lacks)."""
    return None if device_type == "cpu" else get_autocast_dtype(device_type)


def _cast(value, device_type, dtype):
    """``value`` with its floating-point Tensors of ``device_type`` cast to ``dtype``
    (recursing into lists, tuples and dicts, as torch's)."""
    from ..tensor import Tensor
    if isinstance(value, Tensor):
        if value.is_floating_point() and value.device.type == device_type:
            return value.to(dtype)
        return value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, dict):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, device_type, dtype) for v in value)
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for an autograd Function's ``forward(ctx, ...)``: records on ``ctx`` whether
    autocast of ``device_type`` is on (``ctx._fwd_used_autocast``) and its dtype
    (``ctx._dtype``), for :func:`custom_bwd`. With ``cast_inputs`` and autocast on, the
    floating-point Tensor inputs of that device type are cast to it and forward runs with
    autocast off; outside autocast it changes nothing."""
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = _autocast_dtype_or_none(device_type)
        used = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = used and cast_inputs is None
        if cast_inputs is None or not used:
            return fwd(*args, **kwargs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(*_cast(args, device_type, cast_inputs),
                       **_cast(kwargs, device_type, cast_inputs))
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for an autograd Function's ``backward(ctx, ...)``: runs it under the
    autocast state its :func:`custom_fwd` forward saw."""
    _check_device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
