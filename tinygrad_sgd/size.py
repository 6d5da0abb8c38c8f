"""``Tensor.shape`` as torch gives it: a tuple that prints as ``tinygrad_sgd.Size([2, 3])``."""

import sys

__all__ = ["Size"]


class Size(tuple):
    """A tuple of dimension sizes; ``numel()`` is their product."""
    __slots__ = ()

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        from .printing import OPTIONS
        return f"{OPTIONS.namespace}.Size({list(self)})"

    def __format__(self, spec):
        """``print(x.shape)``, ``repr`` and a program's ``f"{x.shape}"`` give torch's
        ``tinygrad_sgd.Size([2, 3])``; inside the library's own f-strings (its error messages)
        a shape reads as the tuple it is, ``(2, 3)``."""
        if spec:
            return format(tuple(self), spec)
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller == "tinygrad_sgd" or caller.startswith("tinygrad_sgd."):
            return tuple.__repr__(self)
        return repr(self)

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out
