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
"""
import functools
import warnings

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype"]

_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                 "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
_enabled = {}      # device type -> whether an autocast of that device type is on now


def is_autocast_enabled(device_type=None):
    """Whether an enabled autocast of ``device_type`` (torch's default: "cuda") is on."""
    return _enabled.get("cuda" if device_type is None else device_type, False)


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
        if device_type.split(":")[0] not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start "
                               f"of device string: {device_type}")
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
