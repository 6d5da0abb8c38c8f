"""``Tensor.shape`` as torch gives it: a tuple that prints as ``tinygrad_sgd.Size([2, 3])``."""

import operator
import sys

__all__ = ["Size"]


def _size_item(n, i):
    """One item of a Size, as torch's ``torch.Size(...)`` takes it."""
    import numpy as np
    from .tensor import Tensor
    if isinstance(n, bool):
        n = int(n)
    elif isinstance(n, Tensor) and n.dtype.kind in "iu" and n.numel() == 1:
        n = int(n.array.reshape(()))
    elif not isinstance(n, (int, np.integer)):
        from .printing import OPTIONS
        kind = type(n)
        name = kind.__name__ if kind.__module__ in ("builtins", "tinygrad_sgd.tensor") else \
            f"{kind.__module__.split('.')[0]}.{kind.__name__}"
        raise TypeError(f"{OPTIONS.namespace}.Size() takes an iterable of 'int' (item {i} is "
                        f"'{name}')")
    if not -2 ** 63 <= n < 2 ** 63:
        raise ValueError("Overflow when unpacking long long")
    return n


class Size(tuple):
    """A tuple of dimension sizes; ``numel()`` is their product. As torch's, it is made of
    ints: a bool or a one-element integer Tensor becomes an int (a NumPy integer is kept),
    anything else is refused (``TypeError``), and so is a size past int64 (``ValueError``)."""
    __slots__ = ()

    def __new__(cls, sizes=()):
        if type(sizes) is tuple and all(type(n) is int for n in sizes):   # (a shape: fast)
            return tuple.__new__(cls, sizes)
        return tuple.__new__(cls, [_size_item(n, i) for i, n in enumerate(sizes)])

    @classmethod
    def _of(cls, shape):
        """An array's shape (a tuple of ints) as a Size, unchecked (``Tensor.shape``)."""
        return tuple.__new__(cls, shape)

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
