"""``Tensor.shape`` as torch gives it: a tuple that prints as ``tinygrad_sgd.Size([2, 3])``."""

import operator
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

    def __repr__(self):      # (an item may be a NumPy integer: torch prints it as an int)
        from .printing import OPTIONS
        return f"{OPTIONS.namespace}.Size({[operator.index(n) for n in self]})"

    def __format__(self, spec):
        """``print(x.shape)``, ``repr`` and a program's ``f"{x.shape}"`` give torch's
        ``tinygrad_sgd.Size([2, 3])``; inside the library's own f-strings (its error messages)
        a shape reads as the tuple it is, ``(2, 3)``."""
        if spec:                 # (torch's words: the type as torch names it)
            from .printing import OPTIONS
            raise TypeError(f"unsupported format string passed to {OPTIONS.namespace}.Size."
                            f"__format__")
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller == "tinygrad_sgd" or caller.startswith("tinygrad_sgd."):
            return tuple.__repr__(self)
        return repr(self)

    def __add__(self, other):
        """``shape + (1,)``, ``shape + shape``: a Size, as torch (a plain tuple's ``+``
        would give a tuple)."""
        if not isinstance(other, tuple):
            from .printing import OPTIONS
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to "
                            f"{OPTIONS.namespace}.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        """``(1,) + shape``: a Size too."""
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        if not hasattr(n, "__index__"):    # (the words of Python's own error for a tuple)
            raise TypeError(f"can't multiply sequence by non-int of type "
                            f"'{type(n).__name__}'")
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out
