"""``tinygrad_sgd.accelerator``: torch's device-neutral accelerator API (``torch.accelerator``).
This library computes on the CPU, which torch does not count as an accelerator, so a torch
program's usual ``device = torch.accelerator.current_accelerator().type if
torch.accelerator.is_available() else "cpu"`` picks the CPU; as on torch's CPU build, asking
for the (absent) accelerator's device, memory or a synchronisation fails."""
import warnings

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "empty_cache", "memory_allocated", "max_memory_allocated"]


def is_available() -> bool:
    """Whether an accelerator is there: never here."""
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator's device type (a ``device``), or None when there is none."""
    return None


def device_count() -> int:
    return 0


def _none_available(*args, **kwargs):
    raise RuntimeError("Cannot access accelerator device when none is available.")


def current_device_index() -> int:
    """The index of the current accelerator device: torch's CPU build fails, and so does this."""
    _none_available()


def set_device_index(device, /) -> None:
    """Make ``device`` the current accelerator device: there is none (RuntimeError, as torch)."""
    _none_available()


def synchronize(device=None, /) -> None:
    """Wait for the accelerator: there is none (RuntimeError, as torch's CPU build)."""
    _none_available()


def empty_cache() -> None:
    """Release the accelerator's memory cache: there is none (RuntimeError, as torch)."""
    _none_available()


def memory_allocated(device_index=None, /) -> int:
    _none_available()


def max_memory_allocated(device_index=None, /) -> int:
    _none_available()


def current_device_idx() -> int:
    """torch's deprecated name of :func:`current_device_index` (a FutureWarning, as torch)."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_idx(device, /) -> None:
    """torch's deprecated name of :func:`set_device_index` (a FutureWarning, as torch)."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    return set_device_index(device)
