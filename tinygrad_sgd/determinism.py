"""torch's switches for deterministic algorithms: ``use_deterministic_algorithms(True)``,
``are_deterministic_algorithms_enabled()``, ``set_deterministic_debug_mode("warn")``.

Every computation of this library is deterministic already: the same inputs give the same bits
on every run, at any thread count (threads split work into parts fixed by the shapes, and no
sum is taken in an order that depends on timing). So these only remember what a program set,
and answer as torch does — the seeding boilerplate of training scripts runs unchanged.

One switch does change numbers: with deterministic algorithms on and
``torch.utils.deterministic.fill_uninitialized_memory`` (True by default), the memory of
``empty``, ``empty_like``, ``new_empty``, ``empty_strided`` and of what ``resize_`` grows is
filled as torch fills it (:func:`memory_fill`: NaN, the largest integer, True), where
it is otherwise zeros here.
"""
import numpy as np

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode"]

_state = {"enabled": False, "warn_only": False, "fill_uninitialized_memory": True}
_DEBUG_MODES = ("default", "warn", "error")


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """Ask for deterministic algorithms only (here: all of them are)."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    _state["enabled"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _state["enabled"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    """``"default"`` (0), ``"warn"`` (1) or ``"error"`` (2): the same switch as
    :func:`use_deterministic_algorithms`, by another name."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, "
                               f"`warn`, `error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    elif debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    use_deterministic_algorithms(bool(debug_mode != 0), warn_only=bool(debug_mode == 1))


def get_deterministic_debug_mode() -> int:
    if not _state["enabled"]:
        return 0
    return 1 if _state["warn_only"] else 2


def memory_fill(dtype, fill=None):
    """What new memory of ``dtype`` is filled with: ``fill``, or for uninitialized memory
    (``fill`` None, see the module's notes) 0 — under deterministic algorithms with
    ``fill_uninitialized_memory``, NaN for a float dtype, the largest value of an integer one,
    True for bool."""
    if fill is not None:
        return fill
    if not (_state["enabled"] and _state["fill_uninitialized_memory"]):
        return 0
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return np.nan
    return True if dtype.kind == "b" else np.iinfo(dtype).max
