"""``torch.utils.deterministic``: the module attribute ``fill_uninitialized_memory`` (a bool,
True by default) — whether, with ``use_deterministic_algorithms(True)``, ``empty`` and its
kind give memory filled with NaN (floats), the largest integer or True, as torch's, instead
of the zeros they give here otherwise (see :mod:`tinygrad_sgd.determinism`)."""
import sys
import types

from .. import determinism


class _Deterministic(types.ModuleType):
    """This module's class: its attribute is a property, checked when set, as torch's."""

    @property
    def fill_uninitialized_memory(self):
        return determinism._state["fill_uninitialized_memory"]

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, mode):
        if not isinstance(mode, bool):
            raise RuntimeError(f"expected a bool, but got {type(mode).__name__}")
        determinism._state["fill_uninitialized_memory"] = mode


sys.modules[__name__].__class__ = _Deterministic
__all__ = [_Deterministic.fill_uninitialized_memory.fget.__name__]   # (a property, not a global)
